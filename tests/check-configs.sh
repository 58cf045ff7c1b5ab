#!/bin/sh
# corovipd --test-config against the config corpus:
#  bad/NAME.conf   must exit 78, print nothing on stdout and exactly bad/NAME.err
#  good/NAME.conf  must exit 0 and print exactly good/NAME.out (the effective
#                  config), which must itself parse back to the same text.
set -u
bin=$(cd "${top_builddir:-.}" && pwd)/agent/corovipd
cd "${top_srcdir:-.}/tests/config" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

for conf in bad/*.conf; do
	n=$((n + 1))
	"$bin" --test-config "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 78 ] || [ -s "$tmp/out" ] || ! cmp -s "$tmp/err" "${conf%.conf}.err"; then
		echo "FAIL $conf (exit $rc)"
		diff -u "${conf%.conf}.err" "$tmp/err"
		fail=1
	fi
done

for conf in good/*.conf; do
	n=$((n + 1))
	if ! "$bin" --test-config "$conf" >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL $conf: rejected"
		cat "$tmp/err"
		fail=1
		continue
	fi
	if ! cmp -s "$tmp/out" "${conf%.conf}.out"; then
		echo "FAIL $conf: effective config differs"
		diff -u "${conf%.conf}.out" "$tmp/out"
		fail=1
	fi
	# Round trip: the effective config is itself a config with the same meaning.
	"$bin" --test-config "$tmp/out" >"$tmp/again" 2>"$tmp/err"
	if [ "$(tail -n +2 "$tmp/out")" != "$(tail -n +2 "$tmp/again")" ]; then
		echo "FAIL $conf: effective config does not round-trip"
		cat "$tmp/err"
		fail=1
	fi
done

echo "$n configs checked"
exit $fail
