// SPDX-License-Identifier: GPL-2.0
/*
 * A client's control plane: the UDP socket teredod hands over, and the
 * qualification state it pushes (DESIGN §2).  teredod owns the socket's
 * file; we hold the socket itself, so the helper's last close runs our
 * encap_destroy and takes the client offline: fail-safe.
 */

#include <linux/file.h>
#include <linux/igmp.h>
#include <linux/jiffies.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/udp.h>
#include <net/udp_tunnel.h>

#include "client.h"
#include "compat.h"
#include "config.h"
#include "device.h"
#include "events.h"
#include "mode.h"
#include "peer.h"
#include "proto.h"
#include "receive.h"

/* Longest wait teredod may announce: the longest refresh, backed off. */
#define NEXT_REFRESH_MAX	3600

void teredo_client_init(struct teredo_dev *t)
{
	mutex_init(&t->client.lock);
	/* Direct bubbles answering relayed packets, at most 100/s. */
	ratelimit_state_init(&t->client.reply_limit, HZ, 100);
	/* As the device's icmp_limit: packets, not log lines. */
	ratelimit_set_flags(&t->client.reply_limit, RATELIMIT_MSG_ON_RELEASE);
	/*
	 * Multicast reaches every host of the link: a burst of new peers
	 * (or of forged ones) makes us announce ourselves once a second.
	 */
	ratelimit_state_init(&t->client.discovery_limit, HZ, 1);
	ratelimit_set_flags(&t->client.discovery_limit,
			    RATELIMIT_MSG_ON_RELEASE);
	t->client.reason = TEREDO_REASON_NO_HELPER;
	teredo_dormant_init(t);
}

/**
 * teredo_client_discovery_ifindex - where local discovery is on
 * @t: the client device
 *
 * teredod --local-discovery hands over a second socket, on port 3544
 * (where discovery bubbles go, whatever the service port), that joined
 * 224.0.0.253 on the interface towards the server.  Without it, local
 * discovery is off.
 *
 * Context: under RCU (BH); the socket is put after a grace period.
 * Return: the interface it joined on, or 0 when local discovery is off.
 */
int teredo_client_discovery_ifindex(struct teredo_dev *t)
{
	struct sock *sk = READ_ONCE(t->client.disc_sk);
	const struct ip_mc_socklist *iml;

	if (!sk)
		return 0;
	for (iml = rcu_dereference_bh(inet_sk(sk)->mc_list); iml;
	     iml = rcu_dereference_bh(iml->next_rcu))
		if (iml->multi.imr_multiaddr.s_addr ==
		    htonl(TEREDO_DISCOVERY_IPV4))
			return iml->multi.imr_ifindex;
	return 0;
}

/* A client's carrier: a helper attached, and qualified. */
bool teredo_client_carrier(const struct teredo_dev *t)
{
	return READ_ONCE(t->client.sk) &&
	       rcu_access_pointer(t->client.qualified);
}

/* Caller holds client.lock. */
static void set_qualified(struct teredo_dev *t, struct teredo_qualified *q)
{
	struct teredo_qualified *old;

	lockdep_assert_held(&t->client.lock);
	old = rcu_replace_pointer(t->client.qualified, q,
				  lockdep_is_held(&t->client.lock));
	if (old)
		kfree_rcu(old, rcu);
}

/* See detach(). */
static void unhook(struct sock *sk, bool mc_loop)
{
	struct udp_sock *up = udp_sk(sk);

	lock_sock(sk);
	teredo_udp_tunnel_cleanup_gro(sk);
	WRITE_ONCE(up->gro_receive, NULL);
	WRITE_ONCE(up->gro_complete, NULL);
	WRITE_ONCE(up->encap_type, 0);
	WRITE_ONCE(up->encap_rcv, NULL);
	WRITE_ONCE(up->encap_destroy, NULL);
	inet_dec_convert_csum(sk);
	teredo_set_mc_loop(sk, mc_loop);
	rcu_assign_sk_user_data(sk, NULL);
	release_sock(sk);
}

/*
 * The discovery socket goes back to teredod; local discovery is off.
 * Caller holds client.lock, and puts the socket after a grace period.
 */
static struct sock *disc_detach(struct teredo_dev *t)
{
	struct sock *sk = t->client.disc_sk;

	lockdep_assert_held(&t->client.lock);
	if (!sk)
		return NULL;
	WRITE_ONCE(t->client.disc_sk, NULL);
	unhook(sk, t->client.disc_mc_loop);
	return sk;
}

