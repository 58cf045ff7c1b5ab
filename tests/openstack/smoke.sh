#!/usr/bin/env bash
# smoke.sh - does the OpenStack fixture (tests/openstack/fixture.sh) work here?
#
# With curl and jq only: a Keystone token with the password and one with the
# application credential; the network endpoint in the catalog; a floating IP
# moved to port n1, then to n2 with `If-Match: revision_number=N` (a stale N
# gets 412 and changes nothing), then to n3; the VIP in n1's
# allowed_address_pairs with If-Match; a floating IP on the VIP port; a bad
# token gets 401; every socket the fixture listens on is on 127.0.0.1;
# `fixture.sh reset` detaches the floating IPs, clears the pairs and deletes
# a port the test made; `down` leaves no process, socket or state dir.
# Prints the timings (token, PUT, reset; up and down when it ran them).
#
# Usage (root): tests/openstack/smoke.sh
#   CVOS_SHARED=1   a fixture is already up (tests/run-all starts one for all the
#                   OpenStack suites): use it, do not start or stop it
#   CVOS_DIR, CVOS_KS_PORT, CVOS_NEUTRON_PORT ...: as for fixture.sh
# Exit: 0 pass, 1 fail, 77 skipped (not root, or the packages are not installed).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
fx=$top/tests/openstack/fixture.sh
shared=${CVOS_SHARED:-}
started=
failed=0

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
fail() {
	echo "FAIL: $*"
	failed=1
	exit 1
}
ok() { echo "ok   $*"; }
tmp=$(mktemp -d)
cleanup() {
	rm -rf "$tmp"
	[ -n "$started" ] || return 0
	if [ "$failed" = 1 ]; then CVOS_KEEP=1 "$fx" down; else "$fx" down; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if [ -z "$shared" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "SKIP: the OpenStack fixture needs root"
		exit 77
	fi
	if ! miss=$("$fx" check 2>&1); then
		echo "SKIP: $miss"
		exit 77
	fi
	t=$(now_ms)
	started=1
	"$fx" up || fail "fixture.sh up"
	t_up=$(($(now_ms) - t))
fi
env_text=$("$fx" env) || fail "fixture.sh env: no fixture"
eval "$env_text"
KS=$CVOS_AUTH_URL
NEU=$CVOS_NEUTRON_URL/v2.0

# req METHOD URL TOKEN [JSON [HEADER...]] -> CODE, BODY, HDRS, MS
req() {
	local m=$1 url=$2 tok=$3 data=${4-} h out t
	local args=(-sS -X "$m" -H 'Accept: application/json' -D "$tmp/hdrs" -o "$tmp/body" -w '%{http_code}')
	[ -z "$tok" ] || args+=(-H "X-Auth-Token: $tok")
	[ -z "$data" ] || args+=(-H 'Content-Type: application/json' -d "$data")
	shift 4 2>/dev/null || shift $#
	for h in "$@"; do args+=(-H "$h"); done
	t=$(now_ms)
	out=$(curl "${args[@]}" "$url") || out=000
	MS=$(($(now_ms) - t))
	CODE=$out
	BODY=$(cat "$tmp/body")
	HDRS=$(tr -d '\r' <"$tmp/hdrs")
}
expect() { # CODE WHAT
	[ "$CODE" = "$1" ] || fail "$2: HTTP $CODE (wanted $1): $BODY"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

pw_body=$(jq -nc --arg u "$CVOS_USER" --arg p "$CVOS_PASSWORD" --arg pr "$CVOS_PROJECT" --arg d "$CVOS_DOMAIN" \
	'{auth:{identity:{methods:["password"],password:{user:{name:$u,domain:{name:$d},password:$p}}},
	        scope:{project:{name:$pr,domain:{name:$d}}}}}')
ac_body=$(jq -nc --arg i "$CVOS_APP_CRED_ID" --arg s "$CVOS_APP_CRED_SECRET" \
	'{auth:{identity:{methods:["application_credential"],application_credential:{id:$i,secret:$s}}}}')

# --- Keystone -------------------------------------------------------------------
pw_ms=
for _ in 1 2 3; do
	req POST "$KS/auth/tokens" "" "$pw_body"
	expect 201 "password token"
	pw_ms="$pw_ms $MS"
done
tok=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p' <<<"$HDRS")
[ -n "$tok" ] || fail "password token: no X-Subject-Token header"
[ "$(jq -r .token.project.id <<<"$BODY")" = "$CVOS_PROJECT_ID" ] || fail "password token: project is not $CVOS_PROJECT_ID"
jq -e '.token.roles | map(.name) | index("member")' <<<"$BODY" >/dev/null || fail "password token: no member role"
expires=$(jq -r .token.expires_at <<<"$BODY")
ok "password token for $CVOS_USER in $CVOS_PROJECT (member), expires_at $expires; ms:$pw_ms"
ep=$(jq -r --arg r "$CVOS_REGION" '[.token.catalog[] | select(.type == "network") | .endpoints[]
	| select(.interface == "public" and (.region == $r or .region_id == $r)) | .url] | if length == 1 then .[0] else "ambiguous: \(.)" end' <<<"$BODY")
[ "$ep" = "$CVOS_NEUTRON_URL" ] || fail "catalog: network/public/$CVOS_REGION is '$ep', not $CVOS_NEUTRON_URL"
ok "catalog: network public $CVOS_REGION endpoint $ep"

ac_ms=
for _ in 1 2 3; do
	req POST "$KS/auth/tokens" "" "$ac_body"
	expect 201 "application credential token"
	ac_ms="$ac_ms $MS"
done
actok=$(sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: //p' <<<"$HDRS")
jq -e '.token.methods | index("application_credential")' <<<"$BODY" >/dev/null || fail "app cred token: methods $(jq -c .token.methods <<<"$BODY")"
[ "$(jq -r .token.project.id <<<"$BODY")" = "$CVOS_PROJECT_ID" ] || fail "app cred token: not scoped to $CVOS_PROJECT_ID"
[ "$(jq -r '[.token.catalog[] | select(.type == "network")] | length' <<<"$BODY")" = 1 ] || fail "app cred token: no network service in the catalog"
ok "application credential token (scoped to $CVOS_PROJECT by the credential); ms:$ac_ms"

# --- Neutron --------------------------------------------------------------------
req GET "$NEU/floatingips/$CVOS_FIP1_ID" "$actok"
expect 200 "GET FIP1 with the app cred token"
req GET "$NEU/floatingips/$CVOS_FIP1_ID" "not-a-token"
expect 401 "GET FIP1 with a bad token"
ok "Neutron takes the app cred token and answers 401 to a bad one"

req GET "$NEU/floatingips/$CVOS_FIP1_ID" "$tok"
expect 200 "GET FIP1"
get_ms=$MS
[ "$(jq -r .floatingip.port_id <<<"$BODY")" = null ] || fail "FIP1 is associated at the start"
[ "$(jq -r .floatingip.floating_ip_address <<<"$BODY")" = "$CVOS_FIP1_ADDR" ] || fail "FIP1 address"
r0=$(jq -r .floatingip.revision_number <<<"$BODY")

put_fip() { # FIP PORT [REVISION]
	local hdr=()
	[ -z "${3-}" ] || hdr=("If-Match: revision_number=$3")
	req PUT "$NEU/floatingips/$1" "$tok" "$(jq -nc --arg p "$2" '{floatingip:{port_id:(if $p == "" then null else $p end)}}')" "${hdr[@]}"
}
put_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N1" "$r0"
expect 200 "PUT FIP1 -> n1 (If-Match revision_number=$r0)"
put1_ms=$MS
[ "$(jq -r .floatingip.port_id <<<"$BODY")" = "$CVOS_PORT_N1" ] || fail "FIP1 not on n1"
[ "$(jq -r .floatingip.fixed_ip_address <<<"$BODY")" = "$CVOS_PORT_N1_IP" ] || fail "FIP1 fixed_ip_address not $CVOS_PORT_N1_IP"
r1=$(jq -r .floatingip.revision_number <<<"$BODY")
[ "$r1" -gt "$r0" ] || fail "revision_number did not grow ($r0 -> $r1)"
ok "FIP1 $CVOS_FIP1_ADDR -> n1 with If-Match revision_number=$r0: 200, revision $r1 (${put1_ms} ms)"

put_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2" "$r0"
expect 412 "PUT FIP1 -> n2 with the stale revision $r0"
stale_ms=$MS
stale_type=$(jq -r '.NeutronError.type // empty' <<<"$BODY")
req GET "$NEU/floatingips/$CVOS_FIP1_ID" "$tok"
[ "$(jq -r .floatingip.port_id <<<"$BODY")" = "$CVOS_PORT_N1" ] || fail "the 412 PUT moved FIP1"
[ "$(jq -r .floatingip.revision_number <<<"$BODY")" = "$r1" ] || fail "the 412 PUT changed the revision"
ok "FIP1 -> n2 with stale revision_number=$r0: 412 ${stale_type:-?}, FIP1 still on n1 (${stale_ms} ms)"

put_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N2" "$r1"
expect 200 "PUT FIP1 -> n2 (If-Match revision_number=$r1)"
put2_ms=$MS
[ "$(jq -r .floatingip.port_id <<<"$BODY")" = "$CVOS_PORT_N2" ] || fail "FIP1 not on n2"
ok "FIP1 -> n2 with If-Match revision_number=$r1: 200 (${put2_ms} ms)"

put_fip "$CVOS_FIP1_ID" "$CVOS_PORT_N3"
expect 200 "PUT FIP1 -> n3 (no If-Match)"
put3_ms=$MS
ok "FIP1 -> n3 without If-Match: 200 (${put3_ms} ms)"

put_fip "$CVOS_FIP2_ID" "$CVOS_VIP_PORT"
expect 200 "PUT FIP2 -> the VIP port"
[ "$(jq -r .floatingip.fixed_ip_address <<<"$BODY")" = "$CVOS_VIP" ] || fail "FIP2 fixed_ip_address not $CVOS_VIP"
ok "FIP2 $CVOS_FIP2_ADDR -> the VIP port ($CVOS_VIP): 200 (${MS} ms)"

req GET "$NEU/ports/$CVOS_PORT_N1" "$tok"
expect 200 "GET n1"
[ "$(jq -r .port.port_security_enabled <<<"$BODY")" = true ] || fail "n1: port security off"
pr=$(jq -r .port.revision_number <<<"$BODY")
aap=$(jq -nc --arg v "$CVOS_VIP" '{port:{allowed_address_pairs:[{ip_address:$v}]}}')
req PUT "$NEU/ports/$CVOS_PORT_N1" "$tok" "$aap" "If-Match: revision_number=$pr"
expect 200 "PUT n1 allowed_address_pairs (If-Match)"
aap_ms=$MS
[ "$(jq -r '.port.allowed_address_pairs[0].ip_address' <<<"$BODY")" = "$CVOS_VIP" ] || fail "n1: pair not set"
[ "$(jq -r '.port.allowed_address_pairs[0].mac_address' <<<"$BODY")" = "$CVOS_PORT_N1_MAC" ] || fail "n1: pair MAC is not the port's"
req PUT "$NEU/ports/$CVOS_PORT_N1" "$tok" '{"port":{"allowed_address_pairs":[]}}' "If-Match: revision_number=$pr"
expect 412 "PUT n1 allowed_address_pairs with a stale revision"
ok "n1 allowed_address_pairs += $CVOS_VIP with If-Match: 200 (${aap_ms} ms); stale: 412"

# a port the test makes; reset deletes it
req POST "$NEU/ports" "$tok" "$(jq -nc --arg n "$CVOS_NET_ID" '{port:{name:"smoke-extra",network_id:$n}}')"
expect 201 "POST a port"
extra=$(jq -r .port.id <<<"$BODY")

# --- only 127.0.0.1 ---------------------------------------------------------------
pids=$("$fx" status | awk '$3 == "kB" && $4 == "PSS" {print $1}' | sort -u | paste -sd'|')
[ -n "$pids" ] || fail "fixture.sh status lists no process"
listen=$(ss -H -ltunp | grep -E "pid=($pids)," | awk '{print $5}' | sort -u)
[ -n "$listen" ] || fail "no listening socket found for the fixture's processes"
bad=$(grep -v '^127\.0\.0\.1:' <<<"$listen" || true)
[ -z "$bad" ] || fail "the fixture listens beyond 127.0.0.1: $bad"
ok "the fixture listens on $(paste -sd' ' <<<"$listen") only (PostgreSQL: unix socket)"

# --- reset ------------------------------------------------------------------------
t=$(now_ms)
"$fx" reset || fail "fixture.sh reset"
reset_ms=$(($(now_ms) - t))
for f in "$CVOS_FIP1_ID" "$CVOS_FIP2_ID"; do
	req GET "$NEU/floatingips/$f" "$tok"
	expect 200 "GET $f after reset"
	[ "$(jq -r .floatingip.port_id <<<"$BODY")" = null ] || fail "reset left $f associated"
done
req GET "$NEU/ports/$CVOS_PORT_N1" "$tok"
[ "$(jq -r '.port.allowed_address_pairs | length' <<<"$BODY")" = 0 ] || fail "reset left n1's address pairs"
req GET "$NEU/ports/$extra" "$tok"
expect 404 "the test's port after reset"
t=$(now_ms)
"$fx" reset || fail "fixture.sh reset (nothing to do)"
reset0_ms=$(($(now_ms) - t))
ok "reset: FIP1/FIP2 detached, n1's pairs cleared, the extra port deleted (${reset_ms} ms; with nothing to undo ${reset0_ms} ms)"

# --- down -------------------------------------------------------------------------
if [ -n "$started" ]; then
	started=
	t=$(now_ms)
	"$fx" down || fail "fixture.sh down"
	down_ms=$(($(now_ms) - t))
	[ ! -e "$CVOS_DIR" ] || fail "down left $CVOS_DIR"
	for p in ${pids//|/ }; do
		[ ! -d "/proc/$p" ] || fail "down left process $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
	done
	for p in "$CVOS_KS_PORT" "$CVOS_NEUTRON_PORT"; do
		! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || fail "something still listens on 127.0.0.1:$p"
	done
	ok "down: no process, no listener, no $CVOS_DIR left"
fi

printf 'timings: token password median %s ms (%s), app cred median %s ms (%s); GET FIP %s ms;\n' \
	"$(median <<<"$pw_ms")" "${pw_ms# }" "$(median <<<"$ac_ms")" "${ac_ms# }" "$get_ms"
printf '  PUT FIP If-Match %s / %s ms, no If-Match %s ms, stale 412 %s ms; PUT port pairs %s ms; reset %s ms (idle %s ms)\n' \
	"$put1_ms" "$put2_ms" "$put3_ms" "$stale_ms" "$aap_ms" "$reset_ms" "$reset0_ms"
[ -z "${t_up-}" ] || printf '  fixture up %d.%03d s, down %d.%03d s\n' $((t_up / 1000)) $((t_up % 1000)) $((down_ms / 1000)) $((down_ms % 1000))
echo "PASS: OpenStack fixture smoke test"
