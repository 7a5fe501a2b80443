// SPDX-License-Identifier: GPL-2.0
/*
 * RS bytes and RA validation: the WIRE RS of protocol.md §2.8, a
 * Miredo-shaped RA (§2.9) and one broken RA per refusal reason.
 */
#include <string.h>
#include <arpa/inet.h>

#include "proto.h"
#include "ra.h"
#include "test_lib.h"
#include "unit.h"

static const uint8_t nonce[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* Offsets in the RA of test_ra_build(). */
enum { AUTH = 0, OI = 13, IP6 = 21, ICMP = 61, PIO = 77, MTU = 109 };

static struct ra_expect expect(void)
{
	struct ra_expect w = { .server = ip4("198.18.0.1"), .dst = rs_source };

	memcpy(w.nonce, nonce, sizeof(nonce));
	return w;
}

static size_t good_ra(uint8_t *buf)
{
	struct ra_spec s = { .mapped = "198.18.0.40", .port = 40000,
			     .mtu = 1280 };

	memcpy(s.nonce, nonce, sizeof(nonce));
	return test_ra_build(buf, &s);
}

UNIT_TEST(rs_matches_wire_bytes)
{
	static const uint8_t want[RS_LEN] = {
		0x00, 0x01, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0x00,
		0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff,
		0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xff,
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0x85, 0x00, 0x7d, 0x37, 0x00, 0x00, 0x00, 0x00,
	};
	uint8_t buf[128];

	memset(buf, 0xaa, sizeof(buf));
	CHECK_EQ(rs_build(buf, sizeof(buf), nonce), RS_LEN);
	CHECK_MEM(buf, want, RS_LEN);
	CHECK_EQ(buf[RS_LEN], 0xaa);
	CHECK_EQ(rs_build(buf, RS_LEN - 1, nonce), 0);
	CHECK_EQ(rs_build(buf, RS_LEN, nonce), RS_LEN);
}

UNIT_TEST(rs_source_text)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(AF_INET6, &rs_source, text, sizeof(text));
	CHECK(!strcmp(text, "fe80::ffff:ffff:ffff"));
}

UNIT_TEST(checksum_of_the_xp_rs)
{
	/* The cone variant's precomputed checksum (protocol.md §2.8). */
	static const struct in6_addr xp = { { { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
		0x80, 0x00, 0x54, 0x45, 0x52, 0x45, 0x44, 0x4f } } };
	static const struct in6_addr routers = { { { 0xff, 0x02, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } } };
	uint8_t rs[8] = { 0x85 };

	CHECK_EQ(icmp6_checksum(&xp, &routers, rs, 8), 0x125d);
	CHECK_EQ(icmp6_checksum(&rs_source, &routers, rs, 8), 0x7d37);
}

UNIT_TEST(ra_valid_miredo_form)
{
	struct ra_expect w = expect();
	struct ra_info ri;
	uint8_t buf[256];
	size_t len = good_ra(buf);
	char text[INET6_ADDRSTRLEN];

	CHECK_EQ(len, RA_LEN);
	CHECK_EQ(ra_parse(buf, len, &w, &ri), 0);
	CHECK_EQ(ri.mapped, ip4("198.18.0.40"));
	CHECK_EQ(ntohs(ri.mapped_port), 40000);
	CHECK_EQ(ri.mtu, 1280);
	inet_ntop(AF_INET6, &ri.prefix, text, sizeof(text));
	CHECK(!strcmp(text, "2001:0:c612:1::"));
	inet_ntop(AF_INET6, &ri.router, text, sizeof(text));
	CHECK(!strcmp(text, "fe80::8000:f227:39ed:fffe"));
}

