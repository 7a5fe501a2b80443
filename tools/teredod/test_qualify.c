// SPDX-License-Identifier: GPL-2.0
/*
 * The state machine with a fake clock, socket, RNG and kernel: every
 * scenario of the issue that does not need a real NAT, and the timers
 * (3 RS 4 s apart, back-off, refresh jitter) to the millisecond.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "proto.h"
#include "qualify.h"
#include "test_lib.h"
#include "unit.h"

#define SRV	"198.18.0.1"
#define SRV2	"198.18.0.2"
#define NAT	"198.18.0.40"

struct sent {
	__be32 dst;
	uint8_t buf[RS_LEN];
	size_t len;
	qual_time at;
};

struct fake {
	qual_time now;
	struct sent sent[64];
	unsigned int nsent;
	bool send_fails;
	uint8_t rnd;			/* next random byte */
	uint32_t rnd_fixed;		/* if set: every 4-byte draw */
	bool use_fixed;
	struct qual_status pub[64];
	unsigned int npub;
	char log[64][256];
	unsigned int nlog;
	__be32 local;
	__be16 local_port;
};

static bool f_send(void *ctx, __be32 dst, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	struct sent *s = &f->sent[f->nsent++ % 64];

	s->dst = dst;
	s->len = len;
	s->at = f->now;
	memcpy(s->buf, buf, len < RS_LEN ? len : RS_LEN);
	return !f->send_fails;
}

static void f_random(void *ctx, void *buf, size_t len)
{
	struct fake *f = ctx;
	uint8_t *p = buf;

	if (f->use_fixed && len == 4) {
		memcpy(buf, &f->rnd_fixed, 4);
		return;
	}
	while (len--)
		*p++ = f->rnd++;
}

static void f_local(void *ctx, __be32 *addr, __be16 *port)
{
	struct fake *f = ctx;

	*addr = f->local;
	*port = f->local_port;
}

static void f_publish(void *ctx, const struct qual_status *st,
		      const struct qual_status *old)
{
	struct fake *f = ctx;

	(void)old;
	f->pub[f->npub++ % 64] = *st;
}

static void f_log(void *ctx, const char *fmt, ...)
{
	struct fake *f = ctx;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->log[f->nlog++ % 64], 256, fmt, ap);
	va_end(ap);
	printf("#     log: %s\n", f->log[(f->nlog - 1) % 64]);
}

static const struct qual_ops fops = {
	.send = f_send, .random = f_random, .local = f_local,
	.publish = f_publish, .log = f_log,
};

static struct fake F;
static struct qual Q;

static void setup(uint32_t refresh)
{
	struct qual_config cfg = {
		.server = ip4(SRV), .server2 = ip4(SRV2), .refresh = refresh,
	};

	memset(&F, 0, sizeof(F));
	F.now = 1000000;
	F.local = ip4("10.0.0.2");
	F.local_port = htons(40000);
	qual_init(&Q, &cfg, &fops, &F);
}

static const struct sent *last_sent(void)
{
	return F.nsent ? &F.sent[(F.nsent - 1) % 64] : NULL;
}

static const struct qual_status *last_pub(void)
{
	static const struct qual_status none = { .state = 99 };

	return F.npub ? &F.pub[(F.npub - 1) % 64] : &none;
}

static const char *last_log(void)
{
	return F.nlog ? F.log[(F.nlog - 1) % 64] : "";
}

/* Advance the clock to @t, firing the timer at each deadline on the way. */
static void run_to(qual_time t)
{
	while (qual_deadline(&Q) <= t) {
		F.now = qual_deadline(&Q);
		qual_timer(&Q, F.now);
	}
	F.now = t;
	qual_timer(&Q, F.now);
}

/* The server answers the last RS from @from:@sport with @mapped:@port. */
static void answer_from(const char *from, uint16_t sport, const char *mapped,
			uint16_t port)
{
	struct ra_spec s = { .mapped = mapped, .port = port, .mtu = 1280 };
	uint8_t buf[256];
	size_t len;

	memcpy(s.nonce, last_sent()->buf + 4, RA_NONCE_LEN);
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(from), htons(sport), buf, len);
}

static void answer(const char *mapped, uint16_t port)
{
	char from[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &last_sent()->dst, from, sizeof(from));
	answer_from(from, 3544, mapped, port);
}

static void qualify(void)
{
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	answer(NAT, 40000);
}

UNIT_TEST(start_sends_rs_to_primary)
{
	setup(30);
	qual_start(&Q, F.now);
	CHECK_EQ(F.nsent, 1);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(last_sent()->len, RS_LEN);
	CHECK_EQ(last_sent()->buf[0], 0);
	CHECK_EQ(last_sent()->buf[1], 1);
	CHECK_EQ(F.npub, 1);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	CHECK(!strcmp(last_log(), "qualifying: soliciting server " SRV));
	CHECK_EQ(qual_deadline(&Q), F.now + 4000);
}

