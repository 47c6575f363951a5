# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Heap, Object, WeakRef and the collector: Python's memory model on /dev/mobj.

An open /dev/mobj is a Heap.  Each Object is one handle, which owns one
strong reference to a kernel object; closing the handle (close(), the end
of a ``with`` block, or the Python object going away) drops the reference,
as ``del`` drops a name in Python.
"""

from __future__ import annotations

import collections
import enum
import errno
import os
import select
import sys
import types
import warnings
import weakref
from typing import (TYPE_CHECKING, Any, Callable, Deque, Dict, Iterable,
                    Iterator, List, NamedTuple, Optional, TextIO, Tuple,
                    Union)

from . import _lib
from .errors import InvalidArgument, NoSuchHandle, StaleHandle

if TYPE_CHECKING:
    import asyncio

    from .batch import Batch

__all__ = ["Heap", "Object", "WeakRef", "GC", "Event", "EventStream",
           "Reason", "ObjectInfo", "QueryResult", "CollectResult",
           "DEV_PATH"]

DEV_PATH = "/dev/mobj"


class Reason(enum.IntEnum):
    """Why an object died: struct mobj_event's ``reason`` (MOBJ_EVENT_*)."""

    #: Its refcount reached zero.
    REFCOUNT = _lib.EVENT_REFCOUNT
    #: The cycle collector freed it.
    CYCLE = _lib.EVENT_CYCLE
    #: Notices were dropped (the events_max queue was full): the raw record
    #: carries how many in ``lost``; a watched object found dead afterwards
    #: gets a notice with this reason instead of its own.
    LOST = _lib.EVENT_LOST
    #: A collection started (a record for ``gc.callbacks``, see GC).
    GC_START = _lib.EVENT_GC_START
    #: A collection ended.
    GC_STOP = _lib.EVENT_GC_STOP


def _reason(value: int) -> Union[Reason, int]:
    """``value`` as a Reason; a reason a later module added stays an int."""
    try:
        return Reason(value)
    except ValueError:
        return value


class Event(NamedTuple):
    """One death notice read from the heap (struct mobj_event)."""

    cookie: int
    id: int
    type: int
    reason: Union[Reason, int]
    generation: int
    lost: int


class ObjectInfo(NamedTuple):
    """MOBJ_INFO's answer; ``tracked``, ``frozen``, ``garbage`` and
    ``watched`` are the MOBJ_STATE_* bits of ``state``."""

    id: int
    type: int
    refcount: int
    data_len: int
    nslots: int
    generation: int
    state: int
    tracked: bool
    frozen: bool
    garbage: bool
    watched: bool


class QueryResult(NamedTuple):
    """MOBJ_QUERY's answer: the ABI, the limits and the counters."""

    abi_version: int
    commands: int
    data_max: int
    slots_max: int
    objects_max: int
    client_objects_max: int
    client_handles_max: int
    live_objects: int
    live_handles: int
    client_objects: int
    client_handles: int


class CollectResult(NamedTuple):
    """What one collection did (MOBJ_GC_COLLECT)."""

    collected: int
    uncollectable: int
    examined: int
    duration_ns: int


_READ_BATCH = 32
_U32_MAX = 0xFFFFFFFF
_INT_MAX = 0x7FFFFFFF


