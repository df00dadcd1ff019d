// SPDX-License-Identifier: GPL-2.0-or-later
/* Test helper: burn a given number of CPU seconds in user space, then exit
 * with a given code, so a record can be checked against known cost. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	double want = argc > 1 ? atof(argv[1]) : 1.0, used = 0;
	int code = argc > 2 ? atoi(argv[2]) : 0;
	volatile unsigned long x = 0;
	struct timespec ts;

	while (used < want) {
		unsigned long i;

		for (i = 0; i < 1000000; i++)
			x += i * i;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
		used = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	}
	return code;
}
