// SPDX-License-Identifier: GPL-2.0
/*
 * IFLA_TEREDO_* attributes: one parser for creation and change, the
 * defaults, and what the device reports back.  Every refusal names the
 * attribute by the keyword `ip link` uses for it.
 */

#include <linux/netlink.h>
#include <linux/stddef.h>
#include <net/netlink.h>

#include "config.h"
#include "proto.h"

#define BOUND_READ_ONLY	"bound: reported by the kernel, not set"

const struct nla_policy teredo_config_policy[IFLA_TEREDO_MAX + 1] = {
	[IFLA_TEREDO_MODE]	= { .type = NLA_U8 },
	[IFLA_TEREDO_SERVER]	= { .type = NLA_BE32 },
	[IFLA_TEREDO_SERVER2]	= { .type = NLA_BE32 },
	[IFLA_TEREDO_LOCAL]	= { .type = NLA_BE32 },
	[IFLA_TEREDO_LOCAL2]	= { .type = NLA_BE32 },
	[IFLA_TEREDO_PORT]	= { .type = NLA_BE16 },
	[IFLA_TEREDO_REFRESH]	= { .type = NLA_U32 },
	[IFLA_TEREDO_MAX_PEERS]	= { .type = NLA_U32 },
	[IFLA_TEREDO_TTL]	= { .type = NLA_U8 },
	[IFLA_TEREDO_FD]	= { .type = NLA_S32 },
	[IFLA_TEREDO_STATE]	= { .type = NLA_U8 },
	[IFLA_TEREDO_REASON]	= { .type = NLA_U8 },
	[IFLA_TEREDO_NAT]	= { .type = NLA_U8 },
	[IFLA_TEREDO_MAPPED]	= { .type = NLA_BE32 },
	[IFLA_TEREDO_MAPPED_PORT] = { .type = NLA_BE16 },
	[IFLA_TEREDO_ADDRESS]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[IFLA_TEREDO_NEXT_REFRESH] = { .type = NLA_U32 },
	/* The socket in use (status.c): reported, never set. */
	[IFLA_TEREDO_BOUND]	= { .type = NLA_REJECT,
				    .reject_message = BOUND_READ_ONLY },
	[IFLA_TEREDO_BOUND_PORT] = { .type = NLA_REJECT,
				     .reject_message = BOUND_READ_ONLY },
	[IFLA_TEREDO_HOLD_LIMIT] = { .type = NLA_U32 },
	[IFLA_TEREDO_PORTMAP]	= NLA_POLICY_MAX(NLA_U8, TEREDO_PORTMAP_MAX),
	[IFLA_TEREDO_PORTMAP_GATEWAY] = { .type = NLA_BE32 },
	[IFLA_TEREDO_DISCOVERY_FD] = { .type = NLA_S32 },
	[IFLA_TEREDO_ALTERNATE]	= { .type = NLA_BE32 },
	[IFLA_TEREDO_ALTERNATE_PORT] = { .type = NLA_BE16 },
};

#define MODE_BIT(m)	BIT(TEREDO_MODE_##m)
#define ALL_MODES	(MODE_BIT(CLIENT) | MODE_BIT(RELAY) | MODE_BIT(SERVER))

