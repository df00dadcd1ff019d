#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Overhead benchmarks of sexec on the local stack (sudo tests/stack.sh up first):
# tracked vs untracked workloads, BPF ns per event, collector CPU and RSS.
#
# Usage: sudo tests/bench/run.sh
# Environment: BENCH_OUT (also write the summary there), BENCH_PAIRS (12),
# BENCH_EXECS (2000), BENCH_RTS (200000), BENCH_RATE (1000), BENCH_RATE_S (10),
# BENCH_NSLEEP (10000), BENCH_SLEEP_S (30), BENCH_PP_CPU (CPU to pin ping-pong
# to, default the last one; "none" leaves it unpinned), PREFIX (/usr/local), CC (gcc).
# Tracked runs use job ids 993000-993999; their rows are deleted at the end.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PREFIX=${PREFIX:-/usr/local}
SEXECD=$PREFIX/sbin/sexecd
CONF=${SEXEC_CONF:-/etc/sexec/sexec.conf}
SOCKET=/run/sexec/sexecd.sock
SEXECD_PIDFILE=${SEXEC_STATE:-/var/lib/sexec-cluster}/run/sexecd.pid
PGPORT=${SEXEC_PGPORT:-5439}
PAIRS=${BENCH_PAIRS:-12}
EXECS=${BENCH_EXECS:-2000}
RTS=${BENCH_RTS:-200000}
RATE=${BENCH_RATE:-1000}
RATE_S=${BENCH_RATE_S:-10}
NSLEEP=${BENCH_NSLEEP:-10000}
SLEEP_S=${BENCH_SLEEP_S:-30}
PP_CPU=${BENCH_PP_CPU:-$(($(nproc) - 1))}
[ "$PP_CPU" = none ] && PP_CPU=""
CLUSTER=bench
NODE=$(hostname -s)
JOB_FIRST=993000
JOB_LAST=993999
JOB=$JOB_FIRST
CC=${CC:-gcc}
TCK=$(getconf CLK_TCK)
T_START=$(date +%s)
. "$HERE/lib.sh"

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
[ -x "$SEXECD" ] || die "$SEXECD not found (make install)"
[ -S "$SOCKET" ] || die "no $SOCKET: is the stack up? (sudo tests/stack.sh up)"

TMP=$(mktemp -d /tmp/sexec-bench.XXXXXX)
BPF_STATS_PREV=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo "")
SLEEPERS_PID=""
CLEANED=0
V2CG=""

# prog_get FILE NAME -> "run_cnt ns_per_run"
prog_get() { awk -v n="$2" '$1 == "prog" && $2 == n { print $4, $6; exit }' "$1"; }
prog_names() { awk '$1 == "prog" { print $2 }' "$1"; }

# utime + stime of a process, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
now() { date +%s.%N; }
# IRQ-work interrupts, all CPUs (the BPF ring buffer wakes its reader with one)
iwi() { awk '$1 == "IWI:" { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s + 0; f = 1 } END { if (!f) print 0 }' /proc/interrupts; }

next_job() {
	JOB=$((JOB + 1))
	[ "$JOB" -le "$JOB_LAST" ] || die "out of job ids"
}

# run_one plain|tracked OUTFILE CMD... (not in a subshell: it takes a job id)
run_one() {
	local mode=$1 out=$2 i rc
	shift 2
	if [ "$mode" = tracked ]; then
		next_job
		# exit 3: the registration failed (sexecd restarting?): try again
		for i in 1 2 3 4 5 6 7 8 9 10; do
			rc=0
			"$SRT" -s "$SOCKET" -c "$CLUSTER" -n "$NODE" -j "$JOB" -- "$@" >"$out" || rc=$?
			[ "$rc" = 3 ] || break
			sleep 2
		done
		[ "$rc" = 0 ] || die "tracked run failed (exit $rc): $*"
	elif [ "$mode" = cgroup ]; then
		# untracked, one level below the v2 root, as sexecd places steps
		# on a hybrid host: what the kernel's pressure accounting costs
		sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$V2CG" "$@" >"$out" ||
			die "run in $V2CG failed: $*"
	else
		"$@" >"$out" || die "run failed: $*"
	fi
}

db_cleanup() { bench_forget "job_id BETWEEN $JOB_FIRST AND $JOB_LAST"; }
db_left() {
	runuser -u postgres -- psql -X -qAt -h /var/run/postgresql -p "$PGPORT" -d sexec -c \
		"SELECT count(*) FROM sexec.process WHERE job_id BETWEEN $JOB_FIRST AND $JOB_LAST" 2>/dev/null
}

