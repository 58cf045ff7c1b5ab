/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "addr.h"
#include "cv-macros.h"
#include "ipc-status.h"
#include "status-int.h"
#include "status-why.h"
#include "strbuf.h"

/* ---- status, for people ---- */

static void
text_cluster(struct cv_strbuf *b, const struct cv_engine *e)
{
	uint32_t me = cv_engine_nodeid(e), members[CV_MAX_NODES];
	const char *name = cv_status_node_name(e, me);
	struct cv_ring_id ring;
	size_t n = 0;

	cv_strbuf_printf(b, "node %" PRIu32 " (%s), %s\n", me, name ? name : "not in the config",
			 cv_engine_quorate(e) ? "quorate" : "NOT quorate");
	if (!cv_engine_view(e, &ring, members, ELEMENTSOF(members), &n)) {
		cv_strbuf_append(b, "view: none adopted yet\n");
	} else {
		cv_strbuf_printf(b, "view: ring %" PRIu32 ".%" PRIu64 ", members:", ring.nodeid,
				 ring.seq);
		for (size_t i = 0; i < n && i < ELEMENTSOF(members); i++) {
			name = cv_status_node_name(e, members[i]);
			cv_strbuf_printf(b, name ? " %s (%" PRIu32 ")%s" : " %snode %" PRIu32 "%s",
					 name ? name : "", members[i],
					 cv_engine_node_standby(e, members[i]) ? " standby" : "");
		}
		cv_strbuf_append(b, "\n");
	}
	cv_strbuf_printf(b, "lease %" PRIu32 " ms, guard %" PRIu32 " ms\n", cv_engine_lease_ms(e),
			 cv_engine_guard_ms(e));
	if (cv_engine_maintenance(e))
		cv_strbuf_append(b, "MAINTENANCE MODE: placement moves nothing, nobody takes a VIP "
				    "(corovipctl maintenance off)\n");
}

static bool
cloud_of(const struct cv_ipc_report *r, size_t i, struct cv_backend_status *ret)
{
	*ret = (struct cv_backend_status){};
	return r->cloud && r->cloud(r->userdata, i, ret);
}

/* aws: what its modes move (the resource's kind). */
static const char *const aws_what[_CV_CLOUD_MODE_MAX] = {
	[CV_CLOUD_ELASTIC_IP] = "Elastic IP",
	[CV_CLOUD_SECONDARY_IP] = "secondary IP of ENI",
	[CV_CLOUD_ROUTE] = "route of table",
};

/* "  cloud: floating IP F -> port P (FIXED_IP), epoch E by node N, revision R, read at T"
 * or "  cloud: port P allows ADDR, revision R, read at T" (the pair modes)
 * or "  cloud: Elastic IP A on ENI, epoch E of ring R by node N, read at T" (aws) */
static void
text_cloud(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	const struct cv_vip_conf *v = &cv_engine_config(r->engine)->vips[i];
	struct cv_backend_status c;
	char when[64];

	if (!cloud_of(r, i, &c))
		return;
	if (c.read_at_ms) {
		cv_status_local_time((time_t)(c.read_at_ms / 1000), when, sizeof(when));
		if (v->backend == CV_BACKEND_AWS)
			cv_strbuf_printf(b, "  cloud: %s %s on %s", aws_what[v->mode], c.resource,
					 c.where[0] ? c.where : "no ENI");
		else if (v->mode != CV_CLOUD_FLOATING_IP)
			cv_strbuf_printf(b, "  cloud: port %s %s", c.resource,
					 c.where[0] ? "allows the address" : "does NOT allow the address");
		else
			cv_strbuf_printf(b, "  cloud: floating IP %s -> %s%s%s%s", c.resource,
					 c.where[0] ? "port " : "no port", c.where,
					 c.fixed_ip[0] ? " (" : "", c.fixed_ip);
		if (c.fixed_ip[0])
			cv_strbuf_append(b, ")");
		if (c.epoch)
			cv_strbuf_printf(b, ", epoch %" PRIu64 " of ring %" PRIu64 " by node %" PRIu32,
					 c.epoch, c.ring, c.node);
		if (v->backend != CV_BACKEND_AWS) /* EC2 has no revisions */
			cv_strbuf_printf(b, ", revision %" PRIu64, c.revision);
		cv_strbuf_printf(b, ", read at %s\n", when);
	}
	if (c.error_at_ms) {
		cv_status_local_time((time_t)(c.error_at_ms / 1000), when, sizeof(when));
		cv_strbuf_printf(b, "  cloud: last failure at %s: ", when);
		cv_status_append_utf8(b, c.error);
		cv_strbuf_append(b, "\n");
	}
}

