# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers of the bench scripts that run inside the test VM (sourced).
# The caller sets IP (the ip binary), WORK (its scratch directory),
# BENCH_NAME (its log lines' prefix, default "bench") and NS_PREFIX (what
# its namespaces' names start with, default none: nsx and daemon take
# the rest), and keeps the pids of what it starts in PIDS.

ip() {
	"$IP" "$@"
}

# Python without site-packages starts twice as fast under TCG.
py() {
	python3 -I -S "$@"
}

log() {
	echo "${BENCH_NAME:-bench}: $*" >&2
}

# nsx NS CMD...: CMD in namespace NS_PREFIX + NS.
nsx() {
	local ns=${NS_PREFIX:-}$1

	shift
	ip netns exec "$ns" "$@"
}

# wait_until SECS CMD...: poll CMD every 0.1 s for at most SECS seconds.
wait_until() {
	local deadline=$((SECONDS + $1))

	shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# daemon NS NAME CMD...: CMD in NS_PREFIX + NS in the background, output
# in $WORK/NAME.log; its pid (CMD's own: ip execs it) is in $! and in PIDS.
daemon() {
	local ns=${NS_PREFIX:-}$1 name=$2

	shift 2
	"$IP" netns exec "$ns" "$@" >"$WORK/$name.log" 2>&1 </dev/null &
	PIDS+=("$!")
}

# quiet_ipv6 NS DEV: no router solicitations, RAs, link-local address or
# DAD on DEV in NS_PREFIX + NS.
quiet_ipv6() {
	nsx "$1" sysctl -q -w "net.ipv6.conf.$2.accept_ra=0" \
		"net.ipv6.conf.$2.router_solicitations=0" \
		"net.ipv6.conf.$2.addr_gen_mode=1" \
		"net.ipv6.conf.$2.accept_dad=0"
}

# sit_fou NS DEV LOCAL REMOTE SPORT DPORT: the kernel's own encapsulation
# of Teredo's packet shape (IPv4/UDP/IPv6, no Teredo headers): a sit
# device DEV in NS_PREFIX + NS from LOCAL to REMOTE over fou, UDP source
# port SPORT ("auto": hashed per flow) to DPORT, outer UDP checksums on,
# MTU 1280 (a Teredo device's), quiet_ipv6 and up.  What it receives
# comes in through a fou port (ip fou add port P ipproto 41) in NS.
sit_fou() {
	local ns=${NS_PREFIX:-}$1

	ip -n "$ns" link add "$2" type sit local "$3" remote "$4" ttl 64 \
		encap fou encap-sport "$5" encap-dport "$6" encap-csum ||
		return 1
	quiet_ipv6 "$1" "$2"
	ip -n "$ns" link set "$2" mtu 1280 up
}

# The unit of /proc/stat's cpu times (USER_HZ ticks a second).
HZ_USER=$(getconf CLK_TCK)

# cpu_busy: USER_HZ ticks all cpus spent outside idle and iowait so far
# (user, nice, system, irq, softirq, steal).  All cpus: veth delivers in
# the sender's softirq, so a path's cost lands on whichever cpu sends.
cpu_busy() {
	local -a a

	read -ra a < /proc/stat
	echo $((a[1] + a[2] + a[3] + a[6] + a[7] + a[8]))
}

# now_us: the wall clock in microseconds (no process: TCG makes them dear).
now_us() {
	echo "${EPOCHREALTIME//[!0-9]/}"
}

# cpu_mark: "busy-ticks wall-us" now, for cpu_span.
cpu_mark() {
	echo "$(cpu_busy) $(now_us)"
}

# cpu_span MARK: "CPU_S WALL_S" since MARK: busy cpu-seconds of all cpus
# and the wall seconds, two decimals each.
cpu_span() {
	local t0 w0 c w

	read -r t0 w0 <<< "$1"
	c=$(( ($(cpu_busy) - t0) * 100 / HZ_USER ))
	w=$(( ($(now_us) - w0) / 10000 ))
	printf '%d.%02d %d.%02d\n' $((c / 100)) $((c % 100)) $((w / 100)) \
		$((w % 100))
}

# host_loadavg: a file that holds the host's /proc/loadavg, or nothing
# (best effort: only a sign of other work on the host).  make bench runs
# the VM under bench/hostload.sh, which keeps one in the results
# directory; else the host's /proc may show through the 9p root, bound
# at $WORK/hostroot (the caller unmounts it).
host_loadavg() {
	if grep -q . "$TEREDO_RESULTS/hostload" 2>/dev/null; then
		echo "$TEREDO_RESULTS/hostload"
		return
	fi
	mkdir -p "$WORK/hostroot"
	if mount --bind / "$WORK/hostroot" 2>/dev/null &&
		grep -q . "$WORK/hostroot/proc/loadavg" 2>/dev/null; then
		echo "$WORK/hostroot/proc/loadavg"
	fi
}
