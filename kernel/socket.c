// SPDX-License-Identifier: GPL-2.0
/*
 * The UDP tunnel socket: created by the kernel for a relay or a server,
 * and the one routine that puts an IPv6 packet into UDP/IPv4.
 */

#include <linux/ip.h>
#include <linux/net.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/route.h>
#include <net/udp_tunnel.h>

#include "compat.h"
#include "peer.h"
#include "device.h"
#include "mode.h"
#include "proto.h"
#include "receive.h"
#include "route.h"
#include "rport.h"
#include "socket.h"
#include "stats.h"

static int bind_one(struct teredo_dev *t, __be32 local, struct socket **sockp)
{
	struct udp_port_cfg cfg = {
		.family = AF_INET,
		.local_ip.s_addr = local,
		.local_udp_port = t->cfg.port,
		.use_udp_checksums = true,
	};

	return udp_sock_create(t->net, &cfg, sockp);
}

/*
 * A server's two addresses: each must be one of this host's, with port
 * 3544 free; the refusal names the address at fault.
 */
static int create_server(struct teredo_dev *t, struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	int err;

	err = bind_one(t, t->cfg.local, &t->sock);
	if (err == -EADDRNOTAVAIL)
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_TEREDO_LOCAL],
				    "local: not an address of this host");
	else if (err == -EADDRINUSE)
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_TEREDO_LOCAL],
				    "local: port 3544 already in use");
	if (err)
		goto fail;
	err = bind_one(t, t->cfg.local2, &t->sock2);
	if (err == -EADDRNOTAVAIL)
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_TEREDO_LOCAL2],
				    "local2: not an address of this host");
	else if (err == -EADDRINUSE)
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_TEREDO_LOCAL2],
				    "local2: port 3544 already in use");
	if (err) {
		sock_release(t->sock);
		t->sock = NULL;
		goto fail;
	}
	return 0;
fail:
	if (!extack || !extack->_msg)
		NL_SET_ERR_MSG(extack, "cannot create the UDP sockets");
	t->sock2 = NULL;
	return err;
}

/**
 * teredo_socket_create - bind the UDP socket of a relay, or both of a server
 * @t: the device, not yet registered
 * @data: the attributes, to point refusals at
 * @extack: where a busy port or a foreign address is explained
 *
 * Binding happens before the device is registered so that a port in use
 * refuses the creation; receiving starts in teredo_socket_attach().
 *
 * Return: 0 or a negative errno.
 */
int teredo_socket_create(struct teredo_dev *t, struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	int err;

	if (t->cfg.mode == TEREDO_MODE_SERVER)
		return create_server(t, data, extack);

	err = bind_one(t, t->cfg.local, &t->sock);
	if (err == -EADDRINUSE)
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_TEREDO_PORT],
				    "port: already in use");
	else if (err == -EADDRNOTAVAIL)
		NL_SET_ERR_MSG_ATTR(extack, data[IFLA_TEREDO_LOCAL],
				    "local: not an address of this host");
	else if (err)
		NL_SET_ERR_MSG(extack, "cannot create the UDP socket");
	return err;
}

/*
 * A kernel socket the data path sends from: it may run in atomic context
 * and must not fail on a full send buffer (the device's queue is the
 * only one), and it sends GSO packets whole.
 */
void teredo_socket_prepare(struct sock *sk)
{
	sk->sk_allocation = GFP_ATOMIC;
	sk->sk_sndbuf = INT_MAX;
	udp_allow_gso(sk);
}

static struct sock *attach_one(struct teredo_dev *t, struct socket *sock)
{
	struct udp_tunnel_sock_cfg cfg = {
		.sk_user_data = t,
		.encap_type = 1,
		.encap_rcv = t->ops->encap_rcv,
	};
	struct sock *sk = sock->sk;

	teredo_socket_prepare(sk);
	if (t->ops->gro)
		teredo_gro_setup(&cfg);
	setup_udp_tunnel_sock(t->net, sock, &cfg);
	return sk;
}

