#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Background traffic for the fault storms of teredo_storm.sh.

  storm_traffic.py blast --active FILE --stats FILE TARGET...
      Teredo clients, a native host and two Teredo servers in one process,
      blasting at the relay and client devices of the TARGETs listed (by
      index) in FILE until killed; FILE is re-read every 0.2 s.  TARGET is
      RELAY_IP,CLIENT_IP:PORT,CLIENT_ADDR,NATIVE6,RSERVER,CSERVER.
      Per tick and TARGET:
        - to the relay, from K Teredo clients 198.18.0.40:5000+k whose
          addresses embed RSERVER: a bubble (trust) and an echo request to
          NATIVE6, which the relay delivers and whose reply it sends back;
        - from the native host's IPv6 socket: UDP to those K clients and to
          one nobody answers for (the relay creates peers, bubbles, queues);
        - to the client, from K Teredo peers 198.18.0.41:6000+k (server
          CSERVER): a bubble and an echo request to CLIENT_ADDR, answered
          through the client; and a native-source packet, which the client
          holds for an echo test through its server;
        - a malformed datagram each (dropped with a counter).
      Everything that comes back is read and counted; FILE stats gets
      "sent N relay_rx N client_rx N server_rx N native_rx N" twice a
      second.
  storm_traffic.py echo-server --bind ADDR6 --port P
      answer every UDP datagram with itself.
  storm_traffic.py echo-stream --to ADDR6 --port P --log FILE
      send a numbered datagram every --interval s (send errors ignored: no
      route while the helper restarts); write one "seq sent recv" line
      (times from time.time()) per answer to FILE.
