-- SPDX-License-Identifier: GPL-2.0-or-later
-- Schema version 6: where the time went. Per-thread scheduler states summed
-- per process, tool and step; busy time per allocated CPU; cgroup statistics
-- and pressure (PSI) per step; network bytes and OOM kills per process; and
-- timeline samples. See docs/time.md.

-- Microseconds in each state over the process's threads: on a CPU, runnable
-- and waiting for one, blocked on I/O, stalled on memory, any other sleep.
-- NULL: not measured (the kernel lacks what the time breakdown needs).
ALTER TABLE sexec.process ADD COLUMN on_cpu_us bigint;
ALTER TABLE sexec.process ADD COLUMN runq_us bigint;
ALTER TABLE sexec.process ADD COLUMN io_us bigint;
ALTER TABLE sexec.process ADD COLUMN mem_us bigint;
ALTER TABLE sexec.process ADD COLUMN sleep_us bigint;
ALTER TABLE sexec.process ADD COLUMN net_tx_bytes bigint;
ALTER TABLE sexec.process ADD COLUMN net_rx_bytes bigint;
ALTER TABLE sexec.process ADD COLUMN oom_killed boolean NOT NULL DEFAULT false;

ALTER TABLE sexec.step_tool ADD COLUMN on_cpu_us bigint;
ALTER TABLE sexec.step_tool ADD COLUMN runq_us bigint;
ALTER TABLE sexec.step_tool ADD COLUMN io_us bigint;
ALTER TABLE sexec.step_tool ADD COLUMN mem_us bigint;
ALTER TABLE sexec.step_tool ADD COLUMN sleep_us bigint;
ALTER TABLE sexec.step_tool ADD COLUMN net_tx_bytes bigint;
ALTER TABLE sexec.step_tool ADD COLUMN net_rx_bytes bigint;
ALTER TABLE sexec.step_tool ADD COLUMN oom_kills bigint NOT NULL DEFAULT 0;

-- A step run's totals per state, from every thread of its registrations
-- (processes without a row included), and its cgroup's own account:
-- CPU, memory peak and limit, OOM events, block I/O, and the time its tasks
-- were stalled on CPU, I/O and memory (PSI "some"/"full" totals, µs).
ALTER TABLE sexec.step ADD COLUMN on_cpu_us bigint;
ALTER TABLE sexec.step ADD COLUMN runq_us bigint;
ALTER TABLE sexec.step ADD COLUMN io_us bigint;
ALTER TABLE sexec.step ADD COLUMN mem_us bigint;
ALTER TABLE sexec.step ADD COLUMN sleep_us bigint;
ALTER TABLE sexec.step ADD COLUMN cgroup_version int;
ALTER TABLE sexec.step ADD COLUMN cg_cpu_us bigint;
ALTER TABLE sexec.step ADD COLUMN cg_mem_peak_bytes bigint;
ALTER TABLE sexec.step ADD COLUMN cg_mem_limit_bytes bigint;
ALTER TABLE sexec.step ADD COLUMN cg_oom_events bigint;
ALTER TABLE sexec.step ADD COLUMN cg_io_read_bytes bigint;
ALTER TABLE sexec.step ADD COLUMN cg_io_write_bytes bigint;
ALTER TABLE sexec.step ADD COLUMN psi_cpu_some_us bigint;
ALTER TABLE sexec.step ADD COLUMN psi_cpu_full_us bigint;
ALTER TABLE sexec.step ADD COLUMN psi_io_some_us bigint;
ALTER TABLE sexec.step ADD COLUMN psi_io_full_us bigint;
ALTER TABLE sexec.step ADD COLUMN psi_mem_some_us bigint;
ALTER TABLE sexec.step ADD COLUMN psi_mem_full_us bigint;

-- The CPUs of a step run, placed in the node's topology (hwloc): the
-- allocation view. allocated: the CPU is in the step's cpuset. busy_us: the
-- step cgroup's CPU time on it (cgroup v1 cpuacct); NULL where the cgroup
-- keeps no per-CPU figures (v2).
CREATE TABLE sexec.step_cpu (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	restart		int NOT NULL DEFAULT 0,
	cpu		int NOT NULL,		-- OS index of the hardware thread
	core		int,
	socket		int,
	numa_node	int,
	allocated	boolean NOT NULL DEFAULT true,
	busy_us		bigint,
	user_name	text NOT NULL,
	PRIMARY KEY (cluster, job_id, step, node, restart, cpu),
	FOREIGN KEY (cluster, job_id, step, node, restart)
		REFERENCES sexec.step ON DELETE CASCADE
);

