// SPDX-License-Identifier: GPL-2.0-or-later
/* The diagnosis rules of docs/time.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sexec/diagnose.h"
#include "sexec/slurmfmt.h"

#define GIB (1024.0 * 1024.0 * 1024.0)
#define MIB (1024.0 * 1024.0)

static void add(struct sexec_diag *out, int max, int *n, const char *kind, const char *text)
{
	if (*n >= max)
		return;
	snprintf(out[*n].kind, sizeof(out[*n].kind), "%s", kind);
	snprintf(out[*n].text, sizeof(out[*n].text), "%s", text);
	(*n)++;
}

/* A request with some headroom over a peak: 1.25 x peak, rounded up to
 * 256 MiB below 4 GiB and to whole GiB above, as Slurm's --mem takes it. */
static void mem_suggestion(double peak, char *buf, size_t len)
{
	double want = peak * 1.25;

	if (want < 4 * GIB) {
		double m = ceil(want / (256 * MIB)) * 256;

		if (m < 256)
			m = 256;
		if (fmod(m, 1024) == 0)
			snprintf(buf, len, "%.0fG", m / 1024);
		else
			snprintf(buf, len, "%.0fM", m);
	} else {
		snprintf(buf, len, "%.0fG", ceil(want / GIB));
	}
}

/* A limit with headroom over a run time: 1.5 x used, rounded up to 15 min. */
static void time_suggestion(double used, char *buf, size_t len)
{
	double mins = ceil(used * 1.5 / 60 / 15) * 15;

	if (mins < 15)
		mins = 15;
	snprintf(buf, len, "%02.0f:%02.0f:00", floor(mins / 60), fmod(mins, 60));
}

int diagnose(const struct sexec_diag_in *in, struct sexec_diag *out, int max)
{
	char text[320], a[32], b[32], c[32];
	double demand, alloc_core_s, busy;
	enum sexec_class cls = SEXEC_CLASS_UNKNOWN;
	int n = 0;

	if (!in || !out || max <= 0)
		return 0;
	alloc_core_s = in->alloc_cpus > 0 && in->elapsed_s > 0 ? in->alloc_cpus * in->elapsed_s : 0;
	if (in->have_time) {
		cls = timeclass(&in->t, alloc_core_s);
		demand = in->t.on_cpu + in->t.runq + in->t.io + in->t.mem;
		busy = in->t.on_cpu;
		/* A few milliseconds of work say nothing about the job. */
		if (cls != SEXEC_CLASS_IDLE && demand < SEXEC_DIAG_MIN_DEMAND_S)
			cls = SEXEC_CLASS_UNKNOWN;
		if (cls == SEXEC_CLASS_IDLE && alloc_core_s < SEXEC_DIAG_MIN_ALLOC_S)
			cls = SEXEC_CLASS_UNKNOWN;
		switch (cls) {
		case SEXEC_CLASS_IO_BOUND:
			snprintf(text, sizeof(text),
				 "I/O-bound: tasks spent %.0f%% of their time blocked on I/O while CPU "
				 "use was %.0f%% of the allocation. Stage input to local scratch, or "
				 "request fewer CPUs.",
				 100 * in->t.io / demand,
				 alloc_core_s > 0 ? 100 * busy / alloc_core_s : 100 * busy / demand);
			add(out, max, &n, "io_bound", text);
			break;
		case SEXEC_CLASS_MEMORY_BOUND:
			snprintf(text, sizeof(text),
				 "Memory-bound: tasks spent %.0f%% of their time stalled on memory "
				 "(reclaim, refaults). Request more memory (--mem), or read and write "
				 "less at a time.",
				 100 * in->t.mem / demand);
			add(out, max, &n, "memory_bound", text);
			break;
		case SEXEC_CLASS_CPU_CONTENDED:
			snprintf(text, sizeof(text),
				 "CPU-contended: runnable threads waited %.0f%% of their time for a "
				 "CPU. Request more CPUs (--cpus-per-task), or start fewer threads.",
				 100 * in->t.runq / demand);
			add(out, max, &n, "cpu_contended", text);
			break;
		case SEXEC_CLASS_IDLE:
			/* One busy core of many is the more useful thing to say. */
			if (timeclass_serial(busy, in->elapsed_s, in->alloc_cpus))
				break;
			snprintf(text, sizeof(text),
				 "Idle allocation: %.0f%% of the %.0f allocated CPUs' time went unused. "
				 "Request fewer CPUs, or a shorter time.",
				 alloc_core_s > 0 ? 100 * (1 - busy / alloc_core_s) : 100.0,
				 in->alloc_cpus);
			add(out, max, &n, "idle", text);
			break;
		default:
			break;
		}
		if (timeclass_serial(busy, in->elapsed_s, in->alloc_cpus)) {
			snprintf(text, sizeof(text),
				 "Serial work on %.0f cores: about one core was busy. Request "
				 "--cpus-per-task=1, or make the work parallel.",
				 in->alloc_cpus);
			add(out, max, &n, "serial", text);
		}
	}
	if (in->oom_kills > 0) {
		snprintf(text, sizeof(text),
			 "OOM: %ld process%s killed for lack of memory. Request more memory "
			 "(--mem).",
			 in->oom_kills, in->oom_kills == 1 ? " was" : "es were");
		add(out, max, &n, "oom", text);
	}
	/* Over-requested memory: at least 1 GiB asked, under half used, and at
	 * least 512 MiB to give back. */
	if (in->oom_kills <= 0 && in->req_mem_bytes >= GIB && in->peak_mem_bytes > 0 &&
	    in->peak_mem_bytes < in->req_mem_bytes / 2 &&
	    in->req_mem_bytes - in->peak_mem_bytes >= 512 * MIB) {
		slurmfmt_fmt_bytes((int64_t)in->req_mem_bytes, a, sizeof(a));
		slurmfmt_fmt_bytes((int64_t)in->peak_mem_bytes, b, sizeof(b));
		mem_suggestion(in->peak_mem_bytes, c, sizeof(c));
		snprintf(text, sizeof(text), "Requested %s, peak %s: use --mem=%s.", a, b, c);
		add(out, max, &n, "memory_request", text);
	}
	/* A long limit mostly unused: at least an hour, a quarter used. */
	if (in->timelimit_s >= 3600 && in->elapsed_s >= 0 && in->elapsed_s < in->timelimit_s / 4) {
		slurmfmt_fmt_duration(in->timelimit_s, a, sizeof(a));
		slurmfmt_fmt_duration(in->elapsed_s, b, sizeof(b));
		time_suggestion(in->elapsed_s, c, sizeof(c));
		snprintf(text, sizeof(text),
			 "Time limit %s, used %s: request --time=%s; shorter jobs start sooner.", a,
			 b, c);
		add(out, max, &n, "time_limit", text);
	}
	return n;
}
