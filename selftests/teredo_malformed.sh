#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every malformed-packet class of protocol.md §7.1 (and the rules of §6
# that make a server drop, and RFC 6081 trailers), table-driven: each class goes from one raw,
# spoofing sender to each mode -- client, relay, server -- as a batch of
# MALFORMED_COUNT datagrams, and each must be dropped and counted by
# exactly its reason counter, MALFORMED_COUNT times, with every other
# counter still, nothing handed to the IPv6 stack (the device's
# rx_packets) and nothing sent (the packets the namespace's only link
# sent; ARP is settled by permanent neighbours, IPv6 is off on it).
# Control rows, packets a mode accepts, prove that those checks see a
# delivery or a send.  At the end: no kernel splat.
#
#   ext: the "Internet": teredo_peer.py serve (one process for all
#        sends, a raw socket), 198.18.{0,1,2}.254
#   cli: tc, client of 198.18.0.1 at 198.18.1.2:40000, qualified by
#        the sender (nlraw.py) standing in for teredod
#   rly: tr, relay at 198.18.2.2:3544
#   srv: ts, server at 198.18.0.1 and 198.18.0.2
#
# MALFORMED_COUNT (default 8): datagrams per class and mode;
# MALFORMED_MODES (default "client relay server"): the modes to test.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

CTL=${TEREDO_TOP:-$TEREDO_SELFTEST_DIR/..}/build/tools/teredoctl
N=${MALFORMED_COUNT:-8}
SERVER=198.18.0.1
CLI_IP=198.18.1.2
CLI_PORT=40000

teredo_load
[ -x "$CTL" ] || ktap_skip_all "teredoctl not built"

CADDR=$(teredo_addr $SERVER $CLI_IP $CLI_PORT)
# A client of our server (ts), and of another server.
TADDR=$(teredo_addr $SERVER 198.18.7.7 4000)
OTHER=$(teredo_addr 198.18.9.9 198.18.7.7 4000)
# A Teredo address whose mapping is not the sender's.
MISMATCH=$(teredo_addr $SERVER 198.18.5.5 5555)
LOOP=$(teredo_addr $SERVER 198.18.0.2 3544)
PRIVATE=$(teredo_addr $SERVER 10.1.2.3 4000)
HOST6=2001:db8:1::30
AUTH=00010000010203040506070800
# An authentication header whose client identifier length (200) runs
# past the datagram.
AUTH_LONG=0001c800010203040506070800
OI=0000fefffefdfcfb
IP6_20=6000000000003b00000102030405060708090a0b
# RFC 6081 §4 trailers: a nonce; an alternate address list of two.
NONCE_TR=0104a1b2c3d4
ALT_TR=030e0000c0000221ea60c0a80102ea61
# A neighbor discovery option, solicitation (RFC 6081 §4.4, §5.7).
ND_SOL=040400000000

