#!/bin/bash
# VIP groups (issue 13): a VIP of several addresses moves as one, so it can
# never be split. corovipd on 3 real corosync nodes (tests/integration/bed.sh,
# namespaces prefixed "gp"), one config for all, every daemon supervised:
#   svc  198.51.100.60/24 and 2001:db8:60::60/64 on eth0, prefers n1
#   db   192.0.2.61/24 on eth0 and 203.0.113.61/24 on dm0 (`dev dm0`: a
#        second interface the test adds to each node, a veth pair whose
#        peer stays in the node), prefers n2
# both with a notify hook that records its environment.
# Asserted from the kernel (addresses in each node's namespace), never from a
# log: each group's addresses are all on exactly one node; n1's corovipd
# killed (-9: its reaper releases) moves svc whole to another node, n2's
# moves db (and svc) whole; corosync killed where db is moves both groups
# whole; a planned move (corovipctl move) moves svc whole. Meanwhile addrwatch (every 10 ms, one per address)
# never sees an address on two nodes, and a sampler that dumps each node's
# addresses with one `ip -o addr` per node every ~50 ms never sees a group
# split (below). corovipctl status --json lists every address of a group with
# its interface; the hooks get COROVIP_ADDRESSES / COROVIP_INTERFACES.
#   tests/integration/groups.sh [BUILD_DIR]     (root)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: needs jq"; exit 77; }
cd "$top"
export BED_PREFIX=${BED_PREFIX:-gp}
# shellcheck source=tests/integration/bed.sh
. tests/integration/bed.sh
fail() { echo "FAIL: $*"; exit 1; }

S4=198.51.100.60 S6=2001:db8:60::60 # svc, both on eth0
D4=192.0.2.61 DD=203.0.113.61       # db, on eth0 and on dm0
ALL="$S4 $S6 $D4 $DD"
declare -A GROUP=([svc]="$S4 $S6" [db]="$D4 $DD")

ctl() { local i=$1; shift; bed_exec "$i" "$build/ctl/corovipctl" "$@"; }

# whole_on G NODE: every address of group G is on NODE (n<I>) and on no
# other node; NODE "one": on one node, the same for all (its name in WHOLE).
whole_on() {
	local a h first=""
	for a in ${GROUP[$1]}; do
		h=$(bed_holders "$a")
		BED_LAST="$a on '$h'"
		[[ "$h" =~ ^n[0-9]+$ ]] || return 1
		[ -n "$first" ] || first=$h
		[ "$h" = "$first" ] || { BED_LAST="$1 split: ${GROUP[$1]%% *} on $first, $a on $h"; return 1; }
	done
	[ "$2" = one ] || [ "$first" = "$2" ] || return 1
	WHOLE=$first
}
# whole_moved G FROM: group G whole on one node other than FROM.
whole_moved() { whole_on "$1" one && [ "$WHOLE" != "$2" ]; }
nothing_left() {
	local a h
	for a in $ALL; do
		h=$(bed_holders "$a")
		[ -z "$h" ] || { BED_LAST="$a still on $h"; return 1; }
	done
}

