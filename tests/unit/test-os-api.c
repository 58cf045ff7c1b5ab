/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cloud/os-api*.c: a realistic token answer (3 services, 2 regions) and the
 * endpoint picked from it, expires_at's spellings, floating IPs and ports
 * (lists by address, pairs), every field of the wrong type, truncated JSON,
 * an HTML proxy page, error texts, and request bodies read back.
 */
#include <json-c/json.h>

#include "cmocka-all.h"
#include "cv-macros.h"
#include "os-api.h"

static char err[256];

#define EP(iface, region, url)                                                                     \
	"{\"id\": \"e\", \"interface\": \"" iface "\", \"region\": \"" region                     \
	"\", \"region_id\": \"" region "\", \"url\": \"" url "\"}"

static const char token[] =
	"{\"token\": {\"expires_at\": \"2026-03-01T13:00:00.123456Z\","
	" \"issued_at\": \"2026-03-01T12:00:00.123456Z\", \"methods\": [\"password\"],"
	" \"project\": {\"id\": \"5f0c\", \"name\": \"p\", \"domain\": {\"id\": \"default\"}},"
	" \"roles\": [{\"id\": \"r\", \"name\": \"member\"}],"
	" \"catalog\": ["
	"  {\"type\": \"identity\", \"name\": \"keystone\", \"id\": \"1\", \"endpoints\": ["
	EP("public", "RegionOne", "https://keystone.example:5000") "]},"
	"  {\"type\": \"network\", \"name\": \"neutron\", \"id\": \"2\", \"endpoints\": ["
	EP("public", "RegionOne", "https://network.example:9696") ","
	EP("internal", "RegionOne", "http://10.0.0.10:9696/") ","
	EP("admin", "RegionOne", "http://10.0.0.10:9696") ","
	"   {\"id\": \"e\", \"interface\": \"public\", \"region\": null, \"region_id\": \"RegionTwo\","
	"    \"url\": \"https://network2.example:9696/v2.0/\"},"
	EP("internal", "RegionTwo", "http://10.1.0.10:9696") "]},"
	"  {\"type\": \"compute\", \"name\": \"nova\", \"id\": \"3\", \"endpoints\": ["
	EP("public", "RegionOne", "https://compute.example:8774/v2.1") "]}]}}";

static int
parse_token(const char *body, enum cv_os_interface i, const char *region,
	    struct cv_os_token_info *t, bool *amb)
{
	err[0] = '\0';
	return cv_os_parse_token(body, strlen(body), i, region, t, amb, err, sizeof(err));
}

static void
token_picks_interface_and_region(void **state)
{
	struct cv_os_token_info t = {};
	bool amb = true;

	assert_int_equal(parse_token(token, CV_OS_PUBLIC, "RegionOne", &t, &amb), 0);
	assert_string_equal(t.neutron_url, "https://network.example:9696/v2.0");
	assert_false(amb);
	assert_int_equal(t.expires_at_ms, 1772370000123);
	/* A trailing slash goes; region_id matches when region is null. */
	assert_int_equal(parse_token(token, CV_OS_INTERNAL, "RegionOne", &t, &amb), 0);
	assert_string_equal(t.neutron_url, "http://10.0.0.10:9696/v2.0");
	assert_int_equal(parse_token(token, CV_OS_PUBLIC, "RegionTwo", &t, &amb), 0);
	assert_string_equal(t.neutron_url, "https://network2.example:9696/v2.0");
	assert_false(amb);
	assert_int_equal(parse_token(token, CV_OS_ADMIN, NULL, &t, &amb), 0);
	assert_string_equal(t.neutron_url, "http://10.0.0.10:9696/v2.0");
	assert_false(amb);
}

static void
token_ambiguous_takes_the_first(void **state)
{
	struct cv_os_token_info t = {};
	bool amb = false;

	assert_int_equal(parse_token(token, CV_OS_PUBLIC, NULL, &t, &amb), 0);
	assert_true(amb);
	assert_string_equal(t.neutron_url, "https://network.example:9696/v2.0");
	assert_int_equal(parse_token(token, CV_OS_INTERNAL, "", &t, NULL), 0);
}

