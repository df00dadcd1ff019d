// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: fork children of known cost and write, for each, the ground
 * truth the kernel gives their parent, so the collector's records can be
 * checked against it.
 *
 * Usage: sexec-known-cost OUTFILE WORKDIR [CASE]...
 *
 * OUTFILE gets one line per child:
 *   case pid status user_us sys_us maxrss_kb threads rchar wchar syscr syscw
 *   read_bytes write_bytes
 * status is the raw wait status; user_us, sys_us and maxrss_kb come from
 * wait4's rusage; threads (leader included) is known by construction; the
 * I/O counters are /proc/PID/io of the child read by the parent once the
 * whole thread group has exited but before it is reaped (waitid WNOWAIT): a
 * zombie does no more I/O, so these are its final totals, exactly what the
 * kernel accounted, with nothing of ours mixed in. write_bytes is the
 * kernel's raw write_bytes (cancelled_write_bytes is in OUTFILE.extra).
 *
 * OUTFILE.extra gets further ground truth, one line each:
 *   rusage CASE PID minflt majflt nvcsw nivcsw cancelled_write_bytes
 *   stopped CASE PID rchar wchar syscr syscw read_bytes write_bytes cancelled
 * "stopped" is /proc/PID/io read while the io child was stopped by SIGSTOP
 * just before its _exit, to show it equals the zombie's.
 *
 * Exits 0 when every case ran and its ground truth was collected, 1 if not
 * (the failing case is named on stderr and gets '-' fields), 2 on bad usage.
 * Must run as root for the oom case (a memory cgroup: v1 at
 * /sys/fs/cgroup/memory, else v2 at /sys/fs/cgroup). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)
#define IO_CHUNK (64UL * 1024UL)
#define IO_IN_SIZE (MIB + 12345UL) /* the known file the io child reads */
#define IO_OUT_SIZE (3 * MIB)      /* written and fsynced */
#define IO_CANCEL_SIZE MIB         /* written, then truncated while dirty */
#define OOM_LIMIT "32M"
#define OOM_ALLOC (256 * MIB)
#define MEMCG_ROOT "/sys/fs/cgroup/memory"
#define CGROUP2_ROOT "/sys/fs/cgroup"

extern char **environ;

static const char *workdir;
static char self_exe[4096];
static char oom_cg[256];
static FILE *out, *extra;
static volatile unsigned long sink;

struct io {
	long long rchar, wchar, syscr, syscw, read_bytes, write_bytes, cancelled;
};

static void die(const char *what)
{
	fprintf(stderr, "sexec-known-cost: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double clock_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spin_once(void)
{
	unsigned long i, x = sink;

	for (i = 0; i < 200000; i++)
		x += (i * i) ^ (x >> 3);
	sink = x;
}

/* Burn s seconds of the given CPU clock in user space. Reading a CPU clock
 * brings the scheduler's run time of the caller up to date, which a program
 * about to exit has usually not just done: end with 3 ms more of computing
 * timed on CLOCK_MONOTONIC, so the exit comes at any point of a tick. */
static void burn(clockid_t c, double s)
{
	double end = clock_s(c) + s;

	do
		spin_once();
	while (clock_s(c) < end);
	end = clock_s(CLOCK_MONOTONIC) + 0.003;
	do
		spin_once();
	while (clock_s(CLOCK_MONOTONIC) < end);
}

static void *spin_forever(void *arg)
{
	(void)arg;
	for (;;)
		spin_once();
	return NULL;
}

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

static int read_io(pid_t pid, struct io *io)
{
	char path[64], buf[1024];
	int n;

	snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
	if (read_file(path, buf, sizeof(buf)))
		return -1;
	n = sscanf(buf,
		   "rchar: %lld wchar: %lld syscr: %lld syscw: %lld read_bytes: %lld "
		   "write_bytes: %lld cancelled_write_bytes: %lld",
		   &io->rchar, &io->wchar, &io->syscr, &io->syscw, &io->read_bytes,
		   &io->write_bytes, &io->cancelled);
	return n == 7 ? 0 : -1;
}

static int wait_stopped(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st)) {
		fprintf(stderr, "sexec-known-cost: child %d did not stop (status %#x)\n", (int)pid,
			st);
		return -1;
	}
	return 0;
}

