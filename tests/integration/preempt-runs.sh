#!/bin/bash
# preempt_delay and a thousand check runs (issue 13), on 3 real corosync
# nodes (tests/integration/bed.sh, namespaces prefixed "pr"):
#   1. web prefers n1 (preempt: yes), cluster preempt_delay 3s. n1's
#      corovipd stops (a handoff to another node) and starts again: web stays
#      where it is for at least the delay after the restart, then comes back
#      to n1 by a handoff; the checker never sees two holders.
#   2. ten exec checks (interval 100 ms, a script that appends a line to a
#      file, as script_user nobody) that another VIP names run 1,000 times on
#      n1: n1's corovipd has no more fds afterwards than before (not
#      counting the pipes and pidfds of runs under way; the least of 20
#      looks), no zombie child,
#      and no more children than checks;
#   3. an exec check that hangs (sleep 30, timeout 200 ms) is killed at its
#      timeout every time: no run of it lives past a second, and the VIP that
#      names it is held nowhere.
#   tests/integration/preempt-runs.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-pr}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=198.51.100.70
RUNS_VIP=198.51.100.71
HUNG_VIP=198.51.100.72
DELAY_MS=3000
N_CHECKS=10

held_by() { [ "$(bed_holders $VIP)" = "$1" ] || { BED_LAST="holders: $(bed_holders $VIP)"; return 1; }; }
held_elsewhere() { local h; h=$(bed_holders $VIP); BED_LAST="holders: $h"; [[ "$h" =~ ^n[23]$ ]]; }
start_daemon() { bed_spawn "$1" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/n$1/corovip.conf"; }
# n1's corovipd's open fds, less the pipes of check runs under way (a pipe
# a live child of it also has: under load some run is always under way),
# the least of 20 looks 50 ms apart
# n1's corovipd's fds, not counting what runs under way hold: their pipes
# (shared with the child) and one pidfd each (more pidfds than children is
# a leak and counts); the least of 20 looks.
least_fds() {
	local d n least=100000 k kids n_kids pidfds
	d=$(bed_pid 1 corovipd) || return 1
	for k in $(seq 20); do
		kids=$(ps -o pid= --ppid "$d" 2>/dev/null | tr -d ' ' | sed 's|.*|/proc/&/fd|' | tr '\n' ' ')
		n_kids=$(wc -w <<<"$kids")
		# shellcheck disable=SC2086
		n=$(comm -23 <(find "/proc/$d/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
			grep -v '^anon_inode:\[pidfd\]$' | sort) \
			<({ [ -z "$kids" ] || find $kids -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null; } |
				grep '^pipe:' | sort -u) | wc -l)
		pidfds=$(find "/proc/$d/fd" -mindepth 1 -maxdepth 1 -printf '%l\n' 2>/dev/null |
			grep -c '^anon_inode:\[pidfd\]$' || true)
		n=$((n + (pidfds > n_kids ? pidfds - n_kids : 0)))
		[ "$n" -ge "$least" ] || least=$n
		sleep 0.05
	done
	echo "$least"
}
runs_at_least() {
	local n
	n=$(cat "$runs/n1" 2>/dev/null | wc -l)
	BED_LAST="$n runs"
	[ "$n" -ge "$1" ]
}

bed_cluster_up 3
bed_temp_dir runs corovip-runs
chmod 1777 "$runs" # the checks run as nobody
cat >"$runs/run.sh" <<'EOS'
#!/bin/sh
echo "$2" >>"$1"
EOS
chmod 0755 "$runs/run.sh"
for i in 1 2 3; do
	{
		cat <<EOC
cluster {
	preempt_delay: ${DELAY_MS}ms
	script_user: nobody
}
node n1 {
}
node n2 {
}
node n3 {
}
vip web {
	address: $VIP/24
	interface: eth0
	prefer: n1
	preempt: yes
}
EOC
		checks=""
		for c in $(seq $N_CHECKS); do
			printf 'check run%d {\n\texec: %s %s %d\n\tinterval: 100ms\n\ttimeout: 90ms\n\trise: 1\n\tfall: 1\n\thold_down: 0s\n}\n' \
				"$c" "$runs/run.sh" "$runs/n$i" "$c"
			checks+=" run$c"
		done
		printf 'vip runs {\n\taddress: %s/24\n\tinterface: eth0\n\tprefer: n2\n\tcheck:%s\n}\n' \
			"$RUNS_VIP" "$checks"
		printf 'check hang {\n\texec: /bin/sleep 30\n\tinterval: 500ms\n\ttimeout: 200ms\n}\n'
		printf 'vip hung {\n\taddress: %s/24\n\tinterface: eth0\n\tcheck: hang\n}\n' "$HUNG_VIP"
	} >"$BED_DIR/n$i/corovip.conf"
	chmod 0644 "$BED_DIR/n$i/corovip.conf"
done
for i in 1 2 3; do start_daemon "$i"; done
bed_wait_until 10000 "n1 to hold web" held_by n1 >/dev/null || fail "$BED_LAST"
echo "ok - web on n1 after ${BED_WAITED_MS} ms"
bed_watch_start $VIP >/dev/null

# ---- 1. preempt_delay
bed_stop 1 corovipd || fail "n1's corovipd did not stop"
bed_wait_until 10000 "web on n2 or n3" held_elsewhere >/dev/null || fail "$BED_LAST"
away=$(bed_holders $VIP)
echo "ok - n1 stopped: web handed off to $away in ${BED_WAITED_MS} ms"
t0=$(bed_now_ms)
start_daemon 1
bed_wait_until $((DELAY_MS + 12000)) "web back on n1" held_by n1 >/dev/null || fail "$BED_LAST"
back=$(($(bed_now_ms) - t0))
[ "$back" -ge "$DELAY_MS" ] || fail "web came back to n1 ${back} ms after its restart, within preempt_delay (${DELAY_MS} ms)"
echo "ok - n1 restarted: web stayed on $away for the delay, back on n1 after ${back} ms (preempt_delay ${DELAY_MS} ms)"
s=$(bed_watch_stop)
[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of web: $s"
echo "ok - the checker never saw two holders ($s)"

# ---- 2. a thousand check runs on n1
bed_wait_until 20000 "n1's checks to run 50 times" runs_at_least 50 >/dev/null || fail "$BED_LAST"
before=$(least_fds) || fail "n1's corovipd is gone"
from=$(cat "$runs/n1" | wc -l)
bed_wait_until 180000 "1,000 more check runs on n1" runs_at_least $((from + 1000)) >/dev/null ||
	fail "$BED_LAST"
after=$(least_fds) || fail "n1's corovipd is gone"
[ "$after" -le "$before" ] || fail "n1's corovipd has $after fds after 1,000 check runs, $before before"
d=$(bed_pid 1 corovipd)
kids=$(ps -o pid=,stat=,comm= --ppid "$d" | grep -v corovipd-reaper || true)
# A run that just ended is a zombie until the loop reaps it (a hundred
# runs a second): only one still a zombie a second later was left behind.
zombies=$(echo "$kids" | awk 'NF && $2 ~ /^Z/ { print $1 }' | tr '\n' ' ')
if [ -n "$zombies" ]; then
	sleep 1
	# shellcheck disable=SC2086
	left=$(ps -o pid=,stat=,comm= -p "$(echo $zombies | tr " " ",")" | awk '$2 ~ /^Z/' || true)
	[ -z "$left" ] || fail "zombie children of n1's corovipd, still there a second later: $left"
fi
[ "$(echo "$kids" | awk 'NF' | wc -l)" -le $((N_CHECKS + 1)) ] || fail "more children than checks: $kids"
echo "ok - $(($(cat "$runs/n1" | wc -l) - from)) check runs on n1: fds $before before, $after after; no zombie, no stray child"

# ---- 3. the hanging check: each run killed at its timeout
old=$(ps -o pid=,etimes=,args= --ppid "$d" | awk '$3 == "/bin/sleep" && $2 >= 1' | wc -l)
[ "$old" = 0 ] || fail "a hung check run lives past its timeout: $(ps -o pid=,etimes=,args= --ppid "$d")"
[ -z "$(bed_holders $HUNG_VIP)" ] || fail "the VIP of the hung check is held: $(bed_holders $HUNG_VIP)"
echo "ok - the hung exec check is killed at its timeout each time (no run past 1 s); its VIP is held nowhere"
for i in 1 2 3; do bed_stop "$i" corovipd || fail "n$i's corovipd did not stop"; done
[ -z "$(bed_holders $VIP)$(bed_holders $RUNS_VIP)$(bed_holders $HUNG_VIP)" ] || fail "addresses left after the stop"
echo "ok - every daemon stopped, no address left"
bed_down
