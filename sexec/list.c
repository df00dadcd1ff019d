// SPDX-License-Identifier: GPL-2.0-or-later
/* Sets of jobs: `sexec` without a job id lists the caller's recent jobs (or those the sacct-like
 * filters select), and `sexec 123` of an array job aggregates its tasks. Each job is one line
 * with a verdict: the first diagnosis note of its figures, or "ok". sacct gives Slurm's view
 * of every job; the database gives what was observed; either may be missing. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sexec/conf.h"
#include "sexec/diagnose.h"
#include "sexec/slurmfmt.h"
#include "sexec/timeclass.h"

#include "cli.h"
#include "db.h"
#include "dbq.h"
#include "json.h"
#include "list.h"
#include "render.h"
#include "sacct.h"

#define LIST_ERR_MAX 1024
#define LIST_DEFAULT_START "now-7days"

/* What the database observed of one job, summed over its steps and nodes. */
struct list_db {
	uint32_t job_id;
	int64_t array_job_id, array_task_id;
	char *cluster, *user, *name, *partition, *account;
	double start_s, end_s; /* epoch; NaN when unknown or still running */
	int has_time;
	int64_t time_us[SEXEC_TIME_N];
	int64_t alloc_cpus, processes, cpu_us, mem_peak, oom_kills, lost;
	int complete;
};

static void list_db_free(struct list_db *d)
{
	free(d->cluster);
	free(d->user);
	free(d->name);
	free(d->partition);
	free(d->account);
}

/* Jobs in the database: with array_job >= 0, that array's tasks (or the job of that id);
 * else those the filters select in [from, to). */
static int list_db_query(struct db *d, const struct cli_opts *o, const char *cluster,
			 const char *user, int64_t array_job, time_t from, time_t to,
			 struct list_db **out, size_t *n, char *err, size_t errlen)
{
	static const char sql[] =
		"WITH j AS (SELECT cluster, job_id, array_job_id, array_task_id, user_name, "
		"job_name, partition, account, first_seen FROM sexec.job "
		"WHERE ($1 = '' OR cluster = $1) AND CASE WHEN $2 <> '' THEN "
		"(array_job_id = $2::bigint OR job_id = $2::bigint) ELSE "
		"(($3 = '' OR user_name = $3) AND ($4 = '' OR account = $4) AND "
		"($5 = '' OR partition = $5)) END), "
		"s AS (SELECT st.cluster, st.job_id, min(st.start_time) AS t0, "
		"CASE WHEN bool_and(st.end_time IS NOT NULL) THEN max(st.end_time) END AS t1, "
		"count(st.on_cpu_us) AS nt, sum(st.on_cpu_us)::bigint AS oc, "
		"sum(st.runq_us)::bigint AS rq, sum(st.io_us)::bigint AS io, "
		"sum(st.mem_us)::bigint AS mem, sum(st.sleep_us)::bigint AS sl, "
		"max(st.alloc_cpus) AS ac, max(st.cg_mem_peak_bytes) AS mp, "
		"sum(st.oom_kills)::bigint AS oom, sum(st.processes)::bigint AS np, "
		"sum(st.lost_events + st.lost_tracking)::bigint AS lost, "
		"bool_and(st.complete) AS cpl FROM sexec.step st JOIN j USING (cluster, job_id) "
		"GROUP BY 1, 2), "
		"t AS (SELECT tl.cluster, tl.job_id, sum(tl.cpu_user_us + tl.cpu_sys_us)::bigint AS cpu "
		"FROM sexec.step_tool tl JOIN j USING (cluster, job_id) GROUP BY 1, 2) "
		"SELECT j.job_id, j.array_job_id, j.array_task_id, j.user_name, j.job_name, "
		"j.partition, j.account, extract(epoch FROM s.t0), extract(epoch FROM s.t1), "
		"s.nt, s.oc, s.rq, s.io, s.mem, s.sl, s.ac, t.cpu, s.mp, s.oom, s.np, s.lost, s.cpl, "
		"j.cluster "
		"FROM j LEFT JOIN s USING (cluster, job_id) LEFT JOIN t USING (cluster, job_id) "
		"WHERE $2 <> '' OR (coalesce(s.t0, j.first_seen) < to_timestamp($7::double precision) "
		"AND coalesce(s.t1, now()) >= to_timestamp($6::double precision)) "
		"ORDER BY coalesce(s.t0, j.first_seen), j.job_id";
	char arr[24] = "", tfrom[32], tto[32];
	const char *params[7];
	struct list_db *v = NULL;
	PGresult *res = NULL;
	int ret, i, k, rows, oom = 0;

