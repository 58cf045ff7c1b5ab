#!/bin/bash
# The Debian package, installed and run as a user would (issue 19):
#   1. the .deb: built with pkg/build-deb (dpkg-buildpackage and lintian,
#      whose warnings fail it) unless one is given;
#   2. a fresh root: a minbase debootstrap of the host's release from the
#      mirror apt already uses, made once into $CVPKG_CACHE (reused while
#      younger than $CVPKG_CACHE_DAYS days) and copied for each run;
#   3. apt-get install ./corovip_*.deb in it (its dependencies from apt);
#   4. the file list (dpkg -L) and what the maintainer scripts did: group
#      haclient, the unit enabled, no corovip.conf made;
#   5. the installed corovipd run exactly as the unit's ExecStart runs it
#      (setpriv: the unit's bounding set, no_new_privs, UMask, LimitNOFILE,
#      $STATE_DIRECTORY, $NOTIFY_SOCKET) in a network namespace of its own
#      against a single-node corosync from the root: READY=1, the VIP on a
#      veth interface, corovipctl status, a kill -9 of the daemon alone (as
#      KillMode=process leaves the reaper: it removes the address and
#      exits), a restart that takes it again, SIGTERM: exit 0, no address;
#   6. dpkg --purge: nothing of the package left, nor /etc/corovip or
#      /var/lib/corovip;
#   7. installed again with systemd, the root booted with systemd as PID 1
#      (systemd-nspawn -b) in a network namespace of ours: corosync and
#      corovipd started at boot, the unit's sandbox in force, stop (VIP and
#      reaper gone, exit 0), start, a crash (systemctl kill --kill-whom=main
#      -s KILL: the reaper's sweep before the restart takes the VIP again),
#      and ConditionFileNotEmpty without a config; then powered off.
# When the root cannot boot (step 7), the test fails, printing nspawn's
# words; CVPKG_ALLOW_NO_NSPAWN=1 makes that "SKIP-NSPAWN: <reason>" instead
# (step 5 has already checked the unit's crash semantics by hand).
#
#   tests/pkg/package.sh [DEB]        (root; network: the Debian mirror)
#
# Every wait is a poll with a deadline. Namespaces, machines and mounts are
# named cvpkg*; all of them go in the EXIT trap.
# shellcheck disable=SC2016 # dpkg-query formats and awk programs
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root"; exit 77; }

CACHE=${CVPKG_CACHE:-/var/tmp/cvpkg-root-cache}
CACHE_DAYS=${CVPKG_CACHE_DAYS:-7}
VIP=192.0.2.50
IF=cvpkg0
PEER=cvpkg1 # its veth peer, in the same namespace (the kernel may have no dummy)
NODE=n1
# the unit's CapabilityBoundingSet as /proc/PID/status shows it: CAP_CHOWN(0)
# CAP_KILL(5) CAP_SETGID(6) CAP_SETUID(7) CAP_NET_ADMIN(12) CAP_NET_RAW(13)
CAPBND=00000000000030e1
KERNEL_LEASE_MS=10000 # corovip.conf(5): kernel_lease's default

t_start=$(date +%s)
work=$(mktemp -d /var/tmp/cvpkg-run.XXXXXX)
root=$work/root
logs=$work/logs
mkdir -p "$logs"
ns5=cvpkg-$$-run
ns7=cvpkg-$$-boot
machine=cvpkg$$
mounts=()
bgpids=()
nspawn_pid=
leader=
failed=0
npass=0
nskip=0

