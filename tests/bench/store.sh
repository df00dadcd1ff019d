#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Benchmarks of the PostgreSQL store: ingest rate through collector/store.c (target
# >= 100,000 rows/s), sexec query time for a 1,000,000-process job (<= 200 ms), size.
#
# Usage: sudo tests/bench/store.sh   (PostgreSQL up: sudo tests/stack.sh up)
# Environment: BENCH_OUT (also write the summary there), BENCH_ROWS (1000000 rows
# per ingest run), BENCH_RUNS (3), BENCH_BATCHES ("1000 5000 20000"), BENCH_FLUSH_MS
# (10), BENCH_RATE (100000 rows/s for the paced run; 0 skips it), BENCH_DRAIN_ROWS
# (50000; 0 skips), BENCH_QRUNS (5), BENCH_OTHER_ROWS (1000000 rows of 1000 other
# jobs next to the queried one), BENCH_PROFILE_ROWS (200000; 0 skips),
# BENCH_PROFILE_BATCH (5000), BENCH_DB (sexec_bench), BENCH_KEEP (0; 1 keeps the
# database), SEXEC_PGPORT (5439), SEXEC_SQLDIR (the tree's sql/migrations), PREFIX
# (/usr/local: sexec-dbadmin when the tree has none), CC (gcc).
# Everything goes into its own database BENCH_DB, created at the start (an
# existing one is dropped first) and dropped at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PREFIX=${PREFIX:-/usr/local}
PGHOST=/var/run/postgresql
PGPORT=${SEXEC_PGPORT:-5439}
DB=${BENCH_DB:-sexec_bench}
ROWS=${BENCH_ROWS:-1000000}
RUNS=${BENCH_RUNS:-3}
BATCHES=${BENCH_BATCHES:-1000 5000 20000}
FLUSH_MS=${BENCH_FLUSH_MS:-10}
RATE=${BENCH_RATE:-100000}
DRAIN_ROWS=${BENCH_DRAIN_ROWS:-50000}
QRUNS=${BENCH_QRUNS:-5}
OTHER_ROWS=${BENCH_OTHER_ROWS:-1000000}
OTHER_JOBS=1000
PROFILE_ROWS=${BENCH_PROFILE_ROWS:-200000}
PROFILE_BATCH=${BENCH_PROFILE_BATCH:-5000}
KEEP=${BENCH_KEEP:-0}
SQLDIR=${SEXEC_SQLDIR:-$TOP/sql/migrations}
CC=${CC:-gcc}
CLUSTER=bench
JOB=996000 # ingest runs: 996001 and up; other jobs of the query phase: 997000-997999
ADMIN_DSN="host=$PGHOST port=$PGPORT dbname=$DB"
COLL_DSN="$ADMIN_DSN user=sexec_collector"
T_START=$(date +%s)
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ "$RUNS" -ge 3 ] || log "warning: BENCH_RUNS=$RUNS: a median of fewer than 3 runs says little"

# psql as the superuser (p) or as a given role (pr ROLE)
p() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$PGHOST" -p "$PGPORT" -d "$DB" "$@"; }
pr() { local role=$1; shift; psql -X -q -v ON_ERROR_STOP=1 "$ADMIN_DSN user=$role" "$@"; }
# Tests running at the same time may stop PostgreSQL for a while (t_outage):
# wait for it, and repeat what it disturbed.
wait_pg() {
	local i
	for i in $(seq 180); do
		runuser -u postgres -- psql -X -q -h "$PGHOST" -p "$PGPORT" -d postgres -c 'SELECT 1' \
			>/dev/null 2>&1 && return 0
		sleep 1
	done
	die "PostgreSQL has not answered for 180 s"
}
# one statement as the superuser, unaligned; waits out an outage (twice at most)
pq() {
	local i
	for i in 1 2 3; do
		p -At -c "$1" 2>"$TMP/pq.err" && return 0
		[ "$i" = 3 ] || { log "psql failed ($(head -n 1 "$TMP/pq.err")), waiting for PostgreSQL"; wait_pg; }
	done
	cat "$TMP/pq.err" >&2
	die "psql failed: $1"
}
pg_started() { pq 'SELECT pg_postmaster_start_time()'; }

