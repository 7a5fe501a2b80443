// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: the UDP socket's encap_rcv.  Validates the encapsulation
 * (RFC 4380 §5.1.1, RFC 6081 §4) and the IPv6 header, applies the source
 * rules of the device's mode, updates the peer and hands data to GRO.
 * Bubbles and link-local sources never reach the IPv6 stack.
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/gro.h>
#include <net/gro_cells.h>
#include <net/ip_tunnels.h>
#include <net/ipv6.h>
#include <net/protocol.h>
#include <net/udp_tunnel.h>

#include "client.h"
#include "device.h"
#include "peer.h"
#include "proto.h"
#include "receive.h"
#include "send.h"
#include "server.h"
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
static enum teredo_stat relay_check_moved(struct teredo_dev *t,
					  const struct ipv6hdr *ip6,
					  unsigned int len, u64 mapping,
					  struct teredo_peer **peerp)
{
	struct teredo_peer *peer = teredo_peer_lookup(&t->peers, &ip6->saddr);
	struct in6_addr key;

	if (!peer)
		return TEREDO_STAT_RX_MAPPING;
	if (READ_ONCE(peer->mapping) != mapping) {
		if (!teredo_is_bubble((const u8 *)ip6, len) ||
		    teredo_peer_is_fresh(peer))
			return TEREDO_STAT_RX_MAPPING;
		teredo_bubble_source(t, &ip6->saddr, &key);
		if (!ipv6_addr_equal(&ip6->daddr, &key))
			return TEREDO_STAT_RX_MAPPING;
	}
	*peerp = peer;
	return TEREDO_STAT_UNSPEC;
}

/*
 * Relay (RFC 4380 §5.4.2): the source must be a Teredo address whose
 * embedded mapping is the sender (or the one a symmetric NAT moved it
 * to, above), with a global IPv4, and known to us: as in Miredo, a
 * relay only talks to clients it is expecting, which keeps clients from
 * routing through the wrong relay.
 */
static enum teredo_stat relay_check(struct teredo_dev *t,
				    const struct ipv6hdr *ip6, unsigned int len,
				    __be32 saddr, __be16 sport,
				    struct teredo_peer **peerp)
{
	const struct in6_addr *src = &ip6->saddr;
	enum teredo_stat why;

	if (ipv6_addr_is_multicast(src) || ipv6_addr_is_multicast(&ip6->daddr))
		return TEREDO_STAT_RX_MULTICAST;
	if (ipv6_addr_type(src) & IPV6_ADDR_LINKLOCAL)
		return TEREDO_STAT_RX_LINK_LOCAL;
	if (!teredo_addr_is_teredo(src))
		return TEREDO_STAT_RX_NOT_TEREDO;
	if (teredo_addr_mapped(src) != saddr ||
	    teredo_addr_port(src) != sport) {
		why = relay_check_moved(t, ip6, len,
					teredo_mapping(saddr, sport), peerp);
		if (why)
			return why;
	}
	if (!teredo_ipv4_is_global(saddr))
		return TEREDO_STAT_RX_NOT_GLOBAL;
	if (!*peerp)
		*peerp = teredo_peer_lookup(&t->peers, src);
	if (!*peerp)
		return TEREDO_STAT_RX_UNKNOWN_PEER;
	return TEREDO_STAT_UNSPEC;
}

/**
 * teredo_receive_trailers - apply RFC 6081 §4 to what follows the packet
 * @skb: the datagram, @skb->data at the UDP header
 * @end: where the IPv6 packet ends, from @skb->data
 *
 * Rare (no implementation we meet sends trailers but Windows), so the
 * datagram is made linear for it.  Pointers into @skb->data must be
 * taken again after this.
 *
 * Return: 0, or the counter of why the packet is dropped.
 */
enum teredo_stat teredo_receive_trailers(struct sk_buff *skb,
					 unsigned int end)
{
	if (likely(skb->len <= end))
		return TEREDO_STAT_UNSPEC;
	if (!pskb_may_pull(skb, skb->len))
		return TEREDO_STAT_RX_NO_MEMORY;
	if (teredo_trailers_discard(skb->data + end, skb->len - end))
		return TEREDO_STAT_RX_TRAILER;
	return TEREDO_STAT_UNSPEC;
}

/**
 * teredo_receive_decap - hand the IPv6 packet of a datagram to the stack
 * @t: the device
 * @skb: the datagram, trimmed to the IPv6 packet
 * @offset: where the IPv6 header starts, from @skb->data
 *
 * Context: softirq, under RCU.  Consumes @skb.
 * Return: whether the stack took it (and the device counted it).
 */
bool teredo_receive_decap(struct teredo_dev *t, struct sk_buff *skb,
			  unsigned int offset)
{
	struct net_device *dev = t->dev;
	unsigned int len = skb->len - offset;

	if (iptunnel_pull_header(skb, offset, htons(ETH_P_IPV6),
				 !net_eq(t->net, dev_net(dev)))) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NO_MEMORY);
		return false;
	}
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	if (unlikely(gro_cells_receive(&t->gro_cells, skb) != NET_RX_SUCCESS))
		return false;
	dev_sw_netstats_rx_add(dev, len);
	return true;
}

