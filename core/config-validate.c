/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cross-field validation: what no single key can check. Unique names,
 * addresses and node ids; references to node and check sections; keys that
 * a backend needs; timers that cannot work together. Each error is reported
 * at the key (or section) that is wrong, naming the other place involved.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config-schema.h"
#include "cv-macros.h"

#define S(kind) (&cv_conf_sections[kind])
#define KEY(kind, name) cv_conf_key_by_name(S(kind), name)

struct ctx {
	const struct cv_config *c;
	struct cv_conf_error *e;
};

/* Where to report a problem with key: the key itself, or its section if defaulted. */
static struct cv_conf_pos
where(const struct ctx *x, enum cv_conf_section_kind kind, const void *inst, const char *key)
{
	const struct cv_conf_head *h = inst;
	struct cv_conf_pos p = cv_conf_key_pos(x->c, inst, S(kind), KEY(kind, key));

	return p.line ? p : (struct cv_conf_pos){ .line = h->line, .col = h->col };
}

#define FAIL_AT(x, kind, inst, key, ...)                                                           \
	({                                                                                         \
		struct cv_conf_pos _p = where(x, kind, inst, key);                                 \
		cv_conf_fail((x)->e, _p.line, _p.col, key, __VA_ARGS__);                           \
	})

static const char *
duration(uint32_t ms, char *buf, size_t len)
{
	struct cv_strbuf b = {};

	cv_conf_format_duration(ms, &b);
	snprintf(buf, len, "%s", b.buf ? b.buf : "?");
	cv_strbuf_done(&b);
	return buf;
}

#define D(ms) duration(ms, (char[24]){}, 24)

/* ---- uniqueness, by sorting (10,000 VIPs must not cost n^2) ---- */

static int
by_line(const struct cv_conf_head *x, const struct cv_conf_head *y)
{
	return (x->line > y->line) - (x->line < y->line);
}

static bool
same_name(const void *a, const void *b)
{
	return strcmp(((const struct cv_conf_head *)a)->name, ((const struct cv_conf_head *)b)->name) == 0;
}

static int
sort_by_name(const void *a, const void *b)
{
	const struct cv_conf_head *x = *(const struct cv_conf_head *const *)a;
	const struct cv_conf_head *y = *(const struct cv_conf_head *const *)b;
	int r = strcmp(x->name, y->name);

	return r ? r : by_line(x, y);
}

/*
 * Sort pointers to all instances of a section; among neighbours with the same
 * key, return the pair whose later member comes first in the file (the error
 * a reader meets first). -ENOENT if there is none.
 */
static int
find_duplicate(const struct cv_config *c, enum cv_conf_section_kind kind,
	       int (*sort)(const void *, const void *), bool (*same)(const void *, const void *),
	       const void **ret_first, const void **ret_second)
{
	const struct cv_conf_section *s = S(kind);
	size_t n = cv_conf_count(c, s);
	_cleanup_free_ const void **v = calloc(n ? n : 1, sizeof(*v));
	const struct cv_conf_head *first = NULL, *second = NULL;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = cv_conf_instance(c, s, i);
	qsort(v, n, sizeof(*v), sort);
	for (size_t i = 1; i < n; i++) {
		const struct cv_conf_head *h = v[i];

		if (!same(v[i - 1], v[i]) || (second && second->line <= h->line))
			continue;
		first = v[i - 1];
		second = h;
	}
	if (!second)
		return -ENOENT;
	*ret_first = first;
	*ret_second = second;
	return 0;
}

static int
check_unique_names(const struct ctx *x, enum cv_conf_section_kind kind)
{
	const struct cv_conf_head *a, *b;
	int r = find_duplicate(x->c, kind, sort_by_name, same_name, (const void **)&a,
			       (const void **)&b);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	return cv_conf_fail(x->e, b->line, b->col, S(kind)->name,
			    "duplicate section '%s %s', first at line %u, column %u", S(kind)->name,
			    b->name, a->line, a->col);
}

/* One address of one VIP, for check_unique_addresses. */
struct addr_ref {
	struct cv_addr host; /* prefix length 0 */
	const struct cv_vip_conf *v;
	size_t k;
};

