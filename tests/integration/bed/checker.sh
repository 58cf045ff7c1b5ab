# shellcheck shell=bash
# tests/integration/bed/checker.sh: the independent checkers: addrwatch (every node's addresses), probe (client echo), qwatch (quorum), and corovipd's config for one VIP.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

# bed_corovip_conf ADDR/PLEN PREFER [LINE...]: write $BED_DIR/corovip.conf
# with one VIP, web, at ADDR/PLEN on eth0 preferring PREFER (node names),
# LINEs added to its section; a kernel lease of 3 s (the default 10 s would
# slow the kernel-lease cases; BED_CV_KERNEL_LEASE sets another), BED_CV_CLUSTER's lines (e.g. "heartbeat:
# 20ms", newline separated) in the cluster section, and a node section per
# bed node.
bed_corovip_conf() {
	local addr=$1 prefer=$2 i line
	shift 2
	{
		printf 'cluster {\n\tkernel_lease: %s\n' "${BED_CV_KERNEL_LEASE:-3s}"
		[ -z "${BED_CV_CLUSTER:-}" ] || printf '%s\n' "$BED_CV_CLUSTER" | sed 's/^/\t/'
		printf '}\n'
		for i in $(bed_nodes); do printf 'node n%s {\n}\n' "$i"; done
		printf 'vip web {\n\taddress: %s\n\tinterface: eth0\n\tprefer: %s\n' "$addr" "$prefer"
		for line in "$@"; do printf '\t%s\n' "$line"; done
		printf '}\n'
	} >"$BED_DIR/corovip.conf"
	# corovipd refuses a config file writable by group or others (umask 002)
	chmod 0644 "$BED_DIR/corovip.conf"
}

# bed_build_tools: compile tests/tools/{probe,addrwatch,qwatch,cpgsend,addrcount,listen}.c into
# $BED_DIR/bin (once per bed); sets BED_PROBE, BED_ADDRWATCH, BED_QWATCH.
bed_build_tools() {
	local t libs cc=${CC:-cc}
	mkdir -p "$BED_DIR/bin" || return 1
	for t in probe addrwatch qwatch cpgsend addrcount listen; do
		[ -x "$BED_DIR/bin/$t" ] && continue
		libs=""
		[ "$t" != qwatch ] || libs="-lcpg -lquorum"
		[ "$t" != cpgsend ] || libs="-lcpg"
		# shellcheck disable=SC2086
		"$cc" -std=gnu11 -O2 -Wall -Wextra -o "$BED_DIR/bin/$t" "$BED_SRC/tests/tools/$t.c" $libs ||
			{ bed_fail "could not build tests/tools/$t.c"; return 1; }
	done
	BED_PROBE=$BED_DIR/bin/probe
	BED_ADDRWATCH=$BED_DIR/bin/addrwatch
	BED_QWATCH=$BED_DIR/bin/qwatch
	BED_CPGSEND=$BED_DIR/bin/cpgsend
	BED_ADDRCOUNT=$BED_DIR/bin/addrcount
	BED_LISTEN=$BED_DIR/bin/listen
}

# bed_qwatch_start ID: start qwatch on node ID (time-stamped TOTEM and
# QUORUM callbacks of its corosync, in $BED_DIR/nID/qwatch.out; it
# reconnects by itself after a corosync restart). Waits until connected.
bed_qwatch_start() {
	bed_build_tools || return 1
	: >"$BED_DIR/n$1/qwatch.out"
	bed_spawn "$1" qwatch "$BED_QWATCH" || return 1
	bed_wait_until 5000 "qwatch on node $1 to connect" bed__log_has "$BED_DIR/n$1/qwatch.out" ' UP '
}

