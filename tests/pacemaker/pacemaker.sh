#!/bin/bash
# pacemaker.sh - the OCF agent ocf:corovip:vip in a real Pacemaker 2.1
# cluster, beside resource-agents' IPaddr2, which it replaces.
#
# One cluster of 3 nodes (tests/pacemaker/pmbed.sh: the integration bed's
# namespaces, corosync and pacemakerd per node) and the client, started
# once. Then, for AGENT = ocf:heartbeat:IPaddr2 and ocf:corovip:vip with
# the same parameters (ip=192.0.2.50 cidr_netmask=24 nic=eth0, monitor 10s):
#   start    the resource starts on one node: the address is on that node's
#            eth0 and nowhere else, Pacemaker agrees, the client gets replies
#   move     crm_resource --move to another node: the address is on the new
#            node only, never on two at once; the client's longest outage
#   kill     kill -9 of the holder's corosync and Pacemaker daemons: the
#            survivors recover the VIP on another node; the client's outage
#            and the time until the new node had the address (printed), and
#            whether the killed node still holds its address (no fencing:
#            nothing removes an IPaddr2 address there)
#   rejoin   the killed node starts again; Pacemaker's probe finds what it
#            left, and the cluster ends with exactly one holder
#   delete   crm_resource --cleanup, then the resource is deleted (Pacemaker
#            stops it): no address on any node
#   ocf-tester -n vip -o ip=198.51.100.7 -o cidr_netmask=32 -o nic=eth0 on
#            the agent, inside node 3's namespaces
# The corovip agent is $BUILD/ocf/corovip-ocf-vip; until it is built, only
# IPaddr2 is tested and a SKIP line says so.
#
#   tests/pacemaker/pacemaker.sh [BUILD]    (root; BUILD default build/normal)
# env: BED_PREFIX (namespace prefix, default pm), BED_KEEP=1 (keep logs),
#      PM_AGENTS (the agents to test, default both)
# Exit: 0 pass, 1 fail (logs' tails printed), 77 skipped (not root, or
# Pacemaker not installed: tests/install-deps pacemaker).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" 2>/dev/null && pwd) || build=${1:-$top/build/normal}
export BED_PREFIX=${BED_PREFIX:-pm} PM_VIP=192.0.2.50 PM_PLEN=24
PM_AGENT_BIN=$build/ocf/corovip-ocf-vip
VIP=192.0.2.50
T_VIP=198.51.100.7
read -ra AGENTS <<<"${PM_AGENTS:-ocf:heartbeat:IPaddr2 ocf:corovip:vip}"

[ "$(id -u)" = 0 ] || { echo "SKIP: the Pacemaker test needs root (network namespaces)"; exit 77; }
for t in pacemakerd crm_resource ocf-tester xmllint corosync; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not found (tests/install-deps pacemaker)"; exit 77; }
done
[ -x /usr/lib/ocf/resource.d/heartbeat/IPaddr2 ] || { echo "SKIP: no IPaddr2 (tests/install-deps pacemaker)"; exit 77; }

cd "$top"
# shellcheck source=tests/pacemaker/pmbed.sh
. tests/pacemaker/pmbed.sh

t_all=$SECONDS
ok() { printf 'ok - %s\n' "$*"; }
fail() {
	printf 'not ok - %s\n' "$*"
	if [ -n "${BED_DIR:-}" ]; then
		echo "# addresses:"
		for i in $(bed_nodes); do echo "#   n$i: $(ip -n "$(bed_ns "$i")" -o -4 addr show dev eth0 2>/dev/null | awk '{print $4}' | paste -sd' ' -)"; done
		echo "# Pacemaker's view (node $(via)):"
		PM_X_TIMEOUT=10 pm_x "$(via)" crm_mon -1 -r 2>&1 | sed 's/^/#   /' || true
		pm_logs_tail 25
		for f in "$BED_DIR"/w-*.log "$BED_DIR"/probe-*.log; do
			[ -s "$f" ] && { echo "--- ${f##*/} (last 5 lines)"; tail -5 "$f"; }
		done
	fi
	exit 1
}