	if (array_job >= 0)
		snprintf(arr, sizeof(arr), "%lld", (long long)array_job);
	snprintf(tfrom, sizeof(tfrom), "%lld", (long long)from);
	snprintf(tto, sizeof(tto), "%lld", (long long)to);
	params[0] = cluster ? cluster : "";
	params[1] = arr;
	params[2] = user ? user : "";
	params[3] = o->account ? o->account : "";
	params[4] = o->partition ? o->partition : "";
	params[5] = tfrom;
	params[6] = tto;
	ret = db_query(d, sql, 7, params, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	v = calloc(rows ? (size_t)rows : 1, sizeof(*v));
	if (!v) {
		PQclear(res);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < rows; i++) {
		struct list_db *x = &v[i];

		x->job_id = (uint32_t)db_int(res, i, 0, 0);
		x->array_job_id = db_int(res, i, 1, -1);
		x->array_task_id = db_int(res, i, 2, -1);
		x->user = db_str(res, i, 3, &oom);
		x->name = db_str(res, i, 4, &oom);
		x->partition = db_str(res, i, 5, &oom);
		x->account = db_str(res, i, 6, &oom);
		x->start_s = db_num(res, i, 7);
		x->end_s = db_num(res, i, 8);
		x->has_time = db_int(res, i, 9, 0) > 0;
		for (k = 0; k < SEXEC_TIME_N; k++)
			x->time_us[k] = db_int(res, i, 10 + k, 0);
		x->alloc_cpus = db_int(res, i, 15, -1);
		x->cpu_us = db_int(res, i, 16, -1);
		x->mem_peak = db_int(res, i, 17, -1);
		x->oom_kills = db_int(res, i, 18, -1);
		x->processes = db_int(res, i, 19, -1);
		x->lost = db_int(res, i, 20, 0);
		x->complete = db_bool(res, i, 21);
		x->cluster = db_str(res, i, 22, &oom);
	}
	PQclear(res);
	if (oom) {
		for (i = 0; i < rows; i++)
			list_db_free(&v[i]);
		free(v);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = v;
	*n = (size_t)rows;
	return 0;
}

static int list_job_order(const void *a, const void *b)
{
	const struct list_job *x = a, *y = b;
	double sx = isfinite(x->start_s) ? x->start_s : INFINITY;
	double sy = isfinite(y->start_s) ? y->start_s : INFINITY;

	if (x->array_job_id >= 0 && x->array_job_id == y->array_job_id)
		return x->array_task_id < y->array_task_id ? -1 :
		       x->array_task_id > y->array_task_id;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->job_id < y->job_id ? -1 : x->job_id > y->job_id;
}

/* "2026-11-24T03:50:07" (sacct's local time) as epoch seconds; NaN for "Unknown" and such. */
static double list_sacct_time(const char *s)
{
	time_t t;

	if (!s || slurmfmt_parse_time(s, 0, &t))
		return NAN;
	return (double)t;
}

/* The job of that id, NULL when the set has none. From the last: sacct lists a job's steps
 * right after it. */
static struct list_job *list_find(struct list_set *set, uint32_t job_id)
{
	size_t i;

	for (i = set->njobs; i-- > 0;)
		if (set->jobs[i].job_id == job_id)
			return &set->jobs[i];
	return NULL;
}

static struct list_job *list_get(struct list_set *set, uint32_t job_id)
{
	struct list_job *j = list_find(set, job_id);

	if (j)
		return j;
	j = realloc(set->jobs, (set->njobs + 1) * sizeof(*j));
	if (!j)
		return NULL;
	set->jobs = j;
	j = &set->jobs[set->njobs++];
	memset(j, 0, sizeof(*j));
	j->job_id = job_id;
	j->array_job_id = j->array_task_id = -1;
	j->start_s = j->end_s = j->elapsed_s = j->timelimit_s = j->total_cpu_s = NAN;
	j->alloc_cpus = j->req_mem = j->mem_peak = j->oom_kills = j->processes = -1;
	j->cpu_us = j->max_rss = -1;
	return j;
}

/* The job's figures for the diagnosis rules: Slurm's request, sexec's observation. */
static void list_diag_in(const struct list_job *j, struct sexec_diag_in *in)
{
	double peak = j->mem_peak >= 0 ? (double)j->mem_peak : (double)j->max_rss;

	memset(in, 0, sizeof(*in));
	in->have_time = j->has_time;
	in->t = timeclass_times_us(j->time_us);
	in->alloc_cpus = j->alloc_cpus > 0 ? (double)j->alloc_cpus : NAN;
	in->elapsed_s = j->elapsed_s;
	in->timelimit_s = j->timelimit_s;
	in->req_mem_bytes = j->req_mem > 0 ? (double)j->req_mem : NAN;
	in->peak_mem_bytes = peak >= 0 ? peak : NAN;
	in->oom_kills = j->oom_kills > 0 ? (long)j->oom_kills : 0;
}

/* A few words for a diagnosis kind: the listing has one line per job. */
static const char *list_short(const char *kind)
{
	static const char *const map[][2] = {
		{ "oom", "OOM-killed" },
		{ "io_bound", "I/O-bound" },
		{ "memory_bound", "memory-bound" },
		{ "cpu_contended", "CPU-contended" },
		{ "idle", "idle allocation" },
		{ "serial", "serial work on several cores" },
		{ "memory_request", "memory over-requested" },
		{ "time_limit", "time limit over-requested" },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], kind))
			return map[i][1];
	return kind;
}

static void list_verdict(struct list_job *j)
{
	struct sexec_diag_in in;
	struct sexec_diag d[SEXEC_DIAG_MAX];
	size_t o = 0;
	int n, i;

	list_diag_in(j, &in);
	n = diagnose(&in, d, SEXEC_DIAG_MAX);
	j->nnotes = n;
	if (n > 0) {
		snprintf(j->verdict_kind, sizeof(j->verdict_kind), "%s", d[0].kind);
		snprintf(j->verdict, sizeof(j->verdict), "%s", d[0].text);
		for (i = 0; i < n && o < sizeof(j->summary); i++)
			o += (size_t)snprintf(j->summary + o, sizeof(j->summary) - o, "%s%s",
					      i ? ", " : "", list_short(d[i].kind));
		return;
	}
	if (j->observed && j->has_time) {
		snprintf(j->verdict_kind, sizeof(j->verdict_kind), "ok");
		snprintf(j->verdict, sizeof(j->verdict), "no problem found");
	} else if (j->observed && j->has_time) {
		snprintf(j->verdict_kind, sizeof(j->verdict_kind), "ok");
		snprintf(j->verdict, sizeof(j->verdict), "no problem found");
	} else if (j->observed) {
		snprintf(j->verdict_kind, sizeof(j->verdict_kind), "unmeasured");
		snprintf(j->verdict, sizeof(j->verdict), "observed, no time breakdown");
	} else {
		snprintf(j->verdict_kind, sizeof(j->verdict_kind), "not_observed");
		snprintf(j->verdict, sizeof(j->verdict), "not observed by sexec");
	}
	snprintf(j->summary, sizeof(j->summary), "%.199s", j->verdict);
}

