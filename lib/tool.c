// SPDX-License-Identifier: GPL-2.0-or-later
/* Built-in tool naming rules: interpreters are named by their script,
 * multi-tool binaries by their subcommand, anything else by its basename. */
#include <stdio.h>
#include <string.h>

#include "sexec/tool.h"

#define TOOL_MAX_ARGS 8

static const char *tool_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int tool_in(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(name, *list) == 0)
			return 1;
	return 0;
}

/* Interpreters whose first non-option argument is the program users know. */
static const char *const tool_interpreters[] = { "python", "python2", "python3", "perl", "Rscript",
						 "bash", "sh", "dash", "zsh", "ruby", "node",
						 NULL };
/* Binaries whose first argument is a subcommand. */
static const char *const tool_multi[] = { "samtools", "bcftools", "bedtools", "gatk", "bwa",
					  "bwa-mem2", "salmon", "kallisto", "seqkit",
					  "sambamba", "picard", "git", "conda", "docker", NULL };

static int tool_is_interpreter(const char *b)
{
	size_t n;

	if (tool_in(b, tool_interpreters))
		return 1;
	/* python3.11 and friends */
	n = strlen("python");
	return strncmp(b, "python", n) == 0 && (b[n] == '\0' || (b[n] >= '0' && b[n] <= '9'));
}

void tool_name(const char *exe, const char *argv, size_t argv_len, char *out, size_t outlen)
{
	const char *args[TOOL_MAX_ARGS];
	size_t off = 0;
	int argc = 0, i;
	const char *b;

	while (off < argv_len && argc < TOOL_MAX_ARGS) {
		args[argc++] = argv + off;
		off += strnlen(argv + off, argv_len - off) + 1;
	}
	/* A truncated last argument may lack its NUL: only trust complete ones. */
	if (argc && off > argv_len)
		argc--;
	b = tool_base(exe && *exe ? exe : (argc ? args[0] : "?"));
	if (tool_is_interpreter(b)) {
		for (i = 1; i < argc; i++) {
			if (strcmp(args[i], "-m") == 0 && i + 1 < argc) {
				snprintf(out, outlen, "%s", args[i + 1]);
				return;
			}
			if (strcmp(args[i], "-c") == 0 || strcmp(args[i], "-e") == 0)
				break; /* inline code: the interpreter is the tool */
			if (args[i][0] != '-') {
				snprintf(out, outlen, "%s", tool_base(args[i]));
				return;
			}
		}
	} else if (tool_in(b, tool_multi) && argc > 1 && args[1][0] != '-') {
		snprintf(out, outlen, "%s %s", b, args[1]);
		return;
	}
	snprintf(out, outlen, "%s", b);
}
