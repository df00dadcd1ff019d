// SPDX-License-Identifier: GPL-2.0-or-later
/* PostgreSQL access for the sexec CLI: one PGconn, parameterised queries on the sexec
 * schema, results copied into report structs and every PGresult cleared here. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "sexec/conf.h"

#include "db.h"
#include "dbq.h"

/* Copy a libpq message onto one line: they come with newlines and tabs. */
static void db_oneline(char *dst, size_t len, const char *src)
{
	size_t o = 0;
	int space = 0;

	if (!len)
		return;
	for (; src && *src && o + 1 < len; src++) {
		if (*src == '\n' || *src == '\t' || *src == '\r' || *src == ' ') {
			space = o > 0;
			continue;
		}
		if (space && o + 2 < len)
			dst[o++] = ' ';
		space = 0;
		dst[o++] = *src;
	}
	dst[o] = '\0';
}

int db_open(struct db **out, const char *conninfo, int drop_user, char *err, size_t errlen)
{
	const char *keys[64], *vals[64];
	PQconninfoOption *opts, *o;
	struct db *d = NULL;
	PGresult *res;
	char *perr = NULL;
	int n = 0, ret = 0;

	if (!conninfo)
		conninfo = "";
	/* A bare word is a database name, as psql takes it. */
	if (*conninfo && !strchr(conninfo, '=') && !strstr(conninfo, "://"))
		opts = PQconninfoParse("", &perr);
	else
		opts = PQconninfoParse(conninfo, &perr);
	if (!opts) {
		db_oneline(err, errlen, perr ? perr : "out of memory");
		PQfreemem(perr);
		return perr ? -EINVAL : -ENOMEM;
	}
	/* Defaults first so the conninfo can override them; what the CLI needs last. */
	keys[n] = "connect_timeout";
	vals[n++] = "10";
	if (*conninfo && !strchr(conninfo, '=') && !strstr(conninfo, "://")) {
		keys[n] = "dbname";
		vals[n++] = conninfo;
	}
	for (o = opts; o->keyword && n < 60; o++) {
		if (!o->val || !*o->val)
			continue;
		/* db (the collector's conninfo) names the collector's role: readers are
		 * themselves. */
		if (drop_user && (!strcmp(o->keyword, "user") || !strcmp(o->keyword, "password")))
			continue;
		keys[n] = o->keyword;
		vals[n++] = o->val;
	}
	keys[n] = "application_name";
	vals[n++] = "sexec";
	keys[n] = "client_encoding";
	vals[n++] = "UTF8";
	keys[n] = NULL;
	vals[n] = NULL;

	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	d->conn = PQconnectdbParams(keys, vals, 0);
	if (!d->conn || PQstatus(d->conn) != CONNECTION_OK) {
		if (d->conn)
			db_oneline(err, errlen, PQerrorMessage(d->conn));
		else
			snprintf(err, errlen, "out of memory");
		db_close(d);
		ret = -ECONNREFUSED;
		goto out;
	}
	/* A reader must not hang behind a migration's lock; a failed SET costs
	 * nothing. The queries are short index lookups: compiling them (JIT,
	 * which the planner picks for a job of a million rows) costs 40 ms and
	 * saves nothing. */
	res = PQexec(d->conn, "SET statement_timeout = '60s'");
	PQclear(res);
	res = PQexec(d->conn, "SET jit = off");
	PQclear(res);
	*out = d;
out:
	PQconninfoFree(opts);
	return ret;
}

int db_open_conf(struct db **out, const struct sexec_conf *conf, const char *override, char *err,
		 size_t errlen)
{
	/* db_read defaults to the collector's db without its user. */
	if (override)
		return db_open(out, override, 0, err, errlen);
	if (!conf->db_read[0] && conf->db[0])
		return db_open(out, conf->db, 1, err, errlen);
	return db_open(out, conf->db_read, 0, err, errlen);
}

void db_close(struct db *d)
{
	if (!d)
		return;
	PQfinish(d->conn);
	free(d);
}

int db_query(struct db *d, const char *sql, int nparams, const char *const *params,
		    PGresult **out, char *err, size_t errlen)
{
	const char *state, *msg;
	PGresult *res;
	int ret;

	res = PQexecParams(d->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res && PQresultStatus(res) == PGRES_TUPLES_OK) {
		*out = res;
		return 0;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	db_oneline(err, errlen, msg ? msg : PQerrorMessage(d->conn));
	if (state && strcmp(state, "42501") == 0)
		ret = -EACCES;
	else if (!res && PQstatus(d->conn) != CONNECTION_BAD)
		ret = -ENOMEM;
	else
		ret = -EIO;
	PQclear(res);
	return ret;
}

char *db_str(const PGresult *res, int row, int col, int *oom)
{
	char *s;

	if (PQgetisnull(res, row, col))
		return NULL;
	s = strdup(PQgetvalue(res, row, col));
	if (!s)
		*oom = 1;
	return s;
}

int64_t db_int(const PGresult *res, int row, int col, int64_t dflt)
{
	if (PQgetisnull(res, row, col))
		return dflt;
	return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int db_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) && PQgetvalue(res, row, col)[0] == 't';
}

