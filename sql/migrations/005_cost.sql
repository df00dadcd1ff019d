-- SPDX-License-Identifier: GPL-2.0-or-later
-- Schema version 5: per-tool rollups of every step run, versioned cost rates,
-- a cost record per step run and per job, and what retention needs. See docs/store.md.

-- What a step run did in total, rows written or not, and OOM kills once the
-- cgroup collector reports them (NULL: not measured, which is not zero).
ALTER TABLE sexec.step ADD COLUMN processes bigint;
ALTER TABLE sexec.step ADD COLUMN rows_dropped bigint NOT NULL DEFAULT 0;
ALTER TABLE sexec.step ADD COLUMN oom_kills int;
-- Reports select runs by start time; retention finds old steps by end time.
CREATE INDEX step_start_idx ON sexec.step (start_time);
CREATE INDEX step_end_idx ON sexec.step (end_time);
CREATE INDEX job_first_seen_idx ON sexec.job (first_seen);

-- Per-tool rollup of one step run on one node, written once at step end even
-- when per-process rows were dropped, so totals never depend on the row cap.
CREATE TABLE sexec.step_tool (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	restart		int NOT NULL DEFAULT 0,
	tool		text NOT NULL,		-- '' when no tool was recognised
	user_name	text NOT NULL,
	processes	bigint NOT NULL,
	rows_dropped	bigint NOT NULL DEFAULT 0,	-- processes without a process row
	cpu_user_us	bigint,
	cpu_sys_us	bigint,
	wall_us		bigint,			-- sum of process lifetimes
	rss_peak_kb	bigint,			-- largest peak RSS of one process
	rss_kb_us	numeric,		-- sum of rss_peak_kb * lifetime_us
	read_bytes	bigint,
	write_bytes	bigint,
	PRIMARY KEY (cluster, job_id, step, node, restart, tool)
);

-- Versioned prices. partition NULL: every partition of the cluster; a
-- partition's own rate wins. valid_to NULL: open-ended.
CREATE TABLE sexec.cost_rate (
	id		bigserial PRIMARY KEY,
	cluster		text NOT NULL,
	partition	text,
	resource	text NOT NULL CHECK (resource IN ('core_hour', 'gb_hour', 'gpu_hour',
						      'node_hour', 'billing_hour')),
	rate		numeric NOT NULL CHECK (rate >= 0),
	currency	text NOT NULL DEFAULT 'EUR',
	valid_from	timestamptz NOT NULL,
	valid_to	timestamptz CHECK (valid_to > valid_from),
	note		text
);
CREATE INDEX cost_rate_lookup_idx ON sexec.cost_rate (cluster, resource, valid_from);

-- The cost record of one step run, computed at its end (compute_step_cost).
-- Hours are filled whenever the step is known; costs are NULL without a rate.
CREATE TABLE sexec.step_cost (
	cluster		text NOT NULL,
	job_id		bigint NOT NULL,
	step		text NOT NULL,
	node		text NOT NULL,
	restart		int NOT NULL DEFAULT 0,
	user_name	text NOT NULL,
	elapsed_h	numeric,
	alloc_core_h	numeric,
	used_core_h	numeric,
	alloc_gb_h	numeric,
	used_gb_h	numeric,
	currency	text,
	core_rate	numeric,		-- the rates applied, NULL when none applied
	gb_rate		numeric,
	node_rate	numeric,
	alloc_cost	numeric,
	used_cost	numeric,
	idle_cost	numeric,
	rates_at	timestamptz,		-- the time whose rates were applied
	computed_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (cluster, job_id, step, node, restart)
);

DO $$
DECLARE
	t text;
BEGIN
	FOREACH t IN ARRAY ARRAY['step_tool', 'step_cost'] LOOP
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
-- Rates are public; only admins (and the owner) change them.
GRANT SELECT ON sexec.cost_rate TO sexec_reader, sexec_collector;
GRANT INSERT, UPDATE ON sexec.cost_rate TO sexec_admin;
GRANT USAGE ON SEQUENCE sexec.cost_rate_id_seq TO sexec_admin;

