#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# teredod as a service people leave running (issue 17), on topo.sh's
# topology with our own server (.1/.2) and relay, and a scripted server
# (.5, secondary .6 silent) for the MTU and the NAT type:
#   shown:    ip -d link show and teredoctl show report the running state
#             with the same words (state nat mapped address bound), the
#             socket's real port; teredoctl peers -j keys are the words
#             of its header.
#   SIGHUP:   qualify again: RS to both addresses on the wire, the same
#             address, the state never leaves qualified, no ping lost.
#   second:   a second teredod on the device exits 1 with a clear line;
#             address, routes, socket and traffic of the first unchanged.
#   network:  the client's IPv4 route to the server changes (new source
#             address): qualified again within 2 s; the route goes and
#             comes back: qualified within 2 s of its return.
#   MTU:      RA MTU 1400 -> device MTU 1400; 1279 and 65508 refused.
#   events:   teredoctl monitor (text, JSON) prints the state changes and
#             peer unreachable / evicted (max-peers 1) / trusted.
#   sunset:   a global address and a default route on another interface
#             (RFC 4380 §5.5): offline, reason native-ipv6, address and
#             routes gone, nothing on the wire; they go: qualified again.
#   dormant:  --dormant-after 4: dormant, no refresh on the wire; a ping
#             wakes it, its first echo request (held) is answered.
#   ynl:      the kernel's tools/net/ynl CLI with teredo.yaml alone: a
#             dev-get dump, a dev-get do and a peer-get dump, and the
#             events group (peer-ntf, state-ntf) decode.
#   server+1: the secondary address silent -> qualified, NAT unknown,
#             said in the log and reported by the kernel.
#   servers:  teredod --server: a name that resolves elsewhere at the
#             retry, a name with two A records and a list, the first
#             server silent each time: RS on the wire to each in turn,
#             qualified through the answering one; a qualified client's
#             server cannot be changed.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

TEREDOD=$TEREDO_TOP/build/tools/teredod
CTL=$TEREDO_TOP/build/tools/teredoctl
FAKE_IP=198.18.0.5
FAKE_IP2=198.18.0.6
CLI_IP2=10.0.0.3

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "build/tools/teredod not built"
ktap_plan 30

# ------------------------------------------------------------ helpers

declare -A TD_PID=()

# td_start DEV [OPTION...]: teredod DEV in $CLI, log in topo_log td-DEV.
td_start() {
	local dev=$1

	shift
	"$IP" netns exec "$CLI" "$TEREDOD" "$@" "$dev" \
		>>"$(topo_log "td-$dev")" 2>&1 </dev/null &
	TD_PID[$dev]=$!
}

# td_signal_term DEV: SIGTERM, wait for the exit.
td_signal_term() {
	kill -TERM "${TD_PID[$1]}" 2>/dev/null
	wait "${TD_PID[$1]}" 2>/dev/null
	unset "TD_PID[$1]"
}

td_log() {
	cat "$(topo_log "td-$1")" 2>/dev/null
}

# td_count DEV REGEX: how many log lines match.
td_count() {
	td_log "$1" | grep -cE "$2"
}

# shellcheck disable=SC2317  # called through wait_until
_td_more() {
	[ "$(td_count "$1" "$2")" -gt "$3" ]
}

# td_wait_more DEV REGEX N TIMEOUT_S: more than N matching lines.
td_wait_more() {
	wait_until "$4" _td_more "$1" "$2" "$3" && return 0
	ktap_info "$1: no new line matching \"$2\" in $4 s; log:"
	ktap_info "$(td_log "$1")"
	return 1
}

MON_PIDS=""

# shellcheck disable=SC2317  # called at exit
_td_kill_all() {
	local d

	for d in "${!TD_PID[@]}"; do
		kill -KILL "${TD_PID[$d]}" 2>/dev/null
	done
	# shellcheck disable=SC2086  # a list of pids
	[ -n "$MON_PIDS" ] && kill $MON_PIDS 2>/dev/null
}
at_exit _td_kill_all

ms() {
	local t

	t=$(date +%s%N)
	echo $((t / 1000000))
}

ctl() {
	ip netns exec "$CLI" "$CTL" "$@"
}

# jkey KEY: the value of KEY in a one-line JSON object on stdin ("-").
jkey() {
	local j re

	j=$(cat)
	re="\"$1\":\"?([^\",}]*)"
	if [[ $j =~ $re ]]; then
		echo "${BASH_REMATCH[1]}"
	else
		echo -
	fi
}

