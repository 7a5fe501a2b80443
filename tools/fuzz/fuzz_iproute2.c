// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the iproute2 plugin's parse_opt() (the words after
 * "ip link add NAME type teredo") and print_opt().  The few iproute2
 * functions the plugin calls come from here, written to iproute2 6.1's
 * semantics, and the resolver is a stub (link_teredo.c is compiled with
 * getaddrinfo renamed): no lookup leaves the process.
 *
 * Input: the words, separated by NUL bytes; or, after a first byte 0xff,
 * IFLA_INFO_DATA attributes as a kernel (maybe a newer one) sends them,
 * for print_opt() alone.  Invariants: a parse that
 * succeeds leaves a well-formed attribute list that fits the 1024 bytes
 * the plugin claims; printing it and parsing the printed words again
 * gives the same attributes (the text output pastes back into ip link).
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/if_link.h>
#include <linux/if_teredo.h>

#include "ip_plugin.h"
#include "fuzz.h"

extern struct link_util teredo_link_util;

#define MAXLEN		1024	/* what link_teredo.c passes as maxlen */
#define MAXWORDS	64

struct req {
	struct nlmsghdr n;
	char buf[MAXLEN + 256];
};

/* iproute2 6.1 lib/libnetlink.c, addattr_l(), same checks. */
int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen)
{
	int len = RTA_LENGTH(alen);
	struct rtattr *rta;

	FUZZ_ASSERT(maxlen <= MAXLEN);
	FUZZ_ASSERT(alen >= 0);
	if (NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(len) > (unsigned int)maxlen)
		return -1;
	rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = len;
	if (alen)
		memcpy(RTA_DATA(rta), data, alen);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(len);
	return 0;
}

int addattr8(struct nlmsghdr *n, int maxlen, int type, __u8 data)
{
	return addattr_l(n, maxlen, type, &data, sizeof(data));
}

int addattr16(struct nlmsghdr *n, int maxlen, int type, __u16 data)
{
	return addattr_l(n, maxlen, type, &data, sizeof(data));
}

int addattr32(struct nlmsghdr *n, int maxlen, int type, __u32 data)
{
	return addattr_l(n, maxlen, type, &data, sizeof(data));
}

/* What print_opt() prints, as words to parse again. */
static char printed[4096];
static size_t printed_len;

static int print_append(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(printed + printed_len, sizeof(printed) - printed_len,
		      fmt, ap);
	va_end(ap);
	FUZZ_ASSERT(n >= 0 && (size_t)n < sizeof(printed) - printed_len);
	printed_len += n;
	return n;
}

int print_color_string(enum ip_output_type t, enum ip_color_attr color,
		       const char *key, const char *fmt, const char *value)
{
	FUZZ_ASSERT(t == PRINT_ANY && color == COLOR_NONE && key && value);
	return print_append(fmt, value);
}

int print_color_uint(enum ip_output_type t, enum ip_color_attr color,
		     const char *key, const char *fmt, unsigned int value)
{
	FUZZ_ASSERT(t == PRINT_ANY && color == COLOR_NONE && key);
	return print_append(fmt, value);
}

/*
 * The resolver: names of letters, digits, dots and dashes resolve to
 * 192.0.2.<length>, anything else does not exist.
 */
int fuzz_getaddrinfo(const char *node, const char *service,
		     const struct addrinfo *hints, struct addrinfo **res)
{
	struct {
		struct addrinfo ai;
		struct sockaddr_in sin;
	} *r;
	size_t n = strlen(node);

	FUZZ_ASSERT(!service && hints && hints->ai_family == AF_INET);
	if (!n || strspn(node, "abcdefghijklmnopqrstuvwxyz0123456789.-") != n)
		return EAI_NONAME;
	r = calloc(1, sizeof(*r));
	if (!r)
		return EAI_MEMORY;
	r->sin.sin_family = AF_INET;
	r->sin.sin_addr.s_addr = htonl(0xc0000200 | (n & 0xff));
	r->ai.ai_family = AF_INET;
	r->ai.ai_addrlen = sizeof(r->sin);
	r->ai.ai_addr = (struct sockaddr *)&r->sin;
	*res = &r->ai;
	return 0;
}

void fuzz_freeaddrinfo(struct addrinfo *res)
{
	free(res);
}

const char *fuzz_gai_strerror(int err)
{
	return err == EAI_NONAME ? "Name or service not known" : "error";
}

/* Fills @tb from the attributes; each type at most once, well-formed. */
static void attrs(const struct nlmsghdr *n, struct rtattr **tb)
{
	int len = n->nlmsg_len - NLMSG_HDRLEN;
	struct rtattr *rta = NLMSG_DATA(n);

	memset(tb, 0, sizeof(*tb) * (IFLA_TEREDO_MAX + 1));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		FUZZ_ASSERT(rta->rta_type > 0 &&
			    rta->rta_type <= IFLA_TEREDO_MAX);
		FUZZ_ASSERT(!tb[rta->rta_type]);
		tb[rta->rta_type] = rta;
	}
	FUZZ_ASSERT(len == 0);
}

static int parse(int argc, char **argv, struct req *r)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_HDRLEN;
	return teredo_link_util.parse_opt(&teredo_link_util, argc, argv, &r->n);
}

/* What `ip -d link show` hands print_opt: iproute2's parse_rtattr(). */
static void print_raw(const uint8_t *data, size_t size)
{
	struct rtattr *tb[IFLA_TEREDO_MAX + 1] = { NULL }, *rta;
	int len = (int)size;
	void *buf;

	/* Attributes start 4-byte aligned, as in a netlink message. */
	buf = malloc(RTA_ALIGN(size) ? RTA_ALIGN(size) : 1);
	if (!buf)
		return;
	memset(buf, 0, RTA_ALIGN(size));
	memcpy(buf, data, size);
	for (rta = buf; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type <= IFLA_TEREDO_MAX && !tb[rta->rta_type])
			tb[rta->rta_type] = rta;
	printed_len = 0;
	teredo_link_util.print_opt(&teredo_link_util, stdout, tb);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtattr *tb[IFLA_TEREDO_MAX + 1], *tb2[IFLA_TEREDO_MAX + 1];
	static struct req r, r2;
	char *argv[MAXWORDS + 1], *argv2[MAXWORDS + 1], *buf, *w;
	int argc, argc2, i;

	if (size > 4096)
		return 0;
	if (size && data[0] == 0xff) {
		print_raw(data + 1, size - 1);
		return 0;
	}
	buf = malloc(size + 1);
	if (!buf)
		return 0;
	argc = fuzz_words(data, size, buf, argv, MAXWORDS);
	if (parse(argc, argv, &r)) {
		free(buf);
		return 0;
	}
	attrs(&r.n, tb);

	printed_len = 0;
	printed[0] = '\0';
	teredo_link_util.print_opt(&teredo_link_util, stdout, tb);
	argc2 = 0;
	for (w = strtok(printed, " "); w && argc2 < MAXWORDS;
	     w = strtok(NULL, " "))
		argv2[argc2++] = w;
	argv2[argc2] = NULL;
	FUZZ_ASSERT(!parse(argc2, argv2, &r2));
	attrs(&r2.n, tb2);
	for (i = 1; i <= IFLA_TEREDO_MAX; i++) {
		FUZZ_ASSERT(!tb[i] == !tb2[i]);
		if (tb[i])
			FUZZ_ASSERT(tb[i]->rta_len == tb2[i]->rta_len &&
				    !memcmp(RTA_DATA(tb[i]), RTA_DATA(tb2[i]),
					    RTA_PAYLOAD(tb[i])));
	}
	free(buf);
	return 0;
}
