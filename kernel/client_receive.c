// SPDX-License-Identifier: GPL-2.0
/*
 * What a client accepts (RFC 4380 §5.2.3, protocol.md §4.3): Router
 * Advertisements and authenticated packets go to teredod; packets our
 * server relays with an origin indication get a direct bubble back to
 * their origin (how a Miredo relay reaches us); peers become trusted by
 * a bubble or packet from their own mapping, native peers by the echo
 * test.  Bubbles and link-local sources never reach the stack.
 *
 * RFC 6081 §5.2 and §5.6 (symmetric NAT support, hairpinning): a peer
 * that answers from another mapping than the one its address embeds is
 * taken there only on a Nonce trailer that proves it, or (a peer that
 * knows no trailers: Miredo) on the keyed fe80:: source of our indirect
 * bubble, which its answer carries back (below).  §5.7 (server load
 * reduction): a trusted peer's solicitation is answered with an
 * advertisement (nd_option()).
 */

#include <linux/icmpv6.h>
#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/ipv6.h>
#include <net/ndisc.h>

#include "client.h"
#include "device.h"
#include "peer.h"
#include "predict.h"
#include "proto.h"
#include "receive.h"
#include "rport.h"
#include "send.h"
#include "stats.h"
#include "timers.h"

#define UDP_LEN		sizeof(struct udphdr)

/* Qualification traffic is teredod's: UDP queues it on the socket. */
static int to_helper(struct teredo_dev *t)
{
	teredo_stat_inc(t, TEREDO_STAT_RX_TO_HELPER);
	return 1;
}

/**
 * teredo_client_from_server - whether a datagram is our server's
 * @t: the client device
 * @saddr: its source address
 * @sport: its source port
 *
 * Teredo's own headers come from our server only, from either of its
 * addresses, port 3544: the authentication header of its Router
 * Advertisements, the origin indication of what it relays.  From anyone
 * else they are forgeries, which would wake teredod for nothing or pass
 * for the server's word.
 */
bool teredo_client_from_server(const struct teredo_dev *t, __be32 saddr,
			       __be16 sport)
{
	/* Both change only while not qualified (teredo_client_may_move). */
	return sport == htons(TEREDO_PORT) &&
	       (saddr == READ_ONCE(t->cfg.server) ||
		saddr == READ_ONCE(t->cfg.server2));
}

/**
 * teredo_client_is_router_advert - an ICMPv6 Router Advertisement?
 * @skb: the datagram
 * @off: where its IPv6 header is, which the caller pulled
 *
 * May pull the ICMPv6 type: pointers into @skb are stale after it.
 */
bool teredo_client_is_router_advert(struct sk_buff *skb, unsigned int off)
{
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(skb->data + off);

	return ip6->nexthdr == IPPROTO_ICMPV6 &&
	       ntohs(ip6->payload_len) >= sizeof(struct icmp6hdr) &&
	       pskb_may_pull(skb, off + sizeof(*ip6) + 1) &&
	       skb->data[off + sizeof(*ip6)] == NDISC_ROUTER_ADVERTISEMENT;
}

/*
 * An echo reply that answers the test in progress to this peer, which
 * then trusts the relay it came through.  Any other echo reply is data
 * (the user's own ping, say).
 */
static bool answers_test(struct sk_buff *skb, unsigned int off,
			 struct teredo_peer *peer, u64 mapping)
{
	const unsigned int len = sizeof(struct icmp6hdr) + sizeof(u64);
	const struct icmp6hdr *icmp;
	const struct ipv6hdr *ip6;
	u64 nonce;

	ip6 = (const struct ipv6hdr *)(skb->data + off);
	if (ip6->nexthdr != IPPROTO_ICMPV6 || ntohs(ip6->payload_len) < len ||
	    !pskb_may_pull(skb, off + sizeof(*ip6) + len))
		return false;
	icmp = (const struct icmp6hdr *)(skb->data + off + sizeof(*ip6));
	if (icmp->icmp6_type != ICMPV6_ECHO_REPLY || icmp->icmp6_code)
		return false;
	memcpy(&nonce, icmp + 1, sizeof(nonce));
	return teredo_peer_echo_answered(peer, nonce, mapping);
}

/*
 * RFC 4380 §5.2.3 case 5: a peer on our link, from the local address its
 * discovery bubble came from.  That address passed discovery_valid();
 * nobody beyond our NAT can send from it.
 */
static bool at_local(const struct teredo_peer *peer, u64 mapping)
{
	return peer && READ_ONCE(peer->local) &&
	       READ_ONCE(peer->mapping) == mapping;
}

/*
 * Where a Teredo source may send from, unless it is on our link: the
 * mapping its address embeds, a global one (cases 1 and 3).
 */
