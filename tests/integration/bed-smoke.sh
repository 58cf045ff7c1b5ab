#!/usr/bin/env bash
# bed-smoke.sh - does the integration test bed work on this machine?
#
# Three nodes with real corosync (token 300, coefficient 0): all quorate;
# a link cut of node 1 and a silent partition {1}|{2,3} leave 2 and 3
# quorate and 1 not; heals bring all three back; the checker (addrwatch)
# sees a test address appear on node 2 and the client's prober gets replies
# from node 2's MAC; teardown leaves no namespace, process or mount.
# Prints how long a link cut takes until the survivors are quorate again.
#
# Usage (root): tests/integration/bed-smoke.sh     SMOKE_REPS=N cut repetitions (3)
# Exit: 0 pass, 1 fail (logs kept, path printed), 77 skipped (not root).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: bed-smoke needs root (network namespaces)"
	exit 77
fi
for tool in corosync corosync-quorumtool ip nsenter unshare timeout "${CC:-cc}"; do
	command -v "$tool" >/dev/null || {
		echo "FAIL: $tool not found"
		exit 1
	}
done

# shellcheck source=tests/integration/bed.sh
. "$top/tests/integration/bed.sh"

reps=${SMOKE_REPS:-3}
vip=192.0.2.50
vip6=2001:db8::50
t_start=$SECONDS

fail() {
	echo "FAIL: $*"
	export BED_KEEP=1 # the EXIT trap tears down and prints where the logs are
	exit 1
}
ok() { echo "ok   $*"; }

bed_clean_stale || fail "a test bed is in the way"
# what the host has before the bed exists (the teardown check compares)
mount_points() { awk '{print $5}' /proc/self/mountinfo | sort; }
host_links() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort; }
mounts_before=$(mount_points)
links_before=$(host_links)

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
minmax() { tr ' ' '\n' | grep . | sort -n | sed -n '1p;$p' | paste -sd/ -; }

# expect_quorum "QUORATE_IDS" "INQUORATE_IDS" "MEMBERS_OF_QUORATE": one look each
expect_quorum() {
	local i s
	for i in $1; do
		s=$(bed_quorum "$i")
		[ "$s" = "quorate=yes members=$(echo "$3" | tr ' ' ,)" ] || fail "node $i: expected quorate with members $3, got: $s"
	done
	for i in $2; do
		s=$(bed_quorum "$i")
		case "$s" in quorate=no*) ;; *) fail "node $i: expected not quorate, got: $s" ;; esac
	done
}

# ---- bring up 3 nodes with corosync
bed_up 3 || fail "bed_up 3"
bed_build_tools || fail "building tests/tools"
for i in 1 2 3; do
	bed_corosync_start "$i" || fail "corosync did not start on node $i (logs: $BED_DIR/n$i)"
done
for i in 1 2 3; do
	bed_wait_quorate "$i" 20000 "1 2 3" || fail "cluster did not form"
done
for i in 1 2 3; do
	bed_qwatch_start "$i" || fail "qwatch on node $i"
done
rt_token=$(bed_cmap 1 runtime.config.totem.token)
rt_cons=$(bed_cmap 1 runtime.config.totem.consensus)
ok "3 nodes up, corosync $(corosync -v | sed -n "s/.*version '\([^']*\)'.*/\1/p") (knet): all quorate; runtime token ${rt_token} ms, consensus ${rt_cons} ms"

# survivors_cb T0: latest of the survivors' (2, 3) quorum callbacks with
# members 2,3 after T0, and node 1's no-quorum callback, in ms after T0
survivors_cb() {
	local i worst=0
	for i in 2 3; do
		bed_qwatch_wait "$i" "$1" 'QUORUM quorate=1 .* members=2,3$' 5000 ||
			fail "node $i: no quorum callback without node 1"
		[ "$BED_EVENT_MS" -le "$worst" ] || worst=$BED_EVENT_MS
	done
	bed_qwatch_wait 1 "$1" 'QUORUM quorate=0' 5000 || fail "node 1: no no-quorum callback"
	cb_surv=$worst cb_n1=$BED_EVENT_MS
}

# ---- link cut of node 1, SMOKE_REPS times
cut_ms="" cut_cb="" cut1_cb="" heal_ms=""
for _ in $(seq 1 "$reps"); do
	bed__now
	t0=$BED__NOW
	bed_cut 1 || fail "bed_cut 1"
	for i in 2 3; do
		bed_wait_quorate "$i" 5000 "2 3" || fail "cut: node $i did not become quorate without node 1"
	done
	bed__now
	cut_ms+=" $(((BED__NOW - t0) / 1000))"
	bed_wait_inquorate 1 5000 || fail "cut: node 1 stayed quorate"
	expect_quorum "2 3" "1" "2 3"
	survivors_cb "$t0"
	cut_cb+=" $cb_surv" cut1_cb+=" $cb_n1"
	bed_heal 1 || fail "bed_heal 1"
	bed__now
	t0=$BED__NOW
	for i in 1 2 3; do
		bed_wait_quorate "$i" 10000 "1 2 3" || fail "heal: cluster did not merge again"
	done
	bed__now
	heal_ms+=" $(((BED__NOW - t0) / 1000))"
