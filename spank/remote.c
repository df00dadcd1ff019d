// SPDX-License-Identifier: GPL-2.0-or-later
/* Remote (slurmstepd) context: register each task with sexecd from inside
 * the task before it execs, so none of its children escape, and report task
 * and step ends. Failures are logged once and the job goes on. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"
#include "sexec/cgroup.h"
#include "sexec/proto.h"
#include "sexec/slurmfmt.h"

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
	/* Slurm 22.05 leaves the item at 0 in batch steps; the job
	 * environment has the count. */
	if (spank_getenv(sp, "SLURM_RESTART_COUNT", buf, sizeof(buf)) == ESPANK_SUCCESS &&
	    strtoul(buf, NULL, 10) > s->restarts)
		s->restarts = (uint32_t)strtoul(buf, NULL, 10);
	if (spank_get_item(sp, S_STEP_ALLOC_MEM, &u64) == ESPANK_SUCCESS)
		s->alloc_mem_mb = u64;
	if (spank_get_item(sp, S_STEP_ALLOC_CORES, &cores) == ESPANK_SUCCESS && cores)
		snprintf(s->alloc_cores, sizeof(s->alloc_cores), "%s", cores);
	cores = NULL;
	/* CPUs of this job on this node: the environment has it per node. */
	if (spank_getenv(sp, "SLURM_CPUS_ON_NODE", buf, sizeof(buf)) == ESPANK_SUCCESS)
		s->alloc_cpus = (uint32_t)strtoul(buf, NULL, 10);
	else if (spank_get_item(sp, S_JOB_NCPUS, &u16) == ESPANK_SUCCESS)
		s->alloc_cpus = u16;
	/* The extern step has neither: count the job's cores on this node. */
	if (!s->alloc_cpus && spank_get_item(sp, S_JOB_ALLOC_CORES, &cores) == ESPANK_SUCCESS &&
	    cores && slurmfmt_idlist_count(cores) > 0)
		s->alloc_cpus = (uint32_t)slurmfmt_idlist_count(cores);
	cores = NULL;
	/* The extern step has no job environment: the collector then uses the
	 * cluster name it read from slurm.conf. */
	if (spank_getenv(sp, "SLURM_CLUSTER_NAME", s->cluster, sizeof(s->cluster)) !=
	    ESPANK_SUCCESS)
		s->cluster[0] = '\0';
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
	args_attribution(sp, &sexec_args, s);
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
	/* slurmstepd has moved into the job's working directory (-D) by now. */
	if (!getcwd(s.work_dir, sizeof(s.work_dir)))
		s.work_dir[0] = '\0';
	err = remote_send(SEXEC_MSG_TASK_BEGIN, &s, &t, 0, 0);
	if (err)
		slurm_info("sexec: job %u task %u not observed: collector at %s: %s", s.job_id,
			   t.task_id, sexec_args.socket_path, strerror(-err));
	return 0;
}

int remote_is_extern(spank_t sp)
{
	uint32_t step;

	return spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS &&
	       step == SEXEC_STEP_EXTERN;
}

int remote_step_begin(spank_t sp)
{
	const struct sexec_step_info *s = remote_get_step(sp);
	int err;

	/* The extern step has no task of ours, but pam_slurm_adopt moves ssh
	 * sessions into it: the collector watches the job's cgroups instead. */
	if (s->step_id != SEXEC_STEP_EXTERN)
		return 0;
	err = remote_send(SEXEC_MSG_STEP_BEGIN, s, NULL, 0, 0);
	if (err)
		slurm_info("sexec: job %u extern step not observed: collector at %s: %s", s->job_id,
			   sexec_args.socket_path, strerror(-err));
	return 0;
}

/* Can the collector be reached? 0, or -errno of the connect. Never blocks:
 * a hung collector's full backlog (EAGAIN) counts as running. */
static int remote_probe_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err = 0;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EAGAIN &&
	    errno != EINPROGRESS)
		err = -errno;
	close(fd);
	return err;
}

/* In the grandchild: leave the job's cgroups (Slurm kills what is left in
 * them at the end of the step), the session and the descriptors of
 * slurmstepd, then become sexecd. An exec failure is written to report. */
static void remote_exec_sexecd(const struct sexec_args *a, int report)
{
	char *argv[] = { "sexecd", "--socket", (char *)a->socket_path, NULL };
	char *envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	sigset_t none;
	int fd, sig, err;

	cgroup_move_to_root(getpid());
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	for (fd = 3; fd < 65536; fd++) {
		if (fd == report)
			continue;
		if (close(fd) && errno == EBADF && fd > 1024)
			break; /* past the open ones in practice */
	}
	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	umask(022);
	if (chdir("/") == 0)
		execve(a->sexecd_path, argv, envp);
	err = errno;
	if (write(report, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

void remote_autostart(const struct sexec_args *a)
{
	struct timespec ts = { 0, 20 * 1000000L };
	int err = remote_probe_socket(a->socket_path), waited, st, pfd[2];
	struct pollfd p;
	pid_t pid;

	if (err != -ENOENT && err != -ECONNREFUSED)
		return; /* running (or something autostart cannot mend) */
	if (access(a->sexecd_path, X_OK)) {
		slurm_error("sexec: cannot start %s: %s", a->sexecd_path, strerror(errno));
		return;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		slurm_error("sexec: cannot start %s: pipe: %s", a->sexecd_path, strerror(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		slurm_error("sexec: cannot start %s: fork: %s", a->sexecd_path, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		setsid();
		if (fork() == 0)
			remote_exec_sexecd(a, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* The write end closes on a successful exec, or carries its errno. */
	p = (struct pollfd){ .fd = pfd[0], .events = POLLIN };
	if (poll(&p, 1, a->timeout_ms) == 1 && read(pfd[0], &err, sizeof(err)) == sizeof(err)) {
		close(pfd[0]);
		slurm_error("sexec: cannot start %s: %s", a->sexecd_path, strerror(err));
		return;
	}
	close(pfd[0]);
	/* Two steps starting at once may both get here: the second sexecd
	 * finds the first one's lock and leaves. */
	for (waited = 0; waited < a->timeout_ms; waited += 20) {
		if (remote_probe_socket(a->socket_path) == 0) {
			slurm_info("sexec: started %s (collector up after %d ms)", a->sexecd_path,
				   waited);
			return;
		}
		nanosleep(&ts, NULL);
	}
	slurm_error("sexec: started %s, but its socket %s did not answer within %d ms",
		    a->sexecd_path, a->socket_path, a->timeout_ms);
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
