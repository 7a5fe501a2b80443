/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * Teredo generic netlink family "teredo", version 1: device counters and
 * the peer table.  Commands that change state need CAP_NET_ADMIN in the
 * device's network namespace.
 *
 * TEREDO_CMD_DEV_GET
 *   request:  TEREDO_A_IFINDEX (doit), or nothing (dump: every teredo
 *             device of the caller's netns)
 *   reply:    TEREDO_A_IFINDEX, TEREDO_A_IFNAME, TEREDO_A_MODE,
 *             TEREDO_A_PEER_COUNT, TEREDO_A_STATS { TEREDO_STAT_*: u64 }
 *
 * TEREDO_CMD_PEER_GET (dump only)
 *   request:  TEREDO_A_IFINDEX
 *   replies:  TEREDO_A_IFINDEX, TEREDO_A_PEER { TEREDO_PEER_A_* }, one
 *             message per peer
 *
 * TEREDO_CMD_PEER_DEL (admin)
 *   request:  TEREDO_A_IFINDEX [, TEREDO_A_PEER { TEREDO_PEER_A_ADDR }]
 *             without a peer, every peer of the device is removed (flush)
 *
 * Ages are milliseconds since the event, or U32_MAX when it never happened.
 *
 * Multicast group TEREDO_GENL_MCGRP_EVENTS ("events"), notifications only
 * (never requests), in the device's network namespace:
 *
 * TEREDO_CMD_STATE_NTF   a client's state as its helper pushed it changed
 *   TEREDO_A_IFINDEX, TEREDO_A_IFNAME, TEREDO_A_STATE, TEREDO_A_REASON,
 *   TEREDO_A_NAT [, TEREDO_A_ADDRESS] [, TEREDO_A_MAPPED,
 *   TEREDO_A_MAPPED_PORT]
 *
 * TEREDO_CMD_WAKE_NTF    a DORMANT client holds a packet to send: its
 *   helper should qualify again (the packet leaves once it is QUALIFIED)
 *   TEREDO_A_IFINDEX, TEREDO_A_IFNAME
 *
 * TEREDO_CMD_PEER_NTF    something happened to a peer
 *   TEREDO_A_IFINDEX, TEREDO_A_IFNAME, TEREDO_A_EVENT (enum teredo_event),
 *   TEREDO_A_PEER { TEREDO_PEER_A_ADDR, TEREDO_PEER_A_MAPPED_ADDR,
 *   TEREDO_PEER_A_MAPPED_PORT }
 */
#ifndef _UAPI_LINUX_TEREDO_GENL_H
#define _UAPI_LINUX_TEREDO_GENL_H

#define TEREDO_GENL_NAME	"teredo"
#define TEREDO_GENL_VERSION	1
#define TEREDO_GENL_MCGRP_EVENTS	"events"

enum teredo_cmd {
	TEREDO_CMD_UNSPEC,
	TEREDO_CMD_DEV_GET,
	TEREDO_CMD_PEER_GET,
	TEREDO_CMD_PEER_DEL,
	TEREDO_CMD_STATE_NTF,	/* notification, events group */
	TEREDO_CMD_PEER_NTF,	/* notification, events group */
	TEREDO_CMD_WAKE_NTF,	/* notification, events group */
	__TEREDO_CMD_MAX
};

#define TEREDO_CMD_MAX (__TEREDO_CMD_MAX - 1)

enum teredo_attr {
	TEREDO_A_UNSPEC,
	TEREDO_A_IFINDEX,	/* u32 */
	TEREDO_A_IFNAME,	/* string */
	TEREDO_A_MODE,		/* u8, enum teredo_mode */
	TEREDO_A_PEER_COUNT,	/* u32; a server: RS sources tracked */
	TEREDO_A_STATS,		/* nest of u64, type = enum teredo_stat */
	TEREDO_A_PEER,		/* nest of enum teredo_peer_attr */
	TEREDO_A_PAD,
	/* in notifications (see above) */
	TEREDO_A_EVENT,		/* u8, enum teredo_event */
	TEREDO_A_STATE,		/* u8, enum teredo_state (if_teredo.h) */
	TEREDO_A_REASON,	/* u8, enum teredo_reason */
	TEREDO_A_NAT,		/* u8, enum teredo_nat */
	TEREDO_A_ADDRESS,	/* 16 bytes, the Teredo address in use */
	TEREDO_A_MAPPED,	/* __be32 */
	TEREDO_A_MAPPED_PORT,	/* __be16 */
	TEREDO_A_HELD_BYTES,	/* u64, truesize of held packets, all peers */
	TEREDO_A_HOLD_LIMIT,	/* u32, the most it may be (hold-limit) */
	__TEREDO_A_MAX
};

#define TEREDO_A_MAX (__TEREDO_A_MAX - 1)

enum teredo_peer_attr {
	TEREDO_PEER_A_UNSPEC,
	TEREDO_PEER_A_ADDR,		/* 16 bytes, IPv6 */
	TEREDO_PEER_A_MAPPED_ADDR,	/* __be32 */
	TEREDO_PEER_A_MAPPED_PORT,	/* __be16 */
	TEREDO_PEER_A_TRUSTED,		/* u8, 0 or 1 */
	TEREDO_PEER_A_LAST_RX,		/* u32 ms ago */
	TEREDO_PEER_A_LAST_TX,		/* u32 ms ago */
	TEREDO_PEER_A_BUBBLES,		/* u32, bubbles in the current budget */
	TEREDO_PEER_A_QUEUED_BYTES,	/* u32 */
	TEREDO_PEER_A_RX_PACKETS,	/* u64 */
	TEREDO_PEER_A_RX_BYTES,		/* u64 */
	TEREDO_PEER_A_TX_PACKETS,	/* u64 */
	TEREDO_PEER_A_TX_BYTES,		/* u64 */
	TEREDO_PEER_A_PAD,
	TEREDO_PEER_A_LOCAL_PORT,	/* __be16, a client's random port
					 * for the peer (RFC 6081 §5.4)
					 */
	__TEREDO_PEER_A_MAX
};

#define TEREDO_PEER_A_MAX (__TEREDO_PEER_A_MAX - 1)

/* What TEREDO_CMD_PEER_NTF reports. */
enum teredo_event {
	TEREDO_EVENT_UNSPEC,
	TEREDO_EVENT_TRUSTED,		/* a peer answered: traffic flows */
	TEREDO_EVENT_EVICTED,		/* removed to make room (max-peers) */
	TEREDO_EVENT_UNREACHABLE,	/* never answered its bubbles */
	__TEREDO_EVENT_MAX
};

#define TEREDO_EVENT_MAX (__TEREDO_EVENT_MAX - 1)

/* Per-device counters: why packets were dropped, and protocol events. */
enum teredo_stat {
	TEREDO_STAT_UNSPEC,		/* also the padding type in the nest */
	TEREDO_STAT_RX_TRUNCATED,	/* shorter than the headers it starts */
	TEREDO_STAT_RX_BAD_HEADER,	/* neither IPv6 nor 00 00 nor 00 01 */
	TEREDO_STAT_RX_BAD_VERSION,	/* inner IP version is not 6 */
	TEREDO_STAT_RX_BAD_LENGTH,	/* 40 + payload length > UDP payload */
	TEREDO_STAT_RX_AUTH,		/* authentication header not expected */
	TEREDO_STAT_RX_ORIGIN,		/* origin indication not expected */
	TEREDO_STAT_RX_LINK_LOCAL,	/* link-local source, not a bubble */
	TEREDO_STAT_RX_MULTICAST,	/* multicast source or destination */
	TEREDO_STAT_RX_NOT_TEREDO,	/* source is not a Teredo address */
	TEREDO_STAT_RX_MAPPING,		/* embedded mapping != outer source */
	TEREDO_STAT_RX_NOT_GLOBAL,	/* source IPv4 is not global unicast */
	TEREDO_STAT_RX_UNKNOWN_PEER,	/* no peer entry (relay) */
	TEREDO_STAT_RX_NO_MEMORY,
	TEREDO_STAT_RX_BUBBLES,		/* event: bubbles consumed */
	TEREDO_STAT_TX_NOT_IPV6,
	TEREDO_STAT_TX_MULTICAST,	/* multicast destination */
	TEREDO_STAT_TX_NOT_TEREDO,	/* native destination on a relay */
	TEREDO_STAT_TX_NOT_GLOBAL,	/* embedded IPv4 is not global */
	TEREDO_STAT_TX_QUEUE_FULL,	/* per-peer queue bound reached */
	TEREDO_STAT_TX_PEERS_FULL,	/* max-peers reached, none evictable */
	TEREDO_STAT_TX_UNREACHABLE,	/* queued, the peer never answered */
	TEREDO_STAT_TX_NO_ROUTE,	/* no IPv4 route to the mapping */
	TEREDO_STAT_TX_NO_SOCKET,	/* no UDP socket (yet) */
	TEREDO_STAT_TX_NO_MEMORY,
	TEREDO_STAT_TX_BUBBLES,		/* event: bubbles sent */
	TEREDO_STAT_TX_BUBBLES_LIMITED,	/* bubble held back by rate limits */
	TEREDO_STAT_TX_ICMP,		/* event: ICMPv6 errors sent */
	TEREDO_STAT_PEERS_EVICTED,	/* event: evicted at max-peers */
	/* client */
	TEREDO_STAT_RX_NOT_QUALIFIED,	/* arrived while not qualified */
	TEREDO_STAT_RX_NOT_OURS,	/* destination is not our address */
	TEREDO_STAT_RX_UNVERIFIED,	/* held, its source never proven */
	TEREDO_STAT_RX_TO_HELPER,	/* event: RA or auth to teredod */
	TEREDO_STAT_TX_NOT_QUALIFIED,	/* sent while not qualified */
	TEREDO_STAT_TX_ECHO_TESTS,	/* event: direct connectivity tests */
	TEREDO_STAT_RX_ECHO_REPLIES,	/* event: echo tests answered */
	/* server */
	TEREDO_STAT_RX_NOT_ICMP,	/* neither a bubble nor ICMPv6 */
	TEREDO_STAT_RX_NOT_SERVED,	/* fails every acceptance rule */
	TEREDO_STAT_RX_LOOP,		/* from or to our own address:3544 */
	TEREDO_STAT_RX_TOO_BIG,		/* non-bubble payload over 88 bytes */
	TEREDO_STAT_RX_BAD_RS,		/* malformed Router Solicitation */
	TEREDO_STAT_RX_RATELIMITED,	/* RS over the per-source rate */
	TEREDO_STAT_TX_RA,		/* event: Router Advertisements sent */
	TEREDO_STAT_TX_FORWARDED,	/* event: relayed to a client */
	TEREDO_STAT_TX_NATIVE,		/* event: sent out as native IPv6 */
	TEREDO_STAT_RX_PEERS_FULL,	/* max-peers, none evictable */
	TEREDO_STAT_RX_BAD_SOURCE,	/* no peer has it: ::, ::1... */
	TEREDO_STAT_TX_HELD,		/* event: held while dormant */
	TEREDO_STAT_TX_BAD_SOURCE,	/* client: not from our address */
	TEREDO_STAT_HOLD_LIMIT,		/* the device's hold-limit is reached */
	TEREDO_STAT_RX_TRAILER,		/* RFC 6081 trailer type 01xxxxxx */
	TEREDO_STAT_RX_DISCOVERY,	/* event: local discovery bubbles */
	TEREDO_STAT_RX_BAD_DISCOVERY,	/* discovery bubble fails a check */
	TEREDO_STAT_TX_DISCOVERY,	/* event: discovery bubbles sent */
	/* client, RFC 6081 §5.2 and §5.6 */
	TEREDO_STAT_RX_BAD_NONCE,	/* from elsewhere, nonce/key unknown */
	TEREDO_STAT_RX_MOVED,		/* event: a nonce or key moved a peer */
	TEREDO_STAT_TX_NONCES,		/* event: bubbles with a nonce */
	TEREDO_STAT_TX_ALTERNATES,	/* event: to alternate addresses */
	/* client, RFC 6081 §5.7 (server load reduction) */
	TEREDO_STAT_TX_SOLICITATIONS,	/* event: ND solicitations sent */
	TEREDO_STAT_TX_ADVERTISEMENTS,	/* event: ND advertisements sent */
	TEREDO_STAT_RX_ADVERTISEMENTS,	/* event: ND advertisements taken */
	TEREDO_STAT_SLR_FALLBACKS,	/* event: SLR unanswered */
	/* client, RFC 6081 §5.4 (port-preserving symmetric NAT) */
	TEREDO_STAT_RX_RANDOM_PORTS,	/* event: Random Port trailers kept */
	TEREDO_STAT_TX_RANDOM_PORTS,	/* event: ours sent, in bubbles */
	TEREDO_STAT_RANDOM_PORTS_FULL,	/* event: a peer got none, all used */
	TEREDO_STAT_RANDOM_PORTS_FAILED, /* event: one could not be made */
	/* client, RFC 6081 §5.5 (sequential symmetric NAT) */
	TEREDO_STAT_TX_PORT_TESTS,	/* event: echo tests (RS pairs) sent */
	TEREDO_STAT_PORT_PREDICTIONS,	/* event: a public port guessed */
	__TEREDO_STAT_MAX
};

#define TEREDO_STAT_MAX (__TEREDO_STAT_MAX - 1)

#endif /* _UAPI_LINUX_TEREDO_GENL_H */
