#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/client.sh [--reps N] [--time S] [--profile [--depth N]]
#
# Client throughput: our client (device "teredo" + teredod) against
# Miredo's client and against the kernel's own sit+fou encapsulation of
# the same packets, in one boot, interleaved (see bench/README.md).  Runs
# inside the QEMU guest (make bench, make bench-client); writes
# $TEREDO_RESULTS/bench-client.md, bench-client-samples.tsv and
# bench-client-extra.txt, and prints the table.
#
#   srv  br0 198.18.0.1/.2 (the "Internet"), miredo-server;
#    |   br6 2001:db8:1::1/64 (native IPv6: miredo-server sends the
#    |   clients' echo tests to the host natively)
#    |-- rly   e0 198.18.0.20, teredo0 relay :3544 (ours, GRO on e0)
#    |         eth1 2001:db8:1::20 on br6, forwarding
#    |-- host  eth1 2001:db8:1::30 on br6, 2001::/32 via ::20 (native)
#    |-- n-o1  198.18.0.40 NAT -- o1 10.0.1.2  our client
#    |                         `- s1 10.0.5.2  sit+fou, 2001:db8:2::2
#    |-- n-m1  198.18.0.41 NAT -- m1 10.0.2.2  Miredo client
#    |-- n-o2  198.18.0.42 NAT -- o2 10.0.3.2  our client
#    `-- n-m2  198.18.0.43 NAT -- m2 10.0.4.2  Miredo client
#
#   ON  o1 <-> host through our relay     MN  m1 <-> host, same relay
#   OO  o1 <-> o2 (direct, after bubbles) MM  m1 <-> m2
#   SN  s1 <-> host: s1's sit "tun6" over fou 40000 -> rly fou :5555,
#       rly's sit "rs1" back to 198.18.0.40:40000 (run.sh's variant C
#       behind o1's NAT, which keeps the source port: see sn_check)
#
# Each NAT is selftests/topo.sh's port-restricted cone (nftables
# masquerade, new inbound connections dropped).  The host's only
# 2001::/32 route goes to our relay: both clients reach the host through
# it, so only the client differs between ON and MN; SN's packets take
# the same wires and NAT as ON's, only the tunnel ends are sit+fou.
#
# --profile measures nothing of that: it times the tunnels' own functions
# at both ends (ftrace's function_graph, lib.sh's trace_setup) in one run
# of each test for ON and SN and writes
# $TEREDO_RESULTS/profile-client-depthN.md (bench/profile.py).

set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
REPS=3
TIME=5
# Seconds after which no variant starts (TCG, setup included): with the
# last variant's runs and the boot the bench stays within make
# bench-client's 20 minutes.
BUDGET=960
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
	echo "bench/client.sh runs inside the test VM: use 'make bench-client'" >&2
	exit 2
fi
RESULTS=$TEREDO_RESULTS
DEADLINE=$((SECONDS + BUDGET))
WORK=$(mktemp -d /tmp/bench-client.XXXXXX)
# Miredo reads its configuration after dropping to its own user.
chmod 755 "$WORK"
SAMPLES=$RESULTS/bench-client-samples.tsv
LOGS=$RESULTS/bench-client-logs
EXTRA=$RESULTS/bench-client-extra.txt
OUT=$RESULTS/bench-client.md
CTL=$TOP/build/tools/teredoctl
TEREDOD=$TOP/build/tools/teredod
IP=/usr/sbin/ip

SERVER=198.18.0.1
RELAY=198.18.0.20
HOST6=2001:db8:1::30
CLIENTS="o1 m1 o2 m2"
declare -A NAT_IP=([o1]=198.18.0.40 [m1]=198.18.0.41 [o2]=198.18.0.42
	[m2]=198.18.0.43)
declare -A LAN=([o1]=1 [m1]=2 [o2]=3 [m2]=4)
# SN: namespace s1 behind o1's NAT (LAN 10.0.5.0/24), its fou port,
# the relay's, and s1's IPv6 address (2001:db8:2::/64 routed to s1).
SN_LAN=5
SN_PORT=40000
SN_FOU=5555
SN_ADDR=2001:db8:2::2
VARIANTS="ON SN MN OO MM"
TESTS="tcp_up tcp_down udp_up udp_down"
# Variant: client namespace, peer namespace (its iperf3 server).
declare -A V_CLI=([ON]=o1 [SN]=s1 [MN]=m1 [OO]=o1 [MM]=m1)
declare -A V_PEER=([ON]=host [SN]=host [MN]=host [OO]=o2 [MM]=m2)

