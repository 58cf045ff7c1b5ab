/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdio.h>

#include "reaper-wire.h"

#define LEASE_DIGITS_MAX 19 /* any 19 digits fit in 64 bits */

/* One byte of an "i<name>\n" line; a name too long is reported, then dropped. */
static enum cv_reaper_msg
name_byte(struct cv_reaper_reader *rd, char c)
{
	bool too_long;

	if (c != '\n') {
		if (rd->name_len < sizeof(rd->name) - 1)
			rd->name[rd->name_len++] = c;
		return CV_REAPER_MSG_NONE;
	}
	too_long = rd->name_len > CV_IFNAME_MAX;
	rd->in_name = false;
	rd->name[rd->name_len] = '\0';
	rd->name_len = 0;
	return too_long ? CV_REAPER_MSG_BAD_NAME : CV_REAPER_MSG_NAME;
}

/*
 * One byte of an "l<ms>\n" line; false: not one of it (the line is dropped).
 * A line without digits is dropped too.
 */
static bool
lease_byte(struct cv_reaper_reader *rd, char c, enum cv_reaper_msg *ret)
{
	if (c == '\n') {
		rd->in_lease = false;
		*ret = rd->lease_digits ? CV_REAPER_MSG_LEASE : CV_REAPER_MSG_NONE;
		return true;
	}
	if (c < '0' || c > '9' || rd->lease_digits == LEASE_DIGITS_MAX) {
		rd->in_lease = false;
		return false;
	}
	rd->lease = rd->lease * 10 + (uint64_t)(c - '0');
	rd->lease_digits++;
	*ret = CV_REAPER_MSG_NONE;
	return true;
}

enum cv_reaper_msg
cv_reaper_read_byte(struct cv_reaper_reader *rd, char c)
{
	enum cv_reaper_msg m;

	if (rd->in_name)
		return name_byte(rd, c);
	if (rd->in_lease && lease_byte(rd, c, &m))
		return m;
	switch (c) {
	case 'i':
		rd->in_name = true;
		break;
	case 'l':
		rd->in_lease = true;
		rd->lease = 0;
		rd->lease_digits = 0;
		break;
	case 'q':
		return CV_REAPER_MSG_QUIT;
	default: /* 'b', or what a newer daemon says that we do not know */
		return CV_REAPER_MSG_BEAT;
	}
	return CV_REAPER_MSG_NONE;
}

size_t
cv_reaper_lease_line(char *buf, size_t len, uint64_t until)
{
	int n = snprintf(buf, len, "l%" PRIu64 "\n", until);

	return n < 0 ? 0 : (size_t)n;
}