/*
 * Give the helper's socket back to it as the plain UDP socket it was,
 * in the reverse order of setup_udp_tunnel_sock() (ovpn's detach does
 * the same): GRO unregistered first where the kernel keeps a list of
 * tunnel GRO handlers, then the hooks, the checksum conversion and the
 * multicast loopback it had.  Caller holds client.lock.
 *
 * Return: the socket, still held: the caller puts it once no reader can
 * see it (after synchronize_net(), or after the core's grace period when
 * the device goes away).
 */
static struct sock *detach(struct teredo_dev *t)
{
	struct sock *sk = t->client.sk;
	bool news = t->client.state != TEREDO_STATE_OFFLINE ||
		    t->client.reason != TEREDO_REASON_NO_HELPER;

	lockdep_assert_held(&t->client.lock);
	WRITE_ONCE(t->client.sk, NULL);
	RCU_INIT_POINTER(t->sk, NULL);
	set_qualified(t, NULL);
	WRITE_ONCE(t->client.state, TEREDO_STATE_OFFLINE);
	WRITE_ONCE(t->client.reason, TEREDO_REASON_NO_HELPER);
	netif_carrier_off(t->dev);
	/* teredod's clean stop already said so. */
	if (news)
		teredo_event_state(t);

	unhook(sk, t->client.mc_loop);
	return sk;
}

/*
 * The device a socket of teredod's closing is attached to, held (put it
 * with dev_put()), or NULL once the device let go of the socket.
 */
static struct teredo_dev *closing_device(struct sock *sk)
{
	struct teredo_dev *t;

	rcu_read_lock();
	t = rcu_dereference_sk_user_data(sk);
	if (t)
		dev_hold(t->dev);
	rcu_read_unlock();
	return t;
}

/* The helper closed its last descriptor (or died). */
static void helper_gone(struct sock *sk)
{
	struct teredo_dev *t = closing_device(sk);

	if (!t)
		return;
	/* Not RTNL: the last close may come from inside an RTNL section. */
	mutex_lock(&t->client.lock);
	if (t->client.sk == sk) {
		struct sock *disc;

		netdev_info(t->dev, "helper socket closed: offline\n");
		detach(t);
		disc = disc_detach(t);
		/* Receivers and senders that still see it finish first. */
		synchronize_net();
		sock_put(sk);
		if (disc)
			sock_put(disc);
		teredo_dormant_release(t, false);
	}
	mutex_unlock(&t->client.lock);
	dev_put(t->dev);
}

/*
 * ndo_uninit: let go of the helper's socket without a grace period of
 * our own under RTNL; teredo_client_free() puts it from the destructor,
 * after the core's.
 */
void teredo_client_release(struct teredo_dev *t)
{
	mutex_lock(&t->client.lock);
	t->client.disc_released = disc_detach(t);
	if (t->client.sk)
		t->client.released = detach(t);
	set_qualified(t, NULL);
	teredo_dormant_release(t, false);
	mutex_unlock(&t->client.lock);
}

void teredo_client_free(struct teredo_dev *t)
{
	if (t->client.released)
		sock_put(t->client.released);
	t->client.released = NULL;
	if (t->client.disc_released)
		sock_put(t->client.disc_released);
	t->client.disc_released = NULL;
}

/* Whether @sk may carry this client: L2TP's and ovpn's checks, and ours. */
static int check_socket(struct teredo_dev *t, struct sock *sk,
			const struct nlattr *attr,
			struct netlink_ext_ack *extack)
{
	const struct inet_sock *inet = inet_sk(sk);

	if (sk->sk_family != AF_INET || sk->sk_type != SOCK_DGRAM ||
	    sk->sk_protocol != IPPROTO_UDP)
		return teredo_reject(extack, attr, "fd: not a UDP/IPv4 socket");
	if (!net_eq(sock_net(sk), t->net))
		return teredo_reject(extack, attr,
				     "fd: socket of another network namespace");
	if (READ_ONCE(udp_sk(sk)->encap_type) ||
	    rcu_access_pointer(__sk_user_data(sk)))
		return teredo_reject(extack, attr,
				     "fd: socket already in a tunnel");
	if (!inet->inet_num)
		return teredo_reject(extack, attr, "fd: socket not bound");
	if (t->cfg.port && inet->inet_sport != t->cfg.port)
		return teredo_reject(extack, attr,
				     "fd: socket not bound to port");
	if (t->cfg.local && inet->inet_rcv_saddr != t->cfg.local)
		return teredo_reject(extack, attr,
				     "fd: socket not bound to the local address");
	return 0;
}

