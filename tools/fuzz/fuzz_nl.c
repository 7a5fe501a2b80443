// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for teredoctl's netlink reply parsers (nl.c:
 * nl_parse_link, nl_parse_dev, nl_parse_peer) and the text and JSON
 * printers behind them: what the kernel (or a buggy or newer module)
 * sends back, byte for byte.
 *
 * Input: byte 0 chooses the parser, the rest is one netlink message; its
 * nlmsg_len is set to the bytes there are, as libmnl's receive loop
 * guarantees before it calls a parser.
 */
#include <errno.h>
#include <string.h>

#include <linux/netlink.h>

#include "format.h"
#include "json.h"
#include "nl.h"
#include "fuzz.h"

static FILE *sink(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	FUZZ_ASSERT(f);
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *nlh;
	struct link_info li;
	struct dev_info di;
	struct peer_info pi;
	struct json j;
	int rc;

	/* libmnl hands a parser at least a whole header. */
	if (size < 1 + NLMSG_HDRLEN || size > 65536)
		return 0;
	/*
	 * Sized for ASan up to the 4-byte alignment: libmnl finds the end of
	 * the attributes at NLMSG_ALIGN(nlmsg_len), and the kernel pads
	 * every message to it in the receive buffer.
	 */
	nlh = calloc(1, NLMSG_ALIGN(size - 1));
	if (!nlh)
		return 0;
	memcpy(nlh, data + 1, size - 1);
	nlh->nlmsg_len = size - 1;

	json_init(&j, sink());
	switch (data[0] % 3) {
	case 0:
		memset(&li, 0xa5, sizeof(li));
		rc = nl_parse_link(nlh, &li);
		FUZZ_ASSERT(rc == 1 || rc == 0 || rc == -EINVAL);
		if (rc == 1) {
			FUZZ_ASSERT(memchr(li.ifname, 0, sizeof(li.ifname)));
			print_link(sink(), &li, NULL);
			json_link(&j, &li, NULL);
		}
		break;
	case 1:
		memset(&di, 0xa5, sizeof(di));
		rc = nl_parse_dev(nlh, &di);
		FUZZ_ASSERT(rc == 0 || rc == -EINVAL);
		if (!rc) {
			memset(&li, 0, sizeof(li));
			strcpy(li.ifname, "tr0");
			FUZZ_ASSERT(memchr(di.ifname, 0, sizeof(di.ifname)));
			print_link(sink(), &li, &di);
			json_link(&j, &li, &di);
		}
		break;
	case 2:
		memset(&pi, 0xa5, sizeof(pi));
		rc = nl_parse_peer(nlh, &pi);
		FUZZ_ASSERT(rc == 0 || rc == -EINVAL);
		if (!rc) {
			print_peer(sink(), &pi);
			json_peer(&j, &pi);
		}
		break;
	}
	json_end(&j);
	free(nlh);
	return 0;
}
