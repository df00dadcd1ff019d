// SPDX-License-Identifier: GPL-2.0-or-later
/* sexec: the user CLI. Shows what sexec observed of one Slurm job (database) next to what
 * Slurm accounted for it (sacct), as text or JSON, degrading gracefully when either is away. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#include "sexec/conf.h"
#include "sexec/slurmfmt.h"

#include "db.h"
#include "render.h"
#include "report.h"
#include "sacct.h"

/* Exit codes, documented in --help and sexec(1). */
enum {
	EXIT_SHOWN = 0,     /* the job was shown (warnings, if any, on stderr) */
	EXIT_ERROR = 1,     /* other error: configuration, memory, writing output */
	EXIT_USAGE = 2,     /* bad options or a malformed job id */
	EXIT_NOT_FOUND = 3, /* neither sexec nor sacct knows the job (or step) */
	EXIT_DB_DOWN = 4,   /* database unreachable and sacct could not show the job either */
	EXIT_DENIED = 5,    /* the database denied access (SQLSTATE 42501) */
};

#define ERR_MAX 1024

struct main_opts {
	int json, processes;
	const char *config, *db, *sacct;
	const char *jobarg;
};

/* What became of each source; the exit code and warnings are decided from these. */
struct main_state {
	int sacct_ret;         /* 0 or -errno from sacct_query() */
	char sacct_err[ERR_MAX];
	int db_ret;            /* 0, or -errno of the first database failure */
	char db_err[ERR_MAX];
};

static void main_usage(FILE *f)
{
	fprintf(f,
		"Usage: sexec [OPTIONS] JOBID\n"
		"Show what sexec observed of a Slurm job next to what Slurm accounted for it.\n"
		"\n"
		"JOBID is 123 (a job), 123_4 (task 4 of array job 123), or 123.batch, 123.0,\n"
		"123_4.extern (one step of a job).\n"
		"\n"
		"Options:\n"
		"      --json           print one JSON object instead of text\n"
		"      --processes      also list every observed process\n"
		"  -c, --config FILE    read FILE instead of %s\n"
		"      --db CONNINFO    libpq connection string to read from (overrides db_read)\n"
		"      --sacct PATH     sacct program to run (overrides sacct)\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Exit status:\n"
		"  0  the job was shown; warnings, if any, went to stderr\n"
		"  1  other error (configuration, out of memory, writing the output)\n"
		"  2  bad options or a malformed JOBID\n"
		"  3  neither sexec nor sacct knows the job (or the step)\n"
		"  4  the database is unreachable and sacct could not show the job either\n"
		"  5  the database denied access (permission denied)\n",
		SEXEC_CONF_DEFAULT);
}

static int main_parse_opts(int argc, char **argv, struct main_opts *o)
{
	enum { OPT_JSON = 256, OPT_PROCESSES, OPT_DB, OPT_SACCT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "processes", no_argument, NULL, OPT_PROCESSES },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "sacct", required_argument, NULL, OPT_SACCT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_PROCESSES:
			o->processes = 1;
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
	if (argc - optind != 1) {
		fprintf(stderr, "sexec: %s\nTry 'sexec --help' for more information.\n",
			argc - optind ? "give one job id only" : "missing job id");
		return -EINVAL;
	}
	o->jobarg = argv[optind];
	return 0;
}

/* Run sacct on the job (the whole job even when a step was named: the job's own line is the
 * header) and keep every row; main_pick_sacct() narrows them once the job id is known. */
static void main_run_sacct(struct report *r, const struct sexec_conf *conf,
			   struct main_state *st)
{
	char jobarg[32];

	if (r->sel.has_array)
		snprintf(jobarg, sizeof(jobarg), "%u_%u", r->sel.job_id, r->sel.array_task_id);
	else
		snprintf(jobarg, sizeof(jobarg), "%u", r->sel.job_id);
	st->sacct_ret = sacct_query(conf->sacct[0] ? conf->sacct : "sacct", jobarg,
				    SACCT_TIMEOUT_S, &r->sacct_rows, &r->nsacct, st->sacct_err,
				    sizeof(st->sacct_err));
	r->sacct_available = st->sacct_ret == 0;
}

/* An array selector names the task; sacct's JobIDRaw gives the task's own job id. */
static int main_resolve_from_sacct(const struct report *r, uint32_t *job_id)
{
	size_t i;

	for (i = 0; i < r->nsacct; i++) {
		const struct sacct_row *s = &r->sacct_rows[i];

		if (!s->step[0] && s->array_job_id == r->sel.job_id &&
		    s->array_task_id == r->sel.array_task_id) {
			*job_id = s->job_id;
			return 0;
		}
	}
	return -ENOENT;
}

