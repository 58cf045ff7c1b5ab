#!/bin/bash
# pacemaker-bench.sh - the OCF agent ocf:corovip:vip beside resource-agents'
# IPaddr2 in the same Pacemaker 2.1 cluster (not a timed test; the figures
# go to README.md "Benchmarks"):
#
#   1. the client-observed outage of a planned move (`crm_resource --move`
#      to the next node, then --clear), median of RUNS moves per agent, on
#      one cluster of 3 nodes + the client (tests/pacemaker/pmbed.sh);
#      target: ours at least 2x shorter;
#   2. the agent run directly inside node 3's namespaces (as pacemaker-execd
#      runs it: OCF_ROOT and OCF_RESKEY_* in the environment), with hyperfine:
#      `start` (prepared by `stop`), `monitor` (address present) and `stop`
#      (prepared by `start`), each as a ratio IPaddr2's time / ours (2.0x:
#      ours takes half the time). Measured here
#      before: IPaddr2 start 84 ms, stop 59 ms, monitor 48 ms.
# Until $BUILD/ocf/corovip-ocf-vip exists, IPaddr2's figures are printed alone.
# Addresses: 192.0.2.50/24 (the move), 198.51.100.7/32 (the direct runs);
# traffic stays in the bed's namespaces.
#
#   bench/pacemaker-bench.sh [BUILD] [RUNS]     (root; BUILD default build/normal, RUNS 5)
# env: HF_RUNS (hyperfine runs per action, default 30), BED_PREFIX (pmb)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build/normal}" 2>/dev/null && pwd) || build=${1:-$top/build/normal}
RUNS=${2:-5}
HF_RUNS=${HF_RUNS:-30}
export BED_PREFIX=${BED_PREFIX:-pmb} PM_VIP=192.0.2.50 PM_PLEN=24
PM_AGENT_BIN=$build/ocf/corovip-ocf-vip
T_VIP=198.51.100.7
[ "$(id -u)" = 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
for t in pacemakerd crm_resource hyperfine jq; do
	command -v "$t" >/dev/null || { echo "needs $t (tests/install-deps pacemaker)" >&2; exit 1; }
done
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [BUILD] [RUNS]" >&2; exit 2; }

cd "$top"
# shellcheck source=tests/pacemaker/pmbed.sh
. tests/pacemaker/pmbed.sh

die() {
	echo "pacemaker-bench: $*" >&2
	pm_logs_tail 15 >&2
	exit 1
}
log() { echo "# $*" >&2; }
next() { echo $(($1 % BED_N + 1)); }
median() { sort -g | awk '{ a[NR] = $1 } END { if (!NR) { print "-"; exit } m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.0f", m }'; }
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.0f-%.0f", lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.1fx", a / b }'; }

agents=(ocf:heartbeat:IPaddr2)
if pm_have_agent; then
	agents+=(ocf:corovip:vip)
else
	log "no $PM_AGENT_BIN (not built yet): IPaddr2's figures alone"
fi

pm_cluster_up 3 || die "the cluster did not come up"
bed_build_tools || die "could not build the checker's tools"
log "3 nodes: corosync + Pacemaker $(pacemakerd --version | awk 'NR==1 {print $2}'), DC $(pm_dc 1)"

