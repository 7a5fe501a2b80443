#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFC 6081 in our client (issue 16): symmetric NAT support (§5.2) and the
# hairpinning extension (§5.6), with our server and our relay
# (protocol.md §10.2 scenarios 3, 14, 15).
#
#   $CLI (S) behind $NAT, turned fully-random symmetric (masquerade
#   fully-random: a public port per flow); $PUB (P) a client with no NAT
#   at 198.18.0.50; $CLI2 (A, 10.0.1.2) and $CLI3 (B, 10.0.2.2) on two
#   subnets behind $NAT2, a masquerade NAT that does not hairpin.
#
#   a  S qualifies anyway (nat symmetric, the primary's mapping), reaches
#      the native host through our relay (scenario 3), and talks with P
#      both ways: the Nonce trailers on the wire (S's indirect and direct
#      bubbles carry the same nonce), P's entry for S moved to the mapping
#      S really sends from (rx_moved).
#   b  forged direct bubbles "from S" at another mapping: without a nonce
#      (rx_mapping), with a wrong one (rx_bad_nonce), and the very nonce
#      that moved S replayed (rx_bad_nonce: a nonce moves a peer once):
#      P's entry for S stays where it is.
#   c  A and B with --hairpinning on: A's indirect bubble carries a Nonce
#      and an Alternate Address trailer (10.0.1.2:40001), B answers there
#      echoing the nonce (tx_alternates), ping6 both ways across the LANs,
#      each at the other's LAN address; no echo goes to the NAT.
#   d  the NAT made to hairpin for two more clients, $CLI4 (C, 10.0.3.2)
#      and $CLI5 (D, 10.0.4.2), on two more subnets (DNAT + SNAT to the
#      public address on the LAN side): without --hairpinning they talk
#      through it, as RFC 4380 has it, with plain bubbles.
#   e  S behind $NAT made port-preserving symmetric (the first mapping of
#      an inside port keeps it, the next ones get random ports; a probe
#      proves it): nat "symmetric (port-preserving)" (RFC 6081 §5.4), its
#      RS on the wire, the native host through our relay, P both ways.
#   f  the same behind a sequential symmetric NAT (each new mapping the
#      next public port; probed): nat "symmetric (sequential)" (§5.5).
#   g  server load reduction (§5.7): C and P talk, then nothing for
#      longer than the trust window; a forged advertisement and a
#      forged solicitation "from C" at another mapping renew nothing
#      and get nothing; C pings P again: its direct bubble carries the
#      Neighbor Discovery Option solicitation (04 04 00 00 00 00), P
#      answers with an advertisement (04 04 01 00 00 00), both trust
#      again (teredoctl -j peers) and no bubble goes to or through the
#      server.
#   h  a peer that does not answer solicitations (P drops them, as a
#      Miredo client ignores them): 3 of them 2 s apart, then RFC
#      4380's indirect bubble (slr_fallbacks); the next lapse goes to
#      the indirect bubble at once.
#   i  (run after d) a Random Port trailer (RFC 6081 §5.4) received: W, a scripted
#      Windows client behind a port-preserving symmetric NAT (played
#      with no NAT at $W_IP: its address embeds :$W_PORT, it sends
#      from :$W_RPORT), sends C (behind $NAT2, port-restricted) an
#      indirect bubble with the trailer 05 02 + the port; C answers
#      with a direct bubble to $W_IP:$W_RPORT, none to :$W_PORT
#      (wire, rx_random_ports); a bubble "from W" at :$W_RPORT+1 is
#      rx_mapping; W's direct bubble from :$W_RPORT passes C's NAT and
#      moves C's entry for W there, trusted (teredoctl -j peers,
#      rx_moved); ping6 both ways; after that a bubble from
#      :$W_RPORT+1 is still rx_mapping and moves nothing.
#   j  (run after e; S behind the same port-preserving symmetric NAT)
#      our own random ports (§5.4, send side): the kernel made 8 UDP
#      sockets for S; S pings C (behind $NAT2, port-restricted): S's
#      indirect bubble carries a Random Port trailer (05 02 + the port
#      R), its direct bubbles and data leave the NAT from :R, which it
#      kept; C answers there; both trust (C's entry for S at :R, S's
#      "local-port" R in teredoctl -j peers), tx_random_ports and C's
#      rx_random_ports; W (scripted, §5.4 itself) starts with S: S
#      answers from a new random port and tells it through the server,
#      W's echo requests are answered from there; S's device deleted:
#      no UDP socket left in its namespace.
#   k  (run after f; S behind the same sequential symmetric NAT) port
#      prediction (§5.5): S pings C (behind $NAT2, port-restricted):
#      from S's random port for C, a solicitation to the primary leaves
#      the NAT from :X-1, the direct bubble from :X, one to the
#      secondary from :X+1; once both advertisements are in, S's
#      indirect bubble names X (05 02 + X); C answers at :X, both trust
#      (C's entry for S at :X), S -> C only ever from :X
#      (tx_port_tests, port_predictions, C's rx_random_ports).  W (the
#      scripted RFC 6081 peer) starts with S: the same test around S's
#      answer, the guess named once it is in.  Then with the
#      secondary's solicitations dropped at the NAT: no port is named,
#      and S still reaches P (no NAT) with its nonce alone.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOD=$TEREDO_TOP/build/tools/teredod
CTL=$TEREDO_TOP/build/tools/teredoctl
PEERPY=$TEREDO_SELFTEST_DIR/teredo_peer.py
PUB_IP=198.18.0.50
PUB_PORT=40050
A_IP=10.0.1.2
A_PORT=40001
B_LAN=10.0.2.1
B_IP=10.0.2.2
B_PORT=40002
C_LAN=10.0.3.1
C_IP=10.0.3.2
C_PORT=40011
D_LAN=10.0.4.1
D_IP=10.0.4.2
D_PORT=40012
SPOOF=198.18.0.99:9999
W_IP=198.18.0.51
W_PORT=40070
W_RPORT=40071
J_PORT=40063
K_PORT=40064

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "build/tools/teredod not built"
[ -x "$CTL" ] || ktap_skip_all "build/tools/teredoctl not built"
ktap_plan 41

# ------------------------------------------------------------ helpers

# s_reports WHAT KIND LOG: S ($S, embedding $SM) says it is qualified
# behind a "nat KIND" in its teredod log LOG, teredoctl show and ip -d
# link show; 0 when all three do.
s_reports() {
	local out rc=0

	assert_contains "$1: log" "qualified: $S: mapped $SM, nat $2 (the server saw $SM and $TOPO_NAT_IP:" \
		"$(cat "$(topo_log "$3")")" || rc=1
	out=$(ip netns exec "$CLI" "$CTL" show teredo)
	assert_contains "$1: teredoctl show" "state qualified" "$out" || rc=1
	assert_contains "$1: teredoctl show" "nat $2" "$out" || rc=1
	assert_contains "$1: ip -d link show" "nat $2" \
		"$(ip -n "$CLI" -d link show dev teredo)" || rc=1
	return $rc
}