/* The modes an attribute means something in, and what to say otherwise. */
static const struct {
	unsigned int modes;
	const char *not_used[TEREDO_MODE_MAX + 1];
} usage[IFLA_TEREDO_MAX + 1] = {
	[IFLA_TEREDO_MODE]	= { ALL_MODES },
	[IFLA_TEREDO_SERVER]	= { MODE_BIT(CLIENT), {
		[TEREDO_MODE_RELAY] = "server: not used in relay mode",
		[TEREDO_MODE_SERVER] = "server: not used in server mode" } },
	[IFLA_TEREDO_SERVER2]	= { MODE_BIT(CLIENT), {
		[TEREDO_MODE_RELAY] = "server2: not used in relay mode",
		[TEREDO_MODE_SERVER] = "server2: not used in server mode" } },
	[IFLA_TEREDO_LOCAL]	= { ALL_MODES },
	[IFLA_TEREDO_LOCAL2]	= { MODE_BIT(SERVER), {
		[TEREDO_MODE_CLIENT] = "local2: not used in client mode",
		[TEREDO_MODE_RELAY] = "local2: not used in relay mode" } },
	[IFLA_TEREDO_PORT]	= { ALL_MODES },
	[IFLA_TEREDO_REFRESH]	= { MODE_BIT(CLIENT), {
		[TEREDO_MODE_RELAY] = "refresh: not used in relay mode",
		[TEREDO_MODE_SERVER] = "refresh: not used in server mode" } },
	[IFLA_TEREDO_MAX_PEERS]	= { ALL_MODES },
	[IFLA_TEREDO_TTL]	= { ALL_MODES },
	[IFLA_TEREDO_HOLD_LIMIT] = { MODE_BIT(CLIENT) | MODE_BIT(RELAY), {
		[TEREDO_MODE_SERVER] =
			"hold-limit: not used in server mode" } },
	[IFLA_TEREDO_FD]	= { MODE_BIT(CLIENT), {
		[TEREDO_MODE_RELAY] = "fd: a relay binds its own socket",
		[TEREDO_MODE_SERVER] = "fd: a server binds its own sockets" } },
#define HELPER_ONLY(relay, server) { MODE_BIT(CLIENT), {	\
		[TEREDO_MODE_RELAY] = relay,			\
		[TEREDO_MODE_SERVER] = server } }
	[IFLA_TEREDO_STATE] =
		HELPER_ONLY("state: not used in relay mode",
			    "state: not used in server mode"),
	[IFLA_TEREDO_REASON] =
		HELPER_ONLY("reason: not used in relay mode",
			    "reason: not used in server mode"),
	[IFLA_TEREDO_NAT] =
		HELPER_ONLY("nat: not used in relay mode",
			    "nat: not used in server mode"),
	[IFLA_TEREDO_MAPPED] =
		HELPER_ONLY("mapped: not used in relay mode",
			    "mapped: not used in server mode"),
	[IFLA_TEREDO_MAPPED_PORT] =
		HELPER_ONLY("mapped-port: not used in relay mode",
			    "mapped-port: not used in server mode"),
	[IFLA_TEREDO_ADDRESS] =
		HELPER_ONLY("address: not used in relay mode",
			    "address: not used in server mode"),
	[IFLA_TEREDO_NEXT_REFRESH] =
		HELPER_ONLY("next-refresh: not used in relay mode",
			    "next-refresh: not used in server mode"),
	[IFLA_TEREDO_PORTMAP] =
		HELPER_ONLY("portmap: not used in relay mode",
			    "portmap: not used in server mode"),
	[IFLA_TEREDO_PORTMAP_GATEWAY] =
		HELPER_ONLY("portmap-gateway: not used in relay mode",
			    "portmap-gateway: not used in server mode"),
	[IFLA_TEREDO_DISCOVERY_FD] =
		HELPER_ONLY("discovery-fd: not used in relay mode",
			    "discovery-fd: not used in server mode"),
	[IFLA_TEREDO_ALTERNATE] =
		HELPER_ONLY("alternate: not used in relay mode",
			    "alternate: not used in server mode"),
	[IFLA_TEREDO_ALTERNATE_PORT] =
		HELPER_ONLY("alternate-port: not used in relay mode",
			    "alternate-port: not used in server mode"),
#undef HELPER_ONLY
};

/* What teredod pushes into an existing client; parsed by client.c. */
static const struct {
	int type;
	const char *at_creation;
} helper_attrs[] = {
	{ IFLA_TEREDO_FD, "fd: teredod attaches it to an existing device" },
	{ IFLA_TEREDO_STATE, "state: set by teredod, not at creation" },
	{ IFLA_TEREDO_REASON, "reason: set by teredod, not at creation" },
	{ IFLA_TEREDO_NAT, "nat: set by teredod, not at creation" },
	{ IFLA_TEREDO_MAPPED, "mapped: set by teredod, not at creation" },
	{ IFLA_TEREDO_MAPPED_PORT,
	  "mapped-port: set by teredod, not at creation" },
	{ IFLA_TEREDO_ADDRESS, "address: set by teredod, not at creation" },
	{ IFLA_TEREDO_NEXT_REFRESH,
	  "next-refresh: set by teredod, not at creation" },
	{ IFLA_TEREDO_PORTMAP, "portmap: set by teredod, not at creation" },
	{ IFLA_TEREDO_PORTMAP_GATEWAY,
	  "portmap-gateway: set by teredod, not at creation" },
	{ IFLA_TEREDO_DISCOVERY_FD,
	  "discovery-fd: teredod attaches it to an existing device" },
	{ IFLA_TEREDO_ALTERNATE,
	  "alternate: set by teredod, not at creation" },
	{ IFLA_TEREDO_ALTERNATE_PORT,
	  "alternate-port: set by teredod, not at creation" },
};

