// SPDX-License-Identifier: GPL-2.0
/*
 * The teredo netdevice: its setup, the rtnl_link_ops that create, change
 * and delete it, and the per-netns list that deletes devices whose link
 * netns goes away.
 */

#include <linux/if_arp.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/netns/generic.h>
#include <net/rtnetlink.h>

#include "compat.h"
#include "device.h"
#include "mode.h"
#include "proto.h"
#include "send.h"
#include "server.h"
#include "socket.h"
#include "stats.h"
#include "status.h"
#include "timers.h"

/* Devices by link netns, so a dying netns takes its devices along. */
struct teredo_net {
	struct list_head devices;	/* under RTNL */
};

static unsigned int teredo_net_id __read_mostly;

static const struct device_type teredo_type = {
	.name = KBUILD_MODNAME,
};

static struct rtnl_link_ops teredo_link_ops;

/*
 * The carrier says whether the data path can carry anything: it has a
 * socket, and for a client the helper says it is qualified.
 */
static bool carrier(struct teredo_dev *t)
{
	if (t->cfg.mode == TEREDO_MODE_CLIENT)
		return teredo_client_carrier(t);
	return rtnl_dereference(t->sk);
}

static int teredo_open(struct net_device *dev)
{
	struct teredo_dev *t = netdev_priv(dev);

	if (carrier(t))
		netif_carrier_on(dev);
	else
		netif_carrier_off(dev);
	return 0;
}

static int teredo_stop(struct net_device *dev)
{
	netif_carrier_off(dev);
	return 0;
}

static int teredo_init(struct net_device *dev)
{
	struct teredo_dev *t = netdev_priv(dev);
	int err;

	err = teredo_stats_alloc(dev);
	if (err)
		return err;
	t->stats = alloc_percpu(struct teredo_stats);
	if (!t->stats)
		goto err_stats;
	err = gro_cells_init(&t->gro_cells, dev);
	if (err)
		goto err_gro;
	err = teredo_peers_init(&t->peers);
	if (err)
		goto err_peers;
	err = teredo_routes_init(&t->routes);
	if (err)
		goto err_routes;
	if (t->cfg.mode == TEREDO_MODE_SERVER) {
		err = teredo_ratelimiter_init(&t->rs_limit);
		if (err)
			goto err_limit;
		teredo_server_init(t);
	}
	teredo_timers_device_init(t);
	teredo_timers_device_start(t);
	return 0;

err_limit:
	teredo_routes_uninit(&t->routes);
err_routes:
	teredo_peers_uninit(&t->peers);
err_peers:
	gro_cells_destroy(&t->gro_cells);
err_gro:
	free_percpu(t->stats);
err_stats:
	teredo_stats_free(dev);
	return -ENOMEM;
}

/*
 * Teardown, in two halves so that RTNL waits for no grace period of
 * ours (deleting a netns with a hundred devices must not hold it for
 * seconds):
 *
 * ndo_uninit, RTNL held: the sockets are unhooked (no new reception
 * finds the device, and a client's helper gets its socket back), the
 * collector stops, a client's random ports are handed out no more and
 * unhooked (rport.c), and the peers go with their timers.
 *
 * The core then waits one grace period for all the devices it deletes,
 * and for every reference to each: a genetlink request that found the
 * device holds one.  Only after that, in the destructor and without
 * RTNL, goes what such a request or a reception still in flight may
 * read: the sockets themselves (random ports too, once their work is
 * done), peers a late reception made, the peer
 * table, the route cache, the rate limiter, the GRO cells and the
 * counters.
 */
static void teredo_uninit(struct net_device *dev)
{
	struct teredo_dev *t = netdev_priv(dev);

	teredo_socket_unhook(t);
	teredo_client_release(t);
	teredo_timers_device_stop(t);
	teredo_rports_close(t);
	teredo_peers_flush(t);
}

static void teredo_destruct(struct net_device *dev)
{
	struct teredo_dev *t = netdev_priv(dev);

	teredo_peers_flush(t);
	teredo_peers_uninit(&t->peers);
	/* No sender is left: the peers, their timers and the sockets went. */
	teredo_routes_uninit(&t->routes);
	teredo_socket_release(t);
	teredo_rports_release(t);
	teredo_client_free(t);
	teredo_ratelimiter_uninit(&t->rs_limit);
	gro_cells_destroy(&t->gro_cells);
	free_percpu(t->stats);
	t->stats = NULL;
	teredo_stats_free(dev);
	pr_debug("%s: destroyed\n", dev->name);
}