static int attach(struct teredo_dev *t, const struct nlattr *attr,
		  struct netlink_ext_ack *extack)
{
	struct udp_tunnel_sock_cfg cfg = {
		.sk_user_data = t,
		.encap_type = 1,
		.encap_rcv = teredo_client_encap_recv,
		.encap_destroy = helper_gone,
	};
	struct socket *sock;
	struct sock *sk;
	int err;

	if (t->client.sk)
		return teredo_reject(extack, attr,
				     "fd: a socket is already attached");
	sock = sockfd_lookup(nla_get_s32(attr), &err);
	if (!sock)
		return teredo_reject(extack, attr, "fd: not an open socket");
	sk = sock->sk;
	lock_sock(sk);
	err = check_socket(t, sk, attr, extack);
	if (!err) {
		udp_allow_gso(sk);
		teredo_gro_setup(&cfg);
		t->client.mc_loop = teredo_get_mc_loop(sk);
		/* Still holding the file: a close cannot slip in between. */
		setup_udp_tunnel_sock(t->net, sock, &cfg);
		sock_hold(sk);
	}
	release_sock(sk);
	if (!err) {
		rcu_assign_pointer(t->sk, sk);
		/* Routes cached for the last socket are not this one's. */
		teredo_routes_invalidate(&t->routes);
		WRITE_ONCE(t->client.sk, sk);
	}
	sockfd_put(sock);
	return err;
}

/* teredod closed the discovery socket: local discovery is off. */
static void disc_gone(struct sock *sk)
{
	struct teredo_dev *t = closing_device(sk);

	if (!t)
		return;
	mutex_lock(&t->client.lock);
	if (t->client.disc_sk == sk) {
		disc_detach(t);
		synchronize_net();
		sock_put(sk);
	}
	mutex_unlock(&t->client.lock);
	dev_put(t->dev);
}

/*
 * Local discovery's socket: bound to port 3544 and to no one address
 * (multicast to 224.0.0.253 would not match one), next to the client's
 * own socket.  Caller holds client.lock.
 */
static int disc_attach(struct teredo_dev *t, const struct nlattr *attr,
		       struct netlink_ext_ack *extack)
{
	struct udp_tunnel_sock_cfg cfg = {
		.sk_user_data = t,
		.encap_type = 1,
		.encap_rcv = teredo_client_discovery_recv,
		.encap_destroy = disc_gone,
	};
	struct socket *sock;
	struct sock *sk;
	int err = 0;

	if (t->client.disc_sk)
		return teredo_reject(extack, attr,
				     "discovery-fd: a socket is already attached");
	if (!t->client.sk)
		return teredo_reject(extack, attr,
				     "discovery-fd: needs the client's socket (fd) first");
	sock = sockfd_lookup(nla_get_s32(attr), &err);
	if (!sock)
		return teredo_reject(extack, attr,
				     "discovery-fd: not an open socket");
	sk = sock->sk;
	lock_sock(sk);
	if (sk->sk_family != AF_INET || sk->sk_type != SOCK_DGRAM ||
	    sk->sk_protocol != IPPROTO_UDP || !net_eq(sock_net(sk), t->net) ||
	    READ_ONCE(udp_sk(sk)->encap_type) ||
	    rcu_access_pointer(__sk_user_data(sk)) ||
	    inet_sk(sk)->inet_sport != htons(TEREDO_PORT) ||
	    inet_sk(sk)->inet_rcv_saddr)
		err = teredo_reject(extack, attr,
				    "discovery-fd: not a UDP/IPv4 socket of this namespace bound to *:3544, or in a tunnel");
	if (!err) {
		t->client.disc_mc_loop = teredo_get_mc_loop(sk);
		setup_udp_tunnel_sock(t->net, sock, &cfg);
		sock_hold(sk);
	}
	release_sock(sk);
	if (!err)
		WRITE_ONCE(t->client.disc_sk, sk);
	sockfd_put(sock);
	return err;
}

/* The helper's view of the client, validated before anything changes. */
struct pushed {
	u8 state, reason, nat, portmap;
	__be32 portmap_gw;
	__be32 mapped;
	__be16 mapped_port;
	__be32 alt;
	__be16 alt_port;
	struct in6_addr addr;
	bool has_refresh;
	u32 next_refresh;
};

