# SPDX-License-Identifier: GPL-2.0
# Common settings for mobj's scripts; sourced, never run.

MOBJ_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOBJ_CACHE=${MOBJ_CACHE:-/var/cache/mobj}
mkdir -p "$MOBJ_CACHE"

# The stock kernel release we build against: the one linux-headers-amd64
# points at (e.g. 6.1.0-56-amd64).
mobj_kver()
{
	dpkg-query -W -f='${Depends}' linux-headers-amd64 |
		sed -n 's/.*linux-headers-\([^ ,]*\).*/\1/p'
}

# Extract Debian's linux-source tarball once per machine and print the
# directory.  Used for kselftest_harness.h, checkpatch.pl and the debug
# kernel.
mobj_ksrc()
{
	local tar ver dir
	tar=$(ls /usr/src/linux-source-*.tar.xz | head -n 1)
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	dir=$MOBJ_CACHE/src-$ver
	if [ ! -e "$dir/.extracted" ]; then
		rm -rf "$dir" "$dir.tmp"
		mkdir -p "$dir.tmp"
		tar -C "$dir.tmp" -xf "$tar" --strip-components=1
		touch "$dir.tmp/.extracted"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}