UNIT_TEST(ra_optional_parts)
{
	struct ra_expect w = expect();
	struct ra_spec s = { .mapped = "192.0.2.45", .port = 1 };
	struct ra_info ri;
	uint8_t buf[256], big[300];
	size_t len;

	/* No MTU option: valid, mtu 0. */
	memcpy(s.nonce, nonce, 8);
	len = test_ra_build(buf, &s);
	CHECK_EQ(ra_parse(buf, len, &w, &ri), 0);
	CHECK_EQ(ri.mtu, 0);
	CHECK_EQ(ntohs(ri.mapped_port), 1);

	/* RFC 6081 trailers after the IPv6 packet are allowed. */
	len = good_ra(buf);
	buf[len] = 0x01;
	buf[len + 1] = 4;
	CHECK_EQ(ra_parse(buf, len + 6, &w, &ri), 0);

	/* An unknown option is skipped (RFC 4861 §4.6). */
	len = good_ra(buf);
	buf[IP6 + 5] += 8;
	buf[len] = 200;
	buf[len + 1] = 1;
	test_ra_fix_checksum(buf, len + 8);
	CHECK_EQ(ra_parse(buf, len + 8, &w, &ri), 0);

	/* An authentication header with id and value: the nonce follows. */
	len = good_ra(buf);
	memset(big, 0, sizeof(big));
	big[1] = 1;
	big[2] = 3;
	big[3] = 2;
	memcpy(big + 9, nonce, 8);
	memcpy(big + 18, buf + 13, len - 13);
	CHECK_EQ(ra_parse(big, len + 5, &w, &ri), 0);
	CHECK_EQ(ntohs(ri.mapped_port), 40000);
}

/* Edits one thing of a good RA, expects @err. */
struct breakage {
	const char *what;
	int err;
	size_t off;		/* byte to set... */
	uint8_t val;		/* ...to this */
	bool fix;		/* recompute the checksum afterwards */
	int cut;		/* or: bytes to remove from the end (len) */
};

UNIT_TEST(ra_refusals)
{
	static const struct breakage b[] = {
		{ .what = "wrong nonce", .err = RA_ERR_NONCE,
		  .off = AUTH + 11, .val = 0x99 },
		{ .what = "confirmation", .err = RA_ERR_CONFIRM,
		  .off = AUTH + 12, .val = 1 },
		{ .what = "no auth: ipv6 first", .err = RA_ERR_NO_AUTH,
		  .off = AUTH + 0, .val = 0x60 },
		{ .what = "no auth: 00 02", .err = RA_ERR_NO_AUTH,
		  .off = AUTH + 1, .val = 2 },
		{ .what = "no origin", .err = RA_ERR_NO_ORIGIN,
		  .off = OI + 0, .val = 0x60 },
		{ .what = "mapped 255.x", .err = RA_ERR_MAPPING,
		  .off = OI + 4, .val = 0x00 },
		{ .what = "not ipv6", .err = RA_ERR_IPV6,
		  .off = IP6 + 0, .val = 0x40 },
		{ .what = "plen too long", .err = RA_ERR_IPV6,
		  .off = IP6 + 5, .val = 57 },
		{ .what = "next header", .err = RA_ERR_NEXTHDR,
		  .off = IP6 + 6, .val = 17 },
		{ .what = "hop limit", .err = RA_ERR_HOPLIMIT,
		  .off = IP6 + 7, .val = 64 },
		{ .what = "src global", .err = RA_ERR_SRC,
		  .off = IP6 + 8, .val = 0x20 },
		{ .what = "dst", .err = RA_ERR_DST,
		  .off = IP6 + 39, .val = 0xfe },
		{ .what = "type rs", .err = RA_ERR_TYPE,
		  .off = ICMP + 0, .val = 133, .fix = true },
		{ .what = "code 1", .err = RA_ERR_TYPE,
		  .off = ICMP + 1, .val = 1, .fix = true },
		{ .what = "checksum", .err = RA_ERR_CHECKSUM,
		  .off = ICMP + 2, .val = 0 },
		{ .what = "reserved flag changes checksum", .err = RA_ERR_CHECKSUM,
		  .off = ICMP + 5, .val = 8 },
		{ .what = "zero-length option", .err = RA_ERR_OPTION,
		  .off = MTU + 1, .val = 0, .fix = true },
		{ .what = "option past end", .err = RA_ERR_OPTION,
		  .off = MTU + 1, .val = 2, .fix = true },
		{ .what = "pio length 3", .err = RA_ERR_OPTION,
		  .off = PIO + 1, .val = 3, .fix = true },
		{ .what = "mtu option length 2", .err = RA_ERR_OPTION,
		  .off = MTU + 1, .val = 2, .fix = true },
		{ .what = "prefix length 48", .err = RA_ERR_PREFIX_LEN,
		  .off = PIO + 2, .val = 48, .fix = true },
		{ .what = "other server", .err = RA_ERR_PREFIX,
		  .off = PIO + 16 + 7, .val = 2, .fix = true },
		{ .what = "not 2001:0", .err = RA_ERR_PREFIX,
		  .off = PIO + 16 + 1, .val = 2, .fix = true },
		{ .what = "3ffe:831f", .err = RA_ERR_PREFIX,
		  .off = PIO + 16 + 0, .val = 0x3f, .fix = true },
		{ .what = "mtu 1279", .err = RA_ERR_MTU,
		  .off = MTU + 6, .val = 0x04, .fix = true },
		{ .what = "mtu 65536", .err = RA_ERR_MTU,
		  .off = MTU + 5, .val = 0x01, .fix = true },
		{ .what = "no prefix", .err = RA_ERR_NO_PREFIX,
		  .off = PIO + 0, .val = 7, .fix = true },
		{ .what = "cut in auth", .err = RA_ERR_AUTH_LEN, .cut = RA_LEN - 12 },
		{ .what = "cut in oi", .err = RA_ERR_NO_ORIGIN, .cut = RA_LEN - 17 },
		{ .what = "cut in ipv6", .err = RA_ERR_IPV6, .cut = RA_LEN - 40 },
		{ .what = "cut in options", .err = RA_ERR_IPV6, .cut = 4 },
	};
	struct ra_expect w = expect();
	struct ra_info ri;
	uint8_t buf[256];
	unsigned int i;

	for (i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		size_t len = good_ra(buf);
		int got;

		if (b[i].cut) {
			len -= b[i].cut;
		} else {
			buf[b[i].off] = b[i].val;
			if (b[i].fix)
				test_ra_fix_checksum(buf, len);
		}
		got = ra_parse(buf, len, &w, &ri);
		if (got != -b[i].err)
			printf("#   %s: got %d (%s), want -%d\n", b[i].what,
			       got, ra_strerror(got), b[i].err);
		CHECK_EQ(got, -b[i].err);
	}
}

