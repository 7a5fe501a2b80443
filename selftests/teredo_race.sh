#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The race lane (make check-race): the control plane raced against
# teardown, and the attacks a single peer can mount, each with the
# evidence that it failed:
#
#  - who may do what over generic netlink, as an unprivileged user;
#  - DEV_GET and PEER_GET from an unprivileged user, back to back, while
#    devices are made and deleted, link netns die, a stand-in teredod
#    attaches and detaches, the mapping moves and traffic flows (a
#    request that outlives its device read freed memory: KASAN);
#  - a transmit from AF_PACKET, under rcu_read_lock_bh() only (PROVE_RCU);
#  - the peer-table lockout: a client's table full of spoofed, trusted,
#    one-way peers, and a new destination of its own must get an entry;
#  - an echo-test answer replayed from elsewhere moves nothing;
#  - tiny packets to thousands of new destinations: what a relay holds is
#    bounded by its hold-limit, counted in truesize;
#  - deleting a netns with RACE_DEVICES relays: the longest any RTNL
#    operation meanwhile waited;
#  - the device's per-cpu route cache under traffic from every cpu while
#    the FIB changes (a route via a new device, which is then deleted
#    under its cached routes; blackhole and unreachable routes), the
#    relay deleted, the module unloaded;
#  - a client's local-discovery socket attached and replaced again and
#    again under discovery bubbles while the device is deleted, the
#    helper killed, the module unloaded (the module is loaded again at
#    the end).
#
# RACE_SECONDS (default 20) is how long the hammer runs, and
# RACE_ROUTE_SECONDS (default 0: one round) the FIB changes; make check-race
# under the debug kernel runs it longer.  The script also runs against an
# older module (loaded by hand first) to show what failed before: its
# checks of what is new then fail, and its figures are the "before".

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

RACE_SECONDS=${RACE_SECONDS:-20}
RACE_DEVICES=${RACE_DEVICES:-100}
SERVER=198.18.0.1
CLI_IP=198.18.1.2
CLI_PORT=40000
RELAY_IP=198.18.2.2
HOST6=2001:db8:1::30
# Bubbles of the relay's new destinations go to this server: nobody.
V_SERVER=198.19.255.1
NOBODY=65534
RACEPY=$TEREDO_SELFTEST_DIR/race_peer.py
CTL=${TEREDO_TOP:-$TEREDO_SELFTEST_DIR/..}/build/tools/teredoctl

teredo_load
[ -x "$CTL" ] || ktap_bail "teredoctl not built"
command -v setpriv >/dev/null || ktap_bail "setpriv not found"
ktap_plan 29
dmesg_start=$(dmesg | wc -l)

TMP=$(mktemp -d)
chmod 755 "$TMP"
at_exit "rm -rf $TMP"