def _u32(value: Any, what: str) -> int:
    """``value`` as a C __u32, never truncated: TypeError for a non-int,
    OverflowError outside 0..2**32-1 (as CPython's own C conversions)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("%s must be an int, not %s"
                        % (what, type(value).__name__))
    if not 0 <= value <= _U32_MAX:
        raise OverflowError("%s %d is out of range 0..%d"
                            % (what, value, _U32_MAX))
    return value


def _fd_arg(fd: Any) -> int:
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


def _running_loop() -> Optional[asyncio.AbstractEventLoop]:
    """The running asyncio loop, if asyncio is in use and one runs."""
    if "asyncio" not in sys.modules:
        return None
    try:
        return sys.modules["asyncio"].get_running_loop()  # type: ignore
    except RuntimeError:
        return None


def _unraisable(exc: BaseException, what: str, obj: Any) -> None:
    """Report an exception nobody can catch, as Python does for __del__."""
    sys.unraisablehook(types.SimpleNamespace(  # type: ignore[arg-type]
        exc_type=type(exc), exc_value=exc, exc_traceback=exc.__traceback__,
        err_msg="Exception ignored in " + what, object=obj))


class _Closable:
    """Closed by close(), by a with block, or when dropped."""

    __slots__ = ()

    def close(self) -> None:
        raise NotImplementedError

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _Handle(_Closable):
    """What a strong and a weak handle share: closing, once."""

    __slots__ = ("_heap", "_handle", "_pid", "__weakref__")
    _heap: Heap
    _handle: int
    _pid: int

    @property
    def closed(self) -> bool:
        """Is the handle (or its heap) closed?"""
        return not self._handle or self._heap.closed

    def close(self) -> None:
        """Drop this handle and its reference (DECREF).  Idempotent.

        Only the process that made the handle closes it: in a process
        forked after the handle was made, this only forgets it (the handle
        is the parent's, in the open file both share).  A handle the child
        made itself, even on an inherited Heap, is closed as usual.
        """
        handle, self._handle = self._handle, 0
        if (handle and self._pid == os.getpid()
                and not self._heap.closed):
            _lib.close(self._heap._fd, handle)

    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle %s: a handle means something only "
                        "in its own open file" % type(self).__name__)


class Object(_Handle):
    """A handle to one object on a Heap: a list of slots plus a payload.

    ``a.append(b)``, ``a[i]`` (a new handle), ``a[i] = b``, ``del a[i]``,
    ``len(a)`` and ``a.data`` behave as on a Python list holding bytes.
    Handles compare equal when they name the same object.
    """

    __slots__ = ("_id",)

    def __init__(self, heap: Heap, handle: int, id: Optional[int] = None):
        """Wrap handle number ``handle`` of ``heap`` (which this Object now
        owns and closes); the process creating it is the one that will."""
        handle = _u32(handle, "handle")
        self._heap = heap
        self._handle = handle
        self._id = id
        self._pid = os.getpid()

    # The handle's life.

    @property
    def heap(self) -> Heap:
        """The Heap (open file) this handle belongs to."""
        return self._heap

    @property
    def handle(self) -> int:
        """The handle number, meaningful only in this heap's open file."""
        return self._h()

    def _h(self) -> int:
        if not self._handle:
            raise ValueError("operation on a closed mobj handle")
        self._heap._check_open()
        return self._handle

    def dup(self) -> Object:
        """A second handle to the same object (INCREF)."""
        return Object(self._heap, _lib.dup(self._heap._fd, self._h()),
                      self._id)

    def __copy__(self) -> Object:
        """copy.copy(): a second handle (dup()), closed on its own."""
        return self.dup()

    def __deepcopy__(self, memo: Any) -> Object:
        """copy.deepcopy(): as copy.copy(), a second handle."""
        return self.dup()

    def weakref(self) -> WeakRef:
        """A weak reference to this object (see Heap.weakref)."""
        return self._heap.weakref(self)

    def export(self) -> int:
        """A new file descriptor (close-on-exec) that holds one reference
        to this object, for another process: pass it with
        ``socket.send_fds()`` and close it; the receiver calls
        ``Heap.import_(fd)``."""
        return _lib.export(self._heap._fd, self._h())

    # What the object is.

    def info(self) -> ObjectInfo:
        """Everything about the object (MOBJ_INFO), as an ObjectInfo."""
        info = _lib.info(self._heap._fd, self._h())
        self._id = info.id
        st = info.state
        return ObjectInfo(info.id, info.type, info.refcount, info.data_len,
                          info.nslots, info.generation, st,
                          bool(st & _lib.STATE_TRACKED),
                          bool(st & _lib.STATE_FROZEN),
                          bool(st & _lib.STATE_GARBAGE),
                          bool(st & _lib.STATE_WATCHED))

    @property
    def id(self) -> int:
        """The object's id: unique while the module is loaded."""
        if self._id is None:
            self.info()
        assert self._id is not None
        return self._id

    @property
    def type(self) -> int:
        """The object's type tag."""
        return self.info().type

    @property
    def refcount(self) -> int:
        """Handles in every client plus slots referring to the object."""
        return self._heap.getrefcount(self)

    # The payload.

    def read(self, offset: int = 0, size: Optional[int] = None) -> bytes:
        """Up to ``size`` bytes of the payload from ``offset`` (all when
        None).  Both are __u32s, range-checked, never truncated."""
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
            data, total = _lib.data_read(fd, h, offset, want)
            if size is not None or offset + len(data) >= total:
                return data
            want = total - offset           # longer than guessed: again

    def write(self, data: bytes) -> None:
        """Replace the payload with ``data`` (bytes-like)."""
        _lib.data_write(self._heap._fd, self._h(), bytes(data))

    @property
    def data(self) -> bytes:
        """The whole payload as bytes; assign to replace it."""
        return self.read()

    @data.setter
    def data(self, value: bytes) -> None:
        self.write(value)

    # The slots, as a list.

    def _value(self, value: Any) -> int:
        if not isinstance(value, Object):
            raise TypeError("mobj slots hold mobj.Object, not %s"
                            % type(value).__name__)
        if value._heap is not self._heap:
            raise ValueError("the object belongs to another mobj.Heap")
        return value._h()

    def _index(self, index: Any) -> int:
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

    def __len__(self) -> int:
        """len(a): the number of slots."""
        return self.info().nslots

    def __bool__(self) -> bool:
        # A handle is a reference, not a container to test for emptiness.
        return True

    def append(self, value: Object) -> None:
        """a.append(b): a new last slot referring to ``value``."""
        _lib.slot(self._heap._fd, _lib.CMD_SLOT_APPEND, self._h(),
                  value=self._value(value))

    def extend(self, values: Iterable[Object]) -> None:
        """a.extend(values): append each of ``values`` in turn."""
        for value in values:
            self.append(value)

    def __getitem__(self, index: Union[int, slice]) -> Any:
        """a[i]: a new handle to what slot ``i`` refers to (a list of new
        handles for a slice)."""
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        out = _lib.slot(self._heap._fd, _lib.CMD_SLOT_GET, self._h(),
                        self._index(index))
        return Object(self._heap, out.value)

    def __setitem__(self, index: int, value: Object) -> None:
        """a[i] = b: slot ``i`` refers to ``value``; the old one is
        dropped."""
        _lib.slot(self._heap._fd, _lib.CMD_SLOT_SET, self._h(),
                  self._index(index), self._value(value))

    def __delitem__(self, index: int) -> None:
        """del a[i]: drop slot ``i``; the later slots move down."""
        _lib.slot(self._heap._fd, _lib.CMD_SLOT_POP, self._h(),
                  self._index(index))

    def pop(self, index: int = -1) -> Object:
        """Remove slot ``index`` and return a handle to what it held."""
        index = self._index(index)
        item: Object = self[index]
        try:
            del self[index]
        except BaseException:
            item.close()
            raise
        return item

    def __iter__(self) -> Iterator[Object]:
        """A new handle to each slot's object, in slot order."""
        for i in range(len(self)):
            yield self[i]

    def referents(self) -> List[int]:
        """The ids in this object's slots (gc.get_referents)."""
        return self._heap.gc.get_referents(self)

    def referrers(self) -> List[int]:
        """The ids of the objects with a slot referring here."""
        return self._heap.gc.get_referrers(self)

    # Identity.

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Object):
            return NotImplemented
        return self._heap is other._heap and self.id == other.id

    def __hash__(self) -> int:
        return hash((id(self._heap), self.id))

    def __repr__(self) -> str:
        if self.closed:
            return "<mobj.Object (closed)>"
        return "<mobj.Object handle=%d id=%s>" % (
            self._handle, self._id if self._id is not None else "?")


