// SPDX-License-Identifier: GPL-2.0
/*
 * Receive, what every mode shares: the first look at a datagram, the
 * RFC 6081 §4 trailers, the hand-off of a checked packet to the stack
 * through GRO cells, and UDP tunnel GRO.  Each mode's encap_rcv and its
 * source rules are its own (relay.c, client_receive.c, server.c).
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/gro.h>
#include <net/gro_cells.h>
#include <net/ip_tunnels.h>
#include <net/protocol.h>
#include <net/udp_tunnel.h>

#include "device.h"
#include "peer.h"
#include "proto.h"
#include "receive.h"
#include "stats.h"

/**
 * teredo_receive_trailers - apply RFC 6081 §4 to what follows the packet
 * @skb: the datagram, @skb->data at the UDP header
 * @end: where the IPv6 packet ends, from @skb->data
 * @tr: (client) filled with the nonce, alternate addresses and neighbor
 *	discovery option they carry (teredo_trailers_parse()); NULL when
 *	the mode reads none
 *
 * Rare (no implementation we meet sends trailers but Windows and our
 * own client), so the datagram is made linear for it.  Pointers into
 * @skb->data must be taken again after this.
 *
 * Return: 0, or the counter of why the packet is dropped.
 */
enum teredo_stat teredo_receive_trailers(struct sk_buff *skb,
					 unsigned int end,
					 struct teredo_trailers *tr)
{
	if (likely(skb->len <= end)) {
		if (tr) {
			tr->has_nonce = false;
			tr->nd = TEREDO_ND_NONE;
			tr->nalt = 0;
		}
		return TEREDO_STAT_UNSPEC;
	}
	if (!pskb_may_pull(skb, skb->len))
		return TEREDO_STAT_RX_NO_MEMORY;
	if (tr ? teredo_trailers_parse(skb->data + end, skb->len - end, tr) :
		 teredo_trailers_discard(skb->data + end, skb->len - end))
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
	int ret;

	if (iptunnel_pull_header(skb, offset, htons(ETH_P_IPV6),
				 !net_eq(t->net, dev_net(dev)))) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NO_MEMORY);
		return false;
	}
	skb_reset_network_header(skb);
	skb_reset_mac_header(skb);
	skb->dev = dev;
	skb->pkt_type = PACKET_HOST;
	/*
	 * Only TCP merges in the GRO cell's pass.  Anything else would pay
	 * for GRO's protocol callbacks (UDP's looks up a socket) and merge
	 * nothing, so it takes the backlog, as sit's packets do.  All of
	 * TCP takes the cell, what the UDP tunnel's GRO merged already (a
	 * GSO packet, which the pass mostly hands on as it is) too: a flow
	 * split between the two queues could be reordered, as whichever of
	 * the two NAPIs was scheduled first runs first.
	 */
	if (ipv6_hdr(skb)->nexthdr == IPPROTO_TCP)
		ret = gro_cells_receive(&t->gro_cells, skb);
	else
		ret = netif_rx(skb);
	if (unlikely(ret != NET_RX_SUCCESS))
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
	teredo_peer_account(&peer->rx_packets, &peer->rx_bytes,
			    skb->len - offset);
	teredo_receive_decap(t, skb, offset);
}

/**
 * teredo_receive_header - the first step of every mode's encap_rcv
 * @t: the device, from the socket's user data
 * @skb: the datagram, @skb->data at the UDP header, checksum verified
 *
 * Context: softirq, under RCU.
 * Return: the enum teredo_header of the UDP payload, or -1 when the
 * datagram was too short to say and was dropped.
 */
int teredo_receive_header(struct teredo_dev *t, struct sk_buff *skb)
{
	if (!pskb_may_pull(skb, sizeof(struct udphdr) + 2)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_TRUNCATED);
		return -1;
	}
	return teredo_header_type(skb->data + sizeof(struct udphdr),
				  skb->len - sizeof(struct udphdr));
}

/*
 * UDP tunnel GRO: a stream of plain IPv6 packets between one client
 * mapping and us is merged before decapsulation, by the kernel's own
 * IPv6-in-IPv4 offload, as fou does.  The merged packet is validated by
 * the mode's encap_rcv once: GRO only merges packets with equal addresses
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
