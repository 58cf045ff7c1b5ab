/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cross-field rules; the corpus in tests/config/bad covers one case of each. */
#include "config-helpers.h"
#include "cv-macros.h"

static struct cv_conf_error
parse_fails(const char *text)
{
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), -EINVAL);
	assert_null(c);
	return e;
}

static void
ipv6_duplicates_are_found_in_any_spelling(void **state)
{
	struct cv_conf_error e = parse_fails("vip a {\n address: 2001:db8::1/64\n interface: e0\n}\n"
					     "vip b {\n address: 2001:DB8:0::0:1/128\n interface: e1\n}\n");

	assert_int_equal(e.line, 6);
	assert_string_equal(e.key, "address");
	assert_string_equal(e.msg, "2001:db8::1 is already used by vip 'a' at line 2, column 2");
}

static void
the_duplicate_reported_is_the_first_in_the_file(void **state)
{
	/* Two pairs of duplicates: c/c at lines 9 and 13, b/b at lines 5 and 17. */
	static const char text[] = "vip a {\n address: 192.0.2.1\n interface: e0\n}\n"
				   "vip b {\n address: 192.0.2.2\n interface: e0\n}\n"
				   "vip c {\n address: 192.0.2.3\n interface: e0\n}\n"
				   "vip c {\n address: 192.0.2.4\n interface: e0\n}\n"
				   "vip b {\n address: 192.0.2.5\n interface: e0\n}\n";
	struct cv_conf_error e = parse_fails(text);

	assert_int_equal(e.line, 13);
	assert_string_equal(e.msg, "duplicate section 'vip c', first at line 9, column 1");
}

static void
same_name_in_different_kinds_is_fine(void **state)
{
	static const char text[] = "node web {\n}\ncheck web {\n exec: /bin/true\n}\n"
				   "vip web {\n address: 192.0.2.1\n interface: e0\n prefer: web\n"
				   " check: web\n}\n";
	struct cv_config *c = NULL;
	struct cv_conf_error e;

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), 0);
	cv_config_free(c);
}

static void
auto_node_ids_are_not_duplicates(void **state)
{
	static const char text[] = "node a {\n}\nnode b {\n nodeid: auto\n}\nnode c {\n nodeid: 7\n}\n";
	struct cv_config *c = NULL;
	struct cv_conf_error e;

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), 0);
	cv_config_free(c);
}

static void
defaulted_timers_are_reported_at_their_section(void **state)
{
	/* timeout defaults to 500ms, above this interval: the check's header is named. */
	struct cv_conf_error e = parse_fails("check x {\n exec: /bin/true\n interval: 400ms\n}\n");

	assert_int_equal(e.line, 1);
	assert_string_equal(e.key, "timeout");
	assert_string_equal(e.msg, "500ms must be shorter than the interval (400ms)");
	e = parse_fails("cluster {\n heartbeat: 10s\n}\n");
	assert_int_equal(e.line, 1);
	assert_string_equal(e.key, "kernel_lease");
	assert_string_equal(e.msg, "10s must be longer than twice the heartbeat (10s)");
}

static uint8_t
tag_of(const char *text)
{
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};
	uint8_t tag;

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), 0);
	tag = cv_config_address_tag(c);
	cv_config_free(c);
	return tag;
}

/* Each owner sweeps only its own: the tag is per group, never another tool's. */
static void
address_tags_are_per_group_and_never_another_tools(void **state)
{
	uint8_t a = tag_of("cluster {\n group: alpha\n}\n"), b = tag_of("cluster {\n group: beta\n}\n");
	struct cv_conf_error e;

	assert_int_equal(tag_of(""), CV_TAG_DAEMON);
	assert_true(a >= 0x80 && a <= 0xfe);
	assert_true(b >= 0x80 && b <= 0xfe);
	assert_int_not_equal(a, b);
	assert_int_equal(tag_of("cluster {\n group: alpha\n address_tag: 99\n}\n"), 99);
	e = parse_fails("cluster {\n address_tag: 111\n}\n");
	assert_string_equal(e.key, "address_tag");
	assert_string_equal(e.msg, "111 is the OCF agent's own tag: its addresses would be taken for ours");
	e = parse_fails("cluster {\n address_tag: 3\n}\n");
	assert_string_equal(e.key, "address_tag");
}