runuser -u postgres -- psql -X -q -h "$PGHOST" -p "$PGPORT" -d postgres -c 'SELECT 1' >/dev/null 2>&1 ||
	die "PostgreSQL is not answering on $PGHOST port $PGPORT (sudo tests/stack.sh up)"

TMP=$(mktemp -d /tmp/sexec-bench.XXXXXX)
chmod 755 "$TMP" # the direct-COPY profile runs as postgres
CREATED=0
: >"$TMP/notes"
note() { echo "$*" >>"$TMP/notes"; log "$*"; }

finish() {
	local rc=$?
	set +e
	if [ "$CREATED" = 1 ]; then
		if [ "$KEEP" = 1 ]; then
			runuser -u postgres -- psql -X -q -h "$PGHOST" -p "$PGPORT" -d postgres \
				-c "ALTER DATABASE $DB RESET ALL"
			log "kept database $DB (BENCH_KEEP=1); drop it with: dropdb $DB"
		else
			runuser -u postgres -- dropdb -h "$PGHOST" -p "$PGPORT" --if-exists "$DB" ||
				log "warning: could not drop database $DB"
		fi
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo ".." hi }'; }
# fields FILE KEY: that key of every line
fields() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); break } }' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }

# ---------------------------------------------------------------- build
log "building into $TMP"
INGEST=$TMP/store-ingest
(cd "$TOP" && $CC -O2 -Wall -D_GNU_SOURCE -DSYSCONFDIR='"/etc"' -Iinclude -Icollector \
	-I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" \
	tests/bench/store-ingest.c collector/store.c lib/conf.c lib/log.c lib/record.c \
	-lpq -lpthread -o "$INGEST") || die "cannot build store-ingest"
# the CLI from this tree, built apart so a concurrent make is not disturbed
SEXEC=$TMP/sexec
(cd "$TOP" && $CC -O2 -Wall -D_GNU_SOURCE -DSYSCONFDIR='"/etc"' -Iinclude \
	-I"$(pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)" \
	sexec/*.c lib/*.c \
	-lpq -lm -o "$SEXEC") || die "cannot build sexec"
chmod 755 "$INGEST" "$SEXEC"

# ---------------------------------------------------------------- database
DBADMIN=$TOP/sql/sexec-dbadmin
[ -x "$DBADMIN" ] || DBADMIN=$PREFIX/sbin/sexec-dbadmin
[ -x "$DBADMIN" ] || die "no sexec-dbadmin (make, or make install)"
NEED=$(sed -n 's/^#define STORE_SCHEMA_VERSION \([0-9]*\).*/\1/p' "$TOP/collector/store.c")
runuser -u postgres -- dropdb -h "$PGHOST" -p "$PGPORT" --if-exists "$DB"
runuser -u postgres -- createdb -h "$PGHOST" -p "$PGPORT" "$DB"
CREATED=1
HAVE=$(runuser -u postgres -- env SEXEC_SQLDIR="$SQLDIR" "$DBADMIN" -d "$ADMIN_DSN" migrate |
	sed -n 's/^schema version //p')
log "database $DB at schema version $HAVE (migrations from $SQLDIR)"
[ -z "$NEED" ] || [ "$HAVE" -ge "$NEED" ] ||
	die "collector/store.c needs schema version $NEED, the migrations give $HAVE: wait for them, or set SEXEC_SQLDIR"
if [ -n "$NEED" ] && ! pr sexec_collector -At -c 'SELECT max(version) FROM sexec.schema_version' \
	>/dev/null 2>&1; then
	p -c 'GRANT SELECT ON sexec.schema_version TO sexec_collector'
	note "note: the migrations do not let sexec_collector read sexec.schema_version, so the store cannot check the schema version; granted in $DB"
fi

# ---------------------------------------------------------------- ingest
lsn() { pq 'SELECT pg_current_wal_lsn()'; }
# ingest_run OUTFILE ROWS [store-ingest options]: one run on a fresh job id and
# an empty sexec.process, after a checkpoint; appends its line and the WAL per
# row. A run that a database outage disturbed is repeated (twice at most).
ingest_run() {
	local out=$1 n=$2 l0 l1 spool s0 try rc
	shift 2
	for try in 1 2 3; do
		JOB=$((JOB + 1))
		pq 'TRUNCATE sexec.process' >/dev/null
		pq 'CHECKPOINT' >/dev/null
		spool=$TMP/spool.$JOB
		s0=$(pg_started)
		l0=$(lsn)
		rc=0
		"$INGEST" -j "$JOB" -n "$n" -c "$CLUSTER" -o db="$COLL_DSN" -o spool_dir="$spool" \
			-o spool_max_kb=$((1024 * 1024 * 1024)) "$@" >"$TMP/run.out" 2>"$TMP/run.err" || rc=$?
		rm -rf "$spool"
		if [ "$rc" = 0 ] && [ "$(pg_started)" = "$s0" ] && [ "$(field "$TMP/run.out" db_failures_rows)" = 0 ]; then
			break
		fi
		[ "$try" != 3 ] || { cat "$TMP/run.err" >&2; die "store-ingest failed 3 times (job $JOB)"; }
		note "note: ingest run of job $JOB disturbed (exit $rc; PostgreSQL restarted or a write failed): repeated"
		wait_pg
	done
	l1=$(lsn)
	# the store's complaints, once each
	sed 's/^[0-9:.]* //' "$TMP/run.err" | grep -v 'store: connected to the database' | sort | uniq -c |
		sed 's/^ */bench:   store-ingest said (times): /' >&2 || true
	if [ "$(field "$TMP/run.out" close_s)" = "-1.000" ] && [ ! -e "$TMP/end_failed" ]; then
		touch "$TMP/end_failed"
		note "warning: the step end (task end, step end, rollup) was not written in 30 s; the store said: $(grep -m1 'warning\|error' "$TMP/run.err" | sed 's/^[0-9:.]* //')"
	fi
	echo "$(cat "$TMP/run.out") wal_b_per_row $(pq "SELECT round(pg_wal_lsn_diff('$l1', '$l0') / $n)")" \
		>>"$out"
	log "$(tail -n 1 "$out" | awk '{ for (i = 1; i < NF; i += 2) if ($i ~ /^(job|batch_rows|flush_ms|journal|rate|rows_per_s|wall_s|queued_after_put|folded|dropped)$/) printf "%s %s ", $i, $(i + 1); print "" }')"
}

if [ "$RATE" != 0 ]; then
	log "paced: $ROWS rows at $RATE/s, batch_rows 5000, flush_interval_ms 1000 (the defaults), $RUNS runs"
	for r in $(seq "$RUNS"); do ingest_run "$TMP/ing.paced" "$ROWS" -r "$RATE"; done
fi
if [ "$DRAIN_ROWS" != 0 ]; then
	log "backlog: $DRAIN_ROWS rows at once, batch_rows 5000, flush_interval_ms 1000, $RUNS runs"
	for r in $(seq "$RUNS"); do ingest_run "$TMP/ing.drain" "$DRAIN_ROWS"; done
fi
log "journal off, and one journal segment: $ROWS rows at once, batch_rows 5000, flush_interval_ms $FLUSH_MS, $RUNS runs"
for r in $(seq "$RUNS"); do
	ingest_run "$TMP/ing.nojournal" "$ROWS" -o batch_rows=5000 -o flush_interval_ms="$FLUSH_MS" \
		-o spool_dir=
	ingest_run "$TMP/ing.nocompact" "$ROWS" -o batch_rows=5000 -o flush_interval_ms="$FLUSH_MS" \
		-o journal_segment_kb=$((16 * 1024 * 1024))
done
log "ingest: $ROWS rows at once, batch_rows $BATCHES, flush_interval_ms $FLUSH_MS, $RUNS runs each"
for r in $(seq "$RUNS"); do
	for b in $BATCHES; do
		ingest_run "$TMP/ing.$b" "$ROWS" -o batch_rows="$b" -o flush_interval_ms="$FLUSH_MS"
	done
done
QJOB=$JOB # the last run's rows stay for the size and query phases

# ---------------------------------------------------------------- size
log "size: VACUUM ANALYZE sexec.process ($ROWS rows of job $QJOB)"
pq 'VACUUM ANALYZE sexec.process' >/dev/null
# name|bytes: heap (main fork + FSM + VM), each index, TOAST (table + index), total
p -At -F'|' >"$TMP/size" <<'SQL'
SELECT 'rows', count(*) FROM sexec.process
UNION ALL SELECT 'heap', pg_table_size('sexec.process'::regclass)
	- coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)
	FROM pg_class c WHERE c.oid = 'sexec.process'::regclass
UNION ALL SELECT 'toast', coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0)
	FROM pg_class c WHERE c.oid = 'sexec.process'::regclass
