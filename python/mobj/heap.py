# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Heap, Object, WeakRef and the collector: Python's memory model on /dev/mobj.

An open /dev/mobj is a Heap.  Each Object is one handle, which owns one
strong reference to a kernel object; closing the handle (close(), the end
of a ``with`` block, or the Python object going away) drops the reference,
as ``del`` drops a name in Python.
"""

import collections
import ctypes
import errno
import fcntl
import os
import select
import sys
import types
import warnings
import weakref

from . import _lib
from ._lib import call, u32, u64
from .errors import StaleHandle

__all__ = ["Heap", "Object", "WeakRef", "GC", "Event", "ObjectInfo",
           "QueryResult", "CollectResult", "DEV_PATH"]

DEV_PATH = "/dev/mobj"

#: One death notice read from the heap (struct mobj_event).
Event = collections.namedtuple(
    "Event", "cookie id type reason generation lost")

#: MOBJ_INFO's answer; ``tracked``, ``frozen``, ``garbage`` and ``watched``
#: are the MOBJ_STATE_* bits of ``state``.
ObjectInfo = collections.namedtuple(
    "ObjectInfo", "id type refcount data_len nslots generation state "
    "tracked frozen garbage watched")

#: MOBJ_QUERY's answer: the ABI, the limits and the counters.
QueryResult = collections.namedtuple(
    "QueryResult", "abi_version commands data_max slots_max objects_max "
    "client_objects_max client_handles_max live_objects live_handles "
    "client_objects client_handles")

#: What one collection did (MOBJ_GC_COLLECT).
CollectResult = collections.namedtuple(
    "CollectResult", "collected uncollectable examined duration_ns")

_READ_BATCH = 32
_U32_MAX = 0xFFFFFFFF
_INT_MAX = 0x7FFFFFFF


def _u32(value, what):
    """``value`` as a C __u32, never truncated: TypeError for a non-int,
    OverflowError outside 0..2**32-1 (as CPython's own C conversions)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int, not %s"
                        % (what, type(value).__name__))
    if not 0 <= value <= _U32_MAX:
        raise OverflowError("%s %d is out of range 0..%d"
                            % (what, value, _U32_MAX))
    return value


def _fd_arg(fd):
    """``fd`` as a C int file descriptor, never truncated: TypeError for a
    non-int, ValueError when negative, OverflowError past INT_MAX (as
    CPython's own file descriptor arguments)."""
    if not isinstance(fd, int) or isinstance(fd, bool):
        raise TypeError("file descriptor must be an int, not %s"
                        % type(fd).__name__)
    if fd < 0:
        raise ValueError("file descriptor cannot be a negative integer "
                         "(%d)" % fd)
    if fd > _INT_MAX:
        raise OverflowError("file descriptor %d is greater than maximum"
                            % fd)
    return fd


def _unraisable(exc, what, obj):
    """Report an exception nobody can catch, as Python does for __del__."""
    sys.unraisablehook(types.SimpleNamespace(
        exc_type=type(exc), exc_value=exc, exc_traceback=exc.__traceback__,
        err_msg="Exception ignored in " + what, object=obj))


class _Closable:
    """Closed by close(), by a with block, or when dropped."""

    __slots__ = ()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Handle(_Closable):
    """What a strong and a weak handle share: closing, once."""

    __slots__ = ()

    @property
    def closed(self):
        return not self._handle or self._heap.closed

    def close(self):
        """Drop this handle and its reference (DECREF).  Idempotent.

        Only the process that made the handle closes it: in a process
        forked after the handle was made, this only forgets it (the handle
        is the parent's, in the open file both share).  A handle the child
        made itself, even on an inherited Heap, is closed as usual.
        """
        handle, self._handle = self._handle, 0
        if (handle and self._pid == os.getpid()
                and not self._heap.closed):
            call("mobj_handle_close", self._heap._fd, handle)

    def __reduce__(self):
        raise TypeError("cannot pickle %s: a handle means something only "
                        "in its own open file" % type(self).__name__)


