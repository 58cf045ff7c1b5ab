/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "addr.h"
#include "cv-macros.h"

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

static enum cv_addr_class
class_of(const char *text)
{
	struct cv_addr a;

	assert_int_equal(cv_addr_parse(text, &a), 0);
	return cv_addr_classify(&a);
}

static void
classes_follow_the_special_purpose_registries(void **state)
{
	static const struct {
		const char *addr;
		enum cv_addr_class c;
	} cases[] = {
		{ "192.0.2.1", CV_ADDR_CLASS_UNICAST },
		{ "1.0.0.0", CV_ADDR_CLASS_UNICAST },
		{ "126.255.255.255", CV_ADDR_CLASS_UNICAST },
		{ "128.0.0.0", CV_ADDR_CLASS_UNICAST },
		{ "223.255.255.255", CV_ADDR_CLASS_UNICAST },
		{ "0.0.0.0", CV_ADDR_CLASS_UNSPECIFIED },
		{ "0.0.0.1", CV_ADDR_CLASS_THIS_NETWORK },
		{ "0.255.255.255", CV_ADDR_CLASS_THIS_NETWORK },
		{ "127.0.0.0", CV_ADDR_CLASS_LOOPBACK },
		{ "127.255.255.255", CV_ADDR_CLASS_LOOPBACK },
		{ "169.254.0.1", CV_ADDR_CLASS_LINK_LOCAL },
		{ "169.253.0.1", CV_ADDR_CLASS_UNICAST },
		{ "169.255.0.1", CV_ADDR_CLASS_UNICAST },
		{ "224.0.0.0", CV_ADDR_CLASS_MULTICAST },
		{ "239.255.255.255", CV_ADDR_CLASS_MULTICAST },
		{ "240.0.0.0", CV_ADDR_CLASS_RESERVED },
		{ "255.255.255.254", CV_ADDR_CLASS_RESERVED },
		{ "255.255.255.255", CV_ADDR_CLASS_BROADCAST },
		{ "2001:db8::1", CV_ADDR_CLASS_UNICAST },
		{ "::", CV_ADDR_CLASS_UNSPECIFIED },
		{ "::1", CV_ADDR_CLASS_LOOPBACK },
		{ "::2", CV_ADDR_CLASS_UNICAST },
		{ "::100:1", CV_ADDR_CLASS_UNICAST },
		{ "1::1", CV_ADDR_CLASS_UNICAST },
		{ "fe80::1", CV_ADDR_CLASS_LINK_LOCAL },
		{ "febf:ffff::1", CV_ADDR_CLASS_LINK_LOCAL },
		{ "fec0::1", CV_ADDR_CLASS_UNICAST }, /* old site-local: routable enough */
		{ "fe7f::1", CV_ADDR_CLASS_UNICAST },
		{ "fd00::1", CV_ADDR_CLASS_UNICAST },
		{ "ff00::", CV_ADDR_CLASS_MULTICAST },
		{ "ff02::1:ff00:1", CV_ADDR_CLASS_MULTICAST },
		{ "::ffff:192.0.2.1", CV_ADDR_CLASS_V4_MAPPED },
		{ "::ffff:0.0.0.0", CV_ADDR_CLASS_V4_MAPPED },
		{ "::fffe:192.0.2.1", CV_ADDR_CLASS_UNICAST },
		{ "::1:ffff:192.0.2.1", CV_ADDR_CLASS_UNICAST },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (class_of(cases[i].addr) != cases[i].c)
			fail_msg("%s: %s, expected %s", cases[i].addr,
				 cv_addr_class_to_string(class_of(cases[i].addr)),
				 cv_addr_class_to_string(cases[i].c));
}

static void
the_prefix_plays_no_part_in_the_class(void **state)
{
	assert_int_equal(class_of("127.0.0.1/8"), CV_ADDR_CLASS_LOOPBACK);
	assert_int_equal(class_of("192.0.2.1/0"), CV_ADDR_CLASS_UNICAST);
	assert_int_equal(class_of("fe80::1/64"), CV_ADDR_CLASS_LINK_LOCAL);
}

static void
class_names_round_trip(void **state)
{
	for (int c = 0; c < _CV_ADDR_CLASS_MAX; c++) {
		const char *s = cv_addr_class_to_string(c);

		assert_non_null(s);
		assert_int_equal(cv_addr_class_from_string(s), c);
	}
	assert_null(cv_addr_class_to_string(_CV_ADDR_CLASS_MAX));
	assert_null(cv_addr_class_to_string(_CV_ADDR_CLASS_INVALID));
	assert_int_equal(cv_addr_class_from_string("anycast"), _CV_ADDR_CLASS_INVALID);
}

static void
ipv4_mapped_unmaps_with_its_prefix(void **state)
{
	struct cv_addr a, v4 = { .prefixlen = 77 };
	char buf[CV_ADDR_STRLEN];

	cv_addr_parse("::ffff:192.0.2.50/120", &a);
	assert_int_equal(cv_addr_unmap_v4(&a, &v4), 0);
	assert_string_equal(cv_addr_format(&v4, true, buf, sizeof(buf)), "192.0.2.50/24");
	cv_addr_parse("::ffff:192.0.2.50", &a);
	assert_int_equal(cv_addr_unmap_v4(&a, &v4), 0);
	assert_string_equal(cv_addr_format(&v4, true, buf, sizeof(buf)), "192.0.2.50/32");
	cv_addr_parse("::ffff:192.0.2.50/64", &a);
	assert_int_equal(cv_addr_unmap_v4(&a, &v4), 0);
	assert_int_equal(v4.prefixlen, 32);
	v4.prefixlen = 77;
	cv_addr_parse("2001:db8::ffff:c000:232", &a);
	assert_int_equal(cv_addr_unmap_v4(&a, &v4), -EINVAL);
	cv_addr_parse("192.0.2.50", &a);
	assert_int_equal(cv_addr_unmap_v4(&a, &v4), -EINVAL);
	assert_int_equal(v4.prefixlen, 77); /* untouched on failure */
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

static void
endpoints_parse(void **state)
{
	static const char *const bad[] = { "192.0.2.7", "192.0.2.7:", "192.0.2.7:0",
					   "192.0.2.7:65536", "192.0.2.7:+80", "192.0.2.7:-1",
					   "192.0.2.7:80x", ":80", "2001:db8::7:80", "[192.0.2.7]:80",
					   "[2001:db8::7]", "[2001:db8::7:80", "localhost:80",
					   "192.0.2.7/24:80", "[]:80" };
	struct cv_addr a;
	uint16_t port;

	assert_int_equal(cv_endpoint_parse("192.0.2.7:8080", &a, &port), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(port, 8080);
	assert_int_equal(cv_endpoint_parse("[2001:db8::7]:5432", &a, &port), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(port, 5432);
	assert_int_equal(cv_endpoint_parse("127.0.0.1:65535", &a, &port), 0);
	for (size_t i = 0; i < ELEMENTSOF(bad); i++)
		if (cv_endpoint_parse(bad[i], &a, &port) != -EINVAL)
			fail_msg("'%s' was taken as an endpoint", bad[i]);
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
		cmocka_unit_test(classes_follow_the_special_purpose_registries),
		cmocka_unit_test(the_prefix_plays_no_part_in_the_class),
		cmocka_unit_test(class_names_round_trip),
		cmocka_unit_test(ipv4_mapped_unmaps_with_its_prefix),
		cmocka_unit_test(mac_round_trips),
		cmocka_unit_test(endpoints_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