/* Merge sacct's job lines and the database's rows into set->jobs. */
static int list_merge(struct list_set *set, struct sacct_row *rows, size_t nrows,
		      struct list_db *dbr, size_t ndb)
{
	size_t i;
	int k;

	for (i = 0; i < nrows; i++) {
		struct sacct_row *s = &rows[i];
		struct list_job *j;

		if (s->step[0])
			continue;
		j = list_get(set, s->job_id);
		if (!j)
			return -ENOMEM;
		/* A requeued job is listed once per run: the last is the latest. */
		j->sacct = s;
		j->array_job_id = s->array_job_id;
		j->array_task_id = s->array_task_id;
		j->elapsed_s = s->elapsed_s;
		j->timelimit_s = s->timelimit_s;
		j->total_cpu_s = s->total_cpu_s;
		j->alloc_cpus = s->alloc_cpus;
		j->req_mem = s->req_mem_bytes;
		j->start_s = list_sacct_time(s->start);
	}
	/* MaxRSS is on the step lines: the job's is the largest. */
	for (i = 0; i < nrows; i++) {
		struct list_job *j;

		if (!rows[i].step[0] || rows[i].max_rss_bytes < 0)
			continue;
		j = list_find(set, rows[i].job_id);
		if (j && rows[i].max_rss_bytes > j->max_rss)
			j->max_rss = rows[i].max_rss_bytes;
	}
	for (i = 0; i < ndb; i++) {
		struct list_db *d = &dbr[i];
		struct list_job *j = list_get(set, d->job_id);

		if (!j)
			return -ENOMEM;
		j->db = d;
		j->observed = 1;
		if (j->array_job_id < 0) {
			j->array_job_id = d->array_job_id;
			j->array_task_id = d->array_task_id;
		}
		if (!isfinite(j->start_s))
			j->start_s = d->start_s;
		if (!isfinite(j->elapsed_s) && isfinite(d->start_s) && isfinite(d->end_s))
			j->elapsed_s = d->end_s - d->start_s;
		if (j->alloc_cpus < 0)
			j->alloc_cpus = d->alloc_cpus;
		j->has_time = d->has_time;
		for (k = 0; k < SEXEC_TIME_N; k++)
			j->time_us[k] = d->time_us[k];
		j->cpu_us = d->cpu_us;
		j->mem_peak = d->mem_peak;
		j->oom_kills = d->oom_kills;
		j->processes = d->processes;
		j->lost = d->lost;
		j->complete = d->complete;
	}
	for (i = 0; i < set->njobs; i++)
		list_verdict(&set->jobs[i]);
	if (set->njobs > 1)
		qsort(set->jobs, set->njobs, sizeof(*set->jobs), list_job_order);
	return 0;
}

const char *list_name(const struct list_job *j)
{
	if (j->sacct && j->sacct->name && *j->sacct->name)
		return j->sacct->name;
	return j->db ? j->db->name : NULL;
}

void list_set_free(struct list_set *set)
{
	size_t i;

	for (i = 0; i < set->nsacct; i++)
		sacct_row_free(&set->sacct_rows[i]);
	free(set->sacct_rows);
	for (i = 0; i < set->ndb; i++)
		list_db_free(&set->db_rows[i]);
	free(set->db_rows);
	free(set->jobs);
	for (i = 0; i < set->ntools; i++)
		free(set->tools[i].tool);
	free(set->tools);
	free(set->cost.currency);
	for (i = 0; i < set->nwarnings; i++)
		free(set->warnings[i]);
	free(set->warnings);
	memset(set, 0, sizeof(*set));
}

