#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The sexec CLI on real jobs, against ground truth: the steps, process counts
# and CPU of a two-step job as the database holds them, Slurm's states, exit
# codes and elapsed times as sacct -P prints them, a failed job, an OOM kill,
# an array task named by its array id; every --json object validated against
# docs/sexec.schema.json (and a broken copy rejected); and the degraded cases
# with their exit codes and messages. SEXEC_BIN runs another sexec binary.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SEXEC=${SEXEC_BIN:-$PREFIX/bin/sexec}
DOCS=$(cd "$(dirname "$0")/../../docs" && pwd)
SCHEMA=$DOCS/sexec.schema.json
PY=/usr/bin/python3 # another python3 may come first on PATH, without jsonschema
MYJOBS=()

cleanup() {
	local j
	for j in "${MYJOBS[@]}"; do
		case $(sacct_field "$j" State) in PENDING | RUNNING | REQUEUED | SUSPENDED) scancel "$j" ;; esac
	done
}
trap cleanup EXIT

is_id() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# validate FILE: "valid", or where and why FILE breaks the schema (jsonschema's best match).
validate() {
	"$PY" -c 'import json, sys, jsonschema
from jsonschema import Draft202012Validator as V
schema = json.load(open(sys.argv[1]))
V.check_schema(schema)
try:
    doc = json.load(open(sys.argv[2]))
except ValueError as e:
    sys.exit(print("not JSON: %s" % e))
# The listing and array views are defined under $defs of the same schema.
if isinstance(doc, dict) and "array_job_id" in doc and "tasks" in doc:
    schema = {"$ref": "#/$defs/array", "$defs": schema["$defs"]}
elif isinstance(doc, dict) and "jobs" in doc:
    schema = {"$ref": "#/$defs/listing", "$defs": schema["$defs"]}
e = jsonschema.exceptions.best_match(V(schema).iter_errors(doc))
print("valid" if e is None else "invalid at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message))
' "$SCHEMA" "$1" 2>&1 | tail -n 1
}

# json NAME [as USER] ARGS...: run sexec --json ARGS, keep stdout in
# $WORK/cli-NAME.json (stderr in .err), and check the object against the schema.
# Sets RC to sexec's exit code.
json() {
	local name=$1 f=$WORK/cli-$1.json
	shift
	if [ "${1:-}" = as ]; then
		as "$2" "$SEXEC" --json "${@:3}" > "$f" 2> "$WORK/cli-$name.err"
	else
		"$SEXEC" --json "$@" > "$f" 2> "$WORK/cli-$name.err"
	fi
	RC=$?
	check_eq "$name: --json matches docs/sexec.schema.json" valid "$(validate "$f")"
}
# jv NAME FILTER: a value of a kept --json object.
jv() { jq -r "$2" "$WORK/cli-$1.json" 2>/dev/null; }
# us_of FILTER NAME: seconds selected from a kept --json object, in microseconds
# (as the database stores them).
us_of() { jq -r "$1 * 1000000 | round" "$WORK/cli-$2.json" 2>/dev/null; }
# submit NAME SBATCH-ARGS...: a job of the first test user; prints its id.
submit() {
	local name=$1
	shift
	as "$TEST_USER" sbatch --parsable -o "$WORK/cli-$name-%j.out" "$@" | tail -n 1 | cut -d';' -f1
}
# sacct_steps JOBID: "STEP|State|ExitCode|ElapsedRaw" per step line, steps as sexec orders them.
sacct_steps() {
	sacct -n -P -j "$1" -o JobIDRaw,State,ExitCode,ElapsedRaw 2>/dev/null |
		awk -F'|' -v j="$1" 'index($1, j ".") == 1 { sub(/^[^.]*\./, "", $1); print }' OFS='|' |
		awk -F'|' '{ r = $1 == "batch" ? 0 : $1 == "extern" ? 1 : $1 == "interactive" ? 2 : 3;
			printf "%d %012d %s\n", r, (r == 3 ? $1 : 0), $0 }' | sort | cut -d' ' -f3
}
# text_steps FILE: "STEP PROCS" for each line of the step table of a text report.
text_steps() {
	awk -F'|' 'NF == 2 { split($1, a, " "); split($2, b, " ") }
		NF == 2 && a[1] ~ /^(batch|extern|interactive|[0-9]+)$/ { print a[1], b[1] }' "$1"
}