# Only the sleeps we started: their pids, and still children of our helper.
kill_sleepers() {
	local p ppid rest n=0
	[ -n "$SLEEPERS_PID" ] && [ -f "$TMP/sleep.pids" ] || return 0
	while read -r p; do
		[ -r "/proc/$p/stat" ] || continue
		read -r _ _ _ ppid rest <"/proc/$p/stat" 2>/dev/null || continue
		[ "$ppid" = "$SLEEPERS_PID" ] || continue
		kill -TERM "$p" 2>/dev/null && n=$((n + 1))
	done <"$TMP/sleep.pids"
	echo "$n"
}

finish() {
	local rc=$?
	set +e
	if [ -n "$SLEEPERS_PID" ] && kill -0 "$SLEEPERS_PID" 2>/dev/null; then
		kill_sleepers >/dev/null
		wait "$SLEEPERS_PID" 2>/dev/null
	fi
	[ -n "$BPF_STATS_PREV" ] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_PREV"
	[ -n "${V2CG:-}" ] && rmdir "$V2CG" 2>/dev/null
	if [ "$CLEANED" = 0 ]; then
		settle
		db_cleanup || log "warning: database cleanup failed"
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- build
log "building into $TMP"
$CC -O2 -Wall -o "$TMP/exec-storm" "$HERE/exec-storm.c"
$CC -O2 -Wall -o "$TMP/pingpong" "$HERE/pingpong.c"
$CC -O2 -Wall -o "$TMP/sleepers" "$HERE/sleepers.c"
SRT=$TMP/sexec-run-tracked
if ! (cd "$TOP" && $CC -O2 -Iinclude -DSYSCONFDIR='"/etc"' tests/integration/sexec-run-tracked.c \
	lib/proto.c lib/client.c lib/record.c -o "$SRT") 2>"$TMP/cc.log"; then
	cat "$TMP/cc.log" >&2
	for f in "$TOP/tests/integration/.libs/sexec-run-tracked" "$TOP/tests/integration/sexec-run-tracked"; do
		if [ -x "$f" ] && file -b "$f" | grep -q ELF; then SRT=$f; break; fi
	done
	[ -x "$SRT" ] || die "cannot build sexec-run-tracked"
fi

SEXECD_PID0=$(sexecd_pid) || die "sexecd is not running"
SEXECD_PID_LAST=$SEXECD_PID0
: >"$TMP/restarts"
stats >"$TMP/stats.begin" || die "sexecd --stats failed"
RSS_IDLE=$(rss_kb "$SEXECD_PID0")
log "sexecd pid $SEXECD_PID0, mode $(stat_get "$TMP/stats.begin" mode), RSS ${RSS_IDLE} kB"

# ---------------------------------------------------------------- pairs
# pairs NAME FIELD CMD...: PAIRS alternating untracked/tracked pairs (the
# order flips every pair so neither side always runs first). With
# PAIR_MODE=cgroup the other side is an untracked run in a v2 cgroup.
pairs() {
	local name=$1 key=$2 i m p t b=${PAIR_MODE:-tracked}
	shift 2
	: >"$TMP/$name.plain"
	: >"$TMP/$name.$b"
	: >"$TMP/$name.ratio"
	settle
	run_one plain "$TMP/out" "$@" # warm-up, not counted
	settle
	run_one "$b" "$TMP/out" "$@"
	for i in $(seq "$PAIRS"); do
		if [ $((i % 2)) = 1 ]; then set -- plain "$b" "$@"; else set -- "$b" plain "$@"; fi
		for m in "$1" "$2"; do
			settle
			run_one "$m" "$TMP/out" "${@:3}"
			field "$TMP/out" "$key" >>"$TMP/$name.$m"
		done
		shift 2
		p=$(tail -n 1 "$TMP/$name.plain")
		t=$(tail -n 1 "$TMP/$name.$b")
		awk -v p="$p" -v t="$t" 'BEGIN { print t / p }' >>"$TMP/$name.ratio"
		log "$name pair $i/$PAIRS: untracked $p tracked $t ($key)"
	done
}

log "exec storm: $PAIRS pairs of $EXECS execs"
pairs exec us_per_exec "$TMP/exec-storm" "$EXECS"
check_pid "exec storm pairs"
log "ping-pong: $PAIRS pairs of $RTS round trips${PP_CPU:+ (pinned to CPU $PP_CPU)}"
pairs pp us_per_rt "$TMP/pingpong" "$RTS" $PP_CPU
check_pid "ping-pong pairs"
# On a hybrid host (a v2 tree without the cpu and memory controllers) sexecd
# puts each step in a v2 cgroup of its own: measure that part alone.
V2ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
if [ -n "$V2ROOT" ] && ! grep -qw -e cpu -e memory "$V2ROOT/cgroup.controllers" 2>/dev/null; then
	V2CG=$V2ROOT/sexec-bench-psi
	mkdir -p "$V2CG"
	log "ping-pong in a v2 cgroup: $PAIRS pairs (the kernel's pressure accounting)"
	PAIR_MODE=cgroup pairs ppcg us_per_rt "$TMP/pingpong" "$RTS" $PP_CPU
	rmdir "$V2CG" 2>/dev/null || true
fi

# ---------------------------------------------------------------- BPF cost
log "BPF cost: kernel.bpf_stats_enabled=1 (was ${BPF_STATS_PREV:-?})"
sysctl -qw kernel.bpf_stats_enabled=1
settle
stats >"$TMP/b0"
I0=$(iwi)
run_one tracked "$TMP/out" "$TMP/exec-storm" "$EXECS"
I1=$(iwi)
stats >"$TMP/b1"
settle
stats >"$TMP/b2"
I2=$(iwi)
run_one plain "$TMP/out" "$TMP/exec-storm" "$EXECS"
I3=$(iwi)
stats >"$TMP/b3"
EV_T=$(($(stat_get "$TMP/b1" events) - $(stat_get "$TMP/b0" events)))
# The scheduler programs, on a context-switch storm: every switch of a
# tracked ping-pong has tracked threads on both sides (state accounting);
# an untracked one pays the two task-storage misses every switch on the node pays.
settle
stats >"$TMP/b4"
run_one tracked "$TMP/out" "$TMP/pingpong" "$RTS" $PP_CPU
stats >"$TMP/b5"
settle
stats >"$TMP/b6"
run_one plain "$TMP/out" "$TMP/pingpong" "$RTS" $PP_CPU
stats >"$TMP/b7"
[ -n "$BPF_STATS_PREV" ] && sysctl -qw kernel.bpf_stats_enabled="$BPF_STATS_PREV"
check_pid "BPF cost"

# bpf_delta BEFORE AFTER NAME -> "ns_per_run delta_cnt error_bound_ns" (ns_per_run
# is printed to 0.1 ns, so run_time_ns = run_cnt * ns_per_run is good to
# 0.05 * run_cnt ns; the bound is for the quotient).
bpf_delta() {
	local c0 n0 c1 n1
	read -r c0 n0 <<<"$(prog_get "$1" "$3")"
	read -r c1 n1 <<<"$(prog_get "$2" "$3")"
	awk -v c0="$c0" -v n0="$n0" -v c1="$c1" -v n1="$n1" 'BEGIN {
		d = c1 - c0
		if (c0 == "" || c1 == "" || d <= 0) { print "nan", (d == "" ? 0 : d), "nan"; exit }
		printf "%.1f %d %.1f\n", (c1 * n1 - c0 * n0) / d, d, 0.05 * (c0 + c1) / d }'
}
BPF_RESTART=0
for pair in "b0 b1" "b2 b3" "b4 b5" "b6 b7"; do
	read -r a b <<<"$pair"
	awk -v u0="$(stat_get "$TMP/$a" uptime_s)" -v u1="$(stat_get "$TMP/$b" uptime_s)" \
		'BEGIN { exit !(u1 < u0) }' && BPF_RESTART=1
