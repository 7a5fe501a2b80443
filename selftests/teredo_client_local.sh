#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Local client discovery (RFC 4380 §5.2.8; issue 16): two of our clients
# on one LAN behind one NAT that does not hairpin (topo.sh's
# port-restricted cone NAT, masquerade; its LAN a bridge with $CLI at
# 10.0.0.2 and $CLIB at 10.0.0.3), against the real miredo-server.
#
#   0  without discovery (teredod's default, as Miredo): both qualify,
#      and A cannot reach B: 100% loss, A's bubbles to B's public mapping
#      end at the NAT (counted by an nftables rule: from the LAN to the
#      NAT's public address).
#   D  teredod --local-discovery on, both: discovery bubbles on the LAN
#      (224.0.0.253:3544, TTL 1, ff02::1, hop limit 1, from each); each
#      peer table has the other at its LAN address and port; ping6 both
#      ways, 3/3; the echoes cross the LAN directly (captured on the
#      bridge, 10.0.0.2 <-> 10.0.0.3), none goes to the NAT.
#   X  a discovery bubble by unicast, and one by multicast from an
#      address of another subnet: no peer entry, rx_bad_discovery +1 each.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOD=$TEREDO_TOP/build/tools/teredod
CTL=$TEREDO_TOP/build/tools/teredoctl
CLIB_IP=10.0.0.3
FOREIGN_IP=192.168.77.5		# on the LAN, not of its subnet

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "build/tools/teredod not built"
ktap_plan 12

# ------------------------------------------------------------ helpers

# A discovery bubble from BIND (any port) to DST:PORT, IPv6 source SRC6:
# python3 -c "$PY_DISC" BIND DST PORT SRC6.  With DST 224.0.0.253, out
# of BIND's interface, TTL 1.
# shellcheck disable=SC2016
PY_DISC='
import socket, struct, sys
bind, dst, port, src6 = sys.argv[1:5]
ttl = 1
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((bind, 0))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
             socket.inet_aton(bind))
hdr = struct.pack("!IHBB", 6 << 28, 0, 59, 1)
hdr += socket.inet_pton(socket.AF_INET6, src6)
hdr += socket.inet_pton(socket.AF_INET6, "ff02::1")
s.sendto(hdr, (dst, int(port)))
'

# counter NS NAME: a counter of teredoctl -j show teredo in NS.
counter() {
	local n

	n=$(ip netns exec "$1" "$CTL" -j show teredo |
		grep -o "\"$2\":[0-9]*" | head -1)
	echo "${n#*:}"
}

# shellcheck disable=SC2317  # called through wait_until
counter_is() {
	[ "$(counter "$1" "$2")" = "$3" ]
}

# peer_mapped NS ADDR: the mapping of peer ADDR in NS's table, or "".
peer_mapped() {
	ip netns exec "$1" "$CTL" -j peers teredo |
		json_eval "[p['mapped'] for p in d if p['peer'] == '$2'][0]" \
		2>/dev/null
}

# shellcheck disable=SC2317  # called through wait_until
peer_at() {
	[ "$(peer_mapped "$1" "$2")" = "$3" ]
}

# shellcheck disable=SC2317  # called through wait_until
has_peer() {
	[ -n "$(peer_mapped "$1" "$2")" ]
}

# hairpin: packets from the LAN to the NAT's public address so far.
hairpin() {
	ip netns exec "$NAT" nft -j list chain ip disc_count pre |
		json_eval "[r['expr'][-1]['counter']['packets'] for r in d['nftables'] if 'rule' in r for r in [r['rule']]][0]"
}

# bound NS: the port teredod's socket is bound to.
bound() {
	ip netns exec "$1" "$CTL" -j show teredo |
		json_eval '(d[0] if isinstance(d, list) else d)["bound"]' |
		sed 's/.*://'
}

# start NS NAME [OPTION...]: device teredo and teredod in NS; 0 once it
# has its Teredo address.
start() {
	local ns=$1 name=$2

	shift 2
	ip -n "$ns" link add teredo type teredo server "$TOPO_SRV_IP" ||
		return 1
	_topo_daemon "$ns" "$name" "$TEREDOD" "$@" teredo
	wait_until "$TOPO_T_START" _topo_has_teredo_addr "$ns" && return 0
	ktap_info "$name did not qualify: $(cat "$(topo_log "$name")")"
	return 1
}

