#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Demo: install what is missing, build and install sexec, bring up a one-node
# Slurm cluster with PostgreSQL and sexecd, run a sample pipeline, show sexec.
#
# Usage: sudo contrib/demo.sh          bring everything up and run the demo
#        sudo contrib/demo.sh --down   stop everything it started
set -euo pipefail

cd "$(dirname "$0")/.."
export PREFIX=${PREFIX:-/usr/local}
DEMO_USER=sexectest
DEMO_DIR=/tmp/sexec-demo

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root: sudo contrib/demo.sh" >&2
	exit 2
fi
if [ "${1:-}" = "--down" ]; then
	exec tests/stack.sh down
fi
[ $# -eq 0 ] || { echo "Usage: sudo contrib/demo.sh [--down]" >&2; exit 2; }

echo "demo: installing missing packages (Debian 12)"
contrib/deps.sh
echo "demo: building and installing sexec into $PREFIX"
{ [ -x configure ] || ./bootstrap >/dev/null; }
mkdir -p /var/log/sexec
build_log=/var/log/sexec/demo-build.log
{ ./configure -q --prefix="$PREFIX" --sysconfdir=/etc && make -s -j"$(nproc)" && make -s install; } \
	>"$build_log" 2>&1 || { tail -n 30 "$build_log" >&2; echo "demo: build failed (see $build_log)" >&2; exit 1; }
echo "demo: bringing up Slurm, PostgreSQL and sexecd"
tests/stack.sh up

mkdir -p "$DEMO_DIR"
chown "$DEMO_USER" "$DEMO_DIR"
cat > "$DEMO_DIR/pipeline.sh" <<'JOB'
#!/bin/bash
#SBATCH --job-name=demo-pipeline
#SBATCH -n 2
#SBATCH --mem=1G
#SBATCH -o slurm-%A_%a.out
# A small "pipeline": generate reads, compress and index them with short-lived
# helpers, count k-mers in an srun step, and summarise.
set -euo pipefail
s=sample$SLURM_ARRAY_TASK_ID
awk -v seed=$SLURM_ARRAY_TASK_ID 'BEGIN { srand(seed); split("ACGT", b, "");
	for (r = 0; r < 200000; r++) { s = ""; for (i = 0; i < 50; i++) s = s b[int(rand() * 4) + 1];
		print "@read" r; print s; print "+"; print "IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII" } }' > $s.fq
for i in $(seq 8); do gzip -c -$i $s.fq > $s.$i.fq.gz; md5sum $s.$i.fq.gz > /dev/null; done
zcat $s.1.fq.gz | awk 'NR % 4 == 2' | cut -c1-8 | sort | uniq -c | sort -rn | awk 'NR <= 3' > $s.top.txt
srun -n2 bash -c 'for i in $(seq 20); do sha256sum '$s'.fq > /dev/null; done'
wc -l $s.fq $s.top.txt
JOB
chmod 755 "$DEMO_DIR/pipeline.sh"
echo "demo: submitting the sample pipeline as user $DEMO_USER (an array of 2 tasks)"
arr=$(runuser -u "$DEMO_USER" -- env -C "$DEMO_DIR" sbatch --parsable --wait --array=0-1 pipeline.sh)
arr=${arr%%;*}
# sacct and the collector both need a moment after the job ends.
for i in $(seq 50); do
	state=$(sacct -n -P -X -j "${arr}_1" -o State 2>/dev/null | head -n 1)
	[ "$state" = COMPLETED ] && break
	sleep 0.2
done
sleep 1
echo
echo "demo: sexec ${arr}_1 --processes, as $DEMO_USER would see it:"
echo
runuser -u "$DEMO_USER" -- "$PREFIX/bin/sexec" --processes "${arr}_1" > "$DEMO_DIR/report.txt" || true
head -n 80 "$DEMO_DIR/report.txt"
cat <<DONE

demo: the cluster stays up. Try, as $DEMO_USER (su - $DEMO_USER):
  sbatch --wrap 'for i in \$(seq 100); do gzip -c /etc/passwd > /dev/null; done'
  sacct
  sexec <jobid>            sexec --json --processes <jobid>
Stop everything with: sudo contrib/demo.sh --down
DONE
