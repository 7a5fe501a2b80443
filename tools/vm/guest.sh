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

cd "$top" || exit 1
echo "guest: $(uname -r), ready in $(cut -d' ' -f1 /proc/uptime) s"
@COMMAND@ 2>&1 | tee "$results/output"
echo "${PIPESTATUS[0]}" > "$results/status"
dmesg > "$results/dmesg"
sync
/bin/busybox poweroff -f
