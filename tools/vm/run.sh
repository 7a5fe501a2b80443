#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh --kernel 61|612|debug|RELEASE [--results DIR] [--timeout SEC] -- CMD...
#
# Boot a Debian kernel under QEMU/TCG (no network: -nic none), with the
# host's root shared read-only and a tmpfs overlay, teredo.ko installed
# for that kernel, and run CMD in the checkout.  Brings back CMD's output
# and exit status and the guest's dmesg in DIR.  Fails when CMD fails or
# when dmesg shows a kernel splat.  "debug" is the debug kernel that
# tools/vm/debug-kernel.sh builds (make debug-kernel).
#
# TEREDO_9P_CACHE=loose|none: how the guest caches the host's files (the
# 9p cache mode).  With loose, the default, binaries and libraries stay in
# the guest's page cache: a process start costs half the host CPU time
# under TCG (60 starts of python3 and ip: 39 s against 75 s).  The price:
# a host file changed during the run may look stale to the guest.
#
# TEREDO_VM_KEYPIN=0: the guest does not hold the UDP encapsulation
# static keys on (guest.sh says why it does; tools/vm/encap-key-race.py).
# TEREDO_VM_TSPIN=0: nor the receive timestamp key (make bench's runs).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TEREDO_CACHE:-/var/cache/teredo}
kernel=61 results="" timeout=1200
p9cache=${TEREDO_9P_CACHE:-loose}

while [ $# -gt 0 ]; do
	case $1 in
	--kernel) kernel=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 --kernel 61|612|debug [--results DIR] -- CMD..." >&2
	   exit 2 ;;
	esac
done
[ $# -gt 0 ] || { echo "run.sh: no command" >&2; exit 2; }

[ -f "$cache/env.mk" ] || "$top/tools/vm/deps.sh"
KVER_61=$(sed -n 's/^KVER_61 := //p' "$cache/env.mk")
KVER_612=$(sed -n 's/^KVER_612 := //p' "$cache/env.mk")
case $kernel in
61) kver=$KVER_61 ;;
612) kver=$KVER_612 ;;
debug) kver=$(sed -n 's/^KVER_DEBUG := //p' "$cache/debug/env.mk" 2>/dev/null)
       [ -n "$kver" ] || { echo "run.sh: no debug kernel: make debug-kernel" >&2
			   exit 1; } ;;
*) kver=$kernel ;;
esac
kroot=$cache/kernels/$kver/root
[ -d "$kroot" ] || { echo "run.sh: kernel $kver not in $cache" >&2; exit 1; }

ko=$top/build/$kver/kernel/teredo.ko
[ -f "$ko" ] || { echo "run.sh: build $ko first (make modules-all)" >&2; exit 1; }

# The guest copies this checkout's module into its own overlay
# (guest.sh), so checkouts of different versions can boot at the same
# time.  The cached tree only needs a teredo.ko with the same aliases and
# dependencies for depmod's indexes, which the guest would take minutes
# to rebuild under TCG.
extra=$kroot/lib/modules/$kver/extra
mkdir -p "$extra"
(
	flock 9
	sig() { modinfo -F alias -F depends "$1" 2>/dev/null | sort; }
	if [ ! -f "$extra/teredo.ko" ] || [ "$(sig "$ko")" != "$(sig "$extra/teredo.ko")" ]
	then
		install -m0644 "$ko" "$extra/.teredo.ko.$$"
		mv -f "$extra/.teredo.ko.$$" "$extra/teredo.ko"
		depmod -b "$kroot" "$kver"
	fi
) 9>"$cache/depmod-$kver.lock"

# One initramfs per version of init and its builder, written under another
# name and renamed: checkouts at other versions may be booting one now.
stamp=$(cat "$top/tools/vm/init" "$top/tools/vm/mkinitramfs.sh" |
	sha1sum | cut -c1-12)
initrd=$cache/initramfs-$kver-$stamp.cpio.gz
if [ ! -f "$initrd" ]; then
	"$top/tools/vm/mkinitramfs.sh" "$kroot" "$kver" "$initrd.$$"
	mv -f "$initrd.$$" "$initrd"
fi

if [ -z "$results" ]; then
	results=$top/build/vm/$kver
fi
mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results/status" "$results/dmesg" "$results/output" "$results/booted"

cmd=$(printf '%q ' "$@")
sed -e "s|@RESULTS@|$results|; s|@TOP@|$top|" \
    -e "s|@MODULES@|$kroot/lib/modules|; s|@KO@|$ko|; s|@KVER@|$kver|" \
    -e "s|@KEYPIN@|${TEREDO_VM_KEYPIN:-1}|; s|@TSPIN@|${TEREDO_VM_TSPIN:-1}|" \
    -e "s|@COMMAND@|$(printf '%s' "$cmd" | sed 's/[|&\\]/\\&/g')|" \
    "$top/tools/vm/guest.sh" > "$results/guest.sh"

# log_buf_len: the whole run's kernel log stays in the buffer (the
# default 128 KiB holds minutes of the module's debug lines), so that the
# dmesg saved at the end and each selftest's own splat check
# (selftests/lib.sh) see everything since boot.
# In the background, as timeout(1) itself (exec): the watchdog's signal
# reaches it, and it passes it on to qemu.
boot() {
	exec timeout --foreground "$timeout" qemu-system-x86_64 \
		-machine q35 -cpu max -smp 2 -m 2G -nographic -no-reboot \
		-nic none \
		-kernel "$kroot/boot/vmlinuz-$kver" -initrd "$initrd" \
		-append "console=ttyS0 quiet loglevel=4 log_buf_len=32M slab_nomerge panic=-1 oops=panic tvm_results=$results tvm_9pcache=$p9cache" \
		-fsdev local,id=host,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=host,mount_tag=host \
		-fsdev "local,id=res,path=$results,security_model=none" \
		-device virtio-9p-pci,fsdev=res,mount_tag=results \
		</dev/null
}

# The boot watchdog.  Under TCG on a loaded host a guest can hang in its
# own boot, before any of ours runs (seen: a soft lockup in the crypto
# self-tests' kthread, minutes on end); the run would wait for its whole
# timeout.  A guest that has not started guest.sh in $boot_limit s is
# killed and booted once more; the second try has the whole timeout.
boot_limit=${TVM_BOOT_LIMIT:-240}
rc=0
for try in 1 2; do
	echo "vm: booting $kver for: $cmd" >&2
	boot &
	qpid=$!
	t0=$SECONDS
	while [ "$try" = 1 ] && [ ! -e "$results/booted" ] &&
		kill -0 "$qpid" 2>/dev/null; do
		if [ $((SECONDS - t0)) -ge "$boot_limit" ]; then
			echo "vm: no guest after $boot_limit s: booting again" >&2
			kill "$qpid"
			break
		fi
		sleep 1
	done
	rc=0
	wait "$qpid" || rc=$?
	[ -e "$results/booted" ] && break
done

if [ ! -f "$results/status" ]; then
	echo "vm: the guest did not finish (qemu exit $rc)" >&2
	exit 1
fi
status=$(cat "$results/status")
# Kernel splats (selftests/splats.awk says what one is); the kernel's own
# that selftests/known-splats allows are shown with their reason and do
# not fail the run.
if found=$(awk -v allow="$top/selftests/known-splats" \
	-f "$top/selftests/splats.awk" "$results/dmesg"); then
	echo "vm: kernel splat in dmesg:" >&2
	echo "$found" | head -60 >&2
	[ "$status" = 0 ] && status=1
fi
echo "vm: $kver: exit $status, results in $results" >&2
exit "$status"
