// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of what teredoctl prints and of its reply parsers, without a
 * kernel: the formatting functions write into memory streams compared
 * byte for byte, and the parsers read messages built here with libmnl.
 * TAP output; exits 1 when a test fails.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "format.h"
#include "json.h"
#include "nl.h"
#include "proto.h"

static int tests, failed;

static void result(bool ok, const char *name)
{
	printf("%sok %d %s\n", ok ? "" : "not ", ++tests, name);
	if (!ok)
		failed++;
}

/* Prints a mismatch as TAP comments, one line of each at a time. */
static void diag(const char *label, const char *s)
{
	const char *nl;

	do {
		nl = strchr(s, '\n');
		printf("# %s: |%.*s|\n", label,
		       nl ? (int)(nl - s) : (int)strlen(s), s);
		s = nl ? nl + 1 : s + strlen(s);
	} while (nl && *s);
}

static bool same(const char *got, const char *want)
{
	if (!strcmp(got, want))
		return true;
	diag("want", want);
	diag("got ", got);
	return false;
}

/* A memory stream for the printers to write into. */
struct out {
	FILE *f;
	char *buf;
	size_t len;
};

static FILE *out_open(struct out *o)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	if (!o->f)
		abort();
	return o->f;
}

/* Closes the stream, compares what it got, frees it. */
static bool out_is(struct out *o, const char *want)
{
	bool ok;

	fclose(o->f);
	ok = same(o->buf, want);
	free(o->buf);
	return ok;
}

static __be32 ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void test_ages(void)
{
	static const struct {
		__u32 ms;
		const char *want;
	} v[] = {
		{ 0, "0.0" }, { 49, "0.0" }, { 50, "0.1" }, { 1234, "1.2" },
		{ 1250, "1.3" }, { 59999, "60.0" }, { 3600000, "3600.0" },
		{ UINT32_MAX - 1, "4294967.3" }, { UINT32_MAX, "never" },
	};
	char buf[AGE_LEN];
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++)
		ok &= same(fmt_age(buf, sizeof(buf), v[i].ms), v[i].want);
	result(ok, "ages in seconds, one decimal, rounded; U32_MAX is never");
}

static void test_mapped(void)
{
	char buf[MAPPED_LEN];
	bool ok;

	ok = same(fmt_mapped(buf, sizeof(buf), ip("192.0.2.45"),
			     htons(40000)), "192.0.2.45:40000");
	ok &= same(fmt_mapped(buf, sizeof(buf), ip("255.255.255.255"),
			      htons(65535)), "255.255.255.255:65535");
	ok &= same(fmt_mapped(buf, sizeof(buf), 0, 0), "0.0.0.0:0");
	result(ok, "mapped address:port");
}

/* The names must be the enum's, lower-cased, without TEREDO_STAT_. */
#define STAT(x) { TEREDO_STAT_##x, #x }
static const struct {
	unsigned int type;
	const char *enum_name;
} stats[] = {
	STAT(RX_TRUNCATED), STAT(RX_BAD_HEADER), STAT(RX_BAD_VERSION),
	STAT(RX_BAD_LENGTH), STAT(RX_AUTH), STAT(RX_ORIGIN),
	STAT(RX_LINK_LOCAL), STAT(RX_MULTICAST), STAT(RX_NOT_TEREDO),
	STAT(RX_MAPPING), STAT(RX_NOT_GLOBAL), STAT(RX_UNKNOWN_PEER),
	STAT(RX_NO_MEMORY), STAT(RX_BUBBLES), STAT(TX_NOT_IPV6),
	STAT(TX_MULTICAST), STAT(TX_NOT_TEREDO), STAT(TX_NOT_GLOBAL),
	STAT(TX_QUEUE_FULL), STAT(TX_PEERS_FULL), STAT(TX_UNREACHABLE),
	STAT(TX_NO_ROUTE), STAT(TX_NO_SOCKET), STAT(TX_NO_MEMORY),
	STAT(TX_BUBBLES), STAT(TX_BUBBLES_LIMITED), STAT(TX_ICMP),
	STAT(PEERS_EVICTED), STAT(RX_NOT_QUALIFIED), STAT(RX_NOT_OURS),
	STAT(RX_UNVERIFIED), STAT(RX_TO_HELPER), STAT(TX_NOT_QUALIFIED),
	STAT(TX_ECHO_TESTS), STAT(RX_ECHO_REPLIES), STAT(RX_NOT_ICMP),
	STAT(RX_NOT_SERVED), STAT(RX_LOOP), STAT(RX_TOO_BIG), STAT(RX_BAD_RS),
	STAT(RX_RATELIMITED), STAT(TX_RA), STAT(TX_FORWARDED), STAT(TX_NATIVE),
	STAT(RX_PEERS_FULL), STAT(RX_BAD_SOURCE), STAT(TX_HELD),
	STAT(TX_BAD_SOURCE), STAT(HOLD_LIMIT), STAT(RX_TRAILER),
	STAT(RX_DISCOVERY), STAT(RX_BAD_DISCOVERY), STAT(TX_DISCOVERY),
	STAT(RX_BAD_NONCE), STAT(RX_MOVED), STAT(TX_NONCES),
	STAT(TX_ALTERNATES), STAT(TX_SOLICITATIONS), STAT(TX_ADVERTISEMENTS),
	STAT(RX_ADVERTISEMENTS), STAT(SLR_FALLBACKS), STAT(RX_RANDOM_PORTS),
	STAT(TX_RANDOM_PORTS), STAT(RANDOM_PORTS_FULL), STAT(RANDOM_PORTS_FAILED),
	STAT(TX_PORT_TESTS), STAT(PORT_PREDICTIONS),
};

