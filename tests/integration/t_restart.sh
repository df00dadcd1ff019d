#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kill -9 of sexecd in the middle of a running job: the pinned maps keep
# tracking, the restarted collector takes them over, and every process of the
# job, including those that exited while it was down, is recorded once.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$(dirname "$0")/../stack.sh"

echo "t_restart: kill -9 sexecd during a job"
cat > "$WORK/restart.sh" <<JOB
#!/bin/bash
#SBATCH -n 1
#SBATCH -o $WORK/restart-%j.out
/bin/sleep 8 &
for i in \$(seq 300); do /bin/true; /bin/sleep 0.02; done
wait
JOB
chmod 755 "$WORK/restart.sh"
jid=$(as "$TEST_USER" sbatch --parsable "$WORK/restart.sh")
some_recorded() {
	[ "$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND exe = '/bin/true'")" -gt 10 ]
}
wait_for 20 some_recorded
check_eq "job still running when sexecd is killed" RUNNING "$(squeue -h -j "$jid" -o %T)"
"$STACK" sexecd-kill
sleep 1.5 # processes start and exit while no collector runs
"$STACK" sexecd-start
restored=$(grep "state: restored" /var/lib/sexec-cluster/log/sexecd.log | tail -n 1)
if grep -Eq "restored [1-9][0-9]* registrations and [1-9][0-9]* live processes" <<<"$restored"; then
	pass "restarted sexecd took over the job's registration"
else
	fail "restarted sexecd took over the job's registration" "$restored"
fi
wait_for 60 sacct_done "$jid"
check_eq "job survives the collector's crash" COMPLETED "$(sacct_field "$jid" State)"
wait_for 30 steps_closed "$jid" || fail "steps closed after the restart"
# A process that exec'd before the crash and exited while no collector ran
# keeps its command name (the exec event went with the old collector), so
# count by tool, which both spellings give.
check_eq "all 300 true recorded across the restart" 300 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND tool = 'true'")"
check_eq "all 301 sleeps recorded across the restart" 301 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND tool = 'sleep'")"
check_eq "no process recorded twice" 0 \
	"$(db "SELECT count(*) FROM (SELECT pid, start_time FROM sexec.process WHERE job_id = $jid
		GROUP BY 1, 2 HAVING count(*) > 1) d")"
check_eq "the long sleep that spanned the crash is attributed to batch task 0" "batch|0" \
	"$(db "SELECT step || '|' || task_id FROM sexec.process WHERE job_id = $jid AND tool = 'sleep'
		ORDER BY end_time - start_time DESC LIMIT 1")"
check_eq "batch step closed complete after the restart" "true|0" \
	"$(db "SELECT complete || '|' || lost_events FROM sexec.step WHERE job_id = $jid AND step = 'batch'")"
check_eq "no losses reported" "0 0 0" \
	"$(sexecd --stats | awk '/^lost_(ringbuf|map_full|unattributed) / { printf "%s%s", s, $2; s = " " }')"
