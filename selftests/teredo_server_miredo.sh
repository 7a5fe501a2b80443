#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Our server (ts0, mode server, 198.18.0.1 + .2) in place of miredo-server
# on the topology of topo.sh: protocol.md §10.2 row 7.  A Miredo client
# behind a port-restricted cone NAT qualifies against it (its RS and our
# RA checked on the wire: 61 and 117 bytes, nonce echoed, origin = the
# NAT's mapping, prefix 2001:0:c612:1::/64), then reaches the native host:
#   round 1: through a Miredo relay;
#   round 2 (after topo_reset_peers): through our relay.
# Each time the client's echo test leaves our server natively, and the
# relay's indirect bubble comes back to the client through our server
# with the relay's origin indication (48 bytes).

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOCTL=$TEREDO_TOP/build/tools/teredoctl

teredo_load
topo_init
[ -x "$TEREDOCTL" ] || ktap_skip_all "teredoctl not built"
ktap_plan $((10 + 2 * TOPO_OUTBOUND_TESTS))

# counter NAME: a counter of our server.
counter() {
	ip netns exec "$SRV" "$TEREDOCTL" -j show "$TOPO_SERVER_DEV" |
		grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'
}

# check_server_counters DESC: the server answered, relayed and sent out
# natively since the last call.
RA0=0 FWD0=0 NAT0=0
check_server_counters() {
	local rc=0 ra fwd nat

	ra=$(counter tx_ra) fwd=$(counter tx_forwarded) nat=$(counter tx_native)
	assert_num "tx_ra" "$((ra - RA0))" -ge 1 || rc=1
	assert_num "tx_forwarded (relayed bubbles)" "$((fwd - FWD0))" -ge 1 || rc=1
	assert_num "tx_native (echo tests)" "$((nat - NAT0))" -ge 1 || rc=1
	[ $rc = 0 ] || ktap_info "$(ip netns exec "$SRV" "$TEREDOCTL" show "$TOPO_SERVER_DEV")"
	RA0=$ra FWD0=$fwd NAT0=$nat
	ktap_result $rc "$1"
}

# qualify DESC: the Miredo client qualifies with a capture running; its
# RS and our RA on the wire.  3 results.
qualify() {
	local f map

	f=$(topo_capture_file qual)
	topo_capture_start qual || ktap_bail "cannot capture"
	topo_client_miredo || ktap_bail "$1: the Miredo client did not qualify"
	topo_capture_stop qual
	topo_check_qualified "$1"
	map="$TOPO_CLI_MAPPED_IP:$TOPO_CLI_MAPPED_PORT"

	assert_cap "RS" "$f" "src=$TOPO_CLI_MAPPED_IP" "dst=$TOPO_SRV_IP" \
		dport=3544 paylen=61 auth=1 oi=- icmp6=133 ip6dst=ff02::2
	ktap_result $? "$1: Miredo's RS to $TOPO_SRV_IP:3544, 61 B with a nonce"

	assert_cap "RA" "$f" "src=$TOPO_SRV_IP" sport=3544 \
		"dst=$TOPO_CLI_MAPPED_IP" "dport=$TOPO_CLI_MAPPED_PORT" \
		paylen=117 auth=1 "oi=$map" icmp6=134 hlim=255 \
		ip6src=fe80::8000:f227:39ed:fffe ip6dst=fe80::ffff:ffff:ffff
	ktap_result $? "$1: our RA from $TOPO_SRV_IP:3544, 117 B, auth + origin $map, from fe80::8000:f227:39ed:fffe"
}

# ------------------------------------------- round 1: Miredo relay
topo_up
topo_nat_check
ktap_result $? "NAT emulates a port-restricted cone (endpoint-independent mapping, port-dependent filtering)"
rc=0
topo_server_ours || rc=1
bound=$(ip netns exec "$SRV" ss -Huln 'sport = :3544' | awk '{ print $4 }' |
	sort | tr '\n' ' ')
assert_eq "UDP 3544 bound" "$TOPO_SRV_IP:3544 $TOPO_SRV_IP2:3544 " "$bound" || rc=1
ktap_result $rc "our server ts0 up, bound on $TOPO_SRV_IP and $TOPO_SRV_IP2"
topo_relay_miredo || ktap_bail "the Miredo relay did not start"

qualify "Miredo relay round"
topo_scenario_outbound
check_server_counters "round 1: our server answered RS, relayed bubbles, sent echo tests natively"

# ------------------------------------------- round 2: our relay
topo_reset_peers
topo_relay_ours || ktap_bail "our relay did not start"
qualify "our relay round"
topo_scenario_outbound
check_server_counters "round 2: our server answered RS, relayed bubbles, sent echo tests natively"

ktap_finish