done

# ---------------------------------------------------------------- collector CPU
NRATE=$((RATE * RATE_S))
log "collector CPU: tracked $NRATE execs at $RATE/s"
settle
CPID=$(sexecd_pid) || die "sexecd is not running"
stats >"$TMP/c0"
K0=$(cpu_ticks "$CPID")
T0=$(now)
run_one tracked "$TMP/rate.out" "$TMP/exec-storm" "$NRATE" "$RATE"
T1=$(now)
K1=$(cpu_ticks "$CPID")
RSS_RATE=$(rss_kb "$CPID")
stats >"$TMP/c1"
# drained: nothing left queued for the database (no stability wait, so that
# other tracked load on the host counts as little as possible)
for i in $(seq 100); do
	stats >"$TMP/c2" || break
	[ "$(stat_get "$TMP/c2" db_queued)" = 0 ] && break
	sleep 0.1
done
T2=$(now)
K2=$(cpu_ticks "$CPID")
check_pid "collector CPU"
RATE_GOT=$(field "$TMP/rate.out" rate_per_s)
read -r CPU_PCT CPU_PCT_DRAIN CPU_US_PER_PROC DRAIN_S <<<"$(awk -v k0="$K0" -v k1="$K1" -v k2="$K2" \
	-v t0="$T0" -v t1="$T1" -v t2="$T2" -v hz="$TCK" -v n="$NRATE" 'BEGIN {
	printf "%.2f %.2f %.1f %.1f\n", 100 * (k1 - k0) / hz / (t1 - t0),
		100 * (k2 - k0) / hz / (t1 - t0), 1e6 * (k2 - k0) / hz / n, t2 - t1 }')"
