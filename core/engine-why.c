/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The cluster view for status (issue 17): each configured node as this
 * engine sees it, why a node may not hold a VIP, and why a VIP is where it
 * is. Read-only: the same facts placement and the take decision use
 * (engine-place.c), never a second opinion of them. Every member places
 * alike, so any node's status tells the owner and what it waits for; only
 * the owner knows whether its add is done, and its own ignorance.
 */
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

#define BIT(slot) (UINT64_C(1) << (slot))

static bool
in_totem(const struct cv_engine *e, uint32_t nodeid)
{
	for (size_t k = 0; e->have_totem && k < e->n_totem; k++)
		if (e->totem_members[k] == nodeid)
			return true;
	return false;
}

void
cv_engine_node_status(const struct cv_engine *e, size_t node, struct cv_node_status *ret)
{
	uint32_t id = node < e->cfg->n_nodes ? e->node_ids[node] : 0;
	const struct peer *p = id ? cv_engine_peer((struct cv_engine *)e, id, false) : NULL;
	bool me = id && id == e->me;

	*ret = (struct cv_node_status){ .nodeid = id, .me = me, .in_ring = id && in_totem(e, id) };
	if (!id)
		return;
	ret->in_view = me ? e->have_view : p && p->in_view;
	ret->daemon = me || (p && cv_engine_daemon_present(p));
	ret->spoke = p && p->state_fresh;
	ret->standby = cv_engine_node_standby(e, id);
	ret->other_config = p && p->state_fresh && p->digest != e->trusted_digest;
	ret->silent = p && !me && (p->silent || p->excluded);
	for (size_t i = 0; i < e->n_vips; i++)
		ret->holds += e->vips[i].owner == id;
}

/* Our own reasons, which only we know (our STATE says "not healthy"). */
static enum cv_unfit
own_unfit(const struct cv_engine *e, size_t i)
{
	const struct vip_rt *v = &e->vips[i];

	if (v->add_failed)
		return CV_UNFIT_ADD_FAILED;
	if (v->link_down)
		return CV_UNFIT_LINK;
	return v->local_healthy || v->local_fallback ? CV_UNFIT_NONE : CV_UNFIT_CHECK;
}

enum cv_unfit
cv_engine_node_unfit(const struct cv_engine *e, size_t i, uint32_t nodeid)
{
	const struct vip_rt *v = &e->vips[i];
	const struct peer *p = nodeid ? cv_engine_peer((struct cv_engine *)e, nodeid, false) : NULL;
	int s = nodeid ? cv_engine_peer_slot(e, nodeid) : -1;

	if (!p || s < 0 || !p->in_view)
		return CV_UNFIT_OFFLINE;
	if (!cv_engine_daemon_present(p))
		return CV_UNFIT_NO_DAEMON;
	if (!p->state_fresh)
		return CV_UNFIT_NO_WORD;
	if (p->digest != e->trusted_digest || !(cv_engine_agreeing_nodes(e, i) & BIT(s)))
		return CV_UNFIT_OTHER_CONFIG;
	if (p->silent || p->excluded)
		return CV_UNFIT_SILENT;
	if (cv_engine_node_standby(e, nodeid))
		return CV_UNFIT_STANDBY;
	if (cv_engine_banned(e, i, nodeid))
		return CV_UNFIT_BANNED;
	if (nodeid == e->me && own_unfit(e, i) != CV_UNFIT_NONE)
		return own_unfit(e, i);
	return (v->healthy | v->fallback) & BIT(s) ? CV_UNFIT_NONE : CV_UNFIT_CHECK;
}

static void
add_node(struct cv_vip_why *w, uint32_t nodeid)
{
	if (w->n_nodes < ELEMENTSOF(w->nodes))
		w->nodes[w->n_nodes++] = nodeid;
}

static void
add_slots(const struct cv_engine *e, struct cv_vip_why *w, uint64_t slots)
{
	for (size_t s = 0; slots && s < e->n_peers; s++)
		if (slots & BIT(s))
			add_node(w, e->peers[s].nodeid);
}

/*
 * Its owner waits: for whom, and until when (cv_engine_safe_to_take's
 * conditions, in its order). Blockers only whose word clears them come
 * first; those a deadline clears (a kernel lease, the guard) next.
 */
static void
why_waiting(const struct cv_engine *e, size_t i, struct cv_vip_why *w)
{
	const struct vip_rt *v = &e->vips[i];
	int own = cv_engine_peer_slot(e, v->owner);
	uint64_t word = 0, timed = 0, until = 0;

	for (size_t s = 0; s < e->n_peers; s++) {
		uint64_t t;

		if (!(v->blockers & BIT(s)) || (int)s == own)
			continue;
		t = cv_engine_blocker_deadline(e, &e->peers[s]);
		if (t == NEVER) {
			word |= BIT(s);
		} else {
			timed |= BIT(s);
			until = CV_MAX(until, t);
		}
	}
	if (word || timed) {
		*w = (struct cv_vip_why){ .why = word ? CV_WHY_WAIT_RELEASED : CV_WHY_WAIT_LEASE,
					  .until = word ? 0 : until };
		add_slots(e, w, word ? word : timed);
	} else if (cv_engine_quorum_just_gained(e)) {
		*w = (struct cv_vip_why){ .why = CV_WHY_WAIT_GUARD,
					  .until = e->quorum_gained_at + e->guard_ms };
	} else if (v->owner == e->me && cv_engine_ignorant_until(e, i)) {
		uint64_t t = cv_engine_ignorant_until(e, i);

		*w = (struct cv_vip_why){ .why = CV_WHY_WAIT_KNOWLEDGE, .until = t == NEVER ? 0 : t };
	} else if (cv_engine_peers_say_blocked(e, v)) {
		*w = (struct cv_vip_why){ .why = CV_WHY_WAIT_BLOCKED };
		add_slots(e, w, v->peer_blocked);
	} else if (v->owner == e->me && cv_engine_orphan_has_address(e, &e->cfg->vips[i])) {
		*w = (struct cv_vip_why){ .why = CV_WHY_RELEASING };
	} else {
		/* (another owner's add we cannot see: placement's word stands) */
		*w = (struct cv_vip_why){ .why = v->owner != e->me || v->state == CV_VIP_HELD
							 ? CV_WHY_HELD
							 : CV_WHY_TAKING };
	}
}

