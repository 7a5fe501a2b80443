// SPDX-License-Identifier: GPL-2.0
/*
 * rsflood: Teredo Router Solicitations (protocol.md §2.8, 61-byte UDP
 * payload with a nonce) to a server, each from another source address
 * and port, for the server RS/s bench (bench/server.sh).
 *
 *   rsflood [-r PPS] IFNAME DST_MAC SERVER FIRST_SOURCE NUM_SOURCES SECONDS
 *
 * Sources are FIRST_SOURCE .. FIRST_SOURCE + NUM_SOURCES - 1 (spoofed),
 * ports 1024..65023.  Without -r as fast as the host lets one thread
 * send; with -r paced at PPS.  Prints "sent N seconds S": N frames taken
 * by the kernel in S seconds.  Exits once the receiver has freed all of
 * them (or after 5 s), so that the work they cause ends with the run.
 *
 * The generator has to outrun a kernel server on a cpu of its own, so it
 * costs the kernel as little as a socket can: a PACKET_TX_RING of
 * Ethernet frames built in place (IPv4 checksum computed here, UDP's 0),
 * handed over many at a time by one send(), past the qdisc
 * (PACKET_QDISC_BYPASS).  Each frame carries a virtio-net header whose
 * hdr_len covers the whole frame: the kernel then copies it into the
 * skb's linear area, as a NIC driver would deliver it, instead of
 * attaching the ring's pages (which veth would copy again).  The socket
 * has no protocol, so it receives nothing: the RAs cost it nothing.
 *
 * A frame the device refuses (veth: the receiving cpu's backlog is full)
 * goes back to "send request" and is sent again by the next send(): the
 * generator waits for the receiver rather than count lost frames.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD		61
#define FRAME_SIZE	256
#define BLOCK_SIZE	4096
#define FRAMES		8192		/* more than the backlog holds */
#define BATCH		256		/* frames per send() */

/* Auth header (nonce filled per packet), then the IPv6 RS of Miredo. */
static const uint8_t rs[PAYLOAD] = {
	0x00, 0x01, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0xff,
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x85, 0x00, 0x7d, 0x37, 0x00, 0x00, 0x00, 0x00,
};

struct pkt {
	struct virtio_net_hdr vnet;
	struct ether_header eth;
	struct iphdr ip;
	struct udphdr udp;
	uint8_t payload[PAYLOAD];
} __attribute__((packed));

#define WIRE_LEN	(sizeof(struct pkt) - sizeof(struct virtio_net_hdr))

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint16_t ip_csum(const void *hdr)
{
	const uint16_t *p = hdr;
	uint32_t sum = 0;
	unsigned int i;

	for (i = 0; i < sizeof(struct iphdr) / 2; i++)
		sum += p[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static int parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		      &mac[2], &mac[3], &mac[4], &mac[5]) == ETH_ALEN ? 0 : -1;
}

static int setup(const char *ifname, uint8_t *src_mac, uint8_t **ring)
{
	struct tpacket_req req = {
		.tp_block_size = BLOCK_SIZE,
		.tp_block_nr = FRAMES / (BLOCK_SIZE / FRAME_SIZE),
		.tp_frame_size = FRAME_SIZE,
		.tp_frame_nr = FRAMES,
	};
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	int one = 1, v2 = TPACKET_V2, sndbuf = 64 << 20;
	struct ifreq ifr = { 0 };
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("socket");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror(ifname);
		return -1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	ll.sll_ifindex = if_nametoindex(ifname);
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &v2, sizeof(v2)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req))) {
		perror("setsockopt");
		return -1;
	}
	/* Protocol 0: bound to the device for sending, receives nothing. */
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		perror("bind");
		return -1;
	}
	*ring = mmap(NULL, (size_t)BLOCK_SIZE * req.tp_block_nr,
		     PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (*ring == MAP_FAILED) {
		perror("mmap");
		return -1;
	}
	return fd;
}

static struct tpacket2_hdr *frame(uint8_t *ring, unsigned int i)
{
	return (struct tpacket2_hdr *)(ring + (size_t)i * FRAME_SIZE);
}

static struct pkt *frame_pkt(struct tpacket2_hdr *h)
{
	return (struct pkt *)((uint8_t *)h + TPACKET2_HDRLEN -
			      sizeof(struct sockaddr_ll));
}

static uint32_t status(uint8_t *ring, unsigned int i)
{
	return __atomic_load_n(&frame(ring, i)->tp_status, __ATOMIC_ACQUIRE);
}

/* Advance the kernel's head past the frames it took; count them. */
static unsigned int taken(uint8_t *ring, unsigned int khead,
			  unsigned int head, uint64_t *sent)
{
	while (khead != head && status(ring, khead) != TP_STATUS_SEND_REQUEST) {
		khead = (khead + 1) % FRAMES;
		(*sent)++;
	}
	return khead;
}

