#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Raw rtnetlink requests for teredo links, past what the ip plugin allows.

  nlraw.py add NAME [ATTR...]     RTM_NEWLINK, NLM_F_CREATE|NLM_F_EXCL
  nlraw.py set NAME [ATTR...]     RTM_NEWLINK on an existing link
  nlraw.py get NAME               print the link's kind and IFLA_INFO_DATA
  nlraw.py del NAME               RTM_DELLINK
  nlraw.py state NAME             a client's state and carrier, by name
  nlraw.py batch                  each line of stdin is one of the above
  nlraw.py selftest               encode requests and decode them again

ATTR is KEY=[TYPE:]VALUE.  KEY is a keyword (mode server server2 local
local2 port refresh max-peers ttl) or an attribute number.  TYPE is one of u8
u16 u32 u64 be16 be32 ipv4 hex str; without it the keyword's own type is
used (mode also takes client, relay, server).  Examples:

  nlraw.py add t0 mode=u8:7
  nlraw.py set t0 port=be16:80 server=ipv4:192.0.2.1
  nlraw.py add t0 server=hex:c00002          (a 3-byte address)

Options, anywhere: --kind KIND (default teredo), --empty-data
(send an empty IFLA_INFO_DATA when no ATTR is given; by default it is left
out, as ip does), --dump (print the request and do not send it), --hold
FILE (after a successful request, write FILE and keep running, with the
sockets it sent open, until FILE is removed).

state prints the client attributes and the carrier as sorted words
"address=... carrier=1 mapped=... nat=... port=... reason=... refresh=...
state=..." (state, reason, nat by name; absent attributes left out).

fd=SPEC opens a socket and sends its descriptor (fd=s32:N sends N): SPEC is
udp:ADDR:PORT (bound UDP/IPv4), udp-unbound, tcp or udp6:PORT.

On a kernel error the extack message goes to stderr as "Error: MSG." and
the exit status is 1; usage errors exit 2.

batch (one process for many requests: a python3 start costs a second or
more under QEMU/TCG) reads requests, one a line: the words of a command
line (add, set, get, del or state, with --kind and --empty-data).  For each it
prints one line "N<US>RC<US>STDOUT<US>STDERR" (US: 0x1f), N the line
number, RC, STDOUT and STDERR what the command alone would have given,
their newlines as RS (0x1e); then "end<US>N" after the last one.
"""

import errno
import ipaddress
import os
import socket
import struct
import sys
import time

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_ERROR = 2
NLMSG_DONE = 3
RTM_NEWLINK = 16
RTM_DELLINK = 17
RTM_GETLINK = 18

NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_CAPPED = 0x100    # in an NLMSG_ERROR: the request is not echoed
NLM_F_ACK_TLVS = 0x200  # in an NLMSG_ERROR: extack attributes follow

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2

IFLA_IFNAME = 3
IFLA_LINKINFO = 18
IFLA_CARRIER = 33
IFLA_INFO_KIND = 1
IFLA_INFO_DATA = 2

NLA_TYPE_MASK = 0x3fff

NLMSGHDR = struct.Struct("=IHHII")      # len, type, flags, seq, pid
IFINFOMSG = struct.Struct("=BxHiII")    # family, type, index, flags, change
NLATTR = struct.Struct("=HH")           # len, type

# uapi/linux/if_teredo.h
ATTRS = {
    "mode": (1, "mode"),
    "server": (2, "ipv4"),
    "server2": (3, "ipv4"),
    "local": (4, "ipv4"),
    "local2": (5, "ipv4"),
    "port": (6, "be16"),
    "refresh": (7, "u32"),
    "max-peers": (8, "u32"),
    "ttl": (9, "u8"),
    "fd": (10, "sock"),
    "state": (11, "u8"),
    "reason": (12, "u8"),
    "nat": (13, "u8"),
    "mapped": (14, "ipv4"),
    "mapped-port": (15, "be16"),
    "address": (16, "ipv6"),
    "next-refresh": (17, "u32"),
    "bound": (18, "ipv4"),
    "bound-port": (19, "be16"),
    "hold-limit": (20, "u32"),
    "portmap": (21, "u8"),
    "portmap-gateway": (22, "ipv4"),
    "alternate": (24, "ipv4"),
    "alternate-port": (25, "be16"),
}
ATTR_NAMES = {num: (name, typ) for name, (num, typ) in ATTRS.items()}
MODES = {"client": 0, "relay": 1, "server": 2}

STATES = ["offline", "qualifying", "qualified", "dormant"]
REASONS = ["none", "no-helper", "no-server", "symmetric-nat", "no-route",
           "native-ipv6"]
NATS = ["unknown", "none", "restricted", "symmetric",
        "symmetric-port-preserving", "symmetric-sequential"]
PORTMAPS = ["none", "upnp", "natpmp"]

INTS = {
    "u8": "=B", "u16": "=H", "u32": "=I", "u64": "=Q", "s32": "=i",
    "be16": ">H", "be32": ">I",
}


class UsageError(Exception):
    pass


def align(n):
    return (n + 3) & ~3


def nla(atype, payload):
    hdr = NLATTR.pack(NLATTR.size + len(payload), atype)
    return hdr + payload + b"\0" * (align(len(payload)) - len(payload))


def encode_value(typ, value):
    if typ == "mode":
        if value in MODES:
            return struct.pack("=B", MODES[value])
        typ = "u8"
    if typ in INTS:
        try:
            num = int(value, 0)
            return struct.pack(INTS[typ], num)
        except (ValueError, struct.error) as e:
            raise UsageError(f"bad {typ} value {value!r}: {e}") from None
    if typ == "ipv4":
        try:
            return ipaddress.IPv4Address(value).packed
        except ValueError as e:
            raise UsageError(f"bad ipv4 value {value!r}: {e}") from None
    if typ == "ipv6":
        try:
            return ipaddress.IPv6Address(value).packed
        except ValueError as e:
            raise UsageError(f"bad ipv6 value {value!r}: {e}") from None
    if typ == "sock":
        return struct.pack("=i", open_socket(value))
    if typ == "hex":
        try:
            return bytes.fromhex(value)
        except ValueError as e:
            raise UsageError(f"bad hex value {value!r}: {e}") from None
    if typ == "str":
        return value.encode() + b"\0"
    raise UsageError(f"unknown type {typ!r}")


SOCKETS = []     # kept open until exit: the kernel holds what we send


def open_socket(spec):
    """udp:ADDR:PORT | udp-unbound | tcp | udp6:PORT -> a new socket's fd."""
    kind, _, rest = spec.partition(":")
    if kind == "udp":
        addr, _, port = rest.rpartition(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, int(port)))
    elif kind == "udp-unbound":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    elif kind == "tcp":
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("0.0.0.0", 0))
    elif kind == "udp6":
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", int(rest or 0)))
    else:
        raise UsageError(f"unknown socket {spec!r}")
    SOCKETS.append(s)
    return s.fileno()


