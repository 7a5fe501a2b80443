#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Port mapping on the router (RFC 6081 §4.3, §5.3; issue 16): teredod
# --port-mapping behind a fully-random symmetric NAT whose router runs the
# real miniupnpd (Debian's miniupnpd-nftables: UPnP IGD, NAT-PMP/PCP, its
# mappings in nftables), and a port forwarded by hand.  On topo.sh's
# topology (miredo-server, our relay, the native host); the wire from
# captures on the "Internet" bridge and on the router's LAN side.
#
# The router ($NAT) is upnp.sh's: a fully-random symmetric NAT
# (masquerade fully-random) with miniupnpd's chains and a STUN responder
# for miniupnpd's own test.  upnp_nat_probe proves the NAT: one inside
# socket, two destinations, two public ports, neither the inside one; a
# datagram from a third party dropped.
#
#   0  the NAT is fully-random symmetric (probe); miniupnpd up
#   U  --port-mapping upnp: miniupnpd's DNAT for the port; RS leave the
#      NAT from two random ports (what the server saw), the address embeds
#      the mapping: qualified, "nat symmetric, UPnP mapping via 10.0.0.1";
#      a datagram from a third party to the mapping reaches the client's
#      socket (the kernel counts it); SIGTERM deletes the mapping.
#   N  UPnP off on the router (enable_upnp=no): --port-mapping auto finds
#      no IGD and takes NAT-PMP (12 + 16 bytes on port 5351): qualified
#      through "NAT-PMP mapping via 10.0.0.1"; SIGTERM deletes it.
#   P  --port-mapping pcp (UPnP still off): a PCP MAP request (RFC 6887,
#      60 bytes, version 2) to 10.0.0.1:5351 and its SUCCESS answer:
#      qualified through "PCP mapping via 10.0.0.1"; SIGTERM deletes it
#      (the same request with lifetime 0).
#   O  no port mapping: offline, symmetric-nat, today's line and a hint.
#   F  port 3544 forwarded by hand (DNAT in, SNAT out, teredo.rst):
#      qualified on 198.18.0.40:3544; the native host reaches the client
#      unsolicited, through our relay, after the bubbles.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"
# shellcheck source-path=SCRIPTDIR source=upnp.sh
source "$TEREDO_SELFTEST_DIR/upnp.sh"

TEREDOD=$TEREDO_TOP/build/tools/teredod
CTL=$TEREDO_TOP/build/tools/teredoctl
PORT=40000
GW=$TOPO_NAT_LAN_IP

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "build/tools/teredod not built"
command -v miniupnpd >/dev/null || ktap_skip_all "miniupnpd not found"
ktap_plan 21

# ------------------------------------------------------------ helpers

# td_last_run DEV: the log of the last teredod started for DEV.
td_last_run() {
	td_log "$1" | awk '/: started: / { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }'
}


# show KEY DEV: teredoctl -j show DEV's KEY in $CLI.
show() {
	ip netns exec "$CLI" "$CTL" -j show "$2" | json_eval "d[0][\"$1\"]" 2>/dev/null ||
		ip netns exec "$CLI" "$CTL" -j show "$2" | json_eval "d[\"$1\"]"
}

# lan_capture_start NAME: tcpdump on the router's LAN side, UPnP (SSDP
# 1900, the IGD's HTTP) and NAT-PMP (5351); topo_capture_stop NAME ends it.
lan_capture_start() {
	topo_lan_capture_start "$1" "udp port 1900 or udp port 5351 or tcp"
}

# stop_deleted METHOD: SIGTERM to teredod for $dev; one result: exit 0,
# its last run logged "port mapping: deleted (METHOD)", the router holds
# no mapping.
stop_deleted() {
	local rc=0

	td_signal "$dev" TERM 30
	assert_eq "$S: teredod exit status" 0 "$TD_RC" || rc=1
	assert_contains "$S: log" "$dev: port mapping: deleted ($1)" \
		"$(td_last_run "$dev")" || rc=1
	assert_eq "$S: the router's mappings after SIGTERM" "" \
		"$(upnp_mappings "$NAT")" || rc=1
	ktap_result $rc "$S: SIGTERM: \"port mapping: deleted ($1)\", the router's DNAT gone"
}

