#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/server.sh [--time S] [--reps N] [--sources N] [--variants "V..."]
#
# Server RS/s: Router Solicitations answered per second, and per second
# of the server's cpu, by our server (mode server) and by miredo-server,
# next to "floors": the same flood into the server's namespace with
# nothing answering, i.e. what the kernel spends on a datagram that any
# server, ours or Miredo's, has to receive (and, for floor-echo, answer).
# All variants run one after the other in one boot, interleaved, under
# the same load: bench/rsflood sends 61-byte RS (with a nonce) from an
# AF_PACKET TX ring, each from another of N spoofed source addresses
# (198.19.0.0 up) and another port.  The answers go back to the
# generator's namespace and are dropped at its ingress.  Runs inside the
# QEMU guest (make bench, make bench-server); writes
# $TEREDO_RESULTS/bench-server.md (also printed) and
# bench-server-samples.tsv.  Method and caveats: bench/README.md.
#
#   gen  eth0 198.18.0.100  ---  srv eth0 198.18.0.1, 198.18.0.2
#                                    route 198.19.0.0/16 via .100
#
# One vCPU each: the generator and the answers' reception are on cpu 0
# (taskset; RPS on gen's veth), the RS's reception and the server on
# cpu 1 (RPS on srv's veth; miredo-server pinned there).  veth delivers
# in the sender's context, so without RPS on gen's side the answers'
# reception would run on the server's cpu.  This script itself stays on
# cpu 0 as well.
#
# Variants:
#   ours          ip link add ts type teredo mode server
#   miredo        miredo-server 1.2.6, flooded like ours
#   miredo-paced  miredo-server offered 90 % of what it answered flooded
#                 (its cost per RA without the RS it drops unread)
#   floor-pre     nftables drop at prerouting (raw): receive up to IPv4
#   floor-sock    a UDP socket on :3544 that nobody reads, minimal
#                 rcvbuf: receive up to the socket, where a server's
#                 work begins (our encap_rcv, Miredo's recvmsg)
#   floor-echo    no socket: the kernel answers each RS with an ICMP
#                 port unreachable (rate limits off) of about the RA's
#                 size: receive plus the cheapest reply the kernel sends
#
# The default 16384 sources keep each one under our per-source limit
# (20/s) at the rates reached here: rx_ratelimited is shown after the
# table.

set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
TIME=8
REPS=3
SOURCES=16384
VARIANTS="ours miredo miredo-paced floor-pre floor-sock floor-echo"
while [ $# -gt 0 ]; do
	case $1 in
	--time) TIME=$2; shift 2 ;;
	--reps) REPS=$2; shift 2 ;;
	--sources) SOURCES=$2; shift 2 ;;
	--variants) VARIANTS=$2; shift 2 ;;
	*) echo "usage: $0 [--time S] [--reps N] [--sources N] [--variants \"V...\"]" >&2
	   exit 2 ;;
	esac
done
if [ -z "${TEREDO_RESULTS:-}" ] || [ ! -d "$TEREDO_RESULTS" ]; then
	echo "bench/server.sh runs inside the test VM: use 'make bench-server'" >&2
	exit 2
fi
OUT=$TEREDO_RESULTS/bench-server.md
SAMPLES=$TEREDO_RESULTS/bench-server-samples.tsv
FLOOD=$TOP/build/bench/rsflood
CTL=$TOP/build/tools/teredoctl
IP=/usr/sbin/ip
S1=198.18.0.1
GEN=198.18.0.100
WORK=$(mktemp -d /tmp/bench-server.XXXXXX)
SRV_MAC=""
PACE=0

BENCH_NAME=bench-server
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

cleanup() {
	ip netns pids srv 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns del gen 2>/dev/null
	ip netns del srv 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

udp_bound() { [ -n "$(nsx srv ss -Hunl 'sport = :3544')" ]; }
udp_free() { ! udp_bound; }
kill_srv_procs() { ip netns pids srv | xargs -r kill "$@" 2>/dev/null; }

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
	# The RS are received on cpu 1, the answers on cpu 0.
	nsx srv sh -c 'echo 2 > /sys/class/net/eth0/queues/rx-0/rps_cpus' ||
		return 1
	nsx gen sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus' ||
		return 1
	# Answers (RAs, ICMP) to the spoofed sources: counted and dropped
	# at ingress, as cheaply as the generator's side can.
	nsx gen nft -f - <<-'EOF2' || return 1
	table netdev bench {
		counter replies { }
		chain in {
			type filter hook ingress device eth0 priority -500;
			ip daddr 198.19.0.0/16 counter name replies drop
		}
	}
	EOF2
	nsx gen ping -c 1 -W 3 $S1 >/dev/null || return 1
	SRV_MAC=$(nsx srv cat /sys/class/net/eth0/address)
}

