/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Teredo wire formats and constants (RFC 4380, RFC 5991, RFC 6081).
 *
 * Pure inline helpers over bytes and network-order values, shared by the
 * module and the userspace tools (which build it with -I kernel).  Nothing
 * here allocates, locks or touches an skb.
 */
#ifndef _TEREDO_PROTO_H
#define _TEREDO_PROTO_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in6.h>
#include <linux/string.h>
#include <asm/byteorder.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/types.h>
#endif

enum teredo_constants {
	TEREDO_PORT = 3544,		/* RFC 4380 §2.8 (IANA) */
	TEREDO_PREFIX = 0x20010000,	/* 2001:0000::/32, RFC 4380 §2.6 */
	TEREDO_IPV6_MIN_MTU = 1280,	/* RFC 4380 §5.1.2 */
	TEREDO_UDP_PAYLOAD_MAX = 65507,	/* RFC 4380 §5.1.2 */
};

/* Local discovery (RFC 4380 §5.2.8): 224.0.0.253, host order. */
#define TEREDO_DISCOVERY_IPV4	0xe00000fdU

/* Flags of a Teredo address, bits 64-79 (RFC 4380 §4, RFC 5991 §3.1). */
enum teredo_flags {
	TEREDO_FLAG_CONE = 0x8000,
	TEREDO_FLAG_RESERVED = 0x4000,	/* must be zero, RFC 5991 */
	TEREDO_FLAG_UG = 0x0300,	/* universal/group, must be zero */
	TEREDO_FLAG_RANDOM = 0x3cff,	/* 12 random bits, RFC 5991 §4 */
};

/* The first two bytes of a UDP payload say what comes (RFC 4380 §5.1.1). */
enum teredo_header {
	TEREDO_HDR_IPV6,		/* high nibble 6: plain IPv6 */
	TEREDO_HDR_AUTH,		/* 00 01: authentication */
	TEREDO_HDR_ORIGIN,		/* 00 00: origin indication */
	TEREDO_HDR_INVALID,
};

enum teredo_lengths {
	TEREDO_AUTH_MIN_LEN = 13,	/* RFC 4380 §5.1.1, nonce-only form */
	TEREDO_AUTH_NONCE_LEN = 8,
	TEREDO_ORIGIN_LEN = 8,		/* RFC 4380 §5.1.1 */
	TEREDO_IPV6_HDR_LEN = 40,
	TEREDO_NEXTHDR_NONE = 59,	/* bubbles, RFC 4380 §2.8 */
};

/* Timers and limits of the peer state machine, in seconds or counts. */
enum teredo_timing {
	TEREDO_BUBBLE_INTERVAL = 2,	/* RFC 4380 §5.2.6: >= 2 s apart */
	TEREDO_BUBBLE_RETRIES = 3,	/* RFC 4380 §5.2.4 case 5, §5.4.1 */
	TEREDO_BUBBLE_BUDGET = 4,	/* RFC 4380 §5.2.6: 4 per 300 s */
	TEREDO_BUBBLE_WINDOW = 300,
	TEREDO_TRUST_LIFETIME = 30,	/* RFC 4380 §5.2.4: rx in 30 s */
	TEREDO_PEER_IDLE = 60,		/* collect after this long unused */
	TEREDO_LOCAL_LIFETIME = 600,	/* RFC 4380 §5.2.4 case 3 */
	TEREDO_SLR_TRIES = 3,		/* RFC 6081 §5.7: 2 s apart */
	/*
	 * Held per untrusted peer, in truesize: a few full-size packets
	 * (Miredo holds 1280 bytes of packet), or a dozen tiny ones.
	 */
	TEREDO_QUEUE_TRUESIZE = 8192,
};

/*
 * RFC 6081 §4 trailers follow the IPv6 packet: type (1), length of the
 * value (1), value.  The two high bits of a type the receiver does not
 * know say what it does: 01, discard the packet; the others, skip the
 * trailer.  Parsing stops at the first malformed trailer (shorter than
 * its two bytes or its length).
 */
#define TEREDO_TRAILER_ACTION		0xc0
#define TEREDO_TRAILER_DISCARD		0x40

/*
 * Whether the trailers at @p (@len bytes after the IPv6 packet) ask that
 * the packet be discarded.  The types we know (0x01 to 0x05) are all
 * "skip if unknown" (00xxxxxx): none of them can ask it.
 */