UNIT_TEST(qualifies_after_both_addresses_agree)
{
	const struct qual_status *st;
	uint8_t n1[8];
	char text[INET6_ADDRSTRLEN], want[160];
	uint16_t flags;

	setup(30);
	qual_start(&Q, F.now);
	memcpy(n1, last_sent()->buf + 4, 8);
	F.now += 20;
	answer(NAT, 40000);
	/* Then the secondary, with a fresh nonce. */
	CHECK_EQ(F.nsent, 2);
	CHECK_EQ(last_sent()->dst, ip4(SRV2));
	CHECK(memcmp(n1, last_sent()->buf + 4, 8));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	F.now += 20;
	answer(NAT, 40000);

	st = last_pub();
	CHECK_EQ(st->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(st->reason, TEREDO_REASON_NONE);
	CHECK_EQ(st->nat, TEREDO_NAT_RESTRICTED);
	CHECK_EQ(st->mapped, ip4(NAT));
	CHECK_EQ(ntohs(st->mapped_port), 40000);
	CHECK_EQ(st->mtu, 1280);
	CHECK(teredo_addr_is_teredo(&st->addr));
	CHECK_EQ(teredo_addr_server(&st->addr), ip4(SRV));
	CHECK_EQ(teredo_addr_mapped(&st->addr), ip4(NAT));
	CHECK_EQ(ntohs(teredo_addr_port(&st->addr)), 40000);
	flags = teredo_addr_flags(&st->addr);
	CHECK_EQ(flags & ~TEREDO_FLAG_RANDOM, 0);	/* cone 0, z U G 0 */
	/* 2001:0:c612:1:<flags>:63bf:3b3f:ffd7 for 198.18.0.40:40000 */
	CHECK_EQ(st->addr.s6_addr[10], 0x63);
	CHECK_EQ(st->addr.s6_addr[11], 0xbf);
	inet_ntop(AF_INET6, &st->addr, text, sizeof(text));
	snprintf(want, sizeof(want),
		 "qualified: %s: mapped " NAT ":40000, nat restricted", text);
	CHECK(!strcmp(last_log(), want));
	/* Refresh in 75..100 % of 30 s; NEXT_REFRESH says the same. */
	CHECK(qual_deadline(&Q) >= F.now + 22500);
	CHECK(qual_deadline(&Q) <= F.now + 30000);
	CHECK(st->next_refresh >= 23 && st->next_refresh <= 30);
	CHECK_EQ(F.nsent, 2);
	CHECK_EQ(F.npub, 2);	/* qualifying, qualified */
}

UNIT_TEST(no_nat_when_mapping_is_local)
{
	setup(30);
	F.local = ip4(NAT);
	qualify();
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_NONE);
	CHECK(strstr(last_log(), ", nat none"));
	/* Same address, other port: a NAT after all. */
	setup(30);
	F.local = ip4(NAT);
	F.local_port = htons(5000);
	qualify();
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_RESTRICTED);
}

/* --symmetric-nat off: RFC 4380's answer to a symmetric NAT. */
static void setup_rfc4380(uint32_t refresh)
{
	setup(refresh);
	Q.cfg.symmetric_offline = true;
}

/*
 * RFC 6081 §5.2, the default: the primary's mapping, nat symmetric, and
 * it stays through refreshes and a second qualification.
 */
UNIT_TEST(symmetric_nat_qualifies_with_the_primary_mapping)
{
	struct in6_addr addr;

	setup(30);
	/* Neither port-preserving nor sequential (RFC 6081 §5.4, §5.5). */
	F.local_port = htons(50000);
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	answer(NAT, 47311);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_NONE);
	CHECK_EQ(last_pub()->mapped, ip4(NAT));
	CHECK_EQ(ntohs(last_pub()->mapped_port), 40000);
	CHECK(!last_pub()->portmap);
	CHECK(teredo_addr_is_teredo(&last_pub()->addr));
	CHECK_EQ(teredo_addr_mapped(&last_pub()->addr), ip4(NAT));
	CHECK_EQ(ntohs(teredo_addr_port(&last_pub()->addr)), 40000);
	CHECK(strstr(last_log(), ": mapped " NAT ":40000, nat symmetric (the server saw "
		     NAT ":40000 and " NAT ":47311)"));
	addr = last_pub()->addr;
	/* The refresh goes to the primary, whose mapping stays. */
	run_to(qual_deadline(&Q));
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC);
	CHECK(!memcmp(&last_pub()->addr, &addr, sizeof(addr)));
	/* Asked again (SIGHUP): the same address. */
	qual_requalify(&Q, F.now, "test");
	answer(NAT, 40000);
	answer(NAT, 47312);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK(!memcmp(&last_pub()->addr, &addr, sizeof(addr)));
}

UNIT_TEST(symmetric_nat_is_offline)
{
	setup_rfc4380(30);
	F.local_port = htons(50000);
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	answer(NAT, 47311);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_SYMMETRIC_NAT);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC);
	CHECK(!teredo_addr_is_teredo(&last_pub()->addr));
	CHECK(!strcmp(F.log[(F.nlog - 2) % 64], "offline: symmetric NAT (mappings "
		      NAT ":40000 and " NAT ":47311 differ); retry in 15 s"));
	/* Then what to do about it. */
	CHECK(!strncmp(last_log(), "hint: a symmetric NAT needs a port mapping: teredod --port-mapping auto", 71));
	CHECK(strstr(last_log(), "forward a UDP port"));
	/* Different address, same port: symmetric too. */
	setup_rfc4380(30);
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	answer("198.18.0.41", 40000);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_SYMMETRIC_NAT);
	/* And it tries again later, from the primary. */
	CHECK_EQ(qual_deadline(&Q), F.now + 15000);
	run_to(F.now + 15000);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
}