note() { echo "# $*"; }
ok() { npass=$((npass + 1)); echo "ok - $*"; }
fail() {
	echo "FAIL: $*"
	failed=1
	exit 1
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# wait_for MS WHAT CMD...: poll CMD every 50 ms until it succeeds, fail after
# MS ms (CMD may set LAST to say what it saw).
LAST=
wait_for() {
	local ms=$1 what=$2 end
	shift 2
	end=$(($(now_ms) + ms))
	LAST=
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || fail "no $what within $ms ms${LAST:+ ($LAST)}"
		sleep 0.05
	done
}

# ---- teardown: everything we started or mounted, by pid and by path ----
umount_all() {
	local i m
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[i]}
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || echo "# could not unmount $m"
	done
	mounts=()
}
kill_pid() { # kill_pid PID [DEADLINE_MS]: TERM, then KILL after the deadline
	local p=$1 end
	kill -0 "$p" 2>/dev/null || return 0
	kill -TERM "$p" 2>/dev/null || return 0
	end=$(($(now_ms) + ${2:-5000}))
	while kill -0 "$p" 2>/dev/null && [ "$(now_ms)" -lt "$end" ]; do sleep 0.05; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
netns_down() { # netns_down NAME: kill what still runs in it, then delete it
	local p
	ip netns list 2>/dev/null | grep -qw "^$1" || return 0
	for p in $(ip netns pids "$1" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
	ip netns del "$1" 2>/dev/null || true
}
cleanup() {
	local rc=$? p
	set +e
	if [ -n "$nspawn_pid" ]; then
		[ -z "$leader" ] || timeout 10 nsenter -t "$leader" -a -- journalctl -b --no-pager -o short-precise \
			-u corosync -u corovipd >"$logs/journal" 2>&1
		kill_pid "$nspawn_pid" 30000 # SIGTERM: nspawn halts the container
		nspawn_pid=
	fi
	for p in "${bgpids[@]}"; do kill_pid "$p" 3000; done
	netns_down "$ns5"
	netns_down "$ns7"
	umount_all
	rm -rf "/run/systemd/nspawn/propagate/$machine" 2>/dev/null
	if [ "$rc" != 0 ] || [ "$failed" = 1 ]; then
		for p in "$logs"/*; do
			[ -s "$p" ] || continue
			echo "--- ${p#"$work"/} (last 30 lines)"
			tail -n 30 "$p"
		done
	fi
	# never rm -rf through a mount that is still there
	if grep -q " $work/" /proc/mounts; then
		echo "# mounts left under $work: not removing it"
	elif [ -n "${CVPKG_KEEP:-}" ]; then
		echo "# kept: $work"
	else
		rm -rf "$work"
	fi
	echo "# $(($(date +%s) - t_start)) s"
	echo "$npass passed, $([ "$rc" = 0 ] && echo 0 || echo 1) failed$([ "$nskip" = 0 ] || echo ", $nskip skipped")"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- host tools ----
missing=()
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
command -v setpriv >/dev/null || missing+=(util-linux)
if [ $# = 0 ]; then
	command -v dpkg-buildpackage >/dev/null || missing+=(dpkg-dev)
	command -v dh >/dev/null || missing+=(debhelper)
	command -v lintian >/dev/null || missing+=(lintian)
fi
if [ ${#missing[@]} -gt 0 ]; then
	note "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o DPkg::Lock::Timeout=300 "${missing[@]}" >"$logs/host-apt.log" 2>&1 ||
		fail "apt-get install ${missing[*]} on the host"
fi

# ---- 1. the .deb ----
if [ $# -ge 1 ]; then
	deb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	[ -f "$deb" ] || fail "no such .deb: $1"
	note "the given package: $deb"
else
	"$top/pkg/build-deb" "$work/deb" >"$logs/build-deb.log" 2>&1 ||
		fail "pkg/build-deb (dpkg-buildpackage and lintian): $(tail -n 15 "$logs/build-deb.log")"
	deb=$(ls "$work"/deb/corovip_*.deb)
	ok "pkg/build-deb built $(basename "$deb") and lintian passed it"
fi

# ---- 2. a fresh root from the cache ----
# The release and mirrors the host's apt uses (apt-cache policy), main only.
# shellcheck source=/dev/null
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || fail "no VERSION_CODENAME in /etc/os-release"
sources=$(apt-cache policy 2>/dev/null | awk -v c="$suite" '
	$1 ~ /^[0-9]+$/ && $2 ~ /^(https?|file):/ && $3 ~ "^" c "(-[a-z]+)?/main$" {
		split($3, s, "/"); print $2, s[1] }' | sort -u)
mirror=${CVPKG_MIRROR:-$(echo "$sources" | awk -v c="$suite" '$2 == c { print $1; exit }')}
mirror=${mirror:-http://deb.debian.org/debian}
[ -n "$sources" ] || sources="$mirror $suite"

mkdir -p "$CACHE/archives/partial"
exec 9>"$CACHE/lock"
flock 9
if [ -f "$CACHE/stamp" ] && [ -d "$CACHE/root" ] &&
	[ "$(cat "$CACHE/stamp")" = "$suite $mirror" ] &&
	[ -z "$(find "$CACHE/stamp" -mtime +"$CACHE_DAYS")" ]; then
	note "the cached $suite root ($CACHE/root, made $(date -r "$CACHE/stamp" '+%F %T'))"
else
	note "debootstrap --variant=minbase $suite from $mirror into $CACHE (once)"
	rm -rf "$CACHE/root" "$CACHE/root.new" "$CACHE/stamp"
	t=$(date +%s)
	debootstrap --variant=minbase --cache-dir="$CACHE/archives" "$suite" "$CACHE/root.new" "$mirror" \
		>"$logs/debootstrap.log" 2>&1 || fail "debootstrap: $(tail -n 5 "$logs/debootstrap.log")"
	mv "$CACHE/root.new" "$CACHE/root"
	echo "$suite $mirror" >"$CACHE/stamp"
	note "debootstrap took $(($(date +%s) - t)) s"
fi
cp -a "$CACHE/root" "$root"
flock -u 9
exec 9>&-
echo "$sources" | awk '{ print "deb", $1, $2, "main" }' >"$root/etc/apt/sources.list"
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
ok "a fresh $suite root ($(echo "$sources" | awk '{ printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2 }'))"

# chroot_up / chroot_down: what apt, dpkg, corosync and corovipd need in the
# root: /proc, a private devpts and /dev/shm (libqb's rings), apt's archives
# kept across runs in the cache.
chroot_up() {
	mount -t proc cvpkg-proc "$root/proc" && mounts+=("$root/proc")
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 cvpkg-pts "$root/dev/pts" && mounts+=("$root/dev/pts")
	mkdir -p "$root/dev/shm"
	mount -t tmpfs -o mode=1777,size=128m cvpkg-shm "$root/dev/shm" && mounts+=("$root/dev/shm")
	mount --bind "$CACHE/archives" "$root/var/cache/apt/archives" && mounts+=("$root/var/cache/apt/archives")
}
chroot_down() { umount_all; }
inroot() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
# services must not start in the chroot while packages are installed
deny_starts() { printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"; }
allow_starts() { rm -f "$root/usr/sbin/policy-rc.d"; }
apt_in_root() {
	inroot apt-get -q -o DPkg::Lock::Timeout=60 "$@" >>"$logs/apt.log" 2>&1 ||
		fail "apt-get $* in the root: $(grep -E '^(E|W):|rror' "$logs/apt.log" | tail -n 8)"
}

# ---- 3. install ----
chroot_up
deny_starts
t=$(date +%s)
apt_in_root update
cp "$deb" "$root/tmp/"
debname=$(basename "$deb")
apt_in_root install -y --no-install-recommends "/tmp/$debname"
rm -f "$root/tmp/$debname"
[ "$(inroot dpkg-query -W -f '${Status}' corovip)" = "install ok installed" ] ||
	fail "corovip is not installed: $(inroot dpkg-query -W -f '${Status}' corovip)"
ok "apt-get install ./$debname in the root with its dependencies from apt ($(($(date +%s) - t)) s; corosync $(inroot dpkg-query -W -f '${Version}' corosync))"

# ---- 4. the file list and the maintainer scripts' work ----
inroot dpkg -L corovip >"$logs/dpkg-L" || fail "dpkg -L corovip"
for f in /usr/sbin/corovipd /usr/bin/corovipctl /usr/sbin/corovip-import /usr/sbin/corovip-os \
	/usr/sbin/corovip-aws /lib/systemd/system/corovipd.service /usr/lib/ocf/resource.d/corovip/vip \
	/usr/share/man/man8/corovipd.8.gz /usr/share/man/man8/corovipctl.8.gz \
	/usr/share/man/man5/corovip.conf.5.gz /etc/corovip/corovip.conf.example \
	/usr/share/doc/corovip/copyright /usr/share/bash-completion/completions/corovipctl; do
	grep -qxF "$f" "$logs/dpkg-L" || fail "dpkg -L corovip has no $f"
	[ -e "$root$f" ] || fail "$f is listed but not in the root"
done
for f in /usr/sbin/corovipd /usr/bin/corovipctl /usr/lib/ocf/resource.d/corovip/vip; do
	[ -x "$root$f" ] || fail "$f is not executable"
done
# every binary finds its libraries (ldd in the root)
for f in /usr/sbin/corovipd /usr/bin/corovipctl /usr/sbin/corovip-import /usr/sbin/corovip-os /usr/sbin/corovip-aws; do
	if inroot ldd "$f" | grep -q 'not found'; then fail "$f: $(inroot ldd "$f" | grep 'not found')"; fi
done
ver=$(inroot /usr/sbin/corovipd -V 2>&1) || fail "corovipd -V: $ver"
ok "dpkg -L: daemon, corovipctl, the cloud tools, corovip-import, the unit, the OCF agent, man pages, example config; every library found ($ver)"
[ "$(inroot dpkg-query -W -f '${Conffiles}' corovip | awk 'NF { print $1 }')" = /etc/corovip/corovip.conf.example ] ||
	fail "conffiles: $(inroot dpkg-query -W -f '${Conffiles}' corovip)"
inroot getent group haclient >/dev/null || fail "postinst made no group haclient"
wants=/etc/systemd/system/multi-user.target.wants/corovipd.service
[ "$(readlink "$root$wants")" = /lib/systemd/system/corovipd.service ] ||
	fail "the unit is not enabled: $wants -> $(readlink "$root$wants" || echo nothing)"
[ ! -e "$root/etc/corovip/corovip.conf" ] || fail "the package made /etc/corovip/corovip.conf"
ok "maintainer scripts: group haclient ($(inroot getent group haclient)), corovipd.service enabled, no corovip.conf made; conffile: the example only"

# make_netns NS: a namespace of ours with lo and a veth pair, the VIP's interface one end
make_netns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add "$IF" type veth peer name "$PEER"
	ip -n "$1" link set "$PEER" up
	ip -n "$1" link set "$IF" up
}

# ---- 5. the installed corovipd, run as the unit's ExecStart runs it ----
# The network: a namespace of ours with lo and a veth pair (the VIP on one end).
make_netns "$ns5"
write_corosync_conf() { # write_corosync_conf LOGGING-LINES
	cat >"$root/etc/corosync/corosync.conf" <<-EOF
		# tests/pkg/package.sh: one node, quorate alone
		totem {
		    version: 2
		    cluster_name: cvpkg
		    transport: knet
		    crypto_cipher: none
		    crypto_hash: none
		    # corosync's default token (3000 ms) makes corovipd's lease 6.7 s,
		    # more than kernel_lease's default (10 s) / 1.5: it says so
		    token: 1000
		}
		nodelist {
		    node {
		        ring0_addr: 127.0.0.1
		        name: $NODE
		        nodeid: 1
		    }
		}
		quorum {
		    provider: corosync_votequorum
		    expected_votes: 1
		}
		logging {
		$1
		}
	EOF
}
write_corovip_conf() {
	mkdir -p "$root/etc/corovip"
	cat >"$root/etc/corovip/corovip.conf" <<-EOF
		# tests/pkg/package.sh
		cluster {
		    group: corovip
		}
		node $NODE {
		}
		vip web {
		    address: $VIP/24
		    interface: $IF
		}
	EOF
	chmod 0600 "$root/etc/corovip/corovip.conf"
}
write_corosync_conf "    to_stderr: yes
    to_syslog: no
    timestamp: on"
write_corovip_conf
inroot /usr/sbin/corovipd -t >"$logs/corovipd-t" 2>&1 || fail "corovipd -t: $(cat "$logs/corovipd-t")"

# (a command, not a function, when in the background: $! is then its pid,
# every step an exec)
IN5=(ip netns exec "$ns5" chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
in5() { "${IN5[@]}" "$@"; }
"${IN5[@]}" corosync -f >"$logs/corosync.log" 2>&1 &
cs_pid=$!
bgpids+=("$cs_pid")
cs_quorate() {
	kill -0 "$cs_pid" 2>/dev/null || fail "corosync exited: $(tail -n 5 "$logs/corosync.log")"
	LAST=$(in5 corosync-quorumtool -s 2>&1 | grep -E '^Quorate:' || true)
	[[ "$LAST" =~ Yes ]]
}
wait_for 20000 "quorate corosync" cs_quorate
ok "a single-node corosync from the root (knet, 127.0.0.1) in netns $ns5: quorate alone"

# systemd's notification socket, stood in for (NotifyAccess=main: the
# sender's pid is checked)
py=$(command -v /usr/bin/python3 || command -v python3) || fail "no python3 on the host (the notify socket)"
sink=$root/run/cvpkg-notify
"$py" "$top/tests/pkg/notify-sink.py" "$sink" "$logs/notify" &
bgpids+=("$!")
sink_ready() { [ -S "$sink" ]; }
wait_for 5000 "notify socket" sink_ready

# start_corovipd: ExecStart as systemd runs it for this unit: the bounding
# set, no_new_privs, no inheritable or ambient capabilities (root keeps the
# bounding set's), UMask=0077, LimitNOFILE=65536 (or the hard limit, when
# this host may not raise it), StateDirectory=corovip
# (0700), NOTIFY_SOCKET. Sets d_pid (corovipd's pid: each exec keeps it).
start_corovipd() {
	mkdir -p "$root/var/lib/corovip"
	chmod 0700 "$root/var/lib/corovip"
	"${IN5[@]}" NOTIFY_SOCKET=/run/cvpkg-notify STATE_DIRECTORY=/var/lib/corovip /bin/sh -c '
		umask 0077
		# LimitNOFILE=65536; a host without CAP_SYS_RESOURCE keeps its hard limit
		ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
		exec setpriv --bounding-set=-all,+chown,+kill,+setgid,+setuid,+net_admin,+net_raw \
			--inh-caps=-all --ambient-caps=-all --no-new-privs /usr/sbin/corovipd --foreground' \
		>>"$logs/corovipd.log" 2>&1 &
	d_pid=$!
	bgpids+=("$d_pid")
}
ready_from() { # ready_from PID: READY=1 from PID on the notify socket
	kill -0 "$1" 2>/dev/null || fail "corovipd exited: $(tail -n 8 "$logs/corovipd.log")"
	grep -qx "$1 READY=1" "$logs/notify"
}
vip_on() { # vip_on NS: the VIP on $IF
	LAST=$(ip -n "$1" -o addr show dev "$IF" | awk '{ print $4 }' | paste -sd' ' -)
	[[ " $LAST " == *" $VIP/24 "* ]]
}
vip_off() { ! vip_on "$1"; }
gone() { # gone PID: exited (or a zombie nobody has reaped yet)
	local s
	s=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 0
	LAST="pid $1 state $s"
	[ "$s" = Z ]
}
reaper_of() { # reaper_of PID [PROC]: its child named corovipd-reaper
	local c p=${2:-/proc}
	# shellcheck disable=SC2013 # pids, one word each
	for c in $(cat "$p/$1/task/"*/children 2>/dev/null); do
		[ "$(cat "$p/$c/comm" 2>/dev/null)" = corovipd-reaper ] && { echo "$c"; return 0; }
	done
	return 1
}
status_held() { # status_held CMD...: corovipctl status (run by CMD) shows the VIP held here
	LAST=$("$@" corovipctl status 2>&1 | grep "^VIP 'web'" || true)
	[[ "$LAST" == "VIP 'web' $VIP/24 on $IF: held here, owner $NODE (1)"* ]]
}

start_corovipd
wait_for 20000 "READY=1 from corovipd (pid $d_pid)" ready_from "$d_pid"
wait_for 10000 "VIP $VIP on $IF" vip_on "$ns5"
ok "corovipd under setpriv (the unit's bounding set, no_new_privs) said READY=1 and put $VIP/24 on $IF"
st=$(awk '$1 == "CapBnd:" || $1 == "NoNewPrivs:" { printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }' "/proc/$d_pid/status")
[ "$st" = "CapBnd: $CAPBND, NoNewPrivs: 1" ] || fail "corovipd runs with $st"
note "$(ip -n "$ns5" -o addr show dev "$IF" | grep -F " $VIP/" | sed 's/\\//; s/  */ /g')"
note "$(grep 'open files' "/proc/$d_pid/limits" | sed 's/  */ /g')"
wait_for 5000 "corovipctl status showing web held" status_held in5
ok "corovipctl status (libqb IPC, as root): $LAST"
r_pid=$(reaper_of "$d_pid") || fail "corovipd (pid $d_pid) has no reaper child"
[ "$(awk '$1 == "CapEff:" { print $2 }' "/proc/$r_pid/status")" = 0000000000001000 ] ||
	fail "the reaper keeps more than CAP_NET_ADMIN: $(grep Cap "/proc/$r_pid/status" | paste -sd' ' -)"
ok "its reaper (pid $r_pid) runs with CAP_NET_ADMIN alone"

# KillMode=process by hand: SIGKILL to the daemon alone; the reaper removes
# the address (long before the kernel lease, ${KERNEL_LEASE_MS} ms) and exits.
ip -n "$ns5" -ts monitor address dev "$IF" >"$logs/addr-monitor-5" 2>&1 &
mon=$!
bgpids+=("$mon")
t0=$(now_ms)
kill -KILL "$d_pid"
wait "$d_pid" 2>/dev/null || true
wait_for 3000 "sweep of $VIP by the reaper" vip_off "$ns5"
swept=$(($(now_ms) - t0))
wait_for 5000 "reaper exit" gone "$r_pid"
grep -q "reaper: corovipd (pid $d_pid) has ended: removing its addresses" "$logs/corovipd.log" ||
	fail "the reaper did not say it swept: $(grep reaper "$logs/corovipd.log" | tail -n 3)"
ok "kill -9 of the daemon alone: its reaper removed $VIP in $swept ms (kernel lease ${KERNEL_LEASE_MS} ms) and exited"
old=$d_pid
start_corovipd
wait_for 20000 "READY=1 from the restarted corovipd (pid $d_pid)" ready_from "$d_pid"
wait_for 10000 "VIP $VIP back on $IF" vip_on "$ns5"
wait_for 5000 "corovipctl status showing web held" status_held in5
kill_pid "$mon" 2000
awk -v v=" $VIP/" 'index($0, v) { print (/Deleted/ ? "del" : "add") }' "$logs/addr-monitor-5" | uniq | paste -sd' ' - >"$logs/order-5"
case "$(cat "$logs/order-5")" in
del\ add*) ;;
*) fail "address events after the kill: $(cat "$logs/order-5") (want: del add)" ;;
esac
ok "restarted corovipd (pid $d_pid, was $old) took $VIP again, after the sweep (netlink: $(cat "$logs/order-5"))"

