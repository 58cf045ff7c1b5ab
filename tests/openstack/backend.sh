#!/bin/bash
# The OpenStack backend (cloud/os-backend.c) on the one-shot runner
# (backend/oneshot.c), through `corovip-os vip CONF VIP acquire|release|monitor`,
# against the real Keystone and Neutron of tests/openstack/fixture.sh (issue 14).
# The VIPs are defined in a corovip.conf whose cloud section points at the
# fixture's clouds.yaml:
#   - acquire moves the floating IP to the VIP's port with the epoch and node
#     in its description; monitor says ours (0); moved elsewhere (corovip-os
#     move, another node's epoch), monitor says not ours (7) and where it is;
#   - an acquire of a lower epoch than the one there is refused (3) and
#     changes nothing; a higher one takes it back, on the fixed IP named;
#   - release detaches it; a release when it is not ours changes nothing;
#   - the password from the cloud section's secrets_file (clouds.yaml without one);
#   - a wrong password fails with Keystone's 401 and no secret in the message;
#   - an unknown floating IP fails with Neutron's 404; a floating IP whose
#     address is not the VIP's is refused before anything is written.
# Uses the fixture run-all started (CVOS_SHARED=1), or starts and stops one.
#   tests/openstack/backend.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=tests/openstack/lib.sh
. "$top/tests/openstack/lib.sh"
cvos_suite_begin
OS=$build/cloud/corovip-os
dir=$CVOS_SCRATCH
os() { env -u OS_CLOUD -u OS_CLIENT_CONFIG_FILE -u OS_PASSWORD "$OS" "$@"; }
token=$(cvos_token)
fip_state() { # "PORT FIXED_IP DESCRIPTION", read independently
	curl -sS -H "X-Auth-Token: $token" "$CVOS_NEUTRON_URL/v2.0/floatingips/$1" |
		jq -r '.floatingip | "\(.port_id // "-") \(.fixed_ip_address // "-") \(.description)"'
}
expect_fip() {
	local got
	got=$(fip_state "$1")
	[ "$got" = "$2" ] || fail "$3: floating IP $1 is '$got', not '$2'"
}
# vip CONF VIP OP [corovip-os options]: the exit code in rc, stderr in out
vip() {
	local conf=$1 name=$2 op=$3
	shift 3
	rc=0
	out=$(os "$@" vip "$conf" "$name" "$op" 2>&1 >/dev/null) || rc=$?
}

# A clouds.yaml without the password (the secrets file has it), and one with a wrong one.
sed '/^  corovip:/,/^  [a-z]/{/password:/d}' "$CVOS_CLOUDS_YAML" >"$dir/nopass.yaml"
printf 'password=%s\n' "$CVOS_PASSWORD" >"$dir/secrets"
chmod 600 "$dir/secrets"
sed "/^  corovip:/,/^  [a-z]/s/password: .*/password: wrong-$$/" "$CVOS_CLOUDS_YAML" >"$dir/wrong.yaml"
cat >"$dir/corovip.conf" <<EOF
cloud corovip {
	clouds_yaml: $CVOS_CLOUDS_YAML
	call_timeout: 2s
	op_timeout: 8s
}
cloud from-secrets {
	clouds_yaml: $dir/nopass.yaml
	cloud: corovip
	secrets_file: $dir/secrets
}
cloud wrong {
	clouds_yaml: $dir/wrong.yaml
	cloud: corovip
}
vip web {
	address: $CVOS_FIP1_ADDR
	backend: openstack
	cloud: corovip
	floating_ip: $CVOS_FIP1_ID
	port: $CVOS_PORT_N1
}
vip web-n2 {
	address: $CVOS_FIP1_ADDR
	backend: openstack
	cloud: from-secrets
	floating_ip: $CVOS_FIP1_ID
	port: $CVOS_PORT_N2
	fixed_ip: $CVOS_PORT_N2_IP
}
vip bad-password {
	address: $CVOS_FIP2_ADDR
	backend: openstack
	cloud: wrong
	floating_ip: $CVOS_FIP2_ID
	port: $CVOS_PORT_N1
}
vip unknown {
	address: 203.0.113.199
	backend: openstack
	cloud: corovip
	floating_ip: 00000000-0000-0000-0000-000000000000
	port: $CVOS_PORT_N1
}
vip wrong-address {
	address: 203.0.113.198
	backend: openstack
	cloud: corovip
	floating_ip: $CVOS_FIP2_ID
	port: $CVOS_PORT_N1
}
EOF
# web and web-n2 share an address: two nodes' views of one VIP, not one config
sed -i '/^vip web-n2 {/,/^}/s/address: .*/address: 203.0.113.197/' "$dir/corovip.conf"
"$build/agent/corovipd" --test-config "$dir/corovip.conf" >/dev/null || fail "the config was refused"
conf=$dir/corovip.conf
n2conf=$dir/n2.conf # node 2's: web on its own port, from the secrets file
sed '/^vip web {/,/^}/d; s/^vip web-n2 {/vip web {/; s/address: 203.0.113.197/address: '"$CVOS_FIP1_ADDR"'/' \
	"$conf" >"$n2conf"
