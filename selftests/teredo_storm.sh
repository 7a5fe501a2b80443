#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault storms while traffic flows (issue #7, reliability lane):
#   1. unload: STORM_ROUNDS times, load the module, make a relay and a
#      client (qualified by the stand-in helper, nlraw.py, as in
#      teredo_client_fd.sh), let traffic flow both ways through both, and
#      rmmod it in the middle of that (in even rounds the helper is
#      killed while the module is going): rmmod succeeds, no device and
#      no kernel socket is left, the helper's socket is a plain one again
#      (its reference count back to 2) or gone, its port binds again.
#   2. netns: STORM_ROUNDS times, delete a namespace under the same load,
#      in turn: (V0) the one holding the relay and the client and their
#      sockets; (V1) the link netns of devices living in another one;
#      (V2) the netns the devices live in, while their link netns and the
#      helper stay.  Every device is destroyed (its destructor ran: every
#      reference went), and the module unloads afterwards.
#   3. teredod: on an all-ours network (our server, our relay, our client
#      with teredod behind the NAT) with a UDP echo stream from the client
#      to the native host, TEREDOD_KILL_ROUNDS times: kill -9 teredod;
#      carrier goes off and nothing is answered; restart it; it qualifies
#      again and the stream is answered again, each within
#      TEREDOD_RECOVERY_MAX seconds (recovery times on "# " lines).
# At the end the kernel log has no new splat nor teredo warning, no
# netns and no UDP socket is left (slab objects in use: no more than at
# the start, once a throwaway netns has flushed the deferred frees of
# struct net, see net_flush), and the slab (/proc/meminfo) did not grow
# by more than SLAB_GROWTH_MAX_KB.
#
# The background traffic comes from storm_traffic.py in netns $B, a
# bridge every other namespace of parts 1 and 2 plugs into; target V
# (0-2) is 198.18.0.5V (sockets) and 2001:db8:b::5V (where the devices
# live); the blaster's Teredo peers of the relay embed server
# 198.18.0.1V (2001:0:c612:a::/64 for V=0, routed by $B to
# 2001:db8:b::5V), those of the client 198.18.0.2V (2001:0:c612:14::/64
# for V=0, routed into the client).
#
# A namespace lives as long as a process in it: the helper holding the
# client's socket keeps its netns (the socket's) alive, so in V0 and V1
# the netns dies when the helper is killed right after `ip netns del`.
#
# Rounds: under TCG a storm round costs 3 to 20 s with the host's load
# (a Python start for the helper alone takes one or more), so the
# defaults keep CI short (1 to 4 minutes per kernel): STORM_ROUNDS=6
# (each netns variant twice, the helper killed during 3 unloads) and
# TEREDOD_KILL_ROUNDS=3.  The issue's full run, STORM_ROUNDS=100
# TEREDOD_KILL_ROUNDS=100, took 19 minutes on 6.12 (host load 4-5),
# beyond the timeout in settings: make check-storm runs it.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

STORM_ROUNDS=${STORM_ROUNDS:-6}
TEREDOD_KILL_ROUNDS=${TEREDOD_KILL_ROUNDS:-3}
TEREDOD_RECOVERY_MAX=${TEREDOD_RECOVERY_MAX:-20}
SLAB_GROWTH_MAX_KB=${SLAB_GROWTH_MAX_KB:-32768}

TEREDOD=$TEREDO_TOP/build/tools/teredod
TEREDOCTL=$TEREDO_TOP/build/tools/teredoctl
TRAFFIC=$TEREDO_SELFTEST_DIR/storm_traffic.py
# What tools/vm/run.sh calls a splat.
SPLAT='WARNING:|BUG:|Oops|KASAN|refcount_t|unreferenced object|general protection|Call Trace|UBSAN:|possible circular locking|suspicious RCU usage|sleeping function called|inconsistent lock state|ref_tracker|unregister_netdevice: waiting'
CPORT=40000		# the client's port (the helper binds it)
SERVER=198.18.0.1	# the client devices' server

teredo_load
topo_init
[ -x "$TEREDOD" ] || ktap_skip_all "teredod not built"
[ -x "$TEREDOCTL" ] || ktap_skip_all "teredoctl not built"
ktap_plan 17

# ------------------------------------------------------------ helpers

# nap SECONDS: sleep without starting a process (each costs ~0.3 s under
# TCG): a read that times out on a FIFO nobody writes.
mkfifo "$TOPO_DIR/nap" || ktap_bail "mkfifo failed"
exec {NAP_FD}<>"$TOPO_DIR/nap"
nap() {
	read -r -t "$1" -u "$NAP_FD" _
	return 0
}

