/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _TEREDO_PREDICT_H
#define _TEREDO_PREDICT_H

#include <linux/in6.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct sk_buff;
struct teredo_dev;
struct teredo_rport;

/*
 * RFC 6081 §5.5, one random port's echo test (predict.c): the public
 * port a sequential NAT gave its mapping towards the peer, guessed from
 * the ports it gave two Router Solicitations on either side of it.
 * Part of the random port, which serves one peer for its whole life, so
 * it is never reset; under @lock, which the bubble round and the
 * advertisement (softirq, any cpu) both take.
 */
struct teredo_predict {
	spinlock_t lock;		/* all below */
	u64 nonce;			/* of the test in flight; 0: none */
	struct in6_addr peer;		/* whose direct bubble it brackets */
	__be16 lower;			/* primary's origin port; 0: not yet */
	__be16 upper;			/* secondary's */
	__be16 port;			/* the guess; 0: none (yet) */
	u8 tests;			/* made, at most TEREDO_PREDICT_TESTS */
};

/* A test unanswered by the next round is made again once. */
#define TEREDO_PREDICT_TESTS	2

void teredo_predict_init(struct teredo_predict *p);
bool teredo_predict_start(struct teredo_dev *t, struct teredo_rport *rp,
			  const struct in6_addr *peer);
void teredo_predict_finish(struct teredo_dev *t, struct teredo_rport *rp);
__be16 teredo_predict_port(struct teredo_predict *p);
bool teredo_predict_answer(struct teredo_dev *t, struct teredo_rport *rp,
			   struct sk_buff *skb);

#endif /* _TEREDO_PREDICT_H */
