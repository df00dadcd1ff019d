// SPDX-License-Identifier: GPL-2.0-or-later
/* Process lifecycle probes: follow every descendant of a registered task
 * (fork), note what it runs (exec) and read the kernel's accounting when its
 * last thread exits. Untracked processes cost one hash lookup. */
#include "sexec_kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "sexec/event.h"

char LICENSE[] SEC("license") = "GPL";

/* Set by the loader before load. */
const volatile __u32 argv_max = SEXEC_ARGV_MAX;
/* This object's generation: it acts only while control[0] names it, so a
 * restarted collector can attach its programs first and then take over from
 * the previous ones in one map write, with no gap and no double counting. */
const volatile __u64 my_gen = 1;
/* Wake the collector only once this much is queued; it also drains the ring
 * on a short timer, so a wake-up per event (an interrupt each) is avoided. */
const volatile __u64 wakeup_bytes = 65536;

/* Pinned maps outlive the collector, so tracking survives its restart. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by the loader */
	__type(key, __u32);
	__type(value, struct sexec_track);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* resized by the loader */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEXEC_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

/* Events lost per registration (cookie), so losses land on the right job. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} lost SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} control SEC(".maps");

/* Watched job cgroups (id -> cookie of the job's extern step registration):
 * a process moved into their extern step from outside the task tree, as
 * pam_slurm_adopt moves ssh sessions, is tracked from then on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cgwatch SEC(".maps");

/* Per-thread accounting, keyed by tid, for the threads that need one (see
 * event.h). Preallocated: entries are made inside sched_switch, under the
 * run-queue lock, where nothing may allocate memory. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by the loader */
	__type(key, __u32);
	__type(value, struct sexec_tstate);
	__uint(pinning, LIBBPF_PIN_BY_NAME); /* live threads keep their account across a restart */
} tstate SEC(".maps");

/* Per registration (its slot), per CPU: time in each state. The collector
 * zeroes a slot when it hands it to a new registration. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SEXEC_CAGG_SLOTS);
	__type(key, __u32);
	__type(value, struct sexec_cagg);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cagg SEC(".maps");

/* Exec events are larger than the BPF stack: build them here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sexec_ev_exec);
} exec_scratch SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline int gen_active(void)
{
	__u32 zero = 0;
	__u64 *gen = bpf_map_lookup_elem(&control, &zero);

	return gen && *gen == my_gen;
}

/* A record of this registration could not be sent: count it against it. */
static __always_inline void lost_inc(__u64 cookie, __u32 why)
{
	__u64 one = 1, *v = bpf_map_lookup_elem(&lost, &cookie);

	stat_inc(why);
	if (v)
		__sync_fetch_and_add(v, 1);
	else if (bpf_map_update_elem(&lost, &cookie, &one, BPF_NOEXIST))
		stat_inc(SEXEC_STAT_LOST_UNATTRIBUTED);
}

static __always_inline __u64 rb_flags(void)
{
	return bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP
									       : BPF_RB_NO_WAKEUP;
}

static __always_inline void hdr_fill(struct sexec_ev_hdr *h, __u32 type, __u32 tgid, __u64 cookie)
{
	h->type = type;
	h->tgid = tgid;
	h->cookie = cookie;
	h->ts_ns = bpf_ktime_get_boot_ns();
}

static __always_inline __u64 task_start_ns(struct task_struct *t)
{
	if (bpf_core_field_exists(t->start_boottime))
		return BPF_CORE_READ(t, start_boottime);
	return BPF_CORE_READ((struct task_struct___old *)t, real_start_time);
}

/* Add to the registration's per-CPU totals. */
static __always_inline void cagg_add(__u64 cookie, __u32 state, __u64 d)
{
	__u32 slot = (__u32)cookie & (SEXEC_CAGG_SLOTS - 1);
	struct sexec_cagg *agg = bpf_map_lookup_elem(&cagg, &slot);

	if (agg && state < SEXEC_ST_MAX)
		agg->ns[state] += d;
}

/* Start accounting a thread of a tracked process: from now (from_birth 0:
 * what it ran and waited so far is left out) or from its birth. */
