/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cgroup hierarchies of this host and a Slurm job's place in them. */
#ifndef SEXEC_CGROUP_H
#define SEXEC_CGROUP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SEXEC_CG_PATH_MAX 512
#define CG_HIER_MAX 32

struct cg_hier {
	int v2;          /* the unified hierarchy */
	char opts[256];  /* super options: the v1 controllers, e.g. "rw,cpu,cpuacct" */
	char mount[256]; /* where it is mounted */
};

struct cg_dir {
	char path[SEXEC_CG_PATH_MAX];
	uint64_t id; /* the cgroup id BPF sees (kernfs node id = inode number) */
};

/* Mounted cgroup hierarchies (whole trees only). Returns how many, or -errno. */
int cgroup_hierarchies(struct cg_hier *h, int max);
/* The path, inside its hierarchy, of the "job_<id>" cgroup pid belongs to in
 * any hierarchy ("/slurm/uid_1000/job_42"). 0, or -ENOENT. */
int cgroup_job_path(pid_t pid, uint32_t job_id, char *out, size_t len);
/* That job cgroup in every hierarchy where it exists. Returns how many. */
int cgroup_job_dirs(pid_t pid, uint32_t job_id, struct cg_dir *dirs, int max);
/* Move pid to the root cgroup of every hierarchy it is not at the root of.
 * Returns the number of hierarchies where that failed, or -errno. */
int cgroup_move_to_root(pid_t pid);
/* The cgroup directory of pid for a v1 controller ("memory", "cpuacct",
 * "blkio", "cpuset"), or of the v2 hierarchy for "", with Slurm's trailing
 * "/task_N" level left out: its step's. h: the nh hierarchies from
 * cgroup_hierarchies(). 0, or -ENOENT when pid sits at that hierarchy's root
 * (no cgroup of its own) or it is not mounted. */
int cgroup_step_dir(const struct cg_hier *h, int nh, pid_t pid, const char *ctrl, char *out,
		    size_t len);
/* The mount of the v1 hierarchy with controller ctrl among h; NULL when none. */
const char *cgroup_mount_of(const struct cg_hier *h, int nh, const char *ctrl);
/* Where the v2 hierarchy is mounted, and whether it has the cpu or memory
 * controller (on a hybrid host it has neither: the v1 hierarchies do, and v2
 * gives pressure files). 0, or -ENOENT. */
int cgroup_v2_mount(char *out, size_t len, int *controllers);
/* Create dir (with its parents) and move pid into it. 0 or -errno. */
int cgroup_place(pid_t pid, const char *dir);

#endif
