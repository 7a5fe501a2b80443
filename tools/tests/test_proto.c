// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/proto.h against the RFC's test vectors and Miredo's wire samples
 * (protocol.md §2).
 */
#include <arpa/inet.h>

#include "proto.h"
#include "unit.h"

static __be32 v4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return 0xdeadbeef;
	return a.s_addr;
}

static struct in6_addr v6(const char *s)
{
	struct in6_addr a;

	memset(&a, 0xee, sizeof(a));
	inet_pton(AF_INET6, s, &a);
	return a;
}

/* RFC 4380 §4 example: server 65.54.227.120, cone, port 40000. */
UNIT_TEST(addr_build_rfc_cone)
{
	struct in6_addr got, want = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");

	teredo_addr_build(&got, v4("65.54.227.120"), TEREDO_FLAG_CONE,
			  v4("192.0.2.45"), htons(40000));
	CHECK_MEM(&got, &want, sizeof(got));
}

UNIT_TEST(addr_build_rfc_not_cone)
{
	struct in6_addr got, want = v6("2001:0:4136:e378:0:63bf:3fff:fdd2");

	teredo_addr_build(&got, v4("65.54.227.120"), 0, v4("192.0.2.45"),
			  htons(40000));
	CHECK_MEM(&got, &want, sizeof(got));
}

/* Miredo on the wire: random flags 0x3065 (protocol.md §2.2, WIRE). */
UNIT_TEST(addr_build_miredo_random_flags)
{
	struct in6_addr got, want = v6("2001:0:c612:1:3065:63bf:39ed:fff5");

	teredo_addr_build(&got, v4("198.18.0.1"), 0x3065, v4("198.18.0.10"),
			  htons(40000));
	CHECK_MEM(&got, &want, sizeof(got));
}

UNIT_TEST(addr_parse)
{
	struct in6_addr a = v6("2001:0:4136:e378:8000:63bf:3fff:fdd2");

	CHECK(teredo_addr_is_teredo(&a));
	CHECK_EQ(teredo_addr_server(&a), v4("65.54.227.120"));
	CHECK_EQ(teredo_addr_flags(&a), TEREDO_FLAG_CONE);
	CHECK_EQ(teredo_addr_port(&a), htons(40000));
	CHECK_EQ(teredo_addr_mapped(&a), v4("192.0.2.45"));
}

UNIT_TEST(addr_not_teredo)
{
	struct in6_addr native = v6("2001:db8::1");
	struct in6_addr six_to_four = v6("2002:c000:22d::1");
	struct in6_addr old_prefix = v6("3ffe:831f:4136:e378::1");

	CHECK(!teredo_addr_is_teredo(&native));
	CHECK(!teredo_addr_is_teredo(&six_to_four));
	CHECK(!teredo_addr_is_teredo(&old_prefix));
}

UNIT_TEST(addr_roundtrip_extremes)
{
	static const char *const maps[] = { "1.0.0.0", "223.255.255.254",
					    "192.0.2.1" };
	static const unsigned int ports[] = { 1, 3544, 65535 };
	struct in6_addr a;
	size_t i, j;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		for (j = 0; j < sizeof(ports) / sizeof(ports[0]); j++) {
			teredo_addr_build(&a, v4("192.0.2.7"),
					  TEREDO_FLAG_RANDOM, v4(maps[i]),
					  htons(ports[j]));
			CHECK_EQ(teredo_addr_mapped(&a), v4(maps[i]));
			CHECK_EQ(teredo_addr_port(&a), htons(ports[j]));
			CHECK_EQ(teredo_addr_flags(&a), TEREDO_FLAG_RANDOM);
			CHECK_EQ(teredo_addr_server(&a), v4("192.0.2.7"));
		}
	}
}

/* RFC 4380 §5.1.1: port 337 and 1.2.3.4 give 00 00 fe ae fe fd fc fb. */
UNIT_TEST(origin_build_rfc)
{
	static const unsigned char want[] = { 0x00, 0x00, 0xfe, 0xae,
					      0xfe, 0xfd, 0xfc, 0xfb };
	struct teredo_origin oi;

	CHECK_EQ(sizeof(oi), TEREDO_ORIGIN_LEN);
	teredo_origin_build(&oi, v4("1.2.3.4"), htons(337));
	CHECK_MEM(&oi, want, sizeof(want));
}

