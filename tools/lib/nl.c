// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink plumbing shared by teredoctl and teredod: see nl.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>

#include "nl.h"

int nl_io_init(struct nl_io *io)
{
	memset(io, 0, sizeof(*io));
	io->buf = malloc(NL_BUFSIZE);
	return io->buf ? 0 : -ENOMEM;
}

void nl_io_free(struct nl_io *io)
{
	free(io->buf);
	io->buf = NULL;
}

struct mnl_socket *nl_sock_open(int bus, unsigned int groups)
{
	struct mnl_socket *sk = mnl_socket_open2(bus, SOCK_CLOEXEC);
	int one = 1, err;

	if (!sk)
		return NULL;
	if (mnl_socket_bind(sk, groups, MNL_SOCKET_AUTOPID) < 0) {
		err = errno;
		mnl_socket_close(sk);
		errno = err;
		return NULL;
	}
	/*
	 * Best effort, kernels before 4.12 have neither: extack for the
	 * kernel's error messages, a capped ack so that the request is not
	 * echoed in front of them.
	 */
	mnl_socket_setsockopt(sk, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(sk, NETLINK_CAP_ACK, &one, sizeof(one));
	return sk;
}

struct nlmsghdr *nl_req_put(union nl_req *r, __u16 type, __u16 flags,
			    size_t hdr_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(r->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	mnl_nlmsg_put_extra_header(nlh, hdr_len);
	return nlh;
}

/* Keeps the kernel's own words for an error, which say more than errno. */
static void set_extack(struct nl_io *io, const struct nlmsghdr *nlh)
{
	const char *payload = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh), off;
	const struct nlattr *attr;
	const void *tlvs;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = (const void *)payload;

		off = sizeof(*e);
		/* Without NETLINK_CAP_ACK our request is echoed in full. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len > sizeof(e->msg))
			off += e->msg.nlmsg_len - sizeof(e->msg);
	} else {
		off = sizeof(int);	/* NLMSG_DONE: the error only */
	}
	off = MNL_ALIGN(off);
	if (off >= len)
		return;
	tlvs = payload + off;
	mnl_attr_for_each_payload(tlvs, len - off) {
		switch (mnl_attr_get_type(attr)) {
		case NLMSGERR_ATTR_MSG:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(io->extack, sizeof(io->extack), "%s",
					 mnl_attr_get_str(attr));
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			/* GENL_REQ_ATTR_CHECK sends only this, no text. */
			if (!io->extack[0] &&
			    mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
				snprintf(io->extack, sizeof(io->extack),
					 "missing attribute %u",
					 mnl_attr_get_u32(attr));
			break;
		}
	}
}

int nl_run(struct nl_io *io, struct mnl_socket *sk, struct nlmsghdr *req,
	   nl_msg_cb cb, void *data)
{
	unsigned int portid = mnl_socket_get_portid(sk);
	int err = 0;

	io->extack[0] = '\0';
	io->dump_intr = false;
	req->nlmsg_seq = ++io->seq;
	/*
	 * Anything but a dump asks for the ack, so a doit that replies
	 * never leaves us waiting.  NLM_F_DUMP is NLM_F_REPLACE |
	 * NLM_F_EXCL in a NEW request, where one of them alone may be set:
	 * only both make a dump.
	 */
	if ((req->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
		req->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(sk, req, req->nlmsg_len) < 0)
		return -errno;

	for (;;) {
		const struct nlmsghdr *nlh = (const void *)io->buf;
		ssize_t n = mnl_socket_recvfrom(sk, io->buf, NL_BUFSIZE);
		int len = n;

		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e;
			int status;

			/* Left over from an earlier request. */
			if (!mnl_nlmsg_portid_ok(nlh, portid) ||
			    !mnl_nlmsg_seq_ok(nlh, req->nlmsg_seq))
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				io->dump_intr = true;

			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
			case NLMSG_OVERRUN:
				break;
			case NLMSG_ERROR:
				e = mnl_nlmsg_get_payload(nlh);
				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -EBADMSG;
				set_extack(io, nlh);
				if (e->error)
					return e->error < 0 ? e->error
							    : -e->error;
				return err;
			case NLMSG_DONE:
				/* A dump that failed half way says so here. */
				status = 0;
				if (mnl_nlmsg_get_payload_len(nlh) >=
				    sizeof(status))
					memcpy(&status,
					       mnl_nlmsg_get_payload(nlh),
					       sizeof(status));
				set_extack(io, nlh);
				return status < 0 ? status : err;
			default:
				if (!err && cb)
					err = cb(nlh, data);
				break;
			}
		}
	}
}

struct attrs {
	const struct nlattr **tb;
	unsigned int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	/* Types newer than our headers are skipped, not refused. */
	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

void nl_attrs_parse(const struct nlmsghdr *nlh, unsigned int offset,
		    const struct nlattr **tb, unsigned int max)
{
	struct attrs a = { tb, max };

	/* A malformed tail is dropped: what parsed before it is kept. */
	mnl_attr_parse(nlh, offset, attr_cb, &a);
}

void nl_attrs_parse_nested(const struct nlattr *nest,
			   const struct nlattr **tb, unsigned int max)
{
	struct attrs a = { tb, max };

	mnl_attr_parse_nested(nest, attr_cb, &a);
}
