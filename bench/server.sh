#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/server.sh [--time S] [--reps N] [--sources N]
#
# Server RS/s: Router Solicitations answered per second by our server
# (mode server) and by miredo-server, one after the other in one boot,
# under the same load: bench/rsflood sends 61-byte RS (with a nonce) as
# fast as one thread can, each from another of N spoofed source addresses
# (198.19.0.0 up) and another port.  The RAs come back to the generator's
# namespace and are counted there by an nftables counter (and dropped).
# Runs inside the QEMU guest (make bench, make bench-server); writes
# $TEREDO_RESULTS/bench-server.md and prints it.
#
#   gen  eth0 198.18.0.100  ---  srv eth0 198.18.0.1, 198.18.0.2
#                                    route 198.19.0.0/16 via .100
#
# The default 16384 sources keep each one at a few RS per second, under
# our per-source limit (20/s): the bench measures the answering path, and
# reports rx_ratelimited to show it.
#
# Each side gets one vCPU: the generator is pinned to cpu 0; the server's
# receive processing is steered to cpu 1 (RPS on its veth), where our
# server answers in softirq and where miredo-server is pinned.  Without
# the split our server would run in the generator's own softirq and
# measure the generator.

set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
TIME=8
REPS=2
SOURCES=16384
while [ $# -gt 0 ]; do
	case $1 in
	--time) TIME=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--sources) SOURCES=$2; shift 2 ;;
	*) echo "usage: $0 [--time S] [--reps N] [--sources N]" >&2; exit 2 ;;
	esac
done
if [ -z "${TEREDO_RESULTS:-}" ] || [ ! -d "$TEREDO_RESULTS" ]; then
	echo "bench/server.sh runs inside the test VM: use 'make bench-server'" >&2
	exit 2
fi
OUT=$TEREDO_RESULTS/bench-server.md
FLOOD=$TOP/build/bench/rsflood
CTL=$TOP/build/tools/teredoctl
IP=/usr/sbin/ip
S1=198.18.0.1
GEN=198.18.0.100
WORK=$(mktemp -d /tmp/bench-server.XXXXXX)
MIREDO_PID=""

