// SPDX-License-Identifier: GPL-2.0-or-later
/* sexec: the user CLI. Shows what sexec observed of one Slurm job (database) next to what
 * Slurm accounted for it (sacct), as text or JSON, degrading gracefully when either is away. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#include "sexec/conf.h"
#include "sexec/slurmfmt.h"

#include "cli.h"
#include "db.h"
#include "html.h"
#include "list.h"
#include "render.h"
#include "report.h"
#include "sacct.h"

#define ERR_MAX 1024
#define MAIN_HEARTBEAT_S 60 /* how often a collector refreshes sexec.node.last_seen */

/* "2026-11-24T04:50:07", local time as sacct prints it. */
static void main_local_time(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", localtime_r(&s, &tm));
}

/* What became of each source; the exit code and warnings are decided from these. */
struct main_state {
	int sacct_ret;         /* 0 or -errno from sacct_query() */
	char sacct_err[ERR_MAX];
	int db_ret;            /* 0, or -errno of the first database failure */
	char db_err[ERR_MAX];
	const struct sexec_conf *conf;
	const char *db_override;
};

static void main_usage(FILE *f)
{
	fprintf(f,
		"Usage: sexec [OPTIONS] JOBID\n"
		"       sexec [OPTIONS] [-u USER|-a] [-A ACCOUNT] [-p PARTITION] [-S TIME] [-E TIME]\n"
		"       sexec [OPTIONS] --pipeline NAME [--run ID]\n"
		"Show what sexec observed of Slurm jobs next to what Slurm accounted for them: where\n"
		"the time and money went, and what to change.\n"
		"\n"
		"JOBID is 123 (a job; for an array job, all its tasks), 123_4 (task 4 of array job\n"
		"123), 123+1 (component 1 of heterogeneous job 123), or a step of any of them:\n"
		"123.batch, 123.0, 123_4.extern, 123+1.0. Without a JOBID, list jobs (by default\n"
		"the caller's of the last 7 days), one line each with a verdict.\n"
		"\n"
		"Views:\n"
		"      --processes      the process tree, repeated siblings collapsed\n"
		"      --tools          every tool, not only the top 10\n"
		"      --timeline       sparklines of CPU, memory and I/O from the samples\n"
		"      --html FILE      write a self-contained HTML report (charts in inline SVG)\n"
		"      --json           print one JSON object instead of text (docs/json.md)\n"
		"      --csv            print the main table as CSV (steps, processes, tools, jobs\n"
		"                       or pipeline tasks, as the view has)\n"
		"      --color WHEN     colour text: auto (on a terminal without NO_COLOR), always,\n"
		"                       never\n"
		"\n"
		"Listing jobs (like sacct):\n"
		"  -u, --user USER      jobs of USER (default: the caller)\n"
		"  -a, --allusers       jobs of every user the database shows you\n"
		"  -A, --account NAME   jobs charged to account NAME\n"
		"  -p, --partition NAME jobs in partition NAME\n"
		"  -S, --starttime TIME jobs that ran at or after TIME (default: now-7days)\n"
		"  -E, --endtime TIME   jobs that ran before TIME (default: now)\n"
		"                       TIME is YYYY-MM-DD[THH:MM[:SS]], now, now-Ndays or\n"
		"                       now-Nhours\n"
		"\n"
		"Pipelines:\n"
		"      --pipeline NAME  a pipeline's run, by workflow task and tool, with the jobs\n"
		"                       on its critical path\n"
		"      --run ID         which run (default: the latest)\n"
		"\n"
		"Sources:\n"
		"  -c, --config FILE    read FILE instead of %s\n"
		"      --db CONNINFO    libpq connection string to read from (overrides db_read)\n"
		"      --sacct PATH     sacct program to run (overrides sacct)\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status:\n"
		"  0  shown; warnings, if any, went to stderr\n"
		"  1  other error (configuration, out of memory, writing the output)\n"
		"  2  bad options or a malformed JOBID\n"
		"  3  neither sexec nor sacct knows the job (or the step, or the pipeline run)\n"
		"  4  the database is unreachable and sacct could not show the job either\n"
		"  5  the database denied access (permission denied)\n",
		SEXEC_CONF_DEFAULT);
}

