#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KDIR OUT [make args...]
#
# Build teredo.ko for the kernel headers in KDIR into OUT/kernel/teredo.ko.
# Kbuild writes objects beside the sources, so each kernel gets a shadow
# tree of symlinks: modules for several kernels then coexist.
set -euo pipefail

kdir=$1 out=$2
shift 2
top=$(cd "$(dirname "$0")/.." && pwd)

[ -d "$kdir" ] || { echo "build-module: no kernel headers at $kdir" >&2; exit 1; }
mkdir -p "$out/kernel"
out=$(cd "$out" && pwd)
ln -sfn "$top/Kbuild" "$out/Kbuild"
ln -sfn "$top/kernel/uapi" "$out/kernel/uapi"
for f in "$top"/kernel/*.[ch] "$top/kernel/Kbuild"; do
	ln -sfn "$f" "$out/kernel/$(basename "$f")"
done
# Sources removed from kernel/ must not linger in the shadow tree.
for f in "$out"/kernel/*.[ch]; do
	[ -e "$f" ] || rm -f "$f"
done
exec make -C "$kdir" M="$out" "$@" modules
