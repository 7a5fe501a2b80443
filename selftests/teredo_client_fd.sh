#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel side of a client's helper contract (if_teredo.h, DESIGN §2),
# driven by nlraw.py standing in for teredod: which sockets IFLA_TEREDO_FD
# takes, what QUALIFIED needs, carrier and state as the helper's socket
# comes and goes, the peer flush on a new address, and what an offline
# client does with packets.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

SERVER=198.18.0.1
LOCAL=198.18.0.50
PORT=40000
MAPPED=198.18.0.40
MPORT=12345
# The Teredo address of SERVER and MAPPED:MPORT, flags 0.
ADDR=2001:0:c612:1:0:cfc6:39ed:ffd7
# Another mapping's.
ADDR2=2001:0:c612:1:0:cfc5:39ed:ffd7
PEER=2001:0:c612:1:0:1234:39ed:ffd1

teredo_load
ktap_plan 36

ns="" hold=""
ns_create ns
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" addr add "$LOCAL/24" dev v0
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
ip -n "$ns" link add t0 type teredo server "$SERVER" port "$PORT"
ns_quiet_ipv6 "$ns" t0
ip -n "$ns" link set t0 up

nl() {
	ip netns exec "$ns" python3 -I -S "$TEREDO_SELFTEST_DIR/nlraw.py" "$@"
}

# The refusals go in nlraw batches (a python3 start costs one to two
# seconds under TCG): refuse DESC MSG ATTR... queues `nlraw set t0 ATTR...`,
# refused_check checks them, once the batch ran, in their order: each fails
# with extack MSG.  One result each.
R_DESC=() R_MSG=() R_REQ=()
refuse() {
	local desc=$1 msg=$2

	shift 2
	nlb_req set t0 "$@"
	R_DESC+=("$desc") R_MSG+=("$msg") R_REQ+=("$NLB_N")
}

refused_check() {
	local i n out

	for i in "${!R_REQ[@]}"; do
		n=${R_REQ[i]}
		out=${NLB_OUT[n]}${NLB_OUT[n]:+$'\n'}${NLB_ERR[n]}
		if [ "${NLB_RC[n]}" = 0 ]; then
			ktap_info "${R_DESC[i]}: accepted"
			ktap_result 1 "${R_DESC[i]}"
			continue
		fi
		assert_contains "${R_DESC[i]}" "Error: ${R_MSG[i]}" "$out"
		ktap_result $? "${R_DESC[i]} -> \"${R_MSG[i]}\""
	done
	R_DESC=() R_MSG=() R_REQ=()
}

# kword WORDS KEY: the value of KEY=... in WORDS (nlraw get), "-" if absent.
kword() {
	local w

	for w in $1; do
		[ "${w%%=*}" = "$2" ] && { echo "${w#*=}"; return; }
	done
	echo -
}

# kstate WORD: the value of WORD=... in `nlraw get t0` (or in KSTATE
# when set), "-" if absent.
KSTATE=""
kstate() {
	local w

	for w in ${KSTATE:-$(nl get t0)}; do
		[ "${w%%=*}" = "$1" ] && { echo "${w#*=}"; return; }
	done
	echo -
}

carrier() {
	local f

	json_first f "$(link_json "$ns" t0)" flags || { echo "(no flags)"; return; }
	if [[ " $f " == *" LOWER_UP "* ]]; then echo 1; else echo 0; fi
}

# shellcheck disable=SC2317  # called through wait_until
no_carrier() {
	[ "$(carrier)" = 0 ]
}

peers() {
	ip netns exec "$ns" "$TEREDO_TOP/build/tools/teredoctl" -j peers t0 |
		json_eval 'len(d)'
}

# held: the stand-in helper has attached its socket and keeps it.
# shellcheck disable=SC2317  # called through wait_until
held() {
	[ -f "$hold" ]
}

# --------------------------------------------------- what fd takes
ip -n "$ns" link add r0 type teredo mode relay port 3600
nlb_reset
nlb_req add t1 server=$SERVER fd=udp:0.0.0.0:0
C_ADD=$NLB_N
nlb_req set r0 fd=udp:0.0.0.0:0
C_RFD=$NLB_N
nlb_req set r0 state=2
C_RSTATE=$NLB_N
refuse "a TCP socket" "fd: not a UDP/IPv4 socket" fd=tcp
refuse "a UDP/IPv6 socket" "fd: not a UDP/IPv4 socket" fd=udp6:0
refuse "no such descriptor" "fd: not an open socket" fd=s32:999
refuse "an unbound socket" "fd: socket not bound" fd=udp-unbound
refuse "bound to another port" "fd: socket not bound to port" \
	fd=udp:0.0.0.0:$((PORT + 1))
