#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: deps, static checks (W=1 + sparse on both kernels,
# checkpatch --strict, shellcheck), host unit tests, the iproute2 plugin
# check, the VM selftests on Debian's 6.1 and 6.12 kernels, and make demo's
# network on 6.1, and the Debian packages (make check-packages: built,
# lintian, installed, used and purged in a 6.1 guest).  Prints a line per
# suite and ends with "N passed, N failed, N skipped" (tools/tally.sh: how
# results are counted; a skip not in tools/check-skips is a failure).
# Every run builds the tools and the module it boots; a failed build is a
# failure.
#
# CHECK_SUITES="static unit vm demo packages" limits what runs;
# CHECK_KERNELS="61 612".
# An unknown word in either is a failure, not a suite that ran nothing.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
cache=${TEREDO_CACHE:-/var/cache/teredo}
export TEREDO_CACHE=$cache
suites=${CHECK_SUITES:-static unit vm demo packages}
kernels=${CHECK_KERNELS:-61 612}
# CHECK_LOGS: where the logs go (the tally's unit test uses its own).
logs=${CHECK_LOGS:-$top/build/check}
mkdir -p "$logs"

# shellcheck source=tools/tally.sh
. "$top/tools/tally.sh"
# Skips CI accepts, each with its reason; empty on a machine where make
# deps installed everything.  CHECK_ALLOW_SKIPS names another list.
TALLY_ALLOW=${CHECK_ALLOW_SKIPS:-$top/tools/check-skips}

# The fewest results each suite must report (about what it reports today,
# so that a script or a test that silently stops running fails the run).
# Raise them when tests are added.
declare -A floor=(
	[unit]=13 [iproute2]=35 [teredoctl]=30 [teredod]=49 [install]=20
	[fuzz]=5 [tally]=23 [splats]=8 [selftests-61]=662 [selftests-612]=637
	[packages]=16
)

# A TAP-printing command: its results against the suite's floor.
tap() {		# suite command...
	local suite=$1

	shift
	tally_tap "$suite" "$logs/$suite.log" "${floor[$suite]}" "$@"
}

single() {	# suite command...
	local suite=$1

	shift
	tally_single "$suite" "$logs/$suite.log" "$@"
}

for s in $suites; do
	case $s in
	static | unit | vm | demo | packages) ;;
	*) tally_missing "$s" "unknown suite (CHECK_SUITES: static unit vm demo packages)" ;;
	esac
done
for k in $kernels; do
	case $k in
	61 | 612) ;;
	*) tally_missing "kernel-$k" "unknown kernel (CHECK_KERNELS: 61 612)" ;;
	esac
done

# CHECK_DEPS=0: no make deps (the tally's unit test, which runs none of
# the VM suites).
if [ "${CHECK_DEPS:-1}" != 0 ] &&
	! tools/vm/deps.sh > "$logs/deps.log" 2>&1; then
	echo "deps failed:"
	tail -20 "$logs/deps.log"
	tally_missing deps "tools/vm/deps.sh failed"
	tally_closing
	exit 1
fi
# shellcheck disable=SC1091
KVER_61=$(sed -n 's/^KVER_61 := //p' "$cache/env.mk" 2>/dev/null)
KVER_612=$(sed -n 's/^KVER_612 := //p' "$cache/env.mk" 2>/dev/null)
CHECKPATCH=$(sed -n 's/^CHECKPATCH := //p' "$cache/env.mk" 2>/dev/null)

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

# ready K SUITE: this checkout's tools and K's module are built now, each
# build once per run and a result of its own: a failed build fails the
# run and is never replaced by what an earlier build left behind.
declare -A built=()
ready() {
	local kver

	if [ -z "${built[tools]:-}" ]; then
		built[tools]=failed
		if single tools make -s tools; then
			built[tools]=ok
		fi
	fi
	if [ -z "${built[$1]:-}" ]; then
		kver=$(kver_of "$1")
		built[$1]=failed
		if single "module-$1" tools/build-module.sh \
			"/lib/modules/$kver/build" "build/$kver"; then
			built[$1]=ok
		fi
	fi
	[ "${built[tools]}" = ok ] && [ "${built[$1]}" = ok ] && return 0
	tally_missing "$2" "a build it needs failed"
	return 1
}

