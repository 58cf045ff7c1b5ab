#!/bin/bash
# failover-bench.sh - the client-observed outage per failover scenario, for
# corovip and for keepalived run the same way on the same machine (not a
# timed test; the figures go to README.md "Benchmarks"):
#
#   the test bed of tests/integration/bed.sh (3 nodes and a client on one
#   bridge, in network namespaces), the same VIP (192.0.2.50/24 on eth0),
#   the same prober (tests/tools/probe.c: ICMP echo every 1 ms from the
#   client; the outage is its longest gap between two replies) and the same
#   checker (tests/tools/addrwatch.c: every node's addresses every 10 ms; a
#   sample with two holders is split-brain; a crashed node is not counted).
#
#   corovip:    real corosync 3 per node (token 300 ms, token_coefficient 0,
#               knet ping 100/500 ms, as the bed sets them), corovipd on each
#               node, `prefer: n1`, `preempt: yes`.
#   keepalived: VRRP (v3 below 1 s adverts, multicast in the bridge), advert
#               0.1 s and, as a second column, 1 s (its default); priorities
#               n1 150, n2 100, n3 50; preempt (its default), so n1 is master
#               as n1 is corovip's preferred holder.
#   Pacemaker:  Pacemaker 2.1 + resource-agents' IPaddr2 on the same corosync
#               (tests/pacemaker/pmbed.sh: the same token, stonith disabled
#               as there is nothing to fence with, no-quorum-policy=stop,
#               stickiness 100), the VIP's resource preferring n1 (score 50),
#               monitor every 10 s (PM_MONITOR).
#
# Every run starts on a fresh bed with the VIP on n1. Scenarios (SCENARIOS):
#   none       no fault: the probe's longest gap on this machine (noise floor)
#   crash      holder node crash: every process of n1 frozen, its link cut,
#              then all killed (bed_crash after a SIGSTOP, see fb_crash)
#   kill9      kill -9 of the holder's daemon (corovipd alone: its reaper
#              acts; keepalived: both of its processes; Pacemaker: every
#              Pacemaker daemon of the node, corosync stays; nothing cleans up)
#   stop       planned move: SIGTERM to the holder's daemon (graceful;
#              Pacemaker: to pacemakerd, which stops the VIP and leaves)
#   prefer     planned move: corovip `prefer: n2` + SIGHUP to every daemon;
#              keepalived n2's priority 200 + SIGHUP to n2's keepalived;
#              Pacemaker `crm_resource --move` to n2
#   cut        holder link cut (switch side down: n1 sees NO-CARRIER)
#   partition  silent partition {n1} | {n2, n3, client}, no carrier change
#   nonholder  crash of n2 (not the holder): no outage expected
#   sigstop    corosync SIGSTOP on the holder (keepalived: its VRRP process,
#              the part that speaks to the peers); left frozen
#   heal       the partition above, the takeover, then the heal: the outage
#              and two holders counted from the heal on (the checker starts
#              after the takeover; a peer still holding on n1 is counted)
# and, for corovip, the time from the new holder's corosync quorum callback
# (tests/tools/qwatch.c, the first quorate view without n1) to the first
# reply the client gets from the VIP, for crash, cut and partition.
# `ip -ts monitor address` on every node tells, when the sampler saw two
# holders, whether the kernels' events overlapped (n1's delete after the new
# holder's add) or the sampler read n1 just before the move.
# A run whose bed failed under it (not a result) is tried up to 3 times.
#
#   bench/failover-bench.sh [BUILDDIR]      (root; default build/bench)
# env: RUNS (5) runs per scenario and system, medians printed;
#      SCENARIOS (all of the above), KA_ADVERTS ("0.1 1"; "" skips keepalived),
#      PACEMAKER=1 adds Pacemaker + IPaddr2 (tests/install-deps pacemaker),
#      NO_COROVIP=1 skips corovip, BED_TOKEN, BED_KNET_PING_INTERVAL,
#      BED_KNET_PING_TIMEOUT, BED_TOTEM_EXTRA (corosync's timers, for every
#      system), BED_CV_CLUSTER (corovipd's cluster lines, e.g.
#      "heartbeat: 20ms"), OUT (results directory, default
#      BUILDDIR/failover-bench: runs.tsv and each run's logs).
# Installs keepalived with apt-get if it is missing. The bed's namespaces
# are bn* (BED_PREFIX=bn), so tests using the default cv* can run beside it;
# the bed is torn down after every run and at exit, whatever happens.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build/bench}" && pwd)
COROVIPD=$build/agent/corovipd
RUNS=${RUNS:-5}
SCENARIOS=${SCENARIOS:-none crash kill9 stop prefer cut partition heal sigstop nonholder}
KA_ADVERTS=${KA_ADVERTS-0.1 1}
OUT=${OUT:-$build/failover-bench}
VIP=192.0.2.50
WARM_S=0.3 # probe running before the fault
# deadlines that grow with corosync's token (a WAN set detects in seconds)
WAIT_MS=$((10000 + 4 * ${BED_TOKEN:-300}))

