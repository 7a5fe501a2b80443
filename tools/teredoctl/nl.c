// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink for teredoctl: rtnetlink link queries, the "teredo" generic
 * netlink family, and the parsers that turn reply messages into the
 * structs of nl.h.  The request/reply loop is tools/lib/nl.c's.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "nl.h"

/* How often a dump that changed under us (NLM_F_DUMP_INTR) is redone. */
#define DUMP_TRIES	3

/* --- attribute parsing --------------------------------------------- */

/* Copies a string attribute that the sender may not have terminated. */
static void copy_str(char *dst, size_t size, const struct nlattr *attr)
{
	size_t len = strnlen(mnl_attr_get_payload(attr),
			     mnl_attr_get_payload_len(attr));

	if (len >= size)
		len = size - 1;
	memcpy(dst, mnl_attr_get_payload(attr), len);
	dst[len] = '\0';
}

static bool str_is(const struct nlattr *attr, const char *s)
{
	size_t len = strlen(s);

	return mnl_attr_get_payload_len(attr) >= len &&
	       !memcmp(mnl_attr_get_payload(attr), s, len) &&
	       (mnl_attr_get_payload_len(attr) == len ||
		((const char *)mnl_attr_get_payload(attr))[len] == '\0');
}

/* Where a fixed-size attribute lands in its struct. */
struct field {
	unsigned short off;
	unsigned short size;	/* 0: not a fixed-size field */
};

/*
 * Fills the fields of @base from @tb by the table, and records which came
 * with the exact size; a wrong size means we do not understand the
 * attribute, so it counts as absent.
 */
static unsigned int fill(void *base, const struct field *fields,
			 unsigned int max, const struct nlattr **tb)
{
	unsigned int present = 0, i;

	for (i = 1; i <= max; i++) {
		if (!tb[i] || !fields[i].size ||
		    mnl_attr_get_payload_len(tb[i]) != fields[i].size)
			continue;
		memcpy((char *)base + fields[i].off,
		       mnl_attr_get_payload(tb[i]), fields[i].size);
		present |= 1U << i;
	}
	return present;
}

#define FIELD(type, member) \
	{ offsetof(type, member), sizeof(((type *)0)->member) }

static const struct field link_fields[IFLA_TEREDO_MAX + 1] = {
	[IFLA_TEREDO_MODE]	= FIELD(struct link_info, mode),
	[IFLA_TEREDO_SERVER]	= FIELD(struct link_info, server),
	[IFLA_TEREDO_SERVER2]	= FIELD(struct link_info, server2),
	[IFLA_TEREDO_LOCAL]	= FIELD(struct link_info, local),
	[IFLA_TEREDO_LOCAL2]	= FIELD(struct link_info, local2),
	[IFLA_TEREDO_PORT]	= FIELD(struct link_info, port),
	[IFLA_TEREDO_REFRESH]	= FIELD(struct link_info, refresh),
	[IFLA_TEREDO_MAX_PEERS]	= FIELD(struct link_info, max_peers),
	[IFLA_TEREDO_STATE]	= FIELD(struct link_info, state),
	[IFLA_TEREDO_REASON]	= FIELD(struct link_info, reason),
	[IFLA_TEREDO_NAT]	= FIELD(struct link_info, nat),
	[IFLA_TEREDO_PORTMAP]	= FIELD(struct link_info, portmap),
	[IFLA_TEREDO_PORTMAP_GATEWAY] = FIELD(struct link_info, portmap_gw),
	[IFLA_TEREDO_MAPPED]	= FIELD(struct link_info, mapped),
	[IFLA_TEREDO_MAPPED_PORT] = FIELD(struct link_info, mapped_port),
	[IFLA_TEREDO_ADDRESS]	= FIELD(struct link_info, address),
	[IFLA_TEREDO_NEXT_REFRESH] = FIELD(struct link_info, next_refresh),
	[IFLA_TEREDO_BOUND]	= FIELD(struct link_info, bound),
	[IFLA_TEREDO_BOUND_PORT] = FIELD(struct link_info, bound_port),
	[IFLA_TEREDO_ALTERNATE]	= FIELD(struct link_info, alternate),
	[IFLA_TEREDO_ALTERNATE_PORT] = FIELD(struct link_info, alternate_port),
};

