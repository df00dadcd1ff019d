// SPDX-License-Identifier: GPL-2.0-or-later
/* Loads lifecycle.bpf.o through its generated skeleton. Settings go in via
 * rodata and map sizes before load; tp_btf is tried first, raw_tp after. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "sexec/event.h"
#include "sexec/log.h"
#include "lifecycle.skel.h"
#include "probe.h"

struct probe {
	struct lifecycle_bpf *skel;
	struct ring_buffer *rb;
	probe_event_fn fn;
	void *arg;
	const char *mode;
	int ncpus;
	int restored;
	int group_dead; /* sched_process_exit passes group_dead */
	int no_adopt;   /* the cgroup attach program did not load */
	int no_state;   /* no time breakdown (the state programs did not load) */
	int no_net;     /* no socket byte counts (socket length tracepoints, 6.3) */
	int oom_task;   /* mark_victim passes the task (5.19), not a pid */
	uint64_t gen;
	char dir[108];
};

/* The BPF filesystem is where maps and links outlive the process; mount it
 * where the init system did not. */
static int probe_bpffs(const char *dir)
{
	struct statfs fs;
	char path[128], *slash;

	if (statfs("/sys/fs/bpf", &fs) || fs.f_type != BPF_FS_MAGIC) {
		mkdir("/sys/fs/bpf", 0700);
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			log_warn("probe: cannot mount the BPF filesystem: %s", strerror(errno));
			return -errno;
		}
		log_info("probe: mounted the BPF filesystem on /sys/fs/bpf");
	}
	snprintf(path, sizeof(path), "%s", dir);
	for (slash = path + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(path, 0700);
		*slash = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Generation of the programs now active, from the pinned control map. */
static uint64_t probe_active_gen(const char *dir)
{
	char path[160];
	uint32_t zero = 0;
	uint64_t gen = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/control", dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_map_lookup_elem(fd, &zero, &gen))
		gen = 0;
	close(fd);
	return gen;
}

int probe_unpin_all(const char *dir)
{
	struct dirent *de;
	char path[400];
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			n++;
	}
	closedir(d);
	rmdir(dir);
	return n;
}

/* Drop the links of older generations: their programs detach, ours act. */
static void probe_unpin_old_links(const char *dir, uint64_t gen)
{
	struct dirent *de;
	char path[400], mine[64];
	DIR *d = opendir(dir);

	if (!d)
		return;
	snprintf(mine, sizeof(mine), "link_%llu_", (unsigned long long)gen);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "link_", 5) || !strncmp(de->d_name, mine, strlen(mine)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

static int probe_rb_cb(void *ctx, void *data, size_t len)
{
	struct probe *p = ctx;

	p->fn(p->arg, data, len);
	return 0;
}

static int probe_libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	if (line[0])
		log_msg(level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_INFO, "libbpf: %s", line);
	return 0;
}

static uint32_t probe_pow2(uint32_t v)
{
	uint32_t r = 4096;

	while (r < v)
		r <<= 1;
	return r;
}

/* Does sched_process_exit pass group_dead on this kernel? Read the
 * tracepoint's prototype from the kernel's BTF (a CO-RE feature check). */
static int probe_exit_has_group_dead(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, ret = 0;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "btf_trace_sched_process_exit", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type); /* pointer */
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type); /* function prototype */
	/* (void *ctx, struct task_struct *p, bool group_dead) */
	if (t && btf_is_func_proto(t) && btf_vlen(t) >= 3)
		ret = 1;
	btf__free(btf);
	return ret;
}

/* Does this tracepoint's BTF prototype take at least nargs arguments (the
 * leading ctx not counted)? */
static int probe_tp_nargs(const char *tp)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	char name[96];
	int id, ret = -1;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (t)
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_func_proto(t))
		ret = btf_vlen(t) - 1;
	btf__free(btf);
	return ret;
}

