// SPDX-License-Identifier: GPL-2.0
/*
 * What teredoctl prints.  Text for people, JSON for scripts; both use the
 * keywords of `ip link ... type teredo` where the two meet, so a value
 * read here can be pasted back there.
 */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include "format.h"
#include "proto.h"

#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Ages come as u32 milliseconds; this one means "never happened". */
#define AGE_NEVER	UINT32_MAX

/* Lines wrap here, so that long counter lists stay readable. */
#define COLUMNS		80

static const char * const stat_names[__TEREDO_STAT_MAX] = {
	[TEREDO_STAT_RX_TRUNCATED]	= "rx_truncated",
	[TEREDO_STAT_RX_BAD_HEADER]	= "rx_bad_header",
	[TEREDO_STAT_RX_BAD_VERSION]	= "rx_bad_version",
	[TEREDO_STAT_RX_BAD_LENGTH]	= "rx_bad_length",
	[TEREDO_STAT_RX_AUTH]		= "rx_auth",
	[TEREDO_STAT_RX_ORIGIN]		= "rx_origin",
	[TEREDO_STAT_RX_LINK_LOCAL]	= "rx_link_local",
	[TEREDO_STAT_RX_MULTICAST]	= "rx_multicast",
	[TEREDO_STAT_RX_NOT_TEREDO]	= "rx_not_teredo",
	[TEREDO_STAT_RX_MAPPING]	= "rx_mapping",
	[TEREDO_STAT_RX_NOT_GLOBAL]	= "rx_not_global",
	[TEREDO_STAT_RX_UNKNOWN_PEER]	= "rx_unknown_peer",
	[TEREDO_STAT_RX_NO_MEMORY]	= "rx_no_memory",
	[TEREDO_STAT_RX_BUBBLES]	= "rx_bubbles",
	[TEREDO_STAT_TX_NOT_IPV6]	= "tx_not_ipv6",
	[TEREDO_STAT_TX_MULTICAST]	= "tx_multicast",
	[TEREDO_STAT_TX_NOT_TEREDO]	= "tx_not_teredo",
	[TEREDO_STAT_TX_NOT_GLOBAL]	= "tx_not_global",
	[TEREDO_STAT_TX_QUEUE_FULL]	= "tx_queue_full",
	[TEREDO_STAT_TX_PEERS_FULL]	= "tx_peers_full",
	[TEREDO_STAT_TX_UNREACHABLE]	= "tx_unreachable",
	[TEREDO_STAT_TX_NO_ROUTE]	= "tx_no_route",
	[TEREDO_STAT_TX_NO_SOCKET]	= "tx_no_socket",
	[TEREDO_STAT_TX_NO_MEMORY]	= "tx_no_memory",
	[TEREDO_STAT_TX_BUBBLES]	= "tx_bubbles",
	[TEREDO_STAT_TX_BUBBLES_LIMITED] = "tx_bubbles_limited",
	[TEREDO_STAT_TX_ICMP]		= "tx_icmp",
	[TEREDO_STAT_PEERS_EVICTED]	= "peers_evicted",
	[TEREDO_STAT_RX_NOT_QUALIFIED]	= "rx_not_qualified",
	[TEREDO_STAT_RX_NOT_OURS]	= "rx_not_ours",
	[TEREDO_STAT_RX_UNVERIFIED]	= "rx_unverified",
	[TEREDO_STAT_RX_TO_HELPER]	= "rx_to_helper",
	[TEREDO_STAT_TX_NOT_QUALIFIED]	= "tx_not_qualified",
	[TEREDO_STAT_TX_ECHO_TESTS]	= "tx_echo_tests",
	[TEREDO_STAT_RX_ECHO_REPLIES]	= "rx_echo_replies",
	[TEREDO_STAT_RX_NOT_ICMP]	= "rx_not_icmp",
	[TEREDO_STAT_RX_NOT_SERVED]	= "rx_not_served",
	[TEREDO_STAT_RX_LOOP]		= "rx_loop",
	[TEREDO_STAT_RX_TOO_BIG]	= "rx_too_big",
	[TEREDO_STAT_RX_BAD_RS]		= "rx_bad_rs",
	[TEREDO_STAT_RX_RATELIMITED]	= "rx_ratelimited",
	[TEREDO_STAT_TX_RA]		= "tx_ra",
	[TEREDO_STAT_TX_FORWARDED]	= "tx_forwarded",
	[TEREDO_STAT_TX_NATIVE]		= "tx_native",
	[TEREDO_STAT_RX_PEERS_FULL]	= "rx_peers_full",
	[TEREDO_STAT_RX_BAD_SOURCE]	= "rx_bad_source",
	[TEREDO_STAT_TX_HELD]		= "tx_held",
	[TEREDO_STAT_TX_BAD_SOURCE]	= "tx_bad_source",
	[TEREDO_STAT_HOLD_LIMIT]	= "hold_limit",
	[TEREDO_STAT_RX_TRAILER]	= "rx_trailer",
	[TEREDO_STAT_RX_DISCOVERY]	= "rx_discovery",
	[TEREDO_STAT_RX_BAD_DISCOVERY]	= "rx_bad_discovery",
	[TEREDO_STAT_TX_DISCOVERY]	= "tx_discovery",
	[TEREDO_STAT_RX_BAD_NONCE]	= "rx_bad_nonce",
	[TEREDO_STAT_RX_MOVED]		= "rx_moved",
	[TEREDO_STAT_TX_NONCES]		= "tx_nonces",
	[TEREDO_STAT_TX_ALTERNATES]	= "tx_alternates",
	[TEREDO_STAT_TX_SOLICITATIONS]	= "tx_solicitations",
	[TEREDO_STAT_TX_ADVERTISEMENTS]	= "tx_advertisements",
	[TEREDO_STAT_RX_ADVERTISEMENTS]	= "rx_advertisements",
	[TEREDO_STAT_SLR_FALLBACKS]	= "slr_fallbacks",
	[TEREDO_STAT_RX_RANDOM_PORTS]	= "rx_random_ports",
	[TEREDO_STAT_TX_RANDOM_PORTS]	= "tx_random_ports",
	[TEREDO_STAT_RANDOM_PORTS_FULL]	= "random_ports_full",
	[TEREDO_STAT_RANDOM_PORTS_FAILED] = "random_ports_failed",
	[TEREDO_STAT_TX_PORT_TESTS]	= "tx_port_tests",
	[TEREDO_STAT_PORT_PREDICTIONS]	= "port_predictions",
};

