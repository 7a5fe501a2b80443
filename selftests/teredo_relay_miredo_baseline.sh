#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Baseline of the interop harness (topo.sh, protocol.md §10): Miredo's own
# relay between a Miredo client behind a port-restricted cone NAT and a
# native IPv6 host, with miredo-server.  Proves the topology, the NAT
# type, the captures and their decoding, and the traffic checks that
# teredo_relay_miredo.sh then applies to our relay:
#   round 1 (scenario 10): the client pings the native host first; on the
#     wire the echo test via the server, the relay's indirect bubble
#     (40 B, fe80::/64 source), the server's relayed bubble with the
#     relay's origin indication (48 B), the client's direct bubble (40 B),
#     then ICMPv6 straight between the NAT's mapping and the relay; the
#     host pings back; TCP both ways with iperf3.
#   round 2 (scenario 11, after topo_reset_peers: new client, new relay): the native host pings first.
# Needs no teredo module.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

topo_init
ktap_plan $((9 + TOPO_OUTBOUND_TESTS + TOPO_INBOUND_TESTS))

# miredo_relay_up DESC: Miredo's relay; one result.
miredo_relay_up() {
	local rc=0

	topo_relay_miredo || rc=1
	if [ $rc = 0 ]; then
		assert_eq "relay $TOPO_RELAY_DEV up" 1 "$(link_get "$RLY" \
			"$TOPO_RELAY_DEV" '"1" if "UP" in d["flags"] else "0"')" ||
			rc=1
	fi
	ktap_result $rc "$1"
}

# ------------------------------------------- round 1: scenario 10
topo_up
topo_nat_check
ktap_result $? "NAT emulates a port-restricted cone (endpoint-independent mapping, port-dependent filtering)"
topo_server_miredo || ktap_bail "miredo-server did not start"
miredo_relay_up "Miredo relay up in the relay netns: tun teredo, UDP 3544, 2001::/32 dev teredo"
topo_client_miredo || ktap_bail "the Miredo client did not qualify"
topo_check_qualified

topo_scenario_outbound

assert_ping "native host -> client" "$HOST" "$TOPO_CLI_ADDR" 3
ktap_result $? "native host pings the client back through the Miredo relay"

assert_iperf "TCP client -> native host" "$HOST" "$TOPO_HOST_IP6" "$CLI"
ktap_result $? "iperf3 -t 3, client -> native host through the Miredo relay"
assert_iperf "TCP native host -> client" "$CLI" "$TOPO_CLI_ADDR" "$HOST"
ktap_result $? "iperf3 -t 3, native host -> client through the Miredo relay"

# ------------------------- round 2: scenario 11, no peer state anywhere
topo_reset_peers
miredo_relay_up "round 2: Miredo relay up"
topo_client_miredo || ktap_bail "round 2: the Miredo client did not qualify"
topo_check_qualified "round 2"

topo_scenario_inbound

assert_ping "client -> native host" "$CLI" "$TOPO_HOST_IP6" 3
ktap_result $? "round 2: the client pings the native host back"

ktap_finish
