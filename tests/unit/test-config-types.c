/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The value types of the schema, called directly through their ops. */
#include <stdbool.h>
#include <sys/socket.h>

#include "cmocka-all.h"
#include "config-schema.h"

static const struct cv_conf_key *
key(enum cv_conf_section_kind kind, const char *name)
{
	const struct cv_conf_key *k = cv_conf_key_by_name(&cv_conf_sections[kind], name);

	assert_non_null(k);
	return k;
}

/* Parse text with key's type into field; returns the message on failure. */
static int
parse(const struct cv_conf_key *k, const char *text, void *field, char *msg)
{
	return cv_conf_type_ops(k->type)->parse(k, text, field, msg, 320);
}

static void
every_default_in_the_schema_parses(void **state)
{
	for (int s = 0; s < _CV_CONF_SECTION_MAX; s++)
		for (size_t i = 0; i < cv_conf_sections[s].n_keys; i++) {
			const struct cv_conf_key *k = &cv_conf_sections[s].keys[i];
			char field[64] = { 0 }, msg[320];

			if (!k->def)
				continue;
			if (parse(k, k->def, field, msg) < 0)
				fail_msg("%s.%s: default '%s': %s", cv_conf_sections[s].name, k->name,
					 k->def, msg);
			cv_conf_type_ops(k->type)->done(field);
		}
}

static void
durations_take_ms_s_m_and_format_canonically(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "announce_refresh");
	static const struct {
		const char *in;
		uint32_t ms;
		const char *out;
	} cases[] = {
		{ "0s", 0, "0s" },	   { "0ms", 0, "0s" },	     { "1500ms", 1500, "1500ms" },
		{ "60s", 60000, "1m" },	   { "90s", 90000, "90s" }, { "2m", 120000, "2m" },
		{ "1000ms", 1000, "1s" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 7;
		char msg[320];
		struct cv_strbuf b = {};

		assert_int_equal(parse(k, cases[i].in, &v, msg), 0);
		assert_int_equal(v, cases[i].ms);
		cv_conf_type_ops(k->type)->format(k, &v, &b);
		assert_string_equal(b.buf, cases[i].out);
		cv_strbuf_done(&b);
	}
}

static void
durations_reject_bad_text_with_a_reason(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_CLUSTER, "heartbeat");
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "50", "'50' needs a unit (ms, s or m)" },
		{ "50 ms", "'50 ms' has an unknown unit ' ms' (ms, s or m)" },
		{ "-5ms", "'-5ms' is not a duration (a number with ms, s or m)" },
		{ "auto", "'auto' is not a duration (a number with ms, s or m)" },
		{ "99999999999999999999ms", "99999999999999999999ms is out of range (10ms..10s)" },
		{ "4294967296ms", "4294967296ms is out of range (10ms..10s)" },
		{ "11s", "11s is out of range (10ms..10s)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 7;
		char msg[320];

		assert_int_equal(parse(k, cases[i].in, &v, msg), -EINVAL);
		assert_string_equal(msg, cases[i].msg);
		assert_int_equal(v, 7);
	}
}

static void
auto_is_a_value_only_where_allowed(void **state)
{
	uint32_t v = 0;
	char msg[320];

	assert_int_equal(parse(key(CV_CONF_CLUSTER, "lease"), "auto", &v, msg), 0);
	assert_int_equal(v, CV_AUTO);
	assert_int_equal(parse(key(CV_CONF_NODE, "nodeid"), "auto", &v, msg), 0);
	assert_int_equal(parse(key(CV_CONF_NODE, "weight"), "auto", &v, msg), -EINVAL);
	assert_string_equal(msg, "'auto' is not a number");
}

static void
numbers_are_plain_decimal_in_range(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_NODE, "weight");
	uint32_t v = 0;
	char msg[320];

	assert_int_equal(parse(k, "10000", &v, msg), 0);
	assert_int_equal(v, 10000);
	assert_int_equal(parse(k, "0", &v, msg), -EINVAL);
	assert_string_equal(msg, "0 is out of range (1..10000)");
	assert_int_equal(parse(k, "+5", &v, msg), -EINVAL);
	assert_int_equal(parse(k, "5 ", &v, msg), -EINVAL);
	assert_int_equal(parse(k, "0x10", &v, msg), -EINVAL);
	assert_string_equal(msg, "'0x10' is not a number");
}

