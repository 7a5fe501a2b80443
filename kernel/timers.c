// SPDX-License-Identifier: GPL-2.0
/*
 * Every timer of the module, driven by events from the data path.
 *
 * - Bubble timer, per peer with a queue that is untrusted or whose trust
 *   lapsed (30 s without hearing from it): a bubble goes out when
 *   the first packet is queued, then again every TEREDO_BUBBLE_INTERVAL
 *   (2 s) up to TEREDO_BUBBLE_RETRIES (3) times; then the queue is dropped
 *   with ICMPv6 address unreachable (RFC 4380 §5.2.4, §5.4.1).  Bubbles to
 *   one peer are at least 2 s apart and at most TEREDO_BUBBLE_BUDGET (4)
 *   per TEREDO_BUBBLE_WINDOW (300 s) until the peer answers (§5.2.6).
 * - Collector, per device, every 10 s: removes peers unused for
 *   TEREDO_PEER_IDLE (60 s) whose trust lapsed (30 s) and whose bubble
 *   budget window is over.
 */

#include <linux/jiffies.h>
#include <linux/skbuff.h>
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
	if (!mod_timer(&peer->bubble_timer, expires))
		teredo_peer_get(peer);
}

static bool bubble_allowed(struct teredo_peer *peer, unsigned long now)
{
	if (peer->bubbles >= TEREDO_BUBBLE_BUDGET) {
		if (time_before(now, peer->last_bubble +
				TEREDO_BUBBLE_WINDOW * HZ))
			return false;
		peer->bubbles = 0;
	}
	return !peer->bubbles ||
	       !time_before(now, peer->last_bubble +
			    TEREDO_BUBBLE_INTERVAL * HZ);
}

/* Caller holds peer->lock. */
static void try_bubble(struct teredo_peer *peer)
{
	unsigned long now = jiffies;

	if (!bubble_allowed(peer, now)) {
		teredo_stat_inc(peer->t, TEREDO_STAT_TX_BUBBLES_LIMITED);
		return;
	}
	peer->bubbles++;
	peer->last_bubble = now;
	WRITE_ONCE(peer->last_tx, now);
	teredo_send_bubble(peer->t, peer);
}

static void bubble_expired(struct timer_list *timer)
{
	struct teredo_peer *peer = teredo_from_timer(peer, timer, bubble_timer);
	struct sk_buff_head unreachable;
	bool gave_up = false;
	struct sk_buff *skb;

	__skb_queue_head_init(&unreachable);
	spin_lock_bh(&peer->lock);
	/*
	 * Freshness, not the trusted flag: a peer whose trust lapsed keeps
	 * the flag, and its bubbles need their retries just the same.
	 */
	if (!peer->dead && !teredo_peer_is_fresh(peer) &&
	    !skb_queue_empty(&peer->queue)) {
		if (peer->retries < TEREDO_BUBBLE_RETRIES) {
			peer->retries++;
			try_bubble(peer);
			arm(peer, jiffies + TEREDO_BUBBLE_INTERVAL * HZ);
		} else {
			skb_queue_splice_init(&peer->queue, &unreachable);
			peer->queued_bytes = 0;
			peer->retries = 0;
			gave_up = true;
		}
	}
	spin_unlock_bh(&peer->lock);

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

void teredo_timers_packet_queued(struct teredo_peer *peer)
{
	spin_lock_bh(&peer->lock);
	if (!peer->dead && !timer_pending(&peer->bubble_timer)) {
		peer->retries = 0;
		try_bubble(peer);
		arm(peer, jiffies + TEREDO_BUBBLE_INTERVAL * HZ);
	}
	spin_unlock_bh(&peer->lock);
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
