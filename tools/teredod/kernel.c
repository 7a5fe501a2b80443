// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink for teredod (libmnl): RTM_GETLINK for the configuration, the
 * change form of RTM_NEWLINK (ifindex + IFLA_LINKINFO{KIND "teredo",
 * DATA{...}}) for the socket and the state, RTM_{NEW,DEL}{ADDR,ROUTE}
 * for what goes on the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_teredo.h>
#include <linux/rtnetlink.h>

#include "kernel.h"
#include "proto.h"

#define NL_BUFSIZE	32768

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *data);

union req {
	char buf[1024];
	struct nlmsghdr align;
};

static void set_extack(struct kdev *k, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh), off = sizeof(*e);
	const struct nlattr *attr;
	const void *tlvs;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
	    e->msg.nlmsg_len > sizeof(e->msg))
		off += e->msg.nlmsg_len - sizeof(e->msg);
	off = MNL_ALIGN(off);
	if (off >= len)
		return;
	tlvs = (const char *)e + off;
	mnl_attr_for_each_payload(tlvs, len - off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(k->extack, sizeof(k->extack), "%s",
				 mnl_attr_get_str(attr));
	}
}

static bool is_dump(const struct nlmsghdr *req)
{
	return (req->nlmsg_type == RTM_GETLINK ||
		req->nlmsg_type == RTM_GETADDR ||
		req->nlmsg_type == RTM_GETROUTE) &&
	       (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
}

/* Sends @req, hands replies to @cb until the ack or the dump's end. */
static int run(struct kdev *k, struct nlmsghdr *req, msg_cb cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(k->nl);
	int err = 0;

	k->extack[0] = '\0';
	req->nlmsg_seq = ++k->seq;
	/* NLM_F_DUMP shares its bits with NLM_F_REPLACE and NLM_F_EXCL:
	 * only a GET is a dump.  Everything else asks for the ack. */
	if (!is_dump(req))
		req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(k->nl, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *nlh = (const void *)k->buf;
		ssize_t n = mnl_socket_recvfrom(k->nl, k->buf, NL_BUFSIZE);
		int len = n;

		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;
			int status = 0;

			if (!mnl_nlmsg_portid_ok(nlh, portid) ||
			    !mnl_nlmsg_seq_ok(nlh, req->nlmsg_seq))
				continue;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				break;
			case NLMSG_ERROR:
				e = mnl_nlmsg_get_payload(nlh);
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -EBADMSG;
				set_extack(k, nlh);
				if (e->error)
					return e->error < 0 ? e->error : -e->error;
				return err;
			case NLMSG_DONE:
				if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int))
					memcpy(&status, mnl_nlmsg_get_payload(nlh),
					       sizeof(int));
				return status < 0 ? status : err;
			default:
				if (!err && cb)
					err = cb(nlh, data);
				break;
			}
		}
	}
}

static struct mnl_socket *sock_open(unsigned int groups)
{
	struct mnl_socket *sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	struct timeval tmo = { .tv_sec = 10 };
	int one = 1;

	if (!sk)
		return NULL;
	if (mnl_socket_bind(sk, groups, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		mnl_socket_close(sk);
		errno = err;
		return NULL;
	}
	mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A lost answer must not hang the helper (signals wait in poll). */
	setsockopt(mnl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tmo,
		   sizeof(tmo));
	return sk;
}

int kernel_open(struct kdev *k, const char *name)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->buf = malloc(NL_BUFSIZE);
	if (!k->buf)
		return -ENOMEM;
	k->nl = sock_open(0);
	if (!k->nl)
		return -errno;
	k->mon = sock_open(RTMGRP_LINK);
	if (!k->mon)
		return -errno;
	/* The monitor is read when poll says so, never blocking. */
	fcntl(mnl_socket_get_fd(k->mon), F_SETFL, O_NONBLOCK);
	return 0;
}

void kernel_close(struct kdev *k)
{
	if (k->nl)
		mnl_socket_close(k->nl);
	if (k->mon)
		mnl_socket_close(k->mon);
	free(k->buf);
	k->nl = k->mon = NULL;
	k->buf = NULL;
}

/* --- links ------------------------------------------------------------ */

static struct nlmsghdr *link_req(struct kdev *k, union req *r, int type,
				 unsigned int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = k->ifindex;
	return nlh;
}

struct attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static bool attr_is(const struct nlattr *a, size_t size)
{
	return a && mnl_attr_get_payload_len(a) == size;
}