static uint32_t
ref_line(const struct addr_ref *r)
{
	return r->v->addrs.v[r->k].line ? r->v->addrs.v[r->k].line : r->v->head.line;
}

/* Same host address together, then in file order. */
static int
sort_addr_refs(const void *a, const void *b)
{
	const struct addr_ref *x = a, *y = b;
	int r = cv_addr_compare(&x->host, &y->host);

	if (r)
		return r;
	r = by_line(&x->v->head, &y->v->head);
	return r ? r : (x->k > y->k) - (x->k < y->k);
}

/* Where address r was given: its own line, else the key's first. */
static struct cv_conf_pos
addr_pos(const struct ctx *x, const struct addr_ref *r)
{
	const struct cv_vip_addr *a = &r->v->addrs.v[r->k];

	if (a->line)
		return (struct cv_conf_pos){ .line = a->line, .col = a->col };
	return where(x, CV_CONF_VIP, r->v, "address");
}

/* No host address twice, in one VIP or two: the pair a reader meets first. */
static int
check_unique_addresses(const struct ctx *x)
{
	size_t n = 0, dup = 0;
	_cleanup_free_ struct addr_ref *refs = NULL;
	const struct addr_ref *a, *b;
	char buf[CV_ADDR_STRLEN];
	struct cv_conf_pos pa, pb;

	for (size_t i = 0; i < x->c->n_vips; i++)
		n += x->c->vips[i].addrs.n;
	refs = calloc(n ? n : 1, sizeof(*refs));
	if (!refs)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < x->c->n_vips; i++)
		for (size_t k = 0; k < x->c->vips[i].addrs.n; k++) {
			refs[n] = (struct addr_ref){ .host = x->c->vips[i].addrs.v[k].addr,
						     .v = &x->c->vips[i], .k = k };
			refs[n++].host.prefixlen = 0;
		}
	qsort(refs, n, sizeof(*refs), sort_addr_refs);
	for (size_t i = 1; i < n; i++)
		if (cv_addr_compare(&refs[i - 1].host, &refs[i].host) == 0 &&
		    (!dup || ref_line(&refs[i]) < ref_line(&refs[dup])))
			dup = i;
	if (!dup)
		return 0;
	a = &refs[dup - 1];
	b = &refs[dup];
	cv_addr_format(&b->v->addrs.v[b->k].addr, false, buf, sizeof(buf));
	pa = addr_pos(x, a);
	pb = addr_pos(x, b);
	if (a->v == b->v)
		return cv_conf_fail(x->e, pb.line, pb.col, "address",
				    "%s is listed twice, first at line %u, column %u", buf, pa.line,
				    pa.col);
	return cv_conf_fail(x->e, pb.line, pb.col, "address",
			    "%s is already used by vip '%s' at line %u, column %u", buf,
			    a->v->head.name, pa.line, pa.col);
}

static bool
same_nodeid(const void *a, const void *b)
{
	const struct cv_node_conf *x = a, *y = b;

	return x->nodeid == y->nodeid && x->nodeid != CV_AUTO;
}

static int
sort_by_nodeid(const void *a, const void *b)
{
	const struct cv_node_conf *x = *(const struct cv_node_conf *const *)a;
	const struct cv_node_conf *y = *(const struct cv_node_conf *const *)b;

	if (x->nodeid != y->nodeid)
		return x->nodeid < y->nodeid ? -1 : 1;
	return by_line(&x->head, &y->head);
}

static int
check_unique_nodeids(const struct ctx *x)
{
	const struct cv_node_conf *a, *b;
	struct cv_conf_pos pa;
	int r = find_duplicate(x->c, CV_CONF_NODE, sort_by_nodeid, same_nodeid, (const void **)&a,
			       (const void **)&b);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	pa = where(x, CV_CONF_NODE, a, "nodeid");
	return FAIL_AT(x, CV_CONF_NODE, b, "nodeid",
		       "%u is already used by node '%s' at line %u, column %u", b->nodeid,
		       a->head.name, pa.line, pa.col);
}

