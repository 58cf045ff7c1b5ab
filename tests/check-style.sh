#!/bin/sh
# Banned functions (curl's checksrc idea; style.md 4.8) in the product's C
# sources: unbounded string functions, unchecked number parsing, shells, and
# sleeping instead of timers.
set -u
cd "${top_srcdir:-.}" || exit 1
banned='strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atof|system|popen|alloca|sleep|usleep'
dirs=$(for d in core quorum backend l2 ctl checks agent cloud ocf import; do [ -d "$d" ] && echo "$d"; done)
# shellcheck disable=SC2086
bad=$(grep -rnE "(^|[^a-z_])($banned)[[:space:]]*\(" --include='*.c' --include='*.h' $dirs |
	grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)')
if [ -n "$bad" ]; then
	echo "banned functions (use snprintf, strto* helpers, timers):"
	echo "$bad"
	exit 1
fi
echo "no banned functions in: $dirs"
