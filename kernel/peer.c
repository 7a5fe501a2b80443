// SPDX-License-Identifier: GPL-2.0
/*
 * Peer lifetime and the bounded peer table: creation with eviction at
 * max-peers, trust, queueing while untrusted, removal and collection.
 *
 * A peer is freed after the last of these lets go: the table (one
 * reference from creation until removal), an armed bubble timer (one
 * reference while pending), and RCU readers (free after a grace period).
 */

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "device.h"
#include "events.h"
#include "peer.h"
#include "proto.h"
#include "receive.h"
#include "send.h"
#include "stats.h"
#include "timers.h"

static struct kmem_cache *peer_cache;

static const struct rhashtable_params peer_params = {
	.key_len = sizeof(struct in6_addr),
	.key_offset = offsetof(struct teredo_peer, addr),
	.head_offset = offsetof(struct teredo_peer, node),
	.automatic_shrinking = true,
};

int teredo_peers_init(struct teredo_peers *peers)
{
	INIT_LIST_HEAD(&peers->list);
	spin_lock_init(&peers->lock);
	peers->count = 0;
	return rhashtable_init(&peers->table, &peer_params);
}

void teredo_peers_uninit(struct teredo_peers *peers)
{
	rhashtable_destroy(&peers->table);
}

struct teredo_peer *teredo_peer_lookup(struct teredo_peers *peers,
				       const struct in6_addr *addr)
{
	return rhashtable_lookup(&peers->table, addr, peer_params);
}

static void peer_free_rcu(struct rcu_head *rcu)
{
	struct teredo_peer *peer = container_of(rcu, struct teredo_peer, rcu);

	dst_cache_destroy(&peer->dst_cache);
	kmem_cache_free(peer_cache, peer);
}

void teredo_peer_put(struct teredo_peer *peer)
{
	if (refcount_dec_and_test(&peer->refcount))
		call_rcu(&peer->rcu, peer_free_rcu);
}

/* Trust lapses 30 s after the peer was last heard from (RFC 4380 §5.2.4). */
bool teredo_peer_is_fresh(const struct teredo_peer *peer)
{
	return READ_ONCE(peer->trusted) &&
	       time_before(jiffies, READ_ONCE(peer->last_rx) +
			   TEREDO_TRUST_LIFETIME * HZ);
}

/*
 * Whether max-peers pressure may take this peer: never one in use, that
 * is trusted, heard from in the last 30 s, and with data either way.
 * Bubbles alone make a trusted entry, and anyone can send them from
 * spoofed sources: such entries go first, or a flood of them would keep
 * every new peer out for 30 s.  A real peer's next packet brings its
 * entry back.
 */
static bool evictable(struct teredo_peer *peer)
{
	return !teredo_peer_is_fresh(peer) ||
	       (!atomic64_read(&peer->rx_packets) &&
		!atomic64_read(&peer->tx_packets));
}

/* Unhash and drop the table's reference.  Caller holds peers->lock. */
static void unlink_peer(struct teredo_dev *t, struct teredo_peer *peer,
			struct sk_buff_head *purge)
{
	rhashtable_remove_fast(&t->peers.table, &peer->node, peer_params);
	list_del(&peer->list);
	t->peers.count--;

	spin_lock(&peer->lock);
	peer->dead = true;
	skb_queue_splice_init(&peer->queue, purge);
	peer->queued_bytes = 0;
	spin_unlock(&peer->lock);

	teredo_timers_peer_removed(peer);
	teredo_peer_put(peer);
}

/*
 * What waited in the queues of removed peers is dropped and counted as
 * if the peer had never answered: it had not, in time.
 */
static void purge_dropped(struct teredo_dev *t, struct sk_buff_head *purge)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(purge))) {
		if (teredo_skb_cb(skb)->inbound)
			teredo_rx_drop(t, skb, TEREDO_STAT_RX_UNVERIFIED);
		else
			teredo_tx_drop(t, skb, TEREDO_STAT_TX_UNREACHABLE);
	}
}

/* Make room at max-peers: the oldest entry nobody is using goes. */
static bool evict_one(struct teredo_dev *t, struct sk_buff_head *purge)
{
	struct teredo_peer *peer;
	unsigned int scanned = 0;

	list_for_each_entry(peer, &t->peers.list, list) {
		if (evictable(peer)) {
			teredo_event_peer(t, peer, TEREDO_EVENT_EVICTED);
			unlink_peer(t, peer, purge);
			teredo_stat_inc(t, TEREDO_STAT_PEERS_EVICTED);
			return true;
		}
		/* Bound the work one new peer can cost the data path. */
		if (++scanned >= 64)
			break;
	}
	return false;
}

/**
 * teredo_peer_create - find or add the entry for @addr, untrusted
 * @t: the device
 * @addr: the peer's IPv6 address
 * @mapping: where its packets go until something better is learnt
 *
 * Context: any; takes the table lock with BH disabled.
 * Return: the peer, without a reference (RCU protects it);
 * ERR_PTR(-ENOSPC) when the table is full of peers in use, or
 * ERR_PTR(-ENOMEM).  teredo_peer_rx_error() and _tx_error() name them.
 */