def parse_attr(spec):
    """KEY=[TYPE:]VALUE -> (number, payload, text)."""
    if "=" not in spec:
        raise UsageError(f"attribute {spec!r} is not KEY=[TYPE:]VALUE")
    key, value = spec.split("=", 1)
    if key in ATTRS:
        num, typ = ATTRS[key]
    elif key.isdigit():
        num, typ = int(key), None
    else:
        raise UsageError(f"unknown attribute {key!r}")
    if ":" in value and value.split(":", 1)[0] in list(INTS) + [
            "ipv4", "ipv6", "hex", "str"]:
        typ, value = value.split(":", 1)
    if typ is None:
        raise UsageError(f"attribute {key!r} needs a TYPE: prefix")
    return num, encode_value(typ, value), spec


class Request:
    """One RTM_NEWLINK/RTM_GETLINK, with where each attribute sits."""

    def __init__(self, msgtype, flags, name, kind=None, attrs=None,
                 empty_data=False, seq=1):
        self.where = []         # (offset in message, description)
        body = IFINFOMSG.pack(socket.AF_UNSPEC, 0, 0, 0, 0)
        off = NLMSGHDR.size + len(body)
        self.where.append((off, "IFLA_IFNAME"))
        body += nla(IFLA_IFNAME, name.encode() + b"\0")
        if kind is not None:
            info = nla(IFLA_INFO_KIND, kind.encode() + b"\0")
            if attrs or empty_data:
                data = b""
                # IFLA_LINKINFO header, IFLA_INFO_KIND, IFLA_INFO_DATA header
                data_off = (NLMSGHDR.size + len(body) + NLATTR.size
                            + len(info) + NLATTR.size)
                for num, payload, text in attrs or []:
                    self.where.append((data_off + len(data), text))
                    data += nla(num, payload)
                info += nla(IFLA_INFO_DATA, data)
            body += nla(IFLA_LINKINFO, info)
        self.msg = NLMSGHDR.pack(NLMSGHDR.size + len(body), msgtype,
                                 flags, seq, 0) + body

    def describe(self, offset):
        best = None
        for off, text in self.where:
            if off <= offset:
                best = text
        return best


