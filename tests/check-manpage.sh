#!/bin/sh
# corovip.conf(5) documents every key of the schema: the keys are read from
# the effective form of a config that sets them all. corovipctl(8) documents
# every command that corovipctl --help lists. Both are read from the pages'
# scdoc sources (pkg/*.scd), where a key or a command is a term: a line of
# its own in bold (*key*, *command* ...) with the text under it indented.
# And each page is what its source makes (pkg/scdoc-page.sh), when scdoc is
# here ($SCDOC, as configure found it): the roff is never edited by hand.
set -u
bin=$(cd "${top_builddir:-.}" && pwd)/agent/corovipd
src=${top_srcdir:-.}
keys=$("$bin" --test-config "$src/tests/config/good/full.conf" |
	sed -n 's/^[[:space:]]*\([a-z_0-9]*\):.*/\1/p' | sort -u)
[ -n "$keys" ] || { echo "no keys found"; exit 1; }
fail=0
for k in $keys; do
	if ! grep -q "^\*$k\*\$" "$src/pkg/corovip.conf.5.scd"; then
		echo "corovip.conf(5) does not document '$k'"
		fail=1
	fi
done
[ $fail -eq 0 ] && echo "corovip.conf(5) documents all $(echo "$keys" | wc -l) keys"
ctl=$(cd "${top_builddir:-.}" && pwd)/ctl/corovipctl
cmds=$("$ctl" --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] || { echo "no corovipctl commands found"; exit 1; }
cfail=0
for c in $cmds; do
	if ! grep -Eq "^\*$c(\*| )" "$src/pkg/corovipctl.8.scd"; then
		echo "corovipctl(8) does not document '$c'"
		cfail=1
	fi
done
[ $cfail -eq 0 ] && echo "corovipctl(8) documents all $(echo "$cmds" | wc -l) commands"
[ $cfail -eq 0 ] || fail=1

# Each page against what its source makes. scdoc names its version in the
# page's first line: a page another version made is not compared (its roff
# may differ for that reason alone).
scdoc=${SCDOC-$(command -v scdoc || true)}
if [ -z "$scdoc" ]; then
	echo "no scdoc: the pages are not compared with their sources"
	exit $fail
fi
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
for scd in "$src"/pkg/*.scd; do
	page=${scd##*/}
	page=${page%.scd}
	if [ ! -f "$src/pkg/$page" ]; then
		echo "pkg/$page.scd has no pkg/$page (is it in Makefile.am's dist_man_MANS?)"
		fail=1
	elif ! sh "$src/pkg/scdoc-page.sh" "$scdoc" "$scd" >"$tmp"; then
		echo "scdoc refuses pkg/$page.scd"
		fail=1
	elif cmp -s "$tmp" "$src/pkg/$page"; then
		echo "pkg/$page is what pkg/$page.scd makes"
	elif [ "$(head -1 "$tmp")" != "$(head -1 "$src/pkg/$page")" ]; then
		echo "pkg/$page: made by another scdoc ($(head -1 "$src/pkg/$page" | sed 's/.*scdoc //')); not compared"
	else
		echo "pkg/$page is not what pkg/$page.scd makes (edit the .scd, then make):"
		diff -u "$src/pkg/$page" "$tmp" | head -20
		fail=1
	fi
done
exit $fail
