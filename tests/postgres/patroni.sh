#!/bin/bash
# patroni.sh - the VIP follows Patroni's leader (issue 16), with README's
# recipe ("Database primary: the VIP follows PostgreSQL"): an http check on
# Patroni's REST API and Patroni's callbacks running `corovipctl recheck`.
#
# A 3-node bed (tests/postgres/pgbed.sh and tests/integration/bed.sh,
# namespaces pt*): etcd 3.4 (one member) on n3, listening on n3's bed
# address; Patroni 3.0 (Debian's packages, DCS etcd3, ttl 10 s, loop_wait
# 1 s) on n1 and n2 managing PostgreSQL 15 (data under $BED_DIR/nI/pg,
# socket in the node's private /run/postgresql, REST API on 0.0.0.0:8008 in
# the node's namespace: 127.0.0.1:8008 for corovipd's check, the bed address
# for the other member and patronictl); corovipd on n1..n3 with the VIP db
# (192.0.2.60, exclusive) on the check patroni-leader:
# http://127.0.0.1:8008/primary, http_status 200, http_body "role": "master",
# every 500 ms, rise 2, fall 3, hold_down 0s. n3 has no Patroni: its check
# is refused.
#
# Why the body: Patroni 3.0 answers GET /primary with 200 as soon as it
# holds the leader key, before its server has left recovery, and calls
# on_role_change right after `pg_ctl promote -W` (no wait); the JSON body's
# role is "master" only when the server, asked during that request, is out
# of recovery. The callback (on_role_change and on_stop) waits on a
# promotion until the local server is out of recovery (10 s at most), then
# runs `corovipctl recheck db`: on_role_change pushes the new leader in,
# on_stop the old leader out (an exclusive VIP goes nowhere while the old
# leader still passes; on_role_change reaches the old leader only once it
# runs again as a replica, seconds later). PT_NAIVE=1 runs the first recipe
# instead (no body, no wait, on_role_change only): db can then reach the new
# leader while it is still in recovery, which the sampler catches.
#
# Patroni runs as postgres (PostgreSQL refuses root), in an IPC namespace
# of its own (PostgreSQL's System V segment goes with its processes). Its
# callback runs corovipctl as postgres: corovipd answers root and the
# members of group haclient as /etc/group lists them, so each node gets its
# own /etc/group (a copy bind-mounted in the node's private mount namespace,
# as tests/integration/ipc-flood.sh does) where postgres is a member of
# haclient: what `adduser postgres haclient` does on a real node. The
# host's /etc/group is not touched.
#
#   1. Patroni bootstraps n1 (leader), n2 clones it (replica, streaming);
#      db on n1; a client writes through db (tests/tools/pgwriter.c, one
#      connection) and samples it (a new connection every 50 ms);
#   2. patronictl switchover to n2: db on n2 within a bound (PT_PUSH_MS) of
#      n2's on_role_change recheck; n1 rejoins as n2's replica;
#   3. kill -9 of the leader n2's Patroni and PostgreSQL (the node, its
#      corosync and corovipd stay): the leader key expires (ttl), Patroni
#      elects n1, db follows; Patroni on n2 started again rejoins as a
#      replica (pg_rewind or a new clone) and db stays on n1;
#   4. for 2 and 3 it prints the client's write outage beside the time from
#      the leader key's change in etcd (etcdctl watch, time-stamped) to the
#      new leader's first acknowledged write;
#   5. no write refused as read-only or in recovery, no sample of db in
#      recovery (db never pointed at a node in recovery), db never on two
#      nodes (the bed's address watcher); acknowledged writes missing from
#      the final primary are counted (replication is asynchronous: only
#      writes acknowledged by the killed leader may be missing).
#
#   tests/postgres/patroni.sh [BUILD]     (root; BUILD default build/normal)
# env: BED_PREFIX (namespace prefix, default pt), BED_KEEP=1 (keep logs),
#      PT_CHECK_INTERVAL_MS (500), PT_TTL (Patroni's ttl, 10 s),
#      PT_PUSH_MS (the bound from the new leader's recheck to the VIP's
#      move, 1500), PT_NAIVE=1 (the first recipe, above)
# Exit: 0 pass, 1 fail (logs' tails printed), 77 skipped (not root, or
# patroni / etcd / PostgreSQL 15 missing: tests/install-deps patroni).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" 2>/dev/null && pwd) || build=${1:-$top/build/normal}
export BED_PREFIX=${BED_PREFIX:-pt}
VIP=192.0.2.60
IVL=${PT_CHECK_INTERVAL_MS:-500}
TTL=${PT_TTL:-10}
PUSH_MS=${PT_PUSH_MS:-1500}
SCOPE=corovip
LEADER_KEY=/service/$SCOPE/leader
ETCD=3 # the node that runs etcd
SUPER_PASS=ptsuper