"""
# Only what starts fast: under QEMU/TCG argparse and ipaddress alone cost
# seconds, hence no teredo_peer.py either (its imports); the few wire
# formats needed are below.
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wire import a4, bubble, icmp6, teredo_addr  # noqa: E402

RELAY_PEER_IP = "198.18.0.40"
CLIENT_PEER_IP = "198.18.0.41"
NATIVE_SRC = "2001:db8:b::1"
# The client devices' server (teredo_storm.sh's SERVER): their echo tests
# go there.
CLIENT_SERVER = "198.18.0.1"
K = 2


def a6(text):
    return socket.inet_pton(socket.AF_INET6, text)


def n6(packed):
    return socket.inet_ntop(socket.AF_INET6, packed)


def echo(src, dst, seq):
    return icmp6(src, dst, 128, 0, struct.pack("!HH", 0x5354, seq & 0xffff) +
                 b"storm" * 4)


# A native source the client must verify before believing it.
NATIVE_UNVERIFIED = a6("2001:db8:b::99")


def udp4(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    s.setblocking(False)
    return s


class Target:
    def __init__(self, spec):
        relay, client, caddr, native, rserver, cserver = spec.split(",")
        cip, cport = client.rsplit(":", 1)
        self.relay = (relay, 3544)
        self.client = (cip, int(cport))
        self.caddr = a6(caddr)
        self.native = a6(native)
        self.rpeers = [teredo_addr(rserver, RELAY_PEER_IP, 5000 + k)
                       for k in range(K)]
        # Its bubbles go to a port nobody listens on.
        self.rdead = teredo_addr(rserver, RELAY_PEER_IP, 5999)
        self.cpeers = [teredo_addr(cserver, CLIENT_PEER_IP, 6000 + k)
                       for k in range(K)]


def send(sock, data, to, stats):
    try:
        sock.sendto(data, to)
        stats["sent"] += 1
    except OSError:         # no route or neighbour yet, ICMP error pending
        pass


def tick(t, seq, rsocks, csocks, native, stats):
    for k in range(K):
        send(rsocks[k], bubble(t.rpeers[k], t.native), t.relay, stats)
        send(rsocks[k], echo(t.rpeers[k], t.native, seq), t.relay, stats)
        send(native, b"native", (n6(t.rpeers[k]), 9),
             stats)
        send(csocks[k], bubble(t.cpeers[k], t.caddr), t.client, stats)
        send(csocks[k], echo(t.cpeers[k], t.caddr, seq), t.client, stats)
    send(native, b"native", (n6(t.rdead), 9), stats)
    send(csocks[0], echo(NATIVE_UNVERIFIED, t.caddr, seq), t.client, stats)
    # Truncated IPv6 header: a counted drop on either device.
    send(rsocks[0], bubble(t.rpeers[0], t.native)[:20], t.relay, stats)
    send(csocks[0], b"\x60\x00", t.client, stats)


def read_active(path, last):
    try:
        with open(path) as f:
            return [int(w) for w in f.read().split()]
    except (OSError, ValueError):
        return last


def run_blast(active_file, stats_file, interval, specs):
    targets = [Target(s) for s in specs]
    servers = {t.split(",")[i] for t in specs for i in (4, 5)}
    servers.add(CLIENT_SERVER)
    rsocks = [udp4(RELAY_PEER_IP, 5000 + k) for k in range(K)]
    csocks = [udp4(CLIENT_PEER_IP, 6000 + k) for k in range(K)]
    ssocks = [udp4(s, 3544) for s in sorted(servers)]
    native = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    native.bind((NATIVE_SRC, 0))
    native.setblocking(False)
    kinds = ([(s, "relay_rx") for s in rsocks] +
             [(s, "client_rx") for s in csocks] +
             [(s, "server_rx") for s in ssocks] + [(native, "native_rx")])
    stats = dict.fromkeys(("sent", "relay_rx", "client_rx", "server_rx",
                           "native_rx"), 0)
    active, seq = [], 0
    next_read = next_stats = 0.0
    print("blast-ready", flush=True)
    while True:
        now = time.monotonic()
        if now >= next_read:
            active = read_active(active_file, active)
            next_read = now + 0.2
        if now >= next_stats:
            line = " ".join(f"{k} {v}" for k, v in stats.items())
            with open(stats_file + ".new", "w") as f:
                f.write(line + "\n")
            os.replace(stats_file + ".new", stats_file)
            next_stats = now + 0.5
        seq += 1
        for i in active:
            if 0 <= i < len(targets):
                tick(targets[i], seq, rsocks, csocks, native, stats)
        end = now + interval
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s for s, _ in kinds], [], [], left)
            for s, kind in kinds:
                if s not in r:
                    continue
                while True:
                    try:
                        s.recvfrom(65535)
                        stats[kind] += 1
                    except BlockingIOError:
                        break
                    except OSError:     # an ICMP error: nothing to read
                        continue


def run_echo_server(addr, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print("echo-ready", flush=True)
    while True:
        try:
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
        except OSError:
            continue


def run_echo_stream(addr, port, log_file, interval):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setblocking(False)
    log = open(log_file, "a", buffering=1)
    seq, next_send = 0, 0.0
    while True:
        now = time.time()
        if now >= next_send:
            seq += 1
            try:
                s.sendto(struct.pack("!Id", seq, now), (addr, port))
            except OSError:
                pass
            next_send = now + interval
        r, _, _ = select.select([s], [], [], max(0, next_send - now))
        while r:
            try:
                data = s.recv(2048)
            except BlockingIOError:
                break
            except OSError:
                continue
            if len(data) == 12:
                n, sent = struct.unpack("!Id", data)
                log.write(f"{n} {sent:.6f} {time.time():.6f}\n")


def options(argv, known):
    """The --KEY VALUE pairs of argv, KEY one of known; the rest in "args"."""
    opts, rest = {}, []
    while argv:
        a = argv.pop(0)
        if not a.startswith("--"):
            rest.append(a)
        elif a[2:] in known and argv:
            opts[a[2:]] = argv.pop(0)
        else:
            sys.exit(f"storm_traffic: bad option {a}\n{__doc__}")
    opts["args"] = rest
    return opts


def main(argv):
    cmd = argv.pop(0) if argv else ""
    if cmd == "blast":
        o = options(argv, ("active", "stats", "interval"))
        if "active" not in o or "stats" not in o or not o["args"]:
            sys.exit(__doc__)
        run_blast(o["active"], o["stats"], float(o.get("interval", 0.02)),
                  o["args"])
    elif cmd == "echo-server":
        o = options(argv, ("bind", "port"))
        run_echo_server(o["bind"], int(o["port"]))
    elif cmd == "echo-stream":
        o = options(argv, ("to", "port", "log", "interval"))
        run_echo_stream(o["to"], int(o["port"]), o["log"],
                        float(o.get("interval", 0.05)))
    else:
        sys.exit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