static __always_inline struct sexec_tstate *st_create(struct task_struct *task, __u64 cookie,
						      int from_birth)
{
	__u32 tid = BPF_CORE_READ(task, pid);
	struct sexec_tstate *ts = bpf_map_lookup_elem(&tstate, &tid), nt = {};

	if (ts && ts->cookie == cookie)
		return ts; /* already accounted */
	nt.cookie = cookie;
	if (from_birth) {
		nt.ts0 = task_start_ns(task);
	} else {
		nt.rt0 = BPF_CORE_READ(task, se.sum_exec_runtime);
		if (bpf_core_field_exists(task->sched_info.run_delay))
			nt.rd0 = BPF_CORE_READ(task, sched_info.run_delay);
		nt.ts0 = bpf_ktime_get_boot_ns();
	}
	if (bpf_map_update_elem(&tstate, &tid, &nt, BPF_ANY)) {
		stat_inc(SEXEC_STAT_STATE_MISS);
		return NULL;
	}
	return bpf_map_lookup_elem(&tstate, &tid);
}

/* The state of a thread that is about to need one: its own, else, when its
 * process is tracked, a new one from its birth. Only threads that block on
 * I/O or memory, or reclaim, get here: an untracked one pays one lookup. */
static __always_inline struct sexec_tstate *st_need(struct task_struct *task)
{
	struct sexec_tstate *ts;
	struct sexec_track *t;
	__u32 tgid, tid;

	/* io_uring and other kernel-made workers never get a final account. */
	if (task->flags & (PF_IO_WORKER | PF_USER_WORKER))
		return NULL;
	tgid = task->tgid;
	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t || t->fresh)
		return NULL;
	tid = task->pid;
	ts = bpf_map_lookup_elem(&tstate, &tid);
	if (ts && ts->cookie == t->cookie)
		return ts;
	/* A thread of an adopted process is accounted from now, not birth. */
	return st_create(task, t->cookie, !t->adopted);
}

/* (The state programs are tp_btf only: their task pointers are trusted BTF
 * pointers, read with plain loads rather than probe-read helper calls.) */
static __always_inline int task_memstall(struct task_struct *t)
{
	if (bpf_core_field_exists(t->in_memstall))
		return BPF_CORE_READ_BITFIELD(t, in_memstall);
	return !!(t->flags & PF_MEMSTALL);
}

static __always_inline int task_iowait(struct task_struct *t)
{
	return BPF_CORE_READ_BITFIELD(t, in_iowait);
}

/* Close a blocked interval at now. */
static __always_inline void st_unblock(struct sexec_tstate *ts, __u64 now)
{
	__u64 d = now > ts->blk_ts ? now - ts->blk_ts : 0;

	if (ts->blk == SEXEC_ST_MEM)
		ts->mem_ns += d;
	else
		ts->io_ns += d;
	cagg_add(ts->cookie, ts->blk, d);
	ts->blk = 0;
}

/* A thread's last switch: its states, from the kernel's run and wait times
 * plus the intervals timed here (none for a thread without state: it never
 * blocked on I/O or memory); sleep is the rest of its lifetime. */
static __always_inline void st_final(struct task_struct *task, struct sexec_tstate *ts,
				     __u64 cookie, __u64 *out)
{
	__u64 now = bpf_ktime_get_boot_ns(), on, rq = 0, used, life, t0;
	__u64 rt0 = 0, rd0 = 0, io = 0, mem = 0, rcpu = 0;

	if (ts) {
		if (ts->blk)
			st_unblock(ts, now);
		rt0 = ts->rt0;
		rd0 = ts->rd0;
		io = ts->io_ns;
		mem = ts->mem_ns;
		rcpu = ts->reclaim_cpu_ns;
		t0 = ts->ts0;
	} else {
		t0 = task_start_ns(task);
	}
	on = task->se.sum_exec_runtime;
	on = on > rt0 ? on - rt0 : 0;
	/* Reclaim on the CPU is a memory stall, not work. */
	on = on > rcpu ? on - rcpu : 0;
	if (bpf_core_field_exists(task->sched_info.run_delay)) {
		rq = task->sched_info.run_delay;
		rq = rq > rd0 ? rq - rd0 : 0;
	}
	life = now > t0 ? now - t0 : 0;
	used = on + rq + io + mem;
	out[SEXEC_ST_ONCPU] = on;
	out[SEXEC_ST_RUNQ] = rq;
	out[SEXEC_ST_IO] = io;
	out[SEXEC_ST_MEM] = mem;
	out[SEXEC_ST_SLEEP] = life > used ? life - used : 0;
	cagg_add(cookie, SEXEC_ST_ONCPU, on);
	cagg_add(cookie, SEXEC_ST_RUNQ, rq);
	cagg_add(cookie, SEXEC_ST_SLEEP, out[SEXEC_ST_SLEEP]);
}

