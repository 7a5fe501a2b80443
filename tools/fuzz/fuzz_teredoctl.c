// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for teredoctl's command line: teredoctl.c's own main()
 * (compiled as teredoctl_main) with the netlink layer replaced by stubs
 * that answer from the input, so every option, command and argument path
 * runs down to the output formatting, without a socket.
 *
 * Input: byte 0 chooses how the stubs answer (bits 0-1: which call fails,
 * bits 2-3: how many links/peers, bit 4: no genl family), the rest is
 * argv (argv[0] included), one word per NUL-separated field.  The stubs
 * fill the structs they return from the input bytes, so the formatting
 * sees arbitrary counters, modes and ages too.
 */
#include <errno.h>
#include <string.h>
#include <stdbool.h>

#include "format.h"
#include "nl.h"
#include "fuzz.h"

int teredoctl_main(int argc, char **argv);

#define MAXWORDS	32

static const uint8_t *fill_src;
static size_t fill_len;
static unsigned int mode;

/* Arbitrary bytes from the input, cycled. */
static void fill(void *p, size_t n)
{
	uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = fill_len ? fill_src[i % fill_len] ^ (uint8_t)i : 0;
}

static int fail_at(unsigned int step)
{
	return (mode & 3) == step ? -EINVAL : 0;
}

int nl_open(struct nl *nl)
{
	memset(nl, 0, sizeof(*nl));
	return fail_at(1);
}

void nl_close(struct nl *nl)
{
	(void)nl;
}

int nl_links(struct nl *nl, const char *name, struct link_info **out)
{
	unsigned int i, n = (mode >> 2) & 3;
	struct link_info *li;

	if (fail_at(2)) {
		strcpy(nl->io.extack, "stub: no links for you");
		return -EPERM;
	}
	if (name && n > 1)
		n = 1;
	/* As nl.c: nothing allocated for no links. */
	*out = NULL;
	if (!n)
		return 0;
	li = calloc(n, sizeof(*li));
	if (!li)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		fill(&li[i], sizeof(li[i]));
		li[i].ifindex = i + 1;
		snprintf(li[i].ifname, sizeof(li[i].ifname), "%s",
			 name ? name : "tr0");
	}
	nl->io.dump_intr = mode & 0x20;
	*out = li;
	return n;
}

int nl_family(struct nl *nl)
{
	if (mode & 0x10)
		return -ENOENT;
	nl->family = 42;
	return 0;
}

int nl_dev_get(struct nl *nl, unsigned int ifindex, struct dev_info *di)
{
	(void)nl;
	if (fail_at(3))
		return -ENODEV;
	fill(di, sizeof(*di));
	di->ifindex = ifindex;
	snprintf(di->ifname, sizeof(di->ifname), "tr%u", ifindex);
	return 0;
}

int nl_peers(struct nl *nl, unsigned int ifindex, struct peer_info **out)
{
	unsigned int i, n = (mode >> 2) & 3;
	struct peer_info *pi;

	if (nl_family(nl))
		return -ENOENT;
	if (fail_at(3))
		return -ENODEV;
	*out = NULL;
	if (!n)
		return 0;
	pi = calloc(n, sizeof(*pi));
	if (!pi)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		fill(&pi[i], sizeof(pi[i]));
		pi[i].ifindex = ifindex;
	}
	*out = pi;
	return n;
}

int nl_peer_del(struct nl *nl, unsigned int ifindex,
		const struct in6_addr *addr)
{
	(void)ifindex;
	(void)addr;
	if (nl_family(nl))
		return -ENOENT;
	return fail_at(3) ? -ENOENT : 0;
}

/* A few fuzzed events, then the end of the stream (an error). */
int nl_monitor(struct nl *nl, int (*cb)(const struct event_info *ev,
					void *data), void *data)
{
	struct event_info ev;
	int i, ret;

	if (nl_family(nl))
		return -ENOENT;
	for (i = 0; i < 3; i++) {
		fill(&ev, sizeof(ev));
		ev.ifname[IFNAMSIZ - 1] = '\0';
		ret = cb(&ev, data);
		if (ret)
			return ret;
	}
	return -ECONNRESET;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAXWORDS + 1], *buf;
	int argc, rc;

	if (size < 1 || size > 4096)
		return 0;
	mode = data[0];
	fill_src = data + 1;
	fill_len = size - 1;
	buf = malloc(size);
	if (!buf)
		return 0;
	argc = fuzz_words(data + 1, size - 1, buf, argv, MAXWORDS);
	/* The kernel always passes argv[0]. */
	if (argc == 0) {
		free(buf);
		return 0;
	}
	rc = teredoctl_main(argc, argv);
	FUZZ_ASSERT(rc >= 0 && rc <= 2);
	free(buf);
	return 0;
}