static int getlink_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { NULL };
	const struct nlattr *td[IFLA_TEREDO_MAX + 1] = { NULL };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct attrs a = { tb, IFLA_MAX };
	struct kdev *k = ((void **)data)[0];
	struct kconfig *cfg = ((void **)data)[1];
	const char *kind;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return 0;
	k->ifindex = ifi->ifi_index;
	cfg->flags = ifi->ifi_flags;
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, &a);
	if (!tb[IFLA_LINKINFO])
		return 0;
	a = (struct attrs){ info, IFLA_INFO_MAX };
	mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_cb, &a);
	if (!info[IFLA_INFO_KIND] ||
	    mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) < 0)
		return 0;
	kind = mnl_attr_get_str(info[IFLA_INFO_KIND]);
	cfg->teredo = !strcmp(kind, "teredo");
	if (!cfg->teredo || !info[IFLA_INFO_DATA])
		return 0;
	a = (struct attrs){ td, IFLA_TEREDO_MAX };
	mnl_attr_parse_nested(info[IFLA_INFO_DATA], attr_cb, &a);
	if (attr_is(td[IFLA_TEREDO_MODE], 1))
		cfg->mode = mnl_attr_get_u8(td[IFLA_TEREDO_MODE]);
	if (attr_is(td[IFLA_TEREDO_SERVER], 4))
		cfg->server = mnl_attr_get_u32(td[IFLA_TEREDO_SERVER]);
	if (attr_is(td[IFLA_TEREDO_SERVER2], 4))
		cfg->server2 = mnl_attr_get_u32(td[IFLA_TEREDO_SERVER2]);
	if (attr_is(td[IFLA_TEREDO_LOCAL], 4))
		cfg->local = mnl_attr_get_u32(td[IFLA_TEREDO_LOCAL]);
	if (attr_is(td[IFLA_TEREDO_PORT], 2))
		cfg->port = mnl_attr_get_u16(td[IFLA_TEREDO_PORT]);
	if (attr_is(td[IFLA_TEREDO_REFRESH], 4))
		cfg->refresh = mnl_attr_get_u32(td[IFLA_TEREDO_REFRESH]);
	return 0;
}

int kernel_get_config(struct kdev *k, struct kconfig *cfg)
{
	union req r;
	struct nlmsghdr *nlh = link_req(k, &r, RTM_GETLINK, 0);
	void *data[2] = { k, cfg };

	memset(cfg, 0, sizeof(*cfg));
	cfg->refresh = TEREDO_REFRESH_DEFAULT;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, k->name);
	return run(k, nlh, getlink_cb, data);
}

/* RTM_NEWLINK change form; IFLA_INFO_DATA is left open for the caller. */
static struct nlattr *change_req(struct kdev *k, union req *r,
				 struct nlmsghdr **nlhp, struct nlattr **info)
{
	struct nlmsghdr *nlh = link_req(k, r, RTM_NEWLINK, 0);

	*info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "teredo");
	*nlhp = nlh;
	return mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
}

static int change_run(struct kdev *k, struct nlmsghdr *nlh,
		      struct nlattr *info, struct nlattr *data)
{
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return run(k, nlh, NULL, NULL);
}

int kernel_attach(struct kdev *k, int fd)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	union req r;

	data = change_req(k, &r, &nlh, &info);
	mnl_attr_put_u32(nlh, IFLA_TEREDO_FD, (uint32_t)fd);
	return change_run(k, nlh, info, data);
}

int kernel_push(struct kdev *k, const struct qual_status *st)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	union req r;

	data = change_req(k, &r, &nlh, &info);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_STATE, st->state);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_REASON, st->reason);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_NAT, st->nat);
	/* :: when not qualified: no address is in use. */
	mnl_attr_put(nlh, IFLA_TEREDO_ADDRESS, 16, &st->addr);
	if (st->state == TEREDO_STATE_QUALIFIED) {
		mnl_attr_put(nlh, IFLA_TEREDO_MAPPED, 4, &st->mapped);
		mnl_attr_put(nlh, IFLA_TEREDO_MAPPED_PORT, 2, &st->mapped_port);
		mnl_attr_put_u32(nlh, IFLA_TEREDO_NEXT_REFRESH,
				 st->next_refresh);
	}
	return change_run(k, nlh, info, data);
}

static int sysctl_set(const char *dev, const char *key, const char *val)
{
	char path[128];
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", dev,
		 key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		err = -errno;
	close(fd);
	return err;
}

