// SPDX-License-Identifier: GPL-2.0
/*
 * Server mode (RFC 4380 §5.3): answers Router Solicitations with Router
 * Advertisements, relays bubbles and ICMPv6 to the clients it serves
 * behind an origin indication, and hands the clients' echo tests to the
 * IPv6 stack through the device, which forwards them natively.  Nothing
 * is kept per client; only the RS rate limit has state.
 */

#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/ndisc.h>

#include "device.h"
#include "mode.h"
#include "proto.h"
#include "ratelimiter.h"
#include "receive.h"
#include "send.h"
#include "server.h"
#include "socket.h"
#include "stats.h"

enum {
	/*
	 * Miredo's cap on what a server relays, bubbles aside: echo tests
	 * and their replies fit, data does not ("Microsoft Teredo servers
	 * also drop these").  A server is not a relay.
	 */
	MAX_RELAYED_PLEN = 88,
	RA_RETRANS_MS = 2000,		/* as Miredo's; the client ignores it */
};

enum {
	ND_OPT_PIO = 3,
	ND_OPT_MTU_TYPE = 5,
	PIO_FLAG_A = 0x40,
	RS_MIN_LEN = 8,			/* RFC 4861 §6.1.1 */
};

/* What the receive path learnt about a datagram. */
struct rx {
	struct sock *sk;		/* the socket it arrived on */
	__be32 saddr;			/* outer source */
	__be16 sport;
	unsigned int off;		/* of the IPv6 header, from skb->data */
	unsigned int len;		/* UDP payload past Teredo headers */
	bool auth;
	u8 nonce[TEREDO_AUTH_NONCE_LEN];
};

static bool is_ours(const struct teredo_dev *t, __be32 addr, __be16 port)
{
	return port == htons(TEREDO_PORT) &&
	       (addr == t->cfg.local || addr == t->cfg.local2);
}

/* fe80::8000:f227:<~primary>: cone flag, ~3544, ~address (§5.3.2). */
static void server_link_local(struct in6_addr *a, __be32 primary)
{
	teredo_addr_build(a, 0, TEREDO_FLAG_CONE, primary, htons(TEREDO_PORT));
	a->s6_addr32[0] = htonl(0xfe800000);
}

enum {
	RA_ICMP_LEN = sizeof(struct teredo_ra) - sizeof(struct ipv6hdr),
};

/**
 * teredo_server_init - build the part every RA of this server shares
 * @t: a server device, its addresses set
 *
 * Per RA only the destination, the MTU and the checksum remain.
 */
void teredo_server_init(struct teredo_dev *t)
{
	struct teredo_ra *ra = &t->ra_template.ra;

	memset(ra, 0, sizeof(*ra));
	ra->ip6.version = 6;
	ra->ip6.payload_len = htons(RA_ICMP_LEN);
	ra->ip6.nexthdr = IPPROTO_ICMPV6;
	ra->ip6.hop_limit = 255;
	server_link_local(&ra->ip6.saddr, t->cfg.local);
	ra->type = NDISC_ROUTER_ADVERTISEMENT;
	/* Router lifetime 0: the prefix is for the address only. */
	ra->retrans = htonl(RA_RETRANS_MS);
	ra->pio_type = ND_OPT_PIO;
	ra->pio_len = 4;
	ra->prefix_len = 64;
	ra->pio_flags = PIO_FLAG_A;
	ra->valid = htonl(0xffffffff);
	ra->preferred = htonl(0xffffffff);
	ra->prefix.s6_addr32[0] = htonl(TEREDO_PREFIX);
	ra->prefix.s6_addr32[1] = t->cfg.local;
	ra->mtu_type = ND_OPT_MTU_TYPE;
	ra->mtu_len = 1;
	/* Checksum and MTU zero: neither adds to the sum. */
	t->ra_template.sum = csum_partial(&ra->type, RA_ICMP_LEN, 0);
}