stop() {
	_topo_kill_ns "$CLI" "$CLIB"
	ip -n "$CLI" link del teredo 2>/dev/null
	ip -n "$CLIB" link del teredo 2>/dev/null
}

# ---------------------------------------------------------- topology

topo_up
_topo_ns_create CLIB || ktap_bail "cannot create the namespace"
# The NAT's LAN becomes a bridge: i0 ($CLI) and i1 ($CLIB) on it.
_topo_batch "$NAT" <<-EOF || ktap_bail "cannot build the LAN"
addr del $TOPO_NAT_LAN_IP/24 dev i0
link add lan type bridge
link set lan up
link set i0 master lan
link add i1 type veth peer name e0 netns $CLIB
link set i1 master lan up
addr add $TOPO_NAT_LAN_IP/24 dev lan
EOF
topo_e0_up "$CLIB" "$CLIB_IP/24" "$TOPO_NAT_LAN_IP" ||
	ktap_bail "cannot build the LAN"
# What the NAT receives from the LAN for its public address: a hairpin
# attempt, which it does not forward.
ip netns exec "$NAT" nft -f - <<-EOF || ktap_bail "cannot load the counter"
table ip disc_count {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "lan" ip daddr $TOPO_NAT_IP counter
	}
}
EOF
topo_server_miredo || ktap_bail "miredo-server did not start"

# ----------------------------------------------- 0: no discovery, no way
S=before
start "$CLI" cli-a && start "$CLIB" cli-b
ktap_result $? "$S: both clients qualified behind the NAT (no --local-discovery)"
A=$(_topo_teredo_addr "$CLI")
B=$(_topo_teredo_addr "$CLIB")
ktap_info "A $A (10.0.0.2), B $B (10.0.0.3)"

h0=$(hairpin)
TOPO_T_PING=10 topo_ping "$CLI" "$B" 3
rc=$?
h1=$(hairpin)
ktap_info "ping A -> B: ${TOPO_PING_RX:-0}/3; to the NAT's public address from the LAN: $((h1 - h0)) packets"
[ "$rc" != 0 ] && [ "${TOPO_PING_RX:-0}" = 0 ] && [ "$((h1 - h0))" -gt 0 ]
ktap_result $? "$S: A cannot reach B: 100% loss, A's bubbles to B's public mapping end at the NAT (no hairpin)"
stop

# ------------------------------------------------- D: local discovery
S=discovery
# The LAN capture on the bridge port of $CLI: all A sends and receives
# there.
topo_lan_capture_start disc
start "$CLI" cli-a --local-discovery on &&
	start "$CLIB" cli-b --local-discovery on
ktap_result $? "$S: both clients qualified with --local-discovery on"
A=$(_topo_teredo_addr "$CLI")
B=$(_topo_teredo_addr "$CLIB")
PA=$(bound "$CLI")
PB=$(bound "$CLIB")
ktap_info "A $A (10.0.0.2:$PA), B $B (10.0.0.3:$PB)"

rc=0
wait_until 20 peer_at "$CLI" "$B" "$CLIB_IP:$PB" || rc=1
wait_until 20 peer_at "$CLIB" "$A" "$TOPO_CLI_IP:$PA" || rc=1
ktap_info "A's peer B at $(peer_mapped "$CLI" "$B"), B's peer A at $(peer_mapped "$CLIB" "$A")"
if [ "$rc" != 0 ]; then
	for ns in "$CLI" "$CLIB"; do
		ktap_info "$(ip netns exec "$ns" "$CTL" peers teredo
			ip netns exec "$ns" "$CTL" show teredo
			ip -n "$ns" maddr show dev e0)"
	done
	ktap_info "$(cat "$(topo_log cli-a)" "$(topo_log cli-b)")"
fi
ktap_result $rc "$S: each peer table has the other at its LAN address and port"

h0=$(hairpin)
assert_ping "ping A -> B" "$CLI" "$B"
ktap_result $? "$S: ping6 A -> B, 3/3"
assert_ping "ping B -> A" "$CLIB" "$A"
ktap_result $? "$S: ping6 B -> A, 3/3"
h1=$(hairpin)
topo_capture_stop disc

