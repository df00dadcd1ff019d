#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Where the time went, against the kernel's own account. Synthetic workloads
# of known character run as real Slurm jobs; each prints what the kernel
# says about itself (schedstat on-CPU and run-queue time, and the memory and
# I/O pressure (PSI) of its own cgroup, where it is the only task that runs). For
# each, the step's class is right, every time share of the workload process
# is within 5 percentage points of that ground truth, and its states add up
# to its lifetime within 1%. Also: the allocation view (allocated, busy and
# idle core-seconds, busy time per CPU with its place in the topology),
# cgroup statistics and pressure, timeline samples, socket bytes and OOM kills.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
W=$BIN/sexec-workload
BLKIO_CG=/sys/fs/cgroup/blkio/sexec-test-io
cleanup() {
	rmdir "$BLKIO_CG" 2>/dev/null
	rm -f "$WORK"/tb-*.dat
}
trap cleanup EXIT

# run NAME SBATCH-ARGS... -- COMMAND: a batch job; prints its id once the
# collector has closed its steps.
run() {
	local name=$1 jid
	shift
	jid=$(sbatch --parsable --wait -o "$WORK/tb-$name-%j.out" "$@" | tail -n 1)
	wait_for 30 steps_closed "$jid"
	echo "$jid"
}
# truth JOB KEY: a value the workload printed.
truth() { sed -n "s/^$2=//p" "$WORK"/tb-*-"$1".out | tail -n 1; }
# proc JOB: the workload process's states and lifetime, in µs.
proc() {
	db "SELECT on_cpu_us, runq_us, io_us, mem_us, sleep_us,
		(extract(epoch FROM end_time - start_time) * 1e6)::bigint
	    FROM sexec.process WHERE job_id = $1 AND pid = $(truth "$1" pid)"
}
jq_() { sexec --json "$1" | jq -r "$2"; }
# pct A B: 100 * A / B
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? 100 * a / b : 0) }'; }
# check_pp NAME TRUTH_PCT OURS_PCT: within 5 percentage points.
check_pp() { check_near "$1" "$2" "$3" 0 5; }
# shares JOB [THREADS]: sets on rq io mem sl life (µs) and checks that the
# states add up to the lifetime (of each thread, all living as long).
shares() {
	IFS='|' read -r on rq io mem sl life <<<"$(proc "$1")"
	check_near "job $1: states add up to the lifetime" "$((life * ${2:-1}))" \
		"$((on + rq + io + mem + sl))" 1 1000
}
# psi JOB KEY: a pressure total the workload printed, in ns.
psi() { echo $(($(truth "$1" "$2") * 1000)); }
step_class() { jq_ "$1" '.steps[] | select(.step == "batch") | .class'; }
# diag JOB: the kinds of its diagnosis notes, space-separated.
diag() { jq_ "$1" '[.diagnosis[].kind] | join(" ")'; }
has_note() { grep -qw "$2" <<<"$(diag "$1")"; }
check_note() { if has_note "$1" "$2"; then pass "diagnosis: $2"; else fail "diagnosis: $2" "notes: '$(diag "$1")'"; fi; }

echo "t_timebreak: CPU-bound"
J=$(run cpu -n1 --wrap "$W cpu 3")
JCPU=$J
shares "$J"
wall=$(truth "$J" wall_ns)
check_eq "class" cpu_bound "$(step_class "$J")"
check_pp "on-CPU share" "$(pct "$(truth "$J" oncpu_ns)" "$wall")" "$(pct "$on" "$life")"
check_pp "run-queue share" "$(pct "$(truth "$J" runq_ns)" "$wall")" "$(pct "$rq" "$life")"
check_pp "sleep share" 0 "$(pct "$sl" "$life")"
busy=$(jq_ "$J" '.steps[] | select(.step == "batch") | .busy_core_s')
check_near "busy core-seconds = on-CPU time of the step's threads" \
	"$(awk -v n="$(truth "$J" oncpu_ns)" 'BEGIN { print n / 1e9 }')" "$busy" 5 0.05
cpus=$(jq_ "$J" '[.steps[] | select(.step == "batch") | .cpus[] | select(.allocated)] | length')
check_eq "one allocated CPU" 1 "$cpus"
check_eq "the CPU is placed in the topology (core, socket, NUMA node)" true \
	"$(jq_ "$J" '.steps[] | select(.step == "batch") | .cpus[0] |
		(.core != null and .socket != null and .numa_node != null)')"
check_near "busy time of that CPU" "$busy" \
	"$(jq_ "$J" '[.steps[] | select(.step == "batch") | .cpus[].busy_s] | add')" 2 0.01
S="job_id = $J AND step = 'batch'"
check_eq "timeline: a first and a last sample" 1 \
	"$(db "SELECT (count(*) >= 2)::int FROM sexec.sample WHERE $S")"
