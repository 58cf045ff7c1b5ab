#!/bin/bash
# ocf:corovip:vip, the OCF agent (issue 15), run as Pacemaker runs it
# (OCF_RESKEY_* and an action), on one real corosync node of the test bed
# (namespaces prefixed "oa") with the client beside it:
#  1. its meta-data validates against resource-agents' ra-api-1.dtd (what
#     ocf-tester checks), and ocf-tester passes on IPv4 and IPv6;
#  2. the OCF exit codes: unknown action 3, no ip 6, an IPaddr2 parameter
#     with no meaning here 6 (with the reason), a missing nic 6 at
#     validate-all and 5 at start, monitor of a stopped resource 7;
#  3. start adds the address with the agent's tag and no lease (IPaddr2's
#     forever), the client reaches it, and its announce reaches the client
#     (the first frame with the start, the rest from the background); a
#     monitor after someone removed it says 7; IPaddr2's prefix lookup
#     (no cidr_netmask, no nic) finds eth0 and /24;
#  4. lease=N: the address expires unless a monitor renews it; reload-agent
#     gives a started address a lease, or makes it forever again;
#  5. stop removes only its own address: corovipd's (tag 0x63) and an
#     administrator's (no tag) at the same address are left alone, and start
#     refuses both;
#  6. with corovipd running and managing an address, the agent refuses that
#     address (6, naming the VIP) and takes another.
#   tests/integration/ocf-agent.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
for t in ocf-tester xmllint tcpdump; do
	command -v $t >/dev/null || { echo "SKIP: needs $t (tests/install-deps)"; exit 77; }
done
cd "$top"
export BED_PREFIX=${BED_PREFIX:-oa}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }
AGENT=$build/ocf/corovip-ocf-vip
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vip

# agent ACTION [NAME=VALUE...]: the agent on node 1 with those parameters
# only; its exit code in RC, its stderr in ERR.
agent() {
	local action=$1 kv env=(OCF_ROOT=$OCF_ROOT OCF_RESOURCE_INSTANCE=$OCF_RESOURCE_INSTANCE)
	shift
	for kv in "$@"; do env+=("OCF_RESKEY_$kv"); done
	RC=0
	ERR=$(bed_exec 1 env -i "${env[@]}" "$AGENT" "$action" 2>&1 >/dev/null) || RC=$?
}
expect() { # CODE WHAT
	[ "$RC" = "$1" ] || fail "$2: exit $RC, expected $1 ($ERR)"
}
# addr_line ADDR: node 1's line for ADDR ("" when absent)
addr_line() { ip -n "$(bed_ns 1)" -o addr show dev eth0 | awk -v a="$1" '$4 ~ ("^" a "/") { print }'; }
# Debian 12's ip shows no IFA_PROTO: corovip-l2 dump does (ADDR/PFX proto ...)
proto_of() { bed_exec 1 "$build/l2/corovip-l2" dump eth0 | awk -v a="$1" 'index($1, a "/") == 1 { print $3 }'; }
gone() { [ -z "$(addr_line "$1")" ] || { BED_LAST=$(addr_line "$1"); return 1; }; }
present() { [ -n "$(addr_line "$1")" ] || { BED_LAST="not on eth0"; return 1; }; }

bed_cluster_up 1
V4=192.0.2.60 V6=2001:db8::60

# 1. meta-data and ocf-tester
(cd /usr/share/resource-agents && "$AGENT" meta-data | xmllint --noout --valid -) ||
	fail "meta-data does not validate against ra-api-1.dtd"
echo "ok - meta-data validates against ra-api-1.dtd"
for p in "ip=$V4 cidr_netmask=24 nic=eth0" "ip=$V6 cidr_netmask=64 nic=eth0 nodad=true"; do
	opts=()
	for kv in $p; do opts+=(-o "$kv"); done
	out=$(bed_exec 1 ocf-tester -n vip "${opts[@]}" "$AGENT" 2>&1) ||
		fail "ocf-tester ($p): $out"
	grep -q "passed all tests" <<<"$out" || fail "ocf-tester ($p): $out"
	echo "ok - ocf-tester passes ($p)"
done

# 2. exit codes
agent promote "ip=$V4"
expect 3 "an unknown action"
agent start cidr_netmask=24
expect 6 "start without ip"
agent validate-all "ip=$V4" nic=eth0 lvs_support=true
expect 6 "lvs_support=true"
grep -q "lvs_support=true is not supported: LVS" <<<"$ERR" || fail "no reason given: $ERR"
agent validate-all "ip=$V4" nic=eth0 lvs_support=false arp_bg=yes
expect 0 "IPaddr2's parameters at their defaults"
agent validate-all "ip=$V4" cidr_netmask=24 nic=eth9
expect 6 "validate-all of a missing nic"
agent start "ip=$V4" cidr_netmask=24 nic=eth9
expect 5 "start on a missing nic"
agent monitor "ip=$V4" cidr_netmask=24 nic=eth0
expect 7 "monitor of a stopped resource"
agent validate-all "ip=$V4" cidr_netmask=255.255.0.0 nic=eth0
expect 0 "a dotted netmask"
agent validate-all "ip=$V4" cidr_netmask=255.0.255.0 nic=eth0
expect 6 "a netmask with a hole"
echo "ok - exit codes: 3 unknown action, 6 bad parameters (with the reason), 5 missing nic at start, 7 stopped"

