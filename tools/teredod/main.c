// SPDX-License-Identifier: GPL-2.0
/*
 * teredod DEV: the qualification helper of a Teredo client device.
 *
 * Reads DEV's configuration, creates and binds the client's UDP socket,
 * hands it to the kernel (IFLA_TEREDO_FD) and keeps using it for Router
 * Solicitations and Advertisements; the state machine (qualify.c)
 * decides, this file does the system calls: one poll loop over the
 * socket, a signalfd and the link monitor, with the state machine's next
 * deadline as the timeout.  SIGTERM/SIGINT: remove the addresses and
 * routes it added, push OFFLINE, exit 0.  SIGHUP: qualify again now,
 * keeping the address while the server confirms it.  A change of the
 * IPv4 route towards the server (address, gateway, interface; seen on
 * rtnetlink) does the same, with the back-off reset.
 *
 * Native IPv6 elsewhere (a global address and a default route on another
 * interface) takes the client offline until it goes: RFC 4380 §5.5's
 * sunset, unless --no-sunset.
 *
 * Idle for --dormant-after seconds (no packet across the device): dormant,
 * no refresh; the kernel holds the next packet sent and tells us on the
 * genl "events" group (TEREDO_CMD_WAKE_NTF): we qualify again and it
 * leaves.
 *
 * --server LIST: the servers to use, names or addresses, resolved again
 * at the start of each qualification round and solicited in turn (each
 * A record of a name too); the device's server follows the one in use.
 * Without it, the device's own server (`ip link add ... server X`).
 * --port-mapping auto|upnp|natpmp|pcp (off by default: it opens a port on
 * the router): a UDP mapping of the client's port through UPnP IGD,
 * NAT-PMP or PCP (portmap.c), renewed before it expires, deleted at exit; behind a
 * symmetric NAT the address embeds it (RFC 6081 §4.3, §5.3).
 * --local-discovery on (off by default: Miredo has none): a second
 * socket, on port 3544 where discovery bubbles go, joins 224.0.0.253 on
 * the interface towards the server and goes to the kernel, which takes
 * the bubbles there; ours leave from the client's socket after each
 * qualification and every 200-300 s (RFC 4380 §5.2.8), so that clients
 * behind the same NAT talk on the link even when the NAT does not
 * hairpin.
 * --symmetric-nat off: offline behind a symmetric NAT without a port
 * mapping, as RFC 4380 says; by default the client qualifies with the
 * primary server's mapping (RFC 6081 §5.2) and the kernel's bubbles
 * carry Nonce trailers.
 * --hairpinning on (off by default: it tells our LAN address to anyone
 * whose Teredo address claims our public one): our address on our side
 * of the NAT goes to the kernel (IFLA_TEREDO_ALTERNATE), whose indirect
 * bubbles to peers behind our public address carry it (RFC 6081 §5.6),
 * so that clients behind a NAT that does not hairpin talk on the LAN,
 * across subnets too.
 *
 * One teredod per device: the kernel takes one socket at a time, and a
 * second teredod finds it attached (IFLA_TEREDO_BOUND) and leaves
 * without touching the device.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include "discovery.h"
#include "kernel.h"
#include "log.h"
#include "portmap.h"
#include "proto.h"
#include "qualify.h"
#include "servers.h"

#ifndef TEREDOD_VERSION
#define TEREDOD_VERSION "0"
#endif

/* Metrics: the kernel's default for 2001::/32, Miredo's for ::/0. */
#define METRIC_TEREDO	1024
#define METRIC_DEFAULT	1029

struct teredod {
	struct kdev k;
	struct kconfig kc;
	struct qual q;
	int udp;
	__be16 port;			/* bound */
	bool default_route;
	const char *state_file;
	bool up;			/* the address and routes are on */
	struct in6_addr addr;		/* that address */
	unsigned int mtu;		/* the device's, as we last set it */
	struct kpath path;		/* IPv4 towards the server */
	qual_time path_again;		/* look at it again then, 0: no */
	bool sunset;			/* stand aside for native IPv6 */
	char native[IFNAMSIZ];		/* where it is, "" when none */
	unsigned int dormant_after;	/* s idle before dormant, 0: never */
	uint64_t packets;		/* rx + tx of the device, last seen */
	qual_time active;		/* when they last moved */
	qual_time idle_check;		/* next look at them */
	struct server_names names;	/* --server, none: the device's */
	__be32 own, own2;		/* the device's server at the start */
	enum pm_mode pm_mode;		/* --port-mapping */
	struct portmap pm;		/* what the router gave */
	bool discovery;			/* --local-discovery */
	bool symmetric_offline;		/* --symmetric-nat off */
	bool hairpinning;		/* --hairpinning on */
	int disc_fd;			/* on port 3544, the kernel's */
	int disc_ifindex;		/* joined 224.0.0.253 there, 0: not */
	qual_time disc_at;		/* next discovery bubble */
};

