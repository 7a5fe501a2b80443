// SPDX-License-Identifier: GPL-2.0
/*
 * teredoctl - look at and manage teredo devices.
 *
 *   teredoctl [-j] show [DEV]        configuration, qualification, counters
 *   teredoctl [-j] peers DEV         the peer table
 *   teredoctl peers flush DEV        forget every peer
 *   teredoctl peer del DEV ADDR      forget one peer
 *   teredoctl [-j] monitor [DEV]     print events as they happen
 *
 * Configuration and link state come from rtnetlink, so `show` still works
 * with a module that has no generic netlink family; counters and peers
 * come from the "teredo" family.  Exit status: 0 success, 1 failure (also
 * a partial `show`), 2 bad usage.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "format.h"
#include "json.h"
#include "nl.h"

#ifndef TEREDOCTL_VERSION
#define TEREDOCTL_VERSION "0.1"
#endif

enum { EXIT_USAGE = 2 };

struct ctx {
	struct nl nl;
	bool json;
};

static void usage(FILE *f)
{
	fputs("Usage: teredoctl [-j] show [DEV]\n"
	      "       teredoctl [-j] peers DEV\n"
	      "       teredoctl peers flush DEV\n"
	      "       teredoctl peer del DEV ADDR\n"
	      "       teredoctl [-j] monitor [DEV]\n"
	      "       teredoctl help | -h | --help\n"
	      "       teredoctl --version\n"
	      "Options:\n"
	      "  -j, --json   JSON output: an object for `show DEV`, an array\n"
	      "               for `show` and `peers`\n"
	      "Where: DEV is a teredo device, ADDR the IPv6 address of a peer\n",
	      f);
}

static int bad_usage(void)
{
	usage(stderr);
	return EXIT_USAGE;
}

/* The kernel's extack says more than errno, when there is one. */
static void nl_error(const struct nl *nl, const char *what, int err)
{
	fprintf(stderr, "teredoctl: %s: %s\n", what,
		nl->io.extack[0] ? nl->io.extack : strerror(-err));
}

static void family_error(const struct nl *nl, int err)
{
	if (err == -ENOENT)
		fprintf(stderr, "teredoctl: generic netlink family \"%s\" not found: the teredo module is not loaded or too old to have it\n",
			TEREDO_GENL_NAME);
	else
		nl_error(nl, "generic netlink family \"" TEREDO_GENL_NAME "\"",
			 err);
}

static int open_nl(struct ctx *c)
{
	int err = nl_open(&c->nl);

	if (err < 0)
		fprintf(stderr, "teredoctl: netlink: %s\n", strerror(-err));
	return err;
}

/* Finds @name among the teredo links; prints why not and returns 1. */
static int find_link(struct ctx *c, const char *name, struct link_info *li)
{
	struct link_info *links;
	int n;

	n = nl_links(&c->nl, name, &links);
	if (n < 0) {
		nl_error(&c->nl, name, n);
		return 1;
	}
	if (!n) {
		fprintf(stderr, "teredoctl: %s: no such teredo device\n", name);
		return 1;
	}
	*li = links[0];
	free(links);
	return 0;
}

static void warn_dump_intr(const struct nl *nl, const char *what)
{
	if (nl->io.dump_intr)
		fprintf(stderr, "teredoctl: warning: %s changed during the dump, the output may be inconsistent\n",
			what);
}

static int cmd_show(struct ctx *c, int argc, char **argv)
{
	const char *name = argc ? argv[0] : NULL;
	struct link_info *links;
	struct dev_info di;
	struct json j;
	int n, i, err, ret = 0;
	bool genl;

	if (argc > 1)
		return bad_usage();
	if (open_nl(c))
		return 1;
	n = nl_links(&c->nl, name, &links);
	if (n < 0) {
		nl_error(&c->nl, name ? name : "links", n);
		return 1;
	}
	if (!n && name) {
		fprintf(stderr, "teredoctl: %s: no such teredo device\n", name);
		return 1;
	}
	warn_dump_intr(&c->nl, "the link list");
	if (!n && !c->json)
		fprintf(stderr, "teredoctl: no teredo devices\n");

	/*
	 * Without the genl family there are no counters, but the rtnl part
	 * is still worth seeing; the exit status says it is incomplete.
	 */
	genl = true;
	if (n) {
		err = nl_family(&c->nl);
		if (err < 0) {
			family_error(&c->nl, err);
			genl = false;
			ret = 1;
		}
	}

	json_init(&j, stdout);
	if (c->json && !name)
		json_arr_open(&j, NULL);
	for (i = 0; i < n; i++) {
		const struct dev_info *dip = NULL;

		if (genl) {
			err = nl_dev_get(&c->nl, links[i].ifindex, &di);
			if (err < 0) {
				char what[IFNAMSIZ + 16];

				snprintf(what, sizeof(what), "%s: counters",
					 links[i].ifname);
				nl_error(&c->nl, what, err);
				ret = 1;
			} else {
				dip = &di;
			}
		}
		if (c->json) {
			json_link(&j, &links[i], dip);
		} else {
			if (i)
				putchar('\n');
			print_link(stdout, &links[i], dip);
		}
	}
	if (c->json && !name)
		json_arr_close(&j);
	if (c->json)
		json_end(&j);
	free(links);
	return ret;
}

