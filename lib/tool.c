// SPDX-License-Identifier: GPL-2.0-or-later
/* Tool naming: the rules language of docs/tools.md (parser and built-in copy
 * of contrib/tools.rules) and the resolver that turns exe + argv into a name. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sexec/tool.h"

/* Wrappers and interpreters nested deeper than this are named as they stand:
 * it bounds the work a hostile argv (env env env ...) can cause. */
#define TOOL_MAX_DEPTH 8
#define TOOL_RULES_MAX (1024 * 1024)
#define TOOL_MAX_WORDS 4096
#define TOOL_MAX_OPERANDS 16
#define TOOL_NAME_MAX 256

enum tool_kind { TOOL_SUBCOMMAND, TOOL_INTERPRETER, TOOL_WRAPPER, TOOL_MULTICALL };

static const char *const tool_kind_names[] = { "subcommand", "interpreter", "wrapper",
					       "multicall" };

struct tool_list {
	char **v;
	size_t n;
};

/* What one subcommand/interpreter/wrapper/multicall line says. */
struct tool_class {
	enum tool_kind kind;
	struct tool_list value;		/* options taking a separate value */
	struct tool_list inl;		/* options giving inline code */
	struct tool_list module;	/* options naming a module to run */
	struct tool_list script;	/* options naming the script to run */
	struct tool_list strip;		/* suffixes cut from script names */
	struct tool_list verb;		/* wrapper verbs that run a command */
	unsigned int operands;		/* wrapper operands before the command */
	int clusters;			/* -euo pipefail: short options combine */
	int assign;			/* NAME=VALUE operands before the command */
	int no_operand;			/* the first operand is not a script */
};

struct tool_pat {
	char *pat;
	size_t len;		/* of pat, without a trailing '*' */
	int prefix;		/* pat ended in '*' */
	unsigned int line;
	size_t cls;		/* class patterns: index into tool_rules.cls */
	char *to;		/* aliases: the new name */
};

struct tool_pats {
	struct tool_pat *v;
	size_t n, cap;
};

struct tool_rules {
	struct tool_pats names;		/* class patterns */
	struct tool_pats aliases;
	struct tool_class *cls;
	size_t ncls, ccap;
	struct tool_list tmpdirs;
};

/* ---- rules: storage ---------------------------------------------------- */

static void tool_list_free(struct tool_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int tool_list_add(struct tool_list *l, const char *s, size_t n)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n] = strndup(s, n);
	if (!v[l->n])
		return -ENOMEM;
	l->n++;
	return 0;
}

static int tool_list_has(const struct tool_list *l, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strncmp(l->v[i], s, n) == 0 && l->v[i][n] == '\0')
			return 1;
	return 0;
}

static void tool_class_free(struct tool_class *c)
{
	tool_list_free(&c->value);
	tool_list_free(&c->inl);
	tool_list_free(&c->module);
	tool_list_free(&c->script);
	tool_list_free(&c->strip);
	tool_list_free(&c->verb);
}

static void tool_pats_free(struct tool_pats *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++) {
		free(ps->v[i].pat);
		free(ps->v[i].to);
	}
	free(ps->v);
}

void tool_rules_free(struct tool_rules *r)
{
	size_t i;

	if (!r)
		return;
	tool_pats_free(&r->names);
	tool_pats_free(&r->aliases);
	for (i = 0; i < r->ncls; i++)
		tool_class_free(&r->cls[i]);
	free(r->cls);
	tool_list_free(&r->tmpdirs);
	free(r);
}

/* The rule for name: an exact pattern, else the longest matching prefix. */
static const struct tool_pat *tool_pats_find(const struct tool_pats *ps, const char *name)
{
	const struct tool_pat *best = NULL;
	size_t n = strlen(name), i;

	for (i = 0; i < ps->n; i++) {
		const struct tool_pat *p = &ps->v[i];

		if (p->len > n || memcmp(p->pat, name, p->len) != 0)
			continue;
		if (!p->prefix) {
			if (p->len == n)
				return p;
		} else if (!best || p->len > best->len) {
			best = p;
		}
	}
	return best;
}

/* ---- rules: parser ----------------------------------------------------- */

struct tool_parse {
	struct tool_rules *r;
	const char *file;
	unsigned int line;
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int tool_perr(struct tool_parse *p, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->file, p->line, why);
	return -EINVAL;
}