void teredo_socket_attach(struct teredo_dev *t)
{
	if (t->sock2)
		rcu_assign_pointer(t->sk2, attach_one(t, t->sock2));
	rcu_assign_pointer(t->sk, attach_one(t, t->sock));
}

/*
 * Teardown in two steps, so that deleting devices costs no grace period
 * of its own under RTNL: ndo_uninit unhooks the sockets (no new reader
 * finds the device), the core waits one grace period for all devices it
 * deletes at once, and the destructor closes them.
 */
static void unhook_one(struct sock __rcu **skp, struct socket *sock)
{
	RCU_INIT_POINTER(*skp, NULL);
	if (sock)
		rcu_assign_sk_user_data(sock->sk, NULL);
}

void teredo_socket_unhook(struct teredo_dev *t)
{
	unhook_one(&t->sk, t->sock);
	unhook_one(&t->sk2, t->sock2);
}

/* Close a kernel socket of ours, unhooked a grace period ago or never. */
void teredo_socket_close(struct socket *sock)
{
	kernel_sock_shutdown(sock, SHUT_RDWR);
	sock_release(sock);
}

static void release_one(struct socket **sockp)
{
	if (!*sockp)
		return;
	teredo_socket_close(*sockp);
	*sockp = NULL;
}

/*
 * After teredo_socket_unhook() and a grace period, or before the sockets
 * were ever attached.
 */
void teredo_socket_release(struct teredo_dev *t)
{
	release_one(&t->sock);
	release_one(&t->sock2);
}

static struct rtable *route(struct teredo_dev *t, struct sock *sk,
			    __be32 daddr, __be16 dport, __be32 *saddr,
			    const u32 *gen)
{
	struct flowi4 fl4 = {
		.daddr = daddr,
		/* The bound address: a server sends from either of its two. */
		.saddr = inet_sk(sk)->inet_saddr,
		.flowi4_proto = IPPROTO_UDP,
		.flowi4_mark = sk->sk_mark,
		.flowi4_oif = sk->sk_bound_dev_if,
		.fl4_sport = inet_sk(sk)->inet_sport,
		.fl4_dport = dport,
	};
	struct rtable *rt;

	if (gen) {
		rt = teredo_route_get(&t->routes, daddr, *gen, saddr);
		if (rt)
			return rt;
	}
	rt = ip_route_output_key(t->net, &fl4);
	if (IS_ERR(rt))
		return rt;
	/* Teredo over Teredo would loop forever. */
	if (rt->dst.dev == t->dev) {
		ip_rt_put(rt);
		return ERR_PTR(-ELOOP);
	}
	*saddr = fl4.saddr;
	if (gen)
		teredo_route_set(&t->routes, rt, daddr, fl4.saddr, *gen);
	return rt;
}

/*
 * Encapsulate an IPv6 packet and send it from @sk, which the caller read
 * after @gen when the route may come from the device's cache (route.c).
 *
 * The outer header has DF clear (RFC 4380 §5.1.2) and ECN zero (RFC 9601
 * §6.1.3, no ECN negotiation); UDP checksums are always computed.  The
 * source is the address @sk is bound to, or the route's.
 */