static void test_stat_names(void)
{
	char buf[STAT_LEN], want[STAT_LEN];
	bool ok = true;
	size_t i, k;

	/* A counter added to the UAPI must be added here and in format.c. */
	if (ARRAY_SIZE(stats) != TEREDO_STAT_MAX) {
		printf("# %zu names for %d counters\n",
		       ARRAY_SIZE(stats), TEREDO_STAT_MAX);
		ok = false;
	}
	for (i = 0; i < ARRAY_SIZE(stats); i++) {
		for (k = 0; stats[i].enum_name[k]; k++)
			want[k] = tolower(stats[i].enum_name[k]);
		want[k] = '\0';
		ok &= same(stat_name(buf, sizeof(buf), stats[i].type), want);
	}
	snprintf(want, sizeof(want), "stat_%d", TEREDO_STAT_MAX + 1);
	ok &= same(stat_name(buf, sizeof(buf), TEREDO_STAT_MAX + 1), want);
	ok &= same(stat_name(buf, sizeof(buf), NSTATS - 1), "stat_95");
	result(ok, "counter names are the enum names, newer ones stat_N");
}

static void test_names(void)
{
	char buf[MODE_LEN];
	bool ok;

	ok = same(mode_name(buf, sizeof(buf), TEREDO_MODE_CLIENT), "client");
	ok &= same(mode_name(buf, sizeof(buf), TEREDO_MODE_RELAY), "relay");
	ok &= same(mode_name(buf, sizeof(buf), TEREDO_MODE_SERVER), "server");
	ok &= same(mode_name(buf, sizeof(buf), 7), "7");
	ok &= same(link_state(IFF_UP | IFF_LOWER_UP | IFF_RUNNING), "up");
	ok &= same(link_state(IFF_UP), "no-carrier");
	ok &= same(link_state(0), "down");
	ok &= same(link_state(IFF_LOWER_UP), "down");
	result(ok, "mode and state names");
}

static void test_json_escape(void)
{
	struct out o;
	bool ok;

	json_escape(out_open(&o), "a\"b\\c/d");
	ok = out_is(&o, "\"a\\\"b\\\\c/d\"");
	json_escape(out_open(&o), "\n\t\r\b\f\x01\x1f\x7f");
	ok &= out_is(&o, "\"\\n\\t\\r\\b\\f\\u0001\\u001f\\u007f\"");
	/* UTF-8 passes; stray bytes become their Latin-1 code point. */
	json_escape(out_open(&o), "t\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80");
	ok &= out_is(&o, "\"t\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80\"");
	json_escape(out_open(&o), "\xff\xc3(\xe2\x82");
	ok &= out_is(&o, "\"\\u00ff\\u00c3(\\u00e2\\u0082\"");
	json_escape(out_open(&o), "");
	ok &= out_is(&o, "\"\"");
	result(ok, "json string escaping");
}

static void test_json_nesting(void)
{
	struct json j;
	struct out o;

	json_init(&j, out_open(&o));
	json_arr_open(&j, NULL);
	json_obj_open(&j, NULL);
	json_str(&j, "a\"", "x");
	json_u64(&j, "n", UINT64_MAX);
	json_obj_open(&j, "o");
	json_obj_close(&j);
	json_arr_open(&j, "l");
	json_bool(&j, NULL, true);
	json_null(&j, NULL);
	json_arr_close(&j);
	json_bool(&j, "f", false);
	json_obj_close(&j);
	json_obj_open(&j, NULL);
	json_obj_close(&j);
	json_arr_close(&j);
	json_end(&j);
	result(out_is(&o, "[{\"a\\\"\":\"x\",\"n\":18446744073709551615,"
		      "\"o\":{},\"l\":[true,null],\"f\":false},{}]\n"),
	       "json commas and nesting");
}

static void relay(struct link_info *li, struct dev_info *di)
{
	memset(li, 0, sizeof(*li));
	strcpy(li->ifname, "t0");
	li->ifindex = 7;
	li->flags = IFF_UP | IFF_LOWER_UP;
	li->mode = TEREDO_MODE_RELAY;
	li->port = htons(3544);
	li->max_peers = 4096;
	li->present = 1U << IFLA_TEREDO_MODE | 1U << IFLA_TEREDO_PORT |
		      1U << IFLA_TEREDO_MAX_PEERS;
	memset(di, 0, sizeof(*di));
	di->ifindex = 7;
	di->peer_count = 3;
	di->present = 1U << TEREDO_A_IFINDEX | 1U << TEREDO_A_PEER_COUNT |
		      1U << TEREDO_A_STATS;
}

static void client(struct link_info *li, struct dev_info *di)
{
	relay(li, di);
	strcpy(li->ifname, "tc");
	li->flags = IFF_UP;
	li->mode = TEREDO_MODE_CLIENT;
	li->server = ip("192.0.2.1");
	li->server2 = ip("192.0.2.2");
	li->port = 0;
	li->refresh = 30;
	li->present |= 1U << IFLA_TEREDO_SERVER | 1U << IFLA_TEREDO_SERVER2 |
		       1U << IFLA_TEREDO_REFRESH;
	di->peer_count = 0;
}

static void test_show_relay(void)
{
	struct link_info li;
	struct dev_info di;
	struct out o;

	relay(&li, &di);
	di.stats[TEREDO_STAT_RX_TRUNCATED] = 2;
	di.stats[TEREDO_STAT_PEERS_EVICTED] = 12345678901ULL;
	print_link(out_open(&o), &li, &di);
	result(out_is(&o, "t0: mode relay, link up\n"
			  "  local 0.0.0.0:3544  max-peers 4096  peers 3\n"
			  "  counters: rx_truncated 2  "
			  "peers_evicted 12345678901\n"),
	       "show: relay, non-zero counters only");
}

static void test_show_client(void)
{
	struct link_info li;
	struct dev_info di;
	struct out o;

	client(&li, &di);
	print_link(out_open(&o), &li, &di);
	result(out_is(&o, "tc: mode client, link no-carrier\n"
			  "  local 0.0.0.0:0  max-peers 4096  peers 0\n"
			  "  server 192.0.2.1  server2 192.0.2.2  refresh 30s\n"
			  "  counters: none\n"),
	       "show: client, counters none");
}

