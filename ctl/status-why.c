/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cluster view in status (issue 17): every configured node, and why
 * each VIP is where it is (core/engine-why.c), for people and in JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cv-macros.h"
#include "status-int.h"
#include "status-why.h"

/* "member, this node, corovipd, 3 VIPs" and the like. */
static void
text_node_facts(struct cv_strbuf *b, const struct cv_node_status *n)
{
	if (!n->nodeid) {
		cv_strbuf_append(b, "node id unknown (not in corosync's nodelist?)");
		return;
	}
	cv_strbuf_append(b, n->in_view ? "member" : n->in_ring ? "member, not in our view"
								  : "offline");
	if (n->me)
		cv_strbuf_append(b, ", this node");
	if (n->in_view && !n->daemon)
		cv_strbuf_append(b, ", corovipd missing");
	if (n->other_config)
		cv_strbuf_append(b, ", config differs (its digest is not the majority's)");
	if (n->silent)
		cv_strbuf_append(b, ", silent (its daemon stopped beating)");
	if (n->standby)
		cv_strbuf_append(b, ", standby");
	cv_strbuf_printf(b, ", %zu VIP%s", n->holds, n->holds == 1 ? "" : "s");
}

void
cv_status_nodes_text(struct cv_strbuf *b, const struct cv_ipc_report *r)
{
	const struct cv_config *cfg = cv_engine_config(r->engine);

	cv_strbuf_append(b, "nodes:\n");
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		struct cv_node_status n;

		cv_engine_node_status(r->engine, i, &n);
		cv_strbuf_printf(b, "  %s", cfg->nodes[i].head.name);
		if (n.nodeid)
			cv_strbuf_printf(b, " (%" PRIu32 ")", n.nodeid);
		cv_strbuf_append(b, ": ");
		text_node_facts(b, &n);
		cv_strbuf_append(b, "\n");
	}
}

static void
text_nodes_list(struct cv_strbuf *b, const struct cv_ipc_report *r, const struct cv_vip_why *w,
		const char *sep)
{
	char who[96];

	for (size_t k = 0; k < w->n_nodes; k++)
		cv_strbuf_printf(b, "%s%s", k ? sep : "",
				 cv_status_node_label(r->engine, w->nodes[k], who, sizeof(who)));
}

static void
text_until(struct cv_strbuf *b, const struct cv_ipc_report *r, uint64_t until)
{
	char when[64];

	if (!until)
		return;
	cv_status_local_time((time_t)(cv_status_unix_ms(r, until) / 1000), when, sizeof(when));
	cv_strbuf_printf(b, " until %s (%" PRId64 " ms from now)", when,
			 CV_MAX((int64_t)until - (int64_t)r->mono_now_ms, (int64_t)0));
}

/* Each configured node's reason not to hold VIP i. */
static void
text_unfit(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	const struct cv_config *cfg = cv_engine_config(r->engine);

	for (size_t k = 0; k < cfg->n_nodes; k++) {
		uint32_t id = cv_engine_node_id(r->engine, k);

		cv_strbuf_printf(b, "%s%s %s", k ? ", " : "", cfg->nodes[k].head.name,
				 cv_unfit_to_string(cv_engine_node_unfit(r->engine, i, id)));
	}
}

