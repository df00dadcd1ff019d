/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The process tree of a job step, with repeated siblings collapsed: a shell that ran gzip
 * 400 times is one line "gzip x400" with their CPU and wall time summed, and the children of
 * collapsed siblings are merged the same way one level down. Pure logic, shared by the CLI
 * and the unit tests. */
#ifndef SEXEC_PROCTREE_H
#define SEXEC_PROCTREE_H

#include <stddef.h>
#include <stdint.h>

struct ptree_proc {
	uint32_t group;          /* processes of one step on one node share a group */
	int64_t pid, ppid;       /* ppid < 0 when unknown */
	int64_t start_us, end_us;
	int64_t cpu_us;
	const char *name;        /* tool, else the executable's base name; never NULL */
	int failed;              /* exited non-zero or was killed by a signal */
	/* filled by ptree_build() */
	size_t parent, first_child, next_sibling; /* PTREE_NONE when none */
};

#define PTREE_NONE ((size_t)-1)

struct ptree_line {
	uint32_t group;
	int depth;        /* 0 for roots */
	const char *name; /* NULL for a "more" line */
	size_t count;     /* processes collapsed into this line */
	int64_t pid;      /* the process when count is 1 */
	int64_t cpu_us, wall_us;
	size_t failed;
	size_t more;      /* a "more" line: how many further sibling groups were left out */
};

/* Link every process to its parent: the process of pid ppid in the same group that started
 * last at or before it (pids are reused). p must be sorted by group, then start_us. Returns 0
 * or -ENOMEM. */
int ptree_build(struct ptree_proc *p, size_t n);

/* Walk the collapsed tree depth first, calling emit for each line; at most max_groups sibling
 * groups per level (then a "more" line) and max_depth levels. Stops at emit's first non-zero
 * return and returns it; -ENOMEM when out of memory. */
int ptree_walk(const struct ptree_proc *p, size_t n, size_t max_groups, int max_depth,
	       int (*emit)(const struct ptree_line *line, void *arg), void *arg);

#endif
