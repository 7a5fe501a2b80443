// SPDX-License-Identifier: GPL-2.0
/*
 * Port mapping: the router side (see portmap.h).  UPnP IGD through
 * Debian's libminiupnpc (AddPortMapping external = internal = our port,
 * UDP, RFC 6081 §5.3), PCP's MAP (RFC 6887, pcp.c) over a UDP socket of
 * our own, NAT-PMP through libnatpmp (RFC 6886).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
/* strnatpmperr() is in Debian's libnatpmp, behind this. */
#define ENABLE_STRNATPMPERR
#include <natpmp.h>

#include "log.h"
#include "pcp.h"
#include "portmap.h"

#define PM_DESC "Teredo"

struct pm_upnp {
	struct UPNPUrls urls;
	struct IGDdatas data;
	char lanaddr[64];
};

static void upnp_free(struct portmap *pm)
{
	if (!pm->upnp)
		return;
	FreeUPNPUrls(&pm->upnp->urls);
	free(pm->upnp);
	pm->upnp = NULL;
}

/* AddPortMapping with @lease; 0 or the UPnP error code. */
static int upnp_add(struct portmap *pm, uint32_t lease)
{
	char port[8], dur[16];

	snprintf(port, sizeof(port), "%u", ntohs(pm->int_port));
	snprintf(dur, sizeof(dur), "%u", lease);
	return UPNP_AddPortMapping(pm->upnp->urls.controlURL,
				   pm->upnp->data.first.servicetype, port,
				   port, pm->upnp->lanaddr, PM_DESC, "UDP",
				   NULL, dur);
}

/*
 * 725 OnlyPermanentLeasesSupported: then a permanent one (RFC 6081).  A
 * failed HTTP exchange (a busy router: libminiupnpc's negative codes) is
 * tried once more.
 */
static int upnp_map(struct portmap *pm)
{
	int r = upnp_add(pm, PM_UPNP_LEASE);

	if (r < 0)
		r = upnp_add(pm, PM_UPNP_LEASE);
	pm->lifetime = PM_UPNP_LEASE;
	if (r == 725) {
		r = upnp_add(pm, 0);
		pm->lifetime = 0;
	}
	return r;
}

static bool try_upnp(struct portmap *pm)
{
	char ext[40] = "";
	struct UPNPDev *devs;
	struct in_addr a;
	int err = 0, r;

	devs = upnpDiscover(PM_DISCOVER_MS, NULL, NULL, UPNP_LOCAL_PORT_ANY,
			    0, 2, &err);
	if (!devs) {
		snprintf(pm->why, sizeof(pm->why),
			 "UPnP: no IGD answered in %u ms", PM_DISCOVER_MS);
		return false;
	}
	pm->upnp = calloc(1, sizeof(*pm->upnp));
	if (!pm->upnp) {
		freeUPNPDevlist(devs);
		snprintf(pm->why, sizeof(pm->why), "UPnP: out of memory");
		return false;
	}
	/*
	 * 1: a connected IGD; 2: an IGD that says it is not connected (or
	 * cannot tell: miniupnpd behind a reserved WAN address); both can
	 * map.  3: some other UPnP device.
	 */
	r = UPNP_GetValidIGD(devs, &pm->upnp->urls, &pm->upnp->data,
			     pm->upnp->lanaddr, sizeof(pm->upnp->lanaddr));
	freeUPNPDevlist(devs);
	if (r != 1 && r != 2) {
		if (r)
			FreeUPNPUrls(&pm->upnp->urls);
		free(pm->upnp);
		pm->upnp = NULL;
		snprintf(pm->why, sizeof(pm->why),
			 "UPnP: no Internet gateway device among the answers");
		return false;
	}
	if (!pm_url_host(pm->upnp->urls.controlURL, &pm->gateway))
		pm->gateway = 0;
	r = UPNP_GetExternalIPAddress(pm->upnp->urls.controlURL,
				      pm->upnp->data.first.servicetype, ext);
	if (r || inet_pton(AF_INET, ext, &a) != 1 || !a.s_addr) {
		snprintf(pm->why, sizeof(pm->why),
			 "UPnP: GetExternalIPAddress: %s", r ? strupnperror(r) :
			 "no address");
		upnp_free(pm);
		return false;
	}
	pm->ext_addr = a.s_addr;
	r = upnp_map(pm);
	if (r) {
		snprintf(pm->why, sizeof(pm->why),
			 "UPnP: AddPortMapping UDP %u: %d %s",
			 ntohs(pm->int_port), r, strupnperror(r));
		upnp_free(pm);
		return false;
	}
	pm->ext_port = pm->int_port;
	pm->method = PM_UPNP;
	return true;
}

