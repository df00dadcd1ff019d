// SPDX-License-Identifier: GPL-2.0-or-later
/* Process trees with repeated siblings collapsed (see include/sexec/proctree.h). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* qsort_r */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/proctree.h"

/* Open addressing from pid to the index of the latest process with that pid in the group. */
struct ptree_map {
	int64_t *pid;
	size_t *idx;
	size_t cap, used;
};

static size_t ptree_hash(int64_t pid, size_t cap)
{
	return (size_t)((uint64_t)pid * 0x9e3779b97f4a7c15ULL >> 7) & (cap - 1);
}

static int ptree_map_init(struct ptree_map *m, size_t n)
{
	m->cap = 16;
	while (m->cap < 2 * n)
		m->cap *= 2;
	m->used = 0;
	m->pid = malloc(m->cap * sizeof(*m->pid));
	m->idx = malloc(m->cap * sizeof(*m->idx));
	if (!m->pid || !m->idx) {
		free(m->pid);
		free(m->idx);
		return -ENOMEM;
	}
	memset(m->idx, 0xff, m->cap * sizeof(*m->idx)); /* PTREE_NONE: empty */
	return 0;
}

static size_t *ptree_map_slot(struct ptree_map *m, int64_t pid)
{
	size_t h = ptree_hash(pid, m->cap);

	while (m->idx[h] != PTREE_NONE && m->pid[h] != pid)
		h = (h + 1) & (m->cap - 1);
	m->pid[h] = pid;
	return &m->idx[h];
}

int ptree_build(struct ptree_proc *p, size_t n)
{
	struct ptree_map m;
	size_t i, g0 = 0, *last = NULL;

	for (i = 0; i < n; i++)
		p[i].parent = p[i].first_child = p[i].next_sibling = PTREE_NONE;
	last = malloc((n ? n : 1) * sizeof(*last)); /* last child of each process */
	if (!last || ptree_map_init(&m, n)) {
		free(last);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		size_t *slot, par = PTREE_NONE;

		last[i] = PTREE_NONE;
		/* A new group starts with an empty map: pids are per node. */
		if (i > 0 && p[i].group != p[g0].group) {
			memset(m.idx, 0xff, m.cap * sizeof(*m.idx));
			g0 = i;
		}
		if (p[i].ppid >= 0 && p[i].ppid != p[i].pid) {
			slot = ptree_map_slot(&m, p[i].ppid);
			par = *slot;
			if (par != PTREE_NONE && p[par].start_us > p[i].start_us)
				par = PTREE_NONE;
		}
		if (par != PTREE_NONE) {
			p[i].parent = par;
			if (last[par] == PTREE_NONE)
				p[par].first_child = i;
			else
				p[last[par]].next_sibling = i;
			last[par] = i;
		}
		*ptree_map_slot(&m, p[i].pid) = i;
	}
	free(last);
	free(m.pid);
	free(m.idx);
	return 0;
}

static int ptree_by_name(const void *a, const void *b, void *arg)
{
	const struct ptree_proc *p = arg;
	const struct ptree_proc *x = &p[*(const size_t *)a], *y = &p[*(const size_t *)b];
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

struct ptree_group {
	size_t first, count; /* a run of the sorted set */
	int64_t start_us;
};

static int ptree_by_start(const void *a, const void *b)
{
	const struct ptree_group *x = a, *y = b;

	if (x->start_us != y->start_us)
		return x->start_us < y->start_us ? -1 : 1;
	return x->first < y->first ? -1 : 1;
}

/* One sibling set (indices into p): grouped by name, groups in order of their first start. */
static int ptree_level(const struct ptree_proc *p, size_t *set, size_t n, int depth,
		       size_t max_groups, int max_depth,
		       int (*emit)(const struct ptree_line *, void *), void *arg)
{
	struct ptree_group *g;
	size_t i, k, ng = 0;
	int ret = 0;

	if (!n)
		return 0;
	qsort_r(set, n, sizeof(*set), ptree_by_name, (void *)p);
	g = malloc(n * sizeof(*g));
	if (!g)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(p[set[i]].name, p[set[i - 1]].name) != 0) {
			g[ng].first = i;
			g[ng].count = 0;
			g[ng].start_us = p[set[i]].start_us;
			ng++;
		}
		g[ng - 1].count++;
	}
	qsort(g, ng, sizeof(*g), ptree_by_start);
	for (k = 0; k < ng && !ret; k++) {
		struct ptree_line line = { 0 };
		size_t nchild = 0, *children, c;

		if (k == max_groups) {
			line.group = p[set[0]].group;
			line.depth = depth;
			line.more = ng - k;
			ret = emit(&line, arg);
			break;
		}
		line.group = p[set[g[k].first]].group;
		line.depth = depth;
		line.name = p[set[g[k].first]].name;
		line.count = g[k].count;
		line.pid = g[k].count == 1 ? p[set[g[k].first]].pid : -1;
		for (i = g[k].first; i < g[k].first + g[k].count; i++) {
			const struct ptree_proc *q = &p[set[i]];

			line.cpu_us += q->cpu_us;
			line.wall_us += q->end_us > q->start_us ? q->end_us - q->start_us : 0;
			line.failed += q->failed != 0;
			for (c = q->first_child; c != PTREE_NONE; c = p[c].next_sibling)
				nchild++;
		}
		ret = emit(&line, arg);
		if (ret || !nchild)
			continue;
		if (depth + 1 >= max_depth) {
			struct ptree_line deeper = { .group = line.group, .depth = depth + 1,
						     .more = nchild };

			ret = emit(&deeper, arg);
			continue;
		}
		/* The children of every collapsed sibling, merged one level down. */
		children = malloc(nchild * sizeof(*children));
		if (!children) {
			ret = -ENOMEM;
			break;
		}
		nchild = 0;
		for (i = g[k].first; i < g[k].first + g[k].count; i++)
			for (c = p[set[i]].first_child; c != PTREE_NONE; c = p[c].next_sibling)
				children[nchild++] = c;
		ret = ptree_level(p, children, nchild, depth + 1, max_groups, max_depth, emit, arg);
		free(children);
	}
	free(g);
	return ret;
}

int ptree_walk(const struct ptree_proc *p, size_t n, size_t max_groups, int max_depth,
	       int (*emit)(const struct ptree_line *line, void *arg), void *arg)
{
	size_t i, j, nroots, *roots;
	int ret = 0;

	roots = malloc((n ? n : 1) * sizeof(*roots));
	if (!roots)
		return -ENOMEM;
	/* Each group (step on a node) is its own forest. */
	for (i = 0; i < n && !ret; i = j) {
		nroots = 0;
		for (j = i; j < n && p[j].group == p[i].group; j++)
			if (p[j].parent == PTREE_NONE)
				roots[nroots++] = j;
		ret = ptree_level(p, roots, nroots, 0, max_groups, max_depth, emit, arg);
	}
	free(roots);
	return ret;
}
