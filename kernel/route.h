/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_ROUTE_H
#define _TEREDO_ROUTE_H

#include <linux/types.h>

struct rtable;

/* Routes cached per CPU and device; see route.c. */
#define TEREDO_ROUTE_SLOTS_BITS	6

struct teredo_route_slot {
	struct rtable *rt;		/* holds a reference */
	__be32 daddr;
	__be32 saddr;			/* the source the route chose */
	u32 gen;			/* teredo_routes.gen when filled */
};

struct teredo_routes {
	/* 1 << TEREDO_ROUTE_SLOTS_BITS of them per CPU */
	struct teredo_route_slot __percpu *slots;
	u32 gen;			/* bumped when the socket changes */
};

int teredo_routes_init(struct teredo_routes *routes);
void teredo_routes_uninit(struct teredo_routes *routes);
u32 teredo_routes_gen(const struct teredo_routes *routes);
void teredo_routes_invalidate(struct teredo_routes *routes);
struct rtable *teredo_route_get(struct teredo_routes *routes, __be32 daddr,
				u32 gen, __be32 *saddr);
void teredo_route_set(struct teredo_routes *routes, struct rtable *rt,
		      __be32 daddr, __be32 saddr, u32 gen);

#endif /* _TEREDO_ROUTE_H */
