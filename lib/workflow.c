// SPDX-License-Identifier: GPL-2.0-or-later
/* Workflow detection (which Nextflow, Snakemake or Cromwell task a job is, from the
 * shape its engine gives the job) and the key=value labels of docs/workflows.md. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sexec/workflow.h"

/* wf_copy() flags */
#define WF_NO_COMMA 0x1		/* ',' becomes ';' (the result is a label value) */
#define WF_LOWER 0x2		/* ASCII letters are lowercased */

/* How much of a bad label an error message quotes. */
#define LABEL_QUOTE_MAX 48

static void wf_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void wf_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int all_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_hex((unsigned char)s[i]))
			return 0;
	return 1;
}

/* The length of the valid UTF-8 character at s (n bytes available) and its code
 * point, or 0 for an invalid byte: overlong forms, surrogates and code points
 * above U+10FFFF are invalid too, so whatever passes is valid for PostgreSQL. */
static size_t utf8_char(const unsigned char *s, size_t n, unsigned int *cp)
{
	unsigned int v, min;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		v = s[0] & 0x1f;
		min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		v = s[0] & 0x0f;
		min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		v = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return len;
}

/* C0, DEL and C1: nothing a terminal, a CSV file or a log line should receive. */
static int is_control(unsigned int cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

/* Copies at most n bytes of src (less at a NUL) into dst, a buffer of dstlen bytes,
 * as valid UTF-8 without control characters: an invalid byte or a control character
 * becomes '?'. A character that does not fit is dropped with all that follows, so
 * the copy is cut at a character boundary. Returns how many bytes of src it used. */
static size_t wf_copy(char *dst, size_t dstlen, const char *src, size_t n, unsigned int flags)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	if (!dstlen)
		return 0;
	while (s && i < n && s[i]) {
		unsigned int cp = 0;
		size_t k = utf8_char(s + i, n - i, &cp);

		if (!k || is_control(cp)) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = '?';
			i += k ? k : 1;
			continue;
		}
		if (o + k >= dstlen)
			break;
		if (k == 1 && s[i] == ',' && (flags & WF_NO_COMMA))
			dst[o] = ';';
		else if (k == 1 && s[i] >= 'A' && s[i] <= 'Z' && (flags & WF_LOWER))
			dst[o] = (char)(s[i] - 'A' + 'a');
		else
			memcpy(dst + o, s + i, k);
		o += k;
		i += k;
	}
	dst[o] = '\0';
	return i;
}

static size_t wf_strlen(const char *s)
{
	return s ? strlen(s) : 0;
}

/* ---- labels ---- */

static int label_find(const struct sexec_labels *ls, const char *key, size_t n)
{
	int i;

	for (i = 0; i < ls->n; i++)
		if (strlen(ls->l[i].key) == n && !memcmp(ls->l[i].key, key, n))
			return i;
	return -1;
}

static const char *label_check_key(const char *k, size_t n)
{
	size_t i;

	if (!n)
		return "empty key";
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];

		if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
			return "key may only hold letters, digits, '_', '.', '-'";
	}
	if (!is_alnum((unsigned char)k[0]))
		return "key must start with a letter or digit";
	if (n >= SEXEC_LABEL_KEY_MAX)
		return "key longer than 63 bytes";
	return NULL;
}

static const char *label_check_value(const char *v, size_t n)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t i = 0;

	if (n >= SEXEC_LABEL_VALUE_MAX)
		return "value longer than 255 bytes";
	while (i < n) {
		unsigned int cp = 0;
		size_t k = s[i] ? utf8_char(s + i, n - i, &cp) : 1;

		if (!k)
			return "value is not valid UTF-8";
		if (is_control(cp))
			return "value holds a control character";
		if (cp == ',')
			return "value may not hold ','";
		i += k;
	}
	return NULL;
}

/* "label 'item': why", the item quoted short and printable whatever it holds. */
static void label_err(char *err, size_t errlen, const char *item, size_t n, const char *why)
{
	char q[LABEL_QUOTE_MAX + 1];
	size_t used = wf_copy(q, sizeof(q), item, n, 0);

	wf_err(err, errlen, "label '%s%s': %s", q, used < n ? "..." : "", why);
}

/* Validates key/value and stores them in ls. Returns 1 when a label was added or
 * replaced, 0 when an existing one was kept, or -EINVAL/-E2BIG (why in err). */
