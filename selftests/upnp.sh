# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A home router with UPnP: the router namespace of topo.sh (NAT or NAT2)
# as a fully-random symmetric NAT whose nftables leave room for the real
# miniupnpd (Debian's miniupnpd-nftables: UPnP IGD, NAT-PMP/PCP), a STUN
# responder in $SRV for miniupnpd's own test, and miniupnpd itself.  For
# teredo_portmap.sh and make demo; sourced after topo.sh.  The same NAT
# with legacy-iptables chains for miniupnpd-iptables, which maps both
# halves (upnp_legacy_rules), is teredo_portmap_bidir.sh's.
#
#   postrouting (srcnat): jump postrouting_miniupnpd, then
#     ip saddr LAN oifname e0 masquerade fully-random
#   -> a new source port for every new flow: symmetric (RFC 4787:
#   address-and-port-dependent mapping); the router's own traffic (STUN)
#   keeps its ports;
#   prerouting (dstnat): jump prerouting_miniupnpd (miniupnpd's DNATs);
#   forward: replies pass, then jump miniupnpd (its accepts), then
#   anything new from the WAN is dropped; input: new from the WAN dropped.
#
# miniupnpd counts 198.18.0.0/15 as reserved and maps nothing from such a
# WAN address unless a STUN test passes (ext_perform_stun): the responder
# (a dozen lines of python, RFC 5389 Binding) answers it.  miniupnpd runs
# with -d in the foreground, its own config, no systemd.

# upnp_nat_rules ROUTER LAN [FORWARD PREROUTING POSTROUTING]: ROUTER's
# nftables (above) for the clients on LAN (a prefix), with a rule more in
# each of those chains (a forwarded port).  Replaces topo.sh's NAT.
upnp_nat_rules() {
	local ns=$1 lan=$2

	shift 2
	ip netns exec "$ns" nft delete table ip topo_nat 2>/dev/null
	ip netns exec "$ns" nft delete table inet filter 2>/dev/null
	ip netns exec "$ns" nft -f - <<-EOF
	table inet filter {
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established,related accept
			iifname "e0" jump miniupnpd
			${1:-}
			iifname "e0" ct state new drop
		}
		chain input {
			type filter hook input priority filter; policy accept;
			iifname "e0" ct state new drop
		}
		chain miniupnpd {
		}
		chain prerouting {
			type nat hook prerouting priority dstnat; policy accept;
			jump prerouting_miniupnpd
			${2:-}
		}
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			jump postrouting_miniupnpd
			${3:-}
			ip saddr $lan oifname "e0" masquerade fully-random
		}
		chain prerouting_miniupnpd {
		}
		chain postrouting_miniupnpd {
		}
	}
	EOF
}

# upnp_legacy_rules ROUTER LAN: the same fully-random symmetric NAT for
# the clients on LAN, with room for miniupnpd's legacy-iptables flavour
# (miniupnpd-iptables), which maps both halves: in iptables' nat table
# MINIUPNPD (its DNATs, from PREROUTING) and MINIUPNPD-POSTROUTING (a
# MASQUERADE --to-ports of the mapped port for the inside address and
# port, from POSTROUTING), in the filter table MINIUPNPD (its accepts,
# from FORWARD).  Replaces topo.sh's NAT and upnp_nat_rules'.
#
# Both NAT hooks feed one conntrack entry, and the first chain that binds
# its source wins.  Legacy nat POSTROUTING and nftables' srcnat sit at the
# same priority (100), in no promised order: the masquerade runs at
# srcnat + 10, so miniupnpd's MASQUERADE to the mapped port comes first
# and the random port takes only what it left alone.  What its DNATs let
# in is new from the WAN: the forward chain accepts it (ct status dnat)
# before it drops the rest.
upnp_legacy_rules() {
	local ns=$1 lan=$2

	ip netns exec "$ns" nft delete table ip topo_nat 2>/dev/null
	ip netns exec "$ns" nft delete table inet filter 2>/dev/null
	ip netns exec "$ns" nft -f - <<-EOF || return 1
	table inet filter {
		chain forward {
			type filter hook forward priority filter; policy accept;
			ct state established,related accept
			iifname "e0" ct status dnat accept
			iifname "e0" ct state new drop
		}
		chain input {
			type filter hook input priority filter; policy accept;
			iifname "e0" ct state new drop
		}
		chain postrouting {
			type nat hook postrouting priority srcnat + 10; policy accept;
			ip saddr $lan oifname "e0" masquerade fully-random
		}
	}
	EOF
	ip netns exec "$ns" iptables-legacy-restore <<-EOF
	*nat
	:PREROUTING ACCEPT [0:0]
	:INPUT ACCEPT [0:0]
	:OUTPUT ACCEPT [0:0]
	:POSTROUTING ACCEPT [0:0]
	:MINIUPNPD - [0:0]
	:MINIUPNPD-POSTROUTING - [0:0]
	-A PREROUTING -i e0 -j MINIUPNPD
	-A POSTROUTING -o e0 -j MINIUPNPD-POSTROUTING
	COMMIT
	*filter
	:INPUT ACCEPT [0:0]
	:FORWARD ACCEPT [0:0]
	:OUTPUT ACCEPT [0:0]
	:MINIUPNPD - [0:0]
	-A FORWARD -i e0 ! -o e0 -j MINIUPNPD
	COMMIT
	EOF
}

