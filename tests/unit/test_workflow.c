// SPDX-License-Identifier: GPL-2.0-or-later
/* CUnit tests of workflow detection, a table of job names, comments and work dirs as
 * Nextflow, Snakemake and Cromwell submit them, and of label parsing and formatting. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "sexec/workflow.h"

/* Task hashes and run ids as the engines make them. */
#define NF_HASH "a1b2c3d4e5f60718293a4b5c6d7e8f"
#define SMK_UUID "9f3c1d7e-2b4a-4e6f-8a1b-3c5d7e9f0a2b"
#define CW_UUID "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
#define CW_SUB_UUID "bbbbbbbb-1111-4222-8333-444455556666"
#define CW_ROOT_UUID "aaaaaaaa-1111-4222-8333-444455556666"

struct wf_case {
	const char *what;
	struct sexec_wf_in in;
	int rc;
	const char *engine, *pipeline, *run, *task;
	const char *labels;	/* labels_format() of the result */
	const char *err;
};

static const struct wf_case cases[] = {
	/* ---- Nextflow ---- */
	{ "nf-core process with tag and task dir",
	  { .job_name = "nf-NFCORE_RNASEQ_RNASEQ_FASTQC_(s1)",
	    .work_dir = "/scratch/alice/rnaseq/work/3f/" NF_HASH },
	  0, "nextflow", "nf-core/rnaseq", "/scratch/alice/rnaseq", "NFCORE_RNASEQ_RNASEQ_FASTQC",
	  "tag=s1,task_hash=3f/" NF_HASH, "" },
	{ "nf-core sarek, short hash, tag with '_'",
	  { .job_name = "nf-NFCORE_SAREK_SAREK_BAM_MARKDUPLICATES_GATK4_MARKDUPLICATES_"
			"(patient1_tumour)",
	    .work_dir = "/data/projects/sarek/work/0c/9e8d7f" },
	  0, "nextflow", "nf-core/sarek", "/data/projects/sarek",
	  "NFCORE_SAREK_SAREK_BAM_MARKDUPLICATES_GATK4_MARKDUPLICATES",
	  "tag=patient1_tumour,task_hash=0c/9e8d7f", "" },
	{ "plain process, no tag, no work dir",
	  { .job_name = "nf-foo" },
	  0, "nextflow", "", "", "foo", "", "" },
	{ "tag whose spaces Nextflow made '_'",
	  { .job_name = "nf-sayHello_(saying_Hello_to_world)",
	    .work_dir = "/home/bob/hello/work/42/50f2d37f455c1fe60e81ef46762350" },
	  0, "nextflow", "", "/home/bob/hello", "sayHello",
	  "tag=saying_Hello_to_world,task_hash=42/50f2d37f455c1fe60e81ef46762350", "" },
	{ "tag with dots, work dir moved with -w",
	  { .job_name = "nf-ALIGN_(S1.R1.fastq.gz)",
	    .work_dir = "/scratch/nfwork/ab/cdef0123456789" },
	  0, "nextflow", "", "", "ALIGN", "tag=S1.R1.fastq.gz,task_hash=ab/cdef0123456789", "" },
	{ "unsanitised space before the tag",
	  { .job_name = "nf-FASTQC (sample 1)" },
	  0, "nextflow", "", "", "FASTQC", "tag=sample 1", "" },
	{ "task index in place of a tag",
	  { .job_name = "nf-MULTIQC_(1)", .work_dir = "/w/work/07/6b9a41/" },
	  0, "nextflow", "", "/w", "MULTIQC", "tag=1,task_hash=07/6b9a41", "" },
	{ "odd characters: ':' kept, ',' in a tag",
	  { .job_name = "nf-MY:PROC_(a,b=c)" },
	  0, "nextflow", "", "", "MY:PROC", "tag=a;b=c", "" },
	{ "name cut at 256 characters: tag without ')'",
	  { .job_name = "nf-BWA_MEM_(very_long_sample_name" },
	  0, "nextflow", "", "", "BWA_MEM", "tag=very_long_sample_name", "" },
	{ "parentheses inside the tag",
	  { .job_name = "nf-X_(s1_(rep2))" },
	  0, "nextflow", "", "", "X", "tag=s1_(rep2)", "" },
	{ "empty tag",
	  { .job_name = "nf-X_()" },
	  0, "nextflow", "", "", "X", "", "" },
	{ "nf-core prefix with ':' (not sanitised)",
	  { .job_name = "nf-NFCORE_FETCHNGS:FETCHNGS:SRA_IDS_TO_RUNINFO_(SRR9984183)" },
	  0, "nextflow", "nf-core/fetchngs", "", "NFCORE_FETCHNGS:FETCHNGS:SRA_IDS_TO_RUNINFO",
	  "tag=SRR9984183", "" },
	{ "NFCORE_<NAME> alone is no nf-core pipeline",
	  { .job_name = "nf-NFCORE_RNASEQ" },
	  0, "nextflow", "", "", "NFCORE_RNASEQ", "", "" },
	{ "launch directory is /",
	  { .job_name = "nf-foo", .work_dir = "/work/ab/cdef01" },
	  0, "nextflow", "", "/", "foo", "task_hash=ab/cdef01", "" },
	{ "work dir not hex",
	  { .job_name = "nf-foo", .work_dir = "/x/work/zz/cdef01" },
	  0, "nextflow", "", "", "foo", "", "" },
	{ "hash too short",
	  { .job_name = "nf-foo", .work_dir = "/x/work/ab/cdef0" },
	  0, "nextflow", "", "", "foo", "", "" },
	{ "relative work dir",
	  { .job_name = "nf-foo", .work_dir = "work/ab/cdef0123" },
	  0, "nextflow", "", "", "foo", "", "" },
	{ "work dir of slashes only",
	  { .job_name = "nf-foo", .work_dir = "////" },
	  0, "nextflow", "", "", "foo", "", "" },
	{ "nf- with no process", { .job_name = "nf-" }, 0, "", "", "", "", "", "" },
	{ "nf- with only a tag", { .job_name = "nf-_(x)" }, 0, "", "", "", "", "", "" },
	{ "NF- is not nf-", { .job_name = "NF-foo" }, 0, "", "", "", "", "", "" },
	{ "nextflow-foo is not nf-", { .job_name = "nextflow-foo" }, 0, "", "", "", "", "", "" },
	{ "job name beats a Snakemake comment",
	  { .job_name = "nf-foo", .comment = "rule_bar" },
	  0, "nextflow", "", "", "foo", "", "" },

	/* ---- Snakemake ---- */
	{ "run uuid and rule with wildcards",
	  { .job_name = SMK_UUID, .comment = "rule_bwa_map_wildcards_A",
	    .work_dir = "/home/carol/smk" },
	  0, "snakemake", "", SMK_UUID, "bwa_map", "wildcards=A", "" },
	{ "upper-case uuid, rule without wildcards",
	  { .job_name = "9F3C1D7E-2B4A-4E6F-8A1B-3C5D7E9F0A2B", .comment = "rule_all" },
	  0, "snakemake", "", SMK_UUID, "all", "", "" },
	{ "uuid alone",
	  { .job_name = SMK_UUID },
	  0, "snakemake", "", SMK_UUID, "", "", "" },
	{ "uuid with an unrelated comment",
	  { .job_name = SMK_UUID, .comment = "my comment" },
	  0, "snakemake", "", SMK_UUID, "", "", "" },
	{ "comment alone, several wildcards",
	  { .job_name = "myjob", .comment = "rule_samtools_sort_wildcards_S1_chr1" },
	  0, "snakemake", "", "", "samtools_sort", "wildcards=S1_chr1", "" },
	{ "',' in wildcards",
	  { .job_name = SMK_UUID, .comment = "rule_call_variants_wildcards_S1,S2" },
	  0, "snakemake", "", SMK_UUID, "call_variants", "wildcards=S1;S2", "" },
	{ "empty wildcards",
	  { .job_name = SMK_UUID, .comment = "rule_fastqc_wildcards_" },
	  0, "snakemake", "", SMK_UUID, "fastqc", "", "" },
	{ "wildcards holding _wildcards_",
	  { .job_name = SMK_UUID, .comment = "rule_x_wildcards_a_wildcards_b" },
	  0, "snakemake", "", SMK_UUID, "x", "wildcards=a_wildcards_b", "" },
	{ "control character in wildcards",
	  { .comment = "rule_x_wildcards_a\tb" },
	  0, "snakemake", "", "", "x", "wildcards=a?b", "" },
	{ "rule_ with no rule", { .comment = "rule_" }, 0, "", "", "", "", "", "" },
	{ "rule_ prose", { .comment = "rule_of thumb" }, 0, "", "", "", "", "", "" },
	{ "Rule_ is not rule_", { .comment = "Rule_all" }, 0, "", "", "", "", "", "" },
	{ "uuid one digit short",
	  { .job_name = "9f3c1d7e-2b4a-4e6f-8a1b-3c5d7e9f0a2" }, 0, "", "", "", "", "", "" },
	{ "uuid with a brace",
	  { .job_name = "{9f3c1d7e-2b4a-4e6f-8a1b-3c5d7e9f0a2b}" }, 0, "", "", "", "", "", "" },
	{ "uuid without dashes",
	  { .job_name = "9f3c1d7e2b4a4e6f8a1b3c5d7e9f0a2bffff" }, 0, "", "", "", "", "", "" },

	/* ---- Cromwell ---- */
	{ "short id and call, no work dir",
	  { .job_name = "cromwell_1a2b3c4d_HaplotypeCaller" },
	  0, "cromwell", "", "1a2b3c4d", "HaplotypeCaller", "", "" },
	{ "execution dir of a shard",
	  { .job_name = "cromwell_1a2b3c4d_HaplotypeCaller",
	    .work_dir = "/scratch/cromwell-executions/WholeGenomeGermline/" CW_UUID
			"/call-HaplotypeCaller/shard-17/execution" },
	  0, "cromwell", "WholeGenomeGermline", CW_UUID, "HaplotypeCaller", "shard=17", "" },
	{ "second attempt, no shard",
	  { .job_name = "cromwell_1a2b3c4d_MarkDuplicates",
	    .work_dir = "/scratch/cromwell-executions/WholeGenomeGermline/" CW_UUID
			"/call-MarkDuplicates/attempt-2/execution" },
	  0, "cromwell", "WholeGenomeGermline", CW_UUID, "MarkDuplicates", "", "" },
	{ "subworkflow call belongs to the root run, deepest shard",
	  { .job_name = "cromwell_bbbbbbbb_bwa",
	    .work_dir = "/data/cromwell-executions/main/" CW_ROOT_UUID
			"/call-align/shard-3/align/" CW_SUB_UUID "/call-bwa/shard-0/execution" },
	  0, "cromwell", "main", CW_ROOT_UUID, "bwa", "shard=0", "" },
	{ "call with '.' and '_', upper-case id",
	  { .job_name = "cromwell_DEADBEEF_sub.task_1" },
	  0, "cromwell", "", "deadbeef", "sub.task_1", "", "" },
	{ "work dir without a workflow uuid",
	  { .job_name = "cromwell_1a2b3c4d_x",
	    .work_dir = "/s/cromwell-executions/wf/latest/call-x/execution" },
	  0, "cromwell", "", "1a2b3c4d", "x", "", "" },
	{ "second cromwell-executions is the real one",
	  { .job_name = "cromwell_1a2b3c4d_x",
	    .work_dir = "/cromwell-executions/cromwell-executions/wf/" CW_UUID "/call-x" },
	  0, "cromwell", "wf", CW_UUID, "x", "", "" },
	{ "shard- not a number",
	  { .job_name = "cromwell_1a2b3c4d_x",
	    .work_dir = "/c/cromwell-executions/wf/" CW_UUID "/call-x/shard-a/execution" },
	  0, "cromwell", "wf", CW_UUID, "x", "", "" },
	{ "seven hex digits", { .job_name = "cromwell_1a2b3c4_x" }, 0, "", "", "", "", "", "" },
	{ "not hex", { .job_name = "cromwell_1a2b3c4g_x" }, 0, "", "", "", "", "", "" },
	{ "no call", { .job_name = "cromwell_1a2b3c4d_" }, 0, "", "", "", "", "", "" },
	{ "no separator", { .job_name = "cromwell_1a2b3c4d" }, 0, "", "", "", "", "", "" },

	/* ---- explicit values ---- */
	{ "explicit values win over detected ones",
	  { .job_name = "nf-NFCORE_RNASEQ_RNASEQ_FASTQC_(s1)",
	    .work_dir = "/scratch/alice/rnaseq/work/3f/" NF_HASH, .pipeline = "rnaseq-prod",
	    .run = "2024-05-batch7", .labels = "tag=override,project=p1" },
	  0, "nextflow", "rnaseq-prod", "2024-05-batch7", "NFCORE_RNASEQ_RNASEQ_FASTQC",
	  "project=p1,tag=override,task_hash=3f/" NF_HASH, "" },
	{ "explicit only: no engine",
	  { .job_name = "bash", .pipeline = "mypipe", .run = "r42", .labels = "sample=S1" },
	  0, "", "mypipe", "r42", "", "sample=S1", "" },
	{ "label task= sets the task",
	  { .job_name = "align.sh", .labels = "task=align,sample=S1" },
	  0, "", "", "", "align", "sample=S1,task=align", "" },
	{ "label task= beats a detected rule",
	  { .job_name = SMK_UUID, .comment = "rule_bwa_map_wildcards_A", .labels = "task=bwa" },
	  0, "snakemake", "", SMK_UUID, "bwa", "task=bwa,wildcards=A", "" },
	{ "empty explicit values do not override",
	  { .job_name = "cromwell_1a2b3c4d_x", .pipeline = "", .run = "", .labels = "" },
	  0, "cromwell", "", "1a2b3c4d", "x", "", "" },
	{ "malformed explicit labels: detection and pipeline kept",
	  { .job_name = "nf-FOO_(s2)", .pipeline = "p", .labels = "ok=1,bad key=2" },
	  -EINVAL, "nextflow", "p", "", "FOO", "tag=s2",
	  "label 'bad key=2': key may only hold letters, digits, '_', '.', '-'" },
	{ "explicit label with no '='",
	  { .labels = "project" },
	  -EINVAL, "", "", "", "", "",
	  "label 'project': missing '=' (labels are key=value)" },
	{ "control character in an explicit run",
	  { .run = "run\n1" },
	  0, "", "", "run?1", "", "", "" },

	/* ---- nothing to detect ---- */
	{ "all NULL", { 0 }, 0, "", "", "", "", "", "" },
	{ "ordinary job", { .job_name = "my_analysis", .comment = "re-run after fix",
			    .work_dir = "/home/dave/work/ab/cdef0123" },
	  0, "", "", "", "", "", "" },
	{ "empty strings", { .job_name = "", .comment = "", .work_dir = "" },
	  0, "", "", "", "", "", "" },
};

