/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From the exchanged state to owners, and from owners to "safe to take".
 * Placement (placement.c) decides who should hold each VIP; here every node
 * that might still hold it becomes a blocker of the new owner, and a blocker
 * is cleared only by its RELEASED, by a STATE that does not claim the VIP, or
 * by time: the guard after its node left the view (rule 2), kernel_lease +
 * 1 s after its daemon and reaper both left (rule 4), or after its
 * heartbeats stopped with nobody leaving (rule 4, both frozen).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

#define BIT(slot) (UINT64_C(1) << (slot))

bool
cv_engine_daemon_present(const struct peer *p)
{
	return p->daemon_pid != 0 && p->daemon_left_at == NEVER;
}

/*
 * The digest most view members with a daemon share (ties: the higher value,
 * any fixed rule that every member computes alike will do). Members with
 * another config stand back: during a rolling reload the nodes that share
 * the majority's config keep serving, and two configs never both place.
 */
void
cv_engine_elect_digest(struct cv_engine *e)
{
	size_t best_n = 0;

	e->trusted_digest = 0;
	for (size_t i = 0; i < e->n_peers; i++) {
		const struct peer *a = &e->peers[i];
		size_t n = 0;

		if (!a->in_view || !a->state_fresh)
			continue;
		for (size_t j = 0; j < e->n_peers; j++)
			n += e->peers[j].in_view && e->peers[j].state_fresh &&
			     e->peers[j].digest == a->digest;
		if (n > best_n || (n == best_n && a->digest > e->trusted_digest)) {
			best_n = n;
			e->trusted_digest = a->digest;
		}
	}
}

bool
cv_engine_node_eligible(const struct cv_engine *e, uint32_t nodeid)
{
	const struct peer *p = cv_engine_peer((struct cv_engine *)e, nodeid, false);

	return p && e->have_view && e->view_quorate && p->in_view && cv_engine_daemon_present(p) &&
	       p->state_fresh && p->digest == e->trusted_digest && !p->standby &&
	       !cv_engine_runtime_standby(e, nodeid) && !p->silent && !p->excluded;
}

/*
 * The members whose word on their health is current: in the view, their
 * daemon's STATE of this exchange in, not excluded. An exclusive VIP counts
 * who passes its checks among them, standby or not (a second primary is a
 * split wherever it runs), never from what a node gone said last. One we
 * judge silent counts as it said last: its daemon is frozen, its database
 * may still be a primary, and each member judges silence at its own time
 * (advY-split-frozen-primary).
 */
static uint64_t
heard_now(const struct cv_engine *e)
{
	uint64_t mask = 0;

	for (size_t s = 0; s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		if (p->in_view && cv_engine_daemon_present(p) && p->state_fresh && !p->excluded)
			mask |= BIT(s);
	}
	return mask;
}

/*
 * Exclusive VIP i: the members heard now whose checks of it pass, whatever
 * their definition of it (a rolling reload of its keys: a second primary on
 * a node whose reload runs ahead or behind is one still; one whose
 * definition is not exclusive says HEALTHY; advY-split-rolling-reload).
 */
uint64_t
cv_engine_passers(const struct cv_engine *e, size_t i)
{
	return (e->vips[i].healthy | e->vips[i].passes) & heard_now(e);
}

static uint32_t
node_weight(const struct cv_engine *e, uint32_t nodeid)
{
	for (size_t i = 0; i < e->cfg->n_nodes; i++)
		if (e->node_ids[i] == nodeid)
			return e->cfg->nodes[i].weight;
	return 100;
}

static uint32_t
node_id_by_name(const struct cv_engine *e, const char *name)
{
	for (size_t i = 0; i < e->cfg->n_nodes; i++)
		if (strcmp(e->cfg->nodes[i].head.name, name) == 0)
			return e->node_ids[i];
	return 0;
}

/*
 * The holder placement sees: the owner every member agreed on (it holds the
 * VIP or is about to), else the lowest node id that claims it in its STATE
 * (after a merge, before anyone owns it again).
 */
