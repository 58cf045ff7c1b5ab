#!/bin/bash
# SIGHUP reload on a running cluster: a VIP added by the reload is taken by
# one node, the VIP the reload did not change never moves or drops (the
# independent checker sees the same single holder throughout).
#
# Then one owner per address (issue 11), read from the kernel: reconcile
# removes a leftover with our tag on an interface of ours, but never an
# address of another owner (the OCF agent's tag, another group's,
# corovip-l2's) nor one with our tag on an interface no config names; once a
# reload names that interface, it is ours. The reaper of a daemon killed
# after that reload removes the VIP the reload put on the new interface
# (it was told of it), long before the kernel lease, and leaves the other
# owners' addresses alone.
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

# ---- one owner per address ----
L2=$build/l2/corovip-l2
# (grep reads it all: with -q, ip could die of SIGPIPE and pipefail say "absent")
has() { bed_exec "$1" ip -o addr show dev "$2" </dev/null | grep " inet6\? $3/" >/dev/null; }
gone() { ! has "$@" || { BED_LAST="$3 still on n$1 $2"; return 1; }; }
foreign="eth0 192.0.2.90 0x6f
eth0 192.0.2.91 0x81
eth0 192.0.2.92 0x6c"
for i in 1 2 3; do
	bed_exec "$i" ip link add cv9 type veth peer name cv9p
	bed_exec "$i" ip link set cv9p up
	bed_exec "$i" ip link set cv9 up
done
# (on every node: the reaper is checked on whichever holds db later)
for i in 1 2 3; do
	while read -r dev a tag; do
		bed_exec "$i" "$L2" add "$dev" "$a/32" --lease 0 --tag "$tag" </dev/null >/dev/null
	done <<<"$foreign"
done
bed_exec 3 "$L2" add cv9 203.0.113.93/32 --lease 0 --tag 0x63 >/dev/null
bed_exec 3 "$L2" add eth0 192.0.2.94/32 --lease 0 --tag 0x63 >/dev/null
bed_wait_until 12000 "reconcile to remove our leftover" gone 3 eth0 192.0.2.94 >/dev/null ||
	fail "our leftover 192.0.2.94 stayed"
while read -r dev a tag; do
	has 3 "$dev" "$a" || fail "reconcile removed $a (tag $tag), not ours"
done <<<"$foreign"
has 3 cv9 203.0.113.93 || fail "reconcile removed 203.0.113.93 on cv9, which no config names"
echo "ok - reconcile removed our leftover, and left the other owners' addresses and an interface not ours alone"

config "vip api {
	address: 192.0.2.51/24
	interface: eth0
}
vip db {
	address: 203.0.113.60/24
	interface: cv9
}"
for i in 1 2 3; do kill -HUP "$(bed_pid "$i" corovipd)"; done
# (prefer n3; but the node that reloaded first may take it, and keep it: sticky)
bed_wait_until 10000 "db to be held" held_by_one 203.0.113.60 >/dev/null || fail "nobody holds db"
D=$(bed_holders 203.0.113.60)
D=${D#n}
bed_wait_until 12000 "reconcile to remove 203.0.113.93 on cv9, ours now" gone 3 cv9 203.0.113.93 >/dev/null ||
	fail "203.0.113.93 stayed on cv9 after a reload named it"
t0=$(bed_now_ms)
bed_kill "$D" corovipd
bed_wait_until 3000 "the reaper to remove db" gone "$D" cv9 203.0.113.60 >/dev/null ||
	fail "the reaper left db on n$D's cv9 (a reload's interface) for the kernel lease"
t1=$(bed_now_ms)
while read -r dev a tag; do
	has "$D" "$dev" "$a" || fail "the reaper removed $a (tag $tag) on n$D, not ours"
done <<<"$foreign"
bed_wait_until 5000 "db to be taken over" held_by_one 203.0.113.60 >/dev/null || fail "nobody took db over"
echo "ok - the reaper removed db from the reload's interface $((t1 - t0)) ms after the kill (kernel lease 10 s), left the other owners' addresses, and db moved on"
bed_down