[ "$(id -u)" = 0 ] || { echo "failover-bench: needs root (network namespaces)" >&2; exit 1; }
[ -n "${NO_COROVIP:-}" ] || [ -x "$COROVIPD" ] ||
	{ echo "no $COROVIPD: mkdir -p build/bench && cd build/bench && ../../configure && make -j2" >&2; exit 1; }
if [ -n "$KA_ADVERTS" ] && ! command -v keepalived >/dev/null; then
	echo "failover-bench: installing keepalived" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y keepalived >/dev/null
fi

cd "$top"
export BED_PREFIX=bn
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
if [ -n "${PACEMAKER:-}" ]; then
	export PM_VIP=$VIP PM_PLEN=24
	# shellcheck source=tests/pacemaker/pmbed.sh
	. tests/pacemaker/pmbed.sh
fi

mkdir -p "$OUT"
TSV=$OUT/runs.tsv
printf 'system\tscenario\trun\toutage_ms\ttail_lost\tmulti\tmulti_ms\tdetect_ms\tcb_answer_ms\tholders_after\tnote\tzero_samples\toverlap_ms\n' >"$TSV"
log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

# ------------------------------------------------------------ the checker

# The latest sample of addrwatch: the holders that count (a crashed node's
# address reaches nobody and is not counted), comma separated, or "-".
live_holders() {
	local now h c n out=""
	now=$(bed_watch_now)
	h=$(bed_field holders "$now")
	c=$(bed_field crashed "$now")
	for n in ${h//,/ }; do
		[ "$n" = - ] && continue
		[[ ",$c," == *",$n,"* ]] || out+=",$n"
	done
	out=${out#,}
	echo "${out:--}"
}
# Some node other than $1 holds the VIP (alone or not).
other_holds() {
	local h
	h=$(live_holders)
	BED_LAST="holders=$h"
	[ "$h" != - ] && [ "$h" != "$1" ]
}
# bed_holders (one look, no sampler) is exactly $1, $2 looks in a row.
STEADY=0
steady_holder() {
	if [ "$(bed_holders "$VIP")" = "$1" ]; then STEADY=$((STEADY + 1)); else STEADY=0; fi
	BED_LAST="holders: $(bed_holders "$VIP") ($STEADY in a row)"
	[ "$STEADY" -ge "$2" ]
}
# The client gets an echo reply from the VIP within $1 s.
answers() { ip netns exec "$(bed_ns c)" "$BED_PROBE" -f -q -t "${1:-10}" "$VIP" >/dev/null; }

# A node crash in which no process of the node acts after the instant of
# the crash: bed_crash kills the node's processes one by one, and a child
# can get its parent-death signal before its own SIGKILL (keepalived's VRRP
# process then sends its priority-0 "shutdown" advert, a graceful stop, not
# a crash). So: freeze them all, cut the link, then bed_crash (SIGKILL to
# every process, waits until they are gone).
fb_crash() {
	local pids
	pids=$(bed_node_pids "$1" | tr '\n' ' ')
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -STOP $pids 2>/dev/null || true
	bed_cut "$1" && bed_crash "$1"
}

# net_fault SCENARIO: the faults of the bed itself, the same for every
# system (the others are each system's own)
net_fault() {
	case "$1" in
	crash) fb_crash 1 ;;
	cut) bed_cut 1 ;;
	partition) bed_partition 1 "2 3 c" ;;
	heal) bed_heal_all ;;
	nonholder) fb_crash 2 ;;
	none) ;;
	*) return 2 ;;
	esac
}

