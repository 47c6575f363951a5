# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""The /dev/mobj commands, as ioctl()s on ctypes copies of <linux/mobj.h>.

No C library is loaded: every command is ``fcntl.ioctl()`` on a ctypes
Structure that mirrors the uapi struct field for field (tests/test_abi.py
checks each size, offset, command number and ioctl request number against
a C compiler's view of the header).  Each function here takes the open
file's descriptor, fills the struct's ``size`` with the struct's size, and
either returns the command's output or raises the OSError subclass of
mobj.errors for the errno, naming the command in ``filename`` (e.g.
``'MOBJ_SLOT_GET'``).
"""

import ctypes
import errno as _errno
import fcntl
import os
from typing import List, Optional, Tuple

from .errors import error_from_errno

u32 = ctypes.c_uint32
u64 = ctypes.c_uint64
s32 = ctypes.c_int32

# <linux/mobj.h> constants.
IOCTL_TYPE = 0xD6
ABI_VERSION = 1
GC_GENERATIONS = 3

CMD_QUERY = 0x00
CMD_NOP = 0x01
CMD_NEW = 0x02
CMD_DUP = 0x03
CMD_CLOSE = 0x04
CMD_GETREFCOUNT = 0x05
CMD_INFO = 0x06
CMD_DATA_READ = 0x07
CMD_DATA_WRITE = 0x08
CMD_SLOT_APPEND = 0x09
CMD_SLOT_SET = 0x0A
CMD_SLOT_GET = 0x0B
CMD_SLOT_POP = 0x0C
CMD_GC_COLLECT = 0x0D
CMD_GC_GET = 0x0E
CMD_GC_SET = 0x0F
CMD_GC_STATS = 0x10
CMD_GC_FREEZE = 0x11
CMD_GC_GARBAGE = 0x12
CMD_REFERENTS = 0x13
CMD_REFERRERS = 0x14
CMD_WATCH = 0x15
CMD_WEAKREF = 0x16
CMD_WEAKREF_GET = 0x17
CMD_TYPE_NAME = 0x18
CMD_BATCH = 0x19
CMD_EXPORT = 0x1A
CMD_IMPORT = 0x1B
CMD_GC_LEAKS = 0x1C
CMD_TYPE_COUNTS = 0x1D

#: The command names, by number ("MOBJ_" + name is the ioctl's name).
COMMAND_NAMES = {
    CMD_QUERY: "QUERY", CMD_NOP: "NOP", CMD_NEW: "NEW", CMD_DUP: "DUP",
    CMD_CLOSE: "CLOSE", CMD_GETREFCOUNT: "GETREFCOUNT", CMD_INFO: "INFO",
    CMD_DATA_READ: "DATA_READ", CMD_DATA_WRITE: "DATA_WRITE",
    CMD_SLOT_APPEND: "SLOT_APPEND", CMD_SLOT_SET: "SLOT_SET",
    CMD_SLOT_GET: "SLOT_GET", CMD_SLOT_POP: "SLOT_POP",
    CMD_GC_COLLECT: "GC_COLLECT", CMD_GC_GET: "GC_GET", CMD_GC_SET: "GC_SET",
    CMD_GC_STATS: "GC_STATS", CMD_GC_FREEZE: "GC_FREEZE",
    CMD_GC_GARBAGE: "GC_GARBAGE", CMD_REFERENTS: "REFERENTS",
    CMD_REFERRERS: "REFERRERS", CMD_WATCH: "WATCH", CMD_WEAKREF: "WEAKREF",
    CMD_WEAKREF_GET: "WEAKREF_GET", CMD_TYPE_NAME: "TYPE_NAME",
    CMD_BATCH: "BATCH", CMD_EXPORT: "EXPORT", CMD_IMPORT: "IMPORT",
    CMD_GC_LEAKS: "GC_LEAKS", CMD_TYPE_COUNTS: "TYPE_COUNTS",
}


def IO(nr: int) -> int:
    """The ioctl request number _IO(MOBJ_TYPE, nr): no direction, no size
    (the struct's first member carries its size)."""
    return (IOCTL_TYPE << 8) | nr


STATE_TRACKED = 1 << 0
STATE_FROZEN = 1 << 1
STATE_GARBAGE = 1 << 2
STATE_WATCHED = 1 << 3

GC_DEBUG_SAVEALL = 1 << 0
GC_GARBAGE_CLEAR = 1 << 0
GC_SET_ENABLED = 1 << 0
GC_SET_THRESHOLD = 1 << 1
GC_SET_DEBUG = 1 << 2
GC_UNFREEZE = 1 << 0
WATCH_CANCEL = 1 << 0
WATCH_GC = 1 << 1

EVENT_REFCOUNT = 1
EVENT_CYCLE = 2
EVENT_LOST = 3
EVENT_GC_START = 4
EVENT_GC_STOP = 5

TYPE_NAME_MAX = 32
TYPE_NAME_GET = 1 << 0
TYPE_NAME_LOOKUP = 1 << 1
TYPE_COUNTS_ALL = 1 << 0

BATCH_MAX = 4096
BATCH_RESULT_FLAG = 0x80000000


def BATCH_RESULT(i: int) -> int:
    """MOBJ_BATCH_RESULT(i): the handle made by entry ``i`` of a batch."""
    return BATCH_RESULT_FLAG | i


class Query(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("abi_version", u32),
        ("__reserved", u32), ("commands", u64), ("data_max", u32),
        ("slots_max", u32), ("objects_max", u64),
        ("client_objects_max", u64), ("client_handles_max", u64),
        ("live_objects", u64), ("live_handles", u64),
        ("client_objects", u64), ("client_handles", u64),
        ("version", u32), ("__reserved2", u32),
        ("event_size", u32), ("batch_op_size", u32),
    ]


class Nop(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32)]


class New(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("type", u32), ("data_len", u32),
        ("data", u64), ("handle", u32), ("__reserved", u32), ("id", u64),
    ]


class Dup(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("new_handle", u32)]


class Close(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("__reserved", u32)]


class GetRefcount(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("__reserved", u32), ("refcount", u64)]


class Info(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("handle", u32), ("type", u32),
        ("id", u64), ("refcount", u64), ("data_len", u32), ("nslots", u32),
        ("generation", u32), ("state", u32),
    ]


class DataRead(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("offset", u32), ("len", u32), ("data_len", u32),
                ("data", u64)]


class DataWrite(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("len", u32), ("data", u64)]


class Slot(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("index", u32), ("value", u32), ("__reserved", u32)]


class GcCollect(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("generation", u32),
        ("__reserved", u32), ("collected", u64), ("uncollectable", u64),
        ("examined", u64), ("duration_ns", u64),
    ]


class GcState(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("enabled", u32), ("debug", u32),
        ("threshold", u32 * GC_GENERATIONS), ("__reserved", u32),
        ("count", u64 * GC_GENERATIONS), ("freeze_count", u64),
        ("garbage_count", u64),
    ]


class GcSet(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("enabled", u32), ("debug", u32),
        ("threshold", u32 * GC_GENERATIONS), ("__reserved", u32),
    ]


class GcGenStats(ctypes.Structure):
    _fields_ = [
        ("collections", u64), ("collected", u64), ("uncollectable", u64),
        ("total_ns", u64),
    ]


class GcStats(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("gen", GcGenStats * GC_GENERATIONS),
        ("candidates", u64 * GC_GENERATIONS),
    ]


class GcFreeze(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("moved", u64)]


class GcGarbage(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("count", u32),
                ("filled", u32), ("handles", u64)]


class Refs(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("count", u32), ("ids", u64)]


class GcLeaks(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("count", u32),
                ("__reserved", u32), ("ids", u64), ("examined", u64)]


class TypeCount(ctypes.Structure):
    _fields_ = [("type", u32), ("__reserved", u32), ("count", u64)]


class TypeCounts(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("count", u32),
                ("__reserved", u32), ("types", u64), ("objects", u64)]


class Watch(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("__reserved", u32), ("cookie", u64)]


class Event(ctypes.Structure):
    _fields_ = [
        ("cookie", u64), ("id", u64), ("type", u32), ("reason", u32),
        ("generation", u32), ("__reserved", u32), ("lost", u64),
    ]


class WeakRef(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32),
                ("result", u32)]