[ "$(id -u)" = 0 ] || { echo "SKIP: the Patroni test needs root (network namespaces)"; exit 77; }
cd "$top"
# shellcheck source=tests/postgres/pgbed.sh
. tests/postgres/pgbed.sh
miss=""
pg_missing >/dev/null && miss=" $(pg_missing)"
for b in patroni patronictl etcd etcdctl; do
	[ -x "/usr/bin/$b" ] || miss+=" /usr/bin/$b"
done
/usr/bin/python3 -c 'import patroni.dcs.etcd3, psycopg2' 2>/dev/null || miss+=" python3: patroni.dcs.etcd3 or psycopg2"
if [ -n "$miss" ]; then
	echo "SKIP: missing:$miss (tests/install-deps patroni)"
	exit 77
fi
for b in agent/corovipd ctl/corovipctl; do
	[ -x "$build/$b" ] || { echo "not ok - $build/$b is not built"; exit 1; }
done

t_all=$SECONDS
ok() { printf 'ok - %s\n' "$*"; }
note() { printf '# %s\n' "$*"; }
fail() {
	local i f
	printf 'not ok - %s\n' "$*"
	if [ -n "${BED_DIR:-}" ]; then
		set +e
		echo "# holders now: db $(bed_holders $VIP); leader key: $(leader_now)"
		for i in 1 2; do echo "# n$i: PostgreSQL $(pg_role "$i")"; done
		for i in 1 2 3; do
			echo "--- n$i corovipctl status"
			ctl "$i" status 2>&1 | tail -12
		done
		for f in n1/corovipd.out:20 n2/corovipd.out:20 n3/corovipd.out:20 n1/patroni.out:30 n2/patroni.out:30 \
			n$ETCD/etcd.out:10 keys.log:12 writer.log:12 sampler.log:12 watch.log:12; do
			[ -e "$BED_DIR/${f%:*}" ] || continue
			echo "--- ${f%:*}"
			tail -"${f#*:}" "$BED_DIR/${f%:*}"
		done
		echo "--- role-change.log"
		tail -12 "$bin/role-change.log"
	fi 2>&1
	exit 1
}
ctl() { bed_exec "$1" timeout 10 "$build/ctl/corovipctl" "${@:2}"; }

# held_by VIP NODE|none: the VIP's holders now are exactly NODE.
held_by() {
	local h
	h=$(bed_holders "$1")
	[ "${h:-none}" = "$2" ] || { BED_LAST="holders of $1: ${h:-none}"; return 1; }
}

# ---- etcd and Patroni ----
etcdctl_() { ip netns exec "$(bed_ns c)" timeout 10 /usr/bin/etcdctl --endpoints="http://$(bed_ip $ETCD):2379" "$@"; }
etcd_ready() { BED_LAST=$(etcdctl_ endpoint health 2>&1 | tail -1) && [[ "$BED_LAST" == *"is healthy"* ]]; }
# leader_now: the member named by Patroni's leader key (empty: none).
leader_now() { etcdctl_ get --print-value-only "$LEADER_KEY" 2>/dev/null || true; }
leader_is() {
	local l
	l=$(leader_now)
	BED_LAST="leader key: ${l:-none}"
	[ "$l" = "$1" ]
}
patronictl_() { bed_exec "$1" env HOME="$BED_DIR" timeout 90 /usr/bin/patronictl -c "$BED_DIR/n$1/patroni.yml" "${@:2}"; }

