#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teredod, the client helper, against the real miredo-server on the
# topology of topo.sh (protocol.md §10.2 scenarios 1, 2, 3, 5, 6), plus a
# scripted server for the RAs it must refuse.  Kernel state is read with
# RTM_GETLINK through nlraw.py's request code (the IFLA_TEREDO_* client
# attributes, by number); the wire from captures on the "Internet" bridge.
#   round 1 (scenario 1): a public client ($PUB, 198.18.0.50, no NAT)
#     qualifies: RS 61 B to .1 and .2, RA 117 B with the origin
#     indication; nat none; address, link-local, route; SIGTERM cleans up.
#   round 2: a scripted server sends bad RAs first (wrong nonce, no
#     authentication, no origin indication, two prefixes, wrong prefix):
#     one log line each; one from a wrong source port the kernel drops
#     (rx_auth); then the good one qualifies.
#   round 3 (scenario 2): behind the port-restricted cone NAT, port 40000,
#     refresh 10, --default-route, --state-file: nat restricted, mapping
#     198.18.0.40:40000, refreshes; kill -9: carrier off; restart: same
#     mapping, same address; a new refresh interval is followed.
#   round 4 (scenario 5): the NAT's public address changes: the next
#     refresh brings the new mapping, a new address, the old one goes.
#   round 5 (scenario 6): miredo-server stops: offline after 3 RS, address
#     removed, no RS storm; it comes back: qualified again.
#   round 6 (scenario 3): the NAT turns symmetric (fully-random): offline,
#     reason symmetric-nat, no address.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOD=$TEREDO_TOP/build/tools/teredod
CTL=$TEREDO_TOP/build/tools/teredoctl
PUB_IP=198.18.0.50
FAKE_IP=198.18.0.5
FAKE_IP2=198.18.0.6
NAT_IP2=198.18.0.41
RS_SRC=fe80::ffff:ffff:ffff

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "build/tools/teredod not built"
ktap_plan 22

# ------------------------------------------------------------ helpers


# The kernel's view of a client: `nlraw.py state DEV` (RTM_GETLINK; the
# IFLA_TEREDO_* client attributes and the carrier).  One nlraw batch per
# namespace stays up and answers every request (ks_start): a python3 start
# costs one to two seconds under TCG, and the waits poll.
declare -A KS_IN=() KS_OUT=()

# ks_start NS: the nlraw batch for NS, its stdin and stdout through FIFOs.
# In the main shell (kstate runs in subshells too).
ks_start() {
	local ns=$1 in=$TOPO_DIR/ks-$1.in out=$TOPO_DIR/ks-$1.out fd

	mkfifo "$in" "$out" || return 1
	"$IP" netns exec "$ns" python3 -I -S "$NLRAW" batch <"$in" >"$out" \
		2>>"$(topo_log "nlraw-$ns")" &
	disown $!
	exec {fd}>"$in"
	KS_IN[$ns]=$fd
	exec {fd}<"$out"
	KS_OUT[$ns]=$fd
}

# kstate NS DEV: "address=... carrier=1 mapped=... nat=... port=...
# reason=... refresh=... state=..." (absent attributes left out).
kstate() {
	local in=${KS_IN[$1]:-} out=${KS_OUT[$1]:-} n rc res err

	if [ -z "$in" ]; then
		echo "kstate: no nlraw for $1 (ks_start)" >&2
		return 1
	fi
	# An answer that came too late for an earlier request.
	while read -r -t 0 -u "$out"; do
		read -r -u "$out"
	done
	echo "state $2" >&"$in" || return 1
	if ! IFS=$'\x1f' read -r -t 30 -u "$out" n rc res err; then
		echo "kstate: no answer from nlraw in $1" >&2
		return 1
	fi
	if [ "$rc" != 0 ]; then
		echo "RTM_GETLINK: ${err//$'\x1e'/; }" >&2
		return 1
	fi
	echo "$res"
}

# kget WORDS KEY: the value of KEY in kstate's output, "-" if absent.
kget() {
	local w

	for w in $1; do
		[ "${w%%=*}" = "$2" ] && { echo "${w#*=}"; return; }
	done
	echo -
}