/*
 * One NAT-PMP request: @lifetime 0 deletes.  libnatpmp retries with a
 * doubling timeout (up to 64 s); we wait PM_NATPMP_WAIT_MS in all.
 */
static int natpmp_request(natpmp_t *np, uint16_t port, uint32_t lifetime,
			  bool map, natpmpresp_t *resp)
{
	struct timeval tv;
	struct pollfd pfd = { .fd = np->s, .events = POLLIN };
	int r, left = PM_NATPMP_WAIT_MS;

	r = map ? sendnewportmappingrequest(np, NATPMP_PROTOCOL_UDP, port,
					    lifetime ? port : 0, lifetime) :
		  sendpublicaddressrequest(np);
	if (r < 0)
		return r;
	for (;;) {
		int ms;

		if (getnatpmprequesttimeout(np, &tv) < 0)
			return NATPMP_ERR_GETTIMEOFDAYERR;
		ms = tv.tv_sec * 1000 + tv.tv_usec / 1000;
		if (ms > left)
			ms = left;
		if (ms < 0)
			ms = 0;
		poll(&pfd, 1, ms);
		left -= ms;
		r = readnatpmpresponseorretry(np, resp);
		if (r != NATPMP_TRYAGAIN)
			return r;
		if (left <= 0)
			return NATPMP_TRYAGAIN;
	}
}

static const char *natpmp_err(int r)
{
	return r == NATPMP_TRYAGAIN ? "no answer" : strnatpmperr(r);
}

static bool natpmp_map(struct portmap *pm, const char **what, int *err)
{
	natpmpresp_t resp;
	natpmp_t np;
	int r;

	r = initnatpmp(&np, 0, 0);
	if (r < 0) {
		*what = "init";
		*err = r;
		return false;
	}
	pm->gateway = np.gateway;
	r = natpmp_request(&np, 0, 0, false, &resp);
	if (r < 0) {
		*what = "public address";
		goto fail;
	}
	pm->ext_addr = resp.pnu.publicaddress.addr.s_addr;
	r = natpmp_request(&np, ntohs(pm->int_port), PM_NATPMP_LIFETIME, true,
			   &resp);
	if (r < 0) {
		*what = "mapping";
		goto fail;
	}
	closenatpmp(&np);
	pm->ext_port = htons(resp.pnu.newportmapping.mappedpublicport);
	pm->lifetime = resp.pnu.newportmapping.lifetime;
	return true;
fail:
	*err = r;
	closenatpmp(&np);
	return false;
}

static bool try_natpmp(struct portmap *pm)
{
	const char *what = "";
	int err = 0;

	if (!natpmp_map(pm, &what, &err)) {
		snprintf(pm->why, sizeof(pm->why), "NAT-PMP: %s: %s", what,
			 natpmp_err(err));
		return false;
	}
	pm->method = PM_NATPMP;
	return true;
}

/* The default gateway, as libnatpmp finds it: 0 when there is none. */
static __be32 default_gateway(void)
{
	natpmp_t np;
	__be32 gw;

	if (initnatpmp(&np, 0, 0) < 0)
		return 0;
	gw = np.gateway;
	closenatpmp(&np);
	return gw;
}

/*
 * One MAP exchange with the PCP server on @gw: @req sent (again after 1
 * s, then 2 s: RFC 6887 §8.1.1's doubling, PM_PCP_WAIT_MS in all) from
 * a socket of our own, whose address is the request's client address
 * (the server checks it).  0 with @ans; -1 without an answer, or a
 * negative errno, with @what.
 */
static int pcp_exchange(__be32 gw, struct pcp_map *req, struct pcp_map *ans,
			const char **what)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(PCP_SERVER_PORT),
		.sin_addr.s_addr = gw,
	};
	struct sockaddr_in me;
	socklen_t len = sizeof(me);
	uint8_t buf[1100], out[PCP_MAP_LEN];
	int fd, wait = 1000, left = PM_PCP_WAIT_MS, r = -1;
	struct pollfd p;
	ssize_t n;

	*what = "socket";
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) ||
	    getsockname(fd, (struct sockaddr *)&me, &len)) {
		r = -errno;
		goto out;
	}
	req->client = me.sin_addr.s_addr;
	pcp_map_request(out, sizeof(out), req);
	*what = "no answer";
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (left > 0) {
		if (send(fd, out, sizeof(out), 0) < 0) {
			*what = "send";
			r = -errno;
			break;
		}
		if (wait > left)
			wait = left;
		left -= wait;
		while (poll(&p, 1, wait) > 0) {
			n = recv(fd, buf, sizeof(buf), 0);
			/* Not ours (another version: NAT-PMP only): skip. */
			if (n >= 0 && !pcp_map_answer(buf, n, req, ans)) {
				r = 0;
				goto out;
			}
			if (n < 0 && errno == ECONNREFUSED) {
				*what = "refused (no PCP server)";
				r = -ECONNREFUSED;
				goto out;
			}
		}
		wait *= 2;
	}
