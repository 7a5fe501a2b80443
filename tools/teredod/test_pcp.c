// SPDX-License-Identifier: GPL-2.0
/*
 * PCP MAP requests and answers: the bytes RFC 6887 §7.1 and §11.1 put
 * where, and which datagrams are taken as the answer to a request.
 */
#include <string.h>
#include <arpa/inet.h>

#include "pcp.h"
#include "test_lib.h"
#include "unit.h"

static struct pcp_map req(void)
{
	struct pcp_map m = {
		.client = htonl(0x0a000102),	/* 10.0.1.2 */
		.int_port = htons(40001),
		.ext_port = htons(40001),
		.lifetime = 7200,
	};

	memcpy(m.nonce, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c",
	       PCP_NONCE_LEN);
	return m;
}

/* What a router grants for req(): 198.18.0.40:41000 for 3600 s. */
static void answer(uint8_t *a, const struct pcp_map *m)
{
	pcp_map_request(a, PCP_MAP_LEN, m);
	a[1] |= PCP_RESPONSE_BIT;
	a[3] = PCP_SUCCESS;
	memcpy(a + 4, "\x00\x00\x0e\x10", 4);		/* lifetime 3600 */
	memcpy(a + 8, "\x00\x00\x01\x00", 4);		/* epoch 256 */
	memset(a + 12, 0, 12);
	memcpy(a + 42, "\xa0\x28", 2);			/* port 41000 */
	memcpy(a + 56, "\xc6\x12\x00\x28", 4);		/* 198.18.0.40 */
}

UNIT_TEST(pcp_map_request_bytes)
{
	struct pcp_map m = req();
	uint8_t b[PCP_MAP_LEN + 4];
	static const uint8_t client[16] = {
		[10] = 0xff, [11] = 0xff, 10, 0, 1, 2
	};
	static const uint8_t any[16] = { [10] = 0xff, [11] = 0xff };

	CHECK_EQ(pcp_map_request(b, PCP_MAP_LEN - 1, &m), 0);
	memset(b, 0xaa, sizeof(b));
	CHECK_EQ(pcp_map_request(b, sizeof(b), &m), 60);
	CHECK_EQ(b[0], 2);			/* version */
	CHECK_EQ(b[1], 1);			/* R = 0, MAP */
	CHECK(!b[2] && !b[3]);			/* reserved */
	CHECK(!memcmp(b + 4, "\x00\x00\x1c\x20", 4));	/* 7200 s */
	CHECK(!memcmp(b + 8, client, 16));
	CHECK(!memcmp(b + 24, m.nonce, PCP_NONCE_LEN));
	CHECK_EQ(b[36], 17);			/* UDP */
	CHECK(!b[37] && !b[38] && !b[39]);
	CHECK(!memcmp(b + 40, "\x9c\x41\x9c\x41", 4));	/* 40001, 40001 */
	CHECK(!memcmp(b + 44, any, 16));	/* ::ffff:0.0.0.0, any */
	CHECK_EQ(b[60], 0xaa);			/* nothing beyond */
	m.lifetime = 0;				/* a deletion */
	pcp_map_request(b, sizeof(b), &m);
	CHECK(!memcmp(b + 4, "\0\0\0\0", 4));
}

UNIT_TEST(pcp_map_answers)
{
	struct pcp_map m = req(), ans;
	uint8_t a[PCP_MAP_LEN];
	char name[32];

	answer(a, &m);
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), 0);
	CHECK_EQ(ans.result, PCP_SUCCESS);
	CHECK_EQ(ans.lifetime, 3600);
	CHECK_EQ(ntohs(ans.ext_port), 41000);
	CHECK_EQ(ntohl(ans.ext_addr), 0xc6120028);
	CHECK_EQ(ntohs(ans.int_port), 40001);
	/* A refusal is an answer too. */
	a[3] = PCP_NOT_AUTHORIZED;
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), 0);
	CHECK_EQ(ans.result, PCP_NOT_AUTHORIZED);
	CHECK(!strcmp(pcp_result_name(name, sizeof(name), ans.result),
		      "NOT_AUTHORIZED"));
	CHECK(!strcmp(pcp_result_name(name, sizeof(name), 99), "result 99"));
	/* An IPv6 external address is none for Teredo. */
	answer(a, &m);
	a[44] = 0x20;
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), 0);
	CHECK_EQ(ans.ext_addr, 0);
}

UNIT_TEST(pcp_map_not_answers)
{
	struct pcp_map m = req(), ans;
	uint8_t a[PCP_MAP_LEN];
	/* A NAT-PMP-only router: version 0, opcode 128 + 1, result 1. */
	static const uint8_t natpmp[8] = { 0, 0x81, 0, 1 };

	CHECK_EQ(pcp_map_answer(natpmp, sizeof(natpmp), &m, &ans), -1);
	answer(a, &m);
	CHECK_EQ(pcp_map_answer(a, sizeof(a) - 1, &m, &ans), -1);
	a[1] = PCP_OPCODE_MAP;			/* a request, not an answer */
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), -1);
	answer(a, &m);
	a[0] = 1;				/* version 1 */
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), -1);
	answer(a, &m);
	a[35] ^= 1;				/* another mapping's nonce */
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), -1);
	answer(a, &m);
	a[36] = 6;				/* TCP */
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), -1);
	answer(a, &m);
	a[41] ^= 1;				/* another internal port */
	CHECK_EQ(pcp_map_answer(a, sizeof(a), &m, &ans), -1);
}
