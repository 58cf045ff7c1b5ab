#!/bin/bash
# The OpenStack client (cloud/os-client.c, through corovip-os) against the
# real Keystone and Neutron of tests/openstack/fixture.sh (issue 14):
#   - tokens by password (clouds.yaml), by application credential, and from
#     OS_* alone; a wrong password and an unknown cloud are refused, saying why;
#   - a floating IP moved to a port and between ports with the epoch in its
#     description, read back independently (curl); with a warm token and
#     revision each move is one write and nothing else;
#   - moves are ordered by (ring, epoch) (os-client.h cv_os_stamp):
#   - a move of a lower epoch than the one there is refused (exit 3) and
#     changes nothing; a release by a node whose port does not have it
#     changes nothing; a release by its holder detaches it;
#   - two movers with the same revision, in turn: the second gets 412, reads
#     again and yields (lower epoch) or writes (higher); at the same moment
#     (Neutron lets both pass: os-client.c): the higher epoch ends up there
#     in every order;
#   - an unknown floating IP is -ENOENT with Neutron's words;
#   - Neutron stopped in the middle of a move: the move retries within its
#     deadline and completes once Neutron is back.
# Uses the fixture run-all started (CVOS_SHARED=1), or starts and stops one.
#   tests/openstack/client.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=tests/openstack/lib.sh
. "$top/tests/openstack/lib.sh"
cvos_suite_begin
OS=$build/cloud/corovip-os
os() { env -u OS_CLOUD -u OS_CLIENT_CONFIG_FILE "$OS" --cloud corovip --clouds-yaml "$CVOS_CLOUDS_YAML" "$@"; }
# The floating IP as Neutron says it, read with curl: "PORT EPOCH-DESCRIPTION".
token=$(cvos_token)
fip_state() {
	curl -sS -H "X-Auth-Token: $token" "$CVOS_NEUTRON_URL/v2.0/floatingips/$1" |
		jq -r '.floatingip | "\(.port_id // "-") \(.description)"'
}
expect_fip() {
	local got
	got=$(fip_state "$1")
	[ "$got" = "$2" ] || fail "$3: floating IP $1 is '$got', not '$2'"
}

# ---- tokens
os token | grep -q "network endpoint $CVOS_NEUTRON_URL/v2.0" || fail "no network endpoint from the catalog"
"$OS" --cloud corovip-appcred --clouds-yaml "$CVOS_CLOUDS_YAML" token >/dev/null ||
	fail "the application credential was refused"
env -i PATH=/usr/bin:/bin OS_AUTH_URL="$CVOS_AUTH_URL" OS_USERNAME="$CVOS_USER" OS_PASSWORD="$CVOS_PASSWORD" \
	OS_PROJECT_NAME="$CVOS_PROJECT" OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
	OS_REGION_NAME="$CVOS_REGION" "$OS" token >/dev/null || fail "OS_* alone were refused"
echo "ok - tokens by password (clouds.yaml), application credential and OS_* alone"
if out=$(env -i PATH=/usr/bin:/bin OS_AUTH_URL="$CVOS_AUTH_URL" OS_USERNAME="$CVOS_USER" OS_PASSWORD=wrong \
	OS_PROJECT_NAME="$CVOS_PROJECT" OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
	"$OS" token 2>&1); then fail "a wrong password was taken"; fi
[[ "$out" == *"HTTP 401"* ]] || fail "a wrong password: '$out'"
[[ "$out" != *wrong* ]] || fail "the password is in the message: '$out'"
if out=$("$OS" --cloud nosuch --clouds-yaml "$CVOS_CLOUDS_YAML" token 2>&1); then fail "an unknown cloud was taken"; fi
[[ "$out" == *"nosuch"* ]] || fail "an unknown cloud: '$out'"
echo "ok - a wrong password is refused with Keystone's 401 (no secret in the message); an unknown cloud is named"

# ---- moves
os --epoch 5 move "$CVOS_FIP1_ID" "$CVOS_PORT_N1" >/dev/null || fail "move to n1"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N1 corovip epoch=5 node=1" "move to n1"
os --epoch 6 --node 2 move "$CVOS_FIP1_ID" "$CVOS_PORT_N2" "$CVOS_PORT_N2_IP" >/dev/null || fail "move to n2"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 corovip epoch=6 node=2" "move to n2"
echo "ok - moved to n1, then to n2 (its fixed IP named), the epoch and node in the description"
out=$(os --epoch 10 bench "$CVOS_FIP1_ID" "$CVOS_PORT_N1" "$CVOS_PORT_N2" 4)
[ "$(grep -c ': [0-9.]* ms, 0 reads, 1 writes, 0 token calls' <<<"$out")" = 4 ] ||
	fail "warm moves are not one write each: $out"
