// SPDX-License-Identifier: GPL-2.0-or-later
/* The step classification rule of docs/time.md. */
#include <math.h>
#include <stddef.h>

#include "sexec/timeclass.h"

struct sexec_times timeclass_times_us(const int64_t *us)
{
	struct sexec_times t = {
		.on_cpu = (double)us[0] / 1e6,
		.runq = (double)us[1] / 1e6,
		.io = (double)us[2] / 1e6,
		.mem = (double)us[3] / 1e6,
		.sleep = (double)us[4] / 1e6,
	};

	return t;
}

enum sexec_class timeclass(const struct sexec_times *t, double alloc_core_s)
{
	double demand, waits[3];
	enum sexec_class kinds[3] = { SEXEC_CLASS_CPU_CONTENDED, SEXEC_CLASS_IO_BOUND,
				      SEXEC_CLASS_MEMORY_BOUND };
	int i, best = -1;

	if (!t || !isfinite(t->on_cpu) || !isfinite(t->runq) || !isfinite(t->io) ||
	    !isfinite(t->mem) || !isfinite(t->sleep) || t->on_cpu < 0 || t->runq < 0 ||
	    t->io < 0 || t->mem < 0 || t->sleep < 0)
		return SEXEC_CLASS_UNKNOWN;
	/* Demand: time the threads wanted to make progress (sleep left out). */
	demand = t->on_cpu + t->runq + t->io + t->mem;
	if (alloc_core_s > 0 && demand < SEXEC_CLASS_IDLE_USE * alloc_core_s)
		return SEXEC_CLASS_IDLE;
	if (demand <= 0)
		return t->sleep > 0 ? SEXEC_CLASS_IDLE : SEXEC_CLASS_UNKNOWN;
	waits[0] = t->runq;
	waits[1] = t->io;
	waits[2] = t->mem;
	/* The largest wait of at least 30% of demand names the bottleneck. */
	for (i = 0; i < 3; i++)
		if (waits[i] >= SEXEC_CLASS_WAIT_SHARE * demand && (best < 0 || waits[i] > waits[best]))
			best = i;
	if (best >= 0)
		return kinds[best];
	if (t->on_cpu >= SEXEC_CLASS_CPU_SHARE * demand)
		return SEXEC_CLASS_CPU_BOUND;
	return SEXEC_CLASS_MIXED;
}

const char *timeclass_name(enum sexec_class c)
{
	static const char *const names[] = {
		[SEXEC_CLASS_CPU_BOUND] = "cpu_bound",
		[SEXEC_CLASS_IO_BOUND] = "io_bound",
		[SEXEC_CLASS_MEMORY_BOUND] = "memory_bound",
		[SEXEC_CLASS_CPU_CONTENDED] = "cpu_contended",
		[SEXEC_CLASS_IDLE] = "idle",
		[SEXEC_CLASS_MIXED] = "mixed",
	};

	if ((int)c <= 0 || (size_t)c >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return names[c];
}

int timeclass_serial(double busy_core_s, double elapsed_s, double alloc_cpus)
{
	double cores;

	if (!(alloc_cpus >= 2) || !(elapsed_s > 0) || !(busy_core_s >= 0))
		return 0;
	cores = busy_core_s / elapsed_s;
	return cores >= 0.5 && cores <= 1.25;
}
