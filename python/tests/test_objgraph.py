# SPDX-License-Identifier: GPL-2.0
"""objgraph's views of one client's objects (mobj.objgraph, issue 16):
MOBJ_TYPE_COUNTS for most_common_types() and show_growth(), REFERRERS
and REFERENTS for find_backref_chain(), show_refs() and show_backrefs().
"""

import io
import os
import shutil
import stat
import tempfile
import unittest

from common import DEV, HeapTest

import mobj

T_A = 0x7d0a
T_B = 0x7d0b


class TestTypeCounts(HeapTest):

    def setUp(self):
        super().setUp()
        if not self.heap.supports(mobj._lib.CMD_TYPE_COUNTS):
            self.skipTest("module without MOBJ_TYPE_COUNTS")
        self.heap.set_type_name(T_A, "views.A")
        self.addCleanup(self.observer.set_type_name, T_A, "")

    def make(self, tag, n):
        return [self.heap.new(type=tag) for _ in range(n)]

    def test_most_common_types(self):
        objs = self.make(T_A, 3) + self.make(T_B, 1)
        self.assertEqual(self.heap.most_common_types(),
                         [("views.A", 3), ("type%d" % T_B, 1)])
        self.assertEqual(self.heap.most_common_types(limit=1),
                         [("views.A", 3)])
        self.assertEqual(self.heap.type_counts(), [(T_A, 3), (T_B, 1)])
        # Another client's objects are not this heap's.
        self.assertEqual(self.observer.most_common_types(), [])
        out = io.StringIO()
        self.heap.show_most_common_types(file=out)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0].split(), ["views.A", "3"])
        # Aligned: the counts end in the same column.
        self.assertEqual(len(lines[0]), len(lines[1]))
        for o in objs:
            o.close()
        self.assertEqual(self.heap.most_common_types(), [])

    def test_all_needs_privilege(self):
        objs = self.make(T_A, 2)
        if os.geteuid() == 0:
            counts = dict(self.observer.type_counts(all=True))
            self.assertGreaterEqual(counts.get(T_A, 0), 2)
        for o in objs:
            o.close()

    def test_show_growth(self):
        heap = self.heap
        objs = self.make(T_A, 2)
        out = io.StringIO()
        heap.show_growth(file=out)
        self.assertEqual(out.getvalue().split(), ["views.A", "2", "+2"])
        out = io.StringIO()
        heap.show_growth(file=out)
        self.assertEqual(out.getvalue(), "")       # nothing grew
        objs += self.make(T_B, 3) + self.make(T_A, 1)
        self.assertEqual(heap.growth(),
                         [("type%d" % T_B, 3, 3), ("views.A", 3, 1)])
        # Below its peak is no growth.
        objs.pop().close()
        self.assertEqual(heap.growth(), [])
        # The caller's own peaks.
        peaks = {}
        self.assertEqual(heap.growth(peak_stats=peaks),
                         [("type%d" % T_B, 3, 3), ("views.A", 2, 2)])
        self.assertEqual(peaks, {T_A: 2, T_B: 3})
        for o in objs:
            o.close()

    def test_as_nobody(self):
        # An unprivileged user counts its own objects, not root's, and
        # may not ask for the whole device.
        if os.geteuid() != 0:
            self.skipTest("needs root to become another user")
        mode = stat.S_IMODE(os.stat(DEV).st_mode)
        os.chmod(DEV, 0o666)
        self.addCleanup(os.chmod, DEV, mode)
        mine = self.make(T_A, 2)

        def child():
            os.setgid(65534)
            os.setuid(65534)
            with mobj.Heap(DEV) as h:
                objs = [h.new(type=T_B) for _ in range(3)]
                if h.most_common_types() != [("type%d" % T_B, 3)]:
                    return 2
                try:
                    h.type_counts(all=True)
                    return 3
                except PermissionError:
                    pass
                out = io.StringIO()
                h.show_growth(file=out)
                if out.getvalue().split() != ["type%d" % T_B, "3", "+3"]:
                    return 4
                for o in objs:
                    o.close()
            return 0

        self.assertChildOk(self.fork(child))
        for o in mine:
            o.close()


class TestGraphs(HeapTest):

    def chain(self):
        """r -> m -> x, and y -> x: handles to r and x only."""
        heap = self.heap
        r, m, x, y = (heap.new() for _ in range(4))
        r.append(m)
        m.append(x)
        y.append(x)
        ids = {"r": r.id, "m": m.id, "x": x.id, "y": y.id}
        m.close()
        return r, x, y, ids

    def test_find_backref_chain(self):
        heap = self.heap
        r, x, y, ids = self.chain()
        # Through m, reachable from r.
        self.assertEqual(heap.find_backref_chain(
            x, lambda i: i == ids["r"], roots=[r]),
            [ids["r"], ids["m"], ids["x"]])
        # Without roots, m is named but not walked past.
        self.assertEqual(heap.find_backref_chain(
            x, lambda i: i == ids["r"]), [ids["x"]])
        self.assertEqual(heap.find_backref_chain(
            x, lambda i: i == ids["m"]), [ids["m"], ids["x"]])
        self.assertEqual(heap.find_backref_chain(
            x, lambda i: i == ids["r"], max_depth=1, roots=[r]), [ids["x"]])
        self.assertEqual(heap.find_backref_chain(x, lambda i: True),
                         [ids["x"]])
        for o in (r, x, y):
            o.close()

    def test_show_refs_dot(self):
        heap = self.heap
        heap.set_type_name(T_A, "views.A")
        self.addCleanup(self.observer.set_type_name, T_A, "")
        r, x, y, ids = self.chain()
        with tempfile.TemporaryDirectory() as d:
            name = os.path.join(d, "refs.dot")
            self.assertEqual(heap.show_refs([r], filename=name), name)
            with open(name) as f:
                dot = f.read()
        self.assertTrue(dot.startswith("digraph"))
        self.assertIn("o%d -> o%d;" % (ids["r"], ids["m"]), dot)
        self.assertIn("o%d -> o%d;" % (ids["m"], ids["x"]), dot)
        self.assertNotIn("o%d [" % ids["y"], dot)
        out = io.StringIO()
        heap.show_backrefs([x], file=out, roots=[r])
        dot = out.getvalue()
        self.assertIn("o%d -> o%d;" % (ids["y"], ids["x"]), dot)
        self.assertIn("o%d -> o%d;" % (ids["r"], ids["m"]), dot)
        # y is no root's: shown by id, dashed.
        self.assertIn('o%d [label="id %d\\n(not reachable here)", '
                      'style="dashed"]' % (ids["y"], ids["y"]), dot)
        for o in (r, x, y):
            o.close()

    def test_too_many(self):
        heap = self.heap
        a = heap.new()
        kids = [heap.new() for _ in range(5)]
        for k in kids:
            a.append(k)
        out = io.StringIO()
        heap.show_refs([a], too_many=2, file=out)
        self.assertIn('[label="3 more", shape=plaintext]', out.getvalue())
        for o in [a] + kids:
            o.close()

    def test_show_refs_svg(self):
        if not shutil.which("dot"):
            self.skipTest("Graphviz's dot not installed")
        r, x, y, _ = self.chain()
        with tempfile.TemporaryDirectory() as d:
            name = os.path.join(d, "refs.svg")
            self.heap.show_backrefs([x], filename=name, roots=[r])
            with open(name) as f:
                self.assertIn("<svg", f.read())
        for o in (r, x, y):
            o.close()


if __name__ == "__main__":
    unittest.main()
