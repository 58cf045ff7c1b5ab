/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>

#include "cmocka-all.h"
#include "number.h"

static void
whole_text_unsigned_bounded(void **state)
{
	uint64_t v = 7;
	uint32_t u = 7;

	assert_int_equal(cv_parse_uint("42", 10, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(cv_parse_uint("0x1f", 0, 255, &v), 0);
	assert_int_equal(v, 31);
	assert_int_equal(cv_parse_u32("4294967295", UINT32_MAX, &u), 0);
	assert_int_equal(u, UINT32_MAX);
	assert_int_equal(cv_parse_uint("101", 10, 100, &v), -EINVAL);
	assert_int_equal(cv_parse_u32("4294967296", UINT32_MAX, &u), -EINVAL);
	assert_int_equal(cv_parse_uint("99999999999999999999999", 10, UINT64_MAX, &v), -EINVAL);
}

static void
no_sign_blank_or_trailing_text(void **state)
{
	uint64_t v = 7;

	assert_int_equal(cv_parse_uint("-1", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cv_parse_uint("+1", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cv_parse_uint(" 1", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cv_parse_uint("1 ", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cv_parse_uint("12abc", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cv_parse_uint("", 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(cv_parse_uint(NULL, 10, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 7); /* untouched on failure */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_text_unsigned_bounded),
		cmocka_unit_test(no_sign_blank_or_trailing_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
