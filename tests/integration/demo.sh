#!/bin/bash
# The demo (README's first command, after the build): 3 nodes with real
# corosync and corovipd in network namespaces, a client, one VIP. Shows who
# holds it, kills the holder's daemon (its reaper hands the VIP over),
# crashes the holder node and shows the client's outage and the new holder,
# stops the new holder gracefully (a planned handoff) and shows that outage,
# then stops everything and checks nothing is left. It also asserts
# what it shows (exit 1 otherwise), so the test command runs it as well.
#
#   tests/integration/demo.sh [BUILD_DIR]     (root; BUILD_DIR default build/normal)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
corovipd=$build/agent/corovipd
VIP=192.0.2.50
[ "$(id -u)" = 0 ] || { echo "SKIP: the demo needs root (network namespaces)"; exit 77; }
[ -x "$corovipd" ] || { echo "no $corovipd: build first"; exit 1; }

cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh

say() { printf '%s\n' "$*"; }
fail() { say "FAIL: $*"; exit 1; }

# Which node holds the VIP, from the independent checker (never the daemon).
holders() { bed_field holders "$(bed_watch_now)"; }
one_holder() {
	local h
	h=$(holders)
	BED_LAST="holders=$h"
	[[ "$h" =~ ^n[0-9]+$ ]] && [ "$h" != "${1:-}" ]
}
max_gap() { bed_field maxgap_ms "$1"; }
# The client gets an answer from the VIP (a poll with a deadline: probe -f).
answers() { bed_build_tools && ip netns exec "$(bed_ns c)" "$BED_PROBE" -f -q -t 5 "$VIP" >/dev/null; }

bed_cluster_up 3
bed_corovip_conf "$VIP/24" n1
say "3 nodes up (corosync $(corosync -v | sed -n 's/.*version .\([0-9.]*\).*/\1/p' | head -1), token $(bed_cmap 1 runtime.config.totem.token) ms), VIP $VIP, client 192.0.2.100"
bed_watch_start "$VIP" >/dev/null
for i in 1 2 3; do bed_spawn "$i" corovipd "$corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "one node to hold $VIP" one_holder >/dev/null
first=$(holders)
say "VIP $VIP is held by $first"

# The prober starts once the VIP answers, so the client's ARP entry is fresh.
answers || fail "the client gets no answer from $VIP"
bed_probe_start "$VIP" >/dev/null

# kill -9 of the holder's daemon: its reaper removes the address and says
# RELEASED, a peer takes over at once; the daemon is restarted, as systemd would.
bed_kill "${first#n}" corovipd
bed_wait_until 5000 "another node to hold $VIP" one_holder "$first" >/dev/null
after_kill=$(holders)
answers || fail "no answer from $VIP after the daemon kill"
r=$(bed_probe_stop)
gap=$(max_gap "$r")
say "kill -9 corovipd on $first: its reaper released the VIP, $after_kill took over; outage $gap ms"
awk -v g="$gap" 'BEGIN { exit !(g < 1000) }' || fail "the reaper path took $gap ms"
bed_spawn "${first#n}" corovipd "$corovipd" -f -c "$BED_DIR/corovip.conf"
first=$after_kill

bed_probe_start "$VIP" probe1 >/dev/null
answers || fail "no answer from $VIP"
victim=${first#n}
bed_crash "$victim"
bed_wait_until 10000 "another node to hold $VIP" one_holder "$first" >/dev/null
second=$(holders)
answers || fail "no answer from $VIP after the failover"
r=$(bed_probe_stop probe1)
say "crashed $first: $second took over; client-observed outage $(max_gap "$r") ms"
# its metrics timed that failover (corosync's lost member -> the VIP taken)
m=$(bed_exec "${second#n}" "$build/ctl/corovipctl" metrics) || fail "corovipctl metrics on $second"
n=$(awk '$1 == "corovip_failover_seconds_count" { print $2 }' <<<"$m")
[ "${n:-0}" -ge 1 ] || fail "$second's metrics timed no failover: $(grep failover <<<"$m")"
say "$second's metrics: failover histogram count $n, sum $(awk '$1 == "corovip_failover_seconds_sum" { print $2 }' <<<"$m") s"

bed_probe_start "$VIP" probe2 >/dev/null
answers || fail "no answer from $VIP"
bed_stop "${second#n}" corovipd 10000
bed_wait_until 5000 "a handoff" one_holder "$second" >/dev/null
third=$(holders)
answers || fail "no answer from $VIP after the handoff"
r=$(bed_probe_stop probe2)
say "stopped corovipd on $second (planned handoff): $third holds it; outage $(max_gap "$r") ms"

for i in 1 2 3; do bed_stop "$i" corovipd 10000 2>/dev/null || true; done
# (no pipe into grep: with pipefail, ip's SIGPIPE would make a match look like a miss)
nobody_has_it() {
	local i
	for i in 1 2 3; do [[ "$(ip -n "$(bed_ns "$i")" -o addr 2>/dev/null)" != *" $VIP/"* ]] || return 1; done
}
bed_wait_until 5000 "no holder after stopping every daemon" nobody_has_it >/dev/null ||
	fail "an address was left behind"
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders at once: $s"
say "stopped every daemon: no address left; the checker never saw two holders ($(bed_field samples "$s") samples)"
bed_down
say "torn down: no namespace, process or address left"
