#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: a whole Teredo network in network namespaces, inside the VM
# (tools/vm/run.sh --kernel 61 -- bash tools/demo/demo.sh), on the
# topology of selftests/topo.sh:
#
#   server    198.18.0.1 + .2   the Teredo server (Miredo's for now)
#   relay     198.18.0.20       ours: teredo0, mode relay, 2001::/32
#   native    2001:db8:1::30    an IPv6 host, 2001::/32 via the relay
#   client    10.0.0.2          ours: teredo + teredod, behind a
#                               port-restricted NAT (198.18.0.40)
#   client2   10.0.1.2          Miredo, behind another NAT (198.18.0.41);
#                               at the end ours, behind the same router
#                               made a symmetric NAT with miniupnpd
#
# One line per step, "[ NNs] what happened"; the commands a user would
# type run through doc_run/doc_daemon, and Documentation/networking/
# teredo.rst shows exactly those lines (tools/install-test.sh checks it).
# Exits 1 at the first step that fails, with what it saw.
set -u

# shellcheck source-path=SCRIPTDIR source=../../selftests/lib.sh
source "$(dirname "$(readlink -f "$0")")/../../selftests/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../../selftests/topo.sh
source "$TEREDO_SELFTEST_DIR/topo.sh"
# shellcheck source-path=SCRIPTDIR source=../../selftests/upnp.sh
source "$TEREDO_SELFTEST_DIR/upnp.sh"

# teredod and teredoctl from the build, by the names the docs use; ping
# from busybox when iputils is not installed (the guest has none).
DEMO_BIN=""
demo_path() {
	DEMO_BIN=$(mktemp -d /tmp/teredo-demo-bin.XXXXXX) || return 1
	command -v ping >/dev/null || ln -s /bin/busybox "$DEMO_BIN/ping"
	export PATH=$TEREDO_TOP/build/tools:$DEMO_BIN:$PATH
	at_exit "rm -rf $DEMO_BIN"
}

DEMO_T0=$SECONDS
DEMO_STEPS=0

say() {
	printf '[%3ds] %s\n' $((SECONDS - DEMO_T0)) "$*"
}

# Indented blocks of output under a step, one per argument.
show() {
	local block line

	for block in "$@"; do
		while IFS= read -r line; do
			printf '         %s\n' "$line"
		done <<< "$block"
	done
}

fail() {
	printf '[%3ds] FAILED: %s\n' $((SECONDS - DEMO_T0)) "$1"
	shift
	show "$@"
	exit 1
}

ok() {
	DEMO_STEPS=$((DEMO_STEPS + 1))
	say "$@"
}

# doc_run NS "COMMAND": run COMMAND, as teredo.rst writes it, in the
# namespace named by the variable NS (SRV, RLY, HOST, CLI, CLI2).
# Output in DEMO_OUT.
# COMMAND is split into words, without a shell: every process costs
# under TCG.
DEMO_OUT=""
doc_run() {
	local -a argv

	read -r -a argv <<< "$2"
	DEMO_OUT=$(ip netns exec "${!1}" "${argv[@]}" 2>&1)
}

# doc_daemon NS NAME "COMMAND": COMMAND in the background, its output in
# topo_log NAME; topo_down ends it.
doc_daemon() {
	local -a argv

	read -r -a argv <<< "$3"
	_topo_daemon "${!1}" "$2" "${argv[@]}"
}

# ctl_json NS DEV: teredoctl -j show DEV in NS.
ctl_json() {
	ip netns exec "${!1}" teredoctl -j show "$2" 2>/dev/null
}

# jget KEY JSON: a string or number of a one-line JSON object (no Python:
# it starts slowly under TCG).
jget() {
	sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p" <<< "$2"
}

qualified() {
	[ "$(jget state "$(ctl_json "$1" "$2")")" = qualified ]
}

