// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: register this process with sexecd as a task of a made-up job,
 * exactly as the SPANK plugin does, then exec the given command (or, with -e,
 * run it as a child and then report the task's and the step's end). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sexec/conf.h"
#include "sexec/proto.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sexec-run-tracked [-e] [-s SOCKET] [-c CLUSTER] [-n NODE] [-u USER] "
		     "[-U UID] -j JOBID [-S STEP] [-t TASK] [-P PIPELINE] [-L K=V,...]\n"
		     "       -- COMMAND [ARG]...\n");
}

/* Send one message and check the collector acknowledged it. */
static int send_msg(const char *sock, uint16_t type, const struct sexec_step_info *s,
		    const struct sexec_task_info *t, int have_status, int32_t status)
{
	char why[SEXEC_STR_MAX + 1];
	int err = client_send(sock, type, 1, s, t, have_status ? &status : NULL, 5000, why,
			      sizeof(why));

	if (err)
		fprintf(stderr, "sexec-run-tracked: %s: %s\n", sock, why[0] ? why : strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	struct sexec_step_info s = { .array_task_id = SEXEC_NO_VAL, .step_id = SEXEC_STEP_BATCH };
	struct sexec_task_info t = { .gtask_id = SEXEC_NO_VAL };
	const char *sock = SEXEC_SOCKET_DEFAULT;
	int opt, wait_child = 0;

	strcpy(s.cluster, "test");
	strcpy(s.node, "node");
	strcpy(s.user, "root");
	s.alloc_cpus = 1;
	while ((opt = getopt(argc, argv, "es:c:n:u:U:j:S:t:P:L:h")) != -1) {
		switch (opt) {
		case 'e': wait_child = 1; break;
		case 's': sock = optarg; break;
		case 'c': snprintf(s.cluster, sizeof(s.cluster), "%s", optarg); break;
		case 'n': snprintf(s.node, sizeof(s.node), "%s", optarg); break;
		case 'u': snprintf(s.user, sizeof(s.user), "%s", optarg); break;
		case 'U': s.uid = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'j': s.job_id = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S':
			if (record_step_parse(optarg, &s.step_id)) {
				fprintf(stderr, "sexec-run-tracked: bad step '%s'\n", optarg);
				return 2;
			}
			break;
		case 't': t.task_id = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'P': snprintf(s.pipeline, sizeof(s.pipeline), "%s", optarg); break;
		case 'L': snprintf(s.labels, sizeof(s.labels), "%s", optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!s.job_id || optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (wait_child) {
		/* Like slurmstepd: the task is a child; register it before it execs. */
		int pfd[2], status = 0;
		pid_t pid;
		char go;

		if (pipe(pfd))
			return 1;
		pid = fork();
		if (pid == 0) {
			close(pfd[1]);
			if (read(pfd[0], &go, 1) != 1)
				_exit(126);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
		close(pfd[0]);
		t.pid = (uint32_t)pid;
		if (send_msg(sock, SEXEC_MSG_TASK_BEGIN, &s, &t, 0, 0)) {
			kill(pid, SIGKILL);
			return 3;
		}
		if (write(pfd[1], "g", 1) != 1)
			return 1;
		waitpid(pid, &status, 0);
		send_msg(sock, SEXEC_MSG_TASK_END, &s, &t, 1, status);
		send_msg(sock, SEXEC_MSG_STEP_END, &s, NULL, 0, 0);
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	}
	t.pid = (uint32_t)getpid();
	if (send_msg(sock, SEXEC_MSG_TASK_BEGIN, &s, &t, 0, 0))
		return 3;
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "sexec-run-tracked: %s: %s\n", argv[optind], strerror(errno));
	return 127;
}