# bed__event ID T0_US ERE: first qwatch line of node ID after T0 (epoch
# microseconds) matching ERE; its time (epoch us) in BED_EVENT_US.
bed__event() {
	local line
	line=$(awk -v t0="$2" -v re="$3" '{ t = $1; sub(/\./, "", t) }
		t + 0 > t0 + 0 && $0 ~ re { print; exit }' "$BED_DIR/n$1/qwatch.out" 2>/dev/null)
	[ -n "$line" ] || { BED_LAST=$(tail -1 "$BED_DIR/n$1/qwatch.out" 2>/dev/null); return 1; }
	BED_EVENT_US=${line%% *}
	BED_EVENT_US=${BED_EVENT_US//./}
}

# bed_qwatch_wait ID T0_US ERE TIMEOUT_MS: until node ID's qwatch logged an
# event matching ERE after T0 (e.g. bed__now; T0=$BED__NOW; ... 'QUORUM
# quorate=1 .* members=2,3$'); BED_EVENT_MS = event time - T0 in ms.
bed_qwatch_wait() {
	bed_wait_until "$4" "node $1: a qwatch event /$3/" bed__event "$1" "$2" "$3" || return 1
	# shellcheck disable=SC2034 # a result for the caller
	BED_EVENT_MS=$(((BED_EVENT_US - $2) / 1000))
}

# bed_bg NAME CMD...: a helper process in the host namespace (the checker),
# killed by bed_down; output in $BED_DIR/NAME.log, pid in $BED_DIR/NAME.pid.
bed_bg() {
	local name=$1 pid
	shift
	"$@" </dev/null >"$BED_DIR/$name.log" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$BED_DIR/$name.pid"
	echo "$pid" >>"$BED_DIR/bg.pids"
}

bed__log_has() { grep -q "$2" "$1" 2>/dev/null || { BED_LAST="$(tail -1 "$1" 2>/dev/null)"; return 1; }; }

# bed_watch_start VIP [NAME]: start the address sampler (addrwatch, every
# 10 ms) over every node namespace; log in $BED_DIR/NAME.log (NAME
# defaults to watch). Waits for its first sample.
bed_watch_start() {
	local vip=$1 name=${2:-watch} args=() i
	bed_build_tools || return 1
	for i in $(bed_nodes); do args+=("$(bed_ns "$i")=n$i"); done
	bed_bg "$name" "$BED_ADDRWATCH" -i "${BED_WATCH_MS:-10}" "$vip" "${args[@]}"
	bed_wait_until 3000 "addrwatch's first sample" bed__log_has "$BED_DIR/$name.log" 'holders='
}

# bed_watch_first HOLDERS [NAME]: time (epoch us) of the sampler's first
# line showing exactly HOLDERS; empty if none.
bed_watch_first() {
	awk -v h="holders=$1" '$2 == h { t = $1; sub(/\./, "", t); print t; exit }' "$BED_DIR/${2:-watch}.log"
}

# bed_watch_now [NAME]: the sampler's latest state line (holders=...).
bed_watch_now() {
	grep ' holders=' "$BED_DIR/${1:-watch}.log" 2>/dev/null | tail -1
}

bed__watch_is() {
	local now
	now=$(bed_watch_now "$2")
	BED_LAST=${now#* }
	[ "$(bed_field holders "$now")" = "$1" ]
}

# bed_watch_wait HOLDERS TIMEOUT_MS [NAME]: until the sampler's latest
# sample shows exactly HOLDERS (e.g. n2, or n1,n3, or - for none).
bed_watch_wait() {
	bed_wait_until "$2" "addrwatch to see holders=$1" bed__watch_is "$1" "${3:-watch}"
}

# bed_watch_stop [NAME]: stop the sampler; prints its SUMMARY line.
bed_watch_stop() {
	local name=${1:-watch} p
	read -r p <"$BED_DIR/$name.pid" 2>/dev/null || { bed_fail "no sampler $name"; return 1; }
	kill -TERM "$p" 2>/dev/null || true
	bed_wait_dead "$p" 3000 "addrwatch $name" || return 1
	grep '^SUMMARY' "$BED_DIR/$name.log"
}

# bed_probe_start VIP [NAME [PROBE OPTIONS...]]: 1 ms ICMP echo from the
# client (-m: with the answering MAC); log in $BED_DIR/NAME.log (default probe).
bed_probe_start() {
	local vip=$1 name=${2:-probe}
	shift
	[ $# -eq 0 ] || shift
	bed_build_tools || return 1
	BED__PROBE_BASE=$(bed_echo_replies)
	bed_bg "$name" ip netns exec "$(bed_ns c)" "$BED_PROBE" -m -t "${BED_PROBE_MAX_S:-3600}" "$@" "$vip"
}

# bed_echo_replies: ICMP echo replies (IPv4 and IPv6) the client's kernel
# has received so far.
bed_echo_replies() {
	ip netns exec "$(bed_ns c)" cat /proc/net/snmp /proc/net/snmp6 2>/dev/null | awk '
		$1 == "Icmp:" && !col { for (i = 2; i <= NF; i++) if ($i == "InEchoReps") col = i; next }
		$1 == "Icmp:" && col { n += $col }
		$1 == "Icmp6InEchoReplies" { n += $2 }
		END { print n + 0 }'
}

bed__replies_since() {
	local n
	n=$(bed_echo_replies)
	BED_LAST="$((n - $1)) replies"
	[ $((n - $1)) -ge "$2" ]
}

# bed_probe_wait_replies [N [TIMEOUT_MS]]: until the client has received N
# (20) echo replies since the last bed_probe_start, i.e. the prober runs
# and the VIP answers it: an event measured after this is inside its run.
bed_probe_wait_replies() {
	bed_wait_until "${2:-5000}" "the prober to get ${1:-20} replies" bed__replies_since "${BED__PROBE_BASE:-0}" "${1:-20}"
}

# bed_probe_stop [NAME]: stop the prober; prints its RESULT line.
bed_probe_stop() {
	local name=${1:-probe} p
	read -r p <"$BED_DIR/$name.pid" 2>/dev/null || { bed_fail "no prober $name"; return 1; }
	kill -TERM "$p" 2>/dev/null || true
	bed_wait_dead "$p" 3000 "probe $name" || return 1
	grep '^RESULT' "$BED_DIR/$name.log"
}

# bed_field KEY LINE...: value of KEY=value in a RESULT/SUMMARY line.
bed_field() {
	local k=$1=
	shift
	echo "$*" | awk -v k="$k" '{ for (i = 1; i <= NF; i++) if (index($i, k) == 1) { print substr($i, length(k) + 1); exit } }'
}

# bed_moved VIP ADDR FROM: ADDR on one node other than FROM ("n1") in the
# kernel; sets BED_TO to its number (a condition for bed_wait_until).
bed_moved() {
	local h
	h=$(bed_holders "$2")
	BED_LAST="$1 ($2) on '$h'"
	[[ "$h" =~ ^n[0-9]+$ ]] && [ "$h" != "$3" ] || return 1
	BED_TO=${h#n}
}

# bed_holders ADDR: the nodes (n<I>) that have ADDR configured now (one look).
bed_holders() {
	local i out="" addrs
	for i in $(bed_nodes); do
		addrs=$(ip -n "$(bed_ns "$i")" -o addr show 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $4 }')
		grep -qxF -- "$1" <<<"$addrs" && out+=" n$i"
	done
	echo "${out# }"
}
