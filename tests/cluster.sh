#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Bring a real one-node Slurm cluster (munge, MariaDB, slurmdbd, slurmctld,
# slurmd) plus a private PostgreSQL up/down on this host for tests and demos.
#
# Usage: tests/cluster.sh up|down|status
#
# Environment:
#   SEXEC_STATE           state dir (data, logs, pid files) [/var/lib/sexec-cluster]
#   SEXEC_CLUSTER         Slurm ClusterName                  [sexectest]
#   SEXEC_PGPORT          PostgreSQL port on 127.0.0.1       [5439]
#   SEXEC_MYSQLPORT       MariaDB port on 127.0.0.1          [3307]
#   SEXEC_PLUGSTACK_LINE  the single line written to /etc/slurm/plugstack.conf
#                         on every `up` (empty file when unset)
#   SEXEC_UP_TIMEOUT      seconds to wait for node idle / cluster registration [60]
#
# Layout: $SEXEC_STATE/log/{munged,mariadb,slurmdbd,slurmctld,slurmd,postgres}.log,
# pid files in $SEXEC_STATE/run/{munge,mysqld,slurm}/, PostgreSQL data in
# $SEXEC_STATE/pgdata (socket /var/run/postgresql/.s.PGSQL.$SEXEC_PGPORT),
# MariaDB data in $SEXEC_STATE/mariadb.  Config goes to /etc/slurm/.
# Changing SEXEC_CLUSTER needs a fresh SEXEC_STATE (slurmctld keeps the name).
#
# Everything listens on loopback / unix sockets only.  The script never
# installs packages and only ever signals the pids recorded in its own pid
# files (after checking the process name), never anything found by name.

set -euo pipefail

STATE=${SEXEC_STATE:-/var/lib/sexec-cluster}
CLUSTER=${SEXEC_CLUSTER:-sexectest}
PGPORT=${SEXEC_PGPORT:-5439}
MYPORT=${SEXEC_MYSQLPORT:-3307}
UP_TIMEOUT=${SEXEC_UP_TIMEOUT:-60}
ACCOUNT=sexec
TEST_USERS=(sexectest sexectest2)

RUN=$STATE/run
LOG=$STATE/log
MYDATA=$STATE/mariadb
MYSOCK=$RUN/mysqld/mysqld.sock
PGBIN=/usr/lib/postgresql/15/bin
PGDATA=$STATE/pgdata
PGSOCKDIR=/var/run/postgresql
SLURM_ETC=/etc/slurm
MUNGE_SOCK=/run/munge/munge.socket.2

# Pid files; a pid is only trusted if /proc/PID/comm matches the daemon.
PID_MUNGED=$RUN/munge/munged.pid
PID_MARIADB=$RUN/mysqld/mariadbd.pid
PID_SLURMDBD=$RUN/slurm/slurmdbd.pid
PID_SLURMCTLD=$RUN/slurm/slurmctld.pid
PID_SLURMD=$RUN/slurm/slurmd.pid
PID_POSTGRES=$PGDATA/postmaster.pid

HOST=$(hostname -s)

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: ERROR: $*" >&2; exit 1; }

# Print the tail of a daemon's log and fail.
fail_daemon() {
	local name=$1 logfile=$2
	echo "cluster: ERROR: $name failed to start; last lines of $logfile:" >&2
	tail -n 30 "$logfile" 2>/dev/null | sed 's/^/    /' >&2 || true
	exit 1
}

