/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin-file.h"
#include "cv-macros.h"
#include "name.h"
#include "number.h"

#define LINE_MAX_LEN 256

void
cv_admin_format(const struct cv_admin_entry *v, size_t n, struct cv_strbuf *out)
{
	cv_strbuf_append(out, "# corovipd's runtime moves, bans, standby and maintenance (cluster\n"
			      "# state; merged by stamp with the peers' at start). Written by corovipd.\n");
	for (size_t k = 0; k < n; k++)
		if (v[k].ban)
			cv_strbuf_printf(out, "ban %s %" PRIu32 " %d %" PRIu64 " %" PRIu64 "\n",
					 v[k].vip, v[k].node, v[k].banned, v[k].stamp,
					 v[k].until_unix_ms);
		else if (v[k].move)
			cv_strbuf_printf(out, "move %s %" PRIu32 " %" PRIu64 "\n", v[k].vip, v[k].node,
					 v[k].stamp);
		else
			cv_strbuf_printf(out, "standby %" PRIu32 " %d %" PRIu64 "\n", v[k].node,
					 v[k].standby, v[k].stamp);
}

#define WORDS_MAX 6

/* One line's words (at most WORDS_MAX) into w; its count, or -1 when it has more. */
static int
words(char *line, char **w)
{
	int n = 0;

	for (line += strspn(line, " \t"); *line; line += strspn(line, " \t")) {
		size_t len = strcspn(line, " \t");

		if (n == WORDS_MAX)
			return -1;
		w[n++] = line;
		line += len;
		if (*line)
			*line++ = '\0';
	}
	return n;
}

/* ban VIP NODE 0|1 STAMP UNTIL (w[0] is "ban") */
static int
parse_ban(char **w, struct cv_admin_entry *e)
{
	uint64_t banned;

	if (!cv_name_is_valid(w[1], strlen(w[1]), CV_NAME_MAX) ||
	    cv_parse_u32(w[2], UINT32_MAX, &e->node) < 0 || !e->node ||
	    cv_parse_uint(w[3], 10, 1, &banned) < 0 ||
	    cv_parse_uint(w[5], 10, UINT64_MAX, &e->until_unix_ms) < 0)
		return -EINVAL;
	e->ban = true;
	e->banned = banned;
	snprintf(e->vip, sizeof(e->vip), "%s", w[1]);
	return 0;
}

static int
parse_line(char *line, struct cv_admin_entry *e)
{
	char *w[WORDS_MAX];
	uint64_t stamp, standby;
	int n = words(line, w);
	bool ban = n > 0 && strcmp(w[0], "ban") == 0;

	*e = (struct cv_admin_entry){};
	if (n != (ban ? 6 : 4))
		return -EINVAL;
	if (cv_parse_uint(w[ban ? 4 : 3], 10, UINT64_MAX, &stamp) < 0 || !stamp)
		return -EINVAL;
	e->stamp = stamp;
	if (ban)
		return parse_ban(w, e);
	if (strcmp(w[0], "standby") == 0) {
		if (cv_parse_u32(w[1], UINT32_MAX, &e->node) < 0 ||
		    cv_parse_uint(w[2], 10, 1, &standby) < 0)
			return -EINVAL;
		e->standby = standby;
		return 0;
	}
	if (strcmp(w[0], "move") != 0 || !cv_name_is_valid(w[1], strlen(w[1]), CV_NAME_MAX) ||
	    cv_parse_u32(w[2], UINT32_MAX, &e->node) < 0)
		return -EINVAL;
	e->move = true;
	snprintf(e->vip, sizeof(e->vip), "%s", w[1]);
	return 0;
}

int
cv_admin_parse(const char *text, size_t len, struct cv_admin_entry **ret, size_t *ret_n,
	       char *err, size_t err_len)
{
	_cleanup_free_ struct cv_admin_entry *v = NULL;
	size_t n = 0, cap = 0, no = 0;

	for (size_t at = 0; at < len; no++) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;
		char line[LINE_MAX_LEN];

		if (l >= sizeof(line) || memchr(text + at, '\0', l)) {
			snprintf(err, err_len, "line %zu: too long or not text", no + 1);
			return -EINVAL;
		}
		memcpy(line, text + at, l);
		line[l] = '\0';
		at += l + 1;
		if (!line[0] || line[0] == '#')
			continue;
		if (n == cap) {
			/* (every entry is a line of 8 bytes or more: cap stays below len) */
			struct cv_admin_entry *p = realloc(v, (cap ? 2 * cap : 16) * sizeof(*v));

			if (!p)
				return -ENOMEM;
			v = p;
			cap = cap ? 2 * cap : 16;
		}
		if (parse_line(line, &v[n]) < 0) {
			snprintf(err, err_len,
				 "line %zu: not 'standby NODEID 0|1 STAMP', 'move VIP TARGET "
				 "STAMP' or 'ban VIP NODEID 0|1 STAMP UNTIL'",
				 no + 1);
			return -EINVAL;
		}
		n++;
	}
	*ret = v;
	v = NULL;
	*ret_n = n;
	return 0;
}
