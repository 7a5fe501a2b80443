// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "teredo": device counters, the peer table and
 * its removal.  The ABI is documented in uapi/linux/teredo_genl.h.
 */

#include <linux/jiffies.h>
#include <linux/netdevice.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "compat.h"
#include "config.h"
#include "device.h"
#include "events.h"
#include "netlink.h"
#include "peer.h"
#include "rport.h"
#include "stats.h"
#include "uapi/linux/teredo_genl.h"

static const struct nla_policy peer_policy[TEREDO_PEER_A_MAX + 1] = {
	[TEREDO_PEER_A_ADDR] = NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
};

static const struct nla_policy teredo_genl_policy[TEREDO_A_MAX + 1] = {
	[TEREDO_A_IFINDEX] = { .type = NLA_U32 },
	[TEREDO_A_PEER] = NLA_POLICY_NESTED(peer_policy),
};

/* Takes a reference on the device; the caller drops it with dev_put. */
static struct teredo_dev *lookup_dev(struct net *net, struct nlattr **attrs,
				     struct netlink_ext_ack *extack)
{
	struct teredo_dev *t;

	if (!attrs[TEREDO_A_IFINDEX]) {
		NL_SET_ERR_MSG(extack, "ifindex: required");
		return ERR_PTR(-EINVAL);
	}
	t = teredo_device_get(net, nla_get_u32(attrs[TEREDO_A_IFINDEX]));
	if (!t) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[TEREDO_A_IFINDEX],
				    "ifindex: not a teredo device");
		return ERR_PTR(-ENODEV);
	}
	return t;
}

/* A server's remote parties are the RS sources its rate limiter tracks. */
static u32 teredo_peer_count(const struct teredo_dev *t)
{
	if (t->cfg.mode == TEREDO_MODE_SERVER)
		return atomic_read(&t->rs_limit.entries);
	return READ_ONCE(t->peers.count);
}

static int fill_dev(struct sk_buff *skb, struct teredo_dev *t, u32 portid,
		    u32 seq, int flags)
{
	u64 sum[__TEREDO_STAT_MAX];
	struct nlattr *nest;
	void *hdr;
	int i;

	hdr = genlmsg_put(skb, portid, seq, &teredo_genl_family, flags,
			  TEREDO_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, TEREDO_A_IFINDEX, t->dev->ifindex) ||
	    nla_put_string(skb, TEREDO_A_IFNAME, t->dev->name) ||
	    nla_put_u8(skb, TEREDO_A_MODE, t->cfg.mode) ||
	    nla_put_u32(skb, TEREDO_A_PEER_COUNT, teredo_peer_count(t)) ||
	    nla_put_u64_64bit(skb, TEREDO_A_HELD_BYTES,
			      atomic_long_read(&t->peers.held), TEREDO_A_PAD) ||
	    nla_put_u32(skb, TEREDO_A_HOLD_LIMIT, READ_ONCE(t->cfg.hold_limit)))
		goto cancel;
	nest = nla_nest_start(skb, TEREDO_A_STATS);
	if (!nest)
		goto cancel;
	teredo_stats_sum(t, sum);
	for (i = 1; i < __TEREDO_STAT_MAX; i++) {
		if (nla_put_u64_64bit(skb, i, sum[i], TEREDO_STAT_UNSPEC))
			goto cancel;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct teredo_dev *t;
	struct sk_buff *msg;
	int err;

	t = lookup_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	err = msg ? fill_dev(msg, t, info->snd_portid, info->snd_seq, 0) :
		    -ENOMEM;
	dev_put(t->dev);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct net *net = sock_net(skb->sk);
	struct net_device *dev;
	int i = 0, skip = cb->args[0];

	rcu_read_lock();
	for_each_netdev_rcu(net, dev) {
		struct teredo_dev *t = teredo_device_of(dev);

		if (!t || i++ < skip)
			continue;
		if (fill_dev(skb, t, NETLINK_CB(cb->skb).portid,
			     cb->nlh->nlmsg_seq, NLM_F_MULTI)) {
			i--;
			break;
		}
	}
	rcu_read_unlock();
	cb->args[0] = i;
	return skb->len;
}

static u32 age_ms(unsigned long then, unsigned long now)
{
	if (!then)
		return U32_MAX;
	return min_t(u64, jiffies_to_msecs(now - then), U32_MAX - 1);
}