static __always_inline int handle_fork(struct task_struct *parent, struct task_struct *child)
{
	__u32 ptgid = BPF_CORE_READ(parent, tgid);
	__u32 ctgid = BPF_CORE_READ(child, tgid);
	struct sexec_track *pt, nt = {};
	struct sexec_ev_fork *e;

	pt = bpf_map_lookup_elem(&tracked, &ptgid);
	if (!pt || !gen_active())
		return 0;
	if (ctgid == ptgid) { /* a new thread of a tracked process */
		__sync_fetch_and_add(&pt->threads, 1);
		__sync_fetch_and_add(&pt->alive, 1);
		return 0;
	}
	nt.cookie = pt->cookie;
	nt.start_ns = task_start_ns(child);
	nt.ppid = ptgid;
	nt.threads = 1;
	nt.alive = 1;
	nt.cwd_key = pt->cwd_key;
	if (bpf_map_update_elem(&tracked, &ctgid, &nt, BPF_ANY)) {
		/* The child escapes tracking: its record will be missing. */
		lost_inc(nt.cookie, SEXEC_STAT_MAP_FULL);
		return 0;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		lost_inc(nt.cookie, SEXEC_STAT_RB_FULL);
		return 0;
	}
	hdr_fill(&e->hdr, SEXEC_EV_FORK, ctgid, nt.cookie);
	e->ppid = ptgid;
	e->adopted = 0;
	e->start_ns = nt.start_ns;
	bpf_ringbuf_submit(e, rb_flags());
	stat_inc(SEXEC_STAT_EVENTS);
	return 0;
}

/* The working directory, innermost component first, crossing mount points
 * up to the root; bounded so the verifier can prove it terminates. */
static __always_inline void read_cwd(struct task_struct *p, struct sexec_ev_exec *e)
{
	struct dentry *d = BPF_CORE_READ(p, fs, pwd.dentry);
	struct vfsmount *vm = BPF_CORE_READ(p, fs, pwd.mnt);
	struct mount *m = (void *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
	__u32 off = 0;
	int i;

	e->cwd_trunc = 1;
	for (i = 0; i < SEXEC_CWD_DEPTH; i++) {
		struct dentry *parent = BPF_CORE_READ(d, d_parent);
		long n;

		if (d == BPF_CORE_READ(m, mnt.mnt_root)) {
			struct mount *mp = BPF_CORE_READ(m, mnt_parent);

			if (mp == m) {
				e->cwd_trunc = 0;
				break;
			}
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			continue;
		}
		if (parent == d) {
			e->cwd_trunc = 0;
			break;
		}
		if (off > SEXEC_CWD_MAX - 256)
			break;
		n = bpf_probe_read_kernel_str(&e->data[off], 256, BPF_CORE_READ(d, d_name.name));
		if (n <= 0)
			break;
		off += n;
		d = parent;
	}
	e->cwd_len = off;
}

static __always_inline int handle_exec(struct task_struct *p, pid_t old_pid,
				       struct linux_binprm *bprm, int with_state)
{
	__u32 tgid = BPF_CORE_READ(p, tgid), zero = 0;
	struct sexec_track *t;
	struct sexec_ev_exec *e;
	unsigned long start, end;
	__u64 len, size, cwd_key, coff;

	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t || !gen_active())
		return 0;
	/* A registered task is first seen here, when it runs its program:
	 * its accounting starts now. Children are accounted from birth. */
	if (with_state && t->fresh)
		st_create(p, t->cookie, 0);
	t->fresh = 0;
	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	hdr_fill(&e->hdr, SEXEC_EV_EXEC, tgid, t->cookie);
	e->old_tid = old_pid;
	e->pad = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), BPF_CORE_READ(bprm, filename));
	/* Walking the path costs more than the rest of the event: skip it
	 * when the directory is the one the parent's record already has. */
	cwd_key = (__u64)BPF_CORE_READ(p, fs, pwd.dentry);
	e->cwd_same = cwd_key == t->cwd_key;
	if (e->cwd_same) {
		e->cwd_len = 0;
		e->cwd_trunc = 0;
	} else {
		read_cwd(p, e);
	}
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	e->argv_trunc = len > argv_max;
	if (len > argv_max)
		len = argv_max;
	if (len > SEXEC_ARGV_MAX)
		len = SEXEC_ARGV_MAX;
	coff = e->cwd_len;
	if (coff > SEXEC_CWD_MAX)
		coff = SEXEC_CWD_MAX;
	if (len == 0 || bpf_probe_read_user(&e->data[coff],
					    len & (SEXEC_ARGV_MAX - 1) ?: SEXEC_ARGV_MAX,
					    (void *)start))
		len = 0;
	e->argv_len = len;
	size = __builtin_offsetof(struct sexec_ev_exec, data) + coff + len;
	if (size > sizeof(*e))
		size = sizeof(*e);
	if (bpf_ringbuf_output(&events, e, size, rb_flags())) {
		lost_inc(t->cookie, SEXEC_STAT_RB_FULL);
		return 0;
	}
	/* Only a directory the collector has seen may be skipped next time. */
	t->cwd_key = cwd_key;
	stat_inc(SEXEC_STAT_EVENTS);
	return 0;
}