/* Our start-up wait for members' daemons (engine-view.c), if it holds the exchange. */
static bool
startup_wait(const struct cv_engine *e, struct cv_vip_why *w)
{
	for (size_t s = 0; s < e->n_peers; s++)
		if (cv_engine_awaits_daemon(e, &e->peers[s]))
			add_node(w, e->peers[s].nodeid);
	if (!w->n_nodes)
		return false;
	w->why = CV_WHY_STARTUP;
	w->until = e->settle_until;
	return true;
}

/* The cluster's reasons, before any VIP's own. */
static bool
why_cluster(const struct cv_engine *e, struct cv_vip_why *w)
{
	if (!e->have_view)
		w->why = CV_WHY_NOT_STARTED;
	else if (!e->view_quorate)
		w->why = cv_engine_two_node_refused(e) ? CV_WHY_TWO_NODE : CV_WHY_NO_QUORUM;
	else if (e->lapsed)
		w->why = CV_WHY_LAPSED;
	else if (e->exchange_done)
		return false;
	else if (!startup_wait(e, w))
		w->why = CV_WHY_EXCHANGE;
	return true;
}

void
cv_engine_vip_why(const struct cv_engine *e, size_t i, struct cv_vip_why *w)
{
	const struct vip_rt *v = &e->vips[i];

	*w = (struct cv_vip_why){ .why = CV_WHY_HELD };
	if (v->state == CV_VIP_RELEASING)
		w->why = CV_WHY_RELEASING;
	else if (why_cluster(e, w))
		return;
	else if (v->place_reason == CV_PLACE_SPLIT) {
		w->why = CV_WHY_SPLIT;
		add_slots(e, w, cv_engine_passers(e, i));
	} else if (!v->owner) {
		w->why = cv_engine_maintenance(e) ? CV_WHY_MAINTENANCE : CV_WHY_NO_ELIGIBLE;
	} else {
		why_waiting(e, i, w);
	}
	w->move_to = v->move_target;
}

static const char *const why_names[_CV_WHY_MAX] = {
	[CV_WHY_HELD] = "held",
	[CV_WHY_NOT_STARTED] = "not-started",
	[CV_WHY_NO_QUORUM] = "no-quorum",
	[CV_WHY_TWO_NODE] = "two-node",
	[CV_WHY_LAPSED] = "lapsed",
	[CV_WHY_EXCHANGE] = "exchange",
	[CV_WHY_STARTUP] = "startup-wait",
	[CV_WHY_NO_ELIGIBLE] = "no-eligible-node",
	[CV_WHY_MAINTENANCE] = "maintenance",
	[CV_WHY_SPLIT] = "split",
	[CV_WHY_WAIT_RELEASED] = "wait-released",
	[CV_WHY_WAIT_LEASE] = "wait-lease",
	[CV_WHY_WAIT_GUARD] = "wait-guard",
	[CV_WHY_WAIT_KNOWLEDGE] = "wait-knowledge",
	[CV_WHY_WAIT_BLOCKED] = "wait-blocked",
	[CV_WHY_TAKING] = "taking",
	[CV_WHY_RELEASING] = "releasing",
};

bool
cv_why_in_motion(enum cv_why w)
{
	return w == CV_WHY_EXCHANGE || w == CV_WHY_STARTUP || w == CV_WHY_WAIT_RELEASED || w == CV_WHY_WAIT_LEASE ||
	       w == CV_WHY_WAIT_GUARD || w == CV_WHY_WAIT_KNOWLEDGE || w == CV_WHY_WAIT_BLOCKED ||
	       w == CV_WHY_TAKING || w == CV_WHY_RELEASING;
}

const char *
cv_why_to_string(enum cv_why w)
{
	return (unsigned)w < _CV_WHY_MAX ? why_names[w] : "?";
}

static const char *const unfit_names[_CV_UNFIT_MAX] = {
	[CV_UNFIT_NONE] = "eligible",
	[CV_UNFIT_OFFLINE] = "offline",
	[CV_UNFIT_NO_DAEMON] = "no-daemon",
	[CV_UNFIT_NO_WORD] = "no-state-yet",
	[CV_UNFIT_OTHER_CONFIG] = "other-config",
	[CV_UNFIT_SILENT] = "silent",
	[CV_UNFIT_STANDBY] = "standby",
	[CV_UNFIT_BANNED] = "banned",
	[CV_UNFIT_CHECK] = "check-failing",
	[CV_UNFIT_LINK] = "link-down",
	[CV_UNFIT_ADD_FAILED] = "add-failed",
};

const char *
cv_unfit_to_string(enum cv_unfit u)
{
	return (unsigned)u < _CV_UNFIT_MAX ? unfit_names[u] : "?";
}
