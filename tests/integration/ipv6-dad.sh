#!/bin/bash
# An IPv6 VIP with `nodad: no` (issue 5), in corovipd on 3 real corosync
# nodes (tests/integration/bed.sh, namespaces prefixed "dd"):
#  1. the holder announces (unsolicited NA) only once the kernel's duplicate
#     address detection has passed: its NA comes the DAD time (about 1 s)
#     after the kernel's DAD solicitation, not with the add;
#  2. when another host already has the address, DAD fails on every node:
#     each one counts it as a failed add and says so, the VIP ends up held by
#     nobody, no daemon dies, and the checker never sees two holders.
#   tests/integration/ipv6-dad.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v tcpdump >/dev/null || { echo "SKIP: needs tcpdump"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-dd}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=2001:db8::50

# node I's addresses: "VIP" (held, DAD passed), "tentative", or "" (none)
vip_state() {
	local out
	out=$(ip -n "$(bed_ns "$1")" -6 -o addr show dev eth0)
	case "$out" in
	*" $VIP/64 "*tentative*) echo tentative ;;
	*" $VIP/64 "*) echo VIP ;;
	esac
}
held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
passed_on() { [ "$(vip_state "$1")" = VIP ] || { BED_LAST="n$1: $(vip_state "$1")"; return 1; }; }
# time (epoch us) of the first capture line of KIND (solicitation or
# advertisement) from node I's MAC
first_frame() {
	awk -v mac="$(bed_mac "$2")" -v kind="$1" '$2 == mac && $0 ~ ("ICMP6, neighbor " kind) {
		t = $1; sub(/\./, "", t); print t; exit }' "$BED_DIR/nd.log"
}
has_frame() { [ -n "$(first_frame "$1" "$2")" ] || { BED_LAST="no such frame yet"; return 1; }; }
daemons_up() { local i; for i in 1 2 3; do bed_pid "$i" corovipd >/dev/null || return 1; done; }
failed_everywhere() {
	local i
	for i in 1 2 3; do
		bed__log_has "$BED_DIR/n$i/corovipd.out" "duplicate address detection failed" ||
			{ BED_LAST="not yet on n$i"; return 1; }
	done
}

bed_cluster_up 3
cat >"$BED_DIR/corovip.conf" <<EOC
node n1 {
}
vip web6 {
	address: $VIP/64
	interface: eth0
	prefer: n1
	nodad: no
}
EOC
# The client hears neighbour solicitations and advertisements.
bed_build_tools >/dev/null
bed_bg nd ip netns exec "$(bed_ns c)" tcpdump -l -n -e -tt -i eth0 'icmp6 and (ip6[40] == 135 or ip6[40] == 136)'
bed_wait_until 3000 "tcpdump to listen" bed__log_has "$BED_DIR/nd.log" 'listening on' || fail "$BED_LAST"

# ---- 1. DAD passes, then the announce ----
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 15000 "n1 to hold $VIP with DAD passed" passed_on 1 >/dev/null || fail "$BED_LAST"
bed_watch_start $VIP >/dev/null
held_by n1 || fail "$BED_LAST"
bed_wait_until 3000 "n1's unsolicited NA" has_frame advertisement 1 || fail "$BED_LAST"
ns=$(first_frame solicitation 1)
na=$(first_frame advertisement 1)
[ -n "$ns" ] || fail "no DAD solicitation from n1 seen"
gap=$(((na - ns) / 1000))
[ "$gap" -ge 500 ] || fail "n1 announced ${gap} ms after its DAD solicitation: it did not wait for DAD"
bed__log_has "$BED_DIR/n1/corovipd.out" "duplicate address detection passed" || fail "no 'DAD passed' in n1's log"
echo "ok - DAD passed on n1; its NA came ${gap} ms after the kernel's DAD solicitation"

# ---- 2. another host has the address: DAD fails everywhere ----
for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "corovipd on n$i did not stop"; done
bed_wait_until 3000 "nobody to hold $VIP" held_by "" >/dev/null || fail "$BED_LAST"
ip -n "$(bed_ns c)" addr add "$VIP/64" dev eth0
bed_wait_until 5000 "the client's own DAD" bash -c \
	"ip -n $(bed_ns c) -6 -o addr show dev eth0 | grep ' $VIP/64 ' | grep -vq tentative" || fail "$BED_LAST"
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 30000 "every node to report the failed DAD" failed_everywhere || fail "$BED_LAST"
bed_wait_until 3000 "nobody to hold $VIP" held_by "" >/dev/null || fail "$BED_LAST"
daemons_up || fail "a daemon died"
echo "ok - with the address on another host, DAD failed on n1, n2 and n3, each said so, nobody holds it"

s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of $VIP: $s"
echo "ok - the checker never saw two holders ($s)"
bed_down