/* ---- references and per-section rules ---- */

static int
check_refs(const struct ctx *x, const struct cv_vip_conf *v, const char *key,
	   const struct cv_name_list *l, enum cv_conf_section_kind target)
{
	for (size_t i = 0; i < l->n; i++) {
		bool found = target == CV_CONF_NODE ? cv_config_find_node(x->c, l->names[i]) != NULL
						    : cv_config_find_check(x->c, l->names[i]) != NULL;
		if (!found)
			return FAIL_AT(x, CV_CONF_VIP, v, key, "unknown %s '%s' (no '%s %s {' section)",
				       S(target)->name, l->names[i], S(target)->name, l->names[i]);
	}
	return 0;
}

/* The keys of backend openstack, which no other backend reads. */
static const char *const openstack_keys[] = { "cloud", "floating_ip", "port", "fixed_ip", "vip_port" };

static const char *
openstack_value(const struct cv_vip_conf *v, size_t i)
{
	const char *val[] = { v->cloud, v->floating_ip, v->port, v->fixed_ip, v->vip_port };

	return val[i];
}

/* The keys of backend aws, which no other backend reads. */
static const char *const aws_keys[] = { "allocation_id", "eni", "route_table" };

static const char *
aws_value(const struct cv_vip_conf *v, size_t i)
{
	const char *val[] = { v->allocation_id, v->eni, v->route_table };

	return val[i];
}

static int
refuse_aws_keys(const struct ctx *x, const struct cv_vip_conf *v)
{
	for (size_t i = 0; i < ELEMENTSOF(aws_keys); i++)
		if (aws_value(v, i))
			return FAIL_AT(x, CV_CONF_VIP, v, aws_keys[i], "%s is for backend aws only",
				       aws_keys[i]);
	return 0;
}

/* A cloud section of type t named by v (its presence checked). */
static int
check_cloud_ref(const struct ctx *x, const struct cv_vip_conf *v, enum cv_cloud_type t)
{
	const struct cv_cloud_conf *k = cv_config_find_cloud(x->c, v->cloud);

	if (!k)
		return FAIL_AT(x, CV_CONF_VIP, v, "cloud", "unknown cloud '%s' (no 'cloud %s {' section)",
			       v->cloud, v->cloud);
	if (k->type != t)
		return FAIL_AT(x, CV_CONF_VIP, v, "cloud",
			       "cloud '%s' is of type %s, backend %s needs type %s", v->cloud,
			       t == CV_CLOUD_AWS ? "openstack" : "aws", cv_backend_to_string(v->backend),
			       t == CV_CLOUD_AWS ? "aws" : "openstack");
	return 0;
}

/* An address of ours on an interface: backend l2, or openstack's pair modes. */
static int
check_interfaces(const struct ctx *x, const struct cv_vip_conf *v)
{
	for (size_t k = 0; k < v->addrs.n; k++)
		if (!cv_vip_addr_ifname(v, k))
			return cv_conf_fail(x->e, v->head.line, v->head.col, "interface",
					    "missing in section vip '%s' (%s %s needs it, or "
					    "'dev' on each address)",
					    v->head.name, v->backend == CV_BACKEND_L2 ? "backend" : "mode",
					    v->backend == CV_BACKEND_L2 ? "l2" : cv_cloud_mode_to_string(v->mode));
	return 0;
}

static int
check_l2_vip(const struct ctx *x, const struct cv_vip_conf *v)
{
	int r = check_interfaces(x, v);

	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(openstack_keys); i++)
		if (openstack_value(v, i))
			return FAIL_AT(x, CV_CONF_VIP, v, openstack_keys[i],
				       "%s is for backend openstack only", openstack_keys[i]);
	if (v->mode != CV_CLOUD_FLOATING_IP) /* the default */
		return FAIL_AT(x, CV_CONF_VIP, v, "mode", "mode is for backends openstack and aws only");
	return refuse_aws_keys(x, v);
}

