// SPDX-License-Identifier: GPL-2.0
/*
 * What a client sends (RFC 4380 §5.2.4, protocol.md §4.2, §4.5): to a
 * trusted peer directly; to a Teredo peer after bubbles, one through its
 * server and one to its mapping (which opens our NAT for its answer); to
 * a native host through the relay the direct connectivity test finds:
 * an echo request through our server, answered through the relay
 * nearest the host; to a peer on our link (local discovery) at its
 * local address.
 */

#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/route.h>

#include "client.h"
#include "compat.h"
#include "device.h"
#include "mode.h"
#include "peer.h"
#include "predict.h"
#include "proto.h"
#include "rport.h"
#include "send.h"
#include "socket.h"
#include "stats.h"

/* Miredo's: 21 was too few for some paths (protocol.md §2.10). */
#define ECHO_HOP_LIMIT	128

/*
 * The echo test: ICMPv6 echo request from our address to the native
 * peer, through our server, with the test's nonce as id, sequence and
 * data (16 bytes of ICMPv6: far under the 88 bytes a Miredo server
 * forwards).
 */
static void send_echo(struct teredo_dev *t, const struct in6_addr *src,
		      struct teredo_peer *peer, u64 nonce)
{
	const unsigned int len = sizeof(struct icmp6hdr) + sizeof(u64);
	struct icmp6hdr *icmp;
	struct ipv6hdr *ip6;
	struct sk_buff *skb;

	skb = teredo_send_alloc(t, src, &peer->addr, IPPROTO_ICMPV6, len);
	if (!skb)
		return;
	ip6 = ipv6_hdr(skb);
	ip6->hop_limit = ECHO_HOP_LIMIT;
	icmp = skb_put_zero(skb, len);
	icmp->icmp6_type = ICMPV6_ECHO_REQUEST;
	memcpy(&icmp->icmp6_dataun, &nonce, sizeof(icmp->icmp6_dataun));
	memcpy(icmp + 1, &nonce, sizeof(nonce));
	icmp->icmp6_cksum = csum_ipv6_magic(&ip6->saddr, &ip6->daddr, len,
					    IPPROTO_ICMPV6,
					    csum_partial(icmp, len, 0));

	if (!teredo_socket_send(t, skb, READ_ONCE(t->cfg.server),
				htons(TEREDO_PORT)))
		teredo_stat_inc(t, TEREDO_STAT_TX_ECHO_TESTS);
}

/**
 * teredo_client_discover - send a local discovery bubble
 * @t: the client device
 * @src: our Teredo address
 *
 * teredod sends one every 200-300 s (RFC 4380 §5.2.8); the kernel sends
 * one when a peer on the link must learn of us now: one we probe there
 * (§5.2.4 case 3) and one that just announced itself.  From the
 * client's socket (peers answer the service port), out of the interface
 * the discovery socket joined the group on, TTL and hop limit 1:
 * receivers take nothing else.
 *
 * Context: BH disabled, under RCU.
 */
void teredo_client_discover(struct teredo_dev *t, const struct in6_addr *src)
{
	static const struct in6_addr all = IN6ADDR_LINKLOCAL_ALLNODES_INIT;
	struct sock *sk = rcu_dereference_bh(t->sk);
	struct flowi4 fl4 = {
		.daddr = htonl(TEREDO_DISCOVERY_IPV4),
		.flowi4_proto = IPPROTO_UDP,
		.fl4_dport = htons(TEREDO_PORT),
	};
	struct sk_buff *skb;
	struct rtable *rt;

	if (!sk)
		return;
	fl4.flowi4_oif = teredo_client_discovery_ifindex(t);
	fl4.fl4_sport = inet_sk(sk)->inet_sport;
	if (!fl4.flowi4_oif)
		return;
	rt = ip_route_output_key(t->net, &fl4);
	if (IS_ERR(rt)) {
		teredo_stat_inc(t, TEREDO_STAT_TX_NO_ROUTE);
		return;
	}
	skb = teredo_send_alloc(t, src, &all, TEREDO_NEXTHDR_NONE, 0);
	if (!skb) {
		ip_rt_put(rt);
		return;
	}
	ipv6_hdr(skb)->hop_limit = 1;
	teredo_udp_tunnel_xmit_skb(rt, sk, skb, fl4.saddr, fl4.daddr, 0, 1, 0,
				   fl4.fl4_sport, fl4.fl4_dport,
				   !net_eq(t->net, dev_net(t->dev)), false);
	teredo_stat_inc(t, TEREDO_STAT_TX_DISCOVERY);
}