static void
token_without_endpoint_is_enoent_with_the_expiry(void **state)
{
	struct cv_os_token_info t = { .expires_at_ms = 42, .neutron_url = "keep" };

	assert_int_equal(parse_token(token, CV_OS_ADMIN, "RegionTwo", &t, NULL), -ENOENT);
	assert_string_equal(err, "catalog: no network endpoint for interface admin in region RegionTwo");
	assert_int_equal(parse_token("{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\"}}",
				     CV_OS_PUBLIC, NULL, &t, NULL),
			 -ENOENT);
	assert_string_equal(err, "token: no catalog");
	/* the expiry all the same (an endpoint from the config needs no catalog); the URL kept */
	assert_true(t.expires_at_ms == INT64_C(1772370000000));
	assert_string_equal(t.neutron_url, "keep");
}

static void
token_bad_bodies_name_the_field(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"token\": 1}", "body.token: not an object" },
		{ "{\"token\": {}}", "token.expires_at: missing" },
		{ "{\"token\": {\"expires_at\": 5}}", "token.expires_at: not a string" },
		{ "{\"token\": {\"expires_at\": \"tomorrow\"}}", "token.expires_at: not an ISO" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": {}}}",
		  "token.catalog: not an array" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": [3]}}",
		  "token.catalog[0]: not an object" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": [{}]}}",
		  "token.catalog[0].type: missing" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": "
		  "[{\"type\": \"network\", \"endpoints\": null}]}}",
		  "token.catalog[0].endpoints: not an array" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": "
		  "[{\"type\": \"network\", \"endpoints\": [{\"interface\": 1}]}]}}",
		  "token.catalog[0].endpoints[0].interface: not a string" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": "
		  "[{\"type\": \"network\", \"endpoints\": [{\"interface\": \"public\", "
		  "\"url\": \"x\", \"region\": 7}]}]}}",
		  "token.catalog[0].endpoints[0].region: not a string" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": "
		  "[{\"type\": \"network\", \"endpoints\": [{\"interface\": \"public\", "
		  "\"url\": \"ftp://x\"}]}]}}",
		  "catalog: network endpoint url: not http(s)" },
		{ "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": [",
		  "truncated JSON" },
		{ "[1, 2]", "body: not an object" },
		{ "{\"token\": {}} x", "trailing data" },
		{ "   ", "empty body" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_token_info t = {};

		assert_int_equal(parse_token(cases[i][0], CV_OS_PUBLIC, NULL, &t, NULL), -EBADMSG);
		if (!strstr(err, cases[i][1]))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i][1]);
	}
}

static void
token_url_too_long(void **state)
{
	char body[3000];
	char url[1100];
	struct cv_os_token_info t = {};

	memset(url, 'a', sizeof(url) - 1);
	url[sizeof(url) - 1] = '\0';
	memcpy(url, "http://", 7);
	snprintf(body, sizeof(body),
		 "{\"token\": {\"expires_at\": \"2026-03-01T13:00:00Z\", \"catalog\": [{\"type\": "
		 "\"network\", \"endpoints\": [{\"interface\": \"public\", \"url\": \"%s\"}]}]}}",
		 url);
	assert_int_equal(parse_token(body, CV_OS_PUBLIC, NULL, &t, NULL), -EBADMSG);
	assert_non_null(strstr(err, "url: 1099 characters, more than 1024"));
}

