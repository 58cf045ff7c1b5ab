#!/usr/bin/env bash
# fixture.sh - a REAL Keystone v3 + Neutron v2.0 API on 127.0.0.1 for the tests
# of corovip's OpenStack backend, from Debian 12 packages (keystone 22 and
# neutron-server 21, Zed): PostgreSQL on a unix socket, oslo.messaging's
# in-process fake transport, no agents, no Nova. The API and database
# behaviour is real; there is no data plane (floating IP and port "status"
# stays DOWN).
#
#   fixture.sh install   install the packages (tests/install-deps openstack; root)
#   fixture.sh check     exit 0 if everything 'up' needs is installed
#   fixture.sh up        start PostgreSQL + Keystone + Neutron, seed them, write the env
#   fixture.sh env       print the env file (shell assignments: eval "$(fixture.sh env)")
#   fixture.sh status    processes, memory, listening sockets
#   fixture.sh reset     back to the seeded state (FIPs detached, no address pairs,
#                        ports and FIPs the tests created deleted)
#   fixture.sh down      stop everything it started and delete the state dir
#   fixture.sh neutron-stop / neutron-start
#                        stop neutron-server alone / start it again (its database
#                        kept): a Neutron outage in the middle of a test
#
# What 'up' seeds (project "ha", domain Default, region RegionOne):
#   user cvuser (role member in ha) + an application credential of that user,
#   admin (admin in project admin), the service user neutron, the catalog
#   (identity + network, public/internal/admin);
#   external network "public" (flat, 203.0.113.0/24, pool .10-.200), floating
#   IPs 203.0.113.101 (FIP1) and 203.0.113.102 (FIP2) owned by ha; network
#   "private" 10.0.0.0/24 (no DHCP), router r1 (gateway on public, interface
#   on private); ports n1 n2 n3 (10.0.0.11-13, port security on, device_owner
#   compute:nova, one device_id each) and a VIP port "vip" (10.0.0.100).
#
# The state dir holds env (the assignments, 0600), clouds.yaml (0600; entries
# "corovip" with the password and "corovip-appcred" with the application
# credential; also at home/.config/openstack/clouds.yaml for HOME=$dir/home,
# where resource-agents look), openrc (0600) and the logs.
#
# Knobs (environment; the same values must be set for every subcommand):
#   CVOS_DIR=/tmp/cvosfix        state dir (keep it short: the PostgreSQL socket path must fit in 107 bytes)
#   CVOS_KS_PORT=15000           Keystone on 127.0.0.1
#   CVOS_NEUTRON_PORT=19696      Neutron on 127.0.0.1
#   CVOS_TOKEN_EXPIRATION=3600   Keystone [token] expiration (s): lower it to test re-authentication
#   CVOS_ALLOW_EXPIRED=172800    Keystone [token] allow_expired_window (s)
#   CVOS_TOKEN_CACHE_TIME=300    keystonemiddleware token cache in Neutron (s); -1 validates every
#                                request (with the default a revoked token keeps working up to 300 s)
#   CVOS_BCRYPT_ROUNDS=          Keystone password_hash_rounds (empty: bcrypt's 12; 4 makes each
#                                password/app-cred authentication ~0.3 s faster)
#   CVOS_WAIT=120                seconds to wait for each server to answer
#   CVOS_KEEP=1                  'down' keeps the state dir (logs) instead of deleting it
#
# 'up' refuses when a live fixture already holds the state dir or a port is
# taken; a state dir left by a killed run is cleaned first (its processes,
# found by process group and working directory, are stopped).
# Needs root (PostgreSQL runs as postgres; the packages install as root).
set -euo pipefail

CVOS_DIR=${CVOS_DIR:-/tmp/cvosfix}
CVOS_KS_PORT=${CVOS_KS_PORT:-15000}
CVOS_NEUTRON_PORT=${CVOS_NEUTRON_PORT:-19696}
CVOS_TOKEN_EXPIRATION=${CVOS_TOKEN_EXPIRATION:-3600}
CVOS_ALLOW_EXPIRED=${CVOS_ALLOW_EXPIRED:-172800}
CVOS_TOKEN_CACHE_TIME=${CVOS_TOKEN_CACHE_TIME:-300}
CVOS_BCRYPT_ROUNDS=${CVOS_BCRYPT_ROUNDS:-}
CVOS_WAIT=${CVOS_WAIT:-120}

