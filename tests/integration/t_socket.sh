#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The collector socket under hostile input: only root may register, and
# malformed, truncated or oversized messages are rejected while sexecd keeps
# serving and tracking.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "t_socket: who may register, and bad messages"
alive() { sexecd --stats >/dev/null 2>&1; }

out=$(as "$TEST_USER" "$BIN/sexec-run-tracked" -s "$SOCKET" -j 990001 -u "$TEST_USER" -- /bin/true 2>&1)
check_eq "a user cannot reach the socket" 3 $?
# Even with the file opened up, SO_PEERCRED refuses a non-root peer.
chmod 666 "$SOCKET"
out=$(as "$TEST_USER" "$BIN/sexec-run-tracked" -s "$SOCKET" -j 990002 -u "$TEST_USER" -- /bin/true 2>&1)
rc=$?
chmod 600 "$SOCKET"
check_eq "a user cannot register a job (SO_PEERCRED)" 3 "$rc"
check_eq "no job forged by a user" 0 "$(db "SELECT count(*) FROM sexec.job WHERE job_id IN (990001, 990002)")"

r=$(printf 'this is not a message' | "$BIN/sexec-send" "$SOCKET")
check_eq "garbage is rejected" "ERR" "${r%% *}"
r=$(printf '1CXS\001\000\001\000\100\000\000\000\001\000\000\000' | "$BIN/sexec-send" "$SOCKET")
check_eq "a length field that lies is rejected" "ERR" "${r%% *}"
r=$(head -c 9000 /dev/zero | "$BIN/sexec-send" "$SOCKET")
check_eq "an oversized message is rejected" "ERR" "${r%% *}"
r=$(printf '1CXS\002\000\001\000\020\000\000\000\001\000\000\000' | "$BIN/sexec-send" "$SOCKET")
check_eq "an unsupported protocol version is rejected" "ERR" "${r%% *}"
r=$(printf '1CXS\001\000\001\000\020\000\000\000\001\000\000\000' | "$BIN/sexec-send" "$SOCKET")
check_eq "a task registration without fields is rejected" "ERR" "${r%% *}"
r=$(printf '1CXS\001\000\004\000\020\000\000\000\001\000\000\000' | "$BIN/sexec-send" "$SOCKET")
check_eq "a well-formed stats request is answered" "ACK" "${r%% *}"
if alive; then pass "sexecd still serves after bad input"; else fail "sexecd still serves after bad input"; fi

# Tracking still works after all that.
"$BIN/sexec-run-tracked" -s "$SOCKET" -c sexectest -n sockettest -j 990003 -- \
	/bin/bash -c 'for i in 1 2 3 4 5; do /bin/true; done'
check_eq "tracking works after bad input" 0 $?
five_recorded() {
	[ "$(db "SELECT count(*) FROM sexec.process WHERE job_id = 990003 AND exe = '/bin/true'")" = 5 ]
}
wait_for 10 five_recorded
check_eq "5 /bin/true recorded after bad input" 5 \
	"$(db "SELECT count(*) FROM sexec.process WHERE job_id = 990003 AND exe = '/bin/true'")"
forget "job_id BETWEEN 990000 AND 990999"

out=$(sexecd -c /nonexistent/sexec.conf --check-config 2>&1)
check_eq "a missing config file is an error" 2 $?
printf 'db = x\nbogus_key = 1\n' > "$WORK/bad.conf"
out=$(sexecd -c "$WORK/bad.conf" --check-config 2>&1)
check_eq "an unknown config key is an error" 2 $?
if grep -q "bad.conf:2: unknown key 'bogus_key'" <<<"$out"; then pass "config error names file and line"; else
	fail "config error names file and line" "$out"; fi
printf 'subcommand samtools\nbogus directive\n' > "$WORK/bad.rules"
out=$(sexecd -c /etc/sexec/sexec.conf -o tools_rules="$WORK/bad.rules" --check-config 2>&1)
check_eq "a bad tool rules file is a configuration error" 2 $?
if grep -q "bad.rules:2" <<<"$out"; then pass "rules error names file and line"; else
	fail "rules error names file and line" "$out"; fi