static int label_put(struct sexec_labels *ls, const char *key, size_t klen, const char *val,
		     size_t vlen, int overwrite, const char *item, size_t ilen, char *err,
		     size_t errlen)
{
	const char *why = label_check_key(key, klen);
	int i;

	if (!why)
		why = label_check_value(val, vlen);
	if (why) {
		label_err(err, errlen, item, ilen, why);
		return -EINVAL;
	}
	i = label_find(ls, key, klen);
	if (i >= 0 && !overwrite)
		return 0;
	if (i < 0) {
		if (ls->n >= SEXEC_LABELS_MAX) {
			wf_err(err, errlen, "more than %d labels", SEXEC_LABELS_MAX);
			return -E2BIG;
		}
		i = ls->n++;
		memcpy(ls->l[i].key, key, klen);
		ls->l[i].key[klen] = '\0';
	}
	memcpy(ls->l[i].value, val, vlen);
	ls->l[i].value[vlen] = '\0';
	return 1;
}

static int labels_ok(const struct sexec_labels *ls, char *err, size_t errlen)
{
	if (!ls || ls->n < 0 || ls->n > SEXEC_LABELS_MAX) {
		wf_err(err, errlen, "label set not initialised");
		return 0;
	}
	return 1;
}

int labels_parse(struct sexec_labels *ls, const char *s, int overwrite, char *err, size_t errlen)
{
	struct sexec_labels tmp;
	int merged = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!labels_ok(ls, err, errlen))
		return -EINVAL;
	if (!s || !*s)
		return 0;
	tmp = *ls;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);

		if (n) {
			const char *eq = memchr(s, '=', n);
			size_t klen = eq ? (size_t)(eq - s) : n;
			int rc;

			if (!eq) {
				label_err(err, errlen, s, n, "missing '=' (labels are key=value)");
				return -EINVAL;
			}
			rc = label_put(&tmp, s, klen, eq + 1, n - klen - 1, overwrite, s, n, err,
				       errlen);
			if (rc < 0)
				return rc;
			merged += rc;
		}
		if (!end)
			break;
		s = end + 1;
	}
	*ls = tmp;
	return merged;
}

int labels_set(struct sexec_labels *ls, const char *key, const char *value, char *err,
	       size_t errlen)
{
	char item[SEXEC_LABEL_KEY_MAX + LABEL_QUOTE_MAX + 2];
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (!labels_ok(ls, err, errlen))
		return -EINVAL;
	if (!key)
		key = "";
	if (!value)
		value = "";
	/* Only for messages: the item as labels_parse() would have seen it. */
	snprintf(item, sizeof(item), "%.*s=%.*s", SEXEC_LABEL_KEY_MAX, key, LABEL_QUOTE_MAX,
		 value);
	rc = label_put(ls, key, strlen(key), value, strlen(value), 1, item, strlen(item), err,
		       errlen);
	return rc < 0 ? rc : 0;
}

const char *labels_get(const struct sexec_labels *ls, const char *key)
{
	int i;

	if (!ls || !key || ls->n < 0 || ls->n > SEXEC_LABELS_MAX)
		return NULL;
	i = label_find(ls, key, strlen(key));
	return i < 0 ? NULL : ls->l[i].value;
}

