#!/bin/bash
# Health checks, the kinds checks.sh leaves out (issue 13): a link check
# (another interface's carrier, keepalived's track_interface) and an https
# check with and without TLS verification. corovipd on 3 real corosync
# nodes (tests/integration/bed.sh, namespaces prefixed "lt"). Every node
# has the same config (in its own file):
#   uplink     link: up0, a veth whose peer up0p is in the same namespace
#              (taking the peer down takes up0's carrier away while up0
#              stays admin up), interval 200ms, rise 2, fall 1, hold_down 2s
#   tls-any    https://127.0.0.1:8443/ (openssl s_server -www in the node,
#              a self-signed certificate made here), tls_verify: no,
#              http_body: a line of s_server's -www page (the body is
#              matched over TLS), interval 500ms, rise 1, fall 2
#   tls-strict the same URL, tls_verify left at its default (yes)
#   reaper_timeout 700ms (auto is 200 ms with the bed's 300 ms token): a
#              daemon's first verified TLS connection parses the system CA
#              bundle inside its loop (about 20 ms of CPU; under ASan on a
#              busy host over 200 ms, and the reaper killed every daemon)
# A veth, not a dummy: a dummy's carrier follows only its admin state, and
# the dummy module may be missing where a veth (the bed's own) is not.
# VIPs: up (prefers n1 n2, preempt, check uplink), any (prefers n3 n2,
# check tls-any), strict (prefers n2 n3, check tls-strict). Asserted from
# the kernel (addresses), never from a log: n1 holds up; n1's up0 without
# carrier moves up to n2 (a handoff: every node stays up), and with its
# carrier back up returns to n1 no sooner than the hold-down; up0 set
# admin down on n1 moves up to n2 again, admin up brings it back; n3 holds
# any (the https check with tls_verify: no passes against a self-signed
# certificate, body included), and loses it to n2 when its TLS server
# stops; nobody ever holds strict, and corovipctl status shows tls-strict
# failing for a certificate reason; no two holders of any VIP, ever
# (addrwatch samples every node every 10 ms).
#   tests/integration/checks-more.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: needs openssl"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-lt}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
UP=198.51.100.60
ANY=198.51.100.61
STRICT=198.51.100.62
BODY="Ciphers supported in s_server binary"

# holds VIP NODES: exactly NODES (e.g. n2, or "" for nobody) hold VIP now.
holds() { [ "$(bed_holders "$1")" = "$2" ] || { BED_LAST="holders of $1: '$(bed_holders "$1")'"; return 1; }; }
# nobody_holds_for VIP MS: no node holds VIP all along for MS (sampled every 100 ms).
nobody_holds_for() {
	local t0
	t0=$(bed_now_ms)
	while [ $(($(bed_now_ms) - t0)) -lt "$2" ]; do
		holds "$1" "" || return 1
		sleep 0.1
	done
}
ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }
# check_line I CHECK: node I's `corovipctl status` line of CHECK.
check_line() { ctl "$1" status | grep -F "check '$2' " || true; }
# check_says I CHECK ERE: that line matches ERE.
check_says() {
	local l
	l=$(check_line "$1" "$2")
	[[ "$l" =~ $3 ]] || { BED_LAST="n$1: ${l:-no line for $2}"; return 1; }
}
carrier() { [[ "$(ip -n "$(bed_ns "$1")" link show "$2")" == *LOWER_UP* ]] || { BED_LAST="no carrier on n$1 $2"; return 1; }; }
no_carrier() { ! carrier "$@" || { BED_LAST="carrier on n$1 $2"; return 1; }; }
tls_on() {
	: >"$BED_DIR/n$1/tls.out"
	bed_spawn "$1" tls openssl s_server -accept 127.0.0.1:8443 -cert "$BED_DIR/tls/cert.pem" \
		-key "$BED_DIR/tls/key.pem" -www &&
		bed_wait_until 5000 "n$1's TLS server" bed__log_has "$BED_DIR/n$1/tls.out" ACCEPT
}

bed_cluster_up 3
bed_build_tools
# A self-signed certificate for 127.0.0.1 (the name matches the URL: only
# the trust fails when it is verified). In $BED_DIR: bed_down removes it.
mkdir -p "$BED_DIR/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj /CN=corovip-checks-more -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$BED_DIR/tls/key.pem" -out "$BED_DIR/tls/cert.pem" >"$BED_DIR/tls/req.log" 2>&1 ||
	fail "openssl req: $(cat "$BED_DIR/tls/req.log")"
for i in 1 2 3; do
	ns=$(bed_ns "$i")
	ip -n "$ns" link add up0 type veth peer name up0p
	ip -n "$ns" link set up0p up
	ip -n "$ns" link set up0 up
	bed_wait_until 3000 "carrier on n$i up0" carrier "$i" up0 >/dev/null || fail "$BED_LAST"
	cat >"$BED_DIR/n$i/corovip.conf" <<EOC
