/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_NETLINK_H
#define _TEREDO_NETLINK_H

#include <net/genetlink.h>

/* The family, for events.c's notifications. */
extern struct genl_family teredo_genl_family;

int teredo_genl_init(void);
void teredo_genl_uninit(void);

#endif /* _TEREDO_NETLINK_H */
