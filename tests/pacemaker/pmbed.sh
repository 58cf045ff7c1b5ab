# shellcheck shell=bash
# pmbed.sh - Pacemaker 2.1 on top of the integration test bed
# (tests/integration/bed.sh): every bed node runs its corosync (bed.sh) and
# a pacemakerd, both in the node's namespaces, so the cluster is real and
# nothing of it reaches the host: no host unit, file or address is used.
#
# Source it from a bash test (as root), after setting PM_AGENT_BIN if the
# corovip agent is to be tested:
#
#   . "$top/tests/pacemaker/pmbed.sh"       # sources bed.sh
#   pm_cluster_up 3 || exit 1               # bed, corosync, pacemakerd, properties
#   pm_x 1 crm_resource ...                 # CLI tools run inside a node
#   pm_rsc_create vip ocf:heartbeat:IPaddr2 ip=192.0.2.50 cidr_netmask=24 nic=eth0
#   ...                                     (bed_down runs from bed.sh's EXIT trap)
#
# Per node I, beside what the bed's anchor already gives it (tmpfs /run and
# /dev/shm, hostname nI), the node's mount namespace gets
#   /var/lib/pacemaker   bind mount of $BED_DIR/nI/pm/lib (cib, pengine, ...)
#   /var/log/pacemaker   bind mount of $BED_DIR/nI/pm/log (pacemaker.log)
#   /usr/lib/ocf         read-only bind mount of $BED_DIR/ocf, a copy of the
#                        host's /usr/lib/ocf plus resource.d/corovip/vip (a
#                        copy of PM_AGENT_BIN), so `ocf:corovip:vip` resolves
#                        inside the nodes and the host's /usr/lib/ocf is
#                        never written
# pacemakerd runs in the foreground (bed_spawn name "pacemakerd"; its
# subdaemons are its children), logging to /var/log/pacemaker/pacemaker.log.
# The bed's corosync.conf needs nothing for it (Pacemaker 2.1 finds
# corosync by IPC; the bed's quorum is votequorum).
#
# Cluster (the CIB each node starts with, pm__cib_seed): dc-deadtime=2s
# (PM_DC_DEADTIME; the default 20 s is the wait before the first DC
# election), stonith-enabled=false (nothing to fence
# with), no-quorum-policy=stop, and the defaults that make a planned move
# quick and predictable: record-pending=false (no extra CIB write before
# each stop/start), resource-stickiness=100 (no move back when a node
# rejoins), migration-threshold=1 (a failed resource moves at once instead
# of restarting in place), op timeout 20s.
#
# Settings: PM_AGENT_BIN (the built corovip agent, optional), PM_START_MS
# (deadline for the cluster to come up, 120000), PM_VIP / PM_PLEN (the
# address the checker helpers look at, 192.0.2.50 / 24).
#
# API (IDs are node numbers, as in bed.sh):
#   pm_cluster_up N / pm_node_start ID / pm_node_stop ID / pm_node_kill ID
#   pm_x ID CMD... (a CLI tool in node ID, bounded by PM_X_TIMEOUT s, 60)
#   pm_wait_online ID NODES MS, pm_dc ID, pm_pcmk_pids ID
#   pm_rsc_create ID AGENT PARAM=VALUE... / pm_rsc_delete ID / pm_locate ID [VIA]
#   pm_wait_located ID NODE MS [VIA] / pm_wait_idle MS [VIA] / pm_agent_spec AGENT
#   pm_holder_now WATCH / pm_one_holder WATCH / pm_holder_is NODE WATCH / pm_answers
#   pm_first_held_ms WATCH NODE T0_MS / pm_move RSC TARGET VIA TAG (PM_VIP's move, measured)
#   pm_logs_tail [LINES] (every node's pacemaker and corosync log tail)

# shellcheck source=tests/integration/bed.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../integration" && pwd)/bed.sh"

PM_OCF_HOST=/usr/lib/ocf
PM_VIP=${PM_VIP:-192.0.2.50}
PM_PLEN=${PM_PLEN:-24}
# shellcheck disable=SC2034 # for the tests and the bench
PM_IPADDR2=$PM_OCF_HOST/resource.d/heartbeat/IPaddr2

# pm_have_agent: true if the corovip agent (PM_AGENT_BIN) is built.
pm_have_agent() { [ -n "${PM_AGENT_BIN:-}" ] && [ -x "$PM_AGENT_BIN" ]; }

