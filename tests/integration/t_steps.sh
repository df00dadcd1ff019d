#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every step and task of real jobs attributed: batch, srun steps and their
# tasks (global task ids), array tasks, a requeued job's two runs, the
# interactive step of salloc, and the extern step with processes moved into
# it by hand and by pam_slurm_adopt. Ground truth: pids and ids the jobs
# print themselves, and the cgroups the kernel shows.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CLUSTER=$(scontrol show config 2>/dev/null | awk '$1 == "ClusterName" { print $3 }')
PAM_SERVICE=sexec-adopt-test
PAM_FILE=/etc/pam.d/$PAM_SERVICE
MYJOBS=()
HELPER=

cleanup() {
	local j
	rm -f "$PAM_FILE"
	# What a failed check may have left waiting: our helper, our jobs.
	[ -n "$HELPER" ] && kill "$HELPER" 2>/dev/null
	for j in "${MYJOBS[@]}"; do
		case $(job_state "$j") in PENDING | RUNNING | SUSPENDED) scancel "$j" ;; esac
	done
}
trap cleanup EXIT

# release FIFO [TIMEOUT]: write a line to whoever waits on FIFO, not forever.
release() {
	timeout "${2:-10}" sh -c 'echo > "$1"' release "$1" 2>/dev/null
}

# job_state JOBID: Slurm's state of the job (slurmctld keeps it MinJobAge s).
job_state() {
	scontrol -o show job "$1" 2>/dev/null | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p'
}
job_is() { [ "$(job_state "$1")" = "$2" ]; }
is_id() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# q JOBID SQL: SQL with :J replaced by this job's rows' condition; nothing
# without a job id (a failed submission is reported by its own check).
q() {
	local cond="cluster = '$CLUSTER' AND job_id = $1"
	is_id "$1" || return 0
	db "${2//:J/$cond}"
}

# out_field FILE KEY N: field N of the line of FILE that starts with KEY.
out_field() {
	awk -v k="$2" -v n="$3" '$1 == k { print $n; exit }' "$1" 2>/dev/null
}

echo "t_steps: a batch step, two srun steps, three tasks on $(nproc) CPUs"
cat > "$WORK/steps.sh" <<'SCRIPT'
#!/bin/sh
echo "batch $$"
srun -n3 --overcommit /bin/sh -c 'i=0; while [ $i -le $SLURM_PROCID ]; do /bin/true; i=$((i + 1)); done; /bin/echo task $SLURM_PROCID $$; exit 0'
srun -n1 /bin/sh -c '/bin/true; /bin/true; /bin/echo step1 $$; exit 0'
exit 0
SCRIPT
jid=$(as "$TEST_USER" sbatch --parsable --wait -n2 -o "$WORK/steps-%j.out" "$WORK/steps.sh")
check_eq "the job ran" 0 $?
MYJOBS+=("$jid")
OUT=$WORK/steps-$jid.out
wait_for 30 steps_closed "$jid"
bpid=$(out_field "$OUT" batch 2)
check_eq "steps recorded" "0 1 batch extern" "$(q "$jid" "SELECT string_agg(step, ' ' ORDER BY step) FROM sexec.step WHERE :J")"
check_eq "every step closed and complete" "4 4" \
	"$(q "$jid" "SELECT count(end_time) || ' ' || count(*) FILTER (WHERE complete) FROM sexec.step WHERE :J")"
check_eq "batch: its task is the script (task 0, gtask 0, pid $bpid)" "0|0|$bpid|0" \
	"$(q "$jid" "SELECT task_id, gtask_id, pid, exit_status FROM sexec.task WHERE :J AND step = 'batch'")"
check_eq "batch: the script's row" "0|/bin/sh" \
	"$(q "$jid" "SELECT task_id, argv[1] FROM sexec.process WHERE :J AND step = 'batch' AND pid = ${bpid:-0}")"
check_eq "batch: the script ran srun twice" 2 \
	"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = 'batch' AND ppid = ${bpid:-0}
		AND exe LIKE '%/srun'")"
check_eq "batch: every process belongs to task 0" 0 \
	"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = 'batch' AND task_id IS DISTINCT FROM 0")"
check_eq "step 0: 3 tasks, step 1: 1 task" "0:3 1:1" \
	"$(q "$jid" "SELECT string_agg(step || ':' || ntasks, ' ' ORDER BY step) FROM sexec.step WHERE :J AND step IN ('0', '1')")"
