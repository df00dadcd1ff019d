// SPDX-License-Identifier: GPL-2.0-or-later
/* PostgreSQL store: a FIFO of statements and process rows, written by one
 * thread in transactions (COPY into a staging table, then an idempotent insert). */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "sexec/log.h"
#include "store.h"

#define STORE_MAX_PARAMS 12
#define STORE_SCHEMA_VERSION 7 /* sql/migrations/007_report.sql */

enum store_kind {
	OP_ROW = 0,  /* a process row, in COPY text form */
	OP_JOB,
	OP_STEP_BEGIN,
	OP_TASK_BEGIN,
	OP_TASK_END,
	OP_STEP_END,
	OP_NODE,
	OP_JOB_META,
	OP_STEP_TOOLS,
	OP_STEP_TOOL_DROP,
	OP_STEP_TOTALS,
	OP_STEP_COST,
	OP_STEP_TIMES,
	OP_STEP_CPU,
	OP_SAMPLE,
	OP_NODE_START, /* this collector's start: the node's liveness window opens */
	OP_NODE_STOP,  /* its clean stop */
	OP_MAX
};

/* How often a connected collector says it is alive (sexec.node.last_seen), so
 * `sexec` can tell a job that opted out from one that ran while it was down. */
#define STORE_HEARTBEAT_S 60

/* The run of a step that an end at $6 (Unix µs) belongs to, and where the
 * next run starts: processes ending in between are that run's. */
#define STORE_RUN_CTE								\
	"WITH run AS (SELECT s.restart, s.start_time, s.user_name, coalesce((SELECT"	\
	" min(n.start_time) FROM sexec.step n WHERE n.cluster = $1 AND n.job_id = $2"	\
	" AND n.step = $3 AND n.node = $4 AND n.start_time > s.start_time), 'infinity')"	\
	" AS next_start FROM sexec.step s WHERE s.cluster = $1 AND s.job_id = $2"	\
	" AND s.step = $3 AND s.node = $4 AND s.start_time <= 'epoch'::timestamptz"	\
	" + $6::bigint * interval '1 microsecond' AND s.restart >= $5::int"		\
	" ORDER BY s.start_time DESC LIMIT 1)"
#define STORE_RUN_PROCS								\
	" JOIN sexec.process p ON p.cluster = $1 AND p.job_id = $2 AND p.step = $3"	\
	" AND p.node = $4 AND p.end_time >= run.start_time AND p.end_time < run.next_start"
#define STORE_TOOL_SUMS								\
	" count(p.pid) AS n, coalesce(sum(p.cpu_user_us), 0) AS cu,"			\
	" coalesce(sum(p.cpu_sys_us), 0) AS cs,"					\
	" coalesce(sum(extract(epoch FROM p.end_time - p.start_time) * 1e6), 0) AS wall,"	\
	" coalesce(max(p.rss_peak_kb), 0) AS rss,"					\
	" coalesce(sum(p.rss_peak_kb::numeric * extract(epoch FROM p.end_time - p.start_time)"	\
	" * 1e6), 0) AS kbus, coalesce(sum(p.read_bytes), 0) AS rb,"			\
	" coalesce(sum(p.write_bytes), 0) AS wb, sum(p.on_cpu_us) AS oc,"		\
	" sum(p.runq_us) AS rq, sum(p.io_us) AS io, sum(p.mem_us) AS mem,"		\
	" sum(p.sleep_us) AS sl, sum(p.net_tx_bytes) AS tx, sum(p.net_rx_bytes) AS rx,"	\
	" count(*) FILTER (WHERE p.oom_killed) AS oom,"					\
	" count(*) FILTER (WHERE p.end_time - p.start_time < interval '1 second') AS sn,"	\
	" coalesce(sum(p.cpu_user_us + p.cpu_sys_us) FILTER (WHERE p.end_time - p.start_time"	\
	" < interval '1 second'), 0) AS scpu"
#define STORE_TOOL_UPDATE							\
	" ON CONFLICT (cluster, job_id, step, node, restart, tool) DO UPDATE SET"	\
	" processes = EXCLUDED.processes, rows_dropped = EXCLUDED.rows_dropped,"	\
	" cpu_user_us = EXCLUDED.cpu_user_us, cpu_sys_us = EXCLUDED.cpu_sys_us,"	\
	" wall_us = EXCLUDED.wall_us, rss_peak_kb = EXCLUDED.rss_peak_kb,"		\
	" rss_kb_us = EXCLUDED.rss_kb_us, read_bytes = EXCLUDED.read_bytes,"		\
	" write_bytes = EXCLUDED.write_bytes, on_cpu_us = EXCLUDED.on_cpu_us,"	\
	" runq_us = EXCLUDED.runq_us, io_us = EXCLUDED.io_us, mem_us = EXCLUDED.mem_us,"	\
	" sleep_us = EXCLUDED.sleep_us, net_tx_bytes = EXCLUDED.net_tx_bytes,"	\
	" net_rx_bytes = EXCLUDED.net_rx_bytes, oom_kills = EXCLUDED.oom_kills,"	\
	" short_processes = EXCLUDED.short_processes, short_cpu_us = EXCLUDED.short_cpu_us"
#define STORE_TOOL_COLS								\
	" INSERT INTO sexec.step_tool (cluster, job_id, step, node, restart, tool,"	\
	" user_name, processes, rows_dropped, cpu_user_us, cpu_sys_us, wall_us,"	\
	" rss_peak_kb, rss_kb_us, read_bytes, write_bytes, on_cpu_us, runq_us, io_us,"	\
	" mem_us, sleep_us, net_tx_bytes, net_rx_bytes, oom_kills, short_processes,"	\
	" short_cpu_us)"
/* The folded values ($8) of a tool, by position: old journals carry 8. */
#define STORE_DROP_ADD(a, i) " coalesce(a." a ", 0) + coalesce(d.v[" #i "], 0)"

