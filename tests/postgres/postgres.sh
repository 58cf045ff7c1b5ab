#!/bin/bash
# postgres.sh - a VIP that follows the PostgreSQL primary (issue 16), with a
# real PostgreSQL 15 streaming pair (tests/postgres/pgbed.sh) on nodes n1 and
# n2 of a 3-node bed (n3: corosync and corovipd only, the tie-breaker) and a
# client writing through the VIP (tests/tools/pgwriter.c).
#
# corovipd on the 3 nodes: db-rw (192.0.2.60, exclusive, check pg-primary)
# and db-ro (192.0.2.61, check pg-standby, fallback_check pg-primary), the
# checks corovip-check-postgres --role primary|standby run as script_user
# postgres (peer authentication on the node's socket) every 500 ms, rise 2,
# fall 2, hold_down 0 (a role change is not a flap). The client writes
# through db-rw (one connection, reconnecting) and samples it (a new
# connection every 50 ms: SELECT pg_is_in_recovery()).
#   1. start: db-rw on the primary n1, db-ro on the standby n2; the client's
#      oracle pointed at n2's own address sees its writes refused as
#      read-only and its samples in recovery (what db-rw must never show);
#   2. failover, the checks alone: n1's PostgreSQL stops, n2 is promoted:
#      db-rw on n2 within a bound, the writes resume there, the client's
#      outage (its last write on n1 to its first on n2) printed; db-ro falls
#      back to the primary n2 (no standby left);
#   3. n1 cloned again (pg_basebackup) as n2's standby: db-ro moves to it;
#   4. switchover back with the push path: n2 stops and rechecks, n1 is
#      promoted and rechecks (corovipctl recheck, as Patroni's
#      on_role_change would): db-rw on n1 within a second of the recheck;
#      that outage printed;
#   5. n2 cloned again as n1's standby; then n1, the primary's node, is
#      partitioned away (no quorum): it releases db-rw, and the other side,
#      whose PostgreSQL is a standby, takes it nowhere (no primary there);
#      what db-ro does is printed; healed: db-rw back on n1, writes resume;
#   6. the writer never had a write refused as read-only or in recovery, the
#      sampler never reached a server in recovery, every acknowledged write
#      is in the final primary's table, and neither VIP was ever on two nodes
#      (the bed's address watcher).
#
#   tests/postgres/postgres.sh [BUILD]     (root; BUILD default build/normal)
# env: BED_PREFIX (namespace prefix, default pg), BED_KEEP=1 (keep logs),
#      PG_CHECK_INTERVAL_MS (500), PG_MOVE_MS (the bound on a move by the
#      checks alone, 15000)
# Exit: 0 pass, 1 fail (logs' tails printed), 77 skipped (not root, or
# PostgreSQL 15 / libpq-dev missing: tests/install-deps postgres).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" 2>/dev/null && pwd) || build=${1:-$top/build/normal}
export BED_PREFIX=${BED_PREFIX:-pg}
RW=192.0.2.60
RO=192.0.2.61
IVL=${PG_CHECK_INTERVAL_MS:-500}
MOVE_MS=${PG_MOVE_MS:-15000}

[ "$(id -u)" = 0 ] || { echo "SKIP: the PostgreSQL test needs root (network namespaces)"; exit 77; }
cd "$top"
# shellcheck source=tests/postgres/pgbed.sh
. tests/postgres/pgbed.sh
if miss=$(pg_missing); then
	echo "SKIP: $miss (tests/install-deps postgres)"
	exit 77
fi
for b in agent/corovipd ctl/corovipctl checks/corovip-check-postgres; do
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
		echo "# holders now: db-rw $(bed_holders $RW), db-ro $(bed_holders $RO)"
		for i in 1 2; do echo "# n$i: PostgreSQL $(pg_role "$i")"; done
		for i in 1 2 3; do
			echo "--- n$i corovipctl status"
			ctl "$i" status 2>&1 | tail -20
			echo "--- n$i corovipd.out"
			tail -25 "$BED_DIR/n$i/corovipd.out"
		done
		pg_logs_tail 25
		for f in writer sampler watch watch-ro; do
			echo "--- $f.log"
			tail -15 "$BED_DIR/$f.log"
		done
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