/* ---- children: each runs in a fresh fork and never returns ---- */

static void child_cpu(void)
{
	burn(CLOCK_PROCESS_CPUTIME_ID, 0.3);
	_exit(0);
}

static void sys_burst(int fd)
{
	char buf[64];
	int i;

	for (i = 0; i < 1000; i++) {
		if (read(fd, buf, sizeof(buf)) != sizeof(buf))
			_exit(101);
		syscall(SYS_getppid);
	}
}

/* Small reads of /dev/zero and getppid() for 0.2 s of CPU, then 3 ms more
 * timed on CLOCK_MONOTONIC (see burn()). */
static void child_sys(void)
{
	int fd = open("/dev/zero", O_RDONLY);
	double end;

	if (fd < 0)
		_exit(100);
	do
		sys_burst(fd);
	while (clock_s(CLOCK_PROCESS_CPUTIME_ID) < 0.2);
	end = clock_s(CLOCK_MONOTONIC) + 0.003;
	do
		sys_burst(fd);
	while (clock_s(CLOCK_MONOTONIC) < end);
	_exit(0);
}

static void child_rss(void)
{
	size_t n = 64 * MIB;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		_exit(100);
	memset(p, 0x5a, n);
	sink = (unsigned long)p[n - 1];
	_exit(0);
}

static void write_chunks(int fd, size_t total, char *buf)
{
	size_t done;

	for (done = 0; done < total; done += IO_CHUNK)
		if (write(fd, buf, IO_CHUNK) != (ssize_t)IO_CHUNK)
			_exit(102);
}

static void child_io(void)
{
	static char buf[IO_CHUNK];
	char path[4096];
	ssize_t n;
	int fd;

	/* Read the known file (dropped from the page cache: read_bytes). */
	snprintf(path, sizeof(path), "%s/io-in", workdir);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		_exit(100);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	if (n < 0)
		_exit(101);
	close(fd);
	/* 3 MiB in 64 KiB writes, made durable (write_bytes). */
	memset(buf, 'w', sizeof(buf));
	snprintf(path, sizeof(path), "%s/io-out", workdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		_exit(100);
	write_chunks(fd, IO_OUT_SIZE, buf);
	if (fsync(fd))
		_exit(103);
	close(fd);
	/* 1 MiB dirtied and truncated away before writeback
	 * (cancelled_write_bytes). */
	snprintf(path, sizeof(path), "%s/io-cancel", workdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		_exit(100);
	write_chunks(fd, IO_CANCEL_SIZE, buf);
	if (ftruncate(fd, 0))
		_exit(104);
	close(fd);
	/* The parent reads /proc/PID/io now; nothing is read or written after. */
	raise(SIGSTOP);
	_exit(0);
}

static void child_exit0(void)
{
	_exit(0);
}

static void child_exit3(void)
{
	_exit(3);
}

static void child_exit255(void)
{
	_exit(255);
}

/* Stops so the parent knows it is ready, then sleeps until killed. */
static void child_wait_kill(void)
{
	raise(SIGSTOP);
	for (;;)
		pause();
}

static void child_abort(void)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl))
		_exit(100);
	abort();
}

static void child_abort_core(void)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (chdir(workdir) || setrlimit(RLIMIT_CORE, &rl) || prctl(PR_SET_DUMPABLE, 1))
		_exit(100);
	abort();
}

static void *burn_thread_100ms(void *arg)
{
	(void)arg;
	burn(CLOCK_THREAD_CPUTIME_ID, 0.1);
	return NULL;
}

static void *burn_thread_150ms(void *arg)
{
	(void)arg;
	burn(CLOCK_THREAD_CPUTIME_ID, 0.15);
	return NULL;
}

/* (a) 4 threads burn 0.1 s each and end before the leader: 5 threads. */
static void child_thr_join(void)
{
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, burn_thread_100ms, NULL))
			_exit(100);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* (b) the leader leaves with pthread_exit while 2 threads burn 0.15 s each;
 * the last of them ends the process with exit(0): 3 threads. */
