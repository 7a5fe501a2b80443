#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An anycast relay farm (teredo.rst, "Scaling a relay: an anycast farm"):
# two relays announce 2001::/32 by BGP through FRR to a router that
# spreads the native hosts' traffic over them (ECMP); a relay whose
# teredo device goes down withdraws its announcement, and the clients'
# flows move to the other relay.
#
#   $HOST 2001:db8:1::30 and ::100-::11f (one "native host" per address)
#     |  br6 2001:db8:1::/64 ($SRV n6 2001:db8:1::1 forwards echo tests)
#   $RTR h6 2001:db8:1::10: bgpd AS 65000, 2001::/32 multipath,
#     |          |          fib_multipath_hash_policy 3 (addresses only)
#    r1 ::11:1  r2 ::12:1
#     |          |
#   $RLY n6     $RLY2 n6    bgpd AS 65001 each: 2001::/32 redistributed
#   ::11:2      ::12:2      from the kernel route "2001::/32 dev teredo0"
#   teredo0     teredo0     (mode relay), which goes with the device
#   198.18.0.20 198.18.0.21 unicast IPv4 each, on the "Internet" br0
#     |          |
#   br0: $SRV (our server, 198.18.0.1), $NAT -> $CLI, $NAT2 -> $CLI2
#   (port-restricted cone NATs, our clients with teredod)
#
# The router hashes on the IPv6 addresses alone, so a (native host,
# client) pair stays on one relay: the client trusts each native peer
# through the one relay its echo test came back through.  The script
# learns which relay each pair takes (a UDP probe per pair, recorded and
# dropped by nft in the router's forward path) and picks host addresses
# so that client 1 is reached through both relays and client 2 through
# relay 1 only.  Flows, all iputils ping with timestamps:
#   P1 host Ha -> client 1, through relay 1
#   P2 host Hb -> client 1, through relay 2 (must not notice the failover)
#   P3 host Hc -> client 2, through relay 1 (relay 2 has never seen it)
#   P4 client 1 -> host Hd, through relay 1 (the client's choice)
# Then relay 1's teredo0 goes down: the router must drop to one nexthop,
# no packet for 2001::/32 may reach relay 1 after that (nft counter on its
# n6), and each flow must come back through relay 2; the times are printed.
# Last, relay 1 comes back and gets its share again.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source-path=SCRIPTDIR source=topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"

CTL=$TEREDO_TOP/build/tools/teredoctl
FRR=/usr/lib/frr
DEV=teredo0
RLY2_IP=198.18.0.21
RTR_IP6=2001:db8:1::10
# Time limits, seconds.
T_BGP=${FARM_T_BGP:-60}		# sessions up, both routes in the FIB
T_FAIL=${FARM_T_FAIL:-30}	# a flow back after the failover
T_LAPSE=${FARM_T_LAPSE:-50}	# a client's own flow back (trust lapse)

teredo_load
topo_init
[ -x "$CTL" ] || ktap_skip_all "teredoctl not built"
for t in "$FRR/zebra" "$FRR/bgpd" vtysh ping nft; do
	command -v "$t" >/dev/null || ktap_skip_all "$t not found"
done
[[ $(ping -V 2>&1) == *iputils* ]] || ktap_skip_all "ping is not iputils'"
getent passwd frr >/dev/null || ktap_skip_all "no user frr"
ktap_plan 20

# ------------------------------------------------------------ topology

RTR="" RLY2=""
topo_up
topo_site2_up || ktap_bail "cannot build the second site"
_topo_ns_create RTR RLY2 || ktap_bail "cannot create the namespaces"
# shellcheck disable=SC2016  # expanded at exit
at_exit '_topo_kill_ns "$RTR" "$RLY2"'

HOSTS=()
host_addrs=""
for i in $(seq 256 287); do
	HOSTS+=("2001:db8:1::$(printf %x "$i")")
	host_addrs+="addr add ${HOSTS[-1]}/64 dev n6 nodad"$'\n'
