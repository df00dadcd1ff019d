// SPDX-License-Identifier: GPL-2.0-or-later
/* The sexec SPANK plugin's only entry points: dispatch on the Slurm context
 * to one module per context. Every path returns success: observation must
 * never fail or stall a user's job. */
#include <slurm/spank.h>

#include "plugin.h"

SPANK_PLUGIN(sexec, 1);

struct sexec_args sexec_args;

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	struct spank_option *o;

	/* The options exist wherever a job is described: srun, sbatch, salloc
	 * and slurmstepd. A failed registration only loses that option. */
	for (o = sexec_options; o->name; o++)
		if (spank_option_register(sp, o) != ESPANK_SUCCESS)
			slurm_verbose("sexec: could not register --%s", o->name);
	if (spank_context() == S_CTX_REMOTE)
		args_parse(&sexec_args, ac, av);
	return ESPANK_SUCCESS;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (!spank_remote(sp)) {
		/* srun, sbatch, salloc: the job's environment carries the
		 * user's attribution to every step, nested sruns included. */
		if (spank_context() == S_CTX_LOCAL || spank_context() == S_CTX_ALLOCATOR)
			args_export();
		return ESPANK_SUCCESS;
	}
	args_decide(sp, &sexec_args);
	/* The extern step never sees the user's --sexec; the collector only
	 * watches it once a task of the job registers, so it registers unless
	 * the site observes nothing. */
	if (!sexec_observe && !(remote_is_extern(sp) && sexec_args.policy != POLICY_NEVER))
		return ESPANK_SUCCESS;
	if (sexec_args.autostart)
		remote_autostart(&sexec_args);
	remote_step_init(sp);
	remote_step_begin(sp);
	return ESPANK_SUCCESS;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp) && sexec_observe)
		remote_task_init_privileged(sp);
	return ESPANK_SUCCESS;
}

int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp) && sexec_observe)
		remote_task_exit(sp);
	return ESPANK_SUCCESS;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp) &&
	    (sexec_observe || (remote_is_extern(sp) && sexec_args.policy != POLICY_NEVER)))
		remote_exit(sp);
	return ESPANK_SUCCESS;
}
