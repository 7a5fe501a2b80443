#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A client's random ports (RFC 6081 §5.4, kernel/rport.c) raced against
# their teardown.  A stand-in teredod (race_peer.py rport-helper)
# qualifies the client behind a port-preserving symmetric NAT: the kernel
# makes its 8 random ports, kernel UDP sockets in the client's namespace.
# UDP to 16 new Teredo destinations (race_peer.py blast, a sender on
# every cpu) has them handed out to peers (tx_random_ports) until none is
# left (random_ports_full), while the peers are flushed and deleted one
# by one, again and again: each port given back is closed after a grace
# period and made again.  Then the device is deleted under that traffic,
# and a second one goes with the module's removal under traffic: that
# one behind a sequential NAT (RFC 6081 §5.5), its ports' echo tests
# answered by our server in the hub (port_predictions), while its peers
# are flushed.  Each
# time the namespace's UDP sockets come back to the helper's own; the
# kernel log has no splat (run_tests), kmemleak nothing (the debug lane).
#
# RPORT_SECONDS (default 8) is how long the peers are flushed and deleted
# under traffic, ROUNDS times at least.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

RPORT_SECONDS=${RPORT_SECONDS:-8}
ROUNDS=6
SERVER=198.18.0.1
SERVER2=198.18.0.2
CLI_IP=198.18.1.2
CLI_PORT=40000
# The destinations' server: nobody, their bubbles go nowhere.
V_SERVER=198.19.255.1
RACEPY=$TEREDO_SELFTEST_DIR/race_peer.py
CTL=${TEREDO_TOP:-$TEREDO_SELFTEST_DIR/..}/build/tools/teredoctl
PORTS=8		# TEREDO_RPORTS_MAX

teredo_load
[ -x "$CTL" ] || ktap_bail "teredoctl not built"
ktap_plan 6

TMP=$(mktemp -d)
at_exit "rm -rf $TMP"
PIDS=""
# shellcheck disable=SC2016  # expanded at exit
at_exit 'touch "$TMP/stop"; kill $PIDS 2>/dev/null'
at_exit 'modprobe teredo dyndbg=+p'

ns_hub X C
ip -n "$X" -batch - <<EOF || ktap_bail "cannot make the network"
addr add 198.18.1.1/24 dev e-C
link set e-C up
EOF
ip -n "$C" -batch - <<EOF || ktap_bail "cannot make the network"
addr add $CLI_IP/24 dev e0
link set e0 up
route add default via 198.18.1.1
EOF
dsts=()
for ((i = 0; i < 16; i++)); do
	dsts+=("$(teredo_addr $V_SERVER 198.19.1.$((i + 1)) $((5000 + i)))")
done

