/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's step: dispatch an event, then reconcile — derive what follows
 * from the new state (lease, placement, per-VIP transitions, heartbeats,
 * kernel-lease renewal, the wakeup timer). Where design.md's rules live:
 *
 *   rule 1 (views, arithmetic release)   engine-view.c  on_totem, on_quorum
 *   rule 2 (guard after NODEDOWN)        engine-place.c blocker_cleared
 *   rule 3 (handoffs)                    vip-fsm.c (RELEASED on every way out), engine-place.c
 *   rule 4 (reaper, kernel_lease + 1 s)  engine-place.c blocker_cleared, engine-msg.c RELEASED
 *   rule 5 (heartbeats, epochs, lease)   here: check_lease, heartbeat; engine-msg.c
 *   rule 6 (kernel lease renewal)        here: renew
 *   rule 7 (conn lost, merge, re-announce) here and engine-view.c
 *   rule 8 (never re-add what we do not hold) only HELD VIPs are renewed or re-added,
 *                                        and an address gone is re-added only with a valid lease
 *
 * ADDR_ADD/ADDR_DEL carry our acquisition's epoch (op_epoch); their outcome
 * comes back as CV_EV_ACTION_RESULT (on_result). RELEASED follows a removal
 * only once it is done (RELEASING); a failed one is retried, and counted as
 * done once the kernel lease has surely removed the address.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"
#include "vip-fsm.h"

static void
push(struct cv_engine *e, struct cv_action a)
{
	cv_actions_push(e->out, &a);
}

void
cv_engine_notice(struct cv_engine *e, enum cv_notice n, uint32_t node, const char *text)
{
	push(e, (struct cv_action){ .type = CV_ACT_NOTICE, .notice = n, .node = node, .text = text });
}

void
cv_engine_vip_action(struct cv_engine *e, enum cv_action_type t, size_t i)
{
	push(e, (struct cv_action){ .type = t,
				    .vip = (uint32_t)i,
				    .conf = &e->cfg->vips[i],
				    .epoch = e->vips[i].op_epoch });
}

/* How long a failed removal waits before it is tried again. */
uint64_t
cv_engine_retry_interval(const struct cv_engine *e)
{
	return CV_MAX((uint64_t)e->cfg->cluster.heartbeat_ms * 4, 100);
}

/*
 * By then the kernel has dropped the address whatever we did (rule 6): the
 * lease runs from when the last add or renewal *completed*, so nothing is
 * known while one is still under way.
 */
static uint64_t
gone_by(const struct cv_engine *e, const struct vip_rt *v)
{
	if (v->add_pending || e->renews_pending)
		return NEVER;
	return CV_MAX(v->added_at, e->renewed_at) + e->cfg->cluster.kernel_lease_ms + 1000;
}

/* Run one per-VIP event through the table and carry out its actions in order. */
void
cv_engine_vip_event(struct cv_engine *e, size_t i, enum cv_vip_event ev, enum cv_reason why)
{
	struct vip_rt *v = &e->vips[i];
	struct cv_vip_transition t = cv_vip_fsm_step(v->state, ev);
	enum cv_vip_state from = v->state;

	if (t.actions & CV_VA_DEL)
		cv_engine_vip_action(e, CV_ACT_ADDR_DEL, i);
	if (t.actions & CV_VA_RELEASED)
		cv_engine_send_released(e, i);
	if (t.actions & CV_VA_EPOCH) {
		v->epoch++;
		v->op_epoch = v->epoch;
		e->holdings_epoch++;
	}
	if (t.actions & CV_VA_ADD) {
		cv_engine_vip_action(e, CV_ACT_ADDR_ADD, i);
		if (!v->add_pending)
			v->add_sent_at = e->now;
		v->add_pending = true;
	}
	if (t.actions & CV_VA_DEL)
		v->retry_at = NEVER; /* awaiting its result */
	if (t.next == CV_VIP_WAITING && from != CV_VIP_WAITING)
		v->waiting_since = e->now;
	/* A move to us is done once we hold it: our STATE says so to all. */
	if (t.next == CV_VIP_HELD && from != CV_VIP_HELD && v->move_target == e->me)
		e->state_due = true;
	if (t.actions & CV_VA_ANNOUNCE)
		cv_engine_vip_action(e, CV_ACT_ANNOUNCE, i);
	e->n_in_state[v->state]--;
	e->n_in_state[t.next]++;
	if (v->owner == e->me) {
		e->n_mine_in_state[v->state]--;
		e->n_mine_in_state[t.next]++;
	}
	v->state = t.next;
	if (from != t.next || t.actions)
		push(e, (struct cv_action){ .type = CV_ACT_TRANSITION,
					    .vip = (uint32_t)i,
					    .conf = &e->cfg->vips[i],
					    .from = from,
					    .to = t.next,
					    .reason = why });
	if ((t.actions & CV_VA_ADD) && e->renew_at == NEVER)
		e->renew_at = e->now + e->cfg->cluster.kernel_lease_ms / 3;
}

