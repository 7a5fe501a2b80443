// SPDX-License-Identifier: GPL-2.0
/*
 * A relay (RFC 4380 §5.4): joins Teredo clients to the native IPv6
 * network it routes 2001::/32 for.  Towards a client it sends through a
 * bubble exchange until the client's mapping is proven; from a client it
 * takes only packets from the mapping its address embeds (or the one a
 * symmetric NAT moved it to), and only from clients it is expecting.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ipv6.h>

#include "device.h"
#include "mode.h"
#include "peer.h"
#include "proto.h"
#include "receive.h"
#include "send.h"
#include "stats.h"

/*
 * RFC 6081 §5.2 (symmetric NAT support), as Miredo's relay has it: a
 * client behind a symmetric NAT reaches us from another mapping than
 * the one its server saw and its address embeds.  It proves itself
 * with the direct bubble that answers our indirect one, whose
 * destination is that bubble's keyed source (teredo_bubble_source()):
 * only the path through its server has seen it.  The peer then moves to
 * the mapping the bubble came from (teredo_peer_received()), and what
 * comes from that mapping is accepted.  The key is the same for every
 * round, so a bubble is taken only while a round is pending (the peer
 * not trusted): a copy replayed from elsewhere cannot move a peer that
 * is talking.  Anything else that does not match is still a spoof, and
 * nothing here makes an entry: a relay's entries come from its IPv6
 * side.
 */
static enum teredo_stat check_moved(struct teredo_dev *t,
				    const struct ipv6hdr *ip6,
				    unsigned int len, u64 mapping,
				    struct teredo_peer *peer)
{
	struct in6_addr key;

	if (!peer)
		return TEREDO_STAT_RX_MAPPING;
	if (READ_ONCE(peer->mapping) != mapping) {
		if (!teredo_is_bubble((const u8 *)ip6, len) ||
		    teredo_peer_is_fresh(peer))
			return TEREDO_STAT_RX_MAPPING;
		teredo_bubble_source(t, &ip6->saddr, 0, &key);
		if (!ipv6_addr_equal(&ip6->daddr, &key))
			return TEREDO_STAT_RX_MAPPING;
	}
	return TEREDO_STAT_UNSPEC;
}

/*
 * Source rules (RFC 4380 §5.4.2): the source must be a Teredo address
 * whose embedded mapping is the sender (or the one a symmetric NAT moved
 * it to, above), with a global IPv4, and known to us: as in Miredo, a
 * relay only talks to clients it is expecting, which keeps clients from
 * routing through the wrong relay.
 *
 * A known peer whose mapping is the sender passed all of them when it
 * was made (teredo_relay_xmit()) or moved (here): the common case looks
 * it up and compares one word.  The rest is for everything else, and
 * names the rule a packet breaks.
 */
static enum teredo_stat check_source(struct teredo_dev *t,
				     const struct ipv6hdr *ip6,
				     unsigned int len, u64 mapping,
				     struct teredo_peer **peerp)
{
	const struct in6_addr *src = &ip6->saddr;
	struct teredo_peer *peer;
	enum teredo_stat why;

	if (ipv6_addr_is_multicast(src) || ipv6_addr_is_multicast(&ip6->daddr))
		return TEREDO_STAT_RX_MULTICAST;
	peer = teredo_peer_lookup(&t->peers, src);
	*peerp = peer;
	if (likely(peer && READ_ONCE(peer->mapping) == mapping))
		return TEREDO_STAT_UNSPEC;

	if (ipv6_addr_type(src) & IPV6_ADDR_LINKLOCAL)
		return TEREDO_STAT_RX_LINK_LOCAL;
	if (!teredo_addr_is_teredo(src))
		return TEREDO_STAT_RX_NOT_TEREDO;
	if (teredo_mapping(teredo_addr_mapped(src), teredo_addr_port(src)) !=
	    mapping) {
		why = check_moved(t, ip6, len, mapping, peer);
		if (why)
			return why;
	}
	if (!teredo_ipv4_is_global(teredo_mapping_addr(mapping)))
		return TEREDO_STAT_RX_NOT_GLOBAL;
	if (!peer)
		return TEREDO_STAT_RX_UNKNOWN_PEER;
	return TEREDO_STAT_UNSPEC;
}

