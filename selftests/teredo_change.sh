#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Changing a teredo link: refresh and max-peers change; mode, server,
# server2, local, local2 and port cannot (refused with "<keyword>: cannot
# be changed"), yet repeating their current value is accepted so a pasted
# `ip -d link show` line works; a refused change changes nothing at all.

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

ktap_plan 42

# accept_change DEV KEY=VALUE... -- ARGS...: ARGS accepted, and afterwards
# info_data is the old one with KEY=VALUE applied.  One result.
accept_change() {
	local dev=$1 before after out rc=0
	local -a sets=()

	shift
	while [ "$1" != -- ]; do
		sets+=("$1")
		shift
	done
	shift
	before=$(info_data_raw "$NS" "$dev")
	assert_ok ip -n "$NS" link set "$dev" type teredo "$@" || rc=1
	after=$(info_data_raw "$NS" "$dev")
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
	ktap_result $rc "$dev: set $* accepted${sets[*]:+ (${sets[*]})}"
}

# refuse_change ip|nl DEV MSG ARGS...: refused with MSG, nothing changed.
refuse_change() {
	local via=$1 dev=$2 msg=$3 before rc=0
	local -a cmd

	shift 3
	if [ "$via" = ip ]; then
		cmd=(ip -n "$NS" link set "$dev" type teredo "$@")
	else
		cmd=(nlraw "$NS" set "$dev" "$@")
	fi
	before=$(info_data_raw "$NS" "$dev")
	[ -n "$before" ] || { ktap_info "$dev has no info_data"; rc=1; }
	assert_fails_with "$msg" "${cmd[@]}" || rc=1
	assert_eq "$dev info_data after the refusal" "$before" \
		"$(info_data_raw "$NS" "$dev")" || rc=1
	ktap_result $rc "$dev: $via set $* refused with \"$msg\", nothing changed"
}

# ----------------------------------------------------------- mutable
accept_change tg0 refresh=60 -- refresh 60
accept_change tg0 max-peers=10 -- max-peers 10
accept_change tg0 refresh=300 max-peers=1048576 -- refresh 300 max-peers 1048576
accept_change tg0 refresh=10 max-peers=1 -- refresh 10 max-peers 1
accept_change tg0 refresh=60 max-peers=10 -- max-peers 10 refresh 60
accept_change tg2 max-peers=100 -- max-peers 100
accept_change tg0 ttl=64 -- ttl 64
accept_change tg1 ttl=1 -- ttl 1
rc=0
assert_ok nlraw "$NS" set tg0 refresh=45 || rc=1
assert_eq "tg0 refresh" 45 \
	"$(link_get "$NS" tg0 'd["linkinfo"]["info_data"]["refresh"]')" || rc=1
assert_ok nlraw "$NS" set tg0 refresh=60 || rc=1
ktap_result $rc "tg0: raw RTM_NEWLINK change of refresh"

# --------------------------------------------------------- immutable
refuse_change ip tg0 "mode: cannot be changed" mode relay
refuse_change ip tg0 "mode: cannot be changed" mode server
refuse_change ip tg0 "server: cannot be changed" server 198.51.100.1
refuse_change ip tg0 "server2: cannot be changed" server2 192.0.2.9
refuse_change ip tg0 "local: cannot be changed" local 192.0.2.5
refuse_change ip tg0 "port: cannot be changed" port 4000
refuse_change ip tg1 "local: cannot be changed" local 192.0.2.9
refuse_change ip tg1 "local2: cannot be changed" local2 192.0.2.9
refuse_change ip tg1 "mode: cannot be changed" mode client
refuse_change ip tg2 "local: cannot be changed" local 192.0.2.1
refuse_change ip tg2 "port: cannot be changed" port 3545
refuse_change ip tg2 "mode: cannot be changed" mode server
refuse_change nl tg0 "mode: cannot be changed" mode=u8:1
refuse_change nl tg0 "port: cannot be changed" port=be16:80 server=ipv4:192.0.2.1
refuse_change nl tg0 "mode: unknown mode" mode=u8:7
# The mutable part of a refused request is not applied either.
refuse_change ip tg0 "server: cannot be changed" refresh 90 server 198.51.100.1
refuse_change ip tg0 "port: cannot be changed" max-peers 99 port 1

# ------------------------------------------------ invalid mutable value
refuse_change ip tg0 "refresh: out of range (10-300)" refresh 9
refuse_change ip tg0 "refresh: out of range (10-300)" refresh 301
refuse_change ip tg0 "max-peers: out of range (1-1048576)" max-peers 0
refuse_change ip tg0 "max-peers: out of range (1-1048576)" max-peers 1048577
refuse_change ip tg2 "max-peers: out of range (1-1048576)" max-peers 0
refuse_change ip tg1 "refresh: not used in server mode" refresh 60
refuse_change ip tg1 "max-peers: not used in server mode" max-peers 5
refuse_change ip tg2 "refresh: not used in relay mode" refresh 60
refuse_change ip tg0 "local2: not used in client mode" local2 192.0.2.9

# ---------------------------------------------- current values repeated
accept_change tg0 -- mode client server 192.0.2.1 server2 192.0.2.2 port 0
accept_change tg1 -- mode server local 192.0.2.1 local2 192.0.2.2 port 3544
accept_change tg2 -- mode relay local 198.51.100.1 port 3544

for dev in tg0 tg1 tg2; do
	read -r -a words <<< "$(teredo_text_opts "$NS" "$dev")"
	accept_change "$dev" -- "${words[@]}"
done

# A pasted line with a mutable value edited.
text=$(teredo_text_opts "$NS" tg0)
read -r -a words <<< "${text/refresh 60/refresh 120}"
accept_change tg0 refresh=120 -- "${words[@]}"

ktap_finish