r_pid=$(reaper_of "$d_pid") || fail "corovipd (pid $d_pid) has no reaper child"
kill -TERM "$d_pid"
rc=0
wait "$d_pid" || rc=$?
[ "$rc" = 0 ] || fail "corovipd exited $rc on SIGTERM: $(tail -n 5 "$logs/corovipd.log")"
vip_off "$ns5" || fail "$VIP still on $IF after corovipd stopped"
grep -qx "$d_pid STOPPING=1" "$logs/notify" || fail "no STOPPING=1 from corovipd"
wait_for 5000 "reaper exit after the stop" gone "$r_pid"
ok "SIGTERM: STOPPING=1, exit 0, $VIP gone"
[ "$(stat -c %a "$root/var/lib/corovip")" = 700 ] || fail "/var/lib/corovip is $(stat -c %a "$root/var/lib/corovip")"
kill_pid "$cs_pid" 10000
netns_down "$ns5"

# ---- 6. purge ----
inroot dpkg --purge corovip >"$logs/purge.log" 2>&1 || fail "dpkg --purge corovip: $(tail -n 5 "$logs/purge.log")"
[ -z "$(inroot dpkg-query -W -f '${Status}' corovip 2>/dev/null)" ] ||
	fail "corovip is still known to dpkg: $(inroot dpkg-query -W -f '${Status}' corovip)"
