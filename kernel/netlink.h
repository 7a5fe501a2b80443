/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_NETLINK_H
#define _TEREDO_NETLINK_H

int teredo_genl_init(void);
void teredo_genl_uninit(void);

#endif /* _TEREDO_NETLINK_H */