/* RFC 6081 §5.4, §5.5: the kinds of symmetric NAT, from the ports. */
UNIT_TEST(symmetric_kind_from_the_ports)
{
	__be16 l = htons(40000);
	__be32 a = ip4(NAT), b = ip4("198.18.0.41");

	/* The first mapping kept the local port: port-preserving. */
	CHECK_EQ(qual_symmetric_kind(l, a, htons(40000), a, htons(1025)),
		 TEREDO_NAT_SYMMETRIC_PORT_PRESERVING);
	CHECK_EQ(qual_symmetric_kind(l, a, htons(40000), a, htons(40001)),
		 TEREDO_NAT_SYMMETRIC_PORT_PRESERVING);
	CHECK_EQ(qual_symmetric_kind(l, a, htons(40000), b, htons(40000)),
		 TEREDO_NAT_SYMMETRIC_PORT_PRESERVING);
	/* Only the second kept it: the first was another port. */
	CHECK_EQ(qual_symmetric_kind(l, a, htons(30000), a, htons(40000)),
		 TEREDO_NAT_SYMMETRIC);
	/* The next port, or a few further: sequential. */
	CHECK_EQ(qual_symmetric_kind(l, a, htons(30000), a, htons(30001)),
		 TEREDO_NAT_SYMMETRIC_SEQUENTIAL);
	CHECK_EQ(qual_symmetric_kind(l, a, htons(30000), a,
				     htons(30000 + QUAL_SEQ_DELTA_MAX)),
		 TEREDO_NAT_SYMMETRIC_SEQUENTIAL);
	CHECK_EQ(qual_symmetric_kind(l, a, htons(65535), a, htons(0)),
		 TEREDO_NAT_SYMMETRIC_SEQUENTIAL);
	/* Too far, backwards, or another address: plain symmetric. */
	CHECK_EQ(qual_symmetric_kind(l, a, htons(30000), a,
				     htons(30001 + QUAL_SEQ_DELTA_MAX)),
		 TEREDO_NAT_SYMMETRIC);
	CHECK_EQ(qual_symmetric_kind(l, a, htons(30001), a, htons(30000)),
		 TEREDO_NAT_SYMMETRIC);
	CHECK_EQ(qual_symmetric_kind(l, a, htons(30000), b, htons(30001)),
		 TEREDO_NAT_SYMMETRIC);
}

/* The two-server test reports them, qualified or (RFC 4380) offline. */
UNIT_TEST(symmetric_kinds_reported)
{
	setup(30);
	qual_start(&Q, F.now);
	answer(NAT, 40000);		/* = F.local_port */
	answer(NAT, 1024);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC_PORT_PRESERVING);
	CHECK_EQ(ntohs(last_pub()->mapped_port), 40000);
	CHECK(strstr(last_log(), ": mapped " NAT ":40000, nat symmetric (port-preserving) (the server saw "
		     NAT ":40000 and " NAT ":1024)"));
	/* A refresh keeps the kind. */
	run_to(qual_deadline(&Q));
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC_PORT_PRESERVING);

	setup(30);
	qual_start(&Q, F.now);
	answer(NAT, 20000);
	answer(NAT, 20001);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC_SEQUENTIAL);
	CHECK_EQ(ntohs(last_pub()->mapped_port), 20000);
	CHECK(strstr(last_log(), ": mapped " NAT ":20000, nat symmetric (sequential) (the server saw "
		     NAT ":20000 and " NAT ":20001)"));

	setup_rfc4380(30);
	qual_start(&Q, F.now);
	answer(NAT, 20000);
	answer(NAT, 20002);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_SYMMETRIC_NAT);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_SYMMETRIC_SEQUENTIAL);
}

UNIT_TEST(three_rs_four_seconds_apart_then_offline)
{
	qual_time t0;
	unsigned int i;

	setup(30);
	t0 = F.now;
	qual_start(&Q, F.now);
	run_to(t0 + 11999);
	CHECK_EQ(F.nsent, 3);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(F.sent[i].at, t0 + 4000 * i);
		CHECK_EQ(F.sent[i].dst, ip4(SRV));
		/* Retransmissions keep the nonce: a late RA still counts. */
		CHECK(!memcmp(F.sent[i].buf, F.sent[0].buf, RS_LEN));
	}
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	run_to(t0 + 12000);
	CHECK_EQ(F.nsent, 3);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_NO_SERVER);
	CHECK(!strcmp(last_log(),
		      "offline: no answer from server " SRV "; retry in 15 s"));
	/* Nothing during the back-off, then a new round. */
	run_to(t0 + 12000 + 14999);
	CHECK_EQ(F.nsent, 3);
	run_to(t0 + 12000 + 15000);
	CHECK_EQ(F.nsent, 4);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
}

UNIT_TEST(late_answer_to_a_retransmission_counts)
{
	setup(30);
	qual_start(&Q, F.now);
	run_to(F.now + 8500);		/* third RS out */
	answer(NAT, 40000);
	CHECK_EQ(last_sent()->dst, ip4(SRV2));
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
}

UNIT_TEST(backoff_doubles_up_to_five_minutes)
{
	static const unsigned int want[] = { 15, 30, 60, 120, 240, 300, 300 };
	char line[96];
	unsigned int i;

	setup(30);
	qual_start(&Q, F.now);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		qual_time start = F.now;

		run_to(F.now + 12000);
		snprintf(line, sizeof(line),
			 "offline: no answer from server " SRV "; retry in %u s",
			 want[i]);
		CHECK(!strcmp(last_log(), line));
		CHECK_EQ(qual_deadline(&Q), start + 12000 + want[i] * 1000);
		run_to(qual_deadline(&Q));
	}
	/* Qualifying resets it. */
	answer(NAT, 40000);
	answer(NAT, 40000);
	CHECK_EQ(Q.backoff, QUAL_BACKOFF_MIN);
}

