#!/bin/bash
# corovipctl against corovipd on 3 real corosync nodes (tests/integration/
# bed.sh, namespaces prefixed "ct" so that they never meet another bed's):
# status --json names the holder the independent checker sees; move,
# standby and unstandby move the VIP by a handoff, never with two holders;
# ban (with a lifetime that ends by itself on every node, and without) and
# clear;
# metrics, reload (a broken file is refused, the daemon keeps running) and
# the refusals (unknown VIP or node, a user outside root/haclient).
# corovipctl runs inside a node (bed_exec): libqb IPC's abstract sockets are
# per network namespace, its shared memory is in the node's own /dev/shm.
#   tests/integration/ctl.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-ct}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=192.0.2.50
ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }

held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
# json_owner I: the owner of web as node I's corovipd reports it.
json_owner() { ctl "$1" status --json | jq -r '.vips[] | select(.name == "web") | .owner.name'; }
# owner_is I NODE: node I's corovipd says NODE owns web.
owner_is() {
	local o
	o=$(json_owner "$1") || { BED_LAST="status --json failed on n$1"; return 1; }
	[ "$o" = "$2" ] || { BED_LAST="n$1 says the owner is $o"; return 1; }
}
# standby_is I NODE true|false: as node I's corovipd knows NODE.
standby_is() {
	local s
	s=$(ctl "$1" status --json | jq -r ".cluster.members[] | select(.name == \"$2\") | .standby")
	[ "$s" = "$3" ] || { BED_LAST="n$1 says standby of $2 is '$s'"; return 1; }
}

# Pacemaker's package creates group haclient; without it here, a system group
# of that name is made (and left, as pacemaker would leave it) so that the
# shared memory hand-over to a member (CAP_CHOWN, privileges.h) is tried.
getent group haclient >/dev/null || groupadd -r haclient
bed_cluster_up 3
conf=$BED_DIR/corovip.conf
bed_corovip_conf "$VIP/24" "n1 n2"
for i in 1 2 3; do
	bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$conf" --state-dir "$BED_DIR/n$i/state"
done
bed_wait_until 10000 "n1 to hold web" held_by n1 >/dev/null || fail "$BED_LAST"

# ---- status ----
for i in 1 2 3; do
	bed_wait_until 5000 "n$i's status to name n1" owner_is "$i" n1 >/dev/null || fail "$BED_LAST"
done
s=$(ctl 1 status --json)
[ "$(jq -r '.cluster.quorate' <<<"$s")" = true ] || fail "n1 not quorate: $s"
[ "$(jq -r '.cluster.members | length' <<<"$s")" = 3 ] || fail "n1's view: $s"
[ "$(jq -r '.vips[0].state' <<<"$s")" = held ] || fail "n1's state of web: $s"
[ "$(jq -r '.vips[0].address' <<<"$s")" = "$VIP/24" ] || fail "address: $s"
[ "$(jq -r '.vips[0].last_transition.to' <<<"$s")" = held ] || fail "last transition: $s"
ctl 2 status | grep -q "^VIP 'web' $VIP/24 on eth0: idle here, owner n1 (1)" ||
	fail "n2's status: $(ctl 2 status)"
echo "ok - status --json on every node names the holder the checker sees (n1)"
ctl 1 status | sed 's/^/# /'

# ---- move, standby, unstandby ----
bed_watch_start $VIP >/dev/null
out=$(ctl 3 move web n2) || fail "move web n2: $out"
bed_wait_until 5000 "web to move to n2" held_by n2 >/dev/null || fail "$BED_LAST"
echo "ok - move web n2 (asked on n3): n2 holds web after ${BED_WAITED_MS} ms"
bed_wait_until 3000 "n1's status to name n2" owner_is 1 n2 >/dev/null || fail "$BED_LAST"

out=$(ctl 1 standby n2 --wait=10) || fail "standby n2 --wait: $out"
[[ "$out" == *"node 'n2' owns no VIP, none is in motion ("* ]] || fail "standby --wait said: $out"
held_by n1 || fail "standby --wait returned, but $BED_LAST"
bed_wait_until 3000 "n3 to see n2 in standby" standby_is 3 n2 true >/dev/null || fail "$BED_LAST"
echo "ok - standby n2: web moved to n1 in ${BED_WAITED_MS} ms"
out=$(ctl 1 move web n2 2>&1) && fail "move to a node in standby succeeded: $out"
ctl 1 unstandby n2 >/dev/null || fail "unstandby n2"
bed_wait_until 3000 "n3 to see n2 out of standby" standby_is 3 n2 false >/dev/null ||
	fail "$BED_LAST"
