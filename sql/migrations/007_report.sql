-- SPDX-License-Identifier: GPL-2.0-or-later
-- Schema version 7, for the report views.
--
-- Short-lived processes per tool: how many of a step's processes lived less
-- than a second, and the CPU they used, so a report can say "1,912 processes
-- shorter than 1 s used 18% of CPU" without reading a million process rows.
-- NULL on rows written before this migration.
ALTER TABLE sexec.step_tool ADD COLUMN short_processes bigint;
ALTER TABLE sexec.step_tool ADD COLUMN short_cpu_us bigint;

-- Whether a node's collector was running: set at its start and its clean
-- stop, and refreshed every minute while it reaches the database. `sexec`
-- tells from these why a job has no records (collector down, or opted out)
-- without looking at other users' jobs. NULL: a collector older than this.
ALTER TABLE sexec.node ADD COLUMN started_at timestamptz;
ALTER TABLE sexec.node ADD COLUMN last_seen timestamptz;
ALTER TABLE sexec.node ADD COLUMN stopped_at timestamptz;

-- Each step_tool row priced at its step's rates: a tool's used cost is its
-- CPU-hours and GB-hours at the rates its step's cost record applied (NULL
-- without one), and its demand is the time its threads were on a CPU, in the
-- run queue, blocked on I/O or stalled on memory (docs/time.md). The job
-- report's tools and the pipeline view read it, so they price alike. The
-- readers' row-level security applies through it (security_invoker).
CREATE VIEW sexec.step_tool_cost WITH (security_invoker = true) AS
	SELECT t.*, t.on_cpu_us + t.runq_us + t.io_us + t.mem_us AS demand_us, c.currency,
		CASE WHEN c.currency IS NOT NULL THEN
			coalesce(c.core_rate, 0) * (t.cpu_user_us + t.cpu_sys_us) / 3600000000.0
			+ coalesce(c.gb_rate, 0) * t.rss_kb_us / (1024.0 * 1024.0 * 3600000000.0)
		END AS used_cost
	FROM sexec.step_tool t LEFT JOIN sexec.step_cost c ON c.cluster = t.cluster
		AND c.job_id = t.job_id AND c.step = t.step AND c.node = t.node
		AND c.restart = t.restart;
GRANT SELECT ON sexec.step_tool_cost TO sexec_reader;