static void
time_variants(void **state)
{
	int64_t ms = 0;

	assert_int_equal(cv_os_parse_time("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(cv_os_parse_time("2026-03-01T13:00:00Z", &ms), 0);
	assert_int_equal(ms, 1772370000000);
	assert_int_equal(cv_os_parse_time("2026-03-01T13:00:00.5Z", &ms), 0);
	assert_int_equal(ms, 1772370000500);
	assert_int_equal(cv_os_parse_time("2026-03-01T13:00:00.000000+00:00", &ms), 0);
	assert_int_equal(ms, 1772370000000);
	assert_int_equal(cv_os_parse_time("2026-03-01T13:00:00.987654321987Z", &ms), 0);
	assert_int_equal(ms, 1772370000987);
	assert_int_equal(cv_os_parse_time("2024-02-29T23:59:59Z", &ms), 0);
	assert_int_equal(ms, 1709251199000);
}

static void
time_refusals(void **state)
{
	static const char *const bad[] = {
		"",
		"2026-03-01",
		"2026-03-01T13:00:00",
		"2026-03-01T13:00:00+01:00",
		"2026-03-01T13:00:00.Z",
		"2026-03-01 13:00:00Z",
		"2026-13-01T13:00:00Z",
		"2026-02-29T13:00:00Z",
		"2100-02-29T13:00:00Z",
		"2026-04-31T13:00:00Z",
		"2026-03-01T24:00:00Z",
		"2026-03-01T13:60:00Z",
		"2026-03-01T13:00:60Z",
		"2026-03-00T13:00:00Z",
		"2026-0a-01T13:00:00Z",
		"2026-03-01T13:00:00Zjunk",
		"2026-03-01t13:00:00z",
	};
	int64_t ms = 7;

	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (cv_os_parse_time(bad[i], &ms) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
	assert_int_equal(ms, 7);
	assert_int_equal(cv_os_parse_time(NULL, &ms), -EINVAL);
}

#define FIP(addr, port, fixed)                                                                     \
	"{\"id\": \"0a1b2c3d-0000-4000-8000-000000000001\", \"floating_ip_address\": \"" addr     \
	"\", \"floating_network_id\": \"e4f5\", \"router_id\": \"7788\", \"port_id\": " port      \
	", \"fixed_ip_address\": " fixed ", \"status\": \"ACTIVE\", \"revision_number\": 7,"      \
	" \"description\": \"corovip web\", \"tags\": [], \"port_details\": null}"

static int
fip(const char *body, struct cv_os_fip *f)
{
	err[0] = '\0';
	return cv_os_parse_fip(body, strlen(body), f, err, sizeof(err));
}

static void
fip_associated_and_not(void **state)
{
	struct cv_os_fip f = {};

	assert_int_equal(fip("{\"floatingip\": " FIP("203.0.113.20", "\"c0ffee00-1\"",
						     "\"10.0.0.7\"") "}",
			     &f),
			 0);
	assert_string_equal(f.id, "0a1b2c3d-0000-4000-8000-000000000001");
	assert_string_equal(f.address, "203.0.113.20");
	assert_string_equal(f.port_id, "c0ffee00-1");
	assert_string_equal(f.fixed_ip, "10.0.0.7");
	assert_int_equal(f.revision, 7);
	assert_string_equal(f.description, "corovip web");
	assert_int_equal(fip("{\"floatingip\": " FIP("2001:db8::1", "null", "null") "}", &f), 0);
	assert_string_equal(f.port_id, "");
	assert_string_equal(f.fixed_ip, "");
	assert_string_equal(f.address, "2001:db8::1");
}

static void
fip_wrong_types_name_the_field(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"floatingip\": []}", "body.floatingip: not an object" },
		{ "{\"floatingip\": {\"id\": 1}}", "floatingip.id: not a string" },
		{ "{\"floatingip\": {\"id\": \"a/../b\"}}", "floatingip.id: not an id" },
		{ "{\"floatingip\": {\"id\": \"\"}}", "floatingip.id: empty" },
		{ "{\"floatingip\": {\"id\": \"a\"}}", "floatingip.floating_ip_address: missing" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": null}}",
		  "floatingip.floating_ip_address: not a string" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.300\"}}",
		  "floatingip.floating_ip_address: not an IP address" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.3\", "
		  "\"port_id\": 5}}",
		  "floatingip.port_id: not a string" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.3\", "
		  "\"fixed_ip_address\": true}}",
		  "floatingip.fixed_ip_address: not a string" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.3\", "
		  "\"revision_number\": \"7\"}}",
		  "floatingip.revision_number: not an integer" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.3\", "
		  "\"revision_number\": -1}}",
		  "floatingip.revision_number: negative" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.3\", "
		  "\"revision_number\": 1.5}}",
		  "floatingip.revision_number: not an integer" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_address\": \"10.0.0.3\", "
		  "\"description\": {}}}",
		  "floatingip.description: not a string" },
		{ "{\"floatingip\": {\"id\": \"a\\u0000b\", \"floating_ip_address\": \"10.0.0.3\"}}",
		  "floatingip.id: holds a NUL" },
		{ "{\"floatingip\": {\"id\": "
		  "\"0123456789012345678901234567890123456789012345678901234567890123456789\"}}",
		  "floatingip.id: 70 characters, more than 64" },
		{ "{\"floatingip\": {\"id\": \"a\", \"floating_ip_addr", "truncated JSON" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_fip f = { .id = "keep" };

		assert_int_equal(fip(cases[i][0], &f), -EBADMSG);
		if (!strstr(err, cases[i][1]))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i][1]);
		assert_string_equal(f.id, "keep");
	}
}

