#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/profile.py: what the tunnels' own code costs per packet.

run.sh --profile (the relay path: ours A, sit+fou C; UDP64 each way)
and client.sh --profile (the client path: ours ON, sit+fou SN at both
ends; TCP and UDP64 each way) time the tunnels' own entry points and
hand this script, per run, the trace and iperf3's JSON.  Depth 1: a
kprobe and a kretprobe on each entry point, so each call's time is what
it and its callees took, less the traced calls nested in it (on one
cpu a transmit that re-enables BHs runs the softirq that the packet
raised, the next hop's receive included; function_graph's depth limit
loses those calls).  Deeper: function_graph, which also times each
call's callees.  The variants share everything else on the path
(sender, NAT, forwarding, receiver), so the tunnel functions' time per
packet that reached the receiver is what ours costs against what the
kernel's own IPv6-in-UDP tunnel costs, split into decapsulation,
encapsulation and GRO.  A TCP "packet" is a full 1208-byte payload
(report.py's TCP_SEG): GRO and GSO make the calls fewer.  The tracer
adds a fixed cost to every traced call (sit+fou's decapsulation is two
calls, ours one); the smallest call of each function bounds it.  The guest's busy cpu time per packet (/proc/stat)
is there for scale.

    profile.py OUT.md [--tsc-mhz F] RUN...
    RUN = variant:test:busy-cpu-s:lost-events:trace.xz:iperf.json
"""
import lzma
import os
import re
import sys
from collections import defaultdict

# run.sh starts python3 -I: the script's directory is not on the path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import TCP_SEG, UDP_LEN, _receiver  # noqa: E402

# "iperf3-357 [000] ..s2. 123.456789: relay_recv_e: (relay_recv+0x0/...)"
# (lib.sh's trace_setup at depth 1: a kprobe and a kretprobe a function)
# (or, with the x86-tsc clock, the cycle count in place of the seconds)
PROBE = re.compile(r"\[(\d+)\]\s+\S+\s+([0-9]+(?:\.[0-9]+)?): (\w+)_([ex]): ")
# " 1)   5.123 us    |  relay_recv [teredo]();", " 1)    |  f() {",
# " 1) + 12.3 us   |  } /* f [mod] */" (a +, !, #, *, @ or $ before the
# duration marks a long one; two spaces of indent per level).
LINE = re.compile(r"^\s*(\d+)\)\s*(?:[-+!#*@$]\s*)?(?:([0-9.]+) us)?\s*\|( *)(.*)$")
NAME = re.compile(r"(?:\} /\* )?([A-Za-z_][\w.]*)")
PART = {
    "relay_recv": "decapsulation", "fou_udp_recv": "decapsulation",
    "ipip6_rcv": "decapsulation", "teredo_client_encap_recv": "decapsulation",
    "teredo_relay_xmit": "encapsulation", "sit_tunnel_xmit": "encapsulation",
    "teredo_client_xmit": "encapsulation",
    "teredo_gro_receive": "GRO", "fou_gro_receive": "GRO",
}
NAMES = {"A": "ours", "C": "sit+fou", "ON": "ours", "SN": "sit+fou"}
TSC_MHZ = 0.0   # cycles a µs of the x86-tsc trace clock, if it is used
TRIM = 0.01     # the share of slowest calls that "trimmed" sets aside
TESTS = {"tcp_up": "TCP up", "tcp_down": "TCP down",
         "udp_up": "UDP64 up", "udp_down": "UDP64 down"}


class Run:
    def __init__(self, test, busy, lost, trace, js):
        self.lost = int(lost or 0)
        end, recv = _receiver(js)
        unit = TCP_SEG if test.startswith("tcp") else UDP_LEN
        self.pkts = recv["bytes"] / unit if end is not None else 0.0
        try:
            self.busy_ns = float(busy) * 1e9 / self.pkts if self.pkts else 0
        except ValueError:
            self.busy_ns = 0.0
        self.calls = defaultdict(list)     # top function: durations
        self.callees = defaultdict(list)   # (top, callee): durations
        self.nested = 0                    # calls inside another one
        stack = defaultdict(list)          # cpu: open functions
        with lzma.open(trace, "rt", errors="replace") as f:
            for line in f:
                m = PROBE.search(line)
                if m:
                    ts = m.group(2)
                    us = (int(ts) / TSC_MHZ if "." not in ts
                          else float(ts) * 1e6)
                    self.probe(stack[m.group(1)], m.group(3), m.group(4), us)
                    continue
                m = LINE.match(line)
                if m:
                    self.graph(stack[m.group(1)], m)

    def probe(self, st, name, end, t):
        """A kprobe (_e) or kretprobe (_x) event: one call's own time,
        without that of the traced calls nested in it (a softirq that
        ran when a transmit re-enabled BHs, say)."""
        if name not in PART:
            return
        if end == "e":
            self.nested += bool(st)
            st.append([name, t, 0.0])
            return
        while st and st[-1][0] != name:
            st.pop()                       # its return was missed
        if not st:
            return
        _, t0, inner = st.pop()
        self.calls[name].append(t - t0 - inner)
        if st:
            st[-1][2] += t - t0

    def graph(self, st, m):
        """A function_graph line (--depth 2 and deeper)."""
        dur, depth = m.group(2), len(m.group(3)) // 2
        n = NAME.match(m.group(4))
        if not n or depth < 1:
            return
        name = n.group(1)
        if m.group(4).rstrip().endswith("{"):
            del st[depth - 1:]
            st.append(name)
            return
        if dur is None:
            return
        if depth == 1 and name in PART:
            self.calls[name].append(float(dur))
        elif depth == 2 and st and st[0] in PART:
            self.callees[(st[0], name)].append(float(dur))

    def per_pkt(self, func, trim=0.0):
        """µs of @func per packet that reached the receiver; with @trim,
        the slowest calls of that share count as the median (a vCPU that
        the host took away in the middle of a call, an interrupt)."""
        calls = sorted(self.calls[func])
        if not self.pkts or not calls:
            return 0.0
        cut = int(len(calls) * trim)
        total = sum(calls[:len(calls) - cut]) + cut * median(calls)
        return total / self.pkts


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else 0.0


def callees(lines, runs, variants, test):
    """With a deeper trace: what each traced function's time went to."""
    rows = []
    for v in variants:
        r = runs.get((v, test))
        if not r or not r.callees:
            continue
        for (top, callee), durs in sorted(r.callees.items()):
            per_call = len(durs) / max(len(r.calls[top]), 1)
            rows.append(f"| {NAMES[v]} | {top} | {callee} | {per_call:.2f} | "
                        f"{median(durs):.2f} | "
                        f"{per_call * median(durs):.2f} |")
    if rows:
        lines += [f"Callees ({TESTS[test]}): each one's own traced time, "
                  "per call of the function above it", "",
                  "| variant | function | callee | calls per call | "
                  "median µs | median × calls |", "|---|---|---|---|---|---|"]
        lines += rows + [""]


def main():
    global TSC_MHZ
    out_path, args, runs = sys.argv[1], sys.argv[2:], {}
    if args[:1] == ["--tsc-mhz"]:
        TSC_MHZ, args = float(args[1]), args[2:]
    for arg in args:
        v, test, busy, lost, trace, js = arg.split(":", 5)
        runs[(v, test)] = Run(test, busy, lost, trace, js)
    # ours first, then sit+fou, in the order the runs came
    variants = sorted(dict.fromkeys(v for v, _ in runs),
                      key=lambda v: NAMES[v] != "ours")
    tests = [t for t in TESTS if any(t == u for _, u in runs)]
    pair = [next((v for v in variants if NAMES[v] == name), None)
            for name in ("ours", "sit+fou")]
    lines = ["Tunnel code per packet that reached the receiver, µs "
             "(depth 1: each call with what it calls, less the traced calls "
             "nested in it; deeper: function_graph; tracer overhead "
             f"included; trimmed: the slowest {TRIM:.0%} of the calls "
             "counted at the median; see bench/profile.py).", ""]
    for test in tests:
        lines += [f"### {TESTS[test]}", "",
                  "| variant | function | part | calls per packet | "
                  "median call µs | fastest call µs | µs per packet | "
                  "trimmed |", "|---|---|---|---|---|---|---|---|"]
        parts = defaultdict(float)
        for v in variants:
            r = runs.get((v, test))
            if not r or not r.pkts:
                lines.append(f"| {NAMES[v]} | (run failed) | | | | | | |")
                continue
            if r.lost:
                lines.append(f"| {NAMES[v]} | (the trace lost {r.lost} "
                             "events: the sums are short) | | | | | | |")
            if r.nested:
                lines.append(f"| {NAMES[v]} | ({r.nested} calls ran inside "
                             "another traced call, their time taken out "
                             "of it) | | | | | | |")
            for func in sorted(r.calls, key=lambda f: (PART[f], f)):
                calls = r.calls[func]
                whole, trimmed = r.per_pkt(func), r.per_pkt(func, TRIM)
                lines.append(
                    f"| {NAMES[v]} | {func} | {PART[func]} | "
                    f"{len(calls) / r.pkts:.2f} | {median(calls):.2f} | "
                    f"{min(calls):.2f} | {whole:.2f} | {trimmed:.2f} |")
                parts[(v, PART[func])] += whole
                parts[(v, PART[func], "trimmed")] += trimmed
            parts[(v, "busy")] = r.busy_ns / 1000
        lines += ["", "| part | ours µs/packet | sit+fou µs/packet | "
                  "ours − sit+fou | trimmed: ours | sit+fou | "
                  "ours − sit+fou |", "|---|---|---|---|---|---|---|"]
        for part in ("decapsulation", "encapsulation", "GRO", "busy"):
            if not any((v, part) in parts for v in pair):
                continue
            a, c = (parts.get((v, part), 0.0) for v in pair)
            row = f"| {part} | {a:.2f} | {c:.2f} | {a - c:+.2f} |"
            if part == "busy":
                row = row.replace("busy", "whole path (busy guest cpu)")
                lines.append(row + " | | |")
                continue
            a, c = (parts.get((v, part, "trimmed"), 0.0) for v in pair)
            lines.append(row + f" {a:.2f} | {c:.2f} | {a - c:+.2f} |")
        lines.append("")
        callees(lines, runs, variants, test)
    with open(out_path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
