#!/bin/bash
# The L2 mover against the real kernel, in namespaces this test creates and
# always removes: takeover seen from a neighbour's caches (GARP and NA with
# Override), the announce frames on the wire, the kernel lease after kill -9,
# reconcile, and bad input. Needs root, tcpdump, jq and ping.
#
#   top_builddir=build/l2 tests/integration/l2-mover.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/l2-lib.sh"
L2=${CV_L2:-${top_builddir:-.}/l2/corovip-l2}
[ -x "$L2" ] || { echo "no $L2 (make l2/corovip-l2)"; exit 99; }
L2=$(cd "$(dirname "$L2")" && pwd)/$(basename "$L2")
for tool in tcpdump jq ping; do
	command -v $tool >/dev/null || { echo "needs $tool"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }

tmp=$(mktemp -d)
trap 'l2_down; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
l2_up

VIP4=192.0.2.50 VIP6=2001:db8::50
MAC_A=$(l2_mac a) MAC_B=$(l2_mac b)
COUNT=3 INTERVAL=200

# ---- takeover: the neighbour's caches follow without it sending anything ----
nsx a "$L2" add eth0 $VIP4/24 $VIP6/64 --lease 30
nsx c ping -n -q -c1 -W2 $VIP4 >/dev/null
nsx c ping -n -q -c1 -W2 $VIP6 >/dev/null
check "neighbour learnt A's MAC for $VIP4" [ "$(neigh_mac c $VIP4)" = "$MAC_A" ]
check "neighbour learnt A's MAC for $VIP6" [ "$(neigh_mac c $VIP6)" = "$MAC_A" ]

# A capture on the neighbour of everything B announces.
# Started with ip netns exec directly (not through a function) so that $! is
# tcpdump itself.
# It stops by itself after the frames we expect (-c); immediate mode, or the
# last frames would wait in the capture ring when it stops.
FRAMES=$((3 * COUNT))
ip netns exec "$L2_NS-c" tcpdump -i eth0 -n --immediate-mode -c $FRAMES -w "$tmp/cap.pcap" \
	"ether src $MAC_B and (arp or (icmp6 and ip6[40] == 136))" \
	2>"$tmp/tcpdump.err" &
tcpdump_pid=$!
l2_wait 5000 "tcpdump listening" grep -q "listening on" "$tmp/tcpdump.err"

nsx a "$L2" del eth0 $VIP4/24 $VIP6/64
nsx b "$L2" add eth0 $VIP4/24 $VIP6/64 --lease 30 --announce \
	--count $COUNT --interval $INTERVAL --garp both
if has_addr a $VIP4 || has_addr a $VIP6; then fail "A removed both VIPs"; else ok "A removed both VIPs"; fi
neigh_is() { [ "$(neigh_mac c "$1")" = "$2" ]; }
check "neighbour's ARP entry switched to B (no traffic from it)" \
	l2_wait 3000 "ARP entry -> B" neigh_is $VIP4 "$MAC_B"
check "neighbour's ND entry switched to B (no traffic from it)" \
	l2_wait 3000 "ND entry -> B" neigh_is $VIP6 "$MAC_B"

tcpdump_done() { ! kill -0 $tcpdump_pid 2>/dev/null; }
check "capture: $FRAMES announce frames seen" l2_wait 5000 "capture" tcpdump_done
kill -TERM $tcpdump_pid 2>/dev/null
wait $tcpdump_pid 2>/dev/null
tcpdump -r "$tmp/cap.pcap" -n -tt -v -e 2>"$tmp/read.err" >"$tmp/cap.txt" || cat "$tmp/read.err" "$tmp/tcpdump.err"

# ---- the frames: count, interval, form, Override ----
n_req=$(grep -c "Request who-has $VIP4 tell $VIP4" "$tmp/cap.txt")
n_rep=$(grep -c "Reply $VIP4 is-at $MAC_B" "$tmp/cap.txt")
n_na=$(grep -c "neighbor advertisement.*tgt is $VIP6" "$tmp/cap.txt")
check "capture: $COUNT GARP requests (got $n_req)" [ "$n_req" = $COUNT ]
check "capture: $COUNT GARP replies (got $n_rep)" [ "$n_rep" = $COUNT ]
check "capture: $COUNT unsolicited NAs (got $n_na)" [ "$n_na" = $COUNT ]
check "capture: GARPs go to ff:ff:ff:ff:ff:ff" \
	[ "$(grep -c "> ff:ff:ff:ff:ff:ff.*ARP" "$tmp/cap.txt")" = $((2 * COUNT)) ]
