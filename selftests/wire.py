# SPDX-License-Identifier: GPL-2.0
"""Teredo wire formats shared by the selftests' Python tools
(teredo_peer.py, storm_traffic.py): Teredo addresses (RFC 4380 2.14),
IPv6 headers, bubbles, ICMPv6 and the Internet checksum.

It imports only socket and struct: under QEMU/TCG every module a tool
imports costs start-up time, and the storm starts its tools often.  The
tools run as python3 -I, which leaves their own directory out of
sys.path: each puts it back before importing this."""

import socket
import struct

TEREDO_PORT = 3544


def a4(text):
    return socket.inet_pton(socket.AF_INET, text)


def teredo_addr(server, ip, port, flags=0):
    """The Teredo address of a client of SERVER mapped at IP:PORT: the
    port and address obfuscated (xor 0xff), FLAGS as given."""
    return (b"\x20\x01\x00\x00" + a4(server) +
            struct.pack("!HH", flags, port ^ 0xffff) +
            bytes(b ^ 0xff for b in a4(ip)))


def csum(data):
    """RFC 1071: the one's complement of the one's complement sum."""
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv6(src, dst, nxt, payload, hlim=64, plen=None, version=6):
    """An IPv6 header in front of PAYLOAD; PLEN and VERSION may lie, for
    the malformed-packet tests."""
    if plen is None:
        plen = len(payload)
    return (struct.pack("!IHBB", version << 28, plen, nxt, hlim) +
            src + dst + payload)


def bubble(src, dst):
    """RFC 4380 2.8: an IPv6 header alone, no next header, hop limit 0."""
    return ipv6(src, dst, 59, b"", hlim=0)


def icmp6(src, dst, typ, code, body, hlim=64):
    """An ICMPv6 message, its checksum over the pseudo-header."""
    msg = struct.pack("!BBH", typ, code, 0) + body
    pseudo = src + dst + struct.pack("!I3xB", len(msg), 58)
    c = csum(pseudo + msg)
    return ipv6(src, dst, 58, msg[:2] + struct.pack("!H", c) + msg[4:],
                hlim=hlim)
