// SPDX-License-Identifier: GPL-2.0
/*
 * Peer lifetime and the bounded peer table: creation with eviction at
 * max-peers, trust, queueing while untrusted, removal and collection.
 *
 * A peer is freed after the last of these lets go: the table (one
 * reference from creation until removal), an armed bubble timer (one
 * reference while pending), a flush waiting for that timer (one
 * reference), and RCU readers (free after a grace period).
 *
 * Memory held for the network is counted in truesize, what the packets
 * really cost: each queue holds at most TEREDO_QUEUE_TRUESIZE, and all
 * queues of a device together at most its hold-limit.
 */

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/rhashtable.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/time.h>
#include <net/ipv6.h>

#include "device.h"
#include "events.h"
#include "peer.h"
#include "proto.h"
#include "receive.h"
#include "rport.h"
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

/* How many entries one new peer may look at for a victim. */
#define EVICT_SCAN	64
/* Peers the collector looks at between two chances to reschedule. */
#define COLLECT_BATCH	256

int teredo_peers_init(struct teredo_peers *peers)
{
	INIT_LIST_HEAD(&peers->list);
	spin_lock_init(&peers->lock);
	peers->count = 0;
	peers->next_id = 0;
	atomic_long_set(&peers->held, 0);
	xa_init_flags(&peers->ids, XA_FLAGS_ALLOC);
	return rhashtable_init(&peers->table, &peer_params);
}

/* After teredo_peers_flush(), when no reader can be left. */
void teredo_peers_uninit(struct teredo_peers *peers)
{
	WARN_ON_ONCE(!xa_empty(&peers->ids));
	xa_destroy(&peers->ids);
	rhashtable_destroy(&peers->table);
}

struct teredo_peer *teredo_peer_lookup(struct teredo_peers *peers,
				       const struct in6_addr *addr)
{
	return rhashtable_lookup(&peers->table, addr, peer_params);
}

/**
 * teredo_peer_next - the peer with the lowest number at or after *@id
 * @peers: the table
 * @id: where to look from; set to the number of the peer found
 *
 * Context: under RCU.  Numbers never move, so a walk that drops RCU
 * between two calls (and adds one to *@id) neither repeats nor skips a
 * peer that stayed in the table.
 * Return: the peer, without a reference, or NULL at the end.
 */
struct teredo_peer *teredo_peer_next(struct teredo_peers *peers,
				     unsigned long *id)
{
	return xa_find(&peers->ids, id, U32_MAX, XA_PRESENT);
}

static void peer_free_rcu(struct rcu_head *rcu)
{
	struct teredo_peer *peer = container_of(rcu, struct teredo_peer, rcu);

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

/* Take the whole queue off the books.  Caller holds peer->lock. */
void teredo_peer_take_queue(struct teredo_peer *peer, struct sk_buff_head *to)
{
	lockdep_assert_held(&peer->lock);
	skb_queue_splice_tail_init(&peer->queue, to);
	atomic_long_sub(peer->queued_bytes, &peer->t->peers.held);
	peer->queued_bytes = 0;
}

/* Whether a held packet may go now that the peer is fresh. */
static bool ready(const struct teredo_peer *peer, const struct sk_buff *skb)
{
	const struct teredo_skb_cb *cb = (const void *)skb->cb;

	return !cb->inbound || cb->from == peer->mapping;
}

/**
 * teredo_peer_take_ready - what waited only for trust, now that there is
 * @peer: a fresh peer; caller holds its lock
 * @to: where the packets go
 *
 * Packets to the peer, and packets from it through the relay it is
 * trusted at.  Packets through another relay stay for their own test.
 */
void teredo_peer_take_ready(struct teredo_peer *peer, struct sk_buff_head *to)
{
	struct sk_buff *skb, *tmp;

	lockdep_assert_held(&peer->lock);
	skb_queue_walk_safe(&peer->queue, skb, tmp) {
		if (!ready(peer, skb))
			continue;
		__skb_unlink(skb, &peer->queue);
		peer->queued_bytes -= skb->truesize;
		atomic_long_sub(skb->truesize, &peer->t->peers.held);
		__skb_queue_tail(to, skb);
	}
}

/**
 * teredo_peer_release_ready - send or deliver what waited for trust
 * @peer: the peer, under RCU
 * @list: packets taken from its queue
 * @mapping: where the peer is trusted now
 */
void teredo_peer_release_ready(struct teredo_peer *peer,
			       struct sk_buff_head *list, u64 mapping)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(list))) {
		struct teredo_skb_cb *cb = teredo_skb_cb(skb);

		if (!cb->inbound)
			teredo_send_to_peer(peer->t, peer, skb);
		else if (cb->from == mapping)
			teredo_receive_deliver(peer->t, peer, skb, cb->offset);
		else	/* not from the relay the test found */
			teredo_rx_drop(peer->t, skb, TEREDO_STAT_RX_UNVERIFIED);
	}
}

