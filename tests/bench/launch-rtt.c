// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark helper: time what the SPANK plugin sends sexecd for one task
 * (TASK_BEGIN, TASK_END, STEP_END) without Slurm, over many made-up tasks. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sexec/conf.h"
#include "sexec/proto.h"

enum { RTT_BEGIN, RTT_END, RTT_STEP_END, RTT_TOTAL, RTT_NCOLS };

static const char *const rtt_names[RTT_NCOLS] = { "task_begin", "task_end", "step_end", "total" };

static void usage(FILE *out)
{
	fprintf(out, "Usage: launch-rtt [-s SOCKET] [-c CLUSTER] [-n NODE] [-t TIMEOUT_MS] [-w WARMUP] "
		     "-j FIRST_JOB -J LAST_JOB N\n");
}

static double rtt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int rtt_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, as tests/bench/run.sh computes its quantiles. */
static double rtt_quantile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * n + 0.999999);

	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

static double rtt_median(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One timed request; failures are counted, not fatal (sexecd may restart). */
static int rtt_send(const char *sock, uint16_t type, const struct sexec_step_info *s,
		    const struct sexec_task_info *t, const int32_t *status, int timeout_ms,
		    double *us)
{
	char why[SEXEC_STR_MAX + 1];
	double t0 = rtt_now_us();
	int err = client_send(sock, type, 1, s, t, status, timeout_ms, why, sizeof(why));

	*us = rtt_now_us() - t0;
	if (err)
		fprintf(stderr, "launch-rtt: job %u step %u type %u: %s\n", s->job_id, s->step_id,
			type, why[0] ? why : strerror(-err));
	return err;
}

/* One made-up task, as slurmstepd runs it: the task is a child that waits on
 * a pipe (where the real one would exec), so its pid exists when it is
 * registered; it is reaped before TASK_END, as Slurm does. */
static int rtt_one(const char *sock, struct sexec_step_info *s, int timeout_ms, double *us)
{
	struct sexec_task_info t = { .task_id = 0, .gtask_id = 0 };
	int pfd[2], status = 0, err;
	pid_t pid;
	char go;

	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		close(pfd[1]);
		/* EOF when the parent dies: the child never outlives it. */
		_exit(read(pfd[0], &go, 1) == 1 ? 0 : 1);
	}
	close(pfd[0]);
	t.pid = (uint32_t)pid;
	err = rtt_send(sock, SEXEC_MSG_TASK_BEGIN, s, &t, NULL, timeout_ms, &us[RTT_BEGIN]);
	if (write(pfd[1], "g", 1) != 1 && !err)
		err = -EPIPE;
	close(pfd[1]);
	waitpid(pid, &status, 0);
	if (err)
		return err;
	err = rtt_send(sock, SEXEC_MSG_TASK_END, s, &t, &status, timeout_ms, &us[RTT_END]);
	if (!err)
		err = rtt_send(sock, SEXEC_MSG_STEP_END, s, NULL, NULL, timeout_ms,
			       &us[RTT_STEP_END]);
	us[RTT_TOTAL] = us[RTT_BEGIN] + us[RTT_END] + us[RTT_STEP_END];
	return err;
}

int main(int argc, char **argv)
{
	struct sexec_step_info s = { .array_task_id = SEXEC_NO_VAL };
	const char *sock = SEXEC_SOCKET_DEFAULT;
	unsigned long first = 0, last = 0, span, n, warmup = 20, i, k, failed = 0, ok = 0;
	int opt, c, timeout_ms = 1000;
	double *v[RTT_NCOLS], us[RTT_NCOLS];

	strcpy(s.cluster, "bench");
	if (gethostname(s.node, sizeof(s.node)))
		strcpy(s.node, "node");
	s.node[sizeof(s.node) - 1] = '\0';
	if (strchr(s.node, '.'))
		*strchr(s.node, '.') = '\0';
	/* The fields the plugin sends, so the datagram has a realistic size. */
	strcpy(s.user, "root");
	strcpy(s.job_name, "launch-rtt");
	strcpy(s.partition, "debug");
	strcpy(s.alloc_cores, "0");
	s.alloc_cpus = 1;
	s.alloc_mem_mb = 1024;
	s.nnodes = 1;
	s.ntasks = 1;
	while ((opt = getopt(argc, argv, "s:c:n:t:w:j:J:h")) != -1) {
		switch (opt) {
		case 's': sock = optarg; break;
		case 'c': snprintf(s.cluster, sizeof(s.cluster), "%s", optarg); break;
		case 'n': snprintf(s.node, sizeof(s.node), "%s", optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'w': warmup = strtoul(optarg, NULL, 10); break;
		case 'j': first = strtoul(optarg, NULL, 10); break;
		case 'J': last = strtoul(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1 || !first || last < first || timeout_ms < 1) {
		usage(stderr);
		return 2;
	}
	n = strtoul(argv[optind], NULL, 10);
	span = last - first + 1;
	for (c = 0; c < RTT_NCOLS; c++) {
		v[c] = calloc(n ? n : 1, sizeof(double));
		if (!v[c])
			return 1;
	}
	/* Every task is a new (job, step): a new job for each of the first
	 * 'span' tasks, then further steps of those jobs. */
	for (i = 0; i < warmup + n; i++) {
		s.job_id = (uint32_t)(first + i % span);
		s.step_id = (uint32_t)(i / span);
		if (rtt_one(sock, &s, timeout_ms, us)) {
			failed++;
			continue;
		}
		if (i < warmup)
			continue;
		for (c = 0; c < RTT_NCOLS; c++)
			v[c][ok] = us[c];
		ok++;
	}
	k = warmup + n < span ? warmup + n : span;
	printf("tasks %lu warmup %lu failed %lu jobs %lu-%lu steps %lu\n", ok, warmup, failed, first,
	       first + k - 1, (warmup + n + span - 1) / span);
	for (c = 0; c < RTT_NCOLS && ok; c++) {
		qsort(v[c], ok, sizeof(double), rtt_cmp);
		printf("%s median_us %.1f p90_us %.1f p99_us %.1f max_us %.1f\n", rtt_names[c],
		       rtt_median(v[c], ok), rtt_quantile(v[c], ok, 0.90),
		       rtt_quantile(v[c], ok, 0.99), v[c][ok - 1]);
	}
	for (c = 0; c < RTT_NCOLS; c++)
		free(v[c]);
	return ok ? 0 : 3;
}
