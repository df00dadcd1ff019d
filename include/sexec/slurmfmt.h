/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Pure text helpers for the sexec CLI: Slurm job selectors and sacct's field formats in,
 * JSON strings and human-friendly units out. No I/O, no allocation, so unit tests cover it. */
#ifndef SEXEC_SLURMFMT_H
#define SEXEC_SLURMFMT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sexec/record.h"

/* Largest id Slurm hands out for a job or an array task (below its NO_VAL markers). */
#define SLURMFMT_ID_MAX 0xfffffff9u

/* A job as the user names it: "123", "123_4", "123.batch", "123_4.0". */
struct slurmfmt_jobsel {
	uint32_t job_id;        /* the number before '_' or '.' */
	int has_array;          /* "123_4": job_id is the array job, array_task_id the task */
	uint32_t array_task_id; /* valid when has_array */
	int has_het;            /* "123+1": job_id is the heterogeneous job, het_offset the part */
	uint32_t het_offset;    /* valid when has_het */
	int has_step;           /* a step was named after the dot */
	char step[SEXEC_STEP_NAME_MAX]; /* sacct's spelling: "batch", "extern", "0" ... */
};

/* Parse a job selector. Returns 0, or -EINVAL when s is not exactly one of the forms above
 * (signs, spaces, empty parts, job id 0, overflowing numbers, unknown step names). */
int slurmfmt_parse_jobsel(const char *s, struct slurmfmt_jobsel *sel);

/* Parse a time as sacct's -S/-E take it, in local time: "now", "now-N" / "now+N" with an
 * optional unit (seconds, the default, minutes, hours, days or weeks, as sacct spells them),
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" and "YYYY-MM-DDTHH:MM:SS". Returns 0 with *out, or -EINVAL
 * for anything else (including impossible dates such as 2026-02-30). */
int slurmfmt_parse_time(const char *s, time_t now, time_t *out);

/* Parse a sacct duration: "[D-]HH:MM:SS[.frac]", "MM:SS[.frac]", "D-HH[:MM]". Returns 0 with
 * seconds in *secs, -ENODATA for the words sacct prints when there is no value ("", "Unknown",
 * "UNLIMITED", "Partition_Limit", "INVALID", "None"), -EINVAL when malformed. */
int slurmfmt_parse_duration(const char *s, double *secs);

enum slurmfmt_mem_per {
	SLURMFMT_MEM_TOTAL = 0, /* no suffix: the whole job or step */
	SLURMFMT_MEM_PER_NODE,  /* old Slurm's "n" suffix ("16Gn") */
	SLURMFMT_MEM_PER_CPU,   /* old Slurm's "c" suffix ("16Gc") */
};

/* Parse a sacct memory size: a number (fractions allowed, "1.50G") with an optional binary
 * unit K, M, G, T or P and an optional n/c suffix. A bare number is bytes. per may be NULL.
 * Returns 0, -ENODATA for "" (nothing recorded), -EINVAL when malformed, -ERANGE on overflow. */
int slurmfmt_parse_mem(const char *s, uint64_t *bytes, enum slurmfmt_mem_per *per);

/* Split line in place on sep into at most nfields fields; a trailing '\n' (and '\r') is
 * dropped. If the line has more separators than nfields - 1 and text_field is a valid index,
 * the surplus belongs to that field (sacct -P does not escape '|' in job names), so fields on
 * both sides of it stay in place. Returns the number of fields (<= nfields), or -E2BIG when
 * there are more than nfields and no text_field (text_field < 0) can take them. */
int slurmfmt_split(char *line, char sep, char **fields, size_t nfields, int text_field);

/* Escape src[0..srclen) as the inside of a JSON string (no quotes added): '"', '\\' and
 * control characters escaped, each byte that is not part of valid UTF-8 written as \ufffd.
 * dst is always NUL-terminated when dstlen > 0 and never holds half an escape. *outlen gets
 * the length the whole escape needs. Returns 0, or -ENOSPC when it did not fit in dst. */
int slurmfmt_json_escape(char *dst, size_t dstlen, const char *src, size_t srclen,
			 size_t *outlen);

/* Number of hosts in a Slurm hostlist: "n1" -> 1, "n[01-04,07],gpu1" -> 6, "" or
 * "None assigned" -> 0. Returns the count, or -EINVAL when malformed. */
int slurmfmt_hostlist_count(const char *s);
/* The first host of a hostlist: "n[01-04,07],gpu1" gives "n01", "r[1-2]n[3-4]" "r1n3",
 * "gpu[01-02]-ib" "gpu01-ib"; "" for an empty list. Cut to fit len. */
void slurmfmt_hostlist_first(const char *list, char *out, size_t len);
/* Number of ids in a Slurm id list: "0-3,8,10-11" -> 7, "" -> 0; -EINVAL when
 * malformed. */
int slurmfmt_idlist_count(const char *s);

/* Order of steps in reports: batch, extern, interactive, then numeric ascending, then any
 * other name alphabetically. strcmp-style result. */
int slurmfmt_step_cmp(const char *a, const char *b);

/* Seconds for people: "0.12s", "12.3s", "4m05s", "2h03m04s", "1d02h03m"; "-" when secs is
 * NaN or negative. Returns 0 or -ENOSPC. */
int slurmfmt_fmt_duration(double secs, char *buf, size_t len);

/* Bytes for people: "512 B", "1.5 KiB", "4.0 GiB" (binary units); "-" when bytes < 0.
 * Returns 0 or -ENOSPC. */
int slurmfmt_fmt_bytes(int64_t bytes, char *buf, size_t len);

/* Copy src into dst for a terminal column of width characters: control characters and bytes
 * that are not valid UTF-8 become '?', and a longer string is cut on a character boundary
 * and ends in "...". width counts characters (code points), not bytes; width must be >= 4.
 * Returns 0, -ENOSPC when dst is too small, -EINVAL for a width below 4. */
int slurmfmt_clip(char *dst, size_t dstlen, const char *src, size_t width);

#endif
