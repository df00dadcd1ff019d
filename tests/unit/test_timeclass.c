// SPDX-License-Identifier: GPL-2.0-or-later
/* The step classification rule (docs/time.md), case by case and at each
 * threshold. */
#include <math.h>
#include <stdio.h>

#include <CUnit/Basic.h>

#include "sexec/timeclass.h"

static enum sexec_class cls(double on, double rq, double io, double mem, double sl, double alloc)
{
	struct sexec_times t = { on, rq, io, mem, sl };

	return timeclass(&t, alloc);
}

/* The five synthetic workloads of the integration tests, as they come out. */
/* Records keep microseconds in the order on CPU, run queue, I/O, memory, sleep. */
static void test_times_us(void)
{
	const int64_t us[5] = { 1500000, 250000, 3000000, 1, 0 };
	struct sexec_times t = timeclass_times_us(us);

	CU_ASSERT_DOUBLE_EQUAL(t.on_cpu, 1.5, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(t.runq, 0.25, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(t.io, 3.0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(t.mem, 0.000001, 1e-15);
	CU_ASSERT_DOUBLE_EQUAL(t.sleep, 0.0, 0);
	CU_ASSERT_EQUAL(timeclass(&t, 0), SEXEC_CLASS_IO_BOUND);
}

static void test_workloads(void)
{
	/* CPU-bound: 10 s on 1 CPU. */
	CU_ASSERT_EQUAL(cls(9.9, 0.05, 0, 0, 0.05, 10), SEXEC_CLASS_CPU_BOUND);
	/* Throttled writes: mostly blocked on I/O. */
	CU_ASSERT_EQUAL(cls(0.4, 0.01, 5.5, 0, 0.1, 6), SEXEC_CLASS_IO_BOUND);
	/* Sleeping in a 2-CPU allocation. */
	CU_ASSERT_EQUAL(cls(0.01, 0, 0, 0, 10, 20), SEXEC_CLASS_IDLE);
	/* Four busy threads on one CPU: three wait while one runs. */
	CU_ASSERT_EQUAL(cls(10, 30, 0, 0, 0, 10), SEXEC_CLASS_CPU_CONTENDED);
	/* Reclaim under a memory limit. */
	CU_ASSERT_EQUAL(cls(3, 0.1, 1, 6, 0, 10), SEXEC_CLASS_MEMORY_BOUND);
	/* Half CPU, a quarter I/O, a quarter memory: no single bottleneck. */
	CU_ASSERT_EQUAL(cls(5, 0, 2.5, 2.5, 0, 10), SEXEC_CLASS_MIXED);
}

static void test_thresholds(void)
{
	/* Idle: demand below 10% of the allocation, whatever its make-up. */
	CU_ASSERT_EQUAL(cls(0.99, 0, 0, 0, 9, 10), SEXEC_CLASS_IDLE);
	CU_ASSERT_EQUAL(cls(1.0, 0, 0, 0, 9, 10), SEXEC_CLASS_CPU_BOUND);
	CU_ASSERT_EQUAL(cls(0.1, 0, 0.8, 0, 9, 10), SEXEC_CLASS_IDLE);
	/* A wait wins at 30% of demand, not below. */
	CU_ASSERT_EQUAL(cls(7, 0, 3, 0, 0, 10), SEXEC_CLASS_IO_BOUND);
	CU_ASSERT_EQUAL(cls(7.1, 0, 2.9, 0, 0, 10), SEXEC_CLASS_CPU_BOUND);
	/* The largest wait names it. */
	CU_ASSERT_EQUAL(cls(2, 3, 4, 1, 0, 10), SEXEC_CLASS_IO_BOUND);
	CU_ASSERT_EQUAL(cls(2, 4, 3, 1, 0, 10), SEXEC_CLASS_CPU_CONTENDED);
	CU_ASSERT_EQUAL(cls(2, 1, 3, 4, 0, 10), SEXEC_CLASS_MEMORY_BOUND);
	/* CPU-bound needs 70% of demand on CPU. */
	CU_ASSERT_EQUAL(cls(6.9, 1.05, 1.05, 1, 0, 10), SEXEC_CLASS_MIXED);
	/* Sleep never counts against a class. */
	CU_ASSERT_EQUAL(cls(5, 0, 0, 0, 1000, 5), SEXEC_CLASS_CPU_BOUND);
	/* Unknown allocation: no idle test. */
	CU_ASSERT_EQUAL(cls(0.01, 0, 0, 0, 10, 0), SEXEC_CLASS_CPU_BOUND);
	CU_ASSERT_EQUAL(cls(0, 0, 0, 0, 10, 0), SEXEC_CLASS_IDLE);
	CU_ASSERT_EQUAL(cls(0, 0, 0, 0, 0, 0), SEXEC_CLASS_UNKNOWN);
}

static void test_bad_input(void)
{
	CU_ASSERT_EQUAL(timeclass(NULL, 10), SEXEC_CLASS_UNKNOWN);
	CU_ASSERT_EQUAL(cls(NAN, 0, 0, 0, 0, 10), SEXEC_CLASS_UNKNOWN);
	CU_ASSERT_EQUAL(cls(1, INFINITY, 0, 0, 0, 10), SEXEC_CLASS_UNKNOWN);
	CU_ASSERT_EQUAL(cls(1, 0, -1, 0, 0, 10), SEXEC_CLASS_UNKNOWN);
	CU_ASSERT_PTR_NULL(timeclass_name(SEXEC_CLASS_UNKNOWN));
	CU_ASSERT_PTR_NULL(timeclass_name((enum sexec_class)99));
	CU_ASSERT_PTR_NULL(timeclass_name((enum sexec_class)-1));
	CU_ASSERT_STRING_EQUAL(timeclass_name(SEXEC_CLASS_CPU_CONTENDED), "cpu_contended");
	CU_ASSERT_STRING_EQUAL(timeclass_name(SEXEC_CLASS_MEMORY_BOUND), "memory_bound");
}

static void test_serial(void)
{
	/* One core busy out of 16 for the whole run. */
	CU_ASSERT_TRUE(timeclass_serial(3600, 3600, 16));
	CU_ASSERT_TRUE(timeclass_serial(1800, 3600, 2));
	CU_ASSERT_FALSE(timeclass_serial(1799, 3600, 2));
	CU_ASSERT_TRUE(timeclass_serial(4500, 3600, 4));
	CU_ASSERT_FALSE(timeclass_serial(4501, 3600, 4));
	/* One CPU allocated is not "serial on N cores". */
	CU_ASSERT_FALSE(timeclass_serial(3600, 3600, 1));
	CU_ASSERT_FALSE(timeclass_serial(3600, 0, 4));
	CU_ASSERT_FALSE(timeclass_serial(NAN, 3600, 4));
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("step class", NULL, NULL);
	CU_add_test(s, "the synthetic workloads", test_workloads);
	CU_add_test(s, "microsecond counters", test_times_us);
	CU_add_test(s, "thresholds", test_thresholds);
	CU_add_test(s, "bad input", test_bad_input);
	CU_add_test(s, "serial work on several cores", test_serial);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