static enum teredo_stat teredo_source(const struct in6_addr *src,
				      u64 mapping)
{
	if (teredo_mapping(teredo_addr_mapped(src),
			   teredo_addr_port(src)) != mapping)
		return TEREDO_STAT_RX_MAPPING;
	if (!teredo_ipv4_is_global(teredo_mapping_addr(mapping)))
		return TEREDO_STAT_RX_NOT_GLOBAL;
	return TEREDO_STAT_UNSPEC;
}

/* A Nonce trailer's value, raw as the peers keep it; 0 = none. */
static u32 trailer_nonce(const struct teredo_trailers *tr)
{
	u32 nonce = 0;

	if (tr->has_nonce)
		memcpy(&nonce, tr->nonce, sizeof(nonce));
	return nonce;
}

/*
 * RFC 6081 §5.2 (symmetric NAT support) and §5.6 (hairpinning): a peer
 * behind a symmetric NAT answers from another mapping than the one its
 * server saw, a peer behind our own NAT from its address on its LAN.
 * It proves itself with a Nonce trailer: ours, which only the path
 * through its server saw (our indirect bubble), or its own, which came
 * to us that way (its indirect bubble).  Anything else from elsewhere is
 * a spoof: dropped, rx_mapping without a nonce, rx_bad_nonce with one
 * that matches nothing.  Nothing moves a peer without a nonce, and a
 * nonce moves it once (teredo_peer_nonce_matches()).
 */
static enum teredo_stat nonce_moves(struct teredo_peer *peer, u32 nonce)
{
	if (!nonce)
		return TEREDO_STAT_RX_MAPPING;
	if (!peer || !teredo_peer_nonce_matches(peer, nonce))
		return TEREDO_STAT_RX_BAD_NONCE;
	return TEREDO_STAT_UNSPEC;
}

/*
 * The same without a trailer: a peer that knows no RFC 6081 (Miredo)
 * answers our indirect bubble with a direct one to its source, which
 * is keyed and salted with the exchange's nonce (teredo_bubble_source(),
 * client_send.c).  Only the path through the peer's server saw it; as
 * a nonce, it moves the peer once, and only while the exchange is in
 * progress.  A link-local destination that is no such key is a
 * forgery or a replay: rx_bad_nonce.  @key: the bubble's link-local
 * destination; NULL for anything else.
 */
static enum teredo_stat key_moves(struct teredo_peer *peer,
				  const struct in6_addr *key)
{
	if (!key)
		return TEREDO_STAT_RX_MAPPING;
	if (!peer || !teredo_peer_key_matches(peer, key))
		return TEREDO_STAT_RX_BAD_NONCE;
	return TEREDO_STAT_UNSPEC;
}

/*
 * The peer proved @mapping with @nonce (0: with our key): a bubble
 * there first, with the nonce, so that it takes us from where we really
 * are too (a peer behind our NAT sees our LAN address, not our mapping)
 * before what we held for it arrives; then trust, which sends that.
 * The bubble answers a reception, so the bubble spacing does not apply;
 * the device's reply rate does.
 */
static void moved(struct teredo_dev *t, const struct teredo_qualified *q,
		  struct teredo_peer *peer, u64 mapping, u32 nonce)
{
	u8 tr[2 + TEREDO_NONCE_LEN];
	size_t len = 0;

	teredo_stat_inc(t, TEREDO_STAT_RX_MOVED);
	if (__ratelimit(&t->client.reply_limit)) {
		if (nonce)
			len = teredo_trailer_nonce_build(tr,
							 (const u8 *)&nonce);
		teredo_send_bubble_from(t, peer, &q->addr, &peer->addr,
					teredo_mapping_addr(mapping),
					teredo_mapping_port(mapping), tr, len);
		if (len)
			teredo_stat_inc(t, TEREDO_STAT_TX_NONCES);
	} else {
		teredo_stat_inc(t, TEREDO_STAT_TX_BUBBLES_LIMITED);
	}
	teredo_peer_trust(peer, mapping);
}

/*
 * Where a Teredo source may send from (cases 1, 3 and 5, RFC 6081):
 * where it is trusted, its address on our link, the mapping its
 * address embeds, or a mapping a nonce or our key (@key, a bubble's
 * link-local destination) proves, or (§5.4) the random port its
 * indirect bubble gave, at the IPv4 address its address embeds (then
 * it moves there, *@moved).  A random port proves less than a nonce
 * (16 bits, not 32), but it takes the peer only to another port of the
 * address the peer's own address names, once, while it is untrusted.
 */
