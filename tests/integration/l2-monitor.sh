#!/bin/bash
# The netlink monitor socket (l2/netlink-monitor.c) against the real
# kernel, in namespaces this test creates and always removes: adding and
# deleting addresses and setting the link down and up each give the expected
# event line of `corovip-l2 monitor` within a deadline; an address of ours
# deleted by `ip addr del` shows as ADDR_DEL with our IFA_PROTO tag; a receive
# buffer overrun (ENOBUFS) gives one RESYNC with a fresh dump, and the monitor
# goes on. Needs root and jq.
#
#   top_builddir=build/l2 tests/integration/l2-monitor.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/l2-lib.sh"
L2=${CV_L2:-${top_builddir:-.}/l2/corovip-l2}
[ -x "$L2" ] || { echo "no $L2 (make l2/corovip-l2)"; exit 99; }
L2=$(cd "$(dirname "$L2")" && pwd)/$(basename "$L2")
command -v jq >/dev/null || { echo "needs jq"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 77; }

tmp=$(mktemp -d)
trap 'l2_down; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
l2_up

DEADLINE=3000
A="$L2_NS-a"

# start_monitor NAME [OPTIONS...]: corovip-l2 monitor eth0 in A, output in
# $tmp/NAME.out; its pid in $tmp/NAME.pid. Returns once it is subscribed and
# has printed its first dump (STATE).
start_monitor() {
	local name=$1
	shift
	ip netns exec "$A" "$L2" monitor eth0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	echo $! >"$tmp/$name.pid"
	l2_wait 5000 "monitor $name listening" grep -q '^STATE ' "$tmp/$name.out"
}
# saw NAME LINE: the monitor printed exactly LINE.
saw() { grep -qxF "$2" "$tmp/$1.out"; }
# expect NAME LINE: ... within the deadline.
expect() { check "$1: '$2'" l2_wait $DEADLINE "'$2' from monitor $1" saw "$1" "$2"; }
count() { grep -cE "$2" "$tmp/$1.out"; }
# model NAME: the addresses an owner of monitor NAME believes eth0 has: the
# last dump (STATE, at start and after each RESYNC), then ADDR_NEW and
# ADDR_DEL applied in order.
model() {
	awk '$1 == "STATE" { split("", s) }
	     $1 == "HAS" || $1 == "ADDR_NEW" { s[$2] = 1 }
	     $1 == "ADDR_DEL" { delete s[$2] }
	     END { for (a in s) print a }' "$tmp/$1.out" | sort
}
kernel_addrs() {
	ip -n "$A" -j addr show dev eth0 | jq -r '.[0].addr_info[] | "\(.local)/\(.prefixlen)"' | sort
}
model_is_kernel() { [ "$(model "$1")" = "$(kernel_addrs)" ]; }
count_is() { [ "$(count "$1" "$2")" = "$3" ]; }
# stop_monitor NAME: SIGTERM ends it cleanly (exit 0) within the deadline.
stop_monitor() {
	local pid
	pid=$(cat "$tmp/$1.pid")
	kill -TERM "$pid"
	dead() { ! kill -0 "$pid" 2>/dev/null; }
	if l2_wait $DEADLINE "monitor $1 to stop" dead; then
		wait "$pid"
		check "monitor $1 exits 0 on SIGTERM" [ $? = 0 ]
	else
		fail "monitor $1 stops on SIGTERM"
	fi
	check "monitor $1 wrote nothing to stderr ($(head -c 300 "$tmp/$1.err"))" \
		[ ! -s "$tmp/$1.err" ]
}

start_monitor mon || { fail "monitor starts"; exit 1; }

# ---- the admin's addresses: no tag ----
ip -n "$A" addr add 192.0.2.77/24 dev eth0
expect mon "ADDR_NEW 192.0.2.77/24 proto 0x00"
ip -n "$A" addr del 192.0.2.77/24 dev eth0
expect mon "ADDR_DEL 192.0.2.77/24 proto 0x00"
ip -n "$A" addr add 2001:db8::77/64 dev eth0 nodad
expect mon "ADDR_NEW 2001:db8::77/64 proto 0x00"
ip -n "$A" addr del 2001:db8::77/64 dev eth0
expect mon "ADDR_DEL 2001:db8::77/64 proto 0x00"

