#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Jobs attributed to their workflow: Nextflow, Snakemake and Cromwell jobs,
# shaped exactly as those engines submit them (name, comment, working
# directory), are recorded with their engine, pipeline, run, task and labels;
# explicit --sexec-pipeline/--sexec-run/--sexec-label, SEXEC_* in the
# environment and the site's default labels apply in that order of
# precedence, and a malformed label is refused at submission.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

CLUSTER=$(scontrol show config 2>/dev/null | awk '$1 == "ClusterName" { print $3 }')
PLUGSTACK=/etc/slurm/plugstack.conf
PLUGSTACK_SAVED=$(cat "$PLUGSTACK")
# Physical paths: the plugin records the working directory as getcwd() has it.
HOME_DIR=$(readlink -f "$WORK")
WF=$HOME_DIR/wf

cleanup() {
	printf '%s\n' "$PLUGSTACK_SAVED" > "$PLUGSTACK"
}
trap cleanup EXIT

is_id() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# q JOBID SQL: SQL with :J replaced by this job's rows' condition; nothing
# without a job id (a failed submission is reported by its own check).
q() {
	local cond="cluster = '$CLUSTER' AND job_id = $1"
	is_id "$1" || return 0
	db "${2//:J/$cond}"
}

# in_dir DIR CMD...: run as the test user in DIR, as an engine would.
in_dir() {
	local d=$1
	shift
	runuser -u "$TEST_USER" -- env -C "$d" PATH="$PATH" "$@"
}

# submit NAME DIR SBATCH-ARGS...: submit and wait for the job; prints its id.
submit() {
	local name=$1 d=$2 jid
	shift 2
	jid=$(in_dir "$d" sbatch --parsable --wait "$@")
	check_eq "$name: the job ran" 0 $? >&2
	echo "$jid"
}

# described JOBID COLUMN: the collector has filled COLUMN in the job's row
# (the engine and the comment come a little after the job starts).
described() { [ -n "$(q "$1" "SELECT $2 FROM sexec.job WHERE :J")" ]; }

# expect NAME JOBID WORKFLOW TASK PIPELINE RUN LABELS WORK_DIR COMMENT: the
# job's row. NULL stands for no value (for pipeline, run and comment, also
# an empty one); LABELS is a JSON object.
expect() {
	local n=$1 j=$2
	jc() { q "$j" "SELECT $1 FROM sexec.job WHERE :J"; }
	check_eq "$n: workflow" "$3" "$(jc "coalesce(workflow, 'NULL')")"
	check_eq "$n: workflow_task" "$4" "$(jc "coalesce(workflow_task, 'NULL')")"
	check_eq "$n: pipeline" "$5" "$(jc "coalesce(nullif(pipeline, ''), 'NULL')")"
	check_eq "$n: run" "$6" "$(jc "coalesce(nullif(run, ''), 'NULL')")"
	check_eq "$n: labels" "$(db "SELECT '$7'::jsonb::text")" "$(jc "labels::text")"
	check_eq "$n: work_dir" "$8" "$(jc "work_dir")"
	check_eq "$n: comment" "$9" "$(jc "coalesce(nullif(comment, ''), 'NULL')")"
}

