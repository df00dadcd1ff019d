-- SPDX-License-Identifier: GPL-2.0-or-later
-- Short-lived processes per tool: how many of a step's processes lived less
-- than a second, and the CPU they used, so a report can say "1,912 processes
-- shorter than 1 s used 18% of CPU" without reading a million process rows.
-- NULL on rows written before this migration.
ALTER TABLE sexec.step_tool ADD COLUMN short_processes bigint;
ALTER TABLE sexec.step_tool ADD COLUMN short_cpu_us bigint;

-- Why a job has no records: whether a collector ever reported from its node,
-- and whether it recorded any step there while the job ran. Row-level
-- security hides other users' steps from a reader, so this answers with one
-- word and nothing else: 'never' (no collector ever ran there), 'active'
-- (it recorded steps then: the job opted out, or the plugin is not enabled
-- for it), 'silent' (it recorded nothing then: it was down, or nothing else
-- ran there while an opted-out job did). A step
-- never closed counts only if it started in the window.
CREATE OR REPLACE FUNCTION sexec.node_activity(p_cluster text, p_node text,
	p_from timestamptz, p_to timestamptz)
RETURNS text LANGUAGE sql STABLE SECURITY DEFINER SET search_path = sexec, pg_temp AS $$
	SELECT CASE
		WHEN NOT EXISTS (SELECT 1 FROM sexec.node n
			WHERE (p_cluster = '' OR n.cluster = p_cluster) AND n.node = p_node)
			THEN 'never'
		WHEN EXISTS (SELECT 1 FROM sexec.step s
			WHERE (p_cluster = '' OR s.cluster = p_cluster) AND s.node = p_node
			AND s.start_time <= p_to AND coalesce(s.end_time, s.start_time) >= p_from)
			THEN 'active'
		ELSE 'silent' END
$$;
REVOKE ALL ON FUNCTION sexec.node_activity(text, text, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sexec.node_activity(text, text, timestamptz, timestamptz) TO sexec_reader;