self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
top=$(cd "$(dirname "$0")/../.." && pwd)
D=$CVOS_DIR
KS_URL=http://127.0.0.1:$CVOS_KS_PORT/v3
NEUTRON_URL=http://127.0.0.1:$CVOS_NEUTRON_PORT
PGBIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
PY=/usr/bin/python3 # not a python3 earlier on PATH (pyenv): the OpenStack libs are the system's
REGION=RegionOne
DOMAIN=Default
ADMIN_PASSWORD=cvos-admin-secret
NEUTRON_SVC_PASSWORD=cvos-neutron-secret
USER_NAME=cvuser
USER_PASSWORD=cvuser-secret
PROJECT_NAME=ha
APP_CRED_NAME=corovip-test
NET_CIDR=10.0.0.0/24
EXT_CIDR=203.0.113.0/24
NODE_IPS=(10.0.0.11 10.0.0.12 10.0.0.13)
VIP=10.0.0.100
FIP_ADDRS=(203.0.113.101 203.0.113.102)

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
T0=$(now_ms)
phase() { local t=$(($(now_ms) - T0)); printf '[cvosfix %3d.%03ds] %s\n' $((t / 1000)) $((t % 1000)) "$*" >&2; }
die() {
	echo "cvosfix: $*" >&2
	exit 1
}

# run a command as the owner of the cluster (PostgreSQL refuses to run as root)
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

# api METHOD URL TOKEN [JSON] -> body on stdout; an HTTP error is fatal
api() {
	local m=$1 url=$2 tok=$3 data=${4-} out code
	local args=(-sS -X "$m" -H "X-Auth-Token: $tok" -H 'Accept: application/json' -w '\n%{http_code}')
	[ -z "$data" ] || args+=(-H 'Content-Type: application/json' -d "$data")
	out=$(curl "${args[@]}" "$url") || die "$m $url: curl failed"
	code=${out##*$'\n'}
	out=${out%$'\n'*}
	[ "$code" -lt 400 ] || die "$m $url -> HTTP $code: $out"
	printf '%s' "$out"
}

# token USER PASSWORD PROJECT -> X-Subject-Token of a project-scoped token
token() {
	local body tok
	body=$(jq -nc --arg u "$1" --arg p "$2" --arg pr "$3" \
		'{auth:{identity:{methods:["password"],password:{user:{name:$u,domain:{id:"default"},password:$p}}},
		        scope:{project:{name:$pr,domain:{id:"default"}}}}}')
	tok=$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' -d "$body" "$KS_URL/auth/tokens" |
		awk 'tolower($1)=="x-subject-token:"{print $2}' | tr -d '\r')
	[ -n "$tok" ] || die "no token for $1 in project $3"
	echo "$tok"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_http() { # URL PID NAME: wait until URL answers, or PID dies
	local i
	for ((i = 0; i < CVOS_WAIT * 10; i++)); do
		curl -s -o /dev/null --max-time 2 "$1" && return 0
		kill -0 "$2" 2>/dev/null || die "$3 (pid $2) died; see $D/${3%%-*}/"
		sleep 0.1
	done
	die "$3 did not answer on $1 within $CVOS_WAIT s"
}

cmd_install() { exec "$top/tests/install-deps" openstack; }