class TypeName(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("type", u32), ("__reserved", u32),
        ("name", ctypes.c_char * TYPE_NAME_MAX),
    ]


class BatchOp(ctypes.Structure):
    _fields_ = [("cmd", u32), ("flags", u32), ("handle", u32),
                ("index", u32), ("value", u32), ("error", s32),
                ("result", u64)]


class Batch(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("count", u32),
                ("done", u32), ("ops", u64)]


class Export(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("handle", u32), ("fd", s32)]


class Import(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("fd", s32), ("handle", u32)]


# The structs the tests compare with the C compiler's view, by C name.
UAPI_STRUCTS = {
    "mobj_query": Query,
    "mobj_nop": Nop,
    "mobj_new": New,
    "mobj_dup": Dup,
    "mobj_close": Close,
    "mobj_getrefcount": GetRefcount,
    "mobj_info": Info,
    "mobj_data_read": DataRead,
    "mobj_data_write": DataWrite,
    "mobj_slot": Slot,
    "mobj_gc_collect": GcCollect,
    "mobj_gc_state": GcState,
    "mobj_gc_set": GcSet,
    "mobj_gc_gen_stats": GcGenStats,
    "mobj_gc_stats": GcStats,
    "mobj_gc_freeze": GcFreeze,
    "mobj_gc_garbage": GcGarbage,
    "mobj_refs": Refs,
    "mobj_gc_leaks": GcLeaks,
    "mobj_type_count": TypeCount,
    "mobj_type_counts": TypeCounts,
    "mobj_watch": Watch,
    "mobj_event": Event,
    "mobj_weakref": WeakRef,
    "mobj_type_name": TypeName,
    "mobj_batch_op": BatchOp,
    "mobj_batch": Batch,
    "mobj_export": Export,
    "mobj_import": Import,
}