static int check_str(size_t i, const char *field, const char *got, const char *want)
{
	if (!strcmp(got, want))
		return 0;
	fprintf(stderr, "\n  case %zu (%s): %s = '%s', want '%s'", i, cases[i].what, field, got,
		want);
	return 1;
}

static void test_table(void)
{
	char labels[SEXEC_LABELS_FMT_MAX], err[256];
	struct sexec_wf out;
	size_t i;
	int bad = 0;

	CU_ASSERT(sizeof(cases) / sizeof(cases[0]) >= 50);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct wf_case *c = &cases[i];
		int rc;

		memset(&out, 'x', sizeof(out));
		memset(err, 'x', sizeof(err));
		rc = workflow_detect(&c->in, &out, err, sizeof(err));
		if (rc != c->rc) {
			fprintf(stderr, "\n  case %zu (%s): rc %d, want %d", i, c->what, rc, c->rc);
			bad++;
		}
		CU_ASSERT_FATAL(labels_format(&out.labels, labels, sizeof(labels)) >= 0);
		bad += check_str(i, "engine", out.engine, c->engine);
		bad += check_str(i, "pipeline", out.pipeline, c->pipeline);
		bad += check_str(i, "run", out.run, c->run);
		bad += check_str(i, "task", out.task, c->task);
		bad += check_str(i, "labels", labels, c->labels);
		bad += check_str(i, "err", err, c->err);
	}
	CU_ASSERT_EQUAL(bad, 0);
}

