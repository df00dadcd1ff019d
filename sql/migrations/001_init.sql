-- SPDX-License-Identifier: GPL-2.0-or-later
-- sexec schema version 1: nodes, jobs, steps, tasks and one row per observed process,
-- with the roles the collector, users and admins connect as. Applied by sexec-dbadmin.

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sexec_collector') THEN
		CREATE ROLE sexec_collector LOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sexec_reader') THEN
		CREATE ROLE sexec_reader NOLOGIN;
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sexec_admin') THEN
		CREATE ROLE sexec_admin NOLOGIN IN ROLE sexec_reader;
	END IF;
END
$$;

CREATE SCHEMA IF NOT EXISTS sexec;
GRANT USAGE ON SCHEMA sexec TO sexec_collector, sexec_reader;

-- One row per node and collector start: topology from hwloc, kernel, cgroup mode.
CREATE TABLE sexec.node (
	cluster		text NOT NULL,
	node		text NOT NULL,
	kernel		text,
	cgroup_mode	text,		-- v1, v2 or hybrid
	sockets		int,
	cores		int,
	pus		int,
	numa_nodes	int,
	mem_mb		bigint,
	gpus		int,
	collector_version text,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (cluster, node)
);

-- A job as seen on any node. An array task is a job of its own (its own job_id).
CREATE TABLE sexec.job (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	array_job_id	bigint,
	array_task_id	bigint,
	uid		int NOT NULL,
	user_name	text NOT NULL,
	job_name	text,
	partition	text,
	account		text,
	restarts	int NOT NULL DEFAULT 0,
	first_seen	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (cluster, job_id)
);
CREATE INDEX job_array_idx ON sexec.job (cluster, array_job_id, array_task_id);
CREATE INDEX job_user_idx ON sexec.job (user_name, first_seen);

-- A step on one node. 'step' is sacct's spelling: batch, extern, interactive, 0, 1 ...
CREATE TABLE sexec.step (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	user_name	text NOT NULL,
	alloc_cpus	int,
	alloc_mem_mb	bigint,
	alloc_cores	text,
	ntasks		int,
	nnodes		int,
	start_time	timestamptz NOT NULL,
	end_time	timestamptz,
	-- What the collector could not see for this step, so a partial record
	-- is never passed off as complete.
	lost_events	bigint NOT NULL DEFAULT 0,
	lost_tracking	bigint NOT NULL DEFAULT 0,
	complete	boolean NOT NULL DEFAULT false,
	PRIMARY KEY (cluster, job_id, step, node)
);

CREATE TABLE sexec.task (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	task_id		int NOT NULL,
	gtask_id	int,
	pid		int NOT NULL,
	user_name	text NOT NULL,
	start_time	timestamptz NOT NULL,
	end_time	timestamptz,
	exit_status	int,
	PRIMARY KEY (cluster, job_id, step, node, task_id)
);

-- One row per process (thread group), from the kernel's accounting at exit.
-- The natural key makes a replayed batch a no-op.
CREATE TABLE sexec.process (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	pid		int NOT NULL,
	start_time	timestamptz NOT NULL,
	task_id		int,
	ppid		int,
	end_time	timestamptz NOT NULL,
	user_name	text NOT NULL,
	exe		text,
	argv		text[],
	argv_truncated	boolean NOT NULL DEFAULT false,
	tool		text,
	cpu_user_us	bigint NOT NULL,
	cpu_sys_us	bigint NOT NULL,
	exit_code	int,		-- exit(2) value, NULL when killed by a signal
	signal		int NOT NULL DEFAULT 0,
	core_dumped	boolean NOT NULL DEFAULT false,
	threads		int,
	rss_peak_kb	bigint,
	read_bytes	bigint,
	write_bytes	bigint,
	rchar		bigint,
	wchar		bigint,
	syscr		bigint,
	syscw		bigint,
	vol_ctxsw	bigint,
	invol_ctxsw	bigint,
	minflt		bigint,
	majflt		bigint,
	PRIMARY KEY (cluster, job_id, step, node, pid, start_time)
);

-- Row-level security: a reader sees the rows of their own jobs; members of
-- sexec_admin see everything; the collector writes and reads back what it wrote.
DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['job', 'step', 'task', 'process'] LOOP
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
GRANT SELECT ON sexec.node TO sexec_reader;
GRANT SELECT, INSERT, UPDATE ON sexec.node TO sexec_collector;