# The private OCF tree, made once per bed.
pm__ocf_tree() {
	[ -d "$BED_DIR/ocf/resource.d" ] && return 0
	cp -a "$PM_OCF_HOST" "$BED_DIR/ocf" || return 1
	if pm_have_agent; then
		mkdir -p "$BED_DIR/ocf/resource.d/corovip" &&
			cp "$PM_AGENT_BIN" "$BED_DIR/ocf/resource.d/corovip/vip" &&
			chmod 0755 "$BED_DIR/ocf/resource.d/corovip" "$BED_DIR/ocf/resource.d/corovip/vip" || return 1
	fi
	# readable by hacluster (pacemaker-execd runs agents as root, but the
	# controller reads meta-data as hacluster); $BED_DIR itself is 0700 and
	# never walked: the tree is reached through the bind mount
	chmod 0755 "$BED_DIR/ocf"
}

# pm__prepare ID: the node's Pacemaker directories and mounts, once per
# anchor (a crashed and booted node has a new anchor, so it gets them again).
pm__prepare() {
	local i=$1 d="$BED_DIR/n$1/pm" a
	a=$(bed__anchor_pid "$i") || return 1
	[ "$(cat "$d/prepared" 2>/dev/null)" = "$a" ] && return 0
	pm__ocf_tree || return 1
	mkdir -p "$d/lib/cib" "$d/lib/pengine" "$d/lib/blackbox" "$d/lib/cores" "$d/log" || return 1
	# the Debian package's owners and modes
	chown hacluster:haclient "$d/lib" "$d/lib/cib" "$d/lib/pengine" "$d/lib/blackbox" "$d/lib/cores" "$d/log" &&
		chmod 0750 "$d/lib/cib" "$d/lib/pengine" "$d/lib/blackbox" "$d/lib/cores" &&
		chmod 0770 "$d/log" && chmod 0755 "$d" "$d/lib" || return 1
	if [ ! -e "$d/lib/cib/cib.xml" ]; then
		pm__cib_seed >"$d/lib/cib/cib.xml" &&
			chown hacluster:haclient "$d/lib/cib/cib.xml" && chmod 0600 "$d/lib/cib/cib.xml" || return 1
	fi
	# shellcheck disable=SC2016
	bed_exec "$i" sh -c '
		set -e
		mount --bind "$1/lib" /var/lib/pacemaker
		mount --bind "$1/log" /var/log/pacemaker
		mount --bind "$2" /usr/lib/ocf
		mount -o remount,bind,ro /usr/lib/ocf
	' sh "$d" "$BED_DIR/ocf" || { bed_fail "node $i: could not mount Pacemaker's directories"; return 1; }
	echo "$a" >"$d/prepared"
}

# pm_x ID CMD...: run a Pacemaker CLI tool in node ID (the same /dev/shm,
# /run and abstract sockets as its daemons), bounded by PM_X_TIMEOUT s.
pm_x() {
	local i=$1
	shift
	bed_exec "$i" timeout "${PM_X_TIMEOUT:-60}" "$@"
}

# pm_pcmk_pids ID: pids of node ID's Pacemaker daemons (pacemakerd and its
# subdaemons), whatever started them.
pm_pcmk_pids() {
	local p comm
	for p in $(bed_node_pids "$1"); do
		read -r comm <"/proc/$p/comm" 2>/dev/null || continue
		case "$comm" in pacemaker*) echo "$p" ;; esac
	done
}

# pm_node_start ID: corosync (unless it runs) and pacemakerd on node ID.
# Does not wait for the node to join (pm_wait_online).
pm_node_start() {
	local i=$1
	pm__prepare "$i" || return 1
	bed_pid "$i" corosync >/dev/null || bed_corosync_start "$i" || return 1
	if bed_pid "$i" pacemakerd >/dev/null; then
		bed_fail "node $i: pacemakerd already runs"
		return 1
	fi
	[ -z "$(pm_pcmk_pids "$i")" ] || { bed_fail "node $i: Pacemaker daemons left running: $(pm_pcmk_pids "$i" | tr '\n' ' ')"; return 1; }
	bed_spawn "$i" pacemakerd env PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \
		pacemakerd -f
}

pm__pcmk_gone() {
	local p
	p=$(pm_pcmk_pids "$1" | tr '\n' ' ')
	BED_LAST="pids ${p:-none}"
	[ -z "$p" ]
}