static const struct {
	const char *sql;
	int nparams;
} store_sql[] = {
	/* The first step seen may be the extern one, which knows little: later
	 * steps fill in what is still missing. */
	[OP_JOB] = { "INSERT INTO sexec.job (cluster, job_id, array_job_id, array_task_id, uid,"
		     " user_name, job_name, partition, account, restarts)"
		     " VALUES ($1, $2, $3, $4, $5, $6, NULLIF($7, ''), NULLIF($8, ''),"
		     " NULLIF($9, ''), $10)"
		     " ON CONFLICT (cluster, job_id) DO UPDATE SET"
		     " restarts = GREATEST(sexec.job.restarts, EXCLUDED.restarts),"
		     " job_name = COALESCE(sexec.job.job_name, EXCLUDED.job_name),"
		     " partition = COALESCE(sexec.job.partition, EXCLUDED.partition),"
		     " account = COALESCE(sexec.job.account, EXCLUDED.account),"
		     " array_job_id = COALESCE(sexec.job.array_job_id, EXCLUDED.array_job_id),"
		     " array_task_id = COALESCE(sexec.job.array_task_id, EXCLUDED.array_task_id)",
		     10 },
	/* Labels travel as "k=v,k=v" (keys hold no '=', values no ','). */
	[OP_JOB_META] = { "UPDATE sexec.job SET pipeline = NULLIF($3, ''), run = NULLIF($4, ''),"
			  " workflow = NULLIF($5, ''), workflow_task = NULLIF($6, ''),"
			  " labels = (SELECT coalesce(jsonb_object_agg(split_part(kv, '=', 1),"
			  " substr(kv, strpos(kv, '=') + 1)), '{}')"
			  " FROM unnest(string_to_array(NULLIF($7, ''), ',')) AS kv),"
			  " work_dir = COALESCE(NULLIF($8, ''), work_dir),"
			  " comment = COALESCE(NULLIF($9, ''), comment),"
			  " tres_alloc = COALESCE(NULLIF($10, ''), tres_alloc),"
			  " billing = COALESCE(substring($10 from '(?:^|,)billing=([0-9.]+)')::numeric,"
			  " billing), gpus = COALESCE(substring($10 from"
			  " '(?:^|,)gres/gpu=([0-9]+)')::int, CASE WHEN NULLIF($10, '') IS NOT NULL"
			  " THEN 0 END, gpus)"
			  " WHERE cluster = $1 AND job_id = $2", 10 },
	/* A requeued job runs its steps again; Slurm 22.05 does not tell
	 * slurmstepd the restart count before the job ends, so a step's run is
	 * also counted here: the rows of the same step that began earlier. A
	 * replayed begin (same start time) changes nothing. */
	[OP_STEP_BEGIN] = { "WITH st AS (SELECT 'epoch'::timestamptz + $12::bigint *"
			    " interval '1 microsecond' AS t), ins AS ("
			    " INSERT INTO sexec.step (cluster, job_id, step, node, restart, user_name,"
			    " alloc_cpus, alloc_mem_mb, alloc_cores, ntasks, nnodes, start_time)"
			    " SELECT $1, $2, $3, $4, GREATEST($5::int, (SELECT count(*) FROM sexec.step s"
			    " WHERE s.cluster = $1 AND s.job_id = $2 AND s.step = $3 AND s.node = $4"
			    " AND s.start_time < st.t)::int), $6, $7, $8, $9, $10, $11, st.t FROM st"
			    " WHERE NOT EXISTS (SELECT 1 FROM sexec.step s WHERE s.cluster = $1"
			    " AND s.job_id = $2 AND s.step = $3 AND s.node = $4 AND s.start_time = st.t)"
			    " ON CONFLICT DO NOTHING RETURNING restart)"
			    " UPDATE sexec.job j SET restarts = GREATEST(j.restarts, ins.restart) FROM ins"
			    " WHERE j.cluster = $1 AND j.job_id = $2", 12 },
	/* Tasks, task ends and step ends belong to the step's latest run. */
	[OP_TASK_BEGIN] = { "INSERT INTO sexec.task (cluster, job_id, step, node, restart, task_id,"
			    " gtask_id, pid, user_name, start_time)"
			    " VALUES ($1, $2, $3, $4, COALESCE((SELECT max(restart) FROM sexec.step s"
			    " WHERE s.cluster = $1 AND s.job_id = $2 AND s.step = $3 AND s.node = $4"
			    " AND s.start_time <= 'epoch'::timestamptz + $10::bigint *"
			    " interval '1 microsecond'), $5::int), $6, $7, $8, $9,"
			    " 'epoch'::timestamptz + $10::bigint * interval '1 microsecond')"
			    " ON CONFLICT (cluster, job_id, step, node, restart, task_id) DO UPDATE SET"
			    " pid = EXCLUDED.pid, start_time = EXCLUDED.start_time", 10 },
	[OP_TASK_END] = { "UPDATE sexec.task t SET"
			  " end_time = 'epoch'::timestamptz + $7::bigint * interval '1 microsecond',"
			  " exit_status = $8"
			  " WHERE cluster = $1 AND job_id = $2 AND step = $3 AND node = $4"
			  " AND task_id = $6 AND restart = GREATEST($5::int, (SELECT max(restart)"
			  " FROM sexec.task u WHERE u.cluster = $1 AND u.job_id = $2 AND u.step = $3"
			  " AND u.node = $4 AND u.task_id = $6 AND u.start_time <= 'epoch'::timestamptz"
			  " + $7::bigint * interval '1 microsecond'))", 8 },
	/* Monotone: a later or replayed end never makes an incomplete step
	 * complete or forgets its losses. */
	[OP_STEP_END] = { "UPDATE sexec.step SET"
			  " end_time = 'epoch'::timestamptz + $6::bigint * interval '1 microsecond',"
			  " lost_events = GREATEST(lost_events, $7),"
			  " lost_tracking = GREATEST(lost_tracking, $8),"
			  " complete = CASE WHEN end_time IS NULL THEN $9 ELSE complete AND $9 END"
			  " WHERE cluster = $1 AND job_id = $2 AND step = $3 AND node = $4"
			  " AND restart = GREATEST($5::int, (SELECT max(restart) FROM sexec.step u"
			  " WHERE u.cluster = $1 AND u.job_id = $2 AND u.step = $3 AND u.node = $4"
			  " AND u.start_time <= 'epoch'::timestamptz + $6::bigint * interval"
			  " '1 microsecond'))", 9 },
	/* Per-tool totals of a step run, from its process rows: written at
	 * step end, recomputed (not added to) when written again. */
	[OP_STEP_TOOLS] = { STORE_RUN_CTE STORE_TOOL_COLS
			    " SELECT $1, $2, $3, $4, restart, tool, user_name, n, 0, cu, cs, wall, rss,"
			    " kbus, rb, wb, oc, rq, io, mem, sl, tx, rx, oom, sn, scpu FROM (SELECT run.restart,"
			    " run.user_name, coalesce(p.tool, '') AS tool," STORE_TOOL_SUMS " FROM run"
			    STORE_RUN_PROCS " GROUP BY 1, 2, 3) t" STORE_TOOL_UPDATE, 6 },
	/* A tool some of whose processes have no row (per-step cap, spool
	 * full): its rows plus what was folded in memory. $8 holds processes,
	 * cpu_user_us, cpu_sys_us, wall_us, rss_peak_kb, rss_kb_us, read_bytes,
	 * write_bytes, on_cpu_us, runq_us, io_us, mem_us, sleep_us, net_tx,
	 * net_rx, OOM kills, and the processes shorter than a second and their CPU
	 * µs of the folded ones. */
	[OP_STEP_TOOL_DROP] = { STORE_RUN_CTE ", d AS (SELECT string_to_array($8, ',')::numeric[] AS v)"
				STORE_TOOL_COLS
				" SELECT $1, $2, $3, $4, a.restart, $7, a.user_name, a.n + d.v[1], d.v[1],"
				" a.cu + d.v[2], a.cs + d.v[3], a.wall + d.v[4], GREATEST(a.rss, d.v[5]),"
				" a.kbus + d.v[6], a.rb + d.v[7], a.wb + d.v[8],"
				STORE_DROP_ADD("oc", 9) "," STORE_DROP_ADD("rq", 10) ","
				STORE_DROP_ADD("io", 11) "," STORE_DROP_ADD("mem", 12) ","
				STORE_DROP_ADD("sl", 13) "," STORE_DROP_ADD("tx", 14) ","
				STORE_DROP_ADD("rx", 15) "," STORE_DROP_ADD("oom", 16) ","
				STORE_DROP_ADD("sn", 17) "," STORE_DROP_ADD("scpu", 18)
				" FROM d, (SELECT run.restart,"
				" run.user_name," STORE_TOOL_SUMS " FROM run LEFT JOIN sexec.process p"
				" ON p.cluster = $1 AND p.job_id = $2 AND p.step = $3 AND p.node = $4"
				" AND p.end_time >= run.start_time AND p.end_time < run.next_start"
				" AND coalesce(p.tool, '') = $7 GROUP BY 1, 2) a" STORE_TOOL_UPDATE, 8 },
	[OP_STEP_TOTALS] = { STORE_RUN_CTE " UPDATE sexec.step s SET processes = $7,"
			     " rows_dropped = $8 FROM run WHERE s.cluster = $1 AND s.job_id = $2"
			     " AND s.step = $3 AND s.node = $4 AND s.restart = run.restart", 8 },
	/* $7: on_cpu, runq, io, mem, sleep (µs), cgroup version, cgroup CPU µs,
	 * memory peak and limit, OOM events, read and write bytes, then PSI
	 * cpu/io/memory some and full µs, then processes the OOM killer chose;
	 * empty = not measured. */
	[OP_STEP_TIMES] = { STORE_RUN_CTE ", v AS (SELECT string_to_array($7, ',', '')::bigint[] AS a)"
			    " UPDATE sexec.step s SET on_cpu_us = v.a[1], runq_us = v.a[2],"
			    " io_us = v.a[3], mem_us = v.a[4], sleep_us = v.a[5],"
			    " cgroup_version = v.a[6], cg_cpu_us = v.a[7], cg_mem_peak_bytes = v.a[8],"
			    " cg_mem_limit_bytes = v.a[9], cg_oom_events = v.a[10],"
			    " cg_io_read_bytes = v.a[11], cg_io_write_bytes = v.a[12],"
			    " psi_cpu_some_us = v.a[13], psi_cpu_full_us = v.a[14],"
			    " psi_io_some_us = v.a[15], psi_io_full_us = v.a[16],"
			    " psi_mem_some_us = v.a[17], psi_mem_full_us = v.a[18],"
			    " oom_kills = COALESCE(GREATEST(v.a[10], v.a[19])::int, oom_kills)"
			    " FROM run, v WHERE s.cluster = $1 AND s.job_id = $2"
			    " AND s.step = $3 AND s.node = $4 AND s.restart = run.restart", 7 },
	/* Busy µs per CPU: $7 CPUs, $8 cores, $9 sockets, $10 NUMA nodes,
	 * $11 allocated (1/0), $12 busy µs (empty: unknown), as parallel lists. */
	[OP_STEP_CPU] = { STORE_RUN_CTE " INSERT INTO sexec.step_cpu (cluster, job_id, step, node,"
			  " restart, cpu, core, socket, numa_node, allocated, busy_us, user_name)"
			  " SELECT $1, $2, $3, $4, run.restart, c.cpu, c.core, c.socket, c.numa,"
			  " c.alloc = 1, c.busy, run.user_name FROM run,"
			  " unnest(string_to_array($7, ',')::int[], string_to_array($8, ',', '')::int[],"
			  " string_to_array($9, ',', '')::int[], string_to_array($10, ',', '')::int[],"
			  " string_to_array($11, ',')::int[], string_to_array($12, ',', '')::bigint[])"
			  " AS c(cpu, core, socket, numa, alloc, busy)"
			  " ON CONFLICT (cluster, job_id, step, node, restart, cpu) DO UPDATE SET"
			  " busy_us = EXCLUDED.busy_us, allocated = EXCLUDED.allocated", 12 },
	/* A timeline sample at $6 (µs); $7 as in sexec.sample, from on_cpu_us. */
	[OP_SAMPLE] = { STORE_RUN_CTE ", v AS (SELECT string_to_array($7, ',', '')::bigint[] AS a)"
			" INSERT INTO sexec.sample (cluster, job_id, step, node, restart, t,"
			" on_cpu_us, runq_us, io_us, mem_us, sleep_us, cg_cpu_us, rss_bytes,"
			" io_read_bytes, io_write_bytes, psi_cpu_some_us, psi_io_some_us,"
			" psi_mem_some_us, user_name) SELECT $1, $2, $3, $4, run.restart,"
			" 'epoch'::timestamptz + $6::bigint * interval '1 microsecond', v.a[1],"
			" v.a[2], v.a[3], v.a[4], v.a[5], v.a[6], v.a[7], v.a[8], v.a[9], v.a[10],"
			" v.a[11], v.a[12], run.user_name FROM run, v ON CONFLICT DO NOTHING", 7 },
	[OP_STEP_COST] = { STORE_RUN_CTE " SELECT sexec.compute_step_cost($1, $2, $3, $4, run.restart)"
			   " FROM run", 6 },
	[OP_NODE] = { "INSERT INTO sexec.node (cluster, node, kernel, cgroup_mode, sockets, cores,"
		      " pus, numa_nodes, mem_mb, gpus, collector_version)"
		      " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
		      " ON CONFLICT (cluster, node) DO UPDATE SET kernel = EXCLUDED.kernel,"
		      " cgroup_mode = EXCLUDED.cgroup_mode, sockets = EXCLUDED.sockets,"
		      " cores = EXCLUDED.cores, pus = EXCLUDED.pus,"
		      " numa_nodes = EXCLUDED.numa_nodes, mem_mb = EXCLUDED.mem_mb,"
		      " gpus = EXCLUDED.gpus, collector_version = EXCLUDED.collector_version,"
		      " updated_at = now()", 11 },
	/* $3: the start, Unix µs (replayed from the journal, it keeps its time). */
	[OP_NODE_START] = { "UPDATE sexec.node SET started_at = 'epoch'::timestamptz + $3::bigint"
			    " * interval '1 microsecond', last_seen = 'epoch'::timestamptz + $3::bigint"
			    " * interval '1 microsecond', stopped_at = NULL"
			    " WHERE cluster = $1 AND node = $2", 3 },
	/* $3: the stop, $4: the start of the collector that stops; a newer one
	 * that started meanwhile keeps its row. */
	[OP_NODE_STOP] = { "UPDATE sexec.node SET stopped_at = 'epoch'::timestamptz + $3::bigint"
			   " * interval '1 microsecond', last_seen = 'epoch'::timestamptz + $3::bigint"
			   " * interval '1 microsecond' WHERE cluster = $1 AND node = $2"
			   " AND started_at = 'epoch'::timestamptz + $4::bigint * interval"
			   " '1 microsecond'", 4 },
};