# The ioctl request of each command, by its name in <linux/mobj.h>.
IOCTLS = {
    "MOBJ_" + name: IO(nr) for nr, name in COMMAND_NAMES.items()
}


def _addr(buf: Optional[ctypes.Array]) -> int:  # type: ignore[type-arg]
    """The address of a ctypes buffer, for a struct's __u64 pointer."""
    return ctypes.addressof(buf) if buf is not None else 0


def ioctl(fd: int, cmd: int, arg: ctypes.Structure) -> None:
    """Run command number ``cmd`` on ``arg`` (its ``size`` is set here);
    raise the mobj.errors exception for a failure."""
    arg.size = ctypes.sizeof(arg)
    try:
        # A ctypes struct is a writable buffer: the kernel's output lands
        # in it (fcntl copies it in and back, with its pointers intact).
        fcntl.ioctl(fd, IO(cmd), arg, True)
    except OSError as e:
        raise error_from_errno(e.errno, "MOBJ_" + COMMAND_NAMES[cmd]) \
            from None


def dev_open(path: str) -> int:
    """open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK): a new client."""
    return os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NONBLOCK)


def query(fd: int) -> Query:
    q = Query()
    ioctl(fd, CMD_QUERY, q)
    return q


def new(fd: int, type: int, data: bytes) -> Tuple[int, int]:
    """MOBJ_NEW: (handle, id)."""
    buf = ctypes.create_string_buffer(data, len(data)) if data else None
    cmd = New(type=type, data_len=len(data), data=_addr(buf))
    ioctl(fd, CMD_NEW, cmd)
    return cmd.handle, cmd.id


def dup(fd: int, handle: int) -> int:
    cmd = Dup(handle=handle)
    ioctl(fd, CMD_DUP, cmd)
    return cmd.new_handle


def close(fd: int, handle: int) -> None:
    ioctl(fd, CMD_CLOSE, Close(handle=handle))


def getrefcount(fd: int, handle: int) -> int:
    cmd = GetRefcount(handle=handle)
    ioctl(fd, CMD_GETREFCOUNT, cmd)
    return cmd.refcount


def info(fd: int, handle: int) -> Info:
    cmd = Info(handle=handle)
    ioctl(fd, CMD_INFO, cmd)
    return cmd