/* The template, to @daddr, with the device's MTU of the moment. */
static void build_ra(const struct teredo_dev *t, struct teredo_ra *ra,
		     const struct in6_addr *daddr)
{
	__be32 mtu = htonl(READ_ONCE(t->dev->mtu));

	memcpy(ra, &t->ra_template.ra, sizeof(*ra));
	ra->ip6.daddr = *daddr;
	ra->mtu = mtu;
	ra->csum = csum_ipv6_magic(&ra->ip6.saddr, daddr, RA_ICMP_LEN,
				   IPPROTO_ICMPV6,
				   csum_add(t->ra_template.sum,
					    (__force __wsum)mtu));
}

/*
 * RS -> RA (RFC 4380 §5.3.2): auth with the RS's nonce (only when the RS
 * had one: Miredo echoes stale bytes otherwise), the RS's outer source as
 * origin indication, sent to that source.  From the address the RS came
 * to, or from the other one when the RS's link-local source has the cone
 * flag: reaching the client from an address it never wrote to proves a
 * cone NAT.
 */
static void send_ra(struct teredo_dev *t, const struct rx *rx,
		    const struct in6_addr *rs_src)
{
	unsigned int headroom = LL_MAX_HEADER + sizeof(struct iphdr) +
				sizeof(struct udphdr);
	struct sock *primary = rcu_dereference_bh(t->sk);
	struct sock *from = rx->sk;
	struct teredo_origin oi;
	struct sk_buff *skb;
	u8 *p;

	if (rs_src->s6_addr[8] & (TEREDO_FLAG_CONE >> 8))
		from = from == primary ? rcu_dereference_bh(t->sk2) : primary;

	skb = alloc_skb(headroom + TEREDO_AUTH_MIN_LEN + sizeof(oi) +
			sizeof(struct teredo_ra), GFP_ATOMIC);
	if (!skb) {
		teredo_stat_inc(t, TEREDO_STAT_TX_NO_MEMORY);
		return;
	}
	skb_reserve(skb, headroom);
	skb_reset_network_header(skb);
	if (rx->auth) {
		/* Nonce-only form: no client identifier, no HMAC (§5.1.1). */
		p = skb_put_zero(skb, TEREDO_AUTH_MIN_LEN);
		p[1] = 1;
		memcpy(p + 4, rx->nonce, TEREDO_AUTH_NONCE_LEN);
	}
	teredo_origin_build(&oi, rx->saddr, rx->sport);
	skb_put_data(skb, &oi, sizeof(oi));
	build_ra(t, skb_put(skb, sizeof(struct teredo_ra)), rs_src);
	skb->protocol = htons(ETH_P_IPV6);

	if (!teredo_socket_send_sk(t, from, skb, rx->saddr, rx->sport))
		teredo_stat_inc(t, TEREDO_STAT_TX_RA);
}

/*
 * Rule 4 of §5.3.1 in detail: an ICMPv6 Router Solicitation as RFC 4861
 * §6.1.1 wants it (hop limit 255, code 0, at least 8 bytes, checksum).
 * Options are ignored; an RS of exactly 8 bytes is fine (Vista sends no
 * source link-layer option).
 */
static bool valid_rs(struct sk_buff *skb, const struct rx *rx)
{
	const struct ipv6hdr *ip6 = (const void *)(skb->data + rx->off);
	unsigned int plen = ntohs(ip6->payload_len);
	const u8 *icmp = (const u8 *)(ip6 + 1);
	__wsum sum;

	if (plen < RS_MIN_LEN || ip6->hop_limit != 255 || icmp[1] != 0)
		return false;
	sum = skb_checksum(skb, rx->off + sizeof(*ip6), plen, 0);
	return !csum_ipv6_magic(&ip6->saddr, &ip6->daddr, plen, IPPROTO_ICMPV6,
				sum);
}

