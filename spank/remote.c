// SPDX-License-Identifier: GPL-2.0-or-later
/* Remote (slurmstepd) context: register each task with sexecd from inside
 * the task before it execs, so none of its children escape, and report task
 * and step ends. Failures are logged once and the job goes on. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin.h"
#include "sexec/proto.h"

/* The step's description, gathered once in slurmstepd (remote_step_init)
 * and inherited by every task it forks: the user lookup (NSS: LDAP, sssd)
 * must not run in a task between fork and exec. */
static struct sexec_step_info remote_step;
static int remote_step_ready;

/* Step description from Slurm's items and the job environment. */
static void remote_step_info(spank_t sp, struct sexec_step_info *s)
{
	char buf[64], *p;
	uint32_t u32;
	uint64_t u64;
	uint16_t u16;
	uid_t uid;
	gid_t gid;
	char *cores = NULL;
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];

	memset(s, 0, sizeof(*s));
	s->array_task_id = SEXEC_NO_VAL;
	if (spank_get_item(sp, S_JOB_ID, &u32) == ESPANK_SUCCESS)
		s->job_id = u32;
	if (spank_get_item(sp, S_JOB_STEPID, &u32) == ESPANK_SUCCESS)
		s->step_id = u32;
	if (spank_get_item(sp, S_JOB_ARRAY_ID, &u32) == ESPANK_SUCCESS && u32 != 0) {
		s->array_job_id = u32;
		if (spank_get_item(sp, S_JOB_ARRAY_TASK_ID, &u32) == ESPANK_SUCCESS)
			s->array_task_id = u32;
	}
	if (spank_get_item(sp, S_JOB_UID, &uid) == ESPANK_SUCCESS)
		s->uid = uid;
	if (spank_get_item(sp, S_JOB_GID, &gid) == ESPANK_SUCCESS)
		s->gid = gid;
	if (getpwuid_r(s->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) == 0 && pwp)
		snprintf(s->user, sizeof(s->user), "%s", pw.pw_name);
	else
		snprintf(s->user, sizeof(s->user), "%u", s->uid);
	if (spank_get_item(sp, S_JOB_NNODES, &u32) == ESPANK_SUCCESS)
		s->nnodes = u32;
	if (spank_get_item(sp, S_JOB_TOTAL_TASK_COUNT, &u32) == ESPANK_SUCCESS)
		s->ntasks = u32;
	if (spank_get_item(sp, S_SLURM_RESTART_COUNT, &u32) == ESPANK_SUCCESS)
		s->restarts = u32;
	if (spank_get_item(sp, S_STEP_ALLOC_MEM, &u64) == ESPANK_SUCCESS)
		s->alloc_mem_mb = u64;
	if (spank_get_item(sp, S_STEP_ALLOC_CORES, &cores) == ESPANK_SUCCESS && cores)
		snprintf(s->alloc_cores, sizeof(s->alloc_cores), "%s", cores);
	/* CPUs of this job on this node: the environment has it per node. */
	if (spank_getenv(sp, "SLURM_CPUS_ON_NODE", buf, sizeof(buf)) == ESPANK_SUCCESS)
		s->alloc_cpus = (uint32_t)strtoul(buf, NULL, 10);
	else if (spank_get_item(sp, S_JOB_NCPUS, &u16) == ESPANK_SUCCESS)
		s->alloc_cpus = u16;
	if (spank_getenv(sp, "SLURM_CLUSTER_NAME", s->cluster, sizeof(s->cluster)) !=
	    ESPANK_SUCCESS)
		snprintf(s->cluster, sizeof(s->cluster), "default");
	if (spank_getenv(sp, "SLURMD_NODENAME", s->node, sizeof(s->node)) != ESPANK_SUCCESS) {
		if (gethostname(s->node, sizeof(s->node)))
			snprintf(s->node, sizeof(s->node), "unknown");
		s->node[sizeof(s->node) - 1] = '\0';
		p = strchr(s->node, '.');
		if (p)
			*p = '\0';
	}
	if (spank_getenv(sp, "SLURM_JOB_NAME", s->job_name, sizeof(s->job_name)) != ESPANK_SUCCESS)
		s->job_name[0] = '\0';
	if (spank_getenv(sp, "SLURM_JOB_PARTITION", s->partition, sizeof(s->partition)) !=
	    ESPANK_SUCCESS)
		s->partition[0] = '\0';
	if (spank_getenv(sp, "SLURM_JOB_ACCOUNT", s->account, sizeof(s->account)) != ESPANK_SUCCESS)
		s->account[0] = '\0';
}

/* Send one message and wait for the collector's answer (bounded). */
static int remote_send(uint16_t type, const struct sexec_step_info *s,
		       const struct sexec_task_info *t, int32_t status, int have_status)
{
	char why[SEXEC_STR_MAX + 1];
	int err;

	err = client_send(sexec_args.socket_path, type, (uint32_t)getpid(), s, t,
			  have_status ? &status : NULL, sexec_args.timeout_ms, why, sizeof(why));
	if (err && why[0])
		slurm_error("sexec: collector refused the request: %s", why);
	return err;
}

void remote_step_init(spank_t sp)
{
	remote_step_info(sp, &remote_step);
	remote_step_ready = 1;
}

static const struct sexec_step_info *remote_get_step(spank_t sp)
{
	if (!remote_step_ready)
		remote_step_init(sp);
	return &remote_step;
}

int remote_task_init_privileged(spank_t sp)
{
	const struct sexec_step_info *sinfo = remote_get_step(sp);
	struct sexec_step_info s = *sinfo;
	struct sexec_task_info t = { .gtask_id = SEXEC_NO_VAL };
	uint32_t u32;
	int id, err;

	if (spank_get_item(sp, S_TASK_ID, &id) == ESPANK_SUCCESS)
		t.task_id = (uint32_t)id;
	if (spank_get_item(sp, S_TASK_GLOBAL_ID, &u32) == ESPANK_SUCCESS)
		t.gtask_id = u32;
	t.pid = (uint32_t)getpid();
	err = remote_send(SEXEC_MSG_TASK_BEGIN, &s, &t, 0, 0);
	if (err)
		slurm_info("sexec: job %u task %u not observed: collector at %s: %s", s.job_id,
			   t.task_id, sexec_args.socket_path, strerror(-err));
	return 0;
}

int remote_task_exit(spank_t sp)
{
	struct sexec_step_info s = *remote_get_step(sp);
	struct sexec_task_info t = { .gtask_id = SEXEC_NO_VAL };
	uint32_t u32;
	pid_t pid;
	int id, status = 0;

	if (spank_get_item(sp, S_TASK_ID, &id) == ESPANK_SUCCESS)
		t.task_id = (uint32_t)id;
	if (spank_get_item(sp, S_TASK_GLOBAL_ID, &u32) == ESPANK_SUCCESS)
		t.gtask_id = u32;
	if (spank_get_item(sp, S_TASK_PID, &pid) == ESPANK_SUCCESS)
		t.pid = (uint32_t)pid;
	spank_get_item(sp, S_TASK_EXIT_STATUS, &status);
	/* Nothing to log on failure: task init already said it once. */
	remote_send(SEXEC_MSG_TASK_END, &s, &t, status, 1);
	return 0;
}

int remote_exit(spank_t sp)
{
	struct sexec_step_info s = *remote_get_step(sp);

	if (s.job_id)
		remote_send(SEXEC_MSG_STEP_END, &s, NULL, 0, 0);
	return 0;
}
