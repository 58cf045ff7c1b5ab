# shellcheck shell=bash
# bed.sh - corovip's integration test bed: N cluster nodes and a client in
# network namespaces on one bridge, each node running its own real corosync 3
# (knet), with link cuts, silent partitions, node crashes and the tools of the
# independent checker (tests/tools/addrwatch.c, probe.c, qwatch.c).
#
# Source it from a bash test script (as root):
#
#   . "$top/tests/integration/bed.sh"
#   bed_up 3                       # namespaces, bridge, veths, node anchors
#   for i in 1 2 3; do bed_corosync_start "$i"; done
#   bed_wait_quorate 1 10000 "1 2 3" || exit 1
#   ...
#   (bed_down runs from the EXIT trap that bed_up installs)
#
# Topology (nothing is added to the host's network namespace):
#
#   cvsw   the switch: bridge br0 (br1.. while partitioned), ports pn1..pnN, pcl
#   cvnI   node I: eth0 192.0.2.(10+I)/24, 2001:db8::(10+I)/64, MAC 02:cf:00:00:00:(10+I)
#   cvcl   the client: eth0 192.0.2.100/24, 2001:db8::100/64, MAC 02:cf:00:00:00:64
#
# Each node also has a private mount and UTS namespace, held by an "anchor"
# process (a sleep started with `ip netns exec`, whose mount namespace does
# not propagate to the host) with tmpfs on /run (corosync hard-codes
# /var/run/corosync.pid; qdevice and corovipd keep sockets there), tmpfs on
# /dev/shm (libqb IPC ring buffers: a kill -9 leaves litter only there), a
# bind mount of $BED_DIR/nI/lib on /var/lib/corosync, and hostname nI.
# Everything started on a node (bed_exec, bed_spawn, corosync) enters the
# anchor's namespaces with nsenter; libqb IPC uses abstract unix sockets,
# which are per network namespace, so corosync's tools reach their node's
# corosync. A node crash (bed_crash) kills every process of the node,
# anchor included, which wipes /run and /dev/shm as a reboot would.
#
# Settings (environment, read when used):
#   BED_PREFIX        namespace prefix (default cv)
#   BED_TOKEN         totem.token ms (300); BED_TOKEN_COEF token_coefficient (0)
#   BED_KNET_PING_INTERVAL / BED_KNET_PING_TIMEOUT  knet ping timers (100 / 500)
#   BED_TOTEM_EXTRA   extra lines for totem {}; BED_QUORUM_EXTRA for quorum {}
#   BED_POLL_MS       polling period of every wait (10)
#   BED_KEEP=1        keep $BED_DIR (configs, logs) after bed_down
#   BED_NO_TRAP=1     bed_up installs no EXIT/INT/TERM trap (call bed_down yourself)
#
# Every wait takes a deadline in ms, prints what it waited for and what it
# saw last when it times out, returns non-zero, and leaves the time it took
# in BED_WAITED_MS. Functions return non-zero on failure and never exit.
#
# Run directly, `bed.sh down` removes a bed left behind by a killed test.
#
# API (IDs are node numbers 1..N, or c for the client):
#   bed_up N / bed_down / bed_clean_stale       build / tear down / remove a leftover bed
#   bed_exec ID CMD... / bed_spawn ID NAME CMD...  run in a node (foreground / background)
#   bed_supervise ID NAME CMD... / bed_norestart ID NAME / bed_restarts ID NAME  (restarted on failure)
#   bed_pid ID NAME / bed_signal ID NAME SIG / bed_stop ID NAME [MS] / bed_kill ID NAME
#   bed_corosync_start|stop|kill|sigstop|sigcont ID, bed_corosync_conf ID, bed_cmap ID KEY
#   bed_quorum ID, bed_wait_quorate|bed_wait_inquorate ID MS [MEMBERS]
#   bed_cut ID / bed_heal ID / bed_partition GROUP... / bed_heal_all
#   bed_crash ID / bed_boot ID / bed_node_pids ID
#   bed_qnetd_up, bed_qdevice_start|stop ID, bed_qnetd_cut|heal ID, bed_qnetd_exec CMD...
#   bed_build_tools, bed_watch_start VIP [NAME] / bed_watch_wait HOLDERS MS / bed_watch_now
#     / bed_watch_first HOLDERS / bed_watch_stop, bed_probe_start VIP [NAME [OPTS]] /
#     bed_probe_stop, bed_qwatch_start ID / bed_qwatch_wait ID T0_US ERE MS
#   bed_corovip_conf ADDR/PLEN PREFER [LINE...] (corovipd's config for one VIP)
#   bed_holders ADDR, bed_field KEY LINE, bed_wait_until MS WHAT CMD..., bed_wait_dead PID MS WHAT
#   bed_ns / bed_port / bed_ip ID [6] / bed_mac / bed_host_of_mac MAC / bed_nodes / bed_now_ms

BED_PREFIX=${BED_PREFIX:-cv}
BED_DIR=${BED_DIR:-}
BED_N=${BED_N:-0}
# shellcheck disable=SC2034 # results for the caller
BED_WAITED_MS=0 BED_EVENT_US=0 BED_EVENT_MS=0
BED_LAST=""
BED_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

bed_fail() {
	echo "bed: $*" >&2
	return 1
}

bed__log() {
	[ -z "${BED_VERBOSE:-}" ] || echo "bed: $*" >&2
}

