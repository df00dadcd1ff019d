#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Cost and reports on seeded data: versioned rates, step and job cost records,
# the four reports as an admin and as users, and retention, each total
# checked against the arithmetic written next to it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DSN="host=/var/run/postgresql port=$PGPORT dbname=sexec"
REPORTS=$PREFIX/share/sexec/sql/reports
FROM=2026-09-01
TO=2026-11-01

dbadmin() { runuser -u postgres -- "$PREFIX/sbin/sexec-dbadmin" -d "$DSN" "$@"; }

# Everything this test writes lives in clusters 'reports', 'reports_keep' and
# 'reports_gpu' (and the real job's rows, removed by job id).
cleanup() {
	local t
	for t in process task step_tool step_cost step job cost_rate; do
		db "DELETE FROM sexec.$t WHERE cluster IN ('reports', 'reports_keep', 'reports_gpu')" >/dev/null
	done
}

# vals EXPR...: SQL that prints the expressions '|'-separated, numbers without
# trailing zeros, NULL as 'null'.
vals() {
	local e out=""
	for e in "$@"; do
		out+="${out:+ || '|' || }coalesce(trim_scale(($e)::numeric)::text, 'null')"
	done
	echo "$out"
}

# report USER FILE [NAME=VALUE...]: the report's rows, '|'-separated, months in UTC.
report() {
	local u=$1 f=$2 v args=()
	shift 2
	for v in "$@"; do args+=(-v "$v"); done
	runuser -u "$u" -- env PGTZ=UTC psql -X -At -h /var/run/postgresql -p "$PGPORT" -d sexec \
		-v ON_ERROR_STOP=1 "${args[@]}" -f "$REPORTS/$f" 2>&1
}

psql_as() {
	runuser -u "$1" -- psql -X -At -h /var/run/postgresql -p "$PGPORT" -d sexec -c "$2" 2>&1
}

echo "t_reports: cost records, reports and retention on seeded data"
out=$(dbadmin migrate 2>&1)
# The newest migration shipped is the version a migrated database reports.
newest=$(ls "$(dirname "$0")"/../../sql/migrations/[0-9][0-9][0-9]_*.sql | sed 's|.*/0*\([0-9]*\)_.*|\1|' | sort -n | tail -n 1)
check_eq "migrate is idempotent" "schema version $newest" "$(tail -n 1 <<<"$out")"
cleanup

# ---------------------------------------------------------------- rates
# A core 0.10 (ended 2026-10-01), B core 0.20 from 2026-10-01, C GB 0.01,
# D core 0.50 on partition big, E node 1.00 on partition cpu in August 2026,
# G GPU 2.00 (stored, not applied: steps do not know their GPUs yet).
rate_id() { sed -n 's/^rate \([0-9]*\):.*/\1/p' <<<"$1"; }
out=$(dbadmin rate add --cluster Reports --resource core_hour --rate 0.10 --from 2026-01-01)
A=$(rate_id "$out")
check_eq "rate add prints the rate (cluster lower-cased)" \
	"rate $A: core_hour 0.10 EUR per core-hour on reports, every partition, from 2026-01-01 00:00:00+00" \
	"$out"
B=$(rate_id "$(dbadmin rate add --cluster reports --resource core_hour --rate 0.20 --from 2026-10-01)")
dbadmin rate add --cluster reports --resource gb_hour --rate 0.01 --from 2026-01-01 >/dev/null
dbadmin rate add --cluster reports --partition big --resource core_hour --rate 0.50 \
	--from 2026-01-01 >/dev/null
dbadmin rate add --cluster reports --partition cpu --resource node_hour --rate 1 \
	--from 2026-08-01 --to 2026-09-01 >/dev/null
dbadmin rate add --cluster reports --resource gpu_hour --rate 2 --currency EUR \
	--from 2026-01-01 --note "x'); DROP TABLE sexec.job; --" >/dev/null
check_eq "rate end closes rate A" \
	"rate $A: core_hour 0.10 EUR on reports, every partition, from 2026-01-01 00:00:00+00 to 2026-10-01 00:00:00+00" \
	"$(dbadmin rate end "$A" --at 2026-10-01)"
check_eq "a note is stored as given, never run" "x'); DROP TABLE sexec.job; --|true" \
	"$(db "SELECT note || '|' || (to_regclass('sexec.job') IS NOT NULL) FROM sexec.cost_rate
	       WHERE cluster = 'reports' AND resource = 'gpu_hour'")"
check_eq "rate list shows the 6 rates" 6 \
	"$(dbadmin rate list --cluster reports | grep -c '| reports ')"
check_eq "rate list --at shows the 4 rates valid then (B, C, D, G)" 4 \
	"$(dbadmin rate list --cluster reports --at 2026-10-15 | grep -c '| reports ')"
dbadmin rate add --cluster reports --resource cpu_hour --rate 1 --from 2026-01-01 >/dev/null 2>&1
check_eq "rate add refuses an unknown resource (usage error)" 2 $?
dbadmin rate add --cluster reports --resource core_hour --rate 1e3 --from 2026-01-01 >/dev/null 2>&1
check_eq "rate add refuses a rate that is not a plain number" 2 $?
dbadmin rate add --cluster reports --resource core_hour --rate 1 --from yesterdayish >/dev/null 2>&1
check_eq "rate add refuses a bad timestamp" 1 $?
dbadmin rate end "$B" --at 2025-01-01 >/dev/null 2>&1
check_eq "rate end refuses an end before the start" 1 $?
dbadmin rate end 999999999 --at 2027-01-01 >/dev/null 2>&1
check_eq "rate end of a missing rate fails" 1 $?
check_eq "a user cannot change rates" "ERROR:  permission denied for table cost_rate" \
	"$(psql_as "$TEST_USER" "UPDATE sexec.cost_rate SET rate = 0" | head -n 1)"