UNIT_TEST(secondary_silent_qualifies_nat_unknown)
{
	setup(30);
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	run_to(F.now + 11999);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	run_to(F.now + 1);
	CHECK_EQ(F.nsent, 4);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_UNKNOWN);
	CHECK_EQ(last_pub()->mapped, ip4(NAT));
	CHECK(strstr(last_log(), ", nat unknown (secondary server " SRV2
		     " silent)"));
	/* No NAT at all still shows: the mapping is our own address. */
	setup(30);
	F.local = ip4(NAT);
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	run_to(F.now + 12000);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_NONE);
}

UNIT_TEST(requalify_keeps_address_and_state)
{
	struct qual_status q1;
	unsigned int pubs, sent;

	setup(30);
	qualify();
	q1 = *last_pub();
	pubs = F.npub;
	sent = F.nsent;
	qual_requalify(&Q, F.now, "SIGHUP");
	CHECK(!strcmp(last_log(), "SIGHUP: qualifying again, soliciting server "
		      SRV));
	CHECK_EQ(F.nsent, sent + 1);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(F.npub, pubs);		/* still qualified: nothing pushed */
	answer(NAT, 40000);
	CHECK_EQ(last_sent()->dst, ip4(SRV2));
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK(!memcmp(&last_pub()->addr, &q1.addr, 16));
	CHECK(!strstr(last_log(), "mapping changed"));
}

UNIT_TEST(suspend_stops_everything_until_requalified)
{
	unsigned int sent;

	setup(30);
	qualify();
	qual_suspend(&Q, TEREDO_REASON_NATIVE_IPV6, "native IPv6 on eth0");
	CHECK(!strcmp(last_log(), "offline: native IPv6 on eth0"));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_NATIVE_IPV6);
	CHECK(!teredo_addr_is_teredo(&last_pub()->addr));
	CHECK_EQ(qual_deadline(&Q), UINT64_MAX);
	sent = F.nsent;
	run_to(F.now + 3600 * 1000);		/* an hour: not one RS */
	CHECK_EQ(F.nsent, sent);
	answer(NAT, 40000);			/* an RA: ignored */
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	qual_requalify(&Q, F.now, "native IPv6 gone");
	CHECK_EQ(F.nsent, sent + 1);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	answer(NAT, 40000);
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
}

UNIT_TEST(dormant_keeps_address_wakes_on_requalify)
{
	struct qual_status q1;
	unsigned int sent, pubs;

	setup(30);
	qualify();
	q1 = *last_pub();
	qual_dormant(&Q, "idle for 60 s");
	CHECK(!strcmp(last_log(), "dormant: idle for 60 s"));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_DORMANT);
	CHECK(!memcmp(&last_pub()->addr, &q1.addr, 16));
	CHECK_EQ(last_pub()->mapped, q1.mapped);
	CHECK_EQ(qual_deadline(&Q), UINT64_MAX);
	sent = F.nsent;
	run_to(F.now + 3600 * 1000);		/* no refresh while dormant */
	CHECK_EQ(F.nsent, sent);
	pubs = F.npub;
	qual_requalify(&Q, F.now, "woken by traffic");
	CHECK_EQ(F.nsent, sent + 1);
	CHECK_EQ(F.npub, pubs);			/* still dormant meanwhile */
	answer(NAT, 40000);
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK(!memcmp(&last_pub()->addr, &q1.addr, 16));
	/* Only a qualified client goes dormant. */
	setup(30);
	qual_start(&Q, F.now);
	qual_dormant(&Q, "idle");
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
}

UNIT_TEST(requalify_resets_backoff)
{
	setup(30);
	qual_start(&Q, F.now);
	run_to(F.now + 12000);		/* offline, retry in 15 s */
	run_to(F.now + 15000 + 12000);	/* again, now 30 s */
	CHECK_EQ(Q.backoff, QUAL_BACKOFF_MIN * 4);
	qual_requalify(&Q, F.now, "network changed");
	CHECK_EQ(Q.backoff, QUAL_BACKOFF_MIN);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(qual_deadline(&Q), F.now + 4000);
}

UNIT_TEST(no_route_reason)
{
	setup(30);
	F.send_fails = true;
	qual_start(&Q, F.now);
	run_to(F.now + 12000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_NO_ROUTE);
	CHECK(!strcmp(last_log(),
		      "offline: no route to server " SRV "; retry in 15 s"));
}

UNIT_TEST(refresh_keeps_address)
{
	struct qual_status q1;
	unsigned int pubs, logs, sent;

	setup(30);
	qualify();
	q1 = *last_pub();
	pubs = F.npub;
	logs = F.nlog;
	sent = F.nsent;
	run_to(qual_deadline(&Q) - 1);
	CHECK_EQ(F.nsent, sent);
	run_to(qual_deadline(&Q));
	CHECK_EQ(F.nsent, sent + 1);
	CHECK_EQ(last_sent()->dst, ip4(SRV));	/* refresh: primary only */
	answer(NAT, 40000);
	CHECK_EQ(F.npub, pubs + 1);		/* NEXT_REFRESH */
	CHECK_EQ(F.nlog, logs);			/* no state change, no line */
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK(!memcmp(&last_pub()->addr, &q1.addr, 16));
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_RESTRICTED);
	CHECK(last_pub()->next_refresh >= 23);
	CHECK_EQ(F.nsent, sent + 1);
}

