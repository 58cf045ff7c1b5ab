# shellcheck shell=bash
# tests/integration/bed/qnetd.sh: corosync-qnetd in a namespace of its own and corosync-qdevice per node.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

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