static uint32_t
holder_of(const struct cv_engine *e, const struct vip_rt *v)
{
	uint32_t best = 0;

	if (v->owner)
		return v->owner;
	for (size_t s = 0; s < e->n_peers; s++) {
		uint32_t id = e->peers[s].nodeid;

		if ((v->claims & BIT(s)) && (!best || id < best))
			best = id;
	}
	return best;
}

/* The definition of VIP i most view members with a fresh STATE have (ties:
 * the higher digest; 0: none known yet). */
static uint32_t
agreed_vip_digest(const struct cv_engine *e, size_t i)
{
	uint32_t best = 0;
	size_t best_n = 0;

	for (size_t a = 0; a < e->n_peers; a++) {
		const struct peer *pa = &e->peers[a];
		size_t n = 0;

		if (!pa->in_view || !pa->state_fresh || !pa->vip_digests)
			continue;
		for (size_t b = 0; b < e->n_peers; b++) {
			const struct peer *pb = &e->peers[b];

			n += pb->in_view && pb->state_fresh && pb->vip_digests &&
			     pb->vip_digests[i] == pa->vip_digests[i];
		}
		if (n > best_n || (n == best_n && pa->vip_digests[i] > best)) {
			best_n = n;
			best = pa->vip_digests[i];
		}
	}
	return best;
}

/*
 * The nodes that share the VIP's config most members have. Only they place
 * it: after a reload of one node, a changed VIP stays with the old config's
 * nodes until most have the new one, and a VIP nobody changed is not
 * disturbed at all.
 */
uint64_t
cv_engine_agreeing_nodes(const struct cv_engine *e, size_t i)
{
	uint32_t best = agreed_vip_digest(e, i);
	uint64_t mask = 0;

	for (size_t a = 0; best && a < e->n_peers; a++)
		if (e->peers[a].vip_digests && e->peers[a].vip_digests[i] == best)
			mask |= BIT(a);
	return mask;
}

/*
 * Do the view members whose STATE we have define VIP i differently (or
 * not at all)? The same answer at every member: it rests on their STATEs.
 */
static bool
disputed(const struct cv_engine *e, size_t i)
{
	const uint32_t *first = NULL;

	for (size_t s = 0; s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		if (!p->in_view || !p->state_fresh || !p->vip_digests)
			continue;
		if (first && p->vip_digests[i] != *first)
			return true;
		if (!first)
			first = &p->vip_digests[i];
	}
	return false;
}

/* Do most members define VIP i otherwise than we do (a rolling reload)? */
static bool
outvoted(const struct cv_engine *e, size_t i)
{
	uint32_t agreed = agreed_vip_digest(e, i);

	return agreed && agreed != e->vip_digests[i];
}

/* lost: another name's definition of its address wins (engine-agree.c). */
static void
vip_input(const struct cv_engine *e, size_t i, bool lost, struct cv_place_vip *in,
	  uint32_t *prefer)
{
	const struct cv_vip_conf *vc = &e->cfg->vips[i];
	const struct vip_rt *v = &e->vips[i];
	/* a banned node is no candidate, as if its checks failed (engine-ban.c) */
	uint64_t allowed = cv_engine_agreeing_nodes(e, i) & ~cv_engine_banned_slots(e, i);
	size_t n = 0;

	if (v->move_target) {
		prefer[n++] = v->move_target;
	} else {
		for (size_t k = 0; k < vc->prefer.n; k++) {
			uint32_t id = node_id_by_name(e, vc->prefer.names[k]);

			if (id)
				prefer[n++] = id;
		}
	}
	*in = (struct cv_place_vip){
		.name = vc->head.name,
		.prefer = prefer,
		.n_prefer = n,
		.stickiness = vc->stickiness && !v->move_target,
		.preempt = vc->preempt || v->move_target,
		.holder = holder_of(e, v),
		.healthy = lost ? 0 : v->healthy & allowed & heard_now(e),
		.fallback = lost ? 0 : v->fallback & allowed,
		.exclusive = vc->exclusive,
		.passing = lost ? 0 : cv_engine_passers(e, i),
	};
}