/*
 * Who gives way at max-peers, first to last.  Anyone can make entries
 * from spoofed sources that only ever receive, even trusted ones (a
 * packet whose Teredo source embeds its own outer address); they never
 * outrank a peer we are waiting on or one with traffic both ways.
 */
enum rank {
	RANK_IDLE,		/* not trusted now, nothing waiting */
	RANK_RECEIVED,		/* trusted, but we never sent it data */
	RANK_WAITING,		/* packets or bubbles waiting for an answer */
	RANK_TWO_WAY,		/* trusted, data both ways */
};

static enum rank rank(const struct teredo_peer *peer)
{
	if (teredo_peer_is_fresh(peer))
		return READ_ONCE(peer->tx_packets) ? RANK_TWO_WAY :
							  RANK_RECEIVED;
	if (!skb_queue_empty_lockless(&peer->queue) ||
	    timer_pending(&peer->bubble_timer))
		return RANK_WAITING;
	return RANK_IDLE;
}

/*
 * A victim among the EVICT_SCAN oldest entries, in bounded time: the
 * lowest rank, oldest first.  A two-way peer sent to since the hand last
 * passed gets a second chance: it moves to the young end, so the next
 * scan sees other entries.  A new destination of our own (@outbound)
 * always finds a victim; one that arrived from the network only takes
 * an entry that ranks no higher than RANK_RECEIVED.
 * Caller holds peers->lock.
 */
static struct teredo_peer *pick_victim(struct teredo_dev *t, bool outbound)
{
	struct teredo_peer *peer, *tmp, *best = NULL;
	enum rank best_rank = RANK_TWO_WAY, r;
	unsigned int scanned = 0;

	lockdep_assert_held(&t->peers.lock);
	list_for_each_entry_safe(peer, tmp, &t->peers.list, list) {
		if (scanned++ == EVICT_SCAN)
			break;
		r = rank(peer);
		if (r == RANK_TWO_WAY && READ_ONCE(peer->referenced)) {
			WRITE_ONCE(peer->referenced, false);
			list_move_tail(&peer->list, &t->peers.list);
			continue;
		}
		if (!best || r < best_rank) {
			best = peer;
			best_rank = r;
			if (r == RANK_IDLE)
				break;
		}
	}
	if (!outbound)
		return best && best_rank <= RANK_RECEIVED ? best : NULL;
	return best ?: list_first_entry_or_null(&t->peers.list,
						struct teredo_peer, list);
}

/* Unhash and drop the table's reference.  Caller holds peers->lock. */
static void unlink_peer(struct teredo_dev *t, struct teredo_peer *peer,
			struct sk_buff_head *purge)
{
	struct teredo_rport *rp;

	lockdep_assert_held(&t->peers.lock);
	rhashtable_remove_fast(&t->peers.table, &peer->node, peer_params);
	xa_erase(&t->peers.ids, peer->id);
	list_del(&peer->list);
	t->peers.count--;

