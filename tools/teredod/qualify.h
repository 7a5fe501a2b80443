/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client's qualification and maintenance state machine (RFC 4380
 * §5.2.1, §5.2.5, RFC 5991; protocol.md §3).  Pure: it is driven by
 * qual_start(), qual_timer() and qual_rx() with the time passed in, and
 * acts only through struct qual_ops (send an RS, random bytes, publish
 * the state, log), so the unit test runs it with a fake clock and socket.
 *
 *   BACKOFF --deadline--> PRIMARY --RA--> SECONDARY --RA, same mapping-->
 *   QUALIFIED --refresh--> REFRESH --RA--> QUALIFIED (new address if the
 *   mapping changed).  3 RS 4 s apart without an RA -> BACKOFF (offline,
 *   no server); different mappings from the two server addresses ->
 *   BACKOFF (offline, symmetric NAT: RFC 4380 cannot serve it); a silent
 *   secondary address -> QUALIFIED with the NAT type unknown.
 *
 * Several servers (ops->resolve): each qualification round (the start,
 * each retry after the back-off, qual_requalify()) asks for the list
 * again, resolved anew, and solicits them in turn: 3 RS without an RA
 * from one -> PRIMARY with the next; none left -> BACKOFF.  While
 * qualified, a new round starts with the server in use, which keeps the
 * address; moving to another one drops it first (QUALIFYING), as the
 * kernel wants (the device's server changes only then).
 */
#ifndef _TEREDOD_QUALIFY_H
#define _TEREDOD_QUALIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/types.h>
#include <linux/if_teredo.h>

#include "ra.h"

/* Milliseconds on a monotonic clock. */
typedef uint64_t qual_time;

enum {
	QUAL_RS_INTERVAL = 4000,	/* T, RFC 4380 §5.2.1 */
	QUAL_RS_TRIES = 3,		/* N */
	QUAL_SEQ_DELTA_MAX = 4,		/* ports, a sequential NAT's step */
	QUAL_BACKOFF_MIN = 15000,	/* first retry after going offline */
	QUAL_BACKOFF_MAX = 300000,	/* doubling up to this */
	QUAL_IGNORED_LINES = 10,	/* "ignored" log lines per window */
	QUAL_IGNORED_WINDOW = 60000,
};

enum qual_phase {
	QUAL_IDLE,		/* not started, or suspended */
	QUAL_BACKOFF,		/* offline, waiting to retry */
	QUAL_PRIMARY,		/* RS to the server */
	QUAL_SECONDARY,		/* RS to its secondary address */
	QUAL_QUALIFIED,		/* waiting for the refresh */
	QUAL_REFRESH,		/* refresh RS to the server */
};

/* A server to solicit: its address and its secondary address. */
struct qual_server {
	__be32 addr;
	__be32 addr2;
};

enum { QUAL_MAX_SERVERS = 16 };

/* What the kernel and the device should show; see if_teredo.h. */
struct qual_status {
	enum teredo_state state;
	enum teredo_reason reason;
	enum teredo_nat nat;
	__be32 mapped;			/* valid when qualified */
	__be16 mapped_port;
	struct in6_addr addr;		/* the Teredo address, when qualified */
	uint32_t next_refresh;		/* seconds, when qualified */
	uint32_t mtu;			/* from the RA, 0 = none */
	/* The port mapping the address embeds (q->pm), enum
	 * teredo_portmap, and its router. */
	uint8_t portmap;
	__be32 portmap_gw;
	/* Not the state machine's: main.c's --hairpinning, our address
	 * on our side of the NAT (RFC 6081 §5.6), 0 = none. */
	__be32 alt;
	__be16 alt_port;
};

struct qual_ops {
	/* Send @len bytes to @dst:3544 from the service port; false when
	 * the system refused (no route). */
	bool (*send)(void *ctx, __be32 dst, const uint8_t *buf, size_t len);
	/* Fill @buf with @len unpredictable bytes. */
	void (*random)(void *ctx, void *buf, size_t len);
	/* The local IPv4 and port the server sees when there is no NAT. */
	void (*local)(void *ctx, __be32 *addr, __be16 *port);
	/* The status changed (@old is the previous one). */
	void (*publish)(void *ctx, const struct qual_status *st,
			const struct qual_status *old);
	/* One log line, without the device name nor a newline. */
	void (*log)(void *ctx, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/*
	 * Optional (NULL: the configured server alone).  The servers of a
	 * new round, in the order to try them, into @list (at most
	 * QUAL_MAX_SERVERS): names are resolved again each time.  Returns
	 * how many; 0 (nothing resolved) keeps the server in use.
	 */
	unsigned int (*resolve)(void *ctx, struct qual_server *list);
	/*
	 * Optional: make @s the device's server, before any RS goes to it
	 * (the kernel passes on only the RAs of its server); false when
	 * that failed, and the next one is tried.
	 */
	bool (*use_server)(void *ctx, const struct qual_server *s);
};

/*
 * A port mapping on the router (RFC 6081 §4.3, §5.3; portmap.c gets it):
 * its public address and port.  Behind a symmetric NAT the address is
 * built from it, not from the server's origin indications.
 */
struct qual_portmap {
	__be32 addr;			/* 0: none */
	__be16 port;
	uint8_t method;			/* enum teredo_portmap */
	__be32 gateway;			/* the router that holds it */
	char desc[64];			/* "UPnP mapping via 10.0.0.1" */
};

struct qual_config {
	__be32 server;
	__be32 server2;
	uint32_t refresh;		/* seconds */
	/* A previous address (state file): its flags are reused when the
	 * mapping is the same, so that a restart keeps the address. */
	struct in6_addr saved;
	/* --symmetric-nat off: offline behind a symmetric NAT without a
	 * port mapping, as RFC 4380 has it; by default the client
	 * qualifies with the primary's mapping (RFC 6081 §5.2). */
	bool symmetric_offline;
};

struct qual {
	struct qual_config cfg;
	const struct qual_ops *ops;
	void *ctx;

	enum qual_phase phase;
	qual_time deadline;
	unsigned int tries;		/* RS sent in this phase */
	unsigned int unsent;		/* of which the system refused */
	uint32_t backoff;		/* ms, next back-off */
	uint8_t nonce[RA_NONCE_LEN];	/* of this phase */
	uint8_t old_nonce[RA_NONCE_LEN];	/* of the phase before */
	bool have_old_nonce;
	__be32 target;			/* where the RS go */
	struct qual_server list[QUAL_MAX_SERVERS];	/* of this round */
	unsigned int nlist;
	unsigned int next;		/* in @list, the next to try */
	struct ra_info first;		/* the primary's answer */
	struct qual_portmap pm;		/* qual_portmap() */
	/* With st.portmap: the primary's mapping at qualification, which
	 * a refresh compares with (the NAT's own, not the address's). */
	__be32 seen;
	__be16 seen_port;
	qual_time ignored_since;	/* rate limit of "ignored" lines */
	unsigned int ignored_lines;
	unsigned int ignored_quiet;	/* not logged in the last window */
	struct qual_status st;
};

void qual_init(struct qual *q, const struct qual_config *cfg,
	       const struct qual_ops *ops, void *ctx);
/* Starts soliciting now. */
void qual_start(struct qual *q, qual_time now);
/*
 * Asks the server again now (SIGHUP, a network change), with the back-off
 * reset; a qualified client keeps its address until the answers differ.
 * @why starts the log line.
 */
void qual_requalify(struct qual *q, qual_time now, const char *why);
/*
 * Stops: offline for @reason, no Router Solicitation, no retry, until
 * qual_requalify().  @why is logged after "offline: ".
 */
void qual_suspend(struct qual *q, enum teredo_reason reason, const char *why);
/*
 * A qualified client idle long enough: DORMANT, keeping its address and
 * mapping, no Router Solicitation until qual_requalify() (the kernel's
 * wake-up: traffic).  @why is logged after "dormant: ".
 */
void qual_dormant(struct qual *q, const char *why);
/*
 * The router's port mapping (@addr 0: none), through @method (enum
 * teredo_portmap) of @gateway: used from the next answer of the server
 * on.  Losing the one in use needs a qual_requalify().
 */
void qual_portmap(struct qual *q, __be32 addr, __be16 port, uint8_t method,
		  __be32 gateway);
/* Time passes: acts on an expired deadline. */
void qual_timer(struct qual *q, qual_time now);
/* A datagram from @from:@port arrived on the service port. */
void qual_rx(struct qual *q, qual_time now, __be32 from, __be16 port,
	     const uint8_t *buf, size_t len);
/* When qual_timer() must run next. */
qual_time qual_deadline(const struct qual *q);

const char *qual_nat_name(enum teredo_nat nat);
/*
 * Which symmetric NAT answered the two-server test from local port
 * @local: the primary saw @m1:@p1 first, then the secondary @m2:@p2
 * (the two differ).  RFC 6081 §5.4: the first mapping kept the local
 * port: port-preserving.  §5.5: same address, and the secondary's port
 * follows the primary's by 1 to QUAL_SEQ_DELTA_MAX (modulo 65536):
 * sequential.  Anything else: plain symmetric.
 */
enum teredo_nat qual_symmetric_kind(__be16 local, __be32 m1, __be16 p1,
				    __be32 m2, __be16 p2);
const char *qual_state_name(enum teredo_state state);

#endif /* _TEREDOD_QUALIFY_H */