refuse "qualified without a mapping" \
	"state: qualified needs mapped, mapped-port and address" state=2
refuse "qualified without a socket" \
	"state: qualified needs a socket (fd) first" state=2 \
	mapped=$MAPPED mapped-port=$MPORT address=$ADDR
# Dormant (3) is qualified with the data path paused: the same needs.
refuse "dormant without a mapping" \
	"state: qualified needs mapped, mapped-port and address" state=3
refuse "unknown state" "state: unknown state" state=4
refuse "unknown NAT type" "nat: unknown NAT type" nat=6
refuse "private mapped address" \
	"mapped: not a global unicast IPv4 address" mapped=10.0.0.1
nlb_req get t0
C_GET=$NLB_N
nlb_run "$ns"
ip -n "$ns" link del r0

out=${NLB_ERR[C_ADD]}
assert_contains "fd at creation" "Error: fd: teredod attaches it to an existing device" "$out"
ktap_result $? "fd at creation refused (\"fd: teredod attaches it to an existing device\")"
out=${NLB_ERR[C_RFD]}
assert_contains "fd on a relay" "Error: fd: a relay binds its own socket" "$out"
ktap_result $? "fd on a relay refused"
out=${NLB_ERR[C_RSTATE]}
assert_contains "state on a relay" "Error: state: not used in relay mode" "$out"
ktap_result $? "state on a relay refused"
refused_check
assert_eq "carrier without a helper" 0 "$(carrier)"
ktap_result $? "no helper: carrier off"
nlb_assert_ok "$C_GET"
assert_eq "reason without a helper" 1 "$(kword "${NLB_OUT[C_GET]}" reason)"
ktap_result $? "no helper: state offline, reason no-helper (1)"

# ------------------------------------ a helper attaches and qualifies
hold=$(mktemp -u /tmp/teredo-hold.XXXXXX)
at_exit rm -f "$hold"
nl set t0 fd=udp:0.0.0.0:$PORT state=1 --hold "$hold" &
holder=$!
wait_until 20 held
ktap_result $? "a bound UDP socket is attached (state qualifying)"
carrier0=$(carrier)
nlb_reset
nlb_req get t0
C_GET=$NLB_N
refuse "a second socket" "fd: a socket is already attached" \
	fd=udp:0.0.0.0:0
refuse "an address of another mapping" \
	"address: not the Teredo address of server and mapping" state=2 \
	mapped=$MAPPED mapped-port=$MPORT address=$ADDR2
nlb_req set t0 state=2 nat=2 mapped=$MAPPED \
	mapped-port=$MPORT address=$ADDR next-refresh=300
C_QUAL=$NLB_N
nlb_req get t0
C_GET2=$NLB_N
nlb_run "$ns"
nlb_assert_ok "$C_GET" &&
	assert_eq "state" 1 "$(kword "${NLB_OUT[C_GET]}" state)" &&
	assert_eq "carrier" 0 "$carrier0"
ktap_result $? "qualifying: carrier still off"
refused_check
nlb_assert_ok "$C_QUAL"
ktap_result $? "qualified"
rc=0
assert_eq "carrier" 1 "$(carrier)" || rc=1
nlb_assert_ok "$C_GET2" || rc=1
KSTATE=${NLB_OUT[C_GET2]}
assert_eq "reported" "2 2 $MAPPED $MPORT $ADDR" \
	"$(kstate state) $(kstate nat) $(kstate mapped) $(kstate mapped-port) $(kstate address)" ||
	rc=1
left=$(kstate next-refresh)
# Counting down; the VM is slow, hence the margin.
assert_num "next refresh" "$left" -le 300 &&
	assert_num "next refresh" "$left" -ge 200 || rc=1
KSTATE=""
ktap_result $rc "qualified: carrier on; state, NAT, mapping, address and next refresh ($left s) reported"

# A packet to a peer creates its entry (queued behind bubbles).
ip -n "$ns" -6 addr add "$ADDR/128" dev t0 nodad
ip -n "$ns" -6 route add 2001::/32 dev t0
ip netns exec "$ns" ping -6 -c 1 -W 1 "$PEER" >/dev/null 2>&1
assert_eq "peers" 1 "$(peers)"
ktap_result $? "a packet to a Teredo peer creates its entry"

