#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/scale.sh [--sizes "1000 100000 1000000"] [--time S] [--flood PPS]
#
# A relay's peer table at scale (make bench-scale).  For each size N, in
# one boot, the table of one relay is filled with N entries and this is
# measured:
#   create   how long N new Teredo destinations take to become entries;
#   memory   per entry, what the table itself holds, cache by cache: the
#            pages of the teredo_peer and radix_tree_node (the xarray of
#            peer numbers) slab caches from /proc/slabinfo before and
#            after, and the hash table's buckets (vmalloc'ed by
#            bucket_table_alloc, /proc/vmallocinfo); apart from it, the
#            rest of /proc/meminfo's Slab ("other": packets in flight,
#            what the flood left in partly used pages), the rest of
#            VmallocUsed, Percpu, and what the untrusted entries held;
#   cap      the flood of new destinations goes on 5 s with the table at
#            its cap (max-peers N + 1): evictions, and no loss for the
#            trusted client;
#   rate     UDP packets a second, and per cpu-second, the relay
#            encapsulates to the one trusted client with the table at N;
#   dump     teredoctl peers teredo0 > /dev/null, and its line count;
#   collect  the entries idle for 60 s going, until only the trusted one
#            is left;
#   flush    teredoctl peers flush (before the next size);
# with the trusted client pinged every 0.2 s throughout (nftables counts
# requests and replies per phase) and dmesg read for RCU stalls, soft
# lockups and splats after each size.
#
#   ext  veth0 198.18.0.1 (scripted server) and 198.18.0.10:40000 (scripted
#        client, selftests/teredo_peer.py), which answers pings; the
#        flood's datagrams to it are dropped at prerouting
#   rly  veth0 198.18.0.20, teredo0 relay on :3544, veth1 2001:db8:1::20
#   host veth1 2001:db8:1::30, 2001::/32 via the relay; pktgen on veth1
#
# The flood is the kernel's pktgen in host (a kernel thread: it outruns
# any socket), paced at --flood packets a second (default 5000, under what
# the relay makes entries at here, so that no queue before the relay
# overflows: a loss of the trusted client's pings is then the relay's),
# IPv6/UDP frames of 100 bytes to random Teredo destinations
# behind server 198.18.0.99 (2001:0:c612:63::/64, random mapping bits:
# about 7 in 8 embed a global IPv4, the others are refused without an
# entry), for which rly has a blackhole route: the bubbles of the new
# entries die there instead of loading the scripted server.  The rate
# phase is the same pktgen with the trusted client as the only
# destination; pktgen spins on its cpu and the relay's work runs in its
# context (veth), so "per cpu-second" counts both cpus' busy time.
#
# Runs inside the QEMU guest; writes $TEREDO_RESULTS/bench-scale.md (also
# printed), bench-scale.tsv, and what grew by slab cache and by vmalloc
# caller (bench-scale-slab.txt, bench-scale-vmalloc.txt).  Under
# bench/hostload.sh it notes the host's load (1-minute average, lowest
# and highest seen during each size).

set -u
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

BENCH_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
SIZES="1000 100000 1000000"
TIME=5
FLOOD=5000
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=$2; shift 2 ;;
	--time) TIME=$2; shift 2 ;;
	--flood) FLOOD=$2; shift 2 ;;
	*) echo "usage: $0 [--sizes \"N...\"] [--time S] [--flood PPS]" >&2; exit 2 ;;
	esac
done
if [ -z "${TEREDO_RESULTS:-}" ] || [ ! -d "$TEREDO_RESULTS" ]; then
	echo "bench/scale.sh runs inside the test VM: use 'make bench-scale'" >&2
	exit 2
fi
OUT=$TEREDO_RESULTS/bench-scale.md
TSV=$TEREDO_RESULTS/bench-scale.tsv
CTL=$TOP/build/tools/teredoctl
PEERPY=$TOP/selftests/teredo_peer.py
# shellcheck disable=SC2034 # used by lib.sh
IP=/usr/sbin/ip
WORK=$(mktemp -d /tmp/bench-scale.XXXXXX)
PIDS=()
# shellcheck source=lib.sh
. "$BENCH_DIR/lib.sh"

