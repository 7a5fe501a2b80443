/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Teredo (RFC 4380, RFC 5991) virtual netdevice: rtnetlink attributes.
 *
 * These nest in IFLA_INFO_DATA of a link of kind "teredo".  One parse
 * function in the kernel serves RTM_NEWLINK (create) and the change form;
 * every refusal carries an extack message that starts with the keyword
 * of the attribute, as `ip link` spells it.
 *
 *   IFLA_TEREDO_MODE       u8, enum teredo_mode.  Immutable.
 *                          Default: client.
 *   IFLA_TEREDO_SERVER     __be32, the Teredo server (client only, required).
 *                          Changes only while the client is neither
 *                          qualified nor dormant, and not with STATE in
 *                          the same message (teredod moves to the next
 *                          server of its list this way).
 *   IFLA_TEREDO_SERVER2    __be32, the server's secondary address (client).
 *                          Default: server + 1, also when SERVER changes
 *                          alone.  Changes as SERVER does.
 *   IFLA_TEREDO_LOCAL      __be32, local IPv4 to bind (relay, server,
 *                          client).  Required for a server.  Immutable.
 *   IFLA_TEREDO_LOCAL2     __be32, the server's secondary address (server).
 *                          Default: local + 1.  Immutable.
 *   IFLA_TEREDO_PORT       __be16, local UDP port.  Default: 3544 for a relay
 *                          and a server (which only listens on 3544), 0
 *                          (ephemeral, chosen by the helper) for a client.
 *                          Immutable.
 *   IFLA_TEREDO_REFRESH    u32 seconds between qualification refreshes
 *                          (client), TEREDO_REFRESH_MIN..MAX.  Default 30.
 *                          Mutable.
 *   IFLA_TEREDO_MAX_PEERS  u32, how many remote parties the device keeps
 *                          state for: the peer table (client, relay), the
 *                          RS sources under rate limit (server).
 *                          TEREDO_MAX_PEERS_MIN..MAX.  Default 4096, for a
 *                          server TEREDO_SERVER_SOURCES_DEFAULT.  Mutable.
 *   IFLA_TEREDO_TTL        u8, TTL of the outer IPv4 header, 0 = the route's
 *                          default.  Default 0.  Mutable.
 *   IFLA_TEREDO_HOLD_LIMIT u32 bytes of truesize that the packets held for
 *                          untrusted peers (client, relay) may take in
 *                          all, 0..TEREDO_HOLD_LIMIT_MAX.  Default 16 MiB.
 *                          Mutable.
 *
 * A client's socket and state come from its helper (teredod), on the
 * change form only, and are reported back (except the fd):
 *
 *   IFLA_TEREDO_FD         s32, write-only: a bound AF_INET UDP socket the
 *                          kernel uses from then on.  The kernel keeps the
 *                          socket, not the file: when the helper's last
 *                          descriptor closes, the device drops it, goes
 *                          offline and carrier-off.  Refused while a
 *                          socket is attached.
 *   IFLA_TEREDO_DISCOVERY_FD s32, write-only: a UDP socket bound to port
 *                          3544 that joined 224.0.0.253, on which the
 *                          kernel takes local discovery bubbles (RFC 4380
 *                          §5.2.8); local discovery is on while it is
 *                          attached.  Dropped when its last descriptor
 *                          closes, and with IFLA_TEREDO_FD's socket.
 *   IFLA_TEREDO_STATE      u8, enum teredo_state.
 *   IFLA_TEREDO_REASON     u8, enum teredo_reason: why not qualified.
 *   IFLA_TEREDO_NAT        u8, enum teredo_nat.  SYMMETRIC with PORTMAP
 *                          none: our bubbles carry an RFC 6081 §5.2
 *                          Nonce trailer (symmetric NAT support).
 *   IFLA_TEREDO_MAPPED     __be32, the NAT's public address (from the RA):
 *                          global unicast (RFC 4380 §5.2.4's list), or 0
 *                          to forget it.
 *   IFLA_TEREDO_MAPPED_PORT __be16, the NAT's public port.
 *   IFLA_TEREDO_ADDRESS    struct in6_addr, the Teredo address in use.
 *   IFLA_TEREDO_NEXT_REFRESH u32, seconds to the helper's next Router
 *                          Solicitation; reported as what is left of it.
 *
 * And, from teredod too (client), reported back:
 *
 *   IFLA_TEREDO_PORTMAP    u8, enum teredo_portmap: the port mapping on the
 *                          router that ADDRESS embeds (RFC 6081 §4.3).
 *                          Default: none.
 *   IFLA_TEREDO_PORTMAP_GATEWAY __be32, the router that holds it (reported
 *                          while PORTMAP is not none).
 *
 *   IFLA_TEREDO_ALTERNATE  __be32, our address on our side of the NAT
 *                          (teredod --hairpinning on): the RFC 6081 §5.6
 *                          Alternate Address our indirect bubbles carry
 *                          to peers behind our own public address, so
 *                          that a NAT which does not hairpin is gone
 *                          around.  Unicast, or 0 to stop.  Default: 0.
 *   IFLA_TEREDO_ALTERNATE_PORT __be16, its UDP port, not 0 while
 *                          ALTERNATE is set.
 *
 * Reported only, refused in a request (any mode):
 *
 *   IFLA_TEREDO_BOUND      __be32, the local address the UDP socket in use
 *                          is bound to (0.0.0.0: any).  Present while a
 *                          socket is attached: always for a relay and a
 *                          server, for a client while its helper runs.
 *   IFLA_TEREDO_BOUND_PORT __be16, that socket's local port (a client's
 *                          helper picks it when PORT is 0).
 *
 * QUALIFIED and DORMANT need MAPPED, MAPPED_PORT and ADDRESS (in this
 * message or already set), an attached socket, and an ADDRESS that is a
 * Teredo address of SERVER embedding MAPPED:MAPPED_PORT.  A client's carrier is
 * on while it is qualified; a new ADDRESS flushes the peer table.
 *
 * Addresses must be unicast: not 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4,
 * 240.0.0.0/4 or 255.255.255.255.  Attributes are only ever appended.
 */
