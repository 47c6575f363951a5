# SPDX-License-Identifier: GPL-2.0
"""python/examples/ run as a user would run them."""

import os
import subprocess
import sys
import unittest

from common import HeapTest

EXAMPLES = os.path.normpath(os.path.join(os.path.dirname(__file__), "..",
                                         "examples"))


class TestExamples(HeapTest):

    def test_seed_cycle(self):
        proc = subprocess.run(
            [sys.executable, os.path.join(EXAMPLES, "seed_cycle.py")],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn(">>> heap.collect()", proc.stdout)
        lines = proc.stdout.splitlines()
        self.assertEqual(lines[lines.index(
            ">>> heap.collect()        # find and free unreachable cycles")
            + 1], "2")
        self.assertIn("(2, 2)", proc.stdout)


if __name__ == "__main__":
    unittest.main()
