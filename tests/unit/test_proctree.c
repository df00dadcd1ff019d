// SPDX-License-Identifier: GPL-2.0-or-later
/* The collapsed process tree: parents found by pid and start time (pids are reused),
 * repeated siblings merged with their totals, their children merged one level down, and
 * the bounds on groups per level and depth. */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "sexec/proctree.h"

#define MAXL 64

struct out {
	struct ptree_line l[MAXL];
	char names[MAXL][32];
	int n;
};

static int collect(const struct ptree_line *line, void *arg)
{
	struct out *o = arg;

	if (o->n == MAXL)
		return -1;
	o->l[o->n] = *line;
	snprintf(o->names[o->n], sizeof(o->names[0]), "%s", line->name ? line->name : "");
	o->n++;
	return 0;
}

static struct ptree_proc P(uint32_t g, int64_t pid, int64_t ppid, int64_t start, int64_t end,
			   int64_t cpu, const char *name, int failed)
{
	struct ptree_proc p = { .group = g, .pid = pid, .ppid = ppid, .start_us = start,
				.end_us = end, .cpu_us = cpu, .name = name, .failed = failed };
	return p;
}

/* bash runs xargs, which runs gzip 400 times (3 fail), then bash runs sort once. */
static void test_collapse(void)
{
	static struct ptree_proc p[403];
	struct out o = { 0 };
	int i, n = 0;

	p[n++] = P(0, 100, 1, 0, 10000000, 5000, "bash", 0);
	p[n++] = P(0, 101, 100, 10, 9000000, 1000, "xargs", 0);
	for (i = 0; i < 400; i++)
		p[n++] = P(0, 200 + i, 101, 100 + i, 100 + i + 20000, 7000, "gzip", i < 3);
	p[n++] = P(0, 700, 100, 9500000, 9900000, 40000, "sort", 0);
	CU_ASSERT_EQUAL_FATAL(ptree_build(p, (size_t)n), 0);
	CU_ASSERT_EQUAL(p[1].parent, 0);
	CU_ASSERT_EQUAL(p[2].parent, 1);
	CU_ASSERT_EQUAL(p[402].parent, 0);
	CU_ASSERT_EQUAL(ptree_walk(p, (size_t)n, 50, 16, collect, &o), 0);
	CU_ASSERT_EQUAL_FATAL(o.n, 4);
	CU_ASSERT_STRING_EQUAL(o.names[0], "bash");
	CU_ASSERT_EQUAL(o.l[0].depth, 0);
	CU_ASSERT_EQUAL(o.l[0].count, 1);
	CU_ASSERT_EQUAL(o.l[0].pid, 100);
	CU_ASSERT_STRING_EQUAL(o.names[1], "xargs");
	CU_ASSERT_EQUAL(o.l[1].depth, 1);
	CU_ASSERT_STRING_EQUAL(o.names[2], "gzip");
	CU_ASSERT_EQUAL(o.l[2].depth, 2);
	CU_ASSERT_EQUAL(o.l[2].count, 400);
	CU_ASSERT_EQUAL(o.l[2].pid, -1);
	CU_ASSERT_EQUAL(o.l[2].cpu_us, 400 * 7000);
	CU_ASSERT_EQUAL(o.l[2].wall_us, 400 * 20000);
	CU_ASSERT_EQUAL(o.l[2].failed, 3);
	/* sort started after xargs: siblings come in order of their first start. */
	CU_ASSERT_STRING_EQUAL(o.names[3], "sort");
	CU_ASSERT_EQUAL(o.l[3].depth, 1);
	CU_ASSERT_EQUAL(o.l[3].cpu_us, 40000);
}

/* A reused pid: the child belongs to the process of that pid that started before it. */
static void test_pid_reuse(void)
{
	struct ptree_proc p[4];
	struct out o = { 0 };

	p[0] = P(0, 50, -1, 0, 100, 1, "sh", 0);
	p[1] = P(0, 51, 50, 10, 20, 1, "a", 0);
	p[2] = P(0, 50, -1, 200, 300, 1, "python", 0); /* pid 50 again */
	p[3] = P(0, 52, 50, 210, 220, 1, "b", 0);
	CU_ASSERT_EQUAL_FATAL(ptree_build(p, 4), 0);
	CU_ASSERT_EQUAL(p[1].parent, 0);
	CU_ASSERT_EQUAL(p[3].parent, 2);
	CU_ASSERT_EQUAL(ptree_walk(p, 4, 50, 16, collect, &o), 0);
	CU_ASSERT_EQUAL_FATAL(o.n, 4);
	CU_ASSERT_STRING_EQUAL(o.names[0], "sh");
	CU_ASSERT_STRING_EQUAL(o.names[1], "a");
	CU_ASSERT_STRING_EQUAL(o.names[2], "python");
	CU_ASSERT_STRING_EQUAL(o.names[3], "b");
}

/* Groups (step on a node) are separate forests: the same pid elsewhere is no parent. */
static void test_groups_and_bounds(void)
{
	struct ptree_proc p[8];
	struct out o = { 0 };
	int i;

	p[0] = P(0, 10, -1, 0, 100, 1, "batch", 0);
	p[1] = P(1, 11, 10, 5, 50, 1, "orphan", 0); /* pid 10 is in group 0 only */
	for (i = 0; i < 5; i++) /* five distinct names under one parent */
		p[2 + i] = P(2, 30 + i, 20, 10 + i, 20 + i, 1, (const char *[]){ "a", "b", "c", "d",
									     "e" }[i], 0);
	p[7] = P(2, 99, 34, 30, 40, 1, "deep", 0);
	CU_ASSERT_EQUAL_FATAL(ptree_build(p, 8), 0);
	CU_ASSERT_EQUAL(p[1].parent, PTREE_NONE);
	CU_ASSERT_EQUAL(p[7].parent, 6);
	CU_ASSERT_EQUAL(ptree_walk(p, 8, 3, 1, collect, &o), 0);
	/* group 0: batch; group 1: orphan; group 2: a, b, c, then "2 more" (d, e). */
	CU_ASSERT_EQUAL_FATAL(o.n, 6);
	CU_ASSERT_STRING_EQUAL(o.names[0], "batch");
	CU_ASSERT_STRING_EQUAL(o.names[1], "orphan");
	CU_ASSERT_EQUAL(o.l[1].group, 1);
	CU_ASSERT_STRING_EQUAL(o.names[4], "c");
	CU_ASSERT_EQUAL(o.l[5].more, 2);
	CU_ASSERT_PTR_NULL(o.l[5].name);
	/* Depth 1 allowed: e's child is summarised as one "more" line below it. */
	memset(&o, 0, sizeof(o));
	CU_ASSERT_EQUAL(ptree_walk(p, 8, 50, 1, collect, &o), 0);
	CU_ASSERT_EQUAL_FATAL(o.n, 8);
	CU_ASSERT_STRING_EQUAL(o.names[6], "e");
	CU_ASSERT_EQUAL(o.l[7].depth, 1);
	CU_ASSERT_EQUAL(o.l[7].more, 1);
	/* emit's error stops the walk and comes back. */
	o.n = MAXL;
	CU_ASSERT_EQUAL(ptree_walk(p, 8, 50, 16, collect, &o), -1);
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("proctree", NULL, NULL);
	CU_add_test(s, "gzip x400 under xargs under bash", test_collapse);
	CU_add_test(s, "reused pids", test_pid_reuse);
	CU_add_test(s, "groups, sibling and depth bounds", test_groups_and_bounds);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
