// SPDX-License-Identifier: GPL-2.0-or-later
/* `sexec --html FILE`: the job's report as one HTML page that opens anywhere, offline: inline
 * CSS and SVG only, nothing fetched, every string from the job escaped (docs/html.md). */
/* GNU for timegm(); the autotools build gets it from config.h already. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sexec/diagnose.h"
#include "sexec/slurmfmt.h"
#include "sexec/timeclass.h"

#include "html.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

/* A page must stay small and quick to open whatever the job did: a million processes or a
 * month of samples become at most these many marks. */
#define HTML_MAX_STEPS 200       /* steps in tables and charts */
#define HTML_MAX_TOOLS 25        /* tools in the chart (largest CPU first) */
#define HTML_TL_MAX_RUNS 24      /* step-on-node series in the timeline */
#define HTML_TL_POINTS 500       /* points per series; neighbours are merged beyond */

#define HTML_FIELD_MAX 2048 /* one clipped field: width * 4 + "..." for widths up to 500 */
#define HTML_W 1100         /* width of every chart (SVG user units = CSS pixels) */

/* Tableau 10: tells ten series apart, also in grey print. Tools keep their colour across
 * the tools chart and the Gantt chart. */
static const char *const html_palette[] = { "#4e79a7", "#f28e2b", "#e15759", "#76b7b2",
					    "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
					    "#9c755f", "#bab0ac" };
#define HTML_NPALETTE (sizeof(html_palette) / sizeof(html_palette[0]))
#define HTML_GREY "#c8c8c8"

static const char *const html_state_names[SEXEC_TIME_N] = { "on CPU", "run queue", "I/O",
							     "memory", "sleep" };
static const char *const html_state_colors[SEXEC_TIME_N] = { "#59a14f", "#f28e2b", "#4e79a7",
							      "#e15759", "#bab0ac" };

/* The five characters that can open a tag, an entity or leave an attribute value. */
static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* A string from the job (name, argv, path, node, label), hostile until shown otherwise:
 * control characters and bytes that are not UTF-8 become '?' and long values are cut
 * (slurmfmt_clip), then it is escaped. Fit for text and for quoted attribute values. NULL or
 * empty becomes "-". */
static void html_text(FILE *f, const char *s, size_t width)
{
	char buf[HTML_FIELD_MAX];

	if (!s || !*s) {
		fputc('-', f);
		return;
	}
	if (slurmfmt_clip(buf, sizeof(buf), s, width)) {
		fputc('?', f);
		return;
	}
	html_esc(f, buf);
}

static void html_duration(FILE *f, double secs)
{
	char b[32];

	slurmfmt_fmt_duration(secs, b, sizeof(b));
	fputs(b, f);
}

static void html_bytes(FILE *f, int64_t bytes)
{
	char b[32];

	slurmfmt_fmt_bytes(bytes, b, sizeof(b));
	fputs(b, f);
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.frac][Z]": UTC with the Z (the database's
 * times), local time without (sacct prints the cluster's local time). NaN when malformed or
 * a word such as "Unknown". */
static double html_parse_time(const char *s)
{
	struct tm tm;
	double frac = 0, scale = 0.1;
	const char *p;
	time_t t;
	int n = 0;

	memset(&tm, 0, sizeof(tm));
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || !n)
		return NAN;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (p[0] == 'Z' && !p[1]) {
		t = timegm(&tm);
	} else if (!*p) {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	} else {
		return NAN;
	}
	return t == (time_t)-1 ? NAN : (double)t + frac;
}

/* Prefer sacct's value (Slurm's record), fall back to what the plugin stored. */
static const char *html_pick(const char *sacct, const char *db)
{
	if (sacct && *sacct)
		return sacct;
	return db && *db ? db : NULL;
}

/* Grid lines every 1, 2 or 5 times a power of ten of the unit, about n of them over span. */
static double html_tick_step(double span, int n)
{
	double raw = span / n, p = pow(10, floor(log10(raw))), m = raw / p;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* A time axis under a plot at (x, y) of width w for span seconds: ticks and offsets from
 * the chart's start, and light grid lines up to top. */
static void html_time_axis(FILE *f, double x, double y, double w, double top, double span)
{
	double step = html_tick_step(span, 8), t;

	fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
		y, x + w, y);
	for (t = 0; t <= span * 1.0001; t += step) {
		double tx = x + t / span * w;

		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
			"<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">+", tx, top, tx, y, tx,
			y + 14);
		html_duration(f, t);
		fputs("</text>\n", f);
	}
}

/* The colour of a tool: its rank by CPU among the first ones, grey for the rest. */
static const char *html_tool_color(const struct report *r, const char *tool)
{
	size_t i;

	for (i = 0; i < r->ntools && i < HTML_NPALETTE; i++)
		if (!strcmp(r->tools[i].tool, tool ? tool : ""))
			return html_palette[i];
	return HTML_GREY;
}

static const char html_css[] =
	"body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1160px;"
	"padding:0 16px;color:#222;background:#fff}\n"
	"h1{font-size:22px;margin:0 0 10px;overflow-wrap:anywhere}\n"
	"h2{font-size:17px;margin:28px 0 8px;padding-bottom:3px;border-bottom:1px solid #ddd}\n"
	"table{border-collapse:collapse}\n"
	"th,td{padding:2px 14px 2px 0;text-align:left;vertical-align:top}\n"
	"th{font-weight:600;color:#555}\n"
	"td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
	"table.kv th{width:130px}\n"
	"table.grid th,table.grid td{border-bottom:1px solid #eee}\n"
	"svg{display:block;max-width:100%;height:auto;font:11px system-ui,sans-serif;"
	"margin:6px 0}\n"
	"svg text{fill:#333}\n"
	".axis{stroke:#888;stroke-width:1}\n"
	".grid{stroke:#eee;stroke-width:1}\n"
	".series{fill:none;stroke-width:1.6}\n"
	".note{color:#666}\n"
	".warn{color:#a33}\n"
	".good{color:#2a7a2a}\n"
	"ul.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;"
	"gap:2px 18px}\n"
	".sw{display:inline-block;width:10px;height:10px;margin-right:5px;"
	"vertical-align:baseline}\n";