while read -r f; do
	case "$f" in /. | /etc | /lib | /usr | /usr/* | /lib/systemd | /lib/systemd/system) [ -d "$root$f" ] && continue ;; esac
	[ ! -e "$root$f" ] || fail "left after the purge: $f"
done <"$logs/dpkg-L"
for d in /etc/corovip /var/lib/corovip /usr/lib/ocf/resource.d/corovip /usr/libexec/corovip /usr/share/doc/corovip; do
	[ ! -e "$root$d" ] || fail "left after the purge: $d ($(find "$root$d" -mindepth 1 | head -n 5 | paste -sd' ' -))"
done
left=$(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./var/cache/apt -o -path ./run/cvpkg-notify \) -prune \
	-o -name '*corovip*' -print | head -n 10)
[ -z "$left" ] || fail "left after the purge: $left"
inroot getent group haclient >/dev/null || fail "the purge removed group haclient (postrm keeps it)"
ok "dpkg --purge: none of dpkg -L's files, no /etc/corovip, no /var/lib/corovip, nothing named *corovip* (group haclient kept, as postrm says)"

# ---- 7. systemd as PID 1: the real unit ----
t=$(date +%s)
apt_in_root install -y --no-install-recommends systemd systemd-sysv
cp "$deb" "$root/tmp/"
apt_in_root install -y --no-install-recommends "/tmp/$debname"
rm -f "$root/tmp/$debname" "$root/run/cvpkg-notify"
allow_starts
chroot_down
write_corosync_conf "    to_syslog: yes"
write_corovip_conf
: >"$root/etc/machine-id" # a fresh one at boot
ok "installed again with systemd $(inroot dpkg-query -W -f '${Version}' systemd) ($(($(date +%s) - t)) s)"

make_netns "$ns7"
# no host systemd here to allocate a scope or register the machine:
# --keep-unit --register=no; the network is our namespace, and unlike
# --private-network, --network-namespace-path leaves CAP_NET_ADMIN out of
# the container's bounding set (and so out of the unit's): given back
systemd-nspawn -q -b -D "$root" -M "$machine" --network-namespace-path="/run/netns/$ns7" \
	--capability=CAP_NET_ADMIN --register=no --keep-unit --console=passive </dev/null >"$logs/nspawn.log" 2>&1 &
nspawn_pid=$!
booted() {
	local c
	kill -0 "$nspawn_pid" 2>/dev/null || return 2
	# shellcheck disable=SC2013 # pids, one word each
	for c in $(cat "/proc/$nspawn_pid/task/"*/children 2>/dev/null); do
		[ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ] && leader=$c
	done
	[ -n "$leader" ] || return 1
	LAST=$(timeout 5 nsenter -t "$leader" -a systemctl is-system-running 2>&1 || true)
	[[ "$LAST" =~ ^(running|degraded)$ ]]
}
boot_deadline=$(($(now_ms) + 90000))
brc=1
while :; do
	booted && { brc=0; break; } || brc=$?
	[ "$brc" = 2 ] && break
	[ "$(now_ms)" -lt "$boot_deadline" ] || break
	sleep 0.1