check_eq "the last sample holds the step's totals" \
	"$(db "SELECT on_cpu_us FROM sexec.step WHERE $S")" \
	"$(db "SELECT on_cpu_us FROM sexec.sample WHERE $S ORDER BY t DESC LIMIT 1")"
check_eq "cgroup CPU (cpuacct) seen" 1 "$(db "SELECT (cg_cpu_us > 0)::int FROM sexec.step WHERE $S")"

echo "t_timebreak: serial work on two allocated CPUs"
J=$(run serial -n1 -c2 --wrap "$W cpu 3")
check_eq "class" cpu_bound "$(step_class "$J")"
check_note "$J" serial
check_eq "flagged as serial work on several cores" true \
	"$(jq_ "$J" '.steps[] | select(.step == "batch") | .serial')"
check_eq "the single-CPU job is not" false \
	"$(jq_ "$JCPU" '.steps[] | select(.step == "batch") | .serial')"

echo "t_timebreak: four busy threads on one allocated CPU"
J=$(run threads -n1 -c1 --wrap "$W threads 4 3")
shares "$J" 5 # four workers and the main thread, which waits for them
check_eq "class" cpu_contended "$(step_class "$J")"
# Shares of the time the threads wanted a CPU (the sleeping main thread aside).
t_on=$(truth "$J" oncpu_ns)
t_rq=$(truth "$J" runq_ns)
check_pp "on-CPU share of demand" "$(pct "$t_on" $((t_on + t_rq)))" "$(pct "$on" $((on + rq)))"
check_pp "run-queue share of demand" "$(pct "$t_rq" $((t_on + t_rq)))" "$(pct "$rq" $((on + rq)))"
check_near "run queue about three times on-CPU" 75 "$(pct "$rq" $((on + rq)))" 0 5
check_note "$J" cpu_contended

echo "t_timebreak: sleeping in a 2-CPU allocation"
J=$(run idle -n1 -c2 --wrap "$W sleep 3")
shares "$J"
wall=$(truth "$J" wall_ns)
check_eq "class" idle "$(step_class "$J")"
check_pp "sleep share" "$(pct $((wall - $(truth "$J" oncpu_ns) - $(truth "$J" runq_ns))) "$wall")" \
	"$(pct "$sl" "$life")"
check_pp "on-CPU share" "$(pct "$(truth "$J" oncpu_ns)" "$wall")" "$(pct "$on" "$life")"
B='.steps[] | select(.step == "batch")'
el=$(jq_ "$J" "$B | .elapsed_s")
check_near "allocated core-seconds = 2 CPUs x elapsed" \
	"$(awk -v e="$el" 'BEGIN { print 2 * e }')" "$(jq_ "$J" "$B | .alloc_core_s")" 1 0.01
check_near "idle core-seconds = allocated - busy" \
	"$(jq_ "$J" "$B | .alloc_core_s - .busy_core_s")" "$(jq_ "$J" "$B | .idle_core_s")" 1 0.01
check_eq "two allocated CPUs listed" 2 "$(jq_ "$J" "[$B | .cpus[] | select(.allocated)] | length")"
check_note "$J" idle

echo "t_timebreak: I/O-bound (O_DIRECT writes, throttled to 25 IOPS)"
dd if=/dev/zero of="$WORK/tb-io.dat" bs=1M count=1 oflag=direct status=none
dev=$(stat -c '%Hd:%Ld' "$WORK/tb-io.dat")
# The throttle applies to a whole disk: from a partition, go to its disk.
if [ -e "/sys/dev/block/$dev/partition" ]; then
	dev=$(cat "$(readlink -f "/sys/dev/block/$dev")/../dev")
fi
cat >"$WORK/tb-io.sh" <<-EOF
	#!/bin/bash
	mkdir -p $BLKIO_CG && echo "$dev 25" > $BLKIO_CG/blkio.throttle.write_iops_device &&
		echo \$\$ > $BLKIO_CG/cgroup.procs || { echo "no blkio throttle" >&2; exit 1; }
	exec $W io $WORK/tb-io.dat 100
EOF
chmod 755 "$WORK/tb-io.sh"
J=$(run io -n1 "$WORK/tb-io.sh")
shares "$J"
wall=$(truth "$J" wall_ns)
check_eq "class" io_bound "$(step_class "$J")"
check_note "$J" io_bound
check_pp "I/O share (I/O pressure)" "$(pct "$(psi "$J" psi_io_us)" "$wall")" "$(pct "$io" "$life")"
check_pp "on-CPU share" "$(pct "$(truth "$J" oncpu_ns)" "$wall")" "$(pct "$on" "$life")"
check_pp "run-queue share" "$(pct "$(truth "$J" runq_ns)" "$wall")" "$(pct "$rq" "$life")"

