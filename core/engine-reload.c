/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A new config replaces the running one (docs/safety.md, "Reloads"): the
 * runtime of each VIP follows it by name, a VIP removed or changed is
 * released under its old settings (an orphan, engine-orphan.c), and the
 * exchange restarts so that every member places from the same claims.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"
#include "vip-fsm.h"

/* The peers' per-VIP digests follow the VIPs to their indices in the new config. */
static int
remap_peer_digests(struct cv_engine *e, const struct cv_engine *old)
{
	for (size_t p = 0; p < e->n_peers; p++) {
		uint32_t *nd, *od = e->peers[p].vip_digests;

		if (!od)
			continue;
		nd = calloc(e->n_vips ? e->n_vips : 1, sizeof(*nd));
		if (!nd)
			return -ENOMEM;
		for (size_t i = 0; i < old->n_vips; i++) {
			int j = cv_engine_vip_by_name(e, old->cfg->vips[i].head.name);

			if (j >= 0)
				nd[j] = od[i];
		}
		free(od);
		e->peers[p].vip_digests = nd;
	}
	return 0;
}

/*
 * A VIP of the old config that the reload removes, or changes (address,
 * backend, interface): its address goes under the old config, and RELEASED
 * follows once that is done (an orphan, engine-orphan.c). Our STATE with
 * the new config goes out first, so the others have moved the VIP away from
 * us when that RELEASED comes (rule 3). A changed VIP keeps the rest of its
 * runtime (epochs, blockers, move) but not its owner: placement decides the
 * new address afresh.
 */
static int
release_old(struct cv_engine *e, struct cv_engine *old, size_t i)
{
	struct vip_rt *ov = &old->vips[i];

	/* (Not while an orphan of the name, an earlier reload's, is still
	 * removing an address: that one says RELEASED once it is done.) */
	if (ov->state == CV_VIP_WAITING && !cv_engine_orphan_pending(e, old->cfg->vips[i].head.name))
		cv_engine_send_released_named(e, old->cfg->vips[i].head.name, ov->epoch);
	if (ov->state == CV_VIP_HELD)
		cv_actions_push(e->out, &(struct cv_action){ .type = CV_ACT_TRANSITION,
					    .vip = (uint32_t)i,
					    .conf = &old->cfg->vips[i],
					    .from = CV_VIP_HELD,
					    .to = CV_VIP_RELEASING,
					    .reason = CV_REASON_RELOAD });
	if (ov->state == CV_VIP_HELD || ov->state == CV_VIP_RELEASING)
		return cv_engine_orphan_add(e, &old->cfg->vips[i], ov, ov->state == CV_VIP_HELD);
	return 0;
}

static bool
same_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Held the same way: a floating IP moved to another port is another holding. */
static bool
same_address(const struct cv_vip_conf *a, const struct cv_vip_conf *b)
{
	/* every address, in order, each with its interface */
	return cv_vip_addrs_equal(&a->addrs, &b->addrs) && a->backend == b->backend &&
	       same_str(a->interface, b->interface) && same_str(a->cloud, b->cloud) &&
	       same_str(a->floating_ip, b->floating_ip) && same_str(a->port, b->port) &&
	       same_str(a->fixed_ip, b->fixed_ip) && same_str(a->allocation_id, b->allocation_id) &&
	       same_str(a->eni, b->eni) && same_str(a->route_table, b->route_table) &&
	       a->mode == b->mode;
}

/* VIP i's runtime, its bans with it (old frees what is left in it). */
static struct vip_rt
take_vip(struct cv_engine *old, size_t i)
{
	struct vip_rt v = old->vips[i];

	old->vips[i].bans = NULL;
	old->vips[i].n_bans = 0;
	return v;
}

