#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teredo_packages.sh DEBDIR [TARBALL]: the Debian packages of `make deb`
# (teredo-dkms, teredo-tools) installed into the guest's overlay, used as
# a user would, and removed again.  Run by tools/check-packages.sh
# (make check-packages) in the VM, not by run_tests.
#   - dpkg -i of both: DKMS installs the module for the guest's kernel
#     (built by `dkms build` on the host when TARBALL names the
#     binaries-only DKMS tarball made of it, else by the postinst in the
#     guest, which takes 10-20 minutes under TCG); it loads and says the package's version (modinfo, sysfs);
#     teredod and teredoctl say it too.
#   - ip link add ... type teredo through the installed plugin (no
#     IP_LIB_DIR); systemd-analyze verify of the installed units; udevadm
#     test of the installed rule: teredod@DEV.service wanted for a client
#     device, not for a relay.
#   - the units' steps (teredo-link, as the units run them; the guest has
#     no systemd): a relay from /etc/teredo/DEV.conf made and deleted; a
#     hand-made client device survives its unit's stop, a conf-made one
#     does not; FIREWALL=no leaves no table.
#   - on the interop topology (topo.sh: our server, our relay, a native
#     host, the client behind a port-restricted NAT): the client from
#     /etc/teredo/teredo.conf, teredod as the user teredo with only
#     CAP_NET_ADMIN and CAP_NET_BIND_SERVICE (setpriv, as the unit's
#     User= and AmbientCapabilities= do) qualifies; the firewall passes the
#     replies of an outbound TCP connection (drop counter still 0) and
#     drops an unsolicited inbound SYN to a listening port (drop counter
#     moves, no connection); the NAT's address changes and teredod, still
#     unprivileged, follows the new mapping and TCP works again.
#   - dpkg -r and dpkg --purge: the module, the DKMS tree, the files,
#     /etc/teredo and /var/lib/teredo gone; the file lists of the touched
#     directories are what they were before the install.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

debdir=$(readlink -f "${1:-$TEREDO_TOP/build/deb}")
prebuilt=${2:-}
# Everything from the installed packages: no plugin from the checkout.
unset IP_LIB_DIR
export -n IP_LIB_DIR
kver=$(uname -r)
LINK=/usr/lib/teredo/teredo-link
NAT_IP2=198.18.0.41
TCP_PY='
import socket, sys
role, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if role == "listen":                  # one connection: print its peer
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(4)
    open(sys.argv[4], "w").write("ready\n")
    c, peer = s.accept()
    c.sendall(b"hello\n")
    print(peer[0], flush=True)
else:                                 # connect: print what it says
    s = socket.create_connection((addr, port), timeout=float(sys.argv[4]))
    print(s.recv(64).decode().strip(), flush=True)
'

[ "$(id -u)" = 0 ] || ktap_skip_all "must be root"
# No <(...): the guest has no /dev/fd until we make it below.
debs=("$debdir"/teredo-dkms_*_all.deb "$debdir"/teredo-tools_*_amd64.deb)
if [ ! -f "${debs[0]}" ] || [ ! -f "${debs[1]}" ]; then
	ktap_skip_all "no packages in $debdir (make deb)"
fi
ver=$(dpkg-deb -f "${debs[0]}" Version)
[ -d "/usr/src/linux-headers-$kver" ] ||
	ktap_skip_all "no headers for $kver in /usr/src"
topo_init
ktap_plan 16

# The guest has no /dev/fd (dkms uses <(...)).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
# The checkout's module, which run.sh put here, must not answer for the
# package's.
modprobe -r teredo 2>/dev/null
# No depmod here (minutes under TCG): the package's runs one.
rm -f "/lib/modules/$kver/extra/teredo.ko"

# The directories a package may touch: their file lists before the
# install and after the purge must be the same.  (Not the big trees
# below them: /usr/src and the kernel's modules only one level deep; not
# what udevadm test and systemd-analyze leave in /run.)
TOUCHED="/etc /lib/systemd/system /lib/udev/rules.d /usr/lib/teredo
	/usr/lib/x86_64-linux-gnu/ip /usr/lib/sysusers.d /usr/lib/tmpfiles.d
	/usr/sbin /usr/share/man/man5 /usr/share/man/man8 /var/lib /run"