class WeakRef(_Handle):
    """A weak handle: calling it gives a new Object, or None once dead."""

    __slots__ = ("id",)

    def __init__(self, heap: Heap, handle: int, id: Optional[int] = None):
        """Wrap weak handle number ``handle`` of ``heap`` (owned and closed
        by this WeakRef, in the process creating it)."""
        handle = _u32(handle, "handle")
        self._heap = heap
        self._handle = handle
        self.id = id
        self._pid = os.getpid()

    def __call__(self) -> Optional[Object]:
        """A new strong handle to the object, or None once it has died."""
        if not self._handle:
            raise ValueError("operation on a closed mobj weak reference")
        self._heap._check_open()
        try:
            new = _lib.weakref_get(self._heap._fd, self._handle)
        except StaleHandle:
            return None
        return Object(self._heap, new, self.id)

    def __copy__(self) -> WeakRef:
        """copy.copy(): a second weak reference to the same object (the
        kernel duplicates strong handles only): None-calling once dead."""
        obj = self()
        if obj is None:
            raise ValueError("cannot copy a weak reference to a dead object")
        try:
            return obj.weakref()
        finally:
            obj.close()

    def __deepcopy__(self, memo: Any) -> WeakRef:
        """copy.deepcopy(): as copy.copy()."""
        return self.__copy__()

    @property
    def alive(self) -> bool:
        """Is the object still alive?"""
        obj = self()
        if obj is None:
            return False
        obj.close()
        return True

    def __repr__(self) -> str:
        return "<mobj.WeakRef handle=%d id=%s>" % (self._handle, self.id)


class _Callbacks(list):  # type: ignore[type-arg]
    """GC.callbacks: a list whose emptiness the kernel follows.  The heap
    watches the collector (MOBJ_WATCH_GC) while the list holds anything;
    a change the kernel refuses (a module without MOBJ_WATCH_GC) is
    undone and raises."""

    def __init__(self, heap: Heap):
        super().__init__()
        self._heap_ref = weakref.ref(heap)

    def _sync(self) -> None:
        heap = self._heap_ref()
        if heap is not None:
            heap._gc_watch(bool(self))


def _callbacks_mutator(name: str) -> Callable[..., Any]:
    method = getattr(list, name)

    def mutate(self: _Callbacks, *args: Any) -> Any:
        before = list(self)
        result = method(self, *args)
        try:
            self._sync()
        except BaseException:
            list.__init__(self, before)
            raise
        return result

    mutate.__name__ = name
    mutate.__doc__ = method.__doc__
    return mutate


for _name in ("append", "extend", "insert", "remove", "pop", "clear",
              "__setitem__", "__delitem__", "__iadd__", "__imul__"):
    setattr(_Callbacks, _name, _callbacks_mutator(_name))
del _name