# The table.  Columns: class | what teredo_peer.py send makes of it
# (KIND [OPTIONS], after the mode's defaults, so options here win) |
# expectation for client | relay | server | description.  Expectations:
#   COUNTER          dropped, counted there N times, nothing else moves
#   event:COUNTER    consumed, counted there (no drop), nothing else
#   deliver          handed to the IPv6 stack (control)
#   forward:COUNTER  sent on, counted there (control)
#   -                not malformed for that mode: not sent
# {peer}, {server} and {spoof3544} are the mode's sources: a Teredo
# peer, the client's server (for the relay and the server: another
# server), anyone else at port 3544.
TABLE="
empty|hex:|rx_truncated|rx_truncated|rx_truncated|empty UDP payload
short|hex:$IP6_20|rx_truncated|rx_truncated|rx_truncated|20 bytes of an IPv6 header
ipv4|hex:45000028000000004011000001020304050607080000000000000000000000000000000000000000|rx_bad_header|rx_bad_header|rx_bad_header|IPv4 inside
code|hex:0002$(printf '%076d' 0)|rx_bad_header|rx_bad_header|rx_bad_header|unknown header code 00 02
length|echo --plen 400|rx_bad_length|rx_bad_length|rx_bad_length|40 + payload length beyond the datagram
auth-long|echo --prefix $AUTH_LONG|rx_auth|rx_auth|rx_truncated|authentication header longer than the datagram
auth|echo --prefix $AUTH|rx_auth|rx_auth|rx_auth|authentication header from a peer
auth-one|hex:${AUTH}00|rx_auth|rx_auth|rx_truncated|authentication header, then one byte of the next header
auth-ra|ra --raw-src {spoof3544} --src6 fe80::1 --prefix $AUTH|rx_auth|rx_auth|rx_auth|RA with authentication from port 3544 of a stranger
origin|echo --prefix $OI|rx_origin|rx_origin|rx_origin|origin indication from a peer
origin-short|hex:$OI$IP6_20 --raw-src {server}|rx_truncated|rx_origin|rx_origin|origin indication from the server, then 20 bytes
origin-twice|echo --raw-src {server} --prefix $OI$OI|rx_bad_version|rx_origin|rx_origin|two origin indications from the server
ll-src|echo --src6 fe80::1|rx_link_local|rx_link_local|-|link-local source
ll-dst|echo --dst6 fe80::1|rx_not_ours|-|rx_link_local|link-local destination
mc-dst|echo --dst6 ff02::1|rx_multicast|rx_multicast|rx_multicast|multicast destination
mc-src|echo --src6 ff0e::1|rx_multicast|rx_multicast|rx_multicast|multicast source
unspec|echo --src6 ::|rx_bad_source|rx_not_teredo|rx_bad_source|unspecified source
mapped|echo --src6 ::ffff:198.18.0.7|rx_bad_source|rx_not_teredo|rx_bad_source|IPv4-mapped source
mapping|echo --src6 $MISMATCH|rx_mapping|rx_mapping|rx_mapping|Teredo source whose mapping is not the sender
private|echo --raw-src 10.9.9.9:5000|rx_not_global|rx_not_global|rx_not_global|sender not global unicast (10.9.9.9)
rs|rs|rx_multicast|rx_multicast|-|Router Solicitation to ff02::2
ra|ra --src6 fe80::1|rx_link_local|rx_link_local|-|Router Advertisement from a link-local source
other|echo --dst6 $OTHER|rx_not_ours|-|rx_not_served|a client of another server
not-icmp|echo --nxt 17|-|-|rx_not_icmp|neither a bubble nor ICMPv6
too-big|echo --size 81|-|-|rx_too_big|ICMPv6 payload of 89 bytes
loop-dst|bubble --dst6 $LOOP|-|-|rx_loop|destination embedding our own 198.18.0.2:3544
loop-src|echo --raw-src 198.18.0.2:3544|-|-|rx_loop|from our own 198.18.0.2:3544
bad-rs|rs --hlim 64|-|-|rx_bad_rs|Router Solicitation with hop limit 64
private-dst|echo --dst6 $PRIVATE|-|-|tx_not_global|destination embedding 10.1.2.3
trailers|echo --suffix $NONCE_TR$ALT_TR|deliver|rx_unknown_peer|forward:tx_forwarded|RFC 6081 nonce and alternate address trailers (ignored)
tr-repeated|echo --suffix $NONCE_TR$NONCE_TR|deliver|rx_unknown_peer|forward:tx_forwarded|two nonce trailers (ignored)
tr-truncated|echo --suffix 0108a1b2c3d4|deliver|rx_unknown_peer|forward:tx_forwarded|a trailer longer than what is left (parsing stops)
tr-oversized|echo --suffix 03200000000000000000000000000000000000000000000000000000000000000000|deliver|rx_unknown_peer|forward:tx_forwarded|alternate address trailer of 32 bytes (over 26: ignored)
tr-unknown|echo --suffix 8102abcdc102abcd|deliver|rx_unknown_peer|forward:tx_forwarded|unknown trailer types 10xxxxxx and 11xxxxxx (skipped)
tr-hidden|echo --suffix 010641025566|deliver|rx_unknown_peer|forward:tx_forwarded|a discard type inside a malformed trailer (not a trailer)
tr-discard|echo --suffix ${NONCE_TR}4102abcd|rx_trailer|rx_trailer|rx_trailer|a trailer type 01xxxxxx after a nonce (RFC 6081 §4: discard)
tr-nonce-short|bubble --suffix 0103a1b2c3|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a nonce trailer of 3 bytes (not a nonce: ignored)
tr-alt-port0|bubble --suffix ${NONCE_TR}03080000c00002210000|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|an alternate address with port 0 (not a list: ignored)
tr-nonce-moved|bubble --src6 $MISMATCH --suffix $NONCE_TR|rx_bad_nonce|rx_mapping|rx_mapping|a bubble from another mapping than its source's with a nonce nobody sent (RFC 6081 §5.2: no move)
tr-nd-truncated|bubble --suffix 04040000|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a neighbor discovery option cut short, 2 of its 4 bytes (parsing stops: no answer)
tr-nd-oversized|bubble --suffix 04050000000000|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a neighbor discovery option of 5 bytes (not the option: ignored, no answer)
tr-nd-unknown|bubble --suffix 040402000000|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a neighbor discovery option of DiscoveryType 02 (unknown: ignored, no answer)
tr-nd-forged|bubble --src6 $MISMATCH --suffix $ND_SOL|rx_mapping|rx_mapping|rx_mapping|a solicitation from another mapping than its source's (RFC 6081 §5.7: no answer)
tr-rp-truncated|bubble --suffix 05029c|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a random port trailer cut short, 1 of its 2 bytes (parsing stops: kept, nothing moves)
tr-rp-oversized|bubble --suffix 05039c4100|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a random port trailer (0x05) of 3 bytes (not one: ignored)
tr-rp-iana-oversized|bubble --suffix 02039c4100|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a random port trailer (0x02, the IANA type) of 3 bytes (not one: ignored)
tr-rp-zero|bubble --suffix 05020000|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a random port trailer for port 0 (not one: ignored)
tr-rp-direct|bubble --suffix 05029c41|event:rx_bubbles|rx_unknown_peer|forward:tx_forwarded|a random port trailer in a direct bubble (only a relayed one counts: no rx_random_ports)
tr-rp-moved|bubble --src6 $MISMATCH --suffix 05029c41|rx_mapping|rx_mapping|rx_mapping|a bubble from another mapping than its source's with a random port trailer (RFC 6081 §5.4: no move)
bubble|bubble|event:rx_bubbles|rx_unknown_peer|-|bubble from a Teredo peer
valid|echo|deliver|rx_unknown_peer|forward:tx_forwarded|echo request from a Teredo peer
"

