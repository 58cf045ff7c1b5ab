/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Where OpenStack credentials come from (os-auth.h): one table of the keys
 * clouds.yaml knows, which the OS_* variables (OS_ dropped, lower-cased, as
 * openstacksdk reads them), the secrets file and $CREDENTIALS_DIRECTORY
 * share. Every source fills only what is still unset, so the order of the
 * calls in cv_os_auth_load is the precedence.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "os-int.h"

enum kind {
	K_STR,	       /* a string field */
	K_DOMAIN_NAME, /* domain_name: both user's and project's */
	K_DOMAIN_ID,
	K_AUTH_TYPE,
	K_INTERFACE,
	K_INSECURE,    /* insecure: true */
	K_VERIFY,      /* verify: false (the same, said the other way) */
	K_API_VERSION, /* identity_api_version: only 3 */
	K_UNSUPPORTED, /* a key we refuse rather than ignore */
};

struct key {
	const char *name;
	enum kind kind;
	size_t offset; /* K_STR */
	bool secret;
};

#define STR(n, field)                                                                              \
	{                                                                                          \
		n, K_STR, offsetof(struct cv_os_auth, field), false                                \
	}
/* Modern names before their legacy aliases: within one source the modern one wins. */
static const struct key keys[] = {
	STR("auth_url", auth_url),
	STR("username", username),
	STR("user_name", username),
	STR("user_id", user_id),
	{ "password", K_STR, offsetof(struct cv_os_auth, password), true },
	STR("user_domain_name", user_domain_name),
	STR("user_domain_id", user_domain_id),
	STR("project_name", project_name),
	STR("tenant_name", project_name),
	STR("project_id", project_id),
	STR("tenant_id", project_id),
	STR("project_domain_name", project_domain_name),
	STR("project_domain_id", project_domain_id),
	{ "domain_name", K_DOMAIN_NAME, 0, false },
	{ "domain_id", K_DOMAIN_ID, 0, false },
	STR("application_credential_id", app_cred_id),
	STR("application_credential_name", app_cred_name),
	{ "application_credential_secret", K_STR, offsetof(struct cv_os_auth, app_cred_secret),
	  true },
	STR("region_name", region),
	{ "interface", K_INTERFACE, 0, false },
	{ "endpoint_type", K_INTERFACE, 0, false },
	{ "auth_type", K_AUTH_TYPE, 0, false },
	STR("cacert", cacert),
	{ "insecure", K_INSECURE, 0, false },
	{ "verify", K_VERIFY, 0, false },
	{ "identity_api_version", K_API_VERSION, 0, false },
	STR("network_endpoint_override", neutron_url),
	{ "cert", K_UNSUPPORTED, 0, false },
	{ "key", K_UNSUPPORTED, 0, false },
};
#undef STR

static const struct key *
key_find(const char *name)
{
	char norm[64];
	size_t len = strlen(name);

	if (len >= sizeof(norm))
		return NULL;
	for (size_t i = 0; i <= len; i++)
		norm[i] = name[i] == '-' ? '_' : name[i];
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (strcmp(keys[i].name, norm) == 0)
			return &keys[i];
	return NULL;
}

bool
cv_os_auth_key_known(const char *key)
{
	return key_find(key) != NULL;
}

static int
set_str(char **field, const char *value)
{
	if (*field)
		return 0;
	*field = strdup(value);
	return *field ? 0 : -ENOMEM;
}