static bool
any_in(const struct cv_engine *e, enum cv_vip_state state)
{
	return e->n_in_state[state] > 0;
}

bool
cv_engine_holds_any(const struct cv_engine *e)
{
	return any_in(e, CV_VIP_HELD);
}

bool
cv_engine_waits_any(const struct cv_engine *e)
{
	return any_in(e, CV_VIP_WAITING);
}

void
cv_engine_release_all(struct cv_engine *e, enum cv_reason why)
{
	for (size_t i = 0; i < e->n_vips; i++)
		if (e->vips[i].state != CV_VIP_IDLE)
			cv_engine_vip_event(e, i, CV_VE_RELEASE_ALL, why);
	e->renew_at = NEVER;
}

/* ---- lifecycle ---- */

static int
compare_vip_names(const void *a, const void *b)
{
	return strcmp((*(const struct cv_vip_conf *const *)a)->head.name,
		      (*(const struct cv_vip_conf *const *)b)->head.name);
}

/* Whether our checks of l all pass (no checks: they do). */
static bool
checks_pass(const struct cv_engine *e, const struct cv_name_list *l)
{
	for (size_t k = 0; k < l->n; k++)
		for (size_t c = 0; c < e->cfg->n_checks; c++)
			if (strcmp(e->cfg->checks[c].head.name, l->names[k]) == 0 && !e->check_ok[c])
				return false;
	return true;
}

bool
cv_engine_vip_locally_healthy(const struct cv_engine *e, const struct cv_vip_conf *vc)
{
	return checks_pass(e, &vc->check);
}

bool
cv_engine_vip_locally_fallback(const struct cv_engine *e, const struct cv_vip_conf *vc)
{
	return vc->fallback_check.n && checks_pass(e, &vc->fallback_check);
}

/* Build the per-config tables: runtime per VIP, name index, check states, node ids. */
int
cv_engine_load_config(struct cv_engine *e, const struct cv_config *cfg, const uint32_t *nodeids)
{
	size_t nv = cfg->n_vips;

	e->cfg = cfg;
	e->vips = calloc(nv ? nv : 1, sizeof(*e->vips));
	e->by_name = calloc(nv ? nv : 1, sizeof(*e->by_name));
	e->check_ok = calloc(cfg->n_checks ? cfg->n_checks : 1, sizeof(*e->check_ok));
	e->node_ids = calloc(cfg->n_nodes ? cfg->n_nodes : 1, sizeof(*e->node_ids));
	e->vip_digests = calloc(nv ? nv : 1, sizeof(*e->vip_digests));
	if (!e->vips || !e->by_name || !e->check_ok || !e->node_ids || !e->vip_digests)
		return -ENOMEM;
	e->n_vips = nv;
	for (size_t i = 0; i < nv; i++)
		e->vip_digests[i] = cv_config_vip_digest(cfg, i);
	for (size_t i = 0; i < nv; i++)
		e->by_name[i] = &cfg->vips[i];
	qsort(e->by_name, nv, sizeof(*e->by_name), compare_vip_names);
	for (size_t i = 0; i < cfg->n_nodes; i++)
		e->node_ids[i] = nodeids		     ? nodeids[i]
				 : cfg->nodes[i].nodeid == CV_AUTO ? 0
								  : cfg->nodes[i].nodeid;
	/* Checks fail until the check runner says otherwise: a VIP that
	 * follows a database primary must not land on a replica at start. */
	for (size_t i = 0; i < nv; i++) {
		e->vips[i].local_healthy = cv_engine_vip_locally_healthy(e, &cfg->vips[i]);
		e->vips[i].local_fallback = cv_engine_vip_locally_fallback(e, &cfg->vips[i]);
		e->vips[i].local_passes = cfg->vips[i].exclusive && e->vips[i].local_healthy;
	}
	cv_engine_recount(e);
	return 0;
}

