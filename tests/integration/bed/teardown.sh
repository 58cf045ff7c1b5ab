# shellcheck shell=bash
# tests/integration/bed/teardown.sh: killing what the bed started and deleting its namespaces.
# Part of the test bed: sourced by tests/integration/bed.sh, never alone.

# Kill every process in our namespaces and delete them.
bed__destroy_ns() {
	local ns pids rc=0
	for ns in $(bed__our_ns); do
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	done
	for ns in $(bed__our_ns); do
		bed_wait_until 5000 "processes in $ns to die" bed__no_pids "$ns" || rc=1
	done
	for ns in $(bed__our_ns); do
		ip netns del "$ns" || rc=1
	done
	return $rc
}

# bed_temp_dir VAR NAME: a directory /tmp/NAME.XXXXXX in VAR that bed_down
# removes (with BED_KEEP=1 it stays, like the logs): for a test's files that
# its scripts' user must reach, which $BED_DIR (0700) is not. Call it after
# bed_up: bed_up's EXIT trap would replace a test's own.
BED__TEMP_DIRS=()
bed_temp_dir() {
	local d
	d=$(mktemp -d "/tmp/$2.XXXXXX") || return 1
	BED__TEMP_DIRS+=("$d")
	printf -v "$1" '%s' "$d"
}

# bed_down: kill everything the bed started (checker, nodes' processes,
# anchors) and delete every namespace (veths and bridges go with them);
# remove $BED_DIR and the bed_temp_dir directories unless BED_KEEP=1. Safe
# to call twice.
bed_down() {
	local p d rc=0
	if [ -n "$BED_DIR" ] && [ -f "$BED_DIR/bg.pids" ]; then
		while read -r p; do
			kill -KILL "$p" 2>/dev/null || true
		done <"$BED_DIR/bg.pids"
		while read -r p; do
			bed_wait_dead "$p" 3000 "checker process" || rc=1
		done <"$BED_DIR/bg.pids"
		bed__kill_tools "$BED_DIR"
	fi
	bed__destroy_ns || rc=1
	if [ -n "$BED_DIR" ] && [ -d "$BED_DIR" ]; then
		if [ -n "${BED_KEEP:-}" ]; then
			echo "bed: logs kept in $BED_DIR ${BED__TEMP_DIRS[*]}" >&2
		else
			rm -rf "$BED_DIR"
			for d in "${BED__TEMP_DIRS[@]}"; do rm -rf "$d"; done
		fi
	fi
	BED_DIR=""
	BED__TEMP_DIRS=()
	return $rc
}