/* One set per mode, which differ in ndo_start_xmit only (mode.h). */
#define TEREDO_NETDEV_OPS(xmit) {			\
	.ndo_init		= teredo_init,		\
	.ndo_uninit		= teredo_uninit,	\
	.ndo_open		= teredo_open,		\
	.ndo_stop		= teredo_stop,		\
	.ndo_start_xmit		= xmit,			\
	.ndo_get_stats64	= dev_get_tstats64,	\
}

static const struct net_device_ops teredo_netdev_ops[] = {
	[TEREDO_MODE_CLIENT] = TEREDO_NETDEV_OPS(teredo_client_xmit),
	[TEREDO_MODE_RELAY] = TEREDO_NETDEV_OPS(teredo_relay_xmit),
	[TEREDO_MODE_SERVER] = TEREDO_NETDEV_OPS(teredo_server_xmit),
};

static const struct teredo_mode_ops *const teredo_modes[] = {
	[TEREDO_MODE_CLIENT] = &teredo_client_ops,
	[TEREDO_MODE_RELAY] = &teredo_relay_ops,
	[TEREDO_MODE_SERVER] = &teredo_server_ops,
};

static void teredo_setup(struct net_device *dev)
{
	const netdev_features_t features = NETIF_F_SG | NETIF_F_HW_CSUM |
					   NETIF_F_RXCSUM | NETIF_F_HIGHDMA |
					   NETIF_F_GSO_SOFTWARE;

	/* The mode's own, once newlink knows it. */
	dev->netdev_ops = &teredo_netdev_ops[TEREDO_MODE_RELAY];
	dev->type = ARPHRD_NONE;
	dev->flags = IFF_POINTOPOINT | IFF_NOARP;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->hard_header_len = 0;
	dev->addr_len = 0;
	dev->needed_headroom = LL_MAX_HEADER + sizeof(struct iphdr) +
			       sizeof(struct udphdr);
	dev->mtu = TEREDO_IPV6_MIN_MTU;
	dev->min_mtu = TEREDO_IPV6_MIN_MTU;
	dev->max_mtu = TEREDO_UDP_PAYLOAD_MAX;
	dev->features |= features;
	dev->hw_features |= features;
	dev->hw_enc_features |= features;
	dev->needs_free_netdev = true;
	teredo_set_lltx(dev);
	teredo_stats_setup(dev);
	SET_NETDEV_DEVTYPE(dev, &teredo_type);
}

static int teredo_newlink(struct net *link_net, struct net_device *dev,
			  struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	struct teredo_net *tn = net_generic(link_net, teredo_net_id);
	struct teredo_dev *t = netdev_priv(dev);
	int err;

	err = teredo_config_parse(&t->cfg, data, NULL, extack);
	if (err)
		return err;
	dev->netdev_ops = &teredo_netdev_ops[t->cfg.mode];
	t->ops = teredo_modes[t->cfg.mode];

	t->dev = dev;
	t->net = link_net;
	get_random_bytes(&t->bubble_key, sizeof(t->bubble_key));
	ratelimit_state_init(&t->icmp_limit, HZ, 10);
	/* It limits packets, not log lines: no "callbacks suppressed"
	 * warning for every second a flood of packets goes unanswered.
	 */
	ratelimit_set_flags(&t->icmp_limit, RATELIMIT_MSG_ON_RELEASE);
	teredo_client_init(t);
	teredo_rports_init(t);
	/* A relay or a server owns its sockets: a busy port or a foreign
	 * address refuses the device before it exists.  A client gets its
	 * socket from teredod.
	 */
	if (t->cfg.mode != TEREDO_MODE_CLIENT) {
		err = teredo_socket_create(t, data, extack);
		if (err)
			return err;
	}
	/* Off until there is a socket (and, for a client, a qualification). */
	netif_carrier_off(dev);
	/*
	 * A registration that fails after ndo_init runs ndo_uninit and the
	 * destructor; one that fails before it runs neither, and the
	 * sockets are still ours to close.
	 */
	dev->priv_destructor = teredo_destruct;
	err = register_netdevice(dev);
	if (err) {
		teredo_socket_release(t);
		return err;
	}
	if (t->sock)
		teredo_socket_attach(t);
	list_add(&t->list, &tn->devices);
	pr_debug("%s: created\n", dev->name);
	return 0;
}

TEREDO_NEWLINK(teredo_newlink)

