#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the teredo selftests: KTAP output, assertions, network
# namespaces and the module.  Source it; it does nothing on its own.
#
# Each test script calls ktap_plan N, emits exactly N results through
# ktap_pass/ktap_fail/ktap_skip/ktap_result (or the check_* helpers, which
# emit one result each), and ends with ktap_finish, which exits
# 0 (pass), 1 (fail) or 4 (skip).  The assert_* helpers emit no result:
# they return 0 or 1 and explain a failure on "# " lines, so one result
# can cover several assertions.

# The guest's busybox must not shadow the real tools.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH

ksft_pass=0
ksft_fail=1
ksft_skip=4

TEREDO_SELFTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NLRAW="$TEREDO_SELFTEST_DIR/nlraw.py"

# Python without site-packages starts twice as fast under QEMU/TCG; the
# helpers need only the standard library.
py() {
	python3 -I -S "$@"
}

# nlraw NS ARGS...: nlraw.py in NS ("" = current netns).
nlraw() {
	local ns=$1

	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" python3 -I -S "$NLRAW" "$@"
	else
		py "$NLRAW" "$@"
	fi
}

# ip(8) is always iproute2's, whatever else is in PATH.
IP=/usr/sbin/ip
ip() {
	"$IP" "$@"
}

# ---------------------------------------------------------------- KTAP

KTAP_PLANNED=0
KTAP_HEADER=0
KTAP_NUM=0
KTAP_NPASS=0
KTAP_NFAIL=0
KTAP_NSKIP=0

ktap_header() {
	[ "$KTAP_HEADER" = 1 ] && return 0
	echo "TAP version 13"
	KTAP_HEADER=1
}

ktap_plan() {
	ktap_header
	KTAP_PLANNED=$1
	echo "1..$1"
}

ktap_info() {
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<< "$*"
}

ktap_pass() {
	KTAP_NUM=$((KTAP_NUM + 1))
	KTAP_NPASS=$((KTAP_NPASS + 1))
	echo "ok $KTAP_NUM $1"
}

ktap_fail() {
	KTAP_NUM=$((KTAP_NUM + 1))
	KTAP_NFAIL=$((KTAP_NFAIL + 1))
	echo "not ok $KTAP_NUM $1"
}

# ktap_skip DESC [REASON]
ktap_skip() {
	KTAP_NUM=$((KTAP_NUM + 1))
	KTAP_NSKIP=$((KTAP_NSKIP + 1))
	echo "ok $KTAP_NUM $1 # SKIP${2:+ $2}"
}

# ktap_result RC DESC: pass when RC is 0.
ktap_result() {
	if [ "$1" = 0 ]; then
		ktap_pass "$2"
	else
		ktap_fail "$2"
	fi
}

# Skip the whole script before or instead of its plan.
ktap_skip_all() {
	ktap_header
	if [ "$KTAP_PLANNED" = 0 ] && [ "$KTAP_NUM" = 0 ]; then
		echo "1..0 # SKIP $1"
	else
		ktap_info "SKIP: $1"
	fi
	exit "$ksft_skip"
}

# Fail the whole script at once (a setup step that must not fail).
ktap_bail() {
	ktap_header
	echo "Bail out! $1"
	exit "$ksft_fail"
}

ktap_finish() {
	local rc=$ksft_pass

	echo "# Totals: pass:$KTAP_NPASS fail:$KTAP_NFAIL xfail:0 xpass:0 skip:$KTAP_NSKIP error:0"
	if [ "$KTAP_NUM" != "$KTAP_PLANNED" ]; then
		ktap_info "planned $KTAP_PLANNED tests but ran $KTAP_NUM"
		rc=$ksft_fail
	elif [ "$KTAP_NFAIL" != 0 ]; then
		rc=$ksft_fail
	elif [ "$KTAP_NPASS" = 0 ] && [ "$KTAP_NSKIP" != 0 ]; then
		rc=$ksft_skip
	fi
	exit "$rc"
}

# ---------------------------------------------------------- assertions

# Output of the last assert_ok/assert_fails_with command.
LAST_OUT=
LAST_ERR=
LAST_RC=0

# Scratch files of this script (command output, batches), removed at exit.
# One directory made once: under QEMU/TCG each process start (mktemp,
# cat, rm) costs a quarter of a second or more.
SCRATCH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/teredo-selftest.XXXXXX") ||
	SCRATCH_DIR=

# slurp VAR FILE: FILE's content into VAR as $(cat FILE) would give it
# (NUL bytes and trailing newlines dropped), without a process.
slurp() {
	local _s='' _part=''

	while IFS= read -r -d '' _part; do
		_s+=$_part
	done < "$2"
	_s+=$_part
	while [[ $_s == *$'\n' ]]; do
		_s=${_s%$'\n'}
	done
	printf -v "$1" '%s' "$_s"
}

_run() {
	local out err

	if [ -z "$SCRATCH_DIR" ] || [ ! -d "$SCRATCH_DIR" ]; then
		out=$(mktemp) err=$(mktemp)
		"$@" >"$out" 2>"$err"
		LAST_RC=$?
		LAST_OUT=$(cat "$out")
		LAST_ERR=$(cat "$err")
		rm -f "$out" "$err"
		return
	fi
	# Per process: a helper may run in a background subshell.
	out=$SCRATCH_DIR/run.$BASHPID.out err=$SCRATCH_DIR/run.$BASHPID.err
	"$@" >"$out" 2>"$err"
	LAST_RC=$?
	slurp LAST_OUT "$out"
	slurp LAST_ERR "$err"
}