# ---------------------------------------------------------------- seeds
# One node n1 (n2 for job 1003). Hours h are stored as h * 3.6e9 us of CPU
# (3/4 user, 1/4 system); GB-hours g as rss_kb_us = g * 1024 * 1024 * 3.6e9.
db "
INSERT INTO sexec.job (cluster, job_id, uid, user_name, partition, account, pipeline, run, restarts)
VALUES ('reports', 1001, 5001, '$TEST_USER', 'cpu', 'physics', 'rnaseq', 'r1', 0),
       ('reports', 1002, 5002, '$TEST_USER2', 'big', 'bio', NULL, NULL, 0),
       ('reports', 1003, 5003, 'carol', 'cpu', 'physics', NULL, NULL, 0),
       ('reports', 1004, 5001, '$TEST_USER', 'cpu', 'physics', 'rnaseq', 'r2', 0),
       ('reports', 1005, 5002, '$TEST_USER2', 'cpu', 'bio', NULL, NULL, 0),
       ('reports', 1006, 5001, '$TEST_USER', 'cpu', 'bio', NULL, NULL, 0),
       ('reports', 1007, 5003, 'carol', 'cpu', 'physics', NULL, NULL, 0),
       ('reports', 1008, 5002, '$TEST_USER2', 'big', 'bio', NULL, NULL, 1),
       ('reports', 1009, 5003, 'carol', 'cpu', 'physics', NULL, NULL, 0),
       ('reports', 1010, 5003, 'carol', 'big', 'physics', NULL, NULL, 0),
       ('reports', 1011, 5001, '$TEST_USER', 'cpu', 'physics', NULL, NULL, 0),
       ('reports', 1012, 5003, 'carol', 'cpu', 'physics', NULL, NULL, 0);
INSERT INTO sexec.step (cluster, job_id, step, node, restart, user_name, alloc_cpus, alloc_mem_mb,
			start_time, end_time, processes, lost_events, complete, rows_dropped, oom_kills)
SELECT 'reports', v.* FROM (VALUES
 (1001, 'extern', 'n1', 0, '$TEST_USER', 0, 4096, '2026-09-10 10:00+00'::timestamptz, '2026-09-10 12:00+00'::timestamptz, 0, 0, true, 0, NULL::int),
 (1001, 'batch', 'n1', 0, '$TEST_USER', 4, 4096, '2026-09-10 10:00+00', '2026-09-10 11:00+00', 3, 0, true, 0, NULL),
 (1001, '0', 'n1', 0, '$TEST_USER', 4, 4096, '2026-09-10 11:00+00', '2026-09-10 12:00+00', 4, 0, true, 0, NULL),
 (1002, 'batch', 'n1', 0, '$TEST_USER2', 8, 16384, '2026-09-15 00:00+00', '2026-09-15 02:00+00', 10, 0, true, 0, NULL),
 (1003, '0', 'n1', 0, 'carol', 2, 2048, '2026-09-20 08:00+00', '2026-09-20 09:00+00', 2, 0, true, 0, NULL),
 (1003, '0', 'n2', 0, 'carol', 2, 2048, '2026-09-20 08:00+00', '2026-09-20 09:00+00', 2, 0, true, 0, NULL),
 (1003, '1', 'n1', 0, 'carol', 2, 2048, '2026-09-20 09:00+00', '2026-09-20 09:30+00', 1, 0, true, 0, NULL),
 (1004, 'extern', 'n1', 0, '$TEST_USER', 0, 8192, '2026-10-05 12:00+00', '2026-10-05 16:00+00', 0, 0, true, 0, NULL),
 (1004, 'batch', 'n1', 0, '$TEST_USER', 2, 8192, '2026-10-05 12:00+00', '2026-10-05 16:00+00', 5, 5, false, 0, NULL),
 (1005, 'batch', 'n1', 0, '$TEST_USER2', 4, 4096, '2026-10-20 00:00+00', '2026-10-20 03:00+00', 2, 0, true, 0, 2),
 (1006, 'batch', 'n1', 0, '$TEST_USER', 1, 1024, '2026-09-30 23:00+00', '2026-10-01 01:00+00', 4, 0, true, 3, NULL),
 (1007, 'batch', 'n1', 0, 'carol', 2, 2048, '2025-12-31 10:00+00', '2025-12-31 11:00+00', 1, 0, true, 0, NULL),
 (1008, 'batch', 'n1', 0, '$TEST_USER2', 1, 1024, '2026-10-10 00:00+00', '2026-10-10 01:00+00', 1, 0, true, 0, NULL),
 (1008, 'batch', 'n1', 1, '$TEST_USER2', 1, 1024, '2026-10-10 02:00+00', '2026-10-10 03:00+00', 1, 0, true, 0, NULL),
 (1009, 'batch', 'n1', 0, 'carol', 1, 1024, '2026-08-15 00:00+00', '2026-08-15 01:00+00', 1, 0, true, 0, NULL),
 (1010, 'batch', 'n1', 0, 'carol', 1, 1024, '2026-08-20 00:00+00', '2026-08-20 01:00+00', 1, 0, true, 0, NULL),
 (1011, 'batch', 'n1', 0, '$TEST_USER', 2, 2048, '2026-10-25 00:00+00', NULL, NULL, 0, false, 0, NULL),
 (1012, 'batch', 'n1', 0, 'carol', 1, 1024, '2026-08-25 00:00+00', '2026-08-25 01:00+00', NULL, 0, true, 0, NULL)
) v;
INSERT INTO sexec.step_tool (cluster, job_id, step, node, restart, tool, user_name, processes,
			     rows_dropped, cpu_user_us, cpu_sys_us, wall_us, rss_peak_kb, rss_kb_us)
SELECT 'reports', v.job_id, v.step, v.node, v.restart, v.tool, v.u, v.n, v.dropped,
	floor(v.cpu_h * 3600000000 * 3 / 4)::bigint,
	(v.cpu_h * 3600000000)::bigint - floor(v.cpu_h * 3600000000 * 3 / 4)::bigint,
	3600000000, 1048576, v.gb_h * 1024 * 1024 * 3600000000
