# shellcheck shell=bash
# pgbed.sh - PostgreSQL 15 (Debian's postgresql-15) streaming replication on
# top of the integration test bed (tests/integration/bed.sh): a cluster per
# database node, each in its node's namespaces, so nothing of it reaches
# the host (no host unit, cluster, socket or port is used).
#
# Source it from a bash test (as root):
#
#   . "$top/tests/postgres/pgbed.sh"        # sources bed.sh
#   pg_missing && exit 77                   # says what is missing
#   pg_bed_up 3 "1 2" || exit 1             # bed, corosync, n1 primary, n2 its standby
#   pg_promote 2; pg_stop 1; pg_clone 1 2; pg_start 1; pg_wait_streaming 1 30000
#   ...                                     (pg_down, then bed_down, run from the EXIT trap)
#
# Per database node I:
#   $BED_DIR/nI/pg/data    its cluster (initdb as user postgres, -N: the
#                          bed's data need no fsync; fsync=off likewise)
#   /run/postgresql        its socket directory, in the node's private /run
#                          (libpq's default on Debian: corovip-check-postgres,
#                          run as script_user postgres, logs in by peer
#                          authentication with no CONNINFO)
#   $BED_DIR/nI/postgres.out  its log (stderr of the postmaster)
# The postmaster runs in the foreground (bed_spawn name "postgres") as
# postgres, in an IPC namespace of its own (unshare --ipc: PostgreSQL's
# System V segment goes with its last process, whatever killed it), with
# listen_addresses '*' (the node's eth0 192.0.2.1I and any VIP it holds:
# the namespace is isolated) on port 5432, and on its command line
# corovip.node=nI (the server's name for clients: current_setting(), as
# inet_server_addr() through a VIP is the VIP) and cluster_name=nI.
# Replication: a role replicator (PG_REPL_PASS) and a standby made by
# pg_basebackup -R from the primary's eth0 address (primary_conninfo with
# application_name=nI). Clients: a role corovip (PG_APP_PASS) owning the
# database corovip and its table corovip_writes (seq, node, at); pg_hba
# lets both in by scram-sha-256 from 192.0.2.0/24 only, and local users by
# peer. wal_receiver_timeout and wal_sender_timeout are 5 s (a silent
# partition is seen by the standby within them), wal_retrieve_retry_interval
# 200 ms, wal_log_hints on (pg_rewind can run).
#
# Settings: PG_BIN (/usr/lib/postgresql/15/bin), PG_START_MS (deadline for a
# server to accept connections, 60000), PG_REPL_PASS, PG_APP_PASS.
#
# API (IDs are bed node numbers):
#   pg_missing                       print what is missing (packages, user); false if nothing
#   pg_bed_up N "IDS"                bed_cluster_up N, the first of IDS primary, the others its standbys
#   pg_as ID CMD...                  CMD as user postgres in node ID (cwd /)
#   pg_sql ID SQL [DB]               psql on node ID's socket, unaligned tuples only
#   pg_init ID / pg_setup_primary ID a new cluster / its roles, database and table
#   pg_start ID / pg_stop ID [fast|immediate|smart] / pg_running ID
#   pg_promote ID                    SELECT pg_promote() (waits until it is done)
#   pg_clone ID FROM                 pg_basebackup of FROM's cluster into ID's (ID stopped; its old data go)
#   pg_role ID                       primary, standby or down
#   pg_wait_role ID ROLE MS / pg_wait_streaming ID MS (the standby ID's WAL receiver streams)
#   pg_build_writer                  tests/tools/pgwriter.c into $BED_DIR/bin (PG_WRITER)
#   pg_conninfo ADDR                 the client's conninfo for the corovip role at ADDR
#   pg_down                          stop every server of the bed (the EXIT trap calls it)
#   pg_logs_tail [LINES]             every node's PostgreSQL log tail

# shellcheck source=tests/integration/bed.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../integration" && pwd)/bed.sh"

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PORT=5432
PG_REPL_PASS=${PG_REPL_PASS:-cvrepl}
PG_APP_PASS=${PG_APP_PASS:-cvapp}
PG_MON_PASS=${PG_MON_PASS:-cvmon}
PG_NODES=""