done
if [ "$brc" != 0 ]; then
	why=$(grep -v '^\s*$' "$logs/nspawn.log" | grep -iE 'fail|error|refus|cannot|not supported|denied' | head -n 3 | paste -sd' ' -)
	why=${why:-$(tail -n 3 "$logs/nspawn.log" | paste -sd' ' -)}
	[ "$brc" = 2 ] && why="systemd-nspawn exited: $why" || why="not booted in 90 s (is-system-running: $LAST): $why"
	if [ -n "${CVPKG_ALLOW_NO_NSPAWN:-}" ]; then
		echo "SKIP-NSPAWN: $why"
		nskip=1
		echo "# the unit's crash semantics (KillMode=process: the reaper's sweep, a restart) were checked by hand in step 5"
		exit 0
	fi
	fail "the root does not boot under systemd-nspawn -b: $why"
fi
cx() { nsenter -t "$leader" -a -- "$@"; }
prop() { cx systemctl show -p "$2" --value "$1"; }
ok "booted the root with systemd as PID 1 (systemd-nspawn -b, pid $leader on the host): $LAST"
[ "$(cx cat /etc/corovip/corovip.conf | head -n 1)" = "# tests/pkg/package.sh" ] || fail "the container has no corovip.conf"

# corosync and corovipd at boot: both enabled, and the config is there
active() { LAST="$1: $(prop "$1" ActiveState)/$(prop "$1" SubState)"; [ "$(prop "$1" ActiveState)" = active ]; }
wait_for 30000 "active corosync.service" active corosync.service
wait_for 30000 "active corovipd.service" active corovipd.service
wait_for 10000 "VIP $VIP on $IF in the container" vip_on "$ns7"
ok "at boot: corosync.service and corovipd.service active (enabled by the packages), $VIP/24 on $IF"
cx systemctl start corosync corovipd || fail "systemctl start corosync corovipd"
wait_for 5000 "corovipctl status showing web held" status_held cx
ok "systemctl start corosync corovipd; corovipctl status: $LAST"
main=$(prop corovipd MainPID)
st=$(cx awk '$1 == "CapBnd:" || $1 == "NoNewPrivs:" || $1 == "Seccomp:" { printf "%s%s %s", (n++ ? ", " : ""), $1, $2 }' "/proc/$main/status")
[ "$st" = "CapBnd: $CAPBND, NoNewPrivs: 1, Seccomp: 2" ] || fail "corovipd (pid $main) runs with $st"
[ "$(cx stat -c %a /var/lib/corovip)" = 700 ] || fail "StateDirectory mode $(cx stat -c %a /var/lib/corovip)"
status_held_text() { LAST="StatusText=$(prop corovipd StatusText)"; [[ "$LAST" == *"holding 1 of 1 VIPs"* ]]; }
wait_for 5000 "STATUS= saying the VIP is held" status_held_text
ok "the unit's sandbox in force ($st), StateDirectory 0700, $LAST"

