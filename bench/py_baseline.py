#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""CPython baselines for make bench, run by the host's python3 in the VM.

    py_baseline.py rings [RINGS LINKS REPS]   row 3a: pyperformance gc_collect
    py_baseline.py heap [OBJECTS REPS]        row 3b and row 4
    py_baseline.py mem [OBJECTS]              row 7
    py_baseline.py heapmem [OBJECTS]          row 7: a chain of OBJECTS
                                              lists, traced as a whole
    py_baseline.py serve                      commands on stdin, one reply
                                              line each (mobj_bench_gc runs
                                              it to alternate its own
                                              measurements with CPython's)

serve understands:
    rings RINGS LINKS   build, drop, time gc.collect(): "NS_PER_OBJ COLLECTED"
    heap OBJECTS        build the chain, collect once:  "ok TRACKED"
    collect             time a full gc.collect():       "NS COLLECTED"
    referrers           time gc.get_referrers(middle):  "NS FOUND"
    drop                free the chain:                 "ok 0"

Prints one JSON record per line, as the C benchmarks do.  Automatic
collection is disabled while graphs are built, as on the mobj side, so
only the measured gc.collect() calls run.
"""
import gc
import json
import statistics
import sys
import time
import tracemalloc


def emit(row, name, value, unit, **extra):
    rec = {"row": row, "name": name, "value": value, "unit": unit}
    rec.update(extra)
    print(json.dumps(rec), flush=True)


class Node:
    """pyperformance bm_gc_collect's node: a ring with next and prev."""

    def __init__(self):
        self.next = None
        self.prev = None


def create_cycle(node, n_links):
    current = node
    for _ in range(n_links):
        next_node = Node()
        current.next = next_node
        next_node.prev = current
        current = next_node
    current.next = node
    node.prev = current


def create_gc_cycles(n_cycles, n_links):
    cycles = []
    for _ in range(n_cycles):
        node = Node()
        create_cycle(node, n_links)
        cycles.append(node)
    return cycles


def rings(n_rings=100, links=20, reps=10):
    objects = n_rings * (links + 1)
    per_obj = []
    collected = 0
    gc.disable()
    gc.collect()
    baseline = len(gc.get_objects())
    for _ in range(reps):
        ns, collected = rings_once(n_rings, links)
        per_obj.append(ns / objects)
    emit("gc_rings", "cpython_per_obj", statistics.median(per_obj), "ns",
         objects=objects, collected=collected, reps=reps,
         interpreter_objects=baseline)


def build_chain(n):
    """n lists, each holding the next: a long linked live structure."""
    head = []
    cur = head
    for _ in range(n - 1):
        nxt = []
        cur.append(nxt)
        cur = nxt
    mid = head
    for _ in range(n // 2):
        mid = mid[0]
    return head, mid


def drop_chain(head):
    # Freeing a long chain from its head recurses in deallocation (the
    # trashcan bounds it); take it apart iteratively instead.
    while head:
        head = head.pop()


def rings_once(n_rings, links):
    gc.collect()
    all_cycles = create_gc_cycles(n_rings, links)
    del all_cycles
    t0 = time.perf_counter_ns()
    collected = gc.collect()
    return time.perf_counter_ns() - t0, collected


def serve():
    gc.disable()
    head = mid = None
    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "rings":
            n_rings, links = int(cmd[1]), int(cmd[2])
            ns, collected = rings_once(n_rings, links)
            reply = "%.1f %d" % (ns / (n_rings * (links + 1)), collected)
        elif cmd[0] == "heap":
            head, mid = build_chain(int(cmd[1]))
            gc.collect()
            reply = "ok %d" % len(gc.get_objects())
        elif cmd[0] == "collect":
            t0 = time.perf_counter_ns()
            collected = gc.collect()
            reply = "%d %d" % (time.perf_counter_ns() - t0, collected)
        elif cmd[0] == "referrers":
            t0 = time.perf_counter_ns()
            found = len(gc.get_referrers(mid))
            reply = "%d %d" % (time.perf_counter_ns() - t0, found)
        elif cmd[0] == "drop":
            mid = None
            drop_chain(head)
            head = None
            reply = "ok 0"
        else:
            reply = "error unknown-command"
        print(reply, flush=True)


def heap(n=1000000, reps=5):
    gc.disable()
    head, mid = build_chain(n)
    gc.collect()
    tracked = len(gc.get_objects())
    per_obj = []
    for _ in range(reps):
        t0 = time.perf_counter_ns()
        gc.collect()
        per_obj.append((time.perf_counter_ns() - t0) / n)
    emit("gc_heap", "cpython_per_obj", statistics.median(per_obj), "ns",
         objects=n, tracked=tracked, reps=reps)
    calls = []
    found = 0
    for _ in range(3):
        t0 = time.perf_counter_ns()
        found = len(gc.get_referrers(mid))
        calls.append(time.perf_counter_ns() - t0)
    emit("referrers", "cpython_get_referrers", statistics.median(calls), "ns",
         objects=n, referrers=found, calls=3)
    del mid
    drop_chain(head)


def mem(n=100000):
    emit("mem", "cpython_getsizeof_empty_list_plus_gc", sys.getsizeof([]) + 16,
         "bytes", getsizeof_list=sys.getsizeof([]),
         getsizeof_object=sys.getsizeof(object()))
    gc.disable()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    held = [[] for _ in range(n)]
    emit("mem", "cpython_traced_empty_list_held",
         (tracemalloc.get_traced_memory()[0] - base) / n, "bytes", objects=n)
    del held
    base = tracemalloc.get_traced_memory()[0]
    head, _ = build_chain(n)
    emit("mem", "cpython_traced_chain_list_one_item",
         (tracemalloc.get_traced_memory()[0] - base) / n, "bytes", objects=n)
    tracemalloc.stop()
    drop_chain(head)


def heapmem(n=1000000):
    """The memory of a heap of n lists, each holding the next (what
    mobj_bench_gc scale measures as Slab growth for its chain): growth of
    tracemalloc's total per list, and, from a first build without tracing,
    of the resident set per list (pymalloc's arenas and pools included)."""
    gc.disable()
    rss0 = rss_bytes()
    head, _ = build_chain(n)
    rss = rss_bytes() - rss0
    drop_chain(head)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    head, _ = build_chain(n)
    traced = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    emit("heapmem", "cpython_traced_chain", traced / n, "bytes", objects=n,
         rss_delta_per_obj=rss / n)
    drop_chain(head)


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096
    except (OSError, IndexError, ValueError):
        return 0


def main(argv):
    modes = {"rings": rings, "heap": heap, "mem": mem, "serve": serve,
             "heapmem": heapmem}
    if len(argv) < 2 or argv[1] not in modes:
        print(__doc__, file=sys.stderr)
        return 2
    modes[argv[1]](*[int(a) for a in argv[2:]])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