# Microseconds since the epoch in BED__NOW, without a fork.
bed__now() {
	local t=$EPOCHREALTIME
	BED__NOW=${t//[!0-9]/}
}

# bed_now_ms: print milliseconds since the epoch.
bed_now_ms() {
	bed__now
	echo $((BED__NOW / 1000))
}

# bed_ns ID: the namespace of node ID (1..N), c (client), sw (switch), qn (qnetd).
bed_ns() {
	case "$1" in
	c | cl | client) echo "${BED_PREFIX}cl" ;;
	sw) echo "${BED_PREFIX}sw" ;;
	q | qn | qnetd) echo "${BED_PREFIX}qn" ;;
	[1-9] | [1-9][0-9]) echo "${BED_PREFIX}n$1" ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_port ID: the switch port (in the switch namespace) of node ID or c.
bed_port() {
	case "$1" in
	c | cl | client) echo pcl ;;
	[1-9] | [1-9][0-9]) echo "pn$1" ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_ip ID [6]: IPv4 (or IPv6) address of node ID or c, without prefix.
bed_ip() {
	local v6=${2:-}
	case "$1" in
	c | cl | client) if [ "$v6" = 6 ]; then echo 2001:db8::100; else echo 192.0.2.100; fi ;;
	[1-9] | [1-9][0-9]) if [ "$v6" = 6 ]; then echo "2001:db8::$((10 + $1))"; else echo "192.0.2.$((10 + $1))"; fi ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_mac ID: MAC address of eth0 of node ID or c.
bed_mac() {
	case "$1" in
	c | cl | client) echo 02:cf:00:00:00:64 ;;
	[1-9] | [1-9][0-9]) printf '02:cf:00:00:00:%02x\n' $((10 + $1)) ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_host_of_mac MAC: n<I> or cl for a MAC of the bed, "?" otherwise.
bed_host_of_mac() {
	local m=${1,,} i
	[ "$m" = "$(bed_mac c)" ] && { echo cl; return 0; }
	for ((i = 1; i <= BED_N; i++)); do
		[ "$m" = "$(bed_mac "$i")" ] && { echo "n$i"; return 0; }
	done
	echo "?"
}

bed_nodes() { seq 1 "$BED_N"; }

bed__have_ns() { [ -e "/run/netns/$1" ]; }

# Our namespaces that exist now (also those of a bed left behind).
bed__our_ns() {
	ip netns list 2>/dev/null | awk '{print $1}' |
		grep -E "^${BED_PREFIX}(sw|cl|qn|n[0-9]+)\$" || true
}

