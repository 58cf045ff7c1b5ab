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
#include "strbuf.h"

/* The config's name of node id, or NULL (not in the config, or id unknown). */
static const char *
node_name(const struct cv_engine *e, uint32_t id)
{
	const struct cv_config *cfg = cv_engine_config(e);

	for (size_t i = 0; id && i < cfg->n_nodes; i++)
		if (cv_engine_node_id(e, i) == id)
			return cfg->nodes[i].head.name;
	return NULL;
}

static const struct cv_ipc_transition *
transition_of(const struct cv_ipc_report *r, size_t vip)
{
	return vip < r->n_transitions && r->transitions[vip].vip[0] ? &r->transitions[vip] : NULL;
}

static void
format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* ---- status, for people ---- */

static void
text_cluster(struct cv_strbuf *b, const struct cv_engine *e)
{
	uint32_t me = cv_engine_nodeid(e), members[CV_MAX_NODES];
	const char *name = node_name(e, me);
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
			name = node_name(e, members[i]);
			cv_strbuf_printf(b, name ? " %s (%" PRIu32 ")%s" : " %snode %" PRIu32 "%s",
					 name ? name : "", members[i],
					 cv_engine_node_standby(e, members[i]) ? " standby" : "");
		}
		cv_strbuf_append(b, "\n");
	}
	cv_strbuf_printf(b, "lease %" PRIu32 " ms, guard %" PRIu32 " ms\n", cv_engine_lease_ms(e),
			 cv_engine_guard_ms(e));
}

static bool
cloud_of(const struct cv_ipc_report *r, size_t i, struct cv_backend_status *ret)
{
	*ret = (struct cv_backend_status){};
	return r->cloud && r->cloud(r->userdata, i, ret);
}

/* "  cloud: floating IP F -> port P (FIXED_IP), epoch E by node N, revision R, read at T"
 * or "  cloud: port P allows ADDR, revision R, read at T" (the pair modes) */
static void
text_cloud(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	const struct cv_vip_conf *v = &cv_engine_config(r->engine)->vips[i];
	struct cv_backend_status c;
	char when[64];

	if (!cloud_of(r, i, &c))
		return;
	if (c.read_at_ms) {
		format_time((time_t)(c.read_at_ms / 1000), when, sizeof(when));
		if (v->mode != CV_CLOUD_FLOATING_IP)
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
		cv_strbuf_printf(b, ", revision %" PRIu64 ", read at %s\n", c.revision, when);
	}
	if (c.error_at_ms) {
		format_time((time_t)(c.error_at_ms / 1000), when, sizeof(when));
		cv_strbuf_printf(b, "  cloud: last failure at %s: %s\n", when, c.error);
	}
}

static void
text_vip(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	const struct cv_engine *e = r->engine;
	const struct cv_vip_conf *v = &cv_engine_config(e)->vips[i];
	const struct cv_ipc_transition *t = transition_of(r, i);
	uint32_t owner = cv_engine_vip_owner(e, i);
	const char *owner_name = node_name(e, owner);
	char addr[256], when[64];

	cv_strbuf_printf(b, "VIP '%s' %s on %s: %s here, owner %s%s%" PRIu32 "%s, epoch %" PRIu64 "\n",
			 v->head.name, cv_vip_format_addrs(v, addr, sizeof(addr)),
			 v->interface ? v->interface : "-",
			 cv_vip_state_to_string(cv_engine_vip_state(e, i)),
			 owner_name ? owner_name : "", owner_name ? " (" : "node ", owner,
			 owner_name ? ")" : "", cv_engine_vip_epoch(e, i));
	if (cv_engine_vip_place_reason(e, i) == CV_PLACE_SPLIT)
		cv_strbuf_printf(b, "  held by nobody: more than one node passes its checks (%s: "
				 "exclusive)\n", v->check.n ? v->check.names[0] : "-");
	text_cloud(b, r, i);
	if (!t)
		return;
	format_time(t->at, when, sizeof(when));
	cv_strbuf_printf(b, "  last transition: %s -> %s (%s) at %s, %" PRIu64 " in all\n",
			 cv_vip_state_to_string(t->from), cv_vip_state_to_string(t->to),
			 cv_reason_to_string(t->reason), when, t->count);
}

