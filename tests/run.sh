#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The test command: install what is missing, build, run the CUnit unit tests,
# bring up the real stack (Slurm, PostgreSQL, sexecd) and run the integration
# tests. Exits non-zero on any failure; ends with "N passed, N failed".
set -uo pipefail

cd "$(dirname "$0")/.."
TOP=$(pwd)
export PREFIX=${PREFIX:-/usr/local}

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/run.sh: run as root (sudo tests/run.sh): it installs packages, loads BPF" \
	     "programs and starts Slurm" >&2
	exit 2
fi

step() { echo; echo "=== $*"; }

step "dependencies"
contrib/deps.sh || exit 1

step "build"
{ [ -x configure ] || ./bootstrap; } &&
	./configure -q --prefix="$PREFIX" --sysconfdir=/etc &&
	make -s -j"$(nproc)" &&
	make -s install >/dev/null || { echo "build failed" >&2; exit 1; }

step "unit tests (CUnit)"
unit_rc=0
make -s check >/dev/null 2>&1 || true
for t in tests/unit/test_lib tests/unit/test_slurmfmt tests/unit/test_tool tests/unit/test_workflow \
	tests/unit/test_cgstat tests/unit/test_timeclass tests/unit/test_diagnose \
	tests/unit/test_proctree; do
	srcdir=. ./$t || unit_rc=1
done

step "fuzz: wire decoder (libFuzzer, 2,000,000 inputs)"
tests/fuzz/run.sh || unit_rc=1

step "integration: bring up the stack"
tests/stack.sh up || { echo "stack did not come up" >&2; exit 1; }

WORK=$(mktemp -d /tmp/sexec-it.XXXXXX)
chmod 755 "$WORK"
mkdir "$WORK/bin"
for h in sexec-run-tracked sexec-send sexec-wait4 sexec-burn sexec-known-cost sexec-workload; do
	install -m 755 "tests/integration/.libs/$h" "$WORK/bin/$h" 2>/dev/null ||
		install -m 755 "tests/integration/$h" "$WORK/bin/$h"
done
chmod 777 "$WORK"
export WORK
export SEXEC_RESULTS=$WORK/results
: > "$SEXEC_RESULTS"

step "integration tests"
for t in tests/integration/t_*.sh; do
	if [ -n "${SEXEC_TESTS:-}" ] && ! grep -qw "$(basename "$t" .sh)" <<<"$SEXEC_TESTS"; then
		continue
	fi
	bash "$t" || echo "fail $(basename "$t") exited $?" >> "$SEXEC_RESULTS"
done

passed=$(grep -c '^pass ' "$SEXEC_RESULTS")
failed=$(grep -c '^fail ' "$SEXEC_RESULTS")
if [ "$failed" -gt 0 ]; then
	echo
	echo "failed checks:"
	grep '^fail ' "$SEXEC_RESULTS" | sed 's/^fail /  /'
	echo "sexecd log tail:"
	tail -n 20 /var/lib/sexec-cluster/log/sexecd.log 2>/dev/null | sed 's/^/  /'
fi
[ "$unit_rc" -eq 0 ] || echo "unit tests: FAILED"
[ "${SEXEC_KEEP_WORK:-0}" = 1 ] || rm -rf "$WORK"
echo
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$unit_rc" -eq 0 ]