/* The IPv4 address attributes; all but a client's server are immutable. */
static const struct {
	int type;
	size_t offset;
	const char *not_unicast;
	const char *immutable;
} addrs[] = {
	/* A client's server may change (device.c says when). */
	{ IFLA_TEREDO_SERVER, offsetof(struct teredo_config, server),
	  "server: must be a unicast IPv4 address", NULL },
	{ IFLA_TEREDO_SERVER2, offsetof(struct teredo_config, server2),
	  "server2: must be a unicast IPv4 address", NULL },
	{ IFLA_TEREDO_LOCAL, offsetof(struct teredo_config, local),
	  "local: must be a unicast IPv4 address",
	  "local: cannot be changed" },
	{ IFLA_TEREDO_LOCAL2, offsetof(struct teredo_config, local2),
	  "local2: must be a unicast IPv4 address",
	  "local2: cannot be changed" },
};

/**
 * teredo_reject - refuse a request, saying why and where
 * @extack: the request's extack, may be NULL
 * @attr: the attribute at fault, NULL when one is missing
 * @msg: the reason; a string literal, as it must outlive the request
 *
 * NL_SET_ERR_MSG_ATTR() wants the literal itself; ours are often chosen
 * from a table, so the fields are set directly.
 *
 * Return: -EINVAL.
 */
int teredo_reject(struct netlink_ext_ack *extack, const struct nlattr *attr,
		  const char *msg)
{
	if (extack) {
		extack->_msg = msg;
		extack->bad_attr = attr;
	}
	return -EINVAL;
}

static __be32 *addr_field(struct teredo_config *cfg, size_t offset)
{
	return (__be32 *)((u8 *)cfg + offset);
}

static __be32 addr_value(const struct teredo_config *cfg, size_t offset)
{
	return *(const __be32 *)((const u8 *)cfg + offset);
}

/* The secondary address of a server defaults to the primary plus one. */
static __be32 next_addr(__be32 addr)
{
	return htonl(ntohl(addr) + 1);
}

static int parse_mode(struct teredo_config *cfg, struct nlattr *data[],
		      const struct teredo_config *old,
		      struct netlink_ext_ack *extack)
{
	struct nlattr *attr = data[IFLA_TEREDO_MODE];
	u8 mode;

	if (!attr)
		return 0;
	mode = nla_get_u8(attr);
	if (mode > TEREDO_MODE_MAX)
		return teredo_reject(extack, attr, "mode: unknown mode");
	if (old && mode != old->mode)
		return teredo_reject(extack, attr, "mode: cannot be changed");
	cfg->mode = mode;
	return 0;
}

static int check_usage(const struct teredo_config *cfg, struct nlattr *data[],
		       struct netlink_ext_ack *extack)
{
	int type;

	for (type = 1; type <= IFLA_TEREDO_MAX; type++) {
		if (data[type] && !(usage[type].modes & BIT(cfg->mode)))
			return teredo_reject(extack, data[type],
					     usage[type].not_used[cfg->mode]);
	}
	return 0;
}

static int check_helper_attrs(struct nlattr *data[],
			      struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(helper_attrs); i++) {
		if (data[helper_attrs[i].type])
			return teredo_reject(extack, data[helper_attrs[i].type],
					     helper_attrs[i].at_creation);
	}
	return 0;
}

static int parse_addrs(struct teredo_config *cfg, struct nlattr *data[],
		       const struct teredo_config *old,
		       struct netlink_ext_ack *extack)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(addrs); i++) {
		struct nlattr *attr = data[addrs[i].type];
		__be32 addr;

		if (!attr)
			continue;
		addr = nla_get_in_addr(attr);
		/* A client or relay may bind any address (0.0.0.0). */
		if (!teredo_ipv4_is_unicast(addr) &&
		    !(addrs[i].type == IFLA_TEREDO_LOCAL && !addr &&
		      cfg->mode != TEREDO_MODE_SERVER))
			return teredo_reject(extack, attr,
					     addrs[i].not_unicast);
		if (old && addrs[i].immutable &&
		    addr != addr_value(old, addrs[i].offset))
			return teredo_reject(extack, attr, addrs[i].immutable);
		*addr_field(cfg, addrs[i].offset) = addr;
	}
	return 0;
}