echo "t_cli: the schema and its tools"
check_eq "python3-jsonschema for $PY (apt-get install python3-jsonschema)" ok \
	"$("$PY" -c 'import jsonschema; from jsonschema import Draft202012Validator; print("ok")' 2>&1 | tail -n 1)"
check_eq "docs/sexec.schema.json is a valid draft 2020-12 schema" ok \
	"$("$PY" -c 'import json, sys; from jsonschema import Draft202012Validator as V
V.check_schema(json.load(open(sys.argv[1]))); print("ok")' "$SCHEMA" 2>&1 | tail -n 1)"
awk '/^```json$/ { on = 1; next } /^```$/ { on = 0 } on' "$DOCS/json.md" > "$WORK/cli-doc-example.json"
check_eq "the example in docs/json.md matches the schema" valid "$(validate "$WORK/cli-doc-example.json")"

echo "t_cli: four real jobs of $TEST_USER: two srun steps, a failure, an OOM kill, an array"
cat > "$WORK/cli-steps.sh" <<'SCRIPT'
#!/bin/sh
srun -n1 /bin/true
srun -n1 /bin/sh -c 'for i in 1 2 3; do /bin/true; done'
exit 0
SCRIPT
cat > "$WORK/cli-fail.sh" <<'SCRIPT'
#!/bin/sh
/bin/true
exit 3
SCRIPT
chmod 755 "$WORK/cli-steps.sh" "$WORK/cli-fail.sh"
JS=$(submit steps -n1 --mem=100M -t 5 "$WORK/cli-steps.sh")
JF=$(submit fail -n1 --mem=100M -t 5 "$WORK/cli-fail.sh")
JO=$(submit oom -n1 --mem=32M -t 5 --wrap 'tail /dev/zero')
A=$(as "$TEST_USER" sbatch --parsable -o "$WORK/cli-array-%A_%a.out" -n1 --mem=100M -t 5 \
	--array=1-3 --wrap '/bin/echo $SLURM_JOB_ID' | tail -n 1 | cut -d';' -f1)
for j in JS JF JO A; do
	if is_id "${!j}"; then pass "job $j submitted (${!j})"; MYJOBS+=("${!j}"); else
		fail "job $j submitted" "sbatch printed '${!j}'"; fi
done
# The cluster is shared with other tests' jobs: these may wait their turn.
all_done() {
	local j
	for j in "$JS" "$JF" "$JO" "${A}_1" "${A}_2" "${A}_3"; do sacct_done "$j" || return 1; done
}
wait_for 900 all_done
check_eq "all of them ended" 0 $?
A2=$(array_task_jobid "${A}_2")
for j in "$JS" "$JF" "$JO" "$A2"; do
	wait_for 30 steps_closed "${j:-0}" || fail "steps of job $j closed in the database"
done

echo "t_cli: a job with two srun steps ($JS)"
J=$JS
S="job_id = ${J:-0}"
json steps "$J"
check_eq "exit code" 0 "$RC"
check_eq "no warnings" "" "$(jv steps '.warnings | join("; ")')"
check_eq "steps in sexec's order" "batch extern 0 1" "$(jv steps '[.steps[].step] | join(" ")')"
check_eq "steps the database holds" "0 1 batch extern" \
	"$(db "SELECT string_agg(DISTINCT step, ' ') FROM sexec.step WHERE $S")"
check_eq "steps sacct lists" "batch extern 0 1" "$(sacct_steps "$J" | cut -d'|' -f1 | xargs)"
check_eq "every step observed and complete" "true true true true" \
	"$(jv steps '[.steps[] | .observed and .complete] | map(tostring) | join(" ")')"
