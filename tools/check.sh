#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: deps, static checks (W=1 + sparse on both kernels,
# checkpatch --strict, shellcheck), host unit tests, the iproute2 plugin
# check, the VM selftests on Debian's 6.1 and 6.12 kernels, and make demo's
# network on 6.1, and the Debian packages (make check-packages: built,
# lintian, installed, used and purged in a 6.1 guest).  Prints a line per
# suite and ends with "N passed, N failed".
#
# CHECK_SUITES="static unit vm demo packages" limits what runs;
# CHECK_KERNELS="61 612".
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cache=${TEREDO_CACHE:-/var/cache/teredo}
export TEREDO_CACHE=$cache
suites=${CHECK_SUITES:-static unit vm demo packages}
kernels=${CHECK_KERNELS:-61 612}
logs=$top/build/check
mkdir -p "$logs"

total_pass=0 total_fail=0
record() {	# suite passed failed
	printf 'suite %-22s %3d passed, %d failed\n' "$1" "$2" "$3"
	total_pass=$((total_pass + $2))
	total_fail=$((total_fail + $3))
}

# One check that passes or fails as a whole; its log is kept.
single() {	# suite command...
	local suite=$1
	shift
	if "$@" > "$logs/$suite.log" 2>&1; then
		record "$suite" 1 0
	else
		record "$suite" 0 1
		sed 's/^/    /' "$logs/$suite.log" | tail -40
	fi
}

# A TAP-printing command: count its (possibly indented) ok lines.
tap() {		# suite pattern command...
	local suite=$1 pat=$2
	shift 2
	"$@" > "$logs/$suite.log" 2>&1
	tally "$suite" "$pat" $?
}

# Count the ok lines of $logs/SUITE.log, written by a run that exited RC.
tally() {	# suite pattern rc
	local suite=$1 pat=$2 rc=$3 pass fail
	pass=$(grep -cE "^${pat}ok " "$logs/$suite.log")
	fail=$(grep -cE "^${pat}not ok " "$logs/$suite.log")
	if [ "$rc" != 0 ] && [ "$fail" = 0 ]; then
		fail=1	# failed without saying which test: count the run
	fi
	record "$suite" "$pass" "$fail"
	if [ "$fail" != 0 ]; then
		grep -E "^${pat}not ok |^vm: |splat" "$logs/$suite.log" |
			sed 's/^/    /' | head -40
	fi
}

if ! tools/vm/deps.sh > "$logs/deps.log" 2>&1; then
	echo "deps failed:"
	tail -20 "$logs/deps.log"
	echo "0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC1091
KVER_61=$(sed -n 's/^KVER_61 := //p' "$cache/env.mk")
KVER_612=$(sed -n 's/^KVER_612 := //p' "$cache/env.mk")
CHECKPATCH=$(sed -n 's/^CHECKPATCH := //p' "$cache/env.mk")

kver_of() { case $1 in 61) echo "$KVER_61" ;; 612) echo "$KVER_612" ;; esac; }

# W=1 and sparse must print nothing but kbuild's own progress lines.
build_clean() {
	local kver=$1 out
	out=$(tools/build-module.sh "/lib/modules/$kver/build" \
		"build/$kver" W=1 C=2 2>&1) || { echo "$out"; return 1; }
	echo "$out"
	! echo "$out" | grep -vE '^(make|  [A-Z0-9_]+ |Skipping BTF)' | grep -q .
}

run_checkpatch() {
	perl "$CHECKPATCH" --no-tree --strict --max-line-length=80 \
		--ignore FILE_PATH_CHANGES -q -f "$@"
}

for suite in $suites; do
	case $suite in
	static)
		for k in $kernels; do
			# Rebuild from scratch so every file is checked.
			rm -rf "build/$(kver_of "$k")"
			single "w1-sparse-$k" build_clean "$(kver_of "$k")"
		done
		single checkpatch run_checkpatch kernel/*.[ch] \
			kernel/uapi/linux/*.h
		single shellcheck shellcheck -x --source-path=SCRIPTDIR tools/*.sh tools/vm/*.sh \
			tools/iproute2/check.sh tools/vm/init selftests/*.sh .ci/run \
			tools/fuzz/run.sh tools/demo/demo.sh tools/demo/play.sh \
			tools/systemd/teredo-link
		;;
	unit)
		tap unit "" make -s unit
		tap iproute2 "" tools/iproute2/check.sh
		tap teredoctl "" make -s -C tools/teredoctl \
			O="$top/build/tools" test
		tap teredod "" make -s -C tools/teredod \
			O="$top/build/tools" test
		# make install/uninstall/dkms-install into a DESTDIR.
		tap install "" tools/install-test.sh
		# The libFuzzer targets build and replay their seeds.
		tap fuzz "" make -s -j2 -C tools/fuzz O="$top/build/fuzz" check
		;;
	vm)
		# Both kernels at once, each with its share of the interop
		# tests (selftests/Makefile): one VM leaves a core idle.
		make -s tools > "$logs/tools.log" 2>&1 || cat "$logs/tools.log"
		set_of() { [ "$1" = 61 ] && echo A || echo B; }
		for k in $kernels; do
			kver=$(kver_of "$k")
			[ -f "build/$kver/kernel/teredo.ko" ] ||
				tools/build-module.sh "/lib/modules/$kver/build" \
					"build/$kver" > /dev/null
			progs=$(make -s -C selftests print_tests SET="$(set_of "$k")")
			(
				tools/vm/run.sh --kernel "$k" --timeout 3600 \
					--results "build/vm/$kver" -- \
					make -s -C selftests run_tests \
					TEST_PROGS="$progs" \
					> "$logs/selftests-$k.log" 2>&1
				echo $? > "$logs/selftests-$k.rc"
			) &
		done
		wait
		for k in $kernels; do
			tally "selftests-$k" "# " \
				"$(cat "$logs/selftests-$k.rc" 2>/dev/null || echo 1)"
		done
		;;
	demo)
		# make demo's VM part (deps and builds are done by now).
		make -s tools > "$logs/tools.log" 2>&1 || cat "$logs/tools.log"
		kver=$KVER_61
		[ -f "build/$kver/kernel/teredo.ko" ] ||
			tools/build-module.sh "/lib/modules/$kver/build" \
				"build/$kver" > /dev/null
		single demo tools/vm/run.sh --kernel 61 --timeout 600 \
			--results build/demo -- bash tools/demo/demo.sh
		;;
	packages)
		# make deb + lintian, then the packages in the VM (KTAP).
		tap packages "" tools/check-packages.sh
		;;
	esac
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" = 0 ]