static const char *const why_text[_CV_WHY_MAX] = {
	[CV_WHY_NOT_STARTED] = "held by nobody here: no view adopted yet (corosync, the daemons' group)",
	[CV_WHY_NO_QUORUM] = "held by nobody: this partition is not quorate",
	[CV_WHY_TWO_NODE] = "held by nobody: a plain two_node cluster needs a quorum device "
			    "(corosync-qdevice) or two_node_unsafe: yes",
	[CV_WHY_LAPSED] = "held by nobody here: this daemon's lease lapsed (it ran late); it "
			  "takes again once its heartbeats are delivered",
	[CV_WHY_EXCHANGE] = "waiting: the members exchange their state",
	[CV_WHY_STARTUP] = "waiting for the daemons of every member to start (startup_wait): ",
	[CV_WHY_NO_ELIGIBLE] = "held by nobody: no eligible node: ",
	[CV_WHY_MAINTENANCE] = "held by nobody: maintenance mode (nobody takes it until "
			       "corovipctl maintenance off)",
	[CV_WHY_SPLIT] = "held by nobody: more than one node passes its checks",
	[CV_WHY_WAIT_RELEASED] = "the owner takes it once these say RELEASED: ",
	[CV_WHY_WAIT_LEASE] = "the owner waits for a kernel lease or the guard of: ",
	[CV_WHY_WAIT_GUARD] = "the owner waits for the guard (quorum was just gained)",
	[CV_WHY_WAIT_KNOWLEDGE] = "waiting to learn who held what before this daemon started",
	[CV_WHY_WAIT_BLOCKED] = "waiting: these members say another node may still hold it: ",
	[CV_WHY_TAKING] = "this node is adding it",
	[CV_WHY_RELEASING] = "this node is removing it",
};

/* corovipctl ban: "  banned: n1 until T (N ms from now), n2 (until cleared)" */
static void
text_bans(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	struct cv_proto_ban bans[CV_PROTO_BANS_MAX];
	size_t n = cv_engine_vip_bans(r->engine, i, bans, ELEMENTSOF(bans));
	char who[96];

	for (size_t k = 0; k < n; k++) {
		cv_strbuf_printf(b, "%s%s", k ? ", " : "  banned (corovipctl ban): ",
				 cv_status_node_label(r->engine, bans[k].node, who, sizeof(who)));
		if (bans[k].remaining_ms)
			text_until(b, r, r->mono_now_ms + bans[k].remaining_ms);
		else
			cv_strbuf_append(b, " (until cleared)");
	}
	if (n)
		cv_strbuf_append(b, "\n");
}

void
cv_status_why_text(struct cv_strbuf *b, const struct cv_ipc_report *r, size_t i)
{
	struct cv_vip_why w;
	char who[96];

	cv_engine_vip_why(r->engine, i, &w);
	text_bans(b, r, i);
	if (w.move_to)
		cv_strbuf_printf(b, "  a move to %s is under way (corovipctl move)\n",
				 cv_status_node_label(r->engine, w.move_to, who, sizeof(who)));
	if (w.why == CV_WHY_HELD)
		return;
	cv_strbuf_printf(b, "  why: %s", why_text[w.why]);
	if (w.why == CV_WHY_SPLIT) {
		const struct cv_vip_conf *v = &cv_engine_config(r->engine)->vips[i];

		cv_strbuf_printf(b, " (%s: exclusive): ", v->check.n ? v->check.names[0] : "-");
	}
	if (w.why == CV_WHY_NO_ELIGIBLE)
		text_unfit(b, r, i);
	else
		text_nodes_list(b, r, &w, ", ");
	text_until(b, r, w.until);
	cv_strbuf_append(b, "\n");
}

/* ---- JSON ---- */

static struct json_object *
json_node_status(const struct cv_ipc_report *r, size_t i, int *err)
{
	const struct cv_config *cfg = cv_engine_config(r->engine);
	struct json_object *o = json_object_new_object();
	struct cv_node_status n;

	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	cv_engine_node_status(r->engine, i, &n);
	cv_status_add(o, "name", json_object_new_string(cfg->nodes[i].head.name), err);
	cv_status_add(o, "id", json_object_new_int64(n.nodeid), err);
	cv_status_add(o, "this_node", json_object_new_boolean(n.me), err);
	cv_status_add(o, "online", json_object_new_boolean(n.in_ring), err);
	cv_status_add(o, "member", json_object_new_boolean(n.in_view), err);
	cv_status_add(o, "daemon", json_object_new_boolean(n.daemon), err);
	cv_status_add(o, "standby", json_object_new_boolean(n.standby), err);
	cv_status_add(o, "config_differs", json_object_new_boolean(n.other_config), err);
	cv_status_add(o, "silent", json_object_new_boolean(n.silent), err);
	cv_status_add(o, "vips", json_object_new_int64((int64_t)n.holds), err);
	return o;
}