cleanup() {
	local p ns

	nsx host sh -c 'echo stop > /proc/net/pktgen/pgctrl' 2>/dev/null
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for ns in ext rly host; do
		ip netns del "$ns" 2>/dev/null
	done
	cp "$WORK"/*.log "$TEREDO_RESULTS/" 2>/dev/null
	# host_loadavg may have bound the root there.
	umount "$WORK/hostroot" 2>/dev/null
	mountpoint -q "$WORK/hostroot" || rm -rf "$WORK"
}
trap cleanup EXIT

die() {
	log "$*"
	exit 1
}

# ------------------------------------------------------------ topology

setup() {
	local ns

	modprobe pktgen || die "no pktgen"
	modprobe teredo || die "no teredo module"
	for ns in ext rly host; do
		ip netns add "$ns" || die "netns $ns"
		ip -n "$ns" link set lo up
	done
	ip link add veth0 netns ext type veth peer name veth0 netns rly
	ip link add veth1 netns rly type veth peer name veth1 netns host
	ip -n ext addr add 198.18.0.1/24 dev veth0
	ip -n ext addr add 198.18.0.10/24 dev veth0
	ip -n rly addr add 198.18.0.20/24 dev veth0
	ip -n rly addr add 2001:db8:1::20/64 dev veth1 nodad
	ip -n host addr add 2001:db8:1::30/64 dev veth1 nodad
	for ns in ext rly host; do
		ip -n "$ns" link set veth0 up 2>/dev/null
		ip -n "$ns" link set veth1 up 2>/dev/null
	done
	ip -n host -6 route add 2001::/32 via 2001:db8:1::20
	nsx rly sysctl -q -w net.ipv6.conf.all.forwarding=1
	ip -n rly route add blackhole 198.18.0.99/32
	# hold-limit at its maximum: each new entry holds its packet and
	# sends its bubbles (the blackhole drops them; after the retries,
	# 6 s, the packet goes), which keeps it for the bubble budget's
	# 300 s; over the default 16 MiB the packet is dropped unheld, no
	# bubble goes, and the entry is collected at the collector's next
	# round (every 10 s): the table would not grow past what the flood
	# makes in 10 s.
	ip -n rly link add teredo0 type teredo mode relay local 198.18.0.20 \
		hold-limit 1073741824 || die "cannot create the relay"
	nsx rly sysctl -q -w net.ipv6.conf.teredo0.accept_ra=0
	ip -n rly link set teredo0 up
	ip -n rly -6 route add 2001::/32 dev teredo0
	# The flood to the client stops before its socket (inner next
	# header 17 at UDP + 6); pings and bubbles pass.
	nsx ext nft -f - <<-'EOF' || die "nftables in ext"
	table ip flood {
		chain pre {
			type filter hook prerouting priority -300;
			udp dport 40000 @th,112,8 17 drop
		}
	}
	EOF
	# The trusted client's pings, counted at host.
	TADDR=$(py "$PEERPY" addr 198.18.0.1 198.18.0.10 40000)
	nsx host nft -f - <<-EOF || die "nftables in host"
	table ip6 ping {
		counter req { }
		counter rep { }
		chain out {
			type filter hook output priority 0;
			ip6 daddr $TADDR icmpv6 type echo-request counter name req
		}
		chain in {
			type filter hook input priority 0;
			ip6 saddr $TADDR icmpv6 type echo-reply counter name rep
		}
	}
	EOF
	daemon ext server python3 "$PEERPY" server --bind 198.18.0.1 --seconds 7200
	daemon ext client python3 "$PEERPY" client --bind 198.18.0.10:40000 \
		--server 198.18.0.1 --seconds 7200
	wait_until 60 grep -q server-ready "$WORK/server.log" || die "scripted server"
	wait_until 60 grep -q client-ready "$WORK/client.log" || die "scripted client"
	RLY_MAC=$(nsx rly cat /sys/class/net/veth1/address)
	log "trusted client $TADDR (198.18.0.10:40000)"
}

# ------------------------------------------------------------ readings

# show_num KEY: a number of teredoctl -j show teredo0.
show_num() {
	local v

	v=$(nsx rly "$CTL" -j show teredo0 | grep -o "\"$1\": *[0-9]*" |
		head -1 | grep -o '[0-9]*$')
	echo "${v:-0}"
}

peers() {
	show_num peers
}

peers_at_most() {
	[ "$(peers)" -le "$1" ] 2>/dev/null
}

peers_below() {
	[ "$(peers)" -lt "$1" ] 2>/dev/null
}

tx_packets() {
	nsx rly cat /sys/class/net/teredo0/statistics/tx_packets
}

# pings: "requests replies" so far.
pings() {
	nsx host nft list counters table ip6 ping |
		awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") printf "%s ", $(i + 1) }'
}

# lost_since "REQ REP": requests sent since then that got no reply (less
# one that may be on its way).
lost_since() {
	local a b n

	read -r -a a <<< "$1"
	read -r -a b <<< "$(pings)"
	n=$(( (b[0] - a[0]) - (b[1] - a[1]) ))
	[ "$n" -gt 0 ] && n=$((n - 1))
	echo "$n/$((b[0] - a[0]))"
}

# vmalloc_callers FILE: bytes vmalloc'ed by each caller, into FILE, and
# /proc/vmallocinfo itself into FILE.info.
vmalloc_callers() {
	cat /proc/vmallocinfo > "$1.info"
	awk '$3 ~ /\+0x/ { sub(/\+.*/, "", $3); n[$3] += $2 }
	     END { for (c in n) print n[c], c }' "$1.info" | sort -rn > "$1"
}

