/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared bits of the libFuzzer targets: an invariant that does not hold
 * is a crash, reported with the expression and reproduced from the input
 * libFuzzer saves.
 */
#ifndef _TEREDO_FUZZ_H
#define _TEREDO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Splits @data into at most @max NUL-terminated words at NUL bytes (the
 * seed files hold command lines that way: one word per NUL-separated
 * field).  Returns the word count; the words live in @buf, which must hold
 * size + 1 bytes.  argv[count] is NULL.
 */
static inline int fuzz_words(const uint8_t *data, size_t size, char *buf,
			     char **argv, int max)
{
	int argc = 0;
	size_t i, start = 0;

	for (i = 0; i < size; i++)
		buf[i] = (char)data[i];
	buf[size] = '\0';
	for (i = 0; i <= size && argc < max; i++) {
		if (buf[i])
			continue;
		if (i > start || i < size)
			argv[argc++] = &buf[start];
		start = i + 1;
	}
	argv[argc] = NULL;
	return argc;
}

#endif /* _TEREDO_FUZZ_H */
