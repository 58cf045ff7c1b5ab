/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config-helpers.h"

#define BASE                                                                                       \
	"node n1 {\n}\nnode n2 {\n}\n"                                                             \
	"vip web {\n address: 192.0.2.50/24\n interface: eth0\n prefer: n1 n2\n}\n"                \
	"vip api {\n address: 192.0.2.51/24\n interface: eth0\n}\n"                                \
	"vip db {\n address: 192.0.2.52/24\n interface: eth0\n}\n"

static struct cv_config_diff
diff(const char *old_text, const char *new_text, struct cv_config **old, struct cv_config **new)
{
	struct cv_config_diff d = {};

	*old = parse_ok(old_text);
	*new = parse_ok(new_text);
	assert_int_equal(cv_config_diff(*old, *new, &d), 0);
	return d;
}

static uint32_t
bit(enum cv_conf_section_kind kind, const char *key)
{
	int i = cv_config_key_index(kind, key);

	assert_true(i >= 0);
	return UINT32_C(1) << i;
}

static void
identical_configs_have_no_changes(void **state)
{
	struct cv_config *a, *b;
	struct cv_config_diff d = diff(BASE, BASE, &a, &b);

	assert_int_equal(d.n_changes, 0);
	cv_config_diff_done(&d);
	cv_config_free(a);
	cv_config_free(b);
}

static void
reload_changing_one_vip_names_only_that_vip_and_key(void **state)
{
	struct cv_config *a, *b;
	struct cv_config_diff d = diff(
		BASE,
		"node n1 {\n}\nnode n2 {\n}\n"
		"vip web {\n address: 192.0.2.50/24\n interface: eth0\n prefer: n1 n2\n}\n"
		"vip api {\n address: 192.0.2.51/24\n interface: eth0\n announce_count: 9\n}\n"
		"vip db {\n address: 192.0.2.52/24\n interface: eth0\n}\n",
		&a, &b);

	assert_int_equal(d.n_changes, 1);
	assert_int_equal(d.changes[0].kind, CV_CONF_VIP);
	assert_int_equal(d.changes[0].op, CV_CONF_CHANGED);
	assert_string_equal(d.changes[0].name, "api");
	assert_int_equal(d.changes[0].changed_keys, bit(CV_CONF_VIP, "announce_count"));
	cv_config_diff_done(&d);
	cv_config_free(a);
	cv_config_free(b);
}

static void
added_removed_and_reordered_sections(void **state)
{
	struct cv_config *a, *b;
	/* db removed, api moved first, mail added, n2 removed, cluster heartbeat changed */
	struct cv_config_diff d = diff(
		BASE,
		"cluster {\n heartbeat: 60ms\n}\nnode n1 {\n}\n"
		"vip api {\n address: 192.0.2.51/24\n interface: eth0\n}\n"
		"vip web {\n address: 192.0.2.50/24\n interface: eth0\n prefer: n1\n}\n"
		"vip mail {\n address: 192.0.2.53/24\n interface: eth0\n}\n",
		&a, &b);

	assert_int_equal(d.n_changes, 5);
	assert_int_equal(d.changes[0].kind, CV_CONF_CLUSTER);
	assert_int_equal(d.changes[0].changed_keys, bit(CV_CONF_CLUSTER, "heartbeat"));
	assert_int_equal(d.changes[1].kind, CV_CONF_NODE);
	assert_int_equal(d.changes[1].op, CV_CONF_REMOVED);
	assert_string_equal(d.changes[1].name, "n2");
	/* VIPs in name order: db, mail, web */
	assert_int_equal(d.changes[2].op, CV_CONF_REMOVED);
	assert_string_equal(d.changes[2].name, "db");
	assert_int_equal(d.changes[3].op, CV_CONF_ADDED);
	assert_string_equal(d.changes[3].name, "mail");
	assert_int_equal(d.changes[4].op, CV_CONF_CHANGED);
	assert_string_equal(d.changes[4].name, "web");
	assert_int_equal(d.changes[4].changed_keys, bit(CV_CONF_VIP, "prefer"));
	cv_config_diff_done(&d);
	cv_config_free(a);
	cv_config_free(b);
}