/*
 * A peer on our link (RFC 4380 §5.2.4 case 3): a bubble to its local
 * address, where it answers, and a discovery bubble, so that it knows
 * ours: it trusts the answer from there only if it does (case 5).
 */
static void probe_local(struct teredo_dev *t, const struct in6_addr *src,
			struct teredo_peer *peer)
{
	u64 mapping = READ_ONCE(peer->mapping);

	teredo_send_bubble_to(t, src, &peer->addr,
			      teredo_mapping_addr(mapping),
			      teredo_mapping_port(mapping));
	teredo_client_discover(t, src);
}

/*
 * RFC 6081 §5.6: a peer behind our own public address is behind our
 * NAT too (or claims to be: only our LAN address is given away, which
 * is why teredod gives one only when asked, --hairpinning on).
 */
static bool behind_our_nat(const struct teredo_qualified *q,
			   const struct in6_addr *peer)
{
	return q->alt_addr &&
	       teredo_addr_mapped(peer) == teredo_addr_mapped(&q->addr);
}

/**
 * teredo_client_rport - the random port to talk to @peer from, if any
 * @t: the client device
 * @q: our qualified state
 * @peer: a Teredo peer
 *
 * RFC 6081 §5.4: behind a port-preserving symmetric NAT, a local port
 * of the peer's own (rport.c), which our NAT keeps since it is new to
 * it.  Our direct bubbles and data leave from there, and our indirect
 * bubbles tell the peer where that is.  Behind a sequential NAT (§5.5)
 * the same, with the public port an echo test guessed (predict.c).
 * Not for a peer behind our own NAT, which the hairpinning exchange
 * reaches.
 *
 * Context: BH disabled, under RCU.
 * Return: the peer's random port, given one now if it had none; NULL.
 */
struct teredo_rport *teredo_client_rport(struct teredo_dev *t,
					 const struct teredo_qualified *q,
					 struct teredo_peer *peer)
{
	if (!(q->port_preserving || q->sequential) ||
	    behind_our_nat(q, &peer->addr))
		return NULL;
	return teredo_rport_assign(t, peer);
}

/*
 * The port our Random Port trailer names: the random port itself where
 * the NAT keeps it, the guess where it is sequential; 0: no trailer
 * (no guess yet, or the tests went unanswered).
 */
static __be16 named_port(const struct teredo_qualified *q,
			 struct teredo_rport *rp)
{
	if (!rp)
		return 0;
	return q->sequential ? teredo_predict_port(&rp->predict) : rp->port;
}

/**
 * teredo_client_test_start - an echo test around a direct bubble
 * @t: the client device
 * @q: our qualified state
 * @rp: the peer's random port, or NULL
 * @peer: the peer's address
 *
 * RFC 6081 §5.5, behind a sequential NAT while the port is not known
 * (predict.c): the first Router Solicitation now; the caller sends the
 * direct bubble from @rp, then teredo_predict_finish().  The indirect
 * bubble that names the port goes when the test's answer says which.
 *
 * Context: BH disabled, under RCU; the caller has applied the limits.
 * Return: whether a test started.
 */
bool teredo_client_test_start(struct teredo_dev *t,
			      const struct teredo_qualified *q,
			      struct teredo_rport *rp,
			      const struct in6_addr *peer)
{
	return rp && q->sequential && teredo_predict_start(t, rp, peer);
}

/**
 * teredo_client_bubble_nonce - the bubbles of an exchange with a nonce
 * @t: the client device
 * @q: our qualified state
 * @peer: the Teredo peer (its address, its mapping)
 * @nonce: the exchange's nonce: in a Nonce trailer where one is needed,
 *	else the salt of the indirect bubble's keyed source; 0 = none
 * @indirect: also the indirect bubble, through the peer's server, with
 *	our alternate address when the peer is behind our NAT
 * @direct: also the direct bubble, to where the peer is
 *
 * Trailers only where they are needed (Documentation, "RFC 6081"): a
 * Miredo server drops a bubble with trailers (its length check is
 * 40 + payload length == datagram), so our bubbles carry them only when
 * we are behind a symmetric NAT or the peer is behind ours, where a
 * plain bubble cannot work.
 *
 * Context: BH disabled, under RCU; the caller has applied the limits.
 */
