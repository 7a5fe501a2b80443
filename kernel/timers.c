// SPDX-License-Identifier: GPL-2.0
/*
 * Every timer of the module, driven by events from the data path.
 *
 * - Bubble timer, per peer with a queue that is untrusted or whose trust
 *   lapsed (30 s without hearing from it): a bubble goes out when
 *   the first packet is queued, then again every TEREDO_BUBBLE_INTERVAL
 *   (2 s) up to TEREDO_BUBBLE_RETRIES (3) times; then the queue is dropped
 *   with ICMPv6 address unreachable (RFC 4380 §5.2.4, §5.4.1).  A bubble
 *   goes at least 2 s after the last transmission to the peer, and at
 *   most TEREDO_BUBBLE_BUDGET (4) in TEREDO_BUBBLE_WINDOW (300 s) until
 *   the peer answers (§5.2.6); a client's round to a Teredo peer is two
 *   bubbles (through its server and direct).  Rounds are decided under
 *   the peer's lock and sent after it.
 * - Server load reduction (RFC 6081 §5.7), on the same timer: when a
 *   client's Teredo peer that was trusted (not on our link) lapsed, the
 *   first TEREDO_SLR_TRIES (3) rounds for its queue are one direct bubble
 *   each, with a Neighbor Discovery Option "solicitation", 2 s apart;
 *   the peer's "advertisement" (or anything else from it at its mapping)
 *   trusts it again, and nothing went through its server.  Unanswered,
 *   the rounds of RFC 4380 follow, with all their retries and budget:
 *   the solicitations are not counted in the budget of §5.2.6, which
 *   is for bubbles to a peer that has not answered, and this one did
 *   before its trust lapsed (at most 3 of them a lapse, and a lapse
 *   ends only with a reception).  A peer that left them unanswered (one
 *   without RFC 6081, a Miredo) gets none the next time.  On the next
 *   transmission, not ahead of it: a peer nobody sends to costs
 *   nothing, needs no timer of its own, and is collected as before.
 * - Collector, per device, every 10 s: removes peers unused for
 *   TEREDO_PEER_IDLE (60 s) whose trust lapsed (30 s) and whose bubble
 *   budget window is over.
 */

#include <linux/jiffies.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/time.h>
#include <linux/timer.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "device.h"
#include "events.h"
#include "peer.h"
#include "proto.h"
#include "send.h"
#include "stats.h"
#include "timers.h"

#define COLLECT_INTERVAL (10 * HZ)

/* Caller holds peer->lock.  A pending timer owns one peer reference. */
static void arm(struct teredo_peer *peer, unsigned long expires)
{
	lockdep_assert_held(&peer->lock);
	if (!mod_timer(&peer->bubble_timer, expires))
		teredo_peer_get(peer);
}

/* A client reaches a Teredo peer through its server and directly. */
static unsigned int round_cost(const struct teredo_peer *peer)
{
	return peer->t->cfg.mode == TEREDO_MODE_CLIENT && peer->teredo ? 2 : 1;
}

/*
 * RFC 6081 §5.7: a client's Teredo peer; @slr_rounds and @slr_deaf mean
 * something only for these (the echo test's @test_until otherwise).
 */
static bool slr_peer(const struct teredo_peer *peer)
{
	return peer->t->cfg.mode == TEREDO_MODE_CLIENT && peer->teredo;
}

/*
 * How many of the rounds for a queue starting now are solicitations, for
 * an slr_peer(): one trusted at its mapping before its trust lapsed,
 * not one on our link (local discovery has its own way), and not one
 * that left them unanswered before.  Caller holds peer->lock.
 */
static u8 slr_rounds(const struct teredo_peer *peer)
{
	lockdep_assert_held(&peer->lock);
	return peer->trusted && !peer->local && !peer->slr_deaf ?
	       TEREDO_SLR_TRIES : 0;
}

/* The rounds for the queue: solicitations first (if any), RFC 4380's. */
static unsigned int max_retries(const struct teredo_peer *peer)
{
	return TEREDO_BUBBLE_RETRIES + (slr_peer(peer) ? peer->slr_rounds : 0);
}

