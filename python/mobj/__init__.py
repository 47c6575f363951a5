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

Errors are OSError subclasses carrying the errno (mobj.errors).  The
library used is libmobj.so.1 (set MOBJ_LIBRARY to choose another one).
"""

from ._lib import (EVENT_CYCLE, EVENT_LOST, EVENT_REFCOUNT,
                   GC_DEBUG_SAVEALL as DEBUG_SAVEALL)
from .errors import (InvalidArgument, LimitExceeded, MobjError, NameTaken,
                     NoSuchHandle, NotPermitted, NotSupported, ObjectDead,
                     PayloadTooLarge, SlotIndexError, StaleHandle,
                     TooManySlots)
from .heap import (DEV_PATH, GC, CollectResult, Event, Heap, Object,
                   ObjectInfo, QueryResult, WeakRef)

try:
    from ._paths import VERSION as __version__
except ImportError:
    import os as _os
    try:
        with open(_os.path.join(_os.path.dirname(__file__), "..", "..",
                                "VERSION")) as _f:
            __version__ = _f.read().strip()
    except OSError:
        __version__ = "unknown"

__all__ = [
    "Heap", "Object", "WeakRef", "GC", "Event", "ObjectInfo", "QueryResult",
    "CollectResult", "DEV_PATH", "DEBUG_SAVEALL", "EVENT_REFCOUNT",
    "EVENT_CYCLE", "EVENT_LOST", "MobjError", "NoSuchHandle",
    "InvalidArgument", "SlotIndexError", "PayloadTooLarge", "TooManySlots",
    "LimitExceeded", "StaleHandle", "ObjectDead", "NotSupported",
    "NotPermitted", "NameTaken",
]
