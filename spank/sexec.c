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
	if (spank_context() == S_CTX_REMOTE)
		args_parse(&sexec_args, ac, av);
	(void)sp;
	return ESPANK_SUCCESS;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp) && !sexec_args.disabled)
		remote_task_init_privileged(sp);
	return ESPANK_SUCCESS;
}

int slurm_spank_task_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp) && !sexec_args.disabled)
		remote_task_exit(sp);
	return ESPANK_SUCCESS;
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	if (spank_remote(sp) && !sexec_args.disabled)
		remote_exit(sp);
	return ESPANK_SUCCESS;
}