file_list() {
	{
		# shellcheck disable=SC2086  # a list of directories
		find $TOUCHED -xdev \( -path /var/lib/dpkg -o -path /var/lib/apt \
			-o -path /var/lib/systemd -o -path /run/netns \
			-o -path /run/udev -o -path /run/systemd \
			-o -path /var/lib/ucf -o -path /var/lib/man-db \) -prune \
			-o -print
		find /usr/src /usr/share/doc "/lib/modules/$kver" \
			"/lib/modules/$kver/updates" -maxdepth 1
	} 2>/dev/null | grep -vE "^/lib/modules/$kver/modules\.|^/etc/(passwd|group|shadow|gshadow|subuid|subgid)-?\$|^/etc/ld\.so\.cache\$" |
		sort
}
# man-db's trigger rebuilds the whole manual index after each dpkg run
# (10 s or more under TCG), which says nothing of our packages: the
# trigger does that only while this file exists (the list below prunes
# /var/lib/man-db).
rm -f /var/lib/man-db/auto-update
before=$TOPO_DIR/files.before
ktap_info "listing the files before the install"
file_list > "$before"

# ---------------------------------------------------------- install
# DKMS's build under TCG takes 10 to 20 minutes: tools/check-packages.sh
# runs `dkms build` of the same package on the host (in a private mount
# namespace over /var/lib/dkms) and packs it with `dkms mktarball
# --binaries-only`; the package's postinst (dkms's common.postinst) loads
# /usr/share/teredo-dkms/teredo-VERSION.dkms.tar.gz when it exists instead
# of building, then runs `dkms install`.  Without PREBUILT the guest
# builds (the headers' build link is in the host's /lib/modules, which the
# guest's kernel tree hides: it is made here).
if [ -n "$prebuilt" ]; then
	mkdir -p /usr/share/teredo-dkms
	cp "$prebuilt" "/usr/share/teredo-dkms/teredo-$ver.dkms.tar.gz"
	how="built on the host by dkms build, loaded and installed by the postinst"
else
	ln -sfn "/usr/src/linux-headers-$kver" "/lib/modules/$kver/build"
	how="built and installed by the postinst's DKMS"
fi
t0=$SECONDS
ktap_info "dpkg -i ..."
# Each line of dpkg's output with the second it came at: where the
# install's time goes.
out=$( (DEBIAN_FRONTEND=noninteractive timeout 900 dpkg -i "${debs[@]}" \
	< /dev/null 2>&1; echo "rc $?") | while IFS= read -r l; do
		echo "$((SECONDS - t0)) s: $l"; done)
rc=$(tail -n1 <<< "$out" | sed 's/.*: rc //')
ktap_info "dpkg -i: $((SECONDS - t0)) s"
ktap_info "$out"
ktap_result "$rc" "dpkg -i teredo-dkms teredo-tools ($ver)"
# Not the package's: out of the way before the file lists are compared.
rm -rf /usr/share/teredo-dkms

rc=0
st=$(dkms status teredo 2>&1)
[[ $st == *"teredo/$ver, $kver, x86_64: installed"* ]] ||
	{ ktap_info "dkms status: $st"; rc=1; }
f=$(modinfo -F filename teredo 2>&1)
[[ $f == /lib/modules/$kver/updates/dkms/teredo.ko* ]] ||
	{ ktap_info "modinfo: $f"; rc=1; }
modprobe teredo || rc=1
assert_eq "/sys/module/teredo/version" "$ver" \
	"$(cat /sys/module/teredo/version 2>&1)" || rc=1
ktap_result $rc "teredo.ko for $kver $how; it loads, version $ver"

