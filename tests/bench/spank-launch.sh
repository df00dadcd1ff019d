#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What the SPANK plugin adds to a task launch (target <= 5 ms): the round trips
# to sexecd timed directly, then srun wall time with the plugin registering vs not.
#
# Usage: sudo tests/bench/spank-launch.sh   (stack up: sudo tests/stack.sh up)
# Environment: BENCH_OUT (also write the summary there), BENCH_RTT_N (2000),
# BENCH_RTT_WARMUP (20), BENCH_PAIRS (12), BENCH_USER (sexectest),
# BENCH_PARTITION (debug), BENCH_IDLE_S (30), BENCH_PLUGSTACK (0; 1 adds a
# side with sexec.so taken out of plugstack.conf, which affects every job
# started meanwhile), PREFIX (/usr/local), CC (gcc).
# Direct round trips use cluster bench, job ids 994000-994999; srun jobs are
# named sexec-bench-launch-*. The rows of both are deleted at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PREFIX=${PREFIX:-/usr/local}
SEXECD=$PREFIX/sbin/sexecd
CONF=${SEXEC_CONF:-/etc/sexec/sexec.conf}
SOCKET=/run/sexec/sexecd.sock
SEXECD_PIDFILE=${SEXEC_STATE:-/var/lib/sexec-cluster}/run/sexecd.pid
PGPORT=${SEXEC_PGPORT:-5439}
PLUGSTACK=/etc/slurm/plugstack.conf
RTT_N=${BENCH_RTT_N:-2000}
RTT_WARMUP=${BENCH_RTT_WARMUP:-20}
PAIRS=${BENCH_PAIRS:-12}
BUSER=${BENCH_USER:-sexectest}
PART=${BENCH_PARTITION:-debug}
IDLE_S=${BENCH_IDLE_S:-30}
PLUGSTACK_MODE=${BENCH_PLUGSTACK:-0}
CLUSTER=bench
NODE=$(hostname -s)
JOB_FIRST=994000
JOB_LAST=994999
JOB_NAME=sexec-bench-launch
CC=${CC:-gcc}
T_START=$(date +%s)
SACCT_START=$(date +%Y-%m-%dT%H:%M:%S)
export LC_ALL=C
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -x "$SEXECD" ] || die "$SEXECD not found (make install)"
[ -S "$SOCKET" ] || die "no $SOCKET: is the stack up? (sudo tests/stack.sh up)"
[ -f "$PLUGSTACK" ] || die "no $PLUGSTACK: is the stack up? (sudo tests/stack.sh up)"
id -u "$BUSER" >/dev/null 2>&1 || die "no user $BUSER (sudo tests/stack.sh up creates it)"
[ "$PAIRS" -ge 10 ] || log "warning: BENCH_PAIRS=$PAIRS: fewer than 10 pairs say little"

TMP=$(mktemp -d /tmp/sexec-bench.XXXXXX)
# The test user runs srun in a directory of its own under TMP.
chmod 711 "$TMP"
WORK=$TMP/work
mkdir -m 1777 "$WORK"
RTT_PID=""
SCLUSTER=""
PLUG_SWAPPED=0
CLEANED=0

psql_() { runuser -u postgres -- psql -X -qAt -h /var/run/postgresql -p "$PGPORT" -d sexec "$@"; }

# Slurm job ids of this run's srun jobs of one side (all sides without one),
# as a PostgreSQL array literal.
srun_jobs() {
	local names=$JOB_NAME-on,$JOB_NAME-off,$JOB_NAME-none ids
	[ -z "${1:-}" ] || names=$JOB_NAME-$1
	ids=$(sacct -n -X -P -u "$BUSER" --name="$names" -S "$SACCT_START" -E now -o JobIDRaw 2>/dev/null |
		grep -E '^[0-9]+$' | paste -sd ,) || true
	echo "{$ids}"
}
njobs() { tr -cd '0-9,' | awk -F, '{ n = $0 == "" ? 0 : NF } END { print n + 0 }'; }
# wait_sacct SIDE COUNT: sacct lags a little behind the jobs (10 s at most)
wait_sacct() {
	local i
	for i in $(seq 50); do
		[ "$(srun_jobs "$1" | njobs)" -ge "$2" ] && return 0
		sleep 0.2
	done
	log "warning: sacct knows fewer than $2 $1 jobs"
}

