#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interop topology against the real Miredo (protocol.md §10.1), in network
# namespaces.  Source it after lib.sh; it does nothing on its own.
#
#                 "Internet" 198.18.0.0/24 = bridge br0 in $INET
#     +----------------+-----------------+-------------------+
#     |                |                 |                   |
#   $SRV e0          $RLY e0           $NAT e0             (capture here:
#   198.18.0.1       198.18.0.20       198.18.0.40          topo_capture_*)
#   198.18.0.2         |                 |  masquerade, port-restricted cone
#   miredo-server      | relay:          $NAT i0 10.0.0.1/24
#     |                | teredo (Miredo)   |
#     |                | or teredo0 (ours) $CLI e0 10.0.0.2/24, default via .1
#     |                |                   Miredo client, tun "teredo"
#   $SRV n6          $RLY n6             $HOST n6
#   2001:db8:1::1    2001:db8:1::20      2001:db8:1::30, 2001::/32 via ::20
#     +----------------+-----------------+
#           native IPv6 2001:db8:1::/64 = bridge br6 in $INET
#
# The NAT namespace emulates a port-restricted cone NAT (RFC 4787:
# endpoint-independent mapping, address-and-port-dependent filtering):
# nftables masquerade keeps the inside port when it can and only lets in
# replies of known flows, and the home-router policy (new connections from
# the WAN dropped in input and forward) keeps an early hole-punching
# bubble from creating a conntrack entry that would make masquerade pick
# another port (vm.md: that turns it symmetric).  topo_nat_check proves
# the mapping and the filtering.
#
# The server does not need a 2001::/32 route: the native host answers the
# client's echo test (sent natively by miredo-server) through the relay,
# which only needs $HOST's 2001::/32 route.
#
# Usage:
#	topo_init                       # once: prerequisites, cleanup trap
#	topo_up                         # namespaces, links, addresses, NAT
#	topo_server_miredo              # miredo-server in $SRV
#	topo_relay_miredo | topo_relay_ours
#	topo_client_miredo              # Miredo client in $CLI, qualified
#	...
#	topo_reset_peers                # forget all peer state, start again
#	topo_relay_* ; topo_client_miredo
#	...
#	topo_down                       # kill what it started, delete netns
#	                                # (at exit anyway)

# The variables below are for the scripts that source this file.
# shellcheck disable=SC2034

# Addresses.
TOPO_SRV_IP=198.18.0.1
TOPO_SRV_IP2=198.18.0.2
TOPO_RLY_IP=198.18.0.20
TOPO_NAT_IP=198.18.0.40
TOPO_NAT_LAN_IP=10.0.0.1
TOPO_CLI_IP=10.0.0.2
TOPO_SRV_IP6=2001:db8:1::1
TOPO_RLY_IP6=2001:db8:1::20
TOPO_HOST_IP6=2001:db8:1::30
TOPO_TEREDO_PORT=3544
# The bridges in $INET: IPv4 "Internet" (captured), native IPv6.
TOPO_BR4=br0
TOPO_BR6=br6

# Set by topo_up: the namespace names.
INET="" SRV="" NAT="" CLI="" RLY="" HOST=""
# Set by topo_client_miredo: the client's Teredo address and its mapping
# as the address embeds it (= the NAT's public address and port).
TOPO_CLI_ADDR="" TOPO_CLI_MAPPED_IP="" TOPO_CLI_MAPPED_PORT="" TOPO_CLI_SERVER=""
# Set by topo_server_ours: our server device in $SRV.
TOPO_SERVER_DEV=""
# Set by topo_relay_*: the relay device in $RLY and which relay it is.
TOPO_RELAY_DEV="" TOPO_RELAY_KIND=""
# Set by topo_client_*: which client runs in $CLI (Miredo or our).
TOPO_CLI_KIND=""
# The second home network (topo_site2_up): $NAT2 and $CLI2 behind it, the
# same kind of NAT; topo_client_ours2 sets TOPO_CLI2_*.
NAT2="" CLI2=""
TOPO_NAT2_IP=198.18.0.41
TOPO_NAT2_LAN_IP=10.0.1.1
TOPO_CLI2_IP=10.0.1.2
TOPO_CLI2_ADDR="" TOPO_CLI2_KIND=""
# Labels of the scenarios topo_scenario_{out,in}bound play.
TOPO_SC_OUT=S10 TOPO_SC_IN=S11
# Work directory (configs, logs, pid files, captures).
TOPO_DIR=""
# Last ping: its output and the number of replies.
TOPO_PING_OUT="" TOPO_PING_RX=0
# Where topo_down copies TOPO_DIR's logs and captures (empty = nowhere).
TOPO_ARTIFACTS=${TOPO_ARTIFACTS-${TEREDO_RESULTS:+$TEREDO_RESULTS/$(basename "$0" .sh)}}
TEREDO_TOP=${TEREDO_TOP:-$(cd "$TEREDO_SELFTEST_DIR/.." && pwd)}

# Timeouts, seconds.
TOPO_T_START=${TOPO_T_START:-60}	# a daemon up, a client qualified
TOPO_T_PING=${TOPO_T_PING:-25}		# one ping run
TOPO_T_IPERF=${TOPO_T_IPERF:-30}	# one iperf3 run

# Results each scenario function emits.
TOPO_OUTBOUND_TESTS=6
TOPO_INBOUND_TESTS=5

declare -A TOPO_CAP_PIDS=()
TOPO_ROUND=0
TOPO_INIT=0

