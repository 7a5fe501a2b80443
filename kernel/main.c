// SPDX-License-Identifier: GPL-2.0
/*
 * teredo: Teredo (RFC 4380, RFC 5991) as a Linux netdevice.
 */

#include <linux/module.h>
#include <net/rtnetlink.h>

#include "device.h"

static int __init teredo_mod_init(void)
{
	int err;

	err = teredo_device_init();
	if (err)
		return err;
	pr_info("Teredo (RFC 4380) tunnel driver loaded\n");
	return 0;
}

static void __exit teredo_mod_exit(void)
{
	teredo_device_uninit();
}

module_init(teredo_mod_init);
module_exit(teredo_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Teredo (RFC 4380) IPv6-over-UDP/IPv4 tunnel");
MODULE_AUTHOR("The teredo developers");
MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
