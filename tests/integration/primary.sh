#!/bin/bash
# A database primary's VIP (issue 16) in corovipd on 3 real corosync nodes
# (tests/integration/bed.sh, namespaces prefixed "pv"), its check a flag
# file per node standing for "this node's database is the primary"
# (exec /usr/bin/test -e FILE as script_user nobody) that runs only every
# 30 s with rise 3 and fall 3: only `corovipctl recheck` moves it quickly.
#   1. n2 becomes primary: nobody holds db until n2's recheck; then n2 does,
#      within a second (not the 90 s of three runs);
#   2. a switchover: n2's flag goes, n3's comes, each node rechecks: db on
#      n3 within a second, never on two nodes;
#   3. a split: n2's flag comes back while n3's stays: after the rechecks
#      nobody holds db (exclusive), and corovipctl status on every node says
#      why; n3's flag goes: db back on n2 alone;
#   5. metrics_listen: GET /metrics over HTTP inside a node says it holds db,
#      and promtool check metrics passes on it; other paths 404, POST 405;
#   4. corovipctl recheck of an unknown VIP fails and says so; each recheck
#      leaves an audit line (uid, command, VIP, result) in the daemon's log;
#   6. a read-only VIP (check: pg-standby, fallback_check: pg-primary) on
#      the standby n1; n1 becomes a primary and rechecks: the recheck's two
#      outcomes (pg-standby fails, pg-primary passes) are taken together, so
#      ro stays on n1 (one at a time, it would leave for n2, the other
#      primary, and stay there).
#   tests/integration/primary.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-pv}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=198.51.100.70
RO=198.51.100.71

# held_by NODE|none
held_by() {
	local h
	h=$(bed_holders "${2:-$VIP}")
	[ "${h:-none}" = "$1" ] || { BED_LAST="holders: ${h:-none}"; return 1; }
}
ctl() { bed_exec "$1" "$build/ctl/corovipctl" "${@:2}"; }
recheck_all() { local i; for i in 1 2 3; do ctl "$i" recheck db >/dev/null || fail "recheck on n$i"; done; }

bed_cluster_up 3
bed_temp_dir flags corovip-primary
chmod 0755 "$flags"
for i in 1 2 3; do
	cat >"$BED_DIR/n$i/corovip.conf" <<EOC
cluster {
	script_user: nobody
	metrics_listen: 127.0.0.1:9464
}
check pg-primary {
	exec: /usr/bin/test -e $flags/primary-n$i
	interval: 30s
	timeout: 2s
	rise: 3
	fall: 3
}
check pg-standby {
	exec: /usr/bin/test -e $flags/standby-n$i
	interval: 30s
	timeout: 2s
	rise: 3
	fall: 3
}
vip db {
	address: $VIP/24
	interface: eth0
	check: pg-primary
	exclusive: yes
}
vip ro {
	address: $RO/24
	interface: eth0
	check: pg-standby
	fallback_check: pg-primary
}
EOC
	chmod 0644 "$BED_DIR/n$i/corovip.conf"
	# supervised as systemd would: a reaper may kill a daemon starved on a loaded machine
	bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i/corovip.conf"
done
bed_watch_start $VIP >/dev/null
for i in 1 2 3; do bed_wait_until 10000 "n$i's corovipctl" ctl "$i" status >/dev/null || fail "$BED_LAST"; done

# 1. n2 becomes primary
touch "$flags/primary-n2"
# stays NODE|none MS [VIP]: held so all along (sampled every 100 ms)
stays() {
	local t0
	t0=$(bed_now_ms)
	while [ $(($(bed_now_ms) - t0)) -lt "$2" ]; do
		held_by "$1" "${3:-}" || return 1
		sleep 0.1
	done
}
stays none 1500 || fail "db taken before any recheck: $BED_LAST"
t0=$(bed_now_ms)
out=$(ctl 2 recheck db) || fail "corovipctl recheck db on n2"
[[ "$out" == *"rechecking 1 check(s) of VIP 'db'"* ]] || fail "recheck said: $out"
bed_wait_until 3000 "db on n2" held_by n2 >/dev/null || fail "$BED_LAST"
took=$(($(bed_now_ms) - t0))
[ "$took" -lt 1000 ] || fail "db took $took ms after the recheck"
echo "ok - n2 primary: db held by nobody until its recheck, then on n2 in $took ms (the check runs every 30 s, rise 3)"

# 2. a switchover
rm "$flags/primary-n2"
touch "$flags/primary-n3"
t0=$(bed_now_ms)
recheck_all
bed_wait_until 3000 "db on n3" held_by n3 >/dev/null || fail "$BED_LAST"
took=$(($(bed_now_ms) - t0))
[ "$took" -lt 1000 ] || fail "db moved $took ms after the rechecks"
echo "ok - switchover n2 -> n3: db on n3 in $took ms after the rechecks"

