/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_DEVICE_H
#define _TEREDO_DEVICE_H

#include <linux/list.h>
#include <linux/netdevice.h>

#include "config.h"

struct teredo_dev {
	struct net_device *dev;
	struct net *net;		/* link netns, home of the socket */
	struct list_head list;		/* on the link netns list, under RTNL */
	struct teredo_config cfg;	/* written under RTNL */
};

int teredo_device_init(void);
void teredo_device_uninit(void);

#endif /* _TEREDO_DEVICE_H */
