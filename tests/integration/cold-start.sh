#!/bin/bash
# Cold start honours prefer (issue 21): corosync already runs on 3 real
# nodes (namespaces "cs"); corovipd is started on all three a few
# milliseconds apart, in every order, with one VIP that prefers n1 and no
# preempt. The first placement waits for every member's daemon (or the
# start-up wait), so n1 takes web each time, and keeps it; then every
# daemon is stopped (web released) before the next order. Last, with
# startup_wait: 20s and only n2's daemon started, corovipctl status on n2
# says web waits for the daemons of n1 and n3, until when; n1 and n3
# started, n1 takes web at once.
#   tests/integration/cold-start.sh [BUILD_DIR] [ROUNDS]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
rounds=${2:-1}
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-cs}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=192.0.2.70

holders_are() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }

bed_cluster_up 3
bed_corovip_conf "$VIP/24" n1
for r in $(seq 1 "$rounds"); do
	for order in "1 2 3" "1 3 2" "2 1 3" "2 3 1" "3 1 2" "3 2 1"; do
		for i in $order; do
			bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"
			sleep 0.005
		done
		bed_wait_until 10000 "n1 to hold web (daemons started in the order $order)" holders_are n1 \
			>/dev/null || fail "$BED_LAST"
		took=$BED_WAITED_MS
		sleep 1
		holders_are n1 || fail "web left n1 after the start (order $order): $BED_LAST"
		echo "ok - round $r, daemons started in the order $order, 5 ms apart: n1 took web after ${took} ms and kept it"
		for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "stopping n$i's corovipd"; done
		bed_wait_until 5000 "web released" holders_are "" >/dev/null || fail "$BED_LAST"
	done
done

sed -i 's/^\tkernel_lease: 3s$/&\n\tstartup_wait: 20s/' "$BED_DIR/corovip.conf"
grep -q "startup_wait: 20s" "$BED_DIR/corovip.conf" || fail "no startup_wait in the config"
bed_spawn 2 corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"
waits() {
	local s
	s=$(bed_exec 2 "$build/ctl/corovipctl" status --json 2>/dev/null) || { BED_LAST="no status"; return 1; }
	[ "$(jq -r '.vips[0].why.code' <<<"$s")" = startup-wait ] &&
		[ "$(jq -r '.vips[0].why.nodes | join(" ")' <<<"$s")" = "n1 n3" ] &&
		jq -e '.vips[0].why.until_iso' <<<"$s" >/dev/null || { BED_LAST="why: $(jq -c '.vips[0].why' <<<"$s")"; return 1; }
}
bed_wait_until 5000 "n2's status to say web waits for n1 and n3" waits >/dev/null || fail "$BED_LAST"
bed_exec 2 "$build/ctl/corovipctl" status | grep -q "why: waiting for the daemons of every member to start (startup_wait): n1 (1), n3 (3) until" ||
	fail "n2's status: $(bed_exec 2 "$build/ctl/corovipctl" status)"
holders_are "" || fail "web taken during the start-up wait: $BED_LAST"
bed_spawn 3 corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"
bed_spawn 1 corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"
bed_wait_until 5000 "n1 to hold web" holders_are n1 >/dev/null || fail "$BED_LAST"
echo "ok - startup_wait 20s, only n2's daemon up: its status says web waits for n1 and n3 (until T); both started: n1 took web after ${BED_WAITED_MS} ms"
