#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/demo.sh                                     ("make demo")
#
# Show mobj at work: build the module and libmobj, boot a throwaway VM on
# Debian's kernel, load mobj.ko and run userlib/examples/seed_cycle, which
# leaks a reference cycle and lets the cycle collector free it.
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

OUT=$MOBJ_TOP/build/vm-demo

intro()
{
	cat <<'EOF'
mobj demo
=========
mobj.ko is a Linux module that hands out reference-counted objects through
/dev/mobj, like Python objects living in the kernel: each object has slots
that can reference other objects, and a cycle collector frees groups of
objects that only keep each other alive.

The example below does what this Python does, through libmobj:

    a = ["1"]; b = ["2"]
    a.append(b); b.append(a)      # a reference cycle
    del a, b                      # no name reaches them: leaked...
    gc.collect()                  # ...until the cycle collector runs

Loading a module needs a kernel that allows it, so it all happens in a
small QEMU virtual machine running Debian's kernel.

EOF
}

build()
{
	echo "Building libmobj, the example and mobj.ko..."
	make -C "$MOBJ_TOP" --no-print-directory lib tools >"$OUT.build.log" 2>&1 ||
		{ cat "$OUT.build.log" >&2; echo "demo: make lib tools failed" >&2; exit 1; }
	"$MOBJ_TOP/scripts/build-module.sh" \
		"/usr/src/linux-headers-$(mobj_kver)" "$MOBJ_TOP/build/stock" >/dev/null
}

main()
{
	local rc=0

	intro
	mkdir -p "$OUT"
	build
	echo "Booting the VM (about 10-20 seconds without KVM)..."
	"$MOBJ_TOP/scripts/vm-run.sh" --kernel stock --quiet --timeout 300 \
		--outdir "$OUT" --script "$MOBJ_TOP/scripts/guest-demo.sh" \
		2>"$OUT.vm.log" || rc=$?
	echo
	echo "Inside the VM:"
	echo
	sed 's/^/    /' "$OUT/guest.log" 2>/dev/null || true
	echo
	if [ "$rc" = 0 ]; then
		echo "The two objects survived 'del' because each held the other;"
		echo "MOBJ_GC_COLLECT found the cycle and freed both. VM powered off."
		if [ -s "$OUT/seed-cycle.png" ]; then
			echo
			echo "A picture of the cycle before collection (the client's two"
			echo "handles, the slots between the objects): $OUT/seed-cycle.png"
		fi
	else
		cat "$OUT.vm.log" >&2
		echo "demo: FAILED (exit $rc); console log in $OUT/serial.log" >&2
	fi
	return "$rc"
}

main "$@"
