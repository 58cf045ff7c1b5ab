/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What cloud/os-*.c share and nothing else sees: error text, secret wiping,
 * the key table behind clouds.yaml, the OS_* variables and the secrets files,
 * and json-c's type- and length-checked readers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cv-macros.h"
#include "os-auth.h"

#define CV_OS_VALUE_MAX 4096	      /* a scalar, a variable, a credential file */
#define CV_OS_FILE_MAX	(1024 * 1024) /* clouds.yaml, the secrets file */

/* Format into err (NULL or errlen 0: nothing). */
void cv_os_errf(char *err, size_t errlen, const char *fmt, ...) _printf_(3, 4);
/* Prefix err's text with "where: " (for messages built below the caller). */
void cv_os_err_prefix(char *err, size_t errlen, const char *where);

/* Wipe (the whole string) and free; NULL is fine. */
void cv_os_wipe_free(char *s);
/* An id goes into a URL path: UUID-ish characters only (no '/', '?', ".."). */
bool cv_os_id_ok(const char *s);
/* Unix time in ms (token expiry, status times). */
int64_t cv_os_wall_ms(void);
static inline void
cv_os_wipe_freep(char **p)
{
	cv_os_wipe_free(*p);
}
#define _cleanup_wipe_free_ _cleanup_(cv_os_wipe_freep)

/*
 * Set the clouds.yaml key (the auth section's names and the entry's own:
 * "password", "tenant_name", "region_name", "interface", ...; '-' reads as
 * '_') to value in *a, unless already set ("" sets nothing). where names the place for err
 * ("clouds.yaml:3:7", "OS_INTERFACE"). 0: taken or already set; 1: not a key
 * of ours; -EINVAL: a bad value (never quoted when secret); -ENOMEM.
 */
int cv_os_auth_set_key(struct cv_os_auth *a, const char *key, const char *value, const char *where,
		       char *err, size_t errlen);
bool cv_os_auth_key_known(const char *key);
/* Is an unquoted YAML scalar null? ("", "~", "null") */
bool cv_os_value_is_null(const char *value);

/* A file read whole (regular, at most max bytes), NUL-terminated; wipe and free it. */
int cv_os_read_file(const char *path, size_t max, char **ret, size_t *ret_len);

/* json-c readers; path names the object for err ("floatingip"). Absent
 * optional fields leave the default; null is "" where CV_JSON_NULLABLE. */
enum {
	CV_JSON_OPTIONAL = 1 << 0,
	CV_JSON_NULLABLE = 1 << 1,
};
int cv_json_parse(const char *body, size_t len, struct json_object **ret, char *err, size_t errlen);
int cv_json_get_object(struct json_object *o, const char *path, const char *key, unsigned flags,
		       struct json_object **ret, char *err, size_t errlen);
int cv_json_get_array(struct json_object *o, const char *path, const char *key, unsigned flags,
		      struct json_object **ret, char *err, size_t errlen);
int cv_json_get_string(struct json_object *o, const char *path, const char *key, unsigned flags,
		       char *buf, size_t size, char *err, size_t errlen);
int cv_json_get_u64(struct json_object *o, const char *path, const char *key, unsigned flags,
		    uint64_t *ret, char *err, size_t errlen);
/* An object's text (owned by the caller, who wipes it when it holds a secret). */
int cv_json_to_string(struct json_object *o, char **ret);
static inline void
cv_json_putp(struct json_object **o)
{
	if (*o)
		json_object_put(*o);
}
#define _cleanup_json_ _cleanup_(cv_json_putp)
