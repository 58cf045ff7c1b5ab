#!/bin/bash
# l2-bench.sh - cost of the L2 mover beside its peers, measured in the same
# run (not a timed test; the figures go to README.md "Benchmarks"):
#
#   1. add + announce of N VIPs (N = 1, 10, 100): corovip-l2 once per VIP
#      (as an OCF agent would run it), corovip-l2 once for all N (one netlink
#      batch), and resource-agents' IPaddr2 `start` once per VIP;
#   2. 10,000 VIPs: one corovip-l2 batch beside one `ip -batch` of the same adds;
#   3. the same spread over N_IF (4) interfaces, one batch per interface.
#
# Runs as root in a namespace of its own (a veth pair; no traffic leaves it),
# with hyperfine inside the namespace so `ip netns exec` is not measured.
# Addresses come from 198.18.0.0/15, the benchmarking prefix (RFC 2544).
#
#   bench/l2-bench.sh [BUILDDIR]      (default build/l2; needs l2/corovip-l2)
# env: RUNS (default 10), N_BIG (default 10000)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build/l2}" && pwd)
L2=$build/l2/corovip-l2
RA=/usr/lib/ocf/resource.d/heartbeat/IPaddr2
RUNS=${RUNS:-10}
N_BIG=${N_BIG:-10000}
NS=cvbench-$$
[ -x "$L2" ] || { echo "no $L2: make -C $build l2/corovip-l2" >&2; exit 1; }
for t in hyperfine jq; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 1; }; done
[ -x "$RA" ] || { echo "needs resource-agents ($RA)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/l2-bench.XXXXXX)
cleanup() {
	for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add eth0 type veth peer name eth0p
ip -n "$NS" link set eth0p up
ip -n "$NS" link set eth0 up
nsx() { ip netns exec "$NS" "$@"; }

# Address i (0-based) of the benchmarking prefix, never .0 or .255.
addr() { echo "198.18.$(($1 / 250)).$((1 + $1 % 250))"; }

# The agent's environment, as Pacemaker would pass it; one wrapper per VIP.
make_ra() {
	cat >"$tmp/ra-$1" <<EOF
#!/bin/sh
export OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=vip$1 OCF_RESOURCE_TYPE=IPaddr2
export OCF_RESKEY_ip=$(addr "$1") OCF_RESKEY_cidr_netmask=32 OCF_RESKEY_nic=eth0
# One ARP, as corovip-l2 --count 1 sends (IPaddr2 sends it in the background).
export OCF_RESKEY_arp_count=1
exec $RA "\$@"
EOF
	chmod +x "$tmp/ra-$1"
}

mean_ms() { jq -r --arg n "$2" '.results[] | select(.command == $n) | .mean * 1000' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

# ---- 1. add + announce, N VIPs ----
echo "## add + announce of N VIPs (IPaddr2 $(dpkg-query -W -f='${Version}' resource-agents 2>/dev/null), $RUNS runs)"
printf '%-5s %14s %14s %14s %10s %10s\n' N "corovip-l2/VIP" "corovip-l2 1x" "IPaddr2/VIP" "ratio/VIP" "ratio 1x"
for n in 1 10 100; do
	: >"$tmp/list"
	for i in $(seq 0 $((n - 1))); do addr "$i" >>"$tmp/list"; make_ra "$i"; done
	{
		echo '#!/bin/sh'
		for i in $(seq 0 $((n - 1))); do echo "$L2 add eth0 $(addr "$i")/32 --announce --count 1 || exit 1"; done
	} >"$tmp/ours-each.sh"
	{
		echo '#!/bin/sh'
		for i in $(seq 0 $((n - 1))); do echo "$tmp/ra-$i start >/dev/null 2>&1 || exit 1"; done
	} >"$tmp/ra-each.sh"
	runs=$RUNS
	[ "$n" -ge 100 ] && runs=$(((RUNS + 2) / 3))
	nsx hyperfine --style none --runs "$runs" --warmup 1 --export-json "$tmp/n$n.json" \
		--prepare "ip addr flush dev eth0" \
		--command-name ours-each "sh $tmp/ours-each.sh" \
		--command-name ours-batch "$L2 add eth0 --file $tmp/list --announce --count 1" \
		--command-name ipaddr2 "sh $tmp/ra-each.sh" >/dev/null
	each=$(mean_ms "$tmp/n$n.json" ours-each)
	batch=$(mean_ms "$tmp/n$n.json" ours-batch)
	ra=$(mean_ms "$tmp/n$n.json" ipaddr2)
	printf '%-5s %11.2f ms %11.2f ms %11.2f ms %9sx %9sx\n' "$n" \
		"$(awk -v a="$each" -v n="$n" 'BEGIN { print a / n }')" "$batch" \
		"$(awk -v a="$ra" -v n="$n" 'BEGIN { print a / n }')" "$(ratio "$ra" "$each")" \
		"$(ratio "$ra" "$batch")"
done
nsx ip addr flush dev eth0

# ---- 2. N_BIG VIPs in one batch vs one ip -batch ----
: >"$tmp/big.list"
: >"$tmp/big.batch"
for i in $(seq 0 $((N_BIG - 1))); do
	a=$(addr "$i")
	echo "$a/32" >>"$tmp/big.list"
	echo "addr add $a/32 dev eth0" >>"$tmp/big.batch"
done
runs=$(((RUNS + 1) / 2))
nsx hyperfine --style none --runs "$runs" --warmup 1 --export-json "$tmp/big.json" \
	--prepare "ip addr flush dev eth0" \
	--command-name ours "$L2 add eth0 --file $tmp/big.list --lease 30" \
	--command-name ip-batch "ip -batch $tmp/big.batch" >/dev/null
ours=$(mean_ms "$tmp/big.json" ours)
ipb=$(mean_ms "$tmp/big.json" ip-batch)
n_on=$(nsx ip -4 -o addr show dev eth0 | wc -l)
echo
echo "## $N_BIG VIPs added in one batch ($runs runs)"
printf 'corovip-l2: %.1f ms   ip -batch: %.1f ms   corovip-l2 / ip -batch: %s   (addresses on eth0 after the last run: %s)\n' \
	"$ours" "$ipb" "$(ratio "$ours" "$ipb")" "$n_on"

# ---- 3. the same N_BIG VIPs spread over N_IF interfaces ----
# The kernel's cost per address grows with the addresses already on the
# interface (README), so a host with many VIPs spreads them: one batch per
# interface, run one after the other.
N_IF=${N_IF:-4}
for k in $(seq 1 $((N_IF - 1))); do
	ip -n "$NS" link add "eth$k" type veth peer name "eth${k}p"
	ip -n "$NS" link set "eth${k}p" up
	ip -n "$NS" link set "eth$k" up
done
: >"$tmp/spread.sh"
: >"$tmp/spread.batch"
: >"$tmp/flush.sh"
for k in $(seq 0 $((N_IF - 1))); do
	: >"$tmp/spread$k.list"
	echo "ip addr flush dev eth$k" >>"$tmp/flush.sh"
	echo "$L2 add eth$k --file $tmp/spread$k.list --lease 30 || exit 1" >>"$tmp/spread.sh"
done
for i in $(seq 0 $((N_BIG - 1))); do
	k=$((i % N_IF))
	echo "$(addr "$i")/32" >>"$tmp/spread$k.list"
	echo "addr add $(addr "$i")/32 dev eth$k" >>"$tmp/spread.batch"
done
nsx hyperfine --style none --runs "$runs" --warmup 1 --export-json "$tmp/spread.json" \
	--prepare "sh $tmp/flush.sh" \
	--command-name ours "sh $tmp/spread.sh" \
	--command-name ip-batch "ip -batch $tmp/spread.batch" >/dev/null
ours=$(mean_ms "$tmp/spread.json" ours)
ipb=$(mean_ms "$tmp/spread.json" ip-batch)
echo
echo "## $N_BIG VIPs over $N_IF interfaces, one corovip-l2 batch per interface ($runs runs)"
printf 'corovip-l2: %.1f ms   ip -batch: %.1f ms   corovip-l2 / ip -batch: %s\n' \
	"$ours" "$ipb" "$(ratio "$ours" "$ipb")"