static enum teredo_stat check_teredo(struct teredo_dev *t,
				     const struct teredo_qualified *q,
				     const struct in6_addr *src, u64 mapping,
				     const struct teredo_trailers *tr,
				     const struct in6_addr *key,
				     struct teredo_peer *peer, bool *moved_here)
{
	enum teredo_stat why;
	u32 nonce;

	*moved_here = false;
	if (peer && READ_ONCE(peer->trusted) &&
	    READ_ONCE(peer->mapping) == mapping)
		return TEREDO_STAT_UNSPEC;
	if (at_local(peer, mapping))
		return TEREDO_STAT_UNSPEC;
	why = teredo_source(src, mapping);
	if (why != TEREDO_STAT_RX_MAPPING)
		return why;
	nonce = trailer_nonce(tr);
	if (peer && teredo_peer_port_matches(peer, mapping))
		why = TEREDO_STAT_UNSPEC;	/* RFC 6081 §5.4 */
	else if (nonce)
		why = nonce_moves(peer, nonce);
	else
		why = key_moves(peer, key);
	if (!why) {
		moved(t, q, peer, mapping, nonce);
		*moved_here = true;
	}
	return why;
}

/*
 * A Miredo client or relay opens an exchange with a direct bubble from
 * its own keyed fe80:: source, which tells us nothing of who it is.
 * Behind a symmetric NAT it reaches us only from there: our answer to
 * its indirect bubble goes to the mapping its server saw, which its NAT
 * keeps for the server alone.  Answer this one where it came from, from
 * our address to its key, as Miredo's own answers go: it takes our
 * mapping (the one our address embeds) and sends what it holds for us,
 * whose source then names it (hold_moving()).  One bubble for
 * one, no bigger, at the device's reply rate: any sender can have it.
 */
static void answer_keyed(struct teredo_dev *t,
			 const struct teredo_qualified *q,
			 const struct in6_addr *src,
			 const struct in6_addr *dst, u64 mapping)
{
	if (!ipv6_addr_equal(dst, &q->addr) ||
	    !teredo_ipv4_is_global(teredo_mapping_addr(mapping)))
		return;
	if (!__ratelimit(&t->client.reply_limit)) {
		teredo_stat_inc(t, TEREDO_STAT_TX_BUBBLES_LIMITED);
		return;
	}
	teredo_send_bubble_to(t, &q->addr, src, teredo_mapping_addr(mapping),
			      teredo_mapping_port(mapping));
}

/*
 * RFC 6081 §5.7 (server load reduction): the Neighbor Discovery Option
 * of a direct bubble from @peer, which the bubble has just trusted
 * again.  @known: the peer was trusted at @mapping before it came.
 *
 * A solicitation is answered with an advertisement only then: from a
 * peer we do not know, or from elsewhere than where we trust it, it
 * gets nothing, so that nobody can have us send to a third party.
 * One answer per solicitation at most, no larger than it, under the
 * peer's bubble budget and spacing and the device's reply rate.  Not
 * answered, the solicitation still trusted the peer again here, and
 * its next one finds us.
 *
 * An advertisement trusts the peer as any bubble from its mapping
 * does, whether or not we solicited it; one from elsewhere was dropped
 * by check_teredo() before (rx_mapping) and trusts nothing.
 */
static void nd_option(struct teredo_dev *t, const struct teredo_qualified *q,
		      const struct teredo_trailers *tr,
		      struct teredo_peer *peer, u64 mapping, bool known)
{
	if (!tr->nd || !known)
		return;
	teredo_peer_slr_heard(peer);
	if (tr->nd == TEREDO_ND_ADVERT) {
		teredo_stat_inc(t, TEREDO_STAT_RX_ADVERTISEMENTS);
		return;
	}
	if (!__ratelimit(&t->client.reply_limit) ||
	    !teredo_timers_bubble_allowed(peer)) {
		teredo_stat_inc(t, TEREDO_STAT_TX_BUBBLES_LIMITED);
		return;
	}
	teredo_client_nd_bubble(t, q, peer, mapping,
				TEREDO_ND_WIRE_ADVERTISEMENT);
}

/*
 * A bubble from a peer: trust it if it comes from where check_teredo()
 * says it may.  Consumed either way.
 */
