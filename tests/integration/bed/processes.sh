# shellcheck shell=bash
# tests/integration/bed/processes.sh: processes in a node: anchors, spawn, supervise (restart on failure), signal, stop, kill, crash and boot.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

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
		STATE_DIRECTORY="$BED_DIR/n$id/state" nsenter -t "$a" -m -n -u --wd="$PWD" -- "$@"
		;;
	esac
}

# bed_spawn ID NAME CMD...: start CMD in the background in node ID's
# namespaces; output goes to $BED_DIR/nID/NAME.out, the pid to NAME.pid.
bed_spawn() {
	local id=$1 name=$2 a d="$BED_DIR/n$1" pid
	shift 2
	a=$(bed__anchor_pid "$id") || return 1
	# a simple command: $! is nsenter's pid, which execs CMD (no fork);
	# corovipd's state directory is the node's own (as systemd's StateDirectory=)
	STATE_DIRECTORY="$d/state" nsenter -t "$a" -m -n -u --wd="$PWD" -- "$@" </dev/null >>"$d/$name.out" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$d/$name.pid"
}

# bed_supervise ID NAME CMD...: bed_spawn under a supervisor in the node, as
# systemd's Restart=on-failure would run it: when CMD dies of a signal or
# exits non-zero it starts again after BED_RESTART_MS (200; systemd's
# RestartSec is a policy delay, not a synchronisation); a clean exit ends
# it, and so does death by SIGHUP, SIGINT, SIGTERM or SIGPIPE, which
# systemd counts as clean (a bed_stop that lands before the daemon has its
# handlers: restarted, it took the VIP again after the test stopped it). NAME.pid always names the current CMD; every restart appends
# "<epoch s> <exit status>" to NAME.restarts. A node crash kills the
# supervisor with the rest. `bed_norestart ID NAME` stops the restarts.
bed_supervise() {
	local id=$1 name=$2 a d="$BED_DIR/n$1" pid
	shift 2
	a=$(bed__anchor_pid "$id") || return 1
	: >"$d/$name.pid"
	rm -f "$d/$name.norestart"
	# shellcheck disable=SC2016
	STATE_DIRECTORY="$d/state" nsenter -t "$a" -m -n -u --wd="$PWD" -- bash -c '
		d=$1 name=$2 delay=$3
		shift 3
		while :; do
			"$@" </dev/null >>"$d/$name.out" 2>&1 &
			echo $! >"$d/$name.pid"
			wait $!
			rc=$?
			case $rc in 0 | 129 | 130 | 141 | 143) exit $rc ;; esac
			[ ! -e "$d/$name.norestart" ] || exit $rc
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
