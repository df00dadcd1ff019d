// SPDX-License-Identifier: GPL-2.0-or-later
/* Node description from hwloc (sockets, cores, PUs, NUMA nodes, memory,
 * GPUs) plus the kernel release and the cgroup layout. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include <hwloc.h>
#include <linux/magic.h>

#include "sexec/log.h"
#include "topology.h"

const char *topology_cgroup_mode(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return "v2";
	if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return "hybrid";
	return "v1";
}

int topology_describe(struct node_rec *n, const char *cluster, const char *node)
{
	static struct utsname u;
	hwloc_topology_t topo;
	hwloc_obj_t obj = NULL;
	uint64_t mem = 0;
	int gpus = 0;

	memset(n, 0, sizeof(*n));
	n->cluster = cluster;
	n->node = node;
	n->cgroup_mode = topology_cgroup_mode();
	n->version = PACKAGE_VERSION;
	if (uname(&u) == 0)
		n->kernel = u.release;
	if (hwloc_topology_init(&topo))
		return -ENOMEM;
	hwloc_topology_set_io_types_filter(topo, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		log_warn("topology: hwloc could not read this node's topology");
		return -EIO;
	}
	n->sockets = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
	n->cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
	n->pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	n->numa_nodes = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
	while ((obj = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, obj)))
		mem += obj->attr->numanode.local_memory;
	obj = NULL;
	while ((obj = hwloc_get_next_osdev(topo, obj)))
		if (obj->attr->osdev.type == HWLOC_OBJ_OSDEV_GPU ||
		    obj->attr->osdev.type == HWLOC_OBJ_OSDEV_COPROC)
			gpus++;
	n->gpus = gpus;
	n->mem_mb = mem / (1024 * 1024);
	hwloc_topology_destroy(topo);
	return 0;
}

int topology_cpus(struct topo_cpu *cpus, int ncpus)
{
	hwloc_topology_t topo;
	hwloc_obj_t pu = NULL;
	int i;

	for (i = 0; i < ncpus; i++)
		cpus[i].core = cpus[i].socket = cpus[i].numa = -1;
	if (hwloc_topology_init(&topo))
		return -ENOMEM;
	if (hwloc_topology_load(topo)) {
		hwloc_topology_destroy(topo);
		return -EIO;
	}
	while ((pu = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_PU, pu))) {
		hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu);
		hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, pu);
		int c = (int)pu->os_index;

		if (c < 0 || c >= ncpus)
			continue;
		/* Core numbers as hwloc's logical index: unique across sockets. */
		cpus[c].core = core ? (int)core->logical_index : -1;
		cpus[c].socket = pkg ? (int)pkg->os_index : -1;
		/* NUMA nodes are memory children in hwloc 2: take the PU's nodeset. */
		cpus[c].numa = pu->nodeset ? hwloc_bitmap_first(pu->nodeset) : -1;
	}
	hwloc_topology_destroy(topo);
	return 0;
}

int topology_cpulist(const char *list, cpu_set_t *set, int max)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	int cpu;

	if (!b)
		return -ENOMEM;
	if (hwloc_bitmap_list_sscanf(b, list)) {
		hwloc_bitmap_free(b);
		return -EINVAL;
	}
	hwloc_bitmap_foreach_begin(cpu, b)
		if (cpu >= max || cpu >= CPU_SETSIZE)
			break;
		CPU_SET(cpu, set);
	hwloc_bitmap_foreach_end();
	hwloc_bitmap_free(b);
	return 0;
}