static int main_parse_opts(int argc, char **argv, struct cli_opts *o)
{
	enum {
		OPT_JSON = 256, OPT_PROCESSES, OPT_DB, OPT_SACCT, OPT_CSV, OPT_TOOLS, OPT_TIMELINE,
		OPT_HTML, OPT_PIPELINE, OPT_RUN, OPT_COLOR,
	};
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "csv", no_argument, NULL, OPT_CSV },
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "tools", no_argument, NULL, OPT_TOOLS },
		{ "timeline", no_argument, NULL, OPT_TIMELINE },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "colour", required_argument, NULL, OPT_COLOR },
		{ "pipeline", required_argument, NULL, OPT_PIPELINE },
		{ "run", required_argument, NULL, OPT_RUN },
		{ "user", required_argument, NULL, 'u' },
		{ "allusers", no_argument, NULL, 'a' },
		{ "account", required_argument, NULL, 'A' },
		{ "partition", required_argument, NULL, 'p' },
		{ "starttime", required_argument, NULL, 'S' },
		{ "endtime", required_argument, NULL, 'E' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "sacct", required_argument, NULL, OPT_SACCT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *color = "auto";
	int c;

	while ((c = getopt_long(argc, argv, "c:u:aA:p:S:E:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_CSV:
			o->csv = 1;
			break;
		case OPT_PROCESSES:
			o->processes = 1;
			break;
		case OPT_TOOLS:
			o->tools = 1;
			break;
		case OPT_TIMELINE:
			o->timeline = 1;
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		case OPT_COLOR:
			color = optarg;
			break;
		case OPT_PIPELINE:
			o->pipeline = optarg;
			break;
		case OPT_RUN:
			o->run = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'a':
			o->all_users = 1;
			break;
		case 'A':
			o->account = optarg;
			break;
		case 'p':
			o->partition = optarg;
			break;
		case 'S':
			o->start = optarg;
			break;
		case 'E':
			o->end = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_SACCT:
			o->sacct = optarg;
			break;
		case 'h':
			main_usage(stdout);
			exit(fflush(stdout) ? EXIT_ERROR : EXIT_SHOWN);
		case 'V':
			printf("sexec %s\n", PACKAGE_VERSION);
			exit(fflush(stdout) ? EXIT_ERROR : EXIT_SHOWN);
		default:
			fprintf(stderr, "Try 'sexec --help' for more information.\n");
			return -EINVAL;
		}
	}
	if (!strcmp(color, "always")) {
		o->color = 1;
	} else if (!strcmp(color, "never")) {
		o->color = 0;
	} else if (!strcmp(color, "auto")) {
		const char *nc = getenv("NO_COLOR");

		o->color = isatty(STDOUT_FILENO) && !(nc && *nc);
	} else {
		fprintf(stderr, "sexec: --color takes auto, always or never, not '%s'\n", color);
		return -EINVAL;
	}
	if (o->json + o->csv + !!o->html > 1) {
		fprintf(stderr, "sexec: --json, --csv and --html exclude each other\n");
		return -EINVAL;
	}
	if (o->run && !o->pipeline) {
		fprintf(stderr, "sexec: --run needs --pipeline NAME\n");
		return -EINVAL;
	}
	if (o->user && o->all_users) {
		fprintf(stderr, "sexec: -u and -a exclude each other\n");
		return -EINVAL;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "sexec: give one job id only\nTry 'sexec --help' for more "
			"information.\n");
		return -EINVAL;
	}
	o->jobarg = argc > optind ? argv[optind] : NULL;
	if (o->jobarg && o->pipeline) {
		fprintf(stderr, "sexec: give a job id or --pipeline, not both\n");
		return -EINVAL;
	}
	if ((o->jobarg || o->pipeline) && (o->user || o->all_users || o->account ||
					    o->partition || o->start || o->end)) {
		fprintf(stderr, "sexec: -u, -a, -A, -p, -S and -E select jobs to list; they do "
			"not go with a job id or --pipeline\n");
		return -EINVAL;
	}
	return 0;
}

