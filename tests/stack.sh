#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole sexec stack on this host: the test cluster (tests/cluster.sh) with
# the plugin enabled, the schema applied, sexec.conf written and sexecd running.
#
# Usage: tests/stack.sh up|down|status|sexecd-start|sexecd-stop|sexecd-kill
# Environment: PREFIX (where sexec is installed, default /usr/local), plus
# everything tests/cluster.sh reads.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}
STATE=${SEXEC_STATE:-/var/lib/sexec-cluster}
PGPORT=${SEXEC_PGPORT:-5439}
CONF=${SEXEC_CONF:-/etc/sexec/sexec.conf}
SEXECD_PID=$STATE/run/sexecd.pid
SEXECD_LOG=$STATE/log/sexecd.log
SOCKET=/run/sexec/sexecd.sock
DSN="host=/var/run/postgresql port=$PGPORT dbname=sexec"

log() { echo "stack: $*" >&2; }
die() { echo "stack: ERROR: $*" >&2; exit 1; }

sexecd_pid() {
	local pid
	[ -f "$SEXECD_PID" ] || return 1
	pid=$(cat "$SEXECD_PID")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = sexecd ] \
		&& echo "$pid"
}

sexecd_start() {
	local i
	if sexecd_pid >/dev/null; then
		return 0
	fi
	mkdir -p "$(dirname "$SEXECD_PID")" "$(dirname "$SEXECD_LOG")"
	"$PREFIX/sbin/sexecd" -f -c "$CONF" >>"$SEXECD_LOG" 2>&1 &
	echo $! > "$SEXECD_PID"
	for i in $(seq 100); do
		[ -S "$SOCKET" ] && "$PREFIX/sbin/sexecd" -c "$CONF" --stats >/dev/null 2>&1 && {
			log "sexecd up (pid $(cat "$SEXECD_PID"))"
			return 0
		}
		kill -0 "$(cat "$SEXECD_PID")" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 30 "$SEXECD_LOG" >&2
	die "sexecd did not start"
}

sexecd_stop() {
	local pid i
	pid=$(sexecd_pid) || { rm -f "$SEXECD_PID"; return 0; }
	kill -TERM "$pid"
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	rm -f "$SEXECD_PID"
	log "sexecd stopped"
}

# Stopped for good: its pinned programs and maps go too.
sexecd_detach() {
	sexecd_stop
	"$PREFIX/sbin/sexecd" -c "$CONF" --detach >/dev/null 2>&1 || true
}

write_conf() {
	mkdir -p "$(dirname "$CONF")"
	cat > "$CONF.tmp" <<CONF
# sexec configuration for the local test cluster (written by tests/stack.sh)
db = "$DSN user=sexec_collector"
db_read = "$DSN"
flush_interval_ms = 200
tools_rules = /etc/sexec/tools.rules
# Small batches and an early journal compaction, so the tests exercise both.
batch_rows = 1000
journal_segment_kb = 256
CONF
	chmod 644 "$CONF.tmp"
	mv "$CONF.tmp" "$CONF"
}

cmd_up() {
	[ -x "$PREFIX/sbin/sexecd" ] || die "sexec is not installed under $PREFIX (run make install)"
	SEXEC_PLUGSTACK_LINE="optional $PREFIX/lib/slurm/sexec.so" "$HERE/cluster.sh" up
	runuser -u postgres -- "$PREFIX/sbin/sexec-dbadmin" -d "$DSN" migrate >&2
	runuser -u postgres -- "$PREFIX/sbin/sexec-dbadmin" -d "$DSN" add-user sexectest sexectest2 >&2
	# root on this node is the cluster admin: it reads every job.
	runuser -u postgres -- "$PREFIX/sbin/sexec-dbadmin" -d "$DSN" add-admin root >&2
	write_conf
	sexecd_start
}

case "${1:-}" in
up) cmd_up ;;
down) sexecd_detach; "$HERE/cluster.sh" down ;;
status)
	if pid=$(sexecd_pid); then echo "sexecd     running (pid $pid)"; else echo "sexecd     stopped"; fi
	"$HERE/cluster.sh" status
	;;
sexecd-start) sexecd_start ;;
sexecd-stop) sexecd_stop ;;
sexecd-kill)
	# A crash: SIGKILL, pins left behind (for the restart tests).
	pid=$(sexecd_pid) && kill -KILL "$pid" && while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	rm -f "$SEXECD_PID"
	log "sexecd killed"
	;;
*) echo "Usage: $0 up|down|status|sexecd-start|sexecd-stop|sexecd-kill" >&2; exit 2 ;;
esac
