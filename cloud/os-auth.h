/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * OpenStack credentials and where they come from (issue 14; the rules are
 * openstacksdk's, cloud-api-brief.md §1.1): a clouds.yaml entry (libyaml;
 * the file named, else ./clouds.yaml, $XDG_CONFIG_HOME/openstack or
 * ~/.config/openstack, /etc/openstack: a service unit hides /root), the
 * OS_* environment, and a secrets file or systemd's $CREDENTIALS_DIRECTORY.
 * Later sources fill only what earlier ones left unset, in the order
 * cv_os_auth_load applies them: the secrets file, $CREDENTIALS_DIRECTORY,
 * OS_*, then clouds.yaml (explicit daemon config > env > clouds.yaml). An
 * empty value sets nothing. Secrets are kept in memory only, wiped at
 * cv_os_auth_done, and never formatted into a message. Files readable by
 * others are read all the same (the daemon's config loader warns on modes).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum cv_os_auth_type {
	CV_OS_AUTH_PASSWORD,		  /* "password", "v3password" */
	CV_OS_AUTH_APPLICATION_CREDENTIAL, /* "v3applicationcredential" */
};

enum cv_os_interface {
	CV_OS_PUBLIC, /* the default */
	CV_OS_INTERNAL,
	CV_OS_ADMIN,
};

/* Every string is owned (NULL: not set). */
struct cv_os_auth {
	enum cv_os_auth_type type;
	bool type_set;
	char *auth_url; /* Keystone, with or without /v3 */
	char *username, *user_id;
	char *password; /* secret */
	char *user_domain_name, *user_domain_id;
	char *project_name, *project_id;
	char *project_domain_name, *project_domain_id;
	char *app_cred_id, *app_cred_name;
	char *app_cred_secret; /* secret */
	char *region;
	enum cv_os_interface interface;
	bool interface_set;
	char *cacert;	      /* CA bundle for Keystone and Neutron; NULL: the system's */
	bool insecure;	      /* no TLS verification (openstacksdk's insecure: true) */
	char *neutron_url;    /* an override of the catalog's network endpoint (tests) */
};

/* What cv_os_auth_load reads; NULL fields are not read. */
struct cv_os_auth_sources {
	const char *cloud;	   /* the clouds.yaml entry; NULL: $OS_CLOUD, else none */
	const char *clouds_yaml;   /* a file; NULL: the search path (and $OS_CLIENT_CONFIG_FILE) */
	bool search_clouds_yaml;   /* look in the search path when clouds_yaml is NULL */
	char *const *environ;	   /* OS_* variables from here; NULL: none (HOME and
				      XDG_CONFIG_HOME for the search: from here, NULL: getenv) */
	const char *secrets_file;  /* KEY=VALUE lines (password=, application_credential_secret=) */
	const char *credentials_dir; /* systemd's $CREDENTIALS_DIRECTORY: files "password" etc. */
};

/*
 * Fill *ret from src (*ret zeroed first). 0, or -errno with a message in err
 * naming the file, line and key (or variable) at fault: -ENOENT (the cloud or
 * a named file is not there), -EINVAL (a bad value, a missing auth_url or
 * credential), -ENOMEM.
 */
int cv_os_auth_load(const struct cv_os_auth_sources *src, struct cv_os_auth *ret, char *err,
		    size_t errlen);

/* A clouds.yaml text (for tests): the entry named cloud into *a (only unset fields). */
int cv_os_auth_from_yaml(const char *text, size_t len, const char *name, const char *cloud,
			 struct cv_os_auth *a, char *err, size_t errlen);
/* OS_* variables of env (NULL-terminated "NAME=value") into *a (only unset fields). */
int cv_os_auth_from_env(char *const *env, struct cv_os_auth *a, char *err, size_t errlen);

/* Is *a enough to ask for a token? -EINVAL with the reason in err if not. */
int cv_os_auth_check(const struct cv_os_auth *a, char *err, size_t errlen);

/* The Keystone URL of the token call: auth_url with /v3 (added when missing) and /auth/tokens. */
int cv_os_auth_token_url(const struct cv_os_auth *a, char **ret);
/* The JSON body of POST /v3/auth/tokens for *a (a secret: wipe and free it). */
int cv_os_auth_token_body(const struct cv_os_auth *a, char **ret);

/* Free the strings, the secrets wiped first. */
void cv_os_auth_done(struct cv_os_auth *a);

const char *cv_os_interface_to_string(enum cv_os_interface i);