# racepy NS CMD...: race_peer.py CMD in NS.
racepy() {
	ip netns exec "$1" python3 -I -S "$RACEPY" "${@:2}"
}
# nobody NS CMD...: race_peer.py CMD in NS as nobody, with no
# capabilities at all.
nobody() {
	ip netns exec "$1" setpriv --reuid=$NOBODY --regid=$NOBODY \
		--clear-groups --inh-caps=-all --bounding-set=-all -- \
		python3 -I -S "$RACEPY" "${@:2}"
}
ctl() { ip netns exec "$1" "$CTL" "${@:2}"; }
# cj NS DEV KEY: a number out of teredoctl -j show (top level or counters).
cj() {
	local out

	out=$(ctl "$1" -j show "$2")
	[[ "$out" =~ \"$3\":([0-9]+) ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

# ---------------------------------------------------------- topology
ext="" rly="" cli="" host=""
ns_hub ext rly cli -- host || ktap_bail "cannot create the namespaces"
ip link add n6 netns "$rly" type veth peer name n6 netns "$host" ||
	ktap_bail "cannot link the relay to the native host"
ip -n "$ext" -batch - <<-EOF || ktap_bail "cannot set up ext"
link set lo up
addr add $SERVER/32 dev lo
addr add 198.18.1.254/24 dev e-cli
addr add 198.18.2.254/24 dev e-rly
link set e-cli up
link set e-rly up
EOF
ns_spoof_sysctl rly cli -- net.ipv6.conf.all.forwarding=1 ||
	ktap_bail "sysctl failed"
ip -n "$host" -batch - <<-EOF || ktap_bail "cannot set up host"
link set lo up
addr add $HOST6/64 dev n6 nodad
link set n6 up
route add 2001::/32 via 2001:db8:1::20
EOF
ip -n "$rly" -batch - <<-EOF || ktap_bail "cannot set up the relay"
link set lo up
addr add $RELAY_IP/24 dev e0
link set e0 up
route add default via 198.18.2.254
addr add 2001:db8:1::20/64 dev n6 nodad
link set n6 up
link add tr type teredo mode relay local $RELAY_IP
link set tr up
route add 2001::/32 dev tr
EOF
ip -n "$cli" -batch - <<-EOF || ktap_bail "cannot set up the client"
link set lo up
addr add $CLI_IP/24 dev e0
link set e0 up
route add default via 198.18.1.254
link add tc type teredo server $SERVER port $CLI_PORT max-peers 8
link set tc up
link add tm type teredo server $SERVER port $((CLI_PORT + 100))
EOF

ip -n "$rly" link set tr type teredo hold-limit 262144 ||
	ktap_info "no hold-limit: a module from before it"

# slab_kb: the kB of all slabs; skb_objs: sk_buffs in use.
slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
skb_objs() {
	echo 1 > /sys/kernel/slab/skbuff_head_cache/shrink 2>/dev/null
	awk '$1 == "skbuff_head_cache" { print $2 }' /proc/slabinfo
}

# ------------------------------------------------------- permissions
# Reading state is for everyone in the netns; changing it is for
# CAP_NET_ADMIN over it (teredo.rst, "Who may do what").
out=$(nobody "$rly" perm tr 2>&1)
check_eq "unprivileged: DEV_GET and PEER_GET answer, PEER_DEL and flush EPERM" \
	"dev_get=0 peer_get=0 peer_del=1 flush=1" "$out"
out=$(racepy "$rly" perm tr 2>&1)
check_eq "CAP_NET_ADMIN: PEER_DEL of no peer ENOENT, flush done" \
	"dev_get=0 peer_get=0 peer_del=2 flush=0" "$out"

# ------------------------------------------------ AF_PACKET transmit
d0=$(cj "$rly" tr tx_bubbles)
out=$(racepy "$rly" afpacket tr \
	"$(teredo_addr $V_SERVER 198.19.0.9 4000)" 3 2>&1)
d1=$(cj "$rly" tr tx_bubbles)
check_ok "AF_PACKET: 3 packets reach the relay's ndo_start_xmit ($out, bubbles $d0 -> $d1)" \
	test "$out" = sent=3 -a "$d1" -gt "$d0"

# ---------------------------------------- a helper's socket given back
# The tunnel turns multicast loopback off; deleting the device while the
# helper holds its socket gives it back as it was.
check_eq "helper socket: multicast loopback off while attached, restored after" \
	"before=1 attached=0 after=1" \
	"$(racepy "$cli" mcloop tm $CLI_IP:$((CLI_PORT + 100)) 2>&1)"

# ------------------------------------------------- the stand-in helper
CADDR=$(teredo_addr $SERVER $CLI_IP $CLI_PORT)
peer_serve "$ext" "$TMP/serve.log"
ask nlraw "/run/netns/$cli" set tc fd=udp:$CLI_IP:$CLI_PORT state=1
[ "$ANSWER" = "nlraw rc=0" ] || ktap_bail "the stand-in helper did not attach"
ask nlraw "/run/netns/$cli" set tc state=2 nat=1 mapped=$CLI_IP \
	mapped-port=$CLI_PORT address="$CADDR"
[ "$ANSWER" = "nlraw rc=0" ] || ktap_bail "cannot qualify the client"
ip -n "$cli" -batch - <<-EOF
addr add $CADDR/128 dev tc nodad
route add 2001::/32 dev tc
route add 2001:db8::/32 dev tc
EOF

# ------------------------------------------------------- echo replay
# (before the lockout fills the table)
NEWDST=$(teredo_addr $SERVER 198.18.7.7 7777)
racepy "$ext" echo-replay $SERVER \
	$CLI_IP:$CLI_PORT 198.18.0.20:3544 198.18.0.21:3544 \
	> "$TMP/replay.log" 2>&1 &
wait_until 60 grep -q replay-ready "$TMP/replay.log" ||
	ktap_bail "the replaying relay did not start"
unv0=$(cj "$cli" tc rx_unverified)
ip netns exec "$cli" busybox ping -6 -c 1 -W 8 $HOST6 >/dev/null 2>&1
wait_until 30 grep -q replayed "$TMP/replay.log"
sleep 1
line=$(ctl "$cli" peers tc | grep -w -- "$HOST6")
ktap_info "echo replay: $(tr '\n' ' ' < "$TMP/replay.log")-> $line"
check_eq "echo test: the answer from the first relay is taken" \
	1 "$(cj "$cli" tc rx_echo_replies)"
check_ok "echo test: its replay from another relay moves nothing" \
	test -n "$(grep -F 198.18.0.20:3544 <<< "$line")" \
	-a -z "$(grep -F 198.18.0.21 <<< "$line")"
# The replay waits for a test of its own relay, which nobody answers:
# its rounds go out and then it is dropped, not kept forever.
wait_until 30 test "$(cj "$cli" tc rx_unverified)" -gt "$unv0"
check_ok "echo test: a held packet from another relay is retried, then dropped" \
	test "$(cj "$cli" tc rx_unverified)" -gt "$unv0" \
	-a "$(cj "$cli" tc tx_echo_tests)" -ge 3

# A packet from an address that is not ours: prohibited, counted.
ip -n "$cli" addr add 2001:db8:5::1/128 dev lo
bad0=$(cj "$cli" tc tx_bad_source) icmp0=$(cj "$cli" tc tx_icmp)
ip netns exec "$cli" busybox ping -6 -c 1 -W 1 -I 2001:db8:5::1 \
	"$NEWDST" >/dev/null 2>&1
check_ok "client: a foreign IPv6 source is refused with ICMPv6 (tx_bad_source, tx_icmp)" \
	test "$(cj "$cli" tc tx_bad_source)" = $((bad0 + 1)) \
	-a "$(cj "$cli" tc tx_icmp)" -gt "$icmp0"

# ------------------------------------------------------------ lockout
# Sixteen spoofed clients, each from the mapping its address embeds: a
# data packet from each makes a trusted peer that only ever received.
ask flood echo --server $SERVER --src-net 198.19.0.1 --sources 16 \
	--count 16 --to $CLI_IP:$CLI_PORT --dst6 "$CADDR" --size 8
ktap_info "lockout flood: $ANSWER"
full0=$(cj "$cli" tc tx_peers_full) ev0=$(cj "$cli" tc peers_evicted)
peers=$(cj "$cli" tc peers)
ip netns exec "$cli" busybox ping -6 -c 1 -W 1 "$NEWDST" >/dev/null 2>&1
full1=$(cj "$cli" tc tx_peers_full) ev1=$(cj "$cli" tc peers_evicted)
ktap_info "lockout: $peers peers after the spoofed packets; tx_peers_full $full0 -> $full1, evicted $ev0 -> $ev1"
check_eq "lockout: the table is full of spoofed one-way peers" 8 "$peers"
check_ok "lockout: a new destination of ours gets an entry (no tx_peers_full)" \
	test "$full1" = "$full0" -a "$ev1" -gt "$ev0"
ctl "$cli" peers tc > "$TMP/peers"
check_ok "lockout: the new destination is in the table" \
	grep -qw -- "$NEWDST" "$TMP/peers"

# -------------------------------------------------------- hold-limit
# 64-byte packets to new destinations whose server nobody answers:
# everything waits for bubbles that never come back.
flood_dsts() {
	racepy "$host" tiny-flood $V_SERVER "$1" "$2" 2>&1 | tail -n 1
}
lim0=$(cj "$rly" tr hold_limit) kb0=$(slab_kb) skb0=$(skb_objs)
out=$(flood_dsts 256 8)
held=$(cj "$rly" tr held) limit=$(cj "$rly" tr hold-limit)
lim1=$(cj "$rly" tr hold_limit)
ktap_info "hold: $out; held $held of $limit, hold_limit $lim0 -> $lim1, peers $(cj "$rly" tr peers); slab +$(($(slab_kb) - kb0)) kB, sk_buffs +$(($(skb_objs) - skb0))"
check_ok "hold: what a relay holds stays within its hold-limit" \
	test "$held" -le "$limit" -a "$held" -gt $((limit / 2))
check_ok "hold: packets over it are refused and counted" \
	test "$lim1" -gt "$lim0"
ip -n "$rly" link set tr type teredo hold-limit 16777216
ctl "$rly" peers flush tr
out=$(flood_dsts 1024 48)
held=$(cj "$rly" tr held)
ktap_info "hold at the default limit: $out; held $held B for $(cj "$rly" tr peers) peers; slab +$(($(slab_kb) - kb0)) kB, sk_buffs +$(($(skb_objs) - skb0)), percpu $(awk '$1 == "Percpu:" { print $2 }' /proc/meminfo) kB"
ktap_info "peer entry: $(awk '$1 == "teredo_peer" { print $4 }' /proc/slabinfo) bytes of slab object"
check_ok "hold: the default limit (16 MiB) bounds a bigger flood" \
	test "$held" -le 16777216 -a "$held" -gt 0
ctl "$rly" peers flush tr
check_eq "hold: nothing held once the peers are gone" 0 "$(cj "$rly" tr held)"

# ---------------------------------------------------- lifetime races
# Devices come and go in rly (some with their link netns in a throwaway
# netns that dies), the client's helper attaches and detaches, its
# mapping moves, and a ping stream runs, while nobody hammers genl.
nobody "$rly" hammer "$RACE_SECONDS" > "$TMP/hammer" 2>&1 &
hammer=$!
ip netns exec "$host" busybox ping -6 -i 0.2 -w "$RACE_SECONDS" \
	"$(teredo_addr $V_SERVER 198.19.0.77 4077)" >/dev/null 2>&1 &
end=$((SECONDS + RACE_SECONDS)) rounds=0
while [ $SECONDS -lt $end ]; do
	lnk=""
	ns_create lnk
	cmds=""
	for i in 1 2 3 4; do
		cmds+="link add r$i type teredo mode relay port $((30000 + i))"$'\n'
		cmds+="link set r$i up"$'\n'
	done
	lcmds=""
	for i in 5 6; do
		lcmds+="link add r$i netns $rly type teredo mode relay"
		lcmds+=" port $((30000 + i))"$'\n'
	done
	ip -n "$rly" -batch - <<< "$cmds" >/dev/null 2>&1
	ip -n "$lnk" -batch - <<< "$lcmds" >/dev/null 2>&1
	m=198.18.9.$((rounds % 200 + 1))
	ask nlraw "/run/netns/$cli" set tc mapped=$m \
		address="$(teredo_addr $SERVER $m $CLI_PORT)"
	ip -n "$rly" -batch - <<-EOF >/dev/null 2>&1
	link del r1
	link del r2
	link del r3
	link del r4
	EOF
	ns_delete "$lnk"
	rounds=$((rounds + 1))
done
wait "$hammer"
out=$(cat "$TMP/hammer")
ktap_info "races: $rounds rounds; $out"
check_ok "races: the unprivileged hammer ran to the end" \
	grep -qE '^hammer ops=[1-9]' "$TMP/hammer"
check_eq "races: no relay of the rounds is left" \
	0 "$(ip -n "$rly" -o link show type teredo | grep -c ': r[0-9]')"

# The helper's socket, detached by closing, attached again.
ask nlraw "/run/netns/$cli" set tc fd=udp:$CLI_IP:$((CLI_PORT + 1)) state=1
check_ok "races: a second socket is refused while one is attached" \
	test -n "$ANSWER" -a "$ANSWER" != "nlraw rc=0"

# ------------------------------------------------------ RTNL hold time
# A netns with RACE_DEVICES devices is deleted while another netns sets
# an MTU back to back: the longest any one waited is how long the
# deletion held RTNL.  Dummy devices first, the floor of the core's own
# work under this machine's load, then relays.  The netns's cleanup runs
# when the kernel's cleanup work gets to it, seconds after "ip netns del"
# under the debug kernel: the probe goes on until a veth end in $probe,
# whose peer is in the dying netns, has gone with its devices (a fixed
# 10 s window missed the dummies' deletion there and took 53 ms for the
# floor, where it holds RTNL about a second).
probe=""
ns_create probe
ip -n "$probe" link add d0 type dummy
# rtnl_hold KIND ARGS...: the longest wait, in ms, deleting a netns with
# RACE_DEVICES devices made by "link add NAME type KIND ARGS..." (a %d
# in ARGS is the device's number).
rtnl_hold() {
	local big="" cmds="" i kind=$1 args pid seen=1

	shift
	ns_create big
	ip -n "$probe" link add vb type veth peer name vb netns "$big" ||
		ktap_bail "cannot make the veth into the netns"
	for ((i = 0; i < RACE_DEVICES; i++)); do
		# shellcheck disable=SC2059  # ARGS may hold a %d
		printf -v args "$*" $((20000 + i))
		cmds+="link add b$i type $kind $args"$'\n'
	done
	ip -n "$big" -batch - <<< "$cmds" >/dev/null ||
		ktap_bail "cannot make $RACE_DEVICES $kind devices"
	rm -f "$TMP/rtnl.stop"
	racepy "$probe" rtnl-probe 300 d0 "$TMP/rtnl.stop" > "$TMP/rtnl" 2>&1 &
	pid=$!
	sleep 2
	ns_delete "$big"
	wait_until 240 link_absent "$probe" vb || seen=0
	sleep 0.5
	touch "$TMP/rtnl.stop"
	wait "$pid"
	# No number when the deletion did not come within the probe.
	[ "$seen" = 1 ] && sed -n 's/.*max_ms=\([0-9]*\).*/\1/p' "$TMP/rtnl"
}
floor_ms=$(rtnl_hold dummy)
max_ms=$(rtnl_hold teredo mode relay port %d)
ktap_info "rtnl: deleting a netns of $RACE_DEVICES devices held RTNL at most ${floor_ms:-?} ms with dummies, ${max_ms:-?} ms with relays"
check_ok "rtnl: relays hold RTNL no longer than twice the dummies' floor + 0.5 s" \
	test "${max_ms:-99999}" -le $((2 * ${floor_ms:-0} + 500))
wait_until 60 test "$(dmesg_count destroyed "b$((RACE_DEVICES - 1))")" -ge 1
check_ok "rtnl: every relay of the deleted netns was destroyed" \
	test "$(dmesg | grep -cE "teredo: b[0-9]+: destroyed$")" -ge "$RACE_DEVICES"

# ------------------------------- route cache and discovery socket races
# Two objects of issues 15 and 16 raced against their teardown, each
# with the evidence that the traffic went through it.
#
# The route cache (route.c): senders pinned one to each cpu (race_peer.py
# blast, 300 packets a second each: more slows every process start of
# the script under TCG) send from the native host to 16 Teredo peers of tr, trusted by a
# direct bubble from each one's mapping, so the relay's transmit fills
# and reads the cache slots of every cpu; meanwhile rly's FIB changes
# (a route via a new dummy device, blackhole and unreachable routes,
# that device deleted under its cached routes), then tr itself is deleted
# and made again, and at the end the module is unloaded, all under the
# same traffic.
#
# The discovery socket (client.c): discovery bubbles come from the LAN
# (race_peer.py disc-send, 50 a second) to clients in cli whose
# stand-in teredod (race_peer.py disc-helper) attaches a discovery
# socket, replaces it again and again (each new one refused while the
# last is attached), while the device is deleted; or the helper is
# killed (kill -9); or the module unloaded with one attached.
RACE_ROUTE_SECONDS=${RACE_ROUTE_SECONDS:-0}
TD_PORT=$((CLI_PORT + 200))
TD2_PORT=$((CLI_PORT + 300))
STOP=$TMP/stop
RACE_PIDS=""
multi="" helper_a="" helper_b=""
# shellcheck disable=SC2016  # expanded at exit
at_exit 'touch "$STOP" "$STOP.a" "$STOP.b" "$STOP.c"; kill $RACE_PIDS'

# multi_add NS OUT CMD...: race_peer.py CMD in NS, in the background with
# the others added, its output in OUT; multi_run starts them all from one
# python (a start costs seconds under TCG, five of them at once more than
# the rest of this part); multi_pid VAR OUT: the pid of OUT's command
# (its own process: kill reaches it) in VAR.
MULTI=""
multi_add() {
	MULTI+="$*"$'\n'
}

multi_run() {
	printf '%s' "$MULTI" > "$TMP/multi"
	python3 -I -S "$RACEPY" multi "$TMP/multi" > "$TMP/multi.log" 2>&1 &
	multi=$!
	RACE_PIDS+=" $multi"
}

multi_pid() {
	local -n _pid=$1

	wait_until 60 test -s "$2.pid" || return 1
	read -r _pid < "$2.pid"
	RACE_PIDS+=" $_pid"
}

# exited PID: PID has exited (gone, or a zombie: multi reaps its children
# in turn), its files closed.
# shellcheck disable=SC2317  # called through wait_until
exited() {
	local line

	while read -r line; do
		[[ "$line" == State:* ]] || continue
		[[ "$line" == *Z* ]]
		return
	done 2>/dev/null < "/proc/$1/status"
	return 0
}

# has FILE TEXT: FILE holds TEXT (no process: under TCG a start costs).
# shellcheck disable=SC2317  # called through wait_until
has() {
	local text

	{ IFS= read -r -d '' text < "$1"; } 2>/dev/null
	[[ "$text" == *"$2"* ]]
}

# now_ms: the wall clock in milliseconds, without a process.
now_ms() {
	local us=${EPOCHREALTIME//[!0-9]/}

	echo $((us / 1000))
}

# udp_objs: UDP sockets allocated (slab objects, the per-cpu slabs
# flushed first: then the count is exact; the VM boots with slab_nomerge).
udp_objs() {
	echo 1 > /sys/kernel/slab/UDP/shrink 2>/dev/null
	awk '$1 == "UDP" { print $2 }' /proc/slabinfo
}

# udp_refs NS [-r] PORT...: the reference counts of NS's UDP sockets
# bound to each PORT (/proc/net/udp), "PORT: REF REF..." each,
# ";"-separated (one process); -r: the counts alone.  A socket nobody
# else holds has 2.
udp_refs() {
	local ns=$1 port hex ports="" only=0

	shift
	[ "$1" = -r ] && { only=1; shift; }
	for port in "$@"; do
		printf -v hex '%04X' "$port"
		ports+=" $port=$hex"
	done
	# shellcheck disable=SC2016  # awk's
	ip netns exec "$ns" awk -v ports="$ports" -v only=$only '
		BEGIN {
			n = split(ports, p, " ")
			for (i = 1; i <= n; i++) {
				split(p[i], kv, "=")
				dec[i] = kv[1]
				hex[i] = kv[2]
			}
		}
		{ for (i = 1; i <= n; i++) if ($2 ~ (":" hex[i] "$")) r[i] = r[i] " " $11 }
		END {
			for (i = 1; i <= n; i++) {
				if (only)
					printf "%s", r[i]
				else
					printf "%s%s:%s", (i > 1 ? "; " : ""), dec[i], r[i]
			}
		}' /proc/net/udp
}

# refs_plain NS PORT...: NS has UDP sockets on the PORTs, and nobody but
# their owner holds any of them (refs 2 each).
# shellcheck disable=SC2317  # called through wait_until
refs_plain() {
	local all

	all=$(udp_refs "$1" -r "${@:2}")
	[ -n "${all// /}" ] && [ -z "${all//[2 ]/}" ]
}

# udp_owners NS PORT: who holds NS's UDP sockets on PORT: "inode:ref
# pid/comm ..." each (for the diagnostics of a failure).
udp_owners() {
	local hex

	printf -v hex '%04X' "$2"
	# shellcheck disable=SC2016  # awk's
	ip netns exec "$1" awk -v p=":$hex" '$2 ~ p "$" { print $10, $11 }' \
		/proc/net/udp | {
		out=""
		while read -r inode ref; do
			out+=" $inode:$ref"
			# shellcheck disable=SC2044  # /proc paths: no spaces
			for f in $(find /proc/[0-9]*/fd -lname "socket:\[$inode\]" \
				2>/dev/null); do
				f=${f#/proc/}
				out+=" ${f%%/*}/$(cat "/proc/${f%%/*}/comm" 2>/dev/null)"
			done
		done
		echo "${out# }"
	}
}

# udp_objs_at_most N
# shellcheck disable=SC2317  # called through wait_until
udp_objs_at_most() {
	[ "$(udp_objs)" -le "$1" ]
}

# tr_peers_at_least N: tr's table holds N entries.
# shellcheck disable=SC2317  # called through wait_until
tr_peers_at_least() {
	[ "$(cj "$rly" tr peers)" -ge "$1" ]
}

# peer_tx NS DEV: "TRUSTED TX": how many of DEV's peers are trusted, and
# the packets sent to them all (tx-pkts: the cached route's path only).
peer_tx() {
	ctl "$1" -j peers "$2" | awk -v RS=, '/"trusted":true/ { t++ }
		/"tx-pkts":/ { sub(/.*:/, ""); s += $0 } END { print t + 0, s + 0 }'
}

# trusted_at_least N: N of tr's peers trusted.
# shellcheck disable=SC2317  # called through wait_until
trusted_at_least() {
	local t _

	read -r t _ <<< "$(peer_tx "$rly" tr)"
	[ "$t" -ge "$1" ]
}

# bubble_blasted: a direct bubble from the mapping of each of the
# blasted destinations to tr: it trusts them (again: trust lapses 30 s
# after a peer was last heard from, RFC 4380 §5.2.4).
bubble_blasted() {
	ask flood bubble --server $V_SERVER --src-net 198.19.1.1 \
		--sources 16 --count 16 --src-port 5000 --to $RELAY_IP:3544
}

# trust_blasted: tr has an entry for each of the blasted destinations
# (made by the blast, their packets held), then bubbles trust them.
trust_blasted() {
	local try

	wait_until 30 tr_peers_at_least 16 || return 1
	for try in 1 2 3; do
		bubble_blasted
		wait_until 5 trusted_at_least 16 && return 0
		ktap_info "trust, try $try: $ANSWER"
	done
	return 1
}

# destroyed_all WANT NAME...: each NAME's "teredo: NAME: destroyed"
# logged at least WANT[NAME] times (WANT an associative array).
# shellcheck disable=SC2317  # called through wait_until
destroyed_all() {
	local -n _want=$1
	local -A _now=()
	local name

	shift
	dmesg_tally _now destroyed ""
	for name in "$@"; do
		[ "${_now[$name]:-0}" -ge "${_want[$name]}" ] || return 1
	done
}

t_section=$SECONDS
blast_dsts=()
for ((i = 0; i < 16; i++)); do
	blast_dsts+=("$(teredo_addr $V_SERVER 198.19.1.$((i + 1)) $((5000 + i)))")
done
ip -n "$cli" -batch - <<-EOF || ktap_bail "cannot make the discovery client"
link add td type teredo server $SERVER port $TD_PORT
link set td up
EOF
ctl "$rly" peers flush tr
u_pre=$(udp_objs)
multi_add "$host" "$TMP/blast" blast "$STOP" 300 300 "${blast_dsts[@]}"
multi_add "$ext" "$TMP/disc-send" \
	disc-send 198.18.1.254 $SERVER $CLI_IP "$STOP" 50
multi_add "$cli" "$TMP/helper-a" \
	disc-helper td $CLI_IP:$TD_PORT $SERVER e0 replace "$STOP.a"
# Helpers B and C begin when told (the file go), once A is gone.
multi_add "$cli" "$TMP/helper-b" \
	disc-helper td $CLI_IP:$TD_PORT $SERVER e0 replace "$STOP.b" "$TMP/go"
multi_add "$cli" "$TMP/helper-c" \
	disc-helper td2 $CLI_IP:$TD2_PORT $SERVER e0 hold "$STOP.c" "$TMP/go"
multi_run
multi_pid helper_a "$TMP/helper-a"
multi_pid helper_b "$TMP/helper-b"
wait_until 60 has "$TMP/helper-a" disc-ready ||
	ktap_info "discovery: helper A: $(cat "$TMP/helper-a") [+$((SECONDS - t_section)) s]"
wait_until 30 has "$TMP/blast" blast-ready ||
	ktap_info "blast: $(cat "$TMP/blast")"
trust_blasted ||
	ktap_info "route cache: tr's peers not trusted: $(ctl "$rly" peers tr)"

# ------------------------- the FIB changes under the cache, both cpus
read -r _ tx0 <<< "$(peer_tx "$rly" tr)"
nr0=$(cj "$rly" tr tx_no_route) rxd0=$(cj "$cli" td rx_discovery)
rounds=0 alt_tx=0 alt_made=0 del_max=0
end=$((SECONDS + RACE_ROUTE_SECONDS))
while [ $SECONDS -lt $end ] || [ $rounds -lt 1 ]; do
	bubble_blasted
	# The flows' routes now go through a new device ...
	ip -n "$rly" -batch - <<-EOF && alt_made=$((alt_made + 1))
	link add alt type dummy
	link set alt up
	route replace 198.19.1.0/24 dev alt
	EOF
	sleep 0.3
	# ... which goes with their routes cached on both cpus: at once (the
	# cache holds no reference to it) ...
	n=$(ip -n "$rly" -s -j link show alt)
	[[ "$n" =~ \"tx\":\{\"bytes\":[0-9]+,\"packets\":([0-9]+) ]] &&
		alt_tx=$((alt_tx + BASH_REMATCH[1]))
	t0=$(now_ms)
	ip -n "$rly" link del alt
	t1=$(now_ms)
	[ $((t1 - t0)) -gt "$del_max" ] && del_max=$((t1 - t0))
	# ... then they go nowhere ...
	ip -n "$rly" -batch - <<-EOF
	route replace blackhole 198.19.1.0/25
	route replace unreachable 198.19.1.128/25
	EOF
	sleep 0.3
	# ... then the default way again.
	ip -n "$rly" -batch - <<-EOF
	route del blackhole 198.19.1.0/25
	route del unreachable 198.19.1.128/25
	EOF
	sleep 0.3
	rounds=$((rounds + 1))
done
bubble_blasted
read -r trusted tx1 <<< "$(peer_tx "$rly" tr)"
nr1=$(cj "$rly" tr tx_no_route) rxd1=$(cj "$cli" td rx_discovery)
ktap_info "route cache: FIB changes, rounds: $rounds; to the trusted peers ($trusted of 16) +$((tx1 - tx0)) packets, tx_no_route +$((nr1 - nr0)), through the new device $alt_tx; its deletion took at most $del_max ms [+$((SECONDS - t_section)) s]"
check_ok "route cache: it follows the FIB under traffic: blackhole and unreachable routes drop at once (tx_no_route), a route via a new device is taken (its tx_packets)" \
	test "$((nr1 - nr0))" -gt 0 -a "$alt_tx" -gt 0 -a "$trusted" -ge 16 \
	-a "$((tx1 - tx0))" -gt 0
check_ok "route cache: the device its routes went through is deleted at once ($del_max ms at most) and made again" \
	test "$rounds" -ge 1 -a "$alt_made" = "$rounds" -a "$del_max" -lt 5000

# ------------------------------------- both devices deleted under it
declare -A want=()
dmesg_tally want destroyed ""
want[tr]=$((${want[tr]:-0} + 1)) want[td]=$((${want[td]:-0} + 1))
ip -n "$cli" link del td
ip -n "$rly" link del tr
wait_until 20 destroyed_all want tr td
rc_gone=$?
ip -n "$rly" -batch - <<-EOF
link add tr type teredo mode relay local $RELAY_IP
link set tr up
route add 2001::/32 dev tr
EOF
rc_add=$?
check_ok "route cache: the relay deleted under traffic from every cpu is destroyed; one of the same name on its port is made again" \
	test "$rc_gone" = 0 -a "$rc_add" = 0

# Helper A's device went: its sockets are its own again (refs 2); they
# go when it exits.
wait_until 10 refs_plain "$cli" 3544 $TD_PORT
rc_refs=$?
refs_a=$(udp_refs "$cli" 3544 $TD_PORT)
touch "$STOP.a"
wait_until 30 exited "$helper_a"
out_a=$(cat "$TMP/helper-a")
left=$(udp_refs "$cli" -r 3544 $TD_PORT)
left=${left// /}
ktap_info "discovery: helper A: ${out_a//$'\n'/; }; rx_discovery +$((rxd1 - rxd0)); refs $refs_a; left after its exit: '$left' [+$((SECONDS - t_section)) s]"
[[ "$out_a" =~ attached=([0-9]+)\ refused=([0-9]+)\ double=0\ gone=1 ]] &&
	[ "${BASH_REMATCH[1]}" -ge 3 ] && [ "${BASH_REMATCH[2]}" -ge 2 ] &&
	[ "$((rxd1 - rxd0))" -gt 0 ]
ktap_result $? "discovery: the socket replaced again and again (refused while one is attached) while discovery bubbles are taken (rx_discovery)"
test "$rc_gone" = 0 -a "$rc_refs" = 0 -a -z "$left"
ktap_result $? "discovery: the client deleted with it attached under bubbles is destroyed; the helper's sockets are plain again (refs 2), its ports free once it exits"

# --------------------------------------------- the helper killed
ip -n "$cli" -batch - <<-EOF
link add td type teredo server $SERVER port $TD_PORT
link set td up
link add td2 type teredo server $SERVER port $TD2_PORT
link set td2 up
EOF
u1=$(udp_objs)
touch "$TMP/go"
wait_until 60 has "$TMP/helper-b" disc-ready
wait_until 60 has "$TMP/helper-c" disc-ready
trust_blasted || ktap_info "route cache: the new tr's peers not trusted"
rxb0=$(cj "$cli" td rx_discovery)
sleep 0.5
ktap_info "discovery: helper B (pid $helper_b): $(tr '\n' ' ' < "$TMP/helper-b")$(awk '/^State/ { print $2 }' "/proc/$helper_b/status" 2>/dev/null)"
kill -9 "$helper_b"
# Its exit closes its sockets (helper_gone(), disc_gone()).
wait_until 30 exited "$helper_b"
rxb1=$(cj "$cli" td rx_discovery)
state=$(ctl "$cli" -j show td)
[[ "$state" =~ \"state\":\"([a-z]+)\" ]] && state=${BASH_REMATCH[1]}
# The killed helper's sockets are freed; the holding one's two remain.
wait_until 10 udp_objs_at_most $((u1 + 2))
u2=$(udp_objs)
ktap_info "discovery: helper B killed; td $state, rx_discovery +$((rxb1 - rxb0)) in the half second before; UDP sockets $u1 -> $u2 (helper C holds 2) [+$((SECONDS - t_section)) s]"
# shellcheck disable=SC2009  # their state and wait channel too
[ "$u2" -le $((u1 + 2)) ] || ktap_info "discovery: after the kill: 3544: $(udp_owners "$cli" 3544); $TD_PORT: $(udp_owners "$cli" $TD_PORT); $(ps -eo pid,stat,wchan:30,args | grep -E '[p]ython3|race_peer' | tr '\n' ';')"
check_ok "discovery: the helper killed while it replaces the socket under bubbles: the client offline, both its sockets freed" \
	test "$state" = offline -a "$u2" -le $((u1 + 2)) -a "$((rxb1 - rxb0))" -gt 0

# ------------------------------------------ the module unloaded under it
bubble_blasted
read -r _ tx2 <<< "$(peer_tx "$rly" tr)"
rxc0=$(cj "$cli" td2 rx_discovery)
sleep 0.5
read -r trusted3 tx3 <<< "$(peer_tx "$rly" tr)"
rxc1=$(cj "$cli" td2 rx_discovery)
# No teredoctl and no "type teredo" from here to the modprobe: either
# would load the module again (its genl family and rtnl link aliases).
declare -A want=()
dmesg_tally want destroyed ""
for d in tr td td2 tc; do
	want[$d]=$((${want[$d]:-0} + 1))
done
t0=$(now_ms)
timeout 120 rmmod teredo
rc_rmmod=$?
t_rmmod=$(($(now_ms) - t0))
wait_until 20 destroyed_all want tr td td2 tc
rc_gone=$?
unloaded=1
[ -d /sys/module/teredo ] && unloaded=0
wait_until 10 refs_plain "$cli" 3544 $TD2_PORT
rc_refs=$?
refs_c=$(udp_refs "$cli" 3544 $TD2_PORT)
touch "$STOP" "$STOP.c"
wait "$multi" 2>/dev/null
modprobe teredo dyndbg=+p
rc_load=$?
ktap_info "unload: under +$((tx3 - tx2)) packets in half a second to $trusted3 trusted peers and +$((rxc1 - rxc0)) discovery bubbles: rmmod rc $rc_rmmod in $t_rmmod ms; every device destroyed: $((1 - (rc_gone != 0))); helper C's sockets: $refs_c; modprobe rc $rc_load [+$((SECONDS - t_section)) s]"
check_ok "unload: rmmod under traffic through the route cache, a discovery socket attached under bubbles: every device destroyed, the helper's sockets plain again (refs 2), the module loads again" \
	test "$rc_rmmod" = 0 -a "$unloaded" = 1 -a "$rc_gone" = 0 \
	-a "$rc_refs" = 0 -a "$rc_load" = 0 -a "$((tx3 - tx2))" -gt 0 \
	-a "$((rxc1 - rxc0))" -gt 0

# Every socket of this part is freed but the stand-in's of tc, which
# u_pre counted: tr's own went with the module.
wait_until 10 udp_objs_at_most $((u_pre - 1))
u3=$(udp_objs)
out_b=$(cat "$TMP/blast")
ktap_info "blast: ${out_b//$'\n'/; }; disc-send: $(tail -n 1 "$TMP/disc-send"); UDP sockets $u_pre before this part, $u3 after; the part took $((SECONDS - t_section)) s"
ncpu=$(nproc)
ncpu_sent=$(grep -cE 'cpu[0-9]+=[1-9][0-9]*/' <<< "${out_b// /$'\n'}")
check_ok "route cache: senders pinned on each of the $ncpu cpus sent throughout; every UDP socket of this part freed" \
	test "$ncpu_sent" = "$ncpu" -a "$u3" -le $((u_pre - 1))

# ------------------------------------------------------------ kernel log
splats=$(dmesg | tail -n +$((dmesg_start + 1)) |
	grep -cE 'WARNING:|BUG:|Oops|KASAN|UBSAN:|suspicious RCU usage|possible circular locking|inconsistent lock state|sleeping function called|refcount_t')
check_eq "no warning, splat or report in the kernel log" 0 "$splats"

ktap_finish
