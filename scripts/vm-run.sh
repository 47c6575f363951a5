#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Usage: scripts/vm-run.sh --kernel stock|debug --script GUEST_SCRIPT
#            [--timeout SECONDS] [--mem MB] [--outdir DIR] [--quiet]
#
# Boot a throwaway QEMU VM on Debian's stock kernel or on the debug kernel
# (KASAN, lockdep, kmemleak, KUnit), chroot into the host's root (mounted
# read-only over 9p) and run "bash GUEST_SCRIPT" there, in $MOBJ_TOP, with
# MOBJ_KERNEL, MOBJ_OUT (a writable directory shared with the host) and
# MOBJ_BUILD (build/<kernel>) set.  The serial console is streamed to the
# terminal unless --quiet.
#
# Left in the output directory (default build/vm-<kernel>):
#   serial.log  the console   guest.log  the script's output
#   guest.rc    its exit code dmesg.txt  the guest's kernel log
#   splats.txt  problem lines dmesg-scan.sh found in it
#   result      key=value summary (status, rc, splats, seconds, accel)
#
# Exit status: the guest script's; 1 when it passed but the kernel log has
# a splat or the VM died; 124 when the VM hit the timeout.
# KVM is used when /dev/kvm actually runs a guest, TCG otherwise;
# MOBJ_ACCEL=kvm or MOBJ_ACCEL=tcg forces one.
#
# The host's root is mounted with 9p's cache=loose: the guest keeps what
# it read in its page and dentry caches, as nothing changes the host's
# files while a VM runs (build first, then boot).  Without it every exec
# and every Python import goes back over 9p: "python3 -c 'import
# unittest'" took 18-35 s instead of 3-4 s, a PNG from dot 11-23 s
# instead of 2-4 s (stock kernel, TCG).  MOBJ_ROOTCACHE=none (or another
# 9p cache mode) overrides it.  The output directory is a mount of its
# own, without a cache.
set -euo pipefail
# shellcheck disable=SC1091 # sourced from our own directory
. "$(dirname "$0")/lib.sh"

# The stock kernel's modules for 9p, in an order that loads.
STOCK_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p)

kernel='' script='' timeout=900 mem='' out='' quiet=0

say()
{
	echo "vm-run: $*" >&2
}

die()
{
	say "$*"
	exit 1
}

usage()
{
	sed -n 's/^# \{0,1\}//; 4,5p' "$0" >&2
	exit 2
}

parse_args()
{
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel) kernel=${2:?}; shift ;;
		--script) script=${2:?}; shift ;;
		--timeout) timeout=${2:?}; shift ;;
		--mem) mem=${2:?}; shift ;;
		--outdir) out=${2:?}; shift ;;
		--quiet) quiet=1 ;;
		-h|--help) usage ;;
		*) say "unknown argument: $1"; usage ;;
		esac
		shift
	done
	case "$kernel" in
	stock) mem=${mem:-1024} ;;
	debug) mem=${mem:-2048} ;;	# KASAN wants room for its shadow
	*) usage ;;
	esac
	[ -n "$script" ] || usage
	[ -r "$script" ] || die "no guest script $script"
	out=${out:-$MOBJ_TOP/build/vm-$kernel}
	mkdir -p "$out"
	out=$(cd "$out" && pwd)
	script=$(realpath "$script")
}

# The paths travel on the kernel command line and in -virtfs options.
check_path()
{
	[[ $1 =~ ^/[A-Za-z0-9._/+-]*$ ]] ||
		die "path '$1' has characters the VM cannot pass along"
}

# Print "KERNEL_IMAGE MODULE_DIR"; MODULE_DIR is "-" when virtio and 9p are
# built in.
find_kernel()
{
	local dir
	if [ "$kernel" = stock ]; then
		dir=$("$MOBJ_TOP/scripts/stock-kernel.sh")
		echo "$dir/vmlinuz $dir/lib/modules/$(mobj_kver)"
	else
		# Instant when built; otherwise builds it (about 10 minutes).
		dir=$("$MOBJ_TOP/scripts/debug-kernel.sh")
		echo "$dir/arch/x86/boot/bzImage -"
	fi
}