FROM (VALUES
 (1001, 'batch', 'n1', 0, 'bash', '$TEST_USER', 2, 0, 0.5, 1.0),
 (1001, 'batch', 'n1', 0, 'python', '$TEST_USER', 1, 0, 1.0, 1.0),
 (1001, '0', 'n1', 0, 'STAR', '$TEST_USER', 4, 0, 3.0, 2.0),
 (1002, 'batch', 'n1', 0, 'bwa', '$TEST_USER2', 10, 0, 12, 8),
 (1003, '0', 'n1', 0, 'gmx', 'carol', 2, 0, 1.5, 0.5),
 (1003, '0', 'n2', 0, 'gmx', 'carol', 2, 0, 2.0, 1.0),
 (1003, '1', 'n1', 0, '', 'carol', 1, 0, 0.25, 0.25),
 (1004, 'batch', 'n1', 0, 'STAR', '$TEST_USER', 3, 0, 6, 10),
 (1004, 'batch', 'n1', 0, 'samtools', '$TEST_USER', 2, 0, 1, 2),
 (1005, 'batch', 'n1', 0, 'java', '$TEST_USER2', 2, 0, 3, 6),
 (1006, 'batch', 'n1', 0, 'python', '$TEST_USER', 4, 3, 0.5, 0.5),
 (1007, 'batch', 'n1', 0, 'cp', 'carol', 1, 0, 1.0, 0.5),
 (1008, 'batch', 'n1', 0, 'sort', '$TEST_USER2', 1, 0, 0.5, 0),
 (1008, 'batch', 'n1', 1, 'sort', '$TEST_USER2', 1, 0, 1.0, 0),
 (1009, 'batch', 'n1', 0, 'awk', 'carol', 1, 0, 0.5, 0.5),
 (1010, 'batch', 'n1', 0, 'java', 'carol', 1, 0, 0.9, 10)
) v(job_id, step, node, restart, tool, u, n, dropped, cpu_h, gb_h)" >/dev/null
check_eq "seeded 18 steps" 18 "$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'reports'")"

# ---------------------------------------------------------------- step cost records
# The collector's call, as the collector, for every step (the open one gets none).
db "SET ROLE sexec_collector;
    SELECT sexec.compute_step_cost(cluster, job_id, step, node, restart)
    FROM sexec.step WHERE cluster = 'reports'" >/dev/null
check_eq "sexec_collector computes cost records, none for the open step" 17 \
	"$(db "SELECT count(*) FROM sexec.step_cost WHERE cluster = 'reports'")"
stepcost() {
	db "SELECT $(vals alloc_core_h used_core_h alloc_gb_h used_gb_h alloc_cost used_cost idle_cost)
	    || '|' || coalesce(currency, 'null') FROM sexec.step_cost
	    WHERE cluster = 'reports' AND job_id = $1 AND step = '$2' AND node = '${3:-n1}'
	    AND restart = ${4:-0}"
}
# 1001 batch, 1 h on 4 CPUs and 4 GiB: 4 core-h, 4 GB-h allocated; bash 0.5 +
# python 1 = 1.5 core-h and 1 + 1 = 2 GB-h used. Rates at 2026-09-10: core 0.10,
# GB 0.01: allocated 4*0.10 + 4*0.01 = 0.44, used 1.5*0.10 + 2*0.01 = 0.17, idle 0.27.
check_eq "step cost 1001 batch" "4|1.5|4|2|0.44|0.17|0.27|EUR" "$(stepcost 1001 batch)"
# The extern step is recorded with 0 CPUs: it takes its run's largest
# allocation on the node (4): 2 h * 4 = 8 core-h; 4 GiB * 2 h = 8 GB-h; no
# processes: used 0. 8*0.10 + 8*0.01 = 0.88, all idle.
check_eq "extern step: CPUs of its run, no use" "8|0|8|0|0.88|0|0.88|EUR" "$(stepcost 1001 extern)"
# 1002 on partition big: its core rate 0.50 wins over 0.10. 2 h * 8 CPUs = 16
# core-h, 16 GiB * 2 h = 32 GB-h: 16*0.50 + 32*0.01 = 8.32; used 12*0.50 +
# 8*0.01 = 6.08; idle 2.24.
check_eq "partition rate wins" "16|12|32|8|8.32|6.08|2.24|EUR" "$(stepcost 1002 batch)"
# 1006 starts 2026-09-30 23:00 and ends after the rate change: the rate at its
# start (0.10) applies. 2 h * 1 CPU = 2 core-h, 2 GB-h: 0.22; used 0.5*0.10 +
# 0.5*0.01 = 0.055; idle 0.165.
check_eq "the rate valid at the step's start applies" "2|0.5|2|0.5|0.22|0.055|0.165|EUR" \
	"$(stepcost 1006 batch)"
# 1009 in August, partition cpu: node rate 1.00 too: 1*0.10 + 1*0.01 + 1 h * 1.00
# = 1.11; used 0.5*0.10 + 0.5*0.01 = 0.055; idle 1.055. The GPU rate adds nothing.
check_eq "node-hour rate" "1|0.5|1|0.5|1.11|0.055|1.055|EUR" "$(stepcost 1009 batch)"
# 1010 on big: allocated 1*0.50 + 1*0.01 = 0.51; used 0.9*0.50 + 10*0.01 = 0.55
# (RSS over lifetime counts shared pages per process): idle is 0, not -0.04.
check_eq "idle cost never below 0" "1|0.9|1|10|0.51|0.55|0|EUR" "$(stepcost 1010 batch)"
# 1007 ran before any rate: hours filled, costs NULL (not 0).
check_eq "no rate: costs NULL, hours kept" "2|1|2|0.5|null|null|null|null" "$(stepcost 1007 batch)"
# 1012: neither a process count nor rollups (an older collector): use unknown.
# Allocated 1*0.10 + 1*0.01 + 1*1.00 (node rate, August) = 1.11.
check_eq "use not measured: used NULL, not 0" "1|null|1|null|1.11|null|null|EUR" \
	"$(stepcost 1012 batch)"
