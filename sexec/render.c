// SPDX-License-Identifier: GPL-2.0-or-later
/* Renders a sexec report: a header and step table (Slurm's view next to sexec's) for people,
 * or the stable JSON object of `sexec --json`. */
/* GNU for sigabbrev_np(); the autotools build gets it from config.h already. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/slurmfmt.h"
#include "sexec/diagnose.h"
#include "sexec/timeclass.h"
#include "sexec/workflow.h"

#include "json.h"
#include "render.h"

#define RENDER_ARGV_WIDTH 60 /* terminal-ish: the argv column ends a line */

/* A field for the terminal: control characters neutralised and long values clipped, so
 * job names and argv cannot move the cursor or break the table. NULL/empty become "-". */
static const char *render_safe(char *buf, size_t len, const char *s, size_t width)
{
	if (!s || !*s)
		return "-";
	if (slurmfmt_clip(buf, len, s, width))
		return "?";
	return buf;
}

const char *render_clip(char *buf, size_t len, const char *s, size_t width)
{
	const char *r = render_safe(buf, len, s, width);

	if (r != buf)
		snprintf(buf, len, "%s", r);
	return buf;
}

/* A byte of a CSV field as written: control characters (C0 other than line breaks, DEL,
 * and UTF-8's C1) become '?', so a job name cannot drive the terminal. *skip is set for the
 * continuation byte of a C1 character. */
static int csv_byte(const unsigned char *c, int *skip)
{
	if (*skip) {
		*skip = 0;
		return -1;
	}
	if (c[0] == 0xc2 && c[1] >= 0x80 && c[1] <= 0x9f) {
		*skip = 1;
		return '?';
	}
	if ((c[0] < 0x20 && c[0] != '\r' && c[0] != '\n') || c[0] == 0x7f)
		return '?';
	return c[0];
}

void csv_str(FILE *f, const char *s, int last)
{
	const unsigned char *c;
	int skip = 0, b;

	if (s) {
		int quote = strpbrk(s, ",\"\r\n") != NULL;

		if (quote)
			fputc('"', f);
		for (c = (const unsigned char *)s; *c; c++) {
			b = csv_byte(c, &skip);
			if (b < 0)
				continue;
			if (b == '"')
				fputc('"', f);
			fputc(b, f);
		}
		if (quote)
			fputc('"', f);
	}
	fputs(last ? "\r\n" : ",", f);
}

void csv_int(FILE *f, int64_t v, int last)
{
	if (v >= 0)
		fprintf(f, "%lld", (long long)v);
	fputs(last ? "\r\n" : ",", f);
}

void csv_num(FILE *f, double v, int last)
{
	if (isfinite(v))
		fprintf(f, "%.6f", v);
	fputs(last ? "\r\n" : ",", f);
}

/* Prefer sacct's value (Slurm's record), fall back to what the plugin stored. */
static const char *render_pick(const char *sacct, const char *db)
{
	if (sacct && *sacct)
		return sacct;
	if (db && *db)
		return db;
	return NULL;
}

static void render_array_ids(const struct report *r, int64_t *array_job, int64_t *array_task)
{
	*array_job = -1;
	*array_task = -1;
	if (r->observed && r->job.array_job_id >= 0) {
		*array_job = r->job.array_job_id;
		*array_task = r->job.array_task_id;
	} else if (r->sacct_job && r->sacct_job->array_job_id >= 0) {
		*array_job = r->sacct_job->array_job_id;
		*array_task = r->sacct_job->array_task_id;
	}
}

static const char *render_signal_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* "time": {on_cpu_s, runq_s, io_s, mem_s, sleep_s}, or null when not measured. */
static const char *const render_time_keys[SEXEC_TIME_N] = { "on_cpu_s", "runq_s", "io_s",
							     "mem_s", "sleep_s" };

void render_json_time(struct json *j, int has, const int64_t *us)
{
	int k;

	json_key(j, "time");
	if (!has) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	for (k = 0; k < SEXEC_TIME_N; k++) {
		json_key(j, render_time_keys[k]);
		json_seconds(j, (double)us[k] / 1e6);
	}
	json_object_end(j);
}

static void render_text_header(const struct report *r, FILE *f)
{
	const struct sacct_row *sj = r->sacct_job;
	char a[RENDER_FIELD_MAX], b[RENDER_FIELD_MAX], c[RENDER_FIELD_MAX];
	char d1[32], d2[32], m[32];
	int64_t array_job, array_task;

	render_array_ids(r, &array_job, &array_task);
	fprintf(f, "%sJob %u", r->color ? RENDER_BOLD : "", r->job_id);
	if (array_job >= 0)
		fprintf(f, " (array task %lld_%lld)", (long long)array_job, (long long)array_task);
	if (sj && sj->het_job_id >= 0)
		fprintf(f, " (heterogeneous job %lld, component %lld+%lld)",
			(long long)sj->het_job_id, (long long)sj->het_job_id,
			(long long)sj->het_offset);
	if (r->sel.has_step)
		fprintf(f, ", step %s", r->sel.step);
	fprintf(f, "  %s", render_safe(a, sizeof(a),
				       render_pick(sj ? sj->name : NULL, r->job.name), 60));
	if (r->cluster && *r->cluster)
		fprintf(f, "  (cluster %s)", render_safe(b, sizeof(b), r->cluster, 40));
	fprintf(f, "%s\n", r->color ? RENDER_RESET : "");

	fprintf(f, "  %-10s %-20s %-10s %-20s %-10s %s\n", "User",
		render_safe(a, sizeof(a), render_pick(sj ? sj->user : NULL, r->job.user), 20),
		"Account",
		render_safe(b, sizeof(b), render_pick(sj ? sj->account : NULL, r->job.account), 20),
		"Partition",
		render_safe(c, sizeof(c), render_pick(sj ? sj->partition : NULL, r->job.partition),
			    20));
	slurmfmt_fmt_duration(sj ? sj->elapsed_s : NAN, d1, sizeof(d1));
	fprintf(f, "  %-10s %-20s %-10s %-20s %-10s %s\n", "State",
		render_safe(a, sizeof(a), sj ? sj->state : NULL, 20), "Exit code",
		render_safe(b, sizeof(b), sj ? sj->exit_code : NULL, 20), "Elapsed", d1);
	slurmfmt_fmt_bytes(sj ? sj->req_mem_bytes : -1, m, sizeof(m));
	slurmfmt_fmt_duration(sj ? sj->total_cpu_s : NAN, d2, sizeof(d2));
	snprintf(a, sizeof(a), "%lld", sj ? (long long)sj->alloc_cpus : -1LL);
	fprintf(f, "  %-10s %-20s %-10s %-20s %-10s %s\n", "CPUs",
		sj && sj->alloc_cpus >= 0 ? a : "-", "ReqMem", m, "TotalCPU", d2);
	if (sj)
		fprintf(f, "  %-10s %-20s %-10s %-20s %-10s %s\n", "Nodes",
			render_safe(a, sizeof(a), sj->nodelist, 20), "Start",
			render_safe(b, sizeof(b), sj->start, 20), "End",
			render_safe(c, sizeof(c), sj->end, 20));
	if (r->observed) {
		int64_t procs = 0;
		size_t i, observed_steps = 0;

		for (i = 0; i < r->nsteps; i++) {
			procs += r->steps[i].processes;
			if (r->steps[i].observed)
				observed_steps++;
		}
		fprintf(f, "  %-10s observed: %zu step%s, %lld process%s\n", "sexec",
			observed_steps, observed_steps == 1 ? "" : "s", (long long)procs,
			procs == 1 ? "" : "es");
	} else {
		fprintf(f, "  %-10s no records of this job\n", "sexec");
	}
	if (r->job.pipeline || r->job.run || r->job.workflow_task)
		fprintf(f, "  %-10s %-20s %-10s %-20s %-10s %s\n", "Pipeline",
			render_safe(a, sizeof(a), r->job.pipeline ? r->job.pipeline : "-", 20),
			"Run", render_safe(b, sizeof(b), r->job.run ? r->job.run : "-", 20),
			r->job.workflow ? r->job.workflow : "Task",
			render_safe(c, sizeof(c), r->job.workflow_task ? r->job.workflow_task : "-",
				    40));
	if (r->job.labels && *r->job.labels)
		fprintf(f, "  %-10s %s\n", "Labels",
			render_safe(a, sizeof(a), r->job.labels, 100));
	if (r->job.restarts > 0)
		fprintf(f, "  %-10s %lld (steps are shown for every run)\n", "Requeued",
			(long long)r->job.restarts);
	if (!r->sacct_available)
		fprintf(f, "  %-10s unavailable\n", "sacct");
}

