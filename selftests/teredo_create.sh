#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Creating teredo links: each mode with its defaults, what `ip -d link
# show` prints in text and JSON and that the text pastes back, the device
# properties (type, flags, MTU bounds, carrier), several devices at once,
# and that an up device drops and counts what it is given.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

CLIENT_ARGS="server 192.0.2.1"
CLIENT_JSON='{"mode": "client", "server": "192.0.2.1", "server2": "192.0.2.2",
	"port": 0, "refresh": 30, "max-peers": 4096, "ttl": 0}'
RELAY_ARGS="mode relay"
RELAY_JSON='{"mode": "relay", "port": 3544, "max-peers": 4096, "ttl": 0}'
SERVER_ARGS="mode server local 192.0.2.1"
SERVER_JSON='{"mode": "server", "local": "192.0.2.1", "local2": "192.0.2.2",
	"port": 3544, "ttl": 0}'
NAMES=(tc0 tc1 tc2 tc3)

teredo_load
ns_create NS
# Addresses the kernel sockets of relays and servers may bind.
ns_add_addrs "$NS" 192.0.2.1 192.0.2.2 198.51.100.1 ||
	ktap_bail "cannot add addresses"

declare -A CREATED0 DESTROYED0
for n in "${NAMES[@]}"; do
	CREATED0[$n]=$(dmesg_count created "$n")
	DESTROYED0[$n]=$(dmesg_count destroyed "$n")
done

ktap_plan 31

tip() {
	ip -n "$NS" "$@"
}

# round_trip MODE ARGS EXPECTED_JSON: 5 results.
round_trip() {
	local mode=$1 args=$2 want=$3 first text rc
	local -a words

	read -r -a words <<< "$args"
	check_ok "$mode: create with defaults ($args)" \
		tip link add tc0 type teredo "${words[@]}"

	rc=0
	assert_eq "$mode: info_kind" teredo \
		"$(link_get "$NS" tc0 'd["linkinfo"]["info_kind"]')" || rc=1
	assert_info_data "$NS" tc0 "$want" || rc=1
	ktap_result $rc "$mode: ip -d -j link show reports every default"

	first=$(info_data "$NS" tc0)
	text=$(teredo_text_opts "$NS" tc0)
	ktap_info "$mode: ip -d link show: teredo $text"
	assert_eq "$mode: text output" "$first" "$(text_to_json "$text")"
	ktap_result $? "$mode: text output has the same keys and values as JSON"

	read -r -a words <<< "$text"
	tip link del tc0
	check_ok "$mode: re-create from the pasted text output" \
		tip link add tc0 type teredo "${words[@]}"
	assert_eq "$mode: re-created info_data" "$first" "$(info_data "$NS" tc0)"
	ktap_result $? "$mode: re-created device is identical"
	tip link del tc0 2>/dev/null
}

round_trip client "$CLIENT_ARGS" "$CLIENT_JSON"
round_trip relay "$RELAY_ARGS" "$RELAY_JSON"
round_trip server "$SERVER_ARGS" "$SERVER_JSON"

# ------------------------------------------------- device properties
read -r -a args <<< "$CLIENT_ARGS"
tip link add tc0 type teredo "${args[@]}" || ktap_bail "cannot create tc0"

check_eq "link type is none" none "$(link_get "$NS" tc0 'd["link_type"]')"

flags=$(link_get "$NS" tc0 '" ".join(d["flags"])')
rc=0
assert_word "flags" POINTOPOINT "$flags" || rc=1
assert_word "flags" NOARP "$flags" || rc=1
assert_no_word "flags" BROADCAST "$flags" || rc=1
ktap_result $rc "flags POINTOPOINT and NOARP ($flags)"

rc=0
assert_eq "mtu" 1280 "$(link_get "$NS" tc0 'd["mtu"]')" || rc=1
assert_eq "min_mtu" 1280 "$(link_get "$NS" tc0 'd["min_mtu"]')" || rc=1
assert_eq "max_mtu" 65507 "$(link_get "$NS" tc0 'd["max_mtu"]')" || rc=1
ktap_result $rc "mtu 1280, min_mtu 1280, max_mtu 65507"

for bad in 1279 65508; do
	rc=0
	assert_fails_with "mtu" tip link set tc0 mtu "$bad" || rc=1
	assert_eq "mtu after refusal" 1280 "$(link_get "$NS" tc0 'd["mtu"]')" || rc=1
	ktap_result $rc "mtu $bad refused"
done

rc=0
assert_ok tip link set tc0 mtu 1400 || rc=1
assert_eq "mtu" 1400 "$(link_get "$NS" tc0 'd["mtu"]')" || rc=1
ktap_result $rc "mtu 1400 accepted"