# bed__dead PID: true if PID is gone or a zombie.
bed__dead() {
	local line st
	[ -r "/proc/$1/stat" ] || return 0
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
	st=${line##*) }
	[ "${st%% *}" = Z ]
}


# bed_wait_until TIMEOUT_MS WHAT CMD...: run CMD every BED_POLL_MS until it
# succeeds; on timeout print WHAT (and BED_LAST, which CMD may set to what
# it saw) and return 1. CMD returns 0 (done), 1 (not yet) or 2 (never:
# give up at once). BED_WAITED_MS: time until success or failure.
bed_wait_until() {
	local tmo=$1 what=$2 start deadline poll rc
	shift 2
	poll=$(printf '%d.%03d' $((${BED_POLL_MS:-10} / 1000)) $((${BED_POLL_MS:-10} % 1000)))
	BED_LAST=""
	bed__now
	start=$BED__NOW
	deadline=$((start + tmo * 1000))
	while :; do
		if "$@"; then rc=0; else rc=$?; fi
		bed__now
		BED_WAITED_MS=$(((BED__NOW - start) / 1000))
		[ $rc != 0 ] || return 0
		if [ $rc = 2 ]; then
			bed_fail "gave up after ${BED_WAITED_MS} ms waiting for: $what${BED_LAST:+ ($BED_LAST)}"
			return 1
		fi
		[ "$BED__NOW" -lt "$deadline" ] || break
		sleep "$poll"
	done
	bed_fail "timed out after ${tmo} ms waiting for: $what${BED_LAST:+ (last seen: $BED_LAST)}"
}

# bed_wait_dead PID TIMEOUT_MS WHAT: wait until a process has exited.
bed_wait_dead() {
	bed_wait_until "$2" "$3 (pid $1) to exit" bed__dead "$1" || return 1
}

# ---------------------------------------------------------------- network

bed__sw() { ip -n "${BED_PREFIX}sw" "$@"; }

bed__mkbridge() {
	bed__sw link show "$1" >/dev/null 2>&1 && return 0
	# no STP, no forwarding delay, no multicast snooping (IPv6 ND must flood)
	bed__sw link add "$1" type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
		bed__sw link set "$1" up
}

bed__add_host() {
	local id=$1 ns port
	ns=$(bed_ns "$id") && port=$(bed_port "$id") || return 1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up &&
		bed__sw link add "$port" type veth peer name eth0 netns "$ns" &&
		ip -n "$ns" link set eth0 address "$(bed_mac "$id")" &&
		ip -n "$ns" addr add "$(bed_ip "$id" 6)/64" dev eth0 nodad &&
		ip -n "$ns" addr add "$(bed_ip "$id")/24" dev eth0 &&
		ip -n "$ns" link set eth0 up &&
		bed__sw link set "$port" master br0 &&
		bed__sw link set "$port" up
}

bed__carrier() {
	[[ "$(ip -n "$(bed_ns "$1")" link show eth0 2>/dev/null)" == *LOWER_UP* ]]
}

bed__all_carrier() {
	local i
	for i in $(bed_nodes) c; do
		bed__carrier "$i" || { BED_LAST="no carrier on $(bed_ns "$i") eth0"; return 1; }
	done
}

# The owner tag on br0 lets a later bed_up tell a live bed from a stale one.
bed__owner() {
	bed__sw -d link show br0 2>/dev/null | sed -n 's/.*\(cvbed:[0-9]*:[^ ]*\).*/\1/p'
}

# Kill the bed's tools (built into DIR/bin) wherever they run, by pid.
bed__kill_tools() {
	local exe p
	for exe in /proc/[0-9]*/exe; do
		[[ "$(readlink "$exe" 2>/dev/null)" == "$1"/bin/* ]] || continue
		p=${exe#/proc/}
		kill -KILL "${p%/exe}" 2>/dev/null || true
	done
}

# bed_clean_stale: remove a bed that a killed test left behind (its owner
# pid is gone); fails if a live bed uses the namespaces. bed_up calls it.
bed_clean_stale() {
	local owner pid dir
	bed__have_ns "${BED_PREFIX}sw" || [ -n "$(bed__our_ns)" ] || return 0
	owner=$(bed__owner)
	pid=$(echo "$owner" | cut -d: -f2)
	if [ "$pid" = $$ ]; then
		bed_fail "this shell's test bed is up already (bed_down first)"
		return 1
	fi
	if [ -n "$pid" ] && ! bed__dead "$pid"; then
		bed_fail "a test bed owned by pid $pid is running (namespaces ${BED_PREFIX}*); set BED_PREFIX to run another"
		return 1
	fi
	echo "bed: removing a test bed left behind by pid ${pid:-?}" >&2
	bed__remove "$owner"
}

# Remove the bed whose owner tag is $1 (tools, namespaces, its directory).
bed__remove() {
	local dir=${1#cvbed:*:}
	case "$dir" in
	/tmp/cvbed.*) bed__kill_tools "$dir" ;;
	*) dir="" ;;
	esac
	bed__destroy_ns || return 1
	[ -z "$dir" ] || rm -rf "$dir"
}

# bed_up N: create the switch, N nodes (1..20) and the client; start the
# node anchors; install the teardown trap.
bed_up() {
	local n=${1:-} i
	[[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 20 ] || {
		bed_fail "usage: bed_up N (1..20)"
		return 1
	}
	[ "$(id -u)" = 0 ] || { bed_fail "the test bed needs root"; return 1; }
	[ -d /var/lib/corosync ] || { bed_fail "/var/lib/corosync missing: install corosync"; return 1; }
	bed_clean_stale || return 1
	BED_N=$n
	BED_DIR=$(mktemp -d /tmp/cvbed.XXXXXX) || return 1
	: >"$BED_DIR/bg.pids"
	if [ -z "${BED_NO_TRAP:-}" ]; then
		trap 'bed__exit_trap' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		trap 'exit 129' HUP
	fi
	ip netns add "${BED_PREFIX}sw" || return 1
	bed__sw link set lo up || return 1
	bed__mkbridge br0 || return 1
	bed__sw link set br0 alias "cvbed:$$:$BED_DIR" || return 1
	for i in $(bed_nodes) c; do
		bed__add_host "$i" || { bed_fail "could not create host $i"; return 1; }
	done
	bed_wait_until 5000 "carrier on every eth0" bed__all_carrier || return 1
	for i in $(bed_nodes); do
		bed__anchor_start "$i" || return 1
	done
	bed__log "up: $n nodes in $BED_DIR"
}

bed__exit_trap() {
	local rc=$?
	set +e
	trap - EXIT INT TERM HUP
	bed_down
	exit "$rc"
}

# bed_cut ID: link down on the switch side (the host sees NO-CARRIER).
bed_cut() {
	local port
	port=$(bed_port "$1") && bed__sw link set "$port" down
}

# bed_heal ID: link up again on the switch side.
bed_heal() {
	local port
	port=$(bed_port "$1") && bed__sw link set "$port" up
}

# bed_partition GROUP...: silent L2 partition, no carrier change: each
# GROUP (a space separated list of node ids, c for the client) gets its
# own bridge; hosts in no group stay together on br0. Replaces any earlier
# partition; a cut port stays down.
bed_partition() {
	local -A where=()
	local k=0 g id port br batch="" cur
	for g in "$@"; do
		k=$((k + 1))
		bed__mkbridge "br$k" || return 1
		for id in $g; do
			port=$(bed_port "$id") || return 1
			where[$port]=br$k
		done
	done
	for id in $(bed_nodes) c; do
		port=$(bed_port "$id")
		br=${where[$port]:-br0}
		cur=$(bed__sw -o link show "$port" | sed -n 's/.* master \([^ ]*\) .*/\1/p')
		[ "$cur" = "$br" ] || batch+="link set dev $port master $br"$'\n'
	done
	# one ip process moves every port, so the split is near-simultaneous
	if [ -n "$batch" ]; then
		printf '%s' "$batch" | bed__sw -batch - || return 1
	fi
	bed__drop_bridges "$k"
}

# Delete the partition bridges numbered above $1.
bed__drop_bridges() {
	local br
	for br in $(bed__sw -o link show type bridge | awk -F': ' '{print $2}' | sed 's/@.*//'); do
		[[ "$br" =~ ^br([0-9]+)$ ]] || continue
		[ "${BASH_REMATCH[1]}" -gt "$1" ] && [ "$br" != br0 ] && { bed__sw link del "$br" || return 1; }
	done
	return 0
}

# bed_heal_all: every port up and back on br0, partition bridges removed.
bed_heal_all() {
	local id port batch=""
	for id in $(bed_nodes) c; do
		port=$(bed_port "$id")
		batch+="link set dev $port master br0"$'\n'"link set dev $port up"$'\n'
	done
	printf '%s' "$batch" | bed__sw -batch - && bed__drop_bridges 0
}

# ---------------------------------------------------------------- processes

bed__anchor_pid() {
	local f="$BED_DIR/n$1/anchor.pid" p
	[ -r "$f" ] && read -r p <"$f" && ! bed__dead "$p" || {
		bed_fail "node $1 is not up (no anchor process; crashed or not started)"
		return 1
	}
	echo "$p"
}

bed__anchor_ready() {
	local comm
	bed__dead "$1" && { BED_LAST="it exited: $(tail -3 "$2" 2>/dev/null | tr '\n' ' ')"; return 2; }
	read -r comm <"/proc/$1/comm" 2>/dev/null && [ "$comm" = sleep ]
}

# Start node i's anchor: private mount + UTS namespace in node i's netns.
bed__anchor_start() {
	local i=$1 d="$BED_DIR/n$1" pid
	mkdir -p "$d/lib" || return 1
	# shellcheck disable=SC2016
	ip netns exec "$(bed_ns "$i")" unshare --uts -- bash -c '
		set -e
		hostname "n$1"
		mount -t tmpfs -o size=16m,mode=0755 cvbed-run /run
		mount -t tmpfs -o size=128m,mode=1777 cvbed-shm /dev/shm
		mount --bind "$2/lib" /var/lib/corosync
		exec -a "cvbed-anchor-n$1" sleep infinity
	' bash "$i" "$d" </dev/null >"$d/anchor.log" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$d/anchor.pid"
	bed_wait_until 5000 "node $i's namespaces (anchor pid $pid)" bed__anchor_ready "$pid" "$d/anchor.log"
}

# bed_exec ID CMD...: run CMD in node ID's namespaces (network, mount with
# the private /run, UTS), or in the client's network namespace for ID c.
bed_exec() {
	local id=$1 a
	shift
	case "$id" in
	c | cl | client) ip netns exec "$(bed_ns c)" "$@" ;;
	*)
		a=$(bed__anchor_pid "$id") || return 125
		nsenter -t "$a" -m -n -u --wd="$PWD" -- "$@"
		;;
	esac
}

# bed_spawn ID NAME CMD...: start CMD in the background in node ID's
# namespaces; output goes to $BED_DIR/nID/NAME.out, the pid to NAME.pid.
bed_spawn() {
	local id=$1 name=$2 a d="$BED_DIR/n$1" pid
	shift 2
	a=$(bed__anchor_pid "$id") || return 1
	# a simple command: $! is nsenter's pid, which execs CMD (no fork)
	nsenter -t "$a" -m -n -u --wd="$PWD" -- "$@" </dev/null >>"$d/$name.out" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$d/$name.pid"
}

# bed_supervise ID NAME CMD...: bed_spawn under a supervisor in the node, as
# systemd's Restart=on-failure would run it: when CMD dies of a signal or
# exits non-zero it starts again after BED_RESTART_MS (200; systemd's
# RestartSec is a policy delay, not a synchronisation); a clean exit ends
# it. NAME.pid always names the current CMD; every restart appends
# "<epoch s> <exit status>" to NAME.restarts. A node crash kills the
# supervisor with the rest. `bed_norestart ID NAME` stops the restarts.
bed_supervise() {
	local id=$1 name=$2 a d="$BED_DIR/n$1" pid
	shift 2
	a=$(bed__anchor_pid "$id") || return 1
	: >"$d/$name.pid"
	rm -f "$d/$name.norestart"
	# shellcheck disable=SC2016
	nsenter -t "$a" -m -n -u --wd="$PWD" -- bash -c '
		d=$1 name=$2 delay=$3
		shift 3
		while :; do
			"$@" </dev/null >>"$d/$name.out" 2>&1 &
			echo $! >"$d/$name.pid"
			wait $!
			rc=$?
			[ $rc != 0 ] && [ ! -e "$d/$name.norestart" ] || exit $rc
			echo "$EPOCHREALTIME $rc" >>"$d/$name.restarts"
			sleep "$delay"
		done' bash "$d" "$name" "$(printf '%d.%03d' $((${BED_RESTART_MS:-200} / 1000)) $((${BED_RESTART_MS:-200} % 1000)))" \
		"$@" </dev/null >>"$d/$name.out" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$d/$name.supervisor.pid"
	bed_wait_until 3000 "node $id: $name to start" bed_pid "$id" "$name" >/dev/null
}

# bed_norestart ID NAME: the supervisor stops restarting NAME.
bed_norestart() { : >"$BED_DIR/n$1/$2.norestart"; }

# bed_restarts ID NAME: how many times the supervisor restarted NAME.
bed_restarts() { cat "$BED_DIR/n$1/$2.restarts" 2>/dev/null | wc -l; }

# bed_pid ID NAME: pid of a process started with bed_spawn, if it runs.
bed_pid() {
	local p f="$BED_DIR/n$1/$2.pid"
	[ -r "$f" ] && read -r p <"$f" && ! bed__dead "$p" && echo "$p"
}

# bed_signal ID NAME SIG: send SIG to a spawned process.
bed_signal() {
	local p
	p=$(bed_pid "$1" "$2") || { bed_fail "node $1: $2 is not running"; return 1; }
	kill -s "$3" "$p"
}

# bed_stop ID NAME [TIMEOUT_MS]: SIGTERM (and SIGCONT), wait for the exit;
# SIGKILL after TIMEOUT_MS (default 10000), which is reported as a failure.
bed_stop() {
	local p tmo=${3:-10000}
	p=$(bed_pid "$1" "$2") || return 0
	kill -TERM "$p" 2>/dev/null || true
	kill -CONT "$p" 2>/dev/null || true
	bed_wait_dead "$p" "$tmo" "node $1: $2 after SIGTERM" && return 0
	kill -KILL "$p" 2>/dev/null || true
	bed_wait_dead "$p" 5000 "node $1: $2 after SIGKILL"
	return 1
}

# bed_kill ID NAME: SIGKILL and wait until it is gone.
bed_kill() {
	local p
	p=$(bed_pid "$1" "$2") || return 0
	kill -KILL "$p" 2>/dev/null || true
	bed_wait_dead "$p" 5000 "node $1: $2 after SIGKILL"
}

# bed_node_pids ID: every process in node ID's network namespace.
bed_node_pids() {
	ip netns pids "$(bed_ns "$1")" 2>/dev/null
}

bed__no_pids() {
	local p
	p=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
	[ -z "$p" ] || { BED_LAST="pids $p"; return 1; }
}

# bed_crash ID: node crash: SIGKILL every process of the node (its anchor
# too, so /run and /dev/shm go) and cut its links in the same instant.
bed_crash() {
	local ns pids
	ns=$(bed_ns "$1") || return 1
	pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
	# Frozen first, all at once, then cut, then killed: killed one by one,
	# a process could see another die (a reaper its daemon, keepalived's
	# child its parent) and act, which a crashed machine cannot.
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -STOP $pids 2>/dev/null || true
	bed_cut "$1" || return 1
	! bed__sw link show "pq$1" >/dev/null 2>&1 || bed_qnetd_cut "$1" || return 1
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	bed_wait_until 5000 "every process of node $1 to die" bed__no_pids "$ns" || return 1
}

# bed_boot ID: bring a crashed node back: link up, fresh anchor (empty
# /run, /dev/shm). Start corosync (and the rest) again yourself.
bed_boot() {
	bed__anchor_pid "$1" >/dev/null 2>&1 || bed__anchor_start "$1" || return 1
	! bed__sw link show "pq$1" >/dev/null 2>&1 || bed_qnetd_heal "$1" || return 1
	bed_heal "$1"
}

# ---------------------------------------------------------------- corosync

# bed_corosync_conf ID: write node ID's corosync.conf (from the settings).
bed_corosync_conf() {
	local i=$1 d="$BED_DIR/n$1" j
	{
		cat <<-EOF
			totem {
			    version: 2
			    cluster_name: cvbed
			    transport: knet
			    token: ${BED_TOKEN:-300}
			    token_coefficient: ${BED_TOKEN_COEF:-0}
			    crypto_cipher: none
			    crypto_hash: none
			    interface {
			        linknumber: 0
			        knet_transport: udp
			        knet_ping_interval: ${BED_KNET_PING_INTERVAL:-100}
			        knet_ping_timeout: ${BED_KNET_PING_TIMEOUT:-500}
			    }
			${BED_TOTEM_EXTRA:-}
			}
			nodelist {
		EOF
		for j in $(bed_nodes); do
			printf '    node {\n        ring0_addr: %s\n        name: n%d\n        nodeid: %d\n    }\n' \
				"$(bed_ip "$j")" "$j" "$j"
		done
		cat <<-EOF
			}
			quorum {
			    provider: corosync_votequorum
			${BED_QUORUM_EXTRA:-}
			}
			logging {
			    to_logfile: yes
			    logfile: $d/corosync.log
			    to_syslog: no
			    to_stderr: no
			    timestamp: hires
			}
		EOF
	} >"$d/corosync.conf"
}

bed__cs_ready() {
	local a
	bed_pid "$1" corosync >/dev/null || {
		BED_LAST="corosync exited: $(cat "$BED_DIR/n$1/corosync.out" 2>/dev/null; tail -3 "$BED_DIR/n$1/corosync.log" 2>/dev/null)"
		return 2
	}
	a=$(bed__anchor_pid "$1") || return 2
	timeout 2 nsenter -t "$a" -m -n -- \
		corosync-cmapctl -g runtime.votequorum.this_node_id >/dev/null 2>&1 || return 1
}

# bed_corosync_start ID: start corosync on node ID (foreground mode, as a
# child of the test) and wait until it answers IPC.
bed_corosync_start() {
	local i=$1 p
	if p=$(bed_pid "$i" corosync); then
		bed_fail "node $i: corosync already runs (pid $p)"
		return 1
	fi
	bed_corosync_conf "$i" || return 1
	bed_spawn "$i" corosync corosync -f -c "$BED_DIR/n$i/corosync.conf" || return 1
	bed_wait_until 10000 "corosync on node $i to answer IPC" bed__cs_ready "$i"
}

# bed_corosync_stop ID: graceful stop (SIGTERM), waits for the exit.
bed_corosync_stop() { bed_stop "$1" corosync 10000; }
# bed_corosync_kill ID: kill -9, waits until it is gone.
bed_corosync_kill() { bed_kill "$1" corosync; }
# bed_corosync_sigstop ID / bed_corosync_sigcont ID: freeze / thaw.
bed_corosync_sigstop() { bed_signal "$1" corosync STOP; }
bed_corosync_sigcont() { bed_signal "$1" corosync CONT; }

# bed_quorum ID: one look at node ID's quorum; prints "quorate=yes|no
# members=<ids,sorted>" (returns 1 if corosync does not answer in 1 s:
# IPC blocks while corosync is frozen).
bed_quorum() {
	local a out q m rc
	a=$(bed__anchor_pid "$1" 2>/dev/null) || { echo "node down"; return 1; }
	if out=$(timeout 1 nsenter -t "$a" -m -n -- corosync-quorumtool -s -p 2>&1); then rc=0; else rc=$?; fi
	case "$rc" in
	0 | 2) ;; # 2: not quorate
	124) echo "no answer from corosync"; return 1 ;;
	*) echo "corosync-quorumtool failed: $(echo "$out" | head -1)"; return 1 ;;
	esac
	q=$(echo "$out" | sed -n 's/^Quorate:[[:space:]]*//p')
	m=$(echo "$out" | awk '/^Membership information/{f=1; next} f && $1 ~ /^[0-9]+$/ && $1 != 0 {print $1}' | sort -n | paste -sd, -)
	case "$q" in
	Yes) q=yes ;;
	No) q=no ;;
	*) echo "unparsable corosync-quorumtool output"; return 1 ;;
	esac
	echo "quorate=$q members=${m:--}"
}

