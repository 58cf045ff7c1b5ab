#!/bin/bash
# corovipd with the OpenStack backend on 3 real corosync nodes in namespaces
# (tests/integration/bed.sh, prefix "os"), moving a floating IP of the real
# Keystone and Neutron of tests/openstack/fixture.sh (issue 14). The nodes
# reach the fixture through a bridge of unix sockets (tests/openstack/lib.sh:
# nothing links a node's namespace to the host's). Each node has its own
# config (its own port); the VIP prefers n1.
# Asserted from Neutron (read with curl, never from a log):
#   - started: the floating IP is on n1's port with n1's node id and a stamp
#     (ring, epoch: os-client.h); corovipctl status on n1 shows the port and stamp;
#   - n1's corovipd killed (-9; its reaper cannot release a cloud VIP, the
#     survivors take it after the guard): it moves to n2's port, a higher
#     or the same stamp, and stays there (stickiness) once n1's daemon is back;
#   - n2 cut off (it loses quorum, but still reaches the API): the majority
#     moves it to a third port, a later stamp; after the heal n2, which held it,
#     never writes it again (its revision does not change while n2 catches up);
#   - a planned move (corovipctl move) to a node that does not hold it: there, a later stamp;
#   - the user's tokens revoked in Keystone (401 for the cached ones): a
#     planned move still completes (the daemons authenticate again);
#   - every node on standby: nobody takes it, and the last holder detaches it
#     some op_timeout after its release (a release hands over: a planned move
#     is one PUT, the taker's); off standby, taken again;
#   - the holder's node crashed: a survivor takes it.
# Every change is the floating IP's only writer's: the revision goes up by one
# per move, no move is undone by a stale holder.
#   tests/openstack/failover.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v socat >/dev/null || { echo "SKIP: needs socat (tests/install-deps openstack)"; exit 77; }
cd "$top"
fix="bash $top/tests/openstack/fixture.sh"
fail() { echo "FAIL: $*"; exit 1; }
export BED_PREFIX=${BED_PREFIX:-os}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
if [ -z "${CVOS_SHARED:-}" ]; then
	CVOS_TOKEN_CACHE_TIME=-1 $fix up
	BED_NO_TRAP=1
	trap 'bed_down; $fix down' EXIT
fi
eval "$($fix env)"
# shellcheck source=tests/openstack/lib.sh
. tests/openstack/lib.sh
$fix reset >/dev/null
token=$(cvos_token)
[ -n "$token" ] || fail "no token for the checks"

bed_cluster_up 3 || fail "$BED_LAST"
declare -A PORT=([1]=$CVOS_PORT_N1 [2]=$CVOS_PORT_N2 [3]=$CVOS_PORT_N3)
for i in 1 2 3; do
	cvos_bridge_start "$i" || fail "$BED_LAST"
	{ cvos_conf_head; cat <<EOC; } >"$BED_DIR/n$i.conf"
vip web {
	address: $CVOS_FIP1_ADDR
	backend: openstack
	cloud: fixture
	floating_ip: $CVOS_FIP1_ID
	port: ${PORT[$i]}
	prefer: n1 n2 n3
}
EOC
done
echo "ok - 3 nodes quorate, each reaching Keystone and Neutron through the bridge"

ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }
# on_node I: the floating IP is on node I's port, its description names node
# I; sets RING, EPOCH, STAMP (their text), ORDER (to compare: ring, then epoch) and REV.
on_node() {
	local st port fixed desc
	st=$(cvos_fip_state "$CVOS_FIP1_ID") || return 1
	read -r REV port fixed desc <<<"$st"
	BED_LAST="floating IP: $st"
	[ "$port" = "${PORT[$1]}" ] || return 1
	[[ "$desc" =~ ^corovip\ ring=([0-9]+)\ epoch=([0-9]+)\ node=$1$ ]] || return 1
	RING=${BASH_REMATCH[1]} EPOCH=${BASH_REMATCH[2]}
	STAMP="ring $RING epoch $EPOCH" ORDER=$((RING * 1000000000 + EPOCH))
}
# moved_from I ORDER [-gt|-ge]: on another node's port than I's, a later move
# (-gt; -ge: or the same stamp: a take after a daemon died, in the same ring,
# where the taker may not have heard its epoch, os-client.h); sets TO.
moved_from() {
	local j
	for j in 1 2 3; do
		[ "$j" != "$1" ] || continue
		if on_node "$j" && [ "$ORDER" "${3:--gt}" "$2" ]; then TO=$j; return 0; fi
	done
	return 1
}
owner_is() { # I NAME: corovipctl status --json on I names NAME web's owner
	local s
	s=$(ctl "$1" status --json | jq -r '.vips[] | select(.name == "web") | .owner.name')
	BED_LAST="n$1 names '$s' web's owner"
	[ "$s" = "$2" ]
}
held_on() { # I: corovipctl status --json on I says I holds web
	local s
	s=$(ctl "$1" status --json | jq -r '.vips[] | select(.name == "web") | "\(.state) \(.owner.name)"')
	BED_LAST="n$1's status: $s"
	[ "$s" = "held n$1" ]
}