# stop: corovipd hands off (alone: releases) and exits 0; its reaper, left
# alone by KillMode=process, exits too
reaper=$(cx bash -c "$(declare -f reaper_of); reaper_of $main") || fail "corovipd (pid $main) has no reaper"
cx systemctl stop corovipd || fail "systemctl stop corovipd"
[ "$(prop corovipd Result)/$(prop corovipd ExecMainStatus)" = success/0 ] ||
	fail "the stop: Result=$(prop corovipd Result) ExecMainStatus=$(prop corovipd ExecMainStatus)"
wait_for 5000 "$VIP gone after the stop" vip_off "$ns7"
cgone() { LAST=$(cx cat "/proc/$1/stat" 2>/dev/null | awk '{ print $3 }'); [ -z "$LAST" ] || [ "$LAST" = Z ]; }
wait_for 5000 "the reaper's exit after the stop" cgone "$reaper"
ok "systemctl stop corovipd: exit 0, $VIP gone, the reaper (pid $reaper) gone"

cx systemctl start corovipd || fail "systemctl start corovipd"
wait_for 10000 "VIP $VIP back after the start" vip_on "$ns7"
main=$(prop corovipd MainPID)
reaper=$(cx bash -c "$(declare -f reaper_of); reaper_of $main") || fail "corovipd (pid $main) has no reaper"
ok "systemctl start corovipd: active (READY=1), $VIP held, main pid $main, reaper $reaper"

