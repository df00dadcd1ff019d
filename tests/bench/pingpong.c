// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark: two processes pass one byte back and forth over a pair of pipes
 * N times (a context-switch storm); prints elapsed time and cost per round trip.
 * With CPU, both are pinned to that CPU: two context switches per round trip
 * and no cross-CPU wake-ups, which on a small VM vary tenfold from run to run. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int xread(int fd, char *c)
{
	ssize_t r;

	while ((r = read(fd, c, 1)) < 0 && errno == EINTR)
		;
	return r == 1 ? 0 : -1;
}

static int xwrite(int fd, char c)
{
	ssize_t r;

	while ((r = write(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return r == 1 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int ping[2], pong[2], st;
	double t0, el;
	long n, i, cpu = -1;
	pid_t pid;
	char c = 'x';

	if (argc < 2 || argc > 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "Usage: pingpong N [CPU]\n");
		return 2;
	}
	if (argc == 3) {
		cpu_set_t set;

		cpu = strtol(argv[2], NULL, 10);
		if (cpu < 0 || cpu >= CPU_SETSIZE) {
			fprintf(stderr, "pingpong: bad cpu '%s'\n", argv[2]);
			return 2;
		}
		CPU_ZERO(&set);
		CPU_SET((int)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set)) {
			perror("pingpong: sched_setaffinity");
			return 2;
		}
	}
	if (pipe(ping) || pipe(pong)) {
		perror("pingpong: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("pingpong: fork");
		return 1;
	}
	if (pid == 0) {
		close(ping[1]);
		close(pong[0]);
		while (xread(ping[0], &c) == 0)
			if (xwrite(pong[1], c))
				_exit(1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	/* One round trip first, so the child is up before the clock starts. */
	if (xwrite(ping[1], c) || xread(pong[0], &c))
		return 1;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (xwrite(ping[1], c) || xread(pong[0], &c)) {
			fprintf(stderr, "pingpong: pipe broke after %ld round trips\n", i);
			return 1;
		}
	}
	el = now_s() - t0;
	close(ping[1]);
	waitpid(pid, &st, 0);
	printf("pingpong n %ld cpu %ld elapsed_s %.6f us_per_rt %.3f\n", n, cpu, el,
	       el * 1e6 / (double)n);
	return 0;
}
