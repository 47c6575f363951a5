#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The Python package as a user installs it: a venv (Debian's python3, no
# pip of its own) with "pip install --no-build-isolation python/" in it,
# offline, nothing from the user's pip configuration or cache.
#
#   scripts/python-venv.sh DIR       make the venv DIR (replaced if there)
#   scripts/python-venv.sh --digest  the digest of the package's sources
#   scripts/python-venv.sh --cached  the venv for the sources as they are,
#                                    made under $MOBJ_CACHE/python if
#                                    missing; prints its directory
#
# selftests/mobj_python runs the binding's tests with such a venv: the
# cached one when it matches the sources (made on the host by "make
# selftests", where it takes seconds; under emulation it takes minutes),
# else one it makes on a temporary directory.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${MOBJ_PYTHON:-/usr/bin/python3}

digest()
{
	(cd "$TOP" && find python -path python/tests -prune -o -type f \
		\( -name '*.py' -o -name '*.toml' -o -name py.typed \) -print |
		LC_ALL=C sort | xargs sha256sum; cat VERSION) |
		sha256sum | cut -c1-16
}

make_venv()
{
	local dir=$1

	rm -rf "$dir"
	"$PYTHON" -m venv --without-pip "$dir"
	# Debian's pip (python3-pip) installs into the venv: unpacking pip
	# and setuptools into every venv is what takes minutes in the VM.
	PIP_CONFIG_FILE=/dev/null PYTHONDONTWRITEBYTECODE=1 \
		"$PYTHON" -m pip --python "$dir/bin/python" install \
		--no-build-isolation --no-index --no-cache-dir \
		--disable-pip-version-check --quiet "$TOP/python"
	chmod -R a+rX "$dir"
}

case "${1:-}" in
--digest)
	digest
	;;
--cached)
	cache=${MOBJ_CACHE:-/var/cache/mobj}/python
	dir=$cache/$(digest)
	if [ ! -x "$dir/bin/python" ]; then
		mkdir -p "$cache"
		make_venv "$dir.new" >&2
		# Other trees (a CI clone, a worktree) may be using theirs:
		# only venvs unused for two days go.
		find "$cache" -mindepth 1 -maxdepth 1 -mtime +2 \
			! -name "$(basename "$dir").new" -exec rm -rf {} +
		mv "$dir.new" "$dir"
	fi
	touch "$dir"
	echo "$dir"
	;;
""|-*)
	sed -n 's/^#   //p' "$0" >&2
	exit 2
	;;
*)
	make_venv "$1"
	;;
esac