# snap: into SNAP, without forking (this runs right before and after a
# flood): wall clock (us); idle + iowait of cpu 0 and cpu 1 (USER_HZ);
# packets taken from the backlog and dropped at it (full) by cpu 0 and
# cpu 1; NET_RX softirqs of cpu 0 and cpu 1.
snap() {
	local -a a
	local p d

	SNAP=("${EPOCHREALTIME/./}")
	while read -ra a; do
		case ${a[0]} in
		cpu0|cpu1) SNAP+=("$((a[4] + a[5]))") ;;
		esac
	done < /proc/stat
	while read -r p d _; do
		SNAP+=("$((16#$p))" "$((16#$d))")
	done < /proc/net/softnet_stat
	while read -ra a; do
		[ "${a[0]}" = NET_RX: ] && SNAP+=("${a[1]}" "${a[2]}")
	done < /proc/softirqs
}

# shellcheck disable=SC2317 # reached through "run_$v"
replies() {
	nsx gen nft list counter netdev bench replies |
		sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# srv_tx: what the server's side put on the wire (or lost in veth).
# shellcheck disable=SC2317 # reached through "run_$v"
srv_tx() {
	local d=/sys/class/net/eth0/statistics

	nsx srv cat "$d/tx_packets" "$d/tx_dropped" | awk '{ n += $1 } END { print n }'
}

# flood [RATE]: run the generator (paced at RATE/s if given) and print
# what the run did and cost: offered, received by cpu 1, refused by cpu
# 1's full backlog, answered, answers lost at cpu 0's backlog (per
# second of the flood); vCPU 1 and vCPU 0 busy (% of the window); then
# the window's counts: received, answered, replies seen by the
# generator, cpu 1 time (us), cpu 1's NET_RX softirqs, the window (us),
# refused, frames sent, cpu 0 time (us).  The window runs from just before the
# generator starts to when the receiver has freed every frame (rsflood
# waits for that before it exits).
flood() {
	local rate=${1:-} out sent secs t0 t1 r0 r1
	local -a s0 s1

	t0=$(srv_tx)
	r0=$(replies)
	snap
	s0=("${SNAP[@]}")
	out=$(nsx gen taskset -c 0 "$FLOOD" ${rate:+-r "$rate"} eth0 \
		"$SRV_MAC" $S1 198.19.0.0 "$SOURCES" "$TIME")
	snap
	s1=("${SNAP[@]}")
	t1=$(srv_tx)
	r1=$(replies)
	read -r _ sent _ secs <<< "$out"
	[ -n "${secs:-}" ] || return 1
	echo "$sent $secs $((t1 - t0)) $((r1 - r0)) $HZ_USER ${s0[*]} ${s1[*]}" |
	awk '{
		sent = $1; secs = $2; ans = $3; rep = $4; hz = $5
		n = (NF - 5) / 2
		for (i = 1; i <= n; i++) d[i] = $(5 + n + i) - $(5 + i)
		wall = d[1]
		# busy: wall minus idle, per cpu
		h0 = wall - d[2] * 1e6 / hz; h1 = wall - d[3] * 1e6 / hz
		p0 = d[4]; x0 = d[5]; p1 = d[6]; x1 = d[7]; nr0 = d[8]; nr1 = d[9]
		printf "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\n",
			sent / secs, p1 / secs, x1 / secs, ans / secs, x0 / secs,
			100 * h1 / wall, 100 * h0 / wall,
			p1, ans, rep, h1, nr1, wall, x1, sent, h0
	}'
}

# counters: what our server counted, from teredoctl's JSON.
# shellcheck disable=SC2317 # reached through "run_$v"
counters() {
	local json c out=""

	json=$(nsx srv "$CTL" -j show ts 2>&1)
	for c in tx_ra rx_ratelimited rx_bad_rs tx_no_memory tx_no_route; do
		out+="$c $(grep -o "\"$c\": *[0-9]*" <<< "$json" |
			grep -o '[0-9]*$' || echo 0), "
	done
	echo "${out%, }; device rx_dropped $(nsx srv cat \
		/sys/class/net/ts/statistics/rx_dropped)"
}

