#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Port mapping on a router that maps both halves (issue 16, RFC 6081
# §4.3, §5.3): teredod --port-mapping behind teredo_portmap.sh's
# fully-random symmetric NAT, whose router runs miniupnpd's legacy-iptables
# flavour instead (Debian's miniupnpd-iptables 2.3.1, unpacked by make
# deps).  For every mapping it installs a DNAT in and a MASQUERADE
# --to-ports of the mapped port out, as most home routers do (the
# nftables flavour of teredo_portmap.sh installs the DNAT only): the
# client's own datagrams leave from the mapped port to every destination,
# and the client is reachable as behind a cone NAT.  On topo.sh's topology
# (miredo-server, our relay, the native host) and its second site (a
# Miredo client behind a port-restricted cone); the wire from captures on
# the "Internet" bridge.
#
#   0  the router (upnp.sh's upnp_legacy_rules) is fully-random symmetric
#      for every flow it has no mapping for (probe); miniupnpd-iptables up
#   U  --port-mapping upnp: qualified through "UPnP mapping via 10.0.0.1",
#      nat restricted (both server addresses saw the mapped port); the
#      router's DNAT and MASQUERADE for it; a stranger's datagram
#      reaches the client through the DNAT; the RS to both server
#      addresses and the bubble to the relay leave from the mapped port
#      while another flow still gets random ports; the native host pings
#      the client through our relay (scenario 11 on the wire) and back,
#      with the devices' counters and both peer entries; a Miredo client
#      on the second site pings ours and back; SIGTERM: both rules gone.
#   N  UPnP off on the router (enable_upnp=no): --port-mapping auto takes
#      NAT-PMP: qualified through "NAT-PMP mapping via 10.0.0.1", the
#      native host pings the client through our relay; SIGTERM: both
#      rules gone.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"
# shellcheck source-path=SCRIPTDIR source=upnp.sh
source "$TEREDO_SELFTEST_DIR/upnp.sh"

TEREDOD=$TEREDO_TOP/build/tools/teredod
CTL=$TEREDO_TOP/build/tools/teredoctl
GW=$TOPO_NAT_LAN_IP
RLY_DEV=teredo0

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "build/tools/teredod not built"
[ -x "$UPNP_IPT_MINIUPNPD" ] ||
	ktap_skip_all "miniupnpd-iptables not unpacked at $UPNP_IPT_MINIUPNPD (make deps)"
command -v iptables-legacy-restore >/dev/null ||
	ktap_skip_all "iptables-legacy not found"
ktap_plan 20

# ------------------------------------------------------------ helpers

# show KEY DEV: teredoctl -j show DEV's KEY in $CLI.
show() {
	ip netns exec "$CLI" "$CTL" -j show "$2" | json_eval "d[0][\"$1\"]" 2>/dev/null ||
		ip netns exec "$CLI" "$CTL" -j show "$2" | json_eval "d[\"$1\"]"
}