UNION ALL SELECT 'index ' || indexrelid::regclass::text, pg_relation_size(indexrelid)
	FROM pg_index WHERE indrelid = 'sexec.process'::regclass
UNION ALL SELECT 'indexes', pg_indexes_size('sexec.process'::regclass)
UNION ALL SELECT 'total', pg_total_relation_size('sexec.process'::regclass)
UNION ALL SELECT 'avg_row', round(avg(pg_column_size(p.*))) FROM sexec.process p
UNION ALL SELECT 'argv_avg', round(avg(octet_length(array_to_string(argv, ' ')))) FROM sexec.process
UNION ALL SELECT 'argc_avg', round(avg(cardinality(argv)), 1) FROM sexec.process
SQL
SROWS=$(awk -F'|' '$1 == "rows" { print $2 }' "$TMP/size")

# ---------------------------------------------------------------- query
if [ "$OTHER_ROWS" -gt 0 ]; then
	log "query: adding $OTHER_ROWS rows of $OTHER_JOBS other jobs next to job $QJOB"
	# copies of the job's first rows under other job ids: (pid, start_time) stay unique
	p -c "INSERT INTO sexec.process SELECT cluster, 997000 + (i % $OTHER_JOBS), step, node, pid,
		start_time, task_id, ppid, end_time, user_name, exe, argv, argv_truncated, tool,
		cpu_user_us, cpu_sys_us, exit_code, signal, core_dumped, threads, rss_peak_kb,
		read_bytes, write_bytes, rchar, wchar, syscr, syscw, vol_ctxsw, invol_ctxsw, minflt,
		majflt, uid, cwd, cpu_total_us
		FROM (SELECT *, row_number() OVER () AS i FROM sexec.process WHERE job_id = $QJOB
		      LIMIT $OTHER_ROWS) x"
	pq 'VACUUM ANALYZE sexec.process' >/dev/null
