// SPDX-License-Identifier: GPL-2.0-or-later
/* The database side of sexec --pipeline: a pipeline's runs, and one run summed per workflow
 * task and per tool in SQL, so a run of 10,000 jobs costs a few small results, not its rows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "dbq.h"
#include "pipeline.h"

/* The run's jobs: $1 pipeline, $2 run ("" for the pipeline's jobs without one). Spelled so the
 * planner, which sees the values, keeps an index condition on (pipeline, run). */
#define PIPE_JOBS_CTE                                                                           \
	"j AS (SELECT cluster, job_id, coalesce(workflow_task, '') AS task, workflow "           \
	"FROM sexec.job WHERE pipeline = $1 AND (run = $2 OR ($2 = '' AND run IS NULL)))"

static int db_pipeline_oom(char *err, size_t errlen)
{
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

void pipe_runs_free(struct pipe_run *r, size_t n)
{
	size_t i;

	for (i = 0; r && i < n; i++)
		free(r[i].run);
	free(r);
}

int db_pipeline_runs(struct db *d, const char *pipeline, size_t limit, struct pipe_run **out,
		     size_t *n, size_t *total, char *err, size_t errlen)
{
	/* A run starts with its first step; a run none of whose jobs has a step yet sorts
	 * last. */
	static const char sql[] =
		"WITH r AS (SELECT coalesce(j.run, '') AS run, count(*) AS jobs, min(s.t0) AS t0 "
		"FROM sexec.job j LEFT JOIN LATERAL (SELECT min(start_time) AS t0 "
		"FROM sexec.step s WHERE s.cluster = j.cluster AND s.job_id = j.job_id) s ON true "
		"WHERE j.pipeline = $1 GROUP BY 1) "
		"SELECT run, jobs, extract(epoch FROM t0), count(*) OVER () FROM r "
		"ORDER BY t0 DESC NULLS LAST, run LIMIT $2";
	const char *params[2];
	struct pipe_run *r;
	char lim[24];
	PGresult *res = NULL;
	int oom = 0, ret, i, rows;

	*out = NULL;
	*n = *total = 0;
	snprintf(lim, sizeof(lim), "%zu", limit);
	params[0] = pipeline;
	params[1] = lim;
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	if (!rows) {
		PQclear(res);
		snprintf(err, errlen, "no jobs of this pipeline");
		return -ENOENT;
	}
	r = calloc((size_t)rows, sizeof(*r));
	if (!r) {
		PQclear(res);
		return db_pipeline_oom(err, errlen);
	}
	for (i = 0; i < rows; i++) {
		r[i].run = db_str(res, i, 0, &oom);
		r[i].jobs = db_int(res, i, 1, 0);
		r[i].start_s = db_num(res, i, 2);
	}
	*total = (size_t)db_int(res, 0, 3, rows);
	PQclear(res);
	if (oom) {
		pipe_runs_free(r, (size_t)rows);
		return db_pipeline_oom(err, errlen);
	}
	*out = r;
	*n = (size_t)rows;
	return 0;
}

int db_pipeline_has_run(struct db *d, const char *pipeline, const char *run, char *err,
			size_t errlen)
{
	static const char sql[] = "WITH " PIPE_JOBS_CTE " SELECT 1 FROM j LIMIT 1";
	const char *params[2] = { pipeline, run };
	PGresult *res = NULL;
	int ret;

	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	if (!PQntuples(res)) {
		snprintf(err, errlen, "no jobs of this pipeline run");
		ret = -ENOENT;
	}
	PQclear(res);
	return ret;
}

void pipe_sum_free(struct pipe_sum *s)
{
	if (!s)
		return;
	free(s->task);
	free(s->workflows);
	free(s->currency);
}

/* One row of the task query into s. */
static void db_pipeline_sum(const PGresult *res, int i, struct pipe_sum *s, int *oom)
{
	int64_t ncost;
	int k;

	memset(s, 0, sizeof(*s));
	s->task = db_str(res, i, 1, oom);
	s->jobs = db_int(res, i, 2, 0);
	s->running = db_int(res, i, 3, 0);
	s->processes = db_int(res, i, 4, -1);
	s->cpu_s = db_num(res, i, 5) / 1e6;
	s->wall_s = db_num(res, i, 6);
	s->start_s = db_num(res, i, 7);
	s->end_s = db_num(res, i, 8);
	s->alloc_core_s = db_num(res, i, 9);
	s->has_time = db_int(res, i, 10, 0) > 0;
	for (k = 0; k < SEXEC_TIME_N; k++)
		s->time_us[k] = db_int(res, i, 11 + k, 0);
	ncost = db_int(res, i, 16, 0);
	s->cost_known = ncost > 0;
	s->currency = db_str(res, i, 17, oom);
	s->alloc_cost = db_num(res, i, 18);
	s->used_cost = db_num(res, i, 19);
	s->idle_cost = db_num(res, i, 20);
	s->workflows = db_str(res, i, 21, oom);
	if (!s->currency)
		s->alloc_cost = s->used_cost = s->idle_cost = NAN;
}

int db_pipeline_tasks(struct db *d, const char *pipeline, const char *run, struct pipe_sum *total,
		      struct pipe_sum **tasks, size_t *n, char *err, size_t errlen)
{
	/* Per job first (n: each node and requeue of it; pj: the job; t: its processes from
	 * the step-end rollups; c: its cost records), then per task and for the whole run in
	 * one pass (GROUPING SETS). A node's allocation is its steps' largest CPU count over
	 * its first start to last end, as the cost records count it; the cost of the
	 * allocation comes once per node, from the step that spans it (extern, else batch),
	 * as db_load_cost() sums a job's. */
	static const char sql[] =
		"WITH " PIPE_JOBS_CTE ", "
		"n AS (SELECT s.cluster, s.job_id, min(s.start_time) AS t0, "
		"CASE WHEN bool_and(s.end_time IS NOT NULL) THEN max(s.end_time) END AS t1, "
		"max(s.alloc_cpus) AS cpus, count(s.on_cpu_us) AS nt, sum(s.on_cpu_us) AS oc, "
		"sum(s.runq_us) AS rq, sum(s.io_us) AS io, sum(s.mem_us) AS mem, "
		"sum(s.sleep_us) AS sl "
		"FROM sexec.step s JOIN j USING (cluster, job_id) "
		"GROUP BY s.cluster, s.job_id, s.node, s.restart), "
		"pj AS (SELECT cluster, job_id, min(t0) AS t0, "
		"CASE WHEN bool_and(t1 IS NOT NULL) THEN max(t1) END AS t1, "
		"sum(cpus * extract(epoch FROM t1 - t0)) AS acs, sum(nt) AS nt, sum(oc) AS oc, "
		"sum(rq) AS rq, sum(io) AS io, sum(mem) AS mem, sum(sl) AS sl "
		"FROM n GROUP BY cluster, job_id), "
		"t AS (SELECT st.cluster, st.job_id, sum(st.processes) AS np, "
		"sum(st.cpu_user_us + st.cpu_sys_us) AS cpu "
		"FROM sexec.step_tool st JOIN j USING (cluster, job_id) GROUP BY 1, 2), "
		"c0 AS (SELECT sc.cluster, sc.job_id, sc.step, sc.currency, sc.alloc_cost, "
		"sc.used_cost, "
		"CASE WHEN bool_or(sc.step = 'extern') OVER w THEN 'extern' "
		"WHEN bool_or(sc.step = 'batch') OVER w THEN 'batch' END AS spanning "
		"FROM sexec.step_cost sc JOIN j USING (cluster, job_id) "
		"WINDOW w AS (PARTITION BY sc.cluster, sc.job_id, sc.node, sc.restart)), "
		"c AS (SELECT cluster, job_id, count(*) AS n, min(currency) AS cur, "
		"count(DISTINCT currency) AS ncur, "
		"sum(alloc_cost) FILTER (WHERE spanning IS NULL OR step = spanning) AS ac, "
		"sum(used_cost) AS uc, bool_and(used_cost IS NOT NULL) AS uall "
		"FROM c0 GROUP BY cluster, job_id) "
		"SELECT grouping(j.task), j.task, count(*), count(*) FILTER (WHERE pj.t1 IS NULL), "
		"sum(t.np)::bigint, sum(t.cpu), sum(extract(epoch FROM pj.t1 - pj.t0)), "
		"extract(epoch FROM min(pj.t0)), extract(epoch FROM max(pj.t1)), sum(pj.acs), "
		"sum(pj.nt)::bigint, sum(pj.oc)::bigint, sum(pj.rq)::bigint, sum(pj.io)::bigint, "
		"sum(pj.mem)::bigint, sum(pj.sl)::bigint, count(c.n), "
		"CASE WHEN count(DISTINCT c.cur) = 1 AND coalesce(max(c.ncur), 0) <= 1 "
		"THEN min(c.cur) END AS cur, sum(c.ac), sum(c.uc), "
		"CASE WHEN bool_and(c.uall) THEN greatest(sum(c.ac) - sum(c.uc), 0) END, "
		"string_agg(DISTINCT j.workflow, ',') "
		"FROM j LEFT JOIN pj USING (cluster, job_id) LEFT JOIN t USING (cluster, job_id) "
		"LEFT JOIN c USING (cluster, job_id) "
		"GROUP BY GROUPING SETS ((j.task), ()) "
		"ORDER BY 1 DESC, min(pj.t0) NULLS LAST, 2";
	const char *params[2] = { pipeline, run };
	struct pipe_sum *s = NULL;
	PGresult *res = NULL;
	int oom = 0, ret, i, rows, k = 0;

	*tasks = NULL;
	*n = 0;
	memset(total, 0, sizeof(*total));
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	/* The grand total comes first; without it the run has no jobs (any more). */
	if (!rows || db_int(res, 0, 0, 0) != 1) {
		PQclear(res);
		snprintf(err, errlen, "no jobs of this pipeline run");
		return -ENOENT;
	}
	s = calloc((size_t)rows, sizeof(*s));
	if (!s) {
		PQclear(res);
		return db_pipeline_oom(err, errlen);
	}
	db_pipeline_sum(res, 0, total, &oom);
	free(total->task);
	total->task = NULL;
	for (i = 1; i < rows; i++)
		db_pipeline_sum(res, i, &s[k++], &oom);
	PQclear(res);
	if (oom) {
		pipe_sum_free(total);
		for (i = 0; i < k; i++)
			pipe_sum_free(&s[i]);
		free(s);
		return db_pipeline_oom(err, errlen);
	}
	*tasks = s;
	*n = (size_t)k;
	return 0;
}

void pipe_tools_free(struct pipe_tool *t, size_t n)
{
	size_t i;

	for (i = 0; t && i < n; i++) {
		free(t[i].tool);
		free(t[i].currency);
	}
	free(t);
}

int db_pipeline_tools(struct db *d, const char *pipeline, const char *run, struct pipe_tool **out,
		      size_t *n, char *err, size_t errlen)
{
	/* A tool's cost is its CPU-hours and GB-hours at its step's rates
	 * (sexec.step_tool_cost), so the tools of a step add up to its used cost.
	 * The I/O share counts only rollups with the time breakdown measured. */
	static const char sql[] =
		"WITH " PIPE_JOBS_CTE ", "
		"x AS (SELECT st.tool, st.processes, st.rows_dropped, "
		"st.cpu_user_us + st.cpu_sys_us AS cpu, st.wall_us, st.rss_peak_kb, "
		"st.demand_us AS demand, st.io_us, st.currency, st.used_cost AS cost "
		"FROM sexec.step_tool_cost st JOIN j USING (cluster, job_id)) "
		"SELECT tool, sum(processes)::bigint, sum(rows_dropped)::bigint, sum(cpu), "
		"sum(wall_us), max(rss_peak_kb), "
		"sum(io_us) FILTER (WHERE demand IS NOT NULL) / nullif(sum(demand), 0), "
		"CASE WHEN count(DISTINCT currency) = 1 THEN min(currency) END, "
		"CASE WHEN count(DISTINCT currency) = 1 THEN sum(cost) END "
		"FROM x GROUP BY tool ORDER BY sum(cpu) DESC NULLS LAST, tool";
	const char *params[2] = { pipeline, run };
	struct pipe_tool *t;
	PGresult *res = NULL;
	int oom = 0, ret, i, rows;

	*out = NULL;
	*n = 0;
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	t = calloc(rows ? (size_t)rows : 1, sizeof(*t));
	if (!t) {
		PQclear(res);
		return db_pipeline_oom(err, errlen);
	}
	for (i = 0; i < rows; i++) {
		t[i].tool = db_str(res, i, 0, &oom);
		t[i].processes = db_int(res, i, 1, 0);
		t[i].rows_dropped = db_int(res, i, 2, 0);
		t[i].cpu_s = db_num(res, i, 3) / 1e6;
		t[i].wall_s = db_num(res, i, 4) / 1e6;
		t[i].rss_peak_kb = db_int(res, i, 5, -1);
		t[i].io_share = db_num(res, i, 6);
		t[i].currency = db_str(res, i, 7, &oom);
		t[i].used_cost = db_num(res, i, 8);
		if (!t[i].tool && !oom)
			t[i].tool = strdup("");
		oom |= !t[i].tool;
	}
	PQclear(res);
	if (oom) {
		pipe_tools_free(t, (size_t)rows);
		return db_pipeline_oom(err, errlen);
	}
	*out = t;
	*n = (size_t)rows;
	return 0;
}

void pipe_jobs_free(struct pipe_job *j, size_t n)
{
	size_t i;

	for (i = 0; j && i < n; i++) {
		free(j[i].cluster);
		free(j[i].task);
	}
	free(j);
}

int db_pipeline_jobs(struct db *d, const char *pipeline, const char *run, struct pipe_job **out,
		     size_t *n, char *err, size_t errlen)
{
	/* A job runs from its first step's start to its last step's end, over every node
	 * and requeue. */
	static const char sql[] =
		"WITH " PIPE_JOBS_CTE " "
		"SELECT j.cluster, j.job_id, j.task, extract(epoch FROM min(s.start_time)), "
		"CASE WHEN bool_and(s.end_time IS NOT NULL) "
		"THEN extract(epoch FROM max(s.end_time)) END "
		"FROM j JOIN sexec.step s USING (cluster, job_id) "
		"GROUP BY j.cluster, j.job_id, j.task";
	const char *params[2] = { pipeline, run };
	struct pipe_job *v;
	PGresult *res = NULL;
	int oom = 0, ret, i, rows;

	*out = NULL;
	*n = 0;
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	v = calloc(rows ? (size_t)rows : 1, sizeof(*v));
	if (!v) {
		PQclear(res);
		return db_pipeline_oom(err, errlen);
	}
	for (i = 0; i < rows; i++) {
		v[i].cluster = db_str(res, i, 0, &oom);
		v[i].job_id = (uint32_t)db_int(res, i, 1, 0);
		v[i].task = db_str(res, i, 2, &oom);
		v[i].start_s = db_num(res, i, 3);
		v[i].end_s = db_num(res, i, 4);
		oom |= !v[i].cluster || !v[i].task;
	}
	PQclear(res);
	if (oom) {
		pipe_jobs_free(v, (size_t)rows);
		return db_pipeline_oom(err, errlen);
	}
	*out = v;
	*n = (size_t)rows;
	return 0;
}
