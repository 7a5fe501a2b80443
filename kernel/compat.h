/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows kernel API differences between Debian's 6.1
 * and 6.12 kernels and mainline up to 6.18.  Kbuild probes the headers
 * and defines HAVE_* macros; nothing else in the module tests versions.
 */
#ifndef _TEREDO_COMPAT_H
#define _TEREDO_COMPAT_H

#include <linux/netdevice.h>
#include <net/rtnetlink.h>

/* 6.12 turned NETIF_F_LLTX into a device bit. */
static inline void teredo_set_lltx(struct net_device *dev)
{
#ifdef HAVE_DEV_LLTX
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/*
 * Per-cpu tstats: where the core allocates them (6.7, and backported to
 * Debian's 6.1), say so; elsewhere ndo_init and ndo_uninit do it.
 */
#ifdef HAVE_PCPU_STAT_TYPE
static inline void teredo_stats_setup(struct net_device *dev)
{
	dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS;
}

static inline int teredo_stats_alloc(struct net_device *dev)
{
	return 0;
}

static inline void teredo_stats_free(struct net_device *dev)
{
}
#else
static inline void teredo_stats_setup(struct net_device *dev)
{
}

static inline int teredo_stats_alloc(struct net_device *dev)
{
	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	return dev->tstats ? 0 : -ENOMEM;
}

static inline void teredo_stats_free(struct net_device *dev)
{
	free_percpu(dev->tstats);
}
#endif

/*
 * rtnl_link_ops.newlink: 6.15 passes a parameter block instead of the
 * source netns and attribute tables.  TEREDO_NEWLINK(fn) defines the
 * callback with the signature of the kernel at hand around
 * fn(link_net, dev, data, extack).
 */
#ifdef HAVE_NEWLINK_PARAMS
#define TEREDO_NEWLINK(fn)						\
static int fn##_rtnl(struct net_device *dev,				\
		     struct rtnl_newlink_params *params,		\
		     struct netlink_ext_ack *extack)			\
{									\
	return fn(rtnl_newlink_link_net(params), dev, params->data,	\
		  extack);						\
}
#else
#define TEREDO_NEWLINK(fn)						\
static int fn##_rtnl(struct net *src_net, struct net_device *dev,	\
		     struct nlattr *tb[], struct nlattr *data[],	\
		     struct netlink_ext_ack *extack)			\
{									\
	return fn(src_net, dev, data, extack);				\
}
#endif

/* 6.16 renamed from_timer(). */
#ifdef HAVE_TIMER_CONTAINER_OF
#define teredo_from_timer(var, timer, field) \
	timer_container_of(var, timer, field)
#else
#define teredo_from_timer(var, timer, field) from_timer(var, timer, field)
#endif

/* 6.17 added IP control-block flags to udp_tunnel_xmit_skb(). */
#ifdef HAVE_UDP_TUNNEL_IPCB_FLAGS
#define teredo_udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, df, \
				   sport, dport, xnet, nocheck)		 \
	udp_tunnel_xmit_skb(rt, sk, skb, src, dst, tos, ttl, df, sport,	 \
			    dport, xnet, nocheck, 0)
#else
#define teredo_udp_tunnel_xmit_skb udp_tunnel_xmit_skb
#endif

/* 6.2 embedded a struct genl_info in the dump state. */
#ifdef HAVE_GENL_DUMPIT_INFO_INFO
#define teredo_dump_attrs(cb) (genl_dumpit_info(cb)->info.attrs)
#else
#define teredo_dump_attrs(cb) (genl_dumpit_info(cb)->attrs)
#endif

#endif /* _TEREDO_COMPAT_H */