bed_wait_until 5000 "a move to n2 to be accepted" ctl 1 move web n2 --wait >/dev/null || fail "$BED_LAST"
held_by n2 || fail "move --wait returned, but $BED_LAST"
echo "ok - standby n2 --wait returned once n2 owned nothing (web on n1); unstandby n2: move web n2 --wait returned with web on n2"
# --wait that cannot be met: exit 3 (a move to the holder itself is done at once)
out=$(ctl 3 move web n2 --wait=1) || fail "move web n2 --wait=1 (already there): $out"
# the holder n2 frozen (daemon and reaper): its RELEASED cannot come within 1 s
d2=$(bed_pid 2 corovipd)
r2=$(pgrep -x corovipd-reaper -P "$d2")
kill -STOP "$r2" "$d2"
set +e
out=$(ctl 1 standby n2 --wait=1 2>&1)
rc=$?
set -e
# (the thawed reaper would kill its daemon, starved that long: kill it now,
# let the reaper sweep, start a new daemon)
kill -KILL "$d2"
kill -CONT "$r2"
[ "$rc" = 3 ] || fail "standby n2 --wait=1 with n2 frozen: exit $rc: $out"
[[ "$out" == *"not done after 1 s: VIPs it owns, VIPs in motion: 0 1"* ]] || fail "standby --wait=1 said: $out"
bed_wait_dead "$r2" 5000 "n2's reaper after its sweep" || fail "$BED_LAST"
bed_spawn 2 corovipd "$build/agent/corovipd" -f -c "$conf" --state-dir "$BED_DIR/n2/state"
bed_wait_until 10000 "n2's corovipctl" ctl 2 status >/dev/null || fail "$BED_LAST"
ctl 1 unstandby n2 >/dev/null || fail "unstandby n2"
bed_wait_until 15000 "a move back to n2" ctl 1 move web n2 --wait=5 >/dev/null || fail "$BED_LAST"
echo "ok - standby n2 --wait=1 with n2 frozen: exit 3 (${out##*$'\n'}); then web back on n2 by move --wait"
set +e
ctl 1 move web n2 --wait=x >/dev/null 2>&1
rc=$?
set -e
[ "$rc" = 2 ] || fail "--wait=x did not exit 2"

# ---- ban, clear ----
# bans_of I: the nodes banned from web, as node I's corovipd reports them
bans_of() { ctl "$1" status --json | jq -r '[.vips[0].why.bans[]?.node] | join(" ")'; }
bans_are() {
	local b
	b=$(bans_of "$1") || { BED_LAST="status --json failed on n$1"; return 1; }
	[ "$b" = "$2" ] || { BED_LAST="n$1 says web is banned from '$b'"; return 1; }
}
out=$(ctl 3 ban web n2 --lifetime 4s) || fail "ban web n2 --lifetime 4s: $out"
t0=$(date +%s%N)
bed_wait_until 5000 "web to leave n2, banned" held_by n1 >/dev/null || fail "$BED_LAST"
for i in 1 2 3; do bans_are "$i" n2 || fail "$BED_LAST"; done
ctl 1 status --json | jq -e '.vips[0].why.bans[0].until_iso' >/dev/null || fail "a ban with a lifetime has no until"
ctl 2 status | grep -q "banned (corovipctl ban): n2 (2) until" || fail "n2's status: $(ctl 2 status)"
out=$(ctl 1 move web n2 2>&1) && fail "a move to a banned node succeeded: $out"
grep -q "banned" <<<"$out" || fail "move to a banned node: $out"
echo "ok - ban web n2 --lifetime 4s: web moved to n1 in ${BED_WAITED_MS} ms; every node lists the ban with its end; a move to n2 is refused"
for i in 1 2 3; do
	bed_wait_until 9000 "n$i to see the ban end" bans_are "$i" "" >/dev/null || fail "$BED_LAST"
done
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -ge 3900 ] || fail "the ban ended after $ms ms, before its 4 s"
out=$(ctl 1 move web n2 --wait=5) || fail "move web n2 after the ban's end: $out"
echo "ok - the ban ended by itself after $ms ms on every node; then move web n2 --wait: $out"
ctl 2 ban web n2 >/dev/null || fail "ban web n2"
bed_wait_until 5000 "web to leave n2 again" held_by n1 >/dev/null || fail "$BED_LAST"
out=$(ctl 3 clear web) || fail "clear web: $out"
for i in 1 2 3; do
	bed_wait_until 3000 "n$i to see the clear" bans_are "$i" "" >/dev/null || fail "$BED_LAST"
done
out=$(ctl 1 move web n2 --wait=5) || fail "move web n2 after clear: $out"
log=$BED_DIR/n3/corovipd.out
grep -q "audit: uid=0 command=ban vip=web node=n2 lifetime_ms=4000 result=ok" "$log" || fail "no audit line of ban"
grep -q "audit: uid=0 command=clear vip=web result=ok" "$log" || fail "no audit line of clear"
echo "ok - ban web n2 (until cleared), clear web: n2 eligible again, web back by move --wait; audit lines of both"
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
echo "ok - the checker never saw two holders ($s)"