static void html_head(const struct report *r, FILE *f)
{
	const struct sacct_row *sj = r->sacct_job;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	/* Defence in depth: should anything ever slip into the page, the browser still runs no
	 * script and fetches nothing. */
	fputs("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	      "style-src 'unsafe-inline'\">\n", f);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", f);
	fprintf(f, "<meta name=\"generator\" content=\"sexec %s\">\n", PACKAGE_VERSION);
	fprintf(f, "<title>sexec: job %u ", r->job_id);
	html_text(f, html_pick(sj ? sj->name : NULL, r->job.name), 80);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", html_css);
}

/* A row of the header table; the value is written by the caller. */
static void html_kv(FILE *f, const char *key)
{
	fprintf(f, "<tr><th>%s</th><td>", key);
}

/* Observed CPU against Slurm's TotalCPU: two independent accounts of the same time, so a
 * large difference says which one missed something. */
static void html_check_cpu(const struct report *r, FILE *f)
{
	const struct sacct_row *sj = r->sacct_job;
	char verdict[256];
	double cpu = 0;
	size_t i;

	for (i = 0; i < r->nsteps; i++)
		cpu += (double)(r->steps[i].cpu_user_us + r->steps[i].cpu_sys_us) / 1e6;
	html_kv(f, "Observed CPU");
	if (!r->observed) {
		fputs("-</td></tr>\n", f);
		return;
	}
	html_duration(f, cpu);
	if (!sj || !isfinite(sj->total_cpu_s)) {
		fputs(" <span class=\"note\">(sacct has no TotalCPU)</span></td></tr>\n", f);
		return;
	}
	fputs(" against Slurm&#39;s TotalCPU ", f);
	html_duration(f, sj->total_cpu_s);
	fputs(": <span class=\"", f);
	fputs(report_cpu_verdict(cpu, sj->total_cpu_s, verdict, sizeof(verdict)) ? "good" : "warn",
	      f);
	fputs("\">", f);
	html_esc(f, verdict);
	fputs("</span></td></tr>\n", f);
}

static void html_header(const struct report *r, FILE *f)
{
	const struct sacct_row *sj = r->sacct_job;
	int64_t procs = 0;
	size_t i, observed_steps = 0;

	fprintf(f, "<header id=\"job\">\n<h1>Job %u", r->job_id);
	if (r->observed && r->job.array_job_id >= 0)
		fprintf(f, " (array task %lld_%lld)", (long long)r->job.array_job_id,
			(long long)r->job.array_task_id);
	else if (sj && sj->array_job_id >= 0)
		fprintf(f, " (array task %lld_%lld)", (long long)sj->array_job_id,
			(long long)sj->array_task_id);
	if (sj && sj->het_job_id >= 0)
		fprintf(f, " (heterogeneous job %lld, component %lld+%lld)",
			(long long)sj->het_job_id, (long long)sj->het_job_id,
			(long long)sj->het_offset);
	if (r->sel.has_step) {
		fputs(", step ", f);
		html_text(f, r->sel.step, 32);
	}
	fputs(": <span id=\"job-name\">", f);
	html_text(f, html_pick(sj ? sj->name : NULL, r->job.name), 200);
	fputs("</span></h1>\n<table class=\"kv\">\n", f);

	html_kv(f, "Cluster");
	html_text(f, r->cluster, 60);
	fputs("</td></tr>\n", f);
	html_kv(f, "User");
	html_text(f, html_pick(sj ? sj->user : NULL, r->job.user), 60);
	fputs("</td></tr>\n", f);
	html_kv(f, "Account");
	html_text(f, html_pick(sj ? sj->account : NULL, r->job.account), 60);
	fputs("</td></tr>\n", f);
	html_kv(f, "Partition");
	html_text(f, html_pick(sj ? sj->partition : NULL, r->job.partition), 60);
	fputs("</td></tr>\n", f);
	html_kv(f, "State");
	html_text(f, sj ? sj->state : NULL, 60);
	fputs("</td></tr>\n", f);
	html_kv(f, "Exit code");
	html_text(f, sj ? sj->exit_code : NULL, 20);
	fputs("</td></tr>\n", f);
	html_kv(f, "Elapsed");
	html_duration(f, sj ? sj->elapsed_s : NAN);
	if (sj && isfinite(sj->timelimit_s) && sj->timelimit_s > 0) {
		fputs(" of a ", f);
		html_duration(f, sj->timelimit_s);
		fputs(" time limit", f);
	}
	fputs("</td></tr>\n", f);
	html_kv(f, "CPUs");
	if (sj && sj->alloc_cpus >= 0)
		fprintf(f, "%lld", (long long)sj->alloc_cpus);
	else
		fputc('-', f);
	fputs("</td></tr>\n", f);
	html_kv(f, "Requested memory");
	html_bytes(f, sj ? sj->req_mem_bytes : -1);
	fputs("</td></tr>\n", f);
	html_check_cpu(r, f);
	if (sj) {
		html_kv(f, "Nodes");
		html_text(f, sj->nodelist, 200);
		fputs("</td></tr>\n", f);
		html_kv(f, "Start / end");
		html_text(f, sj->start, 40);
		fputs(" &ndash; ", f);
		html_text(f, sj->end, 40);
		fputs("</td></tr>\n", f);
	}
	html_kv(f, "sexec");
	if (r->observed) {
		for (i = 0; i < r->nsteps; i++) {
			procs += r->steps[i].processes;
			observed_steps += r->steps[i].observed;
		}
		fprintf(f, "observed %zu step%s, %lld process%s", observed_steps,
			observed_steps == 1 ? "" : "s", (long long)procs, procs == 1 ? "" : "es");
	} else {
		fputs("no records of this job", f);
	}
	fputs("</td></tr>\n", f);
	if (r->job.pipeline || r->job.run || r->job.workflow_task) {
		html_kv(f, "Pipeline");
		html_text(f, r->job.pipeline, 100);
		fputs(", run ", f);
		html_text(f, r->job.run, 100);
		fputs(", ", f);
		html_text(f, r->job.workflow ? r->job.workflow : "task", 40);
		fputc(' ', f);
		html_text(f, r->job.workflow_task, 100);
		fputs("</td></tr>\n", f);
	}
	if (r->job.labels && *r->job.labels) {
		html_kv(f, "Labels");
		html_text(f, r->job.labels, 300);
		fputs("</td></tr>\n", f);
	}
	if (r->job.restarts > 0) {
		html_kv(f, "Requeued");
		fprintf(f, "%lld times (steps are shown for every run)</td></tr>\n",
			(long long)r->job.restarts);
	}
	if (!r->sacct_available) {
		html_kv(f, "sacct");
		fputs("unavailable</td></tr>\n", f);
	}
	fputs("</table>\n</header>\n", f);
}

