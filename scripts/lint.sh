#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: checkpatch --strict on the kernel side, a W=1 build and a
# sparse (C=2) build against Debian's headers.  Any finding fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(mobj_ksrc)
kdir=/usr/src/linux-headers-$(mobj_kver)
out=$MOBJ_TOP/build/lint
bad=0

cd "$MOBJ_TOP"
# Trace headers are written in the TRACE_EVENT() idiom checkpatch dislikes.
trace_ignore=PARENTHESIS_ALIGNMENT,OPEN_ENDED_LINE
for f in kmod/*.c kmod/*.h uapi/linux/mobj.h; do
	ignore=
	case "$f" in kmod/mobj_trace.h) ignore="--ignore $trace_ignore" ;; esac
	# shellcheck disable=SC2086 # $ignore is empty or two words
	if ! "$src/scripts/checkpatch.pl" --strict --no-tree --quiet $ignore \
		-f "$f"; then
		bad=1
	fi
done

# W=1 always; C=2 runs sparse over every file.
if ! "$MOBJ_TOP/scripts/build-module.sh" "$kdir" "$out" C=2 >/dev/null; then
	bad=1
elif grep -E "warning:|error:" "$out/build.log"; then
	bad=1
fi

if [ $bad = 0 ]; then
	echo "lint: checkpatch --strict, W=1 and sparse are clean"
else
	echo "lint: problems found" >&2
fi
exit $bad