class Object(_Handle):
    """A handle to one object on a Heap: a list of slots plus a payload.

    ``a.append(b)``, ``a[i]`` (a new handle), ``a[i] = b``, ``del a[i]``,
    ``len(a)`` and ``a.data`` behave as on a Python list holding bytes.
    Handles compare equal when they name the same object.
    """

    __slots__ = ("_heap", "_handle", "_id", "_pid", "__weakref__")

    def __init__(self, heap, handle, id=None):
        """Wrap handle number ``handle`` of ``heap`` (which this Object now
        owns and closes); the process creating it is the one that will."""
        handle = _u32(handle, "handle")
        self._heap = heap
        self._handle = handle
        self._id = id
        self._pid = os.getpid()

    # The handle's life.

    @property
    def heap(self):
        return self._heap

    @property
    def handle(self):
        """The handle number, meaningful only in this heap's open file."""
        return self._h()

    def _h(self):
        if not self._handle:
            raise ValueError("operation on a closed mobj handle")
        self._heap._check_open()
        return self._handle

    def dup(self):
        """A second handle to the same object (INCREF)."""
        new = u32()
        call("mobj_dup", self._heap._fd, self._h(), ctypes.byref(new))
        return Object(self._heap, new.value, self._id)

    def __copy__(self):
        """copy.copy(): a second handle (dup()), closed on its own."""
        return self.dup()

    def __deepcopy__(self, memo):
        return self.dup()

    def weakref(self):
        """A weak reference to this object (see Heap.weakref)."""
        return self._heap.weakref(self)

    def export(self):
        """A new file descriptor (close-on-exec) that holds one reference
        to this object, for another process: pass it with
        ``socket.send_fds()`` and close it; the receiver calls
        ``Heap.import_(fd)``."""
        fd = ctypes.c_int()
        call("mobj_export", self._heap._fd, self._h(), ctypes.byref(fd))
        return fd.value

    # What the object is.

    def info(self):
        """Everything about the object (MOBJ_INFO), as an ObjectInfo."""
        info = _lib.Info()
        call("mobj_info", self._heap._fd, self._h(), ctypes.byref(info))
        self._id = info.id
        st = info.state
        return ObjectInfo(info.id, info.type, info.refcount, info.data_len,
                          info.nslots, info.generation, st,
                          bool(st & _lib.STATE_TRACKED),
                          bool(st & _lib.STATE_FROZEN),
                          bool(st & _lib.STATE_GARBAGE),
                          bool(st & _lib.STATE_WATCHED))

    @property
    def id(self):
        """The object's id: unique while the module is loaded."""
        if self._id is None:
            self.info()
        return self._id

    @property
    def type(self):
        """The object's type tag."""
        return self.info().type

    @property
    def refcount(self):
        """Handles in every client plus slots referring to the object."""
        return self._heap.getrefcount(self)

    # The payload.

    def read(self, offset=0, size=None):
        """Up to ``size`` bytes of the payload from ``offset`` (all when None)."""
        _u32(offset, "offset")
        if size is not None:
            _u32(size, "size")
        fd, h = self._heap._fd, self._h()
        if size is None:
            want = 256
        else:
            # Never more room than the payload has: no huge buffers.
            want = min(size, max(self.info().data_len - offset, 0))
        while True:
            buf = ctypes.create_string_buffer(max(want, 1))
            total = u32()
            n = call("mobj_data_read", fd, h, offset, buf, want,
                     ctypes.byref(total))
            if size is not None or offset + n >= total.value:
                return buf.raw[:n]
            want = total.value - offset     # longer than guessed: again

    def write(self, data):
        """Replace the payload with ``data`` (bytes-like)."""
        data = bytes(data)
        call("mobj_data_write", self._heap._fd, self._h(), data, len(data))

    @property
    def data(self):
        """The whole payload as bytes; assign to replace it."""
        return self.read()

    @data.setter
    def data(self, value):
        self.write(value)

    # The slots, as a list.

    def _value(self, value):
        if not isinstance(value, Object):
            raise TypeError("mobj slots hold mobj.Object, not %s"
                            % type(value).__name__)
        if value._heap is not self._heap:
            raise ValueError("the object belongs to another mobj.Heap")
        return value._h()

    def _index(self, index):
        if not isinstance(index, int):
            raise TypeError("mobj slot indices must be integers, not %s"
                            % type(index).__name__)
        if index < 0:
            index += len(self)
            if index < 0:
                raise IndexError("mobj slot index out of range")
        if index > _U32_MAX:
            raise IndexError("mobj slot index out of range")
        return index

    def __len__(self):
        return self.info().nslots

    def __bool__(self):
        # A handle is a reference, not a container to test for emptiness.
        return True

    def append(self, value):
        """a.append(b): a new last slot referring to ``value``."""
        call("mobj_slot_append", self._heap._fd, self._h(), self._value(value),
             None)

    def extend(self, values):
        for value in values:
            self.append(value)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        new = u32()
        call("mobj_slot_get", self._heap._fd, self._h(), self._index(index),
             ctypes.byref(new))
        return Object(self._heap, new.value)

    def __setitem__(self, index, value):
        call("mobj_slot_set", self._heap._fd, self._h(), self._index(index),
             self._value(value))

    def __delitem__(self, index):
        call("mobj_slot_pop", self._heap._fd, self._h(), self._index(index))

    def pop(self, index=-1):
        """Remove slot ``index`` and return a handle to what it held."""
        index = self._index(index)
        item = self[index]
        try:
            del self[index]
        except BaseException:
            item.close()
            raise
        return item

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def referents(self):
        """The ids in this object's slots (gc.get_referents)."""
        return self._heap.gc.get_referents(self)

    def referrers(self):
        """The ids of the objects with a slot referring here."""
        return self._heap.gc.get_referrers(self)

    # Identity.

    def __eq__(self, other):
        if not isinstance(other, Object):
            return NotImplemented
        return self._heap is other._heap and self.id == other.id

    def __hash__(self):
        return hash((id(self._heap), self.id))

    def __repr__(self):
        if self.closed:
            return "<mobj.Object (closed)>"
        return "<mobj.Object handle=%d id=%s>" % (
            self._handle, self._id if self._id is not None else "?")


