# shellcheck shell=bash
# tests/integration/bed/base.sh: the helpers every part uses: logging, clocks, names and addresses of the nodes, waiting with a deadline.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

bed_fail() {
	echo "bed: $*" >&2
	return 1
}

bed__log() {
	[ -z "${BED_VERBOSE:-}" ] || echo "bed: $*" >&2
}

# Microseconds since the epoch in BED__NOW, without a fork.
bed__now() {
	local t=$EPOCHREALTIME
	BED__NOW=${t//[!0-9]/}
}

# bed_now_ms: print milliseconds since the epoch.
bed_now_ms() {
	bed__now
	echo $((BED__NOW / 1000))
}

# bed_ns ID: the namespace of node ID (1..N), c (client), sw (switch), qn (qnetd).
bed_ns() {
	case "$1" in
	c | cl | client) echo "${BED_PREFIX}cl" ;;
	sw) echo "${BED_PREFIX}sw" ;;
	q | qn | qnetd) echo "${BED_PREFIX}qn" ;;
	[1-9] | [1-9][0-9]) echo "${BED_PREFIX}n$1" ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_port ID: the switch port (in the switch namespace) of node ID or c.
bed_port() {
	case "$1" in
	c | cl | client) echo pcl ;;
	[1-9] | [1-9][0-9]) echo "pn$1" ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_ip ID [6]: IPv4 (or IPv6) address of node ID or c, without prefix.
bed_ip() {
	local v6=${2:-}
	case "$1" in
	c | cl | client) if [ "$v6" = 6 ]; then echo 2001:db8::100; else echo 192.0.2.100; fi ;;
	[1-9] | [1-9][0-9]) if [ "$v6" = 6 ]; then echo "2001:db8::$((10 + $1))"; else echo "192.0.2.$((10 + $1))"; fi ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_mac ID: MAC address of eth0 of node ID or c.
bed_mac() {
	case "$1" in
	c | cl | client) echo 02:cf:00:00:00:64 ;;
	[1-9] | [1-9][0-9]) printf '02:cf:00:00:00:%02x\n' $((10 + $1)) ;;
	*) bed_fail "no such host: $1" ;;
	esac
}

# bed_host_of_mac MAC: n<I> or cl for a MAC of the bed, "?" otherwise.
bed_host_of_mac() {
	local m=${1,,} i
	[ "$m" = "$(bed_mac c)" ] && { echo cl; return 0; }
	for ((i = 1; i <= BED_N; i++)); do
		[ "$m" = "$(bed_mac "$i")" ] && { echo "n$i"; return 0; }
	done
	echo "?"
}

bed_nodes() { seq 1 "$BED_N"; }

bed__have_ns() { [ -e "/run/netns/$1" ]; }

# Our namespaces that exist now (also those of a bed left behind).
bed__our_ns() {
	ip netns list 2>/dev/null | awk '{print $1}' |
		grep -E "^${BED_PREFIX}(sw|cl|qn|n[0-9]+)\$" || true
}

# bed__dead PID: true if PID is gone or a zombie.
bed__dead() {
	local line st
	[ -r "/proc/$1/stat" ] || return 0
	{ read -r line <"/proc/$1/stat"; } 2>/dev/null || return 0
	st=${line##*) }
	[ "${st%% *}" = Z ]
}


# bed_wait_until TIMEOUT_MS WHAT CMD...: run CMD every BED_POLL_MS until it
# succeeds; on timeout print WHAT (and BED_LAST, which CMD may set to what
# it saw) and return 1. CMD returns 0 (done), 1 (not yet) or 2 (never:
# give up at once). BED_WAITED_MS: time until success or failure.
bed_wait_until() {
	local tmo=$1 what=$2 start deadline poll rc
	shift 2
	poll=$(printf '%d.%03d' $((${BED_POLL_MS:-10} / 1000)) $((${BED_POLL_MS:-10} % 1000)))
	BED_LAST=""
	bed__now
	start=$BED__NOW
	deadline=$((start + tmo * 1000))
	while :; do
		if "$@"; then rc=0; else rc=$?; fi
		bed__now
		BED_WAITED_MS=$(((BED__NOW - start) / 1000))
		[ $rc != 0 ] || return 0
		if [ $rc = 2 ]; then
			bed_fail "gave up after ${BED_WAITED_MS} ms waiting for: $what${BED_LAST:+ ($BED_LAST)}"
			return 1
		fi
		[ "$BED__NOW" -lt "$deadline" ] || break
		sleep "$poll"
	done
	bed_fail "timed out after ${tmo} ms waiting for: $what${BED_LAST:+ (last seen: $BED_LAST)}"
}

# bed_wait_dead PID TIMEOUT_MS WHAT: wait until a process has exited.
bed_wait_dead() {
	bed_wait_until "$2" "$3 (pid $1) to exit" bed__dead "$1" || return 1
}