# crash: SIGKILL to the main process alone; the reaper sweeps and exits,
# then Restart=on-failure (RestartSec=1s) takes it again
restarts=$(prop corovipd NRestarts)
ip -n "$ns7" -ts monitor address dev "$IF" >"$logs/addr-monitor-7" 2>&1 &
mon=$!
bgpids+=("$mon")
t0=$(now_ms)
cx systemctl kill --kill-whom=main -s KILL corovipd || fail "systemctl kill --kill-whom=main"
wait_for 3000 "sweep of $VIP by the reaper" vip_off "$ns7"
swept=$(($(now_ms) - t0))
wait_for 5000 "the reaper's exit after the crash" cgone "$reaper"
ok "systemctl kill --kill-whom=main -s KILL: the reaper removed $VIP in $swept ms (kernel lease ${KERNEL_LEASE_MS} ms) and exited"
restarted() {
	LAST="MainPID $(prop corovipd MainPID), $(prop corovipd ActiveState), NRestarts $(prop corovipd NRestarts)"
	[ "$(prop corovipd NRestarts)" -gt "$restarts" ] && [ "$(prop corovipd ActiveState)" = active ] &&
		[ "$(prop corovipd MainPID)" != "$main" ] && [ "$(prop corovipd MainPID)" != 0 ]
}
wait_for 15000 "restart of corovipd" restarted
wait_for 10000 "VIP $VIP back after the restart" vip_on "$ns7"
wait_for 5000 "corovipctl status showing web held" status_held cx
kill_pid "$mon" 2000
awk -v v=" $VIP/" 'index($0, v) { print (/Deleted/ ? "del" : "add") }' "$logs/addr-monitor-7" | uniq | paste -sd' ' - >"$logs/order-7"
case "$(cat "$logs/order-7")" in
del\ add*) ;;
*) fail "address events after the crash: $(cat "$logs/order-7") (want: del add)" ;;
esac
cx journalctl -b -u corovipd --no-pager -o cat >"$logs/journal-corovipd" 2>&1 || true
grep -q "reaper: corovipd (pid $main) has ended: removing its addresses" "$logs/journal-corovipd" ||
	fail "no sweep in the journal: $(grep reaper "$logs/journal-corovipd" | tail -n 3)"
