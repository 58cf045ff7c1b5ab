#!/bin/bash
# corovipctl at 10,000 VIPs (issue 17): 3 real corosync nodes (namespaces
# "ss", 4 interfaces each as bench/scale-bench.sh: corosync on eth0), 10,000
# IPv4 VIPs /32 spread over eth0..eth3, all preferring n1 then n2. Once n1
# holds all 10,000, on every node: status names each VIP once with owner n1,
# status --json has 10,000 VIPs (each owned by n1, why "held") and passes
# docs/status-schema.json, metrics has a corovip_vip_held line per VIP (1 on
# n1 for all) and passes promtool check metrics; the answers come in parts
# and no daemon is reaped meanwhile (supervised, as systemd would).
#   tests/integration/scale-status.sh [BUILD_DIR]     (root)
#   SS_VIPS=N: N VIPs instead of 10,000
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in jq python3 promtool; do command -v $t >/dev/null || { echo "SKIP: needs $t"; exit 77; }; done
cd "$top"
export BED_PREFIX=${BED_PREFIX:-ss} BED_IFACES=4
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
N=${SS_VIPS:-10000}
K=4
ctl() { bed_exec "$1" "$build/ctl/corovipctl" "${@:2}"; }
restarts() { local i n=0; for i in 1 2 3; do n=$((n + $(bed_restarts "$i" corovipd))); done; echo "$n"; }
# VIP i: interface i mod K, the j-th of its interface in 198.18.(16k + j/250).(j%250 + 1)
conf() {
	local i k j
	printf 'cluster {\n\tkernel_lease: 120s\n}\n'
	for i in 1 2 3; do printf 'node n%s {\n}\n' "$i"; done
	for ((i = 0; i < N; i++)); do
		k=$((i % K)) j=$((i / K))
		printf 'vip v%d {\n\taddress: 198.18.%d.%d/32\n\tinterface: eth%d\n\tprefer: n1 n2\n}\n' \
			$i $((16 * k + j / 250)) $((j % 250 + 1)) $k
	done
}
held_on_n1() {
	local n
	n=$(ip -n "$(bed_ns 1)" -4 -o addr show 2>/dev/null | grep -c ' 198\.18\.' || true)
	BED_LAST="$n of $N on n1"
	[ "$n" = "$N" ]
}

bed_cluster_up 3
conf >"$BED_DIR/corovip.conf"
chmod 0644 "$BED_DIR/corovip.conf"
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
t0=$(bed_now_ms)
bed_wait_until 120000 "all $N VIPs on n1" held_on_n1 >/dev/null || fail "$BED_LAST"
echo "ok - $N VIPs on n1 in $(($(bed_now_ms) - t0)) ms from the daemons' start"

for i in 1 2 3; do
	t=$(bed_now_ms)
	st=$(ctl "$i" status) || fail "status on n$i"
	ts=$(($(bed_now_ms) - t))
	n=$(grep -c "^VIP 'v[0-9]*' 198\.18\..*, owner n1 (" <<<"$st" || true)
	[ "$n" = "$N" ] || fail "n$i's status names $n VIPs owned by n1, not $N"
	t=$(bed_now_ms)
	js=$(ctl "$i" status --json) || fail "status --json on n$i"
	tj=$(($(bed_now_ms) - t))
	n=$(jq '[.vips[] | select(.owner.name == "n1" and .why.code == "held")] | length' <<<"$js")
	[ "$n" = "$N" ] || fail "n$i's JSON has $n VIPs held by n1, not $N"
	t=$(bed_now_ms)
	m=$(ctl "$i" metrics) || fail "metrics on n$i"
	tm=$(($(bed_now_ms) - t))
	n=$(grep -c '^corovip_vip_held{vip="v[0-9]*"} ' <<<"$m" || true)
	[ "$n" = "$N" ] || fail "n$i's metrics have $n corovip_vip_held lines, not $N"
	echo "ok - n$i: status ($((${#st} / 1024)) KiB, $ts ms), status --json ($((${#js} / 1024)) KiB, $tj ms) and metrics ($((${#m} / 1024)) KiB, $tm ms) each name all $N VIPs, owned by n1"
done
out=$(python3 tests/tools/status-schema.py docs/status-schema.json <<<"$js" 2>&1) || fail "n3's JSON: $out"
m=$(ctl 1 metrics) || fail "metrics on n1"
[ "$(grep -c '^corovip_vip_held{vip="v[0-9]*"} 1$' <<<"$m")" = "$N" ] || fail "n1's metrics do not say it holds all $N"
lint=$(promtool check metrics <<<"$m" 2>&1) || fail "promtool check metrics on n1's: $lint"
echo "ok - n3's JSON passes the schema; n1's metrics say it holds all $N and pass promtool check metrics"
[ "$(restarts)" = 0 ] || fail "a daemon was restarted (reaped?): $(restarts)"
echo "ok - no daemon was reaped or restarted"
for i in 1 2 3; do bed_stop "$i" corovipd 30000 || fail "corovipd on n$i did not stop"; done
