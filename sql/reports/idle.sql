-- SPDX-License-Identifier: GPL-2.0-or-later
-- The jobs whose allocation cost most for what they did not use: top idle
-- cost, then top idle core-hours for jobs without a rate.
--
-- Usage: psql -d sexec [-v limit=N] [-v from=DATE] [-v to=DATE] [-v cluster=NAME]
--             [-v rates_at=TIMESTAMP] -f idle.sql
--   limit      how many jobs (default 20)
--   from, to   job runs whose first step started in [from, to) (default: from
--              the start of the previous month to now)
--   cluster    one cluster (default: all)
--   rates_at   price under the rates valid then (default: the cost records)
-- A requeued job's runs add up. idle_core_h = allocated - used core-hours.
--
-- Sample: the seeded data of tests/integration/t_reports.sh, as an admin, with
-- psql -A -v from=2026-09-01 -v to=2026-11-01 -v cluster=reports -v limit=3:
--   cluster|job_id|user_name|account|partition|runs|alloc_core_h|used_core_h|idle_core_h|cpu_eff_pct|currency|alloc_cost|idle_cost
--   reports|1002|sexectest2|bio|big|1|16.00|12.00|4.00|75.0|EUR|8.32|2.24
--   reports|1005|sexectest2|bio|cpu|1|12.00|3.00|9.00|25.0|EUR|2.52|1.86
--   reports|1004|sexectest|physics|cpu|1|8.00|7.00|1.00|87.5|EUR|1.92|0.40

\if :{?limit}
\else
\set limit 20
\endif
\ir params.psql

SELECT c.cluster, c.job_id, min(c.user_name) AS user_name, min(c.account) AS account,
	min(c.partition) AS partition, count(*) AS runs,
	round(sum(c.alloc_core_h), 2) AS alloc_core_h, round(sum(c.used_core_h), 2) AS used_core_h,
	round(sum(c.alloc_core_h) - sum(c.used_core_h), 2) AS idle_core_h,
	round(100 * sum(c.used_core_h) / nullif(sum(c.alloc_core_h), 0), 1) AS cpu_eff_pct,
	c.currency, round(sum(c.alloc_cost), 2) AS alloc_cost, round(sum(c.idle_cost), 2) AS idle_cost
FROM sexec.job_cost_at(NULLIF(:'rates_at', '')::timestamptz,
	coalesce(NULLIF(:'from', '')::timestamptz, date_trunc('month', now()) - interval '1 month'),
	coalesce(NULLIF(:'to', '')::timestamptz, now())) c
WHERE :'cluster' = '' OR c.cluster = :'cluster'
GROUP BY c.cluster, c.job_id, c.currency
ORDER BY sum(c.idle_cost) DESC NULLS LAST, sum(c.alloc_core_h) - sum(c.used_core_h) DESC NULLS LAST,
	c.cluster, c.job_id
LIMIT (:'limit')::bigint;
