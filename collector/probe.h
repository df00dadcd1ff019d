/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Owner of the lifecycle BPF programs: load, attach (tp_btf, else raw_tp),
 * track a task, drain the ring buffer, and read per-program costs. */
#ifndef SEXEC_PROBE_H
#define SEXEC_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "sexec/conf.h"

struct probe;

/* Called for each ring buffer record; data points at a struct sexec_ev_*. */
typedef void (*probe_event_fn)(void *arg, const void *data, size_t len);

int create_probe(struct probe **out, const struct sexec_conf *conf, probe_event_fn fn, void *arg);
void destroy_probe(struct probe *p);

int probe_fd(struct probe *p);       /* epoll-able ring buffer fd */
int probe_drain(struct probe *p);    /* consume ready records; count or -errno */
int probe_track(struct probe *p, uint32_t tgid, uint32_t ppid, uint64_t cookie);
/* Remove cgroup watches whose cookie keep() does not want (after a restart). */
void probe_prune_watches(struct probe *p, int (*keep)(void *arg, uint64_t cookie), void *arg);
/* Stop following a process (its exit will not be reported). */
void probe_untrack(struct probe *p, uint32_t tgid);
/* Adopt processes moved into the extern step below this cgroup (its id). */
int probe_watch_cgroup(struct probe *p, uint64_t cgid, uint64_t cookie);
void probe_unwatch_cgroup(struct probe *p, uint64_t cgid);
const char *probe_mode(struct probe *p); /* "tp_btf" or "raw_tp" */
/* 1 when the pinned maps of a previous collector were taken over: processes
 * it tracked are still tracked, and its unread events are still queued. */
int probe_restored(struct probe *p);
/* Visit every tracked process (tgid, parent at fork, cookie). */
void probe_each_tracked(struct probe *p,
			void (*fn)(void *arg, uint32_t tgid, uint32_t ppid, uint64_t cookie),
			void *arg);
int probe_is_tracked(struct probe *p, uint32_t tgid);
/* Losses BPF could not charge to a registration, summed over CPUs. */
uint64_t probe_lost_unattributed(struct probe *p);
/* Events lost for one registration; the counter is reset. */
uint64_t probe_take_lost(struct probe *p, uint64_t cookie);
/* Remove every pin under dir (maps and links) so the programs detach once no
 * collector holds them. */
int probe_unpin_all(const char *dir);

/* 1 when the time breakdown programs are loaded. */
int probe_has_state(struct probe *p);
int probe_has_net(struct probe *p); /* 1 when socket bytes are counted */
/* Add a registration's time per state (ns[SEXEC_ST_MAX]) to ns: its ended
 * threads' and its closed I/O and memory intervals. -ENOENT when none. */
int probe_read_times(struct probe *p, uint64_t cookie, uint64_t *ns);
/* Zero a new registration's time totals (its slot, cookie % SEXEC_CAGG_SLOTS,
 * which the caller keeps for one live registration at a time). */
void probe_reset_times(struct probe *p, uint64_t cookie);

#define PROBE_MAX_PROGS 24

struct probe_prog_stats {
	char name[32];
	uint64_t run_cnt, run_time_ns;
};

struct probe_stats {
	uint64_t events, rb_full, map_full, lost_unattributed;
	uint32_t tracked_now;
	int nprogs;
	struct probe_prog_stats progs[PROBE_MAX_PROGS];
};

void probe_get_stats(struct probe *p, struct probe_stats *st);

#endif
