#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A scriptable Teredo endpoint for the selftests (RFC 4380 wire formats).

  teredo_peer.py addr SERVER IP PORT
      print the Teredo address of a client mapped at IP:PORT (flags 0)
  teredo_peer.py server --bind IP [--seconds S]
      a minimal Teredo server on IP:3544: forwards bubbles and ICMPv6
      addressed to its own clients to their mapping, behind an origin
      indication of the sender (RFC 4380 5.3.1); logs one line per packet
  teredo_peer.py client --bind IP:PORT --server IP [--seconds S]
      a qualified client at IP:PORT: answers a server-relayed packet with a
      direct bubble to the origin (as Miredo does), answers echo requests
  teredo_peer.py send --bind IP:PORT --to IP:PORT KIND [options]
      send one crafted datagram; KIND is bubble, echo or hex:PAYLOAD;
      --raw-src IP:PORT sends it from a raw socket with that (spoofed)
      outer source instead; KIND echo-reply carries --data HEX after its
      ICMPv6 header (identifier, sequence, payload); --suffix HEX appends bytes after the IPv6
      packet (RFC 6081 trailers); KIND also rs (a Router Solicitation, from
      --src6 or fe80::ffff:ffff:ffff to ff02::2) and ra (a Router
      Advertisement from --src6 to --dst6)
  teredo_peer.py flood KIND --to IP:PORT --count N [options]
      N spoofed datagrams from one raw socket, built before the first is
      sent: KIND bubble or echo from Teredo sources that embed their
      outer source, native (echo from a native source through a spoofed
      relay), oi-bubble (a server's relayed bubble with --oi as origin),
      rs (Router Solicitations), or teredo-dsts (IPv6 from this host to
      N Teredo destinations whose server is --server); --sources S
      distinct outer sources from --src-net, --src-port; --seconds T
      repeats the set for T seconds, --rate caps packets per second,
      --go FILE says "flood-ready" and waits for FILE before sending;
      prints "flood kind=K sent=N bytes=B requested=R errors=E
      elapsed=T" (bytes of IPv4 datagrams, or of IPv6 packets for
      teredo-dsts; R: --count times the passes --seconds made, E: sends
      that failed, R = N + E)
  teredo_peer.py serve
      read commands (the arguments of send or flood) from stdin, one per
      line, and run them: one process for a whole test; each answers
      one line ("sent ...", "flood ...", or "error ...").  Two more read
      counters in other network namespaces without a process each:
        pause SECONDS       sleep, then answer "pause"
        nlraw NETNS ARGS... nlraw.py ARGS in the netns at path NETNS,
                            "nlraw rc=N"; the sockets it hands over
                            (fd=...) stay open while this runs
        spawn FILE NETNS flood|client|server ...
                            that in a child process, in the netns at
                            path NETNS ("-": this one), its output in
                            FILE; answers "spawned pid=N" at once
        netns NAME PATH     open netlink sockets in the netns at PATH
        stats NAME DEV LINK "stats k=v ...": DEV's teredo counters (the
                            names teredoctl shows), peers, rx_packets
                            and rx_dropped, and wire_out: the packets
                            LINK sent
  teredo_peer.py rs --bind IP:PORT --to IP [--no-auth] [--cone] ...
      send Router Solicitations as a client qualifying does, print one
      "ra ..." line per answer with its bytes compared with the RA that
      RFC 4380 5.3.2 asks for (match=1), then "summary sent=N answered=M"
  teredo_peer.py randport --bind IP:PORT --random-port R --server IP
                 --peer6 ADDR --to IP:PORT [--type 5|2] [--go FILE]
      a Windows client behind a port-preserving symmetric NAT (RFC 6081
      5.4) with no NAT: an indirect bubble to ADDR from IP:PORT with a
      Random Port trailer for R; once a bubble reaches IP:R (and FILE
      exists), a direct bubble and 3 echo requests from IP:R to IP:PORT
      of --to (learn: to where that bubble came from); echo requests
      answered from IP:R; "rp-..." events
  teredo_peer.py pcap FILE
      one line per IPv4/UDP packet of a capture (Ethernet or raw IP):
      "time src:port dst:port payload-length src6 dst6 kind ttl df tos",
      where kind is bubble, origin-bubble, data or other; with --bubbles
      one line about the bubbles per destination instead: "bubbles
      dests=D most=M four=F mingap=SECONDS span=SECONDS median=SECONDS"
      (the gaps between two bubbles to one destination: the closest,
      the median); --checksums adds two columns, the outer UDP and the
      inner TCP/UDP checksum: ok, bad or "-" (none, or no TCP/UDP inside)
