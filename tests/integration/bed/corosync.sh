# shellcheck shell=bash
# tests/integration/bed/corosync.sh: corosync per node: its config, start, stop, quorum, and bringing a cluster up.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

# bed_corosync_conf ID: write node ID's corosync.conf (from the settings).
bed_corosync_conf() {
	local i=$1 d="$BED_DIR/n$1" j
	{
		cat <<-EOF
			totem {
			    version: 2
			    cluster_name: cvbed
			    transport: knet
			    token: ${BED_TOKEN:-300}
			    token_coefficient: ${BED_TOKEN_COEF:-0}
			    crypto_cipher: none
			    crypto_hash: none
			    interface {
			        linknumber: 0
			        knet_transport: udp
			        knet_ping_interval: ${BED_KNET_PING_INTERVAL:-100}
			        knet_ping_timeout: ${BED_KNET_PING_TIMEOUT:-500}
			    }
			${BED_TOTEM_EXTRA:-}
			}
			nodelist {
		EOF
		for j in $(bed_nodes); do
			printf '    node {\n        ring0_addr: %s\n        name: n%d\n        nodeid: %d\n    }\n' \
				"$(bed_ip "$j")" "$j" "$j"
		done
		cat <<-EOF
			}
			quorum {
			    provider: corosync_votequorum
			${BED_QUORUM_EXTRA:-}
			}
			logging {
			    to_logfile: yes
			    logfile: $d/corosync.log
			    to_syslog: no
			    to_stderr: no
			    timestamp: hires
			}
		EOF
	} >"$d/corosync.conf"
}

bed__cs_ready() {
	local a
	bed_pid "$1" corosync >/dev/null || {
		BED_LAST="corosync exited: $(cat "$BED_DIR/n$1/corosync.out" 2>/dev/null; tail -3 "$BED_DIR/n$1/corosync.log" 2>/dev/null)"
		return 2
	}
	a=$(bed__anchor_pid "$1") || return 2
	timeout 2 nsenter -t "$a" -m -n -- \
		corosync-cmapctl -g runtime.votequorum.this_node_id >/dev/null 2>&1 || return 1
}

# bed_corosync_start ID: start corosync on node ID (foreground mode, as a
# child of the test) and wait until it answers IPC.
bed_corosync_start() {
	local i=$1 p
	if p=$(bed_pid "$i" corosync); then
		bed_fail "node $i: corosync already runs (pid $p)"
		return 1
	fi
	bed_corosync_conf "$i" || return 1
	bed_spawn "$i" corosync corosync -f -c "$BED_DIR/n$i/corosync.conf" || return 1
	bed_wait_until 10000 "corosync on node $i to answer IPC" bed__cs_ready "$i"
}

# bed_corosync_stop ID: graceful stop (SIGTERM), waits for the exit.
bed_corosync_stop() { bed_stop "$1" corosync 10000; }
# bed_corosync_kill ID: kill -9, waits until it is gone.
bed_corosync_kill() { bed_kill "$1" corosync; }
# bed_corosync_sigstop ID / bed_corosync_sigcont ID: freeze / thaw.
bed_corosync_sigstop() { bed_signal "$1" corosync STOP; }
bed_corosync_sigcont() { bed_signal "$1" corosync CONT; }

# bed_quorum ID: one look at node ID's quorum; prints "quorate=yes|no
# members=<ids,sorted>" (returns 1 if corosync does not answer in 1 s:
# IPC blocks while corosync is frozen).
bed_quorum() {
	local a out q m rc
	a=$(bed__anchor_pid "$1" 2>/dev/null) || { echo "node down"; return 1; }
	if out=$(timeout 1 nsenter -t "$a" -m -n -- corosync-quorumtool -s -p 2>&1); then rc=0; else rc=$?; fi
	case "$rc" in
	0 | 2) ;; # 2: not quorate
	124) echo "no answer from corosync"; return 1 ;;
	*) echo "corosync-quorumtool failed: $(echo "$out" | head -1)"; return 1 ;;
	esac
	q=$(echo "$out" | sed -n 's/^Quorate:[[:space:]]*//p')
	m=$(echo "$out" | awk '/^Membership information/{f=1; next} f && $1 ~ /^[0-9]+$/ && $1 != 0 {print $1}' | sort -n | paste -sd, -)
	case "$q" in
	Yes) q=yes ;;
	No) q=no ;;
	*) echo "unparsable corosync-quorumtool output"; return 1 ;;
	esac
	echo "quorate=$q members=${m:--}"
}

bed__quorum_is() {
	local want=$2 members=$3 got
	got=$(bed_quorum "$1") || true
	BED_LAST="node $1: $got"
	case "$got" in
	"quorate=$want members="*) ;;
	*) return 1 ;;
	esac
	[ -z "$members" ] || [ "$got" = "quorate=$want members=$members" ]
}

bed__members_csv() { echo "$*" | tr -s ', ' '\n' | grep . | sort -n | paste -sd, -; }

# bed_cluster_up N: a bed of N nodes, each with corosync running, all quorate.
bed_cluster_up() {
	local i
	bed_up "$1" >/dev/null || return 1
	for i in $(bed_nodes); do bed_corosync_start "$i" || return 1; done
	for i in $(bed_nodes); do bed_wait_quorate "$i" 15000 >/dev/null || return 1; done
}

# bed_wait_quorate ID TIMEOUT_MS [MEMBERS]: until node ID is quorate (and,
# if given, its membership is exactly MEMBERS, e.g. "2 3").
bed_wait_quorate() {
	local m=""
	[ -z "${3:-}" ] || m=$(bed__members_csv "$3")
	bed_wait_until "$2" "node $1 quorate${m:+ with members $m}" bed__quorum_is "$1" yes "$m"
}

# bed_wait_inquorate ID TIMEOUT_MS [MEMBERS]: until node ID is not quorate.
bed_wait_inquorate() {
	local m=""
	[ -z "${3:-}" ] || m=$(bed__members_csv "$3")
	bed_wait_until "$2" "node $1 not quorate${m:+ with members $m}" bed__quorum_is "$1" no "$m"
}

# bed_cmap ID KEY: a cmap value of node ID's corosync (e.g. runtime.config.totem.token).
bed_cmap() {
	bed_exec "$1" timeout 2 corosync-cmapctl -g "$2" | sed 's/.* = //'
}