out:
	close(fd);
	return r;
}

/*
 * Maps (or renews: the same nonce) our port for @lifetime s; without a
 * mapping, says why in @res.  pm's address and port change only with one.
 */
static bool pcp_map(struct portmap *pm, uint32_t lifetime, char *res,
		    size_t res_size)
{
	struct pcp_map req = {
		.int_port = pm->int_port,
		.ext_port = pm->ext_port ? pm->ext_port : pm->int_port,
		.ext_addr = pm->ext_addr,
		.lifetime = lifetime,
	}, ans;
	const char *what;
	int r;

	memcpy(req.nonce, pm->pcp_nonce, PCP_NONCE_LEN);
	r = pcp_exchange(pm->gateway, &req, &ans, &what);
	if (r) {
		snprintf(res, res_size, "%s%s%s", what, r < -1 ? ": " : "",
			 r < -1 ? strerror(-r) : "");
		return false;
	}
	if (ans.result != PCP_SUCCESS) {
		pcp_result_name(res, res_size, ans.result);
		return false;
	}
	if (lifetime && !ans.ext_addr) {
		snprintf(res, res_size, "no IPv4 external address");
		return false;
	}
	pm->ext_addr = ans.ext_addr;
	pm->ext_port = ans.ext_port;
	pm->lifetime = ans.lifetime;
	return true;
}

static bool try_pcp(struct portmap *pm)
{
	char res[64];

	pm->gateway = default_gateway();
	if (!pm->gateway) {
		snprintf(pm->why, sizeof(pm->why), "PCP: no default gateway");
		return false;
	}
	/* A new mapping: a new nonce (RFC 6887 §11.1), no suggestion but
	 * our own port. */
	pm->ext_port = 0;
	pm->ext_addr = 0;
	if (getrandom(pm->pcp_nonce, PCP_NONCE_LEN, 0) != PCP_NONCE_LEN) {
		snprintf(pm->why, sizeof(pm->why), "PCP: no random nonce");
		return false;
	}
	if (!pcp_map(pm, PM_PCP_LIFETIME, res, sizeof(res))) {
		snprintf(pm->why, sizeof(pm->why), "PCP: %s", res);
		return false;
	}
	pm->method = PM_PCP;
	return true;
}

static void granted(struct portmap *pm, uint64_t now)
{
	pm->renew_at = now + pm_renew_ms(pm->lifetime);
	pm->expires_at = pm->lifetime ? now + pm->lifetime * 1000ULL :
		UINT64_MAX;
}

static void log_mapping(struct portmap *pm, const char *verb)
{
	char ext[INET_ADDRSTRLEN], d[64];

	inet_ntop(AF_INET, &pm->ext_addr, ext, sizeof(ext));
	log_line("port mapping: %s %s:%u -> port %u, %s, lifetime %s%u s",
		 verb, ext, ntohs(pm->ext_port), ntohs(pm->int_port),
		 pm_describe(d, sizeof(d), pm->method, pm->gateway),
		 pm->lifetime ? "" : "permanent, recheck in ",
		 pm->lifetime ? pm->lifetime : PM_PERMANENT_RECHECK / 1000);
}

/*
 * The next protocol, @try, after the failures so far: logs the last one
 * (pm->why) and gathers it in @before.
 */
static bool after(struct portmap *pm, const char *name,
		  bool (*try)(struct portmap *pm), char *before, size_t size)
{
	size_t used;

	if (pm->why[0]) {
		log_line("port mapping: %s; trying %s", pm->why, name);
		used = strlen(before);
		snprintf(before + used, size - used, "%s%.100s",
			 used ? "; " : "", pm->why);
		pm->why[0] = '\0';
	}
	return try(pm);
}

