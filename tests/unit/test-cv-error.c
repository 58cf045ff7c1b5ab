/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmocka-all.h"
#include "cv-error.h"

static void
errno_codes_have_their_libc_text(void **state)
{
	assert_string_equal(cv_strerror(-ENOENT), "No such file or directory");
	assert_string_equal(cv_strerror(-EBADMSG), "Bad message");
}

static void
own_codes_have_text(void **state)
{
	assert_string_equal(cv_strerror(CV_E_PROTO_VERSION), "unsupported protocol version");
}

static void
unknown_codes_never_give_null(void **state)
{
	assert_string_equal(cv_strerror(0), "unknown error");
	assert_string_equal(cv_strerror(-999), "unknown error");
	assert_string_equal(cv_strerror(-5000), "unknown error");
	assert_string_equal(cv_strerror(42), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(errno_codes_have_their_libc_text),
		cmocka_unit_test(own_codes_have_text),
		cmocka_unit_test(unknown_codes_never_give_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
