// SPDX-License-Identifier: GPL-2.0
/*
 * A dormant client (TEREDO_STATE_DORMANT): qualified, but teredod stopped
 * refreshing because nothing crossed the device for a while (as Windows'
 * client does).  The first packet the stack sends then is held here, the
 * helper is told (TEREDO_CMD_WAKE_NTF on the "events" group), qualifies
 * again and pushes QUALIFIED, and the held packets leave in order.
 *
 * Object: t->client.held, a bounded queue of skbs.  Its life:
 *  - teredo_dormant_init() at device setup (empty);
 *  - filled by teredo_dormant_hold() from ndo_start_xmit (BH, RCU);
 *  - emptied by teredo_dormant_release(): from client.c's change() once
 *    the state leaves DORMANT (sent when QUALIFIED, dropped otherwise),
 *    and from teredo_client_release() when the device goes (dropped),
 *    which runs after the device stopped transmitting, so nothing is
 *    queued after the last release.
 */

#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "device.h"
#include "dormant.h"
#include "events.h"
#include "stats.h"

/* Enough for a connection's first packets while two round trips pass. */
#define HELD_MAX	16

void teredo_dormant_init(struct teredo_dev *t)
{
	skb_queue_head_init(&t->client.held.queue);
}

/**
 * teredo_dormant_hold - keep a packet until the client is qualified again
 * @t: a dormant client
 * @skb: what the stack sends
 *
 * The first packet held wakes the helper; beyond HELD_MAX they are
 * dropped (tx_queue_full).
 *
 * Context: BH disabled (ndo_start_xmit).  Consumes @skb.
 */
void teredo_dormant_hold(struct teredo_dev *t, struct sk_buff *skb)
{
	struct sk_buff_head *q = &t->client.held.queue;
	bool first = false, full = false;

	spin_lock(&q->lock);
	if (skb_queue_len(q) >= HELD_MAX) {
		full = true;
	} else {
		first = skb_queue_empty(q);
		__skb_queue_tail(q, skb);
	}
	spin_unlock(&q->lock);

	if (full) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_QUEUE_FULL);
		return;
	}
	teredo_stat_inc(t, TEREDO_STAT_TX_HELD);
	if (first)
		teredo_event_wake(t);
}

/**
 * teredo_dormant_release - the client is no longer dormant
 * @t: the client
 * @send: qualified: send what was held; else drop it
 *
 * Context: process (RTNL or client.lock held: the state is settled).
 */
void teredo_dormant_release(struct teredo_dev *t, bool send)
{
	struct sk_buff_head list;
	struct sk_buff *skb;

	__skb_queue_head_init(&list);
	spin_lock_bh(&t->client.held.queue.lock);
	skb_queue_splice_init(&t->client.held.queue, &list);
	spin_unlock_bh(&t->client.held.queue.lock);

	while ((skb = __skb_dequeue(&list))) {
		if (send)
			dev_queue_xmit(skb);
		else
			teredo_tx_drop(t, skb, TEREDO_STAT_TX_NOT_QUALIFIED);
	}
}