bool pm_open(struct portmap *pm, enum pm_mode mode, __be16 port,
	     uint64_t now)
{
	char before[sizeof(pm->why)] = "";	/* what failed so far */
	bool ok = false;

	memset(pm, 0, sizeof(*pm));
	pm->mode = mode;
	pm->int_port = port;
	pm->renew_at = pm->expires_at = UINT64_MAX;
	if (mode == PM_MODE_OFF)
		return false;
	if (mode == PM_MODE_AUTO || mode == PM_MODE_UPNP)
		ok = try_upnp(pm);
	if (!ok && (mode == PM_MODE_AUTO || mode == PM_MODE_NATPMP))
		ok = after(pm, "NAT-PMP", try_natpmp, before, sizeof(before));
	if (!ok && (mode == PM_MODE_AUTO || mode == PM_MODE_PCP))
		ok = after(pm, "PCP", try_pcp, before, sizeof(before));
	if (!ok && before[0]) {
		char last[sizeof(pm->why)];

		snprintf(last, sizeof(last), "%s", pm->why);
		snprintf(pm->why, sizeof(pm->why), "%.170s; %.80s", before,
			 last);
	}
	if (!ok) {
		pm->method = PM_NONE;
		pm->renew_at = now + PM_RETRY_OPEN;
		log_line("port mapping (%s): none: %s; asking again in %u s",
			 pm_mode_name(mode), pm->why, PM_RETRY_OPEN / 1000);
		return false;
	}
	granted(pm, now);
	log_mapping(pm, "mapped");
	return true;
}

/* A renewal granted; NAT-PMP and PCP may move the mapping from @ext. */
static bool renewed(struct portmap *pm, uint64_t now, __be16 ext)
{
	granted(pm, now);
	log_mapping(pm, "renewed");
	if (ext != pm->ext_port)
		log_line("port mapping: the router moved it from port %u",
			 ntohs(ext));
	return true;
}

bool pm_renew(struct portmap *pm, uint64_t now)
{
	const char *what = "";
	int r = 0;

	if (pm->method == PM_UPNP) {
		r = upnp_map(pm);
		if (!r) {
			granted(pm, now);
			log_mapping(pm, "renewed");
			return true;
		}
		log_line("port mapping: renewing through UPnP: %d %s", r,
			 strupnperror(r));
	} else if (pm->method == PM_PCP) {
		__be16 ext = pm->ext_port;
		char res[64];

		if (pcp_map(pm, PM_PCP_LIFETIME, res, sizeof(res)))
			return renewed(pm, now, ext);
		log_line("port mapping: renewing through PCP: %s", res);
	} else if (pm->method == PM_NATPMP) {
		__be16 ext = pm->ext_port;

		if (natpmp_map(pm, &what, &r))
			return renewed(pm, now, ext);
		log_line("port mapping: renewing through NAT-PMP: %s: %s",
			 what, natpmp_err(r));
	} else {
		return false;
	}
	if (now + PM_RETRY < pm->expires_at) {
		pm->renew_at = now + PM_RETRY;
		return true;
	}
	log_line("port mapping: expired; asking again in %u s",
		 PM_RETRY_OPEN / 1000);
	upnp_free(pm);
	pm->method = PM_NONE;
	pm->renew_at = now + PM_RETRY_OPEN;
	return false;
}

void pm_close(struct portmap *pm)
{
	char port[8];
	natpmpresp_t resp;
	natpmp_t np;
	int r;

	if (pm->method == PM_UPNP) {
		snprintf(port, sizeof(port), "%u", ntohs(pm->ext_port));
		r = UPNP_DeletePortMapping(pm->upnp->urls.controlURL,
					   pm->upnp->data.first.servicetype,
					   port, "UDP", NULL);
		if (r)
			log_line("port mapping: DeletePortMapping: %d %s", r,
				 strupnperror(r));
		else
			log_line("port mapping: deleted (UPnP)");
		upnp_free(pm);
	} else if (pm->method == PM_PCP) {
		char res[64];

		if (pcp_map(pm, 0, res, sizeof(res)))
			log_line("port mapping: deleted (PCP)");
		else
			log_line("port mapping: deleting through PCP: %s", res);
	} else if (pm->method == PM_NATPMP) {
		r = initnatpmp(&np, 1, pm->gateway);
		if (r >= 0) {
			r = natpmp_request(&np, ntohs(pm->int_port), 0, true,
					   &resp);
			closenatpmp(&np);
		}
		if (r >= 0)
			log_line("port mapping: deleted (NAT-PMP)");
		else
			log_line("port mapping: deleting through NAT-PMP: %s",
				 natpmp_err(r));
	}
	pm->method = PM_NONE;
	pm->renew_at = UINT64_MAX;
}
