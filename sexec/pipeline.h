/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sexec --pipeline: one run of a pipeline across its jobs, summed per workflow task and per
 * tool by the database (db_pipeline.c), with the critical path inferred here (pipeline.c). */
#ifndef SEXEC_CLI_PIPELINE_H
#define SEXEC_CLI_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "sexec/record.h"

struct db;

/* A job on the critical path ended at most this long after the next one started: stamps of
 * two nodes may disagree a little. Longer overlaps mean the jobs ran side by side. */
#define PIPELINE_PATH_TOLERANCE_S 1.0
/* Runs named when the one asked for does not exist. */
#define PIPELINE_RUNS_LISTED 5

/* One run of a pipeline, as far as row-level security lets the caller see it. */
struct pipe_run {
	char *run;       /* "" for the pipeline's jobs without a run */
	int64_t jobs;
	double start_s;  /* epoch of its first step's start; NaN when no step is recorded */
};

/* The jobs of one workflow task, or of the whole run (task NULL). Unknown: NaN or -1. */
struct pipe_sum {
	char *task;           /* "" for jobs without a task */
	char *workflows;      /* the engines, comma-separated (the whole run only) */
	int64_t jobs, running, processes;
	double start_s, end_s; /* first start, last end of its ended jobs (epoch) */
	double wall_s;        /* the ended jobs' elapsed times added up */
	double cpu_s;         /* user + system CPU of every process */
	double alloc_core_s;  /* allocated CPUs x elapsed, per job, node and requeue */
	int has_time;         /* some step had the time breakdown measured */
	int64_t time_us[SEXEC_TIME_N];
	int cost_known;       /* some job has a cost record */
	char *currency;       /* NULL: no rate applied, or several currencies */
	double alloc_cost, used_cost, idle_cost;
};

struct pipe_tool {
	char *tool;           /* "" when no rule named the processes */
	int64_t processes, rows_dropped, rss_peak_kb;
	double cpu_s, wall_s;
	double io_share;      /* of demand (on CPU + run queue + I/O + memory); NaN: unmeasured */
	char *currency;
	double used_cost;     /* its CPU- and GB-hours at its steps' rates; NaN when none applied */
};

struct pipe_job {
	char *cluster, *task;
	uint32_t job_id;
	double start_s, end_s; /* epoch; end NaN while a step is still running */
};

/* Each returns 0 or -errno as db.h says, with a one-line reason in err. */

/* The pipeline's runs, latest first (by their first step's start), at most limit of them;
 * *total counts them all. No run at all: -ENOENT. */
int db_pipeline_runs(struct db *d, const char *pipeline, size_t limit, struct pipe_run **out,
		     size_t *n, size_t *total, char *err, size_t errlen);
void pipe_runs_free(struct pipe_run *r, size_t n);
/* 0 when the pipeline has a job in this run, else -ENOENT. */
int db_pipeline_has_run(struct db *d, const char *pipeline, const char *run, char *err,
			size_t errlen);

/* The run's totals and its tasks, in the order they first started. */
int db_pipeline_tasks(struct db *d, const char *pipeline, const char *run, struct pipe_sum *total,
		      struct pipe_sum **tasks, size_t *n, char *err, size_t errlen);
void pipe_sum_free(struct pipe_sum *s);
/* The run's tools, most CPU first. */
int db_pipeline_tools(struct db *d, const char *pipeline, const char *run, struct pipe_tool **out,
		      size_t *n, char *err, size_t errlen);
void pipe_tools_free(struct pipe_tool *t, size_t n);
/* Every job of the run with its start and end, for the critical path. */
int db_pipeline_jobs(struct db *d, const char *pipeline, const char *run, struct pipe_job **out,
		     size_t *n, char *err, size_t errlen);
void pipe_jobs_free(struct pipe_job *j, size_t n);

#endif
