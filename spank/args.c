// SPDX-License-Identifier: GPL-2.0-or-later
/* plugstack.conf arguments of sexec.so: key=value pairs parsed into one
 * struct with range and truncation checks; problems are logged, not fatal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"

int args_parse(struct sexec_args *a, int ac, char **av)
{
	int i, bad = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->socket_path, sizeof(a->socket_path), "%s", SEXEC_SOCKET_DEFAULT);
	a->timeout_ms = 1000;
	for (i = 0; i < ac; i++) {
		const char *eq = strchr(av[i], '=');
		const char *v = eq ? eq + 1 : "";
		size_t klen = eq ? (size_t)(eq - av[i]) : strlen(av[i]);

		if (klen == 6 && strncmp(av[i], "socket", 6) == 0) {
			if (!*v || strlen(v) >= sizeof(a->socket_path)) {
				slurm_error("sexec: plugstack argument socket= is empty or longer "
					    "than %zu bytes; keeping %s",
					    sizeof(a->socket_path) - 1, a->socket_path);
				bad++;
				continue;
			}
			snprintf(a->socket_path, sizeof(a->socket_path), "%s", v);
		} else if (klen == 10 && strncmp(av[i], "timeout_ms", 10) == 0) {
			char *end;
			long t;

			errno = 0;
			t = strtol(v, &end, 10);
			if (errno || end == v || *end || t < 10 || t > 60000) {
				slurm_error("sexec: plugstack argument timeout_ms=%s must be 10 to "
					    "60000; keeping %d",
					    v, a->timeout_ms);
				bad++;
				continue;
			}
			a->timeout_ms = (int)t;
		} else if (klen == 6 && strncmp(av[i], "enable", 6) == 0) {
			if (strcmp(v, "always") == 0) {
				a->disabled = 0;
			} else if (strcmp(v, "never") == 0) {
				a->disabled = 1;
			} else {
				slurm_error("sexec: plugstack argument enable=%s is not 'always' or "
					    "'never'; keeping always",
					    v);
				bad++;
			}
		} else {
			slurm_error("sexec: unknown plugstack argument '%s' ignored", av[i]);
			bad++;
		}
	}
	return bad;
}
