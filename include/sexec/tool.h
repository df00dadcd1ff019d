/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Tool naming: the name a user would give a process ("samtools sort",
 * "picard MarkDuplicates", "run_qc.py") from its exe and argv, by rules. */
#ifndef SEXEC_TOOL_H
#define SEXEC_TOOL_H

#include <stddef.h>

/* A parsed rules file (docs/tools.md). Immutable once loaded, so one set may
 * be shared by any number of threads. */
struct tool_rules;

/* Parses the rules file at path into *out. Strict: an unknown directive or
 * attribute, a malformed line or a name given two rules is an error. Returns
 * 0, -EINVAL with "path:line: why" in err, -ENOMEM, or -errno when the file
 * cannot be read ("path: why" in err). */
int tool_rules_load(struct tool_rules **out, const char *path, char *err, size_t errlen);

/* As tool_rules_load, from NUL-terminated text; name is used in messages. */
int tool_rules_parse(struct tool_rules **out, const char *text, const char *name, char *err,
		     size_t errlen);

void tool_rules_free(struct tool_rules *r);

/* The built-in rules: the text of contrib/tools.rules, compiled in. */
const struct tool_rules *tool_rules_default(void);
const char *tool_rules_default_text(void);

/* argv is argc NUL-terminated strings packed back to back (as in
 * /proc/PID/cmdline); an unterminated last string (cut by argv_max) is
 * ignored. Writes the name into out (cut to outlen); always succeeds, falling
 * back to the exe basename, then argv[0]'s, then "?". r NULL means defaults. */
void tool_name_rules(const struct tool_rules *r, const char *exe, const char *argv,
		     size_t argv_len, char *out, size_t outlen);

/* tool_name_rules with the built-in rules. */
void tool_name(const char *exe, const char *argv, size_t argv_len, char *out, size_t outlen);

#endif
