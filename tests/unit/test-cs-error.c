/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmocka-all.h"
#include "cs-error.h"

static void
ok_is_zero_although_cs_ok_is_one(void **state)
{
	assert_int_equal(CS_OK, 1);
	assert_int_equal(cv_cs_to_errno(CS_OK), 0);
}

static void
not_now_is_eagain(void **state)
{
	assert_int_equal(cv_cs_to_errno(CS_ERR_TRY_AGAIN), -EAGAIN);
	assert_int_equal(cv_cs_to_errno(CS_ERR_QUEUE_FULL), -EAGAIN);
	assert_int_equal(cv_cs_to_errno(CS_ERR_TIMEOUT), -EAGAIN);
}

static void
a_broken_connection_is_enotconn(void **state)
{
	assert_int_equal(cv_cs_to_errno(CS_ERR_LIBRARY), -ENOTCONN);
	assert_int_equal(cv_cs_to_errno(CS_ERR_BAD_HANDLE), -ENOTCONN);
	assert_int_equal(cv_cs_to_errno(CS_ERR_ACCESS), -EACCES);
	assert_int_equal(cv_cs_to_errno(CS_ERR_NAME_TOO_LONG), -EIO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ok_is_zero_although_cs_ok_is_one),
		cmocka_unit_test(not_now_is_eagain),
		cmocka_unit_test(a_broken_connection_is_enotconn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