#define STEP_FMT "%-12s %-13s %9s %5s %10s %9s %10s | %6s %9s %9s  %s\n"
#define STEP_SLURM_WIDTH 61 /* from STATE to MAXRSS in STEP_FMT */

static void render_text_steps(const struct report *r, FILE *f)
{
	size_t i, k;

	/* Which columns are Slurm's and which are sexec's, over the column names. */
	fprintf(f, "\n%-12s %-*s | %s\n", "", STEP_SLURM_WIDTH, "Slurm (sacct)",
		"sexec (observed)");
	fprintf(f, STEP_FMT, "STEP", "STATE", "ELAPSED", "CPUS", "REQMEM", "TOTALCPU", "MAXRSS",
		"PROCS", "CPU USER", "CPU SYS", "NODES");
	if (!r->nsteps)
		fprintf(f, "(no steps)\n");
	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];
		const struct sacct_row *sa = s->sacct;
		char state[RENDER_FIELD_MAX], el[32], cpus[24], mem[32], tc[32], rss[32];
		char procs[24], cu[32], cs[32], nodes[256], nodes_safe[RENDER_FIELD_MAX];
		const char *state_col;
		size_t o = 0;

		state_col = render_safe(state, sizeof(state), sa ? sa->state : NULL, 13);
		slurmfmt_fmt_duration(sa ? sa->elapsed_s : NAN, el, sizeof(el));
		if (sa && sa->alloc_cpus >= 0)
			snprintf(cpus, sizeof(cpus), "%lld", (long long)sa->alloc_cpus);
		else
			snprintf(cpus, sizeof(cpus), "-");
		slurmfmt_fmt_bytes(sa ? sa->req_mem_bytes : -1, mem, sizeof(mem));
		slurmfmt_fmt_duration(sa ? sa->total_cpu_s : NAN, tc, sizeof(tc));
		slurmfmt_fmt_bytes(sa ? sa->max_rss_bytes : -1, rss, sizeof(rss));
		if (s->observed) {
			snprintf(procs, sizeof(procs), "%lld", (long long)s->processes);
			slurmfmt_fmt_duration((double)s->cpu_user_us / 1e6, cu, sizeof(cu));
			slurmfmt_fmt_duration((double)s->cpu_sys_us / 1e6, cs, sizeof(cs));
		} else {
			snprintf(procs, sizeof(procs), "-");
			snprintf(cu, sizeof(cu), "-");
			snprintf(cs, sizeof(cs), "-");
		}
		nodes[0] = '\0';
		for (k = 0; k < s->nnodes && o < sizeof(nodes); k++)
			o += (size_t)snprintf(nodes + o, sizeof(nodes) - o, "%s%s", k ? "," : "",
					      s->nodes[k]);
		fprintf(f, STEP_FMT, s->step, state_col, el, cpus, mem, tc, rss, procs, cu, cs,
			render_safe(nodes_safe, sizeof(nodes_safe), nodes, 40));
	}
}

#define PROC_FMT "%-8s %-8s %-8s %4s %-10s %-10s %-24s %9s %9s %9s %-12s %s\n"

static void render_text_processes(const struct report *r, FILE *f)
{
	size_t i, k;

	fprintf(f, "\n" PROC_FMT, "PID", "PPID", "STEP", "TASK", "NODE", "TOOL", "EXE", "USER",
		"SYS", "WALL", "EXIT", "ARGV");
	if (!r->nprocs)
		fprintf(f, "(no processes observed)\n");
	for (i = 0; i < r->nprocs; i++) {
		const struct rep_proc *p = &r->procs[i];
		char pid[24], ppid[24], task[24], cu[32], cs[32], wall[32], ex[48], sig[32];
		char node[RENDER_FIELD_MAX], tool[RENDER_FIELD_MAX], exe_tail[RENDER_FIELD_MAX];
		char exe[RENDER_FIELD_MAX], args[RENDER_FIELD_MAX], *joined = NULL;
		const char *exe_shown = p->exe, *exe_col;
		size_t len = 0;

		snprintf(pid, sizeof(pid), "%lld", (long long)p->pid);
		if (p->ppid >= 0)
			snprintf(ppid, sizeof(ppid), "%lld", (long long)p->ppid);
		else
			snprintf(ppid, sizeof(ppid), "-");
		if (p->task >= 0)
			snprintf(task, sizeof(task), "%lld", (long long)p->task);
		else
			snprintf(task, sizeof(task), "-");
		slurmfmt_fmt_duration((double)p->cpu_user_us / 1e6, cu, sizeof(cu));
		slurmfmt_fmt_duration((double)p->cpu_sys_us / 1e6, cs, sizeof(cs));
		slurmfmt_fmt_duration(p->wall_s, wall, sizeof(wall));
		if (p->has_exit_code)
			snprintf(ex, sizeof(ex), "%d", p->exit_code);
		else
			snprintf(ex, sizeof(ex), "%s%s",
				 render_signal_name(p->signal, sig, sizeof(sig)),
				 p->core_dumped ? "+core" : "");
		/* Keep the end of a long path: the program's name is what tells. */
		if (exe_shown && strlen(exe_shown) > 24)
			exe_shown += strlen(exe_shown) - 21;
		snprintf(exe_tail, sizeof(exe_tail), "%s%s", exe_shown != p->exe ? "..." : "",
			 exe_shown ? exe_shown : "");
		exe_col = render_safe(exe, sizeof(exe), exe_tail, 24);

		/* Argument strings joined with spaces; only the first 60 characters matter. */
		for (k = 0; k < p->argc && len < (size_t)4 * RENDER_ARGV_WIDTH; k++)
			len += strlen(p->argv[k]) + 1;
		joined = malloc(len + 1);
		if (joined) {
			size_t o = 0;

			joined[0] = '\0';
			for (k = 0; k < p->argc && o < len; k++)
				o += (size_t)snprintf(joined + o, len + 1 - o, "%s%s", k ? " " : "",
						      p->argv[k]);
		}
		fprintf(f, PROC_FMT, pid, ppid, p->step, task,
			render_safe(node, sizeof(node), p->node, 10),
			render_safe(tool, sizeof(tool), p->tool, 10), exe_col, cu, cs, wall, ex,
			render_safe(args, sizeof(args), joined, RENDER_ARGV_WIDTH));
		free(joined);
	}
}

#define RENDER_TOP_TOOLS 10