static void test_show_server_nogenl(void)
{
	struct link_info li;
	struct dev_info di;
	struct out o;

	relay(&li, &di);
	li.flags = 0;
	li.mode = TEREDO_MODE_SERVER;
	li.local = ip("192.0.2.1");
	li.local2 = ip("192.0.2.2");
	li.present = 1U << IFLA_TEREDO_MODE | 1U << IFLA_TEREDO_PORT |
		     1U << IFLA_TEREDO_LOCAL | 1U << IFLA_TEREDO_LOCAL2;
	print_link(out_open(&o), &li, NULL);
	result(out_is(&o, "t0: mode server, link down\n"
			  "  local 192.0.2.1:3544  local2 192.0.2.2\n"),
	       "show: server without the genl family");
}

static void test_show_wrap(void)
{
	struct link_info li;
	struct dev_info di;
	unsigned int i;
	struct out o;

	relay(&li, &di);
	for (i = TEREDO_STAT_RX_TRUNCATED; i <= TEREDO_STAT_RX_MULTICAST; i++)
		di.stats[i] = i;
	di.stats[NSTATS - 1] = 1;	/* from a newer module */
	print_link(out_open(&o), &li, &di);
	result(out_is(&o, "t0: mode relay, link up\n"
			  "  local 0.0.0.0:3544  max-peers 4096  peers 3\n"
			  "  counters: rx_truncated 1  rx_bad_header 2  "
			  "rx_bad_version 3  rx_bad_length 4\n"
			  "            rx_auth 5  rx_origin 6  rx_link_local 7  "
			  "rx_multicast 8  stat_95 1\n"),
	       "show: counters wrap at 80 columns");
}

static void test_show_json(void)
{
	struct link_info li;
	struct dev_info di;
	struct json j;
	struct out o;
	char want[4096];
	size_t i, n;

	client(&li, &di);
	di.stats[TEREDO_STAT_TX_BUBBLES] = 5;
	json_init(&j, out_open(&o));
	json_link(&j, &li, &di);
	json_end(&j);
	n = snprintf(want, sizeof(want),
		     "{\"ifname\":\"tc\",\"ifindex\":7,\"mode\":\"client\","
		     "\"link\":\"no-carrier\",\"local\":\"0.0.0.0\","
		     "\"port\":0,\"server\":\"192.0.2.1\","
		     "\"server2\":\"192.0.2.2\",\"refresh\":30,"
		     "\"max-peers\":4096,\"peers\":0,\"counters\":{");
	for (i = 0; i < ARRAY_SIZE(stats); i++) {
		char name[STAT_LEN];

		n += snprintf(want + n, sizeof(want) - n, "%s\"%s\":%d",
			      i ? "," : "",
			      stat_name(name, sizeof(name), stats[i].type),
			      stats[i].type == TEREDO_STAT_TX_BUBBLES ? 5 : 0);
	}
	snprintf(want + n, sizeof(want) - n, "}}\n");
	result(out_is(&o, want), "show -j: keys and every known counter");

	relay(&li, &di);
	json_init(&j, out_open(&o));
	json_link(&j, &li, NULL);
	json_end(&j);
	result(out_is(&o, "{\"ifname\":\"t0\",\"ifindex\":7,\"mode\":\"relay\","
			  "\"link\":\"up\",\"local\":\"0.0.0.0\","
			  "\"port\":3544,\"max-peers\":4096}\n"),
	       "show -j: without the genl family");
}

static void test_client_names(void)
{
	char buf[8];
	bool ok;

	ok = same(state_name(buf, sizeof(buf), TEREDO_STATE_OFFLINE),
		  "offline");
	ok &= same(state_name(buf, sizeof(buf), TEREDO_STATE_QUALIFYING),
		   "qualifying");
	ok &= same(state_name(buf, sizeof(buf), TEREDO_STATE_QUALIFIED),
		   "qualified");
	ok &= same(state_name(buf, sizeof(buf), TEREDO_STATE_DORMANT),
		   "dormant");
	ok &= same(state_name(buf, sizeof(buf), TEREDO_STATE_MAX + 1), "4");
	ok &= same(reason_name(buf, sizeof(buf), TEREDO_REASON_NONE), "none");
	ok &= same(reason_name(buf, sizeof(buf), TEREDO_REASON_NO_HELPER),
		   "no-helper");
	ok &= same(reason_name(buf, sizeof(buf), TEREDO_REASON_NO_SERVER),
		   "no-server");
	ok &= same(reason_name(buf, sizeof(buf), TEREDO_REASON_SYMMETRIC_NAT),
		   "symmetric-nat");
	ok &= same(reason_name(buf, sizeof(buf), TEREDO_REASON_NO_ROUTE),
		   "no-route");
	ok &= same(reason_name(buf, sizeof(buf), TEREDO_REASON_NATIVE_IPV6),
		   "native-ipv6");
	ok &= same(reason_name(buf, sizeof(buf), 200), "200");
	ok &= same(nat_name(buf, sizeof(buf), TEREDO_NAT_UNKNOWN), "unknown");
	ok &= same(nat_name(buf, sizeof(buf), TEREDO_NAT_NONE), "none");
	ok &= same(nat_name(buf, sizeof(buf), TEREDO_NAT_RESTRICTED),
		   "restricted");
	ok &= same(nat_name(buf, sizeof(buf), TEREDO_NAT_SYMMETRIC),
		   "symmetric");
	ok &= same(nat_name(buf, sizeof(buf),
			    TEREDO_NAT_SYMMETRIC_PORT_PRESERVING),
		   "symmetric (port-preserving)");
	ok &= same(nat_name(buf, sizeof(buf), TEREDO_NAT_SYMMETRIC_SEQUENTIAL),
		   "symmetric (sequential)");
	ok &= same(nat_name(buf, sizeof(buf), 255), "255");
	/* A value added to the UAPI must get a name here. */
	if (TEREDO_STATE_MAX != 3 || TEREDO_REASON_MAX != 5 ||
	    TEREDO_NAT_MAX != 5) {
		printf("# the client enums grew: name the new values\n");
		ok = false;
	}
	result(ok, "client state, reason and NAT names; newer ones by number");
}

#define CLIENT_STATE	(1U << IFLA_TEREDO_STATE | 1U << IFLA_TEREDO_REASON | \
			 1U << IFLA_TEREDO_NAT)

