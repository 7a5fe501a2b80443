#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime of teredo devices and of the module: 100 create/delete cycles
# with a "created" and a "destroyed" kernel line for each device, module
# removal with devices in two namespaces, loading it again, and autoloading
# through `ip link add ... type teredo` (MODULE_ALIAS_RTNL_LINK).

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

CYCLES=100
RMNAMES=(trm0 trm1 trm2 trm3 trm4)

teredo_load
ns_create NS
ns_add_addrs "$NS" 192.0.2.1 192.0.2.2 || ktap_bail "cannot add addresses"

ktap_plan 7
v=''

# Leave the module loaded for whatever runs next.
at_exit 'modprobe teredo dyndbg=+p'

# ----------------------------------------------------------- cycles
# Modes in turn, so the kernel sockets of relays and servers come and go.
CYCLE_ARGS=("server 192.0.2.1" "mode relay" "mode server local 192.0.2.1")

before=$(dmesg | grep -cE 'teredo: tcycle[0-9]+: (created|destroyed)$')
# One ip for all the cycles: 300 process starts would take minutes under
# TCG.  Each line's own outcome is known (ipb_run).
ipb_reset
ADD=() UP=() DEL=()
for ((i = 0; i < CYCLES; i++)); do
	read -r -a args <<< "${CYCLE_ARGS[i % 3]}"
	ipb_cmd link add "tcycle$i" type teredo "${args[@]}"
	ADD[i]=$IPB_N
	ipb_cmd link set "tcycle$i" up
	UP[i]=$IPB_N
	ipb_cmd link del "tcycle$i"
	DEL[i]=$IPB_N
done
ipb_run "$NS"
adds=0
dels=0
for ((i = 0; i < CYCLES; i++)); do
	for n in "${ADD[i]}" "${UP[i]}" "${DEL[i]}"; do
		# What the loop of single commands printed on stderr.
		[ "${IPB_RC[n]}" = 0 ] ||
			ktap_info "ip ${IPB_LINES[n]}: ${IPB_ERR[n]}"
	done
	if [ "${IPB_RC[ADD[i]]}" = 0 ]; then
		adds=$((adds + 1))
		[ "${IPB_RC[DEL[i]]}" = 0 ] && dels=$((dels + 1))
	fi
done
check_eq "$CYCLES create/delete cycles: all created" "$CYCLES" "$adds"
check_eq "$CYCLES create/delete cycles: all deleted" "$CYCLES" "$dels"

# Only unique names, so these lines come from this run unless the same
# boot ran the test before: then compare with what was there.
rc=0
if [ "$before" != 0 ]; then
	ktap_info "kernel log already had $before tcycle lines; counting new ones"
fi
declare -A want_c want_d
dmesg_tally want_c created tcycle
dmesg_tally want_d destroyed tcycle
bad=()
for ((i = 0; i < CYCLES; i++)); do
	c=${want_c[tcycle$i]:-0}
	d=${want_d[tcycle$i]:-0}
	if [ "$c" = 0 ] || [ "$c" != "$d" ]; then
		bad+=("tcycle$i:created=$c,destroyed=$d")
	fi
done
if [ "${#bad[@]}" != 0 ]; then
	ktap_info "unbalanced: ${bad[*]:0:10}"
	rc=1
fi
assert_eq "devices left" lo "$(link_names "$NS")" || rc=1
ktap_result $rc "a created and a destroyed line for each of the $CYCLES devices"

# ------------------------------------------ rmmod with live devices
ns_create NS2
ns_add_addrs "$NS2" 192.0.2.1 192.0.2.2 || ktap_bail "cannot add addresses"
declare -A DESTROYED0 DESTROYED1
dmesg_tally DESTROYED0 destroyed trm
rc=0
assert_ok ip -n "$NS" link add trm0 type teredo server 192.0.2.1 || rc=1
assert_ok ip -n "$NS" link add trm1 type teredo mode relay || rc=1
assert_ok ip -n "$NS2" link add trm2 type teredo mode server local 192.0.2.1 || rc=1
assert_ok ip -n "$NS2" link add trm3 type teredo server 192.0.2.1 || rc=1
ip -n "$NS" link set trm1 up
ip -n "$NS2" link set trm2 up
# A device created in one namespace and living in the other.
assert_ok ip -n "$NS" link add trm4 type teredo mode relay port 3545 || rc=1
assert_ok ip -n "$NS" link set trm4 netns "$NS2" || rc=1
assert_ok rmmod teredo || rc=1
ktap_result $rc "rmmod teredo with devices in two namespaces"

rc=0
[ -d /sys/module/teredo ] && { ktap_info "module still loaded"; rc=1; }
assert_eq "devices left in NS" lo "$(link_names "$NS")" || rc=1
assert_eq "devices left in NS2" lo "$(link_names "$NS2")" || rc=1
dmesg_tally DESTROYED1 destroyed trm
for n in "${RMNAMES[@]}"; do
	assert_eq "$n destroyed lines" $((${DESTROYED0[$n]:-0} + 1)) \
		"${DESTROYED1[$n]:-0}" || rc=1
done
ktap_result $rc "rmmod removed every device, each with its destroyed line"

rc=0
assert_ok modprobe teredo dyndbg=+p || rc=1
teredo_dyndbg
assert_ok ip -n "$NS" link add trm0 type teredo server 192.0.2.1 || rc=1
json_info_get v "$(link_json "$NS" trm0)" mode
assert_eq "trm0 mode" client "$v" || rc=1
assert_ok ip -n "$NS" link del trm0 || rc=1
ktap_result $rc "modprobe teredo again, and a device works"

# -------------------------------------------------------- autoload
if ! modprobe -R rtnl-link-teredo >/dev/null 2>&1; then
	ktap_skip "ip link add autoloads the module" "no rtnl-link-teredo alias (depmod?)"
else
	rc=0
	assert_ok rmmod teredo || rc=1
	assert_ok ip -n "$NS" link add tauto0 type teredo server 192.0.2.1 || rc=1
	[ -d /sys/module/teredo ] || { ktap_info "module not loaded"; rc=1; }
	json_info_get v "$(link_json "$NS" tauto0)" server
	assert_eq "tauto0 server" 192.0.2.1 "$v" || rc=1
	ip -n "$NS" link del tauto0 2>/dev/null
	teredo_dyndbg
	ktap_result $rc "ip link add ... type teredo autoloads the module"
fi

ktap_finish
