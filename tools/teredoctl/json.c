// SPDX-License-Identifier: GPL-2.0
/*
 * JSON emitter for teredoctl -j.  Hand-written so the tool needs nothing
 * but libmnl; see json.h.
 */
#include "json.h"

void json_init(struct json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

/* Length of the well-formed UTF-8 sequence at @s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	/* The terminating NUL is not a continuation byte, so this stops. */
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Interface names are arbitrary bytes to the kernel (only '/', ':' and
 * whitespace are refused), so besides the quote, the backslash and
 * control characters, bytes that are not UTF-8 are escaped as the
 * Latin-1 code point of the same value: the output stays valid JSON.
 */
void json_escape(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		unsigned char c = *s;
		int n;

		switch (c) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (c < 0x20 || c == 0x7f) {
				fprintf(f, "\\u%04x", c);
			} else if (c < 0x80) {
				fputc(c, f);
			} else {
				n = utf8_len(s);
				if (!n) {
					fprintf(f, "\\u%04x", c);
					break;
				}
				fwrite(s, 1, n, f);
				s += n;
				continue;
			}
		}
		s++;
	}
	fputc('"', f);
}

static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (key) {
		json_escape(j->f, key);
		fputc(':', j->f);
	}
}

static void nest_open(struct json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->f);
	/* Deeper nesting is a bug in the caller; keep the output sane. */
	if (j->depth < JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void nest_close(struct json *j, char c)
{
	if (j->depth)
		j->depth--;
	fputc(c, j->f);
}

void json_obj_open(struct json *j, const char *key)
{
	nest_open(j, key, '{');
}

void json_obj_close(struct json *j)
{
	nest_close(j, '}');
}

void json_arr_open(struct json *j, const char *key)
{
	nest_open(j, key, '[');
}

void json_arr_close(struct json *j)
{
	nest_close(j, ']');
}

void json_str(struct json *j, const char *key, const char *val)
{
	member(j, key);
	json_escape(j->f, val);
}

void json_u64(struct json *j, const char *key, uint64_t val)
{
	member(j, key);
	fprintf(j->f, "%llu", (unsigned long long)val);
}

void json_ms(struct json *j, const char *key, uint64_t ms)
{
	member(j, key);
	fprintf(j->f, "%llu.%03u", (unsigned long long)(ms / 1000),
		(unsigned int)(ms % 1000));
}

void json_bool(struct json *j, const char *key, bool val)
{
	member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void json_null(struct json *j, const char *key)
{
	member(j, key);
	fputs("null", j->f);
}

void json_end(struct json *j)
{
	fputc('\n', j->f);
}
