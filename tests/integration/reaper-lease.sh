#!/bin/bash
# The lease-aware reaper (docs/safety.md rules 4 and 5): a holder cut off
# from its peers whose daemon freezes in the last reaper_timeout of its
# lease, before its lone ring forms, can neither lapse nor read its confchg;
# the survivors take the VIP shortly after its lease (their guard, or its
# last heartbeat + L + 75 ms). Its reaper, told the lease's end, kills it
# 10 ms after that end and sweeps: before the survivors take, and before
# the silence alone would have got it killed (reaper_timeout after the
# freeze).
#
# 3 nodes with real corosync (token 300: L = 785 ms with auto timers) and
# supervised corovipd, reaper_timeout 700ms so that the two kills are far
# apart. The holder is partitioned off silently (no carrier change: the
# daemon must not hear of it from its link), its daemon SIGSTOPped 300 ms
# later (its ring forms about 660 ms after the cut). From the kernel, never
# from a log (the reaper's log line is only printed):
#   1. the VIP leaves the holder within 600 ms of the freeze (its lease
#      ends at most 485 ms after it; silence would take 700);
#   2. addrwatch: never two holders, and another node holds it.
# Then the partition heals, every daemon stops and no address is left.
#   tests/integration/reaper-lease.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
VIP=192.0.2.50
FREEZE_AFTER_MS=300
SILENCE_MS=700

fail() { echo "FAIL: $*"; exit 1; }
holders() { bed_field live "$(bed_watch_now)"; }
held_by_one() { [[ "$(bed_holders "$VIP")" =~ ^n[0-9]+$ ]] || { BED_LAST="holders: $(bed_holders "$VIP")"; return 1; }; }
holder_not() { local n; n=$(holders); BED_LAST="holders=$n"; [[ "$n" =~ ^n[0-9]+$ ]] && [ "$n" != "$1" ]; }
no_holder() { local n; n=$(bed_field holders "$(bed_watch_now)"); BED_LAST="holders=$n"; [ "$n" = - ]; }
others() { local i; for i in 1 2 3; do [ "$i" = "$1" ] || printf '%s ' "$i"; done; }
# first_without T0 NODE: epoch us of the checker's first sample after T0
# where NODE does not hold the VIP; empty if none.
first_without() {
	awk -v t0="$1" -v n="$2" '{ t = $1; sub(/\./, "", t) }
		t + 0 > t0 + 0 && $2 ~ /^holders=/ && ("," substr($2, 9) ",") !~ ("," n ",") { print t; exit }' \
		"$BED_DIR/watch.log"
}
ms() { echo $((($1) / 1000)); }

bed_cluster_up 3
bed_corovip_conf "$VIP/24" n1
sed -i "s/kernel_lease: 3s/kernel_lease: 3s\n\treaper_timeout: ${SILENCE_MS}ms/" "$BED_DIR/corovip.conf"
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "one holder" held_by_one >/dev/null
bed_watch_start "$VIP" >/dev/null
H=$(holders)
h=${H#n}
grep -h 'lease [0-9]* ms, guard' "$BED_DIR/$H/corovipd.out" | tail -1 | sed 's/^/  /' || true

bed__now
t0=$BED__NOW
bed_partition "$h" "$(others "$h") c"
sleep "0.$FREEZE_AFTER_MS"
bed__now
frozen=$BED__NOW
bed_signal "$h" corovipd STOP
bed_wait_until 5000 "a new holder" holder_not "$H" >/dev/null || fail "no takeover from $H"
dropped=$(first_without "$frozen" "$H")
[ -n "$dropped" ] || fail "$H never let go"
grep -h "silent at its lease's end" "$BED_DIR/$H/corovipd.out" | tail -1 | sed 's/^/  /' || true
if [ $((dropped - frozen)) -ge $((SILENCE_MS * 1000 - 100000)) ]; then
	fail "$H let go $(ms "$dropped - frozen") ms after its daemon froze: not at its lease's end"
fi
echo "ok - $H cut at 0 ms, its daemon frozen at $(ms "$frozen - $t0") ms: the VIP left it at" \
	"$(ms "$dropped - $t0") ms (its reaper's kill at its lease's end, not ${SILENCE_MS} ms of silence)"

bed_heal_all
bed_wait_until 5000 "the supervisor to restart $H's daemon" bed_pid "$h" corovipd >/dev/null
s=$(bed_watch_stop watch)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders at once: $s"
echo "ok - never two holders ($(bed_field samples "$s") samples)"
for i in 1 2 3; do bed_wait_quorate "$i" 10000 "1 2 3" >/dev/null || fail "n$i did not rejoin"; done
for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "corovipd on n$i did not stop"; done
bed_watch_start "$VIP" >/dev/null
bed_wait_until 5000 "no address left" no_holder >/dev/null || fail "an address was left: $(bed_watch_now)"
bed_down