static int teredo_changelink(struct net_device *dev, struct nlattr *tb[],
			     struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	struct teredo_dev *t = netdev_priv(dev);
	struct teredo_config cfg;
	int err;

	err = teredo_config_parse(&cfg, data, &t->cfg, extack);
	if (err)
		return err;
	if (data && t->cfg.mode == TEREDO_MODE_CLIENT) {
		if (cfg.server != t->cfg.server ||
		    cfg.server2 != t->cfg.server2) {
			err = teredo_client_may_move(t, data, extack);
			if (err)
				return err;
		}
		err = teredo_client_change(t, data, extack);
		if (err)
			return err;
	}
	/* Only mutable values differ; the data path reads them lockless. */
	WRITE_ONCE(t->cfg.server, cfg.server);
	WRITE_ONCE(t->cfg.server2, cfg.server2);
	WRITE_ONCE(t->cfg.refresh, cfg.refresh);
	WRITE_ONCE(t->cfg.max_peers, cfg.max_peers);
	WRITE_ONCE(t->cfg.ttl, cfg.ttl);
	WRITE_ONCE(t->cfg.hold_limit, cfg.hold_limit);
	return 0;
}

static void teredo_dellink(struct net_device *dev, struct list_head *head)
{
	struct teredo_dev *t = netdev_priv(dev);

	list_del(&t->list);
	unregister_netdevice_queue(dev, head);
}

struct teredo_dev *teredo_device_of(struct net_device *dev)
{
	return dev->rtnl_link_ops == &teredo_link_ops ? netdev_priv(dev) : NULL;
}

/* A teredo device of @net by index, with a reference (dev_put it). */
struct teredo_dev *teredo_device_get(struct net *net, int ifindex)
{
	struct net_device *dev = dev_get_by_index(net, ifindex);

	if (dev && !teredo_device_of(dev)) {
		dev_put(dev);
		dev = NULL;
	}
	return dev ? netdev_priv(dev) : NULL;
}

static size_t teredo_get_size(const struct net_device *dev)
{
	return teredo_config_size() + teredo_client_size() +
	       teredo_status_size();
}

static int teredo_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct teredo_dev *t = netdev_priv(dev);
	int err;

	err = teredo_config_fill(skb, &t->cfg);
	if (!err && t->cfg.mode == TEREDO_MODE_CLIENT)
		err = teredo_client_fill(skb, t);
	if (!err)
		err = teredo_status_fill(skb, t);
	return err;
}

static struct net *teredo_get_link_net(const struct net_device *dev)
{
	const struct teredo_dev *t = netdev_priv(dev);

	return t->net;
}

static struct rtnl_link_ops teredo_link_ops __read_mostly = {
	.kind		= KBUILD_MODNAME,
	.priv_size	= sizeof(struct teredo_dev),
	.maxtype	= IFLA_TEREDO_MAX,
	.policy		= teredo_config_policy,
	.setup		= teredo_setup,
	.newlink	= teredo_newlink_rtnl,
	.changelink	= teredo_changelink,
	.dellink	= teredo_dellink,
	.get_size	= teredo_get_size,
	.fill_info	= teredo_fill_info,
	.get_link_net	= teredo_get_link_net,
};

static int __net_init teredo_net_init(struct net *net)
{
	struct teredo_net *tn = net_generic(net, teredo_net_id);

	INIT_LIST_HEAD(&tn->devices);
	return 0;
}

/*
 * Devices living in a dying netns are deleted by the core; these are the
 * ones whose link netns (and so socket) dies while they live elsewhere.
 * RTNL held.
 */
static void __net_exit teredo_net_exit(struct list_head *net_list,
				       struct list_head *kill)
{
	struct teredo_dev *t, *tmp;
	struct net *net;

	list_for_each_entry(net, net_list, exit_list) {
		struct teredo_net *tn = net_generic(net, teredo_net_id);

		list_for_each_entry_safe(t, tmp, &tn->devices, list)
			teredo_dellink(t->dev, kill);
	}
}

TEREDO_NET_EXIT(teredo_net_exit)

static struct pernet_operations teredo_net_ops = {
	.init		= teredo_net_init,
	TEREDO_NET_EXIT_OP(teredo_net_exit),
	.id		= &teredo_net_id,
	.size		= sizeof(struct teredo_net),
};

int __init teredo_device_init(void)
{
	int err;

	err = register_pernet_device(&teredo_net_ops);
	if (err)
		return err;
	err = rtnl_link_register(&teredo_link_ops);
	if (err)
		unregister_pernet_device(&teredo_net_ops);
	return err;
}

void teredo_device_uninit(void)
{
	rtnl_link_unregister(&teredo_link_ops);
	unregister_pernet_device(&teredo_net_ops);
}