ctl() { ip netns exec "$C" "$CTL" "$@"; }
# counter DEV NAME: a counter of teredoctl -j show DEV (0: none).
counter() {
	local n

	n=$(ctl -j show "$1" | grep -o "\"$2\":[0-9]*" | head -1)
	n=${n#*:}
	echo "${n:-0}"
}
# udp_sockets: UDP sockets in the client's namespace, the kernel's too.
udp_sockets() {
	ip netns exec "$C" awk 'NR > 1' /proc/net/udp | wc -l
}
# has FILE TEXT
# shellcheck disable=SC2317  # called through wait_until
has() { grep -q "$2" "$1" 2>/dev/null; }

# client DEV PORT [sequential]: the device, up, its stand-in teredod
# qualifying it at CLI_IP:PORT behind a port-preserving NAT, or a
# sequential one (its output in $TMP/helper-DEV), and our address on it.
client() {
	local t6

	t6=$(teredo_addr $SERVER $CLI_IP "$2")
	ip -n "$C" link add "$1" type teredo server $SERVER port "$2" &&
		ip netns exec "$C" sysctl -q -w "net.ipv6.conf.$1.accept_ra=0" \
			"net.ipv6.conf.$1.router_solicitations=0" \
			"net.ipv6.conf.$1.addr_gen_mode=1" >/dev/null &&
		ip -n "$C" link set "$1" up || return 1
	ip netns exec "$C" python3 -I -S "$RACEPY" rport-helper "$1" \
		"$CLI_IP:$2" $SERVER "$TMP/stop-$1" ${3:+"$3"} \
		> "$TMP/helper-$1" 2>&1 &
	PIDS+=" $!"
	wait_until 60 has "$TMP/helper-$1" rport-ready || {
		ktap_info "$1: helper: $(cat "$TMP/helper-$1")"
		return 1
	}
	ip -n "$C" addr add "$t6/32" dev "$1" nodad
}

# blast NAME: UDP to the 16 destinations from every cpu until the file
# $TMP/stop-NAME exists.
blast() {
	ip netns exec "$C" python3 -I -S "$RACEPY" blast "$TMP/stop-$1" 600 \
		200 "${dsts[@]}" > "$TMP/blast-$1" 2>&1 &
	PIDS+=" $!"
	wait_until 60 has "$TMP/blast-$1" blast-ready
}

# ------------------------------------------------- the ports are made
u0=$(udp_sockets)
client td $CLI_PORT || ktap_bail "cannot make the client"
u1=$(udp_sockets)
ktap_info "UDP sockets in the namespace: $u0 before, $u1 qualified"
check_eq "qualified behind a port-preserving symmetric NAT: the helper's socket and $PORTS random ports" \
	$((u0 + 1 + PORTS)) "$u1"

# ----------------------------------- handed out, given back, made again
blast a || ktap_info "blast a: $(cat "$TMP/blast-a")"
tx0=$(counter td tx_random_ports)
flushes=0 dels=0 fails=0 most=0
end=$((SECONDS + RPORT_SECONDS))
# For RPORT_SECONDS, and at least ROUNDS times (a debug kernel is slow).
while [ $SECONDS -lt $end ] || [ $flushes -lt "$ROUNDS" ]; do
	n=$(ctl -j peers td | grep -o '"local-port":[0-9]*' | sort -u | wc -l)
	[ "$n" -gt "$most" ] && most=$n
	ctl peer del td "${dsts[RANDOM % 16]}" 2>/dev/null && dels=$((dels + 1))
	if ctl peers flush td; then
		flushes=$((flushes + 1))
	else
		fails=$((fails + 1))
	fi
done
tx1=$(counter td tx_random_ports)
full=$(counter td random_ports_full)
failed=$(counter td random_ports_failed)
ktap_info "for $RPORT_SECONDS s: $flushes flushes ($fails failed), $dels peers deleted; tx_random_ports +$((tx1 - tx0)), random_ports_full $full, random_ports_failed $failed; at most $most ports in one dump"
rc=0
assert_num "failed flushes" "$fails" -eq 0 || rc=1
assert_num "tx_random_ports" $((tx1 - tx0)) -gt "$PORTS" || rc=1
assert_num "random_ports_full" "$full" -ge 1 || rc=1
assert_num "random_ports_failed" "$failed" -eq 0 || rc=1
assert_num "peers with a random port in one dump" "$most" -le "$PORTS" || rc=1
assert_num "peers with a random port in one dump" "$most" -ge 1 || rc=1
ktap_result $rc "under traffic to 16 destinations, peers flushed and deleted again and again: the ports handed out (tx_random_ports), never more than $PORTS (random_ports_full), none failed"

touch "$TMP/stop-a"
wait_until 30 has "$TMP/blast-a" "^blast " || ktap_info "blast a did not stop"
ctl peers flush td
# shellcheck disable=SC2317  # called through wait_until
refilled() { [ "$(udp_sockets)" = $((u0 + 1 + PORTS)) ]; }
rc=0
wait_until 10 refilled || rc=1
ktap_info "traffic stopped, peers flushed: UDP sockets $(udp_sockets)"
ktap_result $rc "the ports given back are closed and made again: the helper's socket and $PORTS random ports"

# ----------------------------------------- the device deleted under them
blast b || ktap_info "blast b: $(cat "$TMP/blast-b")"
sleep 1
tx2=$(counter td tx_random_ports)
rc=0
ip -n "$C" link del td || rc=1
u2=$(udp_sockets)
ktap_info "td deleted under traffic (tx_random_ports $tx2): UDP sockets $u2"
assert_num "tx_random_ports before the deletion" "$tx2" -gt "$tx1" || rc=1
assert_eq "UDP sockets left: the helper's" $((u0 + 1)) "$u2" || rc=1
wait_dmesg_count destroyed td 1 || rc=1
ktap_result $rc "the device deleted under traffic with its ports handed out: every random port closed with it"
touch "$TMP/stop-b" "$TMP/stop-td"
wait_until 30 has "$TMP/helper-td" "rport attached" ||
	ktap_info "td's helper: $(cat "$TMP/helper-td")"

# --------------------------------------------- the module removed under them
# td2 behind a sequential NAT: our server, in the hub, answers its random
# ports' echo tests, and the guesses (indirect bubbles) race the flushes.
rc=0
ip -n "$X" -batch - <<EOF || rc=1
addr add $SERVER/32 dev lo
addr add $SERVER2/32 dev lo
link set lo up
link add ts type teredo mode server local $SERVER local2 $SERVER2
link set ts up
EOF
client td2 $((CLI_PORT + 1)) sequential || rc=1
blast c || ktap_info "blast c: $(cat "$TMP/blast-c")"
end=$((SECONDS + 2)) flushes=0
while [ $SECONDS -lt $end ] || [ $flushes -lt 3 ]; do
	ctl peers flush td2 && flushes=$((flushes + 1))
done
tx3=$(counter td2 tx_random_ports)
pt3=$(counter td2 tx_port_tests)
pp3=$(counter td2 port_predictions)
u3=$(udp_sockets)
modprobe -r teredo || rc=1
u4=$(udp_sockets)
ktap_info "module removed under traffic (td2, sequential: $flushes flushes, tx_port_tests $pt3, port_predictions $pp3, tx_random_ports $tx3): UDP sockets $u3 -> $u4; /sys/module/teredo: $([ -d /sys/module/teredo ] && echo present || echo gone)"
assert_num "tx_port_tests" "$pt3" -ge 1 || rc=1
assert_num "port_predictions" "$pp3" -ge 1 || rc=1
assert_num "tx_random_ports" "$tx3" -ge 1 || rc=1
assert_eq "UDP sockets left: td2's helper's" $((u0 + 1)) "$u4" || rc=1
[ ! -d /sys/module/teredo ] || rc=1
ktap_result $rc "the module removed under traffic with a client's ports handed out and guessed (sequential NAT): every random port closed"
touch "$TMP/stop-c" "$TMP/stop-td2"

rc=0
modprobe teredo dyndbg=+p || rc=1
ktap_result $rc "the module loads again"
ktap_finish
