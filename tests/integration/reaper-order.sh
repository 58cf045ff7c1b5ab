#!/bin/bash
# The reaper's order (design.md rule 4, issue 10): after killing a frozen
# daemon, the reaper removes its addresses and says RELEASED only once the
# daemon has ended, never while it may still be inside a netlink batch.
#
# 3 nodes with real corosync and supervised corovipd. tests/tools/exitgate
# freezes the holder's daemon (SIGSTOP under ptrace); the reaper kills it,
# and the kernel keeps the killed daemon at its exit for HOLD ms (what a
# daemon still inside a batch looks like from outside). All from the kernel,
# never from a log:
#   1. exitgate: the VIP stays on the holder through the hold and goes only
#      after the daemon's pidfd says it has ended;
#   2. addrwatch: no node holds the VIP between the freeze and that end (no
#      RELEASED before it), and another node holds it soon after;
#   3. a daemon kept at its exit past the reaper's deadline (3 s): the
#      reaper removes the VIP then (before the kernel lease, 6 s here, so
#      that the two cannot be confused), but says no RELEASED: no peer
#      takes it over while the daemon is still there (1.5 s more here;
#      after that the restarted daemon's state frees it).
# Then every daemon stops and no address is left; the checker never saw two
# holders.
#   tests/integration/reaper-order.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
VIP=192.0.2.50
HOLD_MS=1000

fail() { echo "FAIL: $*"; [ ! -s "$BED_DIR/gate.log" ] || sed 's/^/  gate: /' "$BED_DIR/gate.log"; exit 1; }
holders() { bed_field live "$(bed_watch_now)"; }
held_by_one() { [[ "$(bed_holders "$VIP")" =~ ^n[0-9]+$ ]] || { BED_LAST="holders: $(bed_holders "$VIP")"; return 1; }; }
holder_not() { local n; n=$(holders); BED_LAST="holders=$n"; [[ "$n" =~ ^n[0-9]+$ ]] && [ "$n" != "$1" ]; }
no_holder() { local n; n=$(bed_field holders "$(bed_watch_now)"); BED_LAST="holders=$n"; [ "$n" = - ]; }
# gate_time EVENT: epoch us of exitgate's EVENT line.
gate_time() { awk -v e="$1" '$2 == e { t = $1; sub(/\./, "", t); print t; exit }' "$BED_DIR/gate.log"; }
# first_other T0 NODE: epoch us of the checker's first sample after T0
# where a node other than NODE holds the VIP; empty if none.
first_other() {
	awk -v t0="$1" -v n="$2" '{ t = $1; sub(/\./, "", t) }
		t + 0 > t0 + 0 && $2 ~ /^holders=/ { h = substr($2, 9)
			if (h != "-" && h != n) { print t; exit } }' "$BED_DIR/watch.log"
}
ms() { echo $((($1) / 1000)); }
# exchange-done lines in node I's daemon log (as faults.sh): only to wait
# until a restarted daemon has told the group its state, never asserted.
exchanges() { grep -c 'exchange-done' "$BED_DIR/n$1/corovipd.out" 2>/dev/null || true; }
exchanged_since() { [ "$(exchanges "$1")" -gt "$2" ] || { BED_LAST="$(tail -1 "$BED_DIR/n$1/corovipd.out")"; return 1; }; }

# gate NODE HOLD_MS: freeze NODE's daemon through exitgate until the reaper
# has killed it and its VIP is gone (or the gate gives up).
gate() {
	local pid
	pid=$(bed_pid "$1" corovipd) || fail "no corovipd on n$1"
	"$gate" -h "$2" -t 20 "$pid" "$(bed_ns "$1")" "$VIP" >"$BED_DIR/gate.log" 2>&1 || true
}

bed_cluster_up 3
bed_corovip_conf "$VIP/24" n1
sed -i 's/kernel_lease: 3s/kernel_lease: 6s/' "$BED_DIR/corovip.conf"
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "one holder" held_by_one >/dev/null
bed_watch_start "$VIP" >/dev/null
bed_build_tools >/dev/null
gate=$BED_DIR/bin/exitgate
cc -std=gnu11 -O2 -Wall -Wextra -o "$gate" tests/tools/exitgate.c || fail "could not build exitgate"

# 1 and 2: a slow end within the deadline.
H=$(holders)
n0=$(exchanges "${H#n}")
gate "${H#n}" "$HOLD_MS"
result=$(grep '^RESULT' "$BED_DIR/gate.log") || fail "exitgate gave no result"
[ "$(bed_field order "$result")" = ok ] || fail "$H: the VIP did not go after the daemon's end: $result"
frozen=$(gate_time frozen) ended=$(gate_time ended)
bed_wait_until 5000 "a new holder" holder_not "$H" >/dev/null || fail "no takeover from $H"
taken=$(first_other "$frozen" "$H")
if [ -z "$taken" ] || [ "$taken" -lt "$ended" ]; then
	fail "a peer held the VIP $(ms "$ended - ${taken:-0}") ms before $H's daemon ended"
fi
echo "ok - $H's daemon kept at its exit ${HOLD_MS} ms: the VIP went $(bed_field end_to_removed_ms "$result") ms" \
	"after its end, $(holders) held it $(ms "$taken - ended") ms after"

# 3: past the deadline, on the new holder, once the old one's restarted
# daemon has exchanged state (the group is settled again).
bed_wait_until 5000 "$H's restarted daemon to exchange state" exchanged_since "${H#n}" "$n0" >/dev/null ||
	fail "$H's daemon was not restarted"
H=$(holders)
gate "${H#n}" 4500
result=$(grep '^RESULT' "$BED_DIR/gate.log") || fail "exitgate gave no result"
[ "$(bed_field order "$result")" = early ] || fail "$H: expected a sweep at the deadline: $result"
killed=$(gate_time killed) removed=$(gate_time removed)
if [ $((removed - killed)) -lt 2900000 ] || [ $((removed - killed)) -ge 4000000 ]; then
	fail "$H: the VIP went $(ms "$removed - killed") ms after the kill, not at the reaper's deadline (3000 ms)"
fi
bed_wait_until 8000 "a new holder" holder_not "$H" >/dev/null || fail "no takeover from $H"
released=$(gate_time released)
taken=$(first_other "$(gate_time frozen)" "$H")
if [ -z "$taken" ] || [ "$taken" -lt "$released" ]; then
	fail "a peer held the VIP $(ms "$released - ${taken:-0}") ms before $H's stuck daemon was let go: a RELEASED?"
fi
echo "ok - $H's daemon stuck past the deadline: the VIP went $(ms "$removed - killed") ms after the kill," \
	"no RELEASED: no peer held it in the $(ms "$released - removed") ms the daemon stayed stuck"
bed_wait_until 5000 "the supervisor to restart $H's daemon" bed_pid "${H#n}" corovipd >/dev/null

s=$(bed_watch_stop watch)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders at once: $s"
for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "corovipd on n$i did not stop"; done
bed_watch_start "$VIP" >/dev/null
bed_wait_until 5000 "no address left" no_holder >/dev/null || fail "an address was left: $(bed_watch_now)"
bed_down
