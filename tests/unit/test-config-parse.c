/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/socket.h>

#include "config-helpers.h"

static struct cv_conf_error
parse_fails(const char *text)
{
	struct cv_config *c = (struct cv_config *)0x1;
	struct cv_conf_error e = {};

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), -EINVAL);
	assert_ptr_equal(c, (struct cv_config *)0x1); /* untouched on failure */
	return e;
}

static void
empty_text_gives_cluster_defaults(void **state)
{
	struct cv_config *c = parse_ok("");

	assert_string_equal(c->cluster.group, "corovip");
	assert_int_equal(c->cluster.heartbeat_ms, 50);
	assert_int_equal(c->cluster.lease_ms, CV_AUTO);
	assert_int_equal(c->cluster.guard_ms, CV_AUTO);
	assert_int_equal(c->cluster.kernel_lease_ms, 10000);
	assert_false(c->cluster.two_node_unsafe);
	assert_int_equal(c->n_vips, 0);
	cv_config_free(c);
}

static void
vip_keys_fill_the_model(void **state)
{
	struct cv_config *c = parse_ok("node n1 {\n}\nnode n2 {\n}\n"
				       "vip web {\n"
				       "\taddress: 192.0.2.50/24\n"
				       "\tinterface: eth0\n"
				       "\tprefer:   n2\t n1 \n"
				       "\tannounce_interval: 2s\n"
				       "\tannounce_refresh: 1m\n"
				       "\tgarp: both\n"
				       "}\n");
	const struct cv_vip_conf *v = cv_config_find_vip(c, "web");

	assert_non_null(v);
	assert_int_equal(v->addrs.v[0].addr.family, AF_INET);
	assert_int_equal(v->addrs.v[0].addr.prefixlen, 24);
	assert_string_equal(v->interface, "eth0");
	assert_int_equal(v->prefer.n, 2);
	assert_string_equal(v->prefer.names[0], "n2");
	assert_string_equal(v->prefer.names[1], "n1");
	assert_int_equal(v->announce_interval_ms, 2000);
	assert_int_equal(v->announce_refresh_ms, 60000);
	assert_int_equal(v->garp, CV_GARP_BOTH);
	/* defaults */
	assert_int_equal(v->backend, CV_BACKEND_L2);
	assert_true(v->stickiness);
	assert_false(v->preempt);
	assert_int_equal(v->announce_count, 5);
	assert_true(v->nodad);
	assert_null(cv_config_find_vip(c, "api"));
	cv_config_free(c);
}

static void
comments_start_at_a_word(void **state)
{
	struct cv_config *c = parse_ok("# leading\n"
				       "check web { # after a header\n"
				       "  http: http://127.0.0.1/health#frag # trailing\n"
				       "}\n");

	assert_string_equal(c->checks[0].http, "http://127.0.0.1/health#frag");
	cv_config_free(c);
}

static void
crlf_line_ends_are_accepted(void **state)
{
	struct cv_config *c = parse_ok("cluster {\r\n\theartbeat: 80ms\r\n}\r\n");

	assert_int_equal(c->cluster.heartbeat_ms, 80);
	cv_config_free(c);
}

static void
text_need_not_be_nul_terminated(void **state)
{
	static const char text[] = "cluster {\n\theartbeat: 80ms\n}\n}}}garbage";
	struct cv_config *c = NULL;
	struct cv_conf_error e;

	assert_int_equal(cv_config_parse(text, strlen("cluster {\n\theartbeat: 80ms\n}\n"), &c, &e),
			 0);
	assert_int_equal(c->cluster.heartbeat_ms, 80);
	cv_config_free(c);
}

static void
error_position_counts_bytes_from_one(void **state)
{
	struct cv_conf_error e = parse_fails("cluster {\n\t\theartbeat: fast\n}\n");

	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 14);
	assert_string_equal(e.key, "heartbeat");
	assert_string_equal(e.msg, "'fast' is not a duration (a number with ms, s or m)");
}

