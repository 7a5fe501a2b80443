// SPDX-License-Identifier: GPL-2.0
/*
 * Port mapping, the pure part: --port-mapping / PORT_MAPPING= words, the
 * renewal timing, the gateway from an IGD's control URL, the names.
 */
#include <string.h>
#include <arpa/inet.h>

#include "pmconf.h"
#include "test_lib.h"
#include "unit.h"

UNIT_TEST(pm_mode_words)
{
	enum pm_mode m = PM_MODE_AUTO;

	CHECK(!pm_mode_parse("off", &m) && m == PM_MODE_OFF);
	CHECK(!pm_mode_parse("auto", &m) && m == PM_MODE_AUTO);
	CHECK(!pm_mode_parse("upnp", &m) && m == PM_MODE_UPNP);
	CHECK(!pm_mode_parse("natpmp", &m) && m == PM_MODE_NATPMP);
	CHECK(!pm_mode_parse("no", &m) && m == PM_MODE_OFF);
	CHECK(!pm_mode_parse("none", &m) && m == PM_MODE_OFF);
	m = PM_MODE_UPNP;
	CHECK(pm_mode_parse("", &m) && m == PM_MODE_UPNP);
	CHECK(pm_mode_parse("UPnP", &m) && m == PM_MODE_UPNP);
	CHECK(!pm_mode_parse("pcp", &m) && m == PM_MODE_PCP);
	m = PM_MODE_UPNP;
	CHECK(pm_mode_parse("PCP", &m) && m == PM_MODE_UPNP);
	CHECK(pm_mode_parse("auto ", &m) && m == PM_MODE_UPNP);
	CHECK(pm_mode_parse(NULL, &m) && m == PM_MODE_UPNP);
	CHECK(!strcmp(pm_mode_name(PM_MODE_NATPMP), "natpmp"));
	CHECK(!strcmp(pm_mode_name(PM_MODE_PCP), "pcp"));
	CHECK(!strcmp(pm_mode_name(PM_MODE_OFF), "off"));
	CHECK(!strcmp(pm_mode_name(99), "?"));
}

UNIT_TEST(pm_renewal_timing)
{
	/* Half the lifetime granted: NAT-PMP's 7200 s at 3600 s, UPnP's
	 * 3600 s lease at 1800 s. */
	CHECK_EQ(pm_renew_ms(PM_NATPMP_LIFETIME), 3600 * 1000ULL);
	CHECK_EQ(pm_renew_ms(PM_UPNP_LEASE), 1800 * 1000ULL);
	/* A router that grants less: still half, but not under 10 s. */
	CHECK_EQ(pm_renew_ms(120), 60 * 1000ULL);
	CHECK_EQ(pm_renew_ms(21), 10500ULL);
	CHECK_EQ(pm_renew_ms(20), 10 * 1000ULL);
	CHECK_EQ(pm_renew_ms(1), PM_RENEW_MIN);
	/* Permanent (UPnP lease 0): added again every 30 min. */
	CHECK_EQ(pm_renew_ms(0), 1800 * 1000ULL);
	/* No overflow at the top. */
	CHECK_EQ(pm_renew_ms(0xffffffffU), 0xffffffffULL * 500);
}

UNIT_TEST(pm_gateway_from_control_url)
{
	__be32 a = 0;

	CHECK(pm_url_host("http://10.0.0.1:43285/ctl/IPConn", &a));
	CHECK_EQ(a, ip4("10.0.0.1"));
	CHECK(pm_url_host("http://192.168.1.254/upnp/control", &a));
	CHECK_EQ(a, ip4("192.168.1.254"));
	a = 7;
	CHECK(!pm_url_host("https://10.0.0.1/x", &a));
	CHECK(!pm_url_host("http://router.lan:5000/x", &a));
	CHECK(!pm_url_host("http://:80/x", &a));
	CHECK(!pm_url_host("http://1.2.3.4.5.6.7.8.9.10.11.12/x", &a));
	CHECK(!pm_url_host(NULL, &a));
	CHECK_EQ(a, 7);
}

UNIT_TEST(pm_names_in_windows_words)
{
	char b[64];

	CHECK(!strcmp(pm_describe(b, sizeof(b), PM_UPNP, ip4("198.18.0.1")),
		      "UPnP mapping via 198.18.0.1"));
	CHECK(!strcmp(pm_describe(b, sizeof(b), PM_NATPMP, ip4("10.0.0.1")),
		      "NAT-PMP mapping via 10.0.0.1"));
	CHECK(!strcmp(pm_describe(b, sizeof(b), PM_NONE, 0),
		      "no port mapping"));
	CHECK(!strcmp(pm_method_name(PM_UPNP), "UPnP"));
	CHECK(!strcmp(pm_method_name(PM_NATPMP), "NAT-PMP"));
	CHECK(!strcmp(pm_method_name(PM_PCP), "PCP"));
}