# The kernel's address events of every node (ip -ts monitor), to tell a
# real overlap of two holders from the sampler reading n1 before n2.
mon_start() {
	local i
	for i in 1 2 3; do bed_bg "mon$i" ip -n "$(bed_ns "$i")" -ts monitor address || return 1; done
	sleep 0.1
}
# mon_time NODE add|del: epoch seconds of NODE's first add (or delete) of the VIP.
mon_time() {
	local line ts
	line=$(grep -F " $VIP/" "$BED_DIR/mon$1.log" 2>/dev/null | if [ "$2" = del ]; then grep Deleted; else grep -v Deleted; fi | head -1)
	[ -n "$line" ] || return 1
	ts=${line#[}
	ts=${ts%%]*}
	date -d "${ts/T/ }" +%s.%N
}
# overlap_ms NEW: n1's delete of the VIP minus NEW's add, in ms (> 0: both
# held it for that long); "open" if n1 never deleted it, "-" if NEW never added.
overlap_ms() {
	local a d
	a=$(mon_time "$1" add) || { echo -; return 0; }
	d=$(mon_time 1 del) || { echo open; return 0; }
	awk -v a="$a" -v d="$d" 'BEGIN { printf "%.1f\n", (d - a) * 1000 }'
}

# ------------------------------------------------------------ corovip

cv_conf() { bed_corovip_conf "$VIP/24" "$1" "preempt: yes"; }

cv_up() {
	local i
	bed_cluster_up 3 || return 1
	bed_build_tools >/dev/null || return 1
	cv_conf n1
	for i in 1 2 3; do bed_spawn "$i" corovipd "$COROVIPD" -f -c "$BED_DIR/corovip.conf" || return 1; done
	STEADY=0
	bed_wait_until $((WAIT_MS + 5000)) "n1 to hold $VIP" steady_holder n1 5 >/dev/null || return 1
	for i in 1 2 3; do bed_qwatch_start "$i" >/dev/null || return 1; done
	# the timers corovipd derived (for the target line)
	if [ -z "${CV_TIMERS:-}" ]; then
		CV_TIMERS=$(sed -n 's/.*\(lease [0-9]* ms, guard [0-9]* ms (corosync token [0-9]* ms, consensus [0-9]* ms)\).*/\1/p' \
			"$BED_DIR/n1/corovipd.out" | tail -1)
	fi
}

cv_fault() {
	case "$1" in
	kill9) bed_kill 1 corovipd ;;
	stop) bed_signal 1 corovipd TERM ;;
	prefer)
		cv_conf n2
		# one kill(1): the three SIGHUPs leave within microseconds
		kill -HUP "$(bed_pid 1 corovipd)" "$(bed_pid 2 corovipd)" "$(bed_pid 3 corovipd)"
		;;
	sigstop) bed_corosync_sigstop 1 ;;
	*) net_fault "$1" ;;
	esac
}

cv_after() {
	case "$1" in
	nonholder) bed_wait_quorate 1 "$WAIT_MS" "1 3" >/dev/null ;;
	none) ;;
	prefer) bed_wait_until "$WAIT_MS" "n2 to hold $VIP" other_holds n1 >/dev/null ;;
	# preempt: back to n1
	heal) STEADY=0 && bed_wait_until "$WAIT_MS" "n1 alone to hold $VIP" steady_holder n1 3 >/dev/null ;;
	*) bed_wait_until "$WAIT_MS" "a node other than n1 to hold $VIP" other_holds n1 >/dev/null ;;
	esac
}

# heal's first act, before the checker starts: the partition, the
# takeover, a second of calm (every system)
pre_heal() {
	bed_partition 1 "2 3 c" || return 1
	bed_wait_until 30000 "a node other than n1 to hold $VIP" other_holds_direct n1 >/dev/null || return 1
	sleep 1
}
# other_holds without the sampler (not started yet): a node other than $1
# has the VIP (n1 may too)
other_holds_direct() {
	local h
	h=$(bed_holders "$VIP")
	BED_LAST="holders=${h:--}"
	[[ " $h " =~ \ n[2-9]\  ]]
}

# ------------------------------------------------------------ keepalived

