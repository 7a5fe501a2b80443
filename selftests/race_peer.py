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
  rtnl-probe SECONDS IFNAME [STOP]  RTNL operations (set IFNAME's MTU)
                        back to back for SECONDS or until the file STOP
                        exists; prints "rtnl ops=N max_ms=M" (the longest
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
  blast STOP SECONDS RATE DST6...  one sender pinned to each cpu it may
                        run on, UDP to the DST6s in turn, RATE packets a
                        second each, until the file STOP exists (or
                        SECONDS); prints "blast-ready" once every sender
                        has its socket, then "blast cpuN=SENT/ERRORS ..."
  disc-send BIND SERVER MAPPED STOP RATE  local discovery bubbles
                        (224.0.0.253:3544 out of BIND's interface, TTL 1,
                        hop limit 1, to ff02::1) from 256 Teredo addresses
                        of SERVER that embed MAPPED, RATE a second, until
                        STOP exists; "disc-send-ready", then "disc-send
                        sent=N"
  disc-helper IFNAME IP:PORT SERVER IFACE replace|hold STOP [GO]  a stand-in
                        teredod with local discovery: binds IP:PORT,
                        attaches it to the client IFNAME qualified at that
                        mapping, then a socket on *:3544 that joined
                        224.0.0.253 on IFACE as IFNAME's discovery socket;
                        replace: again and again a new one (first refused
                        while the last is attached, then attached once the
                        last is closed); hold: that one.  Until STOP
                        exists; a device gone (ENODEV) stops the attaching
                        but not the holding: the sockets stay open until
                        STOP; with GO, it begins once the file GO exists.
                        "disc-ready" after the first attach, then
                        "disc attached=N refused=N double=N gone=0|1"
  rport-helper IFNAME IP:PORT SERVER STOP [sequential]
                        a stand-in teredod behind a port-preserving
                        symmetric NAT: binds IP:PORT, attaches it to the
                        client IFNAME qualified at that mapping with nat
                        symmetric (port-preserving), or (sequential), so
                        that the kernel makes its random ports (RFC 6081
                        §5.4; §5.5 guesses their public ports); prints
                        "rport-ready", then holds the socket until STOP
                        exists; "rport attached" at the end
  multi LIST            several of these from one python (a start costs
                        seconds under TCG): each line of the file LIST is
                        "NETNS OUT CMD ARG...", run in a child of its own
                        in the netns /run/netns/NETNS, its output in OUT,
                        its pid in OUT.pid once it runs; waits for them all
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
                         raw_socket, raw_udp, setns)
from wire import icmp6, ipv6, teredo_addr  # noqa: E402

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
IFLA_TEREDO_STATE = 11
IFLA_TEREDO_NAT = 13
IFLA_TEREDO_MAPPED = 14
IFLA_TEREDO_MAPPED_PORT = 15
IFLA_TEREDO_ADDRESS = 16
IFLA_TEREDO_DISCOVERY_FD = 23
TEREDO_STATE_QUALIFIED = 2
TEREDO_NAT_PORT_PRESERVING = 4      # enum teredo_nat
TEREDO_NAT_SEQUENTIAL = 5
DISCOVERY_GROUP = "224.0.0.253"


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


def run_rtnl_probe(seconds, ifname, stop=None):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    sock.bind((0, 0))
    ifx = socket.if_nametoindex(ifname)
    ops, worst = 0, 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end and not (stop and os.path.exists(stop)):
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


def stopped(stop):
    """The caller's word to stop: the file, or its directory gone (the
    caller exited)."""
    return os.path.exists(stop) or not os.path.isdir(os.path.dirname(stop))


def run_blast(stop, seconds, rate, dsts):
    """Senders on every cpu: the relay's transmit runs in the sender's
    context (veth), so each cpu's route cache slots are used."""
    cpus = sorted(os.sched_getaffinity(0))
    addrs = [(d, 9) for d in dsts]
    ready_r, ready_w = os.pipe()
    out_r, out_w = os.pipe()
    pids = []
    for cpu in cpus:
        pid = os.fork()
        if pid:
            pids.append(pid)
            continue
        try:
            os.sched_setaffinity(0, {cpu})
            sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            os.write(ready_w, b".")
            sent = errors = 0
            start = time.monotonic()
            while not stopped(stop) and \
                    time.monotonic() - start < seconds:
                for a in addrs:
                    try:
                        sock.sendto(b"x" * 16, a)
                        sent += 1
                    except OSError:
                        errors += 1
                ahead = sent / rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            os.write(out_w, f"cpu{cpu}={sent}/{errors} ".encode())
        finally:
            os._exit(0)
    os.close(out_w)
    got = b""
    while len(got) < len(cpus):
        got += os.read(ready_r, len(cpus))
    print("blast-ready", flush=True)
    for pid in pids:
        os.waitpid(pid, 0)
    out = b""
    while True:
        chunk = os.read(out_r, 4096)
        if not chunk:
            break
        out += chunk
    print(f"blast {out.decode().strip()}", flush=True)


def run_disc_send(bind, server, mapped, stop, rate):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((bind, 0))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF,
                    socket.inet_aton(bind))
    all_nodes = socket.inet_pton(socket.AF_INET6, "ff02::1")
    pkts = [ipv6(teredo_addr(server, mapped, 1 + i), all_nodes, 59, b"",
                 hlim=1) for i in range(256)]
    print("disc-send-ready", flush=True)
    sent = 0
    start = time.monotonic()
    while not stopped(stop):
        try:
            sock.sendto(pkts[sent % len(pkts)], (DISCOVERY_GROUP, 3544))
        except OSError:
            pass
        sent += 1
        ahead = sent / rate - (time.monotonic() - start)
        if ahead > 0:
            time.sleep(ahead)
    print(f"disc-send sent={sent}", flush=True)


