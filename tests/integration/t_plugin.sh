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
