/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What kind of work a step did, from where its threads' time went and how
 * much of its allocation it used. The rule is in docs/time.md; the CLI, its
 * diagnosis notes and the unit tests share it. */
#ifndef SEXEC_TIMECLASS_H
#define SEXEC_TIMECLASS_H

#include <stdint.h>

enum sexec_class {
	SEXEC_CLASS_UNKNOWN = 0, /* not measured */
	SEXEC_CLASS_CPU_BOUND,
	SEXEC_CLASS_IO_BOUND,
	SEXEC_CLASS_MEMORY_BOUND,
	SEXEC_CLASS_CPU_CONTENDED,
	SEXEC_CLASS_IDLE,
	SEXEC_CLASS_MIXED,
};

/* Thread-seconds in each state, summed over a step's threads. */
struct sexec_times {
	double on_cpu, runq, io, mem, sleep;
};

/* Thresholds of the rule (docs/time.md). */
#define SEXEC_CLASS_IDLE_USE 0.10   /* busy and waiting below 10% of the allocation: idle */
#define SEXEC_CLASS_WAIT_SHARE 0.30 /* a wait (run queue, I/O, memory) of 30% of demand */
#define SEXEC_CLASS_CPU_SHARE 0.70  /* on CPU for 70% of demand: CPU-bound */

/* alloc_core_s: allocated CPUs x elapsed seconds (0 or less: unknown, the
 * idle test is skipped). */
enum sexec_class timeclass(const struct sexec_times *t, double alloc_core_s);
/* The times of a record's microsecond counters, in the order the records keep
 * them: on CPU, run queue, I/O, memory, sleep. */
struct sexec_times timeclass_times_us(const int64_t *us);
/* "cpu_bound", "io_bound", ... ; NULL for SEXEC_CLASS_UNKNOWN. */
const char *timeclass_name(enum sexec_class c);
/* Serial work on several cores: at least 2 CPUs allocated, about one of them
 * busy (0.5 to 1.25 cores on average over elapsed_s) and the rest idle. */
int timeclass_serial(double busy_core_s, double elapsed_s, double alloc_cpus);

#endif