/*
 * A new owner waits for everyone else who claims the VIP, and for the
 * previous owner, which says RELEASED when it learns of the change (here, in
 * the same delivery order): from the table if it still held or wanted it,
 * or right here if it had let go on its own already.
 */
static void
set_owner(struct cv_engine *e, struct vip_rt *v, uint32_t owner)
{
	/* (A release a reload left under way says RELEASED once it is done.) */
	if (v->owner == e->me && owner != e->me && v->state == CV_VIP_IDLE &&
	    !cv_engine_orphan_pending(e, e->cfg->vips[v - e->vips].head.name))
		cv_engine_send_released(e, (size_t)(v - e->vips));
	int old = v->owner ? cv_engine_peer_slot(e, v->owner) : -1;
	int now = owner ? cv_engine_peer_slot(e, owner) : -1;

	/* The previous owner may have taken it by now, unless it said RELEASED since. */
	if (owner != v->owner && old >= 0 && !(v->released & BIT(old)))
		v->blockers |= BIT(old);
	v->blockers |= v->claims;
	/* one that claims its address under another definition may hold it
	 * (a rolling rename whose other name lost: engine-agree.c) */
	v->blockers |= cv_engine_address_claimants(e, (size_t)(v - e->vips));
	/* A new owner (one that won the address from another name): that
	 * name's owner may have taken it after its STATE (engine-agree.c). */
	if (owner != v->owner)
		v->blockers |= cv_engine_address_definers(e, (size_t)(v - e->vips));
	if (now >= 0) {
		v->blockers &= ~BIT(now);
		if (owner != v->owner)
			v->released &= ~BIT(now); /* it may take it again */
	}
	cv_engine_set_owner(e, (size_t)(v - e->vips), owner);
}

/* View members other than us. */
static uint64_t
in_view_others(const struct cv_engine *e)
{
	uint64_t mask = 0;

	for (size_t s = 0; s < e->n_peers; s++)
		if (e->peers[s].in_view && e->peers[s].nodeid != e->me)
			mask |= BIT(s);
	return mask;
}

/* Owners must heartbeat; a new owner is watched from now (check_silence). */
static void
mark_owners(struct cv_engine *e)
{
	bool owns[CV_MAX_NODES] = { false };

	for (size_t i = 0; i < e->n_vips; i++) {
		int s = e->vips[i].owner ? cv_engine_peer_slot(e, e->vips[i].owner) : -1;

		if (s >= 0)
			owns[s] = true;
	}
	for (size_t s = 0; s < e->n_peers; s++) {
		if (owns[s] && !e->peers[s].owns)
			e->peers[s].last_hb_at = e->now;
		e->peers[s].owns = owns[s];
	}
}

/*
 * An exclusive VIP's split (issue 16) that ends because a node that passed
 * its checks left (its node: out of the view, or its daemon's NODEDOWN
 * leave that comes first): on its side of a partition it sees us leave
 * just the same, at a delivery where its old quorate ring is still the one
 * it adopted, and may take the VIP there. So it is a blocker, as a holder
 * that left (rule 2: G after our first quorate view without it). A daemon
 * that died alone takes nothing (rule 4); one that said it no longer
 * passes said so to every member in one order.
 */
static void
place_one(struct cv_engine *e, size_t i, enum cv_place_reason why, uint32_t owner)
{
	struct vip_rt *v = &e->vips[i];

	for (size_t s = 0; why != CV_PLACE_SPLIT && v->split_passing && s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		if ((v->split_passing & BIT(s)) && p->nodeid != e->me &&
		    (!p->in_view || (!cv_engine_daemon_present(p) && !p->daemon_died_alone)))
			v->blockers |= BIT(s);
	}
	v->split_passing = why != CV_PLACE_SPLIT ? 0 : v->split_passing | cv_engine_passers(e, i);
	v->place_reason = (uint8_t)why;
	set_owner(e, v, owner);
}