/*
 * Windows' Teredo client goes dormant when nothing has used it for about
 * 60 minutes and qualifies again on demand; we do the same by default
 * (3600 s): a laptop left alone stops its keep-alives, and the first
 * packet costs one qualification (two round trips) when it comes back.
 */
#define DORMANT_AFTER_DEFAULT	3600

static const struct in6_addr teredo_prefix = { { { 0x20, 0x01 } } };
static const struct in6_addr any6;

static qual_time now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (qual_time)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kernel_err(struct teredod *d, const char *what, int err)
{
	log_line("kernel: %s: %s%s%s", what, strerror(-err),
		 d->k.io.extack[0] ? ": " : "", d->k.io.extack);
}

/* --- the state machine's operations ------------------------------------ */

static bool op_send(void *ctx, __be32 dst, const uint8_t *buf, size_t len)
{
	struct teredod *d = ctx;
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = dst,
		.sin_port = htons(TEREDO_PORT),
	};

	return sendto(d->udp, buf, len, MSG_DONTWAIT, (void *)&sin,
		      sizeof(sin)) == (ssize_t)len;
}

static void op_random(void *ctx, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	(void)ctx;
	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_line("getrandom: %s", strerror(errno));
			abort();
		}
		p += n;
		len -= n;
	}
}

/* The address the server would see without a NAT: the source address
 * the routing table picks towards it, and our port. */
static void op_local(void *ctx, __be32 *addr, __be16 *port)
{
	struct teredod *d = ctx;
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = d->kc.server,
		.sin_port = htons(TEREDO_PORT),
	};
	socklen_t sl = sizeof(sin);
	int s;

	*port = d->port;
	*addr = d->kc.local;
	if (*addr)
		return;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return;
	if (!connect(s, (void *)&sin, sizeof(sin)) &&
	    !getsockname(s, (void *)&sin, &sl))
		*addr = sin.sin_addr.s_addr;
	close(s);
}

static void save_state(struct teredod *d, const struct in6_addr *a)
{
	char tmp[PATH_MAX], text[INET6_ADDRSTRLEN];
	FILE *f;

	if (!d->state_file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->state_file);
	inet_ntop(AF_INET6, a, text, sizeof(text));
	f = fopen(tmp, "we");
	if (!f || fprintf(f, "%s\n", text) < 0 || fclose(f) ||
	    rename(tmp, d->state_file))
		log_line("state file %s: %s", d->state_file, strerror(errno));
}

static void load_state(struct teredod *d, struct in6_addr *a)
{
	char text[INET6_ADDRSTRLEN + 2] = "";
	FILE *f;

	if (!d->state_file)
		return;
	f = fopen(d->state_file, "re");
	if (!f)
		return;
	if (fgets(text, sizeof(text), f))
		text[strcspn(text, "\n")] = '\0';
	fclose(f);
	if (inet_pton(AF_INET6, text, a) != 1)
		memset(a, 0, sizeof(*a));
}

/* Routes and the Teredo address, for a qualified client. */
static void device_up(struct teredod *d, const struct qual_status *st)
{
	int err;

	err = kernel_addr(&d->k, true, &st->addr, 32);
	if (err)
		kernel_err(d, "adding the Teredo address", err);
	err = kernel_addr_flush_teredo(&d->k, &st->addr);
	if (err)
		kernel_err(d, "removing old Teredo addresses", err);
	err = kernel_route(&d->k, true, &teredo_prefix, 32, METRIC_TEREDO);
	if (err)
		kernel_err(d, "adding the route to 2001::/32", err);
	if (d->default_route) {
		err = kernel_route(&d->k, true, &any6, 0, METRIC_DEFAULT);
		if (err)
			kernel_err(d, "adding the default route", err);
	}
}

static void device_down(struct teredod *d)
{
	int err;

	if (d->default_route)
		kernel_route(&d->k, false, &any6, 0, METRIC_DEFAULT);
	kernel_route(&d->k, false, &teredo_prefix, 32, METRIC_TEREDO);
	err = kernel_addr_flush_teredo(&d->k, NULL);
	if (err)
		kernel_err(d, "removing the Teredo address", err);
}