UNIT_TEST(refresh_jitter_bounds)
{
	setup(10);
	F.use_fixed = true;
	F.rnd_fixed = 0;
	qualify();
	CHECK_EQ(qual_deadline(&Q), F.now + 7500);
	CHECK_EQ(last_pub()->next_refresh, 8);
	setup(10);
	F.use_fixed = true;
	F.rnd_fixed = 2500;
	qualify();
	CHECK_EQ(qual_deadline(&Q), F.now + 10000);
	CHECK_EQ(last_pub()->next_refresh, 10);
	setup(300);
	F.use_fixed = true;
	F.rnd_fixed = 0xffffffff;
	qualify();
	CHECK(qual_deadline(&Q) >= F.now + 225000);
	CHECK(qual_deadline(&Q) <= F.now + 300000);
}

UNIT_TEST(mapping_change_gives_new_address)
{
	struct qual_status q1;

	setup(30);
	qualify();
	q1 = *last_pub();
	run_to(qual_deadline(&Q));
	answer("198.18.0.41", 41000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->mapped, ip4("198.18.0.41"));
	CHECK_EQ(ntohs(last_pub()->mapped_port), 41000);
	CHECK(memcmp(&last_pub()->addr, &q1.addr, 16));
	CHECK_EQ(teredo_addr_mapped(&last_pub()->addr), ip4("198.18.0.41"));
	CHECK(strstr(last_log(), "(mapping changed from " NAT ":40000)"));
	CHECK(!strncmp(last_log(), "qualified: 2001:0:c612:1:", 25));
}

UNIT_TEST(lost_server_goes_offline)
{
	qual_time t;

	setup(30);
	qualify();
	run_to(qual_deadline(&Q));
	t = F.now;
	run_to(t + 11999);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	run_to(t + 12000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_NO_SERVER);
	CHECK(!teredo_addr_is_teredo(&last_pub()->addr));
	CHECK(!strcmp(last_log(),
		      "offline: no answer from server " SRV "; retry in 15 s"));
	/* The server is back: qualified again, the same address. */
	run_to(t + 12000 + 15000);
	answer(NAT, 40000);
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
}

UNIT_TEST(bad_ras_ignored_with_a_line)
{
	struct ra_spec s = { .mapped = NAT, .port = 40000, .mtu = 1280 };
	uint8_t buf[256];
	size_t len;
	unsigned int logs, pubs;

	setup(30);
	qual_start(&Q, F.now);
	logs = F.nlog;
	pubs = F.npub;
	memcpy(s.nonce, last_sent()->buf + 4, 8);

	/* Wrong nonce. */
	s.nonce[0] ^= 1;
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(SRV), htons(3544), buf, len);
	CHECK(!strcmp(last_log(), "ignored RA from " SRV ":3544: wrong nonce"));
	s.nonce[0] ^= 1;

	/* No origin indication: the IPv6 packet right after the auth. */
	len = test_ra_build(buf, &s);
	memmove(buf + 13, buf + 21, len - 21);
	qual_rx(&Q, F.now, ip4(SRV), htons(3544), buf, len - 8);
	CHECK(!strcmp(last_log(),
		      "ignored RA from " SRV ":3544: no origin indication"));

	/* Two prefixes. */
	len = test_ra_build(buf, &s);
	memcpy(buf + len, buf + 77, 32);
	buf[21 + 5] += 32;
	test_ra_fix_checksum(buf, len + 32);
	qual_rx(&Q, F.now, ip4(SRV), htons(3544), buf, len + 32);
	CHECK(!strcmp(last_log(),
		      "ignored RA from " SRV ":3544: more than one prefix"));

	/* Another server's prefix. */
	s.server = "198.18.0.9";
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(SRV), htons(3544), buf, len);
	CHECK(strstr(last_log(), ": prefix not 2001:0:<server>::/64"));
	s.server = NULL;

	/* Wrong source port, wrong source address. */
	answer_from(SRV, 3545, NAT, 40000);
	CHECK(!strcmp(last_log(),
		      "ignored RA from " SRV ":3545: source port not 3544"));
	answer_from(SRV2, 3544, NAT, 40000);
	CHECK(!strcmp(last_log(), "ignored RA from " SRV2
		      ":3544: not from the address solicited"));

	CHECK_EQ(F.nlog, logs + 6);
	CHECK_EQ(F.npub, pubs);			/* nothing changed */
	CHECK_EQ(F.nsent, 1);
	/* The good one still counts. */
	answer(NAT, 40000);
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
}

UNIT_TEST(bad_ra_lines_rate_limited)
{
	unsigned int i, logs;

	setup(30);
	qual_start(&Q, F.now);
	logs = F.nlog;
	for (i = 0; i < 25; i++)
		answer_from(SRV, 9999, NAT, 40000);
	CHECK_EQ(F.nlog, logs + QUAL_IGNORED_LINES);
	F.now += QUAL_IGNORED_WINDOW;
	answer_from(SRV, 9999, NAT, 40000);
	CHECK_EQ(F.nlog, logs + QUAL_IGNORED_LINES + 2);
	CHECK(!strcmp(F.log[(F.nlog - 2) % 64], "ignored 15 more datagrams"));
}

