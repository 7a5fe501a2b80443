/* SPDX-License-Identifier: GPL-2.0 */
/*
 * teredoctl's netlink side: rtnetlink for the links and their
 * IFLA_INFO_DATA, generic netlink family "teredo" for counters and peers.
 * Replies are parsed into the plain structs below and nothing here prints,
 * so the formatting (format.c) can be tested without a kernel and the
 * parsers can be fed hand-built messages.
 */
#ifndef _TEREDOCTL_NL_H
#define _TEREDOCTL_NL_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/netlink.h>
#include <linux/types.h>

#include <linux/if_teredo.h>
#include <linux/teredo_genl.h>

#include "lib/nl.h"

/* A link of kind "teredo" as RTM_NEWLINK describes it. */
struct link_info {
	unsigned int ifindex;
	char ifname[IFNAMSIZ];
	unsigned int flags;		/* IFF_* */
	unsigned int present;		/* 1 << IFLA_TEREDO_* that came */
	__u8 mode;			/* enum teredo_mode */
	__be32 server;
	__be32 server2;
	__be32 local;
	__be32 local2;
	__be16 port;
	__u32 refresh;
	__u32 max_peers;
	/* A client's qualification, as its helper pushed it. */
	__u8 state;			/* enum teredo_state */
	__u8 reason;			/* enum teredo_reason */
	__u8 nat;			/* enum teredo_nat */
	__u8 portmap;			/* enum teredo_portmap */
	__be32 portmap_gw;		/* its router */
	__be32 mapped;			/* the NAT's public address and port */
	__be16 mapped_port;
	struct in6_addr address;	/* the Teredo address in use */
	__u32 next_refresh;		/* seconds to the next RS */
	/* The socket in use (any mode; a client's while teredod runs). */
	__be32 bound;
	__be16 bound_port;
	/* RFC 6081 §5.6: our LAN address for peers behind our NAT. */
	__be32 alternate;
	__be16 alternate_port;
};

/*
 * Room for counters a newer module may add after TEREDO_STAT_MAX: they
 * are kept and shown by number rather than silently dropped.
 */
#define NSTATS	96

/* A TEREDO_CMD_DEV_GET reply. */
struct dev_info {
	__u32 ifindex;
	char ifname[IFNAMSIZ];
	unsigned int present;		/* 1 << TEREDO_A_* that came */
	__u8 mode;
	__u32 peer_count;
	__u64 held_bytes;
	__u32 hold_limit;
	__u64 stats[NSTATS];		/* by enum teredo_stat */
};

/* One TEREDO_CMD_PEER_GET reply. */
struct peer_info {
	__u32 ifindex;			/* TEREDO_A_IFINDEX, 0 if absent */
	unsigned int present;		/* 1 << TEREDO_PEER_A_* that came */
	struct in6_addr addr;
	__be32 mapped;
	__be16 port;
	__u8 trusted;			/* 0 or 1 */
	__u32 last_rx;			/* ms ago, U32_MAX = never */
	__u32 last_tx;
	__u32 bubbles;
	__u32 queued;
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__be16 local_port;		/* a client's random port for it */
};

/* A notification of the "events" group (TEREDO_CMD_*_NTF). */
struct event_info {
	__u8 cmd;			/* TEREDO_CMD_STATE_NTF, _PEER_NTF */
	__u32 ifindex;
	char ifname[IFNAMSIZ];
	unsigned int present;		/* 1 << TEREDO_A_* that came */
	__u8 event;			/* enum teredo_event */
	__u8 state;			/* enum teredo_state */
	__u8 reason;
	__u8 nat;
	struct in6_addr address;
	__be32 mapped;
	__be16 mapped_port;
	struct peer_info peer;		/* PEER_NTF: its TEREDO_A_PEER */
};

struct mnl_socket;

#define HAS(info, attr)	(!!((info)->present & (1U << (attr))))

struct nl {
	struct mnl_socket *rt;		/* NETLINK_ROUTE */
	struct mnl_socket *gen;		/* NETLINK_GENERIC, on first use */
	__u16 family;			/* "teredo", 0 until resolved */
	__u32 events;			/* its "events" group, 0: none */
	struct nl_io io;		/* ->extack, ->dump_intr: last request */
};

/* All return 0 (or a count) on success, -errno on failure. */
int nl_open(struct nl *nl);
void nl_close(struct nl *nl);

/*
 * The teredo links of the netns, or only @name (NULL: all).  Returns how
 * many, 0 when @name does not exist or is not a teredo link; *out is
 * malloc()ed.
 */
int nl_links(struct nl *nl, const char *name, struct link_info **out);

/* Resolves the genl family: -ENOENT when the module does not offer it. */
int nl_family(struct nl *nl);
int nl_dev_get(struct nl *nl, unsigned int ifindex, struct dev_info *di);
/* Returns the number of peers; *out is malloc()ed. */
int nl_peers(struct nl *nl, unsigned int ifindex, struct peer_info **out);
/* @addr NULL removes every peer of the device. */
int nl_peer_del(struct nl *nl, unsigned int ifindex,
		const struct in6_addr *addr);

/*
 * Parsers of single reply messages.  nl_parse_link() returns 1 for a
 * teredo link, 0 for any other; the others return 0.  All return -EINVAL
 * for a message too short to hold its fixed header.  Attributes of the
 * wrong size are left out of ->present rather than trusted.
 */
int nl_parse_link(const struct nlmsghdr *nlh, struct link_info *li);
int nl_parse_dev(const struct nlmsghdr *nlh, struct dev_info *di);
int nl_parse_peer(const struct nlmsghdr *nlh, struct peer_info *pi);
/* 1 for an event, 0 for another message. */
int nl_parse_event(const struct nlmsghdr *nlh, struct event_info *ev);

/*
 * Joins the "events" group and hands each event to @cb until @cb returns
 * non-zero (returned) or an error (-errno).
 */
int nl_monitor(struct nl *nl, int (*cb)(const struct event_info *ev,
					void *data), void *data);

#endif /* _TEREDOCTL_NL_H */
