#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every configuration the kernel refuses at creation, each with its exact
# extack message, through ip(8) and the plugin where the plugin can say
# it, through nlraw.py (raw rtnetlink) otherwise or in addition; the
# boundary values next to each refusal are accepted; a refused command
# leaves no device behind.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

UNICAST="must be a unicast IPv4 address"
BAD_ADDRS=(127.0.0.1 224.0.0.1 255.255.255.255 0.0.0.0 240.0.0.1)
# Edges of the same ranges: 0/8, 127/8, 224/4, 240/4.
EDGE_ADDRS=(0.1.2.3 127.255.255.254 239.255.255.255 255.255.255.254)
SRV=192.0.2.1

# ------------------------------------------------------------ refusals
# Each entry: VIA|MESSAGE|ARGS, VIA "ip" (words after `type teredo`) or
# "nl" (nlraw.py attributes).
CASES=()
refuse_ip() { CASES+=("ip|$1|$2"); }
refuse_nl() { CASES+=("nl|$1|$2"); }

refuse_ip "server: required in client mode" ""
refuse_ip "server: required in client mode" "mode client"
refuse_ip "server: required in client mode" "server2 192.0.2.2 refresh 60"
refuse_nl "server: required in client mode" ""
refuse_nl "server: required in client mode" "--empty-data"
refuse_ip "local: required in server mode" "mode server"
refuse_ip "local: required in server mode" "mode server local2 192.0.2.2"
refuse_nl "local: required in server mode" "mode=server"

for m in 3 7 255; do
	refuse_nl "mode: unknown mode" "mode=u8:$m"
done
refuse_nl "mode: unknown mode" "mode=u8:7 server=$SRV"

for a in "${BAD_ADDRS[@]}"; do
	refuse_ip "server: $UNICAST" "server $a"
	refuse_ip "server2: $UNICAST" "server $SRV server2 $a"
	refuse_ip "local: $UNICAST" "mode server local $a"
	refuse_ip "local2: $UNICAST" "mode server local $SRV local2 $a"
	refuse_nl "server: $UNICAST" "server=$a"
	# A relay may bind any address (0.0.0.0), nothing else of these.
	[ "$a" = 0.0.0.0 ] ||
		refuse_ip "local: $UNICAST" "mode relay local $a"
done
for a in "${EDGE_ADDRS[@]}"; do
	refuse_ip "server: $UNICAST" "server $a"
	refuse_ip "local: $UNICAST" "mode server local $a"
done
# The default secondary address (primary + 1) must be unicast too.
refuse_ip "server2: $UNICAST" "server 223.255.255.255"
refuse_ip "local2: $UNICAST" "mode server local 126.255.255.255"
refuse_nl "server2: $UNICAST" "server=$SRV server2=224.0.0.1"
refuse_nl "local: $UNICAST" "mode=server local=0.0.0.0"
refuse_nl "local2: $UNICAST" "mode=server local=$SRV local2=127.0.0.1"

refuse_ip "server2: must differ from server" "server $SRV server2 $SRV"
refuse_ip "local2: must differ from local" "mode server local $SRV local2 $SRV"

for v in 0 9 301 4294967295; do
	refuse_ip "refresh: out of range (10-300)" "server $SRV refresh $v"
done
refuse_nl "refresh: out of range (10-300)" "server=$SRV refresh=9"
for v in 0 1048577 4294967295; do
	refuse_ip "max-peers: out of range (1-1048576)" "server $SRV max-peers $v"
done
refuse_ip "max-peers: out of range (1-1048576)" "mode relay max-peers 0"
refuse_nl "max-peers: out of range (1-1048576)" "mode=relay max-peers=1048577"

refuse_ip "refresh: not used in relay mode" "mode relay refresh 60"
refuse_ip "server: not used in relay mode" "mode relay server $SRV"
refuse_ip "server2: not used in relay mode" "mode relay server2 192.0.2.2"
refuse_ip "local2: not used in relay mode" "mode relay local2 192.0.2.2"
refuse_ip "local2: not used in client mode" "server $SRV local2 192.0.2.5"
refuse_ip "max-peers: out of range (1-1048576)" "mode server local $SRV max-peers 0"
refuse_ip "refresh: not used in server mode" "mode server local $SRV refresh 60"
refuse_ip "server: not used in server mode" "mode server local $SRV server 198.51.100.1"
refuse_ip "server2: not used in server mode" "mode server local $SRV server2 198.51.100.2"
refuse_nl "refresh: not used in relay mode" "mode=relay refresh=60"