# upnp_nat_probe: 0 when the NAT is fully-random symmetric: one inside
# socket (port 5000) to two destinations leaves from two public ports,
# neither 5000; the datagram from a port it did not talk to is dropped.
upnp_nat_probe() {
	local p1 p2 rc=0

	topo_nat_probe || rc=1
	p1=$TOPO_PROBE_SRV p2=$TOPO_PROBE_RLY
	ktap_info "NAT probe: 10.0.0.2:5000 -> $TOPO_SRV_IP:7000 seen as $p1, -> $TOPO_RLY_IP:7000 seen as $p2"
	assert_eq "public address towards $TOPO_SRV_IP" "$TOPO_NAT_IP" "${p1%:*}" || rc=1
	assert_eq "public address towards $TOPO_RLY_IP" "$TOPO_NAT_IP" "${p2%:*}" || rc=1
	assert_ne "public ports per destination (symmetric)" "${p1#*:}" "${p2#*:}" || rc=1
	assert_ne "the inside port kept towards $TOPO_SRV_IP" 5000 "${p1#*:}" || rc=1
	assert_ne "the inside port kept towards $TOPO_RLY_IP" 5000 "${p2#*:}" || rc=1
	assert_eq "datagrams let in (from the flow's port only)" \
		"$TOPO_RLY_IP:7000" "$TOPO_PROBE_SEEN" || rc=1
	return $rc
}

# STUN Binding responder (RFC 5389: XOR-MAPPED-ADDRESS of the source),
# for miniupnpd's ext_perform_stun.
# shellcheck disable=SC2016
PY_STUN='
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 3478))
open(sys.argv[2], "w").write("ready\n")
while True:
    d, peer = s.recvfrom(2048)
    if len(d) < 20 or d[:2] != b"\0\x01":
        continue
    ck = d[4:8]
    a = struct.pack(">HHBBH", 0x20, 8, 0, 1, peer[1] ^ 0x2112) + \
        bytes(x ^ y for x, y in zip(socket.inet_aton(peer[0]), ck))
    s.sendto(b"\x01\x01" + struct.pack(">H", len(a)) + ck + d[8:20] + a, peer)
'

# miniupnpd logs through syslog(3) too, and the guest has no syslog
# daemon: glibc would write every line to the console, into the KTAP
# output.  A /dev/log of our own keeps them in a file.
# shellcheck disable=SC2016
PY_SYSLOG='
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2], "w").write("ready\n")
f = open(sys.argv[1], "ab", 0)
while True:
    f.write(s.recv(8192) + b"\n")
'
SYSLOG_PID=""
# upnp_syslog_sink NS: /dev/log served from NS (any: it is a file).
upnp_syslog_sink() {
	[ -e /dev/log ] && return 0
	"$IP" netns exec "$1" python3 -I -S -c "$PY_SYSLOG" \
		"$TOPO_DIR/syslog.log" "$TOPO_DIR/syslog.ready" </dev/null \
		>/dev/null 2>&1 &
	SYSLOG_PID=$!
	at_exit _upnp_syslog_stop
	wait_until 30 test -e "$TOPO_DIR/syslog.ready"
}

# shellcheck disable=SC2317  # called at exit
_upnp_syslog_stop() {
	[ -n "$SYSLOG_PID" ] || return 0
	kill "$SYSLOG_PID" 2>/dev/null
	wait "$SYSLOG_PID" 2>/dev/null
	rm -f /dev/log
	SYSLOG_PID=""
}

# upnp_stun_start: the STUN responder on $TOPO_SRV_IP:3478, in $SRV.
upnp_stun_start() {
	local ready=$TOPO_DIR/stun.ready

	_topo_daemon "$SRV" stun timeout 600 python3 -I -S -c "$PY_STUN" \
		"$TOPO_SRV_IP" "$ready"
	wait_until 30 test -e "$ready"
}

# miniupnpd-iptables, unpacked by make deps (tools/vm/deps.sh): it
# conflicts with the installed miniupnpd-nftables.
UPNP_IPT_MINIUPNPD=${UPNP_IPT_MINIUPNPD:-${TEREDO_CACHE:-/var/cache/teredo}/miniupnpd-iptables/usr/sbin/miniupnpd}

