// SPDX-License-Identifier: GPL-2.0
/*
 * link_teredo.so - iproute2 `ip link` plugin for the "teredo" link kind.
 *
 * `ip` dlopen()s "$IP_LIB_DIR/link_teredo.so" and looks up the symbol
 * teredo_link_util.  parse_opt() turns the words after "type teredo" into
 * IFLA_TEREDO_* attributes (uapi/linux/if_teredo.h); print_opt() prints
 * them back for `ip -d link show` with the same words, so the text output
 * pastes back into `ip link add` and the JSON keys match the keywords.
 *
 * After the configuration it prints the running state with the words of
 * `teredoctl show`: state, reason (when offline), nat, mapped
 * IPv4:port, address, and bound IPv4:port (the socket in use).  These
 * are reported, never set: parse_opt() skips them with their value, so
 * the whole line still pastes back.
 *
 * Only syntax is checked here.  Ranges and mode/attribute combinations
 * are the kernel's business: it answers with extack messages, and doing
 * it twice would let the two drift apart.
 */
#include <errno.h>
#include <netdb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/if_teredo.h>

#include "ip_plugin.h"

/* struct iplink_req in `ip` has a 1024-byte buffer for the attributes. */
#define TEREDO_MAXLEN	1024

enum teredo_kw_type {
	KW_MODE,	/* u8, one of teredo_modes[] */
	KW_HOST,	/* __be32, dotted quad or a name to resolve */
	KW_ADDR,	/* __be32, dotted quad only */
	KW_PORT,	/* __be16 */
	KW_U32,		/* u32, host order */
	KW_U8,		/* u8 */
};

/* Attribute payload sizes, so print_opt never reads past a short one. */
static const unsigned int teredo_kw_size[] = {
	[KW_MODE] = 1, [KW_HOST] = 4, [KW_ADDR] = 4,
	[KW_PORT] = 2, [KW_U32] = 4, [KW_U8] = 1,
};

struct teredo_kw {
	const char		*name;	/* keyword and JSON key */
	int			attr;
	enum teredo_kw_type	type;
};

/* In the order print_opt prints them. */
static const struct teredo_kw teredo_kws[] = {
	{ "mode",	IFLA_TEREDO_MODE,	KW_MODE },
	{ "server",	IFLA_TEREDO_SERVER,	KW_HOST },
	{ "server2",	IFLA_TEREDO_SERVER2,	KW_HOST },
	{ "local",	IFLA_TEREDO_LOCAL,	KW_ADDR },
	{ "local2",	IFLA_TEREDO_LOCAL2,	KW_ADDR },
	{ "port",	IFLA_TEREDO_PORT,	KW_PORT },
	{ "refresh",	IFLA_TEREDO_REFRESH,	KW_U32 },
	{ "max-peers",	IFLA_TEREDO_MAX_PEERS,	KW_U32 },
	{ "ttl",	IFLA_TEREDO_TTL,	KW_U8 },
	{ "hold-limit",	IFLA_TEREDO_HOLD_LIMIT,	KW_U32 },
};

#define TEREDO_NKWS	(sizeof(teredo_kws) / sizeof(teredo_kws[0]))

static const char * const teredo_modes[] = {
	[TEREDO_MODE_CLIENT]	= "client",
	[TEREDO_MODE_RELAY]	= "relay",
	[TEREDO_MODE_SERVER]	= "server",
};

static const char * const teredo_states[] = {
	[TEREDO_STATE_OFFLINE]		= "offline",
	[TEREDO_STATE_QUALIFYING]	= "qualifying",
	[TEREDO_STATE_QUALIFIED]	= "qualified",
	[TEREDO_STATE_DORMANT]		= "dormant",
};

static const char * const teredo_reasons[] = {
	[TEREDO_REASON_NONE]		= "none",
	[TEREDO_REASON_NO_HELPER]	= "no-helper",
	[TEREDO_REASON_NO_SERVER]	= "no-server",
	[TEREDO_REASON_SYMMETRIC_NAT]	= "symmetric-nat",
	[TEREDO_REASON_NO_ROUTE]	= "no-route",
	[TEREDO_REASON_NATIVE_IPV6]	= "native-ipv6",
};

