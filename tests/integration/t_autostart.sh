#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# plugstack autostart=yes: with no collector running, the first job step
# starts sexecd, which leaves the job's cgroups (so the end of the job does
# not take it down), observes that very job, and stays the only collector
# when several steps start it at once.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$(dirname "$0")/../stack.sh"
PLUGIN=$PREFIX/lib/slurm/sexec.so
LOCK=/run/sexec/sexecd.lock
SOCK=/run/sexec/sexecd.sock
SLURMD_LOG=/var/lib/sexec-cluster/log/slurmd.log
plugstack() { echo "$1" > /etc/slurm/plugstack.conf; }

# The pid in the collector's lock file, if that process is a live sexecd.
locked_pid() {
	local pid
	pid=$(cat "$LOCK" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = sexecd ] && echo "$pid"
}

# Stop the collector the plugin started (we caused it; we end it by its pid).
stop_autostarted() {
	local pid i
	pid=$(locked_pid) || return 0
	kill -TERM "$pid"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid"
}

# Count the sexecd processes running our binary.
count_collectors() {
	local n=0 p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/exe" 2>/dev/null)" = "$PREFIX/sbin/sexecd" ] && n=$((n + 1))
	done
	echo "$n"
}

cleanup() {
	stop_autostarted
	plugstack "optional $PLUGIN"
	"$STACK" sexecd-start >/dev/null
}
trap cleanup EXIT

echo "t_autostart: the first step starts the collector"
"$STACK" sexecd-stop >/dev/null
check_eq "no collector before the job" 0 "$(count_collectors)"
plugstack "optional $PLUGIN autostart=yes timeout_ms=8000"
jid=$(as "$TEST_USER" sbatch --parsable --wait -o /dev/null \
	--wrap "for i in 1 2 3 4 5; do /bin/true; done")
check_eq "job ran" 0 $?
pid=$(locked_pid)
if [ -n "$pid" ]; then pass "a collector holds the lock (pid $pid)"; else fail "a collector holds the lock" "$(cat "$LOCK" 2>&1)"; fi
check_eq "exactly one collector" 1 "$(count_collectors)"
# Every line of /proc/PID/cgroup ends in ":/": it left the job's cgroups.
check_eq "it is in no job cgroup" 0 "$(grep -vc ':/$' /proc/"${pid:-0}"/cgroup 2>/dev/null; true)"
if grep -q "sexec: started $PREFIX/sbin/sexecd" "$SLURMD_LOG"; then
	pass "the plugin logged the start"
else
	fail "the plugin logged the start" "$(grep "sexec:" "$SLURMD_LOG" | tail -n 3)"
fi
wait_for 30 steps_closed "$jid"
# The batch shell and its 5 /bin/true.
check_eq "the job that started it is observed" 6 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND step = 'batch'")"
check_eq "its 5 /bin/true" 5 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND exe = '/bin/true'")"
sleep 2
check_eq "the collector outlives the job" "$pid" "$(locked_pid)"

echo "t_autostart: steps starting at once leave one collector"
stop_autostarted
check_eq "collector stopped" 0 "$(count_collectors)"
rm -f "$SOCK"
jid2=$(as "$TEST_USER" sbatch --parsable --wait -o /dev/null --array=1-2 -n1 \
	--wrap "/bin/true; /bin/true")
check_eq "array ran" 0 $?
check_eq "exactly one collector after two concurrent starts" 1 "$(count_collectors)"
# sacct may not know the tasks the moment sbatch --wait returns.
task_known() { id=$(array_task_jobid "${jid2}_$1"); [ -n "$id" ]; }
for t in 1 2; do
	wait_for 30 task_known "$t"
	wait_for 30 steps_closed "$id"
	check_eq "array task $t observed (shell + 2 /bin/true)" 3 \
		"$(db "SELECT count(*) FROM sexec.process WHERE job_id = ${id:-0} AND step = 'batch'")"
	forget "job_id = ${id:-0}"
done

echo "t_autostart: autostart=no leaves the collector down"
stop_autostarted
plugstack "optional $PLUGIN autostart=no timeout_ms=500"
as "$TEST_USER" sbatch --parsable --wait -o /dev/null --wrap "/bin/true" >/dev/null
check_eq "job ran" 0 $?
check_eq "no collector" 0 "$(count_collectors)"
forget "job_id = $jid"
