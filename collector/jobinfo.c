// SPDX-License-Identifier: GPL-2.0-or-later
/* What a job belongs to: its pipeline, run, workflow task and labels, from
 * what the user said (options, environment) and what the job's shape gives
 * away (docs/workflows.md). The job comment is only known to slurmctld, so a
 * thread of its own asks squeue for it, bounded in time, and the event loop
 * never waits for Slurm. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sexec/log.h"
#include "sexec/workflow.h"
#include "jobinfo.h"

#define JOBINFO_QUEUE_MAX 4096
#define JOBINFO_TIMEOUT_MS 5000
/* squeue talks to slurmctld: wait until the job launch is over. */
#define JOBINFO_DELAY_MS 2000

extern char **environ;

struct jobreq {
	struct jobreq *next;
	char cluster[SEXEC_NAME_MAX];
	uint32_t job_id;
	char job_name[SEXEC_NAME_MAX];
	char work_dir[SEXEC_WORK_DIR_MAX];
	char pipeline[SEXEC_NAME_MAX];
	char run[SEXEC_NAME_MAX];
	char labels[SEXEC_LABELS_STR_MAX];
	int primary;       /* the job's first node: asks for its TRES */
	int wants_comment; /* the comment says what the job is (workflow.h) */
	uint64_t not_before_ms;
};

struct jobinfo {
	struct store *store;
	char squeue[256];
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct jobreq *head, **tail;
	unsigned int queued;
	int stopping, started;
};

static uint64_t jobinfo_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Ask squeue for the job's allocated TRES ("cpu=2,mem=4G,node=1,billing=2,
 * gres/gpu=1") and comment, as "TRES|comment". Returns 0 with them (maybe
 * empty), or -errno when squeue could not answer in time. */
