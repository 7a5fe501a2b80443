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
 *                          Immutable.
 *   IFLA_TEREDO_SERVER2    __be32, the server's secondary address (client).
 *                          Default: server + 1.  Immutable.
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
 *   IFLA_TEREDO_MAX_PEERS  u32, hard cap of the peer table (client, relay),
 *                          TEREDO_MAX_PEERS_MIN..MAX.  Default 4096.  Mutable.
 *   IFLA_TEREDO_TTL        u8, TTL of the outer IPv4 header, 0 = the route's
 *                          default.  Default 0.  Mutable.
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
	__IFLA_TEREDO_MAX
};

#define IFLA_TEREDO_MAX (__IFLA_TEREDO_MAX - 1)

#define TEREDO_REFRESH_DEFAULT		30
#define TEREDO_REFRESH_MIN		10
#define TEREDO_REFRESH_MAX		300
#define TEREDO_MAX_PEERS_DEFAULT	4096
#define TEREDO_MAX_PEERS_MIN		1
#define TEREDO_MAX_PEERS_MAX		1048576

#endif /* _UAPI_LINUX_IF_TEREDO_H */