static const struct field dev_fields[TEREDO_A_MAX + 1] = {
	[TEREDO_A_IFINDEX]	= FIELD(struct dev_info, ifindex),
	[TEREDO_A_MODE]		= FIELD(struct dev_info, mode),
	[TEREDO_A_PEER_COUNT]	= FIELD(struct dev_info, peer_count),
	[TEREDO_A_HELD_BYTES]	= FIELD(struct dev_info, held_bytes),
	[TEREDO_A_HOLD_LIMIT]	= FIELD(struct dev_info, hold_limit),
};

static const struct field peer_fields[TEREDO_PEER_A_MAX + 1] = {
	[TEREDO_PEER_A_ADDR]		= FIELD(struct peer_info, addr),
	[TEREDO_PEER_A_MAPPED_ADDR]	= FIELD(struct peer_info, mapped),
	[TEREDO_PEER_A_MAPPED_PORT]	= FIELD(struct peer_info, port),
	[TEREDO_PEER_A_TRUSTED]		= FIELD(struct peer_info, trusted),
	[TEREDO_PEER_A_LAST_RX]		= FIELD(struct peer_info, last_rx),
	[TEREDO_PEER_A_LAST_TX]		= FIELD(struct peer_info, last_tx),
	[TEREDO_PEER_A_BUBBLES]		= FIELD(struct peer_info, bubbles),
	[TEREDO_PEER_A_QUEUED_BYTES]	= FIELD(struct peer_info, queued),
	[TEREDO_PEER_A_RX_PACKETS]	= FIELD(struct peer_info, rx_packets),
	[TEREDO_PEER_A_RX_BYTES]	= FIELD(struct peer_info, rx_bytes),
	[TEREDO_PEER_A_TX_PACKETS]	= FIELD(struct peer_info, tx_packets),
	[TEREDO_PEER_A_TX_BYTES]	= FIELD(struct peer_info, tx_bytes),
	[TEREDO_PEER_A_LOCAL_PORT]	= FIELD(struct peer_info, local_port),
};

static const struct field event_fields[TEREDO_A_MAX + 1] = {
	[TEREDO_A_IFINDEX]	= FIELD(struct event_info, ifindex),
	[TEREDO_A_EVENT]	= FIELD(struct event_info, event),
	[TEREDO_A_STATE]	= FIELD(struct event_info, state),
	[TEREDO_A_REASON]	= FIELD(struct event_info, reason),
	[TEREDO_A_NAT]		= FIELD(struct event_info, nat),
	[TEREDO_A_ADDRESS]	= FIELD(struct event_info, address),
	[TEREDO_A_MAPPED]	= FIELD(struct event_info, mapped),
	[TEREDO_A_MAPPED_PORT]	= FIELD(struct event_info, mapped_port),
};

/* ->present is an unsigned int bitmap indexed by attribute type. */
static_assert(IFLA_TEREDO_MAX < 32 && TEREDO_A_MAX < 32 &&
	      TEREDO_PEER_A_MAX < 32, "present bitmaps too small");
static_assert(TEREDO_STAT_MAX < NSTATS, "NSTATS too small");

int nl_parse_link(const struct nlmsghdr *nlh, struct link_info *li)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { NULL };
	const struct nlattr *data[IFLA_TEREDO_MAX + 1] = { NULL };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EINVAL;
	memset(li, 0, sizeof(*li));
	li->ifindex = ifi->ifi_index;
	li->flags = ifi->ifi_flags;

	nl_attrs_parse(nlh, sizeof(*ifi), tb, IFLA_MAX);
	if (!tb[IFLA_LINKINFO])
		return 0;
	nl_attrs_parse_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX);
	if (!info[IFLA_INFO_KIND] || !str_is(info[IFLA_INFO_KIND], "teredo"))
		return 0;
	if (tb[IFLA_IFNAME])
		copy_str(li->ifname, sizeof(li->ifname), tb[IFLA_IFNAME]);
	if (info[IFLA_INFO_DATA]) {
		nl_attrs_parse_nested(info[IFLA_INFO_DATA], data,
				      IFLA_TEREDO_MAX);
		li->present = fill(li, link_fields, IFLA_TEREDO_MAX, data);
	}
	return 1;
}