/* Staged rows into the table, idempotently; the stage is emptied for the
 * rows that follow in the same transaction. */
static const char store_stage_sql[] = "INSERT INTO sexec.process SELECT * FROM stage_process"
				      " ON CONFLICT DO NOTHING; TRUNCATE stage_process";

static const char store_copy_sql[] =
	"COPY stage_process (cluster, job_id, step, node, pid, start_time, task_id, ppid, end_time,"
	" user_name, exe, argv, argv_truncated, tool, cpu_user_us, cpu_sys_us, exit_code, signal,"
	" core_dumped, threads, rss_peak_kb, read_bytes, write_bytes, rchar, wchar, syscr, syscw,"
	" vol_ctxsw, invol_ctxsw, minflt, majflt, uid, cwd, cpu_total_us, on_cpu_us, runq_us,"
	" io_us, mem_us, sleep_us, net_tx_bytes, net_rx_bytes, oom_killed) FROM STDIN";
/* Columns of a COPY line before schema 6: older journals are padded. */
#define STORE_COPY_COLS_V5 34
#define STORE_COPY_PAD_V6 "\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tf"

struct store_op {
	struct store_op *next;
	enum store_kind kind;
	uint64_t jend; /* journal offset just past this op */
	char *params[STORE_MAX_PARAMS]; /* OP_ROW: params[0] is the COPY line */
};

struct store {
	char conninfo[1024];
	uint32_t flush_ms, batch_rows, queue_max;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stopping, started;
	int urgent; /* a statement is queued: write without waiting */
	struct store_op *head, **tail;
	uint64_t nqueued;
	struct store_stats st;
	/* this collector's node row, for the heartbeat (store thread only after start) */
	char hb_cluster[128], hb_node[256];
	uint64_t hb_started_us;
	time_t hb_last;

	PGconn *conn; /* owned by the writer thread */
	char sqlstate[6]; /* of the last failed statement of a batch */

	/* Journal: every op is appended before it is queued, so a record taken
	 * from the ring buffer survives a crash of the collector; the committed
	 * offset says how much of it the database already has. */
	int jfd, ofd;
	char jdir[120];
	char jpath[160]; /* the segment being appended to */
	uint64_t jsize, committed, synced; /* logical offsets over all segments */
	uint64_t seg_bytes;  /* start a new segment past this size */
	uint64_t *segs;      /* logical base of each segment file, ascending */
	size_t nsegs;
	int oldfds[8];       /* finished segments the writer has yet to sync and close */
	size_t nold;
	uint64_t spool_max_bytes;
};

/* The journal is a series of segment files named by the logical offset
 * they start at; offsets (an op's jend, the committed offset) run over all
 * of them. Appends go to the last segment; a new one starts once it holds
 * seg_bytes, and a segment is deleted once the database has all of it: no
 * record is ever copied. */
#define STORE_SEG_FMT "%s/journal-%020" PRIu64

static void store_segment_path(struct store *s, uint64_t base, char *buf, size_t len)
{
	snprintf(buf, len, STORE_SEG_FMT, s->jdir, base);
}

/* Make the segment starting at base the one appended to (created if need
 * be); the previous one is synced first. 0 or -errno. */
