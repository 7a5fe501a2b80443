#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh [--reps N] [--time S] [--profile [--depth N]]
#
# Relay throughput, four variants side by side in one boot (see
# bench/README.md).  Runs inside the QEMU guest (make bench); writes
# $TEREDO_RESULTS/bench.md, bench-samples.tsv and bench-extra.txt, and
# prints the table.  A variant that cannot be set up is reported as
# failed; only a broken base topology aborts.  --profile measures
# nothing of that: it times the tunnels' own functions (ftrace's
# function_graph) in one UDP64 run each way for ours (A) and sit+fou
# (C) and writes $TEREDO_RESULTS/profile.md (bench/profile.py).
#
#   srv  (bridge br0 = the "Internet", 198.18.0.1: scripted Teredo server)
#    |-- cli  eth0 198.18.0.10   sit "tun6" over fou :40000 (the client)
#    |                           d0 2001:db8:3::10/64 (variant D)
#    `-- rly  eth0 198.18.0.20   teredo0 :3544 (A), Miredo :3545 (B),
#                                fou :5555 + sit "rs0" (C), d0 ::20 (D)
#             eth1 2001:db8:1::20/64 -- host eth1 2001:db8:1::30/64
#
#   A  ours:  tun6 -> 198.18.0.20:3544, cli src = Teredo address
#   B  Miredo: tun6 -> 198.18.0.20:3545, cli src = Teredo address
#   C  sit+fou: tun6 -> 198.18.0.20:5555, cli src 2001:db8:2::10
#   D  plain: cli d0 -> rly d0, cli src 2001:db8:3::10

set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
REPS=3
TIME=5
BUDGET=1140		# seconds for the whole bench (TCG), setup included
PROFILE=0
DEPTH=1

while [ $# -gt 0 ]; do
	case $1 in
	--reps) REPS=$2; shift 2 ;;
	--time) TIME=$2; shift 2 ;;
	--profile) PROFILE=1; shift ;;
	--depth) DEPTH=$2; shift 2 ;;
	*) echo "usage: $0 [--reps N] [--time S] [--profile [--depth N]]" >&2
	   exit 2 ;;
	esac
done

if [ -z "${TEREDO_RESULTS:-}" ] || [ ! -d "$TEREDO_RESULTS" ]; then
	echo "bench/run.sh runs inside the test VM: use 'make bench'" >&2
	exit 2
fi
RESULTS=$TEREDO_RESULTS
DEADLINE=$((SECONDS + BUDGET))
WORK=$(mktemp -d /tmp/bench.XXXXXX)
SAMPLES=$RESULTS/bench-samples.tsv
LOGS=$RESULTS/bench-logs
EXTRA=$RESULTS/bench-extra.txt
OUT=$RESULTS/bench.md
PEER=$TOP/selftests/teredo_peer.py
CTL=$TOP/build/tools/teredoctl
IP=/usr/sbin/ip

SERVER=198.18.0.1
CLIENT=198.18.0.10
CPORT=40000
RELAY=198.18.0.20
HOST6=2001:db8:1::30
C_ADDR=2001:db8:2::10
D_ADDR=2001:db8:3::10
FOU_C=5555
NS="cli rly host srv"
VARIANTS="A B C D"
TESTS="tcp_up tcp_down udp_up udp_down"

declare -A FAILED=()
PIDS=()
IPERF_PID=""
RESPONDER_PID=""
RLY_PID=""
HOST_LOADAVG=""
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