/* A client whose helper qualified it behind a restricted NAT. */
static const char qaddr[] = "2001:0:c612:1:0:fb3f:39ed:ffd7";

static void qualified(struct link_info *li, struct dev_info *di)
{
	client(li, di);
	strcpy(li->ifname, "teredo");
	li->flags = IFF_UP | IFF_LOWER_UP;
	li->server = ip("198.18.0.1");
	li->server2 = ip("198.18.0.2");
	li->state = TEREDO_STATE_QUALIFIED;
	li->reason = TEREDO_REASON_NONE;
	li->nat = TEREDO_NAT_RESTRICTED;
	li->mapped = ip("198.18.0.40");
	li->mapped_port = htons(1234);
	inet_pton(AF_INET6, qaddr, &li->address);
	li->next_refresh = 23;
	li->bound = 0;
	li->bound_port = htons(40000);
	li->present |= CLIENT_STATE | 1U << IFLA_TEREDO_MAPPED |
		       1U << IFLA_TEREDO_MAPPED_PORT |
		       1U << IFLA_TEREDO_ADDRESS |
		       1U << IFLA_TEREDO_NEXT_REFRESH |
		       1U << IFLA_TEREDO_BOUND | 1U << IFLA_TEREDO_BOUND_PORT;
	di->peer_count = 2;
	di->stats[TEREDO_STAT_RX_NOT_OURS] = 4;
}

/* The same client, the helper gone: the kernel keeps the mapping. */
static void offline(struct link_info *li, struct dev_info *di, __u8 reason)
{
	qualified(li, di);
	li->flags = IFF_UP;
	li->state = TEREDO_STATE_OFFLINE;
	li->reason = reason;
	li->present &= ~(1U << IFLA_TEREDO_NEXT_REFRESH |
			 1U << IFLA_TEREDO_BOUND | 1U << IFLA_TEREDO_BOUND_PORT);
}

static void test_show_qualified(void)
{
	struct link_info li;
	struct dev_info di;
	struct json j;
	struct out o;

	qualified(&li, &di);
	print_link(out_open(&o), &li, &di);
	result(out_is(&o, "teredo: mode client, link up, state qualified\n"
			  "  local 0.0.0.0:0  bound 0.0.0.0:40000  max-peers 4096"
			  "  peers 2\n"
			  "  server 198.18.0.1  server2 198.18.0.2  refresh 30s"
			  "  next refresh in 23 s\n"
			  "  address 2001:0:c612:1:0:fb3f:39ed:ffd7  "
			  "nat restricted  mapped 198.18.0.40:1234\n"
			  "  counters: rx_not_ours 4\n"),
	       "show: qualified client, address, NAT, mapping, next refresh");

	/* Qualified with the secondary silent: nat unknown is shown. */
	qualified(&li, &di);
	li.nat = TEREDO_NAT_UNKNOWN;
	print_link(out_open(&o), &li, NULL);
	result(out_is(&o, "teredo: mode client, link up, state qualified\n"
			  "  local 0.0.0.0:0  bound 0.0.0.0:40000  max-peers 4096\n"
			  "  server 198.18.0.1  server2 198.18.0.2  refresh 30s"
			  "  next refresh in 23 s\n"
			  "  address 2001:0:c612:1:0:fb3f:39ed:ffd7  "
			  "nat unknown  mapped 198.18.0.40:1234\n"),
	       "show: qualified with the NAT type unknown says so");

	/* Behind a symmetric NAT through a port mapping (RFC 6081 §4.3):
	 * the extension in Windows' words, and in JSON. */
	qualified(&li, &di);
	li.nat = TEREDO_NAT_SYMMETRIC;
	li.portmap = TEREDO_PORTMAP_UPNP;
	li.portmap_gw = ip("10.0.0.1");
	li.present |= 1U << IFLA_TEREDO_PORTMAP |
		      1U << IFLA_TEREDO_PORTMAP_GATEWAY;
	print_link(out_open(&o), &li, NULL);
	result(out_is(&o, "teredo: mode client, link up, state qualified\n"
			  "  local 0.0.0.0:0  bound 0.0.0.0:40000  max-peers 4096\n"
			  "  server 198.18.0.1  server2 198.18.0.2  refresh 30s"
			  "  next refresh in 23 s\n"
			  "  address 2001:0:c612:1:0:fb3f:39ed:ffd7  "
			  "nat symmetric  UPnP mapping via 10.0.0.1  "
			  "mapped 198.18.0.40:1234\n"),
	       "show: symmetric NAT through a port mapping: \"UPnP mapping via 10.0.0.1\"");
	li.portmap = TEREDO_PORTMAP_NATPMP;
	json_init(&j, out_open(&o));
	json_link(&j, &li, NULL);
	json_end(&j);
	fclose(o.f);
	result(strstr(o.buf, "\"nat\":\"symmetric\",\"portmap\":\"natpmp\",\"portmap-gateway\":\"10.0.0.1\",") != NULL,
	       "show -j: \"portmap\":\"natpmp\",\"portmap-gateway\":\"10.0.0.1\"");
	free(o.buf);
	li.portmap = TEREDO_PORTMAP_PCP;
	print_link(out_open(&o), &li, NULL);
	fclose(o.f);
	result(strstr(o.buf, "nat symmetric  PCP mapping via 10.0.0.1  ") != NULL,
	       "show: \"PCP mapping via 10.0.0.1\"");
	free(o.buf);
	li.portmap = TEREDO_PORTMAP_NONE;
	print_link(out_open(&o), &li, NULL);
	fclose(o.f);
	result(!strstr(o.buf, "mapping via"), "show: no port mapping, no words");
	free(o.buf);
}

