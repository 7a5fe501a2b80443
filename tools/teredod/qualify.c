// SPDX-License-Identifier: GPL-2.0
/*
 * Qualification and maintenance (see qualify.h).  No system calls: the
 * clock comes in as an argument, everything goes out through q->ops.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "pmconf.h"
#include "proto.h"
#include "qualify.h"

static const char *const nat_names[] = {
	[TEREDO_NAT_UNKNOWN]	= "unknown",
	[TEREDO_NAT_NONE]	= "none",
	[TEREDO_NAT_RESTRICTED]	= "restricted",
	[TEREDO_NAT_SYMMETRIC]	= "symmetric",
	[TEREDO_NAT_SYMMETRIC_PORT_PRESERVING] = "symmetric (port-preserving)",
	[TEREDO_NAT_SYMMETRIC_SEQUENTIAL] = "symmetric (sequential)",
};

static const char *const state_names[] = {
	[TEREDO_STATE_OFFLINE]		= "offline",
	[TEREDO_STATE_QUALIFYING]	= "qualifying",
	[TEREDO_STATE_QUALIFIED]	= "qualified",
	[TEREDO_STATE_DORMANT]		= "dormant",
};

const char *qual_nat_name(enum teredo_nat nat)
{
	return (unsigned int)nat <= TEREDO_NAT_MAX ? nat_names[nat] : "?";
}

const char *qual_state_name(enum teredo_state state)
{
	return (unsigned int)state <= TEREDO_STATE_MAX ? state_names[state]
						       : "?";
}

/* "198.18.0.40:40000" */
struct endpoint_str {
	char s[INET_ADDRSTRLEN + 8];
};

static const char *endpoint(struct endpoint_str *b, __be32 addr, __be16 port)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, ip, sizeof(ip));
	snprintf(b->s, sizeof(b->s), "%s:%u", ip, ntohs(port));
	return b->s;
}

