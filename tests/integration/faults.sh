#!/bin/bash
# The fault matrix (issue 6): 3 nodes with real corosync (token 300) and
# corovipd in namespaces, one fault per scenario on a fresh bed, every
# daemon under the bed's supervisor (restarted on failure, as systemd would).
# The independent checker (addrwatch, every 10 ms; a crashed node is not
# counted) must never see two holders; a holder cut off from the quorate
# side must hold nothing once its own new ring has formed (+ 100 ms); the
# quorate side must hold the VIP again within 5 s (8 s on the kernel-lease
# path); non-holder faults and joins must not drop it at all; a minority
# holds nothing; after every scenario all daemons stop and no address is
# left on any node.
#   tests/integration/faults.sh [--full] [BUILD_DIR] [SCENARIO...]     (root)
#   --full: every scenario 5 times (REPEAT=N for another count)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
repeat=${REPEAT:-1}
[ "${1:-}" != --full ] || { repeat=${REPEAT:-5}; shift; }
build=$(cd "${1:-$top/build/normal}" && pwd)
shift || true
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
VIP=192.0.2.50
failures=0

# The holders the checker counts (a crashed node's address is nobody's).
holders() { bed_field live "$(bed_watch_now)"; }
holder_is() {
	local h
	h=$(holders)
	BED_LAST="holders=$h"
	case "$1" in
	one) [[ "$h" =~ ^n[0-9]+$ ]] ;;
	none) [ "$h" = - ] || [ -z "$h" ] ;;
	not:*) [[ "$h" =~ ^n[0-9]+$ ]] && [ "$h" != "${1#not:}" ] ;;
	*) [ "$h" = "$1" ] ;;
	esac
}

held_by_one() { [[ "$(bed_holders "$VIP")" =~ ^n[0-9]+$ ]] || { BED_LAST="holders: $(bed_holders "$VIP")"; return 1; }; }
others() { local i; for i in 1 2 3; do [ "$i" = "$1" ] || printf '%s ' "$i"; done; }
start_daemon() { bed_supervise "$1" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; }
# exchange-done lines in node I's daemon log: a (re)started daemon has
# finished its state exchange when the count grows.
exchanges() { grep -c 'exchange-done' "$BED_DIR/n$1/corovipd.out" 2>/dev/null || true; }
exchanged_since() { [ "$(exchanges "$1")" -gt "$2" ] || { BED_LAST="$(tail -1 "$BED_DIR/n$1/corovipd.out")"; return 1; }; }
# Whether node I has address A now (no pipe into grep -q: with pipefail,
# ip's SIGPIPE would make a match look like a miss).
is_on() { [[ "$(ip -n "$(bed_ns "$1")" -o addr)" == *" $2/"* ]]; }
not_on() { ! is_on "$@"; }
# From the checker (looking with `ip -n` puts a process into a crashed
# node's namespace, and addrwatch would count the node as alive again):
# every node that has the VIP, crashed ones included, per checker NAME.
seen_on() { bed_field holders "$(bed_watch_now "${1:-watch}")"; }
no_holder() { local n; n=$(seen_on stopwatch); BED_LAST="holders: $n"; [ "$n" = - ]; }
gone_from() { local n; n=$(seen_on); BED_LAST="holders: $n"; [[ ",$n," != *",$1,"* ]]; }
restarted() { [ "$(bed_restarts "$1" corovipd)" -ge 1 ]; }
nap() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# in_group I PID: PID is a member of corovipd's CPG group on node I.
in_group() {
	local out
	out=$(bed_exec "$1" corosync-cpgtool -e 2>/dev/null)
	BED_LAST=$(echo "$out" | tr -s ' \t\n' ' ')
	[[ " $out " =~ [[:space:]]$2[[:space:]] ]]
}
all_quorate() { local i; for i in 1 2 3; do bed_wait_quorate "$i" 15000 "1 2 3" >/dev/null || return 1; done; }

