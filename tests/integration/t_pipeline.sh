#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# sexec --pipeline on real Slurm jobs of one pipeline run, named through
# SEXEC_PIPELINE, SEXEC_RUN and task= labels: prepare (A), then short (B) and
# long (C) side by side after A, then merge (D) after both. The critical path
# must be A -> C -> D; per-task jobs and processes match the database and what
# ran; another user sees nothing of it; an unknown pipeline or run is exit 3.
# SEXEC_BIN picks the sexec under test (default: the installed one).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SEXEC=${SEXEC_BIN:-$PREFIX/bin/sexec}
DOCS=$(cd "$(dirname "$0")/../../docs" && pwd)
CLUSTER=$(scontrol show config 2>/dev/null | awk '$1 == "ClusterName" { print $3 }')
# Unique per test run, so earlier runs of the test are not mixed in.
PIPE=t_pipeline/chain-$$-$(date +%s)
RUN=run-2
OLD_RUN=run-1
JOBS=()

cleanup() {
	local ids
	ids=$(IFS=,; echo "${JOBS[*]}")
	[ -n "$ids" ] && forget "cluster = '$CLUSTER' AND job_id IN ($ids)"
}
trap cleanup EXIT

is_id() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# job RUN TASK SBATCH-ARGS...: submit as the test user, attributed to RUN of
# PIPE and to TASK; prints the job id.
job() {
	local run=$1 task=$2 jid
	shift 2
	jid=$(as "$TEST_USER" env SEXEC_PIPELINE="$PIPE" SEXEC_RUN="$run" SEXEC_LABELS="task=$task" \
		sbatch --parsable -o /dev/null -p debug -t 5 --mem 100 -n 1 -c 1 "$@")
	if is_id "$jid"; then pass "job $task submitted" >&2; else fail "job $task submitted" "$jid" >&2; fi
	echo "$jid"
}

done_and_closed() { sacct_done "$1" && steps_closed "$1"; }

echo "t_pipeline: a pipeline run of five jobs with dependencies"
# An earlier run of the same pipeline, so the latest run has to be chosen.
Z=$(job "$OLD_RUN" setup --wrap /bin/true)
JOBS+=("$Z")
wait_for 60 done_and_closed "$Z" || fail "earlier run's job $Z finished and recorded"
sleep 1
A=$(job "$RUN" prepare --wrap "sleep 2")
# C before B: with few CPUs free, the long job should not be the one left waiting.
C=$(job "$RUN" long -d "afterok:$A" --wrap "sleep 6")
B=$(job "$RUN" short -d "afterok:$A" --wrap "sleep 3")
D=$(job "$RUN" merge -d "afterok:$B:$C" --wrap "sleep 1")
JOBS+=("$A" "$B" "$C" "$D")
for j in "$A" "$B" "$C" "$D"; do
	wait_for 120 done_and_closed "$j" || fail "job $j finished and recorded"
done
for j in "$A" "$B" "$C" "$D"; do
	check_eq "job $j completed" COMPLETED "$(sacct_field "$j" State)"
done
ids="$A,$B,$C,$D"
cond="j.cluster = '$CLUSTER' AND j.job_id IN ($ids)"
check_eq "the database attributes the four jobs to the run, one task each" \
	"prepare|$A long|$C short|$B merge|$D" \
	"$(db "SELECT string_agg(workflow_task || '|' || job_id, ' ' ORDER BY job_id) FROM sexec.job j
	       WHERE $cond AND pipeline = '$PIPE' AND run = '$RUN'")"

