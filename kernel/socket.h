/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_SOCKET_H
#define _TEREDO_SOCKET_H

#include <linux/netlink.h>
#include <linux/types.h>

struct sk_buff;
struct socket;
struct sock;
struct teredo_dev;
struct teredo_peer;

int teredo_socket_create(struct teredo_dev *t, struct nlattr *data[],
			 struct netlink_ext_ack *extack);
void teredo_socket_attach(struct teredo_dev *t);
void teredo_socket_release(struct teredo_dev *t);
void teredo_socket_unhook(struct teredo_dev *t);
int teredo_socket_send(struct teredo_dev *t, struct sk_buff *skb,
		       __be32 daddr, __be16 dport);
int teredo_socket_send_cached(struct teredo_dev *t, struct teredo_peer *peer,
			      struct sk_buff *skb, __be32 daddr, __be16 dport);
int teredo_socket_send_peer(struct teredo_dev *t, struct teredo_peer *peer,
			    struct sk_buff *skb, __be32 daddr, __be16 dport);
void teredo_socket_prepare(struct sock *sk);
void teredo_socket_close(struct socket *sock);
int teredo_socket_send_sk(struct teredo_dev *t, struct sock *sk,
			  struct sk_buff *skb, __be32 daddr, __be16 dport);

#endif /* _TEREDO_SOCKET_H */