# A node to run the CLI tools on: the first one whose Pacemaker runs.
via() {
	local i
	for i in $(bed_nodes); do bed_pid "$i" pacemakerd >/dev/null && { echo "$i"; return; }; done
	echo 1
}
# The next node after $1 (1..3, cyclic).
next() { echo $(($1 % BED_N + 1)); }

no_address_anywhere() {
	local i
	for i in $(bed_nodes); do
		[[ "$(ip -n "$(bed_ns "$i")" -o addr show 2>/dev/null)" != *" $VIP/"* ]] || { BED_LAST="n$i has it"; return 1; }
	done
}
watch_restart() { # NAME: a fresh sampler (one per phase, each with its own SUMMARY)
	bed_watch_start "$VIP" "$1" >/dev/null || fail "addrwatch did not start"
}

# corovip-import on this live cluster's own CIB (cibadmin -Q) and on
# crm_resource --query-xml: the IPaddr2 resource RSC, on node T, with a
# location constraint preferring T (score 100: it stays where it is),
# becomes a corovip.conf that corovipd accepts, with its address, interface
# and T in prefer; the constraint goes again.
import_live() {
	local rsc=$1 t=$2 conf=$BED_DIR/imported.conf
	local loc="<rsc_location id=\"import-prefers\" rsc=\"$rsc\" node=\"$t\" score=\"100\"/>"
	pm_x 1 cibadmin --create -o constraints --xml-text "$loc" >/dev/null 2>&1 || fail "adding a location constraint"
	pm_x 1 cibadmin -Q >"$BED_DIR/cib.xml" 2>/dev/null || fail "cibadmin -Q"
	pm_x 1 cibadmin --delete -o constraints --xml-text "$loc" >/dev/null 2>&1 || fail "removing the location constraint"
	"$build/import/corovip-import" ipaddr2 "$BED_DIR/cib.xml" >"$conf" || fail "corovip-import of the live CIB"
	"$build/agent/corovipd" --test-config "$conf" >/dev/null 2>"$BED_DIR/imported.err" ||
		fail "corovipd refuses the imported CIB: $(cat "$BED_DIR/imported.err")"
	grep -q "^vip $rsc {" "$conf" && grep -qx "	address: $VIP/24" "$conf" && grep -qx "	interface: eth0" "$conf" &&
		grep -q "^	prefer: $t\b" "$conf" || fail "the imported CIB: $(grep -v '^#' "$conf" | tr '\n' ' ')"
	pm_x 1 crm_resource --resource "$rsc" --query-xml 2>/dev/null | "$build/import/corovip-import" ipaddr2 - \
		>"$conf" || fail "corovip-import of crm_resource --query-xml"
	grep -qx "	address: $VIP/24" "$conf" || fail "crm_resource --query-xml imported: $(grep -v '^#' "$conf" | tr '\n' ' ')"
	ok "corovip-import of this cluster's CIB (cibadmin -Q) and of crm_resource --query-xml: vip $rsc, $VIP/24 on eth0, prefer $t (a location constraint), accepted by corovipd --test-config"
}

