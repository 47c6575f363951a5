#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch Debian's stock kernel image (the one linux-headers-amd64 belongs to)
# without installing it: "apt-get download" plus "dpkg-deb -x", once per
# package version, into $MOBJ_CACHE.  Prints the directory, which holds
# vmlinuz and lib/modules/<kver>/.
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

kver=$(mobj_kver)
pkg=linux-image-$kver

# The candidate version of the package; the cache is keyed by it.
pkg_version()
{
	apt-cache policy "$pkg" | sed -n 's/^ *Candidate: *//p'
}

ver=$(pkg_version)
if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
	echo "stock-kernel: apt knows no $pkg; run apt-get update" >&2
	exit 1
fi
out=$MOBJ_CACHE/stock-kernel-$kver-$ver

if [ -e "$out/.done" ]; then
	echo "$out"
	exit 0
fi

echo "stock-kernel: fetching $pkg $ver into $out" >&2
rm -rf "$out" "$out.tmp"
mkdir -p "$out.tmp/deb"
# apt-get download writes to the current directory; as root it may drop
# privileges to _apt, which must be able to write there.
chmod 0777 "$out.tmp/deb"
(cd "$out.tmp/deb" && apt-get download -q "$pkg=$ver") >&2
dpkg-deb -x "$out.tmp"/deb/*.deb "$out.tmp"
rm -rf "$out.tmp/deb"

if [ ! -e "$out.tmp/boot/vmlinuz-$kver" ] ||
   [ ! -d "$out.tmp/lib/modules/$kver" ]; then
	echo "stock-kernel: $pkg has no boot/vmlinuz-$kver or lib/modules/$kver" >&2
	exit 1
fi
ln -s "boot/vmlinuz-$kver" "$out.tmp/vmlinuz"
touch "$out.tmp/.done"
mv "$out.tmp" "$out"
echo "$out"
