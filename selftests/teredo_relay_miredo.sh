#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Our relay (teredo0, mode relay, 198.18.0.20:3544) between a Miredo
# client behind a port-restricted cone NAT, miredo-server and a native
# IPv6 host: protocol.md §10.2 rows 10 and 11, on the topology of topo.sh
# that teredo_relay_miredo_baseline.sh proves with Miredo's own relay.
#   round 1 (scenario 10): the client pings the native host first.  The
#     echo reply reaches our relay, which must queue it, send an indirect
#     bubble to the client's server (198.18.0.20:3544 -> 198.18.0.1:3544,
#     40-byte payload, link-local fe80::/64 source, as Miredo does), trust
#     the client after its direct bubble, release the queue; then ICMPv6
#     flows directly; the host pings back; TCP both ways with iperf3; the
#     device counts what it received and sent; teredoctl shows the client
#     trusted at the NAT's public address and port.
#   round 2 (scenario 11, after topo_reset_peers: new client, new relay): the native host pings first;
#     the first echo request is delivered after the bubble exchange.
#   round 3 (scenario 14): the NAT turned fully-random symmetric; the
#     Miredo client qualifies with the server's mapping and pings the
#     native host, which pings back: its direct bubble answers our
#     relay's keyed fe80:: bubble source from another public port than
#     its address embeds, and our relay moves the client there (RFC 6081
#     §5.2's exchange, as Miredo's relay does it).
#   round 4 (scenario 14, the other half): our client with no NAT as the
#     peer of that Miredo client.  (a) Miredo starts: we answer its
#     fe80:: direct bubble where it came from, hold its first packet
#     from that port, and our keyed indirect bubble's answer moves it
#     there; (b) a new Miredo client, ours starts: the same proof.  On
#     the wire, in the peer table (trusted at the port it sends from)
#     and the counters (rx_moved); its answer replayed from elsewhere is
#     rx_bad_nonce, a bubble without the key rx_mapping, neither moves it.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOCTL=$TEREDO_TOP/build/tools/teredoctl
DEV=teredo0

teredo_load
topo_init
ktap_plan $((31 + TOPO_OUTBOUND_TESTS + TOPO_INBOUND_TESTS))

# ours_relay_up DESC: our relay; one result.
ours_relay_up() {
	local rc=0

	topo_relay_ours || rc=1
	if [ $rc = 0 ]; then
		assert_eq "$DEV mode local port" \
			"relay $TOPO_RLY_IP $TOPO_TEREDO_PORT" \
			"$(link_get "$RLY" "$DEV" 'd["linkinfo"]["info_data"]["mode"] + " " + d["linkinfo"]["info_data"].get("local", "-") + " " + str(d["linkinfo"]["info_data"]["port"])')" ||
			rc=1
		assert_eq "$DEV up" 1 "$(link_get "$RLY" "$DEV" \
			'"1" if "UP" in d["flags"] else "0"')" || rc=1
		assert_contains "route to 2001::/32" "dev $DEV" \
			"$(ip -n "$RLY" -6 route show 2001::/32)" || rc=1
	fi
	ktap_result $rc "$1"
}

# check_counters DESC: rx_packets and tx_packets of teredo0 above 0.
check_counters() {
	local rc=0 rx tx

	rx=$(link_stat "$RLY" "$DEV" rx packets)
	tx=$(link_stat "$RLY" "$DEV" tx packets)
	assert_num "$DEV rx_packets" "${rx:-}" -gt 0 || rc=1
	assert_num "$DEV tx_packets" "${tx:-}" -gt 0 || rc=1
	[ $rc = 0 ] || ktap_info "$(ip -n "$RLY" -s -s link show dev "$DEV")"
	ktap_result $rc "$1"
}

