#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [build|check|guest|release|kdir]
#
#   build    build the debug kernel once: Debian's linux-source-6.12 (or
#            DEBUG_SRC_PKG=linux-source-6.1) with tools/vm/debug.config
#            (KASAN, UBSAN, lockdep + PROVE_RCU, DEBUG_ATOMIC_SLEEP,
#            DEBUG_OBJECTS, KMEMLEAK, the netdev refcount tracker,
#            DEBUG_NET), cached in $TEREDO_CACHE/debug and keyed by the
#            source version and a hash of the config fragment
#   check    build, build teredo.ko against it, run the VM selftests under
#            it, then a kmemleak scan; any report fails.  Ends with
#            "N passed, N failed" like tools/check.sh (make check-debug);
#            DEBUG_TESTS="teredo_relay.sh ..." runs only those selftests
#   guest    (inside the VM) the selftests and the kmemleak scan;
#            DEBUG_TESTS="teredo_relay.sh ..." runs only those
#   release  print the release of the cached debug kernel
#   kdir     print its build tree (for tools/build-module.sh)
#
# The cached kernel looks like the Debian ones to tools/vm/run.sh:
# $TEREDO_CACHE/kernels/<release>/root/{boot/vmlinuz-<release>,lib/modules},
# and $TEREDO_CACHE/debug/env.mk names it (KVER_DEBUG, KDIR_DEBUG).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${TEREDO_CACHE:-/var/cache/teredo}
dcache=$cache/debug
pkg=${DEBUG_SRC_PKG:-linux-source-6.12}
jobs=${DEBUG_JOBS:-2}
# Under TCG the debug kernel is some 5-10 times slower than Debian's.
vm_timeout=${DEBUG_VM_TIMEOUT:-14400}
test_timeout=${DEBUG_TEST_TIMEOUT:-3600}
# Bump when the recipe below changes in a way the config hash misses.
recipe=1

log() { echo "debug-kernel: $*" >&2; }

env_get() {	# env_get VAR: from $dcache/env.mk
	sed -n "s/^$1 := //p" "$dcache/env.mk" 2>/dev/null
}

do_build() {
	local srcver key src build kroot rel t0 t1
	mkdir -p "$dcache"
	srcver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null |
		 sed -n 's/^Version: //p' | head -n1)
	if [ -z "$srcver" ]; then
		apt-get update -qq
		srcver=$(apt-cache show --no-all-versions "$pkg" |
			 sed -n 's/^Version: //p' | head -n1)
	fi
	key=$srcver-$( (echo "recipe $recipe"; cat "$top/tools/vm/debug.config") |
		      sha1sum | cut -c1-12)
	key=${key//[^A-Za-z0-9._+-]/_}
	src=$dcache/src-${srcver//[^A-Za-z0-9._+-]/_}
	build=$dcache/build-$key

	exec 9>"$dcache/build.lock"
	if ! flock -n 9; then
		log "another build holds $dcache/build.lock, waiting"
		flock 9
	fi
	if [ -f "$build/.done" ]; then
		rel=$(cat "$build/.release")
		write_env "$rel" "$build"
		exec 9>&-
		return 0
	fi

	# Other source versions and configs are stale: free their space.
	for d in "$dcache"/src-* "$dcache"/build-*; do
		[ -e "$d" ] || continue
		case $d in "$src"|"$build") continue ;; esac
		log "removing stale $d"
		rm -rf "$d"
	done

	if [ ! -f "$src/.done" ]; then
		log "fetching $pkg $srcver"
		rm -rf "$src" "$dcache/dl"
		mkdir -p "$dcache/dl" "$src"
		(cd "$dcache/dl" && apt-get download -qq "$pkg=$srcver")
		dpkg-deb --fsys-tarfile "$dcache"/dl/"$pkg"_*.deb |
			tar -xO --wildcards "./usr/src/$pkg.tar.xz" |
			tar -xJ -C "$src" --strip-components=1
		rm -rf "$dcache/dl"
		touch "$src/.done"
	fi

	# A build that was stopped or failed goes on where it was.
	if [ ! -f "$build/.configured" ]; then
		log "configuring $build"
		rm -rf "$build"
		mkdir -p "$build"
		make -s -C "$src" O="$build" x86_64_defconfig
		"$src/scripts/kconfig/merge_config.sh" -m -O "$build" \
			"$build/.config" "$src/kernel/configs/kvm_guest.config" \
			"$top/tools/vm/debug.config" > "$build/merge.log"
		make -s -C "$src" O="$build" olddefconfig
		touch "$build/.configured"
	fi
	# Kconfig drops what it cannot satisfy without a word: say so.
	local missing=0 opt
	while read -r opt; do
		if ! grep -qx "$opt" "$build/.config"; then
			log "not in the final .config: $opt"
			missing=1
		fi
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=y$' "$top/tools/vm/debug.config")
	[ "$missing" = 0 ] || log "(see $build/merge.log)"

	log "building (nice -n 19, -j$jobs); log: $build/build.log"
	t0=$(date +%s)
	nice -n 19 make -C "$src" O="$build" -j"$jobs" bzImage modules \
		>> "$build/build.log" 2>&1 || {
		tail -30 "$build/build.log" >&2
		log "build failed, see $build/build.log"
		return 1
	}
	t1=$(date +%s)
	rel=$(make -s -C "$src" O="$build" kernelrelease)
	kroot=$cache/kernels/$rel/root
	rm -rf "$cache/kernels/$rel"
	mkdir -p "$kroot/boot"
	nice -n 19 make -s -C "$src" O="$build" INSTALL_MOD_PATH="$kroot" \
		INSTALL_MOD_STRIP=1 DEPMOD=true modules_install
	cp "$build/arch/x86/boot/bzImage" "$kroot/boot/vmlinuz-$rel"
	cp "$build/.config" "$kroot/boot/config-$rel"
	# Not the build tree: run.sh's depmod and the guest need only these.
	rm -f "$kroot/lib/modules/$rel/build" "$kroot/lib/modules/$rel/source"
	depmod -b "$kroot" "$rel"
	touch "$cache/kernels/$rel/.done"
	echo "$rel" > "$build/.release"
	echo "$((t1 - t0))" > "$build/.build-seconds"
	touch "$build/.done"
	log "built $rel in $(((t1 - t0) / 60)) min $(((t1 - t0) % 60)) s;" \
	    "cache: $(du -sh "$dcache" | cut -f1) in $dcache"
	write_env "$rel" "$build"
	exec 9>&-
}

