#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teredo links and network namespaces: the same name in two namespaces, a
# device moved to another namespace (it keeps working and reports its
# link netns), and what deleting a namespace does: the devices living in
# it go, and so do the devices created in it (their link netns) that
# live elsewhere.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

NAMES=(tn0 tm0 tnd0 tnd1 tnd2 tlk0 tlk1 tlk2)

teredo_load
# Kernel log lines per device name (every name here starts with "t"):
# at the start (0) and at the last tally (1).  One dmesg for all names.
declare -A CREATED0 DESTROYED0 CREATED1 DESTROYED1
dmesg_tally CREATED0 created t
dmesg_tally DESTROYED0 destroyed t

# shellcheck disable=SC2317  # called through wait_until
tally() {
	dmesg_tally CREATED1 created t
	dmesg_tally DESTROYED1 destroyed t
}

# created_delta NAME / destroyed_delta NAME: lines from the start to the
# last tally.
created_delta() {
	echo $((${CREATED1[$1]:-0} - ${CREATED0[$1]:-0}))
}

destroyed_delta() {
	echo $((${DESTROYED1[$1]:-0} - ${DESTROYED0[$1]:-0}))
}

# shellcheck disable=SC2317  # called through wait_until
# destroyed_are N NAME...: tally; each NAME has N destroyed lines more
# than at the start.
destroyed_are() {
	local want=$1 n

	shift
	tally
	for n in "$@"; do
		[ "$(destroyed_delta "$n")" = "$want" ] || return 1
	done
}

# assert_gone NAME...: one created and one destroyed line for each
# (waiting for the netns cleanup work to free them).
assert_gone() {
	local n rc=0

	wait_until 15 destroyed_are 1 "$@"
	for n in "$@"; do
		assert_eq "$n created lines" 1 "$(created_delta "$n")" || rc=1
		assert_eq "$n destroyed lines" 1 "$(destroyed_delta "$n")" || rc=1
	done
	return $rc
}

# link_field NS DEV KEY: a value ip prints once for DEV (json_first), e.g.
# link_netnsid, flags; "" when it is not there.
link_field() {
	local v

	json_first v "$(link_json "$1" "$2")" "$3"
	echo "$v"
}

# tx_dropped NS DEV
tx_dropped() {
	local v

	json_stat v "$(ip -n "$1" -s -j link show dev "$2")" tx dropped
	echo "$v"
}

ktap_plan 11

# ------------------------------------------------- same name twice
ns_create A B
rc=0
assert_ok ip -n "$A" link add tn0 type teredo server 192.0.2.1 || rc=1
assert_ok ip -n "$B" link add tn0 type teredo server 198.51.100.1 || rc=1
ktap_result $rc "tn0 in two namespaces at once"

rc=0
JSON_A=$(link_json "$A" tn0)
json_info_get v "$JSON_A" server
assert_eq "server in A" 192.0.2.1 "$v" || rc=1
json_info_get v "$(link_json "$B" tn0)" server
assert_eq "server in B" 198.51.100.1 "$v" || rc=1
json_first v "$JSON_A" link_netnsid
assert_eq "link_netnsid in A" "" "$v" || rc=1
ktap_result $rc "each tn0 has its own configuration"

rc=0
assert_ok ip -n "$A" link del tn0 || rc=1
json_info_get v "$(link_json "$B" tn0)" server
assert_eq "server in B" 198.51.100.1 "$v" || rc=1
ktap_result $rc "deleting tn0 in one namespace leaves the other"

# ------------------------------------------------------------ move
ns_create C D
ip -n "$C" link add tm0 type teredo mode relay || ktap_bail "cannot create tm0"
# info_data as ip prints it: the same plugin prints it in the same order.
want=$(info_data_raw "$C" tm0)
[ -n "$want" ] || ktap_bail "tm0 has no info_data"

rc=0
assert_ok ip -n "$C" link set tm0 netns "$D" || rc=1
link_absent "$C" tm0 || { ktap_info "tm0 still in $C"; rc=1; }
link_exists "$D" tm0 || { ktap_info "tm0 not in $D"; rc=1; }
ktap_result $rc "tm0 moved to another namespace"

rc=0
JSON_D=$(link_json "$D" tm0)
nsid=''
json_first nsid "$JSON_D" link_netnsid
assert_num "link_netnsid" "$nsid" -ge 0 || rc=1
json_info_data_raw v "$JSON_D"
assert_eq "tm0 info_data after the move" "$want" "$v" || rc=1
ktap_result $rc "the moved tm0 shows link_netnsid ($nsid) and its configuration"