"$build/agent/corovipd" --test-config "$n2conf" >/dev/null || fail "node 2's config was refused"

# ---- acquire, monitor
vip "$conf" web acquire --epoch 5 --node 1
[ $rc = 0 ] || fail "acquire (exit $rc): $out"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N1 $CVOS_PORT_N1_IP corovip epoch=5 node=1" "acquire"
vip "$conf" web monitor --node 1
[ $rc = 0 ] || fail "monitor after acquire (exit $rc): $out"
echo "ok - acquire moved the floating IP to the VIP's port (epoch 5, node 1); monitor: ours"

os --cloud corovip --clouds-yaml "$CVOS_CLOUDS_YAML" --epoch 7 --node 3 move "$CVOS_FIP1_ID" "$CVOS_PORT_N3" >/dev/null
vip "$conf" web monitor --node 1
[ $rc = 7 ] || fail "monitor after a move elsewhere (exit $rc): $out"
[[ "$out" == *"is on port $CVOS_PORT_N3"*"not ours"* ]] || fail "monitor says: '$out'"
echo "ok - moved elsewhere: monitor says not ours (exit 7): ${out#*: monitor: }"

# ---- epochs
vip "$conf" web acquire --epoch 6 --node 1
[ $rc = 3 ] || fail "an acquire of a lower epoch (exit $rc): $out"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N3 $CVOS_PORT_N3_IP corovip epoch=7 node=3" "a lower epoch's acquire"
vip "$n2conf" web acquire --epoch 8 --node 2
[ $rc = 0 ] || fail "node 2's acquire (exit $rc): $out"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 $CVOS_PORT_N2_IP corovip epoch=8 node=2" "node 2's acquire"
vip "$n2conf" web monitor --node 2
[ $rc = 0 ] || fail "node 2's monitor (exit $rc): $out"
echo "ok - a lower epoch's acquire is refused (exit 3); a higher one takes it, on the fixed IP named, credentials from the secrets file"

# ---- release
vip "$conf" web release --epoch 9 --node 1
[ $rc = 0 ] || fail "a release by a node that does not hold it (exit $rc): $out"
expect_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2 $CVOS_PORT_N2_IP corovip epoch=8 node=2" "a release by a non-holder"
vip "$n2conf" web release --epoch 10 --node 2
[ $rc = 0 ] || fail "release (exit $rc): $out"
expect_fip "$CVOS_FIP1_ID" "- - corovip epoch=10 node=2" "release"
vip "$n2conf" web monitor --node 2
[ $rc = 7 ] || fail "monitor after release (exit $rc): $out"
echo "ok - release detaches it (a node that does not hold it changes nothing); monitor then: not ours"

# ---- errors
before=$(fip_state "$CVOS_FIP2_ID")
vip "$conf" bad-password acquire --epoch 20
[ $rc = 1 ] || fail "a wrong password (exit $rc): $out"
[[ "$out" == *"HTTP 401"* ]] || fail "a wrong password: '$out'"
[[ "$out" != *"wrong-$$"* ]] || fail "the password is in the message: '$out'"
echo "ok - a wrong password: ${out#*: acquire: }"
vip "$conf" unknown acquire --epoch 20
[ $rc = 1 ] || fail "an unknown floating IP (exit $rc): $out"
[[ "$out" == *"HTTP 404"* ]] || fail "an unknown floating IP: '$out'"
echo "ok - an unknown floating IP: ${out#*: acquire: }"
vip "$conf" wrong-address acquire --epoch 20
[ $rc = 1 ] || fail "a floating IP of another address (exit $rc): $out"
[[ "$out" == *"not the VIP's 203.0.113.198"* ]] || fail "a floating IP of another address: '$out'"
[ "$(fip_state "$CVOS_FIP2_ID")" = "$before" ] || fail "a refused acquire wrote to floating IP 2"
echo "ok - a floating IP whose address is not the VIP's is refused, unwritten"
$fix reset >/dev/null
