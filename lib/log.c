// SPDX-License-Identifier: GPL-2.0-or-later
/* Logging for sexecd and the CLI: level-filtered lines to stderr, or syslog
 * when running as a service. */
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "sexec/log.h"

static const char *log_ident = "sexec";
static int log_syslog;
static int log_level = LOG_LVL_INFO;

void log_open(const char *ident, int use_syslog, int level)
{
	log_ident = ident;
	log_syslog = use_syslog;
	log_level = level;
	if (use_syslog)
		openlog(ident, LOG_PID, LOG_DAEMON);
}

void log_msg(int level, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char *const name[] = { "error", "warning", "info", "debug" };
	va_list ap;

	if (level > log_level)
		return;
	if (level < 0)
		level = 0;
	va_start(ap, fmt);
	if (log_syslog) {
		vsyslog(prio[level], fmt, ap);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];

		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: %s: ", when, ts.tv_nsec / 1000000, log_ident,
			name[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
