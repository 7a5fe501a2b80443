// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 6081 §5.5, a client behind a sequential port-symmetric NAT: where
 * its NAT put a random port's mapping towards one peer, guessed.
 *
 * Such a NAT gives every new mapping the next free public port, so a
 * random port (rport.c) does not keep its number there as it does
 * behind a port-preserving NAT, and the peer cannot be told it.  An
 * echo test brackets the direct bubble instead: from the peer's random
 * port, a Router Solicitation to the primary server address, then the
 * direct bubble, then one to the secondary address.  The NAT makes three
 * mappings in a row; the two Router Advertisements' origin indications
 * tell the outer two ports, and the bubble's is the one between them:
 * their average, which an indirect bubble names in its Random Port
 * trailer once the second advertisement is in (§5.5.4.4's text adds the
 * upper port to itself; the average of the two is what it means).
 *
 * The round's own indirect bubble goes at once, without the trailer: a
 * peer with no NAT, or one whose NAT lets the bubble in, needs only its
 * nonce (§5.2), and that is all a test that stays unanswered leaves.
 * Such a test is made again at the peer's next bubble round, with a new
 * nonce, from the same port (the same three mappings); after
 * TEREDO_PREDICT_TESTS of them, none.  RFC 6081's Echo Test Failover
 * Timer (1 s, then 2 s) is the bubble round's 2 s here, and the bubble
 * budget of RFC 4380 §5.2.6 bounds the tests (a round is two bubbles
 * and two solicitations).
 *
 * The advertisements are known by the test's nonce in their
 * authentication header, from our server's address at port 3544; the
 * nonce is 64 random bits, new for every test, so nobody off the path
 * to the server can fake a port.  They never reach teredod (nothing
 * reads a random port's socket).
 */

#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip6_checksum.h>
#include <net/ndisc.h>

#include "client.h"
#include "device.h"
#include "peer.h"
#include "predict.h"
#include "proto.h"
#include "rport.h"
#include "send.h"
#include "socket.h"
#include "stats.h"

#define UDP_LEN		sizeof(struct udphdr)
#define RS_LEN		8		/* ICMPv6 RS, no option */

/*
 * The source of a Router Solicitation, teredod's: fe80::ffff:ffff:ffff,
 * cone flag (0x8000 of the interface identifier's first word) clear, so
 * that each server address answers from itself, where our NAT expects
 * it (with the flag, the answer would come from the other address).
 */
static const struct in6_addr rs_source = {
	.s6_addr = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		     0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};

void teredo_predict_init(struct teredo_predict *p)
{
	spin_lock_init(&p->lock);
}

/*
 * A Router Solicitation from the random port, nonce in its
 * authentication header (RFC 4380 §5.1.1, nonce-only form), as teredod
 * sends to qualify: either server answers to where it came from.
 */
static void send_rs(struct teredo_dev *t, struct teredo_rport *rp,
		    __be32 server, u64 nonce)
{
	static const struct in6_addr all_routers =
		IN6ADDR_LINKLOCAL_ALLROUTERS_INIT;
	struct icmp6hdr *icmp;
	struct sk_buff *skb;
	u8 *auth;

	skb = teredo_send_alloc(t, &rs_source, &all_routers, IPPROTO_ICMPV6,
				RS_LEN);
	if (!skb)
		return;
	ipv6_hdr(skb)->hop_limit = 255;
	icmp = skb_put_zero(skb, RS_LEN);
	icmp->icmp6_type = NDISC_ROUTER_SOLICITATION;
	icmp->icmp6_cksum = csum_ipv6_magic(&rs_source, &all_routers, RS_LEN,
					    IPPROTO_ICMPV6,
					    csum_partial(icmp, RS_LEN, 0));
	auth = skb_push(skb, TEREDO_AUTH_MIN_LEN);
	memset(auth, 0, TEREDO_AUTH_MIN_LEN);
	auth[1] = 1;
	memcpy(auth + 4, &nonce, TEREDO_AUTH_NONCE_LEN);
	skb_reset_network_header(skb);
	teredo_socket_send_sk(t, rp->sk, skb, server, htons(TEREDO_PORT));
}

/**
 * teredo_predict_start - an echo test around the direct bubble, if due
 * @t: the client device, behind a sequential NAT
 * @rp: the peer's random port
 * @peer: the peer's address
 *
 * No test once the port is known, nor after TEREDO_PREDICT_TESTS of
 * them; else the first solicitation goes now, and the caller sends the
 * direct bubble from @rp, then calls teredo_predict_finish().
 *
 * Context: BH disabled, under RCU; the caller applied the bubble limits.
 * Return: whether a test started.
 */
bool teredo_predict_start(struct teredo_dev *t, struct teredo_rport *rp,
			  const struct in6_addr *peer)
{
	struct teredo_predict *p = &rp->predict;
	bool test = false;
	u64 nonce = 0;

	spin_lock(&p->lock);
	if (!p->port && p->tests < TEREDO_PREDICT_TESTS) {
		p->tests++;
		p->nonce = get_random_u64() ?: 1;
		p->lower = 0;
		p->upper = 0;
		p->peer = *peer;
		nonce = p->nonce;
		test = true;
	}
	spin_unlock(&p->lock);
	if (test) {
		send_rs(t, rp, READ_ONCE(t->cfg.server), nonce);
		teredo_stat_inc(t, TEREDO_STAT_TX_PORT_TESTS);
	}
	return test;
}

/* After the direct bubble: the second solicitation, same nonce. */
void teredo_predict_finish(struct teredo_dev *t, struct teredo_rport *rp)
{
	struct teredo_predict *p = &rp->predict;
	u64 nonce;

	spin_lock(&p->lock);
	nonce = p->nonce;
	spin_unlock(&p->lock);
	if (nonce)
		send_rs(t, rp, READ_ONCE(t->cfg.server2), nonce);
}

/**
 * teredo_predict_port - the port to name in our Random Port trailer
 * @p: the random port's test
 *
 * Context: BH disabled.
 * Return: the guess, network order; 0 while there is none.
 */
__be16 teredo_predict_port(struct teredo_predict *p)
{
	__be16 port;

	spin_lock(&p->lock);
	port = p->port;
	spin_unlock(&p->lock);
	return port;
}

/* The test's indirect bubble, now that it has a port to name. */
static void predicted(struct teredo_dev *t, struct teredo_rport *rp,
		      const struct in6_addr *addr)
{
	const struct teredo_qualified *q = teredo_client_qualified(&t->client);
	struct teredo_peer *peer;

	if (!q || !q->sequential)
		return;
	peer = teredo_peer_lookup(&t->peers, addr);
	if (!peer || rcu_access_pointer(peer->rport) != rp)
		return;
	/* Counted in the round (or the answer) that started the test. */
	teredo_client_bubble_nonce(t, q, peer, teredo_peer_nonce(peer), true,
				   false);
}

/*
 * An advertisement for the test in flight: from our server, port 3544,
 * authentication header with the test's nonce, origin indication, an
 * ICMPv6 Router Advertisement.  Data at the UDP header.
 */
static bool test_answer(struct teredo_dev *t, struct sk_buff *skb,
			bool *primary, u64 *nonce, __be16 *port)
{
	const struct ipv6hdr *ip6;
	struct teredo_origin oi;
	__be32 saddr, addr;
	unsigned int off;
	size_t alen;
	const u8 *h;

	saddr = ip_hdr(skb)->saddr;
	if (!teredo_client_from_server(t, saddr, udp_hdr(skb)->source))
		return false;
	*primary = saddr == READ_ONCE(t->cfg.server);
	if (!pskb_may_pull(skb, UDP_LEN + TEREDO_AUTH_MIN_LEN))
		return false;
	alen = teredo_auth_len(skb->data + UDP_LEN, skb->len - UDP_LEN);
	off = UDP_LEN + alen + sizeof(oi);
	if (!alen || !pskb_may_pull(skb, off + sizeof(*ip6)))
		return false;
	h = skb->data + UDP_LEN;
	/* The nonce, then the confirmation byte, end the header. */
	memcpy(nonce, h + alen - 1 - TEREDO_AUTH_NONCE_LEN, sizeof(*nonce));
	memcpy(&oi, h + alen, sizeof(oi));
	if (oi.zero || oi.type)
		return false;
	ip6 = (const struct ipv6hdr *)(skb->data + off);
	if (ip6->version != 6 || !teredo_client_is_router_advert(skb, off))
		return false;
	teredo_origin_parse(&oi, &addr, port);
	return *port != 0;
}

/**
 * teredo_predict_answer - take an advertisement for @rp's test
 * @t: the client device
 * @rp: the random port it came to
 * @skb: the datagram, data at the UDP header, checksum verified
 *
 * With both ports in, the guess is made and the peer's indirect bubble
 * goes, naming it.
 *
 * Context: softirq, under RCU.
 * Return: whether @skb was one (consumed); else the caller goes on.
 */
bool teredo_predict_answer(struct teredo_dev *t, struct teredo_rport *rp,
			   struct sk_buff *skb)
{
	struct teredo_predict *p = &rp->predict;
	struct in6_addr peer;
	bool primary, made = false;
	__be16 port;
	u64 nonce;

	if (!test_answer(t, skb, &primary, &nonce, &port))
		return false;
	spin_lock(&p->lock);
	if (!p->nonce || nonce != p->nonce) {
		spin_unlock(&p->lock);
		return false;
	}
	if (primary)
		p->lower = port;
	else
		p->upper = port;
	if (p->lower && p->upper && !p->port) {
		p->port = htons((ntohs(p->lower) + ntohs(p->upper)) / 2);
		peer = p->peer;
		made = true;
	}
	spin_unlock(&p->lock);
	consume_skb(skb);
	if (made) {
		teredo_stat_inc(t, TEREDO_STAT_PORT_PREDICTIONS);
		predicted(t, rp, &peer);
	}
	return true;
}
