/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "addr.h"

static void
ipv4_with_prefix_parses_and_formats_back(void **state)
{
	struct cv_addr a;
	char buf[CV_ADDR_STRLEN];

	assert_int_equal(cv_addr_parse("192.0.2.50/24", &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.prefixlen, 24);
	assert_memory_equal(a.bytes, ((uint8_t[]){ 192, 0, 2, 50 }), 4);
	assert_string_equal(cv_addr_format(&a, true, buf, sizeof(buf)), "192.0.2.50/24");
	assert_string_equal(cv_addr_format(&a, false, buf, sizeof(buf)), "192.0.2.50");
}

static void
missing_prefix_means_host_prefix(void **state)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse("192.0.2.1", &a), 0);
	assert_int_equal(a.prefixlen, 32);
	assert_int_equal(cv_addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.prefixlen, 128);
}

static void
ipv6_is_formatted_canonically(void **state)
{
	struct cv_addr a;
	char buf[CV_ADDR_STRLEN];

	assert_int_equal(cv_addr_parse("2001:0DB8:0:0::0:1/64", &a), 0);
	assert_string_equal(cv_addr_format(&a, true, buf, sizeof(buf)), "2001:db8::1/64");
}

static void
bad_addresses_are_rejected(void **state)
{
	static const char *const bad[] = {
		"",	      "/24",	     "192.0.2",	       "192.0.2.256",	"192.0.2.1/",
		"192.0.2.1/x", "192.0.2.1/-1", "192.0.2.1/024", "192.0.2.1/ 24", " 192.0.2.1",
		"fe80::1%eth0", "2001:db8:::1", "0x7f.0.0.1",	 "192.0.2.1/24/24",
	};
	struct cv_addr a = { .prefixlen = 77 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cv_addr_parse(bad[i], &a), -EINVAL);
	assert_int_equal(a.prefixlen, 77); /* untouched on failure */
}

static void
prefix_beyond_family_is_erange(void **state)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse("192.0.2.1/33", &a), -ERANGE);
	assert_int_equal(cv_addr_parse("2001:db8::1/129", &a), -ERANGE);
	assert_int_equal(cv_addr_parse("2001:db8::1/128", &a), 0);
}

static void
compare_orders_family_bytes_prefix(void **state)
{
	struct cv_addr a, b, c, d;

	cv_addr_parse("192.0.2.1/24", &a);
	cv_addr_parse("192.0.2.1/25", &b);
	cv_addr_parse("192.0.2.2/8", &c);
	cv_addr_parse("::1", &d);
	assert_true(cv_addr_compare(&a, &b) < 0);
	assert_true(cv_addr_compare(&b, &c) < 0);
	assert_true(cv_addr_compare(&c, &d) < 0);
	assert_int_equal(cv_addr_compare(&a, &a), 0);
	assert_true(cv_addr_same_host(&a, &b));
	assert_false(cv_addr_same_host(&a, &c));
}

static void
host_parse_refuses_prefix(void **state)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse_host("198.51.100.7", &a), 0);
	assert_int_equal(cv_addr_parse_host("198.51.100.7/24", &a), -EINVAL);
}

static void
ipv4_network_and_broadcast_are_flagged(void **state)
{
	struct cv_addr a;

	cv_addr_parse("192.0.2.0/24", &a);
	assert_int_equal(cv_addr_ipv4_special(&a), 1);
	cv_addr_parse("192.0.2.255/24", &a);
	assert_int_equal(cv_addr_ipv4_special(&a), 2);
	cv_addr_parse("192.0.2.254/24", &a);
	assert_int_equal(cv_addr_ipv4_special(&a), 0);
	cv_addr_parse("192.0.2.0/31", &a); /* RFC 3021: both usable */
	assert_int_equal(cv_addr_ipv4_special(&a), 0);
	cv_addr_parse("2001:db8::/64", &a);
	assert_int_equal(cv_addr_ipv4_special(&a), 0);
}

static void
mac_round_trips(void **state)
{
	struct cv_mac m;
	char buf[CV_MAC_STRLEN];

	assert_int_equal(cv_mac_parse("02:AB:cd:00:11:ff", &m), 0);
	assert_string_equal(cv_mac_format(&m, buf, sizeof(buf)), "02:ab:cd:00:11:ff");
	assert_int_equal(cv_mac_parse("02-ab-cd-00-11-ff", &m), 0);
	assert_int_equal(cv_mac_parse("02:ab:cd:00:11", &m), -EINVAL);
	assert_int_equal(cv_mac_parse("02:ab:cd:00:11:fg", &m), -EINVAL);
	assert_int_equal(cv_mac_parse("02:ab-cd:00:11:ff", &m), -EINVAL);
	assert_int_equal(cv_mac_parse("02:ab:cd:00:11:ff:", &m), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_with_prefix_parses_and_formats_back),
		cmocka_unit_test(missing_prefix_means_host_prefix),
		cmocka_unit_test(ipv6_is_formatted_canonically),
		cmocka_unit_test(bad_addresses_are_rejected),
		cmocka_unit_test(prefix_beyond_family_is_erange),
		cmocka_unit_test(compare_orders_family_bytes_prefix),
		cmocka_unit_test(host_parse_refuses_prefix),
		cmocka_unit_test(ipv4_network_and_broadcast_are_flagged),
		cmocka_unit_test(mac_round_trips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
