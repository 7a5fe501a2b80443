/* SPDX-License-Identifier: GPL-2.0 */
/* teredod's log: one line per event on stderr, "DEV: what". */
#ifndef _TEREDOD_LOG_H
#define _TEREDOD_LOG_H

#include <stdarg.h>

void log_init(const char *dev);
void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_vline(const char *fmt, va_list ap)
	__attribute__((format(printf, 1, 0)));

#endif /* _TEREDOD_LOG_H */