def data_read(fd: int, handle: int, offset: int, size: int
              ) -> Tuple[bytes, int]:
    """MOBJ_DATA_READ into a buffer of exactly ``size`` bytes: (the bytes
    copied, the payload's whole length)."""
    buf = ctypes.create_string_buffer(max(size, 1))
    cmd = DataRead(handle=handle, offset=offset, len=size,
                   data=_addr(buf))
    ioctl(fd, CMD_DATA_READ, cmd)
    return buf.raw[:min(cmd.len, size)], cmd.data_len


def data_write(fd: int, handle: int, data: bytes) -> None:
    buf = ctypes.create_string_buffer(data, len(data)) if data else None
    ioctl(fd, CMD_DATA_WRITE, DataWrite(handle=handle, len=len(data),
                                        data=_addr(buf)))


def slot(fd: int, cmd: int, handle: int, index: int = 0,
         value: int = 0) -> Slot:
    """One of the four slot commands; the struct, with its outputs."""
    arg = Slot(handle=handle, index=index, value=value)
    ioctl(fd, cmd, arg)
    return arg


def gc_collect(fd: int, generation: int) -> GcCollect:
    cmd = GcCollect(generation=generation)
    ioctl(fd, CMD_GC_COLLECT, cmd)
    return cmd


def gc_get(fd: int) -> GcState:
    cmd = GcState()
    ioctl(fd, CMD_GC_GET, cmd)
    return cmd


def gc_set(fd: int, flags: int, enabled: int = 0, debug: int = 0,
           threshold: Tuple[int, int, int] = (0, 0, 0)) -> None:
    cmd = GcSet(flags=flags, enabled=enabled, debug=debug)
    cmd.threshold[:] = threshold
    ioctl(fd, CMD_GC_SET, cmd)


def gc_stats(fd: int) -> GcStats:
    cmd = GcStats()
    ioctl(fd, CMD_GC_STATS, cmd)
    return cmd


def gc_freeze(fd: int, flags: int) -> int:
    cmd = GcFreeze(flags=flags)
    ioctl(fd, CMD_GC_FREEZE, cmd)
    return cmd.moved


def gc_garbage(fd: int, count: int, flags: int) -> List[int]:
    """MOBJ_GC_GARBAGE: new handles to the first ``count`` saved objects."""
    handles = (u32 * max(count, 1))()
    cmd = GcGarbage(flags=flags, count=count, handles=_addr(handles))
    ioctl(fd, CMD_GC_GARBAGE, cmd)
    return list(handles[:cmd.filled])


def refs(fd: int, cmd: int, handle: int, room: int) -> Tuple[int, List[int]]:
    """MOBJ_REFERENTS or MOBJ_REFERRERS: (total, the first ``room`` ids)."""
    ids = (u64 * max(room, 1))()
    arg = Refs(handle=handle, count=room, ids=_addr(ids))
    ioctl(fd, cmd, arg)
    return arg.count, list(ids[:min(arg.count, room)])


def gc_leaks(fd: int, room: int) -> Tuple[int, List[int]]:
    """MOBJ_GC_LEAKS: (how many a collection would free, the first
    ``room`` of their ids)."""
    ids = (u64 * max(room, 1))()
    arg = GcLeaks(count=room, ids=_addr(ids))
    ioctl(fd, CMD_GC_LEAKS, arg)
    return arg.count, list(ids[:min(arg.count, room)])


def type_counts(fd: int, room: int,
                flags: int = 0) -> Tuple[int, int, List[Tuple[int, int]]]:
    """MOBJ_TYPE_COUNTS: (distinct types, objects counted, the first
    ``room`` (type tag, count) pairs, most objects first)."""
    buf = (TypeCount * max(room, 1))()
    arg = TypeCounts(flags=flags, count=room, types=_addr(buf))
    ioctl(fd, CMD_TYPE_COUNTS, arg)
    return arg.count, arg.objects, [(t.type, t.count)
                                    for t in buf[:min(arg.count, room)]]


def watch(fd: int, handle: int, cookie: int) -> None:
    ioctl(fd, CMD_WATCH, Watch(handle=handle, cookie=cookie))


