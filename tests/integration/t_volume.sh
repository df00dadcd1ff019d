#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Volume limits keep totals exact: past the per-step cap, and with the spool
# full while PostgreSQL is away, processes lose their own rows but not their
# place in the per-tool and per-step totals, and what was given up is counted
# on the step. A journal replayed twice changes nothing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$(dirname "$0")/../stack.sh"
STATE=${SEXEC_STATE:-/var/lib/sexec-cluster}
PGCTL=/usr/lib/postgresql/15/bin/pg_ctl
PGDATA=$STATE/pgdata
CONF=/etc/sexec/sexec.conf
SPOOL=/var/spool/sexec
LOG=$STATE/log/sexecd.log
mine=

# Our own collector with some settings changed (the stack's is stopped).
own_sexecd() {
	"$STACK" sexecd-stop >/dev/null
	"$PREFIX/sbin/sexecd" -f -c "$CONF" "$@" >>"$LOG" 2>&1 &
	mine=$!
	wait_for 20 "$PREFIX/sbin/sexecd" -c "$CONF" --stats
}
stop_own() {
	[ -n "$mine" ] || return 0
	kill -TERM "$mine" 2>/dev/null
	wait "$mine" 2>/dev/null
	mine=
}
db_up() {
	SEXEC_PLUGSTACK_LINE="optional $PREFIX/lib/slurm/sexec.so" \
		"$(dirname "$0")/../cluster.sh" up >/dev/null 2>&1
}
cleanup() {
	stop_own
	db_up
	"$STACK" sexecd-start >/dev/null
	forget "cluster = 'volume'"
}
trap cleanup EXIT
forget "cluster = 'volume'"
q() { db "$1"; }
step_of() { echo "cluster = 'volume' AND job_id = $1"; }
closed() { [ "$(q "SELECT count(*) FROM sexec.step WHERE $(step_of "$1") AND end_time IS NOT NULL
	AND processes IS NOT NULL")" = 1 ]; }

echo "t_volume: per-step cap of 50 rows"
own_sexecd -o max_process_rows=50
# Ground truth: sexec-wait4 reaps bash, whose rusage holds all its children.
"$BIN/sexec-run-tracked" -e -s "$SOCKET" -c volume -n n1 -j 996001 -- \
	"$BIN/sexec-wait4" "$WORK/cap.wait4" /bin/bash -c \
	'for ((i = 0; i < 200; i++)); do /bin/true; done; for ((i = 0; i < 20; i++)); do /bin/echo x >/dev/null; done'
check_eq "job ran" 0 $?
wait_for 30 closed 996001
S=$(step_of 996001)
check_eq "50 process rows, no more" 50 "$(q "SELECT count(*) FROM sexec.process WHERE $S")"
# sexec-wait4, bash, 200 true, 20 echo
check_eq "the step counts all 222 processes" 222 "$(q "SELECT processes FROM sexec.step WHERE $S")"
check_eq "and the 172 rows given up" 172 "$(q "SELECT rows_dropped FROM sexec.step WHERE $S")"
check_eq "per-tool process counts stay exact" "bash:1 echo:20 sexec-wait4:1 true:200" \
	"$(q "SELECT string_agg(tool || ':' || processes, ' ' ORDER BY tool) FROM sexec.step_tool WHERE $S")"
check_eq "rows given up, per tool, add up" 172 "$(q "SELECT sum(rows_dropped) FROM sexec.step_tool WHERE $S")"
read -r _ wu ws _ _ < "$WORK/cap.wait4"
tools_cpu=$(q "SELECT sum(cpu_user_us + cpu_sys_us) FROM sexec.step_tool WHERE $S AND tool <> 'sexec-wait4'")
check_near "CPU of bash and its children, all folded or not, matches wait4" $((wu + ws)) "$tools_cpu" 10 3000
check_eq "a cost record was computed for the step" 1 "$(q "SELECT count(*) FROM sexec.step_cost WHERE $S")"
json=$(sexec --json --sacct /bin/false 996001 2>/dev/null)
check_eq "sexec --json: tools with their process counts" "bash:1 echo:20 sexec-wait4:1 true:200" \
	"$(jq -r '[.tools[] | "\(.tool):\(.processes)"] | sort | join(" ")' <<<"${json:-null}" 2>/dev/null)"
