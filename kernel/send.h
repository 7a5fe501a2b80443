/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_SEND_H
#define _TEREDO_SEND_H

#include <linux/netdevice.h>

#include "uapi/linux/teredo_genl.h"

struct teredo_dev;
struct teredo_peer;
struct teredo_probe;

bool teredo_xmit_check(struct teredo_dev *t, struct sk_buff *skb);

/*
 * Every mode's ndo_start_xmit: the shared checks, then the mode's @xmit,
 * under rcu_read_lock() (see teredo_xmit_check()).  Inlined with a
 * constant @xmit, so the mode's path is a direct call.
 */
static __always_inline netdev_tx_t
teredo_xmit_with(struct sk_buff *skb, struct net_device *dev,
		 void (*xmit)(struct teredo_dev *t, struct sk_buff *skb))
{
	struct teredo_dev *t = netdev_priv(dev);

	rcu_read_lock();
	if (teredo_xmit_check(t, skb))
		xmit(t, skb);
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

void teredo_send_to_peer(struct teredo_dev *t, struct teredo_peer *peer,
			 struct sk_buff *skb);
void teredo_bubble_source(const struct teredo_dev *t,
			  const struct in6_addr *addr, u32 salt,
			  struct in6_addr *src);
void teredo_send_bubble(struct teredo_dev *t, struct teredo_peer *peer,
			const struct teredo_probe *probe);
struct sk_buff *teredo_send_alloc(struct teredo_dev *t,
				  const struct in6_addr *src,
				  const struct in6_addr *dst, u8 nexthdr,
				  unsigned int len);
void teredo_send_bubble_to(struct teredo_dev *t, const struct in6_addr *src,
			   const struct in6_addr *dst, __be32 daddr,
			   __be16 dport);
void teredo_send_bubble_trailers(struct teredo_dev *t,
				 const struct in6_addr *src,
				 const struct in6_addr *dst, __be32 daddr,
				 __be16 dport, const u8 *trailers,
				 unsigned int len);
void teredo_send_bubble_from(struct teredo_dev *t, struct teredo_peer *peer,
			     const struct in6_addr *src,
			     const struct in6_addr *dst, __be32 daddr,
			     __be16 dport, const u8 *trailers,
			     unsigned int len);
bool teredo_send_reachable(const struct in6_addr *daddr);
bool teredo_ipv6_native(const struct in6_addr *a);
bool teredo_peer_reachable(const struct in6_addr *addr);
void teredo_send_unreachable(struct teredo_dev *t, struct sk_buff *skb,
			     enum teredo_stat why);
void teredo_send_prohibited(struct teredo_dev *t, struct sk_buff *skb,
			    enum teredo_stat why);

#endif /* _TEREDO_SEND_H */