static int bubble(struct teredo_dev *t, struct sk_buff *skb,
		  const struct teredo_qualified *q,
		  const struct teredo_trailers *tr,
		  const struct in6_addr *src, const struct in6_addr *dst,
		  u64 mapping)
{
	const struct in6_addr *key = NULL;
	struct teredo_peer *peer = NULL;
	enum teredo_stat why = TEREDO_STAT_UNSPEC;
	bool moved_here = false, known = false;

	if (ipv6_addr_type(src) & IPV6_ADDR_LINKLOCAL) {
		/* a Miredo relay's or client's */
		answer_keyed(t, q, src, dst, mapping);
		goto consume;
	}
	if (ipv6_addr_type(dst) & IPV6_ADDR_LINKLOCAL)
		key = dst;
	if (!teredo_addr_is_teredo(src)) {
		why = TEREDO_STAT_RX_NOT_TEREDO;
	} else {
		peer = teredo_peer_lookup(&t->peers, src);
		known = peer && READ_ONCE(peer->trusted) &&
			READ_ONCE(peer->mapping) == mapping;
		why = check_teredo(t, q, src, mapping, tr, key, peer,
				   &moved_here);
	}
	if (why) {
		teredo_rx_drop(t, skb, why);
		return 0;
	}
	if (moved_here)
		goto consume;
	if (!peer)
		peer = teredo_peer_create(t, src, mapping, false);
	if (IS_ERR(peer)) {
		teredo_rx_drop(t, skb, teredo_peer_rx_error(peer));
		return 0;
	}
	teredo_peer_received(peer, mapping);
	nd_option(t, q, tr, peer, mapping, known);
consume:
	teredo_stat_inc(t, TEREDO_STAT_RX_BUBBLES);
	consume_skb(skb);
	return 0;
}

/* @addr is on a subnet of @dev, and not @dev's own. */
static bool on_link(const struct net_device *dev, __be32 addr)
{
	const struct in_device *in_dev = __in_dev_get_rcu(dev);
	const struct in_ifaddr *ifa;

	if (!in_dev)
		return false;
	in_dev_for_each_ifa_rcu(ifa, in_dev)
		if (inet_ifa_match(addr, ifa) && addr != ifa->ifa_local)
			return true;
	return false;
}

/*
 * RFC 4380 §5.2.8: a discovery bubble counts only as the link delivers
 * it: multicast to 224.0.0.253, on the interface teredod joined it on,
 * TTL and hop limit 1, from an address of that link.  Anyone on the
 * Internet can send one by unicast; none of those passes.  Only clients
 * behind our own NAT (their address embeds our mapped IPv4) gain from
 * talking on the link; never ourselves.
 */
static bool discovery_valid(const struct sk_buff *skb, unsigned int off,
			    const struct teredo_qualified *q, int ifindex)
{
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(skb->data + off);
	const struct iphdr *iph = ip_hdr(skb);
	__be32 ours = teredo_addr_mapped(&q->addr);

	return off == UDP_LEN && iph->daddr == htonl(TEREDO_DISCOVERY_IPV4) &&
	       iph->ttl == 1 && ip6->hop_limit == 1 &&
	       skb->dev->ifindex == ifindex && on_link(skb->dev, iph->saddr) &&
	       teredo_addr_is_teredo(&ip6->saddr) &&
	       teredo_send_reachable(&ip6->saddr) &&
	       teredo_addr_mapped(&ip6->saddr) == ours &&
	       !ipv6_addr_equal(&ip6->saddr, &q->addr);
}

/*
 * The peer is on our link at @mapping (RFC 4380 §5.2.3 case 4): untrusted
 * there until it answers a bubble from there (case 5), last heard from
 * now, with a fresh bubble budget.  A peer trusted elsewhere keeps
 * talking where it does (through a NAT that hairpins, say).
 *
 * Return: whether it is local at @mapping; *@news: whether it was not.
 */
static bool make_local(struct teredo_peer *peer, u64 mapping, bool *news)
{
	bool local;

	spin_lock_bh(&peer->lock);
	*news = !teredo_peer_is_fresh(peer) &&
		(!peer->local || peer->mapping != mapping);
	if (!teredo_peer_is_fresh(peer)) {
		WRITE_ONCE(peer->trusted, false);
		WRITE_ONCE(peer->mapping, mapping);
		WRITE_ONCE(peer->local, true);
		WRITE_ONCE(peer->last_rx, jiffies);
		peer->bubbles = 0;
		/*
		 * Reached on the link from now on, not by solicitations
		 * nor at a random port.
		 */
		peer->slr_rounds = 0;
		WRITE_ONCE(peer->random_port, 0);
	}
	local = peer->local && peer->mapping == mapping;
	spin_unlock_bh(&peer->lock);
	return local;
}

/*
 * A discovery bubble that passed: answer with a bubble to the local
 * address it came from, and announce ourselves to a peer new on the
 * link, which does not know us yet and would not take that answer (a
 * client that started after our last discovery bubble).  Consumed.
 */
