// SPDX-License-Identifier: GPL-2.0
/* Local client discovery: the words, the interval, the bubble. */
#include <string.h>
#include <arpa/inet.h>

#include "discovery.h"
#include "proto.h"
#include "test_lib.h"
#include "unit.h"

UNIT_TEST(disc_words)
{
	bool on = false;

	CHECK(!disc_parse("on", &on) && on);
	CHECK(!disc_parse("off", &on) && !on);
	CHECK(!disc_parse("yes", &on) && on);
	CHECK(!disc_parse("no", &on) && !on);
	CHECK(disc_parse("", &on) && !on);
	CHECK(disc_parse("On", &on) && !on);
	CHECK(disc_parse("auto", &on) && !on);
	CHECK(disc_parse(NULL, &on) && !on);
}

UNIT_TEST(disc_interval)
{
	/* RFC 4380 §5.2.8: uniform in [200, 300] s. */
	CHECK_EQ(disc_interval_ms(0), 200000ULL);
	CHECK_EQ(disc_interval_ms(100000), 300000ULL);
	CHECK_EQ(disc_interval_ms(100001), 200000ULL);
	CHECK(disc_interval_ms(0xffffffffU) >= 200000ULL);
	CHECK(disc_interval_ms(0xffffffffU) <= 300000ULL);
}

UNIT_TEST(disc_bubble)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	struct in6_addr src;
	uint8_t buf[40];

	inet_pton(AF_INET6, "2001:0:c612:1:8000:f227:39ed:ffd7", &src);
	memset(buf, 0xaa, sizeof(buf));
	disc_build(buf, &src);
	/* Version 6, class and flow 0, no payload, next header 59, hop
	 * limit 1, from us to all nodes on the link. */
	CHECK(buf[0] == 0x60 && !buf[1] && !buf[2] && !buf[3]);
	CHECK(!buf[4] && !buf[5] && buf[6] == 59 && buf[7] == 1);
	CHECK(!memcmp(buf + 8, &src, 16));
	CHECK(!memcmp(buf + 24, all_nodes, 16));
	CHECK(teredo_is_bubble(buf, sizeof(buf)));
	CHECK(teredo_is_discovery(buf, sizeof(buf)));
	buf[39] = 2;		/* all routers: not discovery */
	CHECK(!teredo_is_discovery(buf, sizeof(buf)));
}
