#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Helpers of bench/run.sh: read iperf3's JSON, write the results table.

  report.py iperf FILE KIND
      one line "ok VALUE SENT LOSS" or "fail REASON" for an iperf3 -J
      output; KIND tcp gives the receiver's Mbit/s, udp64 the receiver's
      packets/s (64-byte payloads) plus the sender's packets/s and the
      loss in percent
  report.py snap HOST_PID CLI_PID RLY_PID
      drop counters along the path as "name=value" words, read through
      /proc/PID/net of a process in each namespace
  report.py finish FILE KIND SNAP CPU_S WALL_S HOST_PID CLI_PID RLY_PID
      "iperf", then the run's busy cpu-seconds CPU_S and wall seconds
      WALL_S, the receiver's work per busy cpu-second (KIND tcp: Mbit,
      udp64: packets) and its packets per busy cpu-second (tcp: the bytes
      in full 1280-byte packets' payloads, TCP_SEG), then the counters
      that moved since SNAP ("name+n,..." or -)
  report.py table SAMPLES [HEADER]
      the markdown results of a samples file (tab-separated: rep variant
      test status value sent loss load1 drops cpu_s wall_s per_cpu_s
      pkt_per_cpu_s; files without the last four columns still read),
      with HEADER's lines on top

bench/client.sh's (the client benchmark):

  report.py nsnap LABEL=PID...
      drop counters as run.sh's snap, per namespace: those of the
      namespace of PID named after LABEL (rcvbuf6-LABEL, rcvbuf4-LABEL:
      UDP receive buffers over IPv6 and IPv4; dev-LABEL: rx+tx drops of
      its devices but lo)
  report.py nfinish FILE KIND SNAP CPU_S WALL_S LABEL=PID...
      as finish, with nsnap's counters
  report.py ctable SAMPLES [HEADER]
      the client benchmark's table
"""
import json
import statistics
import sys

VARIANTS = [
    ("A", "ours: teredo relay (kernel)"),
    ("B", "Miredo relay (userspace TUN)"),
    ("C", "`sit` + `fou`, GSO on"),
    ("D", "plain IPv6 routing"),
]
TESTS = [
    ("tcp_up", "TCP Mbit/s up (med [min–max])"),
    ("tcp_down", "TCP Mbit/s down"),
    ("udp_up", "UDP64 pkt/s up"),
    ("udp_down", "UDP64 pkt/s down"),
]
UDP_LEN = 64
# TCP payload of a full packet on the benches' paths: every one has a
# 1280-byte MTU (tun6, d0, the Teredo devices, Miredo's), less the IPv6
# and TCP headers and the timestamp option: MSS 1220, 1208 bytes of data.
TCP_SEG = 1280 - 40 - 20 - 12


def _receiver(path):
    """iperf3's JSON: (end, the receiver's sum) or (None, fail reason)."""
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        return None, f"fail no-json:{type(e).__name__}"
    if d.get("error"):
        return None, "fail " + d["error"].replace(" ", "_")[:60]
    end = d.get("end", {})
    recv = end.get("sum_received") or end.get("sum")
    if not recv or not recv.get("seconds"):
        return None, "fail no-result"
    return end, recv


def iperf(path, kind):
    end, recv = _receiver(path)
    if end is None:
        return recv
    if kind == "tcp":
        return f"ok {recv['bits_per_second'] / 1e6:.1f} - -"
    sent = end.get("sum_sent") or recv
    rx = recv["bytes"] / UDP_LEN / recv["seconds"]
    tx = sent["bytes"] / UDP_LEN / sent["seconds"] if sent["seconds"] else 0
    loss = recv.get("lost_percent", 0.0)
    return f"ok {rx:.0f} {tx:.0f} {loss:.1f}"


def per_cpu(path, kind, cpu_s, wall_s):
    """"CPU_S WALL_S PER_CPU PKT_PER_CPU": what the receiver got over the
    whole run per busy cpu-second of the guest (- where it got nothing
    or no cpu time was counted).  The cpu time spans the whole iperf3
    run, its start and control exchange included; the bytes are those of
    the measured seconds."""
    end, recv = _receiver(path)
    try:
        cpu = float(cpu_s)
    except ValueError:
        cpu = 0.0
    if end is None or cpu <= 0:
        return f"{cpu_s} {wall_s} - -"
    if kind == "tcp":
        work = recv["bytes"] * 8 / 1e6
        pkts = recv["bytes"] / TCP_SEG
        return f"{cpu_s} {wall_s} {work / cpu:.1f} {pkts / cpu:.0f}"
    pkts = recv["bytes"] / UDP_LEN
    return f"{cpu_s} {wall_s} {pkts / cpu:.0f} {pkts / cpu:.0f}"


def snap(host, cli, rly):
    """Drops: full per-CPU backlog, short softirq rounds, UDP receive
    buffers of the receivers (host, cli) and of Miredo's socket (rly),
    rx+tx drops of the relay's devices."""
    c = {"backlog": 0, "squeeze": 0}
    with open("/proc/net/softnet_stat") as f:
        for line in f:
            w = line.split()
            c["backlog"] += int(w[1], 16)
            c["squeeze"] += int(w[2], 16)

    def field(pid, name, proto, key):
        try:
            with open(f"/proc/{pid}/net/{name}") as f:
                lines = f.read().splitlines()
        except OSError:
            return None
        if name == "snmp6":
            for line in lines:
                w = line.split()
                if w and w[0] == proto + key:
                    return int(w[1])
            return None
        head = [ln.split() for ln in lines if ln.startswith(proto + ":")]
        if len(head) == 2 and key in head[0]:
            return int(head[1][head[0].index(key)])
        return None

    for k, v in (("rcvbuf-host", field(host, "snmp6", "Udp6", "RcvbufErrors")),
                 ("rcvbuf-cli", field(cli, "snmp6", "Udp6", "RcvbufErrors")),
                 ("rcvbuf-rly", field(rly, "snmp", "Udp", "RcvbufErrors"))):
        if v is not None:
            c[k] = v
    try:
        with open(f"/proc/{rly}/net/dev") as f:
            n = 0
            for line in f.read().splitlines()[2:]:
                name, data = line.split(":", 1)
                w = data.split()
                if name.strip() != "lo":
                    n += int(w[3]) + int(w[11])
            c["rly-dev"] = n
    except (OSError, ValueError, IndexError):
        pass
    return " ".join(f"{k}={v}" for k, v in c.items())


