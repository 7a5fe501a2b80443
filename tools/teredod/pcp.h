/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCP (RFC 6887) MAP requests and their answers, the pure part: what a
 * router's Port Control Protocol server needs to map one UDP port of
 * ours, and what it answers.  portmap.c sends them (to the gateway's
 * port 5351) and keeps the nonce, which names the mapping when it is
 * renewed or deleted (lifetime 0).
 */
#ifndef _TEREDOD_PCP_H
#define _TEREDOD_PCP_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

enum {
	PCP_SERVER_PORT = 5351,
	PCP_VERSION = 2,
	PCP_OPCODE_MAP = 1,
	PCP_RESPONSE_BIT = 0x80,
	PCP_NONCE_LEN = 12,
	/* Common header (24) + MAP opcode (36); no options. */
	PCP_MAP_LEN = 60,
};

/* Result codes (RFC 6887 §7.4), those named in logs. */
enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};

/* One mapping of a UDP port, as asked for or as granted. */
struct pcp_map {
	uint8_t nonce[PCP_NONCE_LEN];	/* names the mapping */
	__be32 client;			/* our address towards the router */
	__be16 int_port;		/* ours */
	__be16 ext_port;		/* suggested; then assigned */
	__be32 ext_addr;		/* 0: any; then assigned */
	uint32_t lifetime;		/* s; 0 deletes */
	uint8_t result;			/* enum pcp_result, in an answer */
};

/* The MAP request for @m into @buf: PCP_MAP_LEN, or 0 if it is short. */
size_t pcp_map_request(uint8_t *buf, size_t size, const struct pcp_map *m);
/*
 * Reads @buf as the answer to @req into @ans (lifetime, result, the
 * assigned address and port): 0, or -1 when it is no answer to it
 * (another version, as a NAT-PMP-only router's, opcode, nonce, protocol
 * or internal port, or short).  A failure is an answer: see ans->result.
 */
int pcp_map_answer(const uint8_t *buf, size_t len, const struct pcp_map *req,
		   struct pcp_map *ans);
/* "NOT_AUTHORIZED", ..., "result N" for others (into @buf). */
const char *pcp_result_name(char *buf, size_t size, unsigned int r);

#endif /* _TEREDOD_PCP_H */