/* Keep only the resolved job's rows, and note when a plain id is an array's: sacct then
 * lists every task, and the user may have wanted another one. */
static int main_pick_sacct(struct report *r)
{
	size_t i, n = 0, tasks = 0;
	int64_t array_job = -1;

	for (i = 0; i < r->nsacct; i++) {
		struct sacct_row *s = &r->sacct_rows[i];

		if (!s->step[0] && s->array_job_id >= 0 && s->array_job_id == r->sel.job_id)
			tasks++;
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
	const char *conninfo = conf->db_read;
	char err[ERR_MAX] = "";
	struct db *db = NULL;
	size_t nclusters = 0, i;
	int ret, drop_user = 0;

	if (db_override) {
		conninfo = db_override;
	} else if (!conninfo[0] && conf->db[0]) {
		/* db_read defaults to the collector's db without its user. */
		conninfo = conf->db;
		drop_user = 1;
	}
	ret = db_open(&db, conninfo, drop_user, err, sizeof(err));
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
	ret = db_load_tools(db, r->job.cluster, r->job_id, &r->tools, &r->ntools, err,
			    sizeof(err));
	if (!ret)
		ret = db_load_cost(db, r->job.cluster, r->job_id, &r->cost, err, sizeof(err));
	if (!ret)
		ret = db_load_cpus(db, r->job.cluster, r->job_id, &r->cpus, &r->ncpus, err,
				   sizeof(err));
	if (ret) {
		main_db_fail(st, ret, err);
		goto out;
	}
	if (r->with_processes) {
		ret = db_load_processes(db, r->job.cluster, r->job_id,
					r->sel.has_step ? r->sel.step : NULL, &r->procs, &r->nprocs,
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

/* Decide what can be shown. Returns an exit code; EXIT_SHOWN means render the report. */
static int main_decide(struct report *r, const struct main_state *st)
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
	if (!st->db_ret && !r->observed &&
	    report_add_warning(r, "sexec has no records of job %u: the plugin may not be enabled "
			       "on its nodes, the collector may have been down, or the job opted "
			       "out", r->job_id))
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

int main(int argc, char **argv)
{
	struct main_opts o = { 0 };
	struct main_state st = { 0 };
	struct db_step_node *dbs = NULL;
	struct sexec_conf conf;
	struct report r = { 0 };
	char err[ERR_MAX];
	int resolved = 0, code = EXIT_ERROR;
	size_t i, ndbs = 0;

	if (main_parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	if (slurmfmt_parse_jobsel(o.jobarg, &r.sel)) {
		fprintf(stderr, "sexec: '%s' is not a job id (expected 123, 123_4 or 123.batch)\n",
			o.jobarg);
		return EXIT_USAGE;
	}
	r.selector = o.jobarg;
	r.with_processes = o.processes;

	/* An explicit -c must exist; the default file may be absent (defaults apply). */
	if (conf_load(&conf, o.config, o.config != NULL, err, sizeof(err)) ||
	    (o.sacct && conf_set(&conf, "sacct", o.sacct, err, sizeof(err))) ||
	    (o.db && conf_set(&conf, "db_read", o.db, err, sizeof(err)))) {
		fprintf(stderr, "sexec: %s\n", err);
		return EXIT_ERROR;
	}

	main_run_sacct(&r, &conf, &st);
	if (!r.sel.has_array) {
		r.job_id = r.sel.job_id;
		resolved = 1;
	} else if (!main_resolve_from_sacct(&r, &r.job_id)) {
		resolved = 1;
	}
	r.cluster = conf.cluster[0] ? conf.cluster : NULL;
	/* With neither source knowing an array task, job_id stays 0 and matches nothing. */
	if (main_read_db(&r, &conf, o.db, &st, &resolved, &dbs, &ndbs) || main_pick_sacct(&r) ||
	    report_build_steps(&r, dbs, ndbs)) {
		fprintf(stderr, "sexec: out of memory\n");
		goto out;
	}
	if (r.observed && r.sacct_job && conf.cluster[0] && strcmp(conf.cluster, r.cluster) != 0 &&
	    report_add_warning(&r, "job %u was found on cluster %s, not on the configured cluster "
			       "%s: sacct's lines may describe another job", r.job_id, r.cluster,
			       conf.cluster)) {
		fprintf(stderr, "sexec: out of memory\n");
		goto out;
	}
	code = main_decide(&r, &st);
	if (code != EXIT_SHOWN)
		goto out;
	if ((o.json ? render_json(&r, stdout) : render_text(&r, stdout))) {
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
