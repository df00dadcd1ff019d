/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Slurm's own accounting of a job, read by running sacct (no shell, with a timeout) and
 * parsing its '|'-separated lines into struct sacct_row. */
#ifndef SEXEC_CLI_SACCT_H
#define SEXEC_CLI_SACCT_H

#include <stddef.h>

#include "report.h"

#define SACCT_TIMEOUT_S 10

/* The columns asked for, in this order. */
#define SACCT_FORMAT                                                                       \
	"JobID,JobIDRaw,JobName,State,ExitCode,Elapsed,ElapsedRaw,AllocCPUS,ReqMem,TotalCPU," \
	"MaxRSS,Timelimit,Start,End,Partition,Account,User,NodeList"

/* Run "<path> -P -n -j <jobarg> --format=SACCT_FORMAT" and parse every line. Returns 0 with
 * the rows (maybe none: sacct does not know the job), or -errno with a one-line reason in
 * err: -ENOENT/-EACCES when it cannot be run, -ETIMEDOUT, -EIO when it failed, -ENOMEM. */
int sacct_query(const char *path, const char *jobarg, int timeout_s, struct sacct_row **rows,
		size_t *nrows, char *err, size_t errlen);

/* The same with the selection given as arguments (NULL-terminated, at most 16), for example
 * { "-X", "-u", "alice", "-S", "now-7days", NULL }. */
int sacct_query_args(const char *path, const char *const *sel, int timeout_s,
		     struct sacct_row **rows, size_t *nrows, char *err, size_t errlen);

/* Parse sacct -P -n output (modified in place). Lines that are not one of the job id forms
 * sexec understands (pending array ranges, heterogeneous jobs) are counted in *skipped.
 * Returns 0 or -ENOMEM. */
int sacct_parse(char *out, struct sacct_row **rows, size_t *nrows, size_t *skipped);

#endif
