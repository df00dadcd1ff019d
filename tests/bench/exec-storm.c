// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark: fork + exec + wait of /bin/true N times, back to back or paced
 * at RATE execs per second; prints the elapsed time and the cost per exec. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *prog = "/bin/true";
	struct timespec start, next;
	double t0, el, rate = 0;
	long n, i;
	int st;

	if (argc < 2 || argc > 3 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "Usage: exec-storm N [RATE_PER_S]\n");
		return 2;
	}
	if (argc == 3 && (rate = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr, "exec-storm: bad rate '%s'\n", argv[2]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		pid_t pid;

		if (rate > 0) { /* absolute deadlines: no drift from sleep overshoot */
			double off = (double)i / rate;
			long sec = (long)off;

			next.tv_sec = start.tv_sec + sec;
			next.tv_nsec = start.tv_nsec + (long)((off - (double)sec) * 1e9);
			if (next.tv_nsec >= 1000000000L) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000L;
			}
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
				;
		}
		pid = fork();
		if (pid < 0) {
			perror("exec-storm: fork");
			return 1;
		}
		if (pid == 0) {
			execl(prog, prog, (char *)NULL);
			_exit(127);
		}
		while (waitpid(pid, &st, 0) < 0) {
			if (errno != EINTR) {
				perror("exec-storm: waitpid");
				return 1;
			}
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "exec-storm: %s failed (status 0x%x)\n", prog, st);
			return 1;
		}
	}
	el = now_s() - t0;
	printf("exec-storm n %ld elapsed_s %.6f us_per_exec %.3f rate_per_s %.1f\n", n, el,
	       el * 1e6 / (double)n, (double)n / el);
	return 0;
}