check_eq "rates_at is the step's start, rates applied are kept" "true|0.1|0.01|null" \
	"$(db "SELECT (c.rates_at = s.start_time)::text || '|' || $(vals c.core_rate c.gb_rate c.node_rate)
	       FROM sexec.step_cost c JOIN sexec.step s USING (cluster, job_id, step, node, restart)
	       WHERE c.cluster = 'reports' AND c.job_id = 1001 AND c.step = 'batch'")"
before=$(stepcost 1001 batch)
db "SELECT sexec.compute_step_cost('reports', 1001, 'batch', 'n1', 0);
    SELECT sexec.compute_step_cost('reports', 1001, 'batch', 'n1', 0)" >/dev/null
check_eq "computing twice changes nothing" "1|$before" \
	"$(db "SELECT count(*) FROM sexec.step_cost WHERE cluster = 'reports' AND job_id = 1001
	       AND step = 'batch'")|$(stepcost 1001 batch)"
check_eq "a user cannot compute cost records" \
	"ERROR:  permission denied for function compute_step_cost" \
	"$(psql_as "$TEST_USER" "SELECT sexec.compute_step_cost('reports', 1001, 'batch', 'n1', 0)" |
		head -n 1)"
# Under the rates of 2026-10-15 (core 0.20): 1001 batch 4*0.20 + 4*0.01 = 0.84,
# used 1.5*0.20 + 2*0.01 = 0.32, idle 0.52; 1007 under 2026-06-01 rates:
# 2*0.10 + 2*0.01 = 0.22, used 1*0.10 + 0.5*0.01 = 0.105, idle 0.115.
check_eq "step_cost_at recomputes under other rates" "0.84|0.32|0.52" \
	"$(db "SELECT $(vals alloc_cost used_cost idle_cost)
	       FROM sexec.step_cost_at('reports', 1001, 'batch', 'n1', 0, '2026-10-15')")"
check_eq "step_cost_at prices a step that had no rate" "0.22|0.105|0.115" \
	"$(db "SELECT $(vals alloc_cost used_cost idle_cost)
	       FROM sexec.step_cost_at('reports', 1007, 'batch', 'n1', 0, '2026-06-01')")"
check_eq "step_cost_at stores nothing" "0.44" \
	"$(db "SELECT $(vals alloc_cost) FROM sexec.step_cost WHERE cluster = 'reports'
	       AND job_id = 1001 AND step = 'batch'")"
check_eq "a user gets no cost for another user's step" 0 \
	"$(psql_as "$TEST_USER2" "SELECT count(*) FROM sexec.step_cost_at('reports', 1001, 'batch', 'n1', 0, NULL)")"

# ---------------------------------------------------------------- job cost (overlap rule)
jobcost() {
	db "SELECT $(vals nodes steps alloc_core_h used_core_h alloc_gb_h used_gb_h alloc_cost used_cost idle_cost)
	    FROM sexec.job_cost WHERE cluster = 'reports' AND job_id = $1 AND restart = ${2:-0}"
}
# 1001: the extern step spans the allocation: 8 core-h and 8 GB-h, cost 0.88
# (not 8 + 4 + 4 = 16 core-h); used is every step's: 0 + 1.5 + 3 = 4.5 core-h,
# 0 + 2 + 2 = 4 GB-h, 0.17 + 0.32 = 0.49; idle 0.88 - 0.49 = 0.39.
check_eq "job cost: the extern step gives the allocation" "1|3|8|4.5|8|4|0.88|0.49|0.39" \
	"$(jobcost 1001)"
# 1004: extern 4 h * 2 CPUs = 8 core-h, 8 GiB * 4 h = 32 GB-h at core 0.20:
# 1.6 + 0.32 = 1.92; used STAR 6 + samtools 1 = 7 core-h, 12 GB-h: 1.4 + 0.12 =
# 1.52; idle 0.40.
check_eq "job cost: extern over batch" "1|2|8|7|32|12|1.92|1.52|0.4" "$(jobcost 1004)"
# 1003 has neither extern nor batch: its steps add up. n1: step 0 (2 core-h)
# and step 1 (0.5 h * 2 = 1); n2: step 0 (2): 5 core-h, 5 GB-h; 5*0.10 +
# 5*0.01 = 0.55; used 1.5 + 0.25 + 2 = 3.75 core-h, 0.5 + 0.25 + 1 = 1.75 GB-h:
# 0.375 + 0.0175 = 0.3925; idle 0.1575.
check_eq "job cost: steps add up without a spanning step" "2|3|5|3.75|5|1.75|0.55|0.3925|0.1575" \
	"$(jobcost 1003)"
check_eq "job cost: the batch step alone" "1|1|16|12|32|8|8.32|6.08|2.24" "$(jobcost 1002)"
# 1008 was requeued: one row per run, 1 core-h each at 0.50 + 1 GB-h at 0.01.
check_eq "job cost: a requeued job's second run" "1|1|1|1|1|0|0.51|0.5|0.01" "$(jobcost 1008 1)"
check_eq "job cost: no row for a job whose steps are all running" 0 \
	"$(db "SELECT count(*) FROM sexec.job_cost WHERE cluster = 'reports' AND job_id = 1011")"
check_eq "job cost: a job without rates has NULL costs" "2|1|null|null|null" \
	"$(db "SELECT $(vals alloc_core_h used_core_h alloc_cost used_cost idle_cost)
	       FROM sexec.job_cost WHERE cluster = 'reports' AND job_id = 1007")"
