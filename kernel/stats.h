/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-device counters of drop reasons and protocol events, per cpu so the
 * data path never shares a cache line for them.  Read by netlink.c.
 */
#ifndef _TEREDO_STATS_H
#define _TEREDO_STATS_H

#include <linux/netdevice.h>
#include <linux/percpu.h>
#include <linux/skbuff.h>

#include "device.h"
#include "uapi/linux/teredo_genl.h"

struct teredo_stats {
	u64 count[__TEREDO_STAT_MAX];
};

static inline void teredo_stat_inc(struct teredo_dev *t, enum teredo_stat s)
{
	this_cpu_inc(t->stats->count[s]);
}

void teredo_stats_sum(const struct teredo_dev *t,
		      u64 sum[__TEREDO_STAT_MAX]);

/* A received packet that goes no further: counted twice, never logged
 * more than the rate limit allows.
 */
void teredo_rx_drop(struct teredo_dev *t, struct sk_buff *skb,
		    enum teredo_stat why);
void teredo_tx_drop(struct teredo_dev *t, struct sk_buff *skb,
		    enum teredo_stat why);

#endif /* _TEREDO_STATS_H */