ip() { "$IP" "$@"; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
log() { echo "bench-server: $*" >&2; }

cleanup() {
	[ -n "$MIREDO_PID" ] && ip netns pids srv | xargs -r kill 2>/dev/null
	ip netns del gen 2>/dev/null
	ip netns del srv 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

wait_until() {
	local deadline=$((SECONDS + $1))

	shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

udp_bound() { [ -n "$(nsx srv ss -Hunl 'sport = :3544')" ]; }
udp_free() { ! udp_bound; }

setup() {
	ip netns add gen && ip netns add srv || return 1
	ip -n gen link set lo up && ip -n srv link set lo up
	ip link add eth0 netns gen type veth peer name eth0 netns srv || return 1
	ip -n gen addr add $GEN/24 dev eth0
	ip -n srv addr add $S1/24 dev eth0
	ip -n srv addr add 198.18.0.2/24 dev eth0
	ip -n gen link set eth0 up
	ip -n srv link set eth0 up
	ip -n srv route add 198.19.0.0/16 via $GEN || return 1
	nsx srv sysctl -q -w net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0 || return 1
	nsx srv sh -c 'echo 2 > /sys/class/net/eth0/queues/rx-0/rps_cpus' ||
		return 1
	# RAs for the spoofed sources: counted and dropped before routing.
	nsx gen nft -f - <<-'EOF2' || return 1
	table ip bench {
		counter ras { }
		chain pre {
			type filter hook prerouting priority raw; policy accept;
			udp sport 3544 counter name ras drop
		}
	}
	EOF2
	nsx gen ping -c 1 -W 3 $S1 >/dev/null
}

ras() {
	nsx gen nft list counter ip bench ras |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# backlog_drops: packets dropped at the cpus' input backlogs (all cpus).
backlog_drops() {
	local sum=0 d

	while read -r _ d _; do
		sum=$((sum + 16#$d))
	done < /proc/net/softnet_stat
	echo "$sum"
}

# cpu1: "busy total" jiffies of cpu 1, the server's (idle and iowait
# are not busy).
cpu1() {
	awk '$1 == "cpu1" { t = 0; for (i = 2; i <= NF; i++) t += $i
		print t - $5 - $6, t }' /proc/stat
}

# flood: run the generator, print "offered answered backlog-drops" per
# second and the busy share of the server's cpu (percent).
flood() {
	local before after out sent secs d0 d1 b0 t0 b1 t1

	read -r b0 t0 <<< "$(cpu1)"
	d0=$(backlog_drops)
	before=$(ras)
	out=$(nsx gen taskset -c 0 "$FLOOD" $S1 198.19.0.0 "$SOURCES" "$TIME")
	sleep 1
	after=$(ras)
	d1=$(backlog_drops)
	read -r b1 t1 <<< "$(cpu1)"
	read -r _ sent _ secs <<< "$out"
	awk -v s="$sent" -v a="$((after - before))" -v t="$secs" \
		-v d="$((d1 - d0))" -v b="$((b1 - b0))" -v T="$((t1 - t0))" \
		'BEGIN { printf "%d %d %d %d\n", s / t, a / t, d / t,
			T ? 100 * b / T : 0 }'
}

run_ours() {
	local r

	ip -n srv link add ts type teredo mode server local $S1 || return 1
	nsx srv sysctl -q -w net.ipv6.conf.ts.accept_ra=0 \
		net.ipv6.conf.ts.router_solicitations=0 \
		net.ipv6.conf.ts.addr_gen_mode=1
	ip -n srv link set ts up
	r=$(flood)
	[ -x "$CTL" ] && nsx srv "$CTL" show ts >> "$WORK/ours.txt" 2>&1
	ip -n srv link del ts
	wait_until 10 udp_free
	echo "$r"
}

run_miredo() {
	local r

	echo "ServerBindAddress $S1" > "$WORK/srv.conf"
	chmod 755 "$WORK"
	nsx srv taskset -c 1 miredo-server -f -u miredo-server -p "$WORK/srv.pid" \
		-c "$WORK/srv.conf" > "$WORK/miredo.log" 2>&1 < /dev/null &
	MIREDO_PID=$!
	wait_until 20 udp_bound || { log "miredo-server: $(cat "$WORK/miredo.log")"; return 1; }
	r=$(flood)
	# miredo-server forks its worker: end every process of the netns.
	ip netns pids srv | xargs -r kill 2>/dev/null
	wait "$MIREDO_PID" 2>/dev/null
	MIREDO_PID=""
	wait_until 10 udp_free || ip netns pids srv | xargs -r kill -9 2>/dev/null
	wait_until 5 udp_free
	echo "$r"
}

[ -x "$FLOOD" ] || { log "build $FLOOD first (make bench-server)"; exit 1; }
modprobe teredo || { log "cannot load teredo.ko"; exit 1; }
modprobe veth
setup || { log "setup failed"; exit 1; }

declare -a OURS=() MIREDO=() OURS_CPU=() MIREDO_CPU=()
rows=""
for rep in $(seq 1 "$REPS"); do
	for v in ours miredo; do
		if r=$("run_$v") && [ -n "$r" ]; then
			read -r offered answered drops busy <<< "$r"
			# Answers per second of the server's cpu, over the run
			# and the second after it (when the counter is read).
			percpu=$(awk -v a="$answered" -v b="$busy" -v t="$TIME" \
				'BEGIN { printf "%d", b ? a * t / ((t + 1) * b / 100) : 0 }')
			log "rep $rep $v: offered $offered RS/s, answered $answered RA/s, backlog drops $drops/s, server cpu $busy%, $percpu RA per cpu-second"
			rows+="| $rep | $v | $offered | $answered | $drops | $busy | $percpu |"$'\n'
			if [ "$v" = ours ]; then
				OURS+=("$answered") OURS_CPU+=("$percpu")
			else
				MIREDO+=("$answered") MIREDO_CPU+=("$percpu")
			fi
		else
			log "rep $rep $v: failed"
			rows+="| $rep | $v | failed | - | - | - | - |"$'\n'
		fi
	done
done

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END {
	if (!NR) print 0; else if (NR % 2) print a[(NR + 1) / 2];
	else printf "%d\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mo=$(median "${OURS[@]}") mm=$(median "${MIREDO[@]}")
co=$(median "${OURS_CPU[@]}") cm=$(median "${MIREDO_CPU[@]}")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b) printf "%.1f", a / b; else print "n/a" }'; }
{
	echo "Server RS/s, $(uname -r), $(nproc) vCPU (QEMU/TCG), $(date -u '+%F %T') UTC;"
	echo "rsflood (cpu 0): 61-byte RS from $SOURCES sources, ${TIME} s per run,"
	echo "$REPS runs each; the server on cpu 1 (RPS; miredo-server pinned)."
	echo
	echo "| rep | server | offered RS/s | answered RA/s | backlog drops/s | server cpu % | RA per cpu-second |"
	echo "|---|---|---|---|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "Median answered: ours $mo RA/s, miredo-server $mm RA/s;" \
		"ratio $(ratio "$mo" "$mm")x."
	echo "Median RA per second of the server's cpu: ours $co, miredo-server $cm;" \
		"ratio $(ratio "$co" "$cm")x."
	echo
	echo "Our server's counters after the runs:"
	echo
	sed 's/^/    /' "$WORK/ours.txt" 2>/dev/null
} > "$OUT"
cat "$OUT"