# ---------------------------------------------------------- topology

topo_up
upnp_nat_rules "$NAT" "$TOPO_CLI_IP/24" ||
	ktap_bail "cannot load the router's nftables"
upnp_stun_start || ktap_bail "the STUN responder did not start"
topo_server_miredo || ktap_bail "miredo-server did not start"
topo_relay_ours || ktap_bail "our relay did not start"
upnp_syslog_sink "$NAT" || ktap_bail "no /dev/log"

# ------------------------------------------------------ 0: the router
S=NAT
upnp_nat_probe
ktap_result $? "$S: fully-random symmetric: one inside port, a public port per destination, none the inside one; strangers dropped"

S=miniupnpd
upnp_miniupnpd_start "$NAT" "$TOPO_CLI_IP/24" yes
ktap_result $? "$S: miniupnpd (UPnP IGD + NAT-PMP/PCP) up in the router's netns; its STUN test passed, port forwarding enabled"

# ----------------------------------------------- U: through UPnP IGD
S=UPnP
dev=t0
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" \
	port "$PORT" || ktap_bail "cannot create $dev"
topo_capture_start u || ktap_bail "cannot capture"
lan_capture_start lan-u || ktap_bail "cannot capture on the LAN"
td_start "$CLI" "$dev" --port-mapping upnp
rc=0
td_wait_log "$dev" ": port mapping: mapped $TOPO_NAT_IP:$PORT -> port $PORT, UPnP mapping via $GW, lifetime 3600 s$" 60 || rc=1
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $TOPO_NAT_IP:$PORT, nat symmetric, UPnP mapping via $GW \(the server saw $TOPO_NAT_IP:[0-9]+ and $TOPO_NAT_IP:[0-9]+\)$" 60 || rc=1
addr_u=$(td_log "$dev" | sed -n 's/^[^ ]*: qualified: \([^ ]*\): .*/\1/p' | tail -1)
assert_eq "$S: teredoctl state" qualified "$(show state "$dev")" || rc=1
assert_eq "$S: teredoctl nat" symmetric "$(show nat "$dev")" || rc=1
assert_eq "$S: teredoctl portmap" upnp "$(show portmap "$dev")" || rc=1
assert_eq "$S: teredoctl portmap-gateway" "$GW" "$(show portmap-gateway "$dev")" || rc=1
assert_contains "$S: teredoctl show" "nat symmetric  UPnP mapping via $GW  mapped $TOPO_NAT_IP:$PORT" \
	"$(ip netns exec "$CLI" "$CTL" show "$dev")" || rc=1
assert_contains "$S: ip -d link show" "nat symmetric portmap upnp portmap-gateway $GW mapped $TOPO_NAT_IP:$PORT" \
	"$(ip -n "$CLI" -d link show dev "$dev")" || rc=1
assert_eq "$S: teredoctl mapped" "$TOPO_NAT_IP:$PORT" "$(show mapped "$dev")" || rc=1
assert_eq "$S: teredoctl address" "${addr_u:-?}" "$(show address "$dev")" || rc=1
assert_eq "$S: address embeds" "$TOPO_SRV_IP $TOPO_NAT_IP $PORT" \
	"$(topo_teredo_decode "${addr_u:-::}")" || rc=1
ktap_result $rc "$S: qualified behind the symmetric NAT: address ${addr_u:-?} embeds the mapping $TOPO_NAT_IP:$PORT; nat symmetric; \"UPnP mapping via $GW\" (log, teredoctl show, ip -d link show)"

rc=0
assert_contains "$S: the router's DNAT" "dport $PORT dnat ip to $TOPO_CLI_IP:$PORT" \
	"$(upnp_mappings "$NAT")" || rc=1
assert_contains "$S: the router's accept" "dport $PORT" \
	"$(ip netns exec "$NAT" nft list chain inet filter miniupnpd)" || rc=1
ktap_result $rc "$S: miniupnpd installed the mapping in nftables: udp dport $PORT dnat to $TOPO_CLI_IP:$PORT, and its accept"