ka_conf() { # node prio adv
	local v=2
	awk -v a="$3" 'BEGIN { exit !(a < 1) }' && v=3
	cat >"$BED_DIR/n$1/keepalived.conf" <<EOC
global_defs {
    router_id n$1
    vrrp_version $v
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int $3
    virtual_ipaddress {
        $VIP/24 dev eth0
    }
}
EOC
}

KA_PRIO=(0 150 100 50)
ka_up() {
	local adv=$1 i d
	bed_up 3 >/dev/null || return 1
	bed_build_tools >/dev/null || return 1
	for i in 1 2 3; do
		d=$BED_DIR/n$i
		ka_conf "$i" "${KA_PRIO[$i]}" "$adv"
		bed_spawn "$i" keepalived keepalived -n -l -D -G -P -f "$d/keepalived.conf" \
			-p "$d/ka-main.pid" -r "$d/ka-vrrp.pid" -c "$d/ka-checkers.pid" || return 1
	done
	STEADY=0
	bed_wait_until 20000 "n1 to hold $VIP" steady_holder n1 10 >/dev/null || return 1
	# the backups have seen n1's adverts for a while
	sleep "$(awk -v a="$adv" 'BEGIN { print 2 * a + 0.5 }')"
	[ -s "$BED_DIR/n1/ka-vrrp.pid" ] || { bed_fail "keepalived on n1 wrote no VRRP pid file"; return 1; }
}

ka_fault() {
	local d=$BED_DIR/n1
	case "$1" in
	# the VRRP child first: killed after its parent it would get SIGTERM
	# (parent-death signal) and clean up
	kill9) kill -KILL "$(cat "$d/ka-vrrp.pid")" "$(bed_pid 1 keepalived)" ;;
	stop) bed_signal 1 keepalived TERM ;;
	prefer)
		ka_conf 2 200 "$2"
		kill -HUP "$(bed_pid 2 keepalived)"
		;;
	sigstop) kill -STOP "$(cat "$d/ka-vrrp.pid")" ;;
	*) net_fault "$1" ;;
	esac
}

ka_after() {
	case "$1" in
	nonholder) sleep "$(awk -v a="$2" 'BEGIN { print 3 * a + 0.5 }')" ;;
	none) ;;
	# preempt: n1 (still master on its side) stays or becomes master
	heal) STEADY=0 && bed_wait_until 20000 "n1 alone to hold $VIP" steady_holder n1 3 >/dev/null ;;
	*) bed_wait_until 20000 "a node other than n1 to hold $VIP" other_holds n1 >/dev/null ;;
	esac
}

# ------------------------------------------------------------ Pacemaker

PM_RSC=vip
pm_up() {
	pm_cluster_up 3 >/dev/null || return 1
	bed_build_tools >/dev/null || return 1
	pm_rsc_create "$PM_RSC" ocf:heartbeat:IPaddr2 ip="$VIP" cidr_netmask=24 nic=eth0 >/dev/null || return 1
	pm_x 1 cibadmin --create -o constraints \
		--xml-text "<rsc_location id=\"$PM_RSC-prefers-n1\" rsc=\"$PM_RSC\" node=\"n1\" score=\"50\"/>" >/dev/null || return 1
	STEADY=0
	bed_wait_until 60000 "n1 to hold $VIP" steady_holder n1 5 >/dev/null || return 1
	pm_wait_located "$PM_RSC" n1 30000 >/dev/null && pm_wait_idle 60000 >/dev/null
}

pm_fault() {
	local pids
	case "$1" in
	kill9) mapfile -t pids < <(pm_pcmk_pids 1) && kill -KILL "${pids[@]}" ;;
	# graceful: pacemakerd stops its resources, then leaves
	stop) bed_signal 1 pacemakerd TERM ;;
	prefer) pm_x 2 crm_resource --move --resource "$PM_RSC" --node n2 >/dev/null 2>&1 ;;
	sigstop) bed_corosync_sigstop 1 ;;
	*) net_fault "$1" ;;
	esac
}

pm_after() {
	case "$1" in
	nonholder) bed_wait_quorate 1 5000 "1 3" >/dev/null && pm_wait_idle 30000 >/dev/null ;;
	none) ;;
	# stickiness: the VIP stays where it went; the cluster whole again
	heal) bed_wait_quorate 1 10000 "1 2 3" >/dev/null && pm_wait_idle 60000 2 >/dev/null ;;
	*) bed_wait_until 60000 "a node other than n1 to hold $VIP" other_holds n1 >/dev/null ;;
	esac
}

