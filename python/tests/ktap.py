#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Run the mobj Python tests with unittest and report them as kselftest does.

Usage: ktap.py [-v] [PATTERN...]

Every test_*.py beside this file is loaded; each test method is one
kselftest case ("#  RUN", then "ok N name" or "not ok N name" with the
traceback as "# " lines).  The last line is
"# Totals: pass:X fail:Y xfail:0 xpass:0 skip:Z error:0", the form
scripts/run-tests.sh counts.  Exit status: 0 when nothing failed, 4
(KSFT_SKIP) when everything was skipped, 1 otherwise.  PATTERNs select
the tests whose id contains one of them.

The package tested is the one "import mobj" finds: run this with the
python of a venv the package was pip-installed into (selftests/mobj_python
does), not with the source tree on sys.path.
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def iter_tests(suite):
    for test in suite:
        if isinstance(test, unittest.TestSuite):
            yield from iter_tests(test)
        else:
            yield test


class CaseResult(unittest.TestResult):
    """The outcome of one test: pass, fail, skip, xfail or xpass."""

    def __init__(self):
        super().__init__()
        self.outcome = "pass"
        self.detail = ""

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.outcome, self.detail = "fail", self._exc_info_to_string(err, test)

    def addError(self, test, err):
        super().addError(test, err)
        self.outcome, self.detail = "fail", self._exc_info_to_string(err, test)

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.outcome = "fail"
            self.detail += self._exc_info_to_string(err, test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.outcome, self.detail = "skip", reason

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.outcome = "xfail"

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.outcome = "xpass"


def comment(text):
    for line in text.rstrip().splitlines():
        print("# " + line)


def main(argv):
    verbose = "-v" in argv
    patterns = [a for a in argv if a != "-v"]
    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    tests = [t for t in iter_tests(suite)
             if not patterns or any(p in t.id() for p in patterns)]

    counts = dict.fromkeys(("pass", "fail", "xfail", "xpass", "skip"), 0)
    print("TAP version 13")
    print("1..%d" % len(tests))
    for n, test in enumerate(tests, 1):
        name = test.id()
        print("#  RUN           %s ..." % name, flush=True)
        result = CaseResult()
        start = time.monotonic()
        test.run(result)
        secs = time.monotonic() - start
        counts[result.outcome] += 1
        if result.outcome == "fail":
            comment(result.detail)
            print("#      FAIL  %s (%.2fs)" % (name, secs))
            print("not ok %d %s" % (n, name))
        elif result.outcome == "skip":
            print("ok %d %s # SKIP %s" % (n, name, result.detail))
        elif result.outcome == "xfail":
            print("ok %d %s # XFAIL" % (n, name))
        elif result.outcome == "xpass":
            print("not ok %d %s # XPASS" % (n, name))
        else:
            if verbose:
                print("#            OK  %s (%.2fs)" % (name, secs))
            print("ok %d %s" % (n, name))
        sys.stdout.flush()
    if not tests:
        print("not ok 1 no test found")
        counts["fail"] += 1
    # A test file that does not import is one failing case of its own
    # (unittest's _FailedTest), counted above.
    print("# Totals: pass:%d fail:%d xfail:%d xpass:%d skip:%d error:0" % (
        counts["pass"], counts["fail"], counts["xfail"], counts["xpass"],
        counts["skip"]))
    if counts["fail"] or counts["xpass"]:
        return 1
    if tests and counts["skip"] == len(tests):
        return 4
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
