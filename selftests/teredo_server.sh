#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Server mode (RFC 4380 §5.3, protocol.md §6) against crafted datagrams:
# both sockets and the refusals of addresses that are not ours; RS -> RA
# byte for byte (nonce echoed only when the RS had one, origin indication,
# one /64 prefix, MTU from the device, link-local source); the cone rule
# (scenario 8); relaying to a client behind an origin indication, from the
# primary address; echo tests out to native IPv6; every rejection of
# scenario 17 counted by reason, several from a raw (spoofing) sender; the
# per-source RS rate limit under a flood while another client qualifies;
# what the stack routes into the device; unload under an RS flood.
#
#   ext:  198.18.0.10 (client, :40000), .11/.12/.13 (other senders),
#         .20 (a relay), 10.9.9.9 (non-global)   -- teredo_peer.py
#   srv:  ts, mode server, 198.18.0.1 + 198.18.0.2 on veth0;
#         2001:db8:1::1 on veth1, IPv6 forwarding on
#   host: 2001:db8:1::30 (native IPv6)

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

CTL=${TEREDO_TOP:-$TEREDO_SELFTEST_DIR/..}/build/tools/teredoctl
S1=198.18.0.1
S2=198.18.0.2
CLIENT=198.18.0.10
CPORT=40000
RELAY=198.18.0.20
HOST6=2001:db8:1::30

teredo_load
[ -x "$CTL" ] || ktap_skip_all "teredoctl not built"
command -v tcpdump >/dev/null || ktap_skip_all "tcpdump not found"
ktap_plan 62

peer() { python3 -I -S "$PEERPY" "$@"; }
# xpeer ARGS...: teredo_peer.py in the "Internet" namespace.
xpeer() { ip netns exec "$ext" python3 -I -S "$PEERPY" "$@"; }

ext="" srv="" host=""
ns_create ext srv host
ip link add veth0 netns "$ext" type veth peer name veth0 netns "$srv"
ip link add veth1 netns "$srv" type veth peer name veth1 netns "$host"
for a in 198.18.0.10 198.18.0.11 198.18.0.12 198.18.0.13 $RELAY \
	198.18.0.{30..41}; do
	ip -n "$ext" addr add "$a/24" dev veth0
done
ip -n "$ext" addr add 10.9.9.9/24 dev veth0
for a in $S1 $S2 198.18.0.5; do
	ip -n "$srv" addr add "$a/24" dev veth0
done
ip -n "$srv" addr add 10.9.9.1/24 dev veth0
ip -n "$srv" addr add 2001:db8:1::1/64 dev veth1 nodad
ip -n "$host" addr add "$HOST6/64" dev veth1 nodad
for ns in "$ext" "$srv" "$host"; do
	ip -n "$ns" link set veth0 up 2>/dev/null
	ip -n "$ns" link set veth1 up 2>/dev/null
done
# Forwarding carries the echo tests; accept_local lets the raw sender's
# datagrams that claim our own addresses in (the loop test).
ip netns exec "$srv" sysctl -q -w net.ipv6.conf.all.forwarding=1 \
	net.ipv4.conf.all.accept_local=1 net.ipv4.conf.veth0.accept_local=1 \
	net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.veth0.rp_filter=0

ctl() { ip netns exec "$srv" "$CTL" "$@"; }

# dev_stat NAME: a counter of ts from sysfs (rx_dropped, tx_packets...).
dev_stat() {
	ip netns exec "$srv" cat "/sys/class/net/ts/statistics/$1"
}

# counter NAME: a counter of ts, from teredoctl's JSON (no Python: the
# guest starts it slowly).
counter() {
	ctl -j show ts | grep -o "\"$1\": *[0-9]*" | grep -o '[0-9]*$'
}

# ------------------------------------------------ creation (issue #5)

check_ok "server on $S1 (local2 defaults to $S2)" \
	ip -n "$srv" link add ts type teredo mode server local $S1
ns_quiet_ipv6 "$srv" ts
ip -n "$srv" link set ts up
bound=$(ip netns exec "$srv" ss -Huln 'sport = :3544' | awk '{ print $4 }' |
	sort | tr '\n' ' ')
