/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_CONFIG_H
#define _TEREDO_CONFIG_H

#include <linux/netlink.h>
#include <linux/types.h>
#include <net/netlink.h>
#include "uapi/linux/if_teredo.h"

struct sk_buff;

/* What IFLA_TEREDO_* configure, with every default already applied. */
struct teredo_config {
	u8 mode;			/* enum teredo_mode */
	__be32 server;
	__be32 server2;
	__be32 local;
	__be32 local2;
	__be16 port;
	u32 refresh;			/* seconds */
	u32 max_peers;
	u8 ttl;				/* 0: the route's default */
	u32 hold_limit;			/* bytes of truesize, all peers */
};

extern const struct nla_policy teredo_config_policy[IFLA_TEREDO_MAX + 1];

int teredo_config_parse(struct teredo_config *cfg, struct nlattr *data[],
			const struct teredo_config *old,
			struct netlink_ext_ack *extack);
int teredo_config_fill(struct sk_buff *skb, const struct teredo_config *cfg);
size_t teredo_config_size(void);
int teredo_reject(struct netlink_ext_ack *extack, const struct nlattr *attr,
		  const char *msg);

#endif /* _TEREDO_CONFIG_H */
