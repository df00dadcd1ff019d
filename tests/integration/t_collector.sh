#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector on its own: an exec storm of 10,000 short processes is
# recorded whole with zero losses, and the raw_tp fallback records exactly
# what tp_btf does.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

lost_total() {
	sexecd ${1:+-s "$1"} --stats | awk '/^lost_(ringbuf|map_full|unattributed) / { n += $2 } END { print n + 0 }'
}

echo "t_collector: exec storm of 10,000 processes"
before=$(lost_total)
"$BIN/sexec-run-tracked" -s "$SOCKET" -c storm -n n1 -j 995001 -- \
	/bin/bash -c 'for ((i = 0; i < 10000; i++)); do /bin/true; done'
check_eq "storm task exits 0" 0 $?
storm_done() { [ "$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'storm' AND job_id = 995001")" -ge 10001 ]; }
wait_for 60 storm_done
check_eq "all 10,000 /bin/true recorded" 10000 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'storm' AND job_id = 995001 AND exe = '/bin/true'")"
check_eq "and the shell that ran them" 1 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'storm' AND job_id = 995001 AND exe = '/bin/bash'")"
check_eq "every storm process has the shell as parent" 10000 \
	"$(db "SELECT count(*) FROM sexec.process c JOIN sexec.process p ON p.cluster = c.cluster
		AND p.job_id = c.job_id AND p.pid = c.ppid AND p.exe = '/bin/bash'
		WHERE c.cluster = 'storm' AND c.job_id = 995001 AND c.exe = '/bin/true'")"
check_eq "zero losses during the storm" "$before" "$(lost_total)"

echo "t_collector: tools named as users think of them"
mkdir -p "$WORK/tools"
# A binary (a copy of true) named like the multi-tool, and a script run
# through its interpreter; the last command of bash -c replaces the shell.
cp /bin/true "$WORK/tools/samtools"
printf 'exit 0\n' > "$WORK/tools/run_qc.py"
"$BIN/sexec-run-tracked" -e -s "$SOCKET" -c tooltest -n n1 -j 995004 -- /bin/bash -c \
	"$WORK/tools/samtools sort -o out.bam in.bam; $WORK/tools/samtools --version > /dev/null; /bin/sh $WORK/tools/run_qc.py --in x; exit 0"
tools_done() { [ "$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'tooltest' AND end_time IS NOT NULL")" = 1 ]; }
wait_for 20 tools_done
check_eq "tool names recorded" "bash run_qc.py samtools samtools sort" \
	"$(db "SELECT string_agg(tool, ' ' ORDER BY tool) FROM sexec.process WHERE cluster = 'tooltest'")"
forget "cluster = 'tooltest'"

echo "t_collector: hostile argv is stored, and costs no other record"
cat > "$WORK/argv.sh" <<'SCRIPT'
a=$(printf 'a\\b"c\\')
u=$(printf '\355\240\200|\303\251')
/bin/echo "$a" "$u" "{x,y}" > /dev/null
/bin/true
/bin/true
SCRIPT
"$BIN/sexec-run-tracked" -e -s "$SOCKET" -c argvtest -n n1 -j 995005 -- /bin/bash "$WORK/argv.sh"
argv_done() { [ "$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'argvtest' AND end_time IS NOT NULL")" = 1 ]; }
wait_for 20 argv_done
check_eq "backslashes and quotes in argv kept" 'a\b"c\' \
	"$(db "SELECT argv[2] FROM sexec.process WHERE cluster = 'argvtest' AND exe = '/bin/echo'")"
check_eq "invalid UTF-8 replaced, valid kept" '???|é' \
	"$(db "SELECT argv[3] FROM sexec.process WHERE cluster = 'argvtest' AND exe = '/bin/echo'")"
check_eq "braces in argv kept" '{x,y}' \
	"$(db "SELECT argv[4] FROM sexec.process WHERE cluster = 'argvtest' AND exe = '/bin/echo'")"
check_eq "the other records of the batch are there" 2 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'argvtest' AND exe = '/bin/true'")"
forget "cluster = 'argvtest'"

echo "t_collector: raw_tp fallback"
RAW=$WORK/rawtp
mkdir -p "$RAW"
sexecd -f -c /etc/sexec/sexec.conf -o bpf_attach=raw_tp -s "$RAW/sexecd.sock" \
	-o state_dir="$RAW/state" -o spool_dir="$RAW/spool" -o bpf_dir=/sys/fs/bpf/sexec-rawtp-test \
	>"$RAW/sexecd.log" 2>&1 &
rawpid=$!
wait_for 10 test -S "$RAW/sexecd.sock"
if grep -q "attached (raw_tp" "$RAW/sexecd.log"; then pass "raw_tp programs attached"; else
	fail "raw_tp programs attached" "$(tail -n 5 "$RAW/sexecd.log")"; fi
"$BIN/sexec-run-tracked" -s "$RAW/sexecd.sock" -c rawtp -n n1 -j 995002 -- \
	/bin/bash -c 'for i in 1 2 3 4 5 6 7; do /bin/true; done; /bin/echo x | /usr/bin/wc -c > /dev/null'
raw_done() { [ "$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'rawtp' AND job_id = 995002")" -ge 10 ]; }
wait_for 20 raw_done
check_eq "raw_tp: 7 /bin/true" 7 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'rawtp' AND job_id = 995002 AND exe = '/bin/true'")"
check_eq "raw_tp: pipeline recorded" "/bin/echo /usr/bin/wc" \
	"$(db "SELECT string_agg(exe, ' ' ORDER BY exe) FROM sexec.process WHERE cluster = 'rawtp'
		AND job_id = 995002 AND exe IN ('/bin/echo', '/usr/bin/wc')")"
check_eq "raw_tp: the main collector did not see that task" 0 \
	"$(db "SELECT count(*) FROM sexec.process WHERE cluster <> 'rawtp' AND job_id = 995002")"
kill -TERM "$rawpid"
wait "$rawpid"
check_eq "raw_tp collector stops cleanly" 0 $?
sexecd -s "$RAW/sexecd.sock" -o bpf_dir=/sys/fs/bpf/sexec-rawtp-test --detach >/dev/null
check_eq "detach removes its pins" "" "$(ls /sys/fs/bpf/sexec-rawtp-test 2>/dev/null)"

forget "job_id IN (995001, 995002)"

echo "t_collector: a full ring buffer is counted against the job, never silent"
LOSS=$WORK/loss
mkdir -p "$LOSS"
sexecd -f -c /etc/sexec/sexec.conf -s "$LOSS/sexecd.sock" -o ring_buffer_kb=64 \
	-o state_dir="$LOSS/state" -o spool_dir="$LOSS/spool" -o bpf_dir=/sys/fs/bpf/sexec-loss-test \
	>"$LOSS/sexecd.log" 2>&1 &
losspid=$!
wait_for 10 test -S "$LOSS/sexecd.sock"
# The task registers, then the collector is frozen while it runs 400 programs:
# the 64 KiB ring holds only a few dozen of their events.
"$BIN/sexec-run-tracked" -e -s "$LOSS/sexecd.sock" -c losstest -n n1 -j 995003 -- \
	/bin/bash -c 'sleep 1; for ((i = 0; i < 400; i++)); do /bin/true; done; sleep 1' &
runner=$!
sleep 0.5
kill -STOP "$losspid"
sleep 2.5
kill -CONT "$losspid"
wait "$runner"
loss_closed() { [ "$(db "SELECT count(*) FROM sexec.step WHERE cluster = 'losstest' AND end_time IS NOT NULL")" = 1 ]; }
wait_for 20 loss_closed
recorded=$(db "SELECT count(*) FROM sexec.process WHERE cluster = 'losstest' AND exe = '/bin/true'")
lost=$(db "SELECT lost_events FROM sexec.step WHERE cluster = 'losstest'")
if [ "$recorded" -lt 400 ] && [ "$recorded" -gt 0 ]; then pass "some /bin/true recorded, not all ($recorded)"; else
	fail "some /bin/true recorded, not all" "got $recorded"; fi
if [ "${lost:-0}" -gt 0 ]; then pass "the step counts its lost events ($lost)"; else
	fail "the step counts its lost events" "lost_events '$lost'"; fi
check_eq "the step is marked incomplete" f \
	"$(db "SELECT complete FROM sexec.step WHERE cluster = 'losstest'")"
check_eq "sexecd --stats shows the same losses" "$lost" \
	"$(sexecd -s "$LOSS/sexecd.sock" --stats | awk '/^lost_ringbuf / { print $2 }')"
out=$(sexec --json 995003 2>/dev/null)
check_eq "sexec (as an admin) shows the job" 0 $?
check_eq "sexec reports the step as incomplete" "false $lost" "$(jq -r '.steps[0] | "\(.complete) \(.lost_events)"' <<<"$out")"
if [ -n "$out" ] && jq -e '.warnings | map(test("lost")) | any' <<<"$out" >/dev/null; then pass "sexec warns about the losses"; else
	fail "sexec warns about the losses" "$(jq -c .warnings <<<"$out")"; fi
kill -TERM "$losspid"
wait "$losspid"
sexecd -s "$LOSS/sexecd.sock" -o bpf_dir=/sys/fs/bpf/sexec-loss-test --detach >/dev/null
forget "cluster = 'losstest'"