# check_teredoctl_peer DESC: `teredoctl -j peers teredo0` lists the
# client, trusted, mapped at the NAT's public address and port.
check_teredoctl_peer() {
	local desc=$1 out peer rc=0

	if [ ! -x "$TEREDOCTL" ]; then
		ktap_skip "$desc" "build/tools/teredoctl not built"
		return
	fi
	out=$(ip netns exec "$RLY" timeout 10 "$TEREDOCTL" -j peers "$DEV" 2>&1) ||
		{ ktap_info "teredoctl -j peers $DEV failed: $out"; rc=1; }
	peer=$(json_eval "[\"%s %s\" % (p[\"trusted\"], p[\"mapped\"])
		for p in d if p[\"peer\"] == \"$TOPO_CLI_ADDR\"]" <<< "$out" 2>/dev/null)
	assert_eq "teredoctl peer $TOPO_CLI_ADDR (trusted mapped:port)" \
		"[\"True $TOPO_CLI_MAPPED_IP:$TOPO_CLI_MAPPED_PORT\"]" "$peer" || rc=1
	[ $rc = 0 ] || ktap_info "teredoctl -j peers $DEV: $out"
	ktap_result $rc "$desc"
}

# ------------------------------------------- round 1: scenario 10
topo_up
topo_nat_check
ktap_result $? "NAT emulates a port-restricted cone (endpoint-independent mapping, port-dependent filtering)"
topo_server_miredo || ktap_bail "miredo-server did not start"
ours_relay_up "our relay $DEV up: mode relay, $TOPO_RLY_IP:$TOPO_TEREDO_PORT, 2001::/32 dev $DEV"
topo_client_miredo || ktap_bail "the Miredo client did not qualify"
topo_check_qualified

topo_scenario_outbound

assert_ping "native host -> client" "$HOST" "$TOPO_CLI_ADDR" 3
ktap_result $? "native host pings the client back through our relay"
# Right after traffic: trust lasts 30 s without reception.
check_teredoctl_peer "teredoctl: client trusted, mapped at the NAT's public address:port"

assert_iperf "TCP client -> native host" "$HOST" "$TOPO_HOST_IP6" "$CLI"
ktap_result $? "iperf3 -t 3, client -> native host through our relay"
assert_iperf "TCP native host -> client" "$CLI" "$TOPO_CLI_ADDR" "$HOST"
ktap_result $? "iperf3 -t 3, native host -> client through our relay"

check_counters "$DEV counted packets both ways (rx_packets, tx_packets > 0)"

# ------------------------- round 2: scenario 11, no peer state anywhere
topo_reset_peers
ours_relay_up "round 2: our relay $DEV up"
topo_client_miredo || ktap_bail "round 2: the Miredo client did not qualify"
topo_check_qualified "round 2"

topo_scenario_inbound

assert_ping "client -> native host" "$CLI" "$TOPO_HOST_IP6" 3
ktap_result $? "round 2: the client pings the native host back"
check_teredoctl_peer "round 2: teredoctl: client trusted, mapped at the NAT's public address:port"

# ------------------------- round 3: scenario 14, a symmetric NAT
topo_reset_peers
topo_nat_symmetric
ktap_result $? "round 3: the NAT is symmetric (masquerade fully-random: another public port per destination)"
ours_relay_up "round 3: our relay $DEV up"
topo_client_miredo || ktap_bail "round 3: the Miredo client did not qualify"
topo_check_qualified "round 3"
f=$(topo_capture_file s14)
topo_capture_start s14 || ktap_bail "cannot capture"
assert_ping "client -> native host" "$CLI" "$TOPO_HOST_IP6" 3
ktap_result $? "round 3 (scenario 14): the client behind the symmetric NAT pings the native host through our relay"
assert_ping "native host -> client" "$HOST" "$TOPO_CLI_ADDR" 3
ktap_result $? "round 3: the native host pings the client back"
out=$(ip netns exec "$RLY" timeout 10 "$TEREDOCTL" -j peers "$DEV" 2>&1)
peer=$(json_eval "[\"%s %s\" % (p[\"trusted\"], p[\"mapped\"])
	for p in d if p[\"peer\"] == \"$TOPO_CLI_ADDR\"]" <<< "$out" 2>/dev/null)
moved=${peer#*\"True }
moved=${moved%\"*}
rc=0
assert_eq "the client's entry: trusted, at the NAT's address" \
	"$TOPO_NAT_IP" "${moved%:*}" || rc=1
assert_ne "its port (not the embedded $TOPO_CLI_MAPPED_PORT)" \
	"$TOPO_CLI_MAPPED_PORT" "${moved#*:}" || rc=1
[ $rc = 0 ] || ktap_info "teredoctl -j peers $DEV: $out"
ktap_result $rc "round 3: our relay trusts the client at the mapping it really sends from (${moved:-?}), not the embedded :$TOPO_CLI_MAPPED_PORT"
topo_capture_stop s14
n=$(topo_cap_count "$f" src="$TOPO_NAT_IP" sport="${moved#*:}" \
	dst="$TOPO_RLY_IP" dport="$TOPO_TEREDO_PORT" bubble=1 ll6dst=1)
check_num "round 3: the client's direct bubble to the relay's fe80:: key from that port" \
	"${n:-0}" -ge 1
n=$(topo_cap_count "$f" src="$TOPO_RLY_IP" dst="$TOPO_NAT_IP" \
	dport="${moved#*:}" icmp6=128)
check_num "round 3: the host's echo requests encapsulated to that port" \
	"${n:-0}" -ge 3

# ------- round 4: scenario 14, our public client as the Miredo client's peer
# The NAT stays fully-random; the Miredo client of round 3 goes on.
# $PUB: our client with no NAT.  (a) the Miredo client pings it first:
# its direct bubble (from its keyed fe80:: source, from the NAT's port
# towards us) is answered there, its first packet from that port is held
# while our keyed indirect bubble makes it prove the port, which moves
# it there; (b) a new Miredo client, our client pings it first: the same
# proof, without the first half.  Replays and forgeries move nothing.
PUB_IP=198.18.0.50
SPOOF=198.18.0.99:9999

# pctl ARGS...: teredoctl in $PUB.
pctl() {
	ip netns exec "$PUB" timeout 10 "$TEREDOCTL" "$@"
}

# pcounter NAME: a counter of our client in $PUB.
pcounter() {
	pctl -j show teredo | json_eval "d.get(\"counters\", {}).get(\"$1\", 0)"
}

# ppeer ADDR: "trusted mapped:port" of ADDR in our client's table.
ppeer() {
	pctl -j peers teredo | json_eval "\" \".join(\"%s %s\" %
		(p[\"trusted\"], p[\"mapped\"]) for p in d if p[\"peer\"] == \"$1\")"
}

# check_moved_peer DESC: our client trusts the Miredo client at the NAT's
# address and another port than its address embeds; sets MOVED (port).
check_moved_peer() {
	local peer rc=0

	peer=$(ppeer "$TOPO_CLI_ADDR")
	MOVED=${peer#True }
	MOVED=${MOVED#*:}
	ktap_info "our client's entry for $TOPO_CLI_ADDR: $peer (embeds :$TOPO_CLI_MAPPED_PORT)"
	assert_word "trusted" True "$peer" || rc=1
	assert_contains "at the NAT's address" "$TOPO_NAT_IP:" "$peer" || rc=1
	assert_ne "at another port than the embedded one" \
		"$TOPO_CLI_MAPPED_PORT" "$MOVED" || rc=1
	ktap_result $rc "$1"
}

# assert_keyed_exchange FILE PORT: in the capture FILE, our indirect
# bubble from our keyed fe80:: source through the Miredo client's server
# (40 bytes, no trailer) and its answer to that key from the NAT's PORT.
assert_keyed_exchange() {
	local rc=0

	assert_cap "our keyed indirect bubble" "$1" "src=$PUB_IP" \
		"sport=$pport" "dst=$TOPO_SRV_IP" "dport=$TOPO_TEREDO_PORT" \
		paylen=40 bubble=1 ll6src=1 "ip6dst=$TOPO_CLI_ADDR" || rc=1
	assert_cap "its answer to our key" "$1" "src=$TOPO_NAT_IP" \
		"sport=$2" "dst=$PUB_IP" "dport=$pport" paylen=40 bubble=1 \
		"ip6src=$TOPO_CLI_ADDR" ll6dst=1 || rc=1
	return $rc
}

topo_public_up PUB "$PUB_IP" || ktap_bail "round 4: cannot add the public host"
_topo_ours "$PUB" pub "$TOPO_SRV_IP" ||
	ktap_bail "round 4: our public client did not qualify"
P=$(_topo_teredo_addr "$PUB")
read -r _ pip pport <<< "$(topo_teredo_decode "$P")"
assert_eq "our client's address embeds" "$PUB_IP" "$pip"
ktap_result $? "round 4: our client with no NAT qualified: $P ($pip:$pport)"

f=$(topo_capture_file s14p)
topo_capture_start s14p || ktap_bail "cannot capture"
moved0=$(pcounter rx_moved)
assert_ping "Miredo client -> our client" "$CLI" "$P" 3
ktap_result $? "round 4 (a): the Miredo client behind the symmetric NAT pings our public client first, 3/3"
check_moved_peer "round 4 (a): our client trusts it at the NAT's port it sends from, not the embedded one"
MOVED_A=$MOVED
moved1=$(pcounter rx_moved)
check_num "round 4 (a): rx_moved" "$moved1" -gt "$moved0"
topo_capture_stop s14p

# The wire, in order: its direct bubble from its key to us, our answer
# back there, our keyed indirect bubble through its server, its answer
# to that key from the same port.
rc=0
assert_cap "its direct bubble" "$f" "src=$TOPO_NAT_IP" "sport=$MOVED_A" \
	"dst=$PUB_IP" "dport=$pport" bubble=1 ll6src=1 "ip6dst=$P" || rc=1
assert_cap "our answer to its key" "$f" "src=$PUB_IP" "sport=$pport" \
	"dst=$TOPO_NAT_IP" "dport=$MOVED_A" paylen=40 bubble=1 "ip6src=$P" \
	ll6dst=1 || rc=1
ktap_result $rc "round 4 (a): wire: its direct bubble from fe80:: at :$MOVED_A, our 40-byte answer from $P to that fe80:: there"
rc=0
assert_keyed_exchange "$f" "$MOVED_A" || rc=1
ktap_result $rc "round 4 (a): wire: our indirect bubble from our fe80:: key through its server (40 B, no trailer), its answer to it from :$MOVED_A"

# Its answer, replayed from elsewhere: the key served one exchange.
key=$(topo_cap_decode "$f" | awk -F'\t' -v s="$TOPO_NAT_IP" -v d="$PUB_IP" \
	-v a="$TOPO_CLI_ADDR" '$1 == s && $3 == d && $9 == a && $17 == 1 && $12 == 1 { k = $10 } END { print k }')
ktap_info "our key for it: ${key:-none}"
b0=$(pcounter rx_bad_nonce)
m0=$(pcounter rx_mapping)
topo_forge_bubble "$RLY" "$SPOOF" "$PUB_IP:$pport" "$TOPO_CLI_ADDR" \
	"${key:-fe80::1}" -
topo_forge_bubble "$RLY" "$SPOOF" "$PUB_IP:$pport" "$TOPO_CLI_ADDR" "$P" -
sleep 0.3
b1=$(pcounter rx_bad_nonce)
m1=$(pcounter rx_mapping)
peer=$(ppeer "$TOPO_CLI_ADDR")
ktap_info "rx_bad_nonce $b0 -> $b1, rx_mapping $m0 -> $m1, entry $peer"
rc=0
assert_ne "a key seen" "" "$key" || rc=1
assert_num "rx_bad_nonce (the key replayed)" "$b1" -eq $((b0 + 1)) || rc=1
assert_num "rx_mapping (no key)" "$m1" -eq $((m0 + 1)) || rc=1
# Where it is, not whether it is still trusted: on a slow guest (the
# debug kernel) the checks since its last packet can outlast the trust
# window (30 s), which is no move.
assert_eq "its entry's mapping" "$TOPO_NAT_IP:$MOVED_A" "${peer#* }" || rc=1
ktap_result $rc "round 4: its answer replayed from $SPOOF (rx_bad_nonce) and a bubble without the key (rx_mapping) move nothing"

# (b): a new Miredo client (new mapping); our client starts.
_topo_kill_ns "$CLI"
TOPO_ROUND=$((TOPO_ROUND + 1))
wait_until 10 link_absent "$CLI" teredo ||
	ktap_bail "round 4: the Miredo client does not go away"
topo_client_miredo || ktap_bail "round 4: the Miredo client did not qualify again"
topo_check_qualified "round 4 (b)"
pctl peers flush teredo
f=$(topo_capture_file s14q)
topo_capture_start s14q || ktap_bail "cannot capture"
assert_ping "our client -> Miredo client" "$PUB" "$TOPO_CLI_ADDR" 3
ktap_result $? "round 4 (b): our public client pings the Miredo client behind the symmetric NAT first, 3/3"
check_moved_peer "round 4 (b): our client trusts it at the NAT's port it answers from"
topo_capture_stop s14q
rc=0
assert_keyed_exchange "$f" "$MOVED" || rc=1
n=$(topo_cap_count "$f" "src=$PUB_IP" "dst=$TOPO_NAT_IP" "dport=$MOVED" \
	icmp6=128)
assert_num "echo requests to :$MOVED" "${n:-0}" -ge 3 || rc=1
ktap_result $rc "round 4 (b): wire: our keyed indirect bubble, its answer to the key from :$MOVED, our echo requests there"

ktap_finish
