/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmocka-all.h"
#include "strbuf.h"

static void
appends_and_printf_concatenate(void **state)
{
	struct cv_strbuf b = {};
	char *s = NULL;

	cv_strbuf_append(&b, "a");
	cv_strbuf_printf(&b, "%d-%s", 42, "x");
	assert_int_equal(cv_strbuf_steal(&b, &s), 0);
	assert_string_equal(s, "a42-x");
	assert_null(b.buf);
	free(s);
}

static void
grows_past_the_first_allocation(void **state)
{
	struct cv_strbuf b = {};
	char *s = NULL;

	for (int i = 0; i < 1000; i++)
		cv_strbuf_append(&b, "0123456789");
	assert_int_equal(cv_strbuf_steal(&b, &s), 0);
	assert_int_equal(strlen(s), 10000);
	free(s);
}

static void
empty_buffer_steals_an_empty_string(void **state)
{
	struct cv_strbuf b = {};
	char *s = NULL;

	assert_int_equal(cv_strbuf_steal(&b, &s), 0);
	assert_string_equal(s, "");
	free(s);
}

static void
errors_are_sticky(void **state)
{
	struct cv_strbuf b = { .err = -ENOMEM };
	char *s = NULL;

	cv_strbuf_append(&b, "lost");
	assert_null(b.buf);
	assert_int_equal(cv_strbuf_steal(&b, &s), -ENOMEM);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(appends_and_printf_concatenate),
		cmocka_unit_test(grows_past_the_first_allocation),
		cmocka_unit_test(empty_buffer_steals_an_empty_string),
		cmocka_unit_test(errors_are_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
