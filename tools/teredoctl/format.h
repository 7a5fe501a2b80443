/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Text and JSON output of teredoctl, from the structs nl.c fills.  Pure
 * functions over a FILE, so test_format.c checks them byte for byte.
 */
#ifndef _TEREDOCTL_FORMAT_H
#define _TEREDOCTL_FORMAT_H

#include <stdio.h>

#include "json.h"
#include "nl.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* "4294967.3" or "never" */
#define AGE_LEN		16
/* "255.255.255.255:65535" */
#define MAPPED_LEN	(16 + 6)
/* "client", or the number of a mode newer than this tool */
#define MODE_LEN	8
/* "rx_truncated", or "stat_63" for a counter newer than this tool */
#define STAT_LEN	32
/* One sentence about a client that is not qualified */
#define STATUS_LEN	256

const char *fmt_age(char *buf, size_t size, __u32 ms);
const char *fmt_mapped(char *buf, size_t size, __be32 addr, __be16 port);
const char *mode_name(char *buf, size_t size, __u8 mode);
const char *stat_name(char *buf, size_t size, unsigned int type);
const char *link_state(unsigned int flags);
/* A client's qualification: enum teredo_state, _reason, _nat. */
const char *state_name(char *buf, size_t size, __u8 state);
const char *reason_name(char *buf, size_t size, __u8 reason);
const char *nat_name(char *buf, size_t size, __u8 nat);
const char *portmap_name(char *buf, size_t size, __u8 portmap);
struct link_info;
const char *portmap_desc(char *buf, size_t size, const struct link_info *li);
/*
 * Why a client is not qualified, in one sentence for people (as Windows'
 * `netsh interface teredo show state` does); "" when it is qualified or
 * the kernel reports no state.
 */
const char *client_status(char *buf, size_t size,
			  const struct link_info *li);

/* @di is NULL when the genl family could not be asked. */
void print_link(FILE *f, const struct link_info *li,
		const struct dev_info *di);
void json_link(struct json *j, const struct link_info *li,
	       const struct dev_info *di);

/*
 * An event, as `ip monitor` prints its objects: one line, the device,
 * then the words of `show` (state, reason, nat, mapped, address) or of
 * `peers` (peer ADDR, what happened, mapped).
 */
void print_event(FILE *f, const struct event_info *ev);
void json_event(struct json *j, const struct event_info *ev);

void print_peer_header(FILE *f);
void print_peer(FILE *f, const struct peer_info *pi);
void json_peer(struct json *j, const struct peer_info *pi);

#endif /* _TEREDOCTL_FORMAT_H */
