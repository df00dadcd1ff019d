// SPDX-License-Identifier: GPL-2.0-or-later
/* Attribution state of sexecd: steps and task registrations from the plugin,
 * the live process table from BPF events, and the record built at each exit. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sexec/cgroup.h"
#include "sexec/event.h"
#include "sexec/log.h"
#include "sexec/tool.h"
#include "htab.h"
#include "jobinfo.h"
#include "stepstat.h"
#include "tracker.h"

#define TRACKER_STEP_GRACE_S 30
#define TRACKER_CG_MAX 16 /* how long a finished step waits for stray processes */
#define TRACKER_DEFER_MAX 16

struct tstep {
	struct sexec_step_info info;
	char name[SEXEC_STEP_NAME_MAX];
	uint64_t key;
	uint64_t live;          /* tracked processes not yet exited */
	uint64_t nprocs;        /* processes that ended */
	uint64_t nrows;         /* of those, written as rows */
	struct tool_drop *drops; /* per tool, the others (cap, full spool) */
	size_t ndrops;
	int rolled_up;          /* per-tool totals written at least once */
	uint64_t lost_base;     /* unattributed node losses when the step began */
	uint64_t lost;          /* events lost for this step's registrations */
	int ended, finalized;
	uint64_t end_us;
	time_t deadline;
	time_t idle_since; /* when its last process exited, if the step has not ended */
	struct treg *regs;
	uint64_t cgids[TRACKER_CG_MAX]; /* job cgroups watched for this (extern) step */
	int ncgids;
	/* An extern step waits for a task of its job before it is watched:
	 * only tasks carry the user's --sexec=off, which the extern step never
	 * sees. 0 once watched (or not an extern step). */
	uint32_t pending_pid;
	uint64_t start_us;
	char cg_path[SEXEC_CG_PATH_MAX]; /* one watched job cgroup: gone = job gone */
	struct stepstat *ss;  /* cgroups, time totals, samples (NULL: none yet) */
	uint64_t oom_procs;   /* processes the OOM killer chose */
};

/* Steps of one job on this node, and whether its description was asked for. */
struct tjob {
	uint32_t nsteps;
	uint32_t described; /* restart count + 1 of the run described */
};

struct treg {
	uint64_t cookie;
	struct tstep *step;
	struct sexec_task_info task;
	struct treg *next;
};

struct tproc {
	int restored; /* rebuilt from the pinned map after a collector restart */
	int missing;  /* sweeps that found it gone from the BPF map */
	uint64_t cookie;
	uint32_t ppid;
	char *exe;
	char *cwd;
	char *argv;
	uint32_t argv_len;
	int argv_trunc;
};

struct tracker {
	struct store *store;
	const struct sexec_conf *conf;
	struct probe *probe;
	struct htab *steps, *regs, *procs, *jobs;
	struct jobinfo *jobinfo;
	char cluster[SEXEC_NAME_MAX]; /* for registrations that do not name one */
	uint64_t max_rows;            /* process rows per step and node */
	uint64_t next_cookie;
	uint64_t final[TRACKER_DEFER_MAX]; /* steps to finalize once the reply is sent */
	int nfinal;
	/* Live registration of each BPF time-total slot (0: free). */
	uint64_t slot_owner[SEXEC_CAGG_SLOTS];
	long page_kb;
	struct tracker_stats st;
	const struct tool_rules *rules;
	unsigned int ticks;
	char state_path[160];
	int state_fd; /* append-only log of registrations, replayed after a restart */
};

static uint64_t tracker_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t tracker_boot_to_unix_us(uint64_t boot_ns)
{
	struct timespec rt, bt;
	int64_t off_ns;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	off_ns = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
	return (uint64_t)(((int64_t)boot_ns + off_ns) / 1000);
}

/* Losses BPF could not charge to a registration: charged to every step. */
static uint64_t tracker_node_losses(struct tracker *t)
{
	return t->probe ? probe_lost_unattributed(t->probe) : 0;
}

/* ---- registration log: what a restarted collector needs to attribute the
 * processes the pinned map still tracks ---- */

static void tracker_state_append(struct tracker *t, uint16_t type,
				 const struct sexec_step_info *st,
				 const struct sexec_task_info *task, uint64_t cookie, uint64_t time_us)
{
	uint8_t buf[SEXEC_MSG_MAX + 4];
	struct sexec_enc e;
	uint32_t n;
	int len;

	if (t->state_fd < 0)
		return;
	proto_enc_init(&e, buf + 4, SEXEC_MSG_MAX, type, 0);
	proto_put_step(&e, st);
	if (task)
		proto_put_task(&e, task);
	proto_put_u64(&e, SEXEC_T_COOKIE, cookie);
	proto_put_u64(&e, SEXEC_T_TIME_US, time_us);
	len = proto_enc_finish(&e);
	if (len < 0)
		return;
	n = (uint32_t)len;
	memcpy(buf, &n, sizeof(n));
	if (write(t->state_fd, buf, n + 4) != (ssize_t)(n + 4))
		log_warn("state: cannot append to %s: %s", t->state_path, strerror(errno));
}

struct rewrite_ctx {
	struct tracker *t;
};

static void rewrite_step_cb(uint64_t key, void *val, void *arg)
{
	struct tracker *t = arg;
	struct tstep *s = val;
	struct treg *r;

	(void)key;
	for (r = s->regs; r; r = r->next)
		tracker_state_append(t, r->task.task_id == SEXEC_NO_VAL ? SEXEC_MSG_STEP_BEGIN
									 : SEXEC_MSG_TASK_BEGIN,
				     &s->info, &r->task, r->cookie, s->start_us);
	if (s->regs && s->regs->task.task_id == SEXEC_NO_VAL && !s->pending_pid)
		tracker_state_append(t, SEXEC_MSG_STEP_WATCH, &s->info, &s->regs->task,
				     s->regs->cookie, s->start_us);
	if (s->ended)
		tracker_state_append(t, SEXEC_MSG_STEP_END, &s->info, NULL, 0, s->end_us);
}

