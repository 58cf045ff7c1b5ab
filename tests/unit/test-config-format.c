/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config-helpers.h"

static void
effective_config_fills_every_default(void **state)
{
	struct cv_config *c = parse_ok("node n1 {\n weight: 7\n}\n"
				       "vip web {\n address: 192.0.2.50/24\n interface: eth0\n}\n");
	char *text = NULL;

	assert_int_equal(cv_config_format(c, &text), 0);
	assert_string_equal(text, "cluster {\n"
				  "\tgroup: corovip\n"
				  "\theartbeat: 50ms\n"
				  "\tlease: auto\n"
				  "\tguard: auto\n"
				  "\tkernel_lease: 10s\n"
				  "\treaper_timeout: auto\n"
				  "\taddress_tag: auto\n"
				  "\ttwo_node_unsafe: no\n"
				  "\tpreempt_delay: 0s\n"
				  "\tstartup_wait: auto\n"
				  "\tscript_user: nobody\n"
				  "\tnotify_timeout: 10s\n"
				  "\tlog_level: info\n"
				  "}\n"
				  "\n"
				  "node n1 {\n"
				  "\tnodeid: auto\n"
				  "\tweight: 7\n"
				  "\tstandby: no\n"
				  "}\n"
				  "\n"
				  "vip web {\n"
				  "\taddress: 192.0.2.50/24\n"
				  "\tinterface: eth0\n"
				  "\tbackend: l2\n"
				  "\tstickiness: yes\n"
				  "\tpreempt: no\n"
				  "\tannounce_count: 5\n"
				  "\tannounce_interval: 200ms\n"
				  "\tannounce_refresh: 0s\n"
				  "\tgarp: request\n"
				  "\tnodad: yes\n"
				  "\tdeprecated: no\n"
				  "}\n");
	free(text);
	cv_config_free(c);
}

static void
effective_config_parses_back_to_the_same_model(void **state)
{
	struct cv_config *c = parse_ok("cluster {\n lease: 1500ms\n guard: 0s\n}\n"
				       "node a {\n nodeid: 4\n standby: yes\n}\nnode b {\n}\n"
				       "check up {\n http: https://127.0.0.1:1/x?y=1#z\n}\n"
				       "vip v6 {\n address: 2001:db8::10/64\n interface: e1\n"
				       " prefer: b a\n check: up\n garp: reply\n deprecated: yes\n}\n"
				       "vip v4 {\n address: 198.51.100.9\n interface: e0\n"
				       " announce_refresh: 3m\n preempt: yes\n}\n");
	struct cv_config *again;
	struct cv_config_diff d;
	char *text = NULL, *text2 = NULL;

	assert_int_equal(cv_config_format(c, &text), 0);
	again = parse_ok(text);
	assert_int_equal(cv_config_diff(c, again, &d), 0);
	assert_int_equal(d.n_changes, 0);
	assert_true(cv_config_digest(c) == cv_config_digest(again));
	assert_int_equal(cv_config_format(again, &text2), 0);
	assert_string_equal(text, text2);
	cv_config_diff_done(&d);
	free(text);
	free(text2);
	cv_config_free(c);
	cv_config_free(again);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(effective_config_fills_every_default),
		cmocka_unit_test(effective_config_parses_back_to_the_same_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