# pm_node_stop ID: graceful: pacemakerd stops its resources and daemons
# (SIGTERM), then corosync stops.
pm_node_stop() {
	local i=$1 rc=0
	bed_stop "$i" pacemakerd 60000 || rc=1
	bed_wait_until 10000 "node $i: every Pacemaker daemon to exit" pm__pcmk_gone "$i" || rc=1
	bed_corosync_stop "$i" || rc=1
	return $rc
}

# pm_node_kill ID: the node's cluster stack dies: kill -9 of corosync and,
# in the same instant, of every Pacemaker daemon of the node. (Pacemaker
# 2.1.5 does not die with corosync: based, controld, attrd and fenced exit,
# but pacemakerd stays, retrying once a second, with execd and
# schedulerd.) What the agents left (addresses) stays, as after a crash of
# the stack alone.
pm_node_kill() {
	local i=$1 pids
	pids="$(bed_pid "$i" corosync) $(pm_pcmk_pids "$i" | tr '\n' ' ')"
	# shellcheck disable=SC2086
	kill -STOP $pids 2>/dev/null || true
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null || true
	bed_wait_until 5000 "node $i: corosync and Pacemaker to die" pm__pcmk_gone "$i" || return 1
	bed_corosync_kill "$i"
}

# pm_dc ID: the DC's name as node ID sees it (empty if none).
pm_dc() {
	pm_x "$1" crm_mon -1 --output-as=xml 2>/dev/null |
		sed -n 's/.*<current_dc present="true".* name="\([^"]*\)".*/\1/p' | head -1
}

pm__online_is() {
	local x want=$2 got
	x=$(PM_X_TIMEOUT=5 pm_x "$1" crm_mon -1 --output-as=xml 2>/dev/null) || { BED_LAST="crm_mon failed"; return 1; }
	got=$(echo "$x" | sed -n 's/.*<node name="\([^"]*\)".* online="true".*/\1/p' | sort | paste -sd, -)
	BED_LAST="online=${got:--}"
	[[ "$x" == *'<current_dc present="true"'* ]] || { BED_LAST+=" no DC"; return 1; }
	[ "$got" = "$want" ]
}

# pm_wait_online ID NODES MS: until node ID sees exactly NODES (e.g. "1 2 3")
# online in Pacemaker, with a DC.
pm_wait_online() {
	local want n
	want=$(for n in $2; do echo "n$n"; done | sort | paste -sd, -)
	bed_wait_until "$3" "Pacemaker on node $1 to see $want online and a DC" pm__online_is "$1" "$want"
}

# The CIB every node starts with (pm__prepare seeds it where there is none
# yet): without it, the controllers would wait dc-deadtime (20 s) before
# electing a DC; the properties and defaults are there from the start.
pm__cib_seed() {
	cat <<-EOF
		<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
		  <configuration>
		    <crm_config>
		      <cluster_property_set id="cib-bootstrap-options">
		        <nvpair id="pm-opt-stonith-enabled" name="stonith-enabled" value="false"/>
		        <nvpair id="pm-opt-no-quorum-policy" name="no-quorum-policy" value="stop"/>
		        <nvpair id="pm-opt-dc-deadtime" name="dc-deadtime" value="${PM_DC_DEADTIME:-2s}"/>
		      </cluster_property_set>
		    </crm_config>
		    <nodes/>
		    <resources/>
		    <constraints/>
		    <rsc_defaults>
		      <meta_attributes id="pm-rsc-defaults">
		        <nvpair id="pm-rsc-stickiness" name="resource-stickiness" value="100"/>
		        <nvpair id="pm-rsc-migration-threshold" name="migration-threshold" value="1"/>
		      </meta_attributes>
		    </rsc_defaults>
		    <op_defaults>
		      <meta_attributes id="pm-op-defaults">
		        <nvpair id="pm-op-record-pending" name="record-pending" value="false"/>
		        <nvpair id="pm-op-timeout" name="timeout" value="20s"/>
		      </meta_attributes>
		    </op_defaults>
		  </configuration>
		  <status/>
		</cib>
	EOF
}

# pm_cluster_up N: a bed of N nodes with corosync and Pacemaker, all online
# with a DC, configured (pm__cib_seed). Leaves the bed up on failure
# (bed.sh's EXIT trap removes it).
pm_cluster_up() {
	local n=$1 i all t
	for t in pacemakerd crm_mon crm_resource cibadmin crm_attribute; do
		command -v "$t" >/dev/null || { bed_fail "$t not found: tests/install-deps pacemaker"; return 1; }
	done
	bed_cluster_up "$n" || return 1
	for i in $(bed_nodes); do pm_node_start "$i" || return 1; done
	all=$(bed_nodes | paste -sd' ' -)
	pm_wait_online 1 "$all" "${PM_START_MS:-120000}" || return 1
	[ "$(pm_x 1 crm_attribute --type crm_config --name stonith-enabled --query --quiet 2>&1)" = false ] ||
		{ bed_fail "the seeded CIB is not in use (stonith-enabled is not false)"; return 1; }
}