/* A NAME is a base name, so it can hold neither '/' nor '='; '*' may only end it. */
static int tool_check_pattern(struct tool_parse *p, const char *w)
{
	const char *star = strchr(w, '*');

	if (!*w || strchr(w, '/') || strchr(w, '='))
		return tool_perr(p, "'%s' is not a program name", w);
	if (star && (star[1] || star == w))
		return tool_perr(p, "'%s': '*' may only end a name, after at least one character",
				 w);
	return 0;
}

static int tool_pats_add(struct tool_parse *p, struct tool_pats *ps, const char *w, size_t cls,
			 const char *to)
{
	struct tool_pat *t;
	size_t i, len = strlen(w);
	int prefix = len && w[len - 1] == '*';

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->v[i].pat, w) == 0)
			return tool_perr(p, "'%s' already has a rule (line %u)", w, ps->v[i].line);
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 64;

		t = realloc(ps->v, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		ps->v = t;
		ps->cap = cap;
	}
	t = &ps->v[ps->n];
	memset(t, 0, sizeof(*t));
	t->pat = strdup(w);
	t->to = to ? strdup(to) : NULL;
	if (!t->pat || (to && !t->to)) {
		free(t->pat);
		free(t->to);
		return -ENOMEM;
	}
	t->len = len - (size_t)prefix;
	t->prefix = prefix;
	t->line = p->line;
	t->cls = cls;
	ps->n++;
	return 0;
}

static int tool_parse_alias(struct tool_parse *p, char **w, size_t n)
{
	size_t i;
	int rc;

	if (n == 0)
		return tool_perr(p, "'alias' needs at least one FROM=TO");
	for (i = 0; i < n; i++) {
		char *eq = strchr(w[i], '=');

		if (!eq || !eq[1])
			return tool_perr(p, "'%s' is not FROM=TO", w[i]);
		*eq = '\0';
		rc = tool_check_pattern(p, w[i]);
		if (rc)
			return rc;
		if (strchr(eq + 1, '=') || strchr(eq + 1, '*') || strchr(eq + 1, '/'))
			return tool_perr(p, "alias target '%s' may not hold '=', '*' or '/'",
					 eq + 1);
		rc = tool_pats_add(p, &p->r->aliases, w[i], 0, eq + 1);
		if (rc)
			return rc;
	}
	return 0;
}

static int tool_parse_tmpscript(struct tool_parse *p, char **w, size_t n)
{
	size_t i, len;
	int rc;

	if (n == 0)
		return tool_perr(p, "'tmpscript' needs at least one directory");
	for (i = 0; i < n; i++) {
		len = strlen(w[i]);
		while (len > 1 && w[i][len - 1] == '/')
			len--;
		if (strchr(w[i], '=') || strchr(w[i], '*') || (len == 1 && w[i][0] == '/'))
			return tool_perr(p, "'%s' is not a directory", w[i]);
		rc = tool_list_add(&p->r->tmpdirs, w[i], len);
		if (rc)
			return rc;
	}
	return 0;
}

enum tool_attr_type { TA_OPTS, TA_WORDS, TA_BOOL, TA_COUNT, TA_OPERAND };

struct tool_attr {
	const char *key;
	unsigned int kinds;	/* bit per enum tool_kind */
	enum tool_attr_type type;
	size_t off;
};

#define K(k) (1u << (k))
#define TOOL_ATTR(key, kinds, type, field) { key, kinds, type, offsetof(struct tool_class, field) }

static const struct tool_attr tool_attrs[] = {
	TOOL_ATTR("value", K(TOOL_SUBCOMMAND) | K(TOOL_INTERPRETER) | K(TOOL_WRAPPER), TA_OPTS,
		  value),
	TOOL_ATTR("clusters", K(TOOL_SUBCOMMAND) | K(TOOL_INTERPRETER) | K(TOOL_WRAPPER), TA_BOOL,
		  clusters),
	TOOL_ATTR("inline", K(TOOL_INTERPRETER), TA_OPTS, inl),
	TOOL_ATTR("module", K(TOOL_INTERPRETER), TA_OPTS, module),
	TOOL_ATTR("script", K(TOOL_INTERPRETER), TA_OPTS, script),
	TOOL_ATTR("strip", K(TOOL_INTERPRETER), TA_WORDS, strip),
	TOOL_ATTR("operand", K(TOOL_INTERPRETER), TA_OPERAND, no_operand),
	TOOL_ATTR("verb", K(TOOL_WRAPPER), TA_WORDS, verb),
	TOOL_ATTR("operands", K(TOOL_WRAPPER), TA_COUNT, operands),
	TOOL_ATTR("assign", K(TOOL_WRAPPER), TA_BOOL, assign),
};