patroni_conf() {
	local i=$1 ip
	ip=$(bed_ip "$i")
	cat <<-EOF
		# tests/postgres/patroni.sh
		scope: $SCOPE
		namespace: /service/
		name: n$i
		restapi:
		  listen: 0.0.0.0:8008
		  connect_address: $ip:8008
		etcd3:
		  hosts: $(bed_ip $ETCD):2379
		bootstrap:
		  dcs:
		    ttl: $TTL
		    loop_wait: 1
		    retry_timeout: 4
		    maximum_lag_on_failover: 16777216
		    postgresql:
		      use_pg_rewind: true
		      use_slots: true
		      parameters:
		        max_connections: 40
		        max_wal_senders: 6
		        max_replication_slots: 6
		        wal_level: replica
		        wal_log_hints: 'on'
		        hot_standby: 'on'
		        wal_keep_size: 64MB
		  initdb:
		  - encoding: UTF8
		  - locale: C
		  - auth-local: peer
		  - auth-host: scram-sha-256
		  - no-sync
		postgresql:
		  listen: 0.0.0.0:5432
		  connect_address: $ip:5432
		  use_unix_socket: true
		  data_dir: $(pg_data "$i")
		  bin_dir: $PG_BIN
		  pgpass: $BED_DIR/n$i/pg/pgpass
		  remove_data_directory_on_rewind_failure: true
		  remove_data_directory_on_diverged_timelines: true
		  authentication:
		    superuser:
		      username: postgres
		      password: $SUPER_PASS
		    replication:
		      username: replicator
		      password: $PG_REPL_PASS
		  parameters:
		    unix_socket_directories: /run/postgresql
		    corovip.node: n$i
		    shared_buffers: 16MB
		    dynamic_shared_memory_type: posix
		    fsync: 'off'
		    password_encryption: scram-sha-256
		    wal_receiver_status_interval: 1s
		    wal_receiver_timeout: 5s
		    wal_sender_timeout: 5s
		    wal_retrieve_retry_interval: 200ms
		    logging_collector: 'off'
		    log_line_prefix: '%m [%p] %q%u@%d '
		    log_min_messages: warning
		  pg_hba:
		  - local all all peer
		  - host replication replicator 192.0.2.0/24 scram-sha-256
		  - host replication replicator 127.0.0.1/32 scram-sha-256
		  - host all postgres 192.0.2.0/24 scram-sha-256
		  - host all postgres 127.0.0.1/32 scram-sha-256
		  - host corovip corovip 192.0.2.0/24 scram-sha-256
		  basebackup:
		  - checkpoint: fast
		  callbacks:
		    on_role_change: $bin/role-change
$([ -n "${PT_NAIVE:-}" ] || printf '    on_stop: %s\n' "$bin/role-change")
	EOF
}

# patroni_start ID: Patroni as postgres in node ID (its groups from the
# node's /etc/group: haclient), in an IPC namespace of its own.
patroni_start() {
	local i=$1
	pg__prepare "$i" || return 1
	echo "--- $(date '+%F %T') start" >>"$BED_DIR/n$i/patroni.out"
	bed_spawn "$i" patroni unshare --ipc setpriv --reuid=postgres --regid=postgres --init-groups -- \
		env -i PATH=/usr/bin:/bin LANG=C.UTF-8 HOME=/var/lib/postgresql \
		/usr/bin/patroni "$BED_DIR/n$i/patroni.yml"
}

# patroni_kill ID: kill -9 of node ID's Patroni and PostgreSQL (every process
# of user postgres in the node), frozen first and killed all at once.
patroni_kill() {
	local p pids=""
	for p in $(bed_node_pids "$1"); do
		[ "$(stat -c %U "/proc/$p" 2>/dev/null)" = postgres ] && pids+=" $p"
	done
	[ -n "$pids" ] || { bed_fail "node $1: no process of postgres"; return 1; }
	# shellcheck disable=SC2086
	kill -STOP $pids 2>/dev/null || true
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for p in $pids; do bed_wait_dead "$p" 5000 "node $1: a process of postgres" || return 1; done
}

