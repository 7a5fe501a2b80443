#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of the splat filter (selftests/splats.awk, known-splats): a
# kernel log with teredo's own splat must fail however it sits beside an
# allowed one; the allowed one alone must pass and still be shown.  TAP.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
# check DESC WANT-RC WANT-IN-STDOUT [SKIP]: filter $tmp/log, expect its
# status and a string in what it prints (empty: prints nothing).
check() {
	local rc=0 out

	out=$(awk -v skip="${4:-0}" \
		-v allow="$top/selftests/known-splats" \
		-f "$top/selftests/splats.awk" "$tmp/log" 2>"$tmp/err") || rc=$?
	n=$((n + 1))
	if [ "$rc" = "$2" ] && { [ -z "$3" ] && [ -z "$out" ] ||
		[ -n "$3" ] && [[ "$out" == *"$3"* ]]; }; then
		echo "ok $n $1"
	else
		echo "not ok $n $1"
		echo "# status $rc, printed: $out"
		failed=$((failed + 1))
	fi
}

nft_splat() {
	cat <<-'L'
	[ 3227.049104] WARNING: suspicious RCU usage
	[ 3227.049714] 6.12.118-teredo-debug #1 Tainted: G           O
	[ 3227.049950] net/netfilter/nf_tables_api.c:4470 RCU-list traversed in non-reader section!!
	[ 3227.050198]  #0: ff1100000c0b74d8 (&nft_net->commit_mutex){+.+.}-{3:3}
	[ 3227.054053] Call Trace:
	[ 3227.054258]  dump_stack_lvl+0x80/0xa0
	[ 3227.054472]  nft_set_lookup.part.0+0x12a/0x160
	[ 3227.054509]  nf_tables_newset+0xc8a/0x4180
	L
}
ours() {
	cat <<-'L'
	[ 3300.000001] BUG: KASAN: slab-use-after-free in teredo_nl_dev_get+0x1c/0x80 [teredo]
	[ 3300.000002] Call Trace:
	[ 3300.000003]  teredo_nl_dev_get+0x1c/0x80 [teredo]
	L
}

printf '[    1.0] teredo: loaded\n' > "$tmp/log"
check "a clean log passes" 1 ""
nft_splat > "$tmp/log"
check "the nf_tables PROVE_RCU splat alone is allowed" 1 ""
n=$((n + 1))
if grep -q "allowed kernel splat: .*suspicious RCU usage (nf_tables" "$tmp/err"; then
	echo "ok $n the allowed splat is shown with its reason"
else
	echo "not ok $n the allowed splat is shown with its reason"
	failed=$((failed + 1))
fi
ours > "$tmp/log"
check "teredo's own splat fails" 0 "KASAN: slab-use-after-free in teredo_nl_dev_get"
{ nft_splat; ours; } > "$tmp/log"
check "teredo's splat right after an allowed one fails" 0 "teredo_nl_dev_get"
{ ours; nft_splat; } > "$tmp/log"
check "teredo's splat right before an allowed one fails" 0 "teredo_nl_dev_get"
nft_splat | sed 's/nf_tables_newset/some_other_caller/' > "$tmp/log"
check "the same warning from another caller fails" 0 "suspicious RCU usage"
{ ours; printf '[ 3400.0] teredo: later\n'; } > "$tmp/log"
check "a splat before the script's start is not its" 1 "" 3

echo "1..$n"
[ "$failed" = 0 ]
