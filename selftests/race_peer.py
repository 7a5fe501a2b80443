#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The race lane's tools (teredo_race.sh), one command each:

  hammer SECONDS        generic netlink DEV_GET (dump and per device) and
                        PEER_GET dumps in a loop, as fast as they go, while
                        the caller deletes what they look at; prints
                        "hammer ops=N gone=N" (gone: the device went away
                        under the request, the answer a clean ENODEV)
  perm IFNAME           each command once: "dev_get=E peer_get=E
                        peer_del=E flush=E" (0 or the errno)
  afpacket IFNAME DST6 N  N IPv6/UDP packets to DST6 through an AF_PACKET
                        socket bound to IFNAME (the qdisc-less path that
                        holds rcu_read_lock_bh() only); prints "sent=N"
  tiny-flood SERVER N K  K IPv6/UDP packets of 64 bytes to each of N new
                        Teredo addresses of SERVER; prints "sent=N"
  rtnl-probe SECONDS IFNAME  RTNL operations (set IFNAME's MTU) back to
                        back; prints "rtnl ops=N max_ms=M" (the longest
                        any one waited)
  mcloop IFNAME IP:PORT  a stand-in teredod: binds IP:PORT, attaches the
                        socket to the client IFNAME, deletes the device
                        while it holds the socket; prints "before=B
                        attached=A after=F" (IP_MULTICAST_LOOP each time:
                        a socket the tunnel gives back is as it was)
  echo-replay SERVER CLIENT RELAY1 RELAY2  waits on SERVER:3544 for a
                        client's echo test, answers it from RELAY1, then
                        replays the same answer from RELAY2; prints
                        "replayed nonce=HEX"