want=
for k in 0 1 2; do
	want="$want${want:+ }$k:$k:$(awk -v k="$k" '$1 == "task" && $2 == k { print $3 }' "$OUT"):0"
done
check_eq "step 0: task rows (task:gtask:pid:exit) as the tasks printed them" "$want" \
	"$(q "$jid" "SELECT string_agg(task_id || ':' || gtask_id || ':' || pid || ':' || exit_status, ' '
		ORDER BY task_id) FROM sexec.task WHERE :J AND step = '0'")"
for k in 0 1 2; do
	tp=$(awk -v k="$k" '$1 == "task" && $2 == k { print $3 }' "$OUT")
	# The task's shell, k+1 /bin/true and one /bin/echo.
	check_eq "step 0 task $k: its $((k + 3)) processes" $((k + 3)) \
		"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = '0' AND task_id = $k")"
	check_eq "step 0 task $k: all of them its shell ($tp) or the shell's children" $((k + 3)) \
		"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = '0' AND task_id = $k
			AND (pid = ${tp:-0} OR ppid = ${tp:-0})")"
	check_eq "step 0 task $k: /bin/true $((k + 1)) times" $((k + 1)) \
		"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = '0' AND task_id = $k
			AND exe = '/bin/true'")"
	check_eq "step 0 task $k: its echo" "{/bin/echo,task,$k,$tp}" \
		"$(q "$jid" "SELECT argv FROM sexec.process WHERE :J AND step = '0' AND task_id = $k
			AND exe = '/bin/echo'")"
done
check_eq "step 0: 12 processes, none without a task" "12 0" \
	"$(q "$jid" "SELECT count(*) || ' ' || count(*) FILTER (WHERE task_id IS NULL) FROM sexec.process
		WHERE :J AND step = '0'")"
s1=$(out_field "$OUT" step1 2)
check_eq "step 1: task row" "0:0:$s1:0" \
	"$(q "$jid" "SELECT task_id || ':' || gtask_id || ':' || pid || ':' || exit_status FROM sexec.task
		WHERE :J AND step = '1'")"
check_eq "step 1: its shell, two /bin/true and an echo, all task 0" \
	"0:/bin/echo:$s1 0:/bin/sh:0 0:/bin/true:$s1 0:/bin/true:$s1" \
	"$(q "$jid" "SELECT string_agg(task_id || ':' || exe || ':' || CASE WHEN pid = ${s1:-0} THEN 0 ELSE ppid END,
		' ' ORDER BY exe) FROM sexec.process WHERE :J AND step = '1'")"
check_eq "every process is $TEST_USER's" "$TEST_USER" \
	"$(q "$jid" "SELECT string_agg(DISTINCT user_name, ' ') FROM sexec.process WHERE :J")"

echo "t_steps: an array job of three tasks"
A=$(as "$TEST_USER" sbatch --parsable --wait --array=1-3 -o "$WORK/array-%A_%a.out" \
	--wrap '/bin/echo $SLURM_JOB_ID $SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID')
check_eq "the array ran" 0 $?
MYJOBS+=("$A")
want="" ids=""
for i in 1 2 3; do
	read -r j aj ai < "$WORK/array-${A}_$i.out"
	check_eq "array task $i: Slurm's ids" "$A $i" "${aj:-} ${ai:-}"
	want="$want${want:+ }${j:-?}:$A:$i"
	ids="$ids${ids:+,}${j:-0}"
	wait_for 30 steps_closed "${j:-0}"
done
check_eq "one job row per array task, with its array ids" "$want" \
	"$(db "SELECT string_agg(job_id || ':' || array_job_id || ':' || array_task_id, ' ' ORDER BY array_task_id)
		FROM sexec.job WHERE cluster = '$CLUSTER' AND array_job_id = ${A:-0}")"
check_eq "each array task's echo in its own batch step" "$want" \
	"$(db "SELECT string_agg(p.job_id || ':' || argv[3] || ':' || argv[4], ' ' ORDER BY argv[4])
		FROM sexec.process p WHERE cluster = '$CLUSTER' AND job_id IN ($ids) AND step = 'batch'
		AND exe = '/bin/echo'")"

