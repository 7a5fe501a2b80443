// SPDX-License-Identifier: GPL-2.0
/*
 * What a device reports of its running state beyond its configuration:
 * the local address and port of the UDP socket in use (IFLA_TEREDO_BOUND,
 * IFLA_TEREDO_BOUND_PORT).  A client's configuration may say port 0 and
 * address any; this says what its helper actually bound.
 *
 * No object of its own: it reads t->sk under RCU.  Whoever clears t->sk
 * (client.c detach(), socket.c release_one()) waits for RCU readers
 * before the socket can go, so the socket read here stays valid until
 * rcu_read_unlock().
 */

#include <linux/rcupdate.h>
#include <net/inet_sock.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "device.h"
#include "status.h"

size_t teredo_status_size(void)
{
	return nla_total_size(sizeof(__be32)) +	/* BOUND */
	       nla_total_size(sizeof(__be16));		/* BOUND_PORT */
}

/**
 * teredo_status_fill - report the socket in use
 * @skb: the RTM_NEWLINK message, inside IFLA_INFO_DATA
 * @t: the device
 *
 * Nothing when no socket is attached (a client without its helper).
 *
 * Context: RTNL held (fill_info); the socket may detach concurrently.
 * Return: 0 or -EMSGSIZE.
 */
int teredo_status_fill(struct sk_buff *skb, const struct teredo_dev *t)
{
	const struct inet_sock *inet;
	struct sock *sk;
	__be32 addr = 0;
	__be16 port = 0;

	rcu_read_lock();
	sk = rcu_dereference(t->sk);
	if (sk) {
		inet = inet_sk(sk);
		addr = READ_ONCE(inet->inet_rcv_saddr);
		port = READ_ONCE(inet->inet_sport);
	}
	rcu_read_unlock();
	if (!sk)
		return 0;
	if (nla_put_in_addr(skb, IFLA_TEREDO_BOUND, addr) ||
	    nla_put_be16(skb, IFLA_TEREDO_BOUND_PORT, port))
		return -EMSGSIZE;
	return 0;
}