check_eq "step 0: one process (/bin/true), step 1: four (sh, 3 x /bin/true)" "1|4" \
	"$(db "SELECT count(*) FILTER (WHERE step = '0') || '|' || count(*) FILTER (WHERE step = '1')
		FROM sexec.process WHERE $S")"
for st in batch extern 0 1; do
	F=".steps[] | select(.step == \"$st\")"
	check_eq "step $st: processes = the database's process rows" \
		"$(db "SELECT count(*) FROM sexec.process WHERE $S AND step = '$st'")" "$(jv steps "$F | .processes")"
	check_eq "step $st: user CPU (µs) = the database's sum" \
		"$(db "SELECT coalesce(sum(cpu_user_us), 0) FROM sexec.process WHERE $S AND step = '$st'")" \
		"$(us_of "$F | .cpu_user_s" steps)"
	check_eq "step $st: system CPU (µs) = the database's sum" \
		"$(db "SELECT coalesce(sum(cpu_sys_us), 0) FROM sexec.process WHERE $S AND step = '$st'")" \
		"$(us_of "$F | .cpu_sys_s" steps)"
	check_eq "step $st: nodes = the database's" \
		"$(db "SELECT string_agg(DISTINCT node, ' ') FROM sexec.step WHERE $S AND step = '$st'")" \
		"$(jv steps "$F | .nodes | join(\" \")")"
done
check_eq "steps: sacct's State|ExitCode|ElapsedRaw, as sacct -P prints them" \
	"$(sacct_steps "$J" | tr '\n' ' ')" \
	"$(jv steps '.steps[] | [.step, .sacct.state, .sacct.exit_code, (.sacct.elapsed_s | floor)] | map(tostring) | join("|")' | tr '\n' ' ')"
check_eq "job: sacct's State|ExitCode|ElapsedRaw|AllocCPUS" \
	"$(sacct_field "$J" State)|$(sacct_field "$J" ExitCode)|$(sacct_field "$J" ElapsedRaw)|$(sacct_field "$J" AllocCPUS)" \
	"$(jv steps '[.job.state, .job.exit_code, (.job.elapsed_s | floor), .job.alloc_cpus] | map(tostring) | join("|")')"
check_eq "job: COMPLETED 0:0" "COMPLETED|0:0" "$(jv steps '.job.state + "|" + .job.exit_code')"
check_eq "job: $TEST_USER's, observed, not an array task" "$J|$TEST_USER|true|null|null" \
	"$(jv steps '[.job.job_id, .job.user, .job.observed, .job.array_job_id, .job.array_task_id] | map(tostring) | join("|")')"
"$SEXEC" "$J" > "$WORK/cli-steps.txt" 2> "$WORK/cli-steps.txt.err"
check_eq "text: exit code" 0 $?
check_eq "text: STEP PROCS per step, as the database counts" \
	"batch $(db "SELECT count(*) FROM sexec.process WHERE $S AND step = 'batch'") extern 0 0 1 1 4" \
	"$(text_steps "$WORK/cli-steps.txt" | xargs)"
check_eq "text: the observed summary" \
	"sexec      observed: 4 steps, $(db "SELECT count(*) FROM sexec.process WHERE $S") processes" \
	"$(sed -n 's/^  \(sexec .*\)/\1/p' "$WORK/cli-steps.txt")"
json steps-procs --processes "$J"
check_eq "--processes: one object per process row" "$(db "SELECT count(*) FROM sexec.process WHERE $S")" \
	"$(jv steps-procs '.processes | length')"
check_eq "--processes: step 1's executables" "/bin/sh /bin/true /bin/true /bin/true" \
	"$(jv steps-procs '[.processes[] | select(.step == "1") | .exe] | sort | join(" ")')"