static int tool_parse_attr(struct tool_parse *p, struct tool_class *c, char *w, unsigned int *seen)
{
	char *eq = strchr(w, '='), *v, *comma;
	const struct tool_attr *a = NULL;
	void *field;
	size_t i;
	int rc;

	*eq = '\0';
	v = eq + 1;
	for (i = 0; i < sizeof(tool_attrs) / sizeof(tool_attrs[0]); i++)
		if (strcmp(tool_attrs[i].key, w) == 0)
			a = &tool_attrs[i];
	if (!a || !(a->kinds & K(c->kind)))
		return tool_perr(p, "'%s' has no attribute '%s'", tool_kind_names[c->kind], w);
	if (*seen & (1u << (a - tool_attrs)))
		return tool_perr(p, "attribute '%s' given twice", w);
	*seen |= 1u << (a - tool_attrs);
	field = (char *)c + a->off;
	switch (a->type) {
	case TA_BOOL:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			return tool_perr(p, "'%s' must be yes or no, not '%s'", w, v);
		*(int *)field = strcmp(v, "yes") == 0;
		return 0;
	case TA_OPERAND:
		if (strcmp(v, "script") && strcmp(v, "none"))
			return tool_perr(p, "'%s' must be script or none, not '%s'", w, v);
		*(int *)field = strcmp(v, "none") == 0;
		return 0;
	case TA_COUNT:
		if (!isdigit((unsigned char)v[0]) || v[1] || (unsigned int)(v[0] - '0') > 9)
			return tool_perr(p, "'%s' must be a number from 0 to 9, not '%s'", w, v);
		*(unsigned int *)field = (unsigned int)(v[0] - '0');
		return 0;
	case TA_OPTS:
	case TA_WORDS:
		break;
	}
	for (;;) {
		size_t n;

		comma = strchr(v, ',');
		n = comma ? (size_t)(comma - v) : strlen(v);
		if (n == 0)
			return tool_perr(p, "empty item in '%s'", w);
		if (a->type == TA_OPTS && (n < 2 || (v[0] != '-' && v[0] != '+')))
			return tool_perr(p, "'%.*s' in '%s' is not an option (-x, --long, +o)",
					 (int)n, v, w);
		if (a->type == TA_WORDS && v[0] == '-')
			return tool_perr(p, "'%.*s' in '%s' may not start with '-'", (int)n, v, w);
		rc = tool_list_add(field, v, n);
		if (rc)
			return rc;
		if (!comma)
			return 0;
		v = comma + 1;
	}
}