/* Open, size and load with one family of programs enabled. */
static int probe_load_one(struct probe *p, const struct sexec_conf *conf, int use_btf,
			  int with_attach, int with_state, int with_net)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = p->dir);
	struct lifecycle_bpf *s;
	int err;

	s = lifecycle_bpf__open_opts(&opts);
	if (!s)
		return -errno;
	s->rodata->argv_max = conf->argv_max;
	s->rodata->my_gen = p->gen;
	s->rodata->wakeup_bytes = probe_pow2(conf->ring_kb * 1024u) / 8;
	bpf_map__set_max_entries(s->maps.tracked, conf->max_tracked);
	bpf_map__set_max_entries(s->maps.events, probe_pow2(conf->ring_kb * 1024u));
	with_state = with_state && use_btf;
	with_net = with_net && use_btf;
	/* Children are accounted from birth when they end: fork has one variant. */
	bpf_program__set_autoload(s->progs.btf_fork, use_btf);
	bpf_program__set_autoload(s->progs.btf_exec, with_state);
	bpf_program__set_autoload(s->progs.btf_switch, with_state);
	bpf_program__set_autoload(s->progs.btf_exec_nostate, use_btf && !with_state);
	bpf_program__set_autoload(s->progs.btf_switch_nostate, use_btf && !with_state);
	bpf_program__set_autoload(s->progs.btf_wakeup, with_state);
	bpf_program__set_autoload(s->progs.btf_reclaim_begin, with_state);
	bpf_program__set_autoload(s->progs.btf_reclaim_end, with_state);
	bpf_program__set_autoload(s->progs.btf_memcg_reclaim_begin, with_state);
	bpf_program__set_autoload(s->progs.btf_memcg_reclaim_end, with_state);
	bpf_map__set_max_entries(s->maps.tstate, conf->max_tracked);
	bpf_program__set_autoload(s->progs.btf_exit, use_btf && !p->group_dead);
	bpf_program__set_autoload(s->progs.btf_exit_gd, use_btf && p->group_dead);
	bpf_program__set_autoload(s->progs.btf_oom, use_btf && p->oom_task);
	bpf_program__set_autoload(s->progs.btf_oom_pid, use_btf && !p->oom_task);
	bpf_program__set_autoload(s->progs.btf_net_send, with_net);
	bpf_program__set_autoload(s->progs.btf_net_recv, with_net);
	bpf_program__set_autoload(s->progs.raw_switch, !use_btf);
	bpf_program__set_autoload(s->progs.raw_fork, !use_btf);
	bpf_program__set_autoload(s->progs.raw_exec, !use_btf);
	bpf_program__set_autoload(s->progs.raw_exit, !use_btf);
	bpf_program__set_autoload(s->progs.btf_attach, with_state && with_attach);
	bpf_program__set_autoload(s->progs.btf_attach_nostate,
				  use_btf && !with_state && with_attach);
	bpf_program__set_autoload(s->progs.raw_attach, !use_btf && with_attach);
	err = lifecycle_bpf__load(s);
	if (!err)
		err = lifecycle_bpf__attach(s);
	if (err) {
		lifecycle_bpf__destroy(s);
		return err;
	}
	p->skel = s;
	p->mode = use_btf ? "tp_btf" : "raw_tp";
	return 0;
}

/* The newest and least portable parts load only where the kernel has them:
 * the cgroup attach program (kernfs node ids are u64 since 5.5), socket
 * byte counts (socket length tracepoints, 6.3) and the time breakdown (plain
 * loads through trusted task pointers in tp_btf programs). Without one, only
 * what it observes is lost. */