# The split sampler: every ~50 ms, one `ip -o addr` per node (a group's
# addresses on one interface come and go in one netlink batch, so one dump
# sees a node's part of a group at once); a line per whole sample:
#   <ms> n1=BITS n2=BITS n3=BITS      BITS: S4 S6 D4 DD, 1 = on the node
sampler() {
	local i out line a bits
	while :; do
		line=$(bed_now_ms)
		for i in 1 2 3; do
			out=$(ip -n "$(bed_ns "$i")" -o addr show 2>/dev/null) || { line=""; break; }
			bits=""
			for a in $ALL; do
				case "$out" in *" $a/"*) bits+=1 ;; *) bits+=0 ;; esac
			done
			line+=" n$i=$bits"
		done
		[ -z "$line" ] || echo "$line"
		sleep 0.05
	done
}
# judge LOG: the sampler's verdict. Nodes are dumped one after the other, so
# a sample that straddles a handoff can show the group on the old and the new
# holder; and one dump can catch half of db, whose two interfaces are two
# netlink batches, sent back to back): a state counts as a split only when
# two consecutive samples of it show it (the old holder's release comes
# before the new holder's add, and a batch, or db's two, are done long
# before the next sample: a node with half a group then is the real split),
# or when one sample shows two nodes with different parts of a group (that
# needs a half add and a half release caught at once). Prints "samples=
# halves= splits= svc_holders= db_holders=" and the split lines.
judge() {
	awk '
	NF != 4 || $2 !~ /^n1=[01][01][01][01]$/ || $3 !~ /^n2=[01][01][01][01]$/ || $4 !~ /^n3=[01][01][01][01]$/ { next }
	{
		samples++
		bad = ""
		for (g = 0; g < 2; g++) {
			name = g ? "db" : "svc"
			part = ""
			for (n = 1; n <= 3; n++) {
				b = substr($(n + 1), 4 + 2 * g, 2)
				if (b == "01" || b == "10") {
					halves++
					if (prev[g, n] == b) bad = bad " " name ":n" n "=" b "-twice"
					if (part != "" && part != b) bad = bad " " name ":parts-on-two-nodes"
					part = b
				}
				if (b == "11" && !((g, n) in seen)) { seen[g, n] = 1; holders[g] = holders[g] "n" n "," }
				prev[g, n] = b
			}
			# an address of the group on two nodes, twice in a row
			for (k = 1; k <= 2; k++) {
				c = 0
				for (n = 1; n <= 3; n++) c += substr(prev[g, n], k, 1)
				if (c > 1 && multi[g, k]) bad = bad " " name ":address" k "-on-" c "-nodes-twice"
				multi[g, k] = c > 1
			}
		}
		if (bad != "") { splits++; print "SPLIT " $0 bad }
	}
	END {
		printf "samples=%d halves=%d splits=%d svc_holders=%s db_holders=%s\n", samples, halves,
			splits, holders[0] "", holders[1] ""
	}' "$1"
}

bed_cluster_up 3
bed_build_tools
bed_temp_dir hk corovip-groups
chmod 1777 "$hk" # the hooks run as nobody
for i in 1 2 3; do
	ip -n "$(bed_ns "$i")" link add dm0 type veth peer name dm0p
	ip -n "$(bed_ns "$i")" link set dm0p up
	ip -n "$(bed_ns "$i")" link set dm0 up
done

cat >"$hk/record.sh" <<'EOS'
#!/bin/sh
printf '%s|%s|%s|%s|%s|%s|%s\n' "$COROVIP_VIP" "$COROVIP_OLD_STATE" "$COROVIP_NEW_STATE" \
	"$COROVIP_ADDRESS" "$COROVIP_INTERFACE" "$COROVIP_ADDRESSES" "$COROVIP_INTERFACES" \
	>>"$1/events-n$COROVIP_NODE"
EOS
chmod 0755 "$hk/record.sh"
cat >"$BED_DIR/corovip.conf" <<EOC
cluster {
	kernel_lease: 3s
	script_user: nobody
}
node n1 {
}
node n2 {
}
node n3 {
}
vip svc {
	address: $S4/24
	address: $S6/64
	interface: eth0
	prefer: n1 n2 n3
	notify: $hk/record.sh $hk
}
vip db {
	address: $D4/24
	address: $DD/24 dev dm0
	interface: eth0
	prefer: n2 n3 n1
	notify: $hk/record.sh $hk
}
EOC
chmod 0644 "$BED_DIR/corovip.conf"