rc=0
assert_eq "teredod --version" "teredod $ver" "$(teredod --version 2>&1)" || rc=1
assert_eq "teredoctl --version" "teredoctl $ver" "$(teredoctl --version 2>&1)" || rc=1
id teredo >/dev/null 2>&1 || { ktap_info "no user teredo"; rc=1; }
assert_eq "/var/lib/teredo owner" "teredo 750" \
	"$(stat -c '%U %a' /var/lib/teredo 2>&1)" || rc=1
[ -d /etc/teredo ] || { ktap_info "no /etc/teredo"; rc=1; }
ktap_result $rc "tools say $ver; user teredo, /var/lib/teredo, /etc/teredo"

ns_create P
rc=0
/usr/sbin/ip -n "$P" link add t0 type teredo server 192.0.2.1 || rc=1
/usr/sbin/ip -n "$P" link add r0 type teredo mode relay || rc=1
out=$(/usr/sbin/ip -n "$P" -d link show dev t0 2>&1)
[[ $out == *"teredo mode client server 192.0.2.1 "* ]] ||
	{ ktap_info "$out"; rc=1; }
ktap_result $rc "ip link add ... type teredo through the installed plugin"

out=$(cd / && systemd-analyze verify --man=no teredod@t0.service \
	teredo@r0.service 2>&1 | grep -v 'sysinit.target not found')
[ -z "$out" ]
ktap_result $? "systemd-analyze verify teredod@t0.service teredo@r0.service"
[ -z "$out" ] || ktap_info "$out"

# udevadm test runs IMPORT{program} (not RUN): the rule's mode lookup.
rc=0
for d in t0 r0; do
	if [ $d = r0 ]; then
		ip link add "$d" type teredo mode relay || rc=1
	else
		ip link add "$d" type teredo server 192.0.2.1 || rc=1
	fi
	out=$(udevadm test --action=add "/sys/class/net/$d" 2>&1)
	if grep -E '60-teredo.rules.*(nvalid|rror|nknown)' <<< "$out"; then
		rc=1
	fi
	mode=$(sed -n 's/^TEREDO_MODE=//p' <<< "$out")
	wants=$(sed -n 's/^SYSTEMD_WANTS=//p' <<< "$out")
	if [ $d = t0 ]; then
		want_mode=client
		[[ $wants == *teredod@t0.service* ]] || mode="$mode (no want)"
	else
		want_mode=relay
		[[ $wants != *teredod@* ]] || mode="$mode (wanted)"
	fi
	assert_eq "$d: TEREDO_MODE, SYSTEMD_WANTS=$wants" "$want_mode" \
		"$mode" || rc=1
done
ktap_result $rc "udev rule: teredod@t0.service wanted for a client device, nothing for a relay"

# ------------------------------------------------- units' steps, no systemd
rc=0
printf 'MODE=relay\nLINK_ARGS="port 3545"\n' > /etc/teredo/r1.conf
"$LINK" is-service r1 || { ktap_info "is-service r1 failed"; rc=1; }
"$LINK" is-client r1 && { ktap_info "is-client r1 succeeded"; rc=1; }
"$LINK" up r1 || rc=1
out=$(ip -d link show dev r1 2>&1)
[[ $out == *"teredo mode relay "*"port 3545"* ]] || { ktap_info "$out"; rc=1; }
ip -6 route show 2001::/32 | grep -q "dev r1" || { ktap_info "no route"; rc=1; }
"$LINK" down r1 || rc=1
link_exists "" r1 && { ktap_info "r1 still there"; rc=1; }
rm -f /etc/teredo/r1.conf
ktap_result $rc "teredo@r1: relay from r1.conf made (route 2001::/32) and deleted"