static void html_warnings(const struct report *r, FILE *f)
{
	size_t i;

	if (!r->nwarnings)
		return;
	fputs("<section id=\"warnings\">\n<h2>Warnings</h2>\n<ul>\n", f);
	for (i = 0; i < r->nwarnings; i++) {
		fputs("<li class=\"warn\">", f);
		html_text(f, r->warnings[i], 400);
		fputs("</li>\n", f);
	}
	fputs("</ul>\n</section>\n", f);
}

static void html_diagnosis(const struct report *r, FILE *f)
{
	struct sexec_diag d[SEXEC_DIAG_MAX];
	int n = report_diagnose(r, d, SEXEC_DIAG_MAX), i;

	fputs("<section id=\"diagnosis\">\n<h2>Diagnosis</h2>\n", f);
	if (!n)
		fputs("<p class=\"note\">No notes: nothing in this job's record calls for a "
		      "change.</p>\n", f);
	else
		fputs("<ul>\n", f);
	for (i = 0; i < n; i++) {
		fputs("<li data-kind=\"", f);
		html_text(f, d[i].kind, 24);
		fputs("\">", f);
		html_text(f, d[i].text, 400);
		fputs("</li>\n", f);
	}
	if (n)
		fputs("</ul>\n", f);
	fputs("</section>\n", f);
}

static void html_money(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.2f", v);
	else
		fputc('-', f);
}

static void html_cost(const struct report *r, FILE *f)
{
	const struct rep_cost *c = &r->cost;

	fputs("<section id=\"cost\">\n<h2>Cost</h2>\n", f);
	if (!c->known) {
		fputs("<p class=\"note\">No cost rows for this job.</p>\n</section>\n", f);
		return;
	}
	fputs("<table class=\"grid\">\n<tr><th></th><th class=\"n\">core-hours</th>"
	      "<th class=\"n\">GB-hours</th><th class=\"n\">cost (", f);
	html_text(f, c->currency && *c->currency ? c->currency : "-", 8);
	fputs(")</th></tr>\n", f);
	fprintf(f, "<tr><th>Allocated</th><td class=\"n\">%.2f</td><td class=\"n\">%.2f</td>"
		"<td class=\"n\">", c->alloc_core_h, c->alloc_gb_h);
	html_money(f, c->alloc_cost);
	fprintf(f, "</td></tr>\n<tr><th>Used</th><td class=\"n\">%.2f</td><td class=\"n\">%.2f"
		"</td><td class=\"n\">", c->used_core_h, c->used_gb_h);
	html_money(f, c->used_cost);
	fputs("</td></tr>\n<tr><th>Idle</th><td></td><td></td><td class=\"n\">", f);
	html_money(f, c->idle_cost);
	fputs("</td></tr>\n</table>\n", f);
	if (isnan(c->idle_cost))
		fputs("<p class=\"note\">No cost rates for this job's cluster and partition.</p>\n",
		      f);
	fputs("</section>\n", f);
}

/* Class of a step from its time breakdown (docs/time.md), as the text report has it. */
static const char *html_step_class(const struct rep_step *s)
{
	const char *name = timeclass_name(report_step_class(s));

	return name ? name : "-";
}

