#!/bin/sh
# core/ must stay a pure library: libc and kernel UAPI headers only, no calls
# into anything but a short list of pure libc functions (no syscalls, clocks,
# I/O or logging), and no writable data (no globals, no static state).
# Run by make check with top_srcdir/top_builddir set.
set -u
src=${top_srcdir:-.}/core
lib=${top_builddir:-.}/core/.libs/libcvcore.a
fail=0

# 1. Includes: only libc/UAPI system headers and our own core headers.
allowed_headers='arpa/inet.h|assert.h|ctype.h|endian.h|errno.h|inttypes.h|limits.h|linux/[a-z0-9_/]+\.h|netinet/in.h|net/ethernet.h|stdarg.h|stdbool.h|stddef.h|stdint.h|stdio.h|stdlib.h|string.h|sys/socket.h|sys/types.h'
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<' "$src"/*.[ch] |
	grep -vE "<($allowed_headers)>")
if [ -n "$bad" ]; then
	echo "core/ includes a header outside libc/UAPI:"
	echo "$bad"
	fail=1
fi

# 2. Undefined symbols: only pure libc functions. Sanitizer builds add their
# own runtime hooks, which are not ours.
allowed_syms='calloc|realloc|free|malloc|memcpy|memmove|memset|memcmp|memchr|strlen|strnlen|strcmp|strncmp|strchr|strrchr|strpbrk|strspn|strcspn|strndup|strdup|snprintf|vsnprintf|inet_pton|inet_ntop|strerrordesc_np|qsort|bsearch|__stack_chk_fail|__assert_fail|__ctype_b_loc|__ctype_tolower_loc|__errno_location|__explicit_bzero_chk|__memcpy_chk|__memset_chk|__snprintf_chk|__vsnprintf_chk|__strcpy_chk|__fprintf_chk|_GLOBAL_OFFSET_TABLE_|strtoull|strtoul|strtoll|strtol'
if [ ! -f "$lib" ]; then
	echo "missing $lib"
	exit 1
fi
defined=$(nm --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sort -u)
bad=$(nm -u "$lib" | awk 'NF == 2 { print $2 }' | sort -u |
	grep -vxF "$defined" | grep -vE "^($allowed_syms)$" |
	grep -vE '^__(asan|ubsan|sanitizer|sancov|lsan)_')
if [ -n "$bad" ]; then
	echo "core/ calls functions outside the pure-libc allowlist:"
	echo "$bad"
	fail=1
fi

# 3. No writable data: no symbol in .data/.bss/.tdata/.tbss (.data.rel.ro is
# read-only after relocation, so constant pointer tables are fine). Sanitizer
# instrumentation adds its own writable metadata; skip this part there.
if [ "${CV_SANITIZER:-no}" = no ]; then
	bad=$(objdump -t "$lib" | awk '$0 ~ /[[:space:]]\.(data|bss|tdata|tbss)([[:space:]]|\.)/ && $0 !~ /\.data\.rel\.ro/ && $NF !~ /^\./ { print }')
	if [ -n "$bad" ]; then
		echo "core/ has writable data (globals or static state):"
		echo "$bad"
		fail=1
	fi
fi

[ $fail -eq 0 ] && echo "core/ is pure"
exit $fail
