/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Job descriptions (pipeline, run, workflow task, labels, allocated TRES),
 * worked out off the event loop: the comment and TRES come from squeue,
 * which may be slow. */
#ifndef SEXEC_JOBINFO_H
#define SEXEC_JOBINFO_H

#include "sexec/record.h"
#include "store.h"

struct jobinfo;

/* squeue: path or name of squeue; "" never asks (no comment-based detection). */
struct jobinfo *create_jobinfo(struct store *store, const char *squeue);
void destroy_jobinfo(struct jobinfo *ji);
/* Describe the job of this step once: never blocks on Slurm. primary: this
 * node asks slurmctld (squeue) for the job's allocated TRES (GPUs, billing);
 * one node per job, so a large job costs slurmctld one query. */
void jobinfo_request(struct jobinfo *ji, const struct sexec_step_info *st, int primary);

#endif