-- The cost of one ended step run under the rates valid at p_rates_at (NULL:
-- at the step's start). Stores nothing. Plain SQL, run as the caller, so
-- row-level security applies and the planner can inline it into reports.
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
		      AND o.node = s.node AND o.restart = s.restart) END AS mem_mb
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
-- cluster-wide one, then the latest start. GPU and billing-TRES rates are
-- not applied: the step does not know those quantities yet.
CROSS JOIN LATERAL (
	SELECT coalesce(p_rates_at, s.start_time) AS rates_at,
		CASE WHEN count(DISTINCT x.currency) = 1 THEN min(x.currency) END AS currency,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'core_hour') END AS core_rate,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'gb_hour') END AS gb_rate,
		CASE WHEN count(DISTINCT x.currency) = 1
			THEN max(x.rate) FILTER (WHERE x.resource = 'node_hour') END AS node_rate
	FROM (SELECT DISTINCT ON (cr.resource) cr.resource, cr.rate, cr.currency
	      FROM sexec.cost_rate cr
	      WHERE cr.cluster = s.cluster
	      AND (cr.partition IS NULL OR cr.partition = j.partition)
	      AND cr.resource IN ('core_hour', 'gb_hour', 'node_hour')
	      AND cr.valid_from <= coalesce(p_rates_at, s.start_time)
	      AND (cr.valid_to IS NULL OR cr.valid_to > coalesce(p_rates_at, s.start_time))
	      ORDER BY cr.resource, cr.partition IS NULL, cr.valid_from DESC, cr.id DESC) x
) r
CROSS JOIN LATERAL (
	SELECT CASE WHEN r.currency IS NOT NULL THEN
			coalesce(r.core_rate, 0) * h.alloc_core_h + coalesce(r.gb_rate, 0) * h.alloc_gb_h
			+ coalesce(r.node_rate, 0) * h.elapsed_h END AS alloc_cost,
		CASE WHEN r.currency IS NOT NULL THEN
			coalesce(r.core_rate, 0) * h.used_core_h
			+ coalesce(r.gb_rate, 0) * h.used_gb_h END AS used_cost
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

-- (Re)compute and store the cost record of one step run; the collector calls
-- it once the step's end and its rollups are written. No row for an open step.
CREATE OR REPLACE FUNCTION sexec.compute_step_cost(p_cluster text, p_job_id bigint,
						   p_step text, p_node text, p_restart int)
RETURNS void LANGUAGE sql AS $$
INSERT INTO sexec.step_cost AS o (cluster, job_id, step, node, restart, user_name, elapsed_h,
	alloc_core_h, used_core_h, alloc_gb_h, used_gb_h, currency, core_rate, gb_rate,
	node_rate, alloc_cost, used_cost, idle_cost, rates_at, computed_at)
SELECT c.cluster, c.job_id, c.step, c.node, c.restart, c.user_name, c.elapsed_h,
	c.alloc_core_h, c.used_core_h, c.alloc_gb_h, c.used_gb_h, c.currency, c.core_rate,
	c.gb_rate, c.node_rate, c.alloc_cost, c.used_cost, c.idle_cost, c.rates_at, c.computed_at
FROM sexec.step_cost_at(p_cluster, p_job_id, p_step, p_node, p_restart, NULL) c
ON CONFLICT (cluster, job_id, step, node, restart) DO UPDATE SET
	user_name = EXCLUDED.user_name, elapsed_h = EXCLUDED.elapsed_h,
	alloc_core_h = EXCLUDED.alloc_core_h, used_core_h = EXCLUDED.used_core_h,
	alloc_gb_h = EXCLUDED.alloc_gb_h, used_gb_h = EXCLUDED.used_gb_h,
	currency = EXCLUDED.currency, core_rate = EXCLUDED.core_rate,
	gb_rate = EXCLUDED.gb_rate, node_rate = EXCLUDED.node_rate,
	alloc_cost = EXCLUDED.alloc_cost, used_cost = EXCLUDED.used_cost,
	idle_cost = EXCLUDED.idle_cost, rates_at = EXCLUDED.rates_at,
	computed_at = EXCLUDED.computed_at
$$;

-- Recompute the stored records of every ended step run (of one cluster,
-- started since p_since), e.g. after rates were entered for the past.
CREATE OR REPLACE FUNCTION sexec.recompute_step_costs(p_cluster text, p_since timestamptz)
RETURNS bigint LANGUAGE sql AS $$
WITH up AS (
	INSERT INTO sexec.step_cost AS o (cluster, job_id, step, node, restart, user_name,
		elapsed_h, alloc_core_h, used_core_h, alloc_gb_h, used_gb_h, currency, core_rate,
		gb_rate, node_rate, alloc_cost, used_cost, idle_cost, rates_at, computed_at)
	SELECT c.cluster, c.job_id, c.step, c.node, c.restart, c.user_name, c.elapsed_h,
		c.alloc_core_h, c.used_core_h, c.alloc_gb_h, c.used_gb_h, c.currency, c.core_rate,
		c.gb_rate, c.node_rate, c.alloc_cost, c.used_cost, c.idle_cost, c.rates_at,
		c.computed_at
	FROM sexec.step s
	CROSS JOIN LATERAL sexec.step_cost_at(s.cluster, s.job_id, s.step, s.node, s.restart,
					      NULL) c
	WHERE s.end_time IS NOT NULL
	AND (p_cluster IS NULL OR s.cluster = p_cluster)
	AND (p_since IS NULL OR s.start_time >= p_since)
	ON CONFLICT (cluster, job_id, step, node, restart) DO UPDATE SET
		user_name = EXCLUDED.user_name, elapsed_h = EXCLUDED.elapsed_h,
		alloc_core_h = EXCLUDED.alloc_core_h, used_core_h = EXCLUDED.used_core_h,
		alloc_gb_h = EXCLUDED.alloc_gb_h, used_gb_h = EXCLUDED.used_gb_h,
		currency = EXCLUDED.currency, core_rate = EXCLUDED.core_rate,
		gb_rate = EXCLUDED.gb_rate, node_rate = EXCLUDED.node_rate,
		alloc_cost = EXCLUDED.alloc_cost, used_cost = EXCLUDED.used_cost,
		idle_cost = EXCLUDED.idle_cost, rates_at = EXCLUDED.rates_at,
		computed_at = EXCLUDED.computed_at
	RETURNING 1
)
SELECT count(*) FROM up
$$;

-- Cost of every ended step of the runs (cluster, job, restart) whose first
-- step started in [p_from, p_to) (NULL bounds: open). p_rates_at NULL: the
-- stored records (computed here for steps that have none); else every step
-- under the rates valid at p_rates_at.
CREATE OR REPLACE FUNCTION sexec.step_costs(p_rates_at timestamptz, p_from timestamptz,
					    p_to timestamptz)
RETURNS TABLE (cluster text, job_id bigint, step text, node text, restart int, user_name text,
	       run_start timestamptz, start_time timestamptz, end_time timestamptz,
	       elapsed_h numeric, alloc_core_h numeric, used_core_h numeric, alloc_gb_h numeric,
	       used_gb_h numeric, currency text, core_rate numeric, gb_rate numeric,
	       node_rate numeric, alloc_cost numeric, used_cost numeric, idle_cost numeric,
	       rates_at timestamptz)
LANGUAGE sql STABLE AS $$
SELECT s.cluster, s.job_id, s.step, s.node, s.restart, s.user_name, s.run_start, s.start_time,
	s.end_time, c.elapsed_h, c.alloc_core_h, c.used_core_h, c.alloc_gb_h, c.used_gb_h,
	c.currency, c.core_rate, c.gb_rate, c.node_rate, c.alloc_cost, c.used_cost, c.idle_cost,
	c.rates_at
FROM (
	SELECT st.*, min(st.start_time) OVER (PARTITION BY st.cluster, st.job_id, st.restart)
		AS run_start
	FROM sexec.step st
	WHERE (p_from IS NULL AND p_to IS NULL)
	OR (st.cluster, st.job_id, st.restart) IN (
		SELECT w.cluster, w.job_id, w.restart FROM sexec.step w
		WHERE (p_from IS NULL OR w.start_time >= p_from)
		AND (p_to IS NULL OR w.start_time < p_to))
) s
CROSS JOIN LATERAL (
	SELECT sc.elapsed_h, sc.alloc_core_h, sc.used_core_h, sc.alloc_gb_h, sc.used_gb_h,
		sc.currency, sc.core_rate, sc.gb_rate, sc.node_rate, sc.alloc_cost, sc.used_cost,
		sc.idle_cost, sc.rates_at
	FROM sexec.step_cost sc
	WHERE p_rates_at IS NULL AND sc.cluster = s.cluster AND sc.job_id = s.job_id
	AND sc.step = s.step AND sc.node = s.node AND sc.restart = s.restart
	UNION ALL
	SELECT a.elapsed_h, a.alloc_core_h, a.used_core_h, a.alloc_gb_h, a.used_gb_h,
		a.currency, a.core_rate, a.gb_rate, a.node_rate, a.alloc_cost, a.used_cost,
		a.idle_cost, a.rates_at
	FROM sexec.step_cost_at(s.cluster, s.job_id, s.step, s.node, s.restart, p_rates_at) a
	WHERE p_rates_at IS NOT NULL OR NOT EXISTS (
		SELECT 1 FROM sexec.step_cost sc
		WHERE sc.cluster = s.cluster AND sc.job_id = s.job_id AND sc.step = s.step
		AND sc.node = s.node AND sc.restart = s.restart)
) c
WHERE s.end_time IS NOT NULL
AND (p_from IS NULL OR s.run_start >= p_from) AND (p_to IS NULL OR s.run_start < p_to)
$$;

-- Cost of job runs. Steps overlap: the extern step (else the batch step)
-- spans the allocation on its node and gives the allocated figures there;
-- on a node with neither, the steps' own allocations add up. Use is the sum
-- over all steps; idle = allocated - used, never below 0. A sum that lacks a
-- term (no rate, unknown use) is NULL, as are costs in mixed currencies.
CREATE OR REPLACE FUNCTION sexec.job_cost_at(p_rates_at timestamptz, p_from timestamptz,
					     p_to timestamptz)
RETURNS TABLE (cluster text, job_id bigint, restart int, user_name text, account text,
	       partition text, job_name text, pipeline text, run text, nodes bigint,
	       steps bigint, open_steps bigint, start_time timestamptz, end_time timestamptz,
	       alloc_core_h numeric, used_core_h numeric, alloc_gb_h numeric, used_gb_h numeric,
	       currency text, alloc_cost numeric, used_cost numeric, idle_cost numeric)
LANGUAGE sql STABLE AS $$
WITH sc AS (
	SELECT x.*,
		CASE WHEN bool_or(x.step = 'extern') OVER w THEN x.step = 'extern'
		WHEN bool_or(x.step = 'batch') OVER w THEN x.step = 'batch'
		ELSE true END AS spans
	FROM sexec.step_costs(p_rates_at, p_from, p_to) x
	WINDOW w AS (PARTITION BY x.cluster, x.job_id, x.restart, x.node)
), per_node AS (
	SELECT sc.cluster, sc.job_id, sc.restart, sc.node, min(sc.user_name) AS user_name,
		min(sc.run_start) AS start_time, max(sc.end_time) AS end_time, count(*) AS steps,
		CASE WHEN count(*) FILTER (WHERE sc.spans) = count(sc.alloc_core_h) FILTER (WHERE sc.spans)
			THEN sum(sc.alloc_core_h) FILTER (WHERE sc.spans) END AS alloc_core_h,
		CASE WHEN count(*) FILTER (WHERE sc.spans) = count(sc.alloc_gb_h) FILTER (WHERE sc.spans)
			THEN sum(sc.alloc_gb_h) FILTER (WHERE sc.spans) END AS alloc_gb_h,
		CASE WHEN count(*) FILTER (WHERE sc.spans) = count(sc.alloc_cost) FILTER (WHERE sc.spans)
			THEN sum(sc.alloc_cost) FILTER (WHERE sc.spans) END AS alloc_cost,
		CASE WHEN count(*) = count(sc.used_core_h) THEN sum(sc.used_core_h) END AS used_core_h,
		CASE WHEN count(*) = count(sc.used_gb_h) THEN sum(sc.used_gb_h) END AS used_gb_h,
		CASE WHEN count(*) = count(sc.used_cost) THEN sum(sc.used_cost) END AS used_cost,
		CASE WHEN count(*) = count(sc.currency) AND count(DISTINCT sc.currency) = 1
			THEN min(sc.currency) END AS currency
	FROM sc
	GROUP BY sc.cluster, sc.job_id, sc.restart, sc.node
), per_run AS (
	SELECT n.cluster, n.job_id, n.restart, min(n.user_name) AS user_name,
		count(*) AS nodes, sum(n.steps) AS steps,
		min(n.start_time) AS start_time, max(n.end_time) AS end_time,
		CASE WHEN count(*) = count(n.alloc_core_h) THEN sum(n.alloc_core_h) END AS alloc_core_h,
		CASE WHEN count(*) = count(n.used_core_h) THEN sum(n.used_core_h) END AS used_core_h,
		CASE WHEN count(*) = count(n.alloc_gb_h) THEN sum(n.alloc_gb_h) END AS alloc_gb_h,
		CASE WHEN count(*) = count(n.used_gb_h) THEN sum(n.used_gb_h) END AS used_gb_h,
		CASE WHEN count(*) = count(n.currency) AND count(DISTINCT n.currency) = 1
			THEN min(n.currency) END AS currency,
		CASE WHEN count(*) = count(n.alloc_cost) THEN sum(n.alloc_cost) END AS alloc_cost,
		CASE WHEN count(*) = count(n.used_cost) THEN sum(n.used_cost) END AS used_cost
	FROM per_node n
	GROUP BY n.cluster, n.job_id, n.restart
)
SELECT r.cluster, r.job_id, r.restart, coalesce(j.user_name, r.user_name), j.account,
	j.partition, j.job_name, j.pipeline, j.run, r.nodes, r.steps,
	(SELECT count(*) FROM sexec.step o WHERE o.cluster = r.cluster AND o.job_id = r.job_id
	 AND o.restart = r.restart AND o.end_time IS NULL),
	r.start_time, r.end_time, r.alloc_core_h, r.used_core_h, r.alloc_gb_h, r.used_gb_h,
	r.currency,
	CASE WHEN r.currency IS NOT NULL THEN r.alloc_cost END,
	CASE WHEN r.currency IS NOT NULL THEN r.used_cost END,
	CASE WHEN r.currency IS NOT NULL AND r.alloc_cost IS NOT NULL AND r.used_cost IS NOT NULL
		THEN greatest(r.alloc_cost - r.used_cost, 0) END
FROM per_run r
LEFT JOIN sexec.job j ON j.cluster = r.cluster AND j.job_id = r.job_id
$$;

-- Every job run under its stored cost records. A view over a function that
-- runs as the caller: row-level security applies to whoever reads it.
CREATE OR REPLACE VIEW sexec.job_cost AS SELECT * FROM sexec.job_cost_at(NULL, NULL, NULL);

REVOKE ALL ON FUNCTION sexec.step_cost_at(text, bigint, text, text, int, timestamptz),
	sexec.step_costs(timestamptz, timestamptz, timestamptz),
	sexec.job_cost_at(timestamptz, timestamptz, timestamptz),
	sexec.compute_step_cost(text, bigint, text, text, int),
	sexec.recompute_step_costs(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sexec.step_cost_at(text, bigint, text, text, int, timestamptz),
	sexec.step_costs(timestamptz, timestamptz, timestamptz),
	sexec.job_cost_at(timestamptz, timestamptz, timestamptz)
	TO sexec_reader, sexec_collector;
GRANT EXECUTE ON FUNCTION sexec.compute_step_cost(text, bigint, text, text, int)
	TO sexec_collector;
GRANT SELECT ON sexec.job_cost TO sexec_reader, sexec_collector;

-- Retention: the jobs whose every step ended (or, left open, started) before
-- p_cutoff, and jobs without steps first seen before it.
CREATE OR REPLACE FUNCTION sexec.retention_candidates(p_cutoff timestamptz, p_cluster text)
RETURNS TABLE (cluster text, job_id bigint) LANGUAGE sql STABLE AS $$
SELECT DISTINCT s.cluster, s.job_id FROM sexec.step s
WHERE (s.end_time < p_cutoff OR (s.end_time IS NULL AND s.start_time < p_cutoff))
AND (p_cluster IS NULL OR s.cluster = p_cluster)
AND NOT EXISTS (SELECT 1 FROM sexec.step o WHERE o.cluster = s.cluster AND o.job_id = s.job_id
		AND coalesce(o.end_time, o.start_time) >= p_cutoff)
UNION
SELECT j.cluster, j.job_id FROM sexec.job j
WHERE j.first_seen < p_cutoff AND (p_cluster IS NULL OR j.cluster = p_cluster)
AND NOT EXISTS (SELECT 1 FROM sexec.step o WHERE o.cluster = j.cluster AND o.job_id = j.job_id)
$$;

-- Rows retention_delete would remove.
CREATE OR REPLACE FUNCTION sexec.retention_count(p_cutoff timestamptz, p_cluster text)
RETURNS TABLE (jobs bigint, steps bigint, tasks bigint, processes bigint, tool_rows bigint,
	       cost_rows bigint)
LANGUAGE sql STABLE AS $$
WITH v AS (SELECT * FROM sexec.retention_candidates(p_cutoff, p_cluster))
SELECT (SELECT count(*) FROM v),
	(SELECT count(*) FROM sexec.step x JOIN v USING (cluster, job_id)),
	(SELECT count(*) FROM sexec.task x JOIN v USING (cluster, job_id)),
	(SELECT count(*) FROM sexec.process x JOIN v USING (cluster, job_id)),
	(SELECT count(*) FROM sexec.step_tool x JOIN v USING (cluster, job_id)),
	(SELECT count(*) FROM sexec.step_cost x JOIN v USING (cluster, job_id))
$$;

-- Delete at most p_batch old jobs with all their rows; returns what went.
-- One call is one transaction: callers loop until jobs = 0.
CREATE OR REPLACE FUNCTION sexec.retention_delete(p_cutoff timestamptz, p_cluster text, p_batch int)
RETURNS TABLE (jobs bigint, steps bigint, tasks bigint, processes bigint, tool_rows bigint,
	       cost_rows bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_cl text[];
	v_id bigint[];
BEGIN
	SELECT coalesce(array_agg(c.cluster), '{}'), coalesce(array_agg(c.job_id), '{}')
		INTO v_cl, v_id
		FROM (SELECT * FROM sexec.retention_candidates(p_cutoff, p_cluster)
		      LIMIT p_batch) c;
	jobs := cardinality(v_id);
	DELETE FROM sexec.process x USING unnest(v_cl, v_id) AS v(cl, id)
		WHERE x.cluster = v.cl AND x.job_id = v.id;
	GET DIAGNOSTICS processes = ROW_COUNT;
	DELETE FROM sexec.task x USING unnest(v_cl, v_id) AS v(cl, id)
		WHERE x.cluster = v.cl AND x.job_id = v.id;
	GET DIAGNOSTICS tasks = ROW_COUNT;
	DELETE FROM sexec.step_tool x USING unnest(v_cl, v_id) AS v(cl, id)
		WHERE x.cluster = v.cl AND x.job_id = v.id;
	GET DIAGNOSTICS tool_rows = ROW_COUNT;
	DELETE FROM sexec.step_cost x USING unnest(v_cl, v_id) AS v(cl, id)
		WHERE x.cluster = v.cl AND x.job_id = v.id;
	GET DIAGNOSTICS cost_rows = ROW_COUNT;
	DELETE FROM sexec.step x USING unnest(v_cl, v_id) AS v(cl, id)
		WHERE x.cluster = v.cl AND x.job_id = v.id;
	GET DIAGNOSTICS steps = ROW_COUNT;
	DELETE FROM sexec.job x USING unnest(v_cl, v_id) AS v(cl, id)
		WHERE x.cluster = v.cl AND x.job_id = v.id;
	RETURN NEXT;
END
$$;
-- Years of data: the per-process rows are most of the volume, and reports
-- read only jobs, steps, rollups and cost records. Delete the process rows of
-- the jobs whose every step ended before p_cutoff, walking steps by end time
-- from p_after, about p_batch steps per call; next_after is where the next
-- call starts, NULL when done.
CREATE OR REPLACE FUNCTION sexec.retention_strip(p_cutoff timestamptz, p_cluster text,
						 p_after timestamptz, p_batch int)
RETURNS TABLE (jobs bigint, processes bigint, next_after timestamptz)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
	v_last timestamptz;
	v_n bigint;
	v_hi timestamptz;
BEGIN
	SELECT max(b.end_time), count(*) INTO v_last, v_n
		FROM (SELECT s.end_time FROM sexec.step s
		      WHERE s.end_time >= p_after AND s.end_time < p_cutoff
		      AND (p_cluster IS NULL OR s.cluster = p_cluster)
		      ORDER BY s.end_time LIMIT p_batch) b;
	IF v_n < p_batch THEN
		v_hi := p_cutoff;
		next_after := NULL;
	ELSIF v_last > p_after THEN
		v_hi := v_last;		-- the steps ending at v_last: next call
		next_after := v_last;
	ELSE
		-- A whole batch ending at the same instant: take them all.
		v_hi := v_last + interval '1 microsecond';
		next_after := v_hi;
	END IF;
	WITH v AS (
		SELECT DISTINCT s.cluster, s.job_id FROM sexec.step s
		WHERE s.end_time >= p_after AND s.end_time < v_hi
		AND (p_cluster IS NULL OR s.cluster = p_cluster)
		AND NOT EXISTS (SELECT 1 FROM sexec.step o
				WHERE o.cluster = s.cluster AND o.job_id = s.job_id
				AND coalesce(o.end_time, o.start_time) >= p_cutoff)
	), d AS (
		DELETE FROM sexec.process x USING v
		WHERE x.cluster = v.cluster AND x.job_id = v.job_id
		RETURNING x.cluster, x.job_id
	)
	SELECT count(DISTINCT (d.cluster, d.job_id)), count(*) INTO jobs, processes FROM d;
	RETURN NEXT;
END
$$;

-- What retention_strip would delete: jobs with process rows, and those rows.
CREATE OR REPLACE FUNCTION sexec.retention_strip_count(p_cutoff timestamptz, p_cluster text)
RETURNS TABLE (jobs bigint, processes bigint) LANGUAGE sql STABLE AS $$
SELECT count(DISTINCT (p.cluster, p.job_id)), count(*)
FROM sexec.process p
JOIN (SELECT DISTINCT s.cluster, s.job_id FROM sexec.step s
      WHERE s.end_time < p_cutoff AND (p_cluster IS NULL OR s.cluster = p_cluster)
      AND NOT EXISTS (SELECT 1 FROM sexec.step o
		      WHERE o.cluster = s.cluster AND o.job_id = s.job_id
		      AND coalesce(o.end_time, o.start_time) >= p_cutoff)) v
	ON p.cluster = v.cluster AND p.job_id = v.job_id
$$;
REVOKE ALL ON FUNCTION sexec.retention_candidates(timestamptz, text),
	sexec.retention_count(timestamptz, text),
	sexec.retention_delete(timestamptz, text, int),
	sexec.retention_strip(timestamptz, text, timestamptz, int),
	sexec.retention_strip_count(timestamptz, text) FROM PUBLIC;

-- Existing data: rollups and process counts of the step runs from the
-- process rows already stored (a process belongs to the run of its step that
-- had started last when it ended, as the collector counts), then cost
-- records (NULL costs until rates are entered; sexec-dbadmin cost recompute).
INSERT INTO sexec.step_tool (cluster, job_id, step, node, restart, tool, user_name, processes,
	cpu_user_us, cpu_sys_us, wall_us, rss_peak_kb, rss_kb_us, read_bytes, write_bytes)
SELECT p.cluster, p.job_id, p.step, p.node, s.restart, coalesce(p.tool, ''), min(s.user_name),
	count(*), sum(p.cpu_user_us), sum(p.cpu_sys_us),
	coalesce(sum(extract(epoch FROM p.end_time - p.start_time) * 1000000), 0),
	coalesce(max(p.rss_peak_kb), 0),
	coalesce(sum(p.rss_peak_kb * extract(epoch FROM p.end_time - p.start_time) * 1000000), 0),
	coalesce(sum(p.read_bytes), 0), coalesce(sum(p.write_bytes), 0)
FROM sexec.process p
CROSS JOIN LATERAL (
	SELECT s.restart, s.user_name FROM sexec.step s
	WHERE s.cluster = p.cluster AND s.job_id = p.job_id AND s.step = p.step
	AND s.node = p.node AND s.start_time <= p.end_time
	ORDER BY s.start_time DESC LIMIT 1
) s
GROUP BY p.cluster, p.job_id, p.step, p.node, s.restart, coalesce(p.tool, '');

UPDATE sexec.step s SET processes = coalesce((SELECT sum(t.processes) FROM sexec.step_tool t
	WHERE t.cluster = s.cluster AND t.job_id = s.job_id AND t.step = s.step
	AND t.node = s.node AND t.restart = s.restart), 0)
WHERE s.end_time IS NOT NULL;

SELECT sexec.recompute_step_costs(NULL, NULL);