static int store_segment_open(struct store *s, uint64_t base)
{
	char path[sizeof(s->jpath)];
	uint64_t *segs;
	int fd;

	store_segment_path(s, base, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (!s->nsegs || s->segs[s->nsegs - 1] != base) {
		segs = realloc(s->segs, (s->nsegs + 1) * sizeof(*segs));
		if (!segs) {
			close(fd);
			return -ENOMEM;
		}
		s->segs = segs;
		s->segs[s->nsegs++] = base;
	}
	if (s->jfd >= 0) {
		/* The writer syncs and closes it, outside the lock. */
		if (s->nold < sizeof(s->oldfds) / sizeof(s->oldfds[0]))
			s->oldfds[s->nold++] = s->jfd;
		else {
			if (fdatasync(s->jfd))
				log_warn("store: cannot sync a journal segment: %s", strerror(errno));
			close(s->jfd);
		}
	}
	s->jfd = fd;
	snprintf(s->jpath, sizeof(s->jpath), "%s", path);
	return 0;
}

/* Delete the segments the database has all of (never the last one). */
static void store_segments_trim(struct store *s)
{
	char path[sizeof(s->jpath)];
	size_t n = 0, i;

	while (n + 1 < s->nsegs && s->segs[n + 1] <= s->committed) {
		store_segment_path(s, s->segs[n], path, sizeof(path));
		if (unlink(path) && errno != ENOENT)
			log_warn("store: cannot remove %s: %s", path, strerror(errno));
		n++;
	}
	if (!n)
		return;
	for (i = n; i < s->nsegs; i++)
		s->segs[i - n] = s->segs[i];
	s->nsegs -= n;
	log_info("store: %zu journal segment%s committed and removed", n, n == 1 ? "" : "s");
}

/* Serialized op: u32 length, u8 kind, then per param an i32 length (-1 =
 * NULL) and its bytes. */
static int store_journal_append(struct store *s, struct store_op *op)
{
	char *buf;
	size_t len = 5, off;
	uint32_t n;
	int i;

	for (i = 0; i < STORE_MAX_PARAMS; i++)
		len += 4 + (op->params[i] ? strlen(op->params[i]) : 0);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	n = (uint32_t)len;
	memcpy(buf, &n, 4);
	buf[4] = (char)op->kind;
	off = 5;
	for (i = 0; i < STORE_MAX_PARAMS; i++) {
		int32_t pl = op->params[i] ? (int32_t)strlen(op->params[i]) : -1;

		memcpy(buf + off, &pl, 4);
		off += 4;
		if (pl > 0) {
			memcpy(buf + off, op->params[i], (size_t)pl);
			off += (size_t)pl;
		}
	}
	if (s->jsize - s->segs[s->nsegs - 1] >= s->seg_bytes && store_segment_open(s, s->jsize))
		log_warn("store: cannot start a new journal segment; %s grows on", s->jpath);
	if (write(s->jfd, buf, len) != (ssize_t)len) {
		/* Leave no partial record for a replay to stumble on. */
		if (ftruncate(s->jfd, (off_t)(s->jsize - s->segs[s->nsegs - 1])))
			log_err("store: cannot undo a partial journal record");
		free(buf);
		op->jend = s->jsize; /* not in the journal: commits no further than that */
		return -EIO;
	}
	free(buf);
	s->jsize += len;
	op->jend = s->jsize;
	return 0;
}

static void store_write_offset(struct store *s, uint64_t off)
{
	if (s->ofd >= 0 && pwrite(s->ofd, &off, sizeof(off), 0) != sizeof(off))
		log_warn("store: cannot record the journal offset: %s", strerror(errno));
}

static void store_free_op(struct store_op *op)
{
	int i;

	for (i = 0; i < STORE_MAX_PARAMS; i++)
		free(op->params[i]);
	free(op);
}

static void store_enqueue(struct store *s, struct store_op *op)
{
	pthread_mutex_lock(&s->lock);
	if (s->nqueued >= s->queue_max) {
		s->st.dropped++;
		pthread_mutex_unlock(&s->lock);
		log_err("store: queue full (%u), dropped a record; see queue_max", s->queue_max);
		store_free_op(op);
		return;
	}
	if (s->jfd >= 0 && store_journal_append(s, op)) {
		s->st.journal_errors++;
		log_err("store: cannot append to the journal %s: %s", s->jpath, strerror(errno));
	}
	*s->tail = op;
	s->tail = &op->next;
	s->nqueued++;
	if (op->kind != OP_ROW)
		s->urgent = 1;
	if (op->kind != OP_ROW || s->nqueued >= s->batch_rows)
		pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static char *store_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *store_fmt(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

static struct store_op *store_new_op(enum store_kind kind)
{
	struct store_op *op = calloc(1, sizeof(*op));

	if (op)
		op->kind = kind;
	return op;
}

/* Keep text valid UTF-8 for PostgreSQL: invalid bytes become '?'. */
/* Keep text valid UTF-8 for PostgreSQL: invalid bytes become '?'. Overlong
 * forms, surrogates and code points past U+10FFFF are invalid too. */
static void store_utf8_fix(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		unsigned char lo = 0x80, hi = 0xbf;
		int n = 0, i;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xc2 && *p <= 0xdf) {
			n = 1;
		} else if (*p >= 0xe0 && *p <= 0xef) {
			n = 2;
			if (*p == 0xe0)
				lo = 0xa0;
			else if (*p == 0xed)
				hi = 0x9f;
		} else if (*p >= 0xf0 && *p <= 0xf4) {
			n = 3;
			if (*p == 0xf0)
				lo = 0x90;
			else if (*p == 0xf4)
				hi = 0x8f;
		}
		for (i = 1; n && i <= n; i++) {
			unsigned char first_lo = i == 1 ? lo : 0x80, first_hi = i == 1 ? hi : 0xbf;

			if (p[i] < first_lo || p[i] > first_hi)
				n = 0;
		}
		if (!n) {
			*p++ = '?';
			continue;
		}
		p += n + 1;
	}
}

static char *store_str(const char *s)
{
	char *d = strdup(s ? s : "");

	if (d)
		store_utf8_fix(d);
	return d;
}

/* list followed by ",v1,v2..." (list is freed; NULL stays NULL). */
static char *store_append_list(char *list, const uint64_t *v, size_t n)
{
	char *out;
	size_t len, i;
	int k;

	if (!list)
		return NULL;
	len = strlen(list) + n * 21 + 1;
	out = realloc(list, len);
	if (!out) {
		free(list);
		return NULL;
	}
	for (i = 0, k = (int)strlen(out); i < n; i++)
		k += snprintf(out + k, len - (size_t)k, ",%" PRIu64, v[i]);
	return out;
}

static uint64_t store_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void store_put_node(struct store *s, const struct node_rec *n)
{
	struct store_op *op = store_new_op(OP_NODE);

	if (!op)
		return;
	op->params[0] = store_str(n->cluster);
	op->params[1] = store_str(n->node);
	op->params[2] = store_str(n->kernel);
	op->params[3] = store_str(n->cgroup_mode);
	op->params[4] = store_fmt("%d", n->sockets);
	op->params[5] = store_fmt("%d", n->cores);
	op->params[6] = store_fmt("%d", n->pus);
	op->params[7] = store_fmt("%d", n->numa_nodes);
	op->params[8] = store_fmt("%" PRIu64, n->mem_mb);
	op->params[9] = store_fmt("%d", n->gpus);
	op->params[10] = store_str(n->version);
	store_enqueue(s, op);
	pthread_mutex_lock(&s->lock);
	snprintf(s->hb_cluster, sizeof(s->hb_cluster), "%s", n->cluster);
	snprintf(s->hb_node, sizeof(s->hb_node), "%s", n->node);
	s->hb_started_us = store_now_us();
	pthread_mutex_unlock(&s->lock);
	op = store_new_op(OP_NODE_START);
	if (!op)
		return;
	op->params[0] = store_str(n->cluster);
	op->params[1] = store_str(n->node);
	op->params[2] = store_fmt("%" PRIu64, s->hb_started_us);
	store_enqueue(s, op);
}

static int store_connect(struct store *s);

/* The node row's last_seen, now, straight on the store's connection: not
 * journaled (a heartbeat replayed later would be false). Store thread. */
static void store_heartbeat(struct store *s)
{
	char started[32], cluster[sizeof(s->hb_cluster)], node[sizeof(s->hb_node)];
	const char *params[3] = { cluster, node, started };
	time_t now = time(NULL);
	PGresult *r;

	if (now - s->hb_last < STORE_HEARTBEAT_S)
		return;
	if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
		/* Idle, the connection may have gone (a restarted server): a heartbeat
		 * must not wait for the next record to come back. */
		if (s->conn)
			PQfinish(s->conn);
		s->conn = NULL;
		if (store_connect(s))
			return;
	}
	pthread_mutex_lock(&s->lock);
	memcpy(cluster, s->hb_cluster, sizeof(cluster));
	memcpy(node, s->hb_node, sizeof(node));
	snprintf(started, sizeof(started), "%" PRIu64, s->hb_started_us);
	pthread_mutex_unlock(&s->lock);
	if (!node[0])
		return;
	r = PQexecParams(s->conn, "UPDATE sexec.node SET last_seen = now() WHERE cluster = $1"
			 " AND node = $2 AND started_at = 'epoch'::timestamptz + $3::bigint"
			 " * interval '1 microsecond'", 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_COMMAND_OK)
		s->hb_last = now;
	PQclear(r);
}

static void store_key(struct store_op *op, const struct sexec_step_info *st, const char *step)
{
	op->params[0] = store_str(st->cluster);
	op->params[1] = store_fmt("%u", st->job_id);
	op->params[2] = store_str(step);
	op->params[3] = store_str(st->node);
	op->params[4] = store_fmt("%u", st->restarts);
}

