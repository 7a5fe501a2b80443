/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_SERVER_H
#define _TEREDO_SERVER_H

#include <linux/netdevice.h>

struct sk_buff;
struct sock;
struct teredo_dev;

int teredo_server_recv(struct teredo_dev *t, struct sock *sk,
		       struct sk_buff *skb);
void teredo_server_xmit(struct teredo_dev *t, struct sk_buff *skb);

#endif /* _TEREDO_SERVER_H */
