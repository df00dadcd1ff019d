/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer for the sexec CLI: it keeps track of commas, nesting and
 * indentation, and always produces valid JSON whatever bytes the strings hold. */
#ifndef SEXEC_CLI_JSON_H
#define SEXEC_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

struct json {
	FILE *f;
	int depth;
	int count[JSON_DEPTH_MAX]; /* values written so far at each depth */
	int after_key;             /* the next value completes "key": */
	int error;                 /* -errno of the first failure; later calls do nothing */
};

void json_init(struct json *j, FILE *f);
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s); /* NULL writes null */
void json_string_n(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_int_or_null(struct json *j, int64_t v); /* negative writes null */
void json_seconds(struct json *j, double v);      /* "%.6f"; NaN writes null */
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* Finish with a newline and flush. Returns 0, or -errno when anything failed. */
int json_finish(struct json *j);

#endif