int nl_parse_dev(const struct nlmsghdr *nlh, struct dev_info *di)
{
	const struct nlattr *tb[TEREDO_A_MAX + 1] = { NULL };
	const struct nlattr *attr;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EINVAL;
	memset(di, 0, sizeof(*di));
	nl_attrs_parse(nlh, GENL_HDRLEN, tb, TEREDO_A_MAX);
	di->present = fill(di, dev_fields, TEREDO_A_MAX, tb);
	if (tb[TEREDO_A_IFNAME]) {
		copy_str(di->ifname, sizeof(di->ifname), tb[TEREDO_A_IFNAME]);
		di->present |= 1U << TEREDO_A_IFNAME;
	}
	if (!tb[TEREDO_A_STATS])
		return 0;
	di->present |= 1U << TEREDO_A_STATS;
	mnl_attr_for_each_nested(attr, tb[TEREDO_A_STATS]) {
		unsigned int type = mnl_attr_get_type(attr);

		/* Also skips a pad attribute, whatever its type: empty. */
		if (type && type < NSTATS &&
		    mnl_attr_get_payload_len(attr) == sizeof(__u64))
			memcpy(&di->stats[type], mnl_attr_get_payload(attr),
			       sizeof(__u64));
	}
	return 0;
}

int nl_parse_peer(const struct nlmsghdr *nlh, struct peer_info *pi)
{
	const struct nlattr *tb[TEREDO_A_MAX + 1] = { NULL };
	const struct nlattr *peer[TEREDO_PEER_A_MAX + 1] = { NULL };

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EINVAL;
	memset(pi, 0, sizeof(*pi));
	nl_attrs_parse(nlh, GENL_HDRLEN, tb, TEREDO_A_MAX);
	if (tb[TEREDO_A_IFINDEX] &&
	    mnl_attr_get_payload_len(tb[TEREDO_A_IFINDEX]) == sizeof(__u32))
		pi->ifindex = mnl_attr_get_u32(tb[TEREDO_A_IFINDEX]);
	if (!tb[TEREDO_A_PEER])
		return 0;
	nl_attrs_parse_nested(tb[TEREDO_A_PEER], peer, TEREDO_PEER_A_MAX);
	pi->present = fill(pi, peer_fields, TEREDO_PEER_A_MAX, peer);
	return 0;
}

int nl_parse_event(const struct nlmsghdr *nlh, struct event_info *ev)
{
	const struct nlattr *tb[TEREDO_A_MAX + 1] = { NULL };
	const struct nlattr *peer[TEREDO_PEER_A_MAX + 1] = { NULL };
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EINVAL;
	if (genl->cmd != TEREDO_CMD_STATE_NTF &&
	    genl->cmd != TEREDO_CMD_PEER_NTF)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->cmd = genl->cmd;
	nl_attrs_parse(nlh, GENL_HDRLEN, tb, TEREDO_A_MAX);
	ev->present = fill(ev, event_fields, TEREDO_A_MAX, tb);
	if (tb[TEREDO_A_IFNAME]) {
		copy_str(ev->ifname, sizeof(ev->ifname), tb[TEREDO_A_IFNAME]);
		ev->present |= 1U << TEREDO_A_IFNAME;
	}
	if (tb[TEREDO_A_PEER]) {
		nl_attrs_parse_nested(tb[TEREDO_A_PEER], peer,
				      TEREDO_PEER_A_MAX);
		ev->peer.present = fill(&ev->peer, peer_fields,
					TEREDO_PEER_A_MAX, peer);
		ev->present |= 1U << TEREDO_A_PEER;
	}
	return 1;
}

/* --- requests -------------------------------------------------------- */

/* A growing array of fixed-size items, for dumps. */
struct vec {
	void *items;
	size_t n, cap, size;
};

static void *vec_push(struct vec *v)
{
	void *slot;

	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;
		void *items = realloc(v->items, cap * v->size);

		if (!items)
			return NULL;
		v->items = items;
		v->cap = cap;
	}
	slot = (char *)v->items + v->n++ * v->size;
	memset(slot, 0, v->size);
	return slot;
}

/* Runs a dump again while it reports having changed under us. */
static int run_dump(struct nl *nl, struct mnl_socket *sk,
		    struct nlmsghdr *req, nl_msg_cb cb, struct vec *v)
{
	int tries, ret = 0;

	for (tries = 0; tries < DUMP_TRIES; tries++) {
		v->n = 0;
		ret = nl_run(&nl->io, sk, req, cb, v);
		if (ret < 0 || !nl->io.dump_intr)
			break;
	}
	return ret;
}