echo "t_cli: a job that exits 3 ($JF)"
J=$JF
check_eq "sacct: FAILED 3:0" "FAILED|3:0" "$(sacct_field "$J" State)|$(sacct_field "$J" ExitCode)"
json fail "$J"
check_eq "exit code" 0 "$RC"
check_eq "--json: job state and exit code" "FAILED|3:0" "$(jv fail '.job.state + "|" + .job.exit_code')"
check_eq "--json: the batch step's, as sacct has them" \
	"$(sacct_steps "$J" | grep '^batch|' | cut -d'|' -f2,3)" \
	"$(jv fail '.steps[] | select(.step == "batch") | .sacct.state + "|" + .sacct.exit_code')"
"$SEXEC" "$J" > "$WORK/cli-fail.txt" 2>/dev/null
check_eq "text: exit code" 0 $?
check_eq "text: State and Exit code" "FAILED 3:0" \
	"$(sed -n 's/^  State  *\([^ ]*\)  *Exit code  *\([^ ]*\) .*/\1 \2/p' "$WORK/cli-fail.txt")"
check_eq "text: the batch step FAILED" FAILED \
	"$(awk -F'|' 'NF == 2 { split($1, a, " ") } NF == 2 && a[1] == "batch" { print a[2] }' "$WORK/cli-fail.txt")"

echo "t_cli: a job killed by the OOM killer ($JO)"
J=$JO
check_eq "sacct: OUT_OF_MEMORY" OUT_OF_MEMORY "$(sacct_field "$J" State)"
check_eq "database: one OOM kill, of tail" "1|1" \
	"$(db "SELECT sum(oom_kills) || '|' || (SELECT count(*) FROM sexec.process WHERE job_id = $J
		AND oom_killed AND exe LIKE '%/tail') FROM sexec.step WHERE job_id = $J")"
json oom "$J"
check_eq "exit code" 0 "$RC"
check_eq "--json: job state" OUT_OF_MEMORY "$(jv oom '.job.state')"
check_eq "--json: the batch step counts one OOM kill" 1 \
	"$(jv oom '.steps[] | select(.step == "batch") | .cgroup.oom_kills')"
check_eq "--json: one OOM kill in all" 1 "$(jv oom '[.steps[].cgroup.oom_kills // 0] | add')"
check_eq "--json: one diagnosis note of kind oom, saying so" \
	"OOM: 1 process was killed for lack of memory. Request more memory (--mem)." \
	"$(jv oom '[.diagnosis[] | select(.kind == "oom") | .text] | join("; ")')"
check_eq "text: the OOM line and the step's full state" \
	"OOM kills  1 process killed for lack of memory|OUT_OF_MEMORY" \
	"$("$SEXEC" "$J" 2>/dev/null | sed -n 's/^  \(OOM kills .*\)/\1/p')|$("$SEXEC" "$J" 2>/dev/null |
		awk '$1 == "batch" { print $2; exit }')"

echo "t_cli: array task 2 of $A (job $A2)"
check_eq "the task printed its own job id, sacct's JobIDRaw" "$A2" \
	"$(cat "$WORK/cli-array-${A}_2.out" 2>/dev/null)"
json array "${A}_2"
check_eq "exit code" 0 "$RC"
check_eq "--json: the task's own job id and its array ids" "$A2|$A|2" \
	"$(jv array '[.job.job_id, .job.array_job_id, .job.array_task_id] | map(tostring) | join("|")')"
check_eq "--json: observed, sacct's state" "true|$(sacct_field "${A}_2" State)" \
	"$(jv array '[.job.observed, .job.state] | map(tostring) | join("|")')"
json array-procs --processes "${A}_2"
check_eq "--processes: the task's echo printed its own id" "$A2" \
	"$(jv array-procs '.processes[] | select(.exe == "/bin/echo") | .argv[1]')"
"$SEXEC" "${A}_2" > "$WORK/cli-array.txt" 2>/dev/null
check_eq "text: the header names the task" "Job $A2 (array task ${A}_2)" \
	"$(head -n 1 "$WORK/cli-array.txt" | sed 's/  .*//; s/ *$//')"
