#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Our client's data path (kernel, with teredod qualifying it) against the
# real Miredo, on the topology of topo.sh: protocol.md §10.2 rows 9, 12
# and 13, plus the same with our relay and between two of our clients.
#   round 1 (scenario 12): our client behind the port-restricted NAT pings
#     the native host through Miredo's relay: the echo test goes through
#     miredo-server, Miredo's indirect bubble comes back relayed with an
#     origin indication, we answer with a direct bubble to the relay, the
#     nonce-checked echo reply makes the host a trusted peer via the
#     relay, the queued ping follows; counters and peer table; TCP.
#   round 2 (scenario 13): the native host pings first; the relay's
#     link-local bubble is consumed, never delivered.
#   round 3: the same through our relay.
#   round 4 (scenario 9): our client and a Miredo client behind two NATs
#     ping each other; each trusts the other at its NAT's public address;
#     33 s later our client's solicitations (RFC 6081 §5.7) go unanswered
#     3 times, then its indirect bubble reaches the Miredo client.
#   round 5: two of our clients behind two NATs; TCP between them;
#     teredod killed: carrier off, nothing sent.
#   round 6: an all-ours network: our server, our relay, our client.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOCTL=$TEREDO_TOP/build/tools/teredoctl
DEV=teredo

teredo_load
topo_init
[ -x "$TEREDO_TOP/build/tools/teredod" ] || ktap_skip_all "teredod not built"
[ -x "$TEREDOCTL" ] || ktap_skip_all "teredoctl not built"
ktap_plan $((31 + TOPO_OUTBOUND_TESTS + TOPO_INBOUND_TESTS))

ctl() {
	local ns=$1

	shift
	ip netns exec "$ns" timeout 10 "$TEREDOCTL" "$@"
}

# counter NS NAME: a counter of our client device in NS (0 when absent).
counter() {
	ctl "$1" -j show "$DEV" | json_eval "d.get(\"counters\", {}).get(\"$2\", 0)"
}