void teredo_client_bubble_nonce(struct teredo_dev *t,
				const struct teredo_qualified *q,
				struct teredo_peer *peer, u32 nonce,
				bool indirect, bool direct)
{
	u8 tr[TEREDO_TRAILERS_MAX];
	bool hairpin = behind_our_nat(q, &peer->addr);
	struct teredo_rport *rp;
	size_t len = 0, nlen = 0;
	bool test = false;
	__be16 named;
	u64 mapping;

	if (nonce && (q->symmetric || hairpin))
		nlen = teredo_trailer_nonce_build(tr, (const u8 *)&nonce);
	rp = teredo_client_rport(t, q, peer);
	if (direct)
		test = teredo_client_test_start(t, q, rp, &peer->addr);
	/* 0 while a test runs: its answer sends one that names it. */
	named = named_port(q, rp);
	if (indirect) {
		struct in6_addr src = q->addr;

		len = nlen;
		if (hairpin && nlen)
			len += teredo_trailer_alt_build(tr + len, &q->alt_addr,
							&q->alt_port, 1);
		/* §4.5's type: the text, which builders follow (proto.h). */
		if (named)
			len += teredo_trailer_random_port_build(tr + len,
					TEREDO_TRAILER_RANDOM_PORT, named);
		/*
		 * Without trailers, from the keyed fe80:: source of the
		 * exchange, as Miredo's: a peer behind a symmetric NAT
		 * answers from another mapping than its address embeds,
		 * and a peer that knows no RFC 6081 (Miredo) has no nonce
		 * to prove it with; the answer's destination, which only
		 * the path through its server saw, does
		 * (client_receive.c).  Trailers go with our own address:
		 * the peer keeps or echoes them for us (RFC 6081 §5.2.4).
		 */
		if (!len && nonce)
			teredo_bubble_source(t, &peer->addr, nonce, &src);
		/* Indirect, through the peer's server: it adds our origin. */
		teredo_send_bubble_trailers(t, &src, &peer->addr,
					    teredo_addr_server(&peer->addr),
					    htons(TEREDO_PORT), tr, len);
		if (nlen)
			teredo_stat_inc(t, TEREDO_STAT_TX_NONCES);
		if (named)
			teredo_stat_inc(t, TEREDO_STAT_TX_RANDOM_PORTS);
	}
	if (!direct)
		return;
	/*
	 * Direct, so our NAT lets the peer's answer in (case 5): where the
	 * peer is, the mapping its address embeds until a nonce moved it
	 * (RFC 6081 §5.2, "record the actual mapping"), or the random port
	 * it said it sends from (§5.4), instead of the embedded one: that
	 * is its NAT's mapping towards its server alone, which lets
	 * nothing of ours in, and the round stays two bubbles.
	 */
	mapping = teredo_peer_direct(peer);
	len = q->symmetric ? nlen : 0;
	teredo_send_bubble_from(t, peer, &q->addr, &peer->addr,
				teredo_mapping_addr(mapping),
				teredo_mapping_port(mapping), tr, len);
	if (len)
		teredo_stat_inc(t, TEREDO_STAT_TX_NONCES);
	if (test)
		teredo_predict_finish(t, rp);
}

/* The round of RFC 4380 §5.2.4 case 5 to a Teredo peer. */
static void probe_teredo(struct teredo_dev *t,
			 const struct teredo_qualified *q,
			 struct teredo_peer *peer, u32 nonce)
{
	teredo_client_bubble_nonce(t, q, peer, nonce, true, true);
}

/**
 * teredo_client_nd_bubble - a direct bubble with a Neighbor Discovery
 * Option (RFC 6081 §5.7, server load reduction)
 * @t: the client device
 * @q: our qualified state
 * @peer: the Teredo peer
 * @mapping: where it goes (the peer's)
 * @type: TEREDO_ND_WIRE_SOLICITATION or _ADVERTISEMENT
 *
 * Only ever direct, so no Miredo server sees its trailer; a Miredo
 * client takes it as a plain bubble (it reads 40 + payload length
 * bytes) and does not answer.
 *
 * Context: BH disabled, under RCU; the caller has applied the limits.
 */
