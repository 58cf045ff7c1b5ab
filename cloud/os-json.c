/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * json-c readers for Keystone's and Neutron's answers: every field read
 * checks its type and its length, and a failure names the field
 * ("floatingip.port_id: not a string"). Bodies come from the network: the
 * parser's depth is capped, the whole body must be one JSON value, and a
 * string may not hide a NUL.
 */
#include <errno.h>
#include <string.h>

#include "os-int.h"

#define JSON_DEPTH_MAX 32
#define JSON_BODY_MAX  (16u * 1024 * 1024) /* a big catalog is a few hundred KiB */

static bool
only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

int
cv_json_parse(const char *body, size_t len, struct json_object **ret, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	if (!body || len == 0 || only_space(body, len)) {
		cv_os_errf(err, errlen, "empty body");
		return -EBADMSG;
	}
	if (len > JSON_BODY_MAX) {
		cv_os_errf(err, errlen, "body of %zu bytes, more than %u", len, JSON_BODY_MAX);
		return -EBADMSG;
	}
	tok = json_tokener_new_ex(JSON_DEPTH_MAX);
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, body, (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || e != json_tokener_success) {
		json_object_put(o);
		if (e == json_tokener_continue)
			cv_os_errf(err, errlen, "truncated JSON (%zu bytes)", len);
		else
			cv_os_errf(err, errlen, "not JSON: %s at byte %zu",
				   json_tokener_error_desc(e), end);
		return -EBADMSG;
	}
	if (end < len && !only_space(body + end, len - end)) {
		json_object_put(o);
		cv_os_errf(err, errlen, "not JSON: trailing data at byte %zu", end);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

/* The field (JSON null is NULL); 1 when absent and optional, an error when required. */
static int
get_field(struct json_object *o, const char *path, const char *key, unsigned flags,
	  struct json_object **ret, char *err, size_t errlen)
{
	*ret = NULL;
	if (!json_object_is_type(o, json_type_object)) {
		cv_os_errf(err, errlen, "%s: not an object", path);
		return -EBADMSG;
	}
	if (json_object_object_get_ex(o, key, ret))
		return 0;
	if (flags & CV_JSON_OPTIONAL)
		return 1;
	cv_os_errf(err, errlen, "%s.%s: missing", path, key);
	return -EBADMSG;
}

static int
get_typed(struct json_object *o, const char *path, const char *key, unsigned flags,
	  enum json_type type, const char *what, struct json_object **ret, char *err, size_t errlen)
{
	struct json_object *v;
	int r = get_field(o, path, key, flags, &v, err, errlen);

	*ret = NULL;
	if (r != 0)
		return r < 0 ? r : 0;
	/* null only where allowed: it reads as "not there". */
	if (!v && (flags & CV_JSON_NULLABLE))
		return 0;
	if (!json_object_is_type(v, type)) {
		cv_os_errf(err, errlen, "%s.%s: not %s", path, key, what);
		return -EBADMSG;
	}
	*ret = v;
	return 0;
}

int
cv_json_get_object(struct json_object *o, const char *path, const char *key, unsigned flags,
		   struct json_object **ret, char *err, size_t errlen)
{
	return get_typed(o, path, key, flags, json_type_object, "an object", ret, err, errlen);
}

int
cv_json_get_array(struct json_object *o, const char *path, const char *key, unsigned flags,
		  struct json_object **ret, char *err, size_t errlen)
{
	return get_typed(o, path, key, flags, json_type_array, "an array", ret, err, errlen);
}

int
cv_json_get_string(struct json_object *o, const char *path, const char *key, unsigned flags,
		   char *buf, size_t size, char *err, size_t errlen)
{
	struct json_object *v;
	const char *s;
	size_t len;
	int r = get_typed(o, path, key, flags, json_type_string, "a string", &v, err, errlen);

	if (r < 0)
		return r;
	if (!v) {
		if (json_object_object_get_ex(o, key, NULL)) /* null: "" */
			buf[0] = '\0';
		return 0;
	}
	s = json_object_get_string(v);
	len = (size_t)json_object_get_string_len(v);
	if (strlen(s) != len) {
		cv_os_errf(err, errlen, "%s.%s: holds a NUL", path, key);
		return -EBADMSG;
	}
	if (len >= size) {
		cv_os_errf(err, errlen, "%s.%s: %zu characters, more than %zu", path, key, len,
			   size - 1);
		return -EBADMSG;
	}
	memcpy(buf, s, len + 1);
	return 0;
}

int
cv_json_get_u64(struct json_object *o, const char *path, const char *key, unsigned flags,
		uint64_t *ret, char *err, size_t errlen)
{
	struct json_object *v;
	int r = get_typed(o, path, key, flags, json_type_int, "an integer", &v, err, errlen);

	if (r < 0 || !v)
		return r;
	if (json_object_get_int64(v) < 0) {
		cv_os_errf(err, errlen, "%s.%s: negative", path, key);
		return -EBADMSG;
	}
	*ret = json_object_get_uint64(v);
	return 0;
}

int
cv_json_to_string(struct json_object *o, char **ret)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *copy;

	if (!s)
		return -ENOMEM;
	copy = strndup(s, len);
	/* json-c keeps the text in the object until it is freed, unwiped: a
	 * token body holds a secret, so wipe json-c's copy here (its buffer,
	 * handed out const, is the object's own). */
	explicit_bzero((char *)s, len);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}
