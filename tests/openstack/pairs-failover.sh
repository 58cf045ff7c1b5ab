#!/bin/bash
# corovipd's OpenStack pair modes on 3 real corosync nodes in namespaces
# (tests/integration/bed.sh, prefix "op"), against the real Keystone and
# Neutron of tests/openstack/fixture.sh (issue 14), reached through the
# bridge of tests/openstack/lib.sh. Each node has its own config (its port):
#   db    192.0.2.60/24 on eth0, mode address_pairs, prefers n1
#   zero  10.0.0.100/24 on eth0, mode vip_port (every port allows it
#         beforehand, the VIP port reserves it), prefers n2
# Asserted from the kernel (each node's addresses) and from Neutron (each
# port's allowed address pairs, read with curl), never from a log:
#   - db on n1 only, and n1's port allows it; zero on n2 only;
#   - n1's corovipd killed (-9): db on another node, whose port allows it,
#     and n1's port no longer does (the taker removes a last holder's pair);
#   - zero's pair removed from its holder's port behind its back: a renewal
#     round puts it back;
#   - zero's holder crashed: another node holds it, and no port was written
#     (the pairs' revisions did not change: failover is L2 alone);
#   - corovipctl status --json shows our port and whether it allows the
#     address.
#   tests/openstack/pairs-failover.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v socat >/dev/null || { echo "SKIP: needs socat (tests/install-deps openstack)"; exit 77; }
cd "$top"
fix="bash $top/tests/openstack/fixture.sh"
fail() { echo "FAIL: $*"; exit 1; }
export BED_PREFIX=${BED_PREFIX:-op}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
if [ -z "${CVOS_SHARED:-}" ]; then
	$fix up
	BED_NO_TRAP=1
	trap 'bed_down; $fix down' EXIT
fi
eval "$($fix env)"
# shellcheck source=tests/openstack/lib.sh
. tests/openstack/lib.sh
$fix reset >/dev/null
token=$(cvos_token)
[ -n "$token" ] || fail "no token for the checks"
DB=192.0.2.60 ZERO=$CVOS_VIP # the address the fixture's VIP port reserves
declare -A PORT=([1]=$CVOS_PORT_N1 [2]=$CVOS_PORT_N2 [3]=$CVOS_PORT_N3)
os() { env -u OS_CLOUD -u OS_CLIENT_CONFIG_FILE "$build/cloud/corovip-os" --cloud corovip \
	--clouds-yaml "$CVOS_CLOUDS_YAML" "$@"; }
# "REVISION IP IP ...": a port's pairs, read with curl
port_pairs() {
	curl -sS -H "X-Auth-Token: $token" "$CVOS_NEUTRON_URL/v2.0/ports/$1" |
		jq -r '.port | "\(.revision_number) \([.allowed_address_pairs[].ip_address] | join(" "))"'
}
# allowed_on ADDR: the nodes whose port allows ADDR ("n1 n3")
allowed_on() {
	local i out=""
	for i in 1 2 3; do
		[[ " $(port_pairs "${PORT[$i]}") " =~ \ $1(/32)?\  ]] && out+=" n$i"
	done
	echo "${out# }"
}
# only I ADDR: ADDR on node I alone (kernel), and I's port alone allows it (db)
held_only() {
	local h
	h=$(bed_holders "$2")
	BED_LAST="$2 on '$h'"
	[ "$h" = "n$1" ]
}
pairs_only() {
	local a
	a=$(allowed_on "$2")
	BED_LAST="ports allowing $2: '$a'"
	[ "$a" = "n$1" ]
}

for i in 1 2 3; do os pair add "${PORT[$i]}" "$ZERO" >/dev/null || fail "pre-provisioning $ZERO on n$i's port"; done
[ "$(allowed_on "$ZERO")" = "n1 n2 n3" ] || fail "pre-provisioning: $ZERO allowed on '$(allowed_on "$ZERO")'"

