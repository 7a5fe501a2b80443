/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Port mapping on the router (RFC 6081 §4.3, §5.3): the pure part that
 * the unit tests link (no library, no system call): the --port-mapping
 * and PORT_MAPPING= words, when a mapping is renewed, what the log and
 * teredoctl call it.  portmap.c talks to the router.
 */
#ifndef _TEREDOD_PMCONF_H
#define _TEREDOD_PMCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/if_teredo.h>

/* What the user asked for. */
enum pm_mode {
	PM_MODE_OFF,		/* the default: no port is opened */
	PM_MODE_AUTO,		/* UPnP IGD, then NAT-PMP, then PCP */
	PM_MODE_UPNP,
	PM_MODE_NATPMP,
	PM_MODE_PCP,
};

/* What is in use: what the kernel reports (IFLA_TEREDO_PORTMAP). */
enum pm_method {
	PM_NONE = TEREDO_PORTMAP_NONE,
	PM_UPNP = TEREDO_PORTMAP_UPNP,
	PM_NATPMP = TEREDO_PORTMAP_NATPMP,
	PM_PCP = TEREDO_PORTMAP_PCP,
};

enum {
	/* Asked of the router, seconds.  RFC 6081 §5.3 asks UPnP for a
	 * permanent lease (0); a lease that is renewed instead goes away by
	 * itself when teredod dies without deleting it.  7200 s is RFC
	 * 6886's recommendation for NAT-PMP. */
	PM_UPNP_LEASE = 3600,
	PM_NATPMP_LIFETIME = 7200,
	PM_PCP_LIFETIME = 7200,
	/* A permanent mapping is added again this often (the router may
	 * have restarted), ms. */
	PM_PERMANENT_RECHECK = 1800 * 1000,
	/* Renewal: at half the lifetime, not sooner than this, ms. */
	PM_RENEW_MIN = 10 * 1000,
	/* After a failed renewal, ms. */
	PM_RETRY = 30 * 1000,
	/* No router answered: asked again this much later, ms. */
	PM_RETRY_OPEN = 30 * 1000,
};

/* "auto", "upnp", "natpmp", "pcp", "off" (also "no", "none"): 0, or -1. */
int pm_mode_parse(const char *s, enum pm_mode *mode);
const char *pm_mode_name(enum pm_mode mode);
/* "UPnP", "NAT-PMP", "PCP", "none". */
const char *pm_method_name(enum pm_method m);
/*
 * Milliseconds from a grant of @lifetime seconds (0: permanent) to its
 * renewal: half of it (RFC 6886 §3.3 renews at half too), at least
 * PM_RENEW_MIN, or PM_PERMANENT_RECHECK for a permanent one.
 */
uint64_t pm_renew_ms(uint32_t lifetime);
/* The IPv4 host of "http://A.B.C.D[:port]/..." (an IGD's control URL). */
bool pm_url_host(const char *url, __be32 *addr);
/* "UPnP mapping via 10.0.0.1" into @buf. */
const char *pm_describe(char *buf, size_t size, enum pm_method m,
			__be32 gateway);

#endif /* _TEREDOD_PMCONF_H */
