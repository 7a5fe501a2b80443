/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal host unit-test runner with TAP output.  A test is a function
 * registered with UNIT_TEST(); CHECK*() record failures and go on, so one
 * run shows every broken expectation.
 */
#ifndef _TEREDO_UNIT_H
#define _TEREDO_UNIT_H

#include <stdio.h>
#include <string.h>

struct unit_test {
	const char *name;
	void (*fn)(void);
};

extern int unit_failures;

#define UNIT_TEST(fn_)							\
	static void fn_(void);						\
	static const struct unit_test unit_##fn_			\
		__attribute__((used, section("unit_tests"), aligned(8))) = \
		{ #fn_, fn_ };						\
	static void fn_(void)

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("#   %s:%d: CHECK(%s) failed\n",		\
			       __FILE__, __LINE__, #cond);		\
			unit_failures++;				\
		}							\
	} while (0)

#define CHECK_EQ(a, b)							\
	do {								\
		unsigned long long a_ = (a), b_ = (b);			\
		if (a_ != b_) {						\
			printf("#   %s:%d: %s == %s: 0x%llx != 0x%llx\n", \
			       __FILE__, __LINE__, #a, #b, a_, b_);	\
			unit_failures++;				\
		}							\
	} while (0)

#define CHECK_MEM(a, b, n)						\
	do {								\
		if (memcmp((a), (b), (n))) {				\
			printf("#   %s:%d: %s differs from %s\n",	\
			       __FILE__, __LINE__, #a, #b);		\
			unit_hexdump("got", (a), (n));			\
			unit_hexdump("want", (b), (n));			\
			unit_failures++;				\
		}							\
	} while (0)

void unit_hexdump(const char *what, const void *p, size_t n);

#endif /* _TEREDO_UNIT_H */