/* Relay to a client of ours, behind the sender's origin indication. */
static void forward(struct teredo_dev *t, struct sk_buff *skb,
		    const struct rx *rx, const struct in6_addr *daddr)
{
	__be32 to = teredo_addr_mapped(daddr);
	__be16 port = teredo_addr_port(daddr);
	struct teredo_origin *oi;

	/* Trailers (RFC 6081 §4) stay: they are for the client. */
	__skb_pull(skb, rx->off);
	if (skb_cow_head(skb, sizeof(*oi))) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NO_MEMORY);
		return;
	}
	oi = skb_push(skb, sizeof(*oi));
	teredo_origin_build(oi, rx->saddr, rx->sport);
	skb_reset_network_header(skb);
	skb->ip_summed = CHECKSUM_NONE;
	/* Relayed packets all leave from the primary address, as Miredo's. */
	if (!teredo_socket_send(t, skb, to, port))
		teredo_stat_inc(t, TEREDO_STAT_TX_FORWARDED);
}

/* An echo test to a native host: the IPv6 stack forwards it. */
static void to_native(struct teredo_dev *t, struct sk_buff *skb,
		      const struct rx *rx, unsigned int len)
{
	if (pskb_trim_rcsum(skb, rx->off + len)) {
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_NO_MEMORY);
		return;
	}
	if (teredo_receive_decap(t, skb, rx->off))
		teredo_stat_inc(t, TEREDO_STAT_TX_NATIVE);
}

/* Where an accepted packet goes, by destination (end of §5.3.1). */
static enum teredo_stat route_accepted(struct teredo_dev *t,
				       struct sk_buff *skb,
				       const struct rx *rx, bool bubble)
{
	const struct ipv6hdr *ip6 = (const void *)(skb->data + rx->off);
	const struct in6_addr *daddr = &ip6->daddr;
	unsigned int plen = ntohs(ip6->payload_len);
	int type = ipv6_addr_type(daddr);

	if (type & IPV6_ADDR_MULTICAST)
		return TEREDO_STAT_RX_MULTICAST;
	/* Our own link-local included: echo requests are not answered. */
	if (type & IPV6_ADDR_LINKLOCAL)
		return TEREDO_STAT_RX_LINK_LOCAL;
	if (!bubble && plen > MAX_RELAYED_PLEN)
		return TEREDO_STAT_RX_TOO_BIG;

	if (teredo_addr_is_teredo(daddr)) {
		/* A server is not a relay: its own clients only. */
		if (teredo_addr_server(daddr) != t->cfg.local)
			return TEREDO_STAT_RX_NOT_SERVED;
		if (is_ours(t, teredo_addr_mapped(daddr),
			    teredo_addr_port(daddr)))
			return TEREDO_STAT_RX_LOOP;
		if (!teredo_ipv4_is_global(teredo_addr_mapped(daddr)))
			return TEREDO_STAT_TX_NOT_GLOBAL;
		forward(t, skb, rx, daddr);
		return TEREDO_STAT_UNSPEC;
	}
	/*
	 * Never forward to a destination that is not global: ::/64 holds
	 * the unspecified, loopback, IPv4-compatible and -mapped addresses.
	 */
	if (!(type & IPV6_ADDR_UNICAST) || type & IPV6_ADDR_SITELOCAL ||
	    !(daddr->s6_addr32[0] | daddr->s6_addr32[1]))
		return TEREDO_STAT_RX_NOT_SERVED;
	to_native(t, skb, rx, sizeof(*ip6) + plen);
	return TEREDO_STAT_UNSPEC;
}

/*
 * The acceptance rules of RFC 4380 §5.3.1 past the first (well-formed),
 * in its order, with the loop guard of Miredo's commit d0e5fd5 first:
 * anything from our own addresses' port 3544 is a packet we sent.
 */