declare -A FAILED=()
declare -A ADDR=()	# Teredo address of each client, HOST6 for host
declare -A ANCHOR=()	# a process in each namespace, for the counters
declare -A IPERF=()	# iperf3 server pid per namespace
PIDS=()
HOST_LOADAVG=""
HOST_CSUM=on
NSLIST=()

# Namespaces cb-N (N: srv rly host o1 n-o1 s1 ...): nsx N, daemon N.
BENCH_NAME=bench-client NS_PREFIX=cb-
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

cleanup() {
	local p n

	for p in "${PIDS[@]}" "${IPERF[@]}"; do
		kill "$p" 2>/dev/null
	done
	# Miredo's privileged child and anything else still in there.
	for n in "${NSLIST[@]}"; do
		# shellcheck disable=SC2046  # one pid per word
		kill $(ip netns pids "$n" 2>/dev/null) 2>/dev/null
	done
	sleep 0.5
	for n in "${NSLIST[@]}"; do
		ip netns del "$n" 2>/dev/null
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

teredo_addr() {
	ip -n "cb-$1" -6 addr show dev teredo scope global 2>/dev/null |
		awk '$1 == "inet6" && $2 ~ /^2001:0:/ { sub("/.*", "", $2); print $2; exit }'
}

has_teredo_addr() {
	[ -n "$(teredo_addr "$1")" ]
}

# ------------------------------------------------------------ topology

# nat_rules N: selftests/topo.sh's port-restricted cone, i0 -> e0.
nat_rules() {
	nsx "$1" sh -c 'sysctl -q -w net.ipv4.ip_forward=1 && nft -f -' <<-'EOF'
	table ip topo_nat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "e0" masquerade
		}
		chain input {
			type filter hook input priority filter; policy accept;
			iifname "e0" ct state new drop
		}
		chain forward {
			type filter hook forward priority filter; policy accept;
			iifname "e0" ct state new drop
		}
	}
	EOF
}