# self_cpu_s (getrusage, µs resolution) as a cross-check of the tick count
CPU_PCT_RU=$(awk -v a="$(stat_get "$TMP/c0" self_cpu_s)" -v b="$(stat_get "$TMP/c1" self_cpu_s)" \
	-v t0="$T0" -v t1="$T1" 'BEGIN { printf "%.2f", 100 * (b - a) / (t1 - t0) }')

# ---------------------------------------------------------------- RSS, 10k live
log "collector RSS: $NSLEEP live tracked 'sleep $SLEEP_S'"
settle
stats >"$TMP/r0"
next_job
"$SRT" -s "$SOCKET" -c "$CLUSTER" -n "$NODE" -j "$JOB" -- \
	"$TMP/sleepers" "$NSLEEP" "$SLEEP_S" "$TMP/sleep.pids" >"$TMP/sleepers.out" 2>&1 &
SLEEPERS_PID=$!
TS0=$(now)
for i in $(seq $((SLEEP_S * 10))); do
	[ -e "$TMP/sleep.pids.ready" ] && break
	kill -0 "$SLEEPERS_PID" 2>/dev/null || break
	sleep 0.1
done
[ -e "$TMP/sleep.pids.ready" ] || { cat "$TMP/sleepers.out" >&2; die "sleepers did not start"; }
SPAWN_S=$(awk -v a="$TS0" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
STARTED=$(wc -l <"$TMP/sleep.pids")
TRACKED_NOW=0
for i in $(seq 100); do
	stats >"$TMP/r1" || break
	TRACKED_NOW=$(stat_get "$TMP/r1" tracked_now)
	[ "${TRACKED_NOW:-0}" -ge "$NSLEEP" ] && break
	sleep 0.2
done
RPID=$(sexecd_pid) || die "sexecd is not running"
RSS_10K=$(rss_kb "$RPID")
HWM_10K=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$RPID/status")
[ "${TRACKED_NOW:-0}" -ge "$NSLEEP" ] || log "warning: tracked_now only reached $TRACKED_NOW"
KILLED=$(kill_sleepers)
wait "$SLEEPERS_PID" || log "warning: sleepers helper: $(cat "$TMP/sleepers.out")"
SLEEPERS_PID=""
settle
stats >"$TMP/r2"
RSS_AFTER=$(rss_kb "$RPID" 2>/dev/null || echo 0)
check_pid "RSS with $NSLEEP processes"

# ---------------------------------------------------------------- cleanup
settle
stats >"$TMP/stats.end"
db_cleanup || log "warning: database cleanup failed"
sleep 1
left=$(db_left || echo "?")
[ "$left" = 0 ] || { settle; db_cleanup || true; left=$(db_left || echo "?"); }
CLEANED=1

# ---------------------------------------------------------------- summary
lostd() { # FILE_BEFORE FILE_AFTER -> "ringbuf/map_full/unattributed"
	local k out=""
	for k in lost_ringbuf lost_map_full lost_unattributed; do
		out="$out/$(($(stat_get "$2" "$k") - $(stat_get "$1" "$k")))"
	done
	echo "${out#/}"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
summary() {
	local w u t r lo hi unit n
	echo "== sexec overhead benchmark: $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, $(hostname -s)"
	echo "   sexecd pid $SEXECD_PID0, mode $(stat_get "$TMP/stats.begin" mode); $PAIRS alternating pairs per workload; job ids $((JOB_FIRST + 1))-$JOB"
	echo
	printf "%-26s %16s %16s %12s %18s %8s\n" workload "untracked(med)" "tracked(med)" slowdown "pairs p25..p75" target
	for w in exec pp ppcg; do
		case $w in
		exec) n="exec storm ($EXECS execs)"; unit="us/exec"; b=tracked ;;
		pp) n="ping-pong ($RTS rt${PP_CPU:+, cpu $PP_CPU})"; unit="us/rt"; b=tracked ;;
		ppcg) [ -s "$TMP/ppcg.ratio" ] || continue
			n="  of which v2 cgroup"; unit="us/rt"; b=cgroup ;;
		esac
		u=$(median <"$TMP/$w.plain")
		t=$(median <"$TMP/$w.$b")
		r=$(median <"$TMP/$w.ratio")
		lo=$(quantile 0.25 <"$TMP/$w.ratio")
		hi=$(quantile 0.75 <"$TMP/$w.ratio")
		awk -v n="$n" -v u="$u" -v t="$t" -v r="$r" -v lo="$lo" -v hi="$hi" -v unit="$unit" \
			-v target="$(case $w in exec) echo "<=1%" ;; pp) echo "<=2%" ;; *) echo "-" ;; esac)" 'BEGIN {
			printf "%-26s %16s %16s %+11.2f%% %+8.1f..%+6.1f%% %8s\n", n,
				sprintf("%.3f %s", u, unit), sprintf("%.3f %s", t, unit),
				(r - 1) * 100, (lo - 1) * 100, (hi - 1) * 100, target }'
	done
	echo
	echo "BPF cost, ns per run = delta run_time_ns / delta run_cnt (exec storm of $EXECS; target <=1000 ns)"
	[ "$BPF_RESTART" = 0 ] || echo "   WARNING: sexecd restarted between snapshots: figures are not valid"
	printf "%-12s %22s %22s\n" program "tracked load" "untracked load"
	for p in $(prog_names "$TMP/b1"); do
		read -r tn td te <<<"$(bpf_delta "$TMP/b0" "$TMP/b1" "$p")"
		read -r un ud ue <<<"$(bpf_delta "$TMP/b2" "$TMP/b3" "$p")"
		printf "%-12s %22s %22s\n" "$p" "$tn ns (n=$td, ±$te)" "$un ns (n=$ud, ±$ue)"
	done
	printf "%-12s %22s %22s\n" "IRQ work" "$((I1 - I0)) for $EV_T events" "$((I3 - I2))"
	echo
	echo "BPF cost per scheduler event, ping-pong of $RTS round trips (tracked: both threads accounted)"
	printf "%-12s %22s %22s\n" program "tracked" "untracked"
	for p in btf_switch btf_wakeup btf_wakeup_new; do
		prog_get "$TMP/b5" "$p" | grep -q . || continue
		read -r tn td te <<<"$(bpf_delta "$TMP/b4" "$TMP/b5" "$p")"
		read -r un ud ue <<<"$(bpf_delta "$TMP/b6" "$TMP/b7" "$p")"
		printf "%-12s %22s %22s\n" "$p" "$tn ns (n=$td, ±$te)" "$un ns (n=$ud, ±$ue)"
	done
	echo
	echo "Collector CPU, tracked exec storm paced at $RATE/s for ${RATE_S} s (achieved ${RATE_GOT}/s)"
	printf "   %-46s %s\n" "CPU % of one core over the window:" "$CPU_PCT % (getrusage: $CPU_PCT_RU %)  target <=1%"
	printf "   %-46s %s\n" "incl. draining afterwards (${DRAIN_S} s):" "$CPU_PCT_DRAIN % of the window; ${CPU_US_PER_PROC} us CPU per tracked process"
	echo
	echo "Collector RSS (VmRSS)"
	printf "   %-46s %s\n" "idle, at start:" "$(mb "$RSS_IDLE")"
	printf "   %-46s %s\n" "after the $RATE/s run:" "$(mb "$RSS_RATE")"
	printf "   %-46s %s\n" "with $NSLEEP live tracked (tracked_now $TRACKED_NOW):" "$(mb "$RSS_10K") (VmHWM $(mb "$HWM_10K"))  target <=50 MB"
	printf "   %-46s %s\n" "after they exited:" "$(mb "$RSS_AFTER")"
	printf "   %-46s %s\n" "spawning $STARTED sleeps took:" "${SPAWN_S} s; killed $KILLED by pid"
	echo
	echo "Events lost (ringbuf/map_full/unattributed): $NSLEEP-process phase $(lostd "$TMP/r0" "$TMP/r2"), whole run $(lostd "$TMP/stats.begin" "$TMP/stats.end")"
	echo "db_dropped/db_failures over the run: $(($(stat_get "$TMP/stats.end" db_dropped) - $(stat_get "$TMP/stats.begin" db_dropped)))/$(($(stat_get "$TMP/stats.end" db_failures) - $(stat_get "$TMP/stats.begin" db_failures))); rows left in 993000-993999 after cleanup: $left"
	cat "$TMP/restarts"
	echo "Slurm/sacct side by side: skipped"
	echo "total benchmark time: $(($(date +%s) - T_START)) s"
}
summary >"$TMP/summary"
echo
cat "$TMP/summary"
[ -z "${BENCH_OUT:-}" ] || cp "$TMP/summary" "$BENCH_OUT"
