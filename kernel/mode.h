/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_MODE_H
#define _TEREDO_MODE_H

#include <linux/netdevice.h>

struct sk_buff;
struct sock;
struct teredo_dev;
struct teredo_peer;
struct teredo_probe;

/*
 * What makes a relay, a client or a server: chosen once, when the device
 * is created, so each packet runs one mode's code and tests no mode.
 * Each mode's receive and transmit paths live in their own files
 * (relay.c; client_receive.c and client_send.c; server.c).
 */
struct teredo_mode_ops {
	/* encap_rcv of the device's sockets */
	int (*encap_rcv)(struct sock *sk, struct sk_buff *skb);
	/* one round of making an untrusted peer answer (timers.c) */
	void (*bubble)(struct teredo_dev *t, struct teredo_peer *peer,
		       const struct teredo_probe *probe);
	bool gro;			/* merge data packets before decap */
};

/* ndo_start_xmit, one per mode (device.c has a net_device_ops each) */
netdev_tx_t teredo_client_xmit(struct sk_buff *skb, struct net_device *dev);
netdev_tx_t teredo_relay_xmit(struct sk_buff *skb, struct net_device *dev);
netdev_tx_t teredo_server_xmit(struct sk_buff *skb, struct net_device *dev);

extern const struct teredo_mode_ops teredo_relay_ops;
extern const struct teredo_mode_ops teredo_client_ops;
extern const struct teredo_mode_ops teredo_server_ops;

#endif /* _TEREDO_MODE_H */