for i in 1 2 3; do bed_supervise "$i" corovipd "$build/agent/corovipd" -f -c "$BED_DIR/corovip.conf"; done
bed_wait_until 10000 "svc whole on n1" whole_on svc n1 >/dev/null || fail "$BED_LAST"
bed_wait_until 10000 "db whole on n2" whole_on db n2 >/dev/null || fail "$BED_LAST"
echo "ok - svc ($S4, $S6) whole on n1, db ($D4 on eth0, $DD on dm0) whole on n2"

# The checkers start once the groups are held: every sample from here counts.
for a in $ALL; do bed_watch_start "$a" "w-$a" >/dev/null || fail "$BED_LAST"; done
bed_bg split sampler
bed_wait_until 3000 "the split sampler's first sample" bed__log_has "$BED_DIR/split.log" ' n3=' ||
	fail "$BED_LAST"

# status --json on every node: each group's addresses, with their interfaces
for i in 1 2 3; do
	js=$(ctl "$i" status --json) || fail "corovipctl status --json on n$i"
	got=$(echo "$js" | jq -r '.vips[] | select(.name == "svc") | [.addresses[] | .address + "@" + .interface] | join(" ")')
	[ "$got" = "$S4/24@eth0 $S6/64@eth0" ] || fail "n$i: svc's addresses in status --json: '$got'"
	got=$(echo "$js" | jq -r '.vips[] | select(.name == "db") | [.addresses[] | .address + "@" + .interface] | join(" ")')
	[ "$got" = "$D4/24@eth0 $DD/24@dm0" ] || fail "n$i: db's addresses in status --json: '$got'"
	got=$(echo "$js" | jq -r '.vips[] | select(.name == "svc") | .owner.name')
	[ "$got" = n1 ] || fail "n$i: svc's owner in status --json: '$got'"
done
echo "ok - corovipctl status --json on every node lists both addresses of each group (db's on dm0)"

# hook_saw NODE VIP ADDRESSES INTERFACES: NODE's last event of VIP is its
# takeover, with the group's addresses and interfaces.
hook_saw() {
	local l want
	l=$(grep "^$2|" "$hk/events-$1" 2>/dev/null | tail -1)
	want="$2|waiting|held|${3%% *}|eth0|$3|$4"
	[ "$l" = "$want" ] || { BED_LAST="$1's last event of $2: '$l', not '$want'"; return 1; }
}
svc_env="$S4/24 $S6/64"
bed_wait_until 5000 "n1's hook to record svc's takeover" hook_saw n1 svc "$svc_env" "eth0 eth0" >/dev/null ||
	fail "$BED_LAST"
bed_wait_until 5000 "n2's hook to record db's takeover" hook_saw n2 db "$D4/24 $DD/24" "eth0 dm0" >/dev/null ||
	fail "$BED_LAST"
echo "ok - the hooks got COROVIP_ADDRESSES '$svc_env' (eth0 eth0) and '$D4/24 $DD/24' (eth0 dm0)"

# 1. n1's corovipd killed: its reaper releases svc, whole; a peer takes it whole.
bed_kill 1 corovipd
bed_wait_until 5000 "svc whole on another node after n1's corovipd was killed" whole_moved svc n1 \
	>/dev/null || fail "$BED_LAST"
h=$WHOLE
echo "ok - n1's corovipd killed: svc whole on $h in ${BED_WAITED_MS} ms"
bed_wait_until 5000 "$h's hook to record svc's takeover" hook_saw "$h" svc "$svc_env" "eth0 eth0" \
	>/dev/null || fail "$BED_LAST"
bed_wait_until 5000 "the supervisor to restart corovipd on n1" bed_pid 1 corovipd >/dev/null ||
	fail "$BED_LAST"
whole_on db n2 || fail "db moved when n1's daemon died: $BED_LAST"

# 2. n2's corovipd killed: its reaper releases db (on eth0 and dm0), whole.
bed_kill 2 corovipd
bed_wait_until 5000 "db whole on another node after n2's corovipd was killed" whole_moved db n2 \
	>/dev/null || fail "$BED_LAST"