/* The daemon's per-address paths find a VIP by its host address, any prefix. */
static void
vips_are_found_by_host_address(void **state)
{
	const char *text = "vip c {\n address: 192.0.2.30/24\n interface: e0\n}\n"
			   "vip a {\n address: 2001:db8::10/64\n interface: e0\n}\n"
			   "vip b {\n address: 192.0.2.9/32\n interface: e1\n}\n";
	struct cv_config *c = NULL;
	struct cv_conf_error e = {};
	struct cv_addr a;

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(cv_addr_parse("192.0.2.30/32", &a), 0);
	assert_string_equal(cv_config_find_vip_by_host(c, &a, NULL)->head.name, "c");
	assert_int_equal(cv_addr_parse("2001:db8::10/128", &a), 0);
	assert_string_equal(cv_config_find_vip_by_host(c, &a, NULL)->head.name, "a");
	assert_int_equal(cv_addr_parse("192.0.2.9", &a), 0);
	assert_string_equal(cv_config_find_vip_by_host(c, &a, NULL)->head.name, "b");
	assert_int_equal(cv_addr_parse("192.0.2.10", &a), 0);
	assert_null(cv_config_find_vip_by_host(c, &a, NULL));
	assert_int_equal(cv_addr_parse("2001:db8::9", &a), 0);
	assert_null(cv_config_find_vip_by_host(c, &a, NULL));
	cv_config_free(c);
}

/* A group: several address lines, one VIP; each address found, members built. */
static void
groups_list_their_addresses_and_move_as_members(void **state)
{
	const char *text = "vip gw {\n address: 192.0.2.1/24\n address: 2001:db8::1/64\n"
			   " address: 198.51.100.1/24 dev e1\n interface: e0\n}\n"
			   "vip one {\n address: 192.0.2.2/24\n interface: e0\n}\n";
	struct cv_config *c = NULL, *again = NULL;
	struct cv_conf_error e = {};
	const struct cv_vip_conf *v, *m;
	_cleanup_free_ char *out = NULL;
	struct cv_addr a;
	uint32_t keys[CV_VIP_ADDRS_MAX];
	size_t k = 9;

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), 0);
	v = cv_config_find_vip(c, "gw");
	assert_int_equal(v->addrs.n, 3);
	assert_string_equal(v->addrs.v[2].dev, "e1");
	assert_string_equal(cv_vip_addr_ifname(v, 1), "e0");
	assert_string_equal(cv_vip_addr_ifname(v, 2), "e1");
	assert_int_equal(cv_addr_parse("198.51.100.1", &a), 0);
	assert_ptr_equal(cv_config_find_vip_by_host(c, &a, &k), v);
	assert_int_equal(k, 2);
	/* a backend works on each address on its interface, the VIP's once */
	assert_int_equal(cv_vip_conf_members(v, &m), 3);
	assert_int_equal(m[2].addrs.n, 1);
	assert_string_equal(m[2].interface, "e1");
	assert_ptr_equal(m[2].group, v);
	assert_int_equal(cv_vip_conf_members(cv_config_find_vip(c, "one"), &m), 1);
	assert_null(m->group);
	assert_int_equal(cv_config_vip_addr_keys(v, keys), 3);
	assert_int_not_equal(keys[0], keys[1]);
	/* the effective config lists each address on a line of its own */
	assert_int_equal(cv_config_format(c, &out), 0);
	assert_non_null(strstr(out, "\taddress: 192.0.2.1/24\n\taddress: 2001:db8::1/64\n"
				    "\taddress: 198.51.100.1/24 dev e1\n"));
	assert_int_equal(cv_config_parse(out, strlen(out), &again, &e), 0);
	assert_true(cv_vip_addrs_equal(&cv_config_find_vip(again, "gw")->addrs, &v->addrs));
	assert_int_equal(cv_config_digest(again), cv_config_digest(c));
	cv_config_free(again);
	cv_config_free(c);
}

