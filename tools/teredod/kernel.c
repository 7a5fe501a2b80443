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
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/genetlink.h>
#include <linux/if_teredo.h>
#include <linux/rtnetlink.h>
#include <linux/teredo_genl.h>

#include "kernel.h"
#include "lib/nl.h"
#include "proto.h"

static struct mnl_socket *sock_open(unsigned int groups)
{
	struct mnl_socket *sk = nl_sock_open(NETLINK_ROUTE, groups);
	struct timeval tmo = { .tv_sec = 10 };

	/* A lost answer must not hang the helper (signals wait in poll). */
	if (sk)
		setsockopt(mnl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tmo,
			   sizeof(tmo));
	return sk;
}

int kernel_open(struct kdev *k, const char *name)
{
	int err;

	memset(k, 0, sizeof(*k));
	snprintf(k->name, sizeof(k->name), "%s", name);
	err = nl_io_init(&k->io);
	if (err)
		return err;
	k->nl = sock_open(0);
	if (!k->nl)
		return -errno;
	k->mon = sock_open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
			   RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR |
			   RTMGRP_IPV6_ROUTE);
	if (!k->mon)
		return -errno;
	/* The monitor is read when poll says so, never blocking. */
	fcntl(mnl_socket_get_fd(k->mon), F_SETFL, O_NONBLOCK);
	return 0;
}

void kernel_close(struct kdev *k)
{
	if (k->events)
		mnl_socket_close(k->events);
	if (k->nl)
		mnl_socket_close(k->nl);
	if (k->mon)
		mnl_socket_close(k->mon);
	nl_io_free(&k->io);
	k->nl = k->mon = NULL;
}

/* --- links ------------------------------------------------------------ */

static struct nlmsghdr *link_req(struct kdev *k, union nl_req *r, int type,
				 unsigned int flags)
{
	struct nlmsghdr *nlh = nl_req_put(r, type, flags,
					  sizeof(struct ifinfomsg));
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = k->ifindex;
	return nlh;
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
	struct kdev *k = ((void **)data)[0];
	struct kconfig *cfg = ((void **)data)[1];
	const char *kind;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return 0;
	k->ifindex = ifi->ifi_index;
	cfg->flags = ifi->ifi_flags;
	nl_attrs_parse(nlh, sizeof(*ifi), tb, IFLA_MAX);
	if (attr_is(tb[IFLA_MTU], 4))
		cfg->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_STATS64] &&
	    mnl_attr_get_payload_len(tb[IFLA_STATS64]) >=
	    sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 st;

		memcpy(&st, mnl_attr_get_payload(tb[IFLA_STATS64]),
		       sizeof(st));
		cfg->packets = st.rx_packets + st.tx_packets;
	}
	if (!tb[IFLA_LINKINFO])
		return 0;
	nl_attrs_parse_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	if (!info[IFLA_INFO_KIND] ||
	    mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) < 0)
		return 0;
	kind = mnl_attr_get_str(info[IFLA_INFO_KIND]);
	cfg->teredo = !strcmp(kind, "teredo");
	if (!cfg->teredo || !info[IFLA_INFO_DATA])
		return 0;
	nl_attrs_parse_nested(info[IFLA_INFO_DATA], td, IFLA_TEREDO_MAX);
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
	if (attr_is(td[IFLA_TEREDO_BOUND], 4) &&
	    attr_is(td[IFLA_TEREDO_BOUND_PORT], 2)) {
		cfg->attached = true;
		cfg->bound = mnl_attr_get_u32(td[IFLA_TEREDO_BOUND]);
		cfg->bound_port = mnl_attr_get_u16(td[IFLA_TEREDO_BOUND_PORT]);
	}
	return 0;
}

