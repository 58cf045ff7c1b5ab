#!/bin/sh
# The systemd unit (pkg/corovipd.service.in, issue 19): systemd-analyze
# verify, and systemd-analyze security --offline with an exposure of at most
# 4.0 ("OK"; the threshold is in tenths). ExecStart points at the built corovipd (verify wants it there).
set -u
command -v systemd-analyze >/dev/null ||
	{ echo "SKIP: no systemd-analyze (Debian package systemd; tests/install-deps installs it)"; exit 77; }
build=$(cd "${top_builddir:-.}" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|^ExecStart=[^ ]*/corovipd |ExecStart=$build/agent/corovipd |" "$build/pkg/corovipd.service" \
	>"$tmp/corovipd.service"
grep -q "^ExecStart=$build/agent/corovipd --foreground$" "$tmp/corovipd.service" ||
	{ echo "FAIL: no ExecStart line to point at the build"; exit 1; }
# --man=no: the man pages are not installed while testing the build
if ! out=$(systemd-analyze verify --man=no "$tmp/corovipd.service" 2>&1) || [ -n "$out" ]; then
	echo "FAIL: systemd-analyze verify: $out"
	exit 1
fi
echo "systemd-analyze verify: no complaint"
out=$(systemd-analyze security --offline=yes --threshold=40 "$tmp/corovipd.service" 2>&1)
rc=$?
echo "$out" | grep 'Overall exposure level'
[ $rc -eq 0 ] || { echo "FAIL: the exposure is above 4.0"; echo "$out" | grep '✗'; exit 1; }
# The unit's ConditionFileNotEmpty= and corovipd's default config are the
# same file, under configure's --sysconfdir.
conf=$(sed -n 's/^ConditionFileNotEmpty=//p' "$build/pkg/corovipd.service")
"$build/agent/corovipd" --help | grep -qF "(default $conf)" ||
	{ echo "FAIL: the unit checks $conf, corovipd reads $("$build/agent/corovipd" --help | grep -- --config)"; exit 1; }
echo "ConditionFileNotEmpty=$conf is corovipd's default config"
# A bounding set without what the daemon's work needs (a unit or container
# that leaves CAP_NET_ADMIN out): corovipd refuses to start, naming it,
# rather than failing every address operation over and over.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	printf 'vip web {\n\taddress: 192.0.2.9/24\n\tinterface: lo\n}\n' >"$tmp/min.conf"
	chmod 600 "$tmp/min.conf"
	rc=0
	out=$(setpriv --bounding-set=-net_admin --inh-caps=-net_admin -- "$build/agent/corovipd" \
		--foreground -c "$tmp/min.conf" 2>&1) || rc=$?
	[ $rc = 71 ] && grep -q "needs CAP_NET_ADMIN" <<EOT || { echo "FAIL: without CAP_NET_ADMIN: exit $rc: $out"; exit 1; }
$out
EOT
	echo "without CAP_NET_ADMIN in its bounding set corovipd refuses to start (exit 71), naming it"
fi