struct json_object *
cv_status_nodes_json(const struct cv_ipc_report *r, int *err)
{
	const struct cv_config *cfg = cv_engine_config(r->engine);
	struct json_object *a = json_object_new_array();

	if (!a) {
		*err = -ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < cfg->n_nodes; i++)
		if (json_object_array_add(a, json_node_status(r, i, err)) < 0)
			*err = -ENOMEM;
	return a;
}

static struct json_object *
json_unfit(const struct cv_ipc_report *r, size_t i, int *err)
{
	const struct cv_config *cfg = cv_engine_config(r->engine);
	struct json_object *o = json_object_new_object();

	for (size_t k = 0; o && k < cfg->n_nodes; k++) {
		uint32_t id = cv_engine_node_id(r->engine, k);

		cv_status_add(o, cfg->nodes[k].head.name,
			      json_object_new_string(
				      cv_unfit_to_string(cv_engine_node_unfit(r->engine, i, id))),
			      err);
	}
	if (!o)
		*err = -ENOMEM;
	return o;
}

/* The config's name of the node, or its id as a string. */
static struct json_object *
json_node_name(const struct cv_ipc_report *r, uint32_t nodeid, int *err)
{
	const char *name = cv_status_node_name(r->engine, nodeid);
	char id[16];
	struct json_object *o;

	snprintf(id, sizeof(id), "%" PRIu32, nodeid);
	o = json_object_new_string(name ? name : id);
	if (!o)
		*err = -ENOMEM;
	return o;
}

/* "bans": [{"node": N, "until": ms, "until_iso": T}, ...] (until: a lifetime) */
static void
json_bans(struct json_object *o, const struct cv_ipc_report *r, size_t i, int *err)
{
	struct cv_proto_ban bans[CV_PROTO_BANS_MAX];
	size_t n = cv_engine_vip_bans(r->engine, i, bans, ELEMENTSOF(bans));
	struct json_object *a;

	if (!n)
		return;
	a = json_object_new_array();
	if (!a) {
		*err = -ENOMEM;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		struct json_object *ban = json_object_new_object();

		if (!ban || json_object_array_add(a, ban) < 0) {
			json_object_put(ban);
			*err = -ENOMEM;
			break;
		}
		cv_status_add(ban, "node", json_node_name(r, bans[k].node, err), err);
		if (bans[k].remaining_ms)
			cv_status_add_time_ms(ban, "until",
					      cv_status_unix_ms(r, r->mono_now_ms + bans[k].remaining_ms),
					      err);
	}
	cv_status_add(o, "bans", a, err);
}

struct json_object *
cv_status_why_json(const struct cv_ipc_report *r, size_t i, int *err)
{
	struct json_object *o = json_object_new_object(), *nodes = json_object_new_array();
	struct cv_vip_why w;

	if (!o || !nodes) {
		json_object_put(o);
		json_object_put(nodes);
		*err = -ENOMEM;
		return NULL;
	}
	cv_engine_vip_why(r->engine, i, &w);
	cv_status_add(o, "code", json_object_new_string(cv_why_to_string(w.why)), err);
	for (size_t k = 0; k < w.n_nodes; k++)
		if (json_object_array_add(nodes, json_node_name(r, w.nodes[k], err)) < 0)
			*err = -ENOMEM;
	cv_status_add(o, "nodes", nodes, err);
	if (w.until)
		cv_status_add_time_ms(o, "until", cv_status_unix_ms(r, w.until), err);
	if (w.why == CV_WHY_NO_ELIGIBLE)
		cv_status_add(o, "unfit", json_unfit(r, i, err), err);
	if (w.move_to)
		cv_status_add(o, "move_to", json_node_name(r, w.move_to, err), err);
	json_bans(o, r, i, err);
	return o;
}