/* One of the openstack keys (index into openstack_keys) that mode m does not read. */
static int
refuse_key(const struct ctx *x, const struct cv_vip_conf *v, size_t key)
{
	if (!openstack_value(v, key))
		return 0;
	return FAIL_AT(x, CV_CONF_VIP, v, openstack_keys[key], "%s is not read in mode %s",
		       openstack_keys[key], cv_cloud_mode_to_string(v->mode));
}

/*
 * Modes address_pairs and vip_port: the address is ours on an interface
 * (the L2 keys apply) and Neutron's port security lets it through our port.
 * One address: the pairs of a group are not done in this version.
 */
static int
check_pairs_vip(const struct ctx *x, const struct cv_vip_conf *v)
{
	int r = check_interfaces(x, v);

	if (r >= 0)
		r = refuse_key(x, v, 1); /* floating_ip */
	if (r >= 0)
		r = refuse_key(x, v, 3); /* fixed_ip */
	if (r >= 0 && v->mode == CV_CLOUD_ADDRESS_PAIRS)
		r = refuse_key(x, v, 4); /* vip_port */
	if (r >= 0 && v->addrs.n > 1)
		r = FAIL_AT(x, CV_CONF_VIP, v, "address", "mode %s takes one address in this version",
			    cv_cloud_mode_to_string(v->mode));
	return r;
}

/*
 * An address the cloud moves (a floating IP, an Elastic IP): one, no
 * interface of ours, and fixed_ip (which address of our port or ENI it
 * maps to) an address. who: "backend openstack"; mover: who moves it;
 * whose: whose address the VIP's is.
 */
static int
check_moved_address(const struct ctx *x, const struct cv_vip_conf *v, const char *who,
		    const char *mover, const char *whose)
{
	struct cv_addr a;

	if (v->interface)
		return FAIL_AT(x, CV_CONF_VIP, v, "interface", "%s has no interface (%s)", who, mover);
	if (v->addrs.n > 1 || v->addrs.v[0].dev[0])
		return FAIL_AT(x, CV_CONF_VIP, v, "address", "%s takes one address (%s), without 'dev'",
			       who, whose);
	if (v->fixed_ip && cv_addr_parse_host(v->fixed_ip, &a) < 0)
		return FAIL_AT(x, CV_CONF_VIP, v, "fixed_ip", "'%s' is not an IPv4 or IPv6 address",
			       v->fixed_ip);
	return 0;
}

/*
 * A floating IP is one address that Neutron moves: no interface of ours
 * carries it (the announce keys, garp, nodad and deprecated are ignored).
 * Its address is what status and the uniqueness of addresses go by.
 */
static int
check_openstack_vip(const struct ctx *x, const struct cv_vip_conf *v)
{
	bool fip = v->mode == CV_CLOUD_FLOATING_IP;
	int r;

	if (v->mode > CV_CLOUD_VIP_PORT)
		return FAIL_AT(x, CV_CONF_VIP, v, "mode",
			       "backend openstack: mode floating_ip, address_pairs or vip_port");
	for (size_t i = 0; i < 3; i++) /* cloud, floating_ip, port */
		if (!openstack_value(v, i) && (fip || i != 1))
			return cv_conf_fail(x->e, v->head.line, v->head.col, openstack_keys[i],
					    "missing in section vip '%s' (backend openstack%s needs it)",
					    v->head.name, fip ? "" : ", mode address_pairs or vip_port,");
	r = check_cloud_ref(x, v, CV_CLOUD_OPENSTACK);
	if (r == 0)
		r = refuse_aws_keys(x, v);
	if (r < 0)
		return r;
	if (!fip)
		return check_pairs_vip(x, v);
	if (v->vip_port)
		return refuse_key(x, v, 4);
	return check_moved_address(x, v, "backend openstack", "Neutron moves the floating IP",
				   "the floating IP's");
}