bed__quorum_is() {
	local want=$2 members=$3 got
	got=$(bed_quorum "$1") || true
	BED_LAST="node $1: $got"
	case "$got" in
	"quorate=$want members="*) ;;
	*) return 1 ;;
	esac
	[ -z "$members" ] || [ "$got" = "quorate=$want members=$members" ]
}

bed__members_csv() { echo "$*" | tr -s ', ' '\n' | grep . | sort -n | paste -sd, -; }

# bed_cluster_up N: a bed of N nodes, each with corosync running, all quorate.
bed_cluster_up() {
	local i
	bed_up "$1" >/dev/null || return 1
	for i in $(bed_nodes); do bed_corosync_start "$i" || return 1; done
	for i in $(bed_nodes); do bed_wait_quorate "$i" 15000 >/dev/null || return 1; done
}

# bed_wait_quorate ID TIMEOUT_MS [MEMBERS]: until node ID is quorate (and,
# if given, its membership is exactly MEMBERS, e.g. "2 3").
bed_wait_quorate() {
	local m=""
	[ -z "${3:-}" ] || m=$(bed__members_csv "$3")
	bed_wait_until "$2" "node $1 quorate${m:+ with members $m}" bed__quorum_is "$1" yes "$m"
}

# bed_wait_inquorate ID TIMEOUT_MS [MEMBERS]: until node ID is not quorate.
bed_wait_inquorate() {
	local m=""
	[ -z "${3:-}" ] || m=$(bed__members_csv "$3")
	bed_wait_until "$2" "node $1 not quorate${m:+ with members $m}" bed__quorum_is "$1" no "$m"
}