# pm_agent_spec AGENT: class provider type of ocf:PROVIDER:TYPE.
pm_agent_spec() {
	local IFS=:
	# shellcheck disable=SC2086
	set -- $1
	if [ $# != 3 ] || [ "$1" != ocf ]; then
		bed_fail "not an OCF agent: $*"
		return 1
	fi
	echo "$1 $2 $3"
}

# pm_rsc_create ID AGENT [NAME=VALUE...]: a primitive ID of AGENT
# (ocf:PROVIDER:TYPE) with these instance attributes and a monitor every
# PM_MONITOR (10s); Pacemaker starts it at once.
pm_rsc_create() {
	local id=$1 spec cls prov type kv xml
	spec=$(pm_agent_spec "$2") || return 1
	read -r cls prov type <<<"$spec"
	shift 2
	xml="<primitive id=\"$id\" class=\"$cls\" provider=\"$prov\" type=\"$type\"><instance_attributes id=\"$id-ia\">"
	for kv in "$@"; do
		xml+="<nvpair id=\"$id-ia-${kv%%=*}\" name=\"${kv%%=*}\" value=\"${kv#*=}\"/>"
	done
	xml+="</instance_attributes><operations><op id=\"$id-monitor\" name=\"monitor\" interval=\"${PM_MONITOR:-10s}\"/></operations></primitive>"
	pm_x "${PM_VIA:-1}" cibadmin --create -o resources --xml-text "$xml"
}

# pm_rsc_delete ID: remove its move/ban constraints and the resource;
# Pacemaker stops it (an orphan) if it runs.
pm_rsc_delete() {
	pm_x "${PM_VIA:-1}" crm_resource --clear --resource "$1" >/dev/null 2>&1
	pm_x "${PM_VIA:-1}" cibadmin --delete -o resources --xml-text "<primitive id=\"$1\"/>"
}

# pm_locate ID [VIA]: the nodes where Pacemaker thinks resource ID is
# active, as node VIA (PM_VIA, 1) sees it, comma separated ("" if none).
pm_locate() {
	PM_X_TIMEOUT=5 pm_x "${2:-${PM_VIA:-1}}" crm_resource --locate --resource "$1" 2>/dev/null |
		sed -n 's/.*is running on: \([^ ]*\).*/\1/p' | sort | paste -sd, -
}

pm__located() {
	local got
	got=$(pm_locate "$1" "$3")
	BED_LAST="located on ${got:-nothing}"
	[ "$got" = "$2" ]
}

# pm_wait_located ID NODE MS [VIA]: until Pacemaker has resource ID active
# on exactly NODE (n<I>, or "" for nowhere), as node VIA sees it.
pm_wait_located() {
	bed_wait_until "$3" "Pacemaker to have $1 on ${2:-no node}" pm__located "$1" "$2" "${4:-${PM_VIA:-1}}"
}

pm__idle() {
	local out
	out=$(PM_X_TIMEOUT=10 pm_x "$1" crm_resource --wait --timeout 5s 2>&1) && return 0
	BED_LAST=$(echo "$out" | tail -1)
	return 1
}

# pm_wait_idle MS [VIA]: until the cluster has no pending actions.
pm_wait_idle() {
	bed_wait_until "$1" "the cluster to have no pending actions" pm__idle "${2:-${PM_VIA:-1}}"
}

# --- the VIP as the checker sees it (PM_VIP, with prefix length PM_PLEN) ---

# pm_holder_now WATCH: the holders (n<I>,...) in sampler WATCH's last line.
pm_holder_now() { bed_field holders "$(bed_watch_now "$1")"; }

# pm_one_holder WATCH: exactly one node holds PM_VIP (per the sampler).
pm_one_holder() {
	[[ "$(pm_holder_now "$1")" =~ ^n[0-9]+$ ]] || { BED_LAST=$(bed_watch_now "$1"); return 1; }
}

# pm_holder_is NODE WATCH: NODE (n<I>) alone holds PM_VIP per the sampler,
# and a direct look finds it on NODE's eth0.
pm_holder_is() {
	bed__watch_is "$1" "$2" || return 1
	[[ "$(ip -n "$(bed_ns "${1#n}")" -o addr show dev eth0)" == *" $PM_VIP/$PM_PLEN "* ]] ||
		{ BED_LAST="not on ${1}'s eth0"; return 1; }
}

# pm_answers: the client gets an echo reply from PM_VIP within 10 s.
pm_answers() { ip netns exec "$(bed_ns c)" "$BED_PROBE" -f -q -t 10 "$PM_VIP" >/dev/null; }

# pm_first_held_ms WATCH NODE T0_MS: time (epoch ms) of sampler WATCH's
# first line at or after T0 in which NODE holds PM_VIP (empty if none).
pm_first_held_ms() {
	awk -v n="$2" -v t0="$3" '{ t = $1 * 1000; h = $2; sub(/^holders=/, "", h)
		if (t >= t0 && ("," h ",") ~ ("," n ",")) { printf "%d", t; exit } }' "$BED_DIR/$1.log"
}

