#!/bin/sh
# corovip.conf(5) documents every key of the schema: the keys are read from
# the effective form of a config that sets them all. corovipctl(8) documents
# every command that corovipctl --help lists.
set -u
bin=$(cd "${top_builddir:-.}" && pwd)/agent/corovipd
src=${top_srcdir:-.}
keys=$("$bin" --test-config "$src/tests/config/good/full.conf" |
	sed -n 's/^[[:space:]]*\([a-z_0-9]*\):.*/\1/p' | sort -u)
[ -n "$keys" ] || { echo "no keys found"; exit 1; }
fail=0
for k in $keys; do
	if ! grep -q "^\.B $k\$" "$src/pkg/corovip.conf.5"; then
		echo "corovip.conf(5) does not document '$k'"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "corovip.conf(5) documents all $(echo "$keys" | wc -l) keys"
ctl=$(cd "${top_builddir:-.}" && pwd)/ctl/corovipctl
cmds=$("$ctl" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "no corovipctl commands found"; exit 1; }
for c in $cmds; do
	if ! grep -Eq "^\.(B|BI) \"?$c( |\"|\$)" "$src/pkg/corovipctl.8"; then
		echo "corovipctl(8) does not document '$c'"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "corovipctl(8) documents all $(echo "$cmds" | wc -l) commands"
exit $fail
