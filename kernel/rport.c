// SPDX-License-Identifier: GPL-2.0
/*
 * RFC 6081 §5.4, a client behind a port-preserving symmetric NAT: its
 * random local ports, one for each Teredo peer it makes an exchange
 * with (rport.h).  Behind a sequential one (§5.5) too, where each
 * carries the echo test that guesses its public port (predict.c).
 *
 * Lifetime of one, each step under rports.lock unless said:
 *  1. Made in process context (udp_sock_create() sleeps), under
 *     @make_lock: by teredo_rports_set() when teredod pushes a NAT that
 *     is port-preserving or sequential (RTNL held), and by the work
 *     after it closed some.  Hooked to the device at once (encap_rcv;
 *     sk_user_data is the rport, which points at the device), as the
 *     client's own socket is; on @pool.
 *  2. Handed out by the data path, teredo_rport_assign(): off @pool,
 *     then published in peer->rport under peer->lock if the peer is not
 *     dead and has none; if it is, back where step 3 puts it.
 *  3. Given back by the peer's removal: unlink_peer() takes
 *     peer->rport under peer->lock (where it marks the peer dead, so
 *     step 2 publishes nothing after it), and teredo_rport_put_back()
 *     unhooks the socket (reception drops) and puts it on @gone.
 *     A sender that read peer->rport before may still send from the
 *     socket until its RCU section ends.
 *  4. Closed by the work: @gone taken, a grace period waited for (the
 *     senders of step 3), the sockets closed; then @pool filled again.
 *
 * The device's teardown:
 *  - ndo_uninit, RTNL held, before the peers are flushed:
 *    teredo_rports_close() waits for a socket being made (@make_lock:
 *    no grace period in there), sets @closed (nothing is handed out,
 *    made or queued any more) and unhooks the sockets on @pool.  The
 *    flush then gives every peer's back to @gone, unhooked.
 *  - The core's grace period: no reception, sender or step 2 that
 *    saw a socket hooked is still running.
 *  - The destructor, teredo_rports_release(): waits for the work
 *    (cancel_work_sync(); one that runs now finds @closed and makes
 *    nothing) and closes what is left on both lists.
 * So no socket of ours outlives its device, nor the netns it lives in
 * (a device's destructor runs before its netns goes), and no work of
 * ours runs after the destructor: module unload needs nothing more.
 */

#include <linux/ip.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/sock.h>
#include <net/udp_tunnel.h>

#include "client.h"
#include "device.h"
#include "peer.h"
#include "predict.h"
#include "rport.h"
#include "socket.h"
#include "stats.h"

/*
 * encap_rcv: the answers to the port's echo test (predict.c), else the
 * client's reception; a drop once unhooked.  Nobody reads these
 * sockets: what the client's would queue for teredod (qualification
 * traffic, which only its own port gets) is dropped.
 */
static int rport_recv(struct sock *sk, struct sk_buff *skb)
{
	struct teredo_rport *rp = rcu_dereference_sk_user_data(sk);
	struct teredo_dev *t;

	if (unlikely(!rp)) {
		kfree_skb(skb);
		return 0;
	}
	t = rp->t;
	if (teredo_predict_answer(t, rp, skb))
		return 0;
	if (teredo_client_receive(t, skb) > 0)
		teredo_rx_drop(t, skb, TEREDO_STAT_RX_AUTH);
	return 0;
}

static struct teredo_rport *make_one(struct teredo_dev *t, __be32 local)
{
	struct udp_port_cfg cfg = {
		.family = AF_INET,
		.local_ip.s_addr = local,
		/* 0: the kernel picks a free ephemeral port at random. */
		.use_udp_checksums = true,
	};
	struct udp_tunnel_sock_cfg tunnel = {
		.encap_type = 1,
		.encap_rcv = rport_recv,
	};
	struct teredo_rport *rp;

	rp = kzalloc(sizeof(*rp), GFP_KERNEL);
	if (!rp)
		return NULL;
	rp->t = t;
	teredo_predict_init(&rp->predict);
	tunnel.sk_user_data = rp;
	if (udp_sock_create(t->net, &cfg, &rp->sock)) {
		kfree(rp);
		return NULL;
	}
	rp->sk = rp->sock->sk;
	rp->port = inet_sk(rp->sk)->inet_sport;
	teredo_socket_prepare(rp->sk);
	setup_udp_tunnel_sock(t->net, rp->sock, &tunnel);
	return rp;
}

static void unhook(struct teredo_rport *rp)
{
	rcu_assign_sk_user_data(rp->sk, NULL);
}

/* After unhook() and a grace period. */
static void close_one(struct teredo_rport *rp)
{
	teredo_socket_close(rp->sock);
	kfree(rp);
}

/* Make sockets until there are TEREDO_RPORTS_MAX.  Process context. */
static void fill(struct teredo_dev *t)
{
	struct teredo_rports *rs = &t->rports;
	struct teredo_rport *rp;
	__be32 local;

	mutex_lock(&rs->make_lock);
	for (;;) {
		spin_lock_bh(&rs->lock);
		if (rs->closed || !rs->wanted ||
		    rs->count >= TEREDO_RPORTS_MAX) {
			spin_unlock_bh(&rs->lock);
			break;
		}
		rs->count++;		/* reserved for the one being made */
		local = rs->local;
		spin_unlock_bh(&rs->lock);

		rp = make_one(t, local);
		spin_lock_bh(&rs->lock);
		if (rp)
			list_add_tail(&rp->list, &rs->pool);
		else
			rs->count--;
		spin_unlock_bh(&rs->lock);
		if (!rp) {
			teredo_stat_inc(t, TEREDO_STAT_RANDOM_PORTS_FAILED);
			break;
		}
	}
	mutex_unlock(&rs->make_lock);
}

