#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/bench.sh [--quick]                          ("make bench")
#
# Build libmobj, the benchmarks (bench/) and mobj.ko for Debian's stock
# kernel, boot that kernel once in a throwaway VM (scripts/vm-run.sh), run
# bench/guest.sh there (mobj.ko loaded with devices=4, every benchmark and
# the CPython baselines with the host's /usr/bin/python3), then print the
# table and write it as JSON to results/bench-<date>.json.
#
# Benchmarks, not tests: no figure fails the run.  The exit status is
# non-zero only when something could not be built or the VM failed.
#   --quick            small sizes, to try the scripts (figures mean little)
#   MOBJ_BENCH_KO=...  load this mobj.ko instead of build/stock/mobj.ko
#                      (it must have been built for the stock kernel)
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

OUT=$MOBJ_TOP/build/vm-bench
RESULTS=$MOBJ_TOP/results
quick=0

die()
{
	echo "bench: $*" >&2
	exit 1
}

build()
{
	echo "bench: building libmobj, the benchmarks and mobj.ko" >&2
	if ! { make -C "$MOBJ_TOP" --no-print-directory lib &&
	       make -C "$MOBJ_TOP/bench" --no-print-directory; } \
	       >"$OUT.build.log" 2>&1; then
		cat "$OUT.build.log" >&2
		die "build failed"
	fi
	if [ -z "${MOBJ_BENCH_KO:-}" ]; then
		"$MOBJ_TOP/scripts/build-module.sh" \
			"/usr/src/linux-headers-$(mobj_kver)" \
			"$MOBJ_TOP/build/stock" >/dev/null
	fi
}

main()
{
	local rc=0 stamp json

	case "${1:-}" in
	--quick) quick=1 ;;
	'') ;;
	*) sed -n 's/^# \{0,1\}//; 3,17p' "$0" >&2; exit 2 ;;
	esac
	mkdir -p "$OUT" "$RESULTS"
	build
	{
		echo "MOBJ_BENCH_QUICK=$quick"
		[ -n "${MOBJ_BENCH_KO:-}" ] &&
			echo "MOBJ_BENCH_KO=$(realpath "$MOBJ_BENCH_KO")"
	} >"$OUT/bench.env"
	rm -f "$OUT/raw.jsonl"
	MOBJ_BENCH_LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
	export MOBJ_BENCH_LOAD_BEFORE
	echo "bench: running in the stock-kernel VM (a few minutes under TCG)" >&2
	"$MOBJ_TOP/scripts/vm-run.sh" --kernel stock --quiet --mem 2048 \
		--timeout 2700 --outdir "$OUT" \
		--script "$MOBJ_TOP/bench/guest.sh" || rc=$?
	[ -s "$OUT/raw.jsonl" ] ||
		die "the VM produced no figures (exit $rc); see $OUT/guest.log"
	[ "$rc" = 0 ] ||
		echo "bench: the VM run ended with exit $rc; see $OUT/guest.log" >&2

	stamp=$(date +%Y%m%d-%H%M%S)
	json=$RESULTS/bench-$stamp.json
	python3 "$MOBJ_TOP/bench/report.py" "$OUT/raw.jsonl" "$OUT/result" \
		"$json"
	echo
	echo "bench: JSON in ${json#"$MOBJ_TOP"/}; console and guest log in ${OUT#"$MOBJ_TOP"/}/"
	return "$rc"
}

main "$@"
