/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloud/os-auth*.c: clouds.yaml entries, the OS_* environment and its legacy
 * names, the search path, secrets files and systemd credentials, the
 * precedence between them, every refusal (with its place, and never a
 * secret), hostile YAML, and the token URL and body.
 */
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmocka-all.h"
#include "cv-macros.h"
#include "os-auth.h"

#define SECRET "S3cr3t-\"quote\\-é"
#define APP_SECRET "appSECRETvalue"

static const char clouds_yaml[] =
	"# two clouds, as in the brief\n"
	"clouds:\n"
	"  mycloud:\n"
	"    region_name: RegionOne\n"
	"    interface: internal\n"
	"    cacert: /etc/pki/mycloud-ca.pem\n"
	"    auth:\n"
	"      auth_url: https://keystone.example:5000/v3\n"
	"      username: ha-agent\n"
	"      password: 'S3cr3t-\"quote\\-é'\n"
	"      user_domain_name: Default\n"
	"      project_name: ha-project\n"
	"      project_domain_name: Default\n"
	"  mycloud-appcred:\n"
	"    auth_type: v3applicationcredential\n"
	"    region_name: RegionTwo\n"
	"    volume_api_version: [3]\n" /* someone else's key, any shape */
	"    auth:\n"
	"      auth_url: https://keystone.example:5000\n"
	"      application_credential_id: 0123456789abcdef0123456789abcdef\n"
	"      application_credential_secret: appSECRETvalue\n";

static char err[512];

static int
yaml(const char *text, const char *cloud, struct cv_os_auth *a)
{
	err[0] = '\0';
	return cv_os_auth_from_yaml(text, strlen(text), "clouds.yaml", cloud, a, err, sizeof(err));
}

static void
assert_no_secret(void)
{
	assert_null(strstr(err, "S3cr3t"));
	assert_null(strstr(err, APP_SECRET));
}

