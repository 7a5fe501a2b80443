/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_EVENTS_H
#define _TEREDO_EVENTS_H

#include <linux/types.h>
#include <net/genetlink.h>

#include "uapi/linux/teredo_genl.h"

struct teredo_dev;
struct teredo_peer;

/* The family's multicast groups, registered by netlink.c. */
enum teredo_mcgrp {
	TEREDO_MCGRP_EVENTS,
	__TEREDO_MCGRP_MAX
};

extern const struct genl_multicast_group
	teredo_event_mcgrps[__TEREDO_MCGRP_MAX];

void teredo_event_state(struct teredo_dev *t);
void teredo_event_wake(struct teredo_dev *t);
void teredo_event_peer(struct teredo_dev *t, const struct teredo_peer *peer,
		       enum teredo_event event);

#endif /* _TEREDO_EVENTS_H */
