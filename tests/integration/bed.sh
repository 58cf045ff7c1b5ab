# shellcheck shell=bash
# bed.sh - corovip's integration test bed: N cluster nodes and a client in
# network namespaces on one bridge, each node running its own real corosync 3
# (knet), with link cuts, silent partitions, node crashes and the tools of the
# independent checker (tests/tools/addrwatch.c, probe.c, qwatch.c).
#
# Source it from a bash test script (as root):
#
#   . "$top/tests/integration/bed.sh"
#   bed_up 3                       # namespaces, bridge, veths, node anchors
#   for i in 1 2 3; do bed_corosync_start "$i"; done
#   bed_wait_quorate 1 10000 "1 2 3" || exit 1
#   ...
#   (bed_down runs from the EXIT trap that bed_up installs)
#
# Topology (nothing is added to the host's network namespace):
#
#   cvsw   the switch: bridge br0 (br1.. while partitioned), ports pn1..pnN, pcl
#   cvnI   node I: eth0 192.0.2.(10+I)/24, 2001:db8::(10+I)/64, MAC 02:cf:00:00:00:(10+I)
#   cvcl   the client: eth0 192.0.2.100/24, 2001:db8::100/64, MAC 02:cf:00:00:00:64
#
# Each node also has a private mount and UTS namespace, held by an "anchor"
# process (a sleep started with `ip netns exec`, whose mount namespace does
# not propagate to the host) with tmpfs on /run (corosync hard-codes
# /var/run/corosync.pid; qdevice and corovipd keep sockets there), tmpfs on
# /dev/shm (libqb IPC ring buffers: a kill -9 leaves litter only there), a
# bind mount of $BED_DIR/nI/lib on /var/lib/corosync, and hostname nI.
# Everything started on a node (bed_exec, bed_spawn, corosync) enters the
# anchor's namespaces with nsenter; libqb IPC uses abstract unix sockets,
# which are per network namespace, so corosync's tools reach their node's
# corosync. A node crash (bed_crash) kills every process of the node,
# anchor included, which wipes /run and /dev/shm as a reboot would.
#
# Settings (environment, read when used):
#   BED_PREFIX        namespace prefix (default cv)
#   BED_TOKEN         totem.token ms (300); BED_TOKEN_COEF token_coefficient (0)
#   BED_KNET_PING_INTERVAL / BED_KNET_PING_TIMEOUT  knet ping timers (100 / 500)
#   BED_TOTEM_EXTRA   extra lines for totem {}; BED_QUORUM_EXTRA for quorum {}
#   BED_POLL_MS       polling period of every wait (10)
#   BED_KEEP=1        keep $BED_DIR (configs, logs) after bed_down
#   BED_NO_TRAP=1     bed_up installs no EXIT/INT/TERM trap (call bed_down yourself)
#
# Every wait takes a deadline in ms, prints what it waited for and what it
# saw last when it times out, returns non-zero, and leaves the time it took
# in BED_WAITED_MS. Functions return non-zero on failure and never exit.
#
# Run directly, `bed.sh down` removes a bed left behind by a killed test.
#
# API (IDs are node numbers 1..N, or c for the client):
#   bed_up N / bed_down / bed_clean_stale       build / tear down / remove a leftover bed
#   bed_exec ID CMD... / bed_spawn ID NAME CMD...  run in a node (foreground / background)
#   bed_supervise ID NAME CMD... / bed_norestart ID NAME / bed_restarts ID NAME  (restarted on failure)
#   bed_pid ID NAME / bed_signal ID NAME SIG / bed_stop ID NAME [MS] / bed_kill ID NAME
#   bed_corosync_start|stop|kill|sigstop|sigcont ID, bed_corosync_conf ID, bed_cmap ID KEY
#   bed_quorum ID, bed_wait_quorate|bed_wait_inquorate ID MS [MEMBERS]
#   bed_cut ID / bed_heal ID / bed_partition GROUP... / bed_heal_all
#   bed_crash ID / bed_boot ID / bed_node_pids ID
#   bed_qnetd_up, bed_qdevice_start|stop ID, bed_qnetd_cut|heal ID, bed_qnetd_exec CMD...
#   bed_build_tools, bed_watch_start VIP [NAME] / bed_watch_wait HOLDERS MS / bed_watch_now
#     / bed_watch_first HOLDERS / bed_watch_stop, bed_probe_start VIP [NAME [OPTS]] /
#     bed_probe_stop, bed_probe_wait_replies [N [MS]], bed_echo_replies,
#     bed_qwatch_start ID / bed_qwatch_wait ID T0_US ERE MS
#   bed_corovip_conf ADDR/PLEN PREFER [LINE...] (corovipd's config for one VIP)
#   bed_holders ADDR, bed_field KEY LINE, bed_wait_until MS WHAT CMD..., bed_wait_dead PID MS WHAT
#   bed_ns / bed_port / bed_ip ID [6] / bed_mac / bed_host_of_mac MAC / bed_nodes / bed_now_ms

BED_PREFIX=${BED_PREFIX:-cv}
BED_DIR=${BED_DIR:-}
BED_N=${BED_N:-0}
# shellcheck disable=SC2034 # results for the caller
BED_WAITED_MS=0 BED_EVENT_US=0 BED_EVENT_MS=0
BED_LAST=""
BED_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The bed's parts, one concern each (tests/integration/bed/).
for bed__part in base network processes corosync qnetd checker teardown; do
	# shellcheck source=/dev/null
	. "$BED_SRC/tests/integration/bed/$bed__part.sh"
done
unset bed__part

# Run as a script: `bed.sh down` removes a bed left behind.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case "${1:-}" in
	down) bed__remove "$(bed__owner)" && echo "bed: no ${BED_PREFIX}* namespace left" ;;
	*)
		echo "usage: $0 down   (source this file from a test to use the bed)" >&2
		exit 2
		;;
	esac
fi