UNIT_TEST(duplicate_and_unsolicited)
{
	struct ra_spec s = { .mapped = NAT, .port = 40000 };
	uint8_t buf[256], first[8];
	size_t len;
	unsigned int logs;

	setup(30);
	qual_start(&Q, F.now);
	memcpy(first, last_sent()->buf + 4, 8);
	answer(NAT, 40000);
	/* The primary's answer to a retransmission, late: silently dropped. */
	logs = F.nlog;
	memcpy(s.nonce, first, 8);
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(SRV), htons(3544), buf, len);
	CHECK_EQ(F.nlog, logs);
	CHECK_EQ(Q.phase, QUAL_SECONDARY);
	answer(NAT, 40000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	/* A duplicate of the secondary's answer: silent too. */
	memcpy(s.nonce, last_sent()->buf + 4, 8);
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(SRV2), htons(3544), buf, len);
	CHECK_EQ(F.nlog, logs + 1);
	/* Something else while not soliciting: a line, no change. */
	s.nonce[3] ^= 0x55;
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(SRV), htons(3544), buf, len);
	CHECK_EQ(F.nlog, logs + 2);
	CHECK(!strcmp(last_log(),
		      "ignored datagram from " SRV ":3544: not soliciting"));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
}

UNIT_TEST(saved_address_flags_reused)
{
	struct qual_config cfg = {
		.server = ip4(SRV), .server2 = ip4(SRV2), .refresh = 30,
	};
	struct in6_addr a;

	setup(30);
	teredo_addr_build(&cfg.saved, ip4(SRV), 0x3065, ip4(NAT),
			  htons(40000));
	qual_init(&Q, &cfg, &fops, &F);
	qualify();
	CHECK(!memcmp(&last_pub()->addr, &cfg.saved, 16));
	/* A saved cone bit is not carried over. */
	teredo_addr_build(&cfg.saved, ip4(SRV), 0x8000 | 0x0042, ip4(NAT),
			  htons(40000));
	setup(30);
	qual_init(&Q, &cfg, &fops, &F);
	qualify();
	CHECK_EQ(teredo_addr_flags(&last_pub()->addr), 0x0042);
	/* Another mapping: new random flags. */
	teredo_addr_build(&cfg.saved, ip4(SRV), 0x3065, ip4(NAT), htons(40001));
	setup(30);
	F.rnd = 0x10;
	qual_init(&Q, &cfg, &fops, &F);
	qualify();
	a = last_pub()->addr;
	CHECK_EQ(teredo_addr_port(&a), htons(40000));
	CHECK(teredo_addr_flags(&a) != 0x3065);
	/* After an offline spell with the same mapping: the same address. */
	run_to(qual_deadline(&Q));
	run_to(F.now + 12000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	run_to(qual_deadline(&Q));
	answer(NAT, 40000);
	answer(NAT, 40000);
	CHECK(!memcmp(&last_pub()->addr, &a, 16));
}

UNIT_TEST(random_flags_vary)
{
	uint16_t seen[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		setup(30);
		F.rnd = (uint8_t)(i * 37 + 3);
		qualify();
		seen[i] = teredo_addr_flags(&last_pub()->addr);
		CHECK_EQ(seen[i] & ~TEREDO_FLAG_RANDOM, 0);
	}
	CHECK(seen[0] != seen[1] || seen[1] != seen[2] || seen[2] != seen[3]);
}

/* --- several servers (teredod --server) ------------------------------ */

#define SRV_B	"198.18.0.7"
#define SRV_B2	"198.18.0.8"
#define SRV_C	"198.18.0.9"

static struct {
	struct qual_server list[QUAL_MAX_SERVERS];
	unsigned int n;			/* what the next resolve() gives */
	unsigned int rounds;		/* resolve() calls */
	__be32 refuse;			/* use_server() fails for it */
	__be32 used[16];		/* use_server() calls */
	unsigned int nused;
} R;

static unsigned int f_resolve(void *ctx, struct qual_server *list)
{
	(void)ctx;
	R.rounds++;
	memcpy(list, R.list, R.n * sizeof(*list));
	return R.n;
}

static bool f_use_server(void *ctx, const struct qual_server *s)
{
	(void)ctx;
	R.used[R.nused++ % 16] = s->addr;
	return s->addr != R.refuse;
}

static const struct qual_ops fops_list = {
	.send = f_send, .random = f_random, .local = f_local,
	.publish = f_publish, .log = f_log,
	.resolve = f_resolve, .use_server = f_use_server,
};

/* The servers of the next rounds: "A A2 B B2 ..." pairs. */
static void resolves_to(unsigned int n, const char *const *addrs)
{
	unsigned int i;

	R.n = n;
	for (i = 0; i < n; i++) {
		R.list[i].addr = ip4(addrs[2 * i]);
		R.list[i].addr2 = ip4(addrs[2 * i + 1]);
	}
}

static void setup_list(void)
{
	struct qual_config cfg = {
		.server = ip4(SRV), .server2 = ip4(SRV2), .refresh = 30,
	};

	setup(30);
	memset(&R, 0, sizeof(R));
	qual_init(&Q, &cfg, &fops_list, &F);
}

/* The server answers the last RS with an RA whose prefix is its own. */
static void answer_as(const char *srv)
{
	struct ra_spec s = { .mapped = NAT, .port = 40000, .mtu = 1280,
			     .server = srv };
	char from[INET_ADDRSTRLEN];
	uint8_t buf[256];
	size_t len;

	inet_ntop(AF_INET, &last_sent()->dst, from, sizeof(from));
	memcpy(s.nonce, last_sent()->buf + 4, RA_NONCE_LEN);
	len = test_ra_build(buf, &s);
	qual_rx(&Q, F.now, ip4(from), htons(3544), buf, len);
}

/* The destinations of the RS sent so far, "a b c". */
static const char *rs_dsts(void)
{
	static char out[64 * 16];
	char ip[INET_ADDRSTRLEN];
	size_t used = 0;
	unsigned int i;

	out[0] = '\0';
	for (i = 0; i < F.nsent && i < 64; i++)
		used += snprintf(out + used, sizeof(out) - used, "%s%s",
				 i ? " " : "",
				 inet_ntop(AF_INET, &F.sent[i].dst, ip,
					   sizeof(ip)));
	return out;
}

UNIT_TEST(list_silent_first_then_next)
{
	static const char *const l[] = { SRV_B, SRV_B2, SRV, SRV2 };
	struct in6_addr a;

	setup_list();
	resolves_to(2, l);
	qual_start(&Q, F.now);
	CHECK_EQ(R.rounds, 1);
	CHECK_EQ(R.nused, 1);
	CHECK_EQ(R.used[0], ip4(SRV_B));
	CHECK_EQ(Q.cfg.server, ip4(SRV_B));
	CHECK_EQ(Q.cfg.server2, ip4(SRV_B2));
	CHECK(!strcmp(last_log(), "qualifying: soliciting server " SRV_B));
	/* 3 RS 4 s apart, then the next server at once, same round. */
	run_to(F.now + 12000);
	CHECK(!strcmp(rs_dsts(), SRV_B " " SRV_B " " SRV_B " " SRV));
	CHECK_EQ(F.sent[3].at - F.sent[2].at, 4000);
	CHECK(!strcmp(last_log(), "no answer from server " SRV_B
		      "; soliciting server " SRV));
	CHECK_EQ(R.rounds, 1);
	CHECK_EQ(R.nused, 2);
	CHECK_EQ(R.used[1], ip4(SRV));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	answer_as(SRV);
	CHECK_EQ(last_sent()->dst, ip4(SRV2));
	answer_as(SRV);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	a = last_pub()->addr;
	CHECK_EQ(teredo_addr_server(&a), ip4(SRV));
	/* The refresh goes to the server in use, with no new round. */
	run_to(qual_deadline(&Q));
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(R.rounds, 1);
}

UNIT_TEST(list_all_silent_then_resolved_again)
{
	static const char *const l1[] = { SRV_B, SRV_B2, SRV_C, SRV2 };
	static const char *const l2[] = { SRV, SRV2 };

	setup_list();
	resolves_to(2, l1);
	qual_start(&Q, F.now);
	run_to(F.now + 24000);
	CHECK(!strcmp(rs_dsts(), SRV_B " " SRV_B " " SRV_B " "
		      SRV_C " " SRV_C " " SRV_C));
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_NO_SERVER);
	CHECK(!strcmp(last_log(), "offline: no answer from server " SRV_C
		      "; retry in 15 s"));
	/* The name now resolves elsewhere: the retry asks it again. */
	resolves_to(1, l2);
	run_to(F.now + 15000);
	CHECK_EQ(R.rounds, 2);
	CHECK_EQ(F.nsent, 7);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(Q.cfg.server, ip4(SRV));
	answer_as(SRV);
	answer_as(SRV);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(teredo_addr_server(&last_pub()->addr), ip4(SRV));
}