static void
fip_list_by_address(void **state)
{
	const char *two = "{\"floatingips\": [" FIP("203.0.113.20", "null", "null") ","
			  FIP("203.0.113.2", "\"p\"", "\"10.0.0.7\"") ","
			  FIP("2001:db8::1", "null", "null") "]}";
	const char *dup = "{\"floatingips\": [" FIP("203.0.113.20", "null", "null") ","
			  FIP("203.0.113.20", "null", "null") "]}";
	struct cv_os_fip f = {};

	/* Exact: 203.0.113.2 is not 203.0.113.20. */
	assert_int_equal(cv_os_parse_fip_list(two, strlen(two), "203.0.113.2", &f, err,
					      sizeof(err)),
			 0);
	assert_string_equal(f.port_id, "p");
	assert_int_equal(cv_os_parse_fip_list(two, strlen(two), "2001:db8:0::1", &f, err,
					      sizeof(err)),
			 0);
	assert_string_equal(f.address, "2001:db8::1");
	assert_int_equal(cv_os_parse_fip_list(two, strlen(two), "203.0.113.3", &f, err,
					      sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "no floating IP with address 203.0.113.3");
	assert_int_equal(cv_os_parse_fip_list(dup, strlen(dup), "203.0.113.20", &f, err,
					      sizeof(err)),
			 -EEXIST);
	assert_string_equal(err, "2 floating IPs with address 203.0.113.20");
	assert_int_equal(cv_os_parse_fip_list("{\"floatingips\": []}", 19, "203.0.113.3", &f,
					      err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(cv_os_parse_fip_list("{\"floatingips\": [{\"id\": 3}]}", 28,
					      "203.0.113.3", &f, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "floatingips[0].id: not a string");
}

#define PORT(id, ip)                                                                               \
	"{\"id\": \"" id "\", \"network_id\": \"n\", \"device_id\": \"d\", \"mac_address\":"     \
	" \"fa:16:3e:12:34:56\", \"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"" ip    \
	"\"}, {\"subnet_id\": \"s6\", \"ip_address\": \"2001:db8::7\"}],"                         \
	" \"allowed_address_pairs\": [{\"ip_address\": \"10.0.0.100\"},"                           \
	" {\"ip_address\": \"10.0.0.0/24\", \"mac_address\": \"fa:16:3e:aa:bb:cc\"}],"            \
	" \"port_security_enabled\": true, \"status\": \"ACTIVE\", \"revision_number\": 12,"      \
	" \"description\": null}"

static void
port_with_pairs(void **state)
{
	const char *body = "{\"port\": " PORT("c0ffee00", "10.0.0.7") "}";
	struct cv_os_port p = {};

	assert_int_equal(cv_os_parse_port(body, strlen(body), &p, err, sizeof(err)), 0);
	assert_string_equal(p.id, "c0ffee00");
	assert_string_equal(p.network_id, "n");
	assert_string_equal(p.mac, "fa:16:3e:12:34:56");
	assert_string_equal(p.fixed_ip, "10.0.0.7");
	assert_int_equal(p.revision, 12);
	assert_int_equal(p.n_pairs, 2);
	assert_string_equal(p.pairs[0].ip, "10.0.0.100");
	assert_string_equal(p.pairs[0].mac, "");
	assert_string_equal(p.pairs[1].ip, "10.0.0.0/24");
	assert_string_equal(p.pairs[1].mac, "fa:16:3e:aa:bb:cc");
	assert_string_equal(p.description, "");
}

static void
port_wrong_types_name_the_field(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": 5}}", "port.mac_address: not a string" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34\"}}",
		  "port.mac_address: not a MAC address" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"fixed_ips\": {}}}",
		  "port.fixed_ips: not an array" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"fixed_ips\": [{\"ip_address\": 1}]}}",
		  "port.fixed_ips[0].ip_address: not a string" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"allowed_address_pairs\": [{}]}}",
		  "port.allowed_address_pairs[0].ip_address: missing" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"allowed_address_pairs\": [{\"ip_address\": \"10.0.0.0/33\"}]}}",
		  "port.allowed_address_pairs[0].ip_address: not an address or a CIDR" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"allowed_address_pairs\": [{\"ip_address\": \"10.0.0.1\", \"mac_address\": []}]}}",
		  "port.allowed_address_pairs[0].mac_address: not a string" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"allowed_address_pairs\": 3}}",
		  "port.allowed_address_pairs: not an array" },
		{ "{\"port\": {\"id\": \"a\", \"mac_address\": \"fa:16:3e:12:34:56\", "
		  "\"revision_number\": null}}",
		  "port.revision_number: not an integer" },
		{ "{\"port\": {\"id\": \"a\", \"network_id\": 7}}", "port.network_id: not a string" },
		{ "{\"port\": {\"id\": \"a\", \"network_id\": \"../x\"}}",
		  "port.network_id: not an id" },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_port p = {};

		err[0] = '\0';
		assert_int_equal(cv_os_parse_port(cases[i][0], strlen(cases[i][0]), &p, err,
						  sizeof(err)),
				 -EBADMSG);
		if (!strstr(err, cases[i][1]))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i][1]);
	}
}