-- Timeline: cumulative counters of a step run at one moment (every
-- sample_interval_s, plus one at the start and one at the end). Rates are
-- differences between neighbours.
CREATE TABLE sexec.sample (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	restart		int NOT NULL DEFAULT 0,
	t		timestamptz NOT NULL,
	on_cpu_us	bigint,
	runq_us		bigint,
	io_us		bigint,
	mem_us		bigint,
	sleep_us	bigint,
	cg_cpu_us	bigint,
	rss_bytes	bigint,			-- cgroup memory in use
	io_read_bytes	bigint,
	io_write_bytes	bigint,
	psi_cpu_some_us	bigint,
	psi_io_some_us	bigint,
	psi_mem_some_us	bigint,
	user_name	text NOT NULL,
	PRIMARY KEY (cluster, job_id, step, node, restart, t),
	FOREIGN KEY (cluster, job_id, step, node, restart)
		REFERENCES sexec.step ON DELETE CASCADE
);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['step_cpu', 'sample'] LOOP
		EXECUTE format('ALTER TABLE sexec.%I ENABLE ROW LEVEL SECURITY', t);
		EXECUTE format('CREATE POLICY own_rows ON sexec.%I FOR SELECT TO sexec_reader '
			       'USING (user_name = current_user OR pg_has_role(''sexec_admin'', ''MEMBER''))', t);
		EXECUTE format('CREATE POLICY collector_rows ON sexec.%I TO sexec_collector '
			       'USING (true) WITH CHECK (true)', t);
		EXECUTE format('GRANT SELECT ON sexec.%I TO sexec_reader', t);
		EXECUTE format('GRANT SELECT, INSERT, UPDATE ON sexec.%I TO sexec_collector', t);
	END LOOP;
END
$$;

-- The job's allocated TRES as slurmctld reports them (squeue tres-alloc,
-- asked once per job by the collector on its first node): GPUs and Slurm's
-- billing units are priced by the gpu_hour and billing_hour rates.
ALTER TABLE sexec.job ADD COLUMN tres_alloc text;
ALTER TABLE sexec.job ADD COLUMN gpus int;
ALTER TABLE sexec.job ADD COLUMN billing numeric;

-- step_cost_at as in 005, with GPU-hour and billing-hour rates applied.
CREATE OR REPLACE FUNCTION sexec.step_cost_at(p_cluster text, p_job_id bigint, p_step text,
					      p_node text, p_restart int, p_rates_at timestamptz)
RETURNS TABLE (cluster text, job_id bigint, step text, node text, restart int, user_name text,
	       elapsed_h numeric, alloc_core_h numeric, used_core_h numeric, alloc_gb_h numeric,
	       used_gb_h numeric, currency text, core_rate numeric, gb_rate numeric,
	       node_rate numeric, alloc_cost numeric, used_cost numeric, idle_cost numeric,
	       rates_at timestamptz, computed_at timestamptz)
LANGUAGE sql STABLE AS $$
SELECT s.cluster, s.job_id, s.step, s.node, s.restart, s.user_name,
	h.elapsed_h, h.alloc_core_h, h.used_core_h, h.alloc_gb_h, h.used_gb_h,
	r.currency, r.core_rate, r.gb_rate, r.node_rate,
	c.alloc_cost, c.used_cost, c.idle_cost,
	r.rates_at, now()