class GC:
    """The heap's cycle collector, shaped like Python's gc module.

    The collector and its settings belong to the device: every client of
    the same /dev/mobj sees (and changes) the same ones.

    ``callbacks`` is gc.callbacks: callables called as ``callback(phase,
    info)`` around every collection of the device (any client's, and the
    automatic ones), ``phase`` "start" or "stop", ``info`` a dict of
    ``generation`` (the oldest collected), ``collected`` and
    ``uncollectable`` (0 at the start).  The kernel queues the records on
    the heap's event queue while the list is not empty (MOBJ_WATCH_GC);
    they are delivered with the death notices, by dispatch_events() (a
    running asyncio loop's reader when the list was filled in one, or
    wait_events()), and by collect() at once for its own collection.  A
    full queue drops records (see Heap.events_lost).
    """

    DEBUG_SAVEALL = _lib.GC_DEBUG_SAVEALL

    def __init__(self, heap: Heap):
        """The collector of ``heap``'s device, reached through ``heap``."""
        # Weak: the heap holds its GC, and must not need Python's cycle
        # collector to be closed once dropped.
        self._heap_ref = weakref.ref(heap)
        self.callbacks: List[Callable[[str, Dict[str, int]], Any]] = \
            _Callbacks(heap)

    @property
    def _heap(self) -> Heap:
        heap = self._heap_ref()
        if heap is None:
            raise ValueError("operation on a closed mobj.Heap")
        return heap

    @property
    def _fd(self) -> int:
        heap = self._heap
        heap._check_open()
        return heap._fd

    @staticmethod
    def _generation(generation: Any) -> int:
        if not isinstance(generation, int) or isinstance(generation, bool):
            raise TypeError("generation must be an int")
        if not 0 <= generation < _lib.GC_GENERATIONS:
            raise ValueError("invalid generation")
        return generation

    def collect(self, generation: int = 2) -> int:
        """Collect generations 0..generation; return the objects freed."""
        return self.collect_info(generation).collected

    def collect_info(self, generation: int = 2) -> CollectResult:
        """As collect(), with the whole CollectResult."""
        out = _lib.gc_collect(self._fd, self._generation(generation))
        heap = self._heap
        if heap._gc_watching:
            heap.dispatch_events()   # the callbacks, as gc.collect() does
        return CollectResult(out.collected, out.uncollectable, out.examined,
                             out.duration_ns)

    def _state(self) -> _lib.GcState:
        return _lib.gc_get(self._fd)

    def enable(self) -> None:
        """gc.enable(): automatic collection on (needs CAP_SYS_ADMIN)."""
        _lib.gc_set(self._fd, _lib.GC_SET_ENABLED, enabled=1)

    def disable(self) -> None:
        """gc.disable(): automatic collection off (needs CAP_SYS_ADMIN)."""
        _lib.gc_set(self._fd, _lib.GC_SET_ENABLED, enabled=0)

    def isenabled(self) -> bool:
        """gc.isenabled(): is automatic collection on?"""
        return bool(self._state().enabled)

    def get_threshold(self) -> Tuple[int, ...]:
        """gc.get_threshold(): the three generations' thresholds."""
        return tuple(self._state().threshold)

    def set_threshold(self, threshold0: int,
                      threshold1: Optional[int] = None,
                      threshold2: Optional[int] = None) -> None:
        """As gc.set_threshold(): omitted thresholds keep their value."""
        t = list(self._state().threshold)
        t[0] = _u32(threshold0, "threshold0")
        if threshold1 is not None:
            t[1] = _u32(threshold1, "threshold1")
        if threshold2 is not None:
            t[2] = _u32(threshold2, "threshold2")
        _lib.gc_set(self._fd, _lib.GC_SET_THRESHOLD,
                    threshold=(t[0], t[1], t[2]))

    def get_count(self) -> Tuple[int, ...]:
        """gc.get_count(): the three generations' counts."""
        return tuple(self._state().count)

    def get_debug(self) -> int:
        """gc.get_debug(): the DEBUG_* flags."""
        return self._state().debug

    def set_debug(self, flags: int) -> None:
        """gc.set_debug(flags), e.g. mobj.DEBUG_SAVEALL."""
        _lib.gc_set(self._fd, _lib.GC_SET_DEBUG, debug=_u32(flags, "flags"))

    def get_stats(self) -> List[Dict[str, Union[int, float]]]:
        """One dict per generation, as CPython 3.15's gc.get_stats():
        collections, collected, uncollectable, candidates (objects the
        collections of that generation examined) and duration (seconds
        spent in them); plus total_ns, the same time in nanoseconds."""
        stats = _lib.gc_stats(self._fd)
        return [{"collections": g.collections, "collected": g.collected,
                 "uncollectable": g.uncollectable,
                 "candidates": stats.candidates[i],
                 "duration": g.total_ns / 1e9, "total_ns": g.total_ns}
                for i, g in enumerate(stats.gen)]

    def freeze(self) -> int:
        """Move every tracked object to the permanent generation."""
        return _lib.gc_freeze(self._fd, 0)

    def unfreeze(self) -> int:
        """Move the permanent generation back into generation 2."""
        return _lib.gc_freeze(self._fd, _lib.GC_UNFREEZE)

    def get_freeze_count(self) -> int:
        """gc.get_freeze_count(): objects in the permanent generation."""
        return self._state().freeze_count

    def is_tracked(self, obj: Object) -> bool:
        """gc.is_tracked(obj): does the collector see ``obj``?"""
        return obj.info().tracked

    def _refs(self, cmd: int, obj: Object) -> List[int]:
        fd, h = self._fd, obj._h()
        room = 16
        while True:
            total, ids = _lib.refs(fd, cmd, h, room)
            if total <= room:
                return ids
            room = total

    def get_referents(self, obj: Object) -> List[int]:
        """The ids in ``obj``'s slots, in slot order."""
        return self._refs(_lib.CMD_REFERENTS, obj)

    def get_referrers(self, obj: Object) -> List[int]:
        """The ids of the objects with a slot referring to ``obj``."""
        return self._refs(_lib.CMD_REFERRERS, obj)

    def get_leaking_objects(self) -> List[int]:
        """objgraph.get_leaking_objects(): the ids of the objects the next
        full collection would free (kept alive only by reference cycles),
        found by a collection that frees nothing.  Without CAP_SYS_ADMIN,
        only the objects this client created."""
        room = 64
        while True:
            total, ids = _lib.gc_leaks(self._fd, room)
            if total <= room:
                return ids
            room = total

    def _garbage(self, flags: int) -> List[Object]:
        fd = self._fd
        count = self._state().garbage_count
        handles = _lib.gc_garbage(fd, count, flags)
        return [Object(self._heap, h) for h in handles]

    @property
    def garbage(self) -> List[Object]:
        """New handles to the objects DEBUG_SAVEALL kept (gc.garbage)."""
        return self._garbage(0)

    def clear_garbage(self) -> None:
        """del gc.garbage[:]: drop the list's references."""
        for obj in self._garbage(_lib.GC_GARBAGE_CLEAR):
            obj.close()