done
ok "link cut of n1 (x$reps, medians): n2+n3 quorate without n1 after $(echo "$cut_cb" | median) ms by their quorum callbacks (min/max $(echo "$cut_cb" | minmax)), $(echo "$cut_ms" | median) ms by polling corosync-quorumtool; n1's no-quorum callback after $(echo "$cut1_cb" | median) ms; heal: all 3 quorate after $(echo "$heal_ms" | median) ms"

# ---- silent partition {1} | {2,3,client}
carrier_before=$(ip -n "$(bed_ns 1)" link show eth0 | grep -c LOWER_UP)
bed__now
t0=$BED__NOW
bed_partition 1 "2 3 c" || fail "bed_partition"
for i in 2 3; do
	bed_wait_quorate "$i" 5000 "2 3" || fail "partition: node $i did not become quorate without node 1"
done
bed_wait_inquorate 1 5000 || fail "partition: node 1 stayed quorate"
expect_quorum "2 3" "1" "2 3"
survivors_cb "$t0"
carrier_after=$(ip -n "$(bed_ns 1)" link show eth0 | grep -c LOWER_UP)
[ "$carrier_before$carrier_after" = 11 ] || fail "partition was not silent: node 1's eth0 lost carrier"
# (the probe exits 0 at the first reply, 3 if none came)
if ip netns exec "$(bed_ns 1)" "$BED_PROBE" -q -t 0.3 "$(bed_ip 2)" >/dev/null; then
	fail "partition: node 1 still reaches node 2"
fi
bed_exec c "$BED_PROBE" -q -f -t 2 "$(bed_ip 2)" >/dev/null || fail "partition: the client does not reach node 2"
bed_heal_all || fail "bed_heal_all"
bed__now
t0=$BED__NOW
for i in 1 2 3; do
	bed_wait_quorate "$i" 10000 "1 2 3" || fail "heal: cluster did not merge after the partition"
done
bed__now
ok "partition {n1}|{n2,n3,client} (carrier kept): n2+n3 quorate without n1 after ${cb_surv} ms (callbacks), n1's no-quorum callback after ${cb_n1} ms; heal: all 3 quorate after $(((BED__NOW - t0) / 1000)) ms"

# ---- the checker: address sampler and client prober
bed_watch_start "$vip" || fail "addrwatch did not start"
bed__now
t0=$BED__NOW
bed_exec 2 ip addr add "$vip/24" dev eth0 || fail "adding $vip on node 2"
bed_exec 2 ip addr add "$vip6/64" dev eth0 nodad || fail "adding $vip6 on node 2"
bed_watch_wait n2 2000 || fail "the checker did not see the test address"
seen_ms=$((($(bed_watch_first n2) - t0) / 1000))
[ "$(bed_holders "$vip")" = n2 ] || fail "bed_holders $vip: '$(bed_holders "$vip")', expected n2"
probe_line=""
for a in "$vip" "$vip6"; do
	r=$(bed_exec c "$BED_PROBE" -m -q -t 0.5 "$a") || fail "probe $a from the client: no reply ($r)"
	mac=$(bed_field last_mac "$r")
	[ "$(bed_host_of_mac "$mac")" = n2 ] || fail "probe $a: answered by $mac, not by n2"
	[ "$(bed_field lost "$r")" -le 5 ] || fail "probe $a: too many losses: $r"
	[ "$(bed_field dup "$r")" = 0 ] || fail "probe $a: duplicates: $r"
	probe_line+=" $a: $(bed_field recv "$r")/$(bed_field sent "$r") replies, max gap $(bed_field maxgap_ms "$r") ms;"
done
bed_exec 2 ip addr del "$vip/24" dev eth0 || fail "removing $vip"
bed_watch_wait - 2000 || fail "the checker did not see the address go"
summary=$(bed_watch_stop) || fail "stopping addrwatch"
[ "$(bed_field multi "$summary")" = 0 ] && [ "$(bed_field errors "$summary")" = 0 ] ||
	fail "checker summary: $summary"
ok "checker: addrwatch saw $vip on n2 ${seen_ms} ms after the add ($(bed_field samples "$summary") samples, max step $(bed_field max_step_ms "$summary") ms); probe from the client, answered by n2's MAC:${probe_line%;}"

# ---- teardown leaves nothing
dir=$BED_DIR
cs_pids=""
for i in 1 2 3; do cs_pids+=" $(bed_pid "$i" corosync)"; done
anchors=$(cat "$dir"/n*/anchor.pid | tr '\n' ' ')
bed_down || fail "bed_down reported a problem"
trap - EXIT INT TERM HUP
left=$(ip netns list | awk '{print $1}' | grep -E "^${BED_PREFIX}(sw|cl|qn|n[0-9]+)\$" | tr '\n' ' ')
[ -z "$left" ] || fail "namespaces left: $left"
for p in $cs_pids $anchors; do
	[ ! -e "/proc/$p" ] || fail "process $p ($(cat "/proc/$p/comm" 2>/dev/null)) is still alive"
done
[ "$(mount_points)" = "$mounts_before" ] ||
	fail "mounts differ: $(diff <(echo "$mounts_before") <(mount_points) | grep '^[<>]' | tr '\n' ' ')"
[ "$(host_links)" = "$links_before" ] ||
	fail "host links differ: $(diff <(echo "$links_before") <(host_links) | grep '^[<>]' | tr '\n' ' ')"
[ ! -e "$dir" ] || fail "$dir left behind"
ok "teardown: no namespace, corosync or anchor process, mount, host link or temp dir left"
echo "PASS bed-smoke ($((SECONDS - t_start)) s)"