void
cv_engine_unload_config(struct cv_engine *e)
{
	cv_engine_free_vips(e->vips, e->n_vips);
	free(e->by_name);
	free(e->check_ok);
	free(e->node_ids);
	free(e->vip_digests);
	e->vip_digests = NULL;
	e->vips = NULL;
	e->by_name = NULL;
	e->check_ok = NULL;
	e->node_ids = NULL;
	e->n_vips = 0;
}

int
cv_engine_new(const struct cv_config *config, const struct cv_engine_params *p,
	      struct cv_engine **ret)
{
	struct cv_engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	*e = (struct cv_engine){
		.me = p->nodeid,
		.my_pid = p->pid,
		.my_reaper = p->reaper_pid,
		.next_hb_at = NEVER,
		.renew_at = NEVER,
		.state_chunk_vips = p->state_chunk_vips,
		.stop_deadline = NEVER,
		.timer_at = NEVER,
		.timer_due = NEVER,
		.exchange_since = NEVER,
		.hearing_since = NEVER,
		.readd_at = NEVER,
		.bans_due = NEVER,
	};
	if (cv_engine_load_config(e, config, p->nodeids) < 0 || !cv_engine_peer(e, e->me, true)) {
		cv_engine_free(e);
		return -ENOMEM;
	}
	/* corosync's defaults until cmap tells the runtime values */
	cv_engine_on_timings(e, 1000, 1200);
	*ret = e;
	return 0;
}

struct cv_engine *
cv_engine_free(struct cv_engine *e)
{
	if (e) {
		for (size_t p = 0; p < e->n_peers; p++) {
			free(e->peers[p].vip_digests);
			free(e->peers[p].foreign_keys);
			free(e->peers[p].defs);
		}
		cv_engine_orphans_free(e);
		cv_engine_unload_config(e);
		free(e);
	}
	return NULL;
}

/* ---- events handled here ---- */

static void
on_add_failed(struct cv_engine *e, size_t i)
{
	e->vips[i].add_failed = true;
	e->vips[i].local_healthy = false;
	e->vips[i].local_fallback = false;
	if (e->vips[i].state == CV_VIP_HELD)
		cv_engine_vip_event(e, i, CV_VE_RELEASE_ALL, CV_REASON_ACTION_FAILED);
	cv_engine_send_state(e);
}

/* ---- results of ADDR_ADD / ADDR_DEL ---- */

static int
on_result(struct cv_engine *e, const struct cv_action_result *res)
{
	const char *name = res->vip;
	struct vip_rt *v;
	int i;

	if (res->op == CV_ACT_RENEW) {
		if (e->renews_pending)
			e->renews_pending--;
		e->renewed_at = e->now;
		if (res->err == 0)
			e->renewed_from = e->renew_sent_at;
		cv_engine_orphans_renewed(e);
		return 0;
	}
	if (!name)
		return -EINVAL;
	if (cv_engine_orphan_result(e, res))
		return 0;
	i = cv_engine_vip_by_name(e, name);
	if (i < 0 || e->vips[i].op_epoch != res->epoch)
		return 0; /* stale: about an acquisition that is over */
	v = &e->vips[i];
	if (res->op == CV_ACT_ADDR_ADD) {
		v->add_pending = false;
		v->added_at = e->now; /* a failed add may have left one too */
		if (res->err < 0)
			on_add_failed(e, (size_t)i);
	} else if (res->op == CV_ACT_ADDR_DEL && v->state == CV_VIP_RELEASING) {
		if (res->err == 0)
			cv_engine_vip_event(e, (size_t)i, CV_VE_RELEASE_DONE, CV_REASON_RELEASE_DONE);
		else
			v->retry_at = e->now + cv_engine_retry_interval(e);
	}
	return 0;
}

