# SPDX-License-Identifier: GPL-2.0
"""``with heap.batch() as b:``: operations queued, one MOBJ_BATCH on exit."""

import errno
import fcntl
import unittest

from common import DEV, HeapTest, mobj


class CountIoctls:
    """Counts the ioctl() requests the package makes, by request number."""

    def __enter__(self):
        self.requests = []
        self.saved = fcntl.ioctl

        def counting(fd, request, *args):
            self.requests.append(request)
            return self.saved(fd, request, *args)
        fcntl.ioctl = counting
        return self

    def __exit__(self, *exc):
        fcntl.ioctl = self.saved


class TestBatch(HeapTest):

    def test_cycle_in_one_call(self):
        heap = self.heap
        with CountIoctls() as calls:
            with heap.batch() as b:
                a = b.new(type=3)
                c = b.new(type=3)
                b.append(a, c)
                b.append(c, a)
                rc = b.getrefcount(a)
                self.assertEqual(calls.requests, [])    # only queued
        self.assertEqual(calls.requests, [mobj._lib.IOCTLS["MOBJ_BATCH"]])
        self.assertEqual(len(b), 5)
        self.assertEqual(b.done, 5)
        self.assertIsNone(b.error)
        self.assertTrue(all(e.done and e.error is None for e in b.entries))
        a, c, rc = a.result, c.result, rc.result
        self.assertIsInstance(a, mobj.Object)
        self.assertEqual(rc, 2)
        self.assertEqual(b.results[4], 2)
        self.assertEqual((a.type, len(a), len(c)), (3, 1, 1))
        with a[0] as first:
            self.assertEqual(first, c)
        self.assertEqual(a.referents(), [c.id])
        a.close()
        c.close()
        self.assertEqual(heap.collect(), 2)

    def test_error_per_entry(self):
        heap = self.heap
        before = self.live()
        with heap.batch(check=False) as b:
            a = b.new()
            g = b.get(a, 5)              # a has no slot 5: ERANGE
            n = b.new()
        self.assertEqual(b.done, 1)
        self.assertTrue(a.done)
        self.assertIsInstance(a.result, mobj.Object)
        # The failing entry: its own error, as the C API reports it.
        self.assertFalse(g.done)
        self.assertIsInstance(g.error, mobj.SlotIndexError)
        self.assertEqual(g.error.errno, errno.ERANGE)
        self.assertEqual(g.error.batch_index, 1)
        self.assertIs(b.error, g.error)
        with self.assertRaises(mobj.SlotIndexError):
            g.result
        # After it: nothing ran.
        self.assertFalse(n.done)
        self.assertIsNone(n.error)
        with self.assertRaisesRegex(RuntimeError, "earlier entry failed"):
            n.result
        self.assertEqual(b.results, [a.result, None, None])
        self.assertEqual(self.live(), before + 1)
        a.result.close()
        self.assertEqual(self.live(), before)

    def test_error_raised_on_exit(self):
        with self.assertRaises(IndexError) as cm:
            with self.heap.batch() as b:
                x = b.new()
                b.pop(x, 0)
                b.new()
        self.assertIsInstance(cm.exception, mobj.SlotIndexError)
        self.assertEqual(cm.exception.batch_index, 1)
        self.assertIn("MOBJ_SLOT_POP", cm.exception.filename)
        self.assertEqual(b.done, 1)
        x.result.close()           # what ran stands

    def test_kernel_errors_by_entry(self):
        a = self.heap.new()
        w = a.weakref()
        with self.assertRaises(mobj.InvalidArgument) as cm:
            with self.heap.batch() as b:
                b.getrefcount(a)
                b.dup(w)               # a weak handle: EINVAL
        self.assertEqual(cm.exception.batch_index, 1)
        self.assertEqual(b.entries[0].result, 1)
        w.close()
        a.close()

    def test_dup_close_and_results(self):
        heap = self.heap
        obj = heap.new(b"d")
        with heap.batch() as b:
            d = b.dup(obj)
            b.close(obj)
            rc = b.getrefcount(d)
            e = b.new()
            b.close(e)                 # made and dropped in the batch
        self.assertTrue(obj.closed)    # its handle went in the batch
        self.assertEqual(rc.result, 1)
        self.assertIsNone(e.result)    # closed by a later entry
        with d.result as again:
            self.assertEqual(again.data, b"d")
        self.assertEqual(heap.query().client_handles, 0)

    def test_closed_operand_refused(self):
        # A handle number closed by an entry may be the next entry's new
        # handle: the closed operand cannot be used again in the batch.
        heap = self.heap
        obj = heap.new(b"c")
        other = heap.new(b"o")
        b = heap.batch()
        e = b.dup(obj)
        b.close(e)
        with self.assertRaisesRegex(ValueError, "closed by entry 1"):
            b.close(e)
        b.close(other)
        with self.assertRaisesRegex(ValueError, "closed by entry 2"):
            b.getrefcount(other)
        again = b.dup(obj)
        b.run()
        self.assertTrue(other.closed)
        self.assertIsNone(e.result)
        self.assertEqual(again.result.refcount, 2)
        again.result.close()
        obj.close()

    def test_slots_by_result(self):
        heap = self.heap
        parent = heap.new(b"p")
        with heap.batch() as b:
            kids = [b.new(type=i) for i in range(4)]
            for k in kids:
                b.append(parent, k)
            b.set(parent, 0, kids[3])
            got = b.get(parent, 0)
            b.pop(parent, 3)
            for k in kids:
                b.close(k)
        self.assertEqual(len(parent), 3)
        self.assertEqual(got.result.type, 3)
        self.assertEqual([k.type for k in parent], [3, 1, 2])
        got.result.close()
        parent.close()

    def test_abandoned_on_exception(self):
        before = self.live()
        with self.assertRaises(KeyError):
            with self.heap.batch() as b:
                x = b.new()
                raise KeyError("no")
        self.assertEqual(self.live(), before)
        self.assertFalse(x.done)
        with self.assertRaisesRegex(RuntimeError, "did not run"):
            x.result
        with self.assertRaises(RuntimeError):
            b.run()

    def test_validation(self):
        heap = self.heap
        a = heap.new()
        other = mobj.Heap(DEV)
        self.addCleanup(other.close)
        o = other.new()
        b = heap.batch()
        with self.assertRaises(TypeError):
            b.append(a, 5)
        with self.assertRaises(IndexError):
            b.get(a, -1)
        with self.assertRaises(IndexError):
            b.get(a, 2**32)
        with self.assertRaises(OverflowError):
            b.new(type=2**32 + 7)
        with self.assertRaises(ValueError):
            b.append(a, o)             # another heap's object
        with self.assertRaises(ValueError):
            b.append(a, other.batch().new())   # another batch's entry
        pop = b.pop(a, 0)
        with self.assertRaises(ValueError):
            b.append(a, pop)           # makes no handle
        self.assertEqual(len(b), 1)
        for _ in range(mobj._lib.BATCH_MAX - 1):
            b.getrefcount(a)
        with self.assertRaises(ValueError):
            b.getrefcount(a)           # MOBJ_BATCH_MAX entries at most
        empty = heap.batch()
        self.assertEqual(empty.run(), [])
        with self.assertRaises(RuntimeError):
            empty.run()
        o.close()
        a.close()

    def test_batch_max_entries(self):
        heap = self.heap
        a = heap.new()
        with heap.batch() as b:
            for _ in range(mobj._lib.BATCH_MAX):
                b.getrefcount(a)
        self.assertEqual(b.results, [1] * mobj._lib.BATCH_MAX)
        a.close()


if __name__ == "__main__":
    unittest.main()
