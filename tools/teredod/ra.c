// SPDX-License-Identifier: GPL-2.0
/*
 * RS building and RA validation (RFC 4380 §5.2.1, RFC 4861 §4.2, §6.1.2;
 * protocol.md §2.8, §2.9).  The checks are stricter than Miredo's client
 * where RFC 4861 asks for it (hop limit 255, link-local source, ICMPv6
 * checksum) and as strict where it matters for interop: nonce, origin
 * indication, exactly one /64 prefix for our server.
 */
#include <string.h>
#include <arpa/inet.h>

#include "proto.h"
#include "ra.h"

enum {
	ICMP6_RS = 133,
	ICMP6_RA = 134,
	RA_FIXED_LEN = 16,	/* type code cksum hlim flags life reach retrans */
	OPT_PREFIX = 3,
	OPT_MTU = 5,
	IPPROTO_ICMP6 = 58,
};

/* fe80::ffff:ffff:ffff */
const struct in6_addr rs_source = { { {
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
} } };

static const struct in6_addr all_routers = { { {
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 } } };

static const char *const ra_errors[__RA_ERR_MAX] = {
	[RA_OK]			= "valid",
	[RA_ERR_NO_AUTH]	= "no authentication header",
	[RA_ERR_AUTH_LEN]	= "authentication header cut short",
	[RA_ERR_NONCE]		= "wrong nonce",
	[RA_ERR_CONFIRM]	= "confirmation byte not zero",
	[RA_ERR_NO_ORIGIN]	= "no origin indication",
	[RA_ERR_MAPPING]	= "origin indication is not a unicast address",
	[RA_ERR_IPV6]		= "no complete IPv6 packet",
	[RA_ERR_NEXTHDR]	= "not ICMPv6",
	[RA_ERR_HOPLIMIT]	= "hop limit not 255",
	[RA_ERR_SRC]		= "IPv6 source not link-local",
	[RA_ERR_DST]		= "IPv6 destination is not our solicitation's source",
	[RA_ERR_TYPE]		= "not a router advertisement",
	[RA_ERR_CHECKSUM]	= "bad ICMPv6 checksum",
	[RA_ERR_OPTION]		= "malformed option",
	[RA_ERR_NO_PREFIX]	= "no prefix",
	[RA_ERR_PREFIXES]	= "more than one prefix",
	[RA_ERR_PREFIX_LEN]	= "prefix length not 64",
	[RA_ERR_PREFIX]		= "prefix not 2001:0:<server>::/64 of our server",
	[RA_ERR_MTU]		= "MTU outside 1280..65507",
	[RA_ERR_SOURCE_PORT]	= "source port not 3544",
	[RA_ERR_SOURCE]		= "not from the address solicited",
};

