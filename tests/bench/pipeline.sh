#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmark of sexec --pipeline on a run of 10,000 jobs (target: <= 1 s): seeds a pipeline
# run (jobs, steps, per-tool rollups and cost records, as the collector writes them) and a
# few smaller runs of the same pipeline, times the view as text and as --json, as an admin
# and as the jobs' owner (row-level security), then deletes what it seeded.
#
# Usage: sudo tests/bench/pipeline.sh   (PostgreSQL up: sudo tests/stack.sh up)
# Environment: BENCH_JOBS (10000 jobs in the timed run), BENCH_OTHER_RUNS (3 runs of
# BENCH_OTHER_JOBS, 500, jobs each), BENCH_QRUNS (7 timed runs of each command, after one
# warm-up), BENCH_SHOW (1: print the text view once), BENCH_OUT (also write the summary
# there), SEXEC_BIN (the tree's sexec/sexec when
# built, else $PREFIX/bin/sexec), SEXEC_PGPORT (5439), PREFIX (/usr/local).
# Everything seeded lives in the sexec database under cluster 'bench_pipeline', which no
# collector writes; it is deleted at the end, also on failure or interruption.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PREFIX=${PREFIX:-/usr/local}
PGHOST=/var/run/postgresql
PGPORT=${SEXEC_PGPORT:-5439}
JOBS=${BENCH_JOBS:-10000}
OTHER_RUNS=${BENCH_OTHER_RUNS:-3}
OTHER_JOBS=${BENCH_OTHER_JOBS:-500}
QRUNS=${BENCH_QRUNS:-7}
CLUSTER=bench_pipeline
PIPE=bench/variant-calling
RUN=bench-run-main
OWNER=sexectest
DSN="host=$PGHOST port=$PGPORT dbname=sexec"
export LC_ALL=C
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
SEXEC=${SEXEC_BIN:-}
if [ -z "$SEXEC" ]; then
	SEXEC=$TOP/sexec/sexec
	[ -x "$SEXEC" ] || SEXEC=$PREFIX/bin/sexec
fi
[ -x "$SEXEC" ] || die "no sexec at $SEXEC (make, or set SEXEC_BIN)"
id "$OWNER" >/dev/null 2>&1 || die "no user $OWNER (the test stack's user)"

pq() {
	runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -d sexec "$@"
}
pq -c 'SELECT 1' >/dev/null 2>&1 || die "PostgreSQL is not answering on $PGHOST port $PGPORT"