/* Each in turn; the first error, after all of them. */
static int
on_results(struct cv_engine *e, const struct cv_action_result *v, size_t n)
{
	int r = 0;

	if (!v && n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int k = on_result(e, &v[i]);

		r = r < 0 ? r : k;
	}
	return r;
}

/* Failed removals are tried again; past the kernel lease they are done. */
static void
retry_releases(struct cv_engine *e)
{
	for (size_t i = 0; e->n_in_state[CV_VIP_RELEASING] && i < e->n_vips; i++) {
		struct vip_rt *v = &e->vips[i];

		if (v->state != CV_VIP_RELEASING || e->now < v->retry_at)
			continue;
		v->retry_at = NEVER;
		if (e->now >= gone_by(e, v))
			cv_engine_vip_event(e, i, CV_VE_RELEASE_DONE, CV_REASON_RELEASE_DONE);
		else
			cv_engine_vip_action(e, CV_ACT_ADDR_DEL, i);
	}
}

static void
on_stop(struct cv_engine *e)
{
	if (e->stopping)
		return;
	e->stopping = true;
	/* Hand off (rule 3): our STATE now says no VIP is healthy here, so
	 * placement moves each away and we release on delivery. Not a STANDBY:
	 * that is cluster state and would outlive this daemon. If it is not
	 * delivered in time (corosync frozen, no quorum), just let go. */
	e->stop_deadline = e->now + 2 * (uint64_t)e->lease_ms;
	if (e->view_quorate && e->have_view) {
		cv_engine_send_state(e);
		e->stop_sent = true;
	}
}

static void check_lease(struct cv_engine *e);

/*
 * We heard nothing for a while, not even a view: our connection was lost,
 * or our corosync stood still through rings the others formed without us
 * (a ring seq jump: engine-view.c unwatch_after_jump). A peer's silence
 * counts from now, not from its last heartbeat before (rule 4's "both
 * frozen" deadline would otherwise end early).
 */
void
cv_engine_were_away(struct cv_engine *e)
{
	for (size_t p = 0; p < e->n_peers; p++) {
		struct peer *pe = &e->peers[p];

		if (pe->last_hb_at != NEVER)
			pe->last_hb_at = e->now;
		pe->silent = false;
		pe->watched_at = NEVER; /* we heard nothing meanwhile */
		/* They may have taken what we never heard of, and released
		 * bits we hold are stale. */
		if (pe->nodeid != e->me) {
			pe->away_unwatched = true;
			pe->back_at = e->now;
		}
	}
	for (size_t i = 0; i < e->n_vips; i++)
		e->vips[i].released = 0;
	/* And we know as little as a fresh daemon of a node missing from our
	 * next view: cut off, it may hold what it took meanwhile until its own
	 * ring forms. We wait the guard from our first quorate view, as at
	 * start (engine-place.c ignorant_until; unless a seasoned member
	 * speaks for it), and say SEASONED only after. */
	e->fresh_until = 0;
}

/* A CPG event after a lost connection. */
static void
connected(struct cv_engine *e)
{
	if (e->cpg_up)
		return;
	e->cpg_up = true;
	cv_engine_were_away(e);
}