static void
port_too_many_pairs(void **state)
{
	char body[8192];
	size_t n = (size_t)snprintf(body, sizeof(body),
				    "{\"port\": {\"id\": \"a\", \"mac_address\": "
				    "\"fa:16:3e:12:34:56\", \"allowed_address_pairs\": [");
	struct cv_os_port p = {};

	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "%s{\"ip_address\": \"10.0.1.%d\"}",
				      i ? "," : "", i);
	snprintf(body + n, sizeof(body) - n, "]}}");
	assert_int_equal(cv_os_parse_port(body, strlen(body), &p, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "port.allowed_address_pairs: more than 64 pairs");
}

static void
port_list_by_fixed_ip(void **state)
{
	const char *body = "{\"ports\": [" PORT("p1", "10.0.0.7") "," PORT("p2", "10.0.0.70") ","
			   PORT("p3", "10.0.0.8") "]}";
	struct cv_os_port p = {};

	assert_int_equal(cv_os_parse_port_list(body, strlen(body), "10.0.0.7", &p, err,
					       sizeof(err)),
			 0);
	assert_string_equal(p.id, "p1");
	/* Each port's second fixed IP is the same: several. */
	assert_int_equal(cv_os_parse_port_list(body, strlen(body), "2001:db8::7", &p, err,
					       sizeof(err)),
			 -EEXIST);
	assert_string_equal(err, "3 ports with address 2001:db8::7");
	assert_int_equal(cv_os_parse_port_list(body, strlen(body), "10.0.0.9", &p, err,
					       sizeof(err)),
			 -ENOENT);
	assert_string_equal(p.id, "p1");
}