bed_cluster_up 3 || fail "$BED_LAST"
for i in 1 2 3; do
	cvos_bridge_start "$i" || fail "$BED_LAST"
	{ cvos_conf_head; cat <<EOC; } >"$BED_DIR/n$i.conf"
vip db {
	address: $DB/24
	interface: eth0
	backend: openstack
	mode: address_pairs
	cloud: fixture
	port: ${PORT[$i]}
	prefer: n1 n2 n3
}
vip zero {
	address: $ZERO/24
	interface: eth0
	backend: openstack
	mode: vip_port
	cloud: fixture
	port: ${PORT[$i]}
	vip_port: $CVOS_VIP_PORT
	prefer: n2 n3 n1
}
EOC
done
ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }

for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i.conf"; done
bed_wait_until 20000 "db on n1" held_only 1 "$DB" >/dev/null || fail "$BED_LAST"
bed_wait_until 5000 "n1's port alone allowing db" pairs_only 1 "$DB" >/dev/null || fail "$BED_LAST"
bed_wait_until 20000 "zero on n2" held_only 2 "$ZERO" >/dev/null || fail "$BED_LAST"
status_allows() { # I VIP: status --json on I shows its port allowing the address
	local js
	js=$(ctl "$1" status --json | jq -c ".vips[] | select(.name == \"$2\") | .cloud")
	BED_LAST="n$1's status: $2's cloud $js"
	[ "$(echo "$js" | jq -r '"\(.port) \(.allows)"')" = "${PORT[$1]} true" ]
}
bed_wait_until 5000 "n1's status of db" status_allows 1 db >/dev/null || fail "$BED_LAST"
echo "ok - db ($DB, address_pairs) on n1, whose port alone allows it; zero ($ZERO, vip_port) on n2"
ctl 1 status | grep -A1 "^VIP 'db'" | sed 's/^/    /'

bed_signal 1 corovipd KILL
bed_wait_until 15000 "db off n1" bed_moved db "$DB" n1 >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "n$BED_TO's port alone allowing db" pairs_only "$BED_TO" "$DB" >/dev/null || fail "$BED_LAST"
echo "ok - n1's corovipd killed: db on n$BED_TO, whose port now allows it and n1's no longer"

zh=2
os pair remove "${PORT[$zh]}" "$ZERO" >/dev/null || fail "removing zero's pair from n$zh's port"
repaired() { [[ " $(allowed_on "$ZERO") " == *" n$zh "* ]]; }
bed_wait_until 10000 "zero's pair back on n$zh's port" repaired >/dev/null || fail "allowed on: $(allowed_on "$ZERO")"
echo "ok - zero's pair removed from its holder's port behind its back: put back"

if [ "$BED_TO" = "$zh" ]; then # db off zero's holder first: its takeover writes ports
	to=3
	ctl "$zh" move db "n$to" >/dev/null || fail "corovipctl move db n$to"
	bed_wait_until 15000 "db on n$to" held_only "$to" "$DB" >/dev/null || fail "$BED_LAST"
	bed_wait_until 10000 "n$to's port alone allowing db" pairs_only "$to" "$DB" >/dev/null ||
		fail "$BED_LAST"
	echo "ok - corovipctl move db n$to: there, and its port alone allows it"
fi
declare -A REV
for i in 1 2 3; do read -r REV[$i] _ <<<"$(port_pairs "${PORT[$i]}")"; done
bed_crash "$zh" || fail "$BED_LAST"
bed_wait_until 15000 "zero off crashed n$zh" bed_moved zero "$ZERO" "n$zh" >/dev/null || fail "$BED_LAST"
for i in 1 2 3; do
	read -r rev _ <<<"$(port_pairs "${PORT[$i]}")"
	[ "$rev" = "${REV[$i]}" ] || fail "n$i's port was written in zero's failover (revision ${REV[$i]} -> $rev)"
done
echo "ok - n$zh crashed: zero on n$BED_TO by L2 alone (no port written)"
