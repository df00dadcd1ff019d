// SPDX-License-Identifier: GPL-2.0-or-later
/* The report model of the sexec CLI: warnings, merging the database's per-node step rows
 * with sacct's step lines, and freeing it all. */
/* GNU for vasprintf(); the autotools build gets it from config.h already. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/diagnose.h"

#include "report.h"

const char *const rep_proc_counter_names[REP_PROC_NCOUNTERS] = {
	"rss_peak_kb", "read_bytes", "write_bytes", "rchar", "wchar", "syscr",
	"syscw", "vol_ctxsw", "invol_ctxsw", "minflt", "majflt", "threads", "net_tx_bytes",
	"net_rx_bytes",
};

const char *const rep_sample_counter_names[REP_SAMPLE_NCOUNTERS] = {
	"on_cpu_us", "runq_us", "io_us", "mem_us", "sleep_us", "cg_cpu_us", "rss_bytes",
	"io_read_bytes", "io_write_bytes", "psi_cpu_some_us", "psi_io_some_us", "psi_mem_some_us",
};

int warnings_vadd(char ***warnings, size_t *n, const char *fmt, va_list ap)
{
	char **w;
	char *msg;

	if (vasprintf(&msg, fmt, ap) < 0)
		return -ENOMEM;
	w = realloc(*warnings, (*n + 1) * sizeof(*w));
	if (!w) {
		free(msg);
		return -ENOMEM;
	}
	w[(*n)++] = msg;
	*warnings = w;
	return 0;
}

int report_add_warning(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = warnings_vadd(&r->warnings, &r->nwarnings, fmt, ap);
	va_end(ap);
	return ret;
}

static struct rep_step *report_get_step(struct report *r, const char *name)
{
	struct rep_step *s;
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		if (strcmp(r->steps[i].step, name) == 0)
			return &r->steps[i];
	s = realloc(r->steps, (r->nsteps + 1) * sizeof(*s));
	if (!s)
		return NULL;
	r->steps = s;
	s = &r->steps[r->nsteps++];
	memset(s, 0, sizeof(*s));
	s->elapsed_s = NAN;
	s->alloc_core_s = NAN;
	s->start_s = s->end_s = NAN;
	s->mem_peak = s->mem_limit = s->oom_kills = s->io_read = s->io_write = -1;
	s->psi_cpu_us = s->psi_io_us = s->psi_mem_us = s->psi_mem_full_us = -1;
	snprintf(s->step, sizeof(s->step), "%s", name);
	s->complete = 1;
	return s;
}

static int report_add_node(struct rep_step *s, const char *node)
{
	char **n;
	size_t i;

	for (i = 0; i < s->nnodes; i++)
		if (strcmp(s->nodes[i], node) == 0)
			return 0;
	n = realloc(s->nodes, (s->nnodes + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->nodes = n;
	n[s->nnodes] = strdup(node);
	if (!n[s->nnodes])
		return -ENOMEM;
	s->nnodes++;
	return 0;
}

static int report_step_order(const void *a, const void *b)
{
	return slurmfmt_step_cmp(((const struct rep_step *)a)->step,
				 ((const struct rep_step *)b)->step);
}

/* Merge a per-node value into a step's (-1 = unknown on both sides). */
static void rep_max(int64_t *acc, int64_t v)
{
	if (v > *acc)
		*acc = v;
}

static void rep_sum(int64_t *acc, int64_t v)
{
	if (v >= 0)
		*acc = (*acc < 0 ? 0 : *acc) + v;
}