# tcpdump -v prints the NA flags on the line after the header.
check "capture: every NA has Override only (no Solicited, no Router)" \
	[ "$(grep -A1 "neighbor advertisement.*tgt is $VIP6" "$tmp/cap.txt" | grep -c "Flags \[override\]")" = $COUNT ]
check "capture: NA hop limit 255, from the VIP to ff02::1, checksum ok" \
	[ "$(grep -B1 "neighbor advertisement.*tgt is $VIP6" "$tmp/cap.txt" | grep -c "hlim 255.*$VIP6 > ff02::1: \[icmp6 sum ok\]")" = $COUNT ]
# Intervals between consecutive requests: INTERVAL ms, give or take 60 %.
gaps=$(grep "Request who-has $VIP4" "$tmp/cap.txt" | awk '{ t = $1 * 1000; if (NR > 1) printf "%d ", t - p; p = t }')
check "capture: request interval ~${INTERVAL} ms (gaps: $gaps)" \
	awk -v g="$gaps" -v i=$INTERVAL 'BEGIN { n = split(g, a, " "); for (k = 1; k <= n; k++) if (a[k] < i * 0.4 || a[k] > i * 1.6) exit 1; exit n == 0 }'

# ---- kernel lease: kill -9 of the holder; the addresses go by themselves ----
ip netns exec "$L2_NS-a" "$L2" hold eth0 192.0.2.60/24 2001:db8::60/64 --lease 2 &
hold_pid=$!
both_held() { has_addr a 192.0.2.60 && has_addr a 2001:db8::60; }
both_gone() { ! has_addr a 192.0.2.60 && ! has_addr a 2001:db8::60; }
check "hold added its addresses" l2_wait 3000 "hold added" both_held
# Past the 2 s lease, renewal (every lease/3) keeps them.
t_end=$(($(now_ms) + 3000))
while [ "$(now_ms)" -lt $t_end ] && has_addr a 192.0.2.60; do sleep 0.1; done
check "renewal keeps the addresses past the lease" has_addr a 192.0.2.60
{ kill -KILL $hold_pid; wait $hold_pid; } 2>/dev/null
t0=$(now_ms)
check "after kill -9 both addresses expire within the lease (+1 s)" \
	l2_wait 3000 "lease expiry" both_gone
echo "# addresses gone $(($(now_ms) - t0)) ms after kill -9 (lease 2 s)"

# ---- reconcile: our strays go, the admin's own stay ----
ip -n "$L2_NS-a" addr add 192.0.2.200/24 dev eth0
ip -n "$L2_NS-a" addr add 2001:db8::200/64 dev eth0 nodad
nsx a "$L2" add eth0 192.0.2.201/24 192.0.2.202/24 2001:db8::201/64 --lease 30
out=$(nsx a "$L2" reconcile eth0 192.0.2.201/24 | sort | tr '\n' ' ')
check "reconcile reports what it removed ($out)" \
	[ "$out" = "removed 192.0.2.202/24 removed 2001:db8::201/64 " ]
for a in 192.0.2.10 192.0.2.200 2001:db8::200 192.0.2.201; do
	check "reconcile kept $a" has_addr a $a
done
for a in 192.0.2.202 2001:db8::201; do
	if has_addr a $a; then fail "reconcile removed $a"; else ok "reconcile removed $a"; fi
done
check "dump --ours lists only ours" \
	[ "$(nsx a "$L2" dump eth0 --ours | awk '{ print $1, $3 }' | tr '\n' ' ')" = "192.0.2.201/24 0x6c " ]
nsx a "$L2" reconcile eth0 >/dev/null

# ---- bad input: exact messages, nothing changed ----
ip -n "$L2_NS-a" link add v6off type veth peer name v6offp
nsx a sysctl -qw net.ipv6.conf.v6off.disable_ipv6=1
ip -n "$L2_NS-a" link set v6off up

# expect_error IFACE "MESSAGE" ARGS...: exit 1, stderr exactly MESSAGE, and
# `ip -j addr` of IFACE the same before and after.
expect_error() {
	local dev=$1 want=$2 before after got rc
	shift 2
	before=$(nsx a ip -j addr show dev "$dev")
	got=$(nsx a "$L2" "$@" 2>&1 >/dev/null)
	rc=$?
	after=$(nsx a ip -j addr show dev "$dev")
	if [ $rc = 1 ] && [ "$got" = "$want" ] && [ "$before" = "$after" ]; then
		ok "$* -> '$want', $dev unchanged"
	else
		fail "$* -> rc $rc '$got' (want 1 '$want'); $dev unchanged: $([ "$before" = "$after" ] && echo yes || echo no)"
	fi
}
expect_error eth0 "corovip-l2: interface 'nosuch0': No such device" \
	add nosuch0 192.0.2.77/24