check_eq "UDP 3544 bound on both addresses" "$S1:3544 $S2:3544 " "$bound"
check_fails_with "local2 that is not ours refused" \
	"local2: not an address of this host" \
	ip -n "$srv" link add ts2 type teredo mode server local 198.18.0.5 \
	local2 198.18.0.99
check_fails_with "local2 default (local + 1) that is not ours refused" \
	"local2: not an address of this host" \
	ip -n "$srv" link add ts2 type teredo mode server local 198.18.0.5
check_fails_with "local that is not ours refused" \
	"local: not an address of this host" \
	ip -n "$srv" link add ts2 type teredo mode server local 198.18.0.99 \
	local2 198.18.0.5
check_fails_with "a second server on the same addresses refused" \
	"local: port 3544 already in use" \
	ip -n "$srv" link add ts2 type teredo mode server local $S1
check_ok "no device left behind by the refusals" link_absent "$srv" ts2

CAP=$(mktemp -d)
at_exit "rm -rf $CAP"
ip netns exec "$srv" tcpdump -U -n -i veth0 -w "$CAP/srv.pcap" udp \
	>/dev/null 2>&1 &
at_exit "kill $!"
sleep 1

# wire SRC DST LEN [KIND]: how many datagrams SRC -> DST (IP:PORT) with
# a LEN-byte UDP payload (and of KIND: bubble, origin-bubble, data) the
# capture holds, decoded by teredo_peer.py.
wire() {
	sleep 0.3
	peer pcap "$CAP/srv.pcap" | awk -v s="$1" -v d="$2" -v l="$3" \
		-v k="${4:-}" '$2 == s && $3 == d && $4 == l && (k == "" || $7 == k)' |
		grep -c .
}

# ------------------------------------------------ RS -> RA (§2.9, #7)

out=$(xpeer rs --bind $CLIENT:$CPORT \
	--to $S1 --wait 1)
ktap_info "$out"
check_eq "RS with a nonce: one RA from $S1:3544, 117 B, byte for byte as §5.3.2" \
	"1 1" "$(grep -c '^ra ' <<< "$out") $(grep -c \
		"^ra src=$S1:3544 len=117 auth=1 nonce=0000544500000001 match=1\$" \
		<<< "$out")"
check_eq "RA from $S1:3544, 117 B on the wire" 1 \
	"$(wire $S1:3544 $CLIENT:$CPORT 117)"

out=$(xpeer rs --bind $CLIENT:$CPORT \
	--to $S1 --no-auth --wait 1)
ktap_info "$out"
check_eq "RS without a nonce: RA without authentication (no stale nonce), 104 B" \
	1 "$(grep -c "^ra src=$S1:3544 len=104 auth=0 nonce=- match=1\$" <<< "$out")"

ip -n "$srv" link set ts mtu 1400
out=$(xpeer rs --bind $CLIENT:$CPORT \
	--to $S1 --mtu 1400 --wait 1)
check_ok "RA's MTU option follows the device MTU (1400)" \
	grep -q 'match=1' <<< "$out"
ip -n "$srv" link set ts mtu 1280
check_num "tx_ra counted the three" "$(counter tx_ra)" -eq 3

# ------------------------------------------------ cone rule (#8)

# rs_from ADDR ARGS...: where the answer to an RS comes from.
rs_from() {
	xpeer rs --bind 198.18.0.11:5000 \
		--server $S1 "$@" --wait 1 |
		awk '$1 == "ra" && /match=1/ { sub("src=", "", $2); print $2 }'
}
check_eq "cone RS to $S1 answered from $S2" "$S2:3544" "$(rs_from --to $S1 --cone)"
check_eq "cone RS to $S2 answered from $S1" "$S1:3544" "$(rs_from --to $S2 --cone)"
check_eq "non-cone RS to $S2 answered from $S2" "$S2:3544" "$(rs_from --to $S2)"
check_eq "non-cone RS to $S1 answered from $S1" "$S1:3544" "$(rs_from --to $S1)"

# ------------------------------------------------ relaying to a client

xpeer client --bind $CLIENT:$CPORT \
	--server $S1 --seconds 3600 > "$CAP/client.log" 2>&1 &
at_exit "kill $!"
TADDR=$(peer addr $S1 $CLIENT $CPORT)
wait_until 20 grep -q client-ready "$CAP/client.log" ||
	ktap_bail "scripted client did not start"