rc=0
"$LINK" is-client t0 || { ktap_info "is-client t0 failed"; rc=1; }
"$LINK" is-client r0 && { ktap_info "is-client r0 succeeded"; rc=1; }
"$LINK" up t0 || rc=1
nft list table inet teredo_t0 >/dev/null 2>&1 || { ktap_info "no table"; rc=1; }
"$LINK" down t0 || rc=1
link_exists "" t0 || { ktap_info "hand-made t0 deleted"; rc=1; }
nft list table inet teredo_t0 >/dev/null 2>&1 && { ktap_info "table left"; rc=1; }
printf 'SERVER=192.0.2.1\nFIREWALL=no\n' > /etc/teredo/t1.conf
"$LINK" up t1 || rc=1
link_exists "" t1 || { ktap_info "t1 not made"; rc=1; }
nft list table inet teredo_t1 >/dev/null 2>&1 && { ktap_info "FIREWALL=no: table"; rc=1; }
"$LINK" down t1 || rc=1
link_exists "" t1 && { ktap_info "t1 left"; rc=1; }
rm -f /etc/teredo/t1.conf
ip link del t0
ip link del r0
ktap_result $rc "teredod@: a hand-made device stays at stop, a conf-made one goes; FIREWALL=no: no table"

# --------------------------------------------- the client on the topology
topo_up
topo_server_ours || ktap_bail "no server"
topo_relay_ours || ktap_bail "no relay"
ip netns exec "$RLY" sysctl -qw net.ipv6.conf.all.forwarding=1
ip netns exec "$SRV" sysctl -qw net.ipv6.conf.all.forwarding=1
printf '%s\n' "SERVER=$TOPO_SRV_IP" 'LINK_ARGS="port 40000 refresh 10"' \
	'TEREDOD_ARGS=--default-route' > /etc/teredo/teredo.conf
rc=0
ip netns exec "$CLI" "$LINK" up teredo || rc=1
tdlog=$TOPO_DIR/teredod.log
ip netns exec "$CLI" setpriv --reuid=teredo --regid=teredo --clear-groups \
	--inh-caps=-all,+net_admin,+net_bind_service \
	--ambient-caps=-all,+net_admin,+net_bind_service \
	--bounding-set=-all,+net_admin,+net_bind_service \
	"$LINK" run teredo > "$tdlog" 2>&1 &
td=$!
wait_until 60 _topo_has_teredo_addr "$CLI" || { ktap_info "$(cat "$tdlog")"; rc=1; }
addr1=$(_topo_teredo_addr "$CLI")
# The process teredo-link became (ip netns exec, setpriv and teredo-link
# exec it, but ask by name).
tdpid=$(pgrep -x teredod | head -1)
st=$(cat "/proc/${tdpid:-0}/status" 2>/dev/null)
uid=$(awk '/^Uid:/ { print $3 }' <<< "$st")
capeff=$(awk '/^CapEff:/ { print $2 }' <<< "$st")
assert_eq "teredod's effective uid" "$(id -u teredo)" "$uid" || rc=1
# CAP_NET_BIND_SERVICE (10) and CAP_NET_ADMIN (12) only.
assert_eq "teredod's effective capabilities" 0000000000001400 "$capeff" || rc=1
ktap_result $rc "teredod as user teredo (CapEff 0x1400) qualifies: ${addr1:-none}"

drops() {
	ip netns exec "$CLI" nft -j list chain inet teredo_teredo inbound |
		python3 -c 'import json, sys
for r in json.load(sys.stdin)["nftables"]:
    for e in r.get("rule", {}).get("expr", []):
        if "counter" in e:
            print(e["counter"]["packets"])'
}

# tcp_out ROUND: the client connects to the native host; 0 when the
# host's "hello" comes back through the firewall.
tcp_out() {
	local ready=$TOPO_DIR/out$1.ready got pid

	rm -f "$ready"
	ip netns exec "$HOST" timeout 60 python3 -c "$TCP_PY" listen \
		"$TOPO_HOST_IP6" 8081 "$ready" > "$TOPO_DIR/out$1.peer" 2>&1 &
	pid=$!
	wait_until 20 test -e "$ready"
	got=$(ip netns exec "$CLI" timeout 40 python3 -c "$TCP_PY" connect \
		"$TOPO_HOST_IP6" 8081 30 2>&1)
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	assert_eq "client <- host over TCP" hello "$got"
}

rc=0
d0=$(drops)
tcp_out 1 || rc=1
d1=$(drops)
assert_eq "drop counter after the outbound connection" "$d0" "$d1" || rc=1
ktap_result $rc "firewall: the replies of the client's own TCP connection pass (drops $d0 -> $d1)"

