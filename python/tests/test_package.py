# SPDX-License-Identifier: GPL-2.0
"""The package as pip installed it: from the venv, typed, documented, with
``python -m mobj``, and talking to the device without any C library."""

import importlib.metadata
import inspect
import os
import subprocess
import sys
import sysconfig
import unittest

from common import DEV, HeapTest, mobj

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))


def inside(path, directory):
    path, directory = os.path.realpath(path), os.path.realpath(directory)
    return os.path.commonpath([path, directory]) == directory


class TestInstalled(unittest.TestCase):

    def test_imported_from_the_venv(self):
        # selftests/mobj_python runs us with a venv's python, from a
        # directory outside the source tree: the mobj imported must be
        # the one pip installed there, never python/mobj.
        self.assertNotEqual(sys.prefix, sys.base_prefix, "not in a venv")
        purelib = sysconfig.get_paths()["purelib"]
        self.assertTrue(inside(mobj.__file__, purelib),
                        "%s is not in %s" % (mobj.__file__, purelib))
        self.assertTrue(inside(mobj.__file__, sys.prefix))
        self.assertFalse(inside(mobj.__file__, TOP), mobj.__file__)
        self.assertFalse(inside(os.getcwd(), TOP), os.getcwd())

    def test_metadata(self):
        with open(os.path.join(TOP, "VERSION")) as f:
            version = f.read().strip()
        self.assertEqual(mobj.__version__, version)
        self.assertEqual(importlib.metadata.version("mobj"), version)
        files = {str(p) for p in importlib.metadata.files("mobj")}
        for name in ("__init__.py", "__main__.py", "_lib.py", "batch.py",
                     "errors.py", "heap.py", "objgraph.py", "py.typed",
                     "_version.py"):
            self.assertIn("mobj/" + name, files)
        self.assertTrue(os.path.exists(os.path.join(
            os.path.dirname(mobj.__file__), "py.typed")))

    def test_every_public_method_documented(self):
        missing = []
        for name in mobj.__all__:
            obj = getattr(mobj, name)
            if not inspect.isclass(obj):
                continue
            if not obj.__doc__:
                missing.append(name)
            for attr, value in vars(obj).items():
                if attr.startswith("_") and attr not in (
                        "__init__", "__call__", "__getitem__",
                        "__setitem__", "__delitem__", "__len__",
                        "__iter__", "__anext__"):
                    continue
                if isinstance(value, property):
                    doc = value.fget.__doc__
                elif inspect.isfunction(value) or isinstance(
                        value, (staticmethod, classmethod)):
                    doc = getattr(value, "__func__", value).__doc__
                else:
                    continue
                if not doc:
                    missing.append("%s.%s" % (name, attr))
        self.assertEqual(missing, [], "public methods without a docstring")

    def test_every_public_method_annotated(self):
        missing = []
        for cls in (mobj.Heap, mobj.Object, mobj.WeakRef, mobj.GC,
                    mobj.EventStream, mobj.Batch, mobj.BatchEntry):
            for attr, value in vars(cls).items():
                if attr.startswith("_") and attr != "__init__":
                    continue
                fn = value.fget if isinstance(value, property) else value
                if not inspect.isfunction(fn):
                    continue
                ann = fn.__annotations__
                params = [p for p in inspect.signature(fn).parameters
                          if p not in ("self", "cls")]
                if attr != "__init__" and "return" not in ann:
                    missing.append("%s.%s -> ?" % (cls.__name__, attr))
                for p in params:
                    if p not in ann and p not in ("exc", "memo"):
                        missing.append("%s.%s(%s)" % (cls.__name__, attr, p))
        self.assertEqual(missing, [], "public methods without type hints")


class TestNoCLibrary(HeapTest):

    def test_no_shared_library_loaded(self):
        # Every command is fcntl.ioctl() on a ctypes struct: libmobj.so
        # need not be installed, and is never loaded.
        a = self.heap.new(b"x")
        a.append(a)
        self.assertEqual(self.heap.getrefcount(a), 2)
        a.close()
        self.assertEqual(self.heap.collect(), 1)
        with open("/proc/self/maps") as f:
            maps = f.read()
        self.assertNotIn("libmobj", maps)


class TestMain(unittest.TestCase):

    def run_main(self, *args, **kw):
        return subprocess.run([sys.executable, "-m", "mobj"] + list(args),
                              capture_output=True, text=True, timeout=120,
                              cwd="/", **kw)

    def test_device_usable(self):
        if not os.path.exists(DEV):
            self.skipTest("%s missing: is mobj.ko loaded?" % DEV)
        proc = self.run_main(DEV)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[0], "mobj %s (%s)" % (
            mobj.__version__, os.path.dirname(mobj.__file__)))
        self.assertEqual(lines[1], "module: loaded")
        self.assertRegex(lines[2], r"^device %s: open, ABI 1, module "
                         r"\d+\.\d+\.\d+, \d+ live objects$" % DEV)

    def test_device_missing(self):
        proc = self.run_main("/nonexistent/mobj")
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("device /nonexistent/mobj: missing", proc.stdout)
        self.assertEqual(proc.stderr, "")

    def test_device_not_openable(self):
        # A user the device's mode (0600, root) shuts out: the module is
        # loaded, the device exists, it just cannot be opened by them.
        if os.geteuid() != 0:
            self.skipTest("needs root to become another user")
        if not os.path.exists(DEV):
            self.skipTest("%s missing: is mobj.ko loaded?" % DEV)
        if os.stat(DEV).st_mode & 0o006:
            self.skipTest("%s is open to everyone" % DEV)
        proc = self.run_main(DEV, preexec_fn=lambda: os.setuid(65534))
        self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
        self.assertIn("module: loaded", proc.stdout)
        self.assertIn("device %s: exists, not openable by uid 65534"
                      % DEV, proc.stdout)


if __name__ == "__main__":
    unittest.main()
