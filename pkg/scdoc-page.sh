#!/bin/sh
# scdoc-page.sh SCDOC PAGE.scd: the roff of a man page from its scdoc source,
# on standard output. The page's date is the source's "; date: YYYY-MM-DD"
# line (as SOURCE_DATE_EPOCH), so that a page is made the same whenever and
# wherever it is made: Makefile.am makes the pages with it, and
# tests/check-manpage.sh checks them with it.
set -eu
scdoc=$1 src=$2
d=$(sed -n 's/^; date: \([0-9][0-9-]*\)$/\1/p' "$src")
[ -n "$d" ] || { echo "$src: no '; date: YYYY-MM-DD' line" >&2; exit 1; }
SOURCE_DATE_EPOCH=$(date -u -d "$d" +%s)
export SOURCE_DATE_EPOCH
exec "$scdoc" <"$src"