static int discovery(struct teredo_dev *t, struct sk_buff *skb,
		     unsigned int off, const struct teredo_qualified *q,
		     int ifindex)
{
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(skb->data + off);
	__be32 saddr = ip_hdr(skb)->saddr;
	__be16 sport = udp_hdr(skb)->source;
	struct teredo_peer *peer;
	bool news;

	if (!discovery_valid(skb, off, q, ifindex)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_DISCOVERY);
		return 0;
	}
	peer = teredo_peer_lookup(&t->peers, &ip6->saddr) ?:
	       teredo_peer_create(t, &ip6->saddr,
				  teredo_mapping(saddr, sport), false);
	if (IS_ERR(peer)) {
		teredo_rx_drop(t, skb, teredo_peer_rx_error(peer));
		return 0;
	}
	if (make_local(peer, teredo_mapping(saddr, sport), &news) &&
	    teredo_timers_bubble_allowed(peer))
		teredo_send_bubble_to(t, &q->addr, &peer->addr, saddr, sport);
	if (news && __ratelimit(&t->client.discovery_limit))
		teredo_client_discover(t, &q->addr);
	teredo_stat_inc(t, TEREDO_STAT_RX_DISCOVERY);
	consume_skb(skb);
	return 0;
}

/*
 * The peer a relayed packet comes from, for the RFC 6081 exchange: a
 * Teredo source that sent a nonce or a random port, or any Teredo
 * source when we are behind a symmetric NAT (our answer must carry our
 * nonce); made untrusted at the mapping its address embeds if it is
 * new.  NULL when there is no exchange, or no room.
 */
static struct teredo_peer *exchange_peer(struct teredo_dev *t,
					 const struct teredo_qualified *q,
					 const struct in6_addr *src,
					 struct teredo_peer *peer, u32 nonce,
					 __be16 random_port)
{
	if (!teredo_addr_is_teredo(src) ||
	    (!nonce && !random_port && !q->symmetric))
		return NULL;
	if (peer)
		return teredo_peer_is_fresh(peer) ? NULL : peer;
	if (!teredo_send_reachable(src))
		return NULL;
	peer = teredo_peer_create(t, src,
				  teredo_mapping(teredo_addr_mapped(src),
						 teredo_addr_port(src)), false);
	return IS_ERR(peer) ? NULL : peer;
}

/*
 * Our server relayed this with an origin indication: answer with a
 * direct bubble to the origin, from the packet's destination to its
 * source, so a peer or relay waiting behind its bubble can reach us.
 * Anyone can have the server relay such packets: the answers count
 * against the budget of the peer they go to, when we know it, and
 * against a device-wide rate.
 *
 * RFC 6081: a Nonce trailer in the peer's bubble is kept (it proves the
 * peer's direct packets, nonce_moves()) and echoed in the answer, which
 * also goes to each alternate address of a peer behind our NAT (§5.6,
 * at most 4).  Behind a symmetric NAT (§5.2) our answer leaves from
 * another mapping than the one our address embeds: it carries our own
 * nonce, and an indirect bubble through the peer's server tells the
 * peer that nonce, so that it takes our answer from there.  These
 * exchanges answer each of the peer's rounds at once, neither held back
 * by the bubble spacing nor counted against the peer's budget, which
 * its own rounds need (its bubbles are limited at its end); the
 * device-wide rate still applies, and at most 6 bubbles answer one.
 *
 * §5.4: a peer behind a port-preserving symmetric NAT gives in a
 * Random Port trailer the port it will send to us from, at the address
 * its own address embeds; kept (while the peer is untrusted), it is
 * where our answer goes, instead of the origin: that opens our NAT
 * (port-restricted, say) to the peer's packets from there, and the
 * peer's NAT lets it in once the peer has sent to us from that port.
 * The answer is still one bubble, to the address the origin and the
 * peer's own address name: the trailer changes only the port.
 *
 * Our own side of §5.4: behind a port-preserving symmetric NAT, the
 * peer gets a random port of ours (teredo_client_rport()); the answer
 * leaves from there, and our indirect bubble names it.  Only for a peer
 * whose Teredo address we know: a keyed bubble (a link-local source,
 * Miredo's way) hides the address, and with it the peer's server.
 */
