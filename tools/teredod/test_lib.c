// SPDX-License-Identifier: GPL-2.0
#include <string.h>
#include <arpa/inet.h>

#include "proto.h"
#include "test_lib.h"

__be32 ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* The IPv6 packet starts after auth (13) and OI (8). */
enum { IP6 = 21, ICMP = IP6 + 40 };

void test_ra_fix_checksum(uint8_t *buf, size_t len)
{
	struct in6_addr src, dst;
	size_t plen = (size_t)buf[IP6 + 4] << 8 | buf[IP6 + 5];
	uint16_t ck;

	(void)len;
	memcpy(&src, buf + IP6 + 8, 16);
	memcpy(&dst, buf + IP6 + 24, 16);
	buf[ICMP + 2] = buf[ICMP + 3] = 0;
	ck = icmp6_checksum(&src, &dst, buf + ICMP, plen);
	buf[ICMP + 2] = ck >> 8;
	buf[ICMP + 3] = ck & 0xff;
}

size_t test_ra_build(uint8_t *buf, const struct ra_spec *s)
{
	struct teredo_origin oi;
	__be32 server = ip4(s->server ? s->server : "198.18.0.1");
	uint8_t *p;
	size_t plen = 16 + 32 + (s->mtu ? 8 : 0);

	memset(buf, 0, 256);
	buf[1] = 1;
	memcpy(buf + 4, s->nonce, RA_NONCE_LEN);
	teredo_origin_build(&oi, ip4(s->mapped), htons(s->port));
	memcpy(buf + 13, &oi, sizeof(oi));

	p = buf + IP6;
	p[0] = 0x60;
	p[4] = plen >> 8;
	p[5] = plen & 0xff;
	p[6] = 58;
	p[7] = 255;
	/* fe80::8000:f227:<~server> (RFC 4380 §5.3.2) */
	p[8] = 0xfe;
	p[9] = 0x80;
	p[16] = 0x80;
	p[18] = 0xf2;
	p[19] = 0x27;
	memcpy(p + 20, &server, 4);
	p[20] ^= 0xff;
	p[21] ^= 0xff;
	p[22] ^= 0xff;
	p[23] ^= 0xff;
	memcpy(p + 24, &rs_source, 16);

	p = buf + ICMP;
	p[0] = 134;
	p[10] = 0;		/* retrans timer 2000 ms */
	p[14] = 0x07;
	p[15] = 0xd0;
	p += 16;
	p[0] = 3;		/* prefix information */
	p[1] = 4;
	p[2] = 64;
	p[3] = 0x40;
	memset(p + 4, 0xff, 8);
	p[16] = 0x20;
	p[17] = 0x01;
	memcpy(p + 20, &server, 4);
	if (s->mtu) {
		p += 32;
		p[0] = 5;
		p[1] = 1;
		p[4] = s->mtu >> 24;
		p[5] = s->mtu >> 16;
		p[6] = s->mtu >> 8;
		p[7] = s->mtu;
	}
	test_ra_fix_checksum(buf, ICMP + plen);
	return ICMP + plen;
}