static void child_thr_leader_exit(void)
{
	pthread_t t[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, burn_thread_150ms, NULL))
			_exit(100);
	pthread_exit(NULL);
}

static void *burn_then_raw_exit(void *arg)
{
	(void)arg;
	burn(CLOCK_THREAD_CPUTIME_ID, 0.1);
	syscall(SYS_exit, 7);
	return NULL;
}

/* (b') no exit_group at all: the leader leaves with exit(5) of its thread
 * only, the other thread burns 0.1 s and leaves with exit(7) of its own.
 * Older kernels report the leader's code (5); since synchronize_group_exit()
 * the last thread to exit sets the group exit code (7). 2 threads. */
static void child_thr_raw_exit(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, burn_then_raw_exit, NULL))
		_exit(100);
	syscall(SYS_exit, 5);
	_exit(101);
}

static void *exec_self(void *arg)
{
	char *argv[] = { self_exe, "--exec-child", NULL };

	(void)arg;
	burn(CLOCK_THREAD_CPUTIME_ID, 0.05);
	execve(self_exe, argv, environ);
	_exit(100);
}

/* (c) a non-leader thread execs (de_thread kills the burning leader and the
 * thread takes over its pid). Before the exec the process touched 48 MiB, so
 * ru_maxrss is the pre-exec peak. 2 threads. */
static void child_thr_exec(void)
{
	size_t n = 48 * MIB;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t t;

	if (p == MAP_FAILED)
		_exit(100);
	memset(p, 0x5a, n);
	if (pthread_create(&t, NULL, exec_self, NULL))
		_exit(101);
	for (;;)
		spin_once();
}

/* What the execed image of (c) does: burn 0.1 s and leave. */
static int exec_child_main(void)
{
	burn(CLOCK_THREAD_CPUTIME_ID, 0.1);
	_exit(0);
}

/* (d) 3 threads and the leader spin until the parent kills the process with
 * SIGKILL: 4 threads. */
static void child_thr_killed(void)
{
	pthread_t t;
	int i;

	for (i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, spin_forever, NULL))
			_exit(100);
	spin_forever(NULL);
}

/* Waits for the parent to move it into the limited cgroup, then touches
 * 256 MiB: the memcg OOM killer ends it. */
static void child_oom(void)
{
	size_t i;
	char *p;

	raise(SIGSTOP);
	p = mmap(NULL, OOM_ALLOC, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		_exit(100);
	for (i = 0; i < OOM_ALLOC; i += 4096)
		p[i] = 1;
	_exit(101);
}

/* ---- what the parent does while a child runs ---- */

static struct io io_stopped;

static int act_io(pid_t pid)
{
	if (wait_stopped(pid))
		return -1;
	if (read_io(pid, &io_stopped)) {
		fprintf(stderr, "sexec-known-cost: cannot read /proc/%d/io\n", (int)pid);
		kill(pid, SIGKILL);
		return -1;
	}
	kill(pid, SIGCONT);
	return 0;
}

static int act_kill_sleeper(pid_t pid, int sig)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (wait_stopped(pid))
		return -1;
	kill(pid, SIGCONT);
	nanosleep(&ts, NULL); /* in pause() by now */
	kill(pid, sig);
	return 0;
}

static int act_sigkill(pid_t pid)
{
	return act_kill_sleeper(pid, SIGKILL);
}

static int act_sigterm(pid_t pid)
{
	return act_kill_sleeper(pid, SIGTERM);
}

static int act_thr_killed(pid_t pid)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	char path[64], buf[4096], *p;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (i = 0; i < 1000; i++) {
		if (!read_file(path, buf, sizeof(buf)) && (p = strstr(buf, "\nThreads:")) &&
		    atoi(p + 9) == 4)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 1000) {
		fprintf(stderr, "sexec-known-cost: thr_killed never had 4 threads\n");
		kill(pid, SIGKILL);
		return -1;
	}
	ts.tv_nsec = 200 * 1000 * 1000; /* let them all run a while */
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	return 0;
}

/* A memory cgroup limited to OOM_LIMIT: cgroup v1's memory controller, or
 * cgroup v2 where that is all there is. */
