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
	"port": 0, "refresh": 30, "max-peers": 4096, "ttl": 0,
	"hold-limit": 16777216}'
RELAY_ARGS="mode relay"
RELAY_JSON='{"mode": "relay", "port": 3544, "max-peers": 4096, "ttl": 0,
	"hold-limit": 16777216}'
SERVER_ARGS="mode server local 192.0.2.1"
SERVER_JSON='{"mode": "server", "local": "192.0.2.1", "local2": "192.0.2.2",
	"port": 3544, "max-peers": 65536, "ttl": 0}'
NAMES=(tc0 tc1 tc2 tc3)

teredo_load
ns_create NS
# Addresses the kernel sockets of relays and servers may bind.
ns_add_addrs "$NS" 192.0.2.1 192.0.2.2 198.51.100.1 ||
	ktap_bail "cannot add addresses"

declare -A CREATED0 DESTROYED0 CREATED1 DESTROYED1
dmesg_tally CREATED0 created tc
dmesg_tally DESTROYED0 destroyed tc

ktap_plan 31

# The requests go in ip batches (a process start costs up to a second
# under TCG); each result checks its own lines (ipb_assert_*) and the
# device as `ip -d -j link show` showed it at that point.

# round_trip MODE ARGS EXPECTED_JSON: 5 results.
round_trip() {
	local mode=$1 args=$2 want=$3 first text tjson again kind rc i
	local add show readd reshow del
	local -a words
	local -A text_opts

	read -r -a words <<< "$args"
	ipb_reset
	ipb_cmd link add tc0 type teredo "${words[@]}"
	add=$IPB_N
	ipb_show link show dev tc0
	show=$IPB_N
	ipb_run "$NS"
	ipb_assert_ok "$add"
	ktap_result $? "$mode: create with defaults ($args)"

	rc=0
	ipb_assert_ok "$show" || rc=1
	json_first kind "${IPB_OUT[show]}" info_kind
	assert_eq "$mode: info_kind" teredo "$kind" || rc=1
	assert_info_data_json tc0 "${IPB_OUT[show]}" "$want" || rc=1
	ktap_result $rc "$mode: ip -d -j link show reports every default"

	json_info_data_raw first "${IPB_OUT[show]}"
	teredo_text_opts_all text_opts "$NS"
	text=${text_opts[tc0]}
	ktap_info "$mode: ip -d link show: teredo $text"
	# The words as JSON in their order (numbers as numbers, as
	# text_to_json): equal to ip's JSON string, or else as Python sees
	# it, then the old comparison tells what differs.
	tjson=''
	read -r -a words <<< "$text"
	for ((i = 0; i + 1 < ${#words[@]}; i += 2)); do
		if [[ ${words[i + 1]} =~ ^[0-9]+$ ]]; then
			tjson+="${tjson:+,}\"${words[i]}\":${words[i + 1]}"
		else
			tjson+="${tjson:+,}\"${words[i]}\":\"${words[i + 1]}\""
		fi
	done
	rc=0
	if [ -z "$first" ]; then
		ktap_info "$mode: no info_data"
		rc=1
	elif ! json_same "$first" "{$tjson}"; then
		assert_eq "$mode: text output" "$(canon_json "$first")" \
			"$(text_to_json "$text")" || rc=1
	fi
	ktap_result $rc "$mode: text output has the same keys and values as JSON"

	ipb_reset
	ipb_cmd link del tc0
	del=$IPB_N
	ipb_cmd link add tc0 type teredo "${words[@]}"
	readd=$IPB_N
	ipb_show link show dev tc0
	reshow=$IPB_N
	ipb_cmd link del tc0
	ipb_run "$NS"
	[ "${IPB_RC[del]}" = 0 ] || ktap_info "ip ${IPB_LINES[del]}: ${IPB_ERR[del]}"
	ipb_assert_ok "$readd"
	ktap_result $? "$mode: re-create from the pasted text output"

	rc=0
	ipb_assert_ok "$reshow" || rc=1
	json_info_data_raw again "${IPB_OUT[reshow]}"
	if [ -z "$first" ] || [ -z "$again" ]; then
		assert_eq "$mode: re-created info_data" "$first" "$again" || rc=1
		[ -n "$first" ] || rc=1
	elif [ "$first" != "$again" ]; then
		assert_eq "$mode: re-created info_data" "$(canon_json "$first")" \
			"$(canon_json "$again")" || rc=1
	fi
	ktap_result $rc "$mode: re-created device is identical"
}

round_trip client "$CLIENT_ARGS" "$CLIENT_JSON"
round_trip relay "$RELAY_ARGS" "$RELAY_JSON"
round_trip server "$SERVER_ARGS" "$SERVER_JSON"

# ------------------------------------------------- device properties
ipb_reset
read -r -a args <<< "$CLIENT_ARGS"
ipb_cmd link add tc0 type teredo "${args[@]}"
ADD0=$IPB_N
ipb_show link show dev tc0
SHOW0=$IPB_N
declare -A MTU_SET MTU_SHOW
for m in 1279 65508 1400 65507 1280; do
	ipb_cmd link set tc0 mtu "$m"
	MTU_SET[$m]=$IPB_N
	ipb_show link show dev tc0
	MTU_SHOW[$m]=$IPB_N
done
ipb_cmd link add tc1 type teredo server 198.51.100.1
ADD1=$IPB_N
ipb_cmd link add tc2 type teredo mode relay local 198.51.100.1
ADD2=$IPB_N
read -r -a args <<< "$SERVER_ARGS"
ipb_cmd link add tc3 type teredo "${args[@]}"
ADD3=$IPB_N
declare -A SHOW
for n in tc0 tc1 tc2 tc3; do
	ipb_show link show dev "$n"
	SHOW[$n]=$IPB_N
done
ipb_cmd link del tc1
DEL1=$IPB_N
ipb_show link show dev tc0
SHOW0_AFTER=$IPB_N
ipb_show link show dev tc3
SHOW3_AFTER=$IPB_N
ipb_run "$NS"
[ "${IPB_RC[ADD0]}" = 0 ] || ktap_bail "cannot create tc0: ${IPB_ERR[ADD0]}"

# show_get VAR LINE KEY: KEY out of the JSON line LINE of the batch printed.
show_get() {
	json_first "$1" "${IPB_OUT[$2]}" "$3"
}
v='' flags='' drop0='' drop1='' pkts0='' pkts1=''

show_get v "$SHOW0" link_type
check_eq "link type is none" none "$v"

show_get flags "$SHOW0" flags
rc=0
assert_word "flags" POINTOPOINT "$flags" || rc=1
assert_word "flags" NOARP "$flags" || rc=1
assert_no_word "flags" BROADCAST "$flags" || rc=1
ktap_result $rc "flags POINTOPOINT and NOARP ($flags)"

rc=0
for k in mtu min_mtu max_mtu; do
	show_get v "$SHOW0" "$k"
	case $k in max_mtu) want=65507 ;; *) want=1280 ;; esac
	assert_eq "$k" "$want" "$v" || rc=1
done
ktap_result $rc "mtu 1280, min_mtu 1280, max_mtu 65507"

for bad in 1279 65508; do
	rc=0
	ipb_assert_fails_with "mtu" "${MTU_SET[$bad]}" || rc=1
	show_get v "${MTU_SHOW[$bad]}" mtu
	assert_eq "mtu after refusal" 1280 "$v" || rc=1
	ktap_result $rc "mtu $bad refused"
done

rc=0
ipb_assert_ok "${MTU_SET[1400]}" || rc=1
show_get v "${MTU_SHOW[1400]}" mtu
assert_eq "mtu" 1400 "$v" || rc=1
ktap_result $rc "mtu 1400 accepted"

rc=0
for good in 65507 1280; do
	ipb_assert_ok "${MTU_SET[$good]}" || rc=1
	show_get v "${MTU_SHOW[$good]}" mtu
	assert_eq "mtu" "$good" "$v" || rc=1
done
ktap_result $rc "mtu 65507 and 1280 (the bounds) accepted"

# --------------------------------------------------- several at once
rc=0
ipb_assert_ok "$ADD1" || rc=1
ipb_assert_ok "$ADD2" || rc=1
ipb_assert_ok "$ADD3" || rc=1
ktap_result $rc "four devices at once: two clients, a relay and a server"

rc=0
assert_info_data_json tc0 "${IPB_OUT[SHOW[tc0]]}" "$CLIENT_JSON" || rc=1
assert_info_data_json tc1 "${IPB_OUT[SHOW[tc1]]}" '{"mode": "client", "server": "198.51.100.1",
	"server2": "198.51.100.2", "port": 0, "refresh": 30,
	"max-peers": 4096, "ttl": 0,
	"hold-limit": 16777216}' || rc=1
