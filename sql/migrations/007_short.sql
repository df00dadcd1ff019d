-- SPDX-License-Identifier: GPL-2.0-or-later
-- Short-lived processes per tool: how many of a step's processes lived less
-- than a second, and the CPU they used, so a report can say "1,912 processes
-- shorter than 1 s used 18% of CPU" without reading a million process rows.
-- NULL on rows written before this migration.
ALTER TABLE sexec.step_tool ADD COLUMN short_processes bigint;
ALTER TABLE sexec.step_tool ADD COLUMN short_cpu_us bigint;
