// SPDX-License-Identifier: GPL-2.0-or-later
/* sexec.conf parser shared by sexecd and the CLI. Strict: an unknown key, a
 * value out of range or an over-long string is an error naming file and line. */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sexec/conf.h"

enum conf_kind { CONF_STR, CONF_U32 };

struct conf_key {
	const char *name;
	enum conf_kind kind;
	size_t off;
	size_t size;	/* CONF_STR: buffer size */
	uint32_t min, max; /* CONF_U32 */
};

#define STR_KEY(n, f) { n, CONF_STR, offsetof(struct sexec_conf, f), sizeof(((struct sexec_conf *)0)->f), 0, 0 }
#define U32_KEY(n, f, lo, hi) { n, CONF_U32, offsetof(struct sexec_conf, f), 0, lo, hi }

static const struct conf_key conf_keys[] = {
	STR_KEY("cluster", cluster),
	STR_KEY("node", node),
	STR_KEY("socket", socket_path),
	STR_KEY("db", db),
	STR_KEY("db_read", db_read),
	STR_KEY("sacct", sacct),
	STR_KEY("squeue", squeue),
	STR_KEY("state_dir", state_dir),
	STR_KEY("bpf_dir", bpf_dir),
	STR_KEY("spool_dir", spool_dir),
	STR_KEY("bpf_attach", bpf_attach),
	STR_KEY("tools_rules", tools_rules),
	STR_KEY("cgroup_v2_observe", v2_observe),
	U32_KEY("argv_max", argv_max, 64, 4096),
	U32_KEY("ring_buffer_kb", ring_kb, 64, 1024 * 1024),
	U32_KEY("max_tracked", max_tracked, 1024, 4 * 1024 * 1024),
	U32_KEY("flush_interval_ms", flush_ms, 10, 3600 * 1000),
	U32_KEY("batch_rows", batch_rows, 1, 1000000),
	U32_KEY("queue_max", queue_max, 1000, 100000000),
	U32_KEY("spool_max_kb", spool_max_kb, 64, 1024 * 1024 * 1024),
	U32_KEY("max_process_rows", max_process_rows, 1, 1000000000),
	U32_KEY("journal_segment_kb", journal_compact_kb, 64, 16 * 1024 * 1024),
	U32_KEY("journal_compact_kb", journal_compact_kb, 64, 16 * 1024 * 1024), /* old name */
	U32_KEY("sample_interval_s", sample_s, 0, 86400),
};

void conf_defaults(struct sexec_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket_path, sizeof(c->socket_path), "%s", SEXEC_SOCKET_DEFAULT);
	snprintf(c->sacct, sizeof(c->sacct), "sacct");
	snprintf(c->squeue, sizeof(c->squeue), "squeue");
	snprintf(c->state_dir, sizeof(c->state_dir), "/run/sexec");
	snprintf(c->bpf_dir, sizeof(c->bpf_dir), "/sys/fs/bpf/sexec");
	snprintf(c->spool_dir, sizeof(c->spool_dir), "/var/spool/sexec");
	snprintf(c->bpf_attach, sizeof(c->bpf_attach), "auto");
	c->argv_max = 4096;
	c->ring_kb = 4096;
	c->max_tracked = 65536;
	c->flush_ms = 1000;
	c->batch_rows = 5000;
	c->queue_max = 1000000;
	c->spool_max_kb = 1024 * 1024;
	c->max_process_rows = 100000;
	c->journal_compact_kb = 65536;
	c->sample_s = 10;
	snprintf(c->v2_observe, sizeof(c->v2_observe), "auto");
	if (gethostname(c->node, sizeof(c->node)) == 0) {
		char *dot;

		c->node[sizeof(c->node) - 1] = '\0';
		dot = strchr(c->node, '.');
		if (dot)
			*dot = '\0';
	}
}

/* Values with a fixed set of choices. */
static int conf_check(const struct sexec_conf *c, char *err, size_t errlen)
{
	if (strcmp(c->bpf_attach, "auto") && strcmp(c->bpf_attach, "tp_btf") &&
	    strcmp(c->bpf_attach, "raw_tp")) {
		snprintf(err, errlen, "'bpf_attach' must be auto, tp_btf or raw_tp, not '%s'",
			 c->bpf_attach);
		return -EINVAL;
	}
	if (strcmp(c->v2_observe, "auto") && strcmp(c->v2_observe, "yes") &&
	    strcmp(c->v2_observe, "no")) {
		snprintf(err, errlen, "'cgroup_v2_observe' must be auto, yes or no, not '%s'",
			 c->v2_observe);
		return -EINVAL;
	}
	return 0;
}

int conf_set(struct sexec_conf *c, const char *key, const char *value, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(conf_keys) / sizeof(conf_keys[0]); i++) {
		const struct conf_key *k = &conf_keys[i];
		char *field = (char *)c + k->off;

		if (strcmp(k->name, key) != 0)
			continue;
		if (k->kind == CONF_STR) {
			if (strlen(value) >= k->size) {
				snprintf(err, errlen, "value of '%s' is longer than %zu bytes", key,
					 k->size - 1);
				return -ENAMETOOLONG;
			}
			memcpy(field, value, strlen(value) + 1);
			return conf_check(c, err, errlen);
		} else {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(value, &end, 10);
			if (!isdigit((unsigned char)value[0]) || errno || *end || v < k->min ||
			    v > k->max) {
				snprintf(err, errlen, "'%s' must be a whole number from %u to %u, not '%s'",
					 key, k->min, k->max, value);
				return -ERANGE;
			}
			*(uint32_t *)(void *)field = (uint32_t)v;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key '%s'", key);
	return -ENOENT;
}



static char *conf_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int conf_load(struct sexec_conf *c, const char *path, int must_exist, char *err, size_t errlen)
{
	char line[2048], why[256];
	unsigned int lineno = 0;
	int quoted;
	FILE *f;
	int rc = 0;

	conf_defaults(c);
	if (!path)
		path = SEXEC_CONF_DEFAULT;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT && !must_exist)
			return 0;
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while (fgets(line, sizeof(line), f)) {
		char *key, *value, *eq, *hash;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -E2BIG;
			goto out;
		}
		/* A comment starts at a '#' outside double quotes. */
		for (hash = line, quoted = 0; *hash; hash++) {
			if (*hash == '"')
				quoted = !quoted;
			else if (*hash == '#' && !quoted)
				break;
		}
		*hash = '\0';
		key = conf_trim(line);
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			rc = -EINVAL;
			goto out;
		}
		*eq = '\0';
		value = conf_trim(eq + 1);
		key = conf_trim(key);
		/* Values may be quoted so they can keep leading or trailing spaces. */
		if (value[0] == '"' && strlen(value) >= 2 && value[strlen(value) - 1] == '"') {
			value[strlen(value) - 1] = '\0';
			value++;
		}
		rc = conf_set(c, key, value, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto out;
		}
	}
out:
	fclose(f);
	return rc;
}
