// SPDX-License-Identifier: GPL-2.0-or-later
/* cgroup hierarchies as this host mounts them (v1 controllers, the unified v2
 * tree, or both), and where a Slurm job's cgroups live in each of them. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sexec/cgroup.h"

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void cgroup_unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

int cgroup_hierarchies(struct cg_hier *h, int max)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int n = 0;

	if (!f)
		return -errno;
	while (n < max && fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint options [optional...] - type source super */
		char *field[5], *sep = strstr(line, " - "), *fstype, *super, *save = NULL, *p = line;
		int i;

		if (!sep)
			continue;
		*sep = '\0';
		for (i = 0; i < 5; i++) {
			field[i] = strtok_r(p, " ", &save);
			p = NULL;
			if (!field[i])
				break;
		}
		if (i < 5)
			continue;
		save = NULL;
		fstype = strtok_r(sep + 3, " ", &save);
		strtok_r(NULL, " ", &save); /* source */
		super = strtok_r(NULL, " \n", &save);
		if (!fstype || !super || strcmp(field[3], "/") != 0)
			continue; /* bind mounts of a subtree tell nothing new */
		if (strcmp(fstype, "cgroup2") == 0)
			h[n].v2 = 1;
		else if (strcmp(fstype, "cgroup") == 0)
			h[n].v2 = 0;
		else
			continue;
		snprintf(h[n].opts, sizeof(h[n].opts), "%s", super);
		snprintf(h[n].mount, sizeof(h[n].mount), "%s", field[4]);
		cgroup_unescape(h[n].mount);
		n++;
	}
	fclose(f);
	return n;
}

/* Does a v1 mount's super options hold every controller of a /proc/PID/cgroup
 * line ("cpu,cpuacct", "name=systemd")? */
static int cgroup_opts_match(const char *opts, const char *ctrls)
{
	char buf[256], *save = NULL, *c;

	snprintf(buf, sizeof(buf), "%s", ctrls);
	for (c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		size_t l = strlen(c);
		const char *o = opts;
		int found = 0;

		while (*o) {
			if (strncmp(o, c, l) == 0 && (o[l] == ',' || o[l] == '\0')) {
				found = 1;
				break;
			}
			o = strchr(o, ',');
			if (!o)
				break;
			o++;
		}
		if (!found)
			return 0;
	}
	return 1;
}

int cgroup_job_path(pid_t pid, uint32_t job_id, char *out, size_t len)
{
	char path[64], line[4096], want[32];
	FILE *f;
	int found = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	snprintf(want, sizeof(want), "/job_%u", job_id);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), *q, *hit;

		q = p ? strchr(p + 1, ':') : NULL;
		if (!q)
			continue;
		q++;
		q[strcspn(q, "\n")] = '\0';
		hit = strstr(q, want);
		while (hit && hit[strlen(want)] != '/' && hit[strlen(want)] != '\0')
			hit = strstr(hit + 1, want);
		if (!hit)
			continue;
		hit[strlen(want)] = '\0';
		if ((size_t)snprintf(out, len, "%s", q) < len)
			found = 0;
	}
	fclose(f);
	return found;
}

int cgroup_job_dirs(pid_t pid, uint32_t job_id, struct cg_dir *dirs, int max)
{
	struct cg_hier h[CG_HIER_MAX];
	char rel[SEXEC_CG_PATH_MAX];
	int nh, i, n = 0, err;

	err = cgroup_job_path(pid, job_id, rel, sizeof(rel));
	if (err)
		return err;
	nh = cgroup_hierarchies(h, CG_HIER_MAX);
	if (nh < 0)
		return nh;
	for (i = 0; i < nh && n < max; i++) {
		struct stat st;

		if ((size_t)snprintf(dirs[n].path, sizeof(dirs[n].path), "%s%s", h[i].mount, rel) >=
		    sizeof(dirs[n].path))
			continue;
		if (stat(dirs[n].path, &st) || !S_ISDIR(st.st_mode))
			continue;
		/* A cgroup's id is its directory's inode number (kernfs, 64-bit). */
		dirs[n].id = (uint64_t)st.st_ino;
		n++;
	}
	return n;
}