int report_build_steps(struct report *r, const struct db_step_node *dbs, size_t ndbs)
{
	struct rep_step *s;
	size_t i;
	int k;

	for (i = 0; i < ndbs; i++) {
		const struct db_step_node *d = &dbs[i];

		if (r->sel.has_step && strcmp(d->step, r->sel.step) != 0)
			continue;
		s = report_get_step(r, d->step);
		if (!s || report_add_node(s, d->node))
			return -ENOMEM;
		s->observed = 1;
		s->processes += d->processes;
		s->cpu_user_us += d->cpu_user_us;
		s->cpu_sys_us += d->cpu_sys_us;
		s->lost_events += d->lost_events;
		s->lost_tracking += d->lost_tracking;
		if (d->has_time) {
			s->has_time = 1;
			for (k = 0; k < SEXEC_TIME_N; k++)
				s->time_us[k] += d->time_us[k];
		}
		if (isfinite(d->elapsed_s)) {
			if (!isfinite(s->elapsed_s) || d->elapsed_s > s->elapsed_s)
				s->elapsed_s = d->elapsed_s;
			if (d->alloc_cpus > 0)
				s->alloc_core_s = (isfinite(s->alloc_core_s) ? s->alloc_core_s : 0) +
						  (double)d->alloc_cpus * d->elapsed_s;
		}
		if (isfinite(d->start_s) && !(s->start_s <= d->start_s))
			s->start_s = d->start_s;
		if (isfinite(d->end_s) && !(s->end_s >= d->end_s))
			s->end_s = d->end_s;
		rep_max(&s->mem_peak, d->mem_peak);
		rep_max(&s->mem_limit, d->mem_limit);
		rep_sum(&s->oom_kills, d->oom_kills);
		rep_sum(&s->io_read, d->io_read);
		rep_sum(&s->io_write, d->io_write);
		rep_sum(&s->psi_cpu_us, d->psi_cpu_us);
		rep_sum(&s->psi_io_us, d->psi_io_us);
		rep_sum(&s->psi_mem_us, d->psi_mem_us);
		rep_sum(&s->psi_mem_full_us, d->psi_mem_full_us);
		/* Processes without a step row mean the step's start or end was missed. */
		if (!d->has_row || !d->complete)
			s->complete = 0;
	}
	for (i = 0; i < r->nsacct; i++) {
		const struct sacct_row *row = &r->sacct_rows[i];

		if (!row->step[0] || (r->sel.has_step && strcmp(row->step, r->sel.step) != 0))
			continue;
		s = report_get_step(r, row->step);
		if (!s)
			return -ENOMEM;
		/* A requeued job can list a step twice; the last line is the latest run. */
		s->sacct = row;
	}
	for (i = 0; i < r->nsteps; i++)
		if (!r->steps[i].observed)
			r->steps[i].complete = 0;
	if (r->nsteps > 1)
		qsort(r->steps, r->nsteps, sizeof(*r->steps), report_step_order);
	return 0;
}

/* Diagnosis notes for the job: its steps' time, memory and OOM kills next
 * to what Slurm says was asked for (lib/diagnose.c). */
int report_diagnose(const struct report *r, struct sexec_diag *d, int max)
{
	const struct sacct_row *sj = r->sacct_job;
	int64_t time_us[SEXEC_TIME_N] = { 0 };
	struct sexec_diag_in in;
	size_t i;
	int k;

	memset(&in, 0, sizeof(in));
	in.alloc_cpus = sj && sj->alloc_cpus > 0 ? (double)sj->alloc_cpus : NAN;
	in.elapsed_s = sj ? sj->elapsed_s : NAN;
	in.timelimit_s = sj ? sj->timelimit_s : NAN;
	in.req_mem_bytes = sj && sj->req_mem_bytes > 0 ? (double)sj->req_mem_bytes : NAN;
	in.peak_mem_bytes = NAN;
	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];
		double peak = (double)s->mem_peak;

		if (s->has_time) {
			in.have_time = 1;
			for (k = 0; k < SEXEC_TIME_N; k++)
				time_us[k] += s->time_us[k];
		}
		/* The cgroup's peak, else Slurm's largest task RSS. */
		if (s->mem_peak < 0 && s->sacct && s->sacct->max_rss_bytes >= 0)
			peak = (double)s->sacct->max_rss_bytes;
		if (peak >= 0 && !(peak <= in.peak_mem_bytes))
			in.peak_mem_bytes = peak;
		if (s->oom_kills > 0)
			in.oom_kills += (long)s->oom_kills;
		/* Without sacct: the longest step and its allocation. */
		if (!sj && isfinite(s->elapsed_s) && !(s->elapsed_s <= in.elapsed_s)) {
			in.elapsed_s = s->elapsed_s;
			in.alloc_cpus = isfinite(s->alloc_core_s) && s->elapsed_s > 0
						? s->alloc_core_s / s->elapsed_s
						: NAN;
		}
	}
	in.t = timeclass_times_us(time_us);
	return diagnose(&in, d, max);
}

