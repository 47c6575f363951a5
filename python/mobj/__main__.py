# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""``python -m mobj [DEVICE]``: the package's version and the device's state.

Prints where the package is, whether the module is loaded
(/sys/module/mobj), whether DEVICE (default /dev/mobj) exists and can be
opened, and, when it can, the module's ABI and release.  Exit status 0
when the device could be opened, 1 otherwise.
"""

import errno
import os
import sys
from typing import List, Optional

from . import DEV_PATH, Heap, __version__, _lib


def _release(code: int) -> str:
    return "%d.%d.%d" % (code >> 16, (code >> 8) & 0xFF, code & 0xFF)


def main(argv: Optional[List[str]] = None) -> int:
    """Print the version and the device status; 0 when usable."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print("usage: python -m mobj [DEVICE]")
        return 0
    path = args[0] if args else DEV_PATH
    print("mobj %s (%s)" % (__version__, os.path.dirname(__file__)))
    loaded = os.path.isdir("/sys/module/mobj")
    print("module: %s" % ("loaded" if loaded else "not loaded"))
    try:
        heap = Heap(path)
    except OSError as e:
        if e.errno == errno.ENOENT:
            why = "missing" + ("" if loaded else " (load mobj.ko)")
        elif e.errno in (errno.EACCES, errno.EPERM):
            why = "exists, not openable by uid %d: %s" % (
                os.geteuid(), os.strerror(e.errno))
        else:
            why = "not openable: %s" % os.strerror(e.errno)
        print("device %s: %s" % (path, why))
        return 1
    with heap:
        q = _lib.query(heap.fileno())
        print("device %s: open, ABI %d, module %s, %d live objects"
              % (path, q.abi_version, _release(q.version), q.live_objects))
    return 0


if __name__ == "__main__":
    sys.exit(main())