static void op_publish(void *ctx, const struct qual_status *st,
		       const struct qual_status *old)
{
	bool qualified = st->state == TEREDO_STATE_QUALIFIED;
	bool dormant = st->state == TEREDO_STATE_DORMANT;
	struct teredod *d = ctx;
	int err;

	(void)old;
	/* Dormant keeps the address and routes: the stack's next packet
	 * must reach the device to wake it. */
	if (!qualified && !dormant && d->up) {
		device_down(d);
		d->up = false;
	}
	if (d->hairpinning && (qualified || dormant)) {
		struct qual_status pushed = *st;

		op_local(d, &pushed.alt, &pushed.alt_port);
		err = kernel_push(&d->k, &pushed);
	} else {
		err = kernel_push(&d->k, st);
	}
	if (err) {
		kernel_err(d, "pushing the state", err);
		/* The data path is not open: no address to offer. */
		return;
	}
	if (qualified &&
	    (!d->up || memcmp(&st->addr, &d->addr, sizeof(st->addr)))) {
		device_up(d, st);
		d->up = true;
		d->addr = st->addr;
		save_state(d, &st->addr);
		/* Peers on the link learn the new address now. */
		d->disc_at = 0;
	}
	/* RFC 4380 §5.1.2: 1280 unless the server's RA says more (ra.c
	 * refused values outside 1280..65507 with the whole RA). */
	if (qualified) {
		unsigned int mtu = st->mtu ? st->mtu : RA_MTU_MIN;

		if (mtu != d->mtu) {
			err = kernel_set_mtu(&d->k, mtu);
			if (err) {
				kernel_err(d, "setting the MTU", err);
			} else {
				log_line("mtu %u", mtu);
				d->mtu = mtu;
			}
		}
	}
}

static void op_log(void *ctx, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}

/*
 * The servers of a new round: each --server in turn, a name's A records
 * in the resolver's order (getaddrinfo(3): /etc/hosts, DNS, ...), asked
 * again every time.  Without --server, the device's (which `ip link set
 * DEV type teredo server X` may have changed).
 */
static unsigned int op_resolve(void *ctx, struct qual_server *list)
{
	const struct addrinfo hints = {
		.ai_family = AF_INET,
		.ai_socktype = SOCK_DGRAM,
	};
	struct teredod *d = ctx;
	unsigned int i, n = 0;

	if (!d->names.n) {
		list[0].addr = d->kc.server;
		list[0].addr2 = d->kc.server2;
		return 1;
	}
	for (i = 0; i < d->names.n; i++) {
		const char *name = d->names.name[i];
		char text[16 * (INET_ADDRSTRLEN + 1)] = "", ip[INET_ADDRSTRLEN];
		struct addrinfo *res, *ai;
		struct in_addr lit;
		size_t used = 0;
		int err;

		err = getaddrinfo(name, NULL, &hints, &res);
		if (err) {
			log_line("cannot resolve %s: %s", name,
				 err == EAI_SYSTEM ? strerror(errno)
						   : gai_strerror(err));
			continue;
		}
		for (ai = res; ai; ai = ai->ai_next) {
			__be32 a = ((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr;

			if (ai->ai_family != AF_INET)
				continue;
			servers_add(list, &n, a,
				    servers_secondary(a, d->own, d->own2));
			if (used < sizeof(text) - INET_ADDRSTRLEN - 1)
				used += snprintf(text + used, sizeof(text) - used,
						 "%s%s", used ? " " : "",
						 inet_ntop(AF_INET, &a, ip,
							   sizeof(ip)));
		}
		freeaddrinfo(res);
		/* An address needs no word about itself. */
		if (inet_pton(AF_INET, name, &lit) != 1)
			log_line("resolved %s: %s", name, text);
	}
	return n;
}

/* The device's server becomes @s: the kernel passes on its RAs only. */
static bool op_use_server(void *ctx, const struct qual_server *s)
{
	struct teredod *d = ctx;
	int err;

	err = kernel_set_server(&d->k, s->addr, s->addr2);
	if (err) {
		kernel_err(d, "setting the server", err);
		return false;
	}
	d->kc.server = s->addr;
	d->kc.server2 = s->addr2;
	/* The way there is the one to watch now. */
	kernel_path(&d->k, d->kc.server, &d->path);
	return true;
}

static const struct qual_ops ops = {
	.send = op_send,
	.random = op_random,
	.local = op_local,
	.publish = op_publish,
	.log = op_log,
	.resolve = op_resolve,
	.use_server = op_use_server,
};

/* --- setup ------------------------------------------------------------ */

static int open_socket(struct teredod *d)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = d->kc.local,
		.sin_port = d->kc.port,
	};
	int pmtu = IP_PMTUDISC_DONT;	/* DF clear, RFC 4380 §5.1.2 */
	socklen_t sl = sizeof(sin);

	d->udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (d->udp < 0)
		return -errno;
	if (setsockopt(d->udp, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
		       sizeof(pmtu)) ||
	    bind(d->udp, (void *)&sin, sizeof(sin)) ||
	    getsockname(d->udp, (void *)&sin, &sl))
		return -errno;
	d->port = sin.sin_port;
	return 0;
}

