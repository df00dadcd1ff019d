#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The CLI's views beyond one job's tables, on real jobs of the second test user:
# the listing (no job id) with its verdicts and sacct-like filters, --csv,
# colour only on a terminal and never with NO_COLOR, the bars and the
# consistency line against sacct, the short-lived processes and the collapsed
# process tree against the database, --timeline against the samples, and a
# heterogeneous component resolved through sacct's JobIDRaw.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

SEXEC=${SEXEC_BIN:-$PREFIX/bin/sexec}
BIN=$WORK/bin
U=$TEST_USER2
START=$(date +%Y-%m-%dT%H:%M:%S)
sleep 1

submit() { as "$U" sbatch --parsable -o /dev/null "$@" | tail -n 1 | cut -d';' -f1; }

# A well-sized job: 20 short /bin/true, then 12 s of CPU on its one core.
cat > "$WORK/list-busy.sh" <<EOF
#!/bin/bash
for i in \$(seq 20); do /bin/true; done
$BIN/sexec-burn 12
EOF
# Memory asked for and not used.
cat > "$WORK/list-fat.sh" <<EOF
#!/bin/bash
$BIN/sexec-burn 2
EOF
chmod 755 "$WORK/list-busy.sh" "$WORK/list-fat.sh"
J_OK=$(submit -J list-busy -c1 --mem=100M -t 1 "$WORK/list-busy.sh")
J_FAT=$(submit -J list-fat -c1 --mem=4G -t 1 "$WORK/list-fat.sh")
# Its name carries a terminal escape: every output must neutralise it.
J_FAIL=$(submit -J $'list-fail\e[2J' -c1 --mem=100M -t 1 --wrap 'exit 3')
for j in "$J_OK" "$J_FAT" "$J_FAIL"; do
	wait_for 600 sacct_done "$j" || fail "job $j did not finish"
	wait_for 60 steps_closed "$j" || fail "job $j: steps not closed in the database"
done
END=$(date -d '+1 minute' +%Y-%m-%dT%H:%M:%S)
echo "t_listing: jobs $J_OK (busy), $J_FAT (fat), $J_FAIL (fails)"

# sexec as the user, without a job id, in the test's window.
ls_json() { as "$U" "$SEXEC" --json -S "$START" -E "$END" "$@"; }
out=$(ls_json)
check_eq "listing: exit code" 0 "$(ls_json >/dev/null 2>&1; echo $?)"
check_eq "listing: the user's three jobs, by start" "$J_OK $J_FAT $J_FAIL" \
	"$(jq -r '[.jobs[].job_id] | sort | map(tostring) | join(" ")' <<<"$out")"
check_eq "listing: for the calling user" "$U" "$(jq -r '.user' <<<"$out")"
v() { jq -r --argjson j "$1" ".jobs[] | select(.job_id == \$j) | $2" <<<"$out"; }
check_eq "well-sized job: verdict ok" "ok" "$(v "$J_OK" .verdict.kind)"
check_eq "fat job: verdict memory over-requested" "memory_request" "$(v "$J_FAT" .verdict.kind)"
check_eq "fat job: the note's advice" "Requested 4.0 GiB, peak" \
	"$(v "$J_FAT" .verdict.text | cut -d: -f1 | sed 's/ [0-9.]* [KMG]iB$//; s/, peak.*/, peak/')"
check_eq "failing job: sacct's state and exit code" "FAILED|3:0" \
	"$(v "$J_FAIL" '[.state, .exit_code] | join("|")')"
for j in "$J_OK" "$J_FAT" "$J_FAIL"; do
	check_eq "job $j: processes as in the database" \
		"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $j")" "$(v "$j" .processes)"
	check_eq "job $j: elapsed as sacct's ElapsedRaw" "$(sacct_field "$j" ElapsedRaw)" \
		"$(v "$j" '.elapsed_s | round')"
done
check_eq "busy job: observed CPU as the database's" \
	"$(db "SELECT sum(cpu_user_us + cpu_sys_us) FROM sexec.process WHERE job_id = $J_OK")" \
	"$(v "$J_OK" '.cpu_s * 1000000 | round')"

text=$(as "$U" "$SEXEC" -S "$START" -E "$END")
check_eq "text listing: header and three lines" 5 "$(wc -l <<<"$text")"
check_eq "text listing: the fat job's verdict" "memory over-requested" \
	"$(awk -v j="$J_FAT" '$1 == j' <<<"$text" | sed 's/.*  //')"
check_eq "text listing: the failing job's state" "FAILED" \
	"$(awk -v j="$J_FAIL" '$1 == j { print $3 }' <<<"$text")"

