/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the sexec CLI was asked to do (its options) and how it exits; shared by the views:
 * one job (main.c), a listing of jobs (list.c) and a pipeline run (pipeline.c). */
#ifndef SEXEC_CLI_CLI_H
#define SEXEC_CLI_CLI_H

#include <stdio.h>

struct sexec_conf;

/* Exit codes, documented in --help and sexec(1). */
enum {
	EXIT_SHOWN = 0,     /* the job was shown (warnings, if any, on stderr) */
	EXIT_ERROR = 1,     /* other error: configuration, memory, writing output */
	EXIT_USAGE = 2,     /* bad options or a malformed job id */
	EXIT_NOT_FOUND = 3, /* neither sexec nor sacct knows the job (or step, or pipeline) */
	EXIT_DB_DOWN = 4,   /* database unreachable and sacct could not show the job either */
	EXIT_DENIED = 5,    /* the database denied access (SQLSTATE 42501) */
};

struct cli_opts {
	int json, csv, processes, tools, timeline, color;
	const char *html;                 /* --html FILE */
	const char *pipeline, *run;       /* --pipeline NAME [--run ID] */
	const char *user, *account, *partition, *start, *end; /* listing filters */
	int all_users;
	const char *config, *db, *sacct;
	const char *jobarg; /* NULL: list jobs */
};

/* A pipeline run across its jobs: per workflow task and tool, with its critical path.
 * Prints the view (text, --json or --csv) on out and errors on stderr; returns an exit code. */
int pipeline_show(const struct cli_opts *o, const struct sexec_conf *conf, FILE *out);

/* The jobs matching the listing filters, one line each with a verdict. Returns an exit code. */
int list_show(const struct cli_opts *o, const struct sexec_conf *conf, FILE *out);

#endif
