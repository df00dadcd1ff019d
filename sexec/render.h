/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Output of the sexec CLI: the report as tables for people, or as the one JSON object
 * documented in docs/json.md. */
#ifndef SEXEC_CLI_RENDER_H
#define SEXEC_CLI_RENDER_H

#include <stdio.h>

#include "report.h"

/* Both return 0, or -errno when writing failed. */
int render_text(const struct report *r, FILE *f);
int render_json(const struct report *r, FILE *f);
/* The view's main table as CSV (RFC 4180): processes with --processes, tools with --tools,
 * else steps. */
int render_csv(const struct report *r, FILE *f);

#endif
