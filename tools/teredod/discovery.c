// SPDX-License-Identifier: GPL-2.0
/* Local client discovery: the pure part (see discovery.h). */
#include <string.h>

#include "discovery.h"
#include "proto.h"

int disc_parse(const char *s, bool *on)
{
	if (!s)
		return -1;
	if (!strcmp(s, "on") || !strcmp(s, "yes")) {
		*on = true;
		return 0;
	}
	if (!strcmp(s, "off") || !strcmp(s, "no")) {
		*on = false;
		return 0;
	}
	return -1;
}

uint64_t disc_interval_ms(uint32_t random)
{
	return DISC_MIN_MS + random % (DISC_SPAN_MS + 1);
}

void disc_build(uint8_t buf[40], const struct in6_addr *src)
{
	teredo_discovery_build(buf, src);
}