UNIT_TEST(origin_parse_rfc)
{
	static const unsigned char wire[] = { 0x00, 0x00, 0xfe, 0xae,
					      0xfe, 0xfd, 0xfc, 0xfb };
	struct teredo_origin oi;
	__be32 addr;
	__be16 port;

	memcpy(&oi, wire, sizeof(oi));
	teredo_origin_parse(&oi, &addr, &port);
	CHECK_EQ(addr, v4("1.2.3.4"));
	CHECK_EQ(port, htons(337));
}

UNIT_TEST(header_type)
{
	static const unsigned char ipv6[] = { 0x60, 0x00 };
	static const unsigned char auth[] = { 0x00, 0x01 };
	static const unsigned char origin[] = { 0x00, 0x00 };
	static const unsigned char unknown[] = { 0x00, 0x02 };
	static const unsigned char ipv4[] = { 0x45, 0x00 };

	CHECK_EQ(teredo_header_type(ipv6, 2), TEREDO_HDR_IPV6);
	CHECK_EQ(teredo_header_type(ipv6, 1), TEREDO_HDR_IPV6);
	CHECK_EQ(teredo_header_type(auth, 2), TEREDO_HDR_AUTH);
	CHECK_EQ(teredo_header_type(origin, 2), TEREDO_HDR_ORIGIN);
	CHECK_EQ(teredo_header_type(unknown, 2), TEREDO_HDR_INVALID);
	CHECK_EQ(teredo_header_type(ipv4, 2), TEREDO_HDR_INVALID);
	CHECK_EQ(teredo_header_type(origin, 1), TEREDO_HDR_INVALID);
	CHECK_EQ(teredo_header_type(origin, 0), TEREDO_HDR_INVALID);
}

UNIT_TEST(auth_len)
{
	unsigned char hdr[32] = { 0x00, 0x01, 0x00, 0x00 };

	CHECK_EQ(teredo_auth_len(hdr, 13), 13);
	CHECK_EQ(teredo_auth_len(hdr, 12), 0);
	hdr[2] = 2;
	hdr[3] = 3;
	CHECK_EQ(teredo_auth_len(hdr, 18), 18);
	CHECK_EQ(teredo_auth_len(hdr, 17), 0);
	CHECK_EQ(teredo_auth_len(hdr, 32), 18);
	hdr[1] = 0;
	CHECK_EQ(teredo_auth_len(hdr, 32), 0);
}

/* RFC 4380 §5.2.4's list, with Miredo's reading of the rest as global. */
UNIT_TEST(ipv4_global)
{
	static const char *const global[] = {
		"8.8.8.8", "192.0.2.1", "198.18.0.1", "198.19.255.254",
		"100.64.0.1", "172.15.255.255", "172.32.0.1", "203.0.113.9",
		"1.0.0.1", "223.255.255.255",
	};
	static const char *const other[] = {
		"0.0.0.0", "0.1.2.3", "10.1.2.3", "127.0.0.1", "172.16.0.1",
		"172.31.255.255", "192.168.1.1", "169.254.1.1",
		"192.88.99.1", "224.0.0.1", "239.255.255.255", "240.0.0.1",
		"255.255.255.255",
	};
	size_t i;

	for (i = 0; i < sizeof(global) / sizeof(global[0]); i++) {
		if (!teredo_ipv4_is_global(v4(global[i])))
			printf("#   %s should be global\n", global[i]);
		CHECK(teredo_ipv4_is_global(v4(global[i])));
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		if (teredo_ipv4_is_global(v4(other[i])))
			printf("#   %s should not be global\n", other[i]);
		CHECK(!teredo_ipv4_is_global(v4(other[i])));
	}
}

UNIT_TEST(ipv4_unicast)
{
	CHECK(teredo_ipv4_is_unicast(v4("10.0.0.1")));
	CHECK(teredo_ipv4_is_unicast(v4("192.0.2.1")));
	CHECK(teredo_ipv4_is_unicast(v4("223.255.255.255")));
	CHECK(!teredo_ipv4_is_unicast(v4("0.0.0.0")));
	CHECK(!teredo_ipv4_is_unicast(v4("127.0.0.1")));
	CHECK(!teredo_ipv4_is_unicast(v4("224.0.0.1")));
	CHECK(!teredo_ipv4_is_unicast(v4("240.0.0.1")));
	CHECK(!teredo_ipv4_is_unicast(v4("255.255.255.255")));
}