# 3. a split
touch "$flags/primary-n2"
recheck_all
bed_wait_until 3000 "nobody to hold db (two primaries)" held_by none >/dev/null || fail "$BED_LAST"
for i in 1 2 3; do
	st=$(ctl "$i" status) || fail "status on n$i"
	grep -q "held by nobody: more than one node passes its checks (pg-primary: exclusive)" <<<"$st" ||
		fail "n$i's status does not say why: $st"
	js=$(ctl "$i" status --json) || fail "status --json on n$i"
	[ "$(jq -r '.vips[] | select(.name == "db") | .placed' <<<"$js")" = split ] ||
		fail "n$i's JSON status does not say split: $js"
done
echo "ok - a split (n2 and n3 primary): db held by nobody, and every node's status says why"
rm "$flags/primary-n3"
recheck_all
bed_wait_until 3000 "db on n2" held_by n2 >/dev/null || fail "$BED_LAST"
echo "ok - n3 no longer primary: db on n2"
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "db on two nodes at once: $s"
echo "ok - the checker never saw db on two nodes ($s)"

# 5. the Prometheus listener (metrics_listen), inside each node
for t in curl promtool; do command -v $t >/dev/null || fail "needs $t (tests/install-deps)"; done
body=$(bed_exec 2 curl -sS --max-time 5 http://127.0.0.1:9464/metrics) || fail "GET /metrics on n2"
grep -q '^corovip_vip_held{vip="db"} 1$' <<<"$body" || fail "n2's metrics do not say it holds db: $body"
grep -q '^corovip_build_info{version="' <<<"$body" || fail "no corovip_build_info"
lint=$(promtool check metrics <<<"$body" 2>&1) || fail "promtool check metrics: $lint"
code=$(bed_exec 2 curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:9464/other) || true
[ "$code" = 404 ] || fail "GET /other answered $code, not 404"
code=$(bed_exec 2 curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X POST http://127.0.0.1:9464/metrics) || true
[ "$code" = 405 ] || fail "POST /metrics answered $code, not 405"
echo "ok - GET http://127.0.0.1:9464/metrics on n2: $(wc -l <<<"$body") lines, promtool check metrics passes; other paths 404, POST 405"

# 4. an unknown VIP
if out=$(ctl 1 recheck nope 2>&1); then fail "recheck of an unknown VIP succeeded: $out"; fi
[[ "$out" == *"no such VIP 'nope'"* ]] || fail "recheck of an unknown VIP said: $out"
echo "ok - recheck of an unknown VIP: $out"
# every command that changes something leaves one audit line: who, what, how it went
grep -q "audit: uid=0 command=recheck vip=db result=ok" "$BED_DIR/n2/corovipd.out" ||
	fail "no audit line of n2's recheck"
grep -q "audit: uid=0 command=recheck vip=nope result=refused why=no such VIP 'nope'" \
	"$BED_DIR/n1/corovipd.out" || fail "no audit line of n1's refused recheck"
echo "ok - the audit lines: $(grep -h -m1 'audit:' "$BED_DIR/n1/corovipd.out" | sed 's/^.*audit/audit/')"

# 6. a role change's recheck: its outcomes together
bed_wait_until 3000 "ro on the primary n2 (its fallback)" held_by n2 $RO >/dev/null || fail "$BED_LAST"
touch "$flags/standby-n1"
ctl 1 recheck ro >/dev/null || fail "corovipctl recheck ro on n1"
bed_wait_until 3000 "ro on the standby n1" held_by n1 $RO >/dev/null || fail "$BED_LAST"
bed_watch_start $RO watch-ro >/dev/null || fail "the address watcher of ro"
rm "$flags/standby-n1"
touch "$flags/primary-n1"
out=$(ctl 1 recheck ro) || fail "corovipctl recheck ro on n1 (now a primary)"
[[ "$out" == *"rechecking 2 check(s) of VIP 'ro'"* ]] || fail "recheck said: $out"
bed_wait_until 3000 "n1's pg-primary to pass" grep -q "check 'pg-primary' (exec) passes" \
	"$BED_DIR/n1/corovipd.out" || fail "$BED_LAST"
stays n1 1000 $RO || fail "ro left n1 when n1's role changed: $BED_LAST"
s=$(bed_watch_stop watch-ro)
seen=$(awk '$2 ~ /^holders=/ { sub(/^holders=/, "", $2); printf "%s ", $2 }' "$BED_DIR/watch-ro.log")
[ "$seen" = "n1 " ] || fail "ro's holders while n1's role changed (sampled every 10 ms): $seen"
echo "ok - n1 standby -> primary, one recheck: ro stays on n1 (its fallback now) all along ($s)"

for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "corovipd on n$i did not stop"; done