/* RFC 4380 §5.2.6: a bubble at most every 2 s.  Caller holds peer->lock. */
static bool bubble_spaced(const struct teredo_peer *peer, unsigned long now)
{
	return !time_before(now, READ_ONCE(peer->last_tx) +
			    TEREDO_BUBBLE_INTERVAL * HZ);
}

/* RFC 4380 §5.2.6.  Caller holds peer->lock. */
static bool bubble_allowed(struct teredo_peer *peer, unsigned int cost,
			   unsigned long now)
{
	lockdep_assert_held(&peer->lock);
	if (!bubble_spaced(peer, now))
		return false;
	if (peer->bubbles + cost > TEREDO_BUBBLE_BUDGET) {
		if (time_before32((u32)now, peer->last_bubble +
				  TEREDO_BUBBLE_WINDOW * HZ))
			return false;
		peer->bubbles = 0;
	}
	return true;
}

/* Each bubble is a transmission to the peer.  Caller holds peer->lock. */
static void count_bubbles(struct teredo_peer *peer, unsigned int n,
			  unsigned long now)
{
	peer->bubbles += n;
	peer->last_bubble = (u32)now;
	WRITE_ONCE(peer->last_tx, now);
}

/*
 * One round of bubbles (or an echo test), counted here and sent by the
 * caller after it drops the lock.  An echo test keeps its nonce while it
 * is pending, so a late answer to an earlier round still counts; a test
 * that ended starts over with a new one.  Caller holds peer->lock.
 */
static void plan_round(struct teredo_peer *peer, struct teredo_probe *probe)
{
	unsigned int cost = round_cost(peer);
	unsigned long now = jiffies;

	lockdep_assert_held(&peer->lock);
	probe->cost = 0;
	probe->solicit = false;
	if (slr_peer(peer) && peer->slr_rounds) {
		if (peer->retries < peer->slr_rounds) {
			/* The spacing, not the budget (above). */
			if (!bubble_spaced(peer, now)) {
				teredo_stat_inc(peer->t,
						TEREDO_STAT_TX_BUBBLES_LIMITED);
				return;
			}
			WRITE_ONCE(peer->last_tx, now);
			probe->solicit = true;
			probe->cost = 1;
			return;
		}
		/* The first round of RFC 4380's: none was answered. */
		if (peer->retries == peer->slr_rounds && !peer->slr_deaf) {
			peer->slr_deaf = true;
			teredo_stat_inc(peer->t, TEREDO_STAT_SLR_FALLBACKS);
		}
	}
	if (!bubble_allowed(peer, cost, now)) {
		teredo_stat_inc(peer->t, TEREDO_STAT_TX_BUBBLES_LIMITED);
		return;
	}
	count_bubbles(peer, cost, now);
	/*
	 * A client's nonce for RFC 6081 trailers: one for the exchange,
	 * kept over its rounds, so that an answer to any of them counts;
	 * trust forgets it (teredo_peer_trust()).
	 */
	if (peer->teredo && peer->t->cfg.mode == TEREDO_MODE_CLIENT) {
		if (!peer->nonce_sent)
			peer->nonce_sent = get_random_u32() ?: 1;
		probe->nonce_sent = peer->nonce_sent;
	}
	if (!peer->teredo) {
		if (!peer->test_until ||
		    !time_before32((u32)now, peer->test_until))
			peer->nonce = get_random_u64();
		peer->test_until = (u32)(now + TEREDO_TRUST_LIFETIME * HZ) ?: 1;
		probe->nonce = peer->nonce;
	}
	probe->cost = cost;
}

/**
 * teredo_timers_bubble_allowed - count one bubble against the budget
 * @peer: the peer it goes to
 *
 * For bubbles the data path sends on its own (a client's answer to an
 * origin indication or to a solicitation): they count as any other.
 *
 * Return: whether it may go.
 */