static void
nul_byte_is_an_error_not_an_end(void **state)
{
	static const char text[] = "cluster {\n\tgroup: a\0b\n}\n";
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};

	assert_int_equal(cv_config_parse(text, sizeof(text) - 1, &c, &e), -EINVAL);
	assert_int_equal(e.line, 2);
	assert_int_equal(e.col, 10);
	assert_string_equal(e.msg, "invalid character 0x00");
}

static void
overlong_line_is_an_error(void **state)
{
	char *text = malloc(10000);

	memset(text, 'x', 9999);
	text[9999] = '\0';
	assert_string_equal(parse_fails(text).msg, "line is too long (at most 4096 bytes)");
	free(text);
}

static void
oversized_text_is_efbig(void **state)
{
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};

	/* The length is checked before a byte is read. */
	assert_int_equal(cv_config_parse("", (size_t)CV_CONFIG_MAX_SIZE + 1, &c, &e), -EFBIG);
	assert_null(c);
}

static void
node_sections_are_limited(void **state)
{
	char *text = malloc(CV_MAX_NODES * 32 + 64);
	size_t n = 0;
	struct cv_conf_error e;

	for (int i = 0; i <= CV_MAX_NODES; i++)
		n += (size_t)sprintf(text + n, "node n%d {\n}\n", i);
	e = parse_fails(text);
	assert_int_equal(e.line, 2 * CV_MAX_NODES + 1);
	assert_string_equal(e.msg, "too many node sections (at most 64)");
	free(text);
}

static void
ten_thousand_vips_parse(void **state)
{
	const size_t n_vips = 10000;
	char *text = malloc(n_vips * 96);
	struct cv_config *c;
	size_t n = 0;

	for (size_t i = 0; i < n_vips; i++)
		n += (size_t)sprintf(text + n, "vip v%zu {\n address: 10.%zu.%zu.1/16\n interface: eth0\n}\n",
				     i, i / 256, i % 256);
	c = parse_ok(text);
	assert_int_equal(c->n_vips, n_vips);
	assert_string_equal(c->vips[9999].head.name, "v9999");
	cv_config_free(c);
	free(text);
}

static void
first_error_wins(void **state)
{
	struct cv_conf_error e = parse_fails("cluster {\n\tbogus: 1\n\theartbeat: 1ms\n}\n");

	assert_int_equal(e.line, 2);
	assert_string_equal(e.key, "bogus");
}

static void
positions_can_be_forgotten(void **state)
{
	struct cv_config *c = parse_ok("vip web {\n address: 192.0.2.1/24\n interface: eth0\n}\n");

	assert_non_null(c->pos);
	cv_config_forget_positions(c);
	assert_null(c->pos);
	assert_int_equal(c->n_pos, 0);
	cv_config_free(c);
}

static void
new_default_equals_parsing_nothing(void **state)
{
	struct cv_config *a = NULL, *b = parse_ok("");
	struct cv_config_diff d;

	assert_int_equal(cv_config_new_default(&a), 0);
	assert_int_equal(cv_config_diff(a, b, &d), 0);
	assert_int_equal(d.n_changes, 0);
	assert_true(cv_config_digest(a) == cv_config_digest(b));
	cv_config_diff_done(&d);
	cv_config_free(a);
	cv_config_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_text_gives_cluster_defaults),
		cmocka_unit_test(vip_keys_fill_the_model),
		cmocka_unit_test(comments_start_at_a_word),
		cmocka_unit_test(crlf_line_ends_are_accepted),
		cmocka_unit_test(text_need_not_be_nul_terminated),
		cmocka_unit_test(error_position_counts_bytes_from_one),
		cmocka_unit_test(nul_byte_is_an_error_not_an_end),
		cmocka_unit_test(overlong_line_is_an_error),
		cmocka_unit_test(oversized_text_is_efbig),
		cmocka_unit_test(node_sections_are_limited),
		cmocka_unit_test(ten_thousand_vips_parse),
		cmocka_unit_test(first_error_wins),
		cmocka_unit_test(positions_can_be_forgotten),
		cmocka_unit_test(new_default_equals_parsing_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
