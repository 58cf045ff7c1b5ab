#!/bin/bash
# The allowed-address-pairs side of the OpenStack client
# (cloud/os-client-port.c, through corovip-os pair) against the real
# Keystone and Neutron of tests/openstack/fixture.sh (issue 14):
#   - the VIP's address added to n1's port, then moved to n2 (added on n2,
#     removed from n1), read back independently (curl + jq); the holders of
#     the address found by network and by a port of the network;
#   - an add that is there already and a removal of what is absent write
#     nothing; with a warm token and revisions a move is two writes (one per
#     port) and no read;
#   - two writers with the same revision, in turn: the second gets 412,
#     reads again and adds beside the first's (no lost update); at the same
#     moment: both pairs are there after each of 3 races (a dropped one is
#     written again by the check after the add: os-client-port.c); three
#     adds at once by one client go one after the other (3 writes, no 412);
#   - an unknown port is Neutron's 404 PortNotFound; a port without port
#     security gets Neutron's refusal (AddressPairAndPortSecurityRequired).
# Uses the fixture run-all started (CVOS_SHARED=1), or starts and stops one.
#   tests/openstack/pairs.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=tests/openstack/lib.sh
. "$top/tests/openstack/lib.sh"
cvos_suite_begin
OS=$build/cloud/corovip-os
# the check after an add: soon, so that each command ends soon
os() { env -u OS_CLOUD -u OS_CLIENT_CONFIG_FILE "$OS" --cloud corovip --clouds-yaml "$CVOS_CLOUDS_YAML" \
	--verify-delay 300 "$@"; }
token=$(cvos_token)
api() { # METHOD PATH [BODY]
	curl -sS -X "$1" -H "X-Auth-Token: $token" -H 'Content-Type: application/json' \
		${3:+-d "$3"} "$CVOS_NEUTRON_URL/v2.0$2"
}
# A port's pairs as Neutron says them: "ip,mac ip,mac" sorted ("" none).
pairs_of() { api GET "/ports/$1" | jq -r '[.port.allowed_address_pairs[] | "\(.ip_address),\(.mac_address)"] | sort | join(" ")'; }
expect_pairs() {
	local got
	got=$(pairs_of "$1")
	[ "$got" = "$2" ] || fail "$3: port $1 has '$got', not '$2'"
}
VIP=$CVOS_VIP
N1=$CVOS_PORT_N1 N2=$CVOS_PORT_N2 N3=$CVOS_PORT_N3

# ---- add, move, find
os pair add "$N1" "$VIP" >/dev/null || fail "add to n1"
expect_pairs "$N1" "$VIP,$CVOS_PORT_N1_MAC" "add to n1"
os pair add "$N2" "$VIP" >/dev/null || fail "add to n2"
os pair remove "$N1" "$VIP" >/dev/null || fail "remove from n1"
expect_pairs "$N2" "$VIP,$CVOS_PORT_N2_MAC" "moved to n2"
expect_pairs "$N1" "" "moved from n1"
echo "ok - the VIP's address added to n1 (the port's MAC filled in), then moved to n2 (added there, removed from n1)"
out=$(os pair who network "$CVOS_NET_ID" "$VIP")
{ grep -q "^ports with a pair for $VIP: 1$" <<<"$out" && grep -q "^port $N2 " <<<"$out"; } ||
	fail "who by network: $out"
out=$(os pair who port "$N1" "$VIP")
{ grep -q "^ports with a pair for $VIP: 1$" <<<"$out" && grep -q "^port $N2 " <<<"$out"; } ||
	fail "who by n1's network: $out"
echo "ok - the holder found by network and by a port of the network: n2 only"

# ---- nothing to write; warm moves
out=$(os --stats pair add "$N2" "$VIP/32" 2>&1 >/dev/null)
[[ "$out" == *" 0 writes,"* ]] || fail "an add of what is there wrote: $out"
out=$(os --stats pair remove "$N1" "$VIP" 2>&1 >/dev/null)
[[ "$out" == *" 0 writes,"* ]] || fail "a removal of what is absent wrote: $out"
expect_pairs "$N2" "$VIP,$CVOS_PORT_N2_MAC" "an add of what is there"
echo "ok - adding what is there (as its /32) and removing what is absent: a read, no write"
out=$(os pair bench "$VIP" "$N2" "$N1" 4)
[ "$(grep -c ': [0-9.]* ms (add [0-9.]* ms, remove [0-9.]* ms), 0 reads, 2 writes, 0 token calls' <<<"$out")" = 4 ] ||
	fail "warm moves are not two writes each: $out"
expect_pairs "$N2" "$VIP,$CVOS_PORT_N2_MAC" "after the bench"
expect_pairs "$N1" "" "after the bench"
echo "ok - with a warm token and revisions a move is one write per port, no read ($(tail -1 <<<"$out"))"

# ---- two writers
out=$(os --in-turn pair race "$N3" 10.0.0.201 10.0.0.202)
grep -q "^mover a (10.0.0.201): done; 2 writes, 1 412s" <<<"$out" || fail "in turn: $out"
expect_pairs "$N3" "10.0.0.201,$CVOS_PORT_N3_MAC 10.0.0.202,$CVOS_PORT_N3_MAC" "in turn"
echo "ok - in turn with the same revision: the second gets 412, reads again, adds beside the first's"
want="10.0.0.201,$CVOS_PORT_N3_MAC 10.0.0.202,$CVOS_PORT_N3_MAC"
for i in 1 2 3; do
	os pair race "$N3" "10.0.0.21$i" "10.0.0.22$i" >/dev/null || fail "at the same moment (race $i)"
	want="$want 10.0.0.21$i,$CVOS_PORT_N3_MAC 10.0.0.22$i,$CVOS_PORT_N3_MAC"
	expect_pairs "$N3" "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ' | sed 's/ $//')" "at the same moment (race $i)"
done
echo "ok - at the same moment with the same revision: both pairs there after each of 3 races"

out=$(os --stats pair add "$N1" 10.0.0.231 10.0.0.232 10.0.0.233 2>&1 >/dev/null)
[[ "$out" == *" 3 writes, 0 412s,"* ]] || fail "three adds at once by one client: $out"
expect_pairs "$N1" "10.0.0.231,$CVOS_PORT_N1_MAC 10.0.0.232,$CVOS_PORT_N1_MAC 10.0.0.233,$CVOS_PORT_N1_MAC" \
	"three adds at once by one client"
echo "ok - three adds to one port at once by one client: one after the other, 3 writes, no 412, all there"

# ---- errors
if out=$(os pair add 00000000-0000-0000-0000-000000000000 "$VIP" 2>&1); then fail "an unknown port was found"; fi
[[ "$out" == *"HTTP 404: PortNotFound"* ]] || fail "an unknown port: '$out'"
echo "ok - an unknown port: $out"
nosec=$(api POST /ports "{\"port\":{\"network_id\":\"$CVOS_NET_ID\",\"name\":\"nosec\",\"port_security_enabled\":false}}" |
	jq -r .port.id)
if out=$(os pair add "$nosec" "$VIP" 2>&1); then fail "a pair was added to a port without port security"; fi
[[ "$out" == *"HTTP 409: AddressPairAndPortSecurityRequired"* ]] || fail "a port without port security: '$out'"
expect_pairs "$nosec" "" "a port without port security"
echo "ok - a port without port security: $out"
api DELETE "/ports/$nosec" >/dev/null
for p in "$N1" "$N2" "$N3"; do api PUT "/ports/$p" '{"port":{"allowed_address_pairs":[]}}' >/dev/null; done