run_ours() {
	local r

	ip -n srv link add ts type teredo mode server local $S1 || return 1
	nsx srv sysctl -q -w net.ipv6.conf.ts.accept_ra=0 \
		net.ipv6.conf.ts.router_solicitations=0 \
		net.ipv6.conf.ts.addr_gen_mode=1
	ip -n srv link set ts up
	r=$(flood)
	echo "rep $rep: $(counters)" >> "$WORK/ours.txt"
	ip -n srv link del ts
	wait_until 10 udp_free
	echo "$r"
}

start_miredo() {
	echo "ServerBindAddress $S1" > "$WORK/srv.conf"
	chmod 755 "$WORK"
	nsx srv taskset -c 1 miredo-server -f -u miredo-server \
		-p "$WORK/srv.pid" -c "$WORK/srv.conf" \
		> "$WORK/miredo.log" 2>&1 < /dev/null &
	wait_until 20 udp_bound ||
		{ log "miredo-server: $(cat "$WORK/miredo.log")"; return 1; }
}

# miredo-server forks its worker: end every process of the netns.
stop_srv_procs() {
	kill_srv_procs
	wait 2>/dev/null
	wait_until 10 udp_free || kill_srv_procs -9
	wait_until 5 udp_free
}

run_miredo() {
	local r

	start_miredo || return 1
	r=$(flood)
	stop_srv_procs
	echo "$r"
}

run_miredo_paced() {
	local r

	[ "$PACE" -gt 0 ] || return 1
	start_miredo || return 1
	r=$(flood "$PACE")
	stop_srv_procs
	echo "$r"
}

run_floor_pre() {
	local r

	nsx srv nft -f - <<-EOF2 || return 1
	table ip floor {
		chain pre {
			type filter hook prerouting priority raw;
			ip daddr $S1 udp dport 3544 drop
		}
	}
	EOF2
	r=$(flood)
	nsx srv nft delete table ip floor
	echo "$r"
}

run_floor_sock() {
	local r

	# perl starts in a second where python3 takes many under TCG.
	# shellcheck disable=SC2016 # perl's variables
	nsx srv perl -MSocket -e 'socket(S, PF_INET, SOCK_DGRAM, 0) or die "$!";
		setsockopt(S, SOL_SOCKET, SO_RCVBUF, pack("i", 0)) or die "$!";
		bind(S, pack_sockaddr_in(3544, inet_aton($ARGV[0]))) or die "$!";
		sleep 3600' $S1 < /dev/null > "$WORK/sink.log" 2>&1 &
	if ! wait_until 60 udp_bound; then
		log "floor-sock: no socket on :3544: $(cat "$WORK/sink.log")"
		pgrep -a perl >&2
		nsx srv ss -uanp >&2
		stop_srv_procs
		return 1
	fi
	r=$(flood)
	stop_srv_procs
	echo "$r"
}

run_floor_echo() {
	local r mask

	mask=$(nsx srv sysctl -n net.ipv4.icmp_ratemask)
	nsx srv sysctl -q -w net.ipv4.icmp_ratemask=0 || return 1
	r=$(flood)
	nsx srv sysctl -q -w net.ipv4.icmp_ratemask="$mask"
	echo "$r"
}

# What each variant's figure per cpu-second counts: answers, or for the
# floors that do not answer, datagrams received.
counts_answers() { [ "$1" != floor-pre ] && [ "$1" != floor-sock ]; }

[ -x "$FLOOD" ] || { log "build $FLOOD first (make bench-server)"; exit 1; }
# Everything but the server stays off cpu 1.
taskset -p -c 0 $$ > /dev/null
# The host's load (1, 5, 15 min), which bench/hostload.sh keeps in the
# results directory: the guest cannot read the host's /proc.
hostload() {
	[ -f "$TEREDO_RESULTS/hostload" ] &&
		cut -d' ' -f1-3 "$TEREDO_RESULTS/hostload" 2>/dev/null
}
LOAD_START=$(hostload)
log "host load at the start: ${LOAD_START:-unknown}"
modprobe teredo || { log "cannot load teredo.ko"; exit 1; }
modprobe veth
setup || { log "setup failed"; exit 1; }

