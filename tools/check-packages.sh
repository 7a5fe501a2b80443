#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-packages.sh: make check-packages.  Builds the Debian packages
# (tools/deb.sh: dpkg-buildpackage, lintian), then boots Debian's 6.1
# kernel and runs selftests/teredo_packages.sh in the guest's overlay:
# dpkg -i (DKMS builds the module there), the plugin, the units and the
# udev rule, the firewall, teredod unprivileged, dpkg -r/--purge.  KTAP
# output; exits non-zero when something failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cache=${TEREDO_CACHE:-/var/cache/teredo}
[ -f "$cache/env.mk" ] || tools/vm/deps.sh
kver=$(sed -n 's/^KVER_61 := //p' "$cache/env.mk")

t0=$SECONDS
debs=$(tools/deb.sh "$top/build/deb")
echo "# make deb: $((SECONDS - t0)) s, lintian clean:"
while read -r d; do echo "#   $d"; done <<< "$debs"
# run.sh boots with the checkout's module; the test replaces it by the
# package's.
[ -f "build/$kver/kernel/teredo.ko" ] ||
	tools/build-module.sh "/lib/modules/$kver/build" "build/$kver" >/dev/null
make -s tools >/dev/null
tools/vm/run.sh --kernel 61 --timeout 1500 --results build/vm/packages -- \
	bash selftests/teredo_packages.sh "$top/build/deb"
