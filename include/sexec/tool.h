/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tool naming: the name a user would give a process ("samtools sort",
 * "python3 x.py" -> "x.py"), from its exe and argv. */
#ifndef SEXEC_TOOL_H
#define SEXEC_TOOL_H

#include <stddef.h>

/* argv is argc NUL-terminated strings packed back to back (as in /proc/PID/cmdline).
 * Writes the name into out; always succeeds (falls back to the exe basename). */
void tool_name(const char *exe, const char *argv, size_t argv_len, char *out, size_t outlen);

#endif