assert_info_data_json tc2 "${IPB_OUT[SHOW[tc2]]}" '{"mode": "relay", "local": "198.51.100.1",
	"port": 3544, "max-peers": 4096, "ttl": 0,
	"hold-limit": 16777216}' || rc=1
assert_info_data_json tc3 "${IPB_OUT[SHOW[tc3]]}" "$SERVER_JSON" || rc=1
ktap_result $rc "each device reports its own configuration"

rc=0
ipb_assert_ok "$DEL1" || rc=1
# (The batch ended with shows: the devices are still as the del left them.)
assert_eq "devices left" "$(printf '%s\n' lo tc0 tc2 tc3)" "$(link_names "$NS")" || rc=1
assert_info_data_json tc0 "${IPB_OUT[SHOW0_AFTER]}" "$CLIENT_JSON" || rc=1
assert_info_data_json tc3 "${IPB_OUT[SHOW3_AFTER]}" "$SERVER_JSON" || rc=1
ktap_result $rc "deleting one device leaves the others as they were"

# ------------------------------------------------------------ carrier
ns_quiet_ipv6 "$NS" tc0 tc2
ipb_reset
ipb_cmd link set tc0 up
UP0=$IPB_N
ipb_cmd link set tc2 up
UP2=$IPB_N
# For the drops below (ip infers -6 from the addresses).
ipb_cmd addr add 2001:db8::1/64 dev tc2 nodad
ADDR=$IPB_N
ipb_cmd route add 2001:db8:1::/64 dev tc2
ROUTE=$IPB_N
ipb_run "$NS"

