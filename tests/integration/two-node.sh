#!/bin/bash
# Two nodes with corosync-qdevice and corosync-qnetd (ffsplit, on a second
# segment) as the tie-breaker (issue 6). The holder is n2; the n1-n2 path is
# cut while both still reach qnetd: qnetd gives its vote to n1 (lowest id).
# n2 must let go at once (a quorum device's vote is not counted as ours), n1
# takes the VIP, and the checker never sees two holders.
#   tests/integration/two-node.sh [BUILD_DIR]     (root; needs corosync-qnetd/-qdevice)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v corosync-qnetd >/dev/null || { echo "SKIP: corosync-qnetd not installed"; exit 77; }
cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
VIP=192.0.2.50
fail() { echo "FAIL: $*"; exit 1; }
holder_is() {
	local h
	h=$(bed_field holders "$(bed_watch_now)")
	BED_LAST="holders=$h"
	[ "$h" = "$1" ]
}

bed_up 2 >/dev/null
bed_qnetd_up >/dev/null
for i in 1 2; do bed_corosync_start "$i"; done
for i in 1 2; do bed_qdevice_start "$i" >/dev/null; done
for i in 1 2; do bed_wait_quorate "$i" 15000 "1 2" >/dev/null; done
cat >"$BED_DIR/corovip.conf" <<EOC
cluster {
	kernel_lease: 3s
}
node n2 {
}
vip web {
	address: $VIP/24
	interface: eth0
	prefer: n2
}
EOC
bed_watch_start "$VIP" >/dev/null
for i in 1 2; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "n2 to hold the VIP" holder_is n2 >/dev/null
t0=$(bed_now_ms)
bed_partition 1 2
bed_wait_until 10000 "n1 (qnetd's choice) to take the VIP" holder_is n1 >/dev/null
took=$(($(bed_now_ms) - t0))
bed_heal_all
for i in 1 2; do bed_wait_quorate "$i" 15000 "1 2" >/dev/null; done
holder_is n1 || fail "after the heal: $BED_LAST"
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders at once: $s"
echo "ok - 2 nodes + qnetd: n1|n2 split with both reaching qnetd, n2 let go, n1 took the VIP after $took ms; never two holders"
bed_down

# A plain two_node cluster (no quorum device) is not split-brain safe:
# corovipd holds nothing there unless two_node_unsafe says so.
BED_QUORUM_EXTRA="    two_node: 1"
export BED_QUORUM_EXTRA
bed_up 2 >/dev/null
for i in 1 2; do bed_corosync_start "$i"; done
for i in 1 2; do bed_wait_quorate "$i" 15000 "1 2" >/dev/null; done
sed 's/kernel_lease: 3s/kernel_lease: 3s\n\ttwo_node_unsafe: no/' >"$BED_DIR/corovip.conf" <<EOC
cluster {
	kernel_lease: 3s
}
vip web {
	address: $VIP/24
	interface: eth0
}
EOC
bed_watch_start "$VIP" >/dev/null
for i in 1 2; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
# An absence can only be watched for a while: 3 s is several exchanges long.
deadline=$(($(bed_now_ms) + 3000))
while [ "$(bed_now_ms)" -lt "$deadline" ]; do
	holder_is - || holder_is "" || fail "plain two_node: $BED_LAST"
done
# status says why, on both nodes, in text and in JSON
for i in 1 2; do
	st=$(bed_exec "$i" "$build/ctl/corovipctl" status) || fail "status on n$i"
	grep -q "why: held by nobody: a plain two_node cluster needs a quorum device (corosync-qdevice) or two_node_unsafe: yes" <<<"$st" ||
		fail "n$i's status does not say why: $st"
	code=$(bed_exec "$i" "$build/ctl/corovipctl" status --json | jq -r '.vips[0].why.code')
	[ "$code" = two-node ] || fail "n$i's status --json: why.code $code, not two-node"
done
echo "ok - plain two_node: status on both nodes says it needs a quorum device or two_node_unsafe"
sed -i 's/two_node_unsafe: no/two_node_unsafe: yes/' "$BED_DIR/corovip.conf"
for i in 1 2; do kill -HUP "$(bed_pid "$i" corovipd)"; done
bed_wait_until 5000 "a holder once two_node_unsafe is set" bash -c \
	"for n in $(bed_ns 1) $(bed_ns 2); do ip -n \$n -o addr; done | grep -q ' $VIP/'" >/dev/null
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders at once: $s"
echo "ok - plain two_node: no VIP held without two_node_unsafe; held once it is set (reload)"
bed_down
