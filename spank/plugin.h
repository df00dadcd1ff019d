/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared state of the sexec SPANK plugin: its plugstack arguments and the
 * per-context modules the dispatcher in sexec.c calls. */
#ifndef SEXEC_SPANK_PLUGIN_H
#define SEXEC_SPANK_PLUGIN_H

#include <slurm/spank.h>

#include "sexec/conf.h"
#include "sexec/record.h"

/* Site policy (plugstack enable=): may users opt out, or must they opt in? */
enum sexec_policy { POLICY_OPTOUT = 0, POLICY_ALWAYS, POLICY_OPTIN, POLICY_NEVER };

struct sexec_args {
	char socket_path[108];
	int timeout_ms; /* how long a task launch may wait for the collector */
	enum sexec_policy policy;
	int autostart;  /* start sexecd from slurmstepd when its socket is absent */
	char sexecd_path[256];
	char labels[SEXEC_LABELS_STR_MAX]; /* site default labels, "k=v,k=v" */
};

/* Whether this job is observed: the policy and the user's --sexec=on|off. */
extern int sexec_observe;

extern struct sexec_args sexec_args;

/* Parse plugstack.conf arguments; unknown keys and bad values are logged and
 * ignored (the plugin must never fail a job). Returns the number of problems. */
int args_parse(struct sexec_args *a, int ac, char **av);

/* --sexec=on|off, --sexec-pipeline, --sexec-run and --sexec-label, registered
 * in every context so srun/sbatch/salloc accept them and slurmstepd sees them. */
extern struct spank_option sexec_options[];
/* Decide sexec_observe from the policy and the option (remote context). */
void args_decide(spank_t sp, const struct sexec_args *a);
/* srun/sbatch/salloc: pass the user's attribution on in the job's environment
 * (SEXEC_PIPELINE, SEXEC_RUN, SEXEC_LABELS), where every later step sees it. */
void args_export(void);
/* slurmstepd: the step's pipeline, run and labels from the site defaults, the
 * job environment and the options, in that order of precedence (last wins). */
void args_attribution(spank_t sp, const struct sexec_args *a, struct sexec_step_info *s);

/* Remote (slurmstepd) context. remote_step_init gathers the step's
 * description once, before any task is forked. */
void remote_step_init(spank_t sp);
/* Start sexecd if its socket is absent (plugstack autostart=yes). */
void remote_autostart(const struct sexec_args *a);
/* Is this the extern step? */
int remote_is_extern(spank_t sp);
/* Register a step that has no tasks (extern) so adopted processes are followed. */
int remote_step_begin(spank_t sp);
int remote_task_init_privileged(spank_t sp);
int remote_task_exit(spank_t sp);
int remote_exit(spank_t sp);

#endif
