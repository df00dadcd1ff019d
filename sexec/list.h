/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Sets of jobs (a listing, or the tasks of an array job): each job's Slurm and sexec figures
 * side by side with a verdict, and the set's totals. */
#ifndef SEXEC_CLI_LIST_H
#define SEXEC_CLI_LIST_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "sexec/record.h"

#include "report.h"

struct cli_opts;
struct json;
struct sexec_conf;
struct list_db;

#define LIST_SEL_MAX 16

struct list_job {
	uint32_t job_id;
	int64_t array_job_id, array_task_id; /* -1 when not an array task */
	const struct sacct_row *sacct;       /* the job's line, NULL when sacct lacks it */
	const struct list_db *db;            /* NULL when not observed */
	int observed, complete, has_time;
	double start_s, elapsed_s, timelimit_s, total_cpu_s, end_s; /* NaN when unknown */
	int64_t alloc_cpus, req_mem, max_rss; /* Slurm's; -1 when unknown */
	int64_t time_us[SEXEC_TIME_N];
	int64_t cpu_us, mem_peak, oom_kills, processes, lost; /* observed; -1 when unknown */
	char verdict_kind[24]; /* a diagnosis kind, or ok, unmeasured, not_observed */
	char verdict[320];     /* the first note's text */
	char summary[200];     /* every note in a few words, for one line */
	int nnotes;
};

struct list_set {
	int64_t array_job_id; /* -1 for a listing */
	char user[64];        /* the listing's user, "" for all */
	time_t from, to;
	int sacct_available;
	struct sacct_row *sacct_rows;
	size_t nsacct;
	struct list_db *db_rows;
	size_t ndb;
	struct list_job *jobs; /* by start (array tasks by task id) */
	size_t njobs;
	struct rep_tool *tools; /* array: summed over the tasks */
	size_t ntools;
	struct rep_cost cost;
	char **warnings;
	size_t nwarnings;
};

/* sacct's answer already had for the set: its rows (handed over) or its failure. */
struct list_sacct {
	struct sacct_row *rows;
	size_t nrows;
	int ret;         /* 0 or -errno of sacct_query() */
	const char *err; /* the reason when ret is not 0 */
};

/* Ask sacct (unless pre holds its answer) and the database for the set: with array_job >= 0 that array's tasks, else the
 * jobs o's filters select. Source failures land in *db_ret / *sacct_ret with reasons; the
 * return value is an exit code (EXIT_SHOWN to go on). */
int list_collect(const struct cli_opts *o, const struct sexec_conf *conf, int64_t array_job,
		 struct list_sacct *pre, struct list_set *set, int *db_ret, char *db_err, int *sacct_ret, char *sacct_err,
		 size_t errlen);
/* The exit code once both sources were asked; warnings are added to set. */
int list_decide(struct list_set *set, int db_ret, const char *db_err, int sacct_ret,
		const char *sacct_err, int empty_is_error, const char *what);
void list_set_free(struct list_set *set);

/* `sexec 123` of an array job: its tasks listed and added up, from sacct's answer for the job
 * id when it was already asked (pre, whose rows are handed over; NULL: ask). Returns an exit
 * code. */
int list_array_show(const struct cli_opts *o, const struct sexec_conf *conf, uint32_t array_job,
		    struct list_sacct *pre, FILE *out);

const char *list_name(const struct list_job *j);
/* CPU busy as a share of the allocation (on-CPU time, else CPU time); NaN when unknown. */
double list_busy_share(const struct list_job *j);
void list_text_table(const struct list_set *set, FILE *f, int color);
void list_json_job(struct json *js, const struct list_job *j);

#endif