sleep 1
topo_capture_stop u
topo_capture_stop lan-u
f=$(topo_capture_file u)
rc=0
# What the server saw: one public port per server address, neither the
# mapped one: miniupnpd's nftables backend (2.3.1) installs the inbound
# DNAT only, so the fully-random masquerade still picks the source port
# of what the client sends.  The address cannot come from the server.
p1=$(topo_cap_decode "$f" | awk -F'\t' -v s="$TOPO_SRV_IP" '$3 == s && $4 == 3544 && $6 == 61 { print $2; exit }')
p2=$(topo_cap_decode "$f" | awk -F'\t' -v s="$TOPO_SRV_IP2" '$3 == s && $4 == 3544 && $6 == 61 { print $2; exit }')
[ -n "$p1" ] && [ -n "$p2" ] || rc=1
assert_ne "$S: public ports of the RS to .1 and .2" "${p1:-x}" "${p2:-x}" || rc=1
for p in $p1 $p2; do
	assert_ne "$S: an RS from the mapped port" "$PORT" "$p" || rc=1
	assert_cap "$S: RA with OI $TOPO_NAT_IP:$p" "$f" sport=3544 \
		"dst=$TOPO_NAT_IP" "dport=$p" paylen=117 auth=1 \
		"oi=$TOPO_NAT_IP:$p" icmp6=134 || rc=1
done
assert_num "$S: datagrams from the mapped port $PORT" \
	"$(topo_cap_count "$f" "src=$TOPO_NAT_IP" "sport=$PORT")" -eq 0 || rc=1
assert_num "$S: SSDP M-SEARCH on the LAN" \
	"$(topo_capture_count lan-u "src host $TOPO_CLI_IP and udp dst port 1900")" -ge 1 || rc=1
assert_num "$S: the IGD's SOAP over HTTP" \
	"$(topo_capture_count lan-u "src host $TOPO_CLI_IP and dst host $GW and tcp[tcpflags] & tcp-syn != 0")" -ge 2 || rc=1
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$f")"
ktap_result $rc "$S wire: SSDP and SOAP on the LAN; RS leave the NAT from ${p1:-?} and ${p2:-?} (not $PORT: the nftables backend maps inbound only), RAs carry those"

# Inbound through the mapping: a stranger's datagram to the mapping
# reaches the client's socket, where the kernel counts it (no Teredo
# header: rx_bad_header).
rc=0
before=$(counter rx_bad_header "$dev")
stranger_to "$PORT" "$dev" "${before:-0}" || rc=1
ktap_result $rc "$S: a datagram from $TOPO_RLY_IP:7002 (never contacted) to $TOPO_NAT_IP:$PORT reaches the client: rx_bad_header ${before:-?} -> $(counter rx_bad_header "$dev")"

rc=0
td_signal "$dev" TERM 30
assert_eq "$S: teredod exit status" 0 "$TD_RC" || rc=1
assert_contains "$S: log" "$dev: port mapping: deleted (UPnP)" "$(td_log "$dev")" || rc=1
assert_eq "$S: teredoctl portmap after SIGTERM" none "$(show portmap "$dev")" || rc=1
assert_eq "$S: the router's mappings after SIGTERM" "" "$(upnp_mappings "$NAT")" || rc=1
ktap_result $rc "$S: SIGTERM: exit 0, \"port mapping: deleted (UPnP)\", the router's DNAT gone"

# -------------------------------------- N: NAT-PMP, UPnP off on the router
S="NAT-PMP"
upnp_miniupnpd_stop
rc=0
upnp_miniupnpd_start "$NAT" "$TOPO_CLI_IP/24" no || rc=1
ktap_result $rc "$S: miniupnpd again with enable_upnp=no (NAT-PMP/PCP only)"

