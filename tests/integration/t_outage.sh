#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PostgreSQL goes away in the middle of a storm of short processes, sexecd is
# killed while it holds them, and both come back: every process is in the
# database exactly once.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$(dirname "$0")/../stack.sh"
PGCTL=/usr/lib/postgresql/15/bin/pg_ctl
PGDATA=${SEXEC_STATE:-/var/lib/sexec-cluster}/pgdata
LOG=${SEXEC_STATE:-/var/lib/sexec-cluster}/log/sexecd.log

echo "t_outage: database down during a storm, collector killed while spooling"
from=$(($(wc -l < "$LOG") + 1))
newlog() { tail -n +"$from" "$LOG"; }
forget "cluster = 'outage'"
"$BIN/sexec-run-tracked" -e -s "$SOCKET" -c outage -n n1 -j 995007 -- \
	/bin/bash -c 'for ((i = 0; i < 4000; i++)); do /bin/true; done' &
storm=$!
sleep 1
runuser -u postgres -- "$PGCTL" -D "$PGDATA" stop -m fast >/dev/null
check_eq "PostgreSQL stopped during the storm" 1 "$(kill -0 $storm 2>/dev/null && echo 1 || echo 0)"
wait "$storm"
check_eq "storm finished while the database was down" 0 $?
# A job that starts while the database is down: its description (pipeline,
# labels) waits in the journal with its processes.
"$BIN/sexec-run-tracked" -e -s "$SOCKET" -c outage -n n1 -j 995008 -P outage-pipe \
	-L phase=down,try=1 -- /bin/bash -c 'for ((i = 0; i < 100; i++)); do /bin/true; done'
check_eq "a job ran while the database was down" 0 $?
sleep 1
"$STACK" sexecd-kill
"$STACK" sexecd-start
SEXEC_PLUGSTACK_LINE="optional $PREFIX/lib/slurm/sexec.so" \
	"$(dirname "$0")/../cluster.sh" up >/dev/null 2>&1
outage_done() { [ "$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'outage' AND exe = '/bin/true'")" -ge 4100 ]; }
wait_for 60 outage_done
check_eq "all 4,000 processes of the storm in the database" 4000 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'outage' AND job_id = 995007 AND exe = '/bin/true'")"
check_eq "all 100 of the job started during the outage" 100 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'outage' AND job_id = 995008 AND exe = '/bin/true'")"
check_eq "its description came through the journal" 'outage-pipe|{"try": "1", "phase": "down"}' \
	"$(db "SELECT pipeline || '|' || labels::text FROM sexec.job WHERE cluster = 'outage' AND job_id = 995008")"
check_eq "none twice" 0 \
	"$(db "SELECT count(*) FROM (SELECT pid, start_time FROM sexec.process WHERE cluster = 'outage'
		GROUP BY 1, 2 HAVING count(*) > 1) d")"
if newlog | grep -q "records from the journal are queued again"; then
	pass "the restarted collector replayed its journal"; else
	fail "the restarted collector replayed its journal"; fi
seg_removed() { newlog | grep -q "journal segments\? committed and removed"; }
if wait_for 10 seg_removed; then
	pass "committed journal segments were removed on the way"; else
	fail "committed journal segments were removed on the way"; fi
one_segment() { [ "$(ls /var/spool/sexec | grep -c '^journal-')" = 1 ]; }
wait_for 10 one_segment
check_eq "one journal segment left, the one written to" 1 "$(ls /var/spool/sexec | grep -c '^journal-')"
check_eq "nothing dropped" 0 "$(sexecd --stats | awk '/^db_dropped / { print $2 }')"
step_closed() { [ "$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'outage' AND end_time IS NOT NULL")" = 2 ]; }
wait_for 40 step_closed
check_eq "both steps closed" 2 "$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'outage' AND end_time IS NOT NULL")"
forget "cluster = 'outage'"
