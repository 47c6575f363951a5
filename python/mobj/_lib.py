# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""ctypes bindings of libmobj.so.1 and of the <linux/mobj.h> structs.

Every libmobj function returns 0 or a non-negative value on success and
-errno on failure; call() turns the failure into an exception from
mobj.errors.  The structs mirror the uapi header field for field
(tests/test_abi.py checks each size and offset against a C compiler).

The library is looked up, in order:
  1. $MOBJ_LIBRARY, a path to libmobj.so.1;
  2. the source tree's userlib/libmobj.so.1, when this package is run
     from python/ beside it;
  3. LIBDIR/libmobj.so.1, LIBDIR being where "make install" put it;
  4. "libmobj.so.1" through the dynamic linker's search path.
"""

import ctypes
import os

from .errors import error_from_errno

SONAME = "libmobj.so.1"

u32 = ctypes.c_uint32
u64 = ctypes.c_uint64
s32 = ctypes.c_int32

# <linux/mobj.h> constants.
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

STATE_TRACKED = 1 << 0
STATE_FROZEN = 1 << 1
STATE_GARBAGE = 1 << 2
STATE_WATCHED = 1 << 3

GC_DEBUG_SAVEALL = 1 << 0
GC_GARBAGE_CLEAR = 1 << 0

EVENT_REFCOUNT = 1
EVENT_CYCLE = 2
EVENT_LOST = 3

TYPE_NAME_MAX = 32
TYPE_NAME_GET = 1 << 0

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


class Info(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("handle", u32), ("type", u32),
        ("id", u64), ("refcount", u64), ("data_len", u32), ("nslots", u32),
        ("generation", u32), ("state", u32),
    ]


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


class GcGenStats(ctypes.Structure):
    _fields_ = [
        ("collections", u64), ("collected", u64), ("uncollectable", u64),
        ("total_ns", u64),
    ]


class GcStats(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("gen", GcGenStats * GC_GENERATIONS),
    ]


class Event(ctypes.Structure):
    _fields_ = [
        ("cookie", u64), ("id", u64), ("type", u32), ("reason", u32),
        ("generation", u32), ("__reserved", u32), ("lost", u64),
    ]


class TypeName(ctypes.Structure):
    _fields_ = [
        ("size", u32), ("flags", u32), ("type", u32), ("__reserved", u32),
        ("name", ctypes.c_char * TYPE_NAME_MAX),
    ]


# The structs the tests compare with the C compiler's view, by C name.
UAPI_STRUCTS = {
    "mobj_query": Query,
    "mobj_info": Info,
    "mobj_gc_collect": GcCollect,
    "mobj_gc_state": GcState,
    "mobj_gc_gen_stats": GcGenStats,
    "mobj_gc_stats": GcStats,
    "mobj_event": Event,
    "mobj_type_name": TypeName,
}

P = ctypes.POINTER
_PROTOTYPES = {
    "mobj_dev_open_path": [ctypes.c_char_p],
    "mobj_dev_close": [ctypes.c_int],
    "mobj_query_sized": [ctypes.c_int, P(Query), ctypes.c_size_t],
    "mobj_new": [ctypes.c_int, u32, ctypes.c_void_p, u32, P(u32), P(u64)],
    "mobj_dup": [ctypes.c_int, u32, P(u32)],
    "mobj_handle_close": [ctypes.c_int, u32],
    "mobj_getrefcount": [ctypes.c_int, u32, P(u64)],
    "mobj_info_sized": [ctypes.c_int, u32, P(Info), ctypes.c_size_t],
    "mobj_data_read": [ctypes.c_int, u32, u32, ctypes.c_void_p, u32, P(u32)],
    "mobj_data_write": [ctypes.c_int, u32, ctypes.c_void_p, u32],
    "mobj_slot_append": [ctypes.c_int, u32, u32, P(u32)],
    "mobj_slot_set": [ctypes.c_int, u32, u32, u32],
    "mobj_slot_get": [ctypes.c_int, u32, u32, P(u32)],
    "mobj_slot_pop": [ctypes.c_int, u32, u32],
    "mobj_gc_collect_sized": [ctypes.c_int, u32, P(GcCollect), ctypes.c_size_t],
    "mobj_gc_get_sized": [ctypes.c_int, P(GcState), ctypes.c_size_t],
    "mobj_gc_enable": [ctypes.c_int],
    "mobj_gc_disable": [ctypes.c_int],
    "mobj_gc_isenabled": [ctypes.c_int],
    "mobj_gc_set_threshold": [ctypes.c_int, u32, u32, u32],
    "mobj_gc_set_debug": [ctypes.c_int, u32],
    "mobj_gc_get_stats_sized": [ctypes.c_int, P(GcStats), ctypes.c_size_t],
    "mobj_gc_freeze": [ctypes.c_int, P(u64)],
    "mobj_gc_unfreeze": [ctypes.c_int, P(u64)],
    "mobj_gc_garbage": [ctypes.c_int, P(u32), u32, u32, P(u32)],
    "mobj_get_referents": [ctypes.c_int, u32, P(u64), u32],
    "mobj_get_referrers": [ctypes.c_int, u32, P(u64), u32],
    "mobj_watch": [ctypes.c_int, u32, u64],
    "mobj_read_events": [ctypes.c_int, P(Event), ctypes.c_size_t],
    "mobj_weakref": [ctypes.c_int, u32, P(u32)],
    "mobj_weakref_get": [ctypes.c_int, u32, P(u32)],
    "mobj_type_name_set": [ctypes.c_int, u32, ctypes.c_char_p],
    "mobj_type_name_get": [ctypes.c_int, u32, ctypes.c_char_p, ctypes.c_size_t],
    "mobj_export": [ctypes.c_int, u32, P(ctypes.c_int)],
    "mobj_import": [ctypes.c_int, ctypes.c_int, P(u32)],
}

# The name each libmobj function's failure is reported under.
_COMMAND = {
    "mobj_dev_open_path": "open",
    "mobj_dev_close": "close",
    "mobj_query": "MOBJ_QUERY",
    "mobj_new": "MOBJ_NEW",
    "mobj_dup": "MOBJ_DUP",
    "mobj_handle_close": "MOBJ_CLOSE",
    "mobj_getrefcount": "MOBJ_GETREFCOUNT",
    "mobj_info": "MOBJ_INFO",
    "mobj_data_read": "MOBJ_DATA_READ",
    "mobj_data_write": "MOBJ_DATA_WRITE",
    "mobj_slot_append": "MOBJ_SLOT_APPEND",
    "mobj_slot_set": "MOBJ_SLOT_SET",
    "mobj_slot_get": "MOBJ_SLOT_GET",
    "mobj_slot_pop": "MOBJ_SLOT_POP",
    "mobj_gc_collect": "MOBJ_GC_COLLECT",
    "mobj_gc_get": "MOBJ_GC_GET",
    "mobj_gc_enable": "MOBJ_GC_SET",
    "mobj_gc_disable": "MOBJ_GC_SET",
    "mobj_gc_isenabled": "MOBJ_GC_GET",
    "mobj_gc_set_threshold": "MOBJ_GC_SET",
    "mobj_gc_set_debug": "MOBJ_GC_SET",
    "mobj_gc_get_stats": "MOBJ_GC_STATS",
    "mobj_gc_freeze": "MOBJ_GC_FREEZE",
    "mobj_gc_unfreeze": "MOBJ_GC_FREEZE",
    "mobj_gc_garbage": "MOBJ_GC_GARBAGE",
    "mobj_get_referents": "MOBJ_REFERENTS",
    "mobj_get_referrers": "MOBJ_REFERRERS",
    "mobj_watch": "MOBJ_WATCH",
    "mobj_read_events": "read",
    "mobj_weakref": "MOBJ_WEAKREF",
    "mobj_weakref_get": "MOBJ_WEAKREF_GET",
    "mobj_type_name_set": "MOBJ_TYPE_NAME",
    "mobj_type_name_get": "MOBJ_TYPE_NAME",
    "mobj_export": "MOBJ_EXPORT",
    "mobj_import": "MOBJ_IMPORT",
}


def _candidates():
    env = os.environ.get("MOBJ_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.join(here, "..", "..", "userlib", SONAME)]
    try:
        from . import _paths  # written by "make install"
        paths.append(os.path.join(_paths.LIBDIR, SONAME))
    except ImportError:
        pass
    return [os.path.normpath(p) for p in paths if os.path.exists(p)] + [SONAME]


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path, use_errno=True)
        except OSError as e:
            errors.append(str(e))
            continue
        for name, argtypes in _PROTOTYPES.items():
            fn = getattr(lib, name)
            fn.argtypes = argtypes
            fn.restype = ctypes.c_int
        lib.path = path
        return lib
    raise ImportError("mobj: cannot load %s (set MOBJ_LIBRARY to its path): %s"
                      % (SONAME, "; ".join(errors)))


_lib = None


def lib():
    """libmobj, loaded on first use."""
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


# libmobj's functions on structs that may grow are inline wrappers in C
# that pass the caller's sizeof to a _sized twin: do the same here.
_SIZED = {
    "mobj_query": Query,
    "mobj_info": Info,
    "mobj_gc_collect": GcCollect,
    "mobj_gc_get": GcState,
    "mobj_gc_get_stats": GcStats,
}


def call(name, *args):
    """Call libmobj function ``name``; raise on a negative return."""
    if name in _SIZED:
        ret = getattr(lib(), name + "_sized")(
            *args, ctypes.sizeof(_SIZED[name]))
    else:
        ret = getattr(lib(), name)(*args)
    if ret < 0:
        raise error_from_errno(-ret, _COMMAND.get(name, name))
    return ret
