#!/bin/bash
# SIGHUP reload on a running cluster: a VIP added by the reload is taken by
# one node, the VIP the reload did not change never moves or drops (the
# independent checker sees the same single holder throughout).
#   tests/integration/reload.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }

config() {
	cat >"$BED_DIR/corovip.conf" <<EOC
node n1 {
}
vip web {
	address: 192.0.2.50/24
	interface: eth0
	prefer: n1
}
$1
EOC
}
held_by_one() { [[ "$(bed_holders "$1")" =~ ^n[0-9]+$ ]] || { BED_LAST="holders: $(bed_holders "$1")"; return 1; }; }

bed_cluster_up 3
config ""
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "web to be held" held_by_one 192.0.2.50 >/dev/null
web=$(bed_holders 192.0.2.50)
bed_watch_start 192.0.2.50 >/dev/null

config "vip api {
	address: 192.0.2.51/24
	interface: eth0
}"
for i in 1 2 3; do kill -HUP "$(bed_pid "$i" corovipd)"; done
bed_wait_until 10000 "the new VIP to be held" held_by_one 192.0.2.51 >/dev/null
s=$(bed_watch_stop)
[ "$(bed_holders 192.0.2.50)" = "$web" ] || fail "web moved from $web"
[ "$(bed_field zero_samples "$s")" = 0 ] || fail "web dropped during the reload: $s"
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
echo "ok - reload added api (held by $(bed_holders 192.0.2.51)); web stayed on $web without a drop"
bed_down
