// SPDX-License-Identifier: GPL-2.0-or-later
/* Synthetic workloads of known character for the time-breakdown tests. Each
 * runs in one process and prints, as key=value lines, the kernel's own
 * account of where its time went, taken independently of sexec:
 *   cpu SECS            spin on the CPU
 *   sleep SECS          sleep
 *   threads N SECS      N threads spinning (squeezed onto fewer CPUs)
 *   io FILE WRITES      O_DIRECT 4 KiB overwrites of FILE, then fdatasync
 *   net BYTES           send BYTES to itself over TCP on loopback, and receive them
 *   mem FILE MB         write MB MiB to FILE through the page cache (more than the
 *                       memory limit), then remove it
 * Ground truth printed: wall_ns (this process's lifetime so far), oncpu_ns and
 * runq_ns (/proc/.../schedstat, summed over threads; for threads, read just
 * before the workers end), blkio_ns (delay accounting, /proc/self/stat field
 * 42, when kernel.task_delayacct=1) and the growth of the PSI "some" totals
 * of its own v2 cgroup (memory and io, µs) while it ran. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void spin(double secs)
{
	uint64_t end = now_ns(CLOCK_MONOTONIC) + (uint64_t)(secs * 1e9);
	volatile uint64_t x = 0;

	while (now_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
}

/* Summed over the threads still alive: on-CPU and run-queue ns. */
static void schedstat(uint64_t *oncpu, uint64_t *runq)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;

	*oncpu = *runq = 0;
	while (d && (de = readdir(d))) {
		char path[64];
		unsigned long long a, b;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu %llu", &a, &b) == 2) {
			*oncpu += a;
			*runq += b;
		}
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
}

/* Field 42 of /proc/self/stat: aggregated block I/O delay, in clock ticks;
 * field 22: start time since boot, in clock ticks. */
static void stat_fields(uint64_t *blkio_ns, uint64_t *start_ns)
{
	char buf[2048], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	long hz = sysconf(_SC_CLK_TCK);
	int field = 3;

	if (f)
		fclose(f);
	buf[n] = '\0';
	*blkio_ns = *start_ns = 0;
	p = strrchr(buf, ')'); /* the command may hold spaces */
	if (!p)
		return;
	for (p += 2; *p; field++) {
		unsigned long long v = strtoull(p, NULL, 10);

		if (field == 22)
			*start_ns = v * 1000000000ull / (unsigned long long)hz;
		if (field == 42)
			*blkio_ns = v * 1000000000ull / (unsigned long long)hz;
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
}

/* "some ... total=N" of a pressure file of our own v2 cgroup, µs. */
static long long psi_some(const char *res)
{
	char line[4096], path[4200], *cg = NULL, *t;
	FILE *f = fopen("/proc/self/cgroup", "r");
	long long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			cg = line + 3;
			break;
		}
	if (f)
		fclose(f);
	if (!cg)
		return -1;
	snprintf(path, sizeof(path), "/sys/fs/cgroup/unified%s/%s.pressure",
		 strcmp(cg, "/") ? cg : "", res);
	if (access("/sys/fs/cgroup/unified", F_OK))
		snprintf(path, sizeof(path), "/sys/fs/cgroup%s/%s.pressure", strcmp(cg, "/") ? cg : "",
			 res);
	f = fopen(path, "r");
	if (f && fgets(line, sizeof(line), f) && (t = strstr(line, "total=")))
		v = strtoll(t + 6, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

static double g_secs;

static void *thread_spin(void *arg)
{
	(void)arg;
	spin(g_secs);
	return NULL;
}

static int do_io(const char *file, int writes)
{
	void *buf;
	int fd, i;

	if (posix_memalign(&buf, 4096, 4096))
		return 1;
	memset(buf, 'x', 4096);
	fd = open(file, O_WRONLY | O_DIRECT);
	if (fd < 0) {
		perror(file);
		return 1;
	}
	for (i = 0; i < writes; i++)
		if (pwrite(fd, buf, 4096, (off_t)(i % 256) * 4096) != 4096) {
			perror("pwrite");
			return 1;
		}
	if (fdatasync(fd)) {
		perror("fdatasync");
		return 1;
	}
	close(fd);
	free(buf);
	return 0;
}

/* Write mb MiB through the page cache. Under a memory limit smaller than
 * that, each new page has to be reclaimed from the dirty ones first, and
 * reclaim waits for their writeback: the writer stalls on memory. */
static int do_mem(const char *file, int mb)
{
	static char buf[1 << 20];
	int fd, i;

	memset(buf, 'm', sizeof(buf));
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(file);
		return 1;
	}
	for (i = 0; i < mb; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			perror("write");
			return 1;
		}
	close(fd);
	unlink(file);
	return 0;
}

/* One TCP connection on loopback to ourselves: bytes out, the same in. */
static int do_net(long bytes)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	static char buf[65536];
	long sent = 0, got = 0;
	int l, c, s;

	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &alen)) {
		perror("listen");
		return 1;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) || (s = accept(l, NULL, NULL)) < 0) {
		perror("connect");
		return 1;
	}
	memset(buf, 'n', sizeof(buf));
	/* Alternate so neither side's buffer fills. */
	while (got < bytes) {
		if (sent < bytes) {
			long n = bytes - sent < (long)sizeof(buf) ? bytes - sent : (long)sizeof(buf);
			ssize_t w = write(c, buf, (size_t)n);

			if (w <= 0) {
				perror("write");
				return 1;
			}
			sent += w;
		}
		while (got < sent) {
			ssize_t r = read(s, buf, sizeof(buf));

			if (r <= 0) {
				perror("read");
				return 1;
			}
			got += r;
		}
	}
	close(c);
	close(s);
	close(l);
	printf("net_bytes=%ld\n", got);
	return 0;
}

