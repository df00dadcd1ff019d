/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A cgroup's resource statistics (CPU, memory, I/O, pressure) read from its
 * cgroup v1 or v2 files: pure parsers, and readers of a cgroup's directory. */
#ifndef SEXEC_CGSTAT_H
#define SEXEC_CGSTAT_H

#include <stdint.h>

/* One bit per group of fields; a bit is set only when all its fields were found. */
#define CGS_HAVE_CPU (1u << 0)        /* cpu_usage_us */
#define CGS_HAVE_CPU_TIMES (1u << 1)  /* cpu_user_us, cpu_system_us */
#define CGS_HAVE_THROTTLE (1u << 2)   /* nr_throttled, throttled_us */
#define CGS_HAVE_MEM (1u << 3)        /* mem_current */
#define CGS_HAVE_MEM_PEAK (1u << 4)   /* mem_peak */
#define CGS_HAVE_MEM_LIMIT (1u << 5)  /* mem_limit */
#define CGS_HAVE_MEM_EVENTS (1u << 6) /* mem_events_max */
#define CGS_HAVE_OOM (1u << 7)        /* oom */
#define CGS_HAVE_OOM_KILL (1u << 8)   /* oom_kill (kernels before 4.13 have none) */
#define CGS_HAVE_IO_BYTES (1u << 9)   /* io_rbytes, io_wbytes */
#define CGS_HAVE_IO_IOS (1u << 10)    /* io_rios, io_wios */
#define CGS_HAVE_PSI_CPU (1u << 11)
#define CGS_HAVE_PSI_IO (1u << 12)
#define CGS_HAVE_PSI_MEM (1u << 13)

/* The largest file read: io.stat has a line per device. */
#define CGS_FILE_MAX (64 * 1024)

struct cg_psi {
	uint64_t some_us, full_us; /* the "total=" counters; full_us is 0 without a "full" line */
};

struct cg_stats {
	unsigned have; /* CGS_HAVE_* bits for what was found */
	unsigned bad;  /* CGS_HAVE_* bits whose file exists but could not be read or parsed */
	uint64_t cpu_usage_us, cpu_user_us, cpu_system_us;
	uint64_t nr_throttled, throttled_us;
	uint64_t mem_current, mem_peak; /* bytes */
	uint64_t mem_limit;             /* bytes, UINT64_MAX = no limit ("max") */
	/* v2 memory.events "max", "oom", "oom_kill"; v1 memory.failcnt and
	 * memory.oom_control "under_oom" (a 0/1 state, not a count), "oom_kill" */
	uint64_t mem_events_max, oom, oom_kill;
	uint64_t io_rbytes, io_wbytes, io_rios, io_wios; /* summed over devices */
	struct cg_psi psi_cpu, psi_io, psi_mem;
};

/*
 * Parsers take one file's NUL-terminated text and add what they find to *s,
 * setting its CGS_HAVE_* bits. Unknown keys are ignored. They return 0, or
 * -EINVAL for malformed text (-ERANGE for a number past 2^64-1), and then
 * write nothing at all.
 */
/* v2 cpu.stat; also v1 cpu.stat (nr_throttled, throttled_time in ns). */
int cgstat_parse_cpu_stat(const char *buf, struct cg_stats *s);
/* v2 memory.events. */
int cgstat_parse_memory_events(const char *buf, struct cg_stats *s);
/* v2 io.stat: "8:0 rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=.." per
 * device, summed (saturating). An empty file is no I/O yet. */
int cgstat_parse_io_stat(const char *buf, struct cg_stats *s);
/* A cpu/io/memory.pressure file: the "some" line is required, "full" is not
 * (cpu.pressure before Linux 5.13). */
int cgstat_parse_psi(const char *buf, struct cg_psi *p);
/* v1 cpuacct.stat: "user N\nsystem N" in USER_HZ ticks. */
int cgstat_parse_cpuacct_stat(const char *buf, long user_hz, struct cg_stats *s);
/* v1 blkio.throttle.io_service_bytes (ios == 0) or io_serviced (ios != 0),
 * _recursive or not: the Read and Write lines of every device, summed. */
int cgstat_parse_blkio(const char *buf, int ios, struct cg_stats *s);
/* v1 memory.oom_control. */
int cgstat_parse_oom_control(const char *buf, struct cg_stats *s);
/* One number, or "max" (UINT64_MAX), with an optional trailing newline. */
int cgstat_parse_u64(const char *buf, uint64_t *v);

/*
 * Readers add what the files under a cgroup's directory hold to *s (zero it
 * first). A missing file is no error: its bits stay clear. One that exists but
 * cannot be read or parsed sets its bits in s->bad. They return 0, or -errno
 * when a directory cannot be opened.
 */
/* cpu.stat, memory.current, memory.peak, memory.max, memory.events, io.stat,
 * cpu.pressure, io.pressure, memory.pressure. */
int cgstat_read_v2(const char *dir, struct cg_stats *s);
/* Any directory may be NULL; the others are read even when one fails (the
 * first error is returned). cpuacct: cpuacct.usage, cpuacct.stat, and cpu.stat
 * where cpu is mounted with cpuacct; memory: memory.usage_in_bytes,
 * memory.max_usage_in_bytes, memory.limit_in_bytes (a huge value means no
 * limit), memory.failcnt, memory.oom_control; blkio:
 * blkio.throttle.io_service_bytes_recursive and io_serviced_recursive (or,
 * without them, the non-recursive ones). */
int cgstat_read_v1(const char *cpuacct_dir, const char *memory_dir, const char *blkio_dir,
		   struct cg_stats *s);
/* Only the three pressure files: a hybrid host's v2 tree has PSI but no controllers. */
int cgstat_read_psi(const char *dir, struct cg_stats *s);

#endif
