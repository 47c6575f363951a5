# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""mobj: refcounted kernel objects with a cycle collector, from Python.

    import mobj

    with mobj.Heap() as heap:           # opens /dev/mobj
        a = heap.new(b"1")
        b = heap.new(b"2")
        a.append(b)
        b.append(a)                     # a reference cycle
        heap.getrefcount(a)             # 2: the handle and b's slot
        a.close(); b.close()            # del a, b: the cycle leaks...
        heap.collect()                  # ...until the collector frees it: 2

Pure Python, standard library only: every command is an ioctl() on a
ctypes copy of its <linux/mobj.h> struct (no libmobj.so is loaded).
Errors are OSError subclasses carrying the errno (mobj.errors).
``python -m mobj`` prints the version and whether the device can be used.
"""

from ._lib import (EVENT_CYCLE, EVENT_GC_START, EVENT_GC_STOP, EVENT_LOST,
                   EVENT_REFCOUNT, GC_DEBUG_SAVEALL as DEBUG_SAVEALL)
from .batch import Batch, BatchEntry
from .errors import (InvalidArgument, LimitExceeded, MobjError, NameTaken,
                     NoSuchHandle, NotPermitted, NotSupported, ObjectDead,
                     PayloadTooLarge, SlotIndexError, StaleHandle,
                     TooManySlots)
from .heap import (DEV_PATH, GC, CollectResult, Event, EventStream, Heap,
                   Object, ObjectInfo, QueryResult, Reason, WeakRef)


def _version() -> str:
    try:            # written by the build backend, or by "make install"
        from ._version import VERSION  # type: ignore[import]
        return str(VERSION)
    except ImportError:
        pass
    import os                       # the source tree: ../../VERSION
    try:
        with open(os.path.join(os.path.dirname(__file__), "..", "..",
                               "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return "unknown"


__version__ = _version()

__all__ = [
    "Heap", "Object", "WeakRef", "GC", "Event", "EventStream", "Reason",
    "Batch", "BatchEntry", "ObjectInfo", "QueryResult", "CollectResult",
    "DEV_PATH", "DEBUG_SAVEALL", "EVENT_REFCOUNT", "EVENT_CYCLE",
    "EVENT_LOST", "EVENT_GC_START", "EVENT_GC_STOP", "MobjError", "NoSuchHandle", "InvalidArgument",
    "SlotIndexError", "PayloadTooLarge", "TooManySlots", "LimitExceeded",
    "StaleHandle", "ObjectDead", "NotSupported", "NotPermitted",
    "NameTaken",
]
