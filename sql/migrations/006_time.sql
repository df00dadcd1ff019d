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
