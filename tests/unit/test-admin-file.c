/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "admin-file.h"
#include "cmocka-all.h"

static void
entries_round_trip(void **state)
{
	const struct cv_admin_entry in[] = {
		{ .node = 0, .standby = true, .stamp = 65537 }, /* maintenance */
		{ .node = 2, .standby = false, .stamp = UINT64_MAX },
		{ .move = true, .vip = "web", .node = 3, .stamp = 9 },
		{ .move = true, .vip = "db.rw-1", .node = 0, .stamp = 10 }, /* ended */
		{ .ban = true, .vip = "web", .node = 2, .banned = true, .stamp = 11,
		  .until_unix_ms = UINT64_C(1796000000000) },
		{ .ban = true, .vip = "web", .node = 1, .banned = false, .stamp = 12 }, /* cleared */
	};
	_cleanup_(cv_strbuf_done) struct cv_strbuf text = {};
	_cleanup_free_ struct cv_admin_entry *out = NULL;
	char err[128] = "";
	size_t n = 0;

	cv_admin_format(in, ELEMENTSOF(in), &text);
	assert_int_equal(text.err, 0);
	assert_non_null(strstr(text.buf, "\nstandby 0 1 65537\n"));
	assert_non_null(strstr(text.buf, "\nmove web 3 9\n"));
	assert_non_null(strstr(text.buf, "\nban web 2 1 11 1796000000000\n"));
	assert_int_equal(cv_admin_parse(text.buf, text.len, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, ELEMENTSOF(in));
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(out[k].move, in[k].move);
		assert_string_equal(out[k].vip, in[k].vip);
		assert_int_equal(out[k].node, in[k].node);
		assert_int_equal(out[k].standby, in[k].standby);
		assert_true(out[k].stamp == in[k].stamp);
		assert_int_equal(out[k].ban, in[k].ban);
		assert_int_equal(out[k].banned, in[k].banned);
		assert_true(out[k].until_unix_ms == in[k].until_unix_ms);
	}
}

static void
empty_text_and_comments_are_no_entries(void **state)
{
	_cleanup_free_ struct cv_admin_entry *out = NULL;
	char err[128];
	size_t n = 7;

	assert_int_equal(cv_admin_parse("# nothing\n\n", 11, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(out);
	out = NULL;
	assert_int_equal(cv_admin_parse("", 0, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
}

/* A damaged file says which line and is refused whole: nothing half-taken. */
static void
bad_lines_say_where(void **state)
{
	static const char *const bad[] = {
		"standby 2 1\n",		/* a word missing */
		"standby 2 2 5\n",		/* not 0 or 1 */
		"standby 2 1 0\n",		/* stamp 0 is no command */
		"standby -2 1 5\n",		/* no sign */
		"move web 3 9 extra\n",		/* a word too many */
		"ban web 2 1 11\n",		/* a ban without its UNTIL */
		"ban web 0 1 11 0\n",		/* node 0 */
		"ban web 2 2 11 0\n",		/* not 0 or 1 */
		"ban web 2 1 0 0\n",		/* stamp 0 */
		"ban web 2 1 11 0 x\n",		/* a word too many */
		"move we\nb 3 9\n",		/* a name cut by a newline */
		"move w!b 3 9\n",		/* not a name */
		"stand 2 1 5\n",		/* no such kind */
		"move web 3 18446744073709551616\n", /* stamp over 64 bits */
	};

	for (size_t k = 0; k < ELEMENTSOF(bad); k++) {
		struct cv_admin_entry *out = NULL;
		char err[128] = "";
		size_t n = 0;
		char text[128];

		snprintf(text, sizeof(text), "# ok\nstandby 1 1 4\n%s", bad[k]);
		assert_int_equal(cv_admin_parse(text, strlen(text), &out, &n, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "line 3"));
		assert_null(out);
	}
}

static void
a_nul_or_a_long_line_is_refused(void **state)
{
	struct cv_admin_entry *out = NULL;
	char err[128], text[600];
	size_t n;

	assert_int_equal(cv_admin_parse("standby 1\0 1 4\n", 15, &out, &n, err, sizeof(err)),
			 -EINVAL);
	memset(text, 'a', sizeof(text));
	assert_int_equal(cv_admin_parse(text, sizeof(text), &out, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(entries_round_trip),
		cmocka_unit_test(empty_text_and_comments_are_no_entries),
		cmocka_unit_test(bad_lines_say_where),
		cmocka_unit_test(a_nul_or_a_long_line_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
