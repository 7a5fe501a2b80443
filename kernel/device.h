/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_DEVICE_H
#define _TEREDO_DEVICE_H

#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/ratelimit.h>
#include <linux/siphash.h>
#include <linux/workqueue.h>
#include <net/gro_cells.h>

#include "client.h"
#include "config.h"
#include "peer.h"
#include "ratelimiter.h"
#include "route.h"
#include "rport.h"
#include "server.h"

struct teredo_stats;

struct teredo_dev {
	struct net_device *dev;
	struct net *net;		/* link netns, home of the socket */
	struct list_head list;		/* on the link netns list, under RTNL */
	struct teredo_config cfg;	/* written under RTNL */
	const struct teredo_mode_ops *ops;	/* of cfg.mode (mode.h) */
	struct socket *sock;		/* under RTNL */
	struct sock __rcu *sk;		/* the data path's view of @sock */
	struct socket *sock2;		/* a server's secondary, under RTNL */
	struct sock __rcu *sk2;
	struct gro_cells gro_cells;
	struct teredo_peers peers;
	struct teredo_routes routes;	/* to peers' mappings, per CPU */
	struct teredo_stats __percpu *stats;
	struct delayed_work gc_work;	/* collects idle peers */
	struct ratelimit_state icmp_limit;
	siphash_key_t bubble_key;	/* link-local sources of our bubbles */
	struct teredo_client client;	/* client mode only */
	struct teredo_rports rports;	/* a client's, RFC 6081 §5.4 */
	struct teredo_ratelimiter rs_limit;	/* a server's, per RS source */
	struct teredo_ra_template ra_template;	/* a server's */
};

int teredo_device_init(void);
void teredo_device_uninit(void);
struct teredo_dev *teredo_device_of(struct net_device *dev);
struct teredo_dev *teredo_device_get(struct net *net, int ifindex);

#endif /* _TEREDO_DEVICE_H */