static enum teredo_stat check_rules(struct teredo_dev *t,
				    struct sk_buff *skb, const struct rx *rx)
{
	const struct ipv6hdr *ip6 = (const void *)(skb->data + rx->off);
	const u8 *l4 = (const u8 *)(ip6 + 1);
	unsigned int plen = ntohs(ip6->payload_len);
	const struct in6_addr *saddr = &ip6->saddr;
	bool bubble = !plen && ip6->nexthdr == TEREDO_NEXTHDR_NONE;
	bool icmp = ip6->nexthdr == IPPROTO_ICMPV6;

	if (is_ours(t, rx->saddr, rx->sport))
		return TEREDO_STAT_RX_LOOP;
	/* 2: bubbles and ICMPv6 only; a server carries no data. */
	if (!bubble && !icmp)
		return TEREDO_STAT_RX_NOT_ICMP;
	/* 3 */
	if (!teredo_ipv4_is_global(rx->saddr))
		return TEREDO_STAT_RX_NOT_GLOBAL;

	/* 4: a Router Solicitation. */
	if (icmp && plen && ipv6_addr_type(saddr) & IPV6_ADDR_LINKLOCAL &&
	    ipv6_addr_is_ll_all_routers(&ip6->daddr)) {
		if (!pskb_may_pull(skb, rx->off + sizeof(*ip6) +
				   min_t(unsigned int, plen, RS_MIN_LEN)))
			return TEREDO_STAT_RX_TRUNCATED;
		ip6 = (const void *)(skb->data + rx->off);
		l4 = (const u8 *)(ip6 + 1);
		if (l4[0] == NDISC_ROUTER_SOLICITATION) {
			/* A rate-limit entry per source, max-peers of them */
			u32 sources = READ_ONCE(t->cfg.max_peers);

			if (!valid_rs(skb, rx))
				return TEREDO_STAT_RX_BAD_RS;
			if (!teredo_ratelimiter_allow(&t->rs_limit, rx->saddr,
						      sources))
				return TEREDO_STAT_RX_RATELIMITED;
			send_ra(t, rx, &ip6->saddr);
			consume_skb(skb);
			return TEREDO_STAT_UNSPEC;
		}
	}
	if (rx->auth)
		return TEREDO_STAT_RX_AUTH;

	if (teredo_addr_is_teredo(saddr)) {
		/* 5: the source's mapping is the sender. */
		if (teredo_addr_mapped(saddr) != rx->saddr ||
		    teredo_addr_port(saddr) != rx->sport)
			return TEREDO_STAT_RX_MAPPING;
	} else {
		/*
		 * 6: to one of our clients (a relay's indirect bubble), from
		 * a source a relay can have: its link-local one or a native
		 * address, never multicast, ::, ::1 or IPv4-mapped.
		 */
		if (ipv6_addr_is_multicast(saddr))
			return TEREDO_STAT_RX_MULTICAST;
		if (!(ipv6_addr_type(saddr) & IPV6_ADDR_LINKLOCAL) &&
		    !teredo_ipv6_native(saddr))
			return TEREDO_STAT_RX_BAD_SOURCE;
		if (!teredo_addr_is_teredo(&ip6->daddr) ||
		    teredo_addr_server(&ip6->daddr) != t->cfg.local)
			return TEREDO_STAT_RX_NOT_SERVED;
	}
	return route_accepted(t, skb, rx, bubble);
}

/* The Teredo headers: an optional authentication (RS), no origin. */
static enum teredo_stat parse(struct sk_buff *skb, struct rx *rx)
{
	const struct ipv6hdr *ip6;
	unsigned int need;
	const u8 *p;