class EventStream:
    """``async for event in heap.events():`` the heap's death notices, in
    the order they are read, as Events.

    Every notice delivered to a watch (a callback's, a future's) is also
    given to every open stream; so is each raw EVENT_LOST record (cookie
    0, ``lost`` dropped notices).  The heap's descriptor is read through
    ``loop.add_reader()`` while watches are pending.  The stream ends
    (StopAsyncIteration) when the heap is closed or the stream's close()
    (or ``aclose()``, or the end of an ``async with`` block) is called;
    until then it waits for the next notice.  A stream made before the
    notices it should see were read: make it before closing the objects.
    """

    def __init__(self, heap: Heap):
        """A stream of ``heap``'s notices from now on (see Heap.events)."""
        heap._check_open()
        self._heap: Optional[Heap] = heap
        self._queue: Deque[Event] = collections.deque()
        self._waiter: Optional[asyncio.Future[None]] = None
        heap._streams.add(self)

    def _push(self, ev: Event) -> None:
        self._queue.append(ev)
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    @property
    def closed(self) -> bool:
        """Has the stream ended (closed, or its heap closed)?"""
        return self._heap is None

    def close(self) -> None:
        """Stop streaming: notices already queued are still returned, then
        the iteration ends."""
        heap, self._heap = self._heap, None
        if heap is not None:
            heap._streams.discard(self)
        self._wake()

    async def aclose(self) -> None:
        """As close(), for ``contextlib.aclosing()``."""
        self.close()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> Event:
        """The next notice; waits for one while the stream is open."""
        import asyncio
        while not self._queue:
            heap = self._heap
            if heap is None or heap.closed:
                self.close()
                raise StopAsyncIteration
            loop = asyncio.get_running_loop()
            if heap._watchers:
                heap._attach_loop(loop)
            # Notices read before we attached: dispatch them now.
            heap.dispatch_events()
            if self._queue:
                break
            self._waiter = loop.create_future()
            await self._waiter
        return self._queue.popleft()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self.close()

    def get_nowait(self) -> Optional[Event]:
        """The next notice already queued, or None (never waits)."""
        return self._queue.popleft() if self._queue else None


