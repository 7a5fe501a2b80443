/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_RECEIVE_H
#define _TEREDO_RECEIVE_H

#include <linux/types.h>

#include "uapi/linux/teredo_genl.h"

struct sk_buff;
struct sock;
struct teredo_dev;
struct teredo_peer;
struct teredo_trailers;
struct udp_tunnel_sock_cfg;

int teredo_receive_header(struct teredo_dev *t, struct sk_buff *skb);
void teredo_gro_setup(struct udp_tunnel_sock_cfg *cfg);
bool teredo_receive_decap(struct teredo_dev *t, struct sk_buff *skb,
			  unsigned int offset);
enum teredo_stat teredo_receive_trailers(struct sk_buff *skb,
					 unsigned int end,
					 struct teredo_trailers *tr);
void teredo_receive_deliver(struct teredo_dev *t, struct teredo_peer *peer,
			    struct sk_buff *skb, unsigned int offset);

#endif /* _TEREDO_RECEIVE_H */