# bed_cmap ID KEY: a cmap value of node ID's corosync (e.g. runtime.config.totem.token).
bed_cmap() {
	bed_exec "$1" timeout 2 corosync-cmapctl -g "$2" | sed 's/.* = //'
}

# ---------------------------------------------------------------- qnetd

# bed_qnetd_up: the tie-breaker for two-node tests, on a second segment: a
# bridge brq in the switch, namespace cvqn (198.51.100.1) running
# corosync-qnetd (tls off, private /run), and eth1 198.51.100.(10+I)/24 on
# every node, so cutting or partitioning eth0 (n1-n2) leaves both nodes
# reaching qnetd. Sets BED_QUORUM_EXTRA (unless set) to a net device with
# the ffsplit algorithm for the corosync.conf files written after it.
bed_qnetd_up() {
	local ns="${BED_PREFIX}qn" i pid
	command -v corosync-qnetd >/dev/null || { bed_fail "corosync-qnetd is not installed"; return 1; }
	bed__mkbridge brq || return 1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up &&
		bed__sw link add pqn type veth peer name eth0 netns "$ns" &&
		ip -n "$ns" addr add 198.51.100.1/24 dev eth0 &&
		ip -n "$ns" link set eth0 up &&
		bed__sw link set pqn master brq &&
		bed__sw link set pqn up || return 1
	for i in $(bed_nodes); do
		bed__sw link add "pq$i" type veth peer name eth1 netns "$(bed_ns "$i")" &&
			ip -n "$(bed_ns "$i")" addr add "198.51.100.$((10 + i))/24" dev eth1 &&
			ip -n "$(bed_ns "$i")" link set eth1 up &&
			bed__sw link set "pq$i" master brq &&
			bed__sw link set "pq$i" up || return 1
	done
	BED_QUORUM_EXTRA=${BED_QUORUM_EXTRA:-"    device {
        model: net
        votes: 1
        net {
            host: 198.51.100.1
            algorithm: ffsplit
            tls: off
        }
    }"}
	# shellcheck disable=SC2016
	ip netns exec "$ns" bash -c '
		set -e
		mount -t tmpfs -o size=16m,mode=0755 cvbed-run /run
		mkdir -p /run/corosync-qnetd
		exec corosync-qnetd -f -s off -l 198.51.100.1
	' </dev/null >"$BED_DIR/qnetd.out" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$BED_DIR/qnetd.pid"
	bed_wait_until 5000 "corosync-qnetd to answer" bed__qnetd_ready "$pid"
}