int
cv_engine_place(struct cv_engine *e)
{
	struct cv_place_node nodes[CV_MAX_NODES];
	_cleanup_free_ struct cv_place_vip *vins = calloc(e->n_vips ? e->n_vips : 1, sizeof(*vins));
	_cleanup_free_ uint32_t *prefer = calloc((e->n_vips ? e->n_vips : 1) * CV_LIST_MAX,
						 sizeof(*prefer));
	_cleanup_free_ uint32_t *owners = calloc(e->n_vips ? e->n_vips : 1, sizeof(*owners));
	_cleanup_free_ uint8_t *lost = calloc(e->n_vips ? e->n_vips : 1, sizeof(*lost));
	_cleanup_free_ enum cv_place_reason *why = calloc(e->n_vips ? e->n_vips : 1, sizeof(*why));
	struct cv_placement_input in = { .nodes = nodes, .n_nodes = e->n_peers, .vips = vins,
					 .n_vips = e->n_vips };
	int r;

	if (!vins || !prefer || !owners || !lost || !why)
		return -ENOMEM;
	r = cv_engine_address_losers(e, lost);
	if (r < 0)
		return r;
	cv_engine_elect_digest(e);
	for (size_t s = 0; s < e->n_peers; s++)
		nodes[s] = (struct cv_place_node){
			.nodeid = e->peers[s].nodeid,
			.weight = node_weight(e, e->peers[s].nodeid),
			.eligible = cv_engine_node_eligible(e, e->peers[s].nodeid),
			.preempt_hold = e->peers[s].preempt_hold,
		};
	for (size_t i = 0; i < e->n_vips; i++)
		vip_input(e, i, lost[i], &vins[i], prefer + i * CV_LIST_MAX);
	/* The VIPs every member defines alike are placed together (spread by
	 * load); each VIP whose definitions differ (a rolling reload changed,
	 * added or removed it) alone. Its keys (prefer, stickiness, preempt),
	 * even whether it exists, differ between members: in the load of
	 * the others it would make each member spread them its own way, and a
	 * node could take a VIP that the others gave to another (two owners). */
	in.n_vips = 0;
	for (size_t i = 0; i < e->n_vips; i++)
		if (!disputed(e, i))
			vins[in.n_vips++] = vins[i];
	r = cv_placement_compute(&in, owners, why);
	if (r < 0)
		return r;
	for (size_t i = 0, k = 0; i < e->n_vips; i++)
		if (!disputed(e, i)) {
			owners[k] = cv_engine_maintenance_owner(e, i, lost[i], &why[k], owners[k]);
			place_one(e, i, why[k], owners[k]);
			k++;
		}
	for (size_t i = 0; i < e->n_vips; i++) {
		struct cv_place_vip one;
		struct cv_placement_input in1 = { .nodes = nodes, .n_nodes = e->n_peers,
						  .vips = &one, .n_vips = 1 };

		if (!disputed(e, i))
			continue;
		vip_input(e, i, lost[i], &one, prefer + i * CV_LIST_MAX);
		r = cv_placement_compute(&in1, owners, why);
		if (r < 0)
			return r;
		owners[0] = cv_engine_maintenance_owner(e, i, lost[i], &why[0], owners[0]);
		place_one(e, i, why[0], owners[0]);
		/* Outvoted, we place it with our own keys: the owner we remember
		 * is not theirs, and any node sharing their definition may hold
		 * it, also after its last STATE. Until its word it blocks us,
		 * should a leave make our definition theirs (no exchange). */
		if (outvoted(e, i))
			e->vips[i].blockers |= cv_engine_agreeing_nodes(e, i) & in_view_others(e);
	}
	mark_owners(e);
	return 0;
}

