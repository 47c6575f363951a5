# SPDX-License-Identifier: GPL-2.0
"""Death notices: heap.watch() with callbacks, futures and asyncio;
``async for`` over heap.events(); heap.unwatch(); the reason as an IntEnum."""

import asyncio
import enum
import unittest

from common import DEV, HeapTest, mobj


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
            self.assertTrue(all(ev.reason is mobj.Reason.CYCLE
                                for ev in got))

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

    def test_reason_is_an_intenum(self):
        heap = self.heap
        seen = []
        a = heap.new()
        heap.watch(a, seen.append)
        a.close()
        self.assertEqual(heap.wait_events(timeout=5), 1)
        reason = seen[0].reason
        self.assertIs(reason, mobj.Reason.REFCOUNT)
        self.assertIsInstance(reason, enum.IntEnum)
        self.assertEqual(reason, mobj.EVENT_REFCOUNT)
        self.assertEqual(reason.name, "REFCOUNT")
        self.assertEqual([int(r) for r in mobj.Reason], [
            mobj.EVENT_REFCOUNT, mobj.EVENT_CYCLE, mobj.EVENT_LOST,
            mobj.EVENT_GC_START, mobj.EVENT_GC_STOP])


class TestEventStream(HeapTest):

    def test_async_for(self):
        heap = self.heap

        async def scenario():
            loop = asyncio.get_running_loop()
            a, b, c = heap.new(type=1), heap.new(type=2), heap.new(type=3)
            a.append(b)
            b.append(a)
            ids = {a.id: 1, b.id: 2, c.id: 3}
            stream = heap.events()
            futs = [heap.watch(o) for o in (a, b)]     # futures as well
            heap.watch(c, lambda ev: None)
            self.assertIs(heap._loop, loop)            # loop.add_reader
            for o in (a, b, c):
                o.close()
            self.assertEqual(heap.collect(), 2)
            got = []
            async for ev in stream:
                got.append(ev)
                if len(got) == 3:
                    break
            self.assertEqual({ev.id: ev.type for ev in got}, ids)
            self.assertEqual(sorted(ev.reason for ev in got),
                             [mobj.Reason.REFCOUNT, mobj.Reason.CYCLE,
                              mobj.Reason.CYCLE])
            # The per-watch futures got the same notices.
            done, _ = await asyncio.wait(futs, timeout=10)
            self.assertEqual({f.result() for f in done},
                             {ev for ev in got if ev.type in (1, 2)})
            stream.close()
            self.assertTrue(stream.closed)
            async for ev in stream:
                self.fail("a closed stream yielded %r" % (ev,))

        asyncio.run(asyncio.wait_for(scenario(), 30))
        self.assertIsNone(heap._loop)

    def test_waits_for_notices(self):
        heap = self.heap

        async def consume(stream, n):
            out = []
            async with stream:
                async for ev in stream:
                    out.append(ev.id)
                    if len(out) == n:
                        break
            return out

        async def scenario():
            loop = asyncio.get_running_loop()
            objs = [heap.new() for _ in range(3)]
            ids = [o.id for o in objs]
            for o in objs:
                heap.watch(o, lambda ev: None)
            task = loop.create_task(consume(heap.events(), 3))
            for o in objs:              # one at a time, the consumer waits
                await asyncio.sleep(0.05)
                o.close()
            self.assertEqual(await asyncio.wait_for(task, 10), ids)
            self.assertEqual(len(heap._streams), 0)

        asyncio.run(scenario())

    def test_ends_when_heap_closes(self):
        h = mobj.Heap(DEV)
        a = h.new()

        async def scenario():
            loop = asyncio.get_running_loop()
            h.watch(a, lambda ev: None)

            async def consume():
                return [ev async for ev in h.events()]
            task = loop.create_task(consume())
            await asyncio.sleep(0.05)
            h.close()
            self.assertEqual(await asyncio.wait_for(task, 10), [])

        asyncio.run(scenario())
        self.assertTrue(h.closed)


class TestUnwatch(HeapTest):

    def test_callback(self):
        heap = self.heap
        seen = []
        a = heap.new()
        handles = heap.query().client_handles
        cookie = heap.watch(a, seen.append)
        other = heap.watch(a, seen.append)
        self.assertTrue(a.info().watched)
        self.assertTrue(heap.unwatch(cookie))
        self.assertFalse(heap.unwatch(cookie))         # once
        self.assertFalse(heap.unwatch(12345))
        # The weak handle the watch kept is closed with it.
        self.assertEqual(heap.query().client_handles, handles + 1)
        # The kernel's watch is gone too (MOBJ_WATCH_CANCEL), the other
        # one stays, then goes the same way.
        self.assertTrue(a.info().watched)
        self.assertTrue(heap.unwatch(other))
        self.assertFalse(a.info().watched)
        self.assertEqual(heap.query().client_handles, handles)
        a.close()
        self.assertEqual(heap.wait_events(timeout=0.5), 0)
        self.assertEqual(seen, [])

    def test_future_and_stream(self):
        heap = self.heap

        async def scenario():
            a, b = heap.new(), heap.new()
            stream = heap.events()
            fut = heap.watch(a)
            keep = heap.watch(b)
            self.assertTrue(heap.unwatch(fut))
            self.assertTrue(fut.cancelled())
            a.close()
            b.close()
            ev = await asyncio.wait_for(stream.__anext__(), 10)
            self.assertEqual(ev, await keep)         # not a's notice
            self.assertIsNone(stream.get_nowait())
            stream.close()

        asyncio.run(scenario())


if __name__ == "__main__":
    unittest.main()