echo "t_steps: a job that requeues itself once"
cat > "$WORK/requeue.sh" <<'SCRIPT'
#!/bin/sh
echo "run ${SLURM_RESTART_COUNT:-0} $$"
if [ "${SLURM_RESTART_COUNT:-0}" = 0 ]; then
	scontrol requeue "$SLURM_JOB_ID"
	sleep 300
fi
/bin/true
exit 0
SCRIPT
jid=$(as "$TEST_USER" sbatch --parsable --requeue -t 5 --open-mode=append \
	-o "$WORK/requeue-%j.out" "$WORK/requeue.sh")
check_eq "the job was submitted" 0 $?
MYJOBS+=("$jid")
requeued() { [[ $(scontrol -o show job "$jid" 2>/dev/null) == *" JobState=PENDING "*" Restarts=1 "* ]]; }
wait_for 120 requeued
check_eq "the job requeued itself" 0 $?
# Slurm holds a requeued job back for two minutes: let it start now. Not
# within the second its first run was killed: slurmd refuses a credential
# issued no later than the revocation of the old one, and the job would fail.
sleep 2
scontrol update JobId="$jid" StartTime=now
wait_for 120 job_is "$jid" COMPLETED
check_eq "its second run completed" COMPLETED "$(job_state "$jid")"
r0=$(out_field "$WORK/requeue-$jid.out" run 3)
r1=$(awk '$1 == "run" && $2 == 1 { print $3 }' "$WORK/requeue-$jid.out")
batch_runs_closed() {
	[ "$(q "$jid" "SELECT count(end_time) FROM sexec.step WHERE :J AND step = 'batch'")" = 2 ]
}
wait_for 30 batch_runs_closed
wait_for 30 steps_closed "$jid"
check_eq "job.restarts" 1 "$(q "$jid" "SELECT restarts FROM sexec.job WHERE :J")"
check_eq "two batch steps, restart 0 and 1, both closed" "0:true 1:true" \
	"$(q "$jid" "SELECT string_agg(restart || ':' || (end_time IS NOT NULL), ' ' ORDER BY restart)
		FROM sexec.step WHERE :J AND step = 'batch'")"
check_eq "each run's script is the task of its own batch step (restart:pid)" "0:$r0 1:$r1" \
	"$(q "$jid" "SELECT string_agg(restart || ':' || pid, ' ' ORDER BY restart) FROM sexec.task
		WHERE :J AND step = 'batch'")"
# in_run PID: the restart of the batch step whose time span holds the end of
# the process (a task starts a moment before it registers, so its step).
in_run() {
	q "$jid" "SELECT string_agg(s.restart::text, ' ') FROM sexec.process p JOIN sexec.step s
		ON s.cluster = p.cluster AND s.job_id = p.job_id AND s.step = p.step AND s.node = p.node
		AND p.end_time BETWEEN s.start_time AND s.end_time
		WHERE p.cluster = '$CLUSTER' AND p.job_id = $jid AND p.step = 'batch' AND p.pid = ${1:-0}"
}
check_eq "the first run's script lies in restart 0" 0 "$(in_run "$r0")"
check_eq "the second run's script lies in restart 1" 1 "$(in_run "$r1")"
check_eq "the second run's /bin/true" 1 \
	"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = 'batch' AND ppid = ${r1:-0}
		AND exe = '/bin/true'")"
out=$(sexec --json "$jid" 2>/dev/null)
check_eq "sexec --json: job.restarts" 1 "$(jq -r '.job.restarts' <<<"${out:-null}" 2>/dev/null)"

echo "t_steps: the interactive step of salloc"
launch_params=$(scontrol show config 2>/dev/null | awk '$1 == "LaunchParameters" { print $3 }')
if [[ $launch_params != *use_interactive_step* ]]; then
	fail "the cluster runs salloc's shell as a step" "slurm.conf lacks LaunchParameters=use_interactive_step"