# ---- the writer's log ----
# acks NODE: acknowledged writes on NODE so far.
# outage_since T_MS: the writer's longest time without an acknowledged write
# from its last ack before T (epoch ms) to its latest: "GAP_MS FROM TO"
# (the nodes of the acks around it).
outage_since() {
	awk -v t="$1" '$3 == "OK" { rt = $2 * 1000; node = $5; sub(/^node=/, "", node)
			if (rt >= t && last && rt - last > max) { max = rt - last; from = ln; to = node }
			last = rt; ln = node }
		END { if (max) printf "%d %s %s\n", max, from, to }' "$BED_DIR/writer.log"
}

# ---- the bed ----
pg_bed_up 3 "1 2" || fail "the bed with PostgreSQL on n1 (primary) and n2 (standby)"
pg_build_writer || fail "building tests/tools/pgwriter.c"
# the check program, where postgres can run it (the build tree may not be
# reachable for it)
bin=""
bed_temp_dir bin corovip-pg
chmod 0755 "$bin"
cp "$build/checks/corovip-check-postgres" "$bin/" && chmod 0755 "$bin/corovip-check-postgres"
ok "PostgreSQL on n1 (primary) and n2 (streaming standby) ($((SECONDS - t_all)) s)"

conf=$BED_DIR/corovip.conf
cat >"$conf" <<EOC
cluster {
	script_user: postgres
}
check pg-primary {
	exec: $bin/corovip-check-postgres --role primary
	interval: ${IVL}ms
	timeout: $((IVL * 9 / 10))ms
	rise: 2
	fall: 2
	hold_down: 0s
}
check pg-standby {
	exec: $bin/corovip-check-postgres --role standby
	interval: ${IVL}ms
	timeout: $((IVL * 9 / 10))ms
	rise: 2
	fall: 2
	hold_down: 0s
}
vip db-rw {
	address: $RW/24
	interface: eth0
	check: pg-primary
	exclusive: yes
}
vip db-ro {
	address: $RO/24
	interface: eth0
	check: pg-standby
	fallback_check: pg-primary
}
EOC
chmod 0644 "$conf"
"$build/agent/corovipd" --test-config -c "$conf" >/dev/null || fail "corovipd --test-config: $("$build/agent/corovipd" --test-config -c "$conf" 2>&1)"
# supervised as systemd would (Restart=on-failure): on a loaded machine a
# reaper may kill a daemon whose loop did not get the CPU (counted at the end)
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$conf" || fail "starting corovipd on n$i"; done
bed_watch_start $RW watch >/dev/null || fail "the address watcher of db-rw"
bed_watch_start $RO watch-ro >/dev/null || fail "the address watcher of db-ro"
for i in 1 2 3; do bed_wait_until 10000 "n$i's corovipctl" ctl "$i" status >/dev/null || fail "n$i's corovipctl status does not answer"; done

