/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_DORMANT_H
#define _TEREDO_DORMANT_H

#include <linux/skbuff.h>

struct teredo_dev;

/* What a dormant client holds until its helper qualifies it again. */
struct teredo_held {
	struct sk_buff_head queue;	/* its lock protects it */
};

void teredo_dormant_init(struct teredo_dev *t);
void teredo_dormant_hold(struct teredo_dev *t, struct sk_buff *skb);
void teredo_dormant_release(struct teredo_dev *t, bool send);

#endif /* _TEREDO_DORMANT_H */