int kernel_get_config(struct kdev *k, struct kconfig *cfg)
{
	union nl_req r;
	struct nlmsghdr *nlh = link_req(k, &r, RTM_GETLINK, 0);
	void *data[2] = { k, cfg };

	memset(cfg, 0, sizeof(*cfg));
	cfg->refresh = TEREDO_REFRESH_DEFAULT;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, k->name);
	return nl_run(&k->io, k->nl, nlh, getlink_cb, data);
}

/* RTM_NEWLINK change form; IFLA_INFO_DATA is left open for the caller. */
static struct nlattr *change_req(struct kdev *k, union nl_req *r,
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
	return nl_run(&k->io, k->nl, nlh, NULL, NULL);
}

/* Hand socket @fd to the kernel as the device's attribute @type. */
static int attach_fd(struct kdev *k, uint16_t type, int fd)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	union nl_req r;

	data = change_req(k, &r, &nlh, &info);
	mnl_attr_put_u32(nlh, type, (uint32_t)fd);
	return change_run(k, nlh, info, data);
}

int kernel_attach(struct kdev *k, int fd)
{
	return attach_fd(k, IFLA_TEREDO_FD, fd);
}

int kernel_attach_discovery(struct kdev *k, int fd)
{
	return attach_fd(k, IFLA_TEREDO_DISCOVERY_FD, fd);
}

int kernel_set_server(struct kdev *k, __be32 server, __be32 server2)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	union nl_req r;

	data = change_req(k, &r, &nlh, &info);
	mnl_attr_put(nlh, IFLA_TEREDO_SERVER, 4, &server);
	mnl_attr_put(nlh, IFLA_TEREDO_SERVER2, 4, &server2);
	return change_run(k, nlh, info, data);
}

int kernel_push(struct kdev *k, const struct qual_status *st)
{
	struct nlattr *info, *data;
	struct nlmsghdr *nlh;
	union nl_req r;

	data = change_req(k, &r, &nlh, &info);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_STATE, st->state);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_REASON, st->reason);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_NAT, st->nat);
	mnl_attr_put_u8(nlh, IFLA_TEREDO_PORTMAP, st->portmap);
	if (st->portmap)
		mnl_attr_put(nlh, IFLA_TEREDO_PORTMAP_GATEWAY, 4,
			     &st->portmap_gw);
	/* :: when not qualified: no address is in use. */
	mnl_attr_put(nlh, IFLA_TEREDO_ADDRESS, 16, &st->addr);
	if (st->state == TEREDO_STATE_QUALIFIED ||
	    st->state == TEREDO_STATE_DORMANT) {
		mnl_attr_put(nlh, IFLA_TEREDO_MAPPED, 4, &st->mapped);
		mnl_attr_put(nlh, IFLA_TEREDO_MAPPED_PORT, 2, &st->mapped_port);
		/* 0 forgets one a teredod before us gave (--hairpinning). */
		mnl_attr_put(nlh, IFLA_TEREDO_ALTERNATE, 4, &st->alt);
		if (st->alt)
			mnl_attr_put(nlh, IFLA_TEREDO_ALTERNATE_PORT, 2,
				     &st->alt_port);
	}
	if (st->state == TEREDO_STATE_QUALIFIED)
		mnl_attr_put_u32(nlh, IFLA_TEREDO_NEXT_REFRESH,
				 st->next_refresh);
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
	union nl_req r;
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
	err = nl_run(&k->io, k->nl, nlh, NULL, NULL);
	if (err)
		return err;

	nlh = link_req(k, &r, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_run(&k->io, k->nl, nlh, NULL, NULL);
}

int kernel_set_mtu(struct kdev *k, unsigned int mtu)
{
	struct nlmsghdr *nlh;
	union nl_req r;

	nlh = link_req(k, &r, RTM_NEWLINK, 0);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nl_run(&k->io, k->nl, nlh, NULL, NULL);
}

/* --- addresses and routes ----------------------------------------- */

/*
 * Sends @nlh, an address or a route, as @new_type when @add (creating
 * it, or replacing what is there), else as @del_type.  Deleting what is
 * already gone (the kernel says @gone) is no error: the caller wants it
 * absent, and it is.
 */