write_env() {	# write_env RELEASE BUILD
	{
		echo "KVER_DEBUG := $1"
		echo "KDIR_DEBUG := $2"
	} > "$dcache/env.mk.tmp"
	mv "$dcache/env.mk.tmp" "$dcache/env.mk"
}

# Inside the VM: kmemleak forgets what boot left behind, the selftests
# run, then two scans (kmemleak ignores objects younger than 5 s and
# reports only what stayed unreferenced) list the leaks.
do_guest() {
	local kml=/sys/kernel/debug/kmemleak rc=0 out=${TEREDO_RESULTS:-/tmp}
	if [ -w "$kml" ]; then
		echo scan > "$kml"
		echo clear > "$kml"
	else
		echo "kmemleak: $kml missing" > "$out/kmemleak"
	fi
	# DEBUG_TESTS="teredo_relay.sh ...": only these; by default all but
	# the MANUAL ones, as make check runs them over its two kernels.
	local progs=${DEBUG_TESTS:-$(make -s -C selftests print_tests SET=all)}
	# The race lane at full size here, as make check-race runs it.
	RACE_SECONDS=${RACE_SECONDS:-120} \
		make -s -C selftests run_tests TEST_PROGS="$progs" \
		kselftest_override_timeout="$test_timeout" || rc=$?
	if [ -w "$kml" ]; then
		sleep 6
		echo scan > "$kml"
		sleep 6
		echo scan > "$kml"
		cat "$kml" > "$out/kmemleak"
		echo "# kmemleak: $(grep -c '^unreferenced object' \
			"$out/kmemleak") suspected leaks"
	fi
	return "$rc"
}

do_check() {
	local rel kdir res pass=0 fail=0 rc=0 p f leaks found=""
	do_build
	rel=$(env_get KVER_DEBUG)
	kdir=$(env_get KDIR_DEBUG)
	cd "$top"
	mkdir -p build/check
	tools/build-module.sh "$kdir" "build/$rel" > build/check/debug-module.log 2>&1 || {
		cat build/check/debug-module.log
		echo "suite debug-module             0 passed, 1 failed"
		echo "0 passed, 1 failed"
		return 1
	}
	make -s tools > build/check/debug-tools.log 2>&1 ||
		cat build/check/debug-tools.log
	res=build/vm/$rel
	mkdir -p "$res"
	rm -f "$res/kmemleak"
	tools/vm/run.sh --kernel debug --timeout "$vm_timeout" --results "$res" \
		-- env DEBUG_TESTS="${DEBUG_TESTS-}" tools/vm/debug-kernel.sh guest \
		> build/check/debug-vm.log 2>&1 ||
		rc=$?

	p=$(grep -cE '^# ok ' build/check/debug-vm.log || true)
	f=$(grep -cE '^# not ok ' build/check/debug-vm.log || true)
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
	fi
	printf 'suite %-22s %3d passed, %d failed\n' selftests-debug "$p" "$f"
	grep -E '^# not ok |^vm: ' build/check/debug-vm.log | sed 's/^/    /' |
		head -40
	pass=$((pass + p)) fail=$((fail + f))

	if [ -f "$res/kmemleak" ] && ! grep -q . "$res/kmemleak"; then
		p=1 f=0
	else
		p=0 f=1
	fi
	printf 'suite %-22s %3d passed, %d failed\n' kmemleak "$p" "$f"
	[ "$f" = 0 ] || sed 's/^/    /' "$res/kmemleak" 2>/dev/null | head -60
	pass=$((pass + p)) fail=$((fail + f))

	# Splats as run.sh sees them: the kernel's own that
	# selftests/known-splats allows are listed with their reason.
	if [ -f "$res/dmesg" ] && ! found=$(awk \
		-v allow="$top/selftests/known-splats" \
		-f "$top/selftests/splats.awk" "$res/dmesg" 2>"$res/splats-allowed"); then
		p=1 f=0
	else
		p=0 f=1
	fi
	printf 'suite %-22s %3d passed, %d failed\n' dmesg-debug "$p" "$f"
	sed 's/^/    /' "$res/splats-allowed" 2>/dev/null
	if [ "$f" != 0 ]; then
		echo "${found:-no dmesg}" | sed 's/^/    /' | head -80
	fi
	pass=$((pass + p)) fail=$((fail + f))
	leaks=$res/kmemleak
	[ -s "$leaks" ] && log "kmemleak report: $leaks"
	echo "$pass passed, $fail failed"
	[ "$fail" = 0 ]
}

case ${1:-build} in
build) do_build; env_get KVER_DEBUG ;;
check) do_check ;;
guest) do_guest ;;
release) env_get KVER_DEBUG ;;
kdir) env_get KDIR_DEBUG ;;
*) echo "usage: $0 [build|check|guest|release|kdir]" >&2; exit 2 ;;
esac