ktap_info "client $CLIENT:$CPORT is $TADDR"

# A relay's indirect bubble (link-local source, rule 6), sent to the
# secondary: relayed from the primary with the relay's origin.
before=$(counter tx_forwarded)
xpeer send bubble --bind $RELAY:3544 --to $S2:3544 --src6 fe80::4d4:9a56:e2c6:5483 \
	--dst6 "$TADDR" >/dev/null
check_eq "indirect bubble relayed to the client from $S1:3544, 48 B, origin $RELAY:3544" \
	1 "$(wire $S1:3544 $CLIENT:$CPORT 48 origin-bubble)"
wait_until 5 grep -q "client-rx.*origin=$RELAY:3544" "$CAP/client.log"
check_ok "client saw the origin indication $RELAY:3544" \
	grep -q "client-rx.*bubble=1 origin=$RELAY:3544" "$CAP/client.log"
check_num "tx_forwarded counted it" "$(( $(counter tx_forwarded) - before ))" -eq 1

# The client's echo test (rule 5) leaves natively; the host sees it.
echos() {
	ip netns exec "$host" cat /proc/net/snmp6 | sed -n 's/^Icmp6InEchos *//p'
}
before=$(counter tx_native) e0=$(echos)
xpeer send echo --bind $CLIENT:$CPORT --to $S1:3544 --server $S1 \
	--dst6 $HOST6 --size 80 >/dev/null
sleep 0.3
check_num "echo test (88 B) forwarded to native IPv6: tx_native" \
	"$(( $(counter tx_native) - before ))" -eq 1
check_num "the native host received the echo request" "$(( $(echos) - e0 ))" -eq 1

# A Teredo peer's packet to our client (rule 5) is relayed too.
before=$(counter tx_forwarded)
xpeer send echo --bind 198.18.0.13:6000 --to $S1:3544 --server $S1 \
	--dst6 "$TADDR" >/dev/null
sleep 0.3
check_num "Teredo peer -> our client relayed with its origin, 64 B" \
	"$(wire $S1:3544 $CLIENT:$CPORT 64 data)" -eq 1
check_num "tx_forwarded counted it" "$(( $(counter tx_forwarded) - before ))" -eq 1

# ------------------------------------------------ rejections (#17, §6)

# bad REASON DESC ARGS...: one crafted datagram (teredo_peer.py send) is
# dropped and counted as REASON, and nothing leaves the server for it.
bad() {
	local reason=$1 desc=$2 before after out0 out1
	shift 2
	before=$(counter "$reason")
	out0=$(dev_stat tx_packets)
	xpeer send "$@" >/dev/null
	sleep 0.2
	after=$(counter "$reason")
	out1=$(dev_stat tx_packets)
	assert_num "$desc: $reason" "$((after - before))" -eq 1 &&
		assert_num "$desc: nothing sent" "$((out1 - out0))" -eq 0
	ktap_result $? "$desc: dropped as $reason"
}
C11=198.18.0.11:5000
C11_ADDR=$(peer addr $S1 198.18.0.11 5000)
rx_dropped0=$(dev_stat rx_dropped)

bad rx_not_global "RS from an RFC 1918 source (10.9.9.9)" \
	hex:"$(python3 -I -S -c '
import sys; sys.path.insert(0, sys.argv[1]); import teredo_peer as t
print(t.icmp6(t.RS_SRC, t.ALL_ROUTERS, 133, 0, bytes(4), hlim=255).hex())' \
		"$TEREDO_SELFTEST_DIR")" --bind 10.9.9.9:5000 --to $S1:3544
bad rx_mapping "Teredo source whose mapping is not the sender" echo \
	--bind $C11 --to $S1:3544 --src6 "$TADDR" --dst6 $HOST6
bad rx_not_icmp "TCP payload" echo --bind $C11 --to $S1:3544 --server $S1 \
	--nxt 6
bad rx_not_icmp "UDP payload" echo --bind $C11 --to $S1:3544 --server $S1 \
	--nxt 17
bad tx_not_global "Teredo destination with a private embedded IPv4" echo \
	--bind $C11 --to $S1:3544 --server $S1 \
	--dst6 "$(peer addr $S1 10.1.2.3 4000)"