bed__qnetd_ready() {
	bed__dead "$1" && { BED_LAST="it exited: $(tail -3 "$BED_DIR/qnetd.out")"; return 2; }
	timeout 2 nsenter -t "$1" -m -n -- corosync-qnetd-tool -s >/dev/null 2>&1 || return 1
}

# bed_qnetd_exec CMD...: run CMD beside qnetd (e.g. corosync-qnetd-tool -l).
bed_qnetd_exec() {
	local p
	read -r p <"$BED_DIR/qnetd.pid" 2>/dev/null && ! bed__dead "$p" || { bed_fail "qnetd is not running"; return 125; }
	nsenter -t "$p" -m -n -- "$@"
}

# bed_qnetd_cut ID / bed_qnetd_heal ID: node ID's link to qnetd down / up.
bed_qnetd_cut() { bed__sw link set "pq$1" down; }
bed_qnetd_heal() { bed__sw link set "pq$1" up; }

bed__qdevice_ready() {
	bed_pid "$1" qdevice >/dev/null || { BED_LAST="it exited: $(tail -3 "$BED_DIR/n$1/qdevice.out")"; return 2; }
	BED_LAST=$(bed_exec "$1" timeout 2 corosync-qdevice-tool -s 2>&1 | grep -i 'state' | tr -s '[:space:]' ' ')
	[[ "$BED_LAST" == *"State: Connected"* ]]
}

