# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers of the integration tests: named checks that count passes and
# failures, database and Slurm helpers, and a work dir the test users can use.

PREFIX=${PREFIX:-/usr/local}
PGPORT=${SEXEC_PGPORT:-5439}
SOCKET=/run/sexec/sexecd.sock
TEST_USER=sexectest
TEST_USER2=sexectest2
RESULTS=${SEXEC_RESULTS:-/dev/null}
: "${WORK:?WORK must be set by tests/run.sh}"
BIN=$WORK/bin
export PATH=$PREFIX/bin:$PREFIX/sbin:$PATH

pass() {
	echo "  ok   $1"
	echo "pass $1" >> "$RESULTS"
}

fail() {
	echo "  FAIL $1${2:+: $2}"
	echo "fail $1" >> "$RESULTS"
}

# check_eq NAME EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

# check_near NAME EXPECTED ACTUAL PCT ABS: |a-e| <= max(e*PCT/100, ABS)
check_near() {
	if awk -v e="$2" -v a="$3" -v p="$4" -v m="$5" 'BEGIN {
		d = a - e; if (d < 0) d = -d; t = e * p / 100; if (t < m) t = m;
		exit !(a != "" && d <= t) }'; then
		pass "$1 ($3 vs $2)"
	else
		fail "$1" "expected $2 within $4% or $5, got '$3'"
	fi
}

# db SQL [ARGS...]: run as the PostgreSQL superuser, unaligned output.
db() {
	runuser -u postgres -- psql -X -At -h /var/run/postgresql -p "$PGPORT" -d sexec \
		-v ON_ERROR_STOP=1 -c "$1"
}

# forget CONDITION: delete the rows a test made (SQL condition on cluster/job_id).
forget() {
	db "DELETE FROM sexec.process WHERE $1; DELETE FROM sexec.task WHERE $1;
	    DELETE FROM sexec.step_tool WHERE $1; DELETE FROM sexec.step_cost WHERE $1;
	    DELETE FROM sexec.step WHERE $1; DELETE FROM sexec.job WHERE $1" >/dev/null
}

# as USER CMD...: run a command as a test user in the work dir.
as() {
	local u=$1
	shift
	runuser -u "$u" -- env -C "$WORK" PATH="$PATH" "$@"
}

# wait_for TIMEOUT_S CMD...: poll until CMD succeeds.
wait_for() {
	local t=$1 i
	shift
	for i in $(seq $((t * 5))); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

# sacct_field JOBID FIELD: the job's own line (no steps).
sacct_field() {
	sacct -n -P -X -j "$1" -o "$2" 2>/dev/null | head -n 1
}

sacct_done() {
	case "$(sacct_field "$1" State)" in
	COMPLETED | FAILED | CANCELLED* | TIMEOUT | OUT_OF_MEMORY) return 0 ;;
	*) return 1 ;;
	esac
}

# Job id of array task JOB_TASK (e.g. 12_1) as sacct knows it.
array_task_jobid() {
	sacct -n -P -X -j "$1" -o JobIDRaw 2>/dev/null | head -n 1
}

# Every step of a job closed in the database (the collector finished it).
steps_closed() {
	[ "$(db "SELECT count(*) FROM sexec.step WHERE job_id = $1 AND end_time IS NULL")" = 0 ] &&
		[ "$(db "SELECT count(*) FROM sexec.step WHERE job_id = $1")" -gt 0 ]
}