static void
pair_is_the_address_or_its_host_cidr(void **state)
{
	static const struct {
		const char *pair, *ip;
		bool is;
	} cases[] = {
		{ "10.0.0.100", "10.0.0.100", true },
		{ "10.0.0.100/32", "10.0.0.100", true },
		{ "10.0.0.100", "10.0.0.100/32", true },
		{ "10.0.0.100/24", "10.0.0.100", false },
		{ "10.0.0.0/24", "10.0.0.0/24", true },
		{ "10.0.0.101", "10.0.0.100", false },
		{ "2001:db8::7", "2001:0db8:0::7/128", true },
		{ "2001:db8::7/64", "2001:db8::7", false },
		{ "::ffff:10.0.0.100", "10.0.0.100", false },
		{ "10.0.0.100", "nope", false },
		{ "10.0.0.100", "10.0.0.100/", false },
		{ "10.0.0.100", "10.0.0.100/33", false },
	};

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct cv_os_pair p = {};

		snprintf(p.ip, sizeof(p.ip), "%s", cases[i].pair);
		if (cv_os_pair_is(&p, cases[i].ip) != cases[i].is)
			fail_msg("case %zu: %s vs %s", i, cases[i].pair, cases[i].ip);
	}
}

static void
pairs_with_and_without(void **state)
{
	const char *body = "{\"port\": " PORT("c0ffee00", "10.0.0.7") "}";
	struct cv_os_port *p = calloc(1, sizeof(*p));
	struct cv_os_pair out[CV_OS_PAIRS_MAX];
	size_t n = 99;

	assert_non_null(p);
	assert_int_equal(cv_os_parse_port(body, strlen(body), p, err, sizeof(err)), 0);
	/* there (no MAC: the port's), as an address or a host CIDR: nothing to write */
	assert_int_equal(cv_os_pairs_with(p, "10.0.0.100", out, &n), 0);
	assert_int_equal(cv_os_pairs_with(p, "10.0.0.100/32", out, &n), 0);
	assert_int_equal(n, 99);
	/* 10.0.0.0/24 is there with another MAC: not ours */
	assert_int_equal(cv_os_pairs_with(p, "10.0.0.0/24", out, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(out[2].ip, "10.0.0.0/24");
	assert_string_equal(out[2].mac, "");
	assert_int_equal(cv_os_pairs_with(p, "10.0.0.200", out, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(out[0].ip, "10.0.0.100");
	assert_string_equal(out[1].mac, "fa:16:3e:aa:bb:cc");
	assert_string_equal(out[2].ip, "10.0.0.200");
	assert_int_equal(cv_os_pairs_with(p, "10.0.0.300", out, &n), -EINVAL);
	/* removal: every pair for the address, whatever its MAC or spelling */
	assert_int_equal(cv_os_pairs_without(p, "10.0.0.100/32", out, &n), 1);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].ip, "10.0.0.0/24");
	assert_int_equal(cv_os_pairs_without(p, "10.0.0.0/24", out, &n), 1);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].ip, "10.0.0.100");
	n = 99;
	assert_int_equal(cv_os_pairs_without(p, "10.0.0.0", out, &n), 0);
	assert_int_equal(n, 99);
	/* full */
	p->n_pairs = CV_OS_PAIRS_MAX;
	for (size_t i = 0; i < CV_OS_PAIRS_MAX; i++)
		snprintf(p->pairs[i].ip, sizeof(p->pairs[i].ip), "10.0.1.%zu", i);
	assert_int_equal(cv_os_pairs_with(p, "10.0.0.200", out, &n), -ENOSPC);
	assert_int_equal(cv_os_pairs_with(p, "10.0.1.5/32", out, &n), 0);
	free(p);
}

