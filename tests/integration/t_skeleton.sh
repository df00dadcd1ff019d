#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End to end on the real cluster: an array job with a known set of programs is
# recorded exactly (counts, attribution, CPU against wait4), sexec reports the
# same, and a job still runs and is accounted when sexecd is down.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "t_skeleton: array job, exact counts, wait4 ground truth"
cat > "$WORK/skel.sh" <<JOB
#!/bin/bash
#SBATCH -n 2
#SBATCH -o $WORK/skel-%A_%a.out
set -e
cd $WORK
for i in \$(seq 40); do /bin/true; done
/bin/echo pipeline-data | /usr/bin/tr a-z A-Z > /dev/null
$BIN/sexec-wait4 $WORK/wait4-\$SLURM_ARRAY_TASK_ID.txt $BIN/sexec-burn 1.0
srun -n2 /bin/sleep 0.2
JOB
chmod 755 "$WORK/skel.sh"
rm -f "$WORK"/wait4-*.txt
arr=$(as "$TEST_USER" sbatch --parsable --wait --array=0-2 "$WORK/skel.sh")
check_eq "sbatch --array=0-2 exits 0" 0 $?
arr=${arr%%;*}

for t in 0 1 2; do
	if ! wait_for 30 sacct_done "${arr}_$t"; then
		fail "array task $t finished in sacct"
		continue
	fi
	jid=$(array_task_jobid "${arr}_$t")
	check_eq "task $t state in sacct" COMPLETED "$(sacct_field "${arr}_$t" State)"
	wait_for 30 steps_closed "$jid" || fail "task $t: collector closed its steps"
	check_eq "task $t: array ids stored" "$arr|$t" \
		"$(db "SELECT array_job_id || '|' || array_task_id FROM sexec.job WHERE job_id = $jid")"
	check_eq "task $t: job owner" "$TEST_USER" \
		"$(db "SELECT user_name FROM sexec.job WHERE job_id = $jid")"
	q="SELECT count(*) FROM sexec.process WHERE job_id = $jid"
	check_eq "task $t: exactly 40 /bin/true in batch task 0" 40 \
		"$(db "$q AND exe = '/bin/true' AND step = 'batch' AND task_id = 0")"
	check_eq "task $t: no /bin/true outside the batch step" 0 \
		"$(db "$q AND exe = '/bin/true' AND step <> 'batch'")"
	check_eq "task $t: pipeline head /bin/echo once" 1 "$(db "$q AND exe = '/bin/echo'")"
	check_eq "task $t: pipeline tail /usr/bin/tr once" 1 "$(db "$q AND exe = '/usr/bin/tr'")"
	check_eq "task $t: echo and tr share a parent" 1 \
		"$(db "SELECT count(DISTINCT ppid) FROM sexec.process WHERE job_id = $jid
			AND exe IN ('/bin/echo', '/usr/bin/tr')")"
	check_eq "task $t: burner once" 1 "$(db "$q AND exe = '$BIN/sexec-burn'")"
	check_eq "task $t: srun step 0 has one sleep per task" "0:1 1:1" \
		"$(db "SELECT string_agg(task_id || ':' || n, ' ' ORDER BY task_id) FROM
			(SELECT task_id, count(*) n FROM sexec.process WHERE job_id = $jid
			 AND step = '0' AND exe = '/bin/sleep' GROUP BY task_id) s")"
	check_eq "task $t: steps recorded complete" "0:true batch:true extern:true" \
		"$(db "SELECT string_agg(step || ':' || complete, ' ' ORDER BY step)
			FROM sexec.step WHERE job_id = $jid")"
	check_eq "task $t: step 0 tasks registered" 2 \
		"$(db "SELECT count(*) FROM sexec.task WHERE job_id = $jid AND step = '0'")"
	check_eq "task $t: argv of the pipeline head" "{/bin/echo,pipeline-data}" \
		"$(db "SELECT argv FROM sexec.process WHERE job_id = $jid AND exe = '/bin/echo'")"
	check_eq "task $t: wait4 helper exit code" 0 \
		"$(db "SELECT exit_code FROM sexec.process WHERE job_id = $jid AND exe = '$BIN/sexec-wait4'")"

	# Ground truth: the burner's rusage as its parent got it from wait4.
	read -r w_pid w_user w_sys _ w_status < "$WORK/wait4-$t.txt"
	rec=$(db "SELECT pid, cpu_user_us + cpu_sys_us, exit_code FROM sexec.process
		WHERE job_id = $jid AND exe = '$BIN/sexec-burn'")
	check_eq "task $t: burner pid matches wait4" "$w_pid" "${rec%%|*}"
	cpu=$(echo "$rec" | cut -d'|' -f2)
	check_near "task $t: burner CPU within 2% of wait4" $((w_user + w_sys)) "$cpu" 2 0
	check_eq "task $t: burner status" "$((w_status >> 8))" "${rec##*|}"

	# The CLI, as the job's owner, says the same.
	json=$(as "$TEST_USER" sexec --json --processes "${arr}_$t")
	check_eq "task $t: sexec --json exits 0" 0 $?
	check_eq "task $t: sexec job id" "$jid" "$(jq -r '.job.job_id' <<<"$json")"
	check_eq "task $t: sexec state" COMPLETED "$(jq -r '.job.state' <<<"$json")"
	check_eq "task $t: sexec alloc_cpus" 2 "$(jq -r '.job.alloc_cpus' <<<"$json")"
	check_eq "task $t: sexec elapsed_s = sacct ElapsedRaw" "$(sacct_field "${arr}_$t" ElapsedRaw)" \
		"$(jq -r '.job.elapsed_s | floor' <<<"$json")"
	check_eq "task $t: sexec counts 40 /bin/true" 40 \
		"$(jq '[.processes[] | select(.exe == "/bin/true")] | length' <<<"$json")"
	check_eq "task $t: sexec process count = database" "$(db "$q")" \
		"$(jq '.processes | length' <<<"$json")"
	check_eq "task $t: sexec step process counts = database" \
		"$(db "SELECT string_agg(step || '=' || n, ' ' ORDER BY step) FROM
			(SELECT step, count(*) n FROM sexec.process WHERE job_id = $jid GROUP BY step) s")" \
		"$(jq -r '[.steps[] | select(.processes > 0) | "\(.step)=\(.processes)"] | sort | join(" ")' <<<"$json")"
	sx_cpu=$(jq --arg e "$BIN/sexec-burn" \
		'.processes[] | select(.exe == $e) | ((.cpu_user_s + .cpu_sys_s) * 1e6 | round)' <<<"$json")
	check_near "task $t: sexec burner CPU = database" "$cpu" "$sx_cpu" 0 1
	check_eq "task $t: sexec burner tool" sexec-burn \
		"$(jq -r --arg e "$BIN/sexec-burn" '.processes[] | select(.exe == $e) | .tool' <<<"$json")"
	check_eq "task $t: sexec argv is an array" '["/bin/echo","pipeline-data"]' \
		"$(jq -c '.processes[] | select(.exe == "/bin/echo") | .argv' <<<"$json")"
done

echo "t_skeleton: a job runs and is accounted with sexecd down"
"$(dirname "$0")/../stack.sh" sexecd-stop
jid=$(as "$TEST_USER" sbatch --parsable --wait -o "$WORK/down-%j.out" --wrap "/bin/true; /bin/echo ok")
check_eq "job with sexecd down exits 0" 0 $?
wait_for 30 sacct_done "$jid"
check_eq "job with sexecd down: sacct state" COMPLETED "$(sacct_field "$jid" State)"
check_eq "job with sexecd down: sacct exit code" 0:0 "$(sacct_field "$jid" ExitCode)"
check_eq "job with sexecd down: job output" ok "$(cat "$WORK/down-$jid.out")"
check_eq "job with sexecd down: no records" 0 "$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid")"
out=$(as "$TEST_USER" sexec "$jid" 2>&1)
check_eq "sexec on an unobserved job exits 0" 0 $?
check_eq "sexec says why the job was not observed: its node's collector stopped before it" \
	"sexec: warning: sexec has no records of job $jid: the collector on $(sacct_field "$jid" NodeList) was stopped at T, before the job ended" \
	"$(grep '^sexec: warning: sexec has no records' <<<"$out" | sed 's/stopped at [0-9T:-]*,/stopped at T,/')"
check_eq "the stop time is the node row's" \
	"$(date -d "@$(db "SELECT floor(extract(epoch FROM stopped_at)) FROM sexec.node
		WHERE node = '$(sacct_field "$jid" NodeList)'")" +%Y-%m-%dT%H:%M:%S)" \
	"$(grep '^sexec: warning: sexec has no records' <<<"$out" | sed 's/.*stopped at \([0-9T:-]*\),.*/\1/')"
"$(dirname "$0")/../stack.sh" sexecd-start