/* When may we stop waiting for blocker p? NEVER: only its word (RELEASED/STATE) will do. */
uint64_t
cv_engine_blocker_deadline(const struct cv_engine *e, const struct peer *p)
{
	uint64_t kl = e->cfg->cluster.kernel_lease_ms + 1000, t = NEVER;
	/* Its daemon left the group: it ended (a daemon alive leaves only
	 * when its connection is lost, and then it releases everything in the
	 * same step), after any netlink call it was in. Its reaper, frozen or
	 * not, only removes, and a new daemon removes before it joins: nothing
	 * adds its addresses after the leave (rule 4), so the reaper's word is
	 * not waited for (adv7-kill-frozen-daemon). */
	bool gone = !cv_engine_daemon_present(p);
	/* A daemon we never heard from (no STATE: it stopped, or died, before
	 * we could) renewed nothing while its node has been in our view with
	 * no process in the group (its STATE would have come): count from its
	 * return, not from now, or the deadline moves on with us and never
	 * comes. (One of another protocol version is in the group: now.) */
	uint64_t left_at = p->daemon_left_at != NEVER		       ? p->daemon_left_at
			   : p->daemon_pid || !p->in_view || p->n_pids ? e->now
								       : p->back_at;
	uint64_t gone_t = left_at + kl;

	if (!p->in_view) {
		/* Rule 2; and a join can exclude a silent node after about
		 * consensus alone, sooner than the lease arithmetic assumes: its
		 * lease ran from a heartbeat sent before we saw it delivered. */
		/* (gone_at is NEVER until a quorate view without it is adopted) */
		t = p->gone_at == NEVER ? NEVER : p->gone_at + e->guard_ms;
		if (t != NEVER && p->last_hb_at != NEVER)
			t = CV_MAX(t, p->last_hb_at + cv_engine_peer_lease_ms(e, p) + LAPSE_MARGIN_MS);
		/* It went while our side was not quorate: its last heartbeats
		 * reached the others, not us (last_hb_at is older). As at our
		 * start (engine-view.c stamp_gone): a join excludes a silent
		 * node consensus after the join, so its lease ends by that
		 * ring's view - consensus + L (advM-unwatched-join-exclusion).
		 * Quorum gained within a ring formed earlier is no such join:
		 * the guard (rule 1). */
		if (t != NEVER && p->away_unwatched && p->gone_at <= e->view_adopted_at &&
		    cv_engine_peer_lease_ms(e, p) > e->consensus_ms)
			t = CV_MAX(t, p->gone_at + cv_engine_peer_lease_ms(e, p) - e->consensus_ms +
					      LAPSE_MARGIN_MS);
		/* Its daemon died before its node left (not with it): nobody
		 * may have released it; only the kernel lease will. */
		if (t != NEVER && gone && p->daemon_died_alone)
			t = CV_MAX(t, gone_t);
	} else if (gone) {
		t = gone_t;
	}
	if (p->silent && p->last_hb_at != NEVER)
		t = CV_MIN(t, p->last_hb_at + cv_engine_peer_lease_ms(e, p) + kl);
	t = CV_MIN(t, cv_engine_excluded_deadline(e, p));
	if (cv_engine_unwatched_return(e, p))
		t = p->back_at + kl;
	return t;
}

/*
 * Back in our view from a time our side was not quorate, with no daemon that
 * could tell what it holds: it may have taken VIPs there (its side quorate)
 * and lost its daemon and reaper since. Only the kernel lease ends those.
 */
bool
cv_engine_unwatched_return(const struct cv_engine *e, const struct peer *p)
{
	return p->away_unwatched && p->in_view && !cv_engine_daemon_present(p) && p->nodeid != e->me;
}

bool
cv_engine_quorum_just_gained(const struct cv_engine *e)
{
	return e->quorum_gained_at && e->now < e->quorum_gained_at + e->guard_ms;
}

static bool
may_take_now(const struct cv_engine *e)
{
	/* Nor while a member's STATE is half in: its first chunk cleared the
	 * BLOCKED flags of its last one, the rest may say them again. */
	return e->have_view && e->view_quorate && e->exchange_done && !e->lapsed &&
	       !e->stopping && cv_engine_in_adopted_ring(e) && e->now < e->lease_until &&
	       !cv_engine_quorum_just_gained(e) && !e->own_in_flight && !cv_engine_assembling(e);
}