static int list_warn(struct list_set *set, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int list_warn(struct list_set *set, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = warnings_vadd(&set->warnings, &set->nwarnings, fmt, ap);
	va_end(ap);
	return ret;
}

/* The per-tool totals and cost of every observed job of the set. */
static int list_load_totals(struct db *d, const char *cluster, struct list_set *set, char *err,
			    size_t errlen)
{
	size_t i, len = 2, o = 0;
	char *ids;
	int ret;

	/* The tasks of one array are on one cluster: the first observed one's. */
	for (i = 0; i < set->njobs && !set->jobs[i].observed; i++)
		;
	if (i == set->njobs)
		return 0;
	cluster = set->jobs[i].db->cluster;
	for (i = 0; i < set->njobs; i++)
		len += 12;
	ids = malloc(len + 1);
	if (!ids)
		return -ENOMEM;
	ids[o++] = '{';
	for (i = 0; i < set->njobs; i++)
		if (set->jobs[i].observed)
			o += (size_t)snprintf(ids + o, len + 1 - o, "%s%u", o > 1 ? "," : "",
					      set->jobs[i].job_id);
	ids[o++] = '}';
	ids[o] = '\0';
	ret = db_load_tools(d, cluster, ids, &set->tools, &set->ntools, err, errlen);
	if (!ret)
		ret = db_load_cost(d, cluster, ids, &set->cost, err, errlen);
	free(ids);
	return ret;
}

static const char *list_caller(void)
{
	struct passwd *pw = getpwuid(getuid());

	return pw ? pw->pw_name : NULL;
}

int list_collect(const struct cli_opts *o, const struct sexec_conf *conf, int64_t array_job,
		 struct list_sacct *pre, struct list_set *set, int *db_ret, char *db_err, int *sacct_ret, char *sacct_err,
		 size_t errlen)
{
	const char *user = NULL, *sel[LIST_SEL_MAX];
	char from_s[32], to_s[32], jobarg[24];
	time_t now = time(NULL), from, to;
	struct db *d = NULL;
	size_t n = 0;
	struct tm tm;
	int ret;

	memset(set, 0, sizeof(*set));
	*db_ret = *sacct_ret = 0;
	set->array_job_id = array_job;
	if (array_job < 0) {
		if (slurmfmt_parse_time(o->start ? o->start : LIST_DEFAULT_START, now, &from)) {
			fprintf(stderr, "sexec: -S '%s' is not a time (YYYY-MM-DD[THH:MM[:SS]], "
				"now or now-Ndays)\n", o->start);
			return EXIT_USAGE;
		}
		if (slurmfmt_parse_time(o->end ? o->end : "now", now, &to)) {
			fprintf(stderr, "sexec: -E '%s' is not a time (YYYY-MM-DD[THH:MM[:SS]], "
				"now or now-Ndays)\n", o->end);
			return EXIT_USAGE;
		}
		if (to < from) {
			fprintf(stderr, "sexec: -E is before -S\n");
			return EXIT_USAGE;
		}
		set->from = from;
		set->to = to;
		if (o->user) {
			user = o->user;
		} else if (!o->all_users) {
			user = list_caller();
			if (!user) {
				fprintf(stderr, "sexec: who is uid %u? (give -u USER)\n",
					(unsigned)getuid());
				return EXIT_ERROR;
			}
		}
		snprintf(set->user, sizeof(set->user), "%s", user ? user : "");
		/* sacct reads local times; give it exactly the window the database gets. */
		strftime(from_s, sizeof(from_s), "%Y-%m-%dT%H:%M:%S", localtime_r(&from, &tm));
		strftime(to_s, sizeof(to_s), "%Y-%m-%dT%H:%M:%S", localtime_r(&to, &tm));
		/* Not -X: MaxRSS is on the step lines. */
		sel[n++] = "-S";
		sel[n++] = from_s;
		sel[n++] = "-E";
		sel[n++] = to_s;
		if (user) {
			sel[n++] = "-u";
			sel[n++] = user;
		} else {
			sel[n++] = "-a";
		}
		if (o->account) {
			sel[n++] = "-A";
			sel[n++] = o->account;
		}
		if (o->partition) {
			sel[n++] = "-r";
			sel[n++] = o->partition;
		}
	} else {
		from = 0;
		to = now;
		snprintf(jobarg, sizeof(jobarg), "%lld", (long long)array_job);
		sel[n++] = "-j";
		sel[n++] = jobarg;
	}
	sel[n] = NULL;
	if (pre) {
		set->sacct_rows = pre->rows;
		set->nsacct = pre->nrows;
		pre->rows = NULL;
		pre->nrows = 0;
		*sacct_ret = pre->ret;
		snprintf(sacct_err, errlen, "%s", pre->err ? pre->err : "");
	} else {
		*sacct_ret = sacct_query_args(conf->sacct[0] ? conf->sacct : "sacct", sel,
					      SACCT_TIMEOUT_S, &set->sacct_rows, &set->nsacct,
					      sacct_err, errlen);
	}
	if (*sacct_ret == -ENOMEM)
		return EXIT_ERROR;
	set->sacct_available = *sacct_ret == 0;

	ret = db_open_conf(&d, conf, o->db, db_err, errlen);
	if (!ret)
		ret = list_db_query(d, o, conf->cluster, user, array_job, from, to, &set->db_rows,
				    &set->ndb, db_err, errlen);
	if (ret) {
		*db_ret = ret;
		db_close(d);
		d = NULL;
	}
	if (list_merge(set, set->sacct_rows, set->nsacct, set->db_rows, set->ndb))
		goto nomem;
	if (d && array_job >= 0) {
		ret = list_load_totals(d, conf->cluster, set, db_err, errlen);
		if (ret)
			*db_ret = ret;
	}
	db_close(d);
	if (*db_ret == -ENOMEM)
		goto nomem;
	return EXIT_SHOWN;
nomem:
	fprintf(stderr, "sexec: out of memory\n");
	return EXIT_ERROR;
}

/* The exit code and warnings once both sources were asked. */
int list_decide(struct list_set *set, int db_ret, const char *db_err, int sacct_ret,
		const char *sacct_err, int empty_is_error, const char *what)
{
	if (db_ret == -EACCES) {
		fprintf(stderr, "sexec: permission denied reading the sexec database: %s (ask the "
			"administrators for the sexec_reader role)\n", db_err);
		return EXIT_DENIED;
	}
	if (!set->njobs && empty_is_error) {
		if (db_ret && sacct_ret)
			fprintf(stderr, "sexec: cannot show %s: database unavailable (%s) and sacct "
				"data unavailable (%s)\n", what, db_err, sacct_err);
		else
			fprintf(stderr, "sexec: %s not found\n", what);
		return db_ret && sacct_ret ? EXIT_DB_DOWN : EXIT_NOT_FOUND;
	}
	if (!set->njobs && db_ret && sacct_ret) {
		fprintf(stderr, "sexec: cannot list jobs: database unavailable (%s) and sacct data "
			"unavailable (%s)\n", db_err, sacct_err);
		return EXIT_DB_DOWN;
	}
	if (sacct_ret && list_warn(set, "sacct data unavailable: %s", sacct_err))
		return EXIT_ERROR;
	if (db_ret && list_warn(set, "sexec database unavailable: %s; showing Slurm's accounting "
				"only", db_err))
		return EXIT_ERROR;
	return EXIT_SHOWN;
}

/* CPU busy as a share of the allocation: on-CPU time when measured, else CPU time. */
double list_busy_share(const struct list_job *j)
{
	double busy = j->has_time ? (double)j->time_us[0] / 1e6
				  : j->cpu_us >= 0 ? (double)j->cpu_us / 1e6 : NAN;
	double alloc = j->alloc_cpus > 0 && j->elapsed_s > 0 ? (double)j->alloc_cpus * j->elapsed_s
							      : NAN;

	return isfinite(busy) && isfinite(alloc) ? busy / alloc : NAN;
}

#define LIST_FMT "%-14s %-16s %-13s %9s %4s %5s %17s  %s\n"

void list_text_table(const struct list_set *set, FILE *f, int color)
{
	size_t i;

	fprintf(f, LIST_FMT, "JOBID", "NAME", "STATE", "ELAPSED", "CPUS", "BUSY", "MEM PEAK/REQ",
		"VERDICT");
	for (i = 0; i < set->njobs; i++) {
		const struct list_job *j = &set->jobs[i];
		char id[48], name[RENDER_FIELD_MAX], state[RENDER_FIELD_MAX], el[32], cpus[24];
		char busy[16], pk[32], rq[32], mem[72], verdict[RENDER_FIELD_MAX];
		double share = list_busy_share(j);
		int64_t peak = j->mem_peak >= 0 ? j->mem_peak : j->max_rss;
		const char *on = "", *off = "";

		if (j->sacct)
			render_clip(id, sizeof(id), j->sacct->jobid, 14);
		else if (j->array_job_id >= 0)
			snprintf(id, sizeof(id), "%lld_%lld", (long long)j->array_job_id,
				 (long long)j->array_task_id);
		else
			snprintf(id, sizeof(id), "%u", j->job_id);
		render_clip(name, sizeof(name), list_name(j), 16);
		render_clip(state, sizeof(state), j->sacct ? j->sacct->state : NULL, 13);
		slurmfmt_fmt_duration(j->elapsed_s, el, sizeof(el));
		if (j->alloc_cpus > 0)
			snprintf(cpus, sizeof(cpus), "%lld", (long long)j->alloc_cpus);
		else
			snprintf(cpus, sizeof(cpus), "-");
		if (isfinite(share))
			snprintf(busy, sizeof(busy), "%.0f%%", 100 * share);
		else
			snprintf(busy, sizeof(busy), "-");
		slurmfmt_fmt_bytes(peak, pk, sizeof(pk));
		slurmfmt_fmt_bytes(j->req_mem, rq, sizeof(rq));
		snprintf(mem, sizeof(mem), "%s/%s", pk, rq);
		render_clip(verdict, sizeof(verdict), j->summary, 100);
		if (color && strcmp(j->verdict_kind, "ok") != 0 &&
		    strcmp(j->verdict_kind, "not_observed") != 0 &&
		    strcmp(j->verdict_kind, "unmeasured") != 0) {
			on = !strcmp(j->verdict_kind, "oom") ? RENDER_RED : RENDER_YELLOW;
			off = RENDER_RESET;
		} else if (color && !strcmp(j->verdict_kind, "ok")) {
			on = RENDER_GREEN;
			off = RENDER_RESET;
		}
		fprintf(f, "%-14s %-16s %-13s %9s %4s %5s %17s  %s%s%s\n", id, name, state, el,
			cpus, busy, mem, on, verdict, off);
	}
}

void list_json_job(struct json *js, const struct list_job *j)
{
	json_object_begin(js);
	json_key(js, "job_id");
	json_int(js, j->job_id);
	json_key(js, "jobid");
	if (j->sacct)
		json_string(js, j->sacct->jobid);
	else
		json_null(js);
	json_key(js, "array_job_id");
	json_int_or_null(js, j->array_job_id);
	json_key(js, "array_task_id");
	json_int_or_null(js, j->array_task_id);
	json_key(js, "name");
	json_string(js, list_name(j));
	json_key(js, "user");
	json_string(js, j->sacct ? j->sacct->user : j->db ? j->db->user : NULL);
	json_key(js, "account");
	json_string(js, j->sacct ? j->sacct->account : j->db ? j->db->account : NULL);
	json_key(js, "partition");
	json_string(js, j->sacct ? j->sacct->partition : j->db ? j->db->partition : NULL);
	json_key(js, "state");
	json_string(js, j->sacct ? j->sacct->state : NULL);
	json_key(js, "exit_code");
	json_string(js, j->sacct ? j->sacct->exit_code : NULL);
	json_key(js, "elapsed_s");
	json_seconds(js, j->elapsed_s);
	json_key(js, "alloc_cpus");
	json_int_or_null(js, j->alloc_cpus);
	json_key(js, "req_mem_bytes");
	json_int_or_null(js, j->req_mem);
	json_key(js, "total_cpu_s");
	json_seconds(js, j->total_cpu_s);
	json_key(js, "observed");
	json_bool(js, j->observed);
	json_key(js, "processes");
	json_int_or_null(js, j->observed ? j->processes : -1);
	json_key(js, "cpu_s");
	json_seconds(js, j->observed && j->cpu_us >= 0 ? (double)j->cpu_us / 1e6 : NAN);
	json_key(js, "busy_share");
	json_seconds(js, list_busy_share(j));
	json_key(js, "mem_peak_bytes");
	json_int_or_null(js, j->mem_peak >= 0 ? j->mem_peak : j->max_rss);
	json_key(js, "oom_kills");
	json_int_or_null(js, j->observed ? j->oom_kills : -1);
	json_key(js, "verdict");
	json_object_begin(js);
	json_key(js, "kind");
	json_string(js, j->verdict_kind);
	json_key(js, "text");
	json_string(js, j->verdict);
	json_key(js, "summary");
	json_string(js, j->summary);
	json_key(js, "notes");
	json_int(js, j->nnotes);
	json_object_end(js);
	json_object_end(js);
}

static void list_csv(const struct list_set *set, FILE *f)
{
	size_t i;

	fprintf(f, "job_id,jobid,array_job_id,array_task_id,name,user,account,partition,state,"
		   "exit_code,elapsed_s,alloc_cpus,req_mem_bytes,total_cpu_s,observed,processes,"
		   "cpu_s,busy_share,mem_peak_bytes,oom_kills,verdict,verdict_text,summary\r\n");
	for (i = 0; i < set->njobs; i++) {
		const struct list_job *j = &set->jobs[i];
		int64_t peak = j->mem_peak >= 0 ? j->mem_peak : j->max_rss;

		csv_int(f, j->job_id, 0);
		csv_str(f, j->sacct ? j->sacct->jobid : NULL, 0);
		csv_int(f, j->array_job_id, 0);
		csv_int(f, j->array_task_id, 0);
		csv_str(f, list_name(j), 0);
		csv_str(f, j->sacct ? j->sacct->user : j->db ? j->db->user : NULL, 0);
		csv_str(f, j->sacct ? j->sacct->account : j->db ? j->db->account : NULL, 0);
		csv_str(f, j->sacct ? j->sacct->partition : j->db ? j->db->partition : NULL, 0);
		csv_str(f, j->sacct ? j->sacct->state : NULL, 0);
		csv_str(f, j->sacct ? j->sacct->exit_code : NULL, 0);
		csv_num(f, j->elapsed_s, 0);
		csv_int(f, j->alloc_cpus, 0);
		csv_int(f, j->req_mem, 0);
		csv_num(f, j->total_cpu_s, 0);
		csv_str(f, j->observed ? "true" : "false", 0);
		csv_int(f, j->observed ? j->processes : -1, 0);
		csv_num(f, j->observed && j->cpu_us >= 0 ? (double)j->cpu_us / 1e6 : NAN, 0);
		csv_num(f, list_busy_share(j), 0);
		csv_int(f, peak, 0);
		csv_int(f, j->observed ? j->oom_kills : -1, 0);
		csv_str(f, j->verdict_kind, 0);
		csv_str(f, j->verdict, 0);
		csv_str(f, j->summary, 1);
	}
}

int list_show(const struct cli_opts *o, const struct sexec_conf *conf, FILE *out)
{
	char db_err[LIST_ERR_MAX] = "", sacct_err[LIST_ERR_MAX] = "";
	int db_ret, sacct_ret, code;
	struct list_set set;
	size_t i;

	if (o->html || o->processes || o->timeline) {
		fprintf(stderr, "sexec: --html, --processes and --timeline show one job: give its "
			"id\n");
		return EXIT_USAGE;
	}
	code = list_collect(o, conf, -1, NULL, &set, &db_ret, db_err, &sacct_ret, sacct_err,
			    sizeof(db_err));
	if (code != EXIT_SHOWN)
		goto out;
	code = list_decide(&set, db_ret, db_err, sacct_ret, sacct_err, 0, NULL);
	if (code != EXIT_SHOWN)
		goto out;
	if (o->json) {
		struct json js;
		char t[32];
		struct tm tm;

		json_init(&js, out);
		json_object_begin(&js);
		json_key(&js, "user");
		json_string(&js, set.user[0] ? set.user : NULL);
		json_key(&js, "from");
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&set.from, &tm));
		json_string(&js, t);
		json_key(&js, "to");
		strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&set.to, &tm));
		json_string(&js, t);
		json_key(&js, "sacct_available");
		json_bool(&js, set.sacct_available);
		json_key(&js, "jobs");
		json_array_begin(&js);
		for (i = 0; i < set.njobs; i++)
			list_json_job(&js, &set.jobs[i]);
		json_array_end(&js);
		json_object_end(&js);
		if (json_finish(&js))
			code = EXIT_ERROR;
	} else if (o->csv) {
		list_csv(&set, out);
	} else {
		char a[32], b[32];
		struct tm tm;

		strftime(a, sizeof(a), "%Y-%m-%d %H:%M", localtime_r(&set.from, &tm));
		strftime(b, sizeof(b), "%Y-%m-%d %H:%M", localtime_r(&set.to, &tm));
		fprintf(out, "Jobs of %s from %s to %s: %zu\n", set.user[0] ? set.user : "all users",
			a, b, set.njobs);
		if (set.njobs)
			list_text_table(&set, out, o->color);
	}
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "sexec: cannot write the output\n");
		code = EXIT_ERROR;
	}
	for (i = 0; i < set.nwarnings; i++)
		fprintf(stderr, "sexec: warning: %s\n", set.warnings[i]);