# ---- ours, deleted behind our back: ADDR_DEL with our tag (corovip-l2's: 0x6c) ----
nsx a "$L2" add eth0 192.0.2.50/24 2001:db8::50/64 --lease 30
expect mon "ADDR_NEW 192.0.2.50/24 proto 0x6c"
expect mon "ADDR_NEW 2001:db8::50/64 proto 0x6c"
ip -n "$A" addr del 192.0.2.50/24 dev eth0
expect mon "ADDR_DEL 192.0.2.50/24 proto 0x6c"
ip -n "$A" addr del 2001:db8::50/64 dev eth0
expect mon "ADDR_DEL 2001:db8::50/64 proto 0x6c"

# ---- the link ----
ip -n "$A" link set eth0 down
expect mon "LINK eth0 down no-carrier"
ip -n "$A" link set eth0 up
expect mon "LINK eth0 up carrier"

# ---- the daemon's filter: no IPv4 ADDR_NEW, the rest as before ----
start_monitor filtered --no-ipv4-new || fail "filtered monitor starts"
ip -n "$A" addr add 192.0.2.78/24 dev eth0
ip -n "$A" addr add 2001:db8::78/64 dev eth0 nodad
expect filtered "ADDR_NEW 2001:db8::78/64 proto 0x00"
ip -n "$A" addr del 192.0.2.78/24 dev eth0
ip -n "$A" addr del 2001:db8::78/64 dev eth0
expect filtered "ADDR_DEL 192.0.2.78/24 proto 0x00"
expect filtered "ADDR_DEL 2001:db8::78/64 proto 0x00"
check "filtered: no IPv4 ADDR_NEW" [ "$(count filtered '^ADDR_NEW 192\.')" = 0 ]
expect mon "ADDR_NEW 192.0.2.78/24 proto 0x00"
stop_monitor filtered

# ---- overrun: a tiny receive buffer loses notifications -> one RESYNC ----
# The monitor is stopped (SIGSTOP) while 100 addresses are added: their 100
# notifications are far more than a 4.5 KiB receive buffer (the kernel's
# minimum) holds, so the kernel drops some and the next read gets ENOBUFS.
start_monitor small --rcvbuf 1 || fail "small monitor starts"
small_pid=$(cat "$tmp/small.pid")
stopped() { [ "$(awk '{ print $3 }' "/proc/$small_pid/stat")" = T ]; }
kill -STOP "$small_pid"
l2_wait $DEADLINE "monitor small stopped" stopped || fail "monitor small stops on SIGSTOP"
for i in $(seq 100 199); do echo "198.51.100.$i/24"; done >"$tmp/addrs"
nsx a "$L2" add eth0 --file "$tmp/addrs" --lease 30
kill -CONT "$small_pid"
expect small "RESYNC"
check "small buffer: exactly one RESYNC" [ "$(count small '^RESYNC$')" = 1 ]
# An owner that dumps on RESYNC and applies what follows knows all 100.
check "small buffer: dump on RESYNC + later events = the kernel's addresses" \
	l2_wait $DEADLINE "small's model = kernel" model_is_kernel small
# The large default buffer lost nothing.
check "default buffer: all 100 ADDR_NEW lines" \
	l2_wait $DEADLINE "100 ADDR_NEW" count_is mon '^ADDR_NEW 198\.51\.100\.[0-9]+/24 proto 0x6c$' 100
check "default buffer: no RESYNC" [ "$(count mon '^RESYNC')" = 0 ]
check "default buffer: start dump + events = the kernel's addresses" \
	l2_wait $DEADLINE "mon's model = kernel" model_is_kernel mon
# The overrun monitor goes on reporting.
ip -n "$A" addr del 198.51.100.150/24 dev eth0
expect small "ADDR_DEL 198.51.100.150/24 proto 0x6c"
expect mon "ADDR_DEL 198.51.100.150/24 proto 0x6c"
nsx a "$L2" reconcile eth0 >/dev/null
for m in small mon; do
	check "$m: after reconcile, model = the kernel's addresses" \
		l2_wait $DEADLINE "$m's model = kernel" model_is_kernel $m
done

stop_monitor small
stop_monitor mon

echo "# $L2_FAILS failure(s)"
[ $L2_FAILS = 0 ]
