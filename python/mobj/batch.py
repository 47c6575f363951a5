# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Batches: several operations, one MOBJ_BATCH, one system call.

    with heap.batch() as b:
        a = b.new(type=1)               # entries: run when the block ends
        c = b.new(type=1)
        b.append(a, c)                  # a later entry may name the handle
        b.append(c, a)                  # an earlier one made
        rc = b.getrefcount(a)
    a.result, rc.result                 # (<mobj.Object ...>, 2)

As in the C API (mobj_batch()), the entries run in order and execution
stops at the first that fails: it changes nothing, everything before it is
done, nothing after it runs.  Each entry then says what happened to it
(``done``, ``error``, ``result``).  By default the failing entry's error
is raised when the block ends (or by run()), as the OSError subclass for
its errno, with ``batch_index`` set to the entry's index; with
``heap.batch(check=False)`` nothing is raised and the entries tell all.
A block left by an exception runs nothing.  The batch is not atomic:
other clients may run between its chunks (see <linux/mobj.h>).
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from . import _lib
from .errors import MobjError, NotSupported, error_from_errno
from .heap import Object, WeakRef, _u32

if TYPE_CHECKING:
    from .heap import Heap

__all__ = ["Batch", "BatchEntry"]

#: Operand: an Object or WeakRef of the batch's heap, or the BatchEntry of
#: an earlier new(), dup() or get() of the same batch.
Operand = Union[Object, WeakRef, "BatchEntry"]

_MAKES_HANDLE = (_lib.CMD_NEW, _lib.CMD_DUP, _lib.CMD_SLOT_GET)


class BatchEntry:
    """One queued operation of a Batch and, once the batch ran, its
    outcome."""

    __slots__ = ("_batch", "index", "cmd", "_operands", "done", "ran",
                 "error", "_result", "__weakref__")

    def __init__(self, batch: Batch, index: int, cmd: int,
                 operands: List[Any]):
        """Entry ``index`` of ``batch``: command ``cmd`` on ``operands``
        (made by the Batch's methods, not by hand)."""
        self._batch = batch
        #: The entry's position in its batch (MOBJ_BATCH_RESULT(index)).
        self.index = index
        #: The command number (mobj._lib.CMD_*).
        self.cmd = cmd
        self._operands = operands
        #: Did the entry run and succeed?
        self.done = False
        #: Did the batch run (whatever became of this entry)?
        self.ran = False
        #: The entry's failure (a mobj.MobjError subclass), or None.
        self.error: Optional[MobjError] = None
        self._result: Any = None

    @property
    def op(self) -> str:
        """The command's name, e.g. ``"SLOT_APPEND"``."""
        return _lib.COMMAND_NAMES[self.cmd]

    @property
    def result(self) -> Any:
        """new(), dup(), get(): the new handle as an Object (None if a later
        entry of the batch closed it); getrefcount(): the refcount; None
        for the others.  Raises the entry's error if it failed, and
        RuntimeError if it did not run."""
        if self.error is not None:
            raise self.error
        if not self.done:
            raise RuntimeError(
                "batch entry %d (%s) did not run: %s" % (
                    self.index, self.op,
                    "an earlier entry failed" if self.ran
                    else "the batch has not run"))
        return self._result

    def __repr__(self) -> str:
        state = ("failed: %s" % self.error if self.error is not None else
                 "done" if self.done else "not run")
        return "<mobj.BatchEntry %d %s (%s)>" % (self.index, self.op, state)


