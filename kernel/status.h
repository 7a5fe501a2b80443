/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_STATUS_H
#define _TEREDO_STATUS_H

#include <linux/skbuff.h>
#include <linux/types.h>

struct teredo_dev;

size_t teredo_status_size(void);
int teredo_status_fill(struct sk_buff *skb, const struct teredo_dev *t);

#endif /* _TEREDO_STATUS_H */
