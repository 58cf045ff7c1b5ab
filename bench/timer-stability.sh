#!/bin/bash
# timer-stability.sh - is a corosync timer set stable on the namespace bed,
# and what does it cost idle? (issue 20's timer sets; not a timed test.)
#
# The bed of tests/integration/bed.sh (3 nodes, one bridge, real corosync
# per node) with the given token and knet ping timers and corovipd on each
# node holding one VIP at the given heartbeat, left alone for MINUTES. It
# counts the ring re-formations after the first quorate ring ("A new
# membership" in the corosync logs: a stable set has none), the VIP moves
# (corovipd's "took"/"released" lines after the start) and measures, over
# the whole window, each daemon's CPU (utime + stime from /proc, as % of one
# core: corosync's averaged over the nodes; corovipd + its reaper on the
# holder and on an idle node) and wakeups (voluntary context switches a
# second, every thread).
#
#   bench/timer-stability.sh TOKEN PING_INTERVAL PING_TIMEOUT HEARTBEAT MINUTES [BUILDDIR]
#     e.g. BED_TOTEM_EXTRA="token_retransmits_before_loss_const: 2" \
#          bench/timer-stability.sh 100 50 250 20ms 30
# (BED_TOTEM_EXTRA, BED_CV_KERNEL_LEASE: as bench/timer-sets has them)
# Prints one TSV line (header first with HEADER=1): token, consensus, knet
# ping, heartbeat, minutes, re-formations, VIP moves, CPU and wakeups.
# Namespaces BED_PREFIX (default ts<TOKEN>), so runs of two sets can go
# side by side; OUT keeps the logs (default BUILDDIR/timer-stability).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 5 ] || { echo "usage: $0 TOKEN PING_INTERVAL PING_TIMEOUT HEARTBEAT MINUTES [BUILDDIR]" >&2; exit 2; }
TOKEN=$1 PI=$2 PT=$3 HB=$4 MIN=$5
build=$(cd "${6:-$top/build/bench}" && pwd)
COROVIPD=$build/agent/corovipd
OUT=${OUT:-$build/timer-stability}/t$TOKEN
VIP=192.0.2.50
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
[ -x "$COROVIPD" ] || { echo "no $COROVIPD" >&2; exit 1; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-ts$TOKEN} BED_TOKEN=$TOKEN BED_KNET_PING_INTERVAL=$PI BED_KNET_PING_TIMEOUT=$PT
export BED_CV_CLUSTER="heartbeat: $HB"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh

fail() { echo "timer-stability (token $TOKEN): $*" >&2; exit 1; }
# ticks (utime + stime) and voluntary switches of the node's processes
# whose comm matches $2, every thread: "TICKS SWITCHES"
usage() {
	local p t ticks=0 sw=0 comm
	for p in $(bed_node_pids "$1"); do
		read -r comm <"/proc/$p/comm" 2>/dev/null || continue
		[[ "$comm" =~ $2 ]] || continue
		ticks=$((ticks + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
		for t in /proc/"$p"/task/*; do
			sw=$((sw + $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status" 2>/dev/null || echo 0)))
		done
	done
	echo "$ticks $sw"
}
holder_is() { [ "$(bed_holders "$VIP")" = "$1" ]; }

bed_cluster_up 3 || fail "the cluster did not come up"
bed_corovip_conf "$VIP/24" n1
for i in 1 2 3; do bed_spawn "$i" corovipd "$COROVIPD" -f -c "$BED_DIR/corovip.conf" || fail "corovipd on n$i"; done
bed_wait_until $((15000 + 4 * TOKEN)) "n1 to hold $VIP" holder_is n1 >/dev/null || fail "n1 does not hold $VIP"
consensus=$(bed_cmap 1 runtime.config.totem.consensus)
timers=$(sed -n 's/.*\(lease [0-9]* ms, guard [0-9]* ms\).*/\1/p' "$BED_DIR/n1/corovipd.out" | tail -1)
sleep 2
forms0=$(cat "$BED_DIR"/n*/corosync.log | grep -c "A new membership" || true)
moves0=$(cat "$BED_DIR"/n*/corovipd.out | grep -Ec "transition .*(from|to)=held" || true)
declare -A U0
for i in 1 2 3; do
	U0[cs$i]=$(usage "$i" '^corosync$')
	U0[cv$i]=$(usage "$i" '^corovipd')
done
t0=$(date +%s.%N)
echo "timer-stability: token $TOKEN (consensus $consensus), knet ping $PI/$PT, heartbeat $HB ($timers): idle for $MIN min" >&2
sleep $((MIN * 60))
t1=$(date +%s.%N)
forms=$(($(cat "$BED_DIR"/n*/corosync.log | grep -c "A new membership" || true) - forms0))
moves=$(($(cat "$BED_DIR"/n*/corovipd.out | grep -Ec "transition .*(from|to)=held" || true) - moves0))
holder=$(bed_holders "$VIP")
hz=$(getconf CLK_TCK)
# "cpu% wakeups/s" of one reading against its start
rate() {
	read -r a b <<<"$1"
	read -r c d <<<"$2"
	awk -v t=$((c - a)) -v s=$((d - b)) -v hz="$hz" -v dt="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
		'BEGIN { printf "%.2f\t%.1f", 100 * t / hz / dt, s / dt }'
}
cs_cpu=""
for i in 1 2 3; do cs_cpu+="$(rate "${U0[cs$i]}" "$(usage "$i" '^corosync$')" | cut -f1) "; done
cs_avg=$(echo "$cs_cpu" | awk '{ for (i = 1; i <= NF; i++) s += $i; printf "%.2f", s / NF }')
cs_wk=$(rate "${U0[cs2]}" "$(usage 2 '^corosync$')" | cut -f2)
cv_hold=$(rate "${U0[cv1]}" "$(usage 1 '^corovipd')")
cv_idle=$(rate "${U0[cv3]}" "$(usage 3 '^corovipd')")
mkdir -p "$OUT"
for i in 1 2 3; do cp "$BED_DIR/n$i/corosync.log" "$OUT/n$i-corosync.log" 2>/dev/null || true; done
[ -z "${HEADER:-}" ] || printf 'token_ms\tconsensus_ms\tknet_ping\theartbeat\tcorovip_timers\tminutes\treformations\tvip_moves\tholder_after\tcorosync_cpu_pct\tcorosync_wakeups_s\tcorovipd_holder_cpu_pct\tcorovipd_holder_wakeups_s\tcorovipd_idle_cpu_pct\tcorovipd_idle_wakeups_s\n'
printf '%s\t%s\t%s/%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$TOKEN" "$consensus" "$PI" "$PT" "$HB" "$timers" "$MIN" \
	"$forms" "$moves" "${holder:--}" "$cs_avg" "$cs_wk" "$cv_hold" "$cv_idle"