static void
groups_refuse_shared_and_malformed_addresses(void **state)
{
	struct cv_conf_error e;

	e = parse_fails("vip a {\n address: 192.0.2.1/24\n address: 192.0.2.1/25\n interface: e0\n}\n");
	assert_string_equal(e.key, "address");
	assert_string_equal(e.msg, "192.0.2.1 is listed twice, first at line 2, column 2");
	e = parse_fails("vip a {\n address: 192.0.2.1/24\n interface: e0\n}\n"
			"vip b {\n address: 2001:db8::1/64\n address: 192.0.2.1/24\n interface: e0\n}\n");
	assert_string_equal(e.msg, "192.0.2.1 is already used by vip 'a' at line 2, column 2");
	e = parse_fails("vip a {\n address: 192.0.2.1/24 eth1\n interface: e0\n}\n");
	assert_string_equal(e.msg, "'192.0.2.1/24 eth1' is not ADDRESS[/PREFIX] [dev INTERFACE]");
	e = parse_fails("vip a {\n address: 192.0.2.1/24 dev e:1\n interface: e0\n}\n");
	assert_int_equal(e.line, 2);
	e = parse_fails("vip a {\n address: 192.0.2.1/24\n address: 192.0.2.2/24 dev e1\n}\n");
	assert_string_equal(e.key, "interface");
	e = parse_fails("vip a {\n address: 192.0.2.1/24\n address: 192.0.2.2/24\n"
			" address: 192.0.2.3/24\n address: 192.0.2.4/24\n address: 192.0.2.5/24\n"
			" address: 192.0.2.6/24\n address: 192.0.2.7/24\n address: 192.0.2.8/24\n"
			" address: 192.0.2.9/24\n interface: e0\n}\n");
	assert_int_equal(e.line, 10);
	assert_string_equal(e.msg, "more than 8 addresses in one VIP");
	/* every address on a dev of its own: no VIP interface needed */
	struct cv_config *c = parse_ok("vip a {\n address: 192.0.2.1/24 dev e0\n"
				       " address: 192.0.2.2/24 dev e1\n}\n");
	cv_config_free(c);
}