static int parse_numbers(struct teredo_config *cfg, struct nlattr *data[],
			 const struct teredo_config *old,
			 struct netlink_ext_ack *extack)
{
	struct nlattr *attr;
	u32 val;

	attr = data[IFLA_TEREDO_PORT];
	if (attr) {
		__be16 port = nla_get_be16(attr);

		if (old && port != old->port)
			return teredo_reject(extack, attr,
					     "port: cannot be changed");
		if (cfg->mode == TEREDO_MODE_SERVER &&
		    port != htons(TEREDO_PORT))
			return teredo_reject(extack, attr,
					     "port: a server listens on 3544");
		cfg->port = port;
	}

	attr = data[IFLA_TEREDO_REFRESH];
	if (attr) {
		val = nla_get_u32(attr);
		if (val < TEREDO_REFRESH_MIN || val > TEREDO_REFRESH_MAX)
			return teredo_reject(extack, attr,
					     "refresh: out of range (10-300)");
		cfg->refresh = val;
	}

	attr = data[IFLA_TEREDO_MAX_PEERS];
	if (attr) {
		val = nla_get_u32(attr);
		if (val < TEREDO_MAX_PEERS_MIN || val > TEREDO_MAX_PEERS_MAX)
			return teredo_reject(extack, attr,
					     "max-peers: out of range (1-1048576)");
		cfg->max_peers = val;
	}

	attr = data[IFLA_TEREDO_TTL];
	if (attr)
		cfg->ttl = nla_get_u8(attr);

	attr = data[IFLA_TEREDO_HOLD_LIMIT];
	if (attr) {
		val = nla_get_u32(attr);
		if (val > TEREDO_HOLD_LIMIT_MAX)
			return teredo_reject(extack, attr,
					     "hold-limit: out of range (0-1073741824)");
		cfg->hold_limit = val;
	}
	return 0;
}

/*
 * Change only: a client's new server brings its own secondary address
 * (server + 1) unless the request names one.
 */
static int change_server(struct teredo_config *cfg, struct nlattr *data[],
			 const struct teredo_config *old,
			 struct netlink_ext_ack *extack)
{
	if (cfg->mode != TEREDO_MODE_CLIENT)
		return 0;
	if (!data[IFLA_TEREDO_SERVER2] && cfg->server != old->server)
		cfg->server2 = next_addr(cfg->server);
	if (cfg->server2 == cfg->server)
		return teredo_reject(extack, data[IFLA_TEREDO_SERVER2] ?:
				     data[IFLA_TEREDO_SERVER],
				     "server2: must differ from server");
	if (!teredo_ipv4_is_unicast(cfg->server2))
		return teredo_reject(extack, data[IFLA_TEREDO_SERVER],
				     "server2: must be a unicast IPv4 address");
	return 0;
}

/* Creation only: required attributes and the defaults that follow them. */
static int apply_defaults(struct teredo_config *cfg, struct nlattr *data[],
			  struct netlink_ext_ack *extack)
{
	switch (cfg->mode) {
	case TEREDO_MODE_CLIENT:
		if (!cfg->server)
			return teredo_reject(extack, NULL,
					     "server: required in client mode");
		if (!data[IFLA_TEREDO_SERVER2])
			cfg->server2 = next_addr(cfg->server);
		if (cfg->server2 == cfg->server)
			return teredo_reject(extack, data[IFLA_TEREDO_SERVER2],
					     "server2: must differ from server");
		if (!teredo_ipv4_is_unicast(cfg->server2))
			return teredo_reject(extack, data[IFLA_TEREDO_SERVER],
					     "server2: must be a unicast IPv4 address");
		break;
	case TEREDO_MODE_RELAY:
		if (!data[IFLA_TEREDO_PORT])
			cfg->port = htons(TEREDO_PORT);
		break;
	case TEREDO_MODE_SERVER:
		if (!cfg->local)
			return teredo_reject(extack, NULL,
					     "local: required in server mode");
		if (!data[IFLA_TEREDO_LOCAL2])
			cfg->local2 = next_addr(cfg->local);
		/* A server's state is one rate-limit entry per RS source. */
		if (!data[IFLA_TEREDO_MAX_PEERS])
			cfg->max_peers = TEREDO_SERVER_SOURCES_DEFAULT;
		if (cfg->local2 == cfg->local)
			return teredo_reject(extack, data[IFLA_TEREDO_LOCAL2],
					     "local2: must differ from local");
		if (!teredo_ipv4_is_unicast(cfg->local2))
			return teredo_reject(extack, data[IFLA_TEREDO_LOCAL],
					     "local2: must be a unicast IPv4 address");
		cfg->port = htons(TEREDO_PORT);
		break;
	}
	return 0;
}

