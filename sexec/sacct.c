// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs sacct for the sexec CLI with fork/execvp and a deadline, and turns its -P output
 * into struct sacct_row, units parsed by lib/slurmfmt.c. */
/* GNU for pipe2(); the autotools build gets it from config.h already. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sacct.h"

enum sacct_field {
	F_JOBID,
	F_JOBIDRAW,
	F_NAME,
	F_STATE,
	F_EXIT,
	F_ELAPSED,
	F_ELAPSEDRAW,
	F_CPUS,
	F_REQMEM,
	F_TOTALCPU,
	F_MAXRSS,
	F_TIMELIMIT,
	F_START,
	F_END,
	F_PARTITION,
	F_ACCOUNT,
	F_USER,
	F_NODELIST,
	F_COUNT
};

#define SACCT_OUT_MAX (64u << 20) /* a job with this much sacct output is not a job */
#define SACCT_ERR_MAX 4096        /* enough of stderr to explain a failure */

static int64_t sacct_int(const char *s)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return (errno || *end) ? -1 : v;
}

static double sacct_duration(const char *s)
{
	double v;

	return slurmfmt_parse_duration(s, &v) ? NAN : v;
}

/* Bytes from a memory field; old Slurm's per-CPU and per-node sizes are scaled to the
 * whole job or step, as ReqMem is in Slurm 21.08 and later. */
static int64_t sacct_mem(const char *s, int64_t cpus, const char *nodelist)
{
	enum slurmfmt_mem_per per;
	uint64_t b;
	int nodes;

	if (slurmfmt_parse_mem(s, &b, &per) || b > INT64_MAX)
		return -1;
	if (per == SLURMFMT_MEM_PER_CPU) {
		if (cpus < 0)
			return -1;
		b *= (uint64_t)cpus;
	} else if (per == SLURMFMT_MEM_PER_NODE) {
		nodes = slurmfmt_hostlist_count(nodelist);
		if (nodes <= 0)
			return -1;
		b *= (uint64_t)nodes;
	}
	return b > INT64_MAX ? -1 : (int64_t)b;
}

static int sacct_parse_line(char *line, struct sacct_row *row)
{
	struct slurmfmt_jobsel id, raw;
	char *f[F_COUNT];

	memset(row, 0, sizeof(*row));
	if (slurmfmt_split(line, '|', f, F_COUNT, F_NAME) != F_COUNT)
		return -EINVAL;
	if (slurmfmt_parse_jobsel(f[F_JOBID], &id) || slurmfmt_parse_jobsel(f[F_JOBIDRAW], &raw))
		return -EINVAL;
	/* JobIDRaw is the array task's own job id; JobID names the array. */
	row->job_id = raw.job_id;
	row->array_job_id = id.has_array ? (int64_t)id.job_id : -1;
	row->array_task_id = id.has_array ? (int64_t)id.array_task_id : -1;
	row->het_job_id = id.has_het ? (int64_t)id.job_id : -1;
	row->het_offset = id.has_het ? (int64_t)id.het_offset : -1;
	if (id.has_step)
		snprintf(row->step, sizeof(row->step), "%s", id.step);
	row->elapsed_s = NAN;
	if (sacct_int(f[F_ELAPSEDRAW]) >= 0)
		row->elapsed_s = (double)sacct_int(f[F_ELAPSEDRAW]);
	else
		row->elapsed_s = sacct_duration(f[F_ELAPSED]);
	row->total_cpu_s = sacct_duration(f[F_TOTALCPU]);
	row->timelimit_s = sacct_duration(f[F_TIMELIMIT]);
	row->alloc_cpus = sacct_int(f[F_CPUS]);
	row->req_mem_bytes = sacct_mem(f[F_REQMEM], row->alloc_cpus, f[F_NODELIST]);
	row->max_rss_bytes = sacct_mem(f[F_MAXRSS], row->alloc_cpus, f[F_NODELIST]);

	row->jobid = strdup(f[F_JOBID]);
	row->name = strdup(f[F_NAME]);
	row->state = strdup(f[F_STATE]);
	row->exit_code = strdup(f[F_EXIT]);
	row->partition = strdup(f[F_PARTITION]);
	row->account = strdup(f[F_ACCOUNT]);
	row->user = strdup(f[F_USER]);
	row->nodelist = strdup(f[F_NODELIST]);
	row->start = strdup(f[F_START]);
	row->end = strdup(f[F_END]);
	if (!row->jobid || !row->name || !row->state || !row->exit_code || !row->partition ||
	    !row->account || !row->user || !row->nodelist || !row->start || !row->end) {
		sacct_row_free(row);
		return -ENOMEM;
	}
	return 0;
}