static inline bool teredo_trailers_discard(const __u8 *p, size_t len)
{
	while (len >= 2 && len >= 2 + (size_t)p[1]) {
		if ((p[0] & TEREDO_TRAILER_ACTION) == TEREDO_TRAILER_DISCARD)
			return true;
		len -= 2 + (size_t)p[1];
		p += 2 + (size_t)p[1];
	}
	return false;
}

/*
 * The trailers a client reads (RFC 6081 §4.2 to §4.5).  The Random Port
 * trailer has two types: 0x02 in the RFC's IANA section, 0x05 in its
 * §4.5 text.  Both are read, as one trailer: both are "skip if unknown"
 * (00xxxxxx), so whichever a sender uses, a receiver that reads the
 * other (or neither) skips it and is no worse off; and no other
 * trailer of the RFC has either type, so reading both takes nothing
 * from anyone.
 */
enum teredo_trailer_type {
	TEREDO_TRAILER_NONCE = 0x01,		/* §4.2: 4 random bytes */
	TEREDO_TRAILER_RANDOM_PORT_IANA = 0x02,	/* §9: a port */
	TEREDO_TRAILER_ALTERNATE = 0x03,	/* §4.3: 2 reserved + N x 6 */
	TEREDO_TRAILER_ND = 0x04,		/* §4.4: type + 3 reserved */
	TEREDO_TRAILER_RANDOM_PORT = 0x05,	/* §4.5: a port */
};

/* The DiscoveryType of a Neighbor Discovery Option trailer (§4.4). */
enum teredo_nd_wire {
	TEREDO_ND_WIRE_SOLICITATION = 0x00,
	TEREDO_ND_WIRE_ADVERTISEMENT = 0x01,
};

/* What the Neighbor Discovery Option of a packet says (§5.7). */
enum teredo_nd {
	TEREDO_ND_NONE,			/* none, or one that says nothing */
	TEREDO_ND_SOLICIT,
	TEREDO_ND_ADVERT,
};

enum teredo_trailer_lengths {
	TEREDO_NONCE_LEN = 4,
	TEREDO_ND_LEN = 4,			/* DiscoveryType, 3 reserved */
	TEREDO_RANDOM_PORT_LEN = 2,		/* UDP port, network order */
	TEREDO_ALT_RESERVED = 2,
	TEREDO_ALT_ENTRY = 6,			/* IPv4 address, UDP port */
	TEREDO_ALT_MAX = 4,			/* §7: at most 4 entries */
	TEREDO_ALT_SEND = 2,			/* §4.3: SHOULD send <= 14 B */
	/* What our bubbles carry at most: a nonce, two alternates, a port. */
	TEREDO_TRAILERS_MAX = 2 + TEREDO_NONCE_LEN + 2 + TEREDO_ALT_RESERVED +
			      TEREDO_ALT_SEND * TEREDO_ALT_ENTRY +
			      2 + TEREDO_RANDOM_PORT_LEN,
};

/*
 * What the trailers of one packet say to a client: the nonce of the
 * symmetric NAT and hairpinning extensions (RFC 6081 §5.2, §5.6), the
 * alternate addresses of the hairpinning extension, the Neighbor
 * Discovery Option of server load reduction (§5.7), the random port of
 * a peer behind a port-preserving symmetric NAT (§5.4).  A trailer of
 * the wrong shape (a nonce or a neighbor discovery option not 4 bytes
 * long, an address list not 8, 14, 20 or 26 bytes long or with a port
 * 0, a random port not 2 bytes long or 0), one that comes twice (a
 * random port of either type counts as the same trailer), or a
 * neighbor discovery option of a DiscoveryType other than solicitation
 * and advertisement says nothing: it is skipped as an unknown one would
 * be, as the packet is good without it.  The reserved bytes are not
 * looked at (zero when sent).
 */
struct teredo_trailers {
	__u8 nonce[TEREDO_NONCE_LEN];
	bool has_nonce;
	__u8 nd;			/* enum teredo_nd */
	__u8 nalt;
	__be16 random_port;		/* 0 = none */
	__be32 alt_addr[TEREDO_ALT_MAX];
	__be16 alt_port[TEREDO_ALT_MAX];
};