done

# Relay 1 ($RLY) leaves br6: both relays sit behind the router.
_topo_batch "$INET" <<-EOF || ktap_bail "cannot rewire INET"
link del w-rly
link add v-rly2 type veth peer name e0 netns $RLY2
link set v-rly2 master $TOPO_BR4 up
link add w-rtr type veth peer name h6 netns $RTR
link set w-rtr master $TOPO_BR6 up
EOF
_topo_batch "$RTR" <<-EOF || ktap_bail "cannot build the router"
link set lo up
link set h6 up
addr add $RTR_IP6/64 dev h6 nodad
link add r1 type veth peer name n6 netns $RLY
link add r2 type veth peer name n6 netns $RLY2
addr add 2001:db8:11::1/64 dev r1 nodad
addr add 2001:db8:12::1/64 dev r2 nodad
link set r1 up
link set r2 up
EOF
_topo_batch "$RLY" <<-EOF || ktap_bail "cannot build relay 1"
link set n6 up
addr add 2001:db8:11::2/64 dev n6 nodad
route add 2001:db8::/32 via 2001:db8:11::1
EOF
topo_e0_up "$RLY2" "$RLY2_IP/24" "" \
	"link set n6 up" \
	"addr add 2001:db8:12::2/64 dev n6 nodad" \
	"route add 2001:db8::/32 via 2001:db8:12::1" ||
	ktap_bail "cannot build relay 2"
_topo_batch "$HOST" <<-EOF || ktap_bail "cannot readdress the host"
route replace 2001::/32 via $RTR_IP6
$host_addrs
EOF
_topo_sysctl "$RTR" net.ipv6.conf.all.forwarding=1 \
	net.ipv6.fib_multipath_hash_policy=3 \
	net.ipv6.fib_multipath_hash_fields=0x0003 ||
	ktap_bail "router sysctls"
_topo_sysctl "$RLY2" net.ipv6.conf.all.forwarding=1 || ktap_bail "relay 2 sysctl"

# The router's record of where it sent the probes (see "via" below).
ip netns exec "$RTR" nft -f - <<-'EOF' || ktap_bail "nft on the router"
table ip6 farm {
	set via_r1 {
		type ipv6_addr . ipv6_addr
		flags dynamic
	}
	set via_r2 {
		type ipv6_addr . ipv6_addr
		flags dynamic
	}
	chain probes {
		type filter hook forward priority filter; policy accept;
		udp dport 9 oifname "r1" add @via_r1 { ip6 saddr . ip6 daddr } drop
		udp dport 9 oifname "r2" add @via_r2 { ip6 saddr . ip6 daddr } drop
	}
}
EOF

# Packets for Teredo clients that reach relay 1 from the router.
ip netns exec "$RLY" nft -f - <<-'EOF' || ktap_bail "nft on relay 1"
table ip6 farm {
	chain pre {
		type filter hook prerouting priority raw; policy accept;
		iifname "n6" ip6 daddr 2001::/32 counter
	}
}
EOF