static void
progress(const struct cv_ipc_report *r)
{
	if (r->progress)
		r->progress();
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
			format_time(c->since, when, sizeof(when));
		cv_strbuf_printf(b, "  check '%s' (%s): %s%s%s, %" PRIu64 " runs, last: %s\n", c->name,
				 c->kind, c->passing ? "passing" : "failing",
				 c->since ? " since " : " from the start", c->since ? when : "",
				 c->runs, c->last[0] ? c->last : "-");
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
	/* Thousands of VIPs take a while: the loop beats as it goes. */
	for (size_t i = 0; i < cv_engine_n_vips(r->engine); i++) {
		progress(r);
		text_vip(&b, r, i);
	}
	text_checks(&b, r);
	return cv_strbuf_steal(&b, ret);
}

/* ---- status --json ---- */

/* json-c's constructors and adders fail only without memory: callers check *err once. */
static void
add(struct json_object *o, const char *key, struct json_object *v, int *err)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		*err = -ENOMEM;
	}
}

/* "" as JSON null */
static void
add_string_or_null(struct json_object *o, const char *key, const char *s, int *err)
{
	if (!*s) {
		if (json_object_object_add(o, key, NULL) < 0)
			*err = -ENOMEM;
		return;
	}
	add(o, key, json_object_new_string(s), err);
}

static struct json_object *
json_node(const struct cv_engine *e, uint32_t id, int *err)
{
	struct json_object *o = json_object_new_object();
	const char *name = node_name(e, id);

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	add(o, "id", json_object_new_int64(id), err);
	if (name)
		add(o, "name", json_object_new_string(name), err);
	else if (json_object_object_add(o, "name", NULL) < 0) /* NULL is JSON's null */
		*err = -ENOMEM;
	add(o, "standby", json_object_new_boolean(cv_engine_node_standby(e, id)), err);
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
	add(o, "node", json_node(e, cv_engine_nodeid(e), err), err);
	add(o, "quorate", json_object_new_boolean(cv_engine_quorate(e)), err);
	for (size_t i = 0; have && i < n && i < ELEMENTSOF(members); i++)
		if (json_object_array_add(m, json_node(e, members[i], err)) < 0)
			*err = -ENOMEM;
	add(o, "members", m, err);
	ring = json_object_new_object();
	add(o, "ring", ring, err);
	if (ring && have) {
		add(ring, "nodeid", json_object_new_int64(rid.nodeid), err);
		add(ring, "seq", json_object_new_uint64(rid.seq), err);
	}
	add(o, "lease_ms", json_object_new_int64(cv_engine_lease_ms(e)), err);
	add(o, "guard_ms", json_object_new_int64(cv_engine_guard_ms(e)), err);
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
	add(o, "from", json_object_new_string(cv_vip_state_to_string(t->from)), err);
	add(o, "to", json_object_new_string(cv_vip_state_to_string(t->to)), err);
	add(o, "reason", json_object_new_string(cv_reason_to_string(t->reason)), err);
	add(o, "time", json_object_new_int64((int64_t)t->at), err);
	add(o, "count", json_object_new_uint64(t->count), err);
	return o;
}

