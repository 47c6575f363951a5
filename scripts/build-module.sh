#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/build-module.sh KDIR OUTDIR [MAKE ARGS...]
#
# Build mobj.ko (and mobj_kunit.ko when KDIR's kernel has CONFIG_KUNIT)
# against the kernel build tree KDIR, keeping every object out of the
# source tree.  Linux 6.1 has no MO=, so OUTDIR becomes a mirror of the
# sources: real directories, one symlink per source file, then
# "make -C KDIR M=OUTDIR modules W=1".  Prints the .ko paths.
#
#   stock: scripts/build-module.sh /usr/src/linux-headers-$(scripts/kver.sh) build/stock
#   debug: scripts/build-module.sh "$(scripts/debug-kernel.sh)" build/debug
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

die()
{
	echo "build-module: $*" >&2
	exit 1
}

# Point OUTDIR/kmod/* at kmod/*.[ch]; drop links whose source went away.
mirror_sources()
{
	local out=$1 f

	mkdir -p "$out/kmod"
	for f in "$out"/kmod/*; do
		[ -L "$f" ] && [ ! -e "$f" ] && rm -f "$f"
	done
	for f in "$MOBJ_TOP"/kmod/*.c "$MOBJ_TOP"/kmod/*.h; do
		[ -e "$f" ] || continue
		ln -sfn "$f" "$out/kmod/$(basename "$f")"
	done
	ln -sfn "$MOBJ_TOP/Kbuild" "$out/Kbuild"
	# Headers only: no object is ever written there.
	rm -rf "$out/uapi"
	ln -sfn "$MOBJ_TOP/uapi" "$out/uapi"
}

# Does KDIR's kernel have KUnit (=y or =m)?
has_kunit()
{
	grep -qE '^CONFIG_KUNIT=[ym]' "$1/include/config/auto.conf" 2>/dev/null
}

main()
{
	[ $# -ge 2 ] || die "usage: $0 KDIR OUTDIR [MAKE ARGS...]"
	local kdir=$1 out=$2 ko
	shift 2

	[ -e "$kdir/Makefile" ] || die "$kdir is not a kernel build tree"
	[ -e "$kdir/Module.symvers" ] ||
		die "$kdir has no Module.symvers (run 'make modules' there first)"
	[ -e "$MOBJ_TOP/kmod/mobj_main.c" ] || die "no kmod/mobj_main.c yet"

	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	mirror_sources "$out"

	# Stale .ko files must not be mistaken for fresh ones.
	rm -f "$out"/*.ko
	if ! make -C "$kdir" M="$out" W=1 "$@" modules >"$out/build.log" 2>&1; then
		grep -E 'error|Error' "$out/build.log" | head -n 40 >&2 || true
		tail -n 20 "$out/build.log" >&2
		die "build failed against $kdir (full log: $out/build.log)"
	fi
	# Warnings are not fatal here, but nobody should miss them.
	grep -E 'warning:' "$out/build.log" >&2 || true

	[ -e "$out/mobj.ko" ] || die "make succeeded but $out/mobj.ko is missing"
	if has_kunit "$kdir" && [ -e "$MOBJ_TOP/kmod/mobj_kunit.c" ] &&
	   [ ! -e "$out/mobj_kunit.ko" ]; then
		die "$kdir has KUnit but $out/mobj_kunit.ko was not built"
	fi
	for ko in "$out"/*.ko; do
		echo "$ko"
	done
}

main "$@"