# ------------------------------------------------------------ one run

# settle_s SYSTEM: how long a run watches on after the takeover, s (a late
# second holder or a second outage counts too)
settle_s() {
	case $1 in
	corovip) echo 1 ;;
	pacemaker) echo 2 ;;
	ka*) awk -v a="${1#ka}" 'BEGIN { print 3 * a + 1 }' ;;
	esac
}

# run SYSTEM SCENARIO RUN [ADVERT]: a fresh bed, the fault, the figures
# appended to runs.tsv. SYSTEM is corovip or ka<ADVERT>.
run() {
	local sys=$1 sc=$2 r=$3 adv=${4:-} t0 r_probe s_watch note="" detect=- cb=- after settle ov=-
	local rdir=$OUT/$sys-$sc-$r
	RUN_INFRA=0
	rm -rf "$rdir" && mkdir -p "$rdir"
	settle=$(settle_s "$sys")
	case $sys in
	corovip) cv_up || note="bed or daemons did not come up" ;;
	pacemaker) pm_up || note="bed or Pacemaker did not come up" ;;
	*) ka_up "$adv" || note="bed or keepalived did not come up" ;;
	esac
	[ -n "$note" ] || [ "$sc" != heal ] || pre_heal || note="no takeover at the partition before the heal"
	if [ -z "$note" ]; then
		bed_watch_start "$VIP" >/dev/null && mon_start && answers 5 && bed_probe_start "$VIP" probe >/dev/null ||
			note="the checker or the probe did not start"
	fi
	if [ -z "$note" ]; then
		sleep "$WARM_S"
		bed__now
		t0=$BED__NOW
		case $sys in
		corovip)
			cv_fault "$sc" || note="fault failed"
			cv_after "$sc" || note="no takeover"
			;;
		pacemaker)
			pm_fault "$sc" || note="fault failed"
			pm_after "$sc" || note="no takeover"
			;;
		*)
			ka_fault "$sc" "$adv" || note="fault failed"
			ka_after "$sc" "$adv" || note="no takeover"
			;;
		esac
		[ -n "$note" ] || answers 10 || note="the client gets no answer"
		# keep watching: a late second holder or a second outage counts too
		sleep "$settle"
		after=$(live_holders)
		r_probe=$(bed_probe_stop probe) || true
		s_watch=$(bed_watch_stop watch) || true
		# the bed's directory went while the run was on (a cleanup of
		# /tmp/cvbed.* by another test on this shared machine): no figures
		[ -f "$BED_DIR/bg.pids" ] || { RUN_INFRA=1; note="the bed's directory vanished"; }
		case "$after" in
		n1) ;;
		n[23]) ov=$(overlap_ms "${after#n}") ;;
		n1,n[23]) ov=$(overlap_ms "${after#n1,n}") ;;
		esac
		if [ "$sys" = corovip ] && [[ "$sc" =~ ^(crash|cut|partition)$ ]] && [[ "$after" =~ ^n[23]$ ]]; then
			# the new holder's first quorate view without n1, to the
			# client's first reply after the outage
			if bed__event "${after#n}" "$t0" 'QUORUM quorate=1 .* members=2,3$'; then
				# from the client's last reply before the outage
				detect=$(awk -v e="$BED_EVENT_US" -v a="$(bed_field maxgap_start "$r_probe")" \
					'BEGIN { printf "%.1f", e / 1000 - a * 1000 }')
				cb=$(awk -v e="$BED_EVENT_US" -v a="$(bed_field maxgap_end "$r_probe")" \
					'BEGIN { printf "%.1f", a * 1000 - e / 1000 }')
			fi
		fi
		[ "$RUN_INFRA" = 1 ] ||
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sys" "$sc" "$r" \
			"$(bed_field maxgap_ms "$r_probe")" "$(bed_field tail_lost "$r_probe")" \
			"$(bed_field multi "$s_watch")" "$(bed_field multi_ms "$s_watch")" \
			"$detect" "$cb" "$after" "${note:--}" "$(bed_field zero_samples "$s_watch")" "$ov" >>"$TSV"
	else
		RUN_INFRA=1
	fi
	if [ "$RUN_INFRA" = 1 ] && [ "$ATTEMPT" -lt 3 ]; then
		echo "$sys $sc run $r: $note; trying again" >&2
	elif [ "$RUN_INFRA" = 1 ]; then
		printf '%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\t%s\t-\t-\n' "$sys" "$sc" "$r" "$note" >>"$TSV"
	fi
	# keep the logs of the run
	if [ -n "$BED_DIR" ] && [ -d "$BED_DIR" ]; then
		find "$BED_DIR" -maxdepth 2 -type f \( -name '*.log' -o -name '*.out' -o -name '*.conf' \) |
			while read -r f; do
				g=${f#"$BED_DIR"/}
				cp "$f" "$rdir/${g//\//-}" 2>/dev/null || true
			done
	fi
	bed_down || true
	[ "$RUN_INFRA" = 0 ] || [ "$ATTEMPT" -ge 3 ] || return 0
	tail -1 "$TSV" | awk -F'\t' '{ printf "%-10s %-9s run %s: outage %s ms, two holders in %s samples, holders after: %s%s\n",
		$1, $2, $3, $4, $6, $10, ($11 != "-" ? " (" $11 ")" : "") }' >&2
}

