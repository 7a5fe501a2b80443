#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/profile.py: what the relay's tunnel code costs per packet.

run.sh --profile traces the tunnels' own entry points with ftrace's
function_graph tracer at depth 1 (each call's duration, everything it
calls included) during one UDP64 run each way, for ours (A) and
sit+fou (C), and hands this script, per run, the trace and iperf3's
JSON.  The variants share everything else on the path (sender, client,
forwarding, receiver), so the tunnel functions' time per packet that
reached the receiver is what ours costs against what the kernel's own
IPv6-in-UDP tunnel costs, split into decapsulation, encapsulation and
GRO.  The tracer adds a fixed cost to every traced call (sit+fou's
decapsulation is two calls, ours one); the smallest call of each
function bounds it.  The guest's busy cpu time per packet (/proc/stat)
is there for scale.

    profile.py OUT.md RUN...
    RUN = variant:test:busy-cpu-s:trace.xz:iperf.json
"""
import lzma
import os
import re
import sys
from collections import defaultdict

# run.sh starts python3 -I: the script's directory is not on the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import UDP_LEN, _receiver  # noqa: E402

# " 1)   5.123 us    |  relay_recv [teredo]();", " 1)    |  f() {",
# " 1) + 12.3 us   |  } /* f [mod] */" (a +, !, #, *, @ or $ before the
# duration marks a long one; two spaces of indent per level).
LINE = re.compile(r"^\s*(\d+)\)\s*(?:[-+!#*@$]\s*)?(?:([0-9.]+) us)?\s*\|( *)(.*)$")
NAME = re.compile(r"(?:\} /\* )?([A-Za-z_][\w.]*)")
PART = {
    "relay_recv": "decapsulation", "fou_udp_recv": "decapsulation",
    "ipip6_rcv": "decapsulation",
    "teredo_relay_xmit": "encapsulation", "sit_tunnel_xmit": "encapsulation",
    "teredo_gro_receive": "GRO", "fou_gro_receive": "GRO",
}
NAMES = {"A": "ours", "C": "sit+fou"}


class Run:
    def __init__(self, busy, trace, js):
        end, recv = _receiver(js)
        self.pkts = recv["bytes"] / UDP_LEN if end is not None else 0.0
        try:
            self.busy_ns = float(busy) * 1e9 / self.pkts if self.pkts else 0
        except ValueError:
            self.busy_ns = 0.0
        self.calls = defaultdict(list)     # top function: durations
        self.callees = defaultdict(list)   # (top, callee): durations
        stack = defaultdict(list)          # cpu: open functions
        with lzma.open(trace, "rt", errors="replace") as f:
            for line in f:
                m = LINE.match(line)
                if not m:
                    continue
                cpu, dur, depth = m.group(1), m.group(2), len(m.group(3)) // 2
                n = NAME.match(m.group(4))
                if not n or depth < 1:
                    continue
                name, st = n.group(1), stack[cpu]
                if m.group(4).rstrip().endswith("{"):
                    del st[depth - 1:]
                    st.append(name)
                    continue
                if dur is None:
                    continue
                if depth == 1 and name in PART:
                    self.calls[name].append(float(dur))
                elif depth == 2 and st and st[0] in PART:
                    self.callees[(st[0], name)].append(float(dur))

    def per_pkt(self, func):
        """µs of @func per packet that reached the receiver."""
        return sum(self.calls[func]) / self.pkts if self.pkts else 0.0


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else 0.0


def callees(lines, runs, test):
    """With a deeper trace: what each traced function's time went to."""
    rows = []
    for v in ("A", "C"):
        r = runs.get((v, test))
        if not r or not r.callees:
            continue
        for (top, callee), durs in sorted(r.callees.items()):
            per_call = len(durs) / max(len(r.calls[top]), 1)
            rows.append(f"| {NAMES[v]} | {top} | {callee} | {per_call:.2f} | "
                        f"{median(durs):.2f} | "
                        f"{per_call * median(durs):.2f} |")
    if rows:
        lines += [f"Callees (UDP64 {test[4:]}): each one's own traced time, "
                  "per call of the function above it", "",
                  "| variant | function | callee | calls per call | "
                  "median µs | median × calls |", "|---|---|---|---|---|---|"]
        lines += rows + [""]


def main():
    out_path, runs = sys.argv[1], {}
    for arg in sys.argv[2:]:
        v, test, busy, trace, js = arg.split(":", 4)
        runs[(v, test)] = Run(busy, trace, js)
    lines = ["Tunnel code per packet that reached the receiver, µs "
             "(ftrace function_graph, depth 1: each call with what it "
             "calls; tracer overhead included, see bench/profile.py).", ""]
    for test in ("udp_up", "udp_down"):
        lines += [f"### UDP64 {test[4:]}", "",
                  "| variant | function | part | calls per packet | "
                  "median call µs | fastest call µs | µs per packet |",
                  "|---|---|---|---|---|---|---|"]
        parts = {}
        for v in ("A", "C"):
            r = runs.get((v, test))
            if not r or not r.pkts:
                lines.append(f"| {NAMES[v]} | (run failed) | | | | | |")
                continue
            for func in sorted(r.calls, key=lambda f: PART[f]):
                calls = r.calls[func]
                lines.append(
                    f"| {NAMES[v]} | {func} | {PART[func]} | "
                    f"{len(calls) / r.pkts:.2f} | {median(calls):.2f} | "
                    f"{min(calls):.2f} | {r.per_pkt(func):.2f} |")
                key = (v, PART[func])
                parts[key] = parts.get(key, 0.0) + r.per_pkt(func)
            parts[(v, "busy")] = r.busy_ns / 1000
        lines += ["", "| part | ours µs/packet | sit+fou µs/packet | "
                  "ours − sit+fou |", "|---|---|---|---|"]
        for part in ("decapsulation", "encapsulation", "GRO", "busy"):
            a, c = parts.get(("A", part)), parts.get(("C", part))
            if a is None and c is None:
                continue
            a, c = a or 0.0, c or 0.0
            name = ("whole path (busy guest cpu)" if part == "busy"
                    else part)
            lines.append(f"| {name} | {a:.2f} | {c:.2f} | {a - c:+.2f} |")
        lines.append("")
        callees(lines, runs, test)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
