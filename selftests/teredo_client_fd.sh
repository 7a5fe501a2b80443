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
ktap_plan 29

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
refuse "unknown NAT type" "nat: unknown NAT type" nat=4
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
before='' after=''
json_stat before "$(ip -n "$ns" -s -j link show dev t0)" tx packets
! ip netns exec "$ns" ping -6 -c 1 -W 1 "$PEER" >/dev/null 2>&1 &&
	json_stat after "$(ip -n "$ns" -s -j link show dev t0)" tx packets &&
	assert_eq "t0 tx_packets" "$before" "$after"
ktap_result $? "offline: a packet to a peer goes nowhere (t0 sent nothing)"
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

ktap_finish