/*
 * What the VIP's cloud backend last saw (times in Unix ms; what was never
 * read left out). Floating-IP mode: {"floating_ip", "port", "fixed_ip",
 * "epoch", "node", "revision", "read_at"}; the pair modes: {"port",
 * "allows" (our port lets the address through), "revision", "read_at"};
 * both: "error", "error_at" after a failure.
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
	add(o, fip ? "floating_ip" : "port", json_object_new_string(c->resource), err);
	if (c->read_at_ms && fip) {
		add_string_or_null(o, "port", c->where, err);
		add_string_or_null(o, "fixed_ip", c->fixed_ip, err);
		add(o, "ring", json_object_new_uint64(c->ring), err);
		add(o, "epoch", json_object_new_uint64(c->epoch), err);
		add(o, "node", json_object_new_uint64(c->node), err);
	} else if (c->read_at_ms) {
		add(o, "allows", json_object_new_boolean(c->where[0] != 0), err);
	}
	if (c->read_at_ms) {
		add(o, "revision", json_object_new_uint64(c->revision), err);
		add(o, "read_at", json_object_new_int64(c->read_at_ms), err);
	}
	if (c->error_at_ms) {
		add(o, "error", json_object_new_string(c->error), err);
		add(o, "error_at", json_object_new_int64(c->error_at_ms), err);
	}
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
		add(o, "address",
		    json_object_new_string(cv_addr_format(&v->addrs.v[k].addr, true, addr, sizeof(addr))),
		    err);
		if (ifname)
			add(o, "interface", json_object_new_string(ifname), err);
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
	const struct cv_ipc_transition *t = transition_of(r, i);
	struct json_object *o = json_object_new_object();
	struct cv_backend_status c;
	char addr[CV_ADDR_STRLEN];

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	add(o, "name", json_object_new_string(v->head.name), err);
	/* the first address, as before groups; all of them under "addresses" */
	add(o, "address",
	    json_object_new_string(cv_addr_format(cv_vip_first_addr(v), true, addr, sizeof(addr))),
	    err);
	add(o, "addresses", json_addresses(v, err), err);
	if (v->interface)
		add(o, "interface", json_object_new_string(v->interface), err);
	add(o, "state", json_object_new_string(cv_vip_state_to_string(cv_engine_vip_state(e, i))),
	    err);
	add(o, "owner", json_node(e, cv_engine_vip_owner(e, i), err), err);
	add(o, "epoch", json_object_new_uint64(cv_engine_vip_epoch(e, i)), err);
	add(o, "placed", json_object_new_string(cv_place_reason_to_string(cv_engine_vip_place_reason(e, i))),
	    err);
	if (t)
		add(o, "last_transition", json_transition(t, err), err);
	if (cloud_of(r, i, &c))
		add(o, "cloud", json_cloud(v, &c, err), err);
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
	add(o, "name", json_object_new_string(c->name), err);
	add(o, "kind", json_object_new_string(c->kind), err);
	add(o, "passing", json_object_new_boolean(c->passing), err);
	if (c->since)
		add(o, "since", json_object_new_int64((int64_t)c->since), err);
	add(o, "runs", json_object_new_uint64(c->runs), err);
	add(o, "last", json_object_new_string(c->last), err);
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
	add(root, "connected", json_object_new_boolean(r->engine != NULL), &err);
	add(root, "vips", vips, &err);
	add(root, "checks", checks, &err);
	for (size_t i = 0; i < r->n_checks; i++)
		if (json_object_array_add(checks, json_check(&r->checks[i], &err)) < 0)
			err = -ENOMEM;
	if (r->engine) {
		add(root, "cluster", json_cluster(r->engine, &err), &err);
		for (size_t i = 0; i < cv_engine_n_vips(r->engine); i++) {
			progress(r);
			if (json_object_array_add(vips, json_vip(r, i, &err)) < 0)
				err = -ENOMEM;
		}
	}
	progress(r);
	s = err < 0 ? NULL : json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	if (!s)
		return -ENOMEM;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

/* ---- metrics (Prometheus text exposition format) ---- */

