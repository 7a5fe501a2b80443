#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed corpora of the fuzz targets (tools/fuzz/corpus/) from
the byte layouts of protocol.md §2 and typical command lines.  Run it
after changing a seed here; `make fuzz` adds what it finds in build/."""
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def v6(s):
    return ipaddress.IPv6Address(s).packed


def v4(s):
    return ipaddress.IPv4Address(s).packed


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def icmp6(src, dst, body):
    """body with its checksum (bytes 2-3) filled in."""
    pseudo = src + dst + struct.pack("!I3xB", len(body), 58)
    c = csum(pseudo + body[:2] + b"\0\0" + body[4:])
    return body[:2] + struct.pack("!H", c) + body[4:]


def ip6(src, dst, nxt, payload, hlim=255):
    return struct.pack("!IHBB", 0x60000000, len(payload), nxt, hlim) + \
        src + dst + payload


NONCE = bytes.fromhex("0123456789abcdef")
AUTH = b"\x00\x01\x00\x00" + NONCE + b"\x00"
RS_SRC = v6("fe80::ffff:ffff:ffff")
ALL_ROUTERS = v6("ff02::2")
SERVER = "198.18.0.1"
SERVER_LL = v6("fe80::8000:f227:39ed:fffe")


def origin(ip, port):
    return b"\x00\x00" + struct.pack("!H", port ^ 0xffff) + \
        bytes(b ^ 0xff for b in v4(ip))


def rs():
    body = icmp6(RS_SRC, ALL_ROUTERS, bytes([133, 0, 0, 0, 0, 0, 0, 0]))
    return AUTH + ip6(RS_SRC, ALL_ROUTERS, 58, body)


def ra(prefix_server=SERVER, mtu=1280, nonce=NONCE, prefixes=1,
       plen=64, hlim=255):
    body = bytes([134, 0, 0, 0, 0, 0]) + struct.pack("!HII", 0, 0, 2000)
    prefix = v6("2001:0:%s::" % ipaddress.IPv6Address(
        b"\0" * 12 + v4(prefix_server)).exploded[-9:])
    for _ in range(prefixes):
        body += bytes([3, 4, plen, 0x40]) + \
            struct.pack("!III", 0xffffffff, 0xffffffff, 0) + prefix
    if mtu is not None:
        body += bytes([5, 1, 0, 0]) + struct.pack("!I", mtu)
    body = icmp6(SERVER_LL, RS_SRC, body)
    auth = b"\x00\x01\x00\x00" + nonce + b"\x00"
    return auth + origin("198.18.0.10", 40000) + \
        ip6(SERVER_LL, RS_SRC, 58, body, hlim)


TEREDO_A = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2")
TEREDO_B = v6("2001:0:c612:1:3065:63bf:39ed:fff5")
BUBBLE = ip6(TEREDO_A, TEREDO_B, 59, b"", hlim=0)


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def words(*w):
    return b"\0".join(x.encode() for x in w)


def nla(t, payload):
    """A netlink attribute, padded to 4 bytes."""
    a = struct.pack("=HH", 4 + len(payload), t) + payload
    return a + b"\0" * (-len(a) % 4)


def nlmsg(mtype, payload):
    return struct.pack("=IHHII", 16 + len(payload), mtype, 0, 1, 0) + payload


def link_msg():
    """RTM_NEWLINK for a teredo link (uapi/linux/if_teredo.h numbers)."""
    ifi = struct.pack("=BxHiII", 0, 0xffff, 7, 0x1043, 0)
    data = nla(1, b"\1") + nla(2, v4("192.0.2.1")) + nla(4, v4("0.0.0.0")) + \
        nla(6, struct.pack("!H", 3544)) + nla(7, struct.pack("=I", 30)) + \
        nla(8, struct.pack("=I", 1024)) + nla(9, b"\x40")
    info = nla(1, b"teredo\0") + nla(0x8002, data)
    return nlmsg(16, ifi + nla(3, b"tr0\0") + nla(0x8000 | 18, info))


def genl(cmd, attrs):
    return nlmsg(0x20, struct.pack("=BBH", cmd, 1, 0) + attrs)


def dev_msg():
    stats = b"".join(nla(i, struct.pack("=Q", i * 1000)) for i in range(1, 17))
    return genl(1, nla(1, struct.pack("=I", 7)) + nla(2, b"tr0\0") +
                nla(3, b"\1") + nla(4, struct.pack("=I", 3)) +
                nla(0x8005, stats))


def peer_msg():
    peer = nla(1, TEREDO_A) + nla(2, v4("192.0.2.45")) + \
        nla(3, struct.pack("!H", 40000)) + nla(4, b"\1") + \
        nla(5, struct.pack("=I", 1500)) + nla(6, struct.pack("=I", 0xffffffff)) + \
        nla(7, struct.pack("=I", 2)) + nla(8, struct.pack("=I", 0)) + \
        b"".join(nla(i, struct.pack("=Q", i << 20)) for i in range(9, 13))
    return genl(2, nla(1, struct.pack("=I", 7)) + nla(0x8006, peer))


def main():
    # kernel/proto.h: whole UDP payloads as the receive path sees them.
    write("proto", "rs", rs())
    write("proto", "ra", ra())
    write("proto", "bubble", BUBBLE)
    write("proto", "bubble-relayed", origin("192.0.2.45", 40000) + BUBBLE)
    write("proto", "origin-rfc", bytes.fromhex("0000feaefefdfcfb"))
    write("proto", "auth-id-au", b"\x00\x01\x02\x03" + b"id" + b"auv" +
          NONCE + b"\x01" + BUBBLE)
    # RFC 6081 §4 trailers: a nonce and an alternate address (Windows'
    # indirect bubble), then one whose type asks to discard.
    write("proto", "bubble-trailers", BUBBLE + bytes.fromhex(
        "0104a1b2c3d4" "030e0000c0000221ea60c0a80102ea61"))
    write("proto", "bubble-trailer-discard", BUBBLE + bytes.fromhex(
        "0104a1b2c3d4" "4102abcd"))
    # §4.4, §5.7: a server load reduction solicitation and the
    # advertisement that answers it; one of an unknown DiscoveryType.
    write("proto", "bubble-nd-solicit", BUBBLE + bytes.fromhex(
        "040400000000"))
    write("proto", "bubble-nd-advert", BUBBLE + bytes.fromhex(
        "040401000000" "0104a1b2c3d4"))
    write("proto", "bubble-nd-unknown", BUBBLE + bytes.fromhex(
        "040402000000"))
    write("proto", "ipv6-udp", ip6(TEREDO_B, TEREDO_A, 17,
                                    struct.pack("!HHHH", 1, 2, 12, 0) +
                                    b"data", hlim=64))
    # teredod's ra_parse(): first byte = control (bit 0: fix the ICMPv6
    # checksum up), then the UDP payload.
    write("ra", "ra", b"\x00" + ra())
    write("ra", "ra-no-mtu", b"\x00" + ra(mtu=None))
    write("ra", "ra-two-prefixes", b"\x00" + ra(prefixes=2))
    write("ra", "ra-prefix-48", b"\x01" + ra(plen=48))
    write("ra", "ra-wrong-server", b"\x01" + ra(prefix_server="192.0.2.1"))
    write("ra", "ra-mtu-small", b"\x01" + ra(mtu=1000))
    write("ra", "ra-hlim", b"\x01" + ra(hlim=64))
    write("ra", "rs", b"\x00" + rs())
    # teredod's pcp.c: answers to a MAP request (nonce 01..0c, UDP 40001).
    pcp_nonce = bytes(range(1, 13))
    def pcp_answer(result=0, addr=b"\0" * 10 + b"\xff\xff" + v4("198.18.0.40")):
        return (bytes([2, 0x81, 0, result]) + struct.pack("!II", 3600, 256) +
                bytes(12) + pcp_nonce + bytes([17, 0, 0, 0]) +
                struct.pack("!HH", 40001, 40001) + addr)
    write("pcp", "success", pcp_answer())
    write("pcp", "not-authorized", pcp_answer(result=2))
    write("pcp", "ipv6-external", pcp_answer(addr=v6("2001:db8::1")))
    write("pcp", "natpmp-answer", bytes([0, 0x81, 0, 1]) + bytes(4))
    # link_teredo.so's parse_opt(): the words after "type teredo".
    write("iproute2", "client", words("server", "192.0.2.1", "server2",
                                      "192.0.2.2", "refresh", "30"))
    write("iproute2", "relay", words("mode", "relay", "local", "192.0.2.7",
                                     "port", "3544", "max-peers", "1024",
                                     "ttl", "64"))
    write("iproute2", "server", words("mode", "server", "local",
                                      "198.18.0.1", "local2", "198.18.0.2"))
    write("iproute2", "hostname", words("server", "teredo.example",
                                        "port", "0"))
    write("iproute2", "bad", words("port", "-1", "bogus", "refresh"))
    write("iproute2", "help", words("help"))
    write("iproute2", "print-raw", b"\xff" + nla(1, b"\x07") +
          nla(2, v4("192.0.2.1")) + nla(6, b"\x0d") + nla(7, b"") +
          nla(8, struct.pack("=I", 4096)) + nla(9, b"\x40") +
          nla(31, b"future"))
    # teredoctl's command line (argv[0] included); byte 0 = stub mode.
    write("teredoctl", "show", b"\x00" + words("teredoctl", "show"))
    write("teredoctl", "show-json", b"\x00" + words("teredoctl", "-j",
                                                     "show", "tr0"))
    write("teredoctl", "peers", b"\x01" + words("teredoctl", "--json",
                                                 "peers", "tr0"))
    write("teredoctl", "flush", b"\x00" + words("teredoctl", "peers",
                                                 "flush", "tr0"))
    write("teredoctl", "peer-del", b"\x02" + words(
        "teredoctl", "peer", "del", "tr0", "2001:0:4136:e378::1"))
    write("teredoctl", "version", b"\x00" + words("teredoctl", "-V"))
    write("teredoctl", "help", b"\x00" + words("teredoctl", "help"))
    write("teredoctl", "monitor", b"\x00" + words("teredoctl", "monitor"))
    write("teredoctl", "monitor-json", b"\x00" + words("teredoctl", "-j",
                                                      "monitor", "t0"))
    # teredoctl's reply parsers: byte 0 = 0 link, 1 dev, 2 peer.
    write("nl", "link", b"\x00" + link_msg())
    write("nl", "dev", b"\x01" + dev_msg())
    write("nl", "peer", b"\x02" + peer_msg())
    write("nl", "link-not-teredo", b"\x00" + nlmsg(16, struct.pack(
        "=BxHiII", 0, 1, 1, 0x49, 0) + nla(3, b"lo\0")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
