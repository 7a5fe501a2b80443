/* SPDX-License-Identifier: GPL-2.0 */
/*
 * teredod's rtnetlink side: the device's configuration, the socket
 * handoff and the state pushed into the kernel (IFLA_TEREDO_*, see
 * if_teredo.h), and what the helper puts on the device: addr_gen_mode,
 * up, addresses, routes.  Every function returns 0 or -errno; the
 * kernel's extack message, if any, is in k->io.extack.
 */
#ifndef _TEREDOD_KERNEL_H
#define _TEREDOD_KERNEL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/if.h>
#include <linux/types.h>

#include "lib/nl.h"
#include "qualify.h"

struct mnl_socket;

struct kdev {
	struct mnl_socket *nl;		/* requests */
	/* RTNLGRP_LINK (RTM_DELLINK, refresh), RTNLGRP_IPV4_IFADDR and
	 * _ROUTE (the path to the server), RTNLGRP_IPV6_IFADDR and _ROUTE
	 * (native IPv6) */
	struct mnl_socket *mon;
	/* genl family "teredo", its "events" group: TEREDO_CMD_WAKE_NTF */
	struct mnl_socket *events;
	uint16_t family;
	int ifindex;
	char name[IFNAMSIZ];
	struct nl_io io;		/* ->extack: the last error's message */
};

/* The device's configuration, from RTM_GETLINK. */
struct kconfig {
	bool teredo;			/* kind "teredo" */
	int mode;			/* enum teredo_mode */
	__be32 server, server2, local;
	__be16 port;
	uint32_t refresh;
	unsigned int flags;		/* IFF_* */
	unsigned int mtu;		/* IFLA_MTU */
	uint64_t packets;		/* rx + tx, IFLA_STATS64 */
	bool attached;			/* a socket is attached (BOUND) */
	__be32 bound;			/* and bound to this address */
	__be16 bound_port;		/* and port */
};

/* How IPv4 reaches an address (RTM_GETROUTE): what a client depends on. */
struct kpath {
	int err;			/* 0, or why there is no route */
	int oif;
	__be32 src;			/* preferred source */
	__be32 gateway;			/* 0: on link */
};

int kernel_open(struct kdev *k, const char *name);
void kernel_close(struct kdev *k);
int kernel_get_config(struct kdev *k, struct kconfig *cfg);
/* IFLA_TEREDO_FD. */
int kernel_attach(struct kdev *k, int fd);
/* Local discovery's socket, on port 3544 (IFLA_TEREDO_DISCOVERY_FD). */
int kernel_attach_discovery(struct kdev *k, int fd);
/* IFLA_TEREDO_SERVER and SERVER2: the client's server (only while not
 * qualified nor dormant: the kernel refuses otherwise). */
int kernel_set_server(struct kdev *k, __be32 server, __be32 server2);
/* The state attributes of @st (mapping and refresh only when qualified). */
int kernel_push(struct kdev *k, const struct qual_status *st);
/* addr_gen_mode none, accept_ra 0, router_solicitations 0, then up. */
int kernel_link_setup(struct kdev *k);
/* RTM_NEWADDR (replace) or RTM_DELADDR, no DAD. */
int kernel_addr(struct kdev *k, bool add, const struct in6_addr *a,
		unsigned int plen);
/* Deletes every 2001::/32 address of the device except @keep (or all). */
int kernel_addr_flush_teredo(struct kdev *k, const struct in6_addr *keep);
/* RTM_NEWROUTE (replace) or RTM_DELROUTE of @dst/@plen dev k. */
int kernel_route(struct kdev *k, bool add, const struct in6_addr *dst,
		 unsigned int plen, uint32_t metric);
/* IFLA_MTU of the device. */
int kernel_set_mtu(struct kdev *k, unsigned int mtu);
/* The route the kernel picks towards @dst; errors go into @p->err. */
int kernel_path(struct kdev *k, __be32 dst, struct kpath *p);
/*
 * Native IPv6 (RFC 4380 §5.5): another interface with a default route
 * (::/0, main table) and a global address.  Returns 1 and its name in
 * @ifname, 0 when there is none, or -errno.
 */
int kernel_native_ipv6(struct kdev *k, char ifname[IFNAMSIZ]);

/*
 * Joins the genl "events" group of the teredo family: -ENOENT without the
 * family, -EOPNOTSUPP without the group (an older module).
 */
int kernel_events_open(struct kdev *k);
/* -1 until kernel_events_open() succeeded. */
int kernel_events_fd(struct kdev *k);
/* Reads what came; true when the device was asked to wake up. */
bool kernel_events_wake(struct kdev *k);

/* What kernel_monitor() saw. */
struct kevents {
	bool gone;			/* the device was deleted */
	bool refresh;			/* a new refresh interval, in the cfg */
	bool server;			/* another server, in the cfg */
	bool net4;			/* an IPv4 address or route changed */
	bool net6;			/* an IPv6 address or route changed */
};

/* Fd to poll for link, IPv4 and IPv6 events; kernel_monitor() reads
 * them all. */
int kernel_monitor_fd(struct kdev *k);
void kernel_monitor(struct kdev *k, struct kconfig *cfg, struct kevents *ev);

#endif /* _TEREDOD_KERNEL_H */
