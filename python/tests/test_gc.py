# SPDX-License-Identifier: GPL-2.0
"""The cycle collector through heap.gc, and the seed scenario."""

import sys
import unittest

from common import DEV, HeapTest, mobj


class TestCollector(HeapTest):

    def test_seed_cycle(self):
        heap = self.heap
        start = heap.query().live_objects
        a = heap.new(b"1", type=1)
        b = heap.new(b"2", type=1)
        a.append(b)
        b.append(a)
        self.assertEqual((heap.getrefcount(a), heap.getrefcount(b)), (2, 2))
        a.close()
        b.close()
        self.assertEqual(heap.query().live_objects, start + 2)  # leaked
        self.assertEqual(heap.collect(), 2)
        self.assertEqual(heap.query().live_objects, start)

    def test_self_reference_and_triangle(self):
        heap = self.heap
        s = heap.new()
        s.append(s)
        x, y, z = heap.new(), heap.new(), heap.new()
        x.append(y)
        y.append(z)
        z.append(x)
        for o in (s, x, y, z):
            o.close()
        self.assertEqual(self.live(), 4)
        info = heap.gc.collect_info(2)
        self.assertEqual(info.collected, 4)
        self.assertEqual(info.uncollectable, 0)
        self.assertEqual(self.live(), 0)

    def test_get_leaking_objects(self):
        # A dry run names the leaked cycle and frees nothing; the
        # collection after it frees exactly that.
        heap = self.heap
        a, b, kept = heap.new(), heap.new(), heap.new()
        a.append(b)
        b.append(a)
        kept.append(kept)
        ids = sorted([a.id, b.id])
        weak = heap.weakref(a)
        a.close()
        b.close()
        self.assertEqual(sorted(heap.gc.get_leaking_objects()), ids)
        self.assertEqual(sorted(heap.gc.get_leaking_objects()), ids)
        self.assertEqual(self.live(), 3)
        self.assertIsNotNone(weak())
        self.assertEqual(heap.collect(), 2)
        self.assertEqual(heap.gc.get_leaking_objects(), [])
        self.assertIsNone(weak())
        kept.close()
        self.assertEqual(heap.collect(), 1)

    def test_reachable_cycle_survives(self):
        heap = self.heap
        a, b = heap.new(), heap.new()
        a.append(b)
        b.append(a)
        b.close()
        self.assertEqual(heap.collect(), 0)     # a's handle keeps both
        self.assertEqual(len(a), 1)
        self.assertEqual(a.info().generation, 2)    # survivors move up
        a.close()
        self.assertEqual(heap.collect(0), 0)    # generation 0 is empty
        self.assertEqual(heap.collect(2), 2)

    def test_enable_disable(self):
        gc = self.heap.gc
        gc.disable()        # HeapTest already did; twice is fine
        self.assertFalse(gc.isenabled())
        gc.enable()
        self.assertTrue(gc.isenabled())
        gc.disable()
        self.assertFalse(gc.isenabled())

    def test_threshold(self):
        gc = self.heap.gc
        t = gc.get_threshold()
        self.assertEqual(len(t), 3)
        gc.set_threshold(123)
        self.assertEqual(gc.get_threshold(), (123, t[1], t[2]))
        gc.set_threshold(500, 7, 9)
        self.assertEqual(gc.get_threshold(), (500, 7, 9))
        with self.assertRaises(mobj.InvalidArgument):
            gc.set_threshold(500, 0, 9)     # threshold[1] must be >= 1
        self.assertEqual(gc.get_threshold(), (500, 7, 9))

    def test_count_and_stats(self):
        heap, gc = self.heap, self.heap.gc
        objs = [heap.new() for _ in range(3)]
        for o in objs:
            o.append(o)     # tracked: it has a slot
        self.assertGreaterEqual(gc.get_count()[0], 3)
        before = gc.get_stats()
        self.assertEqual(len(before), 3)
        self.assertEqual(set(before[0]),
                         {"collections", "collected", "uncollectable",
                          "candidates", "duration", "total_ns"})
        for o in objs:
            o.close()
        self.assertEqual(gc.collect(2), 3)
        after = gc.get_stats()
        self.assertEqual(after[2]["collections"],
                         before[2]["collections"] + 1)
        self.assertEqual(after[2]["collected"], before[2]["collected"] + 3)
        self.assertGreaterEqual(after[2]["candidates"],
                                before[2]["candidates"] + 3)
        self.assertIsInstance(after[2]["duration"], float)
        self.assertAlmostEqual(after[2]["duration"],
                               after[2]["total_ns"] / 1e9)
        self.assertGreater(after[2]["duration"], before[2]["duration"])

    def test_candidates(self):
        """gen 0 collected with N tracked objects in it: N candidates."""
        heap, gc = self.heap, self.heap.gc
        gc.collect(0)       # HeapTest turned automatic collection off
        objs = [heap.new() for _ in range(5)]
        for o in objs:
            o.append(o)
        self.addCleanup(lambda: [o.close() for o in objs])
        before = gc.get_stats()[0]["candidates"]
        gc.collect(0)
        self.assertEqual(gc.get_stats()[0]["candidates"], before + 5)

    def test_callbacks(self):
        """gc.callbacks: called with ("start", info) and ("stop", info)
        around a collection, in order, as CPython does."""
        heap, gc = self.heap, self.heap.gc
        calls = []
        gc.callbacks.append(lambda phase, info: calls.append((phase, info)))
        a, b = heap.new(), heap.new()
        a.append(b)
        b.append(a)
        a.close()
        b.close()
        self.assertEqual(gc.collect(0), 2)
        self.assertEqual(calls, [
            ("start", {"generation": 0, "collected": 0, "uncollectable": 0}),
            ("stop", {"generation": 0, "collected": 2, "uncollectable": 0})])

    def test_callbacks_see_other_clients(self):
        heap, gc = self.heap, self.heap.gc
        calls = []
        gc.callbacks.append(lambda phase, info: calls.append(
            (phase, info["generation"], info["collected"])))
        with mobj.Heap(DEV) as other:
            self.assertEqual(other.gc.collect(1), 0)
            self.assertEqual(other.read_events(), [])   # it did not ask
        self.assertEqual(heap.wait_events(5), 2)
        self.assertEqual(calls, [("start", 1, 0), ("stop", 1, 0)])

    def test_callbacks_emptied_stop_the_records(self):
        heap, gc = self.heap, self.heap.gc
        calls = []

        def callback(phase, info):
            calls.append(phase)

        gc.callbacks.append(callback)
        gc.callbacks.remove(callback)
        self.assertEqual(gc.callbacks, [])
        self.observer.gc.collect(0)
        self.assertEqual(heap.read_events(), [])
        gc.callbacks += [callback]
        gc.collect(0)
        del gc.callbacks[:]
        gc.collect(0)
        self.assertEqual(heap.read_events(), [])
        self.assertEqual(calls, ["start", "stop"])

    def test_callbacks_exception_reported(self):
        heap, gc = self.heap, self.heap.gc
        calls, reported = [], []

        def bad(phase, info):
            raise RuntimeError("boom")

        gc.callbacks.extend([bad, lambda phase, info: calls.append(phase)])
        saved = sys.unraisablehook
        sys.unraisablehook = reported.append
        try:
            gc.collect(0)
        finally:
            sys.unraisablehook = saved
        self.assertEqual(calls, ["start", "stop"])
        self.assertEqual(len(reported), 2)
        self.assertIsInstance(reported[0].exc_value, RuntimeError)
        gc.callbacks.clear()

    def test_freeze(self):
        heap, gc = self.heap, self.heap.gc
        a = heap.new()
        a.append(a)
        self.assertTrue(gc.is_tracked(a))
        self.assertGreaterEqual(gc.freeze(), 1)
        self.assertTrue(a.info().frozen)
        self.assertEqual(a.info().generation, 3)
        self.assertGreaterEqual(gc.get_freeze_count(), 1)
        a.close()
        self.assertEqual(gc.collect(), 0)       # frozen: never collected
        self.assertEqual(self.live(), 1)
        self.assertGreaterEqual(gc.unfreeze(), 1)
        self.assertEqual(gc.get_freeze_count(), 0)
        self.assertEqual(gc.collect(), 1)

    def test_referents_referrers(self):
        heap = self.heap
        a, b, c = heap.new(), heap.new(), heap.new()
        a.append(b)
        a.append(c)
        c.append(b)
        gc = heap.gc
        self.assertEqual(gc.get_referents(a), [b.id, c.id])
        self.assertEqual(sorted(gc.get_referrers(b)), sorted([a.id, c.id]))
        self.assertEqual(gc.get_referrers(a), [])
        many = [heap.new() for _ in range(40)]      # more than one guess
        for o in many:
            o.append(b)
        self.assertEqual(len(b.referrers()), 42)
        for o in many:
            o.close()

    def test_saveall_garbage(self):
        heap, gc = self.heap, self.heap.gc
        gc.set_debug(mobj.DEBUG_SAVEALL)
        self.assertEqual(gc.get_debug(), mobj.DEBUG_SAVEALL)
        a, b = heap.new(b"a"), heap.new(b"b")
        a.append(b)
        b.append(a)
        a.close()
        b.close()
        self.assertEqual(gc.collect(), 2)
        garbage = gc.garbage
        self.assertEqual(sorted(o.data for o in garbage), [b"a", b"b"])
        self.assertTrue(all(o.info().garbage for o in garbage))
        for o in garbage:
            o.close()
        gc.clear_garbage()
        gc.set_debug(0)
        self.assertEqual(gc.garbage, [])
        self.assertEqual(gc.collect(), 2)   # the cycle, no longer saved
        self.assertEqual(self.live(), 0)


if __name__ == "__main__":
    unittest.main()