class Batch:
    """Operations queued on a Heap, run by one MOBJ_BATCH (see the module's
    documentation).  Made by ``heap.batch()``; a context manager that runs
    the batch when its block ends without an exception."""

    def __init__(self, heap: Heap, *, check: bool = True):
        """An empty batch on ``heap``; ``check``: raise the failing entry's
        error when it runs."""
        heap._check_open()
        self._heap = heap
        self.check = check
        #: The queued operations, in order.
        self.entries: List[BatchEntry] = []
        #: Has the batch run?
        self.ran = False
        #: Entries that ran and succeeded (MOBJ_BATCH's ``done``).
        self.done = 0
        #: The failing entry's error, or None.
        self.error: Optional[MobjError] = None
        # id() of each operand a queued close() drops -> that entry's index
        # (its handle number may be the next entry's new handle).
        self._closing: Dict[int, int] = {}

    def __len__(self) -> int:
        """The number of queued operations."""
        return len(self.entries)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.run()
        else:
            self.ran = True     # abandoned: nothing runs, ever
            for entry in self.entries:
                entry.ran = True

    @property
    def results(self) -> List[Any]:
        """Each entry's result (None for an entry that failed or did not
        run)."""
        return [e._result if e.done else None for e in self.entries]

    # Queueing.

    def _handle(self, operand: Any, what: str) -> int:
        if id(operand) in self._closing:
            raise ValueError("%s is closed by entry %d of this batch"
                             % (what, self._closing[id(operand)]))
        if isinstance(operand, BatchEntry):
            if operand._batch is not self:
                raise ValueError("%s is an entry of another batch" % what)
            if operand.cmd not in _MAKES_HANDLE:
                raise ValueError("%s: entry %d (%s) makes no handle"
                                 % (what, operand.index, operand.op))
            return _lib.BATCH_RESULT(operand.index)
        if isinstance(operand, (Object, WeakRef)):
            if operand._heap is not self._heap:
                raise ValueError("%s belongs to another mobj.Heap" % what)
            if not operand._handle:
                raise ValueError("%s is a closed mobj handle" % what)
            return operand._handle
        raise TypeError("%s must be a mobj.Object, WeakRef or BatchEntry, "
                        "not %s" % (what, type(operand).__name__))

    @staticmethod
    def _index(index: Any) -> int:
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError("mobj slot indices must be integers, not %s"
                            % type(index).__name__)
        if index < 0:
            raise IndexError("a batch's slot index cannot be negative: the "
                             "length is not known before the batch runs")
        if index > 0xFFFFFFFF:
            raise IndexError("mobj slot index out of range")
        return index

    def _queue(self, cmd: int, handle: int = 0, index: int = 0,
               value: int = 0, operands: Optional[List[Any]] = None
               ) -> BatchEntry:
        if self.ran:
            raise RuntimeError("this batch has already run")
        self._heap._check_open()
        if len(self.entries) >= _lib.BATCH_MAX:
            raise ValueError("a batch holds at most %d operations"
                             % _lib.BATCH_MAX)
        entry = BatchEntry(self, len(self.entries), cmd,
                           [handle, index, value] + (operands or []))
        self.entries.append(entry)
        return entry

    def new(self, type: int = 0) -> BatchEntry:
        """heap.new(type=type), without a payload: result a new Object."""
        return self._queue(_lib.CMD_NEW, _u32(type, "type"))

    def dup(self, obj: Operand) -> BatchEntry:
        """obj.dup(): result a second handle (Object)."""
        return self._queue(_lib.CMD_DUP, self._handle(obj, "obj"),
                           operands=[obj])

    def close(self, obj: Operand) -> BatchEntry:
        """obj.close(): drop the handle (DECREF).  Once it ran, ``obj``
        (an Object or WeakRef) is closed; an entry's handle, its result is
        None."""
        entry = self._queue(_lib.CMD_CLOSE, self._handle(obj, "obj"),
                            operands=[obj])
        self._closing[id(obj)] = entry.index
        return entry

    def getrefcount(self, obj: Operand) -> BatchEntry:
        """heap.getrefcount(obj): result the refcount (int)."""
        return self._queue(_lib.CMD_GETREFCOUNT, self._handle(obj, "obj"),
                           operands=[obj])

    def append(self, obj: Operand, value: Operand) -> BatchEntry:
        """obj.append(value)."""
        return self._queue(_lib.CMD_SLOT_APPEND, self._handle(obj, "obj"),
                           0, self._handle(value, "value"),
                           operands=[obj, value])

    def set(self, obj: Operand, index: int, value: Operand) -> BatchEntry:
        """obj[index] = value."""
        return self._queue(_lib.CMD_SLOT_SET, self._handle(obj, "obj"),
                           self._index(index), self._handle(value, "value"),
                           operands=[obj, value])

    def get(self, obj: Operand, index: int) -> BatchEntry:
        """obj[index]: result a new handle (Object)."""
        return self._queue(_lib.CMD_SLOT_GET, self._handle(obj, "obj"),
                           self._index(index), operands=[obj])

    def pop(self, obj: Operand, index: int) -> BatchEntry:
        """del obj[index] (MOBJ_SLOT_POP): no handle is made."""
        return self._queue(_lib.CMD_SLOT_POP, self._handle(obj, "obj"),
                           self._index(index), operands=[obj])

    # Running.

    def run(self) -> List[Any]:
        """Run the queued operations in one MOBJ_BATCH (once); return the
        results.  With ``check`` the failing entry's error is raised."""
        if self.ran:
            raise RuntimeError("this batch has already run")
        heap = self._heap
        heap._check_open()
        self.ran = True
        entries = self.entries
        for entry in entries:
            entry.ran = True
        if not entries:
            return []
        ours = ctypes.sizeof(_lib.BatchOp)
        stride = heap._batch_op_size or ours
        if stride < ours:
            raise NotSupported(0, "the module's struct mobj_batch_op (%d "
                               "bytes) is older than this package's (%d)"
                               % (stride, ours), "MOBJ_BATCH")
        buf = (ctypes.c_char * (stride * len(entries)))()
        ops = [_lib.BatchOp.from_buffer(buf, i * stride)
               for i in range(len(entries))]
        for op, entry in zip(ops, entries):
            op.cmd = entry.cmd
            op.handle, op.index, op.value = entry._operands[:3]
        err, done = _lib.batch(heap._fd, buf, len(entries))
        if err and (done >= len(entries) or not ops[done].error):
            # Nothing ran (bad arguments), or the results could not be
            # written back (the kernel closed the handles made).
            for entry in entries:
                entry.ran = False
            raise error_from_errno(err, "MOBJ_BATCH")
        self.done = done
        closed = set()
        for op, entry in zip(ops[:done], entries[:done]):
            entry.done = True
            if entry.cmd == _lib.CMD_CLOSE:
                target = entry._operands[3]
                if isinstance(target, BatchEntry):
                    closed.add(target.index)
                else:
                    target._handle = 0      # the handle is gone
            elif entry.cmd == _lib.CMD_GETREFCOUNT:
                entry._result = op.result
        for op, entry in zip(ops[:done], entries[:done]):
            if entry.cmd in _MAKES_HANDLE and entry.index not in closed:
                oid = None
                if entry.cmd == _lib.CMD_DUP:
                    src = entry._operands[3]
                    oid = src._id if isinstance(src, Object) else None
                entry._result = Object(heap, op.result, oid)
        if err:
            failed = entries[done]
            error = error_from_errno(-ops[done].error or err,
                                     "MOBJ_BATCH[%d] MOBJ_%s"
                                     % (done, failed.op))
            error.batch_index = done        # type: ignore
            failed.error = self.error = error
            if self.check:
                raise error
        return self.results

    def __repr__(self) -> str:
        state = ("failed at %d" % self.done if self.error is not None else
                 "ran" if self.ran else "queued")
        return "<mobj.Batch %d operations, %s>" % (len(self.entries), state)
