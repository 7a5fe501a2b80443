// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the wire-format helpers of kernel/proto.h, fed a
 * UDP payload as the receive path sees it: classification, the
 * authentication header's length, the origin indication, the IPv6 header
 * behind them (bubble or not), the Teredo addresses in it and the RFC 6081
 * trailers after it.  Checks the
 * invariants that tie the helpers together and that build(parse(x)) == x
 * where a builder exists.
 */
#include <string.h>
#include <arpa/inet.h>

#include "proto.h"
#include "fuzz.h"

static void check_addr(const struct in6_addr *a)
{
	struct in6_addr b;
	__be32 server = teredo_addr_server(a), mapped = teredo_addr_mapped(a);
	__be16 port = teredo_addr_port(a);
	__u16 flags = teredo_addr_flags(a);

	FUZZ_ASSERT(teredo_addr_is_teredo(a) ==
		    (a->s6_addr[0] == 0x20 && a->s6_addr[1] == 0x01 &&
		     a->s6_addr[2] == 0 && a->s6_addr[3] == 0));
	teredo_addr_build(&b, server, flags, mapped, port);
	FUZZ_ASSERT(teredo_addr_is_teredo(&b));
	FUZZ_ASSERT(!memcmp(&b.s6_addr[4], &a->s6_addr[4], 12));
	FUZZ_ASSERT(teredo_addr_server(&b) == server);
	FUZZ_ASSERT(teredo_addr_flags(&b) == flags);
	FUZZ_ASSERT(teredo_addr_port(&b) == port);
	FUZZ_ASSERT(teredo_addr_mapped(&b) == mapped);
	if (teredo_addr_is_teredo(a))
		FUZZ_ASSERT(!memcmp(&b, a, sizeof(b)));
}

static void check_ipv4(__be32 addr, unsigned int len)
{
	__u32 net = ntohl(addr);

	/* Global is a subset of unicast; a host is inside its own /len. */
	if (teredo_ipv4_is_global(addr))
		FUZZ_ASSERT(teredo_ipv4_is_unicast(addr));
	len %= 33;
	net &= len ? ~0U << (32 - len) : 0;
	FUZZ_ASSERT(teredo_ipv4_in(addr, net, len));
	FUZZ_ASSERT(teredo_ipv4_in(addr, 0, 0));
}

/*
 * What a client reads of them: the same discard verdict; at most 4
 * alternates, none with port 0; a neighbor discovery option that is a
 * solicitation or an advertisement, or none; a random port not 0, or
 * none; each rebuilt and parsed again gives the same (a lone nonce, a
 * lone list, a lone option, a lone port).
 */
static void check_trailers_parse(const __u8 *p, size_t len, bool whole)
{
	__u8 buf[2 + TEREDO_ALT_RESERVED + TEREDO_ALT_MAX * TEREDO_ALT_ENTRY];
	struct teredo_trailers tr, back;
	size_t i, n;

	FUZZ_ASSERT(teredo_trailers_parse(p, len, &tr) == whole);
	if (whole)
		return;
	FUZZ_ASSERT(tr.nalt <= TEREDO_ALT_MAX);
	for (i = 0; i < tr.nalt; i++)
		FUZZ_ASSERT(tr.alt_port[i]);
	FUZZ_ASSERT(tr.nd == TEREDO_ND_NONE || tr.nd == TEREDO_ND_SOLICIT ||
		    tr.nd == TEREDO_ND_ADVERT);
	if (tr.random_port) {
		n = teredo_trailer_random_port_build(buf,
						     TEREDO_TRAILER_RANDOM_PORT,
						     tr.random_port);
		FUZZ_ASSERT(!teredo_trailers_parse(buf, n, &back));
		FUZZ_ASSERT(back.random_port == tr.random_port &&
			    !back.has_nonce && !back.nalt && !back.nd);
	}
	if (tr.nd) {
		n = teredo_trailer_nd_build(buf, tr.nd == TEREDO_ND_SOLICIT ?
					    TEREDO_ND_WIRE_SOLICITATION :
					    TEREDO_ND_WIRE_ADVERTISEMENT);
		FUZZ_ASSERT(!teredo_trailers_parse(buf, n, &back));
		FUZZ_ASSERT(back.nd == tr.nd && !back.has_nonce && !back.nalt);
	}
	if (tr.has_nonce) {
		n = teredo_trailer_nonce_build(buf, tr.nonce);
		FUZZ_ASSERT(!teredo_trailers_parse(buf, n, &back));
		FUZZ_ASSERT(back.has_nonce && !back.nalt && !back.nd);
		FUZZ_ASSERT(!memcmp(back.nonce, tr.nonce, TEREDO_NONCE_LEN));
	}
	if (tr.nalt) {
		n = teredo_trailer_alt_build(buf, tr.alt_addr, tr.alt_port,
					     tr.nalt);
		FUZZ_ASSERT(n <= sizeof(buf));
		FUZZ_ASSERT(!teredo_trailers_parse(buf, n, &back));
		FUZZ_ASSERT(!back.has_nonce && back.nalt == tr.nalt &&
			    !back.nd);
		FUZZ_ASSERT(!memcmp(back.alt_addr, tr.alt_addr,
				    tr.nalt * sizeof(tr.alt_addr[0])));
		FUZZ_ASSERT(!memcmp(back.alt_port, tr.alt_port,
				    tr.nalt * sizeof(tr.alt_port[0])));
	}
}