/* group_dead: 1 or 0 when the tracepoint says whether this was the last
 * thread, -1 on kernels whose tracepoint does not pass it. Only notes when
 * and how the group ended: the totals are read at each thread's last switch. */
static __always_inline int handle_exit(struct task_struct *p, int group_dead)
{
	__u32 tgid = BPF_CORE_READ(p, tgid);
	struct signal_struct *sig;
	struct sexec_track *t;

	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t || !gen_active())
		return 0;
	/* do_exit() has already dropped this thread from signal->live, which
	 * tells the same on kernels that do not pass group_dead. */
	sig = BPF_CORE_READ(p, signal);
	if (group_dead == 0 || (group_dead < 0 && BPF_CORE_READ(sig, live.counter) != 0))
		return 0;
	t->end_ns = bpf_ktime_get_boot_ns();
	if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT)
		t->exit_code = BPF_CORE_READ(sig, group_exit_code);
	else
		t->exit_code = BPF_CORE_READ(p, group_leader, exit_code);
	return 0;
}

static __always_inline unsigned int task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return (unsigned int)BPF_CORE_READ((struct task_struct___old *)t, state);
}

/* The same with a plain load, for tp_btf programs. */
static __always_inline unsigned int task_state_btf(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return t->__state;
	return (unsigned int)((struct task_struct___old *)t)->state;
}

/* A thread is switched out for the last time: its run time, faults, context
 * switches and I/O are final. Add them to its process; when it was the
 * process's last thread, send the record. Every other switch costs one load
 * and a compare. */
static __always_inline int handle_switch(bool preempt, struct task_struct *prev,
					 struct task_struct *next, int with_state)
{
	struct sexec_tstate *ps = NULL;
	__u64 st[SEXEC_ST_MAX] = {};
	struct sexec_track *t;
	struct sexec_ev_exit *e;
	struct signal_struct *sig;
	unsigned int state = with_state ? task_state_btf(prev) : task_state(prev);
	__u64 nvcsw;
	__u32 tgid;
	int i;