/**
 * teredo_config_parse - turn IFLA_INFO_DATA into a complete configuration
 * @cfg: result, written only on success
 * @data: the attributes, already checked against teredo_config_policy
 * @old: the current configuration when changing a device, NULL to create
 * @extack: where refusals are explained
 *
 * On change, absent attributes keep their value and immutable ones may
 * be repeated with their current value, so a pasted `ip -d link show`
 * line is accepted.
 *
 * Return: 0 or -EINVAL with an extack message naming the attribute.
 */
int teredo_config_parse(struct teredo_config *cfg, struct nlattr *data[],
			const struct teredo_config *old,
			struct netlink_ext_ack *extack)
{
	static struct nlattr *none[IFLA_TEREDO_MAX + 1];
	struct teredo_config new;
	int err;

	if (!data)
		data = none;
	if (old) {
		new = *old;
	} else {
		new = (struct teredo_config) {
			.mode = TEREDO_MODE_CLIENT,
			.refresh = TEREDO_REFRESH_DEFAULT,
			.max_peers = TEREDO_MAX_PEERS_DEFAULT,
			.hold_limit = TEREDO_HOLD_LIMIT_DEFAULT,
		};
	}

	err = parse_mode(&new, data, old, extack);
	if (!err)
		err = check_usage(&new, data, extack);
	if (!err && !old)
		err = check_helper_attrs(data, extack);
	if (!err)
		err = parse_addrs(&new, data, old, extack);
	if (!err)
		err = parse_numbers(&new, data, old, extack);
	if (!err && old)
		err = change_server(&new, data, old, extack);
	if (!err && !old)
		err = apply_defaults(&new, data, extack);
	if (err)
		return err;
	*cfg = new;
	return 0;
}

size_t teredo_config_size(void)
{
	return nla_total_size(sizeof(u8)) +		/* MODE */
	       4 * nla_total_size(sizeof(__be32)) +	/* SERVER*, LOCAL* */
	       nla_total_size(sizeof(__be16)) +		/* PORT */
	       /* REFRESH, MAX_PEERS, HOLD_LIMIT */
	       3 * nla_total_size(sizeof(u32)) +
	       nla_total_size(sizeof(u8));		/* TTL */
}

/* Report what is in effect, so the output pastes back into `ip link`. */
int teredo_config_fill(struct sk_buff *skb, const struct teredo_config *cfg)
{
	bool client = cfg->mode == TEREDO_MODE_CLIENT;
	bool server = cfg->mode == TEREDO_MODE_SERVER;

	if (nla_put_u8(skb, IFLA_TEREDO_MODE, cfg->mode) ||
	    (client && nla_put_in_addr(skb, IFLA_TEREDO_SERVER, cfg->server)) ||
	    (client && nla_put_in_addr(skb, IFLA_TEREDO_SERVER2,
				       cfg->server2)) ||
	    (cfg->local && nla_put_in_addr(skb, IFLA_TEREDO_LOCAL,
					   cfg->local)) ||
	    (server && nla_put_in_addr(skb, IFLA_TEREDO_LOCAL2, cfg->local2)) ||
	    nla_put_be16(skb, IFLA_TEREDO_PORT, cfg->port) ||
	    (client && nla_put_u32(skb, IFLA_TEREDO_REFRESH, cfg->refresh)) ||
	    nla_put_u32(skb, IFLA_TEREDO_MAX_PEERS, cfg->max_peers) ||
	    (!server && nla_put_u32(skb, IFLA_TEREDO_HOLD_LIMIT,
				    cfg->hold_limit)) ||
	    nla_put_u8(skb, IFLA_TEREDO_TTL, cfg->ttl))
		return -EMSGSIZE;
	return 0;
}