Events go to stdout as "event key=value ..." lines, flushed at once.
"""
import argparse
import ctypes
import ipaddress
import itertools
import os
import re
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wire import (TEREDO_PORT, bubble, csum, icmp6, ipv6,  # noqa: E402
                  teredo_addr)


def log(event, **kw):
    print(event, " ".join(f"{k}={v}" for k, v in kw.items()), flush=True)


def parse_teredo(a):
    server = str(ipaddress.IPv4Address(a[4:8]))
    port = struct.unpack("!H", a[10:12])[0] ^ 0xffff
    ip = str(ipaddress.IPv4Address(bytes(b ^ 0xff for b in a[12:16])))
    return server, ip, port


def origin(ip, port):
    return (b"\x00\x00" + struct.pack("!H", port ^ 0xffff) +
            bytes(b ^ 0xff for b in ipaddress.IPv4Address(ip).packed))


ALL_ROUTERS = ipaddress.IPv6Address("ff02::2").packed
# Miredo's RS sources: "Vista" (cone 0) and "XP" (cone 1, "TEREDO").
RS_SRC = ipaddress.IPv6Address("fe80::ffff:ffff:ffff").packed
RS_SRC_CONE = ipaddress.IPv6Address("fe80::8000:5445:5245:444f").packed


def auth(nonce):
    return b"\x00\x01\x00\x00" + nonce + b"\x00"


def server_link_local(server):
    """fe80::8000:f227:~server (RFC 4380 5.3.2)."""
    a = bytearray(teredo_addr(server, server, TEREDO_PORT, 0x8000))
    a[0:8] = b"\xfe\x80" + b"\x00" * 6
    return bytes(a)


def expected_ra(server, nonce, oi_ip, oi_port, dst, mtu):
    """The RA a server sends for an RS (RFC 4380 5.3.2; protocol.md 2.9)."""
    prefix = b"\x20\x01\x00\x00" + ipaddress.IPv4Address(server).packed
    body = struct.pack("!BBHII", 0, 0, 0, 0, 2000)
    pio = (struct.pack("!BBBBIII", 3, 4, 64, 0x40, 0xffffffff, 0xffffffff,
                       0) + prefix + b"\x00" * 8)
    mtuopt = struct.pack("!BBHI", 5, 1, 0, mtu)
    ra = icmp6(server_link_local(server), dst, 134, 0, body + pio + mtuopt,
               hlim=255)
    return (auth(nonce) if nonce else b"") + origin(oi_ip, oi_port) + ra


def split_hostport(s):
    host, port = s.rsplit(":", 1)
    return host, int(port)


def udp_socket(ip, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ip, port))
    return s


def strip_headers(data):
    """Return (origin (ip, port) or None, ipv6 bytes) or None if invalid."""
    oi = None
    if data[:2] == b"\x00\x01" and len(data) >= 13:
        data = data[13 + data[2] + data[3]:]
    if data[:2] == b"\x00\x00" and len(data) >= 8:
        port = struct.unpack("!H", data[2:4])[0] ^ 0xffff
        ip = str(ipaddress.IPv4Address(bytes(b ^ 0xff for b in data[4:8])))
        oi = (ip, port)
        data = data[8:]
    if len(data) < 40 or data[0] >> 4 != 6:
        return None
    return oi, data


def datagrams(sock, seconds):
    """Yield (payload, (ip, port)) received on sock for seconds."""
    for _, data, addr in datagrams_any({0: sock}, seconds):
        yield data, addr


def datagrams_any(socks, seconds):
    """Yield (key, payload, (ip, port)) received on any of the sockets of
    the dict socks for seconds."""
    end = time.time() + seconds
    by_fd = {sock.fileno(): key for key, sock in socks.items()}
    while time.time() < end:
        r, _, _ = select.select(list(socks.values()), [], [], 0.2)
        for sock in r:
            try:
                data, addr = sock.recvfrom(65535)
            except OSError:     # an ICMP error about an earlier datagram
                continue
            yield by_fd[sock.fileno()], data, addr


def run_server(args):
    sock = udp_socket(args.bind, TEREDO_PORT)
    me = ipaddress.IPv4Address(args.bind).packed
    log("server-ready", addr=args.bind)
    for data, (sip, sport) in datagrams(sock, args.seconds):
        parsed = strip_headers(data)
        if not parsed:
            log("server-drop", src=f"{sip}:{sport}", why="invalid")
            continue
        _, pkt = parsed
        dst = pkt[24:40]
        if dst[:4] != b"\x20\x01\x00\x00" or dst[4:8] != me:
            log("server-drop", src=f"{sip}:{sport}", why="not-ours")
            continue
        _, cip, cport = parse_teredo(dst)
        try:
            sock.sendto(origin(sip, sport) + pkt, (cip, cport))
        except OSError as e:    # a client nobody can reach: as a server
            log("server-drop", to=f"{cip}:{cport}", why=e.strerror)
            continue
        log("server-forward", src=f"{sip}:{sport}", to=f"{cip}:{cport}",
            len=len(pkt), bubble=int(pkt[6] == 59 and pkt[4:6] == b"\0\0"))


def run_client(args):
    """A client that answers as Miredo's does.  --reply-from plays a
    symmetric NAT: the address embeds --bind (what the server saw), and
    everything the client sends goes out from another mapping."""
    ip, port = split_hostport(args.bind)
    socks = {"bind": udp_socket(ip, port)}
    if args.reply_from:
        socks["reply"] = udp_socket(*split_hostport(args.reply_from))
    out = socks.get("reply", socks["bind"])
    me = teredo_addr(args.server, ip, port)
    log("client-ready", addr=ipaddress.IPv6Address(me), bind=args.bind)
    for key, data, (sip, sport) in datagrams_any(socks, args.seconds):
        parsed = strip_headers(data)
        if not parsed:
            log("client-drop", src=f"{sip}:{sport}", len=len(data))
            continue
        oi, pkt = parsed
        src, dst = pkt[8:24], pkt[24:40]
        plen = struct.unpack("!H", pkt[4:6])[0]
        is_bubble = pkt[6] == 59 and plen == 0
        log("client-rx", src=f"{sip}:{sport}", len=len(data),
            bubble=int(is_bubble), origin=f"{oi[0]}:{oi[1]}" if oi else "-",
            src6=ipaddress.IPv6Address(src), on=key)
        if oi:
            # As Miredo: a relayed packet gets a direct bubble to its origin.
            out.sendto(bubble(dst, src), oi)
            log("client-bubble", to=f"{oi[0]}:{oi[1]}",
                dst6=ipaddress.IPv6Address(src))
            continue
        if pkt[6] == 58 and plen >= 8 and pkt[40] == 128:
            body = pkt[44:40 + plen]
            out.sendto(icmp6(me, src, 129, 0, body), (sip, sport))
            log("client-echo-reply", to=f"{sip}:{sport}")


def raw_udp(src, to, payload):
    """IPv4/UDP with a chosen source, UDP checksum 0 (allowed in IPv4)."""
    sip, sport = src
    ulen = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0,
                     ipaddress.IPv4Address(sip).packed,
                     ipaddress.IPv4Address(to[0]).packed)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + struct.pack("!HHHH", sport, to[1], ulen, 0) + payload


RAW = []     # one raw socket per process, made on first use


def raw_socket():
    if not RAW:
        RAW.append(socket.socket(socket.AF_INET, socket.SOCK_RAW,
                                 socket.IPPROTO_RAW))
    return RAW[0]


def run_send(args):
    if args.raw_src:
        ip, port = split_hostport(args.raw_src)
    else:
        ip, port = split_hostport(args.bind)
    to = split_hostport(args.to)
    me = teredo_addr(args.server, ip, port)
    src = ipaddress.IPv6Address(args.src6).packed if args.src6 else me
    dst = ipaddress.IPv6Address(args.dst6).packed
    if args.kind == "bubble":
        pkt = bubble(src, dst)
    elif args.kind == "echo":
        pkt = icmp6(src, dst, 128, 0, struct.pack("!HH", 1, 1) +
                    b"x" * args.size)
    elif args.kind == "rs":
        pkt = icmp6(ipaddress.IPv6Address(args.src6).packed if args.src6
                    else RS_SRC, ALL_ROUTERS, 133, 0, bytes(4), hlim=255)
    elif args.kind == "echo-reply":
        # --data: identifier, sequence and payload (an echo test's nonce);
        # given more than once, one reply each, in order.
        pkts = [icmp6(src, dst, 129, 0, bytes.fromhex(d))
                for d in args.data or ["00000000"]]
        pkt = pkts.pop()
    elif args.kind == "ra":
        # Hop limit, flags, lifetime 0, reachable, retrans: no options.
        pkt = icmp6(src, dst, 134, 0, bytes(12), hlim=255)
    else:
        pkt = bytes.fromhex(args.kind.split(":", 1)[1])
    if args.hlim is not None:
        pkt = pkt[:7] + bytes([args.hlim]) + pkt[8:]
    if args.version is not None:
        pkt = bytes([(args.version << 4) | (pkt[0] & 0x0f)]) + pkt[1:]
    if args.plen is not None:
        pkt = pkt[:4] + struct.pack("!H", args.plen) + pkt[6:]
    if args.nxt is not None:
        pkt = pkt[:6] + bytes([args.nxt]) + pkt[7:]
    if args.prefix:
        pkt = bytes.fromhex(args.prefix) + pkt
    if args.truncate is not None:
        pkt = pkt[:args.truncate]
    if args.suffix:
        pkt += bytes.fromhex(args.suffix)   # RFC 6081 trailers, or junk
    first = pkts if args.kind == "echo-reply" else []
    if args.raw_src:
        sock = raw_socket()
        for p in first:
            sock.sendto(raw_udp((ip, port), to, p), (to[0], 0))
        for _ in range(args.count):
            sock.sendto(raw_udp((ip, port), to, pkt), (to[0], 0))
    else:
        sock = udp_socket(ip, port)
        for p in first:
            sock.sendto(p, to)
        for _ in range(args.count):
            sock.sendto(pkt, to)
    log("sent", to=args.to, len=len(pkt), count=args.count)


def flood_sources(args):
    """(ip, port) of each of the --count datagrams: --sources of them."""
    base = int(ipaddress.IPv4Address(args.src_net))
    n = args.sources or args.count
    return [(str(ipaddress.IPv4Address(base + i % n)),
             args.src_port + i % 50000) for i in range(args.count)]


def flood_packets(args):
    """The datagrams of a flood, IPv4 with their outer source."""
    to = split_hostport(args.to)
    dst = ipaddress.IPv6Address(args.dst6).packed
    out = []
    for i, (ip, port) in enumerate(flood_sources(args)):
        src = teredo_addr(args.server, ip, port)
        if args.kind == "bubble":
            payload = bubble(src, dst)
        elif args.kind == "echo":
            payload = icmp6(src, dst, 128, 0, struct.pack("!HH", i, 1) +
                            b"x" * args.size)
        elif args.kind == "native":
            # A different native host behind each spoofed relay.
            src = (ipaddress.IPv6Address("2001:db8:f000::").packed[:12] +
                   struct.pack("!I", i + 1))
            payload = icmp6(src, dst, 128, 0, struct.pack("!HH", i, 1) +
                            b"x" * args.size)
        elif args.kind == "oi-bubble":
            oip, oport = split_hostport(args.oi)
            ll = b"\xfe\x80" + bytes(10) + struct.pack("!I", i + 1)
            payload = origin(oip, oport) + bubble(ll, dst)
        elif args.kind == "rs":
            nonce = struct.pack("!II", 0x464c4f4f, i)
            payload = auth(nonce) + icmp6(RS_SRC, ALL_ROUTERS, 133, 0,
                                          bytes(4), hlim=255)
        else:
            raise ValueError(f"unknown flood kind {args.kind}")
        if args.raw_src:
            ip, port = split_hostport(args.raw_src)
        out.append(raw_udp((ip, port), to, payload))
    return out


def flood_teredo_dsts(args):
    """IPv6 datagrams from this host to --count Teredo destinations."""
    payload = b"x" * args.size
    out = []
    for ip, port in flood_sources(args):
        a = ipaddress.IPv6Address(teredo_addr(args.server, ip, port))
        out.append((payload, (str(a), 9)))
    return out


def run_flood(args):
    if args.kind == "teredo-dsts":
        sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        pkts = flood_teredo_dsts(args)
        size = 40 + 8 + args.size
    else:
        sock = raw_socket()
        pkts = [(p, (args.to.rsplit(":", 1)[0], 0))
                for p in flood_packets(args)]
        size = None
    if args.go:
        # Built: wait for the word, so that floods and streams overlap.
        log("flood-ready", kind=args.kind)
        while not os.path.exists(args.go):
            time.sleep(0.05)
    gap = 1.0 / args.rate if args.rate else 0
    sent = nbytes = errors = passes = 0
    start = time.time()
    end = start + args.seconds
    while True:
        for p, to in pkts:
            try:
                sock.sendto(p, to)
            except OSError:     # a full queue, or an ICMP error
                errors += 1     # reported: the checks need every one
                continue
            sent += 1
            nbytes += size or len(p)
            if gap:
                time.sleep(max(0.0, start + sent * gap - time.time()))
        passes += 1
        if time.time() >= end:
            break
    # requested: what it tried to send (--count per pass); the tests
    # compare their counters with the number they asked for and fail
    # on a flood whose sent is less.
    log("flood", kind=args.kind, sent=sent, bytes=nbytes,
        requested=passes * len(pkts), errors=errors,
        elapsed=f"{time.time() - start:.3f}")


# --- counters, read through netlink sockets opened in other netns

NLMSG = struct.Struct("=IHHII")
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2
RTM_NEWLINK, RTM_GETLINK, IFLA_IFNAME, IFLA_STATS64 = 16, 18, 3, 23
# uapi/linux/teredo_genl.h
TEREDO_CMD_DEV_GET, TEREDO_A_IFNAME, TEREDO_A_PEER_COUNT = 1, 2, 4
TEREDO_A_STATS = 5
SEQ = itertools.count(1)
UAPI = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                    "kernel", "uapi", "linux", "teredo_genl.h")


def stat_names():
    """enum teredo_stat's names as teredoctl shows them, by value."""
    with open(UAPI) as f:
        text = f.read()
    body = text[text.index("enum teredo_stat {"):]
    body = body[:body.index("};")]
    names = re.findall(r"^\s*TEREDO_STAT_(\w+)", body, re.M)
    return {i: n.lower() for i, n in enumerate(names)
            if i and not n.startswith("_")}


