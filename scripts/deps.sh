#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything mobj needs on a Debian 12 machine.  Idempotent: a
# second run installs nothing and takes a second.  Packages come only from
# Debian's archive.
set -euo pipefail

PKGS=(
	build-essential bc bison flex libelf-dev libssl-dev dwarves kmod cpio
	linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static
	sparse graphviz python3 python3-venv python3-pip dkms pkg-config
	groff-base
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	[ "$(id -u)" = 0 ] || { echo "deps: run as root (or via sudo)" >&2; exit 1; }
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
	# Fonts just installed: bring the system font cache up to date, so
	# that Graphviz does not need a writable cache of its own.
	fc-cache -s >/dev/null 2>&1 || true
fi