# ping_step NS DST WHAT: 3 echo requests, all answered; the RTTs.
ping_step() {
	local ns=$1 dst=$2 what=$3 rx rtt

	doc_run "$ns" "ping -c 3 $dst"
	# iputils: "3 received", "= 1.8/25.9/54.6/21.7 ms"; busybox:
	# "3 packets received", "= 1.8/25.9/54.6 ms".
	rx=$(sed -n 's/.* \([0-9][0-9]*\) \(packets \)\{0,1\}received.*/\1/p' \
		<<< "$DEMO_OUT")
	rtt=$(sed -n 's/.*= \([0-9.]*\/[0-9.]*\/[0-9.]*\).* ms$/\1/p' \
		<<< "$DEMO_OUT")
	[ "${rx:-0}" = 3 ] || fail "ping $what: ${rx:-0}/3 replies" "$DEMO_OUT"
	ok "ping $what: 3/3, rtt min/avg/max $rtt ms"
}

# --------------------------------------------------------------- server
# The Teredo server on 198.18.0.1 and .2: ours.  It forwards the
# clients' echo tests to the native network, hence forwarding.
DEMO_SERVER="our server (teredo0, mode server)"
demo_server() {
	_topo_sysctl "$SRV" net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.default.accept_ra=0 || return 1
	doc_run SRV "ip link add teredo0 type teredo mode server local 198.18.0.1" &&
		doc_run SRV "ip link set teredo0 up"
}

# ----------------------------------------------------------------- main
modprobe teredo || fail "modprobe teredo"
demo_path || fail "cannot make a work directory"
topo_init
say "teredo demo on $(uname -r): server, relay, native host, two clients behind NATs"
topo_up
topo_site2_up || fail "cannot build the second site"
ok "topology: Internet 198.18.0.0/24, native IPv6 2001:db8:1::/64, two NATs (port-restricted cone)"

demo_server || fail "the Teredo server did not start" "$(cat "$(topo_log srv)")"
ok "server: $DEMO_SERVER on $TOPO_SRV_IP and $TOPO_SRV_IP2, port 3544"

doc_run RLY "ip link add teredo0 type teredo mode relay local 198.18.0.20" ||
	fail "relay device" "$DEMO_OUT"
doc_run RLY "ip link set teredo0 up" || fail "relay up" "$DEMO_OUT"
doc_run RLY "ip -6 route add 2001::/32 dev teredo0" ||
	fail "relay route" "$DEMO_OUT"
ok "relay: teredo0 on $TOPO_RLY_IP:3544, 2001::/32 to the native network"

doc_run CLI "ip link add teredo type teredo server 198.18.0.1" ||
	fail "client device" "$DEMO_OUT"
# Before its helper runs, the device says why it cannot work yet.
status=$(jget status "$(ctl_json CLI teredo)")
[ "$status" = "offline: teredod is not running" ] ||
	fail "teredoctl: the new client device is not offline for lack of teredod" \
		"$(ctl_json CLI teredo)"
ok "client device teredo: $status"
doc_daemon CLI cli "teredod --default-route teredo"
# The Miredo client behind the other NAT qualifies meanwhile.
topo_client2_miredo || fail "the Miredo client did not qualify" \
	"$(cat "$(topo_log cli2)")"
wait_until "$TOPO_T_START" qualified CLI teredo ||
	fail "our client did not qualify" "$(ctl_json CLI teredo)" \
		"$(cat "$(topo_log cli)")"
j=$(ctl_json CLI teredo)
TOPO_CLI_ADDR=$(jget address "$j")
ok "client qualified: $TOPO_CLI_ADDR (NAT $(jget nat "$j"), mapped $(jget mapped "$j"))"
doc_run CLI "teredoctl show teredo"
show "$DEMO_OUT"

ok "Miredo client qualified: $TOPO_CLI2_ADDR (behind $TOPO_NAT2_IP)"

# The client's firewall: the ruleset of teredo.rst's Security section,
# read from it, so that the documented one is the one tested.
awk '/^  table inet teredo_filter/,/^  }$/' \
	"$TEREDO_TOP/Documentation/networking/teredo.rst" |
	sed 's/^  //' > "$TOPO_DIR/teredo.nft"