uint64_t
cv_engine_clear_blockers(struct cv_engine *e, size_t i)
{
	struct vip_rt *v = &e->vips[i];
	uint64_t deadline = NEVER;

	for (size_t s = 0; v->blockers && s < e->n_peers; s++) {
		uint64_t t;

		if (!(v->blockers & BIT(s)))
			continue;
		t = cv_engine_blocker_deadline(e, &e->peers[s]);
		if (e->now >= t) {
			v->blockers &= ~BIT(s);
			v->claims &= ~BIT(s);
		} else {
			deadline = CV_MIN(deadline, t);
		}
	}
	return deadline;
}

/*
 * Blockers every member knows alike: in the view, their daemon alive, their
 * fresh STATE in (its claims, then their RELEASED, reach all in one order).
 */
static uint64_t
speaking_for_themselves(const struct cv_engine *e)
{
	uint64_t mask = 0;

	for (size_t s = 0; s < e->n_peers; s++)
		if (e->peers[s].in_view && cv_engine_daemon_present(&e->peers[s]) && e->peers[s].state_fresh)
			mask |= BIT(s);
	return mask;
}

/*
 * What our STATE says BLOCKED: a node other than us may still hold the VIP —
 * a blocker, or the owner we remember if it left the view or lost its daemon
 * (it becomes a blocker when the exchange ends, after our STATE went out).
 * A member whose definition of the VIP most members do not share (a rolling
 * reload) places it its own way, so its owner and blockers are not theirs:
 * it says BLOCKED only for a blocker that cannot speak for itself
 * (docs/safety.md, "Knowledge").
 */
bool
cv_engine_vip_blocked(const struct cv_engine *e, size_t i)
{
	const struct vip_rt *v = &e->vips[i];
	int me = cv_engine_peer_slot(e, e->me);
	uint64_t others = v->blockers & ~(me >= 0 ? BIT(me) : 0);
	const struct peer *o;

	if (others && outvoted(e, i))
		others &= ~speaking_for_themselves(e);
	if (others)
		return true;
	if (!v->owner || v->owner == e->me)
		return false;
	o = cv_engine_peer((struct cv_engine *)e, v->owner, false);
	return o && (!o->in_view || !cv_engine_daemon_present(o));
}

/* ---- knowledge (docs/safety.md): a fresh engine does not know who held what ---- */

/*
 * Does the seasoned member p speak for our VIP i (SIZE_MAX: for every VIP of
 * ours)? Its BLOCKED goes by name: only where it defines the VIP as we do.
 * Of an address it has under another name, or not at all (a rolling
 * rename), it says nothing to us, though a node it saw go may hold it
 * (advN-fresh-renamed-join-exclusion).
 */
static bool
speaks_for(const struct cv_engine *e, const struct peer *p, size_t i)
{
	if (!p->vip_digests)
		return false;
	if (i != SIZE_MAX)
		return p->vip_digests[i] == e->vip_digests[i];
	for (size_t k = 0; k < e->n_vips; k++)
		if (p->vip_digests[k] != e->vip_digests[k])
			return false;
	return true;
}

static bool
seasoned_in_view(const struct cv_engine *e, size_t i)
{
	for (size_t s = 0; s < e->n_peers; s++)
		if (e->peers[s].in_view && e->peers[s].state_fresh && e->peers[s].seasoned &&
		    e->peers[s].nodeid != e->me && speaks_for(e, &e->peers[s], i))
			return true;
	return false;
}

/*
 * The longest L of ours and the view members' since `since` (their STATEs
 * and heartbeats; one that left since counts: it may have been the missing
 * node's only ring-mate, advP-fresh-ring-mate-left). corosync's timers are
 * each node's own (a token edited node by node): a node we did not see go
 * ran its lease with the shortest L it knew (engine-view.c
 * cv_engine_own_lease_ms), no longer than the L its ring-mates say.
 */