class Heap(_Closable):
    """An open /dev/mobj: one client, with its own handles and events.

    Use it as a context manager; closing it drops every handle it holds.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]"] = DEV_PATH):
        """Open the device at ``path`` (O_RDWR, close-on-exec,
        non-blocking): FileNotFoundError when it is missing (is mobj.ko
        loaded?), PermissionError when its mode forbids it."""
        self._fd = -1
        try:
            fd = _lib.dev_open(os.fspath(path))
        except OSError as e:
            # FileNotFoundError, PermissionError...: as open() would say.
            raise OSError(e.errno, os.strerror(e.errno) + (
                " (is mobj.ko loaded?)" if e.errno == errno.ENOENT else ""),
                os.fspath(path)) from None
        self._fd = fd
        self._pid = os.getpid()
        self.path = os.fspath(path)
        self.gc = GC(self)
        self._watchers: Dict[int, Tuple[str, Any, Tuple[int, int]]] = {}
        self._streams: "weakref.WeakSet[EventStream]" = weakref.WeakSet()
        self._next_cookie = 1
        self._gc_watching = False
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        #: Death notices dropped because the kernel's queue was full.
        self.events_lost = 0
        # show_growth()'s peaks: type tag -> the most objects seen.
        self._peak_stats: Dict[int, int] = {}
        try:
            q = _lib.query(fd)
        except BaseException:
            self.close()        # not a mobj device, or worse
            raise
        # The record sizes of this module (0 from a module too old to say).
        self._event_size: int = q.event_size
        self._batch_op_size: int = q.batch_op_size

    # The open file.

    @property
    def closed(self) -> bool:
        """Is the device closed?"""
        return self._fd < 0

    def _check_open(self) -> None:
        if self._fd < 0:
            raise ValueError("operation on a closed mobj.Heap")

    def _mine(self) -> bool:
        """Was this heap opened by this process (not inherited by fork)?"""
        return self._pid == os.getpid()

    def __reduce__(self) -> Any:
        raise TypeError("cannot pickle mobj.Heap: an open file")

    def __copy__(self) -> Heap:
        raise TypeError("cannot copy mobj.Heap: open the device again")

    def __deepcopy__(self, memo: Any) -> Heap:
        raise TypeError("cannot copy mobj.Heap: open the device again")

    def fileno(self) -> int:
        """The device's file descriptor (for select, poll, add_reader)."""
        self._check_open()
        return self._fd

    def close(self) -> None:
        """Close the device: every handle and watch of this heap goes;
        pending futures are cancelled and event streams end."""
        if self._fd < 0:
            return
        self._detach_loop()
        self._gc_watching = False
        fd, self._fd = self._fd, -1
        for kind, target, _ in self._watchers.values():
            if kind == "future" and not target.done():
                target.cancel()
        self._watchers.clear()
        for stream in list(self._streams):
            stream.close()
        os.close(fd)

    def __repr__(self) -> str:
        return "<mobj.Heap %s%s>" % (self.path, " (closed)"
                                      if self.closed else "")

    # Objects.

    def new(self, data: bytes = b"", type: int = 0) -> Object:
        """A new object with payload ``data``; its only reference is the
        returned handle."""
        _u32(type, "type")
        handle, oid = _lib.new(self.fileno(), type, bytes(data))
        return Object(self, handle, oid)

    def import_(self, fd: int) -> Object:
        """A new handle in this heap for the object that file descriptor
        ``fd`` (made by ``Object.export()``) holds.  ``fd`` stays open.

        ``fd`` is an int file descriptor: TypeError otherwise, ValueError
        when negative, OverflowError past INT_MAX (never truncated)."""
        fd = _fd_arg(fd)
        return Object(self, _lib.import_(self.fileno(), fd))

    def getrefcount(self, obj: Object) -> int:
        """sys.getrefcount(): handles in every client plus slots."""
        return _lib.getrefcount(self.fileno(), obj._h())

    def weakref(self, obj: Object) -> WeakRef:
        """A WeakRef to ``obj``: it does not keep the object alive."""
        weak = _lib.weakref(self.fileno(), obj._h())
        return WeakRef(self, weak, obj._id)

    def collect(self, gen: int = 2) -> int:
        """gc.collect(gen): the number of objects freed."""
        return self.gc.collect(gen)

    def query(self) -> QueryResult:
        """The ABI, the limits and the counters (MOBJ_QUERY)."""
        q = _lib.query(self.fileno())
        return QueryResult(q.abi_version, q.commands, q.data_max,
                           q.slots_max, q.objects_max, q.client_objects_max,
                           q.client_handles_max, q.live_objects,
                           q.live_handles, q.client_objects, q.client_handles)

    def supports(self, cmd: int) -> bool:
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

    def batch(self, *, check: bool = True) -> Batch:
        """A Batch: ``with heap.batch() as b:`` queues operations and runs
        them in one MOBJ_BATCH when the block ends (see mobj.Batch)."""
        from .batch import Batch
        return Batch(self, check=check)

    # Type names.

    def set_type_name(self, tag: int, name: str) -> None:
        """Name type tag ``tag`` for debugfs and tracing ("" removes it).

        ``tag`` is a __u32 (OverflowError outside 0..2**32-1, never
        truncated)."""
        _u32(tag, "tag")
        _lib.type_name_set(self.fileno(), tag, name.encode("ascii"))

    def get_type_name(self, tag: int) -> str:
        """The name of type tag ``tag``, "" when it has none.

        ``tag`` is a __u32, range-checked as in set_type_name()."""
        _u32(tag, "tag")
        return _lib.type_name_get(self.fileno(), tag).decode("ascii")

    def get_type_tag(self, name: str) -> Optional[int]:
        """The type tag named ``name``, None when no tag has that name.

        InvalidArgument for a name no tag could have (empty, 32 characters
        or more, or outside [A-Za-z0-9_.:<>-])."""
        return _lib.type_name_lookup(self.fileno(), name.encode("ascii"))

    # objgraph's views of this client's objects (mobj.objgraph).

    def type_counts(self, *, all: bool = False) -> List[Tuple[int, int]]:
        """(type tag, live objects) of the objects this heap created, most
        first (MOBJ_TYPE_COUNTS).  ``all=True``: every object of the
        device, which needs CAP_SYS_ADMIN (PermissionError)."""
        from . import objgraph
        return objgraph.type_counts(self, all=all)

    def most_common_types(self, limit: Optional[int] = 10, *,
                          all: bool = False) -> List[Tuple[str, int]]:
        """objgraph.most_common_types(): (type name, count) of the
        ``limit`` most common types of this heap's objects; the name is
        the one set with set_type_name(), else "type<tag>"."""
        from . import objgraph
        return objgraph.most_common_types(self, limit, all=all)

    def show_most_common_types(self, limit: Optional[int] = 10, *,
                               all: bool = False,
                               file: Optional[TextIO] = None) -> None:
        """Print most_common_types(), one aligned line per type."""
        from . import objgraph
        objgraph.show_most_common_types(self, limit, all=all, file=file)

    def growth(self, limit: Optional[int] = 10,
               peak_stats: Optional[Dict[int, int]] = None, *,
               all: bool = False) -> List[Tuple[str, int, int]]:
        """objgraph.growth(): (name, count, increase) of the types whose
        count rose above its peak since the last call (peaks kept on this
        Heap unless ``peak_stats`` is given)."""
        from . import objgraph
        if peak_stats is None:
            peak_stats = self._peak_stats
        return objgraph.growth(self, limit, peak_stats, all=all)

    def show_growth(self, limit: Optional[int] = 10,
                    peak_stats: Optional[Dict[int, int]] = None, *,
                    all: bool = False,
                    file: Optional[TextIO] = None) -> None:
        """objgraph.show_growth(): print growth() as name, count, +delta,
        aligned; nothing when no type grew."""
        from . import objgraph
        if peak_stats is None:
            peak_stats = self._peak_stats
        objgraph.show_growth(self, limit, peak_stats, all=all, file=file)

    def find_backref_chain(self, obj: Object,
                           predicate: Callable[[int], bool],
                           max_depth: int = 20,
                           roots: Iterable[Object] = ()) -> List[int]:
        """objgraph.find_backref_chain(): ids [root, ..., obj.id] with
        ``predicate(root)`` true, each referring to the next; [obj.id]
        when none within ``max_depth``.  The walk goes on only through
        referrers reachable from ``roots`` (see mobj.objgraph)."""
        from . import objgraph
        return objgraph.find_backref_chain(self, obj, predicate, max_depth,
                                           roots)

    def show_refs(self, objs: Iterable[Object], max_depth: int = 3,
                  filename: Optional[str] = None, too_many: int = 10,
                  file: Optional[TextIO] = None) -> Optional[str]:
        """objgraph.show_refs(): what ``objs`` refer to, as Graphviz
        (.dot, or .png/.svg/.pdf through ``dot``)."""
        from . import objgraph
        return objgraph.show_refs(self, objs, max_depth, filename, too_many,
                                  file)

    def show_backrefs(self, objs: Iterable[Object], max_depth: int = 3,
                      filename: Optional[str] = None, too_many: int = 10,
                      roots: Iterable[Object] = (),
                      file: Optional[TextIO] = None) -> Optional[str]:
        """objgraph.show_backrefs(): what refers to ``objs``, drawn like
        show_refs(); referrers not reachable from ``roots`` or ``objs``
        are shown by id, dashed, and not expanded."""
        from . import objgraph
        return objgraph.show_backrefs(self, objs, max_depth, filename,
                                      too_many, roots, file)

    # Death notices.

    def watch(self, obj: Object,
              callback: Optional[Callable[[Event], Any]] = None, *,
              loop: Optional[asyncio.AbstractEventLoop] = None) -> Any:
        """Ask to be told when ``obj`` dies.

        With ``callback``, ``callback(event)`` is called with an Event once
        the object has died, and the cookie is returned.  Without one, an
        asyncio Future is returned that completes with the Event.  Either
        way the Event also goes to every stream of events().

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
        kind: str
        target: Any
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
        weak = _lib.weakref(self._fd, obj._h())
        try:
            _lib.watch(self._fd, obj._h(), cookie)
        except BaseException:
            _lib.close(self._fd, weak)
            raise
        self._next_cookie += 1
        self._watchers[cookie] = (kind, target, (weak, obj.id))
        if loop is not None:
            self._attach_loop(loop)
        return cookie if callback is not None else target

    def unwatch(self, watch: Any) -> bool:
        """Forget a watch: ``watch`` is the cookie watch() returned for a
        callback, or the future it returned.  The callback is not called,
        the future is cancelled, streams do not see the notice.  False
        when no such watch is pending (already delivered or forgotten).

        The kernel's watch is taken back too (MOBJ_WATCH_CANCEL): it no
        longer counts in client_watches_max.  A module without that flag
        keeps it until the object dies, and its notice is dropped here.
        """
        if isinstance(watch, int) and not isinstance(watch, bool):
            cookie: Optional[int] = watch
        else:
            cookie = next((c for c, (kind, target, _)
                           in self._watchers.items()
                           if kind == "future" and target is watch), None)
        entry = self._watchers.pop(cookie, None) \
            if cookie is not None else None
        if entry is None:
            return False
        kind, target, weak = entry
        if not self.closed:
            self._cancel_watch(weak[0], cookie)
            _lib.close(self._fd, weak[0])
        if kind == "future" and not target.done():
            target.cancel()
        return True

    def _cancel_watch(self, weak: int, cookie: int) -> None:
        # A strong handle for the command, while the object lives; once
        # dead its notice is on its way, and dispatch drops it.
        try:
            strong = _lib.weakref_get(self._fd, weak)
        except StaleHandle:
            return
        try:
            _lib.unwatch(self._fd, strong, cookie)
        except (InvalidArgument, NoSuchHandle):
            pass    # an older module (EINVAL), or delivered meanwhile
        finally:
            _lib.close(self._fd, strong)

    def _gc_watch(self, want: bool) -> None:
        """Watch the collector (gc.callbacks not empty), or stop."""
        if want == self._gc_watching or self.closed:
            return
        if want:
            _lib.gc_watch(self._fd, 0)
            self._gc_watching = True
            loop = _running_loop()
            if loop is not None:
                self._attach_loop(loop)
            return
        self._gc_watching = False
        try:
            _lib.gc_unwatch(self._fd)
        except NoSuchHandle:
            pass

    def _gc_event(self, ev: Event) -> None:
        """Call gc.callbacks with one start or stop record; a callback's
        exception is reported as a death-notice callback's is."""
        stop = ev.reason == _lib.EVENT_GC_STOP
        info = {"generation": ev.generation,
                "collected": ev.id if stop else 0,
                "uncollectable": ev.lost if stop else 0}
        phase = "stop" if stop else "start"
        for callback in list(self.gc.callbacks):
            try:
                callback(phase, dict(info))
            except Exception as exc:
                if self._loop is not None and not self._loop.is_closed():
                    self._loop.call_exception_handler({
                        "message": "mobj: a gc.callbacks callback raised",
                        "exception": exc, "callback": callback})
                else:
                    _unraisable(exc, "mobj gc callback %r" % (callback,),
                                callback)

    def events(self) -> EventStream:
        """``async for event in heap.events():`` every death notice read
        from now on, as it is read (see EventStream)."""
        return EventStream(self)

    def _attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._loop is loop:
            return
        self._detach_loop()
        loop.add_reader(self._fd, self.dispatch_events)
        self._loop = loop

    def _detach_loop(self) -> None:
        if self._loop is not None:
            if not self._loop.is_closed():
                self._loop.remove_reader(self._fd)
            self._loop = None

    def read_events(self) -> List[Event]:
        """The death notices queued now (without blocking), as Events."""
        self._check_open()
        out: List[Event] = []
        while True:
            records = _lib.read_events(self._fd, _READ_BATCH,
                                       self._event_size)
            out.extend(Event(e.cookie, e.id, e.type, _reason(e.reason),
                             e.generation, e.lost) for e in records)
            if len(records) < _READ_BATCH:
                break
        return out

    def dispatch_events(self) -> int:
        """Read the queued events, run their callbacks, complete their
        futures and feed the streams; return how many were read."""
        if self._fd < 0:
            return 0
        events = self.read_events()
        for ev in events:
            if ev.reason == _lib.EVENT_LOST:
                self.events_lost += ev.lost
                for stream in list(self._streams):
                    stream._push(ev)
                warnings.warn("mobj: %d death notices were dropped (the "
                              "events_max queue was full)" % ev.lost,
                              RuntimeWarning, stacklevel=2)
                self._settle_lost()
                continue
            if ev.reason in (_lib.EVENT_GC_START, _lib.EVENT_GC_STOP):
                self._gc_event(ev)
                continue
            self._deliver(ev)
        if not self._watchers and not self._gc_watching:
            self._detach_loop()
        return len(events)

    def _deliver(self, ev: Event) -> None:
        """Complete one watch; a callback's exception is reported (the
        loop's exception handler, else sys.unraisablehook) and does not
        keep the other notices from being delivered."""
        entry = self._watchers.pop(ev.cookie, None)
        if entry is None:
            return              # unwatched: nobody wants it
        kind, target, weak = entry
        _lib.close(self._fd, weak[0])
        for stream in list(self._streams):
            stream._push(ev)
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

    def _settle_lost(self) -> None:
        """Notices were dropped: every watch whose object is dead now gets
        a notice with reason EVENT_LOST (its own was among them), so that
        no future waits for ever."""
        for cookie, (kind, target, weak) in list(self._watchers.items()):
            try:
                strong = _lib.weakref_get(self._fd, weak[0])
            except StaleHandle:
                self._deliver(Event(cookie, weak[1], 0, Reason.LOST, 0, 0))
                continue
            _lib.close(self._fd, strong)

    def wait_events(self, timeout: Optional[float] = None) -> int:
        """Wait up to ``timeout`` seconds for events, then dispatch them."""
        self._check_open()
        p = select.poll()
        p.register(self._fd, select.POLLIN)
        if p.poll(None if timeout is None else int(timeout * 1000)):
            return self.dispatch_events()
        return 0
