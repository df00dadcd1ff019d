// SPDX-License-Identifier: GPL-2.0-or-later
/* What a step used, seen from outside its processes: the BPF time totals of
 * its registrations (per state, and busy time per CPU), its cgroup's
 * statistics (v1 or v2) and pressure, and timeline samples of both. On a
 * hybrid host each step is also placed in a cgroup of its own in the
 * controller-less v2 hierarchy: that changes no limit and gives per-step PSI. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sexec/cgroup.h"
#include "sexec/cgstat.h"
#include "sexec/event.h"
#include "sexec/log.h"
#include "stepstat.h"
#include "topology.h"

#define STEPSTAT_CPUS 1024

struct stepstat {
	uint32_t pid;  /* a task of the step, to find its cgroups from */
	int resolved;  /* the cgroup directories are known */
	int version;   /* of the cgroups read: 1 or 2, 0 = none */
	char cpuacct[SEXEC_CG_PATH_MAX], memory[SEXEC_CG_PATH_MAX], blkio[SEXEC_CG_PATH_MAX];
	char v2[SEXEC_CG_PATH_MAX];  /* Slurm's own step cgroup on a v2 host */
	char psi[SEXEC_CG_PATH_MAX]; /* where pressure is read */
	int observe;                 /* psi is our own cgroup: remove it at the end */
	cpu_set_t alloc;
	time_t next_sample;
	int sampled; /* the first sample is written */
	struct cg_stats last; /* the last read that found the cgroups */
	uint64_t *percpu;     /* CPU time per CPU, ns (v1 cpuacct.usage_percpu); NULL: none */
	int npercpu;
};

/* Resolved once per collector: what the host's cgroups look like. */
static struct {
	int init;
	char v2_mount[SEXEC_CG_PATH_MAX];
	int v2_controllers; /* -1: no v2 hierarchy */
	struct topo_cpu cpus[STEPSTAT_CPUS];
	int ncpus;
	struct cg_hier hier[CG_HIER_MAX]; /* mounts do not change: read once */
	int nhier;
} host;

static void stepstat_host_init(void)
{
	if (host.init)
		return;
	host.init = 1;
	if (cgroup_v2_mount(host.v2_mount, sizeof(host.v2_mount), &host.v2_controllers))
		host.v2_controllers = -1;
	host.nhier = cgroup_hierarchies(host.hier, CG_HIER_MAX);
	if (host.nhier < 0)
		host.nhier = 0;
	host.ncpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (host.ncpus > STEPSTAT_CPUS)
		host.ncpus = STEPSTAT_CPUS;
	if (host.ncpus < 1)
		host.ncpus = 1;
	if (topology_cpus(host.cpus, host.ncpus))
		log_warn("stepstat: hwloc could not place the CPUs: busy time per CPU only");
}

/* A small cgroup file of dir, NUL-terminated. Its length, or 0 when it
 * cannot be read or is empty. */