for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i.conf"; done
bed_wait_until 20000 "the floating IP on n1's port" on_node 1 >/dev/null || fail "$BED_LAST"
bed_wait_until 5000 "n1 holding web" held_on 1 >/dev/null || fail "$BED_LAST"
e1=$ORDER
# the engine says held when it asks for the move: status shows the
# floating IP as last read, ours once the move's answer is in
cloud_is() { # I PORT RING EPOCH: what status --json on I shows of the floating IP
	local js
	js=$(ctl "$1" status --json | jq -c '.vips[] | select(.name == "web") | .cloud')
	BED_LAST="n$1's status: cloud $js"
	[ "$(echo "$js" | jq -r '"\(.port) \(.ring) \(.epoch) \(.node)"')" = "$2 $3 $4 $1" ]
}
bed_wait_until 5000 "n1's status showing its port and epoch" cloud_is 1 "$CVOS_PORT_N1" "$RING" "$EPOCH" >/dev/null ||
	fail "$BED_LAST"
echo "ok - started: floating IP on n1's port ($STAMP), corovipctl status shows port and stamp:"
ctl 1 status | grep -A1 "^VIP 'web'" | sed 's/^/    /'

t0=$(bed_now_ms)
bed_signal 1 corovipd KILL
bed_wait_until 20000 "the floating IP moved off n1" moved_from 1 "$e1" -ge >/dev/null || fail "$BED_LAST"
t1=$(bed_now_ms)
from=$TO e2=$ORDER r2=$REV
bed_wait_until 15000 "n1's corovipd back, naming n$from" owner_is 1 "n$from" >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "n$from holding web" held_on "$from" >/dev/null || fail "$BED_LAST"
on_node "$from" && [ "$ORDER" = "$e2" ] || fail "web moved again after n1's daemon came back: $BED_LAST"
echo "ok - n1's corovipd killed: n$from took the floating IP in $((t1 - t0)) ms ($STAMP), kept it"

holder=$from
bed_cut "$holder" || fail "$BED_LAST"
bed_wait_until 20000 "the floating IP moved off cut-off n$holder" moved_from "$holder" "$e2" >/dev/null ||
	fail "$BED_LAST"
new=$TO e3=$ORDER r3=$REV
[ "$r3" -gt "$r2" ] || fail "revision $r3 after $r2"
bed_heal "$holder" || fail "$BED_LAST"
bed_wait_quorate "$holder" 15000 "1 2 3" >/dev/null || fail "$BED_LAST"
bed_wait_until 15000 "n$holder naming n$new web's owner" owner_is "$holder" "n$new" >/dev/null || fail "$BED_LAST"
on_node "$new" && [ "$REV" = "$r3" ] || fail "after the heal the floating IP changed: $BED_LAST"
echo "ok - n$holder cut off: n$new took it ($STAMP); healed, n$holder never wrote it again"