static void test_detect_null(void)
{
	struct sexec_wf_in in = { .job_name = "nf-foo", .labels = "a b=1" };
	struct sexec_wf out;
	char err[8];

	CU_ASSERT_EQUAL(workflow_detect(&in, NULL, err, sizeof(err)), -EINVAL);
	memset(&out, 'x', sizeof(out));
	CU_ASSERT_EQUAL(workflow_detect(NULL, &out, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out.engine, "");
	CU_ASSERT_STRING_EQUAL(out.task, "");
	CU_ASSERT_EQUAL(out.labels.n, 0);
	/* No room for a reason, or a short one: still no crash, still cut. */
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, NULL, 0), -EINVAL);
	CU_ASSERT_STRING_EQUAL(out.task, "foo");
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label '");
}

/* 32 explicit labels leave no room for detected ones; 33 are too many. */
static void test_detect_label_room(void)
{
	char labels[2048], buf[64];
	struct sexec_wf_in in = { .job_name = "nf-FOO_(s1)", .labels = labels };
	struct sexec_wf out;
	char err[128];
	int i;

	labels[0] = '\0';
	for (i = 0; i < 31; i++) {
		snprintf(buf, sizeof(buf), "%sk%02d=%d", i ? "," : "", i, i);
		strcat(labels, buf);
	}
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(out.labels.n, 32);
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "tag"), "s1");
	strcat(labels, ",k31=31");
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(out.labels.n, 32);
	CU_ASSERT_PTR_NULL(labels_get(&out.labels, "tag"));
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "k31"), "31");
	strcat(labels, ",k32=32");
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "more than 32 labels");
	CU_ASSERT_EQUAL(out.labels.n, 1);
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "tag"), "s1");
}