static size_t stepstat_slurp(const char *dir, const char *file, char *buf, size_t len)
{
	char path[SEXEC_CG_PATH_MAX + 32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return (size_t)n;
}

/* The CPUs of a cpuset file ("0-3,8"), added to the step's. */
static void stepstat_read_cpuset(struct stepstat *ss, const char *dir, const char *file)
{
	char buf[4096];

	if (stepstat_slurp(dir, file, buf, sizeof(buf)))
		topology_cpulist(buf, &ss->alloc, STEPSTAT_CPUS);
}

static int step_dir(struct stepstat *ss, const char *ctrl, char *out, size_t len)
{
	return cgroup_step_dir(host.hier, host.nhier, (pid_t)ss->pid, ctrl, out, len);
}

/* Slurm lays a step out alike in every v1 hierarchy. A task is moved into
 * them one after another, so when it was found in one (from) but not yet in
 * ctrl's, ctrl's directory is the same path under ctrl's mount; it is read
 * once it exists. */
static void stepstat_derive(const char *from, const char *from_ctrl, const char *ctrl, char *out,
			    size_t len)
{
	const char *fm = cgroup_mount_of(host.hier, host.nhier, from_ctrl);
	const char *m = cgroup_mount_of(host.hier, host.nhier, ctrl);
	size_t fl = fm ? strlen(fm) : 0;

	if (out[0] || !from[0] || !fm || !m || strncmp(from, fm, fl) != 0)
		return;
	snprintf(out, len, "%s%s", m, from + fl);
}

/* Find the step's cgroups from one of its tasks. Slurm may move a task into
 * them only after it registered: retried until found. */
static void stepstat_resolve(struct stepstat *ss)
{
	char cpuset[SEXEC_CG_PATH_MAX];

	if (ss->resolved || !ss->pid)
		return;
	if (step_dir(ss, "memory", ss->memory, sizeof(ss->memory)) == 0 ||
	    step_dir(ss, "cpuacct", ss->cpuacct, sizeof(ss->cpuacct)) == 0) {
		step_dir(ss, "cpuacct", ss->cpuacct, sizeof(ss->cpuacct));
		step_dir(ss, "blkio", ss->blkio, sizeof(ss->blkio));
		if (ss->memory[0]) {
			stepstat_derive(ss->memory, "memory", "cpuacct", ss->cpuacct,
					sizeof(ss->cpuacct));
			stepstat_derive(ss->memory, "memory", "blkio", ss->blkio, sizeof(ss->blkio));
		} else {
			stepstat_derive(ss->cpuacct, "cpuacct", "memory", ss->memory,
					sizeof(ss->memory));
			stepstat_derive(ss->cpuacct, "cpuacct", "blkio", ss->blkio, sizeof(ss->blkio));
		}
		ss->version = 1;
		ss->resolved = 1;
		if (step_dir(ss, "cpuset", cpuset, sizeof(cpuset)) == 0)
			stepstat_read_cpuset(ss, cpuset, "cpuset.effective_cpus");
	} else if (host.v2_controllers > 0 &&
		   step_dir(ss, "", ss->v2, sizeof(ss->v2)) == 0) {
		/* Slurm's v2 layout ends in .../step_N/user/task_N. */
		size_t l = strlen(ss->v2);

		if (l > 5 && strcmp(ss->v2 + l - 5, "/user") == 0)
			ss->v2[l - 5] = '\0';
		ss->version = 2;
		ss->resolved = 1;
		snprintf(ss->psi, sizeof(ss->psi), "%s", ss->v2);
		stepstat_read_cpuset(ss, ss->v2, "cpuset.cpus.effective");
	}
}

struct stepstat *stepstat_task(struct stepstat *ss, const struct sexec_conf *conf,
			       const struct sexec_step_info *info, const char *step, uint32_t pid)
{
	cpu_set_t set;
	int err;

	stepstat_host_init();
	if (!ss) {
		ss = calloc(1, sizeof(*ss));
		if (!ss)
			return NULL;
		ss->pid = pid;
		/* Hybrid host: the v2 tree has pressure but no controllers.
		 * One level below its root: the kernel updates pressure for
		 * every level above a task at each of its context switches. */
		if (host.v2_controllers == 0 && strcmp(conf->v2_observe, "no") != 0) {
			if ((size_t)snprintf(ss->psi, sizeof(ss->psi), "%.400s/sexec_job_%u_step_%s",
					     host.v2_mount, info->job_id, step) < sizeof(ss->psi))
				ss->observe = 1;
		}
	}
	if (ss->observe) {
		err = cgroup_place((pid_t)pid, ss->psi);
		if (err)
			log_warn("job %u step %s: cannot place pid %u in %s: %s", info->job_id, step,
				 pid, ss->psi, strerror(-err));
	}
	/* The CPUs it may run on (Slurm's cpuset binds them); the cgroup's
	 * cpuset, when found, is added too. */
	if (sched_getaffinity((pid_t)pid, sizeof(set), &set) == 0)
		CPU_OR(&ss->alloc, &ss->alloc, &set);
	if (!ss->pid)
		ss->pid = pid;
	stepstat_resolve(ss);
	return ss;
}

void stepstat_sweep(void)
{
	char path[SEXEC_CG_PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	int n = 0;

	stepstat_host_init();
	if (host.v2_controllers != 0)
		return;
	d = opendir(host.v2_mount);
	if (!d)
		return;
	/* rmdir removes only cgroups without processes: a step still running
	 * keeps its own. */
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "sexec_job_", 10) == 0) {
			snprintf(path, sizeof(path), "%s/%s", host.v2_mount, de->d_name);
			n += rmdir(path) == 0;
		}
	closedir(d);
	if (n)
		log_info("stepstat: removed %d empty step cgroups left by an earlier collector", n);
}