read -r -a MODES <<< "${MALFORMED_MODES:-client relay server}"
# Per mode: namespace, device, where to send, the {peer}, {server} and
# {spoof3544} sources, the server field of Teredo sources, the default
# IPv6 destination.
declare -A NS DEV TO PEER SRVSRC SPOOF DST
DEV[client]=tc DEV[relay]=tr DEV[server]=ts
TO[client]=$CLI_IP:$CLI_PORT TO[relay]=198.18.2.2:3544
TO[server]=$SERVER:3544
PEER[client]=198.18.1.77:4077 PEER[relay]=198.18.2.77:4077
PEER[server]=198.18.0.77:4077
SRVSRC[client]=$SERVER:3544 SRVSRC[relay]=$SERVER:3544
SRVSRC[server]=198.18.9.1:3544
SPOOF[client]=198.18.1.99:3544 SPOOF[relay]=198.18.2.99:3544
SPOOF[server]=198.18.0.99:3544
DST[client]=$CADDR DST[relay]=$HOST6 DST[server]=$TADDR

# mode_col MODE: the table column of MODE's expectation.
mode_col() {
	case $1 in
	client) echo 2 ;;
	relay) echo 3 ;;
	server) echo 4 ;;
	esac
}

# The cells, the client before qualification, no splat.
cells=1
for m in "${MODES[@]}"; do
	col=$(mode_col "$m")
	[ -n "$col" ] || ktap_bail "unknown mode $m"
	while IFS='|' read -r -a row; do
		[ -n "${row[0]:-}" ] && [ "${row[$col]}" != - ] &&
			cells=$((cells + 1))
	done <<< "$TABLE"
done
ktap_plan $((cells + 1))
ktap_info "$N datagrams per class and mode"

dmesg_start=$(dmesg | wc -l)

# ------------------------------------------------------------ topology
#
# A process start costs up to seconds under TCG: one ip -batch per
# namespace, one sysctl.

ext="" cli="" rly="" srv=""
# Fixed MACs (e0 of cli 16, rly 32, srv 48; their ends in ext one more),
# so that neighbours can be permanent.
ns_hub -m ext cli rly srv || ktap_bail "cannot create the namespaces"
NS[client]=$cli NS[relay]=$rly NS[server]=$srv

# Spoofed and non-global sources in; the loop row claims our own.  No
# IPv6 on the links, the teredo devices without the kernel's own RS and
# MLD: the only packets that move are the test's.
ns_spoof_sysctl ext cli rly srv -- net.ipv4.conf.all.accept_local=1 \
	net.ipv4.conf.default.accept_local=1 \
	net.ipv6.conf.all.disable_ipv6=1 || ktap_bail "sysctl failed"

