#!/bin/bash
# corovipd's IPC socket under a flood (issue 11), on 3 real corosync nodes
# (tests/integration/bed.sh, namespaces prefixed "if"), daemons supervised:
#  - nobody floods every node's socket (idle connections, garbage, half
#    handshakes; tests/tools/ipcflood.c) while root runs corovipctl status
#    and the holder crashes: root is answered within 3 s, a new holder
#    within 5 s, the daemons hold no fd for nobody, spend little CPU and
#    log little;
#  - a member of haclient (a group each node gets in its own /etc/group)
#    holds at most CV_IPC_UID_SLOTS half-made connections, which end after
#    the handshake deadline; its lying, short, garbage and badly named
#    requests are each refused (no name reaches the log), an idle
#    connection is closed; root is answered all along;
#  - a daemon out of file descriptors (its limit lowered) does not spin
#    and serves root again once it has some.
# The checker must never see two holders; no daemon may be restarted.
#   tests/integration/ipc-flood.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-if}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=192.0.2.50
FLOOD_S=${FLOOD_S:-12}          # nobody's flood, per node
FLOOD_RATE=${FLOOD_RATE:-3000}  # its reconnects per second, per node (0: as fast as it can)
MAX_CPU_PCT=${MAX_CPU_PCT:-25}  # of one CPU, per daemon over the flood
UID_SLOTS=4       # CV_IPC_UID_SLOTS (ctl/ipc-guard.h)
HANDSHAKE_MS=2000 # CV_IPC_HANDSHAKE_MS
IDLE_MS=5000      # CV_IPC_IDLE_MS
MAX_LOG_LINES=200 # per daemon over the whole test
start_s=$SECONDS

