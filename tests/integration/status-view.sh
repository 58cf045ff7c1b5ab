#!/bin/bash
# corovipctl status as a cluster view (issue 17) on 3 real corosync nodes
# (tests/integration/bed.sh, namespaces prefixed "sv"): every configured
# node and, per VIP, its owner and why; the text and the JSON of every node
# are checked against what is really on the nodes' interfaces, and the JSON
# against docs/status-schema.json (tests/tools/status-schema.py, strict
# UTF-8). VIPs: web (prefer n1), app (check "flag": a file per node).
# The check's timeout (400 ms) and reaper_timeout (700 ms) and the waits
# (10 s) are what an ASan daemon keeps on a loaded 2-core machine.
#   1. web on n1, app held by nobody: every node says so, and why (no
#      eligible node: each node's check fails); a check output that is not
#      UTF-8 comes out as U+FFFD;
#   2. n2's check passes: app on n2, everywhere;
#   3. standby n3: the nodes list says so; app's flag moves to n3 only:
#      nobody holds app (n3 standby, the others' checks fail);
#   4. a move whose holder is frozen: n1's daemon and reaper stopped, move
#      web to n2: n2's status says the move is under way and what n2 waits
#      for (n1's RELEASED, then n1's lease), until when; never two holders;
#   4b. maintenance on (cluster state): every node says so; n2's daemon
#      killed: its reaper releases web and nobody takes it (why:
#      maintenance); off: web on n1;
#   5. n3's corovipd stopped: "corovipd missing"; n3's corosync stopped:
#      "offline"; n2's too: n1 alone says no quorum.
#   tests/integration/status-view.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in jq python3; do command -v $t >/dev/null || { echo "SKIP: needs $t"; exit 77; }; done
cd "$top"
export BED_PREFIX=${BED_PREFIX:-sv}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
WEB=192.0.2.80
APP=192.0.2.81
ctl() { bed_exec "$1" "$build/ctl/corovipctl" "${@:2}"; }
js() { ctl "$1" status --json; }
# schema_ok I: node I's status --json passes the schema
schema_ok() {
	local out
	out=$(js "$1" | python3 tests/tools/status-schema.py docs/status-schema.json 2>&1) ||
		{ BED_LAST="n$1's JSON: $out"; return 1; }
}
# owner_says I VIP NODE|none: node I's JSON and text name NODE as the owner
owner_says() {
	local o t want=$3
	o=$(js "$1" | jq -r ".vips[] | select(.name == \"$2\") | .owner.name // \"none\"")
	t=$(ctl "$1" status | grep "^VIP '$2' ")
	[ "$want" = none ] && want_text="owner node 0" || want_text="owner $want ("
	[ "$o" = "$want" ] && [[ "$t" == *"$want_text"* ]] ||
		{ BED_LAST="n$1 says owner $o: $t"; return 1; }
}
# everywhere MS WHAT CMD ARGS...: CMD I ARGS... holds on every running node
everywhere() {
	local ms=$1 what=$2 i
	shift 2
	for i in $NODES; do bed_wait_until "$ms" "n$i: $what" "$1" "$i" "${@:2}" >/dev/null || fail "$BED_LAST"; done
}
json_true() { [ "$(js "$1" | jq -r "$2")" = true ] || { BED_LAST="n$1: $2 is not true"; return 1; }; }
holders_are() { [ "$(bed_holders "$1")" = "$2" ] || { BED_LAST="holders of $1: $(bed_holders "$1")"; return 1; }; }
why_code() { js "$1" | jq -r ".vips[] | select(.name == \"$2\") | .why.code"; }
why_is() { local c; c=$(why_code "$1" "$2"); [ "$c" = "$3" ] || { BED_LAST="n$1: $2's why is $c"; return 1; }; }
node_line() { ctl "$1" status | grep "^  $2 (" || true; }
node_says() { [[ "$(node_line "$1" "$2")" == *"$3"* ]] || { BED_LAST="n$1 on $2: $(node_line "$1" "$2")"; return 1; }; }

bed_cluster_up 3
NODES="1 2 3"
bed_temp_dir flags corovip-status
chmod 0755 "$flags"
# the check: passes while the node's flag file is there; when it fails, its
# output is not UTF-8 (bytes 0xff 0xfe)
printf '#!/bin/sh\ntest -e "%s/ok-$1" && exit 0\nprintf "no flag \\377\\376 here\\n"\nexit 1\n' "$flags" >"$flags/check"
chmod 0755 "$flags/check"
for i in 1 2 3; do
	cat >"$BED_DIR/n$i/corovip.conf" <<EOC