check_eq "job cost rows: admin 12 (1008 twice, not 1011), $TEST_USER 3, $TEST_USER2 4" "12|3|4" \
	"$(psql_as root "SELECT count(*) FROM sexec.job_cost WHERE cluster = 'reports'")|$(
	   psql_as "$TEST_USER" "SELECT count(*) FROM sexec.job_cost WHERE cluster = 'reports'")|$(
	   psql_as "$TEST_USER2" "SELECT count(*) FROM sexec.job_cost WHERE cluster = 'reports'")"

# ---------------------------------------------------------------- allocation report
# Runs that started in September and October 2026 (1001-1006, 1008):
#   month   account user        part  alloc core-h/used  GB-h alloc/used  cost alloc/used/idle
#   2026-09 bio     $TEST_USER  cpu   2 / 0.5            2 / 0.5          0.22 / 0.055 / 0.165   (1006)
#   2026-09 bio     $TEST_USER2 big   16 / 12            32 / 8           8.32 / 6.08 / 2.24     (1002)
#   2026-09 physics carol       cpu   5 / 3.75           5 / 1.75         0.55 / 0.3925 / 0.1575 (1003)
#   2026-09 physics $TEST_USER  cpu   8 / 4.5            8 / 4            0.88 / 0.49 / 0.39     (1001)
#   2026-10 bio     $TEST_USER2 big   2 / 1.5            2 / 0            1.02 / 0.75 / 0.27     (1008, 2 runs)
#   2026-10 bio     $TEST_USER2 cpu   12 / 3             12 / 6           2.52 / 0.66 / 1.86     (1005)
#   2026-10 physics $TEST_USER  cpu   8 / 7              32 / 12          1.92 / 1.52 / 0.40     (1004)
#   total: 53 / 32.25 core-h (60.8 %), 93 / 32.25 GB-h (34.7 %), 15.43 / 9.9475 / 5.4825
alloc=$(report root allocation.sql from=$FROM to=$TO cluster=reports)
check_eq "allocation report (admin)" "2026-09|bio|$TEST_USER|cpu|1|2.00|0.50|25.0|2.00|0.50|25.0|EUR|0.22|0.06|0.17
2026-09|bio|$TEST_USER2|big|1|16.00|12.00|75.0|32.00|8.00|25.0|EUR|8.32|6.08|2.24
2026-09|physics|carol|cpu|1|5.00|3.75|75.0|5.00|1.75|35.0|EUR|0.55|0.39|0.16
2026-09|physics|$TEST_USER|cpu|1|8.00|4.50|56.3|8.00|4.00|50.0|EUR|0.88|0.49|0.39
2026-10|bio|$TEST_USER2|big|1|2.00|1.50|75.0|2.00|0.00|0.0|EUR|1.02|0.75|0.27
2026-10|bio|$TEST_USER2|cpu|1|12.00|3.00|25.0|12.00|6.00|50.0|EUR|2.52|0.66|1.86
2026-10|physics|$TEST_USER|cpu|1|8.00|7.00|87.5|32.00|12.00|37.5|EUR|1.92|1.52|0.40
total||||7|53.00|32.25|60.8|93.00|32.25|34.7|EUR|15.43|9.95|5.48" "$alloc"
# $TEST_USER: 1006, 1001, 1004: 2 + 8 + 8 = 18 / 0.5 + 4.5 + 7 = 12 core-h
# (66.7 %), 2 + 8 + 32 = 42 / 0.5 + 4 + 12 = 16.5 GB-h (39.3 %),
# 0.22 + 0.88 + 1.92 = 3.02 / 0.055 + 0.49 + 1.52 = 2.065 / 0.955.
check_eq "allocation report total ($TEST_USER sees only their jobs)" \
	"total||||3|18.00|12.00|66.7|42.00|16.50|39.3|EUR|3.02|2.07|0.96" \
	"$(report "$TEST_USER" allocation.sql from=$FROM to=$TO cluster=reports | tail -n 1)"
# $TEST_USER2: 1002, 1005, 1008: 16 + 12 + 2 = 30 / 12 + 3 + 1.5 = 16.5 (55 %),
# 32 + 12 + 2 = 46 / 8 + 6 + 0 = 14 (30.4 %), 8.32 + 2.52 + 1.02 = 11.86 /
# 6.08 + 0.66 + 0.75 = 7.49 / 4.37.
check_eq "allocation report total ($TEST_USER2)" \
	"total||||3|30.00|16.50|55.0|46.00|14.00|30.4|EUR|11.86|7.49|4.37" \
	"$(report "$TEST_USER2" allocation.sql from=$FROM to=$TO cluster=reports | tail -n 1)"
check_eq "$TEST_USER2's report has none of $TEST_USER's or carol's rows" 0 \
	"$(report "$TEST_USER2" allocation.sql from=$FROM to=$TO cluster=reports |
		grep -c -e "|$TEST_USER|" -e '|carol|')"
# Under the rates of 2026-10-15 (core 0.20 on cpu) the September cpu jobs cost
# more: 1001 8*0.20 + 0.08 = 1.68 (+0.80), used 0.90 (+0.45); 1003 1.05
# (+0.50), used 0.7675 (+0.375); 1006 0.42 (+0.20), used 0.105 (+0.05):
# allocated 15.43 + 1.50 = 16.93, used 9.9475 + 0.875 = 10.8225, idle 6.1075.
check_eq "allocation report under other rates (rates_at)" \
	"total||||7|53.00|32.25|60.8|93.00|32.25|34.7|EUR|16.93|10.82|6.11" \
	"$(report root allocation.sql from=$FROM to=$TO cluster=reports rates_at=2026-10-15 | tail -n 1)"
check_eq "allocation report of October only: 1004, 1005, 1008" \
	"total||||3|22.00|11.50|52.3|46.00|18.00|39.1|EUR|5.46|2.93|2.53" \
	"$(report root allocation.sql from=2026-10-01 to=$TO cluster=reports | tail -n 1)"