bool teredo_timers_bubble_allowed(struct teredo_peer *peer)
{
	unsigned long now = jiffies;
	bool ok;

	spin_lock_bh(&peer->lock);
	ok = bubble_allowed(peer, 1, now);
	if (ok)
		count_bubbles(peer, 1, now);
	spin_unlock_bh(&peer->lock);
	return ok;
}

static void bubble_expired(struct timer_list *timer)
{
	struct teredo_peer *peer = teredo_from_timer(peer, timer, bubble_timer);
	struct sk_buff_head ready, unreachable;
	struct teredo_probe probe = {};
	bool gave_up = false;
	struct sk_buff *skb;
	u64 mapping;

	__skb_queue_head_init(&ready);
	__skb_queue_head_init(&unreachable);
	spin_lock_bh(&peer->lock);
	mapping = peer->mapping;
	if (!peer->dead) {
		/*
		 * Freshness, not the trusted flag: a peer whose trust
		 * lapsed keeps the flag.  What waited only for trust that
		 * came meanwhile goes now; packets that came through
		 * another relay than the trusted one wait for their own
		 * test, with its retries, and then are given up.
		 */
		if (teredo_peer_is_fresh(peer))
			teredo_peer_take_ready(peer, &ready);
		if (!skb_queue_empty(&peer->queue)) {
			if (peer->retries < max_retries(peer)) {
				peer->retries++;
				plan_round(peer, &probe);
				arm(peer, jiffies +
					  TEREDO_BUBBLE_INTERVAL * HZ);
			} else {
				teredo_peer_take_queue(peer, &unreachable);
				peer->retries = 0;
				gave_up = true;
			}
		}
	}
	spin_unlock_bh(&peer->lock);

	if (probe.cost)
		teredo_send_bubble(peer->t, peer, &probe);
	teredo_peer_release_ready(peer, &ready, mapping);
	if (gave_up)
		teredo_event_peer(peer->t, peer, TEREDO_EVENT_UNREACHABLE);
	while ((skb = __skb_dequeue(&unreachable))) {
		if (teredo_skb_cb(skb)->inbound)
			teredo_rx_drop(peer->t, skb, TEREDO_STAT_RX_UNVERIFIED);
		else
			teredo_send_unreachable(peer->t, skb,
						TEREDO_STAT_TX_UNREACHABLE);
	}
	teredo_peer_put(peer);
}

void teredo_timers_peer_init(struct teredo_peer *peer)
{
	timer_setup(&peer->bubble_timer, bubble_expired, 0);
}

/**
 * teredo_timers_packet_queued - a packet now waits in @peer's queue
 * @peer: the peer; caller holds its lock
 * @probe: the round to send after the caller drops the lock
 */
void teredo_timers_packet_queued(struct teredo_peer *peer,
				 struct teredo_probe *probe)
{
	lockdep_assert_held(&peer->lock);
	if (timer_pending(&peer->bubble_timer))
		return;
	peer->retries = 0;
	if (slr_peer(peer))
		peer->slr_rounds = slr_rounds(peer);
	plan_round(peer, probe);
	arm(peer, jiffies + TEREDO_BUBBLE_INTERVAL * HZ);
}

static void disarm(struct teredo_peer *peer)
{
	if (timer_delete(&peer->bubble_timer))
		teredo_peer_put(peer);
}

void teredo_timers_peer_trusted(struct teredo_peer *peer)
{
	disarm(peer);
}

void teredo_timers_peer_removed(struct teredo_peer *peer)
{
	disarm(peer);
}

static void collect(struct work_struct *work)
{
	struct teredo_dev *t = container_of(to_delayed_work(work),
					    struct teredo_dev, gc_work);

	teredo_peers_collect(t);
	schedule_delayed_work(&t->gc_work, COLLECT_INTERVAL);
}

void teredo_timers_device_init(struct teredo_dev *t)
{
	INIT_DELAYED_WORK(&t->gc_work, collect);
}

void teredo_timers_device_start(struct teredo_dev *t)
{
	schedule_delayed_work(&t->gc_work, COLLECT_INTERVAL);
}

void teredo_timers_device_stop(struct teredo_dev *t)
{
	cancel_delayed_work_sync(&t->gc_work);
}