# r1_counted: the packets relay 1's counter has seen.
r1_counted() {
	local out re='counter packets ([0-9]+)'

	out=$(ip netns exec "$RLY" nft list chain ip6 farm pre)
	[[ $out =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

# ------------------------------------------------------------- relays

# route_up NS: teredo0 up and the route that makes zebra (redistribute
# kernel) announce 2001::/32.
route_up() {
	_topo_batch "$1" <<-EOF
	link set $DEV up
	route add 2001::/32 dev $DEV
	EOF
}

# relay_up NS IP: teredo0, mode relay, on IP:3544, and its route.
relay_up() {
	local ns=$1

	ip -n "$ns" link add "$DEV" type teredo mode relay local "$2" \
		port "$TOPO_TEREDO_PORT" || return 1
	_topo_sysctl "$ns" "net.ipv6.conf.$DEV.accept_ra=0" \
		"net.ipv6.conf.$DEV.router_solicitations=0" \
		"net.ipv6.conf.$DEV.addr_gen_mode=1" || return 1
	route_up "$ns"
}

rc=0
relay_up "$RLY" "$TOPO_RLY_IP" || rc=1
relay_up "$RLY2" "$RLY2_IP" || rc=1
for ns in "$RLY" "$RLY2"; do
	assert_contains "2001::/32 in $ns" "dev $DEV" \
		"$(ip -n "$ns" -6 route show 2001::/32)" || rc=1
done
ktap_info "[$SECONDS s] topology"
ktap_result $rc "relays: $DEV on $TOPO_RLY_IP and $RLY2_IP:$TOPO_TEREDO_PORT, 2001::/32 dev $DEV on each"

topo_server_ours || ktap_bail "our server did not start"

# ---------------------------------------------------------------- FRR

# The daemons run as user frr: their files live in a directory of its own.
frr_dir() {
	echo "$TOPO_DIR/frr-$1"
}

# frr_conf NAME BGPD_CONF: the configuration files of NAME.
frr_conf() {
	local d

	d=$(frr_dir "$1")
	mkdir -p "$d" && chown frr:frr "$d" || return 1
	printf 'hostname %s\n' "$1" > "$d/zebra.conf"
	printf '%s\n' "$2" "${FARM_BGPD_DEBUG:-}" > "$d/bgpd.conf"
	# FARM_ZEBRA_DEBUG, FARM_BGPD_DEBUG: more lines, e.g. "debug zebra rib".
	if [ -n "${FARM_ZEBRA_DEBUG:-}" ]; then
		printf '%s\n' "$FARM_ZEBRA_DEBUG" >> "$d/zebra.conf"
	fi
}

# frr_start NS NAME DAEMON: zebra or bgpd of NAME in NS, in the
# foreground (no systemd, no watchfrr), its log in topo_log NAME-DAEMON.
frr_start() {
	local d

	d=$(frr_dir "$2")
	_topo_daemon "$1" "$2-$3" "$FRR/$3" -f "$d/$3.conf" -i "$d/$3.pid" \
		-z "$d/zserv.api" --vty_socket "$d" -P 0 --log stdout
}

# vty NAME CMD: a vtysh command to NAME's daemons.
vty() {
	local ns

	case $1 in
	rtr) ns=$RTR ;;
	r1) ns=$RLY ;;
	r2) ns=$RLY2 ;;
	esac
	ip netns exec "$ns" vtysh --vty_socket "$(frr_dir "$1")" -c "$2"
}

# The router: both relays in one peer group, 2001::/32 alone taken from
# them, nothing sent to them, up to 8 equal paths installed.
BGPD_RTR="hostname rtr
router bgp 65000
 bgp router-id 10.255.0.1
 no bgp default ipv4-unicast
 timers bgp 3 9
 neighbor RELAYS peer-group
 neighbor RELAYS remote-as 65001
 neighbor RELAYS timers connect 1
 neighbor RELAYS advertisement-interval 0
 neighbor 2001:db8:11::2 peer-group RELAYS
 neighbor 2001:db8:12::2 peer-group RELAYS
 address-family ipv6 unicast
  maximum-paths 8
  neighbor RELAYS activate
  neighbor RELAYS route-map TEREDO in
  neighbor RELAYS route-map NOTHING out
 exit-address-family
ipv6 prefix-list TEREDO seq 5 permit 2001::/32
route-map TEREDO permit 10
 match ipv6 address prefix-list TEREDO
route-map NOTHING deny 10"