void stepstat_free(struct stepstat *ss)
{
	if (!ss)
		return;
	/* Empty once its processes are gone. */
	if (ss->observe && ss->psi[0] && rmdir(ss->psi) && errno != ENOENT)
		log_debug("stepstat: cannot remove %s: %s", ss->psi, strerror(errno));
	free(ss->percpu);
	free(ss);
}

int stepstat_due(struct stepstat *ss, const struct sexec_conf *conf, time_t now)
{
	if (!ss)
		return 0;
	if (!ss->sampled)
		return 1;
	return conf->sample_s && now >= ss->next_sample;
}

/* Totals of the step's registrations, per state and per CPU. */
static int stepstat_times(struct probe *p, const uint64_t *cookies, int n, uint64_t *ns)
{
	int i, found = 0;

	memset(ns, 0, SEXEC_ST_MAX * sizeof(*ns));
	if (!p || !probe_has_state(p))
		return 0;
	for (i = 0; i < n; i++)
		if (probe_read_times(p, cookies[i], ns) == 0)
			found = 1;
	/* A step none of whose threads ended or waited (an extern step
	 * without sessions) has nothing measured. */
	for (i = 0; found && i < SEXEC_ST_MAX; i++)
		if (ns[i])
			return 1;
	return 0;
}

/* CPU time per CPU of the step's cgroup (v1 cpuacct.usage_percpu: ns per
 * possible CPU, space-separated). Kept from the last read that found it. */
static void stepstat_read_percpu(struct stepstat *ss)
{
	char buf[16384], *p, *end;
	uint64_t *v;
	int n = 0;

	if (!stepstat_slurp(ss->cpuacct, "cpuacct.usage_percpu", buf, sizeof(buf)))
		return;
	v = calloc((size_t)host.ncpus, sizeof(*v));
	if (!v)
		return;
	for (p = buf; n < host.ncpus; p = end) {
		unsigned long long x = strtoull(p, &end, 10);

		if (end == p)
			break;
		v[n++] = x;
	}
	if (n == 0) {
		free(v);
		return;
	}
	free(ss->percpu);
	ss->percpu = v;
	ss->npercpu = n;
}

/* The step's cgroup statistics now; once its cgroups are gone (Slurm
 * removes them as the step ends), the last ones read. Pressure of our own
 * v2 cgroup is read as long as it exists. */