FROM sexec.step s
LEFT JOIN sexec.job j ON j.cluster = s.cluster AND j.job_id = s.job_id
-- The extern step is recorded with 0 CPUs: a step that does not know its
-- allocation takes the largest one of its run's steps on the same node.
CROSS JOIN LATERAL (
	SELECT greatest(extract(epoch FROM s.end_time - s.start_time), 0) / 3600 AS e,
		CASE WHEN s.alloc_cpus > 0 THEN s.alloc_cpus
		ELSE (SELECT nullif(max(o.alloc_cpus), 0) FROM sexec.step o
		      WHERE o.cluster = s.cluster AND o.job_id = s.job_id
		      AND o.node = s.node AND o.restart = s.restart) END AS cpus,
		CASE WHEN s.alloc_mem_mb > 0 THEN s.alloc_mem_mb
		ELSE (SELECT nullif(max(o.alloc_mem_mb), 0) FROM sexec.step o
		      WHERE o.cluster = s.cluster AND o.job_id = s.job_id
		      AND o.node = s.node AND o.restart = s.restart) END AS mem_mb,
		-- GPUs and billing units of the job, an equal share per node
		coalesce(j.gpus, 0)::numeric / greatest((SELECT max(o.nnodes) FROM sexec.step o
		      WHERE o.cluster = s.cluster AND o.job_id = s.job_id
		      AND o.restart = s.restart), 1) AS gpus,
		coalesce(j.billing, 0) / greatest((SELECT max(o.nnodes) FROM sexec.step o
		      WHERE o.cluster = s.cluster AND o.job_id = s.job_id
		      AND o.restart = s.restart), 1) AS billing
) a
CROSS JOIN LATERAL (
	SELECT sum(t.cpu_user_us + t.cpu_sys_us) AS cpu_us, sum(t.rss_kb_us) AS kb_us,
		count(*) AS n
	FROM sexec.step_tool t
	WHERE t.cluster = s.cluster AND t.job_id = s.job_id AND t.step = s.step
	AND t.node = s.node AND t.restart = s.restart
) u
-- Use is unknown (NULL) when the collector neither counted the step's
-- processes nor wrote any rollup for it: an older collector.
CROSS JOIN LATERAL (
	SELECT a.e AS elapsed_h, a.cpus * a.e AS alloc_core_h, a.mem_mb / 1024.0 * a.e AS alloc_gb_h,
		CASE WHEN u.n > 0 OR s.processes IS NOT NULL
			THEN coalesce(u.cpu_us, 0) / 3600000000.0 END AS used_core_h,
		CASE WHEN u.n > 0 OR s.processes IS NOT NULL
			THEN coalesce(u.kb_us, 0) / (1024.0 * 1024.0 * 3600000000.0) END AS used_gb_h
) h
-- Per resource the rate valid at that time: the partition's own before the
-- cluster-wide one, then the latest start.
CROSS JOIN LATERAL (
	SELECT coalesce(p_rates_at, s.start_time) AS rates_at,
		CASE WHEN count(DISTINCT x.currency) = 1 THEN min(x.currency) END AS currency,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'core_hour') END AS core_rate,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'gb_hour') END AS gb_rate,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'node_hour') END AS node_rate,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'gpu_hour') END AS gpu_rate,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'billing_hour') END AS billing_rate
	FROM (SELECT DISTINCT ON (cr.resource) cr.resource, cr.rate, cr.currency
	      FROM sexec.cost_rate cr
	      WHERE cr.cluster = s.cluster
	      AND (cr.partition IS NULL OR cr.partition = j.partition)
	      AND cr.resource IN ('core_hour', 'gb_hour', 'node_hour', 'gpu_hour', 'billing_hour')
	      AND cr.valid_from <= coalesce(p_rates_at, s.start_time)
	      AND (cr.valid_to IS NULL OR cr.valid_to > coalesce(p_rates_at, s.start_time))
	      ORDER BY cr.resource, cr.partition IS NULL, cr.valid_from DESC, cr.id DESC) x
) r
-- GPU use is not observed: an allocated GPU counts as used. Billing units
-- (Slurm's TRESBillingWeights) count as used in the share of the allocated
-- core-hours that was busy.
CROSS JOIN LATERAL (
	SELECT CASE WHEN r.currency IS NOT NULL THEN
			coalesce(r.core_rate, 0) * h.alloc_core_h + coalesce(r.gb_rate, 0) * h.alloc_gb_h
			+ coalesce(r.node_rate, 0) * h.elapsed_h
			+ coalesce(r.gpu_rate, 0) * a.gpus * h.elapsed_h
			+ coalesce(r.billing_rate, 0) * a.billing * h.elapsed_h END AS alloc_cost,
		CASE WHEN r.currency IS NOT NULL THEN
			coalesce(r.core_rate, 0) * h.used_core_h
			+ coalesce(r.gb_rate, 0) * h.used_gb_h
			+ coalesce(r.gpu_rate, 0) * a.gpus * h.elapsed_h
			+ coalesce(r.billing_rate, 0) * a.billing * h.elapsed_h
			  * least(coalesce(h.used_core_h / nullif(h.alloc_core_h, 0), 0), 1)
			END AS used_cost
) c0
-- greatest() skips NULLs: unknown stays unknown.
CROSS JOIN LATERAL (
	SELECT c0.alloc_cost, c0.used_cost,
		CASE WHEN c0.alloc_cost IS NOT NULL AND c0.used_cost IS NOT NULL
			THEN greatest(c0.alloc_cost - c0.used_cost, 0) END AS idle_cost
) c
WHERE s.cluster = p_cluster AND s.job_id = p_job_id AND s.step = p_step AND s.node = p_node
AND s.restart = p_restart AND s.end_time IS NOT NULL
$$;

SELECT sexec.recompute_step_costs(NULL, NULL);