expect_error eth0 "corovip-l2: address '192.0.2.77/33': prefix length out of range for the family" \
	add eth0 192.0.2.70/24 192.0.2.77/33
expect_error eth0 "corovip-l2: address '2001:db8::77/129': prefix length out of range for the family" \
	add eth0 2001:db8::77/129
expect_error eth0 "corovip-l2: address '192.0.2.300/24': not an IPv4 or IPv6 address" \
	add eth0 192.0.2.300/24
expect_error eth0 "corovip-l2: interface '#99999': No such device" \
	add '#99999' 192.0.2.77/24
# A netlink error in the middle of a batch: the IPv4 address added first is
# taken back, so the interface is as it was.
expect_error v6off "corovip-l2: add 2001:db8:1::77/64 on 'v6off': Permission denied (kernel: ipv6: IPv6 is disabled on this device)" \
	add v6off 198.51.100.77/24 2001:db8:1::77/64
ip -n "$L2_NS-a" link set v6off down
expect_error v6off "corovip-l2: announce on 'v6off': Network is down" \
	announce v6off 198.51.100.77 --count 1

# An address already held by someone else. On this host: the admin's own
# (no IFA_PROTO tag of ours) is refused, and the other address of the same
# call is not added either.
expect_error eth0 "corovip-l2: add 192.0.2.200/24 on 'eth0': address already on the interface and not ours" \
	add eth0 192.0.2.78/24 192.0.2.200/24
expect_error eth0 "corovip-l2: add 2001:db8::200/64 on 'eth0': address already on the interface and not ours" \
	add eth0 2001:db8::200/64
# On another host of the link: B holds .61 and ::61 and answers the probe.
ip -n "$L2_NS-b" addr add 192.0.2.61/24 dev eth0
ip -n "$L2_NS-b" addr add 2001:db8::61/64 dev eth0 nodad
expect_error eth0 "corovip-l2: add 192.0.2.61/24 on 'eth0': address in use by $MAC_B" \
	add eth0 192.0.2.79/24 192.0.2.61/24 --probe 500
expect_error eth0 "corovip-l2: add 2001:db8::61/64 on 'eth0': address in use by $MAC_B" \
	add eth0 2001:db8::61/64 --probe 500
# Nobody answers for free addresses: the probe lets the add through.
check "probe of free addresses, then add" nsx a "$L2" add eth0 192.0.2.79/24 2001:db8::79/64 --probe 200
held79() { has_addr a 192.0.2.79 && has_addr a 2001:db8::79; }
check "both added after the probe" held79
nsx a "$L2" del eth0 192.0.2.79/24 2001:db8::79/64

# ---- IPv6 DAD (--dad, the config's nodad: no): announce only once it passed ----
# DAD on for A's eth0, short: no initial delay, one solicitation 100 ms.
nsx a sysctl -qw net.ipv6.conf.eth0.accept_dad=1 net.ipv6.conf.eth0.dad_transmits=1 \
	net.ipv6.neigh.eth0.retrans_time_ms=100 net.ipv6.conf.eth0.router_solicitation_delay=0
# The NA goes out from the VIP itself, which the kernel refuses while the
# address is tentative: exit 0 means the announce waited for DAD.
check "add --dad --announce: DAD passes, then the NA goes out" \
	nsx a "$L2" add eth0 2001:db8::62/64 --dad --announce --count 1
tentative62() { nsx a ip -j addr show dev eth0 | jq -e '[.[0].addr_info[] | select(.local == "2001:db8::62") | select(.tentative != true)] | length == 1' >/dev/null; }
check "2001:db8::62 is on A and no longer tentative" tentative62
nsx a "$L2" del eth0 2001:db8::62/64
# B holds ::61: the kernel's DAD fails (a leased address is deleted by the
# kernel, a permanent one stays marked dadfailed and we remove it).
expect_error eth0 "corovip-l2: add 2001:db8::61/64 on 'eth0': duplicate address detection failed: the address is in use" \
	add eth0 2001:db8::61/64 --dad
expect_error eth0 "corovip-l2: add 2001:db8::61/64 on 'eth0': duplicate address detection failed: the address is in use" \
	add eth0 198.51.100.61/24 2001:db8::61/64 --dad --lease 0
nsx a sysctl -qw net.ipv6.conf.eth0.accept_dad=0

echo "# $L2_FAILS failure(s)"
[ $L2_FAILS = 0 ]