void store_put_step_begin(struct store *s, const struct sexec_step_info *st, const char *step,
			  uint64_t start_us)
{
	struct store_op *job = store_new_op(OP_JOB), *op = store_new_op(OP_STEP_BEGIN);
	int arr = st->array_task_id != SEXEC_NO_VAL && st->array_job_id != 0;

	if (!job || !op) {
		free(job);
		free(op);
		return;
	}
	job->params[0] = store_str(st->cluster);
	job->params[1] = store_fmt("%u", st->job_id);
	job->params[2] = arr ? store_fmt("%u", st->array_job_id) : NULL;
	job->params[3] = arr ? store_fmt("%u", st->array_task_id) : NULL;
	job->params[4] = store_fmt("%u", st->uid);
	job->params[5] = store_str(st->user);
	job->params[6] = store_str(st->job_name);
	job->params[7] = store_str(st->partition);
	job->params[8] = store_str(st->account);
	job->params[9] = store_fmt("%u", st->restarts);
	store_enqueue(s, job);

	store_key(op, st, step);
	op->params[5] = store_str(st->user);
	op->params[6] = store_fmt("%u", st->alloc_cpus);
	op->params[7] = store_fmt("%" PRIu64, st->alloc_mem_mb);
	op->params[8] = store_str(st->alloc_cores);
	op->params[9] = store_fmt("%u", st->ntasks);
	op->params[10] = store_fmt("%u", st->nnodes);
	op->params[11] = store_fmt("%" PRIu64, start_us);
	store_enqueue(s, op);
}

void store_put_task_begin(struct store *s, const struct sexec_step_info *st, const char *step,
			  const struct sexec_task_info *t, uint64_t start_us)
{
	struct store_op *op = store_new_op(OP_TASK_BEGIN);

	if (!op)
		return;
	store_key(op, st, step);
	op->params[5] = store_fmt("%u", t->task_id);
	op->params[6] = t->gtask_id == SEXEC_NO_VAL ? NULL : store_fmt("%u", t->gtask_id);
	op->params[7] = store_fmt("%u", t->pid);
	op->params[8] = store_str(st->user);
	op->params[9] = store_fmt("%" PRIu64, start_us);
	store_enqueue(s, op);
}

void store_put_task_end(struct store *s, const struct sexec_step_info *st, const char *step,
			uint32_t task_id, uint64_t end_us, int32_t status)
{
	struct store_op *op = store_new_op(OP_TASK_END);

	if (!op)
		return;
	store_key(op, st, step);
	op->params[5] = store_fmt("%u", task_id);
	op->params[6] = store_fmt("%" PRIu64, end_us);
	op->params[7] = store_fmt("%d", status);
	store_enqueue(s, op);
}

void store_put_step_end(struct store *s, const struct sexec_step_info *st, const char *step,
			uint64_t end_us, uint64_t lost_events, uint64_t lost_tracking, int complete)
{
	struct store_op *op = store_new_op(OP_STEP_END);

	if (!op)
		return;
	store_key(op, st, step);
	op->params[5] = store_fmt("%" PRIu64, end_us);
	op->params[6] = store_fmt("%" PRIu64, lost_events);
	op->params[7] = store_fmt("%" PRIu64, lost_tracking);
	op->params[8] = strdup(complete ? "true" : "false");
	store_enqueue(s, op);
}

void store_put_job_meta(struct store *s, const struct job_meta *m)
{
	struct store_op *op = store_new_op(OP_JOB_META);

	if (!op)
		return;
	op->params[0] = store_str(m->cluster);
	op->params[1] = store_fmt("%u", m->job_id);
	op->params[2] = store_str(m->pipeline);
	op->params[3] = store_str(m->run);
	op->params[4] = store_str(m->workflow);
	op->params[5] = store_str(m->task);
	op->params[6] = store_str(m->labels);
	op->params[7] = store_str(m->work_dir);
	op->params[8] = store_str(m->comment);
	op->params[9] = store_str(m->tres ? m->tres : "");
	store_enqueue(s, op);
}

/* One statement of a step run at t_us with a value list. */
static void store_put_step_vals(struct store *s, enum store_kind kind,
				const struct sexec_step_info *st, const char *step, uint64_t t_us,
				const char *vals)
{
	struct store_op *op = store_new_op(kind);

	if (!op)
		return;
	store_key(op, st, step);
	op->params[5] = store_fmt("%" PRIu64, t_us);
	op->params[6] = store_str(vals);
	store_enqueue(s, op);
}

void store_put_step_times(struct store *s, const struct sexec_step_info *st, const char *step,
			  uint64_t end_us, const char *vals)
{
	store_put_step_vals(s, OP_STEP_TIMES, st, step, end_us, vals);
}

void store_put_sample(struct store *s, const struct sexec_step_info *st, const char *step,
		      uint64_t t_us, const char *vals)
{
	store_put_step_vals(s, OP_SAMPLE, st, step, t_us, vals);
}

void store_put_step_cpus(struct store *s, const struct sexec_step_info *st, const char *step,
			 uint64_t end_us, const char *const lists[6])
{
	struct store_op *op = store_new_op(OP_STEP_CPU);
	int i;

	if (!op)
		return;
	store_key(op, st, step);
	op->params[5] = store_fmt("%" PRIu64, end_us);
	for (i = 0; i < 6; i++)
		op->params[6 + i] = store_str(lists[i]);
	store_enqueue(s, op);
}

void store_put_step_rollup(struct store *s, const struct sexec_step_info *st, const char *step,
			   uint64_t end_us, const struct tool_drop *drops, size_t ndrops,
			   uint64_t processes, uint64_t rows_dropped)
{
	struct store_op *op;
	size_t i;

	op = store_new_op(OP_STEP_TOOLS);
	if (op) {
		store_key(op, st, step);
		op->params[5] = store_fmt("%" PRIu64, end_us);
		store_enqueue(s, op);
	}
	for (i = 0; i < ndrops; i++) {
		const struct tool_drop *d = &drops[i];

		op = store_new_op(OP_STEP_TOOL_DROP);
		if (!op)
			continue;
		store_key(op, st, step);
		op->params[5] = store_fmt("%" PRIu64, end_us);
		op->params[6] = store_str(d->tool);
		op->params[7] = store_fmt("%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					  ",%.0f,%" PRIu64 ",%" PRIu64,
					  d->processes, d->cpu_user_us, d->cpu_sys_us, d->wall_us,
					  d->rss_peak_kb, d->rss_kb_us, d->read_bytes, d->write_bytes);
		op->params[7] = store_append_list(op->params[7], d->time_us, SEXEC_TIME_N);
		op->params[7] = store_append_list(op->params[7], (const uint64_t[]){ d->net_tx,
						  d->net_rx, d->oom_kills, d->short_processes,
						  d->short_cpu_us }, 5);
		store_enqueue(s, op);
	}
	op = store_new_op(OP_STEP_TOTALS);
	if (op) {
		store_key(op, st, step);
		op->params[5] = store_fmt("%" PRIu64, end_us);
		op->params[6] = store_fmt("%" PRIu64, processes);
		op->params[7] = store_fmt("%" PRIu64, rows_dropped);
		store_enqueue(s, op);
	}
	op = store_new_op(OP_STEP_COST);
	if (op) {
		store_key(op, st, step);
		op->params[5] = store_fmt("%" PRIu64, end_us);
		store_enqueue(s, op);
	}
}

/* Growable buffer for one COPY line. */
struct store_buf {
	char *p;
	size_t len, cap;
	int err;
};

