/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared state of the sexec SPANK plugin: its plugstack arguments and the
 * per-context modules the dispatcher in sexec.c calls. */
#ifndef SEXEC_SPANK_PLUGIN_H
#define SEXEC_SPANK_PLUGIN_H

#include <slurm/spank.h>

#include "sexec/conf.h"

/* Site policy (plugstack enable=): may users opt out, or must they opt in? */
enum sexec_policy { POLICY_OPTOUT = 0, POLICY_ALWAYS, POLICY_OPTIN, POLICY_NEVER };

struct sexec_args {
	char socket_path[108];
	int timeout_ms; /* how long a task launch may wait for the collector */
	enum sexec_policy policy;
};

/* Whether this job is observed: the policy and the user's --sexec=on|off. */
extern int sexec_observe;

extern struct sexec_args sexec_args;

/* Parse plugstack.conf arguments; unknown keys and bad values are logged and
 * ignored (the plugin must never fail a job). Returns the number of problems. */
int args_parse(struct sexec_args *a, int ac, char **av);

/* --sexec=on|off, registered in every context so srun/sbatch accept it and
 * slurmstepd sees its value. */
extern struct spank_option sexec_option;
/* Decide sexec_observe from the policy and the option (remote context). */
void args_decide(spank_t sp, const struct sexec_args *a);

/* Remote (slurmstepd) context. remote_step_init gathers the step's
 * description once, before any task is forked. */
void remote_step_init(spank_t sp);
int remote_task_init_privileged(spank_t sp);
int remote_task_exit(spank_t sp);
int remote_exit(spank_t sp);

#endif