int sacct_parse(char *out, struct sacct_row **rows, size_t *nrows, size_t *skipped)
{
	struct sacct_row *r = NULL, *grown;
	size_t n = 0, skip = 0, i;
	char *line, *next;
	int ret = 0;

	for (line = out; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!*line)
			continue;
		grown = realloc(r, (n + 1) * sizeof(*r));
		if (!grown) {
			ret = -ENOMEM;
			goto out;
		}
		r = grown;
		ret = sacct_parse_line(line, &r[n]);
		if (ret == -ENOMEM)
			goto out;
		if (ret) {
			skip++;
			ret = 0;
			continue;
		}
		n++;
	}
out:
	if (ret) {
		for (i = 0; i < n; i++)
			sacct_row_free(&r[i]);
		free(r);
		return ret;
	}
	*rows = r;
	*nrows = n;
	if (skipped)
		*skipped = skip;
	return 0;
}

static long sacct_ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* First line of what sacct said on stderr, for the warning. */
static void sacct_first_line(char *dst, size_t len, const char *text)
{
	const char *nl;

	while (*text == '\n')
		text++;
	nl = strchr(text, '\n');
	snprintf(dst, len, "%.*s", nl ? (int)(nl - text) : (int)strlen(text), text);
}

/* The running sacct: its pid and the read ends of its stdout and stderr. */
struct sacct_child {
	pid_t pid;
	int out_fd, err_fd;
};

/* Start sacct with stdin on /dev/null. Returns 0, or -errno with err set; -ENOENT/-EACCES
 * (or -EIO) when exec failed, which the child reports through a close-on-exec pipe. */