def nlattrs(buf):
    pos = 0
    while pos + 4 <= len(buf):
        alen, atype = struct.unpack_from("=HH", buf, pos)
        if alen < 4:
            break
        yield atype & 0x3fff, buf[pos + 4:pos + alen]
        pos += (alen + 3) & ~3


def nlattr(atype, payload):
    pad = b"\0" * (((len(payload) + 3) & ~3) - len(payload))
    return struct.pack("=HH", 4 + len(payload), atype) + payload + pad


def nl_request(sock, mtype, flags, payload):
    """One request; the payloads of its answers (a dump's, or a get's)."""
    seq = next(SEQ)
    sock.send(NLMSG.pack(NLMSG.size + len(payload), mtype,
                         NLM_F_REQUEST | flags, seq, 0) + payload)
    out = []
    while True:
        buf = sock.recv(1 << 20)
        pos = 0
        while pos + NLMSG.size <= len(buf):
            mlen, mtype, _, mseq, _ = NLMSG.unpack_from(buf, pos)
            body = buf[pos + NLMSG.size:pos + mlen]
            pos += (max(mlen, NLMSG.size) + 3) & ~3
            if mseq != seq:
                continue
            if mtype == 2:          # NLMSG_ERROR: the ack, or an error
                err = struct.unpack_from("=i", body)[0]
                if err:
                    raise OSError(-err, os.strerror(-err))
                return out
            if mtype == 3:          # NLMSG_DONE
                return out
            out.append(body)