static int add_or_del(struct kdev *k, struct nlmsghdr *nlh, bool add,
		      __u16 new_type, __u16 del_type, int gone)
{
	int err;

	nlh->nlmsg_type = add ? new_type : del_type;
	if (add)
		nlh->nlmsg_flags |= NLM_F_CREATE | NLM_F_REPLACE;
	err = nl_run(&k->io, k->nl, nlh, NULL, NULL);
	return !add && err == gone ? 0 : err;
}

int kernel_addr(struct kdev *k, bool add, const struct in6_addr *a,
		unsigned int plen)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	union nl_req r;

	/* The type and flags are add_or_del()'s. */
	nlh = nl_req_put(&r, 0, 0, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
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
	return add_or_del(k, nlh, add, RTM_NEWADDR, RTM_DELADDR,
			  -EADDRNOTAVAIL);
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
	struct addr_list *l = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET6 || (int)ifa->ifa_index != l->ifindex)
		return 0;
	nl_attrs_parse(nlh, sizeof(*ifa), tb, IFA_MAX);
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
	union nl_req r;
	int err;

	nlh = nl_req_put(&r, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_INET6;
	err = nl_run(&k->io, k->nl, nlh, getaddr_cb, &l);
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
	union nl_req r;

	nlh = nl_req_put(&r, 0, 0, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
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
	return add_or_del(k, nlh, add, RTM_NEWROUTE, RTM_DELROUTE, -ESRCH);
}

static int getroute_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct kpath *p = data;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_family != AF_INET)
		return 0;
	nl_attrs_parse(nlh, sizeof(*rtm), tb, RTA_MAX);
	if (attr_is(tb[RTA_OIF], 4))
		p->oif = mnl_attr_get_u32(tb[RTA_OIF]);
	if (attr_is(tb[RTA_PREFSRC], 4))
		p->src = mnl_attr_get_u32(tb[RTA_PREFSRC]);
	if (attr_is(tb[RTA_GATEWAY], 4))
		p->gateway = mnl_attr_get_u32(tb[RTA_GATEWAY]);
	return 0;
}

int kernel_path(struct kdev *k, __be32 dst, struct kpath *p)
{
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	union nl_req r;

	memset(p, 0, sizeof(*p));
	nlh = nl_req_put(&r, RTM_GETROUTE, 0, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	mnl_attr_put(nlh, RTA_DST, sizeof(dst), &dst);
	p->err = nl_run(&k->io, k->nl, nlh, getroute_cb, p);
	return p->err;
}

/* --- genl events --------------------------------------------------- */

struct family {
	uint16_t id;
	uint32_t events;
};

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { NULL };
	const struct nlattr *grp;
	struct family *f = data;

	nl_attrs_parse(nlh, GENL_HDRLEN, tb, CTRL_ATTR_MAX);
	if (attr_is(tb[CTRL_ATTR_FAMILY_ID], 2))
		f->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS]) {
		const struct nlattr *g[CTRL_ATTR_MCAST_GRP_MAX + 1] = { NULL };

		nl_attrs_parse_nested(grp, g, CTRL_ATTR_MCAST_GRP_MAX);
		if (g[CTRL_ATTR_MCAST_GRP_NAME] &&
		    attr_is(g[CTRL_ATTR_MCAST_GRP_ID], 4) &&
		    mnl_attr_validate(g[CTRL_ATTR_MCAST_GRP_NAME],
				      MNL_TYPE_NUL_STRING) >= 0 &&
		    !strcmp(mnl_attr_get_str(g[CTRL_ATTR_MCAST_GRP_NAME]),
			    TEREDO_GENL_MCGRP_EVENTS))
			f->events = mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

int kernel_events_open(struct kdev *k)
{
	struct family f = { 0 };
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;
	union nl_req r;
	int err;

	k->events = nl_sock_open(NETLINK_GENERIC, 0);
	if (!k->events)
		return -errno;
	nlh = nl_req_put(&r, GENL_ID_CTRL, 0, sizeof(*genl));
	genl = mnl_nlmsg_get_payload(nlh);
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TEREDO_GENL_NAME);
	err = nl_run(&k->io, k->events, nlh, family_cb, &f);
	if (!err && !f.id)
		err = -ENOENT;
	if (!err && !f.events)
		err = -EOPNOTSUPP;
	if (!err &&
	    setsockopt(mnl_socket_get_fd(k->events), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &f.events, sizeof(f.events)))
		err = -errno;
	if (err) {
		mnl_socket_close(k->events);
		k->events = NULL;
		return err;
	}
	k->family = f.id;
	fcntl(mnl_socket_get_fd(k->events), F_SETFL, O_NONBLOCK);
	return 0;
}