static int fill_peer(struct sk_buff *skb, struct teredo_dev *t,
		     struct teredo_peer *peer, u32 portid, u32 seq)
{
	unsigned long now = jiffies;
	struct nlattr *nest;
	u64 mapping;
	__be16 port;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &teredo_genl_family, NLM_F_MULTI,
			  TEREDO_CMD_PEER_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(skb, TEREDO_A_IFINDEX, t->dev->ifindex))
		goto cancel;
	nest = nla_nest_start(skb, TEREDO_A_PEER);
	if (!nest)
		goto cancel;
	spin_lock_bh(&peer->lock);
	mapping = peer->mapping;
	if (nla_put_in6_addr(skb, TEREDO_PEER_A_ADDR, &peer->addr) ||
	    nla_put_in_addr(skb, TEREDO_PEER_A_MAPPED_ADDR,
			    teredo_mapping_addr(mapping)) ||
	    nla_put_be16(skb, TEREDO_PEER_A_MAPPED_PORT,
			 teredo_mapping_port(mapping)) ||
	    nla_put_u8(skb, TEREDO_PEER_A_TRUSTED,
		       teredo_peer_is_fresh(peer)) ||
	    nla_put_u32(skb, TEREDO_PEER_A_LAST_RX,
			age_ms(peer->last_rx, now)) ||
	    nla_put_u32(skb, TEREDO_PEER_A_LAST_TX,
			age_ms(peer->last_tx, now)) ||
	    nla_put_u32(skb, TEREDO_PEER_A_BUBBLES, peer->bubbles) ||
	    nla_put_u32(skb, TEREDO_PEER_A_QUEUED_BYTES, peer->queued_bytes)) {
		spin_unlock_bh(&peer->lock);
		goto cancel;
	}
	spin_unlock_bh(&peer->lock);
	if (nla_put_u64_64bit(skb, TEREDO_PEER_A_RX_PACKETS,
			      READ_ONCE(peer->rx_packets),
			      TEREDO_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TEREDO_PEER_A_RX_BYTES,
			      READ_ONCE(peer->rx_bytes),
			      TEREDO_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TEREDO_PEER_A_TX_PACKETS,
			      READ_ONCE(peer->tx_packets),
			      TEREDO_PEER_A_PAD) ||
	    nla_put_u64_64bit(skb, TEREDO_PEER_A_TX_BYTES,
			      READ_ONCE(peer->tx_bytes),
			      TEREDO_PEER_A_PAD))
		goto cancel;
	port = teredo_rport_port(peer);
	if (port && nla_put_be16(skb, TEREDO_PEER_A_LOCAL_PORT, port))
		goto cancel;
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/*
 * The dump goes on from the number of the next peer (peer.h), looked up
 * again in each part: between two parts the device may be gone (the dump
 * then ends) and peers may come and go, without costing the walk more
 * than O(log n) to find its place, nor anything held between parts.
 */
static int peer_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **attrs = teredo_dump_attrs(cb);
	unsigned long id = cb->args[0];
	struct teredo_peer *peer;
	struct teredo_dev *t;
	int err = 0;

	if (cb->args[1])	/* the last part was the end */
		return 0;
	t = lookup_dev(sock_net(skb->sk), attrs, cb->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	rcu_read_lock();
	for (; (peer = teredo_peer_next(&t->peers, &id)); id++) {
		err = fill_peer(skb, t, peer, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq);
		if (err)
			break;
	}
	rcu_read_unlock();
	dev_put(t->dev);
	cb->args[0] = id;
	if (!peer)
		cb->args[1] = 1;
	/* A peer that fits no message on its own would stall the dump. */
	if (err && !skb->len)
		return err;
	return skb->len;
}

static int peer_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[TEREDO_PEER_A_MAX + 1];
	struct teredo_dev *t;
	struct in6_addr addr;
	int err = 0;

	t = lookup_dev(genl_info_net(info), info->attrs, info->extack);
	if (IS_ERR(t))
		return PTR_ERR(t);
	if (!info->attrs[TEREDO_A_PEER]) {
		teredo_peers_flush(t);
		goto out;
	}
	err = nla_parse_nested(tb, TEREDO_PEER_A_MAX,
			       info->attrs[TEREDO_A_PEER], peer_policy,
			       info->extack);
	if (err)
		goto out;
	if (!tb[TEREDO_PEER_A_ADDR]) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TEREDO_A_PEER],
				    "peer: address required");
		err = -EINVAL;
		goto out;
	}
	addr = nla_get_in6_addr(tb[TEREDO_PEER_A_ADDR]);
	err = teredo_peer_del(t, &addr);
	if (err)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[TEREDO_PEER_A_ADDR],
				    "peer: no such peer");
out:
	dev_put(t->dev);
	return err;
}

static const struct genl_small_ops teredo_genl_ops[] = {
	{
		.cmd = TEREDO_CMD_DEV_GET,
		.doit = dev_get_doit,
		.dumpit = dev_get_dumpit,
	},
	{
		.cmd = TEREDO_CMD_PEER_GET,
		.dumpit = peer_get_dumpit,
	},
	{
		.cmd = TEREDO_CMD_PEER_DEL,
		.doit = peer_del_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

struct genl_family teredo_genl_family __ro_after_init = {
	.name = TEREDO_GENL_NAME,
	.version = TEREDO_GENL_VERSION,
	.maxattr = TEREDO_A_MAX,
	.policy = teredo_genl_policy,
	.netnsok = true,
	.module = THIS_MODULE,
	.small_ops = teredo_genl_ops,
	.n_small_ops = ARRAY_SIZE(teredo_genl_ops),
	.mcgrps = teredo_event_mcgrps,
	.n_mcgrps = ARRAY_SIZE(teredo_event_mcgrps),
	.resv_start_op = TEREDO_CMD_PEER_DEL + 1,
};

int __init teredo_genl_init(void)
{
	return genl_register_family(&teredo_genl_family);
}

void teredo_genl_uninit(void)
{
	genl_unregister_family(&teredo_genl_family);
}