/* --- temp files --- */

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static void
rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
tmpdir(void)
{
	char *d = strdup("/tmp/test-os-auth.XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *p = NULL;
	FILE *f;

	assert_true(asprintf(&p, "%s/%s", dir, name) > 0);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static void
mkdirs(const char *dir, const char *sub)
{
	char p[512];
	size_t n = (size_t)snprintf(p, sizeof(p), "%s/%s", dir, sub);

	for (size_t i = strlen(dir) + 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		mkdir(p, 0700);
		if (i < n)
			p[i] = '/';
	}
}

/* --- clouds.yaml --- */

static void
yaml_password_entry_fills_every_field(void **state)
{
	struct cv_os_auth a = {};

	assert_int_equal(yaml(clouds_yaml, "mycloud", &a), 0);
	assert_false(a.type_set);
	assert_int_equal(a.type, CV_OS_AUTH_PASSWORD);
	assert_string_equal(a.auth_url, "https://keystone.example:5000/v3");
	assert_string_equal(a.username, "ha-agent");
	assert_string_equal(a.password, SECRET);
	assert_string_equal(a.user_domain_name, "Default");
	assert_string_equal(a.project_name, "ha-project");
	assert_string_equal(a.project_domain_name, "Default");
	assert_string_equal(a.region, "RegionOne");
	assert_true(a.interface_set);
	assert_int_equal(a.interface, CV_OS_INTERNAL);
	assert_string_equal(a.cacert, "/etc/pki/mycloud-ca.pem");
	assert_false(a.insecure);
	assert_int_equal(cv_os_auth_check(&a, err, sizeof(err)), 0);
	cv_os_auth_done(&a);
	assert_null(a.password);
}

static void
yaml_appcred_entry(void **state)
{
	struct cv_os_auth a = {};

	assert_int_equal(yaml(clouds_yaml, "mycloud-appcred", &a), 0);
	assert_true(a.type_set);
	assert_int_equal(a.type, CV_OS_AUTH_APPLICATION_CREDENTIAL);
	assert_string_equal(a.app_cred_id, "0123456789abcdef0123456789abcdef");
	assert_string_equal(a.app_cred_secret, APP_SECRET);
	assert_string_equal(a.region, "RegionTwo");
	assert_null(a.password);
	assert_int_equal(cv_os_auth_check(&a, err, sizeof(err)), 0);
	cv_os_auth_done(&a);
}

static void
yaml_keys_outside_auth_win_and_nulls_are_unset(void **state)
{
	struct cv_os_auth a = {};
	const char *text = "clouds:\n"
			   " c:\n"
			   "  username: outside\n"
			   "  verify: false\n"
			   "  endpoint-type: adminURL\n"
			   "  auth:\n"
			   "   username: inside\n"
			   "   password: ~\n"
			   "   project_id:\n"
			   "   user_id: ''\n"
			   "   user_domain_name: '~'\n"
			   "   tenant_name: legacy\n"
			   "   domain_id: default\n";

	assert_int_equal(yaml(text, "c", &a), 0);
	assert_string_equal(a.username, "outside");
	assert_true(a.insecure);
	assert_int_equal(a.interface, CV_OS_ADMIN);
	assert_null(a.password);
	assert_null(a.project_id);
	assert_null(a.user_id);
	assert_string_equal(a.user_domain_name, "~");
	assert_string_equal(a.project_name, "legacy");
	assert_string_equal(a.user_domain_id, "default");
	assert_string_equal(a.project_domain_id, "default");
	cv_os_auth_done(&a);
}

static void
yaml_fills_only_what_is_unset(void **state)
{
	struct cv_os_auth a = { .region = strdup("Mine"), .interface_set = true };

	assert_int_equal(yaml(clouds_yaml, "mycloud", &a), 0);
	assert_string_equal(a.region, "Mine");
	assert_int_equal(a.interface, CV_OS_PUBLIC);
	cv_os_auth_done(&a);
}

static void
yaml_missing_cloud_is_enoent(void **state)
{
	struct cv_os_auth a = {};

	assert_int_equal(yaml(clouds_yaml, "other", &a), -ENOENT);
	assert_non_null(strstr(err, "no cloud 'other'"));
	assert_int_equal(yaml("", "c", &a), -ENOENT);
	assert_int_equal(yaml("foo: 1\n", "c", &a), -ENOENT);
	assert_non_null(strstr(err, "no clouds: mapping"));
	cv_os_auth_done(&a);
}

struct bad_yaml {
	const char *text, *want;
};

static void
yaml_refusals_name_line_and_column(void **state)
{
	static const struct bad_yaml cases[] = {
		{ "- a\n- b\n", "clouds.yaml:1:1: expected a mapping" },
		{ "clouds: [1]\n", "clouds.yaml:1:9: expected a mapping for 'clouds'" },
		{ "clouds:\n  c: 3\n", "clouds.yaml:2:6: expected a mapping for cloud 'c'" },
		{ "clouds:\n  c:\n    auth: [x]\n", "clouds.yaml:3:11: expected a mapping for 'auth'" },
		{ "clouds:\n  c:\n    auth:\n      password: {a: b}\n",
		  "clouds.yaml:4:17: expected a string for 'password'" },
		{ "clouds:\n  c:\n    region_name: a\n    region_name: b\n",
		  "clouds.yaml:4:5: duplicate key 'region_name'" },
		{ "clouds:\n  c:\n    interface: sideways\n",
		  "clouds.yaml:3:16: interface: unsupported value 'sideways'" },
		{ "clouds:\n  c:\n    auth_type: token\n", "clouds.yaml:3:16: auth_type" },
		{ "clouds:\n  c:\n    identity_api_version: 2\n", "identity_api_version" },
		{ "clouds:\n  c:\n    cert: /x.pem\n", "clouds.yaml:3:11: cert: not supported" },
		{ "clouds:\n  c:\n   - x\n", "clouds.yaml:3:4" },
		{ "clouds:\n\tc: 1\n", "clouds.yaml:2:1" },
		{ "clouds: {c: {}}\n---\nx: 1\n", "more than one YAML document" },
		{ "clouds:\n  ? [a]\n  : 1\n", "clouds.yaml:2:5: a key must be a scalar" },
		{ "clouds: &a {c: {}}\n", "clouds.yaml:1:9: anchors are not supported" },
		{ "clouds:\n  c: \"unterminated\n", "clouds.yaml:" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_auth a = {};

		assert_int_equal(yaml(cases[i].text, "c", &a), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
		cv_os_auth_done(&a);
	}
}

static void
yaml_hostile_inputs_are_refused(void **state)
{
	struct cv_os_auth a = {};
	char *big = calloc(1, 2 * 1024 * 1024);
	const char *laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n"
			     "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			     "clouds: {c: {auth: *c}}\n";
	size_t n = 0;

	assert_non_null(big);
	assert_int_equal(yaml(laughs, "c", &a), -EINVAL);
	assert_non_null(strstr(err, "clouds.yaml:1:4: anchors are not supported"));
	assert_int_equal(yaml("clouds: *x\n", "c", &a), -EINVAL);

	/* Deep nesting. */
	for (int i = 0; i < 100; i++)
		big[n++] = '[';
	assert_int_equal(yaml(big, "c", &a), -EINVAL);
	assert_non_null(strstr(err, "nested deeper than 16"));

	/* A huge scalar: the password of 10000 characters. */
	n = (size_t)snprintf(big, 100, "clouds:\n c:\n  auth:\n   password: ");
	memset(big + n, 'p', 10000);
	big[n + 10000] = '\0';
	assert_int_equal(yaml(big, "c", &a), -EINVAL);
	assert_non_null(strstr(err, "clouds.yaml:4:14: scalar longer than 4096"));

	/* Too many nodes, then too many bytes. */
	n = (size_t)snprintf(big, 100, "x: [");
	for (int i = 0; i < 30000; i++)
		n += (size_t)snprintf(big + n, 10, "a,");
	snprintf(big + n, 10, "a]\n");
	assert_int_equal(yaml(big, "c", &a), -EINVAL);
	assert_non_null(strstr(err, "more than 20000 nodes"));
	memset(big, '#', 1024 * 1024 + 10);
	big[1024 * 1024 + 10] = '\0';
	assert_int_equal(yaml(big, "c", &a), -EINVAL);
	assert_non_null(strstr(err, "larger than"));

	/* Bytes that are not UTF-8, and a NUL. */
	assert_int_equal(yaml("clouds:\n c: \xff\xfe\n", "c", &a), -EINVAL);
	assert_int_equal(cv_os_auth_from_yaml("clouds: {c: {region_name: \"a\\0b\"}}", 34,
					      "f.yaml", "c", &a, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "f.yaml:1:"));
	free(big);
	cv_os_auth_done(&a);
}

/* --- the environment --- */

static void
env_variables_and_legacy_names(void **state)
{
	char *env[] = {
		"OS_AUTH_URL=http://keystone:5000",
		"OS_USERNAME=u",
		"OS_PASSWORD=" SECRET,
		"OS_TENANT_NAME=old",
		"OS_PROJECT_NAME=new",
		"OS_DOMAIN_NAME=Dom",
		"OS_PROJECT_DOMAIN_NAME=ProjDom",
		"OS_ENDPOINT_TYPE=internalURL",
		"OS_REGION_NAME=RegionTwo",
		"OS_INSECURE=true",
		"OS_CACERT=/ca.pem",
		"OS_IDENTITY_API_VERSION=3",
		"OS_CLOUD=ignored",
		"OS_TEST_TIMEOUT=1",
		"OS_LOG_CAPTURE=1",
		"OS_SOMETHING_ELSE=x",
		"HOME=/nowhere",
		NULL,
	};
	struct cv_os_auth a = {};

	assert_int_equal(cv_os_auth_from_env(env, &a, err, sizeof(err)), 0);
	assert_string_equal(a.auth_url, "http://keystone:5000");
	assert_string_equal(a.password, SECRET);
	assert_string_equal(a.project_name, "new");
	assert_string_equal(a.user_domain_name, "Dom");
	assert_string_equal(a.project_domain_name, "ProjDom");
	assert_int_equal(a.interface, CV_OS_INTERNAL);
	assert_string_equal(a.region, "RegionTwo");
	assert_true(a.insecure);
	assert_string_equal(a.cacert, "/ca.pem");
	assert_int_equal(cv_os_auth_check(&a, err, sizeof(err)), 0);
	cv_os_auth_done(&a);
}

static void
env_interface_beats_endpoint_type_and_tenant_id_is_project_id(void **state)
{
	char *env[] = { "OS_ENDPOINT_TYPE=adminURL", "OS_INTERFACE=public", "OS_TENANT_ID=t1",
			"OS_AUTH_TYPE=v3applicationcredential", NULL };
	struct cv_os_auth a = {};

	assert_int_equal(cv_os_auth_from_env(env, &a, err, sizeof(err)), 0);
	assert_int_equal(a.interface, CV_OS_PUBLIC);
	assert_string_equal(a.project_id, "t1");
	assert_int_equal(a.type, CV_OS_AUTH_APPLICATION_CREDENTIAL);
	cv_os_auth_done(&a);
}

static void
env_refusals_name_the_variable(void **state)
{
	static const struct bad_yaml cases[] = {
		{ "OS_INTERFACE=sideways", "OS_INTERFACE: interface: unsupported value 'sideways'" },
		{ "OS_AUTH_TYPE=token", "OS_AUTH_TYPE: auth_type: unsupported value 'token'" },
		{ "OS_IDENTITY_API_VERSION=2", "OS_IDENTITY_API_VERSION" },
		{ "OS_INSECURE=maybe", "OS_INSECURE: insecure" },
		{ "OS_CERT=/c.pem", "OS_CERT: cert: not supported" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		char *env[] = { (char *)cases[i].text, "OS_PASSWORD=" SECRET, NULL };
		struct cv_os_auth a = {};

		err[0] = '\0';
		assert_int_equal(cv_os_auth_from_env(env, &a, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
		assert_no_secret();
		cv_os_auth_done(&a);
	}
}

/* --- cv_os_auth_load: files, search path, precedence --- */

static void
load_precedence_secrets_then_credentials_then_env_then_yaml(void **state)
{
	_cleanup_free_ char *dir = tmpdir();
	_cleanup_free_ char *yml = write_file(dir, "clouds.yaml", clouds_yaml);
	_cleanup_free_ char *sec = write_file(dir, "secrets",
					      "# the password\n\n  password = fromfile=x \r\n"
					      "username=secret-user\n");
	char *env[] = { "OS_USERNAME=env-user", "OS_REGION_NAME=EnvRegion",
			"OS_USER_DOMAIN_NAME=EnvDom", NULL };
	char creds[600];
	struct cv_os_auth a = {};
	struct cv_os_auth_sources src = { .cloud = "mycloud", .clouds_yaml = yml, .environ = env,
					  .secrets_file = sec };

	snprintf(creds, sizeof(creds), "%s/creds", dir);
	mkdir(creds, 0700);
	free(write_file(creds, "password", "fromcreds\n"));
	free(write_file(creds, "project_name", "cred-project\n\n"));
	free(write_file(creds, "unrelated", "x"));
	src.credentials_dir = creds;

	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), 0);
	assert_string_equal(a.password, "fromfile=x"); /* spaces around, \r dropped */
	assert_string_equal(a.username, "secret-user");
	assert_string_equal(a.project_name, "cred-project");
	assert_string_equal(a.region, "EnvRegion");
	assert_string_equal(a.user_domain_name, "EnvDom");
	assert_string_equal(a.project_domain_name, "Default");
	assert_int_equal(a.interface, CV_OS_INTERNAL);
	cv_os_auth_done(&a);

	/* Without the secrets file, the credential's password; newline stripped. */
	src.secrets_file = NULL;
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), 0);
	assert_string_equal(a.password, "fromcreds");
	assert_string_equal(a.username, "env-user");
	cv_os_auth_done(&a);
	rm_rf(dir);
}

static void
load_refusals(void **state)
{
	_cleanup_free_ char *dir = tmpdir();
	_cleanup_free_ char *yml = write_file(dir, "clouds.yaml", clouds_yaml);
	_cleanup_free_ char *bad1 = write_file(dir, "s1", "password=" SECRET "\n" SECRET "\n");
	_cleanup_free_ char *bad2 = write_file(dir, "s2", "# c\npasswd=" SECRET "\n");
	struct cv_os_auth a = {};
	struct cv_os_auth_sources src = { .cloud = "mycloud", .clouds_yaml = yml,
					  .secrets_file = bad1 };
	char want[600];

	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: expected KEY=VALUE", bad1);
	assert_string_equal(err, want);
	assert_null(a.password); /* nothing left behind */
	src.secrets_file = bad2;
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: unknown key 'passwd'", bad2);
	assert_string_equal(err, want);

	src.secrets_file = "/nonexistent/secrets";
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -ENOENT);
	src.secrets_file = NULL;
	src.credentials_dir = "/nonexistent/creds";
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -ENOENT);
	src.credentials_dir = NULL;
	src.clouds_yaml = "/nonexistent/clouds.yaml";
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -ENOENT);
	src.clouds_yaml = dir; /* a directory */
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -EINVAL);
	src.clouds_yaml = yml;
	src.cloud = NULL;
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no cloud named"));
	/* Nothing at all: no auth_url. */
	src.clouds_yaml = NULL;
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no auth_url"));
	assert_no_secret();
	rm_rf(dir);
}