/* One alternate address list, @len bytes of value at @v, into @tr. */
static inline bool teredo_trailer_alternates(const __u8 *v, size_t len,
					     struct teredo_trailers *tr)
{
	size_t n = (len - TEREDO_ALT_RESERVED) / TEREDO_ALT_ENTRY;
	size_t i;

	if (len < TEREDO_ALT_RESERVED + TEREDO_ALT_ENTRY ||
	    (len - TEREDO_ALT_RESERVED) % TEREDO_ALT_ENTRY ||
	    n > TEREDO_ALT_MAX)
		return false;
	v += TEREDO_ALT_RESERVED;
	for (i = 0; i < n; i++, v += TEREDO_ALT_ENTRY) {
		memcpy(&tr->alt_addr[i], v, 4);
		memcpy(&tr->alt_port[i], v + 4, 2);
		if (!tr->alt_port[i])
			return false;
	}
	tr->nalt = (__u8)n;
	return true;
}

/*
 * The @n-th Neighbor Discovery Option of a packet, @len bytes of value
 * at @v: what it says (a second one unsays the first).
 */
static inline __u8 teredo_trailer_nd(const __u8 *v, size_t len,
				     unsigned int n)
{
	if (n > 1 || len != TEREDO_ND_LEN)
		return TEREDO_ND_NONE;
	if (v[0] == TEREDO_ND_WIRE_SOLICITATION)
		return TEREDO_ND_SOLICIT;
	if (v[0] == TEREDO_ND_WIRE_ADVERTISEMENT)
		return TEREDO_ND_ADVERT;
	return TEREDO_ND_NONE;
}

/*
 * The @n-th Random Port trailer of a packet (of either type), @len bytes
 * of value at @v: its port, network order; 0 says nothing (a second one
 * unsays the first).
 */
static inline __be16 teredo_trailer_random_port(const __u8 *v, size_t len,
						unsigned int n)
{
	__be16 port;

	if (n > 1 || len != TEREDO_RANDOM_PORT_LEN)
		return 0;
	memcpy(&port, v, sizeof(port));
	return port;
}

/**
 * teredo_trailers_parse - read the trailers after an IPv6 packet
 * @p: the first byte after it
 * @len: how many bytes follow it
 * @tr: filled with what a client uses (zeroed first)
 *
 * Return: whether a trailer asks that the packet be discarded (as
 * teredo_trailers_discard()).
 */
static inline bool teredo_trailers_parse(const __u8 *p, size_t len,
					 struct teredo_trailers *tr)
{
	unsigned int nonces = 0, lists = 0, nds = 0, ports = 0;
	struct teredo_trailers alt;

	memset(tr, 0, sizeof(*tr));
	memset(&alt, 0, sizeof(alt));
	while (len >= 2 && len >= 2 + (size_t)p[1]) {
		const __u8 *v = p + 2;
		size_t vlen = p[1];

		if ((p[0] & TEREDO_TRAILER_ACTION) == TEREDO_TRAILER_DISCARD)
			return true;
		if (p[0] == TEREDO_TRAILER_NONCE) {
			nonces++;
			if (vlen == TEREDO_NONCE_LEN && nonces == 1) {
				memcpy(tr->nonce, v, TEREDO_NONCE_LEN);
				tr->has_nonce = true;
			} else {
				tr->has_nonce = false;
			}
		} else if (p[0] == TEREDO_TRAILER_ALTERNATE) {
			if (++lists > 1 ||
			    !teredo_trailer_alternates(v, vlen, &alt))
				alt.nalt = 0;
		} else if (p[0] == TEREDO_TRAILER_ND) {
			tr->nd = teredo_trailer_nd(v, vlen, ++nds);
		} else if (p[0] == TEREDO_TRAILER_RANDOM_PORT ||
			   p[0] == TEREDO_TRAILER_RANDOM_PORT_IANA) {
			tr->random_port = teredo_trailer_random_port(v, vlen,
								     ++ports);
		}
		len -= 2 + vlen;
		p += 2 + vlen;
	}
	if (lists == 1 && alt.nalt) {
		tr->nalt = alt.nalt;
		memcpy(tr->alt_addr, alt.alt_addr, sizeof(tr->alt_addr));
		memcpy(tr->alt_port, alt.alt_port, sizeof(tr->alt_port));
	}
	return false;
}

