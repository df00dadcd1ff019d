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