static int tool_parse_class(struct tool_parse *p, enum tool_kind kind, char **w, size_t n)
{
	struct tool_rules *r = p->r;
	struct tool_class *c;
	unsigned int seen = 0;
	size_t i, names = 0;
	int rc;

	if (r->ncls == r->ccap) {
		size_t cap = r->ccap ? r->ccap * 2 : 32;

		c = realloc(r->cls, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		r->cls = c;
		r->ccap = cap;
	}
	c = &r->cls[r->ncls++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	for (i = 0; i < n; i++) {
		if (strchr(w[i], '=')) {
			rc = tool_parse_attr(p, c, w[i], &seen);
		} else {
			rc = tool_check_pattern(p, w[i]);
			if (!rc)
				rc = tool_pats_add(p, &r->names, w[i], r->ncls - 1, NULL);
			names++;
		}
		if (rc)
			return rc;
	}
	if (!names)
		return tool_perr(p, "'%s' needs at least one program name", tool_kind_names[kind]);
	return 0;
}

static int tool_parse_line(struct tool_parse *p, char *s)
{
	char *w[TOOL_MAX_WORDS];
	size_t n = 0, k;

	for (;;) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		if (n == TOOL_MAX_WORDS)
			return tool_perr(p, "more than %d words", TOOL_MAX_WORDS);
		w[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	if (n == 0)
		return 0;
	if (strcmp(w[0], "alias") == 0)
		return tool_parse_alias(p, w + 1, n - 1);
	if (strcmp(w[0], "tmpscript") == 0)
		return tool_parse_tmpscript(p, w + 1, n - 1);
	for (k = 0; k < sizeof(tool_kind_names) / sizeof(tool_kind_names[0]); k++)
		if (strcmp(w[0], tool_kind_names[k]) == 0)
			return tool_parse_class(p, (enum tool_kind)k, w + 1, n - 1);
	return tool_perr(p, "unknown directive '%s'", w[0]);
}

int tool_rules_parse(struct tool_rules **out, const char *text, const char *name, char *err,
		     size_t errlen)
{
	struct tool_parse p = { .file = name ? name : "<rules>", .err = err, .errlen = errlen };
	unsigned int next;
	char *buf, *s;
	int rc = 0;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	p.r = calloc(1, sizeof(*p.r));
	buf = strdup(text);
	if (!p.r || !buf) {
		free(p.r);
		free(buf);
		snprintf(err, errlen, "%s: %s", p.file, strerror(ENOMEM));
		return -ENOMEM;
	}
	/* Cut the text into logical lines in place: comments blanked, and a line
	 * ending in '\' joined to the next (long option lists read better folded). */
	s = buf;
	p.line = 1;
	while (*s && !rc) {
		unsigned int start = p.line;
		char *ls = s;

		for (;;) {
			char *nl = strchr(s, '\n');
			char *end = nl ? nl : s + strlen(s);
			char *hash = memchr(s, '#', (size_t)(end - s));
			char *e = hash ? hash : end;

			if (hash)
				memset(hash, ' ', (size_t)(end - hash));
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e > s && e[-1] == '\\') {
				if (!nl || !nl[1]) {
					rc = tool_perr(&p, "'\\' continues past the end");
					break;
				}
				e[-1] = ' ';
				*nl = ' ';
				s = nl + 1;
				p.line++;
				continue;
			}
			if (nl) {
				*nl = '\0';
				s = nl + 1;
			} else {
				s = end;
			}
			break;
		}
		if (rc)
			break;
		next = p.line + 1;
		p.line = start; /* a folded rule's errors point at its first line */
		rc = tool_parse_line(&p, ls);
		p.line = next;
	}
	free(buf);
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "%s: %s", p.file, strerror(ENOMEM));
		tool_rules_free(p.r);
		return rc;
	}
	*out = p.r;
	return 0;
}