# up: a fresh bed, the VIP held, the checkers running. A scenario NAME may
# add a line to the VIP's section with a function c_NAME.
up() {
	local extra=()
	! declare -F "c_$1" >/dev/null || extra=("$("c_$1")")
	bed_cluster_up 3
	bed_corovip_conf "$VIP/24" n1 "${extra[@]}"
	for i in 1 2 3; do bed_qwatch_start "$i" >/dev/null; done
	for i in 1 2 3; do start_daemon "$i"; done
	bed_wait_until 10000 "one holder" held_by_one >/dev/null
	# The checker starts once the VIP is held: every sample from here counts.
	bed_watch_start "$VIP" >/dev/null
	# and the client's 1 ms prober once the VIP answers (a fresh ARP entry)
	bed_build_tools >/dev/null
	ip netns exec "$(bed_ns c)" "$BED_PROBE" -f -q -t 5 "$VIP" >/dev/null
	bed_probe_start "$VIP" >/dev/null
	H=$(holders)
	h=${H#n}
}

# The holder, cut off at T0 (epoch us), must have let go by the time its own
# new ring (without the others) formed + 100 ms: its first TOTEM callback
# after T0 with itself alone, against the first checker sample after T0
# without it.
released_by_ring() {
	local t0=$1 ring drop
	bed_qwatch_wait "$h" "$t0" "TOTEM .* members=$h\$" 5000 >/dev/null || return 1
	ring=$BED_EVENT_US
	drop=$(awk -v t0="$t0" -v hn="$H" '{ t = $1; sub(/\./, "", t) }
		t + 0 > t0 + 0 && $2 ~ /^holders=/ && ("," substr($2, 9) ",") !~ ("," hn ",") { print t; exit }' \
		"$BED_DIR/watch.log")
	[ -n "$drop" ] || { echo "  $H never let go"; return 1; }
	echo "(released at its own ring formation $(printf %+d $(((drop - ring) / 1000))) ms)" >"$BED_DIR/detail"
	[ $((drop - ring)) -le 100000 ] ||
		{ echo "  $H still held the VIP $(((drop - ring) / 1000)) ms after its own ring formed"; return 1; }
}

# Each scenario: the fault, then what must follow (run with set -e: any
# failing step fails it). no_drop: the VIP must never have dropped.
no_drop() { : >"$BED_DIR/no_drop"; }
s_holder_daemon_kill() {
	bed_kill "$h" corovipd
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	bed_wait_until 5000 "the supervisor to restart corovipd on $H" bed_pid "$h" corovipd >/dev/null
}
# Frozen: the reaper kills it for good, the supervisor starts a new one.
s_holder_daemon_stop() {
	bed_signal "$h" corovipd STOP
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	bed_wait_until 5000 "the supervisor to restart the reaped daemon on $H" restarted "$h"
	bed_wait_until 5000 "the new daemon on $H" bed_pid "$h" corovipd >/dev/null
}
s_daemon_and_reaper_kill() {
	local r
	bed_norestart "$h" corovipd # nothing of ours left on the node: the kernel lease's case
	r=$(pgrep -f corovipd-reaper -P "$(bed_pid "$h" corovipd)" 2>/dev/null || true)
	pkill -KILL -x corovipd-reaper --ns "$(bed__anchor_pid "$h")" --nslist net 2>/dev/null || true
	[ -z "$r" ] || kill -KILL "$r" 2>/dev/null || true
	bed_kill "$h" corovipd
	bed_wait_until 15000 "a new holder after the kernel lease" holder_is "not:$H"
}
s_holder_corosync_kill() { bed_corosync_kill "$h"; bed_wait_until 5000 "a new holder" holder_is "not:$H"; }
# corosync comes back: the same daemon reconnects (its timer) and rejoins.
s_holder_corosync_restart() {
	local pid n0 reaper
	pid=$(bed_pid "$h" corovipd)
	bed_corosync_kill "$h"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	n0=$(exchanges "$h")
	bed_corosync_start "$h"
	all_quorate
	bed_wait_until 5000 "corovipd on $H to reconnect and exchange state" exchanged_since "$h" "$n0"
	[ "$(bed_pid "$h" corovipd)" = "$pid" ] || { echo "  corovipd on $H was restarted, not reconnected"; return 1; }
	# its reaper is back in the group too (or it could not say RELEASED)
	reaper=$(pgrep -x corovipd-reaper -P "$pid")
	bed_wait_until 3000 "the reaper (pid $reaper) back in the group" in_group "$h" "$reaper"
	holder_is one
}
s_holder_corosync_freeze() {
	bed_corosync_sigstop "$h"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	bed_corosync_sigcont "$h"
	all_quorate
	bed_wait_until 5000 "one holder after the merge" holder_is one
}
s_holder_crash() { bed_crash "$h"; bed_wait_until 5000 "a new holder" holder_is "not:$H"; }
s_holder_link_cut() {
	bed__now
	local t0=$BED__NOW
	bed_cut "$h"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	released_by_ring "$t0"
}
s_partition_holder_alone() {
	bed__now
	local t0=$BED__NOW
	bed_partition "$h" "$(others "$h") c"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	released_by_ring "$t0"
}
# garp_start: capture, in the client, the ARP frames whose sender address
# (arp[14:4]) is the VIP.
garp_start() {
	bed_bg garp ip netns exec "$(bed_ns c)" tcpdump -l -n -e -tt -i eth0 \
		"arp and arp[14:4] = 0x$(printf '%02x' ${VIP//./ })"
	bed_wait_until 3000 "tcpdump to listen" bed__log_has "$BED_DIR/garp.log" 'listening on'
}
# garp_after T0 MAC [N]: the capture has N (1) frames from MAC after T0 (epoch us).
garp_after() {
	local n
	n=$(awk -v t0="$1" -v mac="$2" '{ t = $1; sub(/\./, "", t) } t + 0 > t0 + 0 && $2 == mac { n++ } END { print n + 0 }' \
		"$BED_DIR/garp.log")
	BED_LAST="$n frame(s)"
	[ "$n" -ge "${3:-1}" ]
}
# partition_heal: the holder cut off with nobody, a new holder ($N, its MAC
# in $N_MAC), the capture started, the heal at $T0 (epoch us), all quorate.
partition_heal() {
	bed_partition "$h" "$(others "$h") c"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	N=$(holders)
	N_MAC=$(bed_mac "${N#n}")
	garp_start
	bed__now
	T0=$BED__NOW
	bed_heal_all
	all_quorate
}
# Heal after a partition: one holder, which tells the neighbours again
# (a gratuitous ARP from its MAC that the client sees after the heal).
s_heal() {
	partition_heal
	bed_wait_until 5000 "a gratuitous ARP from $N ($N_MAC) after the heal" garp_after "$T0" "$N_MAC"
	holder_is "$N"
}
# garp_first T0 MAC: the time (epoch us) of the capture's first frame from
# MAC after T0.
garp_first() {
	awk -v t0="$1" -v mac="$2" '{ t = $1; sub(/\./, "", t) } t + 0 > t0 + 0 && $2 == mac { print t; exit }' \
		"$BED_DIR/garp.log"
}
# Heal with preempt: the preferred node takes the VIP back at the heal. The
# partition's holder re-announces at the heal and lets go in the same step;
# no frame of it may claim the VIP once the preferred node has (an announce
# burst that outlived its delete pointed the client's ARP cache at a node
# without the VIP, every 200 ms: a lost VIP for the client).
c_heal_preempt() { echo "preempt: yes"; }
s_heal_preempt() {
	local first
	partition_heal
	bed_wait_until 5000 "$H to take the VIP back" holder_is "$H"
	# its whole burst (announce_count 5, 200 ms apart): a stale burst of
	# $N, started at the heal too, would show meanwhile
	bed_wait_until 5000 "5 gratuitous ARPs from $H after the heal" garp_after "$T0" "$(bed_mac "$h")" 5
	first=$(garp_first "$T0" "$(bed_mac "$h")")
	if garp_after "$first" "$N_MAC"; then
		echo "  $N ($N_MAC) claimed the VIP after $H took it back: $BED_LAST"
		return 1
	fi
	[[ "$(ip -n "$(bed_ns c)" neigh show "$VIP")" == *" $(bed_mac "$h") "* ]] ||
		{ echo "  the client's ARP entry: $(ip -n "$(bed_ns c)" neigh show "$VIP")"; return 1; }
}
# announce_refresh: the holder says again every second that it holds the
# VIP, and goes on after a reload (SIGHUP) that keeps the VIP.
c_announce_refresh() { echo "announce_refresh: 1s"; }
s_announce_refresh() {
	local mac t0 i
	mac=$(bed_mac "$h")
	garp_start
	bed__now
	t0=$((BED__NOW + 1500000)) # past the takeover's own burst
	bed_wait_until 5000 "two refreshes from $H" garp_after "$t0" "$mac" 2
	for i in 1 2 3; do bed_signal "$i" corovipd HUP; done
	bed__now
	t0=$((BED__NOW + 1500000)) # past any burst the reload itself sent
	bed_wait_until 5000 "two refreshes from $H after the reload" garp_after "$t0" "$mac" 2
	holder_is "$H"
	no_drop
}
s_split_1_1_1() {
	bed__now
	local t0=$BED__NOW
	bed_partition 1 2 3
	bed_wait_until 5000 "nobody to hold the VIP" holder_is none
	released_by_ring "$t0"
}
# The holder's link goes down and up again at uneven intervals (fault
# timing, not synchronisation), then stays up.
s_flapping_link() {
	local p
	for p in 150:400 250:700 100:1200 800:300 400:150 60:900; do
		bed_cut "$h"
		nap "${p%:*}"
		bed_heal "$h"
		nap "${p#*:}"
	done
	all_quorate
	bed_wait_until 5000 "one holder after the flapping" holder_is one
}
s_nonholder_crash() {
	local o=$((h % 3 + 1))
	bed_crash "$o"
	# past the re-formation without it (the holder's lease must last through it)
	bed_wait_quorate "$h" 5000 "$(others "$o")" >/dev/null
	holder_is "$H" || { echo "  the VIP moved"; return 1; }
	no_drop
}
# A node joins (here: a crashed non-holder boots and starts corosync and
# corovipd): the VIP stays where it is, without a drop.
s_node_join() {
	local o=$((h % 3 + 1)) n0
	bed_crash "$o"
	bed_wait_quorate "$h" 5000 "$(others "$o")" >/dev/null
	bed_boot "$o"
	n0=$(exchanges "$o")
	bed_corosync_start "$o"
	start_daemon "$o"
	all_quorate
	bed_wait_until 5000 "the joined daemon's state exchange" exchanged_since "$o" "$n0"
	holder_is "$H" || { echo "  the VIP moved"; return 1; }
	no_drop
}
# The holder node crashes and comes back (after the kernel lease: a reboot
# takes longer); the others hold the VIP meanwhile, and the returning node,
# although preferred, does not take it back (stickiness: no pointless move).
s_node_restart() {
	local n0 n
	bed_crash "$h"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	n=$(holders)
	bed_wait_until 6000 "the crashed node's address to expire" gone_from "$H"
	bed_boot "$h"
	n0=$(exchanges "$h")
	bed_corosync_start "$h"
	start_daemon "$h"
	all_quorate
	bed_wait_until 5000 "the restarted daemon's state exchange" exchanged_since "$h" "$n0"
	holder_is "$n"
}
# An admin deletes the VIP on its holder: the daemon adds it back (rule 8).
s_addr_gone() {
	bed_exec "$h" ip addr del "$VIP/24" dev eth0
	bed_wait_until 3000 "the VIP back on $H" is_on "$h" "$VIP"
	# the checker samples every 10 ms: on a busy machine its latest sample
	# may still be the one without the address
	bed_wait_until 2000 "the checker to see $H hold it" holder_is "$H"
}
# Malformed CPG messages (another version, truncated, lying length, random
# bytes) from a member of the group: rejected, nothing moves or drops.
s_bad_messages() {
	local o=$((h % 3 + 1))
	bed_build_tools >/dev/null
	bed_exec "$o" "$BED_CPGSEND" corovip 50 >/dev/null
	# cpgsend has left the group: its confchg came after its messages, to
	# every member. A daemon that crashed on one would be gone by now or
	# within the checker's remaining samples (bed_watch_stop follows).
	holder_is "$H" && [ -n "$(bed_pid "$h" corovipd)" ] && [ -n "$(bed_pid "$o" corovipd)" ] &&
		[ "$(bed_restarts "$h" corovipd)" = 0 ] && [ "$(bed_restarts "$o" corovipd)" = 0 ]
	# counted, and said (at the 1st, 2nd, 4th... so that a flood cannot flood the log)
	bed_wait_until 2000 "$H to count the rejected messages" \
		bed__log_has "$BED_DIR/n$h/corovipd.out" "(32 rejected so far)"
	no_drop
}
# Reconcile (rule 8): an address tagged as ours (corovipd's 0x63) that nothing holds is
# removed within a reconcile period; the admin's own address stays. (In
# another subnet: removing the primary address of a subnet takes its
# secondaries with it unless net.ipv4.conf.*.promote_secondaries is set.)
s_stray_address() {
	bed_exec "$h" "$build/l2/corovip-l2" add eth0 198.51.100.9/24 --lease 60 --tag 0x63 >/dev/null
	bed_exec "$h" ip addr add 203.0.113.10/24 dev eth0
	bed_wait_until 8000 "the stray address to be removed" not_on "$h" 198.51.100.9
	[[ "$(ip -n "$(bed_ns "$h")" -o addr)" == *" 203.0.113.10/"* ]] ||
		{ echo "  the admin's address went" >&2; return 1; }
	holder_is "$H"
}
# Another host claims the VIP (the client sends a gratuitous ARP for it from
# its own MAC): the holder logs the conflict, naming the MAC, and keeps it.
s_address_conflict() {
	bed_exec c "$build/l2/corovip-l2" announce eth0 "$VIP" --count 1 >/dev/null
	bed_wait_until 3000 "$H to log the conflict" bed__log_has "$BED_DIR/n$h/corovipd.out" \
		"address conflict: $(bed_mac c) claims it too"
	holder_is "$H"
	no_drop
}
s_graceful_stop() { bed_stop "$h" corovipd 10000; bed_wait_until 5000 "a handoff" holder_is "not:$H"; }

# A daemon starts fresh on another node while the holder's corosync is
# frozen (a boot, a restart): it never saw the holder, yet must not take
# sooner than a node that saw it go (issue 10, hole 1).
s_fresh_daemon_while_frozen() {
	local o=$((h % 3 + 1))
	bed_norestart "$o" corovipd
	bed_stop "$o" corovipd 10000
	bed_corosync_sigstop "$h"
	start_daemon "$o"
	bed_wait_until 5000 "a new holder" holder_is "not:$H"
	bed_corosync_sigcont "$h"
	all_quorate
	bed_wait_until 5000 "one holder after the merge" holder_is one
}

ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }
# move -> a member's daemon restarts -> standby of the move's target: the
# move and the standby are cluster state, which the restarted daemon learns
# back from the others: never two holders, and the VIP leaves the target.
s_move_restart_standby() {
	local t=$((h % 3 + 1)) m n0
	m=$((t % 3 + 1))
	ctl "$m" move web "n$t" >/dev/null
	bed_wait_until 3000 "the move to n$t" holder_is "n$t"
	n0=$(exchanges "$m")
	bed_kill "$m" corovipd
	bed_wait_until 5000 "the restarted daemon on n$m to exchange state" exchanged_since "$m" "$n0"
	ctl "$m" standby "n$t" >/dev/null
	bed_wait_until 3000 "the VIP off n$t in standby" holder_is "not:n$t"
	# the restarted daemon's status says n$t is in standby (learnt back)
	n0=$(exchanges "$t")
	bed_kill "$t" corovipd
	bed_wait_until 5000 "the restarted daemon on n$t to exchange state" exchanged_since "$t" "$n0"
	[[ "$(ctl "$t" status)" == *"n$t"*standby* ]] || { ctl "$t" status; echo "  n$t forgot its standby"; return 1; }
	holder_is "not:n$t"
}

# A rolling reload that changes the held VIP's address, the holder first:
# the old address goes everywhere, the new one is held by one node, never
# two holders of either (issue 10, hole 4).
VIP2=192.0.2.51
s_rolling_reload_changes_held_vip() {
	local i s
	bed_watch_start "$VIP2" watch2 >/dev/null
	sed -i "s|$VIP/24|$VIP2/24|" "$BED_DIR/corovip.conf"
	for i in "$h" $(others "$h"); do
		bed_signal "$i" corovipd HUP
		nap 300
	done
	bed_wait_until 5000 "the new address held by one node" \
		eval '[[ "$(bed_field live "$(bed_watch_now watch2)")" =~ ^n[0-9]+$ ]]'
	bed_wait_until 3000 "the old address gone" holder_is none
	s=$(bed_watch_stop watch2)
	[ "$(bed_field multi "$s")" = 0 ] || { echo "  two holders of $VIP2: $s"; return 1; }
}

# Every daemon stops (SIGTERM); no node may keep the VIP.
stop_all() {
	local i
	for i in 1 2 3; do bed_stop "$i" corovipd 10000 || return 1; done
	# (a crashed node's address goes with its kernel lease)
	bed_wait_until 5000 "no address left after every daemon stopped" no_holder
}

run() {
	local name=$1 s p detail rc=0
	up "${name//-/_}"
	# In a subshell of its own, so that set -e holds in it: every step of
	# a scenario must succeed, not only its last.
	set +e
	(
		set -e
		"s_${name//-/_}"
	) >"$BED_DIR/scenario.out" 2>&1
	rc=$?
	set -e
	[ $rc = 0 ] || { rc=1; sed "s/^/  /" "$BED_DIR/scenario.out" | tail -5; }
	local final
	final=$(holders)
	s=$(bed_watch_stop)
	p=$(bed_probe_stop)
	if [ -e "$BED_DIR/no_drop" ] && [ "$(bed_field zero_samples "$s")" != 0 ]; then
		echo "  the VIP dropped: $s"
		rc=1
	fi
	# The stop has a checker of its own (a stop may drop the VIP, it may
	# not have two holders either).
	bed_watch_start "$VIP" stopwatch >/dev/null
	stop_all >"$BED_DIR/stop.out" 2>&1 || { rc=1; sed "s/^/  /" "$BED_DIR/stop.out" | tail -3; }
	for s in "$s" "$(bed_watch_stop stopwatch)"; do
		[ "$(bed_field multi "$s")" = 0 ] || { echo "  two holders at once: $s"; rc=1; }
	done
	detail=$(cat "$BED_DIR/detail" 2>/dev/null || true)
	bed_down
	if [ $rc = 0 ]; then
		local seen="client outage $(bed_field maxgap_ms "$p") ms"
		# (the last few echoes of a run are still in flight when it stops)
		[ "$(bed_field tail_lost "$p")" -lt 100 ] || seen="client: no answer at the end"
		printf 'ok   %-24s %s -> %-2s  %-28s %s\n' "$name" "$H" "${final:--}" "$seen" "$detail"
	else
		printf 'FAIL %s\n' "$name"
		failures=$((failures + 1))
	fi
}

all="holder-daemon-kill holder-daemon-stop daemon-and-reaper-kill holder-corosync-kill
     holder-corosync-restart holder-corosync-freeze holder-crash holder-link-cut partition-holder-alone heal heal-preempt
     split-1-1-1 flapping-link nonholder-crash node-join node-restart graceful-stop
     addr-gone bad-messages stray-address announce-refresh address-conflict
     fresh-daemon-while-frozen move-restart-standby rolling-reload-changes-held-vip"
for s in ${*:-$all}; do
	for _ in $(seq "$repeat"); do run "$s"; done
done
[ $failures = 0 ] || { echo "$failures scenario run(s) failed"; exit 1; }
