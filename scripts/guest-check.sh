#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (scripts/vm-run.sh --script scripts/guest-check.sh):
# every test against the mobj.ko built for the booted kernel, plus the
# KUnit suites when mobj_kunit.ko was built for it.
set -euo pipefail

# KASAN, lockdep and kmemleak under emulation are slow: more time per
# selftest binary there.
if [ "$MOBJ_KERNEL" = debug ]; then
	export MOBJ_TEST_TIMEOUT=${MOBJ_TEST_TIMEOUT:-900}
fi

# The CPUs the tests ran on, for the summary (races need two or more).
nproc >"$MOBJ_OUT/cpus"
echo "guest-check: $(cat "$MOBJ_OUT/cpus") CPUs"

modules=("$MOBJ_BUILD/mobj.ko")
if [ -e "$MOBJ_BUILD/mobj_kunit.ko" ]; then
	modules+=("$MOBJ_BUILD/mobj_kunit.ko")
fi
exec "$MOBJ_TOP/scripts/run-tests.sh" "${modules[@]}"
