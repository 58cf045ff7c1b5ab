#!/bin/bash
# corovip-import on real-world keepalived.conf files: the ~25 samples
# Debian's keepalived package ships (fetched with apt-get download from the
# package source apt already uses; nothing is installed). Each converts, and
# corovipd --test-config accepts each result.
#   tests/import/debian-samples.sh [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build/normal}" && pwd)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
if ! apt-get download keepalived >apt.log 2>&1; then
	echo "SKIP: apt-get download keepalived failed (no package source?): $(tail -1 apt.log)"
	exit 77
fi
dpkg-deb -x keepalived_*.deb x
n=0 notes=0
for f in x/usr/share/doc/keepalived/samples/keepalived.conf.* x/etc/keepalived/keepalived.conf.sample; do
	[ -f "$f" ] || continue
	"$build/import/corovip-import" keepalived "$f" >out.conf 2>err ||
		{ echo "FAIL: corovip-import ${f#x}: $(cat err)"; exit 1; }
	"$build/agent/corovipd" --test-config out.conf >/dev/null 2>err ||
		{ echo "FAIL: ${f#x}'s corovip.conf refused: $(grep -v ': warning: ' err)"; cat out.conf; exit 1; }
	n=$((n + 1)) notes=$((notes + $(grep -c '^# ' out.conf)))
done
[ $n -ge 20 ] || { echo "FAIL: only $n samples in $(ls keepalived_*.deb)"; exit 1; }
echo "ok - $n keepalived.conf samples of $(ls keepalived_*.deb): each converted and accepted by corovipd --test-config ($notes comment lines in all)"