def _softnet():
    c = {"backlog": 0, "squeeze": 0}
    with open("/proc/net/softnet_stat") as f:
        for line in f:
            w = line.split()
            c["backlog"] += int(w[1], 16)
            c["squeeze"] += int(w[2], 16)
    return c


def _snmp(pid, name, proto, key):
    try:
        with open(f"/proc/{pid}/net/{name}") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    if name == "snmp6":
        for line in lines:
            w = line.split()
            if w and w[0] == proto + key:
                return int(w[1])
        return None
    head = [ln.split() for ln in lines if ln.startswith(proto + ":")]
    if len(head) == 2 and key in head[0]:
        return int(head[1][head[0].index(key)])
    return None


def _dev_drops(pid):
    try:
        with open(f"/proc/{pid}/net/dev") as f:
            n = 0
            for line in f.read().splitlines()[2:]:
                name, data = line.split(":", 1)
                w = data.split()
                if name.strip() != "lo":
                    n += int(w[3]) + int(w[11])
            return n
    except (OSError, ValueError, IndexError):
        return None


def nsnap(pairs):
    """run.sh's snap for any namespaces: LABEL=PID each."""
    c = _softnet()
    for pair in pairs:
        label, pid = pair.split("=", 1)
        for k, v in ((f"rcvbuf6-{label}",
                      _snmp(pid, "snmp6", "Udp6", "RcvbufErrors")),
                     (f"rcvbuf4-{label}",
                      _snmp(pid, "snmp", "Udp", "RcvbufErrors")),
                     (f"dev-{label}", _dev_drops(pid))):
            if v is not None:
                c[k] = v
    return " ".join(f"{k}={v}" for k, v in c.items())


