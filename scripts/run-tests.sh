#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/run-tests.sh [--native] MODULE.ko [KUNIT.ko]
#
# Run every mobj test against a freshly loaded MODULE.ko:
#   1. insmod MODULE.ko and wait for /dev/mobj;
#   2. each selftests/mobj_* binary under a timeout (mobj_debug_* only on
#      the debug kernel, or natively; mobj_install, packaging, only on the
#      stock kernel, or natively), counting the cases of
#      its kselftest "# Totals:" line;
#   3. with KUNIT.ko: insmod it (its suites run at load time), count the
#      results in /sys/kernel/debug/kunit/<suite>/results, rmmod it;
#   4. rmmod the module, which must succeed;
#   5. kmemleak, when the kernel has it: any leak report is a failure.
# The last line is "N passed, N failed" (", N skipped" when there are any);
# the exit status is 0 only when nothing failed.
#
# Without --native we are in the test VM (scripts/vm-run.sh): a skipped
# test counts as failed (a missing device must never pass quietly), and
# the host scans the whole kernel log afterwards.  With --native the
# kernel log written during the run is scanned here, and skips are
# reported as skips.
#
# KUnit counting: one result per test case; a parameterised case counts
# one result per parameter instead of one for the case (as KUnit's own
# "# Totals:" line does).  A suite that fails to initialise counts as one
# failure.
#
# Environment: MOBJ_OUT (where to keep each suite's output; a temporary
# directory otherwise), MOBJ_TEST_TIMEOUT (seconds per selftest binary,
# default 300; twice that for mobj_python, which first makes a venv and
# pip-installs the package into it: minutes of Python under emulation).
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC1091 # sourced from our own directory
. "$TOP/scripts/guest-lib.sh"
KMEMLEAK=/sys/kernel/debug/kmemleak
KUNIT_DIR=/sys/kernel/debug/kunit
TEST_TIMEOUT=${MOBJ_TEST_TIMEOUT:-300}

native=0
passed=0 failed=0 skipped=0
marker=

say()
{
	echo "run-tests: $*"
}

# Record a failure with its reason.
fail()
{
	failed=$((failed + ${2:-1}))
	echo "FAIL $1"
}

now_ns()
{
	date +%s%N
}

seconds_since()
{
	awk -v a="$1" -v b="$(now_ns)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'
}

# Skips: counted as skips natively, as failures in the VM.
add_skips()
{
	[ "$1" -gt 0 ] || return 0
	if [ "$native" = 1 ]; then
		skipped=$((skipped + $1))
	else
		failed=$((failed + $1))
		echo "     ^ $1 skipped test(s) counted as FAILED: in the VM every test must run"
	fi
}

# Tag the kernel log so that only what follows is scanned (native runs).
mark_kernel_log()
{
	marker="mobj-run-tests-$$-$(now_ns)"
	echo "<6>$marker" >/dev/kmsg 2>/dev/null || marker=
}

# Quiet the fault-injection stack traces and forget leaks from before us.
prepare_debug_knobs()
{
	local f
	if [ "$native" = 0 ]; then
		for f in /sys/kernel/debug/failslab/verbose \
			 /sys/kernel/debug/fail_page_alloc/verbose; do
			[ -w "$f" ] && echo 0 >"$f"
		done
	fi
	if [ -w "$KMEMLEAK" ]; then
		# Scans only when asked (check_kmemleak): the periodic scan
		# thread would compete with the tests for the CPUs.
		[ "$native" = 1 ] || echo scan=off >"$KMEMLEAK" 2>/dev/null || true
		if ! { echo scan >"$KMEMLEAK" && echo clear >"$KMEMLEAK"; } 2>/dev/null; then
			say "kmemleak is present but disabled"
		fi
	fi
	return 0
}

load_module()
{
	local ko=$1 name rc=0

	name=$(basename "$ko" .ko)
	if grep -q "^$name " /proc/modules 2>/dev/null; then
		fail "$name is already loaded: rmmod it first"
		return 1
	fi
	# Two devices: the sharing tests import across them (EXDEV).
	mobj_insmod "$ko" /dev/mobj devices=2 || rc=$?
	case $rc in
	0) say "loaded $name ($2)"; return 0 ;;
	1) fail "insmod $ko devices=2" ;;
	*) fail "/dev/mobj did not appear after insmod $ko" ;;
	esac
	return 1
}