UNIT_TEST(list_requalify_keeps_the_server_in_use)
{
	static const char *const l[] = { SRV_B, SRV_B2, SRV, SRV2 };
	static const char *const gone[] = { SRV_C, SRV2 };
	unsigned int npub;

	setup_list();
	resolves_to(2, l);
	qual_start(&Q, F.now);
	run_to(F.now + 12000);
	answer_as(SRV);
	answer_as(SRV);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	/* SIGHUP: SRV (in use, still listed) first; the address stays. */
	npub = F.npub;
	qual_requalify(&Q, F.now, "SIGHUP");
	CHECK_EQ(R.rounds, 2);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	CHECK_EQ(F.npub, npub);
	CHECK(!strcmp(last_log(),
		      "SIGHUP: qualifying again, soliciting server " SRV));
	answer_as(SRV);
	answer_as(SRV);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	/* SRV silent now: the next one of the list, the address given up
	 * before the device's server changes. */
	qual_requalify(&Q, F.now, "SIGHUP");
	npub = F.npub;
	run_to(F.now + 12000);
	CHECK_EQ(last_sent()->dst, ip4(SRV_B));
	CHECK_EQ(F.npub, npub + 1);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	CHECK_EQ(R.used[R.nused - 1], ip4(SRV_B));
	/* A list without the server in use: it goes at once. */
	answer_as(SRV_B);
	answer_as(SRV_B);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	resolves_to(1, gone);
	npub = F.npub;
	qual_requalify(&Q, F.now, "network changed");
	CHECK_EQ(last_sent()->dst, ip4(SRV_C));
	CHECK_EQ(F.npub, npub + 1);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFYING);
	CHECK_EQ(Q.cfg.server2, ip4(SRV2));
	CHECK(!strcmp(last_log(),
		      "network changed: qualifying again, soliciting server "
		      SRV_C " (" SRV_B " is no longer listed)"));
}