hd=$WHOLE
echo "ok - n2's corovipd killed: db whole on $hd in ${BED_WAITED_MS} ms"
bed_wait_until 5000 "$hd's hook to record db's takeover" hook_saw "$hd" db "$D4/24 $DD/24" "eth0 dm0" \
	>/dev/null || fail "$BED_LAST"
bed_wait_until 5000 "svc whole on one node" whole_on svc one >/dev/null || fail "$BED_LAST"
bed_wait_until 5000 "the supervisor to restart corovipd on n2" bed_pid 2 corovipd >/dev/null ||
	fail "$BED_LAST"

# 3. corosync killed where db is: both groups there move, each whole.
c=${hd#n}
whole_on svc one || fail "$BED_LAST"
[ "$WHOLE" = "$hd" ] || ctl "$c" move svc "$hd" >/dev/null || fail "move svc $hd"
bed_wait_until 5000 "svc whole on $hd" whole_on svc "$hd" >/dev/null || fail "$BED_LAST"
bed_corosync_kill "$c"
bed_wait_until 8000 "svc whole on another node after $hd's corosync was killed" whole_moved svc "$hd" \
	>/dev/null || fail "$BED_LAST"
hs=$WHOLE
bed_wait_until 8000 "db whole on another node after $hd's corosync was killed" whole_moved db "$hd" \
	>/dev/null || fail "$BED_LAST"
echo "ok - $hd's corosync killed: svc whole on $hs, db whole on $WHOLE (on eth0 and dm0)"
bed_wait_until 5000 "$hs's hook to record svc's takeover" hook_saw "$hs" svc "$svc_env" "eth0 eth0" \
	>/dev/null || fail "$BED_LAST"
bed_corosync_start "$c"
for i in 1 2 3; do bed_wait_quorate "$i" 15000 "1 2 3" >/dev/null || fail "n$i not quorate with 1 2 3"; done

# 4. A planned move (handoff) of svc back to where corosync was killed, whole again.
bed_wait_until 10000 "$hd's corovipd to take a move" ctl "$c" move svc "$hd" >/dev/null ||
	fail "move svc $hd"
bed_wait_until 5000 "svc whole on $hd after the move" whole_on svc "$hd" >/dev/null || fail "$BED_LAST"
echo "ok - corovipctl move: svc whole on $hd in ${BED_WAITED_MS} ms"

# Let the sampler see the settled state a few times, then judge.
samples_past() { [ "$(wc -l <"$BED_DIR/split.log")" -ge "$1" ]; }
bed_wait_until 3000 "3 more samples" samples_past $(($(wc -l <"$BED_DIR/split.log") + 3)) ||
	fail "$BED_LAST"
kill -TERM "$(cat "$BED_DIR/split.pid")" 2>/dev/null || true
v=$(judge "$BED_DIR/split.log")
grep -q '^SPLIT' <<<"$v" && fail "a group split: $v"
s=$(tail -1 <<<"$v")
[ "$(bed_field samples "$s")" -ge 20 ] || fail "too few whole samples: $s"
[[ "$(bed_field svc_holders "$s")" == *,*,* ]] || fail "the sampler did not see svc move: $s"
echo "ok - the split sampler never saw a group split or an address on two nodes ($s)"
for a in $ALL; do
	s=$(bed_watch_stop "w-$a")
	[ "$(bed_field multi "$s")" = 0 ] || fail "two holders of $a: $s"
done
echo "ok - addrwatch never saw any of the 4 addresses on two nodes"

for i in 1 2 3; do bed_norestart "$i" corovipd; done
for i in 1 2 3; do bed_stop "$i" corovipd 10000 || fail "n$i: corovipd did not stop"; done
bed_wait_until 3000 "no address left" nothing_left >/dev/null || fail "$BED_LAST"
echo "ok - every daemon stopped: no address of either group left on any node"
bed_down
