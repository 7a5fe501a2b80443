/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink plumbing teredoctl and teredod share (libmnl): a socket
 * that asks for the kernel's error messages, building a request, one
 * request/reply exchange up to the ack or the end of a dump, and
 * attribute tables.  What the messages mean stays with each tool.
 * Functions that can fail return 0 or -errno.
 */
#ifndef _TEREDO_LIB_NL_H
#define _TEREDO_LIB_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/netlink.h>
#include <linux/types.h>

/*
 * The kernel sizes dump messages after the largest buffer we have read
 * with, up to 32 KiB; a smaller buffer makes recvmsg() truncate.
 */
#define NL_BUFSIZE	32768

struct mnl_socket;

/* Requests are a header and a few attributes. */
union nl_req {
	char buf[1024];
	struct nlmsghdr align;
};

/* What the exchanges of one tool keep from request to request. */
struct nl_io {
	unsigned int seq;		/* of the last request */
	char *buf;			/* NL_BUFSIZE bytes for the replies */
	/* the kernel's message for the last error, "" if it gave none */
	char extack[256];
	bool dump_intr;			/* the last dump saw NLM_F_DUMP_INTR */
};

/* Handed each reply that is not an ack, error or end of dump. */
typedef int (*nl_msg_cb)(const struct nlmsghdr *nlh, void *data);

/* Allocates ->buf; the rest starts at 0.  nl_io_free() frees it. */
int nl_io_init(struct nl_io *io);
void nl_io_free(struct nl_io *io);

/*
 * A close-on-exec socket of @bus bound to the multicast @groups, with
 * extended and capped acks where the kernel has them.  NULL and errno
 * on failure.
 */
struct mnl_socket *nl_sock_open(int bus, unsigned int groups);

/*
 * Starts a request of @type with NLM_F_REQUEST | @flags in @r, followed
 * by @hdr_len zeroed bytes of family header (mnl_nlmsg_get_payload()).
 */
struct nlmsghdr *nl_req_put(union nl_req *r, __u16 type, __u16 flags,
			    size_t hdr_len);

/*
 * Sends @req on @sk and hands every reply to @cb (if any) until the
 * ack, or the end of the dump when @req carries NLM_F_DUMP.  Returns
 * the kernel's error, else the first error of @cb; the exchange is
 * finished either way, so no stale reply waits for the next request.
 */
int nl_run(struct nl_io *io, struct mnl_socket *sk, struct nlmsghdr *req,
	   nl_msg_cb cb, void *data);

/*
 * Fills @tb[0..@max] (zeroed by the caller) with the attributes of @nlh
 * after @offset bytes of family header, or of @nest.  Types above @max
 * are skipped; a malformed tail is dropped, what came before it kept.
 */
void nl_attrs_parse(const struct nlmsghdr *nlh, unsigned int offset,
		    const struct nlattr **tb, unsigned int max);
void nl_attrs_parse_nested(const struct nlattr *nest,
			   const struct nlattr **tb, unsigned int max);

#endif /* _TEREDO_LIB_NL_H */
