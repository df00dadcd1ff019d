-- SPDX-License-Identifier: GPL-2.0-or-later
-- Allocation accounting: per month, account, user and partition, allocated
-- versus used core-hours and GB-hours, cost, idle cost and efficiency.
--
-- Usage: psql -d sexec [-v from=DATE] [-v to=DATE] [-v cluster=NAME]
--             [-v rates_at=TIMESTAMP] -f allocation.sql
--   from, to   job runs whose first step started in [from, to) (default: from
--              the start of the previous month to now); months in the session
--              time zone (PGTZ)
--   cluster    one cluster (default: all)
--   rates_at   price every job under the rates valid then (default: the cost
--              records, i.e. the rates valid when each step started)
-- Row-level security applies: users see their own jobs, admins every job.
-- The last line per currency ('total') sums the lines above it. Costs are
-- empty where no rate applied; efficiency = used / allocated, in percent.
--
-- Sample: the seeded data of tests/integration/t_reports.sh, as an admin, with
-- psql -A -v from=2026-09-01 -v to=2026-11-01 -v cluster=reports:
--   month|account|user_name|partition|jobs|alloc_core_h|used_core_h|cpu_eff_pct|alloc_gb_h|used_gb_h|mem_eff_pct|currency|alloc_cost|used_cost|idle_cost
--   2026-09|bio|sexectest|cpu|1|2.00|0.50|25.0|2.00|0.50|25.0|EUR|0.22|0.06|0.17
--   2026-09|bio|sexectest2|big|1|16.00|12.00|75.0|32.00|8.00|25.0|EUR|8.32|6.08|2.24
--   2026-09|physics|carol|cpu|1|5.00|3.75|75.0|5.00|1.75|35.0|EUR|0.55|0.39|0.16
--   2026-09|physics|sexectest|cpu|1|8.00|4.50|56.3|8.00|4.00|50.0|EUR|0.88|0.49|0.39
--   2026-10|bio|sexectest2|big|1|2.00|1.50|75.0|2.00|0.00|0.0|EUR|1.02|0.75|0.27
--   2026-10|bio|sexectest2|cpu|1|12.00|3.00|25.0|12.00|6.00|50.0|EUR|2.52|0.66|1.86
--   2026-10|physics|sexectest|cpu|1|8.00|7.00|87.5|32.00|12.00|37.5|EUR|1.92|1.52|0.40
--   total||||7|53.00|32.25|60.8|93.00|32.25|34.7|EUR|15.43|9.95|5.48

\ir params.psql

WITH jc AS (
	SELECT c.*
	FROM sexec.job_cost_at(NULLIF(:'rates_at', '')::timestamptz,
		coalesce(NULLIF(:'from', '')::timestamptz, date_trunc('month', now()) - interval '1 month'),
		coalesce(NULLIF(:'to', '')::timestamptz, now())) c
	WHERE :'cluster' = '' OR c.cluster = :'cluster'
)
SELECT CASE WHEN grouping(date_trunc('month', jc.start_time)) = 1 THEN 'total'
	ELSE to_char(date_trunc('month', jc.start_time), 'YYYY-MM') END AS month,
	jc.account, jc.user_name, jc.partition,
	count(DISTINCT (jc.cluster, jc.job_id)) AS jobs,
	round(sum(jc.alloc_core_h), 2) AS alloc_core_h,
	round(sum(jc.used_core_h), 2) AS used_core_h,
	round(100 * sum(jc.used_core_h)
		/ nullif(sum(jc.alloc_core_h) FILTER (WHERE jc.used_core_h IS NOT NULL), 0), 1) AS cpu_eff_pct,
	round(sum(jc.alloc_gb_h), 2) AS alloc_gb_h,
	round(sum(jc.used_gb_h), 2) AS used_gb_h,
	round(100 * sum(jc.used_gb_h)
		/ nullif(sum(jc.alloc_gb_h) FILTER (WHERE jc.used_gb_h IS NOT NULL), 0), 1) AS mem_eff_pct,
	jc.currency,
	round(sum(jc.alloc_cost), 2) AS alloc_cost,
	round(sum(jc.used_cost), 2) AS used_cost,
	round(sum(jc.idle_cost), 2) AS idle_cost
FROM jc
GROUP BY GROUPING SETS ((date_trunc('month', jc.start_time), jc.account, jc.user_name,
			 jc.partition, jc.currency), (jc.currency))
ORDER BY grouping(date_trunc('month', jc.start_time)), jc.currency NULLS LAST,
	date_trunc('month', jc.start_time), jc.account, jc.user_name, jc.partition;