# pg_missing: print what the bed needs and lacks; false when nothing is.
pg_missing() {
	local miss="" b
	for b in initdb postgres pg_ctl pg_basebackup psql pg_isready; do
		[ -x "$PG_BIN/$b" ] || miss+=" $PG_BIN/$b"
	done
	[ -n "$miss" ] && miss=" postgresql-15 ($miss )"
	getent passwd postgres >/dev/null || miss+=" the user postgres"
	command -v setpriv >/dev/null || miss+=" setpriv (util-linux)"
	pkg-config --exists libpq 2>/dev/null || [ -r /usr/include/postgresql/libpq-fe.h ] || miss+=" libpq-dev"
	[ -n "$miss" ] || return 1
	echo "missing:$miss"
}

pg_data() { echo "$BED_DIR/n$1/pg/data"; }

# pg_as ID CMD...: CMD as postgres in node ID, with a clean environment
# (PG* variables of the caller are passed on: PGPASSWORD for pg_basebackup).
pg_as() {
	local i=$1 v envs=()
	shift
	for v in PGPASSWORD PGCONNECT_TIMEOUT; do
		[ -z "${!v:-}" ] || envs+=("$v=${!v}")
	done
	(cd / && bed_exec "$i" setpriv --reuid=postgres --regid=postgres --init-groups -- \
		env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/var/lib/postgresql PGHOST=/run/postgresql \
		PGPORT=$PG_PORT "${envs[@]}" "$@")
}

# pg_sql ID SQL [DB]: run SQL as postgres on node ID's socket; prints the rows
# (unaligned, |-separated), fails on any error; bounded by 30 s.
pg_sql() {
	pg_as "$1" timeout 30 "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -d "${3:-postgres}" -c "$2"
}

# The node's directories: $BED_DIR and nI traversable by postgres (0711:
# nothing in them is readable), pg/ its own; /run/postgresql in the node.
pg__prepare() {
	local i=$1 d="$BED_DIR/n$1"
	chmod 0711 "$BED_DIR" "$d" || return 1
	mkdir -p "$d/pg" && chown postgres:postgres "$d/pg" && chmod 0700 "$d/pg" || return 1
	bed_exec "$i" install -d -o postgres -g postgres -m 2775 /run/postgresql
}

# pg_init ID: a new cluster for node ID, configured for the bed.
pg_init() {
	local i=$1 data
	data=$(pg_data "$1")
	pg__prepare "$i" || return 1
	rm -rf "$data"
	pg_as "$i" "$PG_BIN/initdb" -D "$data" -U postgres -E UTF8 --locale=C -N \
		--auth-local=peer --auth-host=scram-sha-256 >"$BED_DIR/n$i/initdb.out" 2>&1 || {
		bed_fail "node $i: initdb failed: $(tail -5 "$BED_DIR/n$i/initdb.out")"
		return 1
	}
	pg__conf >>"$data/postgresql.conf" && pg__hba >"$data/pg_hba.conf" || return 1
}

pg__conf() {
	cat <<-EOF
		# tests/postgres/pgbed.sh
		listen_addresses = '*'
		port = $PG_PORT
		unix_socket_directories = '/run/postgresql'
		max_connections = 40
		shared_buffers = 16MB
		dynamic_shared_memory_type = posix
		fsync = off
		wal_level = replica
		max_wal_senders = 6
		max_replication_slots = 6
		wal_keep_size = 64MB
		hot_standby = on
		wal_log_hints = on
		wal_receiver_status_interval = 1s
		wal_receiver_timeout = 5s
		wal_sender_timeout = 5s
		wal_retrieve_retry_interval = 200ms
		password_encryption = scram-sha-256
		logging_collector = off
		log_line_prefix = '%m [%p] %q%u@%d '
		log_min_messages = warning
		log_checkpoints = off
	EOF
}

pg__hba() {
	cat <<-EOF
		# tests/postgres/pgbed.sh: local users by peer, the bed's network by password;
		# the check's monitoring role (README) by password over the local socket
		local   postgres     corovip_monitor               scram-sha-256
		local   all          all                           peer
		host    replication  replicator  192.0.2.0/24      scram-sha-256
		host    corovip      corovip     192.0.2.0/24      scram-sha-256
	EOF
}

