// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit, what every mode shares: the first checks of ndo_start_xmit,
 * sending to a peer's mapping, bubbles, ICMPv6 errors.  Each mode's
 * ndo_start_xmit is its own (relay.c, client_send.c, server.c).
 */

#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/siphash.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ipv6.h>

#include "device.h"
#include "peer.h"
#include "proto.h"
#include "send.h"
#include "mode.h"
#include "socket.h"
#include "stats.h"

/* Miredo sends at most 10 ICMPv6 errors per second per tunnel; so do we. */
static void send_icmp(struct teredo_dev *t, struct sk_buff *skb, u8 code,
		      enum teredo_stat why)
{
	if (__ratelimit(&t->icmp_limit)) {
		icmpv6_ndo_send(skb, ICMPV6_DEST_UNREACH, code, 0);
		teredo_stat_inc(t, TEREDO_STAT_TX_ICMP);
	}
	teredo_tx_drop(t, skb, why);
}

void teredo_send_unreachable(struct teredo_dev *t, struct sk_buff *skb,
			     enum teredo_stat why)
{
	send_icmp(t, skb, ICMPV6_ADDR_UNREACH, why);
}

/* What a client will not send (RFC 4443 §3.1, code 1). */
void teredo_send_prohibited(struct teredo_dev *t, struct sk_buff *skb,
			    enum teredo_stat why)
{
	send_icmp(t, skb, ICMPV6_ADM_PROHIBITED, why);
}

/*
 * The route comes from the device's cache, keyed by the destination: a
 * sender that read the mapping just before the peer moved sends one
 * last packet to where it was, and nothing of that route stays with
 * the peer.
 */
void teredo_send_to_peer(struct teredo_dev *t, struct teredo_peer *peer,
			 struct sk_buff *skb)
{
	u64 mapping = READ_ONCE(peer->mapping);
	unsigned int len = skb->len;
	unsigned long now = jiffies;

	if (READ_ONCE(peer->last_tx) != now)
		WRITE_ONCE(peer->last_tx, now);
	if (!READ_ONCE(peer->referenced))
		WRITE_ONCE(peer->referenced, true);
	if (teredo_socket_send_cached(t, peer, skb,
				      teredo_mapping_addr(mapping),
				      teredo_mapping_port(mapping)))
		return;
	teredo_peer_account(&peer->tx_packets, &peer->tx_bytes, len);
}

/**
 * teredo_bubble_source - the source of our indirect bubbles to a peer
 * @t: the device
 * @addr: the peer's Teredo address
 * @salt: what else the key covers: 0 for a relay, the exchange's nonce
 *	for a client (below)
 * @src: filled with fe80:: and a keyed hash of the mapping @addr embeds
 *
 * As Miredo's.  The direct bubble that answers carries it back as its
 * destination, which tells a reply from a forgery: only the path
 * through the peer's server has seen it.  The embedded mapping, not the
 * one in use, so the key stays the same when a symmetric NAT moves the
 * peer (relay.c).  A client salts it with the nonce of the exchange
 * (peer.h), which trust forgets: an answer proves one exchange only, and
 * a copy of it replayed later proves nothing (client_receive.c).
 */
void teredo_bubble_source(const struct teredo_dev *t,
			  const struct in6_addr *addr, u32 salt,
			  struct in6_addr *src)
{
	u64 mapping = teredo_mapping(teredo_addr_mapped(addr),
				     teredo_addr_port(addr));
	u64 id = siphash_2u64(mapping, salt, &t->bubble_key);

	src->s6_addr32[0] = htonl(0xfe800000);
	src->s6_addr32[1] = 0;
	memcpy(&src->s6_addr[8], &id, sizeof(id));
	src->s6_addr[8] &= 0xfc;	/* universal/group bits clear */
}

/**
 * teredo_send_alloc - start a packet of our own (a bubble, an echo test)
 * @t: the device
 * @src: its IPv6 source
 * @dst: its IPv6 destination
 * @nexthdr: what follows the IPv6 header
 * @len: how many bytes follow it
 *
 * Room is left in front for the UDP/IPv4 encapsulation; the hop limit
 * is 0, as in Miredo's bubbles.
 *
 * Return: the packet with its IPv6 header, for the caller to append the
 * @len bytes; NULL, counted, when out of memory.
 */
struct sk_buff *teredo_send_alloc(struct teredo_dev *t,
				  const struct in6_addr *src,
				  const struct in6_addr *dst, u8 nexthdr,
				  unsigned int len)
{
	unsigned int headroom = LL_MAX_HEADER + sizeof(struct iphdr) +
				sizeof(struct udphdr);
	struct ipv6hdr *ip6;
	struct sk_buff *skb;

	skb = alloc_skb(headroom + sizeof(*ip6) + len, GFP_ATOMIC);
	if (!skb) {
		teredo_stat_inc(t, TEREDO_STAT_TX_NO_MEMORY);
		return NULL;
	}
	skb_reserve(skb, headroom);
	skb_reset_network_header(skb);
	ip6 = skb_put_zero(skb, sizeof(*ip6));
	ip6->version = 6;
	ip6->payload_len = htons(len);
	ip6->nexthdr = nexthdr;
	ip6->saddr = *src;
	ip6->daddr = *dst;
	skb->protocol = htons(ETH_P_IPV6);
	skb->dev = t->dev;
	return skb;
}

/**
 * teredo_send_bubble_to - send a bubble
 * @t: the device
 * @src: its IPv6 source
 * @dst: its IPv6 destination
 * @daddr: where it goes: a server (indirect) or a mapping (direct)
 * @dport: and the port
 *
 * A bare IPv6 header, next header 59, hop limit 0 as Miredo's.
 *
 * Context: BH disabled, under RCU; the caller has applied the limits.
 */
