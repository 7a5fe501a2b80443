// SPDX-License-Identifier: GPL-2.0
/* PCP MAP requests and answers (see pcp.h). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "pcp.h"

/* Offsets in a MAP request or answer (RFC 6887 §7.1, §7.2, §11.1). */
enum {
	OFF_LIFETIME = 4,
	OFF_CLIENT = 8,		/* request: our address, 16 bytes */
	OFF_NONCE = 24,
	OFF_PROTOCOL = 36,
	OFF_INT_PORT = 40,
	OFF_EXT_PORT = 42,
	OFF_EXT_ADDR = 44,	/* 16 bytes */
};

/* @a as an IPv4-mapped IPv6 address (::ffff:a.b.c.d), as PCP writes it. */
static void put_mapped(uint8_t *p, __be32 a)
{
	memset(p, 0, 10);
	p[10] = 0xff;
	p[11] = 0xff;
	memcpy(p + 12, &a, 4);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

size_t pcp_map_request(uint8_t *buf, size_t size, const struct pcp_map *m)
{
	if (size < PCP_MAP_LEN)
		return 0;
	memset(buf, 0, PCP_MAP_LEN);
	buf[0] = PCP_VERSION;
	buf[1] = PCP_OPCODE_MAP;
	put32(buf + OFF_LIFETIME, m->lifetime);
	put_mapped(buf + OFF_CLIENT, m->client);
	memcpy(buf + OFF_NONCE, m->nonce, PCP_NONCE_LEN);
	buf[OFF_PROTOCOL] = IPPROTO_UDP;
	memcpy(buf + OFF_INT_PORT, &m->int_port, 2);
	memcpy(buf + OFF_EXT_PORT, &m->ext_port, 2);
	put_mapped(buf + OFF_EXT_ADDR, m->ext_addr);
	return PCP_MAP_LEN;
}

int pcp_map_answer(const uint8_t *buf, size_t len, const struct pcp_map *req,
		   struct pcp_map *ans)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (len < PCP_MAP_LEN || buf[0] != PCP_VERSION ||
	    buf[1] != (PCP_RESPONSE_BIT | PCP_OPCODE_MAP) ||
	    memcmp(buf + OFF_NONCE, req->nonce, PCP_NONCE_LEN) ||
	    buf[OFF_PROTOCOL] != IPPROTO_UDP ||
	    memcmp(buf + OFF_INT_PORT, &req->int_port, 2))
		return -1;
	*ans = *req;
	ans->result = buf[3];
	ans->lifetime = get32(buf + OFF_LIFETIME);
	memcpy(&ans->ext_port, buf + OFF_EXT_PORT, 2);
	/* An IPv6 external address is no use to Teredo: 0. */
	if (memcmp(buf + OFF_EXT_ADDR, mapped, sizeof(mapped)))
		ans->ext_addr = 0;
	else
		memcpy(&ans->ext_addr, buf + OFF_EXT_ADDR + 12, 4);
	return 0;
}

const char *pcp_result_name(char *buf, size_t size, unsigned int r)
{
	static const char *const names[] = {
		[PCP_SUCCESS]			= "SUCCESS",
		[PCP_UNSUPP_VERSION]		= "UNSUPP_VERSION",
		[PCP_NOT_AUTHORIZED]		= "NOT_AUTHORIZED",
		[PCP_MALFORMED_REQUEST]		= "MALFORMED_REQUEST",
		[PCP_UNSUPP_OPCODE]		= "UNSUPP_OPCODE",
		[PCP_UNSUPP_OPTION]		= "UNSUPP_OPTION",
		[PCP_MALFORMED_OPTION]		= "MALFORMED_OPTION",
		[PCP_NETWORK_FAILURE]		= "NETWORK_FAILURE",
		[PCP_NO_RESOURCES]		= "NO_RESOURCES",
		[PCP_UNSUPP_PROTOCOL]		= "UNSUPP_PROTOCOL",
		[PCP_USER_EX_QUOTA]		= "USER_EX_QUOTA",
		[PCP_CANNOT_PROVIDE_EXTERNAL]	= "CANNOT_PROVIDE_EXTERNAL",
		[PCP_ADDRESS_MISMATCH]		= "ADDRESS_MISMATCH",
		[PCP_EXCESSIVE_REMOTE_PEERS]	= "EXCESSIVE_REMOTE_PEERS",
	};

	if (r < sizeof(names) / sizeof(names[0]))
		snprintf(buf, size, "%s", names[r]);
	else
		snprintf(buf, size, "result %u", r);
	return buf;
}