/* Run sacct on the job (the whole job even when a step was named: the job's own line is the
 * header) and keep every row; main_pick_sacct() narrows them once the job id is known. */
static void main_run_sacct(struct report *r, const struct sexec_conf *conf,
			   struct main_state *st)
{
	char jobarg[32];

	/* A heterogeneous job's components are all listed under its id. */
	if (r->sel.has_array)
		snprintf(jobarg, sizeof(jobarg), "%u_%u", r->sel.job_id, r->sel.array_task_id);
	else
		snprintf(jobarg, sizeof(jobarg), "%u", r->sel.job_id);
	st->sacct_ret = sacct_query(conf->sacct[0] ? conf->sacct : "sacct", jobarg,
				    SACCT_TIMEOUT_S, &r->sacct_rows, &r->nsacct, st->sacct_err,
				    sizeof(st->sacct_err));
	r->sacct_available = st->sacct_ret == 0;
}

/* An array or heterogeneous selector names a task or component; sacct's JobIDRaw gives its
 * own job id. */
static int main_resolve_from_sacct(const struct report *r, uint32_t *job_id)
{
	size_t i;

	for (i = 0; i < r->nsacct; i++) {
		const struct sacct_row *s = &r->sacct_rows[i];

		if (s->step[0])
			continue;
		if ((r->sel.has_array && s->array_job_id == r->sel.job_id &&
		     s->array_task_id == r->sel.array_task_id) ||
		    (r->sel.has_het && s->het_job_id == r->sel.job_id &&
		     s->het_offset == r->sel.het_offset)) {
			*job_id = s->job_id;
			return 0;
		}
	}
	return -ENOENT;
}

/* How many tasks sacct lists for array job id (0 when it is not one). */
static size_t main_array_tasks(const struct report *r, uint32_t id)
{
	size_t i, n = 0;

	for (i = 0; i < r->nsacct; i++)
		if (!r->sacct_rows[i].step[0] && r->sacct_rows[i].array_job_id == id)
			n++;
	return n;
}

/* Keep only the resolved job's rows, and note when a plain id is an array's: sacct then
 * lists every task, and the user may have wanted another one. */
static int main_pick_sacct(struct report *r)
{
	size_t i, n = 0, tasks = 0, parts = 0;
	int64_t array_job = -1;

	for (i = 0; i < r->nsacct; i++) {
		struct sacct_row *s = &r->sacct_rows[i];

		if (!s->step[0] && s->array_job_id >= 0 && s->array_job_id == r->sel.job_id)
			tasks++;
		if (!s->step[0] && s->het_job_id >= 0 && s->het_job_id == r->sel.job_id)
			parts++;
		if (s->job_id != r->job_id) {
			sacct_row_free(s);
			continue;
		}
		r->sacct_rows[n++] = *s;
	}
	r->nsacct = n;
	for (i = 0; i < n; i++) {
		if (!r->sacct_rows[i].step[0]) {
			/* A requeued job may be listed more than once; the last is the latest. */
			r->sacct_job = &r->sacct_rows[i];
			array_job = r->sacct_rows[i].array_job_id;
		}
	}
	if (!r->sel.has_het && parts > 1 && r->sacct_job &&
	    report_add_warning(r, "job %u is a heterogeneous job of %zu components; showing %s, "
			       "name another as %u+N", r->sel.job_id, parts, r->sacct_job->jobid,
			       r->sel.job_id))
		return -ENOMEM;
	if (!r->sel.has_array && array_job == r->sel.job_id && tasks > 1)
		return report_add_warning(r, "job %u is array job %u with %zu tasks here; showing "
					  "task %s, name another as %u_TASK", r->sel.job_id,
					  r->sel.job_id, tasks, r->sacct_job->jobid, r->sel.job_id);
	return 0;
}