# need BINARY DEBIAN-PACKAGE
need() {
	if [[ $1 == /* ]]; then
		[[ -x $1 ]] && return 0
	else
		command -v "$1" >/dev/null 2>&1 && return 0
	fi
	die "required binary '$1' not found: install the Debian package '$2'"
}

check_binaries() {
	need munged munge
	need munge munge
	need unmunge munge
	need mariadbd mariadb-server
	need mariadb-install-db mariadb-server
	need mariadb mariadb-client
	need mariadb-admin mariadb-client
	need slurmdbd slurmdbd
	need slurmctld slurmctld
	need slurmd slurmd
	need sinfo slurm-client
	need scontrol slurm-client
	need sacctmgr slurm-client
	need "$PGBIN/initdb" postgresql-15
	need "$PGBIN/pg_ctl" postgresql-15
	need "$PGBIN/postgres" postgresql-15
	need "$PGBIN/psql" postgresql-client-15
	need runuser util-linux
	need setsid util-linux
	need flock util-linux
	need useradd passwd
	need getent libc-bin
	local u
	for u in munge mysql slurm postgres; do
		getent passwd "$u" >/dev/null ||
			die "system user '$u' missing (it is created by its Debian package)"
	done
}

# pid_alive PIDFILE COMM: print the pid if the process recorded in PIDFILE
# exists, is not a zombie and is called COMM.
pid_alive() {
	local f=$1 comm=$2 pid st
	[[ -r $f ]] || return 1
	pid=$(head -n1 "$f" 2>/dev/null | tr -dc '0-9')
	[[ -n $pid ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	[[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$comm" ]] || return 1
	# PID 1 here may not reap orphans quickly: a zombie counts as dead.
	st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)
	[[ $st != Z ]] || return 1
	echo "$pid"
}

# wait_exit PID SECONDS: wait until PID is gone (or a zombie).
wait_exit() {
	local pid=$1 secs=$2 i st
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || echo Z)
		[[ $st != Z ]] || return 0
		sleep 0.1
	done
	return 1
}

# stop_daemon NAME PIDFILE COMM TIMEOUT
stop_daemon() {
	local name=$1 f=$2 comm=$3 secs=$4 pid
	if ! pid=$(pid_alive "$f" "$comm"); then
		log "$name not running"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_exit "$pid" "$secs"; then
		log "$name (pid $pid) did not exit after ${secs}s, sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
		wait_exit "$pid" 10 || die "$name (pid $pid) does not die"
	fi
	log "$name stopped"
}

# write_file PATH MODE OWNER: write stdin to PATH if the content differs.
# Returns 0 if the file changed, 1 if it was already up to date.
write_file() {
	local path=$1 mode=$2 owner=$3 tmp
	tmp=$(mktemp "$path.XXXXXX")
	cat >"$tmp"
	chmod "$mode" "$tmp"
	chown "$owner" "$tmp"
	if [[ -f $path ]] && cmp -s "$tmp" "$path" &&
		[[ "$(stat -c '%a %U:%G' "$path")" == "$(stat -c '%a %U:%G' "$tmp")" ]]; then
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$path"
	return 0
}

# touch_log FILE OWNER
touch_log() {
	[[ -e $1 ]] || : >"$1"
	chown "$2" "$1"
	chmod 0640 "$1"
}

# ---------------------------------------------------------------- setup

ensure_hosts() {
	# Slurm resolves the node/controller name; with CommunicationParameters=
	# NoInAddrAny/NoCtldInAddrAny the daemons bind to that address, so it
	# must be a loopback address.
	local names=("$HOST") fqdn addr n
	fqdn=$(hostname)
	[[ $fqdn == "$HOST" ]] || names+=("$fqdn")
	for n in "${names[@]}"; do
		addr=$(getent ahostsv4 "$n" 2>/dev/null | awk 'NR==1{print $1}') || addr=
		case $addr in
		127.0.0.1 | 127.0.1.1) ;;
		*)
			log "hostname $n resolves to '${addr:-nothing}', adding 127.0.1.1 to /etc/hosts"
			# Prepend so the loopback entry wins; rewrite in place
			# (/etc/hosts may be a bind mount).
			local tmp
			tmp=$(mktemp)
			{ echo "127.0.1.1 ${names[*]}"; cat /etc/hosts; } >"$tmp"
			cat "$tmp" >/etc/hosts
			rm -f "$tmp"
			break
			;;
		esac
	done
	addr=$(getent ahostsv4 "$HOST" 2>/dev/null | awk 'NR==1{print $1}') || addr=
	case $addr in
	127.0.0.1 | 127.0.1.1) ;;
	*) die "hostname $HOST still resolves to '$addr', not loopback" ;;
	esac
}

ensure_dirs() {
	install -d -o root -g root -m 0755 "$STATE" "$RUN"
	# slurmctld/slurmdbd (running as slurm) chdir into their log dir and
	# want it writable; munged accepts a group-writable log dir.
	install -d -o root -g slurm -m 0775 "$LOG"
	install -d -o munge -g munge -m 0755 "$RUN/munge" /run/munge
	install -d -o mysql -g mysql -m 0755 "$RUN/mysqld"
	install -d -o mysql -g mysql -m 0750 "$MYDATA"
	install -d -o slurm -g slurm -m 0755 "$RUN/slurm" "$STATE/slurm"
	install -d -o slurm -g slurm -m 0750 "$STATE/slurm/ctld"
	install -d -o root -g root -m 0755 "$STATE/slurm/d"
	install -d -o root -g root -m 0700 "$STATE/secrets"
	install -d -o postgres -g postgres -m 2775 "$PGSOCKDIR"
	install -d -o root -g root -m 0755 "$SLURM_ETC"
	touch_log "$LOG/munged.log" munge:munge
	touch_log "$LOG/mariadb.log" mysql:mysql
	touch_log "$LOG/slurmdbd.log" slurm:slurm
	touch_log "$LOG/slurmctld.log" slurm:slurm
	touch_log "$LOG/slurmd.log" root:root
	touch_log "$LOG/postgres.log" postgres:postgres
}

ensure_users() {
	local u
	for u in "${TEST_USERS[@]}"; do
		if ! getent passwd "$u" >/dev/null; then
			useradd -m -s /bin/bash "$u"
			log "created OS user $u"
		fi
	done
}

# ---------------------------------------------------------------- munge

start_munge() {
	if [[ ! -e /etc/munge/munge.key ]]; then
		install -d -o munge -g munge -m 0700 /etc/munge
		dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
		chown munge:munge /etc/munge/munge.key
		chmod 0400 /etc/munge/munge.key
		log "created /etc/munge/munge.key"
	fi
	if pid_alive "$PID_MUNGED" munged >/dev/null; then
		log "munge already running"
		return 0
	fi
	rm -f "$PID_MUNGED"
	runuser -u munge -- munged --socket="$MUNGE_SOCK" \
		--pid-file="$PID_MUNGED" --log-file="$LOG/munged.log" \
		</dev/null >>"$LOG/munged.log" 2>&1 9>&- ||
		fail_daemon munged "$LOG/munged.log"
	local i
	for ((i = 0; i < 100; i++)); do
		if pid_alive "$PID_MUNGED" munged >/dev/null &&
			munge -n -S "$MUNGE_SOCK" 2>/dev/null | unmunge -S "$MUNGE_SOCK" >/dev/null 2>&1; then
			log "munge up"
			return 0
		fi
		sleep 0.1
	done
	fail_daemon munged "$LOG/munged.log"
}

# ---------------------------------------------------------------- MariaDB

mysql_root() { mariadb --no-defaults -S "$MYSOCK" -u root; }

start_mariadb() {
	if [[ ! -d $MYDATA/mysql ]]; then
		log "initialising MariaDB datadir $MYDATA"
		mariadb-install-db --no-defaults --user=mysql --datadir="$MYDATA" \
			--auth-root-authentication-method=socket --skip-test-db \
			>>"$LOG/mariadb.log" 2>&1 9>&- ||
			fail_daemon mariadb-install-db "$LOG/mariadb.log"
	fi
	if pid_alive "$PID_MARIADB" mariadbd >/dev/null; then
		log "mariadb already running"
	else
		rm -f "$PID_MARIADB" "$MYSOCK"
		setsid mariadbd --no-defaults --user=mysql --datadir="$MYDATA" \
			--socket="$MYSOCK" --pid-file="$PID_MARIADB" \
			--bind-address=127.0.0.1 --port="$MYPORT" --skip-name-resolve \
			--log-error="$LOG/mariadb.log" \
			--innodb-buffer-pool-size=1024M --innodb-log-file-size=64M \
			--innodb-lock-wait-timeout=900 \
			</dev/null >>"$LOG/mariadb.log" 2>&1 9>&- &
		local i
		for ((i = 0; ; i++)); do
			if mariadb-admin --no-defaults -S "$MYSOCK" -u root ping >/dev/null 2>&1 &&
				pid_alive "$PID_MARIADB" mariadbd >/dev/null; then
				break
			fi
			((i < 600)) || fail_daemon mariadb "$LOG/mariadb.log"
			sleep 0.1
		done
		log "mariadb up"
	fi

	local pwfile=$STATE/secrets/mariadb-slurm.pass
	if [[ ! -s $pwfile ]]; then
		(umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$pwfile")
	fi
	DBPASS=$(cat "$pwfile")
	mysql_root <<-EOF || die "cannot configure slurm_acct_db in MariaDB"
		CREATE DATABASE IF NOT EXISTS slurm_acct_db;
		CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
		CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
		ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DBPASS';
		ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
		GRANT ALL PRIVILEGES ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
		GRANT ALL PRIVILEGES ON slurm_acct_db.* TO 'slurm'@'localhost';
	EOF
}

# ---------------------------------------------------------------- Slurm config

write_slurm_configs() {
	local conf cpus boards sockets cores threads mem realmem defmem
	conf=$(slurmd -C 2>/dev/null | head -n1) || true
	[[ $conf == NodeName=* ]] || die "slurmd -C failed: $conf"
	kv() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $conf"; }
	cpus=$(kv CPUs)
	boards=$(kv Boards)
	sockets=$(kv SocketsPerBoard)
	cores=$(kv CoresPerSocket)
	threads=$(kv ThreadsPerCore)
	mem=$(kv RealMemory)
	sockets=$((${boards:-1} * ${sockets:-1}))
	realmem=$((mem * 95 / 100))            # leave headroom for the OS
	defmem=$((realmem / cpus))

	SLURM_CHANGED=0
	if write_file "$SLURM_ETC/slurm.conf" 0644 root:root <<-EOF; then SLURM_CHANGED=1; fi
		# Generated by sexec tests/cluster.sh -- do not edit, rewritten on 'up'.
		ClusterName=$CLUSTER
		SlurmctldHost=$HOST
		# Bind to what the hostname resolves to (loopback) instead of 0.0.0.0.
		CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
		AuthType=auth/munge
		CryptoType=crypto/munge
		SlurmUser=slurm
		SlurmdUser=root
		SlurmctldPort=6817
		SlurmdPort=6818
		StateSaveLocation=$STATE/slurm/ctld
		SlurmdSpoolDir=$STATE/slurm/d
		SlurmctldPidFile=$PID_SLURMCTLD
		SlurmdPidFile=$PID_SLURMD
		SlurmctldLogFile=$LOG/slurmctld.log
		SlurmdLogFile=$LOG/slurmd.log
		SlurmctldDebug=info
		SlurmdDebug=info
		MailProg=/bin/true
		MpiDefault=none
		ProctrackType=proctrack/cgroup
		# task/cgroup works with the cgroup v1 controllers mounted here
		# (cpuset+memory limits verified), so no task/affinity fallback.
		TaskPlugin=task/cgroup
		PrologFlags=Contain
		# salloc without a command runs an interactive step (step "interactive").
		LaunchParameters=use_interactive_step
		JobAcctGatherType=jobacct_gather/cgroup
		JobAcctGatherFrequency=30
		AccountingStorageType=accounting_storage/slurmdbd
		AccountingStorageHost=localhost
		AccountingStoragePort=6819
		JobCompType=jobcomp/none
		SelectType=select/cons_tres
		SelectTypeParameters=CR_Core_Memory
		DefMemPerCPU=$defmem
		SchedulerType=sched/backfill
		SchedulerParameters=batch_sched_delay=0,sched_interval=5,bf_interval=5
		ReturnToService=2
		KillWait=2
		Waittime=0
		InactiveLimit=0
		MinJobAge=300
		MessageTimeout=10
		SlurmctldTimeout=30
		SlurmdTimeout=60
		TCPTimeout=2
		UnkillableStepTimeout=30
		NodeName=$HOST CPUs=$cpus Sockets=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$realmem State=UNKNOWN
		PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
	EOF

	if write_file "$SLURM_ETC/cgroup.conf" 0644 root:root <<-EOF; then SLURM_CHANGED=1; fi
		# Generated by sexec tests/cluster.sh.  Host has cgroup v1 controllers.
		CgroupPlugin=cgroup/v1
		CgroupMountpoint=/sys/fs/cgroup
		ConstrainCores=yes
		ConstrainRAMSpace=yes
	EOF

	# slurmstepd reads plugstack.conf for every step: no restart needed.
	if write_file "$SLURM_ETC/plugstack.conf" 0644 root:root \
		< <(if [[ -n ${SEXEC_PLUGSTACK_LINE:-} ]]; then printf '%s\n' "$SEXEC_PLUGSTACK_LINE"; fi); then
		if [[ -n ${SEXEC_PLUGSTACK_LINE:-} ]]; then
			log "plugstack.conf: $SEXEC_PLUGSTACK_LINE"
		else
			log "plugstack.conf emptied"
		fi
	fi

	DBD_CHANGED=0
	if write_file "$SLURM_ETC/slurmdbd.conf" 0600 slurm:slurm <<-EOF; then DBD_CHANGED=1; fi
		# Generated by sexec tests/cluster.sh -- do not edit, rewritten on 'up'.
		AuthType=auth/munge
		DbdHost=localhost
		DbdPort=6819
		# Listen on what the hostname resolves to (loopback), not 0.0.0.0.
		CommunicationParameters=NoInAddrAny
		SlurmUser=slurm
		DebugLevel=info
		LogFile=$LOG/slurmdbd.log
		PidFile=$PID_SLURMDBD
		StorageType=accounting_storage/mysql
		StorageHost=127.0.0.1
		StoragePort=$MYPORT
		StorageUser=slurm
		StoragePass=$DBPASS
		StorageLoc=slurm_acct_db
	EOF
}

# ---------------------------------------------------------------- slurmdbd

start_slurmdbd() {
	if pid_alive "$PID_SLURMDBD" slurmdbd >/dev/null; then
		if ((DBD_CHANGED)); then
			log "slurmdbd.conf changed, restarting slurmdbd"
			stop_daemon slurmdbd "$PID_SLURMDBD" slurmdbd 30
		else
			log "slurmdbd already running"
			return 0
		fi
	fi
	rm -f "$PID_SLURMDBD"
	slurmdbd </dev/null >>"$LOG/slurmdbd.log" 2>&1 9>&- ||
		fail_daemon slurmdbd "$LOG/slurmdbd.log"
	local i
	for ((i = 0; ; i++)); do
		if pid_alive "$PID_SLURMDBD" slurmdbd >/dev/null &&
			sacctmgr -n -P show cluster format=cluster >/dev/null 2>&1; then
			break
		fi
		# Give it a second to write its pid file before judging it dead.
		if ((i > 20)) && ! pid_alive "$PID_SLURMDBD" slurmdbd >/dev/null; then
			fail_daemon slurmdbd "$LOG/slurmdbd.log"
		fi
		((i < 600)) || fail_daemon slurmdbd "$LOG/slurmdbd.log"
		sleep 0.1
	done
	log "slurmdbd up"
}

# Idempotent accounting setup: cluster, account, test users.
# has_line WORD TEXT: TEXT contains a line equal to WORD
has_line() { grep -qxF -- "$1" <<<"$2"; }

register_accounting() {
	local u out
	out=$(sacctmgr -n -P show cluster format=cluster) ||
		die "sacctmgr cannot talk to slurmdbd"
	if ! has_line "$CLUSTER" "$out"; then
		sacctmgr -i add cluster "$CLUSTER" >/dev/null ||
			die "sacctmgr add cluster $CLUSTER failed"
		log "registered cluster $CLUSTER in slurmdbd"
	fi
	out=$(sacctmgr -n -P show account "$ACCOUNT" format=account)
	if ! has_line "$ACCOUNT" "$out"; then
		sacctmgr -i add account "$ACCOUNT" cluster="$CLUSTER" \
			description="sexec tests" organization=sexec >/dev/null ||
			die "sacctmgr add account $ACCOUNT failed"
		log "added account $ACCOUNT"
	fi
	for u in "${TEST_USERS[@]}"; do
		out=$(sacctmgr -n -P show assoc where cluster="$CLUSTER" \
			account="$ACCOUNT" user="$u" format=user)
		if ! has_line "$u" "$out"; then
			sacctmgr -i add user "$u" account="$ACCOUNT" cluster="$CLUSTER" \
				defaultaccount="$ACCOUNT" >/dev/null ||
				die "sacctmgr add user $u failed"
			log "added user $u to account $ACCOUNT"
		fi
	done
}

# ---------------------------------------------------------------- slurmctld / slurmd

start_slurmctld() {
	if pid_alive "$PID_SLURMCTLD" slurmctld >/dev/null; then
		if ((SLURM_CHANGED)); then
			log "slurm.conf changed, scontrol reconfigure"
			scontrol reconfigure || true
		fi
		log "slurmctld already running"
		return 0
	fi
	rm -f "$PID_SLURMCTLD"
	slurmctld </dev/null >>"$LOG/slurmctld.log" 2>&1 9>&- ||
		fail_daemon slurmctld "$LOG/slurmctld.log"
	local i
	for ((i = 0; ; i++)); do
		if pid_alive "$PID_SLURMCTLD" slurmctld >/dev/null &&
			scontrol ping 2>/dev/null | grep -q 'is UP'; then
			break
		fi
		if ((i > 20)) && ! pid_alive "$PID_SLURMCTLD" slurmctld >/dev/null; then
			fail_daemon slurmctld "$LOG/slurmctld.log"
		fi
		((i < 600)) || fail_daemon slurmctld "$LOG/slurmctld.log"
		sleep 0.1
	done
	log "slurmctld up"
}

start_slurmd() {
	if pid_alive "$PID_SLURMD" slurmd >/dev/null; then
		log "slurmd already running"
		return 0
	fi
	rm -f "$PID_SLURMD"
	slurmd </dev/null >>"$LOG/slurmd.log" 2>&1 9>&- ||
		fail_daemon slurmd "$LOG/slurmd.log"
	local i
	for ((i = 0; i < 100; i++)); do
		pid_alive "$PID_SLURMD" slurmd >/dev/null && break
		sleep 0.1
	done
	pid_alive "$PID_SLURMD" slurmd >/dev/null || fail_daemon slurmd "$LOG/slurmd.log"
	log "slurmd up"
}

# Wait until the node is usable and slurmctld has registered with slurmdbd.
wait_cluster_ready() {
	local deadline=$((SECONDS + UP_TIMEOUT)) st last_resume=-100 ctl
	while :; do
		st=$(sinfo -h -n "$HOST" -o %T 2>/dev/null | head -n1) || st=
		case $st in
		idle | mixed | allocated | completing) break ;;
		down* | drain* | fail* | "")
			if ((SECONDS - last_resume >= 5)) && [[ -n $st ]]; then
				scontrol update nodename="$HOST" state=resume >/dev/null 2>&1 || true
				last_resume=$SECONDS
			fi
			;;
		esac
		pid_alive "$PID_SLURMD" slurmd >/dev/null || fail_daemon slurmd "$LOG/slurmd.log"
		if ((SECONDS >= deadline)); then
			log "node $HOST state '${st}' after ${UP_TIMEOUT}s; reason: $(sinfo -h -n "$HOST" -o %E 2>/dev/null)"
			fail_daemon slurmd "$LOG/slurmd.log"
		fi
		sleep 0.3
	done
	log "node $HOST $st"
	while :; do
		ctl=$(sacctmgr -n -P show cluster where cluster="$CLUSTER" format=controlhost 2>/dev/null | head -n1) || ctl=
		[[ -z $ctl ]] || break
		if ((SECONDS >= deadline)); then
			log "cluster $CLUSTER not registered in slurmdbd after ${UP_TIMEOUT}s"
			fail_daemon slurmctld "$LOG/slurmctld.log"
		fi
		sleep 0.3
	done
	log "cluster $CLUSTER registered (controlhost $ctl)"
}

# ---------------------------------------------------------------- PostgreSQL

pg() { runuser -u postgres -- "$@"; }
psql_pg() { pg "$PGBIN/psql" -X -q -h "$PGSOCKDIR" -p "$PGPORT" -U postgres -d postgres -v ON_ERROR_STOP=1 "$@"; }

start_postgres() {
	if [[ ! -s $PGDATA/PG_VERSION ]]; then
		log "initialising PostgreSQL cluster $PGDATA"
		install -d -o postgres -g postgres -m 0700 "$PGDATA"
		pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -E UTF8 --locale=C.UTF-8 \
			--auth-local=peer --auth-host=scram-sha-256 \
			>>"$LOG/postgres.log" 2>&1 9>&- ||
			fail_daemon initdb "$LOG/postgres.log"
		echo "include_if_exists = 'sexec.conf'" >>"$PGDATA/postgresql.conf"
	fi
	local changed=0
	if write_file "$PGDATA/sexec.conf" 0600 postgres:postgres <<-EOF; then changed=1; fi
		# Generated by sexec tests/cluster.sh
		listen_addresses = '127.0.0.1'
		port = $PGPORT
		unix_socket_directories = '$PGSOCKDIR'
		logging_collector = off
	EOF
	if write_file "$PGDATA/pg_hba.conf" 0600 postgres:postgres <<-'EOF'; then changed=1; fi
		# Generated by sexec tests/cluster.sh
		# TYPE  DATABASE  USER      ADDRESS       METHOD
		local   all       postgres                peer
		local   all       all                     peer map=sexec
		host    all       all       127.0.0.1/32  scram-sha-256
	EOF
	if write_file "$PGDATA/pg_ident.conf" 0600 postgres:postgres <<-'EOF'; then changed=1; fi
		# Generated by sexec tests/cluster.sh
		# MAPNAME  SYSTEM-USERNAME  PG-USERNAME
		sexec      root             sexec_collector
		sexec      /^(.*)$          \1
	EOF

	if pid_alive "$PID_POSTGRES" postgres >/dev/null; then
		if ((changed)); then
			pg "$PGBIN/pg_ctl" -D "$PGDATA" reload >/dev/null 2>&1 9>&- || true
			log "postgres config reloaded"
		fi
		log "postgres already running"
	else
		# shellcheck disable=SC2094 # pg_ctl and the server both append
		pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$LOG/postgres.log" -w -t 60 start \
			</dev/null >>"$LOG/postgres.log" 2>&1 9>&- ||
			fail_daemon postgres "$LOG/postgres.log"
		log "postgres up (127.0.0.1:$PGPORT, socket $PGSOCKDIR/.s.PGSQL.$PGPORT)"
	fi
	if [[ "$(psql_pg -tAc "SELECT 1 FROM pg_database WHERE datname = 'sexec'")" != 1 ]]; then
		psql_pg -c "CREATE DATABASE sexec OWNER postgres" >/dev/null
		log "created database sexec"
	fi
}

stop_postgres() {
	local pid
	if ! pid=$(pid_alive "$PID_POSTGRES" postgres); then
		log "postgres not running"
		return 0
	fi
	if ! pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1; then
		stop_daemon postgres "$PID_POSTGRES" postgres 30
		return 0
	fi
	wait_exit "$pid" 10 || true
	log "postgres stopped"
}

# ---------------------------------------------------------------- commands

lock() {
	install -d -o root -g root -m 0755 "$STATE"
	exec 9>"$STATE/.lock"
	flock -w 300 9 || die "another cluster.sh holds $STATE/.lock"
}

cmd_up() {
	[[ $(id -u) == 0 ]] || die "must run as root"
	check_binaries
	lock
	ensure_hosts
	ensure_dirs
	ensure_users
	start_munge
	start_mariadb
	write_slurm_configs
	start_slurmdbd
	register_accounting
	start_slurmctld
	start_slurmd
	start_postgres
	wait_cluster_ready
	log "all up (state dir $STATE)"
}

cmd_down() {
	[[ $(id -u) == 0 ]] || die "must run as root"
	lock
	stop_daemon slurmd "$PID_SLURMD" slurmd 30
	stop_daemon slurmctld "$PID_SLURMCTLD" slurmctld 30
	stop_daemon slurmdbd "$PID_SLURMDBD" slurmdbd 30
	stop_daemon mariadb "$PID_MARIADB" mariadbd 60
	stop_postgres
	stop_daemon munged "$PID_MUNGED" munged 30
	log "all down"
}

cmd_status() {
	local rc=0 name f comm pid
	while read -r name f comm; do
		if pid=$(pid_alive "$f" "$comm"); then
			printf '%-10s running (pid %s)\n' "$name" "$pid"
		else
			printf '%-10s stopped\n' "$name"
			rc=1
		fi
	done <<-EOF
		munged $PID_MUNGED munged
		mariadb $PID_MARIADB mariadbd
		slurmdbd $PID_SLURMDBD slurmdbd
		slurmctld $PID_SLURMCTLD slurmctld
		slurmd $PID_SLURMD slurmd
		postgres $PID_POSTGRES postgres
	EOF
	if ((rc == 0)); then
		printf '%-10s %s\n' node "$(sinfo -h -n "$HOST" -o %T 2>/dev/null || echo '?')"
	fi
	return "$rc"
}

cd /
case ${1:-} in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*)
	echo "usage: $0 up|down|status" >&2
	exit 2
	;;
esac