fi
QROWS=$(pq 'SELECT count(*) FROM sexec.process')
CLI=("$SEXEC" --db "$ADMIN_DSN" --sacct /bin/false --json)
# qtime OUTFILE CMD...: wall ms of one run (its output kept in q.json until the
# next); repeated when PostgreSQL restarted meanwhile
qtime() {
	local out=$1 t0 t1 s0 try rc
	shift
	for try in 1 2 3; do
		s0=$(pg_started)
		rc=0
		t0=$EPOCHREALTIME
		"$@" >"$TMP/q.json" 2>"$TMP/q.err" || rc=$?
		t1=$EPOCHREALTIME
		[ "$rc" != 0 ] || [ "$(pg_started)" != "$s0" ] || break
		[ "$try" != 3 ] || { cat "$TMP/q.err" >&2; die "sexec failed 3 times: $*"; }
		note "note: a query run was disturbed (exit $rc; PostgreSQL restarted?): repeated"
		wait_pg
	done
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >>"$out"
}
log "query: sexec --json $QJOB as $(id -un), $QRUNS runs after a warm-up ($QROWS rows in sexec.process)"
qtime "$TMP/warm" "${CLI[@]}" "$QJOB"
grep -q "\"processes\": $ROWS" "$TMP/q.json" || note "warning: sexec did not report $ROWS processes for job $QJOB"
for r in $(seq "$QRUNS"); do
	qtime "$TMP/q.main" "${CLI[@]}" "$QJOB"
	qtime "$TMP/q.nojit" env PGOPTIONS="-c jit=off" "${CLI[@]}" "$QJOB"
	# the tables' owner: no row-level security
	qtime "$TMP/q.owner" runuser -u postgres -- env PGOPTIONS="-c jit=off" "${CLI[@]}" "$QJOB"