static int list_peers(struct ctx *c, const char *name)
{
	struct peer_info *peers;
	struct link_info li;
	struct json j;
	int n, i;

	if (find_link(c, name, &li))
		return 1;
	n = nl_peers(&c->nl, li.ifindex, &peers);
	if (n < 0) {
		if (!c->nl.family)
			family_error(&c->nl, n);
		else
			nl_error(&c->nl, name, n);
		return 1;
	}
	warn_dump_intr(&c->nl, "the peer table");

	if (c->json) {
		json_init(&j, stdout);
		json_arr_open(&j, NULL);
		for (i = 0; i < n; i++)
			json_peer(&j, &peers[i]);
		json_arr_close(&j);
		json_end(&j);
	} else {
		print_peer_header(stdout);
		for (i = 0; i < n; i++)
			print_peer(stdout, &peers[i]);
	}
	free(peers);
	return 0;
}

/* @addr NULL: flush. */
static int del_peers(struct ctx *c, const char *name, const char *addr)
{
	struct in6_addr a;
	struct link_info li;
	char what[IFNAMSIZ + 64];
	int err;

	/* Bad input is a usage error, found before touching the kernel. */
	if (addr && inet_pton(AF_INET6, addr, &a) != 1) {
		fprintf(stderr, "teredoctl: %s: not an IPv6 address\n", addr);
		return EXIT_USAGE;
	}
	if (open_nl(c) || find_link(c, name, &li))
		return 1;
	err = nl_peer_del(&c->nl, li.ifindex, addr ? &a : NULL);
	if (err < 0) {
		if (!c->nl.family) {
			family_error(&c->nl, err);
		} else {
			snprintf(what, sizeof(what), "%s: %s%s", name,
				 addr ? "peer del " : "peers flush",
				 addr ? addr : "");
			nl_error(&c->nl, what, err);
		}
		return 1;
	}
	return 0;
}

static int cmd_peers(struct ctx *c, int argc, char **argv)
{
	/* "peers flush" alone lists a device named flush. */
	if (argc == 2 && !strcmp(argv[0], "flush"))
		return del_peers(c, argv[1], NULL);
	if (argc != 1)
		return bad_usage();
	if (open_nl(c))
		return 1;
	return list_peers(c, argv[0]);
}

static int cmd_peer(struct ctx *c, int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[0], "del"))
		return bad_usage();
	return del_peers(c, argv[1], argv[2]);
}

struct monitor {
	const char *name;		/* only this device, or NULL */
	bool json;
};

static int monitor_cb(const struct event_info *ev, void *data)
{
	struct monitor *m = data;
	struct json j;

	if (m->name && strcmp(m->name, ev->ifname))
		return 0;
	if (m->json) {
		json_init(&j, stdout);
		json_event(&j, ev);
		json_end(&j);
	} else {
		print_event(stdout, ev);
	}
	/* Line by line, for whoever reads a pipe. */
	if (fflush(stdout))
		return -errno;
	return 0;
}

static int cmd_monitor(struct ctx *c, int argc, char **argv)
{
	struct monitor m = { .name = argc ? argv[0] : NULL, .json = c->json };
	int err;

	if (argc > 1)
		return bad_usage();
	if (open_nl(c))
		return 1;
	err = nl_monitor(&c->nl, monitor_cb, &m);
	if (err == -EOPNOTSUPP) {
		fprintf(stderr, "teredoctl: monitor: the teredo module has no \"%s\" group (too old)\n",
			TEREDO_GENL_MCGRP_EVENTS);
	} else if (err < 0 && !c->nl.family) {
		family_error(&c->nl, err);
	} else if (err < 0) {
		fprintf(stderr, "teredoctl: monitor: %s\n", strerror(-err));
	}
	return 1;
}

static int cmd_help(struct ctx *c, int argc, char **argv)
{
	(void)c;
	(void)argv;
	if (argc)
		return bad_usage();
	usage(stdout);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct ctx *c, int argc, char **argv);
} cmds[] = {
	{ "show",	cmd_show },
	{ "peers",	cmd_peers },
	{ "peer",	cmd_peer },
	{ "monitor",	cmd_monitor },
	{ "help",	cmd_help },
};

static int run(int argc, char **argv)
{
	struct ctx c = { .json = false };
	size_t i;
	int ret;

	for (argc--, argv++; argc && argv[0][0] == '-'; argc--, argv++) {
		if (!strcmp(argv[0], "-j") || !strcmp(argv[0], "--json")) {
			c.json = true;
			continue;
		}
		if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[0], "-V") || !strcmp(argv[0], "--version")) {
			printf("teredoctl %s\n", TEREDOCTL_VERSION);
			return 0;
		}
		fprintf(stderr, "teredoctl: unknown option \"%s\"\n", argv[0]);
		return bad_usage();
	}
	if (!argc)
		return bad_usage();

	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (strcmp(argv[0], cmds[i].name))
			continue;
		ret = cmds[i].fn(&c, argc - 1, argv + 1);
		nl_close(&c.nl);
		return ret;
	}
	fprintf(stderr, "teredoctl: unknown command \"%s\"\n", argv[0]);
	return bad_usage();
}

int main(int argc, char **argv)
{
	int ret = run(argc, argv);

	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "teredoctl: write error: %s\n",
			strerror(errno));
		return 1;
	}
	return ret;
}
