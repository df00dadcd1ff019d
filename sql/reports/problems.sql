-- SPDX-License-Identifier: GPL-2.0-or-later
-- Jobs with OOM kills or losses: events the collector lost, processes it could
-- not track, steps it could not record completely, process rows dropped.
--
-- Usage: psql -d sexec [-v from=DATE] [-v to=DATE] [-v cluster=NAME] -f problems.sql
--   from, to   job runs whose first step started in [from, to) (default: from
--              the start of the previous month to now)
--   cluster    one cluster (default: all)
-- oom_kills is empty where it was not measured (collectors before schema 6);
-- incomplete_steps counts ended steps not recorded completely;
-- steps still running are not counted as incomplete.
--
-- Sample: the seeded data of tests/integration/t_reports.sh, as an admin, with
-- psql -A -v from=2026-09-01 -v to=2026-11-01 -v cluster=reports:
--   cluster|job_id|restart|user_name|account|partition|start_time|steps|oom_kills|lost_events|lost_tracking|rows_dropped|incomplete_steps
--   reports|1006|0|sexectest|bio|cpu|2026-09-30 23:00:00+00|1||0|0|3|0
--   reports|1004|0|sexectest|physics|cpu|2026-10-05 12:00:00+00|2||5|0|0|1
--   reports|1005|0|sexectest2|bio|cpu|2026-10-20 00:00:00+00|1|2|0|0|0|0

\ir params.psql

WITH runs AS (
	SELECT s.cluster, s.job_id, s.restart, min(s.user_name) AS user_name,
		min(s.start_time) AS start_time, count(*) AS steps,
		sum(s.oom_kills) AS oom_kills, sum(s.lost_events) AS lost_events,
		sum(s.lost_tracking) AS lost_tracking, sum(s.rows_dropped) AS rows_dropped,
		count(*) FILTER (WHERE s.end_time IS NOT NULL AND NOT s.complete) AS incomplete_steps
	FROM sexec.step s
	WHERE (:'cluster' = '' OR s.cluster = :'cluster')
	AND (s.cluster, s.job_id, s.restart) IN (
		SELECT w.cluster, w.job_id, w.restart FROM sexec.step w
		WHERE w.start_time >= coalesce(NULLIF(:'from', '')::timestamptz,
					       date_trunc('month', now()) - interval '1 month')
		AND w.start_time < coalesce(NULLIF(:'to', '')::timestamptz, now()))
	GROUP BY s.cluster, s.job_id, s.restart
)
SELECT r.cluster, r.job_id, r.restart, coalesce(j.user_name, r.user_name) AS user_name,
	j.account, j.partition, r.start_time,
	r.steps, r.oom_kills, r.lost_events, r.lost_tracking, r.rows_dropped, r.incomplete_steps
FROM runs r
LEFT JOIN sexec.job j ON j.cluster = r.cluster AND j.job_id = r.job_id
WHERE r.start_time >= coalesce(NULLIF(:'from', '')::timestamptz,
			       date_trunc('month', now()) - interval '1 month')
AND r.start_time < coalesce(NULLIF(:'to', '')::timestamptz, now())
AND (r.oom_kills > 0 OR r.lost_events > 0 OR r.lost_tracking > 0 OR r.rows_dropped > 0
     OR r.incomplete_steps > 0)
ORDER BY r.start_time, r.cluster, r.job_id, r.restart;
