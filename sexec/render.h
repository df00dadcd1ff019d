/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output of the sexec CLI: the report as tables for people, or as the one JSON object
 * documented in docs/json.md. */
#ifndef SEXEC_CLI_RENDER_H
#define SEXEC_CLI_RENDER_H

#include <stdio.h>

#include "report.h"

#include <stdint.h>

#define RENDER_FIELD_MAX 512 /* bytes of one sanitised field, enough for width * 4 + "..." */

/* ANSI colours, used only when the report's color is set. */
#define RENDER_RED "\033[31m"
#define RENDER_GREEN "\033[32m"
#define RENDER_YELLOW "\033[33m"
#define RENDER_BOLD "\033[1m"
#define RENDER_RESET "\033[0m"

/* A field for the terminal: control characters neutralised, clipped to width columns;
 * NULL or empty becomes "-". Returns buf (or a constant). */
const char *render_clip(char *buf, size_t len, const char *s, size_t width);

/* CSV fields (RFC 4180): quoted when they hold a comma, quote or line break; last ends the
 * record with CRLF. Unknown values (NULL, negative counts, NaN) are empty. */
void csv_str(FILE *f, const char *s, int last);
void csv_int(FILE *f, int64_t v, int last);
void csv_num(FILE *f, double v, int last);

/* Sections shared by the job and array views. */
struct json;
void render_text_tools(const struct rep_tool *tools, size_t ntools, const char *currency,
		       int all, FILE *f);
void render_text_cost(const struct rep_cost *c, FILE *f);
void render_json_tools(const struct rep_tool *tools, size_t ntools, struct json *j);
void render_json_cost(const struct rep_cost *c, struct json *j);
/* Diagnosis notes: a titled list of sentences, or the "diagnosis" array of {kind, text}. */
struct sexec_diag;
void render_text_notes(const char *title, const struct sexec_diag *d, int n, FILE *f);
void render_json_notes(const struct sexec_diag *d, int n, struct json *j);
/* "time": {on_cpu_s, runq_s, io_s, mem_s, sleep_s} from microseconds, or null. */
void render_json_time(struct json *j, int has, const int64_t *us);

/* Both return 0, or -errno when writing failed. */
int render_text(const struct report *r, FILE *f);
int render_json(const struct report *r, FILE *f);
/* The view's main table as CSV (RFC 4180): processes with --processes, tools with --tools,
 * else steps. */
int render_csv(const struct report *r, FILE *f);

#endif
