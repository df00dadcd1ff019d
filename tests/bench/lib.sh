# SPDX-License-Identifier: GPL-2.0-or-later
# Helpers the benchmarks share. The sourcing script sets SEXECD, CONF,
# SEXECD_PIDFILE, PGPORT and TMP before calling them.

log() { echo "bench: $*" >&2; }
die() { echo "bench: ERROR: $*" >&2; exit 1; }

# sexecd --stats; waits out a restart of sexecd (up to 20 s)
stats() {
	local i
	for i in $(seq 40); do
		if [ -f "$CONF" ]; then "$SEXECD" -c "$CONF" --stats 2>/dev/null && return 0
		else "$SEXECD" --stats 2>/dev/null && return 0; fi
		sleep 0.5
	done
	log "sexecd --stats failed for 20 s"
	return 1
}
stat_get() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
# field FILE KEY: the word after KEY on the first line that has it
field() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' "$1"; }

# The pid file of tests/stack.sh, else the lock file a collector the plugin
# started itself writes its pid to.
sexecd_pid() {
	local f pid
	for f in "$SEXECD_PIDFILE" /run/sexec/sexecd.lock; do
		pid=$(cat "$f" 2>/dev/null) || continue
		[ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = sexecd ] && { echo "$pid"; return 0; }
	done
	return 1
}

median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# quantile Q (0..1), nearest rank
quantile() {
	sort -g | awk -v q="$1" '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		i = int(q * NR + 0.999999); if (i < 1) i = 1; if (i > NR) i = NR; print a[i] }'
}

# Wait until the collector has written everything out: nothing queued for
# the database and no new records for a moment, so work left over from one
# run does not land on the next one.
settle() {
	local i prev="" cur q
	for i in $(seq 50); do
		stats >"$TMP/settle" || return 0
		q=$(stat_get "$TMP/settle" db_queued)
		cur="$q $(stat_get "$TMP/settle" records)"
		[ "$q" = 0 ] && [ "$cur" = "$prev" ] && return 0
		prev=$cur
		sleep 0.25
	done
	log "warning: collector still busy after 12 s (other load on this host?)"
}

# check_pid PHASE: note it if sexecd was restarted (by someone else) meanwhile
check_pid() {
	local p
	p=$(sexecd_pid) || p=none
	if [ "$p" != "$SEXECD_PID_LAST" ]; then
		echo "sexecd restarted during/before '$1' (pid $SEXECD_PID_LAST -> $p): that phase's figures are suspect" \
			>>"$TMP/restarts"
		log "warning: sexecd pid changed ($SEXECD_PID_LAST -> $p) around $1"
		SEXECD_PID_LAST=$p
	fi
}

# bench_forget CONDITION: delete a benchmark's rows from every table that
# holds job rows (CONDITION is SQL on cluster/job_id).
bench_forget() {
	local t sql=""
	for t in process task step_tool step_cost step job; do
		sql="$sql DELETE FROM sexec.$t WHERE $1;"
	done
	runuser -u postgres -- psql -X -q -h /var/run/postgresql -p "$PGPORT" -d sexec -c "$sql" >/dev/null
}