# Under TCG every process costs: one ip -batch per namespace.
setup_base() {
	local n c cmds=""

	for n in srv rly host $CLIENTS s1; do
		NSLIST+=("cb-$n")
	done
	for c in $CLIENTS; do
		NSLIST+=("cb-n-$c")
	done
	for n in "${NSLIST[@]}"; do
		cmds+="netns add $n"$'\n'
	done
	ip -batch - <<< "$cmds" || return 1
	for n in "${NSLIST[@]}"; do
		ip netns exec "$n" sysctl -q -w net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_dad=0 >/dev/null || return 1
	done

	cmds="link set lo up
link add br0 type bridge
link set br0 up
addr add $SERVER/24 dev br0
addr add 198.18.0.2/24 dev br0
link add p-rly type veth peer name e0 netns cb-rly
link set p-rly master br0 up
link add br6 type bridge mcast_snooping 0
link set br6 up
addr add 2001:db8:1::1/64 dev br6 nodad
link add w-rly type veth peer name eth1 netns cb-rly
link add w-host type veth peer name eth1 netns cb-host
link set w-rly master br6 up
link set w-host master br6 up
"
	for c in $CLIENTS; do
		cmds+="link add p-$c type veth peer name e0 netns cb-n-$c
link set p-$c master br0 up
"
	done
	ip -n cb-srv -batch - <<< "$cmds" || return 1

	ip -n cb-rly -batch - <<-EOF || return 1
	link set lo up
	link set e0 up
	addr add $RELAY/24 dev e0
	link set eth1 up
	addr add 2001:db8:1::20/64 dev eth1 nodad
	EOF
	nsx rly sysctl -q -w net.ipv6.conf.all.forwarding=1 || return 1
	ip -n cb-host -batch - <<-EOF || return 1
	link set lo up
	link set eth1 up
	addr add $HOST6/64 dev eth1 nodad
	route add 2001::/32 via 2001:db8:1::20
	route add 2001:db8:2::/64 via 2001:db8:1::20
	EOF

	for c in $CLIENTS; do
		ip -n "cb-n-$c" -batch - <<-EOF || return 1
		link set lo up
		link set e0 up
		addr add ${NAT_IP[$c]}/24 dev e0
		link add i0 type veth peer name e0 netns cb-$c
		link set i0 up
		addr add 10.0.${LAN[$c]}.1/24 dev i0
		EOF
		ip -n "cb-$c" -batch - <<-EOF || return 1
		link set lo up
		link set e0 up
		addr add 10.0.${LAN[$c]}.2/24 dev e0
		route add default via 10.0.${LAN[$c]}.1
		EOF
		nat_rules "n-$c" || return 1
	done
	# s1: a second LAN behind o1's NAT (masquerade on e0 covers it).
	ip -n cb-n-o1 -batch - <<-EOF || return 1
	link add i1 type veth peer name e0 netns cb-s1
	link set i1 up
	addr add 10.0.$SN_LAN.1/24 dev i1
	EOF
	ip -n cb-s1 -batch - <<-EOF || return 1
	link set lo up
	link set e0 up
	addr add 10.0.$SN_LAN.2/24 dev e0
	route add default via 10.0.$SN_LAN.1
	EOF

	# A process in each namespace whose /proc/PID/net the counters read.
	for n in rly host $CLIENTS s1; do
		daemon "$n" "anchor-$n" sleep 3000
		ANCHOR[$n]=$!
	done

	# miredo-server on .1 (and .2).
	printf '%s\n' "ServerBindAddress $SERVER" > "$WORK/srv.conf"
	daemon srv srv miredo-server -f -u miredo-server \
		-p "$WORK/srv.pid" -c "$WORK/srv.conf"
	wait_until 30 udp_bound srv 3544 || {
		log "miredo-server did not start: $(cat "$WORK/srv.log")"
		return 1
	}

	# Our relay, as selftests/topo.sh's topo_relay_ours sets it up.
	ip -n cb-rly link add teredo0 type teredo mode relay local "$RELAY" \
		port 3544 || return 1
	nsx rly sysctl -q -w net.ipv6.conf.teredo0.accept_ra=0 \
		net.ipv6.conf.teredo0.router_solicitations=0 \
		net.ipv6.conf.teredo0.addr_gen_mode=1 || return 1
	ip -n cb-rly link set teredo0 up || return 1
	ip -n cb-rly -6 route add 2001::/32 dev teredo0 || return 1
	nsx rly ethtool -K e0 gro on >/dev/null 2>&1 ||
		log "ethtool: cannot turn GRO on for rly e0"
	nsx o1 ping -c 1 -W 3 "$RELAY" >/dev/null || return 1
}

# setup_sn: variant SN, run.sh's variant C (lib.sh's sit_fou) between
# s1 and the relay.  s1 sends from 10.0.5.2:40000 to the relay's fou port
# 5555; o1's NAT masquerades that to 198.18.0.40 and keeps port 40000
# (masquerade without "random" keeps a free source port, and no other
# mapping of 198.18.0.40 goes to 198.18.0.20:5555); the relay's sit sends
# back from port 5555 (not "auto": a port-restricted cone NAT passes only
# the mapping's own peer) to 198.18.0.40:40000.  The mapping has to exist
# first (the NAT drops new inbound flows): warm pings s1 -> host first.
setup_sn() {
	ip -n cb-rly fou add port "$SN_FOU" ipproto 41 || return 1
	sit_fou rly rs1 "$RELAY" "${NAT_IP[o1]}" "$SN_FOU" "$SN_PORT" ||
		return 1
	ip -n cb-rly -6 route add 2001:db8:2::/64 dev rs1 || return 1
	ip -n cb-s1 fou add port "$SN_PORT" ipproto 41 || return 1
	sit_fou s1 tun6 "10.0.$SN_LAN.2" "$RELAY" "$SN_PORT" "$SN_FOU" ||
		return 1
	ip -n cb-s1 addr add "$SN_ADDR/64" dev tun6 nodad || return 1
	ip -n cb-s1 -6 route add 2001:db8:1::/64 dev tun6 src "$SN_ADDR"
}