void render_text_tools(const struct rep_tool *tools, size_t ntools, const char *currency,
		       int all, FILE *f)
{
	char name[64], cpu[32], wall[32], rss[32], rd[32], wr[32], io[16], cost[32];
	size_t i, shown = all ? ntools : ntools < RENDER_TOP_TOOLS ? ntools : RENDER_TOP_TOOLS;

	if (!ntools)
		return;
	if (shown < ntools)
		fprintf(f, "\nTop tools (%zu of %zu; --tools lists all)\n", shown, ntools);
	else
		fprintf(f, "\nTools (%zu)\n", ntools);
	fprintf(f, "  %-24s %9s %10s %10s %6s %9s %9s %9s %10s\n", "TOOL", "PROCS", "CPU",
		"WALL", "I/O", "PEAK RSS", "READ", "WRITTEN", "COST");
	for (i = 0; i < shown; i++) {
		const struct rep_tool *t = &tools[i];

		slurmfmt_fmt_duration((double)t->cpu_us / 1e6, cpu, sizeof(cpu));
		slurmfmt_fmt_duration((double)t->wall_us / 1e6, wall, sizeof(wall));
		slurmfmt_fmt_bytes(t->rss_peak_kb < 0 ? -1 : t->rss_peak_kb * 1024, rss, sizeof(rss));
		slurmfmt_fmt_bytes(t->read_bytes, rd, sizeof(rd));
		slurmfmt_fmt_bytes(t->write_bytes, wr, sizeof(wr));
		/* I/O wait: the share of the tool's demand spent blocked on I/O. */
		if (t->io_us >= 0 && t->demand_us > 0)
			snprintf(io, sizeof(io), "%.0f%%",
				 100.0 * (double)t->io_us / (double)t->demand_us);
		else
			snprintf(io, sizeof(io), "-");
		if (isfinite(t->cost))
			snprintf(cost, sizeof(cost), "%.2f", t->cost);
		else
			snprintf(cost, sizeof(cost), "-");
		fprintf(f, "  %-24s %9lld %10s %10s %6s %9s %9s %9s %10s\n",
			render_safe(name, sizeof(name), *t->tool ? t->tool : "(other)", 24),
			(long long)t->processes, cpu, wall, io, rss, rd, wr, cost);
	}
	if (currency && *currency) {
		char cur[32];

		fprintf(f, "  (cost in %s: CPU-hours and GB-hours at each step's rates)\n",
			render_safe(cur, sizeof(cur), currency, 8));
	}
	for (i = 0; i < ntools; i++)
		if (tools[i].rows_dropped) {
			fprintf(f, "  (per-process rows were given up for some processes: the totals "
				   "above still count them)\n");
			break;
		}
}

void render_text_cost(const struct rep_cost *c, FILE *f)
{
	char curbuf[16];
	const char *cur;

	if (!c->known)
		return;
	cur = render_safe(curbuf, sizeof(curbuf), c->currency ? c->currency : "", 8);
	fprintf(f, "\nCost\n");
	fprintf(f, "  %-10s %10.2f core-h %10.2f GB-h", "Allocated", c->alloc_core_h,
		c->alloc_gb_h);
	if (!isnan(c->alloc_cost))
		fprintf(f, "   %10.2f %s", c->alloc_cost, cur);
	fprintf(f, "\n  %-10s %10.2f core-h %10.2f GB-h", "Used", c->used_core_h, c->used_gb_h);
	if (!isnan(c->used_cost))
		fprintf(f, "   %10.2f %s", c->used_cost, cur);
	if (!isnan(c->idle_cost))
		fprintf(f, "\n  %-10s %35s   %10.2f %s", "Idle", "", c->idle_cost, cur);
	else
		fprintf(f, "\n  (no cost rates for this job's cluster and partition)");
	fputc('\n', f);
}

/* Where the time went: each step's thread time per state, its class, and
 * how much of its allocation was busy. */
static void render_text_time(const struct report *r, FILE *f)
{
	static const char *const heads[SEXEC_TIME_N] = { "ON CPU", "RUN QUEUE", "I/O", "MEMORY",
							  "SLEEP" };
	size_t i, k, any = 0;

	for (i = 0; i < r->nsteps; i++)
		any += r->steps[i].has_time;
	if (!any)
		return;
	fprintf(f, "\nWhere the time went (thread time in each state, share of the step's)\n");
	fprintf(f, "%-12s", "STEP");
	for (k = 0; k < SEXEC_TIME_N; k++)
		fprintf(f, " %-15s", heads[k]);
	fprintf(f, " %-14s %s\n", "CLASS", "CORES BUSY/ALLOCATED");
	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];
		const char *cls = timeclass_name(report_step_class(s));
		double total = 0, busy;
		char cell[48], d[32], alloc[48];

		if (!s->has_time)
			continue;
		for (k = 0; k < SEXEC_TIME_N; k++)
			total += (double)s->time_us[k];
		fprintf(f, "%-12s", s->step);
		for (k = 0; k < SEXEC_TIME_N; k++) {
			slurmfmt_fmt_duration((double)s->time_us[k] / 1e6, d, sizeof(d));
			snprintf(cell, sizeof(cell), "%s %3.0f%%", d,
				 total > 0 ? 100.0 * (double)s->time_us[k] / total : 0.0);
			fprintf(f, " %-15s", cell);
		}
		busy = (double)s->time_us[0] / 1e6;
		if (isfinite(s->alloc_core_s) && s->alloc_core_s > 0 && s->elapsed_s > 0)
			snprintf(alloc, sizeof(alloc), "%.2f/%.2f (%.0f%%)", busy / s->elapsed_s,
				 s->alloc_core_s / s->elapsed_s, 100.0 * busy / s->alloc_core_s);
		else
			snprintf(alloc, sizeof(alloc), "-");
		fprintf(f, " %-14s %s\n", cls ? cls : "-", alloc);
	}
}

void render_text_notes(const char *title, const struct sexec_diag *d, int n, FILE *f)
{
	char safe[RENDER_FIELD_MAX];
	int i;

	if (!n)
		return;
	fprintf(f, "\n%s\n", title);
	for (i = 0; i < n; i++)
		fprintf(f, "  - %s\n", render_safe(safe, sizeof(safe), d[i].text, sizeof(safe) - 1));
}

static void render_text_diagnosis(const struct report *r, FILE *f)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];

	render_text_notes("Diagnosis", d, report_diagnose(r, d, SEXEC_DIAG_MAX), f);
}

void render_json_notes(const struct sexec_diag *d, int n, struct json *j)
{
	int i;

	json_key(j, "diagnosis");
	json_array_begin(j);
	for (i = 0; i < n; i++) {
		json_object_begin(j);
		json_key(j, "kind");
		json_string(j, d[i].kind);
		json_key(j, "text");
		json_string(j, d[i].text);
		json_object_end(j);
	}
	json_array_end(j);
}

static void render_json_diagnosis(const struct report *r, struct json *j)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];

	render_json_notes(d, report_diagnose(r, d, SEXEC_DIAG_MAX), j);
}

/* The job's use of what it asked for, for the bars and the consistency line. */
struct render_use {
	double busy_s, alloc_core_s; /* on-CPU (else CPU) time, CPUs x elapsed */
	double cpu_s;                /* observed CPU (user + system) */
	double peak, req;            /* memory bytes */
	double elapsed_s, limit_s;
	int64_t short_n, short_cpu_us, tools_cpu_us;
};