def parse_nlattrs(buf):
    """Yield (type, payload) of the attributes in buf."""
    pos = 0
    while pos + NLATTR.size <= len(buf):
        alen, atype = NLATTR.unpack_from(buf, pos)
        if alen < NLATTR.size or pos + alen > len(buf):
            raise ValueError(f"bad attribute length {alen} at {pos}")
        yield atype & NLA_TYPE_MASK, buf[pos + NLATTR.size:pos + alen]
        pos += align(alen)


def decode_info_data(data):
    """IFLA_INFO_DATA payload -> list of "key=value" words."""
    out = []
    for atype, payload in parse_nlattrs(data):
        name, typ = ATTR_NAMES.get(atype, (str(atype), None))
        want = {"mode": 1, "u8": 1, "ipv4": 4, "ipv6": 16, "be16": 2,
                "u32": 4}.get(typ)
        if want != len(payload):
            out.append(f"{name}=hex:{payload.hex()}")
        elif typ == "mode":
            names = {v: k for k, v in MODES.items()}
            out.append(f"{name}={names.get(payload[0], payload[0])}")
        elif typ == "ipv4":
            out.append(f"{name}={ipaddress.IPv4Address(payload)}")
        elif typ == "ipv6":
            out.append(f"{name}={ipaddress.IPv6Address(payload)}")
        else:
            out.append(f"{name}={struct.unpack(INTS[typ], payload)[0]}")
    return out


def decode_link(msg):
    """An RTM_NEWLINK message (without nlmsghdr) -> dict."""
    res = {"data": None}
    for atype, payload in parse_nlattrs(msg[IFINFOMSG.size:]):
        if atype == IFLA_IFNAME:
            res["name"] = payload.rstrip(b"\0").decode()
        elif atype == IFLA_LINKINFO:
            for itype, ipayload in parse_nlattrs(payload):
                if itype == IFLA_INFO_KIND:
                    res["kind"] = ipayload.rstrip(b"\0").decode()
                elif itype == IFLA_INFO_DATA:
                    res["data"] = decode_info_data(ipayload)
    return res


def client_state(msg):
    """An RTM_NEWLINK message (without nlmsghdr) -> "key=value" words of
    the client attributes and the carrier, sorted."""
    def name(table, v):
        return table[v] if v < len(table) else str(v)
    out = {}
    for atype, payload in parse_nlattrs(msg[IFINFOMSG.size:]):
        if atype == IFLA_CARRIER and payload:
            out["carrier"] = str(payload[0])
        if atype != IFLA_LINKINFO:
            continue
        for itype, ipayload in parse_nlattrs(payload):
            if itype != IFLA_INFO_DATA:
                continue
            for a, v in parse_nlattrs(ipayload):
                if a == 11 and v:
                    out["state"] = name(STATES, v[0])
                elif a == 12 and v:
                    out["reason"] = name(REASONS, v[0])
                elif a == 13 and v:
                    out["nat"] = name(NATS, v[0])
                elif a == 14 and len(v) == 4:
                    out["mapped"] = str(ipaddress.IPv4Address(v))
                elif a == 15 and len(v) == 2:
                    out["port"] = str(struct.unpack(">H", v)[0])
                elif a == 16 and len(v) == 16:
                    out["address"] = str(ipaddress.IPv6Address(v))
                elif a == 17 and len(v) == 4:
                    out["refresh"] = str(struct.unpack("=I", v)[0])
                elif a == 21 and v:
                    out["portmap"] = name(PORTMAPS, v[0])
                elif a == 22 and len(v) == 4:
                    out["portmap-gateway"] = str(ipaddress.IPv4Address(v))
                elif a == 24 and len(v) == 4:
                    out["alternate"] = str(ipaddress.IPv4Address(v))
    return ["%s=%s" % kv for kv in sorted(out.items())]


def decode_error(payload, flags):
    """NLMSG_ERROR payload -> (errno, extack message or None, offset)."""
    (err,) = struct.unpack_from("=i", payload, 0)
    pos = 4
    if flags & NLM_F_CAPPED:
        pos += NLMSGHDR.size
    else:
        (olen,) = struct.unpack_from("=I", payload, pos)
        pos += align(olen)
    msg, offs = None, None
    if flags & NLM_F_ACK_TLVS:
        for atype, apayload in parse_nlattrs(payload[pos:]):
            if atype == NLMSGERR_ATTR_MSG:
                msg = apayload.rstrip(b"\0").decode(errors="replace")
            elif atype == NLMSGERR_ATTR_OFFS:
                (offs,) = struct.unpack("=I", apayload[:4])
    return -err, msg, offs