out:
	list_set_free(&set);
	return code;
}

/* The tasks of an array job added up: thread time, CPU, allocation, memory. */
struct list_total {
	size_t tasks, observed;
	int has_time;
	int64_t time_us[SEXEC_TIME_N];
	int64_t processes, oom_kills, cpu_us;
	double alloc_core_s, elapsed_sum_s, elapsed_max_s, first_start, last_end;
	double peak, req, limit, total_cpu_s;
	int64_t alloc_cpus;
};

static void list_total(const struct list_set *set, struct list_total *t)
{
	size_t i;
	int k;

	memset(t, 0, sizeof(*t));
	t->peak = t->req = t->limit = t->first_start = t->last_end = NAN;
	t->elapsed_max_s = NAN;
	t->alloc_cpus = -1;
	for (i = 0; i < set->njobs; i++) {
		const struct list_job *j = &set->jobs[i];
		double peak = j->mem_peak >= 0 ? (double)j->mem_peak : (double)j->max_rss;

		t->tasks++;
		if (j->observed) {
			t->observed++;
			if (j->processes > 0)
				t->processes += j->processes;
			if (j->oom_kills > 0)
				t->oom_kills += j->oom_kills;
			if (j->cpu_us > 0)
				t->cpu_us += j->cpu_us;
		}
		if (j->has_time) {
			t->has_time = 1;
			for (k = 0; k < SEXEC_TIME_N; k++)
				t->time_us[k] += j->time_us[k];
		}
		if (j->alloc_cpus > 0 && j->elapsed_s >= 0)
			t->alloc_core_s += (double)j->alloc_cpus * j->elapsed_s;
		if (j->alloc_cpus > t->alloc_cpus)
			t->alloc_cpus = j->alloc_cpus;
		if (j->elapsed_s >= 0) {
			t->elapsed_sum_s += j->elapsed_s;
			if (!(j->elapsed_s <= t->elapsed_max_s))
				t->elapsed_max_s = j->elapsed_s;
		}
		if (isfinite(j->total_cpu_s))
			t->total_cpu_s += j->total_cpu_s;
		if (peak >= 0 && !(peak <= t->peak))
			t->peak = peak;
		if (j->req_mem > 0 && !((double)j->req_mem <= t->req))
			t->req = (double)j->req_mem;
		if (isfinite(j->timelimit_s) && !(j->timelimit_s <= t->limit))
			t->limit = j->timelimit_s;
		if (isfinite(j->start_s) && !(j->start_s >= t->first_start))
			t->first_start = j->start_s;
		if (isfinite(j->start_s) && j->elapsed_s >= 0 &&
		    !(j->start_s + j->elapsed_s <= t->last_end))
			t->last_end = j->start_s + j->elapsed_s;
	}
}