	rx->off = sizeof(struct udphdr);
	if (!pskb_may_pull(skb, rx->off + 2))
		return TEREDO_STAT_RX_TRUNCATED;
	rx->len = skb->len - rx->off;
	p = skb->data + rx->off;
	if (teredo_header_type(p, rx->len) == TEREDO_HDR_AUTH) {
		if (!pskb_may_pull(skb, rx->off + TEREDO_AUTH_MIN_LEN))
			return TEREDO_STAT_RX_TRUNCATED;
		p = skb->data + rx->off;
		need = teredo_auth_len(p, rx->len);
		/* What follows starts with two bytes of header type. */
		if (!need || !pskb_may_pull(skb, rx->off + need + 2))
			return TEREDO_STAT_RX_TRUNCATED;
		p = skb->data + rx->off;
		/* The nonce ends one byte before the confirmation byte. */
		memcpy(rx->nonce, p + need - 1 - TEREDO_AUTH_NONCE_LEN,
		       TEREDO_AUTH_NONCE_LEN);
		rx->auth = true;
		rx->off += need;
		rx->len -= need;
		p += need;
	}
	switch (teredo_header_type(p, rx->len)) {
	case TEREDO_HDR_IPV6:
		break;
	case TEREDO_HDR_ORIGIN:
		/* Only servers send origin indications. */
		return TEREDO_STAT_RX_ORIGIN;
	default:
		return TEREDO_STAT_RX_BAD_HEADER;
	}
	if (!pskb_may_pull(skb, rx->off + sizeof(*ip6)))
		return TEREDO_STAT_RX_TRUNCATED;
	ip6 = (const void *)(skb->data + rx->off);
	if (sizeof(*ip6) + ntohs(ip6->payload_len) > rx->len)
		return TEREDO_STAT_RX_BAD_LENGTH;
	return teredo_receive_trailers(skb, rx->off + sizeof(*ip6) +
				       ntohs(ip6->payload_len), NULL);
}

/*
 * encap_rcv of a server's two sockets; @sk, the one it arrived on,
 * decides where an RA leaves from.  Nothing goes to the socket's queue
 * while the device holds it.
 */
static int server_recv(struct sock *sk, struct sk_buff *skb)
{
	struct teredo_dev *t = rcu_dereference_sk_user_data(sk);
	struct rx rx = {
		.sk = sk,
		.saddr = ip_hdr(skb)->saddr,
		.sport = udp_hdr(skb)->source,
	};
	enum teredo_stat why;

	if (unlikely(!t))
		return 1;
	why = parse(skb, &rx);
	if (!why)
		why = check_rules(t, skb, &rx);
	if (why)
		teredo_rx_drop(t, skb, why);
	return 0;
}

/*
 * What the IPv6 stack routes into a server device: a client of this
 * server is reached at its mapping from the primary address; anything
 * else has no way out.  Consumes @skb.
 */
static void xmit(struct teredo_dev *t, struct sk_buff *skb)
{
	const struct in6_addr *daddr = &ipv6_hdr(skb)->daddr;
	__be32 to = teredo_addr_mapped(daddr);
	__be16 port = teredo_addr_port(daddr);

	if (!teredo_addr_is_teredo(daddr) ||
	    teredo_addr_server(daddr) != t->cfg.local) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_NOT_TEREDO);
		return;
	}
	if (is_ours(t, to, port)) {
		teredo_tx_drop(t, skb, TEREDO_STAT_RX_LOOP);
		return;
	}
	if (!teredo_ipv4_is_global(to)) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_NOT_GLOBAL);
		return;
	}
	if (!teredo_socket_send(t, skb, to, port))
		teredo_stat_inc(t, TEREDO_STAT_TX_FORWARDED);
}

/* ndo_start_xmit */
netdev_tx_t teredo_server_xmit(struct sk_buff *skb, struct net_device *dev)
{
	return teredo_xmit_with(skb, dev, xmit);
}

/*
 * A server has no peers to bubble; it carries RAs, bubbles and small
 * ICMPv6, nothing GRO could merge.
 */
static void server_bubble(struct teredo_dev *t, struct teredo_peer *peer,
			  const struct teredo_probe *probe)
{
}

const struct teredo_mode_ops teredo_server_ops = {
	.encap_rcv	= server_recv,
	.bubble		= server_bubble,
};