static const char * const teredo_nats[] = {
	[TEREDO_NAT_UNKNOWN]		= "unknown",
	[TEREDO_NAT_NONE]		= "none",
	[TEREDO_NAT_RESTRICTED]		= "restricted",
	[TEREDO_NAT_SYMMETRIC]		= "symmetric",
	/* Two words: pasted back, "(...)" is skipped with the value. */
	[TEREDO_NAT_SYMMETRIC_PORT_PRESERVING] = "symmetric (port-preserving)",
	[TEREDO_NAT_SYMMETRIC_SEQUENTIAL] = "symmetric (sequential)",
};

static const char * const teredo_portmaps[] = {
	[TEREDO_PORTMAP_NONE]		= "none",
	[TEREDO_PORTMAP_UPNP]		= "upnp",
	[TEREDO_PORTMAP_NATPMP]		= "natpmp",
	[TEREDO_PORTMAP_PCP]		= "pcp",
};

/* The running state: printed, and skipped when pasted back. */
static const char * const teredo_runtime_words[] = {
	"state", "reason", "nat", "mapped", "address", "bound", "portmap",
	"portmap-gateway", "alternate",
};

#define TEREDO_NRUNTIME \
	(sizeof(teredo_runtime_words) / sizeof(teredo_runtime_words[0]))

static int teredo_runtime_word(const char *w)
{
	size_t i;

	for (i = 0; i < TEREDO_NRUNTIME; i++)
		if (!strcmp(w, teredo_runtime_words[i]))
			return 1;
	return 0;
}

static void teredo_print_help(struct link_util *lu, int argc, char **argv,
			      FILE *f)
{
	(void)lu;
	(void)argc;
	(void)argv;
	fprintf(f,
		"Usage: ip link add NAME type teredo [ mode client ] server ADDR [ server2 ADDR ] [ local ADDR ] [ port PORT ] [ refresh SECONDS ] [ max-peers N ] [ ttl TTL ] [ hold-limit BYTES ]\n"
		"       ip link add NAME type teredo mode relay [ local ADDR ] [ port PORT ] [ max-peers N ] [ ttl TTL ] [ hold-limit BYTES ]\n"
		"       ip link add NAME type teredo mode server local ADDR [ local2 ADDR ] [ max-peers N ] [ ttl TTL ]\n"
		"       ip link set NAME type teredo [ refresh SECONDS ] [ max-peers N ] [ ttl TTL ] [ hold-limit BYTES ]\n"
		"       ip link set NAME type teredo server ADDR [ server2 ADDR ]   (a client that is not qualified)\n"
		"\n"
		"Where: ADDR    := IPv4 address (server, server2: or a name)\n"
		"       PORT    := UDP port 0-65535, 0 = ephemeral\n"
		"       SECONDS := refresh interval %u-%u (default %u)\n"
		"       N       := peer table size %u-%u (default %u),\n"
		"                  a server's RS sources (default %u)\n"
		"       TTL     := outer IPv4 TTL 1-255, 0 = the route's (default)\n"
		"       BYTES   := truesize of packets held for untrusted peers,\n"
		"                  all together, 0-%u (default %u)\n"
		"ip -d link show also prints the running state: state, reason, nat,\n"
		"mapped, address, bound, alternate; they are skipped when pasted back.\n",
		TEREDO_REFRESH_MIN, TEREDO_REFRESH_MAX, TEREDO_REFRESH_DEFAULT,
		TEREDO_MAX_PEERS_MIN, TEREDO_MAX_PEERS_MAX,
		TEREDO_MAX_PEERS_DEFAULT, TEREDO_SERVER_SOURCES_DEFAULT,
		TEREDO_HOLD_LIMIT_MAX,
		TEREDO_HOLD_LIMIT_DEFAULT);
}

static int teredo_bad(const struct teredo_kw *kw, const char *val,
		      const char *why)
{
	fprintf(stderr, "Error: teredo: invalid %s \"%s\": %s\n",
		kw->name, val, why);
	return -1;
}

