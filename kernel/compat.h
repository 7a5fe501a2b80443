/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place that knows kernel API differences between Debian's 6.1
 * and 6.12 kernels and mainline up to 6.18.  Kbuild probes the headers
 * and defines HAVE_* macros; nothing else in the module tests versions.
 */
#ifndef _TEREDO_COMPAT_H
#define _TEREDO_COMPAT_H

#include <linux/netdevice.h>
#include <net/inet_sock.h>
#include <net/rtnetlink.h>
#include <net/udp_tunnel.h>

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

/*
 * 6.15 keeps a list of the tunnel sockets with GRO handlers, which a
 * socket that leaves the tunnel must be taken off.
 */
static inline void teredo_udp_tunnel_cleanup_gro(struct sock *sk)
{
#ifdef HAVE_UDP_TUNNEL_CLEANUP_GRO
	udp_tunnel_cleanup_gro(sk);
#endif
}

/* 6.6 moved inet_sock's bit fields into atomic flags. */
static inline bool teredo_get_mc_loop(const struct sock *sk)
{
#ifdef HAVE_INET_FLAGS
	return inet_test_bit(MC_LOOP, sk);
#else
	return inet_sk(sk)->mc_loop;
#endif
}

static inline void teredo_set_mc_loop(struct sock *sk, bool on)
{
#ifdef HAVE_INET_FLAGS
	inet_assign_bit(MC_LOOP, sk, on);
#else
	inet_sk(sk)->mc_loop = on;
#endif
}

/*
 * The exit of a batch of netns: 6.9 runs exit_batch_rtnl inside the
 * core's one RTNL section for the whole batch; before, the module takes
 * RTNL itself.  fn(net_list, kill) queues devices on @kill, RTNL held;
 * TEREDO_NET_EXIT(fn) wraps it for the kernel at hand and
 * TEREDO_NET_EXIT_OP(fn) names the wrapper in pernet_operations.
 */
#ifdef HAVE_EXIT_BATCH_RTNL
#define TEREDO_NET_EXIT(fn)
#define TEREDO_NET_EXIT_OP(fn) .exit_batch_rtnl = fn
#else
#define TEREDO_NET_EXIT(fn)						\
static void __net_exit fn##_batch(struct list_head *net_list)		\
{									\
	LIST_HEAD(kill);						\
									\
	rtnl_lock();							\
	fn(net_list, &kill);						\
	unregister_netdevice_many(&kill);				\
	rtnl_unlock();							\
}

#define TEREDO_NET_EXIT_OP(fn) .exit_batch = fn##_batch
#endif

#endif /* _TEREDO_COMPAT_H */