/*
 * backend aws (issue 18), three modes (cloud/aws-move.h):
 *  - elastic_ip: EC2 associates the Elastic IP (allocation_id) with this
 *    node's ENI: one address (the public one, what status and the
 *    uniqueness of addresses go by), no interface of ours; fixed_ip: which
 *    address of the ENI;
 *  - secondary_ip: EC2 assigns the address to this node's ENI as a
 *    secondary private IP, and it is ours on an interface (L2 adds it);
 *    EC2 moves it only within its subnet (one availability zone);
 *  - route: route_table's route to the address (an overlay IP outside the
 *    VPC's ranges) points at this node's ENI, and it is ours on an
 *    interface (L2): the cross-zone mode.
 * Every mode names the cloud section, and this node's ENI unless the
 * section reads it from IMDS (imds: the instance's primary ENI).
 */
static int
check_aws_vip(const struct ctx *x, const struct cv_vip_conf *v)
{
	bool eip = v->mode == CV_CLOUD_ELASTIC_IP, route = v->mode == CV_CLOUD_ROUTE;
	const struct cv_cloud_conf *k = v->cloud ? cv_config_find_cloud(x->c, v->cloud) : NULL;
	const char *need[] = { "cloud", k && k->imds ? NULL : "eni",
			       eip ? "allocation_id" : route ? "route_table" : NULL };
	const char *val[] = { v->cloud, v->eni, eip ? v->allocation_id : v->route_table };
	int r;

	if (v->mode < CV_CLOUD_ELASTIC_IP)
		return FAIL_AT(x, CV_CONF_VIP, v, "mode",
			       "backend aws: mode elastic_ip, secondary_ip or route");
	for (size_t i = 0; i < ELEMENTSOF(need); i++)
		if (need[i] && !val[i])
			return cv_conf_fail(x->e, v->head.line, v->head.col, need[i],
					    "missing in section vip '%s' (backend aws, mode %s, needs it%s)",
					    v->head.name, cv_cloud_mode_to_string(v->mode),
					    i == 1 ? ", or imds in its cloud section to read it from" : "");
	r = check_cloud_ref(x, v, CV_CLOUD_AWS);
	for (size_t i = 1; r == 0 && i < ELEMENTSOF(openstack_keys); i++)
		if (openstack_value(v, i) && (i != 3 || !eip)) /* fixed_ip: elastic_ip's */
			r = FAIL_AT(x, CV_CONF_VIP, v, openstack_keys[i], "%s is %s", openstack_keys[i],
				    i == 3 ? "read in mode elastic_ip only" : "for backend openstack only");
	if (r == 0 && v->route_table && !route)
		r = FAIL_AT(x, CV_CONF_VIP, v, "route_table", "route_table is read in mode route only");
	if (r == 0 && v->allocation_id && !eip)
		r = FAIL_AT(x, CV_CONF_VIP, v, "allocation_id",
			    "allocation_id is read in mode elastic_ip only");
	if (r < 0)
		return r;
	if (eip)
		return check_moved_address(x, v, "mode elastic_ip", "EC2 moves the Elastic IP",
					   "the Elastic IP's");
	r = check_interfaces(x, v);
	if (r == 0 && v->addrs.n > 1)
		r = FAIL_AT(x, CV_CONF_VIP, v, "address", "mode %s takes one address in this version",
			    cv_cloud_mode_to_string(v->mode));
	return r;
}

static int
check_vip(const struct ctx *x, const struct cv_vip_conf *v)
{
	int r;

	if (v->backend == CV_BACKEND_L2)
		r = check_l2_vip(x, v);
	else if (v->backend == CV_BACKEND_OPENSTACK)
		r = check_openstack_vip(x, v);
	else
		r = check_aws_vip(x, v);
	if (r < 0)
		return r;
	r = check_refs(x, v, "prefer", &v->prefer, CV_CONF_NODE);
	if (r == 0)
		r = check_refs(x, v, "check", &v->check, CV_CONF_CHECK);
	if (r == 0)
		r = check_refs(x, v, "fallback_check", &v->fallback_check, CV_CONF_CHECK);
	if (r < 0)
		return r;
	/* without checks every node passes: an exclusive VIP would be held
	 * nowhere, a fallback never used */
	if (v->exclusive && !v->check.n)
		return FAIL_AT(x, CV_CONF_VIP, v, "exclusive",
			       "exclusive needs check: the checks that at most one node passes");
	if (v->fallback_check.n && !v->check.n)
		return FAIL_AT(x, CV_CONF_VIP, v, "fallback_check",
			       "fallback_check needs check: it applies when no node passes those");
	return 0;
}