static void test_show_offline(void)
{
	static const struct {
		__u8 reason;
		bool next;
		const char *line;
	} v[] = {
		{ TEREDO_REASON_NO_HELPER, false,
		  "offline: teredod is not running" },
		/* The helper's back-off does not count for a missing one. */
		{ TEREDO_REASON_NO_HELPER, true,
		  "offline: teredod is not running" },
		{ TEREDO_REASON_NO_SERVER, false,
		  "offline: the Teredo server 198.18.0.1 does not answer "
		  "(3 Router Solicitations unanswered)" },
		{ TEREDO_REASON_NO_SERVER, true,
		  "offline: the Teredo server 198.18.0.1 does not answer "
		  "(3 Router Solicitations unanswered); next attempt in 15 s" },
		{ TEREDO_REASON_SYMMETRIC_NAT, false,
		  "offline: symmetric NAT: mappings differ per destination; "
		  "RFC 4380 (teredod --symmetric-nat off) cannot work behind "
		  "it without a port mapping: teredod --port-mapping auto, or "
		  "a forwarded port" },
		{ TEREDO_REASON_NO_ROUTE, true,
		  "offline: no IPv4 route to the Teredo server 198.18.0.1; "
		  "next attempt in 15 s" },
		{ TEREDO_REASON_NATIVE_IPV6, true,
		  "offline: the host has native IPv6 on another interface; "
		  "Teredo stands aside (RFC 4380 5.5, teredod --no-sunset)" },
		{ TEREDO_REASON_NONE, false, "offline" },
		{ 9, false, "offline: reason 9" },
	};
	char want[512], status[STATUS_LEN];
	struct link_info li;
	struct dev_info di;
	struct out o;
	bool ok = true;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		offline(&li, &di, v[i].reason);
		if (v[i].next) {
			li.next_refresh = 15;
			li.present |= 1U << IFLA_TEREDO_NEXT_REFRESH;
		}
		ok &= same(client_status(status, sizeof(status), &li),
			   v[i].line);
		print_link(out_open(&o), &li, NULL);
		snprintf(want, sizeof(want),
			 "teredo: mode client, link no-carrier, state offline\n"
			 "  %s\n"
			 "  local 0.0.0.0:0  max-peers 4096\n"
			 "  server 198.18.0.1  server2 198.18.0.2  refresh 30s\n"
			 "  address 2001:0:c612:1:0:fb3f:39ed:ffd7  "
			 "nat restricted  mapped 198.18.0.40:1234\n",
			 v[i].line);
		ok &= out_is(&o, want);
	}
	result(ok, "show: offline, one sentence per reason, next attempt");
}

static void test_show_qualifying(void)
{
	char status[STATUS_LEN];
	struct link_info li;
	struct dev_info di;
	struct out o;
	bool ok;

	offline(&li, &di, TEREDO_REASON_NONE);
	li.state = TEREDO_STATE_QUALIFYING;
	li.nat = TEREDO_NAT_UNKNOWN;
	li.present &= ~(1U << IFLA_TEREDO_MAPPED |
			1U << IFLA_TEREDO_MAPPED_PORT |
			1U << IFLA_TEREDO_ADDRESS);
	print_link(out_open(&o), &li, NULL);
	ok = out_is(&o, "teredo: mode client, link no-carrier, state qualifying\n"
			"  qualifying: waiting for the Teredo server 198.18.0.1\n"
			"  local 0.0.0.0:0  max-peers 4096\n"
			"  server 198.18.0.1  server2 198.18.0.2  refresh 30s\n");
	/* Nothing to say about a qualified client or an old kernel. */
	qualified(&li, &di);
	ok &= same(client_status(status, sizeof(status), &li), "");
	li.state = 7;
	ok &= same(client_status(status, sizeof(status), &li), "state 7");
	li.state = TEREDO_STATE_DORMANT;
	ok &= same(client_status(status, sizeof(status), &li),
		   "dormant: idle, no refresh; the next packet sent qualifies it again");
	client(&li, &di);
	ok &= same(client_status(status, sizeof(status), &li), "");
	/* A sentence cut to the buffer stays a string. */
	offline(&li, &di, TEREDO_REASON_SYMMETRIC_NAT);
	ok &= same(client_status(status, 8, &li), "offline");
	result(ok, "show: qualifying; no sentence when qualified or unknown");
}

static void test_show_client_json(void)
{
	struct link_info li;
	struct dev_info di;
	struct json j;
	struct out o;
	bool ok;

	qualified(&li, &di);
	json_init(&j, out_open(&o));
	json_link(&j, &li, NULL);
	json_end(&j);
	ok = out_is(&o, "{\"ifname\":\"teredo\",\"ifindex\":7,"
			"\"mode\":\"client\",\"link\":\"up\","
			"\"state\":\"qualified\",\"reason\":null,"
			"\"status\":null,\"nat\":\"restricted\","
			"\"address\":\"2001:0:c612:1:0:fb3f:39ed:ffd7\","
			"\"mapped\":\"198.18.0.40:1234\","
			"\"next-refresh\":23,\"local\":\"0.0.0.0\","
			"\"port\":0,\"bound\":\"0.0.0.0:40000\","
			"\"server\":\"198.18.0.1\","
			"\"server2\":\"198.18.0.2\",\"refresh\":30,"
			"\"max-peers\":4096}\n");

	offline(&li, &di, TEREDO_REASON_SYMMETRIC_NAT);
	li.nat = TEREDO_NAT_SYMMETRIC;
	li.present &= ~(1U << IFLA_TEREDO_MAPPED |
			1U << IFLA_TEREDO_MAPPED_PORT |
			1U << IFLA_TEREDO_ADDRESS);
	json_init(&j, out_open(&o));
	json_link(&j, &li, NULL);
	json_end(&j);
	ok &= out_is(&o, "{\"ifname\":\"teredo\",\"ifindex\":7,"
			 "\"mode\":\"client\",\"link\":\"no-carrier\","
			 "\"state\":\"offline\",\"reason\":\"symmetric-nat\","
			 "\"status\":\"offline: symmetric NAT: mappings differ "
			 "per destination; RFC 4380 (teredod --symmetric-nat "
			 "off) cannot work behind it without a port mapping: "
			 "teredod --port-mapping auto, or a forwarded port\","
			 "\"nat\":\"symmetric\","
			 "\"local\":\"0.0.0.0\",\"port\":0,"
			 "\"server\":\"198.18.0.1\",\"server2\":\"198.18.0.2\","
			 "\"refresh\":30,\"max-peers\":4096}\n");
	result(ok, "show -j: client state keys, reason and status");
}