# IPv4 TTL 1 (ip[8]), UDP to 3544, IPv6 hop limit 1 (udp[15]) to ff02::1.
disc="dst host 224.0.0.253 and udp dst port 3544 and ip[8] = 1 and udp[8] = 0x60 and udp[15] = 1 and udp[32:4] = 0xff020000 and udp[44:4] = 1"
na=$(topo_capture_count disc "$disc and src host $TOPO_CLI_IP and src port $PA")
nb=$(topo_capture_count disc "$disc and src host $CLIB_IP and src port $PB")
ktap_info "discovery bubbles on the LAN: from A $na, from B $nb"
[ "$na" -ge 1 ] && [ "$nb" -ge 1 ]
ktap_result $? "$S: discovery bubbles from each: 224.0.0.253:3544 TTL 1, ff02::1 hop limit 1, from the service port"

# Echo requests and replies: IPv6 next header 58 (udp[14]).
echo6="udp[8] = 0x60 and udp[14] = 58"
ab=$(topo_capture_count disc "$echo6 and src host $TOPO_CLI_IP and src port $PA and dst host $CLIB_IP and dst port $PB")
ba=$(topo_capture_count disc "$echo6 and src host $CLIB_IP and src port $PB and dst host $TOPO_CLI_IP and dst port $PA")
ktap_info "ICMPv6 on the LAN: A -> B $ab, B -> A $ba; to the NAT's public address during the pings: $((h1 - h0))"
[ "$ab" -ge 6 ] && [ "$ba" -ge 6 ] && [ "$((h1 - h0))" = 0 ]
ktap_result $? "$S: the echoes cross the LAN directly, both ways; none reaches the NAT"

ra=$(counter "$CLI" rx_discovery)
rb=$(counter "$CLIB" rx_discovery)
ktap_info "rx_discovery: A ${ra:-none}, B ${rb:-none}"
[ "${ra:-0}" -ge 1 ] && [ "${rb:-0}" -ge 1 ]
ktap_result $? "$S: each counted the other's discovery bubbles (rx_discovery)"

# ------------------------------------------- X: what is not a discovery
S=forged
d=$(topo_teredo_decode "$A") || true
read -r _ mip _ <<< "$d"
X=$(python3 "$TEREDO_SELFTEST_DIR/teredo_peer.py" addr "$TOPO_SRV_IP" "$mip" 4242)
bad0=$(counter "$CLI" rx_bad_discovery)
ip netns exec "$NAT" python3 -c "$PY_DISC" "$TOPO_NAT_LAN_IP" "$TOPO_CLI_IP" "$PA" "$X"
wait_until 5 counter_is "$CLI" rx_bad_discovery $((bad0 + 1))
rc=$?
ktap_info "unicast from $TOPO_NAT_LAN_IP as $X: rx_bad_discovery $bad0 -> $(counter "$CLI" rx_bad_discovery), entry: '$(peer_mapped "$CLI" "$X")'"
[ "$rc" = 0 ] && [ -z "$(peer_mapped "$CLI" "$X")" ]
ktap_result $? "$S: a discovery bubble by unicast: no entry, rx_bad_discovery +1"

ip -n "$NAT" addr add "$FOREIGN_IP/24" dev lan
bad0=$(counter "$CLI" rx_bad_discovery)
ip netns exec "$NAT" python3 -c "$PY_DISC" "$FOREIGN_IP" 224.0.0.253 3544 "$X"
wait_until 5 counter_is "$CLI" rx_bad_discovery $((bad0 + 1))
rc=$?
ktap_info "multicast from $FOREIGN_IP as $X: rx_bad_discovery $bad0 -> $(counter "$CLI" rx_bad_discovery), entry: '$(peer_mapped "$CLI" "$X")'"
[ "$rc" = 0 ] && [ -z "$(peer_mapped "$CLI" "$X")" ]
ktap_result $? "$S: a discovery bubble from another subnet: no entry, rx_bad_discovery +1"

ip netns exec "$NAT" python3 -c "$PY_DISC" "$TOPO_NAT_LAN_IP" 224.0.0.253 3544 "$X"
wait_until 5 has_peer "$CLI" "$X"
rc=$?
ktap_info "the same by multicast from $TOPO_NAT_LAN_IP: entry '$(peer_mapped "$CLI" "$X")'"
[ "$rc" = 0 ] &&
	[ "$(peer_mapped "$CLI" "$X" | sed 's/:.*//')" = "$TOPO_NAT_LAN_IP" ]
ktap_result $? "$S: the same bubble by multicast from the subnet makes the entry (the checks above were the ones that refused)"

stop
ktap_finish