/**
 * teredo_receive_deliver - hand a checked packet from a peer to the stack
 * @t: the device
 * @peer: the peer it came from, for its counters
 * @skb: the datagram, trimmed to the IPv6 packet, data at the UDP header
 * @offset: where the IPv6 header starts (after an origin indication)
 *
 * Context: softirq, under RCU.  Consumes @skb.
 */
void teredo_receive_deliver(struct teredo_dev *t, struct teredo_peer *peer,
			    struct sk_buff *skb, unsigned int offset)
{
	atomic64_inc(&peer->rx_packets);
	atomic64_add(skb->len - offset, &peer->rx_bytes);
	teredo_receive_decap(t, skb, offset);
}

/**
 * teredo_udp_recv - encap_rcv of our UDP sockets
 * @sk: the socket
 * @skb: the datagram, @skb->data at the UDP header, checksum verified
 *
 * Context: softirq, under RCU, socket not locked.
 * Return: 0 when the packet was consumed, >0 to queue it on the socket
 * for the userspace helper.
 */
int teredo_udp_recv(struct sock *sk, struct sk_buff *skb)
{
	struct teredo_peer *peer = NULL;
	const struct ipv6hdr *ip6;
	enum teredo_header hdr;
	enum teredo_stat why;
	struct teredo_dev *t;
	unsigned int len, plen;
	__be32 saddr;
	__be16 sport;

	t = rcu_dereference_sk_user_data(sk);
	/*
	 * The device is letting go of the socket: what arrives meanwhile
	 * is a plain datagram again (teredod reads it; a relay's socket
	 * frees it when it closes).
	 */
	if (unlikely(!t))
		return 1;
	/* A server's acceptance rules and headers are its own. */
	if (t->cfg.mode == TEREDO_MODE_SERVER)
		return teredo_server_recv(t, sk, skb);
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + 2)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_TRUNCATED);
		return 0;
	}
	len = skb->len - sizeof(struct udphdr);
	hdr = teredo_header_type(skb->data + sizeof(struct udphdr), len);
	if (t->cfg.mode == TEREDO_MODE_CLIENT)
		return teredo_client_recv(t, skb, hdr);
	switch (hdr) {
	case TEREDO_HDR_IPV6:
		break;
	case TEREDO_HDR_AUTH:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_AUTH);
		return 0;
	case TEREDO_HDR_ORIGIN:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_ORIGIN);
		return 0;
	default:
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_HEADER);
		return 0;
	}
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + sizeof(*ip6))) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_TRUNCATED);
		return 0;
	}
	ip6 = (const struct ipv6hdr *)(skb->data + sizeof(struct udphdr));
	plen = ntohs(ip6->payload_len);
	if (sizeof(*ip6) + plen > len) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_BAD_LENGTH);
		return 0;
	}
	why = teredo_receive_trailers(skb, sizeof(struct udphdr) +
				      sizeof(*ip6) + plen);
	if (why) {
		teredo_rx_drop(t, skb, why);
		return 0;
	}
	ip6 = (const struct ipv6hdr *)(skb->data + sizeof(struct udphdr));
	saddr = ip_hdr(skb)->saddr;
	sport = udp_hdr(skb)->source;

	why = relay_check(t, ip6, len, saddr, sport, &peer);
	if (why) {
		teredo_rx_drop(t, skb, why);
		return 0;
	}
	teredo_peer_received(peer, teredo_mapping(saddr, sport));

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
 * UDP tunnel GRO: a stream of plain IPv6 packets between one client
 * mapping and us is merged before decapsulation, by the kernel's own
 * IPv6-in-IPv4 offload, as fou does.  The merged packet is validated by
 * teredo_udp_recv() once: GRO only merges packets with equal addresses
 * and ports, outer and inner.  Teredo headers, bubbles and anything odd
 * pass one by one.
 */
static struct sk_buff *teredo_gro_receive(struct sock *sk,
					  struct list_head *head,
					  struct sk_buff *skb)
{
	unsigned int off = skb_gro_offset(skb);
	const struct net_offload *ops;
	const u8 *ip6;

	ip6 = skb_gro_header(skb, off + sizeof(struct ipv6hdr), off);
	if (!ip6 || (ip6[0] >> 4) != 6 || ip6[6] == TEREDO_NEXTHDR_NONE)
		goto flush;
	ops = rcu_dereference(inet_offloads[IPPROTO_IPV6]);
	if (!ops || !ops->callbacks.gro_receive)
		goto flush;
	/* The UDP header is ours, not a second tunnel layer. */
	NAPI_GRO_CB(skb)->encap_mark = 0;
	return call_gro_receive(ops->callbacks.gro_receive, head, skb);
flush:
	NAPI_GRO_CB(skb)->flush = 1;
	return NULL;
}

static int teredo_gro_complete(struct sock *sk, struct sk_buff *skb,
			       int nhoff)
{
	const struct net_offload *ops;
	int err;

	ops = rcu_dereference(inet_offloads[IPPROTO_IPV6]);
	if (!ops || !ops->callbacks.gro_complete)
		return -EOPNOTSUPP;
	err = ops->callbacks.gro_complete(skb, nhoff);
	skb_set_inner_mac_header(skb, nhoff);
	return err;
}

void teredo_gro_setup(struct udp_tunnel_sock_cfg *cfg)
{
	cfg->gro_receive = teredo_gro_receive;
	cfg->gro_complete = teredo_gro_complete;
}