int nl_open(struct nl *nl)
{
	int err;

	memset(nl, 0, sizeof(*nl));
	err = nl_io_init(&nl->io);
	if (err)
		return err;
	nl->rt = nl_sock_open(NETLINK_ROUTE, 0);
	if (!nl->rt) {
		err = -errno;
		nl_io_free(&nl->io);
		return err;
	}
	nl->io.seq = time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->gen)
		mnl_socket_close(nl->gen);
	if (nl->rt)
		mnl_socket_close(nl->rt);
	nl_io_free(&nl->io);
	memset(nl, 0, sizeof(*nl));
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_info li, *slot;
	int ret;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	ret = nl_parse_link(nlh, &li);
	if (ret <= 0)
		return ret;
	slot = vec_push(data);
	if (!slot)
		return -ENOMEM;
	*slot = li;
	return 0;
}

int nl_links(struct nl *nl, const char *name, struct link_info **out)
{
	union nl_req req;
	struct vec v = { .size = sizeof(struct link_info) };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *nest;
	int ret;

	*out = NULL;
	nlh = nl_req_put(&req, RTM_GETLINK, 0, sizeof(*ifi));
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (name) {
		if (strlen(name) >= IFNAMSIZ)
			return 0;
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
		ret = nl_run(&nl->io, nl->rt, nlh, link_cb, &v);
		if (ret == -ENODEV)
			ret = 0;
	} else {
		/*
		 * The kernel filters on the kind when it knows it; when the
		 * module is not loaded it sends every link, hence link_cb's
		 * own check.
		 */
		nlh->nlmsg_flags |= NLM_F_DUMP;
		nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "teredo");
		mnl_attr_nest_end(nlh, nest);
		ret = run_dump(nl, nl->rt, nlh, link_cb, &v);
	}
	if (ret < 0) {
		free(v.items);
		return ret;
	}
	*out = v.items;
	return v.n;
}

static struct nlmsghdr *genl_req(union nl_req *req, __u16 type, __u8 cmd,
				 __u8 version)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	nlh = nl_req_put(req, type, 0, sizeof(*genl));
	genl = mnl_nlmsg_get_payload(nlh);
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct family_reply {
	__u16 id;
	__u32 events;			/* the "events" group's id, 0: none */
};

static void family_groups(const struct nlattr *groups, struct family_reply *r)
{
	const struct nlattr *grp;

	mnl_attr_for_each_nested(grp, groups) {
		const struct nlattr *g[CTRL_ATTR_MCAST_GRP_MAX + 1] = { NULL };

		nl_attrs_parse_nested(grp, g, CTRL_ATTR_MCAST_GRP_MAX);
		if (g[CTRL_ATTR_MCAST_GRP_NAME] && g[CTRL_ATTR_MCAST_GRP_ID] &&
		    str_is(g[CTRL_ATTR_MCAST_GRP_NAME],
			   TEREDO_GENL_MCGRP_EVENTS) &&
		    mnl_attr_validate(g[CTRL_ATTR_MCAST_GRP_ID],
				      MNL_TYPE_U32) >= 0)
			r->events = mnl_attr_get_u32(g[CTRL_ATTR_MCAST_GRP_ID]);
	}
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { NULL };
	struct family_reply *r = data;

	nl_attrs_parse(nlh, GENL_HDRLEN, tb, CTRL_ATTR_MAX);
	if (tb[CTRL_ATTR_FAMILY_ID] &&
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) >= 0)
		r->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (tb[CTRL_ATTR_MCAST_GROUPS])
		family_groups(tb[CTRL_ATTR_MCAST_GROUPS], r);
	return 0;
}

int nl_family(struct nl *nl)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct family_reply r = { 0 };
	int ret;

	if (nl->family)
		return 0;
	if (!nl->gen) {
		nl->gen = nl_sock_open(NETLINK_GENERIC, 0);
		if (!nl->gen)
			return -errno;
	}
	/* The kernel loads the module through its genl alias if it can. */
	nlh = genl_req(&req, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, TEREDO_GENL_NAME);
	ret = nl_run(&nl->io, nl->gen, nlh, family_cb, &r);
	if (ret < 0)
		return ret;
	if (!r.id)
		return -EPROTO;
	nl->family = r.id;
	nl->events = r.events;
	return 0;
}