# ------------------------------------------------------------ main

systems=()
[ -n "${NO_COROVIP:-}" ] || systems+=(corovip)
for a in $KA_ADVERTS; do systems+=("ka$a"); done
[ -z "${PACEMAKER:-}" ] || systems+=(pacemaker)
log "failover benchmark: ${systems[*]}; scenarios: $SCENARIOS; $RUNS run(s) each; logs in $OUT"
for sc in $SCENARIOS; do
	for ((r = 1; r <= RUNS; r++)); do
		for sys in "${systems[@]}"; do
			# a run the bed failed under (not a result) is tried up to 3 times
			for ATTEMPT in 1 2 3; do
				case $sys in
				ka*) run "$sys" "$sc" "$r" "${sys#ka}" 2>>"$OUT/bench.log" ;;
				*) run "$sys" "$sc" "$r" 2>>"$OUT/bench.log" ;;
				esac
				tail -1 "$OUT/bench.log" >&2
				[ "$RUN_INFRA" = 1 ] || break
			done
		done
	done
done

# ------------------------------------------------------------ the table

# median of a column over the runs of one system and scenario ("-" if none)
med() {
	awk -F'\t' -v s="$1" -v c="$2" -v k="$3" '$1 == s && $2 == c && $k != "-" && $k != "" { print $k }' "$TSV" |
		sort -g | awk '{ a[NR] = $1 } END { if (!NR) print "-"; else if (NR % 2) printf "%.1f\n", a[(NR + 1) / 2];
			else printf "%.1f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
# runs with two holders at one sample / runs measured
splits() {
	awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $2 == c && $6 != "-" { n++; if ($6 > 0) k++ }
		END { if (!n) print "-"; else printf "%d/%d\n", k, n }' "$TSV"
}
# runs that ended in an outage or failed, as a suffix
fails() {
	awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $2 == c && ($5 > 10 || $11 != "-") { k++ }
		END { if (k) printf " (%d failed)", k }' "$TSV"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2fx\n", a / b }'; }
ms() { [ "$1" = - ] && echo - || echo "$1 ms"; }
peer_label() { case $1 in ka*) echo "keepalived ${1#ka} s" ;; pacemaker) echo "Pacemaker + IPaddr2" ;; *) echo "$1" ;; esac; }

declare -A LABEL=(
	[none]="no fault (noise floor)"
	[crash]="holder node crash"
	[kill9]="holder daemon kill -9"
	[stop]="planned move: SIGTERM holder"
	[prefer]="planned move: prefer/priority + HUP"
	[cut]="holder link cut"
	[partition]="partition {holder}|{rest}"
	[nonholder]="non-holder crash"
	[heal]="partition healed"
	[sigstop]="corosync SIGSTOP on the holder"
)

