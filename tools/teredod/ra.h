/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Router Solicitation and Router Advertisement as a Teredo client sends
 * and receives them (RFC 4380 §5.2.1, protocol.md §2.8, §2.9): pure
 * functions over byte buffers, no system calls.
 *
 *   RS  = auth (13, nonce) | IPv6 fe80::ffff:ffff:ffff -> ff02::2 | RS
 *   RA  = auth (nonce echoed) | origin indication | IPv6 | RA | options
 */
#ifndef _TEREDOD_RA_H
#define _TEREDOD_RA_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/types.h>

enum {
	RA_NONCE_LEN = 8,
	RS_LEN = 61,		/* 13 auth + 40 IPv6 + 8 ICMPv6 */
	RA_MTU_MIN = 1280,	/* RFC 4380 §5.1.2: the IPv6 minimum */
	/* The largest IPv6 packet one UDP/IPv4 datagram carries (RFC 4380
	 * §5.1.2: no fragmentation of the inner packet), the device's
	 * max_mtu; Miredo takes up to 65535 and cannot use the rest. */
	RA_MTU_MAX = 65507,
};

/* The source of our RS and the destination of the RA (Miredo's choice). */
extern const struct in6_addr rs_source;

/* Why an RA was refused; ra_strerror() says it in words. */
enum ra_error {
	RA_OK = 0,
	RA_ERR_NO_AUTH = 1,	/* no authentication header */
	RA_ERR_AUTH_LEN,	/* authentication header cut short */
	RA_ERR_NONCE,		/* nonce is not the one we sent */
	RA_ERR_CONFIRM,		/* confirmation byte not 0 */
	RA_ERR_NO_ORIGIN,	/* no origin indication */
	RA_ERR_MAPPING,		/* origin indication: not a unicast IPv4 */
	RA_ERR_IPV6,		/* no IPv6 packet, or it is cut short */
	RA_ERR_NEXTHDR,		/* IPv6 next header is not ICMPv6 */
	RA_ERR_HOPLIMIT,	/* hop limit not 255 (RFC 4861 §6.1.2) */
	RA_ERR_SRC,		/* IPv6 source not link-local */
	RA_ERR_DST,		/* IPv6 destination not our RS source */
	RA_ERR_TYPE,		/* not an RA, or code not 0, or too short */
	RA_ERR_CHECKSUM,	/* ICMPv6 checksum wrong */
	RA_ERR_OPTION,		/* malformed option (zero or past the end) */
	RA_ERR_NO_PREFIX,	/* no prefix information option */
	RA_ERR_PREFIXES,	/* more than one prefix */
	RA_ERR_PREFIX_LEN,	/* prefix length not 64 */
	RA_ERR_PREFIX,		/* prefix not 2001:0:<our server>::/64 */
	RA_ERR_MTU,		/* MTU option outside 1280..65507 */
	/* Checked by the caller on the datagram's outer header. */
	RA_ERR_SOURCE_PORT,	/* UDP source port not 3544 */
	RA_ERR_SOURCE,		/* not from the address we solicited */
	__RA_ERR_MAX
};

/* What the RA must match. */
struct ra_expect {
	uint8_t nonce[RA_NONCE_LEN];	/* of the RS it answers */
	__be32 server;			/* primary server: 2001:0:<server>::/64 */
	struct in6_addr dst;		/* the RS source (rs_source) */
};

/* What a valid RA says. */
struct ra_info {
	__be32 mapped;			/* origin indication: NAT's public IPv4 */
	__be16 mapped_port;		/* and port */
	struct in6_addr prefix;		/* 2001:0:<server>:: */
	struct in6_addr router;		/* the server's link-local source */
	uint32_t mtu;			/* MTU option, 0 when absent */
};

/* Writes the 61-byte RS into @buf; returns its length, 0 if too small. */
size_t rs_build(uint8_t *buf, size_t size, const uint8_t nonce[RA_NONCE_LEN]);

/*
 * Validates the UDP payload @buf as an RA answering @want; fills @out.
 * Returns 0 or -enum ra_error.
 */
int ra_parse(const uint8_t *buf, size_t len, const struct ra_expect *want,
	     struct ra_info *out);

/* "wrong nonce" for -RA_ERR_NONCE (or RA_ERR_NONCE); never NULL. */
const char *ra_strerror(int err);

/* ICMPv6 checksum of @len bytes at @icmp between @src and @dst. */
uint16_t icmp6_checksum(const struct in6_addr *src, const struct in6_addr *dst,
			const uint8_t *icmp, size_t len);

#endif /* _TEREDOD_RA_H */