static void work(struct work_struct *work)
{
	struct teredo_dev *t = container_of(work, struct teredo_dev,
					    rports.work);
	struct teredo_rports *rs = &t->rports;
	struct teredo_rport *rp, *next;
	unsigned int n = 0;
	LIST_HEAD(gone);

	spin_lock_bh(&rs->lock);
	list_splice_init(&rs->gone, &gone);
	spin_unlock_bh(&rs->lock);
	if (!list_empty(&gone)) {
		synchronize_rcu();	/* the senders of step 3 */
		list_for_each_entry_safe(rp, next, &gone, list) {
			close_one(rp);
			n++;
		}
		spin_lock_bh(&rs->lock);
		rs->count -= n;
		spin_unlock_bh(&rs->lock);
	}
	fill(t);
}

void teredo_rports_init(struct teredo_dev *t)
{
	struct teredo_rports *rs = &t->rports;

	spin_lock_init(&rs->lock);
	mutex_init(&rs->make_lock);
	INIT_LIST_HEAD(&rs->pool);
	INIT_LIST_HEAD(&rs->gone);
	INIT_WORK(&rs->work, work);
}

/**
 * teredo_rports_set - our NAT is port-preserving or sequential (or not)
 * @t: the client device
 * @wanted: whether it is: the ports are made now, and made again after
 *	they are closed; if not, those there are kept, none is made
 * @local: the address the client's socket is bound to (0: any)
 *
 * Context: process, RTNL held.
 */
void teredo_rports_set(struct teredo_dev *t, bool wanted, __be32 local)
{
	struct teredo_rports *rs = &t->rports;

	spin_lock_bh(&rs->lock);
	rs->wanted = wanted;
	rs->local = local;
	spin_unlock_bh(&rs->lock);
	if (wanted)
		fill(t);
}

/* Where a socket that no peer has goes: @pool, or @gone once closed. */
static void give_back(struct teredo_dev *t, struct teredo_rport *rp,
		      bool to_pool)
{
	struct teredo_rports *rs = &t->rports;
	bool queue;

	spin_lock_bh(&rs->lock);
	to_pool &= !rs->closed;
	if (!to_pool)
		unhook(rp);
	list_add_tail(&rp->list, to_pool ? &rs->pool : &rs->gone);
	queue = !to_pool && !rs->closed;
	spin_unlock_bh(&rs->lock);
	if (queue)
		schedule_work(&rs->work);
}

/**
 * teredo_rport_assign - the peer's random port, given one if it has none
 * @t: the client device
 * @peer: a Teredo peer
 *
 * Context: BH disabled, under RCU.
 * Return: the port, or NULL if none is left (counted).
 */
struct teredo_rport *teredo_rport_assign(struct teredo_dev *t,
					 struct teredo_peer *peer)
{
	struct teredo_rports *rs = &t->rports;
	struct teredo_rport *rp;
	bool taken = false;

	rp = rcu_dereference_bh(peer->rport);
	if (rp)
		return rp;
	spin_lock(&rs->lock);
	rp = rs->closed ? NULL : list_first_entry_or_null(&rs->pool,
							   struct teredo_rport,
							   list);
	if (rp)
		list_del(&rp->list);
	spin_unlock(&rs->lock);
	if (!rp) {
		teredo_stat_inc(t, TEREDO_STAT_RANDOM_PORTS_FULL);
		return NULL;
	}
	spin_lock(&peer->lock);
	if (!peer->dead && !rcu_access_pointer(peer->rport)) {
		rcu_assign_pointer(peer->rport, rp);
		taken = true;
	}
	spin_unlock(&peer->lock);
	if (taken)
		return rp;
	give_back(t, rp, true);
	return rcu_dereference_bh(peer->rport);
}

/**
 * teredo_rport_put_back - a removed peer's random port
 * @t: the device
 * @rp: what unlink_peer() took from peer->rport
 *
 * Context: any.
 */
void teredo_rport_put_back(struct teredo_dev *t, struct teredo_rport *rp)
{
	give_back(t, rp, false);
}

/* ndo_uninit, RTNL held, before the peers are flushed: see the top. */
void teredo_rports_close(struct teredo_dev *t)
{
	struct teredo_rports *rs = &t->rports;
	struct teredo_rport *rp;

	mutex_lock(&rs->make_lock);
	spin_lock_bh(&rs->lock);
	rs->closed = true;
	list_for_each_entry(rp, &rs->pool, list)
		unhook(rp);
	spin_unlock_bh(&rs->lock);
	mutex_unlock(&rs->make_lock);
}

/* The destructor, after the core's grace period: see the top. */
void teredo_rports_release(struct teredo_dev *t)
{
	struct teredo_rports *rs = &t->rports;
	struct teredo_rport *rp, *next;

	cancel_work_sync(&rs->work);
	list_splice_init(&rs->gone, &rs->pool);
	list_for_each_entry_safe(rp, next, &rs->pool, list)
		close_one(rp);
	INIT_LIST_HEAD(&rs->pool);
	rs->count = 0;
}

/* For netlink: the local port @peer talks from, 0 for the client's own. */
__be16 teredo_rport_port(struct teredo_peer *peer)
{
	struct teredo_rport *rp;
	__be16 port;

	rcu_read_lock();
	rp = rcu_dereference(peer->rport);
	port = rp ? rp->port : 0;
	rcu_read_unlock();
	return port;
}