int tool_rules_load(struct tool_rules **out, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(TOOL_RULES_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	n = fread(buf, 1, TOOL_RULES_MAX + 1, f);
	if (ferror(f)) {
		rc = -EIO;
		snprintf(err, errlen, "%s: read error", path);
	} else if (n > TOOL_RULES_MAX) {
		rc = -EFBIG;
		snprintf(err, errlen, "%s: larger than %d bytes", path, TOOL_RULES_MAX);
	} else if (memchr(buf, '\0', n)) {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: holds a NUL byte; not a rules file", path);
	} else {
		buf[n] = '\0';
		rc = tool_rules_parse(out, buf, path, err, errlen);
	}
	free(buf);
	fclose(f);
	return rc;
}

/* ---- built-in rules ---------------------------------------------------- */

/* Byte for byte contrib/tools.rules (test_tool checks), so the shipped file
 * and a sexecd without one name processes alike. */
static const char tool_default_rules[] =
	"# /etc/sexec/tools.rules: how sexecd names each process (\"samtools sort\",\n"
	"# \"picard MarkDuplicates\", \"run_qc.py\") from its executable and arguments.\n"
	"# The format is described in docs/tools.md. This file is the complete rule\n"
	"# set: sexecd built in a copy of it, and a file named by `tools_rules` in\n"
	"# sexec.conf replaces that copy, so add site rules here rather than in a\n"
	"# separate file.\n"
	"#\n"
	"# A NAME is matched against a program's base name (the exe, a script, a jar\n"
	"# without .jar, a Java main class or a Python module); a trailing * matches\n"
	"# any name starting with what precedes it. An exact name beats a *, and a\n"
	"# longer * beats a shorter one.\n"
	"\n"
	"## alias FROM=TO: call FROM by the name TO, then apply TO's rule.\n"
	"alias python2.*=python2 python3.*=python3 perl5*=perl ruby3.*=ruby\n"
	"alias bwa-mem2.*=bwa-mem2\n"
	"alias bowtie2-align-*=bowtie2 bowtie2-build-*=bowtie2-build\n"
	"alias hisat2-align-*=hisat2 hisat2-build-*=hisat2-build\n"
	"alias gatk-launch=gatk gatk-package-*=gatk org.broadinstitute.hellbender.Main=gatk\n"
	"alias picard-*=picard picard.cmdline.PicardCommandLine=picard\n"
	"alias trimmomatic-*=trimmomatic org.usadellab.trimmomatic.Trimmomatic=trimmomatic\n"
	"alias uk.ac.babraham.FastQC.FastQCApplication=fastqc\n"
	"alias nextflow.cli.Launcher=nextflow\n"
	"alias fgbio-*=fgbio VarScan*=varscan snpEff*=snpEff\n"
	"alias HTSeq.scripts.count=htseq-count\n"
	"# Nextflow runs every task as `bash .command.run`, which runs the task's own\n"
	"# script as `bash -ue .command.sh`.\n"
	"alias .command.sh=nextflow-task .command.run=nextflow-task\n"
	"\n"
	"## subcommand NAME... [value=OPTS]: named \"NAME <first operand>\".\n"
	"subcommand samtools bcftools bedtools bwa bwa-mem2 salmon kallisto seqkit \\\n"
	"\tseqtk sambamba bamtools picard fgbio umi_tools macs2 macs3 jellyfish \\\n"
	"\tdiamond mmseqs vg pbmm2 dorado medaka trimmomatic varscan qualimap \\\n"
	"\tcellranger spaceranger checkm checkm2 gtdbtk cnvkit.py nf-core pip pip3 \\\n"
	"\tperf\n"
	"subcommand gatk value=--java-options,--conf,--spark-runner,--spark-master\n"
	"subcommand nextflow value=-log,-c,-config,-C,-trace,-syslog\n"
	"subcommand git value=-C,-c,--git-dir,--work-tree,--namespace\n"
	"subcommand docker podman value=-H,--host,--config,--context,-c,-l,--log-level\n"
	"subcommand aws value=--profile,--region,--endpoint-url,--output,--query\n"
	"\n"
	"## interpreter NAME... [attributes]: named by the script or module it runs.\n"
	"interpreter python python2 python3 pypy pypy3 clusters=yes inline=-c \\\n"
	"\tmodule=-m value=-W,-X,-Q,--check-hash-based-pycs\n"
	"interpreter perl clusters=yes inline=-e,-E value=-I,-M,-m\n"
	"interpreter bash sh dash zsh ksh mksh clusters=yes inline=-c \\\n"
	"\tvalue=-o,+o,-O,+O,--rcfile,--init-file\n"
	"interpreter Rscript inline=-e\n"
	"# Rscript execs `R --no-echo --no-restore --file=x.R --args ...`; R itself\n"
	"# never takes a script as an operand.\n"
	"interpreter R operand=none script=-f,--file inline=-e value=-g,--gui,-d,--debugger\n"
	"interpreter ruby clusters=yes inline=-e value=-I,-r,-C,-E\n"
	"interpreter node nodejs inline=-e,--eval,-p,--print value=-r,--require\n"
	"interpreter julia inline=-e,-E,--eval,--print \\\n"
	"\tvalue=-t,--threads,-p,--procs,-L,--load,-J,--sysimage,-C,--cpu-target\n"
	"interpreter java script=-jar strip=.jar \\\n"
	"\tvalue=-cp,-classpath,--class-path,-p,--module-path,--upgrade-module-path,--add-modules,--add-opens,--add-exports,--add-reads,--patch-module,--limit-modules,--enable-native-access\n"
	"\n"
	"## wrapper NAME... [attributes]: named by the command it runs.\n"
	"wrapper env clusters=yes assign=yes value=-u,--unset,-C,--chdir,-S,--split-string\n"
	"wrapper nice value=-n,--adjustment\n"
	"wrapper nohup setsid\n"
	"wrapper ionice value=-c,--class,-n,--classdata,-p,--pid,-P,--pgid,-u,--uid\n"
	"wrapper taskset operands=1\n"
	"wrapper chrt operands=1 value=-T,--sched-runtime,-P,--sched-period,-D,--sched-deadline\n"
	"wrapper numactl value=-N,--cpunodebind,-m,--membind,-C,--physcpubind,-i,--interleave,-p,--preferred,--preferred-many\n"
	"wrapper stdbuf value=-i,--input,-o,--output,-e,--error\n"
	"wrapper timeout operands=1 value=-s,--signal,-k,--kill-after\n"
	"wrapper time value=-f,--format,-o,--output\n"
	"wrapper apptainer singularity verb=exec operands=1 clusters=yes \\\n"
	"\tvalue=-B,--bind,--mount,-H,--home,-W,--workdir,--pwd,--cwd,-o,--overlay,-S,--scratch,--env,--env-file,--app,--security,--network,--network-args,--dns,--hostname,--add-caps,--drop-caps,--apply-cgroups,--no-mount,--fusemount,--cpus,--cpu-shares,--cpuset-cpus,--cpuset-mems,--memory,--memory-reservation,--memory-swap,--pids-limit,--blkio-weight,--blkio-weight-device,--device,--docker-host,--authfile,--pem-path\n"
	"wrapper conda mamba micromamba verb=run \\\n"
	"\tvalue=-n,--name,-p,--prefix,--cwd,-r,--root-prefix,--rc-file,-a,--attach,--label\n"
	"\n"
	"## multicall NAME...: one binary, named by the name it was started as.\n"
	"multicall busybox toybox\n"
	"\n"
	"## tmpscript DIR...: scripts run from copies named DIR/<random>.<original>.\n"
	"# Snakemake's script: and wrapper: directives.\n"
	"tmpscript .snakemake/scripts\n";

static struct tool_rules *tool_defaults;
static struct tool_rules tool_no_rules;
static pthread_once_t tool_defaults_once = PTHREAD_ONCE_INIT;

static void tool_defaults_init(void)
{
	char err[256];

	/* Cannot fail but for ENOMEM (test_tool parses the same text); then every
	 * process is named by its basename rather than not at all. */
	if (tool_rules_parse(&tool_defaults, tool_default_rules, "<built-in tools.rules>", err,
			     sizeof(err)))
		tool_defaults = NULL;
}

const struct tool_rules *tool_rules_default(void)
{
	pthread_once(&tool_defaults_once, tool_defaults_init);
	return tool_defaults ? tool_defaults : &tool_no_rules;
}

const char *tool_rules_default_text(void)
{
	return tool_default_rules;
}

/* ---- resolver ---------------------------------------------------------- */

/* Walks packed argv; a copy is a saved position. */
struct tool_args {
	const char *p;
	size_t len, off;
};

static const char *tool_next(struct tool_args *a)
{
	const char *s;
	size_t n;

	if (a->off >= a->len)
		return NULL;
	s = a->p + a->off;
	n = strnlen(s, a->len - a->off);
	if (n == a->len - a->off) {
		/* Cut by argv_max: a partial script or subcommand name would be
		 * wrong, so the name stops at the last whole argument. */
		a->off = a->len;
		return NULL;
	}
	a->off += n + 1;
	return s;
}

static const char *tool_base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

struct tool_out {
	const struct tool_rules *r;
	char *buf;
	size_t len;
};

/* Names end up in one-line reports: control characters become '?'. */
static void tool_emit(struct tool_out *o, const char *name, const char *sub)
{
	unsigned char *s;

	if (sub)
		snprintf(o->buf, o->len, "%s %s", name, sub);
	else
		snprintf(o->buf, o->len, "%s", name);
	for (s = (unsigned char *)o->buf; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			*s = '?';
}

enum tool_opt { OPT_FLAG, OPT_VALUE, OPT_INLINE, OPT_MODULE, OPT_SCRIPT };

static enum tool_opt tool_opt_lookup(const struct tool_class *c, const char *s, size_t n)
{
	if (tool_list_has(&c->inl, s, n))
		return OPT_INLINE;
	if (tool_list_has(&c->module, s, n))
		return OPT_MODULE;
	if (tool_list_has(&c->script, s, n))
		return OPT_SCRIPT;
	if (tool_list_has(&c->value, s, n))
		return OPT_VALUE;
	return OPT_FLAG;
}

static int tool_is_option(const struct tool_class *c, const char *tok)
{
	return tok[1] && (tok[0] == '-' || (tok[0] == '+' && c->clusters));
}

/* What option tok is; *val gets a value glued to it (--file=x.R, -Wignore,
 * -euo's "" is none), or NULL when the value is the next argument. */
static enum tool_opt tool_opt(const struct tool_class *c, const char *tok, const char **val)
{
	const char *eq, *s;
	enum tool_opt k;

	*val = NULL;
	k = tool_opt_lookup(c, tok, strlen(tok));
	if (k != OPT_FLAG)
		return k;
	eq = strchr(tok, '=');
	if (eq) {
		k = tool_opt_lookup(c, tok, (size_t)(eq - tok));
		if (k != OPT_FLAG) {
			*val = eq + 1;
			return k;
		}
	}
	if (!c->clusters || tok[1] == '-')
		return OPT_FLAG;
	/* getopt: letters are flags until one takes a value, which is the rest
	 * of the word or else the next argument. */
	for (s = tok + 1; isalpha((unsigned char)*s); s++) {
		char one[3] = { tok[0], *s, '\0' };

		k = tool_opt_lookup(c, one, 2);
		if (k == OPT_FLAG)
			continue;
		if (s[1])
			*val = s + 1;
		return k;
	}
	return OPT_FLAG;
}

static void tool_resolve(struct tool_out *o, const char *name, const char *argv0,
			 struct tool_args a, int depth);

/* A command word found inside argv: named by its basename. */
static void tool_resolve_cmd(struct tool_out *o, const char *cmd, struct tool_args a, int depth)
{
	char name[TOOL_NAME_MAX];

	snprintf(name, sizeof(name), "%s", tool_base(cmd));
	if (!name[0])
		snprintf(name, sizeof(name), "%s", cmd);
	tool_resolve(o, name, cmd, a, depth);
}

static int tool_is_subcommand(const char *s)
{
	return s && s[0] && s[0] != '-' && !strchr(s, '/');
}

static void tool_subcommand(struct tool_out *o, const struct tool_class *c, const char *name,
			    struct tool_args a)
{
	const char *tok, *val;

	while ((tok = tool_next(&a))) {
		if (!tool_is_option(c, tok))
			break;
		if (strcmp(tok, "--") == 0) {
			tok = tool_next(&a);
			break;
		}
		if (tool_opt(c, tok, &val) == OPT_VALUE && !val)
			tool_next(&a);
	}
	tool_emit(o, name, tool_is_subcommand(tok) ? tok : NULL);
}

/* The name of a script: its basename, less a tmpscript prefix or a strip suffix. */
static void tool_script_name(const struct tool_out *o, const struct tool_class *c,
			     const char *path, char *buf, size_t len)
{
	const char *b = tool_base(path);
	size_t i, n;

	if (b > path) {
		size_t dlen = (size_t)(b - 1 - path);

		for (i = 0; i < o->r->tmpdirs.n; i++) {
			const char *d = o->r->tmpdirs.v[i];
			size_t l = strlen(d);
			const char *dot;

			/* A relative DIR matches whole trailing components, an
			 * absolute one the whole directory. */
			if (dlen < l || memcmp(path + dlen - l, d, l) != 0 ||
			    (dlen > l && (d[0] == '/' || path[dlen - l - 1] != '/')))
				continue;
			dot = strchr(b, '.');
			if (dot && dot[1])
				b = dot + 1;
			break;
		}
	}
	snprintf(buf, len, "%s", b);
	n = strlen(buf);
	for (i = 0; i < c->strip.n; i++) {
		size_t l = strlen(c->strip.v[i]);

		if (n > l && strcmp(buf + n - l, c->strip.v[i]) == 0) {
			buf[n - l] = '\0';
			break;
		}
	}
}

static void tool_interpreter(struct tool_out *o, const struct tool_class *c, const char *name,
			     struct tool_args a, int depth)
{
	char script[TOOL_NAME_MAX];
	const char *tok, *val = NULL;
	enum tool_opt k = OPT_FLAG;
	int opts = 1;

	while ((tok = tool_next(&a))) {
		if (opts && tool_is_option(c, tok)) {
			if (strcmp(tok, "--") == 0) {
				opts = 0;
				continue;
			}
			k = tool_opt(c, tok, &val);
			if (k == OPT_FLAG)
				continue;
			if (k == OPT_INLINE)
				break;
			if (!val)
				val = tool_next(&a);
			if (k == OPT_VALUE) {
				val = NULL;
				continue;
			}
			break;
		}
		if (strcmp(tok, "-") == 0)
			break; /* program on stdin: the interpreter is the tool */
		if (c->no_operand)
			continue;
		k = OPT_SCRIPT;
		val = tok;
		break;
	}
	if (!tok || k == OPT_INLINE || !val || !val[0]) {
		tool_emit(o, name, NULL);
		return;
	}
	if (k == OPT_MODULE) {
		tool_resolve(o, val, val, a, depth + 1);
		return;
	}
	tool_script_name(o, c, val, script, sizeof(script));
	tool_resolve(o, script[0] ? script : name, val, a, depth + 1);
}

/* NAME=VALUE, as env takes it. */
static int tool_is_assignment(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

static void tool_wrapper(struct tool_out *o, const struct tool_class *c, const char *name,
			 struct tool_args a, int depth)
{
	const char *tok, *val, *verb = NULL;
	unsigned int skip = c->operands;
	int opts = 1;

	if (c->verb.n) {
		/* apptainer --debug exec ...: global options, then the verb. */
		while ((tok = tool_next(&a)) && tool_is_option(c, tok))
			if (tool_opt(c, tok, &val) == OPT_VALUE && !val)
				tool_next(&a);
		if (!tool_is_subcommand(tok)) {
			tool_emit(o, name, NULL);
			return;
		}
		if (!tool_list_has(&c->verb, tok, strlen(tok))) {
			tool_emit(o, name, tok); /* apptainer pull, conda install */
			return;
		}
		verb = tok;
	}
	while ((tok = tool_next(&a))) {
		if (opts && tool_is_option(c, tok)) {
			if (strcmp(tok, "--") == 0)
				opts = 0;
			else if (tool_opt(c, tok, &val) == OPT_VALUE && !val)
				tool_next(&a);
			continue;
		}
		if (opts && strcmp(tok, "-") == 0)
			continue; /* env - : same as -i */
		/* Like getopt with '+': the first operand ends the options. */
		opts = 0;
		if (c->assign && tool_is_assignment(tok))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		tool_resolve_cmd(o, tok, a, depth + 1);
		return;
	}
	tool_emit(o, name, verb);
}

static void tool_multicall(struct tool_out *o, const char *name, const char *argv0,
			   struct tool_args a, int depth)
{
	/* Started as its own name (busybox sh -c ...): the applet is argv[1]. */
	if (!argv0 || !argv0[0] || strcmp(tool_base(argv0), name) == 0)
		argv0 = tool_next(&a);
	if (!argv0 || !tool_base(argv0)[0]) {
		tool_emit(o, name, NULL);
		return;
	}
	tool_resolve_cmd(o, argv0, a, depth + 1);
}

/* name: the program's base name; argv0: the word it was started by; a: the
 * arguments after it. */
static void tool_resolve(struct tool_out *o, const char *name, const char *argv0,
			 struct tool_args a, int depth)
{
	const struct tool_pat *p = tool_pats_find(&o->r->aliases, name);
	const struct tool_class *c;

	/* Aliases do not chain: one rename, then the new name's rule. */
	if (p)
		name = p->to;
	p = depth < TOOL_MAX_DEPTH ? tool_pats_find(&o->r->names, name) : NULL;
	if (!p) {
		tool_emit(o, name, NULL);
		return;
	}
	c = &o->r->cls[p->cls];
	switch (c->kind) {
	case TOOL_SUBCOMMAND:
		tool_subcommand(o, c, name, a);
		break;
	case TOOL_INTERPRETER:
		tool_interpreter(o, c, name, a, depth);
		break;
	case TOOL_WRAPPER:
		tool_wrapper(o, c, name, a, depth);
		break;
	case TOOL_MULTICALL:
		tool_multicall(o, name, argv0, a, depth);
		break;
	}
}

void tool_name_rules(const struct tool_rules *r, const char *exe, const char *argv,
		     size_t argv_len, char *out, size_t outlen)
{
	static const char deleted[] = " (deleted)";
	struct tool_args a = { argv, argv ? argv_len : 0, 0 };
	struct tool_out o = { r ? r : tool_rules_default(), out, outlen };
	char prog[TOOL_NAME_MAX];
	const char *argv0;
	size_t n;

	if (!outlen)
		return;
	argv0 = tool_next(&a);
	prog[0] = '\0';
	if (exe && *exe)
		snprintf(prog, sizeof(prog), "%s", tool_base(exe));
	/* /proc/PID/exe of a binary replaced while it ran (conda update, a
	 * restaged pipeline) */
	n = strlen(prog);
	if (n > sizeof(deleted) - 1 && strcmp(prog + n - (sizeof(deleted) - 1), deleted) == 0)
		prog[n - (sizeof(deleted) - 1)] = '\0';
	if (!prog[0] && argv0)
		snprintf(prog, sizeof(prog), "%s", tool_base(argv0));
	if (!prog[0]) {
		tool_emit(&o, "?", NULL);
		return;
	}
	tool_resolve(&o, prog, argv0, a, 0);
}

void tool_name(const char *exe, const char *argv, size_t argv_len, char *out, size_t outlen)
{
	tool_name_rules(NULL, exe, argv, argv_len, out, outlen);
}