static int probe_load(struct probe *p, const struct sexec_conf *conf, int use_btf)
{
	static const struct {
		int attach, state, net;
	} tries[] = { { 1, 1, 1 }, { 1, 1, 0 }, { 0, 1, 0 }, { 1, 0, 0 }, { 0, 0, 0 } };
	int err = 0, i, first = 0;
	size_t k;

	for (k = 0; k < sizeof(tries) / sizeof(tries[0]); k++) {
		if (!use_btf && (tries[k].state || tries[k].net))
			continue;
		err = probe_load_one(p, conf, use_btf, tries[k].attach, tries[k].state,
				     tries[k].net);
		if (!first)
			first = err;
		if (!err)
			break;
	}
	if (err)
		return err;
	p->no_adopt = !tries[k].attach;
	p->no_state = !tries[k].state;
	p->no_net = !tries[k].net;
	i = first ? -first : 0;
	if (p->no_adopt)
		log_warn("probe: the cgroup attach program did not load (%s): processes moved "
			 "into a job's extern step (pam_slurm_adopt) are not followed", strerror(i));
	if (p->no_state)
		log_warn("probe: the scheduler state programs did not load (%s): no time "
			 "breakdown (on CPU, run queue, I/O, memory, sleep)", strerror(i));
	if (p->no_net)
		log_warn("probe: the socket programs did not load (%s): no network byte counts",
			 strerror(i));
	return 0;
}

/* Load (tp_btf, else raw_tp), pin the links, then take over from the
 * previous generation with one write to the control map. */
static int probe_start(struct probe *p, const struct sexec_conf *conf)
{
	struct bpf_program *prog;
	char path[400];
	uint32_t zero = 0;
	int err;

	if (strcmp(conf->bpf_attach, "raw_tp") == 0) {
		err = probe_load(p, conf, 0);
	} else {
		err = probe_load(p, conf, 1);
		if (err && strcmp(conf->bpf_attach, "auto") == 0) {
			log_warn("probe: tp_btf programs did not load (%s); trying raw_tp",
				 strerror(-err));
			err = probe_load(p, conf, 0);
		}
	}
	if (err)
		return err;
	bpf_object__for_each_program(prog, p->skel->obj) {
		struct bpf_link **link = NULL;

		if (!bpf_program__autoload(prog))
			continue;
#define LINK_OF(name) if (prog == p->skel->progs.name) link = &p->skel->links.name
		LINK_OF(btf_fork); LINK_OF(btf_exec); LINK_OF(btf_exit); LINK_OF(btf_exit_gd);
		LINK_OF(raw_fork); LINK_OF(raw_exec); LINK_OF(raw_exit);
		LINK_OF(btf_switch); LINK_OF(raw_switch);
		LINK_OF(btf_attach); LINK_OF(raw_attach);
		LINK_OF(btf_exec_nostate); LINK_OF(btf_switch_nostate);
		LINK_OF(btf_attach_nostate); LINK_OF(btf_wakeup);
		LINK_OF(btf_reclaim_begin); LINK_OF(btf_reclaim_end);
		LINK_OF(btf_memcg_reclaim_begin); LINK_OF(btf_memcg_reclaim_end);
		LINK_OF(btf_oom); LINK_OF(btf_oom_pid);
		LINK_OF(btf_net_send); LINK_OF(btf_net_recv);
#undef LINK_OF
		if (!link || !*link)
			continue;
		snprintf(path, sizeof(path), "%s/link_%llu_%s", p->dir, (unsigned long long)p->gen,
			 bpf_program__name(prog));
		unlink(path);
		if (bpf_link__pin(*link, path))
			log_warn("probe: cannot pin %s: tracking will not survive a restart", path);
	}
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.control), &zero, &p->gen, BPF_ANY)) {
		err = -errno;
		lifecycle_bpf__destroy(p->skel);
		p->skel = NULL;
		return err;
	}
	probe_unpin_old_links(p->dir, p->gen);
	return 0;
}

