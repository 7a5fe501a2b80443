#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reproduces, with no teredo module, the guest crash that the UDP
encapsulation key pin in guest.sh avoids.

  encap-key-race.py SECONDS

One process sends UDP datagrams to a local socket, so that every one
runs udp_queue_rcv_one_skb(); the other opens a UDP socket, turns on
UDP_ENCAP (L2TP in UDP: no other effect) and closes it, over and over.
With no other encapsulating socket alive, each open flips the static keys
udp_encap_needed_key and udpv6_encap_needed_key on and each close flips
them off: the kernel live-patches the branch in udp_queue_rcv_one_skb()
while the other vCPU runs it.  Under QEMU TCG (a 6.12 guest,
-smp 2) a vCPU then hits the stale int3 of the patch ("Oops: int3" at
udp_queue_rcv_one_skb+0x57) within seconds.  With the pin on (guest.sh
holds one such socket for the whole boot) the keys never flip and the
run ends with "toggles N".

  TEREDO_VM_KEYPIN=0 tools/vm/run.sh --kernel 612 -- \
      python3 tools/vm/encap-key-race.py 60      # the guest crashes
  tools/vm/run.sh --kernel 612 -- python3 tools/vm/encap-key-race.py 60
"""

import os
import socket
import sys
import time

UDP_ENCAP = 100
UDP_ENCAP_L2TPINUDP = 3


def blast(seconds):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 9999))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        tx.sendto(b"x" * 64, ("127.0.0.1", 9999))
        n += 1
        try:
            while True:
                rx.recv(100)
        except BlockingIOError:
            pass
    print("sent", n, flush=True)


def toggle(seconds):
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_L2TPINUDP)
        s.close()
        n += 1
    print("toggles", n, flush=True)


def main():
    seconds = float(sys.argv[1])
    pid = os.fork()
    if pid == 0:
        blast(seconds)
        os._exit(0)
    toggle(seconds)
    os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