static int jobinfo_squeue(const char *squeue, uint32_t job_id, char *out, size_t len)
{
	char jobs[32], *argv[] = { (char *)squeue, "--noheader", "--states=all", jobs,
				   "--Format=tres-alloc:0|,comment:0", NULL };
	posix_spawn_file_actions_t fa;
	uint64_t deadline = jobinfo_ms() + JOBINFO_TIMEOUT_MS;
	size_t got = 0;
	int fds[2], st, err;
	pid_t pid;

	snprintf(jobs, sizeof(jobs), "--jobs=%u", job_id);
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	err = posix_spawnp(&pid, squeue, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (err) {
		close(fds[0]);
		return -err;
	}
	for (;;) {
		struct pollfd p = { .fd = fds[0], .events = POLLIN };
		int64_t left = (int64_t)(deadline - jobinfo_ms());
		ssize_t n;

		int pr;

		if (left <= 0 || (pr = poll(&p, 1, (int)left)) == 0) {
			err = -ETIMEDOUT;
			kill(pid, SIGKILL);
			break;
		}
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			kill(pid, SIGKILL);
			break;
		}
		n = read(fds[0], out + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	close(fds[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	out[got] = '\0';
	if (err)
		return err;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return -EIO;
	out[strcspn(out, "\n")] = '\0'; /* one line per job: the first is ours */
	return 0;
}

static void jobinfo_describe_now(struct jobinfo *ji, const struct jobreq *r, const char *comment,
				 const char *tres)
{
	struct sexec_wf_in in = { r->job_name, comment, r->work_dir, r->pipeline, r->run,
				  r->labels };
	struct sexec_wf *wf = calloc(1, sizeof(*wf));
	char err[256], labels[SEXEC_LABELS_STR_MAX];
	struct job_meta m;

	if (!wf)
		return;
	if (workflow_detect(&in, wf, err, sizeof(err)))
		log_warn("job %u: labels ignored: %s", r->job_id, err);
	if (labels_format(&wf->labels, labels, sizeof(labels)) < 0) {
		log_warn("job %u: labels longer than %zu bytes ignored", r->job_id, sizeof(labels));
		labels[0] = '\0';
	}
	m = (struct job_meta){ r->cluster, r->job_id, wf->pipeline, wf->run, wf->engine, wf->task,
			       labels, r->work_dir, comment, tres };
	store_put_job_meta(ji->store, &m);
	log_debug("job %u: workflow '%s' pipeline '%s' run '%s' task '%s' labels '%s'", r->job_id,
		  wf->engine, wf->pipeline, wf->run, wf->task, labels);
	free(wf);
}

static void *jobinfo_main(void *arg)
{
	struct jobinfo *ji = arg;
	char line[SEXEC_NAME_MAX * 6], *bar;
	const char *comment;

	pthread_mutex_lock(&ji->lock);
	for (;;) {
		struct jobreq *r;
		int err;

		while (!ji->head && !ji->stopping)
			pthread_cond_wait(&ji->cond, &ji->lock);
		if (!ji->head)
			break;
		r = ji->head;
		if (!ji->stopping && jobinfo_ms() < r->not_before_ms) {
			struct timespec ts;
			uint64_t ms;

			clock_gettime(CLOCK_REALTIME, &ts);
			ms = r->not_before_ms - jobinfo_ms();
			ts.tv_sec += (time_t)(ms / 1000);
			ts.tv_nsec += (long)(ms % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&ji->cond, &ji->lock, &ts);
			continue;
		}
		ji->head = r->next;
		if (!ji->head)
			ji->tail = &ji->head;
		ji->queued--;
		pthread_mutex_unlock(&ji->lock);

		line[0] = '\0';
		if (ji->squeue[0] && !ji->stopping) {
			err = jobinfo_squeue(ji->squeue, r->job_id, line, sizeof(line));
			if (err == -EIO) {
				/* squeue ran but does not know the job (not Slurm's). */
				log_debug("job %u: %s does not know it", r->job_id, ji->squeue);
				line[0] = '\0';
			} else if (err) {
				log_warn("job %u: no TRES or comment from %s: %s", r->job_id,
					 ji->squeue, strerror(-err));
				line[0] = '\0';
			}
		}
		/* TRES hold no '|': the comment is all after the first one. */
		bar = strchr(line, '|');
		comment = bar && r->wants_comment ? bar + 1 : "";
		if (bar)
			*bar = '\0';
		if (strcmp(comment, "(null)") == 0)
			comment = "";
		jobinfo_describe_now(ji, r, comment, r->primary && bar ? line : "");
		free(r);
		pthread_mutex_lock(&ji->lock);
	}
	pthread_mutex_unlock(&ji->lock);
	return NULL;
}

struct jobinfo *create_jobinfo(struct store *store, const char *squeue)
{
	struct jobinfo *ji = calloc(1, sizeof(*ji));

	if (!ji)
		return NULL;
	ji->store = store;
	snprintf(ji->squeue, sizeof(ji->squeue), "%s", squeue ? squeue : "");
	ji->tail = &ji->head;
	pthread_mutex_init(&ji->lock, NULL);
	pthread_cond_init(&ji->cond, NULL);
	if (pthread_create(&ji->thread, NULL, jobinfo_main, ji)) {
		log_warn("jobinfo: no thread (%s): job comments are not looked up",
			 strerror(errno));
		ji->squeue[0] = '\0';
	} else {
		ji->started = 1;
	}
	return ji;
}

void destroy_jobinfo(struct jobinfo *ji)
{
	if (!ji)
		return;
	pthread_mutex_lock(&ji->lock);
	ji->stopping = 1; /* what is queued is still described, without squeue */
	pthread_cond_signal(&ji->cond);
	pthread_mutex_unlock(&ji->lock);
	if (ji->started)
		pthread_join(ji->thread, NULL);
	pthread_mutex_destroy(&ji->lock);
	pthread_cond_destroy(&ji->cond);
	free(ji);
}

void jobinfo_request(struct jobinfo *ji, const struct sexec_step_info *st, int primary)
{
	struct jobreq *r = calloc(1, sizeof(*r));

	if (!r)
		return;
	snprintf(r->cluster, sizeof(r->cluster), "%s", st->cluster);
	r->job_id = st->job_id;
	snprintf(r->job_name, sizeof(r->job_name), "%s", st->job_name);
	snprintf(r->work_dir, sizeof(r->work_dir), "%s", st->work_dir);
	snprintf(r->pipeline, sizeof(r->pipeline), "%s", st->pipeline);
	snprintf(r->run, sizeof(r->run), "%s", st->run);
	snprintf(r->labels, sizeof(r->labels), "%s", st->labels);
	r->primary = primary;
	r->wants_comment = workflow_wants_comment(r->job_name);
	r->not_before_ms = jobinfo_ms() + JOBINFO_DELAY_MS;
	/* Described at once (and so journaled) unless the comment decides the
	 * description; the TRES, if this node asks, follow. */
	if (!r->wants_comment)
		jobinfo_describe_now(ji, r, "", "");
	pthread_mutex_lock(&ji->lock);
	if (!ji->started || !ji->squeue[0] || ji->queued >= JOBINFO_QUEUE_MAX ||
	    (!primary && !r->wants_comment)) {
		/* Neither TRES nor a comment wanted (or to be had). */
		pthread_mutex_unlock(&ji->lock);
		if (r->wants_comment)
			jobinfo_describe_now(ji, r, "", "");
		free(r);
		return;
	}
	*ji->tail = r;
	ji->tail = &r->next;
	ji->queued++;
	pthread_cond_signal(&ji->cond);
	pthread_mutex_unlock(&ji->lock);
}