done
log "query: sexec $QJOB (text) and sexec --processes $QJOB (the collapsed tree), $QRUNS runs"
: >"$TMP/q.trss"
for r in $(seq "$QRUNS"); do
	qtime "$TMP/q.text" "${CLI[@]:0:5}" "$QJOB"
	qtime "$TMP/q.tree" /usr/bin/time -a -o "$TMP/q.trss" -f %M "${CLI[@]:0:5}" --processes "$QJOB"
done
log "query: sexec --json --processes $QJOB, $QRUNS runs"
: >"$TMP/q.rss"
for r in $(seq "$QRUNS"); do
	qtime "$TMP/q.procs" /usr/bin/time -a -o "$TMP/q.rss" -f %M "${CLI[@]}" --processes "$QJOB"
done
PROCS_OUT=$(stat -c %s "$TMP/q.json")
PROCS_N=$(grep -c '"pid":' "$TMP/q.json" || true)

# The CLI's own queries with their parameters, through auto_explain (this
# database only; its notices go to the CLI's stderr).
log "query: plans of the CLI's queries (auto_explain)"
for s in "session_preload_libraries = 'auto_explain'" "auto_explain.log_min_duration = 0" \
	"auto_explain.log_analyze = on" "auto_explain.log_buffers = on" \
	"auto_explain.log_level = notice"; do
	runuser -u postgres -- psql -X -q -h "$PGHOST" -p "$PGPORT" -d postgres \
		-c "ALTER DATABASE $DB SET $s"
done
"${CLI[@]}" --processes "$QJOB" >/dev/null 2>"$TMP/plans" || true
runuser -u postgres -- psql -X -q -h "$PGHOST" -p "$PGPORT" -d postgres -c "ALTER DATABASE $DB RESET ALL"
# "duration: X ms" of each planned query, named by what it reads
plan_ms() { awk -v pat="$1" '/NOTICE:  duration:/ { d = $3 } /^Query Text:/ && $0 ~ pat { print d; exit }' "$TMP/plans"; }
PLAN_JOB=$(plan_ms 'FROM sexec.job WHERE job_id')
PLAN_STEPS=$(plan_ms 'FULL JOIN')
PLAN_PROCS=$(plan_ms 'unnest\\(argv\\)')
# What the step totals cost when read from the step-end rollup instead
STEP_TOOL_MS=""
if [ "$(pq "SELECT to_regclass('sexec.step_tool') IS NOT NULL")" = t ]; then
	STEP_TOOL_MS=$(pr root -At <<SQL | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p'
EXPLAIN (ANALYZE, COSTS OFF) SELECT step, node, sum(processes), sum(cpu_user_us), sum(cpu_sys_us)
	FROM sexec.step_tool WHERE cluster = '$CLUSTER' AND job_id = $QJOB GROUP BY step, node;
SQL
	)
fi

# ---------------------------------------------------------------- profile
# The store's SQL on its own, each phase timed: rows of the queried job as COPY
# text (the store's column order), replayed under new job ids.
COLS="cluster, job_id, step, node, pid, start_time, task_id, ppid, end_time, user_name, exe,
	argv, argv_truncated, tool, cpu_user_us, cpu_sys_us, exit_code, signal, core_dumped,
	threads, rss_peak_kb, read_bytes, write_bytes, rchar, wchar, syscr, syscw, vol_ctxsw,
	invol_ctxsw, minflt, majflt, uid, cwd, cpu_total_us"
