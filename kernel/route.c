// SPDX-License-Identifier: GPL-2.0
/*
 * Routes to peers' mappings, cached per CPU for the whole device.
 *
 * A per-peer dst_cache costs a per-CPU allocation for every peer: at a
 * million peers on 64 CPUs, gigabytes, and an allocation under the
 * per-CPU allocator's lock for every new peer.  What it saves is the FIB
 * lookup, and the clients of a relay sit behind a few next hops.  So the
 * device keeps one small table per CPU instead, indexed by a hash of the
 * destination: a fixed cost per CPU whatever the size of the peer table.
 * A busy peer hits its slot; a table of a million idle ones costs a FIB
 * lookup now and then.
 *
 * A slot is good for its destination, for the socket it was filled for
 * (the generation, which a client's new socket bumps), and while the
 * route is not obsolete (dst_check(), which a FIB change trips).  Being
 * keyed by destination, a slot never outlives a peer's move: the moved
 * peer simply looks up another slot.
 *
 * Lifetime: each slot holds a reference to its route.  A route whose
 * device goes away is moved to the blackhole device by the core, so a
 * slot never holds a device.  The table goes in the device's destructor,
 * after the core's grace period, when no sender can be left.
 */

#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/percpu.h>
#include <net/dst.h>
#include <net/route.h>

#include "route.h"

#define SLOTS	BIT(TEREDO_ROUTE_SLOTS_BITS)

int teredo_routes_init(struct teredo_routes *routes)
{
	routes->gen = 0;
	routes->slots = __alloc_percpu(sizeof(struct teredo_route_slot) * SLOTS,
				       __alignof__(struct teredo_route_slot));
	return routes->slots ? 0 : -ENOMEM;
}

void teredo_routes_uninit(struct teredo_routes *routes)
{
	struct teredo_route_slot *slot;
	unsigned int i;
	int cpu;

	if (!routes->slots)
		return;
	for_each_possible_cpu(cpu) {
		slot = per_cpu_ptr(routes->slots, cpu);
		for (i = 0; i < SLOTS; i++)
			if (slot[i].rt)
				ip_rt_put(slot[i].rt);
	}
	free_percpu(routes->slots);
	routes->slots = NULL;
}

/*
 * Read before the socket: a sender that sees the new generation sees
 * the new socket (teredo_routes_invalidate() orders them the other way).
 */
u32 teredo_routes_gen(const struct teredo_routes *routes)
{
	/* Pairs with the release in teredo_routes_invalidate(). */
	return smp_load_acquire(&routes->gen);
}

/* After the device's socket changed: every slot filled before is stale. */
void teredo_routes_invalidate(struct teredo_routes *routes)
{
	/* The new socket is published before the generation that says so. */
	smp_store_release(&routes->gen, routes->gen + 1);
}

static struct teredo_route_slot *slot_of(struct teredo_routes *routes,
					 __be32 daddr)
{
	return this_cpu_ptr(routes->slots) +
	       hash_32((__force u32)daddr, TEREDO_ROUTE_SLOTS_BITS);
}

/**
 * teredo_route_get - a cached route to @daddr
 * @routes: the device's cache
 * @daddr: the destination
 * @gen: from teredo_routes_gen(), read before the socket
 * @saddr: filled with the source the route chose
 *
 * Context: BH disabled (the slots are this CPU's).
 * Return: the route with a reference for the caller, or NULL.
 */
struct rtable *teredo_route_get(struct teredo_routes *routes, __be32 daddr,
				u32 gen, __be32 *saddr)
{
	struct teredo_route_slot *slot = slot_of(routes, daddr);
	struct rtable *rt = slot->rt;

	if (!rt || slot->daddr != daddr || slot->gen != gen)
		return NULL;
	if (unlikely(!dst_check(&rt->dst, 0))) {
		slot->rt = NULL;
		ip_rt_put(rt);
		return NULL;
	}
	dst_hold(&rt->dst);
	*saddr = slot->saddr;
	return rt;
}

/* Keep @rt (the caller keeps its own reference).  Context: BH disabled. */
void teredo_route_set(struct teredo_routes *routes, struct rtable *rt,
		      __be32 daddr, __be32 saddr, u32 gen)
{
	struct teredo_route_slot *slot = slot_of(routes, daddr);
	struct rtable *old = slot->rt;

	dst_hold(&rt->dst);
	slot->rt = rt;
	slot->daddr = daddr;
	slot->saddr = saddr;
	slot->gen = gen;
	if (old)
		ip_rt_put(old);
}