check_eq "sexec --json: rows given up, over the tools" 172 \
	"$(jq -r '[.tools[].rows_dropped] | add' <<<"${json:-null}" 2>/dev/null)"
check_eq "sexec --json: the tools' CPU time, in µs" \
	"$(q "SELECT sum(cpu_user_us + cpu_sys_us) FROM sexec.step_tool WHERE $S")" \
	"$(jq -r '[.tools[].cpu_s] | add * 1000000 | round' <<<"${json:-null}" 2>/dev/null)"
check_eq "sexec --json: a cost object, with the step's allocation" 1 \
	"$(jq -r 'if .cost.alloc_core_h > 0 then 1 else 0 end' <<<"${json:-null}" 2>/dev/null)"
stop_own

echo "t_volume: spool full while the database is down"
own_sexecd -o spool_max_kb=64
runuser -u postgres -- "$PGCTL" -D "$PGDATA" stop -m fast >/dev/null
"$BIN/sexec-run-tracked" -e -s "$SOCKET" -c volume -n n1 -j 996002 -- \
	/bin/bash -c 'for ((i = 0; i < 2000; i++)); do /bin/true; done'
check_eq "job ran with the database down" 0 $?
folded=$("$PREFIX/sbin/sexecd" -c "$CONF" --stats | awk '/^rows_folded / { print $2 }')
if [ "${folded:-0}" -gt 0 ]; then pass "the collector folded rows once the spool was full ($folded)"; else
	fail "the collector folded rows once the spool was full" "rows_folded ${folded:-none}"; fi
sleep 1
# Keep this spool to replay it a second time below.
kill -KILL "$mine"; wait "$mine" 2>/dev/null; mine=
rm -rf "$WORK/spool-copy"; cp -a "$SPOOL" "$WORK/spool-copy"
db_up
own_sexecd -o spool_max_kb=64
wait_for 60 closed 996002
S=$(step_of 996002)
rows=$(q "SELECT count(*) FROM sexec.process WHERE $S")
dropped=$(q "SELECT rows_dropped FROM sexec.step WHERE $S")
check_eq "the step counts all 2,001 processes" 2001 "$(q "SELECT processes FROM sexec.step WHERE $S")"
check_eq "rows written + rows given up = processes" 2001 $((rows + dropped))
if [ "$dropped" -gt 0 ] && [ "$rows" -gt 0 ]; then pass "some rows kept ($rows), some given up ($dropped)"; else
	fail "some rows kept, some given up" "rows $rows dropped $dropped"; fi
check_eq "per-tool totals count every /bin/true" 2000 \
	"$(q "SELECT processes FROM sexec.step_tool WHERE $S AND tool = 'true'")"
check_eq "per-tool rows given up match the step's" "$dropped" \
	"$(q "SELECT sum(rows_dropped) FROM sexec.step_tool WHERE $S")"

echo "t_volume: the same journal replayed twice changes nothing"
snapshot() {
	q "SELECT (SELECT count(*) FROM sexec.process WHERE $S) || ' ' ||
		(SELECT count(*) FROM sexec.step WHERE $S) || ' ' ||
		(SELECT count(*) FROM sexec.task WHERE $S) || ' ' ||
		(SELECT string_agg(tool || ':' || processes || ':' || rows_dropped || ':' || cpu_user_us,
			',' ORDER BY tool) FROM sexec.step_tool WHERE $S) || ' ' ||
		(SELECT processes || ':' || rows_dropped || ':' || complete FROM sexec.step WHERE $S)"
}
before=$(snapshot)
stop_own
rm -rf "$SPOOL"; cp -a "$WORK/spool-copy" "$SPOOL"
from=$(($(wc -l < "$LOG") + 1))
own_sexecd -o spool_max_kb=64
replayed() { tail -n +"$from" "$LOG" | grep -q "records from the journal are queued again"; }
wait_for 10 replayed && pass "the old journal was replayed again" || fail "the old journal was replayed again"
drained() { [ "$("$PREFIX/sbin/sexecd" -c "$CONF" --stats | awk '/^db_queued / { print $2 }')" = 0 ]; }
wait_for 30 drained
check_eq "process, step, task and per-tool rows unchanged" "$before" "$(snapshot)"