else
	rm -f "$WORK/interactive.pid" "$WORK/interactive.job"
	# salloc without a command starts the shell in the allocation (srun
	# --interactive --pty $SHELL); its terminal is script's pty, its input ours.
	printf '%s\n' "echo \$\$ > $WORK/interactive.pid" /bin/true /bin/true \
		"/bin/echo \$SLURM_JOB_ID > $WORK/interactive.job" exit |
		as "$TEST_USER" env SHELL=/bin/sh timeout 120 script -qec 'salloc -n1 -J sexec-interactive' /dev/null \
			> "$WORK/interactive.log" 2>&1
	check_eq "salloc ran the commands and ended" 0 $?
	jid=$(cat "$WORK/interactive.job" 2>/dev/null)
	MYJOBS+=("$jid")
	sh_pid=$(cat "$WORK/interactive.pid" 2>/dev/null)
	check_eq "the shell ran in the allocation" \
		"$(sed -n 's/.*Granted job allocation \([0-9]*\).*/\1/p' "$WORK/interactive.log")" "$jid"
	wait_for 30 steps_closed "${jid:-0}"
	check_eq "steps recorded" "extern interactive" \
		"$(q "$jid" "SELECT string_agg(step, ' ' ORDER BY step) FROM sexec.step WHERE :J")"
	check_eq "interactive: the shell is task 0" "0:0:$sh_pid" \
		"$(q "$jid" "SELECT task_id || ':' || gtask_id || ':' || pid FROM sexec.task WHERE :J AND step = 'interactive'")"
	check_eq "interactive: the shell and what it ran, all task 0" \
		"0:/bin/echo:$sh_pid 0:/bin/sh:0 0:/bin/true:$sh_pid 0:/bin/true:$sh_pid" \
		"$(q "$jid" "SELECT string_agg(task_id || ':' || exe || ':' || CASE WHEN pid = ${sh_pid:-0} THEN 0 ELSE ppid END,
			' ' ORDER BY exe) FROM sexec.process WHERE :J AND step = 'interactive'")"
fi

echo "t_steps: the extern step, joined by hand and by pam_slurm_adopt"
# The second test user's: pam_slurm_adopt takes the user's only job on the
# node, and the first test user's jobs may run next to this one.
EXT_USER=$TEST_USER2
rm -f "$WORK/extern.pid" "$WORK/extern.fifo" "$WORK/extern-go.fifo" "$WORK/adopt-probe".*
mkfifo -m 600 "$WORK/extern.fifo" "$WORK/extern-go.fifo"
chown "$EXT_USER" "$WORK/extern.fifo" "$WORK/extern-go.fifo"
# The job holds its allocation until we write to its fifo.
jid=$(as "$EXT_USER" sbatch --parsable -t 3 -o "$WORK/extern-%j.out" \
	--wrap "echo \$\$ > $WORK/extern.pid; read _ < $WORK/extern.fifo; exit 0")
check_eq "the job was submitted" 0 $?
MYJOBS+=("$jid")
wait_for 120 test -s "$WORK/extern.pid"
bpid=$(cat "$WORK/extern.pid" 2>/dev/null)
check_eq "the job runs" RUNNING "$(job_state "$jid")"
nh=$(grep -c "/job_$jid/" "/proc/${bpid:-0}/cgroup" 2>/dev/null)
if [ "${nh:-0}" -gt 0 ]; then pass "the job is in $nh cgroup hierarchies"; else
	fail "the job is in cgroup hierarchies" "none in /proc/$bpid/cgroup"; fi

# (a) A process of the user moved into the extern step's cgroups, where
# Slurm puts its own extern processes, then forks three children.
setpriv --reuid="$EXT_USER" --regid="$(id -g "$EXT_USER")" --init-groups \
	/bin/sh -c 'read _ < "$1"; /bin/true; /bin/true; /bin/true; exit 0' extern-helper "$WORK/extern-go.fifo" &