class WeakRef(_Handle):
    """A weak handle: calling it gives a new Object, or None once dead."""

    __slots__ = ("_heap", "_handle", "id", "_pid", "__weakref__")

    def __init__(self, heap, handle, id=None):
        """Wrap weak handle number ``handle`` of ``heap`` (owned and closed
        by this WeakRef, in the process creating it)."""
        handle = _u32(handle, "handle")
        self._heap = heap
        self._handle = handle
        self.id = id
        self._pid = os.getpid()

    def __call__(self):
        if not self._handle:
            raise ValueError("operation on a closed mobj weak reference")
        self._heap._check_open()
        new = u32()
        try:
            call("mobj_weakref_get", self._heap._fd, self._handle,
                 ctypes.byref(new))
        except StaleHandle:
            return None
        return Object(self._heap, new.value, self.id)

    def __copy__(self):
        """copy.copy(): a second weak reference to the same object (the
        kernel duplicates strong handles only): None-calling once dead."""
        obj = self()
        if obj is None:
            raise ValueError("cannot copy a weak reference to a dead object")
        try:
            return obj.weakref()
        finally:
            obj.close()

    def __deepcopy__(self, memo):
        return self.__copy__()

    @property
    def alive(self):
        """Is the object still alive?"""
        obj = self()
        if obj is None:
            return False
        obj.close()
        return True

    def __repr__(self):
        return "<mobj.WeakRef handle=%d id=%s>" % (self._handle, self.id)