PJOB=998000
# The statement that moves staged rows into sexec.process, as collector/store.c
# has it now (store_stage_sql: its string literals joined); empty if not found.
STAGE_SQL=$(awk '/store_stage_sql\[\] *=/ { on = 1 }
	on { l = $0; while (match(l, /"([^"\\]|\\.)*"/)) {
		s = s substr(l, RSTART + 1, RLENGTH - 2); l = substr(l, RSTART + RLENGTH) } }
	on && /;[[:space:]]*$/ { print s; exit }' "$TOP/collector/store.c")
[ -n "$STAGE_SQL" ] || note "note: store_stage_sql not found in collector/store.c: the profile uses its own copy"
profile() { # NAME stage|direct INSERT-SQL SQL-FIRST [owner: as postgres, who owns the tables]
	local name=$1 mode=$2 ins=$3 pre=$4 owner=${5:-} s0 try rc
	local args=(-P -b "$PROFILE_BATCH" -m "$mode" ${ins:+-i "$ins"} ${pre:+-s "$pre"})
	for try in 1 2 3; do
		PJOB=$((PJOB + 1))
		pq "COPY (SELECT ${COLS/job_id/$PJOB::bigint} FROM sexec.process WHERE job_id = $QJOB
			ORDER BY start_time LIMIT $PROFILE_ROWS) TO STDOUT" >"$TMP/lines"
		pq 'CHECKPOINT' >/dev/null
		s0=$(pg_started)
		rc=0
		if [ -n "$owner" ]; then
			runuser -u postgres -- "$INGEST" -d "$ADMIN_DSN" "${args[@]}" <"$TMP/lines" \
				>"$TMP/prof.out" || rc=$?
		else
			"$INGEST" -d "$COLL_DSN" "${args[@]}" <"$TMP/lines" >"$TMP/prof.out" || rc=$?
		fi
		[ "$rc" != 0 ] || [ "$(pg_started)" != "$s0" ] || break
		[ "$try" != 3 ] || die "profile $name failed 3 times"
		note "note: profile run $name disturbed (exit $rc; PostgreSQL restarted?): repeated"
		wait_pg
	done
	cat "$TMP/prof.out" >>"$TMP/prof.$name"
	log "profile $name: $(cat "$TMP/prof.out")"
}
if [ "$PROFILE_ROWS" -gt 0 ]; then
	log "profile: $PROFILE_ROWS rows in batches of $PROFILE_BATCH, $RUNS runs per mode"
	log "profile: the store moves staged rows with: ${STAGE_SQL:-(its own copy)}"
	for r in $(seq "$RUNS"); do
		profile store stage "$STAGE_SQL" ""
		profile plain stage "$(echo "${STAGE_SQL:-INSERT INTO sexec.process SELECT * FROM stage_process ON CONFLICT DO NOTHING}" |
			sed 's/ ON CONFLICT DO NOTHING//')" ""
		profile nosync stage "$STAGE_SQL" "SET synchronous_commit = off"
		profile direct direct "" "" owner
	done
fi