static uint32_t
longest_lease_ms(const struct cv_engine *e, uint64_t since)
{
	uint32_t l = e->lease_ms;

	for (size_t s = 0; s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		if (p->nodeid != e->me && (p->in_view || (p->gone_at != NEVER && p->gone_at >= since)))
			l = CV_MAX(l, CV_MAX(p->state_lease_ms, p->hb_lease_ms));
	}
	return l;
}

/*
 * The end of our wait for a node we heard no heartbeat of, gone silent
 * before from (a join that left it out; its own ring may come later: a
 * heal restarts its formation): its lease, from a heartbeat sent before
 * that, ends by from + L; then the lapse margin. Not less the join's
 * consensus: that may have been a member's shorter one than ours
 * (advO-fresh-short-token-join-exclusion,
 * advO-fresh-long-consensus-join-exclusion). Their STATEs are in before we
 * may take (the exchange).
 */
static uint64_t
unheard_end(const struct cv_engine *e, uint64_t from)
{
	return from + 1 + longest_lease_ms(e, from) + LAPSE_MARGIN_MS;
}

/* The end of our wait for a node missing from our first quorate view (engine-view.c stamp_gone). */
static uint64_t
fresh_end(const struct cv_engine *e)
{
	if (e->fresh_join_at == NEVER)
		return e->fresh_until;
	return CV_MAX(e->fresh_until, unheard_end(e, e->fresh_join_at));
}

/*
 * A node in a view of ours whose daemon we never heard from, gone from it
 * since: a node that saw it go would wait the guard and its lease from its
 * last heartbeat (rule 2). Its corosync may have frozen before we joined
 * (its heartbeats stopped, the ring stalled) and a join left it out
 * consensus later, sooner than the guard covers: its lease ends by its
 * leave + L (advP-unheard-member-join-exclusion). If our own STATE came
 * back in a ring with it, in our rings since (watched_at), its heartbeats
 * from there reached us (one order for all; one only it got means a cut,
 * and a cut-off node lets go at its own ring, rule 1): its lease ran from
 * the last we heard or one sent before, and ends by then + L. Not from its
 * leave: a node without a daemon, seen go long after, would add L to every
 * failover it is part of (advQ-daemonless-member-failover).
 */
static uint64_t
unheard_gone_end(const struct cv_engine *e, const struct peer *p)
{
	uint64_t from = p->gone_at;

	if (p->watched_at != NEVER)
		from = CV_MIN(from, CV_MAX(p->watched_at, p->last_hb_at != NEVER ? p->last_hb_at : 0));
	return CV_MAX(p->gone_at + e->guard_ms, unheard_end(e, from));
}

/*
 * Until when our own ignorance holds us back (0: it does not):
 *  - a node absent from our first quorate view may have held a VIP until its
 *    own ring formed or its lease ended: we wait from that view as a node
 *    that saw it go would (rule 2; engine-view.c stamp_gone) — unless a member whose memory is complete (it
 *    says SEASONED) is in the view: its BLOCKED flags speak for that node,
 *    of the VIPs it defines as we do (speaks_for);
 *  - a view member whose daemon we never heard from may hold what it took
 *    before we started (its daemon and reaper killed: the address stays until
 *    the kernel lease, rule 4), or hold now (its daemon frozen before our
 *    exchange): we wait kernel_lease + 1 s from our start, whatever others
 *    say (their BLOCKED flags were sent before it could change). A daemon we
 *    heard from and lost is a blocker already if it owned a VIP.
 */
uint64_t
cv_engine_ignorant_until(const struct cv_engine *e, size_t i)
{
	uint64_t until = 0, lease_end = e->born_at + e->cfg->cluster.kernel_lease_ms + 1000;

	if (e->fresh_until == 0)
		return NEVER; /* no quorate view yet */
	if (e->now < fresh_end(e) && !seasoned_in_view(e, i))
		until = fresh_end(e);
	for (size_t s = 0; s < e->n_peers; s++) {
		const struct peer *p = &e->peers[s];

		if (p->nodeid == e->me || p->daemon_pid)
			continue;
		if (p->in_view && e->now < lease_end)
			until = CV_MAX(until, lease_end);
		/* one we never heard from that left our view since: as one
		 * absent from our first view, from when it went */
		if (!p->in_view && p->gone_at != NEVER && e->now < unheard_gone_end(e, p) &&
		    !seasoned_in_view(e, i))
			until = CV_MAX(until, unheard_gone_end(e, p));
	}
	return until;
}