echo "t_listing: filters"
check_eq "-u another user: none of these jobs" 0 \
	"$("$SEXEC" --json -u "$TEST_USER" -S "$START" -E "$END" |
		jq --argjson a "$J_OK" --argjson b "$J_FAT" '[.jobs[] | select(.job_id == $a or .job_id == $b)] | length')"
check_eq "-p a partition nobody uses: no job" 0 \
	"$(ls_json -p nosuchpartition | jq '.jobs | length')"
ACCT=$(sacct_field "$J_OK" Account)
check_eq "-A the jobs' account: all three" 3 "$(ls_json -A "$ACCT" | jq '.jobs | length')"
check_eq "-A another account: none" 0 "$(ls_json -A nosuchaccount | jq '.jobs | length')"
check_eq "-S after the jobs: none" 0 \
	"$(as "$U" "$SEXEC" --json -S "$END" -E now+1hours | jq '.jobs | length')"
as "$U" "$SEXEC" -S garbage >/dev/null 2>"$WORK/list-err"
check_eq "-S garbage: exit 2" 2 "$?"
check_eq "-S garbage: says why" "sexec: -S 'garbage' is not a time (YYYY-MM-DD[THH:MM[:SS]], now or now-Ndays)" \
	"$(cat "$WORK/list-err")"
as "$U" "$SEXEC" -S now -E now-1days >/dev/null 2>&1
check_eq "-E before -S: exit 2" 2 "$?"
"$SEXEC" -u x -a >/dev/null 2>&1
check_eq "-u with -a: exit 2" 2 "$?"
"$SEXEC" -u "$U" "$J_OK" >/dev/null 2>&1
check_eq "a filter with a job id: exit 2" 2 "$?"

echo "t_listing: degraded sources"
out=$(ls_json --sacct /nonexistent 2>"$WORK/list-err")
check_eq "sacct missing: still lists the observed jobs" "$J_OK $J_FAT $J_FAIL" \
	"$(jq -r '[.jobs[].job_id] | sort | map(tostring) | join(" ")' <<<"$out")"
check_eq "sacct missing: warned" 1 "$(grep -c 'sacct data unavailable' "$WORK/list-err")"
as "$U" "$SEXEC" --sacct /nonexistent --db "host=127.0.0.1 port=1 dbname=x" >/dev/null 2>&1
check_eq "sacct and database both away: exit 4" 4 "$?"

echo "t_listing: CSV"
as "$U" "$SEXEC" --csv -S "$START" -E "$END" > "$WORK/list.csv"
check_eq "CSV: a header and three records of 23 fields" "4 23" \
	"$(/usr/bin/python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
print(len(rows), " ".join(sorted({str(len(r)) for r in rows})))' "$WORK/list.csv")"
check_eq "CSV: the fat job's verdict column" memory_request \
	"$(awk -F, -v j="$J_FAT" '$1 == j { print $21 }' "$WORK/list.csv")"
check_eq "CSV: the escape in a job name is neutralised" 'list-fail?[2J' \
	"$(awk -F, -v j="$J_FAIL" '$1 == j { print $5 }' "$WORK/list.csv")"
check_eq "CSV and text: no escape byte anywhere" 0 \
	"$(cat "$WORK/list.csv" <(as "$U" "$SEXEC" -S "$START" -E "$END") | grep -c $'\e')"

echo "t_listing: colour"
check_eq "piped: no colour" 0 "$("$SEXEC" "$J_OK" | grep -c $'\033')"
check_eq "--color=always: coloured" 1 "$("$SEXEC" --color=always "$J_OK" | grep -c -m1 $'\033')"
check_eq "on a terminal: coloured" 1 \
	"$(script -qec "$SEXEC $J_OK" /dev/null | grep -c -m1 $'\033')"
check_eq "on a terminal with NO_COLOR: no colour" 0 \
	"$(NO_COLOR=1 script -qec "$SEXEC $J_OK" /dev/null | grep -c $'\033')"
"$SEXEC" --color=sometimes "$J_OK" >/dev/null 2>&1
check_eq "--color=sometimes: exit 2" 2 "$?"

echo "t_listing: bars, consistency and short-lived processes of job $J_OK"
rep=$("$SEXEC" "$J_OK")
el=$(sacct_field "$J_OK" ElapsedRaw)
check_eq "time-limit bar: ElapsedRaw of 60 s" "$(awk -v e="$el" 'BEGIN { printf "%.0f%%", 100 * e / 60 }')" \
	"$(grep '^  Time limit' <<<"$rep" | awk '{ print $4 }')"
busy=$("$SEXEC" --json "$J_OK" | jq '.usage.busy_core_s')
check_eq "CPU bar: on-CPU time over CPUs x elapsed" \
	"$(awk -v b="$busy" -v e="$el" 'BEGIN { printf "%.0f%%", 100 * b / e }')" \
	"$(grep '^  CPU busy' <<<"$rep" | awk '{ print $4 }')"