int kernel_link_setup(struct kdev *k)
{
	struct nlattr *af, *in6;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	union req r;
	int err;

	/* The kernel's own autoconf would solicit routers on the device. */
	err = sysctl_set(k->name, "accept_ra", "0");
	if (!err)
		err = sysctl_set(k->name, "router_solicitations", "0");
	if (err)
		return err;

	nlh = link_req(k, &r, RTM_NEWLINK, 0);
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	in6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, in6);
	mnl_attr_nest_end(nlh, af);
	err = run(k, nlh, NULL, NULL);
	if (err)
		return err;

	nlh = link_req(k, &r, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return run(k, nlh, NULL, NULL);
}

/* --- addresses and routes ----------------------------------------- */

int kernel_addr(struct kdev *k, bool add, const struct in6_addr *a,
		unsigned int plen)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	union req r;
	int err;

	nlh = mnl_nlmsg_put_header(r.buf);
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST |
			   (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = k->ifindex;
	ifa->ifa_scope = a->s6_addr[0] == 0xfe ? RT_SCOPE_LINK
					       : RT_SCOPE_UNIVERSE;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(*a), a);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(*a), a);
	/* The Teredo address's route is ours to add (kernel_route); the
	 * link-local brings fe80::/64 as in Miredo's hook. */
	if (add)
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD |
				 (teredo_addr_is_teredo(a) ?
				  IFA_F_NOPREFIXROUTE : 0));
	err = run(k, nlh, NULL, NULL);
	if (!add && err == -EADDRNOTAVAIL)
		err = 0;
	return err;
}

struct addr_list {
	int ifindex;
	unsigned int n;
	struct in6_addr a[16];
};

static int getaddr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct attrs at = { tb, IFA_MAX };
	struct addr_list *l = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET6 || (int)ifa->ifa_index != l->ifindex)
		return 0;
	mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, &at);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (attr_is(a, 16) && l->n < sizeof(l->a) / sizeof(l->a[0]))
		memcpy(&l->a[l->n++], mnl_attr_get_payload(a), 16);
	return 0;
}

int kernel_addr_flush_teredo(struct kdev *k, const struct in6_addr *keep)
{
	struct addr_list l = { .ifindex = k->ifindex };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned int i;
	union req r;
	int err;

	nlh = mnl_nlmsg_put_header(r.buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET6;
	err = run(k, nlh, getaddr_cb, &l);
	if (err)
		return err;
	for (i = 0; i < l.n; i++) {
		if (!teredo_addr_is_teredo(&l.a[i]) ||
		    (keep && !memcmp(&l.a[i], keep, sizeof(*keep))))
			continue;
		err = kernel_addr(k, false, &l.a[i], 32);
		if (err)
			return err;
	}
	return 0;
}

int kernel_route(struct kdev *k, bool add, const struct in6_addr *dst,
		 unsigned int plen, uint32_t metric)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	union req r;
	int err;

	nlh = mnl_nlmsg_put_header(r.buf);
	nlh->nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST |
			   (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET6;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (plen)
		mnl_attr_put(nlh, RTA_DST, sizeof(*dst), dst);
	mnl_attr_put_u32(nlh, RTA_OIF, k->ifindex);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, metric);
	err = run(k, nlh, NULL, NULL);
	if (!add && err == -ESRCH)
		err = 0;
	return err;
}

/* --- link events ------------------------------------------------------ */

int kernel_monitor_fd(struct kdev *k)
{
	return mnl_socket_get_fd(k->mon);
}

struct monitor {
	struct kdev *k;
	struct kconfig *cfg;
	bool gone, changed;
};

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct monitor *m = data;
	struct kconfig cfg = { 0 };
	void *arg[2] = { m->k, &cfg };

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) ||
	    ifi->ifi_index != m->k->ifindex)
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		m->gone = true;
	} else if (nlh->nlmsg_type == RTM_NEWLINK) {
		getlink_cb(nlh, arg);
		if (cfg.teredo && cfg.refresh && cfg.refresh != m->cfg->refresh) {
			m->cfg->refresh = cfg.refresh;
			m->changed = true;
		}
	}
	return MNL_CB_OK;
}

int kernel_monitor(struct kdev *k, struct kconfig *cfg, bool *changed)
{
	struct monitor m = { .k = k, .cfg = cfg };
	ssize_t n;

	while ((n = mnl_socket_recvfrom(k->mon, k->buf, NL_BUFSIZE)) > 0)
		mnl_cb_run(k->buf, n, 0, 0, monitor_cb, &m);
	*changed = m.changed;
	return m.gone;
}
