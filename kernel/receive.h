/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_RECEIVE_H
#define _TEREDO_RECEIVE_H

struct sk_buff;
struct sock;

int teredo_udp_recv(struct sock *sk, struct sk_buff *skb);

#endif /* _TEREDO_RECEIVE_H */