to=1
[ "$new" != 1 ] || to=3
ctl "$new" move web "n$to" >/dev/null || fail "corovipctl move web n$to"
t0=$(bed_now_ms)
bed_wait_until 15000 "the floating IP on n$to's port" on_node "$to" >/dev/null || fail "$BED_LAST"
t1=$(bed_now_ms)
[ "$ORDER" -gt "$e3" ] || fail "planned move to n$to: $STAMP, not after the last"
e4=$ORDER
echo "ok - corovipctl move web n$to: on n$to's port in $((t1 - t0)) ms ($STAMP)"

# Keystone revokes the user's tokens: the holder's cached one gets 401 at
# its next call, and it authenticates again (os-client.c), once. An expired
# token is refused the same way (401) and takes the same path; a revoked
# one is how a test gets one without waiting for Keystone's hour. (Before
# it expires the client refreshes it: a quarter of its life, at most 5 min.)
if [ "${CVOS_TOKEN_CACHE_TIME:-}" = -1 ]; then
	cvos_revoke_tokens || fail "revoking the user's tokens"
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $token" "$CVOS_NEUTRON_URL/v2.0/floatingips/$CVOS_FIP1_ID")
	[ "$code" = 401 ] || fail "a revoked token still works (HTTP $code)"
	# Keystone revokes by issue time in whole seconds: a token issued in
	# the same second is revoked too. Once a new one works, so would the
	# daemons' (their first new one may not: a failed move is retried).
	works() { token=$(cvos_token) && [ "$(cvos_fip_state "$CVOS_FIP1_ID" | cut -d' ' -f1)" != null ]; }
	bed_wait_until 5000 "a new token that works" works >/dev/null || fail "$BED_LAST"
	back=$new # the last holder but one
	ctl "$to" move web "n$back" >/dev/null || fail "corovipctl move web n$back"
	bed_wait_until 15000 "the floating IP on n$back's port" on_node "$back" >/dev/null || fail "$BED_LAST"
	[ "$ORDER" -gt "$e4" ] || fail "the move after the revocation: $STAMP, not after the last"
	e4=$ORDER to=$back
	echo "ok - tokens revoked (the old one gets 401): the taker authenticated again, moved it to n$to ($STAMP)"
else
	echo "SKIP: token revocation (the fixture's Neutron caches tokens: CVOS_TOKEN_CACHE_TIME=${CVOS_TOKEN_CACHE_TIME:-300})"
fi

# A release hands over (os-backend-fip.c): with nobody to take it, the
# holder detaches it op_timeout (8 s) + 5 s later, with its stamp.
for i in 1 2 3; do ctl "$to" standby "n$i" >/dev/null || fail "corovipctl standby n$i"; done
detached() {
	local st port fixed desc
	st=$(cvos_fip_state "$CVOS_FIP1_ID")
	read -r REV port fixed desc <<<"$st"
	BED_LAST="floating IP: $st"
	[ "$port" = - ] && [[ "$desc" == *" node=$to" ]]
}
t0=$(bed_now_ms)
bed_wait_until 30000 "the floating IP detached" detached >/dev/null || { ctl "$to" status | head -12; grep -h "web\|float" "$BED_DIR/n$to/corovipd.out" | tail -8; fail "$BED_LAST"; }
echo "ok - every node on standby: nobody took it, n$to detached it $(($(bed_now_ms) - t0)) ms after its release"
for i in 1 2 3; do ctl "$to" unstandby "n$i" >/dev/null || fail "corovipctl unstandby n$i"; done
somewhere() { on_node 1 || on_node 2 || on_node 3; }
bed_wait_until 15000 "the floating IP on a port again" somewhere >/dev/null || fail "$BED_LAST"
e4=$ORDER
for i in 1 2 3; do on_node "$i" && to=$i; done
echo "ok - off standby: n$to took it again ($STAMP)"

bed_crash "$to" || fail "$BED_LAST"
bed_wait_until 20000 "the floating IP moved off crashed n$to" moved_from "$to" "$e4" >/dev/null || fail "$BED_LAST"
echo "ok - n$to crashed: n$TO took the floating IP ($STAMP)"
bed_wait_until 5000 "n$TO's status showing its port" cloud_is "$TO" "${PORT[$TO]}" "$RING" "$EPOCH" >/dev/null ||
	fail "$BED_LAST"
ctl "$TO" status | grep -A1 "^VIP 'web'" | sed 's/^/    /'