/* Record the first database failure; later queries are skipped after one. */
static void main_db_fail(struct main_state *st, int ret, const char *err)
{
	if (st->db_ret)
		return;
	st->db_ret = ret;
	snprintf(st->db_err, sizeof(st->db_err), "%s", err);
}

/* Find the job in the database and read its steps (into *dbs) and processes. Failures are
 * recorded in st; only running out of memory is returned. */
static int main_read_db(struct report *r, const struct sexec_conf *conf, const char *db_override,
			struct main_state *st, int *resolved, struct db_step_node **dbs,
			size_t *ndbs)
{
	char err[ERR_MAX] = "", ids[16];
	struct db *db = NULL;
	size_t nclusters = 0, i;
	int ret;

	ret = db_open_conf(&db, conf, db_override, err, sizeof(err));
	if (ret) {
		main_db_fail(st, ret, err);
		return 0;
	}
	if (!*resolved) {
		ret = db_find_array_task(db, r->sel.job_id, r->sel.array_task_id, conf->cluster,
					 &r->job_id, err, sizeof(err));
		if (ret == -ENOENT)
			goto out;
		if (ret) {
			main_db_fail(st, ret, err);
			goto out;
		}
		*resolved = 1;
	}
	ret = db_find_job(db, r->job_id, conf->cluster, &r->job, &nclusters, err, sizeof(err));
	if (ret == -ENOENT)
		goto out;
	if (ret) {
		main_db_fail(st, ret, err);
		goto out;
	}
	r->observed = 1;
	r->cluster = r->job.cluster;
	if (nclusters > 1 &&
	    report_add_warning(r, "job %u was seen on %zu clusters; showing cluster %s", r->job_id,
			       nclusters, r->job.cluster)) {
		main_db_fail(st, -ENOMEM, "out of memory");
		goto out;
	}

	ret = db_load_steps(db, r->job.cluster, r->job_id, dbs, ndbs, err, sizeof(err));
	if (ret) {
		main_db_fail(st, ret, err);
		goto out;
	}
	snprintf(ids, sizeof(ids), "{%u}", r->job_id);
	ret = db_load_tools(db, r->job.cluster, ids, &r->tools, &r->ntools, err, sizeof(err));
	if (!ret)
		ret = db_load_cost(db, r->job.cluster, ids, &r->cost, err, sizeof(err));
	if (!ret)
		ret = db_load_cpus(db, r->job.cluster, r->job_id, &r->cpus, &r->ncpus, err,
				   sizeof(err));
	if (ret) {
		main_db_fail(st, ret, err);
		goto out;
	}
	if (r->with_processes && !r->proc_stream) {
		ret = db_load_processes(db, r->job.cluster, r->job_id,
					r->sel.has_step ? r->sel.step : NULL, r->procs_limit, &r->procs,
					&r->nprocs, &r->procs_total, err, sizeof(err));
		if (ret) {
			main_db_fail(st, ret, err);
			goto out;
		}
	}
	if (r->with_tree) {
		ret = db_load_ptree(db, r->job.cluster, r->job_id, r->sel.has_step ? r->sel.step : NULL,
				    &r->tree, err, sizeof(err));
		if (ret) {
			main_db_fail(st, ret, err);
			goto out;
		}
	}
	if (r->with_samples) {
		ret = db_load_samples(db, r->job.cluster, r->job_id, &r->samples, &r->nsamples,
				      err, sizeof(err));
		if (ret)
			main_db_fail(st, ret, err);
	}
out:
	db_close(db);
	/* Half-read data would be passed off as the job's: forget all of it. */
	if (st->db_ret) {
		r->observed = 0;
		r->cluster = conf->cluster[0] ? conf->cluster : NULL;
		db_job_free(&r->job);
		db_steps_free(*dbs, *ndbs);
		*dbs = NULL;
		*ndbs = 0;
		for (i = 0; i < r->nprocs; i++)
			rep_proc_free(&r->procs[i]);
		free(r->procs);
		r->procs = NULL;
		r->nprocs = 0;
		for (i = 0; i < r->ntools; i++)
			free(r->tools[i].tool);
		free(r->tools);
		r->tools = NULL;
		r->ntools = 0;
		free(r->cost.currency);
		memset(&r->cost, 0, sizeof(r->cost));
		rep_ptree_free(&r->tree);
		for (i = 0; i < r->nsamples; i++)
			free(r->samples[i].node);
		free(r->samples);
		r->samples = NULL;
		r->nsamples = 0;
	}
	return st->db_ret == -ENOMEM ? -ENOMEM : 0;
}