# ---- the logs ----
# first_ok NODE T_MS: epoch ms of the writer's first ack on NODE after T.
first_ok() {
	awk -v n="node=$1" -v t="$2" '$3 == "OK" && $5 == n && $2 * 1000 >= t { printf "%d\n", $2 * 1000; exit }' "$BED_DIR/writer.log"
}
# key_event WHAT T_MS: epoch ms of the leader key's first event after T in
# etcd's watch: WHAT is DELETE or the member a PUT names.
key_event() {
	awk -v w="$1" -v t="$2" '
		$2 == "PUT" { st = 1; at = $1; next }
		$2 == "DELETE" { if (w == "DELETE" && $1 * 1000 >= t) { printf "%d\n", $1 * 1000; exit } st = 0; next }
		st == 1 { st = 2; next }
		st == 2 { st = 0; if ($2 == w && at * 1000 >= t) { printf "%d\n", at * 1000; exit } }' "$BED_DIR/keys.log"
}
key_seen() { BED_LAST="$(tail -1 "$BED_DIR/keys.log")"; [ -n "$(key_event "$1" "$2")" ]; }
# callback NODE ACTION ROLE T_MS: "START_MS END_MS RC WAIT_MS" of NODE's first
# callback ACTION (on_role_change, on_stop) with ROLE after T: when it began,
# when its recheck returned, its status, how long it waited for the promotion.
callback() {
	awk -v n="node=$1" -v a="action=$2" -v r="role=$3" -v t="$4" '$3 == n && $4 == a && $5 == r && $1 * 1000 >= t {
		rc = $6; sub(/^rc=/, "", rc); w = $7; sub(/^waited=/, "", w)
		printf "%d %d %s %d\n", $1 * 1000, $2 * 1000, rc, (w - $1) * 1000; exit }' "$bin/role-change.log"
}
callback_seen() { BED_LAST="$(tail -1 "$bin/role-change.log" 2>/dev/null)"; [ -n "$(callback "$@")" ]; }
# pg_log_ms NODE TEXT T_MS: epoch ms of NODE's first PostgreSQL log line with
# TEXT at or after T (log_line_prefix %m: milliseconds, UTC).
pg_log_ms() {
	local d tm ms
	while read -r d tm _; do
		ms=$(date -u -d "$d $tm" +%s%3N) || continue
		[ "$ms" -lt "$3" ] || { echo "$ms"; return 0; }
	done < <(grep -F "LOG:  $2" "$BED_DIR/n$1/patroni.out" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+ UTC ')
}
# after_promotion NODE MOVED_MS T_MS: the VIP came to NODE no sooner than its
# server's promotion ended ("archive recovery complete"; the end of recovery
# follows within ms, then "ready to accept connections"); says the margins.
after_promotion() {
	local ended ready
	ended=$(pg_log_ms "$1" "archive recovery complete" "$3")
	ready=$(pg_log_ms "$1" "database system is ready to accept connections" "$3")
	if [ -z "$ended" ] || [ -z "$ready" ]; then
		echo "no end of recovery in n$1's PostgreSQL log"
		return 1
	fi
	echo "db on n$1 $(($2 - ended)) ms after its PostgreSQL's 'archive recovery complete', $(($2 - ready)) ms after 'ready to accept connections'"
	[ "$2" -ge "$ended" ]
}

# stop_cb NODE T_MS: "NODE's on_stop recheck +N ms, " if it ran after T.
stop_cb() {
	local b
	read -r _ b _ <<<"$(callback "$1" on_stop demoted "$2")"
	[ -z "$b" ] || echo "$1's on_stop recheck $(rel "$b" "$2"), "
}
rel() { if [ -n "$1" ]; then echo "+$(($1 - $2)) ms"; else echo "?"; fi; }

# ---- the bed ----
bed_cluster_up 3 || fail "the bed (3 nodes, corosync)"
bin=""
bed_temp_dir bin corovip-pt
chmod 0755 "$bin"
# corovipctl where postgres can run it (the build tree may not be reachable
# for it)
cp "$build/ctl/corovipctl" "$bin/corovipctl" && chmod 0755 "$bin/corovipctl"
# Patroni's callback (README's corovip-role-change), with a log of its own:
# Patroni passes ACTION ROLE SCOPE. It calls on_role_change right after
# `pg_ctl promote -W`, while the server may still be in recovery: on a
# promotion wait (10 s at most) until it is not, then recheck (PT_NAIVE=1:
# recheck at once, as the first recipe did).
cat >"$bin/role-change" <<'EOF'
#!/bin/bash
t0=$EPOCHREALTIME
if [ "@WAIT@" = 1 ]; then
	case $2 in master | primary)
		for _ in $(seq 500); do
			[ "$(@PG_BIN@/psql -X -A -t -h /run/postgresql -d postgres -c 'SELECT pg_is_in_recovery()' 2>/dev/null)" = f ] && break
			sleep 0.02
		done ;;
	esac