# bgpd_relay N: relay N announces the kernel's 2001::/32 (there while
# teredo0 is up), and only that.
bgpd_relay() {
	echo "hostname r$1
router bgp 65001
 bgp router-id 10.255.0.1$1
 no bgp default ipv4-unicast
 timers bgp 3 9
 neighbor 2001:db8:1$1::1 remote-as 65000
 neighbor 2001:db8:1$1::1 timers connect 1
 neighbor 2001:db8:1$1::1 advertisement-interval 0
 address-family ipv6 unicast
  redistribute kernel route-map TEREDO
  neighbor 2001:db8:1$1::1 activate
  neighbor 2001:db8:1$1::1 route-map TEREDO out
  neighbor 2001:db8:1$1::1 route-map NOTHING in
 exit-address-family
ipv6 prefix-list TEREDO seq 5 permit 2001::/32
route-map TEREDO permit 10
 match ipv6 address prefix-list TEREDO
route-map NOTHING deny 10"
}

rc=0
frr_conf rtr "$BGPD_RTR" || rc=1
frr_conf r1 "$(bgpd_relay 1)" || rc=1
frr_conf r2 "$(bgpd_relay 2)" || rc=1
# zebra everywhere first (bgpd connects to it), each up once its socket
# is there, then bgpd.
for d in zebra:zserv.api bgpd:bgpd.vty; do
	frr_start "$RTR" rtr "${d%:*}"
	frr_start "$RLY" r1 "${d%:*}"
	frr_start "$RLY2" r2 "${d%:*}"
	for n in rtr r1 r2; do
		wait_until 30 test -S "$(frr_dir $n)/${d#*:}" || {
			ktap_info "${d%:*} of $n did not start: $(cat "$(topo_log "$n-${d%:*}")")"
			rc=1
		}
	done
done
ktap_info "[$SECONDS s] FRR started"
ktap_result $rc "FRR $("$FRR/bgpd" -v | sed -n '1s/.*version //p'): zebra and bgpd in the router and in each relay"