_topo_alive() {
	local st

	read -r _ _ st _ 2>/dev/null < "/proc/$1/stat" || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# _topo_wait_gone TIMEOUT_S PID...: wait until every PID has exited.
_topo_wait_gone() {
	local t=$1 p

	shift
	for p in "$@"; do
		wait_until "$t" eval "! _topo_alive $p" || return 1
	done
}

# topo_init: prerequisites (skip the script when a tool is missing) and the
# cleanup at exit.
topo_init() {
	local t

	[ "$TOPO_INIT" = 1 ] && return 0
	[ "$(id -u)" = 0 ] || ktap_skip_all "must be root"
	for t in miredo miredo-server miredo-checkconf nft tcpdump tshark \
		iperf3 python3 busybox ss; do
		command -v "$t" >/dev/null || ktap_skip_all "$t not found"
	done
	[ -x /sbin/ip ] || ktap_skip_all "Miredo's hook needs /sbin/ip"
	[ -e /dev/net/tun ] || modprobe tun >/dev/null 2>&1
	[ -e /dev/net/tun ] || ktap_skip_all "no /dev/net/tun"
	modprobe veth >/dev/null 2>&1
	modprobe bridge >/dev/null 2>&1
	TOPO_DIR=$(mktemp -d /tmp/teredo-topo.XXXXXX) ||
		ktap_bail "mktemp failed"
	# Miredo reads and writes here after dropping to its own user.
	chmod 755 "$TOPO_DIR"
	at_exit topo_cleanup
	TOPO_INIT=1
}

# topo_log NAME: path of a log file in the current round.
topo_log() {
	echo "$TOPO_DIR/r$TOPO_ROUND-$1.log"
}

# Under TCG every process start costs about half a second: the topology
# is built with one `ip -batch` per namespace.

# _topo_sysctl NS KEY=VALUE...: one sysctl(8) for all.
_topo_sysctl() {
	local ns=$1

	shift
	ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

# _topo_ns_create VAR...: like lib.sh's ns_create (teredo-VAR-<random>,
# deleted at exit), all in one ip(8) run.
_topo_ns_create() {
	local var name cmds=""

	for var in "$@"; do
		name="teredo-$var-$RANDOM$RANDOM"
		cmds+="netns add $name"$'\n'
		NS_LIST+=("$name")
		printf -v "$var" '%s' "$name"
	done
	ip -batch - <<< "$cmds"
}

# _topo_ns_delete NS...: delete them now (empty names ignored).
_topo_ns_delete() {
	local ns i cmds=""

	for ns in "$@"; do
		[ -n "$ns" ] || continue
		cmds+="netns del $ns"$'\n'
		for i in "${!NS_LIST[@]}"; do
			[ "${NS_LIST[$i]}" = "$ns" ] && unset "NS_LIST[$i]"
		done
	done
	[ -n "$cmds" ] && ip -batch - <<< "$cmds" >/dev/null 2>&1
	return 0
}

# _topo_batch NS: ip -batch of stdin in NS.
_topo_batch() {
	ip -n "$1" -batch -
}

_topo_build() {
	_topo_ns_create INET SRV NAT CLI RLY HOST ||
		ktap_bail "cannot create the namespaces"

	# The switches: br0 = IPv4 "Internet", br6 = native IPv6.
	_topo_batch "$INET" <<-EOF || return 1
	link set lo up
	link add $TOPO_BR4 type bridge
	link add $TOPO_BR6 type bridge mcast_snooping 0
	link set $TOPO_BR4 up
	link set $TOPO_BR6 up
	link add v-srv type veth peer name e0 netns $SRV
	link add v-rly type veth peer name e0 netns $RLY
	link add v-nat type veth peer name e0 netns $NAT
	link add w-srv type veth peer name n6 netns $SRV
	link add w-rly type veth peer name n6 netns $RLY
	link add w-host type veth peer name n6 netns $HOST
	link set v-srv master $TOPO_BR4 up
	link set v-rly master $TOPO_BR4 up
	link set v-nat master $TOPO_BR4 up
	link set w-srv master $TOPO_BR6 up
	link set w-rly master $TOPO_BR6 up
	link set w-host master $TOPO_BR6 up
	EOF

	topo_e0_up "$SRV" "$TOPO_SRV_IP/24" "" \
		"addr add $TOPO_SRV_IP2/24 dev e0" \
		"link set n6 up" \
		"addr add $TOPO_SRV_IP6/64 dev n6 nodad" || return 1

	topo_e0_up "$RLY" "$TOPO_RLY_IP/24" "" \
		"link set n6 up" \
		"addr add $TOPO_RLY_IP6/64 dev n6 nodad" || return 1
	_topo_sysctl "$RLY" net.ipv6.conf.all.forwarding=1 || return 1

	_topo_batch "$HOST" <<-EOF || return 1
	link set lo up
	link set n6 up
	addr add $TOPO_HOST_IP6/64 dev n6 nodad
	route add 2001::/32 via $TOPO_RLY_IP6
	EOF

	_topo_home "$NAT" "$TOPO_NAT_IP" "$TOPO_NAT_LAN_IP" "$CLI" \
		"$TOPO_CLI_IP" || return 1
	topo_nic "$SRV" "$RLY"
}

# topo_e0_up NS IP/PREFIX GW [LINE...]: what every host and router of these
# topologies does first, in one ip(8) run (under TCG each process start
# costs half a second): loopback and the uplink e0 (the veth its switch or
# router made) up, IP/PREFIX on e0, a default route via GW unless GW is
# "", then each LINE (more ip-batch commands).
topo_e0_up() {
	local ns=$1 ip=$2 gw=$3 more

	shift 3
	printf -v more '%s\n' "$@"
	_topo_batch "$ns" <<-EOF
	link set lo up
	link set e0 up
	addr add $ip dev e0
	${gw:+route add default via $gw}
	$more
	EOF
}

# _topo_home NAT NAT_IP LAN_IP CLI CLI_IP: a home network, the same for
# each site: router NAT (its e0 already on the "Internet" at NAT_IP/24)
# with the port-restricted cone NAT from LAN_IP/24 on i0, and CLI at
# CLI_IP/24 behind it, its default route via LAN_IP.
_topo_home() {
	local nat=$1 nat_ip=$2 lan_ip=$3 cli=$4 cli_ip=$5

	topo_e0_up "$nat" "$nat_ip/24" "" \
		"link add i0 type veth peer name e0 netns $cli" \
		"link set i0 up" \
		"addr add $lan_ip/24 dev i0" || return 1
	topo_e0_up "$cli" "$cli_ip/24" "$lan_ip" || return 1
	_topo_nat_rules "$nat" && topo_nic "$cli"
}

# topo_nic NS...: e0 in each NS finishes transmit checksums in software,
# as a NIC does in hardware.  Our devices, as sit and fou, leave an inner
# checksum to the device that sends the datagram; a veth passes it on
# unfinished, and a userspace Teredo (Miredo) would copy the unfinished
# bytes into its TUN device, where the kernel drops them.
topo_nic() {
	local ns

	for ns; do
		ip netns exec "$ns" ethtool -K e0 tx off >/dev/null 2>&1 && continue
		ktap_info "ethtool: cannot turn tx checksumming off for $ns e0"
		return 1
	done
}

# _topo_nat_rules NS: the port-restricted cone NAT (see the comment at
# the top) from i0 to e0.
_topo_nat_rules() {
	ip netns exec "$1" sh -c 'sysctl -q -w net.ipv4.ip_forward=1 &&
		nft -f -' <<-'EOF' || return 1
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

# topo_site2_up: a second home network on the "Internet": $NAT2 at
# TOPO_NAT2_IP, the same NAT, and $CLI2 (TOPO_CLI2_IP) behind it.
topo_site2_up() {
	_topo_ns_create NAT2 CLI2 || ktap_bail "cannot create the namespaces"
	_topo_batch "$INET" <<-EOF || return 1
	link add v-nat2 type veth peer name e0 netns $NAT2
	link set v-nat2 master $TOPO_BR4 up
	EOF
	_topo_home "$NAT2" "$TOPO_NAT2_IP" "$TOPO_NAT2_LAN_IP" "$CLI2" \
		"$TOPO_CLI2_IP"
}

# topo_public_up VAR IP: a host with no NAT on the "Internet" at IP (its
# e0 on the bridge, no default route: the /24 is all it needs), in a new
# namespace whose name goes in VAR; deleted at exit, and its processes
# killed then (before topo_cleanup).
topo_public_up() {
	local var=$1 ip=$2 ns

	_topo_ns_create "$var" || return 1
	ns=${!var}
	at_exit "_topo_kill_ns $ns"
	_topo_batch "$INET" <<-EOF || return 1
	link add v-$var type veth peer name e0 netns $ns
	link set v-$var master $TOPO_BR4 up
	EOF
	topo_e0_up "$ns" "$ip/24" ""
}

# topo_up: build the namespaces, links, addresses and the NAT.  Sets INET
# SRV NAT CLI RLY HOST.  Bails out on failure.
topo_up() {
	topo_init
	TOPO_ROUND=$((TOPO_ROUND + 1))
	TOPO_CLI_ADDR="" TOPO_CLI_MAPPED_IP="" TOPO_CLI_MAPPED_PORT=""
	TOPO_CLI_SERVER="" TOPO_RELAY_DEV="" TOPO_RELAY_KIND=""
	_topo_build || ktap_bail "cannot build the topology"
}

# _topo_kill_ns NS...: end every process living in these namespaces (all
# of them were started here), TERM first, KILL after 3 s.
_topo_kill_ns() {
	local ns pids=() cmds=""

	for ns in "$@"; do
		[ -n "$ns" ] && cmds+="netns pids $ns"$'\n'
	done
	[ -n "$cmds" ] || return 0
	# shellcheck disable=SC2207
	pids=($(ip -batch - <<< "$cmds" 2>/dev/null))
	[ ${#pids[@]} = 0 ] && return 0
	kill -TERM "${pids[@]}" 2>/dev/null
	if ! _topo_wait_gone 3 "${pids[@]}"; then
		kill -KILL "${pids[@]}" 2>/dev/null
		_topo_wait_gone 2 "${pids[@]}"
	fi
	return 0
}

_topo_save() {
	[ -n "$TOPO_ARTIFACTS" ] && [ -d "$TOPO_DIR" ] || return 0
	mkdir -p "$TOPO_ARTIFACTS" 2>/dev/null &&
		cp -f "$TOPO_DIR"/*.log "$TOPO_DIR"/*.pcap "$TOPO_ARTIFACTS"/ \
			2>/dev/null
	return 0
}

# topo_down: stop captures, kill every process started in the topology's
# namespaces (Miredo, tcpdump, iperf3...), delete the namespaces.
topo_down() {
	local n

	for n in "${!TOPO_CAP_PIDS[@]}"; do
		topo_capture_stop "$n"
	done
	_topo_kill_ns "$CLI" "$CLI2" "$SRV" "$RLY" "$NAT" "$NAT2" "$HOST" \
		"$INET"
	_topo_ns_delete "$CLI" "$CLI2" "$SRV" "$RLY" "$NAT" "$NAT2" "$HOST" \
		"$INET"
	INET="" SRV="" NAT="" CLI="" RLY="" HOST="" NAT2="" CLI2=""
	_topo_save
}

# topo_reset_peers: start afresh without rebuilding the topology (slow
# under TCG): end every process in $CLI and $RLY (the Miredo client, a
# Miredo relay), delete our relay device, so that no peer state is left
# anywhere (miredo-server keeps none).  Start the relay and the client
# again afterwards; files of the new round are rROUND-*.
topo_reset_peers() {
	_topo_kill_ns "$CLI" "$CLI2" "$RLY"
	if [ "$TOPO_RELAY_KIND" = our ]; then
		ip -n "$RLY" link del "$TOPO_RELAY_DEV" 2>/dev/null
	fi
	# Our clients' devices outlive teredod.
	[ "$TOPO_CLI_KIND" = our ] && ip -n "$CLI" link del teredo 2>/dev/null
	[ "$TOPO_CLI2_KIND" = our ] && ip -n "$CLI2" link del teredo 2>/dev/null
	TOPO_CLI_KIND="" TOPO_CLI2_KIND="" TOPO_CLI2_ADDR=""
	if ! wait_until 10 link_absent "$CLI" teredo ||
		! wait_until 10 link_absent "$RLY" teredo ||
		! wait_until 10 link_absent "$RLY" teredo0; then
		ktap_bail "the old tunnels do not go away"
	fi
	TOPO_ROUND=$((TOPO_ROUND + 1))
	TOPO_CLI_ADDR="" TOPO_CLI_MAPPED_IP="" TOPO_CLI_MAPPED_PORT=""
	TOPO_CLI_SERVER="" TOPO_RELAY_DEV="" TOPO_RELAY_KIND=""
}

# At exit (registered by topo_init).
topo_cleanup() {
	topo_down
	[ -n "$TOPO_DIR" ] && rm -rf "$TOPO_DIR"
}

# ------------------------------------------------------------ daemons

# _topo_daemon NS NAME CMD...: start CMD in NS in the background, output
# in topo_log NAME.  topo_down ends it with everything else in NS.
_topo_daemon() {
	local ns=$1 name=$2

	shift 2
	"$IP" netns exec "$ns" "$@" >"$(topo_log "$name")" 2>&1 </dev/null &
	disown $!
}

_topo_udp_bound() {
	[ -n "$(ip netns exec "$1" ss -Hunl "sport = :$2")" ]
}

_topo_has_route() {
	ip -n "$1" -6 route show "$2" | grep -q "dev $3"
}

# _topo_teredo_addr [NS]: the Teredo address of the client in NS ($CLI).
_topo_teredo_addr() {
	ip -n "${1:-$CLI}" -6 addr show dev teredo scope global 2>/dev/null |
		awk '$1 == "inet6" && $2 ~ /^2001:0:/ { sub("/.*", "", $2); print $2; exit }'
}

_topo_has_teredo_addr() {
	[ -n "$(_topo_teredo_addr "$@")" ]
}

# topo_miredo_conf NAME LINES...: write a Miredo config into TOPO_CONF;
# check it with miredo-checkconf unless NAME is srv (miredo-server's
# directives are not miredo.conf's).
TOPO_CONF=""
topo_miredo_conf() {
	local name=$1

	shift
	TOPO_CONF=$TOPO_DIR/r$TOPO_ROUND-$name.conf
	printf '%s\n' "$@" > "$TOPO_CONF"
	[ "$name" = srv ] && return 0
	miredo-checkconf -c "$TOPO_CONF" >/dev/null 2>&1 && return 0
	ktap_info "miredo-checkconf rejects $TOPO_CONF: $(cat "$TOPO_CONF")"
	return 1
}

# topo_server_miredo: miredo-server (config S) in $SRV, on .1 and .2;
# waits until it has bound port 3544.
topo_server_miredo() {
	topo_miredo_conf srv "ServerBindAddress $TOPO_SRV_IP" || return 1
	_topo_daemon "$SRV" srv miredo-server -f -u miredo-server \
		-p "$TOPO_DIR/r$TOPO_ROUND-srv.pid" -c "$TOPO_CONF"
	wait_until "$TOPO_T_START" _topo_udp_bound "$SRV" "$TOPO_TEREDO_PORT" || {
		ktap_info "miredo-server did not bind port $TOPO_TEREDO_PORT:"
		ktap_info "$(cat "$(topo_log srv)")"
		return 1
	}
}

# topo_server_ours: our server, ts0 (mode server, .1 and .2), in $SRV,
# in place of miredo-server; IPv6 forwarding on there, so the clients'
# echo tests leave natively through n6.
topo_server_ours() {
	local dev=ts0

	assert_ok ip -n "$SRV" link add "$dev" type teredo mode server \
		local "$TOPO_SRV_IP" local2 "$TOPO_SRV_IP2" || return 1
	_topo_sysctl "$SRV" "net.ipv6.conf.$dev.accept_ra=0" \
		"net.ipv6.conf.$dev.router_solicitations=0" \
		"net.ipv6.conf.$dev.addr_gen_mode=1" \
		net.ipv6.conf.all.forwarding=1 || return 1
	assert_ok ip -n "$SRV" link set "$dev" up || return 1
	TOPO_SERVER_DEV=$dev
}

# topo_relay_miredo: Miredo relay (config R: cone, port 3544, tun
# "teredo", 2001::/32 dev teredo) in $RLY.
topo_relay_miredo() {
	topo_miredo_conf rly "RelayType cone" "InterfaceName teredo" \
		"BindPort $TOPO_TEREDO_PORT" || return 1
	_topo_daemon "$RLY" rly miredo -f -u miredo \
		-p "$TOPO_DIR/r$TOPO_ROUND-rly.pid" -c "$TOPO_CONF"
	if ! wait_until "$TOPO_T_START" _topo_udp_bound "$RLY" "$TOPO_TEREDO_PORT" ||
		! wait_until "$TOPO_T_START" link_exists "$RLY" teredo; then
		ktap_info "Miredo relay did not start:"
		ktap_info "$(cat "$(topo_log rly)")"
		return 1
	fi
	# Miredo adds the route itself; make sure of it.
	if ! wait_until 3 _topo_has_route "$RLY" 2001::/32 teredo; then
		ip -n "$RLY" -6 route replace 2001::/32 dev teredo || return 1
	fi
	TOPO_RELAY_DEV=teredo TOPO_RELAY_KIND=Miredo
}

# topo_relay_ours: our relay, teredo0, in $RLY.
topo_relay_ours() {
	local dev=teredo0

	assert_ok ip -n "$RLY" link add "$dev" type teredo mode relay \
		local "$TOPO_RLY_IP" port "$TOPO_TEREDO_PORT" || return 1
	_topo_sysctl "$RLY" "net.ipv6.conf.$dev.accept_ra=0" \
		"net.ipv6.conf.$dev.router_solicitations=0" \
		"net.ipv6.conf.$dev.addr_gen_mode=1" || return 1
	assert_ok ip -n "$RLY" link set "$dev" up || return 1
	assert_ok ip -n "$RLY" -6 route add 2001::/32 dev "$dev" || return 1
	# NAPI and GRO on the relay's IPv4 side, as behind a real NIC.  A
	# veth hands NAPI only what comes from a device without TSO (or from
	# a local socket), and the bridge's end has TSO: datagrams forwarded
	# to the relay still take the backlog (teredo_client_miredo.sh turns
	# TSO off where it needs the UDP tunnel's GRO to merge).
	ip netns exec "$RLY" ethtool -K e0 gro on >/dev/null 2>&1 ||
		ktap_info "ethtool: cannot turn GRO on for $RLY e0"
	TOPO_RELAY_DEV=$dev TOPO_RELAY_KIND=our
}

# topo_teredo_decode ADDR: "SERVER MAPPED_IP MAPPED_PORT" of a Teredo
# address.
topo_teredo_decode() {
	python3 -c '
import ipaddress, sys
a = ipaddress.IPv6Address(sys.argv[1])
if a not in ipaddress.IPv6Network("2001::/32"):
    sys.exit(1)
srv, port, ip = a.teredo[0], None, a.teredo[1]
port = (int(a) >> 32 & 0xffff) ^ 0xffff
print(srv, ip, port)
' "$1"
}

# topo_client_miredo: Miredo client (config C) in $CLI; waits until the
# tun "teredo" has a 2001:0: address.  Sets TOPO_CLI_ADDR, TOPO_CLI_SERVER,
# TOPO_CLI_MAPPED_IP, TOPO_CLI_MAPPED_PORT.
topo_client_miredo() {
	local d

	topo_miredo_conf cli "RelayType client" "InterfaceName teredo" \
		"ServerAddress $TOPO_SRV_IP" || return 1
	_topo_daemon "$CLI" cli miredo -f -u miredo \
		-p "$TOPO_DIR/r$TOPO_ROUND-cli.pid" -c "$TOPO_CONF"
	wait_until "$TOPO_T_START" _topo_has_teredo_addr || {
		ktap_info "the Miredo client did not qualify in ${TOPO_T_START} s:"
		ktap_info "$(cat "$(topo_log cli)")"
		ktap_info "$(ip -n "$CLI" addr 2>&1)"
		return 1
	}
	TOPO_CLI_ADDR=$(_topo_teredo_addr)
	d=$(topo_teredo_decode "$TOPO_CLI_ADDR") || return 1
	read -r TOPO_CLI_SERVER TOPO_CLI_MAPPED_IP TOPO_CLI_MAPPED_PORT <<< "$d"
	TOPO_CLI_KIND=Miredo
}

# _topo_ours NS NAME SERVER: our client device "teredo" in NS and teredod
# for it (log NAME); 0 once it has its Teredo address.
_topo_ours() {
	local ns=$1 name=$2 server=$3

	ip -n "$ns" link add teredo type teredo server "$server" || return 1
	_topo_daemon "$ns" "$name" "$TEREDO_TOP/build/tools/teredod" \
		--default-route teredo
	wait_until "$TOPO_T_START" _topo_has_teredo_addr "$ns" && return 0
	ktap_info "our client in $ns did not qualify in ${TOPO_T_START} s:"
	ktap_info "$(cat "$(topo_log "$name")")"
	ktap_info "$(ip -n "$ns" -d addr show dev teredo 2>&1)"
	return 1
}

# topo_client_ours: our client (device "teredo" + teredod) in $CLI,
# qualified against TOPO_OURS_SERVER (default: TOPO_SRV_IP); sets
# TOPO_CLI_* as topo_client_miredo does.
TOPO_OURS_SERVER=""
topo_client_ours() {
	local d

	_topo_ours "$CLI" cli "${TOPO_OURS_SERVER:-$TOPO_SRV_IP}" || return 1
	TOPO_CLI_ADDR=$(_topo_teredo_addr)
	d=$(topo_teredo_decode "$TOPO_CLI_ADDR") || return 1
	read -r TOPO_CLI_SERVER TOPO_CLI_MAPPED_IP TOPO_CLI_MAPPED_PORT <<< "$d"
	TOPO_CLI_KIND=our
}

# topo_client2_ours / topo_client2_miredo: a client in $CLI2 (after
# topo_site2_up); sets TOPO_CLI2_ADDR.
topo_client2_ours() {
	_topo_ours "$CLI2" cli2 "${TOPO_OURS_SERVER:-$TOPO_SRV_IP}" ||
		return 1
	TOPO_CLI2_ADDR=$(_topo_teredo_addr "$CLI2")
	TOPO_CLI2_KIND=our
}

topo_client2_miredo() {
	topo_miredo_conf cli2 "RelayType client" "InterfaceName teredo" \
		"ServerAddress $TOPO_SRV_IP" || return 1
	_topo_daemon "$CLI2" cli2 miredo -f -u miredo \
		-p "$TOPO_DIR/r$TOPO_ROUND-cli2.pid" -c "$TOPO_CONF"
	wait_until "$TOPO_T_START" _topo_has_teredo_addr "$CLI2" || {
		ktap_info "the Miredo client in CLI2 did not qualify:"
		ktap_info "$(cat "$(topo_log cli2)")"
		return 1
	}
	TOPO_CLI2_ADDR=$(_topo_teredo_addr "$CLI2")
	TOPO_CLI2_KIND=Miredo
}

# --------------------------------------------------------- NAT proof

# shellcheck disable=SC2016
TOPO_PY_UDP='
import socket, sys, time
role = sys.argv[1]
def sock(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s
if role == "listen":            # ADDR PORT READYFILE [ALT_PORT]
    s = sock(sys.argv[2], int(sys.argv[3]))
    alt = sock(sys.argv[2], int(sys.argv[5])) if len(sys.argv) > 5 else None
    open(sys.argv[4], "w").write("ready\n")
    s.settimeout(20)
    data, peer = s.recvfrom(2048)
    print("%s:%d" % peer, flush=True)
    if alt:                     # from another port first, then the flow
        alt.sendto(b"alt", peer)
        time.sleep(0.3)
        s.sendto(b"flow", peer)
elif role == "send":            # ADDR PORT DST:PORT...
    s = sock(sys.argv[2], int(sys.argv[3]))
    for d in sys.argv[4:]:
        h, p = d.rsplit(":", 1)
        s.sendto(b"hello", (h, int(p)))
    s.settimeout(0.5)
    # Until the flow arrives (whatever the NAT let in before it), 20 s
    # at most: a debug kernel under TCG is slow to answer.
    end = time.time() + 20
    while time.time() < end:
        try:
            data, peer = s.recvfrom(2048)
            print("%s:%d" % peer, flush=True)
            if data == b"flow":
                break
        except socket.timeout:
            pass
'

# teredod under test (teredo_client_qualify.sh, teredo_portmap.sh): the
# pid of each device's last one in TD_PID.
declare -A TD_PID=()

# td_start NS DEV [OPTION...]: teredod DEV in NS, log in topo_log td-DEV.
td_start() {
	local ns=$1 dev=$2

	shift 2
	"$IP" netns exec "$ns" "$TEREDOD" "$@" "$dev" \
		>>"$(topo_log "td-$dev")" 2>&1 </dev/null &
	TD_PID[$dev]=$!
}

td_log() {
	cat "$(topo_log "td-$1")" 2>/dev/null
}

# shellcheck disable=SC2317  # called through wait_until
_td_logged() {
	td_log "$1" | grep -qE "$2"
}

# td_wait_log DEV REGEX TIMEOUT_S: 0 once the log has a matching line.
td_wait_log() {
	wait_until "$3" _td_logged "$1" "$2" && return 0
	ktap_info "$1: no log line matching \"$2\" in $3 s; log:"
	ktap_info "$(td_log "$1")"
	return 1
}

# td_signal DEV SIGNAL [SECS]: send it, wait for the exit (20 s, then
# SIGKILL); TD_RC = exit status.
td_signal() {
	local pid=${TD_PID[$1]:-} secs=${3:-20}

	TD_RC=
	[ -n "$pid" ] || return 1
	kill "-$2" "$pid" 2>/dev/null
	if ! _topo_wait_gone "$secs" "$pid"; then
		ktap_info "$1: teredod (pid $pid) still alive $secs s after SIG$2:"
		ktap_info "$(cat "/proc/$pid/stack" 2>/dev/null)"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	TD_RC=$?
	unset "TD_PID[$1]"
}

# shellcheck disable=SC2317  # called at exit
_td_kill_all() {
	local d

	for d in "${!TD_PID[@]}"; do
		kill -KILL "${TD_PID[$d]}" 2>/dev/null
	done
}
at_exit _td_kill_all

# topo_nat_check: 0 when the NAT behaves as a port-restricted cone: the
# same public address and port towards two destinations (endpoint-
# independent mapping), a datagram from a port the client did not talk to
# is dropped and one from the port it did talk to passes.
topo_nat_check() {
	local rc=0

	topo_nat_probe || rc=1
	assert_eq "NAT mapping seen by $TOPO_SRV_IP" "$TOPO_NAT_IP:5000" \
		"$TOPO_PROBE_SRV" || rc=1
	assert_eq "NAT mapping seen by $TOPO_RLY_IP (endpoint-independent)" \
		"$TOPO_PROBE_SRV" "$TOPO_PROBE_RLY" || rc=1
	assert_eq "datagrams let in (port-restricted filtering)" \
		"$TOPO_RLY_IP:7000" "$TOPO_PROBE_SEEN" || rc=1
	return $rc
}

# topo_nat_symmetric: turn $NAT fully-random symmetric (masquerade
# fully-random: a public port per flow) and prove it: 0 when the two
# listeners of topo_nat_probe saw the NAT's address at two ports (from a
# port of its own: the cone's flows may still be in conntrack).
topo_nat_symmetric() {
	local rc=0

	ip netns exec "$NAT" nft flush chain ip topo_nat postrouting &&
		ip netns exec "$NAT" nft add rule ip topo_nat postrouting \
			oifname e0 masquerade fully-random || return 1
	TOPO_PROBE_PORT=5001 topo_nat_probe || rc=1
	assert_eq "NAT address seen by both" "$TOPO_NAT_IP $TOPO_NAT_IP" \
		"${TOPO_PROBE_SRV%:*} ${TOPO_PROBE_RLY%:*}" || rc=1
	assert_ne "NAT mappings seen by $TOPO_SRV_IP and $TOPO_RLY_IP" \
		"$TOPO_PROBE_SRV" "$TOPO_PROBE_RLY" || rc=1
	return $rc
}

# topo_nat_probe: one socket in $CLI (port TOPO_PROBE_PORT, default 5000)
# sends a datagram to $TOPO_SRV_IP:7000 and one to $TOPO_RLY_IP:7000, whose
# listener answers from port 7001 first (a port the client never talked
# to), then from 7000.  TOPO_PROBE_SRV and TOPO_PROBE_RLY: the source each
# listener saw; TOPO_PROBE_SEEN: the sources of what reached the client.
# Another port for a NAT rebuilt since the last probe: the old flows may
# still be in its conntrack table, with their old mappings.
TOPO_PROBE_SRV="" TOPO_PROBE_RLY="" TOPO_PROBE_SEEN=""
topo_nat_probe() {
	local port=${TOPO_PROBE_PORT:-5000} rs=$TOPO_DIR/nat-srv
	local rr=$TOPO_DIR/nat-rly rc=0 pids=()

	rm -f "$rs".* "$rr".*
	"$IP" netns exec "$SRV" timeout 40 python3 -c "$TOPO_PY_UDP" listen \
		"$TOPO_SRV_IP" 7000 "$rs.ready" >"$rs.out" 2>"$rs.err" &
	pids+=($!)
	"$IP" netns exec "$RLY" timeout 40 python3 -c "$TOPO_PY_UDP" listen \
		"$TOPO_RLY_IP" 7000 "$rr.ready" 7001 >"$rr.out" 2>"$rr.err" &
	pids+=($!)
	wait_until 30 test -e "$rs.ready" -a -e "$rr.ready" || {
		ktap_info "NAT check: listeners did not start"
		rc=1
	}
	TOPO_PROBE_SEEN=$(ip netns exec "$CLI" timeout 40 python3 -c \
		"$TOPO_PY_UDP" send "$TOPO_CLI_IP" "$port" "$TOPO_SRV_IP:7000" \
		"$TOPO_RLY_IP:7000")
	wait "${pids[@]}"
	TOPO_PROBE_SRV=$(cat "$rs.out") TOPO_PROBE_RLY=$(cat "$rr.out")
	return $rc
}

# ----------------------------------------------------------- captures

# topo_capture_start NAME [IFACE]: tcpdump of the UDP on IFACE (default
# the "Internet" bridge) in $INET into $TOPO_DIR/rROUND-NAME.pcap; prints
# nothing, waits until tcpdump listens.  topo_capture_file NAME gives the
# file, topo_capture_stop NAME ends it.
topo_capture_start() {
	_topo_capture "$1" "$INET" "${2:-$TOPO_BR4}" udp
}

# topo_lan_capture_start NAME [FILTER]: the same on the router's LAN side
# (i0 in $NAT), what FILTER matches (default the UDP): what the client
# asks of its router (UPnP, NAT-PMP) or sends its neighbours.
topo_lan_capture_start() {
	_topo_capture "$1" "$NAT" i0 "${2:-udp}"
}

# _topo_capture NAME NS IFACE FILTER: see topo_capture_start.
_topo_capture() {
	local name=$1 ns=$2 ifc=$3 filter=$4 f err pid

	f=$(topo_capture_file "$name")
	err=$(topo_log "tcpdump-$name")
	"$IP" netns exec "$ns" tcpdump -i "$ifc" -n -U -Z root -s 0 \
		-w "$f" "$filter" >/dev/null 2>"$err" </dev/null &
	pid=$!
	disown "$pid"
	TOPO_CAP_PIDS[$name]=$pid
	wait_until 60 grep -q "listening on" "$err" || {
		ktap_info "tcpdump did not start: $(cat "$err")"
		return 1
	}
}

topo_capture_file() {
	echo "$TOPO_DIR/r$TOPO_ROUND-$1.pcap"
}

# topo_capture_count NAME FILTER: packets of capture NAME (stopped) that
# tcpdump's FILTER matches.
topo_capture_count() {
	tcpdump -n -r "$(topo_capture_file "$1")" "$2" 2>/dev/null | wc -l
}

# topo_capture_stop NAME: stop it cleanly (SIGTERM: tcpdump completes the
# file; SIGINT is ignored by background commands of a script).
topo_capture_stop() {
	local pid=${TOPO_CAP_PIDS[$1]:-} f size=-1 now same=0 i

	unset "TOPO_CAP_PIDS[$1]"
	[ -n "$pid" ] || return 0
	# Let the last packets reach the socket and tcpdump write them out
	# (-U: one by one).  Under TCG it can be seconds behind, and what it
	# has not read when SIGTERM comes is lost ("received by filter" but
	# not "captured"): wait until the file has not grown for half a
	# second, 5 s at most.
	f=$(topo_capture_file "$1")
	for i in $(seq 50); do
		sleep 0.1
		now=$(stat -c %s "$f" 2>/dev/null || echo 0)
		if [ "$now" = "$size" ]; then
			same=$((same + 1))
			[ "$same" -ge 5 ] && break
		else
			same=0 size=$now
		fi
	done
	kill -TERM "$pid" 2>/dev/null
	_topo_wait_gone 5 "$pid" || kill -KILL "$pid" 2>/dev/null
	return 0
}

# The Teredo decoder: one line per UDP datagram with a payload,
# tab-separated, in the order of TOPO_CAP_KEYS:
#   oi      "IPv4:port" of the origin indication or "-"
#   auth    1 when an authentication header is there
#   ip6*    the inner IPv6 header (RFC 5952 text), "-" when there is none
#   ll6src, ll6dst: 1 when that address is in fe80::/64
#   icmp6   the ICMPv6 type or "-"; bubble: 1 for plen 0 + next header 59
# `pcap FILE` reads tcpdump's file itself: tshark takes 20-30 s to start
# under TCG.  It gives what tshark's 'udp && !icmp' and UDP fields would
# (first occurrence); a frame it is not sure of (IP fragments, tunnels,
# UDP over IPv6, ICMP errors, pcapng...) makes it exit 3 before printing
# anything, and the caller asks tshark.  Without arguments it reads
# tshark's fields on stdin.
TOPO_CAP_KEYS=(src sport dst dport udplen paylen auth oi ip6src ip6dst
	ll6src ll6dst ip6plen nxt hlim icmp6 bubble)
TOPO_PY_CAP='
import ipaddress, struct, sys

LL = ipaddress.IPv6Network("fe80::/64")

def row(src, sport, dst, dport, ulen, p):
    auth, oi, i = "0", "-", 0
    if len(p) >= 13 and p[0] == 0 and p[1] == 1:
        auth = "1"
        i = 4 + p[2] + p[3] + 9
    if len(p) >= i + 8 and p[i] == 0 and p[i + 1] == 0:
        port = int.from_bytes(p[i + 2:i + 4], "big") ^ 0xffff
        ip = ipaddress.IPv4Address(bytes(b ^ 0xff for b in p[i + 4:i + 8]))
        oi = "%s:%d" % (ip, port)
        i += 8
    h = p[i:]
    s6 = d6 = plen = nxt = hlim = icmp6 = "-"
    ll6s = ll6d = bubble = "0"
    if len(h) >= 40 and h[0] >> 4 == 6:
        a, b = ipaddress.IPv6Address(h[8:24]), ipaddress.IPv6Address(h[24:40])
        s6, d6 = str(a), str(b)
        ll6s, ll6d = str(int(a in LL)), str(int(b in LL))
        plen, nxt, hlim = str(int.from_bytes(h[4:6], "big")), str(h[6]), str(h[7])
        if h[6] == 58 and len(h) > 40:
            icmp6 = str(h[40])
        if plen == "0" and h[6] == 59:
            bubble = "1"
    return "\t".join([src, sport, dst, dport, ulen, str(len(p)), auth, oi,
                      s6, d6, ll6s, ll6d, plen, nxt, hlim, icmp6, bubble])

def from_tshark():
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        if len(f) < 6 or not f[5]:
            continue
        src, sport, dst, dport, ulen, hexp = f[:6]
        print(row(src, sport, dst, dport, ulen,
                  bytes.fromhex(hexp.replace(":", ""))))

class Tshark(Exception):
    """A frame only tshark can tell about."""

def inner_ip(p):
    """p, a UDP payload, holds an IPv4/IPv6-in-IPv6 packet: tshark would
    dissect it as Teredo (and find what is inside)."""
    for i in (0, 8, 4 + (p[2] + p[3] + 9 if len(p) >= 4 else 0)):
        for j in (i, i + 8):
            h = p[j:j + 40]
            if len(h) == 40 and h[0] >> 4 == 6 and h[6] in (4, 41):
                return True
    return False

def ipv4(pkt, out):
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        raise Tshark("not IPv4")
    ihl = (pkt[0] & 15) * 4
    tot = struct.unpack(">H", pkt[2:4])[0]
    if ihl < 20 or tot < ihl or tot > len(pkt):
        raise Tshark("IPv4 lengths")
    if struct.unpack(">H", pkt[6:8])[0] & 0x3fff:
        raise Tshark("IPv4 fragment")
    proto, body = pkt[9], pkt[ihl:tot]
    if proto in (1, 2, 6):              # ICMP (!icmp), IGMP, TCP
        return
    if proto != 17:
        raise Tshark("IPv4 protocol %d" % proto)
    if len(body) < 8:
        raise Tshark("short UDP")
    sport, dport, ulen = struct.unpack(">HHH", body[:6])
    if ulen < 8 or ulen > len(body):
        raise Tshark("UDP length")
    p = body[8:ulen]
    if not p:
        return
    if inner_ip(p):
        raise Tshark("IP in Teredo")
    out.append(row(str(ipaddress.IPv4Address(pkt[12:16])), str(sport),
                   str(ipaddress.IPv4Address(pkt[16:20])), str(dport),
                   str(ulen), p))

def ipv6(pkt):
    if len(pkt) < 40 or pkt[0] >> 4 != 6:
        raise Tshark("not IPv6")
    nxt, pos = pkt[6], 40
    while nxt in (0, 43, 60):           # hop-by-hop, routing, dest. options
        if len(pkt) < pos + 8:
            raise Tshark("IPv6 extension header")
        nxt, pos = pkt[pos], pos + (pkt[pos + 1] + 1) * 8
    if nxt in (6, 59):
        return
    # ICMPv6 informational (ND, MLD, echo) holds no UDP; errors quote one.
    if nxt == 58 and len(pkt) > pos and pkt[pos] >= 128:
        return
    raise Tshark("IPv6 next header %d" % nxt)

def frame(link, data, out):
    if link == 1:                       # Ethernet
        if len(data) < 14:
            raise Tshark("short frame")
        etype, data = struct.unpack(">H", data[12:14])[0], data[14:]
    elif link == 113:                   # Linux cooked
        if len(data) < 16:
            raise Tshark("short frame")
        etype, data = struct.unpack(">H", data[14:16])[0], data[16:]
    elif link == 276:                   # Linux cooked v2
        if len(data) < 20:
            raise Tshark("short frame")
        etype, data = struct.unpack(">H", data[0:2])[0], data[20:]
    elif link in (101, 228, 229):       # raw IP
        etype = {4: 0x0800, 6: 0x86dd}.get(data[0] >> 4 if data else 0, 0)
    else:
        raise Tshark("link type %d" % link)
    if etype == 0x0800:
        ipv4(data, out)
    elif etype == 0x86dd:
        ipv6(data)
    elif etype != 0x0806:               # ARP
        raise Tshark("ethertype 0x%04x" % etype)

def from_pcap(path):
    data = open(path, "rb").read()
    if len(data) < 24:
        raise Tshark("no pcap header")
    for end in "<>":
        magic = struct.unpack(end + "I", data[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        raise Tshark("not a pcap file")
    link = struct.unpack(end + "I", data[20:24])[0] & 0xffff
    out, pos = [], 24
    while pos < len(data):
        if pos + 16 > len(data):
            raise Tshark("cut short")
        incl, orig = struct.unpack(end + "II", data[pos + 8:pos + 16])
        pos += 16
        if incl != orig or pos + incl > len(data):
            raise Tshark("truncated frame")
        frame(link, data[pos:pos + incl], out)
        pos += incl
    for line in out:
        print(line)

if sys.argv[1:2] == ["pcap"]:
    try:
        from_pcap(sys.argv[2])
    except Tshark as e:
        print("topo: %s: %s: decoding with tshark" % (sys.argv[2], e),
              file=sys.stderr)
        sys.exit(3)
else:
    from_tshark()
'

# _topo_cap_tsv FILE: decode FILE into FILE.tsv once.  TOPO_CAP_TSHARK=1
# always asks tshark; TOPO_CAP_COMPARE=1 decodes both ways and says when
# they differ (a check of the direct decoder).
_topo_cap_tsv() {
	local f=$1 rc=3

	[ -e "$f.tsv" ] && [ ! "$f" -nt "$f.tsv" ] && return 0
	if [ "${TOPO_CAP_TSHARK:-0}" != 1 ]; then
		python3 -I -S -c "$TOPO_PY_CAP" pcap "$f" > "$f.tsv.new" \
			2>"$f.direct.log"
		rc=$?
	fi
	if [ "$rc" = 3 ] || [ "${TOPO_CAP_COMPARE:-0}" = 1 ]; then
		[ "$rc" = 0 ] && mv -f "$f.tsv.new" "$f.tsv.direct"
		tshark -n -r "$f" -Y 'udp && !icmp' -T fields -E occurrence=f \
			-e ip.src -e udp.srcport -e ip.dst -e udp.dstport \
			-e udp.length -e udp.payload 2>>"$f.tshark.log" |
			python3 -I -S -c "$TOPO_PY_CAP" > "$f.tsv.new"
		rc=$?
		# On stderr: the callers read decoded tables from stdout.
		if [ "${TOPO_CAP_COMPARE:-0}" != 1 ]; then
			:
		elif [ ! -e "$f.tsv.direct" ]; then
			ktap_info "topo: ${f##*/}: the direct decoder declined: $(cat "$f.direct.log")" >&2
		elif cmp -s "$f.tsv.direct" "$f.tsv.new"; then
			ktap_info "topo: ${f##*/}: the direct decoder agrees with tshark ($(wc -l < "$f.tsv.new") datagrams)" >&2
		else
			ktap_info "topo: ${f##*/}: the direct decoder differs from tshark:" >&2
			ktap_info "$(diff "$f.tsv.direct" "$f.tsv.new" | head -20)" >&2
		fi
	fi
	[ "$rc" = 0 ] && mv -f "$f.tsv.new" "$f.tsv"
}

# topo_cap_decode FILE: the decoded table of FILE's UDP datagrams (see
# TOPO_CAP_KEYS).
topo_cap_decode() {
	_topo_cap_tsv "$1" && cat "$1.tsv"
}

# topo_cap_show FILE: one readable line per UDP datagram.
topo_cap_show() {
	local src sport dst dport udplen paylen auth oi ip6src ip6dst ll6src
	local ll6dst ip6plen nxt hlim icmp6 bubble line

	_topo_cap_tsv "$1" || return 1
	# shellcheck disable=SC2034
	while IFS=$'\t' read -r src sport dst dport udplen paylen auth oi \
		ip6src ip6dst ll6src ll6dst ip6plen nxt hlim icmp6 bubble; do
		line="$src:$sport > $dst:$dport len $paylen"
		[ "$auth" = 1 ] && line+=" auth"
		[ "$oi" != - ] && line+=" oi $oi"
		if [ "$ip6src" != - ]; then
			line+=" | $ip6src > $ip6dst hlim $hlim"
			if [ "$bubble" = 1 ]; then
				line+=" bubble"
			elif [ "$icmp6" != - ]; then
				line+=" icmp6 $icmp6"
			else
				line+=" nxt $nxt plen $ip6plen"
			fi
		fi
		echo "$line"
	done < "$1.tsv"
}

# topo_cap_count FILE COND...: how many datagrams match every COND, each
# KEY=VALUE or KEY!=VALUE with KEY one of TOPO_CAP_KEYS (addresses in
# RFC 5952 form, as ip(8) prints them).
topo_cap_count() {
	local f=$1 n=0 line c k v ok i
	local -a fields
	local -A col

	shift
	for i in "${!TOPO_CAP_KEYS[@]}"; do
		col[${TOPO_CAP_KEYS[$i]}]=$i
	done
	for c in "$@"; do
		k=${c%%=*}
		k=${k%!}
		[ -n "${col[$k]:-}" ] || {
			echo "topo_cap_count: bad condition $c" >&2
			return 1
		}
	done
	_topo_cap_tsv "$f" || return 1
	while IFS= read -r line; do
		IFS=$'\t' read -r -a fields <<< "$line"
		ok=1
		for c in "$@"; do
			v=${c#*=}
			k=${c%%=*}
			if [ "${k%!}" != "$k" ]; then
				[ "${fields[${col[${k%!}]}]}" != "$v" ] || ok=0
			else
				[ "${fields[${col[$k]}]}" = "$v" ] || ok=0
			fi
		done
		n=$((n + ok))
	done < "$f.tsv"
	echo "$n"
}

# assert_cap WHAT FILE COND...: at least one datagram matches; else show
# the capture.
assert_cap() {
	local what=$1 f=$2 n

	shift 2
	n=$(topo_cap_count "$f" "$@")
	[ "${n:-0}" -ge 1 ] 2>/dev/null && return 0
	ktap_info "$what: no datagram with $*; capture:"
	ktap_info "$(topo_cap_show "$f")"
	return 1
}

# topo_forge_bubble NS SPOOF TO SRC6 DST6 HEX...: from NS, bubbles to TO
# (IPv4:port) with the forged outer source SPOOF (IPv4:port), from SRC6
# to DST6, one for each HEX (its trailers; "-": none), 0.3 s apart, from
# one process (a raw socket: NS needs no address of SPOOF's).
# shellcheck disable=SC2016
TOPO_PY_FORGE='
import socket, struct, sys, time
spoof, to, src6, dst6 = sys.argv[1:5]
sip, sport = spoof.rsplit(":", 1)
dip, dport = to.rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for t in sys.argv[5:]:
    p = struct.pack("!IHBB", 6 << 28, 0, 59, 0)
    p += socket.inet_pton(socket.AF_INET6, src6)
    p += socket.inet_pton(socket.AF_INET6, dst6)
    if t != "-":
        p += bytes.fromhex(t)
    u = struct.pack("!HHHH", int(sport), int(dport), 8 + len(p), 0) + p
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0, 0, 64, 17,
                     0, socket.inet_aton(sip), socket.inet_aton(dip))
    s.sendto(ip + u, (dip, 0))
    time.sleep(0.3)
'
topo_forge_bubble() {
	local ns=$1

	shift
	ip netns exec "$ns" python3 -I -S -c "$TOPO_PY_FORGE" "$@"
}

# ------------------------------------------------------------ traffic

# topo_ping NS DST [COUNT]: busybox ping (iputils is not installed);
# TOPO_PING_RX = replies, TOPO_PING_OUT = output.  0 when all came back.
topo_ping() {
	local ns=$1 dst=$2 count=${3:-3}

	TOPO_PING_OUT=$(ip netns exec "$ns" timeout $((TOPO_T_PING + 5)) \
		busybox ping -6 -c "$count" -i 0.5 -W 5 -w "$TOPO_T_PING" \
		"$dst" 2>&1)
	TOPO_PING_RX=$(sed -n 's/.* \([0-9]*\) packets received.*/\1/p' \
		<<< "$TOPO_PING_OUT")
	[ "${TOPO_PING_RX:-0}" = "$count" ]
}

# assert_ping WHAT NS DST [COUNT]: every echo request answered, including
# the first one (queued during the bubble exchange).
assert_ping() {
	local what=$1 count=${4:-3}

	topo_ping "$2" "$3" "$count" && return 0
	ktap_info "$what: ${TOPO_PING_RX:-0}/$count replies:"
	ktap_info "$TOPO_PING_OUT"
	return 1
}

_topo_tcp_listening() {
	[ -n "$(ip netns exec "$1" ss -Htln "sport = :$2")" ]
}

# assert_iperf WHAT SRV_NS SRV_ADDR CLI_NS: iperf3 -t 3 from CLI_NS to
# the server SRV_NS listens on SRV_ADDR: no error, bytes > 0 received.
assert_iperf() {
	local what=$1 sns=$2 addr=$3 cns=$4 port=5201 json slog got rc=0

	slog=$(topo_log "iperf3-server-$sns")
	"$IP" netns exec "$sns" timeout "$TOPO_T_IPERF" iperf3 -s -1 -B "$addr" \
		-p "$port" >"$slog" 2>&1 </dev/null &
	local spid=$!
	wait_until 10 _topo_tcp_listening "$sns" "$port" || {
		ktap_info "$what: iperf3 server did not start: $(cat "$slog")"
		kill "$spid" 2>/dev/null
		wait "$spid" 2>/dev/null
		return 1
	}
	json=$(ip netns exec "$cns" timeout "$TOPO_T_IPERF" iperf3 -c "$addr" \
		-p "$port" -t 3 -J --connect-timeout 10000 2>>"$slog") || rc=1
	got=$(json_eval 'd["end"]["sum_received"]["bytes"]' <<< "$json" 2>/dev/null)
	if [ -n "$(json_eval 'd.get("error")' <<< "$json" 2>/dev/null)" ]; then
		ktap_info "$what: iperf3 error: $(json_eval 'd["error"]' <<< "$json")"
		rc=1
	fi
	assert_num "$what: bytes received" "${got:-0}" -gt 0 || rc=1
	[ $rc = 0 ] && ktap_info "$what: $got bytes in 3 s"
	[ $rc = 0 ] || ktap_info "$(head -c 2000 <<< "$json")"
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	return $rc
}

# ---------------------------------------------------------- scenarios

# _topo_wire_checks FILE DESC ICMP_FROM_CLIENT ICMP_TO_CLIENT: what the
# bubble exchange through the relay leaves on the wire (protocol.md §4.5,
# §10.2 rows 10 and 11), 4 results: the relay's indirect bubble (40 B,
# link-local source), the server's relayed bubble with the relay's origin
# indication (48 B), the client's direct bubble (40 B), then ICMPv6 of the
# given types directly between the client's mapping and the relay.
_topo_wire_checks() {
	local f=$1 sc=$2 map="$TOPO_CLI_MAPPED_IP" mp="$TOPO_CLI_MAPPED_PORT"
	local r=$TOPO_RLY_IP p=$TOPO_TEREDO_PORT rc

	assert_cap "indirect bubble" "$f" "src=$r" "sport=$p" \
		"dst=$TOPO_SRV_IP" "dport=$p" paylen=40 bubble=1 oi=- \
		ll6src=1 "ip6dst=$TOPO_CLI_ADDR"
	ktap_result $? "$sc: indirect bubble $r:$p -> $TOPO_SRV_IP:$p, 40 B, from fe80::/64 to the client"

	assert_cap "relayed bubble" "$f" "src=$TOPO_SRV_IP" "sport=$p" \
		"dst=$map" "dport=$mp" paylen=48 bubble=1 "oi=$r:$p" \
		ll6src=1 "ip6dst=$TOPO_CLI_ADDR"
	ktap_result $? "$sc: server relays it to $map:$mp with origin indication $r:$p, 48 B"

	assert_cap "direct bubble" "$f" "src=$map" "sport=$mp" "dst=$r" \
		"dport=$p" paylen=40 bubble=1 oi=- "ip6src=$TOPO_CLI_ADDR" \
		ll6dst=1
	ktap_result $? "$sc: client's direct bubble $map:$mp -> $r:$p, 40 B"

	rc=0
	assert_cap "ICMPv6 client -> relay" "$f" "src=$map" \
		"sport=$mp" "dst=$r" "dport=$p" icmp6="$3" \
		"ip6src=$TOPO_CLI_ADDR" "ip6dst=$TOPO_HOST_IP6" || rc=1
	assert_cap "ICMPv6 relay -> client" "$f" "src=$r" "sport=$p" \
		"dst=$map" "dport=$mp" icmp6="$4" oi=- \
		"ip6src=$TOPO_HOST_IP6" "ip6dst=$TOPO_CLI_ADDR" || rc=1
	ktap_result $rc "$sc: ICMPv6 echo crosses the relay directly both ways"
}

# topo_scenario_outbound: scenario 10, the Miredo client pings the native
# host first, through the relay already set up.  TOPO_OUTBOUND_TESTS
# results.
topo_scenario_outbound() {
	local sc="$TOPO_SC_OUT ($TOPO_RELAY_KIND relay)" f

	f=$(topo_capture_file s10)
	topo_capture_start s10 || ktap_bail "cannot capture"
	assert_ping "client -> native host" "$CLI" "$TOPO_HOST_IP6" 3
	ktap_result $? "$sc: client $TOPO_CLI_ADDR pings $TOPO_HOST_IP6, all answered"
	topo_capture_stop s10

	# The client's echo test goes through its server (protocol.md §4.5).
	assert_cap "echo test" "$f" "src=$TOPO_CLI_MAPPED_IP" \
		"sport=$TOPO_CLI_MAPPED_PORT" "dst=$TOPO_SRV_IP" \
		"dport=$TOPO_TEREDO_PORT" icmp6=128 "ip6src=$TOPO_CLI_ADDR" \
		"ip6dst=$TOPO_HOST_IP6"
	ktap_result $? "$sc: client's echo test to the native host via the server"
	# Client -> relay: echo requests (128); relay -> client: replies (129).
	_topo_wire_checks "$f" "$sc" 128 129
}

# topo_scenario_inbound: scenario 11, the native host pings the Miredo
# client first (fresh topology: nobody knows anybody).  TOPO_INBOUND_TESTS
# results.
topo_scenario_inbound() {
	local sc="$TOPO_SC_IN ($TOPO_RELAY_KIND relay)" f

	f=$(topo_capture_file s11)
	topo_capture_start s11 || ktap_bail "cannot capture"
	assert_ping "native host -> client" "$HOST" "$TOPO_CLI_ADDR" 3
	ktap_result $? "$sc: $TOPO_HOST_IP6 pings client $TOPO_CLI_ADDR, all answered (first one too)"
	topo_capture_stop s11

	# Relay -> client: echo requests (128); client -> relay: replies (129).
	_topo_wire_checks "$f" "$sc" 129 128
}

# topo_check_qualified [PREFIX]: one result, the Miredo client has its
# address from the server, behind the NAT's public address.
topo_check_qualified() {
	local rc=0

	assert_eq "server in the Teredo address" "$TOPO_SRV_IP" \
		"$TOPO_CLI_SERVER" || rc=1
	assert_eq "mapped address in the Teredo address" "$TOPO_NAT_IP" \
		"$TOPO_CLI_MAPPED_IP" || rc=1
	ktap_info "client: $TOPO_CLI_ADDR mapped $TOPO_CLI_MAPPED_IP:$TOPO_CLI_MAPPED_PORT"
	ktap_result $rc "${1:+$1: }Miredo client qualified behind the NAT (mapping $TOPO_NAT_IP)"
}