static const char * const mode_names[] = {
	[TEREDO_MODE_CLIENT]	= "client",
	[TEREDO_MODE_RELAY]	= "relay",
	[TEREDO_MODE_SERVER]	= "server",
};

/* The words teredod logs, so that its log and this output agree. */
static const char * const state_names[] = {
	[TEREDO_STATE_OFFLINE]		= "offline",
	[TEREDO_STATE_QUALIFYING]	= "qualifying",
	[TEREDO_STATE_QUALIFIED]	= "qualified",
	[TEREDO_STATE_DORMANT]		= "dormant",
};

static const char * const reason_names[] = {
	[TEREDO_REASON_NONE]		= "none",
	[TEREDO_REASON_NO_HELPER]	= "no-helper",
	[TEREDO_REASON_NO_SERVER]	= "no-server",
	[TEREDO_REASON_SYMMETRIC_NAT]	= "symmetric-nat",
	[TEREDO_REASON_NO_ROUTE]	= "no-route",
	[TEREDO_REASON_NATIVE_IPV6]	= "native-ipv6",
};

static const char * const nat_names[] = {
	[TEREDO_NAT_UNKNOWN]		= "unknown",
	[TEREDO_NAT_NONE]		= "none",
	[TEREDO_NAT_RESTRICTED]		= "restricted",
	[TEREDO_NAT_SYMMETRIC]		= "symmetric",
	/* Windows' words (netsh interface teredo show state) */
	[TEREDO_NAT_SYMMETRIC_PORT_PRESERVING] = "symmetric (port-preserving)",
	[TEREDO_NAT_SYMMETRIC_SEQUENTIAL] = "symmetric (sequential)",
};

/* Router Solicitations before the helper gives up (RFC 4380 §5.2.1). */
#define RS_TRIES	3

/* Rounded to the nearest tenth of a second: 1249 ms is "1.2". */
const char *fmt_age(char *buf, size_t size, __u32 ms)
{
	uint64_t tenths = ((uint64_t)ms + 50) / 100;

	if (ms == AGE_NEVER)
		snprintf(buf, size, "never");
	else
		snprintf(buf, size, "%llu.%u",
			 (unsigned long long)(tenths / 10),
			 (unsigned int)(tenths % 10));
	return buf;
}

