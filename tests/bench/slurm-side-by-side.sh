#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The same exec storm as a Slurm job, seen by Slurm's accounting (sacct, whose
# jobacct_gather polls every 30 s) and by sexec (one record per process).
# Usage: sudo tests/bench/slurm-side-by-side.sh [N]   (stack up: sudo tests/stack.sh up)
set -euo pipefail
N=${1:-5000}
PGPORT=${SEXEC_PGPORT:-5439}
USER_=sexectest
dir=$(mktemp -d /tmp/sexec-bench.XXXXXX)
chmod 777 "$dir"
db() { runuser -u postgres -- psql -X -At -h /var/run/postgresql -p "$PGPORT" -d sexec -c "$1"; }

jid=$(runuser -u "$USER_" -- env -C "$dir" sbatch --parsable --wait -o /dev/null \
	--wrap "for i in \$(seq $N); do /bin/true; done; /bin/gzip -c /etc/passwd > /dev/null")
for i in $(seq 100); do
	[ "$(db "SELECT count(*) FROM sexec.step WHERE job_id = $jid AND end_time IS NOT NULL")" -ge 1 ] && break
	sleep 0.2
done
echo "== Slurm's view (sacct -j $jid)"
sacct -j "$jid" -o JobID%14,Elapsed,TotalCPU,UserCPU,SystemCPU,MaxRSS,NTasks -P | column -t -s '|'
echo
echo "== sexec's view: per tool, from one record per process"
db "SELECT tool, count(*) AS processes, round(sum(cpu_user_us + cpu_sys_us) / 1e6, 3) AS cpu_s,
	max(rss_peak_kb) AS max_rss_kb, round(avg(extract(epoch FROM end_time - start_time)) * 1000, 3) AS avg_wall_ms
	FROM sexec.process WHERE job_id = $jid GROUP BY tool ORDER BY processes DESC" | column -t -s '|'
echo
echo "== totals"
printf 'sacct TotalCPU: %s    sexec CPU of all processes: %s s    processes seen by sexec: %s\n' \
	"$(sacct -n -X -j "$jid" -o TotalCPU -P)" \
	"$(db "SELECT round(sum(cpu_user_us + cpu_sys_us) / 1e6, 3) FROM sexec.process WHERE job_id = $jid")" \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $jid")"
rm -rf "$dir"
