#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/demo-graph.sh [OUTDIR]
#
# Runs where /dev/mobj exists (the demo VM, after insmod): builds the seed
# cycle (a = list("1"); b = list("2"); a.append(b); b.append(a)) and, while
# its two handles still hold it, draws it with
#
#	mobjctl graph backrefs <a> --depth 2 -o OUTDIR/seed-cycle.png
#
# (the two objects, the slots between them, the client's handles as
# roots), then drops the handles and collects the cycle.  The Graphviz
# source goes next to it as seed-cycle.dot.  OUTDIR defaults to $MOBJ_OUT
# (the VM's share with the host), else build/.  The last line printed is
# the PNG's path.
#
# Needs tools/mobjctl built (make -C tools/mobjctl) and Graphviz's dot.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${MOBJ_OUT:-$top/build}}
seed_graph=$top/tools/mobjctl/seed_graph
mobjctl=$top/tools/mobjctl/mobjctl

die()
{
	echo "demo-graph: $*" >&2
	exit 1
}

if [ ! -x "$seed_graph" ] || [ ! -x "$mobjctl" ]; then
	die "tools/mobjctl is not built (make -C tools/mobjctl)"
fi
[ -c /dev/mobj ] || die "/dev/mobj is missing: load mobj.ko first"
command -v dot >/dev/null ||
	die "Graphviz 'dot' is not installed (apt install graphviz)"
mkdir -p "$out"

# fontconfig wants a writable cache; the VM's root is read-only.
export XDG_CACHE_HOME=${XDG_CACHE_HOME:-/tmp/.cache}

MOBJCTL=$mobjctl "$seed_graph" "$out/seed-cycle.dot" "$out/seed-cycle.png" \
	>/dev/null
[ -s "$out/seed-cycle.png" ] || die "no picture in $out/seed-cycle.png"
echo "The seed cycle before collection: $out/seed-cycle.png"