db_cleanup() {
	local jobs
	jobs=$(srun_jobs)
	bench_forget "cluster = '$CLUSTER' AND job_id BETWEEN $JOB_FIRST AND $JOB_LAST"
	[ -n "$SCLUSTER" ] && [ "$jobs" != "{}" ] || return 0
	bench_forget "cluster = '$SCLUSTER' AND job_id = ANY('$jobs'::bigint[])"
}
db_left() {
	local jobs
	jobs=$(srun_jobs)
	psql_ -c "SELECT (SELECT count(*) FROM sexec.step WHERE cluster = '$CLUSTER'
			AND job_id BETWEEN $JOB_FIRST AND $JOB_LAST)
		+ (SELECT count(*) FROM sexec.step WHERE cluster = '$SCLUSTER'
			AND job_id = ANY('$jobs'::bigint[]))" 2>/dev/null
}

# plugstack.conf without sexec.so, for the "none" side. The flag is set
# before the file changes, so an interrupt in between still restores it.
plugstack_out() {
	PLUG_SWAPPED=1
	{ grep -v 'sexec\.so' "$TMP/plugstack.conf.orig" || true; } >"$PLUGSTACK.sexec-bench"
	chmod 644 "$PLUGSTACK.sexec-bench"
	mv -f "$PLUGSTACK.sexec-bench" "$PLUGSTACK"
}
plugstack_back() {
	[ "$PLUG_SWAPPED" = 1 ] || return 0
	cp -p "$TMP/plugstack.conf.orig" "$PLUGSTACK.sexec-bench" &&
		mv -f "$PLUGSTACK.sexec-bench" "$PLUGSTACK" && PLUG_SWAPPED=0
}