# sn_check: o1's NAT's mappings to the relay's fou port (conntrack),
# for the record: the reply tuple must show dport=40000 (else the relay's
# packets would not get through, and warm would have failed).
sn_check() {
	nsx n-o1 grep -w "dport=$SN_FOU" /proc/net/nf_conntrack 2>&1 ||
		echo "(no mapping to port $SN_FOU in n-o1's conntrack)"
}

# client_ours C / client_miredo C: start the client in namespace C (it
# qualifies in the background; clients_wait waits for all of them).
client_ours() {
	ip -n "cb-$1" link add teredo type teredo server "$SERVER" || return 1
	daemon "$1" "client-$1" "$TEREDOD" --default-route teredo
}

client_miredo() {
	local conf=$WORK/client-$1.conf

	printf '%s\n' "RelayType client" "InterfaceName teredo" \
		"ServerAddress $SERVER" > "$conf"
	miredo-checkconf -c "$conf" >/dev/null 2>&1 || {
		echo "miredo-checkconf refuses $conf"
		return 1
	}
	daemon "$1" "client-$1" miredo -f -u miredo -p "$WORK/client-$1.pid" \
		-c "$conf"
}

# start_iperf N: (re)start namespace N's iperf3 server.
start_iperf() {
	local n=$1

	[ -n "${IPERF[$n]:-}" ] && kill "${IPERF[$n]}" 2>/dev/null
	sleep 0.2
	"$IP" netns exec "cb-$n" iperf3 -s --idle-timeout 60 \
		--rcv-timeout 10000 >>"$WORK/iperf3-server-$n.log" 2>&1 \
		</dev/null &
	IPERF[$n]=$!
	wait_until 10 tcp_listening "$n" 5201
}

# ------------------------------------------------------------ measuring

# host_csum V: the host's transmit checksum offload off for MN only.
# Offloaded, the host's TCP leaves as 64 KB GSO packets with the checksum
# left to "hardware"; our relay forwards them as UDP-tunnel GSO packets
# (it completes the checksum of single packets only), and over veth
# nothing computes it: the Miredo client's kernel segments them for its
# plain UDP socket without filling the inner checksum (udp_rcv_segment
# keeps CHECKSUM_PARTIAL), Miredo copies the bytes into its TUN device
# and the kernel drops them (TcpInCsumErrors; TCP down crawls at
# ~0.5 Mbit/s).  A NIC would fill it in.  Without offload the host sends
# complete, MSS-sized segments (no TSO either), as a Miredo relay's
# clients see them; our client (ON) and sit+fou (SN) keep the host's TSO.
host_csum() {
	local want=on

	[ "$1" = MN ] && want=off
	[ "$want" = "$HOST_CSUM" ] && return 0
	nsx host python3 -I -S "$BENCH_DIR/netdev.py" tx-csum eth1 "$want" \
		>/dev/null || return 1
	HOST_CSUM=$want
}

# ping1 N DST: one echo, 2 s.
ping1() {
	nsx "$1" ping -6 -c 1 -W 2 "$2" >/dev/null 2>&1
}

# warm V: both ends reach each other, so every peer on the way (the
# relay, the clients) trusts the other again.
warm() {
	local c=${V_CLI[$1]} p=${V_PEER[$1]} i ok

	for i in 1 2 3 4 5; do
		ok=1
		ping1 "$c" "${ADDR[$p]}" || ok=0
		ping1 "$p" "${ADDR[$c]}" || ok=0
		[ $ok = 1 ] && return 0
		log "warm-up $1 round $i: a ping between $c and $p was lost"
	done
	return 1
}

# measure V TEST FILE: one iperf3 run from the variant's client to its
# peer's server.
measure() {
	local c=${V_CLI[$1]} p=${V_PEER[$1]}
	local args=(-c "${ADDR[$p]}" -B "${ADDR[$c]}" -t "$TIME" -J
		--connect-timeout 5000)

	case $2 in
	tcp_down) args+=(-R) ;;
	udp_up) args+=(-u -l 64 -b 0) ;;
	udp_down) args+=(-u -l 64 -b 0 -R) ;;
	esac
	nsx "$c" timeout -k 5 $((TIME + 25)) iperf3 "${args[@]}" >"$3" 2>&1
}

anchors() {
	local n

	for n in rly host $CLIENTS s1; do
		printf '%s=%s ' "$n" "${ANCHOR[$n]}"
	done
}

