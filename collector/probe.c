// SPDX-License-Identifier: GPL-2.0-or-later
/* Loads lifecycle.bpf.o through its generated skeleton. Settings go in via
 * rodata and map sizes before load; tp_btf is tried first, raw_tp after. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
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
};

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

/* Open, size and load with one family of programs enabled. */
static int probe_load(struct probe *p, const struct sexec_conf *conf, int use_btf)
{
	struct lifecycle_bpf *s;
	int err;

	s = lifecycle_bpf__open();
	if (!s)
		return -errno;
	s->rodata->argv_max = conf->argv_max;
	bpf_map__set_max_entries(s->maps.tracked, conf->max_tracked);
	bpf_map__set_max_entries(s->maps.events, probe_pow2(conf->ring_kb * 1024u));
	bpf_program__set_autoload(s->progs.btf_fork, use_btf);
	bpf_program__set_autoload(s->progs.btf_exec, use_btf);
	bpf_program__set_autoload(s->progs.btf_exit, use_btf);
	bpf_program__set_autoload(s->progs.raw_fork, !use_btf);
	bpf_program__set_autoload(s->progs.raw_exec, !use_btf);
	bpf_program__set_autoload(s->progs.raw_exit, !use_btf);
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

int create_probe(struct probe **out, const struct sexec_conf *conf, probe_event_fn fn, void *arg)
{
	struct probe *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->fn = fn;
	p->arg = arg;
	p->ncpus = libbpf_num_possible_cpus();
	libbpf_set_print(probe_libbpf_log);
	err = probe_load(p, conf, 1);
	if (err) {
		log_warn("probe: tp_btf programs did not load (%s); trying raw_tp", strerror(-err));
		err = probe_load(p, conf, 0);
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
	log_info("probe: lifecycle programs attached (%s)", p->mode);
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

int probe_track(struct probe *p, uint32_t tgid, uint32_t ppid, uint64_t cookie)
{
	struct sexec_track t = { .cookie = cookie, .ppid = ppid, .threads = 1 };

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.tracked), &tgid, &t, BPF_ANY))
		return -errno;
	return 0;
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
	}
	free(vals);
	for (key = 0; bpf_map_get_next_key(fd, st->tracked_now ? &key : NULL, &next) == 0;) {
		key = next;
		st->tracked_now++;
	}
	bpf_object__for_each_program(prog, p->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		if (!bpf_program__autoload(prog) || st->nprogs >= 8)
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