# ---- metrics ----
m=$(ctl 2 metrics)
for name in corovip_up corovip_quorate corovip_lease_seconds corovip_guard_seconds \
	'corovip_vip_held{vip="web"} 1' 'corovip_vip_state{vip="web",state="held"} 1' \
	'corovip_vip_transitions_total{vip="web"}' corovip_cpg_messages_delivered_total \
	'corovip_cpg_messages_rejected_total{reason="malformed"}' corovip_cpg_send_retries_total; do
	grep -qF "$name" <<<"$m" || fail "metrics without $name: $m"
done
grep -q '^corovip_quorate 1$' <<<"$m" || fail "metrics: not quorate: $m"
echo "ok - metrics (Prometheus text) has the expected metric names"

# ---- refusals ----
if out=$(ctl 1 move nosuch n2 2>&1); then fail "move nosuch n2 succeeded: $out"; fi
grep -q "no such VIP 'nosuch'" <<<"$out" || fail "move nosuch n2: $out"
if out=$(ctl 1 move web n9 2>&1); then fail "move web n9 succeeded: $out"; fi
grep -q "no such node 'n9'" <<<"$out" || fail "move web n9: $out"
set +e
ctl 1 bogus >/dev/null 2>&1
[ $? = 2 ] || fail "a usage error did not exit 2"
ctl 1 move web >/dev/null 2>&1
[ $? = 2 ] || fail "move without a node did not exit 2"
set -e
echo "ok - unknown VIP/node are refused with a clear message, usage errors exit 2"

cp "$conf" "$conf.good"
printf 'vip web {\n\taddress: not-an-address\n}\n' >"$conf"
if bad=$(ctl 2 reload 2>&1); then fail "reload of a broken config succeeded: $bad"; fi
grep -q "keeping the running config" <<<"$bad" || fail "reload: $bad"
cp "$conf.good" "$conf"
kill -0 "$(cat "$BED_DIR/n2/corovipd.pid")" || fail "corovipd on n2 died after a bad reload"
owner_is 2 n2 || fail "$BED_LAST"
out=$(ctl 2 reload) || fail "reload of the good config: $out"
held_by n2 || fail "$BED_LAST"
echo "ok - reload: a broken file exits 1 ($bad), the daemon keeps running and reloads a good one"