# sample REP V TEST: one measurement, one line of $SAMPLES (run.sh's).
sample() {
	local rep=$1 v=$2 test=$3 load kind=tcp before t0 try mark
	local json=$WORK/$v-$rep-$test.json status value sent loss drops
	local cpu_s wall_s per_cpu pkt_cpu
	local -a a

	read -r -a a <<< "$(anchors)"
	case $test in udp*) kind=udp64 ;; esac
	for try in 1 2; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		[ -n "$HOST_LOADAVG" ] &&
			load="$load/$(cut -d' ' -f1 "$HOST_LOADAVG" 2>/dev/null)"
		before=$(py "$BENCH_DIR/report.py" nsnap "${a[@]}")
		t0=$SECONDS
		# Both clients, the NATs and the relay share the guest's
		# cpus: its busy time around the run (lib.sh's cpu_busy).
		mark=$(cpu_mark)
		measure "$v" "$test" "$json"
		read -r cpu_s wall_s <<< "$(cpu_span "$mark")"
		read -r status value sent loss cpu_s wall_s per_cpu pkt_cpu \
			drops <<< "$(py "$BENCH_DIR/report.py" nfinish "$json" \
			"$kind" "$before" "$cpu_s" "$wall_s" "${a[@]}")"
		cp "$json" "$LOGS/" 2>/dev/null
		[ "$status" = ok ] && break
		start_iperf "${V_PEER[$v]}" || log "iperf3 server does not restart"
		case $value in
		*connect*) [ "$try" = 1 ] && warm "$v" && continue ;;
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

# The entry points of both tunnel ends, client and relay: ours are
# separate functions per mode; sit+fou's are the same at both ends.
# run.sh's PROFILE_FUNCS say what each part is.
PROFILE_FUNCS="teredo_client_encap_recv teredo_client_xmit relay_recv
	teredo_relay_xmit teredo_gro_receive
	fou_udp_recv ipip6_rcv sit_tunnel_xmit fou_gro_receive"

# profile: one run of each test for ours (ON) and sit+fou (SN) with
# those functions traced.
profile() {
	local v t runs=()

	# shellcheck disable=SC2086  # one function a word
	trace_setup "$DEPTH" $PROFILE_FUNCS || return 1
	for v in ON SN; do
		if [ -n "${FAILED[$v]:-}" ] || ! host_csum "$v" || ! warm "$v"
		then
			log "profile: variant $v has no path"
			continue
		fi
		for t in $TESTS; do
			runs+=("$(trace_run "$v" "$t" measure "$v" "$t" \
				"$WORK/prof-$v-$t.json")")
		done
	done
	trace_stop
	py "$BENCH_DIR/profile.py" "$RESULTS/profile-client-depth$DEPTH.md" \
		"${TRACE_CLOCK_ARGS[@]}" "${runs[@]}"
}

fail_samples() {
	local t

	for t in $TESTS; do
		printf '%s\t%s\t%s\tfail\t%s\t-\t-\t-\t-\t-\t-\t-\t-\n' "$1" "$2" \
			"$t" "$3" >> "$SAMPLES"
	done
}

# ------------------------------------------------------------ main

