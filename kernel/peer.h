/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_PEER_H
#define _TEREDO_PEER_H

#include <linux/err.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/xarray.h>

#include "uapi/linux/teredo_genl.h"

struct teredo_dev;
struct teredo_rport;

/*
 * A Teredo peer: a client a relay talks to, or a peer of a client.
 *
 * Lookups are lockless (RCU).  @lock serialises the trust state: @mapping,
 * @trusted, the bubble budget, the echo test and the queue.  The data path
 * reads @mapping, @trusted and @local with READ_ONCE and takes @lock only when
 * something changes.  @last_rx, @last_tx and @referenced are timestamps
 * and hints that the data path writes with WRITE_ONCE and no lock (a
 * stale value costs one bubble or one eviction decision, nothing else);
 * readers use READ_ONCE.  @list and @id belong to the table's lock.
 *
 * The counters are statistics, as WireGuard's per-peer ones: plain adds
 * with no lock and no atomic instruction, because a locked add on a line
 * that every CPU sending to the peer writes is what a packet would pay
 * most for.  Two CPUs adding at the same instant may lose one addition;
 * the device's own counters (per CPU) are exact.
 *
 * A million of these is the table's design size, so the layout is for
 * memory first (no per-CPU part: the route cache is the device's), then
 * for the data path: what every packet reads first, then what reception
 * writes, then the bubble state, then what transmission writes; the
 * timer and the eviction list last.  sizeof() is 216 on 64-bit.
 */
struct teredo_peer {
	/* read by every packet */
	struct rhash_head node;		/* in teredo_peers.table */
	struct in6_addr addr;		/* the key */
	struct teredo_dev *t;
	u64 mapping;			/* IPv4 << 16 | port, network order */
	refcount_t refcount;
	u32 id;				/* in teredo_peers.ids; peers.lock */
	bool teredo;			/* @addr is a Teredo address */
	bool reachable;			/* teredo_peer_reachable(@addr) */
	bool trusted;
	bool dead;			/* unhashed, waiting for RCU */
	bool referenced;		/* sent to since eviction last looked */
	u8 retries;			/* bubble rounds for this queue */
	bool local;			/* client: @mapping is on our link */
	u8 bubbles;			/* sent in the current budget (<= 4) */
	spinlock_t lock;		/* see above */
	unsigned int queued_bytes;	/* truesize of @queue */

	/* written by reception */
	unsigned long last_rx;		/* jiffies; 0 = never */
	u64 rx_packets, rx_bytes;

	/*
	 * The bubble exchange, under @lock.  32-bit jiffies: they are
	 * compared within a bubble window or an echo test (seconds), far
	 * from the 24 days it takes them to wrap.
	 */
	u32 last_bubble;
	union {
		u32 test_until;		/* native: 0 = no test pending */
		/*
		 * Teredo (client): RFC 6081 §5.7, server load reduction,
		 * in what a native peer's echo test would use.
		 * @slr_rounds of the rounds for the queue (0 or
		 * TEREDO_SLR_TRIES, decided when it starts) are direct
		 * bubbles with a solicitation, the indirect ones after
		 * them; trust clears it.  @slr_deaf: the peer left them
		 * unanswered, so the next lapse of its trust goes to
		 * indirect bubbles at once; a solicitation or an
		 * advertisement from it clears it.  Nothing of its own
		 * to tear down: the rounds are the bubble timer's (its
		 * reference and its removal as for any round), and these
		 * two bytes go with the entry.
		 *
		 * RFC 6081 §5.4 (port-preserving symmetric NAT), in the
		 * two bytes left: @random_port (network order, 0 = none)
		 * of the peer's Random Port trailer, which came in its
		 * indirect bubble through our server while it was
		 * untrusted: where it sends from, at the IPv4 address its
		 * address embeds.  Our direct bubbles go there while it
		 * is untrusted, and a packet from there moves the peer
		 * there once (client_receive.c); trust forgets it.  Safe
		 * beside @test_until for the same reason as the two
		 * above: that is a native peer's, this a Teredo peer's,
		 * and @teredo is set at creation and never changes.
		 * Nothing to tear down either.
		 */
		struct {
			u8 slr_rounds;
			bool slr_deaf;
			__be16 random_port;
		};
	};
	union {
		u64 nonce;		/* native: of the pending echo test */
		/*
		 * Teredo (client): RFC 6081 §5.2 and §5.6, raw bytes of
		 * Nonce trailers, 0 = none.  @nonce_sent goes in our
		 * bubbles while the peer is untrusted (one per exchange,
		 * made by the first round); @nonce_received came in its
		 * indirect bubble through its server.  A packet from
		 * another mapping than the peer's that carries either
		 * moves the peer there (client_receive.c); both are
		 * forgotten once the peer is trusted, so each moves it at
		 * most once and a replay moves nothing.
		 */
		struct {
			u32 nonce_sent;
			u32 nonce_received;
		};
	};
	struct sk_buff_head queue;	/* waiting for trust */

	/* written by transmission */
	unsigned long last_tx;
	u64 tx_packets, tx_bytes;
	/*
	 * Client, RFC 6081 §5.4: the random local port we talk to this
	 * peer from (rport.c), NULL for the client's own.  Set once under
	 * @lock while the peer is alive, taken by its removal.
	 */
	struct teredo_rport __rcu *rport;

	struct timer_list bubble_timer;
	union {
		struct list_head list;	/* eviction order; peers.lock */
		struct rcu_head rcu;	/* once off @list, to free it */
	};
};

