#!/bin/bash
# Link state as an engine event (issue 5): a VIP's interface losing its
# carrier makes its node unfit for that VIP, as keepalived goes to FAULT, so
# the VIP moves by a handoff, never with two holders; carrier back makes the
# node a candidate again. corovipd on 3 real corosync nodes (tests/
# integration/bed.sh, namespaces prefixed "lk" so that they never meet
# another bed's). The VIP lives on a second interface, vip0, so that cutting
# its carrier leaves corosync's ring (on eth0) alone.
#   tests/integration/link-state.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-lk}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=198.51.100.50

held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
# carrier I up|down: the switch side of node I's vip0 (its carrier) goes up or down.
carrier() { ip -n "$(bed_ns sw)" link set "pv$1" "$2"; }

bed_cluster_up 3
for i in 1 2 3; do
	ip -n "$(bed_ns sw)" link add "pv$i" type veth peer name vip0 netns "$(bed_ns "$i")"
	ip -n "$(bed_ns "$i")" link set vip0 up
	carrier "$i" up
done
cat >"$BED_DIR/corovip.conf" <<EOC
node n1 {
}
node n2 {
}
vip web {
	address: $VIP/24
	interface: vip0
	prefer: n1 n2
}
EOC
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "n1 to hold web" held_by n1 >/dev/null || fail "$BED_LAST"
bed_watch_start $VIP >/dev/null

carrier 1 down
bed_wait_until 3000 "web to move to n2 after n1's vip0 lost its carrier" held_by n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's vip0 without carrier: web moved to n2 in ${BED_WAITED_MS} ms"

# Carrier back on n1 (fit again, but web stays: stickiness); then n2 loses
# its own: the VIP can only go back to n1 if n1 counts as fit again.
carrier 1 up
bed_wait_until 3000 "n1's vip0 carrier" sh -c "ip -n $(bed_ns 1) link show vip0 | grep -q LOWER_UP" ||
	fail "$BED_LAST"
carrier 2 down
bed_wait_until 3000 "web back to n1 after n2's vip0 lost its carrier" held_by n1 >/dev/null ||
	fail "$BED_LAST"
echo "ok - carrier back on n1, n2's lost: web back on n1 in ${BED_WAITED_MS} ms"

s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
echo "ok - the checker never saw two holders ($s)"
bed_down
