/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_RATELIMITER_H
#define _TEREDO_RATELIMITER_H

#include <linux/atomic.h>
#include <linux/siphash.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

/* A token bucket per source IPv4 address; see ratelimiter.c. */
struct teredo_ratelimiter {
	struct hlist_head *table;	/* NULL until initialised */
	spinlock_t lock;		/* inserts and removals */
	atomic_t entries;
	hsiphash_key_t key;
	struct delayed_work gc;
};

int teredo_ratelimiter_init(struct teredo_ratelimiter *rl);
void teredo_ratelimiter_uninit(struct teredo_ratelimiter *rl);
bool teredo_ratelimiter_allow(struct teredo_ratelimiter *rl, __be32 addr,
			      unsigned int max_entries);

#endif /* _TEREDO_RATELIMITER_H */
