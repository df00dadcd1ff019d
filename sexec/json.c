// SPDX-License-Identifier: GPL-2.0-or-later
/* Streaming JSON writer used by `sexec --json`: two-space indentation, commas and nesting
 * tracked here, strings escaped by slurmfmt_json_escape(). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/slurmfmt.h"

#include "json.h"

void json_init(struct json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

/* Comma, newline and indentation before a value or a key, unless a key just went out. */
static int json_prefix(struct json *j)
{
	if (j->error)
		return -1;
	if (j->after_key) {
		j->after_key = 0;
		return 0;
	}
	if (j->depth > 0) {
		fprintf(j->f, "%s\n%*s", j->count[j->depth] ? "," : "", 2 * j->depth, "");
		j->count[j->depth]++;
	}
	return 0;
}

static void json_open(struct json *j, char c)
{
	if (json_prefix(j))
		return;
	if (j->depth + 1 >= JSON_DEPTH_MAX) {
		j->error = -E2BIG;
		return;
	}
	fputc(c, j->f);
	j->count[++j->depth] = 0;
}

static void json_close(struct json *j, char c)
{
	if (j->error)
		return;
	if (j->depth <= 0) {
		j->error = -EINVAL;
		return;
	}
	if (j->count[j->depth])
		fprintf(j->f, "\n%*s", 2 * (j->depth - 1), "");
	j->depth--;
	fputc(c, j->f);
}

void json_object_begin(struct json *j)
{
	json_open(j, '{');
}

void json_object_end(struct json *j)
{
	json_close(j, '}');
}

void json_array_begin(struct json *j)
{
	json_open(j, '[');
}

void json_array_end(struct json *j)
{
	json_close(j, ']');
}

static void json_escaped(struct json *j, const char *s, size_t len)
{
	char small[512], *buf = small;
	size_t need;

	if (slurmfmt_json_escape(small, sizeof(small), s, len, &need)) {
		buf = malloc(need + 1);
		if (!buf) {
			j->error = -ENOMEM;
			return;
		}
		slurmfmt_json_escape(buf, need + 1, s, len, &need);
	}
	fputc('"', j->f);
	fwrite(buf, 1, need, j->f);
	fputc('"', j->f);
	if (buf != small)
		free(buf);
}

void json_key(struct json *j, const char *key)
{
	if (json_prefix(j))
		return;
	json_escaped(j, key, strlen(key));
	fputs(": ", j->f);
	j->after_key = 1;
}

void json_string_n(struct json *j, const char *s, size_t len)
{
	if (json_prefix(j))
		return;
	json_escaped(j, s, len);
}

void json_string(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_string_n(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	if (json_prefix(j))
		return;
	fprintf(j->f, "%" PRId64, v);
}

void json_int_or_null(struct json *j, int64_t v)
{
	if (v < 0)
		json_null(j);
	else
		json_int(j, v);
}

void json_seconds(struct json *j, double v)
{
	if (isnan(v) || isinf(v)) {
		json_null(j);
		return;
	}
	if (json_prefix(j))
		return;
	fprintf(j->f, "%.6f", v);
}

void json_bool(struct json *j, int v)
{
	if (json_prefix(j))
		return;
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	if (json_prefix(j))
		return;
	fputs("null", j->f);
}

int json_finish(struct json *j)
{
	if (!j->error && j->depth)
		j->error = -EINVAL;
	fputc('\n', j->f);
	if (fflush(j->f) || ferror(j->f))
		return j->error ? j->error : -EIO;
	return j->error;
}
