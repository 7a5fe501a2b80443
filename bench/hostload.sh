#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/hostload.sh FILE CMD...: run CMD (a VM boot) while FILE holds the
# host's /proc/loadavg, rewritten every 2 s.  The guest cannot read the
# host's /proc (its root is a cached 9p view of the host's files); FILE
# in the boot's results directory, which the guest mounts uncached, lets
# a bench note the host's load next to each figure.
set -u
file=$1
shift
mkdir -p "$(dirname "$file")"
(
	while :; do
		cat /proc/loadavg > "$file.new" && mv -f "$file.new" "$file"
		sleep 2
	done
) &
sampler=$!
"$@"
rc=$?
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
rm -f "$file" "$file.new"
exit "$rc"
