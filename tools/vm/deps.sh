#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build, the tests and the benchmarks need, from
# Debian's package index only, and cache the two guest kernels.  Safe to run
# again: it installs only what is missing and reuses the cache.
#
# Output: $CACHE/env.mk, a make fragment naming the kernels found, e.g.
#   KVER_61 := 6.1.0-56-amd64
#   KVER_612 := 6.12.117+deb12-amd64

set -euo pipefail

CACHE=${TEREDO_CACHE:-/var/cache/teredo}
export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*" >&2; }

# Resolve a Debian meta-package to the versioned package it depends on.
resolve() {
	apt-cache depends "$1" 2>/dev/null |
		sed -n "s/^ *Depends: \($2\)$/\1/p" | head -n1
}

updated=0
apt_update() {
	[ "$updated" = 1 ] && return 0
	log "apt-get update"
	apt-get update -qq
	updated=1
}

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || echo "$p"
	done
}

# Miredo's packages start their daemons on install: keep every service of
# this run from starting on the host; they belong only in test namespaces.
apt_install() {
	local want
	mapfile -t want < <(missing "$@")
	[ "${#want[@]}" = 0 ] && return 0
	apt_update
	log "installing: ${want[*]}"
	local rc=0 prd=/usr/sbin/policy-rc.d had_prd=0
	[ -e "$prd" ] && had_prd=1
	if [ "$had_prd" = 0 ]; then
		printf '#!/bin/sh\nexit 101\n' > "$prd"
		chmod 0755 "$prd"
	fi
	apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null || rc=$?
	[ "$had_prd" = 0 ] && rm -f "$prd"
	return $rc
}

# Package lists may be absent on a brand-new machine.
if ! apt-cache show linux-headers-amd64 >/dev/null 2>&1; then
	apt_update
fi

H61=$(resolve linux-headers-amd64 'linux-headers-6\.1\.[^ ]*-amd64')
H612=$(resolve linux-headers-6.12-amd64 'linux-headers-6\.12\.[^ ]*-amd64')
if [ -z "$H61" ] || [ -z "$H612" ]; then
	apt_update
	H61=$(resolve linux-headers-amd64 'linux-headers-6\.1\.[^ ]*-amd64')
	H612=$(resolve linux-headers-6.12-amd64 'linux-headers-6\.12\.[^ ]*-amd64')
fi
if [ -z "$H61" ] || [ -z "$H612" ]; then
	log "cannot resolve kernel headers"
	exit 1
fi
KVER_61=${H61#linux-headers-}
KVER_612=${H612#linux-headers-}

apt_install build-essential make gcc libc6-dev pkg-config libmnl-dev \
	qemu-system-x86 busybox-static cpio kmod sparse iproute2 nftables \
	iperf3 tcpdump tshark miredo miredo-server xz-utils perl python3 shellcheck iputils-ping ethtool \
	python3-yaml python3-jsonschema \
	"$H61" "$H612"
# systemd-analyze (tools/install-test.sh verifies the unit with it; a
# skip fails make check) and setpriv (the selftests' unprivileged user).
apt_install systemd util-linux
# rst2html (python3-docutils): make check's static suite renders the
# documentation with warnings as errors.
apt_install python3-docutils

# teredod's port mapping (RFC 6081 §4.3): UPnP IGD and NAT-PMP clients;
# the NAT router of teredo_portmap.sh runs the real miniupnpd (its
# service kept stopped on the host like Miredo's).
apt_install libminiupnpc-dev libnatpmp-dev miniupnpd-nftables
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now miniupnpd >/dev/null 2>&1 || true
fi
# The router of teredo_portmap_bidir.sh runs miniupnpd's legacy-iptables
# flavour, which maps both halves (a DNAT in, a MASQUERADE to the mapped
# port out).  miniupnpd-iptables conflicts with miniupnpd-nftables (both
# ship /usr/sbin/miniupnpd): its binary is unpacked into the cache, never
# installed; its libraries and iptables-legacy are.
apt_install iptables libip4tc2 libip6tc2
fetch_miniupnpd_iptables() {
	local dir=$CACHE/miniupnpd-iptables tmp
	[ -x "$dir/usr/sbin/miniupnpd" ] && [ -f "$dir/.done" ] && return 0
	log "unpacking miniupnpd-iptables into $dir"
	rm -rf "$dir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq miniupnpd-iptables >/dev/null 2>&1) || {
		apt_update
		(cd "$tmp" && apt-get download -qq miniupnpd-iptables)
	}
	mkdir -p "$dir"
	dpkg-deb -x "$tmp"/miniupnpd-iptables_*.deb "$dir"
	rm -rf "$tmp"
	touch "$dir/.done"
}
fetch_miniupnpd_iptables
# The relay farm (selftests/teredo_farm.sh): FRR's zebra and bgpd, started
# by the test in namespaces (the host's frr service stays stopped).
apt_install frr

# make deb and make check-packages: the packaging tools, lintian, and DKMS
# (the guest installs teredo-dkms from the host's root, so the host needs
# dkms installed for the guest to have it).
apt_install dpkg-dev debhelper dh-dkms dkms lintian

# The fuzz targets (tools/fuzz: clang's libFuzzer runtime is in
# libclang-rt-<major>-dev) and the debug kernel's build
# (tools/vm/debug-kernel.sh fetches its source itself).
CLANG=$(resolve clang 'clang-[0-9]*')
if [ -z "$CLANG" ]; then
	apt_update
	CLANG=$(resolve clang 'clang-[0-9]*')
fi
apt_install clang "$CLANG" "libclang-rt-${CLANG#clang-}-dev" \
	flex bison bc libelf-dev libssl-dev

# Miredo must never run on the host (it would take port 3544 and a tun).
for svc in miredo miredo-server; do
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	fi
	pkill -x "$svc" 2>/dev/null || true
done
# Nor FRR (its routes would go into the host's tables).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
	systemctl disable --now frr >/dev/null 2>&1 || true
fi

# Guest kernels: download and unpack the images, never install into /boot.
fetch_kernel() {
	local kver=$1 dir=$CACHE/kernels/$1 deb
	[ -f "$dir/.done" ] && return 0
	log "fetching kernel image $kver"
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && apt-get download -qq "linux-image-$kver" >/dev/null 2>&1) || {
		apt_update
		(cd "$dir" && apt-get download -qq "linux-image-$kver")
	}
	deb=$(ls "$dir"/linux-image-*.deb)
	dpkg-deb -x "$deb" "$dir/root"
	rm -f "$deb"
	depmod -b "$dir/root" "$kver"
	touch "$dir/.done"
}
fetch_kernel "$KVER_61"
fetch_kernel "$KVER_612"

