#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Unit test of make check's arithmetic (tools/tally.sh, tools/check.sh):
# logs that tested less than they say must never add up to "0 failed".
# Each case feeds a log as the selftests' runner or a host test writes it
# and checks the counts; the last ones run check.sh itself with a
# misspelt suite and with a make that fails.  TAP output.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tools/tally.sh
. "$top/tools/tally.sh"

n=0 failed=0
result() {	# RC DESC
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}

# counts FLOOR RC LOG-TEXT: "passed failed skipped" as tally_log gives
# them for LOG-TEXT (tally_log's own lines in $tmp/out).
counts() {
	printf '%s\n' "$3" > "$tmp/log"
	TALLY_PASS=0 TALLY_FAIL=0 TALLY_SKIP=0
	tally_log suite-x "$tmp/log" "$2" "$1" > "$tmp/out"
	echo "$TALLY_PASS $TALLY_FAIL $TALLY_SKIP"
}

expect() {	# DESC WANT GOT
	[ "$2" = "$3" ]
	result $? "$1"
	[ "$2" = "$3" ] || { echo "# want \"$2\", got \"$3\""; sed 's/^/# /' "$tmp/out"; }
}

# The runner's output for a script (selftests/Makefile run_tests).
script() {	# N NAME RESULT-LINE-SUFFIX SUBTEST-LINES...
	local i=$1 name=$2 end=$3

	shift 3
	echo "# selftests: teredo: $name"
	printf '# %s\n' "$@"
	echo "ok $i selftests: teredo: $name$end"
}

clean=$(
	echo "TAP version 13"
	echo "1..2"
	script 1 a.sh "" "TAP version 13" "1..2" "ok 1 one" "ok 2 two"
	script 2 b.sh "" "TAP version 13" "1..1" "ok 1 three"
)
expect "a clean run: 3 passed" "3 0 0" "$(counts 3 0 "$clean")"

log=${clean/ok 2 two/ok 2 two # SKIP nft not found}
expect "a skipped subtest is a failure, never a pass" "2 1 0" \
	"$(counts 0 0 "$log")"
grep -q 'unexpected skip: a.sh: two' "$tmp/out"
result $? "... and it is named (script: subtest)"

log=$(
	echo "1..2"
	script 1 a.sh "" "1..2" "ok 1 one" "ok 2 two"
	script 2 b.sh " # SKIP" "TAP version 13" "1..0 # SKIP tshark not found"
)
expect "a skipped script is a failure" "2 1 0" "$(counts 0 0 "$log")"

# A script skipped part way (ktap_skip_all after some results).
log=$(
	echo "1..1"
	script 1 a.sh " # SKIP" "1..3" "ok 1 one" "# SKIP: miredo not found"
)
expect "a script skipped after a result: its pass and one failure" "1 1 0" \
	"$(counts 0 0 "$log")"

printf '%s\n' "# comment line | x | y" \
	"suite-* | a.sh: two | nft is not packaged here" \
	"suite-x | b.sh |" > "$tmp/allow"
TALLY_ALLOW=$tmp/allow
log=${clean/ok 2 two/ok 2 two # SKIP nft not found}
expect "an allowed skip (with its reason) counts as skipped" "2 0 1" \
	"$(counts 0 0 "$log")"
log=$(
	echo "1..1"
	script 1 b.sh " # SKIP" "1..0 # SKIP tshark not found"
)
expect "an allow-list entry without a reason allows nothing" "0 1 0" \
	"$(counts 0 0 "$log")"
TALLY_ALLOW=

expect "an empty test list (1..0) is a failure" "0 1 0" \
	"$(counts 0 0 "$(printf 'TAP version 13\n1..0\n# Totals: pass:0 fail:0 skip:0\n')")"
expect "no output at all is a failure" "0 1 0" "$(counts 0 0 "")"
expect "a script with an empty plan is a failure" "0 1 0" \
	"$(counts 0 0 "$(echo "1..1"; script 1 a.sh "" "1..0")")"

log=$(echo "1..3"; script 1 a.sh "" "1..1" "ok 1 one")
expect "fewer scripts than planned (the VM died) is a failure" "1 1 0" \
	"$(counts 0 1 "$log")"

expect "fewer results than the suite's floor is a failure" "3 1 0" \
	"$(counts 4 0 "$clean")"

log=${clean/ok 2 selftests: teredo: b.sh/not ok 2 selftests: teredo: b.sh # exit=1}
expect "a script that failed without a failing subtest (a splat) fails once" \
	"3 1 0" "$(counts 0 0 "$log")"

log=$(echo "1..1"; script 1 a.sh "" "1..2" "ok 1 one" "not ok 2 two")
log=${log/ok 1 selftests/not ok 1 selftests}
expect "a failing subtest counts once, not again for its script" "1 1 0" \
	"$(counts 0 1 "$log")"

log=$(printf 'TAP version 13\n1..3\nok 1 x\nnot ok 2 y\nok 3 z # SKIP no tool\n')
expect "a flat log (host tests): skip and failure" "1 2 0" \
	"$(counts 0 1 "$log")"
expect "a flat log that exits non-zero with every result ok fails" "1 1 0" \
	"$(counts 0 2 "$(printf '1..1\nok 1 x\n')")"

TALLY_PASS=0 TALLY_FAIL=0 TALLY_SKIP=0
tally_single tools "$tmp/b.log" false > "$tmp/out"
rc=$?
[ "$rc" != 0 ] && [ "$TALLY_FAIL" = 1 ] && [ "$TALLY_PASS" = 0 ]
result $? "a failed build is a failure (and its status is returned)"
expect "the closing line keeps CI's prefix" "0 passed, 1 failed, 0 skipped" \
	"$(tally_closing)"

# check.sh itself, without deps and without any VM.
run_check() {	# ENV... : check.sh's closing line and status
	env CHECK_DEPS=0 CHECK_LOGS="$tmp/logs" "$@" "$top/tools/check.sh" \
		> "$tmp/out" 2>&1
	echo "rc=$? $(tail -n1 "$tmp/out")"
}
expect "check.sh: a misspelt CHECK_SUITES word is a failure" \
	"rc=1 0 passed, 1 failed, 0 skipped" "$(run_check CHECK_SUITES=vmm)"
expect "check.sh: a misspelt CHECK_KERNELS word is a failure" \
	"rc=1 0 passed, 1 failed, 0 skipped" \
	"$(run_check CHECK_SUITES=" " CHECK_KERNELS=6.1)"
expect "check.sh: no suite at all is a failure" \
	"rc=1 0 passed, 1 failed, 0 skipped" "$(run_check CHECK_SUITES=" ")"

# A make that fails: the tools build fails, so does the module's, and
# the demo's VM is never booted on what an earlier build left.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "make: simulated failure" >&2\nexit 2\n' > "$tmp/bin/make"
chmod +x "$tmp/bin/make"
expect "check.sh: a failed tools build fails the run, no VM boots" \
	"rc=1 0 passed, 3 failed, 0 skipped" \
	"$(run_check PATH="$tmp/bin:$PATH" CHECK_SUITES=demo)"
grep -q '^suite tools .* 0 passed, 1 failed' "$tmp/out" &&
	! grep -q 'vm: booting' "$tmp/out"
result $? "... the tools suite is the failure named, and nothing booted"

echo "1..$n"
[ "$failed" = 0 ]