# Each link's two neighbour entries are permanent: no ARP ever crosses.
ip -n "$ext" -batch - <<-EOF || ktap_bail "cannot set up ext"
link set lo up
addr add 198.18.1.254/24 dev e-cli
addr add 198.18.2.254/24 dev e-rly
addr add 198.18.0.254/24 dev e-srv
link set e-cli up
link set e-rly up
link set e-srv up
neigh replace $CLI_IP lladdr $(fixed_mac 16) dev e-cli nud permanent
neigh replace 198.18.2.2 lladdr $(fixed_mac 32) dev e-rly nud permanent
neigh replace $SERVER lladdr $(fixed_mac 48) dev e-srv nud permanent
neigh replace 198.18.0.2 lladdr $(fixed_mac 48) dev e-srv nud permanent
EOF
ip -n "$cli" -batch - <<-EOF || ktap_bail "cannot set up the client"
link set lo up
addr add $CLI_IP/24 dev e0
link set e0 up
route add default via 198.18.1.254
neigh replace 198.18.1.254 lladdr $(fixed_mac 17) dev e0 nud permanent
link add tc type teredo server $SERVER port $CLI_PORT
EOF
ip -n "$rly" -batch - <<-EOF || ktap_bail "cannot set up the relay"
link set lo up
addr add 198.18.2.2/24 dev e0
link set e0 up
route add default via 198.18.2.254
neigh replace 198.18.2.254 lladdr $(fixed_mac 33) dev e0 nud permanent
link add tr type teredo mode relay local 198.18.2.2
EOF
ip -n "$srv" -batch - <<-EOF || ktap_bail "cannot set up the server"
link set lo up
addr add $SERVER/24 dev e0
addr add 198.18.0.2/24 dev e0
link set e0 up
route add default via 198.18.0.254
neigh replace 198.18.0.254 lladdr $(fixed_mac 49) dev e0 nud permanent
link add ts type teredo mode server local $SERVER
EOF
# The teredo devices need IPv6 (the client delivers to the stack).
for m in client relay server; do
	ip netns exec "${NS[$m]}" sysctl -q -w \
		"net.ipv6.conf.${DEV[$m]}.disable_ipv6=0" >/dev/null ||
		ktap_bail "sysctl in ${NS[$m]}"
	ip -n "${NS[$m]}" link set "${DEV[$m]}" up
done

# The sender, and the reader of the counters: one process (a start
# costs seconds under TCG); each line is a teredo_peer.py command.
peer_serve "$ext"

for m in client relay server; do
	ask netns "$m" "/run/netns/${NS[$m]}"
	[[ "$ANSWER" == netns* ]] ||
		ktap_bail "cannot read the counters in ${NS[$m]}: $ANSWER"
done

# It stands in for teredod too: it hands the client a socket and keeps
# it open.
ask nlraw "/run/netns/$cli" set tc fd=udp:$CLI_IP:$CLI_PORT state=1
[ "$ANSWER" = "nlraw rc=0" ] || ktap_bail "the stand-in helper did not attach"

# ------------------------------------------------------------- counters

# snapshot MODE ARRAY: the device's counters (as teredoctl names them),
# its peers, rx_packets and rx_dropped, and the packets its namespace's
# only link (e0) sent (wire_out), into ARRAY.
snapshot() {
	local -n _a=$2
	local kv

	ask stats "$1" "${DEV[$1]}" e0
	[[ "$ANSWER" == stats* ]] || { ktap_info "stats: $ANSWER"; return 1; }
	_a=()
	for kv in ${ANSWER#stats }; do
		_a["${kv%%=*}"]=${kv#*=}
	done
}

declare -A B A

# delta NAME: A[NAME] - B[NAME] into D (no subshell: forks are slow).
D=0
delta() {
	D=$((${A[$1]:-0} - ${B[$1]:-0}))
}

# check_cell MODE EXPECT DESC: the snapshots B (before) and A (after)
# show EXPECT for N datagrams; one result.
check_cell() {
	local mode=$1 expect=$2 desc=$3 ctr="" kind k rc=0 out=""

	case $expect in
	deliver) kind=deliver ;;
	event:* | forward:*) kind=${expect%%:*} ctr=${expect#*:} ;;
	*) kind=drop ctr=$expect ;;
	esac
	if [ -n "$ctr" ]; then
		if [ -z "${B[$ctr]+set}" ]; then
			ktap_info "no counter $ctr"
			rc=1
		fi
		delta "$ctr"
		assert_num "$ctr" "$D" -eq "$N" || rc=1
	fi
	for k in "${!A[@]}"; do
		case $k in
		"$ctr" | tx_multicast | rx_packets | rx_dropped | wire_out | peers)
			continue ;;
		esac
		delta "$k"
		[ "$D" = 0 ] || out+=" $k+$D"
	done
	if [ -n "$out" ]; then
		ktap_info "other counters moved:$out"
		rc=1
	fi
	delta rx_dropped
	if [ "$kind" = drop ]; then
		assert_num "rx_dropped" "$D" -eq "$N" || rc=1
	else
		assert_num "rx_dropped" "$D" -eq 0 || rc=1
	fi
	delta rx_packets
	if [ "$kind" = deliver ]; then
		assert_num "to the stack (rx_packets)" "$D" -eq "$N" || rc=1
	else
		assert_num "to the stack (rx_packets)" "$D" -eq 0 || rc=1
	fi
	delta wire_out
	case $kind in
	forward) assert_num "sent (wire)" "$D" -ge "$N" || rc=1 ;;
	deliver) ;;	# the stack answers
	*) assert_num "sent (wire)" "$D" -eq 0 || rc=1 ;;
	esac
	ktap_result $rc "$mode: $desc: $expect"
}

