#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Changing a teredo link: refresh and max-peers change, and a client's
# server and server2 while it is not qualified (server2 = server + 1
# unless given, never with a state); mode, local, local2 and port cannot
# (refused with "<keyword>: cannot be changed"), yet repeating their
# current value is accepted so a pasted `ip -d link show` line works; a
# refused change changes nothing at all.

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$(readlink -f "$0")")/lib.sh"

teredo_load
ns_create NS
ns_add_addrs "$NS" 192.0.2.1 192.0.2.2 198.51.100.1 ||
	ktap_bail "cannot add addresses"

if ! ip -n "$NS" link add tg0 type teredo server 192.0.2.1 ||
	! ip -n "$NS" link add tg1 type teredo mode server local 192.0.2.1 ||
	! ip -n "$NS" link add tg2 type teredo mode relay local 198.51.100.1; then
	ktap_bail "cannot create the devices"
fi

ktap_plan 47

# The cases are queued, run a batch at a time (one ip or nlraw process for
# many requests: a process start costs up to a second under TCG), then
# checked in their order, each on its own request and the device as ip
# showed it just before and just after.
C_N=0
C_DONE=0
C_WHAT=() C_VIA=() C_DEV=() C_SETS=() C_ARGS=() C_MSG=() C_FAIL=()
C_BEFORE=() C_CMD=() C_AFTER=()

_queue() {
	local what=$1 via=$2 dev=$3 sets=$4 msg=$5

	shift 5
	C_N=$((C_N + 1))
	C_WHAT[C_N]=$what C_VIA[C_N]=$via C_DEV[C_N]=$dev C_SETS[C_N]=$sets
	C_MSG[C_N]=$msg C_ARGS[C_N]="$*"
	if [ "$via" = ip ]; then
		ipb_show link show dev "$dev"
		C_BEFORE[C_N]=$IPB_N
		ipb_cmd link set "$dev" type teredo "$@"
		C_CMD[C_N]=$IPB_N
		ipb_show link show dev "$dev"
		C_AFTER[C_N]=$IPB_N
	else
		nlb_req get "$dev"
		C_BEFORE[C_N]=$NLB_N
		nlb_req set "$dev" "$@"
		C_CMD[C_N]=$NLB_N
		nlb_req get "$dev"
		C_AFTER[C_N]=$NLB_N
	fi
}

# accept_change DEV KEY=VALUE... -- ARGS...: ARGS accepted, and afterwards
# info_data is the old one with KEY=VALUE applied.  One result.
accept_change() {
	local dev=$1
	local -a sets=()

	shift
	while [ "$1" != -- ]; do
		sets+=("$1")
		shift
	done
	shift
	_queue accept ip "$dev" "${sets[*]}" "" "$@"
}

# refuse_change ip|nl DEV MSG ARGS...: refused with MSG, nothing changed.
refuse_change() {
	_queue refuse "$1" "$2" "" "$3" "${@:4}"
}