int cgroup_move_to_root(pid_t pid)
{
	struct cg_hier h[CG_HIER_MAX];
	char path[64], line[4096], procs[SEXEC_CG_PATH_MAX + 16], num[16];
	FILE *f;
	int nh, bad = 0;

	nh = cgroup_hierarchies(h, CG_HIER_MAX);
	if (nh < 0)
		return nh;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	snprintf(num, sizeof(num), "%d", (int)pid);
	while (fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *cg;
		int i, fd;

		cg = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!cg)
			continue;
		*cg++ = '\0';
		ctrls++;
		cg[strcspn(cg, "\n")] = '\0';
		if (strcmp(cg, "/") == 0)
			continue;
		for (i = 0; i < nh; i++) {
			if (*ctrls ? (!h[i].v2 && cgroup_opts_match(h[i].opts, ctrls)) : h[i].v2)
				break;
		}
		if (i == nh)
			continue;
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", h[i].mount);
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, num, strlen(num)) < 0)
			bad++;
		if (fd >= 0)
			close(fd);
	}
	fclose(f);
	return bad;
}

int cgroup_step_dir(const struct cg_hier *h, int nh, pid_t pid, const char *ctrl, char *out,
		    size_t len)
{
	char path[64], line[4096];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (ret && fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *cg, *task;
		int i;

		cg = ctrls ? strchr(ctrls + 1, ':') : NULL;
		if (!cg)
			continue;
		*cg++ = '\0';
		ctrls++;
		cg[strcspn(cg, "\n")] = '\0';
		if (*ctrl ? !*ctrls || !cgroup_opts_match(ctrls, ctrl) : *ctrls != '\0')
			continue;
		if (strcmp(cg, "/") == 0)
			break; /* at the root: nothing of its own */
		/* Slurm's per-task level below the step's. */
		task = strrchr(cg, '/');
		if (task && strncmp(task, "/task_", 6) == 0 && task != cg)
			*task = '\0';
		for (i = 0; i < nh; i++)
			if (*ctrls ? (!h[i].v2 && cgroup_opts_match(h[i].opts, ctrls)) : h[i].v2)
				break;
		if (i == nh)
			break;
		if ((size_t)snprintf(out, len, "%s%s", h[i].mount, cg) < len)
			ret = 0;
	}
	fclose(f);
	return ret;
}

const char *cgroup_mount_of(const struct cg_hier *h, int nh, const char *ctrl)
{
	int i;

	for (i = 0; i < nh; i++)
		if (!h[i].v2 && cgroup_opts_match(h[i].opts, ctrl))
			return h[i].mount;
	return NULL;
}

int cgroup_v2_mount(char *out, size_t len, int *controllers)
{
	struct cg_hier h[CG_HIER_MAX];
	char path[SEXEC_CG_PATH_MAX + 32], buf[256];
	int nh, i, fd;
	ssize_t n;

	nh = cgroup_hierarchies(h, CG_HIER_MAX);
	if (nh < 0)
		return nh;
	for (i = 0; i < nh && !h[i].v2; i++)
		;
	if (i == nh)
		return -ENOENT;
	if ((size_t)snprintf(out, len, "%s", h[i].mount) >= len)
		return -ENAMETOOLONG;
	*controllers = 0;
	snprintf(path, sizeof(path), "%s/cgroup.controllers", h[i].mount);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			char *w, *save = NULL;

			buf[n] = '\0';
			/* Hybrid hosts may leave minor ones (hugetlb) to v2. */
			for (w = strtok_r(buf, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
				if (strcmp(w, "cpu") == 0 || strcmp(w, "memory") == 0)
					*controllers = 1;
		}
	}
	return 0;
}

int cgroup_place(pid_t pid, const char *dir)
{
	char path[SEXEC_CG_PATH_MAX + 16], num[16], *slash;
	int fd, err = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	for (slash = path + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(num, sizeof(num), "%d", (int)pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, num, strlen(num)) < 0)
		err = -errno;
	close(fd);
	return err;
}