void teredo_send_bubble_to(struct teredo_dev *t, const struct in6_addr *src,
			   const struct in6_addr *dst, __be32 daddr,
			   __be16 dport)
{
	teredo_send_bubble_trailers(t, src, dst, daddr, dport, NULL, 0);
}

/**
 * teredo_send_bubble_trailers - send a bubble with RFC 6081 trailers
 * @t: the device
 * @src: its IPv6 source
 * @dst: its IPv6 destination
 * @daddr: where it goes: a server (indirect) or a mapping (direct)
 * @dport: and the port
 * @trailers: @len bytes that follow the IPv6 header (RFC 6081 §4); the
 *	payload length stays 0, the bubble's
 * @len: 0 for a plain bubble
 *
 * Context: BH disabled, under RCU; the caller has applied the limits.
 */
void teredo_send_bubble_trailers(struct teredo_dev *t,
				 const struct in6_addr *src,
				 const struct in6_addr *dst, __be32 daddr,
				 __be16 dport, const u8 *trailers,
				 unsigned int len)
{
	teredo_send_bubble_from(t, NULL, src, dst, daddr, dport, trailers,
				len);
}

/**
 * teredo_send_bubble_from - send a bubble from a peer's socket
 * @t: the device
 * @peer: the peer whose socket it leaves from (a client's random port
 *	for it, socket.c), or NULL for the device's
 * @src: its IPv6 source
 * @dst: its IPv6 destination
 * @daddr: where it goes
 * @dport: and the port
 * @trailers: as for teredo_send_bubble_trailers()
 * @len: 0 for a plain bubble
 *
 * Context: BH disabled, under RCU; the caller has applied the limits.
 */
void teredo_send_bubble_from(struct teredo_dev *t, struct teredo_peer *peer,
			     const struct in6_addr *src,
			     const struct in6_addr *dst, __be32 daddr,
			     __be16 dport, const u8 *trailers,
			     unsigned int len)
{
	struct sk_buff *skb;

	skb = teredo_send_alloc(t, src, dst, TEREDO_NEXTHDR_NONE, len);
	if (!skb)
		return;
	if (len) {
		ipv6_hdr(skb)->payload_len = 0;
		skb_put_data(skb, trailers, len);
	}
	if (!teredo_socket_send_peer(t, peer, skb, daddr, dport))
		teredo_stat_inc(t, TEREDO_STAT_TX_BUBBLES);
}

/**
 * teredo_send_bubble - make an untrusted peer answer
 * @t: the device
 * @peer: the peer
 * @probe: what the timers decided, under the peer's lock
 *
 * Each mode has its own way: a relay's (relay.c), a client's
 * (client_send.c).
 *
 * Context: BH disabled, under RCU, the peer's lock not held; the caller
 * has applied the limits.
 */
void teredo_send_bubble(struct teredo_dev *t, struct teredo_peer *peer,
			const struct teredo_probe *probe)
{
	t->ops->bubble(t, peer, probe);
}

/*
 * Where a Teredo destination can be reached at all: its mapping and its
 * server must be global unicast IPv4 (RFC 4380 §5.2.4, §5.4.1).
 */
bool teredo_send_reachable(const struct in6_addr *daddr)
{
	return teredo_ipv4_is_global(teredo_addr_mapped(daddr)) &&
	       teredo_ipv4_is_global(teredo_addr_server(daddr));
}

/*
 * Where a peer may be sent to: a Teredo address that can be reached, or
 * an address a native host can have.  Decided once, for the peer's
 * lifetime (its address does not change).
 */
bool teredo_peer_reachable(const struct in6_addr *addr)
{
	return teredo_addr_is_teredo(addr) ? teredo_send_reachable(addr) :
					     teredo_ipv6_native(addr);
}

/**
 * teredo_ipv6_native - whether a native IPv6 host can have this address
 * @a: the address
 *
 * Global unicast: not unspecified, loopback, multicast, link-local,
 * site-local, or IPv4-mapped or -compatible.  A client tests such a
 * peer's path with an echo request (RFC 4380 §5.2.9), which no other
 * address could answer.
 */
bool teredo_ipv6_native(const struct in6_addr *a)
{
	int type = ipv6_addr_type(a);

	/* ::/96: unspecified, loopback and IPv4-compatible (deprecated). */
	if (!(a->s6_addr32[0] | a->s6_addr32[1] | a->s6_addr32[2]))
		return false;
	return (type & IPV6_ADDR_UNICAST) &&
	       !(type & (IPV6_ADDR_LINKLOCAL | IPV6_ADDR_SITELOCAL |
			 IPV6_ADDR_MAPPED));
}

/**
 * teredo_xmit_check - what every mode's ndo_start_xmit checks first
 * @t: the device
 * @skb: what the stack hands us
 *
 * The stack calls in under rcu_read_lock() or, from AF_PACKET and the
 * qdisc layer, only rcu_read_lock_bh(); the peer table's lookups want
 * the former, which the caller takes.
 *
 * Return: whether @skb is an IPv6 packet to a unicast destination, with
 * its header pulled; if not, it was dropped and counted.
 */
bool teredo_xmit_check(struct teredo_dev *t, struct sk_buff *skb)
{
	if (skb->protocol != htons(ETH_P_IPV6) ||
	    !pskb_network_may_pull(skb, sizeof(struct ipv6hdr))) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_NOT_IPV6);
		return false;
	}
	/* The stack's own solicitations and MLD reports: nowhere to go. */
	if (ipv6_addr_is_multicast(&ipv6_hdr(skb)->daddr)) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_MULTICAST);
		return false;
	}
	return true;
}