/* Add to a peer's counters (see above). */
static inline void teredo_peer_account(u64 *packets, u64 *bytes,
				       unsigned int len)
{
	WRITE_ONCE(*packets, READ_ONCE(*packets) + 1);
	WRITE_ONCE(*bytes, READ_ONCE(*bytes) + len);
}

/* What a bubble round decided under the peer's lock, done after it. */
struct teredo_probe {
	unsigned int cost;		/* bubbles counted; 0: send nothing */
	u64 nonce;			/* of the echo test (client, native) */
	u32 nonce_sent;			/* client, Teredo: RFC 6081 §5.2 */
	bool solicit;			/* client, Teredo: RFC 6081 §5.7 */
};

/*
 * A packet held while its peer is untrusted: one we send, or (client)
 * one received from a native peer whose relay is not verified yet.
 */
struct teredo_skb_cb {
	u64 from;			/* inbound: the mapping it came from */
	u16 offset;			/* inbound: IPv6 header offset */
	bool inbound;
};

static inline struct teredo_skb_cb *teredo_skb_cb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct teredo_skb_cb) > sizeof(skb->cb));
	return (struct teredo_skb_cb *)skb->cb;
}

/*
 * The peer table of a device: bounded, lockless to read.  @ids numbers
 * the peers so that a netlink dump or the collector can stop anywhere and
 * go on from the next number, whatever happened to the table meanwhile.
 */
struct teredo_peers {
	struct rhashtable table;
	struct xarray ids;		/* id -> peer; changed under @lock */
	u32 next_id;			/* under @lock */
	struct list_head list;		/* eviction order, under @lock */
	spinlock_t lock;		/* serialises insertion and removal */
	unsigned int count;		/* including reserved slots; @lock */
	atomic_long_t held;		/* truesize held in all queues */
};

static inline u64 teredo_mapping(__be32 addr, __be16 port)
{
	return (u64)(__force u32)addr << 16 | (__force u16)port;
}

static inline __be32 teredo_mapping_addr(u64 mapping)
{
	return (__force __be32)(u32)(mapping >> 16);
}

static inline __be16 teredo_mapping_port(u64 mapping)
{
	return (__force __be16)(u16)mapping;
}

int teredo_peers_init(struct teredo_peers *peers);
void teredo_peers_uninit(struct teredo_peers *peers);
struct teredo_peer *teredo_peer_lookup(struct teredo_peers *peers,
				       const struct in6_addr *addr);
struct teredo_peer *teredo_peer_create(struct teredo_dev *t,
				       const struct in6_addr *addr,
				       u64 mapping, bool outbound);
void teredo_peer_remove(struct teredo_peer *peer);

/* Why teredo_peer_create() returned @err, as a drop reason. */
static inline enum teredo_stat teredo_peer_rx_error(const void *err)
{
	return PTR_ERR(err) == -ENOSPC ? TEREDO_STAT_RX_PEERS_FULL :
					 TEREDO_STAT_RX_NO_MEMORY;
}

static inline enum teredo_stat teredo_peer_tx_error(const void *err)
{
	return PTR_ERR(err) == -ENOSPC ? TEREDO_STAT_TX_PEERS_FULL :
					 TEREDO_STAT_TX_NO_MEMORY;
}

void teredo_peers_flush(struct teredo_dev *t);
struct teredo_peer *teredo_peer_next(struct teredo_peers *peers,
				     unsigned long *id);
int teredo_peer_del(struct teredo_dev *t, const struct in6_addr *addr);
void teredo_peers_collect(struct teredo_dev *t);
void teredo_peer_put(struct teredo_peer *peer);

static inline void teredo_peer_get(struct teredo_peer *peer)
{
	refcount_inc(&peer->refcount);
}

bool teredo_peer_is_fresh(const struct teredo_peer *peer);
void teredo_peer_queue(struct teredo_peer *peer, struct sk_buff *skb);
void teredo_peer_hold_received(struct teredo_peer *peer, struct sk_buff *skb,
			       unsigned int offset, u64 mapping);
void teredo_peer_trust(struct teredo_peer *peer, u64 mapping);
bool teredo_peer_echo_answered(struct teredo_peer *peer, u64 nonce,
			       u64 mapping);
void teredo_peer_take_queue(struct teredo_peer *peer, struct sk_buff_head *to);
void teredo_peer_take_ready(struct teredo_peer *peer, struct sk_buff_head *to);
void teredo_peer_release_ready(struct teredo_peer *peer,
			       struct sk_buff_head *list, u64 mapping);
void teredo_peer_received(struct teredo_peer *peer, u64 mapping);
u32 teredo_peer_nonce(struct teredo_peer *peer);
void teredo_peer_nonce_received(struct teredo_peer *peer, u32 nonce);
bool teredo_peer_nonce_matches(struct teredo_peer *peer, u32 nonce);
bool teredo_peer_key_matches(struct teredo_peer *peer,
			     const struct in6_addr *dst);
void teredo_peer_slr_heard(struct teredo_peer *peer);
bool teredo_peer_random_port(struct teredo_peer *peer, __be16 port);
bool teredo_peer_port_matches(struct teredo_peer *peer, u64 mapping);
u64 teredo_peer_direct(const struct teredo_peer *peer);

int teredo_peer_cache_init(void);
void teredo_peer_cache_uninit(void);

#endif /* _TEREDO_PEER_H */
