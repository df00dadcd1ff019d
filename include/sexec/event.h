/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ABI between the BPF programs and sexecd: plain fixed-width types only,
 * included by both sides. Grow it by appending fields and bumping SEXEC_EVENT_ABI. */
#ifndef SEXEC_EVENT_H
#define SEXEC_EVENT_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define SEXEC_EVENT_ABI 5

#define SEXEC_COMM_LEN 16
#define SEXEC_PATH_MAX 256
/* Upper bound on the argv bytes copied at exec; the collector may ask for less. */
#define SEXEC_ARGV_MAX 4096
/* The working directory is sent as path components from the innermost out,
 * each NUL-terminated, in at most this many bytes. */
#define SEXEC_CWD_MAX 1024
#define SEXEC_CWD_DEPTH 24

/* Where a thread's time goes: exactly one state at any moment, so a
 * thread's states add up to its lifetime (from when it is first seen). */
enum sexec_tstate_kind {
	SEXEC_ST_ONCPU = 0, /* running */
	SEXEC_ST_RUNQ = 1,  /* runnable, waiting for a CPU */
	SEXEC_ST_IO = 2,    /* blocked in io_schedule() (in_iowait) */
	SEXEC_ST_MEM = 3,   /* direct/memcg reclaim, or blocked in a memory stall
			     * (refault/thrashing, swap-in, compaction: in_memstall) */
	SEXEC_ST_SLEEP = 4, /* any other sleep: children, network, locks, timers */
	SEXEC_ST_MAX = 5,
};

/* Per-thread accounting. On-CPU and run-queue time are the kernel's own
 * counts (sum_exec_runtime, sched_info.run_delay), taken when the thread ends;
 * BPF times only what the kernel does not split: blocked intervals on I/O or
 * memory, and reclaim. Sleep is the rest of the thread's lifetime. So an
 * ordinary context switch costs a tracked thread no more than an untracked
 * one. A thread gets an entry (the "tstate" hash, keyed by tid) only when it
 * first needs one (its first I/O or memory stall, or reclaim), or when
 * accounting starts later than its birth (a registered task's exec, an
 * adopted process); a thread without one is accounted from its birth. */
struct sexec_tstate {
	__u64 cookie;  /* registration of the thread's process */
	__u64 ts0;     /* boot-time ns accounting began */
	__u64 rt0;     /* sum_exec_runtime then */
	__u64 rd0;     /* sched_info.run_delay then */
	__u32 blk;     /* open blocked interval: SEXEC_ST_IO or SEXEC_ST_MEM, else 0 */
	__u32 reclaim; /* inside a direct or memcg reclaim section */
	__u64 blk_ts;  /* when the blocked interval began */
	__u64 rc_ts;   /* when reclaim began */
	__u64 rc_mem;  /* mem_ns then (blocked in it since) */
	__u64 rc_rd;   /* run_delay then (waited for a CPU in it since) */
	__u64 io_ns, mem_ns;    /* closed intervals (mem_ns includes reclaim on the CPU) */
	__u64 reclaim_cpu_ns;   /* reclaiming on the CPU: run time to the kernel */
};

/* Value of the per-CPU "cagg" array, at index cookie % SEXEC_CAGG_SLOTS (the
 * collector never gives two live registrations the same slot): time per state
 * of the registration's threads, summed over CPUs by the reader. I/O and
 * memory intervals are added as they close; the rest when a thread ends. An
 * array, not a hash: its lookups are inlined. */
#define SEXEC_CAGG_SLOTS 16384
struct sexec_cagg {
	__u64 ns[SEXEC_ST_MAX];
};

enum sexec_event_type {
	SEXEC_EV_FORK = 1, /* a tracked process created a new process */
	SEXEC_EV_EXEC = 2, /* a tracked process exec'd */
	SEXEC_EV_EXIT = 3, /* the last thread of a tracked process exited */
};

/* Value of the pinned "tracked" map, keyed by tgid. The counters accumulate
 * each thread's own totals when it is switched out for the last time (its
 * run time is final only then, after the kernel has torn down its memory), so
 * the process total includes threads that ended before the leader. */
