// SPDX-License-Identifier: GPL-2.0
/*
 * The "events" multicast group of the generic netlink family (DESIGN §4;
 * the messages are in uapi/linux/teredo_genl.h): a client's state as its
 * helper pushed it, a dormant client's wake-up call (dormant.c), and what
 * happens to peers (trusted, evicted, unreachable).  `teredoctl monitor`
 * prints them.
 *
 * Nothing here owns an object: a message is built and multicast in the
 * caller's context, from data the caller keeps alive (the device, the
 * peer under its lock or its reference), and freed by netlink.  Teardown
 * order is therefore the family's: main.c registers the family (and with
 * it the group) before the link type and unregisters it after, so no
 * device exists to send while the group id is not ours.
 * When nobody listens, nothing is built: the data path pays one check.
 */

#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "client.h"
#include "device.h"
#include "events.h"
#include "netlink.h"
#include "peer.h"

const struct genl_multicast_group teredo_event_mcgrps[__TEREDO_MCGRP_MAX] = {
	[TEREDO_MCGRP_EVENTS] = { .name = TEREDO_GENL_MCGRP_EVENTS },
};

static bool listened(struct teredo_dev *t)
{
	return genl_has_listeners(&teredo_genl_family, dev_net(t->dev),
				  TEREDO_MCGRP_EVENTS);
}

static void *start(struct sk_buff **skbp, struct teredo_dev *t, u8 cmd,
		   gfp_t gfp)
{
	struct sk_buff *skb;
	void *hdr;

	skb = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &teredo_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put_u32(skb, TEREDO_A_IFINDEX, t->dev->ifindex) ||
	    nla_put_string(skb, TEREDO_A_IFNAME, t->dev->name)) {
		nlmsg_free(skb);
		return NULL;
	}
	*skbp = skb;
	return hdr;
}

static void emit(struct sk_buff *skb, void *hdr, struct teredo_dev *t,
		 gfp_t gfp)
{
	genlmsg_end(skb, hdr);
	genlmsg_multicast_netns(&teredo_genl_family, dev_net(t->dev), skb, 0,
				TEREDO_MCGRP_EVENTS, gfp);
}

/**
 * teredo_event_state - a client's state changed
 * @t: the client
 *
 * Context: process, client.lock held (the state cannot change under us).
 */
void teredo_event_state(struct teredo_dev *t)
{
	const struct teredo_client *c = &t->client;
	struct sk_buff *skb;
	void *hdr;

	lockdep_assert_held(&t->client.lock);
	if (!listened(t))
		return;
	hdr = start(&skb, t, TEREDO_CMD_STATE_NTF, GFP_KERNEL);
	if (!hdr)
		return;
	if (nla_put_u8(skb, TEREDO_A_STATE, c->state) ||
	    nla_put_u8(skb, TEREDO_A_REASON, c->reason) ||
	    nla_put_u8(skb, TEREDO_A_NAT, c->nat) ||
	    ((c->state == TEREDO_STATE_QUALIFIED ||
	      c->state == TEREDO_STATE_DORMANT) &&
	     (nla_put_in6_addr(skb, TEREDO_A_ADDRESS, &c->addr) ||
	      nla_put_in_addr(skb, TEREDO_A_MAPPED, c->mapped) ||
	      nla_put_be16(skb, TEREDO_A_MAPPED_PORT, c->mapped_port)))) {
		nlmsg_free(skb);
		return;
	}
	emit(skb, hdr, t, GFP_KERNEL);
}

/**
 * teredo_event_wake - a dormant client holds a packet: its helper should
 * qualify it again
 * @t: the client
 *
 * Context: BH (ndo_start_xmit).
 */
void teredo_event_wake(struct teredo_dev *t)
{
	struct sk_buff *skb;
	void *hdr;

	if (!listened(t))
		return;
	hdr = start(&skb, t, TEREDO_CMD_WAKE_NTF, GFP_ATOMIC);
	if (hdr)
		emit(skb, hdr, t, GFP_ATOMIC);
}

/**
 * teredo_event_peer - something happened to a peer
 * @t: its device
 * @peer: the peer; its address and mapping are read
 * @event: what happened
 *
 * Context: any (the data path, timers, under the peers' lock); the caller
 * keeps @peer alive.
 */
void teredo_event_peer(struct teredo_dev *t, const struct teredo_peer *peer,
		       enum teredo_event event)
{
	u64 mapping = READ_ONCE(peer->mapping);
	struct sk_buff *skb;
	struct nlattr *nest;
	void *hdr;

	if (!listened(t))
		return;
	hdr = start(&skb, t, TEREDO_CMD_PEER_NTF, GFP_ATOMIC);
	if (!hdr)
		return;
	if (nla_put_u8(skb, TEREDO_A_EVENT, event))
		goto cancel;
	nest = nla_nest_start(skb, TEREDO_A_PEER);
	if (!nest ||
	    nla_put_in6_addr(skb, TEREDO_PEER_A_ADDR, &peer->addr) ||
	    (mapping &&
	     (nla_put_in_addr(skb, TEREDO_PEER_A_MAPPED_ADDR,
			      teredo_mapping_addr(mapping)) ||
	      nla_put_be16(skb, TEREDO_PEER_A_MAPPED_PORT,
			   teredo_mapping_port(mapping)))))
		goto cancel;
	nla_nest_end(skb, nest);
	emit(skb, hdr, t, GFP_ATOMIC);
	return;
cancel:
	nlmsg_free(skb);
}