def setns(path):
    """Enter the network namespace at path (the process is single-threaded)."""
    libc = ctypes.CDLL(None, use_errno=True)
    with open(path) as f:
        if libc.setns(f.fileno(), 0x40000000):      # CLONE_NEWNET
            raise OSError(ctypes.get_errno(), f"setns {path}")


class NetnsCounters:
    """rtnetlink and teredo genl sockets of one netns."""

    def __init__(self, path):
        self.rt, self.ge = in_netns(path, lambda: (
            socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0),
            socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)))
        for sk in (self.rt, self.ge):
            sk.bind((0, 0))
        req = struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + nlattr(
            CTRL_ATTR_FAMILY_NAME, b"teredo\0")
        (msg,) = nl_request(self.ge, GENL_ID_CTRL, NLM_F_ACK, req)
        attrs = dict(nlattrs(msg[4:]))
        self.family = struct.unpack("=H", attrs[CTRL_ATTR_FAMILY_ID])[0]
        self.names = stat_names()

    def link(self, name):
        """(rx_packets, tx_packets, rx_dropped) of a link."""
        req = struct.pack("=BxHiII", 0, 0, 0, 0, 0) + nlattr(
            IFLA_IFNAME, name.encode() + b"\0")
        (msg,) = nl_request(self.rt, RTM_GETLINK, NLM_F_ACK, req)
        attrs = dict(nlattrs(msg[16:]))
        st = struct.unpack_from("=8Q", attrs[IFLA_STATS64])
        return st[0], st[1], st[6]

    def stats(self, dev, link):
        out = {}
        req = struct.pack("=BBH", TEREDO_CMD_DEV_GET, 1, 0)
        for msg in nl_request(self.ge, self.family, NLM_F_DUMP, req):
            attrs = dict(nlattrs(msg[4:]))
            if attrs.get(TEREDO_A_IFNAME, b"").rstrip(b"\0") != dev.encode():
                continue
            for t, v in nlattrs(attrs.get(TEREDO_A_STATS, b"")):
                if t in self.names and len(v) == 8:
                    out[self.names[t]] = struct.unpack("=Q", v)[0]
            out["peers"] = struct.unpack("=I", attrs[TEREDO_A_PEER_COUNT])[0]
        if not out:
            raise OSError(19, f"no teredo device {dev}")
        out["rx_packets"], _, out["rx_dropped"] = self.link(dev)
        out["wire_out"] = self.link(link)[1]
        return out