#ifndef _UAPI_LINUX_IF_TEREDO_H
#define _UAPI_LINUX_IF_TEREDO_H

#include <linux/types.h>

enum teredo_mode {
	TEREDO_MODE_CLIENT,
	TEREDO_MODE_RELAY,
	TEREDO_MODE_SERVER,
	__TEREDO_MODE_MAX
};

#define TEREDO_MODE_MAX (__TEREDO_MODE_MAX - 1)

/* A client's qualification, as its helper reports it. */
enum teredo_state {
	TEREDO_STATE_OFFLINE,		/* no usable address */
	TEREDO_STATE_QUALIFYING,	/* Router Solicitations in flight */
	TEREDO_STATE_QUALIFIED,		/* address valid, data path open */
	/* Qualified but idle: no refresh; the first packet sent is held
	 * and wakes the helper (TEREDO_CMD_WAKE_NTF, teredo_genl.h).
	 */
	TEREDO_STATE_DORMANT,
	__TEREDO_STATE_MAX
};

#define TEREDO_STATE_MAX (__TEREDO_STATE_MAX - 1)

/* Why a client is not qualified. */
enum teredo_reason {
	TEREDO_REASON_NONE,
	TEREDO_REASON_NO_HELPER,	/* no socket: teredod not running */
	TEREDO_REASON_NO_SERVER,	/* the server did not answer */
	TEREDO_REASON_SYMMETRIC_NAT,	/* mappings differ per destination */
	TEREDO_REASON_NO_ROUTE,		/* the server cannot be reached */
	TEREDO_REASON_NATIVE_IPV6,	/* sunset (RFC 4380 §5.5) */
	__TEREDO_REASON_MAX
};

#define TEREDO_REASON_MAX (__TEREDO_REASON_MAX - 1)

/* The NAT in front of a client, from the two-server test. */
enum teredo_nat {
	TEREDO_NAT_UNKNOWN,
	TEREDO_NAT_NONE,		/* mapped = local: no NAT */
	TEREDO_NAT_RESTRICTED,		/* one mapping for both addresses */
	TEREDO_NAT_SYMMETRIC,		/* a mapping per destination */
	/* Symmetric, and the first mapping keeps the local port (RFC 6081
	 * §5.4); symmetric, and the next mapping takes the next port or
	 * nearly (RFC 6081 §5.5).
	 */
	TEREDO_NAT_SYMMETRIC_PORT_PRESERVING,
	TEREDO_NAT_SYMMETRIC_SEQUENTIAL,
	__TEREDO_NAT_MAX
};

#define TEREDO_NAT_MAX (__TEREDO_NAT_MAX - 1)

/* A port mapping on the router, through which protocol (RFC 6081 §4.3). */
enum teredo_portmap {
	TEREDO_PORTMAP_NONE,
	TEREDO_PORTMAP_UPNP,		/* UPnP IGD AddPortMapping */
	TEREDO_PORTMAP_NATPMP,		/* NAT-PMP (RFC 6886) */
	TEREDO_PORTMAP_PCP,		/* PCP MAP (RFC 6887) */
	__TEREDO_PORTMAP_MAX
};

#define TEREDO_PORTMAP_MAX (__TEREDO_PORTMAP_MAX - 1)

enum {
	IFLA_TEREDO_UNSPEC,
	IFLA_TEREDO_MODE,
	IFLA_TEREDO_SERVER,
	IFLA_TEREDO_SERVER2,
	IFLA_TEREDO_LOCAL,
	IFLA_TEREDO_LOCAL2,
	IFLA_TEREDO_PORT,
	IFLA_TEREDO_REFRESH,
	IFLA_TEREDO_MAX_PEERS,
	IFLA_TEREDO_TTL,
	IFLA_TEREDO_FD,
	IFLA_TEREDO_STATE,
	IFLA_TEREDO_REASON,
	IFLA_TEREDO_NAT,
	IFLA_TEREDO_MAPPED,
	IFLA_TEREDO_MAPPED_PORT,
	IFLA_TEREDO_ADDRESS,
	IFLA_TEREDO_NEXT_REFRESH,
	IFLA_TEREDO_BOUND,
	IFLA_TEREDO_BOUND_PORT,
	IFLA_TEREDO_HOLD_LIMIT,
	IFLA_TEREDO_PORTMAP,
	IFLA_TEREDO_PORTMAP_GATEWAY,
	IFLA_TEREDO_DISCOVERY_FD,
	IFLA_TEREDO_ALTERNATE,
	IFLA_TEREDO_ALTERNATE_PORT,
	__IFLA_TEREDO_MAX
};

#define IFLA_TEREDO_MAX (__IFLA_TEREDO_MAX - 1)

#define TEREDO_REFRESH_DEFAULT		30
#define TEREDO_REFRESH_MIN		10
#define TEREDO_REFRESH_MAX		300
#define TEREDO_MAX_PEERS_DEFAULT	4096
#define TEREDO_MAX_PEERS_MIN		1
#define TEREDO_MAX_PEERS_MAX		1048576
#define TEREDO_SERVER_SOURCES_DEFAULT	65536
#define TEREDO_HOLD_LIMIT_DEFAULT	(16 << 20)
#define TEREDO_HOLD_LIMIT_MAX		1073741824

#endif /* _UAPI_LINUX_IF_TEREDO_H */