/* The array's notes: the class and idle rules over every task's time and allocation, the
 * memory rule with the largest task's peak against the per-task request, the time-limit
 * rule with the longest task. */
static int list_array_diagnose(const struct list_total *t, struct sexec_diag *d, int max)
{
	struct sexec_diag_in in;
	struct sexec_diag lim[SEXEC_DIAG_MAX];
	int n, m, i;

	memset(&in, 0, sizeof(in));
	in.have_time = t->has_time;
	in.t = timeclass_times_us(t->time_us);
	/* alloc_cpus x elapsed_s must be the tasks' allocated core time. */
	in.alloc_cpus = t->alloc_cpus > 0 ? (double)t->alloc_cpus : NAN;
	in.elapsed_s = t->alloc_cpus > 0 ? t->alloc_core_s / (double)t->alloc_cpus : NAN;
	in.timelimit_s = NAN;
	in.req_mem_bytes = t->req;
	in.peak_mem_bytes = t->peak;
	in.oom_kills = (long)t->oom_kills;
	n = diagnose(&in, d, max);
	memset(&in, 0, sizeof(in));
	in.alloc_cpus = in.req_mem_bytes = in.peak_mem_bytes = NAN;
	in.elapsed_s = t->elapsed_max_s;
	in.timelimit_s = t->limit;
	m = diagnose(&in, lim, SEXEC_DIAG_MAX);
	for (i = 0; i < m && n < max; i++)
		d[n++] = lim[i];
	return n;
}

