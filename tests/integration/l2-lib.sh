# shellcheck shell=bash
# Helpers for the L2 integration tests: a test bed of network namespaces
# (a switch with a bridge, nodes a and b, a neighbour c), polling with a
# deadline, and exact-output checks. Sourced by tests/integration/l2-*.sh.
#
# Everything lives in namespaces named "$L2_NS-*", created here and removed
# by l2_down (the caller traps EXIT). Traffic never leaves them. Addresses are
# documentation prefixes: 192.0.2.0/24, 2001:db8::/64, MACs 02:00:5e:10:00:xx.

L2_NS=${L2_NS:-cvl2-$$}
L2_FAILS=0

# MAC of host h (a b c)
l2_mac() {
	case $1 in
	a) echo 02:00:5e:10:00:0a ;;
	b) echo 02:00:5e:10:00:0b ;;
	c) echo 02:00:5e:10:00:0c ;;
	esac
}
l2_ip4() { case $1 in a) echo 192.0.2.10 ;; b) echo 192.0.2.11 ;; c) echo 192.0.2.2 ;; esac; }
l2_ip6() { case $1 in a) echo 2001:db8::10 ;; b) echo 2001:db8::11 ;; c) echo 2001:db8::2 ;; esac; }

# Run in host h's namespace.
nsx() {
	local h=$1
	shift
	ip netns exec "$L2_NS-$h" "$@"
}

l2_add_host() {
	local h=$1 ns="$L2_NS-$1"
	ip netns add "$ns"
	ip -n "$L2_NS-sw" link add "p-$h" type veth peer name eth0 netns "$ns"
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 address "$(l2_mac "$h")"
	# No DAD for the link-local address: `ip -j addr` must not change under us.
	nsx "$h" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	ip -n "$ns" addr add "$(l2_ip4 "$h")/24" dev eth0
	ip -n "$ns" addr add "$(l2_ip6 "$h")/64" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$L2_NS-sw" link set "p-$h" master br0
	ip -n "$L2_NS-sw" link set "p-$h" up
}

l2_up() {
	ip netns add "$L2_NS-sw"
	ip -n "$L2_NS-sw" link set lo up
	# No STP, no forwarding delay, no multicast snooping (NA to ff02::1 must flood).
	ip -n "$L2_NS-sw" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$L2_NS-sw" link set br0 up
	for h in a b c; do l2_add_host "$h"; done
	for h in a b c; do
		l2_wait 5000 "carrier on $h" sh -c "ip -n $L2_NS-$h link show eth0 | grep -q LOWER_UP"
	done
}

# Kill what still runs in our namespaces (by pid), then delete them.
l2_down() {
	local ns pid
	for ns in $(ip netns list | awk '{print $1}' | grep -E "^$L2_NS-"); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# l2_wait DEADLINE_MS WHAT CMD...: poll CMD until it succeeds or the deadline.
l2_wait() {
	local deadline=$(($(now_ms) + $1)) what=$2
	shift 2
	until "$@" >/dev/null 2>&1; do
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "timeout waiting for: $what" >&2
			return 1
		fi
		sleep 0.02
	done
}

ok() { echo "ok - $*"; }
fail() {
	echo "not ok - $*"
	L2_FAILS=$((L2_FAILS + 1))
}
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# The lladdr of dst in host h's neighbour cache (empty when there is none).
neigh_mac() {
	nsx "$1" ip -j neigh show "$2" dev eth0 | jq -r '.[0].lladdr // empty'
}

# Does host h have address a (no prefix) on eth0?
has_addr() {
	nsx "$1" ip -j addr show dev eth0 | jq -e --arg a "$2" \
		'[.[0].addr_info[] | select(.local == $a)] | length > 0' >/dev/null
}
