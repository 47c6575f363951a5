#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/check.sh [stock] [debug]        ("make check"; both by default)
#
# First, on the host, make lint and a DKMS build (one test each); then
# every test, in throwaway VMs, one after the other (the two VMs side by
# side took longer on a 2-core machine: each slowed the other 2-3x):
#   stock  Debian's own kernel: mobj.ko and the selftests;
#   debug  the debug kernel (KASAN, lockdep, kmemleak, fault injection;
#          built once by scripts/debug-kernel.sh): the same plus the KUnit
#          suites of mobj_kunit.ko.
# Each run's "N passed, N failed" line is added up, and every problem line
# in a kernel log counts as one more failure; so does a VM that died or
# timed out, or a build that broke.  The last line is the total,
# "N passed, N failed"; the exit status is non-zero when anything failed.
#
# MOBJ_VM_TIMEOUT overrides the per-VM timeout (stock 1200 s, debug 3000 s).
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

passed=0 failed=0 skipped=0
report=()
started=$SECONDS

step()
{
	echo
	echo "=== check: $* (at $((SECONDS - started)) s)"
}

# Count one failure for a step that could not run at all.
broken()
{
	failed=$((failed + 1))
	report+=("FAIL $1")
	echo "check: FAIL $1" >&2
}

build_userspace()
{
	step "building libmobj and the selftests"
	make -C "$MOBJ_TOP" --no-print-directory lib selftests tools
}

# One host-side check, counted as one test: $1 names it, the rest runs it.
host_check()
{
	local name=$1

	shift
	step "$name"
	if "$@"; then
		passed=$((passed + 1))
		report+=("host  $name: passed")
	else
		broken "host: $name"
	fi
}

# Style and static analysis, and the DKMS build, on the host.
check_host()
{
	host_check "lint (checkpatch --strict, W=1, sparse)" \
		"$MOBJ_TOP/scripts/lint.sh"
	host_check "dkms build against Debian's headers" \
		"$MOBJ_TOP/scripts/dkms-check.sh"
}

# Build the module for kernel $1 (stock|debug) against KDIR $2.
build_module()
{
	step "building mobj.ko for the $1 kernel"
	"$MOBJ_TOP/scripts/build-module.sh" "$2" "$MOBJ_TOP/build/$1"
}

# Add up the VM run of kernel $1 from its output directory.
tally()
{
	local kernel=$1 out=$MOBJ_TOP/build/vm-$1 line p=0 f=0 s=0
	local status=none rc=none splats=0 secs='?' key val cpus lock

	while IFS='=' read -r key val; do
		case "$key" in
		status) status=$val ;;
		rc) rc=$val ;;
		splats) splats=$val ;;
		seconds) secs=$val ;;
		esac
	done <"$out/result" 2>/dev/null || true

	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/guest.log" 2>/dev/null |
		tail -n 1 || true)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
		s=${s:-0}
	else
		# No summary: the VM or the runner died; that is a failure.
		f=1
	fi
	cpus=$(cat "$out/cpus" 2>/dev/null || echo '?')
	lock=$(sed -n 's/^run-tests: \(lock_hold_max_ns [0-9]* (in [^)]*)\).*/\1/p' \
		"$out/guest.log" 2>/dev/null | tail -n 1)
	[ "$rc" != 0 ] && [ "$f" = 0 ] && [ "$splats" = 0 ] && f=1
	f=$((f + splats))
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	report+=("$(printf '%-5s kernel: %s passed, %s failed (%s kernel log problems), %s CPUs, VM %s in %ss%s' \
		"$kernel" "$p" "$f" "$splats" "$cpus" "$status" "$secs" \
		"${lock:+, $lock}")")
}

# Boot kernel $1 and run every test there.
run_vm()
{
	local kernel=$1 timeout=$2

	step "testing in a VM on the $kernel kernel"
	"$MOBJ_TOP/scripts/vm-run.sh" --kernel "$kernel" \
		--script "$MOBJ_TOP/scripts/guest-check.sh" \
		--timeout "${MOBJ_VM_TIMEOUT:-$timeout}" || true
	tally "$kernel"
}

check_stock()
{
	local kdir

	kdir=/usr/src/linux-headers-$(mobj_kver)
	if build_module stock "$kdir"; then
		run_vm stock 1200
	else
		broken "stock: mobj.ko does not build"
	fi
}

check_debug()
{
	local kdir

	step "finding (or building, once: ~10 minutes) the debug kernel"
	if ! kdir=$("$MOBJ_TOP/scripts/debug-kernel.sh"); then
		broken "debug: the debug kernel does not build"
		return
	fi
	if build_module debug "$kdir"; then
		run_vm debug 3000
	else
		broken "debug: mobj.ko does not build"
	fi
}

# The reliability figures the debug kernel's tests print, and the kernel
# log reports found (each one also counted as a failure above).
reliability()
{
	local out=$MOBJ_TOP/build/vm-debug figures reports

	[ -d "$out" ] || return 0
	figures=$(grep -h '^# reliability: ' "$out"/*.log 2>/dev/null |
		sed 's/^# reliability: //' | tr '\n' ' ')
	reports=$(sed -n 's/^splats=//p' "$out/result" 2>/dev/null)
	echo "reliability (debug kernel): ${figures}kernel_reports=${reports:-?}"
}

summary()
{
	local r line="$passed passed, $failed failed"

	step "summary"
	for r in "${report[@]}"; do
		echo "$r"
	done
	reliability
	[ "$skipped" = 0 ] || line+=", $skipped skipped"
	echo "check: $((SECONDS - started)) s in all"
	echo "$line"
	[ "$failed" = 0 ]
}

main()
{
	local kernels=("$@") k

	[ ${#kernels[@]} -gt 0 ] || kernels=(stock debug)
	for k in "${kernels[@]}"; do
		case "$k" in
		stock|debug) ;;
		*) echo "usage: $0 [stock] [debug]" >&2; exit 2 ;;
		esac
	done

	step "dependencies"
	"$MOBJ_TOP/scripts/deps.sh"
	if ! build_userspace; then
		broken "libmobj or the selftests do not build"
		summary
		return
	fi
	check_host
	for k in "${kernels[@]}"; do
		"check_$k"
	done
	summary
}

main "$@"
