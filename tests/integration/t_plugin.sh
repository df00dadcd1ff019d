#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The plugin never harms a job: with the collector hung or gone, as an
# optional or a required plugin, jobs run normally and wait at most the
# registration timeout.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
STACK="$(dirname "$0")/../stack.sh"
PLUGIN=$PREFIX/lib/slurm/sexec.so
SLURMD_LOG=/var/lib/sexec-cluster/log/slurmd.log

echo "t_plugin: a hung collector costs at most timeout_ms"
plugstack() { echo "$1" > /etc/slurm/plugstack.conf; }
pid=$(cat /var/lib/sexec-cluster/run/sexecd.pid)
plugstack "optional $PLUGIN timeout_ms=500"
kill -STOP "$pid"
start=$(date +%s%N)
jid=$(as "$TEST_USER" sbatch --parsable --wait -o "$WORK/hung-%j.out" --wrap "/bin/echo ran")
rc=$?
kill -CONT "$pid"
check_eq "job runs with a hung collector" 0 "$rc"
check_eq "its output is there" ran "$(cat "$WORK/hung-$jid.out")"
if grep -q "sexec: job $jid task 0 not observed: .*timed out" "$SLURMD_LOG"; then
	pass "the plugin logged the timeout"
else
	fail "the plugin logged the timeout" "$(grep "sexec:" "$SLURMD_LOG" | tail -n 2)"
fi
check_eq "it logged once for the job" 1 "$(grep -c "sexec: job $jid task" "$SLURMD_LOG")"

echo "t_plugin: required plugin, collector gone"
"$STACK" sexecd-stop
plugstack "required $PLUGIN"
jid=$(as "$TEST_USER" sbatch --parsable --wait -o "$WORK/req-%j.out" --wrap "/bin/echo ran")
check_eq "job runs with a required plugin and no collector" 0 $?
check_eq "its output is there" ran "$(cat "$WORK/req-$jid.out")"
jid=$(as "$TEST_USER" srun -n1 /bin/echo srun-ran 2>&1)
check_eq "srun runs with a required plugin and no collector" srun-ran "$jid"

echo "t_plugin: bad plugstack arguments are reported, not fatal"
plugstack "required $PLUGIN bogus=1 timeout_ms=0"
jid=$(as "$TEST_USER" sbatch --parsable --wait -o "$WORK/bad-%j.out" --wrap "/bin/echo ran")
check_eq "job runs with bad plugin arguments" 0 $?
if grep -q "sexec: unknown plugstack argument 'bogus=1' ignored" "$SLURMD_LOG"; then
	pass "unknown argument reported"; else fail "unknown argument reported"; fi
if grep -q "sexec: plugstack argument timeout_ms=0 must be 10 to 60000" "$SLURMD_LOG"; then
	pass "bad timeout reported"; else fail "bad timeout reported"; fi

plugstack "optional $PLUGIN"
"$STACK" sexecd-start

echo "t_plugin: --sexec=on|off under each site policy"
# observed JOBID WANT: how many processes of the job the collector recorded
# (waiting for its steps to close where they should exist; a job that is not
# observed would have been registered before its first exec, so a moment
# after the job ends is enough to see nothing came).
observed() {
	if [ "$2" = 0 ]; then sleep 1; else wait_for 15 steps_closed "$1" >/dev/null 2>&1; fi
	db "SELECT count(*) FROM sexec.process WHERE job_id = $1"
}
run_job() {
	as "$TEST_USER" sbatch --parsable --wait -o /dev/null "$@" --wrap "/bin/true; /bin/true"
}
for policy in optout always optin never; do
	plugstack "optional $PLUGIN enable=$policy"
	for choice in none on off; do
		if [ "$choice" = none ]; then jid=$(run_job); else jid=$(run_job --sexec=$choice); fi
		rc=$?
		case "$policy/$choice" in
		optout/off | optin/none | optin/off | never/*) want=0 ;;
		*) want=yes ;;
		esac
		n=$(observed "$jid" "$want")
		if [ "$rc" -ne 0 ]; then
			fail "enable=$policy --sexec=$choice: job runs" "sbatch exited $rc"
		elif [ "$want" = 0 ]; then
			check_eq "enable=$policy --sexec=$choice: not observed" 0 "$n"
			# The collector ran all along: sexec says the job opted out.
			sacct_done "$jid" || wait_for 30 sacct_done "$jid"
			check_eq "enable=$policy --sexec=$choice: sexec says why" \
				"sexec: warning: sexec has no records of job $jid: the collector on $(sacct_field "$jid" NodeList) ran throughout, so the job opted out (--sexec=off) or the plugin is not enabled for it" \
				"$(as "$TEST_USER" "$PREFIX/bin/sexec" "$jid" 2>&1 >/dev/null | grep 'no records')"
		elif [ "$n" -ge 3 ]; then
			pass "enable=$policy --sexec=$choice: observed ($n processes)"
		else
			fail "enable=$policy --sexec=$choice: observed" "$n processes"
		fi
	done
done
plugstack "optional $PLUGIN"
out=$(as "$TEST_USER" sbatch --sexec=maybe --wrap /bin/true 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && ! grep -q "Submitted batch job" <<<"$out"; then
	pass "a bad --sexec value is refused at submission (exit $rc)"
else
	fail "a bad --sexec value is refused at submission" "exit $rc: $out"
fi
if grep -q "sexec: --sexec takes 'on' or 'off', not 'maybe'" <<<"$out"; then
	pass "with a clear message"; else fail "with a clear message" "$out"; fi
