#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-test.sh: `make install`, `make uninstall` and `make dkms-install`
# into a temporary DESTDIR, on the host, and the layout they leave: the
# module for the release it was built for, the tools, the iproute2 plugin
# where Debian's ip(8) looks for it (and ip loads it from there), the
# systemd unit (systemd-analyze verify), lint-free man pages, the DKMS
# source tree; and that the documentation shows the commands the demo
# runs.  TAP; exits 1 when a test fails.  Part of `make check`'s unit
# suite.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d /tmp/teredo-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT
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

diag() {
	local line

	while IFS= read -r line; do
		echo "# $line"
	done <<< "$*"
}

# The plugin directory compiled into this machine's ip(8), Debian's
# multiarch one (or upstream's /usr/lib/ip).
ip_bin=$(command -v ip || echo /sbin/ip)
iplib=$(grep -aoE '^/usr/lib/([a-z0-9_-]+/)?ip$' <(strings -n 8 "$ip_bin" 2>/dev/null) | head -1)
[ -n "$iplib" ] || iplib=/usr/lib/ip

# W=1 as make check's static suite builds the module: the same flags,
# so kbuild has nothing to redo here.
out=$(make -s -C "$top" install DESTDIR="$dest" KBUILD_ARGS=W=1 2>&1)
rc=$?
result $rc "make install DESTDIR=..."
[ $rc = 0 ] || diag "$out"

# The module: in extra/ of the release it was built for, no depmod.
mapfile -t kos < <(cd "$dest" && find . -name '*.ko' | sort)
rc=1
if [ "${#kos[@]}" = 1 ]; then
	rel=$(modinfo -F vermagic "$dest/${kos[0]}" | cut -d' ' -f1)
	[ "${kos[0]}" = "./lib/modules/$rel/extra/teredo.ko" ] && rc=0
fi
result $rc "module in /lib/modules/<its release>/extra/teredo.ko"
[ $rc = 0 ] || diag "modules: ${kos[*]}"
[ -z "$(find "$dest/lib/modules" -name 'modules.*')" ]
result $? "no depmod into a DESTDIR"

rc=0
while read -r f want; do
	m=$(stat -c %a "$dest/$f" 2>/dev/null)
	[ "$m" = "$want" ] || { diag "$f: mode ${m:-missing}, want $want"; rc=1; }