static void
text_vip(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	const struct cv_engine *e = r->engine;
	const struct cv_vip_conf *v = &cv_engine_config(e)->vips[i];
	const struct cv_ipc_transition *t = cv_status_transition_of(r, i);
	uint32_t owner = cv_engine_vip_owner(e, i);
	const char *owner_name = cv_status_node_name(e, owner);
	char addr[256], when[64];

	cv_strbuf_printf(b, "VIP '%s' %s on %s: %s here, owner %s%s%" PRIu32 "%s, epoch %" PRIu64 "\n",
			 v->head.name, cv_vip_format_addrs(v, addr, sizeof(addr)),
			 v->interface ? v->interface : "-",
			 cv_vip_state_to_string(cv_engine_vip_state(e, i)),
			 owner_name ? owner_name : "", owner_name ? " (" : "node ", owner,
			 owner_name ? ")" : "", cv_engine_vip_epoch(e, i));
	cv_status_why_text(b, r, i);
	text_cloud(b, r, i);
	if (!t)
		return;
	cv_status_local_time(t->at, when, sizeof(when));
	cv_strbuf_printf(b, "  last transition: %s -> %s (%s) at %s, %" PRIu64 " in all\n",
			 cv_vip_state_to_string(t->from), cv_vip_state_to_string(t->to),
			 cv_reason_to_string(t->reason), when, t->count);
}

static void
text_checks(struct cv_strbuf *b, const struct cv_ipc_report *r)
{
	char when[64];

	if (r->n_checks)
		cv_strbuf_append(b, "health checks on this node:\n");
	for (size_t i = 0; i < r->n_checks; i++) {
		const struct cv_ipc_check *c = &r->checks[i];

		if (c->since)
			cv_status_local_time(c->since, when, sizeof(when));
		cv_strbuf_printf(b, "  check '%s' (%s): %s%s%s, %" PRIu64 " runs, last: ", c->name,
				 c->kind, c->passing ? "passing" : "failing",
				 c->since ? " since " : " from the start", c->since ? when : "",
				 c->runs);
		cv_status_append_utf8(b, c->last[0] ? c->last : "-");
		cv_strbuf_append(b, "\n");
	}
}

int
cv_ipc_status_text(const struct cv_ipc_report *r, char **ret)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};

	if (!r->engine) {
		cv_strbuf_append(&b, "not connected to corosync yet\n");
		return cv_strbuf_steal(&b, ret);
	}
	text_cluster(&b, r->engine);
	cv_status_nodes_text(&b, r);
	/* Thousands of VIPs take a while: the loop beats as it goes. */
	for (size_t i = 0; i < cv_engine_n_vips(r->engine); i++) {
		cv_status_progress(r);
		text_vip(&b, r, i);
	}
	text_checks(&b, r);
	return cv_strbuf_steal(&b, ret);
}

/* ---- status --json ---- */

static struct json_object *
json_node(const struct cv_engine *e, uint32_t id, int *err)
{
	struct json_object *o = json_object_new_object();
	const char *name = cv_status_node_name(e, id);

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	cv_status_add(o, "id", json_object_new_int64(id), err);
	if (name)
		cv_status_add(o, "name", json_object_new_string(name), err);
	else if (json_object_object_add(o, "name", NULL) < 0) /* NULL is JSON's null */
		*err = -ENOMEM;
	cv_status_add(o, "standby", json_object_new_boolean(cv_engine_node_standby(e, id)), err);
	return o;
}

static struct json_object *
json_cluster(const struct cv_engine *e, int *err)
{
	struct json_object *o = json_object_new_object(), *m = json_object_new_array(), *ring;
	uint32_t members[CV_MAX_NODES];
	struct cv_ring_id rid;
	size_t n = 0;
	bool have = cv_engine_view(e, &rid, members, ELEMENTSOF(members), &n);

	if (!o || !m) {
		json_object_put(o);
		json_object_put(m);
		*err = -ENOMEM;
		return NULL;
	}
	cv_status_add(o, "node", json_node(e, cv_engine_nodeid(e), err), err);
	cv_status_add(o, "quorate", json_object_new_boolean(cv_engine_quorate(e)), err);
	for (size_t i = 0; have && i < n && i < ELEMENTSOF(members); i++)
		if (json_object_array_add(m, json_node(e, members[i], err)) < 0)
			*err = -ENOMEM;
	cv_status_add(o, "members", m, err);
	ring = json_object_new_object();
	cv_status_add(o, "ring", ring, err);
	if (ring && have) {
		cv_status_add(ring, "nodeid", json_object_new_int64(rid.nodeid), err);
		cv_status_add(ring, "seq", json_object_new_uint64(rid.seq), err);
	}
	cv_status_add(o, "lease_ms", json_object_new_int64(cv_engine_lease_ms(e)), err);
	cv_status_add(o, "guard_ms", json_object_new_int64(cv_engine_guard_ms(e)), err);
	cv_status_add(o, "maintenance", json_object_new_boolean(cv_engine_maintenance(e)), err);
	return o;
}

