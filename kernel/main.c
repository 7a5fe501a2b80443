// SPDX-License-Identifier: GPL-2.0
/*
 * teredo: Teredo (RFC 4380, RFC 5991) as a Linux netdevice.
 */

#include <linux/module.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>

#include "device.h"
#include "netlink.h"
#include "peer.h"
#include "uapi/linux/teredo_genl.h"
#include "version.h"	/* tools/build-module.sh, make dkms-install */

static int __init teredo_mod_init(void)
{
	int err;

	err = teredo_peer_cache_init();
	if (err)
		return err;
	err = teredo_device_init();
	if (err)
		goto err_device;
	err = teredo_genl_init();
	if (err)
		goto err_genl;
	pr_info("Teredo (RFC 4380) tunnel driver loaded\n");
	return 0;

err_genl:
	teredo_device_uninit();
err_device:
	teredo_peer_cache_uninit();
	return err;
}

static void __exit teredo_mod_exit(void)
{
	teredo_genl_uninit();
	teredo_device_uninit();
	teredo_peer_cache_uninit();
}

module_init(teredo_mod_init);
module_exit(teredo_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Teredo (RFC 4380) IPv6-over-UDP/IPv4 tunnel");
MODULE_AUTHOR("The teredo developers");
MODULE_VERSION(TEREDO_VERSION);
MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
MODULE_ALIAS_GENL_FAMILY(TEREDO_GENL_NAME);
