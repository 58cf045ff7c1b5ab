# shellcheck shell=bash
# tests/integration/bed/network.sh: namespaces, bridges and veths; cutting, healing and partitioning links; building and removing a bed.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

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
		bed__sw link set "$port" up &&
		bed__add_extra_ifaces "$id" "$ns" "$port"
}

# BED_IFACES=K (default 1): every host also gets eth1..eth(K-1), each on its
# own bridge br1.., up, with no address (VIPs at scale are spread over
# interfaces: the kernel's cost per address grows with the interface's
# addresses). Carrier is not awaited on them: nothing of the bed runs there.
bed__add_extra_ifaces() {
	local id=$1 ns=$2 port=$3 k
	for ((k = 1; k < ${BED_IFACES:-1}; k++)); do
		bed__mkbridge "br$k" &&
			bed__sw link add "$port.$k" type veth peer name "eth$k" netns "$ns" &&
			ip -n "$ns" link set "eth$k" up &&
			bed__sw link set "$port.$k" master "br$k" &&
			bed__sw link set "$port.$k" up || return 1
	done
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