static int send_sk(struct teredo_dev *t, struct sock *sk, struct sk_buff *skb,
		   __be32 daddr, __be16 dport, const u32 *gen)
{
	struct net_device *dev = t->dev;
	struct rtable *rt;
	__be32 saddr;
	int err, ttl;

	if (unlikely(!sk)) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_NO_SOCKET);
		return -ENOTCONN;
	}
	rt = route(t, sk, daddr, dport, &saddr, gen);
	if (IS_ERR(rt)) {
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_NO_ROUTE);
		return PTR_ERR(rt);
	}
	err = skb_cow_head(skb, LL_RESERVED_SPACE(rt->dst.dev) +
			   rt->dst.header_len + sizeof(struct iphdr) +
			   sizeof(struct udphdr));
	/*
	 * An inner checksum left to offload stays so, as sit and fou leave
	 * it: udp_tunnel_xmit_skb() fills the outer one by local checksum
	 * offload, and the device that sends the datagram finishes the inner
	 * one (a NIC, or validate_xmit_skb() where the device cannot).  A
	 * veth never finishes it: over veth to a userspace Teredo peer, turn
	 * transmit checksumming off on the veth, or on this device.
	 */
	if (!err)
		err = udp_tunnel_handle_offloads(skb, true);
	if (unlikely(err)) {
		ip_rt_put(rt);
		teredo_tx_drop(t, skb, TEREDO_STAT_TX_NO_MEMORY);
		return err;
	}
	skb_set_inner_protocol(skb, htons(ETH_P_IPV6));
	skb->ignore_df = 1;
	skb->dev = dev;
	ttl = READ_ONCE(t->cfg.ttl) ?: ip4_dst_hoplimit(&rt->dst);
	teredo_udp_tunnel_xmit_skb(rt, sk, skb, saddr, daddr, 0, ttl, 0,
				   inet_sk(sk)->inet_sport, dport,
				   !net_eq(t->net, dev_net(dev)), false);
	return 0;
}

/**
 * teredo_socket_send_sk - encapsulate an IPv6 packet and send it from @sk
 * @t: the device
 * @sk: one of the device's sockets, from rcu_dereference_bh()
 * @skb: the Teredo payload (a GSO one is segmented after encapsulation)
 * @daddr: outer destination
 * @dport: outer destination port
 *
 * Context: BH disabled, under RCU.  Consumes @skb.
 * Return: 0, or a negative errno after counting the drop.
 */
int teredo_socket_send_sk(struct teredo_dev *t, struct sock *sk,
			  struct sk_buff *skb, __be32 daddr, __be16 dport)
{
	return send_sk(t, sk, skb, daddr, dport, NULL);
}

/*
 * The socket to send to @peer from: a client's random port for it (RFC
 * 6081 §5.4, rport.c), else the device's.  The random port's socket
 * stays open for a grace period after the peer lets go of it.
 */
static struct sock *peer_sk(struct teredo_dev *t, struct teredo_peer *peer)
{
	struct teredo_rport *rp = peer ? rcu_dereference_bh(peer->rport) :
				  NULL;

	return rp ? rp->sk : rcu_dereference_bh(t->sk);
}

/**
 * teredo_socket_send_cached - the data path's send, to a peer's mapping
 * @t: the device
 * @peer: the peer it goes to, whose socket it leaves from
 * @skb: the Teredo payload
 * @daddr: outer destination
 * @dport: outer destination port
 *
 * As teredo_socket_send(), with the route from the device's cache: a
 * random port is bound to the client socket's address, so the route
 * does not depend on which of them sends.
 *
 * Context: BH disabled, under RCU.  Consumes @skb.
 * Return: 0, or a negative errno after counting the drop.
 */
int teredo_socket_send_cached(struct teredo_dev *t, struct teredo_peer *peer,
			      struct sk_buff *skb, __be32 daddr, __be16 dport)
{
	u32 gen = teredo_routes_gen(&t->routes);

	return send_sk(t, peer_sk(t, peer), skb, daddr, dport, &gen);
}

/**
 * teredo_socket_send_peer - send from @peer's socket (see peer_sk())
 * @t: the device
 * @peer: the peer, or NULL for the device's socket
 * @skb: the Teredo payload
 * @daddr: outer destination
 * @dport: outer destination port
 *
 * Context: BH disabled, under RCU.  Consumes @skb.
 * Return: 0, or a negative errno after counting the drop.
 */
int teredo_socket_send_peer(struct teredo_dev *t, struct teredo_peer *peer,
			    struct sk_buff *skb, __be32 daddr, __be16 dport)
{
	return send_sk(t, peer_sk(t, peer), skb, daddr, dport, NULL);
}

/* From the device's (a server's primary) socket; see above. */
int teredo_socket_send(struct teredo_dev *t, struct sk_buff *skb,
		       __be32 daddr, __be16 dport)
{
	return send_sk(t, rcu_dereference_bh(t->sk), skb, daddr, dport, NULL);
}