if out=$(bed_exec 1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$build/ctl/corovipctl" status 2>&1); then
	fail "nobody was let in: $out"
fi
grep -q "only root and group haclient" <<<"$out" || fail "nobody: $out"
out=$(bed_exec 1 setpriv --reuid=nobody --regid=haclient --clear-groups \
	"$build/ctl/corovipctl" status) || { grep -i "refus\|haclient\|group" "$BED_DIR"/n1/corovipd.out; fail "a haclient member was refused: $out"; }
echo "ok - nobody is refused, a member of haclient is let in"

# log levels at run time, and the blackbox
log=$BED_DIR/n1/corovipd.out
out=$(ctl 1 log-level debug) || fail "log-level debug: $out"
mark=$(wc -l <"$log")
ctl 1 move web n1 >/dev/null || fail "move web n1"
bed_wait_until 3000 "web on n1" held_by n1 >/dev/null || fail "$BED_LAST"
tail -n +"$((mark + 1))" "$log" | grep -q " debug: " || fail "no debug line after log-level debug"
ctl 1 log-level warning >/dev/null || fail "log-level warning"
mark=$(wc -l <"$log")
ctl 1 move web n2 >/dev/null || fail "move web n2"
bed_wait_until 3000 "web on n2" held_by n2 >/dev/null || fail "$BED_LAST"
sleep 0.3 # n1 releases after n2's RELEASED wait: lines that must not come
! tail -n +"$((mark + 1))" "$log" | grep -E " (debug|info|notice): " ||
	fail "info or notice lines after log-level warning"
if out=$(ctl 1 log-level loud 2>&1); then fail "log-level loud succeeded: $out"; fi
grep -q "no such level 'loud'" <<<"$out" || fail "log-level loud: $out"
ctl 1 reload >/dev/null || fail "reload"
grep -q "audit: uid=0 command=log-level level=debug result=ok" "$log" || fail "no audit line of log-level"
out=$(ctl 1 blackbox) || fail "corovipctl blackbox: $out"
[[ "$out" == "$BED_DIR/n1/state/corovipd-blackbox-"* ]] && [ -s "$out" ] || fail "blackbox: $out"
command -v qb-blackbox >/dev/null || fail "needs qb-blackbox (libqb-tools; tests/install-deps)"
# (in the node: qb-blackbox leaves its rings in the node's own /dev/shm)
bb=$(bed_exec 1 qb-blackbox "$out" 2>&1 || true) # it ends with an error at the ring's end
grep -q "^debug " <<<"$bb" || { tail -5 <<<"$bb"; fail "qb-blackbox $out shows no debug line"; }
kill -USR2 "$(bed_pid 2 corovipd)"
bed_wait_until 3000 "n2's SIGUSR2 blackbox" grep -q "blackbox: written to $BED_DIR/n2/state/corovipd-blackbox-" \
	"$BED_DIR/n2/corovipd.out" || fail "$BED_LAST"
echo "ok - log-level debug shows debug lines, warning hides info and notice, a bad level is refused, reload ends it; corovipctl blackbox and SIGUSR2 write the blackbox (qb-blackbox reads debug lines from it at level info)"

# Least privilege (privileges.h), read from the kernel: the daemon keeps
# CAP_CHOWN, CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_NET_ADMIN and CAP_NET_RAW
# (0x30e1: exec checks run as script_user), its reaper CAP_NET_ADMIN
# (0x1000); nothing else in the effective, permitted or bounding sets.
caps() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
d=$(bed_pid 1 corovipd)
rp=$(pgrep -P "$d" -f -- '--reaper') || fail "no reaper under corovipd $d"
for set in CapEff CapPrm CapBnd; do
	[ "$(caps "$d" $set)" = 00000000000030e1 ] || fail "corovipd $set: $(caps "$d" $set)"
	[ "$(caps "$rp" $set)" = 0000000000001000 ] || fail "reaper $set: $(caps "$rp" $set)"
done
[ "$(caps "$d" Groups)" = "$(getent group haclient | cut -d: -f3)" ] || fail "corovipd's groups: $(caps "$d" Groups)"
[ -z "$(caps "$rp" Groups)" ] || fail "the reaper's groups: $(caps "$rp" Groups)"
echo "ok - corovipd runs with CAP_CHOWN, CAP_KILL, CAP_SETGID, CAP_SETUID, CAP_NET_ADMIN, CAP_NET_RAW and group haclient only, its reaper with CAP_NET_ADMIN only"
if out=$(bed_exec c "$build/ctl/corovipctl" status 2>&1); then fail "no daemon, yet: $out"; fi
grep -q "is it running" <<<"$out" || fail "without corovipd: $out"
echo "ok - without a corovipd: '$out'"
for i in 1 2 3; do kill -0 "$(cat "$BED_DIR/n$i/corovipd.pid")" || fail "corovipd on n$i died"; done
# a crash writes the blackbox too
d=$(bed_pid 3 corovipd)
kill -SEGV "$d"
bed_wait_dead "$d" 5000 "n3's corovipd after SIGSEGV" || fail "$BED_LAST"
ls "$BED_DIR"/n3/state/corovipd-blackbox-"$d"-* >/dev/null 2>&1 || fail "no blackbox of the crashed daemon $d"
echo "ok - a crash (SIGSEGV) leaves the blackbox in the state directory"
# A dead daemon's connection rings in the node's /dev/shm (a daemon killed
# while a client was connected) are removed at start: another service's
# and a live process's stay.
dead=$(bed_exec 3 sh -c 'sleep 0 & p=$!; wait $p; echo $p') # reaped: no such process
bed_exec 3 sh -c "mkdir /dev/shm/qb-$dead-1-9-abcdef /dev/shm/qb-$dead-1-9-other /dev/shm/qb-1-1-9-live &&
	touch /dev/shm/qb-$dead-1-9-abcdef/qb-request-corovip-header /dev/shm/qb-$dead-1-9-abcdef/qb-request-corovip-data \
	      /dev/shm/qb-$dead-1-9-other/qb-request-other-header /dev/shm/qb-1-1-9-live/qb-request-corovip-header"
bed_spawn 3 corovipd "$build/agent/corovipd" -f -c "$conf" --state-dir "$BED_DIR/n3/state"
bed_wait_until 10000 "n3's corovipctl" ctl 3 status >/dev/null || fail "$BED_LAST"
left=$(bed_exec 3 sh -c 'ls -d /dev/shm/qb-*-1-9-* 2>/dev/null' | LC_ALL=C sort | tr '\n' ' ')
[ "$left" = "/dev/shm/qb-1-1-9-live /dev/shm/qb-$dead-1-9-other " ] || fail "/dev/shm after the start: $left"
grep -q "removed 1 connection ring(s) a dead corovipd left in /dev/shm" "$BED_DIR/n3/corovipd.out" ||
	fail "no log line of the cleanup"
echo "ok - the restarted daemon removed the dead one's connection rings from /dev/shm, and only those"
bed_down
