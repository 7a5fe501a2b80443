// SPDX-License-Identifier: GPL-2.0
/*
 * Per-source rate limit of Router Solicitations, so a server cannot be
 * used to reflect Router Advertisements at a spoofed victim (RFC 4380
 * §7.4.1).  The shape is WireGuard's ratelimiter: a hash table keyed by
 * a secret hash of the source, a token bucket per entry, a bounded
 * number of entries and a collector that forgets idle sources.
 *
 * The key is the IPv4 address alone: a spoofing attacker chooses the
 * port freely, and many clients behind one NAT still get RATE each.
 */

#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "ratelimiter.h"

enum {
	RATE = 20,			/* solicitations per second ... */
	BURST = 10,			/* ... after a burst of this many */
	BUCKETS = 4096,
};

#define COST		(NSEC_PER_SEC / RATE)
#define MAX_TOKENS	(COST * BURST)
/* A full bucket refills in BURST / RATE s; idle longer, it is forgotten. */
#define IDLE_NS		(NSEC_PER_SEC * BURST / RATE)

struct entry {
	struct hlist_node node;
	__be32 addr;
	spinlock_t lock;		/* tokens and last */
	u64 last;			/* ns, boottime */
	u64 tokens;			/* ns of credit */
	struct rcu_head rcu;
};

static struct hlist_head *bucket(struct teredo_ratelimiter *rl, __be32 addr)
{
	u32 h = hsiphash_1u32((__force u32)addr, &rl->key);

	return &rl->table[h & (BUCKETS - 1)];
}

static void remove(struct teredo_ratelimiter *rl, struct entry *e)
{
	hlist_del_rcu(&e->node);
	atomic_dec(&rl->entries);
	kfree_rcu(e, rcu);
}

/* Forget sources whose bucket has refilled: they cost nothing to renew. */
static void collect(struct work_struct *work)
{
	struct teredo_ratelimiter *rl = container_of(to_delayed_work(work),
						     struct teredo_ratelimiter,
						     gc);
	u64 now = ktime_get_coarse_boottime_ns();
	struct hlist_node *tmp;
	struct entry *e;
	unsigned int i;

	for (i = 0; i < BUCKETS; i++) {
		/* Most buckets are empty: no lock and no bh toggle for them. */
		if (hlist_empty(&rl->table[i]))
			continue;
		spin_lock_bh(&rl->lock);
		hlist_for_each_entry_safe(e, tmp, &rl->table[i], node) {
			if ((s64)(now - READ_ONCE(e->last)) > (s64)IDLE_NS)
				remove(rl, e);
		}
		spin_unlock_bh(&rl->lock);
		cond_resched();
	}
	queue_delayed_work(system_power_efficient_wq, &rl->gc, HZ);
}

/**
 * teredo_ratelimiter_allow - may this source be answered now
 * @rl: the limiter
 * @addr: the source IPv4 address
 * @max_entries: the most sources tracked (the server's max-peers)
 *
 * A new source starts with a full bucket.  When the table is full a new
 * source is refused: memory stays bounded (a kmalloc-64 object each) and
 * the sources already known keep their service.  Lowering @max_entries
 * frees nothing at once; the collector forgets idle sources within 1 s.
 *
 * Context: softirq, under RCU.
 * Return: true to answer, false to drop.
 */
bool teredo_ratelimiter_allow(struct teredo_ratelimiter *rl, __be32 addr,
			      unsigned int max_entries)
{
	struct hlist_head *head = bucket(rl, addr);
	u64 now = ktime_get_coarse_boottime_ns();
	struct entry *e;
	bool ok;

	hlist_for_each_entry_rcu(e, head, node) {
		u64 tokens;

		if (e->addr != addr)
			continue;
		spin_lock(&e->lock);
		/* Another cpu may have read the clock later than we did. */
		if (now < e->last)
			now = e->last;
		tokens = min_t(u64, MAX_TOKENS, e->tokens + now - e->last);
		ok = tokens >= COST;
		e->tokens = ok ? tokens - COST : tokens;
		WRITE_ONCE(e->last, now);
		spin_unlock(&e->lock);
		return ok;
	}

	if (atomic_inc_return(&rl->entries) > max_entries)
		goto full;
	e = kmalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		goto full;
	e->addr = addr;
	e->last = now;
	e->tokens = MAX_TOKENS - COST;
	spin_lock_init(&e->lock);
	spin_lock(&rl->lock);
	hlist_add_head_rcu(&e->node, head);
	spin_unlock(&rl->lock);
	return true;

full:
	atomic_dec(&rl->entries);
	return false;
}

int teredo_ratelimiter_init(struct teredo_ratelimiter *rl)
{
	unsigned int i;

	rl->table = kvmalloc_array(BUCKETS, sizeof(*rl->table), GFP_KERNEL);
	if (!rl->table)
		return -ENOMEM;
	for (i = 0; i < BUCKETS; i++)
		INIT_HLIST_HEAD(&rl->table[i]);
	spin_lock_init(&rl->lock);
	atomic_set(&rl->entries, 0);
	get_random_bytes(&rl->key, sizeof(rl->key));
	INIT_DELAYED_WORK(&rl->gc, collect);
	queue_delayed_work(system_power_efficient_wq, &rl->gc, HZ);
	return 0;
}

/* Context: no more callers of teredo_ratelimiter_allow(). */
void teredo_ratelimiter_uninit(struct teredo_ratelimiter *rl)
{
	struct hlist_node *tmp;
	struct entry *e;
	unsigned int i;

	if (!rl->table)
		return;
	cancel_delayed_work_sync(&rl->gc);
	spin_lock_bh(&rl->lock);
	for (i = 0; i < BUCKETS; i++) {
		hlist_for_each_entry_safe(e, tmp, &rl->table[i], node)
			remove(rl, e);
	}
	spin_unlock_bh(&rl->lock);
	/* Entries go with kfree_rcu: module exit ends with rcu_barrier(). */
	kvfree(rl->table);
	rl->table = NULL;
}