cluster {
	reaper_timeout: 700ms
}
node n1 {
}
node n2 {
}
node n3 {
}
check uplink {
	link: up0
	interval: 200ms
	timeout: 100ms
	rise: 2
	fall: 1
	hold_down: 2s
}
check tls-any {
	http: https://127.0.0.1:8443/
	tls_verify: no
	http_body: $BODY
	interval: 500ms
	timeout: 400ms
	rise: 1
	fall: 2
	hold_down: 0s
}
check tls-strict {
	http: https://127.0.0.1:8443/
	interval: 500ms
	timeout: 400ms
	rise: 1
	fall: 1
	hold_down: 0s
}
vip up {
	address: $UP/24
	interface: eth0
	prefer: n1 n2
	preempt: yes
	check: uplink
}
vip any {
	address: $ANY/24
	interface: eth0
	prefer: n3 n2
	preempt: yes
	check: tls-any
}
vip strict {
	address: $STRICT/24
	interface: eth0
	prefer: n2 n3
	preempt: yes
	check: tls-strict
}
EOC
	chmod 0644 "$BED_DIR/n$i/corovip.conf"
	tls_on "$i" || fail "$BED_LAST"
done
bed_watch_start $STRICT strictwatch >/dev/null
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i/corovip.conf"; done

# --- link check ---
bed_wait_until 10000 "n1 to hold up" holds $UP n1 >/dev/null || fail "$BED_LAST"
echo "ok - the link check passes: up on n1 after ${BED_WAITED_MS} ms"
bed_watch_start $UP upwatch >/dev/null

ip -n "$(bed_ns 1)" link set up0p down
bed_wait_until 2000 "n1 up0 to lose its carrier" no_carrier 1 up0 >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "up to move to n2 after n1's up0 lost its carrier" holds $UP n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's up0 without carrier (still admin up): up moved to n2 in ${BED_WAITED_MS} ms"
bed_wait_until 3000 "n1's status to show uplink failing" \
	check_says 1 uplink "\(link\): failing .*last: no carrier" >/dev/null || fail "$BED_LAST"
echo "ok - corovipctl status on n1: $(check_line 1 uplink | sed 's/^ *//')"

ip -n "$(bed_ns 1)" link set up0p up
t0=$(bed_now_ms)
bed_wait_until 10000 "up back on n1 (preempt) once up0 has its carrier again" holds $UP n1 \
	>/dev/null || fail "$BED_LAST"
back=$(($(bed_now_ms) - t0))
# the hold-down (2 s) counts from the last failed run: a run on the link
# event, else at most one interval (200 ms) before the carrier came back
[ "$back" -ge 1790 ] || fail "up came back ${back} ms after the carrier: the 2 s hold-down was not kept"
echo "ok - n1's up0 carrier back: up back on n1 in $back ms (rise 2, hold-down 2 s kept)"

ip -n "$(bed_ns 1)" link set up0 down
bed_wait_until 10000 "up to move to n2 after n1's up0 went admin down" holds $UP n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's up0 admin down: up moved to n2 in ${BED_WAITED_MS} ms"
ip -n "$(bed_ns 1)" link set up0 up
bed_wait_until 10000 "up back on n1 once up0 is admin up" holds $UP n1 >/dev/null || fail "$BED_LAST"
echo "ok - n1's up0 admin up: up back on n1 in ${BED_WAITED_MS} ms"
s=$(bed_watch_stop upwatch)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of up: $s"
echo "ok - the checker never saw two holders of up ($s)"

# --- https checks ---
bed_watch_start $ANY anywatch >/dev/null
bed_wait_until 10000 "n3 to hold any" holds $ANY n3 >/dev/null || fail "$BED_LAST"
echo "ok - the https check with tls_verify: no passes (self-signed, body matched): any on n3"
for i in 1 2 3; do
	bed_wait_until 5000 "n$i's status to show tls-any passing" \
		check_says "$i" tls-any ": passing .*last: passed" >/dev/null || fail "$BED_LAST"
	# two failed runs at least on every node (each node's checks run from its start)
	bed_wait_until 5000 "n$i's status to show tls-strict failing on the certificate" \
		check_says "$i" tls-strict ": failing [^,]*, ([2-9]|[1-9][0-9]+) runs, last: .*[Cc]ertificate" \
		>/dev/null || fail "$BED_LAST"
done
echo "ok - corovipctl status on n2: $(check_line 2 tls-strict | sed 's/^ *//')"
nobody_holds_for $STRICT 1500 || fail "strict is held while its certificate is untrusted: $BED_LAST"
echo "ok - tls_verify by default: the self-signed certificate fails it on every node, strict held nowhere"

bed_kill 3 tls
bed_wait_until 10000 "any to move to n2 after n3's TLS server stopped" holds $ANY n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n3's TLS server stopped: any moved to n2 in ${BED_WAITED_MS} ms"
tls_on 3 || fail "$BED_LAST"
bed_wait_until 10000 "any back on n3 (preempt) once its TLS server answers" holds $ANY n3 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n3's TLS server back: any back on n3 in ${BED_WAITED_MS} ms"
s=$(bed_watch_stop anywatch)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of any: $s"
echo "ok - the checker never saw two holders of any ($s)"

holds $STRICT "" || fail "strict held at the end: $BED_LAST"
s=$(bed_watch_stop strictwatch)
[ "$(bed_field max_counted "$s")" = 0 ] || fail "strict was held at some point: $s"
echo "ok - the checker never saw strict held, from before the daemons started ($s)"
for i in 1 2 3; do
	bed_pid "$i" corovipd >/dev/null || fail "n$i's corovipd is gone: $(tail -5 "$BED_DIR/n$i/corovipd.out")"
done
bed_down