/* RFC 6081 §4.2, §4.3: what a client reads, and what it builds. */
UNIT_TEST(trailers_nonce_and_alternates)
{
	static const unsigned char nonce[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	__be32 addr[2] = { v4("10.0.1.2"), v4("192.0.2.9") };
	__be16 port[2] = { htons(40001), htons(3544) };
	unsigned char buf[TEREDO_TRAILERS_MAX + 8];
	struct teredo_trailers tr;
	size_t n;

	n = teredo_trailer_nonce_build(buf, nonce);
	CHECK_EQ(n, 6);
	CHECK(!memcmp(buf, "\x01\x04\xa1\xb2\xc3\xd4", 6));
	n += teredo_trailer_alt_build(buf + n, addr, port, 1);
	CHECK_EQ(n, 16);
	CHECK(!memcmp(buf + 6, "\x03\x08\x00\x00\x0a\x00\x01\x02\x9c\x41",
		      10));
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK(tr.has_nonce);
	CHECK(!memcmp(tr.nonce, nonce, 4));
	CHECK_EQ(tr.nalt, 1);
	CHECK_EQ(tr.alt_addr[0], addr[0]);
	CHECK_EQ(tr.alt_port[0], port[0]);
	/* Two entries: 14 bytes, the most we send. */
	n = teredo_trailer_alt_build(buf, addr, port, 2);
	CHECK_EQ(n, 16);
	CHECK(n <= TEREDO_TRAILERS_MAX - 6);
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK(!tr.has_nonce);
	CHECK_EQ(tr.nalt, 2);
	CHECK_EQ(tr.alt_port[1], port[1]);
	/* A port 0, a list of 10 bytes, one of 32: no alternates. */
	port[1] = 0;
	n = teredo_trailer_alt_build(buf, addr, port, 2);
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK_EQ(tr.nalt, 0);
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x03\x0a\0\0\x0a\0\x01\x02\x9c\x41\0\0",
				     12, &tr));
	CHECK_EQ(tr.nalt, 0);
	memset(buf, 0, sizeof(buf));
	buf[0] = 3;
	buf[1] = 32;
	CHECK(!teredo_trailers_parse(buf, 34, &tr));
	CHECK_EQ(tr.nalt, 0);
	/* A nonce of 3 bytes, two nonces: no nonce. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x01\x03\xa1\xb2\xc3", 5, &tr));
	CHECK(!tr.has_nonce);
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x01\x04\xa1\xb2\xc3\xd4\x01\x04\xa1\xb2\xc3\xd4",
				     12, &tr));
	CHECK(!tr.has_nonce);
	/* A discard type after a nonce; one cut short is not a trailer. */
	CHECK(teredo_trailers_parse((const unsigned char *)
				    "\x01\x04\xa1\xb2\xc3\xd4\x41\x00", 8, &tr));
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x01\x04\xa1\xb2\xc3\xd4\x41\x02\x00", 9,
				     &tr));
	CHECK(tr.has_nonce);
}

/* RFC 6081 §4.4: the Neighbor Discovery Option of §5.7. */
UNIT_TEST(trailers_nd_option)
{
	static const unsigned char nonce[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	unsigned char buf[32];
	struct teredo_trailers tr;
	size_t n;

	n = teredo_trailer_nd_build(buf, TEREDO_ND_WIRE_SOLICITATION);
	CHECK_EQ(n, 6);
	CHECK(!memcmp(buf, "\x04\x04\x00\x00\x00\x00", 6));
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_SOLICIT);
	CHECK(!tr.has_nonce);
	CHECK_EQ(tr.nalt, 0);
	n = teredo_trailer_nd_build(buf, TEREDO_ND_WIRE_ADVERTISEMENT);
	CHECK(!memcmp(buf, "\x04\x04\x01\x00\x00\x00", 6));
	/* With a nonce after it: both read. */
	n += teredo_trailer_nonce_build(buf + n, nonce);
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_ADVERT);
	CHECK(tr.has_nonce);
	/* Reserved bytes are not looked at. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x04\x04\x01\xff\xff\xff", 6, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_ADVERT);
	/* An unknown DiscoveryType: the trailer says nothing. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x04\x04\x02\x00\x00\x00", 6, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_NONE);
	/* 3 bytes, 5 bytes: not the option. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x04\x03\x00\x00\x00", 5, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_NONE);
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x04\x05\x00\x00\x00\x00\x00", 7,
				     &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_NONE);
	/* Cut short (4 said, 2 left): parsing stops, nothing read. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x04\x04\x00\x00", 4, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_NONE);
	/* Twice, even the same: neither counts. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x04\x04\x00\x00\x00\x00"
				     "\x04\x04\x00\x00\x00\x00", 12, &tr));
	CHECK_EQ(tr.nd, TEREDO_ND_NONE);
	/* A solicitation before a discard type: discarded all the same. */
	CHECK(teredo_trailers_parse((const unsigned char *)
				    "\x04\x04\x00\x00\x00\x00\x41\x00", 8,
				    &tr));
}