# counter NS NAME: a counter of teredoctl -j show teredo in NS (0: none).
counter() {
	local n

	n=$(ip netns exec "$1" "$CTL" -j show teredo |
		grep -o "\"$2\":[0-9]*" | head -1)
	n=${n#*:}
	echo "${n:-0}"
}

# peer NS ADDR: "MAPPED TRUSTED" of peer ADDR (teredoctl peers; trusted
# yes or no), "" when there is none.  Text, not JSON: a Python start
# costs a second under TCG.
peer() {
	ip netns exec "$1" "$CTL" peers teredo |
		awk -v p="$2" '$1 == p { print $2, $3 }'
}

# start NS NAME PORT [OPTION...]: device teredo (port PORT, 0: any) and
# teredod in NS.
start() {
	local ns=$1 name=$2 port=$3

	shift 3
	ip -n "$ns" link add teredo type teredo server "$TOPO_SRV_IP" \
		port "$port" || return 1
	_topo_daemon "$ns" "$name" "$TEREDOD" "$@" teredo
}

# qualified NS NAME: 0 once the client has its Teredo address.
qualified() {
	wait_until "$TOPO_T_START" _topo_has_teredo_addr "$1" && return 0
	ktap_info "$2 did not qualify: $(cat "$(topo_log "$2")")"
	return 1
}

stop() {	# NS...
	local ns

	_topo_kill_ns "$@"
	for ns in "$@"; do
		ip -n "$ns" link del teredo 2>/dev/null
	done
}

# mapping ADDR: "IPv4:port" a Teredo address embeds (RFC 4380 §4).
mapping() {
	local h

	h=$(python3 -I -S -c 'import ipaddress, sys
print(ipaddress.IPv6Address(sys.argv[1]).exploded)' "$1") || return 1
	printf '%d.%d.%d.%d:%d\n' $((0xff ^ 0x${h:30:2})) \
		$((0xff ^ 0x${h:32:2})) $((0xff ^ 0x${h:35:2})) \
		$((0xff ^ 0x${h:37:2})) $((0xffff ^ 0x${h:25:4}))
}

# wire FILE: teredo_peer.py's decoding of a capture, one datagram a line:
# time src:port dst:port paylen src6 dst6 kind ttl df tos trailers.
wire() {
	python3 -I -S "$PEERPY" pcap --trailers "$1"
}

# wire_now: wire of the "Internet" capture so far (tcpdump -U writes each
# packet as it comes; a copy of the file is read, the capture goes on).
wire_now() {
	sleep 0.2
	cp "$(topo_capture_file inet)" "$TOPO_DIR/inet-now.pcap" &&
		wire "$TOPO_DIR/inet-now.pcap"
}

# elapsed WHAT: a line of where the time goes (TCG is slow).
elapsed() {
	ktap_info "$1 at $SECONDS s"
}

# forge SRC6 DST6 HEX...: a bubble from $SPOOF to P, as from SRC6, for
# each HEX (its trailers; "-": none), 0.3 s apart, from one process.
forge() {
	topo_forge_bubble "$RLY" "$SPOOF" "$PUB_IP:$PUB_PORT" "$@"
}

# ---------------------------------------------------------- topology

topo_up
topo_site2_up || ktap_bail "cannot build the second site"
_topo_ns_create CLI3 CLI4 CLI5 || ktap_bail "cannot create the namespaces"
# Before topo_cleanup (last registered first): teredod in these.
at_exit "_topo_kill_ns $CLI3 $CLI4 $CLI5"
topo_public_up PUB "$PUB_IP" || ktap_bail "cannot build the topology"
topo_public_up WIN "$W_IP" || ktap_bail "cannot build the topology"
# B on a second LAN of $NAT2: the NAT routes between its two subnets,
# masquerades only towards e0, and sends nothing back to its LANs that
# was addressed to its public address (no hairpin).
_topo_batch "$NAT2" <<-EOF || ktap_bail "cannot build the topology"
link add i1 type veth peer name e0 netns $CLI3
link set i1 up
addr add $B_LAN/24 dev i1
link add i2 type veth peer name e0 netns $CLI4
link set i2 up
addr add $C_LAN/24 dev i2
link add i3 type veth peer name e0 netns $CLI5
link set i3 up
addr add $D_LAN/24 dev i3
EOF
for x in "$CLI3 $B_IP $B_LAN" "$CLI4 $C_IP $C_LAN" "$CLI5 $D_IP $D_LAN"; do
	read -r ns ip gw <<< "$x"
	topo_e0_up "$ns" "$ip/24" "$gw" || ktap_bail "cannot build the topology"
done
# d: hairpinning (RFC 4787 REQ-9) for C's and D's ports, the nftables
# way: what the LAN sends to a client's public address:port goes to that
# client (DNAT), from the sender's public address:port (SNAT): the peers
# see each other's mappings.  Their ports are fixed and masquerade keeps
# them.  A's and B's traffic is not touched: no hairpin for them.
ip netns exec "$NAT2" nft -f - <<-EOF || ktap_bail "cannot make the NAT hairpin"
table ip hairpin {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname != "e0" ip daddr $TOPO_NAT2_IP udp dport $C_PORT dnat to $C_IP:$C_PORT
		iifname != "e0" ip daddr $TOPO_NAT2_IP udp dport $D_PORT dnat to $D_IP:$D_PORT
	}
	chain post {
		type nat hook postrouting priority srcnat - 1; policy accept;
		oifname != "e0" ct status dnat ip saddr 10.0.0.0/8 snat to $TOPO_NAT2_IP
	}
}
EOF
# $NAT: a new public port for every flow (RFC 4787 "address and port
# dependent mapping"), as teredo_client_qualify.sh's round 6.
if ! { ip netns exec "$NAT" nft flush chain ip topo_nat postrouting &&
	ip netns exec "$NAT" nft add rule ip topo_nat postrouting \
		oifname e0 masquerade fully-random; }; then
	ktap_bail "cannot make the NAT symmetric"
fi
topo_server_ours || ktap_bail "our server did not start"
topo_relay_ours || ktap_bail "our relay did not start"

topo_capture_start inet || ktap_bail "cannot capture"
# A's LAN: what reaches A, what A sends.
ip netns exec "$NAT2" tcpdump -i i0 -n -U -s 0 -w "$TOPO_DIR/lan-a.pcap" \
	udp >/dev/null 2>"$TOPO_DIR/tcpdump-lan-a.log" </dev/null &
LAN_PID=$!
wait_until 60 grep -q "listening on" "$TOPO_DIR/tcpdump-lan-a.log" ||
	ktap_bail "cannot capture A's LAN"

# All four at once: qualification is the slow part under TCG.
start "$CLI" cli-s 0 --default-route || ktap_bail "cannot create S"
start "$PUB" cli-p "$PUB_PORT" || ktap_bail "cannot create P"
start "$CLI2" cli-a "$A_PORT" --hairpinning on || ktap_bail "cannot create A"
start "$CLI3" cli-b "$B_PORT" --hairpinning on || ktap_bail "cannot create B"
start "$CLI4" cli-c "$C_PORT" || ktap_bail "cannot create C"
start "$CLI5" cli-d "$D_PORT" || ktap_bail "cannot create D"

# -------------------------------------- a: our client behind a symmetric NAT
elapsed "a"
rc=0
qualified "$CLI" cli-s || rc=1
qualified "$PUB" cli-p || rc=1
S=$(_topo_teredo_addr "$CLI")
P=$(_topo_teredo_addr "$PUB")
SM=$(mapping "$S")
ktap_info "S $S (embeds $SM), P $P"
s_reports S symmetric cli-s || rc=1
ktap_result $rc "a: behind a fully-random NAT S qualifies anyway: nat symmetric, the primary's mapping $SM (log, teredoctl show, ip -d link show)"

assert_ping "S -> native host" "$CLI" "$TOPO_HOST_IP6"
ktap_result $? "a: S reaches the native host $TOPO_HOST_IP6 through our relay (scenario 3)"

moved0=$(counter "$PUB" rx_moved)
assert_ping "S -> P" "$CLI" "$P"
ktap_result $? "a: ping6 S -> P, 3/3 (S's answer from another mapping proved by its nonce)"

rc=0
read -r pm pt <<< "$(peer "$PUB" "$S")"
moved1=$(counter "$PUB" rx_moved)
ktap_info "P's entry for S: $pm trusted $pt; rx_moved $moved0 -> $moved1"
assert_eq "P's entry for S: trusted" yes "$pt" || rc=1
assert_ne "P's entry for S: not the embedded mapping" "$SM" "$pm" || rc=1
assert_eq "P's entry for S: the NAT's address" "$TOPO_NAT_IP" "${pm%:*}" || rc=1
assert_num "P: rx_moved" "$moved1" -gt "$moved0" || rc=1
ktap_result $rc "a: P's entry for S moved to where S sends from ($pm, not $SM): rx_moved"

# The wire: S's bubbles carry one nonce (01 04 + 4 bytes) through the
# server and directly; P's answer echoes it.
w=$(wire_now)
rc=0
ind=$(awk -v d="$TOPO_SRV_IP:3544" -v s6="$S" -v d6="$P" \
	'$3 == d && $5 == s6 && $6 == d6 && $7 == "bubble" { print $4, $11; exit }' <<< "$w")
read -r ilen itr <<< "$ind"
nonce=${itr#0104}
ktap_info "S's indirect bubble: ${ilen:-none} bytes, trailers ${itr:-none}"
assert_eq "S's indirect bubble: 40 + a Nonce trailer" 46 "${ilen:-0}" || rc=1
assert_eq "its trailer" "0104" "${itr:0:4}" || rc=1
n=$(awk -v s="$TOPO_NAT_IP" -v d="$PUB_IP:$PUB_PORT" -v t="0104$nonce" \
	'split($2, a, ":") && a[1] == s && $3 == d && $7 == "bubble" && $11 == t' <<< "$w" | wc -l)
assert_num "S's direct bubbles to P with that nonce" "$n" -ge 1 || rc=1
n=$(awk -v s="$PUB_IP:$PUB_PORT" -v t="0104$nonce" \
	'$2 == s && $7 == "bubble" && $11 == t' <<< "$w" | wc -l)
assert_num "P's bubbles echoing it" "$n" -ge 1 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$w")"
ktap_result $rc "a: wire: S's indirect bubble 46 B with Nonce $nonce, S's direct bubble and P's answer carry the same"

rc=0
ip netns exec "$PUB" "$CTL" peers flush teredo || rc=1
ip netns exec "$CLI" "$CTL" peers flush teredo || rc=1
assert_ping "P -> S" "$PUB" "$S" || rc=1
ktap_result $rc "a: tables flushed, ping6 P -> S, 3/3 (S answers P's keyed indirect bubble from another mapping: the key proves it)"

# ------------------------------------------------ b: forged moves refused
elapsed "b"
read -r pm _ <<< "$(peer "$PUB" "$S")"
m0=$(counter "$PUB" rx_mapping)
b0=$(counter "$PUB" rx_bad_nonce)
# No nonce, a wrong one, then the nonce that moved S in a (captured).
forge "$S" "$P" - 0104deadbeef "0104$nonce"
sleep 0.3
m1=$(counter "$PUB" rx_mapping)
b1=$(counter "$PUB" rx_bad_nonce)
read -r pm1 _ <<< "$(peer "$PUB" "$S")"
ktap_info "rx_mapping $m0 -> $m1, rx_bad_nonce $b0 -> $b1; P's entry for S at $pm1"
rc=0
assert_num "rx_mapping (no nonce)" "$m1" -eq $((m0 + 1)) || rc=1
assert_num "rx_bad_nonce (wrong, replayed)" "$b1" -eq $((b0 + 2)) || rc=1
assert_eq "P's entry for S" "$pm" "$pm1" || rc=1
ktap_result $rc "b: bubbles \"from S\" at $SPOOF without a nonce (rx_mapping), with a wrong one (rx_bad_nonce): S stays at $pm"
assert_ne "the nonce that moved S" "" "$nonce" && [ "$b1" = $((b0 + 2)) ] &&
	[ "$pm" = "$pm1" ]
ktap_result $? "b: the nonce that moved S, replayed from $SPOOF: rx_bad_nonce, S stays (a nonce moves a peer once)"

# ------------------------------------------ c: the hairpinning extension
rc=0
qualified "$CLI2" cli-a || rc=1
qualified "$CLI3" cli-b || rc=1
A=$(_topo_teredo_addr "$CLI2")
B=$(_topo_teredo_addr "$CLI3")
ktap_info "A $A ($A_IP:$A_PORT), B $B ($B_IP:$B_PORT), both behind $TOPO_NAT2_IP"
assert_contains "A: teredoctl show" "alternate $A_IP:$A_PORT" \
	"$(ip netns exec "$CLI2" "$CTL" show teredo)" || rc=1
assert_contains "A: ip -d link show" "alternate $A_IP:$A_PORT" \
	"$(ip -n "$CLI2" -d link show dev teredo)" || rc=1
ktap_result $rc "c: A and B qualified with --hairpinning on: alternate $A_IP:$A_PORT (teredoctl show, ip -d link show)"

elapsed "c"
assert_ping "A -> B" "$CLI2" "$B"
ktap_result $? "c: ping6 A -> B, 3/3, through a NAT that does not hairpin"
assert_ping "B -> A" "$CLI3" "$A"
ktap_result $? "c: ping6 B -> A, 3/3"

rc=0
read -r ab _ <<< "$(peer "$CLI2" "$B")"
read -r ba _ <<< "$(peer "$CLI3" "$A")"
alts=$(counter "$CLI3" tx_alternates)
ma=$(counter "$CLI2" rx_moved)
mb=$(counter "$CLI3" rx_moved)
ktap_info "A's entry for B: $ab, B's for A: $ba; B tx_alternates $alts, rx_moved A $ma B $mb"
assert_eq "A's entry for B" "$B_IP:$B_PORT" "$ab" || rc=1
assert_eq "B's entry for A" "$A_IP:$A_PORT" "$ba" || rc=1
assert_num "B: tx_alternates" "$alts" -ge 1 || rc=1
assert_num "A: rx_moved" "$ma" -ge 1 || rc=1
assert_num "B: rx_moved" "$mb" -ge 1 || rc=1
ktap_result $rc "c: each at the other's LAN address (A: B at $B_IP:$B_PORT, B: A at $A_IP:$A_PORT); B answered A's alternate (tx_alternates), a nonce moved each (rx_moved)"

sleep 0.2
kill -TERM "$LAN_PID" 2>/dev/null
_topo_wait_gone 5 "$LAN_PID" || kill -KILL "$LAN_PID" 2>/dev/null
wh=$(wire_now)
wl=$(wire "$TOPO_DIR/lan-a.pcap")
rc=0
alt=$(printf '0308%04x%02x%02x%02x%02x%04x' 0 10 0 1 2 "$A_PORT")
itr=$(awk -v d="$TOPO_SRV_IP:3544" -v s6="$A" -v d6="$B" \
	'$3 == d && $5 == s6 && $6 == d6 && $7 == "bubble" { print $11; exit }' <<< "$wh")
ktap_info "A's indirect bubble: trailers ${itr:-none}"
assert_eq "A's indirect bubble: Nonce, then Alternate Address $A_IP:$A_PORT" \
	"0104${itr:4:8}$alt" "${itr:-none}" || rc=1
n=$(awk -v s="$B_IP:$B_PORT" -v d="$A_IP:$A_PORT" -v t="0104${itr:4:8}" \
	'$2 == s && $3 == d && $7 == "bubble" && $11 == t' <<< "$wl" | wc -l)
assert_num "B's bubbles to A's LAN address echoing the nonce" "$n" -ge 1 || rc=1
ab=$(awk -v s="$A_IP:$A_PORT" -v d="$B_IP:$B_PORT" '$2 == s && $3 == d && $7 == "data"' <<< "$wl" | wc -l)
ba=$(awk -v s="$B_IP:$B_PORT" -v d="$A_IP:$A_PORT" '$2 == s && $3 == d && $7 == "data"' <<< "$wl" | wc -l)
np=$(awk -v d="$TOPO_NAT2_IP" 'split($3, a, ":") && a[1] == d && $7 == "data"' <<< "$wl" | wc -l)
ktap_info "on A's LAN: A -> B $ab, B -> A $ba data packets; to the NAT's public address $np"
assert_num "A -> B on the LAN" "$ab" -ge 6 || rc=1
assert_num "B -> A on the LAN" "$ba" -ge 6 || rc=1
assert_num "data to the NAT's public address" "$np" -eq 0 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$wl")"
ktap_result $rc "c: wire: A's indirect bubble carries Nonce + Alternate Address ($alt), B's bubble to $A_IP:$A_PORT echoes the nonce, the echoes cross the LANs (none to the NAT)"

# ------------------------------------------ d: a NAT that hairpins
elapsed "d"
rc=0
qualified "$CLI4" cli-c || rc=1
qualified "$CLI5" cli-d || rc=1
C=$(_topo_teredo_addr "$CLI4")
D=$(_topo_teredo_addr "$CLI5")
assert_ping "C -> D (hairpin)" "$CLI4" "$D" || rc=1
assert_ping "D -> C (hairpin)" "$CLI5" "$C" || rc=1
ktap_result $rc "d: a hairpinning NAT: C and D without --hairpinning, ping6 both ways, 3/3"

rc=0
read -r cd _ <<< "$(peer "$CLI4" "$D")"
read -r dc _ <<< "$(peer "$CLI5" "$C")"
ktap_info "C's entry for D: $cd, D's for C: $dc"
assert_eq "C's entry for D" "$TOPO_NAT2_IP:$D_PORT" "$cd" || rc=1
assert_eq "D's entry for C" "$TOPO_NAT2_IP:$C_PORT" "$dc" || rc=1
w=$(wire_now)
# To C or D: their indirect bubbles leave from the keyed fe80:: source
# (no trailer to carry their address), their direct ones hairpin.
n=$(awk -v c="$C" -v d="$D" '$7 == "bubble" && ($6 == c || $6 == d)' <<< "$w" | wc -l)
t=$(awk -v c="$C" -v d="$D" '$7 == "bubble" && ($6 == c || $6 == d) && $11 != "-"' <<< "$w" | wc -l)
ktap_info "C's and D's bubbles on the Internet side: $n, with trailers: $t"
assert_num "their bubbles through the server" "$n" -ge 1 || rc=1
assert_num "with trailers" "$t" -eq 0 || rc=1
ktap_result $rc "d: each at the other's mapping ($TOPO_NAT2_IP:$C_PORT, :$D_PORT), RFC 4380 only: no trailer on the wire"

# ------------------------------------------- helpers of g, h and i
IDLE=33		# past the trust window (30 s), short of collection (60 s)

# talked_at T: when C and P last talked (T, in $SECONDS), or now if that
# was so long ago (IDLE + 10 s) that their entries may be collected (60 s
# unused) before lapse's wait is over: then C pings P first.  (A slow
# guest's checks, the debug kernel's, can take that long.)
talked_at() {
	if [ $((SECONDS - $1)) -gt $((IDLE + 10)) ]; then
		ping1 "$CLI4" "$P" > /dev/null
		echo "$SECONDS"
	else
		echo "$1"
	fi
}

# lapse T: sleep until IDLE s have passed since T: the trust of both
# entries has lapsed (30 s), and they are still there.
lapse() {
	local left=$((IDLE - (SECONDS - $1)))

	[ "$left" -le 0 ] || sleep "$left"
}
SOL=040400000000
ADV=040401000000

# jtrusted NS ADDR: "trusted" of peer ADDR in teredoctl -j peers.
jtrusted() {
	ip netns exec "$1" "$CTL" -j peers teredo |
		grep -o "\"peer\":\"$2\",\"mapped\":\"[^\"]*\",\"trusted\":[a-z]*" |
		sed 's/.*://'
}

# since T: the wire of the "Internet" capture from T (epoch s) on.
since() {
	wire_now | awk -v t="$1" '$1 >= t'
}

# since_having T AWK-ARG...: the wire since T, read again every 0.5 s
# (10 s at most) until awk with AWK-ARGs matches a line of it: tcpdump
# can be seconds behind under TCG, and what it has not written yet would
# look as if it never went.
since_having() {
	local t=$1 w i

	shift
	for i in $(seq 20); do
		w=$(since "$t")
		awk "$@" <<< "$w" | grep -q . && break
		sleep 0.5
	done
	echo "$w"
}

# server_bubbles WIRE: bubbles between C and P (either way) that went
# to or came from port 3544: through the server.
server_bubbles() {
	awk -v c="$C" -v p="$P" '($7 == "bubble" || $7 == "origin-bubble") &&
		(($5 == c && $6 == p) || ($5 == p && $6 == c)) &&
		($2 ~ /:3544$/ || $3 ~ /:3544$/)' <<< "$1" | wc -l
}

# ping1 NS DST: one echo request answered, however long the bubbles take
# (assert_ping's runs give up 5 s after their last request).
ping1() {
	local out

	out=$(ip netns exec "$1" busybox ping -6 -c 1 -W 20 -w 25 "$2" 2>&1)
	grep -q " 1 packets received" <<< "$out" && return 0
	ktap_info "ping $2: $out"
	return 1
}

# g's first half (server load reduction, below): C and P talk, and the
# trust of their entries lapses while round i runs, which sends P
# nothing: IDLE s from this ping, round i's time included.
elapsed "g"
rc_g=0
assert_ping "g: C -> P" "$CLI4" "$P" || rc_g=1
t_g=$SECONDS

# ------------------- i: a Random Port trailer received (RFC 6081 §5.4)
elapsed "i"
CM=$TOPO_NAT2_IP:$C_PORT
WM=$W_IP:$W_PORT
WR=$W_IP:$W_RPORT
WR1=$W_IP:$((W_RPORT + 1))
W=$(python3 -I -S "$PEERPY" addr "$TOPO_SRV_IP" "$W_IP" "$W_PORT")
RP=$(printf '0502%04x' "$W_RPORT")
WLOG=$TOPO_DIR/win.log
# jpeer NS ADDR: "MAPPED TRUSTED" of peer ADDR in teredoctl -j peers.
jpeer() {
	ip netns exec "$1" "$CTL" -j peers teredo |
		grep -o "\"peer\":\"$2\",\"mapped\":\"[^\"]*\",\"trusted\":[a-z]*" |
		sed 's/.*"mapped":"\([^"]*\)","trusted":\(.*\)/\1 \2/'
}
rc=0
t4=$(date +%s.%N)
k0=$(counter "$CLI4" rx_random_ports)
m0=$(counter "$CLI4" rx_mapping)
v0=$(counter "$CLI4" rx_moved)
ip netns exec "$WIN" python3 -I -S "$PEERPY" randport --bind "$WM" \
	--random-port "$W_RPORT" --server "$TOPO_SRV_IP" --peer6 "$C" \
	--to "$CM" --go "$TOPO_DIR/win.go" --seconds 90 >"$WLOG" 2>&1 &
WIN_PID=$!
wait_until 15 grep -q "^rp-bubble-at-random" "$WLOG" || rc=1
k1=$(counter "$CLI4" rx_random_ports)
# shellcheck disable=SC2016  # awk's fields
w=$(since_having "$t4" -v s="$CM" -v d="$WR" '$2 == s && $3 == d && $7 == "bubble"')
nrel=$(awk -v s="$TOPO_SRV_IP:3544" -v d="$CM" -v s6="$W" -v t="$RP" \
	'$2 == s && $3 == d && $5 == s6 && $7 == "origin-bubble" && $11 == t' <<< "$w" | wc -l)
nr=$(awk -v s="$CM" -v d="$WR" -v c="$C" -v x="$W" \
	'$2 == s && $3 == d && $5 == c && $6 == x && $7 == "bubble" && $4 == 40' <<< "$w" | wc -l)
ne=$(awk -v s="$CM" -v d="$WM" '$2 == s && $3 == d' <<< "$w" | wc -l)
read -r wm wt <<< "$(jpeer "$CLI4" "$W")"
ktap_info "i: W $W ($WM, random port $W_RPORT): the server relayed its bubble with $RP: $nrel; C's bubbles to $WR $nr, to $WM $ne; rx_random_ports $k0 -> $k1; C's entry for W $wm trusted $wt"
assert_num "i: the server relayed W's bubble with its trailer" "$nrel" -ge 1 || rc=1
assert_num "i: C's direct bubble to $WR" "$nr" -ge 1 || rc=1
assert_num "i: datagrams from C to $WM" "$ne" -eq 0 || rc=1
assert_num "i: C rx_random_ports" "$k1" -eq $((k0 + 1)) || rc=1
assert_eq "i: C's entry for W" "$WM false" "$wm $wt" || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$w"; cat "$WLOG")"
ktap_result $rc "i: W's indirect bubble with a Random Port trailer ($RP) through the server: C answers at $WR (40 B, wire), nothing to $WM, rx_random_ports"

rc=0
topo_forge_bubble "$NAT2" "$WR1" "$C_IP:$C_PORT" "$W" "$C" -
m1=$(counter "$CLI4" rx_mapping)
read -r wm wt <<< "$(jpeer "$CLI4" "$W")"
ktap_info "i: a bubble \"from W\" at $WR1: C rx_mapping $m0 -> $m1, C's entry for W $wm trusted $wt"
assert_num "i: C rx_mapping" "$m1" -eq $((m0 + 1)) || rc=1
assert_eq "i: C's entry for W" "$WM false" "$wm $wt" || rc=1
ktap_result $rc "i: a bubble \"from W\" at $WR1 (another port): rx_mapping, W stays untrusted at $WM"

rc=0
: >"$TOPO_DIR/win.go"
wait_until 15 grep -q "^rp-echo-reply-rx .*seq=3" "$WLOG" || rc=1
read -r wm wt <<< "$(jpeer "$CLI4" "$W")"
v1=$(counter "$CLI4" rx_moved)
assert_ping "i: C -> W" "$CLI4" "$W" || rc=1
nx=$(grep -c "^rp-echo-reply-rx src=$CM on=random" "$WLOG")
nc=$(grep -c "^rp-echo-reply to=$CM" "$WLOG")
ktap_info "i: after W's bubble from $WR: C's entry for W $wm trusted $wt, rx_moved $v0 -> $v1; W's echo requests answered $nx/3, C's answered by W $nc"
assert_eq "i: C's entry for W (-j peers)" "$WR true" "$wm $wt" || rc=1
assert_num "i: C rx_moved" "$v1" -eq $((v0 + 1)) || rc=1
assert_num "i: W's echo requests answered at $WR" "$nx" -eq 3 || rc=1
assert_num "i: C's echo requests answered by W" "$nc" -ge 3 || rc=1
[ "$rc" = 0 ] || ktap_info "$(cat "$WLOG")"
ktap_result $rc "i: W's direct bubble from $WR passes C's NAT: C's entry for W moves there, trusted (teredoctl -j peers, rx_moved), ping6 W -> C and C -> W 3/3 at $WR"

rc=0
m1=$(counter "$CLI4" rx_mapping)
topo_forge_bubble "$NAT2" "$WR1" "$C_IP:$C_PORT" "$W" "$C" - -
m2=$(counter "$CLI4" rx_mapping)
v2=$(counter "$CLI4" rx_moved)
read -r wm wt <<< "$(jpeer "$CLI4" "$W")"
ktap_info "i: after trust, bubbles \"from W\" at $WR1: C rx_mapping $m1 -> $m2, rx_moved $v1 -> $v2, C's entry for W $wm trusted $wt"
assert_num "i: C rx_mapping" "$m2" -eq $((m1 + 2)) || rc=1
assert_num "i: C rx_moved" "$v2" -eq "$v1" || rc=1
assert_eq "i: C's entry for W" "$WR true" "$wm $wt" || rc=1
ktap_result $rc "i: after trust, bubbles \"from W\" at $WR1: rx_mapping, nothing moves (W stays at $WR)"
kill -TERM "$WIN_PID" 2>/dev/null
_topo_wait_gone 5 "$WIN_PID" || kill -KILL "$WIN_PID" 2>/dev/null

# ---------------------------- g, h: server load reduction (RFC 6081 §5.7)
elapsed "g, after i"
rc=$rc_g
lapse "$(talked_at "$t_g")"
read -r _ cp <<< "$(peer "$CLI4" "$P")"
read -r _ pc <<< "$(peer "$PUB" "$C")"
ktap_info "g: after $IDLE s: C's entry for P trusted $cp, P's for C $pc"
assert_eq "g: C's entry for P, stale" no "$cp" || rc=1
assert_eq "g: P's entry for C, stale" no "$pc" || rc=1
ktap_result $rc "g: C and P talked (ping6 3/3), then $IDLE s of nothing: both entries stale"

rc=0
t0=$(date +%s.%N)
m0=$(counter "$PUB" rx_mapping)
a0=$(counter "$PUB" tx_advertisements)
forge "$C" "$P" "$ADV" "$SOL"
sleep 0.3
m1=$(counter "$PUB" rx_mapping)
a1=$(counter "$PUB" tx_advertisements)
read -r pm pc <<< "$(peer "$PUB" "$C")"
ktap_info "g: forged at $SPOOF: P rx_mapping $m0 -> $m1, tx_advertisements $a0 -> $a1, P's entry for C $pm trusted $pc"
assert_num "g: rx_mapping" "$m1" -eq $((m0 + 2)) || rc=1
assert_num "g: tx_advertisements" "$a1" -eq "$a0" || rc=1
assert_eq "g: P's entry for C: still stale" no "$pc" || rc=1
assert_eq "g: P's entry for C: where it was" "$CM" "$pm" || rc=1
# The capture is read after the ping below: the ping must come before
# the entries' collection (60 s unused), and a slow guest (the debug
# kernel) can take seconds to decode it.
rc_forged=$rc

rc=0
t1=$(date +%s.%N)
s0=$(counter "$CLI4" tx_solicitations)
r0=$(counter "$CLI4" rx_advertisements)
f0=$(counter "$CLI4" slr_fallbacks)
a0=$(counter "$PUB" tx_advertisements)
assert_ping "g: C -> P after the idle" "$CLI4" "$P" || rc=1
t_g=$SECONDS
s1=$(counter "$CLI4" tx_solicitations)
r1=$(counter "$CLI4" rx_advertisements)
f1=$(counter "$CLI4" slr_fallbacks)
a1=$(counter "$PUB" tx_advertisements)
cp=$(jtrusted "$CLI4" "$P")
pc=$(jtrusted "$PUB" "$C")
ktap_info "g: C tx_solicitations $s0 -> $s1, rx_advertisements $r0 -> $r1, slr_fallbacks $f0 -> $f1; P tx_advertisements $a0 -> $a1; trusted: C's entry for P $cp, P's for C $pc"
assert_num "g: C tx_solicitations" "$s1" -ge $((s0 + 1)) || rc=1
assert_num "g: C rx_advertisements" "$r1" -ge $((r0 + 1)) || rc=1
assert_num "g: C slr_fallbacks" "$f1" -eq "$f0" || rc=1
assert_num "g: P tx_advertisements" "$a1" -ge $((a0 + 1)) || rc=1
assert_eq "g: C's entry for P (-j peers)" true "$cp" || rc=1
assert_eq "g: P's entry for C (-j peers)" true "$pc" || rc=1
ktap_result $rc "g: ping6 C -> P after the idle, 3/3: trusted again both ways (teredoctl -j peers), tx_solicitations, rx_advertisements, tx_advertisements, no fallback"

rc=$rc_forged
n=$(since "$t0" | awk -v s="${SPOOF%:*}" 'split($3, a, ":") && a[1] == s' | wc -l)
ktap_info "g: $n datagrams to $SPOOF since the forgery"
assert_num "g: datagrams to $SPOOF" "$n" -eq 0 || rc=1
ktap_result $rc "g: a forged advertisement and solicitation \"from C\" at $SPOOF: rx_mapping, P's entry for C not renewed, nothing answered"

# shellcheck disable=SC2016  # awk's fields
w=$(since_having "$t1" -v s="$PUB_IP:$PUB_PORT" -v t="$ADV" '$2 == s && $11 == t')
rc=0
ns=$(awk -v s="$CM" -v d="$PUB_IP:$PUB_PORT" -v c="$C" -v p="$P" -v t="$SOL" \
	'$2 == s && $3 == d && $5 == c && $6 == p && $7 == "bubble" && $4 == 46 && $11 == t' <<< "$w" | wc -l)
na=$(awk -v s="$PUB_IP:$PUB_PORT" -v d="$CM" -v c="$C" -v p="$P" -v t="$ADV" \
	'$2 == s && $3 == d && $5 == p && $6 == c && $7 == "bubble" && $4 == 46 && $11 == t' <<< "$w" | wc -l)
nsrv=$(server_bubbles "$w")
ktap_info "g: since the ping: C's solicitations $ns, P's advertisements $na, bubbles to or from the server $nsrv"
assert_num "g: C's direct bubble with $SOL" "$ns" -ge 1 || rc=1
assert_num "g: P's answer with $ADV" "$na" -ge 1 || rc=1
assert_num "g: bubbles to or from the server" "$nsrv" -eq 0 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$w")"
ktap_result $rc "g: wire: C's direct bubble carries $SOL, P's answer $ADV (46 B each), no bubble to or through the server"

# h: P drops what carries a Neighbor Discovery Option (a 46-byte UDP
# payload to its port: C sends it nothing else of that size).
elapsed "h"
rc=0
t_h=$(talked_at "$t_g")
ip netns exec "$PUB" nft -f - <<-EOF || rc=1
table ip slr {
	chain in {
		type filter hook input priority 0; policy accept;
		udp dport $PUB_PORT udp length 54 drop
	}
}
EOF
lapse "$t_h"
read -r _ cp <<< "$(peer "$CLI4" "$P")"
assert_eq "h: C's entry for P, stale" no "$cp" || rc=1
t2=$(date +%s.%N)
f0=$(counter "$CLI4" slr_fallbacks)
ping1 "$CLI4" "$P" || rc=1
t_h=$SECONDS
f1=$(counter "$CLI4" slr_fallbacks)
# shellcheck disable=SC2016  # awk's fields
w=$(since_having "$t2" -v s="$CM" -v d="$TOPO_SRV_IP:3544" \
	'$2 == s && $3 == d && $7 == "bubble"')
sol=$(awk -v s="$CM" -v d="$PUB_IP:$PUB_PORT" -v t="$SOL" \
	'$2 == s && $3 == d && $7 == "bubble" && $11 == t { print $1 }' <<< "$w")
ind=$(awk -v s="$CM" -v d="$TOPO_SRV_IP:3544" -v p="$P" \
	'$2 == s && $3 == d && $6 == p && $7 == "bubble" { print $1 }' <<< "$w")
ns=$(grep -c . <<< "$sol")
ni=$(grep -c . <<< "$ind")
gaps=$(awk 'NR > 1 { printf "%.1f ", $1 - p } { p = $1 }' <<< "$sol")
ktap_info "h: solicitations $ns (gaps ${gaps:-none} s), indirect bubbles $ni, slr_fallbacks $f0 -> $f1"
assert_num "h: solicitations" "$ns" -eq 3 || rc=1
assert_num "h: indirect bubbles" "$ni" -ge 1 || rc=1
assert_num "h: slr_fallbacks" "$f1" -eq $((f0 + 1)) || rc=1
awk -v g="$gaps" 'BEGIN { n = split(g, a, " ")
	for (i = 1; i <= n; i++) if (a[i] < 1.5) exit 1 }' || {
	rc=1; ktap_info "h: solicitations less than 2 s apart"; }