static int
dispatch(struct cv_engine *e, const struct cv_event *ev)
{
	switch (ev->type) {
	case CV_EV_TOTEM:
		connected(e);
		return cv_engine_on_totem(e, ev);
	case CV_EV_QUORUM:
		return cv_engine_on_quorum(e, ev);
	case CV_EV_GROUP:
		connected(e);
		return cv_engine_on_group(e, ev);
	case CV_EV_MESSAGE:
		return cv_engine_on_message(e, ev);
	case CV_EV_TIMER:
		e->timer_at = e->timer_due = NEVER; /* fired; reconcile re-arms it */
		cv_engine_check_exchange(e); /* the start-up settle time may be over */
		return 0;
	case CV_EV_TIMINGS:
		cv_engine_on_timings(e, ev->timings.token_ms, ev->timings.consensus_ms);
		return 0;
	case CV_EV_HEALTH:
		cv_engine_on_health(e, ev);
		return 0;
	case CV_EV_ADMIN_MOVE:
		return cv_engine_admin_move(e, ev->move.vip, ev->move.node);
	case CV_EV_ADMIN_STANDBY:
		return cv_engine_admin_standby(e, ev->standby.node, ev->standby.standby);
	case CV_EV_ADMIN_BAN:
		return cv_engine_admin_ban(e, ev->ban.vip, ev->ban.node, ev->ban.lifetime_ms);
	case CV_EV_ADMIN_CLEAR:
		return cv_engine_admin_clear(e, ev->ban.vip, ev->ban.node);
	case CV_EV_RELOAD:
		return cv_engine_on_reload(e, ev);
	case CV_EV_STOP:
		on_stop(e);
		return 0;
	case CV_EV_CONN_LOST:
		e->cpg_up = false;
		e->own_in_flight = 0; /* gone with the connection */
		cv_engine_release_all(e, CV_REASON_CONN_LOST);
		e->own_state_pending = false; /* the next exchange starts afresh */
		e->have_totem = e->have_quorum = e->have_view = false;
		e->view_quorate = e->exchange_done = false;
		cv_engine_forget_silences(e);
		e->hearing_since = NEVER;
		return 0;
	case CV_EV_ADDR_GONE:
		/* Rule 8: added back only while our lease says we may hold it. */
		check_lease(e);
		if (ev->vip.vip >= e->n_vips)
			return 0;
		if (cv_engine_ran_late_recently(e)) {
			cv_engine_hold_readd(e, ev->vip.vip);
			return 0;
		}
		cv_engine_vip_event(e, ev->vip.vip, CV_VE_ADDR_GONE, CV_REASON_ADDR_GONE);
		return 0;
	case CV_EV_ACTION_RESULT:
		return on_result(e, &ev->result);
	case CV_EV_ACTION_RESULTS:
		return on_results(e, ev->results.v, ev->results.n);
	case CV_EV_LINK:
		if (!ev->link.interface)
			return -EINVAL;
		cv_engine_on_link(e, ev->link.interface, ev->link.up);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- reconcile ---- */

static bool
lease_valid(const struct cv_engine *e)
{
	return e->now < e->lease_until;
}

/* Rule 5: our own heartbeats stopped arriving in time: let go of everything. */
static void
check_lease(struct cv_engine *e)
{
	if (!cv_engine_holds_any(e) || lease_valid(e))
		return;
	cv_engine_release_all(e, CV_REASON_LEASE_LAPSED);
	e->lapsed = true;
	/* Says: not healthy. We heartbeat on; once one comes back in time we
	 * are connected again and say so (engine-msg.c on_heartbeat). */
	cv_engine_send_state(e);
}

/*
 * Is there a VIP for drive_vips to act on: ours and IDLE, another's and not
 * IDLE, or WAITING? None when every VIP is where placement wants it (an idle
 * holder of 10,000 VIPs steps twice per heartbeat: no scan then).
 */
static bool
drive_due(const struct cv_engine *e)
{
	size_t others_busy = 0;

	for (int s = 0; s < _CV_VIP_STATE_MAX; s++)
		if (s != CV_VIP_IDLE)
			others_busy += e->n_in_state[s] - e->n_mine_in_state[s];
	return e->n_mine_in_state[CV_VIP_IDLE] || others_busy || e->n_in_state[CV_VIP_WAITING];
}

static void
drive_vips(struct cv_engine *e)
{
	bool decided = e->have_view && e->view_quorate && e->exchange_done;

	if (!drive_due(e))
		return;
	for (size_t i = 0; i < e->n_vips; i++) {
		struct vip_rt *v = &e->vips[i];

		/* Still its owner after letting go on our own (lapse, failed add,
		 * stop): wait until our STATE has moved it, or we are well again. */
		if (decided && v->owner == e->me && v->state == CV_VIP_IDLE &&
		    (v->local_healthy || v->local_fallback) &&
		    !e->lapsed && !e->stopping && !e->own_state_pending)
			cv_engine_vip_event(e, i, CV_VE_OWNED, CV_REASON_PLACEMENT);
		else if (v->owner != e->me && v->state != CV_VIP_IDLE)
			cv_engine_vip_event(e, i, CV_VE_DISOWNED, CV_REASON_PLACEMENT);
		if (v->state == CV_VIP_WAITING && cv_engine_safe_to_take(e, i, NULL))
			cv_engine_vip_event(e, i, CV_VE_SAFE, CV_REASON_SAFE);
		else if (v->state == CV_VIP_WAITING)
			cv_engine_ask_word(e, i);
	}
}

/*
 * Placement's owners as the others see them (mark_owners): they watch every
 * owner's heartbeats and judge one silent after 2L without (check_silence).
 */
static bool
owns_any(struct cv_engine *e)
{
	const struct peer *me = cv_engine_peer(e, e->me, false);

	return me && me->owns;
}

/*
 * Holders, would-be holders and owners heartbeat every H; a taker needs a
 * fresh lease. An owner that holds nothing yet (its removal of the VIP from
 * an earlier ownership is still under way: RELEASING) heartbeats too: the
 * others would judge it silent at their own times, and placements made with
 * different silent flags give two owners (two holders).
 */
static void
heartbeat(struct cv_engine *e)
{
	bool holds = cv_engine_holds_any(e), waits = cv_engine_waits_any(e);

	if (!(holds || waits || e->lapsed || owns_any(e)) || !e->have_view || !e->view_quorate) {
		e->next_hb_at = NEVER;
		return;
	}
	/* NEVER: we were not heartbeating; start now. */
	if (e->next_hb_at == NEVER || e->now >= e->next_hb_at ||
	    (waits && !lease_valid(e) && !e->hb_in_flight)) {
		cv_engine_send_heartbeat(e);
		e->next_hb_at = e->now + e->cfg->cluster.heartbeat_ms;
	}
}

/* Rule 6: renew the kernel lease of what we hold, while our own lease is valid. */
static void
renew(struct cv_engine *e)
{
	if (!cv_engine_holds_any(e)) {
		e->renew_at = NEVER;
		return;
	}
	if (e->now >= e->renew_at && lease_valid(e)) {
		push(e, (struct cv_action){ .type = CV_ACT_RENEW });
		if (!e->renews_pending)
			e->renew_sent_at = e->now;
		e->renews_pending++;
		e->renew_at = e->now + e->cfg->cluster.kernel_lease_ms / 3;
	}
}

static void
check_stop(struct cv_engine *e)
{
	if (!e->stopping || e->stopped)
		return;
	if (e->now >= e->stop_deadline)
		cv_engine_release_all(e, CV_REASON_STOP);
	if (cv_engine_holds_any(e) || cv_engine_waits_any(e) || any_in(e, CV_VIP_RELEASING) || e->n_orphans)
		return;
	e->stopped = true;
	push(e, (struct cv_action){ .type = CV_ACT_STOPPED });
}

/*
 * When a watched owner without a heartbeat since counts as silent (rule 4):
 * 2L after its last one, and not before H after we ran late (note_late).
 */
static uint64_t
silent_at(const struct cv_engine *e, const struct peer *pe)
{
	return CV_MAX(pe->last_hb_at + 2 * (uint64_t)cv_engine_peer_lease_ms(e, pe),
		      e->watch_from + e->cfg->cluster.heartbeat_ms);
}

static uint64_t
next_wakeup(struct cv_engine *e)
{
	uint64_t at = NEVER;

	if (e->stopped)
		return NEVER;
	at = CV_MIN(at, e->next_hb_at);
	if (cv_engine_holds_any(e))
		at = CV_MIN(at, CV_MIN(e->lease_until, e->renew_at));
	at = CV_MIN(at, e->readd_at);
	at = CV_MIN(at, cv_engine_preempt_due(e));
	at = CV_MIN(at, cv_engine_bans_wakeup(e));
	if (e->stopping && e->now < e->stop_deadline) /* past it: results end the stop */
		at = CV_MIN(at, e->stop_deadline);
	if (!e->exchange_done && e->now < e->settle_until) /* the exchange's start-up wait */
		at = CV_MIN(at, e->settle_until);
	for (size_t i = 0; e->n_in_state[CV_VIP_WAITING] && i < e->n_vips; i++) {
		uint64_t d = NEVER;

		if (e->vips[i].state == CV_VIP_WAITING) {
			cv_engine_safe_to_take(e, i, &d);
			at = CV_MIN(at, d);
		}
	}
	for (size_t p = 0; p < e->n_peers; p++)
		if (e->peers[p].nodeid != e->me && e->peers[p].owns && !e->peers[p].silent &&
		    e->peers[p].last_hb_at != NEVER)
			at = CV_MIN(at, silent_at(e, &e->peers[p]));
	for (size_t i = 0; (e->n_in_state[CV_VIP_RELEASING] || e->n_sent_blocked) && i < e->n_vips;
	     i++) {
		const struct vip_rt *v = &e->vips[i];

		if (v->state == CV_VIP_RELEASING)
			at = CV_MIN(at, v->retry_at);
		if (v->sent_blocked)
			at = CV_MIN(at, cv_engine_clear_blockers(e, i));
	}
	at = CV_MIN(at, cv_engine_orphans_wakeup(e));
	at = CV_MIN(at, cv_engine_silence_due(e));
	return CV_MIN(at, cv_engine_tick_due(e));
}

/*
 * What our last STATE said BLOCKED and is not any more (a blocker's time
 * came): say it again, or a member that knows less (a fresh daemon) keeps
 * waiting on our old word (docs/safety.md, "Knowledge").
 */
static void
refresh_blocked(struct cv_engine *e)
{
	for (size_t i = 0; e->n_sent_blocked && i < e->n_vips; i++) {
		if (!e->vips[i].sent_blocked)
			continue;
		cv_engine_clear_blockers(e, i);
		if (!cv_engine_vip_blocked(e, i))
			e->state_due = true;
		else
			cv_engine_ask_word(e, i); /* or a waiting owner waits on our word */
	}
}

static void
arm_timer(struct cv_engine *e)
{
	uint64_t at = next_wakeup(e);

	if (at == e->timer_at)
		return;
	e->timer_at = at;
	e->timer_due = at == NEVER ? NEVER : CV_MAX(at, e->now);
	if (at == NEVER)
		push(e, (struct cv_action){ .type = CV_ACT_CANCEL_TIMER });
	else
		push(e, (struct cv_action){ .type = CV_ACT_ARM_TIMER, .at_ms = CV_MAX(at, e->now) });
}

/* Owners whose heartbeats stopped with nobody leaving (both processes frozen). */
static void
check_silence(struct cv_engine *e)
{
	for (size_t p = 0; p < e->n_peers; p++) {
		struct peer *pe = &e->peers[p];

		if (pe->nodeid == e->me || pe->silent || !pe->owns || pe->last_hb_at == NEVER)
			continue;
		if (e->now >= silent_at(e, pe)) {
			pe->silent = true;
			e->placement_dirty = true;
		}
	}
}

static int
reconcile(struct cv_engine *e)
{
	int r = 0;

	if (e->stopped)
		return 0;
	check_lease(e);
	cv_engine_readd_after_late(e);
	check_silence(e);
	retry_releases(e);
	cv_engine_orphans_reconcile(e);
	if (e->placement_dirty && e->have_view && e->view_quorate && e->exchange_done &&
	    !cv_engine_assembling(e)) {
		r = cv_engine_place(e);
		if (r < 0)
			return r;
		e->placement_dirty = false;
	}
	drive_vips(e);
	refresh_blocked(e);
	cv_engine_judge_exchange(e);
	cv_engine_preempt_tick(e);
	cv_engine_bans_tick(e);
	if (e->state_due && e->have_view && e->view_quorate)
		cv_engine_send_state(e);
	heartbeat(e);
	renew(e);
	check_stop(e);
	arm_timer(e);
	return 0;
}

void
cv_engine_set_reaper(struct cv_engine *e, uint32_t pid)
{
	e->my_reaper = pid;
}

int
cv_engine_step(struct cv_engine *e, const struct cv_event *ev, uint64_t now_ms,
	       struct cv_actions *out)
{
	int r;

	e->now = now_ms;
	cv_engine_note_late(e);
	e->out = out;
	if (!e->born) {
		e->born = true;
		e->born_at = now_ms;
	}
	r = dispatch(e, ev);
	if (r >= 0)
		r = reconcile(e);
	e->out = NULL;
	if (r >= 0 && out->err)
		r = out->err;
	return r;
}