def newlink(ifname, attrs):
    """RTM_NEWLINK on the client ifname: 0 or the errno."""
    return talk(Request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifname,
                        "teredo", attrs))[0]


def run_disc_helper(ifname, bind, server, iface, mode, stop, go=None):
    # Started early (a python start is dear under TCG), it waits for its
    # word to begin.
    while go and not os.path.exists(go):
        if stopped(stop):
            return
        time.sleep(0.05)
    h, p = bind.split(":")
    main_sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    main_sock.bind((h, int(p)))
    err = newlink(ifname, [
        (IFLA_TEREDO_FD, struct.pack("=i", main_sock.fileno()), "fd"),
        (IFLA_TEREDO_STATE, bytes([TEREDO_STATE_QUALIFIED]), "state"),
        (IFLA_TEREDO_NAT, b"\1", "nat"),
        (IFLA_TEREDO_MAPPED, socket.inet_aton(h), "mapped"),
        (IFLA_TEREDO_MAPPED_PORT, struct.pack(">H", int(p)), "mapped-port"),
        (IFLA_TEREDO_ADDRESS, teredo_addr(server, h, int(p)), "address")])
    if err:
        raise OSError(err, "attach")
    mreq = struct.pack("=4s4si", socket.inet_aton(DISCOVERY_GROUP),
                       bytes(4), socket.if_nametoindex(iface))

    def disc_socket():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", 3544))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        return s

    def attach(s):
        return newlink(ifname, [(IFLA_TEREDO_DISCOVERY_FD,
                                 struct.pack("=i", s.fileno()),
                                 "discovery-fd")])

    keep = [main_sock]
    disc = None
    attached = refused = double = 0
    gone = False
    while not stopped(stop):
        if not gone and (disc is None or mode == "replace"):
            new = disc_socket()
            keep.append(new)
            err = attach(new) if disc is not None else errno.EBUSY
            if err == 0:            # two attached: must not happen
                double += 1
                disc = new
            elif err == errno.ENODEV:
                gone = True
            else:
                if disc is not None:
                    refused += 1
                    # Its last close detaches it (disc_gone()).
                    keep.remove(disc)
                    disc.close()
                err = attach(new)
                if err == errno.ENODEV:
                    gone = True
                    disc = None
                elif err:
                    raise OSError(err, "discovery-fd")
                else:
                    disc = new
                    attached += 1
                    if attached == 1:
                        print("disc-ready", flush=True)
        time.sleep(0.1)
    print(f"disc attached={attached} refused={refused} double={double} "
          f"gone={int(gone)}", flush=True)
    for s in keep:
        s.close()


def run_rport_helper(ifname, bind, server, stop, nat="port-preserving"):
    kind = (TEREDO_NAT_SEQUENTIAL if nat == "sequential"
            else TEREDO_NAT_PORT_PRESERVING)
    h, p = bind.split(":")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((h, int(p)))
    err = newlink(ifname, [
        (IFLA_TEREDO_FD, struct.pack("=i", sock.fileno()), "fd"),
        (IFLA_TEREDO_STATE, bytes([TEREDO_STATE_QUALIFIED]), "state"),
        (IFLA_TEREDO_NAT, bytes([kind]), "nat"),
        (IFLA_TEREDO_MAPPED, socket.inet_aton(h), "mapped"),
        (IFLA_TEREDO_MAPPED_PORT, struct.pack(">H", int(p)), "mapped-port"),
        (IFLA_TEREDO_ADDRESS, teredo_addr(server, h, int(p)), "address")])
    if err:
        raise OSError(err, "attach")
    print("rport-ready", flush=True)
    while not stopped(stop):
        time.sleep(0.1)
    print("rport attached", flush=True)
    sock.close()


def run_multi(path):
    with open(path) as f:
        jobs = [line.split() for line in f if line.strip()]
    pids = []
    for netns, out, *argv in jobs:
        pid = os.fork()
        if pid:
            pids.append(pid)
            continue
        rc = 1
        try:
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.close(fd)
            setns(f"/run/netns/{netns}")
            with open(f"{out}.pid.new", "w") as p:
                p.write(f"{os.getpid()}\n")
            os.rename(f"{out}.pid.new", f"{out}.pid")
            rc = main(argv)
        except Exception as e:  # pylint: disable=broad-except
            print(f"error {e!r}", flush=True)
        finally:
            sys.stdout.flush()
            os._exit(rc)
    for pid in pids:
        os.waitpid(pid, 0)


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
        run_rtnl_probe(float(argv[1]), argv[2], *argv[3:4])
    elif argv[:1] == ["mcloop"]:
        run_mcloop(argv[1], argv[2])
    elif argv[:1] == ["echo-replay"]:
        run_echo_replay(*argv[1:5])
    elif argv[:1] == ["blast"]:
        run_blast(argv[1], float(argv[2]), float(argv[3]), argv[4:])
    elif argv[:1] == ["disc-send"]:
        run_disc_send(argv[1], argv[2], argv[3], argv[4], float(argv[5]))
    elif argv[:1] == ["disc-helper"]:
        run_disc_helper(*argv[1:8])
    elif argv[:1] == ["rport-helper"]:
        run_rport_helper(*argv[1:6])
    elif argv[:1] == ["multi"]:
        run_multi(argv[1])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