static void render_use(const struct report *r, struct render_use *u)
{
	const struct sacct_row *sj = r->sacct_job;
	int have_time = 0, short_known = 0;
	size_t i;

	memset(u, 0, sizeof(*u));
	u->alloc_core_s = u->peak = u->req = u->elapsed_s = u->limit_s = NAN;
	u->short_n = u->short_cpu_us = -1;
	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];
		double peak = (double)s->mem_peak;

		u->cpu_s += (double)(s->cpu_user_us + s->cpu_sys_us) / 1e6;
		if (s->has_time) {
			have_time = 1;
			u->busy_s += (double)s->time_us[0] / 1e6;
		}
		if (s->mem_peak < 0 && s->sacct && s->sacct->max_rss_bytes >= 0)
			peak = (double)s->sacct->max_rss_bytes;
		if (peak >= 0 && !(peak <= u->peak))
			u->peak = peak;
	}
	if (!have_time)
		u->busy_s = u->cpu_s;
	if (sj) {
		u->elapsed_s = sj->elapsed_s;
		u->limit_s = sj->timelimit_s;
		if (sj->req_mem_bytes > 0)
			u->req = (double)sj->req_mem_bytes;
		if (sj->alloc_cpus > 0 && isfinite(sj->elapsed_s))
			u->alloc_core_s = (double)sj->alloc_cpus * sj->elapsed_s;
	}
	for (i = 0; i < r->ntools; i++) {
		u->tools_cpu_us += r->tools[i].cpu_us;
		if (r->tools[i].short_processes >= 0) {
			short_known = 1;
			u->short_n = (u->short_n < 0 ? 0 : u->short_n) + r->tools[i].short_processes;
			u->short_cpu_us = (u->short_cpu_us < 0 ? 0 : u->short_cpu_us) +
					  r->tools[i].short_cpu_us;
		}
	}
	if (!short_known)
		u->short_n = u->short_cpu_us = -1;
}

#define RENDER_BAR_WIDTH 20

/* "[#######.............]" for a share (clamped to 0..1), coloured by how good it is:
 * good < warn < bad, where higher is worse when rising is set. */
static void render_bar(FILE *f, double share, int color, int utf8, double warn, double bad,
		       int rising)
{
	int i, n = (int)lround((share < 0 ? 0 : share > 1 ? 1 : share) * RENDER_BAR_WIDTH);
	const char *col = RENDER_GREEN;

	if (rising ? share >= bad : share <= bad)
		col = RENDER_RED;
	else if (rising ? share >= warn : share <= warn)
		col = RENDER_YELLOW;
	fputc('[', f);
	if (color)
		fputs(col, f);
	for (i = 0; i < RENDER_BAR_WIDTH; i++)
		fputs(i < n ? (utf8 ? "\u2588" : "#") : (utf8 ? "\u00b7" : "."), f);
	if (color)
		fputs(RENDER_RESET, f);
	fputc(']', f);
}

/* OOM kills and what the record misses, on a line each when there are any. */
static void render_text_losses(const struct report *r, FILE *f)
{
	int64_t oom = 0, lost = 0, untracked = 0, dropped = 0;
	size_t i;

	for (i = 0; i < r->nsteps; i++) {
		if (r->steps[i].oom_kills > 0)
			oom += r->steps[i].oom_kills;
		lost += r->steps[i].lost_events;
		untracked += r->steps[i].lost_tracking;
	}
	for (i = 0; i < r->ntools; i++)
		dropped += r->tools[i].rows_dropped;
	if (oom)
		fprintf(f, "  %-10s %s%lld process%s killed for lack of memory%s\n", "OOM kills",
			r->color ? RENDER_RED : "", (long long)oom, oom == 1 ? "" : "es",
			r->color ? RENDER_RESET : "");
	if (lost || untracked)
		fprintf(f, "  %-10s %lld events lost, %lld processes not tracked: the observed "
			   "figures are short\n", "Losses", (long long)lost, (long long)untracked);
	if (dropped)
		fprintf(f, "  %-10s %lld process rows given up (per-step cap or full spool); the "
			   "totals still count them\n", lost || untracked ? "" : "Losses",
			(long long)dropped);
}

/* Bars for CPU busy of the allocation, memory peak of the request and time-limit use; the
 * consistency of observed CPU with sacct's TotalCPU; the short-lived processes. */
static void render_text_use(const struct report *r, FILE *f)
{
	const struct sacct_row *sj = r->sacct_job;
	struct render_use u;
	char a[32], b[32], c[32];

	render_use(r, &u);
	fputc('\n', f);
	if (r->observed && isfinite(u.alloc_core_s) && u.alloc_core_s > 0) {
		double share = u.busy_s / u.alloc_core_s;

		fprintf(f, "  %-10s ", "CPU busy");
		render_bar(f, share, r->color, r->utf8, 0.5, 0.25, 0);
		slurmfmt_fmt_duration(u.busy_s, a, sizeof(a));
		slurmfmt_fmt_duration(u.alloc_core_s, b, sizeof(b));
		fprintf(f, " %4.0f%%  %s of %s allocated core time (%.2f of %lld cores)\n",
			100 * share, a, b, u.elapsed_s > 0 ? u.busy_s / u.elapsed_s : 0.0,
			(long long)sj->alloc_cpus);
	}
	if (isfinite(u.peak) && isfinite(u.req)) {
		double share = u.peak / u.req;

		fprintf(f, "  %-10s ", "Memory");
		render_bar(f, share, r->color, r->utf8, 0.9, 0.97, 1);
		slurmfmt_fmt_bytes((int64_t)u.peak, a, sizeof(a));
		slurmfmt_fmt_bytes((int64_t)u.req, b, sizeof(b));
		fprintf(f, " %4.0f%%  peak %s of %s requested\n", 100 * share, a, b);
	}
	if (isfinite(u.elapsed_s) && isfinite(u.limit_s) && u.limit_s > 0) {
		double share = u.elapsed_s / u.limit_s;

		fprintf(f, "  %-10s ", "Time limit");
		render_bar(f, share, r->color, r->utf8, 0.8, 0.95, 1);
		slurmfmt_fmt_duration(u.elapsed_s, a, sizeof(a));
		slurmfmt_fmt_duration(u.limit_s, b, sizeof(b));
		fprintf(f, " %4.0f%%  used %s of %s\n", 100 * share, a, b);
	}
	if (r->observed && sj && isfinite(sj->total_cpu_s)) {
		char verdict[256];

		report_cpu_verdict(u.cpu_s, sj->total_cpu_s, verdict, sizeof(verdict));
		slurmfmt_fmt_duration(u.cpu_s, a, sizeof(a));
		slurmfmt_fmt_duration(sj->total_cpu_s, b, sizeof(b));
		fprintf(f, "  %-10s observed CPU %s, sacct TotalCPU %s: %s\n", "Check", a, b,
			verdict);
	}
	render_text_losses(r, f);
	if (u.short_n > 0) {
		slurmfmt_fmt_duration((double)u.short_cpu_us / 1e6, c, sizeof(c));
		fprintf(f, "  %-10s %lld process%s shorter than 1 s used %.0f%% of the CPU (%s)\n",
			"Short", (long long)u.short_n, u.short_n == 1 ? "" : "es",
			u.tools_cpu_us > 0 ? 100.0 * (double)u.short_cpu_us / (double)u.tools_cpu_us
					   : 0.0, c);
	}
}