refuse_ip "port: a server listens on 3544" "mode server local $SRV port 80"
refuse_ip "port: a server listens on 3544" "mode server local $SRV port 0"
refuse_nl "port: a server listens on 3544" "mode=server local=$SRV port=be16:3545"

# Attributes shorter than their type: the netlink policy refuses them.
POLICY="Attribute failed policy validation"
refuse_nl "$POLICY" "server=hex:c00002"
refuse_nl "$POLICY" "server=$SRV port=hex:0d"
refuse_nl "$POLICY" "mode=hex: server=$SRV"
refuse_nl "$POLICY" "server=$SRV refresh=u16:60"

# ----------------------------------------------------- accepted edges
# Each entry: ARGS|EXPECTED info_data
CLIENT_DEF='"mode": "client", "server": "192.0.2.1", "server2": "192.0.2.2", "port": 0'
ACCEPTS=(
	"server $SRV refresh 10|{$CLIENT_DEF, \"refresh\": 10, \"max-peers\": 4096, \"ttl\": 0, \"hold-limit\": 16777216}"
	"server $SRV refresh 300|{$CLIENT_DEF, \"refresh\": 300, \"max-peers\": 4096, \"ttl\": 0, \"hold-limit\": 16777216}"
	"server $SRV max-peers 1|{$CLIENT_DEF, \"refresh\": 30, \"max-peers\": 1, \"ttl\": 0, \"hold-limit\": 16777216}"
	"server $SRV max-peers 1048576|{$CLIENT_DEF, \"refresh\": 30, \"max-peers\": 1048576, \"ttl\": 0, \"hold-limit\": 16777216}"
	"server 192.0.2.255|{\"mode\": \"client\", \"server\": \"192.0.2.255\", \"server2\": \"192.0.3.0\", \"port\": 0, \"refresh\": 30, \"max-peers\": 4096, \"ttl\": 0, \"hold-limit\": 16777216}"
	"server 223.255.255.254|{\"mode\": \"client\", \"server\": \"223.255.255.254\", \"server2\": \"223.255.255.255\", \"port\": 0, \"refresh\": 30, \"max-peers\": 4096, \"ttl\": 0, \"hold-limit\": 16777216}"
	"mode relay local 0.0.0.0|{\"mode\": \"relay\", \"port\": 3544, \"max-peers\": 4096, \"ttl\": 0, \"hold-limit\": 16777216}"
	"mode relay max-peers 1048576 port 3545|{\"mode\": \"relay\", \"port\": 3545, \"max-peers\": 1048576, \"ttl\": 0, \"hold-limit\": 16777216}"
	"mode server local $SRV port 3544|{\"mode\": \"server\", \"local\": \"192.0.2.1\", \"local2\": \"192.0.2.2\", \"port\": 3544, \"max-peers\": 65536, \"ttl\": 0}"
	"server $SRV ttl 255|{$CLIENT_DEF, \"refresh\": 30, \"max-peers\": 4096, \"ttl\": 255, \"hold-limit\": 16777216}"
	"mode server local $SRV max-peers 10|{\"mode\": \"server\", \"local\": \"192.0.2.1\", \"local2\": \"192.0.2.2\", \"port\": 3544, \"max-peers\": 10, \"ttl\": 0}"
	"mode server local $SRV local2 198.51.100.1|{\"mode\": \"server\", \"local\": \"192.0.2.1\", \"local2\": \"198.51.100.1\", \"port\": 3544, \"max-peers\": 65536, \"ttl\": 0}"
)

teredo_load
ns_create NS
ns_add_addrs "$NS" 192.0.2.1 192.0.2.2 198.51.100.1 ||
	ktap_bail "cannot add addresses"
BEFORE=$(link_names "$NS")

