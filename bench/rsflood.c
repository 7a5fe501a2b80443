// SPDX-License-Identifier: GPL-2.0
/*
 * rsflood: Teredo Router Solicitations (protocol.md §2.8, 61-byte UDP
 * payload with a nonce) to a server as fast as one thread can send them,
 * each from another source address and port, for the server RS/s bench.
 *
 *   rsflood SERVER FIRST_SOURCE NUM_SOURCES SECONDS
 *
 * Sources are FIRST_SOURCE .. FIRST_SOURCE + NUM_SOURCES - 1 (raw socket,
 * spoofed), ports 1024..65023.  Prints "sent N seconds S".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	64
#define PAYLOAD	61

/* Auth header (nonce filled per packet), then the IPv6 RS of Miredo. */
static const uint8_t rs[PAYLOAD] = {
	0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff,
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x85, 0x00, 0x7d, 0x37, 0x00, 0x00, 0x00, 0x00,
};

struct pkt {
	struct iphdr ip;
	struct udphdr udp;
	uint8_t payload[PAYLOAD];
} __attribute__((packed));

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct pkt pkts[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in to = { .sin_family = AF_INET };
	uint32_t first, nsrc, i;
	uint64_t sent = 0, n = 0;
	double start, end;
	int fd;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[2], &first) != 1) {
		fprintf(stderr, "usage: %s SERVER FIRST_SOURCE NUM_SOURCES SECONDS\n",
			argv[0]);
		return 2;
	}
	first = ntohl(first);
	nsrc = strtoul(argv[3], NULL, 0);
	if (!nsrc)
		nsrc = 1;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		struct pkt *p = &pkts[i];

		p->ip.version = 4;
		p->ip.ihl = 5;
		p->ip.tot_len = htons(sizeof(*p));
		p->ip.ttl = 64;
		p->ip.protocol = IPPROTO_UDP;
		p->ip.daddr = to.sin_addr.s_addr;
		p->udp.dest = htons(3544);
		p->udp.len = htons(sizeof(p->udp) + PAYLOAD);
		memcpy(p->payload, rs, PAYLOAD);
		iov[i].iov_base = p;
		iov[i].iov_len = sizeof(*p);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	start = now();
	end = start + strtod(argv[4], NULL);
	while (now() < end) {
		int r;

		for (i = 0; i < BATCH; i++, n++) {
			struct pkt *p = &pkts[i];

			/* Kernel fills in the IPv4 checksum; UDP's stays 0. */
			p->ip.saddr = htonl(first + n % nsrc);
			p->udp.source = htons(1024 + (n * 7919) % 64000);
			memcpy(p->payload + 4, &n, sizeof(n));
		}
		r = sendmmsg(fd, msgs, BATCH, 0);
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("sendmmsg");
			return 1;
		}
		if (r > 0)
			sent += r;
	}
	printf("sent %llu seconds %.3f\n", (unsigned long long)sent,
	       now() - start);
	return 0;
}