# IFF_RUNNING (no NO-CARRIER) follows the carrier through linkwatch, up
# to a second later: wait for the relay's, then read both devices' flags.
# shellcheck disable=SC2317  # called through wait_until
relay_running() {
	local f

	json_first f "$(link_json "$NS" tc2)" flags
	[[ " $f " == *" LOWER_UP "* ]] && [[ " $f " != *" NO-CARRIER "* ]]
}
wait_until 3 relay_running
FLAGS0=$(link_json "$NS" tc0)
FLAGS2=$(link_json "$NS" tc2)

rc=0
ipb_assert_ok "$UP0" || rc=1
json_first flags "$FLAGS0" flags
assert_word "client flags" NO-CARRIER "$flags" || rc=1
assert_word "client flags" UP "$flags" || rc=1
assert_no_word "client flags" LOWER_UP "$flags" || rc=1
ktap_result $rc "an up client without helper has NO-CARRIER ($flags)"

rc=0
ipb_assert_ok "$UP2" || rc=1
json_first flags "$FLAGS2" flags
assert_word "relay flags" LOWER_UP "$flags" || rc=1
assert_no_word "relay flags" NO-CARRIER "$flags" || rc=1
ktap_result $rc "an up relay has carrier ($flags)"

# -------------------------------------------------------------- drops
# send_udp6 ADDR N: N UDP datagrams to ADDR port 9, through bash's
# /dev/udp (a cheaper start than python's); a failed send is reported
# on stderr, not fatal.
send_udp6() {
	# shellcheck disable=SC2016  # for the inner bash
	ip netns exec "$NS" bash -c '
for ((i = 0; i < $2; i++)); do
	echo "teredo selftest" >"/dev/udp/$1/9"
done' - "$@"
}

rc=0
ipb_assert_ok "$ADDR" || rc=1
ipb_assert_ok "$ROUTE" || rc=1
stats0=$(ip -n "$NS" -s -j link show dev tc2)
json_stat drop0 "$stats0" tx dropped
json_stat pkts0 "$stats0" tx packets
out=$(send_udp6 2001:db8:1::1 3 2>&1)
[ -n "$out" ] && ktap_info "$out"
stats1=$(ip -n "$NS" -s -j link show dev tc2)
json_stat drop1 "$stats1" tx dropped
json_stat pkts1 "$stats1" tx packets
assert_num "tx_dropped growth" "$((drop1 - drop0))" -ge 3 || rc=1
ktap_result $rc "3 packets sent through the device: tx_dropped $drop0 -> $drop1"
check_num "tx_packets unchanged ($pkts0 -> $pkts1)" "$pkts1" -eq "$pkts0"

# --------------------------------------------------- created/destroyed
ipb_reset
for n in tc0 tc2 tc3; do
	ipb_cmd link del "$n"
done
ipb_run "$NS"
for ((n = 1; n <= IPB_N; n++)); do
	[ "${IPB_RC[n]}" = 0 ] || ktap_info "ip ${IPB_LINES[n]}: ${IPB_ERR[n]}"
done

# shellcheck disable=SC2317  # called through wait_until
# all_destroyed: every device created since the start has its destroyed
# line (devices are freed a little after the del).
all_destroyed() {
	local n c

	dmesg_tally CREATED1 created tc
	dmesg_tally DESTROYED1 destroyed tc
	for n in "${NAMES[@]}"; do
		c=$((${CREATED1[$n]:-0} - ${CREATED0[$n]:-0}))
		[ "$((${DESTROYED1[$n]:-0} - ${DESTROYED0[$n]:-0}))" = "$c" ] || return 1
	done
}
wait_until 5 all_destroyed
rc=0
for n in "${NAMES[@]}"; do
	c=$((${CREATED1[$n]:-0} - ${CREATED0[$n]:-0}))
	d=$((${DESTROYED1[$n]:-0} - ${DESTROYED0[$n]:-0}))
	assert_num "$n created lines" "$c" -ge 1 || rc=1
	assert_eq "$n destroyed lines" "$c" "$d" || rc=1
done
ktap_result $rc "a \"created\" and a \"destroyed\" kernel line for each device"

assert_eq "devices left" lo "$(link_names "$NS")"
ktap_result $? "no device left after deleting them all"

ktap_finish
