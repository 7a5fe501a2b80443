// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for teredod's PCP answers, pcp_map_answer() in
 * tools/teredod/pcp.c: whatever a router (or anyone on the LAN) sends to
 * the socket of a MAP request.
 *
 * Input: the datagram.  The request is fixed (nonce 01..0c, UDP port
 * 40001).  Invariants: a datagram taken as the answer is a version 2 MAP
 * answer of at least 60 bytes with the request's nonce, protocol and
 * port; its external address is the IPv4 one it names, or 0; anything
 * else leaves the answer untouched.  And the request the same mapping
 * builds, with the R bit set, is taken as its own answer.
 */
#include <string.h>
#include <arpa/inet.h>

#include "pcp.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcp_map req = {
		.client = htonl(0x0a000102),
		.int_port = htons(40001),
		.ext_port = htons(40001),
		.lifetime = 7200,
	}, ans, before;
	uint8_t buf[PCP_MAP_LEN];
	char name[32];
	int r;

	memcpy(req.nonce, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c",
	       PCP_NONCE_LEN);
	memset(&ans, 0x5a, sizeof(ans));
	before = ans;
	r = pcp_map_answer(data, size, &req, &ans);
	if (r) {
		FUZZ_ASSERT(r == -1);
		FUZZ_ASSERT(!memcmp(&ans, &before, sizeof(ans)));
	} else {
		FUZZ_ASSERT(size >= PCP_MAP_LEN && data[0] == PCP_VERSION);
		FUZZ_ASSERT(data[1] == (PCP_RESPONSE_BIT | PCP_OPCODE_MAP));
		FUZZ_ASSERT(!memcmp(data + 24, req.nonce, PCP_NONCE_LEN));
		FUZZ_ASSERT(data[36] == IPPROTO_UDP);
		FUZZ_ASSERT(ans.int_port == req.int_port);
		FUZZ_ASSERT(ans.result == data[3]);
		FUZZ_ASSERT(!ans.ext_addr || !memcmp(&ans.ext_addr, data + 56, 4));
		FUZZ_ASSERT(strlen(pcp_result_name(name, sizeof(name),
						   ans.result)) > 0);
	}
	FUZZ_ASSERT(pcp_map_request(buf, sizeof(buf), &req) == PCP_MAP_LEN);
	buf[1] |= PCP_RESPONSE_BIT;
	FUZZ_ASSERT(!pcp_map_answer(buf, sizeof(buf), &req, &ans));
	FUZZ_ASSERT(ans.ext_port == req.ext_port && !ans.ext_addr);
	return 0;
}