rc=0
for good in 65507 1280; do
	assert_ok tip link set tc0 mtu "$good" || rc=1
	assert_eq "mtu" "$good" "$(link_get "$NS" tc0 'd["mtu"]')" || rc=1
done
ktap_result $rc "mtu 65507 and 1280 (the bounds) accepted"

# --------------------------------------------------- several at once
rc=0
assert_ok tip link add tc1 type teredo server 198.51.100.1 || rc=1
assert_ok tip link add tc2 type teredo mode relay local 198.51.100.1 || rc=1
read -r -a args <<< "$SERVER_ARGS"
assert_ok tip link add tc3 type teredo "${args[@]}" || rc=1
ktap_result $rc "four devices at once: two clients, a relay and a server"

rc=0
assert_info_data "$NS" tc0 "$CLIENT_JSON" || rc=1
assert_info_data "$NS" tc1 '{"mode": "client", "server": "198.51.100.1",
	"server2": "198.51.100.2", "port": 0, "refresh": 30,
	"max-peers": 4096, "ttl": 0}' || rc=1
assert_info_data "$NS" tc2 '{"mode": "relay", "local": "198.51.100.1",
	"port": 3544, "max-peers": 4096, "ttl": 0}' || rc=1
assert_info_data "$NS" tc3 "$SERVER_JSON" || rc=1
ktap_result $rc "each device reports its own configuration"

rc=0
assert_ok tip link del tc1 || rc=1
assert_eq "devices left" "$(printf '%s\n' lo tc0 tc2 tc3)" "$(link_names "$NS")" || rc=1
assert_info_data "$NS" tc0 "$CLIENT_JSON" || rc=1
assert_info_data "$NS" tc3 "$SERVER_JSON" || rc=1
ktap_result $rc "deleting one device leaves the others as they were"

# ------------------------------------------------------------ carrier
ns_quiet_ipv6 "$NS" tc0
ns_quiet_ipv6 "$NS" tc2
rc=0
assert_ok tip link set tc0 up || rc=1
flags=$(link_get "$NS" tc0 '" ".join(d["flags"])')
assert_word "client flags" NO-CARRIER "$flags" || rc=1
assert_word "client flags" UP "$flags" || rc=1
assert_no_word "client flags" LOWER_UP "$flags" || rc=1
ktap_result $rc "an up client without helper has NO-CARRIER ($flags)"

rc=0
assert_ok tip link set tc2 up || rc=1
flags=$(link_get "$NS" tc2 '" ".join(d["flags"])')
assert_word "relay flags" LOWER_UP "$flags" || rc=1
assert_no_word "relay flags" NO-CARRIER "$flags" || rc=1
ktap_result $rc "an up relay has carrier ($flags)"

# -------------------------------------------------------------- drops
send_udp6() {
	ip netns exec "$NS" python3 -I -S -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])):
    try:
        s.sendto(b"teredo selftest", (sys.argv[1], 9))
    except OSError as e:
        print("sendto:", e)
' "$@"
}

rc=0
assert_ok tip -6 addr add 2001:db8::1/64 dev tc2 nodad || rc=1
assert_ok tip -6 route add 2001:db8:1::/64 dev tc2 || rc=1
drop0=$(link_stat "$NS" tc2 tx dropped)
pkts0=$(link_stat "$NS" tc2 tx packets)
out=$(send_udp6 2001:db8:1::1 3)
[ -n "$out" ] && ktap_info "$out"
drop1=$(link_stat "$NS" tc2 tx dropped)
pkts1=$(link_stat "$NS" tc2 tx packets)
assert_num "tx_dropped growth" "$((drop1 - drop0))" -ge 3 || rc=1
ktap_result $rc "3 packets sent through the device: tx_dropped $drop0 -> $drop1"
check_num "tx_packets unchanged ($pkts0 -> $pkts1)" "$pkts1" -eq "$pkts0"

# --------------------------------------------------- created/destroyed
for n in tc0 tc2 tc3; do
	tip link del "$n"
done
rc=0
for n in "${NAMES[@]}"; do
	c=$(($(dmesg_count created "$n") - CREATED0[$n]))
	wait_dmesg_count destroyed "$n" $((DESTROYED0[$n] + c)) 5
	d=$(($(dmesg_count destroyed "$n") - DESTROYED0[$n]))
	assert_num "$n created lines" "$c" -ge 1 || rc=1
	assert_eq "$n destroyed lines" "$c" "$d" || rc=1
done
ktap_result $rc "a \"created\" and a \"destroyed\" kernel line for each device"

assert_eq "devices left" lo "$(link_names "$NS")"
ktap_result $? "no device left after deleting them all"

ktap_finish