# ---------------------------------------------------------------- pipeline report
# I/O wait: rnaseq r1 STAR 3 h on CPU and 1 h blocked on I/O of 4 h demand
# (25.0 %); r2 STAR 6 h and 6 h (50.0 %, sleep is not demand); the rest were
# not measured (empty).
db "UPDATE sexec.step_tool SET on_cpu_us = 3 * 3600000000::bigint, runq_us = 0,
	io_us = 3600000000, mem_us = 0, sleep_us = 0
    WHERE cluster = 'reports' AND job_id = 1001 AND tool = 'STAR';
    UPDATE sexec.step_tool SET on_cpu_us = 6 * 3600000000::bigint, runq_us = 0,
	io_us = 6 * 3600000000::bigint, mem_us = 0, sleep_us = 7200000000
    WHERE cluster = 'reports' AND job_id = 1004 AND tool = 'STAR'" >/dev/null
# rnaseq r1 (1001, core 0.10): STAR 3 core-h + 2 GB-h = 0.32, python 1 + 1 =
# 0.11, bash 0.5 + 1 = 0.06; of 0.49: 65.3, 22.4, 12.2 %. r2 (1004, core
# 0.20): STAR 6 + 10 = 1.30, samtools 1 + 2 = 0.22; of 1.52: 85.5, 14.5 %.
check_eq "pipeline report for rnaseq" "rnaseq|r1|STAR|1|4|3.00|2.00|25.0|EUR|0.32|65.3
rnaseq|r1|python|1|1|1.00|1.00||EUR|0.11|22.4
rnaseq|r1|bash|1|2|0.50|1.00||EUR|0.06|12.2
rnaseq|r2|STAR|1|3|6.00|10.00|50.0|EUR|1.30|85.5
rnaseq|r2|samtools|1|2|1.00|2.00||EUR|0.22|14.5" \
	"$(report root pipeline.sql from=$FROM to=$TO cluster=reports pipeline=rnaseq)"
# Every job: CPU-hours add up to the allocation report's 32.25, costs to 9.9475.
pipe=$(report root pipeline.sql from=$FROM to=$TO cluster=reports)
check_eq "pipeline report: CPU-hours of every tool add up" 32.25 \
	"$(awk -F'|' '{ s += $6 } END { printf "%.2f", s }' <<<"$pipe")"
check_near "pipeline report: tool costs add up to the used cost" 9.9475 \
	"$(awk -F'|' '{ s += $10 } END { printf "%.4f", s }' <<<"$pipe")" 0 0.02
# Jobs without a pipeline: bwa 12 core-h * 0.50 + 8 GB-h * 0.01 = 6.08 of
# 6.08 + 0.365 (gmx) + 0.0275 (other) + 0.66 (java) + 0.055 (python) + 0.75
# (sort) = 7.9375: 76.6 %. Unrecognised processes are '(other)'.
check_eq "pipeline report: jobs without a pipeline" "(none)||bwa|1|10|12.00|8.00||EUR|6.08|76.6" \
	"$(grep '|bwa|' <<<"$pipe")"
check_eq "pipeline report: unrecognised processes" "(none)||(other)|1|1|0.25|0.25||EUR|0.03|0.3" \
	"$(grep '(other)' <<<"$pipe")"
# $TEST_USER2: bwa 12 + java 3 + sort 1.5 = 16.5 CPU-hours.
check_eq "pipeline report as $TEST_USER2: own tools only" "bwa sort java|16.5" \
	"$(report "$TEST_USER2" pipeline.sql from=$FROM to=$TO cluster=reports |
		awk -F'|' '{ t = t (t ? " " : "") $3; s += $6 } END { print t "|" s }')"

# ---------------------------------------------------------------- idle report
# Idle cost: 1002 2.24, 1005 1.86, 1004 0.40, 1001 0.39, 1008 0.27, 1006 0.165, 1003 0.1575.
check_eq "idle report, top 3" "reports|1002|$TEST_USER2|bio|big|1|16.00|12.00|4.00|75.0|EUR|8.32|2.24
reports|1005|$TEST_USER2|bio|cpu|1|12.00|3.00|9.00|25.0|EUR|2.52|1.86
reports|1004|$TEST_USER|physics|cpu|1|8.00|7.00|1.00|87.5|EUR|1.92|0.40" \
	"$(report root idle.sql from=$FROM to=$TO cluster=reports limit=3)"
check_eq "idle report as $TEST_USER: own jobs, in order" "1004 1001 1006" \
	"$(report "$TEST_USER" idle.sql from=$FROM to=$TO cluster=reports | cut -d'|' -f2 | xargs)"
# 1008's two runs: 2 core-h allocated, 1.5 used, idle 0.27.
check_eq "idle report adds a requeued job's runs" "reports|1008|$TEST_USER2|bio|big|2|2.00|1.50|0.50|75.0|EUR|1.02|0.27" \
	"$(report root idle.sql from=$FROM to=$TO cluster=reports | grep '|1008|')"

# ---------------------------------------------------------------- problems report
check_eq "problems report: rows dropped, lost events, OOM kills" \
	"reports|1006|0|$TEST_USER|bio|cpu|2026-09-30 23:00:00+00|1||0|0|3|0
reports|1004|0|$TEST_USER|physics|cpu|2026-10-05 12:00:00+00|2||5|0|0|1
reports|1005|0|$TEST_USER2|bio|cpu|2026-10-20 00:00:00+00|1|2|0|0|0|0" \
	"$(report root problems.sql from=$FROM to=$TO cluster=reports)"
check_eq "problems report as $TEST_USER2: own job only" 1005 \
	"$(report "$TEST_USER2" problems.sql from=$FROM to=$TO cluster=reports | cut -d'|' -f2)"
for f in allocation pipeline idle problems; do
	report root $f.sql >/dev/null
	check_eq "$f report takes its defaults when no variable is set" 0 $?
done

