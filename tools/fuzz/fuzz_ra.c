// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for teredod's Router Advertisement validation,
 * ra_parse() in tools/teredod/ra.c, against the expectations of an RS
 * sent to server 198.18.0.1 with nonce 01 23 45 67 89 ab cd ef from
 * fe80::ffff:ffff:ffff (Miredo's source, protocol.md §2.8: the seeds use
 * it whatever teredod's rs_source is).
 *
 * Input: byte 0 is a control byte, the rest the UDP payload.  Control
 * bit 0 set: the ICMPv6 checksum is fixed up first (where the payload has
 * one), so mutations reach the option parser instead of stopping at the
 * checksum.  Invariants: an accepted RA says what the client relies on
 * (unicast mapping, our server's /64, a link-local router, MTU 0 or in
 * range); a refused one has a reason ra_strerror() knows; rs_build()
 * gives an RS with a valid checksum carrying the nonce.
 */
#include <string.h>
#include <arpa/inet.h>

#include "proto.h"
#include "ra.h"
#include "fuzz.h"

static void fix_checksum(uint8_t *p, size_t len)
{
	size_t n = teredo_auth_len(p, len), plen;
	struct in6_addr src, dst;
	uint8_t *ip6, *icmp;
	uint16_t ck;

	p += n;
	len -= n;
	if (teredo_header_type(p, len) == TEREDO_HDR_ORIGIN &&
	    len >= TEREDO_ORIGIN_LEN) {
		p += TEREDO_ORIGIN_LEN;
		len -= TEREDO_ORIGIN_LEN;
	}
	if (len < TEREDO_IPV6_HDR_LEN + 4)
		return;
	ip6 = p;
	icmp = ip6 + TEREDO_IPV6_HDR_LEN;
	plen = (size_t)ip6[4] << 8 | ip6[5];
	if (plen > len - TEREDO_IPV6_HDR_LEN || plen < 4)
		return;
	memcpy(&src, ip6 + 8, 16);
	memcpy(&dst, ip6 + 24, 16);
	icmp[2] = icmp[3] = 0;
	ck = icmp6_checksum(&src, &dst, icmp, plen);
	icmp[2] = ck >> 8;
	icmp[3] = ck & 0xff;
}

static void check_rs(const uint8_t *data, size_t size)
{
	static const struct in6_addr all_routers = { { {
		0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } } };
	uint8_t nonce[RA_NONCE_LEN] = { 0 }, rs[RS_LEN + 1];

	memcpy(nonce, data, size < sizeof(nonce) ? size : sizeof(nonce));
	FUZZ_ASSERT(rs_build(rs, RS_LEN - 1, nonce) == 0);
	FUZZ_ASSERT(rs_build(rs, sizeof(rs), nonce) == RS_LEN);
	FUZZ_ASSERT(teredo_auth_len(rs, RS_LEN) == TEREDO_AUTH_MIN_LEN);
	FUZZ_ASSERT(!memcmp(rs + 4, nonce, sizeof(nonce)));
	FUZZ_ASSERT(!icmp6_checksum(&rs_source, &all_routers,
				    rs + TEREDO_AUTH_MIN_LEN +
				    TEREDO_IPV6_HDR_LEN, 8));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nonce[RA_NONCE_LEN] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	struct ra_expect want;
	struct ra_info out;
	uint8_t *buf;
	size_t len;
	int rc;

	if (size < 1 || size > TEREDO_UDP_PAYLOAD_MAX + 1)
		return 0;
	check_rs(data + 1, size - 1);

	memset(&want, 0, sizeof(want));
	memcpy(want.nonce, nonce, sizeof(nonce));
	want.server = htonl(0xc6120001);	/* 198.18.0.1 */
	memset(&want.dst, 0xff, sizeof(want.dst));
	want.dst.s6_addr[0] = 0xfe;
	want.dst.s6_addr[1] = 0x80;
	memset(&want.dst.s6_addr[2], 0, 8);

	/* An exact copy, so ASan sees any read past the datagram. */
	len = size - 1;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, len);
	if (data[0] & 1)
		fix_checksum(buf, len);

	rc = ra_parse(buf, len, &want, &out);
	FUZZ_ASSERT(rc <= 0 && rc > -__RA_ERR_MAX);
	FUZZ_ASSERT(ra_strerror(rc) && strcmp(ra_strerror(rc), "unknown error"));
	if (!rc) {
		FUZZ_ASSERT(teredo_ipv4_is_unicast(out.mapped));
		FUZZ_ASSERT(out.mapped_port != 0);
		FUZZ_ASSERT(teredo_addr_is_teredo(&out.prefix));
		FUZZ_ASSERT(teredo_addr_server(&out.prefix) == want.server);
		FUZZ_ASSERT(!out.prefix.s6_addr32[2] &&
			    !out.prefix.s6_addr32[3]);
		FUZZ_ASSERT(out.router.s6_addr[0] == 0xfe &&
			    (out.router.s6_addr[1] & 0xc0) == 0x80);
		FUZZ_ASSERT(!out.mtu || (out.mtu >= RA_MTU_MIN &&
					 out.mtu <= RA_MTU_MAX));
	}
	free(buf);
	return 0;
}