declare -A PERCPU=() RATE=() HLOAD=() TX=()
rows=""
printf '%s\t' rep variant offered_per_s received_per_s refused_per_s \
	answered_per_s lost_cpu0_per_s vcpu1_pct vcpu0_pct per_cpu_s us_each \
	cpu0_us_per_sent received answered replies cpu1_us netrx1 wall_us \
	refused sent cpu0_us \
	> "$SAMPLES"
echo hostload1 >> "$SAMPLES"
for rep in $(seq 1 "$REPS"); do
	PACE=0
	for v in $VARIANTS; do
		hl=$(hostload | cut -d' ' -f1)
		if r=$("run_${v//-/_}") && [ -n "$r" ]; then
			read -r offered recv refused answered lost0 pct1 pct0 \
				rcv_n ans_n rep_n cpu1 nr1 wall ref_n sent_n \
				cpu0 <<< "$r"
			work=$rcv_n fig=$recv
			if counts_answers "$v"; then
				work=$ans_n fig=$answered
			fi
			read -r percpu us batch us0 <<< "$(awk -v w="$work" \
				-v c="$cpu1" -v r="$rcv_n" -v n="$nr1" \
				-v c0="$cpu0" -v s="$sent_n" \
				'BEGIN { p = c > 0 ? w * 1e6 / c : 0
				printf "%d %.1f %.1f %.1f\n", p, p ? 1e6 / p : 0,
					n ? r / n : 0, s ? c0 / s : 0 }')"
			[ "$v" = miredo ] && PACE=$((answered * 9 / 10))
			log "rep $rep $v: offered $offered/s, cpu 1 received $recv/s (refused, backlog full: $refused/s), answered $answered/s (lost at cpu 0: $lost0/s); vCPU 1 $pct1 %, vCPU 0 $pct0 %; $batch per NET_RX; $percpu per cpu-1 second ($us us); cpu 0 $us0 us per RS sent; host load ${hl:-?}"
			rows+="| $rep | $v | $offered | $recv | $refused | $answered | $lost0 | $pct1 | $pct0 | $batch | $percpu | $us | $us0 |"$'\n'
			printf '%s\t' "$rep" "$v" "$offered" "$recv" "$refused" \
				"$answered" "$lost0" "$pct1" "$pct0" "$percpu" \
				"$us" "$us0" "$rcv_n" "$ans_n" "$rep_n" "$cpu1" \
				"$nr1" "$wall" "$ref_n" "$sent_n" "$cpu0" >> "$SAMPLES"
			echo "${hl:-}" >> "$SAMPLES"
			PERCPU[$v]+="$percpu " RATE[$v]+="$fig " TX[$v]+="$us0 "
		else
			log "rep $rep $v: failed"
			rows+="| $rep | $v | failed | | | | | | | | | | |"$'\n'
		fi
		HLOAD[$v]+="${hl:-} "
	done
done
LOAD_END=$(hostload)

