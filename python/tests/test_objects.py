# SPDX-License-Identifier: GPL-2.0
"""Objects, payloads, slots, handles, weak references and errors."""

import errno
import gc as pygc
import os
import socket
import unittest

from common import DEV, HeapTest, mobj


class TestObjects(HeapTest):

    def test_export_import_across_processes(self):
        a = self.heap.new(b"shared", type=9)
        fd = a.export()
        self.assertEqual(self.heap.getrefcount(a), 2)
        left, right = socket.socketpair()

        def child():
            with mobj.Heap(DEV) as other:
                msg, fds, _, _ = socket.recv_fds(right, 1, 1)
                obj = other.import_(fds[0])
                os.close(fds[0])
                code = 0 if obj.data == b"shared" else 2
                obj.close()
            return code

        pid = self.fork(child)
        socket.send_fds(left, [b"m"], [fd])
        os.close(fd)
        self.assertChildOk(pid)
        self.assertEqual(self.heap.getrefcount(a), 1)
        with self.assertRaises(mobj.InvalidArgument):
            self.heap.import_(left.fileno())
        left.close()
        right.close()
        a.close()

    def test_new_info(self):
        a = self.heap.new(b"hello", type=7)
        info = a.info()
        self.assertEqual(info.type, 7)
        self.assertEqual(a.type, 7)
        self.assertEqual(info.refcount, 1)
        self.assertEqual(info.data_len, 5)
        self.assertEqual(info.nslots, 0)
        self.assertFalse(info.frozen)
        self.assertEqual(info.id, a.id)
        self.assertEqual(self.live(), 1)
        a.close()
        self.assertEqual(self.live(), 0)

    def test_data_read_write(self):
        a = self.heap.new()
        self.assertEqual(a.data, b"")
        a.data = b"abc"
        self.assertEqual(a.data, b"abc")
        big = bytes(range(256)) * 8            # longer than the first read
        a.data = big
        self.assertEqual(a.data, big)
        self.assertEqual(a.read(10, 5), big[10:15])
        a.data = bytearray(b"xyz")
        self.assertEqual(a.data, b"xyz")
        with self.assertRaises(mobj.SlotIndexError) as cm:
            a.read(4, 1)
        self.assertEqual(cm.exception.errno, errno.ERANGE)

    def test_payload_too_large(self):
        data_max = self.heap.query().data_max
        with self.assertRaises(mobj.PayloadTooLarge) as cm:
            self.heap.new(b"x" * (data_max + 1))
        self.assertEqual(cm.exception.errno, errno.EMSGSIZE)
        self.assertIsInstance(cm.exception, OSError)
        a = self.heap.new(b"x" * data_max)
        self.assertEqual(len(a.data), data_max)
        self.assertEqual(self.live(), 1)

    def test_slots_like_a_list(self):
        a, b, c = (self.heap.new(d) for d in (b"a", b"b", b"c"))
        self.assertEqual(len(a), 0)
        a.append(b)
        a.append(c)
        self.assertEqual(len(a), 2)
        with a[0] as x:
            self.assertEqual(x, b)
            self.assertEqual(x.data, b"b")
        with a[-1] as x:
            self.assertEqual(x, c)
        self.assertEqual([o.data for o in a], [b"b", b"c"])
        self.assertEqual([o.data for o in a[::-1]], [b"c", b"b"])
        a[0] = c
        self.assertEqual(self.heap.getrefcount(b), 1)
        self.assertEqual(self.heap.getrefcount(c), 3)
        del a[0]
        self.assertEqual(len(a), 1)
        self.assertEqual(self.heap.getrefcount(c), 2)
        popped = a.pop()
        self.assertEqual(popped, c)
        self.assertEqual(len(a), 0)
        self.assertEqual(self.heap.getrefcount(c), 2)   # c and popped
        popped.close()
        self.assertEqual(a.referents(), [])

    def test_index_errors(self):
        a = self.heap.new()
        with self.assertRaises(IndexError):
            a[0]
        with self.assertRaises(IndexError):
            a[-1]
        with self.assertRaises(IndexError) as cm:
            a[0] = a
        self.assertIsInstance(cm.exception, mobj.SlotIndexError)
        self.assertEqual(cm.exception.errno, errno.ERANGE)
        with self.assertRaises(IndexError):
            del a[3]
        with self.assertRaises(TypeError):
            a.append(b"not an object")
        with self.assertRaises(TypeError):
            a["x"]

    def test_refcount_dup_close(self):
        a = self.heap.new(b"1")
        self.assertEqual(self.heap.getrefcount(a), 1)
        a2 = a.dup()
        self.assertEqual(a2, a)
        self.assertEqual(hash(a2), hash(a))
        self.assertEqual(a.refcount, 2)
        a2.close()
        a2.close()      # idempotent
        self.assertTrue(a2.closed)
        self.assertEqual(a.refcount, 1)
        with self.assertRaises(ValueError):
            a2.data

    def test_context_manager_and_del_close(self):
        a = self.heap.new(b"1")
        with a.dup() as b:
            self.assertEqual(self.heap.getrefcount(a), 2)
        self.assertTrue(b.closed)
        self.assertEqual(self.heap.getrefcount(a), 1)
        c = a.dup()
        self.assertEqual(self.heap.getrefcount(a), 2)
        del c           # the handle goes with the Python object
        pygc.collect()
        self.assertEqual(self.heap.getrefcount(a), 1)
        self.assertEqual(self.heap.query().client_handles, 1)

    def test_errors_carry_errno(self):
        a = self.heap.new()
        stale = mobj.Object(self.heap, a.handle + 1000)
        with self.assertRaises(mobj.NoSuchHandle) as cm:
            stale.info()
        e = cm.exception
        self.assertIsInstance(e, OSError)
        self.assertIsInstance(e, mobj.MobjError)
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertEqual(e.filename, "MOBJ_INFO")
        stale._handle = 0

    def test_weak_handle_is_not_strong(self):
        a = self.heap.new()
        w = self.heap.weakref(a)
        fake = mobj.Object(self.heap, w._handle)
        with self.assertRaises(mobj.InvalidArgument) as cm:
            fake.info()
        self.assertEqual(cm.exception.errno, errno.EINVAL)
        self.assertIsInstance(cm.exception, ValueError)
        fake._handle = 0
        w.close()

    def test_weakref(self):
        a = self.heap.new(b"w")
        w = self.heap.weakref(a)
        self.assertEqual(self.heap.getrefcount(a), 1)     # weak: not counted
        with w() as again:
            self.assertEqual(again, a)
            self.assertEqual(again.data, b"w")
        self.assertTrue(w.alive)
        a.close()
        self.assertIsNone(w())
        self.assertFalse(w.alive)
        # The raw ESTALE, as ObjectDead (StaleHandle).
        with self.assertRaises(mobj.ObjectDead) as cm:
            mobj._lib.weakref_get(self.heap.fileno(), w._handle)
        self.assertEqual(cm.exception.errno, errno.ESTALE)
        self.assertIs(mobj.ObjectDead, mobj.StaleHandle)
        with w:
            pass
        self.assertTrue(w.closed)
        with self.assertRaises(ValueError):
            w()

    def test_heap_close_drops_everything(self):
        h = mobj.Heap(DEV)
        a = h.new(b"1")
        b = h.new(b"2")
        a.append(b)
        w = h.weakref(b)
        h.close()
        self.assertTrue(h.closed)
        self.assertTrue(a.closed)
        with self.assertRaises(ValueError):
            a.data
        with self.assertRaises(ValueError):
            h.new()
        a.close()
        w.close()
        h.close()       # idempotent

    def test_two_heaps(self):
        with mobj.Heap(DEV) as other:
            a = self.heap.new()
            b = other.new()
            with self.assertRaises(ValueError):
                a.append(b)
            self.assertNotEqual(a, b)

    def test_query(self):
        q = self.heap.query()
        self.assertEqual(q.abi_version, 1)
        self.assertTrue(self.heap.supports(mobj._lib.CMD_NEW))
        self.assertGreater(q.data_max, 0)
        a = self.heap.new()
        self.assertEqual(self.heap.query().client_handles, 1)
        a.close()

    def test_type_names(self):
        if not self.heap.supports(mobj._lib.CMD_TYPE_NAME):
            self.skipTest("this mobj.ko has no MOBJ_TYPE_NAME")
        self.heap.set_type_name(4242, "py.list")
        try:
            self.assertEqual(self.heap.get_type_name(4242), "py.list")
            self.assertEqual(self.heap.get_type_tag("py.list"), 4242)
            self.assertIsNone(self.heap.get_type_tag("py.nothing"))
            with self.assertRaises(mobj.InvalidArgument):
                self.heap.get_type_tag("bad name")
            with self.assertRaises(mobj.InvalidArgument):
                self.heap.set_type_name(4242, "bad name")
        finally:
            self.heap.set_type_name(4242, "")
        self.assertEqual(self.heap.get_type_name(4242), "")
        self.assertIsNone(self.heap.get_type_tag("py.list"))


if __name__ == "__main__":
    unittest.main()