/* Warnings about how complete the observed data is, step by step. */
static int main_warn_steps(struct report *r)
{
	const char *job_state = r->sacct_job ? r->sacct_job->state : NULL;
	int running = job_state && (!strncmp(job_state, "RUNNING", 7) ||
				    !strncmp(job_state, "PENDING", 7) ||
				    !strncmp(job_state, "SUSPENDED", 9) ||
				    !strncmp(job_state, "REQUEUED", 8));
	size_t i;

	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];

		if (s->lost_events || s->lost_tracking) {
			if (report_add_warning(r, "step %s: the collector lost %lld events and "
					       "failed to track %lld processes; observed data is "
					       "partial", s->step, (long long)s->lost_events,
					       (long long)s->lost_tracking))
				return -ENOMEM;
		}
		if (s->observed && !s->complete && !running) {
			if (report_add_warning(r, "step %s: sexec's record is incomplete (the "
					       "collector missed its start or end, or is still "
					       "writing it)", s->step))
				return -ENOMEM;
		}
	}
	return 0;
}

/* Why sexec has no records of a job sacct knows: its user, then its first node's collector
 * liveness (sexec.node) against the job's run. Nothing about other jobs is read. */
static int main_why_unobserved(struct report *r, const struct main_state *st)
{
	const struct sacct_row *sj = r->sacct_job;
	double started = NAN, seen = NAN, stopped = NAN;
	char node[256] = "", err[ERR_MAX], t[32];
	struct passwd *pw = getpwuid(getuid());
	struct db *db = NULL;
	time_t from, to;
	int ret = -EAGAIN;

	/* Row-level security: another user's records are not shown, whatever they hold. */
	if (sj && sj->user && *sj->user && pw && strcmp(sj->user, pw->pw_name) != 0)
		return report_add_warning(r, "sexec shows you no records of job %u: it is %s's, "
					  "and the database shows users their own jobs only",
					  r->job_id, sj->user);
	if (sj && sj->nodelist && *sj->nodelist && strcmp(sj->nodelist, "None assigned") &&
	    !slurmfmt_parse_time(sj->start, 0, &from)) {
		if (slurmfmt_parse_time(sj->end, 0, &to))
			to = time(NULL);
		slurmfmt_hostlist_first(sj->nodelist, node, sizeof(node));
		if (node[0] && !db_open_conf(&db, st->conf, st->db_override, err, sizeof(err)))
			ret = db_node_seen(db, r->cluster, node, &started, &seen, &stopped, err,
					   sizeof(err));
		db_close(db);
	}
	if (ret == -ENOENT)
		return report_add_warning(r, "sexec has no records of job %u: no sexec collector "
					  "has ever reported from its node %s (the plugin and "
					  "collector are not deployed there)", r->job_id, node);
	if (ret || !isfinite(started) || !isfinite(seen))
		return report_add_warning(r, "sexec has no records of job %u: the plugin may not "
					  "be enabled on its nodes, the collector may have been "
					  "down, or the job opted out", r->job_id);
	if (started > (double)from) {
		main_local_time(started, t, sizeof(t));
		return report_add_warning(r, "sexec has no records of job %u: the collector on %s "
					  "started at %s, after the job began; it was down until "
					  "then", r->job_id, node, t);
	}
	if (isfinite(stopped) && stopped >= started && stopped < (double)to) {
		main_local_time(stopped, t, sizeof(t));
		return report_add_warning(r, "sexec has no records of job %u: the collector on %s "
					  "was stopped at %s, before the job ended", r->job_id, node,
					  t);
	}
	/* A live collector says so every MAIN_HEARTBEAT_S; a longer silence is a crash or
	 * a database it could not reach. */
	if (seen < (double)to - 2 * MAIN_HEARTBEAT_S) {
		main_local_time(seen, t, sizeof(t));
		return report_add_warning(r, "sexec has no records of job %u: the collector on %s "
					  "was last heard of at %s, before the job ended (it "
					  "stopped, or could not reach the database)", r->job_id, node,
					  t);
	}
	return report_add_warning(r, "sexec has no records of job %u: the collector on %s ran "
				  "throughout, so the job opted out (--sexec=off) or the plugin is "
				  "not enabled for it", r->job_id, node);
}