static void list_array_text(const struct list_set *set, const struct list_total *t,
			    const struct sexec_diag *d, int nd, int color, int all_tools, FILE *f)
{
	static const char *const heads[SEXEC_TIME_N] = { "on CPU", "run queue", "I/O", "memory",
							  "sleep" };
	const struct list_job *first = set->njobs ? &set->jobs[0] : NULL;
	char a[RENDER_FIELD_MAX], b[RENDER_FIELD_MAX], c[RENDER_FIELD_MAX];
	char states[512] = "";
	size_t i, k, o = 0;

	fprintf(f, "%sArray job %lld%s  %s  (%zu task%s)\n", color ? RENDER_BOLD : "",
		(long long)set->array_job_id, color ? RENDER_RESET : "",
		render_clip(a, sizeof(a), first ? list_name(first) : NULL, 60), t->tasks,
		t->tasks == 1 ? "" : "s");
	if (first)
		fprintf(f, "  %-10s %-20s %-10s %-20s %-10s %s\n", "User",
			render_clip(a, sizeof(a), first->sacct ? first->sacct->user :
						  first->db ? first->db->user : NULL, 20),
			"Account",
			render_clip(b, sizeof(b), first->sacct ? first->sacct->account :
						  first->db ? first->db->account : NULL, 20),
			"Partition",
			render_clip(c, sizeof(c), first->sacct ? first->sacct->partition :
						  first->db ? first->db->partition : NULL, 20));
	/* "3 COMPLETED, 1 FAILED": states in order of first appearance. */
	for (i = 0; i < set->njobs && o < sizeof(states); i++) {
		const char *st = set->jobs[i].sacct ? set->jobs[i].sacct->state : "unknown";
		size_t n = 0;

		for (k = 0; k < i; k++)
			if (!strcmp(st, set->jobs[k].sacct ? set->jobs[k].sacct->state : "unknown"))
				break;
		if (k < i)
			continue;
		for (k = i; k < set->njobs; k++)
			if (!strcmp(st, set->jobs[k].sacct ? set->jobs[k].sacct->state : "unknown"))
				n++;
		o += (size_t)snprintf(states + o, sizeof(states) - o, "%s%zu %s", o ? ", " : "", n,
				      render_clip(a, sizeof(a), st, 20));
	}
	fprintf(f, "  %-10s %s\n", "States", states);
	fprintf(f, "  %-10s %zu of %zu tasks, %lld processes\n", "Observed", t->observed, t->tasks,
		(long long)t->processes);
	slurmfmt_fmt_duration(t->elapsed_sum_s, a, sizeof(a));
	slurmfmt_fmt_duration(t->elapsed_max_s, b, sizeof(b));
	slurmfmt_fmt_duration(isfinite(t->last_end) && isfinite(t->first_start)
				      ? t->last_end - t->first_start : NAN, c, sizeof(c));
	fprintf(f, "  %-10s %s over all tasks, longest %s, first start to last end %s\n",
		"Elapsed", a, b, c);
	if (t->alloc_core_s > 0) {
		double busy = t->has_time ? (double)t->time_us[0] / 1e6 : (double)t->cpu_us / 1e6;

		slurmfmt_fmt_duration(busy, a, sizeof(a));
		slurmfmt_fmt_duration(t->alloc_core_s, b, sizeof(b));
		fprintf(f, "  %-10s %.0f%% busy: %s of %s allocated core time\n", "CPU",
			100 * busy / t->alloc_core_s, a, b);
	}
	if (isfinite(t->peak) && isfinite(t->req)) {
		slurmfmt_fmt_bytes((int64_t)t->peak, a, sizeof(a));
		slurmfmt_fmt_bytes((int64_t)t->req, b, sizeof(b));
		fprintf(f, "  %-10s largest task peak %s of %s requested per task\n", "Memory", a,
			b);
	}
	if (set->sacct_available) {
		slurmfmt_fmt_duration((double)t->cpu_us / 1e6, a, sizeof(a));
		slurmfmt_fmt_duration(t->total_cpu_s, b, sizeof(b));
		fprintf(f, "  %-10s observed CPU %s, sacct TotalCPU %s\n", "Check", a, b);
	} else {
		fprintf(f, "  %-10s unavailable\n", "sacct");
	}
	fprintf(f, "\nTasks\n");
	list_text_table(set, f, color);
	if (t->has_time) {
		double total = 0;

		for (k = 0; k < SEXEC_TIME_N; k++)
			total += (double)t->time_us[k];
		fprintf(f, "\nWhere the time went (thread time of all tasks)\n ");
		for (k = 0; k < SEXEC_TIME_N; k++) {
			slurmfmt_fmt_duration((double)t->time_us[k] / 1e6, a, sizeof(a));
			fprintf(f, " %s %s (%.0f%%)%s", heads[k], a,
				total > 0 ? 100 * (double)t->time_us[k] / total : 0.0,
				k + 1 < SEXEC_TIME_N ? "," : "\n");
		}
	}
	render_text_notes("Diagnosis (all tasks)", d, nd, f);
	render_text_tools(set->tools, set->ntools, set->cost.currency, all_tools, f);
	render_text_cost(&set->cost, f);
}