fi
tw=$EPOCHREALTIME
out=$(@BIN@/corovipctl recheck db 2>&1)
rc=$?
echo "$t0 $EPOCHREALTIME node=$(hostname) action=$1 role=$2 rc=$rc waited=$tw out=${out//$'\n'/ }" >>@BIN@/role-change.log
exit $rc
EOF
sed -i -e "s|@BIN@|$bin|g" -e "s|@PG_BIN@|$PG_BIN|g" -e "s|@WAIT@|$([ -n "${PT_NAIVE:-}" ] && echo 0 || echo 1)|" "$bin/role-change"
chmod 0755 "$bin/role-change"
install -m 0664 -o postgres -g postgres /dev/null "$bin/role-change.log"
# group haclient with postgres in it, in each node's own /etc/group
awk -F: -v OFS=: '$1 == "haclient" { $4 = ($4 == "" ? "postgres" : $4 ",postgres"); found = 1 } { print }
	END { if (!found) exit 3 }' /etc/group >"$BED_DIR/group" || {
	gid=64100
	while getent group "$gid" >/dev/null; do gid=$((gid + 1)); done
	{ cat /etc/group; echo "haclient:x:$gid:postgres"; } >"$BED_DIR/group"
}
chmod 0644 "$BED_DIR/group"
for i in 1 2 3; do bed_exec "$i" mount --bind "$BED_DIR/group" /etc/group || fail "n$i: /etc/group"; done
[[ " $(bed_exec 1 setpriv --reuid=postgres --regid=postgres --init-groups id -nG) " == *" haclient "* ]] ||
	fail "postgres's groups in n1: $(bed_exec 1 setpriv --reuid=postgres --regid=postgres --init-groups id -nG)"
ok "bed up; in each node's own /etc/group postgres is in haclient (the host's is untouched)"

# etcd, one member on n3
mkdir -p "$BED_DIR/n$ETCD/etcd" && chmod 0700 "$BED_DIR/n$ETCD/etcd"
e=http://$(bed_ip $ETCD)
bed_spawn $ETCD etcd /usr/bin/etcd --name "e$ETCD" --data-dir "$BED_DIR/n$ETCD/etcd" \
	--listen-client-urls "$e:2379" --advertise-client-urls "$e:2379" \
	--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster "e$ETCD=http://127.0.0.1:2380" --initial-cluster-state new || fail "starting etcd"
bed_wait_until 30000 "etcd on n$ETCD" etcd_ready || fail "$BED_LAST"
# the leader key's changes, time-stamped as they come (etcdctl writes unbuffered)
# shellcheck disable=SC2016 # expanded by the inner bash
bed_bg keys ip netns exec "$(bed_ns c)" bash -c '/usr/bin/etcdctl --endpoints="$1" watch "$2" |
	while IFS= read -r l; do printf "%s %s\n" "$EPOCHREALTIME" "$l"; done' bash "$e:2379" "$LEADER_KEY"
ok "etcd 3.4 on n$ETCD ($e:2379)"

