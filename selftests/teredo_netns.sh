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
declare -A CREATED0 DESTROYED0
for n in "${NAMES[@]}"; do
	CREATED0[$n]=$(dmesg_count created "$n")
	DESTROYED0[$n]=$(dmesg_count destroyed "$n")
done

# created_delta NAME / destroyed_delta NAME: lines since the start.
created_delta() {
	echo $(($(dmesg_count created "$1") - CREATED0[$1]))
}

destroyed_delta() {
	echo $(($(dmesg_count destroyed "$1") - DESTROYED0[$1]))
}

# assert_gone NAME...: one created and one destroyed line for each
# (waiting for the netns cleanup work to free them).
assert_gone() {
	local n rc=0

	for n in "$@"; do
		wait_dmesg_count destroyed "$n" $((DESTROYED0[$n] + 1)) 15
		assert_eq "$n created lines" 1 "$(created_delta "$n")" || rc=1
		assert_eq "$n destroyed lines" 1 "$(destroyed_delta "$n")" || rc=1
	done
	return $rc
}

ktap_plan 11

# ------------------------------------------------- same name twice
ns_create A B
rc=0
assert_ok ip -n "$A" link add tn0 type teredo server 192.0.2.1 || rc=1
assert_ok ip -n "$B" link add tn0 type teredo server 198.51.100.1 || rc=1
ktap_result $rc "tn0 in two namespaces at once"

rc=0
assert_eq "server in A" 192.0.2.1 \
	"$(link_get "$A" tn0 'd["linkinfo"]["info_data"]["server"]')" || rc=1
assert_eq "server in B" 198.51.100.1 \
	"$(link_get "$B" tn0 'd["linkinfo"]["info_data"]["server"]')" || rc=1
assert_eq "link_netnsid in A" "" \
	"$(link_get "$A" tn0 'd.get("link_netnsid")')" || rc=1
ktap_result $rc "each tn0 has its own configuration"

rc=0
assert_ok ip -n "$A" link del tn0 || rc=1
assert_eq "server in B" 198.51.100.1 \
	"$(link_get "$B" tn0 'd["linkinfo"]["info_data"]["server"]')" || rc=1
ktap_result $rc "deleting tn0 in one namespace leaves the other"

# ------------------------------------------------------------ move
ns_create C D
ip -n "$C" link add tm0 type teredo mode relay || ktap_bail "cannot create tm0"
want=$(info_data "$C" tm0)

rc=0
assert_ok ip -n "$C" link set tm0 netns "$D" || rc=1
link_absent "$C" tm0 || { ktap_info "tm0 still in $C"; rc=1; }
link_exists "$D" tm0 || { ktap_info "tm0 not in $D"; rc=1; }
ktap_result $rc "tm0 moved to another namespace"

rc=0
nsid=$(link_get "$D" tm0 'd.get("link_netnsid")')
assert_num "link_netnsid" "$nsid" -ge 0 || rc=1
assert_eq "tm0 info_data after the move" "$want" "$(info_data "$D" tm0)" || rc=1
ktap_result $rc "the moved tm0 shows link_netnsid ($nsid) and its configuration"

rc=0
ns_quiet_ipv6 "$D" tm0
assert_ok ip -n "$D" link set tm0 up || rc=1
assert_word "tm0 flags" LOWER_UP "$(link_get "$D" tm0 '" ".join(d["flags"])')" || rc=1
assert_ok ip -n "$D" -6 addr add 2001:db8::1/64 dev tm0 nodad || rc=1
assert_ok ip -n "$D" -6 route add 2001:db8:1::/64 dev tm0 || rc=1
drop0=$(link_stat "$D" tm0 tx dropped)
ip netns exec "$D" python3 -I -S -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for _ in range(3):
    try:
        s.sendto(b"x", ("2001:db8:1::1", 9))
    except OSError:
        pass
'
drop1=$(link_stat "$D" tm0 tx dropped)
assert_num "tx_dropped growth" "$((drop1 - drop0))" -ge 3 || rc=1
ktap_result $rc "the moved tm0 comes up and handles packets (tx_dropped $drop0 -> $drop1)"

rc=0
assert_ok ip -n "$D" link set tm0 netns "$C" || rc=1
assert_eq "link_netnsid back home" "" "$(link_get "$C" tm0 'd.get("link_netnsid")')" || rc=1
assert_eq "tm0 info_data back home" "$want" "$(info_data "$C" tm0)" || rc=1
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
for n in "${NAMES[@]}"; do
	c=$(created_delta "$n")
	wait_dmesg_count destroyed "$n" $((DESTROYED0[$n] + c)) 15
	assert_num "$n created lines" "$c" -ge 1 || rc=1
	assert_eq "$n destroyed lines" "$c" "$(destroyed_delta "$n")" || rc=1
done
ktap_result $rc "created and destroyed lines balance for every device"

ktap_finish