int main(int argc, char **argv)
{
	long long mem0 = psi_some("memory"), io0 = psi_some("io");
	uint64_t oncpu = 0, runq = 0, blkio, start, boot;
	int rc = 0, threads = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: %s cpu|sleep SECS | threads N SECS | io FILE WRITES | "
				"net BYTES | mem FILE MB\n", argv[0]);
		return 2;
	}
	if (strcmp(argv[1], "cpu") == 0) {
		spin(atof(argv[2]));
	} else if (strcmp(argv[1], "sleep") == 0) {
		usleep((useconds_t)(atof(argv[2]) * 1e6));
	} else if (strcmp(argv[1], "threads") == 0 && argc >= 4) {
		int n = atoi(argv[2]), i;
		pthread_t *t = calloc((size_t)n, sizeof(*t));

		g_secs = atof(argv[3]);
		for (i = 0; i < n; i++)
			pthread_create(&t[i], NULL, thread_spin, NULL);
		/* Read the threads' accounts just before they end. */
		usleep((useconds_t)(g_secs * 1e6 * 0.98));
		schedstat(&oncpu, &runq);
		for (i = 0; i < n; i++)
			pthread_join(t[i], NULL);
		threads = n;
	} else if (strcmp(argv[1], "io") == 0 && argc >= 4) {
		rc = do_io(argv[2], atoi(argv[3]));
	} else if (strcmp(argv[1], "net") == 0) {
		rc = do_net(atol(argv[2]));
	} else if (strcmp(argv[1], "mem") == 0 && argc >= 4) {
		rc = do_mem(argv[2], atoi(argv[3]));
	} else {
		fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[1]);
		return 2;
	}
	if (!threads)
		schedstat(&oncpu, &runq);
	stat_fields(&blkio, &start);
	boot = now_ns(CLOCK_BOOTTIME);
	printf("pid=%d\nwall_ns=%llu\noncpu_ns=%llu\nrunq_ns=%llu\nblkio_ns=%llu\n", (int)getpid(),
	       (unsigned long long)(boot - start), (unsigned long long)oncpu,
	       (unsigned long long)runq, (unsigned long long)blkio);
	printf("psi_mem_us=%lld\npsi_io_us=%lld\n", psi_some("memory") - mem0,
	       psi_some("io") - io0);
	return rc;
}
