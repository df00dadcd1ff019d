// SPDX-License-Identifier: GPL-2.0-or-later
/* sexec --pipeline NAME [--run ID]: one run of a pipeline across all its jobs, per workflow task
 * and per tool, and the chain of jobs that bounded its wall time, as text, --json or --csv. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "sexec/conf.h"
#include "sexec/slurmfmt.h"
#include "sexec/timeclass.h"

#include "cli.h"
#include "db.h"
#include "json.h"
#include "pipeline.h"
#include "render.h"

#define PIPE_ERR_MAX 1024
#define PIPE_TOP_TOOLS 10

/* What the view shows; the database fills all but the path. */
struct pipe_view {
	const char *pipeline, *run;
	struct pipe_sum total;
	struct pipe_sum *tasks;
	size_t ntasks;
	struct pipe_tool *tools;
	size_t ntools;
	struct pipe_job *jobs;
	size_t njobs;
	size_t *path; /* indices into jobs, first job first */
	size_t npath;
	double ran_s, waited_s; /* of the path's jobs, over the run's wall time */
};

static int pipe_by_end(const void *a, const void *b)
{
	const struct pipe_job *x = *(struct pipe_job *const *)a, *y = *(struct pipe_job *const *)b;

	if (x->end_s != y->end_s)
		return x->end_s < y->end_s ? -1 : 1;
	/* Equal ends: the lower job id sorts last, so it is the one taken. */
	return x->job_id > y->job_id ? -1 : x->job_id < y->job_id;
}

/* The critical path, inferred from times alone (Slurm's dependencies are not recorded): from
 * the job that ended last, repeatedly step to the job that ended latest at or before the
 * current one started (PIPELINE_PATH_TOLERANCE_S late at most) and had started before it.
 * Starts strictly decrease along the path, so it ends. Running jobs take no part. */