# The file of module $1 under $2: Debian ships .ko, some kernels .ko.xz/.zst.
find_module()
{
	local f
	f=$(find "$2" \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" \
		-o -name "$1.ko.gz" \) -print -quit)
	[ -n "$f" ] || die "module $1 not found under $2"
	echo "$f"
}

# Uncompressed copy of module file $1 as $2 (busybox insmod takes plain .ko).
copy_module()
{
	case "$1" in
	*.xz) xz -dc "$1" >"$2" ;;
	*.zst) zstd -qdc "$1" >"$2" ;;
	*.gz) gzip -dc "$1" >"$2" ;;
	*) cp "$1" "$2" ;;
	esac
}

# Build (once per set of inputs) the initramfs; print its path.
build_initramfs()
{
	local moddir=$1 bb key img stage m f mods=()

	bb=$(command -v busybox) || die "busybox-static is not installed"
	file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
		ldd "$bb" 2>&1 | grep -q 'not a dynamic' ||
		die "$bb is not static (install busybox-static)"
	if [ "$moddir" != - ]; then
		for m in "${STOCK_MODULES[@]}"; do
			mods+=("$(find_module "$m" "$moddir")")
		done
	fi
	key=$( { echo "$kernel ${STOCK_MODULES[*]}"; cat "$bb" \
		"$MOBJ_TOP/scripts/initramfs-init" "$0" ${mods[@]+"${mods[@]}"}; } |
		sha256sum | cut -c1-16)
	img=$MOBJ_CACHE/initramfs-$kernel-$key.cpio.gz
	if [ -e "$img" ]; then
		echo "$img"
		return
	fi

	stage=$(mktemp -d "$MOBJ_CACHE/initramfs.XXXXXX")
	mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,host,stash,lib/modules}
	cp "$bb" "$stage/bin/busybox"
	for f in $("$bb" --list); do
		[ "$f" = busybox ] || ln -s busybox "$stage/bin/$f"
	done
	install -m 0755 "$MOBJ_TOP/scripts/initramfs-init" "$stage/init"
	if [ "$moddir" != - ]; then
		for f in "${mods[@]}"; do
			m=$(basename "$f")
			copy_module "$f" "$stage/lib/modules/${m%%.ko*}.ko"
		done
		printf '%s\n' "${STOCK_MODULES[@]}" >"$stage/etc/mobj-modules"
	fi
	(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc --quiet -R 0:0) | gzip -9 >"$stage.cpio.gz"
	rm -rf "$stage"
	# Old images (other inputs) go once no run can still be using them.
	find "$MOBJ_CACHE" -maxdepth 1 -name "initramfs-$kernel-*.cpio.gz" \
		-mmin +120 -delete
	mv "$stage.cpio.gz" "$img"
	echo "$img"
}

# Does KVM really run a guest here?  /dev/kvm can exist and still hang
# every guest (nested setups without VMX): boot kernel image $1 under KVM
# with no initramfs and wait for its first words on the serial port.
# The answer is cached until the host reboots.
kvm_works()
{
	local cache log pid ok=no

	cache=$MOBJ_CACHE/kvm-probe-$(cat /proc/sys/kernel/random/boot_id)
	if [ ! -e "$cache" ]; then
		log=$(mktemp)
		qemu-system-x86_64 -display none -monitor none -nic none \
			-serial "file:$log" -no-reboot -accel kvm -cpu max \
			-m 256 -kernel "$1" \
			-append "console=ttyS0 earlyprintk=serial panic=-1" \
			</dev/null >/dev/null 2>&1 &
		pid=$!
		for _ in $(seq 20); do
			grep -qs 'Linux version' "$log" && { ok=yes; break; }
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		rm -f "$log"
		echo "$ok" >"$cache"
		[ "$ok" = yes ] || say "/dev/kvm does not run guests here; using TCG"
	fi
	[ "$(cat "$cache")" = yes ]
}

# KVM when it works (MOBJ_ACCEL=kvm|tcg forces a choice), else TCG.
accel_args()
{
	case "${MOBJ_ACCEL:-auto}" in
	kvm) echo "-accel kvm" ;;
	tcg) echo "-accel tcg" ;;
	*)
		if [ -w /dev/kvm ] && kvm_works "$1"; then
			echo "-accel kvm"
		else
			echo "-accel tcg"
		fi
		;;
	esac
}

