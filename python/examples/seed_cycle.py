#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""seed_cycle: the classic Python leak, on /dev/mobj, from Python.

    a = ["1"]; b = ["2"]
    a.append(b); b.append(a)
    del a, b            # refcounts never reach 0: a leak
    gc.collect()        # the cycle collector frees both

Exits 0 when everything happens as described, 1 otherwise.
"""

import os
import sys

try:
    import mobj
except ImportError:     # run from the source tree: python/ is one level up
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    ".."))
    import mobj

TYPE_LIST = 1   # our type tag for "a list with a bytes payload"


def main():
    ok = True

    def expect(cond, what):
        nonlocal ok
        if not cond:
            print("seed_cycle.py: expected " + what, file=sys.stderr)
            ok = False

    with mobj.Heap() as heap:
        print("# mobj seed_cycle.py: a reference cycle leaks until the "
              "cycle collector runs")
        was_enabled = heap.gc.isenabled()
        heap.gc.disable()
        print(">>> heap.gc.disable()     # no automatic collection while we watch")
        try:
            start = heap.query().client_objects
            print("# %d live objects of ours to start with" % start)

            a = heap.new(b"1", type=TYPE_LIST)
            print('>>> a = heap.new(b"1")   # %r' % a)
            b = heap.new(b"2", type=TYPE_LIST)
            print('>>> b = heap.new(b"2")   # %r' % b)
            a.append(b)
            print(">>> a.append(b)           # a[0] is b")
            b.append(a)
            print(">>> b.append(a)           # b[0] is a: a cycle")

            rc = (heap.getrefcount(a), heap.getrefcount(b))
            print(">>> heap.getrefcount(a), heap.getrefcount(b)")
            print("%r                    # each: one handle + one slot" % (rc,))
            expect(rc == (2, 2), "refcounts (2, 2), got %r" % (rc,))

            with a[0] as first:
                expect(first == b and first.data == b"2", "a[0] to be b")

            weak = heap.weakref(a)
            a.close()
            b.close()
            print(">>> a.close(); b.close()  # del a, b: refcounts drop to 1")

            live = heap.query().client_objects
            print("# %d live objects: still %+d -- each keeps the other "
                  "alive" % (live, live - start))
            expect(live == start + 2, "%d live objects" % (start + 2))
            expect(weak() is not None, "the weak reference to find a alive")

            n = heap.collect()
            print(">>> heap.collect()        # find and free unreachable cycles")
            print(n)
            expect(n == 2, "collect() == 2, got %d" % n)

            live = heap.query().client_objects
            print("# %d live objects: back where we started" % live)
            expect(live == start, "%d live objects, got %d" % (start, live))
            expect(weak() is None, "the weak reference to be dead")
            weak.close()
        finally:
            if was_enabled:
                heap.gc.enable()
                print(">>> heap.gc.enable()      # automatic collection back on")
    if not ok:
        print("seed_cycle.py: FAILED", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
