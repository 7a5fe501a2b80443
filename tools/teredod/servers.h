/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The servers a client may use (teredod --server, SERVER= in
 * teredo.conf(5)): names or IPv4 addresses, tried in the order given and,
 * for a name, in the order of its A records; resolved again at the start
 * of each qualification round (main.c), not once.  Pure: the unit test
 * links it.
 */
#ifndef _TEREDOD_SERVERS_H
#define _TEREDOD_SERVERS_H

#include <stdbool.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "qualify.h"

enum {
	SERVERS_MAX_NAMES = 8,
	SERVERS_NAME_MAX = 253,		/* a DNS name, RFC 1035 */
};

struct server_names {
	char name[SERVERS_MAX_NAMES][SERVERS_NAME_MAX + 1];
	unsigned int n;
};

/*
 * Appends the names of @list (separated by spaces, tabs or commas) to @s.
 * Returns 0, or -1 with *@why set: an empty list, a name too long, too
 * many names.
 */
int servers_parse(struct server_names *s, const char *list,
		  const char **why);

/*
 * Appends @addr (secondary @addr2) to @list of *@n entries unless it is
 * there already or the list is full (QUAL_MAX_SERVERS).  Returns true
 * when it was added.
 */
bool servers_add(struct qual_server *list, unsigned int *n, __be32 addr,
		 __be32 addr2);

/* The secondary address of a server: its address + 1 (RFC 4380 §5.2.1,
 * as Miredo), unless it is @own, the device's server, whose secondary
 * address is @own2. */
__be32 servers_secondary(__be32 addr, __be32 own, __be32 own2);

#endif /* _TEREDOD_SERVERS_H */