static void buf_put(struct store_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_fmt(struct store_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_fmt(struct store_buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* COPY text escaping of n bytes; in_array also escapes for an array element. */
static void buf_copy_text(struct store_buf *b, const char *s, size_t n, int in_array)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (in_array && c == '"') {
			/* the array literal needs \", and COPY doubles the backslash */
			buf_put(b, "\\\\\"", 3);
		} else if (in_array && c == '\\') {
			/* \\ in the array literal, each backslash doubled for COPY */
			buf_put(b, "\\\\\\\\", 4);
		} else if (c == '\\') {
			buf_put(b, "\\\\", 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\%03o", c);
			buf_put(b, esc, strlen(esc));
		} else {
			buf_put(b, (const char *)&s[i], 1);
		}
	}
}

static void buf_copy_str(struct store_buf *b, const char *s)
{
	char *d = store_str(s);

	if (!d) {
		b->err = 1;
		return;
	}
	buf_copy_text(b, d, strlen(d), 0);
	free(d);
}

static void buf_time(struct store_buf *b, uint64_t us)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	char when[40];

	gmtime_r(&sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	buf_fmt(b, "%s.%06u+00", when, (unsigned)(us % 1000000));
}

/* Is there room for another process row: the unwritten part of the journal
 * under spool_max, and the memory queue under queue_max? */
static int store_row_room(struct store *s)
{
	int room;

	pthread_mutex_lock(&s->lock);
	room = s->nqueued < s->queue_max &&
	       (s->jfd < 0 || s->jsize - s->committed < s->spool_max_bytes);
	if (!room)
		s->st.rows_folded++;
	pthread_mutex_unlock(&s->lock);
	return room;
}

int store_put_process(struct store *s, const struct proc_rec *p)
{
	struct store_op *op;
	struct store_buf b = { 0 };
	uint32_t off = 0;
	int sig = p->status & 0x7f, first = 1, i;

	if (!store_row_room(s))
		return -ENOSPC;
	op = store_new_op(OP_ROW);
	if (!op)
		return -ENOMEM;
	buf_copy_str(&b, p->step->cluster);
	buf_fmt(&b, "\t%u\t", p->step->job_id);
	buf_copy_str(&b, p->step_name);
	buf_put(&b, "\t", 1);
	buf_copy_str(&b, p->step->node);
	buf_fmt(&b, "\t%u\t", p->pid);
	buf_time(&b, p->start_us);
	if (p->task_id == SEXEC_NO_VAL)
		buf_put(&b, "\t\\N", 3);
	else
		buf_fmt(&b, "\t%u", p->task_id);
	buf_fmt(&b, "\t%u\t", p->ppid);
	buf_time(&b, p->end_us);
	buf_put(&b, "\t", 1);
	buf_copy_str(&b, p->step->user);
	buf_put(&b, "\t", 1);
	buf_copy_str(&b, p->exe);
	buf_put(&b, "\t{", 2);
	while (off < p->argv_len) {
		size_t n = strnlen(p->argv + off, p->argv_len - off);
		char *arg = strndup(p->argv + off, n);

		if (!arg) {
			b.err = 1;
			break;
		}
		store_utf8_fix(arg);
		buf_put(&b, first ? "\"" : ",\"", first ? 1 : 2);
		buf_copy_text(&b, arg, strlen(arg), 1);
		buf_put(&b, "\"", 1);
		free(arg);
		first = 0;
		off += (uint32_t)n + 1;
	}
	buf_fmt(&b, "}\t%s\t", p->argv_trunc ? "t" : "f");
	buf_copy_str(&b, p->tool);
	buf_fmt(&b, "\t%" PRIu64 "\t%" PRIu64, p->user_us, p->sys_us);
	if (sig)
		buf_put(&b, "\t\\N", 3);
	else
		buf_fmt(&b, "\t%u", (p->status >> 8) & 0xff);
	buf_fmt(&b, "\t%d\t%s\t%u\t%" PRIu64, sig, (p->status & 0x80) ? "t" : "f", p->threads,
		p->rss_peak_kb);
	buf_fmt(&b, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64, p->read_bytes,
		p->write_bytes, p->rchar, p->wchar);
	buf_fmt(&b, "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64, p->syscr, p->syscw,
		p->vol_ctxsw, p->invol_ctxsw);
	buf_fmt(&b, "\t%" PRIu64 "\t%" PRIu64 "\t%u\t", p->minflt, p->majflt, p->uid);
	if (p->cwd)
		buf_copy_str(&b, p->cwd);
	else
		buf_put(&b, "\\N", 2);
	buf_fmt(&b, "\t%" PRIu64, p->total_us);
	for (i = 0; i < SEXEC_TIME_N; i++) {
		if (p->has_time)
			buf_fmt(&b, "\t%" PRIu64, p->time_us[i]);
		else
			buf_put(&b, "\t\\N", 3);
	}
	if (p->has_net)
		buf_fmt(&b, "\t%" PRIu64 "\t%" PRIu64, p->net_tx, p->net_rx);
	else
		buf_put(&b, "\t\\N\t\\N", 6);
	buf_fmt(&b, "\t%s\n", p->oom_killed ? "t" : "f");
	if (b.err) {
		free(b.p);
		free(op);
		pthread_mutex_lock(&s->lock);
		s->st.dropped++;
		pthread_mutex_unlock(&s->lock);
		log_err("store: out of memory rendering a process row (pid %u)", p->pid);
		return -ENOMEM;
	}
	op->params[0] = b.p;
	store_enqueue(s, op);
	return 0;
}

/* ---- writer thread ---- */

static int store_connect(struct store *s)
{
	const char *keys[] = { "dbname", "application_name", "connect_timeout", NULL };
	const char *vals[] = { s->conninfo, "sexecd", "5", NULL };
	PGresult *r;

	s->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		log_warn("store: cannot connect to the database: %s", PQerrorMessage(s->conn));
		PQfinish(s->conn);
		s->conn = NULL;
		return -ECONNREFUSED;
	}
	r = PQexec(s->conn, "SET statement_timeout = '60s';"
			    "CREATE TEMP TABLE IF NOT EXISTS stage_process"
			    " (LIKE sexec.process INCLUDING DEFAULTS) ON COMMIT DELETE ROWS");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_err("store: cannot prepare the session: %s", PQerrorMessage(s->conn));
		PQclear(r);
		PQfinish(s->conn);
		s->conn = NULL;
		return -EIO;
	}
	PQclear(r);
	/* Writing to an older schema fails statement by statement: wait, with
	 * every record in the spool, until an admin has migrated it. */
	r = PQexec(s->conn, "SELECT coalesce(max(version), 0) FROM sexec.schema_version");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    atoi(PQgetvalue(r, 0, 0)) < STORE_SCHEMA_VERSION) {
		log_err("store: the database schema is version %s, this collector needs %d: run "
			"sexec-dbadmin migrate (records wait in the spool)",
			PQgetvalue(r, 0, 0), STORE_SCHEMA_VERSION);
		PQclear(r);
		PQfinish(s->conn);
		s->conn = NULL;
		return -EPROTO;
	}
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		log_warn("store: cannot read the schema version (%s); writing anyway",
			 PQresultErrorMessage(r));
	PQclear(r);
	log_info("store: connected to the database");
	return 0;
}

static void store_note_sqlstate(struct store *s, const PGresult *r)
{
	const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(s->sqlstate, sizeof(s->sqlstate), "%s", st ? st : "");
}

/* Class 22 (data exception) and 23 (integrity): the record itself is bad,
 * and sending it again will not help. */
static int store_data_error(const struct store *s)
{
	return !strncmp(s->sqlstate, "22", 2) || !strncmp(s->sqlstate, "23", 2);
}

static int store_exec(struct store *s, const char *sql, PGresult **out)
{
	PGresult *r = PQexec(s->conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_COPY_IN;

	if (out && ok) {
		*out = r;
		return 0;
	}
	if (!ok) {
		store_note_sqlstate(s, r);
		log_warn("store: '%.40s...' failed: %s", sql, PQerrorMessage(s->conn));
	}
	PQclear(r);
	return ok ? 0 : -EIO;
}

/* Write one batch in one transaction. 0 on commit; -EIO on failure (the
 * caller keeps the batch for a retry, which the natural keys make harmless). */
static int store_write_batch(struct store *s, struct store_op *batch, uint64_t *rows,
			     uint64_t *ops)
{
	struct store_op *op;
	PGresult *r;
	int in_copy = 0, staged = 0;

	*rows = *ops = 0;
	s->sqlstate[0] = '\0';
	if (store_exec(s, "BEGIN", NULL))
		return -EIO;
	for (op = batch; op; op = op->next) {
		if (op->kind == OP_ROW) {
			if (!in_copy) {
				if (store_exec(s, store_copy_sql, &r))
					goto fail;
				PQclear(r);
				in_copy = 1;
			}
			if (PQputCopyData(s->conn, op->params[0], (int)strlen(op->params[0])) != 1)
				goto fail;
			(*rows)++;
			staged = 1;
			continue;
		}
		if (in_copy) {
			if (PQputCopyEnd(s->conn, NULL) != 1)
				goto fail;
			while ((r = PQgetResult(s->conn))) {
				int bad = PQresultStatus(r) != PGRES_COMMAND_OK;

				if (bad) {
					store_note_sqlstate(s, r);
					log_warn("store: COPY failed: %s", PQerrorMessage(s->conn));
				}
				PQclear(r);
				if (bad)
					goto fail;
			}
			in_copy = 0;
			/* Statements that follow (a step's totals) read these rows. */
			if (store_exec(s, store_stage_sql, NULL))
				goto fail;
			staged = 0;
		}
		r = PQexecParams(s->conn, store_sql[op->kind].sql, store_sql[op->kind].nparams, NULL,
				 (const char *const *)op->params, NULL, NULL, 0);
		/* The cost is a SELECT of a function: it returns a row. */
		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
			store_note_sqlstate(s, r);
			log_warn("store: statement %d failed: %s", op->kind, PQerrorMessage(s->conn));
			PQclear(r);
			goto fail;
		}
		PQclear(r);
		(*ops)++;
	}
	if (in_copy) {
		if (PQputCopyEnd(s->conn, NULL) != 1)
			goto fail;
		while ((r = PQgetResult(s->conn))) {
			int bad = PQresultStatus(r) != PGRES_COMMAND_OK;

			if (bad) {
				store_note_sqlstate(s, r);
				log_warn("store: COPY failed: %s", PQerrorMessage(s->conn));
			}
			PQclear(r);
			if (bad)
				goto fail;
		}
	}
	if (staged && store_exec(s, store_stage_sql, NULL))
		goto fail;
	if (store_exec(s, "COMMIT", NULL))
		goto fail;
	return 0;
fail:
	/* Leave COPY mode, then drain what is pending (bounded: a broken
	 * connection may keep answering COPY_IN). */
	if (in_copy)
		PQputCopyEnd(s->conn, "aborted by sexecd");
	for (int i = 0; i < 16 && (r = PQgetResult(s->conn)); i++)
		PQclear(r);
	if (PQstatus(s->conn) == CONNECTION_OK) {
		r = PQexec(s->conn, "ROLLBACK");
		PQclear(r);
	}
	return -EIO;
}

