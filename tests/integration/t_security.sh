#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Row-level security: a user reads their own jobs only, through sexec and
# through psql; an admin reads all.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "t_security: users see only their own jobs"
jid=$(as "$TEST_USER" sbatch --parsable --wait -o /dev/null --wrap "/bin/true; /bin/true")
check_eq "job of $TEST_USER ran" 0 $?
wait_for 30 steps_closed "$jid"
psql_as() {
	runuser -u "$1" -- psql -X -At -h /var/run/postgresql -p "$PGPORT" -d sexec -c "$2" 2>&1
}
check_eq "$TEST_USER sees its processes through psql" 2 \
	"$(psql_as "$TEST_USER" "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND exe = '/bin/true'")"
check_eq "$TEST_USER2 sees none of them through psql" 0 \
	"$(psql_as "$TEST_USER2" "SELECT count(*) FROM sexec.process WHERE job_id = $jid")"
check_eq "$TEST_USER2 sees no step or job row either" "0|0" \
	"$(psql_as "$TEST_USER2" "SELECT (SELECT count(*) FROM sexec.step WHERE job_id = $jid) || '|' ||
		(SELECT count(*) FROM sexec.job WHERE job_id = $jid)")"
out=$(as "$TEST_USER2" sexec --json --processes "$jid" 2>/dev/null)
check_eq "$TEST_USER2's sexec shows no processes of it" 0 "$(jq '.processes | length' <<<"${out:-null}" 2>/dev/null || echo none)"
check_eq "$TEST_USER2's sexec says it was not observed" false "$(jq -r '.job.observed' <<<"${out:-null}" 2>/dev/null)"
check_eq "$TEST_USER2 cannot write records" "ERROR:  permission denied for table process" \
	"$(psql_as "$TEST_USER2" "DELETE FROM sexec.process WHERE job_id = $jid" | head -n 1)"
check_eq "the admin role sees them" 2 \
	"$(psql_as root "SELECT count(*) FROM sexec.process WHERE job_id = $jid AND exe = '/bin/true'")"
check_eq "a user cannot claim a role it is not" "" \
	"$(runuser -u "$TEST_USER2" -- psql -X -At -h /var/run/postgresql -p "$PGPORT" -U "$TEST_USER" -d sexec \
		-c 'SELECT 1' 2>/dev/null)"
