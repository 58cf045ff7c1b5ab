#!/bin/bash
# Notify hooks (issue 13): a VIP's hook runs on each of its transitions on
# the node, in order, with its environment, as script_user; the cluster
# hook runs once per batch with the list; a hook that hangs delays nothing.
# corovipd on 3 real corosync nodes (tests/integration/bed.sh, namespaces
# prefixed "hk"). Each node has its own config (hooks are per node):
#   web  prefers n1; notify: record.sh, which appends its environment to
#        events-nI; cluster notify: batch.sh, which appends its stdin to
#        batch-nI
# Checked from the files the hooks wrote: after the takeover by n1 and a
# handoff to n2, each node's events chain (each OLD is the previous NEW),
# end where the VIP is, carry the VIP's address, interface, epoch and the
# node's id, ran as nobody; the cluster hook saw the same transitions.
# Then every hook is /bin/sleep infinity (notify_timeout 10m): handoffs take
# no longer than before (generous bound), the hung hooks stay confined to
# their run, and they go when corovipd stops.
#   tests/integration/hooks.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-hk}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=198.51.100.50

held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }


# conf I VIP_HOOK CLUSTER_HOOK TIMEOUT
conf() {
	cat >"$BED_DIR/n$1/corovip.conf" <<EOC
cluster {
	script_user: nobody
	notify: $3
	notify_timeout: $4
}
node n1 {
}
node n2 {
}
vip web {
	address: $VIP/24
	interface: eth0
	prefer: n1 n2
	notify: $2
}
EOC
	chmod 0644 "$BED_DIR/n$1/corovip.conf"
}

# last_is I OLD NEW: node I's last recorded transition of web.
last_is() {
	local l
	l=$(tail -1 "$hk/events-n$1" 2>/dev/null | cut -d'|' -f4,5)
	[ "$l" = "$2|$3" ] || { BED_LAST="n$1's last event: '$l'"; return 1; }
}

# check_events I: node I's events chain from idle, with web's environment.
check_events() {
	local f=$hk/events-n$1 prev=idle vip addr ifc old new reason epoch node user
	while IFS='|' read -r vip addr ifc old new reason epoch node user; do
		[ "$vip|$addr|$ifc|$node|$user" = "web|$VIP/24|eth0|$1|nobody" ] ||
			fail "n$1: a hook's environment: $vip|$addr|$ifc|$old|$new|$reason|$epoch|$node|$user"
		[ "$old" = "$prev" ] || fail "n$1: hooks out of order ($prev, then $old -> $new): $(cat "$f")"
		[[ "$epoch" =~ ^[0-9]+$ ]] || fail "n$1: COROVIP_EPOCH '$epoch'"
		[ -n "$reason" ] || fail "n$1: no COROVIP_REASON"
		prev=$new
	done <"$f"
	# the cluster hook saw the same transitions, in the same order
	diff <(cut -d'|' -f4,5 "$f" | tr '|' ' ') \
		<(grep -v '^batch ' "$hk/batch-n$1" | awk '{ print $2, $3 }') >/dev/null ||
		fail "n$1: the cluster hook's list differs: $(cat "$hk/batch-n$1")"
}

bed_cluster_up 3
bed_temp_dir hk corovip-hooks
chmod 1777 "$hk" # the hooks run as nobody
cat >"$hk/record.sh" <<'EOS'
#!/bin/sh
printf '%s|%s|%s|%s|%s|%s|%s|%s|%s\n' "$COROVIP_VIP" "$COROVIP_ADDRESS" "$COROVIP_INTERFACE" \
	"$COROVIP_OLD_STATE" "$COROVIP_NEW_STATE" "$COROVIP_REASON" "$COROVIP_EPOCH" \
	"$COROVIP_NODE" "$(id -un)" >>"$1"
EOS
cat >"$hk/batch.sh" <<'EOS'
#!/bin/sh
{ echo "batch $COROVIP_TRANSITION_COUNT"; cat; } >>"$1"
EOS
chmod 0755 "$hk/record.sh" "$hk/batch.sh"
for i in 1 2 3; do
	conf "$i" "$hk/record.sh $hk/events-n$i" "$hk/batch.sh $hk/batch-n$i" 10s
done
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i/corovip.conf"; done
bed_wait_until 10000 "n1 to hold web" held_by n1 >/dev/null || fail "$BED_LAST"
bed_watch_start $VIP >/dev/null
bed_wait_until 5000 "n1's hook to record the takeover" last_is 1 waiting held >/dev/null ||
	fail "$BED_LAST"
check_events 1
echo "ok - takeover by n1: its hooks ran in order ($(cut -d'|' -f4,5 "$hk/events-n1" | paste -sd' '))"

t0=$(bed_now_ms)
ctl 3 move web n2 >/dev/null || fail "move web n2"
bed_wait_until 5000 "web to move to n2" held_by n2 >/dev/null || fail "$BED_LAST"
plain=$(($(bed_now_ms) - t0))
bed_wait_until 5000 "n1's hook to record the release" last_is 1 releasing idle >/dev/null ||
	fail "$BED_LAST"
bed_wait_until 5000 "n2's hook to record the takeover" last_is 2 waiting held >/dev/null ||
	fail "$BED_LAST"
check_events 1
check_events 2
[ ! -s "$hk/events-n3" ] || fail "n3 ran hooks for transitions it never had: $(cat "$hk/events-n3")"
e1=$(grep '|waiting|held|' "$hk/events-n1" | tail -1 | cut -d'|' -f7)
e2=$(grep '|waiting|held|' "$hk/events-n2" | tail -1 | cut -d'|' -f7)
[ "$e2" -gt "$e1" ] || fail "n2 took web with epoch $e2, not after n1's $e1"
echo "ok - handoff to n2 in $plain ms: n1's and n2's hooks in order, with their environment (epochs $e1, $e2)"

# Every hook now hangs (reload); nothing may wait for them.
for i in 1 2 3; do
	conf "$i" "/bin/sleep infinity" "/bin/sleep infinity" 10m
	kill -HUP "$(bed_pid "$i" corovipd)"
done
sleep 1
t0=$(bed_now_ms)
ctl 3 move web n1 >/dev/null || fail "move web n1"
bed_wait_until 5000 "web to move back to n1 with hung hooks" held_by n1 >/dev/null || fail "$BED_LAST"
hung1=$(($(bed_now_ms) - t0))
t0=$(bed_now_ms)
ctl 3 move web n2 >/dev/null || fail "move web n2"
bed_wait_until 5000 "web to move to n2 with hung hooks" held_by n2 >/dev/null || fail "$BED_LAST"
hung2=$(($(bed_now_ms) - t0))
for t in $hung1 $hung2; do
	[ "$t" -le $((plain + 2000)) ] || fail "a handoff took $t ms with hung hooks, $plain ms without"
done
n=$(pgrep -u nobody -xf '/bin/sleep infinity' | wc -l)
# n1 and n2: the cluster hook (one run, the rest gathered) and web's (one run, the rest queued)
[ "$n" -eq 4 ] || fail "$n hung hooks run, not 4 (one cluster hook and one of web's on n1 and n2)"
echo "ok - with hooks that hang: handoffs in $hung1 and $hung2 ms (without: $plain ms), $n hung runs"

s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
echo "ok - the checker never saw two holders ($s)"

for i in 1 2 3; do bed_stop "$i" corovipd 10000; done
n=$(pgrep -u nobody -xf '/bin/sleep infinity' | wc -l || true)
[ "$n" -eq 0 ] || fail "$n hung hooks outlived corovipd"
echo "ok - the hung hooks went with corovipd"
bed_down