int create_probe(struct probe **out, const struct sexec_conf *conf, probe_event_fn fn, void *arg)
{
	struct probe *p = calloc(1, sizeof(*p));
	char path[160];
	uint64_t old;
	int err;

	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	p->ncpus = libbpf_num_possible_cpus();
	p->group_dead = probe_exit_has_group_dead();
	p->oom_task = probe_tp_nargs("mark_victim") >= 2;
	snprintf(p->dir, sizeof(p->dir), "%s", conf->bpf_dir);
	libbpf_set_print(probe_libbpf_log);
	err = probe_bpffs(p->dir);
	if (err) {
		free(p);
		return err;
	}
	old = probe_active_gen(p->dir);
	snprintf(path, sizeof(path), "%s/tracked", p->dir);
	p->restored = old != 0 && access(path, F_OK) == 0;
	p->gen = old + 1;
	err = probe_start(p, conf);
	if (err && p->restored) {
		/* The pinned maps do not fit this build or configuration (ring
		 * size, map size): start afresh rather than not at all. */
		log_err("probe: cannot reuse the pinned maps in %s (%s); starting afresh: "
			"processes tracked by the previous collector are lost",
			p->dir, strerror(-err));
		probe_unpin_all(p->dir);
		mkdir(p->dir, 0700);
		p->restored = 0;
		p->gen = 1;
		err = probe_start(p, conf);
	}
	if (err) {
		log_err("probe: cannot load the BPF programs: %s", strerror(-err));
		free(p);
		return err;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events), probe_rb_cb, p, NULL);
	if (!p->rb) {
		err = -errno;
		destroy_probe(p);
		return err;
	}
	log_info("probe: lifecycle programs attached (%s%s, generation %llu%s)", p->mode,
		 p->group_dead && strcmp(p->mode, "tp_btf") == 0 ? ", exit with group_dead" : "",
		 (unsigned long long)p->gen,
		 p->restored ? ", took over pinned maps" : "");
	*out = p;
	return 0;
}

void destroy_probe(struct probe *p)
{
	if (!p)
		return;
	ring_buffer__free(p->rb);
	lifecycle_bpf__destroy(p->skel);
	free(p);
}

int probe_fd(struct probe *p)
{
	return ring_buffer__epoll_fd(p->rb);
}

int probe_drain(struct probe *p)
{
	return ring_buffer__consume(p->rb);
}

const char *probe_mode(struct probe *p)
{
	return p->mode;
}

int probe_restored(struct probe *p)
{
	return p->restored;
}

void probe_each_tracked(struct probe *p,
			void (*fn)(void *arg, uint32_t tgid, uint32_t ppid, uint64_t cookie),
			void *arg)
{
	int fd = bpf_map__fd(p->skel->maps.tracked);
	uint32_t key, next;
	struct sexec_track t;
	int first = 1;

	while (bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &t) == 0)
			fn(arg, key, t.ppid, t.cookie);
	}
}

int probe_is_tracked(struct probe *p, uint32_t tgid)
{
	struct sexec_track t;

	return bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.tracked), &tgid, &t) == 0;
}

uint64_t probe_lost_unattributed(struct probe *p)
{
	uint32_t key = SEXEC_STAT_LOST_UNATTRIBUTED;
	uint64_t *vals = calloc((size_t)p->ncpus, sizeof(*vals)), sum = 0;
	int c;

	if (vals && bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.stats), &key, vals) == 0)
		for (c = 0; c < p->ncpus; c++)
			sum += vals[c];
	free(vals);
	return sum;
}

uint64_t probe_take_lost(struct probe *p, uint64_t cookie)
{
	int fd = bpf_map__fd(p->skel->maps.lost);
	uint64_t n = 0;

	if (bpf_map_lookup_elem(fd, &cookie, &n))
		return 0;
	bpf_map_delete_elem(fd, &cookie);
	return n;
}

int probe_track(struct probe *p, uint32_t tgid, uint32_t ppid, uint64_t cookie)
{
	struct sexec_track t = { .cookie = cookie, .ppid = ppid, .threads = 1, .alive = 1,
				 .fresh = 1 };

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.tracked), &tgid, &t, BPF_ANY))
		return -errno;
	return 0;
}

