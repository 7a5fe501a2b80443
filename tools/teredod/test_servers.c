// SPDX-License-Identifier: GPL-2.0
/*
 * The list of servers: --server and SERVER= parsing, duplicates, the
 * secondary address of each.
 */
#include <string.h>
#include <arpa/inet.h>

#include "servers.h"
#include "test_lib.h"
#include "unit.h"

UNIT_TEST(servers_parse_lists)
{
	struct server_names s = { .n = 0 };
	const char *why = NULL;

	CHECK_EQ(servers_parse(&s, "teredo.example.net", &why), 0);
	CHECK_EQ(s.n, 1);
	CHECK(!strcmp(s.name[0], "teredo.example.net"));
	/* Spaces, tabs, commas, repeated options: appended in order. */
	CHECK_EQ(servers_parse(&s, " a.example, 192.0.2.1\tb.example ,", &why),
		 0);
	CHECK_EQ(s.n, 4);
	CHECK(!strcmp(s.name[1], "a.example"));
	CHECK(!strcmp(s.name[2], "192.0.2.1"));
	CHECK(!strcmp(s.name[3], "b.example"));
}

UNIT_TEST(servers_parse_refuses)
{
	struct server_names s = { .n = 0 };
	char big[300];
	const char *why = NULL;

	CHECK_EQ(servers_parse(&s, " , ", &why), -1);
	CHECK(why && !strcmp(why, "no server in the list"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(servers_parse(&s, big, &why), -1);
	CHECK(!strcmp(why, "a server name longer than 253 characters"));
	big[253] = '\0';
	CHECK_EQ(servers_parse(&s, big, &why), 0);
	CHECK_EQ(servers_parse(&s, "a b c d e f g", &why), 0);
	CHECK_EQ(s.n, 8);
	CHECK_EQ(servers_parse(&s, "i", &why), -1);
	CHECK(!strcmp(why, "more than 8 servers"));
	CHECK_EQ(s.n, 8);
}

UNIT_TEST(servers_add_dedups_and_caps)
{
	struct qual_server l[QUAL_MAX_SERVERS];
	unsigned int n = 0, i;

	CHECK(servers_add(l, &n, ip4("192.0.2.1"), ip4("192.0.2.2")));
	CHECK(servers_add(l, &n, ip4("198.51.100.1"), ip4("198.51.100.2")));
	/* The same address from another name: once, in its first place. */
	CHECK(!servers_add(l, &n, ip4("192.0.2.1"), ip4("192.0.2.9")));
	CHECK_EQ(n, 2);
	CHECK_EQ(l[0].addr2, ip4("192.0.2.2"));
	for (i = 2; i < QUAL_MAX_SERVERS; i++)
		CHECK(servers_add(l, &n, htonl(0xc6120000 + i), 0));
	CHECK(!servers_add(l, &n, ip4("203.0.113.1"), 0));
	CHECK_EQ(n, QUAL_MAX_SERVERS);
}

UNIT_TEST(servers_secondary_is_plus_one_but_the_devices)
{
	__be32 own = ip4("192.0.2.1"), own2 = ip4("192.0.2.9");

	CHECK_EQ(servers_secondary(ip4("198.51.100.1"), own, own2),
		 ip4("198.51.100.2"));
	CHECK_EQ(servers_secondary(own, own, own2), own2);
	CHECK_EQ(servers_secondary(own, own, 0), ip4("192.0.2.2"));
	CHECK_EQ(servers_secondary(ip4("192.0.2.255"), own, own2),
		 ip4("192.0.3.0"));
}
