// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: register this process with sexecd as a task of a made-up job,
 * exactly as the SPANK plugin does, then exec the given command. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sexec/conf.h"
#include "sexec/proto.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: sexec-run-tracked [-s SOCKET] [-c CLUSTER] [-n NODE] [-u USER] "
		     "[-U UID] -j JOBID [-S STEP] [-t TASK] -- COMMAND [ARG]...\n");
}

int main(int argc, char **argv)
{
	struct sexec_step_info s = { .array_task_id = SEXEC_NO_VAL, .step_id = SEXEC_STEP_BATCH };
	struct sexec_task_info t = { .gtask_id = SEXEC_NO_VAL };
	const char *sock = SEXEC_SOCKET_DEFAULT, *why;
	uint8_t req[SEXEC_MSG_MAX], reply[SEXEC_MSG_MAX];
	struct sexec_msg *m = malloc(sizeof(*m));
	struct sexec_enc e;
	int opt, n;

	strcpy(s.cluster, "test");
	strcpy(s.node, "node");
	strcpy(s.user, "root");
	s.alloc_cpus = 1;
	while ((opt = getopt(argc, argv, "s:c:n:u:U:j:S:t:h")) != -1) {
		switch (opt) {
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
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!s.job_id || optind >= argc || !m) {
		usage(stderr);
		return 2;
	}
	t.pid = (uint32_t)getpid();
	proto_enc_init(&e, req, sizeof(req), SEXEC_MSG_TASK_BEGIN, 1);
	proto_put_step(&e, &s);
	proto_put_task(&e, &t);
	n = proto_enc_finish(&e);
	n = client_request(sock, req, (size_t)n, reply, sizeof(reply), 5000);
	if (n < 0) {
		fprintf(stderr, "sexec-run-tracked: %s: %s\n", sock, strerror(-n));
		return 3;
	}
	if (proto_decode(reply, (size_t)n, m, &why) || m->type != SEXEC_MSG_ACK) {
		fprintf(stderr, "sexec-run-tracked: registration refused: %s\n", m->text);
		return 3;
	}
	free(m);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "sexec-run-tracked: %s: %s\n", argv[optind], strerror(errno));
	return 127;
}
