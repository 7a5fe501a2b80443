/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port mapping on the router (RFC 6081 §4.3, §5.3): a UDP mapping of the
 * client's port through UPnP IGD (libminiupnpc), NAT-PMP (libnatpmp) or
 * PCP (RFC 6887, pcp.c), renewed before it expires, deleted when teredod
 * stops.  The calls
 * block (SSDP discovery up to PM_DISCOVER_MS, each request up to a few
 * seconds): at start, at each renewal and at exit, never per packet.
 */
#ifndef _TEREDOD_PORTMAP_H
#define _TEREDOD_PORTMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "pmconf.h"

enum {
	PM_DISCOVER_MS = 2000,		/* SSDP M-SEARCH wait */
	PM_NATPMP_WAIT_MS = 3000,	/* one NAT-PMP request, retries incl. */
	PM_PCP_WAIT_MS = 3000,		/* one PCP request, retries incl. */
};

struct pm_upnp;

struct portmap {
	enum pm_mode mode;
	enum pm_method method;		/* PM_NONE: no mapping */
	__be32 gateway;			/* the router that holds it */
	__be32 ext_addr;		/* its public address */
	__be16 ext_port;		/* and port */
	__be16 int_port;		/* ours */
	uint32_t lifetime;		/* granted, s; 0 = permanent */
	uint64_t renew_at;		/* ms, monotonic; UINT64_MAX: none */
	uint64_t expires_at;
	struct pm_upnp *upnp;		/* the IGD found, while UPnP */
	uint8_t pcp_nonce[12];		/* names the mapping, while PCP */
	char why[256];			/* why there is none */
};

/* Asks for a mapping of @port (UDP) per @mode; true with one.  Logs
 * what it does.  Without one, pm->renew_at says when to ask again
 * (PM_RETRY_OPEN later), unless @mode is off. */
bool pm_open(struct portmap *pm, enum pm_mode mode, __be16 port,
	     uint64_t now);
/* Renews it (due at pm->renew_at); false when the router refused and
 * the mapping has expired: the caller qualifies without it. */
bool pm_renew(struct portmap *pm, uint64_t now);
/* Deletes it from the router. */
void pm_close(struct portmap *pm);

#endif /* _TEREDOD_PORTMAP_H */