TMP=$(mktemp -d /tmp/sexec-bench-pipe.XXXXXX)
chmod 755 "$TMP"
forget() {
	local t
	# step_cpu and sample go with their steps (ON DELETE CASCADE)
	for t in process task step_tool step_cost step job; do
		pq -c "DELETE FROM sexec.$t WHERE cluster = '$CLUSTER'" >/dev/null
	done
}
finish() {
	local rc=$?
	set +e
	forget || log "warning: could not delete the rows of cluster $CLUSTER"
	rm -rf "$TMP"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- seed
# Job i of a run starts in waves of 50 (one every 30 s, 0.2 s apart within a wave) and runs
# 20 to 119 s on one of 20 nodes with 4 CPUs: an extern step over the whole job, the batch
# step and one srun step (the task's tool), each with a rollup per tool and a cost record.
# seed RUN FIRST_JOB_ID N START: the run's rows
seed() {
	pq <<SQL
CREATE TEMP TABLE sj AS
SELECT '$CLUSTER'::text AS cluster, ($2 + i)::bigint AS job_id, i,
	(ARRAY['FETCH', 'FASTQC', 'TRIM', 'ALIGN', 'SORT', 'MARKDUP', 'CALL', 'FILTER', 'ANNOTATE',
	       'MULTIQC'])[1 + i % 10] AS task,
	(ARRAY['curl', 'fastqc', 'cutadapt', 'bwa', 'samtools', 'picard', 'gatk', 'bcftools', 'vep',
	       'multiqc'])[1 + i % 10] AS tool,
	'bn' || lpad((i % 20)::text, 2, '0') AS node,
	'$4'::timestamptz + (i / 50) * interval '30 s' + (i % 50) * interval '200 ms' AS t0,
	20 + (i * 7919) % 100 AS dur
FROM generate_series(0, $3 - 1) i;
INSERT INTO sexec.job (cluster, job_id, uid, user_name, job_name, partition, account, pipeline,
		       run, workflow, workflow_task, first_seen)
SELECT cluster, job_id, 1001, '$OWNER', 'nf-' || task || '_(s' || i || ')', 'debug', 'bench',
	'$PIPE', '$1', 'nextflow', task, t0 FROM sj;
INSERT INTO sexec.step (cluster, job_id, step, node, user_name, alloc_cpus, alloc_mem_mb, ntasks,
			nnodes, start_time, end_time, complete, processes, on_cpu_us, runq_us, io_us,
			mem_us, sleep_us)
SELECT cluster, job_id, s.step, node, '$OWNER', s.cpus, 8192, 1, 1,
	t0 + s.lead * interval '1 s', t0 + (dur - s.lead) * interval '1 s', true, s.procs,
	s.busy * (dur - 2) * 1000000 * 0.7, s.busy * (dur - 2) * 1000000 * 0.05,
	s.busy * (dur - 2) * 1000000 * (0.05 + (i % 4) * 0.1), s.busy * (dur - 2) * 1000000 * 0.02,
	(dur - 2) * 1000000
FROM sj CROSS JOIN LATERAL (VALUES ('extern', 0, 0.0, 0, 0.0), ('batch', 4, 0.1, 1, 0.01),
				   ('0', 4, 1.0, 1 + i % 5, 3.0)) s(step, cpus, lead, procs, busy);
INSERT INTO sexec.step_tool (cluster, job_id, step, node, restart, tool, user_name, processes,
			     cpu_user_us, cpu_sys_us, wall_us, rss_peak_kb, rss_kb_us, read_bytes,
			     write_bytes, on_cpu_us, runq_us, io_us, mem_us, sleep_us)
SELECT s.cluster, s.job_id, s.step, s.node, 0, CASE WHEN s.step = 'batch' THEN 'bash' ELSE sj.tool END,
	'$OWNER', s.processes, s.on_cpu_us * 9 / 10, s.on_cpu_us / 10,
	extract(epoch FROM s.end_time - s.start_time) * 1000000 * s.processes,
	CASE WHEN s.step = 'batch' THEN 4096 ELSE 1048576 + (sj.i % 7) * 262144 END,
	(CASE WHEN s.step = 'batch' THEN 4096 ELSE 1048576 END)
		* extract(epoch FROM s.end_time - s.start_time) * 1000000,
	sj.i * 1000, sj.i * 500, s.on_cpu_us, s.runq_us, s.io_us, s.mem_us, s.sleep_us
FROM sexec.step s JOIN sj USING (cluster, job_id) WHERE s.step <> 'extern';
INSERT INTO sexec.step_cost (cluster, job_id, step, node, restart, user_name, elapsed_h,
			     alloc_core_h, used_core_h, alloc_gb_h, used_gb_h, currency, core_rate,
			     gb_rate, alloc_cost, used_cost, idle_cost, rates_at)
SELECT s.cluster, s.job_id, s.step, s.node, 0, '$OWNER', h.e, 4 * h.e, h.u, 8 * h.e, h.g, 'EUR',
	0.02, 0.005, 0.02 * 4 * h.e + 0.005 * 8 * h.e, 0.02 * h.u + 0.005 * h.g,
	greatest(0.02 * 4 * h.e + 0.005 * 8 * h.e - 0.02 * h.u - 0.005 * h.g, 0), s.start_time
FROM sexec.step s JOIN sj USING (cluster, job_id)
CROSS JOIN LATERAL (SELECT extract(epoch FROM s.end_time - s.start_time) / 3600 AS e,
	coalesce(s.on_cpu_us, 0) / 3600000000.0 AS u,
	coalesce(s.on_cpu_us, 0) / 3600000000.0 AS g) h;
DROP TABLE sj;
SQL
}

forget
T0=$EPOCHREALTIME
log "seeding run $RUN of $PIPE: $JOBS jobs (cluster $CLUSTER)"
seed "$RUN" 910000000 "$JOBS" "2026-11-20 08:00+00"
for r in $(seq "$OTHER_RUNS"); do
	log "seeding run bench-run-old-$r: $OTHER_JOBS jobs"
	seed "bench-run-old-$r" $((920000000 + r * 100000)) "$OTHER_JOBS" "2026-11-1$r 08:00+00"
done
pq -c 'ANALYZE sexec.job' -c 'ANALYZE sexec.step' -c 'ANALYZE sexec.step_tool' \
	-c 'ANALYZE sexec.step_cost' >/dev/null
SEED_S=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
counts=$(pq -F ' ' -c "SELECT (SELECT count(*) FROM sexec.job WHERE cluster = '$CLUSTER'),
	(SELECT count(*) FROM sexec.step WHERE cluster = '$CLUSTER'),
	(SELECT count(*) FROM sexec.step_tool WHERE cluster = '$CLUSTER'),
	(SELECT count(*) FROM sexec.step_cost WHERE cluster = '$CLUSTER')")
read -r NJOB NSTEP NTOOL NCOST <<<"$counts"
log "seeded in ${SEED_S}s: $NJOB jobs, $NSTEP steps, $NTOOL step_tool rows, $NCOST step_cost rows"

# ---------------------------------------------------------------- check
as_user() { local u=$1; shift; if [ "$u" = root ]; then "$@"; else runuser -u "$u" -- "$@"; fi; }
as_user "$OWNER" "$SEXEC" --db "$DSN" --pipeline "$PIPE" --json >"$TMP/out.json" ||
	die "sexec --pipeline failed"
got=$(jq -r '"\(.run) \(.total.jobs) \(.tasks | length) \(.critical_path.jobs | length)"' \
	"$TMP/out.json")
read -r grun gjobs gtasks gpath <<<"$got"
[ "$grun" = "$RUN" ] || die "the latest run should be $RUN, sexec chose $grun"
[ "$gjobs" = "$JOBS" ] || die "sexec counted $gjobs jobs in $RUN, not $JOBS"
[ "$gtasks" = 10 ] || die "sexec found $gtasks tasks, not 10"
[ "$gpath" -gt 0 ] || die "no critical path"
log "check: latest run $grun, $gjobs jobs, $gtasks tasks, critical path of $gpath jobs"
[ "${BENCH_SHOW:-0}" = 0 ] || as_user "$OWNER" "$SEXEC" --db "$DSN" --pipeline "$PIPE" >&2

# ---------------------------------------------------------------- time
# qtime OUTFILE USER ARGS...: wall ms of one run of sexec
qtime() {
	local out=$1 u=$2 t0 t1
	shift 2
	t0=$EPOCHREALTIME
	as_user "$u" "$SEXEC" --db "$DSN" "$@" >"$TMP/q.out" 2>"$TMP/q.err" ||
		{ cat "$TMP/q.err" >&2; die "sexec $* failed"; }
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$out"
}
declare -A LABEL=(
	[text_root]="sexec --pipeline P --run R, as root (admin)"
	[json_root]="sexec --pipeline P --run R --json, as root (admin)"
	[text_owner]="sexec --pipeline P --run R, as the jobs' owner"
	[json_owner]="sexec --pipeline P --run R --json, as the jobs' owner"
	[latest_owner]="sexec --pipeline P (latest run), as the jobs' owner"
)
ORDER="text_root json_root text_owner json_owner latest_owner"
for k in $ORDER; do : >"$TMP/t.$k"; done
log "timing: $QRUNS runs of each command after one warm-up"
for u in root "$OWNER"; do
	qtime /dev/null "$u" --pipeline "$PIPE" --run "$RUN"
done
for r in $(seq "$QRUNS"); do
	qtime "$TMP/t.text_root" root --pipeline "$PIPE" --run "$RUN"
	qtime "$TMP/t.json_root" root --pipeline "$PIPE" --run "$RUN" --json
	qtime "$TMP/t.text_owner" "$OWNER" --pipeline "$PIPE" --run "$RUN"
	qtime "$TMP/t.json_owner" "$OWNER" --pipeline "$PIPE" --run "$RUN" --json
	qtime "$TMP/t.latest_owner" "$OWNER" --pipeline "$PIPE"
done

# ---------------------------------------------------------------- summary
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo ".." hi }'; }
{
	echo "== sexec --pipeline benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs"
	echo "   $(pq -c 'SELECT version()' | cut -d, -f1), database sexec"
	echo "   seeded under cluster $CLUSTER in ${SEED_S}s: run $RUN of $JOBS jobs and $OTHER_RUNS runs of $OTHER_JOBS"
	echo "   ($NJOB jobs, $NSTEP steps, $NTOOL step_tool rows, $NCOST step_cost rows in all)"
	echo "   wall time of the command, median of $QRUNS after one warm-up; target <= 1000 ms"
	for k in $ORDER; do
		med=$(median <"$TMP/t.$k")
		printf '   %-56s %8.1f ms  (runs %s)%s\n' "${LABEL[$k]}" "$med" "$(minmax <"$TMP/t.$k")" \
			"$(awk -v m="$med" 'BEGIN { if (m > 1000) print "  OVER TARGET" }')"
	done
} | tee "$TMP/summary"
[ -z "${BENCH_OUT:-}" ] || cp "$TMP/summary" "$BENCH_OUT"