cluster {
	script_user: nobody
	reaper_timeout: 700ms
}
node n1 {
	nodeid: 1
}
node n2 {
	nodeid: 2
}
node n3 {
	nodeid: 3
}
check flag {
	exec: $flags/check n$i
	interval: 500ms
	timeout: 400ms
	rise: 1
	fall: 1
}
vip web {
	address: $WEB/24
	interface: eth0
	prefer: n1
}
vip app {
	address: $APP/24
	interface: eth0
	check: flag
}
EOC
	chmod 0644 "$BED_DIR/n$i/corovip.conf"
	bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$i/corovip.conf"
done
bed_watch_start $WEB >/dev/null
for i in 1 2 3; do bed_wait_until 10000 "n$i's corovipctl" ctl "$i" status >/dev/null || fail "$BED_LAST"; done

# 1. web on n1; app on nobody, and why
bed_wait_until 10000 "web on n1" holders_are $WEB n1 >/dev/null || fail "$BED_LAST"
everywhere 10000 "web owned by n1" owner_says web n1
everywhere 10000 "app owned by nobody" owner_says app none
holders_are $APP "" || fail "app is held: $BED_LAST"
everywhere 10000 "app's why: no-eligible-node" why_is app no-eligible-node
for i in 1 2 3; do
	st=$(ctl "$i" status)
	grep -q "why: held by nobody: no eligible node: n1 check-failing, n2 check-failing, n3 check-failing" <<<"$st" ||
		fail "n$i's status does not say why app is not held: $st"
	[ "$(why_code "$i" web)" = held ] || fail "n$i: web's why is $(why_code "$i" web)"
	[ "$(js "$i" | jq -r '.vips[] | select(.name == "app") | .why.unfit | [.n1, .n2, .n3] | join(",")')" = \
		check-failing,check-failing,check-failing ] || fail "n$i's JSON unfit: $(js "$i" | jq -c '.vips[1].why')"
	[ "$(js "$i" | jq -r '[.nodes[] | "\(.name):\(.member):\(.daemon):\(.vips)"] | join(" ")')" = \
		"n1:true:true:1 n2:true:true:0 n3:true:true:0" ] || fail "n$i's JSON nodes: $(js "$i" | jq -c .nodes)"
	schema_ok "$i" || fail "$BED_LAST"
done
last=$(js 1 | jq -r '.checks[] | select(.name == "flag") | .last')
[[ "$last" == *"no flag �� here"* ]] || fail "the check's output (not UTF-8) came out as: $last"
echo "ok - web on n1 and app on nobody, as every node's status says (text and JSON, schema-valid); why: no eligible node, each node check-failing; invalid UTF-8 from a check comes out as U+FFFD"
ctl 2 status | sed 's/^/# /'

# 2. n2's check passes
touch "$flags/ok-n2"
bed_wait_until 10000 "app on n2" holders_are $APP n2 >/dev/null || fail "$BED_LAST"
everywhere 10000 "app owned by n2" owner_says app n2
everywhere 10000 "app's why: held" why_is app held
echo "ok - n2's check passes: app on n2, and every node says so"

# 3. standby n3; its check alone passes
ctl 1 standby n3 >/dev/null || fail "corovipctl standby n3"
everywhere 10000 "n3 in standby" node_says n3 ", standby, "
rm "$flags/ok-n2"
touch "$flags/ok-n3"
bed_wait_until 10000 "app on nobody" holders_are $APP "" >/dev/null || fail "$BED_LAST"
everywhere 10000 "app's why: no-eligible-node" why_is app no-eligible-node
for i in 1 2 3; do
	u=$(js "$i" | jq -r '.vips[] | select(.name == "app") | .why.unfit | [.n1, .n2, .n3] | join(",")')
	[ "$u" = check-failing,check-failing,standby ] || fail "n$i's unfit: $u"
	[ "$(js "$i" | jq -r '.nodes[2].standby')" = true ] || fail "n$i's JSON: n3 not standby"
done
ctl 1 unstandby n3 >/dev/null || fail "corovipctl unstandby n3"
bed_wait_until 10000 "app on n3" holders_are $APP n3 >/dev/null || fail "$BED_LAST"
echo "ok - standby n3: every node lists it so; with only n3's check passing app is held by nobody (n3 standby); unstandby: app on n3"