awk -v a="$(head -1 <<< "$ind")" -v b="$(tail -1 <<< "$sol")" \
	'BEGIN { exit !(a + 0 > b + 0) }' || {
	rc=1; ktap_info "h: an indirect bubble before the last solicitation"; }
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$w")"
ktap_result $rc "h: a peer that does not answer: 3 solicitations 2 s apart, then the indirect bubble through the server (slr_fallbacks), ping6 answered"

rc=0
lapse "$(talked_at "$t_h")"
read -r _ cp <<< "$(peer "$CLI4" "$P")"
assert_eq "h: C's entry for P, stale again" no "$cp" || rc=1
t3=$(date +%s.%N)
ping1 "$CLI4" "$P" || rc=1
# shellcheck disable=SC2016  # awk's fields
w=$(since_having "$t3" -v s="$CM" -v d="$TOPO_SRV_IP:3544" \
	'$2 == s && $3 == d && $7 == "bubble"')
ns=$(awk -v s="$CM" -v t="$SOL" '$2 == s && $7 == "bubble" && $11 == t' <<< "$w" | wc -l)
ni=$(awk -v s="$CM" -v d="$TOPO_SRV_IP:3544" -v p="$P" \
	'$2 == s && $3 == d && $6 == p && $7 == "bubble"' <<< "$w" | wc -l)