static struct json_object *
json_transition(const struct cv_ipc_transition *t, int *err)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	cv_status_add(o, "from", json_object_new_string(cv_vip_state_to_string(t->from)), err);
	cv_status_add(o, "to", json_object_new_string(cv_vip_state_to_string(t->to)), err);
	cv_status_add(o, "reason", json_object_new_string(cv_reason_to_string(t->reason)), err);
	cv_status_add(o, "time", json_object_new_int64((int64_t)t->at), err);
	cv_status_add_time_ms(o, "at", (int64_t)t->at * 1000, err);
	cv_status_add(o, "count", json_object_new_uint64(t->count), err);
	return o;
}

/* The read's stamp and time, a failure's words and time (every cloud). */
static void
json_cloud_read(struct json_object *o, const struct cv_backend_status *c, int *err)
{
	if (c->read_at_ms) {
		cv_status_add(o, "ring", json_object_new_uint64(c->ring), err);
		cv_status_add(o, "epoch", json_object_new_uint64(c->epoch), err);
		cv_status_add(o, "node", json_object_new_uint64(c->node), err);
		cv_status_add_time_ms(o, "read_at", (int64_t)c->read_at_ms, err);
	}
	if (c->error_at_ms) {
		cv_status_add_text(o, "error", c->error, err);
		cv_status_add_time_ms(o, "error_at", (int64_t)c->error_at_ms, err);
	}
}

/*
 * aws: {"allocation_id" (elastic_ip), "eni" (secondary_ip: ours) or
 * "route_table" (route); "on": the ENI that had it at the read (null:
 * none); the stamp beside it ("ring", "epoch", "node": 0 none), "read_at"}.
 */
static struct json_object *
json_cloud_aws(struct json_object *o, const struct cv_vip_conf *v,
	       const struct cv_backend_status *c, int *err)
{
	static const char *const key[_CV_CLOUD_MODE_MAX] = {
		[CV_CLOUD_ELASTIC_IP] = "allocation_id",
		[CV_CLOUD_SECONDARY_IP] = "eni",
		[CV_CLOUD_ROUTE] = "route_table",
	};

	cv_status_add(o, key[v->mode] ? key[v->mode] : "resource", json_object_new_string(c->resource),
		      err);
	if (c->read_at_ms)
		cv_status_add_string(o, "on", c->where, err);
	json_cloud_read(o, c, err);
	return o;
}

/*
 * What the VIP's cloud backend last saw (times in Unix ms; what was never
 * read left out). openstack's floating-IP mode: {"floating_ip", "port",
 * "fixed_ip", "revision"}; its pair modes: {"port", "allows" (our port lets
 * the address through), "revision"}; aws: json_cloud_aws; every one:
 * "ring", "epoch", "node" (the stamp of the last move there, 0s: none) and
 * "read_at" once read, "error", "error_at" after a failure.
 */
static struct json_object *
json_cloud(const struct cv_vip_conf *v, const struct cv_backend_status *c, int *err)
{
	struct json_object *o = json_object_new_object();
	bool fip = v->mode == CV_CLOUD_FLOATING_IP;

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	if (v->backend == CV_BACKEND_AWS)
		return json_cloud_aws(o, v, c, err);
	cv_status_add(o, fip ? "floating_ip" : "port", json_object_new_string(c->resource), err);
	if (c->read_at_ms && fip) {
		cv_status_add_string(o, "port", c->where, err);
		cv_status_add_string(o, "fixed_ip", c->fixed_ip, err);
	} else if (c->read_at_ms) {
		cv_status_add(o, "allows", json_object_new_boolean(c->where[0] != 0), err);
	}
	if (c->read_at_ms)
		cv_status_add(o, "revision", json_object_new_uint64(c->revision), err);
	json_cloud_read(o, c, err);
	return o;
}

