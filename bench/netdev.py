#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Toggle a device's transmit checksum offload (ethtool -K DEV tx on|off).

  netdev.py tx-csum DEV on|off

The guest has no ethtool(8); this is its SIOCETHTOOL ETHTOOL_STXCSUM, in
the caller's network namespace.  Prints the resulting state.

The bench needs it for Miredo: a packet the client sends with the inner
TCP/UDP checksum left to offload (CHECKSUM_PARTIAL) crosses veth and
reaches the relay's UDP socket with that checksum unfilled; a kernel relay
forwards the skb as it is, but Miredo copies the bytes to its TUN device,
where the kernel then drops them as corrupt.
"""
import ctypes
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
ETHTOOL_GTXCSUM = 0x16
ETHTOOL_STXCSUM = 0x17


def ethtool_value(sock, dev, cmd, data=0):
    val = ctypes.create_string_buffer(struct.pack("II", cmd, data))
    ifr = struct.pack("16sQ16x", dev.encode(), ctypes.addressof(val))
    fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifr)
    return struct.unpack("II", val.raw[:8])[1]


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "tx-csum" or \
            sys.argv[3] not in ("on", "off"):
        sys.stderr.write(__doc__)
        return 2
    dev = sys.argv[2]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ethtool_value(s, dev, ETHTOOL_STXCSUM, int(sys.argv[3] == "on"))
        state = ethtool_value(s, dev, ETHTOOL_GTXCSUM)
    print(f"{dev}: tx-checksumming {'on' if state else 'off'}")
    return 0 if state == int(sys.argv[3] == "on") else 1


if __name__ == "__main__":
    sys.exit(main())