# bed_qdevice_start ID: start corosync-qdevice on node ID (after its
# corosync) and wait until it is connected to qnetd.
bed_qdevice_start() {
	bed_exec "$1" mkdir -p /run/corosync-qdevice || return 1
	bed_spawn "$1" qdevice corosync-qdevice -f || return 1
	bed_wait_until 10000 "node $1: corosync-qdevice connected to qnetd" bed__qdevice_ready "$1"
}

# bed_qdevice_stop ID: stop corosync-qdevice on node ID.
bed_qdevice_stop() { bed_stop "$1" qdevice 10000; }

# ---------------------------------------------------------------- checker

# bed_corovip_conf ADDR/PLEN PREFER [LINE...]: write $BED_DIR/corovip.conf
# with one VIP, web, at ADDR/PLEN on eth0 preferring PREFER (node names),
# LINEs added to its section; a kernel lease of 3 s (the default 10 s would
# slow the kernel-lease cases) and a node section per bed node.
bed_corovip_conf() {
	local addr=$1 prefer=$2 i line
	shift 2
	{
		printf 'cluster {\n\tkernel_lease: 3s\n}\n'
		for i in $(bed_nodes); do printf 'node n%s {\n}\n' "$i"; done
		printf 'vip web {\n\taddress: %s\n\tinterface: eth0\n\tprefer: %s\n' "$addr" "$prefer"
		for line in "$@"; do printf '\t%s\n' "$line"; done
		printf '}\n'
	} >"$BED_DIR/corovip.conf"
	# corovipd refuses a config file writable by group or others (umask 002)
	chmod 0644 "$BED_DIR/corovip.conf"
}

# bed_build_tools: compile tests/tools/{probe,addrwatch,qwatch}.c into
# $BED_DIR/bin (once per bed); sets BED_PROBE, BED_ADDRWATCH, BED_QWATCH.
bed_build_tools() {
	local t libs cc=${CC:-cc}
	mkdir -p "$BED_DIR/bin" || return 1
	for t in probe addrwatch qwatch cpgsend; do
		[ -x "$BED_DIR/bin/$t" ] && continue
		libs=""
		[ "$t" != qwatch ] || libs="-lcpg -lquorum"
		[ "$t" != cpgsend ] || libs="-lcpg"
		# shellcheck disable=SC2086
		"$cc" -std=gnu11 -O2 -Wall -Wextra -o "$BED_DIR/bin/$t" "$BED_SRC/tests/tools/$t.c" $libs ||
			{ bed_fail "could not build tests/tools/$t.c"; return 1; }
	done
	BED_PROBE=$BED_DIR/bin/probe
	BED_ADDRWATCH=$BED_DIR/bin/addrwatch
	BED_QWATCH=$BED_DIR/bin/qwatch
	BED_CPGSEND=$BED_DIR/bin/cpgsend
}

# bed_qwatch_start ID: start qwatch on node ID (time-stamped TOTEM and
# QUORUM callbacks of its corosync, in $BED_DIR/nID/qwatch.out; it
# reconnects by itself after a corosync restart). Waits until connected.
bed_qwatch_start() {
	bed_build_tools || return 1
	: >"$BED_DIR/n$1/qwatch.out"
	bed_spawn "$1" qwatch "$BED_QWATCH" || return 1
	bed_wait_until 5000 "qwatch on node $1 to connect" bed__log_has "$BED_DIR/n$1/qwatch.out" ' UP '
}