int labels_format(const struct sexec_labels *ls, char *buf, size_t len)
{
	const struct sexec_label *v[SEXEC_LABELS_MAX];
	size_t off = 0;
	int i, j, n;

	if (!buf || !len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!ls)
		return 0;
	if (ls->n < 0 || ls->n > SEXEC_LABELS_MAX)
		return -EINVAL;
	n = ls->n;
	/* At most 32 labels: insertion sort. */
	for (i = 0; i < n; i++) {
		const struct sexec_label *x = &ls->l[i];

		for (j = i; j > 0 && strcmp(v[j - 1]->key, x->key) > 0; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	for (i = 0; i < n; i++) {
		int w = snprintf(buf + off, len - off, "%s%s=%s", i ? "," : "", v[i]->key,
				 v[i]->value);

		if (w < 0 || (size_t)w >= len - off) {
			buf[0] = '\0';
			return -ENOSPC;
		}
		off += (size_t)w;
	}
	return (int)off;
}

/* ---- detection ---- */

/* Sets a label from detected text, made a valid label value first. */
static void wf_label(struct sexec_wf *out, const char *key, const char *src, size_t n)
{
	char v[SEXEC_LABEL_VALUE_MAX];

	wf_copy(v, sizeof(v), src, n, WF_NO_COMMA);
	labels_set(&out->labels, key, v, NULL, 0);
}

static void wf_set(char *dst, size_t dstlen, const char *src, size_t n)
{
	wf_copy(dst, dstlen, src, n, 0);
}

/* Steps back over the path component that ends at *end and the slashes before it.
 * Returns the component's start; *end becomes the end of what precedes it. */
static size_t path_prev(const char *p, size_t *end)
{
	size_t b = *end, e;

	while (b > 0 && p[b - 1] != '/')
		b--;
	e = b;
	while (e > 0 && p[e - 1] == '/')
		e--;
	*end = e;
	return b;
}

/* Nextflow runs a task with the task's work directory, <launch>/work/ab/cdef..., as
 * the job's: the hash names the task, the launch directory the run. A work dir moved
 * elsewhere (-w) still gives the hash. */
static void wf_nextflow_dir(const char *wd, struct sexec_wf *out)
{
	size_t n = wf_strlen(wd), e, b2, e1, b1, e0, b0;
	char hash[SEXEC_LABEL_VALUE_MAX];

	if (!n || wd[0] != '/')
		return;
	while (n > 1 && wd[n - 1] == '/')
		n--;
	e = n;
	b2 = path_prev(wd, &e);
	e1 = e;
	b1 = path_prev(wd, &e);
	if (n - b2 < 6 || n - b2 + 3 >= sizeof(hash) || !all_hex(wd + b2, n - b2) ||
	    e1 - b1 != 2 || !all_hex(wd + b1, 2))
		return;
	snprintf(hash, sizeof(hash), "%.2s/%.*s", wd + b1, (int)(n - b2), wd + b2);
	wf_label(out, "task_hash", hash, strlen(hash));
	e0 = e;
	b0 = path_prev(wd, &e);
	if (e0 - b0 == 4 && !memcmp(wd + b0, "work", 4))
		wf_set(out->run, sizeof(out->run), e ? wd : "/", e ? e : 1);
}

/* nf-<process> or nf-<process>_(<tag>): Nextflow's grid executors name the job
 * "nf-" + the task name "<process> (<tag>)", each of " /:@*?=" and tab, CR, LF
 * made '_', cut at 256 characters. A process name holds no '(', so the first one
 * opens the tag; the separator before it may be '_' or (unsanitised) ' ', and the
 * closing ')' is missing when the name was cut. */
static int wf_nextflow(const struct sexec_wf_in *in, struct sexec_wf *out)
{
	const char *proc, *open, *name;
	size_t plen, nlen;

	if (!in->job_name || strncmp(in->job_name, "nf-", 3))
		return 0;
	proc = in->job_name + 3;
	open = strchr(proc, '(');
	plen = open ? (size_t)(open - proc) : strlen(proc);
	if (open && plen && (proc[plen - 1] == '_' || proc[plen - 1] == ' '))
		plen--;
	if (!plen)
		return 0;
	snprintf(out->engine, sizeof(out->engine), "nextflow");
	wf_set(out->task, sizeof(out->task), proc, plen);
	if (open) {
		const char *tag = open + 1;
		size_t tlen = strlen(tag);

		if (tlen && tag[tlen - 1] == ')')
			tlen--;
		if (tlen)
			wf_label(out, "tag", tag, tlen);
	}
	/* nf-core pipelines wrap everything in a workflow NFCORE_<NAME>. */
	if (plen > 7 && !strncmp(proc, "NFCORE_", 7)) {
		name = proc + 7;
		for (nlen = 0; 7 + nlen < plen && is_alnum((unsigned char)name[nlen]); nlen++)
			;
		if (nlen && 7 + nlen + 1 < plen && (name[nlen] == '_' || name[nlen] == ':')) {
			char pipe[SEXEC_WF_STR_MAX];

			snprintf(pipe, sizeof(pipe), "nf-core/%.*s", (int)nlen, name);
			wf_copy(out->pipeline, sizeof(out->pipeline), pipe, strlen(pipe),
				WF_LOWER);
		}
	}
	wf_nextflow_dir(in->work_dir, out);
	return 1;
}

static int is_uuid(const char *s, size_t n)
{
	size_t i;

	if (n != 36)
		return 0;
	for (i = 0; i < n; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!is_hex((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* snakemake-executor-plugin-slurm: job name = the run's UUID, comment =
 * rule_<rule> or rule_<rule>_wildcards_<values joined by '_'>. A rule name is a
 * Python identifier, so the first "_wildcards_" ends it; the values may hold
 * anything, "_wildcards_" included. */
static int wf_snakemake(const struct sexec_wf_in *in, struct sexec_wf *out)
{
	const char *c = in->comment, *rule = NULL, *w = NULL;
	size_t rlen = 0, i;
	int uuid = is_uuid(in->job_name, wf_strlen(in->job_name));

	if (c && !strncmp(c, "rule_", 5)) {
		rule = c + 5;
		w = strstr(rule, "_wildcards_");
		rlen = w ? (size_t)(w - rule) : strlen(rule);
		for (i = 0; i < rlen; i++)
			if (!is_alnum((unsigned char)rule[i]) && rule[i] != '_')
				break;
		if (!rlen || i < rlen)
			rule = NULL;
	}
	if (!uuid && !rule)
		return 0;
	snprintf(out->engine, sizeof(out->engine), "snakemake");
	if (uuid)
		wf_copy(out->run, sizeof(out->run), in->job_name, 36, WF_LOWER);
	if (rule) {
		wf_set(out->task, sizeof(out->task), rule, rlen);
		if (w && w[11])
			wf_label(out, "wildcards", w + 11, strlen(w + 11));
	}
	return 1;
}

struct path_comp {
	const char *p;
	size_t n;
};

static int path_next(const char **cur, struct path_comp *c)
{
	const char *s = *cur;

	while (*s == '/')
		s++;
	if (!*s)
		return 0;
	c->p = s;
	while (*s && *s != '/')
		s++;
	c->n = (size_t)(s - c->p);
	*cur = s;
	return 1;
}

static int comp_is(const struct path_comp *c, const char *s)
{
	return c->n == strlen(s) && !memcmp(c->p, s, c->n);
}

/* <root>/cromwell-executions/<workflow>/<uuid>/call-<call>/[shard-<n>/][attempt-<n>/]
 * execution: the root workflow names pipeline and run (a subworkflow's calls nest
 * further down and so belong to their root's run); the deepest shard is the task's. */
static void wf_cromwell_dir(const char *wd, struct sexec_wf *out)
{
	struct path_comp c, wf, id, call;
	const char *cur = wd, *shard = NULL;
	size_t shard_len = 0;

	if (!wd)
		return;
	for (;;) {
		if (!path_next(&cur, &c))
			return;
		if (!comp_is(&c, "cromwell-executions"))
			continue;
		if (!path_next(&cur, &wf) || !path_next(&cur, &id) || !path_next(&cur, &call))
			return;
		if (is_uuid(id.p, id.n) && call.n > 5 && !memcmp(call.p, "call-", 5))
			break;
		/* Not a Cromwell tree after all: go on looking after this component. */
		cur = wf.p;
	}
	while (path_next(&cur, &c)) {
		size_t i;

		if (c.n <= 6 || c.n > 6 + 9 || memcmp(c.p, "shard-", 6))
			continue;
		for (i = 6; i < c.n && is_digit((unsigned char)c.p[i]); i++)
			;
		if (i == c.n) {
			shard = c.p + 6;
			shard_len = c.n - 6;
		}
	}
	wf_set(out->pipeline, sizeof(out->pipeline), wf.p, wf.n);
	wf_copy(out->run, sizeof(out->run), id.p, id.n, WF_LOWER);
	if (shard)
		wf_label(out, "shard", shard, shard_len);
}

/* Cromwell's shared-file-system backends (SLURM among them) name a job
 * cromwell_<first 8 hex digits of the workflow id>_<call name>. */
static int wf_cromwell(const struct sexec_wf_in *in, struct sexec_wf *out)
{
	const char *n = in->job_name;

	if (!n || strncmp(n, "cromwell_", 9))
		return 0;
	n += 9;
	if (strnlen(n, 9) < 9 || !all_hex(n, 8) || n[8] != '_' || !n[9])
		return 0;
	snprintf(out->engine, sizeof(out->engine), "cromwell");
	wf_copy(out->run, sizeof(out->run), n, 8, WF_LOWER);
	wf_set(out->task, sizeof(out->task), n + 9, strlen(n + 9));
	wf_cromwell_dir(in->work_dir, out);
	return 1;
}

/* Explicit labels win over detected ones of the same key; detected labels that no
 * longer fit beside 32 explicit ones are dropped. */
static int wf_explicit_labels(const char *s, struct sexec_wf *out, char *err, size_t errlen)
{
	struct sexec_labels ex = { 0 };
	const char *task;
	int rc, i;

	rc = labels_parse(&ex, s, 1, err, errlen);
	if (rc < 0)
		return -EINVAL;
	for (i = 0; i < out->labels.n && ex.n < SEXEC_LABELS_MAX; i++)
		if (!labels_get(&ex, out->labels.l[i].key))
			ex.l[ex.n++] = out->labels.l[i];
	out->labels = ex;
	task = labels_get(&out->labels, "task");
	if (task)
		wf_set(out->task, sizeof(out->task), task, strlen(task));
	return 0;
}

int workflow_wants_comment(const char *job_name)
{
	return job_name && is_uuid(job_name, wf_strlen(job_name));
}

int workflow_detect(const struct sexec_wf_in *in, struct sexec_wf *out, char *err, size_t errlen)
{
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!in)
		return 0;
	/* The job name is the stronger sign, so the engines it identifies go first. */
	if (!wf_nextflow(in, out) && !wf_cromwell(in, out))
		wf_snakemake(in, out);
	if (in->pipeline && *in->pipeline)
		wf_set(out->pipeline, sizeof(out->pipeline), in->pipeline, strlen(in->pipeline));
	if (in->run && *in->run)
		wf_set(out->run, sizeof(out->run), in->run, strlen(in->run));
	if (in->labels && *in->labels)
		rc = wf_explicit_labels(in->labels, out, err, errlen);
	return rc;
}
