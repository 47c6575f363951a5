# SPDX-License-Identifier: GPL-2.0
"""The binding behaves like Python: range checks, lifetime, copy, pickle,
fork, and death notices that a failing callback does not lose."""

import asyncio
import copy
import gc as pygc
import os
import pickle
import sys
import unittest

from common import DEV, HeapTest, mobj

PARAM = "/sys/module/mobj/parameters/events_max"


class TestRanges(HeapTest):

    def test_read_negative_or_huge_size(self):
        a = self.heap.new(b"x")
        # -1 was passed as 0xFFFFFFFF for a 1-byte buffer: a crash.
        with self.assertRaises(OverflowError):
            a.read(0, -1)
        with self.assertRaises(OverflowError):
            a.read(-1, 1)
        with self.assertRaises(OverflowError):
            a.read(0, 2 ** 32)
        self.assertEqual(a.read(0, 10 ** 6), b"x")
        self.assertEqual(a.read(1, 5), b"")
        a.close()

    def test_u32_never_truncated(self):
        a = self.heap.new()
        b = self.heap.new()
        a.append(b)
        with self.assertRaises(IndexError):
            a[2 ** 32]                   # was slot 0
        with self.assertRaises(IndexError):
            a[2 ** 32] = b
        with self.assertRaises(OverflowError):
            self.heap.new(type=2 ** 32 + 7)
        with self.assertRaises(OverflowError):
            self.heap.new(type=-1)
        with self.assertRaises(ValueError):
            self.heap.gc.collect(2 ** 32 + 1)   # was generation 1
        with self.assertRaises(ValueError):
            self.heap.gc.collect(3)
        before = self.heap.gc.get_threshold()
        with self.assertRaises(OverflowError):
            self.heap.gc.set_threshold(-1)      # was 4294967295
        with self.assertRaises(OverflowError):
            self.heap.gc.set_debug(2 ** 32)
        self.assertEqual(self.heap.gc.get_threshold(), before)
        self.assertEqual(self.live(), 2)
        a.close()
        b.close()

    def test_type_tag_fd_and_command_never_truncated(self):
        # A type tag was passed to ctypes as __u32: 2**32+4243 named 4243.
        self.heap.set_type_name(4243, "py.tag")
        try:
            for tag in (2 ** 32 + 4243, -1):
                with self.assertRaises(OverflowError):
                    self.heap.set_type_name(tag, "py.wrong")
                with self.assertRaises(OverflowError):
                    self.heap.get_type_name(tag)
            with self.assertRaises(TypeError):
                self.heap.get_type_name(4243.0)
            self.assertEqual(self.heap.get_type_name(4243), "py.tag")
        finally:
            self.heap.set_type_name(4243, "")
        # An fd was passed as a C int: 2**32+fd imported fd.
        a = self.heap.new(b"i")
        fd = a.export()
        try:
            with self.assertRaises(OverflowError):
                self.heap.import_(2 ** 32 + fd)
            with self.assertRaises(ValueError):
                self.heap.import_(-2 ** 32 + fd)
            with self.assertRaises(TypeError):
                self.heap.import_(float(fd))
            self.assertEqual(a.refcount, 2)     # only the exported fd's
        finally:
            os.close(fd)
        # A handle number given to the constructors.
        with self.assertRaises(OverflowError):
            mobj.Object(self.heap, 2 ** 32 + a.handle)
        with self.assertRaises(OverflowError):
            mobj.WeakRef(self.heap, -1)
        # supports(): no huge 1 << cmd, no negative shift.
        self.assertFalse(self.heap.supports(2 ** 62))
        self.assertTrue(self.heap.supports(0))
        with self.assertRaises(ValueError):
            self.heap.supports(-1)
        a.close()


class TestLifetime(HeapTest):

    def test_dropped_heap_closes_at_once(self):
        pygc.disable()
        try:
            heap = mobj.Heap(DEV)
            fd = heap.fileno()
            os.fstat(fd)
            del heap                    # no cycle: refcounting closes it
            with self.assertRaises(OSError):
                os.fstat(fd)
        finally:
            pygc.enable()

    def test_copy_is_dup_and_pickle_refused(self):
        a = self.heap.new(b"c")
        b = copy.copy(a)
        self.assertEqual(a.refcount, 2)
        self.assertNotEqual(a.handle, b.handle)
        b.close()                       # closing the copy keeps the original
        self.assertEqual(a.refcount, 1)
        c = copy.deepcopy(a)
        self.assertEqual(c.data, b"c")
        c.close()
        w = a.weakref()
        w2 = copy.copy(w)
        self.assertTrue(w2.alive)
        for thing in (a, w, self.heap):
            with self.assertRaises(TypeError):
                pickle.dumps(thing)
        with self.assertRaises(TypeError):
            copy.copy(self.heap)
        w2.close()
        w.close()
        a.close()

    def test_forked_child_does_not_close_parents_handles(self):
        a = self.heap.new(b"p")

        def child():
            nonlocal a
            del a
            pygc.collect()

        self.assertChildOk(self.fork(child))
        self.assertEqual(a.refcount, 1)
        self.assertEqual(a.data, b"p")
        a.close()

    def test_forked_child_closes_its_own_handles(self):
        # The child shares the parent's open file: what it makes there it
        # must close there, or the handles stay until the parent closes.
        a = self.heap.new(b"p")
        before = self.live()

        def child():
            b = self.heap.new(b"child")
            c = copy.copy(a)
            w = a.weakref()
            for h in (b, c, w):
                h.close()

        self.assertChildOk(self.fork(child))
        self.assertEqual(self.live(), before)
        self.assertEqual(a.refcount, 1)
        self.assertEqual(self.heap.query().client_handles, 1)
        a.close()


class TestNotices(HeapTest):

    def test_raising_callback_loses_nothing(self):
        heap = self.heap
        seen, reported = [], []
        objs = [heap.new() for _ in range(3)]

        def bad(ev):
            raise RuntimeError("callback failed")

        heap.watch(objs[0], bad)
        heap.watch(objs[1], seen.append)
        heap.watch(objs[2], seen.append)
        old_hook = sys.unraisablehook
        sys.unraisablehook = reported.append
        try:
            for o in objs:
                o.close()
            self.assertEqual(heap.wait_events(timeout=5), 3)
        finally:
            sys.unraisablehook = old_hook
        self.assertEqual(len(seen), 2)
        self.assertEqual(len(reported), 1)
        self.assertIsInstance(reported[0].exc_value, RuntimeError)

    def test_lost_notices_resolve_futures(self):
        with open(PARAM) as f:
            saved = f.read().strip()
        with open(PARAM, "w") as f:
            f.write("1")
        # The ring is sized when a heap first watches: a heap of its own.
        heap = mobj.Heap(DEV)
        try:
            async def scenario():
                objs = [heap.new() for _ in range(3)]
                futs = [heap.watch(o) for o in objs]
                with self.assertWarns(RuntimeWarning):
                    for o in objs:
                        o.close()
                    heap.dispatch_events()
                done, pending = await asyncio.wait(futs, timeout=10)
                self.assertEqual(pending, set())
                reasons = sorted(f.result().reason for f in futs)
                self.assertEqual(reasons, [mobj.EVENT_REFCOUNT,
                                           mobj.EVENT_LOST,
                                           mobj.EVENT_LOST])
            asyncio.run(scenario())
        finally:
            heap.close()
            with open(PARAM, "w") as f:
                f.write(saved)


if __name__ == "__main__":
    unittest.main()