# ------------------------------------------ the echo test's nonce
# A native peer is trusted only by an echo reply that carries the nonce
# of our echo test (RFC 4380 §5.2.9; teredo.rst, Security): a reply with
# another nonce or none is held as any packet from an unverified source
# and dropped when the test gives up (rx_unverified), never counted as
# an answer (rx_echo_replies); the right nonce, from the same relay, is.
NATIVE=2001:db8:99::1
RELAY=198.18.0.77:3544
TEREDOCTL=$TEREDO_TOP/build/tools/teredoctl
cnt() {	# cnt KEY...: t0's counters, on one line
	ip netns exec "$ns" "$TEREDOCTL" -j show t0 | json_eval \
		'" ".join(str(d.get("counters", {}).get(k, 0)) for k in "'"$*"'".split())'
}
native_trusted() {
	ip netns exec "$ns" "$TEREDOCTL" -j peers t0 | json_eval \
		'str(next((p["trusted"] for p in d if p["peer"] == "'"$NATIVE"'"), "none"))'
}
# The echo test goes to the server: let it out on v0 to be captured on v1.
ip -n "$ns" neigh replace "$SERVER" dev v0 nud permanent \
	lladdr "$(ip -n "$ns" -j link show dev v1 | json_eval 'd[0]["address"]')"
ip -n "$ns" -6 route add 2001:db8:99::/64 dev t0
ip netns exec "$ns" tcpdump -U -n -i v1 -c 1 -w "$SCRATCH_DIR/echo.pcap" \
	'udp dst port 3544 and udp[14] = 58 and udp[48] = 128' \
	> "$SCRATCH_DIR/tcpdump.log" 2>&1 &
capture=$!
wait_until 60 grep -q listening "$SCRATCH_DIR/tcpdump.log"
read -r tests0 replies0 unverified0 <<< "$(cnt tx_echo_tests rx_echo_replies rx_unverified)"
ping_at=$SECONDS
ip netns exec "$ns" ping -6 -c 1 -W 1 "$NATIVE" >/dev/null 2>&1
wait_until 10 test -s "$SCRATCH_DIR/echo.pcap" && sleep 0.2
kill "$capture" 2>/dev/null
wait "$capture"
# The echo request's identifier and sequence and the 8 bytes after them
# (the nonce): Ethernet, IPv4, UDP, IPv6, ICMPv6 header.
read -r idseq nonce <<< "$(py -c '
import sys
b = open(sys.argv[1], "rb").read()[40:]
ip = b[14:]
t = ip[(ip[0] & 15) * 4 + 8:]
print(t[44:48].hex(), t[48:56].hex())' "$SCRATCH_DIR/echo.pcap" 2>/dev/null)"
wrong=$(printf '%016x' $((0x${nonce:-0} ^ 1)))
reply() {	# reply DATA-HEX...: echo replies from NATIVE through RELAY
	local d args=()

	for d in "$@"; do args+=(--data "$d"); done
	ip netns exec "$ns" python3 -I -S "$PEERPY" send echo-reply \
		--raw-src "$RELAY" --to "$LOCAL:$PORT" --src6 "$NATIVE" \
		--dst6 "$ADDR" "${args[@]}" >/dev/null
}
# The test is pending for 30 s after its last retry: the replies go out
# from one process each, so a slow guest stays within it.
reply "$idseq$wrong" "$idseq"
# The test gives up after its retries (2 s apart), and drops what it held.
# shellcheck disable=SC2317  # called through wait_until
unverified_grew() {
	[ "$(cnt rx_unverified)" -ge $((unverified0 + 2)) ]
}
wait_until 20 unverified_grew
read -r tests1 replies1 unverified1 <<< "$(cnt tx_echo_tests rx_echo_replies rx_unverified)"
trusted=$(native_trusted)
rc=0
assert_ne "the echo test's nonce (captured)" "" "$nonce" || rc=1
assert_num "echo tests sent" "$tests1" -gt "$tests0" || rc=1
assert_num "rx_echo_replies" "$replies1" -eq "$replies0" || rc=1
assert_num "rx_unverified" "$unverified1" -eq $((unverified0 + 2)) || rc=1
assert_eq "native peer trusted" False "$trusted" || rc=1
ktap_result $rc "echo replies with a wrong nonce or none: dropped (rx_unverified), not answers"
ktap_info "the right reply goes out $((SECONDS - ping_at)) s after the ping"
reply "$idseq$nonce"
read -r replies2 <<< "$(cnt rx_echo_replies)"
rc=0
assert_num "rx_echo_replies" "$replies2" -eq $((replies1 + 1)) || rc=1
assert_eq "native peer trusted" True "$(native_trusted)" || rc=1
ktap_result $rc "the echo reply with the test's nonce, from the same relay, is the answer"
ip -n "$ns" -6 route del 2001:db8:99::/64 dev t0
ip -n "$ns" neigh del "$SERVER" dev v0
check_ok "new address" nl set t0 state=2 mapped=198.18.0.39 \
	mapped-port=$MPORT address=2001:0:c612:1:0:cfc6:39ed:ffd8
assert_eq "peers after a new address" 0 "$(peers)"
ktap_result $? "a new address flushes the peers"