/* Keys of the other type than k's: an error (a key no backend would read). */
static int
check_cloud_type(const struct ctx *x, const struct cv_cloud_conf *k)
{
	const char *os[] = { k->clouds_yaml, k->cloud, k->secrets_file, k->neutron_url };
	static const char *const os_names[] = { "clouds_yaml", "cloud", "secrets_file", "neutron_url" };
	const char *aws[] = { k->endpoint, k->credentials_file, k->profile, k->imds };
	static const char *const aws_names[] = { "endpoint", "credentials_file", "profile", "imds" };
	bool is_aws = k->type == CV_CLOUD_AWS;

	for (size_t i = 0; i < ELEMENTSOF(os); i++) {
		if (is_aws && os[i])
			return FAIL_AT(x, CV_CONF_CLOUD, k, os_names[i], "%s is for type openstack only",
				       os_names[i]);
		if (!is_aws && aws[i])
			return FAIL_AT(x, CV_CONF_CLOUD, k, aws_names[i],
				       "%s is for type aws only (type: aws)", aws_names[i]);
	}
	if (is_aws && !k->region && !k->imds)
		return cv_conf_fail(x->e, k->head.line, k->head.col, "region",
				    "missing in section cloud '%s' (type aws needs it, the signing "
				    "region, or imds to read it from)", k->head.name);
	return 0;
}

static int
check_cloud(const struct ctx *x, const struct cv_cloud_conf *k)
{
	int r = check_cloud_type(x, k);

	if (r < 0)
		return r;
	if (k->op_timeout_ms < k->call_timeout_ms)
		return FAIL_AT(x, CV_CONF_CLOUD, k, "op_timeout",
			       "%s must not be shorter than the call_timeout (%s)", D(k->op_timeout_ms),
			       D(k->call_timeout_ms));
	return 0;
}

/* Does key (which has a default) of inst hold its default value? */
static bool
is_default(enum cv_conf_section_kind kind, const void *inst, const char *key)
{
	const struct cv_conf_key *k = KEY(kind, key);
	struct cv_strbuf b = {};
	bool same;

	cv_conf_type_ops(k->type)->format(k, cv_conf_field((void *)inst, k), &b);
	same = !b.err && strcmp(b.buf ? b.buf : "", k->def) == 0;
	cv_strbuf_done(&b);
	return same;
}

/* http_status, http_body and tls_verify: only where they mean something. */
static int
check_http_keys(const struct ctx *x, const struct cv_check_conf *k)
{
	static const char *const keys[] = { "http_status", "tls_verify" };

	if (k->http)
		return 0;
	if (k->http_body)
		return FAIL_AT(x, CV_CONF_CHECK, k, "http_body", "http_body is for http checks only");
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (!is_default(CV_CONF_CHECK, k, keys[i]))
			return FAIL_AT(x, CV_CONF_CHECK, k, keys[i], "%s is for http checks only",
				       keys[i]);
	return 0;
}

/* The kinds of check, in schema order: the first set is the check's kind. */
static const char *const check_kinds[] = { "http", "exec", "tcp", "link" };

static const char *
check_kind_value(const struct cv_check_conf *k, size_t i)
{
	const char *v[] = { k->http, k->exec, k->tcp, k->link };

	return v[i];
}