static void reply_to_origin(struct teredo_dev *t, struct sk_buff *skb,
			    unsigned int off, const struct teredo_qualified *q,
			    const struct teredo_trailers *tr)
{
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(skb->data + off);
	u32 nonce = trailer_nonce(tr), ours = 0;
	struct teredo_peer *peer, *xpeer;
	struct teredo_rport *rp;
	bool random = false, test;
	u8 trailer[2 + TEREDO_NONCE_LEN];
	struct teredo_origin oi;
	size_t len = 0;
	unsigned int i;
	__be16 port;
	__be32 addr;

	memcpy(&oi, skb->data + UDP_LEN, sizeof(oi));
	teredo_origin_parse(&oi, &addr, &port);
	if (!teredo_ipv4_is_global(addr))
		return;
	peer = teredo_peer_lookup(&t->peers, &ip6->saddr);
	xpeer = exchange_peer(t, q, &ip6->saddr, peer, nonce,
			      tr->random_port);
	/* Kept whether or not we may answer now: it is no bubble of ours. */
	if (xpeer && nonce)
		teredo_peer_nonce_received(xpeer, nonce);
	if (xpeer && tr->random_port &&
	    teredo_peer_random_port(xpeer, tr->random_port)) {
		teredo_stat_inc(t, TEREDO_STAT_RX_RANDOM_PORTS);
		random = true;
	}
	if (!__ratelimit(&t->client.reply_limit) ||
	    (!xpeer && peer && !teredo_timers_bubble_allowed(peer))) {
		teredo_stat_inc(t, TEREDO_STAT_TX_BUBBLES_LIMITED);
		return;
	}
	if (xpeer && !nonce && q->symmetric)
		ours = teredo_peer_nonce(xpeer);
	if (nonce || ours) {
		len = teredo_trailer_nonce_build(trailer, nonce ?
						 (const u8 *)&nonce :
						 (const u8 *)&ours);
		teredo_stat_inc(t, TEREDO_STAT_TX_NONCES);
	}
	/*
	 * §5.4: to the random port instead of the origin, the peer's
	 * mapping towards its server (teredo_client_bubble_nonce()).
	 */
	if (random) {
		addr = teredo_addr_mapped(&ip6->saddr);
		port = tr->random_port;
	}
	/*
	 * Behind a port-preserving symmetric NAT, from the peer's own
	 * random port (§5.4), which the indirect bubble below names.
	 */
	rp = xpeer ? teredo_client_rport(t, q, xpeer) : NULL;
	/* Behind a sequential NAT, an echo test around it (§5.5). */
	test = xpeer && teredo_client_test_start(t, q, rp, &xpeer->addr);
	teredo_send_bubble_from(t, xpeer ?: peer, &ip6->daddr, &ip6->saddr,
				addr, port, trailer, len);
	if (test)
		teredo_predict_finish(t, rp);
	/* Its LAN addresses, if it is behind our NAT (RFC 6081 §5.6.4). */
	if (xpeer && nonce && tr->nalt &&
	    teredo_addr_mapped(&ip6->saddr) == teredo_addr_mapped(&q->addr)) {
		for (i = 0; i < tr->nalt; i++) {
			if (!teredo_ipv4_is_unicast(tr->alt_addr[i]))
				continue;
			teredo_send_bubble_trailers(t, &ip6->daddr, &ip6->saddr,
						    tr->alt_addr[i],
						    tr->alt_port[i],
						    trailer, len);
			teredo_stat_inc(t, TEREDO_STAT_TX_ALTERNATES);
		}
	}
	/*
	 * Ours (and our port), through the peer's server, to be taken;
	 * after a test, when its answer says which port (predict.c).
	 */
	if ((ours || rp) && !test)
		teredo_client_bubble_nonce(t, q, xpeer, ours, true, false);
}

/*
 * A packet from a Teredo peer we do not trust, from the public address
 * its address embeds but another port: the peer is behind a symmetric
 * NAT, and this is its mapping towards us (a Miredo client that our
 * answer_keyed() made trust us, say).  Nothing proves it yet: the
 * packet is held as one from an unverified relay is (RFC 4380 §5.2.3
 * case 6), and the bubble round that holding starts proves the mapping
 * with our key (key_moves()); it goes up only if it came from there
 * (teredo_peer_release_ready()), else it is dropped (rx_unverified).
 * Only the port may differ: anyone else's address stays a spoof
 * (rx_mapping).  The round goes where any round to that address goes
 * (its server, the mapping it embeds), within the peer's bubble budget
 * and, since anyone can send such packets, the device's reply rate.  A
 * peer trusted elsewhere, or one that sent a nonce, is none of this.
 *
 * Return: whether the packet was taken (held, or dropped and counted).
 */
static bool hold_moving(struct teredo_dev *t, struct sk_buff *skb,
			unsigned int off, const struct in6_addr *src,
			u64 mapping, const struct teredo_trailers *tr,
			struct teredo_peer *peer)
{
	if (tr->has_nonce ||
	    teredo_addr_mapped(src) != teredo_mapping_addr(mapping) ||
	    !teredo_send_reachable(src) ||
	    (peer && (teredo_peer_is_fresh(peer) || READ_ONCE(peer->local))) ||
	    !__ratelimit(&t->client.reply_limit))
		return false;
	if (!peer) {
		u64 embedded = teredo_mapping(teredo_addr_mapped(src),
					      teredo_addr_port(src));

		peer = teredo_peer_create(t, src, embedded, false);
	}
	if (IS_ERR(peer)) {
		teredo_rx_drop(t, skb, teredo_peer_rx_error(peer));
		return true;
	}
	teredo_peer_hold_received(peer, skb, off, mapping);
	return true;
}