pg__ready() {
	local out
	bed_pid "$1" postgres >/dev/null || {
		BED_LAST="postgres exited: $(tail -3 "$BED_DIR/n$1/postgres.out" 2>/dev/null | tr '\n' ' ')"
		return 2
	}
	out=$(pg_as "$1" timeout 5 "$PG_BIN/pg_isready" -q -d postgres 2>&1) || {
		BED_LAST="pg_isready: not accepting connections${out:+ ($out)}"
		return 1
	}
}

# pg_start ID: start node ID's postmaster and wait until it accepts
# connections (a standby: once consistent).
pg_start() {
	local i=$1 p
	if p=$(bed_pid "$i" postgres); then
		bed_fail "node $i: postgres already runs (pid $p)"
		return 1
	fi
	pg__prepare "$i" || return 1
	echo "--- $(date '+%F %T') start" >>"$BED_DIR/n$i/postgres.out"
	bed_spawn "$i" postgres unshare --ipc setpriv --reuid=postgres --regid=postgres --init-groups -- \
		env -i PATH=/usr/bin:/bin LANG=C.UTF-8 "$PG_BIN/postgres" -D "$(pg_data "$i")" \
		-c corovip.node="n$i" -c cluster_name="n$i" || return 1
	bed_wait_until "${PG_START_MS:-60000}" "node $i: PostgreSQL to accept connections" pg__ready "$i"
}

# pg_running ID: true if node ID's postmaster runs.
pg_running() { bed_pid "$1" postgres >/dev/null; }

# pg_stop ID [fast|immediate|smart]: stop node ID's postmaster (SIGINT,
# SIGQUIT or SIGTERM) and wait until it has exited (it waits for its
# children); SIGKILL after 30 s (then its children are killed too: they
# would see no postmaster and exit, but not at once), a failure.
pg_stop() {
	local i=$1 p sig
	case "${2:-fast}" in
	fast) sig=INT ;;
	immediate) sig=QUIT ;;
	smart) sig=TERM ;;
	*) bed_fail "pg_stop: no such mode: $2"; return 1 ;;
	esac
	p=$(bed_pid "$i" postgres) || return 0
	kill -s "$sig" "$p" 2>/dev/null || true
	bed_wait_dead "$p" 30000 "node $i: postgres after SIG$sig" && return 0
	pg__kill_all "$i"
	return 1
}

# Every postgres process of node ID, killed (its postmaster first).
pg__kill_all() {
	local p comm pids=""
	for p in $(bed_node_pids "$1"); do
		read -r comm <"/proc/$p/comm" 2>/dev/null || continue
		[ "$(stat -c %U "/proc/$p" 2>/dev/null)" = postgres ] || continue
		case "$comm" in postgres | pg_*) pids+=" $p" ;; esac
	done
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	for p in $pids; do bed_wait_dead "$p" 5000 "node $1: postgres process" || true; done
}

# pg_role ID: primary, standby (in recovery) or down (no answer).
pg_role() {
	local r
	r=$(pg_sql "$1" "SELECT pg_is_in_recovery()" 2>/dev/null) || { echo down; return 0; }
	case "$r" in
	f) echo primary ;;
	t) echo standby ;;
	*) echo down ;;
	esac
}

pg__role_is() {
	local r
	r=$(pg_role "$1")
	BED_LAST="node $1: $r"
	[ "$r" = "$2" ]
}

# pg_wait_role ID ROLE MS: until node ID is ROLE.
pg_wait_role() { bed_wait_until "$3" "node $1: PostgreSQL $2" pg__role_is "$1" "$2"; }

# pg_promote ID: promote the standby ID (pg_promote() waits, up to 25 s,
# until the server has left recovery).
pg_promote() {
	local r
	r=$(pg_sql "$1" "SELECT pg_promote(true, 25)") || r=""
	[ "$r" = t ] || { bed_fail "node $1: pg_promote() said: ${r:-nothing}"; return 1; }
}

pg__streaming() {
	local s
	s=$(pg_sql "$1" "SELECT coalesce((SELECT status || ' from ' || sender_host FROM pg_stat_wal_receiver), 'no WAL receiver')" 2>&1)
	# shellcheck disable=SC2034 # bed_wait_until prints it
	BED_LAST="node $1: $s"
	[[ "$s" == "streaming from "* ]]
}

