#!/bin/sh
# corovip-import (import/) against tests/import: each input's corovip.conf
# is exactly NAME.expected and passes corovipd --test-config; a broken
# input fails with its line. (tests/import/debian-samples.sh, in the test
# command, converts the keepalived package's own samples too.)
set -u
b=$(cd "${top_builddir:-.}" && pwd)
imp=$b/import/corovip-import
cd "${top_srcdir:-.}/tests/import" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # EXPECTED ARGS...
	want=$1
	shift
	if ! "$imp" "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL corovip-import $*: $(cat "$tmp/err")"
		fail=1
		return
	fi
	if ! cmp -s "$tmp/out" "$want"; then
		echo "FAIL corovip-import $*: differs from $want"
		diff -u "$want" "$tmp/out"
		fail=1
	fi
	if ! "$b/agent/corovipd" --test-config "$tmp/out" >/dev/null 2>"$tmp/err"; then
		echo "FAIL corovip-import $*: corovipd --test-config refuses it: $(cat "$tmp/err")"
		fail=1
	fi
}
check ka-lb.expected keepalived lb1=ka-lb1.conf lb2=ka-lb2.conf
check cib.expected ipaddr2 cib.xml
check query-xml.expected ipaddr2 query-xml.txt
refused() { # WHAT-IT-SAYS ARGS...
	said=$1
	shift
	if "$imp" "$@" >"$tmp/out" 2>"$tmp/err" || ! grep -q "$said" "$tmp/err" || [ -s "$tmp/out" ]; then
		echo "FAIL corovip-import $*: not refused with '$said': $(cat "$tmp/err")"
		fail=1
	fi
}
refused "bad-unclosed.conf: line 3: virtual_ipaddress.s block is not closed" keepalived bad-unclosed.conf
refused "bad.xml: not well-formed XML" ipaddr2 bad.xml
refused "nonexistent.conf: No such file" keepalived nonexistent.conf
[ $fail = 0 ] && echo "corovip-import: 3 conversions as expected, each accepted by corovipd; 3 bad inputs refused"
exit $fail