/* encap_rcv: see teredo_receive_header() for what came before. */
static int relay_recv(struct sock *sk, struct sk_buff *skb)
{
	struct teredo_peer *peer;
	const struct ipv6hdr *ip6;
	struct teredo_dev *t;
	enum teredo_stat why;
	unsigned int len, plen;
	u64 mapping;
	int hdr;

	t = rcu_dereference_sk_user_data(sk);
	if (unlikely(!t))
		return 1;
	hdr = teredo_receive_header(t, skb);
	switch (hdr) {
	case TEREDO_HDR_IPV6:
		break;
	case TEREDO_HDR_AUTH:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_AUTH);
		return 0;
	case TEREDO_HDR_ORIGIN:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_ORIGIN);
		return 0;
	case -1:
		return 0;
	default:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_HEADER);
		return 0;
	}
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + sizeof(*ip6))) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_TRUNCATED);
		return 0;
	}
	len = skb->len - sizeof(struct udphdr);
	ip6 = (const struct ipv6hdr *)(skb->data + sizeof(struct udphdr));
	plen = ntohs(ip6->payload_len);
	if (sizeof(*ip6) + plen > len) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_LENGTH);
		return 0;
	}
	why = teredo_receive_trailers(skb, sizeof(struct udphdr) +
				      sizeof(*ip6) + plen, NULL);
	if (why) {
		teredo_rx_drop(t, skb, why);
		return 0;
	}
	ip6 = (const struct ipv6hdr *)(skb->data + sizeof(struct udphdr));
	mapping = teredo_mapping(ip_hdr(skb)->saddr, udp_hdr(skb)->source);

	why = check_source(t, ip6, len, mapping, &peer);
	if (why) {
		teredo_rx_drop(t, skb, why);
		return 0;
	}
	teredo_peer_received(peer, mapping);

	if (teredo_is_bubble((const u8 *)ip6, len)) {
		teredo_stat_inc(t, TEREDO_STAT_RX_BUBBLES);
		consume_skb(skb);
		return 0;
	}
	len = sizeof(*ip6) + plen;
	if (pskb_trim_rcsum(skb, sizeof(struct udphdr) + len)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NO_MEMORY);
		return 0;
	}
	teredo_receive_deliver(t, peer, skb, sizeof(struct udphdr));
	return 0;
}

/*
 * Towards a client (RFC 4380 §5.4.1).  A peer in the table was made for
 * a Teredo destination that can be reached (below), so the common case
 * is one lookup; the checks are for a new destination.
 */
static void xmit(struct teredo_dev *t, struct sk_buff *skb)
{
	const struct in6_addr *daddr = &ipv6_hdr(skb)->daddr;
	struct teredo_peer *peer;
	u64 mapping;

	peer = teredo_peer_lookup(&t->peers, daddr);
	if (likely(peer && teredo_peer_is_fresh(peer))) {
		teredo_send_to_peer(t, peer, skb);
		return;
	}
	if (peer) {
		teredo_peer_queue(peer, skb);
		return;
	}
	if (!teredo_addr_is_teredo(daddr)) {
		teredo_send_unreachable(t, skb, TEREDO_STAT_TX_NOT_TEREDO);
		return;
	}
	if (!teredo_send_reachable(daddr)) {
		teredo_send_unreachable(t, skb, TEREDO_STAT_TX_NOT_GLOBAL);
		return;
	}
	mapping = teredo_mapping(teredo_addr_mapped(daddr),
				 teredo_addr_port(daddr));
	peer = teredo_peer_create(t, daddr, mapping, true);
	if (IS_ERR(peer)) {
		teredo_send_unreachable(t, skb, teredo_peer_tx_error(peer));
		return;
	}
	teredo_peer_queue(peer, skb);
}

/* ndo_start_xmit */
netdev_tx_t teredo_relay_xmit(struct sk_buff *skb, struct net_device *dev)
{
	return teredo_xmit_with(skb, dev, xmit);
}

/*
 * The server embedded in the client's address forwards our indirect
 * bubble; the client answers with a direct bubble that makes it trusted.
 */
static void relay_bubble(struct teredo_dev *t, struct teredo_peer *peer,
			 const struct teredo_probe *probe)
{
	struct in6_addr src;

	teredo_bubble_source(t, &peer->addr, 0, &src);
	teredo_send_bubble_to(t, &src, &peer->addr,
			      teredo_addr_server(&peer->addr),
			      htons(TEREDO_PORT));
}

const struct teredo_mode_ops teredo_relay_ops = {
	.encap_rcv	= relay_recv,
	.bubble		= relay_bubble,
	.gro		= true,
};
