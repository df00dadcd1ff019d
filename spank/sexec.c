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
	/* The option exists wherever a job is described: srun, sbatch, salloc
	 * and slurmstepd. A failed registration only loses the option. */
	if (spank_option_register(sp, &sexec_option) != ESPANK_SUCCESS)
		slurm_verbose("sexec: could not register --sexec");
	if (spank_context() == S_CTX_REMOTE)
		args_parse(&sexec_args, ac, av);
	return ESPANK_SUCCESS;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp)) {
		args_decide(sp, &sexec_args);
		if (sexec_observe)
			remote_step_init(sp);
	}
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
	if (spank_remote(sp) && sexec_observe)
		remote_exit(sp);
	return ESPANK_SUCCESS;
}
