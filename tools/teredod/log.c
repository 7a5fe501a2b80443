// SPDX-License-Identifier: GPL-2.0
/*
 * Log lines go to stderr, whole (one write each), prefixed with the
 * device name; systemd's journal adds the time.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static char prefix[32] = "teredod";

void log_init(const char *dev)
{
	snprintf(prefix, sizeof(prefix), "%s", dev);
}

void log_vline(const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "%s: ", prefix);

	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	n = strlen(line);
	if ((size_t)n == sizeof(line) - 1)
		n--;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(fmt, ap);
	va_end(ap);
}