UNIT_TEST(ra_two_prefixes)
{
	struct ra_expect w = expect();
	struct ra_info ri;
	uint8_t buf[256];
	size_t len = good_ra(buf);

	/* A second copy of the PIO at the end. */
	memcpy(buf + len, buf + PIO, 32);
	buf[IP6 + 5] += 32;
	test_ra_fix_checksum(buf, len + 32);
	CHECK_EQ(ra_parse(buf, len + 32, &w, &ri), -RA_ERR_PREFIXES);
}

UNIT_TEST(ra_every_truncation_refused)
{
	struct ra_expect w = expect();
	struct ra_info ri;
	uint8_t buf[256];
	size_t len = good_ra(buf), n;

	for (n = 0; n < len; n++) {
		uint8_t copy[RA_LEN];

		/* Exactly n bytes, so ASan sees any read past them. */
		memcpy(copy, buf, n);
		CHECK(ra_parse(n ? copy : NULL, n, &w, &ri) < 0);
	}
}

UNIT_TEST(ra_strerror_words)
{
	int i, j;

	for (i = 1; i < __RA_ERR_MAX; i++) {
		CHECK(strcmp(ra_strerror(-i), "unknown error"));
		CHECK(!strcmp(ra_strerror(-i), ra_strerror(i)));
		for (j = 1; j < i; j++)
			CHECK(strcmp(ra_strerror(-i), ra_strerror(-j)));
	}
	CHECK(!strcmp(ra_strerror(-__RA_ERR_MAX), "unknown error"));
	CHECK(!strcmp(ra_strerror(-RA_ERR_NONCE), "wrong nonce"));
	CHECK(!strcmp(ra_strerror(0), "valid"));
}
