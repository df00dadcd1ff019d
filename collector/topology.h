/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What this node is: hwloc topology, kernel release and cgroup mode, stored
 * once per collector start so reports can relate usage to the hardware. */
#ifndef SEXEC_TOPOLOGY_H
#define SEXEC_TOPOLOGY_H

#include <sched.h>

#include "store.h"

/* Fill n (strings point into static storage) for cluster/node. */
int topology_describe(struct node_rec *n, const char *cluster, const char *node);
/* "v1", "v2" or "hybrid" from what is mounted at /sys/fs/cgroup. */
const char *topology_cgroup_mode(void);

/* Where each CPU (OS index) sits: its core (hwloc logical index, unique on
 * the node), socket and NUMA node; -1 when unknown. */
struct topo_cpu {
	int core, socket, numa;
};
int topology_cpus(struct topo_cpu *cpus, int ncpus);
/* Add the CPUs of a kernel CPU list ("0-3,8\n", as cpuset files hold) below
 * max to set. 0, or -EINVAL when malformed. */
int topology_cpulist(const char *list, cpu_set_t *set, int max);

#endif
