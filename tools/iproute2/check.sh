#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Host-side check of the iproute2 plugin link_teredo.so: builds it, checks
# the exported symbol, the help text and that bad arguments are refused by
# the plugin itself.  Needs no kernel module and never creates a link:
# every `ip link add` here must be refused while parsing, and runs in a
# throwaway network namespace when one can be had, so that even a plugin
# bug that let an argument through could not touch the host.
#
# Output: one "ok N - ..." / "not ok N - ..." line per check; the exit
# status is non-zero if any check failed.

here=$(cd "$(dirname "$0")" && pwd)
O=${O:-$here/../../build/tools}
IP=${IP:-ip}
n=0
failed=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

result() {	# result STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

make -s -C "$here" O="$O" >"$tmp/make.log" 2>&1
result $? "plugin builds with -Wall -Wextra -Werror"
[ -s "$tmp/make.log" ] && sed 's/^/# /' "$tmp/make.log"
if [ ! -f "$O/link_teredo.so" ]; then
	echo "# no $O/link_teredo.so, giving up"
	exit 1
fi
libdir=$(cd "$O" && pwd)

# `ip` dlsym()s "teredo_link_util" and writes its ->next: a data symbol.
nm -D --defined-only "$libdir/link_teredo.so" |
	grep -Eq '^[0-9a-f]+ [DB] teredo_link_util$'
result $? "nm -D: teredo_link_util is an exported, writable data symbol"

IP_LIB_DIR=$libdir "$IP" link help teredo >"$tmp/help" 2>&1
result $? "ip link help teredo exits 0"
for word in mode client relay server server2 local local2 port refresh \
	    max-peers ttl hold-limit state nat mapped address bound; do
	grep -Eq "(^|[^a-z0-9-])$word([^a-z0-9-]|\$)" "$tmp/help"
	result $? "help text mentions \"$word\""
done
grep -q "ip link set NAME type teredo" "$tmp/help"
result $? "help text shows the ip link set form"

# Where to run the refused commands: a new netns (root), a new user+net
# namespace (unprivileged), or, failing both, the host itself but only
# when the kernel cannot have a teredo link type at all.
if unshare -n true 2>/dev/null; then
	iso="unshare -n"
elif unshare -rn true 2>/dev/null; then
	iso="unshare -rn"
elif [ ! -d /sys/module/teredo ] && ! modinfo teredo >/dev/null 2>&1; then
	iso=""
	echo "# no unshare; running on the host, no teredo module can load"
else
	iso=none
fi

refused() {	# refused DESCRIPTION EXPECTED_TEXT ARGS...
	desc=$1
	want=$2
	shift 2
	if [ "$iso" = none ]; then
		n=$((n + 1))
		echo "ok $n - $desc # SKIP no netns, teredo module present"
		return
	fi
	# shellcheck disable=SC2086 # $iso is a command prefix
	IP_LIB_DIR=$libdir $iso "$IP" link add t0 type teredo "$@" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	# "Error: teredo:" is the plugin's own prefix: ip only sends the
	# request after parse_opt() succeeded, so this proves nothing left.
	if [ $rc -ne 0 ] && grep -q "^Error: teredo: .*$want" "$tmp/err"; then
		result 0 "$desc"
	else
		result 1 "$desc"
		echo "# rc=$rc"
		sed 's/^/# /' "$tmp/out" "$tmp/err"
	fi
}

refused "port 99999 is refused" 'invalid port "99999"' port 99999
refused "port -1 is refused" 'invalid port "-1"' port -1
refused "mode bogus is refused" 'invalid mode "bogus"' mode bogus
refused "refresh abc is refused" 'invalid refresh "abc"' refresh abc
refused "ttl 256 is refused" 'invalid ttl "256"' ttl 256
refused "max-peers 4294967296 is refused" 'invalid max-peers "4294967296"' \
	max-peers 4294967296
refused "server 999.1.1.1 is refused without a DNS lookup" \
	'invalid server "999.1.1.1"' server 999.1.1.1
refused "local takes no host name" 'invalid local "localhost"' \
	local localhost
refused "unknown keyword is named" 'unknown keyword "bogus"' \
	server 192.0.2.1 bogus 1
refused "duplicate keyword is refused" 'duplicate "port"' port 1 port 2
refused "missing value is refused" '"refresh" needs a value' \
	server 192.0.2.1 refresh
# The running state ip -d link show prints is skipped with its value when
# pasted back: the first unknown word after them is the one named.
refused "pasted state words are skipped" 'unknown keyword "bogus"' \
	server 192.0.2.1 state qualified nat restricted \
	mapped 198.18.0.40:40000 address 2001:0:c612:1::1 \
	bound 0.0.0.0:40000 reason none bogus 1
refused "a state word needs its value" '"bound" needs a value' \
	server 192.0.2.1 bound
# RFC 6081 §5.4/§5.5's NAT types are two words: the "(...)" goes too.
refused "pasted nat symmetric (port-preserving) is skipped" \
	'unknown keyword "bogus"' server 192.0.2.1 \
	nat symmetric "(port-preserving)" mapped 198.18.0.40:40000 bogus 1
refused "pasted nat symmetric (sequential) is skipped" \
	'unknown keyword "bogus"' server 192.0.2.1 \
	state qualified nat symmetric "(sequential)" bogus 1

# `help` after type teredo prints the usage and aborts the command.
if [ "$iso" != none ]; then
	# shellcheck disable=SC2086
	IP_LIB_DIR=$libdir $iso "$IP" link add t0 type teredo help \
		>"$tmp/out" 2>&1
	rc=$?
	[ $rc -ne 0 ] &&
		grep -q "^Usage: ip link add NAME type teredo" "$tmp/out"
	result $? "help keyword prints the usage and fails"
fi

# The plan, last (TAP allows it): make check fails a log without one.
echo "1..$n"
echo "# $failed of $n checks failed"
[ $failed -eq 0 ]