static void store_requeue_front(struct store *s, struct store_op *batch, struct store_op *last,
				uint64_t n)
{
	pthread_mutex_lock(&s->lock);
	last->next = s->head;
	if (!s->head)
		s->tail = &last->next;
	s->head = batch;
	s->nqueued += n;
	pthread_mutex_unlock(&s->lock);
}

/* The database has everything up to jend: remember it, and delete the
 * segments that holds entirely. */
static void store_committed(struct store *s, uint64_t jend, uint64_t rows, uint64_t ops)
{
	store_write_offset(s, jend);
	pthread_mutex_lock(&s->lock);
	s->st.rows_written += rows;
	s->st.ops_written += ops;
	s->committed = jend;
	if (s->jfd >= 0)
		store_segments_trim(s);
	pthread_mutex_unlock(&s->lock);
}

/* One bad record must not cost the others: write the batch one op per
 * transaction and drop (logging each) only what the database refuses as
 * data. Returns what is left to retry later, or NULL. */
static struct store_op *store_isolate(struct store *s, struct store_op *batch)
{
	uint64_t rows, ops;

	while (batch) {
		struct store_op *op = batch, *rest = batch->next;

		op->next = NULL;
		if (store_write_batch(s, op, &rows, &ops) == 0) {
			store_committed(s, op->jend, rows, ops);
		} else if (PQstatus(s->conn) == CONNECTION_OK && store_data_error(s)) {
			log_err("store: the database refuses a record as data (SQLSTATE %s); "
				"dropped: %.200s", s->sqlstate,
				op->kind == OP_ROW ? op->params[0] : "(job, step or task statement)");
			pthread_mutex_lock(&s->lock);
			s->st.dropped++;
			pthread_mutex_unlock(&s->lock);
			store_committed(s, op->jend, 0, 0);
		} else {
			op->next = rest;
			return op;
		}
		store_free_op(op);
		batch = rest;
	}
	return NULL;
}

