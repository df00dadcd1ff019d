// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: run a command as a child and write the ground truth the kernel
 * gives its parent (wait4 rusage and status) to a file, for comparison. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "Usage: sexec-wait4 OUTFILE COMMAND [ARG]...\n"
				"Writes: pid user_us sys_us maxrss_kb status\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "sexec-wait4: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 1;
	out = fopen(argv[1], "w");
	if (!out)
		return 1;
	fprintf(out, "%d %ld %ld %ld %d\n", (int)pid,
		ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec,
		ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec, ru.ru_maxrss, status);
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