/* Sparkline levels: eight block heights, or ASCII where UTF-8 is not available. */
static void render_spark(FILE *f, const double *v, size_t n, double max, int utf8)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584",
					       "\u2585", "\u2586", "\u2587", "\u2588" };
	static const char ascii[] = "_.-:=+*#";
	size_t i;

	for (i = 0; i < n; i++) {
		int k;

		if (!isfinite(v[i])) {
			fputc(' ', f);
			continue;
		}
		k = max > 0 ? (int)lround(v[i] / max * 7) : 0;
		k = k < 0 ? 0 : k > 7 ? 7 : k;
		if (utf8)
			fputs(blocks[k], f);
		else
			fputc(ascii[k], f);
	}
}

struct render_tree_ctx {
	const struct report *r;
	FILE *f;
	uint32_t group;
	int started;
};

static int render_tree_line(const struct ptree_line *l, void *arg)
{
	struct render_tree_ctx *c = arg;
	char name[RENDER_FIELD_MAX], cpu[32], wall[32], what[64];

	if (!c->started || l->group != c->group) {
		char g[RENDER_FIELD_MAX];

		fprintf(c->f, "\nstep %s\n", render_safe(g, sizeof(g),
							   c->r->tree.groups[l->group], 60));
		c->group = l->group;
		c->started = 1;
	}
	if (!l->name) {
		fprintf(c->f, "%*s... %zu more\n", 2 * l->depth + 2, "", l->more);
		return ferror(c->f) ? -EIO : 0;
	}
	slurmfmt_fmt_duration((double)l->cpu_us / 1e6, cpu, sizeof(cpu));
	slurmfmt_fmt_duration((double)l->wall_us / 1e6, wall, sizeof(wall));
	if (l->count == 1)
		snprintf(what, sizeof(what), "pid %lld", (long long)l->pid);
	else
		snprintf(what, sizeof(what), "%s%zu", c->r->utf8 ? "\u00d7" : "x", l->count);
	fprintf(c->f, "%*s%s %s, %s CPU, %s wall%s", 2 * l->depth + 2, "",
		render_safe(name, sizeof(name), l->name, 40), what, cpu, wall,
		l->count > 1 ? " in all" : "");
	if (l->failed)
		fprintf(c->f, ", %s%zu failed%s", c->r->color ? RENDER_RED : "", l->failed,
			c->r->color ? RENDER_RESET : "");
	fputc('\n', c->f);
	return ferror(c->f) ? -EIO : 0;
}

/* The process tree with repeated siblings collapsed ("gzip x400, 3.1 s CPU"). */
static void render_text_tree(const struct report *r, FILE *f)
{
	struct render_tree_ctx c = { .r = r, .f = f };

	fprintf(f, "\nProcesses (%zu, repeated siblings collapsed)\n", r->tree.nprocs);
	if (!r->tree.nprocs)
		fprintf(f, "(no processes observed)\n");
	if (ptree_walk(r->tree.procs, r->tree.nprocs, 40, 24, render_tree_line, &c) == -ENOMEM)
		fprintf(f, "(out of memory drawing the tree)\n");
}

#define RENDER_SPARK_WIDTH 60

/* Series of one step run from its samples, resampled to at most RENDER_SPARK_WIDTH
 * columns by averaging: cores busy, memory in use, disk I/O rate, I/O pressure. */
static void render_timeline_run(const struct report *r, const struct rep_sample *s, size_t n,
				FILE *f)
{
	enum { T_CPU, T_RSS, T_IO, T_PIO, T_N };
	static const char *const names[T_N] = { "CPU cores", "Memory", "Disk I/O", "I/O stall" };
	double col[T_N][RENDER_SPARK_WIDTH], cnt[T_N][RENDER_SPARK_WIDTH], max[T_N] = { 0 };
	double t0 = s[0].t, span = s[n - 1].t - s[0].t;
	size_t i, k, w = n - 1 < RENDER_SPARK_WIDTH ? n - 1 : RENDER_SPARK_WIDTH;
	char a[32], b[32], node[RENDER_FIELD_MAX];

	memset(col, 0, sizeof(col));
	memset(cnt, 0, sizeof(cnt));
	for (i = 1; i < n; i++) {
		double dt = s[i].t - s[i - 1].t, v[T_N];
		size_t c = span > 0 ? (size_t)((s[i].t - t0) / span * (double)(w - 1) + 0.5) : 0;
		int cpu = s[i].v[REP_S_CG_CPU] >= 0 && s[i - 1].v[REP_S_CG_CPU] >= 0 ? REP_S_CG_CPU
										   : REP_S_ON_CPU;

		if (dt <= 0 || c >= w)
			continue;
		v[T_CPU] = s[i].v[cpu] >= 0 && s[i - 1].v[cpu] >= 0
				   ? (double)(s[i].v[cpu] - s[i - 1].v[cpu]) / 1e6 / dt : NAN;
		v[T_RSS] = s[i].v[REP_S_RSS] >= 0 ? (double)s[i].v[REP_S_RSS] : NAN;
		v[T_IO] = s[i].v[REP_S_IO_READ] >= 0 && s[i - 1].v[REP_S_IO_READ] >= 0
				  ? (double)(s[i].v[REP_S_IO_READ] + s[i].v[REP_S_IO_WRITE] -
					     s[i - 1].v[REP_S_IO_READ] - s[i - 1].v[REP_S_IO_WRITE]) / dt
				  : NAN;
		v[T_PIO] = s[i].v[REP_S_PSI_IO] >= 0 && s[i - 1].v[REP_S_PSI_IO] >= 0
				   ? (double)(s[i].v[REP_S_PSI_IO] - s[i - 1].v[REP_S_PSI_IO]) / 1e6 /
					     dt * 100
				   : NAN;
		for (k = 0; k < T_N; k++) {
			if (!isfinite(v[k]) || v[k] < 0)
				continue;
			col[k][c] += v[k];
			cnt[k][c]++;
		}
	}
	for (k = 0; k < T_N; k++)
		for (i = 0; i < w; i++) {
			col[k][i] = cnt[k][i] ? col[k][i] / cnt[k][i] : NAN;
			if (isfinite(col[k][i]) && col[k][i] > max[k])
				max[k] = col[k][i];
		}
	slurmfmt_fmt_duration(span, a, sizeof(a));
	fprintf(f, "  step %s on %s%s: %zu samples over %s\n", s[0].step,
		render_safe(node, sizeof(node), s[0].node, 30), s[0].restart ? " (requeued)" : "",
		n, a);
	for (k = 0; k < T_N; k++) {
		for (i = 0; i < w && !isfinite(col[k][i]); i++)
			;
		if (i == w)
			continue;
		fprintf(f, "    %-10s ", names[k]);
		render_spark(f, col[k], w, max[k], r->utf8);
		fprintf(f, "%*s", (int)(RENDER_SPARK_WIDTH - w) + 1, "");
		switch (k) {
		case T_CPU:
			fprintf(f, "max %.2f\n", max[k]);
			break;
		case T_RSS:
			slurmfmt_fmt_bytes((int64_t)max[k], b, sizeof(b));
			fprintf(f, "max %s\n", b);
			break;
		case T_IO:
			slurmfmt_fmt_bytes((int64_t)max[k], b, sizeof(b));
			fprintf(f, "max %s/s\n", b);
			break;
		default:
			fprintf(f, "max %.0f%%\n", max[k]);
		}
	}
}