# established NAME PEER: NAME's session with PEER is up.  pfx=SENT/RCVD
# prefixes in BGP_PFX.
BGP_PFX=""
established() {
	local out re

	out=$(vty "$1" "show bgp ipv6 unicast summary json" 2>/dev/null)
	re="\"$2\":[^}]*\"pfxRcd\":([0-9]+),[^}]*\"pfxSnt\":([0-9]+),[^}]*\"state\":\"Established\""
	out=${out//$'\n'/}
	out=${out// /}
	[[ $out =~ $re ]] || return 1
	BGP_PFX="${BASH_REMATCH[2]}/${BASH_REMATCH[1]}"
}

# nexthops: "N DEV..." of the router's 2001::/32 in the kernel: how many
# nexthops, then the devices in order (r1 before r2).
nexthops() {
	local out n=0 devs="" d re='dev (r[0-9])'
	local -A seen=()

	out=$(ip -n "$RTR" -6 route show 2001::/32)
	while [[ $out =~ $re ]]; do
		n=$((n + 1))
		seen[${BASH_REMATCH[1]}]=1
		out=${out#*"${BASH_REMATCH[0]}"}
	done
	for d in r1 r2; do
		[ -n "${seen[$d]:-}" ] && devs+=" $d"
	done
	echo "$n$devs"
}

# shellcheck disable=SC2317  # called through wait_until
nexthops_are() {
	[ "$(nexthops)" = "$*" ]
}

# announcing NAME PEER: established, 2001::/32 sent, nothing taken.
# shellcheck disable=SC2317  # called through wait_until
announcing() {
	established "$@" && [ "$BGP_PFX" = 1/0 ]
}

rc=0
for n in 1 2; do
	if wait_until "$T_BGP" announcing "r$n" "2001:db8:1$n::1"; then
		:
	elif established "r$n" "2001:db8:1$n::1"; then
		assert_eq "r$n: prefixes sent/received" 1/0 "$BGP_PFX" || rc=1
	else
		ktap_info "r$n: no established session: $(vty "r$n" "show bgp ipv6 unicast summary")"
		rc=1
	fi
done
ktap_info "[$SECONDS s] sessions"
ktap_result $rc "BGP: both relays' sessions Established, each sends 2001::/32 and takes nothing"

rc=0
if ! wait_until "$T_BGP" nexthops_are 2 r1 r2; then
	ktap_info "router: $(nexthops); $(ip -n "$RTR" -6 route show 2001::/32)"
	ktap_info "$(vty rtr "show bgp ipv6 unicast 2001::/32")"
	rc=1
fi
assert_contains "router's route" "proto bgp" \
	"$(ip -n "$RTR" -6 route show 2001::/32)" || rc=1
ktap_result $rc "router: 2001::/32 from BGP with 2 nexthops, r1 and r2 (ECMP)"
ktap_info "$(ip -n "$RTR" -6 route show 2001::/32)"
ktap_info "[$SECONDS s] BGP up"

# ------------------------------------------------------------ clients

topo_client_ours || ktap_bail "client 1 did not qualify"
C1=$TOPO_CLI_ADDR
topo_client2_ours || ktap_bail "client 2 did not qualify"
C2=$TOPO_CLI2_ADDR
ktap_info "[$SECONDS s] clients"
assert_ne "client addresses" "$C1" "$C2"
ktap_result $? "clients qualified behind their NATs: $C1, $C2"

# Which relay the router sends each (host address, client) pair to:
# one UDP probe to port 9 per pair, which the router's nft records in
# the set of the interface its route chose, and drops.  (`ip route get
# ... iif` does not always answer what forwarding does under hash policy
# 3: asked, not predicted.)
ip netns exec "$HOST" python3 -I -S -c '
import socket, sys
for h in sys.argv[2:]:
    for c in sys.argv[1].split(","):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind((h, 0))
        s.sendto(b"probe", (c, 9))
        s.close()
' "$C1,$C2" "${HOSTS[@]}"
sleep 0.5
set_r1=$(ip netns exec "$RTR" nft list set ip6 farm via_r1)
set_r2=$(ip netns exec "$RTR" nft list set ip6 farm via_r2)
set_r1=" ${set_r1//[$'\n\t{},']/ } "
set_r2=" ${set_r2//[$'\n\t{},']/ } "
set_r1=${set_r1//  / }
set_r2=${set_r2//  / }

# via VAR H C: the relay the pair takes into VAR, r1 or r2 ("-": the
# probe was lost, "both": it was seen twice).  No subshell: 64 pairs.
via() {
	local a=0 b=0 v=-

	[[ $set_r1 == *" $2 . $3 "* ]] && a=1
	[[ $set_r2 == *" $2 . $3 "* ]] && b=1
	case $a$b in
	10) v=r1 ;;
	01) v=r2 ;;
	11) v=both ;;
	esac
	printf -v "$1" '%s' "$v"
}

HA="" HB="" HC="" HD="" n1=0 n2=0 bad=0 v1="" v2=""
for h in "${HOSTS[@]}"; do
	via v1 "$h" "$C1"
	via v2 "$h" "$C2"
	case $v1 in
	r1) n1=$((n1 + 1))
	    if [ -z "$HA" ]; then HA=$h; elif [ -z "$HD" ]; then HD=$h; fi ;;
	r2) [ -z "$HB" ] && HB=$h ;;
	*) bad=$((bad + 1)) ;;
	esac
	case $v2 in
	r1) n2=$((n2 + 1))
	    [ -z "$HC" ] && HC=$h ;;
	r2) ;;
	*) bad=$((bad + 1)) ;;
	esac
done
rc=0
assert_num "probes seen by neither or both interfaces" "$bad" -eq 0 || rc=1
for v in HA HB HC HD; do
	assert_ne "host address $v" "" "${!v}" || rc=1
done
ktap_info "router's hashing: client 1 through r1 from $n1 of ${#HOSTS[@]} host addresses, client 2 from $n2"
ktap_info "P1 $HA -> client 1 (r1), P2 $HB -> client 1 (r2), P3 $HC -> client 2 (r1), P4 client 1 -> $HD (r1)"
ktap_result $rc "router's hashing spreads (host, client) pairs over both relays"
[ $rc = 0 ] || ktap_bail "no pairs to test with"

# ------------------------------------------------------------ traffic