ktap_info "h: the next lapse: solicitations $ns, indirect bubbles $ni"
assert_num "h: solicitations" "$ns" -eq 0 || rc=1
assert_num "h: indirect bubbles" "$ni" -ge 1 || rc=1
ip netns exec "$PUB" nft delete table ip slr || rc=1
ktap_result $rc "h: the next lapse of its trust: no solicitation, the indirect bubble at once, ping6 answered"

# ------------------------- e, f: the kinds of symmetric NAT (RFC 6081 §5.4, §5.5)
# S again behind $NAT, at a fixed port, the NAT rebuilt each time.
E_PORT=40061
F_PORT=40062
SEQ_BASE=30000

# nat_port_preserving: a mapping per destination; the first one of an
# inside address:port keeps its port (snat without a port: kept where
# free), the next ones cannot (a NAT that gives a public port to one
# destination only) and get a random one out of 20000-29999.  The set
# remembers which inside endpoints have had their first mapping.
nat_port_preserving() {
	ip netns exec "$NAT" nft -f - <<-EOF
	flush chain ip topo_nat postrouting
	add set ip topo_nat pp_seen { type ipv4_addr . inet_service; flags dynamic,timeout; timeout 10m; }
	add rule ip topo_nat postrouting oifname "e0" ip saddr . udp sport @pp_seen snat to $TOPO_NAT_IP:20000-29999 fully-random
	add rule ip topo_nat postrouting oifname "e0" add @pp_seen { ip saddr . udp sport } snat to $TOPO_NAT_IP
	add rule ip topo_nat postrouting oifname "e0" masquerade
	EOF
}