/* Decide what can be shown. Returns an exit code; EXIT_SHOWN means render the report. */
static int main_decide(struct report *r, struct main_state *st)
{
	size_t i;

	if (st->db_ret == -ENOMEM || st->sacct_ret == -ENOMEM) {
		fprintf(stderr, "sexec: out of memory\n");
		return EXIT_ERROR;
	}
	if (st->db_ret == -EACCES) {
		fprintf(stderr, "sexec: permission denied reading the sexec database: %s (ask the "
			"administrators for the sexec_reader role)\n", st->db_err);
		return EXIT_DENIED;
	}
	if (!r->observed && !r->sacct_job) {
		if (st->db_ret && st->sacct_ret)
			fprintf(stderr, "sexec: cannot show job %s: database unavailable (%s) and "
				"sacct data unavailable (%s)\n", r->selector, st->db_err,
				st->sacct_err);
		else if (st->db_ret)
			fprintf(stderr, "sexec: cannot show job %s: database unavailable (%s) and "
				"sacct does not know the job\n", r->selector, st->db_err);
		else if (st->sacct_ret)
			fprintf(stderr, "sexec: job %s not found (sacct data unavailable: %s)\n",
				r->selector, st->sacct_err);
		else
			fprintf(stderr, "sexec: job %s not found\n", r->selector);
		return st->db_ret ? EXIT_DB_DOWN : EXIT_NOT_FOUND;
	}
	if (r->sel.has_step) {
		for (i = 0; i < r->nsteps; i++)
			if (!strcmp(r->steps[i].step, r->sel.step))
				break;
		if (i == r->nsteps) {
			fprintf(stderr, "sexec: step %s not found (job %u has no step %s)\n",
				r->selector, r->job_id, r->sel.step);
			return EXIT_NOT_FOUND;
		}
	}
	if (st->sacct_ret && report_add_warning(r, "sacct data unavailable: %s", st->sacct_err))
		goto nomem;
	if (st->db_ret && report_add_warning(r, "sexec database unavailable: %s; showing Slurm's "
					     "accounting only", st->db_err))
		goto nomem;
	if (!st->db_ret && !r->observed && main_why_unobserved(r, st))
		goto nomem;
	if (r->observed && !st->sacct_ret && !r->sacct_job &&
	    report_add_warning(r, "sacct has no record of job %u", r->job_id))
		goto nomem;
	if (main_warn_steps(r))
		goto nomem;
	return EXIT_SHOWN;
nomem:
	fprintf(stderr, "sexec: out of memory\n");
	return EXIT_ERROR;
}