missing() { # prints what 'up' needs and does not find
	local b
	for b in keystone-manage keystone-wsgi-public neutron-server neutron-db-manage uwsgi curl jq socat setsid su; do
		command -v "$b" >/dev/null || echo "$b"
	done
	[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || echo "postgresql (initdb)"
	[ -e /usr/lib/uwsgi/plugins/python3_plugin.so ] || echo uwsgi-plugin-python3
	$PY -c 'import psycopg2' 2>/dev/null || echo python3-psycopg2
}

cmd_check() {
	local m
	m=$(missing | tr '\n' ' ')
	[ -z "$m" ] || die "not installed: $m(run '$0 install' as root)"
}

# --- processes ---------------------------------------------------------------
# keystone (uwsgi) and neutron-server each run in their own session started by
# setsid, with $D/<name> as working directory; their workers inherit both. A
# process is ours iff it is in the recorded process group and its cwd is that
# directory, or (for workers orphaned by a killed master) its cwd is that
# directory; nothing is ever looked up by name.
svc_pids() { # NAME -> PIDs of that service
	local dir=$D/$1 p pg=
	[ -d "$dir" ] || return 0
	[ -s "$dir/pgid" ] && pg=$(cat "$dir/pgid")
	{
		find /proc -mindepth 2 -maxdepth 2 -path '/proc/[0-9]*/cwd' -lname "$dir" 2>/dev/null | cut -d/ -f3
		if [ -n "$pg" ]; then
			for p in $(pgrep -g "$pg" 2>/dev/null || true); do
				if [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$dir" ]; then echo "$p"; fi
			done
		fi
	} | sort -un
}

pg_pid() { # the postmaster's PID if it runs
	local p
	[ -s "$D/pg/data/postmaster.pid" ] || return 0
	p=$(head -1 "$D/pg/data/postmaster.pid")
	if [ "$(readlink "/proc/$p/cwd" 2>/dev/null)" = "$D/pg/data" ]; then echo "$p"; fi
}

stop_svc() { # NAME: TERM, up to 3 s, then KILL (the database is thrown away anyway)
	local name=$1 pids i
	pids=$(svc_pids "$name")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		pids=$(svc_pids "$name")
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		[ -n "$(svc_pids "$name")" ] || return 0
		sleep 0.1
	done
	echo "cvosfix: $name processes still alive: $(svc_pids "$name" | tr '\n' ' ')" >&2
}

stop_pg() {
	local p i
	p=$(pg_pid)
	[ -n "$p" ] || return 0
	as_pg "$PGBIN/pg_ctl -D $D/pg/data -m immediate -w -t 20 stop" >/dev/null 2>&1 || kill -KILL "$p" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1
	done
}

stop_all() {
	stop_svc neutron
	stop_svc keystone
	stop_pg
}

alive() { # 0 if all three parts run
	[ -n "$(pg_pid)" ] && [ -n "$(svc_pids keystone)" ] && [ -n "$(svc_pids neutron)" ]
}

# --- PostgreSQL, Keystone, Neutron ---------------------------------------------
start_pg() {
	mkdir -p "$D/pg"
	chmod 755 "$D"
	[ "$(id -u)" != 0 ] || chown postgres:postgres "$D/pg"
	as_pg "$PGBIN/initdb -D $D/pg/data -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8" >"$D/pg/initdb.log" 2>&1 ||
		die "initdb failed: $D/pg/initdb.log"
	# unix socket only (listen_addresses=''); durability off: a throwaway database
	as_pg "$PGBIN/pg_ctl -D $D/pg/data -l $D/pg/postgres.log -w -t 60 -o \"-c listen_addresses='' -k $D/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null ||
		die "postgres failed: $D/pg/postgres.log"
	"$PGBIN/psql" -qX -h "$D/pg" -U postgres -c 'CREATE DATABASE keystone' -c 'CREATE DATABASE neutron' >/dev/null
}

keystone_conf() {
	mkdir -p "$D/keystone/fernet-keys" "$D/keystone/credential-keys"
	chmod 700 "$D/keystone" "$D/keystone/fernet-keys" "$D/keystone/credential-keys"
	cat >"$D/keystone/keystone.conf" <<EOF
[DEFAULT]
log_file = $D/keystone/keystone.log
[database]
connection = postgresql+psycopg2://postgres@/keystone?host=$D/pg
[identity]
${CVOS_BCRYPT_ROUNDS:+password_hash_rounds = $CVOS_BCRYPT_ROUNDS}
[token]
provider = fernet
expiration = $CVOS_TOKEN_EXPIRATION
allow_expired_window = $CVOS_ALLOW_EXPIRED
[fernet_tokens]
key_repository = $D/keystone/fernet-keys
[fernet_receipts]
key_repository = $D/keystone/fernet-keys
[credential]
key_repository = $D/keystone/credential-keys
[cache]
# without a cache every authenticated request runs ~200 SQL queries; one
# uwsgi worker makes a per-process memory cache enough
enabled = true
backend = dogpile.cache.memory
EOF
	# uwsgi answers HTTP itself (no router process); the app reads its config
	# from OS_KEYSTONE_CONFIG_FILES instead of /etc/keystone/keystone.conf.
	# http-socket closes the connection after each response without saying so:
	# a client that reuses it (keystoneauth in Neutron's auth_token middleware)
	# then fails now and then with RemoteDisconnected, and Neutron answers 503
	# "The Keystone service is temporarily unavailable". "Connection: close"
	# tells clients not to reuse it (http11-socket's keep-alive would hold
	# one of the 4 threads per idle client connection instead).
	cat >"$D/keystone/uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$CVOS_KS_PORT
add-header = Connection: close
wsgi-file = /usr/bin/keystone-wsgi-public
master = true
processes = 1
threads = 4
enable-threads = true
lazy-apps = true
die-on-term = true
buffer-size = 65535
env = OS_KEYSTONE_CONFIG_FILES=$D/keystone/keystone.conf
EOF
}

fernet_key() { $PY -c 'import base64,os;print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }

start_keystone() { # in a background subshell
	local kc=(keystone-manage --config-file "$D/keystone/keystone.conf") k pid
	"${kc[@]}" db_sync >"$D/keystone/manage.log" 2>&1 || die "keystone db_sync failed: $D/keystone/manage.log"
	# the on-disk format of keystone-manage fernet_setup / credential_setup
	# (0 staged, 1 primary), written directly: two Python start-ups fewer
	for k in 0 1; do
		(
			umask 077
			fernet_key >"$D/keystone/fernet-keys/$k"
			fernet_key >"$D/keystone/credential-keys/$k"
		)
	done
	"${kc[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" --bootstrap-username admin \
		--bootstrap-project-name admin --bootstrap-role-name admin --bootstrap-service-name keystone \
		--bootstrap-region-id "$REGION" --bootstrap-admin-url "$KS_URL" --bootstrap-public-url "$KS_URL" \
		--bootstrap-internal-url "$KS_URL" >>"$D/keystone/manage.log" 2>&1 || die "keystone bootstrap failed: $D/keystone/manage.log"
	(cd "$D/keystone" && exec setsid -w sh -c 'echo $$ >pgid; exec "$@"' - uwsgi --ini "$D/keystone/uwsgi.ini" >"$D/keystone/uwsgi.log" 2>&1 </dev/null) &
	pid=$!
	wait_http "$KS_URL" "$pid" keystone
}

neutron_conf() {
	mkdir -p "$D/neutron/state" "$D/neutron/lock"
	chmod 700 "$D/neutron"
	cat >"$D/neutron/neutron.conf" <<EOF
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $CVOS_NEUTRON_PORT
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
api_paste_config = /etc/neutron/api-paste.ini
# no broker: oslo.messaging's in-process fake driver swallows agent notifications
transport_url = fake://
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
log_file = $D/neutron/neutron.log
state_path = $D/neutron/state
host = cvosfix
[database]
connection = postgresql+psycopg2://postgres@/neutron?host=$D/pg
[keystone_authtoken]
www_authenticate_uri = http://127.0.0.1:$CVOS_KS_PORT
auth_url = http://127.0.0.1:$CVOS_KS_PORT
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = neutron
password = $NEUTRON_SVC_PASSWORD
token_cache_time = $CVOS_TOKEN_CACHE_TIME
[oslo_concurrency]
lock_path = $D/neutron/lock
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = openvswitch
extension_drivers = port_security
[ml2_type_flat]
flat_networks = external
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF
}

start_neutron() { # in a background subshell
	neutron-db-manage --config-file "$D/neutron/neutron.conf" upgrade head >"$D/neutron/db-manage.log" 2>&1 ||
		die "neutron-db-manage failed: $D/neutron/db-manage.log"
	run_neutron
}

run_neutron() {
	local pid
	(cd "$D/neutron" && exec setsid -w sh -c 'echo $$ >pgid; exec "$@"' - neutron-server --config-file "$D/neutron/neutron.conf" >"$D/neutron/stdout.log" 2>&1 </dev/null) &
	pid=$!
	wait_http "$NEUTRON_URL/" "$pid" neutron-server
}

# --- seeding -------------------------------------------------------------------
ids() { printf '%s=%s\n' "$1" "$2" >>"$D/ids"; }

seed_keystone() {
	local tok admin_role member_role svc_proj neu_user svc proj user i
	tok=$(token admin "$ADMIN_PASSWORD" admin)
	admin_role=$(api GET "$KS_URL/roles?name=admin" "$tok" | jq -r '.roles[0].id')
	member_role=$(api GET "$KS_URL/roles?name=member" "$tok" | jq -r '.roles[0].id')
	svc_proj=$(api POST "$KS_URL/projects" "$tok" '{"project":{"name":"service","domain_id":"default"}}' | jq -r .project.id)
	neu_user=$(api POST "$KS_URL/users" "$tok" \
		"$(jq -nc --arg p "$NEUTRON_SVC_PASSWORD" '{user:{name:"neutron",domain_id:"default",password:$p}}')" | jq -r .user.id)
	api PUT "$KS_URL/projects/$svc_proj/users/$neu_user/roles/$admin_role" "$tok" >/dev/null
	svc=$(api POST "$KS_URL/services" "$tok" '{"service":{"type":"network","name":"neutron"}}' | jq -r .service.id)
	for i in public internal admin; do
		api POST "$KS_URL/endpoints" "$tok" "$(jq -nc --arg s "$svc" --arg i $i --arg u "$NEUTRON_URL" --arg r $REGION \
			'{endpoint:{service_id:$s,interface:$i,url:$u,region_id:$r}}')" >/dev/null
	done
	# the tenant of the daemon under test: a plain member, not admin
	proj=$(api POST "$KS_URL/projects" "$tok" "$(jq -nc --arg n "$PROJECT_NAME" '{project:{name:$n,domain_id:"default"}}')" | jq -r .project.id)
	user=$(api POST "$KS_URL/users" "$tok" "$(jq -nc --arg n $USER_NAME --arg p "$USER_PASSWORD" --arg pr "$proj" \
		'{user:{name:$n,domain_id:"default",password:$p,default_project_id:$pr}}')" | jq -r .user.id)
	api PUT "$KS_URL/projects/$proj/users/$user/roles/$member_role" "$tok" >/dev/null
	ids CVOS_PROJECT_ID "$proj"
	ids CVOS_USER_ID "$user"
}

seed_neutron() {
	local atok utok proj uid ext extsub net sub router n port mac dev pv fip ac i
	proj=$(sed -n 's/^CVOS_PROJECT_ID=//p' "$D/ids")
	uid=$(sed -n 's/^CVOS_USER_ID=//p' "$D/ids")
	atok=$(token admin "$ADMIN_PASSWORD" admin)
	ext=$(api POST "$NEUTRON_URL/v2.0/networks" "$atok" \
		'{"network":{"name":"public","router:external":true,"provider:network_type":"flat","provider:physical_network":"external"}}' | jq -r .network.id)
	extsub=$(api POST "$NEUTRON_URL/v2.0/subnets" "$atok" "$(jq -nc --arg n "$ext" --arg c "$EXT_CIDR" \
		'{subnet:{name:"public-subnet",network_id:$n,ip_version:4,cidr:$c,gateway_ip:"203.0.113.1",enable_dhcp:false,
		          allocation_pools:[{start:"203.0.113.10",end:"203.0.113.200"}]}}')" | jq -r .subnet.id)
	ids CVOS_EXT_NET_ID "$ext"
	ids CVOS_EXT_SUBNET_ID "$extsub"
	# the floating IPs: fixed addresses (only admin may choose one), owned by
	# the project, made before the router takes its gateway address from the pool
	for i in 1 2; do
		fip=$(api POST "$NEUTRON_URL/v2.0/floatingips" "$atok" "$(jq -nc --arg n "$ext" --arg a "${FIP_ADDRS[i - 1]}" --arg p "$proj" --arg d "cvosfix FIP$i" \
			'{floatingip:{floating_network_id:$n,floating_ip_address:$a,project_id:$p,description:$d}}')")
		ids "CVOS_FIP${i}_ID" "$(jq -r .floatingip.id <<<"$fip")"
		ids "CVOS_FIP${i}_ADDR" "$(jq -r .floatingip.floating_ip_address <<<"$fip")"
	done
	# the rest as the member user, as a tenant would
	utok=$(token $USER_NAME "$USER_PASSWORD" $PROJECT_NAME)
	net=$(api POST "$NEUTRON_URL/v2.0/networks" "$utok" '{"network":{"name":"private","port_security_enabled":true}}' | jq -r .network.id)
	sub=$(api POST "$NEUTRON_URL/v2.0/subnets" "$utok" "$(jq -nc --arg n "$net" --arg c "$NET_CIDR" \
		'{subnet:{name:"private-subnet",network_id:$n,ip_version:4,cidr:$c,gateway_ip:"10.0.0.1",enable_dhcp:false}}')" | jq -r .subnet.id)
	router=$(api POST "$NEUTRON_URL/v2.0/routers" "$utok" "$(jq -nc --arg n "$ext" '{router:{name:"r1",external_gateway_info:{network_id:$n}}}')" | jq -r .router.id)
	api PUT "$NEUTRON_URL/v2.0/routers/$router/add_router_interface" "$utok" "{\"subnet_id\":\"$sub\"}" >/dev/null
	ids CVOS_NET_ID "$net"
	ids CVOS_SUBNET_ID "$sub"
	ids CVOS_ROUTER_ID "$router"
	for n in 1 2 3; do
		dev=$($PY -c 'import uuid;print(uuid.uuid4())')
		port=$(api POST "$NEUTRON_URL/v2.0/ports" "$utok" "$(jq -nc --arg n "$net" --arg s "$sub" --arg ip "${NODE_IPS[n - 1]}" \
			--arg name "n$n" --arg dev "$dev" \
			'{port:{name:$name,network_id:$n,fixed_ips:[{subnet_id:$s,ip_address:$ip}],port_security_enabled:true,
			        device_owner:"compute:nova",device_id:$dev}}')")
		ids "CVOS_PORT_N$n" "$(jq -r .port.id <<<"$port")"
		ids "CVOS_PORT_N${n}_IP" "${NODE_IPS[n - 1]}"
		mac=$(jq -r .port.mac_address <<<"$port")
		ids "CVOS_PORT_N${n}_MAC" "$mac"
		ids "CVOS_N${n}_DEVICE_ID" "$dev"
	done
	# a port that only reserves the VIP's address (the allowed-address-pairs pattern)
	pv=$(api POST "$NEUTRON_URL/v2.0/ports" "$utok" "$(jq -nc --arg n "$net" --arg s "$sub" --arg ip "$VIP" \
		'{port:{name:"vip",network_id:$n,fixed_ips:[{subnet_id:$s,ip_address:$ip}],port_security_enabled:true}}')" | jq -r .port.id)
	ids CVOS_VIP_PORT "$pv"
	ids CVOS_VIP "$VIP"
	ac=$(api POST "$KS_URL/users/$uid/application_credentials" "$utok" \
		"$(jq -nc --arg n "$APP_CRED_NAME" '{application_credential:{name:$n,description:"corovip OpenStack backend tests"}}')")
	ids CVOS_APP_CRED_ID "$(jq -r .application_credential.id <<<"$ac")"
	ids CVOS_APP_CRED_SECRET "$(jq -r .application_credential.secret <<<"$ac")"
}

write_env() {
	local k v
	(
		umask 077
		{
			echo "# written by tests/openstack/fixture.sh up: eval \"\$(tests/openstack/fixture.sh env)\""
			for kv in \
				OS_AUTH_URL="$KS_URL" OS_IDENTITY_API_VERSION=3 OS_AUTH_TYPE=password \
				OS_USERNAME=$USER_NAME OS_PASSWORD=$USER_PASSWORD OS_PROJECT_NAME=$PROJECT_NAME \
				OS_USER_DOMAIN_NAME=$DOMAIN OS_PROJECT_DOMAIN_NAME=$DOMAIN OS_REGION_NAME=$REGION \
				OS_INTERFACE=public \
				CVOS_DIR="$D" CVOS_KS_PORT="$CVOS_KS_PORT" CVOS_NEUTRON_PORT="$CVOS_NEUTRON_PORT" \
				CVOS_AUTH_URL="$KS_URL" CVOS_NEUTRON_URL="$NEUTRON_URL" CVOS_REGION=$REGION \
				CVOS_USER=$USER_NAME CVOS_PASSWORD=$USER_PASSWORD CVOS_PROJECT=$PROJECT_NAME \
				CVOS_DOMAIN=$DOMAIN CVOS_APP_CRED_NAME=$APP_CRED_NAME \
				CVOS_ADMIN_USER=admin CVOS_ADMIN_PASSWORD=$ADMIN_PASSWORD CVOS_ADMIN_PROJECT=admin \
				CVOS_TOKEN_EXPIRATION="$CVOS_TOKEN_EXPIRATION" CVOS_TOKEN_CACHE_TIME="$CVOS_TOKEN_CACHE_TIME" \
				CVOS_CLOUDS_YAML="$D/clouds.yaml" CVOS_CLOUD=corovip CVOS_CLOUD_APPCRED=corovip-appcred \
				CVOS_OPENRC="$D/openrc" CVOS_HOME="$D/home" OS_CLIENT_CONFIG_FILE="$D/clouds.yaml" \
				$(cat "$D/ids"); do
				k=${kv%%=*}
				v=${kv#*=}
				printf 'export %s=%q\n' "$k" "$v"
			done
		} >"$D/env.tmp"
		grep -E '^export OS_' "$D/env.tmp" | grep -v OS_CLIENT_CONFIG_FILE >"$D/openrc"
		# shellcheck disable=SC1091
		. "$D/env.tmp"
		cat >"$D/clouds.yaml" <<EOF
# written by tests/openstack/fixture.sh up
clouds:
  corovip:
    region_name: $REGION
    interface: public
    identity_api_version: 3
    auth:
      auth_url: $KS_URL
      username: $USER_NAME
      password: $USER_PASSWORD
      project_name: $PROJECT_NAME
      user_domain_name: $DOMAIN
      project_domain_name: $DOMAIN
  corovip-appcred:
    auth_type: v3applicationcredential
    region_name: $REGION
    interface: public
    identity_api_version: 3
    auth:
      auth_url: $KS_URL
      application_credential_id: $CVOS_APP_CRED_ID
      application_credential_secret: $CVOS_APP_CRED_SECRET
EOF
		mkdir -p "$D/home/.config/openstack"
		ln -sf "$D/clouds.yaml" "$D/home/.config/openstack/clouds.yaml"
	)
	mv "$D/env.tmp" "$D/env" # last: its presence means "up and seeded"
}

up_failed() {
	local rc=$?
	[ $rc = 0 ] && return 0
	echo "cvosfix: up failed (exit $rc): stopping what it started; logs kept in $D" >&2
	stop_all
	rm -f "$D/env"
}

cmd_up() {
	local m kpid npid p
	[ "$(id -u)" = 0 ] || die "'up' needs root (PostgreSQL runs as postgres)"
	m=$(missing | tr '\n' ' ')
	[ -z "$m" ] || die "not installed: $m(run '$0 install' as root)"
	[ ${#D} -lt 80 ] || die "CVOS_DIR is too long for a unix socket path: $D"
	if [ -e "$D" ]; then
		if [ -s "$D/env" ] && alive; then
			die "a fixture is already up in $D ('$0 down' first, or set CVOS_DIR)"
		fi
		echo "cvosfix: $D is left from an earlier run: cleaning it" >&2
		stop_all
		rm -rf "$D"
	fi
	for p in "$CVOS_KS_PORT" "$CVOS_NEUTRON_PORT"; do
		! port_busy "$p" || die "127.0.0.1:$p is already in use (set CVOS_KS_PORT / CVOS_NEUTRON_PORT)"
	done
	mkdir -p "$D"
	: >"$D/ids"
	chmod 600 "$D/ids"
	phase "state dir $D"
	# a failure from here on stops what was started, keeping the logs
	trap up_failed EXIT
	start_pg
	phase "postgresql up (unix socket in $D/pg)"
	keystone_conf
	neutron_conf
	# both migrations and server start-ups in parallel
	(
		start_keystone
		phase "keystone up on $KS_URL"
	) &
	kpid=$!
	(
		start_neutron
		phase "neutron-server up on $NEUTRON_URL"
	) &
	npid=$!
	wait $kpid || {
		wait $npid || true
		die "keystone start failed"
	}
	seed_keystone
	phase "keystone seeded (catalog, project $PROJECT_NAME, user $USER_NAME)"
	wait $npid || die "neutron start failed"
	seed_neutron
	phase "neutron seeded (public + FIP1/FIP2, private, r1, ports n1 n2 n3 vip; app credential)"
	write_env
	phase "ready: eval \"\$($self env)\""
	trap - EXIT
}

cmd_env() {
	[ -s "$D/env" ] || die "no fixture in $D (run '$0 up')"
	cat "$D/env"
}

cmd_status() {
	local name pid pss tot=0 pids=
	for name in pg keystone neutron; do
		if [ $name = pg ]; then
			pid=$(pg_pid)
			[ -z "$pid" ] || pids="$pids $pid $(pgrep -P "$pid" | tr '\n' ' ')"
		else
			pids="$pids $(svc_pids $name | tr '\n' ' ')"
		fi
	done
	[ -n "${pids// /}" ] || {
		echo "no fixture process running for $D"
		return 1
	}
	for pid in $pids; do
		pss=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
		tot=$((tot + pss))
		printf '%7s %7d kB PSS  %s\n' "$pid" "$pss" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | cut -c1-90)"
	done
	echo "total PSS: $((tot / 1024)) MiB"
	ss -ltnp | grep -E ":($CVOS_KS_PORT|$CVOS_NEUTRON_PORT)\b" || echo "(nothing listens on $CVOS_KS_PORT / $CVOS_NEUTRON_PORT)"
	[ -s "$D/env" ] && echo "seeded: $D/env" || echo "not seeded (no $D/env)"
}

cmd_reset() {
	local atok f p fips ports
	[ -s "$D/env" ] || die "no fixture in $D"
	# shellcheck disable=SC1091
	. "$D/env"
	# one admin token (each password authentication costs a bcrypt hash)
	atok=$(token admin "$CVOS_ADMIN_PASSWORD" admin)
	fips=$(api GET "$NEUTRON_URL/v2.0/floatingips?project_id=$CVOS_PROJECT_ID" "$atok")
	for f in $(jq -r --arg a "$CVOS_FIP1_ID" --arg b "$CVOS_FIP2_ID" \
		'.floatingips[] | select(.id != $a and .id != $b) | .id' <<<"$fips"); do
		api DELETE "$NEUTRON_URL/v2.0/floatingips/$f" "$atok" >/dev/null
	done
	# detached, and the description a mover wrote (its epoch) back to the seed's
	for f in $(jq -r --arg a "$CVOS_FIP1_ID" --arg b "$CVOS_FIP2_ID" \
		'.floatingips[] | select((.id == $a or .id == $b) and (.port_id != null or
		  (.description | startswith("cvosfix") | not))) | .id' <<<"$fips"); do
		api PUT "$NEUTRON_URL/v2.0/floatingips/$f" "$atok" "$(jq -nc --arg d \
			"cvosfix FIP$([ "$f" = "$CVOS_FIP1_ID" ] && echo 1 || echo 2)" \
			'{floatingip:{port_id:null,description:$d}}')" >/dev/null
	done
	ports=$(api GET "$NEUTRON_URL/v2.0/ports?network_id=$CVOS_NET_ID" "$atok")
	# ports the tests made (not the router's) go; the seeded ones lose their address pairs
	for p in $(jq -r --arg a "$CVOS_PORT_N1" --arg b "$CVOS_PORT_N2" --arg c "$CVOS_PORT_N3" --arg v "$CVOS_VIP_PORT" \
		'.ports[] | select(.id | IN($a, $b, $c, $v) | not) | select(.device_owner | startswith("network:") | not) | .id' <<<"$ports"); do
		api DELETE "$NEUTRON_URL/v2.0/ports/$p" "$atok" >/dev/null
	done
	for p in $(jq -r --arg a "$CVOS_PORT_N1" --arg b "$CVOS_PORT_N2" --arg c "$CVOS_PORT_N3" --arg v "$CVOS_VIP_PORT" \
		'.ports[] | select(.id | IN($a, $b, $c, $v)) | select((.allowed_address_pairs | length) > 0) | .id' <<<"$ports"); do
		api PUT "$NEUTRON_URL/v2.0/ports/$p" "$atok" '{"port":{"allowed_address_pairs":[]}}' >/dev/null
	done
}

cmd_down() {
	[ -d "$D" ] || {
		echo "cvosfix: nothing in $D" >&2
		return 0
	}
	stop_svc neutron
	phase "neutron-server stopped"
	stop_svc keystone
	phase "keystone stopped"
	stop_pg
	phase "postgresql stopped"
	if [ "${CVOS_KEEP:-}" = 1 ]; then
		rm -f "$D/env"
		echo "cvosfix: stopped, state kept in $D" >&2
	else
		rm -rf "$D"
		echo "cvosfix: stopped, $D removed" >&2
	fi
}

cmd_neutron_stop() {
	[ -s "$D/env" ] || die "no fixture in $D"
	stop_svc neutron
	phase "neutron-server stopped"
}

cmd_neutron_start() {
	[ -s "$D/env" ] || die "no fixture in $D"
	[ -z "$(svc_pids neutron)" ] || die "neutron-server runs already"
	run_neutron
	phase "neutron-server up on $NEUTRON_URL"
}

case "${1:-}" in
neutron-stop) cmd_neutron_stop ;;
neutron-start) cmd_neutron_start ;;
install) cmd_install ;;
check) cmd_check ;;
up) cmd_up ;;
env) cmd_env ;;
status) cmd_status ;;
reset) cmd_reset ;;
down) cmd_down ;;
*)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
	;;
esac