static uint64_t
digest_of(const char *text)
{
	struct cv_config *c = parse_ok(text);
	uint64_t d = cv_config_digest(c);

	cv_config_free(c);
	return d;
}

/* The digest of the VIP named x in text. */
static uint32_t
vip_digest_of(const char *text)
{
	struct cv_config *c = parse_ok(text);
	const struct cv_vip_conf *v = cv_config_find_vip(c, "x");
	uint32_t d;

	assert_non_null(v);
	d = cv_config_vip_digest(c, (size_t)(v - c->vips));
	cv_config_free(c);
	return d;
}

static void
cluster_digest_covers_cluster_and_nodes_only(void **state)
{
	static const char a[] = "node n1 {\n weight: 5\n}\n"
				"vip x {\n address: 192.0.2.1\n interface: eth0\n}\n";
	uint64_t base = digest_of(a);

	/* VIPs have digests of their own. */
	assert_true(base == digest_of("node n1 {\n weight: 5\n}\n"
				      "vip x {\n address: 192.0.2.9\n interface: eth0\n}\n"));
	assert_true(base != digest_of("node n1 {\n weight: 6\n}\n"
				      "vip x {\n address: 192.0.2.1\n interface: eth0\n}\n"));
	assert_true(base != digest_of("cluster {\n heartbeat: 60ms\n}\nnode n1 {\n weight: 5\n}\n"
				      "vip x {\n address: 192.0.2.1\n interface: eth0\n}\n"));
}

static void
vip_digest_covers_its_cluster_wide_keys_and_checks(void **state)
{
	static const char a[] = "check c {\n exec: /bin/true\n}\n"
				"vip y {\n address: 192.0.2.2\n interface: eth0\n}\n"
				"vip x {\n address: 192.0.2.1\n interface: eth0\n check: c\n}\n";
	uint32_t base = vip_digest_of(a);

	assert_true(base != 0);
	/* Section order, other VIPs and per-node values do not count. */
	assert_true(base == vip_digest_of("vip x {\n address: 192.0.2.1\n interface: eth9\n"
					  " check: c\n announce_count: 1\n nodad: no\n}\n"
					  "check c {\n exec: /bin/true\n}\n"));
	/* Its address, placement keys and its checks' definitions do. */
	assert_true(base != vip_digest_of("check c {\n exec: /bin/true\n}\n"
					  "vip x {\n address: 192.0.2.9\n interface: eth0\n check: c\n}\n"));
	assert_true(base != vip_digest_of("check c {\n exec: /bin/true\n}\n"
					  "vip x {\n address: 192.0.2.1\n interface: eth0\n check: c\n"
					  " preempt: yes\n}\n"));
	assert_true(base != vip_digest_of("check c {\n exec: /bin/true\n rise: 5\n}\n"
					  "vip x {\n address: 192.0.2.1\n interface: eth0\n check: c\n}\n"));
}

static void
key_names_and_indices_agree(void **state)
{
	int i = cv_config_key_index(CV_CONF_VIP, "announce_count");

	assert_true(i >= 0);
	assert_string_equal(cv_config_key_name(CV_CONF_VIP, (unsigned)i), "announce_count");
	assert_int_equal(cv_config_key_index(CV_CONF_VIP, "nope"), -ENOENT);
	assert_null(cv_config_key_name(CV_CONF_VIP, 999));
	assert_string_equal(cv_conf_section_kind_to_string(CV_CONF_CHECK), "check");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identical_configs_have_no_changes),
		cmocka_unit_test(reload_changing_one_vip_names_only_that_vip_and_key),
		cmocka_unit_test(added_removed_and_reordered_sections),
		cmocka_unit_test(cluster_digest_covers_cluster_and_nodes_only),
		cmocka_unit_test(vip_digest_covers_its_cluster_wide_keys_and_checks),
		cmocka_unit_test(key_names_and_indices_agree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