# now_ms: NOW_MS = wall clock in milliseconds (the traffic tools log
# time.time()).
NOW_MS=0
now_ms() {
	local t=${EPOCHREALTIME//[!0-9]/}

	NOW_MS=$((10#$t / 1000))
}

# poll_until TIMEOUT_S CMD...: CMD every 0.1 s until it succeeds.
poll_until() {
	local end

	now_ms
	end=$((NOW_MS + $1 * 1000))
	shift
	while ! "$@"; do
		now_ms
		[ "$NOW_MS" -ge "$end" ] && return 1
		nap 0.1
	done
}

# prefix64 N: the /64 of the Teredo addresses of server 198.18.0.N.
prefix64() {
	printf '2001:0:c612:%x::/64' "$1"
}

# netdev_pkts FILE DEV: "rx_packets tx_packets" of DEV in a /proc/net/dev
# (that of a process in the netns: /proc/PID/net/dev); 1 if absent.
netdev_pkts() {
	local line
	local -a f

	while IFS= read -r line; do
		line=${line#"${line%%[! ]*}"}
		[[ "$line" == "$2:"* ]] || continue
		read -r -a f <<< "${line#*:}"
		echo "${f[1]} ${f[9]}"
		return 0
	done 2>/dev/null < "$1"
	return 1
}

# udp_ref FILE PORT: the reference count of the UDP socket bound to PORT
# in a /proc/net/udp ("" if none; several if several).
udp_ref() {
	local hex out="" line
	local -a f

	printf -v hex '%04X' "$2"
	while IFS= read -r line; do
		read -r -a f <<< "$line"
		[[ "${f[1]}" == *":$hex" ]] && out+="${out:+ }${f[10]}"
	done < "$1"
	echo "$out"
}

# The kernel log from the start of the test on, as it comes (the ring
# buffer is 128 KiB: a long storm would push its start out), with
# levels: "kern  :warn  : [  1.234567] ...".
KLOG=$TOPO_DIR/kmsg.log
stdbuf -oL dmesg -W -x > "$KLOG" 2>&1 &
at_exit "kill $!"

# file_has FILE TEXT: FILE holds TEXT (no grep: a process start costs).
# shellcheck disable=SC2317  # called through poll_until
file_has() {
	local text

	{ IFS= read -r -d '' text < "$1"; } 2>/dev/null
	[[ "$text" == *"$2"* ]]
}

# klog_read: KLOG_TEXT = what the kernel logged so far.
KLOG_TEXT=""
# shellcheck disable=SC2317  # called through poll_until
klog_read() {
	IFS= read -r -d '' KLOG_TEXT < "$KLOG"
	return 0
}

# splat_lines: the splats logged, and the warnings naming teredo.
splat_lines() {
	grep -E "$SPLAT" "$KLOG"
	grep -E '^[a-z]+ *:(emerg|alert|crit|err|warn) *:' "$KLOG" | grep -i teredo
}

# slab_objs: OBJS[CACHE] = objects in use in each of LEAK_CACHES, and
# SLAB_OBJS the "CACHE=N ..." text.  The VM boots with slab_nomerge:
# netns and sockets have caches of their own.  Shrinking first flushes
# the per-CPU slabs, which /proc/slabinfo counts as in use: then the
# count is exact.
LEAK_CACHES=(net_namespace UDP UDPv6)
declare -A OBJS=() OBJS0=()
slab_objs() {
	local c name n _

	for c in "${LEAK_CACHES[@]}"; do
		echo 1 > "/sys/kernel/slab/$c/shrink" 2>/dev/null
	done
	OBJS=()
	while read -r name n _; do
		[[ " ${LEAK_CACHES[*]} " == *" $name "* ]] && OBJS[$name]=$n
	done < /proc/slabinfo
	SLAB_OBJS=""
	for c in "${LEAK_CACHES[@]}"; do
		SLAB_OBJS+="${SLAB_OBJS:+ }$c=${OBJS[$c]:-?}"
	done
}

# A dead netns's struct net is freed by the *next* netns cleanup, not its
# own (net_complete_free(): "wait for an extra rcu_barrier() before final
# free", in 6.1.192 and 6.12.117 alike): the last ones to go stay counted
# until another netns dies.  On 6.12 kernel sockets (ours too) also hold
# their netns (net_passive_inc()) until freed.  net_flush: a throwaway
# netns dies, so the ones deferred before it are freed by its cleanup (it
# stays deferred itself: the baseline counts one).
FLUSH_NS=teredo-storm-flush-$$
net_flush() {
	ip -batch - <<< "netns add $FLUSH_NS
netns del $FLUSH_NS" >/dev/null 2>&1
}

# objs_settle TIMEOUT_S MODE: net_flush and count every second, until
# MODE "stable": the same counts twice in a row (the baseline); MODE
# "back": no cache above the baseline OBJS0 (a cache not found is never
# back).  SETTLE_RAW: the counts before the first flush.
objs_settle() {
	local end prev="" c over

	slab_objs
	SETTLE_RAW=$SLAB_OBJS
	end=$((SECONDS + $1))
	while :; do
		if [ "$2" = back ]; then
			over=0
			for c in "${LEAK_CACHES[@]}"; do
				[ -n "${OBJS[$c]}" ] && [ -n "${OBJS0[$c]}" ] &&
					[ "${OBJS[$c]}" -le "${OBJS0[$c]}" ] || over=1
			done
			[ $over = 0 ] && return 0
		elif [ "$SLAB_OBJS" = "$prev" ]; then
			return 0
		fi
		[ "$SECONDS" -ge "$end" ] && return 1
		prev=$SLAB_OBJS
		net_flush
		nap 1
		slab_objs
	done
}

meminfo_kb() {
	local k v _

	while read -r k v _; do
		[ "$k" = "$1:" ] && { echo "$v"; return; }
	done < /proc/meminfo
}

# ------------------------------------- the blaster's network ($B)

B=""
ACTIVE=$TOPO_DIR/active
STATS=$TOPO_DIR/blast-stats
BLASTER=0

# b_up: $B, its bridge and addresses (servers .1 .1V .2V, the blaster's
# Teredo peers .40 and .41, the native host 2001:db8:b::1), and the
# blaster, sending at nothing yet.
b_up() {
	local v cmds

	_topo_ns_create B || ktap_bail "cannot create netns"
	cmds="link set lo up
link add br0 type bridge mcast_snooping 0
link add bstub type veth peer name bstub1
link set bstub master br0 up
link set bstub1 up
link set br0 up
addr add $SERVER/24 dev br0
addr add 198.18.0.40/24 dev br0
addr add 198.18.0.41/24 dev br0
addr add 2001:db8:b::1/64 dev br0 nodad
"
	for v in 0 1 2; do
		cmds+="addr add 198.18.0.1$v/24 dev br0
addr add 198.18.0.2$v/24 dev br0
route add $(prefix64 $((10 + v))) via 2001:db8:b::5$v
"
	done
	_topo_batch "$B" <<< "$cmds" || ktap_bail "cannot build netns B"
	: > "$ACTIVE"
	local -a targets=()
	for v in 0 1 2; do
		targets+=("198.18.0.5$v,198.18.0.5$v:$CPORT,$(teredo_addr "$SERVER" \
			"198.18.0.5$v" "$CPORT"),2001:db8:b::5$v,198.18.0.1$v,198.18.0.2$v")
	done
	"$IP" netns exec "$B" python3 -I -S "$TRAFFIC" blast --active "$ACTIVE" \
		--stats "$STATS" "${targets[@]}" >"$TOPO_DIR/blast.log" 2>&1 \
		</dev/null &
	BLASTER=$!
	at_exit "kill -KILL $BLASTER"
	poll_until 60 file_has "$TOPO_DIR/blast.log" blast-ready ||
		ktap_bail "the blaster did not start: $(cat "$TOPO_DIR/blast.log")"
}

# target V: the blaster sends at target V only ("" = at nothing).
target() {
	echo "$1" > "$ACTIVE"
}

# ns_plug VAR V FAMILIES [LINES]: a new netns (its name in VAR, deleted
# at exit) plugged into $B's bridge, e0 in it, with target V's addresses:
# FAMILIES has 4 (198.18.0.5V, where the sockets live; with g, GRO on e0
# as behind a real NIC, so the sockets' UDP tunnel GRO is in the game)
# and/or 6 (2001:db8:b::5V, where the devices live; forwarding on).
# LINES: more ip -batch lines to run in it.  e0's MAC address is fixed
# by V and FAMILIES (02:00:00:00:FAMILIES:5V), unique among the
# namespaces alive together: a new namespace at an old address has the
# old one's MAC too, and $B's neighbour entries stay right (flushing them
# instead gives up, "Flush not complete", while the blaster refills them
# on a slow kernel).
PLUGS=0
ns_plug() {
	local var=$1 v=$2 fam=$3 ns mac cmds="link set lo up
link set e0 up
"
	_topo_ns_create "$var" || return 1
	ns=${!var}
	PLUGS=$((PLUGS + 1))
	mac=${fam//[!46]/}
	mac=02:00:00:00:$(printf '%02d' "$mac"):5$v
	_topo_batch "$B" <<-EOF || return 1
	link add p$PLUGS type veth peer name e0 address $mac netns $ns
	link set p$PLUGS master br0 up
	EOF
	[[ $fam == *4* ]] && cmds+="addr add 198.18.0.5$v/24 dev e0
"
	[[ $fam == *6* ]] && cmds+="addr add 2001:db8:b::5$v/64 dev e0 nodad
"
	_topo_batch "$ns" <<< "$cmds${4:+$4$'\n'}" || return 1
	if [[ $fam == *g* ]]; then
		ip netns exec "$ns" ethtool -K e0 gro on >/dev/null 2>&1 ||
			ktap_info "ethtool: cannot turn GRO on in $ns"
	fi
	if [[ $fam == *6* ]]; then
		_topo_sysctl "$ns" net.ipv6.conf.all.forwarding=1 || return 1
	fi
}

# dev_cmds V RELAY CLIENT: ip -batch lines creating a relay and a client
# for target V in the netns they run in.  (Builtins only: a process
# start costs.)
dev_cmds() {
	printf '%s\n' \
		"link add $2 type teredo mode relay local 198.18.0.5$1 port 3544" \
		"link add $3 type teredo server $SERVER port $CPORT"
}

# live_cmds V RELAY CLIENT: the lines making them work where they live:
# up, the client's address, the relay for 2001::/32 but the client for
# the blaster's peers of the client.
live_cmds() {
	local addr p

	addr=$(teredo_addr "$SERVER" "198.18.0.5$1" "$CPORT")
	p=$(prefix64 $((20 + $1)))
	printf '%s\n' "link set $2 up" "link set $3 up" \
		"addr add $addr/128 dev $3 nodad" "route add 2001::/32 dev $2" \
		"route add $p dev $3"
}

# helper_attach NS DEV V: the stand-in helper (nlraw.py, as in
# teredo_client_fd.sh) binds the client's port, hands the socket over and
# pushes the qualified state at its public mapping, in one request (a
# Python start costs seconds under TCG; teredo_client_fd.sh checks the
# contract step by step), then holds the socket: HOLDER, its pid, lives
# in NS.
HOLDER=0
helper_attach() {
	local ns=$1 dev=$2 v=$3 hold

	hold=$TOPO_DIR/hold-$dev-$RANDOM
	"$IP" netns exec "$ns" python3 -I -S "$NLRAW" set "$dev" \
		fd=udp:0.0.0.0:$CPORT state=2 nat=2 mapped="198.18.0.5$v" \
		mapped-port=$CPORT address="$(teredo_addr "$SERVER" \
		"198.18.0.5$v" "$CPORT")" next-refresh=300 --hold "$hold" \
		>>"$TOPO_DIR/helper.log" 2>&1 </dev/null &
	HOLDER=$!
	poll_until 60 test -e "$hold" && return 0
	ktap_info "helper for $dev: $(tail -3 "$TOPO_DIR/helper.log")"
	return 1
}

# helper_kill: the helper dies (SIGKILL: nothing cleaned up by it).
helper_kill() {
	[ "$HOLDER" -gt 0 ] || return 0
	kill -KILL "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	HOLDER=0
}

# flowing FILE RELAY CLIENT: both devices received and sent at least
# MIN_PKTS packets (FILE: the netns's /proc/net/dev).
MIN_PKTS=5
# shellcheck disable=SC2317  # called through poll_until
flowing() {
	local rel cli
	local -a n

	rel=$(netdev_pkts "$1" "$2") && cli=$(netdev_pkts "$1" "$3") ||
		return 1
	FLOW="$2 rx/tx $rel, $3 rx/tx $cli"
	read -r -a n <<< "$rel $cli"
	[ "${n[0]}" -ge "$MIN_PKTS" ] && [ "${n[1]}" -ge "$MIN_PKTS" ] &&
		[ "${n[2]}" -ge "$MIN_PKTS" ] && [ "${n[3]}" -ge "$MIN_PKTS" ]
}

# ns_netdev NS: NS's /proc/net/dev, copied out by a process in NS (for
# a namespace nothing may keep alive).
# shellcheck disable=SC2317  # called through poll_until
flowing_in() {
	ip netns exec "$1" cat /proc/net/dev > "$TOPO_DIR/netdev" 2>/dev/null &&
		flowing "$TOPO_DIR/netdev" "$2" "$3"
}

# destroyed NAME...: the kernel log says each was destroyed (the
# destructor runs once the last reference is gone).
# shellcheck disable=SC2317  # called through poll_until
destroyed() {
	local n

	klog_read
	for n in "$@"; do
		[[ "$KLOG_TEXT" == *"teredo: $n: destroyed"* ]] || return 1
	done
}

# split_round V SOCKNS DEVNS DOOMED: a relay $rd and a client $cd for
# target V made in SOCKNS, where their sockets and the helper stay, moved
# to DEVNS and set up there; then, once traffic flows (fl: 0) or not
# (1), DOOMED is deleted.  Adds to why.
split_round() {
	dev_cmds "$1" "$rd" "$cd" | _topo_batch "$2" || why+=" devices"
	helper_attach "$2" "$cd" "$1" || why+=" helper"
	printf 'link set %s netns %s\n' "$rd" "$3" "$cd" "$3" |
		_topo_batch "$2" || why+=" move"
	live_cmds "$1" "$rd" "$cd" | _topo_batch "$3" || why+=" config"
	poll_until 15 flowing_in "$3" "$rd" "$cd"
	fl=$?
	_topo_ns_delete "$4"
}

blast_stats() {
	cat "$STATS" 2>/dev/null
}

# ------------------------------------------------------------ start

SLAB0=$(meminfo_kb Slab)
objs_settle 20 stable ||
	ktap_info "slab objects not stable: $SETTLE_RAW, then $SLAB_OBJS"
for c in "${LEAK_CACHES[@]}"; do
	OBJS0[$c]=${OBJS[$c]}
done
SLAB_OBJS0=$SLAB_OBJS
ktap_info "slab objects at the start: $SLAB_OBJS (before a netns flush: $SETTLE_RAW)"
ktap_info "rounds: STORM_ROUNDS=$STORM_ROUNDS TEREDOD_KILL_ROUNDS=$TEREDOD_KILL_ROUNDS"
b_up
t_setup=$SECONDS

# ----------------------------------------------- 1. unload storm

D=""
ns_plug D 0 46g || ktap_bail "cannot make netns D"
target 0
rmmod teredo || ktap_bail "cannot unload teredo before the storm"
t_phase=$SECONDS
n_flow=0 n_rmmod=0 n_clean=0 n_going=0
for ((i = 1; i <= STORM_ROUNDS; i++)); do
	why="" st=""
	modprobe teredo dyndbg=+p || { ktap_info "round $i: modprobe failed"; break; }
	{ dev_cmds 0 r0 c0; live_cmds 0 r0 c0; } | _topo_batch "$D" ||
		why+=" devices"
	helper_attach "$D" c0 0 || why+=" helper"
	dev_f=/proc/$HOLDER/net/dev udp_f=/proc/$HOLDER/net/udp
	if poll_until 15 flowing "$dev_f" r0 c0; then
		n_flow=$((n_flow + 1))
	else
		ktap_info "round $i: no traffic: ${FLOW:-none}"
	fi
	ref_held=$(udp_ref "$udp_f" $CPORT)
	# In the middle of it all.  Odd rounds: the helper holds on to its
	# socket.  Even rounds: it dies (kill -9) while the module is going,
	# its last close racing the teardown of the client.
	if ((i % 2)); then
		rmmod teredo
		rc=$?
	else
		rmmod teredo &
		rpid=$!
		while kill -0 "$rpid" 2>/dev/null &&
			read -r st < /sys/module/teredo/initstate &&
			[ "$st" != going ]; do
			:
		done 2>/dev/null
		[ "$st" = going ] && n_going=$((n_going + 1))
		helper_kill
		wait "$rpid"
		rc=$?
		# What is left in D, as a process there sees it.
		dev_f=$TOPO_DIR/net-D udp_f=$TOPO_DIR/net-D
		ip netns exec "$D" cat /proc/net/dev /proc/net/udp > "$dev_f"
	fi
	if [ $rc = 0 ] && [ ! -e /sys/module/teredo ]; then
		n_rmmod=$((n_rmmod + 1))
	else
		ktap_info "round $i: rmmod failed"
		why+=" rmmod"
	fi
	rc=0
	netdev_pkts "$dev_f" r0 >/dev/null && { why+=" r0-left"; rc=1; }
	netdev_pkts "$dev_f" c0 >/dev/null && { why+=" c0-left"; rc=1; }
	relay_ref=$(udp_ref "$udp_f" 3544)
	[ -z "$relay_ref" ] || { why+=" relay-socket-left($relay_ref)"; rc=1; }
	ref=$(udp_ref "$udp_f" $CPORT)
	# While attached, the kernel held one reference: none now.  The
	# helper killed in the race has no socket any more.
	if ((i % 2)) && { [ "$ref_held" != 3 ] || [ "$ref" != 2 ]; }; then
		why+=" helper-socket-refs($ref_held->$ref)"
		rc=1
	elif ! ((i % 2)) && { [ "$ref_held" != 3 ] || [ -n "$ref" ]; }; then
		why+=" helper-socket-refs($ref_held->${ref:-gone})"
		rc=1
	fi
	[ $rc = 0 ] && n_clean=$((n_clean + 1))
	[ -n "$why" ] && ktap_info "round $i:$why"
	helper_kill
done
t_unload=$((SECONDS - t_phase))
ktap_info "unload storm: $STORM_ROUNDS rounds in $t_unload s; helper killed while the module was going in $n_going of $((STORM_ROUNDS / 2)) even rounds; blaster: $(blast_stats)"
check_num "unload: traffic through relay and client, both ways, before every rmmod" \
	"$n_flow" -eq "$STORM_ROUNDS"
check_num "unload: rmmod succeeded in every round, under traffic (even rounds: the helper killed meanwhile)" \
	"$n_rmmod" -eq "$STORM_ROUNDS"
check_num "unload: no device, no kernel socket left; the helper's socket plain again (refs 3 -> 2) or gone with it" \
	"$n_clean" -eq "$STORM_ROUNDS"
# The helper's port bound again in every round (else it failed above);
# after the last one nothing is bound in D at all.
left=$(ip netns exec "$D" ss -Hauln 2>&1)
assert_eq "sockets bound in D after the storm" "" "$left"
ktap_result $? "unload: nothing bound in the devices' netns afterwards (ss)"
target ""
_topo_ns_delete "$D"


# ------------------------------------------------ 2. netns storm

modprobe teredo dyndbg=+p || ktap_bail "modprobe teredo failed"
# V1's home for the devices, V2's home for their sockets and the helper.
G1="" F2=""
ns_plug G1 1 6 || ktap_bail "cannot make netns G1"
ns_plug F2 2 4g || ktap_bail "cannot make netns F2"
t_phase=$SECONDS
n_flow=0
declare -A n_var=([0]=0 [1]=0 [2]=0) n_ok=([0]=0 [1]=0 [2]=0)
for ((i = 1; i <= STORM_ROUNDS; i++)); do
	v=$(((i - 1) % 3))
	rd=nr$i cd=nc$i why=""
	n_var[$v]=$((n_var[$v] + 1))
	target "$v"
	case $v in
	0)	# Relay, client and their sockets in N.
		N=""
		ns_plug N 0 46 "$(dev_cmds 0 "$rd" "$cd"; live_cmds 0 "$rd" "$cd")" ||
			why+=" netns"
		helper_attach "$N" "$cd" 0 || why+=" helper"
		poll_until 15 flowing "/proc/$HOLDER/net/dev" "$rd" "$cd"
		fl=$?
		_topo_ns_delete "$N"
		helper_kill
		;;
	1)	# Sockets in F, devices moved to G1; F goes.
		F=""
		ns_plug F 1 4 || why+=" netns"
		split_round 1 "$F" "$G1" "$F"
		helper_kill
		;;
	2)	# Sockets and helper in F2, devices moved to G; G goes.
		G=""
		ns_plug G 2 6 || why+=" netns"
		split_round 2 "$F2" "$G" "$G"
		;;
	esac
	if [ "$fl" = 0 ]; then
		n_flow=$((n_flow + 1))
	else
		ktap_info "round $i (V$v): no traffic: ${FLOW:-none}"
	fi
	poll_until 20 destroyed "$rd" "$cd" || why+=" not-destroyed"
	case $v in
	2)	# The helper lives on with its socket, a plain one again; the
		# relay's socket is gone from F2.
		net=/proc/$HOLDER/net
		ref=$(udp_ref "$net/udp" $CPORT)
		[ "$ref" = 2 ] || why+=" helper-socket-refs($ref)"
		relay_ref=$(udp_ref "$net/udp" 3544)
		[ -z "$relay_ref" ] || why+=" relay-socket-left($relay_ref)"
		helper_kill
		;;
	esac
	if [ -z "$why" ]; then
		n_ok[$v]=$((n_ok[$v] + 1))
	else
		ktap_info "round $i (V$v):$why"
	fi
done
target ""
t_netns=$((SECONDS - t_phase))
ktap_info "netns storm: $STORM_ROUNDS rounds in $t_netns s; blaster: $(blast_stats)"
check_num "netns: traffic through relay and client before every deletion" \
	"$n_flow" -eq "$STORM_ROUNDS"
desc=("V0: deleting the netns of relay, client and sockets destroys both"
	"V1: deleting the link netns destroys the devices living elsewhere"
	"V2: deleting the devices' netns destroys them; helper's socket plain, relay's unbound")
for v in 0 1 2; do
	if [ "${n_var[$v]}" = 0 ]; then
		ktap_skip "netns ${desc[$v]}" "no round (STORM_ROUNDS < $((v + 1)))"
	else
		check_num "netns ${desc[$v]} (${n_var[$v]} rounds)" \
			"${n_ok[$v]}" -eq "${n_var[$v]}"
	fi
done
_topo_ns_delete "$G1" "$F2"
# Each device created once and destroyed once.
declare -A seen=()
while IFS= read -r line; do
	[[ "$line" =~ teredo:\ (n[rc][0-9]+):\ (created|destroyed)$ ]] &&
		seen[${BASH_REMATCH[1]}]+=${BASH_REMATCH[2]:0:1}
done < "$KLOG"
rc=0
for ((i = 1; i <= STORM_ROUNDS; i++)); do
	for n in "nr$i" "nc$i"; do
		[ "${seen[$n]}" = cd ] ||
			{ ktap_info "$n: log says \"${seen[$n]}\" (c: created, d: destroyed)"; rc=1; }
	done
done
assert_ok rmmod teredo || rc=1

ktap_result $rc "netns: every device created once, destroyed once; the module unloads"

# ------------------------------------------- 3. teredod kill loop

target ""
kill -KILL "$BLASTER" 2>/dev/null
wait "$BLASTER" 2>/dev/null
_topo_ns_delete "$B"

modprobe teredo dyndbg=+p || ktap_bail "modprobe teredo failed"
STREAM_LOG=$TOPO_DIR/stream.log
TEREDOD_PID=0
TEREDOD_LOG=$TOPO_DIR/teredod.log
: > "$STREAM_LOG"

teredod_start() {
	"$IP" netns exec "$CLI" "$TEREDOD" --default-route teredo \
		>>"$TEREDOD_LOG" 2>&1 </dev/null &
	TEREDOD_PID=$!
}

# client_show: teredoctl -j show of the client into CLIENT_* (state,
# link, address).
CLIENT_STATE="" CLIENT_LINK="" CLIENT_ADDR=""
# shellcheck disable=SC2317  # called through poll_until
client_show() {
	local j

	j=$(ip netns exec "$CLI" "$TEREDOCTL" -j show teredo 2>/dev/null)
	CLIENT_STATE="" CLIENT_LINK="" CLIENT_ADDR=""
	[[ "$j" =~ \"state\":\"([a-z-]+)\" ]] && CLIENT_STATE=${BASH_REMATCH[1]}
	[[ "$j" =~ \"link\":\"([a-z-]+)\" ]] && CLIENT_LINK=${BASH_REMATCH[1]}
	[[ "$j" =~ \"address\":\"([0-9a-f:]+)\" ]] && CLIENT_ADDR=${BASH_REMATCH[1]}
	return 0
}

# shellcheck disable=SC2317  # called through poll_until
client_qualified() {
	client_show
	[ "$CLIENT_STATE" = qualified ] && [ "$CLIENT_LINK" = up ]
}

# qualified_beyond N: teredod logged more than N "qualified:" lines
# (QLINES of them): a cheap poll, teredoctl is a process start; the
# line comes just before the state push.
QLINES=0
# shellcheck disable=SC2317  # called through poll_until
qualified_beyond() {
	local line

	QLINES=0
	while IFS= read -r line; do
		[[ "$line" == *"qualified: 2001:"* ]] && QLINES=$((QLINES + 1))
	done < "$TEREDOD_LOG"
	[ "$QLINES" -gt "$1" ]
}

# shellcheck disable=SC2317  # called through poll_until
client_offline() {
	client_show
	[ "$CLIENT_STATE" = offline ] && [ "$CLIENT_LINK" = no-carrier ]
}

# Answers of the echo stream: STREAM_N lines so far, STREAM_LINES.
STREAM_N=0
stream_read() {
	mapfile -t STREAM_LINES < "$STREAM_LOG"
	STREAM_N=${#STREAM_LINES[@]}
}

# shellcheck disable=SC2317  # called through poll_until
stream_beyond() {
	stream_read
	[ "$STREAM_N" -ge "$1" ]
}

t_phase=$SECONDS
topo_up
# The echo server and the stream start while the rest is set up (Python
# is slow to start); the stream's datagrams go nowhere until the client
# is qualified.
"$IP" netns exec "$HOST" python3 -I -S "$TRAFFIC" echo-server \
	--bind "$TOPO_HOST_IP6" --port 7777 >"$TOPO_DIR/echo.log" 2>&1 </dev/null &
"$IP" netns exec "$CLI" python3 -I -S "$TRAFFIC" echo-stream \
	--to "$TOPO_HOST_IP6" --port 7777 --log "$STREAM_LOG" \
	>"$TOPO_DIR/stream.err" 2>&1 </dev/null &
rc=0
topo_server_ours || rc=1
topo_relay_ours || rc=1
assert_ok ip -n "$CLI" link add teredo type teredo server "$TOPO_SRV_IP" ||
	rc=1
teredod_start
if ! poll_until "$TOPO_T_START" qualified_beyond 0 ||
	! poll_until 10 client_qualified; then
	ktap_info "not qualified: $(cat "$TEREDOD_LOG")"
	rc=1
fi
poll_until 60 stream_beyond 10 ||
	{ ktap_info "stream: $STREAM_N answers"; rc=1; }
ktap_info "client $CLIENT_ADDR, $STREAM_N answers from $TOPO_HOST_IP6 so far"
ktap_result $rc "all ours: client qualified by teredod, UDP echo stream to the native host answered"

t_topo=$((SECONDS - t_phase))
t_phase=$SECONDS
n_off=0 n_quiet=0 n_qual=0 n_back=0
for ((k = 1; k <= TEREDOD_KILL_ROUNDS; k++)); do
	now_ms
	t_kill=$NOW_MS
	kill -KILL "$TEREDOD_PID"
	wait "$TEREDOD_PID" 2>/dev/null
	if poll_until 5 client_offline; then
		n_off=$((n_off + 1))
	else
		ktap_info "round $k: after kill -9: state $CLIENT_STATE, link $CLIENT_LINK"
	fi
	now_ms
	t_off=$NOW_MS
	# Fail-safe: nothing gets through while nobody holds the socket.
	stream_read
	c1=$STREAM_N
	nap 1
	stream_read
	c2=$STREAM_N
	if [ "$c2" = "$c1" ]; then
		n_quiet=$((n_quiet + 1))
	else
		ktap_info "round $k: $((c2 - c1)) answers while teredod was dead"
	fi
	qualified_beyond 0
	q0=$QLINES
	now_ms
	t_start=$NOW_MS
	teredod_start
	qual=-1 back=-1
	if poll_until "$TEREDOD_RECOVERY_MAX" qualified_beyond "$q0"; then
		now_ms
		qual=$((NOW_MS - t_start))
		poll_until 10 client_qualified && n_qual=$((n_qual + 1))
	fi
	# Three answers to datagrams sent after the restart, in time.
	if poll_until "$TEREDOD_RECOVERY_MAX" stream_beyond $((c2 + 3)); then
		for ((j = c2; j < STREAM_N; j++)); do
			read -r _ sent recv <<< "${STREAM_LINES[$j]}"
			sent=${sent//./} recv=${recv//./}
			[ $((10#$sent / 1000)) -ge "$t_start" ] && break
		done
		if [ "$j" -lt "$STREAM_N" ]; then
			back=$((10#$recv / 1000 - t_start))
			[ "$back" -le $((TEREDOD_RECOVERY_MAX * 1000)) ] &&
				n_back=$((n_back + 1))
		fi
	fi
	ktap_info "round $k: offline (seen by teredoctl) $((t_off - t_kill)) ms after kill -9; after the restart: qualified $qual ms, answered $back ms ($CLIENT_ADDR)"
done
t_kills=$((SECONDS - t_phase))
ktap_info "teredod storm: $TEREDOD_KILL_ROUNDS rounds in $t_kills s (network set up in $t_topo s)"
check_num "teredod kill -9: carrier off, state offline, every round" \
	"$n_off" -eq "$TEREDOD_KILL_ROUNDS"
check_num "teredod dead: no answer gets through, every round" \
	"$n_quiet" -eq "$TEREDOD_KILL_ROUNDS"
check_num "teredod restarted: qualified again within $TEREDOD_RECOVERY_MAX s, every round" \
	"$n_qual" -eq "$TEREDOD_KILL_ROUNDS"
check_num "teredod restarted: the stream is answered again within $TEREDOD_RECOVERY_MAX s, every round" \
	"$n_back" -eq "$TEREDOD_KILL_ROUNDS"

# ------------------------------------------------------------ totals

topo_down
out=$(splat_lines)
assert_eq "splats and teredo warnings in the kernel log" "" "$out"
ktap_result $? "kernel log: no splat, no teredo warning"

# Every namespace and socket of the storms is freed: no cache holds more
# objects than at the start, once the deferred frees are flushed.
objs_settle 60 back
rc=$?
ktap_info "slab objects: at the start $SLAB_OBJS0; at the end $SETTLE_RAW before a netns flush, $SLAB_OBJS after"
ktap_result $rc "every netns and UDP socket freed (at most as many objects in use as at the start)"
SLAB1=$(meminfo_kb Slab)
ktap_info "slab: $SLAB0 kB before, $SLAB1 kB after, growth $((SLAB1 - SLAB0)) kB"
check_num "slab growth under $SLAB_GROWTH_MAX_KB kB" $((SLAB1 - SLAB0)) \
	-lt "$SLAB_GROWTH_MAX_KB"
ktap_info "elapsed: $SECONDS s (setup $t_setup s, unload $t_unload s, netns $t_netns s, teredod: network $t_topo s, kills $t_kills s)"
ktap_finish