static int
check_check(const struct ctx *x, const struct cv_check_conf *k)
{
	const char *first = NULL;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(check_kinds); i++) {
		struct cv_conf_pos p;

		if (!check_kind_value(k, i))
			continue;
		if (!first) {
			first = check_kinds[i];
			continue;
		}
		p = where(x, CV_CONF_CHECK, k, first);
		return FAIL_AT(x, CV_CONF_CHECK, k, check_kinds[i],
			       "a check has one of http, exec, tcp or link, and %s is set at line "
			       "%u, column %u",
			       first, p.line, p.col);
	}
	if (!first)
		return cv_conf_fail(x->e, k->head.line, k->head.col, "http",
				    "section check '%s' needs one of http, exec, tcp or link",
				    k->head.name);
	if (k->shell && !k->exec)
		return FAIL_AT(x, CV_CONF_CHECK, k, "shell", "shell is for exec checks only");
	r = check_http_keys(x, k);
	if (r < 0)
		return r;
	if (k->timeout_ms >= k->interval_ms)
		return FAIL_AT(x, CV_CONF_CHECK, k, "timeout",
			       "%s must be shorter than the interval (%s)", D(k->timeout_ms),
			       D(k->interval_ms));
	return 0;
}

static int
check_cluster(const struct ctx *x)
{
	const struct cv_cluster_conf *cl = &x->c->cluster;

	if (cl->lease_ms != CV_AUTO && cl->lease_ms < 2 * cl->heartbeat_ms)
		return FAIL_AT(x, CV_CONF_CLUSTER, cl, "lease",
			       "%s must be at least twice the heartbeat (%s)", D(cl->lease_ms),
			       D(cl->heartbeat_ms));
	if (cl->lease_ms != CV_AUTO && cl->kernel_lease_ms <= cl->lease_ms)
		return FAIL_AT(x, CV_CONF_CLUSTER, cl, "kernel_lease",
			       "%s must be longer than the lease (%s)", D(cl->kernel_lease_ms),
			       D(cl->lease_ms));
	/* The daemon beats every heartbeat; one late beat must not get it killed. */
	if (cl->reaper_timeout_ms != CV_AUTO && cl->reaper_timeout_ms <= 2 * cl->heartbeat_ms)
		return FAIL_AT(x, CV_CONF_CLUSTER, cl, "reaper_timeout",
			       "%s must be longer than twice the heartbeat (%s)",
			       D(cl->reaper_timeout_ms), D(cl->heartbeat_ms));
	/* A frozen holder's address must go before peers think its lease over. */
	if (cl->lease_ms != CV_AUTO && cv_config_reaper_timeout_ms(x->c) >= cl->lease_ms)
		return FAIL_AT(x, CV_CONF_CLUSTER, cl, "reaper_timeout",
			       "%s%s must be shorter than the lease (%s)",
			       D(cv_config_reaper_timeout_ms(x->c)),
			       cl->reaper_timeout_ms == CV_AUTO ? " (auto: 4 heartbeats)" : "",
			       D(cl->lease_ms));
	if (cl->address_tag == CV_TAG_L2 || cl->address_tag == CV_TAG_OCF)
		return FAIL_AT(x, CV_CONF_CLUSTER, cl, "address_tag",
			       "%u is %s's own tag: its addresses would be taken for ours",
			       cl->address_tag, cl->address_tag == CV_TAG_L2 ? "corovip-l2" : "the OCF agent");
	if (cl->kernel_lease_ms <= 2 * cl->heartbeat_ms)
		return FAIL_AT(x, CV_CONF_CLUSTER, cl, "kernel_lease",
			       "%s must be longer than twice the heartbeat (%s)",
			       D(cl->kernel_lease_ms), D(cl->heartbeat_ms));
	return 0;
}

int
cv_conf_validate(const struct cv_config *c, struct cv_conf_error *reterr)
{
	const struct ctx x = { .c = c, .e = reterr };
	int r = check_cluster(&x);

	for (int kind = CV_CONF_NODE; r >= 0 && kind < _CV_CONF_SECTION_MAX; kind++)
		r = check_unique_names(&x, kind);
	if (r >= 0)
		r = check_unique_nodeids(&x);
	for (size_t i = 0; r >= 0 && i < c->n_checks; i++)
		r = check_check(&x, &c->checks[i]);
	for (size_t i = 0; r >= 0 && i < c->n_clouds; i++)
		r = check_cloud(&x, &c->clouds[i]);
	for (size_t i = 0; r >= 0 && i < c->n_vips; i++)
		r = check_vip(&x, &c->vips[i]);
	if (r >= 0)
		r = check_unique_addresses(&x);
	return r;
}
