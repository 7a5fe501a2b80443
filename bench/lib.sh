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

# The tunnels' own entry points timed by ftrace, for bench/profile.py
# (run.sh --profile, client.sh --profile).  perf's sampling is no use
# under TCG (its timer lands in the idle loop and at the points that
# enable interrupts, not where the time goes); the tracer's per-call
# times are.
TRACEFS=/sys/kernel/tracing
PROBE_GROUP=teredo_prof
# profile.py's options for the trace clock: the default clock prints
# microseconds, too coarse for calls of a few; x86-tsc prints cycles,
# each cpu's own (a call starts and ends on one cpu), at the rate the
# kernel measured.
TRACE_CLOCK_ARGS=()

# trace_setup DEPTH FUNC...: time those of FUNC that can be (the others
# are inlined or absent: logged); tracing stays off until trace_run.
# Depth 1: a kprobe and a kretprobe on each (profile.py takes the calls
# nested in one out of its time: function_graph's depth limit would lose
# them, and with them the filter); deeper: function_graph on them, which
# also times their callees, each traced call costing the tracer's
# overhead.
trace_setup() {
	local depth=$1 f funcs=""

	shift
	[ -d "$TRACEFS/options" ] || mount -t tracefs nodev "$TRACEFS" ||
		{ log "profile: no tracefs"; return 1; }
	echo 0 > "$TRACEFS/tracing_on"
	echo nop > "$TRACEFS/current_tracer"
	for f in "$@"; do
		if ! grep -qE "^$f( |$)" "$TRACEFS/available_filter_functions"
		then
			log "profile: $f cannot be traced (inlined or absent)"
		elif [ "$depth" -gt 1 ]; then
			funcs="$funcs $f"
		else
			printf 'p:%s/%s_e %s\nr:%s/%s_x %s\n' "$PROBE_GROUP" "$f" \
				"$f" "$PROBE_GROUP" "$f" "$f" >> "$TRACEFS/kprobe_events"
		fi
	done
	echo 32768 > "$TRACEFS/buffer_size_kb"
	trace_clock_tsc
	if [ "$depth" = 1 ]; then
		echo 1 > "$TRACEFS/events/$PROBE_GROUP/enable"
		return
	fi
	echo "$funcs" > "$TRACEFS/set_graph_function"
	echo "$depth" > "$TRACEFS/max_graph_depth"
	echo 1 > "$TRACEFS/options/funcgraph-tail"
	echo 0 > "$TRACEFS/options/funcgraph-irqs"
	echo function_graph > "$TRACEFS/current_tracer"
}

# trace_clock_tsc: the x86-tsc clock where the kernel has it and says
# its rate (TRACE_CLOCK_ARGS), else the default.
trace_clock_tsc() {
	local mhz

	mhz=$(dmesg | sed -n 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p; s/.*tsc: Detected \([0-9.]*\) MHz.*/\1/p' |
		tail -1)
	if [ -n "$mhz" ] && grep -qw x86-tsc "$TRACEFS/trace_clock" &&
		echo x86-tsc > "$TRACEFS/trace_clock"; then
		# shellcheck disable=SC2034  # the callers pass it on
		TRACE_CLOCK_ARGS=(--tsc-mhz "$mhz")
		log "profile: trace clock x86-tsc at $mhz MHz"
	else
		echo local > "$TRACEFS/trace_clock"
	fi
}

# trace_lost: events the full ring buffer overwrote (since the trace was
# last cleared) and returns the kretprobes missed (ever: kprobe_profile's
# last column).
trace_lost() {
	{ cat "$TRACEFS"/per_cpu/cpu*/stats; cat "$TRACEFS/kprobe_profile"; } |
		awk '/^overrun:/ { n += $2 } $1 ~ /_x$/ { n += $NF }
		END { print n + 0 }'
}

# trace_run V TEST CMD...: CMD (one iperf3 run writing
# $WORK/prof-V-TEST.json) traced; the trace and the JSON go to $LOGS, and
# "V:TEST:busy-cpu-s:lost:trace.xz:json" (profile.py's RUN; lost: events
# the full ring buffer overwrote, which would make the sums short) to
# stdout.
trace_run() {
	local v=$1 t=$2 mark cpu_s wall_s lost missed

	shift 2
	echo > "$TRACEFS/trace"
	missed=$(trace_lost)
	echo 1 > "$TRACEFS/tracing_on"
	mark=$(cpu_mark)
	"$@"
	read -r cpu_s wall_s <<< "$(cpu_span "$mark")"
	echo 0 > "$TRACEFS/tracing_on"
	lost=$(($(trace_lost) - missed))
	grep -v '^#' "$TRACEFS/trace" | xz -1 > "$WORK/trace-$v-$t.xz"
	cp "$WORK/trace-$v-$t.xz" "$WORK/prof-$v-$t.json" "$LOGS/"
	log "profile: $v $t traced ($cpu_s cpu-s busy in $wall_s s," \
		"$lost events lost)"
	echo "$v:$t:$cpu_s:$lost:$WORK/trace-$v-$t.xz:$WORK/prof-$v-$t.json"
}

trace_stop() {
	echo nop > "$TRACEFS/current_tracer"
	echo > "$TRACEFS/set_graph_function"
	[ -d "$TRACEFS/events/$PROBE_GROUP" ] &&
		echo 0 > "$TRACEFS/events/$PROBE_GROUP/enable"
	echo > "$TRACEFS/kprobe_events"
	echo local > "$TRACEFS/trace_clock"
}