"""

import errno
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nlraw import Request, talk  # noqa: E402
from teredo_peer import (nl_request, nlattr, nlattrs,  # noqa: E402
                         raw_socket, raw_udp)
from wire import icmp6, teredo_addr  # noqa: E402

NETLINK_GENERIC = 16
GENL_ID_CTRL = 16
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
TEREDO_CMD_DEV_GET, TEREDO_CMD_PEER_GET, TEREDO_CMD_PEER_DEL = 1, 2, 3
TEREDO_A_IFINDEX = 1
TEREDO_A_PEER = 6
TEREDO_PEER_A_ADDR = 1
RTM_NEWLINK, RTM_DELLINK = 16, 17
NLM_F_REQUEST = 0x1
IFLA_MTU = 4
IFLA_TEREDO_FD = 10


def genl():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    sock.bind((0, 0))
    req = struct.pack("=BBH", CTRL_CMD_GETFAMILY, 1, 0) + nlattr(
        CTRL_ATTR_FAMILY_NAME, b"teredo\0")
    (msg,) = nl_request(sock, GENL_ID_CTRL, NLM_F_ACK, req)
    fam = struct.unpack("=H", dict(nlattrs(msg[4:]))[CTRL_ATTR_FAMILY_ID])[0]
    return sock, fam


def cmd(sock, fam, c, flags, attrs=b""):
    return nl_request(sock, fam, flags, struct.pack("=BBH", c, 1, 0) + attrs)


def ifindex_attr(ifindex):
    return nlattr(TEREDO_A_IFINDEX, struct.pack("=I", ifindex))


def errno_of(fn):
    try:
        fn()
        return 0
    except OSError as e:
        return e.errno


def run_hammer(seconds):
    sock, fam = genl()
    ops = gone = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            devs = cmd(sock, fam, TEREDO_CMD_DEV_GET, NLM_F_DUMP)
        except OSError:
            gone += 1
            continue
        ops += 1
        for msg in devs:
            attrs = dict(nlattrs(msg[4:]))
            ifx = attrs.get(TEREDO_A_IFINDEX)
            if ifx is None:
                continue
            a = nlattr(TEREDO_A_IFINDEX, ifx)
            for c, flags in ((TEREDO_CMD_DEV_GET, NLM_F_ACK),
                             (TEREDO_CMD_PEER_GET, NLM_F_DUMP)):
                try:
                    cmd(sock, fam, c, flags, a)
                    ops += 1
                except OSError as e:
                    if e.errno != errno.ENODEV:
                        raise
                    gone += 1
    print(f"hammer ops={ops} gone={gone}", flush=True)


def run_perm(ifname):
    sock, fam = genl()
    a = ifindex_attr(socket.if_nametoindex(ifname))
    peer = nlattr(TEREDO_A_PEER | 0x8000,
                  nlattr(TEREDO_PEER_A_ADDR, bytes(15) + b"\1"))
    res = {
        "dev_get": errno_of(lambda: cmd(sock, fam, TEREDO_CMD_DEV_GET,
                                        NLM_F_ACK, a)),
        "peer_get": errno_of(lambda: cmd(sock, fam, TEREDO_CMD_PEER_GET,
                                         NLM_F_DUMP, a)),
        "peer_del": errno_of(lambda: cmd(sock, fam, TEREDO_CMD_PEER_DEL,
                                         NLM_F_ACK, a + peer)),
        "flush": errno_of(lambda: cmd(sock, fam, TEREDO_CMD_PEER_DEL,
                                      NLM_F_ACK, a)),
    }
    print(" ".join(f"{k}={v}" for k, v in res.items()), flush=True)


def run_afpacket(ifname, dst6, count):
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                         socket.htons(0x86dd))
    sock.bind((ifname, 0x86dd))
    src = socket.inet_pton(socket.AF_INET6, "2001:db8:1::30")
    dst = socket.inet_pton(socket.AF_INET6, dst6)
    # An echo request: any IPv6 packet to a Teredo address will do.
    pkt = icmp6(src, dst, 128, 0, struct.pack("!HH", 7, 1) + b"x" * 8)
    sent = 0
    for _ in range(count):
        sent += sock.sendto(pkt, (ifname, 0x86dd)) == len(pkt)
    print(f"sent={sent}", flush=True)


def run_tiny_flood(server, n, k):
    sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    dsts = []
    for i in range(n):
        ip = f"198.19.{4 + i // 250}.{1 + i % 250}"
        a = teredo_addr(server, ip, 4000 + i)
        dsts.append((socket.inet_ntop(socket.AF_INET6, a), 9))
    sent = 0
    for _ in range(k):
        for d in dsts:
            sent += sock.sendto(b"x" * 16, d) == 16
    print(f"sent={sent}", flush=True)


def run_rtnl_probe(seconds, ifname):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    sock.bind((0, 0))
    ifx = socket.if_nametoindex(ifname)
    ops, worst = 0, 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        mtu = 1400 + ops % 2
        req = struct.pack("=BxHiII", 0, 0, ifx, 0, 0) + nlattr(
            IFLA_MTU, struct.pack("=I", mtu))
        t0 = time.monotonic()
        nl_request(sock, RTM_NEWLINK, NLM_F_ACK, req)
        worst = max(worst, time.monotonic() - t0)
        ops += 1
    print(f"rtnl ops={ops} max_ms={worst * 1000:.0f}", flush=True)


def run_mcloop(ifname, bind):
    h, p = bind.split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((h, int(p)))

    def loop():
        return sock.getsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP)

    before = loop()
    fd = struct.pack("=i", sock.fileno())
    err = talk(Request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifname,
                       "teredo", [(IFLA_TEREDO_FD, fd, "fd")]))[0]
    if err:
        raise OSError(err, "attach")
    attached = loop()
    err = talk(Request(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, ifname))[0]
    if err:
        raise OSError(err, "delete")
    print(f"before={before} attached={attached} after={loop()}", flush=True)


def run_echo_replay(server, client, relay1, relay2):
    """The answer a relay near the native host would give, twice."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((server, 3544))
    print("replay-ready", flush=True)
    while True:
        data, frm = sock.recvfrom(2048)
        # IPv6 header, then ICMPv6 echo request (type 128).
        if len(data) >= 56 and data[0] >> 4 == 6 and data[6] == 58 and \
                data[40] == 128:
            break
    src, dst = data[8:24], data[24:40]
    body = data[44:40 + struct.unpack("!H", data[4:6])[0]]
    reply = icmp6(dst, src, 129, 0, body)
    h, p = client.split(":")
    to = (h, int(p))
    for relay in (relay1, relay2):
        rh, rp = relay.split(":")
        raw_socket().sendto(raw_udp((rh, int(rp)), to, reply), (h, 0))
        time.sleep(1)
    print(f"replayed nonce={body[4:12].hex()}", flush=True)


def main(argv):
    if argv[:1] == ["hammer"]:
        run_hammer(float(argv[1]))
    elif argv[:1] == ["perm"]:
        run_perm(argv[1])
    elif argv[:1] == ["afpacket"]:
        run_afpacket(argv[1], argv[2], int(argv[3]))
    elif argv[:1] == ["tiny-flood"]:
        run_tiny_flood(argv[1], int(argv[2]), int(argv[3]))
    elif argv[:1] == ["rtnl-probe"]:
        run_rtnl_probe(float(argv[1]), argv[2])
    elif argv[:1] == ["mcloop"]:
        run_mcloop(argv[1], argv[2])
    elif argv[:1] == ["echo-replay"]:
        run_echo_replay(*argv[1:5])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