# assert_kstate WHAT NS DEV KEY=VALUE...: the kernel reports each value
# ("KEY=-": the attribute is absent).
assert_kstate() {
	local what=$1 ns=$2 dev=$3 s kv rc=0

	shift 3
	s=$(kstate "$ns" "$dev") || { ktap_info "$what: $s"; return 1; }
	for kv in "$@"; do
		assert_eq "$what: kernel ${kv%%=*}" "${kv#*=}" \
			"$(kget "$s" "${kv%%=*}")" || rc=1
	done
	[ $rc = 0 ] || ktap_info "kernel: $s"
	return $rc
}

# shellcheck disable=SC2317  # called through wait_until
_kstate_is() {
	[ "$(kget "$(kstate "$1" "$2")" "$3")" = "$4" ]
}

# wait_kstate NS DEV KEY VALUE TIMEOUT_S
wait_kstate() {
	wait_until "$5" _kstate_is "$1" "$2" "$3" "$4"
}

# addrs NS DEV: the IPv6 addresses of DEV, "addr/plen" sorted, one a line.
addrs() {
	ip -n "$1" -6 -o addr show dev "$2" |
		awk '{ print $4 }' | sort
}

# teredo_addr_of NS DEV: the 2001:0: address on DEV.
teredo_addr_of() {
	addrs "$1" "$2" | sed -n 's|^\(2001:0:[^/]*\)/.*|\1|p' | head -1
}

# logged_addr DEV: the address of the last "qualified:" log line.
logged_addr() {
	td_log "$1" | sed -n 's/^[^ ]*: qualified: \([^ ]*\): .*/\1/p' | tail -1
}