# nat_sequential: a mapping per destination, each new one (whoever's)
# at the next public port: $SEQ_BASE, +1, ... (numgen inc counts the
# flows the NAT chain sees, their first packets; a map makes it a port
# in network byte order).
nat_sequential() {
	local i m=""

	for i in $(seq 0 255); do
		m+="$i : $((SEQ_BASE + i)), "
	done
	ip netns exec "$NAT" nft -f - <<-EOF
	flush chain ip topo_nat postrouting
	add rule ip topo_nat postrouting oifname "e0" meta l4proto udp snat to $TOPO_NAT_IP : numgen inc mod 256 map { ${m%, } }
	add rule ip topo_nat postrouting oifname "e0" masquerade
	EOF
}

# rs_ports SINCE: "P1 P2", the NAT's public ports of S's first datagrams
# to the primary and to the secondary server after SINCE (epoch s).
rs_ports() {
	wire_now | awk -v t="$1" -v n="$TOPO_NAT_IP" -v a="$TOPO_SRV_IP:3544" \
		-v b="$TOPO_SRV_IP2:3544" '
		$1 >= t && split($2, s, ":") && s[1] == n {
			if ($3 == a && p1 == "") p1 = s[2]
			if ($3 == b && p2 == "") p2 = s[2]
		}
		END { print (p1 == "" ? "-" : p1), (p2 == "" ? "-" : p2) }'
}