rc=0
ns_quiet_ipv6 "$D" tm0
assert_ok ip -n "$D" link set tm0 up || rc=1
assert_word "tm0 flags" LOWER_UP "$(link_field "$D" tm0 flags)" || rc=1
assert_ok ip -n "$D" -6 addr add 2001:db8::1/64 dev tm0 nodad || rc=1
assert_ok ip -n "$D" -6 route add 2001:db8:1::/64 dev tm0 || rc=1
drop0=$(tx_dropped "$D" tm0)
# Three datagrams through bash's /dev/udp (a cheaper start than python's).
# shellcheck disable=SC2016  # for the inner bash
ip netns exec "$D" bash -c '
for i in 1 2 3; do
	echo x > /dev/udp/2001:db8:1::1/9
done' 2>/dev/null
drop1=$(tx_dropped "$D" tm0)
assert_num "tx_dropped growth" "$((drop1 - drop0))" -ge 3 || rc=1
ktap_result $rc "the moved tm0 comes up and handles packets (tx_dropped $drop0 -> $drop1)"

rc=0
assert_ok ip -n "$D" link set tm0 netns "$C" || rc=1
JSON_C=$(link_json "$C" tm0)
json_first v "$JSON_C" link_netnsid
assert_eq "link_netnsid back home" "" "$v" || rc=1
json_info_data_raw v "$JSON_C"
assert_eq "tm0 info_data back home" "$want" "$v" || rc=1
ktap_result $rc "tm0 moved back: no link_netnsid any more"

# ------------------------------------- delete a netns holding devices
ns_create E
ns_add_addrs "$E" 192.0.2.1 192.0.2.2 || ktap_bail "cannot add addresses"
rc=0
assert_ok ip -n "$E" link add tnd0 type teredo server 192.0.2.1 || rc=1
# Port 3545: the server below takes 3544 on its addresses.
assert_ok ip -n "$E" link add tnd1 type teredo mode relay port 3545 || rc=1
assert_ok ip -n "$E" link add tnd2 type teredo mode server local 192.0.2.1 || rc=1
assert_ok ip -n "$E" link set tnd1 up || rc=1
assert_ok ns_delete "$E" || rc=1
assert_gone tnd0 tnd1 tnd2 || rc=1
ktap_result $rc "deleting a namespace deletes the three devices in it"

# ------------------------- delete the link netns of a device elsewhere
ns_create F G
rc=0
assert_ok ip -n "$F" link add tlk0 type teredo mode relay || rc=1
assert_ok ip -n "$F" link add tlk2 type teredo server 192.0.2.1 || rc=1
assert_ok ip -n "$F" link set tlk0 netns "$G" || rc=1
assert_ok ip -n "$F" link set tlk2 netns "$G" || rc=1
assert_ok ip -n "$G" link set tlk0 up || rc=1
assert_ok ns_delete "$F" || rc=1
wait_until 15 link_absent "$G" tlk0 || { ktap_info "tlk0 still in $G"; rc=1; }
wait_until 15 link_absent "$G" tlk2 || { ktap_info "tlk2 still in $G"; rc=1; }
assert_gone tlk0 tlk2 || rc=1
assert_eq "devices left in G" lo "$(link_names "$G")" || rc=1
ktap_result $rc "deleting the link netns deletes the devices moved out of it"

ns_create F2 G2
rc=0
assert_ok ip -n "$F2" link add tlk1 type teredo mode relay || rc=1
assert_ok ip -n "$F2" link set tlk1 netns "$G2" || rc=1
assert_ok ns_delete "$G2" || rc=1
assert_gone tlk1 || rc=1
assert_eq "devices left in F2" lo "$(link_names "$F2")" || rc=1
ktap_result $rc "deleting the netns a device lives in deletes it, not its link netns"

# -------------------------------------------------------- balance
rc=0
assert_ok ns_delete "$B" || rc=1
assert_ok ns_delete "$C" || rc=1
# shellcheck disable=SC2317  # called through wait_until
balanced() {
	local n

	tally
	for n in "${NAMES[@]}"; do
		[ "$(destroyed_delta "$n")" = "$(created_delta "$n")" ] || return 1
	done
}
wait_until 15 balanced
for n in "${NAMES[@]}"; do
	c=$(created_delta "$n")
	assert_num "$n created lines" "$c" -ge 1 || rc=1
	assert_eq "$n destroyed lines" "$c" "$(destroyed_delta "$n")" || rc=1
done
ktap_result $rc "created and destroyed lines balance for every device"

ktap_finish