# In TOPO_DIR, so that topo_down keeps them with the results.
LOGS=$TOPO_DIR
# flow NAME NS SRC DST: ping every 0.2 s with timestamps, until the end.
flow() {
	"$IP" netns exec "$2" ping -6 -n -D -O -i 0.2 -W 2 -I "$3" "$4" \
		> "$LOGS/$1-ping.log" 2>&1 &
	disown $!
}

# replied NAME: the flow has had a reply.
# shellcheck disable=SC2317  # called through wait_until
replied() {
	grep -q 'bytes from' "$LOGS/$1-ping.log"
}

# first_reply NAME T: time (s since the epoch) of the first reply after T.
first_reply() {
	awk -v t="$2" '/bytes from/ && !/DUP/ {
		ts = substr($1, 2, length($1) - 2)
		if (ts + 0 > t + 0) { print ts; exit }
	}' "$LOGS/$1-ping.log"
}

# replied_after NAME T
# shellcheck disable=SC2317  # called through wait_until
replied_after() {
	[ -n "$(first_reply "$1" "$2")" ]
}

# ms A B: B - A in ms, A and B in s since the epoch.
ms() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 + 0.5 }'
}

# lost NAME FROM TO: echo requests unanswered among those answered in
# [FROM, TO] (sequence numbers missing between the first and the last).
lost() {
	awk -v a="$2" -v b="$3" '/bytes from/ && !/DUP/ {
		ts = substr($1, 2, length($1) - 2) + 0
		if (ts < a || ts > b) next
		s = $0; sub(/.*icmp_seq=/, "", s); s = s + 0
		if (!n++ || s < lo) lo = s
		if (s > hi) hi = s
	}
	END { print n ? hi - lo + 1 - n : -1 }' "$LOGS/$1-ping.log"
}

# stats NS: "rx tx" packets of teredo0 in NS.
stats() {
	local j rx tx

	j=$(ip -n "$1" -s -j link show dev "$DEV")
	json_stat rx "$j" rx packets
	json_stat tx "$j" tx packets
	echo "$rx $tx"
}

# peer NS DEV ADDR: "mapped trusted" of ADDR in DEV's peer table, or "-".
peer() {
	ip netns exec "$1" "$CTL" peers "$2" |
		awk -v a="$3" '$1 == a { print $2, $3; f = 1 } END { if (!f) print "-" }'
}

read -r r1rx0 r1tx0 <<< "$(stats "$RLY")"
read -r r2rx0 r2tx0 <<< "$(stats "$RLY2")"
flow p1 "$HOST" "$HA" "$C1"
flow p2 "$HOST" "$HB" "$C1"
flow p3 "$HOST" "$HC" "$C2"
flow p4 "$CLI" "$C1" "$HD"
rc=0
for f in p1 p2 p3 p4; do
	wait_until 60 replied "$f" || {
		ktap_info "$f: no reply: $(tail -5 "$LOGS/$f-ping.log")"
		rc=1
	}
done
ktap_info "[$SECONDS s] flows"
ktap_result $rc "P1-P4 answered through the farm"
# A few more rounds for the counters.
sleep 2

read -r r1rx r1tx <<< "$(stats "$RLY")"
read -r r2rx r2tx <<< "$(stats "$RLY2")"
ktap_info "[$SECONDS s] $(ip -n "$RTR" -6 neigh; ip -n "$RTR" -6 route show 2001::/32)"
ktap_info "relay 1: rx $((r1rx - r1rx0)) tx $((r1tx - r1tx0)) packets; relay 2: rx $((r2rx - r2rx0)) tx $((r2tx - r2tx0))"
rc=0
assert_num "relay 1 rx" $((r1rx - r1rx0)) -ge 5 || rc=1
assert_num "relay 1 tx" $((r1tx - r1tx0)) -ge 5 || rc=1
assert_num "relay 2 rx" $((r2rx - r2rx0)) -ge 5 || rc=1
assert_num "relay 2 tx" $((r2tx - r2tx0)) -ge 5 || rc=1
ktap_result $rc "traffic crosses both relays (teredo0 rx and tx packets rise on each)"

