/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_TIMERS_H
#define _TEREDO_TIMERS_H

#include <linux/types.h>

struct teredo_dev;
struct teredo_peer;
struct teredo_probe;

/* The data path reports what happened; timers.c decides what to arm. */
void teredo_timers_peer_init(struct teredo_peer *peer);
void teredo_timers_packet_queued(struct teredo_peer *peer,
				 struct teredo_probe *probe);
bool teredo_timers_bubble_allowed(struct teredo_peer *peer);
void teredo_timers_peer_trusted(struct teredo_peer *peer);
void teredo_timers_peer_removed(struct teredo_peer *peer);

void teredo_timers_device_init(struct teredo_dev *t);
void teredo_timers_device_start(struct teredo_dev *t);
void teredo_timers_device_stop(struct teredo_dev *t);

#endif /* _TEREDO_TIMERS_H */
