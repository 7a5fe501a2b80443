# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# make check's arithmetic, sourced by tools/check.sh and by its unit test
# (tools/tests/test_tally.sh).  A run must never read "0 failed" when it
# tested less than it says, so:
#
# - a skip is a skip, never a pass: a skipped subtest ("ok N x # SKIP")
#   and a skipped script ("ok N selftests: teredo: x.sh # SKIP") each
#   count once, as "skipped" when TALLY_ALLOW lists it with a reason and
#   as "failed" when it does not;
# - a suite states the fewest results it must have (its floor) and fewer
#   is a failure, and so is an empty plan ("1..0") or a missing one;
# - a script that exited non-zero without a failing subtest (a splat, a
#   timeout, a plan not kept) is one failure of its own.
#
# Logs are TAP, flat (the host unit tests) or as the selftests' runner
# prints it: a script's KTAP indented by "# ", then one unindented
# result line for the script.

TALLY_PASS=0 TALLY_FAIL=0 TALLY_SKIP=0
# The allow-list: "SUITE | TEST | REASON" a line, '#' comments; SUITE
# and TEST are bash patterns, TEST is "script: subtest" or "script".
TALLY_ALLOW=${TALLY_ALLOW:-}

tally_record() {	# suite passed failed skipped
	printf 'suite %-22s %3d passed, %d failed, %d skipped\n' \
		"$1" "$2" "$3" "$4"
	TALLY_PASS=$((TALLY_PASS + $2))
	TALLY_FAIL=$((TALLY_FAIL + $3))
	TALLY_SKIP=$((TALLY_SKIP + $4))
}

# The closing line.  CI reads its "N passed, N failed" prefix.
tally_closing() {
	echo "$TALLY_PASS passed, $TALLY_FAIL failed, $TALLY_SKIP skipped"
}

# tally_allowed SUITE TEST: TALLY_ALLOW has a line for it, with a reason.
tally_allowed() {
	local s t r

	[ -n "$TALLY_ALLOW" ] && [ -f "$TALLY_ALLOW" ] || return 1
	while IFS='|' read -r s t r; do
		s=$(_tally_trim "$s") t=$(_tally_trim "$t") r=$(_tally_trim "$r")
		case $s in '' | '#'*) continue ;; esac
		# An entry without a reason allows nothing.
		if [ -z "$t" ] || [ -z "$r" ]; then
			continue
		fi
		# shellcheck disable=SC2053  # the entries are patterns
		[[ $1 == $s && $2 == $t ]] && return 0
	done < "$TALLY_ALLOW"
	return 1
}

_tally_trim() {
	local v=$1

	v=${v#"${v%%[![:space:]]*}"}
	printf '%s' "${v%"${v##*[![:space:]]}"}"
}

# _tally_parse LOG: one line per finding: "pass", "fail WHY",
# "skip TEST" (TEST as tally_allowed takes it).
_tally_parse() {
	awk '
	function desc(s) {	# "ok 3 foo # SKIP x" -> "foo"
		sub(/^(not )?ok [0-9]+ (- )?/, "", s)
		sub(/ # (SKIP|TODO|TIMEOUT|exit=).*$/, "", s)
		sub(/^selftests: [^:]*: /, "", s)
		return s
	}
	function skipped(s) { return s ~ /# SKIP/ }
	BEGIN { plan = -1; top = 0 }
	/^1\.\.[0-9]+/ {
		if (plan < 0) plan = substr($1, 4) + 0
		next
	}
	/^# 1\.\.0/ { subempty = 1; next }
	/^# (not )?ok [0-9]+/ {
		line = substr($0, 3)
		n++
		if (line ~ /^not ok/) {
			nfail++
			out[n] = "fail " desc(line)
		} else if (skipped(line)) {
			out[n] = "skip " desc(line)
		} else {
			out[n] = "pass"
		}
		next
	}
	/^(not )?ok [0-9]+/ {
		top++
		script = desc($0)
		for (i = 1; i <= n; i++) {
			if (out[i] ~ /^skip /)
				print "skip " script ": " substr(out[i], 6)
			else if (out[i] ~ /^fail /)
				print "fail " script ": " substr(out[i], 6)
			else
				print out[i]
		}
		if (skipped($0))
			print "skip " script
		else if ($0 ~ /^not ok/ && nfail == 0)
			print "fail " script " (" ($0 ~ / # / ? \
				substr($0, index($0, " # ") + 3) : \
				"failed without a failing subtest") ")"
		else if (n == 0 && subempty)
			print "fail " script " (empty plan 1..0)"
		else if (n == 0 && $0 !~ /^not ok/)
			print "pass"
		n = 0; nfail = 0; subempty = 0
		next
	}
	END {
		if (plan < 0)
			print "fail no plan (no 1..N line)"
		else if (plan == 0)
			print "fail empty test list (1..0)"
		else if (top < plan)
			print "fail planned " plan " results, " top " reported"
		if (n > 0)
			print "fail " n " results after the last script line (cut short?)"
	}' "$1"
}

# tally_log SUITE LOG RC FLOOR: count the results of LOG, written by a
# command that exited RC and that must report at least FLOOR results.
tally_log() {
	local suite=$1 log=$2 rc=$3 floor=$4 pass=0 fail=0 skip=0 kind what
	local -a why=()

	while read -r kind what; do
		case $kind in
		pass) pass=$((pass + 1)) ;;
		fail) fail=$((fail + 1)) why+=("not ok: $what") ;;
		skip)
			if tally_allowed "$suite" "$what"; then
				skip=$((skip + 1))
			else
				fail=$((fail + 1))
				why+=("unexpected skip: $what")
			fi
			;;
		esac
	done <<< "$(_tally_parse "$log")"
	if [ $((pass + fail + skip)) -lt "$floor" ]; then
		why+=("$((pass + fail + skip)) results, fewer than the $floor this suite must have")
		fail=$((fail + 1))
	fi
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		why+=("exit status $rc without a failing result")
		fail=1
	fi
	tally_record "$suite" "$pass" "$fail" "$skip"
	if [ "${#why[@]}" != 0 ]; then
		printf '    %s\n' "${why[@]}" | head -40
		grep -E '^vm: |splat' "$log" | sed 's/^/    /' | head -20
	fi
	return 0
}

# tally_single SUITE LOG CMD...: one check that passes or fails as a
# whole (a build, a lint); its output in LOG.  Returns CMD's status.
tally_single() {
	local suite=$1 log=$2 rc=0

	shift 2
	"$@" > "$log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		tally_record "$suite" 1 0 0
	else
		tally_record "$suite" 0 1 0
		sed 's/^/    /' "$log" | tail -40
	fi
	return "$rc"
}

# tally_tap SUITE LOG FLOOR CMD...: run a TAP-printing CMD into LOG.
tally_tap() {
	local suite=$1 log=$2 floor=$3 rc=0

	shift 3
	"$@" > "$log" 2>&1 || rc=$?
	tally_log "$suite" "$log" "$rc" "$floor"
}

# tally_missing SUITE WHY: a suite that could not run is one failure.
tally_missing() {
	tally_record "$1" 0 1 0
	echo "    not run: $2"
}