	if (with_state) {
		/* Only a thread that blocks on I/O or memory opens an interval
		 * (if tracked); every other switch costs a few plain loads. The
		 * wake-up closes it. One still open was not closed (a missed
		 * wake-up): it is dropped, not stretched over the time since. */
		if (!preempt && state && !(state & TASK_DEAD)) {
			int mem = task_memstall(prev), io = !mem && task_iowait(prev);

			ps = (mem || io) ? st_need(prev) : NULL;
			if (ps && gen_active()) {
				if (ps->blk)
					stat_inc(SEXEC_STAT_STATE_MISS);
				ps->blk = mem ? SEXEC_ST_MEM : SEXEC_ST_IO;
				ps->blk_ts = bpf_ktime_get_boot_ns();
			}
		}
		ps = NULL;
	}
	if (!(state & TASK_DEAD))
		return 0;
	/* io_uring and other kernel-made worker threads are created without
	 * sched_process_fork, so they never joined the alive count. */
	if (BPF_CORE_READ(prev, flags) & (PF_IO_WORKER | PF_USER_WORKER))
		return 0;
	tgid = BPF_CORE_READ(prev, tgid);
	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t || !gen_active())
		return 0;
	__sync_fetch_and_add(&t->rtime_ns, BPF_CORE_READ(prev, se.sum_exec_runtime));
	__sync_fetch_and_add(&t->utime_ns, BPF_CORE_READ(prev, utime));
	__sync_fetch_and_add(&t->stime_ns, BPF_CORE_READ(prev, stime));
	__sync_fetch_and_add(&t->minflt, BPF_CORE_READ(prev, min_flt));
	__sync_fetch_and_add(&t->majflt, BPF_CORE_READ(prev, maj_flt));
	/* The kernel folds a non-leader thread's counts into its group when it
	 * is released, just before this final (voluntary) switch; leave that
	 * switch out too, so the total is what wait4 and getrusage report. */
	nvcsw = BPF_CORE_READ(prev, nvcsw);
	if (nvcsw && BPF_CORE_READ(prev, pid) != tgid)
		nvcsw--;
	__sync_fetch_and_add(&t->nvcsw, nvcsw);
	__sync_fetch_and_add(&t->nivcsw, BPF_CORE_READ(prev, nivcsw));
	__sync_fetch_and_add(&t->rchar, BPF_CORE_READ(prev, ioac.rchar));
	__sync_fetch_and_add(&t->wchar, BPF_CORE_READ(prev, ioac.wchar));
	__sync_fetch_and_add(&t->syscr, BPF_CORE_READ(prev, ioac.syscr));
	__sync_fetch_and_add(&t->syscw, BPF_CORE_READ(prev, ioac.syscw));
	__sync_fetch_and_add(&t->read_bytes, BPF_CORE_READ(prev, ioac.read_bytes));
	__sync_fetch_and_add(&t->write_bytes, BPF_CORE_READ(prev, ioac.write_bytes));
	__sync_fetch_and_add(&t->cancelled_write_bytes,
			     BPF_CORE_READ(prev, ioac.cancelled_write_bytes));
	if (with_state) {
		__u32 tid = prev->pid;

		ps = bpf_map_lookup_elem(&tstate, &tid);
		if (ps && ps->cookie != t->cookie)
			ps = NULL; /* left by an earlier thread of that tid */
		/* A thread of a process still waiting for its exec is not
		 * accounted (that time is the registered task's set-up). */
		if (ps || (!t->fresh && !t->adopted)) {
			st_final(prev, ps, t->cookie, st);
			for (i = 0; i < SEXEC_ST_MAX; i++)
				__sync_fetch_and_add(&t->state_ns[i], st[i]);
		}
		bpf_map_delete_elem(&tstate, &tid);
	}
	/* Threads that exit together die on several CPUs: whoever is last
	 * (alive drops to zero) sends the record, with everyone's totals in. */
	if (__sync_fetch_and_sub(&t->alive, 1) != 1)
		return 0;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		lost_inc(t->cookie, SEXEC_STAT_RB_FULL);
		bpf_map_delete_elem(&tracked, &tgid);
		return 0;
	}
	hdr_fill(&e->hdr, SEXEC_EV_EXIT, tgid, t->cookie);
	if (t->end_ns)
		e->hdr.ts_ns = t->end_ns;
	sig = BPF_CORE_READ(prev, signal);
	e->ppid = t->ppid;
	e->exit_code = t->end_ns ? t->exit_code : BPF_CORE_READ(prev, exit_code);
	e->start_ns = task_start_ns(BPF_CORE_READ(prev, group_leader));
	e->threads = t->threads;
	e->uid = BPF_CORE_READ(prev, cred, uid.val);
	e->rtime_ns = t->rtime_ns;
	e->utime_ns = t->utime_ns;
	e->stime_ns = t->stime_ns;
	/* getrusage's ru_maxrss: do_exit() folded the mm's peak into
	 * signal->maxrss when the group died (and exec did for older mms). */
	e->maxrss_pages = BPF_CORE_READ(sig, maxrss);
	e->minflt = t->minflt;
	e->majflt = t->majflt;
	e->nvcsw = t->nvcsw;
	e->nivcsw = t->nivcsw;
	e->rchar = t->rchar;
	e->wchar = t->wchar;
	e->syscr = t->syscr;
	e->syscw = t->syscw;
	e->read_bytes = t->read_bytes;
	e->write_bytes = t->write_bytes;
	e->cancelled_write_bytes = t->cancelled_write_bytes;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), prev->comm);
	for (i = 0; i < SEXEC_ST_MAX; i++)
		e->state_ns[i] = t->state_ns[i];
	e->net_tx = t->net_tx;
	e->net_rx = t->net_rx;
	e->oom_killed = t->oom_killed;
	e->pad2 = 0;
	bpf_ringbuf_submit(e, rb_flags());
	stat_inc(SEXEC_STAT_EVENTS);
	bpf_map_delete_elem(&tracked, &tgid);
	return 0;
}

