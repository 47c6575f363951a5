#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/dkms-check.sh [KVER]         ("make dkms-build-check")
#
# Check that DKMS builds mobj.ko: "dkms add" then "dkms build -k KVER"
# (default: Debian's stock kernel, scripts/kver.sh) with Debian's dkms and
# headers, exactly as "make dkms-install" would, then "dkms remove".
#
# Everything happens in a throwaway directory: the sources go to
# TMP/src/mobj-VERSION (what /usr/src/mobj-VERSION holds after
# "make dkms-install", copied by the same "make dkms-source") and dkms
# runs with --sourcetree and --dkmstree pointing there, so /usr/src and
# /var/lib/dkms are never touched and an installed mobj is left alone.
# The one thing dkms may create outside is its module-signing key
# (/var/lib/dkms/mok.key and mok.pub); when this run created it, it is
# removed again.  Idempotent; the last line is "1 passed, 0 failed" or
# "0 passed, 1 failed".
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

KVER=${1:-$(mobj_kver)}
VERSION=$(cat "$MOBJ_TOP/VERSION")
MOK_FILES=(/var/lib/dkms/mok.key /var/lib/dkms/mok.pub)

say()
{
	echo "dkms-check: $*"
}

result()
{
	if [ "$1" = 0 ]; then
		echo "1 passed, 0 failed"
	else
		echo "0 passed, 1 failed"
	fi
	exit "$1"
}

command -v dkms >/dev/null || { say "dkms is not installed (scripts/deps.sh)"; result 1; }
[ "$(id -u)" = 0 ] || { say "needs root (dkms)"; result 1; }
[ -e "/lib/modules/$KVER/build/Makefile" ] ||
	{ say "no headers for $KVER in /lib/modules/$KVER/build"; result 1; }

tmp=$(mktemp -d /tmp/mobj-dkms.XXXXXX)
made_mok=()
for f in "${MOK_FILES[@]}"; do
	[ -e "$f" ] || made_mok+=("$f")
done

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	local f
	rm -rf "$tmp"
	for f in ${made_mok[@]+"${made_mok[@]}"}; do
		rm -f "$f"
	done
}
trap cleanup EXIT

DKMS=(dkms --sourcetree "$tmp/src" --dkmstree "$tmp/dkms"
	--installtree "$tmp/modules")

say "mobj $VERSION for $KVER, in $tmp"
make --no-print-directory -s -C "$MOBJ_TOP" -f Makefile -f mk/install.mk \
	dkms-source DESTDIR= DKMS_SRCDIR="$tmp/src/mobj-$VERSION"
mkdir -p "$tmp/dkms" "$tmp/modules"

rc=0
"${DKMS[@]}" add -m mobj -v "$VERSION" >"$tmp/add.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
	cat "$tmp/add.log"
	say "FAIL: dkms add (exit $rc)"
	result 1
fi
"${DKMS[@]}" build -m mobj -v "$VERSION" -k "$KVER" >"$tmp/build.log" 2>&1 || rc=$?
ko=$(find "$tmp/dkms/mobj/$VERSION/$KVER" -name 'mobj.ko*' -print -quit 2>/dev/null || true)
if [ "$rc" != 0 ] || [ -z "$ko" ]; then
	cat "$tmp/build.log"
	log=$tmp/dkms/mobj/$VERSION/build/make.log
	[ ! -e "$log" ] || tail -n 40 "$log"
	say "FAIL: dkms build (exit $rc)"
	result 1
fi
v=$(modinfo -F version "$ko")
vermagic=$(modinfo -F vermagic "$ko")
say "built $(basename "$ko"): version $v, vermagic $vermagic"
if [ "$v" != "$VERSION" ] || [ "${vermagic%% *}" != "$KVER" ]; then
	say "FAIL: expected version $VERSION for $KVER"
	result 1
fi
"${DKMS[@]}" remove -m mobj -v "$VERSION" --all >"$tmp/remove.log" 2>&1 ||
	{ cat "$tmp/remove.log"; say "FAIL: dkms remove"; result 1; }
say "PASS"
result 0
