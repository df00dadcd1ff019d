#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Build the wire-decoder fuzzer with clang (libFuzzer + ASan + UBSan) and run
# it. tests/run.sh runs a fixed number of inputs; pass -runs=N or
# -max_total_time=S for longer campaigns, e.g. tests/fuzz/run.sh -max_total_time=600
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_DIR:-$(mktemp -d /tmp/sexec-fuzz.XXXXXX)}
mkdir -p "$out/corpus"
clang -g -O1 -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Iinclude \
	tests/fuzz/fuzz_proto.c lib/proto.c -o "$out/fuzz_proto"
# Seed: a well-formed task registration and a stats request.
printf '1CXS\001\000\004\000\020\000\000\000\001\000\000\000' > "$out/corpus/stats"
[ $# -gt 0 ] || set -- -runs=2000000
"$out/fuzz_proto" -max_len=9000 "$@" "$out/corpus" 2>&1 | tail -n 3