xp=$!
HELPER=$xp
moved=0
while IFS=: read -r _ ctrl path; do
	case $path in */job_"$jid"/*) ;; *) continue ;; esac
	dir=/sys/fs/cgroup/${ctrl#name=}${path%%/job_"$jid"/*}/job_$jid/step_extern
	[ -d "$dir/task_0" ] && dir=$dir/task_0
	echo "$xp" > "$dir/cgroup.procs" && moved=$((moved + 1))
done < "/proc/${bpid:-0}/cgroup"
check_eq "the helper is in the extern step of every hierarchy of the job" "${nh:-0} ${nh:-0}" \
	"$moved $(grep -c "/job_$jid/step_extern" "/proc/$xp/cgroup")"
release "$WORK/extern-go.fifo"
wait "$xp"
check_eq "the helper ran" 0 $?
HELPER=

# (b) pam_slurm_adopt, as sshd would call it: the PAM application (here
# pamtester) is adopted into the extern step of the user's only job on the
# node. The pam_exec probe after it, a child of pamtester, records the
# cgroups it finds itself in.
PAM_ADOPT=$(dpkg-query -L libpam-slurm-adopt 2>/dev/null | grep -m 1 '/pam_slurm_adopt\.so$')
if [ -z "$PAM_ADOPT" ] || ! command -v pamtester >/dev/null; then
	fail "pam_slurm_adopt and pamtester are installed" "apt-get install libpam-slurm-adopt pamtester"
fi
cat > "$WORK/adopt-probe.sh" <<PROBE
#!/bin/sh
echo \$\$ > $WORK/adopt-probe.pid
while read -r l; do echo "\$l"; done < /proc/self/cgroup > $WORK/adopt-probe.cgroup
exit 0
PROBE
chmod 755 "$WORK/adopt-probe.sh"
cat > "$PAM_FILE" <<PAM
account required $PAM_ADOPT action_no_jobs=deny action_unknown=newest service=$PAM_SERVICE
account required pam_exec.so quiet $WORK/adopt-probe.sh
PAM
pamtester "$PAM_SERVICE" nobody acct_mgmt > "$WORK/pam-nobody.out" 2>&1
check_eq "pam_slurm_adopt denies a user without a job here" 1 $?
if grep -q "pam_slurm_adopt: you have no active jobs on this node" "$WORK/pam-nobody.out"; then
	pass "because the user has no job"; else fail "because the user has no job" "$(cat "$WORK/pam-nobody.out")"; fi
rm -f "$WORK/adopt-probe.pid" "$WORK/adopt-probe.cgroup"
pamtester "$PAM_SERVICE" "$EXT_USER" acct_mgmt > "$WORK/pam.out" 2>&1 &
pam_pid=$!
wait "$pam_pid"
check_eq "pam_slurm_adopt lets $EXT_USER in" 0 $?
probe=$(cat "$WORK/adopt-probe.pid" 2>/dev/null)
check_eq "pamtester was adopted into the job's extern step (every hierarchy)" "${nh:-0}" \
	"$(grep -c "/job_$jid/step_extern" "$WORK/adopt-probe.cgroup" 2>/dev/null)"
rm -f "$PAM_FILE"

release "$WORK/extern.fifo"
wait_for 60 job_is "$jid" COMPLETED
check_eq "the job completed" COMPLETED "$(job_state "$jid")"
wait_for 30 steps_closed "$jid"
check_eq "steps recorded" "batch extern" "$(q "$jid" "SELECT string_agg(step, ' ' ORDER BY step) FROM sexec.step WHERE :J")"
check_eq "extern: the helper" 1 "$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = 'extern' AND pid = $xp")"
check_eq "extern: the helper's three /bin/true" 3 \
	"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = 'extern' AND ppid = $xp AND exe = '/bin/true'")"
check_eq "extern: pamtester" 1 \
	"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step = 'extern' AND pid = $pam_pid")"
check_eq "extern: the probe pamtester ran after its adoption" "$pam_pid:$WORK/adopt-probe.sh" \
	"$(q "$jid" "SELECT ppid || ':' || exe FROM sexec.process WHERE :J AND step = 'extern' AND pid = ${probe:-0}")"
# Nothing else: Slurm's own extern process (a sleep its slurmstepd keeps in
# the step) is Slurm's, not the user's, and is not recorded.
check_eq "extern: nothing besides those, not even Slurm's own sleep" "" \
	"$(q "$jid" "SELECT string_agg(argv::text, ' ') FROM sexec.process WHERE :J AND step = 'extern'
		AND pid NOT IN ($xp, $pam_pid, ${probe:-0}) AND ppid IS DISTINCT FROM $xp")"
check_eq "none of them counted in another step" 0 \
	"$(q "$jid" "SELECT count(*) FROM sexec.process WHERE :J AND step <> 'extern'
		AND (pid IN ($xp, $pam_pid, ${probe:-0}) OR ppid = $xp)")"
check_eq "batch: the script alone" "$bpid" \
	"$(q "$jid" "SELECT string_agg(pid::text, ' ') FROM sexec.process WHERE :J AND step = 'batch'")"