static int oom_setup(void)
{
	int v1 = !access(MEMCG_ROOT "/memory.limit_in_bytes", F_OK);
	char path[512];

	if (!v1 && access(CGROUP2_ROOT "/cgroup.controllers", F_OK)) {
		fprintf(stderr, "sexec-known-cost: no memory cgroup controller\n");
		return -1;
	}
	snprintf(oom_cg, sizeof(oom_cg), "%s/sexec-oomtest-%d", v1 ? MEMCG_ROOT : CGROUP2_ROOT,
		 (int)getpid());
	if (mkdir(oom_cg, 0755) && errno != EEXIST) {
		fprintf(stderr, "sexec-known-cost: mkdir %s: %s\n", oom_cg, strerror(errno));
		oom_cg[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", oom_cg, v1 ? "memory.limit_in_bytes" : "memory.max");
	if (write_file(path, OOM_LIMIT)) {
		fprintf(stderr, "sexec-known-cost: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Best effort: there may be no swap accounting, and no swap anyway. */
	if (v1) {
		snprintf(path, sizeof(path), "%s/memory.memsw.limit_in_bytes", oom_cg);
		write_file(path, OOM_LIMIT);
		snprintf(path, sizeof(path), "%s/memory.swappiness", oom_cg);
		write_file(path, "0");
	} else {
		snprintf(path, sizeof(path), "%s/memory.swap.max", oom_cg);
		write_file(path, "0");
	}
	return 0;
}

static void oom_cleanup(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int i;

	if (!oom_cg[0])
		return;
	for (i = 0; i < 100; i++) {
		if (!rmdir(oom_cg) || errno == ENOENT)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 100)
		fprintf(stderr, "sexec-known-cost: rmdir %s: %s\n", oom_cg, strerror(errno));
	oom_cg[0] = '\0';
}

static int act_oom(pid_t pid)
{
	char path[512], s[32];

	if (wait_stopped(pid))
		return -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", oom_cg);
	snprintf(s, sizeof(s), "%d", (int)pid);
	if (!oom_cg[0] || write_file(path, s)) {
		fprintf(stderr, "sexec-known-cost: cannot move %d into %s: %s\n", (int)pid,
			oom_cg, strerror(errno));
		kill(pid, SIGKILL);
		return -1;
	}
	kill(pid, SIGCONT);
	return 0;
}

/* ---- the cases ---- */

struct kcase {
	const char *name;
	void (*child)(void);
	int (*act)(pid_t pid);
	int threads;
};

static const struct kcase cases[] = {
	{ "cpu", child_cpu, NULL, 1 },
	{ "sys", child_sys, NULL, 1 },
	{ "rss", child_rss, NULL, 1 },
	{ "io", child_io, act_io, 1 },
	{ "exit0", child_exit0, NULL, 1 },
	{ "exit3", child_exit3, NULL, 1 },
	{ "exit255", child_exit255, NULL, 1 },
	{ "sigkill", child_wait_kill, act_sigkill, 1 },
	{ "sigterm", child_wait_kill, act_sigterm, 1 },
	{ "sigabrt", child_abort, NULL, 1 },
	{ "sigabrt_core", child_abort_core, NULL, 1 },
	{ "thr_join", child_thr_join, NULL, 5 },
	{ "thr_leader_exit", child_thr_leader_exit, NULL, 3 },
	{ "thr_raw_exit", child_thr_raw_exit, NULL, 2 },
	{ "thr_exec", child_thr_exec, NULL, 2 },
	{ "thr_killed", child_thr_killed, act_thr_killed, 4 },
	{ "oom", child_oom, act_oom, 1 },
};

static long tv_us(const struct timeval *tv)
{
	return tv->tv_sec * 1000000L + tv->tv_usec;
}

static void remove_cores(void)
{
	struct dirent *d;
	char path[4096];
	DIR *dir = opendir(workdir);

	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (!strcmp(d->d_name, "core") || !strncmp(d->d_name, "core.", 5)) {
			snprintf(path, sizeof(path), "%s/%s", workdir, d->d_name);
			unlink(path);
		}
	closedir(dir);
}

static int run_case(const struct kcase *c)
{
	struct rusage ru;
	struct io io;
	siginfo_t si;
	int status = 0, ok = 1;
	pid_t pid;

	if (!strcmp(c->name, "oom") && oom_setup())
		ok = 0;
	if (!strcmp(c->name, "sigabrt_core"))
		remove_cores();
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		c->child();
	if (c->act && c->act(pid))
		ok = 0;
	/* The whole group has exited: read its final I/O before reaping. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT)) {
		fprintf(stderr, "sexec-known-cost: %s: waitid: %s\n", c->name, strerror(errno));
		fprintf(out, "%s %d - - - - %d - - - - - -\n", c->name, (int)pid, c->threads);
		return -1;
	}
	if (read_io(pid, &io)) {
		fprintf(stderr, "sexec-known-cost: %s: cannot read /proc/%d/io of the zombie\n",
			c->name, (int)pid);
		ok = 0;
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		die("wait4");
	if (!strcmp(c->name, "oom"))
		oom_cleanup();
	if (!strcmp(c->name, "sigabrt_core"))
		remove_cores();
	if (!ok) {
		fprintf(out, "%s %d %d %ld %ld %ld %d - - - - - -\n", c->name, (int)pid, status,
			tv_us(&ru.ru_utime), tv_us(&ru.ru_stime), ru.ru_maxrss, c->threads);
		return -1;
	}
	fprintf(out, "%s %d %d %ld %ld %ld %d %lld %lld %lld %lld %lld %lld\n", c->name, (int)pid,
		status, tv_us(&ru.ru_utime), tv_us(&ru.ru_stime), ru.ru_maxrss, c->threads,
		io.rchar, io.wchar, io.syscr, io.syscw, io.read_bytes, io.write_bytes);
	fprintf(extra, "rusage %s %d %ld %ld %ld %ld %lld\n", c->name, (int)pid, ru.ru_minflt,
		ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw, io.cancelled);
	if (c->act == act_io)
		fprintf(extra, "stopped %s %d %lld %lld %lld %lld %lld %lld %lld\n", c->name,
			(int)pid, io_stopped.rchar, io_stopped.wchar, io_stopped.syscr,
			io_stopped.syscw, io_stopped.read_bytes, io_stopped.write_bytes,
			io_stopped.cancelled);
	return 0;
}

/* The file the io child reads, made durable and dropped from the page cache
 * so the child's read goes to the disk. */
static void make_io_input(void)
{
	static char buf[IO_CHUNK];
	char path[4096];
	size_t done, n;
	int fd;

	snprintf(path, sizeof(path), "%s/io-in", workdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	for (done = 0; done < IO_IN_SIZE; done += n) {
		n = IO_IN_SIZE - done < sizeof(buf) ? IO_IN_SIZE - done : sizeof(buf);
		memset(buf, (int)('a' + done / sizeof(buf) % 26), n);
		if (write(fd, buf, n) != (ssize_t)n)
			die(path);
	}
	if (fsync(fd))
		die(path);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

int main(int argc, char **argv)
{
	char xpath[4096];
	ssize_t n;
	size_t i;
	int a, rc = 0;

	if (argc == 2 && !strcmp(argv[1], "--exec-child"))
		return exec_child_main();
	if (argc < 3) {
		fprintf(stderr, "Usage: sexec-known-cost OUTFILE WORKDIR [CASE]...\n");
		return 2;
	}
	workdir = argv[2];
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		die("/proc/self/exe");
	self_exe[n] = '\0';
	for (a = 3; a < argc; a++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (!strcmp(argv[a], cases[i].name))
				break;
		if (i == sizeof(cases) / sizeof(cases[0])) {
			fprintf(stderr, "sexec-known-cost: unknown case '%s'\n", argv[a]);
			return 2;
		}
	}
	out = fopen(argv[1], "w");
	snprintf(xpath, sizeof(xpath), "%s.extra", argv[1]);
	extra = fopen(xpath, "w");
	if (!out || !extra)
		die(argv[1]);
	make_io_input();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (argc > 3) {
			for (a = 3; a < argc; a++)
				if (!strcmp(argv[a], cases[i].name))
					break;
			if (a == argc)
				continue;
		}
		if (run_case(&cases[i]))
			rc = 1;
	}
	if (fclose(out) || fclose(extra))
		die(argv[1]);
	return rc;
}