# The chains of each flavour, as its config names them.
UPNP_NFT_CHAINS="upnp_table_name=filter
upnp_nat_table_name=filter
upnp_forward_chain=miniupnpd
upnp_nat_chain=prerouting_miniupnpd
upnp_nat_postrouting_chain=postrouting_miniupnpd"
UPNP_IPT_CHAINS="upnp_forward_chain=MINIUPNPD
upnp_nat_chain=MINIUPNPD
upnp_nat_postrouting_chain=MINIUPNPD-POSTROUTING"

MUPNP_PID=""
# upnp_miniupnpd_start ROUTER LAN UPNP(yes|no) [iptables]: miniupnpd -d
# in ROUTER for the clients on LAN (a prefix), NAT-PMP/PCP on, UPnP as
# asked; Debian's nftables flavour in upnp_nat_rules' chains, or with
# "iptables" miniupnpd-iptables in upnp_legacy_rules' chains; waits until
# port forwarding is enabled (STUN passed).
upnp_miniupnpd_start() {
	local ns=$1 lan=$2 upnp=$3 bin=miniupnpd chains=$UPNP_NFT_CHAINS
	local conf log

	if [ "${4:-}" = iptables ]; then
		bin=$UPNP_IPT_MINIUPNPD chains=$UPNP_IPT_CHAINS
	fi
	conf=$TOPO_DIR/r$TOPO_ROUND-miniupnpd-$upnp.conf
	log=$(topo_log "miniupnpd-$upnp")
	cat > "$conf" <<-EOF
	ext_ifname=e0
	listening_ip=i0
	http_port=0
	enable_upnp=$upnp
	enable_natpmp=yes
	secure_mode=yes
	ext_perform_stun=yes
	ext_stun_host=$TOPO_SRV_IP
	ext_stun_port=3478
	$chains
	uuid=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b
	allow 1024-65535 $lan 1024-65535
	deny 0-65535 0.0.0.0/0 0-65535
	EOF
	"$IP" netns exec "$ns" "$bin" -d -f "$conf" \
		-P "$TOPO_DIR/miniupnpd.pid" >"$log" 2>&1 </dev/null &
	MUPNP_PID=$!
	wait_until 60 grep -q "Listening for NAT-PMP/PCP traffic" "$log" &&
		grep -q "Port forwarding is now enabled" "$log" && return 0
	ktap_info "miniupnpd did not start: $(cat "$log")"
	return 1
}

upnp_miniupnpd_stop() {
	[ -n "$MUPNP_PID" ] || return 0
	kill -TERM "$MUPNP_PID" 2>/dev/null
	_topo_wait_gone 10 "$MUPNP_PID" || kill -KILL "$MUPNP_PID" 2>/dev/null
	wait "$MUPNP_PID" 2>/dev/null
	MUPNP_PID=""
}

# upnp_mappings ROUTER: miniupnpd's DNAT rules there.
upnp_mappings() {
	ip netns exec "$1" nft list chain inet filter prerouting_miniupnpd |
		grep -o 'dport [0-9]* dnat ip to [0-9.:]*'
}

# upnp_legacy_mappings ROUTER PORT: miniupnpd-iptables' rules for PORT
# there, as iptables-legacy -S prints them (nat: the DNAT, the
# MASQUERADE; filter: the accept).
upnp_legacy_mappings() {
	ip netns exec "$1" sh -c 'iptables-legacy -t nat -S; iptables-legacy -S' |
		grep -E -- "^-A MINIUPNPD.* --([ds]port|to-ports) $2( |\$)"
}

# counter NAME DEV: a counter of the client's device DEV in $CLI, from
# teredoctl -j show ($CTL, the caller's); counter_above NAME DEV N: above N.
counter() {
	local n

	n=$(ip netns exec "$CLI" "$CTL" -j show "$2" |
		grep -o "\"$1\":[0-9]*" | head -1)
	echo "${n#*:}"
}

# shellcheck disable=SC2317  # called through wait_until
counter_above() {
	[ "$(counter "$1" "$2")" -gt "$3" ] 2>/dev/null
}

# stranger_to PORT DEV BEFORE: a datagram from $RLY:7002, which the client
# never contacted, to the router's public PORT; it must reach the client's
# socket through the mapping, where the kernel counts it (no Teredo
# header: DEV's rx_bad_header above BEFORE within 10 s).
stranger_to() {
	ip netns exec "$RLY" python3 -I -S -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 7002))
s.sendto(b"\x45" * 40, (sys.argv[2], int(sys.argv[3])))
' "$TOPO_RLY_IP" "$TOPO_NAT_IP" "$1" &&
		wait_until 10 counter_above rx_bad_header "$2" "$3"
}
