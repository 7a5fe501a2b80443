#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Answer a relay's indirect bubble on behalf of a sit+fou Teredo client.

  responder.py --ifname DEV --bind IP:PORT [--seconds S]

The bench's client is the kernel's sit device over fou: it sends exactly
Teredo's packet shape, but a bubble the relay sends through the client's
server arrives behind an origin indication (RFC 4380 §5.1.1, payload
starting 00 00), which fou cannot parse and drops.  This program sniffs
those datagrams (AF_PACKET on DEV, classic BPF so that no other packet
reaches it) and answers each with a direct bubble from IP:PORT to the
origin, as a Teredo client does (§5.2.3): a 40-byte IPv6 header, payload
length 0, next header 59, source = the relayed packet's destination,
destination = its source.  The reply goes out through a raw IPv4 socket
(IP_HDRINCL) with its UDP checksum computed.

The AF_PACKET socket is bound to ETH_P_IP, not ETH_P_ALL: it sees only
received packets and adds no clone to the transmit path being measured.
Logs one line per answered bubble on stdout.
"""
import argparse
import ctypes
import ipaddress
import select
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "selftests"))
from teredo_peer import csum  # noqa: E402  (the Internet checksum)

ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
PACKET_OUTGOING = 4


def bpf_program(port):
    """IPv4, UDP, not a fragment, dport == port, payload[0:2] == 00 00."""
    # (code, jt, jf, k); offsets from the IPv4 header (SOCK_DGRAM).
    return [
        (0x30, 0, 0, 9),            # ldb [9]            protocol
        (0x15, 0, 8, 17),           # jeq #17, 2, drop
        (0x28, 0, 0, 6),            # ldh [6]            flags/fragment
        (0x45, 6, 0, 0x1fff),       # jset #0x1fff, drop
        (0xb1, 0, 0, 0),            # ldxb 4*([0]&0xf)
        (0x48, 0, 0, 2),            # ldh [x+2]          UDP dport
        (0x15, 0, 3, port),         # jeq #port, 7, drop
        (0x48, 0, 0, 8),            # ldh [x+8]          payload[0:2]
        (0x15, 0, 1, 0),            # jeq #0, accept, drop
        (0x06, 0, 0, 0xffff),       # accept
        (0x06, 0, 0, 0),            # drop
    ]


def attach_filter(sock, prog):
    insns = b"".join(struct.pack("HBBI", *i) for i in prog)
    buf = ctypes.create_string_buffer(insns)
    fprog = struct.pack("HL", len(prog), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    return buf     # must outlive the setsockopt; kept by the caller


def udp_ipv4(src, sport, dst, dport, payload):
    """An IPv4/UDP datagram with both checksums."""
    s = ipaddress.IPv4Address(src).packed
    d = ipaddress.IPv4Address(dst).packed
    ulen = 8 + len(payload)
    pseudo = s + d + struct.pack("!BBH", 0, 17, ulen)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0, 64, 17, 0,
                     s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + udp


def bubble(src6, dst6):
    return struct.pack("!IHBB", 6 << 28, 0, 59, 0) + src6 + dst6


def parse(pkt, port):
    """Origin (ip, port) and the relayed IPv6 header, or None."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4 or pkt[9] != 17:
        return None
    ihl = (pkt[0] & 0x0f) * 4
    udp = pkt[ihl:]
    if len(udp) < 8 + 8 + 40:
        return None
    if struct.unpack("!H", udp[2:4])[0] != port:
        return None
    data = udp[8:]
    if data[:2] != b"\x00\x00":
        return None
    oport = struct.unpack("!H", data[2:4])[0] ^ 0xffff
    oip = str(ipaddress.IPv4Address(bytes(b ^ 0xff for b in data[4:8])))
    ip6 = data[8:48]
    if ip6[0] >> 4 != 6:
        return None
    return oip, oport, ip6


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--ifname", required=True)
    ap.add_argument("--bind", required=True, help="the client's IP:PORT")
    ap.add_argument("--seconds", type=float, default=3600)
    args = ap.parse_args()
    myip, myport = args.bind.rsplit(":", 1)
    myport = int(myport)

    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                          socket.htons(ETH_P_IP))
    keep = attach_filter(sniff, bpf_program(myport))
    sniff.bind((args.ifname, ETH_P_IP))
    # Whatever arrived before the filter was attached.
    sniff.setblocking(False)
    try:
        while sniff.recv(65535):
            pass
    except BlockingIOError:
        pass
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)

    print(f"responder-ready ifname={args.ifname} bind={args.bind}",
          flush=True)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        r, _, _ = select.select([sniff], [], [], 0.5)
        if not r:
            continue
        try:
            pkt, addr = sniff.recvfrom(65535)
        except BlockingIOError:
            continue
        if addr[2] == PACKET_OUTGOING:
            continue
        got = parse(pkt, myport)
        if not got:
            continue
        oip, oport, ip6 = got
        src6, dst6 = ip6[8:24], ip6[24:40]
        reply = udp_ipv4(myip, myport, oip, oport, bubble(dst6, src6))
        raw.sendto(reply, (oip, 0))
        print(f"bubble to={oip}:{oport} src6={ipaddress.IPv6Address(dst6)}"
              f" dst6={ipaddress.IPv6Address(src6)}", flush=True)
    del keep
    return 0


if __name__ == "__main__":
    sys.exit(main())