/*
 * Local discovery (RFC 4380 §5.2.8): discovery bubbles go to port 3544,
 * whatever the service port, so the kernel takes them on a socket of
 * their own, bound to *:3544 (SO_REUSEADDR: every client of the host
 * gets them).  A socket bound to one address receives no multicast:
 * with the device's `local`, discovery stays off.
 */
static void discovery_open(struct teredod *d)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(TEREDO_PORT),
	};
	int one = 1, err;

	if (!d->discovery)
		return;
	if (d->kc.local) {
		log_line("local discovery: off: the socket is bound to the device's local address, and receives no multicast");
		d->discovery = false;
		return;
	}
	d->disc_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    0);
	if (d->disc_fd < 0 ||
	    setsockopt(d->disc_fd, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof(one)) ||
	    bind(d->disc_fd, (void *)&sin, sizeof(sin))) {
		log_line("local discovery: off: UDP port 3544: %s",
			 strerror(errno));
		d->discovery = false;
		return;
	}
	err = kernel_attach_discovery(&d->k, d->disc_fd);
	if (err) {
		kernel_err(d, "local discovery: off: handing its socket over",
			   err);
		d->discovery = false;
	}
}

/*
 * On the interface towards the server: the membership of 224.0.0.253
 * makes the kernel take the bubbles of others there, and ours leave
 * there, TTL 1.  Moved when the path does.
 */
static void discovery_join(struct teredod *d)
{
	struct ip_mreqn mr = {
		.imr_multiaddr.s_addr = htonl(TEREDO_DISCOVERY_IPV4),
	};
	int ttl = 1;

	if (!d->discovery || d->kc.local ||
	    d->disc_ifindex == (d->path.err ? 0 : d->path.oif))
		return;
	if (d->disc_ifindex) {
		mr.imr_ifindex = d->disc_ifindex;
		setsockopt(d->disc_fd, IPPROTO_IP, IP_DROP_MEMBERSHIP, &mr,
			   sizeof(mr));
		d->disc_ifindex = 0;
	}
	if (d->path.err || !d->path.oif)
		return;
	mr.imr_ifindex = d->path.oif;
	if (setsockopt(d->disc_fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) ||
	    setsockopt(d->udp, IPPROTO_IP, IP_MULTICAST_IF, &mr,
		       sizeof(mr)) ||
	    setsockopt(d->udp, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
		       sizeof(ttl))) {
		log_line("local discovery: joining 224.0.0.253 on ifindex %d: %s",
			 d->path.oif, strerror(errno));
		return;
	}
	d->disc_ifindex = d->path.oif;
	d->disc_at = 0;
	log_line("local discovery: on, ifindex %d", d->disc_ifindex);
}

/* A discovery bubble when one is due, while we have an address. */
static void discovery_send(struct teredod *d, qual_time now)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(TEREDO_DISCOVERY_IPV4),
		.sin_port = htons(TEREDO_PORT),
	};
	uint8_t buf[TEREDO_IPV6_HDR_LEN];
	uint32_t r;

	if (!d->disc_ifindex || !d->up || now < d->disc_at)
		return;
	disc_build(buf, &d->addr);
	if (sendto(d->udp, buf, sizeof(buf), MSG_DONTWAIT, (void *)&sin,
		   sizeof(sin)) != sizeof(buf))
		log_line("local discovery: sending: %s", strerror(errno));
	op_random(d, &r, sizeof(r));
	d->disc_at = now + disc_interval_ms(r);
}

/* When discovery_send() has something to do. */
static qual_time discovery_deadline(const struct teredod *d)
{
	return d->disc_ifindex && d->up ? d->disc_at : UINT64_MAX;
}

static void already_served(struct teredod *d)
{
	char ip[INET_ADDRSTRLEN];

	log_line("another teredod already serves %s (its socket is bound to %s:%u); leaving the device as it is",
		 d->k.name, inet_ntop(AF_INET, &d->kc.bound, ip, sizeof(ip)),
		 ntohs(d->kc.bound_port));
}

/* A mapping of our port on the router, if asked for: the state machine
 * builds the address from it. */