# ------------------------------------------------ the helper goes away
rm -f "$hold"
wait "$holder"
rc=0
wait_until 10 no_carrier || rc=1
KSTATE=$(nl get t0)
assert_eq "state reason" "0 1" "$(kstate state) $(kstate reason)" || rc=1
KSTATE=""
ktap_result $rc "helper's socket closed: carrier off, offline, reason no-helper"
# Carrier off: the stack's packets stop at the device's qdisc (even a
# packet socket's bypass checks the carrier); nothing goes out.
# Both reads must give numbers: two failed reads are equal too.
before='' after='' rc=0
json_stat before "$(ip -n "$ns" -s -j link show dev t0)" tx packets
ip netns exec "$ns" ping -6 -c 1 -W 1 "$PEER" >/dev/null 2>&1 &&
	{ ktap_info "ping got an answer"; rc=1; }
json_stat after "$(ip -n "$ns" -s -j link show dev t0)" tx packets
assert_num "t0 tx_packets" "$after" -eq "$before" || rc=1
ktap_result $rc "offline: a packet to a peer goes nowhere (t0 sent nothing)"
# The same port binds again: the kernel let go of the socket.
nl set t0 fd=udp:0.0.0.0:$PORT state=1 --hold "$hold" &
holder=$!
wait_until 20 held
ktap_result $? "a restarted helper binds the same port and attaches again"
rm -f "$hold"
wait "$holder"
ip -n "$ns" link del t0
assert_ok link_absent "$ns" t0
ktap_result $? "the device goes away cleanly"

# ------------------------------------------------ teredod's exit status
# teredod(8): 0 after SIGTERM or SIGINT, 1 on an error (no such device,
# not a client device, the device was deleted), 2 on bad usage.
TEREDOD=$TEREDO_TOP/build/tools/teredod
TDLOG=$SCRATCH_DIR/teredod.log
td() {	# td ARGS...: teredod in the netns, its status in TD_RC
	ip netns exec "$ns" "$TEREDOD" "$@" > "$TDLOG" 2>&1
	TD_RC=$?
}
rc=0
for a in "" "t0 t1" "--no-such-option t0"; do
	# shellcheck disable=SC2086  # the words of each case
	td $a
	assert_eq "teredod $a: exit status" 2 "$TD_RC" || rc=1
done
ktap_result $rc "teredod: bad usage exits 2"
td no-such-dev
check_eq "teredod: no such device exits 1" 1 "$TD_RC"
ip -n "$ns" link add r9 type teredo mode relay port 3609
td r9
rc=0
assert_eq "exit status" 1 "$TD_RC" || rc=1
assert_contains "log" "not a Teredo client device" "$(< "$TDLOG")" || rc=1
ktap_result $rc "teredod: a relay device exits 1 (not a client device)"
ip -n "$ns" link del r9

# td_start: teredod on a new client device t9, running once it said so.
td_start() {
	ip -n "$ns" link add t9 type teredo server "$SERVER" port 40109
	ns_quiet_ipv6 "$ns" t9
	# A background command starts with SIGINT ignored: give it back.
	env --default-signal=INT ip netns exec "$ns" "$TEREDOD" t9 \
		> "$TDLOG" 2>&1 &
	TD_PID=$!
	wait_until 20 grep -q "started" "$TDLOG"
}

# td_end: teredod gone within 15 s (else killed, status 1); its exit
# status in TD_RC.
# shellcheck disable=SC2317  # called through wait_until
td_exited() {
	local st

	st=$(cat "/proc/$TD_PID/stat" 2>/dev/null) || return 0
	[[ $st == *") Z "* ]]
}
td_end() {
	if ! wait_until 15 td_exited; then
		kill -9 "$TD_PID"
		ktap_info "teredod did not exit: $(< "$TDLOG")"
		wait "$TD_PID"
		TD_RC=137
		return 1
	fi
	wait "$TD_PID"
	TD_RC=$?
}
rc=0
td_start || { ktap_info "teredod did not start: $(< "$TDLOG")"; rc=1; }
ip -n "$ns" link del t9
td_end
assert_eq "exit status" 1 "$TD_RC" || rc=1
assert_contains "log" "device gone" "$(< "$TDLOG")" || rc=1
ktap_result $rc "teredod: its device deleted, exits 1"
rc=0
td_start || { ktap_info "teredod did not start: $(< "$TDLOG")"; rc=1; }
kill -INT "$TD_PID"
td_end
assert_eq "exit status" 0 "$TD_RC" || rc=1
assert_contains "log" "offline: stopped" "$(< "$TDLOG")" || rc=1
ktap_result $rc "teredod: SIGINT, exits 0 after a clean stop"
ip -n "$ns" link del t9

ktap_finish
