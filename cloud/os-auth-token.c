/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Is a set of credentials enough, and the Keystone token call built from it
 * (cloud-api-brief.md §1.2): the URL, and the body with json-c (a password
 * goes through JSON escaping, never through a format string).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "os-int.h"

#define URL_MAX 1024

static bool
has(const char *s)
{
	return s && *s;
}

/* http(s)://host..., printable, no spaces: it goes into a request line. */
static int
check_url(const char *url, char *err, size_t errlen)
{
	const char *host;

	if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else {
		cv_os_errf(err, errlen, "auth_url: not an http(s) URL");
		return -EINVAL;
	}
	if (!*host || *host == '/') {
		cv_os_errf(err, errlen, "auth_url: no host");
		return -EINVAL;
	}
	if (strlen(url) > URL_MAX) {
		cv_os_errf(err, errlen, "auth_url: longer than %d", URL_MAX);
		return -EINVAL;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			cv_os_errf(err, errlen, "auth_url: holds a space or a control character");
			return -EINVAL;
		}
	return 0;
}

static bool
user_given(const struct cv_os_auth *a)
{
	return has(a->user_id) ||
	       (has(a->username) && (has(a->user_domain_name) || has(a->user_domain_id)));
}

static int
check_password(const struct cv_os_auth *a, char *err, size_t errlen)
{
	if (!has(a->password)) {
		cv_os_errf(err, errlen, "password auth: no password (OS_PASSWORD, auth.password)");
		return -EINVAL;
	}
	if (!user_given(a)) {
		cv_os_errf(err, errlen,
			   "password auth: no user (user_id, or username with user_domain_name "
			   "or user_domain_id)");
		return -EINVAL;
	}
	if (!has(a->project_id) &&
	    !(has(a->project_name) && (has(a->project_domain_name) || has(a->project_domain_id)))) {
		cv_os_errf(err, errlen,
			   "password auth: no project (project_id, or project_name with "
			   "project_domain_name or project_domain_id)");
		return -EINVAL;
	}
	return 0;
}

static int
check_app_cred(const struct cv_os_auth *a, char *err, size_t errlen)
{
	if (!has(a->app_cred_secret)) {
		cv_os_errf(err, errlen,
			   "application credential: no secret (application_credential_secret)");
		return -EINVAL;
	}
	if (!has(a->app_cred_id) && !(has(a->app_cred_name) && user_given(a))) {
		cv_os_errf(err, errlen,
			   "application credential: no application_credential_id, nor a "
			   "application_credential_name with its user");
		return -EINVAL;
	}
	/* Keystone refuses a scope here: the credential carries its own. */
	if (has(a->project_name) || has(a->project_id)) {
		cv_os_errf(err, errlen,
			   "application credential: a project scope is not allowed (its "
			   "project is the credential's)");
		return -EINVAL;
	}
	return 0;
}

int
cv_os_auth_check(const struct cv_os_auth *a, char *err, size_t errlen)
{
	int r;

	if (!has(a->auth_url)) {
		cv_os_errf(err, errlen, "no auth_url (OS_AUTH_URL, auth.auth_url)");
		return -EINVAL;
	}
	r = check_url(a->auth_url, err, errlen);
	if (r < 0)
		return r;
	if (a->type == CV_OS_AUTH_APPLICATION_CREDENTIAL)
		return check_app_cred(a, err, errlen);
	return check_password(a, err, errlen);
}

int
cv_os_auth_token_url(const struct cv_os_auth *a, char **ret)
{
	size_t len;
	bool versioned;

	if (!has(a->auth_url) || check_url(a->auth_url, NULL, 0) < 0)
		return -EINVAL;
	len = strlen(a->auth_url);
	while (len > 0 && a->auth_url[len - 1] == '/')
		len--;
	versioned = len >= 3 && strncmp(a->auth_url + len - 3, "/v3", 3) == 0;
	if (asprintf(ret, "%.*s%s/auth/tokens", (int)len, a->auth_url, versioned ? "" : "/v3") < 0)
		return -ENOMEM;
	return 0;
}

/* Build bodies with a sticky error: one check at the end (like cv_strbuf). */
struct jb {
	int err;
};

static struct json_object *
jb_obj(struct jb *b)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		b->err = -ENOMEM;
	return o;
}

/* Add key: value to o; value's reference is taken (NULL: b->err). */
static void
jb_add(struct jb *b, struct json_object *o, const char *key, struct json_object *value)
{
	if (!o || !value || json_object_object_add(o, key, value) < 0) {
		json_object_put(value);
		b->err = -ENOMEM;
	}
}