# Patroni: n1 bootstraps, then n2 clones it
for i in 1 2; do patroni_conf "$i" >"$BED_DIR/n$i/patroni.yml" && chmod 0644 "$BED_DIR/n$i/patroni.yml"; done
t0=$SECONDS
patroni_start 1 || fail "starting Patroni on n1"
bed_wait_until 120000 "Patroni's leader key for n1 (bootstrap)" leader_is n1 || fail "$BED_LAST"
pg_wait_role 1 primary 60000 || fail "$BED_LAST"
patroni_start 2 || fail "starting Patroni on n2"
pg_wait_streaming 2 120000 || fail "$BED_LAST"
# shellcheck disable=SC2015 # fail() exits
pg_sql 1 "CREATE ROLE corovip WITH LOGIN PASSWORD '$PG_APP_PASS'" >/dev/null &&
	pg_sql 1 "CREATE DATABASE corovip OWNER corovip" >/dev/null &&
	pg_sql 1 "SET ROLE corovip; CREATE TABLE corovip_writes (seq bigint NOT NULL, node text NOT NULL,
		at timestamptz NOT NULL DEFAULT clock_timestamp())" corovip >/dev/null || fail "the client's role and table"
ok "Patroni 3.0: n1 bootstrapped (leader), n2 its streaming replica ($((SECONDS - t0)) s); $(patronictl_ 1 list -f tsv 2>/dev/null | awk -F'\t' 'NR > 1 { printf "%s %s %s; ", $2, $4, $5 }')"
pg_build_writer || fail "building tests/tools/pgwriter.c"

conf=$BED_DIR/corovip.conf
cat >"$conf" <<EOC
check patroni-leader {
	http: http://127.0.0.1:8008/primary
	http_status: 200
$([ -n "${PT_NAIVE:-}" ] || printf '\thttp_body: "role": "master"\n')
	interval: ${IVL}ms
	timeout: $((IVL * 9 / 10))ms
	hold_down: 0s
}
vip db {
	address: $VIP/24
	interface: eth0
	check: patroni-leader
	exclusive: yes
}
EOC
chmod 0644 "$conf"
"$build/agent/corovipd" --test-config -c "$conf" >/dev/null || fail "corovipd --test-config: $("$build/agent/corovipd" --test-config -c "$conf" 2>&1)"
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$conf" || fail "starting corovipd on n$i"; done
bed_watch_start $VIP watch >/dev/null || fail "the address watcher"
for i in 1 2 3; do bed_wait_until 10000 "n$i's corovipctl" ctl "$i" status >/dev/null || fail "n$i's corovipctl status does not answer"; done
out=$(bed_exec 1 setpriv --reuid=postgres --regid=postgres --init-groups "$bin/corovipctl" recheck db 2>&1) ||
	fail "postgres's corovipctl recheck db on n1: $out"

# 1. start
bed_wait_until 15000 "db on n1 (Patroni's leader)" held_by $VIP n1 || fail "$BED_LAST"
ok "db on n1, Patroni's leader (postgres's corovipctl recheck is let in: $out)"
bed_bg writer ip netns exec "$(bed_ns c)" "$PG_WRITER" -m write -i 20 -c 300 -t 2000 -r 20 "$(pg_conninfo $VIP)"
bed_bg sampler ip netns exec "$(bed_ns c)" "$PG_WRITER" -m sample -n -i 50 -c 300 -t 2000 -r 20 "$(pg_conninfo $VIP)"
wait_acks n1 15000 20 || fail "$BED_LAST"
ok "the client writes through db to n1 ($(acks n1) acknowledged)"