static void render_text_timeline(const struct report *r, FILE *f)
{
	size_t i = 0, j;

	fprintf(f, "\nTimeline (one sample per sample_interval_s, plus a step's start and end)\n");
	if (!r->nsamples)
		fprintf(f, "  (no samples: the collector records them from schema 6 on, every "
			   "sample_interval_s)\n");
	while (i < r->nsamples) {
		for (j = i + 1; j < r->nsamples && !strcmp(r->samples[j].step, r->samples[i].step) &&
				!strcmp(r->samples[j].node, r->samples[i].node) &&
				r->samples[j].restart == r->samples[i].restart;
		     j++)
			;
		if (r->sel.has_step && strcmp(r->samples[i].step, r->sel.step) != 0) {
			i = j;
			continue;
		}
		if (j - i >= 2)
			render_timeline_run(r, &r->samples[i], j - i, f);
		else
			fprintf(f, "  step %s: one sample only\n", r->samples[i].step);
		i = j;
	}
}

int render_text(const struct report *r, FILE *f)
{
	render_text_header(r, f);
	render_text_use(r, f);
	render_text_steps(r, f);
	render_text_time(r, f);
	render_text_diagnosis(r, f);
	render_text_tools(r->tools, r->ntools, r->cost.currency, r->all_tools, f);
	render_text_cost(&r->cost, f);
	if (r->with_timeline)
		render_text_timeline(r, f);
	if (r->with_tree)
		render_text_tree(r, f);
	else if (r->with_processes)
		render_text_processes(r, f);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}