cycle() {
	local agent=$1 short=$2 rsc="vip-$2" h t v t0 r gap s k l multi dc rec tk others

	# --- start --------------------------------------------------------------
	pm_x 1 crm_resource --show-metadata "$agent" >/dev/null 2>&1 ||
		fail "$agent: Pacemaker cannot find the agent in the nodes (crm_resource --show-metadata)"
	watch_restart "w-$short-start"
	t0=$(bed_now_ms)
	PM_VIA=1 pm_rsc_create "$rsc" "$agent" ip=$VIP cidr_netmask=24 nic=eth0 >/dev/null ||
		fail "$agent: could not create the resource"
	bed_wait_until 60000 "one node to hold $VIP" pm_one_holder "w-$short-start" >/dev/null ||
		fail "$agent: the resource did not start"
	h=$(pm_holder_now "w-$short-start")
	pm_wait_located "$rsc" "$h" 30000 1 >/dev/null || fail "$agent: Pacemaker does not have $rsc on $h"
	pm_wait_idle 60000 1 >/dev/null || fail "$agent: the start did not settle"
	pm_holder_is "$h" "w-$short-start" || fail "$agent: $VIP not on $h's eth0 alone"
	pm_answers || fail "$agent: the client gets no reply from $VIP"
	ok "$agent: started on $h in $(($(bed_now_ms) - t0)) ms; $VIP on $h's eth0 only, the client gets replies"
	bed_watch_stop "w-$short-start" >/dev/null

	# --- planned move ---------------------------------------------------------
	t=n$(next "${h#n}")
	v=$(next "${t#n}") # a third node runs the command
	pm_move "$rsc" "$t" "$v" "$short-move" || fail "$agent: move $h -> $t: $PM_WHY"
	[ "$PM_MULTI" = 0 ] || fail "$agent: two nodes held $VIP during the move ($PM_MULTI samples)"
	awk -v g="$PM_GAP" 'BEGIN { exit !(g + 0 < 10000) }' || fail "$agent: a move outage of $PM_GAP ms"
	ok "$agent: crm_resource --move $h -> $t: client outage $PM_GAP ms (address on $t after $PM_TAKE_MS ms; never on two nodes)"
	[ "$short" != ipaddr2 ] || import_live "$rsc" "$t"

	# --- kill -9 of the holder's cluster stack ------------------------------------
	h=$t
	k=${h#n}
	v=$(next "$k")
	others="$(next "$k") $(next "$(next "$k")")"
	dc=$(pm_dc "$v")
	watch_restart "w-$short-kill"
	bed_probe_start "$VIP" "probe-$short-kill" >/dev/null
	bed_probe_wait_replies 50 10000 >/dev/null || fail "$agent: the prober gets no replies"
	t0=$(bed_now_ms)
	pm_node_kill "$k" || fail "$agent: could not kill node $k's cluster stack"
	pm_wait_online "$v" "$others" 60000 >/dev/null || fail "$agent: the survivors did not see $h leave"
	rec=""
	recovered() {
		local x
		for x in $others; do
			pm__located "$rsc" "n$x" "$v" && [[ ",$(pm_holder_now "w-$short-kill")," == *",n$x,"* ]] &&
				{ rec=n$x; return 0; }
		done
		return 1
	}
	bed_wait_until 60000 "$rsc recovered on one of n${others// /, n}" recovered >/dev/null ||
		fail "$agent: Pacemaker did not recover $VIP after killing $h"
	tk=$(($(pm_first_held_ms "w-$short-kill" "$rec" "$t0") - t0))
	pm_answers || fail "$agent: no reply from $VIP after the recovery"
	r=$(bed_probe_stop "probe-$short-kill") || fail "$agent: the prober failed"
	gap=$(bed_field maxgap_ms "$r")
	l=$(pm_holder_now "w-$short-kill")
	if [[ ",$l," == *",$h,"* ]]; then
		l="$h still holds its address (no fencing; nothing there removes it)"
	else
		l="$h holds no address"
	fi
	ok "$agent: kill -9 of $h's corosync and Pacemaker (DC was $dc): recovered on $rec, address there after $tk ms; client outage $gap ms, answered by $(bed_field macs "$r") MAC(s); $l"

	# --- the killed node rejoins ---------------------------------------------------
	t0=$(bed_now_ms)
	pm_node_start "$k" || fail "$agent: could not restart node $k"
	pm_wait_online "$v" "$(bed_nodes | paste -sd' ' -)" 120000 >/dev/null || fail "$agent: $h did not rejoin"
	pm_wait_idle 90000 "$v" >/dev/null || fail "$agent: the cluster did not settle after $h rejoined"
	bed_wait_until 30000 "one holder after $h rejoined" pm_one_holder "w-$short-kill" >/dev/null ||
		fail "$agent: not exactly one holder after $h rejoined"
	l=$(pm_holder_now "w-$short-kill")
	pm_wait_located "$rsc" "$l" 30000 "$v" >/dev/null || fail "$agent: Pacemaker and the kernel disagree after $h rejoined"
	s=$(bed_watch_stop "w-$short-kill") || fail "addrwatch failed"
	multi=$(bed_field multi_ms "$s")
	ok "$agent: $h rejoined in $(($(bed_now_ms) - t0)) ms; one holder ($l), Pacemaker agrees; two holders for ${multi:-?} ms in all since the kill"

	# --- cleanup and delete -------------------------------------------------------
	watch_restart "w-$short-del"
	pm_x "$v" crm_resource --cleanup --resource "$rsc" >/dev/null 2>&1 || fail "$agent: crm_resource --cleanup failed"
	pm_wait_idle 60000 "$v" >/dev/null || fail "$agent: the cluster did not settle after --cleanup"
	pm_one_holder "w-$short-del" || fail "$agent: not one holder after --cleanup"
	PM_VIA=$v pm_rsc_delete "$rsc" >/dev/null || fail "$agent: could not delete $rsc"
	bed_wait_until 30000 "no node to hold $VIP" bed__watch_is - "w-$short-del" >/dev/null ||
		fail "$agent: $VIP is left after deleting $rsc"
	pm_wait_located "$rsc" "" 30000 "$v" >/dev/null || fail "$agent: Pacemaker still has $rsc"
	pm_wait_idle 60000 "$v" >/dev/null || fail "$agent: the cluster did not settle after the delete"
	no_address_anywhere || fail "$agent: $VIP left on a node after the delete"
	bed_watch_stop "w-$short-del" >/dev/null
	ok "$agent: crm_resource --cleanup, delete: stopped, no address on any node"
}

tester() { # AGENT PATH
	local agent=$1 path=$2 out rc t0=$SECONDS
	if out=$(PM_X_TIMEOUT=180 pm_x 3 ocf-tester -n vip -o ip=$T_VIP -o cidr_netmask=32 -o nic=eth0 "$path" 2>&1); then
		rc=0
	else
		rc=$?
	fi
	[ $rc = 0 ] || { echo "$out" | tail -30; fail "$agent: ocf-tester failed (exit $rc)"; }
	[[ "$(ip -n "$(bed_ns 3)" -o addr show)" != *" $T_VIP/"* ]] || fail "$agent: ocf-tester left $T_VIP on n3"
	ok "$agent: ocf-tester ($path) in n3: $(echo "$out" | tail -1) ($((SECONDS - t0)) s)"
}

pm_cluster_up 3 || fail "the cluster did not come up"
bed_build_tools || fail "could not build the checker's tools"
ok "3 nodes: corosync $(corosync -v | sed -n 's/.*version .\([0-9.]*\).*/\1/p' | head -1) (token $(bed_cmap 1 runtime.config.totem.token) ms) and Pacemaker $(pacemakerd --version | awk 'NR==1 {print $2}') online, DC $(pm_dc 1), in $((SECONDS - t_all)) s"

for agent in "${AGENTS[@]}"; do
	case "$agent" in
	ocf:heartbeat:IPaddr2) short=ipaddr2 path=$PM_IPADDR2 ;;
	ocf:corovip:vip)
		short=corovip path=$PM_AGENT_BIN
		if ! pm_have_agent; then
			echo "SKIP: ocf:corovip:vip: $PM_AGENT_BIN is not built; only IPaddr2 was tested"
			continue
		fi
		;;
	esac
	tester "$agent" "$path"
	cycle "$agent" "$short"
done

bed_down || fail "teardown"
ok "torn down in all $((SECONDS - t_all)) s"
