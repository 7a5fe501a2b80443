/* SPDX-License-Identifier: GPL-2.0 */
/* RAs as miredo-server sends them (protocol.md §2.9), for the tests. */
#ifndef _TEREDOD_TEST_LIB_H
#define _TEREDOD_TEST_LIB_H

#include <stddef.h>
#include <stdint.h>

#include "ra.h"

enum { RA_LEN = 117 };	/* auth 13 + OI 8 + IPv6 40 + RA 16 + PIO 32 + MTU 8 */

struct ra_spec {
	uint8_t nonce[RA_NONCE_LEN];
	const char *mapped;	/* "198.18.0.40" */
	uint16_t port;		/* host order */
	const char *server;	/* prefix 2001:0:<server>:: */
	uint32_t mtu;		/* 0: no MTU option */
};

/* Writes the RA into @buf (>= 256 bytes), returns its length. */
size_t test_ra_build(uint8_t *buf, const struct ra_spec *s);
/* Recomputes the ICMPv6 checksum of an RA built above after an edit. */
void test_ra_fix_checksum(uint8_t *buf, size_t len);
__be32 ip4(const char *s);

#endif /* _TEREDOD_TEST_LIB_H */