int nl_monitor(struct nl *nl, int (*cb)(const struct event_info *ev,
					void *data), void *data)
{
	struct event_info ev;
	int ret, fd, len;
	ssize_t n;

	ret = nl_family(nl);
	if (ret < 0)
		return ret;
	if (!nl->events)
		return -EOPNOTSUPP;	/* a module without the group */
	fd = mnl_socket_get_fd(nl->gen);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &nl->events,
		       sizeof(nl->events)))
		return -errno;
	for (;;) {
		const struct nlmsghdr *nlh;

		n = mnl_socket_recvfrom(nl->gen, nl->io.buf, NL_BUFSIZE);
		if (n < 0) {
			/* Events lost to a full buffer: say so, go on. */
			if (errno == ENOBUFS) {
				fprintf(stderr, "teredoctl: monitor: events lost (ENOBUFS)\n");
				continue;
			}
			if (errno == EINTR)
				continue;
			return -errno;
		}
		len = (int)n;
		for (nlh = (const struct nlmsghdr *)nl->io.buf;
		     mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != nl->family ||
			    nl_parse_event(nlh, &ev) != 1)
				continue;
			ret = cb(&ev, data);
			if (ret)
				return ret;
		}
	}
}

struct dev_req {
	unsigned int ifindex;
	struct dev_info *di;
	bool found;
};

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dev_req *r = data;
	struct dev_info di;
	int ret;

	ret = nl_parse_dev(nlh, &di);
	if (ret < 0)
		return ret;
	if (HAS(&di, TEREDO_A_IFINDEX) && di.ifindex != r->ifindex)
		return 0;
	*r->di = di;
	r->found = true;
	return 0;
}

int nl_dev_get(struct nl *nl, unsigned int ifindex, struct dev_info *di)
{
	union nl_req req;
	struct dev_req r = { .ifindex = ifindex, .di = di };
	struct nlmsghdr *nlh;
	int ret;

	ret = nl_family(nl);
	if (ret < 0)
		return ret;
	nlh = genl_req(&req, nl->family, TEREDO_CMD_DEV_GET,
		       TEREDO_GENL_VERSION);
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, ifindex);
	ret = nl_run(&nl->io, nl->gen, nlh, dev_cb, &r);
	if (ret < 0)
		return ret;
	return r.found ? 0 : -EPROTO;
}

struct peer_req {
	struct vec v;
	unsigned int ifindex;
};

static int peer_cb(const struct nlmsghdr *nlh, void *data)
{
	struct peer_req *r = data;
	struct peer_info pi, *slot;
	int ret;

	ret = nl_parse_peer(nlh, &pi);
	if (ret < 0)
		return ret;
	/* A message without the address names no peer: nothing to show. */
	if ((pi.ifindex && pi.ifindex != r->ifindex) ||
	    !HAS(&pi, TEREDO_PEER_A_ADDR))
		return 0;
	slot = vec_push(&r->v);
	if (!slot)
		return -ENOMEM;
	*slot = pi;
	return 0;
}

int nl_peers(struct nl *nl, unsigned int ifindex, struct peer_info **out)
{
	union nl_req req;
	struct peer_req r = {
		.v = { .size = sizeof(struct peer_info) },
		.ifindex = ifindex,
	};
	struct nlmsghdr *nlh;
	int ret;

	*out = NULL;
	ret = nl_family(nl);
	if (ret < 0)
		return ret;
	nlh = genl_req(&req, nl->family, TEREDO_CMD_PEER_GET,
		       TEREDO_GENL_VERSION);
	nlh->nlmsg_flags |= NLM_F_DUMP;
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, ifindex);
	/* struct vec is the first member, so run_dump() can reset it. */
	ret = run_dump(nl, nl->gen, nlh, peer_cb, &r.v);
	if (ret < 0) {
		free(r.v.items);
		return ret;
	}
	*out = r.v.items;
	return r.v.n;
}

int nl_peer_del(struct nl *nl, unsigned int ifindex,
		const struct in6_addr *addr)
{
	union nl_req req;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int ret;

	ret = nl_family(nl);
	if (ret < 0)
		return ret;
	nlh = genl_req(&req, nl->family, TEREDO_CMD_PEER_DEL,
		       TEREDO_GENL_VERSION);
	mnl_attr_put_u32(nlh, TEREDO_A_IFINDEX, ifindex);
	if (addr) {
		nest = mnl_attr_nest_start(nlh, TEREDO_A_PEER);
		mnl_attr_put(nlh, TEREDO_PEER_A_ADDR, sizeof(*addr), addr);
		mnl_attr_nest_end(nlh, nest);
	}
	return nl_run(&nl->io, nl->gen, nlh, NULL, NULL);
}
