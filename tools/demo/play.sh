#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# play.sh RESULTS: make demo's VM part, for a terminal.  The VM's serial
# console (firmware output, its escape codes that clear the screen or
# reset the terminal, kernel messages) goes to RESULTS/console.log; the
# terminal shows only what the demo prints (RESULTS/output, which the
# guest writes as it goes).  On a failure it says where the console log
# is and shows its last lines, escape codes removed.
#
# DEMO_RUNNER replaces "tools/vm/run.sh" (tools/install-test.sh tests
# this script with a fake one).
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
results=$1
runner=${DEMO_RUNNER:-$top/tools/vm/run.sh}

mkdir -p "$results"
results=$(cd "$results" && pwd)
rm -f "$results/output" "$results/console.log"
"$runner" --kernel 61 --timeout 600 --results "$results" -- \
	bash tools/demo/demo.sh > "$results/console.log" 2>&1 < /dev/null &
pid=$!
# tail -F waits for the guest to create the file and stops when the VM
# has gone (after a last read).
tail -n +1 -F --pid="$pid" "$results/output" 2>/dev/null
wait "$pid"
rc=$?
if [ "$rc" != 0 ]; then
	echo "demo: failed (exit $rc); the VM's console: $results/console.log"
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1b[()][A-Z0-9]//g; s/\x1b.//g' \
		"$results/console.log" | tr -d '\r' | grep -v '^$' | tail -15
fi
exit "$rc"