UNIT_TEST(list_nothing_resolved_or_refused)
{
	static const char *const l[] = { SRV_B, SRV_B2, SRV_C, SRV2 };

	/* Nothing resolves: the server in use is asked. */
	setup_list();
	qual_start(&Q, F.now);
	CHECK_EQ(R.rounds, 1);
	CHECK_EQ(R.nused, 0);
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	/* The kernel refuses one: the next. */
	setup_list();
	resolves_to(2, l);
	R.refuse = ip4(SRV_B);
	qual_start(&Q, F.now);
	CHECK_EQ(R.nused, 2);
	CHECK_EQ(last_sent()->dst, ip4(SRV_C));
	CHECK_EQ(F.nsent, 1);
	/* It refuses all: offline, retry later. */
	setup_list();
	R.list[0].addr = ip4(SRV_B);
	R.list[0].addr2 = ip4(SRV_B2);
	R.n = 1;
	R.refuse = ip4(SRV_B);
	qual_start(&Q, F.now);
	CHECK_EQ(F.nsent, 0);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_OFFLINE);
	CHECK_EQ(qual_deadline(&Q), F.now + 15000);
}

/*
 * RFC 6081 §5.3: behind a symmetric NAT with a port mapping on the
 * router, the address embeds the mapping, not what the server saw; a
 * refresh that sees the NAT's own (other) port keeps it.
 */
UNIT_TEST(symmetric_nat_with_port_mapping_qualifies)
{
	const struct qual_status *st;
	char text[INET6_ADDRSTRLEN], want[256];
	unsigned int npub;

	setup(30);
	qual_portmap(&Q, ip4(NAT), htons(40000), TEREDO_PORTMAP_UPNP, ip4("10.0.0.1"));
	qual_start(&Q, F.now);
	answer(NAT, 5733);
	answer(NAT, 22121);
	st = last_pub();
	CHECK_EQ(st->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(st->nat, TEREDO_NAT_SYMMETRIC);
	CHECK_EQ(st->portmap, TEREDO_PORTMAP_UPNP);
	CHECK_EQ(st->portmap_gw, ip4("10.0.0.1"));
	CHECK_EQ(st->mapped, ip4(NAT));
	CHECK_EQ(ntohs(st->mapped_port), 40000);
	CHECK_EQ(teredo_addr_mapped(&st->addr), ip4(NAT));
	CHECK_EQ(ntohs(teredo_addr_port(&st->addr)), 40000);
	inet_ntop(AF_INET6, &st->addr, text, sizeof(text));
	snprintf(want, sizeof(want),
		 "qualified: %s: mapped " NAT ":40000, nat symmetric, UPnP mapping via 10.0.0.1 (the server saw "
		 NAT ":5733 and " NAT ":22121)", text);
	CHECK(!strcmp(last_log(), want));

	/* The refresh sees the NAT's port towards the primary again. */
	npub = F.npub;
	run_to(qual_deadline(&Q));
	CHECK_EQ(last_sent()->dst, ip4(SRV));
	answer(NAT, 5733);
	CHECK_EQ(F.npub, npub + 1);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK(!memcmp(&last_pub()->addr, &st->addr, sizeof(st->addr)));
	CHECK(last_pub()->portmap);
	/* Or another one (the NAT forgot the flow): the address stays. */
	run_to(qual_deadline(&Q));
	answer(NAT, 6001);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(ntohs(last_pub()->mapped_port), 40000);
	CHECK(!memcmp(&last_pub()->addr, &st->addr, sizeof(st->addr)));
}

/* A NAT that keeps the port anyway: the server sees the mapping; the
 * log names it; without a mapping the NAT type is as measured. */
UNIT_TEST(port_mapping_that_the_server_confirms)
{
	setup(30);
	qual_portmap(&Q, ip4(NAT), htons(40000), TEREDO_PORTMAP_NATPMP, ip4("10.0.0.1"));
	qualify();
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_RESTRICTED);
	CHECK_EQ(last_pub()->portmap, TEREDO_PORTMAP_NATPMP);
	CHECK(strstr(last_log(), ", nat restricted, NAT-PMP mapping via 10.0.0.1"));
	/* A mapping on another public port than the one the server saw
	 * on both addresses: the server's (it works for sending). */
	setup(30);
	qual_portmap(&Q, ip4(NAT), htons(41000), TEREDO_PORTMAP_UPNP, ip4("10.0.0.1"));
	qualify();
	CHECK_EQ(ntohs(last_pub()->mapped_port), 40000);
	CHECK(!last_pub()->portmap);
	CHECK(!strstr(last_log(), "UPnP"));
	/* Cleared: symmetric is offline again (--symmetric-nat off). */
	setup_rfc4380(30);
	qual_portmap(&Q, ip4(NAT), htons(40000), TEREDO_PORTMAP_UPNP, ip4("10.0.0.1"));
	qual_portmap(&Q, 0, 0, TEREDO_PORTMAP_NONE, 0);
	qual_start(&Q, F.now);
	answer(NAT, 40000);
	answer(NAT, 40001);
	CHECK_EQ(last_pub()->reason, TEREDO_REASON_SYMMETRIC_NAT);
}

/* The secondary address silent: the mapping, NAT type unknown. */
UNIT_TEST(port_mapping_with_silent_secondary)
{
	setup(30);
	qual_portmap(&Q, ip4(NAT), htons(40000), TEREDO_PORTMAP_UPNP, ip4("10.0.0.1"));
	qual_start(&Q, F.now);
	answer(NAT, 5733);
	run_to(F.now + 12000);
	CHECK_EQ(last_pub()->state, TEREDO_STATE_QUALIFIED);
	CHECK_EQ(last_pub()->nat, TEREDO_NAT_UNKNOWN);
	CHECK_EQ(ntohs(last_pub()->mapped_port), 40000);
	CHECK(strstr(last_log(), "UPnP mapping via 10.0.0.1 (secondary server"));
}
