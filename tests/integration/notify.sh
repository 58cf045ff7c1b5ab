#!/bin/bash
# What systemd hears of corovipd (issue 19, Type=notify): corovipd on 3 real
# corosync nodes (namespaces "nt"), n1's with $NOTIFY_SOCKET set to a
# datagram socket this test reads (as systemd's would be):
#   READY=1 once it has joined and adopted its first view, with a STATUS=
#   summary before it; RELOADING=1 then READY=1 around a SIGHUP reload;
#   STOPPING=1 at SIGTERM. Without $NOTIFY_SOCKET nothing changes (n2, n3).
#   tests/integration/notify.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-nt}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
VIP=192.0.2.95

bed_cluster_up 3
bed_corovip_conf $VIP/24 n1
sock=$BED_DIR/notify.sock
log=$BED_DIR/notify.log
# the listener: each datagram on one line, its newlines as '|'
bed_bg notify python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("listening", flush=True)
while True:
    print(s.recv(4096).decode().replace("\n", "|"), flush=True)
' "$sock"
bed_wait_until 3000 "the listener" grep -q listening "$BED_DIR/notify.log" >/dev/null || fail "$BED_LAST"
for i in 2 3; do bed_spawn "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_spawn 1 corovipd env NOTIFY_SOCKET="$sock" "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"
said() { grep -q "$1" "$log" || { BED_LAST="heard: $(tr '\n' ' ' <"$log")"; return 1; }; }
bed_wait_until 10000 "READY=1" said '^READY=1$' >/dev/null || fail "$BED_LAST"
grep -B1 '^READY=1$' "$log" | head -1 | grep -q '^STATUS=.*quorate, 3 members, holding [0-9]* of 1 VIPs' ||
	fail "no STATUS= summary before READY=1: $(tr '\n' ' ' <"$log")"
grep -q "view-adopted members=3" "$BED_DIR/n1/corovipd.out" || fail "READY=1 before the first view?"
echo "ok - READY=1 once the first view was adopted, after a STATUS= summary ($(grep -B1 '^READY=1$' "$log" | head -1))"
bed_wait_until 5000 "a STATUS= with the VIP held" said '^STATUS=quorate, 3 members, holding 1 of 1 VIPs$' >/dev/null ||
	fail "$BED_LAST"
echo "ok - STATUS= follows: $(grep '^STATUS=' "$log" | tail -1)"
n=$(grep -c '^READY=1$' "$log")
kill -HUP "$(bed_pid 1 corovipd)"
bed_wait_until 5000 "RELOADING=1 then READY=1" bash -c "grep -A1 '^RELOADING=1\$' '$log' | grep -q '^READY=1\$'" >/dev/null ||
	fail "heard: $(tr '\n' ' ' <"$log")"
[ "$(grep -c '^READY=1$' "$log")" = $((n + 1)) ] || fail "READY=1 count after the reload: $(tr '\n' ' ' <"$log")"
echo "ok - SIGHUP: RELOADING=1, then READY=1"
bed_stop 1 corovipd 10000 || fail "stopping n1's corovipd"
said '^STOPPING=1|STATUS=handing off and stopping$' || fail "$BED_LAST"
echo "ok - SIGTERM: STOPPING=1"
for i in 2 3; do bed_stop "$i" corovipd 10000 || fail "stopping n$i's corovipd"; done
