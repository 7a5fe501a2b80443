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

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOCTL=$TEREDO_TOP/build/tools/teredoctl
DEV=teredo0

teredo_load
topo_init
ktap_plan $((20 + TOPO_OUTBOUND_TESTS + TOPO_INBOUND_TESTS))

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

ktap_info "elapsed: $SECONDS s"
ktap_finish
