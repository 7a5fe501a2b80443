/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_RPORT_H
#define _TEREDO_RPORT_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "predict.h"

struct socket;
struct sock;
struct teredo_dev;
struct teredo_peer;

/*
 * RFC 6081 §5.4: a client behind a port-preserving symmetric NAT talks
 * to each Teredo peer from a local port of its own, which its NAT keeps
 * (the port is new to it), and tells the peer that port in a Random
 * Port trailer.  One of these is such a port: a kernel UDP socket on
 * the client's address at a port the kernel picked at random, whose
 * reception is the device's.  Behind a sequential NAT (§5.5), which
 * does not keep it, the port the peer is told is a guess (predict.c).
 */
struct teredo_rport {
	struct socket *sock;
	struct sock *sk;		/* sock->sk; sk_user_data: us */
	struct teredo_dev *t;
	__be16 port;			/* bound, network order */
	struct list_head list;		/* on a teredo_rports list */
	struct teredo_predict predict;	/* sequential NAT only */
};

/*
 * A client's random ports, at most TEREDO_RPORTS_MAX: made ready in
 * process context (udp_sock_create() sleeps) on @pool, handed to peers
 * by the data path (a pointer store), and given back by a peer's
 * removal to @gone, where the work closes them after a grace period
 * (rport.c has the whole lifetime).  @count is all of them: on a list,
 * a peer's, or being made.
 */
struct teredo_rports {
	spinlock_t lock;		/* all below but @make_lock, @work */
	struct list_head pool;		/* ready, no peer's */
	struct list_head gone;		/* a removed peer's, to close */
	unsigned int count;
	bool wanted;			/* port-preserving or sequential */
	bool closed;			/* the device is going */
	__be32 local;			/* the client socket's address */
	struct mutex make_lock;		/* held while sockets are made */
	struct work_struct work;	/* closes @gone, fills @pool */
};

#define TEREDO_RPORTS_MAX	8

void teredo_rports_init(struct teredo_dev *t);
void teredo_rports_set(struct teredo_dev *t, bool wanted, __be32 local);
struct teredo_rport *teredo_rport_assign(struct teredo_dev *t,
					 struct teredo_peer *peer);
void teredo_rport_put_back(struct teredo_dev *t, struct teredo_rport *rp);
__be16 teredo_rport_port(struct teredo_peer *peer);
void teredo_rports_close(struct teredo_dev *t);
void teredo_rports_release(struct teredo_dev *t);

#endif /* _TEREDO_RPORT_H */