static int sacct_spawn(struct sacct_child *c, char *const argv[], char *err, size_t errlen)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, execp[2] = { -1, -1 };
	int ret = 0, exec_errno = 0;

	c->pid = -1;
	c->out_fd = c->err_fd = -1;
	if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC) || pipe2(execp, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot create a pipe: %s", strerror(-ret));
		goto out;
	}
	c->pid = fork();
	if (c->pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot fork: %s", strerror(-ret));
		goto out;
	}
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, STDIN_FILENO);
		dup2(outp[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		signal(SIGPIPE, SIG_DFL);
		/* Its own process group, so a timeout also ends whatever a wrapper script
		 * started. */
		setpgid(0, 0);
		execvp(argv[0], argv);
		exec_errno = errno;
		if (write(execp[1], &exec_errno, sizeof(exec_errno)) < 0)
			_exit(126);
		_exit(127);
	}
	/* Also set here: whichever of parent and child runs first, the group exists before a
	 * kill(-pid) can need it. */
	setpgid(c->pid, c->pid);
	close(execp[1]);
	execp[1] = -1;
	/* The exec pipe closes on a successful exec, or carries errno when it failed. */
	while (read(execp[0], &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
		;
	if (exec_errno) {
		ret = exec_errno == ENOENT || exec_errno == EACCES ? -exec_errno : -EIO;
		snprintf(err, errlen, "cannot run %s: %s", argv[0], strerror(exec_errno));
		goto out;
	}
	c->out_fd = outp[0];
	c->err_fd = errp[0];
	outp[0] = errp[0] = -1;
out:
	if (outp[0] >= 0)
		close(outp[0]);
	if (outp[1] >= 0)
		close(outp[1]);
	if (errp[0] >= 0)
		close(errp[0]);
	if (errp[1] >= 0)
		close(errp[1]);
	if (execp[0] >= 0)
		close(execp[0]);
	if (execp[1] >= 0)
		close(execp[1]);
	return ret;
}

/* Read sacct's stdout (all of it, into *out) and the start of its stderr (into errtext)
 * until both reach EOF or the deadline passes. Closes both fds. Returns 0, or -errno with err
 * set; on error the caller must kill the child. */
static int sacct_collect(struct sacct_child *c, int timeout_s, const char *path, char **out,
			 size_t *outlen, char *errtext, char *err, size_t errlen)
{
	struct pollfd pfd[2] = { { .fd = c->out_fd, .events = POLLIN },
				 { .fd = c->err_fd, .events = POLLIN } };
	size_t outcap = 0, errused = 0;
	struct timespec deadline;
	int ret = 0, i;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s;
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		long left = sacct_ms_left(&deadline);
		int n;

		if (left <= 0) {
			ret = -ETIMEDOUT;
			snprintf(err, errlen, "%s did not answer within %d s", path, timeout_s);
			goto out;
		}
		n = poll(pfd, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "poll: %s", strerror(-ret));
			goto out;
		}
		for (i = 0; i < 2; i++) {
			char buf[8192], *dst = buf;
			size_t room = sizeof(buf);
			ssize_t got;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (i == 0) {
				if (outcap - *outlen < sizeof(buf) + 1) {
					char *grown = NULL;

					outcap = outcap ? outcap * 2 : 65536;
					if (outcap <= SACCT_OUT_MAX)
						grown = realloc(*out, outcap);
					if (!grown) {
						ret = -ENOMEM;
						snprintf(err, errlen, "sacct output too large");
						goto out;
					}
					*out = grown;
				}
				dst = *out + *outlen;
				room = outcap - *outlen - 1;
			}
			got = read(pfd[i].fd, dst, room);
			if (got < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (got <= 0) {
				/* EOF, or an error, which ends the stream the same way. */
				close(pfd[i].fd);
				pfd[i].fd = -1;
			} else if (i == 0) {
				*outlen += (size_t)got;
			} else if (errused < SACCT_ERR_MAX) {
				size_t keep = (size_t)got;

				if (keep > SACCT_ERR_MAX - errused)
					keep = SACCT_ERR_MAX - errused;
				memcpy(errtext + errused, buf, keep);
				errused += keep;
				errtext[errused] = '\0';
			}
		}
	}
out:
	for (i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (*out)
		(*out)[*outlen] = '\0';
	return ret;
}

int sacct_query(const char *path, const char *jobarg, int timeout_s, struct sacct_row **rows,
		size_t *nrows, char *err, size_t errlen)
{
	const char *const sel[] = { "-j", jobarg, NULL };

	return sacct_query_args(path, sel, timeout_s, rows, nrows, err, errlen);
}

#define SACCT_SEL_MAX 16

int sacct_query_args(const char *path, const char *const *sel, int timeout_s,
		     struct sacct_row **rows, size_t *nrows, char *err, size_t errlen)
{
	char *argv[SACCT_SEL_MAX + 6];
	char errtext[SACCT_ERR_MAX + 1] = "", line[512];
	struct sacct_child child = { .pid = -1, .out_fd = -1, .err_fd = -1 };
	size_t outlen = 0, i;
	char *out = NULL;
	int ret, status = 0;

	*rows = NULL;
	*nrows = 0;
	argv[0] = (char *)path;
	argv[1] = "-P";
	argv[2] = "-n";
	argv[3] = "--format=" SACCT_FORMAT;
	for (i = 0; sel[i]; i++) {
		if (i == SACCT_SEL_MAX) {
			snprintf(err, errlen, "too many sacct arguments");
			return -EINVAL;
		}
		argv[4 + i] = (char *)sel[i];
	}
	argv[4 + i] = NULL;
	ret = sacct_spawn(&child, argv, err, errlen);
	if (ret && child.pid <= 0)
		return ret;
	if (!ret)
		ret = sacct_collect(&child, timeout_s, path, &out, &outlen, errtext, err, errlen);
	if (ret)
		kill(-child.pid, SIGKILL);
	while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR)
		;
	if (ret)
		goto out;
	if (WIFSIGNALED(status)) {
		ret = -EIO;
		snprintf(err, errlen, "%s was killed by signal %d", path, WTERMSIG(status));
		goto out;
	}
	sacct_first_line(line, sizeof(line), errtext);
	if (WEXITSTATUS(status) != 0) {
		ret = -EIO;
		snprintf(err, errlen, "%s exited with status %d%s%s", path, WEXITSTATUS(status),
			 line[0] ? ": " : "", line);
		goto out;
	}
	if (out) {
		ret = sacct_parse(out, rows, nrows, NULL);
		if (ret) {
			snprintf(err, errlen, "out of memory parsing sacct output");
			goto out;
		}
	}
	/* sacct can print an error and still exit 0; with no rows, that error is the answer. */
	if (!*nrows && line[0]) {
		ret = -EIO;
		snprintf(err, errlen, "%s", line);
	}
out:
	if (ret && *rows) {
		size_t i;

		for (i = 0; i < *nrows; i++)
			sacct_row_free(&(*rows)[i]);
		free(*rows);
		*rows = NULL;
		*nrows = 0;
	}
	free(out);
	return ret;
}