check_eq "consistency: observed CPU agrees with sacct's TotalCPU" consistent \
	"$(grep '^  Check' <<<"$rep" | sed 's/.*: //')"
short=$(db "SELECT count(*) FROM sexec.process WHERE job_id = $J_OK AND end_time - start_time < interval '1 second'")
check_eq "short-lived: the database counts at least the 20 true" 1 "$([ "$short" -ge 20 ] && echo 1)"
check_eq "short-lived: --json as the database counts" "$short" \
	"$("$SEXEC" --json "$J_OK" | jq '.usage.short_processes')"
check_eq "short-lived: the text line" "$short processes shorter than 1 s" \
	"$(grep '^  Short' <<<"$rep" | sed 's/^  Short *//; s/ used.*//')"

echo "t_listing: --processes collapses the 20 true"
tree=$(LC_ALL=C "$SEXEC" --processes "$J_OK")
check_eq "one line for the 20 true, under the batch script" "true x20" \
	"$(grep -E '^ +true x[0-9]+,' <<<"$tree" | awk '{ print $1, $2 }' | tr -d ,)"
check_eq "their CPU summed as in the database" \
	"$(db "SELECT sum(cpu_user_us + cpu_sys_us) FROM sexec.process WHERE job_id = $J_OK AND exe = '/usr/bin/true'")" \
	"$("$SEXEC" --json --processes "$J_OK" |
		jq '[.processes[] | select(.exe == "/usr/bin/true") | (.cpu_user_s + .cpu_sys_s) * 1000000] | add | round')"
check_eq "the burner once, by pid" 1 "$(grep -cE '^ +sexec-burn pid [0-9]+,' <<<"$tree")"

echo "t_listing: --timeline from the samples"
n=$(db "SELECT count(*) FROM sexec.sample WHERE job_id = $J_OK AND step = 'batch'")
check_eq "samples: start, every 10 s, end (12 s of CPU: at least 3)" 1 "$([ "$n" -ge 3 ] && echo 1)"
tl=$("$SEXEC" --timeline "$J_OK")
check_eq "the batch step's line counts the samples" "$n samples" \
	"$(grep -E '^  step batch on ' <<<"$tl" | sed 's/.*: //; s/ over.*//')"
cores=$(grep -A4 -E '^  step batch on ' <<<"$tl" | grep 'CPU cores' | sed 's/.*max //')
check_eq "CPU sparkline: about one core busy at its peak (0.85..1.05)" 1 \
	"$(awk -v c="$cores" 'BEGIN { print (c >= 0.85 && c <= 1.05) }')"

echo "t_listing: a heterogeneous job's component, as sacct names it"
# One node cannot run a heterogeneous job (its components need distinct
# nodes), so sacct's answer for one is given by a script, with two real jobs'
# ids as the components' JobIDRaw: 123+0 is the leader, 123+1 another job.
cat > "$WORK/sacct-het" <<EOF
#!/bin/bash
d='COMPLETED|0:0|00:00:13|13|1|100M|00:12.000|0|00:01:00|2026-11-24T03:00:00|2026-11-24T03:00:13|debug|$ACCT|$U|vm'
echo "$J_FAT+0|$J_FAT|het|\$d"
echo "$J_FAT+1|$J_OK|het|\$d"
EOF
chmod 755 "$WORK/sacct-het"
"$SEXEC" --json --sacct "$WORK/sacct-het" "$J_FAT+1" > "$WORK/list-het.json"
check_eq "123+1: resolved to the component's own job" "$J_OK" "$(jq '.job.job_id' "$WORK/list-het.json")"
check_eq "123+1: its processes" "$(db "SELECT count(*) FROM sexec.process WHERE job_id = $J_OK")" \
	"$(jq '[.steps[].processes // 0] | add' "$WORK/list-het.json")"
check_eq "123+1: the text header names the component" "Job $J_OK (heterogeneous job $J_FAT, component $J_FAT+1)" \
	"$("$SEXEC" --sacct "$WORK/sacct-het" "$J_FAT+1" | head -n 1 | sed 's/  list-busy.*//; s/  het.*//')"
"$SEXEC" --sacct /nonexistent "$J_FAT+1" >/dev/null 2>&1
check_eq "123+1 without sacct: not found (exit 3)" 3 "$?"
check_eq "123+0 without sacct: the leader's own id" "$J_FAT" \
	"$("$SEXEC" --json --sacct /nonexistent "$J_FAT+0" 2>/dev/null | jq '.job.job_id')"
"$SEXEC" "$J_FAT+x" >/dev/null 2>&1
check_eq "123+x: malformed (exit 2)" 2 "$?"