median() { printf '%s\n' "$@" | sort -g | awk 'NF { a[++n] = $1 } END {
	if (!n) print 0; else if (n % 2) print a[(n + 1) / 2];
	else print (a[n / 2] + a[n / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b) printf "%.1f", a / b; else print "n/a" }'; }
usof() { awk -v p="$1" 'BEGIN { printf "%.1f", p ? 1e6 / p : 0 }'; }
range() { printf '%s\n' "$@" | sort -n | awk 'NF { a[++n] = $1 }
	END { if (n) printf "%s–%s", a[1], a[n] }'; }
declare -A MED_CPU=() MED_RATE=()
for v in $VARIANTS; do
	# shellcheck disable=SC2086 # word lists on purpose
	MED_CPU[$v]=$(median ${PERCPU[$v]:-} | cut -d. -f1)
	# shellcheck disable=SC2086
	MED_RATE[$v]=$(median ${RATE[$v]:-} | cut -d. -f1)
done
# Miredo's best figure per cpu-second, flooded or paced: the fairer
# denominator (flooded, it also pays for the RS it receives and drops;
# paced, it sleeps and wakes up for each one).
mir=${MED_CPU[miredo]:-0}
[ "${MED_CPU[miredo-paced]:-0}" -gt "$mir" ] && mir=${MED_CPU[miredo-paced]:-0}
mir_us=$(usof "$mir")
rx_us=$(usof "${MED_CPU[floor-sock]:-0}")
# The cheapest transmit of a frame on this veth: the generator's own
# (AF_PACKET, no route, no IP output), where the server answers nothing.
# shellcheck disable=SC2086
tx_us=$(median ${TX[floor-pre]:-})
ceil_rx=$(awk -v m="$mir_us" -v r="$rx_us" 'BEGIN { if (r > 0) printf "%.1f", m / r; else print "n/a" }')
ceil_rxtx=$(awk -v m="$mir_us" -v r="$rx_us" -v t="$tx_us" \
	'BEGIN { if (r + t > 0) printf "%.1f", m / (r + t); else print "n/a" }')

what() {
	case $1 in
	ours) echo "our server: RS in, RA out" ;;
	miredo) echo "miredo-server, flooded: RS in, RA out" ;;
	miredo-paced) echo "miredo-server at 90 % of its flooded rate" ;;
	floor-pre) echo "receive up to nftables prerouting, drop" ;;
	floor-sock) echo "receive up to an unread UDP socket, drop" ;;
	floor-echo) echo "receive + the kernel's ICMP reply (no socket)" ;;
	esac
}
{
	echo "Server RS/s, $(uname -r), $(nproc --all) vCPU (QEMU/TCG), $(date -u '+%F %T') UTC;"
	echo "rsflood (AF_PACKET TX ring, cpu 0): 61-byte RS from $SOURCES sources,"
	echo "${TIME} s per run, $REPS interleaved repetitions; the server on cpu 1"
	echo "(RPS; miredo-server pinned), the answers received on cpu 0 (RPS);"
	echo "cpu time: wall minus the guest's idle time (see bench/README.md);"
	echo "host load (1, 5, 15 min) at the start ${LOAD_START:-unknown}, at the end ${LOAD_END:-unknown}."
	echo
	echo "| rep | variant | offered RS/s | received by cpu 1 /s | refused, backlog full /s | answered /s | answers lost at cpu 0 /s | vCPU 1 % busy | vCPU 0 % busy | datagrams per NET_RX | per cpu-1 second | cpu-1 µs each | cpu-0 µs per RS sent |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s' "$rows"
	echo
	echo "Medians (answers, or for floor-pre and floor-sock datagrams received;"
	echo "per cpu-1 second = that count over cpu 1's time):"
	echo
	echo "| variant | work on cpu 1 | /s | per cpu-1 second | cpu-1 µs each | per cpu-second vs Miredo's best | host load1 |"
	echo "|---|---|---|---|---|---|---|"
	for v in $VARIANTS; do
		c=${MED_CPU[$v]}
		# shellcheck disable=SC2086
		echo "| $v | $(what "$v") | ${MED_RATE[$v]} | $c | $(usof "$c") |" \
			"$(ratio "$c" "$mir")× | $(range ${HLOAD[$v]:-}) |"
	done
	echo
	echo "- ours / miredo, answered per second (both flooded):" \
		"$(ratio "${MED_RATE[ours]:-0}" "${MED_RATE[miredo]:-0}")×"
	echo "- ours / miredo per cpu-1 second (Miredo's best of flooded and" \
		"paced, $mir_us µs per RA): $(ratio "${MED_CPU[ours]:-0}" "$mir")×"
	echo "- ceiling for any server that receives the RS through the kernel's" \
		"UDP stack, even one whose answer cost nothing: Miredo's µs per RA /" \
		"floor-sock's ($rx_us µs) = ${ceil_rx}×"
	echo "- with the cheapest transmit on this link added (the generator's" \
		"own, $tx_us µs per frame in the floor-pre runs): ${ceil_rxtx}×"
	echo "- ours / floor-echo (the kernel's own ICMP answer) per cpu-1" \
		"second: $(ratio "${MED_CPU[ours]:-0}" "${MED_CPU[floor-echo]:-0}")×"
	echo
	echo "Our server's counters, each run on a new device (rx_ratelimited:"
	echo "RS refused by the per-source limit, 20/s after a burst of 10):"
	echo
	sed 's/^/- /' "$WORK/ours.txt" 2>/dev/null
} > "$OUT"
cat "$OUT"
