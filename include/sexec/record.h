/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a step, a task and a process record are, as the plugin reports them and
 * the collector stores them. Shared by plugin, collector, CLI and unit tests. */
#ifndef SEXEC_RECORD_H
#define SEXEC_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define SEXEC_NAME_MAX 256
#define SEXEC_STEP_NAME_MAX 32
#define SEXEC_LABELS_STR_MAX 1024
#define SEXEC_WORK_DIR_MAX 1024
/* Time states, in this order everywhere: on a CPU, run queue, I/O, memory,
 * other sleep (enum sexec_tstate_kind in event.h). */
#define SEXEC_TIME_N 5

/* Slurm's special step ids (slurm.h), kept here so lib/ needs no Slurm headers. */
#define SEXEC_STEP_PENDING 0xfffffffdu
#define SEXEC_STEP_EXTERN 0xfffffffcu
#define SEXEC_STEP_BATCH 0xfffffffbu
#define SEXEC_STEP_INTERACTIVE 0xfffffffau

#define SEXEC_NO_VAL 0xfffffffeu /* an id that is not set (Slurm's NO_VAL) */

struct sexec_step_info {
	char cluster[SEXEC_NAME_MAX];
	char node[SEXEC_NAME_MAX];
	uint32_t job_id;
	uint32_t array_job_id;  /* 0 when not an array */
	uint32_t array_task_id; /* SEXEC_NO_VAL when not an array */
	uint32_t step_id;
	uint32_t uid, gid;
	char user[SEXEC_NAME_MAX];
	char job_name[SEXEC_NAME_MAX];
	char partition[SEXEC_NAME_MAX];
	char account[SEXEC_NAME_MAX];
	uint32_t alloc_cpus;
	uint64_t alloc_mem_mb;
	char alloc_cores[SEXEC_NAME_MAX];
	uint32_t restarts;
	uint32_t nnodes;
	uint32_t ntasks;
	/* Attribution the user asked for (options, environment, site defaults):
	 * labels in canonical "k=v,k=v" form (lib/workflow.h). */
	char pipeline[SEXEC_NAME_MAX];
	char run[SEXEC_NAME_MAX];
	char labels[SEXEC_LABELS_STR_MAX];
	char work_dir[SEXEC_WORK_DIR_MAX]; /* the job's working directory */
};

struct sexec_task_info {
	uint32_t task_id;
	uint32_t gtask_id;
	uint32_t pid;
};

/* Step name as sacct prints it after the dot: "batch", "extern", "interactive", "3". */
int record_step_name(uint32_t step_id, char *buf, size_t len);

/* Parse a step name back ("batch" -> SEXEC_STEP_BATCH); -EINVAL when malformed. */
int record_step_parse(const char *name, uint32_t *step_id);

#endif
