/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sexec.conf: one file for collector and CLI, "key = value" lines, '#' comments.
 * Unknown keys and bad values are errors that name the file and line. */
#ifndef SEXEC_CONF_H
#define SEXEC_CONF_H

#include <stddef.h>
#include <stdint.h>

#define SEXEC_CONF_DEFAULT SYSCONFDIR "/sexec/sexec.conf"
#define SEXEC_SOCKET_DEFAULT "/run/sexec/sexecd.sock"

struct sexec_conf {
	char cluster[256];     /* cluster = (default: Slurm's ClusterName, else "default") */
	char node[256];        /* node = (default: short hostname) */
	char socket_path[108]; /* socket = */
	char db[1024];         /* db = libpq conninfo the collector writes with */
	char db_read[1024];    /* db_read = conninfo for the sexec CLI (default: db without user) */
	char sacct[256];       /* sacct = path of sacct (default: "sacct" on PATH) */
	char squeue[256];      /* squeue = path of squeue, asked for job comments ("" = never) */
	uint32_t argv_max;     /* argv_max = bytes of argv kept per process (default 4096) */
	uint32_t ring_kb;      /* ring_buffer_kb = BPF ring buffer size (default 4096) */
	uint32_t max_tracked;  /* max_tracked = live tracked processes (default 65536) */
	uint32_t flush_ms;     /* flush_interval_ms = (default 1000) */
	uint32_t batch_rows;   /* batch_rows = rows per COPY batch (default 5000) */
	uint32_t queue_max;    /* queue_max = rows held in memory while the DB is away (default 1000000) */
	uint32_t journal_compact_kb; /* journal_segment_kb = journal segment size; a segment is
				      * deleted once committed (65536; old name journal_compact_kb) */
	char state_dir[108];   /* state_dir = registrations survive a restart here (default /run/sexec) */
	char bpf_dir[108];     /* bpf_dir = pinned maps and links (default /sys/fs/bpf/sexec) */
	char bpf_attach[16];   /* bpf_attach = auto|tp_btf|raw_tp (default auto: tp_btf, else raw_tp) */
	char tools_rules[256]; /* tools_rules = tool naming rules file (default: the built-in rules) */
	char spool_dir[108];   /* spool_dir = journal of records not yet in the DB (default /var/spool/sexec) */
	uint32_t spool_max_kb; /* spool_max_kb = past this much unwritten journal, process rows are
				* folded into per-tool totals (default 1048576 = 1 GiB) */
	uint32_t max_process_rows; /* max_process_rows = per step and node; the rest are folded
				    * into per-tool totals (default 100000) */
	uint32_t sample_s;     /* sample_interval_s = timeline samples per step (default 10, 0 = none
				* but the first and last) */
	char v2_observe[16];   /* cgroup_v2_observe = auto|yes|no: on hybrid hosts, place each step
				* in a cgroup of its own in the controller-less v2 hierarchy, for
				* per-step pressure (PSI) (default auto: only on hybrid hosts) */
};

/* Fill defaults, then read path (NULL = SEXEC_CONF_DEFAULT). A missing file is
 * fine unless must_exist. Returns 0 or -errno with a message in err. */
int conf_load(struct sexec_conf *c, const char *path, int must_exist, char *err, size_t errlen);
void conf_defaults(struct sexec_conf *c);
/* Apply one "key=value" (also used for command-line overrides). */
int conf_set(struct sexec_conf *c, const char *key, const char *value, char *err, size_t errlen);

#endif