int report_cpu_verdict(double observed_s, double total_s, char *buf, size_t len)
{
	/* Two independent accounts of the same CPU: a large difference says which one
	 * missed something. */
	if (total_s <= 0 && observed_s >= 1) {
		snprintf(buf, len, "Slurm recorded no CPU for this job (its jobacct_gather plugin did "
			 "not sample it)");
		return 0;
	}
	if (fabs(observed_s - total_s) <= 1 || fabs(observed_s - total_s) <= 0.05 * total_s) {
		snprintf(buf, len, "consistent");
		return 1;
	}
	if (observed_s > total_s)
		snprintf(buf, len, "sexec saw %.0f%% more (processes Slurm's accounting missed: "
			 "short-lived, or outside the job's tasks)",
			 100 * (observed_s - total_s) / (total_s > 0 ? total_s : 1));
	else
		snprintf(buf, len, "sexec saw %.0f%% less (it missed processes: collector down, "
			 "events lost, or the job still running)",
			 100 * (total_s - observed_s) / total_s);
	return 0;
}

enum sexec_class report_step_class(const struct rep_step *s)
{
	struct sexec_times t;

	if (!s->has_time)
		return SEXEC_CLASS_UNKNOWN;
	t = timeclass_times_us(s->time_us);
	return timeclass(&t, isfinite(s->alloc_core_s) ? s->alloc_core_s : 0);
}

void sacct_row_free(struct sacct_row *row)
{
	free(row->jobid);
	free(row->name);
	free(row->state);
	free(row->exit_code);
	free(row->partition);
	free(row->account);
	free(row->user);
	free(row->nodelist);
	free(row->start);
	free(row->end);
}

void db_job_free(struct db_job *job)
{
	free(job->cluster);
	free(job->user);
	free(job->name);
	free(job->partition);
	free(job->account);
	free(job->first_seen);
	free(job->pipeline);
	free(job->run);
	free(job->workflow);
	free(job->workflow_task);
	free(job->labels);
	memset(job, 0, sizeof(*job));
}

void rep_proc_free(struct rep_proc *p)
{
	size_t i;

	for (i = 0; i < p->argc; i++)
		free(p->argv[i]);
	free(p->argv);
	free(p->node);
	free(p->exe);
	free(p->tool);
	free(p->cwd);
	free(p->start);
	free(p->end);
}

void rep_ptree_free(struct rep_ptree *t)
{
	size_t i;

	for (i = 0; i < t->nnames; i++)
		free(t->names[i]);
	free(t->names);
	free(t->procs);
	for (i = 0; i < t->ngroups; i++)
		free(t->groups[i]);
	free(t->groups);
	memset(t, 0, sizeof(*t));
}

void report_free(struct report *r)
{
	size_t i, j;

	rep_ptree_free(&r->tree);
	for (i = 0; i < r->nsacct; i++)
		sacct_row_free(&r->sacct_rows[i]);
	free(r->sacct_rows);
	db_job_free(&r->job);
	for (i = 0; i < r->nsteps; i++) {
		for (j = 0; j < r->steps[i].nnodes; j++)
			free(r->steps[i].nodes[j]);
		free(r->steps[i].nodes);
	}
	free(r->steps);
	for (i = 0; i < r->ncpus; i++)
		free(r->cpus[i].node);
	free(r->cpus);
	for (i = 0; i < r->nprocs; i++)
		rep_proc_free(&r->procs[i]);
	free(r->procs);
	for (i = 0; i < r->ntools; i++)
		free(r->tools[i].tool);
	free(r->tools);
	for (i = 0; i < r->nsamples; i++)
		free(r->samples[i].node);
	free(r->samples);
	free(r->cost.currency);
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof(*r));
}