# 4. a move away from a frozen holder
d1=$(bed_pid 1 corovipd)
r1=$(pgrep -x corovipd-reaper -P "$d1")
kill -STOP "$r1" "$d1"
ctl 2 move web n2 >/dev/null || { kill -CONT "$r1" "$d1"; fail "corovipctl move web n2"; }
seen="" t0=$(bed_now_ms)
while [ $(($(bed_now_ms) - t0)) -lt 15000 ]; do
	w=$(js 2 | jq -c '.vips[] | select(.name == "web") | .why')
	code=$(jq -r .code <<<"$w")
	case $code in
	wait-released | wait-lease)
		[ "$(jq -r .move_to <<<"$w")" = n2 ] || fail "n2's why during the move: $w"
		[ "$(jq -r '.nodes | join(",")' <<<"$w")" = n1 ] || fail "n2 waits for others than n1: $w"
		[ "$code" = wait-released ] || [ "$(jq -r .until_iso <<<"$w")" != null ] || fail "a lease wait without until: $w"
		[[ "$seen" == *"$code"* ]] || { seen+="$code "; ctl 2 status | grep -A3 "^VIP 'web'" | sed 's/^/# /'; } ;;
	esac
	holders_are $WEB n2 && break
	sleep 0.05
done
kill -CONT "$d1" "$r1"
holders_are $WEB n2 || fail "web not on n2 15 s after the move: $BED_LAST"
[ -n "$seen" ] || fail "n2's status never said what the move waited for"
everywhere 10000 "web owned by n2" owner_says web n2
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "web on two nodes at once: $s"
echo "ok - a move from a frozen holder: n2's status said the move to n2 is under way, waiting for n1 ($seen), until when; web on n2, never two holders"

# 4b. maintenance mode: a holder's daemon killed, nobody takes its VIP
out=$(ctl 3 maintenance on) || fail "corovipctl maintenance on: $out"
everywhere 3000 "maintenance in the JSON" json_true .cluster.maintenance
ctl 1 status | grep -q "^MAINTENANCE MODE: placement moves nothing" || fail "n1's text: $(ctl 1 status)"
d2=$(bed_pid 2 corovipd)
kill -KILL "$d2"
bed_wait_until 10000 "web released by n2's reaper" holders_are $WEB "" >/dev/null || fail "$BED_LAST"
restarted() { local p; p=$(bed_pid 2 corovipd) && [ "$p" != "$d2" ] && ctl 2 status >/dev/null 2>&1; }
bed_wait_until 10000 "n2's corovipd restarted" restarted >/dev/null || fail "$BED_LAST"
t0=$(bed_now_ms)
while [ $(($(bed_now_ms) - t0)) -lt 3000 ]; do
	holders_are $WEB "" || fail "web taken during maintenance: $BED_LAST"
	sleep 0.1
done
everywhere 10000 "web's why: maintenance" why_is web maintenance
ctl 1 status | grep -q "why: held by nobody: maintenance mode" || fail "n1's text: $(ctl 1 status)"
out=$(ctl 2 maintenance off) || fail "corovipctl maintenance off: $out"
bed_wait_until 10000 "web taken once maintenance is off" holders_are $WEB n1 >/dev/null || fail "$BED_LAST"
grep -q "audit: uid=0 command=maintenance mode=on result=ok" "$BED_DIR/n3/corovipd.out" || fail "no audit line"
echo "ok - maintenance on: every node says so; n2's daemon killed, its reaper released web and nobody took it (3 s watched; why: maintenance); off: web on n1"

# 5. a daemon missing, a node offline, no quorum
bed_norestart 3 corovipd
bed_stop 3 corovipd || fail "stopping n3's corovipd"
NODES="1 2"
everywhere 10000 "n3's corovipd missing" node_says n3 "member, corovipd missing"
bed_corosync_stop 3 || fail "stopping n3's corosync"
everywhere 15000 "n3 offline" node_says n3 "n3 (3): offline"
for i in 1 2; do
	[ "$(js "$i" | jq -r '.nodes[2] | "\(.online):\(.member):\(.daemon)"')" = false:false:false ] ||
		fail "n$i's JSON on n3: $(js "$i" | jq -c '.nodes[2]')"
	schema_ok "$i" || fail "$BED_LAST"
done
bed_norestart 2 corovipd
bed_corosync_stop 2 || fail "stopping n2's corosync"
NODES=1
everywhere 15000 "web's why: no-quorum" why_is web no-quorum
ctl 1 status | grep -q "why: held by nobody: this partition is not quorate" || fail "n1's text: $(ctl 1 status)"
schema_ok 1 || fail "$BED_LAST"
echo "ok - n3's corovipd stopped: 'corovipd missing'; its corosync stopped: 'offline'; n2's too: n1 says no quorum"