/* Is the cgroup's name SEXEC_ADOPT_NAME ("step_extern", 11 bytes + NUL)? */
static __always_inline int is_adopt_name(struct cgroup *cg)
{
	static const char want[12] = SEXEC_ADOPT_NAME;
	union {
		char c[12];
		struct {
			__u64 lo;
			__u32 hi;
		} w;
	} name = {}, ref;

	__builtin_memcpy(&ref, want, sizeof(ref));
	if (bpf_probe_read_kernel(name.c, sizeof(name.c), BPF_CORE_READ(cg, kn, name)))
		return 0;
	return name.w.lo == ref.w.lo && name.w.hi == ref.w.hi;
}

/* Only migrations reach here, which are rare; tracked processes moved by
 * Slurm itself are left alone. */
static __always_inline int handle_attach(struct cgroup *dst, struct task_struct *task,
					 int with_state)
{
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct sexec_track nt = {};
	struct sexec_ev_fork *e;
	struct cgroup *cg = dst;
	__u64 *cookie = NULL;
	int i, extern_seen = 0;

	if (bpf_map_lookup_elem(&tracked, &tgid) || !gen_active())
		return 0;
	for (i = 0; i < SEXEC_ADOPT_DEPTH && cg; i++) {
		__u64 id = BPF_CORE_READ(cg, kn, id);

		cookie = bpf_map_lookup_elem(&cgwatch, &id);
		if (cookie)
			break;
		if (!extern_seen)
			extern_seen = is_adopt_name(cg);
		cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);
	}
	if (!cookie || !extern_seen)
		return 0;
	nt.cookie = *cookie;
	nt.start_ns = task_start_ns(leader);
	nt.ppid = BPF_CORE_READ(leader, real_parent, tgid);
	nt.threads = BPF_CORE_READ(task, signal, live.counter);
	nt.alive = nt.threads;
	nt.adopted = 1;
	if (bpf_map_update_elem(&tracked, &tgid, &nt, BPF_NOEXIST)) {
		lost_inc(nt.cookie, SEXEC_STAT_MAP_FULL);
		return 0;
	}
	/* From now; its other threads only once they block on I/O or memory
	 * (from then), never from their birth before it was adopted. */
	if (with_state)
		st_create(task, nt.cookie, 0);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		lost_inc(nt.cookie, SEXEC_STAT_RB_FULL);
		return 0;
	}
	hdr_fill(&e->hdr, SEXEC_EV_FORK, tgid, nt.cookie);
	e->ppid = nt.ppid;
	e->adopted = 1;
	e->start_ns = nt.start_ns;
	bpf_ringbuf_submit(e, rb_flags());
	stat_inc(SEXEC_STAT_EVENTS);
	return 0;
}

/* tp_btf where the kernel has BTF for tracepoints; raw_tp otherwise. The
 * loader enables one set with bpf_program__set_autoload(). */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(btf_fork, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(parent, child);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(p, old_pid, bprm, 1);
}

/* Kernels since 6.16 pass group_dead (and fire before exit_mm); the loader
 * checks the tracepoint's BTF and enables the matching variant. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_exit, struct task_struct *p)
{
	return handle_exit(p, -1);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(btf_exit_gd, struct task_struct *p, bool group_dead)
{
	return handle_exit(p, group_dead);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return handle_switch(preempt, prev, next, 1);
}

/* Where the state programs do not load: lifecycle only, no time breakdown. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(btf_exec_nostate, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(p, old_pid, bprm, 0);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(btf_switch_nostate, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return handle_switch(preempt, prev, next, 0);
}

SEC("raw_tp/sched_switch")
int BPF_PROG(raw_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	return handle_switch(preempt, prev, next, 0);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_fork, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(parent, child);
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	return handle_exec(p, old_pid, bprm, 0);
}

/* A tracked thread blocked on I/O or memory is woken: the interval ends
 * (the wait for a CPU that follows is the kernel's run delay). The flags are
 * still set at wake-up: io_schedule() and psi_memstall_leave() clear them
 * after it runs again. Any other wake-up costs a few plain loads, one from
 * an I/O or memory wait a lookup. */