# ---- helpers ----
ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }
held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
holders() { bed_field live "$(bed_watch_now)"; }
holder_is_not() { local h; h=$(holders); BED_LAST="holders=$h"; [[ "$h" =~ ^n[0-9]+$ ]] && [ "$h" != "$1" ]; }
daemon_pid() { bed_pid "$1" corovipd; }
# CPU time of node I's corovipd in clock ticks (utime + stime).
cpu_ticks() { local s; s=$(cat "/proc/$(daemon_pid "$1")/stat"); s=${s##*) }; awk '{ print $12 + $13 }' <<<"$s"; }
log_lines() { wc -l <"$BED_DIR/n$1/corovipd.out"; }
n_fds() { find "/proc/$(daemon_pid "$1")/fd" -mindepth 1 -maxdepth 1 | wc -l; }
has_line() { grep -qE "$2" "$1" 2>/dev/null || { BED_LAST=$(tail -2 "$1" 2>/dev/null); return 1; }; }
# timed_status I [AS...]: corovipctl status on node I (as root, or via AS), its time in ms in
# STATUS_MS; fails if it fails or takes more than 3 s.
timed_status() {
	local i=$1 t0 out
	shift
	t0=$(bed_now_ms)
	out=$(bed_exec "$i" "$@" "$build/ctl/corovipctl" status 2>&1) || { BED_LAST=$out; return 1; }
	STATUS_MS=$(($(bed_now_ms) - t0))
	[ "$STATUS_MS" -le 3000 ] || { BED_LAST="it took $STATUS_MS ms"; return 1; }
}
# owner_is I NODE: node I's corovipd says NODE owns web.
owner_is() {
	local o
	o=$(ctl "$1" status --json | jq -r '.vips[] | select(.name == "web") | .owner.name') || return 1
	BED_LAST="n$1 says the owner is $o"
	[ "$o" = "$2" ]
}
# open_at OUT MS: the open count of an ipcflood OPEN line at or after MS.
open_at() { awk -v t="$2" '$1 == "OPEN" { split($2, a, "="); if (a[2] + 0 >= t) { sub("open=", "", $3); print $3; exit } }' "$1"; }
max_open() { awk '$1 == "OPEN" { sub("open=", "", $3); if ($3 + 0 > m) m = $3 + 0 } END { print m + 0 }' "$1"; }
result_of() { grep '^RESULT' "$1" || true; }
stopped() { ! bed_pid "$1" "$2" >/dev/null; }

# ---- the bed: group haclient of each node's own, in its mount namespace ----
GID=64100
while getent group "$GID" >/dev/null; do GID=$((GID + 1)); done
MEMBER=64100
while getent passwd "$MEMBER" >/dev/null; do MEMBER=$((MEMBER + 1)); done
bed_cluster_up 3
grep -v '^haclient:' /etc/group >"$BED_DIR/group"
echo "haclient:x:$GID:" >>"$BED_DIR/group"
for i in 1 2 3; do bed_exec "$i" mount --bind "$BED_DIR/group" /etc/group; done
bed_build_tools
flood=$BED_DIR/bin/ipcflood
"${CC:-cc}" -std=gnu11 -O2 -Wall -Wextra -I"$top/ctl" -I"$top/core" -o "$flood" \
	tests/tools/ipcflood.c -lqb || fail "could not build tests/tools/ipcflood.c"
chmod 711 "$BED_DIR" "$BED_DIR/bin" # nobody and the member run it
conf=$BED_DIR/corovip.conf
bed_corovip_conf "$VIP/24" "n1 n2"
for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$conf"; done
bed_wait_until 10000 "n1 to hold web" held_by n1 || fail "$BED_LAST"
for i in 1 2 3; do bed_wait_until 5000 "n$i to name n1" owner_is "$i" n1 || fail "$BED_LAST"; done
bed_watch_start "$VIP" >/dev/null
echo "ok - 3 nodes, n1 holds web; group haclient is gid $GID on every node, member uid $MEMBER"

# ---- nobody floods every node; root asks; the holder crashes ----
declare -A cpu0 log0
for i in 1 2 3; do cpu0[$i]=$(cpu_ticks "$i"); log0[$i]=$(log_lines "$i"); done
t0=$(bed_now_ms)
for i in 1 2 3; do
	bed_spawn "$i" flood setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$flood" flood -n 200 -t "$FLOOD_S" -r "$FLOOD_RATE"
done
bed_wait_until 3000 "the flood to start" has_line "$BED_DIR/n1/flood.out" '^OPEN' ||
	fail "$BED_LAST"
fds=0
for i in 1 2 3; do
	timed_status "$i" || fail "root's status on n$i under the flood: $BED_LAST"
	n=$(n_fds "$i")
	fds=$((n > fds ? n : fds))
	echo "ok - n$i answers root under nobody's flood in $STATUS_MS ms (the daemon has $n fds open)"
done
if out=$(bed_exec 2 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$build/ctl/corovipctl" status 2>&1); then
	fail "nobody was let in: $out"
fi
grep -q "only root and group haclient" <<<"$out" || fail "nobody's corovipctl: $out"
bed_crash 1
bed_wait_until 5000 "a new holder" holder_is_not n1 || fail "$BED_LAST"
echo "ok - holder n1 crashed under the flood: $(holders) holds web after ${BED_WAITED_MS} ms"
new=$(holders)
for i in 2 3; do
	timed_status "$i" || fail "root's status on n$i after the failover: $BED_LAST"
	bed_wait_until 3000 "n$i to name $new" owner_is "$i" "$new" || fail "$BED_LAST"
	n=$(n_fds "$i")
	fds=$((n > fds ? n : fds))
done
echo "ok - n2 and n3 still answer root under the flood and name $new"
for i in 2 3; do bed_wait_until $((FLOOD_S * 1000 + 3000)) "the flood on n$i to end" stopped "$i" flood ||
	fail "$BED_LAST"; done
t1=$(bed_now_ms)
for i in 2 3; do
	r=$(result_of "$BED_DIR/n$i/flood.out")
	c=$(bed_field connects "$r")
	[ "${c:-0}" -ge 1000 ] || fail "n$i: the flood hardly connected: $r"
	cpu=$(($(cpu_ticks "$i") - cpu0[$i]))
	ms=$((t1 - t0))
	echo "# n$i: nobody's flood: $r; the daemon's CPU $((cpu * 10)) ms in $ms ms"
	[ $((cpu * 10 * 100)) -le $((ms * MAX_CPU_PCT)) ] ||
		fail "n$i: corovipd used $((cpu * 10)) ms of CPU in $ms ms"
done
[ "$fds" -le 64 ] || fail "a daemon had $fds fds open under nobody's flood"
echo "ok - nobody held a daemon fd (at most $fds open), each daemon used < $MAX_CPU_PCT% of a CPU over the flood"

# ---- a member of haclient: slots, handshake deadline, bad requests, idle ----
h=${new#n}
bed_spawn "$h" requests setpriv --reuid="$MEMBER" --regid="$GID" --clear-groups \
	"$flood" requests -i $((IDLE_MS + 1500))
bed_wait_until 3000 "the member's requests" has_line "$BED_DIR/n$h/requests.out" '^REQ good-status' ||
	fail "$BED_LAST"
bed_spawn "$h" hold setpriv --reuid="$MEMBER" --regid="$GID" --clear-groups \
	"$flood" flood -1 -n 10 -t $((HANDSHAKE_MS / 1000 + 2))
timed_status "$h" || fail "root's status on $new while the member holds its slots: $BED_LAST"
echo "ok - root is answered in $STATUS_MS ms while a member holds all its slots"
bed_wait_until $((HANDSHAKE_MS + 3000)) "the member's half-made connections to end" stopped "$h" hold ||
	fail "$BED_LAST"
held=$(open_at "$BED_DIR/n$h/hold.out" 1000)
late=$(open_at "$BED_DIR/n$h/hold.out" $((HANDSHAKE_MS + 500)))
{ [ "${held:-99}" -le $UID_SLOTS ] && [ "${held:-0}" -ge 1 ]; } ||
	fail "the member held ${held:-?} connections at 1 s (at most $UID_SLOTS): $(cat "$BED_DIR/n$h/hold.out")"
[ "${late:-99}" = 0 ] ||
	fail "the member still held ${late:-?} connections after the handshake deadline: $(cat "$BED_DIR/n$h/hold.out")"
echo "ok - of a member's 10 half-made connections $held were open at 1 s (its limit $UID_SLOTS counts its requests' one too), none after ${HANDSHAKE_MS} ms"
timed_status "$h" setpriv --reuid="$MEMBER" --regid="$GID" --clear-groups ||
	fail "the member's own status once its slots are free: $BED_LAST"
echo "ok - the member's corovipctl status is answered once its slots are free ($STATUS_MS ms)"
bed_wait_until $((IDLE_MS + 5000)) "the member's requests to end" stopped "$h" requests || fail "$BED_LAST"
sed 's/^/# /' "$BED_DIR/n$h/requests.out"
r=$(result_of "$BED_DIR/n$h/requests.out")
n=$(bed_field requests "$r")
{ [ -n "$n" ] && [ "$(bed_field answered "$r")" = "$n" ] && [ "$(bed_field refused "$r")" = "$n" ] &&
	[ "$(bed_field status "$r")" = ok ]; } || fail "the member's bad requests: $r"
[ "$(bed_field idle_closed "$r")" = yes ] || fail "an idle connection was not closed: $r"
! grep -q FORGED "$BED_DIR/n$h/corovipd.out" || fail "a name with a newline reached the log"
echo "ok - $n bad requests refused, each answered; no name reached the log; idle connection closed"

# ---- out of file descriptors: no spin, root served once fds are back ----
e=$((h == 2 ? 3 : 2))
d=$(daemon_pid "$e")
soft=$(prlimit --pid "$d" --nofile --noheadings --output SOFT | tr -d ' ')
nfd=$(n_fds "$e")
prlimit --pid "$d" --nofile=$((nfd + 2)):
bed_spawn "$e" emfile "$flood" flood -1 -n 12 -t 5
c0=$(cpu_ticks "$e")
sleep 3
cpu=$(($(cpu_ticks "$e") - c0))
prlimit --pid "$d" --nofile="$soft":
[ "$cpu" -le 30 ] || fail "n$e: out of fds, corovipd used $((cpu * 10)) ms of CPU in 3 s"
bed_wait_until 5000 "root's status on n$e with fds back" timed_status "$e" || fail "$BED_LAST"
echo "ok - n$e out of fds (limit $((nfd + 2))) used $((cpu * 10)) ms of CPU in 3 s; root answered after the limit went back"

# ---- the end: no restart, one holder all along, small logs ----
for i in 2 3; do
	[ "$(bed_restarts "$i" corovipd)" = 0 ] || fail "corovipd on n$i was restarted"
	kill -0 "$(daemon_pid "$i")" || fail "corovipd on n$i died"
done
s=$(bed_watch_stop watch)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
for i in 1 2 3; do
	n=$(($(log_lines "$i") - log0[$i]))
	[ "$n" -le $MAX_LOG_LINES ] || fail "n$i's corovipd logged $n lines during the test"
	echo "# n$i: corovipd logged $n lines during the test"
done
echo "ok - no daemon restarted, the checker never saw two holders ($s), logs under $MAX_LOG_LINES lines"
echo "# ipc-flood.sh: $((SECONDS - start_s)) s"
bed_down
