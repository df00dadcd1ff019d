-- SPDX-License-Identifier: GPL-2.0-or-later
-- Per pipeline, run and tool: CPU-hours, memory GB-hours, I/O-wait share and
-- used cost, with each tool's share of its run's used cost.
--
-- Usage: psql -d sexec [-v from=DATE] [-v to=DATE] [-v cluster=NAME]
--             [-v pipeline=NAME] [-v rates_at=TIMESTAMP] -f pipeline.sql
--   from, to   job runs whose first step started in [from, to) (default: from
--              the start of the previous month to now)
--   cluster    one cluster (default: all)
--   pipeline   one pipeline (default: all; jobs without one are '(none)')
--   rates_at   price under the rates valid then (default: the cost records)
-- A tool's used cost is its CPU-hours and GB-hours at its step's rates, so
-- the tools of a step add up to the step's used cost. Processes no tool rule
-- recognised are '(other)'. io_wait_pct is the share of the tool's demand
-- (time on CPU, in the run queue, blocked on I/O and stalled on memory; see
-- docs/time.md) spent blocked on I/O; empty where the time breakdown was not
-- measured.
--
-- Sample: the seeded data of tests/integration/t_reports.sh, as an admin, with
-- psql -A -v from=2026-09-01 -v to=2026-11-01 -v cluster=reports -v pipeline=rnaseq:
--   pipeline|run|tool|jobs|processes|cpu_h|gb_h|io_wait_pct|currency|used_cost|cost_share_pct
--   rnaseq|r1|STAR|1|4|3.00|2.00|25.0|EUR|0.32|65.3
--   rnaseq|r1|python|1|1|1.00|1.00||EUR|0.11|22.4
--   rnaseq|r1|bash|1|2|0.50|1.00||EUR|0.06|12.2
--   rnaseq|r2|STAR|1|3|6.00|10.00|50.0|EUR|1.30|85.5
--   rnaseq|r2|samtools|1|2|1.00|2.00||EUR|0.22|14.5

\ir params.psql
\if :{?pipeline}
\else
\set pipeline ''
\endif

WITH t AS (
	SELECT coalesce(j.pipeline, '(none)') AS pipeline, coalesce(j.run, '') AS run,
		CASE WHEN st.tool = '' THEN '(other)' ELSE st.tool END AS tool,
		st.cluster, st.job_id, st.processes, st.io_us,
		st.on_cpu_us + st.runq_us + st.io_us + st.mem_us AS demand_us,
		(st.cpu_user_us + st.cpu_sys_us) / 3600000000.0 AS cpu_h,
		st.rss_kb_us / (1024.0 * 1024.0 * 3600000000.0) AS gb_h,
		sc.currency,
		CASE WHEN sc.currency IS NOT NULL THEN
			coalesce(sc.core_rate, 0) * (st.cpu_user_us + st.cpu_sys_us) / 3600000000.0
			+ coalesce(sc.gb_rate, 0) * st.rss_kb_us / (1024.0 * 1024.0 * 3600000000.0)
		END AS cost
	FROM sexec.step_costs(NULLIF(:'rates_at', '')::timestamptz,
		coalesce(NULLIF(:'from', '')::timestamptz, date_trunc('month', now()) - interval '1 month'),
		coalesce(NULLIF(:'to', '')::timestamptz, now())) sc
	JOIN sexec.step_tool st ON st.cluster = sc.cluster AND st.job_id = sc.job_id
		AND st.step = sc.step AND st.node = sc.node AND st.restart = sc.restart
	LEFT JOIN sexec.job j ON j.cluster = sc.cluster AND j.job_id = sc.job_id
	WHERE (:'cluster' = '' OR sc.cluster = :'cluster')
	AND (:'pipeline' = '' OR j.pipeline = :'pipeline')
)
SELECT t.pipeline, t.run, t.tool, count(DISTINCT (t.cluster, t.job_id)) AS jobs,
	sum(t.processes) AS processes, round(sum(t.cpu_h), 2) AS cpu_h,
	round(sum(t.gb_h), 2) AS gb_h,
	round(100.0 * sum(t.io_us) / nullif(sum(t.demand_us), 0), 1) AS io_wait_pct, t.currency,
	round(sum(t.cost), 2) AS used_cost,
	round(100 * sum(t.cost) / nullif(sum(sum(t.cost))
		OVER (PARTITION BY t.pipeline, t.run, t.currency), 0), 1) AS cost_share_pct
FROM t
GROUP BY t.pipeline, t.run, t.tool, t.currency
ORDER BY t.pipeline, t.run, t.currency NULLS LAST, sum(t.cost) DESC NULLS LAST, sum(t.cpu_h) DESC,
	t.tool;