# ---------------------------------------------------------------- retention
# cluster reports: 2001 ended in 2010 (2 steps, 2 tasks, 3 processes, 1 rollup,
# 2 cost records), 2002 has a step of 2010 and one of 2026 (kept), 2003 only a
# step left open in 2010, 2004 no step and first seen in 2010. reports_keep
# holds a copy of 2001 that a --cluster reports run must not touch.
db "
INSERT INTO sexec.job (cluster, job_id, uid, user_name, first_seen)
SELECT c, j, 5001, '$TEST_USER', '2010-03-01+00'
FROM unnest(ARRAY['reports', 'reports', 'reports', 'reports', 'reports_keep'],
	    ARRAY[2001, 2002, 2003, 2004, 2001]) AS v(c, j);
INSERT INTO sexec.step (cluster, job_id, step, node, user_name, alloc_cpus, start_time, end_time, complete)
SELECT v.c, v.j, v.s, 'n1', '$TEST_USER', 1, v.st::timestamptz, v.en::timestamptz, true FROM (VALUES
 ('reports', 2001, 'extern', '2010-01-01 00:00+00', '2010-01-01 02:00+00'),
 ('reports', 2001, 'batch', '2010-01-01 00:00+00', '2010-01-01 01:00+00'),
 ('reports', 2002, 'batch', '2010-01-01 00:00+00', '2010-01-01 01:00+00'),
 ('reports', 2002, '0', '2026-10-01 00:00+00', '2026-10-01 01:00+00'),
 ('reports', 2003, 'batch', '2010-02-01 00:00+00', NULL),
 ('reports_keep', 2001, 'batch', '2010-01-01 00:00+00', '2010-01-01 01:00+00')) v(c, j, s, st, en);
INSERT INTO sexec.task (cluster, job_id, step, node, task_id, pid, user_name, start_time)
SELECT 'reports', 2001, 'batch', 'n1', t, 100 + t, '$TEST_USER', '2010-01-01 00:00+00'
FROM generate_series(0, 1) t;
INSERT INTO sexec.process (cluster, job_id, step, node, pid, start_time, end_time, user_name,
			   cpu_user_us, cpu_sys_us)
SELECT c, 2001, 'batch', 'n1', p, '2010-01-01 00:00+00', '2010-01-01 00:30+00', '$TEST_USER', 1, 1
FROM (VALUES ('reports', 100), ('reports', 101), ('reports', 102), ('reports_keep', 100)) v(c, p);
INSERT INTO sexec.step_tool (cluster, job_id, step, node, restart, tool, user_name, processes)
VALUES ('reports', 2001, 'batch', 'n1', 0, '', '$TEST_USER', 3);
SELECT sexec.recompute_step_costs('reports', '2010-01-01');" >/dev/null
dbadmin retention --older-than 5 >/dev/null 2>&1
check_eq "retention refuses an interval without a unit" 2 $?
dbadmin retention --older-than '2 hours' >/dev/null 2>&1
check_eq "retention refuses less than a day" 2 $?
# --processes-only: 2001's 3 process rows (2002 has a recent step, 2003 no
# ended step, 2004 no step); a batch of 1 step walks the two steps that end
# at the same instant (2001 and 2002 batch) and 2001's extern step.
check_eq "retention --processes-only --dry-run counts" "  3 processes of 1 jobs" \
	"$(dbadmin retention --older-than '10 years' --cluster reports --processes-only --dry-run |
		tail -n 1)"
check_eq "retention --processes-only deletes them, one step per transaction" \
	"  3 processes of 1 jobs" \
	"$(dbadmin retention --older-than '10 years' --cluster reports --processes-only --batch 1 |
		tail -n 1)"
check_eq "--processes-only keeps the job, steps, tasks, rollups and cost records" "1|2|2|0|1|2" \
	"$(db "SELECT concat_ws('|', (SELECT count(*) FROM sexec.job WHERE cluster = 'reports' AND job_id = 2001),
		(SELECT count(*) FROM sexec.step WHERE cluster = 'reports' AND job_id = 2001),
		(SELECT count(*) FROM sexec.task WHERE cluster = 'reports' AND job_id = 2001),
		(SELECT count(*) FROM sexec.process WHERE cluster = 'reports' AND job_id = 2001),
		(SELECT count(*) FROM sexec.step_tool WHERE cluster = 'reports' AND job_id = 2001),
		(SELECT count(*) FROM sexec.step_cost WHERE cluster = 'reports' AND job_id = 2001))")"
check_eq "retention --dry-run counts" "  3 jobs, 3 steps, 2 tasks, 0 processes, 1 tool rollups, 2 cost records" \
	"$(dbadmin retention --older-than '10 years' --cluster reports --dry-run | tail -n 1)"
check_eq "the dry run deleted nothing" 5 \
	"$(db "SELECT count(*) FROM sexec.job WHERE cluster LIKE 'reports%' AND job_id > 2000")"
check_eq "retention deletes, one job per transaction" \
	"  3 jobs, 3 steps, 2 tasks, 0 processes, 1 tool rollups, 2 cost records" \
	"$(dbadmin retention --older-than '10 years' --cluster reports --batch 1 | tail -n 1)"
# Per job: steps, tasks, processes, rollups, cost records.
leftover() {
	db "SELECT concat_ws('|', '$1', $2,
		(SELECT count(*) FROM sexec.step WHERE cluster = '$1' AND job_id = $2),
		(SELECT count(*) FROM sexec.task WHERE cluster = '$1' AND job_id = $2),
		(SELECT count(*) FROM sexec.process WHERE cluster = '$1' AND job_id = $2),
		(SELECT count(*) FROM sexec.step_tool WHERE cluster = '$1' AND job_id = $2),
		(SELECT count(*) FROM sexec.step_cost WHERE cluster = '$1' AND job_id = $2),
		(SELECT count(*) FROM sexec.job WHERE cluster = '$1' AND job_id = $2))"
}
check_eq "old jobs are gone with all their rows" \
	"reports|2001|0|0|0|0|0|0 reports|2003|0|0|0|0|0|0 reports|2004|0|0|0|0|0|0" \
	"$(leftover reports 2001) $(leftover reports 2003) $(leftover reports 2004)"