grep -q 'iifname "teredo" counter drop' "$TOPO_DIR/teredo.nft" ||
	fail "no firewall example in teredo.rst" "$(cat "$TOPO_DIR/teredo.nft")"
out=$(ip netns exec "$CLI" nft -f "$TOPO_DIR/teredo.nft" 2>&1) ||
	fail "nft -f teredo.nft" "$out"
ok "client firewall: teredo.rst's nftables ruleset, default drop on teredo"

ping_step CLI 2001:db8:1::30 "client -> native host 2001:db8:1::30 (via the relay)"
ping_step CLI "$TOPO_CLI2_ADDR" "client -> Miredo client (direct, after bubbles)"
ping_step CLI2 "$TOPO_CLI_ADDR" "Miredo client -> client"

doc_daemon HOST iperf "iperf3 -s -1"
wait_until 10 _topo_tcp_listening "$HOST" 5201 ||
	fail "iperf3 server" "$(cat "$(topo_log iperf)")"
doc_run CLI "iperf3 -c 2001:db8:1::30 -t 3 -f m"
mbit=$(sed -n 's/.* \([0-9.]*\) Mbits\/sec.*receiver.*/\1/p' <<< "$DEMO_OUT")
[ -n "$mbit" ] || fail "iperf3 client -> native host" "$DEMO_OUT"
ok "TCP client -> native host through the relay: $mbit Mbit/s (iperf3, 3 s, under QEMU/TCG)"

# Unsolicited TCP to the client: dropped by its firewall's own drop rule
# (its counter grows), not refused (a reset from its stack: no timeout).
drops() {
	ip netns exec "$CLI" nft list chain inet teredo_filter input |
		sed -n 's/.*iifname "teredo" counter packets \([0-9]*\) .* drop$/\1/p'
}
d0=$(drops)
out=$(ip netns exec "$HOST" timeout 3 bash -c \
	"echo > /dev/tcp/$TOPO_CLI_ADDR/5201" 2>&1)
rc=$?
d1=$(drops)
if [ -z "$d0" ] || [ -z "$d1" ]; then
	fail "no counter on the drop rule" "$(ip netns exec "$CLI" nft list ruleset)"
fi
[ $rc = 124 ] || fail "TCP from the native host to the client was not dropped (exit $rc)" "$out"
[ "$d1" -gt "$d0" ] ||
	fail "the drop rule counted nothing ($d0 -> $d1 packets)" "$out"
ok "firewall: unsolicited TCP from the native host to the client dropped ($((d1 - d0)) SYNs by the drop rule)"

doc_run CLI "teredoctl peers teredo" || fail "teredoctl peers" "$DEMO_OUT"
ok "client's peers (teredoctl peers teredo):"
show "$DEMO_OUT"
doc_run RLY "teredoctl show teredo0" || fail "teredoctl show teredo0" "$DEMO_OUT"
ok "relay (teredoctl show teredo0):"
show "$DEMO_OUT"

# Dormant: teredod again, idle after 3 s this time (default 3600).  The
# client stops refreshing; the next packet wakes it, held by the kernel
# until the server has answered again.
tdpids=$(ip netns pids "$CLI" 2>/dev/null)
for p in $tdpids; do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = teredod ] && kill -TERM "$p"
done
# shellcheck disable=SC2086  # a list of pids
_topo_wait_gone 10 $tdpids || fail "teredod did not stop on SIGTERM"
doc_daemon CLI cli-dormant "teredod --default-route --dormant-after 3 teredo"
dormant() {
	[ "$(jget state "$(ctl_json CLI teredo)")" = dormant ]
}
wait_until 30 dormant ||
	fail "the client did not go dormant after 3 s idle" \
		"$(ctl_json CLI teredo)" "$(cat "$(topo_log cli-dormant)")"
doc_run CLI "teredoctl show teredo"
grep -q "state dormant" <<< "$DEMO_OUT" ||
	fail "teredoctl show does not say dormant" "$DEMO_OUT"