rc=0
assert_eq "relay 1: client 1" \
	"$TOPO_CLI_MAPPED_IP:$TOPO_CLI_MAPPED_PORT yes" \
	"$(peer "$RLY" "$DEV" "$C1")" || rc=1
assert_eq "relay 1: client 2 trusted" yes \
	"$(peer "$RLY" "$DEV" "$C2" | cut -d' ' -f2)" || rc=1
assert_eq "relay 2: client 1 trusted" yes \
	"$(peer "$RLY2" "$DEV" "$C1" | cut -d' ' -f2)" || rc=1
assert_eq "relay 2: client 2" - "$(peer "$RLY2" "$DEV" "$C2")" || rc=1
ktap_result $rc "relays' peer tables follow the hashing: relay 1 trusts both clients, relay 2 client 1 only"

R1=$TOPO_RLY_IP:$TOPO_TEREDO_PORT
R2=$RLY2_IP:$TOPO_TEREDO_PORT
rc=0
assert_eq "client 1: $HA" "$R1 yes" "$(peer "$CLI" teredo "$HA")" || rc=1
assert_eq "client 1: $HB" "$R2 yes" "$(peer "$CLI" teredo "$HB")" || rc=1
assert_eq "client 1: $HD" "$R1 yes" "$(peer "$CLI" teredo "$HD")" || rc=1
assert_eq "client 2: $HC" "$R1 yes" "$(peer "$CLI2" teredo "$HC")" || rc=1
ktap_result $rc "clients trust each native host through the relay its traffic came through"

# ----------------------------------------------------------- failover

MON=$LOGS/monitor.log
"$IP" -n "$RTR" -ts -6 monitor route > "$MON" 2>&1 &
mon=$!
disown $mon
sleep 1
c_down=$(r1_counted)
t_down=$EPOCHREALTIME
ip -n "$RLY" link set "$DEV" down
rc=0
wait_until "$T_FAIL" nexthops_are 1 r2 || {
	ktap_info "router: $(nexthops); $(ip -n "$RTR" -6 route show 2001::/32)"
	rc=1
}
c_wd=$(r1_counted)
ktap_result $rc "relay 1's $DEV down: the router's 2001::/32 has one nexthop, r2"

# The withdrawal as the router's kernel reported it.
t_wd=$(awk '!/Deleted/ && / 2001::\/32 / && /dev r2/ && !/dev r1/ {
	print substr($1, 2, length($1) - 2); exit }' "$MON")
if [ -n "$t_wd" ]; then
	t_wd=$(date -d "${t_wd/T/ }" +%s.%6N)
else
	ktap_info "no withdrawal in the monitor: $(cat "$MON")"
	t_wd=$EPOCHREALTIME
fi
ktap_info "withdrawal: $(ms "$t_down" "$t_wd") ms from $DEV down to the router's FIB; relay 1 got $((c_wd - c_down)) packets for 2001::/32 meanwhile"

rc=0
established r1 2001:db8:11::1 || { ktap_info "r1: session down"; rc=1; }
assert_eq "r1: prefixes sent/received" 0/0 "$BGP_PFX" || rc=1
ktap_result $rc "relay 1 withdrew 2001::/32, its BGP session stays Established"

for f in p1 p3; do
	wait_until "$T_FAIL" replied_after "$f" "$t_wd"
done
t1=$(first_reply p1 "$t_wd")
t3=$(first_reply p3 "$t_wd")
rc=0
assert_ne "P1 reply after the withdrawal" "" "$t1" || rc=1
[ -n "$t1" ] && ktap_info "P1 (relay 2 already trusted client 1): first reply $(ms "$t_down" "$t1") ms after $DEV down, $(ms "$t_wd" "$t1") ms after the withdrawal"
ktap_result $rc "P1 back through relay 2, which trusted client 1 already"
rc=0
assert_ne "P3 reply after the withdrawal" "" "$t3" || rc=1
[ -n "$t3" ] && ktap_info "P3 (relay 2 new to client 2): first reply $(ms "$t_down" "$t3") ms after $DEV down, $(ms "$t_wd" "$t3") ms after the withdrawal"
ktap_result $rc "P3 back through relay 2, after its bubbles to client 2"