static void portmap_open(struct teredod *d)
{
	if (d->pm_mode == PM_MODE_OFF) {
		d->pm.renew_at = UINT64_MAX;
		return;
	}
	if (!pm_open(&d->pm, d->pm_mode, d->port, now_ms()))
		return;
	qual_portmap(&d->q, d->pm.ext_addr, d->pm.ext_port, d->pm.method,
		     d->pm.gateway);
}

/* Its renewal is due, or asking again for one. */
static void portmap_renew(struct teredod *d, qual_time now)
{
	if (now < d->pm.renew_at)
		return;
	if (d->pm.method == PM_NONE) {
		if (pm_open(&d->pm, d->pm_mode, d->port, now)) {
			qual_portmap(&d->q, d->pm.ext_addr, d->pm.ext_port,
				     d->pm.method, d->pm.gateway);
			qual_requalify(&d->q, now, "port mapping");
		}
		return;
	}
	if (pm_renew(&d->pm, now)) {
		/* NAT-PMP may move the public port. */
		if (d->q.pm.port != d->pm.ext_port ||
		    d->q.pm.addr != d->pm.ext_addr) {
			qual_portmap(&d->q, d->pm.ext_addr, d->pm.ext_port,
				     d->pm.method, d->pm.gateway);
			qual_requalify(&d->q, now, "port mapping moved");
		}
		return;
	}
	qual_portmap(&d->q, 0, 0, TEREDO_PORTMAP_NONE, 0);
	qual_requalify(&d->q, now, "port mapping lost");
}

static int setup(struct teredod *d)
{
	char s1[INET_ADDRSTRLEN], s2[INET_ADDRSTRLEN];
	struct qual_config qc = { 0 };
	int err;

	err = kernel_get_config(&d->k, &d->kc);
	if (err) {
		kernel_err(d, "reading the device", err);
		return err;
	}
	if (!d->kc.teredo || d->kc.mode != TEREDO_MODE_CLIENT ||
	    !d->kc.server) {
		log_line("not a Teredo client device");
		return -EINVAL;
	}
	if (!d->kc.server2)
		d->kc.server2 = htonl(ntohl(d->kc.server) + 1);
	if (!d->kc.refresh)
		d->kc.refresh = TEREDO_REFRESH_DEFAULT;
	d->own = d->kc.server;
	d->own2 = d->kc.server2;

	/*
	 * Another teredod serves the device: say so and leave everything
	 * as it is (its address, its routes, its traffic).  The attach
	 * below is the real lock, before anything is touched; this check
	 * only gives the clear message without binding a port first.
	 */
	if (d->kc.attached) {
		already_served(d);
		return -EBUSY;
	}
	err = open_socket(d);
	if (err) {
		log_line("UDP socket on port %u: %s", ntohs(d->kc.port),
			 strerror(-err));
		return err;
	}
	err = kernel_attach(&d->k, d->udp);
	if (err) {
		kernel_err(d, "handing the socket over", err);
		if (!kernel_get_config(&d->k, &d->kc) && d->kc.attached)
			already_served(d);
		return err;
	}
	/* Ours now.  What a predecessor killed with -9 left behind. */
	device_down(d);
	d->mtu = d->kc.mtu;
	err = kernel_link_setup(&d->k);
	if (err) {
		kernel_err(d, "setting the device up", err);
		return err;
	}
	err = kernel_addr(&d->k, true, &rs_source, 64);
	if (err) {
		kernel_err(d, "adding the link-local address", err);
		return err;
	}
	kernel_path(&d->k, d->kc.server, &d->path);
	discovery_open(d);
	discovery_join(d);
	if (d->dormant_after) {
		err = kernel_events_open(&d->k);
		if (err) {
			log_line("no dormant state: the kernel's event group: %s",
				 strerror(-err));
			d->dormant_after = 0;
		}
	}
	log_line("started: server %s, secondary %s, port %u, refresh %u s",
		 inet_ntop(AF_INET, &d->kc.server, s1, sizeof(s1)),
		 inet_ntop(AF_INET, &d->kc.server2, s2, sizeof(s2)),
		 ntohs(d->port), d->kc.refresh);

	qc.server = d->kc.server;
	qc.server2 = d->kc.server2;
	qc.refresh = d->kc.refresh;
	qc.symmetric_offline = d->symmetric_offline;
	load_state(d, &qc.saved);
	qual_init(&d->q, &qc, &ops, d);
	portmap_open(d);
	return 0;
}

static void shutdown_clean(struct teredod *d)
{
	struct qual_status st = {
		.state = TEREDO_STATE_OFFLINE,
		.reason = TEREDO_REASON_NO_HELPER,
	};
	int err;

	device_down(d);
	kernel_addr(&d->k, false, &rs_source, 64);
	err = kernel_push(&d->k, &st);
	if (err)
		kernel_err(d, "pushing the state", err);
	log_line("offline: stopped");
}