static uint32_t probe_slot(uint64_t cookie)
{
	return (uint32_t)(cookie & (SEXEC_CAGG_SLOTS - 1));
}

void probe_reset_times(struct probe *p, uint64_t cookie)
{
	struct sexec_cagg *zero = calloc((size_t)p->ncpus, sizeof(*zero));
	uint32_t slot = probe_slot(cookie);

	if (zero)
		bpf_map_update_elem(bpf_map__fd(p->skel->maps.cagg), &slot, zero, BPF_ANY);
	free(zero);
}

int probe_has_state(struct probe *p)
{
	return !p->no_state;
}

int probe_has_net(struct probe *p)
{
	return !p->no_net;
}

int probe_read_times(struct probe *p, uint64_t cookie, uint64_t *ns)
{
	struct sexec_cagg *v = calloc((size_t)p->ncpus, sizeof(*v));
	uint32_t slot = probe_slot(cookie);
	int c, k;

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.cagg), &slot, v)) {
		free(v);
		return -ENOENT;
	}
	for (c = 0; c < p->ncpus; c++)
		for (k = 0; k < SEXEC_ST_MAX; k++)
			ns[k] += v[c].ns[k];
	free(v);
	return 0;
}


void probe_prune_watches(struct probe *p, int (*keep)(void *arg, uint64_t cookie), void *arg)
{
	int fd = bpf_map__fd(p->skel->maps.cgwatch);
	uint64_t key, next, cookie, gone[256];
	int n = 0, i, first = 1;

	/* Deleting while walking restarts the walk: collect, then delete. */
	while (n < 256 && bpf_map_get_next_key(fd, first ? NULL : &key, &next) == 0) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(fd, &key, &cookie) == 0 && !keep(arg, cookie))
			gone[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	if (n)
		log_info("probe: %d cgroup watches of ended jobs removed", n);
}

void probe_untrack(struct probe *p, uint32_t tgid)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.tracked), &tgid);
}

int probe_watch_cgroup(struct probe *p, uint64_t cgid, uint64_t cookie)
{
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.cgwatch), &cgid, &cookie, BPF_ANY))
		return -errno;
	return 0;
}

void probe_unwatch_cgroup(struct probe *p, uint64_t cgid)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.cgwatch), &cgid);
}

void probe_get_stats(struct probe *p, struct probe_stats *st)
{
	struct bpf_program *prog;
	uint64_t *vals;
	uint32_t i, key, next;
	int c, fd = bpf_map__fd(p->skel->maps.tracked);

	memset(st, 0, sizeof(*st));
	vals = calloc((size_t)p->ncpus, sizeof(*vals));
	for (i = 0; vals && i < SEXEC_STAT_MAX; i++) {
		uint64_t sum = 0;

		if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.stats), &i, vals))
			continue;
		for (c = 0; c < p->ncpus; c++)
			sum += vals[c];
		if (i == SEXEC_STAT_EVENTS)
			st->events = sum;
		else if (i == SEXEC_STAT_RB_FULL)
			st->rb_full = sum;
		else if (i == SEXEC_STAT_MAP_FULL)
			st->map_full = sum;
		else if (i == SEXEC_STAT_LOST_UNATTRIBUTED)
			st->lost_unattributed = sum;
	}
	free(vals);
	for (key = 0; bpf_map_get_next_key(fd, st->tracked_now ? &key : NULL, &next) == 0;) {
		key = next;
		st->tracked_now++;
	}
	bpf_object__for_each_program(prog, p->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(prog) || st->nprogs >= PROBE_MAX_PROGS)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len))
			continue;
		snprintf(st->progs[st->nprogs].name, sizeof(st->progs[0].name), "%s",
			 bpf_program__name(prog));
		st->progs[st->nprogs].run_cnt = info.run_cnt;
		st->progs[st->nprogs].run_time_ns = info.run_time_ns;
		st->nprogs++;
	}
}