json array-plain "$A"
check_eq "the array's own id: exit 0" 0 "$RC"
check_eq "the array's own id: the array view" "$A|3|1 2 3" \
	"$(jv array-plain '[(.array_job_id | tostring), (.totals.tasks | tostring), ([.tasks[].array_task_id | tostring] | join(" "))] | join("|")')"
check_eq "the array view: each task's own job id from sacct" \
	"$(sacct -n -P -X -j "$A" -o JobIDRaw 2>/dev/null | sort -n | tr '\n' ' ' | sed 's/ $//')" \
	"$(jv array-plain '[.tasks[].job_id] | sort | map(tostring) | join(" ")')"
check_eq "the array view: processes add up to the database's" \
	"$(db "SELECT count(*) FROM sexec.process p JOIN sexec.job j USING (cluster, job_id) WHERE j.array_job_id = $A")" \
	"$(jv array-plain '.totals.processes')"

echo "t_cli: a broken copy of an object fails validation"
jq 'del(.job.state)' "$WORK/cli-steps.json" > "$WORK/cli-broken1.json"
check_eq "a documented key removed" "invalid at /job: 'state' is a required property" \
	"$(validate "$WORK/cli-broken1.json")"
jq '.steps[0].processes |= tostring' "$WORK/cli-steps.json" > "$WORK/cli-broken2.json"
check_eq "a count turned into a string" \
	"invalid at /steps/0/processes: '$(jv steps '.steps[0].processes')' is not of type 'integer'" \
	"$(validate "$WORK/cli-broken2.json")"
jq '.job.cpu_s = 1' "$WORK/cli-steps.json" > "$WORK/cli-broken3.json"
check_eq "an undocumented key" "invalid at /job: Additional properties are not allowed ('cpu_s' was unexpected)" \
	"$(validate "$WORK/cli-broken3.json")"
jq '.diagnosis[0].kind = "slow"' "$WORK/cli-oom.json" > "$WORK/cli-broken4.json"
check_eq "an unknown diagnosis kind" \
	"invalid at /diagnosis/0/kind: 'slow' is not one of ['io_bound', 'memory_bound', 'cpu_contended', 'idle', 'serial', 'oom', 'memory_request', 'time_limit']" \
	"$(validate "$WORK/cli-broken4.json")"
head -c 200 "$WORK/cli-steps.json" > "$WORK/cli-broken5.json"
check_eq "output cut short" "not JSON" "$(validate "$WORK/cli-broken5.json" | cut -d: -f1)"

echo "t_cli: degraded cases"
"$SEXEC" 12x > "$WORK/cli-bad.out" 2> "$WORK/cli-bad.err"
check_eq "a malformed id: exit 2" 2 $?
check_eq "a malformed id: the reason, nothing on stdout" \
	"sexec: '12x' is not a job id (expected 123, 123_4, 123+1 or 123.batch)|" \
	"$(cat "$WORK/cli-bad.err")|$(cat "$WORK/cli-bad.out")"
# An id past every job this cluster ran, that neither sacct nor the database knows.
U=$(($(sacct -a -n -P -X -S 2000-01-01 -o JobIDRaw 2>/dev/null | sort -n | tail -n 1) + 100000))
check_eq "job $U: sacct and the database know nothing of it" "|0" \
	"$(sacct -n -P -X -j "$U" -o JobIDRaw 2>/dev/null)|$(db "SELECT count(*) FROM sexec.job WHERE job_id = $U")"
"$SEXEC" --json "$U" > "$WORK/cli-unknown.out" 2> "$WORK/cli-unknown.err"
check_eq "an unknown id: exit 3" 3 $?
check_eq "an unknown id: the reason, nothing on stdout" "sexec: job $U not found|" \
	"$(cat "$WORK/cli-unknown.err")|$(cat "$WORK/cli-unknown.out")"

json nosacct --sacct /nonexistent "$JS"
check_eq "--sacct /nonexistent: exit 0" 0 "$RC"
check_eq "--sacct /nonexistent: the warning on stderr" \
	"sexec: warning: sacct data unavailable: cannot run /nonexistent: No such file or directory" \
	"$(cat "$WORK/cli-nosacct.err")"