/* Where the time went: each step's thread time per state, as stacked shares and a table. */
static void html_time(const struct report *r, FILE *f)
{
	const double x0 = 160, w = 620, rowh = 22;
	size_t i, n = 0, row = 0;
	int k;

	for (i = 0; i < r->nsteps && n < HTML_MAX_STEPS; i++)
		n += r->steps[i].has_time;
	fputs("<section id=\"time\">\n<h2>Where the time went</h2>\n", f);
	if (!n) {
		fputs("<p class=\"note\">No time breakdown was measured for this job.</p>\n"
		      "</section>\n", f);
		return;
	}
	fputs("<p class=\"note\">Thread time in each state, as a share of each step's.</p>\n", f);
	fputs("<ul class=\"legend\">", f);
	for (k = 0; k < SEXEC_TIME_N; k++)
		fprintf(f, "<li><span class=\"sw\" style=\"background:%s\"></span>%s</li>",
			html_state_colors[k], html_state_names[k]);
	fputs("</ul>\n", f);
	fprintf(f, "<svg id=\"timeshares\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n", HTML_W, n * rowh + 8, HTML_W,
		n * rowh + 8);
	for (i = 0; i < r->nsteps && row < n; i++) {
		const struct rep_step *s = &r->steps[i];
		double total = 0, x = x0, y = 4 + (double)row * rowh;

		if (!s->has_time)
			continue;
		row++;
		for (k = 0; k < SEXEC_TIME_N; k++)
			total += (double)s->time_us[k];
		fprintf(f, "<g class=\"timeshare\" data-step=\"");
		html_text(f, s->step, 32);
		fprintf(f, "\"><text x=\"0\" y=\"%.1f\">step ", y + 14);
		html_text(f, s->step, 20);
		fputs("</text>\n", f);
		for (k = 0; k < SEXEC_TIME_N && total > 0; k++) {
			double bw = (double)s->time_us[k] / total * w;

			if (bw <= 0)
				continue;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"16\" "
				"fill=\"%s\"><title>%s: ", x, y + 2, bw, html_state_colors[k],
				html_state_names[k]);
			html_duration(f, (double)s->time_us[k] / 1e6);
			fprintf(f, " (%.1f%%)</title></rect>\n",
				100.0 * (double)s->time_us[k] / total);
			x += bw;
		}
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\">", x0 + w + 10, y + 14);
		for (k = 0; k < SEXEC_TIME_N; k++)
			fprintf(f, "%s%.0f%%", k ? " / " : "",
				total > 0 ? 100.0 * (double)s->time_us[k] / total : 0.0);
		fprintf(f, " &#183; %s</text></g>\n", html_step_class(s));
	}
	fputs("</svg>\n<table class=\"grid\">\n<tr><th>Step</th>", f);
	for (k = 0; k < SEXEC_TIME_N; k++)
		fprintf(f, "<th class=\"n\">%s</th>", html_state_names[k]);
	fputs("<th>Class</th><th class=\"n\">Cores busy / allocated</th></tr>\n", f);
	for (i = 0, row = 0; i < r->nsteps && row < n; i++) {
		const struct rep_step *s = &r->steps[i];
		double total = 0, busy = (double)s->time_us[0] / 1e6;

		if (!s->has_time)
			continue;
		row++;
		for (k = 0; k < SEXEC_TIME_N; k++)
			total += (double)s->time_us[k];
		fputs("<tr><td>", f);
		html_text(f, s->step, 32);
		fputs("</td>", f);
		for (k = 0; k < SEXEC_TIME_N; k++) {
			fputs("<td class=\"n\">", f);
			html_duration(f, (double)s->time_us[k] / 1e6);
			fprintf(f, " (%.0f%%)</td>",
				total > 0 ? 100.0 * (double)s->time_us[k] / total : 0.0);
		}
		fprintf(f, "<td>%s</td><td class=\"n\">", html_step_class(s));
		if (isfinite(s->alloc_core_s) && s->alloc_core_s > 0 && s->elapsed_s > 0)
			fprintf(f, "%.2f / %.2f (%.0f%%)", busy / s->elapsed_s,
				s->alloc_core_s / s->elapsed_s, 100.0 * busy / s->alloc_core_s);
		else
			fputc('-', f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n</section>\n", f);
}

static void html_steps(const struct report *r, FILE *f)
{
	size_t i, k;

	fputs("<section id=\"steps\">\n<h2>Steps</h2>\n", f);
	if (!r->nsteps) {
		fputs("<p class=\"note\">No steps.</p>\n</section>\n", f);
		return;
	}
	fputs("<table class=\"grid\">\n<tr><th>Step</th><th>State</th><th class=\"n\">Elapsed"
	      "</th><th class=\"n\">CPUs</th><th class=\"n\">ReqMem</th><th class=\"n\">"
	      "TotalCPU</th><th class=\"n\">MaxRSS</th><th class=\"n\">Processes</th>"
	      "<th class=\"n\">CPU user</th><th class=\"n\">CPU sys</th><th class=\"n\">"
	      "Peak memory</th><th>Nodes</th></tr>\n", f);
	for (i = 0; i < r->nsteps && i < HTML_MAX_STEPS; i++) {
		const struct rep_step *s = &r->steps[i];
		const struct sacct_row *sa = s->sacct;

		fputs("<tr><td>", f);
		html_text(f, s->step, 32);
		fputs("</td><td>", f);
		html_text(f, sa ? sa->state : NULL, 30);
		fputs("</td><td class=\"n\">", f);
		html_duration(f, sa ? sa->elapsed_s : NAN);
		fputs("</td><td class=\"n\">", f);
		if (sa && sa->alloc_cpus >= 0)
			fprintf(f, "%lld", (long long)sa->alloc_cpus);
		else
			fputc('-', f);
		fputs("</td><td class=\"n\">", f);
		html_bytes(f, sa ? sa->req_mem_bytes : -1);
		fputs("</td><td class=\"n\">", f);
		html_duration(f, sa ? sa->total_cpu_s : NAN);
		fputs("</td><td class=\"n\">", f);
		html_bytes(f, sa ? sa->max_rss_bytes : -1);
		fputs("</td><td class=\"n\">", f);
		if (s->observed) {
			fprintf(f, "%lld</td><td class=\"n\">", (long long)s->processes);
			html_duration(f, (double)s->cpu_user_us / 1e6);
			fputs("</td><td class=\"n\">", f);
			html_duration(f, (double)s->cpu_sys_us / 1e6);
		} else {
			fputs("-</td><td class=\"n\">-</td><td class=\"n\">-", f);
		}
		fputs("</td><td class=\"n\">", f);
		html_bytes(f, s->mem_peak);
		fputs("</td><td>", f);
		for (k = 0; k < s->nnodes && k < 20; k++) {
			fputs(k ? ", " : "", f);
			html_text(f, s->nodes[k], 60);
		}
		if (s->nnodes > 20)
			fprintf(f, " and %zu more", s->nnodes - 20);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (r->nsteps > HTML_MAX_STEPS)
		fprintf(f, "<p class=\"note\">%zu more steps are not listed.</p>\n",
			r->nsteps - HTML_MAX_STEPS);
	fputs("</section>\n", f);
}

/* The timeline: cores busy, memory in use and disk I/O of each step on each node. */
enum { TL_CPU, TL_RSS, TL_IO, TL_N };

/* End of the run (one step on one node in one run of the job) that starts at sample i. */
static size_t html_run_end(const struct report *r, size_t i)
{
	const struct rep_sample *s = r->samples;
	size_t j;

	for (j = i + 1; j < r->nsamples && !strcmp(s[j].step, s[i].step) &&
			!strcmp(s[j].node, s[i].node) && s[j].restart == s[i].restart;
	     j++)
		;
	return j;
}

static int html_run_shown(const struct report *r, size_t i, size_t j)
{
	return j - i >= 2 && !(r->sel.has_step && strcmp(r->samples[i].step, r->sel.step));
}

/* Samples per point of a run of n samples, so it has at most HTML_TL_POINTS points. */
static size_t html_tl_group(size_t n)
{
	return (n - 1 + HTML_TL_POINTS - 1) / HTML_TL_POINTS;
}

/* The values over samples a..b of a run: rates over the whole span (so merged neighbours
 * keep an exact average) and the largest memory in use. NaN where a counter is missing
 * or went backwards. */
static void html_tl_point(const struct rep_sample *s, size_t a, size_t b, double v[TL_N])
{
	double dt = s[b].t - s[a].t;
	int c = s[a].v[REP_S_CG_CPU] >= 0 && s[b].v[REP_S_CG_CPU] >= 0 ? REP_S_CG_CPU
									 : REP_S_ON_CPU;
	size_t i;

	v[TL_CPU] = v[TL_RSS] = v[TL_IO] = NAN;
	if (dt > 0 && s[a].v[c] >= 0 && s[b].v[c] >= s[a].v[c])
		v[TL_CPU] = (double)(s[b].v[c] - s[a].v[c]) / 1e6 / dt;
	if (dt > 0 && s[a].v[REP_S_IO_READ] >= 0 && s[a].v[REP_S_IO_WRITE] >= 0 &&
	    s[b].v[REP_S_IO_READ] >= s[a].v[REP_S_IO_READ] &&
	    s[b].v[REP_S_IO_WRITE] >= s[a].v[REP_S_IO_WRITE])
		v[TL_IO] = (double)(s[b].v[REP_S_IO_READ] - s[a].v[REP_S_IO_READ] +
				    s[b].v[REP_S_IO_WRITE] - s[a].v[REP_S_IO_WRITE]) / dt;
	for (i = a; i <= b; i++)
		if (s[i].v[REP_S_RSS] >= 0 && !((double)s[i].v[REP_S_RSS] <= v[TL_RSS]))
			v[TL_RSS] = (double)s[i].v[REP_S_RSS];
}

/* One series of a run in panel k, as a step line: each point holds its value over its span. */
static void html_tl_path(FILE *f, const struct rep_sample *s, size_t n, int k, const char *color,
			 double t0, double span, double x, double y, double w, double h,
			 double max)
{
	size_t g = html_tl_group(n), a;
	int open = 0, any = 0;

	for (a = 0; a + 1 < n; a += g) {
		size_t b = a + g < n - 1 ? a + g : n - 1;
		double v[TL_N], x0, x1, py;

		html_tl_point(s, a, b, v);
		if (!isfinite(v[k])) {
			open = 0;
			continue;
		}
		if (!any)
			fprintf(f, "<path class=\"series\" stroke=\"%s\" d=\"", color);
		any = 1;
		x0 = x + (s[a].t - t0) / span * w;
		x1 = x + (s[b].t - t0) / span * w;
		py = y + h - (max > 0 ? v[k] / max * h : 0);
		fprintf(f, "%c%.1f %.1fH%.1f", open ? 'L' : 'M', x0, py, x1);
		open = 1;
	}
	if (any)
		fputs("\"/>\n", f);
}

static void html_timeline(const struct report *r, FILE *f)
{
	static const char *const names[TL_N] = { "CPU cores busy", "Memory in use (RSS)",
						 "Disk I/O (read + written per second)" };
	const double x = 90, w = HTML_W - 110, ph = 110, gap = 46;
	double t0 = INFINITY, t1 = -INFINITY, max[TL_N] = { 0 }, span, hgt;
	size_t i, j, runs = 0, shown = 0, single = 0, c;
	int k;

	/* First pass: the time range and each panel's scale over every series drawn. */
	for (i = 0; i < r->nsamples; i = j) {
		j = html_run_end(r, i);
		if (r->sel.has_step && strcmp(r->samples[i].step, r->sel.step))
			continue;
		if (!html_run_shown(r, i, j)) {
			single++;
			continue;
		}
		if (runs++ >= HTML_TL_MAX_RUNS)
			continue;
		t0 = fmin(t0, r->samples[i].t);
		t1 = fmax(t1, r->samples[j - 1].t);
		for (c = i; c + 1 < j; c += html_tl_group(j - i)) {
			size_t b = c + html_tl_group(j - i);
			double v[TL_N];

			html_tl_point(&r->samples[i], c - i, (b < j - 1 ? b : j - 1) - i, v);
			for (k = 0; k < TL_N; k++)
				if (isfinite(v[k]) && v[k] > max[k])
					max[k] = v[k];
		}
	}
	fputs("<section id=\"timeline-section\">\n<h2>Timeline</h2>\n", f);
	hgt = runs ? TL_N * (ph + gap) + 10 : 60;
	fprintf(f, "<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n", HTML_W, hgt, HTML_W, hgt);
	if (!runs) {
		fputs("<text id=\"timeline-none\" x=\"10\" y=\"34\" font-size=\"14\">No timeline "
		      "samples for this job: the collector records them from schema 6 on, every "
		      "sample_interval_s, and at each step's start and end.</text>\n</svg>\n", f);
		fputs("<p class=\"note\">No timeline samples for this job.</p>\n</section>\n", f);
		return;
	}
	span = t1 > t0 ? t1 - t0 : 1;
	for (k = 0; k < TL_N; k++) {
		double y = 22 + k * (ph + gap);

		fprintf(f, "<g class=\"panel\" data-series=\"%s\">\n",
			k == TL_CPU ? "cpu" : k == TL_RSS ? "rss" : "io");
		fprintf(f, "<text x=\"0\" y=\"%.1f\" font-weight=\"600\">%s</text>\n", y - 8,
			names[k]);
		html_time_axis(f, x, y + ph, w, y, span);
		fprintf(f, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			"y2=\"%.1f\"/>\n", x, y, x, y + ph);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">", x - 6, y + 4);
		if (k == TL_CPU)
			fprintf(f, "%.3g", max[k]);
		else
			html_bytes(f, (int64_t)max[k]);
		fprintf(f, "%s</text><text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">0</text>\n",
			k == TL_IO ? "/s" : "", x - 6, y + ph);
		shown = 0;
		for (i = 0; i < r->nsamples && shown < HTML_TL_MAX_RUNS; i = j) {
			j = html_run_end(r, i);
			if (!html_run_shown(r, i, j))
				continue;
			html_tl_path(f, &r->samples[i], j - i, k,
				     html_palette[shown % HTML_NPALETTE], t0, span, x, y, w, ph,
				     max[k]);
			shown++;
		}
		fputs("</g>\n", f);
	}
	fputs("</svg>\n<ul class=\"legend\">", f);
	shown = 0;
	for (i = 0; i < r->nsamples && shown < HTML_TL_MAX_RUNS; i = j) {
		const struct rep_sample *s = &r->samples[i];

		j = html_run_end(r, i);
		if (!html_run_shown(r, i, j))
			continue;
		fprintf(f, "<li><span class=\"sw\" style=\"background:%s\"></span>step ",
			html_palette[shown % HTML_NPALETTE]);
		html_text(f, s->step, 32);
		fputs(" on ", f);
		html_text(f, s->node, 60);
		fprintf(f, "%s (%zu samples)</li>", s->restart ? " (requeued)" : "", j - i);
		shown++;
	}
	fputs("</ul>\n", f);
	if (runs > HTML_TL_MAX_RUNS)
		fprintf(f, "<p class=\"note\">%zu more series (steps on nodes) are not "
			"drawn.</p>\n", runs - HTML_TL_MAX_RUNS);
	if (single)
		fprintf(f, "<p class=\"note\">%zu series with one sample only are not drawn.</p>\n",
			single);
	fputs("</section>\n", f);
}

/* The tools chart: one row per tool, a bar per measure scaled to that measure's largest. */
enum { TM_CPU, TM_WALL, TM_PROCS, TM_RSS, TM_READ, TM_WRITE, TM_N };

static double html_tool_value(const struct rep_tool *t, int m)
{
	switch (m) {
	case TM_CPU:
		return (double)t->cpu_us / 1e6;
	case TM_WALL:
		return (double)t->wall_us / 1e6;
	case TM_PROCS:
		return (double)t->processes;
	case TM_RSS:
		return t->rss_peak_kb < 0 ? NAN : (double)t->rss_peak_kb * 1024;
	case TM_READ:
		return t->read_bytes < 0 ? NAN : (double)t->read_bytes;
	default:
		return t->write_bytes < 0 ? NAN : (double)t->write_bytes;
	}
}

static void html_tool_format(FILE *f, int m, double v)
{
	if (!isfinite(v))
		fputc('-', f);
	else if (m == TM_CPU || m == TM_WALL)
		html_duration(f, v);
	else if (m == TM_PROCS)
		fprintf(f, "%.0f", v);
	else
		html_bytes(f, (int64_t)v);
}

static void html_tools(const struct report *r, FILE *f)
{
	static const char *const heads[TM_N] = { "CPU", "Wall", "Processes", "Peak RSS", "Read",
						 "Written" };
	const double lx = 190, cw = 150, bw = 72, rowh = 20, top = 26;
	size_t i, n = r->ntools < HTML_MAX_TOOLS ? r->ntools : HTML_MAX_TOOLS;
	double max[TM_N] = { 0 }, hgt = top + (double)(n ? n : 1) * rowh + 6;
	int m;

	for (i = 0; i < n; i++)
		for (m = 0; m < TM_N; m++) {
			double v = html_tool_value(&r->tools[i], m);

			if (isfinite(v) && v > max[m])
				max[m] = v;
		}
	fputs("<section id=\"tools-section\">\n<h2>Tools</h2>\n", f);
	fprintf(f, "<svg id=\"tools\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n", HTML_W, hgt, HTML_W, hgt);
	fprintf(f, "<text x=\"0\" y=\"14\" font-weight=\"600\">Tool</text>\n");
	for (m = 0; m < TM_N; m++)
		fprintf(f, "<text x=\"%.1f\" y=\"14\" font-weight=\"600\">%s</text>\n",
			lx + m * cw, heads[m]);
	if (!n)
		fprintf(f, "<text x=\"0\" y=\"%.1f\">No tools recorded for this job.</text>\n",
			top + 14);
	for (i = 0; i < n; i++) {
		const struct rep_tool *t = &r->tools[i];
		const char *color = i < HTML_NPALETTE ? html_palette[i] : HTML_GREY;
		double y = top + (double)i * rowh;

		fputs("<g class=\"tool\" data-tool=\"", f);
		html_text(f, *t->tool ? t->tool : "(other)", 60);
		fprintf(f, "\">\n<text x=\"0\" y=\"%.1f\">", y + 13);
		html_text(f, *t->tool ? t->tool : "(other)", 28);
		fputs("</text>\n", f);
		for (m = 0; m < TM_N; m++) {
			double v = html_tool_value(t, m), x = lx + m * cw;
			double len = isfinite(v) && max[m] > 0 ? v / max[m] * bw : 0;

			fprintf(f, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				"height=\"12\" fill=\"%s\"><title>", x, y + 3, len > 0 && len < 1 ?
				1.0 : len, color);
			html_text(f, *t->tool ? t->tool : "(other)", 60);
			fprintf(f, ": %s ", heads[m]);
			html_tool_format(f, m, v);
			fprintf(f, "</title></rect><text x=\"%.1f\" y=\"%.1f\">", x + bw + 4,
				y + 13);
			html_tool_format(f, m, v);
			fputs("</text>\n", f);
		}
		fputs("</g>\n", f);
	}
	fputs("</svg>\n", f);
	if (r->ntools > n)
		fprintf(f, "<p class=\"note\">%zu more tools with less CPU are not drawn.</p>\n",
			r->ntools - n);
	fputs("</section>\n", f);
}

/* A process bar of the Gantt chart. */
struct html_bar {
	size_t idx;
	double start, end;
};

/* Heap order of the selection: the process with the shortest wall time on top, so it is the
 * one to give up for a longer one. Ties keep the earlier process. */
static int html_shorter(const struct report *r, size_t a, size_t b)
{
	double wa = r->procs[a].wall_s, wb = r->procs[b].wall_s;

	return wa < wb || (wa == wb && a > b);
}

static void html_heap_down(const struct report *r, size_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i, t;

		if (l < n && html_shorter(r, h[l], h[m]))
			m = l;
		if (l + 1 < n && html_shorter(r, h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static int html_bar_order(const void *a, const void *b)
{
	const struct html_bar *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The longest processes by wall time (at most HTML_GANTT_MAX_PROCS, in bounded memory
 * whatever the job's count), in order of start. Returns how many. */
static size_t html_pick_procs(const struct report *r, struct html_bar *bars)
{
	size_t heap[HTML_GANTT_MAX_PROCS], n = 0, i;

	for (i = 0; i < r->nprocs; i++) {
		if (n < HTML_GANTT_MAX_PROCS) {
			size_t c = n++;

			heap[c] = i;
			/* Sift up. */
			while (c && html_shorter(r, heap[c], heap[(c - 1) / 2])) {
				size_t p = (c - 1) / 2, t = heap[c];

				heap[c] = heap[p];
				heap[p] = t;
				c = p;
			}
		} else if (html_shorter(r, heap[0], i)) {
			heap[0] = i;
			html_heap_down(r, heap, n, 0);
		}
	}
	for (i = 0; i < n; i++) {
		const struct rep_proc *p = &r->procs[heap[i]];

		bars[i].idx = heap[i];
		bars[i].start = html_parse_time(p->start);
		bars[i].end = html_parse_time(p->end);
		if (!isfinite(bars[i].end) && isfinite(bars[i].start))
			bars[i].end = bars[i].start + p->wall_s;
	}
	qsort(bars, n, sizeof(*bars), html_bar_order);
	return n;
}

/* A step's span: sexec's own times, else sacct's. NaN when unknown (end: still running). */
static void html_step_span(const struct rep_step *s, double *start, double *end)
{
	*start = s->start_s;
	*end = s->end_s;
	if (!isfinite(*start) && s->sacct)
		*start = html_parse_time(s->sacct->start);
	if (!isfinite(*end) && s->sacct)
		*end = html_parse_time(s->sacct->end);
}

/* "pid 123 gzip -c file" and the facts of a process, for its tooltip. */
static void html_proc_title(FILE *f, const struct rep_proc *p)
{
	char joined[HTML_FIELD_MAX];
	size_t k, o = 0;

	joined[0] = '\0';
	for (k = 0; k < p->argc && o < sizeof(joined) - 1; k++) {
		int n = snprintf(joined + o, sizeof(joined) - o, "%s%s", k ? " " : "", p->argv[k]);

		if (n < 0)
			break;
		o += (size_t)n;
	}
	fprintf(f, "<title>pid %lld", (long long)p->pid);
	if (p->ppid >= 0)
		fprintf(f, " (parent %lld)", (long long)p->ppid);
	fputs(", step ", f);
	html_text(f, p->step, 32);
	fputs(" on ", f);
	html_text(f, p->node, 60);
	fputs("\n", f);
	html_text(f, joined[0] ? joined : p->exe, 300);
	if (p->argv_truncated)
		fputs(" ...", f);
	fputs("\nwall ", f);
	html_duration(f, p->wall_s);
	fputs(", CPU ", f);
	html_duration(f, (double)(p->cpu_user_us + p->cpu_sys_us) / 1e6);
	if (p->counters[0] >= 0) {
		fputs(", peak RSS ", f);
		html_bytes(f, p->counters[0] * 1024);
	}
	if (p->has_exit_code)
		fprintf(f, ", exit %d", p->exit_code);
	else
		fprintf(f, ", killed by signal %d%s", p->signal, p->core_dumped ? " (core)" : "");
	if (p->oom_killed)
		fputs(", OOM-killed", f);
	fputs("</title>", f);
}

/* The Gantt chart: the steps, then the longest processes, on one time axis. */
static void html_gantt(const struct report *r, FILE *f)
{
	const double lx = 250, w = HTML_W - lx - 20, rowh = 14, top = 8;
	struct html_bar *bars;
	double t0 = INFINITY, t1 = -INFINITY, span, y, hgt, a, b;
	size_t nbars, nsteps = 0, unplaced = 0, i;
	size_t total = r->procs_total > r->nprocs ? r->procs_total : r->nprocs;

	bars = calloc(HTML_GANTT_MAX_PROCS, sizeof(*bars));
	fputs("<section id=\"gantt-section\">\n<h2>Steps and processes</h2>\n", f);
	if (!bars) {
		fputs("<p class=\"warn\">Out of memory drawing the chart.</p>\n</section>\n", f);
		return;
	}
	nbars = html_pick_procs(r, bars);
	for (i = 0; i < r->nsteps && i < HTML_MAX_STEPS; i++) {
		html_step_span(&r->steps[i], &a, &b);
		if (!isfinite(a))
			continue;
		nsteps++;
		t0 = fmin(t0, a);
		t1 = fmax(t1, isfinite(b) ? b : a);
	}
	for (i = 0; i < nbars; i++) {
		if (!isfinite(bars[i].start)) {
			unplaced++;
			continue;
		}
		t0 = fmin(t0, bars[i].start);
		t1 = fmax(t1, bars[i].end);
	}
	span = t1 > t0 ? t1 - t0 : 1;
	hgt = top + (double)(nsteps + nbars - unplaced) * rowh + (nbars ? 10 : 0) + 34;
	fprintf(f, "<p class=\"note\">Steps, then processes in order of start (hover for their "
		"command lines). Colours are tools, as in the tools chart.</p>\n");
	fprintf(f, "<svg id=\"gantt\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%.0f\" viewBox=\"0 0 %d %.0f\">\n", HTML_W, hgt, HTML_W, hgt);
	if (!isfinite(t0)) {
		fputs("<text x=\"10\" y=\"24\" font-size=\"14\">No step or process times are "
		      "known.</text>\n</svg>\n</section>\n", f);
		free(bars);
		return;
	}
	html_time_axis(f, lx, hgt - 22, w, top, span);
	y = top;
	for (i = 0; i < r->nsteps && i < HTML_MAX_STEPS; i++) {
		const struct rep_step *s = &r->steps[i];
		double x0, x1;

		html_step_span(s, &a, &b);
		if (!isfinite(a))
			continue;
		x0 = lx + (a - t0) / span * w;
		x1 = lx + ((isfinite(b) ? b : t1) - t0) / span * w;
		fprintf(f, "<text x=\"0\" y=\"%.1f\">step ", y + 10);
		html_text(f, s->step, 30);
		fputs("</text>\n<rect class=\"step\" data-step=\"", f);
		html_text(f, s->step, 32);
		fprintf(f, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"11\" fill=\"#555\">"
			"<title>step ", x0, y + 1, x1 - x0 < 1 ? 1 : x1 - x0);
		html_text(f, s->step, 32);
		fputs(": ", f);
		if (isfinite(b))
			html_duration(f, b - a);
		else
			fputs("still running, or its end is unknown", f);
		fprintf(f, ", %lld processes</title></rect>\n", (long long)s->processes);
		y += rowh;
	}
	if (nbars)
		y += 10;
	for (i = 0; i < nbars; i++) {
		const struct rep_proc *p = &r->procs[bars[i].idx];
		double x0, x1;

		if (!isfinite(bars[i].start))
			continue;
		x0 = lx + (bars[i].start - t0) / span * w;
		x1 = lx + (bars[i].end - t0) / span * w;
		fprintf(f, "<text x=\"0\" y=\"%.1f\">%lld ", y + 10, (long long)p->pid);
		html_text(f, p->tool ? p->tool : p->exe, 32);
		fprintf(f, "</text>\n<rect class=\"proc\" data-pid=\"%lld\" data-step=\"",
			(long long)p->pid);
		html_text(f, p->step, 32);
		fputs("\" data-node=\"", f);
		html_text(f, p->node, 60);
		fprintf(f, "\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"10\" fill=\"%s\">",
			x0, y + 2, x1 - x0 < 1 ? 1 : x1 - x0, html_tool_color(r, p->tool));
		html_proc_title(f, p);
		fputs("</rect>\n", f);
		y += rowh;
	}
	fputs("</svg>\n", f);
	if (!r->nprocs)
		fputs("<p class=\"note\">No processes were observed.</p>\n", f);
	/* The database may have handed over only the longest (procs_total counts all). */
	if (total > nbars)
		fprintf(f, "<p class=\"note\" id=\"gantt-omitted\">%zu of %zu processes are drawn "
			"(the longest by wall time); %zu shorter ones are left out.</p>\n", nbars,
			total, total - nbars);
	if (unplaced)
		fprintf(f, "<p class=\"note\">%zu processes have no known start time and are not "
			"drawn.</p>\n", unplaced);
	if (r->nsteps > HTML_MAX_STEPS)
		fprintf(f, "<p class=\"note\">%zu more steps are not drawn.</p>\n",
			r->nsteps - HTML_MAX_STEPS);
	fputs("</section>\n", f);
	free(bars);
}

int render_html(const struct report *r, FILE *f)
{
	html_head(r, f);
	html_header(r, f);
	html_warnings(r, f);
	html_diagnosis(r, f);
	html_cost(r, f);
	html_time(r, f);
	html_steps(r, f);
	html_timeline(r, f);
	html_tools(r, f);
	html_gantt(r, f);
	fprintf(f, "<footer class=\"note\"><p>sexec %s</p></footer>\n</body>\n</html>\n",
		PACKAGE_VERSION);
	if (fflush(f) || ferror(f))
		return -EIO;
	return 0;
}