/* All three kinds of RFC 6081's symmetric NAT. */
static bool nat_symmetric(u8 nat)
{
	return nat == TEREDO_NAT_SYMMETRIC ||
	       nat == TEREDO_NAT_SYMMETRIC_PORT_PRESERVING ||
	       nat == TEREDO_NAT_SYMMETRIC_SEQUENTIAL;
}

static int parse_state(struct teredo_dev *t, struct nlattr *data[],
		       struct pushed *p, struct netlink_ext_ack *extack)
{
	struct nlattr *attr;

	attr = data[IFLA_TEREDO_STATE];
	if (attr) {
		p->state = nla_get_u8(attr);
		if (p->state > TEREDO_STATE_MAX)
			return teredo_reject(extack, attr,
					     "state: unknown state");
	}
	attr = data[IFLA_TEREDO_REASON];
	if (attr) {
		p->reason = nla_get_u8(attr);
		if (p->reason > TEREDO_REASON_MAX)
			return teredo_reject(extack, attr,
					     "reason: unknown reason");
	}
	attr = data[IFLA_TEREDO_NAT];
	if (attr) {
		p->nat = nla_get_u8(attr);
		if (p->nat > TEREDO_NAT_MAX)
			return teredo_reject(extack, attr,
					     "nat: unknown NAT type");
	}
	/* Only reported: the policy bounds it. */
	if (data[IFLA_TEREDO_PORTMAP])
		p->portmap = nla_get_u8(data[IFLA_TEREDO_PORTMAP]);
	if (data[IFLA_TEREDO_PORTMAP_GATEWAY])
		p->portmap_gw =
			nla_get_in_addr(data[IFLA_TEREDO_PORTMAP_GATEWAY]);
	attr = data[IFLA_TEREDO_MAPPED];
	if (attr) {
		p->mapped = nla_get_in_addr(attr);
		/* 0 forgets it; anything else is where peers will send. */
		if (p->mapped && !teredo_ipv4_is_global(p->mapped))
			return teredo_reject(extack, attr,
					     "mapped: not a global unicast IPv4 address");
	}
	attr = data[IFLA_TEREDO_MAPPED_PORT];
	if (attr)
		p->mapped_port = nla_get_be16(attr);
	attr = data[IFLA_TEREDO_ADDRESS];
	if (attr)
		p->addr = nla_get_in6_addr(attr);
	attr = data[IFLA_TEREDO_ALTERNATE];
	if (attr) {
		p->alt = nla_get_in_addr(attr);
		/* Where peers behind our NAT will send: a host's address. */
		if (p->alt && !teredo_ipv4_is_unicast(p->alt))
			return teredo_reject(extack, attr,
					     "alternate: not a unicast IPv4 address");
	}
	attr = data[IFLA_TEREDO_ALTERNATE_PORT];
	if (attr)
		p->alt_port = nla_get_be16(attr);
	if (p->alt && !p->alt_port)
		return teredo_reject(extack, data[IFLA_TEREDO_ALTERNATE_PORT] ?:
				     data[IFLA_TEREDO_ALTERNATE],
				     "alternate-port: needed with alternate, not 0");
	attr = data[IFLA_TEREDO_NEXT_REFRESH];
	if (attr) {
		p->next_refresh = nla_get_u32(attr);
		p->has_refresh = true;
		if (p->next_refresh > NEXT_REFRESH_MAX)
			return teredo_reject(extack, attr,
					     "next-refresh: out of range (0-3600)");
	}

	/* Dormant is qualified with the data path paused (dormant.c). */
	if (p->state != TEREDO_STATE_QUALIFIED &&
	    p->state != TEREDO_STATE_DORMANT)
		return 0;
	attr = data[IFLA_TEREDO_STATE];
	if (!p->mapped || !p->mapped_port || ipv6_addr_any(&p->addr))
		return teredo_reject(extack, attr,
				     "state: qualified needs mapped, mapped-port and address");
	/* The address must be the one the server and the mapping make. */
	if (!teredo_addr_is_teredo(&p->addr) ||
	    teredo_addr_server(&p->addr) != t->cfg.server ||
	    teredo_addr_mapped(&p->addr) != p->mapped ||
	    teredo_addr_port(&p->addr) != p->mapped_port)
		return teredo_reject(extack, data[IFLA_TEREDO_ADDRESS] ?: attr,
				     "address: not the Teredo address of server and mapping");
	if (!data[IFLA_TEREDO_FD] && !t->client.sk)
		return teredo_reject(extack, attr,
				     "state: qualified needs a socket (fd) first");
	return 0;
}

