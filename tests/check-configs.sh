#!/bin/sh
# corovipd --test-config against the config corpus:
#  bad/NAME.conf   must exit 78, print nothing on stdout and exactly bad/NAME.err
#  good/NAME.conf  must exit 0 and print exactly good/NAME.out (the effective
#                  config), which must itself parse back to the same text.
# A warning about the file's owner or mode ("FILE: warning: ...") is left out:
# the corpus belongs to whoever builds. Then the rules for the file itself:
# not a regular file or too large is refused at once, owner and mode only
# warn under --test-config but stop the daemon (exit 78).
set -u
bin=$(cd "${top_builddir:-.}" && pwd)/agent/corovipd
cd "${top_srcdir:-.}/tests/config" || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 n=0

for conf in bad/*.conf; do
	n=$((n + 1))
	"$bin" --test-config "$conf" >"$tmp/out" 2>"$tmp/all"
	rc=$?
	awk -v w="$conf: warning: " 'index($0, w) != 1' "$tmp/all" >"$tmp/err"
	if [ $rc -ne 78 ] || [ -s "$tmp/out" ] || ! cmp -s "$tmp/err" "${conf%.conf}.err"; then
		echo "FAIL $conf (exit $rc)"
		diff -u "${conf%.conf}.err" "$tmp/err"
		fail=1
	fi
done

# The example make install puts beside the config must be a good one.
n=$((n + 1))
if ! "$bin" --test-config ../../pkg/corovip.conf.example >/dev/null 2>"$tmp/err"; then
	echo "FAIL pkg/corovip.conf.example: rejected"
	cat "$tmp/err"
	fail=1
fi

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

# ---- the file itself (agent/config-load.c) ----

# refused WHAT FILE TAIL: --test-config exits 78 at once and prints "FILE" TAIL.
refused() {
	n=$((n + 1))
	timeout 10 "$bin" --test-config "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 78 ] || [ -s "$tmp/out" ] || [ "$(cat "$tmp/err")" != "$2$3" ]; then
		echo "FAIL $1 (exit $rc, expected 78 and '$2$3')"
		cat "$tmp/err"
		fail=1
	fi
}

# daemon_refuses WHAT FILE MESSAGE: --test-config warns "FILE: warning: MESSAGE"
# (and goes on: FILE holds a bad config, so exit 78 with its error), the
# daemon stops at once with MESSAGE, before it reads the file.
daemon_refuses() {
	n=$((n + 1))
	timeout 10 "$bin" --test-config "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 78 ] || [ "$(head -n 1 "$tmp/err")" != "$2: warning: $3" ] ||
		! grep -q "^$2:2:5: nosuch: unknown key" "$tmp/err"; then
		echo "FAIL $1: --test-config (exit $rc) should warn '$3' and go on"
		cat "$tmp/err"
		fail=1
	fi
	timeout 10 "$bin" --foreground --config "$2" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 78 ] || ! grep -qF "$2: $3" "$tmp/err"; then
		echo "FAIL $1: the daemon (exit $rc) should stop with '$3'"
		cat "$tmp/err"
		fail=1
	fi
}

mkfifo "$tmp/fifo"
refused "a FIFO" "$tmp/fifo" ": not a regular file (a FIFO)"
refused "/dev/zero" /dev/zero ": not a regular file (a character device)"
refused "a directory" "$tmp" ": not a regular file (a directory)"
refused "a missing file" "$tmp/nosuch.conf" ": No such file or directory"
truncate -s $((16 * 1024 * 1024 + 1)) "$tmp/big.conf"
refused "a file over 16 MiB" "$tmp/big.conf" \
	": larger than 16 MiB (16777217 bytes), the most corovipd reads"
truncate -s $((16 * 1024 * 1024)) "$tmp/big.conf"
refused "a file of 16 MiB (read, then refused by the parser)" "$tmp/big.conf" \
	":1:1: syntax: invalid character 0x00"

printf 'cluster {\n    nosuch: 1\n}\n' >"$tmp/bad.conf"
chmod 0664 "$tmp/bad.conf"
daemon_refuses "group-writable" "$tmp/bad.conf" \
	"writable by group (mode 0664): corovipd refuses a file others can change (chmod go-w)"
chmod 0646 "$tmp/bad.conf"
daemon_refuses "world-writable" "$tmp/bad.conf" \
	"writable by others (mode 0646): corovipd refuses a file others can change (chmod go-w)"
chmod 0644 "$tmp/bad.conf"
if [ "$(id -u)" = 0 ] && chown 65534 "$tmp/bad.conf"; then
	daemon_refuses "owned by another user" "$tmp/bad.conf" \
		"owned by uid 65534, not by root: corovipd refuses a file another user can change"
fi

echo "$n configs checked"
exit $fail