echo "t_timebreak: memory-bound (writes through the page cache under --mem=64M)"
J=$(run mem -n1 --mem=64M --wrap "$W mem $WORK/tb-mem.dat 3000")
shares "$J"
wall=$(truth "$J" wall_ns)
check_eq "class" memory_bound "$(step_class "$J")"
psi_mem=$(psi "$J" psi_mem_us)
check_pp "memory share (memory pressure)" "$(pct "$psi_mem" "$wall")" "$(pct "$mem" "$life")"
check_pp "I/O share (I/O pressure)" "$(pct "$(psi "$J" psi_io_us)" "$wall")" "$(pct "$io" "$life")"
check_pp "run-queue share" "$(pct "$(truth "$J" runq_ns)" "$wall")" "$(pct "$rq" "$life")"
# Reclaim runs on the CPU: the kernel's run time holds it, sexec counts it as
# a memory stall. So on-CPU is at most the kernel's, and the two together cover it.
check_eq "on-CPU within the kernel's run time" 1 \
	"$(awk -v o="$on" -v t="$(truth "$J" oncpu_ns)" 'BEGIN { print (o * 1000 <= t * 1.05) }')"
check_eq "on-CPU + memory stall cover the kernel's run time" 1 \
	"$(awk -v o="$on" -v m="$mem" -v t="$(truth "$J" oncpu_ns)" 'BEGIN { print ((o + m) * 1000 >= t * 0.95) }')"
check_near "step memory pressure = the workload's (PSI of the step's own v2 cgroup)" \
	"$(awk -v p="$psi_mem" 'BEGIN { print p / 1e9 }')" \
	"$(jq_ "$J" "$B | .cgroup.psi_mem_some_s")" 10 0.05
check_eq "memory limit from the step's cgroup" $((64 * 1024 * 1024)) \
	"$(jq_ "$J" "$B | .cgroup.mem_limit_bytes")"
check_note "$J" memory_bound
check_eq "peak within the limit" true \
	"$(jq_ "$J" "$B | .cgroup.mem_peak_bytes > 0 and .cgroup.mem_peak_bytes <= .cgroup.mem_limit_bytes")"

echo "t_timebreak: socket bytes and OOM kills"
J=$(run net -n1 --wrap "$W net 1000000")
check_eq "bytes sent over TCP" 1000000 \
	"$(db "SELECT net_tx_bytes FROM sexec.process WHERE job_id = $J AND pid = $(truth "$J" pid)")"
check_eq "bytes received" 1000000 \
	"$(db "SELECT net_rx_bytes FROM sexec.process WHERE job_id = $J AND pid = $(truth "$J" pid)")"
check_eq "the shell's own: none" 0 \
	"$(db "SELECT coalesce(sum(net_tx_bytes + net_rx_bytes), -1) FROM sexec.process
	       WHERE job_id = $J AND pid <> $(truth "$J" pid)")"
check_eq "in --json" 1000000 "$(sexec --json --processes "$J" |
	jq -r ".processes[] | select(.pid == $(truth "$J" pid)) | .net_tx_bytes")"
J=$(run oom -n1 --mem=32M --wrap 'tail /dev/zero; echo "tail exited $?"')
check_eq "the job saw its tail killed" "tail exited 137" "$(grep -h '^tail exited' "$WORK"/tb-oom-"$J".out)"
check_eq "the OOM victim is flagged" "t|9" \
	"$(db "SELECT oom_killed, signal FROM sexec.process WHERE job_id = $J AND exe LIKE '%/tail'")"
check_eq "no other process is" 0 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = $J AND oom_killed AND exe NOT LIKE '%/tail'")"
check_eq "the step counts one OOM kill" 1 "$(jq_ "$J" "$B | .cgroup.oom_kills")"
check_eq "and the process, in --json" true "$(sexec --json --processes "$J" |
	jq -r '.processes[] | select(.exe | endswith("/tail")) | .oom_killed')"
check_note "$J" oom

echo "t_timebreak: a well-sized job gets no diagnosis"
# 3 s of one CPU's work on one CPU, 100 MB asked, a 1-minute limit.
J=$(run sized -n1 --mem=100M -t 1 --wrap "$W cpu 3")
check_eq "class" cpu_bound "$(step_class "$J")"
check_eq "no diagnosis notes" "" "$(diag "$J")"
check_eq "and none in the text report" 0 "$(sexec "$J" 2>/dev/null | grep -c '^Diagnosis')"
# The same work under a day's limit and 8 GB: the notes say what to ask for.
J=$(run oversized -n1 --mem=8G -t 1-0 --wrap "$W cpu 3")
check_note "$J" memory_request
check_note "$J" time_limit
check_eq "the advice names the request to make" 1 "$(sexec "$J" 2>/dev/null |
	grep -c 'Requested 8.0 GiB, peak .*: use --mem=256M\.')"