echo "ok - with a warm token and revision each move is one write ($(tail -1 <<<"$out"))"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 corovip epoch=14 node=1" "bench"

# ---- stale moves and releases
rc=0
os --epoch 13 move "$CVOS_FIP1_ID" "$CVOS_PORT_N3" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a move of a lower epoch: exit $rc, not 3"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 corovip epoch=14 node=1" "a lower epoch's move"
os --epoch 15 release "$CVOS_FIP1_ID" "$CVOS_PORT_N1" >/dev/null || fail "release by a non-holder"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 corovip epoch=14 node=1" "a release by a non-holder"
os --epoch 15 release "$CVOS_FIP1_ID" "$CVOS_PORT_N2" >/dev/null || fail "release by the holder"
expect_fip "$CVOS_FIP1_ID" "- corovip epoch=15 node=1" "a release by the holder"
echo "ok - a lower epoch's move is refused (exit 3) and changes nothing; only the holder's release detaches"
# the ring first, then the epoch (a take after a membership change is in a newer ring)
os --ring 7 --epoch 2 --node 3 move "$CVOS_FIP1_ID" "$CVOS_PORT_N3" >/dev/null || fail "a move of a newer ring"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N3 corovip ring=7 epoch=2 node=3" "a move of a newer ring, lower epoch"
rc=0
os --ring 6 --epoch 40 move "$CVOS_FIP1_ID" "$CVOS_PORT_N1" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "a move of an older ring, higher epoch: exit $rc, not 3"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N3 corovip ring=7 epoch=2 node=3" "a move of an older ring"
os --ring 7 --epoch 3 release "$CVOS_FIP1_ID" "$CVOS_PORT_N3" >/dev/null || fail "release by the holder (ring 7)"
expect_fip "$CVOS_FIP1_ID" "- corovip ring=7 epoch=3 node=1" "a release by the holder (ring 7)"
echo "ok - moves are ordered by ring, then epoch: ring 7 epoch 2 over epoch 15; ring 6 epoch 40 refused (exit 3)"
$fix reset >/dev/null # ring 0 again below

# ---- two movers
out=$(os --in-turn race "$CVOS_FIP1_ID" "$CVOS_PORT_N1" 20 "$CVOS_PORT_N2" 21)
grep -q "^mover a (epoch 20): Stale.*1 412s" <<<"$out" || fail "in turn, the lower epoch did not yield: $out"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 corovip epoch=21 node=2" "in turn, lower second"
out=$(os --in-turn race "$CVOS_FIP1_ID" "$CVOS_PORT_N1" 23 "$CVOS_PORT_N2" 22)
grep -q "^mover a (epoch 23): done; 2 writes, 1 412s" <<<"$out" || fail "in turn, the higher epoch did not write again: $out"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N1 corovip epoch=23 node=1" "in turn, higher second"
echo "ok - in turn: the second mover gets 412, reads again, yields to a higher epoch or writes over a lower"
e=30
for i in 1 2 3 4; do
	if [ $((i % 2)) = 1 ]; then a=$((e + 1)) b=$e; want="$CVOS_PORT_N1 corovip epoch=$a node=1"
	else a=$e b=$((e + 1)); want="$CVOS_PORT_N2 corovip epoch=$b node=2"; fi
	os --verify-delay 2500 race "$CVOS_FIP1_ID" "$CVOS_PORT_N1" $a "$CVOS_PORT_N2" $b >/dev/null
	expect_fip "$CVOS_FIP1_ID" "$want" "at the same moment (race $i)"
	e=$((e + 2))
done
echo "ok - at the same moment (both writes pass Neutron's If-Match): the higher epoch is there after each of 4 races"

# ---- errors
if out=$(os show 00000000-0000-0000-0000-000000000000 2>&1); then fail "an unknown floating IP was found"; fi
[[ "$out" == *"HTTP 404: FloatingIPNotFound"* ]] || fail "an unknown floating IP: '$out'"
echo "ok - an unknown floating IP: $out"

# ---- Neutron stopped in the middle of a move
$fix neutron-stop >/dev/null 2>&1
t0=$(date +%s%N)
os --deadline 60000 --epoch 50 move "$CVOS_FIP1_ID" "$CVOS_PORT_N3" >/dev/null 2>"$CVOS_DIR/move.err" &
mover=$!
sleep 2 # the mover meets a stopped Neutron and retries: what is tested
$fix neutron-start >/dev/null 2>&1
wait $mover || fail "the move across a Neutron restart failed: $(cat "$CVOS_DIR/move.err")"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N3 corovip epoch=50 node=1" "the move across a Neutron restart"
echo "ok - Neutron stopped during a move: it retried and completed once Neutron was back ($((($(date +%s%N) - t0) / 1000000)) ms)"
$fix reset >/dev/null