# ---------------------------------------------------------------- summary
irow() { # LABEL FILE
	local f=$2
	[ -s "$f" ] || return 0
	printf "%-28s %7s %15s %6s %8s %6s %6s %7s %7s %6s %s\n" "$1" \
		"$(fields "$f" rows_per_s | median | awk '{ printf "%.0f", $1 }')" \
		"$(fields "$f" rows_per_s | minmax)" \
		"$(fields "$f" wall_s | median)" \
		"$(fields "$f" put_max_ms | median)" \
		"$(fields "$f" put_us_per_row | median)" \
		"$(fields "$f" writer_us_per_row | median)" \
		"$(fields "$f" backend_us_per_row | median)" \
		"$(fields "$f" wal_b_per_row | median)" \
		"$(if fields "$f" close_s | grep -q '^-'; then echo failed; else fields "$f" close_s | median; fi)" \
		"$(awk '{ for (i = 1; i < NF; i++) if ($i == "folded" || $i == "dropped" || $i == "db_failures" || $i == "journal_errors") s += $(i + 1) } END { print s + 0 }' "$f")"
}
prow() { # LABEL NAME
	local f=$TMP/prof.$2
	[ -s "$f" ] || return 0
	printf "%-44s %9s %8s %9s %9s %9s\n" "$1" \
		"$(fields "$f" rows_per_s | median | awk '{ printf "%.0f", $1 }')" \
		"$(fields "$f" copy_ms_med | median)" "$(fields "$f" insert_ms_med | median)" \
		"$(fields "$f" commit_ms_med | median)" "$(fields "$f" batch_ms_med | median)"
}
srow() { # LABEL KEY
	awk -F'|' -v k="$2" -v l="$1" -v n="$SROWS" '$1 == k {
		printf "   %-40s %10.1f MB %8.0f B/row %9.1f MB per million rows\n", l, $2 / 1048576,
			$2 / n, $2 / n }' "$TMP/size"
}
summary() {
	local m
	echo "== sexec store benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, $(hostname -s)"
	echo "   $(pq 'SELECT version()' | cut -d, -f1), database $DB (schema version $HAVE);" \
		"shared_buffers $(pq 'SHOW shared_buffers'), synchronous_commit $(pq 'SHOW synchronous_commit')"
	echo "   made-up rows of one job and step: argv $(awk -F'|' '$1 == "argc_avg" { print $2 }' "$TMP/size") elements," \
		"$(awk -F'|' '$1 == "argv_avg" { print $2 }' "$TMP/size") bytes on average; $RUNS runs per setting, each on a new job id and an emptied table"
	echo
	echo "Ingest through collector/store.c as sexec_collector (journal in a temp dir; rows/s = rows / time from"
	echo "first put to the last row committed; target >= 100000 rows/s)"
	printf "%-28s %7s %15s %6s %8s %6s %6s %7s %7s %6s %s\n" setting "rows/s" "runs" "wall" \
		"longest" put writer backend "WAL" "end" "lost"
	printf "%-28s %7s %15s %6s %8s %6s %6s %7s %7s %6s\n" "" "(med)" "min..max" "s" "put ms" \
		"us/row" "us/row" "us/row" "B/row" "s"
	for b in $BATCHES; do irow "batch $b, flush ${FLUSH_MS} ms" "$TMP/ing.$b"; done
	irow "batch 5000, one segment" "$TMP/ing.nocompact"
	irow "batch 5000, no journal" "$TMP/ing.nojournal"
	irow "paced $RATE/s, defaults" "$TMP/ing.paced"
	irow "backlog of $DRAIN_ROWS, defaults" "$TMP/ing.drain"
	if [ -s "$TMP/ing.paced" ]; then
		echo "   paced run: backlog when the last row was put (median): $(fields "$TMP/ing.paced" queued_after_put | median) rows;" \
			"the rows took $(fields "$TMP/ing.paced" put_s | median) s to put"
	fi
	echo "   ($ROWS rows per run, backlog runs $DRAIN_ROWS; defaults: batch_rows 5000, flush_interval_ms 1000;"
	echo "   one segment: journal_segment_kb at its maximum (no segment rotation); longest put: the longest single"
	echo "   store_put_process() call, which the collector's event loop would wait for; CPU per row of"
	echo "   put = the caller's thread (rendering, journal append), writer = the store's thread, backend ="
	echo "   its PostgreSQL process; WAL = cluster-wide WAL over the run / rows; end = task end, step end and"
	echo "   per-tool rollup over the step's rows; lost = folded + dropped + db failures + journal errors)"
	if [ "$PROFILE_ROWS" -gt 0 ]; then
		echo
		echo "Where the database time goes: the store's SQL replayed on one connection, $PROFILE_ROWS rows in"
		echo "batches of $PROFILE_BATCH (median of $RUNS; per-batch columns are medians over the batches)"
		echo "(INSERT: ${STAGE_SQL:-as in collector/store.c})"
		printf "%-44s %9s %8s %9s %9s %9s\n" mode "rows/s" "COPY ms" "INSERT ms" "COMMIT ms" "batch ms"
		prow "as the store: COPY into a temp table, INSERT" store
		prow "the same without ON CONFLICT" plain
		prow "as the store, synchronous_commit = off" nosync
		prow "COPY into sexec.process (owner; RLS bypass)" direct
	fi
	echo
	echo "Query: sexec --json $QJOB ($ROWS process rows in 1 step; $QROWS rows in sexec.process), as $(id -un),"
	echo "--sacct /bin/false (sacct not counted), wall time, median of $QRUNS after one warm-up; target <= 200 ms"
	m=$(median <"$TMP/q.main")
	printf "   %-44s %9s ms  (runs %s)%s\n" "sexec --json" "$m" "$(minmax <"$TMP/q.main")" \
		"$(awk -v m="$m" 'BEGIN { if (m > 200) print "  OVER TARGET" }')"
	printf "   %-44s %9s ms  (runs %s)\n" "sexec --json, PGOPTIONS='-c jit=off'" "$(median <"$TMP/q.nojit")" \
		"$(minmax <"$TMP/q.nojit")"
	printf "   %-44s %9s ms  (runs %s)\n" "as postgres, jit=off (no row-level security)" \
		"$(median <"$TMP/q.owner")" "$(minmax <"$TMP/q.owner")"
	m=$(median <"$TMP/q.text")
	printf "   %-44s %9s ms  (runs %s)%s\n" "sexec (text)" "$m" "$(minmax <"$TMP/q.text")" \
		"$(awk -v m="$m" 'BEGIN { if (m > 300) print "  OVER TARGET (300 ms)" }')"
	printf "   %-44s %9s ms  (runs %s); max RSS %s\n" "sexec --processes (collapsed tree, text)" \
		"$(median <"$TMP/q.tree")" "$(minmax <"$TMP/q.tree")" \
		"$(median <"$TMP/q.trss" | awk '{ printf "%.0f MB", $1 / 1024 }')"
	printf "   %-44s %9s ms  (runs %s); max RSS %s, %s of JSON, %s processes\n" \
		"sexec --json --processes" "$(median <"$TMP/q.procs")" "$(minmax <"$TMP/q.procs")" \
		"$(median <"$TMP/q.rss" | awk '{ printf "%.0f MB", $1 / 1024 }')" "$(mb "$PROCS_OUT")" "$PROCS_N"
	echo "   server time per query (auto_explain, one --processes run with ANALYZE on): find job ${PLAN_JOB:-?} ms," \
		"step totals ${PLAN_STEPS:-?} ms, process list ${PLAN_PROCS:-?} ms"
	[ -z "$STEP_TOOL_MS" ] || echo "   the same step totals from sexec.step_tool (the step-end rollup): $STEP_TOOL_MS ms"
	echo
	echo "Size of sexec.process holding $SROWS rows (after VACUUM ANALYZE)"
	srow "heap (with free-space and visibility maps)" heap
	srow "TOAST" toast
	awk -F'|' '$1 ~ /^index / { sub(/^index /, "", $1); print $1 }' "$TMP/size" | while read -r i; do
		srow "index $i" "index $i"
	done
	srow "total (pg_total_relation_size)" total
	echo "   average row as stored (pg_column_size): $(awk -F'|' '$1 == "avg_row" { print $2 }' "$TMP/size") bytes"
	[ ! -s "$TMP/notes" ] || { echo; cat "$TMP/notes"; }
	echo "total benchmark time: $(($(date +%s) - T_START)) s"
}
summary >"$TMP/summary"
if awk -v m="$(median <"$TMP/q.main")" 'BEGIN { exit !(m > 200) }'; then
	{ echo; echo "Plans of the CLI's queries (sexec --processes $QJOB, auto_explain with ANALYZE):"
	  grep -v '^sexec: warning' "$TMP/plans"; } >>"$TMP/summary"
fi
echo
cat "$TMP/summary"
[ -z "${BENCH_OUT:-}" ] || cp "$TMP/summary" "$BENCH_OUT"
