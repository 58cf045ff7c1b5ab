#!/bin/bash
# scale-bench.sh - corovip and keepalived with 1, 1,000 and 10,000 VIPs, run
# the same way on the same machine (issue 12; not a timed test: the figures
# go to README.md "Benchmarks"):
#
#   the test bed of tests/integration/bed.sh with BED_IFACES interfaces per
#   host (eth0..eth3 on bridges br0..br3; corosync and VRRP on eth0), the
#   VIPs /32 in 198.18.0.0/15 (RFC 2544's benchmark range) spread round-robin
#   over the interfaces, all preferring n1 then n2 (keepalived: priorities
#   150, 100, 50; its VIPs in virtual_ipaddress_excluded, which has no limit).
#
# For each system and count, on a fresh bed:
#   ip -batch  the same adds in n1's namespace by one `ip -batch` (then
#              deleted): the kernel's floor for this count, as the issue asks
#   take       the daemons start (corosync already quorate); from the first
#              VIP added on n1 to all N on it: tests/tools/addrcount.c stamps
#              both from the kernel's address notifications, so the decision
#              is the first add (the same loop iteration in corovipd); then
#              the client pings two VIPs per interface (each must answer)
#   idle       after SETTLE_S, the daemon's processes (corovipd + its reaper;
#              keepalived's parent + VRRP child) over IDLE_S: CPU (utime +
#              stime from /proc, kernel work done for them included, so the
#              lease renewals are in it) as % of one core, and memory: the
#              processes' PSS summed (RSS would count the forks' shared pages
#              twice), and wakeups: voluntary context switches a second,
#              every thread of them
#   crash      n1 frozen, its link cut, its processes killed (as
#              failover-bench.sh's crash); from that instant to all N on n2
#
#   bench/scale-bench.sh [BUILDDIR]            (root; default build/bench)
# env: COUNTS ("1 1000 10000"), RUNS (3; medians), SYSTEMS ("corovip
#      keepalived"), BED_IFACES (4), KA_ADVERT (0.1 s, keepalived's fast
#      setting, as failover-bench's first column), IDLE_S (20), SETTLE_S (5),
#      LEASE (corovip's kernel_lease, default 120s at 10,000 VIPs: see the
#      README), HEARTBEAT (corovip's, default its own 50ms), OUT (default
#      BUILDDIR/scale-bench: runs.tsv and logs).
# Installs keepalived with apt-get if missing. Namespaces bs* (BED_PREFIX).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build/bench}" && pwd)
COROVIPD=$build/agent/corovipd
COUNTS=${COUNTS:-1 1000 10000}
RUNS=${RUNS:-3}
SYSTEMS=${SYSTEMS:-corovip keepalived}
KA_ADVERT=${KA_ADVERT:-0.1}
IDLE_S=${IDLE_S:-20}
SETTLE_S=${SETTLE_S:-5}
OUT=${OUT:-$build/scale-bench}
export BED_PREFIX=${BED_PREFIX:-bs} BED_IFACES=${BED_IFACES:-4}
K=$BED_IFACES

[ "$(id -u)" = 0 ] || { echo "scale-bench: needs root (network namespaces)" >&2; exit 1; }
[ -x "$COROVIPD" ] || { echo "scale-bench: no $COROVIPD (build first)" >&2; exit 1; }
if [[ " $SYSTEMS " == *" keepalived "* ]] && ! command -v keepalived >/dev/null; then
	echo "scale-bench: installing keepalived" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y keepalived >/dev/null
fi
cd "$top"
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
mkdir -p "$OUT"

# VIP i: interface i mod K; the j-th of its interface in 198.18.(16k + j/250).(j%250 + 1)
vip_addr() { local k=$(($1 % K)) j=$(($1 / K)); echo "198.18.$((16 * k + j / 250)).$((j % 250 + 1))"; }
vip_list() { local i; for ((i = 0; i < $1; i++)); do echo "$(vip_addr "$i") eth$((i % K))"; done; }
lease_for() { [ -n "${LEASE:-}" ] && echo "$LEASE" || { [ "$1" -ge 10000 ] && echo 120s || echo 10s; }; }