_show_run() {
	ktap_info "command: $*"
	ktap_info "exit status: $LAST_RC"
	[ -n "$LAST_OUT" ] && ktap_info "stdout: $LAST_OUT"
	[ -n "$LAST_ERR" ] && ktap_info "stderr: $LAST_ERR"
	return 0
}

# assert_ok CMD...: CMD succeeds.
assert_ok() {
	_run "$@"
	[ "$LAST_RC" = 0 ] && return 0
	ktap_info "expected success"
	_show_run "$@"
	return 1
}

# assert_fails_with MSG CMD...: CMD exits non-zero and MSG is in its stderr.
assert_fails_with() {
	local msg=$1

	shift
	_run "$@"
	if [ "$LAST_RC" != 0 ] && [[ "$LAST_ERR" == *"$msg"* ]]; then
		return 0
	fi
	ktap_info "expected failure with \"$msg\""
	_show_run "$@"
	return 1
}

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
	[ "$2" == "$3" ] && return 0
	ktap_info "$1: expected \"$2\", got \"$3\""
	return 1
}

# assert_ne WHAT UNWANTED ACTUAL
assert_ne() {
	[ "$2" != "$3" ] && return 0
	ktap_info "$1: got \"$3\", which it must not be"
	return 1
}

# assert_num WHAT ACTUAL OP EXPECTED, OP one of -eq -ne -lt -le -gt -ge
assert_num() {
	if ! [[ "$2" =~ ^-?[0-9]+$ ]] || ! [[ "$4" =~ ^-?[0-9]+$ ]]; then
		ktap_info "$1: not numbers: \"$2\" $3 \"$4\""
		return 1
	fi
	case $3 in
	-eq | -ne | -lt | -le | -gt | -ge) ;;
	*) ktap_info "$1: unknown operator $3"; return 1 ;;
	esac
	test "$2" "$3" "$4" && return 0
	ktap_info "$1: expected $2 $3 $4"
	return 1
}

# assert_contains WHAT NEEDLE HAYSTACK
assert_contains() {
	[[ "$3" == *"$2"* ]] && return 0
	ktap_info "$1: \"$2\" not found in: $3"
	return 1
}

# assert_not_contains WHAT NEEDLE HAYSTACK
assert_not_contains() {
	[[ "$3" != *"$2"* ]] && return 0
	ktap_info "$1: \"$2\" unexpectedly found in: $3"
	return 1
}

# assert_word WHAT WORD LIST: WORD is one of the space-separated LIST.
assert_word() {
	[[ " $3 " == *" $2 "* ]] && return 0
	ktap_info "$1: no \"$2\" in: $3"
	return 1
}

# assert_no_word WHAT WORD LIST
assert_no_word() {
	[[ " $3 " != *" $2 "* ]] && return 0
	ktap_info "$1: unexpected \"$2\" in: $3"
	return 1
}

# One result each.
check_ok() {
	local desc=$1

	shift
	assert_ok "$@"
	ktap_result $? "$desc"
}

check_fails_with() {
	local desc=$1

	shift
	assert_fails_with "$@"
	ktap_result $? "$desc"
}

check_eq() {
	assert_eq "$1" "$2" "$3"
	ktap_result $? "$1"
}

check_num() {
	assert_num "$@"
	ktap_result $? "$1"
}

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
	local deadline=$((SECONDS + $1))

	shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# ------------------------------------------------------------- batches
#
# Under QEMU/TCG a process start costs 0.2-0.5 s, python3's a second or
# more.  A test with many ip(8) or nlraw requests queues them, runs them
# all in one process, then checks each one's own outcome by its number:
#
#	ipb_reset
#	ipb_cmd link add tr0 type teredo mode relay; n=$IPB_N
#	ipb_show link show dev tr0; s=$IPB_N
#	ipb_run "$NS"
#	ipb_assert_ok "$n" && assert_info_data_json tr0 "${IPB_OUT[$s]}" ...
#
# and the same with nlb_* for nlraw.py requests.  A result keeps the
# diagnostics of assert_ok/assert_fails_with: the command, how it ended,
# its output.

# ip batch: IPB_LINES[N] the command of line N (from 1), after ipb_run
# IPB_RC[N] 0 (succeeded), 1 (failed) or 2 (not run: ip stopped before),
# IPB_ERR[N] what it printed on stderr, IPB_OUT[N] its line of JSON
# (ipb_show lines).
IPB_NS=
IPB_N=0
IPB_LINES=()
IPB_SHOWS=()
IPB_RC=()
IPB_ERR=()
IPB_OUT=()

ipb_reset() {
	IPB_N=0
	IPB_LINES=()
	IPB_SHOWS=()
	IPB_RC=()
	IPB_ERR=()
	IPB_OUT=()
}