rc=0
assert_eq "relay 2: client 2 trusted" yes \
	"$(peer "$RLY2" "$DEV" "$C2" | cut -d' ' -f2)" || rc=1
assert_eq "client 1: $HA" "$R2 yes" "$(peer "$CLI" teredo "$HA")" || rc=1
assert_eq "client 2: $HC" "$R2 yes" "$(peer "$CLI2" teredo "$HC")" || rc=1
ktap_result $rc "clients moved their native peers to relay 2 (echo test), relay 2 trusts client 2"

# The client's own flow: its packets go to relay 1 until the trust in
# $HD lapses (30 s without a packet from it), then a new echo test finds
# relay 2.
wait_until "$T_LAPSE" replied_after p4 "$t_wd"
t4=$(first_reply p4 "$t_wd")
rc=0
assert_ne "P4 reply after the withdrawal" "" "$t4" || rc=1
[ -n "$t4" ] && ktap_info "P4 (client 1's own flow): first reply $(ms "$t_down" "$t4") ms after $DEV down"
assert_eq "client 1: $HD" "$R2 yes" "$(peer "$CLI" teredo "$HD")" || rc=1
ktap_result $rc "P4, client 1 -> $HD, back through relay 2 once its trust in relay 1 lapsed"

t_end=$EPOCHREALTIME
c_end=$(r1_counted)
rc=0
assert_num "packets for 2001::/32 at relay 1 after the withdrawal" \
	$((c_end - c_wd)) -eq 0 || rc=1
assert_num "relay 1's counter before the failover" "$c_down" -gt 0 || rc=1
ktap_result $rc "no packet for 2001::/32 reached relay 1 after the withdrawal ($c_down before it went down)"

n=$(lost p2 "$t_down" "$t_end")
rc=0
assert_num "P2 replies lost during the failover" "$n" -le 1 || rc=1
assert_num "P2 replies lost (-1: none at all)" "$n" -ge 0 || rc=1
ktap_result $rc "P2 (through relay 2) carried on: $n echo lost over $(ms "$t_down" "$t_end") ms"

# ------------------------------------------------------- relay 1 back

read -r r1rx0 r1tx0 <<< "$(stats "$RLY")"
t_up=$EPOCHREALTIME
route_up "$RLY"
rc=0
wait_until "$T_FAIL" nexthops_are 2 r1 r2 || {
	ktap_info "router: $(nexthops)"
	rc=1
}
t_back=$EPOCHREALTIME
ktap_info "relay 1 back in the router's FIB within $(ms "$t_up" "$t_back") ms"
ktap_result $rc "relay 1 up again: the router has both nexthops"

wait_until "$T_FAIL" replied_after p1 "$t_back"
wait_until "$T_FAIL" replied_after p3 "$t_back"
# trusts_via NS ADDR RELAY: the client in NS trusts ADDR through RELAY.
# shellcheck disable=SC2317  # called through wait_until
trusts_via() {
	[ "$(peer "$1" teredo "$2")" = "$3 yes" ]
}
wait_until "$T_FAIL" trusts_via "$CLI" "$HA" "$R1"
read -r r1rx r1tx <<< "$(stats "$RLY")"
rc=0
assert_num "relay 1 tx since it came back" $((r1tx - r1tx0)) -ge 3 || rc=1
assert_eq "client 1: $HA" "$R1 yes" "$(peer "$CLI" teredo "$HA")" || rc=1
ktap_result $rc "P1 and P3 return to relay 1 (tx $((r1tx - r1tx0)) packets), client 1 trusts $HA through it again"

kill "$mon" 2>/dev/null
ktap_finish