static void *store_main(void *arg)
{
	struct store *s = arg;
	unsigned int backoff_ms = 0;

	for (;;) {
		struct store_op *batch, *last = NULL, *op;
		uint64_t n = 0, rows, ops;
		struct timespec until;

		pthread_mutex_lock(&s->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		{
			uint64_t wait_ms = backoff_ms ? backoff_ms : s->flush_ms;

			until.tv_sec += (time_t)(wait_ms / 1000);
			until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
		}
		/* A full batch, or a statement, is written at once: waiting
		 * flush_interval_ms per batch would cap a backlog's drain rate. */
		if (!s->stopping && (backoff_ms || (!s->urgent && s->nqueued < s->batch_rows)))
			pthread_cond_timedwait(&s->cond, &s->lock, &until);
		s->urgent = 0;
		if (s->jfd >= 0 && s->jsize != s->synced) {
			/* Survive a reboot too, not only a crash of the process;
			 * outside the lock, which the event loop needs (a copy of
			 * the descriptor: it may move on to a new segment). */
			int fd = dup(s->jfd), old[8], ok = 1;
			uint64_t upto = s->jsize;
			size_t nold = s->nold, i;

			memcpy(old, s->oldfds, nold * sizeof(*old));
			s->nold = 0;
			pthread_mutex_unlock(&s->lock);
			for (i = 0; i < nold; i++) {
				if (fdatasync(old[i])) {
					ok = 0;
					log_warn("store: cannot sync a journal segment: %s",
						 strerror(errno));
				}
				close(old[i]);
			}
			if (ok && fd >= 0 && fdatasync(fd) == 0) {
				pthread_mutex_lock(&s->lock);
				if (s->synced < upto)
					s->synced = upto;
				pthread_mutex_unlock(&s->lock);
			}
			if (fd >= 0)
				close(fd);
			pthread_mutex_lock(&s->lock);
		}
		if (!s->head) {
			int stop = s->stopping;

			pthread_mutex_unlock(&s->lock);
			if (stop)
				break;
			store_heartbeat(s);
			continue;
		}
		batch = s->head;
		for (op = batch; op && n < s->batch_rows; op = op->next) {
			last = op;
			n++;
		}
		s->head = last->next;
		if (!s->head)
			s->tail = &s->head;
		last->next = NULL;
		s->nqueued -= n;
		pthread_mutex_unlock(&s->lock);

		if (!s->conn || PQstatus(s->conn) != CONNECTION_OK) {
			if (s->conn) {
				PQfinish(s->conn);
				s->conn = NULL;
			}
			if (store_connect(s) == 0) {
				pthread_mutex_lock(&s->lock);
				s->st.connected = 1;
				pthread_mutex_unlock(&s->lock);
			}
		}
		if (s->conn && store_write_batch(s, batch, &rows, &ops) == 0) {
			store_committed(s, last->jend, rows, ops);
			store_heartbeat(s);
			while (batch) {
				op = batch->next;
				store_free_op(batch);
				batch = op;
			}
			backoff_ms = 0;
			continue;
		}
		pthread_mutex_lock(&s->lock);
		s->st.db_failures++;
		s->st.connected = s->conn && PQstatus(s->conn) == CONNECTION_OK;
		pthread_mutex_unlock(&s->lock);
		if (s->conn && PQstatus(s->conn) == CONNECTION_OK && store_data_error(s)) {
			batch = store_isolate(s, batch);
			if (!batch) {
				backoff_ms = 0;
				continue;
			}
			for (n = 1, last = batch; last->next; last = last->next)
				n++;
		}
		store_requeue_front(s, batch, last, n);
		backoff_ms = backoff_ms ? backoff_ms * 2 : 500;
		if (backoff_ms > 30000)
			backoff_ms = 30000;
		pthread_mutex_lock(&s->lock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->lock);
			break; /* do not hang shutdown on a dead database */
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (s->conn)
		PQfinish(s->conn);
	s->conn = NULL;
	return NULL;
}

/* A journal written before schema 4 has step and task records without the
 * restart (5th parameter): their last parameter, always set now, is empty.
 * Shift them into today's layout (restart 0) so an upgrade loses nothing. */
static void store_upgrade_op(struct store_op *op)
{
	int n = op->kind < OP_MAX ? store_sql[op->kind].nparams : 0, i;

	/* A process row from before schema 6 lacks the time, network and
	 * OOM columns: they were not measured. */
	if (op->kind == OP_ROW && op->params[0]) {
		const char *c = op->params[0];
		size_t len = strlen(c);
		int cols = 1;
		char *row;

		for (; *c; c++)
			cols += *c == '\t';
		if (cols != STORE_COPY_COLS_V5 || len == 0 || op->params[0][len - 1] != '\n')
			return;
		row = malloc(len + sizeof(STORE_COPY_PAD_V6) + 1);
		if (!row)
			return;
		memcpy(row, op->params[0], len - 1);
		memcpy(row + len - 1, STORE_COPY_PAD_V6 "\n", sizeof(STORE_COPY_PAD_V6) + 1);
		free(op->params[0]);
		op->params[0] = row;
		return;
	}
	switch (op->kind) {
	case OP_STEP_BEGIN:
	case OP_TASK_BEGIN:
	case OP_TASK_END:
	case OP_STEP_END:
		break;
	default:
		return;
	}
	if (n < 6 || op->params[n - 1] || !op->params[n - 2])
		return;
	for (i = n - 1; i > 4; i--)
		op->params[i] = op->params[i - 1];
	op->params[4] = strdup("0");
}

static int store_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The segment files in the spool directory, ascending. A journal from before
 * segments ("journal") becomes the first one: its offsets are the same. */
static int store_segments_find(struct store *s)
{
	char legacy[sizeof(s->jpath)], first[sizeof(s->jpath)], *end;
	struct dirent *de;
	DIR *d;

	snprintf(legacy, sizeof(legacy), "%s/journal", s->jdir);
	store_segment_path(s, 0, first, sizeof(first));
	if (access(legacy, F_OK) == 0 && access(first, F_OK) != 0 && rename(legacy, first) == 0)
		log_info("store: %s is now the first journal segment", legacy);
	d = opendir(s->jdir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		unsigned long long base;
		uint64_t *segs;

		if (strncmp(de->d_name, "journal-", 8) || strlen(de->d_name) != 28)
			continue;
		errno = 0;
		base = strtoull(de->d_name + 8, &end, 10);
		if (errno || *end)
			continue;
		segs = realloc(s->segs, (s->nsegs + 1) * sizeof(*segs));
		if (!segs)
			break;
		s->segs = segs;
		s->segs[s->nsegs++] = base;
	}
	closedir(d);
	if (s->nsegs > 1)
		qsort(s->segs, s->nsegs, sizeof(*s->segs), store_cmp_u64);
	return 0;
}

/* Logical offset where the last segment's file ends (0 without one). */
static uint64_t store_segment_end(struct store *s)
{
	char path[sizeof(s->jpath)];
	struct stat stb;

	if (!s->nsegs)
		return UINT64_MAX;
	store_segment_path(s, s->segs[s->nsegs - 1], path, sizeof(path));
	if (stat(path, &stb))
		return UINT64_MAX;
	return s->segs[s->nsegs - 1] + (uint64_t)stb.st_size;
}

/* Queue again what the journal holds past the committed offset, segment by
 * segment, and leave the last segment open for appends. */
static void store_replay(struct store *s)
{
	uint64_t n = 0, off = 0, base = 0;
	size_t i;
	int torn = 0;

	if (pread(s->ofd, &s->committed, sizeof(s->committed), 0) != sizeof(s->committed))
		s->committed = 0;
	for (i = 0; i < s->nsegs && !torn; i++) {
		char path[sizeof(s->jpath)], *buf;
		struct stat stb;
		uint64_t p;
		int fd;

		base = s->segs[i];
		store_segment_path(s, base, path, sizeof(path));
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &stb)) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		off = base + (uint64_t)stb.st_size;
		if (off <= s->committed || stb.st_size == 0) {
			close(fd);
			continue;
		}
		buf = malloc((size_t)stb.st_size);
		if (!buf || pread(fd, buf, (size_t)stb.st_size, 0) != stb.st_size) {
			free(buf);
			close(fd);
			continue;
		}
		close(fd);
		p = s->committed > base ? s->committed - base : 0;
		while (p + 5 <= (uint64_t)stb.st_size) {
			uint32_t len;
			size_t q = 5;
			struct store_op *op;
			int k, bad = 0;

			memcpy(&len, buf + p, 4);
			if (len < 5 || p + len > (uint64_t)stb.st_size)
				break; /* a record cut short by the crash */
			op = store_new_op((enum store_kind)buf[p + 4]);
			if (!op)
				break;
			for (k = 0; k < STORE_MAX_PARAMS && !bad; k++) {
				int32_t pl;

				if (q + 4 > len) {
					bad = 1;
					break;
				}
				memcpy(&pl, buf + p + q, 4);
				q += 4;
				if (pl < 0)
					continue;
				if (q + (size_t)pl > len) {
					bad = 1;
					break;
				}
				op->params[k] = strndup(buf + p + q, (size_t)pl);
				q += (size_t)pl;
			}
			if (bad || op->kind >= OP_MAX) {
				store_free_op(op);
				break;
			}
			store_upgrade_op(op);
			p += len;
			op->jend = base + p;
			*s->tail = op;
			s->tail = &op->next;
			s->nqueued++;
			n++;
		}
		free(buf);
		if (p < (uint64_t)stb.st_size) {
			off = base + p;
			if (i + 1 == s->nsegs) {
				/* The end of the last segment is torn by a crash
				 * mid-append: cut it off. */
				if (truncate(path, (off_t)p) == 0)
					log_warn("store: dropped a partial record at the end of %s",
						 path);
			} else {
				/* Damage inside the journal: what follows cannot be
				 * read in order. Keep the files for inspection. */
				torn = 1;
			}
		}
	}
	while (torn && s->nsegs > i - 1) {
		char path[sizeof(s->jpath)], aside[sizeof(s->jpath) + 16];

		store_segment_path(s, s->segs[--s->nsegs], path, sizeof(path));
		snprintf(aside, sizeof(aside), "%s.damaged", path);
		log_err("store: %s is damaged or follows damage; moved to %s, not replayed", path,
			aside);
		rename(path, aside);
	}
	if (off < s->committed)
		off = s->committed;
	s->jsize = off;
	s->synced = off;
	if (n)
		log_info("store: %" PRIu64 " records from the journal are queued again", n);
}

struct store *create_store(const struct sexec_conf *conf)
{
	struct store *s = calloc(1, sizeof(*s));
	char opath[200];

	if (!s)
		return NULL;
	s->jfd = s->ofd = -1;
	s->tail = &s->head;
	s->seg_bytes = (uint64_t)conf->journal_compact_kb * 1024;
	if (conf->spool_dir[0]) {
		int err;

		mkdir(conf->spool_dir, 0700);
		snprintf(s->jdir, sizeof(s->jdir), "%s", conf->spool_dir);
		snprintf(opath, sizeof(opath), "%s/journal.committed", conf->spool_dir);
		s->ofd = open(opath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		err = s->ofd < 0 ? -errno : store_segments_find(s);
		if (!err) {
			store_replay(s);
			/* Append to the last segment when it ends exactly where
			 * the journal does, else start one there (after a power
			 * loss the database may hold records the disk lost). */
			err = store_segment_open(s, store_segment_end(s) == s->jsize
							    ? s->segs[s->nsegs - 1]
							    : s->jsize);
		}
		if (err) {
			log_err("store: cannot open the journal in %s: %s; records are kept in "
				"memory only", conf->spool_dir, strerror(-err));
			if (s->ofd >= 0)
				close(s->ofd);
			s->jfd = s->ofd = -1;
		}
	}
	snprintf(s->conninfo, sizeof(s->conninfo), "%s", conf->db);
	s->flush_ms = conf->flush_ms;
	s->batch_rows = conf->batch_rows;
	s->queue_max = conf->queue_max;
	s->spool_max_bytes = (uint64_t)conf->spool_max_kb * 1024;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (pthread_create(&s->thread, NULL, store_main, s)) {
		free(s);
		return NULL;
	}
	s->started = 1;
	return s;
}

void destroy_store(struct store *s)
{
	struct store_op *op;

	if (!s)
		return;
	/* The clean stop, written with what is left (or journaled for the next start). */
	if (s->hb_node[0] && (op = store_new_op(OP_NODE_STOP)) != NULL) {
		op->params[0] = store_str(s->hb_cluster);
		op->params[1] = store_str(s->hb_node);
		op->params[2] = store_fmt("%" PRIu64, store_now_us());
		op->params[3] = store_fmt("%" PRIu64, s->hb_started_us);
		store_enqueue(s, op);
	}
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->started)
		pthread_join(s->thread, NULL);
	if (s->nqueued)
		log_warn("store: %" PRIu64 " records not yet written stay in the journal for the "
			 "next start", s->nqueued);
	while ((op = s->head)) {
		s->head = op->next;
		store_free_op(op);
	}
	if (s->jfd >= 0) {
		fdatasync(s->jfd);
		close(s->jfd);
	}
	while (s->nold) {
		fdatasync(s->oldfds[--s->nold]);
		close(s->oldfds[s->nold]);
	}
	if (s->ofd >= 0)
		close(s->ofd);
	free(s->segs);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}

void store_get_stats(struct store *s, struct store_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->st;
	out->queued = s->nqueued;
	pthread_mutex_unlock(&s->lock);
}
