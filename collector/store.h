/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PostgreSQL writer: records are queued by the event loop and written by
 * a thread of their own, so a slow or absent database never stalls tracking. */
#ifndef SEXEC_STORE_H
#define SEXEC_STORE_H

#include <stdint.h>

#include "sexec/conf.h"
#include "sexec/record.h"

struct store;

/* One finished process, as the tracker assembled it. Times are Unix µs. */
struct proc_rec {
	const struct sexec_step_info *step;
	const char *step_name;
	uint32_t task_id; /* SEXEC_NO_VAL when unknown */
	uint32_t pid, ppid;
	uint64_t start_us, end_us;
	const char *exe;
	const char *argv; /* NUL-separated */
	uint32_t argv_len;
	int argv_trunc;
	const char *tool;
	const char *cwd; /* NULL when unknown */
	uint32_t uid;
	uint64_t user_us, sys_us, total_us;
	uint32_t status; /* wait status */
	uint32_t threads;
	uint64_t rss_peak_kb;
	uint64_t read_bytes, write_bytes, rchar, wchar, syscr, syscw;
	uint64_t vol_ctxsw, invol_ctxsw, minflt, majflt;
	int has_time; /* time_us measured (the kernel has what it needs) */
	uint64_t time_us[SEXEC_TIME_N];
	int has_net;
	uint64_t net_tx, net_rx;
	int oom_killed;
};

struct node_rec {
	const char *cluster, *node, *kernel, *cgroup_mode, *version;
	int sockets, cores, pus, numa_nodes, gpus;
	uint64_t mem_mb;
};

/* What a job belongs to, worked out once its first task registers. */
struct job_meta {
	const char *cluster;
	uint32_t job_id;
	const char *pipeline, *run, *workflow, *task;
	const char *labels; /* "k=v,k=v" */
	const char *work_dir, *comment;
	const char *tres; /* allocated TRES, "cpu=2,...,billing=2,gres/gpu=1"; "" = unknown */
};

/* What a step's processes without a row (per-step cap, full spool) add to
 * one tool's totals. */
struct tool_drop {
	char tool[64];
	uint64_t processes, cpu_user_us, cpu_sys_us, wall_us, rss_peak_kb;
	double rss_kb_us;
	uint64_t read_bytes, write_bytes;
	uint64_t time_us[SEXEC_TIME_N];
	uint64_t net_tx, net_rx, oom_kills;
	uint64_t short_processes, short_cpu_us; /* those that lived less than a second */
};

struct store_stats {
	uint64_t rows_written;  /* process rows committed */
	uint64_t ops_written;   /* job/step/task statements committed */
	uint64_t queued;        /* rows and statements waiting */
	uint64_t dropped;       /* given up because the queue was full */
	uint64_t rows_folded;   /* process rows refused for lack of room (kept as tool totals) */
	uint64_t db_failures;   /* failed connects or flushes */
	uint64_t journal_errors; /* ops that could not be journaled (kept in memory) */
	int connected;
};

struct store *create_store(const struct sexec_conf *conf);
void destroy_store(struct store *s); /* writes what it can (bounded wait), then stops */

void store_put_node(struct store *s, const struct node_rec *n);
void store_put_step_begin(struct store *s, const struct sexec_step_info *st, const char *step,
			  uint64_t start_us);
void store_put_task_begin(struct store *s, const struct sexec_step_info *st, const char *step,
			  const struct sexec_task_info *t, uint64_t start_us);
void store_put_task_end(struct store *s, const struct sexec_step_info *st, const char *step,
			uint32_t task_id, uint64_t end_us, int32_t status);
void store_put_step_end(struct store *s, const struct sexec_step_info *st, const char *step,
			uint64_t end_us, uint64_t lost_events, uint64_t lost_tracking, int complete);
void store_put_job_meta(struct store *s, const struct job_meta *m);
/* At step end, after its end: per-tool totals (from the rows, plus drops),
 * the step's process count and the rows given up, then its cost. */
void store_put_step_rollup(struct store *s, const struct sexec_step_info *st, const char *step,
			   uint64_t end_us, const struct tool_drop *drops, size_t ndrops,
			   uint64_t processes, uint64_t rows_dropped);
/* 0, or -ENOSPC when the spool (or the memory queue) is full: the caller
 * folds the process into its tool's totals instead. */
int store_put_process(struct store *s, const struct proc_rec *p);
/* At step end: time per state, cgroup statistics and PSI as a value list
 * (the order of OP_STEP_TIMES in store.c; empty items are NULL). */
void store_put_step_times(struct store *s, const struct sexec_step_info *st, const char *step,
			  uint64_t end_us, const char *vals);
/* Busy time per CPU: comma lists of CPUs, cores, sockets, NUMA nodes,
 * allocated (1/0) and busy µs. */
void store_put_step_cpus(struct store *s, const struct sexec_step_info *st, const char *step,
			 uint64_t end_us, const char *const lists[6]);
/* A timeline sample (value list in the order of sexec.sample). */
void store_put_sample(struct store *s, const struct sexec_step_info *st, const char *step,
		      uint64_t t_us, const char *vals);
void store_get_stats(struct store *s, struct store_stats *out);

#endif