/* RFC 4380 §4's example: server 65.54.227.120, cone, 192.0.2.45:40000. */
static const char rfc_peer[] = "2001:0:4136:e378:8000:63bf:3fff:fdd2";

static void peer(struct peer_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	inet_pton(AF_INET6, rfc_peer, &pi->addr);
	pi->mapped = ip("192.0.2.45");
	pi->port = htons(40000);
	pi->trusted = 1;
	pi->last_rx = 1234;
	pi->last_tx = UINT32_MAX;
	pi->bubbles = 2;
	pi->queued = 1280;
	pi->rx_packets = 10;
	pi->rx_bytes = 12000;
	pi->tx_packets = 11;
	pi->tx_bytes = 13000;
	pi->present = (1U << (TEREDO_PEER_A_TX_BYTES + 1)) - 2;
}

static void test_peers_text(void)
{
	struct peer_info pi;
	struct out o;
	FILE *f;

	peer(&pi);
	f = out_open(&o);
	print_peer_header(f);
	print_peer(f, &pi);
	/* No mapping sent, not a Teredo address, nothing else either. */
	memset(&pi, 0, sizeof(pi));
	inet_pton(AF_INET6, "2001:db8::1", &pi.addr);
	pi.present = 1U << TEREDO_PEER_A_ADDR;
	print_peer(f, &pi);
	result(out_is(&o,
"peer                                    mapped                "
"trusted  rx-age  tx-age bubbles  queued    rx-pkts     rx-bytes    "
"tx-pkts     tx-bytes\n"
"2001:0:4136:e378:8000:63bf:3fff:fdd2    192.0.2.45:40000      "
"yes         1.2   never       2    1280         10        12000         "
"11        13000\n"
"2001:db8::1                             -                     "
"-             -       -       -       -          -            -"
"          -            -\n"),
	       "peers: header and columns");
}

static void test_peers_mapping_fallback(void)
{
	struct peer_info pi;
	struct json j;
	struct out o;

	/* Without the mapping attributes, the Teredo address has it. */
	peer(&pi);
	pi.mapped = 0;
	pi.port = 0;
	pi.trusted = 0;
	pi.present &= ~(1U << TEREDO_PEER_A_MAPPED_ADDR |
			1U << TEREDO_PEER_A_MAPPED_PORT);
	json_init(&j, out_open(&o));
	json_peer(&j, &pi);
	json_end(&j);
	result(out_is(&o, "{\"peer\":\"2001:0:4136:e378:8000:63bf:3fff:fdd2\","
			  "\"mapped\":\"192.0.2.45:40000\","
			  "\"trusted\":false,\"rx-age\":1.234,"
			  "\"tx-age\":null,\"bubbles\":2,\"queued\":1280,"
			  "\"rx-pkts\":10,\"rx-bytes\":12000,"
			  "\"tx-pkts\":11,\"tx-bytes\":13000}\n"),
	       "peers -j: the header's words as keys, never is null, mapping from the address");
}

/* A client's random port for the peer (RFC 6081 §5.4): JSON only. */
static void test_peers_local_port(void)
{
	struct peer_info pi;
	struct json j;
	struct out o, t;

	peer(&pi);
	pi.local_port = htons(40123);
	pi.present |= 1U << TEREDO_PEER_A_LOCAL_PORT;
	json_init(&j, out_open(&o));
	json_peer(&j, &pi);
	json_end(&j);
	print_peer(out_open(&t), &pi);
	result(out_is(&o, "{\"peer\":\"2001:0:4136:e378:8000:63bf:3fff:fdd2\","
			  "\"mapped\":\"192.0.2.45:40000\","
			  "\"trusted\":true,\"rx-age\":1.234,"
			  "\"tx-age\":null,\"bubbles\":2,\"queued\":1280,"
			  "\"rx-pkts\":10,\"rx-bytes\":12000,"
			  "\"tx-pkts\":11,\"tx-bytes\":13000,"
			  "\"local-port\":40123}\n") &&
	       out_is(&t,
"2001:0:4136:e378:8000:63bf:3fff:fdd2    192.0.2.45:40000      "
"yes         1.2   never       2    1280         10        12000         "
"11        13000\n"),
	       "peers -j: a random port as local-port, the text unchanged");
}

/* Room for one message, aligned as the kernel would hand it over. */
union msgbuf {
	char buf[8192];
	struct nlmsghdr align;
};

static struct in6_addr qaddr6;

static struct nlmsghdr *link_msg(union msgbuf *m, const char *kind)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf);
	struct ifinfomsg *ifi;
	struct nlattr *linkinfo, *data;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 9;
	ifi->ifi_flags = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "teredo0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1280);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_MODE, TEREDO_MODE_CLIENT);
	mnl_attr_put_u32(nlh, IFLA_TEREDO_SERVER, ip("192.0.2.1"));
	mnl_attr_put_u32(nlh, IFLA_TEREDO_SERVER2, ip("192.0.2.2"));
	mnl_attr_put_u16(nlh, IFLA_TEREDO_PORT, htons(3545));
	mnl_attr_put_u32(nlh, IFLA_TEREDO_REFRESH, 60);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_STATE, TEREDO_STATE_QUALIFIED);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_REASON, TEREDO_REASON_NONE);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_NAT, TEREDO_NAT_RESTRICTED);
	mnl_attr_put_u32(nlh, IFLA_TEREDO_MAPPED, ip("198.18.0.40"));
	mnl_attr_put_u16(nlh, IFLA_TEREDO_MAPPED_PORT, htons(1234));
	mnl_attr_put(nlh, IFLA_TEREDO_ADDRESS, 16, &qaddr6);
	/* Wrong size: a u8 where a u32 belongs. */
	mnl_attr_put_u8(nlh, IFLA_TEREDO_NEXT_REFRESH, 5);
	/* Wrong size: must not be believed. */
	mnl_attr_put_u16(nlh, IFLA_TEREDO_MAX_PEERS, 7);
	/* From a newer kernel: skipped. */
	mnl_attr_put_u32(nlh, IFLA_TEREDO_MAX + 1, 1);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return nlh;
}