static int change(struct teredo_dev *t, struct nlattr *data[],
		  struct netlink_ext_ack *extack)
{
	struct teredo_client *c = &t->client;
	struct teredo_qualified *q = NULL;
	struct pushed p = {
		.state = c->state,
		.reason = c->reason,
		.nat = c->nat,
		.portmap = c->portmap,
		.portmap_gw = c->portmap_gw,
		.mapped = c->mapped,
		.mapped_port = c->mapped_port,
		.alt = c->alt,
		.alt_port = c->alt_port,
		.addr = c->addr,
	};
	struct pushed was = p;
	bool new_addr;
	int err;

	err = parse_state(t, data, &p, extack);
	if (err)
		return err;
	if (p.state == TEREDO_STATE_QUALIFIED ||
	    p.state == TEREDO_STATE_DORMANT) {
		q = kzalloc(sizeof(*q), GFP_KERNEL);
		if (!q)
			return -ENOMEM;
		q->addr = p.addr;
		q->dormant = p.state == TEREDO_STATE_DORMANT;
		q->symmetric = nat_symmetric(p.nat) &&
			       p.portmap == TEREDO_PORTMAP_NONE;
		q->port_preserving = q->symmetric &&
			p.nat == TEREDO_NAT_SYMMETRIC_PORT_PRESERVING;
		q->sequential = q->symmetric &&
			p.nat == TEREDO_NAT_SYMMETRIC_SEQUENTIAL;
		if (p.alt) {
			q->alt_addr = p.alt;
			q->alt_port = p.alt_port;
		}
	}
	if (data[IFLA_TEREDO_FD]) {
		err = attach(t, data[IFLA_TEREDO_FD], extack);
		if (err) {
			kfree(q);
			return err;
		}
	}
	if (data[IFLA_TEREDO_DISCOVERY_FD]) {
		err = disc_attach(t, data[IFLA_TEREDO_DISCOVERY_FD], extack);
		if (err) {
			kfree(q);
			return err;
		}
	}
	/* Without its socket a client is offline, whatever it says. */
	if (!c->sk)
		p.state = TEREDO_STATE_OFFLINE;

	new_addr = !ipv6_addr_equal(&p.addr, &c->addr);
	c->nat = p.nat;
	c->portmap = p.portmap;
	c->portmap_gw = p.portmap_gw;
	c->mapped = p.mapped;
	c->mapped_port = p.mapped_port;
	c->alt = p.alt;
	c->alt_port = p.alt ? p.alt_port : 0;
	c->addr = p.addr;
	if (p.has_refresh)
		WRITE_ONCE(c->refresh_at, jiffies + p.next_refresh * HZ ?: 1);
	/*
	 * The new address first, then the flush: a peer the data path
	 * makes meanwhile is either flushed or made for the new address.
	 */
	set_qualified(t, q);
	if (new_addr)
		teredo_peers_flush(t);
	/* Bound where the client's socket is, for the NAT to see the same. */
	teredo_rports_set(t, q && (q->port_preserving || q->sequential),
			  c->sk ? inet_sk(c->sk)->inet_rcv_saddr : 0);
	WRITE_ONCE(c->reason, q ? TEREDO_REASON_NONE : p.reason);
	WRITE_ONCE(c->state, p.state);
	/*
	 * What a dormant client held leaves once it is qualified again;
	 * transmitters that still saw it dormant finish queueing first.
	 */
	if (was.state == TEREDO_STATE_DORMANT &&
	    p.state != TEREDO_STATE_DORMANT)
		synchronize_net();
	if (p.state != TEREDO_STATE_DORMANT)
		teredo_dormant_release(t, p.state == TEREDO_STATE_QUALIFIED);
	if (netif_running(t->dev) && teredo_client_carrier(t))
		netif_carrier_on(t->dev);
	else
		netif_carrier_off(t->dev);
	if (p.state != was.state || c->reason != was.reason ||
	    p.nat != was.nat || p.mapped != was.mapped ||
	    p.mapped_port != was.mapped_port || new_addr)
		teredo_event_state(t);
	return 0;
}

/**
 * teredo_client_change - take a socket and state from the helper
 * @t: a client device
 * @data: IFLA_TEREDO_FD and the state attributes, if any
 * @extack: where refusals are explained
 *
 * Everything is checked before anything changes.  A new address flushes
 * the peers: they trusted our old mapping, not this one.
 *
 * Context: process, RTNL held.
 * Return: 0 or a negative errno with an extack message.
 */