static const char *ipv4(char *buf, __be32 addr)
{
	return inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

static void publish(struct qual *q, const struct qual_status *st)
{
	struct qual_status old = q->st;

	q->st = *st;
	q->ops->publish(q->ctx, &q->st, &old);
}

static void new_nonce(struct qual *q)
{
	memcpy(q->old_nonce, q->nonce, sizeof(q->nonce));
	q->have_old_nonce = q->phase != QUAL_IDLE;
	q->ops->random(q->ctx, q->nonce, sizeof(q->nonce));
}

static void send_rs(struct qual *q, qual_time now)
{
	uint8_t rs[RS_LEN];
	size_t len = rs_build(rs, sizeof(rs), q->nonce);

	if (!q->ops->send(q->ctx, q->target, rs, len))
		q->unsent++;
	q->tries++;
	q->deadline = now + QUAL_RS_INTERVAL;
}

/* A phase of up to QUAL_RS_TRIES solicitations of @target. */
static void solicit(struct qual *q, qual_time now, enum qual_phase phase,
		    __be32 target)
{
	new_nonce(q);
	q->phase = phase;
	q->target = target;
	q->tries = 0;
	q->unsent = 0;
	send_rs(q, now);
}

void qual_init(struct qual *q, const struct qual_config *cfg,
	       const struct qual_ops *ops, void *ctx)
{
	memset(q, 0, sizeof(*q));
	q->cfg = *cfg;
	q->ops = ops;
	q->ctx = ctx;
	q->phase = QUAL_IDLE;
	q->backoff = QUAL_BACKOFF_MIN;
	q->st.state = TEREDO_STATE_OFFLINE;
}

static bool in_use(const struct qual *q)
{
	return q->st.state == TEREDO_STATE_QUALIFIED ||
	       q->st.state == TEREDO_STATE_DORMANT;
}

static bool is_current(const struct qual *q, const struct qual_server *s)
{
	return s->addr == q->cfg.server && s->addr2 == q->cfg.server2;
}

/*
 * A new round: the list of servers again (names resolved anew).  With
 * @current_first, the server in use leads, when it is in the list at
 * all: asking it first keeps the address.  Nothing resolved: the server
 * in use alone.
 */
static void new_round(struct qual *q, bool current_first)
{
	struct qual_server cur = { q->cfg.server, q->cfg.server2 };
	unsigned int i;

	q->next = 0;
	q->nlist = q->ops->resolve ? q->ops->resolve(q->ctx, q->list) : 0;
	if (q->nlist > QUAL_MAX_SERVERS)
		q->nlist = QUAL_MAX_SERVERS;
	if (!q->nlist) {
		q->list[0] = cur;
		q->nlist = 1;
		return;
	}
	if (!current_first)
		return;
	for (i = 0; i < q->nlist; i++) {
		if (q->list[i].addr == cur.addr) {
			memmove(&q->list[1], &q->list[0],
				i * sizeof(q->list[0]));
			q->list[0] = cur;
			return;
		}
	}
}

/*
 * The next server of the round becomes the one in use; false when none
 * is left.  A client whose address comes from another server gives it
 * up first (QUALIFYING): the kernel changes the device's server only
 * then.
 */
static bool pick_next(struct qual *q)
{
	char ip[INET_ADDRSTRLEN];

	while (q->next < q->nlist) {
		const struct qual_server *s = &q->list[q->next++];

		if (is_current(q, s))
			return true;
		if (in_use(q)) {
			struct qual_status st = {
				.state = TEREDO_STATE_QUALIFYING,
				.nat = q->st.nat,
			};

			publish(q, &st);
		}
		if (q->ops->use_server && !q->ops->use_server(q->ctx, s)) {
			q->ops->log(q->ctx, "cannot use server %s",
				    ipv4(ip, s->addr));
			continue;
		}
		q->cfg.server = s->addr;
		q->cfg.server2 = s->addr2;
		return true;
	}
	return false;
}

/* Solicits the server in use; QUALIFYING published, logged. */
static void solicit_primary(struct qual *q, qual_time now)
{
	char ip[INET_ADDRSTRLEN];

	if (q->st.state != TEREDO_STATE_QUALIFYING) {
		struct qual_status st = {
			.state = TEREDO_STATE_QUALIFYING,
			.nat = q->st.nat,
		};

		q->ops->log(q->ctx, "qualifying: soliciting server %s",
			    ipv4(ip, q->cfg.server));
		publish(q, &st);
	}
	solicit(q, now, QUAL_PRIMARY, q->cfg.server);
}

static void go_offline(struct qual *q, qual_time now,
		       enum teredo_reason reason, enum teredo_nat nat,
		       const char *why);

void qual_start(struct qual *q, qual_time now)
{
	new_round(q, false);
	if (!pick_next(q)) {
		go_offline(q, now, TEREDO_REASON_NO_SERVER, q->st.nat,
			   "no server to solicit");
		return;
	}
	solicit_primary(q, now);
}

void qual_requalify(struct qual *q, qual_time now, const char *why)
{
	char ip[INET_ADDRSTRLEN];

	q->backoff = QUAL_BACKOFF_MIN;
	if (!in_use(q)) {
		q->ops->log(q->ctx, "%s: qualifying again", why);
		qual_start(q, now);
		return;
	}
	/*
	 * Qualified (or dormant): the address and the data path stay while
	 * both server addresses are asked again; the same mapping keeps the
	 * address, another one replaces it, silence takes the client
	 * offline (or to the next server).  A dormant client's kernel holds
	 * what it sends till then.  A server no longer in the list: the
	 * address goes, and the list is tried from its start.
	 */
	new_round(q, true);
	if (!is_current(q, &q->list[0])) {
		char was[INET_ADDRSTRLEN];

		ipv4(was, q->cfg.server);
		if (!pick_next(q)) {
			go_offline(q, now, TEREDO_REASON_NO_SERVER, q->st.nat,
				   "no server to solicit");
			return;
		}
		q->ops->log(q->ctx, "%s: qualifying again, soliciting server %s (%s is no longer listed)",
			    why, ipv4(ip, q->cfg.server), was);
		solicit_primary(q, now);
		return;
	}
	q->next = 1;
	q->ops->log(q->ctx, "%s: qualifying again, soliciting server %s", why,
		    ipv4(ip, q->cfg.server));
	solicit(q, now, QUAL_PRIMARY, q->cfg.server);
}

void qual_suspend(struct qual *q, enum teredo_reason reason, const char *why)
{
	struct qual_status st = {
		.state = TEREDO_STATE_OFFLINE,
		.reason = reason,
		.nat = q->st.nat,
	};

	q->ops->log(q->ctx, "offline: %s", why);
	q->phase = QUAL_IDLE;
	q->backoff = QUAL_BACKOFF_MIN;
	publish(q, &st);
}

void qual_dormant(struct qual *q, const char *why)
{
	struct qual_status st = q->st;

	if (q->st.state != TEREDO_STATE_QUALIFIED)
		return;
	q->ops->log(q->ctx, "dormant: %s", why);
	q->phase = QUAL_IDLE;
	st.state = TEREDO_STATE_DORMANT;
	st.next_refresh = 0;
	publish(q, &st);
}

/* Offline for @reason; retry after the back-off, which then doubles. */
static void go_offline(struct qual *q, qual_time now,
		       enum teredo_reason reason, enum teredo_nat nat,
		       const char *why)
{
	struct qual_status st = {
		.state = TEREDO_STATE_OFFLINE,
		.reason = reason,
		.nat = nat,
	};

	q->ops->log(q->ctx, "offline: %s; retry in %u s", why,
		    q->backoff / 1000);
	q->phase = QUAL_BACKOFF;
	q->deadline = now + q->backoff;
	q->backoff = q->backoff * 2 > QUAL_BACKOFF_MAX ? QUAL_BACKOFF_MAX
						       : q->backoff * 2;
	publish(q, &st);
}

static uint32_t refresh_ms(struct qual *q)
{
	uint32_t r, base = q->cfg.refresh * 1000;

	/* Uniform in [75 %, 100 %] of the interval (RFC 4380 §5.2). */
	q->ops->random(q->ctx, &r, sizeof(r));
	return base / 4 * 3 + r % (base / 4 + 1);
}

static void schedule_refresh(struct qual *q, qual_time now,
			     struct qual_status *st)
{
	uint32_t ms = refresh_ms(q);

	q->phase = QUAL_QUALIFIED;
	q->deadline = now + ms;
	st->next_refresh = (ms + 999) / 1000;
}

/* Flags for the address of @mapped:@port: those of the last address
 * with this mapping, else 12 fresh random bits (RFC 5991 §4), cone 0. */
static uint16_t address_flags(struct qual *q, __be32 mapped, __be16 port)
{
	const struct in6_addr *s = &q->cfg.saved;
	uint16_t flags;

	if (teredo_addr_is_teredo(s) && teredo_addr_server(s) == q->cfg.server &&
	    teredo_addr_mapped(s) == mapped && teredo_addr_port(s) == port)
		return teredo_addr_flags(s) & TEREDO_FLAG_RANDOM;
	q->ops->random(q->ctx, &flags, sizeof(flags));
	return flags & TEREDO_FLAG_RANDOM;
}

static enum teredo_nat nat_type(struct qual *q, const struct ra_info *ra,
				enum teredo_nat otherwise)
{
	__be32 addr = 0;
	__be16 port = 0;

	q->ops->local(q->ctx, &addr, &port);
	if (ra->mapped == addr && ra->mapped_port == port)
		return TEREDO_NAT_NONE;
	return otherwise;
}

enum teredo_nat qual_symmetric_kind(__be16 local, __be32 m1, __be16 p1,
				    __be32 m2, __be16 p2)
{
	unsigned int step = (ntohs(p2) - ntohs(p1)) & 0xffff;

	if (p1 == local)
		return TEREDO_NAT_SYMMETRIC_PORT_PRESERVING;
	if (m1 == m2 && step >= 1 && step <= QUAL_SEQ_DELTA_MAX)
		return TEREDO_NAT_SYMMETRIC_SEQUENTIAL;
	return TEREDO_NAT_SYMMETRIC;
}

/* The kind of symmetric NAT the primary's @q->first and @ra show. */
static enum teredo_nat symmetric_kind(struct qual *q, const struct ra_info *ra)
{
	__be32 addr = 0;
	__be16 port = 0;

	q->ops->local(q->ctx, &addr, &port);
	return qual_symmetric_kind(port, q->first.mapped, q->first.mapped_port,
				   ra->mapped, ra->mapped_port);
}

static void qualified(struct qual *q, qual_time now, const struct ra_info *ra,
		      enum teredo_nat nat, const char *why)
{
	struct qual_status st = {
		.state = TEREDO_STATE_QUALIFIED,
		.nat = nat,
		.mapped = ra->mapped,
		.mapped_port = ra->mapped_port,
		.mtu = ra->mtu,
	};
	char addr[INET6_ADDRSTRLEN], from[64] = "";
	struct endpoint_str e, o;

	if (q->pm.addr && ra->mapped == q->pm.addr &&
	    ra->mapped_port == q->pm.port) {
		st.portmap = q->pm.method;
		st.portmap_gw = q->pm.gateway;
	}

	teredo_addr_build(&st.addr, q->cfg.server,
			  address_flags(q, ra->mapped, ra->mapped_port),
			  ra->mapped, ra->mapped_port);
	schedule_refresh(q, now, &st);
	q->backoff = QUAL_BACKOFF_MIN;

	if (q->st.state == TEREDO_STATE_QUALIFIED &&
	    (q->st.mapped != ra->mapped || q->st.mapped_port != ra->mapped_port))
		snprintf(from, sizeof(from), " (mapping changed from %s)",
			 endpoint(&o, q->st.mapped, q->st.mapped_port));
	inet_ntop(AF_INET6, &st.addr, addr, sizeof(addr));
	q->ops->log(q->ctx, "qualified: %s: mapped %s, nat %s%s%s%s%s", addr,
		    endpoint(&e, ra->mapped, ra->mapped_port),
		    qual_nat_name(nat), st.portmap ? ", " : "",
		    st.portmap ? q->pm.desc : "", from, why);
	q->cfg.saved = st.addr;
	publish(q, &st);
}

void qual_portmap(struct qual *q, __be32 addr, __be16 port, uint8_t method,
		  __be32 gateway)
{
	memset(&q->pm, 0, sizeof(q->pm));
	if (!addr || method == TEREDO_PORTMAP_NONE)
		return;
	q->pm.addr = addr;
	q->pm.port = port;
	q->pm.method = method;
	q->pm.gateway = gateway;
	pm_describe(q->pm.desc, sizeof(q->pm.desc), method, gateway);
}

/*
 * RFC 6081 §5.3: with a port mapping on the router, the address embeds
 * the mapping's public address and port whatever the server saw (@ra:
 * its answer; a symmetric NAT shows it another port per destination);
 * the peers reach us through the mapping.
 */
static void qualified_portmap(struct qual *q, qual_time now,
			      const struct ra_info *ra, enum teredo_nat nat,
			      const char *why)
{
	struct ra_info m = *ra;

	q->seen = ra->mapped;
	q->seen_port = ra->mapped_port;
	m.mapped = q->pm.addr;
	m.mapped_port = q->pm.port;
	qualified(q, now, &m, nat, why);
}

void qual_timer(struct qual *q, qual_time now)
{
	char ip[INET_ADDRSTRLEN], why[96];

	if (q->phase == QUAL_IDLE || now < q->deadline)
		return;
	switch (q->phase) {
	case QUAL_BACKOFF:
		qual_start(q, now);
		break;
	case QUAL_QUALIFIED:
		solicit(q, now, QUAL_REFRESH, q->cfg.server);
		break;
	case QUAL_PRIMARY:
	case QUAL_SECONDARY:
	case QUAL_REFRESH:
		if (q->tries < QUAL_RS_TRIES) {
			send_rs(q, now);
			break;
		}
		/*
		 * A silent secondary address proves nothing about the NAT:
		 * qualify on the primary's answer with the NAT type unknown,
		 * as Miredo (which never asks the secondary) would.
		 */
		if (q->phase == QUAL_SECONDARY) {
			snprintf(why, sizeof(why),
				 " (secondary server %s silent)",
				 ipv4(ip, q->target));
			if (q->pm.addr)
				qualified_portmap(q, now, &q->first,
						  TEREDO_NAT_UNKNOWN, why);
			else
				qualified(q, now, &q->first,
					  nat_type(q, &q->first,
						   TEREDO_NAT_UNKNOWN), why);
			break;
		}
		snprintf(why, sizeof(why), "%s %sserver %s",
			 q->unsent == q->tries ? "no route to" : "no answer from",
			 q->phase == QUAL_SECONDARY ? "secondary " : "",
			 ipv4(ip, q->target));
		/* The next server of the round, if any. */
		if (q->phase == QUAL_PRIMARY && pick_next(q)) {
			q->ops->log(q->ctx, "%s; soliciting server %s", why,
				    ipv4(ip, q->cfg.server));
			solicit_primary(q, now);
			break;
		}
		go_offline(q, now, q->unsent == q->tries ?
			   TEREDO_REASON_NO_ROUTE : TEREDO_REASON_NO_SERVER,
			   q->st.nat, why);
		break;
	case QUAL_IDLE:
		break;
	}
}

qual_time qual_deadline(const struct qual *q)
{
	return q->phase == QUAL_IDLE ? UINT64_MAX : q->deadline;
}

static bool soliciting(const struct qual *q)
{
	return q->phase == QUAL_PRIMARY || q->phase == QUAL_SECONDARY ||
	       q->phase == QUAL_REFRESH;
}

/* An answer to an RS we no longer wait for: a late duplicate. */
static bool stale(const struct qual *q, const uint8_t *buf, size_t len)
{
	size_t auth = teredo_auth_len(buf, len);
	const uint8_t *nonce = buf + auth - RA_NONCE_LEN - 1;

	if (!auth)
		return false;
	if (q->have_old_nonce && !memcmp(nonce, q->old_nonce, RA_NONCE_LEN))
		return true;
	return !soliciting(q) && !memcmp(nonce, q->nonce, RA_NONCE_LEN);
}

/* At most QUAL_IGNORED_LINES a minute: a flood must not flood the log. */
static bool ignore_logged(struct qual *q, qual_time now)
{
	if (now - q->ignored_since >= QUAL_IGNORED_WINDOW ||
	    now < q->ignored_since) {
		if (q->ignored_quiet)
			q->ops->log(q->ctx, "ignored %u more datagrams",
				    q->ignored_quiet);
		q->ignored_since = now;
		q->ignored_lines = 0;
		q->ignored_quiet = 0;
	}
	if (q->ignored_lines < QUAL_IGNORED_LINES) {
		q->ignored_lines++;
		return true;
	}
	q->ignored_quiet++;
	return false;
}

static void ignore(struct qual *q, qual_time now, __be32 from, __be16 port,
		   int err)
{
	struct endpoint_str e;

	if (ignore_logged(q, now))
		q->ops->log(q->ctx, "ignored RA from %s: %s",
			    endpoint(&e, from, port), ra_strerror(err));
}

void qual_rx(struct qual *q, qual_time now, __be32 from, __be16 port,
	     const uint8_t *buf, size_t len)
{
	struct ra_expect want = { .server = q->cfg.server, .dst = rs_source };
	struct endpoint_str a, b;
	struct qual_status st;
	struct ra_info ra;
	char why[128];
	int err;

	if (stale(q, buf, len))
		return;
	if (!soliciting(q)) {
		if (ignore_logged(q, now))
			q->ops->log(q->ctx,
				    "ignored datagram from %s: not soliciting",
				    endpoint(&a, from, port));
		return;
	}
	if (port != htons(TEREDO_PORT)) {
		ignore(q, now, from, port, -RA_ERR_SOURCE_PORT);
		return;
	}
	if (from != q->target) {
		ignore(q, now, from, port, -RA_ERR_SOURCE);
		return;
	}
	memcpy(want.nonce, q->nonce, sizeof(want.nonce));
	err = ra_parse(buf, len, &want, &ra);
	if (err) {
		ignore(q, now, from, port, err);
		return;
	}

	switch (q->phase) {
	case QUAL_PRIMARY:
		/* RFC 4380 §5.2.1: the secondary address must agree. */
		q->first = ra;
		solicit(q, now, QUAL_SECONDARY, q->cfg.server2);
		break;
	case QUAL_SECONDARY:
		if ((ra.mapped != q->first.mapped ||
		     ra.mapped_port != q->first.mapped_port) && q->pm.addr) {
			snprintf(why, sizeof(why),
				 " (the server saw %s and %s)",
				 endpoint(&a, q->first.mapped,
					  q->first.mapped_port),
				 endpoint(&b, ra.mapped, ra.mapped_port));
			qualified_portmap(q, now, &q->first,
					  symmetric_kind(q, &ra), why);
			break;
		}
		/*
		 * RFC 6081 §5.2 (symmetric NAT support): the primary's
		 * mapping still takes what its server relays, and peers
		 * reach us where our answers come from (the kernel's
		 * Nonce trailers prove it); relays reach us, as Miredo's
		 * do.  --symmetric-nat off: RFC 4380's offline.
		 */
		if ((ra.mapped != q->first.mapped ||
		     ra.mapped_port != q->first.mapped_port) &&
		    !q->cfg.symmetric_offline) {
			snprintf(why, sizeof(why),
				 " (the server saw %s and %s)",
				 endpoint(&a, q->first.mapped,
					  q->first.mapped_port),
				 endpoint(&b, ra.mapped, ra.mapped_port));
			qualified(q, now, &q->first, symmetric_kind(q, &ra),
				  why);
			break;
		}
		if (ra.mapped != q->first.mapped ||
		    ra.mapped_port != q->first.mapped_port) {
			snprintf(why, sizeof(why),
				 "symmetric NAT (mappings %s and %s differ)",
				 endpoint(&a, q->first.mapped,
					  q->first.mapped_port),
				 endpoint(&b, ra.mapped, ra.mapped_port));
			go_offline(q, now, TEREDO_REASON_SYMMETRIC_NAT,
				   symmetric_kind(q, &ra), why);
			q->ops->log(q->ctx,
				    "hint: a symmetric NAT needs a port mapping: teredod --port-mapping auto (UPnP IGD, NAT-PMP or PCP on the router; PORT_MAPPING=auto in DEV.conf), or forward a UDP port to this host and use it (ip link add ... port N)");
			break;
		}
		qualified(q, now, &ra,
			  nat_type(q, &ra, TEREDO_NAT_RESTRICTED), "");
		break;
	case QUAL_REFRESH:
		/* Through the port mapping: the NAT's own mapping towards
		 * the server may differ from the address; what changes is
		 * its public address. */
		if (q->st.portmap && ra.mapped == q->pm.addr &&
		    (ra.mapped != q->seen || ra.mapped_port != q->seen_port)) {
			q->seen = ra.mapped;
			q->seen_port = ra.mapped_port;
		}
		if (q->st.portmap && ra.mapped == q->seen &&
		    ra.mapped_port == q->seen_port) {
			st = q->st;
			st.mtu = ra.mtu;
			schedule_refresh(q, now, &st);
			publish(q, &st);
			break;
		}
		if (ra.mapped != q->st.mapped ||
		    ra.mapped_port != q->st.mapped_port) {
			/* RFC 4380 §5.2.5: the NAT binding changed. */
			qualified(q, now, &ra,
				  nat_type(q, &ra, q->st.nat == TEREDO_NAT_NONE ?
					   TEREDO_NAT_RESTRICTED : q->st.nat),
				  "");
			break;
		}
		st = q->st;
		st.mtu = ra.mtu;
		schedule_refresh(q, now, &st);
		publish(q, &st);
		break;
	default:
		break;
	}
}