struct sexec_track {
	__u64 cookie;       /* registration id: which task this process descends from */
	__u64 start_ns;     /* boot-time ns the process started */
	__u32 ppid;         /* parent tgid at fork */
	__u32 threads;      /* threads ever created, leader included */
	__u32 alive;        /* threads that have not yet been switched out dead */
	__u32 exit_code;    /* wait status, taken when the group died */
	__u64 end_ns;       /* boot-time ns the last thread called exit */
	__u64 cwd_key;      /* identity of the working directory last sent */
	__u64 rtime_ns;     /* sum_exec_runtime of exited threads */
	__u64 utime_ns;     /* tick-sampled user time of exited threads */
	__u64 stime_ns;
	__u64 minflt, majflt;
	__u64 nvcsw, nivcsw;
	__u64 rchar, wchar, syscr, syscw;
	__u64 read_bytes, write_bytes, cancelled_write_bytes;
	__u64 state_ns[SEXEC_ST_MAX]; /* exited threads' time per state */
	__u64 net_tx, net_rx;         /* bytes through inet sockets, all threads */
	__u32 oom_killed;             /* chosen by the OOM killer */
	__u32 fresh;                  /* registered, not yet exec'd: its time is
				       * accounted from that exec */
	__u32 adopted;                /* moved into a watched extern step: only the
				       * moved thread is accounted, from then */
	__u32 pad;
};

struct sexec_ev_hdr {
	__u32 type;
	__u32 tgid;
	__u64 cookie;
	__u64 ts_ns; /* boot-time ns */
};

struct sexec_ev_fork {
	struct sexec_ev_hdr hdr;
	__u32 ppid;
	__u32 adopted; /* 1: not forked by a tracked process but moved into a
			* watched cgroup (pam_slurm_adopt): its program is read
			* from /proc */
	__u64 start_ns;
};

/* A watched cgroup adopts a process moved into it below a child cgroup of
 * this name (Slurm's extern step), at most this many levels down. */
#define SEXEC_ADOPT_NAME "step_extern"
#define SEXEC_ADOPT_DEPTH 6

struct sexec_ev_exec {
	struct sexec_ev_hdr hdr;
	__u32 old_tid;
	__u32 argv_len;   /* bytes of argv[] copied (NUL separated) */
	__u32 argv_trunc; /* 1 when argv was longer than the bound */
	__u32 pad;
	__u32 cwd_len;    /* bytes of cwd[] used */
	__u16 cwd_trunc;  /* 1 when the path was deeper or longer than the bounds */
	__u16 cwd_same;   /* 1 when unchanged since the parent's: cwd[] not filled */
	char comm[SEXEC_COMM_LEN];
	char filename[SEXEC_PATH_MAX];
	/* cwd_len bytes of working directory, then argv_len bytes of argv;
	 * only those are sent. */
	char data[SEXEC_CWD_MAX + SEXEC_ARGV_MAX];
};

struct sexec_ev_exit {
	struct sexec_ev_hdr hdr;
	__u32 ppid;       /* parent at fork time (0 when unknown) */
	__u32 exit_code;  /* wait status: code << 8 | signal | 0x80 core */
	__u64 start_ns;
	__u32 threads;
	__u32 uid;        /* real uid of the last thread */
	__u64 rtime_ns, utime_ns, stime_ns;
	__u64 maxrss_pages; /* peak RSS in pages, as getrusage keeps it */
	__u64 minflt, majflt;
	__u64 nvcsw, nivcsw;
	__u64 rchar, wchar, syscr, syscw;
	__u64 read_bytes, write_bytes, cancelled_write_bytes;
	char comm[SEXEC_COMM_LEN];
	__u64 state_ns[SEXEC_ST_MAX]; /* 0 when state accounting is off */
	__u64 net_tx, net_rx;
	__u32 oom_killed; /* the OOM killer chose this process */
	__u32 pad2;
};

/* Indices of the per-CPU "stats" counter array. */
enum sexec_stat {
	SEXEC_STAT_EVENTS = 0,     /* events emitted */
	SEXEC_STAT_RB_FULL = 1,    /* ring buffer reservations that failed */
	SEXEC_STAT_MAP_FULL = 2,   /* tracked-map inserts that failed */
	SEXEC_STAT_LOST_UNATTRIBUTED = 3, /* losses whose cookie could not be counted */
	SEXEC_STAT_STATE_MISS = 4, /* thread states not kept: the tstate map was full, or a
				    * blocked interval was never closed (its wake-up missed) */
	SEXEC_STAT_MAX = 8,
};

#endif