def in_netns(path, fn, *args):
    """fn(*args) in the netns at path; sockets it opens stay there."""
    with open("/proc/self/ns/net") as home:
        back = os.dup(home.fileno())
    try:
        setns(path)
        return fn(*args)
    finally:
        setns(f"/proc/self/fd/{back}")
        os.close(back)


def run_nlraw(argv):
    """nlraw.py's main(); the sockets it hands the kernel stay open in
    this process, as a helper's do."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import nlraw       # pylint: disable=import-outside-toplevel
    try:
        return nlraw.main(list(argv))
    except nlraw.UsageError as e:
        print(f"nlraw: {e}", file=sys.stderr)
        return 2


def spawn(ap, out, netns, words):
    """Run a flood, client or server in a child (a fork costs nothing next
    to a start), in the netns at path netns ("-": ours), its lines into
    the file out."""
    args = ap.parse_args(words)
    run = {"flood": run_flood, "client": run_client, "server": run_server}
    if args.cmd not in run:
        raise ValueError(f"{args.cmd} is not spawned")
    pid = os.fork()
    if pid:
        log("spawned", pid=pid)
        return
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        if netns != "-":
            setns(netns)
        RAW.clear()     # the parent's socket is in the parent's netns
        run[args.cmd](args)
    except (ValueError, OSError) as e:
        log("error", why=repr(e).replace(" ", "_"))
    finally:
        os._exit(0)


def run_serve(ap):
    # Spawned floods end on their own: nobody waits for them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    netns = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        try:
            if words[0] == "netns" and len(words) == 3:
                netns[words[1]] = NetnsCounters(words[2])
                log("netns", name=words[1])
                continue
            if words[0] == "pause" and len(words) == 2:
                time.sleep(float(words[1]))
                log("pause")
                continue
            if words[0] == "stats" and len(words) == 4:
                st = netns[words[1]].stats(words[2], words[3])
                log("stats", **st)
                continue
            if words[0] == "nlraw" and len(words) > 2:
                log("nlraw", rc=in_netns(words[1], run_nlraw, words[2:]))
                continue
            if words[0] == "spawn" and len(words) > 3:
                spawn(ap, words[1], words[2], words[3:])
                continue
            args = ap.parse_args(words)
            if args.cmd in SERVED:
                RUNNERS[args.cmd](args)
            else:
                log("error", why=f"{args.cmd}-not-served")
        except (SystemExit, ValueError, OSError, KeyError) as e:
            log("error", why=repr(e).replace(" ", "_"))


def run_rs(args):
    """RS from one source, or from each of a comma-separated --bind list in
    its order (a source may repeat: its second RS uses the same socket),
    --count per source; answers are summed per source."""
    binds = args.bind.split(",")
    socks = {}
    for b in binds:
        if b not in socks:
            socks[b] = udp_socket(*split_hostport(b))
    src = RS_SRC_CONE if args.cone else RS_SRC
    nonces = {}
    start = time.time()
    n = 0
    for b in binds:
        for _ in range(args.count):
            n += 1
            nonce = None if args.no_auth else struct.pack("!II", 0x5445, n)
            rs = icmp6(src, ALL_ROUTERS, 133, 0, b"\x00" * 4, hlim=args.hlim)
            socks[b].sendto((auth(nonce) if nonce else b"") + rs,
                            (args.to, TEREDO_PORT))
            nonces[nonce] = 1
            if args.interval:
                time.sleep(args.interval)
    elapsed = time.time() - start
    answered = 0
    per = dict.fromkeys(socks, 0)
    for b, data, (sip, sport) in datagrams_any(socks, args.wait):
        ip, port = split_hostport(b)
        oi_ip, oi_port = (split_hostport(args.origin) if args.origin
                          else (ip, port))
        nonce = data[4:12] if data[:2] == b"\x00\x01" else None
        want = expected_ra(args.server or args.to, nonce, oi_ip, oi_port,
                           src, args.mtu)
        match = int(data == want and nonce in nonces)
        answered += 1
        per[b] += match
        diff = next((i for i, (x, y) in enumerate(zip(data, want))
                     if x != y), min(len(data), len(want)))
        kw = dict(src=f"{sip}:{sport}", len=len(data),
                  auth=int(nonce is not None),
                  nonce=nonce.hex() if nonce else "-", match=match)
        if not match:
            kw.update(diff=diff, got=data.hex(), want=want.hex())
        log("ra", **kw)
    if len(socks) > 1:
        for b, k in per.items():
            log("source", bind=b, answered=k)
    log("summary", sent=n, answered=answered,
        elapsed=f"{elapsed:.3f}")


def pcap_packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:           # Ethernet
            if frame[12:14] != b"\x08\x00":
                continue
            frame = frame[14:]
        elif linktype == 113:       # Linux cooked (any)
            frame = frame[16:]
        yield ts, frame


def bubble_summary(path):
    """Bubbles in a capture, per IPv6 destination: how many there are,
    the most to one destination, how many got 4, the closest two to one
    destination, and the seconds from the first bubble to the last."""
    times = {}
    for ts, ip in pcap_packets(path):
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0f) * 4
        parsed = strip_headers(ip[ihl + 8:])
        if parsed and parsed[1][4:7] == b"\0\0\x3b":
            times.setdefault(parsed[1][24:40], []).append(ts)
    gaps = sorted(b - a for t in times.values() for a, b in zip(t, t[1:]))
    every = sorted(x for t in times.values() for x in t)
    log("bubbles", dests=len(times),
        most=max((len(t) for t in times.values()), default=0),
        four=sum(len(t) == 4 for t in times.values()),
        mingap=f"{gaps[0] if gaps else 999:.3f}",
        span=f"{every[-1] - every[0] if every else 0:.3f}",
        median=f"{gaps[len(gaps) // 2] if gaps else 999:.3f}")


def csum_ok(data):
    """Whether DATA (a pseudo-header and a segment with its checksum)
    sums to all ones, as a correct Internet checksum makes it."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return total == 0xffff


