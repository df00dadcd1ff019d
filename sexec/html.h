/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `sexec --html FILE`: one self-contained HTML page (inline CSS and SVG, no scripts fetched,
 * no network requests) with the job's header, timeline, per-tool breakdown and a Gantt chart
 * of its steps and processes (docs/html.md). */
#ifndef SEXEC_CLI_HTML_H
#define SEXEC_CLI_HTML_H

#include <stdio.h>

#include "report.h"

#define HTML_GANTT_MAX_PROCS 400 /* the longest processes by wall time */

/* Returns 0, or -errno when writing failed. */
int render_html(const struct report *r, FILE *f);

#endif