/*
 * After the first two bytes (teredo_receive_header()).
 * Return: 0 when consumed, 1 to queue it on teredod's socket.
 */
static int recv(struct teredo_dev *t, struct sk_buff *skb, int hdr)
{
	const struct teredo_qualified *q;
	unsigned int off = UDP_LEN, len;
	struct teredo_trailers tr;
	const struct ipv6hdr *ip6;
	struct teredo_peer *peer;
	enum teredo_stat why;
	struct in6_addr src;
	bool origin, moved_here;
	__be16 sport;
	__be32 saddr;
	u64 mapping;

	saddr = ip_hdr(skb)->saddr;
	sport = udp_hdr(skb)->source;
	switch (hdr) {
	case TEREDO_HDR_AUTH:
		if (!teredo_client_from_server(t, saddr, sport)) {
			teredo_rx_drop(t, skb, TEREDO_STAT_RX_AUTH);
			return 0;
		}
		return to_helper(t);
	case TEREDO_HDR_ORIGIN:
		if (!teredo_client_from_server(t, saddr, sport)) {
			teredo_rx_drop(t, skb, TEREDO_STAT_RX_ORIGIN);
			return 0;
		}
		off += TEREDO_ORIGIN_LEN;
		break;
	case TEREDO_HDR_IPV6:
		break;
	default:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_HEADER);
		return 0;
	}
	origin = off > UDP_LEN;
	if (!pskb_may_pull(skb, off + sizeof(*ip6))) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_TRUNCATED);
		return 0;
	}
	ip6 = (const struct ipv6hdr *)(skb->data + off);
	if (ip6->version != 6) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_VERSION);
		return 0;
	}
	len = sizeof(*ip6) + ntohs(ip6->payload_len);
	if (off + len > skb->len) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_LENGTH);
		return 0;
	}
	why = teredo_receive_trailers(skb, off + len, &tr);
	if (why) {
		teredo_rx_drop(t, skb, why);
		return 0;
	}
	ip6 = (const struct ipv6hdr *)(skb->data + off);
	if (teredo_client_from_server(t, saddr, sport) &&
	    teredo_client_is_router_advert(skb, off))
		return to_helper(t);

	q = teredo_client_qualified(&t->client);
	if (!q) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NOT_QUALIFIED);
		return 0;
	}
	ip6 = (const struct ipv6hdr *)(skb->data + off);
	src = ip6->saddr;
	/*
	 * Discovery bubbles go to port 3544, the discovery socket's
	 * (teredo_client_discovery_recv()); one here came by unicast.
	 */
	if (teredo_is_discovery((const u8 *)ip6, len) &&
	    teredo_client_discovery_ifindex(t)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_DISCOVERY);
		return 0;
	}
	if (ipv6_addr_is_multicast(&src) ||
	    ipv6_addr_is_multicast(&ip6->daddr)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_MULTICAST);
		return 0;
	}
	if (!teredo_is_bubble((const u8 *)ip6, len)) {
		if (!ipv6_addr_equal(&ip6->daddr, &q->addr)) {
			teredo_rx_drop(t, skb, TEREDO_STAT_RX_NOT_OURS);
			return 0;
		}
	} else if (!ipv6_addr_equal(&ip6->daddr, &q->addr) &&
		   !(ipv6_addr_type(&ip6->daddr) & IPV6_ADDR_LINKLOCAL)) {
		/* Replies to bubbles from fe80:: sources come back there. */
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NOT_OURS);
		return 0;
	}
	mapping = teredo_mapping(saddr, sport);

	if (saddr == READ_ONCE(t->cfg.server) && sport == htons(TEREDO_PORT)) {
		if (origin)
			reply_to_origin(t, skb, off, q, &tr);
		if (teredo_is_bubble((const u8 *)ip6, len)) {
			teredo_stat_inc(t, TEREDO_STAT_RX_BUBBLES);
			consume_skb(skb);
			return 0;
		}
	}
	if (teredo_is_bubble((const u8 *)ip6, len))
		return bubble(t, skb, q, &tr, &src, &ip6->daddr, mapping);
	if (ipv6_addr_type(&src) & IPV6_ADDR_LINKLOCAL) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_LINK_LOCAL);
		return 0;
	}
	if (pskb_trim_rcsum(skb, off + len)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NO_MEMORY);
		return 0;
	}

	peer = teredo_peer_lookup(&t->peers, &src);
	if (teredo_addr_is_teredo(&src)) {
		/*
		 * Case 1, case 3: a Teredo peer from its own mapping, or
		 * case 5: from its address on our link, or (RFC 6081) from
		 * where a nonce proves it is.
		 */
		why = check_teredo(t, q, &src, mapping, &tr, NULL, peer,
				   &moved_here);
		if (why == TEREDO_STAT_RX_MAPPING &&
		    hold_moving(t, skb, off, &src, mapping, &tr, peer))
			return 0;
		if (!why && !peer)
			peer = teredo_peer_create(t, &src, mapping, false);
		if (!why && IS_ERR(peer))
			why = teredo_peer_rx_error(peer);
		if (why) {
			teredo_rx_drop(t, skb, why);
			return 0;
		}
		if (!moved_here)
			teredo_peer_received(peer, mapping);
		teredo_receive_deliver(t, peer, skb, off);
		return 0;
	}

	/*
	 * A native source, through a relay (case 2, then case 1 or 6); one
	 * no host can have never gets an echo test (nor a peer entry).
	 */
	if (!teredo_ipv6_native(&src)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_SOURCE);
		return 0;
	}
	if (peer && answers_test(skb, off, peer, mapping)) {
		teredo_stat_inc(t, TEREDO_STAT_RX_ECHO_REPLIES);
		consume_skb(skb);
		return 0;
	}
	if (peer && READ_ONCE(peer->trusted) &&
	    READ_ONCE(peer->mapping) == mapping) {
		teredo_peer_received(peer, mapping);
		teredo_receive_deliver(t, peer, skb, off);
		return 0;
	}
	if (!teredo_ipv4_is_global(saddr)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NOT_GLOBAL);
		return 0;
	}
	if (!peer)
		peer = teredo_peer_create(t, &src, 0, false);
	if (IS_ERR(peer)) {
		teredo_rx_drop(t, skb, teredo_peer_rx_error(peer));
		return 0;
	}
	teredo_peer_hold_received(peer, skb, off, mapping);
	return 0;
}

