# shellcheck shell=bash
# tests/openstack/lib.sh - what the OpenStack suites share:
#   cvos_suite_begin                (a suite without the bed; needs $top) the
#                                   fixture run-all started (CVOS_SHARED=1), or
#                                   one of its own, up now and down at exit;
#                                   its settings (CVOS_*) in the environment,
#                                   its state reset; CVOS_SCRATCH a scratch
#                                   directory, removed at exit
# and, once the fixture's settings are in the environment:
#   cvos_token                      a token of the fixture's user, by curl
#   cvos_fip_state FIP              "REVISION PORT FIXED_IP DESCRIPTION", read with curl
#   cvos_conf_head                  a bed node's corovip.conf up to its VIPs: 3 nodes,
#                                   kernel_lease 3s, cloud "fixture" (2 s calls, 8 s ops)
#   cvos_bridge_start ID            node ID of the namespace bed reaches the fixture
#   cvos_revoke_tokens              every token of the fixture's user revoked (its
#                                   password set again, the same, by admin): a
#                                   client's cached token gets 401 from then on, if
#                                   Neutron validates each request (CVOS_TOKEN_CACHE_TIME=-1)
#
# The bridge: the fixture listens on the host's 127.0.0.1, which the bed's
# node namespaces cannot reach (their loopback is their own, and nothing
# links them to the host's namespace). A socat in the host's namespace
# listens on a unix socket in $BED_DIR and connects to the fixture; a socat
# in each node's namespace listens on that node's 127.0.0.1 at the same port
# and connects to the unix socket. The catalog's URLs (127.0.0.1) then work
# unchanged in every node, and no packet leaves a loopback.

cvos_suite_begin() {
	fix="bash $top/tests/openstack/fixture.sh"
	CVOS_SCRATCH=$(mktemp -d)
	trap 'rm -rf "$CVOS_SCRATCH"; [ -n "${CVOS_SHARED:-}" ] || $fix down' EXIT
	[ -n "${CVOS_SHARED:-}" ] || $fix up
	eval "$($fix env)"
	$fix reset >/dev/null
}

cvos_token() { # [USER PASSWORD PROJECT]
	curl -sS -D - -o /dev/null -H 'Content-Type: application/json' -d "$(jq -nc \
		--arg u "${1:-$CVOS_USER}" --arg p "${2:-$CVOS_PASSWORD}" --arg pr "${3:-$CVOS_PROJECT}" \
		'{auth:{identity:{methods:["password"],password:{user:{name:$u,domain:{name:"Default"},password:$p}}},
		  scope:{project:{name:$pr,domain:{name:"Default"}}}}}')" "$CVOS_AUTH_URL/auth/tokens" |
		awk 'tolower($1)=="x-subject-token:" { print $2 }' | tr -d '\r'
}

cvos_revoke_tokens() {
	local adm
	adm=$(cvos_token "$CVOS_ADMIN_USER" "$CVOS_ADMIN_PASSWORD" "$CVOS_ADMIN_PROJECT")
	# (disabling and enabling the user again is no good: Keystone's cache
	# may keep it disabled)
	curl -sSf -o /dev/null -X PATCH -H "X-Auth-Token: $adm" -H 'Content-Type: application/json' \
		-d "$(jq -nc --arg p "$CVOS_PASSWORD" '{user:{password:$p}}')" "$CVOS_AUTH_URL/users/$CVOS_USER_ID"
}

cvos_conf_head() {
	cat <<EOC
cluster {
	kernel_lease: 3s
}
node n1 {
}
node n2 {
}
node n3 {
}
cloud fixture {
	clouds_yaml: $CVOS_CLOUDS_YAML
	cloud: $CVOS_CLOUD
	call_timeout: 2s
	op_timeout: 8s
}
EOC
}

# Needs $token (cvos_token's).
cvos_fip_state() {
	curl -sS -H "X-Auth-Token: $token" "$CVOS_NEUTRON_URL/v2.0/floatingips/$1" |
		jq -r '.floatingip | "\(.revision_number) \(.port_id // "-") \(.fixed_ip_address // "-") \(.description)"'
}

cvos__bridge_host() {
	local port
	[ -S "$BED_DIR/cvos-$CVOS_KS_PORT.sock" ] && return 0
	for port in "$CVOS_KS_PORT" "$CVOS_NEUTRON_PORT"; do
		bed_bg "cvos-bridge-$port" socat "UNIX-LISTEN:$BED_DIR/cvos-$port.sock,fork,mode=0600" \
			"TCP:127.0.0.1:$port"
	done
	bed_wait_until 5000 "the bridge's unix sockets" \
		test -S "$BED_DIR/cvos-$CVOS_KS_PORT.sock" -a -S "$BED_DIR/cvos-$CVOS_NEUTRON_PORT.sock"
}

# cvos_bridge_start ID: (again after a crash: the node's socats died with it)
cvos_bridge_start() {
	local port
	cvos__bridge_host >/dev/null || return 1
	for port in "$CVOS_KS_PORT" "$CVOS_NEUTRON_PORT"; do
		bed_spawn "$1" "cvos-bridge-$port" socat \
			"TCP-LISTEN:$port,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$BED_DIR/cvos-$port.sock"
	done
	bed_wait_until 5000 "node $1 reaching Keystone through the bridge" \
		bed_exec "$1" curl -sf -o /dev/null "$CVOS_AUTH_URL" >/dev/null
}
