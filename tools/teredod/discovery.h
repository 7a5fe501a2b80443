/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Local client discovery (RFC 4380 §5.2.8), the pure part: the
 * --local-discovery words, when the next discovery bubble goes, and the
 * bubble.  main.c joins 224.0.0.253 and sends; the kernel takes the
 * bubbles of the others (a membership of the socket is its switch).
 */
#ifndef TEREDOD_DISCOVERY_H
#define TEREDOD_DISCOVERY_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/* RFC 4380 §5.2.8: a bubble every uniform(200, 300) s. */
#define DISC_MIN_MS	200000ULL
#define DISC_SPAN_MS	100000ULL

/* "on", "yes" / "off", "no": 0, else -1 and @on unchanged. */
int disc_parse(const char *s, bool *on);

/* Milliseconds until the next bubble, from 32 random bits. */
uint64_t disc_interval_ms(uint32_t random);

/* The 40-byte discovery bubble from @src. */
void disc_build(uint8_t buf[40], const struct in6_addr *src);

#endif