finish() {
	local rc=$?
	set +e
	if [ "$PLUG_SWAPPED" = 1 ]; then
		plugstack_back || log "ERROR: could not restore $PLUGSTACK: the original is in $TMP/plugstack.conf.orig"
		[ "$PLUG_SWAPPED" = 0 ] || exit "$rc"
	fi
	if [ -n "$RTT_PID" ] && kill -0 "$RTT_PID" 2>/dev/null; then
		kill -TERM "$RTT_PID"
		wait "$RTT_PID" 2>/dev/null
	fi
	if [ "$CLEANED" = 0 ]; then
		settle
		db_cleanup || log "warning: database cleanup failed"
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- setup
log "building into $TMP"
RTT=$TMP/launch-rtt
(cd "$TOP" && $CC -O2 -Wall -Iinclude -DSYSCONFDIR='"/etc"' tests/bench/launch-rtt.c \
	lib/proto.c lib/client.c lib/record.c -o "$RTT") || die "cannot build launch-rtt"

cp -p "$PLUGSTACK" "$TMP/plugstack.conf.orig"
grep -q 'sexec\.so' "$PLUGSTACK" || die "$PLUGSTACK does not load sexec.so"
SCLUSTER=$(scontrol show config | awk '$1 == "ClusterName" { print $3 }')
[[ $SCLUSTER =~ ^[A-Za-z0-9_-]+$ ]] || die "cannot read Slurm's ClusterName"
SNODE=$(sinfo -h -N -p "$PART" -o %N | head -n 1)
[ -n "$SNODE" ] || die "no node in partition $PART"
SCPUS=$(sinfo -h -N -n "$SNODE" -o %c | head -n 1)
CPUS=$(nproc)
[ "${SCPUS:-1}" -lt "$CPUS" ] && CPUS=${SCPUS:-1}
NTASKS_LIST="1"
[ "$CPUS" -ge 2 ] && NTASKS_LIST="1 2"
SIDES=(on off)
[ "$PLUGSTACK_MODE" = 1 ] && SIDES=(on off none)

SEXECD_PID0=$(sexecd_pid) || die "sexecd is not running"
SEXECD_PID_LAST=$SEXECD_PID0
: >"$TMP/restarts"
stats >"$TMP/stats.begin" || die "sexecd --stats failed"
log "sexecd pid $SEXECD_PID0, mode $(stat_get "$TMP/stats.begin" mode); Slurm cluster $SCLUSTER, node $SNODE ($CPUS CPUs)"

# ---------------------------------------------------------------- direct
log "direct: $RTT_N made-up tasks (after $RTT_WARMUP warm-up), job ids $JOB_FIRST-$JOB_LAST"
settle
stats >"$TMP/d0"
# In the background so that an interrupt can stop it (finish kills it).
"$RTT" -s "$SOCKET" -c "$CLUSTER" -n "$NODE" -w "$RTT_WARMUP" -j "$JOB_FIRST" -J "$JOB_LAST" \
	"$RTT_N" >"$TMP/rtt.out" 2>"$TMP/rtt.err" &
RTT_PID=$!
rc=0
wait "$RTT_PID" || rc=$?
RTT_PID=""
[ "$rc" = 0 ] || { cat "$TMP/rtt.err" >&2; die "launch-rtt failed (exit $rc)"; }
stats >"$TMP/d1"
check_pid "direct round trips"
[ -s "$TMP/rtt.err" ] && log "launch-rtt: $(sort "$TMP/rtt.err" | uniq -c | sort -rn | head -n 3)"

# ---------------------------------------------------------------- srun
# Before each run: the collector has drained and the node has no job (ours
# or anyone's, up to BENCH_IDLE_S); runs that had to start anyway are counted.
node_idle() {
	local i
	for i in $(seq $((IDLE_S * 5))); do
		[ -z "$(squeue -h -w "$SNODE" -o %i 2>/dev/null)" ] &&
			[ "$(sinfo -h -N -n "$SNODE" -o %T | head -n 1)" = idle ] && return 0
		sleep 0.2
	done
	echo busy >>"$TMP/busy"
}
# Someone else's job on the node right after a run probably overlapped it.
node_shared() {
	squeue -h -w "$SNODE" -o %j 2>/dev/null | grep -qv "^$JOB_NAME-" && echo shared >>"$TMP/shared"
	return 0
}

# srun_time SIDE NTASKS: one srun as the test user; its wall time in ms goes
# to MS (not in a subshell: the plugstack.conf swap must be seen by finish)
srun_time() {
	local side=$1 n=$2 opt=() rc t0 t1
	case $side in
	on) opt=(--sexec=on) ;;
	off) opt=(--sexec=off) ;;
	esac
	settle
	node_idle
	[ "$side" = none ] && plugstack_out
	rc=0
	# Timed inside the user's shell: neither runuser nor env is counted.
	runuser -u "$BUSER" -- env -C "$WORK" PATH="$PATH" LC_ALL=C bash -c \
		't0=$EPOCHREALTIME; srun "$@" true >srun.log 2>&1; rc=$?; t1=$EPOCHREALTIME
		 echo "$t0 $t1 $rc"' srun-timer -N1 -n"$n" --quiet -p "$PART" -J "$JOB_NAME-$side" \
		"${opt[@]}" >"$TMP/t" || rc=$?
	[ "$side" = none ] && plugstack_back
	node_shared
	[ "$rc" = 0 ] || die "runuser failed (exit $rc)"
	read -r t0 t1 rc <"$TMP/t"
	[ "$rc" = 0 ] || { cat "$WORK/srun.log" >&2; die "srun ($side, -n$n) failed (exit $rc)"; }
	MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
}