check_eq "--sacct /nonexistent: the same in warnings, sacct_available false" \
	"sacct data unavailable: cannot run /nonexistent: No such file or directory|false" \
	"$(jv nosacct '(.warnings | join("; ")) + "|" + (.sacct_available | tostring)')"
check_eq "--sacct /nonexistent: sacct's fields null" "null null null null" \
	"$(jv nosacct '[.job.state, .job.exit_code, .job.elapsed_s, ([.steps[].sacct] | unique | .[0])] | map(tostring) | join(" ")')"
check_eq "--sacct /nonexistent: the observed steps and processes still shown" \
	"$(jv steps '[.steps[] | .step + ":" + (.processes | tostring)] | join(" ")')" \
	"$(jv nosacct '[.steps[] | .step + ":" + (.processes | tostring)] | join(" ")')"
"$SEXEC" --sacct /nonexistent "$JS" > "$WORK/cli-nosacct.txt" 2>/dev/null
check_eq "--sacct /nonexistent: text says sacct is unavailable" "sacct      unavailable" \
	"$(sed -n 's/^  \(sacct .*\)/\1/p' "$WORK/cli-nosacct.txt")"

check_eq "nothing listens on 127.0.0.1:1" "" "$(ss -Hltn 'sport = :1' 2>&1)"
json nodb --db "host=127.0.0.1 port=1 dbname=sexec connect_timeout=5" "$JF"
check_eq "--db on a dead port: exit 0" 0 "$RC"
check_eq "--db on a dead port: one warning on stderr, that the database is unavailable" \
	"1 1" "$(grep -c . "$WORK/cli-nodb.err") $(grep -c "^sexec: warning: sexec database unavailable: .*; showing Slurm's accounting only$" "$WORK/cli-nodb.err")"
check_eq "--db on a dead port: sacct's view still shown, nothing observed" "FAILED|3:0|false|false" \
	"$(jv nodb '[.job.state, .job.exit_code, .job.observed, ([.steps[].observed] | any)] | map(tostring) | join("|")')"
check_eq "--db on a dead port: sacct's steps" "$(sacct_steps "$JF" | cut -d'|' -f1 | xargs)" \
	"$(jv nodb '[.steps[].step] | join(" ")')"

echo "t_cli: another user's job"
json own as "$TEST_USER" --processes "$JS"
check_eq "$TEST_USER sees its own job observed, with its processes" \
	"true|$(db "SELECT count(*) FROM sexec.process WHERE job_id = $JS")" \
	"$(jv own '[.job.observed, (.processes | length)] | map(tostring) | join("|")')"
json other as "$TEST_USER2" --processes "$JS"
check_eq "$TEST_USER2: exit 0 (sacct shows the job to everyone here)" 0 "$RC"
check_eq "$TEST_USER2: not observed, no process, no step of it, no tools, no cost" "false|0|false|0|null" \
	"$(jv other '[.job.observed, (.processes | length), ([.steps[].observed] | any), (.tools | length), .cost] | map(tostring) | join("|")')"
check_eq "$TEST_USER2: every step's process count 0" "0 0 0 0" "$(jv other '[.steps[].processes] | map(tostring) | join(" ")')"
check_eq "$TEST_USER2: the warning" \
	"sexec shows you no records of job $JS: it is $TEST_USER's, and the database shows users their own jobs only" \
	"$(jv other '.warnings | join("; ")')"
as "$TEST_USER2" "$SEXEC" --processes "$JS" > "$WORK/cli-other.txt" 2>/dev/null
check_eq "$TEST_USER2: text shows no records and no process" "sexec      no records of this job|(no processes observed)" \
	"$(sed -n 's/^  \(sexec .*\)/\1/p' "$WORK/cli-other.txt")|$(grep -x '(no processes observed)' "$WORK/cli-other.txt")"