lan_capture_start lan-n || ktap_bail "cannot capture on the LAN"
td_start "$CLI" "$dev" --port-mapping auto
rc=0
td_wait_log "$dev" ": port mapping: mapped $TOPO_NAT_IP:$PORT -> port $PORT, NAT-PMP mapping via $GW, lifetime [0-9]+ s$" 60 || rc=1
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $TOPO_NAT_IP:$PORT, nat symmetric, NAT-PMP mapping via $GW \(the server saw" 60 || rc=1
assert_eq "$S: teredoctl mapped" "$TOPO_NAT_IP:$PORT" "$(show mapped "$dev")" || rc=1
assert_eq "$S: teredoctl state" qualified "$(show state "$dev")" || rc=1
assert_eq "$S: teredoctl portmap" natpmp "$(show portmap "$dev")" || rc=1
assert_contains "$S: teredoctl show" "NAT-PMP mapping via $GW" \
	"$(ip netns exec "$CLI" "$CTL" show "$dev")" || rc=1
assert_contains "$S: the router's DNAT" "dport $PORT dnat ip to $TOPO_CLI_IP:$PORT" \
	"$(upnp_mappings "$NAT")" || rc=1
ktap_result $rc "$S: --port-mapping auto: qualified through \"NAT-PMP mapping via $GW\", $TOPO_NAT_IP:$PORT in the address and in the router's nftables"

topo_capture_stop lan-n
rc=0
assert_num "$S: SSDP M-SEARCH first (auto tries UPnP)" \
	"$(topo_capture_count lan-n "src host $TOPO_CLI_IP and udp dst port 1900")" -ge 1 || rc=1
assert_num "$S: no IGD answers" \
	"$(topo_capture_count lan-n "dst host $TOPO_CLI_IP and udp src port 1900")" -eq 0 || rc=1
# Public address (2 + 12 B), mapping (12 + 16 B).
assert_num "$S: NAT-PMP requests" \
	"$(topo_capture_count lan-n "src host $TOPO_CLI_IP and dst host $GW and udp dst port 5351")" -ge 2 || rc=1
assert_num "$S: NAT-PMP mapping answer (16 B)" \
	"$(topo_capture_count lan-n "src host $GW and udp src port 5351 and udp[4:2] == 24")" -ge 1 || rc=1
[ $rc = 0 ] || ktap_info "$(tcpdump -n -r "$(topo_capture_file lan-n)" 2>/dev/null | head -20)"
assert_contains "$S: log" "$dev: port mapping: UPnP: no IGD answered in 2000 ms; trying NAT-PMP" \
	"$(td_last_run "$dev")" || rc=1
ktap_result $rc "$S wire: SSDP unanswered (\"UPnP: no IGD answered\"), then NAT-PMP to $GW:5351: public address, mapping"

stop_deleted NAT-PMP

# ------------------------------------------------- P: PCP (RFC 6887)
S=PCP
lan_capture_start lan-p || ktap_bail "cannot capture on the LAN"
td_start "$CLI" "$dev" --port-mapping pcp
rc=0
td_wait_log "$dev" ": port mapping: mapped $TOPO_NAT_IP:$PORT -> port $PORT, PCP mapping via $GW, lifetime [0-9]+ s$" 60 || rc=1
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $TOPO_NAT_IP:$PORT, nat symmetric, PCP mapping via $GW \(the server saw" 60 || rc=1
assert_eq "$S: teredoctl state" qualified "$(show state "$dev")" || rc=1
assert_eq "$S: teredoctl portmap" pcp "$(show portmap "$dev")" || rc=1
assert_eq "$S: teredoctl mapped" "$TOPO_NAT_IP:$PORT" "$(show mapped "$dev")" || rc=1
assert_contains "$S: teredoctl show" "nat symmetric  PCP mapping via $GW  mapped $TOPO_NAT_IP:$PORT" \
	"$(ip netns exec "$CLI" "$CTL" show "$dev")" || rc=1
assert_contains "$S: ip -d link show" "nat symmetric portmap pcp portmap-gateway $GW mapped $TOPO_NAT_IP:$PORT" \
	"$(ip -n "$CLI" -d link show dev "$dev")" || rc=1
assert_contains "$S: the router's DNAT" "dport $PORT dnat ip to $TOPO_CLI_IP:$PORT" \
	"$(upnp_mappings "$NAT")" || rc=1
ktap_result $rc "$S: --port-mapping pcp: qualified through \"PCP mapping via $GW\", $TOPO_NAT_IP:$PORT in the address and in the router's nftables"

stop_deleted PCP

topo_capture_stop lan-p
rc=0
# The UDP payload from udp[8]: version, opcode (R bit 0x80), the result
# (answers), the lifetime (udp[12:4]); 60 bytes, UDP length 68.
q="src host $TOPO_CLI_IP and dst host $GW and udp dst port 5351 and udp[4:2] == 68 and udp[8] == 2 and udp[9] == 1"
a="src host $GW and udp src port 5351 and udp[4:2] == 68 and udp[8] == 2 and udp[9] == 0x81 and udp[11] == 0"
assert_num "$S: MAP requests for 7200 s" \
	"$(topo_capture_count lan-p "$q and udp[12:4] == 7200")" -ge 1 || rc=1
assert_num "$S: SUCCESS answers" "$(topo_capture_count lan-p "$a")" -ge 2 || rc=1
assert_num "$S: the deletion (lifetime 0)" \
	"$(topo_capture_count lan-p "$q and udp[12:4] == 0")" -ge 1 || rc=1
assert_num "$S: no NAT-PMP (version 0), no SSDP" \
	"$(topo_capture_count lan-p "src host $TOPO_CLI_IP and ((udp dst port 5351 and udp[8] == 0) or udp dst port 1900)")" -eq 0 || rc=1
[ $rc = 0 ] || ktap_info "$(tcpdump -n -r "$(topo_capture_file lan-p)" 2>/dev/null | head -20)"
ktap_result $rc "$S wire: MAP requests (60 B, version 2, UDP, 7200 s) to $GW:5351, SUCCESS answers, the deletion with lifetime 0; no NAT-PMP, no SSDP"

# ------------------------------------------ O: no port mapping at all
S=off
rc=0
# RFC 4380's offline (--symmetric-nat off); qualifying there anyway
# (RFC 6081 §5.2, the default) is teredo_client_sns.sh's.
td_start "$CLI" "$dev" --symmetric-nat off
td_wait_log "$dev" ": offline: symmetric NAT \(mappings $TOPO_NAT_IP:[0-9]+ and $TOPO_NAT_IP:[0-9]+ differ\); retry in 15 s$" 60 || rc=1
td_wait_log "$dev" ": hint: a symmetric NAT needs a port mapping: teredod --port-mapping auto" 5 || rc=1
assert_eq "$S: teredoctl state" offline "$(show state "$dev")" || rc=1
assert_eq "$S: teredoctl reason" symmetric-nat "$(show reason "$dev")" || rc=1
assert_not_contains "$S: log" "$dev: port mapping" "$(td_last_run "$dev")" || rc=1
assert_eq "$S: the router's mappings" "" "$(upnp_mappings "$NAT")" || rc=1
ktap_result $rc "$S: without --port-mapping: offline, symmetric-nat, today's line, then the hint (--port-mapping auto or a forwarded port); nothing asked of the router"
td_signal "$dev" TERM 30
upnp_miniupnpd_stop
ip -n "$CLI" link del "$dev"

# ------------------------------------- F: port 3544 forwarded by hand
S=forwarded
upnp_nat_rules "$NAT" "$TOPO_CLI_IP/24" \
	"ip daddr $TOPO_CLI_IP udp dport 3544 accept" \
	"iifname \"e0\" udp dport 3544 dnat ip to $TOPO_CLI_IP:3544" \
	"ip saddr $TOPO_CLI_IP udp sport 3544 oifname \"e0\" snat ip to $TOPO_NAT_IP:3544" ||
	ktap_bail "cannot forward port 3544"
dev=t1
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" \
	port 3544 || ktap_bail "cannot create $dev"
td_start "$CLI" "$dev" --default-route
rc=0
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $TOPO_NAT_IP:3544, nat restricted$" 60 || rc=1
TOPO_CLI_ADDR=$(show address "$dev")
read -r TOPO_CLI_SERVER TOPO_CLI_MAPPED_IP TOPO_CLI_MAPPED_PORT <<< \
	"$(topo_teredo_decode "${TOPO_CLI_ADDR:-::}")"
assert_eq "$S: mapping in the address" "$TOPO_NAT_IP 3544" \
	"$TOPO_CLI_MAPPED_IP $TOPO_CLI_MAPPED_PORT" || rc=1
ktap_result $rc "$S: port 3544 forwarded (DNAT in, SNAT out): qualified, $TOPO_NAT_IP:3544 in ${TOPO_CLI_ADDR:-?}"

# Unsolicited from the native host: the relay's indirect bubble via the
# server reaches the client through the forwarded port; its direct
# bubble leaves from 3544; then the echo crosses the relay directly.
TOPO_SC_IN=forwarded
topo_scenario_inbound

ktap_finish