SEC("tp_btf/sched_wakeup")
int BPF_PROG(btf_wakeup, struct task_struct *p)
{
	struct sexec_tstate *ts;
	__u32 tid;

	if (!(task_iowait(p) || task_memstall(p)))
		return 0;
	tid = p->pid;
	ts = bpf_map_lookup_elem(&tstate, &tid);
	if (ts && ts->blk && gen_active())
		st_unblock(ts, bpf_ktime_get_boot_ns());
	return 0;
}

/* Reclaim runs on the CPU of the thread that needs memory: that time is a
 * memory stall, not work. Blocked parts of it are memory intervals already. */
static __always_inline int handle_reclaim(int begin)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	struct sexec_tstate *ts;
	__u64 now, d, w, rd;

	ts = st_need(cur);
	if (!ts || begin == !!ts->reclaim || !gen_active())
		return 0; /* nested (memcg inside direct), or began before tracking */
	now = bpf_ktime_get_boot_ns();
	rd = bpf_core_field_exists(cur->sched_info.run_delay) ? cur->sched_info.run_delay : 0;
	if (begin) {
		ts->rc_ts = now;
		ts->rc_mem = ts->mem_ns;
		ts->rc_rd = rd;
	} else {
		d = now > ts->rc_ts ? now - ts->rc_ts : 0;
		/* less what it spent blocked (already counted as memory) and
		 * waiting for a CPU (the kernel's run delay) */
		w = ts->mem_ns - ts->rc_mem + (rd > ts->rc_rd ? rd - ts->rc_rd : 0);
		d = d > w ? d - w : 0;
		ts->reclaim_cpu_ns += d;
		ts->mem_ns += d;
		cagg_add(ts->cookie, SEXEC_ST_MEM, d);
	}
	ts->reclaim = begin;
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(btf_reclaim_begin, int order, gfp_t gfp)
{
	return handle_reclaim(1);
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(btf_reclaim_end, unsigned long nr)
{
	return handle_reclaim(0);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(btf_memcg_reclaim_begin, int order, gfp_t gfp)
{
	return handle_reclaim(1);
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(btf_memcg_reclaim_end, unsigned long nr)
{
	return handle_reclaim(0);
}

/* Bytes through inet (TCP, UDP; v4 and v6) sockets, from the tracepoints
 * every socket send and receive passes (6.3): write, send*, splice and
 * sendfile alike. A socket call by an untracked process costs a lookup. */
static __always_inline int handle_net(struct sock *sk, int ret, int rx)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	struct sexec_track *t;
	unsigned short family;

	if (ret <= 0)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	t = bpf_map_lookup_elem(&tracked, &tgid);
	if (!t || !gen_active())
		return 0;
	if (rx)
		__sync_fetch_and_add(&t->net_rx, ret);
	else
		__sync_fetch_and_add(&t->net_tx, ret);
	return 0;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(btf_net_send, struct sock *sk, int ret, int flags)
{
	return handle_net(sk, ret, 0);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(btf_net_recv, struct sock *sk, int ret, int flags)
{
	return (flags & MSG_PEEK) ? 0 : handle_net(sk, ret, 1);
}

/* The OOM killer picked a victim: flag its process (the kill itself is a
 * SIGKILL its exit status shows). Kernels before 5.19 pass only the pid. */
static __always_inline int handle_oom(__u32 tgid)
{
	struct sexec_track *t = bpf_map_lookup_elem(&tracked, &tgid);

	if (t && gen_active())
		t->oom_killed = 1;
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(btf_oom, struct task_struct *tsk)
{
	return handle_oom(BPF_CORE_READ(tsk, tgid));
}

SEC("tp_btf/mark_victim")
int BPF_PROG(btf_oom_pid, int pid)
{
	return handle_oom(pid);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_exit, struct task_struct *p)
{
	return handle_exit(p, -1);
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(btf_attach, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	return handle_attach(dst, task, 1);
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(btf_attach_nostate, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	return handle_attach(dst, task, 0);
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(raw_attach, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	return handle_attach(dst, task, 0);
}