static void stepstat_read(struct stepstat *ss, struct cg_stats *cs)
{
	struct cg_stats now;
	unsigned psi = CGS_HAVE_PSI_CPU | CGS_HAVE_PSI_IO | CGS_HAVE_PSI_MEM;

	memset(&now, 0, sizeof(now));
	stepstat_resolve(ss);
	if (ss->version == 1) {
		cgstat_read_v1(ss->cpuacct[0] ? ss->cpuacct : NULL,
			       ss->memory[0] ? ss->memory : NULL, ss->blkio[0] ? ss->blkio : NULL,
			       &now);
		if (ss->cpuacct[0])
			stepstat_read_percpu(ss);
	}
	else if (ss->version == 2)
		cgstat_read_v2(ss->v2, &now);
	if (ss->observe)
		cgstat_read_psi(ss->psi, &now);
	if ((now.have & ~psi) == 0 && (ss->last.have & ~psi)) {
		/* Controllers gone: keep their last values, take new PSI. */
		struct cg_stats keep = ss->last;

		keep.have &= ~psi;
		keep.have |= now.have & psi;
		keep.psi_cpu = now.psi_cpu;
		keep.psi_io = now.psi_io;
		keep.psi_mem = now.psi_mem;
		if (!(now.have & psi)) {
			keep.have |= ss->last.have & psi;
			keep.psi_cpu = ss->last.psi_cpu;
			keep.psi_io = ss->last.psi_io;
			keep.psi_mem = ss->last.psi_mem;
		}
		now = keep;
	}
	ss->last = now;
	*cs = now;
}

void stepstat_refresh(struct stepstat *ss)
{
	struct cg_stats cs;

	if (ss)
		stepstat_read(ss, &cs);
}

/* Append ",v" (or "," when not measured) to a value list. */
static void vl_add(char *buf, size_t len, int have, uint64_t v)
{
	size_t l = strlen(buf);

	if (l >= len - 1)
		return;
	if (have)
		snprintf(buf + l, len - l, ",%" PRIu64, v);
	else
		snprintf(buf + l, len - l, ",");
}

/* A value list starts with the five state times (µs), empty when not
 * measured; vl_add() appends the rest. */
static void vl_times(char *buf, size_t len, int have, const uint64_t *ns)
{
	int k;

	for (k = 0; k < SEXEC_ST_MAX; k++) {
		size_t l = strlen(buf);

		if (have)
			snprintf(buf + l, len - l, "%s%" PRIu64, k ? "," : "", ns[k] / 1000);
		else
			snprintf(buf + l, len - l, "%s", k ? "," : "");
	}
}

/* Write a sample of what was just read. */
static void stepstat_put_sample(struct stepstat *ss, const struct sexec_conf *conf,
				struct store *st, const struct sexec_step_info *info,
				const char *step, uint64_t t_us, int have, const uint64_t *ns,
				const struct cg_stats *cs)
{
	char vals[512] = "";

	vl_times(vals, sizeof(vals), have, ns);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_CPU, cs->cpu_usage_us);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_MEM, cs->mem_current);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_IO_BYTES, cs->io_rbytes);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_IO_BYTES, cs->io_wbytes);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_PSI_CPU, cs->psi_cpu.some_us);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_PSI_IO, cs->psi_io.some_us);
	vl_add(vals, sizeof(vals), cs->have & CGS_HAVE_PSI_MEM, cs->psi_mem.some_us);
	store_put_sample(st, info, step, t_us, vals);
	ss->sampled = 1;
	ss->next_sample = time(NULL) + (conf->sample_s ? (time_t)conf->sample_s : 0);
}

void stepstat_sample(struct stepstat *ss, const struct sexec_conf *conf, struct probe *p,
		     const uint64_t *cookies, int n, struct store *st,
		     const struct sexec_step_info *info, const char *step, uint64_t t_us)
{
	uint64_t ns[SEXEC_ST_MAX];
	struct cg_stats cs;
	int have;

	if (!ss)
		return;
	have = stepstat_times(p, cookies, n, ns);
	stepstat_read(ss, &cs);
	stepstat_put_sample(ss, conf, st, info, step, t_us, have, ns, &cs);
}

/* Comma list of n ints (an item of -1 is empty: unknown). */
static char *list_of(const int *v, int n)
{
	char *out = malloc((size_t)n * 12 + 1);
	size_t l = 0;
	int i;

	if (!out)
		return NULL;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		if (v[i] >= 0)
			l += (size_t)sprintf(out + l, "%s%d", i ? "," : "", v[i]);
		else
			l += (size_t)sprintf(out + l, "%s", i ? "," : "");
	}
	return out;
}