def unwatch(fd: int, handle: int, cookie: int) -> None:
    """MOBJ_WATCH with MOBJ_WATCH_CANCEL: take back a watch."""
    ioctl(fd, CMD_WATCH, Watch(flags=WATCH_CANCEL, handle=handle,
                               cookie=cookie))


def gc_watch(fd: int, cookie: int) -> None:
    """MOBJ_WATCH with MOBJ_WATCH_GC: every collection's start and stop."""
    ioctl(fd, CMD_WATCH, Watch(flags=WATCH_GC, cookie=cookie))


def gc_unwatch(fd: int) -> None:
    """MOBJ_WATCH with MOBJ_WATCH_GC | MOBJ_WATCH_CANCEL."""
    ioctl(fd, CMD_WATCH, Watch(flags=WATCH_GC | WATCH_CANCEL))


def read_events(fd: int, count: int, stride: int) -> List[Event]:
    """Up to ``count`` records read() at once, each ``stride`` bytes long
    (the module's event_size; a later module's longer records are cut to
    the part this package knows).  [] when none is queued."""
    stride = max(stride, ctypes.sizeof(Event))
    try:
        raw = os.read(fd, count * stride)
    except BlockingIOError:
        return []
    except OSError as e:
        raise error_from_errno(e.errno, "read") from None
    size = ctypes.sizeof(Event)
    return [Event.from_buffer_copy(raw, off)
            for off in range(0, len(raw) - size + 1, stride)]


def weakref(fd: int, handle: int) -> int:
    cmd = WeakRef(handle=handle)
    ioctl(fd, CMD_WEAKREF, cmd)
    return cmd.result


def weakref_get(fd: int, weak: int) -> int:
    """A new strong handle from weak handle ``weak`` (ESTALE once dead)."""
    cmd = WeakRef(handle=weak)
    ioctl(fd, CMD_WEAKREF_GET, cmd)
    return cmd.result


def type_name_set(fd: int, type: int, name: bytes) -> None:
    if len(name) >= TYPE_NAME_MAX:
        raise error_from_errno(_errno.EINVAL, "MOBJ_TYPE_NAME")
    ioctl(fd, CMD_TYPE_NAME, TypeName(type=type, name=name))


def type_name_get(fd: int, type: int) -> bytes:
    cmd = TypeName(type=type, flags=TYPE_NAME_GET)
    ioctl(fd, CMD_TYPE_NAME, cmd)
    return cmd.name


def type_name_lookup(fd: int, name: bytes) -> Optional[int]:
    """The tag that has ``name``, None when no tag has it."""
    if len(name) >= TYPE_NAME_MAX:
        raise error_from_errno(_errno.EINVAL, "MOBJ_TYPE_NAME")
    cmd = TypeName(flags=TYPE_NAME_LOOKUP, name=name)
    try:
        ioctl(fd, CMD_TYPE_NAME, cmd)
    except OSError as e:
        if e.errno == _errno.ENOENT:
            return None
        raise
    return int(cmd.type)


def batch(fd: int, ops: "ctypes.Array[ctypes.c_char]", count: int
          ) -> Tuple[int, int]:
    """MOBJ_BATCH over ``count`` entries of ``ops`` (an array whose stride
    is the module's batch_op_size): (0 or the failing entry's errno,
    entries done).  Raises only for a failure before any entry ran."""
    cmd = Batch(count=count, ops=_addr(ops))
    cmd.size = ctypes.sizeof(cmd)
    try:
        fcntl.ioctl(fd, IO(CMD_BATCH), cmd, True)
    except OSError as e:
        return e.errno, cmd.done
    return 0, cmd.done


def export(fd: int, handle: int) -> int:
    cmd = Export(handle=handle)
    ioctl(fd, CMD_EXPORT, cmd)
    return cmd.fd


def import_(fd: int, objfd: int) -> int:
    cmd = Import(fd=objfd)
    ioctl(fd, CMD_IMPORT, cmd)
    return cmd.handle


def errno_name(err: int) -> str:
    """'ENOENT' for errno.ENOENT (the number as a string when unknown)."""
    return _errno.errorcode.get(err, str(err))

