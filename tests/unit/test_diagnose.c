// SPDX-License-Identifier: GPL-2.0-or-later
/* The diagnosis rules: each fires on the case it is for, with its advice,
 * and a well-sized job gets no note at all. */
#include <math.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "sexec/diagnose.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

static struct sexec_diag_in base(void)
{
	struct sexec_diag_in in = { 0 };

	in.have_time = 1;
	in.alloc_cpus = 1;
	in.elapsed_s = 100;
	in.timelimit_s = 120;
	in.req_mem_bytes = 512.0 * 1024 * 1024;
	in.peak_mem_bytes = 400.0 * 1024 * 1024;
	in.t = (struct sexec_times){ 95, 1, 1, 0, 3 };
	return in;
}

static int has(const struct sexec_diag *d, int n, const char *kind, const char *text)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(d[i].kind, kind) == 0 && (!text || strstr(d[i].text, text)))
			return 1;
	return 0;
}

static void test_well_sized(void)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];
	struct sexec_diag_in in = base();

	CU_ASSERT_EQUAL(diagnose(&in, d, SEXEC_DIAG_MAX), 0);
	/* A tiny job's contention is noise. */
	in.elapsed_s = 1;
	in.t = (struct sexec_times){ 0.2, 0.6, 0, 0, 0 };
	CU_ASSERT_EQUAL(diagnose(&in, d, SEXEC_DIAG_MAX), 0);
	in.t = (struct sexec_times){ 0.4, 1.2, 0, 0, 0 };
	CU_ASSERT_TRUE(has(d, diagnose(&in, d, SEXEC_DIAG_MAX), "cpu_contended", NULL));
	/* An idle allocation of under 5 core-seconds likewise. */
	in.elapsed_s = 2;
	in.alloc_cpus = 2;
	in.t = (struct sexec_times){ 0, 0, 0, 0, 2 };
	CU_ASSERT_EQUAL(diagnose(&in, d, SEXEC_DIAG_MAX), 0);
	in = base();
	in.have_time = 0; /* nothing measured: nothing to say */
	CU_ASSERT_EQUAL(diagnose(&in, d, SEXEC_DIAG_MAX), 0);
}

static void test_classes(void)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];
	struct sexec_diag_in in = base();
	int n;

	in.alloc_cpus = 4;
	in.t = (struct sexec_times){ 48, 0, 352, 0, 0 }; /* 88% I/O, 12% of 400 core-s */
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "io_bound",
			   "I/O-bound: tasks spent 88% of their time blocked on I/O while CPU use "
			   "was 12% of the allocation. Stage input to local scratch"));
	in.t = (struct sexec_times){ 30, 0, 10, 60, 0 };
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "memory_bound", "60% of their time stalled on memory"));
	in.alloc_cpus = 1;
	in.t = (struct sexec_times){ 100, 300, 0, 0, 0 };
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "cpu_contended", "waited 75% of their time for a CPU"));
	in.alloc_cpus = 2;
	in.t = (struct sexec_times){ 1, 0, 0, 0, 199 };
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "idle", "Idle allocation: 100% of the 2 allocated CPUs' time"));
	CU_ASSERT_FALSE(has(d, n, "serial", NULL));
	in.alloc_cpus = 16;
	in.t = (struct sexec_times){ 99, 1, 0, 0, 0 };
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "serial", "Serial work on 16 cores"));
}

static void test_memory_and_time(void)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];
	struct sexec_diag_in in = base();
	int n;

	/* The example: 64 GB asked, 3.1 GB used. */
	in.req_mem_bytes = 64 * GIB;
	in.peak_mem_bytes = 3.1 * GIB;
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "memory_request", "Requested 64.0 GiB, peak 3.1 GiB: use --mem=4G."));
	in.peak_mem_bytes = 100.0 * 1024 * 1024;
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "memory_request", "use --mem=256M."));
	/* Half used, or under 1 GiB asked: fine. */
	in.req_mem_bytes = 8 * GIB;
	in.peak_mem_bytes = 4.5 * GIB;
	CU_ASSERT_FALSE(has(d, diagnose(&in, d, SEXEC_DIAG_MAX), "memory_request", NULL));
	in.req_mem_bytes = 0.9 * GIB;
	in.peak_mem_bytes = 0.01 * GIB;
	CU_ASSERT_FALSE(has(d, diagnose(&in, d, SEXEC_DIAG_MAX), "memory_request", NULL));
	/* 24 h asked, 35 min used. */
	in = base();
	in.timelimit_s = 24 * 3600;
	in.elapsed_s = 35 * 60;
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "time_limit", "Time limit 1d00h00m, used 35m00s: request --time=01:00:00"));
	in.timelimit_s = NAN; /* unlimited */
	CU_ASSERT_FALSE(has(d, diagnose(&in, d, SEXEC_DIAG_MAX), "time_limit", NULL));
	in.timelimit_s = 1800; /* under an hour: not worth a note */
	in.elapsed_s = 60;
	CU_ASSERT_FALSE(has(d, diagnose(&in, d, SEXEC_DIAG_MAX), "time_limit", NULL));
}

static void test_oom_and_bounds(void)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];
	struct sexec_diag_in in = base();
	int n;

	in.oom_kills = 2;
	in.req_mem_bytes = 64 * GIB; /* no "asked too much" next to an OOM */
	in.peak_mem_bytes = 1 * GIB;
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	CU_ASSERT_TRUE(has(d, n, "oom", "2 processes were killed"));
	CU_ASSERT_FALSE(has(d, n, "memory_request", NULL));
	CU_ASSERT_EQUAL(diagnose(&in, d, 0), 0);
	CU_ASSERT_EQUAL(diagnose(NULL, d, SEXEC_DIAG_MAX), 0);
	CU_ASSERT_EQUAL(diagnose(&in, NULL, SEXEC_DIAG_MAX), 0);
	in.oom_kills = 1;
	n = diagnose(&in, d, 1);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(d[0].kind, "oom");
	CU_ASSERT_TRUE(strstr(d[0].text, "1 process was killed") != NULL);
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("diagnosis", NULL, NULL);
	CU_add_test(s, "a well-sized job gets no note", test_well_sized);
	CU_add_test(s, "class notes: I/O, memory, contention, idle, serial", test_classes);
	CU_add_test(s, "memory request and time limit", test_memory_and_time);
	CU_add_test(s, "OOM kills and bounds", test_oom_and_bounds);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