/* Every refusal of a VIP address or interface names file:line:col and the key. */
static void
unusable_vips_are_refused_at_their_value(void **state)
{
	static const struct {
		const char *addr, *ifname, *key;
		unsigned line, col;
	} cases[] = {
		{ "127.0.0.1", "eth0", "address", 2, 11 },
		{ "::1", "eth0", "address", 2, 11 },
		{ "224.0.0.18", "eth0", "address", 2, 11 },
		{ "ff02::12", "eth0", "address", 2, 11 },
		{ "255.255.255.255", "eth0", "address", 2, 11 },
		{ "0.0.0.0", "eth0", "address", 2, 11 },
		{ "0.1.2.3/8", "eth0", "address", 2, 11 },
		{ "::", "eth0", "address", 2, 11 },
		{ "240.1.2.3/24", "eth0", "address", 2, 11 },
		{ "192.0.2.50/0", "eth0", "address", 2, 11 },
		{ "fe80::1/0", "eth0", "address", 2, 11 },
		{ "::ffff:192.0.2.50", "eth0", "address", 2, 11 },
		{ "192.0.2.50", "eth0:1", "interface", 3, 13 },
		{ "192.0.2.50", "a/b", "interface", 3, 13 },
		{ "192.0.2.50", "e 0", "interface", 3, 13 },
		{ "192.0.2.50", ".", "interface", 3, 13 },
		{ "192.0.2.50", "eth\xc3\xa9", "interface", 3, 13 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[256];
		struct cv_conf_error e;

		snprintf(text, sizeof(text), "vip web {\n address: %s\n interface: %s\n}\n",
			 cases[i].addr, cases[i].ifname);
		e = parse_fails(text);
		if (e.line != cases[i].line || e.col != cases[i].col ||
		    strcmp(e.key, cases[i].key) != 0)
			fail_msg("%s on %s: %u:%u: %s: %s", cases[i].addr, cases[i].ifname, e.line,
				 e.col, e.key, e.msg);
	}
}

/* Refused outright, not as a duplicate of the IPv4 form: whichever comes first. */
static void
ipv4_mapped_is_refused_even_beside_its_ipv4_form(void **state)
{
	struct cv_conf_error e = parse_fails("vip a {\n address: 192.0.2.50/24\n interface: e0\n}\n"
					     "vip b {\n address: ::ffff:192.0.2.50/120\n"
					     " interface: e0\n}\n");

	assert_int_equal(e.line, 6);
	assert_string_equal(e.key, "address");
	assert_string_equal(e.msg, "'::ffff:192.0.2.50/120' is an IPv4-mapped IPv6 address: write "
				   "its IPv4 form, 192.0.2.50/24");
}

static void
link_local_vips_take_their_interface_as_scope(void **state)
{
	static const char text[] = "vip a {\n address: fe80::50/64\n interface: eth0\n}\n"
				   "vip b {\n address: 169.254.1.1/16\n interface: eth1\n}\n";
	struct cv_config *c = NULL;
	struct cv_conf_error e;

	assert_int_equal(cv_config_parse(text, strlen(text), &c, &e), 0);
	assert_int_equal(cv_addr_classify(cv_vip_first_addr(&c->vips[0])), CV_ADDR_CLASS_LINK_LOCAL);
	assert_string_equal(c->vips[0].interface, "eth0");
	cv_config_free(c);
	/* The same link-local address on two interfaces is still one address too many. */
	e = parse_fails("vip a {\n address: fe80::50/64\n interface: eth0\n}\n"
			"vip b {\n address: fe80::50/64\n interface: eth1\n}\n");
	assert_int_equal(e.line, 6);
	assert_string_equal(e.msg, "fe80::50 is already used by vip 'a' at line 2, column 2");
}


#define OS_VIP(name, addr, cloud)                                                                  \
	"vip " name " {\n address: " addr "\n backend: openstack\n cloud: " cloud                   \
	"\n floating_ip: 2f245a7b-796b-4f26-9cf9-9e82d248fda7\n port: p-1\n}\n"

/* Each openstack VIP points at its cloud section once parsed; the others at none. */
static void
openstack_vips_point_at_their_cloud_section(void **state)
{
	struct cv_config *c = parse_ok("cloud b {\n}\ncloud a {\n region: R1\n}\n"
				       OS_VIP("x", "203.0.113.1", "a") OS_VIP("y", "203.0.113.2", "b")
				       "vip z {\n address: 192.0.2.1\n interface: e0\n}\n");

	assert_ptr_equal(c->vips[0].cloud_conf, cv_config_find_cloud(c, "a"));
	assert_string_equal(c->vips[0].cloud_conf->region, "R1");
	assert_ptr_equal(c->vips[1].cloud_conf, cv_config_find_cloud(c, "b"));
	assert_null(c->vips[2].cloud_conf);
	assert_null(c->vips[0].interface);
	assert_int_equal(c->vips[0].n_members, 0); /* one address: the VIP itself */
	/* the entry of clouds.yaml: the section's name unless cloud says otherwise */
	assert_string_equal(cv_cloud_entry(c->vips[1].cloud_conf), "b");
	assert_int_equal(c->clouds[0].call_timeout_ms, 5000);
	assert_int_equal(c->clouds[0].op_timeout_ms, 15000);
	assert_true(c->clouds[0].tls_verify);
	cv_config_free(c);
}

/* The floating IP is in a VIP's digest, the port (each node's own) and the cloud section are not. */
static void
the_port_and_the_cloud_section_are_per_node(void **state)
{
	struct cv_config *a = parse_ok("cloud a {\n}\n" OS_VIP("x", "203.0.113.1", "a"));
	struct cv_config *b = parse_ok("cloud a {\n region: R2\n proxy: http://p:3128\n}\n"
				       "vip x {\n address: 203.0.113.1\n backend: openstack\n"
				       " cloud: a\n floating_ip: 2f245a7b-796b-4f26-9cf9-9e82d248fda7\n"
				       " port: p-2\n fixed_ip: 10.0.0.2\n}\n");
	struct cv_config *d = parse_ok("cloud a {\n}\n"
				       "vip x {\n address: 203.0.113.1\n backend: openstack\n"
				       " cloud: a\n floating_ip: 5d33d0e3\n port: p-1\n}\n");

	assert_int_equal(cv_config_vip_digest(a, 0), cv_config_vip_digest(b, 0));
	assert_int_equal(cv_config_digest(a), cv_config_digest(b));
	assert_int_not_equal(cv_config_vip_digest(a, 0), cv_config_vip_digest(d, 0));
	cv_config_free(a);
	cv_config_free(b);
	cv_config_free(d);
}

static void
openstack_vips_refuse_what_they_cannot_use(void **state)
{
	struct cv_conf_error e;

	e = parse_fails("cloud a {\n}\nvip x {\n address: 203.0.113.1 dev e0\n"
			" backend: openstack\n cloud: a\n floating_ip: f\n port: p\n}\n");
	assert_string_equal(e.key, "address");
	assert_string_equal(e.msg, "backend openstack takes one address (the floating IP's), without 'dev'");
	e = parse_fails("vip x {\n address: 192.0.2.1\n interface: e0\n port: p\n}\n");
	assert_string_equal(e.msg, "port is for backend openstack only");
	e = parse_fails("cloud a {\n}\n" OS_VIP("x", "203.0.113.1", "b"));
	assert_int_equal(e.line, 6); /* its cloud key */
	assert_string_equal(e.key, "cloud");
	e = parse_fails("cloud a {\n call_timeout: 20s\n}\n");
	assert_string_equal(e.key, "op_timeout");
	e = parse_fails("cloud a {\n}\ncloud a {\n}\n");
	assert_string_equal(e.msg, "duplicate section 'cloud a', first at line 1, column 1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv6_duplicates_are_found_in_any_spelling),
		cmocka_unit_test(the_duplicate_reported_is_the_first_in_the_file),
		cmocka_unit_test(same_name_in_different_kinds_is_fine),
		cmocka_unit_test(auto_node_ids_are_not_duplicates),
		cmocka_unit_test(defaulted_timers_are_reported_at_their_section),
		cmocka_unit_test(unusable_vips_are_refused_at_their_value),
		cmocka_unit_test(ipv4_mapped_is_refused_even_beside_its_ipv4_form),
		cmocka_unit_test(link_local_vips_take_their_interface_as_scope),
		cmocka_unit_test(address_tags_are_per_group_and_never_another_tools),
		cmocka_unit_test(vips_are_found_by_host_address),
		cmocka_unit_test(groups_list_their_addresses_and_move_as_members),
		cmocka_unit_test(groups_refuse_shared_and_malformed_addresses),
		cmocka_unit_test(openstack_vips_point_at_their_cloud_section),
		cmocka_unit_test(the_port_and_the_cloud_section_are_per_node),
		cmocka_unit_test(openstack_vips_refuse_what_they_cannot_use),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
