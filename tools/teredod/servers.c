// SPDX-License-Identifier: GPL-2.0
/*
 * The list of servers (see servers.h).
 */
#include <string.h>
#include <arpa/inet.h>

#include "servers.h"

int servers_parse(struct server_names *s, const char *list,
		  const char **why)
{
	static const char sep[] = " \t\n,";
	unsigned int before = s->n;
	size_t len;

	for (;;) {
		list += strspn(list, sep);
		len = strcspn(list, sep);
		if (!len)
			break;
		if (len > SERVERS_NAME_MAX) {
			*why = "a server name longer than 253 characters";
			return -1;
		}
		if (s->n == SERVERS_MAX_NAMES) {
			*why = "more than 8 servers";
			return -1;
		}
		memcpy(s->name[s->n], list, len);
		s->name[s->n][len] = '\0';
		s->n++;
		list += len;
	}
	if (s->n == before) {
		*why = "no server in the list";
		return -1;
	}
	return 0;
}

bool servers_add(struct qual_server *list, unsigned int *n, __be32 addr,
		 __be32 addr2)
{
	unsigned int i;

	if (*n >= QUAL_MAX_SERVERS)
		return false;
	for (i = 0; i < *n; i++)
		if (list[i].addr == addr)
			return false;
	list[*n].addr = addr;
	list[*n].addr2 = addr2;
	(*n)++;
	return true;
}

__be32 servers_secondary(__be32 addr, __be32 own, __be32 own2)
{
	if (addr == own && own2)
		return own2;
	return htonl(ntohl(addr) + 1);
}