#define OTHER                                                                                      \
	"clouds:\n mycloud:\n  region_name: %s\n  auth:\n   auth_url: https://k\n"               \
	"   user_id: u\n   password: p\n   project_id: p\n"

static void
load_search_path(void **state)
{
	_cleanup_free_ char *dir = tmpdir();
	char cwd[4096], xdg[600], home[600], xdg_env[700], home_env[700], named_env[700];
	char *env[] = { home_env, xdg_env, "OS_CLOUD=mycloud", NULL, NULL };
	struct cv_os_auth a = {};
	struct cv_os_auth_sources src = { .environ = env, .search_clouds_yaml = true };
	char text[300];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(xdg_env, sizeof(xdg_env), "XDG_CONFIG_HOME=%s", xdg);
	snprintf(home_env, sizeof(home_env), "HOME=%s", home);
	mkdirs(dir, "xdg/openstack");
	mkdirs(dir, "home/.config/openstack");
	mkdirs(dir, "cwd");
	snprintf(text, sizeof(text), OTHER, "Home");
	free(write_file(home, ".config/openstack/clouds.yml", text));
	snprintf(text, sizeof(text), OTHER, "Xdg");
	free(write_file(xdg, "openstack/clouds.yaml", text));
	snprintf(text, sizeof(text), OTHER, "Cwd");
	free(write_file(dir, "cwd/clouds.yaml", text));
	snprintf(text, sizeof(text), OTHER, "Named");
	free(write_file(dir, "named.yaml", text));
	snprintf(named_env, sizeof(named_env), "OS_CLIENT_CONFIG_FILE=%s/named.yaml", dir);
	snprintf(text, sizeof(text), "%s/cwd", dir);

	/* $XDG_CONFIG_HOME hides ~/.config. */
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), 0);
	assert_string_equal(a.region, "Xdg");
	cv_os_auth_done(&a);
	env[1] = "XDG_CONFIG_HOME=";
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), 0);
	assert_string_equal(a.region, "Home");
	cv_os_auth_done(&a);
	/* The current directory before both. */
	assert_int_equal(chdir(text), 0);
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), 0);
	assert_string_equal(a.region, "Cwd");
	cv_os_auth_done(&a);
	/* $OS_CLIENT_CONFIG_FILE before everything. */
	env[3] = named_env;
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), 0);
	assert_string_equal(a.region, "Named");
	cv_os_auth_done(&a);
	/* No search asked: no clouds.yaml. */
	src.search_clouds_yaml = false;
	assert_int_equal(cv_os_auth_load(&src, &a, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "cloud 'mycloud': no clouds.yaml found");
	assert_int_equal(chdir(cwd), 0);
	rm_rf(dir);
}

