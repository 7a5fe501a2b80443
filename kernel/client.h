/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_CLIENT_H
#define _TEREDO_CLIENT_H

#include <linux/in6.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/ratelimit.h>
#include <linux/rcupdate.h>
#include <linux/skbuff.h>
#include <linux/types.h>

#include "dormant.h"

struct sock;
struct teredo_dev;
struct teredo_peer;
struct teredo_probe;
struct teredo_rport;

/*
 * What the data path needs of a qualified client; replaced, never edited
 * (teredod's every push makes a new one; the old one is freed after a
 * grace period, kfree_rcu()).
 */
struct teredo_qualified {
	struct in6_addr addr;		/* our Teredo address */
	bool dormant;			/* hold what is sent (dormant.c) */
	/*
	 * RFC 6081 §5.2: our NAT is symmetric and no port mapping makes
	 * up for it: our bubbles carry a Nonce trailer (client_send.c).
	 */
	bool symmetric;
	/*
	 * RFC 6081 §5.4: and it keeps the port of a new local port: a
	 * random port of its own for each Teredo peer (rport.c).
	 */
	bool port_preserving;
	/*
	 * RFC 6081 §5.5: or it gives each new mapping the next port: the
	 * same random ports, whose public ports an echo test guesses
	 * (predict.c).
	 */
	bool sequential;
	/*
	 * RFC 6081 §5.6: our address on our side of the NAT, 0 when
	 * teredod gave none (IFLA_TEREDO_ALTERNATE): the Alternate Address
	 * of our indirect bubbles to peers behind our public address.
	 */
	__be16 alt_port;
	__be32 alt_addr;
	struct rcu_head rcu;
};

/* A client's helper socket and the state teredod pushes. */
struct teredo_client {
	struct mutex lock;		/* serialises all below */
	struct sock *sk;		/* the helper's socket, held */
	struct sock *released;		/* put by the destructor */
	bool mc_loop;			/* the helper's, restored on detach */
	/* Local discovery's socket on port 3544 (RFC 4380 §5.2.8), held. */
	struct sock *disc_sk;
	struct sock *disc_released;	/* put by the destructor */
	bool disc_mc_loop;
	struct teredo_qualified __rcu *qualified; /* NULL: not qualified */
	u8 state;			/* enum teredo_state */
	u8 reason;			/* enum teredo_reason */
	u8 nat;				/* enum teredo_nat */
	u8 portmap;			/* enum teredo_portmap */
	__be32 portmap_gw;		/* its router */
	__be32 mapped;
	__be16 mapped_port;
	__be32 alt;			/* IFLA_TEREDO_ALTERNATE, 0: none */
	__be16 alt_port;
	struct in6_addr addr;		/* the last address pushed */
	unsigned long refresh_at;	/* jiffies of the next RS; 0: none */
	/* Not under @lock: direct bubbles answering relayed packets. */
	struct ratelimit_state reply_limit;
	/* Discovery bubbles that answer a new peer on the link. */
	struct ratelimit_state discovery_limit;
	struct teredo_held held;	/* dormant.c, its own lock */
};

void teredo_client_init(struct teredo_dev *t);
int teredo_client_change(struct teredo_dev *t, struct nlattr *data[],
			 struct netlink_ext_ack *extack);
int teredo_client_may_move(struct teredo_dev *t, struct nlattr *data[],
			   struct netlink_ext_ack *extack);
void teredo_client_release(struct teredo_dev *t);
void teredo_client_free(struct teredo_dev *t);
bool teredo_client_carrier(const struct teredo_dev *t);
size_t teredo_client_size(void);
int teredo_client_fill(struct sk_buff *skb, const struct teredo_dev *t);

/* Under RCU (BH): our address while qualified, else NULL. */
static inline const struct teredo_qualified *
teredo_client_qualified(struct teredo_client *c)
{
	return rcu_dereference_bh(c->qualified);
}

/* client_receive.c: RFC 4380 §5.2.3; enum teredo_header from proto.h */
int teredo_client_encap_recv(struct sock *sk, struct sk_buff *skb);
int teredo_client_receive(struct teredo_dev *t, struct sk_buff *skb);
bool teredo_client_from_server(const struct teredo_dev *t, __be32 saddr,
			       __be16 sport);
bool teredo_client_is_router_advert(struct sk_buff *skb, unsigned int off);

/* client_send.c: RFC 4380 §5.2.4, §5.2.9; RFC 6081 §5.2, §5.4-5.6 */
void teredo_client_probe(struct teredo_dev *t, struct teredo_peer *peer,
			 const struct teredo_probe *probe);
struct teredo_rport *teredo_client_rport(struct teredo_dev *t,
					 const struct teredo_qualified *q,
					 struct teredo_peer *peer);
bool teredo_client_test_start(struct teredo_dev *t,
			      const struct teredo_qualified *q,
			      struct teredo_rport *rp,
			      const struct in6_addr *peer);
void teredo_client_bubble_nonce(struct teredo_dev *t,
				const struct teredo_qualified *q,
				struct teredo_peer *peer, u32 nonce,
				bool indirect, bool direct);
void teredo_client_nd_bubble(struct teredo_dev *t,
			     const struct teredo_qualified *q,
			     struct teredo_peer *peer, u64 mapping, u8 type);

/* RFC 4380 §5.2.8, local discovery; under RCU (BH) */
int teredo_client_discovery_ifindex(struct teredo_dev *t);
void teredo_client_discover(struct teredo_dev *t, const struct in6_addr *src);
int teredo_client_discovery_recv(struct sock *sk, struct sk_buff *skb);

#endif /* _TEREDO_CLIENT_H */