def delta(before, after):
    a = dict(w.split("=") for w in before.split())
    b = dict(w.split("=") for w in after.split())
    d = [f"{k}+{int(b[k]) - int(a[k])}" for k in b
         if k in a and b[k] != a[k]]
    return ",".join(d) or "-"


def read_samples(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 8 or p[0] == "rep":
                continue
            rows.append(dict(zip(("rep", "variant", "test", "status",
                                  "value", "sent", "loss", "load1",
                                  "drops", "cpu_s", "wall_s", "per_cpu_s",
                                  "pkt_per_cpu_s"), p)))
    return rows


def fmt(x, test):
    if test.startswith("tcp"):
        return f"{x:.0f}" if x >= 100 else f"{x:.1f}"
    return f"{x:,.0f}".replace(",", " ")


def cell(vals, total, test, reason):
    if not vals:
        return f"failed ({reason[:48]})" if reason else "failed"
    s = fmt(statistics.median(vals), test)
    s += f" [{fmt(min(vals), test)}–{fmt(max(vals), test)}]"
    if len(vals) < total:
        s += f" ({len(vals)}/{total} ok)"
    return s


def floats(rows, key):
    """The rows' numeric KEY values (runs that failed or predate the
    column give none)."""
    out = []
    for r in rows:
        try:
            out.append(float(r.get(key, "-")))
        except ValueError:
            pass
    return out


def ratio(a, b):
    """Ratio of the medians of value lists A and B, with the range
    min(A)/max(B)–max(A)/min(B) when there are several runs."""
    if not a or not b or not min(b):
        return "n/a"
    s = f"{statistics.median(a) / statistics.median(b):.2f}×"
    if len(a) > 1 or len(b) > 1:
        s += f" [{min(a) / max(b):.2f}–{max(a) / min(b):.2f}]"
    return s


def drops(rows):
    """Median over the runs of each drop counter that moved in any."""
    counts = []
    for r in rows:
        d = {}
        for w in (r.get("drops") or "-").split(","):
            if "+" in w:
                k, n = w.rsplit("+", 1)
                d[k] = int(n)
        counts.append(d)
    keys = sorted(set().union(*counts))
    if not keys:
        return "none"
    return ", ".join(
        f"{k} {statistics.median([c.get(k, 0) for c in counts]):.0f}"
        for k in keys)


def loads(rows):
    """Guest load range, and the host's when it was seen ("g/h")."""
    g, h = [], []
    for r in rows:
        parts = r["load1"].split("/")
        try:
            g.append(float(parts[0]))
            if len(parts) > 1:
                h.append(float(parts[1]))
        except ValueError:
            pass
    s = f"{min(g):.2f}–{max(g):.2f}" if g else "–"
    if h:
        s += f" ({min(h):.1f}–{max(h):.1f})"
    return s


def cpu_cell(oks, vals, total, test):
    """Per busy cpu-second: median [min–max]; TCP's in Mbit, with the
    median in full-size packets after it."""
    if not vals:
        return "–"
    s = cell(vals, total, test, "")
    if test.startswith("tcp"):
        pkts = statistics.median(floats(oks, "pkt_per_cpu_s"))
        s += f" ≈ {fmt(pkts, 'udp')} pkt"
    return s


def busy(rows):
    """Guest cpus busy during the runs (busy cpu-s / wall s), min–max."""
    b = [c / w for c, w in zip(floats(rows, "cpu_s"), floats(rows, "wall_s"))
         if w > 0]
    return f"{min(b):.2f}–{max(b):.2f}" if b else "–"


def cpu_table(rows, variants, tests, ok, cpu):
    """The receiver's work per busy cpu-second of the guest (all cpus)."""
    out = ["Per busy cpu-second of the guest (all vCPUs, user + system + "
           "irq + softirq + steal over the whole iperf3 run): TCP Mbit "
           f"(≈ full {TCP_SEG}-byte payloads), UDP64 packets received; "
           "med [min–max]", ""]
    out.append("| variant | " + " | ".join(
        t[1].split(" (")[0].replace("/s", " per cpu-s") for t in tests) +
        " | vCPUs busy (cpu-s / run s), min–max"
        " | load1, guest (host) |")
    out.append("|---" * (len(tests) + 3) + "|")
    for v, name in variants:
        vr = [r for r in rows if r["variant"] == v]
        line = [f"{v}. {name}"]
        for t, _ in tests:
            total = len([r for r in vr if r["test"] == t])
            line.append(cpu_cell(ok[v, t], cpu[v, t], total, t))
        line += [busy([r for r in vr if r["status"] == "ok"]), loads(vr)]
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    return out


RELAY_RATIOS = [("A", "C", "ours / sit+fou"), ("A", "B", "ours / Miredo"),
                ("A", "D", "ours / plain")]
RELAY_LEGEND = ("Drop counters: `backlog` = per-CPU input queue full "
                "(netif_rx), `squeeze` = softirq rounds cut short, "
                "`rcvbuf-X` = UDP socket buffer of the receiver in X "
                "(rly = Miredo's socket), `rly-dev` = rx+tx drops of the "
                "relay's devices (e.g. Miredo's TUN queue).")

# The client benchmark (bench/client.sh): up = client (1) -> native host
# (client 2), down = the other way.
CLIENT_VARIANTS = [
    ("ON", "ours ⇄ native host, via our relay"),
    ("SN", "`sit`+`fou` ⇄ native host, via sit+fou on rly"),
    ("MN", "Miredo ⇄ native host, via our relay"),
    ("OO", "ours ⇄ ours, two NATs"),
    ("MM", "Miredo ⇄ Miredo, two NATs"),
]
CLIENT_TESTS = [
    ("tcp_up", "TCP Mbit/s up (med [min–max])"),
    ("tcp_down", "TCP Mbit/s down"),
    ("udp_up", "UDP64 pkt/s up"),
    ("udp_down", "UDP64 pkt/s down"),
]
CLIENT_RATIOS = [("ON", "SN", "client ⇄ native host, ours / sit+fou"),
                 ("ON", "MN", "client ⇄ native host, ours / Miredo"),
                 ("OO", "MM", "client ⇄ client, ours / Miredo")]
CLIENT_LEGEND = ("Drop counters: `backlog` = per-CPU input queue full "
                 "(netif_rx), `squeeze` = softirq rounds cut short, "
                 "`rcvbuf6-X` / `rcvbuf4-X` = UDP socket buffers over "
                 "IPv6 (iperf3) / IPv4 (Miredo's Teredo socket) in "
                 "namespace X, `dev-X` = rx+tx drops of X's devices (e.g. "
                 "Miredo's TUN queue); X: o1, o2 = our clients, m1, m2 = "
                 "Miredo's, s1 = SN's sit+fou end, host, rly = our relay.")


def table(path, header, variants=None, tests=None, ratios=None,
          legend=RELAY_LEGEND):
    variants = variants or VARIANTS
    tests = tests or TESTS
    ratios = ratios or RELAY_RATIOS
    rows = read_samples(path)
    out = list(header)
    # Values of the runs that worked, per (variant, test): per second
    # (value) and per busy cpu-second (per_cpu_s).
    ok = {(v, t): [r for r in rows if r["variant"] == v and r["test"] == t
                   and r["status"] == "ok"]
          for v, _ in variants for t, _ in tests}
    rate = {k: floats(o, "value") for k, o in ok.items()}
    cpu = {k: floats(o, "per_cpu_s") for k, o in ok.items()}
    out.append("| variant | " + " | ".join(t[1] for t in tests) +
               " | load1 before runs, guest (host), min–max |")
    out.append("|---" * (len(tests) + 2) + "|")
    for v, name in variants:
        line = [f"{v}. {name}"]
        vr = [r for r in rows if r["variant"] == v]
        for t, _ in tests:
            tr = [r for r in vr if r["test"] == t]
            why = sorted({r["value"] for r in tr if r["status"] != "ok"})
            line.append(cell(rate[v, t], len(tr), t, ", ".join(why)))
        line.append(loads(vr))
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    out += cpu_table(rows, variants, tests, ok, cpu)
    out.append("Ratios of the medians [range: ours' lowest / theirs' "
               "highest – ours' highest / theirs' lowest]:")
    out.append("")
    for ours, other, name in ratios:
        for what, vals in (("per second", rate),
                           ("per busy cpu-second", cpu)):
            parts = []
            for t, title in tests:
                label = title.split(" (")[0]
                if vals is cpu:
                    label = label.split()[0] + " " + label.split()[-1]
                parts.append(f"{label} "
                             f"{ratio(vals[ours, t], vals[other, t])}")
            out.append(f"- {name}, {what}: " + "; ".join(parts))
    out.append("")
    # Where UDP packets were lost: sender rate, receiver loss and the
    # drop counters that moved during the runs.
    out.append("UDP64 detail (medians over the runs): sender pkt/s / "
               "receiver pkt/s / loss; where the drops were counted "
               "(per run, median)")
    out.append("")
    out.append("| variant | up: sent / received / loss | up: drops | "
               "down: sent / received / loss | down: drops |")
    out.append("|---|---|---|---|---|")
    for v, name in variants:
        line = [f"{v}. {name}"]
        for t in ("udp_up", "udp_down"):
            ok = [r for r in rows if r["variant"] == v and r["test"] == t
                  and r["status"] == "ok"]
            if not ok:
                line += ["failed", "–"]
                continue
            tx = statistics.median(float(r["sent"]) for r in ok)
            rx = statistics.median(float(r["value"]) for r in ok)
            loss = statistics.median(float(r["loss"]) for r in ok)
            line.append(f"{fmt(tx, t)} / {fmt(rx, t)} / {loss:.1f} %")
            line.append(drops(ok))
        out.append("| " + " | ".join(line) + " |")
    out.append("")
    out.append(legend)
    return "\n".join(out) + "\n"


def _finish(args):
    """finish's and nfinish's fields before the counters."""
    path, kind, _, cpu_s, wall_s = args
    res = iperf(path, kind)
    if res.startswith("fail"):
        res = res.split()[0] + " " + "_".join(res.split()[1:])
        res += " - -"
    return res + " " + per_cpu(path, kind, cpu_s, wall_s)


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "iperf":
        print(iperf(sys.argv[2], sys.argv[3]))
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "snap":
        print(snap(*sys.argv[2:5]))
        return 0
    if len(sys.argv) == 10 and sys.argv[1] == "finish":
        print(_finish(sys.argv[2:7]),
              delta(sys.argv[4], snap(*sys.argv[7:10])))
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] == "nsnap":
        print(nsnap(sys.argv[2:]))
        return 0
    if len(sys.argv) >= 8 and sys.argv[1] == "nfinish":
        print(_finish(sys.argv[2:7]),
              delta(sys.argv[4], nsnap(sys.argv[7:])))
        return 0
    if len(sys.argv) >= 3 and sys.argv[1] in ("table", "ctable"):
        header = []
        if len(sys.argv) > 3:
            with open(sys.argv[3]) as f:
                header = f.read().splitlines()
        if sys.argv[1] == "table":
            sys.stdout.write(table(sys.argv[2], header))
        else:
            sys.stdout.write(table(sys.argv[2], header, CLIENT_VARIANTS,
                                   CLIENT_TESTS, CLIENT_RATIOS,
                                   CLIENT_LEGEND))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
