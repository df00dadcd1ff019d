/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Workflow context of a job: the engine, pipeline, run and task that submitted it
 * (docs/workflows.md), and the key=value labels users attach to their jobs. */
#ifndef SEXEC_WORKFLOW_H
#define SEXEC_WORKFLOW_H

#include <stddef.h>

#define SEXEC_LABEL_KEY_MAX 64		/* incl. NUL */
#define SEXEC_LABEL_VALUE_MAX 256	/* incl. NUL */
#define SEXEC_LABELS_MAX 32		/* labels per job */
#define SEXEC_WF_STR_MAX 256
#define SEXEC_WF_ENGINE_MAX 16

/* Longest labels_format() output, NUL included: every label at its maximum. */
#define SEXEC_LABELS_FMT_MAX (SEXEC_LABELS_MAX * (SEXEC_LABEL_KEY_MAX + SEXEC_LABEL_VALUE_MAX))

struct sexec_label {
	char key[SEXEC_LABEL_KEY_MAX];
	char value[SEXEC_LABEL_VALUE_MAX];
};

/* Zero-initialise before first use; n labels, in the order they were added. */
struct sexec_labels {
	int n;
	struct sexec_label l[SEXEC_LABELS_MAX];
};

/* Parses "k=v,k2=v2" and merges it into *ls, item by item: a key already present
 * is replaced when overwrite is set, kept otherwise. Keys: [A-Za-z0-9_.-]{1,63},
 * starting with a letter or digit. Values: up to 255 bytes of valid UTF-8 without
 * ',' or control characters; may be empty; split from the key at the first '='.
 * Empty input (or NULL) and empty items (",,") are fine. Returns the number of
 * items that added or replaced a label; -EINVAL with a one-line reason in err, or
 * -E2BIG when the result would hold more than SEXEC_LABELS_MAX labels. On error
 * *ls is unchanged (all or nothing). */
int labels_parse(struct sexec_labels *ls, const char *s, int overwrite, char *err, size_t errlen);

/* Sets one label (same validation), replacing it if present. Returns 0, -EINVAL
 * (reason in err) or -E2BIG. */
int labels_set(struct sexec_labels *ls, const char *key, const char *value, char *err,
	       size_t errlen);

/* The value of key, or NULL when there is no such label. */
const char *labels_get(const struct sexec_labels *ls, const char *key);

/* Writes "k=v,k=v" sorted by key (byte order): the canonical form, stable for
 * storage, which labels_parse() reads back. Returns its length, or -ENOSPC (buf
 * then holds "" when len > 0). SEXEC_LABELS_FMT_MAX bytes are always enough. */
int labels_format(const struct sexec_labels *ls, char *buf, size_t len);

struct sexec_wf_in {
	const char *job_name;	/* Slurm job name, may be NULL */
	const char *comment;	/* Slurm job comment, may be NULL */
	const char *work_dir;	/* the job's working directory (absolute), may be NULL */
	const char *pipeline;	/* explicit (--sexec-pipeline / SEXEC_PIPELINE), may be NULL or "" */
	const char *run;	/* explicit (--sexec-run / SEXEC_RUN) */
	const char *labels;	/* explicit labels "k=v,..."; validated again here */
};

struct sexec_wf {
	char engine[SEXEC_WF_ENGINE_MAX];	/* "nextflow", "snakemake", "cromwell", or "" */
	char pipeline[SEXEC_WF_STR_MAX];	/* may be "" */
	char run[SEXEC_WF_STR_MAX];
	char task[SEXEC_WF_STR_MAX];	/* Nextflow process, Snakemake rule, Cromwell call */
	struct sexec_labels labels;
};

/* Detects the workflow engine from the job's name, comment and working directory,
 * then applies the explicit values, which always win over detected ones. Strings
 * are made valid UTF-8 without control characters and cut at a character
 * boundary to fit. Returns 0 (also when nothing is detected), or -EINVAL when the
 * explicit labels are malformed or too many: *out then holds the detection result
 * and the explicit pipeline and run, without any explicit label; reason in err. */
int workflow_detect(const struct sexec_wf_in *in, struct sexec_wf *out, char *err, size_t errlen);

/* Would the job comment change what workflow_detect() finds for a job of this
 * name? Only for Snakemake's jobs, named by their run's UUID: the comment is
 * costly to get (slurmctld has it), so it is asked for only then. */
int workflow_wants_comment(const char *job_name);

#endif