# ipb_cmd WORDS...: queue `ip WORDS` (without -n: ipb_run's NS); its line
# number in IPB_N.  WORDS must not need quoting.
ipb_cmd() {
	local w

	for w in "$@"; do
		case $w in
		'' | *[[:space:]\"\'\\#]*)
			ktap_bail "ipb_cmd: cannot batch the word \"$w\"" ;;
		esac
	done
	IPB_N=$((IPB_N + 1))
	IPB_LINES[IPB_N]="$*"
}

# ipb_show WORDS...: queue a command that prints one line of JSON when it
# succeeds (link show dev DEV); the line in IPB_OUT.
ipb_show() {
	ipb_cmd "$@"
	IPB_SHOWS+=("$IPB_N")
}

# ipb_run NS [OPTION...]: run the queued lines with `ip -n NS -d -j
# [OPTION...] -force -batch` (e.g. -s), which goes on after a failure: a
# failed line prints its error, then "Command failed FILE:N".  A last line
# that must fail tells that ip read the batch to its end.
ipb_run() {
	local file=$SCRATCH_DIR/ipb.$BASHPID line chunk='' n end i
	local re='^Command failed .*:([0-9]+)$'
	local -a lines

	IPB_NS=$1
	shift
	end=$((IPB_N + 1))
	{
		printf '%s\n' "${IPB_LINES[@]}"
		# Fails (EOPNOTSUPP: lo cannot go) and changes nothing.
		echo "link del lo"
	} > "$file.in"
	ip ${IPB_NS:+-n "$IPB_NS"} -d -j "$@" -force -batch "$file.in" \
		>"$file.out" 2>"$file.err"
	IPB_RC=() IPB_ERR=() IPB_OUT=()
	for ((n = 1; n <= IPB_N; n++)); do
		IPB_RC[n]=0
	done
	n=0
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			n=${BASH_REMATCH[1]}
			IPB_RC[n]=1
			IPB_ERR[n]=$chunk
			chunk=
		else
			chunk+=${chunk:+$'\n'}$line
		fi
	done < "$file.err"
	if [ "$n" != "$end" ]; then
		# ip stopped after line n (a plugin's exit(), a crash).
		for ((i = n + 1; i <= IPB_N; i++)); do
			IPB_RC[i]=2
			IPB_ERR[i]="ip stopped before this line${chunk:+: $chunk}"
		done
	elif [ -n "$chunk" ]; then
		ktap_info "ip batch: stray stderr: $chunk"
	fi
	mapfile -t lines < "$file.out"
	i=0
	for n in "${IPB_SHOWS[@]}"; do
		[ "${IPB_RC[n]}" = 0 ] || continue
		IPB_OUT[n]=${lines[i]}
		i=$((i + 1))
	done
	if [ "$i" != "${#lines[@]}" ]; then
		# Not one line per show that succeeded: trust none of them.
		for n in "${IPB_SHOWS[@]}"; do
			[ "${IPB_RC[n]}" = 0 ] || continue
			IPB_RC[n]=2
			IPB_ERR[n]="ip batch: ${#lines[@]} lines of output for $i successful show lines"
		done
	fi
	return 0
}

_ipb_show_line() {
	ktap_info "command: ip ${IPB_NS:+-n $IPB_NS }${IPB_LINES[$1]} (line $1 of a batch)"
	case ${IPB_RC[$1]} in
	0) ktap_info "exit status: 0" ;;
	1) ktap_info "exit status: non-zero (Command failed)" ;;
	*) ktap_info "not run" ;;
	esac
	[ -n "${IPB_OUT[$1]}" ] && ktap_info "stdout: ${IPB_OUT[$1]}"
	[ -n "${IPB_ERR[$1]}" ] && ktap_info "stderr: ${IPB_ERR[$1]}"
	return 0
}

# ipb_assert_ok N: line N succeeded.
ipb_assert_ok() {
	[ "${IPB_RC[$1]}" = 0 ] && return 0
	ktap_info "expected success"
	_ipb_show_line "$1"
	return 1
}

# ipb_assert_fails_with MSG N: line N failed, MSG in its stderr.
ipb_assert_fails_with() {
	if [ "${IPB_RC[$2]}" = 1 ] && [[ ${IPB_ERR[$2]} == *"$1"* ]]; then
		return 0
	fi
	ktap_info "expected failure with \"$1\""
	_ipb_show_line "$2"
	return 1
}

# nlraw batch, the same for nlraw.py requests: nlb_req WORDS... (the
# arguments of one nlraw call, e.g. add tr0 mode=u8:7), nlb_run NS, then
# NLB_RC[N] (nlraw's exit status, "" when not run), NLB_OUT[N], NLB_ERR[N].
NLB_NS=
NLB_N=0
NLB_REQS=()
NLB_RC=()
NLB_OUT=()
NLB_ERR=()

nlb_reset() {
	NLB_N=0
	NLB_REQS=()
	NLB_RC=()
	NLB_OUT=()
	NLB_ERR=()
}

# nlb_req WORDS...: queue one request, its number in NLB_N.
nlb_req() {
	local w

	for w in "$@"; do
		case $w in
		'' | *[[:space:]]*)
			ktap_bail "nlb_req: cannot batch the word \"$w\"" ;;
		esac
	done
	NLB_N=$((NLB_N + 1))
	NLB_REQS[NLB_N]="$*"
}

