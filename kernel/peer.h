/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_PEER_H
#define _TEREDO_PEER_H

#include <linux/err.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <net/dst_cache.h>

#include "uapi/linux/teredo_genl.h"

struct teredo_dev;

/*
 * A Teredo peer: a client a relay talks to, or a peer of a client.
 * Lookups are lockless (RCU); the data path reads @mapping, @trusted and
 * @last_rx with READ_ONCE, everything that changes them holds @lock.
 */
struct teredo_peer {
	struct rhash_head node;		/* in teredo_peers.table */
	struct list_head list;		/* in teredo_peers.list, oldest first */
	struct in6_addr addr;		/* the key */
	struct teredo_dev *t;
	refcount_t refcount;
	spinlock_t lock;		/* protects all below */
	u64 mapping;			/* IPv4 << 16 | port, network order */
	bool trusted;
	bool dead;			/* unhashed, waiting for RCU */
	unsigned long last_rx;		/* jiffies; 0 = never */
	unsigned long last_tx;
	unsigned long last_bubble;
	unsigned int bubbles;		/* sent in the current budget */
	unsigned int retries;		/* bubble rounds for this queue */
	u64 nonce;			/* of our echo tests (native peer) */
	struct sk_buff_head queue;	/* waiting for trust; under @lock */
	unsigned int queued_bytes;
	struct timer_list bubble_timer;
	struct dst_cache dst_cache;
	atomic64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	struct rcu_head rcu;
};

/*
 * A packet held while its peer is untrusted: one we send, or (client)
 * one received from a native peer whose relay is not verified yet.
 */
struct teredo_skb_cb {
	u64 from;			/* inbound: the mapping it came from */
	u16 offset;			/* inbound: IPv6 header offset */
	bool inbound;
};

static inline struct teredo_skb_cb *teredo_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct teredo_skb_cb) > sizeof(skb->cb));
	return (struct teredo_skb_cb *)skb->cb;
}

/* The peer table of a device: bounded, lockless to read. */
struct teredo_peers {
	struct rhashtable table;
	struct list_head list;		/* under @lock */
	spinlock_t lock;		/* serialises insertion and removal */
	unsigned int count;		/* under @lock */
};

static inline u64 teredo_mapping(__be32 addr, __be16 port)
{
	return (u64)(__force u32)addr << 16 | (__force u16)port;
}

static inline __be32 teredo_mapping_addr(u64 mapping)
{
	return (__force __be32)(u32)(mapping >> 16);
}

static inline __be16 teredo_mapping_port(u64 mapping)
{
	return (__force __be16)(u16)mapping;
}

int teredo_peers_init(struct teredo_peers *peers);
void teredo_peers_uninit(struct teredo_peers *peers);
struct teredo_peer *teredo_peer_lookup(struct teredo_peers *peers,
				       const struct in6_addr *addr);
struct teredo_peer *teredo_peer_create(struct teredo_dev *t,
				       const struct in6_addr *addr,
				       u64 mapping);
void teredo_peer_remove(struct teredo_peer *peer);

/* Why teredo_peer_create() returned @err, as a drop reason. */
static inline enum teredo_stat teredo_peer_rx_error(const void *err)
{
	return PTR_ERR(err) == -ENOSPC ? TEREDO_STAT_RX_PEERS_FULL :
					 TEREDO_STAT_RX_NO_MEMORY;
}

static inline enum teredo_stat teredo_peer_tx_error(const void *err)
{
	return PTR_ERR(err) == -ENOSPC ? TEREDO_STAT_TX_PEERS_FULL :
					 TEREDO_STAT_TX_NO_MEMORY;
}

void teredo_peers_flush(struct teredo_dev *t);
int teredo_peer_del(struct teredo_dev *t, const struct in6_addr *addr);
void teredo_peers_collect(struct teredo_dev *t);
void teredo_peer_put(struct teredo_peer *peer);

static inline void teredo_peer_get(struct teredo_peer *peer)
{
	refcount_inc(&peer->refcount);
}

bool teredo_peer_is_fresh(const struct teredo_peer *peer);
void teredo_peer_queue(struct teredo_peer *peer, struct sk_buff *skb);
void teredo_peer_hold_received(struct teredo_peer *peer, struct sk_buff *skb,
			       unsigned int offset, u64 mapping);
void teredo_peer_trust(struct teredo_peer *peer, u64 mapping);
void teredo_peer_received(struct teredo_peer *peer, u64 mapping);

int teredo_peer_cache_init(void);
void teredo_peer_cache_uninit(void);

#endif /* _TEREDO_PEER_H */
