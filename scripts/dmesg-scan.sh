#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/dmesg-scan.sh [FILE]
#
# Print every kernel log line (FILE, or stdin) that reports a kernel
# problem: BUG/WARNING/Oops, KASAN, UBSAN, lockdep, RCU, kmemleak.  One
# line printed is one failure; no output means a clean log.
#
# Expected stack dumps are skipped: what a KUnit case brackets between
# "mobj_kunit: expected WARNING begin" and "... end" (it checks the
# warning itself), and two more: the one fault injection prints
# on purpose ("FAULT_INJECTION: forcing a failure"), and a memory cgroup
# running out of memory (a test of memcg limits causes it; the stack goes
# through mem_cgroup_out_of_memory).  A global OOM is still reported.
set -euo pipefail

scan()
{
	awk '
	function settle() {
		if (oom && !memcg)
			printf "%s", held
		oom = 0; memcg = 0; held = ""
	}
	/mobj_kunit: expected WARNING begin/ { expected = 1; next }
	/mobj_kunit: expected WARNING end/ { expected = 0; next }
	expected { next }
	/FAULT_INJECTION: forcing a failure/ { injected = 1; next }
	/Call Trace/ && injected { injected = 0; next }
	/invoked oom-killer/ { settle(); oom = 1; next }
	oom && /mem_cgroup_out_of_memory/ { memcg = 1 }
	/BUG:|WARNING:|Oops|general protection|Call Trace|KASAN|UBSAN|kernel BUG|possible circular locking|possible recursive locking|DEBUG_LOCKS_WARN|inconsistent lock state|suspicious RCU usage|unreferenced object/ {
		if (oom)
			held = held $0 "\n"
		else
			print
	}
	oom && /<\/TASK>/ { settle() }
	END { settle() }'
}

if [ $# -gt 0 ]; then
	scan <"$1"
else
	scan
fi