! grep -E "could not drop capabilities|failed dropping bounding set|^[A-Z][a-z]{2} [0-9]{2} [0-9:.]+ corovipd" \
	"$logs/journal-corovipd" >"$logs/journal-bad" ||
	fail "the journal has: $(head -n 2 "$logs/journal-bad")"
ok "Restart=on-failure: corovipd (pid $(prop corovipd MainPID), was $main) holds $VIP again after the sweep (netlink: $(cat "$logs/order-7"); the sweep in the journal, whose lines carry no second time stamp and no failed capability drop)"

# ConditionFileNotEmpty: no config, nothing started
cx systemctl stop corovipd || fail "systemctl stop corovipd"
cx mv /etc/corovip/corovip.conf /etc/corovip/corovip.conf.off
cx systemctl start corovipd || fail "systemctl start corovipd without a config"
[ "$(prop corovipd ConditionResult)/$(prop corovipd ActiveState)" = no/inactive ] ||
	fail "without corovip.conf: ConditionResult=$(prop corovipd ConditionResult) ActiveState=$(prop corovipd ActiveState)"
vip_off "$ns7" || fail "$VIP on $IF with no config"
ok "without /etc/corovip/corovip.conf the unit is skipped (ConditionFileNotEmpty), nothing held"

# power off
cx systemctl poweroff --no-block >/dev/null 2>&1 || kill -TERM "$nspawn_pid"
off() { ! kill -0 "$nspawn_pid" 2>/dev/null; }
wait_for 30000 "container poweroff" off
wait "$nspawn_pid" 2>/dev/null || true
nspawn_pid=
ok "the container powered off"