struct teredo_peer *teredo_peer_create(struct teredo_dev *t,
				       const struct in6_addr *addr,
				       u64 mapping)
{
	struct teredo_peer *peer, *old;
	struct sk_buff_head purge;
	unsigned long now = jiffies;

	peer = kmem_cache_zalloc(peer_cache, GFP_ATOMIC);
	if (!peer)
		return ERR_PTR(-ENOMEM);
	if (dst_cache_init(&peer->dst_cache, GFP_ATOMIC)) {
		kmem_cache_free(peer_cache, peer);
		return ERR_PTR(-ENOMEM);
	}
	peer->addr = *addr;
	peer->t = t;
	peer->mapping = mapping;
	peer->nonce = get_random_u64();
	refcount_set(&peer->refcount, 1);
	spin_lock_init(&peer->lock);
	skb_queue_head_init(&peer->queue);
	/* RFC 4380 §5.2.3: a new entry was last sent to 30 s ago. */
	peer->last_tx = now - TEREDO_TRUST_LIFETIME * HZ;
	teredo_timers_peer_init(peer);

	__skb_queue_head_init(&purge);
	spin_lock_bh(&t->peers.lock);
	if (t->peers.count >= READ_ONCE(t->cfg.max_peers) &&
	    !evict_one(t, &purge)) {
		spin_unlock_bh(&t->peers.lock);
		peer_free_rcu(&peer->rcu);
		return ERR_PTR(-ENOSPC);
	}
	old = rhashtable_lookup_get_insert_fast(&t->peers.table, &peer->node,
						peer_params);
	if (old || IS_ERR(old)) {
		spin_unlock_bh(&t->peers.lock);
		peer_free_rcu(&peer->rcu);
		purge_dropped(t, &purge);
		/* Insertion fails only for want of memory. */
		return IS_ERR(old) ? ERR_PTR(-ENOMEM) : old;
	}
	list_add_tail(&peer->list, &t->peers.list);
	t->peers.count++;
	spin_unlock_bh(&t->peers.lock);
	purge_dropped(t, &purge);
	return peer;
}

void teredo_peer_remove(struct teredo_peer *peer)
{
	struct teredo_dev *t = peer->t;
	struct sk_buff_head purge;

	__skb_queue_head_init(&purge);
	spin_lock_bh(&t->peers.lock);
	if (!peer->dead)
		unlink_peer(t, peer, &purge);
	spin_unlock_bh(&t->peers.lock);
	purge_dropped(t, &purge);
}

int teredo_peer_del(struct teredo_dev *t, const struct in6_addr *addr)
{
	struct teredo_peer *peer;

	rcu_read_lock();
	peer = teredo_peer_lookup(&t->peers, addr);
	if (peer)
		teredo_peer_remove(peer);
	rcu_read_unlock();
	return peer ? 0 : -ENOENT;
}

/**
 * teredo_peers_flush - remove every peer of @t
 * @t: the device
 *
 * On return no bubble timer of these peers runs any more, so the device
 * may be torn down: they hold a reference until the wait below.
 *
 * Context: process, may sleep.
 */
void teredo_peers_flush(struct teredo_dev *t)
{
	struct teredo_peer *peer, *tmp;
	struct sk_buff_head purge;
	LIST_HEAD(gone);

	__skb_queue_head_init(&purge);
	spin_lock_bh(&t->peers.lock);
	list_for_each_entry_safe(peer, tmp, &t->peers.list, list) {
		teredo_peer_get(peer);
		unlink_peer(t, peer, &purge);
		list_add(&peer->list, &gone);
	}
	spin_unlock_bh(&t->peers.lock);
	purge_dropped(t, &purge);

	list_for_each_entry_safe(peer, tmp, &gone, list) {
		timer_delete_sync(&peer->bubble_timer);
		teredo_peer_put(peer);
	}
}

/*
 * Collect what nobody uses: no queue, trust lapsed, idle for a minute,
 * and past its bubble budget window (so a dead peer is not offered a
 * fresh budget of bubbles by being forgotten).
 */
static bool collectable(struct teredo_peer *peer, unsigned long now)
{
	unsigned long idle = TEREDO_PEER_IDLE * HZ;

	return skb_queue_empty_lockless(&peer->queue) &&
	       !timer_pending(&peer->bubble_timer) &&
	       !teredo_peer_is_fresh(peer) &&
	       time_after(now, READ_ONCE(peer->last_rx) + idle) &&
	       time_after(now, READ_ONCE(peer->last_tx) + idle) &&
	       (!peer->bubbles ||
		time_after(now, peer->last_bubble +
			   TEREDO_BUBBLE_WINDOW * HZ));
}