/*
 * The RFC 6081 trailers after the packet: the walk stays inside them
 * (ASan), and a discard found in a prefix is found in the whole, since
 * trailers parse from the front and what follows cannot undo one.
 */
static void check_trailers(const __u8 *p, size_t len)
{
	size_t end = TEREDO_IPV6_HDR_LEN + ((size_t)p[4] << 8 | p[5]);
	bool whole;

	if (end > len)
		return;
	whole = teredo_trailers_discard(p + end, len - end);
	if (teredo_trailers_discard(p + end, (len - end) / 2))
		FUZZ_ASSERT(whole);
	if (len - end >= 2 && p[end + 1] <= len - end - 2 &&
	    (p[end] & TEREDO_TRAILER_ACTION) == TEREDO_TRAILER_DISCARD)
		FUZZ_ASSERT(whole);
	if (len - end < 2)
		FUZZ_ASSERT(!whole);
	check_trailers_parse(p + end, len - end, whole);
}

static void check_origin(const __u8 *p)
{
	struct teredo_origin oi, back;
	__be32 addr;
	__be16 port;

	memcpy(&oi, p, sizeof(oi));
	teredo_origin_parse(&oi, &addr, &port);
	teredo_origin_build(&back, addr, port);
	FUZZ_ASSERT(back.zero == 0 && back.type == 0);
	FUZZ_ASSERT(back.port_obf == oi.port_obf &&
		    back.addr_obf == oi.addr_obf);
	check_ipv4(addr, p[2]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum teredo_header h = TEREDO_HDR_INVALID;
	const __u8 *p = data;
	size_t len = size, n;
	int hdrs = 0;

	/* Auth, then origin, then IPv6, as the receive path peels them. */
	while (hdrs++ < 3) {
		h = teredo_header_type(p, len);
		switch (h) {
		case TEREDO_HDR_IPV6:
			FUZZ_ASSERT(len >= 1 && p[0] >> 4 == 6);
			break;
		case TEREDO_HDR_AUTH:
			FUZZ_ASSERT(len >= 2 && p[0] == 0 && p[1] == 1);
			n = teredo_auth_len(p, len);
			if (!n) {
				FUZZ_ASSERT(len < TEREDO_AUTH_MIN_LEN ||
					    TEREDO_AUTH_MIN_LEN + p[2] + p[3] >
					    len);
				return 0;
			}
			FUZZ_ASSERT(n == TEREDO_AUTH_MIN_LEN + (size_t)p[2] +
					 p[3]);
			FUZZ_ASSERT(n <= len);
			p += n;
			len -= n;
			continue;
		case TEREDO_HDR_ORIGIN:
			FUZZ_ASSERT(len >= 2 && p[0] == 0 && p[1] == 0);
			FUZZ_ASSERT(!teredo_auth_len(p, len));
			if (len < TEREDO_ORIGIN_LEN)
				return 0;
			check_origin(p);
			p += TEREDO_ORIGIN_LEN;
			len -= TEREDO_ORIGIN_LEN;
			continue;
		case TEREDO_HDR_INVALID:
			FUZZ_ASSERT(!len || p[0] >> 4 != 6);
			FUZZ_ASSERT(!teredo_auth_len(p, len));
			FUZZ_ASSERT(!teredo_is_bubble(p, len));
			return 0;
		}
		break;
	}
	if (h != TEREDO_HDR_IPV6)
		return 0;

	if (teredo_is_bubble(p, len)) {
		FUZZ_ASSERT(len >= TEREDO_IPV6_HDR_LEN);
		FUZZ_ASSERT(p[6] == TEREDO_NEXTHDR_NONE);
		FUZZ_ASSERT(!p[4] && !p[5]);
	}
	if (len >= TEREDO_IPV6_HDR_LEN) {
		struct in6_addr src, dst;

		memcpy(&src, p + 8, sizeof(src));
		memcpy(&dst, p + 24, sizeof(dst));
		check_addr(&src);
		check_addr(&dst);
		check_ipv4(teredo_addr_mapped(&src), p[7]);
		check_ipv4(teredo_addr_server(&dst), p[7] >> 2);
		check_trailers(p, len);
	}
	return 0;
}
