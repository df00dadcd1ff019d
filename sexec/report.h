/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the sexec CLI knows about one job, gathered from the database and sacct, before it is
 * rendered as text or JSON. Later views (time breakdown, cost, diagnosis) read the same model. */
#ifndef SEXEC_CLI_REPORT_H
#define SEXEC_CLI_REPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "sexec/proctree.h"
#include "sexec/record.h"
#include "sexec/slurmfmt.h"
#include "sexec/timeclass.h"

/* Unknown numbers: NaN for seconds (double), -1 for counts and bytes (int64_t). */

/* One line of sacct output. */
struct sacct_row {
	char step[SEXEC_STEP_NAME_MAX]; /* "" for the job's own line */
	uint32_t job_id;                /* from JobIDRaw: an array task's own job id */
	int64_t array_job_id;           /* from JobID "123_4", -1 when not an array task */
	int64_t array_task_id;
	int64_t het_job_id;             /* from JobID "123+1", -1 when not a het component */
	int64_t het_offset;
	char *jobid;                    /* JobID as sacct printed it */
	char *name, *state, *exit_code, *partition, *account, *user, *nodelist, *start, *end;
	double elapsed_s, total_cpu_s, timelimit_s;
	int64_t alloc_cpus, req_mem_bytes, max_rss_bytes;
};

/* The job row in sexec.job. */
struct db_job {
	char *cluster;
	uint32_t job_id;
	int64_t array_job_id, array_task_id; /* -1 when not an array task */
	char *user, *name, *partition, *account;
	int64_t restarts;
	char *first_seen; /* ISO-8601 UTC */
	/* Attribution (NULL when none): labels as "k=v,k=v" sorted by key. */
	char *pipeline, *run, *workflow, *workflow_task, *labels;
};

/* One sexec.step row (a step on one node) with its processes summed up. */
struct db_step_node {
	char step[SEXEC_STEP_NAME_MAX];
	char *node;
	int64_t alloc_cpus, ntasks;
	int64_t lost_events, lost_tracking;
	int complete;
	int has_row;     /* a sexec.step row exists (processes may come without one) */
	int64_t processes;
	int64_t cpu_user_us, cpu_sys_us;
	int has_time; /* the time breakdown was measured */
	int64_t time_us[SEXEC_TIME_N]; /* on CPU, run queue, I/O, memory, sleep */
	double elapsed_s;              /* summed over its runs; NaN while running */
	/* cgroup statistics and pressure; -1 when not measured */
	int64_t mem_peak, mem_limit, oom_kills, io_read, io_write;
	int64_t psi_cpu_us, psi_io_us, psi_mem_us, psi_mem_full_us;
	double start_s, end_s; /* seconds since the epoch; NaN when unknown or running */
};

/* One observed process (sexec.process). */
#define REP_PROC_NCOUNTERS 14
/* JSON keys (and database columns) of rep_proc.counters. */
extern const char *const rep_proc_counter_names[REP_PROC_NCOUNTERS];

struct rep_proc {
	char step[SEXEC_STEP_NAME_MAX];
	int64_t pid, ppid, task; /* ppid and task -1 when NULL */
	char *node, *exe, *tool; /* exe and tool may be NULL */
	char **argv;
	size_t argc;
	int argv_truncated;
	char *start, *end; /* ISO-8601 UTC with microseconds */
	int64_t cpu_user_us, cpu_sys_us;
	double wall_s;
	int has_exit_code; /* exit_code is NULL in the DB when killed by a signal */
	int exit_code, signal, core_dumped;
	/* Kernel accounting at exit, in the order of rep_proc_counter_names;
	 * -1 when the database has NULL. */
	int64_t counters[REP_PROC_NCOUNTERS];
	char *cwd; /* may be NULL */
	int has_time;
	int64_t time_us[SEXEC_TIME_N];
	int oom_killed;
};

/* A job's process tree, compact (no argv): enough to draw it collapsed. */
struct rep_ptree {
	struct ptree_proc *procs; /* by group, then start; linked by ptree_build() */
	size_t nprocs;
	char **names;  /* the interned process names */
	size_t nnames;
	char **groups; /* "STEP NODE" of each group */
	size_t ngroups;
};

/* Busy time of a step on one CPU of one node (sexec.step_cpu). */
struct rep_cpu {
	char step[SEXEC_STEP_NAME_MAX];
	char *node;
	int cpu, core, socket, numa; /* -1 when unknown */
	int allocated;
	int64_t busy_us;
};

/* One step of the report: the database's nodes merged, next to sacct's line for it. */
struct rep_step {
	char step[SEXEC_STEP_NAME_MAX];
	char **nodes;
	size_t nnodes;
	int observed; /* sexec has rows for it */
	int64_t processes, cpu_user_us, cpu_sys_us;
	int complete; /* every node's step row is complete */
	int64_t lost_events, lost_tracking;
	const struct sacct_row *sacct; /* NULL when sacct has no line for it */
	int has_time;
	int64_t time_us[SEXEC_TIME_N]; /* thread time per state, all nodes */
	double elapsed_s;    /* longest over its nodes; NaN when unknown */
	double alloc_core_s; /* allocated CPUs x elapsed, summed over nodes; NaN when unknown */
	int64_t mem_peak, mem_limit, oom_kills, io_read, io_write;
	int64_t psi_cpu_us, psi_io_us, psi_mem_us, psi_mem_full_us;
	double start_s, end_s; /* first start and last end over its nodes (epoch s); NaN */
};