rc=0
ready=$TOPO_DIR/in.ready
ip netns exec "$CLI" timeout 60 python3 -c "$TCP_PY" listen "::" 8082 \
	"$ready" > "$TOPO_DIR/in.peer" 2>&1 &
lpid=$!
wait_until 20 test -e "$ready"
ip netns exec "$HOST" timeout 30 python3 -c "$TCP_PY" connect \
	"$addr1" 8082 25 > "$TOPO_DIR/in.out" 2>&1 &
cpid=$!
# shellcheck disable=SC2317  # through wait_until
_dropped() { [ "$(drops)" -gt "${d1:-0}" ]; }
wait_until 30 _dropped || rc=1
d2=$(drops)
kill "$cpid" "$lpid" 2>/dev/null
wait "$cpid" "$lpid" 2>/dev/null
[ -s "$TOPO_DIR/in.peer" ] && { ktap_info "accepted: $(cat "$TOPO_DIR/in.peer")"; rc=1; }
ktap_result $rc "firewall: an unsolicited SYN from the native host to a listening port is dropped (drops $d1 -> $d2), no connection"

rc=0
ip netns exec "$NAT" sysctl -qw net.ipv4.conf.e0.promote_secondaries=1 &&
	ip -n "$NAT" addr add "$NAT_IP2/24" dev e0 &&
	ip -n "$NAT" addr del "$TOPO_NAT_IP/24" dev e0 || rc=1
# shellcheck disable=SC2317  # through wait_until
_new_mapping() {
	local a

	a=$(_topo_teredo_addr "$CLI") || return 1
	[ -n "$a" ] && [[ "$(topo_teredo_decode "$a")" == *" $NAT_IP2 "* ]]
}
wait_until 60 _new_mapping || { ktap_info "$(cat "$tdlog")"; rc=1; }
addr2=$(_topo_teredo_addr "$CLI")
kill -0 "$td" 2>/dev/null || { ktap_info "teredod exited"; rc=1; }
tcp_out 2 || rc=1
ktap_result $rc "mapping change ($TOPO_NAT_IP -> $NAT_IP2): teredod follows (${addr2:-none}), TCP works again"

rc=0
kill "$td"
wait "$td"
ip netns exec "$CLI" "$LINK" down teredo || rc=1
link_exists "$CLI" teredo && { ktap_info "teredo left"; rc=1; }
ip netns exec "$CLI" nft list table inet teredo_teredo >/dev/null 2>&1 &&
	{ ktap_info "table left"; rc=1; }
rm -f /etc/teredo/teredo.conf
ktap_result $rc "stop: the conf-made device and its firewall are gone"
topo_down

# ------------------------------------------------------ remove, purge
rc=0
modprobe -r teredo || rc=1
out=$(DEBIAN_FRONTEND=noninteractive dpkg -r teredo-tools teredo-dkms \
	< /dev/null 2>&1) || { ktap_info "$out"; rc=1; }
[ -e "/lib/modules/$kver/updates/dkms/teredo.ko" ] &&
	{ ktap_info "module left"; rc=1; }
[ -e /usr/sbin/teredod ] && { ktap_info "teredod left"; rc=1; }
ktap_result $rc "dpkg -r: module and tools removed"

out=$(DEBIAN_FRONTEND=noninteractive dpkg --purge teredo-tools \
	teredo-dkms < /dev/null 2>&1)
rc=$?
[ $rc = 0 ] || ktap_info "$out"
for f in /etc/teredo /var/lib/teredo /var/lib/dkms/teredo "/usr/src/teredo-$ver"; do
	[ -e "$f" ] && { ktap_info "$f left"; rc=1; }
done
ktap_result $rc "dpkg --purge: /etc/teredo, /var/lib/teredo, the DKMS tree gone"

file_list > "$TOPO_DIR/files.after"
out=$(diff "$before" "$TOPO_DIR/files.after")
[ -z "$out" ]
ktap_result $? "after the purge the touched directories list what they did before"
[ -z "$out" ] || ktap_info "$out"

ktap_finish
