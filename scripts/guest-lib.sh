# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the scripts that load mobj.ko and use it (the VM guests, and
# run-tests.sh natively); sourced, never run.

# mobj_insmod KO DEVICE [PARAM...]: insmod KO with the PARAMs, then wait up
# to 10 s for DEVICE, the character device it makes.  Returns 0 when it is
# there, 1 when insmod failed, 2 when the device did not appear; the caller
# says what went wrong, in its own words.
mobj_insmod()
{
	local ko=$1 dev=$2

	shift 2
	insmod "$ko" "$@" || return 1
	for _ in $(seq 100); do
		[ -c "$dev" ] && return 0
		sleep 0.1
	done
	return 2
}