# checkpatch.pl is only in the source tarball.
fetch_checkpatch() {
	local dir=$CACHE/checkpatch tmp src
	[ -f "$dir/.done" ] && return 0
	log "extracting checkpatch from linux-source-6.1"
	rm -rf "$dir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq linux-source-6.1 >/dev/null 2>&1) || {
		apt_update
		(cd "$tmp" && apt-get download -qq linux-source-6.1)
	}
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.1_*.deb |
		tar -x -C "$tmp" --wildcards './usr/src/linux-source-6.1.tar.xz'
	src=linux-source-6.1
	tar -xJf "$tmp/usr/src/$src.tar.xz" -C "$tmp" \
		$src/scripts/checkpatch.pl $src/scripts/spelling.txt \
		$src/scripts/const_structs.checkpatch
	mkdir -p "$dir"
	mv "$tmp/$src/scripts" "$dir/"
	rm -rf "$tmp"
	touch "$dir/.done"
}
fetch_checkpatch

# The kernel's own YNL CLI (tools/net/ynl) and the netlink spec schemas,
# for the test that drives the teredo family through its spec alone.
fetch_ynl() {
	local dir=$CACHE/ynl tmp src
	[ -f "$dir/.done" ] && return 0
	log "extracting tools/net/ynl from linux-source-6.12"
	rm -rf "$dir"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq linux-source-6.12 >/dev/null 2>&1) || {
		apt_update
		(cd "$tmp" && apt-get download -qq linux-source-6.12)
	}
	dpkg-deb --fsys-tarfile "$tmp"/linux-source-6.12_*.deb |
		tar -x -C "$tmp" --wildcards './usr/src/linux-source-6.12.tar.xz'
	src=linux-source-6.12
	tar -xJf "$tmp/usr/src/$src.tar.xz" -C "$tmp" --wildcards \
		"$src/tools/net/ynl" "$src/Documentation/netlink/*.yaml"
	mkdir -p "$dir"
	mv "$tmp/$src/tools" "$tmp/$src/Documentation" "$dir/"
	rm -rf "$tmp"
	touch "$dir/.done"
}
fetch_ynl

mkdir -p "$CACHE"
{
	echo "KVER_61 := $KVER_61"
	echo "KVER_612 := $KVER_612"
	echo "CHECKPATCH := $CACHE/checkpatch/scripts/checkpatch.pl"
	echo "YNL := $CACHE/ynl/tools/net/ynl/cli.py"
} > "$CACHE/env.mk.tmp"
mv "$CACHE/env.mk.tmp" "$CACHE/env.mk"
log "ready: $KVER_61 $KVER_612"