const char *ra_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= __RA_ERR_MAX || !ra_errors[err])
		return "unknown error";
	return ra_errors[err];
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			const uint8_t *icmp, size_t len)
{
	uint32_t sum = 0;

	sum = sum16(sum, src->s6_addr, 16);
	sum = sum16(sum, dst->s6_addr, 16);
	sum += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
	sum += IPPROTO_ICMP6;
	sum = sum16(sum, icmp, len);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t rs_build(uint8_t *buf, size_t size, const uint8_t nonce[RA_NONCE_LEN])
{
	uint8_t *ip6 = buf + TEREDO_AUTH_MIN_LEN;
	uint8_t *icmp = ip6 + TEREDO_IPV6_HDR_LEN;
	uint16_t ck;

	if (size < RS_LEN)
		return 0;
	memset(buf, 0, RS_LEN);
	/* Authentication: 00 01, no id, no value, nonce, confirmation 0. */
	buf[1] = 1;
	memcpy(buf + 4, nonce, RA_NONCE_LEN);
	/* IPv6: payload 8, ICMPv6, hop limit 255. */
	ip6[0] = 0x60;
	ip6[5] = 8;
	ip6[6] = IPPROTO_ICMP6;
	ip6[7] = 255;
	memcpy(ip6 + 8, &rs_source, 16);
	memcpy(ip6 + 24, &all_routers, 16);
	/* Router Solicitation without options (Vista form, protocol.md §2.8). */
	icmp[0] = ICMP6_RS;
	ck = icmp6_checksum(&rs_source, &all_routers, icmp, 8);
	icmp[2] = ck >> 8;
	icmp[3] = ck & 0xff;
	return RS_LEN;
}

static int parse_options(const uint8_t *opt, size_t len,
			 const struct ra_expect *want, struct ra_info *out)
{
	const uint8_t *pio = NULL;
	size_t off = 0, olen;

	while (off < len) {
		if (len - off < 2 || !opt[off + 1])
			return -RA_ERR_OPTION;
		olen = (size_t)opt[off + 1] * 8;
		if (olen > len - off)
			return -RA_ERR_OPTION;
		switch (opt[off]) {
		case OPT_PREFIX:
			if (olen != 32)
				return -RA_ERR_OPTION;
			if (pio)
				return -RA_ERR_PREFIXES;
			pio = opt + off;
			break;
		case OPT_MTU:
			if (olen != 8)
				return -RA_ERR_OPTION;
			out->mtu = (uint32_t)opt[off + 4] << 24 |
				   (uint32_t)opt[off + 5] << 16 |
				   (uint32_t)opt[off + 6] << 8 | opt[off + 7];
			if (out->mtu < RA_MTU_MIN || out->mtu > RA_MTU_MAX)
				return -RA_ERR_MTU;
			break;
		default:	/* RFC 4861 §4.6: ignore unknown options */
			break;
		}
		off += olen;
	}
	if (!pio)
		return -RA_ERR_NO_PREFIX;
	if (pio[2] != 64)
		return -RA_ERR_PREFIX_LEN;
	/* Only the first 64 bits are the prefix; the rest is ignored. */
	memset(&out->prefix, 0, sizeof(out->prefix));
	memcpy(&out->prefix, pio + 16, 8);
	if (!teredo_addr_is_teredo(&out->prefix) ||
	    teredo_addr_server(&out->prefix) != want->server)
		return -RA_ERR_PREFIX;
	return 0;
}

int ra_parse(const uint8_t *buf, size_t len, const struct ra_expect *want,
	     struct ra_info *out)
{
	struct teredo_origin oi;
	const uint8_t *ip6, *icmp;
	struct in6_addr src, dst;
	size_t auth, plen;

	memset(out, 0, sizeof(*out));

	/* Authentication header, nonce-only or not: the nonce follows id/au. */
	if (teredo_header_type(buf, len) != TEREDO_HDR_AUTH)
		return -RA_ERR_NO_AUTH;
	auth = teredo_auth_len(buf, len);
	if (!auth)
		return -RA_ERR_AUTH_LEN;
	if (memcmp(buf + auth - 9, want->nonce, RA_NONCE_LEN))
		return -RA_ERR_NONCE;
	if (buf[auth - 1])
		return -RA_ERR_CONFIRM;
	buf += auth;
	len -= auth;

	if (teredo_header_type(buf, len) != TEREDO_HDR_ORIGIN ||
	    len < TEREDO_ORIGIN_LEN)
		return -RA_ERR_NO_ORIGIN;
	memcpy(&oi, buf, sizeof(oi));
	teredo_origin_parse(&oi, &out->mapped, &out->mapped_port);
	if (!teredo_ipv4_is_unicast(out->mapped) || !out->mapped_port)
		return -RA_ERR_MAPPING;
	buf += TEREDO_ORIGIN_LEN;
	len -= TEREDO_ORIGIN_LEN;

	/* IPv6; RFC 6081 trailers may follow the packet. */
	ip6 = buf;
	if (len < TEREDO_IPV6_HDR_LEN || ip6[0] >> 4 != 6)
		return -RA_ERR_IPV6;
	plen = (size_t)ip6[4] << 8 | ip6[5];
	if (plen > len - TEREDO_IPV6_HDR_LEN)
		return -RA_ERR_IPV6;
	if (ip6[6] != IPPROTO_ICMP6)
		return -RA_ERR_NEXTHDR;
	if (ip6[7] != 255)
		return -RA_ERR_HOPLIMIT;
	memcpy(&src, ip6 + 8, 16);
	memcpy(&dst, ip6 + 24, 16);
	if (src.s6_addr[0] != 0xfe || (src.s6_addr[1] & 0xc0) != 0x80)
		return -RA_ERR_SRC;
	if (memcmp(&dst, &want->dst, sizeof(dst)))
		return -RA_ERR_DST;

	icmp = ip6 + TEREDO_IPV6_HDR_LEN;
	if (plen < RA_FIXED_LEN || icmp[0] != ICMP6_RA || icmp[1] != 0)
		return -RA_ERR_TYPE;
	if (icmp6_checksum(&src, &dst, icmp, plen))
		return -RA_ERR_CHECKSUM;
	out->router = src;
	return parse_options(icmp + RA_FIXED_LEN, plen - RA_FIXED_LEN, want,
			     out);
}