# Precondition of the expected path: B and C ran side by side (they did not if
# other jobs held the CPUs), and each of B and C started after A ended.
span() { db "SELECT extract(epoch FROM min(start_time)) || ' ' || extract(epoch FROM max(end_time))
		FROM sexec.step WHERE cluster = '$CLUSTER' AND job_id = $1"; }
read -r a0 a1 <<<"$(span "$A")"
read -r b0 b1 <<<"$(span "$B")"
read -r c0 c1 <<<"$(span "$C")"
read -r d0 d1 <<<"$(span "$D")"
check_eq "B and C ran side by side, B ending first" yes \
	"$(awk -v b0="$b0" -v b1="$b1" -v c0="$c0" -v c1="$c1" \
		'BEGIN { print (b0 < c1 && c0 < b1 && b1 < c1) ? "yes" : "no" }')"
check_eq "B ended more than the path's tolerance (1 s) after C started" yes \
	"$(awk -v b1="$b1" -v c0="$c0" 'BEGIN { print (b1 - c0 > 1) ? "yes" : "no" }')"

echo "t_pipeline: --json"
out=$(as "$TEST_USER" "$SEXEC" --pipeline "$PIPE" --run "$RUN" --json 2>"$WORK/pipe.err")
check_eq "sexec --pipeline --run --json exits 0" 0 $?
check_eq "the JSON parses" object "$(jq -r type <<<"$out" 2>/dev/null)"
# docs/sexec.schema.json's $defs/pipeline, strict: an undocumented key fails.
pipe_valid() {
	/usr/bin/python3 -c 'import json, sys, jsonschema
s = json.load(open(sys.argv[1]))
e = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(
    {"$ref": "#/$defs/pipeline", "$defs": s["$defs"]}).iter_errors(json.loads(sys.stdin.read())))
print("valid" if e is None else "invalid at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
' "$DOCS/sexec.schema.json" 2>&1 | tail -n 1
}
check_eq "the JSON matches the schema's pipeline object" valid "$(pipe_valid <<<"$out")"
check_eq "an undocumented key fails the schema" \
	"invalid at /critical_path: Additional properties are not allowed ('x' was unexpected)" \
	"$(jq '.critical_path.x = 1' <<<"$out" | pipe_valid)"
check_eq "pipeline and run" "$PIPE|$RUN" "$(jq -r '.pipeline + "|" + .run' <<<"$out")"
check_eq "critical path is A -> C -> D" "$A $C $D" \
	"$(jq -r '[.critical_path.jobs[].job_id] | map(tostring) | join(" ")' <<<"$out")"
check_eq "critical path tasks" "prepare long merge" \
	"$(jq -r '[.critical_path.jobs[].task] | join(" ")' <<<"$out")"
check_eq "the run has 4 jobs, none running" "4|0" \
	"$(jq -r '"\(.total.jobs)|\(.total.running)"' <<<"$out")"
# Each job: its batch script and the sleep (or true) it runs, 2 processes.
# B and C start in the same scheduling pass, in either order: compare by name.
check_eq "per task: jobs and processes as run" \
	"long|1|2 merge|1|2 prepare|1|2 short|1|2" \
	"$(jq -r '[.tasks | sort_by(.task)[] | "\(.task)|\(.jobs)|\(.processes)"] | join(" ")' <<<"$out")"
check_eq "per task: jobs and processes as the database holds them" \
	"$(db "SELECT string_agg(x, ' ' ORDER BY task) FROM (
		SELECT j.workflow_task AS task, min(s.t0) AS t0,
			j.workflow_task || '|' || count(*) || '|' || sum(t.np) AS x
		FROM sexec.job j
		JOIN (SELECT cluster, job_id, min(start_time) AS t0 FROM sexec.step GROUP BY 1, 2) s
			USING (cluster, job_id)
		JOIN (SELECT cluster, job_id, sum(processes) AS np FROM sexec.step_tool GROUP BY 1, 2) t
			USING (cluster, job_id)
		WHERE $cond GROUP BY j.workflow_task) q")" \
	"$(jq -r '[.tasks | sort_by(.task)[] | "\(.task)|\(.jobs)|\(.processes)"] | join(" ")' <<<"$out")"
check_eq "tasks in the order they started: prepare first, merge last" "prepare merge" \
	"$(jq -r '[.tasks[0].task, .tasks[3].task] | join(" ")' <<<"$out")"
check_eq "the run's processes equal the steps' count" \
	"$(db "SELECT sum(processes) FROM sexec.step s WHERE s.cluster = '$CLUSTER' AND s.job_id IN ($ids)")" \
	"$(jq -r '.total.processes' <<<"$out")"
check_eq "wall time: first start to last end" \
	"$(awk -v a="$a0" -v d="$d1" 'BEGIN { printf "%.3f", d - a }')" \
	"$(jq -r '.total.span_s' <<<"$out" | awk '{ printf "%.3f", $1 }')"
check_eq "path durations are the jobs' spans" \
	"$(awk -v a0="$a0" -v a1="$a1" -v c0="$c0" -v c1="$c1" -v d0="$d0" -v d1="$d1" \
		'BEGIN { printf "%.3f %.3f %.3f", a1 - a0, c1 - c0, d1 - d0 }')" \
	"$(jq -r '.critical_path.jobs[].duration_s' <<<"$out" |
		awk '{ printf "%.3f\n", $1 }' | paste -sd ' ')"