/* Write the HTML report to FILE ("-": standard output), replacing it only once complete. */
static int main_write_html(const struct report *r, const char *path)
{
	char tmp[4096];
	FILE *f;
	int ret;

	if (!strcmp(path, "-"))
		return render_html(r, stdout) ? EXIT_ERROR : EXIT_SHOWN;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "sexec: --html: file name too long\n");
		return EXIT_ERROR;
	}
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "sexec: cannot write %s: %s\n", tmp, strerror(errno));
		return EXIT_ERROR;
	}
	ret = render_html(r, f);
	if (fclose(f) || ret) {
		fprintf(stderr, "sexec: cannot write %s\n", tmp);
		unlink(tmp);
		return EXIT_ERROR;
	}
	if (rename(tmp, path)) {
		fprintf(stderr, "sexec: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
		unlink(tmp);
		return EXIT_ERROR;
	}
	fprintf(stderr, "sexec: wrote %s\n", path);
	return EXIT_SHOWN;
}

/* Array tasks the database knows of array job id (for when sacct cannot tell). */
static long main_db_array_tasks(const struct sexec_conf *conf, const char *db_override,
				uint32_t id)
{
	char err[ERR_MAX];
	struct db *db = NULL;
	long n;

	if (db_open_conf(&db, conf, db_override, err, sizeof(err)))
		return 0;
	n = db_count_array_tasks(db, conf->cluster, id);
	db_close(db);
	return n;
}

struct main_stream {
	const struct sexec_conf *conf;
	const char *db_override;
};

/* --json/--csv --processes: every process straight from a connection of its own, so a
 * million of them pass through without being held. */
static int main_stream_procs(const struct report *r,
			     int (*cb)(const struct rep_proc *p, void *arg), void *arg)
{
	const struct main_stream *ms = r->proc_stream_ctx;
	char err[ERR_MAX];
	struct db *db = NULL;
	int ret;

	ret = db_open_conf(&db, ms->conf, ms->db_override, err, sizeof(err));
	if (!ret)
		ret = db_stream_processes(db, r->job.cluster, r->job_id,
					  r->sel.has_step ? r->sel.step : NULL, cb, arg, err,
					  sizeof(err));
	db_close(db);
	if (ret && ret != -EIO)
		fprintf(stderr, "sexec: reading the processes failed: %s\n", err);
	else if (ret)
		fprintf(stderr, "sexec: reading or writing the processes failed%s%s\n",
			err[0] ? ": " : "", err);
	return ret;
}