# nat_round LETTER NAME PORT KIND: S at PORT behind the NAT as it is now:
# qualified with nat KIND (log, teredoctl show, ip -d link show), the
# wire of its two-server test (RS_P1, RS_P2), traffic with the native
# host through our relay and with P both ways.
nat_round() {
	local r=$1 name=$2 port=$3 kind=$4 since rc out pm pt

	since=$(date +%s.%N)
	start "$CLI" "$name" "$port" --default-route ||
		ktap_info "$r: cannot create S"
	rc=0
	qualified "$CLI" "$name" || rc=1
	S=$(_topo_teredo_addr "$CLI")
	SM=$(mapping "$S")
	ktap_info "$r: S $S (embeds $SM)"
	s_reports "$r: S" "$kind" "$name" || rc=1
	ktap_result $rc "$r: S qualified: nat $kind, mapped $SM (log, teredoctl show, ip -d link show)"

	read -r RS_P1 RS_P2 <<< "$(rs_ports "$since")"
	ktap_info "$r: S's RS left the NAT from $TOPO_NAT_IP:$RS_P1 (primary) and :$RS_P2 (secondary)"

	assert_ping "$r: S -> native host" "$CLI" "$TOPO_HOST_IP6"
	ktap_result $? "$r: S reaches the native host $TOPO_HOST_IP6 through our relay"

	rc=0
	assert_ping "$r: S -> P" "$CLI" "$P" || rc=1
	read -r pm pt <<< "$(peer "$PUB" "$S")"
	ktap_info "$r: P's entry for S: $pm trusted $pt"
	assert_eq "$r: P's entry for S: trusted" yes "$pt" || rc=1
	assert_eq "$r: P's entry for S: the NAT's address" "$TOPO_NAT_IP" "${pm%:*}" || rc=1
	ip netns exec "$PUB" "$CTL" peers flush teredo || rc=1
	ip netns exec "$CLI" "$CTL" peers flush teredo || rc=1
	assert_ping "$r: P -> S" "$PUB" "$S" || rc=1
	ktap_result $rc "$r: ping6 S -> P and, tables flushed, P -> S, 3/3 each; P trusts S at $pm"
	stop "$CLI"
}

elapsed "e"
stop "$CLI"
rc=0
nat_port_preserving || rc=1
TOPO_PROBE_PORT=5061 topo_nat_probe || rc=1
ktap_info "e: NAT probe: $TOPO_CLI_IP:5061 -> $TOPO_SRV_IP:7000 seen as $TOPO_PROBE_SRV, -> $TOPO_RLY_IP:7000 seen as $TOPO_PROBE_RLY"
assert_eq "e: the first mapping keeps the port" "$TOPO_NAT_IP:5061" "$TOPO_PROBE_SRV" || rc=1
assert_eq "e: the second: the NAT's address" "$TOPO_NAT_IP" "${TOPO_PROBE_RLY%:*}" || rc=1
assert_num "e: the second: another port" "${TOPO_PROBE_RLY#*:}" -ge 20000 || rc=1
assert_num "e: the second: another port" "${TOPO_PROBE_RLY#*:}" -le 29999 || rc=1
assert_eq "e: datagrams let in (from the flow's port only)" \
	"$TOPO_RLY_IP:7000" "$TOPO_PROBE_SEEN" || rc=1
ktap_result $rc "e: the NAT is port-preserving symmetric: $TOPO_CLI_IP:5061 seen as $TOPO_PROBE_SRV, then $TOPO_PROBE_RLY"

nat_round e cli-e "$E_PORT" "symmetric (port-preserving)"
rc=0
assert_eq "e: RS to the primary: the inside port kept" "$E_PORT" "$RS_P1" || rc=1
assert_ne "e: RS to the secondary: another port" "$E_PORT" "$RS_P2" || rc=1
assert_ne "e: RS to the secondary seen" "-" "$RS_P2" || rc=1
ktap_result $rc "e: wire: S's RS leave the NAT from :$RS_P1 (= S's port $E_PORT) to $TOPO_SRV_IP, from :$RS_P2 to $TOPO_SRV_IP2"

# ------- j: our random ports behind a port-preserving NAT (§5.4, send side)
# s_start ROUND NAME PORT: S as NAME at PORT behind $NAT as it is now,
# qualified; its address in S, the mapping that embeds in SM.
s_start() {
	start "$CLI" "$2" "$3" --default-route || ktap_info "$1: cannot create S"
	qualified "$CLI" "$2" || ktap_info "$1: S did not qualify"
	S=$(_topo_teredo_addr "$CLI")
	SM=$(mapping "$S")
}

# S again behind e's NAT, at a port of its own.
elapsed "j"
s_start j cli-j "$J_PORT"

# jport NS ADDR: the random local port NS's client talks to ADDR from
# ("local-port" of teredoctl -j peers), empty for none.
jport() {
	local p

	p=$(ip netns exec "$1" "$CTL" -j peers teredo |
		grep -o "\"peer\":\"$2\",[^}]*" | grep -o '"local-port":[0-9]*')
	echo "${p#*:}"
}

# udp_sockets NS: UDP sockets in NS (the kernel's own too).
udp_sockets() {
	ip netns exec "$1" awk 'NR > 1' /proc/net/udp | wc -l
}