# nlb_run NS: one nlraw.py for all the queued requests (in NS, "" = here).
nlb_run() {
	local file=$SCRATCH_DIR/nlb.$BASHPID n rc out err end=''

	NLB_NS=$1
	NLB_RC=() NLB_OUT=() NLB_ERR=()
	printf '%s\n' "${NLB_REQS[@]}" > "$file.in"
	nlraw "$NLB_NS" batch < "$file.in" > "$file.out" 2> "$file.err"
	while IFS=$'\x1f' read -r n rc out err; do
		if [ "$n" = end ]; then
			end=$rc
			continue
		fi
		[[ $n =~ ^[0-9]+$ ]] || continue
		NLB_RC[n]=$rc
		NLB_OUT[n]=${out//$'\x1e'/$'\n'}
		NLB_ERR[n]=${err//$'\x1e'/$'\n'}
	done < "$file.out"
	if [ "$end" != "$NLB_N" ]; then
		slurp err "$file.err"
		for ((n = 1; n <= NLB_N; n++)); do
			[ -n "${NLB_RC[n]}" ] && continue
			NLB_ERR[n]="nlraw batch stopped before this request${err:+: $err}"
		done
	fi
	return 0
}

_nlb_show_req() {
	ktap_info "command: nlraw ${NLB_NS:+$NLB_NS }${NLB_REQS[$1]} (request $1 of a batch)"
	ktap_info "exit status: ${NLB_RC[$1]:-(not run)}"
	[ -n "${NLB_OUT[$1]}" ] && ktap_info "stdout: ${NLB_OUT[$1]}"
	[ -n "${NLB_ERR[$1]}" ] && ktap_info "stderr: ${NLB_ERR[$1]}"
	return 0
}

# nlb_assert_ok N: request N succeeded.
nlb_assert_ok() {
	[ "${NLB_RC[$1]}" = 0 ] && return 0
	ktap_info "expected success"
	_nlb_show_req "$1"
	return 1
}

# nlb_assert_fails_with MSG N: request N failed, MSG in its stderr.
nlb_assert_fails_with() {
	if [ -n "${NLB_RC[$2]}" ] && [ "${NLB_RC[$2]}" != 0 ] &&
		[[ ${NLB_ERR[$2]} == *"$1"* ]]; then
		return 0
	fi
	ktap_info "expected failure with \"$1\""
	_nlb_show_req "$2"
	return 1
}

# ---------------------------------------------------------------- JSON

# json_eval EXPR: evaluate the Python expression EXPR with d = the JSON on
# stdin.  Strings print raw, None prints nothing, the rest as sorted JSON.
json_eval() {
	py -c '
import json, sys
d = json.load(sys.stdin)
try:
    v = eval(sys.argv[1])
except (KeyError, IndexError, TypeError):
    sys.exit(3)
if isinstance(v, str):
    print(v)
elif v is not None:
    print(json.dumps(v, sort_keys=True))
' "$1"
}

# link_json NS DEV: `ip -d -j link show` of DEV in NS ("" = current netns).
link_json() {
	ip ${1:+-n "$1"} -d -j link show dev "$2"
}

# link_get NS DEV EXPR: a value out of link_json; d is the device object.
link_get() {
	link_json "$1" "$2" | json_eval "(lambda d: $3)(d[0])"
}

# info_data NS DEV: the device's linkinfo.info_data as sorted JSON.
info_data() {
	link_get "$1" "$2" 'd["linkinfo"]["info_data"]'
}

# info_data_raw NS DEV: info_data as ip prints it, without parsing it
# (cheap; for comparing a device with itself).
info_data_raw() {
	local out

	out=$(link_json "$1" "$2") || return 0
	json_info_data_raw out "$out"
	[ -n "$out" ] && printf '%s\n' "$out"
	return 0
}

# The running state the plugin prints after the configuration (reported
# by the kernel, skipped when pasted back); teredo_service.sh checks it.
TEREDO_RUNTIME_KEYS="state reason nat portmap portmap-gateway mapped address bound"

# json_info_data_raw VAR JSON: the configuration in the info_data object
# of `ip -d -j link show` output JSON as ip printed it (flat: teredo's has
# no nested object), the running state left out, or "" (no process).
json_info_data_raw() {
	local _jr_re='.*"info_data":([{][^}]*[}])' _jr_v _jr_k

	if [[ $2 =~ $_jr_re ]]; then
		_jr_v=${BASH_REMATCH[1]}
		for _jr_k in $TEREDO_RUNTIME_KEYS; do
			_jr_v=${_jr_v%%,\""$_jr_k"\":*}
		done
		[[ $_jr_v == *'}' ]] || _jr_v+='}'
		printf -v "$1" '%s' "$_jr_v"
	else
		printf -v "$1" '%s' ""
	fi
}

# json_compact VAR JSON: JSON without the white space between its tokens,
# as ip -j prints it, so that equal strings mean equal JSON (no process).
# Fails for JSON with a backslash or an unterminated string: compare those
# with canon_json.
json_compact() {
	local _jc_rest=$2 _jc_out='' _jc_seg

	[[ $_jc_rest == *\\* ]] && return 1
	while [[ $_jc_rest == *'"'* ]]; do
		_jc_seg=${_jc_rest%%'"'*}
		_jc_rest=${_jc_rest#*'"'}
		_jc_out+=${_jc_seg//[[:space:]]/}'"'
		[[ $_jc_rest == *'"'* ]] || return 1
		_jc_seg=${_jc_rest%%'"'*}
		_jc_rest=${_jc_rest#*'"'}
		_jc_out+=$_jc_seg'"'
	done
	_jc_out+=${_jc_rest//[[:space:]]/}
	printf -v "$1" '%s' "$_jc_out"
}

# json_first VAR JSON KEY: the value of KEY in compact JSON that holds KEY
# once, as `ip -d -j link show dev DEV` holds "mtu", "flags", "link_type"
# or "info_kind": a string without its quotes, a list of strings as words
# (like " ".join()), a number as it is; "" and status 1 when KEY is not
# there.  No process.
json_first() {
	local _jf_re='"'"$3"'":("[^"\\]*"|\[[^]\\]*\]|[-+.0-9a-zA-Z]+)' _jf_v

	if ! [[ $2 =~ $_jf_re ]]; then
		printf -v "$1" '%s' ""
		return 1
	fi
	_jf_v=${BASH_REMATCH[1]}
	case $_jf_v in
	'"'*)
		_jf_v=${_jf_v#'"'}
		_jf_v=${_jf_v%'"'}
		;;
	'['*)
		_jf_v=${_jf_v#[}
		_jf_v=${_jf_v%]}
		_jf_v=${_jf_v//'"'/}
		_jf_v=${_jf_v//,/ }
		;;
	esac
	printf -v "$1" '%s' "$_jf_v"
}

# json_info_get VAR JSON KEY: KEY of info_data in `ip -d -j link show`
# output JSON (mode, server, port...), as json_first gives it.
json_info_get() {
	local _ji_data

	json_info_data_raw _ji_data "$2"
	json_first "$1" "$_ji_data" "$3"
}

# json_stat VAR JSON DIR FIELD: the counter link_stat gives, out of JSON,
# the output of `ip -s -j link show dev DEV` (e.g. from an ip batch).
json_stat() {
	local _js_re='"stats64":[{]"rx":[{]([^{}]*)[}],"tx":[{]([^{}]*)[}]' _js_obj=''

	if [[ $2 =~ $_js_re ]]; then
		case $3 in
		rx) _js_obj=${BASH_REMATCH[1]} ;;
		tx) _js_obj=${BASH_REMATCH[2]} ;;
		esac
	fi
	_js_re='(^|,)"'"$4"'":([0-9]+)(,|$)'
	if [[ $_js_obj =~ $_js_re ]]; then
		printf -v "$1" '%s' "${BASH_REMATCH[2]}"
		return 0
	fi
	# Laid out otherwise: ask Python.
	printf -v "$1" '%s' "$(printf '%s\n' "$2" |
		json_eval "d[0][\"stats64\"][\"$3\"][\"$4\"]")"
}

# json_same A B: the JSON texts A and B are the same value: equal once
# compacted, else (keys in another order...) equal as Python sees them.
json_same() {
	local a b

	[ -n "$1" ] && [ -n "$2" ] || return 1
	if json_compact a "$1" && json_compact b "$2" && [ "$a" = "$b" ]; then
		return 0
	fi
	py -c '
import json, sys
sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))
' "$1" "$2" 2>/dev/null
}

# canon_json JSON: the same object as info_data prints it.
canon_json() {
	py -c 'import json, sys; print(json.dumps(json.loads(sys.argv[1]), sort_keys=True))' "$1"
}

# assert_info_data NS DEV EXPECTED_JSON: info_data is exactly that.
assert_info_data() {
	assert_info_data_json "$2" "$(link_json "$1" "$2")" "$3"
}

# assert_info_data_json DEV JSON EXPECTED_JSON: the same on JSON, the
# output of `ip -d -j link show dev DEV` (e.g. from an ip batch).
assert_info_data_json() {
	local out want got

	# Python (a second or more under TCG) only to explain a difference.
	json_info_data_raw got "$2"
	if [ -n "$got" ] && json_compact want "$3" && [ "$got" = "$want" ]; then
		return 0
	fi
	if out=$(printf '%s\n' "$2" | py -c '
import json, sys
want = json.dumps(json.loads(sys.argv[1]), sort_keys=True)
try:
    d = json.load(sys.stdin)[0]["linkinfo"]["info_data"]
    got = json.dumps({k: v for k, v in d.items()
                      if k not in sys.argv[2].split()}, sort_keys=True)
except (ValueError, KeyError, IndexError) as e:
    got = "(none: %r)" % e
if got != want:
    print("expected \"%s\", got \"%s\"" % (want, got))
    sys.exit(1)
' "$3" "$TEREDO_RUNTIME_KEYS"); then
		return 0
	fi
	ktap_info "$1 info_data: $out"
	return 1
}

# link_stat NS DEV DIR FIELD: a counter from `ip -s -j link show`,
# e.g. link_stat "$ns" t0 tx dropped.
link_stat() {
	ip ${1:+-n "$1"} -s -j link show dev "$2" |
		json_eval "d[0][\"stats64\"][\"$3\"][\"$4\"]"
}

# link_exists NS DEV: DEV (a name or an altname) is a device of NS.
# From the list of all devices: asking ip for a device that is not there
# costs two modprobe runs (the kernel's dev_load on ip's SIOCGIFINDEX
# fallback), one to three seconds under TCG.
link_exists() {
	local json

	case $2 in
	*'"'* | *\\*)
		# Escaped in ip's JSON: ask for it by name.
		ip ${1:+-n "$1"} link show dev "$2" >/dev/null 2>&1
		return
		;;
	esac
	json=$(ip ${1:+-n "$1"} -j link show) || return 1
	[[ $json == *'"ifname":"'"$2"'"'* ]] && return 0
	# An altname: in one of the "altnames" lists.
	while [[ $json == *'"altnames":['* ]]; do
		json=${json#*'"altnames":['}
		[[ ${json%%]*} == *'"'"$2"'"'* ]] && return 0
	done
	return 1
}

link_absent() {
	! link_exists "$@"
}

# teredo_addr SERVER IP PORT: the Teredo address, flags 0, of a client
# of SERVER mapped at IP:PORT (RFC 4380 §4), as inet_ntop writes it.
teredo_addr() {
	local s1 s2 s3 s4 m1 m2 m3 m4

	IFS=. read -r s1 s2 s3 s4 <<< "$1"
	IFS=. read -r m1 m2 m3 m4 <<< "$2"
	printf '2001:0:%x:%x:0:%x:%x:%x\n' $((s1 << 8 | s2)) \
		$((s3 << 8 | s4)) $(($3 ^ 0xffff)) \
		$(((m1 << 8 | m2) ^ 0xffff)) $(((m3 << 8 | m4) ^ 0xffff))
}

# The fallback devices a tunnel driver puts in every namespace once it
# is loaded or built in (the debug kernel builds sit and ip6_tunnel in):
# not ours, and present or not depending on what ran before.
FALLBACK_LINKS=" sit0 ip6tnl0 tunl0 gre0 gretap0 erspan0 ip_vti0 ip6_vti0 ip6gre0 "

# link_names NS: every device name in NS but the tunnel drivers'
# fallback devices, one a line, sorted.
link_names() {
	local json name re='"ifname":"([^"]*)"(.*)$'
	local -a names=()

	json=$(ip ${1:+-n "$1"} -j link show) || return 1
	# Each device has one "ifname" (-j without -d: nothing nested holds
	# one); a name with a quote or a backslash is escaped: ask Python.
	if [[ $json == *\\* ]]; then
		printf '%s\n' "$json" | json_eval '"\n".join(sorted(
			l["ifname"] for l in d
			if " %s " % l["ifname"] not in "'"$FALLBACK_LINKS"'"))'
		return
	fi
	while [[ $json =~ $re ]]; do
		name=${BASH_REMATCH[1]}
		json=${BASH_REMATCH[2]}
		[[ $FALLBACK_LINKS == *" $name "* ]] || names+=("$name")
	done
	[ "${#names[@]}" = 0 ] && return 0
	printf '%s\n' "${names[@]}" | LC_ALL=C sort
}

# teredo_text_opts NS DEV: the words `ip -d link show` prints after the
# kind "teredo", up to the first word that is not a teredo keyword (the
# generic details such as addrgenmode follow on the same line).
teredo_text_opts() {
	ip ${1:+-n "$1"} -d link show dev "$2" | awk '
	BEGIN {
		split("mode server server2 local local2 port refresh max-peers ttl hold-limit", k)
		for (i in k)
			key[k[i]] = 1
	}
	$1 == "teredo" {
		out = ""
		for (i = 2; i < NF && ($i in key); i += 2)
			out = out (out == "" ? "" : " ") $i " " $(i + 1)
		print out
		found = 1
		exit
	}
	END { exit !found }'
}

# teredo_text_opts_all VAR NS: fill the associative array VAR (declare -A
# VAR first) with what teredo_text_opts prints for each teredo device of
# NS, from one `ip -d link show` for all of them.
teredo_text_opts_all() {
	local -n _tto_var=$1
	local line dev='' out i
	local re='^[0-9]+: ([^:@ ]+)[:@]'
	local -a words

	_tto_var=()
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			dev=${BASH_REMATCH[1]}
			continue
		fi
		read -r -a words <<< "$line"
		[ "${words[0]}" = teredo ] || continue
		out=''
		for ((i = 1; i + 1 < ${#words[@]}; i += 2)); do
			case ${words[i]} in
			mode | server | server2 | local | local2 | port | refresh | \
				max-peers | ttl | hold-limit) ;;
			*) break ;;
			esac
			out+="${out:+ }${words[i]} ${words[i + 1]}"
		done
		_tto_var["$dev"]=$out
	done <<< "$(ip ${2:+-n "$2"} -d link show)"
}

# text_to_json "WORDS": keyword/value pairs as info_data would show them
# (numbers as numbers), sorted JSON.
text_to_json() {
	py -c '
import json, sys
w = sys.argv[1].split()
d = {}
for k, v in zip(w[0::2], w[1::2]):
    d[k] = int(v) if v.isdigit() else v
print(json.dumps(d, sort_keys=True))
' "$1"
}

# ------------------------------------------------------------- netns

NS_LIST=()
CLEANUP_HOOKS=()

# ns_create VAR...: a new namespace for each VAR, named
# teredo-VAR-<random>, with lo up; its name is stored in VAR.
ns_create() {
	local var name

	for var in "$@"; do
		name="teredo-$var-$(mktemp -u XXXXXX)"
		if ! ip netns add "$name"; then
			ktap_bail "cannot create netns $name"
		fi
		NS_LIST+=("$name")
		ip -n "$name" link set lo up
		printf -v "$var" '%s' "$name"
	done
}

# fixed_mac N: a locally administered MAC address ending in N, so that
# neighbour entries can be made permanent.
fixed_mac() {
	printf '02:00:00:00:00:%02x' "$1"
}

# ns_hub [-m] HUB LEAF... [-- ALONE...]: every name gets a new namespace,
# teredo-NAME-<random>, stored in the variable of that name (deleted at
# exit); each LEAF is linked to HUB by a veth pair, e0 in LEAF and
# e-LEAF in HUB.  One ip -batch for all: a process start costs up to
# seconds under TCG.  -m: fixed MACs, the k-th LEAF's e0
# fixed_mac 16k and its HUB end 16k + 1.
ns_hub() {
	local _m=0 _v _hub _cmds="" _n=16 _a="" _b="" _alone=0
	local -a _leaves=()

	[ "$1" = -m ] && { _m=1; shift; }
	_hub=$1
	for _v in "$@"; do
		[ "$_v" = -- ] && { _alone=1; continue; }
		printf -v "$_v" '%s' "teredo-$_v-$RANDOM$RANDOM"
		NS_LIST+=("${!_v}")
		_cmds+="netns add ${!_v}"$'\n'
		[ "$_v" != "$_hub" ] && [ $_alone = 0 ] && _leaves+=("$_v")
	done
	for _v in "${_leaves[@]}"; do
		if [ $_m = 1 ]; then
			_a=" address $(fixed_mac $_n)"
			_b=" address $(fixed_mac $((_n + 1)))"
		fi
		_cmds+="link add e0 netns ${!_v}$_a type veth peer name e-$_v"
		_cmds+=" netns ${!_hub}$_b"$'\n'
		_n=$((_n + 16))
	done
	ip -batch - <<< "$_cmds"
}

# ns_spoof_sysctl VAR... [-- KEY=VALUE...]: in the namespace of each
# VAR, spoofed sources come in (no reverse path filter) and new devices
# keep the kernel's own IPv6 traffic (RS, MLD) to themselves; KEY=VALUE:
# more settings.  One sysctl(8) a namespace.
ns_spoof_sysctl() {
	local _v
	local -a _ns=() _kv=(net.ipv4.conf.all.rp_filter=0
		net.ipv4.conf.default.rp_filter=0
		net.ipv6.conf.default.accept_ra=0
		net.ipv6.conf.default.router_solicitations=0
		net.ipv6.conf.default.addr_gen_mode=1)

	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_ns+=("${!1}")
		shift
	done
	[ $# -gt 0 ] && shift
	_kv+=("$@")
	for _v in "${_ns[@]}"; do
		ip netns exec "$_v" sysctl -q -w "${_kv[@]}" >/dev/null || return 1
	done
}

# ns_delete NAME: delete now, and forget it for the final cleanup.
ns_delete() {
	local i

	for i in "${!NS_LIST[@]}"; do
		[ "${NS_LIST[$i]}" = "$1" ] && unset "NS_LIST[$i]"
	done
	ip netns del "$1"
}

# ns_add_addrs NS ADDR...: put IPv4 addresses (/32) on lo, so a kernel
# socket may bind them.
ns_add_addrs() {
	local ns=$1 a

	shift
	for a in "$@"; do
		ip -n "$ns" addr add "$a/32" dev lo || return 1
	done
}

# ns_quiet_ipv6 NS DEV...: keep the kernel's own autoconfiguration traffic
# (RS, MLD) away from each DEV, so counters only see what a test sends.
ns_quiet_ipv6() {
	local ns=$1 dev k
	local -a kv=()

	shift
	for dev in "$@"; do
		for k in accept_ra=0 router_solicitations=0 addr_gen_mode=1; do
			kv+=("net.ipv6.conf.$dev.$k")
		done
	done
	# One sysctl(8) for all: it goes on after a key it cannot set.
	ip netns exec "$ns" sysctl -q -w "${kv[@]}" >/dev/null 2>&1
	return 0
}

# peer_serve NS [ERRLOG]: teredo_peer.py serve in NS as a coprocess, one
# process for every raw send, flood and counter read of a test (a Python
# start costs seconds under TCG); killed at exit.  Talk to it with ask.
PEERPY=$TEREDO_SELFTEST_DIR/teredo_peer.py
peer_serve() {
	coproc PEER_SERVE { ip netns exec "$1" python3 -I -S "$PEERPY" serve \
		2> "${2:-/dev/null}"; }
	at_exit "kill $PEER_SERVE_PID"
}

# ask LINE...: one command to peer_serve, its one-line answer in ANSWER
# ("" if none came within 120 s).
ANSWER=""
# shellcheck disable=SC2034  # ANSWER is read by the tests
ask() {
	echo "$*" >&"${PEER_SERVE[1]}"
	ANSWER=""
	read -r -t 120 ANSWER <&"${PEER_SERVE[0]}"
}

# at_exit CMD: run CMD (a string) at exit, last registered first.
at_exit() {
	CLEANUP_HOOKS+=("$1")
}

# What the kernel log holds when the script starts: at its end the script
# fails if the kernel splatted meanwhile, so that a splat is blamed on the
# test that caused it, not found hours later at the end of the VM run.
# Counted in lines: the guest's log buffer holds a whole run
# (log_buf_len, tools/vm/run.sh).  What a splat is: splats.awk.
KLOG_START=$(dmesg 2>/dev/null | wc -l)

# klog_splats: the splats logged since the script started, each with the
# lines that follow it (its trace), but for the kernel's own that
# known-splats allows (those go to stderr with their reason); status 1
# when there are none.
klog_splats() {
	local dir

	dir=$(dirname "${BASH_SOURCE[0]}")
	dmesg 2>/dev/null | awk -v skip="$KLOG_START" \
		-v allow="$dir/known-splats" -f "$dir/splats.awk"
}

_cleanup() {
	local rc=$? i ns splat

	for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_HOOKS[$i]}" >/dev/null 2>&1
	done
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" >/dev/null 2>&1
	done
	[ -n "$SCRATCH_DIR" ] && rm -rf "$SCRATCH_DIR"
	if splat=$(klog_splats); then
		ktap_info "kernel splat while this script ran:"
		ktap_info "$splat"
		rc=$ksft_fail
	fi
	exit "$rc"
}
trap _cleanup EXIT

# ------------------------------------------------------------ module

# Dynamic debug on for the module, so its created/destroyed lines show.
teredo_dyndbg() {
	local ctl=/sys/kernel/debug/dynamic_debug/control

	if [ ! -e "$ctl" ] && [ -d /sys/kernel/debug ]; then
		mount -t debugfs none /sys/kernel/debug >/dev/null 2>&1
	fi
	[ -w "$ctl" ] && echo 'module teredo +p' > "$ctl" 2>/dev/null
	grep -q '\[teredo\]' "$ctl" 2>/dev/null || return 1
	! grep '\[teredo\]' "$ctl" | grep -q '=_'
}

# teredo_load: load the module (skip the script when it is not installed),
# check the iproute2 plugin, turn on the created/destroyed lines.
teredo_load() {
	local libdir=${IP_LIB_DIR:-/usr/lib/x86_64-linux-gnu/ip}

	[ "$(id -u)" = 0 ] || ktap_skip_all "must be root"
	command -v python3 >/dev/null || ktap_skip_all "python3 not found"
	if [ ! -d /sys/module/teredo ]; then
		if ! modinfo teredo >/dev/null 2>&1; then
			ktap_skip_all "module teredo not available"
		fi
		modprobe teredo dyndbg=+p ||
			ktap_bail "modprobe teredo failed although it is installed"
	fi
	if [ ! -e "$libdir/link_teredo.so" ]; then
		# The VM runner points IP_LIB_DIR at the build: missing there
		# is a failure; on a machine without the plugin, a skip.
		[ -n "${IP_LIB_DIR:-}" ] &&
			ktap_bail "IP_LIB_DIR=$IP_LIB_DIR has no link_teredo.so"
		ktap_skip_all "iproute2 plugin link_teredo.so not installed"
	fi
	teredo_dyndbg || ktap_info "warning: cannot enable dynamic debug for teredo"
	return 0
}

# dmesg_count EVENT NAME: how many "teredo: NAME: EVENT" lines the kernel
# log holds (EVENT is created or destroyed).
dmesg_count() {
	dmesg | grep -cE "teredo: $2: $1\$"
}

# dmesg_counts EVENT PREFIX: "name count" for every device name starting
# with PREFIX, one a line.
dmesg_counts() {
	dmesg | sed -nE "s/.*teredo: ($2[^:]*): $1\$/\\1/p" | sort | uniq -c |
		awk '{ print $2, $1 }'
}

# dmesg_tally VAR EVENT PREFIX: fill the associative array VAR (declared
# by the caller: declare -A VAR) with name -> how many "teredo: NAME: EVENT"
# lines the kernel log holds, for every name starting with PREFIX.  One
# dmesg for many names (a dmesg_count per name costs two process starts).
dmesg_tally() {
	local -n _dmesg_tally_var=$1
	local name lines c

	_dmesg_tally_var=()
	lines=$(dmesg | sed -nE "s/.*teredo: ($3[^:]*): $2\$/\\1/p")
	while read -r name; do
		[ -n "$name" ] || continue
		c=${_dmesg_tally_var["$name"]:-0}
		_dmesg_tally_var["$name"]=$((c + 1))
	done <<< "$lines"
}

_dmesg_is() {
	[ "$(dmesg_count "$1" "$2")" = "$3" ]
}

# wait_dmesg_count EVENT NAME N [TIMEOUT_S]: wait until the log holds N
# such lines (devices are freed after their netns has gone, later).
wait_dmesg_count() {
	wait_until "${4:-10}" _dmesg_is "$1" "$2" "$3"
}

# rx_queues FILTER CMD...: CMD (its output to stderr) with the kernel's
# net:netif_rx_entry and net:napi_gro_receive_entry tracepoints on,
# filtered by FILTER (e.g. 'name == "teredo0"'); prints "netif_rx N gro
# N": how many packets each path took (the backlog, or a GRO cell's
# NAPI), half a second after CMD for what the backlog delivers later.
# Returns CMD's status.
rx_queues() {
	local tr=/sys/kernel/tracing filter=$1 ev rc

	shift
	[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
	echo > "$tr/trace"
	for ev in netif_rx_entry napi_gro_receive_entry; do
		echo "$filter" > "$tr/events/net/$ev/filter"
		echo 1 > "$tr/events/net/$ev/enable"
	done
	"$@" >&2
	rc=$?
	sleep 0.5
	for ev in netif_rx_entry napi_gro_receive_entry; do
		echo 0 > "$tr/events/net/$ev/enable"
		echo 0 > "$tr/events/net/$ev/filter"
	done
	echo "netif_rx $(grep -c ' netif_rx_entry:' "$tr/trace")" \
		"gro $(grep -c ' napi_gro_receive_entry:' "$tr/trace")"
	return $rc
}