static void
ports_with_pair_from_a_list(void **state)
{
	const char *body = "{\"ports\": [" PORT("p1", "10.0.0.7") ","
			   "{\"id\": \"p2\", \"network_id\": \"n\", \"mac_address\": "
			   "\"fa:16:3e:00:00:02\", \"revision_number\": 4, \"allowed_address_pairs\": "
			   "[{\"ip_address\": \"10.0.0.100/32\", \"mac_address\": "
			   "\"fa:16:3e:00:00:02\"}]},"
			   "{\"id\": \"p3\", \"mac_address\": \"fa:16:3e:00:00:03\", "
			   "\"allowed_address_pairs\": []}]}";
	struct cv_os_port *ports = NULL;
	size_t n = 0;

	assert_int_equal(cv_os_parse_ports_with_pair(body, strlen(body), "10.0.0.100", &ports, &n,
						     err, sizeof(err)),
			 0);
	assert_int_equal(n, 2);
	assert_string_equal(ports[0].id, "p1");
	assert_string_equal(ports[1].id, "p2");
	assert_int_equal(ports[1].revision, 4);
	assert_string_equal(ports[1].network_id, "n");
	free(ports);
	assert_int_equal(cv_os_parse_ports_with_pair(body, strlen(body), "10.0.0.9", &ports, &n,
						     err, sizeof(err)),
			 0);
	assert_int_equal(n, 0);
	assert_null(ports);
	body = "{\"ports\": [{\"id\": \"a\"}]}";
	assert_int_equal(cv_os_parse_ports_with_pair(body, strlen(body), "10.0.0.9", &ports, &n,
						     err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "ports[0].mac_address: missing");
	assert_int_equal(cv_os_parse_ports_with_pair("{\"ports\": {}}", 13, "10.0.0.9", &ports,
						     &n, err, sizeof(err)),
			 -EBADMSG);
}

static void
error_texts(void **state)
{
	static const char *const cases[][2] = {
		{ "{\"NeutronError\": {\"type\": \"PortNotFound\", \"message\": \"Port c0ffee00 could "
		  "not be found.\", \"detail\": \"\"}}",
		  "PortNotFound: Port c0ffee00 could not be found." },
		{ "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": \"The request "
		  "you have made requires authentication.\"}}",
		  "Unauthorized: The request you have made requires authentication." },
		{ "{\"NeutronError\": {\"message\": \"only\\na message\"}}", "only a message" },
		{ "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
		  "502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
		  "502 Bad Gateway" },
		{ "\n\n  Service Unavailable\x01\x7f!\nmore", "Service Unavailable !" },
		{ "{\"message\": \"other JSON\"}", "{\"message\": \"other JSON\"}" },
		{ "", "(empty body)" },
		{ "\xff\xfe\n", "(empty body)" },
	};
	char buf[128];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		const char *t = cv_os_error_text(cases[i][0], strlen(cases[i][0]), buf, sizeof(buf));

		assert_ptr_equal(t, buf);
		assert_string_equal(buf, cases[i][1]);
	}
	/* Cut to the buffer. */
	cv_os_error_text(cases[1][0], strlen(cases[1][0]), buf, 10);
	assert_string_equal(buf, "Unauthori");
	assert_string_equal(cv_os_error_text(NULL, 0, buf, sizeof(buf)), "(empty body)");
}

/* A body parsed back, compared with the expected JSON. */
static void
assert_json(char *body, const char *want)
{
	struct json_object *got = json_tokener_parse(body), *exp = json_tokener_parse(want);

	assert_non_null(got);
	assert_non_null(exp);
	if (!json_object_equal(got, exp))
		fail_msg("body %s, expected %s", body, want);
	json_object_put(got);
	json_object_put(exp);
	free(body);
}