# j_wire T PEER6 FROM: the wire since T once the peer's 3 echo requests
# or replies from FROM reached S's random port R (tcpdump may lag), and
# what it shows: S's indirect bubbles to the server for PEER6 that name R
# in a Random Port trailer (§4.5's type 05) in NI; datagrams from the NAT
# at R to FROM in ND, from the NAT at another port to FROM's address in
# NX; from FROM to R in NC.
j_wire() {
	local t=$1 p6=$2 from=$3 rp w

	rp=$(printf '0502%04x' "${R:-0}")
	# shellcheck disable=SC2016  # awk's fields
	w=$(since_having "$t" -v s="$from" -v d="$TOPO_NAT_IP:${R:-0}" \
		'$2 == s && $3 == d && $7 == "data" { n++ } END { if (n >= 3) print n }')
	# shellcheck disable=SC2016  # awk's fields
	NI=$(awk -v s="$SM" -v d="$TOPO_SRV_IP:3544" -v s6="$S" -v x="$p6" \
		-v t="$rp" '$2 == s && $3 == d && $5 == s6 && $6 == x &&
		$7 == "bubble" && index($11, t)' <<< "$w" | wc -l)
	# shellcheck disable=SC2016  # awk's fields
	ND=$(awk -v s="$TOPO_NAT_IP:$R" -v d="$from" '$2 == s && $3 == d' <<< "$w" | wc -l)
	# shellcheck disable=SC2016  # awk's fields
	NX=$(awk -v n="$TOPO_NAT_IP" -v r="$R" -v d="${from%:*}" \
		'split($2, a, ":") && split($3, b, ":") && a[1] == n &&
		a[2] != r && b[1] == d' <<< "$w" | wc -l)
	# shellcheck disable=SC2016  # awk's fields
	NC=$(awk -v s="$from" -v d="$TOPO_NAT_IP:$R" '$2 == s && $3 == d' <<< "$w" | wc -l)
	J_WIRE=$w
}

# j_wire_ok P [ROUND]: j_wire's counts as they must be with peer P (its
# name), and S's tx_random_ports (TXR); 0 when they are.
j_wire_ok() {
	local rc=0 r=${2:-j}

	assert_num "$r: S's indirect bubble with its port" "$NI" -ge 1 || rc=1
	assert_num "$r: S -> $1 from its random port" "$ND" -ge 4 || rc=1
	assert_num "$r: S -> $1 from another port" "$NX" -eq 0 || rc=1
	assert_num "$r: $1 -> S at the random port" "$NC" -ge 4 || rc=1
	assert_num "$r: S tx_random_ports" "$TXR" -ge 1 || rc=1
	return $rc
}

rc=0
CM=$TOPO_NAT2_IP:$C_PORT
n=$(udp_sockets "$CLI")
ktap_info "j: S $S (embeds $SM): UDP sockets in its namespace: $n"
assert_num "j: teredod's and the 8 random ports" "$n" -ge 9 || rc=1
ip netns exec "$CLI" "$CTL" peers flush teredo || rc=1
ip netns exec "$CLI4" "$CTL" peers flush teredo || rc=1
t=$(date +%s.%N)
tx0=$(counter "$CLI" tx_random_ports)
rx0=$(counter "$CLI4" rx_random_ports)
assert_ping "j: S -> C" "$CLI" "$C" || rc=1
R=$(jport "$CLI" "$C")
TXR=$(($(counter "$CLI" tx_random_ports) - tx0))
RXR=$(($(counter "$CLI4" rx_random_ports) - rx0))
read -r cm ct <<< "$(jpeer "$CLI" "$C")"
read -r sm st <<< "$(jpeer "$CLI4" "$S")"
j_wire "$t" "$C" "$CM"
ktap_info "j: S talks to C from :$R; S's entry for C $cm trusted $ct; C's for S $sm trusted $st"
ktap_info "j: S's indirect bubbles naming :$R: $NI; S -> C from :$R $ND, from another port $NX; C -> S at :$R $NC; tx_random_ports +$TXR, C's rx_random_ports +$RXR"
assert_ne "j: S's random port for C" "" "$R" || rc=1
assert_eq "j: S's entry for C" "$CM true" "$cm $ct" || rc=1
assert_eq "j: C's entry for S" "$TOPO_NAT_IP:$R true" "$sm $st" || rc=1
j_wire_ok C || rc=1
assert_num "j: C rx_random_ports" "$RXR" -ge 1 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$J_WIRE")"
ktap_result $rc "j: S (port-preserving symmetric NAT) -> C (port-restricted NAT): from a random port :$R the NAT keeps, told in S's indirect bubble (wire); ping6 3/3, both trust, C at :$R"

# S answers an RFC 6081 peer that starts: W again (the scripted Windows
# client, no NAT), at other ports, learning where S talks from.  Our C
# cannot start with S: its indirect bubbles come from a keyed link-local
# source (Miredo's way, client_send.c), which hides the address S would
# need to tell C its port through C's server.
# w_starts ROUND PORT RPORT: W (no NAT, its address embeds $W_IP:PORT,
# its random port RPORT; the address in WX, the log in $WLOG.ROUND)
# starts with S, learns where S talks from, and sends 3 echo requests
# there; 0 once all three were answered.  W lives 90 s at most and goes
# with its round.
w_starts() {
	local rc=0

	WX=$(python3 -I -S "$PEERPY" addr "$TOPO_SRV_IP" "$W_IP" "$2")
	ip netns exec "$WIN" python3 -I -S "$PEERPY" randport \
		--bind "$W_IP:$2" --random-port "$3" --server "$TOPO_SRV_IP" \
		--peer6 "$S" --to learn --seconds 90 >"$WLOG.$1" 2>&1 &
	WIN_PID=$!
	wait_until 25 grep -q "^rp-echo-reply-rx .*seq=3" "$WLOG.$1" || rc=1
	kill -TERM "$WIN_PID" 2>/dev/null
	return $rc
}

rc=0
JW_PORT=40080
JW_RPORT=40081
t=$(date +%s.%N)
tx0=$(counter "$CLI" tx_random_ports)
w_starts j "$JW_PORT" "$JW_RPORT" || rc=1
WJ=$WX
R=$(jport "$CLI" "$WJ")
TXR=$(($(counter "$CLI" tx_random_ports) - tx0))
read -r wm wt <<< "$(jpeer "$CLI" "$WJ")"
j_wire "$t" "$WJ" "$W_IP:$JW_RPORT"
ktap_info "j: W $WJ -> S: S talks to W from :$R; S's entry for W $wm trusted $wt; S's indirect bubbles naming :$R: $NI; S -> W from :$R $ND, from another port $NX; W -> S at :$R $NC; tx_random_ports +$TXR"
assert_ne "j: S's random port for W" "" "$R" || rc=1
assert_eq "j: S's entry for W" "$W_IP:$JW_RPORT true" "$wm $wt" || rc=1
j_wire_ok W || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$J_WIRE"; cat "$WLOG.j")"
ktap_result $rc "j: W (RFC 6081 §5.4 itself) starts with S: S answers from a random port :$R and tells it through the server (wire); W's 3 echo requests answered from there"

rc=0
stop "$CLI"
n=$(udp_sockets "$CLI")
ktap_info "j: S's device deleted: UDP sockets left in its namespace: $n"
assert_num "j: UDP sockets left" "$n" -eq 0 || rc=1
ktap_result $rc "j: S's device deleted: its random ports closed with it"

elapsed "f"
rc=0
nat_sequential || rc=1
# A port of its own: e's probe flows may still be in the NAT's table.
TOPO_PROBE_PORT=5062 topo_nat_probe || rc=1
p1=${TOPO_PROBE_SRV#*:} p2=${TOPO_PROBE_RLY#*:}
ktap_info "f: NAT probe: $TOPO_CLI_IP:5062 -> $TOPO_SRV_IP:7000 seen as $TOPO_PROBE_SRV, -> $TOPO_RLY_IP:7000 seen as $TOPO_PROBE_RLY"
assert_eq "f: the first mapping: the NAT's address" "$TOPO_NAT_IP" "${TOPO_PROBE_SRV%:*}" || rc=1
assert_eq "f: the second: the NAT's address" "$TOPO_NAT_IP" "${TOPO_PROBE_RLY%:*}" || rc=1
assert_num "f: the first: a port of the NAT's sequence" "$p1" -ge "$SEQ_BASE" || rc=1
assert_num "f: the second port follows the first" "$p2" -eq $((p1 + 1)) || rc=1
assert_eq "f: datagrams let in (from the flow's port only)" \
	"$TOPO_RLY_IP:7000" "$TOPO_PROBE_SEEN" || rc=1
ktap_result $rc "f: the NAT is sequential symmetric: $TOPO_CLI_IP:5062 seen as $TOPO_PROBE_SRV, then $TOPO_PROBE_RLY"

nat_round f cli-f "$F_PORT" "symmetric (sequential)"
rc=0
assert_num "f: RS to the primary: a NAT port" "$RS_P1" -ge "$SEQ_BASE" || rc=1
assert_num "f: RS to the secondary: the next one" "$RS_P2" -eq $((RS_P1 + 1)) || rc=1
ktap_result $rc "f: wire: S's RS leave the NAT from :$RS_P1 to $TOPO_SRV_IP, from :$RS_P2 (the next port) to $TOPO_SRV_IP2"

# ------------- k: port prediction behind a sequential NAT (§5.5)
# S again behind f's NAT, at a port of its own.
elapsed "k"
stop "$CLI"
s_start k cli-k "$K_PORT"

# k_rs X: solicitations (to ff02::2) in $J_WIRE from the NAT at :X-1 to
# the primary (KL) and at :X+1 to the secondary (KU): the echo test
# around X.
k_rs() {
	# shellcheck disable=SC2016  # awk's fields
	KL=$(awk -v s="$TOPO_NAT_IP:$(($1 - 1))" -v d="$TOPO_SRV_IP:3544" \
		'$2 == s && $3 == d && $6 == "ff02::2"' <<< "$J_WIRE" | wc -l)
	# shellcheck disable=SC2016  # awk's fields
	KU=$(awk -v s="$TOPO_NAT_IP:$(($1 + 1))" -v d="$TOPO_SRV_IP2:3544" \
		'$2 == s && $3 == d && $6 == "ff02::2"' <<< "$J_WIRE" | wc -l)
}

rc=0
ip netns exec "$CLI4" "$CTL" peers flush teredo || rc=1
t=$(date +%s.%N)
tt0=$(counter "$CLI" tx_port_tests)
pp0=$(counter "$CLI" port_predictions)
tx0=$(counter "$CLI" tx_random_ports)
rx0=$(counter "$CLI4" rx_random_ports)
assert_ping "k: S -> C" "$CLI" "$C" || rc=1
LP=$(jport "$CLI" "$C")
TT=$(($(counter "$CLI" tx_port_tests) - tt0))
PP=$(($(counter "$CLI" port_predictions) - pp0))
TXR=$(($(counter "$CLI" tx_random_ports) - tx0))
RXR=$(($(counter "$CLI4" rx_random_ports) - rx0))
read -r cm ct <<< "$(jpeer "$CLI" "$C")"
read -r sm st <<< "$(jpeer "$CLI4" "$S")"
X=${sm##*:}
R=$X j_wire "$t" "$C" "$CM"
k_rs "${X:-0}"
ktap_info "k: S $S (embeds $SM) talks to C from its port :$LP, seen as :$X; S's entry for C $cm trusted $ct; C's for S $sm trusted $st"
ktap_info "k: solicitations from :$((X - 1)) to the primary $KL, from :$((X + 1)) to the secondary $KU; indirect bubbles naming :$X $NI; S -> C from :$X $ND, from another port $NX; C -> S at :$X $NC; tx_port_tests +$TT, port_predictions +$PP, tx_random_ports +$TXR, C's rx_random_ports +$RXR"
assert_ne "k: S's random port for C" "" "$LP" || rc=1
assert_num "k: C's entry for S: a port of the NAT's sequence" "${X:-0}" -ge "$SEQ_BASE" || rc=1
assert_eq "k: C's entry for S" "$TOPO_NAT_IP:$X true" "$sm $st" || rc=1
assert_eq "k: S's entry for C" "$CM true" "$cm $ct" || rc=1
assert_num "k: the solicitation to the primary just before" "$KL" -ge 1 || rc=1
assert_num "k: the solicitation to the secondary just after" "$KU" -ge 1 || rc=1
R=$X j_wire_ok C k || rc=1
assert_num "k: S tx_port_tests" "$TT" -ge 1 || rc=1
assert_num "k: S port_predictions" "$PP" -ge 1 || rc=1
assert_num "k: C rx_random_ports" "$RXR" -ge 1 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$J_WIRE")"
ktap_result $rc "k: S (sequential symmetric NAT) -> C (port-restricted NAT): solicitations from :$((X - 1)) and :$((X + 1)) around the direct bubble, :$X named in S's indirect bubble (wire); ping6 3/3, both trust, C at :$X"

# W (scripted, RFC 6081 itself, no NAT) starts with S: S answers its
# indirect bubble with the test around its direct bubble to W's random
# port, and names the guess in an indirect bubble once the answers are
# in (predict.c's deferred one).
rc=0
KW_PORT=40082
KW_RPORT=40083
t=$(date +%s.%N)
pp0=$(counter "$CLI" port_predictions)
tx0=$(counter "$CLI" tx_random_ports)
w_starts k "$KW_PORT" "$KW_RPORT" || rc=1
WK=$WX
PP=$(($(counter "$CLI" port_predictions) - pp0))
TXR=$(($(counter "$CLI" tx_random_ports) - tx0))
read -r wm wt <<< "$(jpeer "$CLI" "$WK")"
X=$(grep -o "^rp-echo-reply-rx src=$TOPO_NAT_IP:[0-9]*" "$WLOG.k" | head -1)
X=${X##*:}
R=$X j_wire "$t" "$WK" "$W_IP:$KW_RPORT"
k_rs "${X:-0}"
ktap_info "k: W $WK -> S: answered from :$X; S's entry for W $wm trusted $wt; solicitations from :$((X - 1)) to the primary $KL, from :$((X + 1)) to the secondary $KU; indirect bubbles naming :$X $NI; S -> W from :$X $ND, from another port $NX; W -> S at :$X $NC; port_predictions +$PP, tx_random_ports +$TXR"
assert_num "k: S answers W from a port of the NAT's sequence" "${X:-0}" -ge "$SEQ_BASE" || rc=1
assert_eq "k: S's entry for W" "$W_IP:$KW_RPORT true" "$wm $wt" || rc=1
assert_num "k: the solicitation to the primary just before" "$KL" -ge 1 || rc=1
assert_num "k: the solicitation to the secondary just after" "$KU" -ge 1 || rc=1
R=$X j_wire_ok W k || rc=1
assert_num "k: S port_predictions" "$PP" -ge 1 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$J_WIRE"; cat "$WLOG.k")"
ktap_result $rc "k: W (RFC 6081) starts with S: the test around S's answer to W's random port, :$X named in S's indirect bubble once it is in (wire); W's 3 echo requests answered from :$X"

# An echo test left unanswered: the secondary's solicitations dropped.
rc=0
ip netns exec "$NAT" nft -f - <<-EOF || rc=1
add table ip k_drop
add chain ip k_drop out { type filter hook forward priority 0; }
add rule ip k_drop out ip daddr $TOPO_SRV_IP2 udp dport 3544 drop
EOF
ip netns exec "$PUB" "$CTL" peers flush teredo || rc=1
t=$(date +%s.%N)
tt0=$(counter "$CLI" tx_port_tests)
pp0=$(counter "$CLI" port_predictions)
assert_ping "k: S -> P" "$CLI" "$P" || rc=1
TT=$(($(counter "$CLI" tx_port_tests) - tt0))
PP=$(($(counter "$CLI" port_predictions) - pp0))
read -r pm pt <<< "$(peer "$PUB" "$S")"
X=${pm##*:}
# shellcheck disable=SC2016  # awk's fields
J_WIRE=$(since_having "$t" -v s="$PUB_IP:$PUB_PORT" -v d="$TOPO_NAT_IP:$X" \
	'$2 == s && $3 == d && $7 == "data" { n++ } END { if (n >= 3) print n }')
k_rs "${X:-0}"
# shellcheck disable=SC2016  # awk's fields
read -r NI NN <<< "$(awk -v s="$SM" -v d="$TOPO_SRV_IP:3544" -v s6="$S" \
	-v x="$P" '$2 == s && $3 == d && $5 == s6 && $6 == x && $7 == "bubble" {
		n++; if (index($11, "0502")) m++ }
	END { print n + 0, m + 0 }' <<< "$J_WIRE")"
ip netns exec "$NAT" nft delete table ip k_drop || rc=1
ktap_info "k: secondary dropped: P's entry for S $pm trusted $pt; solicitations from :$((X - 1)) to the primary $KL, from :$((X + 1)) to the secondary $KU; S's indirect bubbles for P $NI, naming a port $NN; tx_port_tests +$TT, port_predictions +$PP"
assert_eq "k: P's entry for S: trusted" yes "$pt" || rc=1
assert_eq "k: P's entry for S: the NAT's address" "$TOPO_NAT_IP" "${pm%:*}" || rc=1
assert_num "k: the solicitation to the primary" "$KL" -ge 1 || rc=1
assert_num "k: none to the secondary got out" "$KU" -eq 0 || rc=1
assert_num "k: S's indirect bubbles for P" "$NI" -ge 1 || rc=1
assert_num "k: none names a port" "$NN" -eq 0 || rc=1
assert_num "k: S tx_port_tests" "$TT" -ge 1 || rc=1
assert_num "k: S port_predictions" "$PP" -eq 0 || rc=1
[ "$rc" = 0 ] || ktap_info "$(head -40 <<< "$J_WIRE")"
ktap_result $rc "k: an unanswered test (the secondary's solicitation dropped): no port named, S -> P 3/3 on its nonce alone, P trusts S at :$X"

elapsed "end"
stop "$CLI" "$PUB" "$CLI2" "$CLI3" "$CLI4" "$CLI5"
ktap_finish