# 3. start, reach, announce, removal behind its back, the prefix lookup
bed_bg arp ip netns exec "$(bed_ns c)" tcpdump -l -n -e -i eth0 arp
bed_wait_until 3000 "tcpdump to listen" bed__log_has "$BED_DIR/arp.log" 'listening on' || fail "$BED_LAST"
agent start "ip=$V4" # no nic, no cidr_netmask: found as IPaddr2's findif does
expect 0 "start"
line=$(addr_line $V4)
[[ "$line" == *" $V4/24 "*"valid_lft forever"* ]] || fail "not added /24 forever on eth0: $line"
[ "$(proto_of $V4)" = 0x6f ] || fail "not tagged 0x6f: $(proto_of $V4)"
bed_exec c ping -c 1 -W 2 $V4 >/dev/null || fail "the client cannot reach $V4"
garps() { grep -c "Request who-has $V4 tell $V4" "$BED_DIR/arp.log" || true; }
garps_at_least() { [ "$(garps)" -ge "$1" ] || { BED_LAST="$(garps) so far"; return 1; }; }
bed_wait_until 5000 "5 gratuitous ARPs at the client" garps_at_least 5 >/dev/null ||
	fail "the client saw $(garps) gratuitous ARPs, not 5"
echo "ok - start: $V4/24 on eth0 (found), tag 0x6f, forever; the client reaches it and saw $(garps) gratuitous ARPs"
agent monitor "ip=$V4"
expect 0 "monitor of a started resource"
ip -n "$(bed_ns 1)" addr del $V4/24 dev eth0
agent monitor "ip=$V4"
expect 7 "monitor after the address was removed behind its back"
agent stop "ip=$V4"
expect 0 "stop of an address already gone"
echo "ok - monitor: 0 while there, 7 once removed behind its back; stop then succeeds"

# 4. a lease, renewed by monitor
agent start "ip=$V4" cidr_netmask=32 nic=eth0 lease=2 arp_count=0
expect 0 "start with lease=2"
[[ "$(addr_line $V4)" == *"valid_lft "[12]"sec"* ]] || fail "no 2 s lease: $(addr_line $V4)"
for i in 1 2 3; do
	sleep 1 # the kernel's lease runs on wall time, in whole seconds: a monitor each second
	agent monitor "ip=$V4" cidr_netmask=32 nic=eth0 lease=2
	expect 0 "monitor $i renewing the lease"
done
[ -n "$(addr_line $V4)" ] || fail "the address expired although each monitor renewed it"
bed_wait_until 4000 "the lease to end" gone $V4 >/dev/null || fail "the lease did not end: $BED_LAST"
echo "ok - lease=2: monitors kept it 3 s, then the kernel removed it"
agent start "ip=$V4" cidr_netmask=32 nic=eth0 arp_count=0
[[ "$(addr_line $V4)" == *"valid_lft forever"* ]] || fail "not forever: $(addr_line $V4)"
agent reload-agent "ip=$V4" cidr_netmask=32 nic=eth0 lease=30
expect 0 "reload-agent with lease=30"
[[ "$(addr_line $V4)" == *"valid_lft "[23][0-9]"sec"* ]] || fail "reload gave no lease: $(addr_line $V4)"
agent reload-agent "ip=$V4" cidr_netmask=32 nic=eth0 lease=0
[[ "$(addr_line $V4)" == *"valid_lft forever"* ]] || fail "reload did not make it forever: $(addr_line $V4)"
agent stop "ip=$V4"
expect 0 "stop"
echo "ok - reload-agent: lease=30 gives the address a lease, lease=0 takes it away, no restart"

# 5. another's address at the same place: left alone, and refused
bed_exec 1 "$build/l2/corovip-l2" add eth0 $V4/24 -t 0x63 -l 0 >/dev/null
agent stop "ip=$V4" cidr_netmask=24 nic=eth0
expect 0 "stop with corovipd's address there"
[ -n "$(addr_line $V4)" ] || fail "stop removed corovipd's address"
agent start "ip=$V4" cidr_netmask=24 nic=eth0
expect 1 "start onto corovipd's address"
grep -q "not ours" <<<"$ERR" || fail "no reason given: $ERR"
ip -n "$(bed_ns 1)" addr del $V4/24 dev eth0
ip -n "$(bed_ns 1)" addr add $V4/24 dev eth0
agent stop "ip=$V4" cidr_netmask=24 nic=eth0
[ -n "$(addr_line $V4)" ] || fail "stop removed the administrator's address"
ip -n "$(bed_ns 1)" addr del $V4/24 dev eth0
echo "ok - stop leaves corovipd's (0x63) and an administrator's address alone; start refuses them"

# 6. corovipd manages an address: refused; another is taken
bed_corovip_conf 192.0.2.61/24 n1
bed_spawn 1 corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"
bed_wait_until 10000 "corovipd to hold 192.0.2.61" present 192.0.2.61 >/dev/null ||
	fail "corovipd did not take 192.0.2.61"
agent start ip=192.0.2.61 cidr_netmask=24 nic=eth0
expect 6 "start of corovipd's VIP"
grep -q "corovipd on this node manages 192.0.2.61 (its VIP 'web')" <<<"$ERR" || fail "reason: $ERR"
agent start "ip=$V4" cidr_netmask=24 nic=eth0 arp_count=1
expect 0 "start of another address with corovipd running"
agent stop "ip=$V4" cidr_netmask=24 nic=eth0
expect 0 "stop"
gone $V4 || fail "stop left $V4"
[ -n "$(addr_line 192.0.2.61)" ] || fail "corovipd's VIP went with the agent's stop"
bed_stop 1 corovipd 10000 || fail "corovipd did not stop"
echo "ok - with corovipd running: its VIP refused (6, named), another address taken and let go"