check_eq "a job with a recent step stays" "reports|2002|2|0|0|0|2|1" "$(leftover reports 2002)"
check_eq "another cluster's old job stays" "reports_keep|2001|1|0|1|0|0|1" \
	"$(leftover reports_keep 2001)"
check_eq "the reports' jobs stay" 18 \
	"$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'reports' AND job_id < 2000")"
check_eq "a second run finds nothing" "  0 jobs, 0 steps, 0 tasks, 0 processes, 0 tool rollups, 0 cost records" \
	"$(dbadmin retention --older-than '10 years' --cluster reports | tail -n 1)"

# ---------------------------------------------------------------- cost recompute
# A rate entered afterwards for the past: 1007 (2025-12-31) gets a cost once
# the records are recomputed: 2 core-h * 0.30 = 0.60, used 1 * 0.30 = 0.30.
# Recomputed: the 17 ended seeded steps and 2002's step of 2026.
dbadmin rate add --cluster reports --resource core_hour --rate 0.30 --from 2025-12-01 \
	--to 2026-01-01 >/dev/null
check_eq "cost recompute reports what it did" "recomputed 18 step cost records" \
	"$(dbadmin cost recompute --cluster reports --since 2025-01-01)"
check_eq "cost recompute prices steps under rates entered later" "0.6|0.3|0.3|EUR" \
	"$(db "SELECT $(vals alloc_cost used_cost idle_cost) || '|' || currency FROM sexec.step_cost
	       WHERE cluster = 'reports' AND job_id = 1007")"

# ---------------------------------------------------------------- GPU and billing
# A job with 2 GPUs and 10 billing units (Slurm's TRES), 4 CPUs and 4 GB for
# 2 h on one node, 2 core-h and 4 GB-h used. Rates: core 0.20, GB 0.01, GPU
# 2, billing 0.05 (partition gpu). Allocated: 8 * 0.20 + 8 * 0.01 + 2 * 2 * 2
# + 10 * 2 * 0.05 = 1.6 + 0.08 + 8 + 1 = 10.68. Used: 2 * 0.20 + 4 * 0.01 +
# 8 (a GPU allocated counts as used) + 1 * 2/8 (billing in the share of
# busy core-hours) = 8.69. Idle 1.99.
for r in "core_hour 0.20" "gb_hour 0.01" "gpu_hour 2"; do
	set -- $r
	dbadmin rate add --cluster reports_gpu --resource "$1" --rate "$2" --from 2026-01-01 >/dev/null
done
dbadmin rate add --cluster reports_gpu --partition gpu --resource billing_hour --rate 0.05 \
	--from 2026-01-01 >/dev/null
db "INSERT INTO sexec.job (cluster, job_id, uid, user_name, partition, account, restarts)
    VALUES ('reports_gpu', 1013, 5001, '$TEST_USER', 'gpu', 'physics', 0);
    UPDATE sexec.job SET tres_alloc = 'cpu=4,mem=4G,node=1,billing=10,gres/gpu=2',
	gpus = 2, billing = 10 WHERE cluster = 'reports_gpu' AND job_id = 1013;
    INSERT INTO sexec.step (cluster, job_id, step, node, restart, user_name, alloc_cpus,
	alloc_mem_mb, nnodes, start_time, end_time, processes, complete)
    VALUES ('reports_gpu', 1013, 'batch', 'n1', 0, '$TEST_USER', 4, 4096, 1,
	'2026-10-12 00:00+00', '2026-10-12 02:00+00', 1, true);
    INSERT INTO sexec.step_tool (cluster, job_id, step, node, restart, tool, user_name, processes,
	cpu_user_us, cpu_sys_us, wall_us, rss_peak_kb, rss_kb_us)
    VALUES ('reports_gpu', 1013, 'batch', 'n1', 0, 'python', '$TEST_USER', 1,
	2 * 3600000000::bigint, 0, 7200000000, 4194304, 4 * 1024 * 1024 * 3600000000::numeric);
    SELECT sexec.compute_step_cost('reports_gpu', 1013, 'batch', 'n1', 0)" >/dev/null
check_eq "GPU-hours and billing-hours are priced" "10.68|8.69|1.99|EUR" \
	"$(db "SELECT $(vals alloc_cost used_cost idle_cost) || '|' || currency FROM sexec.step_cost
	       WHERE cluster = 'reports_gpu' AND job_id = 1013")"
# The collector asks Slurm for a real job's TRES once (squeue tres-alloc, on
# the job's first node, a moment after it starts).
jid=$(sbatch --parsable --wait -o /dev/null --wrap "sleep 3")
tres_in() { [ -n "$(db "SELECT tres_alloc FROM sexec.job WHERE job_id = $jid AND tres_alloc IS NOT NULL")" ]; }
wait_for 20 tres_in
wait_for 30 sacct_done "$jid"
want=$(sacct -n -P -X -j "$jid" -o AllocTRES | head -n 1 | tr ',' '\n' | sort | tr '\n' ',')
check_eq "a real job's TRES as Slurm allocated them" "$want" \
	"$(db "SELECT tres_alloc FROM sexec.job WHERE job_id = $jid" | tr ',' '\n' | sort | tr '\n' ',')"
check_eq "its billing units and GPUs" \
	"$(sacct -n -P -X -j "$jid" -o AllocTRES | head -n 1 | tr ',' '\n' | sed -n 's/^billing=//p')|0" \
	"$(db "SELECT trim_scale(billing) || '|' || gpus FROM sexec.job WHERE job_id = $jid")"
forget "job_id = $jid"

cleanup
check_eq "cleanup left nothing" 0 \
	"$(db "SELECT (SELECT count(*) FROM sexec.step WHERE cluster LIKE 'reports%')
		+ (SELECT count(*) FROM sexec.cost_rate WHERE cluster LIKE 'reports%')")"
