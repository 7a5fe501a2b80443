#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh KROOT KVER OUT: a busybox initramfs with just the modules
# that reach the host's filesystem (virtio, 9p, overlay), in load order.
set -euo pipefail

kroot=$1 kver=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mdir=$kroot/lib/modules/$kver
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp"/{bin,dev,proc,sys,modules}
cp /bin/busybox "$tmp/bin/busybox"
install -m0755 "$here/init" "$tmp/init"

# modules.dep lists a module's dependencies deepest last: load reversed.
order=()
add() {
	local name=$1 line dep deps
	line=$(grep -E "(^|/)$name\.ko(\.xz)?:" "$mdir/modules.dep") || return 0
	deps=${line#*:}
	for dep in $(echo "$deps" | tr ' ' '\n' | tac); do
		add "$(basename "${dep%%.ko*}")"
	done
	local path=${line%%:*}
	case " ${order[*]-} " in *" $path "*) return ;; esac
	order+=("$path")
}
for m in virtio_pci 9pnet_virtio 9p overlay; do
	add "$m"
done
: > "$tmp/modules.order"
for path in "${order[@]}"; do
	base=$(basename "${path%.xz}")
	case $path in
	*.xz) xz -dc "$mdir/$path" > "$tmp/modules/$base" ;;
	*) cp "$mdir/$path" "$tmp/modules/$base" ;;
	esac
	echo "$base" >> "$tmp/modules.order"
done
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
