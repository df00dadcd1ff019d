/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-step observation beyond the process records: time per state and busy
 * time per CPU from BPF, cgroup statistics and pressure, timeline samples. */
#ifndef SEXEC_STEPSTAT_H
#define SEXEC_STEPSTAT_H

#include <stdint.h>
#include <time.h>

#include "sexec/conf.h"
#include "sexec/record.h"
#include "probe.h"
#include "store.h"

struct stepstat;

/* A task of the step registered (ss NULL: the first; returns the new one,
 * NULL when out of memory). On a hybrid host the task is placed in the
 * step's own v2 cgroup. */
struct stepstat *stepstat_task(struct stepstat *ss, const struct sexec_conf *conf,
			       const struct sexec_step_info *info, const char *step, uint32_t pid);
/* Is a timeline sample due (the first one is due at once)? */
int stepstat_due(struct stepstat *ss, const struct sexec_conf *conf, time_t now);
/* Write a timeline sample of the step's registrations (cookies). */
void stepstat_sample(struct stepstat *ss, const struct sexec_conf *conf, struct probe *p,
		     const uint64_t *cookies, int n, struct store *st,
		     const struct sexec_step_info *info, const char *step, uint64_t t_us);
/* At step end: time per state, cgroup statistics, the last sample and busy
 * time per CPU. ss may be NULL (nothing but the BPF totals then). */
void stepstat_finish(struct stepstat *ss, const struct sexec_conf *conf, struct probe *p,
		     const uint64_t *cookies, int n, uint64_t oom_procs, struct store *st,
		     const struct sexec_step_info *info, const char *step, uint64_t end_us);
/* Read the step's cgroups now (they may be gone by the step's end). */
void stepstat_refresh(struct stepstat *ss);
/* At start-up: remove the empty per-step v2 cgroups an earlier collector
 * left (it was killed, or processes outlived their step). */
void stepstat_sweep(void);
/* Remove the step's own v2 cgroup (when empty) and free. NULL is a no-op. */
void stepstat_free(struct stepstat *ss);

#endif
