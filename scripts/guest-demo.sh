#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the demo VM (scripts/demo.sh): load mobj.ko, run the
# seed_cycle example from userlib/examples, draw the cycle with mobjctl
# (scripts/demo-graph.sh), unload the module.
set -euo pipefail

example=userlib/examples/seed_cycle

# shellcheck disable=SC1091 # sourced from our own directory
. "$MOBJ_TOP/scripts/guest-lib.sh"

rc=0
mobj_insmod "$MOBJ_BUILD/mobj.ko" /dev/mobj || rc=$?
if [ $rc = 1 ]; then
	echo "demo: mobj.ko does not load" >&2
	exit 1
fi
echo "\$ insmod mobj.ko           # /dev/mobj is ready"
echo "\$ $example"
rc=0
if [ -x "$example" ]; then
	"$example" || rc=$?
else
	echo "demo: $example is not built (make lib)" >&2
	rc=1
fi
# The same cycle again, drawn while its handles are still open.
if [ "$rc" = 0 ]; then
	echo "\$ mobjctl graph backrefs A -o seed-cycle.png   # what holds the cycle"
	scripts/demo-graph.sh "$MOBJ_OUT" | tail -n 1 >"$MOBJ_OUT/picture" || rc=$?
fi
rmmod mobj || rc=1
echo "\$ rmmod mobj"
exit "$rc"