class GC:
    """The heap's cycle collector, shaped like Python's gc module.

    The collector and its settings belong to the device: every client of
    the same /dev/mobj sees (and changes) the same ones.
    """

    DEBUG_SAVEALL = _lib.GC_DEBUG_SAVEALL

    def __init__(self, heap):
        # Weak: the heap holds its GC, and must not need Python's cycle
        # collector to be closed once dropped.
        self._heap_ref = weakref.ref(heap)

    @property
    def _heap(self):
        heap = self._heap_ref()
        if heap is None:
            raise ValueError("operation on a closed mobj.Heap")
        return heap

    @property
    def _fd(self):
        heap = self._heap
        heap._check_open()
        return heap._fd

    @staticmethod
    def _generation(generation):
        if not isinstance(generation, int) or isinstance(generation, bool):
            raise TypeError("generation must be an int")
        if not 0 <= generation < _lib.GC_GENERATIONS:
            raise ValueError("invalid generation")
        return generation

    def collect(self, generation=2):
        """Collect generations 0..generation; return the objects freed."""
        return call("mobj_gc_collect", self._fd, self._generation(generation),
                    None)

    def collect_info(self, generation=2):
        """As collect(), with the whole CollectResult."""
        out = _lib.GcCollect()
        call("mobj_gc_collect", self._fd, self._generation(generation),
             ctypes.byref(out))
        return CollectResult(out.collected, out.uncollectable, out.examined,
                             out.duration_ns)

    def _state(self):
        state = _lib.GcState()
        call("mobj_gc_get", self._fd, ctypes.byref(state))
        return state

    def enable(self):
        call("mobj_gc_enable", self._fd)

    def disable(self):
        call("mobj_gc_disable", self._fd)

    def isenabled(self):
        return bool(call("mobj_gc_isenabled", self._fd))

    def get_threshold(self):
        return tuple(self._state().threshold)

    def set_threshold(self, threshold0, threshold1=None, threshold2=None):
        """As gc.set_threshold(): omitted thresholds keep their value."""
        t = list(self._state().threshold)
        t[0] = _u32(threshold0, "threshold0")
        if threshold1 is not None:
            t[1] = _u32(threshold1, "threshold1")
        if threshold2 is not None:
            t[2] = _u32(threshold2, "threshold2")
        call("mobj_gc_set_threshold", self._fd, *t)

    def get_count(self):
        return tuple(self._state().count)

    def get_debug(self):
        return self._state().debug

    def set_debug(self, flags):
        call("mobj_gc_set_debug", self._fd, _u32(flags, "flags"))

    def get_stats(self):
        """One dict per generation, as gc.get_stats(), plus total_ns."""
        stats = _lib.GcStats()
        call("mobj_gc_get_stats", self._fd, ctypes.byref(stats))
        return [{"collections": g.collections, "collected": g.collected,
                 "uncollectable": g.uncollectable, "total_ns": g.total_ns}
                for g in stats.gen]

    def freeze(self):
        """Move every tracked object to the permanent generation."""
        moved = u64()
        call("mobj_gc_freeze", self._fd, ctypes.byref(moved))
        return moved.value

    def unfreeze(self):
        moved = u64()
        call("mobj_gc_unfreeze", self._fd, ctypes.byref(moved))
        return moved.value

    def get_freeze_count(self):
        return self._state().freeze_count

    def is_tracked(self, obj):
        return obj.info().tracked

    def _refs(self, fn, obj):
        fd, h = self._fd, obj._h()
        room = 16
        while True:
            ids = (u64 * room)()
            total = call(fn, fd, h, ids, room)
            if total <= room:
                return list(ids[:total])
            room = total

    def get_referents(self, obj):
        """The ids in ``obj``'s slots, in slot order."""
        return self._refs("mobj_get_referents", obj)

    def get_referrers(self, obj):
        """The ids of the objects with a slot referring to ``obj``."""
        return self._refs("mobj_get_referrers", obj)

    def _garbage(self, flags):
        fd = self._fd
        count = self._state().garbage_count
        handles = (u32 * max(count, 1))()
        filled = u32()
        call("mobj_gc_garbage", fd, handles, count, flags, ctypes.byref(filled))
        return [Object(self._heap, handles[i]) for i in range(filled.value)]

    @property
    def garbage(self):
        """New handles to the objects DEBUG_SAVEALL kept (gc.garbage)."""
        return self._garbage(0)

    def clear_garbage(self):
        """del gc.garbage[:]: drop the list's references."""
        for obj in self._garbage(_lib.GC_GARBAGE_CLEAR):
            obj.close()