const char *fmt_mapped(char *buf, size_t size, __be32 addr, __be16 port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, ntohs(port));
	return buf;
}

const char *mode_name(char *buf, size_t size, __u8 mode)
{
	if (mode < ARRAY_SIZE(mode_names))
		return mode_names[mode];
	/* A mode newer than this tool: the number still means something. */
	snprintf(buf, size, "%u", mode);
	return buf;
}

/* A value newer than this tool is shown by its number. */
static const char *enum_name(char *buf, size_t size,
			     const char * const *names, size_t n,
			     unsigned int v)
{
	if (v < n && names[v])
		return names[v];
	snprintf(buf, size, "%u", v);
	return buf;
}

const char *state_name(char *buf, size_t size, __u8 state)
{
	return enum_name(buf, size, state_names, ARRAY_SIZE(state_names),
			 state);
}

const char *reason_name(char *buf, size_t size, __u8 reason)
{
	return enum_name(buf, size, reason_names, ARRAY_SIZE(reason_names),
			 reason);
}

const char *nat_name(char *buf, size_t size, __u8 nat)
{
	return enum_name(buf, size, nat_names, ARRAY_SIZE(nat_names), nat);
}

static const char * const portmap_names[] = {
	[TEREDO_PORTMAP_NONE]		= "none",
	[TEREDO_PORTMAP_UPNP]		= "upnp",
	[TEREDO_PORTMAP_NATPMP]		= "natpmp",
	[TEREDO_PORTMAP_PCP]		= "pcp",
};

const char *portmap_name(char *buf, size_t size, __u8 portmap)
{
	return enum_name(buf, size, portmap_names, ARRAY_SIZE(portmap_names),
			 portmap);
}

/* "UPnP mapping via 10.0.0.1", as Windows says "UPNP". */
const char *portmap_desc(char *buf, size_t size, const struct link_info *li)
{
	char gw[INET_ADDRSTRLEN] = "?", name[16];
	const char *what;

	if (HAS(li, IFLA_TEREDO_PORTMAP_GATEWAY))
		inet_ntop(AF_INET, &li->portmap_gw, gw, sizeof(gw));
	switch (li->portmap) {
	case TEREDO_PORTMAP_UPNP:
		what = "UPnP";
		break;
	case TEREDO_PORTMAP_NATPMP:
		what = "NAT-PMP";
		break;
	case TEREDO_PORTMAP_PCP:
		what = "PCP";
		break;
	default:
		what = portmap_name(name, sizeof(name), li->portmap);
		break;
	}
	snprintf(buf, size, "%s mapping via %s", what, gw);
	return buf;
}

const char *stat_name(char *buf, size_t size, unsigned int type)
{
	if (type < __TEREDO_STAT_MAX && stat_names[type])
		return stat_names[type];
	snprintf(buf, size, "stat_%u", type);
	return buf;
}

const char *link_state(unsigned int flags)
{
	if (!(flags & IFF_UP))
		return "down";
	/* Up but no carrier: a client whose helper is gone, for one. */
	return flags & IFF_LOWER_UP ? "up" : "no-carrier";
}

static const char *ipv4(char *buf, __be32 addr)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