j=$(ctl_json CLI teredo)
[ -n "$(jget address "$j")" ] ||
	fail "the dormant client lost its address" "$j"
held0=$(jget tx_held "$j")
ok "client dormant after 3 s idle (teredod --dormant-after 3): address kept, no refresh (teredoctl show teredo):"
show "$DEMO_OUT"
ping_step CLI 2001:db8:1::30 "client -> native host, waking the dormant client"
j=$(ctl_json CLI teredo)
held=$(jget tx_held "$j")
[ "$(jget state "$j")" = qualified ] ||
	fail "the client is not qualified after the ping" "$j" \
		"$(cat "$(topo_log cli-dormant)")"
[ "${held:-0}" -gt "${held0:-0}" ] ||
	fail "nothing was held while the client woke (tx_held $held0 -> $held)" "$j"
grep -q "woken by traffic" "$(topo_log cli-dormant)" ||
	fail "teredod did not say it was woken" "$(cat "$(topo_log cli-dormant)")"
ok "woken: the first echo request held (tx_held +$((held - held0))) while teredod qualified again; state qualified"

# Behind a symmetric NAT RFC 4380 cannot serve a client; the router's
# UPnP can.  The Miredo client's site becomes a home router that maps
# every new flow to a random port (masquerade fully-random) and runs the
# real miniupnpd; our client there asks it for a mapping of its port.
_topo_kill_ns "$CLI2"
# shellcheck disable=SC2317  # called through wait_until
no_tun() { ! ip -n "$CLI2" link show teredo >/dev/null 2>&1; }
wait_until 10 no_tun || fail "the Miredo client's device stayed"
upnp_nat_rules "$NAT2" "$TOPO_CLI2_IP/24" ||
	fail "the symmetric NAT's nftables"
upnp_stun_start || fail "the STUN responder for miniupnpd" \
	"$(cat "$(topo_log stun)")"
upnp_syslog_sink "$NAT2" || fail "no /dev/log for miniupnpd"
upnp_miniupnpd_start "$NAT2" "$TOPO_CLI2_IP/24" yes ||
	fail "miniupnpd did not start" "$(cat "$(topo_log miniupnpd-yes)")"
ok "client2's router now: a symmetric NAT (a random public port per flow) running miniupnpd (UPnP IGD, NAT-PMP)"
doc_run CLI2 "ip link add teredo type teredo server 198.18.0.1 port 40000" ||
	fail "client2 device" "$DEMO_OUT"
doc_daemon CLI2 cli2-upnp "teredod --port-mapping upnp teredo"
wait_until "$TOPO_T_START" qualified CLI2 teredo ||
	fail "client2 did not qualify through UPnP" "$(ctl_json CLI2 teredo)" \
		"$(cat "$(topo_log cli2-upnp)")"
j=$(ctl_json CLI2 teredo)
if [ "$(jget nat "$j")" != symmetric ] || [ "$(jget portmap "$j")" != upnp ]; then
	fail "client2 is not reported symmetric with a UPnP mapping" "$j"
fi
doc_run CLI2 "teredoctl show teredo"
grep -q "UPnP mapping via $TOPO_NAT2_LAN_IP" <<< "$DEMO_OUT" ||
	fail "teredoctl show does not name the UPnP mapping" "$DEMO_OUT"
ok "client2 behind the symmetric NAT qualified through the router's UPnP: $(jget address "$j") (mapped $(jget mapped "$j"), the address embeds it):"
show "$DEMO_OUT"

say "done: $DEMO_STEPS steps passed in $((SECONDS - DEMO_T0)) s"
# The guest powers off next: tearing the namespaces down one by one
# would only add 15 s under TCG.  After a failure they are (topo.sh saves
# the logs into the results then).
if [ "${DEMO_TEARDOWN:-0}" = 0 ]; then
	_topo_save
	CLEANUP_HOOKS=() NS_LIST=()
fi