# --- 1. planned move, client-observed outage ----------------------------------
declare -A GAPS=()
for agent in "${agents[@]}"; do
	rsc=vip-${agent##*:}
	pm_rsc_create "$rsc" "$agent" ip="$PM_VIP" cidr_netmask="$PM_PLEN" nic=eth0 >/dev/null || die "$agent: could not create $rsc"
	bed_watch_start "$PM_VIP" "w-$rsc" >/dev/null || die "addrwatch did not start"
	bed_wait_until 60000 "one node to hold $PM_VIP" pm_one_holder "w-$rsc" >/dev/null || die "$agent: $rsc did not start"
	h=$(pm_holder_now "w-$rsc")
	bed_watch_stop "w-$rsc" >/dev/null
	pm_wait_located "$rsc" "$h" 30000 >/dev/null || die "$agent: Pacemaker does not have $rsc on $h"
	pm_wait_idle 60000 >/dev/null || die "$agent: the start did not settle"
	pm_answers || die "$agent: no reply from $PM_VIP"
	gaps=""
	for run in $(seq 1 "$RUNS"); do
		t=n$(next "${h#n}")
		pm_move "$rsc" "$t" "$(next "${t#n}")" "$rsc-$run" || die "$agent: move $h -> $t: $PM_WHY"
		log "$agent: move $run/$RUNS $h -> $t: outage $PM_GAP ms (address on $t after $PM_TAKE_MS ms, two holders in $PM_MULTI samples)"
		gaps+="$PM_GAP "
		h=$t
	done
	GAPS[$agent]=$gaps
	pm_rsc_delete "$rsc" >/dev/null || die "$agent: could not delete $rsc"
	pm_wait_located "$rsc" "" 30000 >/dev/null || die "$agent: Pacemaker still has $rsc"
	pm_wait_idle 60000 >/dev/null || die "the cluster did not settle after deleting $rsc"
	[ -z "$(bed_holders "$PM_VIP")" ] || die "$agent: $PM_VIP left on $(bed_holders "$PM_VIP")"
done

# --- 2. the agent run directly, hyperfine -------------------------------------
declare -A HF=()
hf() { # AGENT PATH: start, monitor, stop in node 3
	local agent=$1 path=$2 j="$BED_DIR/hf-${1##*:}" env
	env=(env OCF_ROOT=/usr/lib/ocf OCF_RESOURCE_INSTANCE=bench OCF_RESOURCE_TYPE="${agent##*:}"
		OCF_RESOURCE_PROVIDER="$(echo "$agent" | cut -d: -f2)"
		OCF_RESKEY_ip="$T_VIP" OCF_RESKEY_cidr_netmask=32 OCF_RESKEY_nic=eth0)
	PM_X_TIMEOUT=900 pm_x 3 "${env[@]}" hyperfine -N --style none --warmup 2 --runs "$HF_RUNS" \
		--export-json "$j-start.json" --prepare "$path stop" "$path start" >/dev/null ||
		die "$agent: hyperfine start failed"
	pm_x 3 "${env[@]}" "$path" start >/dev/null 2>&1 || die "$agent: start failed"
	PM_X_TIMEOUT=900 pm_x 3 "${env[@]}" hyperfine -N --style none --warmup 2 --runs "$HF_RUNS" \
		--export-json "$j-monitor.json" "$path monitor" >/dev/null || die "$agent: hyperfine monitor failed"
	PM_X_TIMEOUT=900 pm_x 3 "${env[@]}" hyperfine -N --style none --warmup 2 --runs "$HF_RUNS" \
		--export-json "$j-stop.json" --prepare "$path start" "$path stop" >/dev/null ||
		die "$agent: hyperfine stop failed"
	pm_x 3 "${env[@]}" "$path" stop >/dev/null 2>&1 || die "$agent: stop failed"
	[[ "$(ip -n "$(bed_ns 3)" -o addr show)" != *" $T_VIP/"* ]] || die "$agent: $T_VIP left on n3"
	for a in start monitor stop; do
		HF[$agent.$a]=$(jq -r '.results[0] | "\(.mean * 1000) \(.stddev * 1000)"' "$j-$a.json")
	done
}
hf ocf:heartbeat:IPaddr2 "$PM_IPADDR2"
pm_have_agent && hf ocf:corovip:vip "$PM_AGENT_BIN"

# --- table ------------------------------------------------------------------------
ip2=ocf:heartbeat:IPaddr2 cv=ocf:corovip:vip
m_ip2=$(echo "${GAPS[$ip2]}" | tr ' ' '\n' | grep . | median)
m_cv=-
[ -z "${GAPS[$cv]:-}" ] || m_cv=$(echo "${GAPS[$cv]}" | tr ' ' '\n' | grep . | median)
echo "Pacemaker $(pacemakerd --version | awk 'NR==1 {print $2}'), corosync token $(bed_cmap 1 runtime.config.totem.token) ms, 3 nodes; $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
echo
echo "crm_resource --move, client-observed outage (1 ms ICMP echo), median of $RUNS:"
printf '  %-24s %10s %12s\n' agent median_ms range_ms
printf '  %-24s %10s %12s\n' "$ip2" "$m_ip2" "$(echo "${GAPS[$ip2]}" | tr ' ' '\n' | grep . | minmax)"
if [ "$m_cv" != - ]; then
	printf '  %-24s %10s %12s\n' "$cv" "$m_cv" "$(echo "${GAPS[$cv]}" | tr ' ' '\n' | grep . | minmax)"
	printf '  %-24s %10s   (target: 2.0x or more)\n' "IPaddr2 / corovip" "$(ratio "$m_ip2" "$m_cv")"
fi
echo
echo "the agent run directly in a node (hyperfine, $HF_RUNS runs, mean ± sd, ms):"
printf '  %-8s %16s %16s %13s\n' action IPaddr2 corovip IPaddr2/ours
for a in start monitor stop; do
	read -r i_m i_s <<<"${HF[$ip2.$a]}"
	c_m=- c_s=-
	[ -z "${HF[$cv.$a]:-}" ] || read -r c_m c_s <<<"${HF[$cv.$a]}"
	printf '  %-8s %16s %16s %13s\n' "$a" "$(printf '%.1f ± %.1f' "$i_m" "$i_s")" \
		"$([ "$c_m" = - ] && echo - || printf '%.1f ± %.1f' "$c_m" "$c_s")" "$(ratio "$i_m" "$c_m")"
done