done <<-EOF2
	usr/sbin/teredod 755
	usr/sbin/teredoctl 755
	${iplib#/}/link_teredo.so 644
	lib/systemd/system/teredod@.service 644
	lib/systemd/system/teredo@.service 644
	lib/udev/rules.d/60-teredo.rules 644
	usr/lib/teredo/teredo-link 755
	usr/lib/sysusers.d/teredo.conf 644
	usr/lib/tmpfiles.d/teredo.conf 644
	usr/share/man/man8/teredod.8 644
	usr/share/man/man8/teredoctl.8 644
	usr/share/man/man5/teredo.conf.5 644
	usr/share/doc/teredo/examples/teredo0.conf 644
	etc/teredo 755
	EOF2
result $rc "tools, plugin in $iplib, units, udev rule, helper, sysusers, tmpfiles, man pages, example, /etc/teredo: paths and modes"

# Exactly those files: nothing stray.
nfiles=$(find "$dest" -type f | wc -l)
[ "$nfiles" = 14 ]
result $? "install leaves 14 files (got $nfiles)"

# The installed binaries run and say the version of this tree, and so
# does the module (MODULE_VERSION).
ver=$("$top/tools/version.sh")
out=$("$dest/usr/sbin/teredoctl" --version 2>&1)
[ "$out" = "teredoctl $ver" ]
result $? "teredoctl --version says $ver ($out)"
out=$("$dest/usr/sbin/teredod" --version 2>&1)
[ "$out" = "teredod $ver" ]
result $? "teredod --version says $ver ($out)"
out=$(modinfo -F version "$dest/${kos[0]}" 2>&1)
[ "$out" = "$ver" ]
result $? "modinfo -F version teredo.ko says $ver ($out)"
out=$(IP_LIB_DIR=$dest$iplib "$ip_bin" link help teredo 2>&1)
rc=0
grep -q 'type teredo mode relay' <<< "$out" || { diag "$out"; rc=1; }
result $rc "ip link help teredo loads the installed plugin"

# The units run the installed helper; systemd accepts them.
rc=0
for u in teredod@ teredo@; do
	f=$dest/lib/systemd/system/$u.service
	grep -q '^ExecStart=/usr/lib/teredo/teredo-link [a-z]* %i$' "$f" ||
		{ diag "$u.service: no ExecStart=/usr/lib/teredo/teredo-link"; rc=1; }
	grep -q '@[A-Z]*@' "$f" && { diag "$u.service: placeholder left"; rc=1; }
done
grep -qx 'User=teredo' "$dest/lib/systemd/system/teredod@.service" ||
	{ diag "teredod@.service: not User=teredo"; rc=1; }
result $rc "units: ExecStart=/usr/lib/teredo/teredo-link ... %i, teredod as User=teredo, no placeholder left"
if command -v systemd-analyze >/dev/null; then
	out=""
	for u in teredod@ teredo@; do
		inst=$dest/${u}teredo0.service
		sed "s|/usr/lib/teredo/teredo-link|$dest/usr/lib/teredo/teredo-link|" \
			"$dest/lib/systemd/system/$u.service" > "$inst"
		out+=$(systemd-analyze verify --man=no "$inst" 2>&1 |
			grep -v 'sysinit.target not found')
		rm -f "$inst"
	done
	[ -z "$out" ]
	result $? "systemd-analyze verify teredod@teredo0.service teredo@teredo0.service"
	[ -z "$out" ] || diag "$out"
else
	echo "ok $((n += 1)) systemd-analyze verify # SKIP not installed"
fi

rc=0
for m in "$dest"/usr/share/man/man[58]/*.[58]; do
	out=$(LC_ALL=C.UTF-8 groff -t -man -ww -z "$m" 2>&1)
	[ -z "$out" ] || { diag "$(basename "$m"): $out"; rc=1; }
	grep -q '^\.SH SEE ALSO' "$m" || { diag "$m: no SEE ALSO"; rc=1; }
done
result $rc "man pages: groff -ww has nothing to say"

out=$(make -s -C "$top" uninstall DESTDIR="$dest" 2>&1)
rc=$?
left=$(cd "$dest" && find . -type f)
[ $rc = 0 ] && [ -z "$left" ]
result $? "make uninstall DESTDIR=... removes every file"
[ -z "$left" ] || diag "left: $left"

# DKMS: the sources and dkms.conf in /usr/src/teredo-VERSION.
out=$(make -s -C "$top" dkms-install DESTDIR="$dest" 2>&1)
rc=$?
mapfile -t srcs < <(cd "$dest" && find usr/src -maxdepth 1 -mindepth 1)
result $rc "make dkms-install DESTDIR=..."
[ $rc = 0 ] || diag "$out"
rc=1
if [ "${#srcs[@]}" = 1 ]; then
	s=$dest/${srcs[0]} ver=${srcs[0]#usr/src/teredo-}
	rc=0
	grep -qx "PACKAGE_VERSION=\"$ver\"" "$s/dkms.conf" ||
		{ diag "dkms.conf: PACKAGE_VERSION is not $ver"; rc=1; }
	loc=$(sed -n 's/^BUILT_MODULE_LOCATION\[0\]="\(.*\)"/\1/p' "$s/dkms.conf")
	grep -q "obj-m.*${loc%/}/" "$s/Kbuild" ||
		{ diag "Kbuild does not build $loc"; rc=1; }
	while read -r f; do
		[ -f "$s/$loc${f%.o}.c" ] || { diag "missing $loc${f%.o}.c"; rc=1; }
	done < <(grep -oE '[a-z_]+\.o' "$top/kernel/Kbuild" | grep -vx teredo.o)
	grep -qx "#define TEREDO_VERSION \"$ver\"" "$s/kernel/version.h" ||
		{ diag "kernel/version.h does not say $ver"; rc=1; }
	for f in kernel/Kbuild kernel/uapi/linux/if_teredo.h \
		kernel/uapi/linux/teredo_genl.h kernel/proto.h; do
		[ -f "$s/$f" ] || { diag "missing $f"; rc=1; }
	done
fi
result $rc "dkms tree: /usr/src/teredo-VERSION, dkms.conf, Kbuild, every object's source"
make -s -C "$top" dkms-uninstall DESTDIR="$dest" >/dev/null 2>&1 &&
	[ -z "$(cd "$dest" && find . -type f)" ]
result $? "make dkms-uninstall DESTDIR=... removes the tree"

# The docs show what the demo runs: every command the demo runs through
# doc_run or doc_daemon is a line of teredo.rst (in a literal block).
rst=$top/Documentation/networking/teredo.rst
demo=$top/tools/demo/demo.sh
rc=0 count=0
while IFS= read -r cmd; do
	count=$((count + 1))
	awk -v c="$cmd" '{ sub(/^[ \t]+/, "") } $0 == c { f = 1 }
		END { exit !f }' "$rst" || { diag "not in teredo.rst: $cmd"; rc=1; }
done < <(sed -n 's/^[[:space:]]*doc_[a-z]* [A-Z0-9]*\( [a-z0-9]*\)\{0,1\} "\([^"]*\)".*/\2/p' "$demo")
[ "$count" -ge 8 ] || { diag "only $count doc_run commands in demo.sh"; rc=1; }
result $rc "teredo.rst shows the $count commands the demo runs"

# tools/version.sh grows with every commit after the tag, and a tree
# without git reads .version.
vt=$dest/vt
mkdir -p "$vt/tools"
cp "$top/tools/version.sh" "$vt/tools/"
echo 9.9.9 > "$vt/.version"
out1=$("$vt/tools/version.sh")
g() { git -C "$vt" -c user.name=t -c user.email=t@t "$@" >/dev/null 2>&1; }
g init -q && g add -A && g commit -qm one && g tag -a v3.4 -m v3.4 &&
	g commit -q --allow-empty -m two && g commit -q --allow-empty -m three
out2=$("$vt/tools/version.sh")
[ "$out1" = 9.9.9 ] && [ "$out2" = 3.4.2 ]
result $? "version.sh: .version without git ($out1), v3.4 + 2 commits = 3.4.2 ($out2)"
rm -rf "$vt"

# make demo's terminal: the VM's console (escape codes that clear the
# screen, firmware and kernel lines) stays out, the demo's lines come
# through, and the exit status is the VM's.
fake=$dest/fake-runner
cat > "$fake" <<'FAKE'
#!/bin/bash
while [ "$1" != -- ]; do [ "$1" = --results ] && r=$2; shift; done
printf '\033c\033[2J\033[?7lSeaBIOS (version 1.16)\r\nBooting from ROM...\n'
sleep 0.5
printf '[  1s] step one\n[  2s] step two\n' > "$r/output"
echo "[    3.0] kernel: a console line"
exit "${FAKE_RC:-0}"
FAKE
chmod +x "$fake"
out=$(DEMO_RUNNER=$fake "$top/tools/demo/play.sh" "$dest/demo" 2>&1)
rc=$?
[ $rc = 0 ] && [ "$out" = $'[  1s] step one\n[  2s] step two' ]
result $? "make demo (play.sh): only the demo's lines, no escape codes"
[ $rc = 0 ] || diag "rc $rc: $(cat -v <<< "$out")"
out=$(FAKE_RC=3 DEMO_RUNNER=$fake "$top/tools/demo/play.sh" "$dest/demo" 2>&1)
rc=$?
[ $rc = 3 ] && [[ $out == *"console: $dest/demo/console.log"* ]] &&
	[[ $out != *$'\033'* ]]
result $? "make demo (play.sh): a failure keeps the status, names the console log, no escape codes"
[ $rc = 3 ] || diag "rc $rc: $(cat -v <<< "$out")"

echo "1..$n"
[ "$failed" = 0 ]