static void test_parse_link(void)
{
	struct link_info li;
	union msgbuf m;
	bool ok;

	inet_pton(AF_INET6, qaddr, &qaddr6);
	ok = nl_parse_link(link_msg(&m, "teredo"), &li) == 1;
	ok &= li.ifindex == 9 && li.flags == IFF_UP &&
	      !strcmp(li.ifname, "teredo0");
	ok &= li.present == (1U << IFLA_TEREDO_MODE |
			     1U << IFLA_TEREDO_SERVER |
			     1U << IFLA_TEREDO_SERVER2 |
			     1U << IFLA_TEREDO_PORT |
			     1U << IFLA_TEREDO_REFRESH | CLIENT_STATE |
			     1U << IFLA_TEREDO_MAPPED |
			     1U << IFLA_TEREDO_MAPPED_PORT |
			     1U << IFLA_TEREDO_ADDRESS);
	ok &= li.state == TEREDO_STATE_QUALIFIED &&
	      li.reason == TEREDO_REASON_NONE &&
	      li.nat == TEREDO_NAT_RESTRICTED &&
	      li.mapped == ip("198.18.0.40") &&
	      li.mapped_port == htons(1234) &&
	      !memcmp(&li.address, &qaddr6, 16) && li.next_refresh == 0;
	ok &= li.mode == TEREDO_MODE_CLIENT && li.server == ip("192.0.2.1") &&
	      li.server2 == ip("192.0.2.2") && li.port == htons(3545) &&
	      li.refresh == 60 && li.max_peers == 0;
	ok &= nl_parse_link(link_msg(&m, "teredo2"), &li) == 0;
	ok &= nl_parse_link(link_msg(&m, "ipip"), &li) == 0;
	result(ok, "parse RTM_NEWLINK: kind, IFLA_INFO_DATA, bad sizes");
}

static struct nlmsghdr *genl_msg(union msgbuf *m, __u8 cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = 0x20;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = TEREDO_GENL_VERSION;
	return nlh;
}

static void test_parse_dev(void)
{
	struct nlmsghdr *nlh;
	struct dev_info di;
	struct nlattr *nest;
	union msgbuf m;
	bool ok;

	nlh = genl_msg(&m, TEREDO_CMD_DEV_GET);
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, 9);
	mnl_attr_put_strz(nlh, TEREDO_A_IFNAME, "teredo0");
	mnl_attr_put_u8(nlh, TEREDO_A_MODE, TEREDO_MODE_RELAY);
	mnl_attr_put_u32(nlh, TEREDO_A_PEER_COUNT, 42);
	nest = mnl_attr_nest_start(nlh, TEREDO_A_STATS);
	mnl_attr_put_u64(nlh, TEREDO_STAT_RX_TRUNCATED, 1);
	mnl_attr_put(nlh, TEREDO_A_PAD, 0, NULL);	/* a pad */
	mnl_attr_put_u64(nlh, TEREDO_STAT_PEERS_EVICTED, 1ULL << 40);
	mnl_attr_put_u64(nlh, 50, 3);			/* newer */
	mnl_attr_put_u64(nlh, 200, 4);			/* beyond NSTATS */
	mnl_attr_put_u32(nlh, TEREDO_STAT_TX_ICMP, 5);	/* bad size */
	mnl_attr_nest_end(nlh, nest);

	ok = nl_parse_dev(nlh, &di) == 0;
	ok &= di.ifindex == 9 && !strcmp(di.ifname, "teredo0") &&
	      di.mode == TEREDO_MODE_RELAY && di.peer_count == 42;
	ok &= di.present == (1U << TEREDO_A_IFINDEX | 1U << TEREDO_A_IFNAME |
			     1U << TEREDO_A_MODE | 1U << TEREDO_A_PEER_COUNT |
			     1U << TEREDO_A_STATS);
	ok &= di.stats[TEREDO_STAT_RX_TRUNCATED] == 1 &&
	      di.stats[TEREDO_STAT_PEERS_EVICTED] == 1ULL << 40 &&
	      di.stats[50] == 3 && di.stats[TEREDO_STAT_TX_ICMP] == 0 &&
	      di.stats[TEREDO_A_PAD] == 0;
	result(ok, "parse DEV_GET reply: counters nest");
}

static void test_parse_peer(void)
{
	struct peer_info pi, want;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	union msgbuf m;
	bool ok;

	peer(&want);
	nlh = genl_msg(&m, TEREDO_CMD_PEER_GET);
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, 9);
	nest = mnl_attr_nest_start(nlh, TEREDO_A_PEER);
	mnl_attr_put(nlh, TEREDO_PEER_A_ADDR, 16, &want.addr);
	mnl_attr_put_u32(nlh, TEREDO_PEER_A_MAPPED_ADDR, want.mapped);
	mnl_attr_put_u16(nlh, TEREDO_PEER_A_MAPPED_PORT, want.port);
	mnl_attr_put_u8(nlh, TEREDO_PEER_A_TRUSTED, 1);
	mnl_attr_put_u32(nlh, TEREDO_PEER_A_LAST_RX, want.last_rx);
	mnl_attr_put_u32(nlh, TEREDO_PEER_A_LAST_TX, want.last_tx);
	mnl_attr_put_u32(nlh, TEREDO_PEER_A_BUBBLES, want.bubbles);
	mnl_attr_put_u32(nlh, TEREDO_PEER_A_QUEUED_BYTES, want.queued);
	mnl_attr_put_u64(nlh, TEREDO_PEER_A_RX_PACKETS, want.rx_packets);
	mnl_attr_put_u64(nlh, TEREDO_PEER_A_RX_BYTES, want.rx_bytes);
	mnl_attr_put_u64(nlh, TEREDO_PEER_A_TX_PACKETS, want.tx_packets);
	mnl_attr_put_u64(nlh, TEREDO_PEER_A_TX_BYTES, want.tx_bytes);
	mnl_attr_nest_end(nlh, nest);
	want.ifindex = 9;

	ok = nl_parse_peer(nlh, &pi) == 0;
	ok &= !memcmp(&pi, &want, sizeof(pi));
	result(ok, "parse PEER_GET reply");

	/* Too short for the genl header. */
	nlh = mnl_nlmsg_put_header(m.buf);
	ok = nl_parse_peer(nlh, &pi) == -EINVAL &&
	     nl_parse_dev(nlh, (struct dev_info *)&m) == -EINVAL;
	nlh = mnl_nlmsg_put_header(m.buf);
	ok &= nl_parse_link(nlh, (struct link_info *)&m) == -EINVAL;
	result(ok, "parse: short messages are refused");
}