# peer_of NS DEV ADDR: "trusted mapped" of ADDR in DEV's peer table.
peer_of() {
	ip netns exec "$1" "$CTL" -j peers "$2" | json_eval "\" \".join(
		\"%s %s\" % (p[\"trusted\"], p[\"mapped\"]) for p in d
		if p[\"peer\"] == \"$3\")"
}

# packets NS DEV: "rx tx" packets of DEV (ip -s link).
packets() {
	echo "$(link_stat "$1" "$2" rx packets) $(link_stat "$1" "$2" tx packets)"
}

# nat_packets CHAIN PORT: what the rule for PORT in iptables' nat CHAIN
# (miniupnpd's DNAT or MASQUERADE) has translated: the first packet of
# each new flow, the only one nat rules see.
nat_packets() {
	ip netns exec "$NAT" iptables-legacy -t nat -L "$1" -n -v -x |
		awk -v p="$2" '$0 ~ "(dpt:|ports: )" p "( |$)" { print $1 }'
}

# qualify_through METHOD DEV PORT: teredod --port-mapping for DEV (PORT)
# has its mapping and is qualified on it, "nat restricted, METHOD
# mapping via $GW"; sets ADDR.  0 when all of that holds.
qualify_through() {
	local method=$1 dev=$2 port=$3 rc=0

	td_wait_log "$dev" ": port mapping: mapped $TOPO_NAT_IP:$port -> port $port, $method mapping via $GW, lifetime [0-9]+ s$" 60 || rc=1
	td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $TOPO_NAT_IP:$port, nat restricted, $method mapping via $GW$" 60 || rc=1
	ADDR=$(show address "$dev")
	assert_eq "$S: teredoctl state" qualified "$(show state "$dev")" || rc=1
	assert_contains "$S: teredoctl show" "nat restricted  $method mapping via $GW  mapped $TOPO_NAT_IP:$port" \
		"$(ip netns exec "$CLI" "$CTL" show "$dev")" || rc=1
	assert_eq "$S: address embeds" "$TOPO_SRV_IP $TOPO_NAT_IP $port" \
		"$(topo_teredo_decode "${ADDR:-::}")" || rc=1
	return $rc
}

# router_rules PORT: miniupnpd-iptables' DNAT, MASQUERADE and accept for
# PORT, what iptables-legacy -S shows of them; 0 when all three are there.
router_rules() {
	local rules rc=0

	rules=$(upnp_legacy_mappings "$NAT" "$1")
	ktap_info "$S: $(tr '\n' ';' <<< "$rules")"
	# iptables 1.8.9 prints the DNAT miniupnpd's libiptc writes (the
	# target's revision 0) as "DNAT [unsupported revision]", without
	# its destination: a stranger's datagram proves that (U).
	assert_contains "$S: the DNAT" "-p udp -m udp --dport $1 -j DNAT" \
		"$rules" || rc=1
	assert_contains "$S: the MASQUERADE" "-s $TOPO_CLI_IP/32 -p udp -m udp --sport $1 -j MASQUERADE --to-ports $1" \
		"$rules" || rc=1
	assert_contains "$S: the accept" "-d $TOPO_CLI_IP/32 -p udp -m udp --dport $1 -j ACCEPT" \
		"$rules" || rc=1
	return $rc
}

# stop_deleted DEV PORT METHOD: SIGTERM to teredod for DEV; one result:
# exit 0, "port mapping: deleted (METHOD)", no rule for PORT left.
stop_deleted() {
	local rc=0

	td_signal "$1" TERM 30
	assert_eq "$S: teredod exit status" 0 "$TD_RC" || rc=1
	assert_contains "$S: log" "$1: port mapping: deleted ($3)" \
		"$(td_log "$1")" || rc=1
	assert_eq "$S: the router's rules for $2 after SIGTERM" "" \
		"$(upnp_legacy_mappings "$NAT" "$2")" || rc=1
	ktap_result $rc "$S: SIGTERM: exit 0, \"port mapping: deleted ($3)\"; iptables-legacy -S: no DNAT, MASQUERADE or accept for $2 left"
}

# grew WHAT BEFORE AFTER N: the rx and the tx of packets' BEFORE and
# AFTER both grew by N at least.
grew() {
	local b_rx b_tx a_rx a_tx rc=0

	read -r b_rx b_tx <<< "$2"
	read -r a_rx a_tx <<< "$3"
	assert_num "$1 rx" $((${a_rx:-0} - ${b_rx:-0})) -ge "$4" || rc=1
	assert_num "$1 tx" $((${a_tx:-0} - ${b_tx:-0})) -ge "$4" || rc=1
	return $rc
}

# pings_counted NS DST DEV: 5 pings from NS to DST, every one answered,
# and both our relay's device and the client's DEV count at least 5
# packets each way.
pings_counted() {
	local r0 r1 c0 c1 rc=0

	r0=$(packets "$RLY" "$RLY_DEV") c0=$(packets "$CLI" "$3")
	assert_ping "$S: $2 from $1" "$1" "$2" 5 || rc=1
	r1=$(packets "$RLY" "$RLY_DEV") c1=$(packets "$CLI" "$3")
	ktap_info "$S: packets rx/tx: $RLY_DEV $r0 -> $r1, $3 $c0 -> $c1"
	grew "$S: $RLY_DEV" "$r0" "$r1" 5 || rc=1
	grew "$S: $3" "$c0" "$c1" 5 || rc=1
	return $rc
}

# ---------------------------------------------------------- topology

topo_up
upnp_legacy_rules "$NAT" "$TOPO_CLI_IP/24" ||
	ktap_bail "cannot load the router's nftables and iptables"
topo_site2_up || ktap_bail "cannot build the second site"
upnp_stun_start || ktap_bail "the STUN responder did not start"
topo_server_miredo || ktap_bail "miredo-server did not start"
topo_relay_ours || ktap_bail "our relay did not start"
upnp_syslog_sink "$NAT" || ktap_bail "no /dev/log"
topo_client2_miredo || ktap_bail "the Miredo client did not qualify"
ktap_info "Miredo client on the second site: $TOPO_CLI2_ADDR"

# ------------------------------------------------------ 0: the router
S=NAT
upnp_nat_probe
ktap_result $? "$S: fully-random symmetric: one inside port, a public port per destination, none the inside one; strangers dropped"

S=miniupnpd
upnp_miniupnpd_start "$NAT" "$TOPO_CLI_IP/24" yes iptables
ktap_result $? "$S: miniupnpd-iptables (UPnP IGD + NAT-PMP/PCP) up in the router's netns; its STUN test passed, port forwarding enabled"

# ----------------------------------------------- U: through UPnP IGD
S=UPnP
dev=t0 port=40000
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" \
	port "$port" || ktap_bail "cannot create $dev"
topo_capture_start u || ktap_bail "cannot capture"
td_start "$CLI" "$dev" --port-mapping upnp --default-route
qualify_through UPnP "$dev" "$port"
ktap_result $? "$S: qualified on the mapping: ${ADDR:-?} embeds $TOPO_NAT_IP:$port; \"nat restricted, UPnP mapping via $GW\" (log, teredoctl show)"
TOPO_CLI_ADDR=$ADDR TOPO_CLI_MAPPED_IP=$TOPO_NAT_IP TOPO_CLI_MAPPED_PORT=$port

router_rules "$port"
ktap_result $? "$S: miniupnpd-iptables mapped both halves: DNAT $TOPO_NAT_IP:$port to $TOPO_CLI_IP:$port, MASQUERADE of $TOPO_CLI_IP:$port to port $port, its accept"

# The inbound half: a stranger's datagram to the mapping reaches the
# client's socket, where the kernel counts it (no Teredo header:
# rx_bad_header), through miniupnpd's DNAT.
rc=0
before=$(counter rx_bad_header "$dev")
stranger_to "$port" "$dev" "${before:-0}" || rc=1
assert_num "$S: flows the DNAT let in" "$(nat_packets MINIUPNPD "$port")" -ge 1 || rc=1
ktap_result $rc "$S: a datagram from $TOPO_RLY_IP:7002 (never contacted) to $TOPO_NAT_IP:$port reaches the client through the DNAT ($(nat_packets MINIUPNPD "$port") flows): rx_bad_header ${before:-?} -> $(counter rx_bad_header "$dev")"

# Scenario 11 first: nobody has talked to the relay yet, so its bubble
# and echo requests are new flows into the router (the DNAT), and the
# client's answers new flows out (the MASQUERADE).
topo_capture_stop u
TOPO_SC_IN="$S S11"
topo_scenario_inbound

# Both halves on the wire: what the client sent to three destinations
# left from the mapped port, and only from there; another inside port
# still gets a random public port per destination.
rc=0
f=$(topo_capture_file u) f11=$(topo_capture_file s11)
for s in "$TOPO_SRV_IP" "$TOPO_SRV_IP2"; do
	assert_cap "$S: RS to $s from the mapped port" "$f" "src=$TOPO_NAT_IP" \
		"sport=$port" "dst=$s" dport=3544 auth=1 "ip6dst=ff02::2" || rc=1
	assert_cap "$S: RA from $s, OI $TOPO_NAT_IP:$port" "$f" "src=$s" \
		sport=3544 "dst=$TOPO_NAT_IP" "dport=$port" auth=1 \
		"oi=$TOPO_NAT_IP:$port" icmp6=134 || rc=1
done
assert_cap "$S: to the relay from the mapped port" "$f11" \
	"src=$TOPO_NAT_IP" "sport=$port" "dst=$TOPO_RLY_IP" || rc=1
for c in "$f" "$f11"; do
	assert_num "$S: ${c##*/}: datagrams from $TOPO_NAT_IP, not port $port" \
		"$(topo_cap_count "$c" "src=$TOPO_NAT_IP" "sport!=$port")" -eq 0 || rc=1
done
assert_num "$S: flows MASQUERADE gave port $port" "$(nat_packets MINIUPNPD-POSTROUTING "$port")" -ge 2 || rc=1
TOPO_PROBE_PORT=5001 topo_nat_probe
ktap_info "$S: NAT probe from port 5001: $TOPO_PROBE_SRV and $TOPO_PROBE_RLY"
assert_ne "$S: another port's public ports" "$TOPO_PROBE_SRV" "$TOPO_PROBE_RLY" || rc=1
ktap_result $rc "$S wire: RS to $TOPO_SRV_IP and $TOPO_SRV_IP2, the answers to the relay all leave from $TOPO_NAT_IP:$port (MASQUERADE: $(nat_packets MINIUPNPD-POSTROUTING "$port") flows), none from another port; port 5001 still leaves from ${TOPO_PROBE_SRV#*:} and ${TOPO_PROBE_RLY#*:}"

# The client starts: its echo test through the server leaves from the
# mapped port its address embeds, so the server forwards it (RFC 4380
# §5.3.1), and the relay is trusted.
rc=0
pings_counted "$CLI" "$TOPO_HOST_IP6" "$dev" || rc=1
assert_eq "$S: the client's peer $TOPO_HOST_IP6" "True $TOPO_RLY_IP:$TOPO_TEREDO_PORT" \
	"$(peer_of "$CLI" "$dev" "$TOPO_HOST_IP6")" || rc=1
assert_eq "$S: the relay's peer" "True $TOPO_NAT_IP:$port" \
	"$(peer_of "$RLY" "$RLY_DEV" "$ADDR")" || rc=1
ktap_result $rc "$S: the client pings $TOPO_HOST_IP6, 5/5; $dev and $RLY_DEV count them both ways; each trusts the other ($TOPO_RLY_IP:$TOPO_TEREDO_PORT, $TOPO_NAT_IP:$port)"

# A Miredo client behind the second site's port-restricted cone: the
# bubbles through the server open both NATs, the direct ones cross.
topo_capture_start mir || ktap_bail "cannot capture"
assert_ping "our client -> Miredo client" "$CLI" "$TOPO_CLI2_ADDR" 3
ktap_result $? "$S: our client pings the Miredo client $TOPO_CLI2_ADDR, 3/3"
assert_ping "Miredo client -> our client" "$CLI2" "$ADDR" 3
ktap_result $? "$S: the Miredo client pings ours back, 3/3"
topo_capture_stop mir
rc=0
f=$(topo_capture_file mir)
peer=$(peer_of "$CLI" "$dev" "$TOPO_CLI2_ADDR")
assert_word "$S: our peer entry" True "$peer" || rc=1
assert_contains "$S: its mapping" " $TOPO_NAT2_IP:" "$peer" || rc=1
assert_cap "$S: echo requests to the Miredo client" "$f" "src=$TOPO_NAT_IP" \
	"sport=$port" "dst=$TOPO_NAT2_IP" icmp6=128 "ip6src=$ADDR" \
	"ip6dst=$TOPO_CLI2_ADDR" || rc=1
assert_cap "$S: its echo requests to us" "$f" "src=$TOPO_NAT2_IP" \
	"dst=$TOPO_NAT_IP" "dport=$port" icmp6=128 "ip6src=$TOPO_CLI2_ADDR" \
	"ip6dst=$ADDR" || rc=1
assert_num "$S: datagrams from $TOPO_NAT_IP, not port $port" \
	"$(topo_cap_count "$f" "src=$TOPO_NAT_IP" "sport!=$port")" -eq 0 || rc=1
ktap_result $rc "$S wire: the echoes cross directly between $TOPO_NAT_IP:$port and $TOPO_NAT2_IP; the Miredo client is trusted (${peer:-?})"

stop_deleted "$dev" "$port" UPnP

# -------------------------------------- N: NAT-PMP, UPnP off on the router
S="NAT-PMP"
upnp_miniupnpd_stop
ip -n "$CLI" link del "$dev"
upnp_miniupnpd_start "$NAT" "$TOPO_CLI_IP/24" no iptables
ktap_result $? "$S: miniupnpd-iptables again with enable_upnp=no (NAT-PMP/PCP only)"

dev=t1 port=40001
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" \
	port "$port" || ktap_bail "cannot create $dev"
td_start "$CLI" "$dev" --port-mapping auto --default-route
rc=0
qualify_through NAT-PMP "$dev" "$port" || rc=1
router_rules "$port" || rc=1
ktap_result $rc "$S: --port-mapping auto: qualified through \"NAT-PMP mapping via $GW\" on ${ADDR:-?} ($TOPO_NAT_IP:$port); DNAT, MASQUERADE and accept for it"

rc=0
pings_counted "$HOST" "$ADDR" "$dev" || rc=1
assert_eq "$S: the relay's peer" "True $TOPO_NAT_IP:$port" \
	"$(peer_of "$RLY" "$RLY_DEV" "$ADDR")" || rc=1
ktap_result $rc "$S: $TOPO_HOST_IP6 pings ${ADDR:-?} through our relay, 5/5; $RLY_DEV and $dev count them both ways; the relay trusts the client at $TOPO_NAT_IP:$port"
stop_deleted "$dev" "$port" NAT-PMP

# Before the syslog sink goes at exit: its last line would reach the
# console.
upnp_miniupnpd_stop
ktap_finish