/* The allocation view: each CPU the step was allocated, or ran on, with its
 * place in the topology and the step's cgroup CPU time on it (empty where
 * the cgroup does not say: v2 keeps no per-CPU figures). */
static void stepstat_cpus(struct stepstat *ss, struct store *st,
			  const struct sexec_step_info *info, const char *step, uint64_t end_us)
{
	int *cpu = calloc((size_t)host.ncpus, sizeof(int) * 5), n = 0, c, k;
	char *lists[6] = { 0 }, *busy;
	size_t l = 0;

	busy = malloc((size_t)host.ncpus * 22 + 1);
	if (!cpu || !busy)
		goto out;
	busy[0] = '\0';
	for (c = 0; c < host.ncpus; c++) {
		int alloc = CPU_ISSET(c, &ss->alloc), known = ss->percpu && c < ss->npercpu;

		if (!alloc && (!known || ss->percpu[c] == 0))
			continue;
		cpu[n] = c;
		cpu[host.ncpus + n] = host.cpus[c].core;
		cpu[2 * host.ncpus + n] = host.cpus[c].socket;
		cpu[3 * host.ncpus + n] = host.cpus[c].numa;
		cpu[4 * host.ncpus + n] = alloc;
		if (known)
			l += (size_t)sprintf(busy + l, "%s%" PRIu64, n ? "," : "", ss->percpu[c] / 1000);
		else
			l += (size_t)sprintf(busy + l, "%s", n ? "," : "");
		n++;
	}
	if (!n)
		goto out;
	for (k = 0; k < 5; k++)
		lists[k] = list_of(cpu + k * host.ncpus, n);
	lists[5] = busy;
	busy = NULL;
	for (k = 0; k < 6 && lists[k]; k++)
		;
	if (k == 6)
		store_put_step_cpus(st, info, step, end_us, (const char *const *)lists);
out:
	for (k = 0; k < 6; k++)
		free(lists[k]);
	free(busy);
	free(cpu);
}

void stepstat_finish(struct stepstat *ss, const struct sexec_conf *conf, struct probe *p,
		     const uint64_t *cookies, int n, uint64_t oom_procs, struct store *st,
		     const struct sexec_step_info *info, const char *step, uint64_t end_us)
{
	uint64_t ns[SEXEC_ST_MAX];
	struct cg_stats cs;
	char vals[768] = "";
	int have;

	stepstat_host_init();
	have = stepstat_times(p, cookies, n, ns);
	if (ss)
		stepstat_read(ss, &cs);
	else
		memset(&cs, 0, sizeof(cs));
	vl_times(vals, sizeof(vals), have, ns);
	vl_add(vals, sizeof(vals), ss && ss->version, ss ? (uint64_t)ss->version : 0);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_CPU, cs.cpu_usage_us);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_MEM_PEAK, cs.mem_peak);
	vl_add(vals, sizeof(vals), (cs.have & CGS_HAVE_MEM_LIMIT) && cs.mem_limit != UINT64_MAX,
	       cs.mem_limit);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_OOM_KILL, cs.oom_kill);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_IO_BYTES, cs.io_rbytes);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_IO_BYTES, cs.io_wbytes);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_PSI_CPU, cs.psi_cpu.some_us);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_PSI_CPU, cs.psi_cpu.full_us);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_PSI_IO, cs.psi_io.some_us);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_PSI_IO, cs.psi_io.full_us);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_PSI_MEM, cs.psi_mem.some_us);
	vl_add(vals, sizeof(vals), cs.have & CGS_HAVE_PSI_MEM, cs.psi_mem.full_us);
	vl_add(vals, sizeof(vals), 1, oom_procs);
	store_put_step_times(st, info, step, end_us, vals);
	if (ss) {
		/* The last sample: the same figures, read once. */
		stepstat_put_sample(ss, conf, st, info, step, end_us, have, ns, &cs);
		stepstat_cpus(ss, st, info, step, end_us);
	}
}