static char *repeat(const char *head, const char *unit, size_t times, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char *s = malloc(hl + ul * times + tl + 1);

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	memcpy(s, head, hl);
	for (i = 0; i < times; i++)
		memcpy(s + hl + i * ul, unit, ul);
	memcpy(s + hl + ul * times, tail, tl + 1);
	return s;
}

static int valid_utf8(const char *s)
{
	char tmp[SEXEC_LABEL_VALUE_MAX];
	struct sexec_labels ls = { 0 };

	/* A label value is accepted only when valid: reuse the library's check. */
	if (strlen(s) >= sizeof(tmp))
		return 0;
	return labels_set(&ls, "v", s, NULL, 0) == 0;
}

/* Long, multibyte, invalid and hostile strings: cut at a character boundary,
 * made valid UTF-8, never a crash. */
static void test_detect_hostile(void)
{
	struct sexec_wf_in in = { 0 };
	struct sexec_wf out;
	char err[256], want[SEXEC_WF_STR_MAX];
	char *a = repeat("nf-", "A", 100000, "_(");
	char *name = repeat(a, "b", 100000, ")");
	char *e2 = repeat("nf-", "\xc3\xa9", 200, "");
	char *e3 = repeat("nf-", "\xe2\x82\xac", 100, "");
	char *e4 = repeat("nf-", "\xf0\x9f\x98\x80", 70, "_(\xf0\x9f\x98\x80)");
	char *deep = repeat("", "/a", 500000, "/work/ab/cdef01");
	char *wild = repeat("rule_r_wildcards_", "w,", 1000, "");
	char *cw = repeat("/cromwell-executions/wf/" CW_UUID "/call-x", "/shard-1", 100000,
			  "/shard-12345678901/execution");
	size_t i;

	in.job_name = name;
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	memset(want, 'A', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	CU_ASSERT_STRING_EQUAL(out.task, want);
	memset(want, 'b', SEXEC_LABEL_VALUE_MAX - 1);
	want[SEXEC_LABEL_VALUE_MAX - 1] = '\0';
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "tag"), want);

	/* 2-, 3- and 4-byte characters: whole characters only. */
	in.job_name = e2;
	workflow_detect(&in, &out, err, sizeof(err));
	CU_ASSERT_EQUAL(strlen(out.task), 254);
	CU_ASSERT_EQUAL(memcmp(out.task, e2 + 3, 254), 0);
	in.job_name = e3;
	workflow_detect(&in, &out, err, sizeof(err));
	CU_ASSERT_EQUAL(strlen(out.task), 255);
	CU_ASSERT_EQUAL(memcmp(out.task, e3 + 3, 255), 0);
	in.job_name = e4;
	workflow_detect(&in, &out, err, sizeof(err));
	CU_ASSERT_EQUAL(strlen(out.task), 252);
	CU_ASSERT_EQUAL(memcmp(out.task, e4 + 3, 252), 0);
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "tag"), "\xf0\x9f\x98\x80");

	/* Invalid bytes, controls, a lone continuation byte, an overlong '/'. */
	in.job_name = "nf-\xff\xfeX\x80\xc0\xaf_(\x01" "a\x7f\xc2\x85)";
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out.task, "??X???");
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "tag"), "?a??");
	CU_ASSERT(valid_utf8(out.task));

	/* A 1 MB work dir: the launch directory is cut to fit. */
	in.job_name = "nf-foo";
	in.work_dir = deep;
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(strlen(out.run), SEXEC_WF_STR_MAX - 1);
	CU_ASSERT_EQUAL(memcmp(out.run, deep, SEXEC_WF_STR_MAX - 1), 0);
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "task_hash"), "ab/cdef01");

	/* A hash too long to be a label value is no hash. */
	free(a);
	a = repeat("/x/work/ab/", "0", 300, "");
	in.work_dir = a;
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(out.labels.n, 0);
	CU_ASSERT_STRING_EQUAL(out.run, "");

	/* Long wildcards full of ','. */
	in.job_name = NULL;
	in.work_dir = NULL;
	in.comment = wild;
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out.engine, "snakemake");
	CU_ASSERT_EQUAL(strlen(labels_get(&out.labels, "wildcards")), 255);
	for (i = 0; i < 255; i++)
		if (labels_get(&out.labels, "wildcards")[i] == ',')
			break;
	CU_ASSERT_EQUAL(i, 255);

	/* 100000 shard components, the last too long to be a shard number. */
	in.comment = NULL;
	in.job_name = "cromwell_1a2b3c4d_x";
	in.work_dir = cw;
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(out.run, CW_UUID);
	CU_ASSERT_STRING_EQUAL(labels_get(&out.labels, "shard"), "1");

	/* Huge explicit values. */
	in.job_name = NULL;
	in.work_dir = NULL;
	in.pipeline = name;
	in.run = e3;
	in.labels = deep;
	CU_ASSERT_EQUAL(workflow_detect(&in, &out, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(strlen(out.pipeline), SEXEC_WF_STR_MAX - 1);
	CU_ASSERT_EQUAL(strlen(out.run), 255);
	CU_ASSERT_STRING_EQUAL(err, "label '/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a...': "
				    "missing '=' (labels are key=value)");

	free(a);
	free(name);
	free(e2);
	free(e3);
	free(e4);
	free(deep);
	free(wild);
	free(cw);
}

/* ---- labels ---- */

static void fmt_is(const struct sexec_labels *ls, const char *want)
{
	char buf[SEXEC_LABELS_FMT_MAX];
	int n = labels_format(ls, buf, sizeof(buf));

	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	if (strcmp(buf, want))
		fprintf(stderr, "\n  labels '%s', want '%s'", buf, want);
}

static void test_labels_parse(void)
{
	struct sexec_labels ls = { 0 };
	char err[256];

	CU_ASSERT_EQUAL(labels_parse(&ls, "sample=S1,project=rnaseq-2024", 0, err, sizeof(err)),
			2);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_STRING_EQUAL(labels_get(&ls, "sample"), "S1");
	CU_ASSERT_STRING_EQUAL(labels_get(&ls, "project"), "rnaseq-2024");
	CU_ASSERT_PTR_NULL(labels_get(&ls, "Sample"));
	CU_ASSERT_PTR_NULL(labels_get(&ls, "sampl"));
	fmt_is(&ls, "project=rnaseq-2024,sample=S1");

	/* Empty input and empty items; empty values; '=' inside a value. */
	memset(&ls, 0, sizeof(ls));
	CU_ASSERT_EQUAL(labels_parse(&ls, "", 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(labels_parse(&ls, NULL, 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(labels_parse(&ls, ",,,", 0, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ls.n, 0);
	CU_ASSERT_EQUAL(labels_parse(&ls, ",,note=,url=https://x.org/?a=1&b=2,,", 0, err,
				     sizeof(err)), 2);
	CU_ASSERT_STRING_EQUAL(labels_get(&ls, "note"), "");
	CU_ASSERT_STRING_EQUAL(labels_get(&ls, "url"), "https://x.org/?a=1&b=2");

	/* Keys: all allowed characters, digits first, 63 bytes. */
	memset(&ls, 0, sizeof(ls));
	CU_ASSERT_EQUAL(labels_parse(&ls, "a.b-c_D=1,9lives=2", 0, err, sizeof(err)), 2);
	CU_ASSERT_EQUAL(labels_parse(&ls, "k23456789012345678901234567890123456789012345678901234"
				     "567890123=x", 0, err, sizeof(err)), 1);
	/* Values: printable UTF-8 and spaces, 255 bytes. */
	CU_ASSERT_EQUAL(labels_parse(&ls, "who=Zoë Müller € \xf0\x9f\x98\x80", 0, err,
				     sizeof(err)), 1);
	CU_ASSERT_STRING_EQUAL(labels_get(&ls, "who"), "Zoë Müller € \xf0\x9f\x98\x80");
	{
		char s[300];

		strcpy(s, "v=");
		memset(s + 2, 'y', 255);
		s[257] = '\0';
		CU_ASSERT_EQUAL(labels_parse(&ls, s, 0, err, sizeof(err)), 1);
		CU_ASSERT_EQUAL(strlen(labels_get(&ls, "v")), 255);
	}
}

struct bad_label {
	const char *in;
	int rc;
	const char *err;
};

static const struct bad_label bad_labels[] = {
	{ "a b=1", -EINVAL, "label 'a b=1': key may only hold letters, digits, '_', '.', '-'" },
	{ "ok=1,k:x=1", -EINVAL, "label 'k:x=1': key may only hold letters, digits, '_', '.', '-'" },
	{ " a=1", -EINVAL, "label ' a=1': key may only hold letters, digits, '_', '.', '-'" },
	{ "Zoë=1", -EINVAL, "label 'Zoë=1': key may only hold letters, digits, '_', '.', '-'" },
	{ "_a=1", -EINVAL, "label '_a=1': key must start with a letter or digit" },
	{ ".a=1", -EINVAL, "label '.a=1': key must start with a letter or digit" },
	{ "-a=1", -EINVAL, "label '-a=1': key must start with a letter or digit" },
	{ "=1", -EINVAL, "label '=1': empty key" },
	{ "=", -EINVAL, "label '=': empty key" },
	{ "sample", -EINVAL, "label 'sample': missing '=' (labels are key=value)" },
	{ "a=1,b", -EINVAL, "label 'b': missing '=' (labels are key=value)" },
	{ "k234567890123456789012345678901234567890123456789012345678901234=1", -EINVAL,
	  "label 'k23456789012345678901234567890123456789012345678...': key longer than 63 "
	  "bytes" },
	{ "k=a\tb", -EINVAL, "label 'k=a?b': value holds a control character" },
	{ "k=a\nb", -EINVAL, "label 'k=a?b': value holds a control character" },
	{ "k=\x1b[31m", -EINVAL, "label 'k=?[31m': value holds a control character" },
	{ "k=a\x7f", -EINVAL, "label 'k=a?': value holds a control character" },
	{ "k=a\xc2\x85", -EINVAL, "label 'k=a?': value holds a control character" },
	{ "k=\xff", -EINVAL, "label 'k=?': value is not valid UTF-8" },
	{ "k=\xc0\xaf", -EINVAL, "label 'k=?\?': value is not valid UTF-8" },
	{ "k=\xed\xa0\x80", -EINVAL, "label 'k=??\?': value is not valid UTF-8" },
	{ "k=\xe2\x82", -EINVAL, "label 'k=?\?': value is not valid UTF-8" },
	{ "k=\xf4\x90\x80\x80", -EINVAL, "label 'k=???\?': value is not valid UTF-8" },
};

static void test_labels_errors(void)
{
	struct sexec_labels ls = { 0 }, before;
	char err[256], s[400];
	size_t i;
	int k;

	CU_ASSERT_EQUAL(labels_parse(&ls, "keep=1", 0, err, sizeof(err)), 1);
	before = ls;
	for (i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++) {
		const struct bad_label *b = &bad_labels[i];
		int rc = labels_parse(&ls, b->in, 1, err, sizeof(err));

		CU_ASSERT_EQUAL(rc, b->rc);
		CU_ASSERT_STRING_EQUAL(err, b->err);
		if (rc != b->rc || strcmp(err, b->err))
			fprintf(stderr, "\n  '%s': %d '%s', want %d '%s'", b->in, rc, err, b->rc,
				b->err);
		/* All or nothing. */
		CU_ASSERT_EQUAL(memcmp(&ls, &before, sizeof(ls)), 0);
	}

	/* Value of 256 bytes. */
	strcpy(s, "k=");
	memset(s + 2, 'y', 256);
	s[258] = '\0';
	CU_ASSERT_EQUAL(labels_parse(&ls, s, 1, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label 'k=yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...': "
				    "value longer than 255 bytes");

	/* 32 labels fit, 33 do not; nothing of a failed parse is kept. */
	s[0] = '\0';
	for (k = 1; k < 32; k++)
		sprintf(s + strlen(s), "%sk%d=%d", k > 1 ? "," : "", k, k);
	CU_ASSERT_EQUAL(labels_parse(&ls, s, 1, err, sizeof(err)), 31);
	CU_ASSERT_EQUAL(ls.n, 32);
	before = ls;
	CU_ASSERT_EQUAL(labels_parse(&ls, "k1=x,extra=1", 1, err, sizeof(err)), -E2BIG);
	CU_ASSERT_STRING_EQUAL(err, "more than 32 labels");
	CU_ASSERT_EQUAL(memcmp(&ls, &before, sizeof(ls)), 0);
	CU_ASSERT_EQUAL(labels_set(&ls, "extra", "1", err, sizeof(err)), -E2BIG);
	/* Replacing needs no room. */
	CU_ASSERT_EQUAL(labels_parse(&ls, "k1=x", 1, err, sizeof(err)), 1);
	CU_ASSERT_STRING_EQUAL(labels_get(&ls, "k1"), "x");

	/* labels_set validates the same way. */
	memset(&ls, 0, sizeof(ls));
	CU_ASSERT_EQUAL(labels_set(&ls, "a=b", "c", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label 'a=b=c': key may only hold letters, digits, '_', '.', "
				    "'-'");
	CU_ASSERT_EQUAL(labels_set(&ls, "k", "a,b", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label 'k=a,b': value may not hold ','");
	CU_ASSERT_EQUAL(labels_set(&ls, "", "x", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label '=x': empty key");
	CU_ASSERT_EQUAL(labels_set(&ls, "k", "\x01", err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label 'k=?': value holds a control character");
	CU_ASSERT_EQUAL(ls.n, 0);
}

static void test_labels_merge(void)
{
	struct sexec_labels ls = { 0 };
	char err[128];

	CU_ASSERT_EQUAL(labels_parse(&ls, "a=1", 0, err, sizeof(err)), 1);
	CU_ASSERT_EQUAL(labels_parse(&ls, "a=2,b=3", 0, err, sizeof(err)), 1);
	fmt_is(&ls, "a=1,b=3");
	CU_ASSERT_EQUAL(labels_parse(&ls, "a=2,b=4", 1, err, sizeof(err)), 2);
	fmt_is(&ls, "a=2,b=4");
	/* A key given twice in one string: the first stays without overwrite, the
	 * last wins with it. */
	memset(&ls, 0, sizeof(ls));
	CU_ASSERT_EQUAL(labels_parse(&ls, "a=1,a=2", 0, err, sizeof(err)), 1);
	fmt_is(&ls, "a=1");
	memset(&ls, 0, sizeof(ls));
	CU_ASSERT_EQUAL(labels_parse(&ls, "a=1,a=2", 1, err, sizeof(err)), 2);
	fmt_is(&ls, "a=2");
	CU_ASSERT_EQUAL(ls.n, 1);
	/* labels_set replaces. */
	CU_ASSERT_EQUAL(labels_set(&ls, "a", "3", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(labels_set(&ls, "c", "", err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(labels_set(&ls, "b", NULL, err, sizeof(err)), 0);
	fmt_is(&ls, "a=3,b=,c=");
	CU_ASSERT_EQUAL(ls.n, 3);
}

static void test_labels_format(void)
{
	static const char want[] = "9=nine,Beta=2,alpha=1,alpha-y=4,alpha.x=3,zeta=26";
	struct sexec_labels ls = { 0 }, back = { 0 };
	char buf[64], err[128];
	int n = (int)strlen(want);

	fmt_is(&ls, "");
	/* Sorted by key bytes: digits, upper case, lower case. */
	CU_ASSERT_EQUAL(labels_parse(&ls, "zeta=26,alpha=1,Beta=2,9=nine,alpha.x=3,alpha-y=4",
				     0, err, sizeof(err)), 6);
	fmt_is(&ls, want);
	/* Round trip through labels_parse. */
	CU_ASSERT_EQUAL(labels_format(&ls, buf, sizeof(buf)), n);
	CU_ASSERT_EQUAL(labels_parse(&back, buf, 0, err, sizeof(err)), 6);
	fmt_is(&back, want);
	/* Exact fit, one byte short. */
	CU_ASSERT_EQUAL(labels_format(&ls, buf, n + 1), n);
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(labels_format(&ls, buf, n), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_EQUAL(labels_format(&ls, buf, 1), -ENOSPC);
	CU_ASSERT_EQUAL(labels_format(&ls, buf, 0), -ENOSPC);
	CU_ASSERT_EQUAL(labels_format(&ls, NULL, 10), -ENOSPC);
	/* The largest set fits SEXEC_LABELS_FMT_MAX. */
	{
		static char big[SEXEC_LABELS_FMT_MAX];
		char k[SEXEC_LABEL_KEY_MAX], v[SEXEC_LABEL_VALUE_MAX];
		int i;

		memset(&ls, 0, sizeof(ls));
		memset(k, 'k', sizeof(k) - 1);
		k[sizeof(k) - 1] = '\0';
		memset(v, 'v', sizeof(v) - 1);
		v[sizeof(v) - 1] = '\0';
		for (i = 0; i < SEXEC_LABELS_MAX; i++) {
			k[0] = (char)('A' + i % 26);
			k[1] = (char)('A' + i / 26);
			CU_ASSERT_EQUAL(labels_set(&ls, k, v, err, sizeof(err)), 0);
		}
		CU_ASSERT_EQUAL(labels_format(&ls, big, sizeof(big)), SEXEC_LABELS_FMT_MAX - 1);
	}
}

static void test_labels_null(void)
{
	struct sexec_labels ls = { 0 };
	char buf[8], err[64];

	CU_ASSERT_EQUAL(labels_parse(NULL, "a=1", 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "label set not initialised");
	CU_ASSERT_EQUAL(labels_set(NULL, "a", "1", err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(labels_parse(&ls, "a=1", 0, NULL, 0), 1);
	CU_ASSERT_EQUAL(labels_parse(&ls, "a b=1", 0, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(labels_set(&ls, NULL, "1", NULL, 0), -EINVAL);
	CU_ASSERT_PTR_NULL(labels_get(NULL, "a"));
	CU_ASSERT_PTR_NULL(labels_get(&ls, NULL));
	CU_ASSERT_EQUAL(labels_format(NULL, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	/* A corrupt count is refused, not followed. */
	ls.n = SEXEC_LABELS_MAX + 1;
	CU_ASSERT_EQUAL(labels_parse(&ls, "a=1", 0, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(labels_get(&ls, "a"));
	CU_ASSERT_EQUAL(labels_format(&ls, buf, sizeof(buf)), -EINVAL);
	ls.n = -1;
	CU_ASSERT_EQUAL(labels_set(&ls, "a", "1", err, sizeof(err)), -EINVAL);
}

int main(void)
{
	CU_pSuite s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	s = CU_add_suite("workflow detection", NULL, NULL);
	CU_add_test(s, "job table: Nextflow, Snakemake, Cromwell, explicit", test_table);
	CU_add_test(s, "NULL arguments", test_detect_null);
	CU_add_test(s, "explicit labels and room for detected ones", test_detect_label_room);
	CU_add_test(s, "long, multibyte and hostile strings", test_detect_hostile);
	s = CU_add_suite("labels", NULL, NULL);
	CU_add_test(s, "parse", test_labels_parse);
	CU_add_test(s, "validation errors, all or nothing", test_labels_errors);
	CU_add_test(s, "merge and overwrite", test_labels_merge);
	CU_add_test(s, "canonical format", test_labels_format);
	CU_add_test(s, "NULL and corrupt arguments", test_labels_null);
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
