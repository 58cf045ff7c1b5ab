#!/bin/bash
# The runtime commands survive a restart of the whole cluster (issue 17):
# 3 real corosync nodes (namespaces "pe"), corovipd with its state directory
# per node (the bed's STATE_DIRECTORY, as systemd's StateDirectory=).
#   1. standby n3, maintenance on, a move of web to n2 (recorded, not
#      done: maintenance moves nothing), and bans of web from n3 (for 1 h)
#      and from n1: each node writes them to its admin-state file;
#   2. every daemon stopped, n2's file damaged meanwhile, every daemon
#      started again: all three say n3 is in standby and maintenance is on
#      (n2 logged its damaged file and learned them from the others); web,
#      nobody's before, is taken by nobody (maintenance); both bans are
#      listed everywhere, n3's ending an hour after it was asked (the wall
#      clock end kept in the files);
#   3. maintenance off: the move kept across the restart puts web on n2;
#      unstandby n3, clear web: the files say so.
#   tests/integration/persist.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-pe}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=192.0.2.90
ctl() { bed_exec "$1" "$build/ctl/corovipctl" "${@:2}"; }
js() { ctl "$1" status --json; }
says() { local v; v=$(js "$1" | jq -r "$2") && [ "$v" = "$3" ] || { BED_LAST="n$1: $2 is ${v:-?}"; return 1; }; }
everywhere() { local i; for i in 1 2 3; do bed_wait_until 10000 "n$i: $1" says "$i" "$2" "$3" >/dev/null || fail "$BED_LAST"; done; }
holders_are() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
file_has() { grep -qx "$2" "$BED_DIR/n$1/state/admin-state" 2>/dev/null || { BED_LAST="n$1's admin-state: $(grep -v '^#' "$BED_DIR/n$1/state/admin-state" 2>/dev/null | tr '\n' ';')"; return 1; }; }
start() { local i; for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done; }

bed_cluster_up 3
bed_corovip_conf $VIP/24 n1
start
bed_wait_until 10000 "web on n1" holders_are n1 >/dev/null || fail "$BED_LAST"

# 1. standby n3, maintenance on
ctl 1 standby n3 >/dev/null || fail "standby n3"
ctl 2 maintenance on >/dev/null || fail "maintenance on"
everywhere "n3 in standby" '.nodes[] | select(.name == "n3") | .standby' true
everywhere "maintenance" .cluster.maintenance true
ctl 1 move web n2 >/dev/null || fail "move web n2 during maintenance"
everywhere "the move recorded" '.vips[0].why.move_to' n2
holders_are n1 || fail "web moved during maintenance: $BED_LAST"
ctl 2 ban web n3 --lifetime 1h >/dev/null || fail "ban web n3 --lifetime 1h"
ban_until=$(($(date +%s) + 3600))
ctl 3 ban web n1 >/dev/null || fail "ban web n1"
everywhere "both bans" '[.vips[0].why.bans[].node] | sort | join(" ")' "n1 n3"
for i in 1 2 3; do
	bed_wait_until 5000 "n$i's file: the bans" file_has "$i" "ban web 3 1 [0-9]* [0-9]*" >/dev/null || fail "$BED_LAST"
	file_has "$i" "ban web 1 1 [0-9]* 0" || fail "$BED_LAST"
	bed_wait_until 5000 "n$i's file: the move" file_has "$i" "move web 2 [0-9]*" >/dev/null || fail "$BED_LAST"
	bed_wait_until 5000 "n$i's file: maintenance" file_has "$i" "standby 0 1 [0-9]*" >/dev/null || fail "$BED_LAST"
	file_has "$i" "standby 3 1 [0-9]*" || fail "$BED_LAST"
done
echo "ok - standby n3, maintenance on, move web n2 (recorded, web stays on n1), ban web n3 for 1 h and n1: every node's admin-state file has them all"

# 2. the whole cluster restarted; n2's file damaged meanwhile
for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "stopping n$i's corovipd"; done
bed_wait_until 5000 "web released" holders_are "" >/dev/null || fail "$BED_LAST"
printf 'standby 3 1\ngarbage\n' >"$BED_DIR/n2/state/admin-state"
start
everywhere "n3 in standby after the restart" '.nodes[] | select(.name == "n3") | .standby' true
everywhere "maintenance after the restart" .cluster.maintenance true
grep -q "admin-state: line 1: not 'standby NODEID 0|1 STAMP', 'move VIP TARGET STAMP' or 'ban VIP NODEID 0|1 STAMP UNTIL': ignored" \
	"$BED_DIR/n2/corovipd.out" || fail "n2 did not say its file was damaged"
t0=$(bed_now_ms)
while [ $(($(bed_now_ms) - t0)) -lt 3000 ]; do
	holders_are "" || fail "web taken during maintenance after the restart: $BED_LAST"
	sleep 0.1
done
everywhere "web's why" '.vips[0].why.code' maintenance
everywhere "both bans after the restart" '[.vips[0].why.bans[].node] | sort | join(" ")' "n1 n3"
for i in 1 2 3; do
	u=$(js "$i" | jq '.vips[0].why.bans[] | select(.node == "n3") | .until / 1000 | floor')
	[ "$u" -ge $((ban_until - 60)) ] && [ "$u" -le $((ban_until + 5)) ] ||
		fail "n$i: n3's ban ends at $u, not about $ban_until"
done
echo "ok - every daemon stopped and started again (n2's file damaged: it said so and learned from the others): all three say n3 in standby, maintenance on, web banned from n1 and (until an hour after it was asked) n3; nobody took web (3 s watched)"

# 3. off again
ctl 3 maintenance off >/dev/null || fail "maintenance off"
bed_wait_until 5000 "web on n2 (the move kept)" holders_are n2 >/dev/null || fail "$BED_LAST"
ctl 3 unstandby n3 >/dev/null || fail "unstandby n3"
ctl 1 clear web >/dev/null || fail "clear web"
for i in 1 2 3; do
	bed_wait_until 5000 "n$i's file: the bans cleared" file_has "$i" "ban web 3 0 [0-9]* 0" >/dev/null || fail "$BED_LAST"
	file_has "$i" "ban web 1 0 [0-9]* 0" || fail "$BED_LAST"
	bed_wait_until 5000 "n$i's file: maintenance off" file_has "$i" "standby 0 0 [0-9]*" >/dev/null || fail "$BED_LAST"
	bed_wait_until 5000 "n$i's file: n3 not in standby" file_has "$i" "standby 3 0 [0-9]*" >/dev/null || fail "$BED_LAST"
done
echo "ok - maintenance off: web on n2 by the move asked before the restart; unstandby n3, clear web; every file says so"
for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "stopping n$i's corovipd"; done