/* [{"address": "ADDR/P", "interface": IF}, ...]: a group's every address. */
static struct json_object *
json_addresses(const struct cv_vip_conf *v, int *err)
{
	struct json_object *a = json_object_new_array();
	char addr[CV_ADDR_STRLEN];

	for (size_t k = 0; a && k < v->addrs.n; k++) {
		struct json_object *o = json_object_new_object();
		const char *ifname = cv_vip_addr_ifname(v, k);

		if (!o || json_object_array_add(a, o) < 0) {
			json_object_put(o);
			break;
		}
		cv_status_add(o, "address",
		    json_object_new_string(cv_addr_format(&v->addrs.v[k].addr, true, addr, sizeof(addr))),
		    err);
		if (ifname)
			cv_status_add(o, "interface", json_object_new_string(ifname), err);
	}
	if (!a)
		*err = -ENOMEM;
	return a;
}

static struct json_object *
json_vip(const struct cv_ipc_report *r, size_t i, int *err)
{
	const struct cv_engine *e = r->engine;
	const struct cv_vip_conf *v = &cv_engine_config(e)->vips[i];
	const struct cv_ipc_transition *t = cv_status_transition_of(r, i);
	struct json_object *o = json_object_new_object();
	struct cv_backend_status c;
	char addr[CV_ADDR_STRLEN];

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	cv_status_add(o, "name", json_object_new_string(v->head.name), err);
	/* the first address, as before groups; all of them under "addresses" */
	cv_status_add(o, "address",
	    json_object_new_string(cv_addr_format(cv_vip_first_addr(v), true, addr, sizeof(addr))),
	    err);
	cv_status_add(o, "addresses", json_addresses(v, err), err);
	if (v->interface)
		cv_status_add(o, "interface", json_object_new_string(v->interface), err);
	cv_status_add(o, "state", json_object_new_string(cv_vip_state_to_string(cv_engine_vip_state(e, i))),
	    err);
	cv_status_add(o, "owner", json_node(e, cv_engine_vip_owner(e, i), err), err);
	cv_status_add(o, "epoch", json_object_new_uint64(cv_engine_vip_epoch(e, i)), err);
	cv_status_add(o, "placed", json_object_new_string(cv_place_reason_to_string(cv_engine_vip_place_reason(e, i))),
	    err);
	if (t)
		cv_status_add(o, "last_transition", json_transition(t, err), err);
	cv_status_add(o, "why", cv_status_why_json(r, i, err), err);
	if (cloud_of(r, i, &c))
		cv_status_add(o, "cloud", json_cloud(v, &c, err), err);
	return o;
}

static struct json_object *
json_check(const struct cv_ipc_check *c, int *err)
{
	struct json_object *o = json_object_new_object();

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	cv_status_add(o, "name", json_object_new_string(c->name), err);
	cv_status_add(o, "kind", json_object_new_string(c->kind), err);
	cv_status_add(o, "passing", json_object_new_boolean(c->passing), err);
	if (c->since) {
		cv_status_add(o, "since", json_object_new_int64((int64_t)c->since), err);
		cv_status_add_time_ms(o, "changed_at", (int64_t)c->since * 1000, err);
	}
	cv_status_add(o, "runs", json_object_new_uint64(c->runs), err);
	cv_status_add_text(o, "last", c->last, err);
	return o;
}

static void
json_putp(struct json_object **o)
{
	json_object_put(*o);
}

int
cv_ipc_status_json(const struct cv_ipc_report *r, char **ret)
{
	_cleanup_(json_putp) struct json_object *root = json_object_new_object();
	struct json_object *vips = json_object_new_array(), *checks = json_object_new_array();
	const char *s;
	int err = 0;

	if (!root || !vips || !checks) {
		json_object_put(vips);
		json_object_put(checks);
		return -ENOMEM;
	}
	/* docs/status-schema.json: a new major number only when a field
	 * changes meaning or goes (fields are added within a version) */
	cv_status_add(root, "schema_version", json_object_new_int(CV_STATUS_SCHEMA_VERSION), &err);
	cv_status_add_time_ms(root, "generated_at", r->unix_now_ms, &err);
	cv_status_add(root, "connected", json_object_new_boolean(r->engine != NULL), &err);
	cv_status_add(root, "vips", vips, &err);
	cv_status_add(root, "checks", checks, &err);
	for (size_t i = 0; i < r->n_checks; i++)
		if (json_object_array_add(checks, json_check(&r->checks[i], &err)) < 0)
			err = -ENOMEM;
	if (r->engine) {
		cv_status_add(root, "cluster", json_cluster(r->engine, &err), &err);
		cv_status_add(root, "nodes", cv_status_nodes_json(r, &err), &err);
		for (size_t i = 0; i < cv_engine_n_vips(r->engine); i++) {
			cv_status_progress(r);
			if (json_object_array_add(vips, json_vip(r, i, &err)) < 0)
				err = -ENOMEM;
		}
	}
	cv_status_progress(r);
	s = err < 0 ? NULL : json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	if (!s)
		return -ENOMEM;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}