ktap_plan $((${#CASES[@]} + ${#ACCEPTS[@]} + 2))

# Few processes (a start costs up to a second under TCG): the raw
# requests in one nlraw batch, the ip ones in one ip batch.  After each
# refused add comes a check that it left no device: nlraw deletes tr0,
# which must fail with ENODEV; the ip batch lists the devices (ip asked
# for a device that is not there runs modprobe twice, seconds under TCG).
# A device left behind is deleted before the next case, as before: the ip
# batch runs again from there (only ever when a case already failed).
nlb_reset
ADD=() DEL=()
for i in "${!CASES[@]}"; do
	IFS='|' read -r via msg args <<< "${CASES[i]}"
	[ "$via" = nl ] || continue
	read -r -a words <<< "$args"
	nlb_req add tr0 "${words[@]}"
	ADD[i]=$NLB_N
	nlb_req del tr0
	DEL[i]=$NLB_N
done
nlb_req add tr0 "server=$SRV"
RAW_ADD=$NLB_N
nlb_req get tr0
RAW_GET=$NLB_N
nlb_req del tr0
nlb_run "$NS"

# ip_batch_from I: queue and run the ip refusals from case I on and the
# accepted edges.
ip_batch_from() {
	local i via msg args
	local -a words

	ipb_reset
	for ((i = $1; i < ${#CASES[@]}; i++)); do
		IFS='|' read -r via msg args <<< "${CASES[i]}"
		[ "$via" = ip ] || continue
		read -r -a words <<< "$args"
		ipb_cmd link add tr0 type teredo "${words[@]}"
		ADD[i]=$IPB_N
		ipb_show link show
		LIST[i]=$IPB_N
	done
	for i in "${!ACCEPTS[@]}"; do
		IFS='|' read -r args want <<< "${ACCEPTS[i]}"
		read -r -a words <<< "$args"
		ipb_cmd link add tr0 type teredo "${words[@]}"
		ACC_ADD[i]=$IPB_N
		ipb_show link show dev tr0
		ACC_SHOW[i]=$IPB_N
		ipb_cmd link del tr0
	done
	ipb_run "$NS"
}
LIST=() ACC_ADD=() ACC_SHOW=()
ip_batch_from 0

for i in "${!CASES[@]}"; do
	IFS='|' read -r via msg args <<< "${CASES[i]}"
	rc=0
	if [ "$via" = ip ]; then
		desc="ip link add tr0 type teredo $args"
		ipb_assert_fails_with "$msg" "${ADD[i]}" || rc=1
		if ! ipb_assert_ok "${LIST[i]}"; then
			rc=1
		elif [[ ${IPB_OUT[LIST[i]]} == *'"ifname":"tr0"'* ]]; then
			ktap_info "tr0 exists after a refused command"
			ip -n "$NS" link del tr0 2>/dev/null
			ip_batch_from $((i + 1))
			rc=1
		fi
	else
		desc="nlraw add tr0 $args"
		nlb_assert_fails_with "$msg" "${ADD[i]}" || rc=1
		if [ "${NLB_RC[DEL[i]]}" = 0 ]; then
			ktap_info "tr0 exists after a refused command"
			rc=1
		elif ! nlb_assert_fails_with "No such device (errno 19)" "${DEL[i]}"; then
			rc=1
		fi
	fi
	ktap_result $rc "${desc% } -> \"$msg\""
done

for i in "${!ACCEPTS[@]}"; do
	IFS='|' read -r args want <<< "${ACCEPTS[i]}"
	rc=0
	ipb_assert_ok "${ACC_ADD[i]}" || rc=1
	ipb_assert_ok "${ACC_SHOW[i]}" || rc=1
	assert_info_data_json tr0 "${IPB_OUT[ACC_SHOW[i]]}" "$want" || rc=1
	ktap_result $rc "accepted: ip link add tr0 type teredo $args"
done

# The kernel reports the defaults itself, without the plugin.
rc=0
nlb_assert_ok "$RAW_ADD" || rc=1
assert_eq "nlraw get tr0" \
	"kind=teredo mode=client server=192.0.2.1 server2=192.0.2.2 port=0 refresh=30 max-peers=4096 hold-limit=16777216 ttl=0 state=0 reason=1 nat=0 portmap=0" \
	"${NLB_OUT[RAW_GET]}" || rc=1
ktap_result $rc "raw RTM_NEWLINK with only server: the kernel fills in the defaults"

assert_eq "devices in the namespace" "$BEFORE" "$(link_names "$NS")"
ktap_result $? "no device left behind by the refused commands"

ktap_finish
