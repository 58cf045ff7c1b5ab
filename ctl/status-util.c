/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "status-int.h"

const char *
cv_status_node_name(const struct cv_engine *e, uint32_t id)
{
	const struct cv_config *cfg = cv_engine_config(e);

	for (size_t i = 0; id && i < cfg->n_nodes; i++)
		if (cv_engine_node_id(e, i) == id)
			return cfg->nodes[i].head.name;
	return NULL;
}

const char *
cv_status_node_label(const struct cv_engine *e, uint32_t id, char *buf, size_t len)
{
	const char *name = cv_status_node_name(e, id);

	if (!id)
		snprintf(buf, len, "nobody");
	else if (name)
		snprintf(buf, len, "%s (%" PRIu32 ")", name, id);
	else
		snprintf(buf, len, "node %" PRIu32, id);
	return buf;
}

void
cv_status_local_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

int64_t
cv_status_unix_ms(const struct cv_ipc_report *r, uint64_t t)
{
	return r->unix_now_ms + ((int64_t)t - (int64_t)r->mono_now_ms);
}

void
cv_status_add(struct json_object *o, const char *key, struct json_object *v, int *err)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*err = -ENOMEM;
	}
}

/* Bytes of the valid UTF-8 sequence at s (at most n), 0 if none starts there. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] <= 0xdf ? 2
				: s[0] >= 0xe0 && s[0] <= 0xef		? 3
				: s[0] >= 0xf0 && s[0] <= 0xf4		? 4
									: 0;

	if (!len || len > n)
		return 0;
	for (size_t k = 1; k < len; k++)
		if ((s[k] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, above U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

void
cv_status_append_utf8(struct cv_strbuf *b, const char *s)
{
	size_t n = strlen(s);

	for (size_t at = 0; at < n;) {
		size_t len = utf8_len((const unsigned char *)s + at, n - at);

		if (len)
			cv_strbuf_append_len(b, s + at, len);
		else
			cv_strbuf_append(b, "\xef\xbf\xbd"); /* U+FFFD */
		at += len ? len : 1;
	}
}

void
cv_status_add_text(struct json_object *o, const char *key, const char *s, int *err)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};

	cv_strbuf_append(&b, ""); /* "" stays a string */
	cv_status_append_utf8(&b, s);
	if (b.err < 0)
		*err = -ENOMEM;
	else
		cv_status_add(o, key, json_object_new_string_len(b.buf, (int)b.len), err);
}

void
cv_status_add_string(struct json_object *o, const char *key, const char *s, int *err)
{
	if (s && *s)
		cv_status_add_text(o, key, s, err);
	else if (json_object_object_add(o, key, NULL) < 0) /* NULL is JSON's null */
		*err = -ENOMEM;
}

const struct cv_ipc_transition *
cv_status_transition_of(const struct cv_ipc_report *r, size_t vip)
{
	return vip < r->n_transitions && r->transitions[vip].vip[0] ? &r->transitions[vip] : NULL;
}

void
cv_status_progress(const struct cv_ipc_report *r)
{
	if (r->progress)
		r->progress();
}

void
cv_status_add_time_ms(struct json_object *o, const char *key, int64_t unix_ms, int *err)
{
	char iso[64], name[64];
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;

	cv_status_add(o, key, json_object_new_int64(unix_ms), err);
	snprintf(name, sizeof(name), "%s_iso", key);
	if (!gmtime_r(&t, &tm) || strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return;
	snprintf(iso + strlen(iso), sizeof(iso) - strlen(iso), ".%03dZ", (int)(unix_ms % 1000));
	cv_status_add(o, name, json_object_new_string(iso), err);
}
