// SPDX-License-Identifier: GPL-2.0
/*
 * Drops are counted by reason (stats.h) and in the device's own
 * rx_dropped/tx_dropped, and explained by a rate-limited debug line.
 */

#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "device.h"
#include "stats.h"

static const char *const reasons[__TEREDO_STAT_MAX] = {
	[TEREDO_STAT_RX_TRUNCATED] = "truncated",
	[TEREDO_STAT_RX_BAD_HEADER] = "unknown header",
	[TEREDO_STAT_RX_BAD_VERSION] = "not IPv6",
	[TEREDO_STAT_RX_BAD_LENGTH] = "payload length beyond the datagram",
	[TEREDO_STAT_RX_AUTH] = "unexpected authentication header",
	[TEREDO_STAT_RX_ORIGIN] = "unexpected origin indication",
	[TEREDO_STAT_RX_LINK_LOCAL] = "link-local source",
	[TEREDO_STAT_RX_MULTICAST] = "multicast address",
	[TEREDO_STAT_RX_NOT_TEREDO] = "source not a Teredo address",
	[TEREDO_STAT_RX_MAPPING] = "source mapping differs from sender",
	[TEREDO_STAT_RX_NOT_GLOBAL] = "sender not global unicast",
	[TEREDO_STAT_RX_UNKNOWN_PEER] = "unknown peer",
	[TEREDO_STAT_RX_NO_MEMORY] = "out of memory",
	[TEREDO_STAT_TX_NOT_IPV6] = "not IPv6",
	[TEREDO_STAT_TX_MULTICAST] = "multicast destination",
	[TEREDO_STAT_TX_NOT_TEREDO] = "destination not a Teredo address",
	[TEREDO_STAT_TX_NOT_GLOBAL] = "destination mapping not global",
	[TEREDO_STAT_TX_QUEUE_FULL] = "peer queue full",
	[TEREDO_STAT_TX_PEERS_FULL] = "peer table full",
	[TEREDO_STAT_TX_UNREACHABLE] = "peer never answered",
	[TEREDO_STAT_TX_NO_ROUTE] = "no route",
	[TEREDO_STAT_TX_NO_SOCKET] = "no socket",
	[TEREDO_STAT_TX_NO_MEMORY] = "out of memory",
	[TEREDO_STAT_RX_NOT_QUALIFIED] = "client not qualified",
	[TEREDO_STAT_RX_NOT_OURS] = "destination not our address",
	[TEREDO_STAT_RX_UNVERIFIED] = "source not verified",
	[TEREDO_STAT_TX_NOT_QUALIFIED] = "client not qualified",
	[TEREDO_STAT_RX_NOT_ICMP] = "neither a bubble nor ICMPv6",
	[TEREDO_STAT_RX_NOT_SERVED] = "not for a client of this server",
	[TEREDO_STAT_RX_LOOP] = "from or to our own address:3544",
	[TEREDO_STAT_RX_TOO_BIG] = "over 88 bytes to relay",
	[TEREDO_STAT_RX_BAD_RS] = "malformed router solicitation",
	[TEREDO_STAT_RX_RATELIMITED] = "router solicitations over the rate",
	[TEREDO_STAT_RX_PEERS_FULL] = "peer table full",
	[TEREDO_STAT_RX_BAD_SOURCE] = "source not a unicast address",
	[TEREDO_STAT_TX_BAD_SOURCE] = "source not our Teredo address",
	[TEREDO_STAT_HOLD_LIMIT] = "hold-limit of the device reached",
	[TEREDO_STAT_RX_TRAILER] = "trailer type asks to discard (RFC 6081)",
	[TEREDO_STAT_RX_BAD_DISCOVERY] = "discovery bubble not from our link",
	[TEREDO_STAT_RX_BAD_NONCE] = "from another mapping, nonce/key unknown",
};

void teredo_stats_sum(const struct teredo_dev *t, u64 sum[__TEREDO_STAT_MAX])
{
	int cpu, i;

	memset(sum, 0, sizeof(u64) * __TEREDO_STAT_MAX);
	for_each_possible_cpu(cpu) {
		const struct teredo_stats *s = per_cpu_ptr(t->stats, cpu);

		for (i = 0; i < __TEREDO_STAT_MAX; i++)
			sum[i] += READ_ONCE(s->count[i]);
	}
}

void teredo_rx_drop(struct teredo_dev *t, struct sk_buff *skb,
		    enum teredo_stat why)
{
	teredo_stat_inc(t, why);
	DEV_STATS_INC(t->dev, rx_dropped);
	net_dbg_ratelimited("%s: rx drop: %s\n", t->dev->name, reasons[why]);
	kfree_skb(skb);
}

void teredo_tx_drop(struct teredo_dev *t, struct sk_buff *skb,
		    enum teredo_stat why)
{
	teredo_stat_inc(t, why);
	DEV_STATS_INC(t->dev, tx_dropped);
	net_dbg_ratelimited("%s: tx drop: %s\n", t->dev->name, reasons[why]);
	kfree_skb(skb);
}
