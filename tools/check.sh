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
	[unit]=16 [iproute2]=37 [teredoctl]=32 [teredod]=55 [install]=20
	[fuzz]=6 [tally]=23 [splats]=8 [selftests-61]=685 [selftests-612]=730
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
		"build/sparse/$kver" W=1 C=2 2>&1) || { echo "$out"; return 1; }
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
		# W=1 as the static suite and install-test.sh build it:
		# other flags would make kbuild build it all again.
		if single "module-$1" tools/build-module.sh \
			"/lib/modules/$kver/build" "build/$kver" W=1; then
			built[$1]=ok
		fi
	fi
	[ "${built[tools]}" = ok ] && [ "${built[$1]}" = ok ] && return 0
	tally_missing "$2" "a build it needs failed"
	return 1
}

want() { [[ " $suites " == *" $1 "* ]]; }

# The selftests' two VMs take most of the run, so they start first, each
# as soon as its module is built, and everything that needs no VM is done
# beside them (each kernel's set: selftests/Makefile's print_tests),
# the static suite's W=1/sparse builds included.
# The running selftests VMs: pid -> kernel.
declare -A vm_of=()
start_selftests() {	# k
	local k=$1 kver progs set=B

	kver=$(kver_of "$k")
	[ -n "$kver" ] || return 0
	ready "$k" "selftests-$k" || return 0
	[ "$k" = 61 ] && set=A
	progs=$(make -s -C selftests print_tests SET=$set) || progs=""
	if [ -z "$progs" ]; then
		tally_missing "selftests-$k" "print_tests gave no test"
		return 0
	fi
	(
		tools/vm/run.sh --kernel "$k" --timeout 3600 \
			--results "build/vm/$kver" -- \
			make -s -C selftests run_tests TEST_PROGS="$progs" \
			> "$logs/selftests-$k.log" 2>&1
		echo $? > "$logs/selftests-$k.rc"
	) &
	vm_of[$!]=$k
}

if want vm; then
	for k in $kernels; do
		start_selftests "$k"
	done
fi

# What follows until the VMs are waited for runs beside them: at a lower
# priority, so that it takes the guests' idle time rather than theirs
# (a guest's test that waits for a timer must not wait for a compiler).
# The VMs started above keep their priority.
[ ${#vm_of[@]} = 0 ] || renice -n 10 -p $$ > /dev/null
if want static; then
	for k in $kernels; do
		[ -n "$(kver_of "$k")" ] || continue
		# From scratch, so that every file is checked; a directory
		# of its own, since a VM may be booting the module in
		# build/KVER.
		rm -rf "build/sparse/$(kver_of "$k")"
		single "w1-sparse-$k" build_clean "$(kver_of "$k")"
	done
	single checkpatch run_checkpatch kernel/*.[ch] kernel/uapi/linux/*.h
	single shellcheck shellcheck -x --source-path=SCRIPTDIR tools/*.sh \
		tools/vm/*.sh tools/iproute2/check.sh tools/vm/init \
		selftests/*.sh .ci/run tools/fuzz/run.sh tools/demo/demo.sh \
		tools/tests/*.sh tools/demo/play.sh tools/systemd/teredo-link \
		bench/*.sh
	single docs rst2html --halt=warning \
		Documentation/networking/teredo.rst /dev/null
fi
if want unit; then
	tap unit make -s unit
	tap iproute2 tools/iproute2/check.sh
	tap teredoctl make -s -C tools/teredoctl O="$top/build/tools" test
	tap teredod make -s -C tools/teredod O="$top/build/tools" test
	# make install/uninstall/dkms-install into a DESTDIR.
	tap install tools/install-test.sh
	# The libFuzzer targets build and replay their seeds.
	tap fuzz make -s -j2 -C tools/fuzz O="$top/build/fuzz" check
	# This file's own arithmetic (tools/tally.sh).
	tap tally tools/tests/test_tally.sh
	# The kernel-splat filter and its allow-list (selftests/).
	tap splats tools/tests/test_splats.sh
fi
# The packages' host part (dpkg-buildpackage, lintian, the DKMS build).
pkg_prepared=1
if want packages; then
	tools/check-packages.sh --prepare > "$logs/packages.log" 2>&1 ||
		pkg_prepared=0
fi

# The packages' VM (the longer one) boots when the first selftests VM
# is done, make demo's when the second is: never more than two VMs on
# the two cores, and neither waits for both lanes.
vm_done() {
	local pid k

	[ ${#vm_of[@]} != 0 ] || return 1
	wait -n -p pid "${!vm_of[@]}"
	k=${vm_of[$pid]}
	unset "vm_of[$pid]"
	tally_log "selftests-$k" "$logs/selftests-$k.log" \
		"$(cat "$logs/selftests-$k.rc" 2>/dev/null || echo 1)" \
		"${floor[selftests-$k]}"
}
vm_done
if want packages; then
	(
		rc=1
		if [ "$pkg_prepared" = 1 ] && tools/check-packages.sh --boot \
			>> "$logs/packages.log" 2>&1; then
			rc=0
		fi
		echo $rc > "$logs/packages.rc"
	) &
	pkg_pid=$!
fi
vm_done
if want demo && ready 61 demo; then
	single demo tools/vm/run.sh --kernel 61 --timeout 600 \
		--results build/demo -- bash tools/demo/demo.sh
fi
if want packages; then
	wait "$pkg_pid"
	tally_log packages "$logs/packages.log" \
		"$(cat "$logs/packages.rc" 2>/dev/null || echo 1)" \
		"${floor[packages]}"
fi

if [ $((TALLY_PASS + TALLY_FAIL + TALLY_SKIP)) = 0 ]; then
	tally_missing check "no suite ran (CHECK_SUITES=\"$suites\")"
fi
tally_closing
[ "$TALLY_FAIL" = 0 ]
