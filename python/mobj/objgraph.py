# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""objgraph's views of one client's objects, without root.

The root-only debugfs files ("types", "graph") see the whole device.
These see what an unprivileged client may: MOBJ_TYPE_COUNTS counts the
objects its open file created; REFERENTS and SLOT_GET walk forward from
the handles it holds; REFERRERS names, by id, every object with a slot
referring to one it holds, whoever made it.  A referrer's id is all a
client learns of it: it gets a handle only to what it can reach, so a
backward walk continues only through objects reachable from the
``roots`` it is given (see find_backref_chain()).

Use them through a Heap: ``heap.most_common_types()``,
``heap.show_growth()``, ``heap.find_backref_chain(...)``,
``heap.show_refs(...)``, ``heap.show_backrefs(...)``.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess
import sys
import tempfile
from typing import (TYPE_CHECKING, Callable, Deque, Dict, Iterable, List,
                    Optional, Set, TextIO, Tuple)

from . import _lib

if TYPE_CHECKING:
    from .heap import Heap, Object

__all__ = ["type_counts", "most_common_types", "show_most_common_types",
           "growth", "show_growth", "find_backref_chain", "show_refs",
           "show_backrefs"]

#: Objects a graph or a chain search visits at most: user-space walks
#: cost one ioctl per object.
VISIT_MAX = 10000


def type_label(heap: Heap, tag: int) -> str:
    """The name MOBJ_TYPE_NAME gave ``tag``, else "type<tag>" (as
    debugfs prints it)."""
    try:
        name = heap.get_type_name(tag)
    except OSError:
        name = ""
    return name or "type%u" % tag


def type_counts(heap: Heap, *,
                all: bool = False) -> List[Tuple[int, int]]:
    """(type tag, live objects) of this client's objects, most first
    (MOBJ_TYPE_COUNTS); ``all=True`` counts the whole device and needs
    CAP_SYS_ADMIN (PermissionError otherwise)."""
    flags = _lib.TYPE_COUNTS_ALL if all else 0
    room = 64
    while True:
        total, _, counts = _lib.type_counts(heap.fileno(), room, flags)
        if total <= room:
            return counts
        room = total


def most_common_types(heap: Heap, limit: Optional[int] = 10, *,
                      all: bool = False) -> List[Tuple[str, int]]:
    """objgraph.most_common_types(): (type name, count) of the ``limit``
    most common types (all of them when ``limit`` is None)."""
    counts = type_counts(heap, all=all)
    if limit is not None:
        counts = counts[:limit]
    return [(type_label(heap, tag), n) for tag, n in counts]


def _out(file: Optional[TextIO]) -> TextIO:
    return file if file is not None else sys.stdout


def show_most_common_types(heap: Heap, limit: Optional[int] = 10, *,
                           all: bool = False,
                           file: Optional[TextIO] = None) -> None:
    """Print most_common_types() as objgraph does: the names padded to
    the longest, then the count."""
    rows = most_common_types(heap, limit, all=all)
    width = max((len(name) for name, _ in rows), default=0)
    for name, n in rows:
        _out(file).write("%-*s %i\n" % (width, name, n))


def growth(heap: Heap, limit: Optional[int] = 10,
           peak_stats: Optional[Dict[int, int]] = None, *,
           all: bool = False) -> List[Tuple[str, int, int]]:
    """objgraph.growth(): (type name, count, increase) of the types whose
    count went above its peak in ``peak_stats`` (type tag -> count), most
    growth first; ``peak_stats`` is updated.  The first call reports every
    type, from 0."""
    if peak_stats is None:
        peak_stats = {}
    deltas = []
    for tag, n in type_counts(heap, all=all):
        old = peak_stats.get(tag, 0)
        if n > old:
            deltas.append((tag, n, n - old))
            peak_stats[tag] = n
    deltas.sort(key=lambda d: (-d[2], d[0]))
    if limit is not None:
        deltas = deltas[:limit]
    return [(type_label(heap, tag), n, d) for tag, n, d in deltas]


def show_growth(heap: Heap, limit: Optional[int] = 10,
                peak_stats: Optional[Dict[int, int]] = None, *,
                all: bool = False, file: Optional[TextIO] = None) -> None:
    """Print growth() as objgraph does: the names padded to the longest,
    the count and the increase (+N) in columns of nine."""
    rows = growth(heap, limit, peak_stats, all=all)
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, n, d in rows:
        _out(file).write("%-*s%9d %+9d\n" % (width, name, n, d))


def _reachable(roots: Iterable[Object],
               budget: int = VISIT_MAX) -> Dict[int, Object]:
    """id -> a new handle, for the objects reachable from ``roots`` (at
    most ``budget`` of them).  The caller closes the handles."""
    seen: Dict[int, Object] = {}
    queue: Deque[Object] = collections.deque()
    for r in roots:
        if r.id not in seen:
            seen[r.id] = r.dup()
            queue.append(seen[r.id])
    while queue and len(seen) < budget:
        obj = queue.popleft()
        for i, child_id in enumerate(obj.referents()):
            if child_id in seen or len(seen) >= budget:
                continue
            child = obj[i]
            seen[child_id] = child
            queue.append(child)
    return seen


