// SPDX-License-Identifier: GPL-2.0-or-later
/* Benchmark helper: start N `sleep SECS` children in batches, write their pids
 * to PIDFILE (one a line; "PIDFILE.ready" appears once all are started), then
 * reap them all and report how many ended by a signal. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BATCH 500

int main(int argc, char **argv)
{
	long n, i, reaped = 0, signalled = 0;
	char ready[4096];
	const char *secs;
	FILE *pf;
	int st;

	if (argc != 4 || (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "Usage: sleepers N SECS PIDFILE\n");
		return 2;
	}
	secs = argv[2];
	snprintf(ready, sizeof(ready), "%s.ready", argv[3]);
	pf = fopen(argv[3], "w");
	if (!pf) {
		perror("sleepers: pidfile");
		return 1;
	}
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "sleepers: fork after %ld: %s\n", i, strerror(errno));
			break;
		}
		if (pid == 0) {
			execl("/bin/sleep", "sleep", secs, (char *)NULL);
			_exit(127);
		}
		fprintf(pf, "%d\n", (int)pid);
		if ((i + 1) % BATCH == 0) {
			/* Let the collector drain the ring between batches. */
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			fflush(pf);
			nanosleep(&ts, NULL);
		}
	}
	n = i;
	if (fclose(pf)) {
		perror("sleepers: pidfile");
		return 1;
	}
	pf = fopen(ready, "w");
	if (pf)
		fclose(pf);
	while (reaped < n) {
		if (wait(&st) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		reaped++;
		if (WIFSIGNALED(st))
			signalled++;
	}
	printf("sleepers started %ld reaped %ld signalled %ld\n", n, reaped, signalled);
	return reaped == n ? 0 : 1;
}