int kernel_events_fd(struct kdev *k)
{
	return k->events ? mnl_socket_get_fd(k->events) : -1;
}

static int events_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TEREDO_A_MAX + 1] = { NULL };
	struct kdev *k = ((void **)data)[0];
	bool *wake = ((void **)data)[1];

	if (nlh->nlmsg_type != k->family ||
	    mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN ||
	    genl->cmd != TEREDO_CMD_WAKE_NTF)
		return MNL_CB_OK;
	nl_attrs_parse(nlh, GENL_HDRLEN, tb, TEREDO_A_MAX);
	if (attr_is(tb[TEREDO_A_IFINDEX], 4) &&
	    (int)mnl_attr_get_u32(tb[TEREDO_A_IFINDEX]) == k->ifindex)
		*wake = true;
	return MNL_CB_OK;
}

bool kernel_events_wake(struct kdev *k)
{
	bool wake = false;
	void *data[2] = { k, &wake };
	ssize_t n;

	while ((n = mnl_socket_recvfrom(k->events, k->io.buf,
					NL_BUFSIZE)) > 0 ||
	       (n < 0 && errno == ENOBUFS)) {
		/* A lost wake-up is worse than a spurious one. */
		if (n < 0) {
			wake = true;
			continue;
		}
		mnl_cb_run(k->io.buf, n, 0, 0, events_cb, data);
	}
	return wake;
}

/* --- native IPv6 ------------------------------------------------------ */

struct native {
	int self;			/* our device */
	int oifs[8];			/* of default routes */
	unsigned int noifs;
	int found;			/* ifindex with a global address */
};

static void default_oif(struct native *nv, int oif)
{
	if (oif && oif != nv->self &&
	    nv->noifs < sizeof(nv->oifs) / sizeof(nv->oifs[0]))
		nv->oifs[nv->noifs++] = oif;
}

static int route6_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	const struct rtnexthop *nh;
	struct native *nv = data;
	int len;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm) ||
	    rtm->rtm_family != AF_INET6 || rtm->rtm_dst_len ||
	    rtm->rtm_type != RTN_UNICAST || rtm->rtm_table != RT_TABLE_MAIN)
		return 0;
	nl_attrs_parse(nlh, sizeof(*rtm), tb, RTA_MAX);
	if (attr_is(tb[RTA_OIF], 4))
		default_oif(nv, mnl_attr_get_u32(tb[RTA_OIF]));
	if (!tb[RTA_MULTIPATH])
		return 0;
	nh = mnl_attr_get_payload(tb[RTA_MULTIPATH]);
	len = mnl_attr_get_payload_len(tb[RTA_MULTIPATH]);
	while (len >= (int)sizeof(*nh) && nh->rtnh_len >= sizeof(*nh) &&
	       nh->rtnh_len <= len) {
		default_oif(nv, nh->rtnh_ifindex);
		len -= RTNH_ALIGN(nh->rtnh_len);
		nh = RTNH_NEXT(nh);
	}
	return 0;
}