bad rx_loop "destination embedding our own $S2:3544" bubble --bind $C11 \
	--to $S1:3544 --server $S1 --dst6 "$(peer addr $S1 $S2 3544)"
bad rx_loop "from our own $S1:3544 (raw sender)" bubble --raw-src $S1:3544 \
	--to $S1:3544 --src6 fe80::1 --dst6 "$TADDR"
bad rx_loop "from our own $S2:3544 (raw sender)" echo --raw-src $S2:3544 \
	--to $S1:3544 --server $S1 --dst6 $HOST6
bad rx_too_big "ICMPv6 over 88 bytes (89)" echo --bind $C11 --to $S1:3544 \
	--server $S1 --dst6 $HOST6 --size 81
bad rx_not_global "non-global sender (raw, 10.1.1.1)" bubble \
	--raw-src 10.1.1.1:4000 --to $S1:3544 --src6 fe80::1 --dst6 "$TADDR"
bad rx_not_served "link-local source to another server's client" bubble \
	--bind $C11 --to $S1:3544 --src6 fe80::1 \
	--dst6 "$(peer addr 198.18.0.99 198.18.0.10 4000)"
bad rx_not_served "Teredo source to another server's client" echo \
	--bind $C11 --to $S1:3544 --server $S1 \
	--dst6 "$(peer addr 198.18.0.99 198.18.0.10 4000)"
bad rx_bad_rs "RS with hop limit 64" hex:"$(python3 -I -S -c '
import sys; sys.path.insert(0, sys.argv[1]); import teredo_peer as t
print(t.icmp6(t.RS_SRC, t.ALL_ROUTERS, 133, 0, bytes(4), hlim=64).hex())' \
	"$TEREDO_SELFTEST_DIR")" --bind $C11 --to $S1:3544
bad rx_origin "origin indication sent to a server" echo --bind $C11 \
	--to $S1:3544 --server $S1 --prefix 0000fefffefdfcfb
bad rx_bad_length "payload length beyond the datagram" echo --bind $C11 \
	--to $S1:3544 --server $S1 --plen 400
bad rx_multicast "multicast destination" echo --bind $C11 --to $S1:3544 \
	--server $S1 --dst6 ff02::1
bad rx_auth "authentication header on a non-RS" echo --bind $C11 \
	--to $S1:3544 --server $S1 --prefix 00010000010203040506070800
rx_dropped1=$(dev_stat rx_dropped)
check_num "device rx_dropped counts all 17" "$((rx_dropped1 - rx_dropped0))" -eq 17
ktap_info "$C11_ADDR sent the rejected ones"

# ------------------------------------------------ RS rate limit

# A flood of RS from one address (any ports) while another client
# qualifies: the flood gets its burst (10) and then the rate (20/s); the
# other client its answer.
before=$(counter rx_ratelimited) ra0=$(counter tx_ra)
xpeer rs --bind 198.18.0.12:7000 \
	--to $S1 --count 600 --interval 0.003 --wait 1 > "$CAP/flood.log" 2>&1 &
flood=$!
sleep 0.5
out=$(xpeer rs --bind 198.18.0.13:7000 \
	--to $S1 --wait 1)
ktap_info "other client: $out"
wait "$flood"
read -r answered elapsed <<< "$(awk '$1 == "summary" {
	sub("answered=", "", $3); sub("elapsed=", "", $4); print $3, $4 }' \
	"$CAP/flood.log")"
ktap_info "flood: $(tail -1 "$CAP/flood.log")"
# The server's counters are the truth: the flooder's receive loop may
# miss answers when the guest is slow, so its count is only a lower bound.
ras=$(( $(counter tx_ra) - ra0 - 1 ))
limited=$(( $(counter rx_ratelimited) - before ))
ktap_info "server: $ras answered, $limited rate limited"
check_num "flood of 600 RS from one source: at most 10 + 20/s answered" \
	"$ras" -le "$(awk -v e="${elapsed:-0}" \
		'BEGIN { printf "%d", 10 + 20 * (e + 0.5) + 3 }')"
check_num "flood: at least the burst answered" "$ras" -ge 10
check_num "flood: every RS answered or counted as rx_ratelimited" \
	"$((ras + limited))" -eq 600