# copy FROM TO: TO becomes a copy of the associative array FROM.
copy() {
	local -n _from=$1 _to=$2
	local k

	_to=()
	for k in "${!_from[@]}"; do
		_to["$k"]=${_from[$k]}
	done
}

# The mode whose counters A holds, when nothing happened since.
LAST=""

# run_cell MODE CLASS KIND_AND_OPTIONS EXPECT DESC
run_cell() {
	local mode=$1 class=$2 spec=$3 expect=$4 desc=$5 key
	local kind opts i

	kind=${spec%% *}
	opts=""
	[ "$kind" != "$spec" ] && opts=${spec#* }
	opts=${opts//\{peer\}/${PEER[$mode]}}
	opts=${opts//\{server\}/${SRVSRC[$mode]}}
	opts=${opts//\{spoof3544\}/${SPOOF[$mode]}}
	# The last cell's "after" is this one's "before".
	if [ "$LAST" = "$mode" ]; then
		copy A B
	else
		snapshot "$mode" B ||
			ktap_bail "cannot read the counters of $mode"
	fi
	LAST=""
	ask send "$kind" --raw-src "${PEER[$mode]}" --to "${TO[$mode]}" \
		--server $SERVER --dst6 "${DST[$mode]}" "$opts" --count "$N"
	if [[ "$ANSWER" != sent* ]]; then
		ktap_info "sender: ${ANSWER:-no answer}"
		ktap_fail "$mode: $class: not sent"
		return
	fi
	case $expect in
	deliver) key=rx_packets ;;
	*) key=${expect#*:} ;;
	esac
	# The expected count within 5 s, and then 0.3 s for anything else
	# it causes (the sender pauses: a sleep(1) would cost a process).
	for ((i = 0; i < 17; i++)); do
		ask pause 0.3
		snapshot "$mode" A ||
			ktap_bail "cannot read the counters of $mode"
		delta "$key"
		# Delivered echo requests: their answers sent too, or a
		# slow guest (the debug kernel) sends the last of them
		# in the next cell's window.
		if [ "$D" -ge "$N" ] && [ "$expect" = deliver ]; then
			delta wire_out
		fi
		if [ "$D" -ge "$N" ]; then
			[ "$i" = 0 ] && break
			i=15
		fi
	done
	check_cell "$mode" "$expect" "$class ($desc)"
	LAST=$mode
}

# ------------------------------------------------------------ the table

ktap_info "set up in $SECONDS s"

# A client drops everything before it is qualified (protocol.md §7.1).
t0=$SECONDS
run_cell client not-qualified echo rx_not_qualified \
	"while qualifying, an echo request from a Teredo peer"

ask nlraw "/run/netns/$cli" set tc state=2 nat=1 mapped=$CLI_IP \
	mapped-port=$CLI_PORT address="$CADDR"
[ "$ANSWER" = "nlraw rc=0" ] || ktap_bail "cannot qualify the client"
ip -n "$cli" -batch - <<-EOF
addr add $CADDR/128 dev tc nodad
route add 2001::/32 dev tc
EOF
LAST=""

for m in "${MODES[@]}"; do
	col=$(mode_col "$m")
	while IFS='|' read -r -a row; do
		[ -n "${row[0]:-}" ] || continue
		[ "${row[$col]}" = - ] && continue
		run_cell "$m" "${row[0]}" "${row[1]}" "${row[$col]}" "${row[5]}"
	done <<< "$TABLE"
	ktap_info "$m: done after $((SECONDS - t0)) s"
done

splat=$(dmesg | tail -n +"$((dmesg_start + 1))" |
	grep -E 'WARNING:|BUG:|Oops|refcount_t|KASAN|UBSAN|unreferenced object')
[ -z "$splat" ] || ktap_info "$splat"
check_eq "no kernel splat" "" "$splat"

ktap_finish