def talk(req):
    """Send req; return (errno, msg, offset, replies)."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    with sock:
        for opt in (NETLINK_EXT_ACK, NETLINK_CAP_ACK):
            try:
                sock.setsockopt(SOL_NETLINK, opt, 1)
            except OSError:
                pass
        sock.bind((0, 0))
        sock.sendto(req.msg, (0, 0))
        (seq,) = struct.unpack_from("=I", req.msg, 8)
        replies = []
        while True:
            buf = sock.recv(65536)
            pos = 0
            while pos + NLMSGHDR.size <= len(buf):
                mlen, mtype, mflags, mseq, _ = NLMSGHDR.unpack_from(buf, pos)
                if mlen < NLMSGHDR.size:
                    raise ValueError("truncated netlink message")
                payload = buf[pos + NLMSGHDR.size:pos + mlen]
                pos += align(mlen)
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err, msg, offs = decode_error(payload, mflags)
                    return err, msg, offs, replies
                if mtype == NLMSG_DONE:
                    return 0, None, None, replies
                replies.append((mtype, payload))


def report(req, err, msg, offs, errf):
    if msg:
        print(f"Error: {msg}.", file=errf)
    if err:
        where = req.describe(offs) if offs is not None else None
        print(f"nlraw: {os.strerror(err)} (errno {err})"
              + (f", at {where}" if where else ""), file=errf)
        return 1
    return 0


def dump(req, outf):
    print(req.msg.hex(), file=outf)
    link = decode_link(req.msg[NLMSGHDR.size:])
    print(" ".join([f"name={link.get('name')}", f"kind={link.get('kind')}"]
                   + (link["data"] or [])), file=outf)


def selftest():
    """Encode requests and read them back; exit status 0 when they match."""
    failures = 0
    cases = [
        (["mode=u8:7"], ["mode=7"]),
        (["mode=relay", "port=3544"], ["mode=relay", "port=3544"]),
        (["server=192.0.2.1", "server2=ipv4:192.0.2.9",
          "refresh=60", "max-peers=u32:1048576"],
         ["server=192.0.2.1", "server2=192.0.2.9", "refresh=60",
          "max-peers=1048576"]),
        (["port=be16:80", "server=ipv4:192.0.2.1"],
         ["port=80", "server=192.0.2.1"]),
        (["server=hex:c00002"], ["server=hex:c00002"]),
        (["refresh=u8:5"], ["refresh=hex:05"]),
        (["local=hex:"], ["local=hex:"]),
        (["ttl=64"], ["ttl=64"]),
        (["30=u32:1"], ["30=hex:01000000"]),
    ]
    for specs, want in cases:
        attrs = [parse_attr(s) for s in specs]
        req = Request(RTM_NEWLINK, NLM_F_REQUEST, "t0", "teredo", attrs)
        (mlen,) = struct.unpack_from("=I", req.msg, 0)
        link = decode_link(req.msg[NLMSGHDR.size:])
        got = link["data"]
        ok = (mlen == len(req.msg) and mlen % 4 == 0
              and link.get("name") == "t0" and link.get("kind") == "teredo"
              and got == want)
        # Every attribute must be found again at the offset recorded.
        for (off, text), spec in zip(req.where[1:], specs):
            alen, atype = NLATTR.unpack_from(req.msg, off)
            num = parse_attr(spec)[0]
            ok = ok and atype == num and text == spec
        print(f"{'ok' if ok else 'FAIL'}: {' '.join(specs)} -> {got}")
        failures += not ok
    # The byte layout of one request, by hand.
    req = Request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, "t0", "teredo",
                  [parse_attr("mode=u8:7")], seq=5)
    want = (struct.pack("=IHHII", 68, 16, 5, 5, 0)
            + struct.pack("=BxHiII", 0, 0, 0, 0, 0)
            + struct.pack("=HH", 7, 3) + b"t0\0\0"
            + struct.pack("=HH", 28, 18)
            + struct.pack("=HH", 11, 1) + b"teredo\0\0"
            + struct.pack("=HH", 12, 2)
            + struct.pack("=HH", 5, 1) + b"\7\0\0\0")
    ok = req.msg == want
    print(f"{'ok' if ok else 'FAIL'}: byte layout")
    failures += not ok
    # Without attributes, IFLA_INFO_DATA is left out unless asked for.
    plain = Request(RTM_NEWLINK, 0, "t0", "teredo", [])
    empty = Request(RTM_NEWLINK, 0, "t0", "teredo", [], empty_data=True)
    ok = (decode_link(plain.msg[NLMSGHDR.size:])["data"] is None
          and decode_link(empty.msg[NLMSGHDR.size:])["data"] == [])
    print(f"{'ok' if ok else 'FAIL'}: empty IFLA_INFO_DATA")
    failures += not ok
    # An NLMSG_ERROR with extack, both capped and not.
    for capped in (True, False):
        tlvs = (nla(NLMSGERR_ATTR_MSG, b"mode: unknown mode\0")
                + nla(NLMSGERR_ATTR_OFFS, struct.pack("=I", 60)))
        echo = req.msg[:NLMSGHDR.size] if capped else req.msg
        payload = struct.pack("=i", -errno.EINVAL) + echo + tlvs
        flags = NLM_F_ACK_TLVS | (NLM_F_CAPPED if capped else 0)
        err, msg, offs = decode_error(payload, flags)
        ok = (err == errno.EINVAL and msg == "mode: unknown mode"
              and offs == 60 and req.describe(offs) == "mode=u8:7")
        print(f"{'ok' if ok else 'FAIL'}: extack (capped={capped})")
        failures += not ok
    return 1 if failures else 0


def batch(inf, outf):
    """Run the requests read from inf; one result line each on outf."""
    import io

    def flat(text):
        return text.rstrip("\n").replace("\n", "\x1e")

    n = 0
    for n, line in enumerate(inf, 1):
        out, err = io.StringIO(), io.StringIO()
        words = line.split()
        try:
            if words and words[0] in ("batch", "selftest"):
                raise UsageError(f"{words[0]} inside a batch")
            if "--hold" in words:
                raise UsageError("--hold inside a batch")
            rc = main(words, out, err)
        except UsageError as e:
            print(f"nlraw: {e}", file=err)
            rc = 2
        outf.write(f"{n}\x1f{rc}\x1f{flat(out.getvalue())}"
                   f"\x1f{flat(err.getvalue())}\n")
        outf.flush()
    outf.write(f"end\x1f{n}\n")
    return 0


def main(argv, outf=sys.stdout, errf=sys.stderr):
    kind, empty_data, dump_only, hold = "teredo", False, False, None
    args = []
    while argv:
        opt = argv.pop(0)
        if not opt.startswith("--"):
            args.append(opt)
        elif opt == "--kind" and argv:
            kind = argv.pop(0)
        elif opt == "--empty-data":
            empty_data = True
        elif opt == "--dump":
            dump_only = True
        elif opt == "--hold" and argv:
            hold = argv.pop(0)
        else:
            raise UsageError(f"unknown option {opt!r}")
    argv = args
    if not argv:
        raise UsageError("missing command")
    cmd = argv.pop(0)
    if cmd == "selftest":
        return selftest()
    if cmd == "batch":
        if argv:
            raise UsageError("batch takes no arguments")
        return batch(sys.stdin, sys.stdout)
    if cmd not in ("add", "set", "get", "del", "state") or not argv:
        raise UsageError("expected add|set|get|del|state NAME")
    name = argv.pop(0)
    if cmd in ("get", "del", "state"):
        if argv:
            raise UsageError(f"{cmd} takes only NAME")
        req = Request(RTM_DELLINK if cmd == "del" else RTM_GETLINK,
                      NLM_F_REQUEST | NLM_F_ACK, name)
    else:
        attrs = [parse_attr(a) for a in argv]
        flags = NLM_F_REQUEST | NLM_F_ACK
        if cmd == "add":
            flags |= NLM_F_CREATE | NLM_F_EXCL
        req = Request(RTM_NEWLINK, flags, name, kind, attrs, empty_data)
    if dump_only:
        dump(req, outf)
        return 0
    err, msg, offs, replies = talk(req)
    if cmd == "get" and not err:
        for mtype, payload in replies:
            if mtype == RTM_NEWLINK:
                link = decode_link(payload)
                print(" ".join([f"kind={link.get('kind')}"]
                               + (link["data"] or [])), file=outf)
    if cmd == "state" and not err:
        for mtype, payload in replies:
            if mtype == RTM_NEWLINK:
                print(" ".join(client_state(payload)), file=outf)
    rc = report(req, err, msg, offs, errf)
    if hold and not rc:
        # Keep our sockets (a helper's) open until FILE goes away.
        open(hold, "w").write("held\n")
        while os.path.exists(hold):
            time.sleep(0.1)
    return rc


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except UsageError as e:
        print(f"nlraw: {e}", file=sys.stderr)
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
