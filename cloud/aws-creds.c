/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws-creds.h"
#include "cv-macros.h"
#include "os-int.h"

#define LINE_MAX_LEN 4608

static const char *
trim(char *s)
{
	char *end;

	s += strspn(s, " \t");
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

static int
set_field(char *dst, size_t size, const char *v)
{
	if (strlen(v) >= size)
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* "name = value" of the profile we read: into ret; others ignored. */
static int
take_line(char *line, struct cv_aws_creds *ret)
{
	char *eq = strchr(line, '=');
	const char *name, *value;

	if (!eq)
		return 0;
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if (strcmp(name, "aws_access_key_id") == 0)
		return set_field(ret->key, sizeof(ret->key), value);
	if (strcmp(name, "aws_secret_access_key") == 0)
		return set_field(ret->secret, sizeof(ret->secret), value);
	if (strcmp(name, "aws_session_token") == 0)
		return set_field(ret->token, sizeof(ret->token), value);
	return 0;
}

int
cv_aws_creds_from_file(const char *text, size_t len, const char *profile,
		       struct cv_aws_creds *ret, char *err, size_t err_len)
{
	bool in = false;
	size_t no = 0;

	*ret = (struct cv_aws_creds){};
	for (size_t at = 0; at < len; no++) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t l = nl ? (size_t)(nl - (text + at)) : len - at;
		char line[LINE_MAX_LEN];
		const char *t;

		if (l >= sizeof(line)) {
			snprintf(err, err_len, "line %zu: too long", no + 1);
			return -EINVAL;
		}
		memcpy(line, text + at, l);
		line[l] = '\0';
		at += l + 1;
		t = trim(line);
		if (t[0] == '#' || t[0] == ';' || !t[0])
			continue;
		if (t[0] == '[') {
			size_t n = strlen(profile);

			in = strncmp(t + 1, profile, n) == 0 && strcmp(t + 1 + n, "]") == 0;
			continue;
		}
		if (in && take_line(line + (t - line), ret) < 0) {
			snprintf(err, err_len, "line %zu: a value too long", no + 1);
			return -EINVAL;
		}
	}
	return ret->key[0] && ret->secret[0] ? 0 : -ENOENT;
}

int
cv_aws_parse_time(const char *text, int64_t *ret)
{
	struct tm tm = {};
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	time_t t;

	if (!end || *end)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = (int64_t)t;
	return 0;
}

int
cv_aws_creds_from_imds(const char *body, size_t len, struct cv_aws_creds *ret, char *err,
		       size_t err_len)
{
	_cleanup_json_ struct json_object *o = NULL;
	char expires[64] = "", code[64] = "";
	int r;

	*ret = (struct cv_aws_creds){};
	r = cv_json_parse(body, len, &o, err, err_len);
	if (r == 0)
		r = cv_json_get_string(o, "the role's credentials", "Code", CV_JSON_OPTIONAL, code,
				       sizeof(code), err, err_len);
	if (r == 0 && code[0] && strcmp(code, "Success") != 0) {
		snprintf(err, err_len, "the role's credentials say Code %s", code);
		r = -EBADMSG;
	}
	if (r == 0)
		r = cv_json_get_string(o, "the role's credentials", "AccessKeyId", 0, ret->key,
				       sizeof(ret->key), err, err_len);
	if (r == 0)
		r = cv_json_get_string(o, "the role's credentials", "SecretAccessKey", 0, ret->secret,
				       sizeof(ret->secret), err, err_len);
	if (r == 0)
		r = cv_json_get_string(o, "the role's credentials", "Token", 0, ret->token,
				       sizeof(ret->token), err, err_len);
	if (r == 0)
		r = cv_json_get_string(o, "the role's credentials", "Expiration", 0, expires,
				       sizeof(expires), err, err_len);
	if (r == 0 && cv_aws_parse_time(expires, &ret->expires_unix_s) < 0) {
		snprintf(err, err_len, "the role's credentials: Expiration '%s' is not a time", expires);
		r = -EBADMSG;
	}
	if (r < 0) {
		explicit_bzero(ret, sizeof(*ret));
		return r == -ENOMEM ? r : -EBADMSG;
	}
	return 0;
}
