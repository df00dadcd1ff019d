// SPDX-License-Identifier: GPL-2.0-or-later
/* plugstack.conf arguments of sexec.so: key=value pairs parsed into one
 * struct with range and truncation checks; problems are logged, not fatal. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin.h"
#include "sexec/workflow.h"

/* label=KEY=VALUE (repeatable): a site default every job carries. */
static int args_default_label(struct sexec_args *a, const char *v)
{
	struct sexec_labels *ls = calloc(1, sizeof(*ls));
	char err[256];
	int bad = 0;

	if (!ls)
		return 1;
	if (labels_parse(ls, a->labels, 1, err, sizeof(err)) < 0 ||
	    labels_parse(ls, v, 1, err, sizeof(err)) < 0 ||
	    labels_format(ls, a->labels, sizeof(a->labels)) < 0) {
		slurm_error("sexec: plugstack argument label=%s ignored: %s", v,
			    err[0] ? err : "labels too long");
		bad = 1;
	}
	free(ls);
	return bad;
}

int args_parse(struct sexec_args *a, int ac, char **av)
{
	int i, bad = 0;

	memset(a, 0, sizeof(*a));
	snprintf(a->socket_path, sizeof(a->socket_path), "%s", SEXEC_SOCKET_DEFAULT);
	snprintf(a->sexecd_path, sizeof(a->sexecd_path), "%s/sexecd", SEXEC_SBINDIR);
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
		} else if (klen == 9 && strncmp(av[i], "autostart", 9) == 0) {
			if (strcmp(v, "yes") == 0) {
				a->autostart = 1;
			} else if (strcmp(v, "no") == 0) {
				a->autostart = 0;
			} else {
				slurm_error("sexec: plugstack argument autostart=%s is not yes or no; "
					    "keeping %s",
					    v, a->autostart ? "yes" : "no");
				bad++;
			}
		} else if (klen == 6 && strncmp(av[i], "sexecd", 6) == 0) {
			if (v[0] != '/' || strlen(v) >= sizeof(a->sexecd_path)) {
				slurm_error("sexec: plugstack argument sexecd=%s must be an absolute "
					    "path shorter than %zu bytes; keeping %s",
					    v, sizeof(a->sexecd_path), a->sexecd_path);
				bad++;
				continue;
			}
			snprintf(a->sexecd_path, sizeof(a->sexecd_path), "%s", v);
		} else if (klen == 5 && strncmp(av[i], "label", 5) == 0) {
			bad += args_default_label(a, v);
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

/* What the user said with options, in this process. */
static char opt_pipeline[SEXEC_NAME_MAX], opt_run[SEXEC_NAME_MAX];
static struct sexec_labels opt_labels;

/* In slurmstepd a refusal would fail the step: it is only logged there
 * (srun and sbatch have refused the value already). */
static int args_refuse(int remote)
{
	return remote ? 0 : -1;
}

static int args_opt_sexec(int val, const char *optarg, int remote)
{
	(void)val;
	if (optarg && strcmp(optarg, "on") == 0) {
		sexec_user_choice = 1;
	} else if (optarg && strcmp(optarg, "off") == 0) {
		sexec_user_choice = -1;
	} else {
		slurm_error("sexec: --sexec takes 'on' or 'off', not '%s'", optarg ? optarg : "");
		return args_refuse(remote);
	}
	return 0;
}

/* A pipeline or run name: 1 to 255 bytes, no control characters or commas. */
static int args_name_ok(const char *v)
{
	size_t i, n = v ? strlen(v) : 0;

	if (n == 0 || n >= SEXEC_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

static int args_opt_name(const char *opt, const char *optarg, char *dst, int remote)
{
	if (!args_name_ok(optarg)) {
		slurm_error("sexec: --%s needs a name of 1 to %d characters without control "
			    "characters",
			    opt, SEXEC_NAME_MAX - 1);
		return args_refuse(remote);
	}
	snprintf(dst, SEXEC_NAME_MAX, "%s", optarg);
	return 0;
}

static int args_opt_pipeline(int val, const char *optarg, int remote)
{
	(void)val;
	return args_opt_name("sexec-pipeline", optarg, opt_pipeline, remote);
}

static int args_opt_run(int val, const char *optarg, int remote)
{
	(void)val;
	return args_opt_name("sexec-run", optarg, opt_run, remote);
}

static int args_opt_label(int val, const char *optarg, int remote)
{
	char err[256];

	(void)val;
	if (!optarg || !strchr(optarg, '=')) {
		slurm_error("sexec: --sexec-label takes KEY=VALUE, not '%s'", optarg ? optarg : "");
		return args_refuse(remote);
	}
	if (labels_parse(&opt_labels, optarg, 1, err, sizeof(err)) < 0) {
		slurm_error("sexec: --sexec-label=%s: %s", optarg, err);
		return args_refuse(remote);
	}
	return 0;
}

struct spank_option sexec_options[] = {
	{ "sexec", "on|off",
	  "Observe this job with sexec (on) or not (off). The site's policy says whether "
	  "jobs are observed unless they opt out, only when they opt in, or always.",
	  1, 0, args_opt_sexec },
	{ "sexec-pipeline", "NAME",
	  "Pipeline this job belongs to, for sexec reports (or SEXEC_PIPELINE).", 1, 0,
	  args_opt_pipeline },
	{ "sexec-run", "ID", "Run of the pipeline this job belongs to (or SEXEC_RUN).", 1, 0,
	  args_opt_run },
	{ "sexec-label", "KEY=VALUE",
	  "Label this job for sexec reports; repeatable, or KEY=VALUE,KEY=VALUE "
	  "(or SEXEC_LABELS).",
	  1, 0, args_opt_label },
	SPANK_OPTIONS_TABLE_END
};

void args_decide(spank_t sp, const struct sexec_args *a)
{
	char *arg = NULL;

	/* In slurmstepd the callback has run with the user's value; asking
	 * again covers Slurm versions that only store it. */
	if (spank_option_getopt(sp, &sexec_options[0], &arg) == ESPANK_SUCCESS && arg)
		args_opt_sexec(0, arg, 1);
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

void args_export(void)
{
	static struct sexec_labels env;
	char buf[SEXEC_LABELS_STR_MAX], err[256];
	const char *old = getenv("SEXEC_LABELS");
	int i;

	if (opt_pipeline[0])
		setenv("SEXEC_PIPELINE", opt_pipeline, 1);
	if (opt_run[0])
		setenv("SEXEC_RUN", opt_run, 1);
	if (!opt_labels.n)
		return;
	/* Options win over labels already in the environment. */
	memset(&env, 0, sizeof(env));
	if (old && labels_parse(&env, old, 1, err, sizeof(err)) < 0)
		memset(&env, 0, sizeof(env));
	for (i = 0; i < opt_labels.n; i++)
		if (labels_set(&env, opt_labels.l[i].key, opt_labels.l[i].value, err,
			       sizeof(err)) < 0) {
			slurm_error("sexec: label %s not passed on: %s", opt_labels.l[i].key, err);
		}
	if (labels_format(&env, buf, sizeof(buf)) < 0) {
		slurm_error("sexec: labels longer than %zu bytes are not passed on", sizeof(buf));
		return;
	}
	setenv("SEXEC_LABELS", buf, 1);
}

void args_attribution(spank_t sp, const struct sexec_args *a, struct sexec_step_info *s)
{
	static struct sexec_labels ls;
	char env[SEXEC_LABELS_STR_MAX], err[256];
	char *arg = NULL;
	int i;

	/* Options, as slurmstepd replays them (older Slurm only stores them). */
	if (!opt_pipeline[0] && spank_option_getopt(sp, &sexec_options[1], &arg) == ESPANK_SUCCESS &&
	    arg)
		args_opt_pipeline(0, arg, 1);
	arg = NULL;
	if (!opt_run[0] && spank_option_getopt(sp, &sexec_options[2], &arg) == ESPANK_SUCCESS && arg)
		args_opt_run(0, arg, 1);
	arg = NULL;
	if (!opt_labels.n && spank_option_getopt(sp, &sexec_options[3], &arg) == ESPANK_SUCCESS &&
	    arg)
		args_opt_label(0, arg, 1);

	if (opt_pipeline[0])
		snprintf(s->pipeline, sizeof(s->pipeline), "%s", opt_pipeline);
	else if (spank_getenv(sp, "SEXEC_PIPELINE", env, sizeof(env)) == ESPANK_SUCCESS &&
		 args_name_ok(env))
		snprintf(s->pipeline, sizeof(s->pipeline), "%s", env);
	if (opt_run[0])
		snprintf(s->run, sizeof(s->run), "%s", opt_run);
	else if (spank_getenv(sp, "SEXEC_RUN", env, sizeof(env)) == ESPANK_SUCCESS &&
		 args_name_ok(env))
		snprintf(s->run, sizeof(s->run), "%s", env);

	memset(&ls, 0, sizeof(ls));
	labels_parse(&ls, a->labels, 1, err, sizeof(err)); /* checked at parse time */
	if (spank_getenv(sp, "SEXEC_LABELS", env, sizeof(env)) == ESPANK_SUCCESS &&
	    labels_parse(&ls, env, 1, err, sizeof(err)) < 0)
		slurm_error("sexec: SEXEC_LABELS ignored: %s", err);
	for (i = 0; i < opt_labels.n; i++)
		labels_set(&ls, opt_labels.l[i].key, opt_labels.l[i].value, err, sizeof(err));
	if (labels_format(&ls, s->labels, sizeof(s->labels)) < 0) {
		slurm_error("sexec: labels longer than %zu bytes ignored", sizeof(s->labels));
		s->labels[0] = '\0';
	}
}