static void
metric_head(struct cv_strbuf *b, const char *name, const char *type, const char *help)
{
	cv_strbuf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_vips(struct cv_strbuf *b, const struct cv_ipc_report *r)
{
	const struct cv_engine *e = r->engine;
	const struct cv_config *cfg = cv_engine_config(e);
	size_t n = cv_engine_n_vips(e);

	metric_head(b, "corovip_vip_held", "gauge", "1 if this node holds the VIP's address.");
	for (size_t i = 0; i < n; i++)
		cv_strbuf_printf(b, "corovip_vip_held{vip=\"%s\"} %d\n", cfg->vips[i].head.name,
				 cv_engine_vip_state(e, i) == CV_VIP_HELD);
	metric_head(b, "corovip_vip_state", "gauge", "The VIP's local state (1 for the current one).");
	for (size_t i = 0; i < n; i++) {
		progress(r); /* thousands of VIPs take a while */
		for (int s = 0; s < _CV_VIP_STATE_MAX; s++)
			cv_strbuf_printf(b, "corovip_vip_state{vip=\"%s\",state=\"%s\"} %d\n",
					 cfg->vips[i].head.name, cv_vip_state_to_string(s),
					 cv_engine_vip_state(e, i) == (enum cv_vip_state)s);
	}
	metric_head(b, "corovip_vip_transitions_total", "counter",
		    "Local state transitions of the VIP since the daemon started.");
	for (size_t i = 0; i < n; i++) {
		const struct cv_ipc_transition *t = transition_of(r, i);

		cv_strbuf_printf(b, "corovip_vip_transitions_total{vip=\"%s\"} %" PRIu64 "\n",
				 cfg->vips[i].head.name, t ? t->count : 0);
	}
}

static void
metrics_cluster(struct cv_strbuf *b, const struct cv_engine *e)
{
	metric_head(b, "corovip_quorate", "gauge", "1 if this node's adopted view is quorate.");
	cv_strbuf_printf(b, "corovip_quorate %d\n", cv_engine_quorate(e));
	metric_head(b, "corovip_lease_seconds", "gauge", "The holder's lease in use.");
	cv_strbuf_printf(b, "corovip_lease_seconds %.3f\n", cv_engine_lease_ms(e) / 1000.0);
	metric_head(b, "corovip_guard_seconds", "gauge", "The guard time in use before a takeover.");
	cv_strbuf_printf(b, "corovip_guard_seconds %.3f\n", cv_engine_guard_ms(e) / 1000.0);
}

static void
metrics_cpg(struct cv_strbuf *b, const struct cv_cpg_stats *c)
{
	metric_head(b, "corovip_cpg_messages_delivered_total", "counter",
		    "Group messages delivered to this daemon.");
	cv_strbuf_printf(b, "corovip_cpg_messages_delivered_total %" PRIu64 "\n", c->delivered);
	metric_head(b, "corovip_cpg_messages_rejected_total", "counter",
		    "Group messages dropped as undecodable.");
	cv_strbuf_printf(b, "corovip_cpg_messages_rejected_total{reason=\"version\"} %" PRIu64 "\n",
			 c->bad_version);
	cv_strbuf_printf(b, "corovip_cpg_messages_rejected_total{reason=\"malformed\"} %" PRIu64 "\n",
			 c->bad_message);
	metric_head(b, "corovip_cpg_send_retries_total", "counter",
		    "Sends that corosync asked to retry later.");
	cv_strbuf_printf(b, "corovip_cpg_send_retries_total %" PRIu64 "\n", c->send_retries);
}

int
cv_ipc_status_metrics(const struct cv_ipc_report *r, char **ret)
{
	_cleanup_(cv_strbuf_done) struct cv_strbuf b = {};

	metric_head(&b, "corovip_build_info", "gauge", "Always 1; the version in its label.");
	cv_strbuf_printf(&b, "corovip_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
	metric_head(&b, "corovip_up", "gauge", "1 if the daemon is connected to corosync.");
	cv_strbuf_printf(&b, "corovip_up %d\n", r->engine != NULL);
	if (r->engine) {
		metrics_cluster(&b, r->engine);
		metrics_vips(&b, r);
	}
	if (r->cpg)
		metrics_cpg(&b, r->cpg);
	return cv_strbuf_steal(&b, ret);
}
