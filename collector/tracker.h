/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tracker turns registrations and BPF lifecycle events into records:
 * which step and task every process belongs to, what it ran, what it used. */
#ifndef SEXEC_TRACKER_H
#define SEXEC_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "sexec/proto.h"
#include "probe.h"
#include "store.h"

struct tracker;

struct tracker_stats {
	uint64_t steps_live, procs_live, registrations, records, orphans;
	uint64_t rows_folded; /* processes kept only in per-tool totals (cap, full spool) */
};

struct tracker *create_tracker(struct store *store, const struct sexec_conf *conf);
void destroy_tracker(struct tracker *t);
void tracker_set_probe(struct tracker *t, struct probe *p);
/* Tool naming rules (NULL: the built-in ones); the caller keeps ownership. */
struct tool_rules;
void tracker_set_tool_rules(struct tracker *t, const struct tool_rules *r);
/* Where job descriptions are sent (NULL: nowhere); the caller keeps ownership. */
struct jobinfo;
void tracker_set_jobinfo(struct tracker *t, struct jobinfo *ji);
/* After a restart that took over the pinned maps, replay the registration log
 * and rebuild the process table from the tracked map; otherwise start the log
 * afresh. Call before the ring buffer is first drained. */
int tracker_restore(struct tracker *t, int restored);

/* Register a task (and its step on first sight); returns 0 and the cookie, or -errno. */
int tracker_add_task(struct tracker *t, const struct sexec_msg *m, uint64_t *cookie);
/* Register a step without tasks (extern): watch the job's cgroups, found from
 * pid (its slurmstepd), for processes moved into the extern step. */
int tracker_add_watch(struct tracker *t, const struct sexec_msg *m, uint32_t pid);
int tracker_end_task(struct tracker *t, const struct sexec_msg *m);
int tracker_end_step(struct tracker *t, const struct sexec_msg *m);
/* Work left for after the reply to the plugin (the step end's records). */
void tracker_after_reply(struct tracker *t);
/* Ring buffer callback. */
void tracker_on_event(void *arg, const void *data, size_t len);
/* Periodic work: finish steps whose processes are gone or whose grace ran out. */
void tracker_tick(struct tracker *t);
void tracker_get_stats(struct tracker *t, struct tracker_stats *st);

/* Boot-time ns to Unix µs. */
uint64_t tracker_boot_to_unix_us(uint64_t boot_ns);

#endif