static void
fip_put_bodies(void **state)
{
	char *body = NULL;

	assert_int_equal(cv_os_fip_put_body("c0ffee00-1", "10.0.0.7", "corovip \"web\"", &body), 0);
	assert_json(body, "{\"floatingip\": {\"port_id\": \"c0ffee00-1\", \"fixed_ip_address\": "
			  "\"10.0.0.7\", \"description\": \"corovip \\\"web\\\"\"}}");
	assert_int_equal(cv_os_fip_put_body(NULL, NULL, NULL, &body), 0);
	assert_json(body, "{\"floatingip\": {\"port_id\": null}}");
	body = NULL;
	assert_int_equal(cv_os_fip_put_body("a/b", NULL, NULL, &body), -EINVAL);
	assert_int_equal(cv_os_fip_put_body(NULL, "10.0.0.7", NULL, &body), -EINVAL);
	assert_int_equal(cv_os_fip_put_body("p", "nope", NULL, &body), -EINVAL);
	assert_null(body);
}

static void
port_pairs_bodies(void **state)
{
	const struct cv_os_pair pairs[] = {
		{ .ip = "10.0.0.100" },
		{ .ip = "10.0.0.200", .mac = "fa:16:3e:aa:bb:cc" },
	};
	struct cv_os_pair bad = { .ip = "10.0.0.1", .mac = "zz" };
	char *body = NULL;
	const char *round = "{\"port\": {\"id\": \"x\", \"mac_address\": \"fa:16:3e:12:34:56\", "
			    "\"allowed_address_pairs\": [{\"ip_address\": \"10.0.0.100\"}, "
			    "{\"ip_address\": \"10.0.0.200\", \"mac_address\": "
			    "\"fa:16:3e:aa:bb:cc\"}]}}";
	struct cv_os_port p = {};

	assert_int_equal(cv_os_port_pairs_body(pairs, 2, "vip", &body), 0);
	assert_json(body, "{\"port\": {\"allowed_address_pairs\": [{\"ip_address\": "
			  "\"10.0.0.100\"}, {\"ip_address\": \"10.0.0.200\", \"mac_address\": "
			  "\"fa:16:3e:aa:bb:cc\"}], \"description\": \"vip\"}}");
	assert_int_equal(cv_os_port_pairs_body(NULL, 0, NULL, &body), 0);
	assert_json(body, "{\"port\": {\"allowed_address_pairs\": []}}");
	body = NULL;
	assert_int_equal(cv_os_port_pairs_body(&bad, 1, NULL, &body), -EINVAL);
	assert_int_equal(cv_os_port_pairs_body(pairs, CV_OS_PAIRS_MAX + 1, NULL, &body), -EINVAL);
	assert_null(body);
	/* What the parser reads is what the builder writes. */
	assert_int_equal(cv_os_parse_port(round, strlen(round), &p, err, sizeof(err)), 0);
	assert_int_equal(cv_os_port_pairs_body(p.pairs, p.n_pairs, NULL, &body), 0);
	assert_json(body, "{\"port\": {\"allowed_address_pairs\": [{\"ip_address\": "
			  "\"10.0.0.100\"}, {\"ip_address\": \"10.0.0.200\", \"mac_address\": "
			  "\"fa:16:3e:aa:bb:cc\"}]}}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(token_picks_interface_and_region),
		cmocka_unit_test(token_ambiguous_takes_the_first),
		cmocka_unit_test(token_without_endpoint_is_enoent_with_the_expiry),
		cmocka_unit_test(token_bad_bodies_name_the_field),
		cmocka_unit_test(token_url_too_long),
		cmocka_unit_test(time_variants),
		cmocka_unit_test(time_refusals),
		cmocka_unit_test(fip_associated_and_not),
		cmocka_unit_test(fip_wrong_types_name_the_field),
		cmocka_unit_test(fip_list_by_address),
		cmocka_unit_test(port_with_pairs),
		cmocka_unit_test(port_wrong_types_name_the_field),
		cmocka_unit_test(port_too_many_pairs),
		cmocka_unit_test(port_list_by_fixed_ip),
		cmocka_unit_test(pair_is_the_address_or_its_host_cidr),
		cmocka_unit_test(pairs_with_and_without),
		cmocka_unit_test(ports_with_pair_from_a_list),
		cmocka_unit_test(error_texts),
		cmocka_unit_test(fip_put_bodies),
		cmocka_unit_test(port_pairs_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