def checksums(ip, ihl, ulen, pkt):
    """'outer inner': each ok, bad or - for the outer UDP checksum and the
    checksum of the TCP or UDP segment inside the IPv6 packet PKT."""
    udp = ip[ihl:ihl + ulen]
    outer = "-"
    if struct.unpack("!H", udp[6:8])[0]:
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
        outer = "ok" if csum_ok(pseudo + udp) else "bad"
    inner = "-"
    if pkt and pkt[6] in (6, 17):
        plen = struct.unpack("!H", pkt[4:6])[0]
        pseudo = pkt[8:40] + struct.pack("!I3xB", plen, pkt[6])
        inner = "ok" if csum_ok(pseudo + pkt[40:40 + plen]) else "bad"
    return f"{outer} {inner}"


def run_pcap(args):
    if args.bubbles:
        bubble_summary(args.file)
        return
    for ts, ip in pcap_packets(args.file):
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0f) * 4
        src = str(ipaddress.IPv4Address(ip[12:16]))
        dst = str(ipaddress.IPv4Address(ip[16:20]))
        sport, dport, ulen = struct.unpack("!HHH", ip[ihl:ihl + 6])
        payload = ip[ihl + 8:ihl + ulen]
        parsed = strip_headers(payload)
        src6 = dst6 = "-"
        kind = "other"
        trailers = "-"
        pkt = None
        if parsed:
            oi, pkt = parsed
            src6 = ipaddress.IPv6Address(pkt[8:24])
            dst6 = ipaddress.IPv6Address(pkt[24:40])
            plen = struct.unpack("!H", pkt[4:6])[0]
            if plen == 0 and pkt[6] == 59:
                kind = "origin-bubble" if oi else "bubble"
            else:
                kind = "data"
            # RFC 6081 trailers: what follows the IPv6 packet, in hex.
            trailers = pkt[40 + plen:].hex() or "-"
        df = int(bool(ip[6] & 0x40))
        line = (f"{ts:.6f} {src}:{sport} {dst}:{dport} {len(payload)} "
                f"{src6} {dst6} {kind} {ip[8]} {df} {ip[1]}")
        if args.trailers:
            line += " " + trailers
        if args.checksums:
            line += " " + checksums(ip, ihl, ulen, pkt)
        print(line)


