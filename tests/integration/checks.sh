#!/bin/bash
# Health checks that run (issue 13): a VIP that names checks is held only
# where they pass, and moves by a handoff when one fails on its holder.
# corovipd on 3 real corosync nodes (tests/integration/bed.sh, namespaces
# prefixed "ck"). Each node has its own config file that differs only in
# what its checks look at (check targets are not compared between nodes):
#   svc   tcp to 127.0.0.1:8080 in the node's namespace (tests/tools/listen.c),
#         rise 2, fall 2, hold_down 3s
#   flag  exec /usr/bin/test -e FILE, as script_user nobody, rise 1, fall 1
#   api-up  http GET of 127.0.0.1:8081/health (tests/tools/listen.c in its
#         HTTP mode), status 200-299 and a body containing "api ok"
# flag and api-up fail at their first bad run (fall 1), so their timeouts
# are generous: under ASan on a loaded machine a fork and exec as nobody
# took over 150 ms, and a check that times out on a node that should pass
# moves a VIP the test expects to stay. reaper_timeout 700ms (auto is
# 200 ms with the bed's 300 ms token): an ASan daemon on a loaded 2-core
# machine went 200 ms without the CPU, and its reaper killed it.
# web prefers n1 (preempt), api prefers n3 (preempt). Asserted from the
# kernel (addresses), never from a log: n1 takes web once both pass; n1's
# service stopped moves web to n2; started again, web comes back to n1 no
# sooner than the hold-down; a flapping service moves web once, not per
# flap; n1's flag removed moves web to n2; n3 takes
# api; n3's HTTP server stopped moves api to n2; back with a 503, then with
# a 200 and the wrong body, api stays on n2; with the right body, api is
# back on n3; no two holders of either; no zombies or stray children of
# corovipd after dozens of exec runs.
#   tests/integration/checks.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-ck}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=198.51.100.50
API=198.51.100.51

held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
api_by() { [ "$(bed_holders $API)" = "$1" ] || { BED_LAST="holders: $(bed_holders $API)"; return 1; }; }
listen_on() { bed_spawn "$1" listen "$BED_LISTEN" 127.0.0.1 8080 && bed_wait_until 3000 "n$1's listener" bed__log_has "$BED_DIR/n$1/listen.out" ready; }
# http_on ID STATUS BODY: node ID's HTTP server on 127.0.0.1:8081, answering STATUS and BODY.
http_on() {
	: >"$BED_DIR/n$1/http.out"
	bed_spawn "$1" http "$BED_LISTEN" 127.0.0.1 8081 "$2" "$3" &&
		bed_wait_until 3000 "n$1's HTTP server" bed__log_has "$BED_DIR/n$1/http.out" ready
}
# api_stays HOLDER MS: api is on HOLDER all along for MS (sampled every 100 ms).
api_stays() {
	local t0
	t0=$(bed_now_ms)
	while [ $(($(bed_now_ms) - t0)) -lt "$2" ]; do
		api_by "$1" || return 1
		sleep 0.1
	done
}

bed_cluster_up 3
bed_temp_dir flags corovip-checks
chmod 0755 "$flags"
bed_build_tools
for i in 1 2 3; do
	touch "$flags/up-n$i"
	cat >"$BED_DIR/n$i/corovip.conf" <<EOC
cluster {
	script_user: nobody
	reaper_timeout: 700ms
}
node n1 {
}
node n2 {
}
node n3 {
}
check svc {
	tcp: 127.0.0.1:8080
	interval: 200ms
	timeout: 100ms
	rise: 2
	fall: 2
	hold_down: 3s
}
check flag {
	exec: /usr/bin/test -e $flags/up-n$i
	interval: 500ms
	timeout: 400ms
	rise: 1
	fall: 1
	hold_down: 0s
}
check api-up {
	http: http://127.0.0.1:8081/health
	http_body: api ok
	interval: 500ms
	timeout: 400ms
	rise: 1
	fall: 1
	hold_down: 0s
}
vip web {
	address: $VIP/24
	interface: eth0
	prefer: n1 n2
	preempt: yes
	check: svc flag
}
vip api {
	address: $API/24
	interface: eth0
	prefer: n3 n2
	preempt: yes
	check: api-up
}
EOC
	chmod 0644 "$BED_DIR/n$i/corovip.conf"
	listen_on "$i" || fail "$BED_LAST"
	http_on "$i" 200 "api ok, node n$i" || fail "$BED_LAST"
done
for i in 1 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i/corovip.conf"; done
bed_wait_until 10000 "n1 to hold web" held_by n1 >/dev/null || fail "$BED_LAST"
echo "ok - both checks pass: web on n1 after ${BED_WAITED_MS} ms"
bed_watch_start $VIP >/dev/null
bed_wait_until 10000 "n3 to hold api" api_by n3 >/dev/null || fail "$BED_LAST"
echo "ok - the http check passes: api on n3"
bed_watch_start $API apiwatch >/dev/null