/* "k=v,k=v" (keys hold no '=', values no ',') as a JSON object. */
static void render_json_labels(struct json *j, const char *labels)
{
	const char *p = labels;

	json_object_begin(j);
	while (p && *p) {
		size_t n = strcspn(p, ","), k = strcspn(p, "=");
		char key[SEXEC_LABEL_KEY_MAX];

		if (k < n && k < sizeof(key)) {
			memcpy(key, p, k);
			key[k] = '\0';
			json_key(j, key);
			json_string_n(j, p + k + 1, n - k - 1);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	json_object_end(j);
}

static void render_json_job(const struct report *r, struct json *j)
{
	const struct sacct_row *sj = r->sacct_job;
	int64_t array_job, array_task;

	render_array_ids(r, &array_job, &array_task);
	json_key(j, "job");
	json_object_begin(j);
	json_key(j, "job_id");
	json_int(j, r->job_id);
	json_key(j, "array_job_id");
	json_int_or_null(j, array_job);
	json_key(j, "array_task_id");
	json_int_or_null(j, array_task);
	json_key(j, "cluster");
	json_string(j, r->cluster);
	json_key(j, "name");
	json_string(j, render_pick(sj ? sj->name : NULL, r->job.name));
	json_key(j, "user");
	json_string(j, render_pick(sj ? sj->user : NULL, r->job.user));
	json_key(j, "account");
	json_string(j, render_pick(sj ? sj->account : NULL, r->job.account));
	json_key(j, "partition");
	json_string(j, render_pick(sj ? sj->partition : NULL, r->job.partition));
	json_key(j, "state");
	json_string(j, sj ? sj->state : NULL);
	json_key(j, "exit_code");
	json_string(j, sj && *sj->exit_code ? sj->exit_code : NULL);
	json_key(j, "elapsed_s");
	json_seconds(j, sj ? sj->elapsed_s : NAN);
	json_key(j, "alloc_cpus");
	json_int_or_null(j, sj ? sj->alloc_cpus : -1);
	json_key(j, "req_mem_bytes");
	json_int_or_null(j, sj ? sj->req_mem_bytes : -1);
	json_key(j, "total_cpu_s");
	json_seconds(j, sj ? sj->total_cpu_s : NAN);
	json_key(j, "observed");
	json_bool(j, r->observed);
	json_key(j, "restarts");
	json_int_or_null(j, r->observed ? r->job.restarts : -1);
	json_key(j, "pipeline");
	json_string(j, r->job.pipeline);
	json_key(j, "run");
	json_string(j, r->job.run);
	json_key(j, "workflow");
	json_string(j, r->job.workflow);
	json_key(j, "workflow_task");
	json_string(j, r->job.workflow_task);
	json_key(j, "labels");
	render_json_labels(j, r->job.labels);
	json_object_end(j);
}

static void render_json_step_time(const struct report *r, const struct rep_step *s,
				  struct json *j)
{
	double busy = s->has_time ? (double)s->time_us[0] / 1e6 : NAN;
	size_t i;

	render_json_time(j, s->has_time, s->time_us);
	json_key(j, "elapsed_s");
	json_seconds(j, s->elapsed_s);
	json_key(j, "alloc_core_s");
	json_seconds(j, s->alloc_core_s);
	json_key(j, "busy_core_s");
	json_seconds(j, busy);
	json_key(j, "idle_core_s");
	json_seconds(j, isfinite(busy) && isfinite(s->alloc_core_s)
				? (busy < s->alloc_core_s ? s->alloc_core_s - busy : 0)
				: NAN);
	json_key(j, "class");
	json_string(j, timeclass_name(report_step_class(s)));
	json_key(j, "serial");
	json_bool(j, s->sacct && isfinite(busy) &&
			     timeclass_serial(busy, s->elapsed_s, (double)s->sacct->alloc_cpus));
	json_key(j, "cgroup");
	json_object_begin(j);
	json_key(j, "mem_peak_bytes");
	json_int_or_null(j, s->mem_peak);
	json_key(j, "mem_limit_bytes");
	json_int_or_null(j, s->mem_limit);
	json_key(j, "oom_kills");
	json_int_or_null(j, s->oom_kills);
	json_key(j, "io_read_bytes");
	json_int_or_null(j, s->io_read);
	json_key(j, "io_write_bytes");
	json_int_or_null(j, s->io_write);
	json_key(j, "psi_cpu_some_s");
	json_seconds(j, s->psi_cpu_us < 0 ? NAN : (double)s->psi_cpu_us / 1e6);
	json_key(j, "psi_io_some_s");
	json_seconds(j, s->psi_io_us < 0 ? NAN : (double)s->psi_io_us / 1e6);
	json_key(j, "psi_mem_some_s");
	json_seconds(j, s->psi_mem_us < 0 ? NAN : (double)s->psi_mem_us / 1e6);
	json_key(j, "psi_mem_full_s");
	json_seconds(j, s->psi_mem_full_us < 0 ? NAN : (double)s->psi_mem_full_us / 1e6);
	json_object_end(j);
	json_key(j, "cpus");
	json_array_begin(j);
	for (i = 0; i < r->ncpus; i++) {
		const struct rep_cpu *c = &r->cpus[i];

		if (strcmp(c->step, s->step) != 0)
			continue;
		json_object_begin(j);
		json_key(j, "node");
		json_string(j, c->node);
		json_key(j, "cpu");
		json_int(j, c->cpu);
		json_key(j, "core");
		json_int_or_null(j, c->core);
		json_key(j, "socket");
		json_int_or_null(j, c->socket);
		json_key(j, "numa_node");
		json_int_or_null(j, c->numa);
		json_key(j, "allocated");
		json_bool(j, c->allocated);
		json_key(j, "busy_s");
		json_seconds(j, c->busy_us < 0 ? NAN : (double)c->busy_us / 1e6);
		json_object_end(j);
	}
	json_array_end(j);
}

static void render_json_steps(const struct report *r, struct json *j)
{
	size_t i, k;

	json_key(j, "steps");
	json_array_begin(j);
	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];

		json_object_begin(j);
		json_key(j, "step");
		json_string(j, s->step);
		json_key(j, "nodes");
		json_array_begin(j);
		for (k = 0; k < s->nnodes; k++)
			json_string(j, s->nodes[k]);
		json_array_end(j);
		json_key(j, "processes");
		json_int(j, s->processes);
		json_key(j, "cpu_user_s");
		json_seconds(j, (double)s->cpu_user_us / 1e6);
		json_key(j, "cpu_sys_s");
		json_seconds(j, (double)s->cpu_sys_us / 1e6);
		json_key(j, "observed");
		json_bool(j, s->observed);
		json_key(j, "complete");
		json_bool(j, s->complete);
		json_key(j, "lost_events");
		json_int(j, s->lost_events);
		json_key(j, "lost_tracking");
		json_int(j, s->lost_tracking);
		render_json_step_time(r, s, j);
		json_key(j, "sacct");
		if (s->sacct) {
			json_object_begin(j);
			json_key(j, "state");
			json_string(j, s->sacct->state);
			json_key(j, "exit_code");
			json_string(j, *s->sacct->exit_code ? s->sacct->exit_code : NULL);
			json_key(j, "elapsed_s");
			json_seconds(j, s->sacct->elapsed_s);
			json_key(j, "alloc_cpus");
			json_int_or_null(j, s->sacct->alloc_cpus);
			json_key(j, "req_mem_bytes");
			json_int_or_null(j, s->sacct->req_mem_bytes);
			json_key(j, "total_cpu_s");
			json_seconds(j, s->sacct->total_cpu_s);
			json_key(j, "max_rss_bytes");
			json_int_or_null(j, s->sacct->max_rss_bytes);
			json_object_end(j);
		} else {
			json_null(j);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

void render_json_proc(struct json *j, const struct rep_proc *p)
{
	size_t k;

	json_object_begin(j);
	json_key(j, "pid");
	json_int(j, p->pid);
	json_key(j, "ppid");
	json_int_or_null(j, p->ppid);
	json_key(j, "step");
	json_string(j, p->step);
	json_key(j, "task");
	json_int_or_null(j, p->task);
	json_key(j, "node");
	json_string(j, p->node);
	json_key(j, "exe");
	json_string(j, p->exe);
	json_key(j, "argv");
	json_array_begin(j);
	for (k = 0; k < p->argc; k++)
		json_string(j, p->argv[k]);
	json_array_end(j);
	json_key(j, "argv_truncated");
	json_bool(j, p->argv_truncated);
	json_key(j, "tool");
	json_string(j, p->tool);
	json_key(j, "start");
	json_string(j, p->start);
	json_key(j, "end");
	json_string(j, p->end);
	json_key(j, "cpu_user_s");
	json_seconds(j, (double)p->cpu_user_us / 1e6);
	json_key(j, "cpu_sys_s");
	json_seconds(j, (double)p->cpu_sys_us / 1e6);
	json_key(j, "wall_s");
	json_seconds(j, p->wall_s);
	json_key(j, "exit_code");
	if (p->has_exit_code)
		json_int(j, p->exit_code);
	else
		json_null(j);
	json_key(j, "signal");
	json_int(j, p->signal);
	json_key(j, "core_dumped");
	json_bool(j, p->core_dumped);
	for (k = 0; k < REP_PROC_NCOUNTERS; k++) {
		json_key(j, rep_proc_counter_names[k]);
		json_int_or_null(j, p->counters[k]);
	}
	json_key(j, "cwd");
	if (p->cwd)
		json_string(j, p->cwd);
	else
		json_null(j);
	render_json_time(j, p->has_time, p->time_us);
	json_key(j, "oom_killed");
	json_bool(j, p->oom_killed);
	json_object_end(j);
}

static int render_json_proc_cb(const struct rep_proc *p, void *arg)
{
	struct json *j = arg;

	render_json_proc(j, p);
	return j->error;
}

/* Every process: streamed from the database when the report was set up so (a million rows
 * never sit in memory), else the ones read. */
static void render_json_processes(const struct report *r, struct json *j)
{
	size_t i;

	json_key(j, "processes");
	json_array_begin(j);
	if (r->proc_stream) {
		if (r->proc_stream(r, render_json_proc_cb, j) && !j->error)
			j->error = -EIO;
	} else {
		for (i = 0; i < r->nprocs; i++)
			render_json_proc(j, &r->procs[i]);
	}
	json_array_end(j);
}

void render_json_tools(const struct rep_tool *tools, size_t ntools, struct json *j)
{
	size_t i;

	json_key(j, "tools");
	json_array_begin(j);
	for (i = 0; i < ntools; i++) {
		const struct rep_tool *t = &tools[i];

		json_object_begin(j);
		json_key(j, "tool");
		json_string(j, *t->tool ? t->tool : NULL);
		json_key(j, "processes");
		json_int(j, t->processes);
		json_key(j, "rows_dropped");
		json_int(j, t->rows_dropped);
		json_key(j, "cpu_s");
		json_seconds(j, (double)t->cpu_us / 1e6);
		json_key(j, "wall_s");
		json_seconds(j, (double)t->wall_us / 1e6);
		json_key(j, "rss_peak_bytes");
		json_int_or_null(j, t->rss_peak_kb < 0 ? -1 : t->rss_peak_kb * 1024);
		json_key(j, "read_bytes");
		json_int_or_null(j, t->read_bytes);
		json_key(j, "write_bytes");
		json_int_or_null(j, t->write_bytes);
		json_key(j, "io_s");
		json_seconds(j, t->io_us >= 0 ? (double)t->io_us / 1e6 : NAN);
		json_key(j, "io_wait_share");
		json_seconds(j, t->io_us >= 0 && t->demand_us > 0
					? (double)t->io_us / (double)t->demand_us : NAN);
		json_key(j, "used_cost");
		json_seconds(j, t->cost);
		json_object_end(j);
	}
	json_array_end(j);
}

void render_json_cost(const struct rep_cost *c, struct json *j)
{
	json_key(j, "cost");
	if (!c->known) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_key(j, "currency");
	json_string(j, c->currency);
	json_key(j, "alloc_core_h");
	json_seconds(j, c->alloc_core_h);
	json_key(j, "used_core_h");
	json_seconds(j, c->used_core_h);
	json_key(j, "alloc_gb_h");
	json_seconds(j, c->alloc_gb_h);
	json_key(j, "used_gb_h");
	json_seconds(j, c->used_gb_h);
	json_key(j, "alloc_cost");
	json_seconds(j, c->alloc_cost);
	json_key(j, "used_cost");
	json_seconds(j, c->used_cost);
	json_key(j, "idle_cost");
	json_seconds(j, c->idle_cost);
	json_object_end(j);
}

/* "usage": the bars, the consistency line and the short-lived processes as numbers. */
static void render_json_usage(const struct report *r, struct json *j)
{
	struct render_use u;

	render_use(r, &u);
	json_key(j, "usage");
	json_object_begin(j);
	json_key(j, "busy_core_s");
	json_seconds(j, r->observed ? u.busy_s : NAN);
	json_key(j, "alloc_core_s");
	json_seconds(j, u.alloc_core_s);
	json_key(j, "mem_peak_bytes");
	json_int_or_null(j, isfinite(u.peak) ? (int64_t)u.peak : -1);
	json_key(j, "req_mem_bytes");
	json_int_or_null(j, isfinite(u.req) ? (int64_t)u.req : -1);
	json_key(j, "elapsed_s");
	json_seconds(j, u.elapsed_s);
	json_key(j, "timelimit_s");
	json_seconds(j, u.limit_s);
	json_key(j, "observed_cpu_s");
	json_seconds(j, r->observed ? u.cpu_s : NAN);
	json_key(j, "sacct_total_cpu_s");
	json_seconds(j, r->sacct_job ? r->sacct_job->total_cpu_s : NAN);
	json_key(j, "short_processes");
	json_int_or_null(j, u.short_n);
	json_key(j, "short_cpu_s");
	json_seconds(j, u.short_cpu_us >= 0 ? (double)u.short_cpu_us / 1e6 : NAN);
	json_object_end(j);
}

/* "timeline": the samples as stored (cumulative counters; null where not measured). */
static void render_json_timeline(const struct report *r, struct json *j)
{
	size_t i;
	int k;

	json_key(j, "timeline");
	json_array_begin(j);
	for (i = 0; i < r->nsamples; i++) {
		const struct rep_sample *s = &r->samples[i];

		if (r->sel.has_step && strcmp(s->step, r->sel.step) != 0)
			continue;
		json_object_begin(j);
		json_key(j, "step");
		json_string(j, s->step);
		json_key(j, "node");
		json_string(j, s->node);
		json_key(j, "restart");
		json_int(j, s->restart);
		json_key(j, "t");
		json_seconds(j, s->t);
		for (k = 0; k < REP_SAMPLE_NCOUNTERS; k++) {
			json_key(j, rep_sample_counter_names[k]);
			json_int_or_null(j, s->v[k]);
		}
		json_object_end(j);
	}
	json_array_end(j);
}

int render_json(const struct report *r, FILE *f)
{
	struct json j;
	size_t i;

	json_init(&j, f);
	json_object_begin(&j);
	render_json_job(r, &j);
	render_json_steps(r, &j);
	render_json_tools(r->tools, r->ntools, &j);
	render_json_cost(&r->cost, &j);
	render_json_diagnosis(r, &j);
	render_json_usage(r, &j);
	render_json_timeline(r, &j);
	if (r->with_processes)
		render_json_processes(r, &j);
	json_key(&j, "sacct_available");
	json_bool(&j, r->sacct_available);
	json_key(&j, "warnings");
	json_array_begin(&j);
	for (i = 0; i < r->nwarnings; i++)
		json_string(&j, r->warnings[i]);
	json_array_end(&j);
	json_object_end(&j);
	return json_finish(&j);
}

static int render_csv_proc(const struct rep_proc *p, void *arg)
{
	FILE *f = arg;
	size_t k;
	char *argv = NULL;
	size_t len = 1, o = 0;

	for (k = 0; k < p->argc; k++)
		len += strlen(p->argv[k]) + 1;
	argv = malloc(len);
	if (argv) {
		argv[0] = '\0';
		for (k = 0; k < p->argc; k++)
			o += (size_t)snprintf(argv + o, len - o, "%s%s", k ? " " : "",
					      p->argv[k]);
	}
	csv_str(f, p->step, 0);
	csv_str(f, p->node, 0);
	csv_int(f, p->pid, 0);
	csv_int(f, p->ppid, 0);
	csv_int(f, p->task, 0);
	csv_str(f, p->tool, 0);
	csv_str(f, p->exe, 0);
	csv_str(f, p->start, 0);
	csv_str(f, p->end, 0);
	csv_num(f, p->wall_s, 0);
	csv_num(f, (double)p->cpu_user_us / 1e6, 0);
	csv_num(f, (double)p->cpu_sys_us / 1e6, 0);
	csv_int(f, p->has_exit_code ? p->exit_code : -1, 0);
	csv_int(f, p->signal, 0);
	csv_int(f, p->counters[0], 0);
	csv_int(f, p->counters[1], 0);
	csv_int(f, p->counters[2], 0);
	csv_str(f, argv, 1);
	free(argv);
	return ferror(f) ? -EIO : 0;
}

static int render_csv_processes(const struct report *r, FILE *f)
{
	size_t i;

	fprintf(f, "step,node,pid,ppid,task,tool,exe,start,end,wall_s,cpu_user_s,cpu_sys_s,"
		   "exit_code,signal,rss_peak_kb,read_bytes,write_bytes,argv\r\n");
	if (r->proc_stream)
		return r->proc_stream(r, render_csv_proc, f) ? -EIO : 0;
	for (i = 0; i < r->nprocs; i++)
		render_csv_proc(&r->procs[i], f);
	return 0;
}

static void render_csv_tools(const struct report *r, FILE *f)
{
	size_t i;

	fprintf(f, "tool,processes,cpu_s,wall_s,io_wait_share,rss_peak_bytes,read_bytes,"
		   "write_bytes,short_processes,short_cpu_s,used_cost\r\n");
	for (i = 0; i < r->ntools; i++) {
		const struct rep_tool *t = &r->tools[i];

		csv_str(f, t->tool, 0);
		csv_int(f, t->processes, 0);
		csv_num(f, (double)t->cpu_us / 1e6, 0);
		csv_num(f, (double)t->wall_us / 1e6, 0);
		csv_num(f, t->io_us >= 0 && t->demand_us > 0 ? (double)t->io_us / (double)t->demand_us
							      : NAN, 0);
		csv_int(f, t->rss_peak_kb < 0 ? -1 : t->rss_peak_kb * 1024, 0);
		csv_int(f, t->read_bytes, 0);
		csv_int(f, t->write_bytes, 0);
		csv_int(f, t->short_processes, 0);
		csv_num(f, t->short_cpu_us >= 0 ? (double)t->short_cpu_us / 1e6 : NAN, 0);
		csv_num(f, t->cost, 1);
	}
}

/* One line per step: Slurm's columns, then sexec's. */
static void render_csv_steps(const struct report *r, FILE *f)
{
	size_t i;
	int k;

	fprintf(f, "job_id,step,state,exit_code,elapsed_s,alloc_cpus,req_mem_bytes,total_cpu_s,"
		   "max_rss_bytes,observed,processes,cpu_user_s,cpu_sys_s,on_cpu_s,runq_s,io_s,"
		   "mem_s,sleep_s,class,mem_peak_bytes,oom_kills\r\n");
	for (i = 0; i < r->nsteps; i++) {
		const struct rep_step *s = &r->steps[i];
		const struct sacct_row *sa = s->sacct;

		csv_int(f, r->job_id, 0);
		csv_str(f, s->step, 0);
		csv_str(f, sa ? sa->state : NULL, 0);
		csv_str(f, sa ? sa->exit_code : NULL, 0);
		csv_num(f, sa ? sa->elapsed_s : s->elapsed_s, 0);
		csv_int(f, sa ? sa->alloc_cpus : -1, 0);
		csv_int(f, sa ? sa->req_mem_bytes : -1, 0);
		csv_num(f, sa ? sa->total_cpu_s : NAN, 0);
		csv_int(f, sa ? sa->max_rss_bytes : -1, 0);
		csv_str(f, s->observed ? "true" : "false", 0);
		csv_int(f, s->observed ? s->processes : -1, 0);
		csv_num(f, s->observed ? (double)s->cpu_user_us / 1e6 : NAN, 0);
		csv_num(f, s->observed ? (double)s->cpu_sys_us / 1e6 : NAN, 0);
		for (k = 0; k < SEXEC_TIME_N; k++)
			csv_num(f, s->has_time ? (double)s->time_us[k] / 1e6 : NAN, 0);
		csv_str(f, timeclass_name(report_step_class(s)), 0);
		csv_int(f, s->mem_peak, 0);
		csv_int(f, s->oom_kills, 1);
	}
}

int render_csv(const struct report *r, FILE *f)
{
	if (r->with_processes) {
		if (render_csv_processes(r, f))
			return -EIO;
	} else if (r->all_tools)
		render_csv_tools(r, f);
	else
		render_csv_steps(r, f);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