/**
 * teredo_client_encap_recv - a client's encap_rcv
 * @sk: teredod's socket
 * @skb: the datagram, data at the UDP header, checksum verified
 *
 * Context: softirq, under RCU.
 * Return: 0 when consumed, >0 to queue it on teredod's socket (what is
 * its own, and everything once the device has let go of the socket).
 */
int teredo_client_encap_recv(struct sock *sk, struct sk_buff *skb)
{
	struct teredo_dev *t = rcu_dereference_sk_user_data(sk);

	if (unlikely(!t))
		return 1;
	return teredo_client_receive(t, skb);
}

/**
 * teredo_client_receive - what came to one of a client's sockets
 * @t: the client device
 * @skb: the datagram, data at the UDP header, checksum verified
 *
 * teredod's socket, or a random port (RFC 6081 §5.4, rport.c): the
 * same reception, a peer is known by its address and mapping alone.
 *
 * Context: softirq, under RCU.
 * Return: 0 when consumed, >0 to queue it on the socket.
 */
int teredo_client_receive(struct teredo_dev *t, struct sk_buff *skb)
{
	int hdr = teredo_receive_header(t, skb);

	return hdr < 0 ? 0 : recv(t, skb, hdr);
}

/**
 * teredo_client_discovery_recv - encap_rcv of the discovery socket
 * @sk: teredod's socket on port 3544
 * @skb: the datagram, data at the UDP header, checksum verified
 *
 * Only local discovery bubbles (RFC 4380 §5.2.8) are taken here; the
 * client's traffic goes to its own port.
 *
 * Context: softirq, under RCU.
 * Return: 0 (consumed), or 1 once the device has let go of the socket.
 */
int teredo_client_discovery_recv(struct sock *sk, struct sk_buff *skb)
{
	struct teredo_dev *t = rcu_dereference_sk_user_data(sk);
	const struct teredo_qualified *q;
	int ifindex;

	if (unlikely(!t))
		return 1;
	if (!pskb_may_pull(skb, UDP_LEN + TEREDO_IPV6_HDR_LEN) ||
	    !teredo_is_discovery(skb->data + UDP_LEN, skb->len - UDP_LEN)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_DISCOVERY);
		return 0;
	}
	q = teredo_client_qualified(&t->client);
	if (!q) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NOT_QUALIFIED);
		return 0;
	}
	/* Not joined anywhere (yet): discovery_valid() refuses. */
	ifindex = teredo_client_discovery_ifindex(t);
	return discovery(t, skb, UDP_LEN, q, ifindex);
}