# launch_pairs NTASKS: one warm-up per side, then PAIRS rounds with the
# order rotated every round (two sides: it flips every pair).
launch_pairs() {
	local n=$1 i j k side
	local -A last
	for side in "${SIDES[@]}"; do : >"$TMP/n$n.$side"; done
	: >"$TMP/n$n.d_off"
	: >"$TMP/n$n.d_on_none"
	: >"$TMP/n$n.d_off_none"
	for side in "${SIDES[@]}"; do srun_time "$side" "$n"; done
	for i in $(seq "$PAIRS"); do
		for j in $(seq 0 $((${#SIDES[@]} - 1))); do
			k=$(((i - 1 + j) % ${#SIDES[@]}))
			side=${SIDES[$k]}
			srun_time "$side" "$n"
			echo "$MS" >>"$TMP/n$n.$side"
			last[$side]=$MS
		done
		awk -v a="${last[on]}" -v b="${last[off]}" 'BEGIN { print a - b }' >>"$TMP/n$n.d_off"
		if [ "$PLUGSTACK_MODE" = 1 ]; then
			awk -v a="${last[on]}" -v b="${last[none]}" 'BEGIN { print a - b }' >>"$TMP/n$n.d_on_none"
			awk -v a="${last[off]}" -v b="${last[none]}" 'BEGIN { print a - b }' >>"$TMP/n$n.d_off_none"
		fi
		log "srun -n$n round $i/$PAIRS: $(for s in "${SIDES[@]}"; do printf '%s %s ms  ' "$s" "${last[$s]}"; done)"
	done
}

: >"$TMP/busy"
: >"$TMP/shared"
for n in $NTASKS_LIST; do
	log "srun -N1 -n$n --quiet true as $BUSER: $PAIRS rounds of ${SIDES[*]}"
	launch_pairs "$n"
	check_pid "srun -n$n"
done

# ---------------------------------------------------------------- checks
# The "on" jobs must have been registered and the others not; count the jobs
# of each side that have task rows.
settle
NRUNS=$(($(echo "$NTASKS_LIST" | wc -w) * (PAIRS + 1)))
for side in "${SIDES[@]}"; do
	wait_sacct "$side" "$NRUNS"
	jobs=$(srun_jobs "$side")
	echo "$side $(echo "$jobs" | njobs) $(psql_ -c \
		"SELECT count(DISTINCT job_id) FROM sexec.task WHERE cluster = '$SCLUSTER'
		 AND job_id = ANY('$jobs'::bigint[])")" >>"$TMP/registered"
done
stats >"$TMP/stats.end"

# ---------------------------------------------------------------- cleanup
db_cleanup || log "warning: database cleanup failed"
sleep 1
left=$(db_left || echo "?")
[ "$left" = 0 ] || { settle; db_cleanup || true; left=$(db_left || echo "?"); }
CLEANED=1

# ---------------------------------------------------------------- summary
sdiff() { echo $(($(stat_get "$2" "$3") - $(stat_get "$1" "$3"))); }
rtt_row() { # NAME KEY
	awk -v n="$1" -v k="$2" -v t="$3" '$1 == k { printf "%-22s %10.1f %10.1f %10.1f %10.1f %8s\n",
		n, $3, $5, $7, $9, t }' "$TMP/rtt.out"
}
ms_row() { # LABEL FILE_A FILE_B FILE_DIFF
	awk -v l="$1" -v a="$(median <"$2")" -v b="$(median <"$3")" -v d="$(median <"$4")" \
		-v lo="$(quantile 0.25 <"$4")" -v hi="$(quantile 0.75 <"$4")" 'BEGIN {
		printf "%-22s %12s %12s %+11.2f ms %+8.2f..%+6.2f ms %8s\n", l, sprintf("%.1f ms", a),
			sprintf("%.1f ms", b), d, lo, hi, "<=5 ms" }'
}
summary() {
	local n
	echo "== sexec plugin launch cost: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, $(hostname -s)"
	echo "   sexecd pid $SEXECD_PID0, mode $(stat_get "$TMP/stats.begin" mode); $(srun --version)," \
		"cluster $SCLUSTER; plugstack.conf: $(grep -v '^[[:space:]]*#' "$TMP/plugstack.conf.orig" | paste -sd ';')"
	echo
	echo "Registration round trips, direct: $(awk '$1 == "tasks" { print $2 }' "$TMP/rtt.out") made-up tasks" \
		"(after $RTT_WARMUP warm-up) of cluster $CLUSTER, job ids $(awk '$1 == "tasks" { print $8 }' "$TMP/rtt.out")"
	printf "%-22s %10s %10s %10s %10s %8s\n" "request (us)" median p90 p99 max target
	rtt_row TASK_BEGIN task_begin ""
	rtt_row TASK_END task_end ""
	rtt_row STEP_END step_end ""
	rtt_row "begin+end+step_end" total "<=5000"
	echo "   failed requests: $(awk '$1 == "tasks" { print $6 }' "$TMP/rtt.out");" \
		"sexecd registrations +$(sdiff "$TMP/d0" "$TMP/d1" registrations)"
	echo
	echo "End to end: srun -N1 -nN --quiet true as $BUSER in partition $PART, wall time;" \
		"$PAIRS rounds after one warm-up per side, order rotated every round"
	printf "%-22s %12s %12s %14s %18s %8s\n" launch "on(med)" "off(med)" "on-off(med)" "rounds p25..p75" target
	for n in $NTASKS_LIST; do
		ms_row "srun -n$n" "$TMP/n$n.on" "$TMP/n$n.off" "$TMP/n$n.d_off"
	done
	if [ "$PLUGSTACK_MODE" = 1 ]; then
		echo
		echo "Against sexec.so taken out of plugstack.conf (none):"
		printf "%-22s %12s %12s %14s %18s %8s\n" launch "on(med)" "none(med)" "on-none(med)" "rounds p25..p75" target
		for n in $NTASKS_LIST; do
			ms_row "srun -n$n" "$TMP/n$n.on" "$TMP/n$n.none" "$TMP/n$n.d_on_none"
			ms_row "srun -n$n, off" "$TMP/n$n.off" "$TMP/n$n.none" "$TMP/n$n.d_off_none" | sed 's/<=5 ms$//'
		done
	fi
	[ "$CPUS" -ge 2 ] || echo "   (-n2 skipped: $CPUS CPU)"
	echo "   jobs with task rows in sexec.task (side: with rows / jobs):" \
		"$(awk '{ printf "%s%s %d/%d", (NR > 1 ? ", " : ""), $1, $3, $2 }' "$TMP/registered")"
	echo "   runs started with the node still busy after ${IDLE_S} s: $(wc -l <"$TMP/busy");" \
		"runs with another job on the node right after: $(wc -l <"$TMP/shared")"
	cmp -s "$PLUGSTACK" "$TMP/plugstack.conf.orig" ||
		echo "   WARNING: $PLUGSTACK changed during the run (by someone else?): now $(paste -sd ';' "$PLUGSTACK")"
	echo
	if [ -s "$TMP/restarts" ]; then
		printf 'sexecd db_dropped/db_failures over the run: n/a (counters reset by a restart)'
	else
		printf 'sexecd db_dropped/db_failures over the run: %s/%s' \
			"$(sdiff "$TMP/stats.begin" "$TMP/stats.end" db_dropped)" \
			"$(sdiff "$TMP/stats.begin" "$TMP/stats.end" db_failures)"
	fi
	echo "; steps left of this run after cleanup: $left"
	cat "$TMP/restarts"
	echo "total benchmark time: $(($(date +%s) - T_START)) s"
}
summary >"$TMP/summary"
echo
cat "$TMP/summary"
[ -z "${BENCH_OUT:-}" ] || cp "$TMP/summary" "$BENCH_OUT"
