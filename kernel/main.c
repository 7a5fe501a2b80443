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

/*
 * Order: the genetlink family (and its "events" group, events.c) exists
 * before the first device and goes after the last one, so that a device
 * never sends an event through a group id that is not, or no longer,
 * ours.  Teardown, the reverse:
 *  1. teredo_device_uninit(): unregisters the link type, which deletes
 *     every device (their sockets, peers and timers go with them; the
 *     last events are sent then);
 *  2. teredo_genl_uninit(): the family and its group;
 *  3. teredo_peer_cache_uninit(): the peer slab, once RCU frees are done.
 */
static int __init teredo_mod_init(void)
{
	int err;

	err = teredo_peer_cache_init();
	if (err)
		return err;
	err = teredo_genl_init();
	if (err)
		goto err_genl;
	err = teredo_device_init();
	if (err)
		goto err_device;
	pr_info("Teredo (RFC 4380) tunnel driver loaded\n");
	return 0;

err_device:
	teredo_genl_uninit();
err_genl:
	teredo_peer_cache_uninit();
	return err;
}

static void __exit teredo_mod_exit(void)
{
	teredo_device_uninit();
	teredo_genl_uninit();
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