# 2. switchover n1 -> n2 (patronictl), pushed by on_role_change
sw=$(switches)
t0=$(bed_now_ms)
out=$(patronictl_ 1 switchover --leader n1 --candidate n2 --force 2>&1) || fail "patronictl switchover: $out"
t1=$(bed_now_ms)
bed_wait_until 30000 "the leader key for n2" leader_is n2 || fail "$BED_LAST"
bed_wait_until 15000 "db on n2" held_by $VIP n2 || fail "$BED_LAST"
bed_wait_until 15000 "the writes to resume on n2" switched "$sw" || fail "$BED_LAST"
bed_wait_until 10000 "n2's on_role_change (master)" callback_seen n2 on_role_change master "$t0" || fail "$BED_LAST"
bed_wait_until 10000 "the leader key's PUT n2 in etcd's watch" key_seen n2 "$t0" || fail "$BED_LAST"
line=$(switch_line "$sw")
[[ "$line" == *" from=n1 to=n2 "* ]] || fail "the writes moved elsewhere: $line"
gap1=$(bed_field gap_ms "$line")
key=$(key_event n2 "$t0")
read -r cb0 cb1 cbrc cbw <<<"$(callback n2 on_role_change master "$t0")"
[ "$cbrc" = 0 ] || fail "n2's callback: $(grep 'node=n2' "$bin/role-change.log" | tail -1)"
moved=$(watch_first watch n2 "$t0")
first=$(first_ok n2 "$t0")
[ -n "$moved" ] || fail "the watcher saw no db on n2"
seen=$(watch_since watch "$t0")
[ "$seen" = "- n2 " ] || [ "$seen" = "n2 " ] || fail "db's holders since the switchover: $seen"
# the push: the new leader's recheck, and the old leader's on_stop (while
# it passes, an exclusive VIP goes nowhere)
read -r _ push _ <<<"$(callback n1 on_stop demoted "$t0")"
[ -n "$push" ] && [ "$push" -gt "$cb1" ] || push=$cb1
[ $((moved - push)) -le "$PUSH_MS" ] || fail "db on n2 only $((moved - push)) ms after the last recheck (n2's on_role_change, n1's on_stop) returned"
ok "patronictl switchover n1 -> n2 ($((t1 - t0)) ms): leader key n2 $(rel "$key" "$t0"), $(stop_cb n1 "$t0")n2's on_role_change $(rel "$cb0" "$t0") (recheck after $cbw ms waiting for the promotion), db on n2 $(rel "$moved" "$t0") ($((moved - push)) ms after the last recheck), first write on n2 $(rel "$first" "$t0")"
prom=$(after_promotion 2 "$moved" "$t0") || fail "db on n2 before its promotion ended: $prom"
ok "$prom"
ok "switchover: write outage ${gap1%.*} ms; leader key change -> first acknowledged write on n2: $((first - key)) ms"
pg_wait_streaming 1 60000 || fail "n1 as n2's replica: $BED_LAST"
held_by $VIP n2 || fail "db left n2: $BED_LAST"
ok "n1 rejoined as n2's replica (streaming) $(($(bed_now_ms) - t0)) ms after the switchover began; db stays on n2"