void teredo_peers_collect(struct teredo_dev *t)
{
	struct teredo_peer *peer, *tmp;
	struct sk_buff_head purge;
	unsigned long now = jiffies;

	__skb_queue_head_init(&purge);
	spin_lock_bh(&t->peers.lock);
	list_for_each_entry_safe(peer, tmp, &t->peers.list, list) {
		if (collectable(peer, now))
			unlink_peer(t, peer, &purge);
	}
	spin_unlock_bh(&t->peers.lock);
	purge_dropped(t, &purge);
}

/**
 * teredo_peer_trust - the peer proved its mapping: send what waited
 * @peer: the peer, under RCU
 * @mapping: its mapped IPv4 address and port
 *
 * Any reception resets the bubble budget (RFC 4380 §5.2.6).
 */
void teredo_peer_trust(struct teredo_peer *peer, u64 mapping)
{
	struct sk_buff_head ready;
	struct sk_buff *skb;
	bool was_fresh;

	__skb_queue_head_init(&ready);
	spin_lock_bh(&peer->lock);
	was_fresh = teredo_peer_is_fresh(peer);
	if (READ_ONCE(peer->mapping) != mapping) {
		WRITE_ONCE(peer->mapping, mapping);
		dst_cache_reset(&peer->dst_cache);
	}
	WRITE_ONCE(peer->last_rx, jiffies);
	WRITE_ONCE(peer->trusted, true);
	peer->bubbles = 0;
	peer->retries = 0;
	skb_queue_splice_init(&peer->queue, &ready);
	peer->queued_bytes = 0;
	spin_unlock_bh(&peer->lock);

	teredo_timers_peer_trusted(peer);
	/* Trusted anew, or again after its trust lapsed. */
	if (!was_fresh)
		teredo_event_peer(peer->t, peer, TEREDO_EVENT_TRUSTED);
	while ((skb = __skb_dequeue(&ready))) {
		struct teredo_skb_cb *cb = teredo_skb_cb(skb);

		if (!cb->inbound)
			teredo_send_to_peer(peer->t, peer, skb);
		else if (cb->from == mapping)
			teredo_receive_deliver(peer->t, peer, skb, cb->offset);
		else	/* not from the relay the test found */
			teredo_rx_drop(peer->t, skb, TEREDO_STAT_RX_UNVERIFIED);
	}
}

/* Every packet from a peer that passed the source rules lands here. */
void teredo_peer_received(struct teredo_peer *peer, u64 mapping)
{
	unsigned long now = jiffies;
	unsigned int bubbles;

	/* A stale read only sends us down the locked path. */
	bubbles = data_race(peer->bubbles);
	/* The common case takes no lock: nothing waits, nothing changed. */
	if (READ_ONCE(peer->trusted) && READ_ONCE(peer->mapping) == mapping &&
	    !bubbles &&
	    skb_queue_empty_lockless(&peer->queue)) {
		if (READ_ONCE(peer->last_rx) != now)
			WRITE_ONCE(peer->last_rx, now);
		return;
	}
	teredo_peer_trust(peer, mapping);
}

/* Both directions share one byte budget, as in Miredo. */
static bool hold(struct teredo_peer *peer, struct sk_buff *skb)
{
	spin_lock_bh(&peer->lock);
	if (peer->dead ||
	    peer->queued_bytes + skb->len > TEREDO_QUEUE_BYTES) {
		spin_unlock_bh(&peer->lock);
		return false;
	}
	/* The route of the sender means nothing once we hold the packet. */
	skb_dst_drop(skb);
	__skb_queue_tail(&peer->queue, skb);
	peer->queued_bytes += skb->len;
	spin_unlock_bh(&peer->lock);

	teredo_timers_packet_queued(peer);
	return true;
}

/* Hold @skb until the peer answers a bubble; the timers take it on. */
void teredo_peer_queue(struct teredo_peer *peer, struct sk_buff *skb)
{
	teredo_skb_cb(skb)->inbound = false;
	if (!hold(peer, skb))
		teredo_tx_drop(peer->t, skb, TEREDO_STAT_TX_QUEUE_FULL);
}

/**
 * teredo_peer_hold_received - keep a packet from an unverified source
 * @peer: the native peer it claims to come from
 * @skb: the datagram, trimmed, @skb->data at the UDP header
 * @offset: where its IPv6 header starts, from @skb->data
 * @mapping: the relay it came through
 *
 * Anyone can claim a native source (RFC 4380 §5.2.3, last case): the
 * packet waits for the echo test, and goes to the stack only if the test
 * finds the relay it came through.
 */
void teredo_peer_hold_received(struct teredo_peer *peer, struct sk_buff *skb,
			       unsigned int offset, u64 mapping)
{
	struct teredo_skb_cb *cb = teredo_skb_cb(skb);

	cb->inbound = true;
	cb->from = mapping;
	cb->offset = offset;
	if (!hold(peer, skb))
		teredo_rx_drop(peer->t, skb, TEREDO_STAT_RX_UNVERIFIED);
}

int __init teredo_peer_cache_init(void)
{
	peer_cache = KMEM_CACHE(teredo_peer, 0);
	return peer_cache ? 0 : -ENOMEM;
}

void teredo_peer_cache_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(peer_cache);
}
