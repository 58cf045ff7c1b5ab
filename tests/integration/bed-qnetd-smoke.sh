#!/usr/bin/env bash
# bed-qnetd-smoke.sh - the bed's two-node tie-breaker works: two nodes with
# corosync + corosync-qdevice, corosync-qnetd (ffsplit, tls off) on a second
# segment; a silent n1|n2 partition (both still reach qnetd) leaves exactly
# one side quorate (n1: lowest node id); after a heal both are quorate; a
# crash of n1 leaves n2 quorate alone.
#
# Usage (root): tests/integration/bed-qnetd-smoke.sh
# Needs the Debian packages corosync-qnetd and corosync-qdevice.
# Exit: 0 pass, 1 fail (logs kept, path printed), 77 skipped.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: bed-qnetd-smoke needs root (network namespaces)"
	exit 77
fi
for tool in corosync-qnetd corosync-qdevice; do
	command -v "$tool" >/dev/null || {
		echo "SKIP: $tool not installed (apt-get install corosync-qnetd corosync-qdevice)"
		exit 77
	}
done

# shellcheck source=tests/integration/bed.sh
. "$top/tests/integration/bed.sh"

t_start=$SECONDS
fail() {
	echo "FAIL: $*"
	export BED_KEEP=1
	exit 1
}
ok() { echo "ok   $*"; }

bed_up 2 || fail "bed_up 2"
bed_qnetd_up || fail "qnetd did not start"
for i in 1 2; do bed_corosync_start "$i" || fail "corosync on node $i"; done
for i in 1 2; do bed_qdevice_start "$i" || fail "qdevice on node $i"; done
for i in 1 2; do bed_wait_quorate "$i" 10000 "1 2" || fail "the two nodes did not form a quorate cluster"; done
votes=$(bed_exec 1 corosync-quorumtool -s | sed -n 's/^Total votes:[[:space:]]*//p')
[ "$votes" = 3 ] || fail "expected 3 votes (2 nodes + qdevice), got '$votes'"
ok "2 nodes + qdevice/qnetd (ffsplit, second segment): quorate, 3 votes"

bed__now
t0=$BED__NOW
bed_partition 1 2 || fail "bed_partition 1 2"
bed_wait_quorate 1 10000 "1" || fail "partition: n1 (tie-breaker winner) not quorate alone"
bed__now
t1=$(((BED__NOW - t0) / 1000))
bed_wait_inquorate 2 10000 "2" || fail "partition: n2 still quorate"
s1=$(bed_quorum 1) s2=$(bed_quorum 2)
[ "$s1" = "quorate=yes members=1" ] && [ "$s2" = "quorate=no members=2" ] || fail "partition: n1 '$s1', n2 '$s2'"
ok "silent partition n1|n2, both reach qnetd: n1 quorate alone after ${t1} ms, n2 not quorate"

bed_heal_all || fail "bed_heal_all"
for i in 1 2; do bed_wait_quorate "$i" 10000 "1 2" || fail "heal: no merge"; done
bed__now
t0=$BED__NOW
bed_crash 1 || fail "bed_crash 1"
bed_wait_quorate 2 10000 "2" || fail "crash of n1: n2 not quorate alone"
bed__now
ok "heal: both quorate; crash of n1: n2 quorate alone after $(((BED__NOW - t0) / 1000)) ms"

bed_down || fail "bed_down reported a problem"
trap - EXIT INT TERM HUP
left=$(ip netns list | awk '{print $1}' | grep -E "^${BED_PREFIX}(sw|cl|qn|n[0-9]+)\$" | tr '\n' ' ')
[ -z "$left" ] || fail "namespaces left: $left"
echo "PASS bed-qnetd-smoke ($((SECONDS - t_start)) s)"