# "# Totals: pass:X fail:Y xfail:0 xpass:0 skip:Z error:0" -> "X Y Z E"
parse_totals()
{
	sed -n 's/^# Totals: pass:\([0-9]*\) fail:\([0-9]*\).*skip:\([0-9]*\) error:\([0-9]*\).*/\1 \2 \3 \4/p' \
		"$1" | tail -n 1
}

# The output of each failed kselftest case, from "#  RUN" to "not ok".
failed_cases()
{
	awk '
	/^#  RUN / { buf = ""; inside = 1 }
	inside { buf = buf $0 "\n" }
	/^not ok / { printf "%s", inside ? buf : $0 "\n"; inside = 0; buf = "" }
	/^ok / { inside = 0; buf = "" }' "$1"
}

# "P F S 0" from the TAP result lines of an output cut short.
count_tap()
{
	awk '
	/^not ok / { f++; next }
	/^ok .*# SKIP/ { s++; next }
	/^ok / { p++ }
	END { printf "%d %d %d 0\n", p, f, s }' "$1"
}

# After a test: the big lock's longest hold so far (debugfs stats of the
# first device), when the test changed it, so that the run's maximum
# (report_lock) can be put down to a test.
last_hold=
note_lock_hold()
{
	local stats=/sys/kernel/debug/mobj/stats h at

	[ -r "$stats" ] || return 0
	read -r h at < <(awk '$1 == "lock_hold_max_ns" { h = $2 }
		$1 == "lock_hold_max_at" { at = $2 }
		END { print h + 0, at ? at : "-" }' "$stats")
	if [ "$h" != "$last_hold" ]; then
		echo "     lock_hold_max_ns now $h (in $at)"
		last_hold=$h
	fi
}

run_selftest()
{
	local bin=$1 name log start rc=0 secs totals p=0 f=0 s=0 e=0 verdict=PASS
	local limit=$TEST_TIMEOUT

	name=$(basename "$bin")
	log=$OUTDIR/$name.log
	[ "$name" = mobj_python ] && limit=$((TEST_TIMEOUT * 2))
	start=$(now_ns)
	(cd "$(dirname "$bin")" && timeout -k 5 "$limit" "./$name") \
		>"$log" 2>&1 </dev/null || rc=$?
	secs=$(seconds_since "$start")
	totals=$(parse_totals "$log")
	# No totals (crash, timeout): count the cases that did report.
	read -r p f s e <<<"${totals:-$(count_tap "$log")}"
	f=$((f + e))

	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		f=$((f + 1)) verdict="FAIL (timed out after ${limit}s)"
	elif [ -z "$totals" ]; then
		f=$((f + 1)) verdict="FAIL (exit $rc, no '# Totals' line: crashed?)"
	elif [ "$f" -gt 0 ]; then
		verdict=FAIL
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ]; then
		# 4 is KSFT_SKIP: everything skipped, handled below.
		f=$((f + 1)) verdict="FAIL (exit $rc with no failing case)"
	elif [ "$s" -gt 0 ]; then
		verdict=SKIP
	fi
	echo "$verdict selftest $name: $p passed, $f failed, $s skipped (${secs}s)"
	grep -E '# SKIP' "$log" | sed 's/^/     /' || true
	failed_cases "$log" | sed 's/^/     /'
	if [ -z "$totals" ] || [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "     --- last 30 lines of $log ---"
		tail -n 30 "$log" | sed 's/^/     /'
	fi
	note_lock_hold
	passed=$((passed + p)) failed=$((failed + f))
	add_skips "$s"
}

run_selftests()
{
	local bins=() bin

	for bin in "$TOP"/selftests/mobj_*; do
		if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
			continue
		fi
		# mobj_debug_*: fault injection, kmemleak, races at scale; in
		# the VM only the debug kernel has what they need.
		case "$(basename "$bin")" in
		mobj_debug_*)
			if [ "$native" = 0 ] && [ "${MOBJ_KERNEL:-}" != debug ]; then
				say "$(basename "$bin"): debug kernel only, not run on ${MOBJ_KERNEL:-this kernel}"
				continue
			fi
			;;
		mobj_install)
			# Packaging (make install, pkg-config, dkms.conf, man
			# pages): the same on both kernels, and 9 minutes of
			# compilers and kbuild under KASAN and emulation.
			if [ "$native" = 0 ] && [ "${MOBJ_KERNEL:-}" = debug ]; then
				say "mobj_install: packaging, run on the stock kernel"
				continue
			fi
			;;
		esac
		bins+=("$bin")
	done
	# KASAN under emulation: the million-object chain would take most of
	# the time budget; the stock kernel runs it at full length.
	if [ "${MOBJ_KERNEL:-}" = debug ]; then
		export MOBJ_CHAIN_LEN=${MOBJ_CHAIN_LEN:-100000}
	fi
	if [ ${#bins[@]} = 0 ]; then
		fail "no selftests/mobj_* binaries: run 'make selftests'"
		return
	fi
	for bin in "${bins[@]}"; do
		run_selftest "$bin"
	done
}

# Count the results of a KUnit suite's debugfs "results" (KTAP); print
# "P F S" and, on stderr, the failed and skipped results.  The suite's own
# "# Totals:" line is used when present: Linux 6.1 keeps only the last
# parameter's lines in a parameterised case's log, so counting result lines
# would miss failures; it counts exactly what we want (cases, and each
# parameter of a parameterised case instead of the case).  Without it (the
# suite failed to initialise) the leaf result lines are counted.  A suite
# reported "not ok" never counts as zero failures.
parse_ktap()
{
	awk '
	/^[ \t]*# Totals: pass:[0-9]+ fail:[0-9]+ skip:[0-9]+/ {
		split($0, t, /[: ]+/)
		for (i = 1; i in t; i++) {
			if (t[i] == "pass") tp = t[i + 1]
			if (t[i] == "fail") tf = t[i + 1]
			if (t[i] == "skip") ts = t[i + 1]
		}
		totals = 1
	}
	/^[ \t]*(not )?ok [0-9]+/ {
		match($0, /^[ \t]*/)
		indent = RLENGTH
		line = substr($0, indent + 1)
		if (indent == 0) {
			suite_failed = line ~ /^not ok/
		} else if (line ~ /^not ok|# SKIP/) {
			print "     " line > "/dev/stderr"
		}
		# A result less indented than the one before closes a group
		# (a parameterised case, the suite): its children counted.
		leaf = !seen || indent >= prev
		seen = 1
		prev = indent
		if (!leaf)
			next
		if (line ~ /^not ok/)
			f++
		else if (line ~ /# SKIP/)
			s++
		else
			p++
	}
	END {
		if (totals) {
			p = tp; f = tf; s = ts
		}
		if (suite_failed && f == 0)
			f = 1
		printf "%d %d %d\n", p, f, s
	}' "$1"
}

run_kunit()
{
	local ko=$1 name before dir suite res p f s start secs found=0 verdict

	name=$(basename "$ko" .ko)
	if [ ! -d "$KUNIT_DIR" ]; then
		fail "KUnit: $KUNIT_DIR missing (no CONFIG_KUNIT_DEBUGFS or debugfs)"
		return
	fi
	before=$(ls "$KUNIT_DIR")
	start=$(now_ns)
	if ! insmod "$ko"; then
		fail "insmod $ko"
		return
	fi
	secs=$(seconds_since "$start")
	for dir in "$KUNIT_DIR"/*; do
		suite=$(basename "$dir")
		[ -d "$dir" ] || continue
		grep -qxF "$suite" <<<"$before" && continue
		found=1
		res=$KUNIT_DIR/$suite/results
		cp "$res" "$OUTDIR/kunit-$suite.ktap"
		parse_ktap "$res" >"$OUTDIR/kunit-$suite.count" \
			2>"$OUTDIR/kunit-$suite.bad"
		read -r p f s <"$OUTDIR/kunit-$suite.count"
		verdict=PASS
		[ "$s" = 0 ] || verdict=SKIP
		[ "$f" = 0 ] || verdict=FAIL
		echo "$verdict kunit $suite: $p passed, $f failed, $s skipped"
		cat "$OUTDIR/kunit-$suite.bad"
		if [ "$f" != 0 ]; then
			echo "     --- $suite results (last 60 lines) ---"
			tail -n 60 "$res" | sed 's/^/     /'
		fi
		passed=$((passed + p)) failed=$((failed + f))
		add_skips "$s"
	done
	say "KUnit module $name ran in ${secs}s"
	[ "$found" = 1 ] || fail "KUnit: $ko added no suite under $KUNIT_DIR"
	rmmod "$name" || fail "rmmod $name"
}

# The big lock's longest hold and wait over the whole run (debugfs stats of
# the first device): reported, not judged (make bench measures them).
report_lock()
{
	local stats=/sys/kernel/debug/mobj/stats

	[ -r "$stats" ] || return 0
	say "$(awk '$1 == "lock_hold_max_ns" { h = $2 }
		$1 == "lock_hold_max_at" { at = $2 }
		$1 == "lock_wait_max_ns" { w = $2 }
		END { printf "lock_hold_max_ns %s (in %s), lock_wait_max_ns %s",
			h, at ? at : "-", w }' "$stats")"
}

unload_module()
{
	local name

	name=$(basename "$1" .ko)
	if rmmod "$name"; then
		say "unloaded $name"
	else
		fail "rmmod $name (still in use? leaked reference?)"
	fi
}

check_kmemleak()
{
	local leaks n

	[ -w "$KMEMLEAK" ] || return 0
	if ! echo scan >"$KMEMLEAK" 2>/dev/null; then
		fail "kmemleak: present but disabled (see the kernel log)"
		return
	fi
	# kmemleak reports only objects older than 5 s.
	sleep 5
	echo scan >"$KMEMLEAK"
	leaks=$(cat "$KMEMLEAK")
	if [ -z "$leaks" ]; then
		echo "PASS kmemleak: no leak"
		return
	fi
	n=$(grep -c 'unreferenced object' <<<"$leaks" || true)
	[ "$n" -gt 0 ] || n=1
	fail "kmemleak: $n leaked object(s)" "$n"
	echo "$leaks" >"$OUTDIR/kmemleak.txt"
	head -n 200 <<<"$leaks" | sed 's/^/     /'
}

# Native runs: problems the kernel logged since we started.
check_kernel_log()
{
	local line n=0

	[ "$native" = 1 ] || return 0
	if [ -z "$marker" ]; then
		say "cannot write /dev/kmsg: kernel log not checked"
		return
	fi
	dmesg | sed -n "/$marker/,\$p" | "$TOP/scripts/dmesg-scan.sh" \
		>"$OUTDIR/kernel-problems.txt"
	while IFS= read -r line; do
		echo "FAIL kernel: $line"
		n=$((n + 1))
	done <"$OUTDIR/kernel-problems.txt"
	failed=$((failed + n))
	[ "$n" -gt 0 ] || echo "PASS kernel log: no splat"
}

summary()
{
	local line="$passed passed, $failed failed"

	[ "$skipped" = 0 ] || line+=", $skipped skipped"
	echo "$line"
	[ "$failed" = 0 ]
}

main()
{
	local ko kunit=

	if [ "${1:-}" = --native ]; then
		native=1
		shift
	fi
	if [ $# -lt 1 ] || [ $# -gt 2 ]; then
		echo "usage: $0 [--native] MODULE.ko [KUNIT.ko]" >&2
		exit 2
	fi
	ko=$1
	[ $# = 1 ] || kunit=$2
	[ "$(id -u)" = 0 ] || { echo "run-tests: needs root (insmod)" >&2; exit 2; }

	OUTDIR=${MOBJ_OUT:-$(mktemp -d /tmp/mobj-tests.XXXXXX)}
	# Private copies: a rebuild on the host during the run must not
	# hand us a half-written or mismatched module later on.
	MODDIR=$(mktemp -d /tmp/mobj-modules.XXXXXX)
	if ! cp "$ko" ${kunit:+"$kunit"} "$MODDIR/"; then
		fail "module file missing (is the module built?)"
		summary
		return
	fi
	ko=$MODDIR/$(basename "$ko")
	[ -z "$kunit" ] || kunit=$MODDIR/$(basename "$kunit")
	say "kernel $(uname -r), $([ "$native" = 1 ] && echo native || echo VM) run, output in $OUTDIR"
	mark_kernel_log
	prepare_debug_knobs

	if load_module "$ko" "$1"; then
		run_selftests
		[ -z "$kunit" ] || run_kunit "$kunit"
		report_lock
		unload_module "$ko"
	fi
	check_kmemleak
	check_kernel_log
	rm -rf "$MODDIR"
	summary
}

main "$@"