# 3. the leader n2's Patroni and PostgreSQL killed
wait_acks n2 10000 || fail "$BED_LAST"
sw=$(switches)
t0=$(bed_now_ms)
kill_ms=$t0
patroni_kill 2 || fail "killing n2's Patroni and PostgreSQL"
bed_wait_until $((TTL * 1000 + 30000)) "the leader key for n1" leader_is n1 || fail "$BED_LAST"
bed_wait_until 15000 "db on n1" held_by $VIP n1 || fail "$BED_LAST"
bed_wait_until 15000 "the writes to resume on n1" switched "$sw" || fail "$BED_LAST"
bed_wait_until 10000 "n1's on_role_change (master)" callback_seen n1 on_role_change master "$t0" || fail "$BED_LAST"
bed_wait_until 10000 "the leader key's PUT n1 in etcd's watch" key_seen n1 "$t0" || fail "$BED_LAST"
line=$(switch_line "$sw")
[[ "$line" == *" from=n2 to=n1 "* ]] || fail "the writes moved elsewhere: $line"
gap2=$(bed_field gap_ms "$line")
expired=$(key_event DELETE "$t0")
key=$(key_event n1 "$t0")
read -r cb0 cb1 cbrc cbw <<<"$(callback n1 on_role_change master "$t0")"
[ "$cbrc" = 0 ] || fail "n1's callback: $(grep 'node=n1' "$bin/role-change.log" | tail -1)"
released=$(watch_first watch - "$t0")
moved=$(watch_first watch n1 "$t0")
first=$(first_ok n1 "$t0")
[ -n "$moved" ] || fail "the watcher saw no db on n1"
seen=$(watch_since watch "$t0")
[ "$seen" = "- n1 " ] || [ "$seen" = "n1 " ] || fail "db's holders since the kill: $seen"
[ $((moved - cb1)) -le "$PUSH_MS" ] || fail "db on n1 only $((moved - cb1)) ms after n1's recheck ended"
ok "kill -9 of the leader n2's Patroni and PostgreSQL: db released by n2 $(rel "$released" "$t0") (its check refused), leader key expired $(rel "$expired" "$t0") (ttl $TTL s), n1 took it $(rel "$key" "$t0"), n1's on_role_change $(rel "$cb0" "$t0") (recheck after $cbw ms waiting for the promotion), db on n1 $(rel "$moved" "$t0"), first write on n1 $(rel "$first" "$t0")"
prom=$(after_promotion 1 "$moved" "$t0") || fail "db on n1 before its promotion ended: $prom"
ok "$prom"
ok "failover: write outage ${gap2%.*} ms; leader key change -> first acknowledged write on n1: $((first - key)) ms"
t0=$(bed_now_ms)
patroni_start 2 || fail "starting Patroni on n2 again"
pg_wait_streaming 2 120000 || fail "n2 as n1's replica: $BED_LAST"
leader_is n1 || fail "$BED_LAST"
wait_acks n1 10000 || fail "$BED_LAST"
seen=$(watch_since watch "$t0")
[ -z "$seen" ] || fail "db's holders since n2's Patroni started again: $seen"
ok "Patroni on n2 started again: n2 rejoined as n1's replica in $(($(bed_now_ms) - t0)) ms$(grep -q 'pg_rewind' "$BED_DIR/n2/patroni.out" && echo ' (pg_rewind)'); db stayed on n1"

# 4. what the client and the watcher saw
pg_client_stop || fail "$BED_LAST"
note "writer:  $PG_WS"
note "sampler: $PG_SS"
pg_client_clean db || fail "$BED_LAST"
ok "no write refused as read-only or in recovery ($(bed_field ok "$PG_WS") acknowledged), no sample of db in recovery ($(bed_field ok "$PG_SS") samples)"
awk '$3 == "OK" { sub(/^seq=/, "", $4); sub(/^node=/, "", $5); print $4, $5, $2 }' "$BED_DIR/writer.log" | LC_ALL=C sort -k1,1 >"$BED_DIR/acked"
pg_sql 1 "SELECT seq FROM corovip_writes" corovip | LC_ALL=C sort -k1,1 >"$BED_DIR/stored" || fail "reading corovip_writes on n1"
LC_ALL=C join -v 1 "$BED_DIR/acked" "$BED_DIR/stored" >"$BED_DIR/lost" || true
bad=$(awk -v t="$kill_ms" '$2 != "n2" || $3 * 1000 < t - 10000' "$BED_DIR/lost" | head -3)
[ -z "$bad" ] || fail "acknowledged writes missing that the killed leader did not acknowledge in its last 10 s: $bad"
ok "acknowledged writes missing from the final primary n1: $(wc -l <"$BED_DIR/lost") of $(wc -l <"$BED_DIR/acked") (asynchronous replication: only the killed leader's last ones may be)"
s=$(bed_watch_stop watch) || fail "the watcher"
[ "$(bed_field multi "$s")" = 0 ] || fail "db on two nodes at once: $s"
ok "db was never on two nodes (the address watcher, every 10 ms)"
restarts=""
for i in 1 2 3; do
	[ "$(bed_restarts "$i" corovipd)" = 0 ] || restarts+=" n$i: $(bed_restarts "$i" corovipd)"
	bed_norestart "$i" corovipd
	bed_stop "$i" corovipd 10000 || fail "corovipd on n$i did not stop"
done
[ -z "$restarts" ] || note "corovipd was restarted by its supervisor (its reaper killed it: the loop did not get the CPU):$restarts"
ok "done in $((SECONDS - t_all)) s"