def run_randport(args):
    """A Windows client behind a port-preserving symmetric NAT (RFC 6081
    5.4), played with no NAT: its address embeds --bind, where its
    indirect bubble leaves from with a Random Port trailer (--type, 5 or
    2) for --random-port, a second socket on the same address; once a
    bubble reaches that port (the peer opened its NAT to it), and --go
    FILE exists if given, a direct bubble from there to --to (learn: to
    the source of that bubble), then 3 echo requests 0.5 s apart.  Echo
    requests are answered from the random port.  Until --seconds."""
    ip, port = split_hostport(args.bind)
    rport = args.random_port
    socks = {"bind": udp_socket(ip, port), "random": udp_socket(ip, rport)}
    by_fd = {sock.fileno(): key for key, sock in socks.items()}
    me = teredo_addr(args.server, ip, port)
    peer6 = ipaddress.IPv6Address(args.peer6).packed
    to = None if args.to == "learn" else split_hostport(args.to)
    trailer = struct.pack("!BBH", args.type, 2, rport)
    socks["bind"].sendto(bubble(me, peer6) + trailer,
                         (args.server, TEREDO_PORT))
    log("rp-indirect", addr=ipaddress.IPv6Address(me), trailer=trailer.hex())
    end = time.time() + args.seconds
    phase, seq, next_ping = "wait-bubble", 0, 0.0
    while time.time() < end:
        now = time.time()
        if phase == "wait-go" and (not args.go or os.path.exists(args.go)):
            socks["random"].sendto(bubble(me, peer6), to)
            log("rp-direct", to=f"{to[0]}:{to[1]}")
            phase, next_ping = "ping", now + 1
        if phase == "ping" and seq < 3 and now >= next_ping:
            seq += 1
            socks["random"].sendto(icmp6(me, peer6, 128, 0,
                                         struct.pack("!HH", 0x5254, seq) +
                                         b"x" * 8), to)
            log("rp-echo", seq=seq)
            next_ping = now + 0.5
        r, _, _ = select.select(list(socks.values()), [], [], 0.1)
        for sock in r:
            try:
                data, (sip, sport) = sock.recvfrom(65535)
            except OSError:
                continue
            key = by_fd[sock.fileno()]
            parsed = strip_headers(data)
            if not parsed:
                continue
            oi, pkt = parsed
            plen = struct.unpack("!H", pkt[4:6])[0]
            is_bubble = pkt[6] == 59 and plen == 0
            icmp = pkt[6] == 58 and plen >= 8 and len(pkt) >= 48
            log("rp-rx", on=key, src=f"{sip}:{sport}", len=len(data),
                bubble=int(is_bubble), icmp=pkt[40] if icmp else "-",
                src6=ipaddress.IPv6Address(pkt[8:24]))
            if is_bubble and key == "random" and phase == "wait-bubble":
                log("rp-bubble-at-random", src=f"{sip}:{sport}")
                to = to or (sip, sport)
                phase = "wait-go"
            if icmp and pkt[40] == 128:
                socks["random"].sendto(icmp6(me, pkt[8:24], 129, 0,
                                             pkt[44:40 + plen]),
                                       (sip, sport))
                log("rp-echo-reply", to=f"{sip}:{sport}")
            elif icmp and pkt[40] == 129:
                log("rp-echo-reply-rx", src=f"{sip}:{sport}", on=key,
                    seq=struct.unpack("!H", pkt[46:48])[0])