class Heap(_Closable):
    """An open /dev/mobj: one client, with its own handles and events.

    Use it as a context manager; closing it drops every handle it holds.
    """

    def __init__(self, path=DEV_PATH):
        self._fd = -1
        fd = _lib.lib().mobj_dev_open_path(os.fsencode(path))
        if fd < 0:
            # FileNotFoundError, PermissionError...: as open() would say.
            raise OSError(-fd, os.strerror(-fd) + (
                " (is mobj.ko loaded?)" if -fd == errno.ENOENT else ""), path)
        self._fd = fd
        self._pid = os.getpid()
        # Events are read only when poll() says so: never block in read().
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL)
                    | os.O_NONBLOCK)
        self.path = path
        self.gc = GC(self)
        self._watchers = {}
        self._next_cookie = 1
        self._loop = None
        #: Death notices dropped because the kernel's queue was full.
        self.events_lost = 0

    # The open file.

    @property
    def closed(self):
        return self._fd < 0

    def _check_open(self):
        if self._fd < 0:
            raise ValueError("operation on a closed mobj.Heap")

    def _mine(self):
        """Was this heap opened by this process (not inherited by fork)?"""
        return self._pid == os.getpid()

    def __reduce__(self):
        raise TypeError("cannot pickle mobj.Heap: an open file")

    def __copy__(self):
        raise TypeError("cannot copy mobj.Heap: open the device again")

    def __deepcopy__(self, memo):
        raise TypeError("cannot copy mobj.Heap: open the device again")

    def fileno(self):
        self._check_open()
        return self._fd

    def close(self):
        """Close the device: every handle and watch of this heap goes."""
        if self._fd < 0:
            return
        self._detach_loop()
        fd, self._fd = self._fd, -1
        for kind, target, _ in self._watchers.values():
            if kind == "future" and not target.done():
                target.cancel()
        self._watchers.clear()
        call("mobj_dev_close", fd)

    def __repr__(self):
        return "<mobj.Heap %s%s>" % (self.path, " (closed)"
                                      if self.closed else "")

    # Objects.

    def new(self, data=b"", type=0):
        """A new object with payload ``data``; its only reference is the
        returned handle."""
        _u32(type, "type")
        data = bytes(data)
        handle, oid = u32(), u64()
        call("mobj_new", self.fileno(), type, data or None, len(data),
             ctypes.byref(handle), ctypes.byref(oid))
        return Object(self, handle.value, oid.value)

    def import_(self, fd):
        """A new handle in this heap for the object that file descriptor
        ``fd`` (made by ``Object.export()``) holds.  ``fd`` stays open.

        ``fd`` is an int file descriptor: TypeError otherwise, ValueError
        when negative, OverflowError past INT_MAX (never truncated)."""
        fd = _fd_arg(fd)
        handle = u32()
        call("mobj_import", self.fileno(), fd, ctypes.byref(handle))
        return Object(self, handle.value)

    def getrefcount(self, obj):
        """sys.getrefcount(): handles in every client plus slots."""
        rc = u64()
        call("mobj_getrefcount", self.fileno(), obj._h(), ctypes.byref(rc))
        return rc.value

    def weakref(self, obj):
        """A WeakRef to ``obj``: it does not keep the object alive."""
        weak = u32()
        call("mobj_weakref", self.fileno(), obj._h(), ctypes.byref(weak))
        return WeakRef(self, weak.value, obj._id)

    def collect(self, gen=2):
        """gc.collect(gen): the number of objects freed."""
        return self.gc.collect(gen)

    def query(self):
        """The ABI, the limits and the counters (MOBJ_QUERY)."""
        q = _lib.Query()
        call("mobj_query", self.fileno(), ctypes.byref(q))
        return QueryResult(q.abi_version, q.commands, q.data_max,
                           q.slots_max, q.objects_max, q.client_objects_max,
                           q.client_handles_max, q.live_objects,
                           q.live_handles, q.client_objects, q.client_handles)

    def supports(self, cmd):
        """Does the loaded module know command number ``cmd``?

        False for any number past the command bitmap; ValueError when
        negative, TypeError for a non-int (as ``x >> cmd`` would say)."""
        if not isinstance(cmd, int):
            raise TypeError("command must be an int, not %s"
                            % type(cmd).__name__)
        if cmd < 0:
            raise ValueError("negative command number %d" % cmd)
        # A right shift: 1 << cmd would build a huge int for a huge cmd.
        return bool((self.query().commands >> cmd) & 1)

    # Type names.

    def set_type_name(self, tag, name):
        """Name type tag ``tag`` for debugfs and tracing ("" removes it).

        ``tag`` is a __u32 (OverflowError outside 0..2**32-1, never
        truncated)."""
        _u32(tag, "tag")
        call("mobj_type_name_set", self.fileno(), tag, name.encode("ascii"))

    def get_type_name(self, tag):
        """The name of type tag ``tag``, "" when it has none.

        ``tag`` is a __u32, range-checked as in set_type_name()."""
        _u32(tag, "tag")
        buf = ctypes.create_string_buffer(_lib.TYPE_NAME_MAX)
        call("mobj_type_name_get", self.fileno(), tag, buf, len(buf))
        return buf.value.decode("ascii")

    # Death notices.

    def watch(self, obj, callback=None, *, loop=None):
        """Ask to be told when ``obj`` dies.

        With ``callback``, ``callback(event)`` is called with an Event once
        the object has died, and the cookie is returned.  Without one, an
        asyncio Future is returned that completes with the Event.

        Events are read through ``loop.add_reader()`` on the heap's file
        descriptor: ``loop``, else the running event loop.  With neither,
        call dispatch_events() (or wait_events()) yourself.
        """
        self._check_open()
        if loop is None and "asyncio" in sys.modules:
            try:
                loop = sys.modules["asyncio"].get_running_loop()
            except RuntimeError:
                loop = None
        if callback is None:
            if loop is None:
                raise RuntimeError("watch() without a callback needs an "
                                   "asyncio event loop")
            kind, target = "future", loop.create_future()
        else:
            kind, target = "callback", callback
        cookie = self._next_cookie
        # A weak handle tells, should notices be lost, whether it died.
        # Kept as a number: a WeakRef would refer back to this heap.
        weak = u32()
        call("mobj_weakref", self._fd, obj._h(), ctypes.byref(weak))
        try:
            call("mobj_watch", self._fd, obj._h(), cookie)
        except BaseException:
            call("mobj_handle_close", self._fd, weak.value)
            raise
        self._next_cookie += 1
        self._watchers[cookie] = (kind, target, (weak.value, obj.id))
        if loop is not None:
            self._attach_loop(loop)
        return cookie if callback is not None else target

    def _attach_loop(self, loop):
        if self._loop is loop:
            return
        self._detach_loop()
        loop.add_reader(self._fd, self.dispatch_events)
        self._loop = loop

    def _detach_loop(self):
        if self._loop is not None:
            if not self._loop.is_closed():
                self._loop.remove_reader(self._fd)
            self._loop = None

    def read_events(self):
        """The death notices queued now (without blocking), as Events."""
        self._check_open()
        out = []
        events = (_lib.Event * _READ_BATCH)()
        while True:
            try:
                n = call("mobj_read_events", self._fd, events, _READ_BATCH)
            except OSError as e:
                if e.errno == errno.EAGAIN:
                    break
                raise
            out.extend(Event(e.cookie, e.id, e.type, e.reason, e.generation,
                             e.lost) for e in events[:n])
            if n < _READ_BATCH:
                break
        return out

    def dispatch_events(self):
        """Read the queued events and run their callbacks; return how many."""
        if self._fd < 0:
            return 0
        events = self.read_events()
        for ev in events:
            if ev.reason == _lib.EVENT_LOST:
                self.events_lost += ev.lost
                warnings.warn("mobj: %d death notices were dropped (the "
                              "events_max queue was full)" % ev.lost,
                              RuntimeWarning, stacklevel=2)
                self._settle_lost()
                continue
            self._deliver(ev)
        if not self._watchers:
            self._detach_loop()
        return len(events)

    def _deliver(self, ev):
        """Complete one watch; a callback's exception is reported (the
        loop's exception handler, else sys.unraisablehook) and does not
        keep the other notices from being delivered."""
        kind, target, weak = self._watchers.pop(ev.cookie, (None, None, None))
        if weak is not None:
            call("mobj_handle_close", self._fd, weak[0])
        if kind == "future":
            if not target.done():
                target.set_result(ev)
        elif kind == "callback":
            try:
                target(ev)
            except Exception as exc:
                if self._loop is not None and not self._loop.is_closed():
                    self._loop.call_exception_handler({
                        "message": "mobj: a death-notice callback raised",
                        "exception": exc, "callback": target})
                else:
                    _unraisable(exc, "mobj death-notice callback %r"
                                % (target,), target)

    def _settle_lost(self):
        """Notices were dropped: every watch whose object is dead now gets
        a notice with reason EVENT_LOST (its own was among them), so that
        no future waits for ever."""
        for cookie, (kind, target, weak) in list(self._watchers.items()):
            strong = u32()
            try:
                call("mobj_weakref_get", self._fd, weak[0],
                     ctypes.byref(strong))
            except StaleHandle:
                self._deliver(Event(cookie, weak[1], 0, _lib.EVENT_LOST, 0,
                                    0))
                continue
            call("mobj_handle_close", self._fd, strong.value)

    def wait_events(self, timeout=None):
        """Wait up to ``timeout`` seconds for events, then dispatch them."""
        self._check_open()
        p = select.poll()
        p.register(self._fd, select.POLLIN)
        if p.poll(None if timeout is None else int(timeout * 1000)):
            return self.dispatch_events()
        return 0
