/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>

#include "cmocka-all.h"
#include "name.h"

static void
letters_digits_dot_underscore_dash(void **state)
{
	assert_true(cv_name_is_valid("web", 3, 63));
	assert_true(cv_name_is_valid("0db_primary.v-2", 15, 63));
	assert_false(cv_name_is_valid("web!", 4, 63));
	assert_false(cv_name_is_valid("a b", 3, 63));
}

static void
must_start_with_a_letter_or_digit(void **state)
{
	assert_false(cv_name_is_valid("-x", 2, 63));
	assert_false(cv_name_is_valid(".x", 2, 63));
	assert_false(cv_name_is_valid("_x", 2, 63));
}

static void
length_is_bounded_and_nul_is_invalid(void **state)
{
	assert_false(cv_name_is_valid("", 0, 63));
	assert_true(cv_name_is_valid("abc", 3, 3));
	assert_false(cv_name_is_valid("abcd", 4, 3));
	assert_false(cv_name_is_valid("a\0b", 3, 63));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(letters_digits_dot_underscore_dash),
		cmocka_unit_test(must_start_with_a_letter_or_digit),
		cmocka_unit_test(length_is_bounded_and_nul_is_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
