#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh fuzz|replay|coverage O SECONDS TARGET...
#
#   fuzz    run each $O/fuzz_TARGET for SECONDS on its seeds plus what
#           earlier runs found ($O/corpus/TARGET); print executions/s and
#           coverage; fail on a crash, saved in $O/crashes/
#   replay  run each target once over its seeds (corpus/TARGET), TAP
#   coverage  line coverage of the code under test, from the seeds and
#           $O/corpus/TARGET, with the binaries in $O/cov
#
# The targets' own output (usage texts, error messages) is discarded
# (-close_fd_mask=3); libFuzzer still prints its reports.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mode=$1 out=$2 secs=$3
shift 3
top=$(cd "$here/../.." && pwd)
n=0 failed=0

# The code each target is there to test.
sources() {
	case $1 in
	proto) echo "$top/kernel/proto.h" ;;
	iproute2) echo "$top/tools/iproute2/link_teredo.c" ;;
	teredoctl) echo "$top/tools/teredoctl/teredoctl.c" \
			"$top/tools/teredoctl/format.c" ;;
	nl) echo "$top/tools/teredoctl/nl.c" "$top/tools/lib/nl.c" ;;
	ra) echo "$top/tools/teredod/ra.c" ;;
	pcp) echo "$top/tools/teredod/pcp.c" ;;
	esac
}

# The plan first: make check counts a run cut short as failed.
echo "1..$#"
for t in "$@"; do
	bin=$out/fuzz_$t seeds=$here/corpus/$t log=$out/$t.log
	n=$((n + 1))
	case $mode in
	replay)
		mkdir -p "$out/crashes"
		if "$bin" -runs=0 -close_fd_mask=3 \
			-artifact_prefix="$out/crashes/$t-" "$seeds" > "$log" 2>&1; then
			echo "ok $n - fuzz_$t replays its $(find "$seeds" -type f | wc -l) seeds"
		else
			echo "not ok $n - fuzz_$t replays its seeds"
			failed=$((failed + 1))
			grep -E 'ERROR|invariant|SUMMARY|Test unit' "$log" |
				sed 's/^/# /' | head -20
		fi
		;;
	coverage)
		prof=$out/cov/$t
		mkdir -p "$out/corpus/$t"
		LLVM_PROFILE_FILE=$prof.profraw "$out/cov/fuzz_$t" -runs=0 \
			-close_fd_mask=3 "$out/corpus/$t" "$seeds" > "$log" 2>&1
		llvm-profdata merge -sparse -o "$prof.profdata" "$prof.profraw"
		# shellcheck disable=SC2046 # file names without spaces
		cov=$(llvm-cov report "$out/cov/fuzz_$t" \
			-instr-profile="$prof.profdata" $(sources "$t") |
			awk '$1 == "TOTAL" { print $10 }')
		echo "ok $n - fuzz_$t: lines covered in $(sources "$t" |
			sed "s|$top/||g"): ${cov:-?}"
		;;
	fuzz)
		mkdir -p "$out/corpus/$t" "$out/crashes"
		if "$bin" -max_total_time="$secs" -close_fd_mask=3 \
			-print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
			-artifact_prefix="$out/crashes/$t-" \
			"$out/corpus/$t" "$seeds" > "$log" 2>&1; then
			res=ok
		else
			res="not ok"
			failed=$((failed + 1))
		fi
		# The last status line: "#N DONE cov: C ft: F corp: ... exec/s: E"
		last=$(grep -E '^#[0-9]+' "$log" | tail -n1)
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
		cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
		ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
		corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
		echo "$res $n - fuzz_$t: ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}"
		if [ "$res" != ok ]; then
			grep -E 'ERROR|invariant|SUMMARY|Test unit|artifact' "$log" |
				sed 's/^/# /' | head -20
			echo "# reproduce: $bin $out/crashes/$t-<crash file> (log: $log)"
		fi
		;;
	esac
done
echo "# $failed of $n fuzz targets failed"
[ "$failed" = 0 ]
