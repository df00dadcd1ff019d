/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One logger for sexecd and the CLI: stderr in the foreground, syslog as a
 * service. The SPANK plugin logs through Slurm instead. */
#ifndef SEXEC_LOG_H
#define SEXEC_LOG_H

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_open(const char *ident, int use_syslog, int level);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
