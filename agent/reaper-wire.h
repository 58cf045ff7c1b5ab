/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the daemon says to its reaper on the heartbeat socket (reaper.h), a
 * byte stream: 'b' a beat, 'q' "stopping cleanly, do nothing", "i<name>\n"
 * an interface whose addresses of ours the reaper sweeps too, "l<ms>\n" the
 * end of the daemon's lease (CLOCK_MONOTONIC ms; 0: it holds nothing). A
 * lease line and any byte not in a line are beats too; an interface line is
 * not: the daemon writes its first ones before its loop runs, and the
 * reaper counts no silence before the loop's first beat (reaper.h). Pure:
 * the reader is fed bytes and says what each one completed, so it is tested
 * alone (tests/unit/test-reaper-wire.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum cv_reaper_msg {
	CV_REAPER_MSG_NONE,	/* part of a line */
	CV_REAPER_MSG_BEAT,	/* 'b', or a byte we do not know (a newer daemon's) */
	CV_REAPER_MSG_QUIT,	/* 'q' */
	CV_REAPER_MSG_NAME,	/* an "i<name>\n" line: the name is in .name */
	CV_REAPER_MSG_BAD_NAME, /* an "i" line too long to be an interface name */
	CV_REAPER_MSG_LEASE,	/* an "l<ms>\n" line: the value is in .lease */
};

struct cv_reaper_reader {
	char name[CV_IFNAME_MAX + 2];
	size_t name_len;
	bool in_name, in_lease;
	unsigned lease_digits;
	uint64_t lease;
};

/*
 * One byte of the stream. A lease line cut short (a send that wrote part of
 * it, then another line) is dropped at the first byte that is not a digit,
 * which is then read as itself; so is one with more than 19 digits.
 */
enum cv_reaper_msg cv_reaper_read_byte(struct cv_reaper_reader *rd, char c);

/* "l<until>\n" into buf (len at least CV_REAPER_LEASE_LINE_MAX); its length. */
#define CV_REAPER_LEASE_LINE_MAX 24
size_t cv_reaper_lease_line(char *buf, size_t len, uint64_t until);