static void list_array_json(const struct list_set *set, const struct list_total *t,
			    const struct sexec_diag *d, int nd, struct json *js)
{
	size_t i;

	json_object_begin(js);
	json_key(js, "array_job_id");
	json_int(js, set->array_job_id);
	json_key(js, "sacct_available");
	json_bool(js, set->sacct_available);
	json_key(js, "totals");
	json_object_begin(js);
	json_key(js, "tasks");
	json_int(js, (int64_t)t->tasks);
	json_key(js, "observed_tasks");
	json_int(js, (int64_t)t->observed);
	json_key(js, "processes");
	json_int(js, t->processes);
	json_key(js, "cpu_s");
	json_seconds(js, (double)t->cpu_us / 1e6);
	json_key(js, "sacct_total_cpu_s");
	json_seconds(js, set->sacct_available ? t->total_cpu_s : NAN);
	json_key(js, "alloc_core_s");
	json_seconds(js, t->alloc_core_s);
	json_key(js, "elapsed_sum_s");
	json_seconds(js, t->elapsed_sum_s);
	json_key(js, "elapsed_max_s");
	json_seconds(js, t->elapsed_max_s);
	json_key(js, "mem_peak_max_bytes");
	json_int_or_null(js, isfinite(t->peak) ? (int64_t)t->peak : -1);
	json_key(js, "oom_kills");
	json_int(js, t->oom_kills);
	render_json_time(js, t->has_time, t->time_us);
	json_object_end(js);
	json_key(js, "tasks");
	json_array_begin(js);
	for (i = 0; i < set->njobs; i++)
		list_json_job(js, &set->jobs[i]);
	json_array_end(js);
	render_json_notes(d, nd, js);
	render_json_tools(set->tools, set->ntools, js);
	render_json_cost(&set->cost, js);
	json_object_end(js);
}

int list_array_show(const struct cli_opts *o, const struct sexec_conf *conf, uint32_t array_job,
		    struct list_sacct *pre, FILE *out)
{
	char db_err[LIST_ERR_MAX] = "", sacct_err[LIST_ERR_MAX] = "", what[48];
	struct sexec_diag d[2 * SEXEC_DIAG_MAX];
	int db_ret, sacct_ret, code, nd;
	struct list_total t;
	struct list_set set;
	size_t i;

	code = list_collect(o, conf, array_job, pre, &set, &db_ret, db_err, &sacct_ret, sacct_err,
			    sizeof(db_err));
	if (code != EXIT_SHOWN)
		goto out;
	snprintf(what, sizeof(what), "array job %u", array_job);
	code = list_decide(&set, db_ret, db_err, sacct_ret, sacct_err, 1, what);
	if (code != EXIT_SHOWN)
		goto out;
	list_total(&set, &t);
	nd = list_array_diagnose(&t, d, 2 * SEXEC_DIAG_MAX);
	if (o->json) {
		struct json js;

		json_init(&js, out);
		list_array_json(&set, &t, d, nd, &js);
		if (json_finish(&js))
			code = EXIT_ERROR;
	} else if (o->csv) {
		list_csv(&set, out);
	} else {
		list_array_text(&set, &t, d, nd, o->color, o->tools, out);
	}
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "sexec: cannot write the output\n");
		code = EXIT_ERROR;
	}
	for (i = 0; i < set.nwarnings; i++)
		fprintf(stderr, "sexec: warning: %s\n", set.warnings[i]);
out:
	list_set_free(&set);
	return code;
}