/*
 * Withdraw the frames not taken yet, then wait until the receiver has
 * freed every frame in flight.
 */
static void drain(uint8_t *ring, unsigned int khead, unsigned int head)
{
	double deadline = now() + 5;
	unsigned int i;

	for (i = khead; i != head; i = (i + 1) % FRAMES)
		__atomic_store_n(&frame(ring, i)->tp_status,
				 TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
	for (i = 0; i < FRAMES && now() < deadline; ) {
		if (status(ring, i) == TP_STATUS_SENDING) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		i++;
	}
}

int main(int argc, char **argv)
{
	uint8_t src_mac[ETH_ALEN], dst_mac[ETH_ALEN], *ring;
	struct in_addr server, first_in;
	uint64_t n = 0, sent = 0;
	double rate = 0, start, end, t, secs;
	unsigned int head = 0, khead = 0, i;
	uint32_t first, nsrc;
	int fd, opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt != 'r')
			goto usage;
		rate = strtod(optarg, NULL);
	}
	argv += optind;
	argc -= optind;
	if (argc != 6 || parse_mac(argv[1], dst_mac) ||
	    inet_pton(AF_INET, argv[2], &server) != 1 ||
	    inet_pton(AF_INET, argv[3], &first_in) != 1)
		goto usage;
	first = ntohl(first_in.s_addr);
	nsrc = strtoul(argv[4], NULL, 0);
	if (!nsrc)
		nsrc = 1;
	fd = setup(argv[0], src_mac, &ring);
	if (fd < 0)
		return 1;

	/* What stays the same in every frame. */
	for (i = 0; i < FRAMES; i++) {
		struct tpacket2_hdr *h = frame(ring, i);
		struct pkt *p = frame_pkt(h);

		memset(p, 0, sizeof(*p));
		p->vnet.hdr_len = WIRE_LEN;	/* all of it into the linear area */
		p->vnet.gso_type = VIRTIO_NET_HDR_GSO_NONE;
		memcpy(p->eth.ether_dhost, dst_mac, ETH_ALEN);
		memcpy(p->eth.ether_shost, src_mac, ETH_ALEN);
		p->eth.ether_type = htons(ETHERTYPE_IP);
		p->ip.version = 4;
		p->ip.ihl = 5;
		p->ip.tot_len = htons(WIRE_LEN - sizeof(p->eth));
		p->ip.ttl = 64;
		p->ip.protocol = IPPROTO_UDP;
		p->ip.daddr = server.s_addr;
		p->udp.dest = htons(3544);
		p->udp.len = htons(sizeof(p->udp) + PAYLOAD);
		memcpy(p->payload, rs, PAYLOAD);
		h->tp_len = sizeof(*p);
	}

	start = now();
	end = start + strtod(argv[5], NULL);
	while ((t = now()) < end) {
		uint64_t budget = BATCH;
		unsigned int filled = 0;
		ssize_t r;

		if (rate > 0) {
			double allowed = rate * (t - start) - n;

			if (allowed < 1) {
				struct timespec ts = { 0, 100000 };

				nanosleep(&ts, NULL);
				continue;
			}
			if (allowed < budget)
				budget = allowed;
		}
		while (filled < budget) {
			struct tpacket2_hdr *h = frame(ring, head);
			struct pkt *p = frame_pkt(h);
			uint32_t st = status(ring, head);

			if (st == TP_STATUS_WRONG_FORMAT) {
				fprintf(stderr, "rsflood: frame refused\n");
				return 1;
			}
			/* Still in flight: the receiver has not freed it. */
			if (st != TP_STATUS_AVAILABLE)
				break;
			p->ip.saddr = htonl(first + n % nsrc);
			p->ip.check = 0;
			p->ip.check = ip_csum(&p->ip);
			p->udp.source = htons(1024 + (n * 7919) % 64000);
			memcpy(p->payload + 4, &n, sizeof(n));
			__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
					 __ATOMIC_RELEASE);
			head = (head + 1) % FRAMES;
			filled++;
			n++;
		}
		r = send(fd, NULL, 0, MSG_DONTWAIT);
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("send");
			return 1;
		}
		/*
		 * What the kernel took: its return value forgets the frames
		 * sent before a refused one, the frames' status does not.
		 */
		khead = taken(ring, khead, head, &sent);
		if (!filled) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			poll(&pfd, 1, 1);
		}
	}
	secs = now() - start;
	khead = taken(ring, khead, head, &sent);
	drain(ring, khead, head);
	printf("sent %llu seconds %.3f\n", (unsigned long long)sent, secs);
	return 0;

usage:
	fprintf(stderr,
		"usage: rsflood [-r PPS] IFNAME DST_MAC SERVER FIRST_SOURCE NUM_SOURCES SECONDS\n");
	return 2;
}