/* Decimal only: strtoul() alone would take "-1", " 1" and "0x10". */
static int teredo_get_uint(const char *s, unsigned long max, __u32 *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int teredo_get_addr(const struct teredo_kw *kw, const char *s,
			   __be32 *out)
{
	struct addrinfo hints = {
		.ai_family = AF_INET,
		.ai_socktype = SOCK_DGRAM,
	};
	struct addrinfo *res;
	struct in_addr a;
	int err;

	if (inet_pton(AF_INET, s, &a) == 1) {
		*out = a.s_addr;
		return 0;
	}
	/*
	 * A host name never consists of digits and dots only, so do not
	 * send a mistyped address such as 999.1.1.1 to the resolver.
	 */
	if (kw->type != KW_HOST || strspn(s, "0123456789.") == strlen(s))
		return teredo_bad(kw, s, "not an IPv4 address");

	err = getaddrinfo(s, NULL, &hints, &res);
	if (err) {
		fprintf(stderr, "Error: teredo: cannot resolve %s \"%s\": %s\n",
			kw->name, s, gai_strerror(err));
		return -1;
	}
	/* The first answer, as any resolver user would pick. */
	*out = ((struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr;
	freeaddrinfo(res);
	return 0;
}

static int teredo_parse_value(struct nlmsghdr *n, const struct teredo_kw *kw,
			      const char *val)
{
	__be32 addr;
	__u32 v;
	size_t i;

	switch (kw->type) {
	case KW_MODE:
		for (i = 0; i < sizeof(teredo_modes) / sizeof(*teredo_modes);
		     i++)
			if (!strcmp(val, teredo_modes[i]))
				return addattr8(n, TEREDO_MAXLEN, kw->attr, i);
		return teredo_bad(kw, val,
				  "expected client, relay or server");
	case KW_HOST:
	case KW_ADDR:
		if (teredo_get_addr(kw, val, &addr))
			return -1;
		return addattr_l(n, TEREDO_MAXLEN, kw->attr, &addr,
				 sizeof(addr));
	case KW_PORT:
		if (teredo_get_uint(val, 65535, &v))
			return teredo_bad(kw, val, "expected 0-65535");
		return addattr16(n, TEREDO_MAXLEN, kw->attr, htons(v));
	case KW_U32:
		if (teredo_get_uint(val, UINT32_MAX, &v))
			return teredo_bad(kw, val,
					  "expected an unsigned 32-bit number");
		return addattr32(n, TEREDO_MAXLEN, kw->attr, v);
	case KW_U8:
		if (teredo_get_uint(val, 255, &v))
			return teredo_bad(kw, val, "expected 0-255");
		return addattr8(n, TEREDO_MAXLEN, kw->attr, v);
	}
	return -1;
}

static int teredo_parse_opt(struct link_util *lu, int argc, char **argv,
			    struct nlmsghdr *n)
{
	unsigned int seen = 0;

	for (; argc > 0; argc--, argv++) {
		const struct teredo_kw *kw = NULL;
		size_t i;

		if (!strcmp(*argv, "help")) {
			teredo_print_help(lu, argc, argv, stderr);
			return -1;
		}
		/* Exact words: "serv" would be ambiguous with server2. */
		for (i = 0; i < TEREDO_NKWS; i++)
			if (!strcmp(*argv, teredo_kws[i].name))
				kw = &teredo_kws[i];
		if (!kw && teredo_runtime_word(*argv)) {
			/* Reported state, pasted back from ip -d: skip. */
			if (argc < 2) {
				fprintf(stderr,
					"Error: teredo: \"%s\" needs a value\n",
					*argv);
				return -1;
			}
			argc--;
			argv++;
			/* "nat symmetric (sequential)": one value, two words. */
			if (argc > 1 && argv[1][0] == '(') {
				argc--;
				argv++;
			}
			continue;
		}
		if (!kw) {
			fprintf(stderr,
				"Error: teredo: unknown keyword \"%s\", try \"ip link help teredo\"\n",
				*argv);
			return -1;
		}
		if (seen & (1u << kw->attr)) {
			fprintf(stderr, "Error: teredo: duplicate \"%s\"\n",
				kw->name);
			return -1;
		}
		seen |= 1u << kw->attr;
		if (argc < 2) {
			fprintf(stderr, "Error: teredo: \"%s\" needs a value\n",
				kw->name);
			return -1;
		}
		argc--;
		argv++;
		if (teredo_parse_value(n, kw, *argv))
			return -1;
	}
	return 0;
}

static void teredo_print_runtime(struct rtattr *tb[]);

static void teredo_print_opt(struct link_util *lu, FILE *f,
			     struct rtattr *tb[])
{
	char fmt[32], buf[INET_ADDRSTRLEN];
	size_t i;

	(void)lu;
	(void)f;	/* print_color_*() know where the output goes */
	if (!tb)
		return;

	for (i = 0; i < TEREDO_NKWS; i++) {
		const struct teredo_kw *kw = &teredo_kws[i];
		struct rtattr *rta = tb[kw->attr];
		__u32 v32 = 0;
		__u16 v16;
		__u8 v8;

		if (!rta || RTA_PAYLOAD(rta) < teredo_kw_size[kw->type])
			continue;

		switch (kw->type) {
		case KW_MODE:
			memcpy(&v8, RTA_DATA(rta), sizeof(v8));
			if (v8 <= TEREDO_MODE_MAX) {
				snprintf(fmt, sizeof(fmt), "%s %%s ", kw->name);
				print_color_string(PRINT_ANY, COLOR_NONE,
						   kw->name, fmt,
						   teredo_modes[v8]);
				continue;
			}
			/* A mode newer than this plugin: show the number. */
			v32 = v8;
			break;
		case KW_HOST:
		case KW_ADDR:
			snprintf(fmt, sizeof(fmt), "%s %%s ", kw->name);
			print_color_string(PRINT_ANY, COLOR_NONE, kw->name, fmt,
					   inet_ntop(AF_INET, RTA_DATA(rta),
						     buf, sizeof(buf)));
			continue;
		case KW_PORT:
			memcpy(&v16, RTA_DATA(rta), sizeof(v16));
			v32 = ntohs(v16);
			break;
		case KW_U32:
			memcpy(&v32, RTA_DATA(rta), sizeof(v32));
			break;
		case KW_U8:
			v32 = *(const __u8 *)RTA_DATA(rta);
			break;
		}
		snprintf(fmt, sizeof(fmt), "%s %%u ", kw->name);
		print_color_uint(PRINT_ANY, COLOR_NONE, kw->name, fmt, v32);
	}
	teredo_print_runtime(tb);
}

/* "keyword value " as text, "keyword": "value" in JSON. */
static void teredo_print_word(const char *key, const char *val)
{
	char fmt[32];

	snprintf(fmt, sizeof(fmt), "%s %%s ", key);
	print_color_string(PRINT_ANY, COLOR_NONE, key, fmt, val);
}

static const char *teredo_enum(char *buf, size_t size,
			       const char * const *names, size_t n,
			       const struct rtattr *rta)
{
	__u8 v = *(const __u8 *)RTA_DATA(rta);

	if (v < n && names[v])
		return names[v];
	snprintf(buf, size, "%u", v);	/* newer than this plugin */
	return buf;
}

static int teredo_has(struct rtattr *tb[], int attr, size_t size)
{
	return tb[attr] && RTA_PAYLOAD(tb[attr]) >= size;
}

/* IPv4:port of two attributes, as teredoctl prints it. */
static const char *teredo_endpoint(char *buf, size_t size,
				   const struct rtattr *addr,
				   const struct rtattr *port)
{
	char ip[INET_ADDRSTRLEN];
	__u16 p;

	memcpy(&p, RTA_DATA(port), sizeof(p));
	inet_ntop(AF_INET, RTA_DATA(addr), ip, sizeof(ip));
	snprintf(buf, size, "%s:%u", ip, ntohs(p));
	return buf;
}

#define TEREDO_NAMES(a)	(a), (sizeof(a) / sizeof((a)[0]))

/* "KEY NAME" for the u8 enum of TB[ATTR], when it is there. */
static void teredo_print_enum(struct rtattr *tb[], int attr, const char *key,
			      const char * const *names, size_t n)
{
	char buf[16];

	if (teredo_has(tb, attr, 1))
		teredo_print_word(key, teredo_enum(buf, sizeof(buf), names, n,
						   tb[attr]));
}

static __u8 teredo_u8(struct rtattr *tb[], int attr)
{
	return teredo_has(tb, attr, 1) ? *(const __u8 *)RTA_DATA(tb[attr]) : 0;
}

static void teredo_print_runtime(struct rtattr *tb[])
{
	char buf[INET6_ADDRSTRLEN + 8];

	teredo_print_enum(tb, IFLA_TEREDO_STATE, "state",
			  TEREDO_NAMES(teredo_states));
	/* A reason says why a client is offline, and only that. */
	if (teredo_has(tb, IFLA_TEREDO_STATE, 1) &&
	    teredo_u8(tb, IFLA_TEREDO_STATE) == TEREDO_STATE_OFFLINE)
		teredo_print_enum(tb, IFLA_TEREDO_REASON, "reason",
				  TEREDO_NAMES(teredo_reasons));
	teredo_print_enum(tb, IFLA_TEREDO_NAT, "nat", TEREDO_NAMES(teredo_nats));
	/* A port mapping on the router (RFC 6081 §4.3), when there is one. */
	if (teredo_u8(tb, IFLA_TEREDO_PORTMAP)) {
		teredo_print_enum(tb, IFLA_TEREDO_PORTMAP, "portmap",
				  TEREDO_NAMES(teredo_portmaps));
		if (teredo_has(tb, IFLA_TEREDO_PORTMAP_GATEWAY, 4))
			teredo_print_word("portmap-gateway",
					  inet_ntop(AF_INET,
						    RTA_DATA(tb[IFLA_TEREDO_PORTMAP_GATEWAY]),
						    buf, sizeof(buf)));
	}
	if (teredo_has(tb, IFLA_TEREDO_MAPPED, 4) &&
	    teredo_has(tb, IFLA_TEREDO_MAPPED_PORT, 2))
		teredo_print_word("mapped",
				  teredo_endpoint(buf, sizeof(buf),
						  tb[IFLA_TEREDO_MAPPED],
						  tb[IFLA_TEREDO_MAPPED_PORT]));
	/* The hairpinning extension's LAN address (RFC 6081 §5.6). */
	if (teredo_has(tb, IFLA_TEREDO_ALTERNATE, 4) &&
	    teredo_has(tb, IFLA_TEREDO_ALTERNATE_PORT, 2))
		teredo_print_word("alternate",
				  teredo_endpoint(buf, sizeof(buf),
						  tb[IFLA_TEREDO_ALTERNATE],
						  tb[IFLA_TEREDO_ALTERNATE_PORT]));
	if (teredo_has(tb, IFLA_TEREDO_ADDRESS, 16))
		teredo_print_word("address",
				  inet_ntop(AF_INET6,
					    RTA_DATA(tb[IFLA_TEREDO_ADDRESS]),
					    buf, sizeof(buf)));
	if (teredo_has(tb, IFLA_TEREDO_BOUND, 4) &&
	    teredo_has(tb, IFLA_TEREDO_BOUND_PORT, 2))
		teredo_print_word("bound",
				  teredo_endpoint(buf, sizeof(buf),
						  tb[IFLA_TEREDO_BOUND],
						  tb[IFLA_TEREDO_BOUND_PORT]));
}

/* Not const: `ip` links loaded plugins into a list through ->next. */
struct link_util teredo_link_util = {
	.id		= "teredo",
	.maxattr	= IFLA_TEREDO_MAX,
	.parse_opt	= teredo_parse_opt,
	.print_opt	= teredo_print_opt,
	.print_help	= teredo_print_help,
};