# areas FILE: the sizes of the bucket tables' areas (guard page
# included) in a copy of /proc/vmallocinfo.
areas() {
	awk '$3 ~ /^bucket_table_alloc/ { print $2 }' "$1.info" | sort -n |
		tr '\n' ' '
}

# mem: "slab percpu vmalloc" in kB, and teredo_peer's active objects and
# object size.
mem() {
	awk '/^Slab:/ { s = $2 } /^Percpu:/ { p = $2 } /^VmallocUsed:/ { v = $2 }
	     END { printf "%d %d %d ", s, p, v }' /proc/meminfo
	awk '$1 == "teredo_peer" { printf "%d %d", $2, $4 }' /proc/slabinfo
}

PAGE_SIZE=$(getconf PAGESIZE)

# slab_pages FILE: the bytes of slab pages each cache holds, "BYTES NAME
# ACTIVE_OBJS OBJSIZE" a line, into FILE.  /proc/slabinfo: name
# active_objs num_objs objsize objperslab pagesperslab : tunables ... :
# slabdata active_slabs num_slabs sharedavail; a cache holds num_slabs
# slabs of pagesperslab pages, used or not (the guest boots with
# slab_nomerge: a cache is nobody else's).
slab_pages() {
	awk -v page="$PAGE_SIZE" 'NR > 2 { print $15 * $6 * page, $1, $2, $4 }' \
		/proc/slabinfo | sort -k2 > "$1"
}

# cache_bytes FILE NAME: what slab_pages said of cache NAME.
cache_bytes() {
	awk -v c="$2" '$2 == c { print $1; f = 1 } END { if (!f) print 0 }' "$1"
}

# The caches of the table: its entries, and the xarray that numbers them
# (xa_alloc_cyclic: radix_tree_node, which the page cache uses too).
TABLE_CACHES="teredo_peer radix_tree_node"

# The host's load, from the file bench/hostload.sh keeps (lib.sh):
# load_sample notes its 1-minute average, load_range prints "MIN-MAX" of
# those noted since load_reset.
HOST_LOADAVG=""
LOADS=""
load_sample() {
	local l

	[ -n "$HOST_LOADAVG" ] || return 0
	read -r l _ < "$HOST_LOADAVG" 2>/dev/null && LOADS+=" $l"
	return 0
}

load_reset() {
	LOADS=""
	load_sample
}

load_range() {
	[ -n "$LOADS" ] || { echo "?"; return; }
	tr ' ' '\n' <<< "$LOADS" | awk 'NF { if (n++ == 0 || $1 < lo) lo = $1
		if ($1 > hi) hi = $1 } END { printf "%s-%s", lo, hi }'
}

