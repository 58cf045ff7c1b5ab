#!/bin/bash
# The OCF agent with backend=openstack (issue 15) against the real Keystone
# and Neutron of tests/openstack/fixture.sh, run as Pacemaker's executor
# runs it (OCF_RESKEY_*, an action): the L2 build runs its cloud build, which
# moves the floating IP through the same backend as corovipd:
#   - start on "node 1" associates the floating IP with node 1's port (the
#     stamp in its description names node 1); monitor there says 0;
#   - start on "node 2" (its own port, the password from a secrets file, not
#     from clouds.yaml) takes it over; monitor on node 1 now says 7;
#   - stop on node 2 detaches it; monitor says 7; a second stop is 0;
#   - no floating_ip: validate-all says 6, naming the parameter.
# Uses the fixture run-all started (CVOS_SHARED=1), or starts and stops one.
#   tests/openstack/ocf.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
# shellcheck source=tests/openstack/lib.sh
. "$top/tests/openstack/lib.sh"
cvos_suite_begin
dir=$CVOS_SCRATCH
token=$(cvos_token)
port_of_fip() {
	curl -sS -H "X-Auth-Token: $token" "$CVOS_NEUTRON_URL/v2.0/floatingips/$CVOS_FIP1_ID" |
		jq -r '.floatingip | "\(.port_id // "-") \(.description)"'
}
sed '/^  corovip:/,/^  [a-z]/{/password:/d}' "$CVOS_CLOUDS_YAML" >"$dir/nopass.yaml"
printf 'password=%s\n' "$CVOS_PASSWORD" >"$dir/secrets"
chmod 600 "$dir/secrets"

# agent NODE ACTION [NAME=VALUE...]: the agent as node NODE (its port), the
# exit code in RC, stderr in ERR
agent() {
	local node=$1 action=$2 kv port=$CVOS_PORT_N1 env
	shift 2
	[ "$node" = 1 ] || port=$CVOS_PORT_N2
	env=(OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=web OCF_RESKEY_CRM_meta_on_node_uuid="$node"
		OCF_RESKEY_backend=openstack OCF_RESKEY_ip="$CVOS_FIP1_ADDR" OCF_RESKEY_cloud=corovip
		OCF_RESKEY_floating_ip="$CVOS_FIP1_ID" OCF_RESKEY_port="$port" OCF_RESKEY_op_timeout=8)
	if [ "$node" = 1 ]; then
		env+=(OCF_RESKEY_clouds_yaml="$CVOS_CLOUDS_YAML")
	else
		env+=(OCF_RESKEY_clouds_yaml="$dir/nopass.yaml" OCF_RESKEY_secrets_file="$dir/secrets")
	fi
	for kv in "$@"; do env+=("OCF_RESKEY_$kv"); done
	RC=0
	ERR=$(env -i "${env[@]}" "$build/ocf/corovip-ocf-vip" "$action" 2>&1 >/dev/null) || RC=$?
}
expect() { [ "$RC" = "$1" ] || fail "$2: exit $RC, expected $1 ($ERR)"; }

agent 1 start
expect 0 "start on node 1"
read -r port desc <<<"$(port_of_fip)"
[ "$port" = "$CVOS_PORT_N1" ] || fail "the floating IP is on $port, not node 1's port"
[[ "$desc" == *"node=1"* ]] || fail "its stamp does not name node 1: $desc"
agent 1 monitor
expect 0 "monitor on node 1"
echo "ok - start on node 1: the floating IP on its port ($desc); monitor 0"

agent 2 start
expect 0 "start on node 2 (password from the secrets file)"
read -r port desc <<<"$(port_of_fip)"
[ "$port" = "$CVOS_PORT_N2" ] || fail "the floating IP is on $port, not node 2's port"
agent 1 monitor
expect 7 "monitor on node 1 once node 2 took it"
agent 2 monitor
expect 0 "monitor on node 2"
echo "ok - start on node 2 took it over ($desc); monitor: node 1 7, node 2 0"

agent 2 stop
expect 0 "stop on node 2"
read -r port desc <<<"$(port_of_fip)"
[ "$port" = - ] || fail "stop left the floating IP on $port"
agent 2 monitor
expect 7 "monitor after stop"
agent 2 stop
expect 0 "a second stop"
echo "ok - stop detached it; monitor 7, a second stop 0"

agent 1 validate-all floating_ip=
expect 6 "validate-all without floating_ip"
grep -q "floating_ip" <<<"$ERR" || fail "the message does not name floating_ip: $ERR"
echo "ok - validate-all without floating_ip: 6 ($ERR)"