uint32_t
cv_engine_peer_lease_ms(const struct cv_engine *e, const struct peer *p)
{
	return CV_MAX(e->lease_ms, p->hb_lease_ms);
}

bool
cv_engine_seasoned(const struct cv_engine *e)
{
	return e->fresh_until && e->now >= fresh_end(e) && cv_engine_ignorant_until(e, SIZE_MAX) == 0;
}

/* Members whose STATE says someone (not the owner) may still hold it. */
bool
cv_engine_peers_say_blocked(const struct cv_engine *e, const struct vip_rt *v)
{
	for (size_t s = 0; v->peer_blocked && s < e->n_peers; s++)
		if ((v->peer_blocked & BIT(s)) && e->peers[s].in_view && e->peers[s].state_fresh)
			return true;
	return false;
}

/* Is one of vip i's blockers one that only its word can clear? */
static bool
word_only(const struct cv_engine *e, const struct vip_rt *v)
{
	for (size_t s = 0; v->blockers && s < e->n_peers; s++)
		if ((v->blockers & BIT(s)) && cv_engine_blocker_deadline(e, &e->peers[s]) == NEVER)
			return true;
	return false;
}

/* When to ask for that word again (see cv_engine_ask_word). */
static uint64_t
word_due(const struct cv_engine *e, const struct vip_rt *v)
{
	return CV_MAX(v->waiting_since, e->resend_asked_at) + 4 * (uint64_t)e->cfg->cluster.heartbeat_ms;
}

/*
 * A blocker that only its word clears (in the view, its daemon alive) owes
 * us a RELEASED or a STATE that does not claim the VIP. In a handoff the
 * RELEASED comes within a round trip; if it does not (the member never
 * thought it owned the VIP: our placement saw it as the owner for a moment
 * it did not, after a freeze, say), every member is asked for its STATE
 * again: the blocker's answer says whether it holds the VIP.
 */
void
cv_engine_ask_word(struct cv_engine *e, size_t i)
{
	const struct vip_rt *v = &e->vips[i];

	if (!(word_only(e, v) || cv_engine_peers_say_blocked(e, v)) || e->now < word_due(e, v))
		return;
	e->ask_resend = true;
	e->state_due = true;
	e->resend_asked_at = e->now;
}

bool
cv_engine_safe_to_take(struct cv_engine *e, size_t i, uint64_t *ret_deadline)
{
	struct vip_rt *v = &e->vips[i];
	uint64_t deadline = cv_engine_clear_blockers(e, i);
	uint64_t ignorant = cv_engine_ignorant_until(e, i);

	if (ignorant)
		deadline = CV_MIN(deadline, ignorant);
	if (cv_engine_quorum_just_gained(e))
		deadline = CV_MIN(deadline, e->quorum_gained_at + e->guard_ms);
	if (word_only(e, v))
		deadline = CV_MIN(deadline, CV_MAX(word_due(e, v), e->now + 1));
	/* a member's BLOCKED that does not clear: its word is asked for too;
	 * past the ask, look again each heartbeat, not each millisecond (a
	 * BLOCKED that stays would spin the loop; what clears it is a
	 * delivery, which steps the engine anyway) */
	if (cv_engine_peers_say_blocked(e, v))
		deadline = CV_MIN(deadline,
				  CV_MAX(e->resend_asked_at + 4 * (uint64_t)e->cfg->cluster.heartbeat_ms,
					 e->now + e->cfg->cluster.heartbeat_ms));
	if (ret_deadline)
		*ret_deadline = deadline;
	return v->blockers == 0 && !ignorant && !cv_engine_peers_say_blocked(e, v) &&
	       !cv_engine_orphan_has_address(e, &e->cfg->vips[i]) && may_take_now(e);
}
