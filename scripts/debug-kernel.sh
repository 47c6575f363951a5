#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel (KUnit, KASAN, lockdep, kmemleak, fault injection)
# from Debian's linux-source tarball, once per machine: the build lives in
# $MOBJ_CACHE keyed by the config fragment, the source version and this
# script.  Prints the build directory (bzImage in arch/x86/boot/, ready for
# out-of-tree modules with "make -C DIR M=...").
set -euo pipefail
. "$(dirname "$0")/lib.sh"

frag=$MOBJ_TOP/config/debug.config
src=$(mobj_ksrc)
key=$( (cat "$frag" "$0"; dpkg-query -W -f='${Version}' linux-source-6.1) |
	sha256sum | cut -c1-16)
out=$MOBJ_CACHE/debug-kernel-$key

if [ -e "$out/.done" ]; then
	echo "$out"
	exit 0
fi

echo "debug-kernel: building in $out (about 8-10 minutes, once)" >&2
rm -rf "$out"
mkdir -p "$out"
log=$out/build.log
{
	make -C "$src" O="$out" ARCH=x86_64 tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag"
	make -C "$src" O="$out" ARCH=x86_64 olddefconfig
} >"$log" 2>&1

# Every option the fragment asks for must be in the final config.
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	grep -qx "$line" "$out/.config" || { echo "debug-kernel: $line did not stick" >&2; bad=1; }
done <"$frag"
[ $bad = 0 ] || exit 1

if ! make -C "$src" O="$out" ARCH=x86_64 -j"$(nproc)" bzImage modules \
	>>"$log" 2>&1; then
	tail -n 30 "$log" >&2
	echo "debug-kernel: build failed, log in $log" >&2
	exit 1
fi
touch "$out/.done"
echo "$out"
