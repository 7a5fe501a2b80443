// SPDX-License-Identifier: GPL-2.0
/* Port mapping: the pure part (see pmconf.h). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "pmconf.h"

static const char *const mode_names[] = {
	[PM_MODE_OFF]	 = "off",
	[PM_MODE_AUTO]	 = "auto",
	[PM_MODE_UPNP]	 = "upnp",
	[PM_MODE_NATPMP] = "natpmp",
	[PM_MODE_PCP]	 = "pcp",
};

int pm_mode_parse(const char *s, enum pm_mode *mode)
{
	unsigned int i;

	if (!s)
		return -1;
	if (!strcmp(s, "no") || !strcmp(s, "none")) {
		*mode = PM_MODE_OFF;
		return 0;
	}
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (!strcmp(s, mode_names[i])) {
			*mode = i;
			return 0;
		}
	}
	return -1;
}

const char *pm_mode_name(enum pm_mode mode)
{
	return (unsigned int)mode <= PM_MODE_PCP ? mode_names[mode] : "?";
}

const char *pm_method_name(enum pm_method m)
{
	switch (m) {
	case PM_UPNP:
		return "UPnP";
	case PM_NATPMP:
		return "NAT-PMP";
	case PM_PCP:
		return "PCP";
	case PM_NONE:
		break;
	}
	return "none";
}

uint64_t pm_renew_ms(uint32_t lifetime)
{
	uint64_t ms = (uint64_t)lifetime * 1000 / 2;

	if (!lifetime)
		return PM_PERMANENT_RECHECK;
	return ms < PM_RENEW_MIN ? PM_RENEW_MIN : ms;
}

bool pm_url_host(const char *url, __be32 *addr)
{
	char host[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	if (!url || strncmp(url, "http://", 7))
		return false;
	url += 7;
	n = strcspn(url, ":/");
	if (!n || n >= sizeof(host))
		return false;
	memcpy(host, url, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &a) != 1)
		return false;
	*addr = a.s_addr;
	return true;
}

const char *pm_describe(char *buf, size_t size, enum pm_method m,
			__be32 gateway)
{
	char gw[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &gateway, gw, sizeof(gw));
	if (m == PM_NONE)
		snprintf(buf, size, "no port mapping");
	else
		snprintf(buf, size, "%s mapping via %s", pm_method_name(m), gw);
	return buf;
}
