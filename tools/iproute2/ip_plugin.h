/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few ABI facts of iproute2's `ip` binary that a link_<kind>.so plugin
 * relies on.  Debian ships no iproute2 internal headers, so rather than
 * vendoring them we declare exactly what we use.  Everything here was
 * checked against iproute2 6.1.0 (Debian 12) and is unchanged up to v6.19:
 * the layout of struct link_util, the enum values, and the prototypes of
 * functions that `ip` exports with -Wl,-export-dynamic.  Do not add
 * anything whose layout changed between versions (inet_prefix, get_addr,
 * print_size...).
 */
#ifndef TEREDO_IP_PLUGIN_H
#define TEREDO_IP_PLUGIN_H

#include <stdio.h>
#include <linux/types.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* `ip` links the plugins into a list through ->next, so it must be writable. */
struct link_util {
	struct link_util	*next;
	const char		*id;
	int			maxattr;
	int			(*parse_opt)(struct link_util *lu, int argc,
					     char **argv, struct nlmsghdr *n);
	void			(*print_opt)(struct link_util *lu, FILE *f,
					     struct rtattr *tb[]);
	void			(*print_xstats)(struct link_util *lu,
						FILE *f, struct rtattr *xstats);
	void			(*print_help)(struct link_util *lu,
					      int argc, char **argv, FILE *f);
	int			(*parse_ifla_xstats)(struct link_util *lu,
						     int argc, char **argv);
	int			(*print_ifla_xstats)(struct nlmsghdr *n,
						     void *arg);
};

/* json_print.h: enum output_type */
enum ip_output_type {
	PRINT_FP	= 1,
	PRINT_JSON	= 2,
	PRINT_ANY	= 4,
};

/* color.h: enum color_attr, only the member we use */
enum ip_color_attr {
	COLOR_NONE	= 6,
};

/* libnetlink.c */
int addattr_l(struct nlmsghdr *n, int maxlen, int type, const void *data,
	      int alen);
int addattr8(struct nlmsghdr *n, int maxlen, int type, __u8 data);
int addattr16(struct nlmsghdr *n, int maxlen, int type, __u16 data);
int addattr32(struct nlmsghdr *n, int maxlen, int type, __u32 data);

/* json_print.c: the value of print_color_uint is 32 bits wide in 6.1 */
int print_color_string(enum ip_output_type t, enum ip_color_attr color,
		       const char *key, const char *fmt, const char *value);
int print_color_uint(enum ip_output_type t, enum ip_color_attr color,
		     const char *key, const char *fmt, unsigned int value);

#endif /* TEREDO_IP_PLUGIN_H */