# pg_wait_streaming ID MS: until the standby ID's WAL receiver streams.
pg_wait_streaming() { bed_wait_until "$2" "node $1: its WAL receiver to stream" pg__streaming "$1"; }

# pg_setup_primary ID: the roles, the client's database and table.
pg_setup_primary() {
	pg_sql "$1" "CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '$PG_REPL_PASS';
		CREATE ROLE corovip WITH LOGIN PASSWORD '$PG_APP_PASS';
		CREATE ROLE corovip_monitor WITH LOGIN PASSWORD '$PG_MON_PASS' IN ROLE pg_monitor;" >/dev/null &&
		pg_sql "$1" "CREATE DATABASE corovip OWNER corovip" >/dev/null &&
		pg_sql "$1" "SET ROLE corovip;
		CREATE TABLE corovip_writes (seq bigint NOT NULL, node text NOT NULL,
			at timestamptz NOT NULL DEFAULT clock_timestamp());" corovip >/dev/null
}

# pg_clone ID FROM: node ID's cluster becomes a fresh copy of FROM's
# (pg_basebackup over the bed's network as replicator, -R: a standby of
# FROM). ID's server must be stopped.
pg_clone() {
	local i=$1 from=$2 data
	data=$(pg_data "$i")
	! pg_running "$i" || { bed_fail "node $i: pg_clone while postgres runs"; return 1; }
	pg__prepare "$i" || return 1
	rm -rf "$data"
	PGPASSWORD=$PG_REPL_PASS pg_as "$i" timeout 120 "$PG_BIN/pg_basebackup" -D "$data" -R -X stream -c fast \
		-d "host=$(bed_ip "$from") port=$PG_PORT user=replicator application_name=n$i" \
		>"$BED_DIR/n$i/basebackup.out" 2>&1 || {
		bed_fail "node $i: pg_basebackup from node $from failed: $(tail -5 "$BED_DIR/n$i/basebackup.out")"
		return 1
	}
}

# pg_bed_up N "IDS": a bed of N nodes with corosync (quorate); PostgreSQL
# on IDS: the first the primary, the others its streaming standbys.
pg_bed_up() {
	local n=$1 first="" i
	bed_cluster_up "$n" || return 1
	# after bed_up: its EXIT trap is replaced by one that stops the servers first
	if [ -z "${BED_NO_TRAP:-}" ]; then
		trap 'pg__exit_trap' EXIT
	fi
	for i in $2; do
		PG_NODES+=" $i"
		if [ -z "$first" ]; then
			first=$i
			pg_init "$i" && pg_start "$i" && pg_setup_primary "$i" || return 1
		else
			pg_clone "$i" "$first" && pg_start "$i" && pg_wait_streaming "$i" 30000 || return 1
		fi
	done
}

pg__exit_trap() {
	local rc=$?
	set +e
	trap - EXIT
	pg_down
	(exit "$rc")
	bed__exit_trap
}

# pg_down: every server of the bed stopped (immediate: nothing to keep).
pg_down() {
	local i rc=0
	[ -n "$BED_DIR" ] || return 0
	for i in $PG_NODES; do
		pg_running "$i" || continue
		pg_stop "$i" immediate >/dev/null 2>&1 || rc=1
	done
	return $rc
}

# pg_build_writer: tests/tools/pgwriter.c (libpq) into $BED_DIR/bin; PG_WRITER.
pg_build_writer() {
	local cflags libs
	PG_WRITER=$BED_DIR/bin/pgwriter
	[ -x "$PG_WRITER" ] && return 0
	mkdir -p "$BED_DIR/bin" || return 1
	cflags=$(pkg-config --cflags libpq 2>/dev/null) || cflags=-I/usr/include/postgresql
	libs=$(pkg-config --libs libpq 2>/dev/null) || libs=-lpq
	# shellcheck disable=SC2086
	"${CC:-cc}" -std=gnu11 -O2 -Wall -Wextra $cflags -o "$PG_WRITER" "$BED_SRC/tests/tools/pgwriter.c" $libs ||
		{ bed_fail "could not build tests/tools/pgwriter.c"; return 1; }
}

