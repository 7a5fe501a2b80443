#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs as PID 1 inside the guest, in the merged root: prepares the
# filesystems, loads what the tests need, runs the command, writes its
# status and the kernel log to the results share, and powers off.
# run.sh fills in the @...@ values.
results=@RESULTS@
top=@TOP@
modules=@MODULES@
ko=@KO@
kver=@KVER@
keypin=@KEYPIN@
tspin=@TSPIN@

# run.sh's boot watchdog: the kernel got as far as running us.
: > "$results/booted"

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TEREDO_TOP=$top IP_LIB_DIR=$top/build/tools
export TEREDO_RESULTS=$results

# A fresh /tmp, unless the checkout or the results live there (a clone
# in /tmp): the overlay keeps the host's /tmp writable then.
case "$top/ $results/" in
*/tmp/*) ;;
*) mount -t tmpfs tmpfs /tmp ;;
esac
mount -t tmpfs tmpfs /run
mkdir -p /run/netns
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount --bind "$modules" /lib/modules
# This checkout's module, in the overlay only: other checkouts may boot
# the same cached kernel at the same time with their own build (run.sh
# keeps depmod's indexes valid for it).
mkdir -p "/lib/modules/$kver/extra"
cp "$ko" "/lib/modules/$kver/extra/teredo.ko"
ip link set lo up

# Keep the UDP encapsulation static keys on for the whole boot.  Each
# UDP tunnel socket the tests make or destroy flips them when it is the
# only one, and under QEMU TCG a flip (x86 live text patching) can leave
# the other vCPU executing a stale int3 in udp_queue_rcv_one_skb(): an
# "Oops: int3" with no teredo code involved (tools/vm/encap-key-race.py
# reproduces it in seconds).  One IPv6 socket with UDP_ENCAP turns on
# both keys; unbound, it receives nothing.  TEREDO_VM_KEYPIN=0 on the
# host (run.sh) leaves it out.
#
# The same for the receive timestamp key (netstamp_needed_key): every
# capture a test starts or stops flips it when it is the only one, and
# the stale int3 was seen in dev_queue_xmit_nit() (6.12, stop 28's CI).
# One socket with SO_TIMESTAMP holds it on: every packet then gets a
# receive timestamp, a cost the benchmarks leave out (TEREDO_VM_TSPIN=0).
if [ "$keypin" != 0 ] || [ "$tspin" != 0 ]; then
	python3 -I -S -c 'import signal, socket, sys
keep = []
if sys.argv[1] != "0":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_UDP, 100, 3)  # UDP_ENCAP, L2TP in UDP
    keep.append(s)
    print("guest: UDP encapsulation keys pinned", flush=True)
if sys.argv[2] != "0":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP (x86)
    keep.append(s)
    print("guest: receive timestamp key pinned", flush=True)
signal.pause()' "$keypin" "$tspin" &
fi

cd "$top" || exit 1
echo "guest: $(uname -r), ready in $(cut -d' ' -f1 /proc/uptime) s"
@COMMAND@ 2>&1 | tee "$results/output"
echo "${PIPESTATUS[0]}" > "$results/status"
dmesg > "$results/dmesg"
sync
/bin/busybox poweroff -f