# info_of DEV: the info_data object of ip -d -j link show, as printed.
info_of() {
	local j

	j=$(ip -n "$CLI" -d -j link show dev "$1")
	j=${j#*\"info_data\":}
	echo "${j%%\}*}}"
}

# state_of DEV: the state in ip -d -j link show.
state_of() {
	info_of "$1" | jkey state
}

mtu_of() {
	ip -n "$CLI" -j link show dev "$1" | jkey mtu
}

# shellcheck disable=SC2317  # called through wait_until
_state_is() {
	[ "$(state_of "$1")" = "$2" ]
}

# shellcheck disable=SC2317  # called through wait_until
_mtu_is() {
	[ "$(mtu_of "$1")" = "$2" ]
}

routes() {
	ip -n "$CLI" -6 route show dev "$1" |
		awk '$1 != "multicast"' | sort
}

addrs() {
	ip -n "$CLI" -6 -o addr show dev "$1" | awk '{ print $4 }' | sort
}

teredo_addr_of() {
	addrs "$1" | sed -n 's|^\(2001:0:[^/]*\)/.*|\1|p' | head -1
}

# rs_to FILE DST: Router Solicitations (61 B) towards DST:3544 in FILE.
rs_to() {
	topo_cap_count "$1" "dst=$2" dport=3544 paylen=61
}

# ------------------------------------------------------- scripted server

# A server on FAKE_IP:3544 only (FAKE_IP2 has no socket: silent); the
# MTU option of each RA is read from MTU_FILE at the time.
# shellcheck disable=SC2016
PY_FAKE='
import select, socket, struct, sys
srv, ready, mtu_file = sys.argv[1], sys.argv[2], sys.argv[3]
def inv(b):
    return bytes(x ^ 0xff for x in b)
def csum(src, dst, icmp):
    d = src + dst + struct.pack(">I", len(icmp)) + b"\0\0\0\x3a" + icmp
    s = sum((d[i] << 8) | d[i + 1] for i in range(0, len(d), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ra(nonce, peer, mtu):
    pio = (bytes([3, 4, 64, 0x40]) + b"\xff" * 8 + b"\0" * 4 +
           b"\x20\x01\0\0" + socket.inet_aton(srv) + b"\0" * 8)
    icmp = (bytes([134, 0, 0, 0, 0, 0, 0, 0]) + struct.pack(">II", 0, 2000)
            + pio + bytes([5, 1, 0, 0]) + struct.pack(">I", mtu))
    s6 = bytes.fromhex("fe800000000000008000f227") + inv(socket.inet_aton(srv))
    d6 = bytes.fromhex("fe800000000000000000ffffffffffff")
    icmp = icmp[:2] + struct.pack(">H", csum(s6, d6, icmp)) + icmp[4:]
    p = struct.pack(">IHBB", 0x60000000, len(icmp), 58, 255) + s6 + d6 + icmp
    p = b"\0\0" + struct.pack(">H", peer[1] ^ 0xffff) + \
        inv(socket.inet_aton(peer[0])) + p
    return b"\0\x01\0\0" + nonce + b"\0" + p
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((srv, 3544))
open(ready, "w").write("ready\n")
while True:
    r, _, _ = select.select([s], [], [], 300)
    if not r:
        break
    data, peer = s.recvfrom(2048)
    if len(data) != 61 or data[:2] != b"\0\x01":
        continue
    mtu = int(open(mtu_file).read())
    s.sendto(ra(data[4:12], peer, mtu), peer)
    print("RA mtu %d to %s:%d" % (mtu, peer[0], peer[1]), flush=True)
'

# ---------------------------------------------------------- topology

topo_up
topo_server_ours || ktap_bail "our server did not start"
topo_relay_ours || ktap_bail "our relay did not start"

# Events from the start, text and JSON.
for fmt in text json; do
	opt=
	[ "$fmt" = json ] && opt=-j
	# shellcheck disable=SC2086  # $opt is empty or one option
	"$IP" netns exec "$CLI" "$CTL" $opt monitor t0 \
		>"$TOPO_DIR/monitor.$fmt" 2>&1 </dev/null &
	MON_PIDS+=" $!"
done
sleep 1

dev=t0
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$TOPO_SRV_IP" ||
	ktap_bail "cannot create $dev"
td_start "$dev" --default-route
td_wait_more "$dev" ": qualified: 2001:0:c612:1:" 0 60 ||
	ktap_bail "$dev did not qualify"
wait_until 10 _state_is "$dev" qualified

# ------------------------------------------------- what is shown
S=shown
rc=0
ipj=$(info_of "$dev")
ctlj=$(ctl -j show "$dev")
port=$(ip netns exec "$CLI" ss -Hunlp | awk '/teredod/ { n = split($4, a, ":"); print a[n]; exit }')
assert_num "$S: teredod's socket port (ss)" "${port:-0}" -gt 0 || rc=1
for k in state nat mapped address bound; do
	assert_eq "$S: ip -j and teredoctl -j agree on $k" \
		"$(jkey "$k" <<< "$ipj")" "$(jkey "$k" <<< "$ctlj")" || rc=1
done
assert_eq "$S: bound" "0.0.0.0:${port:-?}" "$(jkey bound <<< "$ipj")" || rc=1
assert_eq "$S: state" qualified "$(jkey state <<< "$ipj")" || rc=1
assert_eq "$S: nat" restricted "$(jkey nat <<< "$ipj")" || rc=1
assert_eq "$S: address" "$(teredo_addr_of "$dev")" \
	"$(jkey address <<< "$ipj")" || rc=1
ktap_result $rc "$S: ip -d -j link show and teredoctl -j show: same state, nat, mapped, address, bound 0.0.0.0:${port:-?} (the real port)"

rc=0
iptext=$(ip -n "$CLI" -d link show dev "$dev")
ctltext=$(ctl show "$dev")
for w in "state qualified" "nat restricted" \
	"mapped $(jkey mapped <<< "$ipj")" \
	"address $(jkey address <<< "$ipj")" "bound 0.0.0.0:${port:-?}"; do
	assert_contains "$S: ip -d link show" "$w" "$iptext" || rc=1
	assert_contains "$S: teredoctl show" "$w" "$ctltext" || rc=1
done
ktap_result $rc "$S: the text outputs carry the same words: state, nat, mapped, address, bound"

# Traffic for the peer table, and for later.
assert_ping "$S: ping" "$CLI" "$TOPO_HOST_IP6" 3
rc=0
hdr=$(ctl peers "$dev" | head -1 | tr -s ' ' '\n' | sort | tr '\n' ' ')
keys=$(ctl -j peers "$dev" | py -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(d[0])) + " " if d else "")')
assert_eq "$S: peers -j keys = peers header words" "$hdr" "$keys" || rc=1
ktap_result $rc "$S: teredoctl peers -j uses the words of its header as keys ($hdr)"

# ---------------------------------------------------------- SIGHUP
S=SIGHUP
addr0=$(teredo_addr_of "$dev")
routes0=$(routes "$dev")
nq=$(td_count "$dev" ": qualified: ")
topo_capture_start hup || ktap_bail "cannot capture"
ip netns exec "$CLI" busybox ping -6 -c 25 -i 0.2 -W 2 "$TOPO_HOST_IP6" \
	>"$TOPO_DIR/hup-ping" 2>&1 &
ping_pid=$!
sleep 1
states=""
t_hup=$(ms)
kill -HUP "${TD_PID[$dev]}"
while ! _td_more "$dev" ": qualified: " "$nq" && [ $(($(ms) - t_hup)) -lt 20000 ]; do
	states+=" $(state_of "$dev")"
done
t_q=$(($(ms) - t_hup))
wait "$ping_pid"
topo_capture_stop hup
rc=0
assert_contains "$S: log" "$dev: SIGHUP: qualifying again, soliciting server $TOPO_SRV_IP" \
	"$(td_log "$dev")" || rc=1
td_wait_more "$dev" ": qualified: " "$nq" 1 || rc=1
kill -0 "${TD_PID[$dev]}" 2>/dev/null || { ktap_info "teredod exited on SIGHUP"; rc=1; }
assert_eq "$S: address" "$addr0" "$(teredo_addr_of "$dev")" || rc=1
assert_eq "$S: routes" "$routes0" "$(routes "$dev")" || rc=1
assert_not_contains "$S: states while requalifying:$states" "offline" "$states" || rc=1
assert_not_contains "$S: states while requalifying:$states" "qualifying" "$states" || rc=1
ktap_result $rc "$S: qualified again in $t_q ms, same address and routes, never left qualified"
rc=0
f=$(topo_capture_file hup)
assert_num "$S: RS to $TOPO_SRV_IP" "$(rs_to "$f" "$TOPO_SRV_IP")" -ge 1 || rc=1
assert_num "$S: RS to $TOPO_SRV_IP2" "$(rs_to "$f" "$TOPO_SRV_IP2")" -ge 1 || rc=1
rx=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' "$TOPO_DIR/hup-ping")
assert_num "$S: echo replies of 25 across the HUP" "${rx:-0}" -eq 25 || rc=1
[ $rc = 0 ] || ktap_info "$(cat "$TOPO_DIR/hup-ping")"
ktap_result $rc "$S wire: RS to both server addresses; 25/25 pings (every 0.2 s) answered across it: no gap"

# ------------------------------------------------ a second teredod
S=second
routes0=$(routes "$dev")
addrs0=$(addrs "$dev")
bound0=$(info_of "$dev" | jkey bound)
rc=0
out=$(ip netns exec "$CLI" timeout 20 "$TEREDOD" "$dev" 2>&1)
st=$?
assert_eq "$S: exit status" 1 "$st" || rc=1
assert_contains "$S: message" \
	"$dev: another teredod already serves $dev (its socket is bound to $bound0); leaving the device as it is" \
	"$out" || rc=1
ktap_result $rc "$S: a second teredod exits 1: \"another teredod already serves $dev\""
rc=0
assert_eq "$S: addresses" "$addrs0" "$(addrs "$dev")" || rc=1
assert_eq "$S: routes" "$routes0" "$(routes "$dev")" || rc=1
assert_eq "$S: bound" "$bound0" "$(info_of "$dev" | jkey bound)" || rc=1
assert_eq "$S: state" qualified "$(state_of "$dev")" || rc=1
kill -0 "${TD_PID[$dev]}" 2>/dev/null || { ktap_info "the first teredod died"; rc=1; }
assert_ping "$S: ping" "$CLI" "$TOPO_HOST_IP6" 3 || rc=1
ktap_result $rc "$S: the first one's address, routes, socket, state and traffic unchanged"

# ----------------------------------------------- network changes
S=network
# The time qualification takes is measured on the wire: from the change
# to the RA of the secondary address (the last step), both on the guest's
# clock; the test's own polling of the log only bounds it from above.

# ra2_ms PCAP T0: ms from T0 (date +%s.%N) to the first datagram from the
# secondary server address after it, "none" without one.
ra2_ms() {
	py "$TEREDO_SELFTEST_DIR/teredo_peer.py" pcap "$1" |
		awk -v t0="$2" -v s="$TOPO_SRV_IP2:3544" '
		$2 == s && $1 >= t0 { printf "%d\n", ($1 - t0) * 1000; f = 1; exit }
		END { if (!f) print "none" }'
}

nq=$(td_count "$dev" ": qualified: ")
ip -n "$CLI" addr add "$CLI_IP2/24" dev e0
topo_capture_start net1 || ktap_bail "cannot capture"
t0=$(date +%s.%N)
ip -n "$CLI" route replace default via "$TOPO_NAT_LAN_IP" src "$CLI_IP2"
rc=0
td_wait_more "$dev" ": qualified: " "$nq" 10 || rc=1
sleep 1
topo_capture_stop net1
t_net=$(ra2_ms "$(topo_capture_file net1)" "$t0")
assert_contains "$S: log" "network changed (src $CLI_IP2 via $TOPO_NAT_LAN_IP" \
	"$(td_log "$dev")" || rc=1
assert_num "$S: ms from the route change to the secondary's RA" "$t_net" -le 2000 || rc=1
ktap_result $rc "$S: new source address $CLI_IP2: qualified again, the last RA $t_net ms after the change (<= 2000)"

nq=$(td_count "$dev" ": qualified: ")
nn=$(td_count "$dev" "network changed \(no route")
ip -n "$CLI" route del default
rc=0
td_wait_more "$dev" "network changed \(no route" "$nn" 5 || rc=1
sleep 1
topo_capture_start net2 || ktap_bail "cannot capture"
t0=$(date +%s.%N)
ip -n "$CLI" route add default via "$TOPO_NAT_LAN_IP"
td_wait_more "$dev" ": qualified: " "$nq" 10 || rc=1
sleep 1
topo_capture_stop net2
t_net=$(ra2_ms "$(topo_capture_file net2)" "$t0")
assert_num "$S: ms from the route's return to the secondary's RA" "$t_net" -le 2000 || rc=1
wait_until 5 _state_is "$dev" qualified || rc=1
ktap_result $rc "$S: default route removed and restored: qualified again, the last RA $t_net ms after its return (<= 2000)"

# ------------------------------------------------------------ events
S=events
# The kernel's own YNL CLI, driven by Documentation/netlink/specs/
# teredo.yaml alone, listens too (tools/vm/deps.sh extracts it).
YNL_DIR=${TEREDO_CACHE:-/var/cache/teredo}/ynl
YNL_SPEC=$TEREDO_TOP/Documentation/netlink/specs/teredo.yaml
ynl() {
	ip netns exec "$CLI" python3 "$YNL_DIR/tools/net/ynl/cli.py" \
		--spec "$YNL_SPEC" \
		--schema "$YNL_DIR/Documentation/netlink/genetlink-legacy.yaml" \
		--output-json "$@"
}
have_ynl=0
[ -f "$YNL_DIR/tools/net/ynl/cli.py" ] && have_ynl=1

# ynl_watch OUT WANT...: the events group through ynl's own library (what
# `cli.py --subscribe` uses, without its fixed --sleep): "ready" in
# OUT.ready once subscribed, then every notification as "NAME ifname
# what addr-or-reason" in OUT until each WANT has been seen (60 s at most).
# shellcheck disable=SC2016
PY_YNL='
import json, sys, time
sys.path.insert(0, sys.argv[1])
from lib import YnlFamily
ynl = YnlFamily(sys.argv[2], sys.argv[3])
ynl.ntf_subscribe("events")
open(sys.argv[4] + ".ready", "w").write("ready\n")
want, seen, end = set(sys.argv[5:]), set(), time.time() + 60
with open(sys.argv[4], "w") as out:
    while want - seen and time.time() < end:
        time.sleep(0.2)
        ynl.check_ntf()
        for m in ynl.async_msg_queue:
            a = m["msg"]
            if m["name"] == "peer-ntf":
                line = "peer-ntf %s %s %s" % (a["ifname"], a["event"], a["peer"]["addr"])
            elif m["name"] == "state-ntf":
                line = "state-ntf %s %s %s" % (a["ifname"], a["state"], a.get("reason"))
            else:
                line = "%s %s" % (m["name"], a.get("ifname"))
            seen.add(line)
            out.write(line + "\n")
            out.flush()
        ynl.async_msg_queue.clear()
'
ynl_watch() {
	local out=$1

	shift
	rm -f "$out" "$out.ready"
	ip netns exec "$CLI" python3 -c "$PY_YNL" "$YNL_DIR/tools/net/ynl" \
		"$YNL_SPEC" "$YNL_DIR/Documentation/netlink/genetlink-legacy.yaml" \
		"$out" "$@" 2>"$out.err" &
	YNL_PID=$!
	# ynl parses the specs first: half a minute or more in a debug guest.
	wait_until 90 test -e "$out.ready" && return 0
	ktap_info "ynl did not subscribe: $(cat "$out.err")"
	return 1
}

# ynl_check WHAT OUT WANT...: the watcher saw each WANT.
ynl_check() {
	local what=$1 out=$2 w rc=0

	shift 2
	wait "$YNL_PID"
	for w in "$@"; do
		grep -qxF "$w" "$out" || { ktap_info "$what: no \"$w\""; rc=1; }
	done
	[ $rc = 0 ] || ktap_info "ynl saw: $(cat "$out" "$out.err")"
	return $rc
}

dead=$(py "$TEREDO_SELFTEST_DIR/teredo_peer.py" addr "$TOPO_SRV_IP" 198.18.0.99 5000)
YNL_PEER_WANT=("peer-ntf t0 unreachable $dead" "peer-ntf t0 evicted $dead"
	"peer-ntf t0 trusted $TOPO_HOST_IP6")
[ $have_ynl = 1 ] && ynl_watch "$TOPO_DIR/ynl.peers" "${YNL_PEER_WANT[@]}"
# One peer at most; a Teredo peer that never answers, then a native one.
rc=0
ctl peers flush t0 || rc=1
assert_ok ip -n "$CLI" link set t0 type teredo max-peers 1 || rc=1
ip netns exec "$CLI" busybox ping -6 -c 1 -w 9 "$dead" >/dev/null 2>&1
assert_ping "$S: ping" "$CLI" "$TOPO_HOST_IP6" 2 || rc=1
# The last event expected (no fixed wait).
wait_until 5 grep -q "^t0: peer $TOPO_HOST_IP6 trusted" "$TOPO_DIR/monitor.text"
mon=$(cat "$TOPO_DIR/monitor.text")
for w in "t0: state qualifying" \
	"t0: state qualified nat restricted mapped $TOPO_NAT_IP:" \
	"t0: state qualified nat restricted mapped $TOPO_NAT_IP:[0-9]* address 2001:0:c612:1:" \
	"t0: peer $dead unreachable" "t0: peer $dead evicted" \
	"t0: peer $TOPO_HOST_IP6 trusted mapped $TOPO_RLY_IP:3544"; do
	grep -q "^$w" <<< "$mon" || { ktap_info "$S: no line \"$w\""; rc=1; }
done
[ $rc = 0 ] || ktap_info "teredoctl monitor t0: $mon"
ktap_result $rc "$S: teredoctl monitor prints state qualifying/qualified, peer unreachable, evicted (max-peers 1), trusted"
rc=0
got=$(grep -F "\"peer\":\"$dead\"" "$TOPO_DIR/monitor.json" | head -1 |
	py -c 'import json, sys; d = json.load(sys.stdin); print(d["ifname"], d["event"], d["peer"])')
assert_eq "$S: teredoctl -j monitor" "t0 unreachable $dead" "$got" || rc=1
ktap_result $rc "$S: teredoctl -j monitor: one JSON object per event, keys ifname event peer"
assert_ok ip -n "$CLI" link set t0 type teredo max-peers 4096

# ---------------------------------------------------------------- ynl
S=ynl
if [ $have_ynl = 0 ]; then
	for w in "peer events" dump get "state events"; do
		ktap_skip "$S: $w" "no $YNL_DIR (tools/vm/deps.sh)"
	done
else
	rc=0
	ynl_check "$S: peer events" "$TOPO_DIR/ynl.peers" \
		"${YNL_PEER_WANT[@]}" || rc=1
	ktap_result $rc "$S: the events group decodes peer-ntf unreachable, evicted, trusted through the spec"
	ifindex=$(ip -n "$CLI" -j link show dev t0 | jkey ifindex)
	rc=0
	# A peer for peer-count (the last one may have idled out by now in a
	# slow guest).
	ip netns exec "$CLI" busybox ping -6 -c 1 -W 5 "$TOPO_HOST_IP6" >/dev/null 2>&1
	out=$(ynl --dump dev-get 2>&1) || rc=1
	got=$(py -c '
import json, sys
d = [x for x in json.loads(sys.argv[1]) if x["ifname"] == "t0"][0]
print(d["ifindex"], d["mode"], "tx-held" in d["stats"], d["peer-count"] >= 1)' "$out" 2>&1)
	assert_eq "$S: dev-get dump" "$ifindex client True True" "$got" || rc=1
	[ $rc = 0 ] || ktap_info "$out"
	ktap_result $rc "$S: --dump dev-get decodes through the spec: t0, mode client, stats by name"
	rc=0
	out=$(ynl --do dev-get --json "{\"ifindex\": $ifindex}" 2>&1) || rc=1
	got=$(py -c '
import json, sys
d = json.loads(sys.argv[1])
print(d["ifname"], d["mode"])' "$out" 2>&1)
	assert_eq "$S: dev-get" "t0 client" "$got" || rc=1
	# The peer is collected 60 s after its last packet: the ynl runs
	# above can take that long under TCG on a loaded host.
	ip netns exec "$CLI" busybox ping -6 -c 1 -W 5 "$TOPO_HOST_IP6" \
		>/dev/null 2>&1
	out2=$(ynl --dump peer-get --json "{\"ifindex\": $ifindex}" 2>&1) || rc=1
	got=$(py -c '
import json, sys
print(" ".join(sorted(p["peer"]["addr"] for p in json.loads(sys.argv[1]))))' "$out2" 2>&1)
	assert_contains "$S: peer-get dump" "$TOPO_HOST_IP6" "$got" || rc=1
	[ $rc = 0 ] || ktap_info "$out $out2"
	ktap_result $rc "$S: --do dev-get {ifindex} and --dump peer-get decode: t0, client, peer $TOPO_HOST_IP6"
fi


# ------------------------------------------------------------ sunset
S=sunset
dev=t0
assert_ok ip -n "$CLI" link set "$dev" type teredo refresh 10
td_wait_more "$dev" ": refresh 10 s$" 0 10
routes0=$(routes "$dev")
addr0=$(teredo_addr_of "$dev")
ns=$(td_count "$dev" ": offline: native IPv6 on nat6$")
[ $have_ynl = 1 ] && ynl_watch "$TOPO_DIR/ynl.state" \
	"state-ntf t0 offline native-ipv6"
rc=0
if ! ip -n "$CLI" link add nat6 type dummy ||
	! ip -n "$CLI" link set nat6 up ||
	! ip -n "$CLI" -6 addr add 2001:db8:99::2/64 dev nat6 nodad ||
	! ip -n "$CLI" -6 route add default via 2001:db8:99::1 dev nat6; then
	ktap_info "$S: cannot give $CLI native IPv6"
	rc=1
fi
td_wait_more "$dev" ": offline: native IPv6 on nat6$" "$ns" 5 || rc=1
wait_until 5 _state_is "$dev" offline || rc=1
assert_eq "$S: kernel reason" native-ipv6 "$(info_of "$dev" | jkey reason)" || rc=1
assert_eq "$S: Teredo address" "" "$(teredo_addr_of "$dev")" || rc=1
assert_not_contains "$S: routes" "2001::/32" "$(routes "$dev")" || rc=1
assert_not_contains "$S: routes" "default" "$(routes "$dev")" || rc=1
assert_contains "$S: teredoctl show" "offline: the host has native IPv6" "$(ctl show "$dev")" || rc=1
ktap_result $rc "$S: global address and default route on nat6: offline, reason native-ipv6, address and routes gone"

# refresh 10: a client not standing aside would solicit within 12 s.
topo_capture_start sunset || ktap_bail "cannot capture"
sleep 12
topo_capture_stop sunset
rc=0
f=$(topo_capture_file sunset)
assert_num "$S: datagrams from $TOPO_NAT_IP in 12 s" \
	"$(topo_cap_count "$f" "src=$TOPO_NAT_IP")" -eq 0 || rc=1
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$f")"
ktap_result $rc "$S wire: no Teredo datagram for 12 s (refresh 10)"

rc=0
nq=$(td_count "$dev" ": qualified: ")
ip -n "$CLI" -6 route del default dev nat6
td_wait_more "$dev" ": native IPv6 on nat6 gone: qualifying again" 0 5 || rc=1
td_wait_more "$dev" ": qualified: " "$nq" 10 || rc=1
wait_until 5 _state_is "$dev" qualified || rc=1
# The NAT may have forgotten the mapping by now: an address, not the same.
assert_ne "$S: address" "" "$(teredo_addr_of "$dev")" || rc=1
assert_eq "$S: routes" "$routes0" "$(routes "$dev")" || rc=1
ktap_result $rc "$S: the default route on nat6 goes: qualified again, address and routes back (was $addr0)"
ip -n "$CLI" link del nat6

if [ $have_ynl = 1 ]; then
	S=ynl
	rc=0
	ynl_check "$S: state events" "$TOPO_DIR/ynl.state" \
		"state-ntf t0 offline native-ipv6" || rc=1
	ktap_result $rc "$S: the events group decodes state-ntf (offline native-ipv6) through the spec"
fi

# ----------------------------------------------------------- dormant
S=dormant
td_signal_term t0
nq=$(td_count t0 ": qualified: ")
td_start t0 --default-route --dormant-after 4
rc=0
td_wait_more t0 ": qualified: " "$nq" 30 || rc=1
t_start=$(ms)
td_wait_more t0 ": dormant: idle for 4 s$" 0 20 || rc=1
t_d=$(($(ms) - t_start))
wait_until 5 _state_is t0 dormant || rc=1
assert_ne "$S: Teredo address kept" "" "$(teredo_addr_of t0)" || rc=1
assert_contains "$S: routes kept" "2001::/32" "$(routes t0)" || rc=1
assert_contains "$S: teredoctl show" "state dormant" "$(ctl show t0)" || rc=1
ktap_result $rc "$S: --dormant-after 4: dormant ${t_d} ms after qualifying, address and routes kept"

port0=$(info_of t0 | jkey mapped)
port0=${port0##*:}
topo_capture_start dormant || ktap_bail "cannot capture"
sleep 12
topo_capture_stop dormant
rc=0
f=$(topo_capture_file dormant)
assert_num "$S: datagrams from t0's mapping $TOPO_NAT_IP:$port0 in 12 s" \
	"$(topo_cap_count "$f" "src=$TOPO_NAT_IP" "sport=$port0")" -eq 0 || rc=1
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$f")"
assert_eq "$S: still dormant" dormant "$(state_of t0)" || rc=1
ktap_result $rc "$S wire: no refresh for 12 s (refresh 10)"

rc=0
held0=$(ctl -j show t0 | jkey tx_held)
out=$(ip netns exec "$CLI" busybox ping -6 -c 3 -i 0.5 -W 5 "$TOPO_HOST_IP6" 2>&1)
rx=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' <<< "$out")
assert_num "$S: replies" "${rx:-0}" -eq 3 || rc=1
assert_contains "$S: the first echo request's reply" "seq=0" "$out" || rc=1
assert_contains "$S: log" "t0: woken by traffic: qualifying again, soliciting server $TOPO_SRV_IP" \
	"$(td_log t0)" || rc=1
wait_until 15 _state_is t0 qualified || {
	ktap_info "$S: state $(state_of t0), not qualified"
	rc=1
}
held=$(ctl -j show t0 | jkey tx_held)
assert_num "$S: tx_held" "$((held - held0))" -ge 1 || rc=1
[ $rc = 0 ] || ktap_info "$out"
ktap_result $rc "$S: a ping wakes it: 3/3 replies including seq=0 (held: $((held - held0)) packets), qualified again"
rc=0
grep -q "^t0: state dormant nat restricted mapped" "$TOPO_DIR/monitor.text" || rc=1
[ $rc = 0 ] || ktap_info "monitor: $(cat "$TOPO_DIR/monitor.text")"
ktap_result $rc "$S: teredoctl monitor shows t0: state dormant"

td_signal_term t0

# ------------------------- MTU, a silent server + 1, lists of servers
# The clients of the last two parts qualify at the same time: t1 with a
# scripted server (MTU, a silent server + 1: 12 s), t2-t4 with lists of
# servers (a silent first one: 12 s, a retry: 27 s).  Not beside t0:
# teredod replaces the 2001::/32 and ::/0 routes of the netns with its
# own device's.
mtu_file=$TOPO_DIR/mtu
echo 1400 > "$mtu_file"
ip -n "$SRV" addr add "$FAKE_IP/24" dev e0
ip -n "$SRV" addr add "$FAKE_IP2/24" dev e0
"$IP" netns exec "$SRV" timeout 300 python3 -I -S -c "$PY_FAKE" \
	"$FAKE_IP" "$TOPO_DIR/fake.ready" "$mtu_file" \
	>"$(topo_log fake)" 2>&1 </dev/null &
wait_until 30 test -e "$TOPO_DIR/fake.ready" ||
	ktap_bail "scripted server did not start: $(cat "$(topo_log fake)")"
dev=t1
assert_ok ip -n "$CLI" link add "$dev" type teredo server "$FAKE_IP" ||
	ktap_bail "cannot create $dev"
t1_start=$(ms)
td_start "$dev"

# teredod --server: names resolved again at each round, every A record
# and every server of a list tried in turn.  The names come from an
# /etc/hosts that `ip netns exec` bind-mounts over /etc/hosts for each
# process it starts in $CLI (/etc/netns/$CLI/hosts), rewritten in place
# (the bind mount holds the inode) between rounds.  The silent servers
# are addresses of $SRV without a socket.  Three clients at once, one
# capture; each one's datagrams are told apart by its mapped port.
SILENT1=198.18.0.7 SILENT2=198.18.0.8 SILENT3=198.18.0.9
HOSTS_DIR=/etc/netns/$CLI
HOSTS_PID=""
# shellcheck disable=SC2317  # called at exit
_hosts_rm() {
	[ -n "$HOSTS_PID" ] && kill "$HOSTS_PID" 2>/dev/null
	rm -rf "$HOSTS_DIR"
}
at_exit _hosts_rm
mkdir -p "$HOSTS_DIR"
hosts() {
	printf '127.0.0.1 localhost\n%s moving.test\n%s two.test\n%s two.test\n%s silent.test\n' \
		"$1" "$SILENT2" "$TOPO_SRV_IP" "$SILENT3" > "$HOSTS_DIR/hosts"
}
hosts "$SILENT1"
for a in "$SILENT1" "$SILENT2" "$SILENT3"; do
	ip -n "$SRV" addr add "$a/24" dev e0
done

# rs_seq DEV DECODED: "TIME DST" of each RS from DEV's mapped port in
# DECODED (teredo_peer.py pcap's lines: one Python start, not three).
rs_seq() {
	local port

	port=$(info_of "$1" | jkey mapped)
	awk -v s="$TOPO_NAT_IP:${port##*:}" '
		$2 == s && $4 == 61 { split($3, d, ":"); print $1, d[1] }' "$2"
}

# dsts_in_turn SEQ: the destinations of SEQ, each run of one given once.
dsts_in_turn() {
	awk '$2 != last { printf "%s%s", sep, $2; sep = " "; last = $2 }
		END { print "" }' <<< "$1"
}

topo_capture_start servers || ktap_bail "cannot capture"
if ! ip -n "$CLI" link add t2 type teredo server "$SILENT1" ||
	! ip -n "$CLI" link add t3 type teredo server "$TOPO_SRV_IP" ||
	! ip -n "$CLI" link add t4 type teredo server 192.0.2.1; then
	ktap_bail "cannot create t2, t3, t4"
fi
srv_start=$(ms)
td_start t2 --server moving.test
td_start t3 --default-route --server two.test
td_start t4 --server "silent.test,$TOPO_SRV_IP"
# moving.test moves once t2 has given up on it (its first round).
(
	wait_until 60 _td_more t2 \
		": offline: no answer from server $SILENT1; retry in 15 s" 0 &&
		hosts "$TOPO_SRV_IP"
) &
HOSTS_PID=$!

S=MTU
dev=t1
rc=0
td_wait_more "$dev" ": qualified: 2001:0:c612:5:" 0 40 || rc=1
t_q=$(($(ms) - t1_start))
assert_contains "$S: log" ", nat unknown (secondary server $FAKE_IP2 silent)" \
	"$(td_log "$dev")" || rc=1
wait_until 5 _state_is "$dev" qualified || rc=1
assert_eq "$S: kernel nat" unknown "$(info_of "$dev" | jkey nat)" || rc=1
assert_contains "$S: teredoctl show" "nat unknown" "$(ctl show "$dev")" || rc=1
ktap_result $rc "server+1: secondary $FAKE_IP2 silent: qualified in $t_q ms with NAT unknown, logged and reported"

rc=0
wait_until 5 _mtu_is "$dev" 1400 || rc=1
assert_eq "$S: device mtu" 1400 "$(mtu_of "$dev")" || rc=1
assert_contains "$S: log" "$dev: mtu 1400" "$(td_log "$dev")" || rc=1
ktap_result $rc "$S: RA MTU option 1400 -> $dev mtu 1400"

rc=0
for bad in 1279 65508; do
	n=$(td_count "$dev" "ignored RA from $FAKE_IP:3544: MTU outside 1280..65507")
	echo "$bad" > "$mtu_file"
	kill -HUP "${TD_PID[$dev]}"
	td_wait_more "$dev" "ignored RA from $FAKE_IP:3544: MTU outside 1280..65507" "$n" 10 || rc=1
	assert_eq "$S: mtu after an RA with $bad" 1400 "$(mtu_of "$dev")" ||
		rc=1
done
ktap_result $rc "$S: RAs with MTU 1279 and 65508 refused (\"MTU outside 1280..65507\"), mtu stays 1400"
td_signal_term t1

# ------------------------------------------------------------ servers
S=servers
rc=0
wait "$HOSTS_PID" || { ktap_info "t2 did not give up on $SILENT1"; rc=1; }
HOSTS_PID=""
for d in t2 t3 t4; do
	td_wait_more "$d" ": qualified: 2001:0:c612:1:" 0 60 || rc=1
done
t_q=$(($(ms) - srv_start))
topo_capture_stop servers
f=$(topo_capture_file servers)
py "$TEREDO_SELFTEST_DIR/teredo_peer.py" pcap "$f" > "$f.txt"
for d in t2 t3 t4; do
	j=$(info_of "$d")
	assert_eq "$S: $d server" "$TOPO_SRV_IP" "$(jkey server <<< "$j")" || rc=1
	assert_eq "$S: $d server2" "$TOPO_SRV_IP2" "$(jkey server2 <<< "$j")" || rc=1
	assert_eq "$S: $d state" qualified "$(jkey state <<< "$j")" || rc=1
done
[ $rc = 0 ] || ktap_info "$(topo_cap_show "$f")"
ktap_result $rc "$S: t2, t3, t4 qualified through $TOPO_SRV_IP (all done $t_q ms after the start), the devices' server and server2 moved to it"

# (1) A name that resolves elsewhere at the retry.
rc=0
seq=$(rs_seq t2 "$f.txt")
assert_eq "$S: t2 RS destinations in turn" \
	"$SILENT1 $TOPO_SRV_IP $TOPO_SRV_IP2" "$(dsts_in_turn "$seq" | cut -d' ' -f1-3)" || rc=1
assert_num "$S: t2 RS to $SILENT1" "$(grep -c " $SILENT1$" <<< "$seq")" -eq 3 || rc=1
gap=$(awk -v a="$SILENT1" -v b="$TOPO_SRV_IP" '
	$2 == a { last = $1 } $2 == b && !first { first = $1 }
	END { printf "%d\n", (first - last) * 1000 }' <<< "$seq")
assert_num "$S: ms from the last RS to $SILENT1 to the first to $TOPO_SRV_IP (the back-off, 15 s, minus the 4 s wait)" \
	"$gap" -ge 14000 || rc=1
log=$(td_log t2)
assert_contains "$S: t2 log" "t2: resolved moving.test: $SILENT1" "$log" || rc=1
assert_contains "$S: t2 log" "t2: resolved moving.test: $TOPO_SRV_IP" "$log" || rc=1
[ $rc = 0 ] || ktap_info "t2 RS: $seq"$'\n'"$log"
ktap_result $rc "$S: a name that moved between retries: 3 RS to $SILENT1, the retry $gap ms later resolved it again, RS to $TOPO_SRV_IP on the wire, qualified"

# (2) Two A records, the first silent.
rc=0
seq=$(rs_seq t3 "$f.txt")
assert_eq "$S: t3 RS destinations in turn" \
	"$SILENT2 $TOPO_SRV_IP $TOPO_SRV_IP2" "$(dsts_in_turn "$seq" | cut -d' ' -f1-3)" || rc=1
assert_num "$S: t3 RS to $SILENT2" "$(grep -c " $SILENT2$" <<< "$seq")" -eq 3 || rc=1
log=$(td_log t3)
assert_contains "$S: t3 log" "t3: resolved two.test: $SILENT2 $TOPO_SRV_IP" "$log" || rc=1
assert_contains "$S: t3 log" "t3: no answer from server $SILENT2; soliciting server $TOPO_SRV_IP" "$log" || rc=1
assert_not_contains "$S: t3 log" "offline" "$log" || rc=1
[ $rc = 0 ] || ktap_info "t3 RS: $seq"$'\n'"$log"
ktap_result $rc "$S: two A records, the first silent: RS to $SILENT2 (3), then to $TOPO_SRV_IP in the same round, qualified through the second"

# (3) A list of servers, the first silent.
rc=0
seq=$(rs_seq t4 "$f.txt")
assert_eq "$S: t4 RS destinations in turn" \
	"$SILENT3 $TOPO_SRV_IP $TOPO_SRV_IP2" "$(dsts_in_turn "$seq" | cut -d' ' -f1-3)" || rc=1
assert_num "$S: t4 RS to $SILENT3" "$(grep -c " $SILENT3$" <<< "$seq")" -eq 3 || rc=1
assert_num "$S: t4 RS to 192.0.2.1 (the server it was made with)" \
	"$(grep -c " 192.0.2.1$" <<< "$seq")" -eq 0 || rc=1
log=$(td_log t4)
assert_contains "$S: t4 log" "t4: no answer from server $SILENT3; soliciting server $TOPO_SRV_IP" "$log" || rc=1
[ $rc = 0 ] || ktap_info "t4 RS: $seq"$'\n'"$log"
ktap_result $rc "$S: list \"silent.test,$TOPO_SRV_IP\": RS to $SILENT3 (3), then to $TOPO_SRV_IP, qualified through the second"

# A qualified client keeps its server.
rc=0
out=$(ip -n "$CLI" link set t3 type teredo server "$SILENT2" 2>&1) && rc=1
assert_contains "$S: refusal" "server: cannot be changed while qualified" "$out" || rc=1
assert_eq "$S: t3 server" "$TOPO_SRV_IP" "$(info_of t3 | jkey server)" || rc=1
assert_ping "$S: ping over t3" "$CLI" "$TOPO_HOST_IP6" 2 || rc=1
ktap_result $rc "$S: ip link set t3 type teredo server X while qualified: refused (\"server: cannot be changed while qualified\"), t3 still works"
for d in t2 t3 t4; do
	td_signal_term "$d"
done

ktap_finish