def find_backref_chain(heap: Heap, obj: Object,
                       predicate: Callable[[int], bool],
                       max_depth: int = 20,
                       roots: Iterable[Object] = ()) -> List[int]:
    """objgraph.find_backref_chain(): the shortest chain of ids [root, ...,
    obj.id] where ``predicate(root)`` is true and each id has a slot
    referring to the next, found by a breadth-first walk of referrers up
    to ``max_depth`` steps.  [obj.id] when none is found.

    ``predicate`` gets an id (a client cannot get a handle to every
    object it can name).  Referrers are listed whoever made them, but the
    walk goes on from a referrer only when it is reachable from ``roots``
    (handles of this client's): the others can end a chain, not extend
    it."""
    handles = _reachable(list(roots) + [obj])
    try:
        start = obj.id
        parent: Dict[int, Optional[int]] = {start: None}
        queue: Deque[Tuple[int, int]] = collections.deque([(start, 0)])
        while queue:
            oid, depth = queue.popleft()
            if predicate(oid):
                chain = [oid]
                while parent[chain[-1]] is not None:
                    chain.append(parent[chain[-1]])  # type: ignore[arg-type]
                return chain
            if depth >= max_depth or oid not in handles:
                continue
            for rid in handles[oid].referrers():
                if rid not in parent:
                    parent[rid] = oid
                    queue.append((rid, depth + 1))
        return [start]
    finally:
        for h in handles.values():
            h.close()


def _node(heap: Heap, oid: int, obj: Optional[Object],
          highlight: bool) -> str:
    if obj is None:
        label = "id %d\\n(not reachable here)" % oid
        style = ', style="dashed"'
    else:
        info = obj.info()
        label = "%s\\nid %d\\nrefcount %d, %d slots" % (
            type_label(heap, info.type), oid, info.refcount, info.nslots)
        style = ', style="filled", fillcolor="#cce5ff"' if highlight else ""
    return '  o%d [label="%s"%s];\n' % (oid, label, style)


def _write_graph(dot: str, filename: Optional[str],
                 file: Optional[TextIO]) -> Optional[str]:
    """Write ``dot`` to ``filename``: .dot as is, .png/.svg/.pdf through
    Graphviz's ``dot``; to ``file`` (stdout) when no filename."""
    if not filename:
        _out(file).write(dot)
        return None
    ext = os.path.splitext(filename)[1].lower().lstrip(".")
    if ext in ("dot", "gv", ""):
        with open(filename, "w") as f:
            f.write(dot)
        return filename
    exe = shutil.which("dot")
    if exe is None:
        raise FileNotFoundError("Graphviz's dot is needed for .%s output"
                                % ext)
    with tempfile.NamedTemporaryFile("w", suffix=".dot",
                                     delete=False) as tmp:
        tmp.write(dot)
    try:
        subprocess.run([exe, "-T" + ext, "-o", filename, tmp.name],
                       check=True, capture_output=True)
    finally:
        os.unlink(tmp.name)
    return filename


def _graph(heap: Heap, objs: Iterable[Object], backrefs: bool,
           max_depth: int, too_many: int, roots: Iterable[Object]) -> str:
    objs = list(objs)
    if backrefs:
        handles = _reachable(list(roots) + objs)
    else:
        handles = {o.id: o.dup() for o in objs}
    try:
        start = {o.id for o in objs}
        lines = ["digraph ObjectGraph {\n", "  node [shape=box];\n"]
        depth: Dict[int, int] = {oid: 0 for oid in start}
        queue: Deque[int] = collections.deque(start)
        edges: Set[Tuple[int, int]] = set()
        while queue and len(depth) < VISIT_MAX:
            oid = queue.popleft()
            obj = handles.get(oid)
            lines.append(_node(heap, oid, obj, oid in start))
            if obj is None or depth[oid] >= max_depth:
                continue
            ids = obj.referrers() if backrefs else obj.referents()
            for i, nid in enumerate(ids[:too_many]):
                edge = (nid, oid) if backrefs else (oid, nid)
                if edge not in edges:
                    edges.add(edge)
                    lines.append("  o%d -> o%d;\n" % edge)
                if nid in depth:
                    continue
                if not backrefs and nid not in handles:
                    handles[nid] = obj[i]
                depth[nid] = depth[oid] + 1
                queue.append(nid)
            if len(ids) > too_many:
                lines.append('  more%d [label="%d more", shape=plaintext];\n'
                             % (oid, len(ids) - too_many))
                lines.append(("  more%d -> o%d;\n" if backrefs else
                              "  o%d -> more%d;\n") % (oid, oid))
        lines.append("}\n")
        return "".join(lines)
    finally:
        for h in handles.values():
            h.close()


def show_refs(heap: Heap, objs: Iterable[Object], max_depth: int = 3,
              filename: Optional[str] = None, too_many: int = 10,
              file: Optional[TextIO] = None) -> Optional[str]:
    """objgraph.show_refs(): the graph of what ``objs`` refer to, down to
    ``max_depth`` levels (at most ``too_many`` slots shown per object), as
    Graphviz: a .dot file, or .png/.svg/.pdf drawn by ``dot``; the dot text
    to ``file`` (stdout) without ``filename``.  Returns the file name."""
    return _write_graph(_graph(heap, objs, False, max_depth, too_many, ()),
                        filename, file)


def show_backrefs(heap: Heap, objs: Iterable[Object], max_depth: int = 3,
                  filename: Optional[str] = None, too_many: int = 10,
                  roots: Iterable[Object] = (),
                  file: Optional[TextIO] = None) -> Optional[str]:
    """objgraph.show_backrefs(): the graph of what refers to ``objs``, up
    to ``max_depth`` levels, drawn like show_refs().  Every referrer is
    shown by id; one is expanded further only when it is reachable from
    ``roots`` or ``objs`` (this client's handles), the others are dashed."""
    return _write_graph(_graph(heap, objs, True, max_depth, too_many, roots),
                        filename, file)