void teredo_client_nd_bubble(struct teredo_dev *t,
			     const struct teredo_qualified *q,
			     struct teredo_peer *peer, u64 mapping, u8 type)
{
	u8 tr[2 + TEREDO_ND_LEN];
	size_t len;

	len = teredo_trailer_nd_build(tr, type);
	teredo_send_bubble_from(t, peer, &q->addr, &peer->addr,
				teredo_mapping_addr(mapping),
				teredo_mapping_port(mapping), tr, len);
	teredo_stat_inc(t, type == TEREDO_ND_WIRE_SOLICITATION ?
			   TEREDO_STAT_TX_SOLICITATIONS :
			   TEREDO_STAT_TX_ADVERTISEMENTS);
}

/**
 * teredo_client_probe - one round of making an untrusted peer answer
 * @t: the client device
 * @peer: the peer
 * @probe: the round the timers decided (and counted)
 *
 * Context: BH disabled, under RCU; the timers applied the limits.
 */
void teredo_client_probe(struct teredo_dev *t, struct teredo_peer *peer,
			 const struct teredo_probe *probe)
{
	const struct teredo_qualified *q = teredo_client_qualified(&t->client);

	if (!q)
		return;
	if (!peer->teredo) {
		send_echo(t, &q->addr, peer, probe->nonce);
		return;
	}
	if (probe->solicit) {
		teredo_client_nd_bubble(t, q, peer, READ_ONCE(peer->mapping),
					TEREDO_ND_WIRE_SOLICITATION);
		return;
	}
	if (READ_ONCE(peer->local)) {
		probe_local(t, &q->addr, peer);
		return;
	}
	probe_teredo(t, q, peer, probe->nonce_sent);
}

/* An IPv6 packet to a unicast destination.  Consumes @skb. */
static void xmit(struct teredo_dev *t, struct sk_buff *skb)
{
	const struct in6_addr *daddr = &ipv6_hdr(skb)->daddr;
	const struct teredo_qualified *q;
	struct teredo_peer *peer;

	q = teredo_client_qualified(&t->client);
	if (!q) {
		teredo_send_unreachable(t, skb, TEREDO_STAT_TX_NOT_QUALIFIED);
		return;
	}
	/*
	 * Only our Teredo address can come back to us: anything else
	 * would vanish at the relay or the peer.  Say so to the sender
	 * (Miredo does the same).
	 */
	if (!ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &q->addr)) {
		teredo_send_prohibited(t, skb, TEREDO_STAT_TX_BAD_SOURCE);
		return;
	}
	if (unlikely(q->dormant)) {
		teredo_dormant_hold(t, skb);
		return;
	}
	/*
	 * Whether the destination can be reached at all was decided when
	 * its peer was made (teredo_peer_reachable()): the common case is
	 * one lookup.
	 */
	peer = teredo_peer_lookup(&t->peers, daddr);
	if (likely(peer && peer->reachable && teredo_peer_is_fresh(peer))) {
		teredo_send_to_peer(t, peer, skb);
		return;
	}
	if (peer ? !peer->reachable : !teredo_peer_reachable(daddr)) {
		teredo_send_unreachable(t, skb, TEREDO_STAT_TX_NOT_GLOBAL);
		return;
	}
	if (!peer) {
		/* Until a test says otherwise, a native peer has no relay. */
		u64 mapping = 0;

		if (teredo_addr_is_teredo(daddr))
			mapping = teredo_mapping(teredo_addr_mapped(daddr),
						 teredo_addr_port(daddr));
		peer = teredo_peer_create(t, daddr, mapping, true);
		if (IS_ERR(peer)) {
			teredo_send_unreachable(t, skb,
						teredo_peer_tx_error(peer));
			return;
		}
	}
	teredo_peer_queue(peer, skb);
}

/* ndo_start_xmit */
netdev_tx_t teredo_client_xmit(struct sk_buff *skb, struct net_device *dev)
{
	return teredo_xmit_with(skb, dev, xmit);
}