# json_set VAR JSON KEY=VALUE...: the flat compact JSON with each KEY's
# value replaced, numbers as numbers; fails when a KEY is not in it.
json_set() {
	local var=$1 json=$2 kv k v re

	shift 2
	for kv in "$@"; do
		k=${kv%%=*} v=${kv#*=}
		[[ $v =~ ^[0-9]+$ ]] || v="\"$v\""
		re="^(.*[{,]\"$k\":)([0-9]+|\"[^\"]*\")([,}].*)$"
		[[ $json =~ $re ]] || return 1
		json=${BASH_REMATCH[1]}$v${BASH_REMATCH[3]}
	done
	printf -v "$var" '%s' "$json"
}

_check_accept() {
	local k=$1 dev=${C_DEV[$1]} before after want out rc=0
	local -a sets

	read -r -a sets <<< "${C_SETS[k]}"
	if [ -n "${C_FAIL[k]}" ]; then
		ktap_info "${C_FAIL[k]}"
		rc=1
	fi
	json_info_data_raw before "${IPB_OUT[C_BEFORE[k]]}"
	ipb_assert_ok "${C_CMD[k]}" || rc=1
	json_info_data_raw after "${IPB_OUT[C_AFTER[k]]}"
	if [ -z "$before" ] || ! json_set want "$before" "${sets[@]}" ||
		[ "$want" != "$after" ]; then
		# Python, only to tell what differs.
		if ! out=$(py -c '
import json, sys
want, got = json.loads(sys.argv[1]), json.loads(sys.argv[2])
for kv in sys.argv[3:]:
    k, v = kv.split("=", 1)
    want[k] = int(v) if v.isdigit() else v
if want != got:
    print("expected %s, got %s" % (json.dumps(want, sort_keys=True),
                                   json.dumps(got, sort_keys=True)))
    sys.exit(1)
' "$before" "$after" "${sets[@]}" 2>&1); then
			ktap_info "$dev info_data: $out"
			rc=1
		fi
	fi
	ktap_result $rc "$dev: set ${C_ARGS[k]} accepted${sets[*]:+ (${sets[*]})}"
}

_check_refuse() {
	local k=$1 dev=${C_DEV[$1]} msg=${C_MSG[$1]} before after rc=0

	if [ "${C_VIA[k]}" = ip ]; then
		json_info_data_raw before "${IPB_OUT[C_BEFORE[k]]}"
		json_info_data_raw after "${IPB_OUT[C_AFTER[k]]}"
		[ -n "$before" ] || { ktap_info "$dev has no info_data"; rc=1; }
		ipb_assert_fails_with "$msg" "${C_CMD[k]}" || rc=1
		assert_eq "$dev info_data after the refusal" "$before" "$after" || rc=1
	else
		# The attributes as the kernel sends them (nlraw get).
		before=${NLB_OUT[C_BEFORE[k]]} after=${NLB_OUT[C_AFTER[k]]}
		[ -n "$before" ] || { ktap_info "$dev has no attributes"; rc=1; }
		nlb_assert_fails_with "$msg" "${C_CMD[k]}" || rc=1
		assert_eq "$dev attributes after the refusal" "$before" "$after" || rc=1
	fi
	ktap_result $rc "$dev: ${C_VIA[k]} set ${C_ARGS[k]} refused with \"$msg\", nothing changed"
}

# next_batch: start queueing the next batches.
next_batch() {
	ipb_reset
	nlb_reset
}

# run_batches: run the queued batches.
run_batches() {
	[ "$IPB_N" = 0 ] || ipb_run "$NS"
	[ "$NLB_N" = 0 ] || nlb_run "$NS"
}

# check_queued: one result for each case queued since the last time.
check_queued() {
	local k

	for ((k = C_DONE + 1; k <= C_N; k++)); do
		if [ "${C_WHAT[k]}" = accept ]; then
			_check_accept "$k"
		else
			_check_refuse "$k"
		fi
	done
	C_DONE=$C_N
}

# ----------------------------------------------------------- mutable
next_batch
accept_change tg0 refresh=60 -- refresh 60
accept_change tg0 max-peers=10 -- max-peers 10
accept_change tg0 refresh=300 max-peers=1048576 -- refresh 300 max-peers 1048576
accept_change tg0 refresh=10 max-peers=1 -- refresh 10 max-peers 1
accept_change tg0 refresh=60 max-peers=10 -- max-peers 10 refresh 60
accept_change tg2 max-peers=100 -- max-peers 100
accept_change tg1 max-peers=5 -- max-peers 5
accept_change tg0 ttl=64 -- ttl 64
accept_change tg1 ttl=1 -- ttl 1
# A client's server, while it is not qualified (teredod moves along its
# list this way): server2 follows (+ 1) unless given; then back.
accept_change tg0 server=198.51.100.1 server2=198.51.100.2 -- server 198.51.100.1
accept_change tg0 server2=198.51.100.9 -- server2 198.51.100.9
accept_change tg0 server=192.0.2.1 server2=192.0.2.2 -- server 192.0.2.1
run_batches
check_queued

# Raw requests, and the refusals through nlraw: one nlraw process.
next_batch
nlb_req set tg0 refresh=45
RAW_SET=$NLB_N
nlb_req get tg0
RAW_GET=$NLB_N
nlb_req set tg0 refresh=60
RAW_BACK=$NLB_N
refuse_change nl tg0 "mode: cannot be changed" mode=u8:1
refuse_change nl tg0 "port: cannot be changed" port=be16:80 server=ipv4:192.0.2.1
refuse_change nl tg0 "mode: unknown mode" mode=u8:7
refuse_change nl tg0 "server: not in the same message as state" server=ipv4:198.51.100.1 state=u8:0
run_batches
rc=0
nlb_assert_ok "$RAW_SET" || rc=1
refresh=''
read -r -a words <<< "${NLB_OUT[RAW_GET]}"
for w in "${words[@]}"; do
	[[ $w == refresh=* ]] && refresh=${w#refresh=}
done
assert_eq "tg0 refresh (nlraw get)" 45 "$refresh" || rc=1
nlb_assert_ok "$RAW_BACK" || rc=1
ktap_result $rc "tg0: raw RTM_NEWLINK change of refresh"
check_queued

# --------------------------------------------------------- immutable
next_batch
refuse_change ip tg0 "mode: cannot be changed" mode relay
refuse_change ip tg0 "mode: cannot be changed" mode server
refuse_change ip tg0 "server2: must differ from server" server2 192.0.2.1
refuse_change ip tg0 "server: must be a unicast IPv4 address" server 224.0.0.1
refuse_change ip tg0 "local: cannot be changed" local 192.0.2.5
refuse_change ip tg0 "port: cannot be changed" port 4000
refuse_change ip tg1 "local: cannot be changed" local 192.0.2.9
refuse_change ip tg1 "local2: cannot be changed" local2 192.0.2.9
refuse_change ip tg1 "mode: cannot be changed" mode client
refuse_change ip tg2 "local: cannot be changed" local 192.0.2.1
refuse_change ip tg2 "port: cannot be changed" port 3545
refuse_change ip tg2 "mode: cannot be changed" mode server
# The mutable part of a refused request is not applied either.
refuse_change ip tg0 "server2: must differ from server" refresh 90 server 198.51.100.1 server2 198.51.100.1
refuse_change ip tg0 "port: cannot be changed" max-peers 99 port 1

# ------------------------------------------------ invalid mutable value
refuse_change ip tg0 "refresh: out of range (10-300)" refresh 9
refuse_change ip tg0 "refresh: out of range (10-300)" refresh 301
refuse_change ip tg0 "max-peers: out of range (1-1048576)" max-peers 0
refuse_change ip tg0 "max-peers: out of range (1-1048576)" max-peers 1048577
refuse_change ip tg2 "max-peers: out of range (1-1048576)" max-peers 0
refuse_change ip tg1 "refresh: not used in server mode" refresh 60
refuse_change ip tg1 "max-peers: out of range (1-1048576)" max-peers 0
refuse_change ip tg2 "refresh: not used in relay mode" refresh 60
refuse_change ip tg0 "local2: not used in client mode" local2 192.0.2.9

# ---------------------------------------------- current values repeated
accept_change tg0 -- mode client server 192.0.2.1 server2 192.0.2.2 port 0
accept_change tg1 -- mode server local 192.0.2.1 local2 192.0.2.2 port 3544
accept_change tg2 -- mode relay local 198.51.100.1 port 3544
run_batches
check_queued

# The text of `ip -d link show`, pasted (the cases above changed nothing).
declare -A TEXT
teredo_text_opts_all TEXT "$NS"
next_batch
for dev in tg0 tg1 tg2; do
	read -r -a words <<< "${TEXT[$dev]}"
	accept_change "$dev" -- "${words[@]}"
	[ -n "${TEXT[$dev]}" ] ||
		C_FAIL[C_N]="$dev: no teredo line in ip -d link show"
done

# A pasted line with a mutable value edited.
read -r -a words <<< "${TEXT[tg0]/refresh 60/refresh 120}"
accept_change tg0 refresh=120 -- "${words[@]}"
[ -n "${TEXT[tg0]}" ] || C_FAIL[C_N]="tg0: no teredo line in ip -d link show"
run_batches
check_queued

ktap_finish