{
	echo
	echo "Client-observed outage (longest gap of a 1 ms ICMP probe from the client), median of $RUNS run(s);"
	echo "ratio = peer / corovip (above 1: corovip is faster); split-brain = runs in which the"
	echo "10 ms address sampler saw two live holders at once."
	echo
	peers=()
	for sys in "${systems[@]}"; do [ "$sys" = corovip ] || peers+=("$sys"); done
	hdr="| scenario | corovip"
	sep="|---|---:"
	for p in "${peers[@]}"; do hdr+=" | $(peer_label "$p") | ratio"; sep+="|---:|---:"; done
	hdr+=" | split-brain corovip"
	sep+="|---:"
	for p in "${peers[@]}"; do hdr+=" | split-brain $(peer_label "$p")"; sep+="|---:"; done
	echo "$hdr |"
	echo "$sep|"
	for sc in $SCENARIOS; do
		cv=$(med corovip "$sc" 4)
		line="| ${LABEL[$sc]:-$sc} | $(ms "$cv")$(fails corovip "$sc")"
		for p in "${peers[@]}"; do
			k=$(med "$p" "$sc" 4)
			if [ "$sc" = none ]; then rt=-; else rt=$(ratio "$k" "$cv"); fi
			line+=" | $(ms "$k")$(fails "$p" "$sc") | $rt"
		done
		line+=" | $(splits corovip "$sc")"
		for p in "${peers[@]}"; do line+=" | $(splits "$p" "$sc")"; done
		echo "$line |"
	done
	echo
	for sc in $SCENARIOS; do
		for sys in "${systems[@]}"; do
			d=$(awk -F'\t' -v s="$sys" -v c="$sc" '$1 == s && $2 == c && $6 > 0 { print $7 }' "$TSV" | sort -g |
				awk '{ a[NR] = $1 } END { if (NR) printf "%.0f", a[int((NR + 1) / 2)] }')
			[ -n "$d" ] || continue
			printf '%s, %s: two holders for %s ms (median of the runs with split-brain; a run ends %s s after the takeover);\n' \
				"${LABEL[$sc]}" "$sys" "$d" "$(settle_s "$sys")"
			printf '    n1'"'"'s delete of the VIP minus the new holder'"'"'s add, by the kernels'"'"' address events, ms (open: never deleted): %s\n' \
				"$(awk -F'\t' -v s="$sys" -v c="$sc" '$1 == s && $2 == c && $6 > 0 { printf "%s%s", (n++ ? ", " : ""), $13 }' "$TSV")"
		done
	done
	if [[ " $SCENARIOS " == *" nonholder "* ]]; then
		for sys in "${systems[@]}"; do
			printf 'non-holder crash, %s: VIP on no node at some sample in %s runs\n' "$sys" \
				"$(awk -F'\t' -v s="$sys" '$1 == s && $2 == "nonholder" && $12 != "-" { n++; if ($12 > 0) k++ }
					END { printf "%d/%d", k, n }' "$TSV")"
		done
	fi
	if [ -z "${NO_COROVIP:-}" ] && [[ " $SCENARIOS " =~ \ (crash|cut|partition)\  ]]; then
		echo
		echo "corovip, new holder's quorum callback (first quorate view without n1) -> VIP answers the client (median):"
		for sc in crash cut partition; do
			[[ " $SCENARIOS " == *" $sc "* ]] || continue
			printf '  %-28s detection %s, callback -> answer %s\n' "${LABEL[$sc]}" \
				"$(ms "$(med corovip "$sc" 8)")" "$(ms "$(med corovip "$sc" 9)")"
		done
	fi
	echo
	echo "Targets (issue 6), for reference: unplanned outage <= detection + guard + 5 ms (about 0.8 s at"
	echo "token 300); planned move <= 20 ms; daemon kill -9 <= 100 ms; no outage on a non-holder crash;"
	echo "0 split-brain where keepalived shows it."
	if [ -n "${CV_TIMERS:-}" ]; then
		echo "corovipd's timers in this run: $CV_TIMERS;"
		echo "$CV_TIMERS" | sed -n 's/.*guard \([0-9]*\) ms .*token \([0-9]*\) ms, consensus \([0-9]*\) ms.*/\2 \3 \1/p' |
			while read -r tk cs gd; do
				echo "unplanned target here: token $tk + consensus $cs + guard $gd + 5 = $((tk + cs + gd + 5)) ms"
			done
	fi
	echo "Runs and logs: $OUT"
} | tee "$OUT/table.md"