const char *client_status(char *buf, size_t size,
			  const struct link_info *li)
{
	char srv[INET_ADDRSTRLEN], name[8];
	size_t n;

	buf[0] = '\0';
	if (!HAS(li, IFLA_TEREDO_STATE) ||
	    li->state == TEREDO_STATE_QUALIFIED)
		return buf;
	ipv4(srv, li->server);
	if (li->state == TEREDO_STATE_QUALIFYING) {
		snprintf(buf, size,
			 "qualifying: waiting for the Teredo server %s", srv);
		return buf;
	}
	if (li->state == TEREDO_STATE_DORMANT) {
		snprintf(buf, size,
			 "dormant: idle, no refresh; the next packet sent qualifies it again");
		return buf;
	}
	if (li->state != TEREDO_STATE_OFFLINE) {
		snprintf(buf, size, "state %s",
			 state_name(name, sizeof(name), li->state));
		return buf;
	}
	switch (HAS(li, IFLA_TEREDO_REASON) ? li->reason :
		TEREDO_REASON_NONE) {
	case TEREDO_REASON_NONE:
		snprintf(buf, size, "offline");
		break;
	case TEREDO_REASON_NO_HELPER:
		snprintf(buf, size, "offline: teredod is not running");
		break;
	case TEREDO_REASON_NO_SERVER:
		snprintf(buf, size,
			 "offline: the Teredo server %s does not answer (%d Router Solicitations unanswered)",
			 srv, RS_TRIES);
		break;
	case TEREDO_REASON_SYMMETRIC_NAT:
		snprintf(buf, size,
			 "offline: symmetric NAT: mappings differ per destination; RFC 4380 (teredod --symmetric-nat off) cannot work behind it without a port mapping: teredod --port-mapping auto, or a forwarded port");
		break;
	case TEREDO_REASON_NO_ROUTE:
		snprintf(buf, size,
			 "offline: no IPv4 route to the Teredo server %s",
			 srv);
		break;
	case TEREDO_REASON_NATIVE_IPV6:
		snprintf(buf, size,
			 "offline: the host has native IPv6 on another interface; Teredo stands aside (RFC 4380 5.5, teredod --no-sunset)");
		break;
	default:
		snprintf(buf, size, "offline: reason %u", li->reason);
		break;
	}
	/* The helper retries after a back-off; the kernel counts it down. */
	n = strlen(buf);
	if (HAS(li, IFLA_TEREDO_NEXT_REFRESH) &&
	    li->reason != TEREDO_REASON_NO_HELPER &&
	    li->reason != TEREDO_REASON_NATIVE_IPV6 && n < size)
		snprintf(buf + n, size - n, "; next attempt in %u s",
			 li->next_refresh);
	return buf;
}

/* rtnl says the mode; the genl reply is only a fallback. */
static const char *link_mode(char *buf, size_t size,
			     const struct link_info *li,
			     const struct dev_info *di)
{
	if (HAS(li, IFLA_TEREDO_MODE))
		return mode_name(buf, size, li->mode);
	if (di && HAS(di, TEREDO_A_MODE))
		return mode_name(buf, size, di->mode);
	return "unknown";
}