static void test_events(void)
{
	union msgbuf m;
	struct event_info ev;
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *nest;
	struct in6_addr a;
	struct json j;
	struct out o;
	FILE *f;
	bool ok;

	/* A state notification, as events.c builds it. */
	memset(&m, 0, sizeof(m));
	nlh = mnl_nlmsg_put_header(m.buf);
	nlh->nlmsg_type = 30;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = TEREDO_CMD_STATE_NTF;
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, TEREDO_A_IFNAME, "t0");
	mnl_attr_put_u8(nlh, TEREDO_A_STATE, TEREDO_STATE_QUALIFIED);
	mnl_attr_put_u8(nlh, TEREDO_A_REASON, TEREDO_REASON_NONE);
	mnl_attr_put_u8(nlh, TEREDO_A_NAT, TEREDO_NAT_RESTRICTED);
	inet_pton(AF_INET6, qaddr, &a);
	mnl_attr_put(nlh, TEREDO_A_ADDRESS, sizeof(a), &a);
	mnl_attr_put_u32(nlh, TEREDO_A_MAPPED, ip("198.18.0.40"));
	mnl_attr_put_u16(nlh, TEREDO_A_MAPPED_PORT, htons(1234));
	ok = nl_parse_event(nlh, &ev) == 1;
	f = out_open(&o);
	print_event(f, &ev);
	ok &= out_is(&o, "t0: state qualified nat restricted mapped "
			 "198.18.0.40:1234 address 2001:0:c612:1:0:fb3f:39ed:ffd7\n");
	json_init(&j, out_open(&o));
	json_event(&j, &ev);
	json_end(&j);
	ok &= out_is(&o, "{\"ifname\":\"t0\",\"ifindex\":7,"
			 "\"event\":\"state\",\"state\":\"qualified\","
			 "\"nat\":\"restricted\","
			 "\"mapped\":\"198.18.0.40:1234\","
			 "\"address\":\"2001:0:c612:1:0:fb3f:39ed:ffd7\"}\n");
	result(ok, "monitor: a state event, text and JSON");

	/* Offline: the reason, no address. */
	ev.state = TEREDO_STATE_OFFLINE;
	ev.reason = TEREDO_REASON_NO_HELPER;
	ev.nat = TEREDO_NAT_UNKNOWN;
	ev.present &= ~(1U << TEREDO_A_ADDRESS | 1U << TEREDO_A_MAPPED |
			1U << TEREDO_A_MAPPED_PORT);
	print_event(out_open(&o), &ev);
	result(out_is(&o, "t0: state offline reason no-helper nat unknown\n"),
	       "monitor: offline says why");

	/* Peer events. */
	memset(&m, 0, sizeof(m));
	nlh = mnl_nlmsg_put_header(m.buf);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = TEREDO_CMD_PEER_NTF;
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, TEREDO_A_IFNAME, "t0");
	mnl_attr_put_u8(nlh, TEREDO_A_EVENT, TEREDO_EVENT_TRUSTED);
	nest = mnl_attr_nest_start(nlh, TEREDO_A_PEER);
	inet_pton(AF_INET6, "2001:db8:1::30", &a);
	mnl_attr_put(nlh, TEREDO_PEER_A_ADDR, sizeof(a), &a);
	mnl_attr_put_u32(nlh, TEREDO_PEER_A_MAPPED_ADDR, ip("198.18.0.20"));
	mnl_attr_put_u16(nlh, TEREDO_PEER_A_MAPPED_PORT, htons(3544));
	mnl_attr_nest_end(nlh, nest);
	ok = nl_parse_event(nlh, &ev) == 1;
	f = out_open(&o);
	print_event(f, &ev);
	ev.event = TEREDO_EVENT_EVICTED;
	print_event(f, &ev);
	ev.event = TEREDO_EVENT_UNREACHABLE;
	ev.peer.present &= ~(1U << TEREDO_PEER_A_MAPPED_ADDR);
	print_event(f, &ev);
	ev.event = 9;
	print_event(f, &ev);
	ok &= out_is(&o, "t0: peer 2001:db8:1::30 trusted mapped 198.18.0.20:3544\n"
			 "t0: peer 2001:db8:1::30 evicted mapped 198.18.0.20:3544\n"
			 "t0: peer 2001:db8:1::30 unreachable\n"
			 "t0: peer 2001:db8:1::30 9\n");
	ev.event = TEREDO_EVENT_TRUSTED;
	json_init(&j, out_open(&o));
	json_event(&j, &ev);
	json_end(&j);
	ok &= out_is(&o, "{\"ifname\":\"t0\",\"ifindex\":7,"
			 "\"peer\":\"2001:db8:1::30\",\"event\":\"trusted\"}\n");
	/* Not an event: the dump's reply. */
	genl->cmd = TEREDO_CMD_PEER_GET;
	ok &= nl_parse_event(nlh, &ev) == 0;
	result(ok, "monitor: peer events trusted, evicted, unreachable, unknown");
}

int main(void)
{
	test_ages();
	test_mapped();
	test_stat_names();
	test_names();
	test_json_escape();
	test_json_nesting();
	test_show_relay();
	test_show_client();
	test_show_server_nogenl();
	test_show_wrap();
	test_show_json();
	test_client_names();
	test_show_qualified();
	test_show_offline();
	test_show_qualifying();
	test_show_client_json();
	test_peers_text();
	test_peers_mapping_fallback();
	test_peers_local_port();
	test_parse_link();
	test_parse_dev();
	test_parse_peer();
	test_events();
	printf("1..%d\n", tests);
	return failed ? 1 : 0;
}
