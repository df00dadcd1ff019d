/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Diagnosis notes: what a job's record says should change, as one sentence
 * each with concrete advice. Pure rules over the job's figures, shared by
 * the CLI and the unit tests; the thresholds are in docs/time.md. */
#ifndef SEXEC_DIAGNOSE_H
#define SEXEC_DIAGNOSE_H

#include <stddef.h>

#include "sexec/timeclass.h"

/* Unknown figures are NaN (or a negative count). */
struct sexec_diag_in {
	int have_time;        /* t is measured */
	struct sexec_times t; /* thread time per state, summed over the job's steps */
	double alloc_cpus;    /* the job's allocated CPUs */
	double elapsed_s;     /* the job's run time */
	double timelimit_s;   /* its time limit (NaN: none or unlimited) */
	double req_mem_bytes; /* memory requested for the whole job */
	double peak_mem_bytes; /* the largest memory use seen (cgroup peak or MaxRSS) */
	long oom_kills;       /* processes the OOM killer chose */
};

struct sexec_diag {
	char kind[24]; /* io_bound, memory_bound, cpu_contended, idle, serial,
			* memory_request, time_limit, oom */
	char text[320];
};

#define SEXEC_DIAG_MAX 8
/* Class notes need this much demand (s), an idle note this much allocation
 * (core-s): smaller jobs say too little to advise on. */
#define SEXEC_DIAG_MIN_DEMAND_S 1.0
#define SEXEC_DIAG_MIN_ALLOC_S 5.0

/* Fill up to max notes; returns how many. */
int diagnose(const struct sexec_diag_in *in, struct sexec_diag *out, int max);

#endif