check_eq "path gaps: 0 before A, then C's start less A's end, D's less C's" \
	"$(awk -v a1="$a1" -v c0="$c0" -v c1="$c1" -v d0="$d0" \
		'BEGIN { printf "0.000 %.3f %.3f", c0 - a1, d0 - c1 }')" \
	"$(jq -r '.critical_path.jobs[].gap_s' <<<"$out" |
		awk '{ printf "%.3f\n", $1 }' | paste -sd ' ')"
check_eq "the path's run and wait time cover the run's wall time" 1.000 \
	"$(jq -r '.critical_path.ran_share + .critical_path.waited_share' <<<"$out" |
		awk '{ printf "%.3f", $1 }')"
check_eq "tools: 4 sleeps and 1 per job of the batch shell" "sleep|4" \
	"$(jq -r '.tools[] | select(.tool == "sleep") | "\(.tool)|\(.processes)"' <<<"$out")"

echo "t_pipeline: text and --csv"
txt=$(as "$TEST_USER" "$SEXEC" --pipeline "$PIPE" 2>&1)
check_eq "without --run, the latest run is shown" "Pipeline $PIPE  run $RUN" "$(head -n 1 <<<"$txt")"
check_eq "text: the critical path lists A, C, D" "$A prepare $C long $D merge" \
	"$(sed -n '/^Critical path/,$p' <<<"$txt" | awk '$1 ~ /^[0-9]+$/ { print $1, $2 }' | paste -sd ' ')"
check_eq "text: 4 jobs" 4 "$(awk '$1 == "Jobs" { print $2 }' <<<"$txt")"
csv=$(as "$TEST_USER" "$SEXEC" --pipeline "$PIPE" --run "$RUN" --csv)
check_eq "--csv: a header and one row per task" 5 "$(wc -l <<<"$csv")"
check_eq "--csv: the short task's row" "short,1,0,2" \
	"$(tr -d '\r' <<<"$csv" | grep '^short,' | cut -d, -f1-4)"

echo "t_pipeline: what is not found"
as "$TEST_USER2" "$SEXEC" --pipeline "$PIPE" --run "$RUN" >"$WORK/pipe.out" 2>"$WORK/pipe.err"
check_eq "another user: exit 3" 3 $?
check_eq "another user: nothing on stdout" 0 "$(wc -c <"$WORK/pipe.out")"
check_eq "another user: told the pipeline is not found" \
	"sexec: pipeline '$PIPE' not found (no jobs of it that you can see)" "$(cat "$WORK/pipe.err")"
as "$TEST_USER" "$SEXEC" --pipeline "no-such-pipeline-$$" >/dev/null 2>"$WORK/pipe.err"
check_eq "unknown pipeline: exit 3" 3 $?
check_eq "unknown pipeline: a clear message" \
	"sexec: pipeline 'no-such-pipeline-$$' not found (no jobs of it that you can see)" \
	"$(cat "$WORK/pipe.err")"
as "$TEST_USER" "$SEXEC" --pipeline "$PIPE" --run nope >/dev/null 2>"$WORK/pipe.err"
check_eq "unknown run: exit 3" 3 $?
check_eq "unknown run: says so" \
	"sexec: pipeline '$PIPE' has no run 'nope' (that you can see); its latest runs:" \
	"$(head -n 1 "$WORK/pipe.err")"
check_eq "unknown run: lists the runs there are, latest first" "$RUN 4 jobs|$OLD_RUN 1 job" \
	"$(awk 'NR > 1 { print $1, $2, $3 }' "$WORK/pipe.err" | tr -d , | paste -sd '|')"
as "$TEST_USER" "$SEXEC" --db "host=127.0.0.1 port=1 dbname=sexec connect_timeout=2" \
	--pipeline "$PIPE" >/dev/null 2>&1
check_eq "database unreachable: exit 4" 4 $?