/*
 * The port a packet's trailers give (@bytes, @len), host order; 0 for
 * none, -1 if they discard the packet.
 */
static int random_port_of(const char *bytes, size_t len)
{
	struct teredo_trailers tr;

	if (teredo_trailers_parse((const unsigned char *)bytes, len, &tr))
		return -1;
	return ntohs(tr.random_port);
}

/*
 * RFC 6081 §4.5, §5.4: the Random Port trailer, of type 0x02 (the IANA
 * section) or 0x05 (the §4.5 text), read alike.
 */
UNIT_TEST(trailers_random_port)
{
	static const unsigned char nonce[4] = { 0xa1, 0xb2, 0xc3, 0xd4 };
	unsigned char buf[32];
	struct teredo_trailers tr;
	size_t n;

	n = teredo_trailer_random_port_build(buf, TEREDO_TRAILER_RANDOM_PORT,
					     htons(40001));
	CHECK_EQ(n, 4);
	CHECK(!memcmp(buf, "\x05\x02\x9c\x41", 4));
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK_EQ(tr.random_port, htons(40001));
	CHECK(!tr.has_nonce);
	CHECK_EQ(tr.nd, TEREDO_ND_NONE);
	CHECK_EQ(tr.nalt, 0);
	/* The IANA type, after a nonce: both read. */
	n = teredo_trailer_nonce_build(buf, nonce);
	n += teredo_trailer_random_port_build(buf + n,
					      TEREDO_TRAILER_RANDOM_PORT_IANA,
					      htons(3545));
	CHECK(!memcmp(buf + 6, "\x02\x02\x0d\xd9", 4));
	CHECK(!teredo_trailers_parse(buf, n, &tr));
	CHECK_EQ(tr.random_port, htons(3545));
	CHECK(tr.has_nonce);
	/* Port 0: none. */
	CHECK_EQ(random_port_of("\x05\x02\x00\x00", 4), 0);
	CHECK_EQ(random_port_of("\x02\x02\x00\x00", 4), 0);
	/* 1 byte, 3 bytes, of either type: not the trailer. */
	CHECK_EQ(random_port_of("\x05\x01\x9c", 3), 0);
	CHECK_EQ(random_port_of("\x05\x03\x9c\x41\x00", 5), 0);
	CHECK_EQ(random_port_of("\x02\x03\x9c\x41\x00", 5), 0);
	/* ...and what follows a wrong length is still read. */
	CHECK(!teredo_trailers_parse((const unsigned char *)
				     "\x02\x03\x9c\x41\x00"
				     "\x01\x04\xa1\xb2\xc3\xd4", 11, &tr));
	CHECK_EQ(tr.random_port, 0);
	CHECK(tr.has_nonce);
	/* Cut short (2 said, 1 left): parsing stops, nothing read. */
	CHECK_EQ(random_port_of("\x05\x02\x9c", 3), 0);
	/* Twice, even the same, or one of each type: none counts. */
	CHECK_EQ(random_port_of("\x05\x02\x9c\x41\x05\x02\x9c\x41", 8), 0);
	CHECK_EQ(random_port_of("\x02\x02\x9c\x41\x05\x02\x9c\x42", 8), 0);
	/* Before a discard type: discarded all the same. */
	CHECK_EQ(random_port_of("\x05\x02\x9c\x41\x41\x00", 6), -1);
}

UNIT_TEST(bubble)
{
	unsigned char pkt[48] = { 0x60, 0, 0, 0, 0, 0, 59, 0 };

	CHECK(teredo_is_bubble(pkt, 40));
	CHECK(teredo_is_bubble(pkt, 48));
	CHECK(!teredo_is_bubble(pkt, 39));
	pkt[6] = 58;
	CHECK(!teredo_is_bubble(pkt, 40));
	pkt[6] = 59;
	pkt[5] = 8;
	CHECK(!teredo_is_bubble(pkt, 48));
	pkt[5] = 0;
	pkt[0] = 0x40;
	CHECK(!teredo_is_bubble(pkt, 40));
}