static void
names_and_lists(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "prefer");
	struct cv_name_list l = {};
	char msg[320];

	assert_int_equal(parse(k, "a b\tc", &l, msg), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(parse(k, "a -b", &l, msg), -EINVAL);
	assert_string_equal(msg, "'-b' is not a valid name (letters, digits, '.', '_' and '-', "
				 "starting with a letter or digit)");
	assert_int_equal(l.n, 3); /* the old value stays on failure */
	assert_int_equal(parse(k, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", &l, msg), -EINVAL);
	assert_string_equal(msg, "more than 16 names");
	cv_conf_type_ops(k->type)->done(&l);
	assert_int_equal(l.n, 0);
}

static void
addresses_must_be_unicast_hosts(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "address");
	struct cv_vip_addrs a = {};
	char msg[320];

	assert_int_equal(parse(k, "2001:db8::1/64", &a, msg), 0);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.v[0].addr.family, AF_INET6);
	/* each line adds one; "dev NAME" gives it an interface of its own */
	assert_int_equal(parse(k, "192.0.2.1/24  dev\teth1", &a, msg), 0);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.v[1].dev, "eth1");
	assert_string_equal(a.v[0].dev, "");
	assert_int_equal(parse(k, "192.0.2.2/24 on eth1", &a, msg), -EINVAL);
	assert_string_equal(msg, "'192.0.2.2/24 on eth1' is not ADDRESS[/PREFIX] [dev INTERFACE]");
	assert_int_equal(parse(k, "192.0.2.2/24 dev", &a, msg), -EINVAL);
	assert_int_equal(parse(k, "192.0.2.2/24 dev eth1 x", &a, msg), -EINVAL);
	assert_int_equal(parse(k, "192.0.2.2/24 dev 0123456789abcdef", &a, msg), -EINVAL);
	assert_string_equal(msg, "'0123456789abcdef' is too long for an interface name (at most 15 "
				 "characters)");
	assert_int_equal(a.n, 2);
	assert_int_equal(parse(k, "224.0.0.1/32", &a, msg), -EINVAL);
	assert_string_equal(msg, "'224.0.0.1/32' is a multicast address (224.0.0.0/4), not a "
				 "unicast address");
	assert_int_equal(parse(k, "::/0", &a, msg), -EINVAL);
	assert_int_equal(parse(k, "192.0.2.255/24", &a, msg), -EINVAL);
	assert_string_equal(msg, "'192.0.2.255/24' is the broadcast address of its prefix");
	assert_int_equal(parse(k, "2001:db8::1/200", &a, msg), -EINVAL);
	assert_string_equal(msg, "prefix length of '2001:db8::1/200' is out of range for IPv6 (0..128)");
}

static void
addresses_that_can_never_be_a_vip_say_why(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "address");
	static const struct {
		const char *in, *msg;
	} cases[] = {
		{ "127.0.0.1", "'127.0.0.1' is a loopback address (127.0.0.0/8), which never "
			       "leaves the host" },
		{ "127.255.0.9/16", NULL },
		{ "::1", "'::1' is the loopback address, which never leaves the host" },
		{ "::1/64", NULL },
		{ "ff02::1/64", "'ff02::1/64' is a multicast address (ff00::/8), not a unicast "
				"address" },
		{ "239.255.255.250", NULL },
		{ "255.255.255.255", "'255.255.255.255' is the limited broadcast address" },
		{ "255.255.255.255/8", NULL },
		{ "0.0.0.0", "'0.0.0.0' is the unspecified address, not a unicast address" },
		{ "::", "'::' is the unspecified address, not a unicast address" },
		{ "0.0.0.1/8", "'0.0.0.1/8' is in 0.0.0.0/8 (\"this network\"), which no host "
			       "may use" },
		{ "240.0.0.1/4", "'240.0.0.1/4' is in the reserved range 240.0.0.0/4" },
		{ "255.255.255.254", NULL },
		{ "192.0.2.1/0", "'192.0.2.1/0' has prefix length 0, which would put every "
				 "address on the link" },
		{ "2001:db8::1/0", NULL },
		{ "::ffff:192.0.2.1", "'::ffff:192.0.2.1' is an IPv4-mapped IPv6 address: write "
				      "its IPv4 form, 192.0.2.1" },
		{ "::ffff:c000:201/120", "'::ffff:c000:201/120' is an IPv4-mapped IPv6 address: "
					 "write its IPv4 form, 192.0.2.1/24" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cv_vip_addrs a = {};
		char msg[320] = "";

		if (parse(k, cases[i].in, &a, msg) != -EINVAL)
			fail_msg("'%s' was accepted", cases[i].in);
		if (cases[i].msg)
			assert_string_equal(msg, cases[i].msg);
		assert_int_equal(a.n, 0); /* untouched */
	}
}

static void
link_local_and_edge_unicast_addresses_are_vips(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "address");
	static const char *const ok[] = {
		"fe80::50/64", "fe80::1",	  "febf::1/10",	     "169.254.10.1/16",
		"1.0.0.1/31",  "223.255.255.254/31", "2001:db8::1/1", "::2/128",
		"::ffff:0:c000:201", /* IPv4-translated (RFC 2765), not mapped */
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct cv_vip_addrs a = {};
		char msg[320];

		if (parse(k, ok[i], &a, msg) != 0)
			fail_msg("'%s': %s", ok[i], msg);
	}
}