static int main_job(const struct cli_opts *o, const struct sexec_conf *conf)
{
	struct main_stream ms = { .conf = conf, .db_override = o->db };
	struct main_state st = { .conf = conf, .db_override = o->db };
	struct db_step_node *dbs = NULL;
	struct report r = { 0 };
	int resolved = 0, code = EXIT_ERROR;
	size_t i, ndbs = 0;

	if (slurmfmt_parse_jobsel(o->jobarg, &r.sel)) {
		fprintf(stderr, "sexec: '%s' is not a job id (expected 123, 123_4, 123+1 or "
			"123.batch)\n", o->jobarg);
		return EXIT_USAGE;
	}
	r.selector = o->jobarg;
	/* --html excludes --json and --csv (main_parse_opts). Its Gantt chart draws the
	 * longest processes only: just those are read. JSON and CSV stream every one. */
	r.with_processes = o->html || (o->processes && (o->json || o->csv));
	r.procs_limit = o->html ? HTML_GANTT_MAX_PROCS : -1;
	if (o->processes && (o->json || o->csv)) {
		r.proc_stream = main_stream_procs;
		r.proc_stream_ctx = &ms;
	}
	r.with_tree = o->processes && !o->json && !o->csv && !o->html;
	r.with_samples = o->timeline || o->html || o->json;
	r.color = o->color;
	r.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	r.all_tools = o->tools;
	r.with_timeline = o->timeline;

	main_run_sacct(&r, conf, &st);
	/* A whole array: its tasks listed and added up (the views of one process tree or
	 * timeline need one task). */
	if (!r.sel.has_array && !r.sel.has_het && !r.sel.has_step && !o->processes &&
	    !o->timeline && !o->html &&
	    (main_array_tasks(&r, r.sel.job_id) > 1 ||
	     (st.sacct_ret && main_db_array_tasks(conf, o->db, r.sel.job_id) > 1))) {
		/* sacct was asked for this very id (main_run_sacct): its answer serves. */
		struct list_sacct pre = { .rows = r.sacct_rows, .nrows = r.nsacct,
					  .ret = st.sacct_ret, .err = st.sacct_err };
		uint32_t array_job = r.sel.job_id;

		r.sacct_rows = NULL;
		r.nsacct = 0;
		report_free(&r);
		code = list_array_show(o, conf, array_job, &pre, stdout);
		for (i = 0; i < pre.nrows; i++)
			sacct_row_free(&pre.rows[i]);
		free(pre.rows);
		return code;
	}
	if (!r.sel.has_array && !r.sel.has_het) {
		r.job_id = r.sel.job_id;
		resolved = 1;
	} else if (!main_resolve_from_sacct(&r, &r.job_id)) {
		resolved = 1;
	} else if (r.sel.has_het && r.sel.het_offset == 0) {
		/* A heterogeneous job's leader is component 0. */
		r.job_id = r.sel.job_id;
		resolved = 1;
	}
	r.cluster = conf->cluster[0] ? conf->cluster : NULL;
	/* With neither source knowing an array task, job_id stays 0 and matches nothing. */
	if (main_read_db(&r, conf, o->db, &st, &resolved, &dbs, &ndbs) || main_pick_sacct(&r) ||
	    report_build_steps(&r, dbs, ndbs)) {
		fprintf(stderr, "sexec: out of memory\n");
		goto out;
	}
	/* Nothing to stream from a database that does not have the job. */
	if (!r.observed)
		r.proc_stream = NULL;
	if (r.observed && r.sacct_job && conf->cluster[0] &&
	    strcmp(conf->cluster, r.cluster) != 0 &&
	    report_add_warning(&r, "job %u was found on cluster %s, not on the configured cluster "
			       "%s: sacct's lines may describe another job", r.job_id, r.cluster,
			       conf->cluster)) {
		fprintf(stderr, "sexec: out of memory\n");
		goto out;
	}
	code = main_decide(&r, &st);
	if (code != EXIT_SHOWN)
		goto out;
	if (o->html) {
		code = main_write_html(&r, o->html);
	} else if (o->json ? render_json(&r, stdout)
			   : o->csv ? render_csv(&r, stdout) : render_text(&r, stdout)) {
		fprintf(stderr, "sexec: cannot write the output\n");
		code = EXIT_ERROR;
	}
	for (i = 0; i < r.nwarnings; i++)
		fprintf(stderr, "sexec: warning: %s\n", r.warnings[i]);
out:
	db_steps_free(dbs, ndbs);
	report_free(&r);
	return code;
}

int main(int argc, char **argv)
{
	struct cli_opts o = { 0 };
	struct sexec_conf conf;
	char err[ERR_MAX];

	/* Only the character set: numbers stay in the C locale for scripts. */
	setlocale(LC_CTYPE, "");
	if (main_parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	/* An explicit -c must exist; the default file may be absent (defaults apply). */
	if (conf_load(&conf, o.config, o.config != NULL, err, sizeof(err)) ||
	    (o.sacct && conf_set(&conf, "sacct", o.sacct, err, sizeof(err))) ||
	    (o.db && conf_set(&conf, "db_read", o.db, err, sizeof(err)))) {
		fprintf(stderr, "sexec: %s\n", err);
		return EXIT_ERROR;
	}
	if (o.pipeline)
		return pipeline_show(&o, &conf, stdout);
	if (!o.jobarg)
		return list_show(&o, &conf, stdout);
	return main_job(&o, &conf);
}