# pm_move RSC TARGET VIA TAG: crm_resource --move RSC to node TARGET (n<I>),
# run on node VIA, measured: a sampler (w-TAG) and the client's prober
# (probe-TAG) around it. Waits until TARGET alone holds PM_VIP, Pacemaker
# agrees and the client gets replies; then --clear (stickiness keeps it).
# Sets PM_GAP (the client's longest outage, ms), PM_TAKE_MS (command to
# the address on TARGET) and PM_MULTI (samples with two holders). Returns
# 1 with the reason in PM_WHY.
# shellcheck disable=SC2034 # PM_GAP, PM_TAKE_MS, PM_MULTI, PM_WHY: results
pm_move() {
	local rsc=$1 t=$2 v=$3 tag=$4 t0 r s
	PM_GAP="" PM_TAKE_MS="" PM_MULTI=""
	bed_watch_start "$PM_VIP" "w-$tag" >/dev/null || { PM_WHY="addrwatch did not start"; return 1; }
	bed_probe_start "$PM_VIP" "probe-$tag" >/dev/null || { PM_WHY="the prober did not start"; return 1; }
	bed_probe_wait_replies 50 10000 >/dev/null || { PM_WHY="the prober gets no replies"; return 1; }
	t0=$(bed_now_ms)
	pm_x "$v" crm_resource --move --resource "$rsc" --node "$t" >/dev/null 2>&1 ||
		{ PM_WHY="crm_resource --move $rsc $t failed"; return 1; }
	bed_wait_until 30000 "$PM_VIP on $t alone" pm_holder_is "$t" "w-$tag" >/dev/null ||
		{ PM_WHY="the move to $t did not happen"; return 1; }
	pm_wait_located "$rsc" "$t" 30000 "$v" >/dev/null || { PM_WHY="Pacemaker does not have $rsc on $t"; return 1; }
	r=$(pm_first_held_ms "w-$tag" "$t" "$t0")
	PM_TAKE_MS=$((r - t0))
	pm_answers || { PM_WHY="no reply from $PM_VIP after the move"; return 1; }
	r=$(bed_probe_stop "probe-$tag") || { PM_WHY="the prober failed"; return 1; }
	PM_GAP=$(bed_field maxgap_ms "$r")
	s=$(bed_watch_stop "w-$tag") || { PM_WHY="addrwatch failed"; return 1; }
	PM_MULTI=$(bed_field multi "$s")
	pm_x "$v" crm_resource --clear --resource "$rsc" >/dev/null 2>&1 || { PM_WHY="crm_resource --clear failed"; return 1; }
	pm_wait_idle 60000 "$v" >/dev/null || { PM_WHY="the cluster did not settle after --clear"; return 1; }
	[ "$(bed_holders "$PM_VIP")" = "$t" ] || { PM_WHY="--clear moved $PM_VIP: holders $(bed_holders "$PM_VIP")"; return 1; }
}

# pm_logs_tail [LINES]: the tail of every node's pacemaker.log,
# pacemakerd.out and corosync.log (for a failing test).
pm_logs_tail() {
	local n=${1:-30} i f
	[ -n "$BED_DIR" ] || return 0
	for i in $(bed_nodes); do
		for f in "$BED_DIR/n$i/pm/log/pacemaker.log" "$BED_DIR/n$i/pacemakerd.out" "$BED_DIR/n$i/corosync.log"; do
			[ -s "$f" ] || continue
			echo "--- ${f#"$BED_DIR"/} (last $n lines)"
			tail -n "$n" "$f"
		done
	done
}