check_ok "another client qualifies during the flood" grep -q 'match=1' <<< "$out"
check_num "the flooder received no more answers than tx_ra counted" \
	"${answered:-999}" -le "$ras"
sleep 1.1
check_ok "the flooding source is answered again a second later" \
	bash -c "ip netns exec $ext python3 -I -S $PEERPY rs --bind 198.18.0.12:7001 \
		--to $S1 --wait 1 | grep -q match=1"

# ------------------------------------------------ RS sources at max-peers

# A server keeps one rate-limit entry per RS source, at most max-peers
# of them: with the table full a new source is refused (rx_ratelimited)
# and the sources it knows keep their service.  An entry lives while
# its source is active (idle 0.5 s, collected each second), so the
# exchange is one process: 8 sources fill a table of 8, 4 new ones are
# refused, then the first of the 8 is answered again.
check_ok "a server's max-peers changes (RS sources tracked)" \
	ip -n "$srv" link set ts type teredo max-peers 8
check_eq "ip -d link show reads max-peers 8" 8 \
	"$(ip -n "$srv" -j -d link show ts | grep -o '"max-peers": *[0-9]*' |
		grep -o '[0-9]*$')"
# shellcheck disable=SC2317  # called through wait_until
sources_are() { [ "$(counter peers)" = "$1" ]; }
check_ok "idle RS sources forgotten: teredoctl show reads peers 0" \
	wait_until 10 sources_are 0
fill="" more=""
for i in {30..37}; do fill+="${fill:+,}198.18.0.$i:7200"; done
for i in {38..41}; do more+=",198.18.0.$i:7200"; done
before=$(counter rx_ratelimited) ra0=$(counter tx_ra)
xpeer rs --bind "$fill$more,198.18.0.30:7200" --to $S1 --wait 1 \
	> "$CAP/full.log" 2>&1
ras=$(( $(counter tx_ra) - ra0 ))
limited=$(( $(counter rx_ratelimited) - before ))
answered() { awk -v b="$1" '$1 == "source" && $2 == "bind=" b {
	sub("answered=", "", $3); print $3 }' "$CAP/full.log"; }
got=""
for i in {30..41}; do got+="$(answered "198.18.0.$i:7200") "; done
ktap_info "full table: answered per source .30-.41: $got; tx_ra +$ras, rx_ratelimited +$limited"
check_eq "8 sources answered (the first twice), 4 new ones not" \
	"2 1 1 1 1 1 1 1 0 0 0 0 " "$got"
check_num "server: 9 RAs sent" "$ras" -eq 9
check_num "server: the 4 refused counted as rx_ratelimited" "$limited" -eq 4
check_ok "max-peers back to the server default" \
	ip -n "$srv" link set ts type teredo max-peers 65536

# ------------------------------------------------ the device's own output

ip -n "$srv" -6 route add 2001:0:c612:1::/64 dev ts
ip -n "$srv" -6 route add 2001:db8:9::/64 dev ts
before=$(counter tx_not_teredo)
ip netns exec "$srv" ping -6 -c 1 -W 1 2001:db8:9::1 >/dev/null 2>&1
check_num "stack's packet for a native destination: dropped as tx_not_teredo" \
	"$(( $(counter tx_not_teredo) - before ))" -eq 1
before=$(counter tx_forwarded)
check_ok "the stack reaches a client of this server through ts" \
	ip netns exec "$srv" ping -6 -c 1 -W 3 -I 2001:db8:1::1 "$TADDR"
check_num "and it went out as tx_forwarded" \
	"$(( $(counter tx_forwarded) - before ))" -ge 1

# ------------------------------------------------ unload under traffic

check_ok "teredoctl show ts reads mode server" \
	bash -c "ip netns exec $srv $CTL show ts | grep -q 'mode server'"
xpeer rs --bind 198.18.0.11:7100 \
	--to $S1 --count 3000 --wait 0 >/dev/null 2>&1 &
flood=$!
sleep 0.5
check_ok "rmmod teredo while RS flow" rmmod teredo
wait "$flood"
check_ok "server device gone with the module" link_absent "$srv" ts
check_ok "module loads again" modprobe teredo
check_ok "a server binds the addresses again" \
	ip -n "$srv" link add ts type teredo mode server local $S1

ktap_finish