static int addr6_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct native *nv = data;
	const struct nlattr *a;
	__u32 flags;
	unsigned int i;

	if (nv->found || nlh->nlmsg_type != RTM_NEWADDR ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa) ||
	    ifa->ifa_family != AF_INET6 || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return 0;
	nl_attrs_parse(nlh, sizeof(*ifa), tb, IFA_MAX);
	flags = attr_is(tb[IFA_FLAGS], 4) ? mnl_attr_get_u32(tb[IFA_FLAGS])
					  : ifa->ifa_flags;
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	/* Another Teredo address (2001::/32) is no native IPv6. */
	if (!attr_is(a, 16) || teredo_addr_is_teredo(mnl_attr_get_payload(a)))
		return 0;
	for (i = 0; i < nv->noifs; i++)
		if ((int)ifa->ifa_index == nv->oifs[i])
			nv->found = ifa->ifa_index;
	return 0;
}

int kernel_native_ipv6(struct kdev *k, char ifname[IFNAMSIZ])
{
	struct native nv = { .self = k->ifindex };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;
	union nl_req r;
	int err;

	nlh = nl_req_put(&r, RTM_GETROUTE, NLM_F_DUMP, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = AF_INET6;
	err = nl_run(&k->io, k->nl, nlh, route6_cb, &nv);
	if (err || !nv.noifs)
		return err;
	nlh = nl_req_put(&r, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_INET6;
	err = nl_run(&k->io, k->nl, nlh, addr6_cb, &nv);
	if (err || !nv.found)
		return err;
	if (!if_indextoname(nv.found, ifname))
		snprintf(ifname, IFNAMSIZ, "if%d", nv.found);
	return 1;
}

/* --- link and IPv4 events -------------------------------------------- */

int kernel_monitor_fd(struct kdev *k)
{
	return mnl_socket_get_fd(k->mon);
}

struct monitor {
	struct kdev *k;
	struct kconfig *cfg;
	struct kevents *ev;
};

static int monitor_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct monitor *m = data;
	struct kconfig cfg = { 0 };
	void *arg[2] = { m->k, &cfg };

	switch (nlh->nlmsg_type) {
	case RTM_NEWADDR:
	case RTM_DELADDR:
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		/* ifaddrmsg and rtmsg both start with the family. */
		if (mnl_nlmsg_get_payload_len(nlh) < 1)
			return MNL_CB_OK;
		if (*(const __u8 *)mnl_nlmsg_get_payload(nlh) == AF_INET6)
			m->ev->net6 = true;
		else
			m->ev->net4 = true;
		return MNL_CB_OK;
	}
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi) ||
	    ifi->ifi_index != m->k->ifindex)
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		m->ev->gone = true;
	} else if (nlh->nlmsg_type == RTM_NEWLINK) {
		getlink_cb(nlh, arg);
		if (cfg.teredo && cfg.refresh && cfg.refresh != m->cfg->refresh) {
			m->cfg->refresh = cfg.refresh;
			m->ev->refresh = true;
		}
		if (cfg.teredo && cfg.server &&
		    (cfg.server != m->cfg->server ||
		     cfg.server2 != m->cfg->server2)) {
			m->cfg->server = cfg.server;
			m->cfg->server2 = cfg.server2;
			m->ev->server = true;
		}
	}
	return MNL_CB_OK;
}

void kernel_monitor(struct kdev *k, struct kconfig *cfg, struct kevents *ev)
{
	struct monitor m = { .k = k, .cfg = cfg, .ev = ev };
	ssize_t n;

	memset(ev, 0, sizeof(*ev));
	while ((n = mnl_socket_recvfrom(k->mon, k->io.buf, NL_BUFSIZE)) > 0 ||
	       (n < 0 && errno == ENOBUFS)) {
		/* Events were lost: assume the worst about the network. */
		if (n < 0) {
			ev->net4 = ev->net6 = true;
			continue;
		}
		mnl_cb_run(k->io.buf, n, 0, 0, monitor_cb, &m);
	}
}