# refused NAME REASON CMD...: the command fails at submission, says why and
# starts nothing.
refused() {
	local n=$1 why=$2 out rc
	shift 2
	out=$(as "$TEST_USER" "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && ! grep -q "Submitted batch job\|^ran$" <<<"$out"; then
		pass "$n: refused (exit $rc)"
	else
		fail "$n: refused" "exit $rc: $out"
	fi
	if grep -qF -- "$why" <<<"$out"; then pass "$n: says why"; else
		fail "$n: says why" "expected '$why' in: $out"; fi
}

rm -rf "$WF"
install -d -o "$TEST_USER" -m 755 "$WF"

echo "t_workflow: Nextflow"
# nextflow_task LAUNCH HASH NAME [#SBATCH LINES...]: a task's work dir under
# LAUNCH with the .command.run Nextflow's Slurm executor writes there; Nextflow
# runs sbatch .command.run in that directory.
nextflow_task() {
	local launch=$1 hash=$2 name=$3 dir l
	shift 3
	dir=$launch/work/$hash
	runuser -u "$TEST_USER" -- mkdir -p "$dir"
	{
		echo "#!/bin/bash"
		echo "#SBATCH -J $name"
		echo "#SBATCH -o $dir/.command.log"
		echo "#SBATCH --no-requeue"
		echo "#SBATCH --signal B:USR2@30"
		for l in "$@"; do echo "#SBATCH $l"; done
		echo "# NEXTFLOW TASK: $name"
		echo "/bin/true"
	} | runuser -u "$TEST_USER" -- tee "$dir/.command.run" > /dev/null
	echo "$dir"
}
H1=3f/1c2d4e5f60718293a4b5c6d7e8f9a0
H2=42/50f2d37f455c1fe60e81ef46762350
H3=a0/9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d
for h in $H1 $H2 $H3; do
	if [[ $h =~ ^[0-9a-f]{2}/[0-9a-f]{30}$ ]]; then pass "task hash $h: 2/30 hex digits"; else
		fail "task hash $h: 2/30 hex digits"; fi
done
d1=$(nextflow_task "$WF/rnaseq" "$H1" "nf-NFCORE_RNASEQ_RNASEQ_FASTQC_(s1)")
n1=$(submit "nf-core task" "$d1" .command.run)
d2=$(nextflow_task "$WF/hello" "$H2" "nf-MULTIQC_(1)")
n2=$(submit "plain Nextflow task" "$d2" .command.run)
# Explicit values in the job's header, as a process's clusterOptions puts them.
d3=$(nextflow_task "$WF/rnaseq" "$H3" "nf-NFCORE_RNASEQ_RNASEQ_SALMON_QUANT_(S1)" \
	--sexec-pipeline=lab/rnaseq-fork --sexec-run=batch-7 --sexec-label=tag=S1-tumour)
n3=$(submit "nf-core task with explicit values" "$d3" .command.run)
for j in "$n1" "$n2" "$n3"; do wait_for 30 described "$j" workflow; done
check_eq "nf-core task: job name" "nf-NFCORE_RNASEQ_RNASEQ_FASTQC_(s1)" \
	"$(q "$n1" "SELECT job_name FROM sexec.job WHERE :J")"
expect "nf-core task" "$n1" nextflow NFCORE_RNASEQ_RNASEQ_FASTQC nf-core/rnaseq "$WF/rnaseq" \
	"{\"tag\": \"s1\", \"task_hash\": \"$H1\"}" "$d1" NULL
expect "plain Nextflow task" "$n2" nextflow MULTIQC NULL "$WF/hello" \
	"{\"tag\": \"1\", \"task_hash\": \"$H2\"}" "$d2" NULL
expect "nf-core task with explicit values" "$n3" nextflow NFCORE_RNASEQ_RNASEQ_SALMON_QUANT \
	lab/rnaseq-fork batch-7 "{\"tag\": \"S1-tumour\", \"task_hash\": \"$H3\"}" "$d3" NULL

echo "t_workflow: Snakemake"
# snakemake-executor-plugin-slurm: every job of a run is named after the
# run's UUID and described in its comment; logs under .snakemake/slurm_logs.
SMK=$WF/smk
UUID=1b2c3d4e-5f60-4a1b-8c2d-3e4f5a6b7c8d
runuser -u "$TEST_USER" -- mkdir -p "$SMK/.snakemake/slurm_logs/rule_align_reads/s1" \
	"$SMK/.snakemake/slurm_logs/rule_all"
s1=$(submit "Snakemake rule with wildcards" "$SMK" --job-name "$UUID" \
	--output "$SMK/.snakemake/slurm_logs/rule_align_reads/s1/%j.log" --export=ALL \
	--comment rule_align_reads_wildcards_s1 -A sexec -p debug -t 5 --mem 100 --ntasks=1 \
	--cpus-per-task=1 -D "$SMK" --wrap /bin/true)
# The pipeline is not in the job's shape: the user names it in the
# environment snakemake runs in, and the plugin exports it (--export=ALL).
s2=$(SEXEC_PIPELINE=variant-calling submit "Snakemake rule without wildcards" "$SMK" \
	--job-name "$UUID" --output "$SMK/.snakemake/slurm_logs/rule_all/%j.log" --export=ALL \
	--comment rule_all -A sexec -p debug -t 5 --mem 100 --ntasks=1 --cpus-per-task=1 \
	-D "$SMK" --wrap /bin/true)
for j in "$s1" "$s2"; do wait_for 30 described "$j" workflow; done
expect "Snakemake rule with wildcards" "$s1" snakemake align_reads NULL "$UUID" \
	'{"wildcards": "s1"}' "$SMK" rule_align_reads_wildcards_s1
expect "Snakemake rule without wildcards" "$s2" snakemake all variant-calling "$UUID" '{}' "$SMK" rule_all

echo "t_workflow: Cromwell"
# Cromwell's Slurm backend: cromwell_<8 hex of the workflow id>_<call>, run
# in the call's execution directory, with its script wrapped.
CWF=1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d
CROOT=$WF/cromwell
# cromwell_call NAME DIR: submit a call as Cromwell's submit template does.
cromwell_call() {
	local name=$1 cwd=$2
	runuser -u "$TEST_USER" -- mkdir -p "$cwd"
	printf '#!/bin/bash\n/bin/true\n' | runuser -u "$TEST_USER" -- tee "$cwd/script" > /dev/null
	submit "Cromwell call $name" "$CROOT" -J "$name" -D "$cwd" -o "$cwd/stdout" -e "$cwd/stderr" \
		-t 5 -p debug -n 1 --mem-per-cpu=100 --wrap "/bin/bash $cwd/script"
}
e1=$CROOT/cromwell-executions/WholeGenomeGermline/$CWF/call-HaplotypeCaller/shard-17/execution
c1=$(cromwell_call cromwell_1a2b3c4d_HaplotypeCaller "$e1")
e2=$CROOT/cromwell-executions/WholeGenomeGermline/$CWF/call-MarkDuplicates/execution
c2=$(cromwell_call cromwell_1a2b3c4d_MarkDuplicates "$e2")
for j in "$c1" "$c2"; do wait_for 30 described "$j" workflow; done
expect "scattered Cromwell call" "$c1" cromwell HaplotypeCaller WholeGenomeGermline "$CWF" \
	'{"shard": "17"}' "$e1" NULL
expect "Cromwell call" "$c2" cromwell MarkDuplicates WholeGenomeGermline "$CWF" '{}' "$e2" NULL

echo "t_workflow: explicit values, the environment and their precedence"
# Each has a comment, which the collector only asks squeue for when the job is
# named by a UUID (Snakemake's shape): these keep none. The working directory
# comes with the job's description: once it is in the row, the collector is
# done with it.
p0=$(submit "plain job" "$HOME_DIR" --comment plain --wrap /bin/true)
p1=$(submit "options" "$HOME_DIR" --sexec-pipeline=demo/pipe --sexec-run=r-001 \
	--sexec-label=project=alpha --sexec-label=stage=qc,owner=lab --comment "just a note" --wrap /bin/true)
p2=$(SEXEC_PIPELINE=envpipe SEXEC_RUN=envrun SEXEC_LABELS=team=bio,stage=env \
	submit "environment and options" "$HOME_DIR" --sexec-pipeline=optpipe --sexec-label=stage=opt \
	--sexec-label=extra=1 --comment p2 --wrap /bin/true)
p3=$(submit "a task label" "$HOME_DIR" --sexec-label=task=mytask --comment p3 --wrap /bin/true)
for j in "$p0" "$p1" "$p2" "$p3"; do wait_for 30 described "$j" work_dir; done
expect "plain job" "$p0" NULL NULL NULL NULL '{}' "$HOME_DIR" NULL
expect "options" "$p1" NULL NULL demo/pipe r-001 \
	'{"owner": "lab", "project": "alpha", "stage": "qc"}' "$HOME_DIR" NULL
expect "environment and options (option wins)" "$p2" NULL NULL optpipe envrun \
	'{"extra": "1", "stage": "opt", "team": "bio"}' "$HOME_DIR" NULL
expect "a task label" "$p3" NULL mytask NULL NULL '{"task": "mytask"}' "$HOME_DIR" NULL

echo "t_workflow: the site's default labels"
printf '%s\n' "$PLUGSTACK_SAVED" | sed '/sexec\.so/ s/$/ label=site=hpc1 label=stage=default/' > "$PLUGSTACK"
check_eq "plugstack.conf names the site's labels" 1 "$(grep -c 'sexec\.so.* label=site=hpc1 label=stage=default$' "$PLUGSTACK")"
d1=$(submit "site defaults" "$HOME_DIR" --comment d1 --wrap /bin/true)
d2=$(SEXEC_LABELS=stage=env submit "site defaults and environment" "$HOME_DIR" --comment d2 --wrap /bin/true)
d3=$(SEXEC_LABELS=stage=env submit "site defaults, environment and option" "$HOME_DIR" \
	--sexec-label=stage=opt --comment d3 --wrap /bin/true)
printf '%s\n' "$PLUGSTACK_SAVED" > "$PLUGSTACK"
for j in "$d1" "$d2" "$d3"; do wait_for 30 described "$j" work_dir; done
expect "site defaults" "$d1" NULL NULL NULL NULL '{"site": "hpc1", "stage": "default"}' "$HOME_DIR" NULL
expect "site defaults and environment" "$d2" NULL NULL NULL NULL \
	'{"site": "hpc1", "stage": "env"}' "$HOME_DIR" NULL
expect "site defaults, environment and option" "$d3" NULL NULL NULL NULL \
	'{"site": "hpc1", "stage": "opt"}' "$HOME_DIR" NULL

echo "t_workflow: sexec --json shows the attribution"
# json JOBID: pipeline|run|workflow|workflow_task|labels as k=v,...|type of labels|restarts
json() {
	local out
	out=$(sexec --json "$1" 2>/dev/null)
	[ -n "$out" ] || { echo "no output"; return; }
	jq -r '.job | [.pipeline, .run, .workflow, .workflow_task,
		(.labels | to_entries | map("\(.key)=\(.value)") | join(",")), (.labels | type), .restarts]
		| map(tostring) | join("|")' <<<"$out" 2>&1
}
check_eq "sexec --json: the nf-core task" \
	"nf-core/rnaseq|$WF/rnaseq|nextflow|NFCORE_RNASEQ_RNASEQ_FASTQC|tag=s1,task_hash=$H1|object|0" "$(json "$n1")"
check_eq "sexec --json: explicit values" \
	"demo/pipe|r-001|null|null|owner=lab,project=alpha,stage=qc|object|0" "$(json "$p1")"
check_eq "sexec --json: a plain job" "null|null|null|null||object|0" "$(json "$p0")"

echo "t_workflow: malformed values are refused at submission"
refused "sbatch, a key with a space" "label 'bad key=1': key may only hold letters, digits, '_', '.', '-'" \
	sbatch --sexec-label="bad key=1" --wrap /bin/true
refused "sbatch, no '='" "--sexec-label takes KEY=VALUE, not 'project'" \
	sbatch --sexec-label=project --wrap /bin/true
refused "sbatch, a list with an item without '='" "label 'b': missing '=' (labels are key=value)" \
	sbatch --sexec-label=a=1,b --wrap /bin/true
refused "srun, a control character in a value" "label 'k=a?b': value holds a control character" \
	srun --sexec-label="$(printf 'k=a\tb')" /bin/echo ran
refused "sbatch, an empty pipeline" "--sexec-pipeline needs a name" \
	sbatch --sexec-pipeline= --wrap /bin/true
