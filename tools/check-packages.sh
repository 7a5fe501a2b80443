#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-packages.sh: make check-packages.  Builds the Debian packages
# (tools/deb.sh: dpkg-buildpackage, lintian), then boots Debian's 6.1
# kernel and runs selftests/teredo_packages.sh in the guest's overlay:
# dpkg -i (DKMS installs the module that `dkms build` made on the host:
# a binaries-only DKMS tarball), the plugin, the units and the
# udev rule, the firewall, teredod unprivileged, dpkg -r/--purge.  KTAP
# output; exits non-zero when something failed.
#
# --prepare does only the host's part (packages, lintian, the DKMS
# tarball), --boot only the guest's, with what --prepare left: make
# check builds while the selftests' VMs run and boots after them.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cache=${TEREDO_CACHE:-/var/cache/teredo}
[ -f "$cache/env.mk" ] || tools/vm/deps.sh
kver=$(sed -n 's/^KVER_61 := //p' "$cache/env.mk")

pre=$top/build/dkms-prebuilt

prepare() {
	t0=$SECONDS
	# The unit suite runs teredod's and teredoctl's host tests already; no
	# debug symbols package either.
	debs=$(DEB_BUILD_OPTIONS="nocheck noddebs" tools/deb.sh "$top/build/deb")
	echo "# make deb: $((SECONDS - t0)) s, lintian clean:"
	while read -r d; do echo "#   $d"; done <<< "$debs"
	# DKMS builds the package's module here, natively, with the same headers
	# the guest has (under TCG it takes 10-20 minutes), into a binaries-only
	# DKMS tarball: the package's postinst (dkms's common.postinst) loads
	# such a tarball from /usr/share/teredo-dkms instead of building, then
	# installs the module.  A private mount namespace with a tmpfs over
	# /var/lib/dkms keeps the host's DKMS state (and the signing key DKMS
	# makes) untouched.
	ver=$(dpkg-deb -f build/deb/teredo-dkms_*_all.deb Version)
	rm -rf "$pre"
	mkdir -p "$pre/src"
	dpkg-deb -x build/deb/teredo-dkms_"${ver}"_all.deb "$pre/src"
	t0=$SECONDS
	# shellcheck disable=SC2016  # expanded by the inner bash
	unshare -m bash -c 'set -e
		mount -t tmpfs tmpfs /var/lib/dkms
		dkms add -m teredo -v "$1" --sourcetree "$3/src/usr/src"
		dkms build -m teredo -v "$1" -k "$2" --sourcetree "$3/src/usr/src"
		dkms mktarball -m teredo -v "$1" -k "$2" --binaries-only \
			--sourcetree "$3/src/usr/src" \
			--archive "$3/teredo-$1.dkms.tar.gz"' - "$ver" "$kver" "$pre" \
		> build/dkms-prebuilt.log 2>&1 || {
		tail -20 build/dkms-prebuilt.log
		echo "not ok dkms build on the host"
		exit 1
	}
	echo "# dkms build teredo/$ver for $kver on the host: $((SECONDS - t0)) s"
}

boot() {
	local ver

	ver=$(dpkg-deb -f build/deb/teredo-dkms_*_all.deb Version)
	# run.sh boots with the checkout's module; the test replaces it by the
	# package's.
	[ -f "build/$kver/kernel/teredo.ko" ] ||
		tools/build-module.sh "/lib/modules/$kver/build" "build/$kver" >/dev/null
	make -s tools >/dev/null
	tools/vm/run.sh --kernel 61 --timeout 1500 --results build/vm/packages -- \
		bash selftests/teredo_packages.sh "$top/build/deb" \
		"$pre/teredo-$ver.dkms.tar.gz"
}

case ${1:-} in
--prepare) prepare ;;
--boot) boot ;;
"") prepare; boot ;;
*) echo "usage: $0 [--prepare|--boot]" >&2; exit 2 ;;
esac
