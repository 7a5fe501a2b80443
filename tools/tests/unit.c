// SPDX-License-Identifier: GPL-2.0
/*
 * Runs every UNIT_TEST linked into the binary, in link order, and prints
 * TAP plus a closing "N passed, N failed" line.
 */
#include <stdio.h>

#include "unit.h"

int unit_failures;

extern const struct unit_test __start_unit_tests[];
extern const struct unit_test __stop_unit_tests[];

void unit_hexdump(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	printf("#   %-4s:", what);
	for (i = 0; i < n; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

int main(void)
{
	const struct unit_test *t;
	int n = __stop_unit_tests - __start_unit_tests;
	int i = 0, passed = 0, failed = 0;

	printf("TAP version 13\n1..%d\n", n);
	for (t = __start_unit_tests; t < __stop_unit_tests; t++) {
		int before = unit_failures;

		t->fn();
		i++;
		if (unit_failures == before) {
			printf("ok %d %s\n", i, t->name);
			passed++;
		} else {
			printf("not ok %d %s\n", i, t->name);
			failed++;
		}
	}
	printf("# unit: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