# peer_of NS ADDR [DEV]: "trusted mapped:port" of ADDR in the table of
# DEV (our client device).
peer_of() {
	ctl "$1" -j peers "${3:-$DEV}" | json_eval "\" \".join(\"%s %s\" %
		(p[\"trusted\"], p[\"mapped\"]) for p in d
		if p[\"peer\"] == \"$2\")"
}

# shellcheck disable=SC2317  # called through wait_until
carrier_off() {
	[ "$(link_get "$1" "$DEV" '"1" if "LOWER_UP" in d["flags"] else "0"')" = 0 ]
}

# check_qualified DESC: our client has its address from the server,
# behind the NAT's public address, and carrier.
check_qualified() {
	local rc=0

	assert_eq "server in the address" "$TOPO_SRV_IP" "$TOPO_CLI_SERVER" ||
		rc=1
	assert_eq "mapped address in the address" "$TOPO_NAT_IP" \
		"$TOPO_CLI_MAPPED_IP" || rc=1
	assert_eq "carrier" 1 "$(link_get "$CLI" "$DEV" \
		'"1" if "LOWER_UP" in d["flags"] else "0"')" || rc=1
	ktap_info "our client: $TOPO_CLI_ADDR mapped $TOPO_CLI_MAPPED_IP:$TOPO_CLI_MAPPED_PORT"
	ktap_result $rc "$1"
}

# check_native_peer DESC: the native host is a trusted peer, reached at
# the relay's address and port.  A ping first: the wire checks before
# may have taken longer than the minute after which idle peers go.
check_native_peer() {
	topo_ping "$CLI" "$TOPO_HOST_IP6" 1
	assert_eq "peer $TOPO_HOST_IP6" "True $TOPO_RLY_IP:$TOPO_TEREDO_PORT" \
		"$(peer_of "$CLI" "$TOPO_HOST_IP6")"
	ktap_result $? "$1"
}

# check_echo_counters DESC: tests sent and answered, bubbles consumed,
# the RA went to teredod, nothing link-local delivered.
check_echo_counters() {
	local rc=0

	assert_num "tx_echo_tests" "$(counter "$CLI" tx_echo_tests)" -ge 1 ||
		rc=1
	assert_num "rx_echo_replies" "$(counter "$CLI" rx_echo_replies)" \
		-ge 1 || rc=1
	assert_num "rx_bubbles" "$(counter "$CLI" rx_bubbles)" -ge 1 || rc=1
	assert_num "rx_to_helper" "$(counter "$CLI" rx_to_helper)" -ge 1 ||
		rc=1
	assert_num "rx_link_local" "$(counter "$CLI" rx_link_local)" -eq 0 ||
		rc=1
	[ $rc = 0 ] || ktap_info "$(ctl "$CLI" show "$DEV")"
	ktap_result $rc "$1"
}

topo_up
topo_server_miredo || ktap_bail "miredo-server did not start"

# ------------------------- round 1: scenario 12, Miredo relay, outbound
topo_relay_miredo || ktap_bail "the Miredo relay did not start"
topo_client_ours || ktap_bail "our client did not qualify"
check_qualified "our client qualified behind the NAT (mapping $TOPO_NAT_IP)"
TOPO_SC_OUT=S12 topo_scenario_outbound
check_native_peer "S12: native host trusted via the Miredo relay $TOPO_RLY_IP:$TOPO_TEREDO_PORT"
check_echo_counters "S12: echo test sent and answered, bubbles consumed, RA to teredod"
assert_iperf "TCP our client -> native host" "$HOST" "$TOPO_HOST_IP6" "$CLI"
ktap_result $? "S12: iperf3 -t 3, our client -> native host through Miredo's relay"

# ------------------------- round 2: scenario 13, Miredo relay, inbound
topo_reset_peers
topo_relay_miredo || ktap_bail "round 2: the Miredo relay did not start"
topo_client_ours || ktap_bail "round 2: our client did not qualify"
check_qualified "round 2: our client qualified"
TOPO_SC_IN=S13 topo_scenario_inbound
check_native_peer "S13: native host trusted via the Miredo relay"
rc=0
assert_num "rx_bubbles" "$(counter "$CLI" rx_bubbles)" -ge 1 || rc=1
assert_num "rx_link_local" "$(counter "$CLI" rx_link_local)" -eq 0 || rc=1
assert_num "rx_unverified" "$(counter "$CLI" rx_unverified)" -eq 0 || rc=1
ktap_result $rc "S13: the relay's link-local bubble consumed; the held ping released, none dropped"

# ------------------------------------- round 3: our relay, both ways
topo_reset_peers
topo_relay_ours || ktap_bail "round 3: our relay did not start"
topo_client_ours || ktap_bail "round 3: our client did not qualify"
check_qualified "round 3: our client qualified"
assert_ping "our client -> native host" "$CLI" "$TOPO_HOST_IP6" 3
ktap_result $? "our client pings the native host through our relay"
check_native_peer "our relay: native host trusted via our relay"
assert_eq "relay's peer" "True $TOPO_CLI_MAPPED_IP:$TOPO_CLI_MAPPED_PORT" \
	"$(peer_of "$RLY" "$TOPO_CLI_ADDR" "$TOPO_RELAY_DEV")"
ktap_result $? "our relay trusts our client at its NAT's public address"
assert_ping "native host -> our client" "$HOST" "$TOPO_CLI_ADDR" 3
ktap_result $? "the native host pings our client back through our relay"
assert_iperf "TCP native host -> our client" "$CLI" "$TOPO_CLI_ADDR" "$HOST"
ktap_result $? "iperf3 -t 3, native host -> our client through our relay"

# Every TCP packet of a flow takes the device's GRO cell, what the UDP
# tunnel's GRO merged already (a GSO packet) too: split between the cell
# and the backlog, one flow could be reordered.  With GRO on our client's
# e0 (NAPI, as behind a NIC) the stream's segments arrive merged.  A veth
# hands its peer's NAPI only what comes from a device without TSO (or
# from a local socket): TSO off on the router's i0, for the packets it
# forwards to our client.  Told by the kernel's own tracepoints, on our
# device and packets with a GSO size only (lib.sh's rx_queues;
# teredo_relay.sh shows single TCP segments taking the cell too, and the
# rest the backlog).
{ ip netns exec "$CLI" ethtool -K e0 gro on &&
	ip netns exec "$NAT" ethtool -K i0 tso off; } >/dev/null 2>&1 ||
	ktap_info "ethtool: cannot turn GRO on for $CLI e0 or TSO off for $NAT i0"
rc=0
got=$(rx_queues "name == \"$DEV\" && gso_size > 0" assert_iperf \
	"TCP native host -> our client, GRO" "$CLI" "$TOPO_CLI_ADDR" "$HOST") ||
	rc=1
ip netns exec "$CLI" ethtool -K e0 gro off >/dev/null 2>&1
ip netns exec "$NAT" ethtool -K i0 tso on >/dev/null 2>&1
assert_num "merged packets to the GRO cell" "$(awk '{ print $4 }' <<< "$got")" \
	-ge 1 || rc=1
assert_num "merged packets to the backlog" "$(awk '{ print $2 }' <<< "$got")" \
	-eq 0 || rc=1
ktap_result $rc "TCP merged by the UDP tunnel's GRO takes the GRO cell as the rest of its flow ($got)"

# ----------------- round 4: scenario 9, our client <-> a Miredo client
topo_reset_peers
topo_site2_up || ktap_bail "cannot build the second site"
topo_client_ours || ktap_bail "round 4: our client did not qualify"
topo_client2_miredo || ktap_bail "round 4: the Miredo client did not qualify"
ktap_info "Miredo client: $TOPO_CLI2_ADDR"
f=$(topo_capture_file s9)
topo_capture_start s9 || ktap_bail "cannot capture"
assert_ping "our client -> Miredo client" "$CLI" "$TOPO_CLI2_ADDR" 3
ktap_result $? "S9: our client pings the Miredo client behind another NAT"
assert_ping "Miredo client -> our client" "$CLI2" "$TOPO_CLI_ADDR" 3
ktap_result $? "S9: the Miredo client pings our client"
topo_capture_stop s9
peer=$(peer_of "$CLI" "$TOPO_CLI2_ADDR")
assert_word "our peer entry" "True" "$peer" &&
	assert_contains "its mapping" "$TOPO_NAT2_IP:" "$peer"
ktap_result $? "S9: the Miredo client trusted at its NAT's address ($peer)"
# Our bubbles (RFC 4380 §5.2.4 case 5): indirect through the server to
# the peer, from our keyed fe80:: source as Miredo's (the peer's answer
# carries it back: proof of a peer behind a symmetric NAT,
# teredo_relay_miredo.sh round 4), direct to its mapping from our address.
assert_cap "indirect bubble" "$f" "src=$TOPO_NAT_IP" \
	"dst=$TOPO_SRV_IP" "dport=$TOPO_TEREDO_PORT" paylen=40 bubble=1 \
	ll6src=1 "ip6dst=$TOPO_CLI2_ADDR"
ktap_result $? "S9: our indirect bubble to the peer's server, 40 B, from our keyed fe80:: source"
assert_cap "direct bubble" "$f" "src=$TOPO_NAT_IP" "dst=$TOPO_NAT2_IP" \
	paylen=40 bubble=1 "ip6src=$TOPO_CLI_ADDR" "ip6dst=$TOPO_CLI2_ADDR"
ktap_result $? "S9: our direct bubble to the peer's mapping, 40 B"
assert_num "bubbles sent" "$(counter "$CLI" tx_bubbles)" -le 8
ktap_result $? "S9: at most 4 rounds of bubbles (tx_bubbles <= 8)"

# Server load reduction (RFC 6081 §5.7) towards a Miredo client, which
# knows no RFC 6081: once the trust window is over, our client's next
# packet first solicits it 3 times, 2 s apart (Miredo reads the bubble
# as a plain one and does not answer), then RFC 4380's bubbles through
# the server reach it.
sleep 33
f0=$(counter "$CLI" slr_fallbacks)
topo_capture_start slr || ktap_bail "cannot capture"
rc=0
out=$(ip netns exec "$CLI" busybox ping -6 -c 1 -W 20 -w 25 \
	"$TOPO_CLI2_ADDR" 2>&1)
grep -q " 1 packets received" <<< "$out" || { rc=1; ktap_info "$out"; }
topo_capture_stop slr
f1=$(counter "$CLI" slr_fallbacks)
w=$(python3 -I -S "$TEREDO_SELFTEST_DIR/teredo_peer.py" pcap --trailers \
	"$(topo_capture_file slr)")
ns=$(awk -v s="$TOPO_NAT_IP" -v d="$TOPO_NAT2_IP" '$7 == "bubble" &&
	$11 == "040400000000" && index($2, s ":") == 1 &&
	index($3, d ":") == 1' <<< "$w" | wc -l)
ni=$(awk -v s="$TOPO_NAT_IP" -v d="$TOPO_SRV_IP:$TOPO_TEREDO_PORT" \
	'$7 == "bubble" && index($2, s ":") == 1 && $3 == d' <<< "$w" | wc -l)
ktap_info "S9, 33 s later: solicitations $ns, indirect bubbles $ni, slr_fallbacks $f0 -> $f1"
assert_num "solicitations" "$ns" -eq 3 || rc=1
assert_num "indirect bubbles" "$ni" -ge 1 || rc=1
assert_num "slr_fallbacks" "$f1" -eq $((f0 + 1)) || rc=1
[ "$rc" = 0 ] || ktap_info "$w"
ktap_result $rc "S9, 33 s later: 3 solicitations the Miredo client ignores (RFC 6081 §5.7), then our indirect bubble; ping6 answered (slr_fallbacks)"

# ------------------------------ round 5: our client <-> our client
topo_reset_peers
topo_client_ours || ktap_bail "round 5: our client did not qualify"
topo_client2_ours || ktap_bail "round 5: our second client did not qualify"
ktap_info "second client: $TOPO_CLI2_ADDR"
assert_ping "ours -> ours" "$CLI" "$TOPO_CLI2_ADDR" 3
ktap_result $? "our client pings our other client behind another NAT"
assert_ping "ours <- ours" "$CLI2" "$TOPO_CLI_ADDR" 3
ktap_result $? "and back"
peer=$(peer_of "$CLI2" "$TOPO_CLI_ADDR")
assert_word "peer entry" "True" "$peer" &&
	assert_contains "its mapping" "$TOPO_NAT_IP:$TOPO_CLI_MAPPED_PORT" "$peer"
ktap_result $? "the second client trusts the first at its NAT's public address:port ($peer)"
assert_iperf "TCP ours -> ours" "$CLI2" "$TOPO_CLI2_ADDR" "$CLI"
ktap_result $? "iperf3 -t 3 between our two clients"
# kill -9: teredod cannot take its address and routes away, so packets
# still reach the device, which must refuse them.
rc=0
assert_eq "carrier before" 1 "$(link_get "$CLI" "$DEV" \
	'"1" if "LOWER_UP" in d["flags"] else "0"')" || rc=1
# shellcheck disable=SC2046  # one pid per word
kill -KILL $(ip netns pids "$CLI") 2>/dev/null
wait_until 10 carrier_off "$CLI" ||
	{ ktap_info "carrier still on after teredod was killed"; rc=1; }
ktap_result $rc "teredod killed: carrier off"
# Carrier off: nothing leaves through the device any more.
before=$(link_stat "$CLI" "$DEV" tx packets)
topo_ping "$CLI" "$TOPO_CLI2_ADDR" 1
rc=$?
assert_num "ping replies while offline" "${TOPO_PING_RX:-0}" -eq 0 &&
	assert_num "tx_packets" "$(link_stat "$CLI" "$DEV" tx packets)" -eq \
		"$before"
ktap_result $? "offline: the peer is unreachable, nothing sent (ping rc $rc)"

# ---------------- round 6: our server, our relay, our client: all ours
# shellcheck disable=SC2317  # called through wait_until
srv_gone() {
	! _topo_udp_bound "$SRV" "$TOPO_TEREDO_PORT"
}
topo_reset_peers
_topo_kill_ns "$SRV"
wait_until 10 srv_gone || ktap_bail "miredo-server does not go away"
topo_server_ours || ktap_bail "round 6: our server did not start"
topo_relay_ours || ktap_bail "round 6: our relay did not start"
topo_client_ours || ktap_bail "round 6: our client did not qualify against our server"
check_qualified "all ours: our client qualified against our server"
assert_ping "all ours: client -> native host" "$CLI" "$TOPO_HOST_IP6" 3
ktap_result $? "all ours: our client pings the native host (echo test through our server, data through our relay)"
check_native_peer "all ours: native host trusted via our relay"
rc=0
for c in tx_ra tx_native tx_forwarded; do
	n=$(ctl "$SRV" -j show "$TOPO_SERVER_DEV" |
		json_eval "d.get(\"counters\", {}).get(\"$c\", 0)")
	assert_num "server $c" "$n" -ge 1 || rc=1
done
ktap_result $rc "all ours: the server answered RS, sent the echo test natively, relayed the relay's bubble"

ktap_finish