	spin_lock(&peer->lock);
	peer->dead = true;
	teredo_peer_take_queue(peer, purge);
	/* Dead first: teredo_rport_assign() gives it no other after this. */
	rp = rcu_dereference_protected(peer->rport,
				       lockdep_is_held(&peer->lock));
	RCU_INIT_POINTER(peer->rport, NULL);
	spin_unlock(&peer->lock);

	if (rp)
		teredo_rport_put_back(t, rp);
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

/*
 * A slot in the table before anything is allocated, so that a full table
 * costs a flood of new sources no allocation: at max-peers a victim goes
 * first, or the reservation fails.
 */
static int reserve(struct teredo_dev *t, bool outbound,
		   struct sk_buff_head *purge)
{
	struct teredo_peer *victim;
	int err = 0;

	spin_lock_bh(&t->peers.lock);
	if (t->peers.count >= READ_ONCE(t->cfg.max_peers)) {
		victim = pick_victim(t, outbound);
		if (victim) {
			teredo_event_peer(t, victim, TEREDO_EVENT_EVICTED);
			unlink_peer(t, victim, purge);
			teredo_stat_inc(t, TEREDO_STAT_PEERS_EVICTED);
		} else {
			err = -ENOSPC;
		}
	}
	if (!err)
		t->peers.count++;
	spin_unlock_bh(&t->peers.lock);
	return err;
}

static void unreserve(struct teredo_dev *t)
{
	spin_lock_bh(&t->peers.lock);
	t->peers.count--;
	spin_unlock_bh(&t->peers.lock);
}

static struct teredo_peer *peer_alloc(struct teredo_dev *t,
				      const struct in6_addr *addr,
				      u64 mapping)
{
	struct teredo_peer *peer;

	peer = kmem_cache_zalloc(peer_cache, GFP_ATOMIC);
	if (!peer)
		return NULL;
	peer->addr = *addr;
	peer->teredo = teredo_addr_is_teredo(addr);
	peer->reachable = teredo_peer_reachable(addr);
	peer->t = t;
	peer->mapping = mapping;
	refcount_set(&peer->refcount, 1);
	spin_lock_init(&peer->lock);
	skb_queue_head_init(&peer->queue);
	/* RFC 4380 §5.2.3: a new entry was last sent to 30 s ago. */
	peer->last_tx = jiffies - TEREDO_TRUST_LIFETIME * HZ;
	teredo_timers_peer_init(peer);
	return peer;
}

/**
 * teredo_peer_create - find or add the entry for @addr, untrusted
 * @t: the device
 * @addr: the peer's IPv6 address
 * @mapping: where its packets go until something better is learnt
 * @outbound: the entry is for a packet we send (see pick_victim())
 *
 * Context: any; takes the table lock with BH disabled.
 * Return: the peer, without a reference (RCU protects it);
 * ERR_PTR(-ENOSPC) when the table is full of peers that may not give
 * way, or ERR_PTR(-ENOMEM).  teredo_peer_rx_error() and _tx_error() name
 * them.
 */
struct teredo_peer *teredo_peer_create(struct teredo_dev *t,
				       const struct in6_addr *addr,
				       u64 mapping, bool outbound)
{
	struct teredo_peer *peer, *old;
	struct sk_buff_head purge;
	int err;

	__skb_queue_head_init(&purge);
	err = reserve(t, outbound, &purge);
	purge_dropped(t, &purge);
	if (err)
		return ERR_PTR(err);
	peer = peer_alloc(t, addr, mapping);
	if (!peer) {
		unreserve(t);
		return ERR_PTR(-ENOMEM);
	}

	spin_lock_bh(&t->peers.lock);
	old = rhashtable_lookup_get_insert_fast(&t->peers.table, &peer->node,
						peer_params);
	if (!old && xa_alloc_cyclic(&t->peers.ids, &peer->id, peer,
				    xa_limit_32b, &t->peers.next_id,
				    GFP_ATOMIC) < 0) {
		rhashtable_remove_fast(&t->peers.table, &peer->node,
				       peer_params);
		old = ERR_PTR(-ENOMEM);
	}
	if (old) {
		/* Insertion fails only for want of memory. */
		t->peers.count--;
		spin_unlock_bh(&t->peers.lock);
		/* Lockless readers may have seen it in the table. */
		call_rcu(&peer->rcu, peer_free_rcu);
		return IS_ERR(old) ? ERR_PTR(-ENOMEM) : old;
	}
	list_add_tail(&peer->list, &t->peers.list);
	spin_unlock_bh(&t->peers.lock);
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
 * One peer at a time, with a chance to reschedule after each, so a
 * million peers neither hold the table lock nor keep BH off for long.
 * On return no bubble timer of the peers that were there runs any more,
 * so the device may be torn down.
 *
 * Context: process, may sleep.
 */
void teredo_peers_flush(struct teredo_dev *t)
{
	struct teredo_peer *peer;
	unsigned long id = 0;
	bool held;

	for (;; id++) {
		rcu_read_lock();
		peer = teredo_peer_next(&t->peers, &id);
		held = peer && refcount_inc_not_zero(&peer->refcount);
		rcu_read_unlock();
		if (!peer)
			break;
		if (!held)	/* on its way out already */
			continue;
		teredo_peer_remove(peer);
		timer_delete_sync(&peer->bubble_timer);
		teredo_peer_put(peer);
		cond_resched();
	}
}

/*
 * Collect what nobody uses: no queue, trust lapsed, idle for a minute,
 * and past its bubble budget window (so a dead peer is not offered a
 * fresh budget of bubbles by being forgotten).  A client's peer on the
 * link stays for 600 s after its last discovery bubble (RFC 4380 §5.2.4
 * case 3): it may only be reached there, and its next bubble may be
 * 300 s away.
 */
static bool collectable(struct teredo_peer *peer, unsigned long now)
{
	unsigned long idle = (READ_ONCE(peer->local) ? TEREDO_LOCAL_LIFETIME :
						       TEREDO_PEER_IDLE) * HZ;
	u32 last_bubble;
	unsigned int bubbles;

	/* Hints, not under the peer's lock: a stale value keeps it a round. */
	bubbles = data_race(peer->bubbles);
	/* Likewise. */
	last_bubble = data_race(peer->last_bubble);
	return skb_queue_empty_lockless(&peer->queue) &&
	       !timer_pending(&peer->bubble_timer) &&
	       !teredo_peer_is_fresh(peer) &&
	       time_after(now, READ_ONCE(peer->last_rx) + idle) &&
	       time_after(now, READ_ONCE(peer->last_tx) + idle) &&
	       (!bubbles ||
		time_after32((u32)now,
			     last_bubble + TEREDO_BUBBLE_WINDOW * HZ));
}

/*
 * Walks the table by number, COLLECT_BATCH peers per RCU section, and
 * takes the table lock only for a removal.
 * Context: process (the collector's work), may sleep.
 */
void teredo_peers_collect(struct teredo_dev *t)
{
	unsigned long now = jiffies, id = 0;
	struct teredo_peer *peer;
	unsigned int n = 0;

	rcu_read_lock();
	for (; (peer = teredo_peer_next(&t->peers, &id)); id++) {
		if (collectable(peer, now))
			teredo_peer_remove(peer);
		if (++n % COLLECT_BATCH)
			continue;
		rcu_read_unlock();
		cond_resched();
		rcu_read_lock();
	}
	rcu_read_unlock();
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
	bool was_fresh;

	__skb_queue_head_init(&ready);
	spin_lock_bh(&peer->lock);
	was_fresh = teredo_peer_is_fresh(peer);
	if (peer->mapping != mapping)
		WRITE_ONCE(peer->mapping, mapping);
	WRITE_ONCE(peer->last_rx, jiffies);
	WRITE_ONCE(peer->trusted, true);
	peer->bubbles = 0;
	peer->retries = 0;
	/*
	 * RFC 6081 nonces and random ports serve one exchange, and
	 * solicitations one lapse of trust (peer.h).
	 */
	if (peer->teredo) {
		peer->nonce_sent = 0;
		peer->nonce_received = 0;
		peer->slr_rounds = 0;
		WRITE_ONCE(peer->random_port, 0);
	}
	teredo_peer_take_queue(peer, &ready);
	spin_unlock_bh(&peer->lock);

	teredo_timers_peer_trusted(peer);
	/* Trusted anew, or again after its trust lapsed. */
	if (!was_fresh)
		teredo_event_peer(peer->t, peer, TEREDO_EVENT_TRUSTED);
	teredo_peer_release_ready(peer, &ready, mapping);
}

/**
 * teredo_peer_echo_answered - an echo reply with this nonce came in
 * @peer: the native peer it comes from
 * @nonce: the 8 bytes after its ICMPv6 header
 * @mapping: the relay it came through
 *
 * RFC 4380 §5.2.9: only a reply to the test in progress counts, once:
 * a captured reply replayed later, from anywhere, moves nothing.
 *
 * Return: whether it answered the test (the peer is then trusted at
 * @mapping); otherwise it is an ordinary packet.
 */
bool teredo_peer_echo_answered(struct teredo_peer *peer, u64 nonce,
			       u64 mapping)
{
	bool answered;

	spin_lock_bh(&peer->lock);
	answered = peer->test_until &&
		   time_before32((u32)jiffies, peer->test_until) &&
		   peer->nonce == nonce;
	if (answered)
		peer->test_until = 0;
	spin_unlock_bh(&peer->lock);
	if (answered)
		teredo_peer_trust(peer, mapping);
	return answered;
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

/**
 * teredo_peer_nonce - our RFC 6081 nonce for an untrusted Teredo peer
 * @peer: the peer (client)
 *
 * The one the bubble rounds put in their trailers (timers.c), made now
 * if none was: the bubbles that answer the peer's carry it too.
 *
 * Return: the nonce, raw bytes, never 0.
 */
u32 teredo_peer_nonce(struct teredo_peer *peer)
{
	u32 nonce;

	spin_lock_bh(&peer->lock);
	if (!peer->nonce_sent)
		peer->nonce_sent = get_random_u32() ?: 1;
	nonce = peer->nonce_sent;
	spin_unlock_bh(&peer->lock);
	return nonce;
}

/* The nonce of the peer's indirect bubble, which its server relayed. */
void teredo_peer_nonce_received(struct teredo_peer *peer, u32 nonce)
{
	spin_lock_bh(&peer->lock);
	peer->nonce_received = nonce;
	spin_unlock_bh(&peer->lock);
}

/**
 * teredo_peer_nonce_matches - a Nonce trailer from elsewhere proves it
 * @peer: the Teredo peer the packet claims to come from
 * @nonce: its Nonce trailer, raw, not 0
 *
 * RFC 6081 §5.2.4, §5.6.4: ours (we sent it through the peer's server)
 * or the peer's own (it came to us that way).  Once: both are forgotten
 * when one matches, so that no copy of the packet moves the peer again.
 *
 * Return: whether it matched.
 */
bool teredo_peer_nonce_matches(struct teredo_peer *peer, u32 nonce)
{
	bool match;

	spin_lock_bh(&peer->lock);
	match = peer->teredo &&
		(nonce == peer->nonce_sent || nonce == peer->nonce_received);
	if (match) {
		peer->nonce_sent = 0;
		peer->nonce_received = 0;
	}
	spin_unlock_bh(&peer->lock);
	return match;
}

/**
 * teredo_peer_key_matches - a direct bubble answers our keyed bubble
 * @peer: the Teredo peer the bubble claims to come from (client)
 * @dst: the bubble's destination, link-local
 *
 * The answer to the indirect bubble of the exchange in progress, whose
 * keyed source (teredo_bubble_source(), salted with @nonce_sent) only
 * the path through the peer's server saw.  Once, as a nonce: it is
 * forgotten when it matches, and trust forgets it anyway.
 *
 * Return: whether it matched.
 */
bool teredo_peer_key_matches(struct teredo_peer *peer,
			     const struct in6_addr *dst)
{
	struct in6_addr key;
	bool match = false;

	spin_lock_bh(&peer->lock);
	if (peer->teredo && peer->nonce_sent) {
		teredo_bubble_source(peer->t, &peer->addr, peer->nonce_sent,
				     &key);
		match = ipv6_addr_equal(&key, dst);
	}
	if (match) {
		peer->nonce_sent = 0;
		peer->nonce_received = 0;
	}
	spin_unlock_bh(&peer->lock);
	return match;
}

/**
 * teredo_peer_slr_heard - the peer speaks RFC 6081 §5.7
 * @peer: a Teredo peer that sent us a solicitation or an advertisement
 *
 * Solicitations are worth trying again when its trust lapses.
 */
void teredo_peer_slr_heard(struct teredo_peer *peer)
{
	/* A hint: read without the lock, written under it. */
	if (!peer->teredo || !data_race(peer->slr_deaf))
		return;
	spin_lock_bh(&peer->lock);
	peer->slr_deaf = false;
	spin_unlock_bh(&peer->lock);
}

/**
 * teredo_peer_random_port - the peer's Random Port trailer came in
 * @peer: the Teredo peer whose indirect bubble our server relayed
 * @port: its port, network order, not 0
 *
 * RFC 6081 §5.4: kept while the peer is untrusted (a later one
 * replaces it: the peer opened a new port for a new exchange); one
 * that comes while it is trusted is ignored, as it could only move it.
 * Only for a peer whose embedded IPv4 address we may send to, not on
 * our link: the port is all the trailer changes of where our bubbles
 * go.
 *
 * Return: whether it was kept.
 */
bool teredo_peer_random_port(struct teredo_peer *peer, __be16 port)
{
	bool kept;

	spin_lock_bh(&peer->lock);
	kept = peer->teredo && peer->reachable && !peer->local &&
	       !teredo_peer_is_fresh(peer);
	if (kept)
		WRITE_ONCE(peer->random_port, port);
	spin_unlock_bh(&peer->lock);
	return kept;
}

/**
 * teredo_peer_port_matches - a packet from the peer's random port
 * @peer: the Teredo peer the packet claims to come from (client)
 * @mapping: where it came from
 *
 * RFC 6081 §5.4: from the IPv4 address the peer's address embeds and
 * the port its Random Port trailer gave, while it is untrusted.  Once,
 * as a nonce: it is forgotten when it matches, and trust forgets it
 * anyway, so that no replay moves the peer again.
 *
 * Return: whether it matched (the caller moves the peer to @mapping).
 */
bool teredo_peer_port_matches(struct teredo_peer *peer, u64 mapping)
{
	bool match;

	/* A hint: read without the lock, written under it. */
	if (!READ_ONCE(peer->random_port))
		return false;
	spin_lock_bh(&peer->lock);
	match = peer->random_port && !teredo_peer_is_fresh(peer) &&
		mapping == teredo_mapping(teredo_addr_mapped(&peer->addr),
					  peer->random_port);
	if (match)
		WRITE_ONCE(peer->random_port, 0);
	spin_unlock_bh(&peer->lock);
	return match;
}

/**
 * teredo_peer_direct - where a direct bubble to an untrusted peer goes
 * @peer: the Teredo peer (client)
 *
 * RFC 6081 §5.4: to its random port, if its Random Port trailer gave
 * one, at the IPv4 address its address embeds: that is where it sends
 * from, so that is what our NAT must be opened to.  Else where it is.
 *
 * Return: the mapping.
 */
u64 teredo_peer_direct(const struct teredo_peer *peer)
{
	__be16 port = READ_ONCE(peer->random_port);

	if (port)
		return teredo_mapping(teredo_addr_mapped(&peer->addr), port);
	return READ_ONCE(peer->mapping);
}

enum hold_result {
	HELD,
	READY,			/* trust came first: send or deliver it now */
	QUEUE_FULL,
	OVER_LIMIT,		/* the device's hold-limit */
};

/*
 * Both directions share one budget per peer, as in Miredo, and one per
 * device.  Freshness is checked again under the lock: trust that came
 * after the caller looked has already emptied the queue, and a packet
 * put there now would wait for nothing.
 */
static enum hold_result hold(struct teredo_peer *peer, struct sk_buff *skb)
{
	struct teredo_peers *peers = &peer->t->peers;
	unsigned int size = skb->truesize;
	struct teredo_probe probe = {};
	enum hold_result res = HELD;

	/* The route of the sender means nothing once we hold the packet. */
	skb_dst_drop(skb);
	spin_lock_bh(&peer->lock);
	if (peer->dead) {
		res = QUEUE_FULL;
	} else if (teredo_peer_is_fresh(peer) && ready(peer, skb)) {
		res = READY;
	} else if (peer->queued_bytes + size > TEREDO_QUEUE_TRUESIZE) {
		res = QUEUE_FULL;
	} else if (atomic_long_add_return(size, &peers->held) >
		   READ_ONCE(peer->t->cfg.hold_limit)) {
		atomic_long_sub(size, &peers->held);
		res = OVER_LIMIT;
	} else {
		__skb_queue_tail(&peer->queue, skb);
		peer->queued_bytes += size;
		teredo_timers_packet_queued(peer, &probe);
	}
	spin_unlock_bh(&peer->lock);
	if (probe.cost)
		teredo_send_bubble(peer->t, peer, &probe);
	return res;
}

/* Hold @skb until the peer answers a bubble; the timers take it on. */
void teredo_peer_queue(struct teredo_peer *peer, struct sk_buff *skb)
{
	teredo_skb_cb(skb)->inbound = false;
	switch (hold(peer, skb)) {
	case HELD:
		break;
	case READY:
		teredo_send_to_peer(peer->t, peer, skb);
		break;
	case OVER_LIMIT:
		teredo_tx_drop(peer->t, skb, TEREDO_STAT_HOLD_LIMIT);
		break;
	default:
		teredo_tx_drop(peer->t, skb, TEREDO_STAT_TX_QUEUE_FULL);
	}
}

/**
 * teredo_peer_hold_received - keep a packet from an unverified source
 * @peer: the peer it claims to come from: native, or (client) a Teredo
 *	peer behind a symmetric NAT
 * @skb: the datagram, trimmed, @skb->data at the UDP header
 * @offset: where its IPv6 header starts, from @skb->data
 * @mapping: the relay or the mapping it came through
 *
 * Anyone can claim a native source (RFC 4380 §5.2.3, last case): the
 * packet waits for the echo test, and goes to the stack only if the test
 * finds the relay it came through.  A Teredo peer's waits for the bubble
 * round to prove the mapping it came from (client_receive.c).
 */
void teredo_peer_hold_received(struct teredo_peer *peer, struct sk_buff *skb,
			       unsigned int offset, u64 mapping)
{
	struct teredo_skb_cb *cb = teredo_skb_cb(skb);

	cb->inbound = true;
	cb->from = mapping;
	cb->offset = offset;
	switch (hold(peer, skb)) {
	case HELD:
		break;
	case READY:
		teredo_receive_deliver(peer->t, peer, skb, offset);
		break;
	case OVER_LIMIT:
		teredo_rx_drop(peer->t, skb, TEREDO_STAT_HOLD_LIMIT);
		break;
	default:
		teredo_rx_drop(peer->t, skb, TEREDO_STAT_RX_UNVERIFIED);
	}
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