/* One timeline sample of a step on a node (sexec.sample): cumulative counters since the
 * step began there; rates are differences between neighbours. -1 where not measured. */
#define REP_SAMPLE_NCOUNTERS 12
extern const char *const rep_sample_counter_names[REP_SAMPLE_NCOUNTERS];
enum {
	REP_S_ON_CPU, REP_S_RUNQ, REP_S_IO, REP_S_MEM, REP_S_SLEEP, REP_S_CG_CPU, REP_S_RSS,
	REP_S_IO_READ, REP_S_IO_WRITE, REP_S_PSI_CPU, REP_S_PSI_IO, REP_S_PSI_MEM,
};

struct rep_sample {
	char step[SEXEC_STEP_NAME_MAX];
	char *node;
	int64_t restart;
	double t; /* seconds since the epoch */
	int64_t v[REP_SAMPLE_NCOUNTERS]; /* microseconds, bytes for RSS and I/O */
};

/* One tool's totals over the job (sexec.step_tool, all steps and nodes). */
struct rep_tool {
	char *tool; /* "" when no tool was recognised */
	int64_t processes, rows_dropped, cpu_us, wall_us, rss_peak_kb, read_bytes, write_bytes;
	int64_t io_us, demand_us; /* blocked on I/O, and on CPU + run queue + I/O + memory; -1 */
	double cost;              /* used cost at its steps' rates; NaN without rates */
	int64_t short_processes, short_cpu_us; /* lived less than 1 s; -1 when not counted */
};

/* The job's cost (sexec.step_cost): allocation from the step that spans it on
 * each node (extern, else batch, else every step), use from every step.
 * NAN where unknown (no rates, or not computed). */
struct rep_cost {
	int known; /* the job has cost rows */
	char *currency;
	double alloc_core_h, used_core_h, alloc_gb_h, used_gb_h;
	double alloc_cost, used_cost, idle_cost;
};

struct report {
	struct slurmfmt_jobsel sel;
	const char *selector; /* as the user typed it */
	uint32_t job_id;      /* resolved: an array task's own job id */
	const char *cluster;  /* the job's cluster (database), else the configured one */

	int observed;
	struct db_job job; /* valid when observed */

	int sacct_available;  /* sacct ran and exited 0 */
	struct sacct_row *sacct_rows;
	size_t nsacct;
	const struct sacct_row *sacct_job; /* the job's own line, NULL when sacct lacks it */

	struct rep_step *steps;
	size_t nsteps;

	int color;         /* colour the text (a terminal without NO_COLOR, or --color) */
	int utf8;          /* the terminal takes UTF-8 (block characters in bars) */
	int all_tools;     /* --tools: every tool, not the top ones */
	int with_timeline; /* --timeline */

	int with_processes; /* every process (--json, --csv, --html) */
	long procs_limit;   /* >= 0: only that many, the longest (--html) */
	struct rep_proc *procs;
	size_t nprocs;
	size_t procs_total; /* processes in all, also those not read */
	/* Set instead of procs for --json/--csv --processes: calls cb on every process,
	 * straight from the database; returns 0, cb's non-zero return or -errno. */
	int (*proc_stream)(const struct report *r, int (*cb)(const struct rep_proc *p, void *arg),
			   void *arg);
	void *proc_stream_ctx;
	int with_tree;      /* the collapsed process tree (--processes as text) */
	struct rep_ptree tree;

	struct rep_cpu *cpus; /* busy time per CPU, by step, node and CPU */
	size_t ncpus;

	int with_samples;
	struct rep_sample *samples; /* by step, node, restart, time */
	size_t nsamples;

	struct rep_tool *tools; /* by CPU time, largest first */
	size_t ntools;
	struct rep_cost cost;

	char **warnings;
	size_t nwarnings;
};

/* Append a formatted warning to a list of them (also the listing's). 0 or -ENOMEM. */
int warnings_vadd(char ***warnings, size_t *n, const char *fmt, va_list ap);

/* Add a printf-formatted warning. Returns 0 or -ENOMEM. */
int report_add_warning(struct report *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Merge database step rows and sacct lines into r->steps, sorted by slurmfmt_step_cmp(), and
 * keep only sel.step when the user named one. Returns 0 or -ENOMEM. */
int report_build_steps(struct report *r, const struct db_step_node *dbs, size_t ndbs);

/* Observed CPU (observed_s) against sacct's TotalCPU (total_s): one sentence in buf, such as
 * "consistent" or "sexec saw 40% more (...)". Returns 1 when they agree, else 0. */
int report_cpu_verdict(double observed_s, double total_s, char *buf, size_t len);

/* A step's class from its time breakdown (docs/time.md); SEXEC_CLASS_UNKNOWN when the
 * breakdown was not measured. */
enum sexec_class report_step_class(const struct rep_step *s);

/* The job's diagnosis notes (lib/diagnose.c) from its steps' time, memory and OOM kills next
 * to what Slurm says was asked for. Returns how many were written to d (at most max). */
struct sexec_diag;
int report_diagnose(const struct report *r, struct sexec_diag *d, int max);

void report_free(struct report *r);

void sacct_row_free(struct sacct_row *row);
void db_job_free(struct db_job *job);
void rep_proc_free(struct rep_proc *p);
void rep_ptree_free(struct rep_ptree *t);

#endif