/* Rewrite the log with the live registrations only (atomically). */
static void tracker_state_rewrite(struct tracker *t)
{
	char tmp[200];
	int fd, old = t->state_fd;

	if (!t->state_path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.new", t->state_path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_APPEND, 0600);
	if (fd < 0) {
		log_warn("state: cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	t->state_fd = fd;
	htab_each(t->steps, rewrite_step_cb, t);
	if (rename(tmp, t->state_path)) {
		log_warn("state: cannot replace %s: %s", t->state_path, strerror(errno));
		close(fd);
		t->state_fd = old;
		return;
	}
	if (old >= 0)
		close(old);
}

struct tracker *create_tracker(struct store *store, const struct sexec_conf *conf)
{
	struct tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->store = store;
	t->conf = conf;
	t->steps = create_htab(64);
	t->regs = create_htab(256);
	t->procs = create_htab(conf->max_tracked);
	t->jobs = create_htab(64);
	t->max_rows = conf->max_process_rows ? conf->max_process_rows : 100000;
	snprintf(t->cluster, sizeof(t->cluster), "%s", conf->cluster[0] ? conf->cluster : "default");
	/* Cookies only need to be unique while this daemon lives; start from the
	 * clock so a restarted daemon does not reuse a predecessor's. */
	t->next_cookie = tracker_now_us() << 8;
	t->page_kb = sysconf(_SC_PAGESIZE) / 1024;
	t->state_fd = -1;
	if (conf->state_dir[0]) {
		mkdir(conf->state_dir, 0700);
		snprintf(t->state_path, sizeof(t->state_path), "%s/registrations",
			 conf->state_dir);
	}
	if (!t->steps || !t->regs || !t->procs || !t->jobs) {
		destroy_tracker(t);
		return NULL;
	}
	return t;
}

void tracker_set_probe(struct tracker *t, struct probe *p)
{
	t->probe = p;
}

void tracker_set_tool_rules(struct tracker *t, const struct tool_rules *r)
{
	t->rules = r;
}

void tracker_set_jobinfo(struct tracker *t, struct jobinfo *ji)
{
	t->jobinfo = ji;
}

static void tproc_free(struct tproc *p)
{
	if (!p)
		return;
	free(p->exe);
	free(p->cwd);
	free(p->argv);
	free(p);
}

static void free_proc_cb(uint64_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	tproc_free(val);
}

static void free_step_cb(uint64_t key, void *val, void *arg)
{
	struct tstep *s = val;
	struct treg *r, *n;

	(void)key;
	(void)arg;
	for (r = s->regs; r; r = n) {
		n = r->next;
		free(r);
	}
	free(s->drops);
	stepstat_free(s->ss);
	free(s);
}

static void free_job_cb(uint64_t key, void *val, void *arg)
{
	(void)key;
	(void)arg;
	free(val);
}

void destroy_tracker(struct tracker *t)
{
	if (!t)
		return;
	if (t->procs)
		htab_each(t->procs, free_proc_cb, NULL);
	if (t->steps)
		htab_each(t->steps, free_step_cb, NULL);
	if (t->jobs)
		htab_each(t->jobs, free_job_cb, NULL);
	destroy_htab(t->jobs);
	destroy_htab(t->procs);
	destroy_htab(t->steps);
	destroy_htab(t->regs);
	if (t->state_fd >= 0)
		close(t->state_fd);
	free(t);
}

/* A requeued job runs its steps again under the same ids. */
static uint64_t step_key(const struct sexec_step_info *i)
{
	return (((uint64_t)i->job_id << 32) | i->step_id) +
	       (uint64_t)i->restarts * 0x9e3779b97f4a7c15ull;
}

static char *tracker_dup_bytes(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* Parent pid of a live process, from /proc/PID/stat (0 when unknown). */
static uint32_t tracker_read_ppid(uint32_t pid)
{
	char path[64], buf[512], *rp;
	unsigned int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')))
		if (sscanf(rp + 1, " %*c %u", &ppid) != 1)
			ppid = 0;
	fclose(f);
	return ppid;
}

static void tracker_unwatch(struct tracker *t, struct tstep *s)
{
	int i;

	for (i = 0; i < s->ncgids && t->probe; i++)
		probe_unwatch_cgroup(t->probe, s->cgids[i]);
	s->ncgids = 0;
	s->cg_path[0] = '\0';
}

static void tracker_free_step(struct tracker *t, struct tstep *s)
{
	struct tjob *j = htab_get(t->jobs, s->info.job_id);
	struct treg *r;

	tracker_unwatch(t, s);
	if (j && --j->nsteps == 0) {
		htab_del(t->jobs, s->info.job_id);
		free(j);
	}
	for (r = s->regs; r; r = r->next) {
		htab_del(t->regs, r->cookie);
		if (t->slot_owner[r->cookie & (SEXEC_CAGG_SLOTS - 1)] == r->cookie)
			t->slot_owner[r->cookie & (SEXEC_CAGG_SLOTS - 1)] = 0;
	}
	htab_del(t->steps, s->key);
	free_step_cb(0, s, NULL);
	t->st.steps_live--;
	tracker_state_rewrite(t);
}

/* Per-tool totals, process count and cost of a step run: written at its
 * end, and again if processes it was still waiting for end later. */
static void tracker_rollup(struct tracker *t, struct tstep *s)
{
	store_put_step_rollup(t->store, &s->info, s->name, s->end_us, s->drops, s->ndrops,
			      s->nprocs, s->nprocs - s->nrows);
	s->rolled_up = 1;
}

/* Fold a process whose row is not written into its tool's totals. */
static void tracker_fold(struct tstep *s, const struct proc_rec *rec)
{
	struct tool_drop *d = NULL;
	uint64_t wall = rec->end_us > rec->start_us ? rec->end_us - rec->start_us : 0;
	size_t i;

	for (i = 0; i < s->ndrops; i++)
		if (strncmp(s->drops[i].tool, rec->tool, sizeof(d->tool) - 1) == 0) {
			d = &s->drops[i];
			break;
		}
	if (!d) {
		d = realloc(s->drops, (s->ndrops + 1) * sizeof(*d));
		if (!d)
			return; /* counted in rows_dropped all the same */
		s->drops = d;
		d = &s->drops[s->ndrops++];
		memset(d, 0, sizeof(*d));
		snprintf(d->tool, sizeof(d->tool), "%s", rec->tool);
	}
	d->processes++;
	d->cpu_user_us += rec->user_us;
	d->cpu_sys_us += rec->sys_us;
	d->wall_us += wall;
	if (rec->rss_peak_kb > d->rss_peak_kb)
		d->rss_peak_kb = rec->rss_peak_kb;
	d->rss_kb_us += (double)rec->rss_peak_kb * (double)wall;
	d->read_bytes += rec->read_bytes;
	d->write_bytes += rec->write_bytes;
	for (i = 0; i < SEXEC_TIME_N; i++)
		d->time_us[i] += rec->time_us[i];
	d->net_tx += rec->net_tx;
	d->net_rx += rec->net_rx;
	d->oom_kills += rec->oom_killed != 0;
	if (wall < 1000000) {
		d->short_processes++;
		d->short_cpu_us += rec->user_us + rec->sys_us;
	}
}

/* The cookies of a step's registrations (caller frees); *n their count. */
static uint64_t *tracker_cookies(struct tstep *s, int *n)
{
	struct treg *r;
	uint64_t *c;
	int k = 0;

	for (r = s->regs; r; r = r->next)
		k++;
	c = calloc((size_t)(k ? k : 1), sizeof(*c));
	*n = 0;
	if (!c)
		return NULL;
	for (r = s->regs; r; r = r->next)
		c[(*n)++] = r->cookie;
	return c;
}

/* Time per state, cgroup statistics, the last sample, busy time per CPU. */
static void tracker_step_finish(struct tracker *t, struct tstep *s)
{
	int n;
	uint64_t *c = tracker_cookies(s, &n);

	if (!c)
		return;
	stepstat_finish(s->ss, t->conf, t->probe, c, n, s->oom_procs, t->store, &s->info, s->name,
			s->end_us);
	free(c);
}

static void tracker_finalize_step(struct tracker *t, struct tstep *s)
{
	uint64_t lost = tracker_node_losses(t) - s->lost_base;
	struct treg *r;

	if (s->pending_pid) {
		/* No task of the job registered (opted out, or not observed). */
		s->finalized = 1;
		if (s->live == 0)
			tracker_free_step(t, s);
		return;
	}
	/* BPF counts losses per registration; those it could not charge to
	 * one go to every step that was running, so none passes as complete. */
	for (r = s->regs; r && t->probe; r = r->next)
		s->lost += probe_take_lost(t->probe, r->cookie);
	lost += s->lost;
	s->lost = 0;
	if (!s->end_us)
		s->end_us = tracker_now_us();
	store_put_step_end(t->store, &s->info, s->name, s->end_us, lost, s->live,
			   lost == 0 && s->live == 0);
	tracker_rollup(t, s);
	tracker_step_finish(t, s);
	if (lost || s->live)
		log_warn("job %u step %s: record incomplete (%" PRIu64 " events lost, %" PRIu64
			 " processes still running at step end)",
			 s->info.job_id, s->name, lost, s->live);
	s->finalized = 1;
	if (s->live == 0)
		tracker_free_step(t, s);
}

/* The step of a registration, created on first sight. */
static struct tstep *tracker_get_step(struct tracker *t, const struct sexec_step_info *info,
				      uint64_t now, int announce)
{
	uint64_t key = step_key(info);
	struct tstep *s = htab_get(t->steps, key);
	struct tjob *j;

	if (s && s->finalized) {
		/* A new task of a step we closed: that step is running again. */
		s->finalized = 0;
		s->ended = 0;
	}
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->info = *info;
	if (!s->info.cluster[0]) /* the plugin could not tell (extern step) */
		snprintf(s->info.cluster, sizeof(s->info.cluster), "%s", t->cluster);
	s->key = key;
	record_step_name(info->step_id, s->name, sizeof(s->name));
	s->lost_base = tracker_node_losses(t);
	j = htab_get(t->jobs, info->job_id);
	if (!j) {
		j = calloc(1, sizeof(*j));
		if (!j || htab_put(t->jobs, info->job_id, j)) {
			free(j);
			free(s);
			return NULL;
		}
	}
	if (htab_put(t->steps, key, s)) {
		if (!j->nsteps) {
			htab_del(t->jobs, info->job_id);
			free(j);
		}
		free(s);
		return NULL;
	}
	j->nsteps++;
	t->st.steps_live++;
	if (announce)
		store_put_step_begin(t->store, &s->info, s->name, now);
	return s;
}

/* A cookie for a new registration whose time-total slot no live one holds,
 * with that slot zeroed. */
static uint64_t tracker_cookie(struct tracker *t)
{
	uint64_t c;
	int i;

	for (i = 0; i < SEXEC_CAGG_SLOTS; i++) {
		c = t->next_cookie++;
		if (c && !t->slot_owner[c & (SEXEC_CAGG_SLOTS - 1)])
			break;
	}
	/* All slots held (16384 live registrations): share one; its step's
	 * time totals then mix with another's. */
	if (t->probe)
		probe_reset_times(t->probe, c);
	return c;
}

static struct treg *tracker_new_reg(struct tracker *t, struct tstep *s,
				    const struct sexec_task_info *task, uint64_t cookie)
{
	struct treg *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cookie = cookie;
	r->step = s;
	r->task = *task;
	if (htab_put(t->regs, cookie, r)) {
		free(r);
		return NULL;
	}
	t->slot_owner[cookie & (SEXEC_CAGG_SLOTS - 1)] = cookie;
	r->next = s->regs;
	s->regs = r;
	return r;
}

/* Enter a live process in the table (and count it on its step once). */
static void tracker_put_proc(struct tracker *t, uint32_t tgid, struct tproc *p, struct tstep *s)
{
	struct tproc *old = htab_get(t->procs, tgid);

	if (old) {
		/* Its pid was reused before we saw the exit: that record is
		 * lost, and no longer counts as live on its own step. */
		struct treg *oreg = htab_get(t->regs, old->cookie);

		t->st.orphans++;
		if (oreg && oreg->step->live)
			oreg->step->live--;
		tproc_free(old);
	} else {
		t->st.procs_live++;
	}
	s->live++;
	if (htab_put(t->procs, tgid, p))
		tproc_free(p);
}

/* Ask once per run of a job, from its first task: only tasks know the
 * job's working directory and environment. */
static void tracker_describe_job(struct tracker *t, const struct sexec_step_info *info,
				 const struct sexec_task_info *task)
{
	struct tjob *j = htab_get(t->jobs, info->job_id);

	if (!j || j->described == info->restarts + 1 || !t->jobinfo)
		return;
	j->described = info->restarts + 1;
	/* The batch script's node, or the node of a step's global task 0. */
	jobinfo_request(t->jobinfo, info,
			info->step_id == SEXEC_STEP_BATCH || info->step_id == SEXEC_STEP_INTERACTIVE ||
				task->gtask_id == 0);
}

/* Watch the job's cgroups for processes moved into its extern step; pid is
 * the extern step's slurmstepd, which lives in them. */
static void tracker_watch_job(struct tracker *t, struct tstep *s, uint32_t pid, uint64_t cookie)
{
	struct cg_dir dirs[TRACKER_CG_MAX];
	int n, i;

	n = cgroup_job_dirs((pid_t)pid, s->info.job_id, dirs, TRACKER_CG_MAX);
	if (n <= 0) {
		log_warn("job %u: no cgroup of the job found from pid %u: processes adopted "
			 "into its extern step are not followed",
			 s->info.job_id, pid);
		return;
	}
	for (i = 0; i < n && s->ncgids < TRACKER_CG_MAX; i++) {
		if (t->probe && probe_watch_cgroup(t->probe, dirs[i].id, cookie)) {
			log_warn("job %u: cannot watch %s: %s", s->info.job_id, dirs[i].path,
				 strerror(errno));
			continue;
		}
		s->cgids[s->ncgids++] = dirs[i].id;
		if (!s->cg_path[0]) {
			memcpy(s->cg_path, dirs[i].path, sizeof(s->cg_path));
			s->cg_path[sizeof(s->cg_path) - 1] = '\0';
		}
		log_debug("job %u: watching %s (cgroup %" PRIu64 ")", s->info.job_id, dirs[i].path,
			  dirs[i].id);
	}
}

int tracker_add_watch(struct tracker *t, const struct sexec_msg *m, uint32_t pid)
{
	uint64_t now = tracker_now_us();
	struct sexec_task_info task = { SEXEC_NO_VAL, SEXEC_NO_VAL, pid };
	struct tstep *s = tracker_get_step(t, &m->step, now, 0);
	struct treg *r;

	if (!s)
		return -ENOMEM;
	if (s->regs && s->regs->task.pid == pid)
		return 0; /* a repeated message */
	if (s->regs) {
		/* Another slurmstepd: the job was requeued while the step of its
		 * previous run lingers. That run's cgroups are gone. */
		tracker_unwatch(t, s);
		s->regs->task.pid = pid;
		s->pending_pid = pid;
		s->start_us = now;
		s->ended = 0;
		s->finalized = 0;
		tracker_state_append(t, SEXEC_MSG_STEP_BEGIN, &s->info, &s->regs->task,
				     s->regs->cookie, now);
		return 0;
	}
	r = tracker_new_reg(t, s, &task, tracker_cookie(t));
	if (!r)
		return -ENOMEM;
	s->pending_pid = pid;
	s->start_us = now;
	tracker_state_append(t, SEXEC_MSG_STEP_BEGIN, &s->info, &r->task, r->cookie, now);
	t->st.registrations++;
	log_debug("job %u step %s registered, watched once a task of the job registers "
		  "(cookie %" PRIu64 ")",
		  s->info.job_id, s->name, r->cookie);
	return 0;
}

/* Watch a pending extern step's job cgroups and write its step row. */
static void tracker_confirm_step(struct tracker *t, struct tstep *s)
{
	if (!s->pending_pid || !s->regs)
		return;
	tracker_watch_job(t, s, s->pending_pid, s->regs->cookie);
	s->pending_pid = 0;
	store_put_step_begin(t->store, &s->info, s->name, s->start_us);
	tracker_state_append(t, SEXEC_MSG_STEP_WATCH, &s->info, &s->regs->task, s->regs->cookie,
			     s->start_us);
	log_debug("job %u step %s: %d cgroups watched", s->info.job_id, s->name, s->ncgids);
}

/* The extern step of a job, whatever run it registered as: it never knows
 * the restart count (no job environment), tasks may. */
static struct tstep *tracker_extern_of(struct tracker *t, const struct sexec_step_info *info)
{
	struct sexec_step_info key = *info;
	struct tstep *s;

	key.step_id = SEXEC_STEP_EXTERN;
	s = htab_get(t->steps, step_key(&key));
	if (s || !info->restarts)
		return s;
	key.restarts = 0;
	s = htab_get(t->steps, step_key(&key));
	if (!s || !s->pending_pid)
		return s;
	/* Re-key it under the task's run before its row is written. */
	htab_del(t->steps, s->key);
	s->info.restarts = info->restarts;
	s->key = step_key(&s->info);
	if (htab_put(t->steps, s->key, s)) {
		s->info.restarts = 0;
		s->key = step_key(&s->info);
		htab_put(t->steps, s->key, s);
	}
	return s;
}

/* A task of the job registered: the job is observed, so its extern step is.
 * The task knows the cluster, which the extern step may not. */
static void tracker_confirm_extern(struct tracker *t, const struct sexec_step_info *info)
{
	struct tstep *s = tracker_extern_of(t, info);

	if (!s || !s->pending_pid)
		return;
	if (info->cluster[0])
		memcpy(s->info.cluster, info->cluster, sizeof(s->info.cluster));
	tracker_confirm_step(t, s);
}

int tracker_add_task(struct tracker *t, const struct sexec_msg *m, uint64_t *cookie)
{
	uint64_t now = tracker_now_us();
	struct tstep *s = tracker_get_step(t, &m->step, now, 1);
	struct treg *r;
	struct tproc *p;
	int err;

	if (!s)
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	r = p ? tracker_new_reg(t, s, &m->task, tracker_cookie(t)) : NULL;
	if (!r) {
		free(p);
		return -ENOMEM;
	}
	p->cookie = r->cookie;
	p->ppid = tracker_read_ppid(m->task.pid);
	if (t->probe) {
		err = probe_track(t->probe, m->task.pid, p->ppid, r->cookie);
		if (err) {
			log_err("job %u step %s task %u: cannot track pid %u: %s", s->info.job_id,
				s->name, m->task.task_id, m->task.pid, strerror(-err));
			free(p);
			return err;
		}
	}
	tracker_put_proc(t, m->task.pid, p, s);
	if (t->conf) {
		struct stepstat *ss = stepstat_task(s->ss, t->conf, &s->info, s->name, m->task.pid);

		if (ss)
			s->ss = ss;
	}
	tracker_state_append(t, SEXEC_MSG_TASK_BEGIN, &s->info, &r->task, r->cookie, now);
	store_put_task_begin(t->store, &s->info, s->name, &m->task, now);
	tracker_describe_job(t, &s->info, &m->task);
	tracker_confirm_extern(t, &s->info);
	t->st.registrations++;
	*cookie = r->cookie;
	log_debug("job %u step %s task %u pid %u registered (cookie %" PRIu64 ")", s->info.job_id,
		  s->name, m->task.task_id, m->task.pid, r->cookie);
	return 0;
}

/* Read a live process's program and arguments back from /proc. */
static void tracker_proc_from_procfs(struct tproc *p, uint32_t pid)
{
	char path[64], buf[SEXEC_ARGV_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/exe", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		p->exe = strdup(buf);
	}
	snprintf(path, sizeof(path), "/proc/%u/cwd", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		p->cwd = strdup(buf);
	}
	snprintf(path, sizeof(path), "/proc/%u/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0) {
		p->argv = tracker_dup_bytes(buf, (size_t)n);
		p->argv_len = p->argv ? (uint32_t)n : 0;
		p->argv_trunc = n == (ssize_t)sizeof(buf);
	}
}

static void restore_proc_cb(void *arg, uint32_t tgid, uint32_t ppid, uint64_t cookie)
{
	struct tracker *t = arg;
	struct treg *r = htab_get(t->regs, cookie);
	struct tproc *p;

	if (!r) {
		/* Tracked by a registration we no longer know: its record
		 * cannot be attributed. */
		t->st.orphans++;
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->restored = 1;
	p->cookie = cookie;
	p->ppid = ppid;
	tracker_proc_from_procfs(p, tgid);
	tracker_put_proc(t, tgid, p, r->step);
}

/* Keep a cgroup watch whose registration is a watched extern step. */
static int restore_keep_watch(void *arg, uint64_t cookie)
{
	struct tracker *t = arg;
	struct treg *r = htab_get(t->regs, cookie);

	return r && r->step->ncgids > 0;
}

static void restore_stat_cb(uint64_t key, void *val, void *arg)
{
	struct tracker *t = arg;
	struct tstep *s = val;
	struct treg *r;
	char proc[32];

	(void)key;
	for (r = s->regs; r && !s->ss && t->conf; r = r->next) {
		struct tproc *p = htab_get(t->procs, r->task.pid);

		if (!r->task.pid || s->info.step_id == SEXEC_STEP_EXTERN)
			continue;
		/* Still the registered task (tracked under its registration),
		 * not another process that got its pid since. */
		snprintf(proc, sizeof(proc), "/proc/%u", r->task.pid);
		if (p && p->cookie == r->cookie && access(proc, F_OK) == 0)
			s->ss = stepstat_task(NULL, t->conf, &s->info, s->name, r->task.pid);
	}
}

int tracker_restore(struct tracker *t, int restored)
{
	uint8_t *buf = malloc(SEXEC_MSG_MAX);
	struct sexec_msg *m = malloc(sizeof(*m));
	uint32_t len;
	int fd, regs = 0, bad = 0;

	if (!buf || !m || !t->state_path[0])
		goto out;
	fd = restored ? open(t->state_path, O_RDONLY | O_CLOEXEC) : -1;
	while (fd >= 0 && read(fd, &len, sizeof(len)) == sizeof(len)) {
		const char *why;
		struct tstep *s;

		if (len > SEXEC_MSG_MAX || read(fd, buf, len) != (ssize_t)len ||
		    proto_decode(buf, len, m, &why)) {
			bad++;
			break;
		}
		s = tracker_get_step(t, &m->step, m->time_us, 0);
		if (!s)
			break;
		if ((m->type == SEXEC_MSG_TASK_BEGIN || m->type == SEXEC_MSG_STEP_BEGIN) &&
		    !htab_get(t->regs, m->cookie)) {
			if (tracker_new_reg(t, s, &m->task, m->cookie))
				regs++;
			if (m->type == SEXEC_MSG_STEP_BEGIN) {
				s->pending_pid = m->task.pid;
				s->start_us = m->time_us;
			}
			if (m->cookie >= t->next_cookie)
				t->next_cookie = m->cookie + 1;
		} else if (m->type == SEXEC_MSG_STEP_WATCH) {
			if (!s->pending_pid && s->regs && !s->ncgids)
				s->pending_pid = m->task.pid; /* confirmed before */
			s->start_us = m->time_us;
			tracker_confirm_step(t, s);
		} else if (m->type == SEXEC_MSG_STEP_END) {
			s->ended = 1;
			s->end_us = m->time_us;
			s->deadline = time(NULL) + TRACKER_STEP_GRACE_S;
		}
	}
	if (fd >= 0)
		close(fd);
	/* Watches of extern steps that ended while no collector ran. */
	if (restored && t->probe)
		probe_prune_watches(t->probe, restore_keep_watch, t);
	if (bad)
		log_warn("state: %s is damaged after %d registrations; the rest is ignored",
			 t->state_path, regs);
	if (restored && t->probe)
		probe_each_tracked(t->probe, restore_proc_cb, t);
	/* Cgroups and samples of the steps still running, from a live task. */
	if (restored)
		htab_each(t->steps, restore_stat_cb, t);
	if (t->conf && strcmp(t->conf->v2_observe, "no") != 0)
		stepstat_sweep();
	if (restored)
		log_info("state: restored %d registrations and %" PRIu64 " live processes", regs,
			 t->st.procs_live);
out:
	free(buf);
	free(m);
	/* Start the log afresh with what is live now. */
	tracker_state_rewrite(t);
	return 0;
}

int tracker_end_task(struct tracker *t, const struct sexec_msg *m)
{
	struct tstep *s = htab_get(t->steps, step_key(&m->step));

	if (!s)
		return -ENOENT;
	store_put_task_end(t->store, &s->info, s->name, m->task.task_id, tracker_now_us(),
			   m->status);
	/* Slurm removes the step's cgroups before the step's end reaches us:
	 * read them while its tasks end. */
	stepstat_refresh(s->ss);
	return 0;
}

int tracker_end_step(struct tracker *t, const struct sexec_msg *m)
{
	struct tstep *s = htab_get(t->steps, step_key(&m->step));
	struct treg *r;

	if (!s)
		return -ENOENT;
	s->ended = 1;
	s->end_us = tracker_now_us();
	s->deadline = time(NULL) + TRACKER_STEP_GRACE_S;
	tracker_state_append(t, SEXEC_MSG_STEP_END, &s->info, NULL, 0, s->end_us);
	/* Lost exit events leave processes counted as live forever: with
	 * losses on the books there is nothing to wait for. */
	for (r = s->regs; r && t->probe; r = r->next)
		s->lost += probe_take_lost(t->probe, r->cookie);
	/* The step's records are written after the reply: slurmstepd waits
	 * for it. */
	if ((s->live == 0 || s->lost) && t->nfinal < TRACKER_DEFER_MAX)
		t->final[t->nfinal++] = s->key;
	else if (s->live == 0 || s->lost)
		tracker_finalize_step(t, s);
	return 0;
}

void tracker_after_reply(struct tracker *t)
{
	while (t->nfinal) {
		struct tstep *s = htab_get(t->steps, t->final[--t->nfinal]);

		if (s && s->ended && !s->finalized && (s->live == 0 || s->lost))
			tracker_finalize_step(t, s);
	}
}

struct tick_ctx {
	struct tracker *t;
	time_t now;
	struct tstep *due[64];
	int n;
	struct tstep *sample[64];
	int nsample;
};

static void tick_cb(uint64_t key, void *val, void *arg)
{
	struct tick_ctx *c = arg;
	struct tstep *s = val;

	(void)key;
	if (!s->ended && !s->finalized && stepstat_due(s->ss, c->t->conf, c->now) &&
	    c->nsample < 64)
		c->sample[c->nsample++] = s;
	if (s->ended && !s->finalized && s->deadline <= c->now && c->n < 64)
		c->due[c->n++] = s;
	if (s->info.step_id == SEXEC_STEP_EXTERN && !s->ended && !s->finalized) {
		/* Idle is normal for an extern step (an ssh session may come
		 * any time): it lasts as long as its job, whose cgroup (or, not
		 * yet watched, its slurmstepd) goes with it. */
		char proc[32];

		snprintf(proc, sizeof(proc), "/proc/%u", s->pending_pid);
		if ((s->pending_pid && access(proc, F_OK)) ||
		    (!s->pending_pid && (!s->cg_path[0] || access(s->cg_path, F_OK))))
			if (!s->live && c->n < 64)
				c->due[c->n++] = s;
		return;
	}
	/* Every process of the step is gone but its end never came (missed
	 * while the collector was down, or a registration without a plugin):
	 * close it after the grace period rather than keep it forever. */
	if (!s->ended && !s->finalized) {
		if (s->live)
			s->idle_since = 0;
		else if (!s->idle_since)
			s->idle_since = c->now;
		else if (s->idle_since + TRACKER_STEP_GRACE_S <= c->now && c->n < 64)
			c->due[c->n++] = s;
	}
}

#define TRACKER_SWEEP_MAX 4096

struct sweep_ctx {
	struct tracker *t;
	uint32_t gone[TRACKER_SWEEP_MAX];
	int n;
};

static void sweep_cb(uint64_t key, void *val, void *arg)
{
	struct sweep_ctx *c = arg;
	struct tproc *p = val;

	if (probe_is_tracked(c->t->probe, (uint32_t)key)) {
		p->missing = 0;
	} else if (++p->missing >= 2 && c->n < TRACKER_SWEEP_MAX) {
		/* Gone from the map for two sweeps: its exit event was lost.
		 * (One sweep could race an exit still on its way.) */
		c->gone[c->n++] = (uint32_t)key;
	}
}

/* Processes whose exit was never seen would keep their step live forever. */
static void tracker_sweep(struct tracker *t)
{
	struct sweep_ctx *c = calloc(1, sizeof(*c));
	int i;

	if (!c || !t->probe) {
		free(c);
		return;
	}
	c->t = t;
	htab_each(t->procs, sweep_cb, c);
	for (i = 0; i < c->n; i++) {
		struct tproc *p = htab_del(t->procs, c->gone[i]);
		struct treg *r = p ? htab_get(t->regs, p->cookie) : NULL;

		t->st.procs_live--;
		t->st.orphans++;
		if (r) {
			r->step->lost++;
			if (r->step->live)
				r->step->live--;
			if (r->step->finalized && r->step->live == 0)
				tracker_free_step(t, r->step);
		}
		tproc_free(p);
	}
	free(c);
}

void tracker_tick(struct tracker *t)
{
	struct tick_ctx c = { .t = t, .now = time(NULL) };
	int i;

	if (++t->ticks % 60 == 0)
		tracker_sweep(t);
	htab_each(t->steps, tick_cb, &c);
	for (i = 0; i < c.nsample; i++) {
		struct tstep *s = c.sample[i];
		uint64_t *ck;
		int n;

		ck = tracker_cookies(s, &n);
		if (ck)
			stepstat_sample(s->ss, t->conf, t->probe, ck, n, t->store, &s->info, s->name,
					tracker_now_us());
		free(ck);
	}
	for (i = 0; i < c.n; i++)
		tracker_finalize_step(t, c.due[i]);
}

static void tracker_on_fork(struct tracker *t, const struct sexec_ev_fork *e)
{
	struct tproc *parent = htab_get(t->procs, e->ppid), *p, *old;
	struct treg *r = htab_get(t->regs, e->hdr.cookie);

	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->cookie = e->hdr.cookie;
	p->ppid = e->ppid;
	/* Until it execs, a child runs its parent's program. */
	if (parent && parent->exe)
		p->exe = strdup(parent->exe);
	if (parent && parent->cwd)
		p->cwd = strdup(parent->cwd);
	if (parent && parent->argv_len) {
		p->argv = tracker_dup_bytes(parent->argv, parent->argv_len);
		p->argv_len = p->argv ? parent->argv_len : 0;
		p->argv_trunc = parent->argv_trunc;
	}
	if (e->adopted && r && e->ppid == r->task.pid) {
		/* The extern step's slurmstepd keeps a child of its own in the
		 * step (a sleep); that is Slurm's, not the user's. */
		if (t->probe)
			probe_untrack(t->probe, e->hdr.tgid);
		tproc_free(p);
		return;
	}
	if (e->adopted && !parent) /* its program started outside our view */
		tracker_proc_from_procfs(p, e->hdr.tgid);
	old = htab_get(t->procs, e->hdr.tgid);
	if (old && old->restored && old->cookie == p->cookie) {
		/* Queued before a restart; the table already has it, fresher. */
		tproc_free(p);
		return;
	}
	if (!r) {
		tproc_free(p);
		return;
	}
	tracker_put_proc(t, e->hdr.tgid, p, r->step);
}

/* Join the innermost-first components BPF sent into "/a/b/c". */
static char *tracker_cwd_path(const struct sexec_ev_exec *e, uint32_t len)
{
	const char *parts[SEXEC_CWD_DEPTH];
	uint32_t off = 0;
	size_t total = 2;
	int n = 0, i;
	char *path, *w;

	int plen[SEXEC_CWD_DEPTH];

	while (off < len && n < SEXEC_CWD_DEPTH) {
		size_t l = strnlen(e->data + off, len - off);

		plen[n] = (int)l;
		parts[n++] = e->data + off;
		total += l + 1;
		off += (uint32_t)l + 1;
	}
	path = malloc(total + 4);
	if (!path)
		return NULL;
	w = path;
	if (e->cwd_trunc)
		w += sprintf(w, "...");
	for (i = n - 1; i >= 0; i--)
		w += sprintf(w, "/%.*s", plen[i], parts[i]);
	if (w == path)
		strcpy(w, "/");
	return path;
}

static void tracker_on_exec(struct tracker *t, const struct sexec_ev_exec *e, size_t len)
{
	struct tproc *p = htab_get(t->procs, e->hdr.tgid);
	size_t have = len - offsetof(struct sexec_ev_exec, data);
	size_t clen = e->cwd_len, alen = e->argv_len;

	if (!p)
		return;
	/* Trust the lengths only as far as the record goes. */
	if (clen > SEXEC_CWD_MAX)
		clen = SEXEC_CWD_MAX;
	if (clen > have)
		clen = have;
	if (alen > have - clen)
		alen = have - clen;
	free(p->exe);
	free(p->argv);
	/* cwd_same: the directory the parent had, which p already copied. */
	if (!e->cwd_same) {
		free(p->cwd);
		p->cwd = tracker_cwd_path(e, (uint32_t)clen);
	}
	p->exe = strndup(e->filename, sizeof(e->filename));
	p->argv = tracker_dup_bytes(e->data + clen, alen);
	p->argv_len = p->argv ? (uint32_t)alen : 0;
	p->argv_trunc = e->argv_trunc;
}

static void tracker_on_exit(struct tracker *t, const struct sexec_ev_exit *e)
{
	struct tproc *p = htab_get(t->procs, e->hdr.tgid);
	struct treg *r = htab_get(t->regs, e->hdr.cookie);

	/* An exit queued before a restart for a pid another tracked process
	 * has taken since: leave that one's entry alone. */
	if (p && p->cookie != e->hdr.cookie)
		p = NULL;
	else if (p)
		htab_del(t->procs, e->hdr.tgid);
	struct proc_rec rec = { 0 };
	char tool[256], exe[SEXEC_COMM_LEN + 1];
	uint64_t ut = e->utime_ns, st = e->stime_ns, rt = e->rtime_ns, user_ns;

	if (p)
		t->st.procs_live--;
	if (!r) {
		t->st.orphans++;
		tproc_free(p);
		return;
	}
	/* Split the precise run time in the ratio of the sampled user and
	 * system ticks, as the kernel does for wait4 and getrusage. */
	if (st == 0)
		user_ns = rt;
	else if (ut == 0)
		user_ns = 0;
	else
		user_ns = (uint64_t)((double)rt * (double)ut / (double)(ut + st));
	snprintf(exe, sizeof(exe), "%s", e->comm);
	rec.step = &r->step->info;
	rec.step_name = r->step->name;
	rec.task_id = r->task.task_id;
	rec.pid = e->hdr.tgid;
	rec.ppid = p ? p->ppid : e->ppid;
	rec.start_us = tracker_boot_to_unix_us(e->start_ns);
	rec.end_us = tracker_boot_to_unix_us(e->hdr.ts_ns);
	rec.exe = p && p->exe ? p->exe : exe;
	rec.argv = p ? p->argv : NULL;
	rec.argv_len = p ? p->argv_len : 0;
	rec.argv_trunc = p ? p->argv_trunc : 0;
	rec.cwd = p ? p->cwd : NULL;
	rec.uid = e->uid;
	rec.total_us = rt / 1000;
	tool_name_rules(t->rules, rec.exe, rec.argv ? rec.argv : "", rec.argv_len, tool,
			sizeof(tool));
	rec.tool = tool;
	rec.user_us = user_ns / 1000;
	rec.sys_us = (rt - user_ns) / 1000;
	rec.status = e->exit_code;
	rec.threads = e->threads;
	rec.rss_peak_kb = e->maxrss_pages * (uint64_t)t->page_kb;
	rec.read_bytes = e->read_bytes;
	rec.write_bytes = e->write_bytes > e->cancelled_write_bytes
				  ? e->write_bytes - e->cancelled_write_bytes
				  : 0;
	rec.rchar = e->rchar;
	rec.wchar = e->wchar;
	rec.syscr = e->syscr;
	rec.syscw = e->syscw;
	rec.vol_ctxsw = e->nvcsw;
	rec.invol_ctxsw = e->nivcsw;
	rec.minflt = e->minflt;
	rec.majflt = e->majflt;
	if (t->probe && probe_has_state(t->probe)) {
		uint64_t sum = 0;
		int k;

		for (k = 0; k < SEXEC_TIME_N; k++) {
			rec.time_us[k] = e->state_ns[k] / 1000;
			sum += e->state_ns[k];
		}
		/* A process whose exec was never seen (one from before a
		 * collector restart) has no accounting: not measured. */
		rec.has_time = sum != 0;
	}
	rec.has_net = t->probe && probe_has_net(t->probe);
	rec.net_tx = e->net_tx;
	rec.net_rx = e->net_rx;
	rec.oom_killed = e->oom_killed != 0;
	if (rec.oom_killed)
		r->step->oom_procs++;
	/* Past the per-step cap, or with the spool full, the row is given up
	 * and the process folded into its tool's totals, which stay exact. */
	if (r->step->nrows >= t->max_rows || store_put_process(t->store, &rec)) {
		tracker_fold(r->step, &rec);
		t->st.rows_folded++;
	} else {
		r->step->nrows++;
	}
	t->st.records++;
	r->step->nprocs++;
	if (p && r->step->live)
		r->step->live--;
	tproc_free(p);
	if (r->step->ended && r->step->live == 0) {
		if (!r->step->finalized) {
			tracker_finalize_step(t, r->step);
		} else {
			tracker_rollup(t, r->step); /* with the late ones */
			tracker_free_step(t, r->step);
		}
	}
}

void tracker_on_event(void *arg, const void *data, size_t len)
{
	struct tracker *t = arg;
	const struct sexec_ev_hdr *h = data;

	if (len < sizeof(*h))
		return;
	switch (h->type) {
	case SEXEC_EV_FORK:
		if (len >= sizeof(struct sexec_ev_fork))
			tracker_on_fork(t, data);
		break;
	case SEXEC_EV_EXEC:
		if (len >= offsetof(struct sexec_ev_exec, data))
			tracker_on_exec(t, data, len);
		break;
	case SEXEC_EV_EXIT:
		if (len >= sizeof(struct sexec_ev_exit))
			tracker_on_exit(t, data);
		break;
	default:
		break;
	}
}

void tracker_get_stats(struct tracker *t, struct tracker_stats *st)
{
	*st = t->st;
}