for suite in $suites; do
	case $suite in
	static)
		for k in $kernels; do
			# Rebuild from scratch so every file is checked.
			[ -n "$(kver_of "$k")" ] || continue
			rm -rf "build/$(kver_of "$k")"
			single "w1-sparse-$k" build_clean "$(kver_of "$k")"
		done
		single checkpatch run_checkpatch kernel/*.[ch] \
			kernel/uapi/linux/*.h
		single shellcheck shellcheck -x --source-path=SCRIPTDIR tools/*.sh tools/vm/*.sh \
			tools/iproute2/check.sh tools/vm/init selftests/*.sh .ci/run \
			tools/fuzz/run.sh tools/demo/demo.sh tools/tests/*.sh \
			tools/demo/play.sh tools/systemd/teredo-link bench/*.sh
		;;
	unit)
		tap unit make -s unit
		tap iproute2 tools/iproute2/check.sh
		tap teredoctl make -s -C tools/teredoctl \
			O="$top/build/tools" test
		tap teredod make -s -C tools/teredod \
			O="$top/build/tools" test
		# make install/uninstall/dkms-install into a DESTDIR.
		tap install tools/install-test.sh
		# The libFuzzer targets build and replay their seeds.
		tap fuzz make -s -j2 -C tools/fuzz O="$top/build/fuzz" check
		# This file's own arithmetic (tools/tally.sh).
		tap tally tools/tests/test_tally.sh
		# The kernel-splat filter and its allow-list (selftests/).
		tap splats tools/tests/test_splats.sh
		;;
	vm)
		# Both kernels at once, each with its share of the interop
		# tests (selftests/Makefile): one VM leaves a core idle.
		set_of() { [ "$1" = 61 ] && echo A || echo B; }
		vmk=()
		for k in $kernels; do
			kver=$(kver_of "$k")
			[ -n "$kver" ] || continue
			ready "$k" "selftests-$k" || continue
			progs=$(make -s -C selftests print_tests \
				SET="$(set_of "$k")") || progs=""
			if [ -z "$progs" ]; then
				tally_missing "selftests-$k" "print_tests gave no test"
				continue
			fi
			vmk+=("$k")
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
		for k in "${vmk[@]}"; do
			tally_log "selftests-$k" "$logs/selftests-$k.log" \
				"$(cat "$logs/selftests-$k.rc" 2>/dev/null || echo 1)" \
				"${floor[selftests-$k]}"
		done
		;;
	demo)
		# make demo's VM part (deps are done by now).  The packages'
		# suite runs beside it when it is asked for too: one VM
		# leaves a core idle.
		if ready 61 demo; then
			if [[ " $suites " == *" packages "* ]]; then
				(
					tools/check-packages.sh \
						> "$logs/packages.log" 2>&1
					echo $? > "$logs/packages.rc"
				) &
				pkg_pid=$!
			fi
			single demo tools/vm/run.sh --kernel 61 --timeout 600 \
				--results build/demo -- bash tools/demo/demo.sh
		fi
		;;
	packages)
		# make deb + lintian, then the packages in the VM (KTAP).
		if [ -n "${pkg_pid:-}" ]; then
			wait "$pkg_pid"
			tally_log packages "$logs/packages.log" \
				"$(cat "$logs/packages.rc" 2>/dev/null || echo 1)" \
				"${floor[packages]}"
		else
			tap packages tools/check-packages.sh
		fi
		;;
	esac
done

if [ $((TALLY_PASS + TALLY_FAIL + TALLY_SKIP)) = 0 ]; then
	tally_missing check "no suite ran (CHECK_SUITES=\"$suites\")"
fi
tally_closing
[ "$TALLY_FAIL" = 0 ]
