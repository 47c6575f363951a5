#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the stock-kernel VM (scripts/bench.sh boots it with
# scripts/vm-run.sh --script bench/guest.sh): loads mobj.ko with four
# devices, runs every benchmark and the CPython baselines (the host's
# /usr/bin/python3: mobj_bench_gc drives it alongside its own measurements,
# py_baseline.py mem runs alone), and appends their JSON records to
# $MOBJ_OUT/raw.jsonl for bench/report.py on the host.
#
# $MOBJ_OUT/bench.env (written by scripts/bench.sh) may set MOBJ_BENCH_KO
# (the module to load) and MOBJ_BENCH_QUICK=1 (small sizes, for trying the
# scripts out; the figures then mean little).
set -uo pipefail

# shellcheck disable=SC1091 # sourced from our own tree
. "$MOBJ_TOP/scripts/guest-lib.sh"
cd "$MOBJ_TOP/bench" || exit 1
raw=$MOBJ_OUT/raw.jsonl
: >"$raw"
# shellcheck disable=SC1091 # written by scripts/bench.sh
[ -r "$MOBJ_OUT/bench.env" ] && . "$MOBJ_OUT/bench.env"
ko=${MOBJ_BENCH_KO:-$MOBJ_BUILD/mobj.ko}
failed=0

if [ "${MOBJ_BENCH_QUICK:-0}" = 1 ]; then
	OPS="1000 3" BATCH="4096 3" TRACE="1000 3" THREADS="100 1"
	MEM=20000 RINGS="100 20 3" HEAP="100000 3" PYMEM=5000 STALL=100000
	SCALE="2 10000 100000 200000" HEAPMEM=100000
else
	OPS="1000 15" BATCH="4096 11" TRACE="1000 15" THREADS="300 5"
	MEM=100000 RINGS="100 20 11" HEAP="1000000 5" PYMEM=20000 STALL=1000000
	SCALE="3 100000 1000000 4000000" HEAPMEM=1000000
fi
# SCALE: repetitions, then the chain sizes of row 10 (mobj_bench_gc scale);
# HEAPMEM: the size of row 7's heap, one of them (py_baseline.py heapmem).

record()
{
	printf '%s\n' "$1" >>"$raw"
}

# step NAME COMMAND...: its records go to raw.jsonl, its errors to the log.
step()
{
	local name=$1 start rc=0
	shift
	echo "bench: $name" >&2
	start=$(date +%s.%N)
	"$@" >>"$raw" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "bench: $name failed with exit code $rc" >&2
		record "{\"row\": \"error\", \"name\": \"$name\", \"value\": \"exit $rc\"}"
		failed=1
	fi
	record "{\"row\": \"step\", \"name\": \"$name\", \"value\": $(
		awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'), \"unit\": \"s\"}"
}

machine()
{
	local cpu
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	record "{\"row\": \"machine\", \"name\": \"guest_kernel\", \"value\": \"$(uname -r)\"}"
	record "{\"row\": \"machine\", \"name\": \"guest_cpus\", \"value\": \"$(nproc)\"}"
	record "{\"row\": \"machine\", \"name\": \"guest_cpu\", \"value\": \"$cpu\"}"
	record "{\"row\": \"machine\", \"name\": \"guest_mem_mb\", \"value\": \"$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo)\"}"
	record "{\"row\": \"machine\", \"name\": \"python\", \"value\": \"$(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])')\"}"
	record "{\"row\": \"machine\", \"name\": \"clocksource\", \"value\": \"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)\"}"
}

# Row 8: the same pairs with the mobj trace events off, then on.
tracepoints()
{
	local events=/sys/kernel/tracing/events/mobj
	[ -d "$events" ] || events=/sys/kernel/debug/tracing/events/mobj
	if [ ! -e "$events/enable" ]; then
		record '{"row": "trace", "name": "status", "value": "not available"}'
		return
	fi
	echo 0 >"$events/enable"
	# shellcheck disable=SC2086 # sizes are lists of words
	step trace-off ./mobj_bench_ops trace disabled $TRACE
	echo 1 >"$events/enable"
	# shellcheck disable=SC2086
	step trace-on ./mobj_bench_ops trace enabled $TRACE
	echo 0 >"$events/enable"
	echo >"${events%/events/mobj}/trace"
	record '{"row": "trace", "name": "status", "value": "ok"}'
}

main()
{
	local rc=0

	mobj_insmod "$ko" /dev/mobj3 devices=4 || rc=$?
	if [ $rc = 1 ]; then
		echo "bench: insmod $ko devices=4 failed" >&2
		exit 1
	fi
	machine
	# shellcheck disable=SC2086 # sizes are lists of words
	{
		step ops ./mobj_bench_ops ops $OPS
		step batch ./mobj_bench_ops batch $BATCH
		tracepoints
		step threads ./mobj_bench_threads $THREADS
		step mem ./mobj_bench_mem 2 $MEM
		step gc-rings ./mobj_bench_gc rings 1 $RINGS
		step gc-heap ./mobj_bench_gc heap 3 $HEAP
		step gc-scale ./mobj_bench_gc scale 1 $SCALE
		step py-mem /usr/bin/python3 py_baseline.py mem $PYMEM
		step py-heapmem /usr/bin/python3 py_baseline.py heapmem $HEAPMEM
		step stall ./mobj_bench_stall 0 $STALL
	}
	rmmod mobj || failed=1
	return "$failed"
}

main "$@"