# pg_conninfo ADDR: the client's connection string for the corovip role.
pg_conninfo() {
	echo "host=$1 port=$PG_PORT dbname=corovip user=corovip password=$PG_APP_PASS application_name=pgwriter"
}

# pg_logs_tail [LINES]: every database node's PostgreSQL log tail.
pg_logs_tail() {
	local i
	for i in $PG_NODES; do
		echo "--- n$i postgres.out"
		tail -"${1:-20}" "$BED_DIR/n$i/postgres.out" 2>/dev/null
	done
}

# ---- the client's writer log ($BED_DIR/writer.log, tests/tools/pgwriter.c) ----
# acks NODE: writes acknowledged on NODE; wait_acks NODE MS [N]: until N (5)
# more than now; switches / switched N: SWITCH lines, more than N;
# switch_line N: the (N+1)th (from=A to=B gap_ms=...).
acks() { grep -c " OK seq=[0-9]* node=$1 " "$BED_DIR/writer.log" 2>/dev/null || true; }
acks_more() {
	local n
	n=$(acks "$1")
	BED_LAST="$n writes acknowledged on $1 (wanted > $2); last: $(tail -1 "$BED_DIR/writer.log")"
	[ "$n" -gt "$2" ]
}
wait_acks() {
	local base
	base=$(acks "$1")
	bed_wait_until "$2" "the writer's writes on $1" acks_more "$1" $((base + ${3:-5}))
}
switches() { grep -c ' SWITCH ' "$BED_DIR/writer.log" 2>/dev/null || true; }
switched() {
	local n
	n=$(switches)
	BED_LAST="last: $(tail -1 "$BED_DIR/writer.log")"
	[ "$n" -gt "$1" ]
}
switch_line() { grep ' SWITCH ' "$BED_DIR/writer.log" | sed -n "$(($1 + 1))p"; }

# ---- the address watchers' logs ($BED_DIR/LOG.log, bed_watch_start VIP LOG) ----
# watch_first LOG HOLDERS T_MS: epoch ms of the first line after T showing
# HOLDERS; watch_since LOG T_MS: the holders seen after T, in order.
watch_first() {
	awk -v h="holders=$2" -v t="$3" '$2 == h && $1 * 1000 >= t { printf "%d\n", $1 * 1000; exit }' "$BED_DIR/$1.log"
}
watch_since() {
	awk -v t="$2" '$2 ~ /^holders=/ && $1 * 1000 >= t { sub(/^holders=/, "", $2); printf "%s ", $2 }' "$BED_DIR/$1.log"
}

# ---- the client's verdict at the end ----
# pg_client_stop: stops the writer and the sampler; their SUMMARY lines in
# PG_WS and PG_SS.
pg__stop_tool() {
	local p
	read -r p <"$BED_DIR/$1.pid" || return 1
	kill -TERM "$p" 2>/dev/null || true
	bed_wait_dead "$p" 10000 "$1" || return 1
	grep '^SUMMARY' "$BED_DIR/$1.log"
}
pg_client_stop() {
	PG_WS=$(pg__stop_tool writer) || { BED_LAST="the writer did not stop"; return 1; }
	PG_SS=$(pg__stop_tool sampler) || { BED_LAST="the sampler did not stop"; return 1; }
}
# pg_client_clean VIPNAME: no write refused as read-only or in recovery and
# no sample of a server in recovery through VIPNAME (after pg_client_stop).
pg_client_clean() {
	local k
	for k in readonly recovery; do
		[ "$(bed_field "$k" "$PG_WS")" = 0 ] ||
			{ BED_LAST="the writer had $k refusals: $1 pointed at a server not the primary: $(grep "kind=$k" "$BED_DIR/writer.log" | head -3)"; return 1; }
		[ "$(bed_field "$k" "$PG_SS")" = 0 ] ||
			{ BED_LAST="the sampler had $k refusals: $(grep "kind=$k" "$BED_DIR/sampler.log" | head -3)"; return 1; }
	done
	[ "$(bed_field in_recovery "$PG_SS")" = 0 ] ||
		{ BED_LAST="the sampler reached a server in recovery through $1: $(grep 'recovery=t' "$BED_DIR/sampler.log" | head -3)"; return 1; }
}
