# SPDX-License-Identifier: GPL-2.0
"""The ctypes structs and constants against the C compiler's <linux/mobj.h>.

Compiles a file of _Static_assert()s, one per struct size, field offset,
command number and constant that mobj._lib mirrors: it compiles only when
every value matches, and the compiler names each one that does not.
Needs a C compiler; the header is the source tree's uapi/ (or
$MOBJ_UAPI_INCLUDE, e.g. an installed include directory).  The ioctl
request numbers fcntl.ioctl() is given are checked the same way.
"""

import ctypes
import os
import re
import shutil
import subprocess
import unittest

from common import mobj

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
UAPI = os.environ.get("MOBJ_UAPI_INCLUDE", os.path.join(TOP, "uapi"))

COMMANDS = ["QUERY", "NOP", "NEW", "DUP", "CLOSE", "GETREFCOUNT", "INFO",
            "DATA_READ", "DATA_WRITE", "SLOT_APPEND", "SLOT_SET", "SLOT_GET",
            "SLOT_POP", "GC_COLLECT", "GC_GET", "GC_SET", "GC_STATS",
            "GC_FREEZE", "GC_GARBAGE", "REFERENTS", "REFERRERS", "WATCH",
            "WEAKREF", "WEAKREF_GET", "TYPE_NAME", "BATCH", "EXPORT",
            "IMPORT", "GC_LEAKS", "TYPE_COUNTS"]

CONSTANTS = ["MOBJ_ABI_VERSION", "MOBJ_GC_GENERATIONS", "MOBJ_STATE_TRACKED",
             "MOBJ_STATE_FROZEN", "MOBJ_STATE_GARBAGE", "MOBJ_STATE_WATCHED",
             "MOBJ_GC_DEBUG_SAVEALL", "MOBJ_GC_GARBAGE_CLEAR",
             "MOBJ_EVENT_REFCOUNT", "MOBJ_EVENT_CYCLE", "MOBJ_EVENT_LOST",
             "MOBJ_TYPE_NAME_MAX", "MOBJ_TYPE_NAME_GET", "MOBJ_TYPE_COUNTS_ALL",
             "MOBJ_GC_SET_ENABLED",
             "MOBJ_GC_SET_THRESHOLD", "MOBJ_GC_SET_DEBUG", "MOBJ_GC_UNFREEZE",
             "MOBJ_BATCH_MAX", "MOBJ_BATCH_RESULT_FLAG", "MOBJ_WATCH_CANCEL",
             "MOBJ_WATCH_GC", "MOBJ_EVENT_GC_START", "MOBJ_EVENT_GC_STOP"]



def program(want):
    """C that only compiles when every value in ``want`` matches."""
    lines = ["#include <linux/mobj.h>"]
    for key, value in want.items():
        if key.endswith(".sizeof"):
            expr = "sizeof(struct %s)" % key[:-len(".sizeof")]
        elif "." in key:
            expr = "__builtin_offsetof(struct %s, %s)" % tuple(key.split("."))
        else:
            expr = "(unsigned long)(%s)" % key
        lines.append('_Static_assert(%s == %dUL, "mobj._lib: %s is not %d");'
                     % (expr, value, key, value))
    return "\n".join(lines) + "\n"


def python_view():
    want = {}
    lib = mobj._lib
    for cname, cls in lib.UAPI_STRUCTS.items():
        want[cname + ".sizeof"] = ctypes.sizeof(cls)
        for fname, _ in cls._fields_:
            want["%s.%s" % (cname, fname)] = getattr(cls, fname).offset
    for cmd in COMMANDS:
        want["MOBJ_CMD_" + cmd] = getattr(lib, "CMD_" + cmd)
    for const in CONSTANTS:
        want[const] = getattr(lib, const[len("MOBJ_"):])
    # The ioctl request numbers fcntl.ioctl() is given.
    want.update(lib.IOCTLS)
    want["MOBJ_BATCH_RESULT(7)"] = lib.BATCH_RESULT(7)
    want["MOBJ_TYPE"] = lib.IOCTL_TYPE
    return want


class TestAbi(unittest.TestCase):

    def test_structs_and_constants(self):
        cc = os.environ.get("CC", "cc")
        if not shutil.which(cc):
            self.skipTest("no C compiler (%s)" % cc)
        # Compile only (one cc1, no assembler, linker or run): the test
        # VM runs compilers slowly.
        proc = subprocess.run([cc, "-fsyntax-only", "-I", UAPI, "-x", "c",
                               "-"], input=program(python_view()),
                              capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_every_command_mirrored(self):
        # One struct per command struct of the header, one ioctl request
        # per command: the package needs no C library (test_package.py
        # checks that none is loaded).
        lib = mobj._lib
        self.assertEqual(set(lib.COMMAND_NAMES.values()), set(COMMANDS))
        self.assertEqual(set(lib.IOCTLS), {"MOBJ_" + c for c in COMMANDS})
        with open(os.path.join(UAPI, "linux", "mobj.h")) as f:
            header = f.read()
        structs = set(re.findall(r"^struct (mobj_\w+) \{", header, re.M))
        self.assertEqual(structs, set(lib.UAPI_STRUCTS))


if __name__ == "__main__":
    unittest.main()