static void
interface_names_follow_the_kernel(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "interface");
	char *s = NULL, msg[320];

	assert_int_equal(parse(k, "br-front.100", &s, msg), 0);
	assert_string_equal(s, "br-front.100");
	assert_int_equal(parse(k, "0123456789abcde", &s, msg), 0); /* IFNAMSIZ - 1 */
	assert_int_equal(parse(k, "..", &s, msg), -EINVAL);
	assert_string_equal(msg,
			    "'..' is not a valid interface name ('.' and '..' are not allowed)");
	assert_int_equal(parse(k, ".", &s, msg), -EINVAL);
	assert_int_equal(parse(k, "a/b", &s, msg), -EINVAL);
	assert_string_equal(msg, "'a/b' is not a valid interface name: '/' is not allowed");
	assert_int_equal(parse(k, "eth0:1", &s, msg), -EINVAL);
	assert_string_equal(msg, "'eth0:1' is not a valid interface name: ':' is not allowed (an "
				 "address label such as eth0:1 is not an interface)");
	assert_int_equal(parse(k, "eth 0", &s, msg), -EINVAL);
	assert_string_equal(msg, "'eth 0' is not a valid interface name: blanks are not allowed");
	assert_int_equal(parse(k, "eth\t0", &s, msg), -EINVAL);
	assert_int_equal(parse(k, "eth\v0", &s, msg), -EINVAL); /* isspace() in the kernel */
	assert_string_equal(msg,
			    "byte 0x0b at position 4: an interface name must be printable ASCII");
	assert_int_equal(parse(k, "eth\xc3\xa9", &s, msg), -EINVAL);
	assert_string_equal(msg,
			    "byte 0xc3 at position 4: an interface name must be printable ASCII");
	assert_int_equal(parse(k, "eth\x7f", &s, msg), -EINVAL);
	assert_int_equal(parse(k, "", &s, msg), -EINVAL);
	assert_string_equal(msg, "an interface name cannot be empty");
	assert_int_equal(parse(k, "0123456789abcdef", &s, msg), -EINVAL);
	assert_string_equal(s, "0123456789abcde");
	cv_conf_type_ops(k->type)->done(&s);
	assert_null(s);
}

static void
status_ranges_are_one_number_or_n_to_m(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_CHECK, "http_status");
	static const char *const bad[] = { "", "-", "200-", "-299", "299-200", "99", "600",
					   "200-600", "200 - 299", "200-299-300", "2xx", "+200" };
	struct cv_range v = { 1, 1 };
	struct cv_strbuf b = {};
	char msg[320];

	assert_int_equal(parse(k, "204", &v, msg), 0);
	assert_int_equal(v.lo, 204);
	assert_int_equal(v.hi, 204);
	assert_int_equal(parse(k, "100-599", &v, msg), 0);
	assert_int_equal(v.lo, 100);
	assert_int_equal(v.hi, 599);
	assert_int_equal(parse(k, "301-301", &v, msg), 0);
	cv_conf_type_ops(k->type)->format(k, &v, &b);
	assert_string_equal(b.buf, "301"); /* canonical: one number */
	cv_strbuf_done(&b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = (struct cv_range){ 1, 1 };
		if (parse(k, bad[i], &v, msg) != -EINVAL)
			fail_msg("'%s' was taken", bad[i]);
		assert_int_equal(v.lo, 1); /* untouched */
	}
	assert_int_equal(parse(k, "299-200", &v, msg), -EINVAL);
	assert_string_equal(msg, "'299-200' is not a number or a range N-M (100..599, N <= M)");
}

static void
body_text_is_any_text_up_to_its_length(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_CHECK, "http_body");
	char *v = NULL, text[300], msg[320];

	assert_int_equal(parse(k, "\"status\": \"ok\"", &v, msg), 0);
	assert_string_equal(v, "\"status\": \"ok\"");
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(k, text, &v, msg), -EINVAL);
	assert_non_null(strstr(msg, "is too long (at most 256 characters)"));
	assert_string_equal(v, "\"status\": \"ok\""); /* untouched */
	cv_conf_type_ops(k->type)->done(&v);
	assert_null(v);
}

static void
long_values_are_shortened_in_messages(void **state)
{
	const struct cv_conf_key *k = key(CV_CONF_VIP, "backend");
	char text[300], msg[320];
	int v = 0;

	memset(text, 'z', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(parse(k, text, &v, msg), -EINVAL);
	assert_true(strlen(msg) < 120);
	assert_non_null(strstr(msg, "...' is not one of l2, openstack, aws"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_default_in_the_schema_parses),
		cmocka_unit_test(durations_take_ms_s_m_and_format_canonically),
		cmocka_unit_test(durations_reject_bad_text_with_a_reason),
		cmocka_unit_test(auto_is_a_value_only_where_allowed),
		cmocka_unit_test(numbers_are_plain_decimal_in_range),
		cmocka_unit_test(names_and_lists),
		cmocka_unit_test(addresses_must_be_unicast_hosts),
		cmocka_unit_test(addresses_that_can_never_be_a_vip_say_why),
		cmocka_unit_test(link_local_and_edge_unicast_addresses_are_vips),
		cmocka_unit_test(interface_names_follow_the_kernel),
		cmocka_unit_test(status_ranges_are_one_number_or_n_to_m),
		cmocka_unit_test(body_text_is_any_text_up_to_its_length),
		cmocka_unit_test(long_values_are_shortened_in_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