def run_addr(args):
    print(ipaddress.IPv6Address(teredo_addr(args.server, args.ip, args.port)))


RUNNERS = {"addr": run_addr, "server": run_server, "client": run_client,
           "send": run_send, "flood": run_flood, "rs": run_rs,
           "pcap": run_pcap, "randport": run_randport}
# What serve runs, one command a line; the others run for their lifetime.
SERVED = ("send", "flood", "pcap")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("addr")
    a.add_argument("server")
    a.add_argument("ip")
    a.add_argument("port", type=int)
    s = sub.add_parser("server")
    s.add_argument("--bind", required=True)
    s.add_argument("--seconds", type=float, default=30)
    c = sub.add_parser("client")
    c.add_argument("--bind", required=True)
    c.add_argument("--server", required=True)
    c.add_argument("--seconds", type=float, default=30)
    c.add_argument("--reply-from", help="IP:PORT: send from there "
                   "(a symmetric NAT's other mapping)")
    x = sub.add_parser("send")
    x.add_argument("kind")
    x.add_argument("--bind", default="0.0.0.0:0")
    x.add_argument("--to", required=True)
    x.add_argument("--server", default="198.18.0.1")
    x.add_argument("--src6")
    x.add_argument("--dst6", default="2001:db8:1::30")
    x.add_argument("--size", type=int, default=8)
    x.add_argument("--version", type=int)
    x.add_argument("--plen", type=int)
    x.add_argument("--prefix")
    x.add_argument("--truncate", type=int)
    x.add_argument("--suffix")
    x.add_argument("--data", action="append")
    x.add_argument("--count", type=int, default=1)
    x.add_argument("--raw-src")
    x.add_argument("--nxt", type=int)
    x.add_argument("--hlim", type=int)
    f = sub.add_parser("flood")
    f.add_argument("kind", choices=["bubble", "echo", "native", "oi-bubble",
                                    "rs", "teredo-dsts"])
    f.add_argument("--to", default="0.0.0.0:0")
    f.add_argument("--count", type=int, default=1)
    f.add_argument("--sources", type=int, default=0)
    f.add_argument("--src-net", default="198.19.0.1")
    f.add_argument("--src-port", type=int, default=1024)
    f.add_argument("--raw-src")
    f.add_argument("--server", default="198.18.0.1")
    f.add_argument("--dst6", default="2001:db8:1::30")
    f.add_argument("--oi", default="198.19.254.1:5555")
    f.add_argument("--size", type=int, default=8)
    f.add_argument("--seconds", type=float, default=0)
    f.add_argument("--rate", type=float, default=0)
    f.add_argument("--go")
    sub.add_parser("serve")
    r = sub.add_parser("rs")
    r.add_argument("--bind", required=True,
                   help="IP:PORT, or a comma-separated list sent in order")
    r.add_argument("--to", required=True)
    r.add_argument("--server", help="primary address (default: --to)")
    r.add_argument("--origin", help="expected origin (default: --bind)")
    r.add_argument("--no-auth", action="store_true")
    r.add_argument("--cone", action="store_true")
    r.add_argument("--count", type=int, default=1)
    r.add_argument("--interval", type=float, default=0)
    r.add_argument("--wait", type=float, default=1)
    r.add_argument("--mtu", type=int, default=1280)
    r.add_argument("--hlim", type=int, default=255)
    rp = sub.add_parser("randport")
    rp.add_argument("--bind", required=True)
    rp.add_argument("--random-port", type=int, required=True)
    rp.add_argument("--type", type=int, default=5)
    rp.add_argument("--server", required=True)
    rp.add_argument("--peer6", required=True)
    rp.add_argument("--to", required=True)
    rp.add_argument("--go")
    rp.add_argument("--seconds", type=float, default=30)
    pc = sub.add_parser("pcap")
    pc.add_argument("file")
    pc.add_argument("--bubbles", action="store_true")
    pc.add_argument("--trailers", action="store_true",
                    help="a last column: the bytes after the IPv6 packet")
    pc.add_argument("--checksums", action="store_true",
                    help="two last columns: the outer and inner checksums")
    args = ap.parse_args()
    if args.cmd == "serve":
        run_serve(ap)
    else:
        RUNNERS[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
