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
			if (strcmp(v, "optout") == 0) {
				a->policy = POLICY_OPTOUT;
			} else if (strcmp(v, "always") == 0) {
				a->policy = POLICY_ALWAYS;
			} else if (strcmp(v, "optin") == 0) {
				a->policy = POLICY_OPTIN;
			} else if (strcmp(v, "never") == 0) {
				a->policy = POLICY_NEVER;
			} else {
				slurm_error("sexec: plugstack argument enable=%s is not always, optout, "
					    "optin or never; keeping optout",
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

int sexec_observe = 1;

/* 0 unset, 1 on, -1 off. Set by the option callback, in whichever process
 * parses the command line (srun, sbatch, or slurmstepd replaying it). */
static int sexec_user_choice;

static int args_option_cb(int val, const char *optarg, int remote)
{
	(void)val;
	(void)remote;
	if (optarg && strcmp(optarg, "on") == 0) {
		sexec_user_choice = 1;
	} else if (optarg && strcmp(optarg, "off") == 0) {
		sexec_user_choice = -1;
	} else {
		slurm_error("sexec: --sexec takes 'on' or 'off', not '%s'", optarg ? optarg : "");
		return -1;
	}
	return 0;
}

struct spank_option sexec_option = {
	"sexec", "on|off",
	"Observe this job with sexec (on) or not (off). The site's policy says whether "
	"jobs are observed unless they opt out, only when they opt in, or always.",
	1, 0, args_option_cb,
};

void args_decide(spank_t sp, const struct sexec_args *a)
{
	char *arg = NULL;

	/* In slurmstepd the callback has run with the user's value; asking
	 * again covers Slurm versions that only store it. */
	if (spank_option_getopt(sp, &sexec_option, &arg) == ESPANK_SUCCESS && arg)
		args_option_cb(0, arg, 1);
	switch (a->policy) {
	case POLICY_ALWAYS:
		if (sexec_user_choice < 0)
			slurm_info("sexec: --sexec=off ignored: this site observes every job");
		sexec_observe = 1;
		break;
	case POLICY_OPTOUT:
		sexec_observe = sexec_user_choice >= 0;
		break;
	case POLICY_OPTIN:
		sexec_observe = sexec_user_choice > 0;
		break;
	case POLICY_NEVER:
		sexec_observe = 0;
		break;
	}
}