int teredo_client_change(struct teredo_dev *t, struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	int err;

	mutex_lock(&t->client.lock);
	err = change(t, data, extack);
	mutex_unlock(&t->client.lock);
	return err;
}

/**
 * teredo_client_may_move - whether the client's server may change now
 * @t: a client device
 * @data: the request, which changes SERVER or SERVER2
 * @extack: where refusals are explained
 *
 * Only while no address of the old server is in use: neither qualified
 * nor dormant.  teredod moves to the next server of its list between
 * qualification attempts; pushing a state in the same message would mix
 * the old server and the new one.
 *
 * Context: process, RTNL held: pushes are changelinks too, so the state
 * cannot change before the caller applies the new server.
 * Return: 0 or -EINVAL with an extack message.
 */
int teredo_client_may_move(struct teredo_dev *t, struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	struct nlattr *attr = data[IFLA_TEREDO_SERVER] ?:
			      data[IFLA_TEREDO_SERVER2];
	u8 state;

	ASSERT_RTNL();
	if (data[IFLA_TEREDO_STATE])
		return teredo_reject(extack, attr,
				     "server: not in the same message as state");
	mutex_lock(&t->client.lock);
	state = t->client.state;
	mutex_unlock(&t->client.lock);
	if (state == TEREDO_STATE_QUALIFIED || state == TEREDO_STATE_DORMANT)
		return teredo_reject(extack, attr,
				     "server: cannot be changed while qualified");
	return 0;
}

size_t teredo_client_size(void)
{
	return 4 * nla_total_size(sizeof(u8)) +	/* STATE .. NAT, PORTMAP */
	       nla_total_size(sizeof(__be32)) +		/* PORTMAP_GATEWAY */
	       nla_total_size(sizeof(__be32)) +		/* MAPPED */
	       nla_total_size(sizeof(__be16)) +		/* MAPPED_PORT */
	       nla_total_size(sizeof(struct in6_addr)) +	/* ADDRESS */
	       nla_total_size(sizeof(u32)) +		/* NEXT_REFRESH */
	       nla_total_size(sizeof(__be32)) +		/* ALTERNATE */
	       nla_total_size(sizeof(__be16));		/* ALTERNATE_PORT */
}

int teredo_client_fill(struct sk_buff *skb, const struct teredo_dev *t)
{
	const struct teredo_client *c = &t->client;
	unsigned long at = READ_ONCE(c->refresh_at);
	u32 left = 0;

	if (at && time_after(at, jiffies))
		left = DIV_ROUND_UP(at - jiffies, HZ);
	if (nla_put_u8(skb, IFLA_TEREDO_STATE, READ_ONCE(c->state)) ||
	    nla_put_u8(skb, IFLA_TEREDO_REASON, READ_ONCE(c->reason)) ||
	    nla_put_u8(skb, IFLA_TEREDO_NAT, c->nat) ||
	    nla_put_u8(skb, IFLA_TEREDO_PORTMAP, c->portmap))
		return -EMSGSIZE;
	if (c->portmap && c->portmap_gw &&
	    nla_put_in_addr(skb, IFLA_TEREDO_PORTMAP_GATEWAY, c->portmap_gw))
		return -EMSGSIZE;
	if (c->mapped &&
	    (nla_put_in_addr(skb, IFLA_TEREDO_MAPPED, c->mapped) ||
	     nla_put_be16(skb, IFLA_TEREDO_MAPPED_PORT, c->mapped_port)))
		return -EMSGSIZE;
	if (!ipv6_addr_any(&c->addr) &&
	    nla_put_in6_addr(skb, IFLA_TEREDO_ADDRESS, &c->addr))
		return -EMSGSIZE;
	if (at && nla_put_u32(skb, IFLA_TEREDO_NEXT_REFRESH, left))
		return -EMSGSIZE;
	if (c->alt &&
	    (nla_put_in_addr(skb, IFLA_TEREDO_ALTERNATE, c->alt) ||
	     nla_put_be16(skb, IFLA_TEREDO_ALTERNATE_PORT, c->alt_port)))
		return -EMSGSIZE;
	return 0;
}

const struct teredo_mode_ops teredo_client_ops = {
	.encap_rcv	= teredo_client_encap_recv,
	.bubble		= teredo_client_probe,
	.gro		= true,
};