# 1. start
bed_wait_until "$MOVE_MS" "db-rw on n1 (the primary)" held_by $RW n1 || fail "$BED_LAST"
bed_wait_until "$MOVE_MS" "db-ro on n2 (the standby)" held_by $RO n2 || fail "$BED_LAST"
ok "db-rw on the primary n1, db-ro on the standby n2"
# The other way the check logs in (README): a monitoring role with no
# privileges, its password in a file only the script user reads, here nobody.
bed_temp_dir mon_dir corovip-pgmon
chmod 0755 "$mon_dir"
mon_pass=$mon_dir/monitor.pgpass
printf '*:*:*:corovip_monitor:%s\n' "$PG_MON_PASS" >"$mon_pass"
chown nobody "$mon_pass"
chmod 0600 "$mon_pass"
mon="host=/run/postgresql user=corovip_monitor dbname=postgres passfile=$mon_pass"
for role_node in primary:1 standby:2; do
	out=$(bed_exec "${role_node#*:}" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$build/checks/corovip-check-postgres" --role "${role_node%:*}" "$mon") ||
		fail "the check as nobody with the monitoring role on n${role_node#*:}: $out"
done
out=$(bed_exec 2 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$build/checks/corovip-check-postgres" --role primary "$mon") &&
	fail "the monitoring role's check called the standby n2 the primary: $out"
ok "the check as nobody with the monitoring role (a password file only it reads): n1 primary, n2 standby, n2 not primary ($out)"
# the oracle: straight at the standby's own address, every write is refused
# as read-only and every sample is in recovery, both naming n2
out=$(ip netns exec "$(bed_ns c)" "$PG_WRITER" -m write -N 3 -i 0 -r 0 "$(pg_conninfo "$(bed_ip 2)")")
{ [ "$(bed_field readonly "$out")" = 3 ] && [ "$(grep -c 'kind=readonly sqlstate=25006 node=n2 ' <<<"$out")" = 3 ]; } ||
	fail "the writer at the standby n2 did not see 3 read-only refusals: $out"
out=$(ip netns exec "$(bed_ns c)" "$PG_WRITER" -m sample -n -N 3 -i 0 "$(pg_conninfo "$(bed_ip 2)")")
{ [ "$(bed_field in_recovery "$out")" = 3 ] && [ "$(grep -c ' OK seq=[0-9]* node=n2 .*recovery=t$' <<<"$out")" = 3 ]; } ||
	fail "the sampler at the standby n2 did not see it in recovery 3 times: $out"
ok "the client's oracle: at the standby's own address every write is refused as read-only, every sample is in recovery (n2)"
bed_bg writer ip netns exec "$(bed_ns c)" "$PG_WRITER" -m write -i 20 -c 300 -t 2000 -r 20 "$(pg_conninfo $RW)"
bed_bg sampler ip netns exec "$(bed_ns c)" "$PG_WRITER" -m sample -n -i 50 -c 300 -t 2000 -r 20 "$(pg_conninfo $RW)"
wait_acks n1 15000 20 || fail "$BED_LAST"
ok "the client writes through db-rw to n1 ($(acks n1) acknowledged)"

# 2. failover by the checks alone
sw=$(switches)
t0=$(bed_now_ms)
pg_stop 1 fast || fail "stopping n1's PostgreSQL"
t1=$(bed_now_ms)
pg_promote 2 || fail "promoting n2"
t2=$(bed_now_ms)
bed_wait_until "$MOVE_MS" "db-rw on n2" held_by $RW n2 || fail "$BED_LAST"
moved=$(watch_first watch n2 "$t0")
[ -n "$moved" ] || fail "the watcher saw no db-rw on n2"
bed_wait_until 15000 "the writes to resume on n2" switched "$sw" || fail "$BED_LAST"
line=$(switch_line "$sw")
[[ "$line" == *" from=n1 to=n2 "* ]] || fail "the writes moved elsewhere: $line"
gap1=$(bed_field gap_ms "$line")
ok "failover (checks every ${IVL} ms, fall 2, rise 2): n1 stopped in $((t1 - t0)) ms, n2 promoted in $((t2 - t1)) ms; db-rw on n2 $((moved - t2)) ms after the promotion"
ok "the writes resumed on n2: write outage ${gap1%.*} ms (the client's last write on n1 to its first on n2)"
bed_wait_until "$MOVE_MS" "db-ro on n2 (fallback: no standby left)" held_by $RO n2 || fail "$BED_LAST"
{ [ "$(pg_role 2)" = primary ] && ! pg_running 1; } || fail "db-ro on n2, but n2 is $(pg_role 2), n1 $(pg_role 1)"
ok "db-ro on the primary n2, by its fallback_check (no standby left; it held n2 as a standby before)"

# 3. n1 again, as n2's standby
t0=$(bed_now_ms)
{ pg_clone 1 2 && pg_start 1 && pg_wait_streaming 1 30000; } || fail "n1 as n2's standby: $BED_LAST"
bed_wait_until "$MOVE_MS" "db-ro on n1 (a standby again)" held_by $RO n1 || fail "$BED_LAST"
held_by $RW n2 || fail "db-rw left n2: $BED_LAST"
ok "n1 re-cloned as n2's standby in $(($(bed_now_ms) - t0)) ms: db-ro on n1, db-rw stays on n2"

# 4. switchover back, the push path
wait_acks n2 10000 || fail "$BED_LAST"
sw=$(switches)
t0=$(bed_now_ms)
pg_stop 2 fast || fail "stopping n2's PostgreSQL"
t1=$(bed_now_ms)
for v in db-rw db-ro; do ctl 2 recheck "$v" >/dev/null || fail "corovipctl recheck $v on n2"; done
pg_promote 1 || fail "promoting n1"
t2=$(bed_now_ms)
for v in db-rw db-ro; do ctl 1 recheck "$v" >/dev/null || fail "corovipctl recheck $v on n1"; done
t3=$(bed_now_ms)
bed_wait_until 5000 "db-rw on n1" held_by $RW n1 || fail "$BED_LAST"
moved=$(watch_first watch n1 "$t0")
[ -n "$moved" ] || fail "the watcher saw no db-rw on n1"
[ $((moved - t2)) -lt 1500 ] || fail "db-rw on n1 only $((moved - t2)) ms after the promotion and its recheck"
bed_wait_until 15000 "the writes to resume on n1" switched "$sw" || fail "$BED_LAST"
line=$(switch_line "$sw")
[[ "$line" == *" from=n2 to=n1 "* ]] || fail "the writes moved elsewhere: $line"
gap2=$(bed_field gap_ms "$line")
ok "switchover with corovipctl recheck: n2 stopped in $((t1 - t0)) ms, n1 promoted in $((t2 - t1)) ms, rechecks in $((t3 - t2)) ms; db-rw on n1 $((moved - t2)) ms after the promotion"
ok "the writes resumed on n1: write outage ${gap2%.*} ms (checks alone: ${gap1%.*} ms)"
bed_wait_until 5000 "db-ro on n1 (fallback: no standby left)" held_by $RO n1 || fail "$BED_LAST"
seen=$(watch_since watch-ro "$t0")
ok "db-ro on the primary n1, by its fallback_check (it held n1 as a standby before; holders since the switchover: ${seen:-n1 })"
# the recheck's two outcomes (pg-standby fails, pg-primary passes) are taken together
[ -z "$seen" ] || [ "$seen" = "n1 " ] || fail "db-ro left n1 when n1 changed roles: $seen"

# 5. the primary's node partitioned away
t0=$(bed_now_ms)
{ pg_clone 2 1 && pg_start 2 && pg_wait_streaming 2 30000; } || fail "n2 as n1's standby: $BED_LAST"
bed_wait_until "$MOVE_MS" "db-ro on n2 (a standby again)" held_by $RO n2 || fail "$BED_LAST"
ok "n2 re-cloned as n1's standby in $(($(bed_now_ms) - t0)) ms: db-ro on n2"
wait_acks n1 10000 || fail "$BED_LAST"
t0=$(bed_now_ms)
bed_partition 1 || fail "partitioning n1 away"
bed_wait_inquorate 1 15000 || fail "n1 still quorate: $BED_LAST"
bed_wait_until 15000 "n1 to release db-rw" held_by $RW none || fail "$BED_LAST"
rel=$(watch_first watch - "$t0")
ok "n1 (primary) partitioned away without quorum: it released db-rw $((rel - t0)) ms after the split"
# the other side: n2 a standby, n3 no database: nobody passes pg-primary.
# Its WAL receiver sees the primary gone after wal_receiver_timeout (5 s),
# then db-ro has no healthy standby and no primary to fall back to.
bed_wait_until 20000 "db-ro released (n2's WAL receiver lost n1, no primary to fall back to)" \
	held_by $RO none || fail "$BED_LAST"
ro_gone=$(watch_first watch-ro - "$t0")
held_by $RW none || fail "db-rw taken by the majority side: $BED_LAST"
[ "$(pg_role 2)" = standby ] || fail "n2 is no longer a standby: $(pg_role 2)"
seen=$(watch_since watch "$rel")
[ "$seen" = "- " ] || fail "db-rw held by the majority side during the partition: $seen"
ok "the majority side (n2 a standby, n3) never took db-rw ($(($(bed_now_ms) - rel)) ms watched): nobody is primary there"
ok "db-ro: stayed on n2 while its WAL receiver streamed, released $((ro_gone - t0)) ms after the split (n2's receiver lost n1; no primary to fall back to)"
t1=$(bed_now_ms)
bed_heal_all || fail "healing the partition"
bed_wait_quorate 1 15000 "1 2 3" || fail "n1 back in the quorum: $BED_LAST"
bed_wait_until "$MOVE_MS" "db-rw back on n1" held_by $RW n1 || fail "$BED_LAST"
back=$(watch_first watch n1 "$t1")
pg_wait_streaming 2 30000 || fail "n2 streaming from n1 again: $BED_LAST"
bed_wait_until "$MOVE_MS" "db-ro back on n2" held_by $RO n2 || fail "$BED_LAST"
wait_acks n1 15000 || fail "$BED_LAST"
read -r gap3 _ _ <<<"$(outage_since "$t0")"
ok "healed: db-rw back on n1 $((back - t1)) ms after the heal, db-ro on n2, the writes resumed on n1 (write outage ${gap3:-?} ms, partition included)"

# 6. what the client and the watchers saw
pg_client_stop || fail "$BED_LAST"
note "writer:  $PG_WS"
note "sampler: $PG_SS"
pg_client_clean db-rw || fail "$BED_LAST"
ok "no write refused as read-only or in recovery ($(bed_field ok "$PG_WS") acknowledged), no sample of db-rw in recovery ($(bed_field ok "$PG_SS") samples)"
# every acknowledged write is in the table of the primary at the end (the
# switches were clean stops: a fast shutdown sends all WAL to the standby)
awk '$3 == "OK" { sub(/^seq=/, "", $4); print $4 }' "$BED_DIR/writer.log" | sort >"$BED_DIR/acked"
pg_sql 1 "SELECT seq FROM corovip_writes" corovip | sort >"$BED_DIR/stored" || fail "reading corovip_writes on n1"
lost=$(comm -23 "$BED_DIR/acked" "$BED_DIR/stored" | wc -l)
[ "$lost" = 0 ] || fail "$lost acknowledged writes are not in n1's table: $(comm -23 "$BED_DIR/acked" "$BED_DIR/stored" | head -5 | paste -sd' ' -)"
ok "no acknowledged write lost: all $(wc -l <"$BED_DIR/acked") are in the primary's table at the end ($(wc -l <"$BED_DIR/stored") rows)"
for w in watch watch-ro; do
	s=$(bed_watch_stop "$w") || fail "the watcher $w"
	[ "$(bed_field multi "$s")" = 0 ] || fail "$w: a VIP on two nodes at once: $s"
done
ok "neither VIP was ever on two nodes (the address watcher, every 10 ms)"
restarts=""
for i in 1 2 3; do
	[ "$(bed_restarts "$i" corovipd)" = 0 ] || restarts+=" n$i: $(bed_restarts "$i" corovipd)"
	bed_norestart "$i" corovipd
	bed_stop "$i" corovipd 10000 || fail "corovipd on n$i did not stop"
done
[ -z "$restarts" ] || note "corovipd was restarted by its supervisor (its reaper killed it: the loop did not get the CPU):$restarts"
ok "done in $((SECONDS - t_all)) s"