static int pipe_critical_path(struct pipe_view *v)
{
	struct pipe_job **e;
	size_t ne = 0, i, np = 0, *path;
	ssize_t cur;

	v->path = NULL;
	v->npath = 0;
	e = calloc(v->njobs ? v->njobs : 1, sizeof(*e));
	path = calloc(v->njobs ? v->njobs : 1, sizeof(*path));
	if (!e || !path) {
		free(e);
		free(path);
		return -ENOMEM;
	}
	for (i = 0; i < v->njobs; i++)
		if (isfinite(v->jobs[i].start_s) && isfinite(v->jobs[i].end_s))
			e[ne++] = &v->jobs[i];
	qsort(e, ne, sizeof(*e), pipe_by_end);
	cur = ne ? (ssize_t)ne - 1 : -1;
	while (cur >= 0) {
		const struct pipe_job *x = e[cur];
		double limit = x->start_s + PIPELINE_PATH_TOLERANCE_S;
		size_t lo = 0, hi = ne;
		ssize_t k;

		path[np++] = (size_t)(x - v->jobs);
		/* hi: the first job that ended after the limit. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (e[mid]->end_s <= limit)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (k = (ssize_t)lo - 1; k >= 0; k--)
			if (e[k] != x && e[k]->start_s < x->start_s)
				break;
		cur = k;
	}
	free(e);
	/* Found last job first: turn it round. */
	for (i = 0; i < np / 2; i++) {
		size_t t = path[i];

		path[i] = path[np - 1 - i];
		path[np - 1 - i] = t;
	}
	v->path = path;
	v->npath = np;
	v->ran_s = v->waited_s = 0;
	for (i = 0; i < np; i++) {
		const struct pipe_job *j = &v->jobs[path[i]];
		double prev = i ? v->jobs[path[i - 1]].end_s : v->total.start_s;

		v->ran_s += j->end_s - j->start_s;
		if (j->start_s > prev)
			v->waited_s += j->start_s - prev;
	}
	return 0;
}

/* The gap before the path's i-th job: since the one before it ended (the run's start for the
 * first); negative when they overlapped within the tolerance. */
static double pipe_gap(const struct pipe_view *v, size_t i)
{
	double prev = i ? v->jobs[v->path[i - 1]].end_s : v->total.start_s;

	return v->jobs[v->path[i]].start_s - prev;
}

static double pipe_wall(const struct pipe_sum *s)
{
	return isfinite(s->start_s) && isfinite(s->end_s) ? s->end_s - s->start_s : NAN;
}

static double pipe_share(const struct pipe_sum *s, int k)
{
	double demand = 0;
	int i;

	if (!s->has_time)
		return NAN;
	for (i = 0; i < SEXEC_TIME_N - 1; i++) /* sleep is not demand (docs/time.md) */
		demand += (double)s->time_us[i];
	return demand > 0 ? (double)s->time_us[k] / demand : NAN;
}

/* Average cores allocated and busy over the jobs' elapsed time: busy is time on a CPU when
 * measured, else CPU time. */
static void pipe_cores(const struct pipe_sum *s, double *alloc, double *busy)
{
	double on = s->has_time ? (double)s->time_us[0] / 1e6 : s->cpu_s;

	*alloc = s->wall_s > 0 ? s->alloc_core_s / s->wall_s : NAN;
	*busy = s->wall_s > 0 ? on / s->wall_s : NAN;
}

static const char *pipe_class(const struct pipe_sum *s)
{
	struct sexec_times t;

	if (!s->has_time)
		return NULL;
	t = timeclass_times_us(s->time_us);
	return timeclass_name(timeclass(&t, isfinite(s->alloc_core_s) ? s->alloc_core_s : 0));
}

static const char *pipe_pct(char *buf, size_t len, double share)
{
	if (isfinite(share))
		snprintf(buf, len, "%.0f%%", 100 * share);
	else
		snprintf(buf, len, "-");
	return buf;
}

static const char *pipe_money(char *buf, size_t len, double v)
{
	if (isfinite(v))
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* "2026-11-24 10:00:03" in UTC; "-" when unknown. */
static const char *pipe_utc(char *buf, size_t len, double t, int iso)
{
	time_t s;
	struct tm tm;
	size_t o;

	if (!isfinite(t))
		return iso ? NULL : "-";
	s = (time_t)floor(t);
	gmtime_r(&s, &tm);
	o = strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	if (iso)
		snprintf(buf + o, len - o, ".%06ldZ", lround((t - floor(t)) * 1e6) % 1000000);
	return buf;
}

static void pipe_text_header(const struct pipe_view *v, FILE *f)
{
	const struct pipe_sum *t = &v->total;
	char a[RENDER_FIELD_MAX], b[RENDER_FIELD_MAX], c[RENDER_FIELD_MAX], d[32], e[32];

	fprintf(f, "Pipeline %s  run %s\n", render_clip(a, sizeof(a), v->pipeline, 60),
		render_clip(b, sizeof(b), *v->run ? v->run : "(none)", 60));
	fprintf(f, "  %-11s %s\n", "Workflow", render_clip(c, sizeof(c), t->workflows, 40));
	fprintf(f, "  %-11s %lld", "Jobs", (long long)t->jobs);
	if (t->running)
		fprintf(f, " (%lld still running: figures so far)", (long long)t->running);
	fputc('\n', f);
	slurmfmt_fmt_duration(pipe_wall(t), d, sizeof(d));
	fprintf(f, "  %-11s %s (%s to ", "Wall time", d, pipe_utc(a, sizeof(a), t->start_s, 0));
	fprintf(f, "%s UTC)\n", pipe_utc(b, sizeof(b), t->end_s, 0));
	slurmfmt_fmt_duration(t->cpu_s, d, sizeof(d));
	fprintf(f, "  %-11s %s\n", "CPU", d);
	if (isfinite(t->alloc_core_s) && t->alloc_core_s > 0)
		fprintf(f, "  %-11s %.2f allocated, %.2f used (%.0f%%)\n", "Core-hours",
			t->alloc_core_s / 3600, isfinite(t->cpu_s) ? t->cpu_s / 3600 : 0,
			isfinite(t->cpu_s) ? 100 * t->cpu_s / t->alloc_core_s : 0);
	else
		fprintf(f, "  %-11s -\n", "Core-hours");
	if (t->currency)
		fprintf(f, "  %-11s %s %s allocated, %s used, %s idle\n", "Cost",
			pipe_money(d, sizeof(d), t->alloc_cost),
			render_clip(c, sizeof(c), t->currency, 8),
			pipe_money(e, sizeof(e), t->used_cost),
			pipe_money(a, sizeof(a), t->idle_cost));
	else
		fprintf(f, "  %-11s %s\n", "Cost", t->cost_known ? "no cost rates apply to these "
			"jobs (or they are in several currencies)" : "no cost records");
}

#define PIPE_TASK_FMT "  %-24s %6s %9s %9s %6s %5s %5s %11s %-13s %10s\n"

static void pipe_text_tasks(const struct pipe_view *v, FILE *f)
{
	size_t i;

	fprintf(f, "\nWorkflow tasks (time shares of demand: on CPU + run queue + I/O + memory)\n");
	fprintf(f, PIPE_TASK_FMT, "TASK", "JOBS", "WALL", "CPU", "ON CPU", "I/O", "MEM",
		"CORES A/B", "CLASS", "COST");
	for (i = 0; i < v->ntasks; i++) {
		const struct pipe_sum *s = &v->tasks[i];
		char name[RENDER_FIELD_MAX], jobs[24], wall[32], cpu[32], p0[8], p2[8], p3[8];
		char cores[40], cost[32];
		const char *cls = pipe_class(s);
		double alloc, busy;

		pipe_cores(s, &alloc, &busy);
		if (isfinite(alloc) && isfinite(busy))
			snprintf(cores, sizeof(cores), "%.1f/%.1f", alloc, busy);
		else
			snprintf(cores, sizeof(cores), "-");
		snprintf(jobs, sizeof(jobs), "%lld", (long long)s->jobs);
		slurmfmt_fmt_duration(s->wall_s, wall, sizeof(wall));
		slurmfmt_fmt_duration(s->cpu_s, cpu, sizeof(cpu));
		render_clip(name, sizeof(name), *s->task ? s->task : "(none)", 24);
		fprintf(f, PIPE_TASK_FMT, name, jobs, wall, cpu,
			pipe_pct(p0, sizeof(p0), pipe_share(s, 0)),
			pipe_pct(p2, sizeof(p2), pipe_share(s, 2)),
			pipe_pct(p3, sizeof(p3), pipe_share(s, 3)), cores, cls ? cls : "-",
			pipe_money(cost, sizeof(cost), s->currency ? s->alloc_cost : NAN));
	}
	fprintf(f, "  (WALL: the jobs' elapsed times added up; CORES A/B: cores allocated/busy on "
		   "average; COST: allocated)\n");
}

#define PIPE_TOOL_FMT "  %-24s %9s %9s %9s %5s %9s %10s\n"

static void pipe_text_tools(const struct pipe_view *v, FILE *f, int all)
{
	size_t i, n = all ? v->ntools : v->ntools < PIPE_TOP_TOOLS ? v->ntools : PIPE_TOP_TOOLS;

	if (!v->ntools)
		return;
	if (n < v->ntools)
		fprintf(f, "\nTools (top %zu of %zu; --tools for all)\n", n, v->ntools);
	else
		fprintf(f, "\nTools\n");
	fprintf(f, PIPE_TOOL_FMT, "TOOL", "PROCS", "CPU", "WALL", "I/O", "PEAK RSS", "USED COST");
	for (i = 0; i < n; i++) {
		const struct pipe_tool *t = &v->tools[i];
		char name[RENDER_FIELD_MAX], procs[24], cpu[32], wall[32], io[8], rss[32], cost[32];

		snprintf(procs, sizeof(procs), "%lld", (long long)t->processes);
		slurmfmt_fmt_duration(t->cpu_s, cpu, sizeof(cpu));
		slurmfmt_fmt_duration(t->wall_s, wall, sizeof(wall));
		slurmfmt_fmt_bytes(t->rss_peak_kb < 0 ? -1 : t->rss_peak_kb * 1024, rss,
				   sizeof(rss));
		fprintf(f, PIPE_TOOL_FMT,
			render_clip(name, sizeof(name), *t->tool ? t->tool : "(other)", 24), procs,
			cpu, wall, pipe_pct(io, sizeof(io), t->io_share), rss,
			pipe_money(cost, sizeof(cost), t->currency ? t->used_cost : NAN));
	}
}

#define PIPE_PATH_FMT "  %-12s %-24s %10s %10s %10s\n"

static void pipe_text_path(const struct pipe_view *v, FILE *f)
{
	double wall = pipe_wall(&v->total);
	size_t i;

	fprintf(f, "\nCritical path (inferred from start and end times; see docs/workflows.md)\n");
	if (!v->npath) {
		fprintf(f, "  (no job of this run has ended yet)\n");
		return;
	}
	fprintf(f, PIPE_PATH_FMT, "JOBID", "TASK", "START", "DURATION", "GAP");
	for (i = 0; i < v->npath; i++) {
		const struct pipe_job *j = &v->jobs[v->path[i]];
		char id[24], name[RENDER_FIELD_MAX], st[40], du[32], gap[40], d[32];
		double g = pipe_gap(v, i);

		snprintf(id, sizeof(id), "%u", j->job_id);
		slurmfmt_fmt_duration(j->start_s - v->total.start_s, d, sizeof(d));
		snprintf(st, sizeof(st), "+%s", d);
		slurmfmt_fmt_duration(j->end_s - j->start_s, du, sizeof(du));
		if (g < 0) {
			slurmfmt_fmt_duration(-g, d, sizeof(d));
			snprintf(gap, sizeof(gap), "-%s", d);
		} else {
			slurmfmt_fmt_duration(g, gap, sizeof(gap));
		}
		fprintf(f, PIPE_PATH_FMT, id,
			render_clip(name, sizeof(name), *j->task ? j->task : "(none)", 24), st, du,
			gap);
	}
	if (wall > 0)
		fprintf(f, "  The path's jobs ran %.0f%% of the run's wall time and waited %.0f%% "
			   "(queued, or between jobs).\n", 100 * v->ran_s / wall,
			100 * v->waited_s / wall);
}

static void pipe_json_time(struct json *js, const struct pipe_sum *s)
{
	static const char *const keys[SEXEC_TIME_N] = { "on_cpu_s", "runq_s", "io_s", "mem_s",
							 "sleep_s" };
	static const char *const shares[SEXEC_TIME_N - 1] = { "on_cpu_share", "runq_share",
							       "io_share", "mem_share" };
	int k;

	json_key(js, "time");
	if (!s->has_time) {
		json_null(js);
		return;
	}
	json_object_begin(js);
	for (k = 0; k < SEXEC_TIME_N; k++) {
		json_key(js, keys[k]);
		json_seconds(js, (double)s->time_us[k] / 1e6);
	}
	for (k = 0; k < SEXEC_TIME_N - 1; k++) {
		json_key(js, shares[k]);
		json_seconds(js, pipe_share(s, k));
	}
	json_object_end(js);
}

static void pipe_json_cost(struct json *js, const struct pipe_sum *s)
{
	json_key(js, "cost");
	if (!s->cost_known) {
		json_null(js);
		return;
	}
	json_object_begin(js);
	json_key(js, "currency");
	json_string(js, s->currency);
	json_key(js, "alloc_cost");
	json_seconds(js, s->alloc_cost);
	json_key(js, "used_cost");
	json_seconds(js, s->used_cost);
	json_key(js, "idle_cost");
	json_seconds(js, s->idle_cost);
	json_object_end(js);
}

/* The figures a task and the whole run share. */
static void pipe_json_sum(struct json *js, const struct pipe_sum *s)
{
	const char *cls = pipe_class(s);
	double alloc, busy;

	pipe_cores(s, &alloc, &busy);
	json_key(js, "jobs");
	json_int(js, s->jobs);
	json_key(js, "running");
	json_int(js, s->running);
	json_key(js, "processes");
	json_int_or_null(js, s->processes);
	json_key(js, "wall_s");
	json_seconds(js, s->wall_s);
	json_key(js, "span_s");
	json_seconds(js, pipe_wall(s));
	json_key(js, "cpu_s");
	json_seconds(js, s->cpu_s);
	json_key(js, "alloc_core_h");
	json_seconds(js, s->alloc_core_s / 3600);
	json_key(js, "used_core_h");
	json_seconds(js, s->cpu_s / 3600);
	json_key(js, "alloc_cores");
	json_seconds(js, alloc);
	json_key(js, "busy_cores");
	json_seconds(js, busy);
	pipe_json_time(js, s);
	json_key(js, "class");
	json_string(js, cls);
	pipe_json_cost(js, s);
}

static int pipe_json(const struct pipe_view *v, FILE *f)
{
	double wall = pipe_wall(&v->total);
	struct json js;
	char t[48];
	size_t i;

	json_init(&js, f);
	json_object_begin(&js);
	json_key(&js, "pipeline");
	json_string(&js, v->pipeline);
	json_key(&js, "run");
	json_string(&js, v->run);
	json_key(&js, "workflow");
	json_string(&js, v->total.workflows);
	json_key(&js, "start");
	json_string(&js, pipe_utc(t, sizeof(t), v->total.start_s, 1));
	json_key(&js, "end");
	json_string(&js, pipe_utc(t, sizeof(t), v->total.end_s, 1));
	json_key(&js, "total");
	json_object_begin(&js);
	pipe_json_sum(&js, &v->total);
	json_object_end(&js);

	json_key(&js, "tasks");
	json_array_begin(&js);
	for (i = 0; i < v->ntasks; i++) {
		json_object_begin(&js);
		json_key(&js, "task");
		json_string(&js, v->tasks[i].task);
		pipe_json_sum(&js, &v->tasks[i]);
		json_object_end(&js);
	}
	json_array_end(&js);

	json_key(&js, "tools");
	json_array_begin(&js);
	for (i = 0; i < v->ntools; i++) {
		const struct pipe_tool *tl = &v->tools[i];

		json_object_begin(&js);
		json_key(&js, "tool");
		json_string(&js, *tl->tool ? tl->tool : NULL);
		json_key(&js, "processes");
		json_int(&js, tl->processes);
		json_key(&js, "rows_dropped");
		json_int(&js, tl->rows_dropped);
		json_key(&js, "cpu_s");
		json_seconds(&js, tl->cpu_s);
		json_key(&js, "wall_s");
		json_seconds(&js, tl->wall_s);
		json_key(&js, "io_share");
		json_seconds(&js, tl->io_share);
		json_key(&js, "rss_peak_bytes");
		json_int_or_null(&js, tl->rss_peak_kb < 0 ? -1 : tl->rss_peak_kb * 1024);
		json_key(&js, "currency");
		json_string(&js, tl->currency);
		json_key(&js, "used_cost");
		json_seconds(&js, tl->currency ? tl->used_cost : NAN);
		json_object_end(&js);
	}
	json_array_end(&js);

	json_key(&js, "critical_path");
	json_object_begin(&js);
	json_key(&js, "tolerance_s");
	json_seconds(&js, PIPELINE_PATH_TOLERANCE_S);
	json_key(&js, "ran_s");
	json_seconds(&js, v->npath ? v->ran_s : NAN);
	json_key(&js, "waited_s");
	json_seconds(&js, v->npath ? v->waited_s : NAN);
	json_key(&js, "ran_share");
	json_seconds(&js, v->npath && wall > 0 ? v->ran_s / wall : NAN);
	json_key(&js, "waited_share");
	json_seconds(&js, v->npath && wall > 0 ? v->waited_s / wall : NAN);
	json_key(&js, "jobs");
	json_array_begin(&js);
	for (i = 0; i < v->npath; i++) {
		const struct pipe_job *j = &v->jobs[v->path[i]];

		json_object_begin(&js);
		json_key(&js, "job_id");
		json_int(&js, j->job_id);
		json_key(&js, "cluster");
		json_string(&js, j->cluster);
		json_key(&js, "task");
		json_string(&js, j->task);
		json_key(&js, "start_offset_s");
		json_seconds(&js, j->start_s - v->total.start_s);
		json_key(&js, "duration_s");
		json_seconds(&js, j->end_s - j->start_s);
		json_key(&js, "gap_s");
		json_seconds(&js, pipe_gap(v, i));
		json_object_end(&js);
	}
	json_array_end(&js);
	json_object_end(&js);
	json_object_end(&js);
	return json_finish(&js);
}

/* The per-task table, RFC 4180 (render.h's csv_* quote what needs it). */
static void pipe_csv(const struct pipe_view *v, FILE *f)
{
	size_t i;

	fprintf(f, "task,jobs,running,processes,wall_s,span_s,cpu_s,on_cpu_share,runq_share,"
		   "io_share,mem_share,alloc_cores,busy_cores,class,currency,alloc_cost,"
		   "used_cost\r\n");
	for (i = 0; i < v->ntasks; i++) {
		const struct pipe_sum *s = &v->tasks[i];
		double alloc, busy;

		pipe_cores(s, &alloc, &busy);
		csv_str(f, s->task, 0);
		csv_int(f, s->jobs, 0);
		csv_int(f, s->running, 0);
		csv_int(f, s->processes, 0);
		csv_num(f, s->wall_s, 0);
		csv_num(f, pipe_wall(s), 0);
		csv_num(f, s->cpu_s, 0);
		csv_num(f, pipe_share(s, 0), 0);
		csv_num(f, pipe_share(s, 1), 0);
		csv_num(f, pipe_share(s, 2), 0);
		csv_num(f, pipe_share(s, 3), 0);
		csv_num(f, alloc, 0);
		csv_num(f, busy, 0);
		csv_str(f, pipe_class(s), 0);
		csv_str(f, s->currency, 0);
		csv_num(f, s->currency ? s->alloc_cost : NAN, 0);
		csv_num(f, s->currency ? s->used_cost : NAN, 1);
	}
}

/* The exit code for a failed query; the reason on stderr. */
static int pipe_db_fail(int ret, const char *err)
{
	if (ret == -ENOMEM) {
		fprintf(stderr, "sexec: out of memory\n");
		return EXIT_ERROR;
	}
	if (ret == -EACCES) {
		fprintf(stderr, "sexec: permission denied reading the sexec database: %s (ask the "
			"administrators for the sexec_reader role)\n", err);
		return EXIT_DENIED;
	}
	fprintf(stderr, "sexec: cannot show the pipeline: database unavailable (%s)\n", err);
	return EXIT_DB_DOWN;
}

/* --run ID names no run the caller can see: say so, with the latest runs there are. */
static int pipe_no_run(struct db *d, const char *pipeline, const char *run)
{
	char a[RENDER_FIELD_MAX], b[RENDER_FIELD_MAX], err[PIPE_ERR_MAX] = "", when[40];
	struct pipe_run *runs = NULL;
	size_t n = 0, total = 0, i;
	int ret;

	ret = db_pipeline_runs(d, pipeline, PIPELINE_RUNS_LISTED, &runs, &n, &total, err,
			       sizeof(err));
	if (ret == -ENOENT) {
		fprintf(stderr, "sexec: pipeline '%s' not found (no jobs of it that you can see)\n",
			render_clip(a, sizeof(a), pipeline, 80));
		return EXIT_NOT_FOUND;
	}
	if (ret)
		return pipe_db_fail(ret, err);
	fprintf(stderr, "sexec: pipeline '%s' has no run '%s' (that you can see); its latest "
		"run%s:\n", render_clip(a, sizeof(a), pipeline, 80),
		render_clip(b, sizeof(b), run, 80), total == 1 ? "" : "s");
	for (i = 0; i < n; i++)
		fprintf(stderr, "  %-40s %lld job%s, started %s UTC\n",
			render_clip(a, sizeof(a), *runs[i].run ? runs[i].run : "(none)", 40),
			(long long)runs[i].jobs, runs[i].jobs == 1 ? "" : "s",
			pipe_utc(when, sizeof(when), runs[i].start_s, 0));
	if (total > n)
		fprintf(stderr, "  (and %zu more)\n", total - n);
	pipe_runs_free(runs, n);
	return EXIT_NOT_FOUND;
}

static void pipe_view_free(struct pipe_view *v)
{
	size_t i;

	pipe_sum_free(&v->total);
	for (i = 0; i < v->ntasks; i++)
		pipe_sum_free(&v->tasks[i]);
	free(v->tasks);
	pipe_tools_free(v->tools, v->ntools);
	pipe_jobs_free(v->jobs, v->njobs);
	free(v->path);
}

int pipeline_show(const struct cli_opts *o, const struct sexec_conf *conf, FILE *out)
{
	char err[PIPE_ERR_MAX] = "", name[RENDER_FIELD_MAX], *latest = NULL;
	struct pipe_view v = { 0 };
	struct db *d = NULL;
	int ret, code = EXIT_ERROR;

	if (o->html || o->processes || o->timeline) {
		fprintf(stderr, "sexec: --html, --processes and --timeline show one job: give its "
			"id\n");
		return EXIT_USAGE;
	}
	v.pipeline = o->pipeline;
	ret = db_open_conf(&d, conf, o->db, err, sizeof(err));
	if (ret) {
		code = pipe_db_fail(ret, err);
		goto out;
	}
	if (o->run) {
		ret = db_pipeline_has_run(d, o->pipeline, o->run, err, sizeof(err));
		if (ret == -ENOENT) {
			code = pipe_no_run(d, o->pipeline, o->run);
			goto out;
		}
		v.run = o->run;
	} else {
		struct pipe_run *runs = NULL;
		size_t n = 0, total = 0;

		ret = db_pipeline_runs(d, o->pipeline, 1, &runs, &n, &total, err, sizeof(err));
		if (!ret) {
			latest = runs[0].run;
			runs[0].run = NULL;
			pipe_runs_free(runs, n);
			v.run = latest;
		}
	}
	if (ret == -ENOENT) {
		fprintf(stderr, "sexec: pipeline '%s' not found (no jobs of it that you can see)\n",
			render_clip(name, sizeof(name), o->pipeline, 80));
		code = EXIT_NOT_FOUND;
		goto out;
	}
	if (!ret)
		ret = db_pipeline_tasks(d, v.pipeline, v.run, &v.total, &v.tasks, &v.ntasks, err,
					sizeof(err));
	if (!ret)
		ret = db_pipeline_tools(d, v.pipeline, v.run, &v.tools, &v.ntools, err,
					sizeof(err));
	if (!ret)
		ret = db_pipeline_jobs(d, v.pipeline, v.run, &v.jobs, &v.njobs, err, sizeof(err));
	if (ret == -ENOENT) {
		/* The run's jobs went away between the queries (retention). */
		fprintf(stderr, "sexec: pipeline '%s' has no jobs in this run any more\n",
			render_clip(name, sizeof(name), o->pipeline, 80));
		code = EXIT_NOT_FOUND;
		goto out;
	}
	if (ret) {
		code = pipe_db_fail(ret, err);
		goto out;
	}
	db_close(d);
	d = NULL;
	if (pipe_critical_path(&v)) {
		fprintf(stderr, "sexec: out of memory\n");
		goto out;
	}

	code = EXIT_SHOWN;
	if (o->json) {
		if (pipe_json(&v, out))
			code = EXIT_ERROR;
	} else if (o->csv) {
		pipe_csv(&v, out);
	} else {
		pipe_text_header(&v, out);
		pipe_text_tasks(&v, out);
		pipe_text_tools(&v, out, o->tools);
		pipe_text_path(&v, out);
	}
	if (fflush(out) || ferror(out))
		code = EXIT_ERROR;
	if (code == EXIT_ERROR)
		fprintf(stderr, "sexec: cannot write the output\n");
out:
	db_close(d);
	pipe_view_free(&v);
	free(latest);
	return code;
}