static int
parse_bool(const char *v, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *ret = true, 0;
		if (strcasecmp(v, no[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

static const char *const interfaces[] = {
	[CV_OS_PUBLIC] = "public",
	[CV_OS_INTERNAL] = "internal",
	[CV_OS_ADMIN] = "admin",
};

const char *
cv_os_interface_to_string(enum cv_os_interface i)
{
	return (unsigned)i < ELEMENTSOF(interfaces) ? interfaces[i] : NULL;
}

/* "internal", or keystoneauth's legacy "internalURL". */
static int
parse_interface(const char *v, enum cv_os_interface *ret)
{
	for (size_t i = 0; i < ELEMENTSOF(interfaces); i++) {
		size_t n = strlen(interfaces[i]);

		if (strncmp(v, interfaces[i], n) == 0 && (!v[n] || strcmp(v + n, "URL") == 0)) {
			*ret = (enum cv_os_interface)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int
parse_auth_type(const char *v, enum cv_os_auth_type *ret)
{
	if (strcmp(v, "password") == 0 || strcmp(v, "v3password") == 0)
		*ret = CV_OS_AUTH_PASSWORD;
	else if (strcmp(v, "v3applicationcredential") == 0 ||
		 strcmp(v, "application_credential") == 0)
		*ret = CV_OS_AUTH_APPLICATION_CREDENTIAL;
	else
		return -EINVAL;
	return 0;
}

/* Values quoted in messages are never secrets (those are K_STR, never quoted). */
static int
set_special(struct cv_os_auth *a, const struct key *k, const char *value, const char *where,
	    char *err, size_t errlen)
{
	bool b;

	switch (k->kind) {
	case K_AUTH_TYPE:
		if (a->type_set)
			return 0;
		if (parse_auth_type(value, &a->type) < 0)
			goto bad;
		a->type_set = true;
		return 0;
	case K_INTERFACE:
		if (a->interface_set)
			return 0;
		if (parse_interface(value, &a->interface) < 0)
			goto bad;
		a->interface_set = true;
		return 0;
	case K_INSECURE:
	case K_VERIFY:
		if (parse_bool(value, &b) < 0)
			goto bad;
		/* insecure: true wins over everything (openstacksdk). */
		if (k->kind == K_INSECURE ? b : !b)
			a->insecure = true;
		return 0;
	case K_API_VERSION:
		if (strcmp(value, "3") != 0 && strcmp(value, "v3") != 0)
			goto bad;
		return 0;
	default:
		cv_os_errf(err, errlen, "%s: %s: not supported (client certificates)", where,
			   k->name);
		return -EINVAL;
	}
bad:
	cv_os_errf(err, errlen, "%s: %s: unsupported value '%.64s'", where, k->name, value);
	return -EINVAL;
}

int
cv_os_auth_set_key(struct cv_os_auth *a, const char *key, const char *value, const char *where,
		   char *err, size_t errlen)
{
	const struct key *k = key_find(key);
	int r;

	if (!k)
		return 1;
	/* An empty value is no value, wherever it comes from. */
	if (!*value)
		return 0;
	if (strlen(value) > CV_OS_VALUE_MAX) {
		cv_os_errf(err, errlen, "%s: %s: longer than %d", where, k->name, CV_OS_VALUE_MAX);
		return -EINVAL;
	}
	switch (k->kind) {
	case K_STR:
		return set_str((char **)((char *)a + k->offset), value);
	case K_DOMAIN_NAME:
		r = set_str(&a->user_domain_name, value);
		return r < 0 ? r : set_str(&a->project_domain_name, value);
	case K_DOMAIN_ID:
		r = set_str(&a->user_domain_id, value);
		return r < 0 ? r : set_str(&a->project_domain_id, value);
	default:
		return set_special(a, k, value, where, err, errlen);
	}
}

/* openstacksdk's own variables and the selectors are not credentials. */
static bool
env_skipped(const char *key)
{
	static const char *const prefixes[] = { "test", "std", "log", "cloud", "client_" };

	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++)
		if (strncmp(key, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* One pass over the table, so a modern name wins over its legacy alias. */
static int
env_apply(char *const *env, struct cv_os_auth *a, const struct key *k, char *err, size_t errlen)
{
	for (char *const *e = env; *e; e++) {
		const char *eq = strchr(*e, '=');
		char key[64], var[72];

		if (strncmp(*e, "OS_", 3) != 0 || !eq || (size_t)(eq - *e) - 3 >= sizeof(key))
			continue;
		for (size_t i = 0; i < (size_t)(eq - *e) - 3; i++)
			key[i] = (char)tolower((unsigned char)(*e)[3 + i]);
		key[eq - *e - 3] = '\0';
		if (env_skipped(key) || key_find(key) != k)
			continue;
		snprintf(var, sizeof(var), "%.*s", (int)(eq - *e), *e);
		return cv_os_auth_set_key(a, key, eq + 1, var, err, errlen);
	}
	return 0;
}

int
cv_os_auth_from_env(char *const *env, struct cv_os_auth *a, char *err, size_t errlen)
{
	if (!env)
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		int r = env_apply(env, a, &keys[i], err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}

/* One KEY=VALUE line of a secrets file; the line itself is never quoted. */
static int
secrets_line(char *line, const char *where, struct cv_os_auth *a, char *err, size_t errlen)
{
	char *eq, *key = line, *end, *value;
	int r;

	key += strspn(key, " \t");
	if (!*key || *key == '#')
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		cv_os_errf(err, errlen, "%s: expected KEY=VALUE", where);
		return -EINVAL;
	}
	for (end = eq; end > key && strchr(" \t", end[-1]); end--)
		;
	*end = '\0';
	/* Spaces around the value go too: "password = x" means "x". */
	value = eq + 1 + strspn(eq + 1, " \t");
	for (end = value + strlen(value); end > value && strchr(" \t", end[-1]); end--)
		;
	*end = '\0';
	r = cv_os_auth_set_key(a, key, value, where, err, errlen);
	if (r == 1) {
		cv_os_errf(err, errlen, "%s: unknown key '%.64s'", where, key);
		return -EINVAL;
	}
	return r;
}

static int
secrets_parse(char *text, const char *path, struct cv_os_auth *a, char *err, size_t errlen)
{
	unsigned line = 0;

	for (char *p = text; p && *p;) {
		char *nl = strchr(p, '\n'), where[512];
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int r;

		line++;
		if (nl)
			*nl = '\0';
		if (len > 0 && p[len - 1] == '\r')
			p[len - 1] = '\0';
		snprintf(where, sizeof(where), "%s:%u", path, line);
		r = secrets_line(p, where, a, err, errlen);
		if (r < 0)
			return r;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

static int
secrets_file(const char *path, struct cv_os_auth *a, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int r = cv_os_read_file(path, CV_OS_FILE_MAX, &text, &len);

	if (r < 0) {
		cv_os_errf(err, errlen, "%s: %s", path, strerror(-r));
		return r == -EFBIG || r == -EISDIR ? -EINVAL : r;
	}
	if (memchr(text, '\0', len)) {
		cv_os_errf(err, errlen, "%s: holds a NUL byte", path);
		r = -EINVAL;
	} else {
		r = secrets_parse(text, path, a, err, errlen);
	}
	explicit_bzero(text, len);
	free(text);
	return r;
}

/* One systemd credential: the file's content, its trailing newlines dropped. */
static int
credential(const char *dir, const struct key *k, struct cv_os_auth *a, char *err, size_t errlen)
{
	char path[4096], *text = NULL;
	size_t len = 0;
	int r;

	if (snprintf(path, sizeof(path), "%s/%s", dir, k->name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	r = cv_os_read_file(path, CV_OS_VALUE_MAX, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		cv_os_errf(err, errlen, "%s: %s", path, strerror(-r));
		return r == -EFBIG || r == -EISDIR ? -EINVAL : r;
	}
	if (memchr(text, '\0', len)) {
		cv_os_errf(err, errlen, "%s: holds a NUL byte", path);
		r = -EINVAL;
	} else {
		size_t n = len;

		while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r'))
			text[--n] = '\0';
		r = cv_os_auth_set_key(a, k->name, text, path, err, errlen);
	}
	explicit_bzero(text, len);
	free(text);
	return r;
}

static int
credentials_dir(const char *dir, struct cv_os_auth *a, char *err, size_t errlen)
{
	if (access(dir, X_OK) < 0) {
		int r = -errno;

		cv_os_errf(err, errlen, "%s: %s", dir, strerror(errno));
		return r;
	}
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		int r;

		/* A credential named "key" may well be someone else's. */
		if (keys[i].kind == K_UNSUPPORTED)
			continue;
		r = credential(dir, &keys[i], a, err, errlen);

		if (r < 0)
			return r;
	}
	return 0;
}

/* A variable of env (NULL: none). */
static const char *
env_get(char *const *env, const char *name)
{
	size_t n = strlen(name);

	for (char *const *e = env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

/* HOME and XDG_CONFIG_HOME: from the environment given, else the process's. */
static const char *
home_get(const struct cv_os_auth_sources *src, const char *name)
{
	const char *v = src->environ ? env_get(src->environ, name) : getenv(name);

	return v && *v ? v : NULL;
}

/* The first of dir/clouds.{yaml,yml,json} there is. */
static char *
find_in(const char *dir, const char *sub)
{
	static const char *const names[] = { "clouds.yaml", "clouds.yml", "clouds.json" };

	for (size_t i = 0; i < ELEMENTSOF(names); i++) {
		char *p = NULL;

		if (asprintf(&p, "%s%s/%s", dir, sub, names[i]) < 0)
			return NULL;
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	return NULL;
}

/* openstacksdk's order: $OS_CLIENT_CONFIG_FILE, the current directory, the
 * user's config directory, /etc/openstack. NULL: none found (or no memory). */
static char *
search_clouds_yaml(const struct cv_os_auth_sources *src)
{
	const char *named = env_get(src->environ, "OS_CLIENT_CONFIG_FILE");
	const char *xdg = home_get(src, "XDG_CONFIG_HOME"), *home = home_get(src, "HOME");
	char *p = NULL;

	if (named && *named && access(named, F_OK) == 0)
		return strdup(named);
	if ((p = find_in(".", "")))
		return p;
	if (xdg && (p = find_in(xdg, "/openstack")))
		return p;
	if (!xdg && home && (p = find_in(home, "/.config/openstack")))
		return p;
	return find_in("/etc/openstack", "");
}

static int
yaml_file(const char *path, const char *cloud, struct cv_os_auth *a, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	int r = cv_os_read_file(path, CV_OS_FILE_MAX, &text, &len);

	if (r < 0) {
		cv_os_errf(err, errlen, "%s: %s", path, strerror(-r));
		return r == -EFBIG || r == -EISDIR ? -EINVAL : r;
	}
	r = cv_os_auth_from_yaml(text, len, path, cloud, a, err, errlen);
	explicit_bzero(text, len);
	free(text);
	return r;
}

static int
from_clouds_yaml(const struct cv_os_auth_sources *src, struct cv_os_auth *a, char *err,
		 size_t errlen)
{
	const char *cloud = src->cloud ? src->cloud : env_get(src->environ, "OS_CLOUD");
	_cleanup_free_ char *found = NULL;

	if (!cloud || !*cloud) {
		if (!src->clouds_yaml)
			return 0;
		cv_os_errf(err, errlen, "%s: no cloud named (cloud, or OS_CLOUD)",
			   src->clouds_yaml);
		return -EINVAL;
	}
	if (src->clouds_yaml)
		return yaml_file(src->clouds_yaml, cloud, a, err, errlen);
	if (src->search_clouds_yaml)
		found = search_clouds_yaml(src);
	if (!found) {
		cv_os_errf(err, errlen, "cloud '%.64s': no clouds.yaml found", cloud);
		return -ENOENT;
	}
	return yaml_file(found, cloud, a, err, errlen);
}

/*
 * The precedence: what the daemon's configuration names explicitly (the
 * secrets file, then systemd's credentials), the OS_* environment, then the
 * clouds.yaml entry (the brief's "daemon config > env > clouds.yaml").
 * Files readable by others are still read: corovipd's config loader warns
 * about modes, this layer does not log.
 */
int
cv_os_auth_load(const struct cv_os_auth_sources *src, struct cv_os_auth *ret, char *err,
		size_t errlen)
{
	int r = 0;

	*ret = (struct cv_os_auth){};
	if (src->secrets_file)
		r = secrets_file(src->secrets_file, ret, err, errlen);
	if (r >= 0 && src->credentials_dir)
		r = credentials_dir(src->credentials_dir, ret, err, errlen);
	if (r >= 0)
		r = cv_os_auth_from_env(src->environ, ret, err, errlen);
	if (r >= 0)
		r = from_clouds_yaml(src, ret, err, errlen);
	if (r >= 0)
		r = cv_os_auth_check(ret, err, errlen);
	if (r < 0)
		cv_os_auth_done(ret);
	return r < 0 ? r : 0;
}

void
cv_os_auth_done(struct cv_os_auth *a)
{
	char **strs[] = {
		&a->auth_url,	       &a->username,	     &a->user_id,
		&a->password,	       &a->user_domain_name, &a->user_domain_id,
		&a->project_name,      &a->project_id,	     &a->project_domain_name,
		&a->project_domain_id, &a->app_cred_id,	     &a->app_cred_name,
		&a->app_cred_secret,   &a->region,	     &a->cacert,
		&a->neutron_url,
	};

	/* Everything wiped, not just the secrets: cheaper than a list to keep right. */
	for (size_t i = 0; i < ELEMENTSOF(strs); i++)
		cv_os_wipe_free(*strs[i]);
	*a = (struct cv_os_auth){};
}
