#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the release of Debian's stock kernel (linux-headers-amd64).
. "$(dirname "$0")/lib.sh"
mobj_kver