# backlog_drops: packets the cpus' input backlogs dropped (full) so far.
backlog_drops() {
	local d n=0

	while read -r _ d _; do
		n=$((n + 16#$d))
	done < /proc/net/softnet_stat
	echo "$n"
}

now_ms() {
	echo $(( ${EPOCHREALTIME/./} / 1000 ))
}

# ------------------------------------------------------------ pktgen

# pktgen_set random|DST6: the host's veth1 as pktgen's only device, for
# random Teredo destinations at FLOOD a second, or one as fast as it can.
pktgen_set() {
	nsx host bash -s "$1" "$RLY_MAC" "$FLOOD" <<-'EOF'
	pg() { echo "$2" > "$1" || { echo "pktgen: $2 refused" >&2; exit 1; }; }
	t=/proc/net/pktgen/kpktgend_0
	d=/proc/net/pktgen/veth1
	pg "$t" rem_device_all
	pg "$t" "add_device veth1"
	pg "$d" "count 0"
	pg "$d" "clone_skb 0"
	pg "$d" "pkt_size 100"
	pg "$d" "delay 0"
	pg "$d" "src6 2001:db8:1::30"
	pg "$d" "dst_mac $2"
	if [ "$1" = random ]; then
		pg "$d" "dst6_min 2001:0:c612:63::"
		pg "$d" "dst6_max 2001:0:c612:63:0:ffff:ffff:ffff"
		[ "$3" = 0 ] || pg "$d" "ratep $3"
	else
		pg "$d" "dst6 $1"
	fi
	EOF
}

pktgen_start() {
	nsx host sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	PG_PID=$!
}

pktgen_stop() {
	nsx host sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait "$PG_PID" 2>/dev/null
}

# fill_until N SECS: until the table holds N entries, saying how far it
# got every 10 s.
fill_until() {
	local deadline=$((SECONDS + $2)) next=$((SECONDS + 10)) p

	while p=$(peers); [ "${p:-0}" -lt "$1" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		if [ "$SECONDS" -ge "$next" ]; then
			load_sample
			log "filling: $p entries; $(pktgen_result)"
			next=$((SECONDS + 10))
		fi
		sleep 0.2
	done
}

# pktgen_result: what pktgen says of the device (sent, errors).
pktgen_result() {
	nsx host sed -n 's/^ *\(pkts-sofar: [0-9]*\).*errors: \([0-9]*\).*/\1 errors \2/p' \
		/proc/net/pktgen/veth1 2>/dev/null
}

trust() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		nsx host busybox ping -6 -c 1 -W 2 "$TADDR" >/dev/null 2>&1 && return 0
	done
	return 1
}

# ------------------------------------------------------------ one size

dmesg_seen=0
splats() {
	local n

	n=$(dmesg | tail -n +"$((dmesg_seen + 1))" |
		grep -cE 'rcu.*stall|soft lockup|hung task|WARNING:|BUG:|Oops')
	dmesg_seen=$(dmesg | wc -l)
	echo "$n"
}

run_size() {
	local n=$1 t0 t1 m0 m1 p0 held tx0 tx1 c0 c1 e0 e1 ms lines
	local fill_ms cap_lost rate cpu_s per_cpu_s dump_ms collect_ms
	local first_ms flush_ms peers_max evicted0 evicted1 rate_lost b0 b1 kept
	local c bytes0 bytes1 buckets
	local -a table0 table1

	t0=$(now_ms)
	nsx rly "$CTL" peers flush teredo0 || die "flush"
	flush_ms=$(($(now_ms) - t0))
	ip -n rly link set teredo0 type teredo max-peers $((n + 1)) ||
		die "max-peers $((n + 1))"
	trust || die "the client is not reachable"
	load_reset
	sleep 1
	read -r -a m0 <<< "$(mem)"
	slab_pages "$WORK/slab0"
	vmalloc_callers "$WORK/vmalloc0"

	# create, then the cap
	p0=$(pings)
	evicted0=$(show_num peers_evicted)
	b0=$(backlog_drops)
	pktgen_set random || die "pktgen"
	t0=$(now_ms)
	pktgen_start
	fill_until $((n + 1)) 900 || log "$n: the table did not fill"
	fill_ms=$(($(now_ms) - t0))
	sleep 5
	pktgen_stop
	log "$n: filled in $fill_ms ms; $(pktgen_result)"
	peers_max=$(peers)
	evicted1=$(show_num peers_evicted)
	cap_lost=$(lost_since "$p0")
	b1=$(backlog_drops)
	load_sample
	read -r -a m1 <<< "$(mem)"
	slab_pages "$WORK/slab1"
	vmalloc_callers "$WORK/vmalloc1"
	# Who vmalloc'ed the difference (the table's buckets, and what else).
	awk 'NR == FNR { a[$2] = $1; next } { d = $1 - a[$2]; if (d) print d, $2 }' \
		"$WORK/vmalloc0" "$WORK/vmalloc1" | sort -rn > "$WORK/vmalloc.d"
	head -5 "$WORK/vmalloc.d" | sed "s/^/$n: vmalloc +/" \
		>> "$TEREDO_RESULTS/bench-scale-vmalloc.txt"
	# Every rhashtable's bucket tables in vmalloc, before and after, one
	# area each (ours is the one that grew; the kernel has others).
	{
		echo "$n: bucket_table_alloc areas before: $(areas "$WORK/vmalloc0")"
		echo "$n: bucket_table_alloc areas after: $(areas "$WORK/vmalloc1")"
	} >> "$TEREDO_RESULTS/bench-scale-vmalloc.txt"
	# The buckets: bucket_table_alloc (bucket_table_alloc.isra.0 and
	# the like); a table small enough for kmalloc is not in vmalloc.
	buckets=$(awk '$2 ~ /^bucket_table_alloc/ { n += $1 } END { print n + 0 }' \
		"$WORK/vmalloc.d")
	# Which slab caches grew, in bytes of pages: the table's, and what
	# the rest of Slab is.
	awk 'NR == FNR { a[$2] = $1; next } { d = $1 - a[$2]; if (d) print d, $2 }' \
		"$WORK/slab0" "$WORK/slab1" | sort -rn | head -8 |
		sed "s/^/$n: slab +/" >> "$TEREDO_RESULTS/bench-scale-slab.txt"
	table0=() table1=()
	for c in $TABLE_CACHES; do
		bytes0=$(cache_bytes "$WORK/slab0" "$c")
		bytes1=$(cache_bytes "$WORK/slab1" "$c")
		table0+=("$bytes0") table1+=("$bytes1")
	done
	held=$(show_num held)
	t1=$(now_ms)

	# rate to the trusted client
	trust || log "$n: trust lost after the flood"
	p0=$(pings)
	pktgen_set "$TADDR" || die "pktgen"
	tx0=$(tx_packets) c0=$(cpu_busy) e0=$(now_ms)
	pktgen_start
	sleep "$TIME"
	pktgen_stop
	tx1=$(tx_packets) c1=$(cpu_busy) e1=$(now_ms)
	rate_lost=$(lost_since "$p0")
	ms=$((e1 - e0))
	rate=$(( (tx1 - tx0) * 1000 / ms ))
	cpu_s=$(awk -v c=$((c1 - c0)) -v h="$HZ_USER" 'BEGIN { printf "%.2f", c / h }')
	per_cpu_s=$(awk -v p=$((tx1 - tx0)) -v c=$((c1 - c0)) -v h="$HZ_USER" \
		'BEGIN { printf "%d", c ? p * h / c : 0 }')

	# dump
	t0=$(now_ms)
	# Lines, and the trusted column of the client's line (the guest has
	# no /dev/fd: no process substitution).
	read -r lines kept <<< "$(nsx rly "$CTL" peers teredo0 |
		awk -v a="$TADDR" '{ n++ } $1 == a { t = $3 } END { print n, t }')"
	dump_ms=$(($(now_ms) - t0))

	# collect: the flood's entries were last used at t1
	p0=$(pings)
	wait_until 400 peers_below "$peers_max"
	first_ms=$(($(now_ms) - t1))
	wait_until 400 peers_at_most 1 || log "$n: entries left: $(peers)"
	collect_ms=$(($(now_ms) - t1))
	load_sample

	printf '%s\t' "$n" "$fill_ms" "$peers_max" "$((evicted1 - evicted0))" \
		"$cap_lost" "${m0[0]}" "${m1[0]}" "${m0[1]}" "${m1[1]}" "${m0[2]}" \
		"${m1[2]}" "${m1[3]:-0}" "${m1[4]:-0}" "${held:-0}" "$rate" \
		"$cpu_s" "$per_cpu_s" "$rate_lost" "$((lines - 1))" "$dump_ms" \
		"$first_ms" "$collect_ms" "$(lost_since "$p0")" "$flush_ms" \
		"$(splats)" "$((b1 - b0))" "$kept" "${table0[0]}" "${table1[0]}" \
		"${table0[1]}" "${table1[1]}" "$buckets" "$(load_range)" >> "$TSV"
	echo >> "$TSV"
	log "$n: $(tail -1 "$TSV")"
}

# ------------------------------------------------------------ report

report() {
	local cpus

	# Per-cpu memory is allocated for every possible cpu.
	cpus=$(awk -F- '{ print $NF + 1 }' /sys/devices/system/cpu/possible)
	# Per entry: the table (teredo_peer's pages, radix_tree_node's,
	# the buckets' vmalloc), then what is not the table.
	awk -F'\t' -v cpus="$cpus" '
	NR == 1 { next }
	{
		n = $1; slab = ($7 - $6) * 1024; pc = ($9 - $8) * 1024 / n
		vm = ($11 - $10) * 1024; held = $14 / n
		peer = $29 - $28; xa = $31 - $30; bk = $32
		other = (slab - peer - xa) / n; vmo = (vm - bk) / n
		# rhashtable: 64 buckets, doubled while more than 3/4 full.
		for (size = 64; $3 > size / 4 * 3; size *= 2)
			;
		# A table kvmalloc got from kmalloc (up to a few MiB) is
		# pages of the page allocator, neither Slab nor vmalloc:
		# then its computed size counts (marked *).
		mark = bk ? "" : "*"
		table = (peer + xa + (bk ? bk : size * 8)) / n
		if (!base)
			base = $15
		printf "| %d | %.1f s (%d/s) | %d entries, %d evicted; ping lost %s, backlog drops %d; client trusted: %s |",
			n, $2 / 1000, $2 ? n * 1000 / $2 : 0, $3, $4, $5, $26,
			$27 == "" ? "gone" : $27
		printf " %.1f (%d objects of %d B: %.1f) | %.1f | %.1f (%d buckets: %.1f%s) | **%.1f** |",
			peer / n, $12, $13, $12 * $13 / n, xa / n, bk / n, size,
			size * 8 / n, mark, table
		printf " %.0f (%.0f per cpu × %d) | %.1f | %.1f | %.0f |",
			pc, pc / cpus, cpus, other, vmo, held
		printf " %d/s, %d per cpu-s (%.2f×); ping lost %s | %d lines in %.1f s | %.0f s, %.0f s; ping lost %s | %.1f s | %s | %d |\n",
			$15, $17, base ? $15 / base : 0, $18, $19, $20 / 1000,
			$21 / 1000, $22 / 1000, $23, $24 / 1000, $33, $25
	}' "$TSV" > "$WORK/rows"
	{
		echo "## bench-scale: a relay's peer table at $(echo "$SIZES" | tr ' ' '/') entries"
		echo
		echo "$(uname -r), $(nproc) vCPU, TCG; floods of $FLOOD new destinations a second; rate phases of $TIME s."
		echo "Bytes per entry: the table's own, cache by cache (slab pages from /proc/slabinfo, the buckets' vmalloc from /proc/vmallocinfo), and apart from it the rest of Slab (other), of VmallocUsed, Percpu and what untrusted entries held, from /proc/meminfo; all before and after the fill."
		echo
		echo "| entries | create | 5 s more flood at the cap | teredo_peer slab pages B/entry (objects) | xarray: radix_tree_node pages B/entry | buckets (vmalloc; the table's size and its 8 B a bucket) B/entry | table B/entry | per-cpu B/entry | other slab (not the table) B/entry | other vmalloc B/entry | held B/entry | rate to the trusted client (× the first size) | dump | collected after the flood: first, last | flush | host load | splats |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		cat "$WORK/rows"
		echo
		echo "*: not in vmalloc (kvmalloc took it from kmalloc: pages outside Slab and vmalloc); the table's computed size counts in its total."
	} > "$OUT"
	cat "$OUT"
}

printf '%s\t' size fill_ms peers_max evicted cap_lost slab0 slab1 percpu0 \
	percpu1 vmalloc0 vmalloc1 peer_objs peer_objsize held rate cpu_s \
	per_cpu_s rate_lost dump_lines dump_ms collect_first_ms collect_ms \
	collect_lost flush_ms splats backlog_drops trusted_kept peer_bytes0 \
	peer_bytes1 xa_bytes0 xa_bytes1 buckets_vmalloc host_load > "$TSV"
echo >> "$TSV"
HOST_LOADAVG=$(host_loadavg)
[ -n "$HOST_LOADAVG" ] && log "host load: $(cat "$HOST_LOADAVG")"
setup
daemon host ping busybox ping -6 -i 0.2 "$TADDR"
for n in $SIZES; do
	run_size "$n"
done
report
