# SPDX-License-Identifier: GPL-2.0
"""Death notices: heap.watch() with callbacks, futures and asyncio."""

import asyncio
import unittest

from common import HeapTest, mobj


class TestWatch(HeapTest):

    def test_callback_without_loop(self):
        heap = self.heap
        seen = []
        a = heap.new(b"x", type=5)
        oid = a.id
        cookie = heap.watch(a, seen.append)
        self.assertTrue(a.info().watched)
        self.assertEqual(heap.dispatch_events(), 0)     # nothing yet
        a.close()
        self.assertEqual(heap.wait_events(timeout=5), 1)
        self.assertEqual(len(seen), 1)
        ev = seen[0]
        self.assertEqual(ev.cookie, cookie)
        self.assertEqual(ev.id, oid)
        self.assertEqual(ev.type, 5)
        self.assertEqual(ev.reason, mobj.EVENT_REFCOUNT)

    def test_asyncio_add_reader(self):
        heap = self.heap

        async def scenario():
            loop = asyncio.get_running_loop()
            done = loop.create_future()
            a, b = heap.new(b"a"), heap.new(b"b")
            a.append(b)
            b.append(a)
            got = []

            def on_death(ev):
                got.append(ev)
                if len(got) == 2:
                    done.set_result(None)
            heap.watch(a, on_death)
            heap.watch(b, on_death)
            ids = {a.id, b.id}
            a.close()
            b.close()
            self.assertEqual(got, [])           # a leaked cycle: alive
            self.assertEqual(heap.collect(), 2)
            await asyncio.wait_for(done, 10)    # read by loop.add_reader
            self.assertEqual({ev.id for ev in got}, ids)
            self.assertEqual({ev.reason for ev in got}, {mobj.EVENT_CYCLE})

        asyncio.run(scenario())
        self.assertIsNone(heap._loop)           # reader removed when idle

    def test_future(self):
        heap = self.heap

        async def scenario():
            a = heap.new(b"f", type=9)
            fut = heap.watch(a)
            self.assertIsInstance(fut, asyncio.Future)
            self.assertFalse(fut.done())
            loop = asyncio.get_running_loop()
            loop.call_soon(a.close)
            ev = await asyncio.wait_for(fut, 10)
            self.assertEqual(ev.type, 9)
            self.assertEqual(ev.reason, mobj.EVENT_REFCOUNT)

        asyncio.run(scenario())

    def test_future_needs_loop(self):
        a = self.heap.new()
        with self.assertRaises(RuntimeError):
            self.heap.watch(a)


if __name__ == "__main__":
    unittest.main()