cleanup() {
	local p ns

	for p in "${PIDS[@]}" $IPERF_PID; do
		kill "$p" 2>/dev/null
	done
	for ns in $NS; do
		ip netns del "$ns" 2>/dev/null
	done
	cp "$WORK"/*.log "$WORK"/*.conf "$LOGS/" 2>/dev/null
	umount "$WORK/hostroot" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

udp_bound() {
	[ -n "$(nsx "$1" ss -Hunl "sport = :$2")" ]
}

tcp_listening() {
	[ -n "$(nsx "$1" ss -Htnl "sport = :$2")" ]
}

link_exists() {
	ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

# ------------------------------------------------------------ topology

setup_base() {
	local ns

	for ns in $NS; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
		nsx "$ns" sysctl -q -w net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0
	done
	ip -n srv link add br0 type bridge || return 1
	ip -n srv link set br0 up
	ip -n srv addr add "$SERVER/24" dev br0
	ip link add p-cli netns srv type veth peer name eth0 netns cli &&
		ip link add p-rly netns srv type veth peer name eth0 netns rly &&
		ip link add eth1 netns rly type veth peer name eth1 netns host ||
		return 1
	ip -n srv link set p-cli master br0 up
	ip -n srv link set p-rly master br0 up
	ip -n cli addr add "$CLIENT/24" dev eth0
	ip -n rly addr add "$RELAY/24" dev eth0
	ip -n rly addr add 2001:db8:1::20/64 dev eth1 nodad
	ip -n host addr add "$HOST6/64" dev eth1 nodad
	ip -n cli link set eth0 up
	ip -n rly link set eth0 up
	ip -n rly link set eth1 up
	ip -n host link set eth1 up
	nsx rly sysctl -q -w net.ipv6.conf.all.forwarding=1 || return 1
	local net
	for net in 2001::/32 2001:db8:2::/64 2001:db8:3::/64; do
		ip -n host -6 route add "$net" via 2001:db8:1::20 || return 1
	done
	nsx cli ping -c 1 -W 3 "$RELAY" >/dev/null || return 1

	# The client: sit over fou, Teredo's packet shape.
	ip -n cli fou add port "$CPORT" ipproto 41 || return 1
	TADDR=$(py "$PEER" addr "$SERVER" "$CLIENT" "$CPORT") || return 1

	# The bubble exchange: scripted server and the client's responder.
	daemon srv server python3 "$PEER" server --bind "$SERVER" \
		--seconds 3000
	daemon cli responder python3 "$BENCH_DIR/responder.py" \
		--ifname eth0 --bind "$CLIENT:$CPORT" --seconds 3000
	RESPONDER_PID=$!
	daemon rly anchor sleep 3000
	RLY_PID=$!
	wait_until 20 udp_bound srv 3544 || return 1
	wait_until 20 grep -q responder-ready "$WORK/responder.log" || return 1

	# One iperf3 server, on the native host, for every variant.
	start_iperf || return 1
}

start_iperf() {
	[ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null
	sleep 0.2
	"$IP" netns exec host iperf3 -s --idle-timeout 60 \
		--rcv-timeout 10000 >>"$WORK/iperf3-server.log" 2>&1 </dev/null &
	IPERF_PID=$!
	wait_until 10 tcp_listening host 5201
}

# Our relay.
setup_A() {
	ip -n rly link add teredo0 type teredo mode relay local "$RELAY" \
		port 3544 || return 1
	quiet_ipv6 rly teredo0 || return 1
	ip -n rly link set teredo0 up
}

# Miredo's relay, config R on port 3545.
setup_B() {
	local conf=$WORK/miredo-relay.conf

	command -v miredo >/dev/null || { echo "no miredo"; return 1; }
	printf '%s\n' "RelayType cone" "InterfaceName teredo" \
		"BindPort 3545" > "$conf"
	if ! miredo-checkconf -c "$conf" >/dev/null 2>&1; then
		echo "miredo-checkconf refuses R"
		return 1
	fi
	daemon rly miredo miredo -f -u miredo -p "$WORK/miredo-relay.pid" \
		-c "$conf"
	if ! wait_until 20 udp_bound rly 3545 ||
		! wait_until 20 link_exists rly teredo; then
		echo "miredo did not start: $(tr '\n' ' ' < "$WORK/miredo.log")"
		return 1
	fi
}

# sit + fou end to end: the relay's side.
setup_C() {
	ip -n rly fou add port "$FOU_C" ipproto 41 || return 1
	sit_fou rly rs0 "$RELAY" "$CLIENT" auto "$CPORT" || return 1
	ip -n rly -6 route add 2001:db8:2::/64 dev rs0
}

# A direct IPv6 link between the client and the relay.
setup_D() {
	ip link add d0 netns cli mtu 1280 type veth peer name d0 netns rly \
		mtu 1280 || return 1
	ip -n cli addr add "$D_ADDR/64" dev d0 nodad || return 1
	ip -n rly addr add 2001:db8:3::20/64 dev d0 nodad || return 1
	ip -n cli link set d0 up
	ip -n rly link set d0 up
}

# cli_tunnel DPORT: (re)create the client's sit device toward the relay's
# UDP port DPORT, with the Teredo and the C addresses.
cli_tunnel() {
	ip -n cli link del tun6 2>/dev/null
	sit_fou cli tun6 "$CLIENT" "$RELAY" "$CPORT" "$1" || return 1
	ip -n cli addr add "$TADDR/128" dev tun6 nodad || return 1
	ip -n cli addr add "$C_ADDR/64" dev tun6 nodad || return 1
}

# relay_route DEV: the relay's only 2001::/32 route goes to DEV.
relay_route() {
	local i

	for i in 1 2 3 4 5; do
		ip -n rly -6 route del 2001::/32 2>/dev/null || break
	done
	ip -n rly -6 route add 2001::/32 dev "$1"
}

# select_variant V: switch the paths; sets SRC (the client's address).
select_variant() {
	case $1 in
	A) relay_route teredo0 && cli_tunnel 3544 && SRC=$TADDR ;;
	B) relay_route teredo && cli_tunnel 3545 && SRC=$TADDR &&
		# Miredo reads the bytes: the inner checksum must be filled in.
		nsx cli python3 -I -S "$BENCH_DIR/netdev.py" tx-csum tun6 off >/dev/null ;;
	C) cli_tunnel "$FOU_C" && SRC=$C_ADDR ;;
	D) SRC=$D_ADDR ;;
	esac || return 1
	if [ "$1" = D ]; then
		ip -n cli -6 route replace 2001:db8:1::/64 via 2001:db8:3::20 \
			dev d0 src "$SRC"
	else
		ip -n cli -6 route replace 2001:db8:1::/64 dev tun6 src "$SRC"
	fi
}

# warm: the native host reaches the client, so the relay trusts it.
warm() {
	local i

	for i in 1 2 3 4 5; do
		nsx host ping -6 -c 1 -W 2 "$SRC" >/dev/null 2>&1 && return 0
		log "warm-up ping $i to $SRC lost"
	done
	return 1
}

# measure TEST FILE: one iperf3 run from the client to the native host.
measure() {
	local args=(-c "$HOST6" -B "$SRC" -t "$TIME" -J --connect-timeout 5000)

	case $1 in
	tcp_down) args+=(-R) ;;
	udp_up) args+=(-u -l 64 -b 0) ;;
	udp_down) args+=(-u -l 64 -b 0 -R) ;;
	esac
	nsx cli timeout -k 5 $((TIME + 25)) iperf3 "${args[@]}" >"$2" 2>&1
}

# snap: drop counters along the path (report.py snap), read through
# /proc/PID/net of the iperf3 server (host), the responder (cli) and an
# idle process in rly: no process per namespace on the measured CPUs.
snap() {
	py "$BENCH_DIR/report.py" snap "$IPERF_PID" "$RESPONDER_PID" "$RLY_PID"
}

# sample REP V TEST: one measurement, one line of $SAMPLES.  A run that
# cannot reach the server (the relay's trust lapsed) is retried once
# after a new warm-up.
sample() {
	local rep=$1 v=$2 test=$3 load kind=tcp before t0 try mark
	local json=$WORK/$v-$rep-$test.json status value sent loss drops
	local cpu_s wall_s per_cpu pkt_cpu

	case $test in udp*) kind=udp64 ;; esac
	for try in 1 2; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		[ -n "$HOST_LOADAVG" ] &&
			load="$load/$(cut -d' ' -f1 "$HOST_LOADAVG" 2>/dev/null)"
		before=$(snap)
		t0=$SECONDS
		# The guest's busy time around the run: all of the path is
		# on its cpus (lib.sh's cpu_busy).
		mark=$(cpu_mark)
		measure "$test" "$json"
		read -r cpu_s wall_s <<< "$(cpu_span "$mark")"
		read -r status value sent loss cpu_s wall_s per_cpu pkt_cpu \
			drops <<< "$(py "$BENCH_DIR/report.py" finish "$json" \
			"$kind" "$before" "$cpu_s" "$wall_s" "$IPERF_PID" \
			"$RESPONDER_PID" "$RLY_PID")"
		cp "$json" "$LOGS/" 2>/dev/null
		[ "$status" = ok ] && break
		# A test killed halfway can leave the server busy.
		start_iperf || log "iperf3 server does not restart"
		case $value in
		*connect*) [ "$try" = 1 ] && warm && continue ;;
		esac
		break
	done
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$rep" "$v" "$test" "$status" "$value" "$sent" "$loss" "$load" \
		"$drops" "$cpu_s" "$wall_s" "$per_cpu" "$pkt_cpu" >> "$SAMPLES"
	log "rep $rep $v $test: $status $value (sent $sent, loss $loss%," \
		"load $load, $((SECONDS - t0)) s, drops $drops;" \
		"$cpu_s cpu-s busy in $wall_s s: $per_cpu per cpu-s)"
}

# The tunnels' own entry points, timed per call by the function_graph
# tracer (lib.sh's trace_setup, bench/profile.py).  Decapsulation: ours
# is one encap_rcv; sit+fou's is fou's encap_rcv and, after the resubmit,
# sit's receive.  Encapsulation: each device's ndo_start_xmit.  GRO:
# each UDP tunnel socket's gro_receive.
PROFILE_FUNCS="relay_recv teredo_relay_xmit teredo_gro_receive
	fou_udp_recv ipip6_rcv sit_tunnel_xmit fou_gro_receive"

# profile: one UDP64 run each way for ours and sit+fou with those
# functions traced.
profile() {
	local v t runs=()

	# shellcheck disable=SC2086  # one function a word
	trace_setup "$DEPTH" $PROFILE_FUNCS || return 1
	for v in A C; do
		if [ -n "${FAILED[$v]:-}" ] || ! select_variant "$v" || ! warm; then
			log "profile: variant $v has no path"
			continue
		fi
		for t in udp_up udp_down; do
			runs+=("$(trace_run "$v" "$t" measure "$t" \
				"$WORK/prof-$v-$t.json")")
		done
	done
	trace_stop
	py "$BENCH_DIR/profile.py" "$RESULTS/profile-depth$DEPTH.md" \
		"${TRACE_CLOCK_ARGS[@]}" "${runs[@]}"
}

# fail_samples REP V REASON: the variant's tests of this repetition failed.
fail_samples() {
	local t

	for t in $TESTS; do
		printf '%s\t%s\t%s\tfail\t%s\t-\t-\t-\t-\t-\t-\t-\t-\n' "$1" "$2" \
			"$t" "$3" >> "$SAMPLES"
	done
}

# ------------------------------------------------------------ main

{
	echo "Relay throughput, $(uname -r), $(nproc) vCPU (QEMU/TCG)," \
		"$(date -u '+%F %T') UTC; $REPS interleaved repetitions" \
		"(A B C D ...), iperf3 -t $TIME; see bench/README.md."
	echo
} > "$WORK/header"
printf '%s\t' rep variant test status value sent loss load1 drops cpu_s \
	wall_s per_cpu_s > "$SAMPLES"
echo pkt_per_cpu_s >> "$SAMPLES"
: > "$EXTRA"
rm -rf "$LOGS"
mkdir -p "$LOGS"

HOST_LOADAVG=$(host_loadavg)
[ -n "$HOST_LOADAVG" ] && log "host load: $(cat "$HOST_LOADAVG")"

log "load before setup: $(cat /proc/loadavg)"
modprobe teredo || { echo "bench: cannot load teredo.ko" >&2; exit 1; }
# fou's generic netlink family is not autoloaded by `ip fou`.
for m in veth bridge fou sit tun; do
	modprobe "$m" || log "modprobe $m failed"
done
if ! setup_base; then
	log "base topology failed"
	for ns in $NS; do
		echo "== $ns"
		ip -n "$ns" addr 2>&1
	done >&2
	cat "$WORK"/*.log >&2 2>/dev/null
	exit 1
fi
log "client $CLIENT:$CPORT is $TADDR"
for pair in "host:$IPERF_PID" "cli:$RESPONDER_PID" "rly:$RLY_PID"; do
	[ "$(ip netns identify "${pair#*:}")" = "${pair%%:*}" ] ||
		log "pid ${pair#*:} is not in ${pair%%:*}: drop counters wrong"
done

for v in $VARIANTS; do
	if ! "setup_$v" >"$WORK/setup-$v.err" 2>&1; then
		FAILED[$v]="setup: $(tr '\n\t' '  ' < "$WORK/setup-$v.err" |
			cut -c1-160)"
		log "variant $v: ${FAILED[$v]}"
	fi
done

if [ "$PROFILE" = 1 ]; then
	profile
	exit $?
fi

for rep in $(seq 1 "$REPS"); do
	for v in $VARIANTS; do
		if [ -n "${FAILED[$v]:-}" ]; then
			fail_samples "$rep" "$v" "setup"
			continue
		fi
		if [ "$SECONDS" -ge "$DEADLINE" ]; then
			fail_samples "$rep" "$v" "time budget"
			continue
		fi
		if ! select_variant "$v" 2>"$WORK/select.err"; then
			log "variant $v: cannot switch: $(cat "$WORK/select.err")"
			fail_samples "$rep" "$v" "switch"
			continue
		fi
		if ! warm; then
			fail_samples "$rep" "$v" "no-ping"
			continue
		fi
		for t in $TESTS; do
			sample "$rep" "$v" "$t"
		done
	done
done

# What the relays saw, for the analysis.
{
	echo "## teredo0 after the runs"
	[ -x "$CTL" ] && nsx rly "$CTL" show teredo0 2>&1
	ip -n rly -s -s -d link show teredo0 2>&1
	echo "## rly IPv6 and UDP counters"
	nsx rly nstat -az 2>/dev/null | grep -E \
		'Udp(InDatagrams|RcvbufErrors|InErrors|OutDatagrams)|Ip6(InNoRoutes|OutForwDatagrams|InDiscards|OutDiscards)'
	echo "## Miredo relay log"
	cat "$WORK/miredo.log" 2>/dev/null
	echo "## responder log (tail)"
	tail -5 "$WORK/responder.log"
	echo "## server log (tail)"
	tail -5 "$WORK/server.log"
} >> "$EXTRA" 2>&1

{
	echo "load at the end: $(cat /proc/loadavg)"
	[ -n "$HOST_LOADAVG" ] && echo "host load at the end: $(cat "$HOST_LOADAVG")"
	echo
	for v in $VARIANTS; do
		[ -n "${FAILED[$v]:-}" ] && echo "- variant $v ${FAILED[$v]}"
	done
	echo
} >> "$WORK/header"
py "$BENCH_DIR/report.py" table "$SAMPLES" "$WORK/header" > "$OUT"
cat "$OUT"
log "$((SECONDS)) s; table in $OUT"