cv_conf() {
	local n=$1 i=0 a dev
	{
		printf 'cluster {\n\tkernel_lease: %s\n' "$(lease_for "$n")"
		[ -z "${HEARTBEAT:-}" ] || printf '\theartbeat: %s\n' "$HEARTBEAT"
		printf '}\n'
		for a in 1 2 3; do printf 'node n%s {\n}\n' "$a"; done
		while read -r a dev; do
			printf 'vip v%d {\n\taddress: %s/32\n\tinterface: %s\n\tprefer: n1 n2\n}\n' $i "$a" "$dev"
			i=$((i + 1))
		done < <(vip_list "$n")
	} >"$BED_DIR/corovip.conf"
	chmod 0644 "$BED_DIR/corovip.conf"
}

KA_PRIO=(0 150 100 50)
ka_conf() {
	local node=$1 n=$2 v=2 a dev
	awk -v a="$KA_ADVERT" 'BEGIN { exit !(a < 1) }' && v=3
	{
		printf 'global_defs {\n    router_id n%s\n    vrrp_version %s\n}\n' "$node" "$v"
		printf 'vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n'
		printf '    priority %s\n    advert_int %s\n' "${KA_PRIO[$node]}" "$KA_ADVERT"
		# it wants one VIP in the advert's list; the others are not in adverts
		vip_list "$n" | awk '
			NR == 1 { print "    virtual_ipaddress {\n        " $1 "/32 dev " $2 "\n    }" }
			NR == 2 { print "    virtual_ipaddress_excluded {" }
			NR >= 2 { print "        " $1 "/32 dev " $2 }
			END { if (NR >= 2) print "    }" }'
		printf '}\n'
	} >"$BED_DIR/n$node/keepalived.conf"
}

# ms between two epoch-seconds stamps
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f\n", (b - a) * 1000 }'; }

# count_start NODE N: addrcount on NODE (its output in $BED_DIR/countNODE.log);
# returns once it listens.
count_start() {
	bed_bg "count$1" "$BED_ADDRCOUNT" -t 120 "$(bed_ns "$1")" 198.18.0.0/16 "$2" || return 1
	bed_wait_until 5000 "addrcount on n$1" bed__log_has "$BED_DIR/count$1.log" ready
}
count_all() { bed_wait_until 120000 "all VIPs on n$1" bed__log_has "$BED_DIR/count$1.log" '^all '; }
count_at() { awk -v w="$2" '$1 == w { print $2; exit }' "$BED_DIR/count$1.log"; }

ip_batch_ms() {
	local n=$1 t0 t1
	vip_list "$n" | awk '{ print "address add " $1 "/32 dev " $2 }' >"$BED_DIR/ipadd"
	vip_list "$n" | awk '{ print "address del " $1 "/32 dev " $2 }' >"$BED_DIR/ipdel"
	t0=$EPOCHREALTIME
	ip -n "$(bed_ns 1)" -batch "$BED_DIR/ipadd"
	t1=$EPOCHREALTIME
	ip -n "$(bed_ns 1)" -batch "$BED_DIR/ipdel"
	ms_between "$t0" "$t1"
}

# The client pings two VIPs of every interface (routes to 198.18.16k.0/20
# on its ethk, no address there: its source is eth0's, the reply comes back
# over the nodes' eth0). How many did not answer.
client_misses() {
	local n=$1 i k miss=0 a
	for ((k = 0; k < K; k++)); do
		ip -n "$(bed_ns c)" route replace "198.18.$((16 * k)).0/20" dev "eth$k" 2>/dev/null || true
	done
	for i in 0 $((n - 1)) $((n / 2)) $((n / 3)) $((n / 4)) $((n / 5)) $((n / 7)) $((n / 9)); do
		[ "$i" -lt "$n" ] || continue
		a=$(vip_addr "$i")
		ip netns exec "$(bed_ns c)" ping -n -q -c 1 -W 2 "$a" >/dev/null 2>&1 || miss=$((miss + 1))
	done
	echo "$miss"
}