/* --- checks --- */

static void
check_refusals_say_what_is_missing(void **state)
{
	static const struct {
		const char *env[8];
		const char *want;
	} cases[] = {
		{ { NULL }, "no auth_url" },
		{ { "OS_AUTH_URL=ftp://k" }, "auth_url: not an http(s) URL" },
		{ { "OS_AUTH_URL=https://" }, "auth_url: no host" },
		{ { "OS_AUTH_URL=https://k/a b" }, "auth_url: holds a space" },
		{ { "OS_AUTH_URL=https://k" }, "password auth: no password" },
		{ { "OS_AUTH_URL=https://k", "OS_PASSWORD=" SECRET, "OS_USERNAME=u" },
		  "password auth: no user" },
		{ { "OS_AUTH_URL=https://k", "OS_PASSWORD=" SECRET, "OS_USER_ID=u",
		    "OS_PROJECT_NAME=p" },
		  "password auth: no project" },
		{ { "OS_AUTH_URL=https://k", "OS_AUTH_TYPE=v3applicationcredential" },
		  "application credential: no secret" },
		{ { "OS_AUTH_URL=https://k", "OS_AUTH_TYPE=v3applicationcredential",
		    "OS_APPLICATION_CREDENTIAL_SECRET=" APP_SECRET,
		    "OS_APPLICATION_CREDENTIAL_NAME=n" },
		  "application credential: no application_credential_id" },
		{ { "OS_AUTH_URL=https://k", "OS_AUTH_TYPE=v3applicationcredential",
		    "OS_APPLICATION_CREDENTIAL_SECRET=" APP_SECRET,
		    "OS_APPLICATION_CREDENTIAL_ID=i", "OS_PROJECT_ID=p" },
		  "application credential: a project scope is not allowed" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_auth a = {};

		assert_int_equal(cv_os_auth_from_env((char *const *)cases[i].env, &a, err,
						     sizeof(err)),
				 0);
		err[0] = '\0';
		assert_int_equal(cv_os_auth_check(&a, err, sizeof(err)), -EINVAL);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
		assert_no_secret();
		cv_os_auth_done(&a);
	}
}

/* --- the token call --- */

static void
token_url_adds_v3_once(void **state)
{
	static const char *const cases[][2] = {
		{ "https://k:5000/v3", "https://k:5000/v3/auth/tokens" },
		{ "https://k:5000/v3/", "https://k:5000/v3/auth/tokens" },
		{ "https://k:5000", "https://k:5000/v3/auth/tokens" },
		{ "https://k:5000//", "https://k:5000/v3/auth/tokens" },
		{ "http://k/identity", "http://k/identity/v3/auth/tokens" },
		{ "http://k/identity/v3", "http://k/identity/v3/auth/tokens" },
		{ "http://k/v30", "http://k/v30/v3/auth/tokens" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_auth a = { .auth_url = (char *)cases[i][0] };
		_cleanup_free_ char *url = NULL;

		assert_int_equal(cv_os_auth_token_url(&a, &url), 0);
		assert_string_equal(url, cases[i][1]);
	}
	{
		struct cv_os_auth a = { .auth_url = "file:///etc/passwd" };
		char *url = NULL;

		assert_int_equal(cv_os_auth_token_url(&a, &url), -EINVAL);
		assert_null(url);
	}
}

/* The body's text parsed back, compared against the expected JSON's. */
static void
assert_body(const struct cv_os_auth *a, const char *want)
{
	char *body = NULL;
	struct json_object *got, *exp;

	assert_int_equal(cv_os_auth_token_body(a, &body), 0);
	got = json_tokener_parse(body);
	exp = json_tokener_parse(want);
	assert_non_null(got);
	assert_non_null(exp);
	if (!json_object_equal(got, exp))
		fail_msg("body %s, expected %s", body, want);
	json_object_put(got);
	json_object_put(exp);
	explicit_bzero(body, strlen(body));
	free(body);
}

static void
token_body_password_by_name_and_by_id(void **state)
{
	struct cv_os_auth a = {};

	assert_int_equal(yaml(clouds_yaml, "mycloud", &a), 0);
	assert_body(&a, "{\"auth\": {\"identity\": {\"methods\": [\"password\"],"
			"\"password\": {\"user\": {\"name\": \"ha-agent\","
			"\"domain\": {\"name\": \"Default\"},"
			"\"password\": \"S3cr3t-\\\"quote\\\\-\\u00e9\"}}},"
			"\"scope\": {\"project\": {\"name\": \"ha-project\","
			"\"domain\": {\"name\": \"Default\"}}}}}");
	cv_os_auth_done(&a);

	a = (struct cv_os_auth){ .auth_url = "https://k", .user_id = "uid", .username = "n",
				 .password = "p", .project_id = "pid", .project_name = "pn",
				 .user_domain_id = "default" };
	assert_body(&a, "{\"auth\": {\"identity\": {\"methods\": [\"password\"],"
			"\"password\": {\"user\": {\"id\": \"uid\", \"password\": \"p\"}}},"
			"\"scope\": {\"project\": {\"id\": \"pid\"}}}}");
	a.user_id = NULL;
	a.project_id = NULL;
	a.project_domain_id = "pdom";
	assert_body(&a, "{\"auth\": {\"identity\": {\"methods\": [\"password\"],"
			"\"password\": {\"user\": {\"name\": \"n\", \"domain\": {\"id\": "
			"\"default\"}, \"password\": \"p\"}}},"
			"\"scope\": {\"project\": {\"name\": \"pn\", \"domain\": {\"id\": "
			"\"pdom\"}}}}}");
}

static void
token_body_application_credential(void **state)
{
	struct cv_os_auth a = {};
	char *body = NULL;

	assert_int_equal(yaml(clouds_yaml, "mycloud-appcred", &a), 0);
	assert_body(&a, "{\"auth\": {\"identity\": {\"methods\": [\"application_credential\"],"
			"\"application_credential\": {\"id\": "
			"\"0123456789abcdef0123456789abcdef\", \"secret\": \"appSECRETvalue\"}}}}");
	cv_os_auth_done(&a);

	a = (struct cv_os_auth){ .type = CV_OS_AUTH_APPLICATION_CREDENTIAL, .auth_url = "https://k",
				 .app_cred_name = "ac", .app_cred_secret = "s", .username = "u",
				 .user_domain_name = "D" };
	assert_body(&a, "{\"auth\": {\"identity\": {\"methods\": [\"application_credential\"],"
			"\"application_credential\": {\"name\": \"ac\", \"user\": {\"name\": \"u\","
			"\"domain\": {\"name\": \"D\"}}, \"secret\": \"s\"}}}}");
	/* Not enough: no body. */
	a.username = NULL;
	assert_int_equal(cv_os_auth_token_body(&a, &body), -EINVAL);
	assert_null(body);
}

static void
interface_names(void **state)
{
	assert_string_equal(cv_os_interface_to_string(CV_OS_PUBLIC), "public");
	assert_string_equal(cv_os_interface_to_string(CV_OS_INTERNAL), "internal");
	assert_string_equal(cv_os_interface_to_string(CV_OS_ADMIN), "admin");
	assert_null(cv_os_interface_to_string((enum cv_os_interface)7));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(yaml_password_entry_fills_every_field),
		cmocka_unit_test(yaml_appcred_entry),
		cmocka_unit_test(yaml_keys_outside_auth_win_and_nulls_are_unset),
		cmocka_unit_test(yaml_fills_only_what_is_unset),
		cmocka_unit_test(yaml_missing_cloud_is_enoent),
		cmocka_unit_test(yaml_refusals_name_line_and_column),
		cmocka_unit_test(yaml_hostile_inputs_are_refused),
		cmocka_unit_test(env_variables_and_legacy_names),
		cmocka_unit_test(env_interface_beats_endpoint_type_and_tenant_id_is_project_id),
		cmocka_unit_test(env_refusals_name_the_variable),
		cmocka_unit_test(load_precedence_secrets_then_credentials_then_env_then_yaml),
		cmocka_unit_test(load_refusals),
		cmocka_unit_test(load_search_path),
		cmocka_unit_test(check_refusals_say_what_is_missing),
		cmocka_unit_test(token_url_adds_v3_once),
		cmocka_unit_test(token_body_password_by_name_and_by_id),
		cmocka_unit_test(token_body_application_credential),
		cmocka_unit_test(interface_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
