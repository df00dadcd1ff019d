-- SPDX-License-Identifier: GPL-2.0-or-later
-- Short-lived processes per tool: how many of a step's processes lived less
-- than a second, and the CPU they used, so a report can say "1,912 processes
-- shorter than 1 s used 18% of CPU" without reading a million process rows.
-- NULL on rows written before this migration.
ALTER TABLE sexec.step_tool ADD COLUMN short_processes bigint;
ALTER TABLE sexec.step_tool ADD COLUMN short_cpu_us bigint;

-- Why a job has no records: whether a collector ever reported from its node,
-- and whether it was recording there while the job ran. Row-level security
-- hides other users' rows from a reader, so this answers with one word:
-- 'never' (no collector ever reported from the node), 'active' (it recorded
-- there in the window: a step started or ended, or a running step was
-- sampled; so the job opted out, or the plugin is not enabled for it),
-- 'silent' (nothing: it was down, or nothing else ran there). The window is
-- widened to whole hours, so the answer tells no more about other users' jobs
-- than whether a node was busy in an hour, which sinfo shows anyway.
CREATE OR REPLACE FUNCTION sexec.node_activity(p_cluster text, p_node text,
	p_from timestamptz, p_to timestamptz)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sexec, pg_temp AS $$
	WITH w AS (SELECT date_trunc('hour', p_from) AS t0,
		date_trunc('hour', p_to) + interval '1 hour' AS t1)
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM sexec.node n
			WHERE (p_cluster = '' OR n.cluster = p_cluster) AND n.node = p_node)
			THEN 'never'
		WHEN EXISTS (SELECT 1 FROM sexec.step s, w
			WHERE (p_cluster = '' OR s.cluster = p_cluster) AND s.node = p_node
			AND ((s.start_time >= w.t0 AND s.start_time < w.t1)
			OR (s.end_time >= w.t0 AND s.end_time < w.t1)))
		OR EXISTS (SELECT 1 FROM sexec.sample m, w
			WHERE (p_cluster = '' OR m.cluster = p_cluster) AND m.node = p_node
			AND m.t >= w.t0 AND m.t < w.t1)
			THEN 'active'
		ELSE 'silent' END
$$;
REVOKE ALL ON FUNCTION sexec.node_activity(text, text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sexec.node_activity(text, text, timestamptz, timestamptz) TO sexec_reader;