static void
jb_str(struct jb *b, struct json_object *o, const char *key, const char *s)
{
	jb_add(b, o, key, json_object_new_string(s));
}

/* {"id": ...} or {"name": ...}: a domain, the id preferred. */
static struct json_object *
jb_domain(struct jb *b, const char *name, const char *id)
{
	struct json_object *d = jb_obj(b);

	if (has(id))
		jb_str(b, d, "id", id);
	else
		jb_str(b, d, "name", name);
	return d;
}

/* A user by id, or by name and domain; with the password when given. */
static struct json_object *
jb_user(struct jb *b, const struct cv_os_auth *a, const char *password)
{
	struct json_object *u = jb_obj(b);

	if (has(a->user_id)) {
		jb_str(b, u, "id", a->user_id);
	} else {
		jb_str(b, u, "name", a->username);
		jb_add(b, u, "domain", jb_domain(b, a->user_domain_name, a->user_domain_id));
	}
	if (password)
		jb_str(b, u, "password", password);
	return u;
}

static struct json_object *
jb_methods(struct jb *b, const char *method)
{
	struct json_object *m = json_object_new_array();
	struct json_object *s = json_object_new_string(method);

	if (!m || !s || json_object_array_add(m, s) < 0) {
		json_object_put(s);
		json_object_put(m);
		b->err = -ENOMEM;
		return NULL;
	}
	return m;
}

static void
password_identity(struct jb *b, const struct cv_os_auth *a, struct json_object *auth)
{
	struct json_object *identity = jb_obj(b), *pw = jb_obj(b), *scope = jb_obj(b);
	struct json_object *project = jb_obj(b);

	jb_add(b, identity, "methods", jb_methods(b, "password"));
	jb_add(b, pw, "user", jb_user(b, a, a->password));
	jb_add(b, identity, "password", pw);
	jb_add(b, auth, "identity", identity);
	if (has(a->project_id)) {
		jb_str(b, project, "id", a->project_id);
	} else {
		jb_str(b, project, "name", a->project_name);
		jb_add(b, project, "domain",
		       jb_domain(b, a->project_domain_name, a->project_domain_id));
	}
	jb_add(b, scope, "project", project);
	jb_add(b, auth, "scope", scope);
}

/* No scope: Keystone takes it from the credential and refuses one given. */
static void
app_cred_identity(struct jb *b, const struct cv_os_auth *a, struct json_object *auth)
{
	struct json_object *identity = jb_obj(b), *ac = jb_obj(b);

	jb_add(b, identity, "methods", jb_methods(b, "application_credential"));
	if (has(a->app_cred_id)) {
		jb_str(b, ac, "id", a->app_cred_id);
	} else {
		jb_str(b, ac, "name", a->app_cred_name);
		jb_add(b, ac, "user", jb_user(b, a, NULL));
	}
	jb_str(b, ac, "secret", a->app_cred_secret);
	jb_add(b, identity, "application_credential", ac);
	jb_add(b, auth, "identity", identity);
}

/* json-c frees strings unwiped: wipe the secret where json-c keeps it. */
static void
wipe_secret(struct json_object *root, const char *const *path, size_t n)
{
	struct json_object *o = root;

	for (size_t i = 0; o && i < n; i++)
		if (!json_object_object_get_ex(o, path[i], &o))
			return;
	if (json_object_is_type(o, json_type_string))
		explicit_bzero((char *)json_object_get_string(o),
			       (size_t)json_object_get_string_len(o));
}

static void
wipe_secrets(struct json_object *root)
{
	static const char *const pw[] = { "auth", "identity", "password", "user", "password" };
	static const char *const ac[] = { "auth", "identity", "application_credential", "secret" };

	wipe_secret(root, pw, ELEMENTSOF(pw));
	wipe_secret(root, ac, ELEMENTSOF(ac));
}

int
cv_os_auth_token_body(const struct cv_os_auth *a, char **ret)
{
	struct jb b = {};
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *auth;
	int r;

	if (cv_os_auth_check(a, NULL, 0) < 0)
		return -EINVAL;
	root = jb_obj(&b);
	auth = jb_obj(&b);
	if (a->type == CV_OS_AUTH_APPLICATION_CREDENTIAL)
		app_cred_identity(&b, a, auth);
	else
		password_identity(&b, a, auth);
	jb_add(&b, root, "auth", auth);
	r = b.err < 0 ? b.err : cv_json_to_string(root, ret);
	if (root)
		wipe_secrets(root);
	return r;
}