/* A Nonce trailer at @p (6 bytes).  Return: its length. */
static inline size_t teredo_trailer_nonce_build(__u8 *p, const __u8 *nonce)
{
	p[0] = TEREDO_TRAILER_NONCE;
	p[1] = TEREDO_NONCE_LEN;
	memcpy(p + 2, nonce, TEREDO_NONCE_LEN);
	return 2 + TEREDO_NONCE_LEN;
}

/*
 * A Neighbor Discovery Option trailer at @p (6 bytes), @type
 * TEREDO_ND_WIRE_SOLICITATION or _ADVERTISEMENT.  Return: its length.
 */
static inline size_t teredo_trailer_nd_build(__u8 *p, __u8 type)
{
	p[0] = TEREDO_TRAILER_ND;
	p[1] = TEREDO_ND_LEN;
	p[2] = type;
	p[3] = 0;
	p[4] = 0;
	p[5] = 0;
	return 2 + TEREDO_ND_LEN;
}

/*
 * A Random Port trailer at @p (4 bytes) of @type, _RANDOM_PORT or
 * _RANDOM_PORT_IANA, for @port (network order).  Return: its length.
 */
static inline size_t teredo_trailer_random_port_build(__u8 *p, __u8 type,
						      __be16 port)
{
	p[0] = type;
	p[1] = TEREDO_RANDOM_PORT_LEN;
	memcpy(p + 2, &port, sizeof(port));
	return 2 + TEREDO_RANDOM_PORT_LEN;
}

/*
 * An Alternate Address trailer of @n (1 to TEREDO_ALT_MAX) entries at
 * @p.  Return: its length.
 */
static inline size_t teredo_trailer_alt_build(__u8 *p, const __be32 *addr,
					      const __be16 *port, size_t n)
{
	size_t i, len = TEREDO_ALT_RESERVED + n * TEREDO_ALT_ENTRY;

	p[0] = TEREDO_TRAILER_ALTERNATE;
	p[1] = (__u8)len;
	p[2] = 0;
	p[3] = 0;
	for (i = 0; i < n; i++) {
		memcpy(p + 4 + i * TEREDO_ALT_ENTRY, &addr[i], 4);
		memcpy(p + 8 + i * TEREDO_ALT_ENTRY, &port[i], 2);
	}
	return 2 + len;
}

/* Origin indication: port and address are stored one's-complemented. */
struct teredo_origin {
	__u8 zero;
	__u8 type;			/* 0x00 */
	__be16 port_obf;
	__be32 addr_obf;
};

static inline enum teredo_header teredo_header_type(const __u8 *p, size_t len)
{
	if (len >= 1 && (p[0] >> 4) == 6)
		return TEREDO_HDR_IPV6;
	if (len < 2 || p[0] != 0)
		return TEREDO_HDR_INVALID;
	if (p[1] == 1)
		return TEREDO_HDR_AUTH;
	if (p[1] == 0)
		return TEREDO_HDR_ORIGIN;
	return TEREDO_HDR_INVALID;
}

/*
 * Length of the authentication header at @p, or 0 when @len cannot hold it.
 * Layout: 00 01 id-len au-len id[id-len] au[au-len] nonce[8] confirmation.
 */
static inline size_t teredo_auth_len(const __u8 *p, size_t len)
{
	size_t need;

	if (len < TEREDO_AUTH_MIN_LEN || p[0] != 0 || p[1] != 1)
		return 0;
	need = TEREDO_AUTH_MIN_LEN + p[2] + p[3];
	return need <= len ? need : 0;
}

static inline void teredo_origin_build(struct teredo_origin *oi,
				       __be32 addr, __be16 port)
{
	oi->zero = 0;
	oi->type = 0;
	oi->port_obf = ~port;
	oi->addr_obf = ~addr;
}

static inline void teredo_origin_parse(const struct teredo_origin *oi,
				       __be32 *addr, __be16 *port)
{
	*addr = ~oi->addr_obf;
	*port = ~oi->port_obf;
}

static inline bool teredo_addr_is_teredo(const struct in6_addr *a)
{
	return a->s6_addr32[0] == htonl(TEREDO_PREFIX);
}