# bed__event ID T0_US ERE: first qwatch line of node ID after T0 (epoch
# microseconds) matching ERE; its time (epoch us) in BED_EVENT_US.
bed__event() {
	local line
	line=$(awk -v t0="$2" -v re="$3" '{ t = $1; sub(/\./, "", t) }
		t + 0 > t0 + 0 && $0 ~ re { print; exit }' "$BED_DIR/n$1/qwatch.out" 2>/dev/null)
	[ -n "$line" ] || { BED_LAST=$(tail -1 "$BED_DIR/n$1/qwatch.out" 2>/dev/null); return 1; }
	BED_EVENT_US=${line%% *}
	BED_EVENT_US=${BED_EVENT_US//./}
}

# bed_qwatch_wait ID T0_US ERE TIMEOUT_MS: until node ID's qwatch logged an
# event matching ERE after T0 (e.g. bed__now; T0=$BED__NOW; ... 'QUORUM
# quorate=1 .* members=2,3$'); BED_EVENT_MS = event time - T0 in ms.
bed_qwatch_wait() {
	bed_wait_until "$4" "node $1: a qwatch event /$3/" bed__event "$1" "$2" "$3" || return 1
	# shellcheck disable=SC2034 # a result for the caller
	BED_EVENT_MS=$(((BED_EVENT_US - $2) / 1000))
}

# bed_bg NAME CMD...: a helper process in the host namespace (the checker),
# killed by bed_down; output in $BED_DIR/NAME.log, pid in $BED_DIR/NAME.pid.
bed_bg() {
	local name=$1 pid
	shift
	"$@" </dev/null >"$BED_DIR/$name.log" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$BED_DIR/$name.pid"
	echo "$pid" >>"$BED_DIR/bg.pids"
}

bed__log_has() { grep -q "$2" "$1" 2>/dev/null || { BED_LAST="$(tail -1 "$1" 2>/dev/null)"; return 1; }; }

# bed_watch_start VIP [NAME]: start the address sampler (addrwatch, every
# 10 ms) over every node namespace; log in $BED_DIR/NAME.log (NAME
# defaults to watch). Waits for its first sample.
bed_watch_start() {
	local vip=$1 name=${2:-watch} args=() i
	bed_build_tools || return 1
	for i in $(bed_nodes); do args+=("$(bed_ns "$i")=n$i"); done
	bed_bg "$name" "$BED_ADDRWATCH" -i "${BED_WATCH_MS:-10}" "$vip" "${args[@]}"
	bed_wait_until 3000 "addrwatch's first sample" bed__log_has "$BED_DIR/$name.log" 'holders='
}

# bed_watch_first HOLDERS [NAME]: time (epoch us) of the sampler's first
# line showing exactly HOLDERS; empty if none.
bed_watch_first() {
	awk -v h="holders=$1" '$2 == h { t = $1; sub(/\./, "", t); print t; exit }' "$BED_DIR/${2:-watch}.log"
}

# bed_watch_now [NAME]: the sampler's latest state line (holders=...).
bed_watch_now() {
	grep ' holders=' "$BED_DIR/${1:-watch}.log" 2>/dev/null | tail -1
}

bed__watch_is() {
	local now
	now=$(bed_watch_now "$2")
	BED_LAST=${now#* }
	[ "$(bed_field holders "$now")" = "$1" ]
}

# bed_watch_wait HOLDERS TIMEOUT_MS [NAME]: until the sampler's latest
# sample shows exactly HOLDERS (e.g. n2, or n1,n3, or - for none).
bed_watch_wait() {
	bed_wait_until "$2" "addrwatch to see holders=$1" bed__watch_is "$1" "${3:-watch}"
}

# bed_watch_stop [NAME]: stop the sampler; prints its SUMMARY line.
bed_watch_stop() {
	local name=${1:-watch} p
	read -r p <"$BED_DIR/$name.pid" 2>/dev/null || { bed_fail "no sampler $name"; return 1; }
	kill -TERM "$p" 2>/dev/null || true
	bed_wait_dead "$p" 3000 "addrwatch $name" || return 1
	grep '^SUMMARY' "$BED_DIR/$name.log"
}

# bed_probe_start VIP [NAME [PROBE OPTIONS...]]: 1 ms ICMP echo from the
# client (-m: with the answering MAC); log in $BED_DIR/NAME.log (default probe).
bed_probe_start() {
	local vip=$1 name=${2:-probe}
	shift
	[ $# -eq 0 ] || shift
	bed_build_tools || return 1
	bed_bg "$name" ip netns exec "$(bed_ns c)" "$BED_PROBE" -m -t "${BED_PROBE_MAX_S:-3600}" "$@" "$vip"
}

# bed_probe_stop [NAME]: stop the prober; prints its RESULT line.
bed_probe_stop() {
	local name=${1:-probe} p
	read -r p <"$BED_DIR/$name.pid" 2>/dev/null || { bed_fail "no prober $name"; return 1; }
	kill -TERM "$p" 2>/dev/null || true
	bed_wait_dead "$p" 3000 "probe $name" || return 1
	grep '^RESULT' "$BED_DIR/$name.log"
}

# bed_field KEY LINE...: value of KEY=value in a RESULT/SUMMARY line.
bed_field() {
	local k=$1=
	shift
	echo "$*" | awk -v k="$k" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }'
}

# bed_holders ADDR: the nodes (n<I>) that have ADDR configured now (one look).
bed_holders() {
	local i out="" addrs
	for i in $(bed_nodes); do
		addrs=$(ip -n "$(bed_ns "$i")" -o addr show 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4 }')
		grep -qxF -- "$1" <<<"$addrs" && out+=" n$i"
	done
	echo "${out# }"
}

# ---------------------------------------------------------------- teardown

# Kill every process in our namespaces and delete them.
bed__destroy_ns() {
	local ns pids rc=0
	for ns in $(bed__our_ns); do
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	done
	for ns in $(bed__our_ns); do
		bed_wait_until 5000 "processes in $ns to die" bed__no_pids "$ns" || rc=1
	done
	for ns in $(bed__our_ns); do
		ip netns del "$ns" || rc=1
	done
	return $rc
}

# bed_down: kill everything the bed started (checker, nodes' processes,
# anchors) and delete every namespace (veths and bridges go with them);
# remove $BED_DIR unless BED_KEEP=1. Safe to call twice.
bed_down() {
	local p rc=0
	if [ -n "$BED_DIR" ] && [ -f "$BED_DIR/bg.pids" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null || true
		done <"$BED_DIR/bg.pids"
		while read -r p; do
			bed_wait_dead "$p" 3000 "checker process" || rc=1
		done <"$BED_DIR/bg.pids"
		bed__kill_tools "$BED_DIR"
	fi
	bed__destroy_ns || rc=1
	if [ -n "$BED_DIR" ] && [ -d "$BED_DIR" ]; then
		if [ -n "${BED_KEEP:-}" ]; then
			echo "bed: logs kept in $BED_DIR" >&2
		else
			rm -rf "$BED_DIR"
		fi
	fi
	BED_DIR=""
	return $rc
}

# Run as a script: `bed.sh down` removes a bed left behind.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	down) bed__remove "$(bed__owner)" && echo "bed: no ${BED_PREFIX}* namespace left" ;;
	*)
		echo "usage: $0 down   (source this file from a test to use the bed)" >&2
		exit 2
		;;
	esac
fi