bed_kill 3 http
bed_wait_until 5000 "api to move to n2 after n3's HTTP server stopped" api_by n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n3's HTTP server stopped (http check): api moved to n2 in ${BED_WAITED_MS} ms"
http_on 3 503 "api ok" || fail "$BED_LAST"
api_stays n2 1500 || fail "api left n2 while n3 answers 503: $BED_LAST"
bed_kill 3 http
http_on 3 200 "maintenance" || fail "$BED_LAST"
api_stays n2 1500 || fail "api left n2 while n3's body lacks 'api ok': $BED_LAST"
echo "ok - n3 answering 503, then 200 without 'api ok': api stays on n2"
bed_kill 3 http
http_on 3 200 "api ok" || fail "$BED_LAST"
bed_wait_until 5000 "api back on n3 (preempt) once its HTTP server answers right" api_by n3 \
	>/dev/null || fail "$BED_LAST"
echo "ok - n3's HTTP server right again: api back on n3 in ${BED_WAITED_MS} ms"
s=$(bed_watch_stop apiwatch)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of api: $s"
echo "ok - the checker never saw two holders of api ($s)"

bed_kill 1 listen
bed_wait_until 5000 "web to move to n2 after n1's service stopped" held_by n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's service stopped (tcp check): web moved to n2 in ${BED_WAITED_MS} ms"

listen_on 1 || fail "$BED_LAST"
t0=$(bed_now_ms)
bed_wait_until 8000 "web back on n1 (preempt) once its service is up again" held_by n1 >/dev/null ||
	fail "$BED_LAST"
back=$(($(bed_now_ms) - t0))
# the hold-down counts from the last failed run, at most one interval (200 ms)
# before the service came back (3 s: longer than a flap's up time even on a
# loaded machine, where starting the listener and sampling stretch it)
[ "$back" -ge 2790 ] || fail "web came back ${back} ms after the service: the 3 s hold-down was not kept"
echo "ok - n1's service back: web back on n1 in $back ms (hold-down 3 s kept)"

# corovipctl status shows this node's checks (libqb IPC: inside the node)
st=$(bed_exec 1 "$build/ctl/corovipctl" status) || fail "corovipctl status on n1"
echo "$st" | grep -q "check 'svc' (tcp): passing since" || fail "status lacks svc passing: $st"
echo "$st" | grep -q "check 'flag' (exec): passing" || fail "status lacks flag passing: $st"
js=$(bed_exec 1 "$build/ctl/corovipctl" status --json) || fail "corovipctl status --json on n1"
[ "$(echo "$js" | jq -r '.checks[] | select(.name == "svc") | .passing')" = true ] ||
	fail "status --json: svc not passing: $js"
echo "ok - corovipctl status shows n1's checks passing (text and JSON)"

# A flapping service on n1 (down 500 ms, up 300 ms, for 4 s): fall 2 at a
# 200 ms interval moves web away at the first outage; rise 2 and the 3 s
# hold-down keep it away while the service flaps: one move, not one per flap.
# Holders sampled every ~50 ms from the kernel, node after node: a sample
# across a handoff may list both (the watcher, not this loop, judges two
# holders), so only samples of one holder count.
one_holder() { [ -n "$1" ] && [ "${1#* }" = "$1" ]; }
moves=0 prev=n1 seen=""
flap_end=$(($(bed_now_ms) + 4000))
while [ "$(bed_now_ms)" -lt "$flap_end" ]; do
	bed_kill 1 listen
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		h=$(bed_holders $VIP)
		if one_holder "$h" && [ "$h" != "$prev" ]; then moves=$((moves + 1)) prev=$h seen="$seen $(bed_now_ms):$h(down)"; fi
		sleep 0.05
	done
	listen_on 1 || fail "$BED_LAST"
	for _ in 1 2 3 4 5 6; do
		h=$(bed_holders $VIP)
		if one_holder "$h" && [ "$h" != "$prev" ]; then moves=$((moves + 1)) prev=$h seen="$seen $(bed_now_ms):$h(up)"; fi
		sleep 0.05
	done
done
[ "$moves" -le 1 ] || fail "web moved $moves times while n1's service flapped (hold-down 3 s):$seen (flap from $((flap_end - 4000)))"
bed_wait_until 8000 "web back on n1 once its service stays up" held_by n1 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's service flapping for 4 s: web moved $moves time(s), back on n1 once it stayed up"

rm -f "$flags/up-n1"
bed_wait_until 5000 "web to move to n2 after n1's flag went (exec check)" held_by n2 >/dev/null ||
	fail "$BED_LAST"
echo "ok - n1's exec check fails: web moved to n2 in ${BED_WAITED_MS} ms"

s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
echo "ok - the checker never saw two holders ($s)"

# 2 exec runs a second per node since the start: none left behind.
d=$(bed_pid 1 corovipd)
kids=$(ps -o pid=,stat=,comm= --ppid "$d" | grep -v corovipd-reaper || true)
# a run that just ended is a zombie until the loop reaps it: only one still
# a zombie a second later was left behind
zombies=$(echo "$kids" | awk 'NF && $2 ~ /^Z/ { print $1 }' | tr '\n' ' ')
if [ -n "$zombies" ]; then
	sleep 1
	left=$(ps -o pid=,stat=,comm= -p "$(echo $zombies | tr " " ",")" | awk '$2 ~ /^Z/' || true)
	[ -z "$left" ] || fail "zombie children of n1's corovipd, still there a second later: $left"
fi
[ "$(echo "$kids" | grep -c test || true)" -le 1 ] || fail "exec runs left behind: $kids"
echo "ok - no zombie and no stray exec run under n1's corovipd"
bed_down
