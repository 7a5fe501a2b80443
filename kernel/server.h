/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_SERVER_H
#define _TEREDO_SERVER_H

#include <linux/netdevice.h>
#include <net/checksum.h>
#include <linux/ipv6.h>

/*
 * The Router Advertisement of RFC 4380 §5.3.2 (RFC 4861 §4.2, §4.6.2,
 * §4.6.4): one prefix, 2001:0:<primary>::/64, autonomous, and the MTU.
 */
struct teredo_ra {
	struct ipv6hdr ip6;
	u8 type;
	u8 code;
	__sum16 csum;
	u8 cur_hop_limit;
	u8 flags;
	__be16 router_lifetime;
	__be32 reachable;
	__be32 retrans;
	/* prefix information */
	u8 pio_type;
	u8 pio_len;			/* units of 8 bytes */
	u8 prefix_len;
	u8 pio_flags;
	__be32 valid;
	__be32 preferred;
	__be32 reserved;
	struct in6_addr prefix;
	/* MTU */
	u8 mtu_type;
	u8 mtu_len;
	__be16 mtu_reserved;
	__be32 mtu;
} __packed;

/*
 * What every RA of a server has in common, built once when the device is
 * created (its addresses cannot change): all but the destination, the
 * MTU (which can) and the checksum, and the checksum of that common part.
 */
struct teredo_ra_template {
	struct teredo_ra ra;
	__wsum sum;
};

struct sk_buff;
struct sock;
struct teredo_dev;

void teredo_server_init(struct teredo_dev *t);

#endif /* _TEREDO_SERVER_H */