{
	echo "Client throughput, $(uname -r), $(nproc) vCPU (QEMU/TCG)," \
		"$(date -u '+%F %T') UTC; $REPS interleaved repetitions" \
		"($VARIANTS ...), iperf3 -t $TIME; relay: ours (teredo0," \
		"GRO on; SN: sit+fou); see bench/README.md."
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
modprobe teredo || { echo "bench-client: cannot load teredo.ko" >&2; exit 1; }
# fou's generic netlink family is not autoloaded by `ip fou`.
for m in veth bridge tun nf_tables nft_masq nft_ct fou sit; do
	modprobe "$m" 2>/dev/null || log "modprobe $m failed"
done
for t in miredo miredo-server miredo-checkconf nft iperf3 "$TEREDOD"; do
	command -v "$t" >/dev/null || { log "$t not found"; exit 1; }
done
if ! setup_base 2>"$WORK/setup.err"; then
	log "base topology failed: $(cat "$WORK/setup.err")"
	cat "$WORK"/*.log >&2 2>/dev/null
	exit 1
fi
ADDR[host]=$HOST6
if setup_sn >"$WORK/setup-sn.err" 2>&1; then
	ADDR[s1]=$SN_ADDR
else
	FAILED[SN]="setup: $(tr '\n\t' '  ' < "$WORK/setup-sn.err" | cut -c1-160)"
fi
t0=$SECONDS
for c in $CLIENTS; do
	case $c in
	o*) client_ours "$c" ;;
	m*) client_miredo "$c" ;;
	esac >"$WORK/start-$c.err" 2>&1 ||
		log "client $c: $(cat "$WORK/start-$c.err")"
done
for c in $CLIENTS; do
	if wait_until 90 has_teredo_addr "$c"; then
		ADDR[$c]=$(teredo_addr "$c")
		log "client $c: ${ADDR[$c]} ($((SECONDS - t0)) s)"
	else
		log "client $c did not qualify: $(tail -3 "$WORK/client-$c.log")"
	fi
done
for v in $VARIANTS; do
	c=${V_CLI[$v]} p=${V_PEER[$v]}
	if [ -n "${FAILED[$v]:-}" ]; then
		:
	elif [ -z "${ADDR[$c]:-}" ] || [ -z "${ADDR[$p]:-}" ]; then
		FAILED[$v]="a client did not qualify"
	elif [ -z "${IPERF[$p]:-}" ] && ! start_iperf "$p"; then
		FAILED[$v]="no iperf3 server in $p"
	fi
	[ -n "${FAILED[$v]:-}" ] && log "variant $v: ${FAILED[$v]}"
done
log "setup done in $SECONDS s"

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
		if ! host_csum "$v"; then
			log "variant $v: cannot switch the host's tx checksum"
			fail_samples "$rep" "$v" "switch"
			continue
		fi
		if ! warm "$v"; then
			fail_samples "$rep" "$v" "no-ping"
			continue
		fi
		[ "$v" = SN ] && { echo "rep $rep:"; sn_check; } >> "$WORK/sn-nat.txt"
		for t in $TESTS; do
			sample "$rep" "$v" "$t"
		done
	done
done

{
	for c in rly $CLIENTS; do
		echo "## $c"
		case $c in
		rly) [ -x "$CTL" ] && nsx rly "$CTL" show teredo0 2>&1
			ip -n cb-rly -s -d link show teredo0 2>&1 ;;
		o*) [ -x "$CTL" ] && nsx "$c" "$CTL" show teredo 2>&1
			ip -n "cb-$c" -s link show teredo 2>&1 ;;
		m*) ip -n "cb-$c" -s link show teredo 2>&1
			tail -20 "$WORK/client-$c.log" ;;
		esac
		nsx "$c" nstat -az 2>/dev/null | grep -E \
			'Udp6?(InDatagrams|RcvbufErrors|InErrors|InCsumErrors|OutDatagrams)|Ip6(InNoRoutes|OutForwDatagrams|InDiscards)|TcpInCsumErrors'
	done
	echo "## s1 (SN) and rly's rs1"
	ip -n cb-s1 -s link show tun6 2>&1
	ip -n cb-rly -s link show rs1 2>&1
	nsx s1 nstat -az 2>/dev/null | grep -E \
		'Udp6?(InDatagrams|RcvbufErrors|InErrors|InCsumErrors|OutDatagrams)|Ip6(InNoRoutes|InDiscards)|TcpInCsumErrors'
	echo "## n-o1: SN's NAT mapping after each warm-up (conntrack)"
	cat "$WORK/sn-nat.txt" 2>/dev/null
} >> "$EXTRA" 2>&1

{
	echo "load at the end: $(cat /proc/loadavg)"
	[ -n "$HOST_LOADAVG" ] && echo "host load at the end: $(cat "$HOST_LOADAVG")"
	echo
	for v in $VARIANTS; do
		[ -n "${FAILED[$v]:-}" ] && echo "- variant $v ${FAILED[$v]}"
	done
	cut=$(grep -c $'\ttime budget\t' "$SAMPLES")
	[ "$cut" -gt 0 ] && echo "- $cut runs not made: past the time budget" \
		"(${BUDGET} s), the host being slow"
	echo "- the whole client bench took $SECONDS s"
	echo
} >> "$WORK/header"
py "$BENCH_DIR/report.py" ctable "$SAMPLES" "$WORK/header" > "$OUT"
cat "$OUT"
log "$SECONDS s; table in $OUT"