/* One "word value" item of an indented line, two spaces before each. */
static void __printf(3, 4) item(FILE *f, bool *any, const char *fmt, ...)
{
	va_list ap;

	fputs("  ", f);
	*any = true;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

static void print_counters(FILE *f, const struct dev_info *di)
{
	static const char lead[] = "  counters:";
	char name[STAT_LEN], pair[STAT_LEN + 24];
	int col = sizeof(lead) - 1, n = 0, len;
	unsigned int i;

	fputs(lead, f);
	for (i = 1; i < NSTATS; i++) {
		if (!di->stats[i])
			continue;
		len = snprintf(pair, sizeof(pair), "%s %llu",
			       stat_name(name, sizeof(name), i),
			       (unsigned long long)di->stats[i]);
		if (!n) {
			fputc(' ', f);
			col++;
		} else if (col + 2 + len > COLUMNS) {
			/* Continue under the first pair. */
			fprintf(f, "\n%*s", (int)sizeof(lead), "");
			col = sizeof(lead);
		} else {
			fputs("  ", f);
			col += 2;
		}
		fputs(pair, f);
		col += len;
		n++;
	}
	fputs(n ? "\n" : " none\n", f);
}

void print_link(FILE *f, const struct link_info *li,
		const struct dev_info *di)
{
	char mode[MODE_LEN], buf[MAPPED_LEN], name[8];
	char addr[INET6_ADDRSTRLEN], status[STATUS_LEN];
	bool any = false;

	fprintf(f, "%s: mode %s, link %s", li->ifname,
		link_mode(mode, sizeof(mode), li, di), link_state(li->flags));
	if (HAS(li, IFLA_TEREDO_STATE))
		fprintf(f, ", state %s",
			state_name(name, sizeof(name), li->state));
	fputc('\n', f);
	if (client_status(status, sizeof(status), li)[0])
		fprintf(f, "  %s\n", status);

	/* The kernel leaves out a local address of 0.0.0.0 (any). */
	if (HAS(li, IFLA_TEREDO_PORT))
		item(f, &any, "local %s",
		     fmt_mapped(buf, sizeof(buf), li->local, li->port));
	else
		item(f, &any, "local %s", ipv4(buf, li->local));
	if (HAS(li, IFLA_TEREDO_LOCAL2))
		item(f, &any, "local2 %s", ipv4(buf, li->local2));
	/* What the socket in use is bound to: a client's real port. */
	if (HAS(li, IFLA_TEREDO_BOUND) && HAS(li, IFLA_TEREDO_BOUND_PORT))
		item(f, &any, "bound %s", fmt_mapped(buf, sizeof(buf),
						     li->bound, li->bound_port));
	if (HAS(li, IFLA_TEREDO_MAX_PEERS))
		item(f, &any, "max-peers %u", li->max_peers);
	if (di && HAS(di, TEREDO_A_PEER_COUNT))
		item(f, &any, "peers %u", di->peer_count);
	/* Memory held for untrusted peers, and the most it may be. */
	if (di && HAS(di, TEREDO_A_HELD_BYTES) && HAS(di, TEREDO_A_HOLD_LIMIT))
		item(f, &any, "held %llu/%u",
		     (unsigned long long)di->held_bytes, di->hold_limit);
	fputc('\n', f);

	/* Only a client has a server and a refresh interval. */
	any = false;
	if (HAS(li, IFLA_TEREDO_SERVER))
		item(f, &any, "server %s", ipv4(buf, li->server));
	if (HAS(li, IFLA_TEREDO_SERVER2))
		item(f, &any, "server2 %s", ipv4(buf, li->server2));
	if (HAS(li, IFLA_TEREDO_REFRESH))
		item(f, &any, "refresh %us", li->refresh);
	if (HAS(li, IFLA_TEREDO_NEXT_REFRESH) &&
	    HAS(li, IFLA_TEREDO_STATE) &&
	    li->state == TEREDO_STATE_QUALIFIED)
		item(f, &any, "next refresh in %u s", li->next_refresh);
	if (any)
		fputc('\n', f);

	/* What the helper found: the address, the NAT, the mapping. */
	any = false;
	if (HAS(li, IFLA_TEREDO_ADDRESS))
		item(f, &any, "address %s", inet_ntop(AF_INET6, &li->address,
						       addr, sizeof(addr)));
	/* Unknown says something once qualified: the secondary was silent. */
	if (HAS(li, IFLA_TEREDO_NAT) &&
	    (li->nat != TEREDO_NAT_UNKNOWN ||
	     (HAS(li, IFLA_TEREDO_STATE) &&
	      li->state == TEREDO_STATE_QUALIFIED)))
		item(f, &any, "nat %s", nat_name(name, sizeof(name), li->nat));
	/* The extension in use, in Windows' words (RFC 6081 §4.3). */
	if (HAS(li, IFLA_TEREDO_PORTMAP) && li->portmap) {
		char pm[64];

		item(f, &any, "%s", portmap_desc(pm, sizeof(pm), li));
	}
	if (HAS(li, IFLA_TEREDO_MAPPED) && HAS(li, IFLA_TEREDO_MAPPED_PORT))
		item(f, &any, "mapped %s", fmt_mapped(buf, sizeof(buf),
						       li->mapped,
						       li->mapped_port));
	/* The hairpinning extension's LAN address (RFC 6081 §5.6). */
	if (HAS(li, IFLA_TEREDO_ALTERNATE) &&
	    HAS(li, IFLA_TEREDO_ALTERNATE_PORT))
		item(f, &any, "alternate %s",
		     fmt_mapped(buf, sizeof(buf), li->alternate,
				li->alternate_port));
	if (any)
		fputc('\n', f);

	if (di && HAS(di, TEREDO_A_STATS))
		print_counters(f, di);
}

void json_link(struct json *j, const struct link_info *li,
	       const struct dev_info *di)
{
	char mode[MODE_LEN], buf[INET6_ADDRSTRLEN], status[STATUS_LEN];
	unsigned int i;

	json_obj_open(j, NULL);
	json_str(j, "ifname", li->ifname);
	json_u64(j, "ifindex", li->ifindex);
	json_str(j, "mode", link_mode(mode, sizeof(mode), li, di));
	json_str(j, "link", link_state(li->flags));
	if (HAS(li, IFLA_TEREDO_STATE)) {
		json_str(j, "state", state_name(buf, sizeof(buf), li->state));
		if (li->state != TEREDO_STATE_OFFLINE ||
		    !HAS(li, IFLA_TEREDO_REASON))
			json_null(j, "reason");
		else
			json_str(j, "reason",
				 reason_name(buf, sizeof(buf), li->reason));
		if (client_status(status, sizeof(status), li)[0])
			json_str(j, "status", status);
		else
			json_null(j, "status");
	}
	if (HAS(li, IFLA_TEREDO_NAT))
		json_str(j, "nat", nat_name(buf, sizeof(buf), li->nat));
	if (HAS(li, IFLA_TEREDO_PORTMAP))
		json_str(j, "portmap", portmap_name(buf, sizeof(buf),
						    li->portmap));
	if (HAS(li, IFLA_TEREDO_PORTMAP) && li->portmap &&
	    HAS(li, IFLA_TEREDO_PORTMAP_GATEWAY))
		json_str(j, "portmap-gateway", ipv4(buf, li->portmap_gw));
	if (HAS(li, IFLA_TEREDO_ADDRESS))
		json_str(j, "address", inet_ntop(AF_INET6, &li->address, buf,
						 sizeof(buf)));
	/* "mapped" and "bound" as the text shows them, IPv4:port. */
	if (HAS(li, IFLA_TEREDO_MAPPED) && HAS(li, IFLA_TEREDO_MAPPED_PORT))
		json_str(j, "mapped", fmt_mapped(buf, sizeof(buf), li->mapped,
						 li->mapped_port));
	if (HAS(li, IFLA_TEREDO_ALTERNATE) &&
	    HAS(li, IFLA_TEREDO_ALTERNATE_PORT))
		json_str(j, "alternate", fmt_mapped(buf, sizeof(buf),
						    li->alternate,
						    li->alternate_port));
	if (HAS(li, IFLA_TEREDO_NEXT_REFRESH))
		json_u64(j, "next-refresh", li->next_refresh);
	json_str(j, "local", ipv4(buf, li->local));
	if (HAS(li, IFLA_TEREDO_PORT))
		json_u64(j, "port", ntohs(li->port));
	if (HAS(li, IFLA_TEREDO_LOCAL2))
		json_str(j, "local2", ipv4(buf, li->local2));
	if (HAS(li, IFLA_TEREDO_BOUND) && HAS(li, IFLA_TEREDO_BOUND_PORT))
		json_str(j, "bound", fmt_mapped(buf, sizeof(buf), li->bound,
						li->bound_port));
	if (HAS(li, IFLA_TEREDO_SERVER))
		json_str(j, "server", ipv4(buf, li->server));
	if (HAS(li, IFLA_TEREDO_SERVER2))
		json_str(j, "server2", ipv4(buf, li->server2));
	if (HAS(li, IFLA_TEREDO_REFRESH))
		json_u64(j, "refresh", li->refresh);
	if (HAS(li, IFLA_TEREDO_MAX_PEERS))
		json_u64(j, "max-peers", li->max_peers);
	if (di && HAS(di, TEREDO_A_PEER_COUNT))
		json_u64(j, "peers", di->peer_count);
	if (di && HAS(di, TEREDO_A_HELD_BYTES))
		json_u64(j, "held", di->held_bytes);
	if (di && HAS(di, TEREDO_A_HOLD_LIMIT))
		json_u64(j, "hold-limit", di->hold_limit);
	if (di && HAS(di, TEREDO_A_STATS)) {
		/*
		 * Every known counter, zero or not, so that scripts find
		 * the same keys every time; unknown ones only when set.
		 */
		json_obj_open(j, "counters");
		for (i = 1; i < NSTATS; i++)
			if (i <= TEREDO_STAT_MAX || di->stats[i])
				json_u64(j, stat_name(buf, sizeof(buf), i),
					 di->stats[i]);
		json_obj_close(j);
	}
	json_obj_close(j);
}

/*
 * The kernel says where a peer is; should it leave that out, a Teredo
 * address still carries its mapping (RFC 4380 §4).
 */
static bool peer_mapping(const struct peer_info *pi, __be32 *addr,
			 __be16 *port)
{
	if (HAS(pi, TEREDO_PEER_A_MAPPED_ADDR) &&
	    HAS(pi, TEREDO_PEER_A_MAPPED_PORT)) {
		*addr = pi->mapped;
		*port = pi->port;
		return true;
	}
	if (teredo_addr_is_teredo(&pi->addr)) {
		*addr = teredo_addr_mapped(&pi->addr);
		*port = teredo_addr_port(&pi->addr);
		return true;
	}
	return false;
}

#define PEER_FMT "%-39s %-21s %-7s %7s %7s %7s %7s %10s %12s %10s %12s\n"

void print_peer_header(FILE *f)
{
	fprintf(f, PEER_FMT, "peer", "mapped", "trusted", "rx-age", "tx-age",
		"bubbles", "queued", "rx-pkts", "rx-bytes", "tx-pkts",
		"tx-bytes");
}

/* A counter as text, "-" when the kernel did not send it. */
static const char *num(char *buf, size_t size, const struct peer_info *pi,
		       int attr, uint64_t v)
{
	if (!HAS(pi, attr))
		return "-";
	snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

static const char *age(char *buf, size_t size, const struct peer_info *pi,
		       int attr, __u32 ms)
{
	return HAS(pi, attr) ? fmt_age(buf, size, ms) : "-";
}

void print_peer(FILE *f, const struct peer_info *pi)
{
	char addr[INET6_ADDRSTRLEN], mapped[MAPPED_LEN];
	char rx_age[AGE_LEN], tx_age[AGE_LEN], n[6][24];
	__be32 maddr;
	__be16 mport;

	inet_ntop(AF_INET6, &pi->addr, addr, sizeof(addr));
	fprintf(f, PEER_FMT, addr,
		peer_mapping(pi, &maddr, &mport) ?
			fmt_mapped(mapped, sizeof(mapped), maddr, mport) : "-",
		!HAS(pi, TEREDO_PEER_A_TRUSTED) ? "-" :
			pi->trusted ? "yes" : "no",
		age(rx_age, AGE_LEN, pi, TEREDO_PEER_A_LAST_RX, pi->last_rx),
		age(tx_age, AGE_LEN, pi, TEREDO_PEER_A_LAST_TX, pi->last_tx),
		num(n[0], 24, pi, TEREDO_PEER_A_BUBBLES, pi->bubbles),
		num(n[1], 24, pi, TEREDO_PEER_A_QUEUED_BYTES, pi->queued),
		num(n[2], 24, pi, TEREDO_PEER_A_RX_PACKETS, pi->rx_packets),
		num(n[3], 24, pi, TEREDO_PEER_A_RX_BYTES, pi->rx_bytes),
		num(n[4], 24, pi, TEREDO_PEER_A_TX_PACKETS, pi->tx_packets),
		num(n[5], 24, pi, TEREDO_PEER_A_TX_BYTES, pi->tx_bytes));
}

/* Absent values, and ages of events that never happened, are null. */
static void json_num(struct json *j, const char *key,
		     const struct peer_info *pi, int attr, uint64_t v)
{
	if (HAS(pi, attr))
		json_u64(j, key, v);
	else
		json_null(j, key);
}

/* Seconds, as the text column, to the millisecond. */
static void json_age(struct json *j, const char *key,
		     const struct peer_info *pi, int attr, __u32 ms)
{
	if (HAS(pi, attr) && ms != AGE_NEVER)
		json_ms(j, key, ms);
	else
		json_null(j, key);
}

/* The keys are the words of print_peer_header(). */
void json_peer(struct json *j, const struct peer_info *pi)
{
	char buf[INET6_ADDRSTRLEN];
	__be32 maddr;
	__be16 mport;

	json_obj_open(j, NULL);
	json_str(j, "peer", inet_ntop(AF_INET6, &pi->addr, buf, sizeof(buf)));
	if (peer_mapping(pi, &maddr, &mport))
		json_str(j, "mapped", fmt_mapped(buf, sizeof(buf), maddr,
						 mport));
	else
		json_null(j, "mapped");
	if (HAS(pi, TEREDO_PEER_A_TRUSTED))
		json_bool(j, "trusted", pi->trusted);
	else
		json_null(j, "trusted");
	json_age(j, "rx-age", pi, TEREDO_PEER_A_LAST_RX, pi->last_rx);
	json_age(j, "tx-age", pi, TEREDO_PEER_A_LAST_TX, pi->last_tx);
	json_num(j, "bubbles", pi, TEREDO_PEER_A_BUBBLES, pi->bubbles);
	json_num(j, "queued", pi, TEREDO_PEER_A_QUEUED_BYTES, pi->queued);
	json_num(j, "rx-pkts", pi, TEREDO_PEER_A_RX_PACKETS, pi->rx_packets);
	json_num(j, "rx-bytes", pi, TEREDO_PEER_A_RX_BYTES, pi->rx_bytes);
	json_num(j, "tx-pkts", pi, TEREDO_PEER_A_TX_PACKETS, pi->tx_packets);
	json_num(j, "tx-bytes", pi, TEREDO_PEER_A_TX_BYTES, pi->tx_bytes);
	/* Only in JSON, only when there is one (RFC 6081 §5.4). */
	if (HAS(pi, TEREDO_PEER_A_LOCAL_PORT))
		json_u64(j, "local-port", ntohs(pi->local_port));
	json_obj_close(j);
}

static const char * const event_names[] = {
	[TEREDO_EVENT_TRUSTED]		= "trusted",
	[TEREDO_EVENT_EVICTED]		= "evicted",
	[TEREDO_EVENT_UNREACHABLE]	= "unreachable",
};

static const char *event_name(char *buf, size_t size, __u8 event)
{
	return enum_name(buf, size, event_names, ARRAY_SIZE(event_names),
			 event);
}

/* The words of one event, as pairs; NULL values are left out. */
struct event_words {
	const char *key[8];
	const char *val[8];
	unsigned int n;
	char buf[5][INET6_ADDRSTRLEN + 8];
};

static void word(struct event_words *w, const char *key, const char *val)
{
	if (val && w->n < ARRAY_SIZE(w->key)) {
		w->key[w->n] = key;
		w->val[w->n++] = val;
	}
}

static void event_words(const struct event_info *ev, struct event_words *w)
{
	const struct peer_info *pi = &ev->peer;
	__be32 maddr;
	__be16 mport;

	w->n = 0;
	if (ev->cmd == TEREDO_CMD_PEER_NTF) {
		word(w, "peer", HAS(ev, TEREDO_A_PEER) &&
		     HAS(pi, TEREDO_PEER_A_ADDR) ?
		     inet_ntop(AF_INET6, &pi->addr, w->buf[0],
			       sizeof(w->buf[0])) : "-");
		word(w, "event", HAS(ev, TEREDO_A_EVENT) ?
		     event_name(w->buf[1], sizeof(w->buf[1]), ev->event) :
		     "-");
		if (HAS(ev, TEREDO_A_PEER) && peer_mapping(pi, &maddr, &mport))
			word(w, "mapped", fmt_mapped(w->buf[2],
						     sizeof(w->buf[2]),
						     maddr, mport));
		return;
	}
	if (HAS(ev, TEREDO_A_STATE))
		word(w, "state", state_name(w->buf[0], sizeof(w->buf[0]),
					    ev->state));
	/* A reason says why a client is offline, and only that. */
	if (HAS(ev, TEREDO_A_REASON) && HAS(ev, TEREDO_A_STATE) &&
	    ev->state == TEREDO_STATE_OFFLINE)
		word(w, "reason", reason_name(w->buf[1], sizeof(w->buf[1]),
					      ev->reason));
	if (HAS(ev, TEREDO_A_NAT))
		word(w, "nat", nat_name(w->buf[2], sizeof(w->buf[2]),
					ev->nat));
	if (HAS(ev, TEREDO_A_MAPPED) && HAS(ev, TEREDO_A_MAPPED_PORT))
		word(w, "mapped", fmt_mapped(w->buf[3], sizeof(w->buf[3]),
					     ev->mapped, ev->mapped_port));
	if (HAS(ev, TEREDO_A_ADDRESS))
		word(w, "address", inet_ntop(AF_INET6, &ev->address, w->buf[4],
					     sizeof(w->buf[4])));
}

void print_event(FILE *f, const struct event_info *ev)
{
	struct event_words w;
	unsigned int i;

	event_words(ev, &w);
	fprintf(f, "%s:", ev->ifname[0] ? ev->ifname : "?");
	for (i = 0; i < w.n; i++) {
		/* "peer ADDR trusted": the event word needs no key. */
		if (!strcmp(w.key[i], "event"))
			fprintf(f, " %s", w.val[i]);
		else
			fprintf(f, " %s %s", w.key[i], w.val[i]);
	}
	fputc('\n', f);
}

void json_event(struct json *j, const struct event_info *ev)
{
	struct event_words w;
	unsigned int i;

	event_words(ev, &w);
	json_obj_open(j, NULL);
	json_str(j, "ifname", ev->ifname);
	json_u64(j, "ifindex", ev->ifindex);
	if (ev->cmd == TEREDO_CMD_STATE_NTF)
		json_str(j, "event", "state");
	for (i = 0; i < w.n; i++)
		json_str(j, w.key[i], w.val[i]);
	json_obj_close(j);
}