/* --- the loop ------------------------------------------------------- */

static void read_udp(struct teredod *d)
{
	struct sockaddr_in from;
	socklen_t fl;
	uint8_t buf[2048];
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(d->udp, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
			     (void *)&from, &fl);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;	/* EAGAIN, or an ICMP error: nothing to read */
		}
		if ((size_t)n > sizeof(buf) || from.sin_family != AF_INET)
			continue;	/* no RA is that large */
		qual_rx(&d->q, now_ms(), from.sin_addr.s_addr, from.sin_port,
			buf, n);
	}
}

static const char *path_str(char *buf, size_t size, const struct kpath *p)
{
	char src[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	if (p->err) {
		snprintf(buf, size, "no route (%s)", strerror(-p->err));
		return buf;
	}
	inet_ntop(AF_INET, &p->src, src, sizeof(src));
	inet_ntop(AF_INET, &p->gateway, gw, sizeof(gw));
	snprintf(buf, size, "src %s via %s ifindex %d", src,
		 p->gateway ? gw : "link", p->oif);
	return buf;
}

/*
 * RFC 4380 §5.5: a host with native IPv6 connectivity does not use
 * Teredo.  With another interface holding a global address and a default
 * route, the client goes offline (its address and routes go, nothing is
 * sent), and qualifies again once that is no longer so.
 */
static void sunset_check(struct teredod *d)
{
	char ifname[IFNAMSIZ] = "", why[64];
	int err;

	if (!d->sunset)
		return;
	err = kernel_native_ipv6(&d->k, ifname);
	if (err < 0) {
		kernel_err(d, "looking for native IPv6", err);
		return;
	}
	if (err && strcmp(ifname, d->native)) {
		snprintf(d->native, sizeof(d->native), "%s", ifname);
		snprintf(why, sizeof(why), "native IPv6 on %s", ifname);
		qual_suspend(&d->q, TEREDO_REASON_NATIVE_IPV6, why);
	} else if (!err && d->native[0]) {
		snprintf(why, sizeof(why), "native IPv6 on %s gone",
			 d->native);
		d->native[0] = '\0';
		qual_requalify(&d->q, now_ms(), why);
	}
}

/*
 * An IPv4 address or route changed somewhere: if the way to the server
 * changed (source address, gateway, interface, or reachability), the
 * NAT mapping probably did too.  Qualify again now rather than at the
 * next refresh, or after a back-off of up to 300 s.
 */
static void path_check(struct teredod *d)
{
	char was[96], now[96], why[224];
	struct kpath p;

	kernel_path(&d->k, d->kc.server, &p);
	if (p.err == d->path.err && p.oif == d->path.oif &&
	    p.src == d->path.src && p.gateway == d->path.gateway)
		return;
	snprintf(why, sizeof(why), "network changed (%s, was %s)",
		 path_str(now, sizeof(now), &p),
		 path_str(was, sizeof(was), &d->path));
	d->path = p;
	discovery_join(d);
	if (d->native[0]) {
		log_line("%s; native IPv6 on %s: staying offline", why,
			 d->native);
		return;
	}
	qual_requalify(&d->q, now_ms(), why);
}

/*
 * The kernel announces a deleted IPv4 route before it takes it out of
 * the table (fib_table_delete(): the notification, then the removal),
 * so a look right after the event can still find the route there, and
 * no other event follows.  Every change is looked at again this much
 * later.
 */
#define PATH_AGAIN_MS	250

/* How often the device's counters are read to see it idle. */
static qual_time idle_interval(const struct teredod *d)
{
	qual_time ms = (qual_time)d->dormant_after * 1000 / 4;

	return ms < 1000 ? 1000 : ms > 30000 ? 30000 : ms;
}

/*
 * --dormant-after: nothing crossed the device (its rx and tx packet
 * counters did not move; Router Solicitations go through the socket,
 * not the device) for that long while qualified: dormant.
 */
static void idle_check(struct teredod *d, qual_time now)
{
	char why[48];

	if (!d->dormant_after || now < d->idle_check)
		return;
	d->idle_check = now + idle_interval(d);
	if (d->q.st.state != TEREDO_STATE_QUALIFIED ||
	    kernel_get_config(&d->k, &d->kc)) {
		d->active = now;
		return;
	}
	if (d->kc.packets != d->packets) {
		d->packets = d->kc.packets;
		d->active = now;
		return;
	}
	if (now - d->active < (qual_time)d->dormant_after * 1000)
		return;
	snprintf(why, sizeof(why), "idle for %u s", d->dormant_after);
	qual_dormant(&d->q, why);
}

static int loop(struct teredod *d, int sigfd)
{
	struct pollfd pfd[4] = {
		{ .fd = sigfd, .events = POLLIN },
		{ .fd = d->udp, .events = POLLIN },
		{ .fd = kernel_monitor_fd(&d->k), .events = POLLIN },
		{ .fd = kernel_events_fd(&d->k), .events = POLLIN },
	};
	struct signalfd_siginfo si;
	qual_time now, dl;
	int timeout;

	sunset_check(d);
	if (!d->native[0])
		qual_start(&d->q, now_ms());
	d->active = d->idle_check = now_ms();
	for (;;) {
		now = now_ms();
		portmap_renew(d, now);
		qual_timer(&d->q, now);
		idle_check(d, now);
		discovery_send(d, now);
		if (d->path_again && now >= d->path_again) {
			d->path_again = 0;
			path_check(d);
		}
		dl = qual_deadline(&d->q);
		if (discovery_deadline(d) < dl)
			dl = discovery_deadline(d);
		if (d->pm.renew_at < dl)
			dl = d->pm.renew_at;
		if (d->dormant_after && d->idle_check < dl)
			dl = d->idle_check;
		if (d->path_again && d->path_again < dl)
			dl = d->path_again;
		timeout = dl == UINT64_MAX ? -1 :
			  dl <= now ? 0 :
			  dl - now > INT_MAX ? INT_MAX : (int)(dl - now);
		if (poll(pfd, pfd[3].fd < 0 ? 3 : 4, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_line("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & POLLIN &&
		    read(sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGHUP)
				return 0;
			if (d->native[0])
				log_line("SIGHUP: native IPv6 on %s: staying offline",
					 d->native);
			else
				qual_requalify(&d->q, now_ms(), "SIGHUP");
		}
		if (pfd[1].revents)
			read_udp(d);
		/* The kernel holds a packet of a dormant client. */
		if (pfd[3].fd >= 0 && pfd[3].revents &&
		    kernel_events_wake(&d->k) &&
		    d->q.st.state == TEREDO_STATE_DORMANT) {
			d->active = now_ms();
			qual_requalify(&d->q, d->active, "woken by traffic");
		}
		if (pfd[2].revents) {
			struct kevents ev;

			kernel_monitor(&d->k, &d->kc, &ev);
			if (ev.gone) {
				log_line("offline: device gone");
				return 1;
			}
			if (ev.net6)
				sunset_check(d);
			if (ev.net4) {
				path_check(d);
				d->path_again = now_ms() + PATH_AGAIN_MS;
			}
			/* `ip link set DEV type teredo refresh N`: from the
			 * next refresh on. */
			if (ev.refresh) {
				d->q.cfg.refresh = d->kc.refresh;
				log_line("refresh %u s", d->kc.refresh);
			}
			/* `ip link set DEV type teredo server X` (allowed
			 * while not qualified): that server from now on,
			 * unless --server names others.  What the kernel
			 * says now, not what a notification queued before
			 * our own change said. */
			if (ev.server && !kernel_get_config(&d->k, &d->kc) &&
			    (d->kc.server != d->q.cfg.server ||
			     d->kc.server2 != d->q.cfg.server2) &&
			    !d->native[0]) {
				d->own = d->kc.server;
				d->own2 = d->kc.server2;
				qual_requalify(&d->q, now_ms(), "server changed");
			}
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: teredod [-f] [--default-route] [--state-file FILE] [--no-sunset]\n"
		"               [--dormant-after SECONDS] [--server LIST]\n"
		"               [--port-mapping auto|upnp|natpmp|pcp|off]\n"
		"               [--local-discovery on|off] [--symmetric-nat on|off]\n"
		"               [--hairpinning on|off] DEV\n"
		"Qualifies the Teredo client device DEV (ip link add DEV type teredo\n"
		"server ADDR) with its server and keeps it qualified.  Runs in the\n"
		"foreground; logs one line per state change on stderr.  SIGHUP:\n"
		"qualify again now; SIGTERM, SIGINT: remove the address and routes,\n"
		"exit.  Exits 1 at once when another teredod serves DEV.\n"
		"  -f, --foreground    the default (accepted for compatibility)\n"
		"  --default-route     also route ::/0 through DEV (metric %u)\n"
		"  --state-file FILE   remember the address across restarts\n"
		"  --no-sunset         keep Teredo when the host has native IPv6\n"
		"                      (by default it goes offline, RFC 4380 5.5)\n"
		"  --dormant-after S   dormant after S seconds without traffic: no\n"
		"                      refresh until the next packet (default %u,\n"
		"                      as Windows; 0 = never)\n"
		"  --server LIST       servers (names or IPv4 addresses, separated\n"
		"                      by spaces or commas; repeatable) tried in\n"
		"                      turn, each A record of a name too, resolved\n"
		"                      again at each attempt (default: DEV's)\n"
		"  --port-mapping M    ask the router for a UDP mapping of the\n"
		"                      client's port: upnp (UPnP IGD), natpmp\n"
		"                      (NAT-PMP), pcp (PCP), auto (UPnP, then\n"
		"                      NAT-PMP, then PCP), off (the default: no\n"
		"                      port is opened)\n"
		"  --local-discovery on|off\n"
		"                      find clients behind the same NAT with\n"
		"                      multicast bubbles on the link and talk to\n"
		"                      them there (RFC 4380 5.2.8; default off:\n"
		"                      Miredo has none)\n"
		"  --symmetric-nat on|off\n"
		"                      behind a symmetric NAT without a port\n"
		"                      mapping: qualify with the primary server's\n"
		"                      mapping (on, the default: RFC 6081 5.2) or\n"
		"                      stay offline (off: RFC 4380)\n"
		"  --hairpinning on|off\n"
		"                      tell peers behind our public address our\n"
		"                      LAN address, for NATs that do not hairpin\n"
		"                      (RFC 6081 5.6; default off: anyone whose\n"
		"                      address claims our public one learns it)\n"
		"  -V, --version\n", METRIC_DEFAULT, DORMANT_AFTER_DEFAULT);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "default-route", no_argument, NULL, 'd' },
		{ "state-file", required_argument, NULL, 's' },
		{ "no-sunset", no_argument, NULL, 'n' },
		{ "dormant-after", required_argument, NULL, 'D' },
		{ "server", required_argument, NULL, 'S' },
		{ "port-mapping", required_argument, NULL, 'P' },
		{ "local-discovery", required_argument, NULL, 'L' },
		{ "symmetric-nat", required_argument, NULL, 'Y' },
		{ "hairpinning", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct teredod d = {
		.udp = -1,
		.disc_fd = -1,
		.sunset = true,
		.dormant_after = DORMANT_AFTER_DEFAULT,
	};
	sigset_t mask;
	int c, sigfd, rc;

	while ((c = getopt_long(argc, argv, "fhV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			break;
		case 'd':
			d.default_route = true;
			break;
		case 's':
			d.state_file = optarg;
			break;
		case 'n':
			d.sunset = false;
			break;
		case 'D': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || optarg[0] < '0' ||
			    optarg[0] > '9' || v > 86400 * 7) {
				fprintf(stderr, "teredod: --dormant-after: 0-604800 seconds\n");
				return 2;
			}
			d.dormant_after = v;
			break;
		}
		case 'S': {
			const char *why;

			if (servers_parse(&d.names, optarg, &why)) {
				fprintf(stderr, "teredod: --server: %s\n", why);
				return 2;
			}
			break;
		}
		case 'P':
			if (pm_mode_parse(optarg, &d.pm_mode)) {
				fprintf(stderr, "teredod: --port-mapping: auto, upnp, natpmp, pcp or off\n");
				return 2;
			}
			break;
		case 'L':
			if (disc_parse(optarg, &d.discovery)) {
				fprintf(stderr, "teredod: --local-discovery: on or off\n");
				return 2;
			}
			break;
		case 'Y': {
			bool on;

			if (disc_parse(optarg, &on)) {
				fprintf(stderr, "teredod: --symmetric-nat: on or off\n");
				return 2;
			}
			d.symmetric_offline = !on;
			break;
		}
		case 'H':
			if (disc_parse(optarg, &d.hairpinning)) {
				fprintf(stderr, "teredod: --hairpinning: on or off\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("teredod %s\n", TEREDOD_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || strlen(argv[optind]) >= IFNAMSIZ) {
		usage(stderr);
		return 2;
	}
	log_init(argv[optind]);

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0) {
		log_line("signalfd: %s", strerror(errno));
		return 1;
	}
	rc = kernel_open(&d.k, argv[optind]);
	if (rc) {
		log_line("netlink: %s", strerror(-rc));
		return 1;
	}
	if (setup(&d)) {
		kernel_close(&d.k);
		return 1;
	}
	rc = loop(&d, sigfd);
	if (!rc)
		shutdown_clean(&d);
	pm_close(&d.pm);
	if (d.disc_fd >= 0)
		close(d.disc_fd);
	close(d.udp);
	kernel_close(&d.k);
	return rc;
}