# check_addr_layout WHAT ADDR SERVER IP PORT: ADDR embeds them, flags only
# in 0x3cff (cone 0).
check_addr_layout() {
	local what=$1 d flags rc=0

	d=$(topo_teredo_decode "$2") || { ktap_info "$what: $2 is no Teredo address"; return 1; }
	assert_eq "$what: server ip port in $2" "$3 $4 $5" "$d" || rc=1
	flags=$(python3 -I -S -c 'import ipaddress, sys
print(int(ipaddress.IPv6Address(sys.argv[1])) >> 48 & 0xffff)' "$2")
	assert_eq "$what: flags outside 0x3cff" 0 $((flags & ~0x3cff)) || rc=1
	return $rc
}

# The routes through DEV, "dst metric N".
# The kernel's own ff00::/8 (type multicast) is left out: it lives in the
# local table, but in main on a kernel without IPV6_MULTIPLE_TABLES (the
# debug kernel), and it is not teredod's.
routes() {
	ip -n "$1" -6 route show dev "$2" |
		awk '$1 != "multicast" { m = "-"; for (i = 1; i < NF; i++) if ($i == "metric") m = $(i + 1); print $1, "metric", m }' |
		sort
}

# rs_count FILE SRC SPORT DST: RS (61 B, auth, fe80::ffff:ffff:ffff ->
# ff02::2, ICMPv6 133, hop limit 255) in FILE.
rs_count() {
	topo_cap_count "$1" "src=$2" "sport=$3" "dst=$4" dport=3544 \
		paylen=61 auth=1 oi=- "ip6src=$RS_SRC" ip6dst=ff02::2 \
		icmp6=133 hlim=255
}

# assert_rs_ra WHAT FILE PUBLIC_IP PUBLIC_PORT: RS to both server
# addresses from the mapping, RA (117 B, auth, OI = the mapping, ICMPv6
# 134 to fe80::ffff:ffff:ffff) from both.
assert_rs_ra() {
	local what=$1 f=$2 ip=$3 port=$4 s rc=0

	for s in "$TOPO_SRV_IP" "$TOPO_SRV_IP2"; do
		assert_num "$what: RS $ip:$port -> $s:3544 (61 B)" \
			"$(rs_count "$f" "$ip" "$port" "$s")" -ge 1 || rc=1
		assert_cap "$what: RA $s:3544 -> $ip:$port (117 B, OI)" "$f" \
			"src=$s" sport=3544 "dst=$ip" "dport=$port" paylen=117 \
			auth=1 "oi=$ip:$port" icmp6=134 "ip6dst=$RS_SRC" \
			hlim=255 || rc=1
	done
	return $rc
}

# ------------------------------------------------------- scripted server

# Answers an RS on FAKE_IP:3544 with the bad RAs, then a good one; an RS
# on FAKE_IP2 with a good one.  Prints what it sends.
# shellcheck disable=SC2016
PY_FAKE='
import select, socket, struct, sys
srv, srv2, ready = sys.argv[1], sys.argv[2], sys.argv[3]
def inv(b):
    return bytes(x ^ 0xff for x in b)
def csum(src, dst, icmp):
    d = src + dst + struct.pack(">I", len(icmp)) + b"\0\0\0\x3a" + icmp
    if len(d) % 2:
        d += b"\0"
    s = sum((d[i] << 8) | d[i + 1] for i in range(0, len(d), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ra(nonce, peer, prefix=srv, auth=True, oi=True, npio=1):
    pio = (bytes([3, 4, 64, 0x40]) + b"\xff" * 8 + b"\0" * 4 +
           b"\x20\x01\0\0" + socket.inet_aton(prefix) + b"\0" * 8)
    icmp = (bytes([134, 0, 0, 0, 0, 0, 0, 0]) + struct.pack(">II", 0, 2000)
            + pio * npio + bytes([5, 1, 0, 0]) + struct.pack(">I", 1280))
    s6 = bytes.fromhex("fe800000000000008000f227") + inv(socket.inet_aton(srv))
    d6 = bytes.fromhex("fe800000000000000000ffffffffffff")
    icmp = icmp[:2] + struct.pack(">H", csum(s6, d6, icmp)) + icmp[4:]
    p = struct.pack(">IHBB", 0x60000000, len(icmp), 58, 255) + s6 + d6 + icmp
    if oi:
        p = b"\0\0" + struct.pack(">H", peer[1] ^ 0xffff) + \
            inv(socket.inet_aton(peer[0])) + p
    if auth:
        p = b"\0\x01\0\0" + nonce + b"\0" + p
    return p
def sock(a, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a, port))
    return s
s1, s1b, s2 = sock(srv, 3544), sock(srv, 3545), sock(srv2, 3544)
open(ready, "w").write("ready\n")
while True:
    r, _, _ = select.select([s1, s2], [], [], 100)
    if not r:
        break
    for s in r:
        data, peer = s.recvfrom(2048)
        if len(data) != 61 or data[:2] != b"\0\x01":
            continue
        nonce = data[4:12]
        if s is s1:
            bad = bytearray(nonce)
            bad[0] ^= 1
            for what, pkt, via in (
                    ("wrong nonce", ra(bytes(bad), peer), s1),
                    ("no auth", ra(nonce, peer, auth=False), s1),
                    ("no origin", ra(nonce, peer, oi=False), s1),
                    ("two prefixes", ra(nonce, peer, npio=2), s1),
                    ("wrong prefix", ra(nonce, peer, prefix="198.18.0.9"), s1),
                    ("source port 3545", ra(nonce, peer), s1b),
                    ("good", ra(nonce, peer), s1)):
                via.sendto(pkt, peer)
                print("sent %s to %s:%d" % (what, peer[0], peer[1]), flush=True)
        else:
            s2.sendto(ra(nonce, peer), peer)
            print("sent good from %s to %s:%d" % (srv2, peer[0], peer[1]), flush=True)
'

# ---------------------------------------------------------- topology

topo_up
ns_create PUB
if ! { ip -n "$INET" link add v-pub type veth peer name e0 netns "$PUB" &&
	ip -n "$INET" link set v-pub master "$TOPO_BR4" up &&
	ip -n "$PUB" link set e0 up &&
	ip -n "$PUB" addr add "$PUB_IP/24" dev e0; }; then
	ktap_bail "cannot attach $PUB to the Internet bridge"
fi
topo_server_miredo || ktap_bail "miredo-server did not start"
if ! ks_start "$PUB" || ! ks_start "$CLI"; then
	ktap_bail "cannot start nlraw"
fi

# ------------------------------------------ round 1: scenario 1, no NAT
S=S1
dev=t1
topo_capture_start s1 || ktap_bail "cannot capture"
assert_ok ip -n "$PUB" link add "$dev" type teredo server "$TOPO_SRV_IP" ||
	ktap_bail "cannot create $dev"
td_start "$PUB" "$dev"
rc=0
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $PUB_IP:[0-9]+, nat none$" 60 || rc=1
ktap_result $rc "$S: teredod qualifies a public client: \"qualified: ADDR: mapped $PUB_IP:PORT, nat none\""
# Under TCG tcpdump may still hold the last datagrams: give it time.
sleep 2
topo_capture_stop s1
addr1=$(logged_addr "$dev")
port1=$(td_log "$dev" | sed -n "s/.*: mapped $PUB_IP:\([0-9]*\), .*/\1/p" | tail -1)

assert_kstate "$S" "$PUB" "$dev" state=qualified reason=none nat=none \
	"mapped=$PUB_IP" "port=${port1:-?}" "address=${addr1:-?}" carrier=1
ktap_result $? "$S: kernel: qualified, nat none, mapped $PUB_IP:${port1:-?}, address, carrier on"

rc=0
got=$(addrs "$PUB" "$dev")
assert_eq "$S: addresses on $dev (only these: addr_gen_mode none)" \
	"$(printf '%s\n' "${addr1:-?}/32" "$RS_SRC/64" | sort)" "$got" || rc=1
got=$(routes "$PUB" "$dev")
assert_contains "$S: route 2001::/32 dev $dev" "2001::/32 metric 1024" "$got" || rc=1
assert_not_contains "$S: no default route without --default-route" \
	"default" "$got" || rc=1
ktap_result $rc "$S: $dev has the Teredo address /32 and $RS_SRC/64 only, route 2001::/32, no default route"

rc=0
for s in "$TOPO_SRV_IP" "$TOPO_SRV_IP2"; do
	assert_num "$S: RS to $s" "$(rs_count "$(topo_capture_file s1)" \
		"$PUB_IP" "${port1:-0}" "$s")" -ge 1 || rc=1
done
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$(topo_capture_file s1)")"
ktap_result $rc "$S wire: RS 61 B to $TOPO_SRV_IP and $TOPO_SRV_IP2 (auth, $RS_SRC > ff02::2, ICMPv6 133, hop limit 255)"

assert_rs_ra "$S" "$(topo_capture_file s1)" "$PUB_IP" "${port1:-0}"
ktap_result $? "$S wire: RA 117 B from both server addresses, origin indication $PUB_IP:${port1:-?}"

check_addr_layout "$S" "${addr1:-::}" "$TOPO_SRV_IP" "$PUB_IP" "${port1:-0}"
ktap_result $? "$S: address = 2001:0:c612:1:<random & 0x3cff>:~port:~ip, cone bit 0"

rc=0
td_signal "$dev" TERM
assert_eq "$S: teredod exit status on SIGTERM" 0 "$TD_RC" || rc=1
assert_contains "$S: log" "$dev: offline: stopped" "$(td_log "$dev")" || rc=1
assert_eq "$S: addresses after SIGTERM" "" "$(addrs "$PUB" "$dev")" || rc=1
assert_eq "$S: routes after SIGTERM" "" "$(routes "$PUB" "$dev")" || rc=1
assert_kstate "$S after SIGTERM" "$PUB" "$dev" state=offline carrier=0 || rc=1
ktap_result $rc "$S: SIGTERM: exit 0, addresses and routes removed, kernel offline, carrier off"
ip -n "$PUB" link del "$dev"

# ------------------------------------------------ round 2: bad RAs
S=bad-RA
dev=t2
ip -n "$SRV" addr add "$FAKE_IP/24" dev e0
ip -n "$SRV" addr add "$FAKE_IP2/24" dev e0
fake_ready=$TOPO_DIR/fake.ready
"$IP" netns exec "$SRV" timeout 200 python3 -I -S -c "$PY_FAKE" \
	"$FAKE_IP" "$FAKE_IP2" "$fake_ready" >"$(topo_log fake)" 2>&1 </dev/null &
fake_pid=$!
wait_until 30 test -e "$fake_ready" || ktap_bail "scripted server did not start: $(cat "$(topo_log fake)")"
assert_ok ip -n "$PUB" link add "$dev" type teredo server "$FAKE_IP" ||
	ktap_bail "cannot create $dev"
td_start "$PUB" "$dev"
td_wait_log "$dev" ": qualified: " 60
rc=0
for why in "wrong nonce" "no authentication header" "no origin indication" \
	"more than one prefix" "prefix not 2001:0:<server>::/64 of our server"; do
	assert_contains "$S: log" "ignored RA from $FAKE_IP:" \
		"$(td_log "$dev" | grep -F ": $why")" || rc=1
done
[ $rc = 0 ] || ktap_info "$(td_log "$dev")"
# Only the server's port 3544 sends an authentication header: the kernel
# keeps the one from port 3545 from teredod.
assert_eq "$S: kernel drop" '"rx_auth":1' \
	"$(ip netns exec "$PUB" "$CTL" -j show "$dev" | grep -o '"rx_auth":[0-9]*')" ||
	rc=1
ktap_result $rc "$S: wrong nonce, no auth, no origin indication, two prefixes, wrong prefix: one \"ignored RA\" line each; port 3545: dropped by the kernel (rx_auth)"
rc=0
assert_num "$S: ignored lines" "$(td_log "$dev" | grep -c ': ignored RA from ')" -eq 5 || rc=1
td_log "$dev" | grep -q ": qualified: 2001:0:c612:5:.*mapped $PUB_IP:[0-9]*, nat none$" || {
	ktap_info "$S: no qualified line for server $FAKE_IP: $(td_log "$dev")"
	rc=1
}
ktap_result $rc "$S: exactly those 5 ignored, then the good RA qualifies the client"
td_signal "$dev" TERM
kill "$fake_pid" 2>/dev/null
wait "$fake_pid" 2>/dev/null
ip -n "$PUB" link del "$dev"

# ------------------------------- round 3: scenario 2, behind the NAT
S=S2
dev=t0
state_file=$TOPO_DIR/teredod-$dev.state
topo_capture_start s2 || ktap_bail "cannot capture"
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" \
	port 40000 refresh 10 || ktap_bail "cannot create $dev"
td_start "$CLI" "$dev" --default-route --state-file "$state_file"
rc=0
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $TOPO_NAT_IP:40000, nat restricted$" 60 || rc=1
addr2=$(logged_addr "$dev")
assert_kstate "$S" "$CLI" "$dev" state=qualified nat=restricted \
	"mapped=$TOPO_NAT_IP" port=40000 "address=${addr2:-?}" carrier=1 || rc=1
check_addr_layout "$S" "${addr2:-::}" "$TOPO_SRV_IP" "$TOPO_NAT_IP" 40000 || rc=1
ktap_result $rc "$S: qualified behind the NAT: nat restricted, mapped $TOPO_NAT_IP:40000 (log, kernel, address)"

sleep 2
topo_capture_stop s2
assert_rs_ra "$S" "$(topo_capture_file s2)" "$TOPO_NAT_IP" 40000
ktap_result $? "$S wire: RS from $TOPO_NAT_IP:40000 to both addresses, RAs with origin indication $TOPO_NAT_IP:40000"

rc=0
got=$(routes "$CLI" "$dev")
assert_contains "$S: routes" "default metric 1029" "$got" || rc=1
assert_contains "$S: routes" "2001::/32 metric 1024" "$got" || rc=1
assert_eq "$S: Teredo address on $dev" "${addr2:-?}" "$(teredo_addr_of "$CLI" "$dev")" || rc=1
ktap_result $rc "$S: --default-route: ::/0 dev $dev metric 1029, 2001::/32 dev $dev, address on $dev"

# Refreshes: refresh 10 -> one RS every 7.5..10 s to the primary only.
topo_capture_start s2r || ktap_bail "cannot capture"
sleep 21
topo_capture_stop s2r
rc=0
n=$(rs_count "$(topo_capture_file s2r)" "$TOPO_NAT_IP" 40000 "$TOPO_SRV_IP")
assert_num "$S: refresh RS in 21 s" "$n" -ge 2 || rc=1
assert_num "$S: refresh RS in 21 s" "$n" -le 3 || rc=1
assert_num "$S: RS to the secondary while refreshing" \
	"$(rs_count "$(topo_capture_file s2r)" "$TOPO_NAT_IP" 40000 "$TOPO_SRV_IP2")" -eq 0 || rc=1
s=$(kstate "$CLI" "$dev")
assert_eq "$S: still qualified" qualified "$(kget "$s" state)" || rc=1
assert_num "$S: NEXT_REFRESH" "$(kget "$s" refresh)" -le 10 || rc=1
assert_eq "$S: address kept" "${addr2:-?}" "$(kget "$s" address)" || rc=1
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$(topo_capture_file s2r)")"
ktap_result $rc "$S: refresh every 7.5-10 s to the primary only, same address, NEXT_REFRESH <= 10"

rc=0
td_signal "$dev" KILL
wait_kstate "$CLI" "$dev" carrier 0 10 || rc=1
assert_kstate "$S after kill -9" "$CLI" "$dev" state=offline reason=no-helper carrier=0 || rc=1
ktap_result $rc "$S: teredod killed (-9): kernel offline, reason no-helper, carrier off"

rc=0
td_start "$CLI" "$dev" --default-route --state-file "$state_file"
wait_kstate "$CLI" "$dev" state qualified 60 || rc=1
assert_kstate "$S restarted" "$CLI" "$dev" state=qualified \
	"mapped=$TOPO_NAT_IP" port=40000 "address=${addr2:-?}" carrier=1 || rc=1
assert_eq "$S: Teredo addresses on $dev after the restart" "${addr2:-?}" \
	"$(addrs "$CLI" "$dev" | sed -n 's|^\(2001:0:[^/]*\)/.*|\1|p')" || rc=1
ktap_result $rc "$S: restarted: qualified again, same mapping $TOPO_NAT_IP:40000, same address (state file)"

# The refresh interval is mutable: teredod follows it.
rc=0
assert_ok ip -n "$CLI" link set "$dev" type teredo refresh 12 || rc=1
td_wait_log "$dev" ": refresh 12 s$" 20 || rc=1
ktap_result $rc "$S: ip link set $dev type teredo refresh 12: teredod follows (\"refresh 12 s\")"

# ------------------------------ round 4: scenario 5, mapping change
S=S5
# The NAT's public address changes; masquerade forgets the old flows.
topo_capture_start s5 || ktap_bail "cannot capture"
# promote_secondaries: deleting the old (primary) address keeps the new.
if ! { ip netns exec "$NAT" sysctl -qw net.ipv4.conf.e0.promote_secondaries=1 &&
	ip -n "$NAT" addr add "$NAT_IP2/24" dev e0 &&
	ip -n "$NAT" addr del "$TOPO_NAT_IP/24" dev e0; }; then
	ktap_info "$S: cannot change the NAT's address"
fi
rc=0
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $NAT_IP2:40000, nat restricted \(mapping changed from $TOPO_NAT_IP:40000\)$" 40 || rc=1
addr5=$(logged_addr "$dev")
assert_ne "$S: new address" "${addr2:-?}" "$addr5" || rc=1
check_addr_layout "$S" "${addr5:-::}" "$TOPO_SRV_IP" "$NAT_IP2" 40000 || rc=1
assert_kstate "$S" "$CLI" "$dev" state=qualified "mapped=$NAT_IP2" port=40000 \
	"address=${addr5:-?}" || rc=1
assert_eq "$S: Teredo addresses on $dev" "${addr5:-?}" \
	"$(addrs "$CLI" "$dev" | sed -n 's|^\(2001:0:[^/]*\)/.*|\1|p')" || rc=1
topo_capture_stop s5
assert_num "$S: refresh RS from the new mapping" \
	"$(rs_count "$(topo_capture_file s5)" "$NAT_IP2" 40000 "$TOPO_SRV_IP")" -ge 1 || rc=1
ktap_result $rc "$S: the next refresh learns $NAT_IP2:40000: new address, old one removed, kernel updated"

# ---------------------------------- round 5: scenario 6, server loss
S=S6
_topo_kill_ns "$SRV"
t_lost=$SECONDS
# From the server's death to going offline.
topo_capture_start s6 || ktap_bail "cannot capture"
rc=0
td_wait_log "$dev" ": offline: no answer from server $TOPO_SRV_IP; retry in 15 s$" 40 || rc=1
t_off=$((SECONDS - t_lost))
sleep 1
topo_capture_stop s6
assert_num "$S: seconds to offline" "$t_off" -le 30 || rc=1
assert_kstate "$S" "$CLI" "$dev" state=offline reason=no-server carrier=0 address=- || rc=1
assert_eq "$S: Teredo address after losing the server" "" "$(teredo_addr_of "$CLI" "$dev")" || rc=1
got=$(routes "$CLI" "$dev")
assert_not_contains "$S: routes when offline" "2001::/32" "$got" || rc=1
assert_not_contains "$S: routes when offline" "default" "$got" || rc=1
ktap_result $rc "$S: 3 unanswered RS -> offline in ${t_off}s: address and routes removed, kernel offline (no-server), carrier off"

rc=0
n=$(rs_count "$(topo_capture_file s6)" "$NAT_IP2" 40000 "$TOPO_SRV_IP")
assert_num "$S: RS while the server is gone" "$n" -ge 1 || rc=1
assert_num "$S: RS while the server is gone" "$n" -le 3 || rc=1
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$(topo_capture_file s6)")"
ktap_result $rc "$S: no RS storm: at most 3 RS to the lost server before going offline (then a 15 s back-off)"

rc=0
topo_server_miredo || rc=1
td_wait_log "$dev" ": qualified: 2001:0:c612:1:[0-9a-f:]*: mapped $NAT_IP2:40000, nat restricted$" 90 || rc=1
assert_eq "$S: address after the server's return" "${addr5:-?}" "$(logged_addr "$dev")" || rc=1
assert_kstate "$S" "$CLI" "$dev" state=qualified carrier=1 "address=${addr5:-?}" || rc=1
ktap_result $rc "$S: the server returns: qualified again with the same address"

# ------------------------------- round 6: scenario 3, symmetric NAT
S=S3
td_signal "$dev" TERM
if ! { ip netns exec "$NAT" nft flush chain ip topo_nat postrouting &&
	ip netns exec "$NAT" nft add rule ip topo_nat postrouting \
		oifname e0 masquerade fully-random; }; then
	ktap_info "$S: cannot make the NAT symmetric"
fi
dev=t3
topo_capture_start s3 || ktap_bail "cannot capture"
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" ||
	ktap_bail "cannot create $dev"
# RFC 4380's answer (--symmetric-nat off); RFC 6081's, the default, is
# teredo_client_sns.sh's.
td_start "$CLI" "$dev" --symmetric-nat off
rc=0
td_wait_log "$dev" ": offline: symmetric NAT \(mappings $NAT_IP2:[0-9]+ and $NAT_IP2:[0-9]+ differ\); retry in 15 s$" 60 || rc=1
assert_kstate "$S" "$CLI" "$dev" state=offline reason=symmetric-nat \
	nat=symmetric carrier=0 address=- || rc=1
assert_eq "$S: Teredo address" "" "$(teredo_addr_of "$CLI" "$dev")" || rc=1
ktap_result $rc "$S: symmetric NAT detected and reported: offline, reason symmetric-nat, no address"
topo_capture_stop s3
rc=0
f=$(topo_capture_file s3)
p1=$(topo_cap_decode "$f" | awk -F'\t' -v s="$TOPO_SRV_IP" '$3 == s && $6 == 61 { print $2; exit }')
p2=$(topo_cap_decode "$f" | awk -F'\t' -v s="$TOPO_SRV_IP2" '$3 == s && $6 == 61 { print $2; exit }')
assert_ne "$S: NAT ports towards .1 and .2" "${p1:-x}" "${p2:-x}" || rc=1
[ -n "$p1" ] && [ -n "$p2" ] || rc=1
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$f")"
ktap_result $rc "$S wire: the RS to $TOPO_SRV_IP and $TOPO_SRV_IP2 leave the NAT from different ports ($p1, $p2)"
td_signal "$dev" TERM

ktap_finish