int db_find_job(struct db *d, uint32_t job_id, const char *prefer_cluster, struct db_job *job,
		size_t *nclusters, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT cluster, job_id, array_job_id, array_task_id, user_name, job_name, "
		"partition, account, restarts, " DB_ISO("first_seen") ", pipeline, run, "
		"workflow, workflow_task, (SELECT string_agg(key || '=' || value, ',' "
		"ORDER BY key) FROM jsonb_each_text(labels)) FROM sexec.job "
		"WHERE job_id = $1 ORDER BY (cluster = $2) IS TRUE DESC, first_seen DESC";
	const char *params[2];
	char id[16];
	PGresult *res = NULL;
	int oom = 0, ret;

	snprintf(id, sizeof(id), "%u", job_id);
	params[0] = id;
	params[1] = prefer_cluster && *prefer_cluster ? prefer_cluster : NULL;
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	if (PQntuples(res) == 0) {
		snprintf(err, errlen, "job %u is not in the database", job_id);
		ret = -ENOENT;
		goto out;
	}
	memset(job, 0, sizeof(*job));
	job->cluster = db_str(res, 0, 0, &oom);
	job->job_id = (uint32_t)db_int(res, 0, 1, 0);
	/* The collector may store "not an array" as NULL or as Slurm's 0 / NO_VAL. */
	job->array_job_id = db_int(res, 0, 2, -1);
	job->array_task_id = db_int(res, 0, 3, -1);
	if (job->array_job_id <= 0 || job->array_task_id < 0 ||
	    job->array_task_id >= SEXEC_NO_VAL) {
		job->array_job_id = -1;
		job->array_task_id = -1;
	}
	job->user = db_str(res, 0, 4, &oom);
	job->name = db_str(res, 0, 5, &oom);
	job->partition = db_str(res, 0, 6, &oom);
	job->account = db_str(res, 0, 7, &oom);
	job->restarts = db_int(res, 0, 8, 0);
	job->first_seen = db_str(res, 0, 9, &oom);
	job->pipeline = db_str(res, 0, 10, &oom);
	job->run = db_str(res, 0, 11, &oom);
	job->workflow = db_str(res, 0, 12, &oom);
	job->workflow_task = db_str(res, 0, 13, &oom);
	job->labels = db_str(res, 0, 14, &oom);
	if (oom || !job->cluster) {
		db_job_free(job);
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	if (nclusters)
		*nclusters = (size_t)PQntuples(res);
out:
	PQclear(res);
	return ret;
}

int db_find_array_task(struct db *d, uint32_t array_job_id, uint32_t task_id,
		       const char *prefer_cluster, uint32_t *job_id, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT job_id FROM sexec.job WHERE array_job_id = $1 AND array_task_id = $2 "
		"ORDER BY (cluster = $3) IS TRUE DESC, first_seen DESC LIMIT 1";
	const char *params[3];
	char a[16], t[16];
	PGresult *res = NULL;
	int ret;

	snprintf(a, sizeof(a), "%u", array_job_id);
	snprintf(t, sizeof(t), "%u", task_id);
	params[0] = a;
	params[1] = t;
	params[2] = prefer_cluster && *prefer_cluster ? prefer_cluster : NULL;
	ret = db_query(d, sql, 3, params, &res, err, errlen);
	if (ret)
		return ret;
	if (PQntuples(res) == 0) {
		snprintf(err, errlen, "array task %u_%u is not in the database", array_job_id,
			 task_id);
		ret = -ENOENT;
	} else {
		*job_id = (uint32_t)db_int(res, 0, 0, 0);
	}
	PQclear(res);
	return ret;
}

void db_steps_free(struct db_step_node *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(s[i].node);
	free(s);
}

/* A query on one job of a cluster: $1 cluster, $2 job id, and $3 step when
 * nparams is 3. */
static int db_query_job(struct db *d, const char *sql, const char *cluster, uint32_t job_id,
			int nparams, const char *step, PGresult **res, char *err, size_t errlen)
{
	const char *params[3];
	char id[16];

	snprintf(id, sizeof(id), "%u", job_id);
	params[0] = cluster;
	params[1] = id;
	params[2] = step;
	return db_query(d, sql, nparams, params, res, err, errlen);
}

int db_load_steps(struct db *d, const char *cluster, uint32_t job_id, struct db_step_node **out,
		  size_t *n, char *err, size_t errlen)
{
	/* Totals come from the per-tool rollups written at step end (cheap even
	 * for a million processes); only when some step has none yet (still
	 * running) are process rows summed, and only for such steps (processes
	 * of a step whose step row the collector missed are only counted then).
	 * The runs of a requeued job are summed into one row per step
	 * and node, so their processes are counted once. */
	static const char sql[] =
		"WITH s AS (SELECT step, node, max(alloc_cpus) AS alloc_cpus, max(ntasks) AS ntasks, "
		"sum(lost_events)::bigint AS lost_events, sum(lost_tracking)::bigint AS lost_tracking, "
		"bool_and(complete) AS complete, count(on_cpu_us) AS nt, sum(on_cpu_us)::bigint AS oc, "
		"sum(runq_us)::bigint AS rq, sum(io_us)::bigint AS io, sum(mem_us)::bigint AS mem, "
		"sum(sleep_us)::bigint AS sl, sum(extract(epoch FROM end_time - start_time)) AS el, "
		"max(cg_mem_peak_bytes) AS mp, max(cg_mem_limit_bytes) AS ml, "
		"sum(oom_kills)::bigint AS oom, sum(cg_io_read_bytes)::bigint AS ior, "
		"sum(cg_io_write_bytes)::bigint AS iow, sum(psi_cpu_some_us)::bigint AS pc, "
		"sum(psi_io_some_us)::bigint AS pi, sum(psi_mem_some_us)::bigint AS pm, "
		"sum(psi_mem_full_us)::bigint AS pmf, min(extract(epoch FROM start_time)) AS st, "
		"max(extract(epoch FROM end_time)) AS en "
		"FROM sexec.step WHERE cluster = $1 AND job_id = $2 GROUP BY step, node), "
		"t AS (SELECT step, node, sum(processes)::bigint AS n, sum(cpu_user_us)::bigint AS cu, "
		"sum(cpu_sys_us)::bigint AS cs FROM sexec.step_tool WHERE cluster = $1 AND job_id = $2 "
		"GROUP BY step, node), "
		"p AS (SELECT step, node, count(*) AS n, sum(cpu_user_us)::bigint AS cu, "
		"sum(cpu_sys_us)::bigint AS cs FROM sexec.process WHERE cluster = $1 AND job_id = $2 "
		"AND EXISTS (SELECT 1 FROM s WHERE (s.step, s.node) NOT IN (SELECT step, node FROM t)) "
		"AND (step, node) NOT IN (SELECT step, node FROM t) GROUP BY step, node), "
		"u AS (SELECT * FROM t UNION ALL SELECT * FROM p) "
		"SELECT coalesce(s.step, u.step), coalesce(s.node, u.node), s.alloc_cpus, "
		"s.ntasks, s.lost_events, s.lost_tracking, s.complete, s.step IS NOT NULL, "
		"coalesce(u.n, 0), coalesce(u.cu, 0), coalesce(u.cs, 0), s.nt, s.oc, s.rq, s.io, "
		"s.mem, s.sl, s.el, s.mp, s.ml, s.oom, s.ior, s.iow, s.pc, s.pi, s.pm, s.pmf, s.st, s.en "
		"FROM s FULL JOIN u ON u.step = s.step AND u.node = s.node ORDER BY 1, 2";
	struct db_step_node *s = NULL;
	PGresult *res = NULL;
	int oom = 0, ret, i, k, rows;

	ret = db_query_job(d, sql, cluster, job_id, 2, NULL, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	s = calloc(rows ? (size_t)rows : 1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rows; i++) {
		snprintf(s[i].step, sizeof(s[i].step), "%s", PQgetvalue(res, i, 0));
		s[i].node = db_str(res, i, 1, &oom);
		s[i].alloc_cpus = db_int(res, i, 2, -1);
		s[i].ntasks = db_int(res, i, 3, -1);
		s[i].lost_events = db_int(res, i, 4, 0);
		s[i].lost_tracking = db_int(res, i, 5, 0);
		s[i].complete = db_bool(res, i, 6);
		s[i].has_row = db_bool(res, i, 7);
		s[i].processes = db_int(res, i, 8, 0);
		s[i].cpu_user_us = db_int(res, i, 9, 0);
		s[i].cpu_sys_us = db_int(res, i, 10, 0);
		s[i].has_time = db_int(res, i, 11, 0) > 0;
		for (k = 0; k < SEXEC_TIME_N; k++)
			s[i].time_us[k] = db_int(res, i, 12 + k, 0);
		s[i].elapsed_s = PQgetisnull(res, i, 17) ? NAN : strtod(PQgetvalue(res, i, 17), NULL);
		s[i].mem_peak = db_int(res, i, 18, -1);
		s[i].mem_limit = db_int(res, i, 19, -1);
		s[i].oom_kills = db_int(res, i, 20, -1);
		s[i].io_read = db_int(res, i, 21, -1);
		s[i].io_write = db_int(res, i, 22, -1);
		s[i].psi_cpu_us = db_int(res, i, 23, -1);
		s[i].psi_io_us = db_int(res, i, 24, -1);
		s[i].psi_mem_us = db_int(res, i, 25, -1);
		s[i].psi_mem_full_us = db_int(res, i, 26, -1);
		s[i].start_s = db_num(res, i, 27);
		s[i].end_s = db_num(res, i, 28);
		if (oom || !s[i].node) {
			ret = -ENOMEM;
			db_steps_free(s, (size_t)i + 1);
			goto out;
		}
	}
	*out = s;
	*n = (size_t)rows;
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	PQclear(res);
	return ret;
}

static int db_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int db_load_cpus(struct db *d, const char *cluster, uint32_t job_id, struct rep_cpu **out,
		 size_t *n, char *err, size_t errlen)
{
	/* Requeued runs add up per CPU. */
	static const char sql[] =
		"SELECT step, node, cpu, min(core), min(socket), min(numa_node), bool_or(allocated), "
		"sum(busy_us)::bigint FROM sexec.step_cpu WHERE cluster = $1 AND job_id = $2 "
		"GROUP BY step, node, cpu ORDER BY step, node, cpu";
	struct rep_cpu *c = NULL;
	PGresult *res = NULL;
	int oom = 0, ret, i, rows;

	ret = db_query_job(d, sql, cluster, job_id, 2, NULL, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	c = calloc(rows ? (size_t)rows : 1, sizeof(*c));
	if (!c)
		ret = -ENOMEM;
	for (i = 0; c && i < rows; i++) {
		snprintf(c[i].step, sizeof(c[i].step), "%s", PQgetvalue(res, i, 0));
		c[i].node = db_str(res, i, 1, &oom);
		c[i].cpu = (int)db_int(res, i, 2, -1);
		c[i].core = (int)db_int(res, i, 3, -1);
		c[i].socket = (int)db_int(res, i, 4, -1);
		c[i].numa = (int)db_int(res, i, 5, -1);
		c[i].allocated = db_bool(res, i, 6);
		c[i].busy_us = db_int(res, i, 7, -1);
	}
	if (c && oom) {
		for (i = 0; i < rows; i++)
			free(c[i].node);
		free(c);
		c = NULL;
		ret = -ENOMEM;
	}
	if (ret == -ENOMEM) {
		snprintf(err, errlen, "out of memory");
	} else {
		*out = c;
		*n = (size_t)rows;
	}
	PQclear(res);
	return ret;
}

/* argv travels as "x<hex>,x<hex>,..." (see db_load_processes): any byte survives and no
 * array-literal quoting needs parsing. The 'x' keeps an empty argument distinct from none. */
static int db_decode_argv(const char *s, char ***argv, size_t *argc)
{
	char **v = NULL;
	size_t n = 0, i, len;
	const char *p, *end;
	int ret = 0;

	for (p = s; *p; p = *end ? end + 1 : end) {
		char **grown, *arg;

		end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (len < 1 || p[0] != 'x' || (len - 1) % 2) {
			ret = -EINVAL;
			goto out;
		}
		grown = realloc(v, (n + 1) * sizeof(*v));
		arg = malloc((len - 1) / 2 + 1);
		if (grown)
			v = grown;
		if (!grown || !arg) {
			free(arg);
			ret = -ENOMEM;
			goto out;
		}
		for (i = 0; i < (len - 1) / 2; i++) {
			int hi = db_hexval(p[1 + 2 * i]), lo = db_hexval(p[2 + 2 * i]);

			if (hi < 0 || lo < 0) {
				free(arg);
				ret = -EINVAL;
				goto out;
			}
			arg[i] = (char)(hi << 4 | lo);
		}
		arg[i] = '\0';
		v[n++] = arg;
	}
out:
	if (ret) {
		for (i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return ret;
	}
	*argv = v;
	*argc = n;
	return 0;
}

/* Every process of a job (of one step when $3 is not NULL), by start. */
static const char db_proc_sql[] =
	"SELECT pid, ppid, step, task_id, node, exe, "
	"array_to_string(ARRAY(SELECT 'x' || encode(convert_to(coalesce(a, ''), 'UTF8'), "
	"'hex') FROM unnest(argv) WITH ORDINALITY AS u(a, i) ORDER BY i), ','), "
	"argv_truncated, tool, " DB_ISO("start_time") ", " DB_ISO("end_time") ", "
	"cpu_user_us, cpu_sys_us, exit_code, signal, core_dumped, "
	"extract(epoch FROM end_time - start_time), "
	"rss_peak_kb, read_bytes, write_bytes, rchar, wchar, syscr, syscw, "
	"vol_ctxsw, invol_ctxsw, minflt, majflt, threads, net_tx_bytes, net_rx_bytes, cwd, "
	"on_cpu_us, runq_us, io_us, mem_us, sleep_us, oom_killed "
	"FROM sexec.process WHERE cluster = $1 AND job_id = $2 "
	"AND ($3::text IS NULL OR step = $3) ORDER BY start_time, pid";

/* One row of the process query into q (freed with rep_proc_free() whatever the result).
 * Returns 0, -ENOMEM or -EIO. */
static int db_proc_row(const PGresult *res, int i, struct rep_proc *q, char *err, size_t errlen)
{
	int oom = 0, ret, k;

	q->pid = db_int(res, i, 0, -1);
	q->ppid = db_int(res, i, 1, -1);
	snprintf(q->step, sizeof(q->step), "%s", PQgetvalue(res, i, 2));
	q->task = db_int(res, i, 3, -1);
	q->node = db_str(res, i, 4, &oom);
	q->exe = db_str(res, i, 5, &oom);
	ret = db_decode_argv(PQgetvalue(res, i, 6), &q->argv, &q->argc);
	q->argv_truncated = db_bool(res, i, 7);
	q->tool = db_str(res, i, 8, &oom);
	q->start = db_str(res, i, 9, &oom);
	q->end = db_str(res, i, 10, &oom);
	q->cpu_user_us = db_int(res, i, 11, 0);
	q->cpu_sys_us = db_int(res, i, 12, 0);
	q->has_exit_code = !PQgetisnull(res, i, 13);
	q->exit_code = (int)db_int(res, i, 13, 0);
	q->signal = (int)db_int(res, i, 14, 0);
	q->core_dumped = db_bool(res, i, 15);
	q->wall_s = PQgetisnull(res, i, 16) ? 0 : strtod(PQgetvalue(res, i, 16), NULL);
	for (k = 0; k < REP_PROC_NCOUNTERS; k++)
		q->counters[k] = db_int(res, i, 17 + k, -1);
	q->cwd = PQgetisnull(res, i, 17 + REP_PROC_NCOUNTERS)
			 ? NULL
			 : db_str(res, i, 17 + REP_PROC_NCOUNTERS, &oom);
	q->has_time = !PQgetisnull(res, i, 18 + REP_PROC_NCOUNTERS);
	for (k = 0; k < SEXEC_TIME_N; k++)
		q->time_us[k] = db_int(res, i, 18 + REP_PROC_NCOUNTERS + k, 0);
	q->oom_killed = db_bool(res, i, 18 + REP_PROC_NCOUNTERS + SEXEC_TIME_N);
	if (ret == -EINVAL) {
		snprintf(err, errlen, "unexpected argv encoding from the database");
		ret = -EIO;
	}
	if (!ret && (oom || !q->node || !q->start || !q->end))
		ret = -ENOMEM;
	return ret;
}

int db_load_processes(struct db *d, const char *cluster, uint32_t job_id, const char *step,
		      long limit, struct rep_proc **out, size_t *n, size_t *total, char *err,
		      size_t errlen)
{
	/* With a limit: the longest processes, and how many there were in all. */
	static const char sql_top[] =
		"SELECT * FROM (SELECT pid, ppid, step, task_id, node, exe, "
		"array_to_string(ARRAY(SELECT 'x' || encode(convert_to(coalesce(a, ''), 'UTF8'), "
		"'hex') FROM unnest(argv) WITH ORDINALITY AS u(a, i) ORDER BY i), ','), "
		"argv_truncated, tool, " DB_ISO("start_time") ", " DB_ISO("end_time") ", "
		"cpu_user_us, cpu_sys_us, exit_code, signal, core_dumped, "
		"extract(epoch FROM end_time - start_time), "
		"rss_peak_kb, read_bytes, write_bytes, rchar, wchar, syscr, syscw, "
		"vol_ctxsw, invol_ctxsw, minflt, majflt, threads, net_tx_bytes, net_rx_bytes, cwd, "
		"on_cpu_us, runq_us, io_us, mem_us, sleep_us, oom_killed, count(*) OVER () AS total, "
		"start_time AS st "
		"FROM sexec.process WHERE cluster = $1 AND job_id = $2 "
		"AND ($3::text IS NULL OR step = $3) ORDER BY end_time - start_time DESC, start_time "
		"LIMIT $4) t ORDER BY st, pid";
	const char *params[4];
	char id[16], lim[24];
	struct rep_proc *p = NULL;
	PGresult *res = NULL;
	int ret, i, rows = 0;

	snprintf(id, sizeof(id), "%u", job_id);
	snprintf(lim, sizeof(lim), "%ld", limit);
	params[0] = cluster;
	params[1] = id;
	params[2] = step;
	params[3] = lim;
	ret = db_query(d, limit >= 0 ? sql_top : db_proc_sql, limit >= 0 ? 4 : 3, params, &res, err,
		       errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	/* sql_top's total follows the columns db_proc_row() reads. */
	*total = (size_t)rows;
	if (limit >= 0 && rows)
		*total = (size_t)db_int(res, 0, 19 + REP_PROC_NCOUNTERS + SEXEC_TIME_N, rows);
	p = calloc(rows ? (size_t)rows : 1, sizeof(*p));
	if (!p) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rows; i++) {
		ret = db_proc_row(res, i, &p[i], err, errlen);
		if (ret) {
			rows = i + 1;
			goto out;
		}
	}
	*out = p;
	*n = (size_t)rows;
	p = NULL;
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (p) {
		for (i = 0; i < rows; i++)
			rep_proc_free(&p[i]);
		free(p);
	}
	PQclear(res);
	return ret;
}

int db_load_tools(struct db *d, const char *cluster, const char *job_ids, struct rep_tool **out,
		  size_t *n, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT t.tool, sum(t.processes)::bigint, sum(t.rows_dropped)::bigint, "
		"sum(t.cpu_user_us + t.cpu_sys_us)::bigint, sum(t.wall_us)::bigint, "
		"max(t.rss_peak_kb), sum(t.read_bytes)::bigint, sum(t.write_bytes)::bigint, "
		"sum(t.io_us)::bigint, sum(t.demand_us)::bigint, sum(t.used_cost)::float8, "
		"bool_and(t.currency IS NOT NULL), sum(t.short_processes)::bigint, "
		"sum(t.short_cpu_us)::bigint, count(*) = count(t.short_processes) "
		/* priced at each step's rates (migration 7) */
		"FROM sexec.step_tool_cost t "
		"WHERE t.cluster = $1 AND t.job_id = ANY($2::bigint[]) GROUP BY t.tool "
		"ORDER BY 4 DESC, 1";
	struct rep_tool *t;
	const char *params[2];
	PGresult *res = NULL;
	int oom = 0, ret, i, rows;

	*out = NULL;
	*n = 0;
	params[0] = cluster;
	params[1] = job_ids;
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	t = calloc(rows ? (size_t)rows : 1, sizeof(*t));
	if (!t) {
		PQclear(res);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < rows; i++) {
		t[i].tool = db_str(res, i, 0, &oom);
		t[i].processes = db_int(res, i, 1, 0);
		t[i].rows_dropped = db_int(res, i, 2, 0);
		t[i].cpu_us = db_int(res, i, 3, 0);
		t[i].wall_us = db_int(res, i, 4, 0);
		t[i].rss_peak_kb = db_int(res, i, 5, -1);
		t[i].read_bytes = db_int(res, i, 6, -1);
		t[i].write_bytes = db_int(res, i, 7, -1);
		t[i].io_us = db_int(res, i, 8, -1);
		t[i].demand_us = db_int(res, i, 9, -1);
		t[i].cost = db_bool(res, i, 11) ? db_num(res, i, 10) : NAN;
		/* Rows written before schema 7 do not count them: unknown. */
		t[i].short_processes = db_bool(res, i, 14) ? db_int(res, i, 12, -1) : -1;
		t[i].short_cpu_us = db_bool(res, i, 14) ? db_int(res, i, 13, -1) : -1;
	}
	PQclear(res);
	*out = t;
	*n = (size_t)rows;
	if (oom) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

double db_num(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NAN : strtod(PQgetvalue(res, row, col), NULL);
}

int db_load_cost(struct db *d, const char *cluster, const char *job_ids, struct rep_cost *cost,
		 char *err, size_t errlen)
{
	/* Steps of a job overlap: the allocation is counted once per node, from
	 * the step that spans it; use is every step's. Runs of a requeued job
	 * each count. */
	static const char sql[] =
		"WITH c AS (SELECT * FROM sexec.step_cost WHERE cluster = $1 "
		"AND job_id = ANY($2::bigint[])), "
		"pick AS (SELECT job_id, node, restart, CASE WHEN bool_or(step = 'extern') THEN 'extern' "
		"WHEN bool_or(step = 'batch') THEN 'batch' END AS s FROM c GROUP BY 1, 2, 3), "
		"a AS (SELECT sum(c.alloc_core_h) AS ach, sum(c.alloc_gb_h) AS agh, "
		"sum(c.alloc_cost) AS acost FROM c JOIN pick USING (job_id, node, restart) "
		"WHERE pick.s IS NULL OR c.step = pick.s) "
		"SELECT count(*), max(c.currency), a.ach, sum(c.used_core_h), a.agh, "
		"sum(c.used_gb_h), a.acost, sum(c.used_cost), CASE WHEN a.acost IS NOT NULL AND "
		"bool_and(c.used_cost IS NOT NULL) THEN GREATEST(a.acost - sum(c.used_cost), 0) END "
		"FROM c, a GROUP BY a.ach, a.agh, a.acost";
	const char *params[2];
	PGresult *res = NULL;
	int oom = 0, ret;

	memset(cost, 0, sizeof(*cost));
	params[0] = cluster;
	params[1] = job_ids;
	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	if (PQntuples(res) == 1 && db_int(res, 0, 0, 0) > 0) {
		cost->known = 1;
		cost->currency = db_str(res, 0, 1, &oom);
		cost->alloc_core_h = db_num(res, 0, 2);
		cost->used_core_h = db_num(res, 0, 3);
		cost->alloc_gb_h = db_num(res, 0, 4);
		cost->used_gb_h = db_num(res, 0, 5);
		cost->alloc_cost = db_num(res, 0, 6);
		cost->used_cost = db_num(res, 0, 7);
		cost->idle_cost = db_num(res, 0, 8);
	}
	PQclear(res);
	if (oom) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

int db_load_samples(struct db *d, const char *cluster, uint32_t job_id, struct rep_sample **out,
		    size_t *n, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT step, node, restart, extract(epoch FROM t), on_cpu_us, runq_us, io_us, "
		"mem_us, sleep_us, cg_cpu_us, rss_bytes, io_read_bytes, io_write_bytes, "
		"psi_cpu_some_us, psi_io_some_us, psi_mem_some_us FROM sexec.sample "
		"WHERE cluster = $1 AND job_id = $2 ORDER BY step, node, restart, t";
	struct rep_sample *s = NULL;
	PGresult *res = NULL;
	int oom = 0, ret, i, k, rows;

	ret = db_query_job(d, sql, cluster, job_id, 2, NULL, &res, err, errlen);
	if (ret)
		return ret;
	rows = PQntuples(res);
	s = calloc(rows ? (size_t)rows : 1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < rows; i++) {
		snprintf(s[i].step, sizeof(s[i].step), "%s", PQgetvalue(res, i, 0));
		s[i].node = db_str(res, i, 1, &oom);
		s[i].restart = db_int(res, i, 2, 0);
		s[i].t = db_num(res, i, 3);
		for (k = 0; k < REP_SAMPLE_NCOUNTERS; k++)
			s[i].v[k] = db_int(res, i, 4 + k, -1);
		if (oom || !s[i].node) {
			while (i >= 0)
				free(s[i--].node);
			free(s);
			ret = -ENOMEM;
			goto out;
		}
	}
	*out = s;
	*n = (size_t)rows;
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	PQclear(res);
	return ret;
}

long db_count_array_tasks(struct db *d, const char *cluster, uint32_t array_job_id)
{
	static const char sql[] = "SELECT count(*) FROM sexec.job WHERE ($1 = '' OR cluster = $1) "
				  "AND array_job_id = $2";
	char err[256];
	PGresult *res;
	long n;

	if (db_query_job(d, sql, cluster ? cluster : "", array_job_id, 2, NULL, &res, err,
			 sizeof(err)))
		return 0;
	n = (long)db_int(res, 0, 0, 0);
	PQclear(res);
	return n;
}

/* Interned names: a job's processes carry a handful of distinct ones. */
struct db_names {
	char **s;
	size_t n, cap; /* cap: a power of two, for the table */
	size_t *tab;   /* open addressing: index into s, or (size_t)-1 */
};

static const char *db_intern(struct db_names *t, const char *s)
{
	size_t h = 5381, i;
	const char *c;

	if (t->n * 2 >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64, *ntab = malloc(ncap * sizeof(*ntab));
		char **ns = realloc(t->s, ncap * sizeof(*ns));

		if (!ntab || !ns) {
			free(ntab);
			if (ns)
				t->s = ns;
			return NULL;
		}
		t->s = ns;
		memset(ntab, 0xff, ncap * sizeof(*ntab));
		for (i = 0; i < t->n; i++) {
			size_t g = 5381;

			for (c = t->s[i]; *c; c++)
				g = g * 33 + (unsigned char)*c;
			for (g &= ncap - 1; ntab[g] != (size_t)-1; g = (g + 1) & (ncap - 1))
				;
			ntab[g] = i;
		}
		free(t->tab);
		t->tab = ntab;
		t->cap = ncap;
	}
	for (c = s; *c; c++)
		h = h * 33 + (unsigned char)*c;
	for (h &= t->cap - 1; t->tab[h] != (size_t)-1; h = (h + 1) & (t->cap - 1))
		if (!strcmp(t->s[t->tab[h]], s))
			return t->s[t->tab[h]];
	t->s[t->n] = strdup(s);
	if (!t->s[t->n])
		return NULL;
	t->tab[h] = t->n;
	return t->s[t->n++];
}

/* Run sql and hand each row to row() as it arrives (single-row mode), so a million rows
 * never sit in memory. Every result is read, also after a failure, so the connection stays
 * usable. Returns 0, row()'s first non-zero return, or -EACCES/-EIO with err set. */
static int db_stream(struct db *d, const char *sql, int nparams, const char *const *params,
		     int (*row)(const PGresult *res, void *arg), void *arg, char *err,
		     size_t errlen)
{
	PGresult *res;
	int ret = 0, done = 0;

	if (!PQsendQueryParams(d->conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
		db_oneline(err, errlen, PQerrorMessage(d->conn));
		return -EIO;
	}
	if (!PQsetSingleRowMode(d->conn)) {
		snprintf(err, errlen, "cannot read the rows one by one");
		ret = -EIO;
	}
	while ((res = PQgetResult(d->conn))) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE) {
			if (!ret)
				ret = row(res, arg);
		} else if (st == PGRES_TUPLES_OK) {
			done = 1;
		} else if (!ret) {
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

			db_oneline(err, errlen, msg ? msg : PQerrorMessage(d->conn));
			ret = state && !strcmp(state, "42501") ? -EACCES : -EIO;
		}
		PQclear(res);
	}
	if (!ret && !done) {
		db_oneline(err, errlen, PQerrorMessage(d->conn));
		ret = -EIO;
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

struct db_ptree_ctx {
	struct db_names names, groups;
	const char *last_group;
	struct ptree_proc *p;
	size_t n, cap;
};

static int db_ptree_row(const PGresult *res, void *arg)
{
	struct db_ptree_ctx *c = arg;
	const char *g = PQgetvalue(res, 0, 0), *name;
	struct ptree_proc *q;

	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct ptree_proc *np = realloc(c->p, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		c->p = np;
		c->cap = cap;
	}
	if (!c->last_group || strcmp(c->last_group, g) != 0)
		c->last_group = db_intern(&c->groups, g);
	name = db_intern(&c->names, PQgetvalue(res, 0, 6));
	if (!c->last_group || !name)
		return -ENOMEM;
	q = &c->p[c->n++];
	memset(q, 0, sizeof(*q));
	q->group = (uint32_t)(c->groups.n - 1);
	q->pid = db_int(res, 0, 1, -1);
	q->ppid = db_int(res, 0, 2, -1);
	q->start_us = db_int(res, 0, 3, 0);
	q->end_us = db_int(res, 0, 4, 0);
	q->cpu_us = db_int(res, 0, 5, 0);
	q->name = name;
	q->failed = (int)db_int(res, 0, 7, 0);
	return 0;
}

int db_load_ptree(struct db *d, const char *cluster, uint32_t job_id, const char *step,
		  struct rep_ptree *out, char *err, size_t errlen)
{
	/* Only what the tree shows, row by row: a million processes fit in tens of MB. */
	static const char sql[] =
		"SELECT step || ' ' || node, pid, ppid, "
		"(extract(epoch FROM start_time) * 1e6)::bigint, "
		"(extract(epoch FROM end_time) * 1e6)::bigint, cpu_user_us + cpu_sys_us, "
		"coalesce(nullif(tool, ''), regexp_replace(coalesce(exe, '?'), '^.*/', '')), "
		"(exit_code IS DISTINCT FROM 0)::int "
		"FROM sexec.process WHERE cluster = $1 AND job_id = $2 "
		"AND ($3::text IS NULL OR step = $3) ORDER BY step, node, start_time, pid";
	struct db_ptree_ctx c = { 0 };
	const char *params[3];
	char id[16];
	int ret;

	snprintf(id, sizeof(id), "%u", job_id);
	params[0] = cluster;
	params[1] = id;
	params[2] = step;
	ret = db_stream(d, sql, 3, params, db_ptree_row, &c, err, errlen);
	if (!ret && ptree_build(c.p, c.n)) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
	}
	out->procs = c.p;
	out->nprocs = c.n;
	out->names = c.names.s;
	out->nnames = c.names.n;
	free(c.names.tab);
	out->ngroups = c.groups.n;
	out->groups = c.groups.s;
	free(c.groups.tab);
	if (ret)
		rep_ptree_free(out);
	return ret;
}

int db_node_seen(struct db *d, const char *cluster, const char *node, double *started,
		 double *last_seen, double *stopped, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT extract(epoch FROM started_at), extract(epoch FROM last_seen), "
		"extract(epoch FROM stopped_at) FROM sexec.node WHERE ($1 = '' OR cluster = $1) "
		"AND node = $2 ORDER BY updated_at DESC LIMIT 1";
	const char *params[2] = { cluster ? cluster : "", node };
	PGresult *res;
	int ret;

	ret = db_query(d, sql, 2, params, &res, err, errlen);
	if (ret)
		return ret;
	if (!PQntuples(res)) {
		PQclear(res);
		return -ENOENT;
	}
	*started = db_num(res, 0, 0);
	*last_seen = db_num(res, 0, 1);
	*stopped = db_num(res, 0, 2);
	PQclear(res);
	return 0;
}

struct db_proc_stream {
	int (*cb)(const struct rep_proc *p, void *arg);
	void *arg;
	char *err;
	size_t errlen;
};

static int db_proc_stream_row(const PGresult *res, void *arg)
{
	struct db_proc_stream *c = arg;
	struct rep_proc q = { 0 };
	int ret;

	ret = db_proc_row(res, 0, &q, c->err, c->errlen);
	if (!ret)
		ret = c->cb(&q, c->arg);
	rep_proc_free(&q);
	return ret;
}

int db_stream_processes(struct db *d, const char *cluster, uint32_t job_id, const char *step,
			int (*cb)(const struct rep_proc *p, void *arg), void *arg, char *err,
			size_t errlen)
{
	struct db_proc_stream c = { .cb = cb, .arg = arg, .err = err, .errlen = errlen };
	const char *params[3];
	char id[16];

	snprintf(id, sizeof(id), "%u", job_id);
	params[0] = cluster;
	params[1] = id;
	params[2] = step;
	return db_stream(d, db_proc_sql, 3, params, db_proc_stream_row, &c, err, errlen);
}
