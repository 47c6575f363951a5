# SPDX-License-Identifier: GPL-2.0
"""What every mobj Python test shares: a fresh Heap and a leak check.

The tests import the INSTALLED package (selftests/mobj_python pip-installs
python/ into a venv and runs them from outside the source tree): nothing
here puts the source tree on sys.path.  test_package.py checks that the
mobj imported is the venv's.
"""

import os
import unittest

import mobj

DEV = os.environ.get("MOBJ_DEV", mobj.DEV_PATH)


class HeapTest(unittest.TestCase):
    """Opens ``self.heap`` (or skips without the device).

    The collector's settings belong to the device: they are saved before
    each test and put back after it.  Once the test's heap is closed and a
    full collection has run, the device must have as many live objects and
    handles as before the test: nothing leaked.
    """

    def setUp(self):
        if not os.path.exists(DEV):
            self.skipTest("%s missing: is mobj.ko loaded?" % DEV)
        self.observer = mobj.Heap(DEV)
        self.addCleanup(self.observer.close)
        gc = self.observer.gc
        self.saved = (gc.isenabled(), gc.get_threshold(), gc.get_debug())
        # No automatic collection behind the test's back.
        gc.disable()
        q = self.observer.query()
        self.start = (q.live_objects, q.live_handles)
        self.heap = mobj.Heap(DEV)

    def tearDown(self):
        self.heap.close()
        gc = self.observer.gc
        enabled, threshold, debug = self.saved
        gc.set_debug(debug)
        gc.clear_garbage()
        if gc.get_freeze_count():
            gc.unfreeze()
        gc.collect(2)
        q = self.observer.query()
        gc.set_threshold(*threshold)
        if enabled:
            gc.enable()
        # live_handles includes the observer's (none: it made no object).
        self.assertEqual((q.live_objects, q.live_handles), self.start,
                         "objects or handles leaked by the test")

    @staticmethod
    def fork(child):
        """Run ``child()`` in a forked process and return its pid.  The
        child exits with what ``child()`` returns (None: 0), or 1 when it
        raises."""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = child() or 0
            finally:
                os._exit(code)
        return pid

    def assertChildOk(self, pid):
        """Wait for the child ``fork()`` started: it must have exited 0."""
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0)

    def live(self):
        """Objects created through this test's heap that are alive."""
        return self.heap.query().client_objects