static int
carry_vips(struct cv_engine *e, struct cv_engine *old)
{
	for (size_t i = 0; i < old->n_vips; i++) {
		const struct cv_vip_conf *oc = &old->cfg->vips[i];
		const struct cv_vip_conf *nc = cv_config_find_vip(e->cfg, oc->head.name);
		struct vip_rt *v = nc ? &e->vips[nc - e->cfg->vips] : NULL;
		bool h = v ? v->local_healthy : false, f = v ? v->local_fallback : false;
		bool pass = v ? v->local_passes : false;
		int r = 0;

		if (v && same_address(nc, oc)) {
			*v = take_vip(old, i);
			v->local_healthy = h && !v->link_down; /* same interface: same link */
			v->local_fallback = f && !v->link_down;
			v->local_passes = pass;
			v->add_failed = false;
			continue;
		}
		if (old->vips[i].state != CV_VIP_IDLE)
			r = release_old(e, old, i);
		if (r < 0)
			return r;
		if (v) {
			*v = take_vip(old, i);
			v->state = CV_VIP_IDLE;
			/* Not the owner of the new address for having held the
			 * old one: placement decides it afresh. */
			v->owner = 0;
			v->retry_at = NEVER;
			v->add_pending = false;
			v->local_healthy = h;
			v->local_fallback = f;
			v->local_passes = pass;
			v->add_failed = false;
			v->link_down = 0;
		}
	}
	return 0;
}

int
cv_engine_on_reload(struct cv_engine *e, const struct cv_event *ev)
{
	struct cv_engine old = *e;
	int r;

	e->vips = NULL;
	r = cv_engine_load_config(e, ev->reload.config, ev->reload.nodeids);
	if (r < 0) {
		cv_engine_unload_config(e);
		*e = old;
		return r;
	}
	r = remap_peer_digests(e, &old);
	if (r < 0)
		return r; /* fatal for the daemon: -ENOMEM */
	/* Their foreign keys were judged against the old config (an address
	 * it claimed as we did may be one of our new VIPs' now): any address
	 * until their next STATE, the answer to our RESEND, lest a RELEASED
	 * by name clear them (advI-stale-foreign-released). */
	for (size_t p = 0; p < e->n_peers; p++) {
		e->peers[p].foreign_all = true;
		/* ... and their definitions that were not ours may be ours now:
		 * none known until then (nothing is taken meanwhile: our STATE
		 * restarts the exchange, engine-msg.c) */
		e->peers[p].n_defs = 0;
	}
	for (size_t c = 0; c < e->cfg->n_checks; c++)
		for (size_t k = 0; k < old.cfg->n_checks; k++)
			if (strcmp(e->cfg->checks[c].head.name, old.cfg->checks[k].head.name) == 0)
				e->check_ok[c] = old.check_ok[k];
	/* load_config judged the VIPs before the checks' states came over */
	for (size_t i = 0; i < e->n_vips; i++) {
		e->vips[i].local_healthy = cv_engine_vip_locally_healthy(e, &e->cfg->vips[i]);
		e->vips[i].local_fallback = cv_engine_vip_locally_fallback(e, &e->cfg->vips[i]);
		e->vips[i].local_passes = e->cfg->vips[i].exclusive && e->vips[i].local_healthy;
	}
	r = carry_vips(e, &old);
	cv_engine_recount(e); /* carry_vips copied states and marks over */
	/* A VIP new to us, or an address new to us (the VIP's address,
	 * backend or interface changed), may be held by any other node: one
	 * that reloaded first (its STATE named a VIP we did not know), or one
	 * that held it before an earlier reload of ours removed or changed it
	 * (and what we knew of it with it: a reload there and back again
	 * forgot the holder of the first address, the owner we dropped,
	 * prop-reload-back-frozen-holder). Each is a blocker until its word
	 * (the answer to our RESEND) or its deadline: its daemon and reaper
	 * may be dead. */
	for (size_t i = 0; r >= 0 && i < e->n_vips; i++) {
		const struct cv_vip_conf *nc = &e->cfg->vips[i];
		const struct cv_vip_conf *oc = cv_config_find_vip(old.cfg, nc->head.name);

		if (oc && same_address(nc, oc))
			continue;
		for (size_t s = 0; s < e->n_peers; s++)
			if (e->peers[s].nodeid != e->me)
				e->vips[i].blockers |= UINT64_C(1) << s;
	}
	cv_engine_free_vips(old.vips, old.n_vips);
	cv_engine_bans_rescan(e);
	free(old.by_name);
	free(old.check_ok);
	free(old.node_ids);
	free(old.vip_digests);
	if (r < 0)
		return r;
	e->placement_dirty = true;
	e->ask_resend = true;
	/* Nothing is taken under the new config before every member has our
	 * STATE: placement must see our new digests first (engine-msg.c). */
	e->own_state_pending = true;
	cv_engine_send_state(e); /* our digests and health changed; theirs may be news to us */
	cv_engine_reconsider_view(e);
	return 0;
}