/* Server IPv4, bits 32-63: where indirect bubbles for this peer go. */
static inline __be32 teredo_addr_server(const struct in6_addr *a)
{
	return a->s6_addr32[1];
}

static inline __u16 teredo_addr_flags(const struct in6_addr *a)
{
	return (__u16)(a->s6_addr[8] << 8 | a->s6_addr[9]);
}

static inline __be16 teredo_addr_port(const struct in6_addr *a)
{
	__be16 obf;

	memcpy(&obf, &a->s6_addr[10], sizeof(obf));
	return ~obf;
}

static inline __be32 teredo_addr_mapped(const struct in6_addr *a)
{
	return ~a->s6_addr32[3];
}

static inline void teredo_addr_build(struct in6_addr *a, __be32 server,
				     __u16 flags, __be32 mapped, __be16 port)
{
	__be16 port_obf = ~port;

	a->s6_addr32[0] = htonl(TEREDO_PREFIX);
	a->s6_addr32[1] = server;
	a->s6_addr[8] = flags >> 8;
	a->s6_addr[9] = flags & 0xff;
	memcpy(&a->s6_addr[10], &port_obf, sizeof(port_obf));
	a->s6_addr32[3] = ~mapped;
}

static inline bool teredo_ipv4_in(__be32 addr, __u32 net, unsigned int len)
{
	__u32 mask = len ? ~0U << (32 - len) : 0;

	return (ntohl(addr) & mask) == net;
}

/*
 * An address a host may be configured with or send to: not "this network"
 * (0/8), loopback, multicast, reserved (240/4) or the limited broadcast.
 */
static inline bool teredo_ipv4_is_unicast(__be32 addr)
{
	return !teredo_ipv4_in(addr, 0x00000000, 8) &&
	       !teredo_ipv4_in(addr, 0x7f000000, 8) &&
	       !teredo_ipv4_in(addr, 0xe0000000, 4) &&
	       !teredo_ipv4_in(addr, 0xf0000000, 4);
}

/*
 * RFC 4380 §5.2.4 "global unicast": also not private (RFC 1918),
 * link-local or the 6to4 relay anycast.  As in Miredo, 100.64/10,
 * 198.18/15 and the documentation ranges count as global.
 */
static inline bool teredo_ipv4_is_global(__be32 addr)
{
	return teredo_ipv4_is_unicast(addr) &&
	       !teredo_ipv4_in(addr, 0x0a000000, 8) &&
	       !teredo_ipv4_in(addr, 0xac100000, 12) &&
	       !teredo_ipv4_in(addr, 0xc0a80000, 16) &&
	       !teredo_ipv4_in(addr, 0xa9fe0000, 16) &&
	       !teredo_ipv4_in(addr, 0xc0586300, 24);
}

/* A bubble: a bare IPv6 header, payload length 0, next header 59. */
static inline bool teredo_is_bubble(const __u8 *ip6, size_t len)
{
	return len >= TEREDO_IPV6_HDR_LEN && (ip6[0] >> 4) == 6 &&
	       ip6[4] == 0 && ip6[5] == 0 && ip6[6] == TEREDO_NEXTHDR_NONE;
}

/*
 * A local discovery bubble (RFC 4380 §5.2.8): a bubble to all nodes on
 * the link, ff02::1.  Its hop limit (1) is the receiver's to check.
 */
static inline bool teredo_is_discovery(const __u8 *ip6, size_t len)
{
	static const __u8 all_nodes[16] = { 0xff, 0x02, [15] = 1 };

	return teredo_is_bubble(ip6, len) &&
	       !memcmp(ip6 + 24, all_nodes, sizeof(all_nodes));
}

/* Build one from @src, hop limit 1, into the 40 bytes at @ip6. */
static inline void teredo_discovery_build(__u8 *ip6,
					  const struct in6_addr *src)
{
	static const __u8 all_nodes[16] = { 0xff, 0x02, [15] = 1 };

	memset(ip6, 0, TEREDO_IPV6_HDR_LEN);
	ip6[0] = 0x60;
	ip6[6] = TEREDO_NEXTHDR_NONE;
	ip6[7] = 1;
	memcpy(ip6 + 8, src, sizeof(*src));
	memcpy(ip6 + 24, all_nodes, sizeof(all_nodes));
}

#endif /* _TEREDO_PROTO_H */