# Copy a guest script living where the guest mounts a tmpfs (/tmp, /run)
# into the output directory; print the path the guest should run.
guest_script_path()
{
	case "$script" in
	/tmp/*|/run/*|/dev/*|/proc/*|/sys/*)
		cp "$script" "$out/guest-script.sh"
		echo "$out/guest-script.sh"
		;;
	*) echo "$script" ;;
	esac
}

# The console without the firmware's terminal resets and carriage returns.
plain_text()
{
	sed -u 's/\x1bc//g; s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\r$//'
}

run_qemu()
{
	local kimg=$1 initrd=$2 gscript=$3 accel=$4 pid rc=0
	local append="console=ttyS0 panic=-1 loglevel=5 log_buf_len=4M"

	# The debug kernel has ACPI for its CPUs (MADT) and power-off, but
	# routes PCI interrupts the legacy way: its AML interpreter, under
	# KASAN and emulation, is too slow to evaluate _PRT in time.
	[ "$kernel" = debug ] && append+=" acpi=noirq"
	append+=" mobj_kernel=$kernel mobj_top=$MOBJ_TOP mobj_out=$out"
	append+=" mobj_script=$gscript"
	append+=" mobj_rootcache=${MOBJ_ROOTCACHE:-loose}"
	# shellcheck disable=SC2086 # $accel is a list of words
	timeout -k 10 "$timeout" qemu-system-x86_64 \
		-nographic -monitor none -serial "file:$out/serial.log" \
		-no-reboot -nic none $accel -cpu max -smp 2 -m "$mem" \
		-kernel "$kimg" -initrd "$initrd" -append "$append" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$out,mount_tag=mobjout,security_model=none,multidevs=remap" \
		</dev/null >"$out/qemu.log" 2>&1 &
	pid=$!
	if [ "$quiet" = 0 ]; then
		tail -n +1 -F --pid="$pid" "$out/serial.log" 2>/dev/null |
			plain_text || true
	fi
	wait "$pid" || rc=$?
	return "$rc"
}

clean_outdir()
{
	rm -f "$out"/{serial.log,qemu.log,guest.log,guest.rc,guest.rc.tmp} \
		"$out"/{dmesg.txt,splats.txt,result,guest-script.sh,cpus}
}

# Scan the guest's kernel log (the console when dmesg never got saved).
scan_log()
{
	local log=$out/dmesg.txt line
	[ -e "$log" ] || log=$out/serial.log
	[ -e "$log" ] || { : >"$out/splats.txt"; return; }
	"$MOBJ_TOP/scripts/dmesg-scan.sh" "$log" >"$out/splats.txt" || true
	while IFS= read -r line; do
		say "kernel: $line"
	done <"$out/splats.txt"
}

main()
{
	local kimg moddir initrd gscript qrc=0 rc status start secs accel splats

	parse_args "$@"
	check_path "$out"
	check_path "$MOBJ_TOP"
	check_path "$script"
	read -r kimg moddir < <(find_kernel)
	[ -e "$kimg" ] || die "no kernel image $kimg"
	initrd=$(build_initramfs "$moddir")
	clean_outdir
	gscript=$(guest_script_path)

	say "booting the $kernel kernel (${mem}M) to run $script, timeout ${timeout}s"
	accel=$(accel_args "$kimg")
	start=$(date +%s%N)
	run_qemu "$kimg" "$initrd" "$gscript" "$accel" || qrc=$?
	secs=$(awk -v a="$start" -v b="$(date +%s%N)" \
		'BEGIN { printf "%.1f", (b - a) / 1e9 }')

	accel=${accel##* }
	scan_log
	splats=$(wc -l <"$out/splats.txt")

	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		status=timeout rc=124
		say "TIMEOUT: the VM was still running after ${timeout}s and was killed"
	elif [ ! -e "$out/guest.rc" ]; then
		status=vm-failed rc=1
		say "the VM stopped before the guest script finished (qemu exit $qrc)"
	else
		status=ok rc=$(cat "$out/guest.rc")
		[ "$rc" = 0 ] && [ "$splats" -gt 0 ] && rc=1
	fi
	if [ "$status" != ok ]; then
		say "last 40 lines of $out/serial.log:"
		tail -n 40 "$out/serial.log" 2>/dev/null | plain_text >&2 || true
		tail -n 5 "$out/qemu.log" >&2 2>/dev/null || true
	fi
	printf 'status=%s\nrc=%s\nguest_rc=%s\nsplats=%s\nseconds=%s\naccel=%s\n' \
		"$status" "$rc" "$(cat "$out/guest.rc" 2>/dev/null || echo none)" \
		"$splats" "$secs" "$accel" >"$out/result"
	say "$kernel kernel ($accel): $status, guest exit $(cat "$out/guest.rc" \
		2>/dev/null || echo none), $splats kernel log problem(s), ${secs}s"
	exit "$rc"
}

main "$@"