# pids of the system's processes on node 1
sys_pids() {
	local p
	case "$1" in
	corovip)
		p=$(bed_pid 1 corovipd) || return 1
		echo "$p" $(ps -o pid= --ppid "$p")
		;;
	keepalived)
		p=$(bed_pid 1 keepalived) || return 1
		echo "$p" $(ps -o pid= --ppid "$p")
		;;
	esac
}
cpu_ticks() { local p t=0; for p in "$@"; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done; echo $t; }
# voluntary context switches of every thread: the process's wakeups
wakeups() {
	local p t n=0
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do n=$((n + $(awk '/^voluntary_ctxt_switches/ { print $2 }' "$t/status"))); done
	done
	echo $n
}
# PSS, not RSS: the reaper and keepalived's VRRP child are forks sharing
# pages with their parent, which RSS would count twice
pss_kb() { local p t=0; for p in "$@"; do t=$((t + $(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup"))); done; echo $t; }

start_system() {
	local sys=$1 n=$2 i d
	for i in 1 2 3; do
		d=$BED_DIR/n$i
		case "$sys" in
		corovip) bed_spawn "$i" corovipd "$COROVIPD" -f -c "$BED_DIR/corovip.conf" || return 1 ;;
		keepalived)
			ka_conf "$i" "$n"
			bed_spawn "$i" keepalived keepalived -n -l -D -G -P -f "$d/keepalived.conf" \
				-p "$d/ka-main.pid" -r "$d/ka-vrrp.pid" -c "$d/ka-checkers.pid" || return 1
			;;
		esac
	done
}

crash_n1() {
	local pids
	pids=$(bed_node_pids 1 | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -STOP $pids 2>/dev/null || true
	bed_cut 1 && bed_crash 1
}

# one_run SYSTEM N: RES="ipbatch_ms take_ms misses cpu_pct pss_kb crash_ms wakeups_s", crash_ms
# "split" when n2 held VIPs too before the crash (two holders)
one_run() {
	local sys=$1 n=$2 ipb take t0 c0 c1 w0 w1 wk pids rss cpu misses crash
	if [ "$sys" = corovip ]; then bed_cluster_up 3 >/dev/null || return 1; else bed_up 3 >/dev/null || return 1; fi
	bed_build_tools >/dev/null || return 1
	ipb=$(ip_batch_ms "$n") || return 1
	cv_conf "$n"
	count_start 1 "$n" && count_start 2 "$n" || return 1
	start_system "$sys" "$n" || return 1
	count_all 1 >/dev/null || { bed_fail "$sys: not all $n VIPs on n1: $(tail -2 "$BED_DIR/count1.log")"; return 1; }
	take=$(ms_between "$(count_at 1 first)" "$(count_at 1 all)")
	misses=$(client_misses "$n")
	sleep "$SETTLE_S"
	pids=$(sys_pids "$sys") || return 1
	# shellcheck disable=SC2086
	c0=$(cpu_ticks $pids) && w0=$(wakeups $pids)
	if [ -n "${PERF:-}" ]; then
		# shellcheck disable=SC2086
		perf record -q -g -o "$OUT/perf.$sys.$n.data" -p "$(echo $pids | tr ' ' ,)" -- sleep "$IDLE_S" 2>/dev/null
	else
		sleep "$IDLE_S"
	fi
	# shellcheck disable=SC2086
	c1=$(cpu_ticks $pids) && w1=$(wakeups $pids) && rss=$(pss_kb $pids) ||
		{ bed_fail "$sys: a process of n1 died while idle"; return 1; }
	cpu=$(awk -v d=$((c1 - c0)) -v hz="$(getconf CLK_TCK)" -v s="$IDLE_S" 'BEGIN { printf "%.2f\n", d / hz / s * 100 }')
	wk=$(awk -v d=$((w1 - w0)) -v s="$IDLE_S" 'BEGIN { printf "%.1f\n", d / s }')
	# n2 added VIPs while n1 held them: two holders (a result, not a
	# failure of the bed); the crash figure is then meaningless
	if grep -q '^first' "$BED_DIR/count2.log"; then
		RES="$ipb $take $misses $cpu $rss split $wk"
		return 0
	fi
	t0=$EPOCHREALTIME
	crash_n1 || return 1
	count_all 2 >/dev/null || { bed_fail "$sys: not all $n VIPs on n2 after the crash: $(tail -2 "$BED_DIR/count2.log")"; return 1; }
	crash=$(ms_between "$t0" "$(count_at 2 all)")
	RES="$ipb $take $misses $cpu $rss $crash $wk"
}

med() { sort -n | awk '$1 == "split" { s++; next } { v[++n] = $1 } END { if (n) print v[int((n + 1) / 2)] (s ? " (" s " split)" : ""); else print (s ? "two holders" : "-") }'; }

export BED_NO_TRAP=1
trap 'bed_down >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT TERM
echo "# system count run ipbatch_ms take_ms client_misses idle_cpu_pct rss_kb crash_ms idle_wakeups_s" >"$OUT/runs.tsv"
for n in $COUNTS; do
	for sys in $SYSTEMS; do
		for ((r = 1; r <= RUNS; r++)); do
			RES=""
			for try in 1 2 3; do
				if one_run "$sys" "$n" 2>"$OUT/err.$sys.$n.$r"; then
					cp "$BED_DIR"/n1/*.out "$BED_DIR"/*.log "$OUT/" 2>/dev/null || true
					bed_down >/dev/null 2>&1 || true
					break
				fi
				echo "scale-bench: $sys $n run $r try $try failed: $(tail -1 "$OUT/err.$sys.$n.$r")" >&2
				BED_KEEP=1 bed_down >/dev/null 2>&1 || true
				RES=""
			done
			[ -n "$RES" ] || { echo "scale-bench: $sys $n: every try failed" >&2; exit 1; }
			echo "$sys $n $r $RES" | tr ' ' '\t' >>"$OUT/runs.tsv"
			echo "$sys $n run $r: ip-batch ${RES%% *} ms; take/misses/cpu%/rss_kb/crash: ${RES#* }" >&2
		done
	done
done

col() { awk -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n { print $c }' "$OUT/runs.tsv" | med; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "-" }'; }
echo
echo "| VIPs | ip -batch | take: corovip | keepalived | ka/cv | take / ip -batch (cv) | crash→all: corovip | keepalived | ka/cv | idle CPU %: corovip | keepalived | PSS KiB: corovip | keepalived | wakeups/s: corovip | keepalived |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $COUNTS; do
	ipb=$(col corovip "$n" 4)
	ct=$(col corovip "$n" 5) kt=$(col keepalived "$n" 5)
	cc=$(col corovip "$n" 9) kc=$(col keepalived "$n" 9)
	echo "| $n | $ipb ms | $ct ms | $kt ms | $(ratio "$kt" "$ct") | $(ratio "$ct" "$ipb") | $cc ms | $kc ms | $(ratio "$kc" "$cc") |" \
		"$(col corovip "$n" 7) | $(col keepalived "$n" 7) | $(col corovip "$n" 8) | $(col keepalived "$n" 8) |" \
		"$(col corovip "$n" 10) | $(col keepalived "$n" 10) |"
done
echo
echo "two holders (n2 took VIPs while n1 held them, before any fault): corovip" \
	"$(awk '$1 == "corovip" && $9 == "split"' "$OUT/runs.tsv" | wc -l), keepalived" \
	"$(awk '$1 == "keepalived" && $9 == "split"' "$OUT/runs.tsv" | wc -l) runs"
echo "client misses (of up to 8 pings per run; must be 0): corovip $(awk '$1 == "corovip" { s += $6 } END { print s + 0 }' "$OUT/runs.tsv")," \
	"keepalived $(awk '$1 == "keepalived" { s += $6 } END { print s + 0 }' "$OUT/runs.tsv")"
