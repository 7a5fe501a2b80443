/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal streaming JSON emitter: objects, arrays, strings, unsigned
 * numbers, booleans and null, written compactly on one line.  The caller
 * nests open/close calls correctly; the emitter only tracks where commas
 * go, so there is nothing to free and nothing that can fail but the FILE.
 */
#ifndef _TEREDOCTL_JSON_H
#define _TEREDOCTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH	8

struct json {
	FILE *f;
	unsigned int depth;
	/* first[d]: nothing written yet at depth d, so no comma before it */
	bool first[JSON_MAX_DEPTH + 1];
};

void json_init(struct json *j, FILE *f);
/* @key is NULL for array elements and the top-level value. */
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
/* @ms as seconds with three decimals: 1234 is 1.234. */
void json_ms(struct json *j, const char *key, uint64_t ms);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Ends the top-level value with a newline. */
void json_end(struct json *j);

/* Writes @s as a quoted JSON string. */
void json_escape(FILE *f, const char *s);

#endif /* _TEREDOCTL_JSON_H */
