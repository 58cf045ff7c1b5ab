/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Membership: the totem ring, the quorum notification and the CPG group.
 * A view (ring, members, quorate) is adopted only when the totem confchg and
 * the quorum notification carry the same ring id (rule 1); a new ring that
 * cannot be quorate by arithmetic releases everything at once. Each adopted
 * view and each daemon joining the group starts a STATE exchange; nothing new
 * is taken until every member's STATE is in (rule 7).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

/* Margins of the lease/guard derivation (see cv_engine_on_timings). */
#define SYNC_MS 50   /* corosync's sync after a ring forms: sends are refused meanwhile */
#define MARGIN_MS 25 /* scheduling and delivery slack */

static bool
ring_equal(struct cv_ring_id a, struct cv_ring_id b)
{
	return a.nodeid == b.nodeid && a.seq == b.seq;
}

/*
 * May slot s go to another node? Only a node we no longer see (not in the
 * ring, no process in the group) that nothing refers to: no VIP's masks or
 * owner, no move to it. A holder that left stays a blocker until its word or
 * its deadline clears it, and keeps its slot until then.
 */
static bool
slot_reusable(const struct cv_engine *e, size_t s)
{
	const struct peer *p = &e->peers[s];
	uint64_t bit = UINT64_C(1) << s;

	if (p->nodeid == e->me || p->in_view || p->n_pids || p->chunks_next)
		return false;
	for (size_t i = 0; i < e->n_totem; i++)
		if (e->totem_members[i] == p->nodeid)
			return false;
	for (size_t i = 0; i < e->n_vips; i++) {
		const struct vip_rt *v = &e->vips[i];

		if (((v->blockers | v->claims | v->healthy | v->fallback | v->passes | v->split_passing |
		      v->released | v->peer_blocked) & bit) ||
		    v->owner == p->nodeid || v->move_target == p->nodeid)
			return false;
	}
	return true;
}

struct peer *
cv_engine_peer(struct cv_engine *e, uint32_t nodeid, bool create)
{
	int slot = cv_engine_peer_slot(e, nodeid);
	size_t s = e->n_peers;

	if (slot >= 0)
		return &e->peers[slot];
	if (!create || nodeid == 0)
		return NULL;
	if (s == CV_MAX_NODES)
		for (s = 0; s < CV_MAX_NODES && !slot_reusable(e, s); s++)
			;
	if (s == CV_MAX_NODES)
		return NULL;
	free(e->peers[s].vip_digests);
	free(e->peers[s].foreign_keys);
	free(e->peers[s].defs);
	e->peers[s] = (struct peer){
		.nodeid = nodeid,
		.daemon_left_at = NEVER,
		.last_hb_at = NEVER,
		.gone_at = NEVER,
		.watched_at = NEVER,
		.excluded_at = NEVER,
		.spoke_at = NEVER,
	};
	if (s == e->n_peers)
		e->n_peers++;
	return &e->peers[s];
}

int
cv_engine_peer_slot(const struct cv_engine *e, uint32_t nodeid)
{
	for (size_t i = 0; i < e->n_peers; i++)
		if (e->peers[i].nodeid == nodeid)
			return (int)i;
	return -ENOENT;
}

/* Is nodeid a member of the latest totem ring? */
bool
cv_engine_in_totem(const struct cv_engine *e, uint32_t nodeid)
{
	for (size_t i = 0; i < e->n_totem; i++)
		if (e->totem_members[i] == nodeid)
			return true;
	return false;
}

bool
cv_engine_in_view(const struct cv_engine *e, uint32_t nodeid)
{
	const struct peer *p = cv_engine_peer((struct cv_engine *)e, nodeid, false);

	return e->have_view && p && p->in_view;
}

/*
 * Lease L and guard G, unless configured (design.md rules 2 and 5):
 *  - a frozen holder must let go before the survivors' guard ends:
 *    L < token + consensus + G (the survivors' ring forms token + consensus
 *    after the freeze, up to 15 ms early; MARGIN covers that);
 *  - a holder that stays in the quorate ring must keep its lease across a
 *    re-formation: L > token + consensus + H + sync.
 * So G = max(token / 2, H + sync + 4 margins), L = token + consensus + H +
 * sync + margin, which leaves 3 margins between the two bounds.
 */
void
cv_engine_on_timings(struct cv_engine *e, uint32_t token_ms, uint32_t consensus_ms)
{
	const struct cv_cluster_conf *c = &e->cfg->cluster;
	uint32_t h = c->heartbeat_ms, old = e->lease_ms;

	e->token_ms = token_ms;
	e->consensus_ms = consensus_ms;
	e->guard_ms = c->guard_ms != CV_AUTO ? c->guard_ms
					     : CV_MAX(token_ms / 2, h + SYNC_MS + 4 * MARGIN_MS);
	e->lease_ms = c->lease_ms != CV_AUTO ? c->lease_ms
					     : token_ms + consensus_ms + h + SYNC_MS + MARGIN_MS;
	/* A shorter lease holds for the lease we have too: the others count
	 * their deadlines (rule 2) from our last heartbeat with the new L
	 * (advB-token-lowered-lease); and they learn our L from our next STATE. */
	cv_engine_clamp_lease(e, cv_engine_own_lease_ms(e));
	if (old && e->lease_ms != old)
		e->state_due = true;
}

void
cv_engine_clamp_lease(struct cv_engine *e, uint32_t l)
{
	if (e->lease_until > e->lease_from + l)
		e->lease_until = e->lease_from + l;
}

/*
 * The L our lease runs: ours, or shorter if a member's STATE said a shorter
 * one. Each node's corosync has its own timers (a token edited node by
 * node); a member that never heard our heartbeats (a daemon restarted
 * meanwhile) waits for us with its own L only, its guard built on its own
 * timers (L < token + consensus + G there): our lease must end by then
 * (advD-fresh-never-heard-long-L). Every member we ever heard counts, in
 * the view or not: one that left may come back fresh.
 */
uint32_t
cv_engine_own_lease_ms(const struct cv_engine *e)
{
	uint32_t l = e->lease_ms;

	for (size_t s = 0; s < e->n_peers; s++)
		if (e->peers[s].state_lease_ms && e->peers[s].nodeid != e->me)
			l = CV_MIN(l, e->peers[s].state_lease_ms);
	return l;
}

/*
 * Rule 1: could the latest totem membership be quorate? By its own votes it
 * is. A quorum device's vote goes to one side only, and the losing side
 * learns that late (corosync-qdevice decides after the ring forms): a ring
 * that needs the device's vote keeps what it holds (until the quorum
 * notification says) only when no disjoint ring could win with the device
 * either — 2 of 3 nodes plus a device, where the lone node cannot be quorate
 * even with it. In a two-node cluster with a device, a holder that finds
 * itself alone lets go at once, and takes again if its quorum comes back.
 * (Every node is counted with one vote.)
 */
bool
cv_engine_totem_can_be_quorate(const struct cv_engine *e)
{
	uint32_t mine = (uint32_t)e->n_totem, nodes, others;

	if (!e->have_quorum)
		return true; /* nothing known yet; the quorum notification decides */
	if (mine >= e->quorum_votes)
		return true;
	if (mine + e->qdevice_votes < e->quorum_votes)
		return false;
	nodes = e->expected_votes > e->qdevice_votes ? e->expected_votes - e->qdevice_votes : 0;
	others = nodes > mine ? nodes - mine : 0;
	return others + e->qdevice_votes < e->quorum_votes;
}

/* Is the latest totem ring the one we adopted (not between rings)? */
bool
cv_engine_in_adopted_ring(const struct cv_engine *e)
{
	return e->have_view && e->have_totem && ring_equal(e->view_ring, e->totem_ring);
}

void
cv_engine_start_exchange(struct cv_engine *e)
{
	e->exchange_done = false;
	e->lapsed = false; /* a full exchange: we may take again (rule 5) */
	cv_engine_send_state(e);
}

static void
mark_view_members(struct cv_engine *e)
{
	bool was[CV_MAX_NODES] = { false }; /* slots made below: not in view before */

	for (size_t p = 0; p < e->n_peers; p++) {
		was[p] = e->peers[p].in_view;
		e->peers[p].in_view = false;
	}
	for (size_t i = 0; i < e->n_totem; i++) {
		struct peer *p = cv_engine_peer(e, e->totem_members[i], true);

		if (p)
			p->in_view = true;
	}
	for (size_t p = 0; p < e->n_peers; p++) {
		struct peer *pe = &e->peers[p];

		if (pe->in_view && (p >= ELEMENTSOF(was) || !was[p]))
			pe->back_at = e->now;
		/* our side not quorate while it is away: its side may be */
		if (!pe->in_view && !e->view_quorate && pe->nodeid != e->me)
			pe->away_unwatched = true;
	}
}

/* Is every node of the cluster (expected votes, the device's aside) in the ring? */
static bool
view_complete(const struct cv_engine *e)
{
	return e->have_quorum && e->expected_votes > e->qdevice_votes &&
	       e->n_totem >= e->expected_votes - e->qdevice_votes;
}

/*
 * Rule 2's guard runs from the adoption of the first *quorate* view without
 * the node: a stamp taken in a non-quorate view is stale by the time a
 * quorate one comes (the node may have held the VIP in a quorate ring of its
 * own meanwhile), so a non-quorate view forgets every stamp.
 */
static void
stamp_gone(struct cv_engine *e, bool new_ring)
{
	for (size_t p = 0; p < e->n_peers; p++) {
		struct peer *pe = &e->peers[p];

		if (pe->in_view || !e->view_quorate)
			pe->gone_at = NEVER;
		else if (pe->gone_at == NEVER)
			pe->gone_at = e->now;
		if (!e->view_quorate)
			pe->watched_at = NEVER;
	}
	/* A fresh engine never saw who held what before: if a node is missing
	 * from its first quorate view, it waits from there as one that saw
	 * that node go would (engine-place.c, ignorant_until): the guard, and
	 * the node's lease from its last heartbeat (rule 2). We heard none; but
	 * a join excludes a silent node consensus after the join, so it went
	 * silent at least consensus before our view, and its lease (from a
	 * heartbeat sent before that) ends by our view - consensus + L; then
	 * the lapse margin. (Its own ring may come later: a heal restarts its
	 * formation.) Quorum gained within a ring formed earlier is no such
	 * join: the guard (rule 1). */
	if (e->view_quorate && e->fresh_until == 0) {
		uint64_t wait = e->guard_ms;

		if (new_ring && e->lease_ms > e->consensus_ms)
			wait = CV_MAX(wait, (uint64_t)e->lease_ms - e->consensus_ms + LAPSE_MARGIN_MS);
		e->fresh_until = e->now + 1 + (view_complete(e) ? 0 : wait);
		/* our timers may not be the missing node's (engine-place.c fresh_end) */
		e->fresh_join_at = new_ring && !view_complete(e) ? e->now : NEVER;
	}
}

/* A new exchange: no STATE we have counts (ours neither) until sent again. */
static void
unfresh_all(struct cv_engine *e)
{
	for (size_t p = 0; p < e->n_peers; p++)
		e->peers[p].state_fresh = false;
}

bool
cv_engine_two_node_refused(const struct cv_engine *e)
{
	return e->two_node && !e->cfg->cluster.two_node_unsafe;
}

/*
 * Starting up, give the daemons of the other members of our first quorate
 * view the start-up wait to join before placing anything, or the first
 * daemons up place every VIP among themselves and stickiness keeps them
 * there (issue 21). Not from the first view: a daemon up before quorum
 * would spend it waiting for nothing. Also when quorum comes within the
 * ring (a quorum device's vote after the ring formed): else such a daemon
 * placed all at once, and waited at a later ring (advZc-settle-quorum-in-ring).
 */
static void
arm_startup_wait(struct cv_engine *e)
{
	if (!e->view_quorate || e->settle_armed)
		return;
	e->settle_armed = true;
	e->settle_until = e->now + cv_engine_startup_wait_ms(e);
	e->settle_open = e->settle_until > e->now;
}

/* The adopted view's ring stays; whether it is quorate may have changed. */
static void
quorum_changed(struct cv_engine *e, enum cv_reason why)
{
	bool quorate = e->quorum_quorate && !cv_engine_two_node_refused(e);

	if (quorate == e->view_quorate)
		return;
	e->view_quorate = quorate;
	arm_startup_wait(e);
	stamp_gone(e, false);
	for (size_t p = 0; !quorate && p < e->n_peers; p++)
		if (!e->peers[p].in_view && e->peers[p].nodeid != e->me)
			e->peers[p].away_unwatched = true;
	if (!quorate) {
		cv_engine_release_all(e, why);
		e->exchange_done = false;
		e->fresh_until = 0; /* as in adopt() */
		return;
	}
	/* Quorum came to the same ring (a quorum device's vote moved to us,
	 * expected votes lowered): a partition that lost it may hold what we
	 * never knew it took; it lets go when its own notification comes,
	 * within the guard (rule 2). */
	e->quorum_gained_at = e->now;
	/* The STATEs we have are from before the loss, and nobody heartbeats
	 * while not quorate: on them each member would find the others silent
	 * and place every VIP on itself. Every member tells again, and restarts
	 * from the claims at the same delivery (RESEND): the members' quorum
	 * notifications come at different points of the stream (each node's
	 * qdevice votes on its own), so ours cannot be that point. */
	unfresh_all(e);
	e->ask_resend = true;
	cv_engine_start_exchange(e);
	cv_engine_check_exchange(e);
}

/* Both notifications agree on the ring: this is the view. */
static void
adopt(struct cv_engine *e)
{
	bool new_ring = !e->have_view || !ring_equal(e->view_ring, e->totem_ring);
	size_t before = 0;

	if (e->quorum_quorate && cv_engine_two_node_refused(e))
		cv_engine_notice(e, CV_NOTICE_TWO_NODE_REFUSED, e->me,
				 "two_node without qdevice: set two_node_unsafe to hold VIPs");
	if (!new_ring) {
		/* The same ring, another quorum (expected votes changed, the
		 * device's vote came or went): as a reload's change would. */
		quorum_changed(e, CV_REASON_NO_QUORUM);
		return;
	}
	for (size_t p = 0; p < e->n_peers; p++)
		before += e->peers[p].in_view;
	e->view_quorate = e->quorum_quorate && !cv_engine_two_node_refused(e);
	arm_startup_wait(e);
	e->view_ring = e->totem_ring;
	e->have_view = true;
	e->view_adopted_at = e->now;
	mark_view_members(e);
	stamp_gone(e, true);
	e->merged = e->n_totem > before && before > 0;
	cv_engine_notice(e, CV_NOTICE_VIEW_ADOPTED, (uint32_t)e->n_totem,
			 e->view_quorate ? "quorate" : "not quorate");
	if (!e->view_quorate) {
		cv_engine_release_all(e, CV_REASON_NO_QUORUM);
		e->exchange_done = false;
		/* Not watching, we know as little as a fresh daemon of a node
		 * missing from our next quorate view: its side may have been
		 * quorate and given it VIPs, and cut off since, it holds them
		 * until its own ring forms. We wait for it from that view as
		 * at start (stamp_gone), unless a seasoned member speaks. */
		e->fresh_until = 0;
		return;
	}
	cv_engine_start_exchange(e);
	cv_engine_check_exchange(e);
}

/* A reload may change what the adopted view allows (two_node_unsafe). */
void
cv_engine_reconsider_view(struct cv_engine *e)
{
	if (!e->have_view || !e->have_quorum || !ring_equal(e->view_ring, e->quorum_ring))
		return;
	quorum_changed(e, CV_REASON_TWO_NODE);
}

static void
try_adopt(struct cv_engine *e)
{
	if (e->have_totem && e->have_quorum && ring_equal(e->totem_ring, e->quorum_ring))
		adopt(e);
}

/* Commands count again only after each sender's next STATE (engine-msg.c on_command). */
static void
unspeak(struct cv_engine *e)
{
	for (size_t s = 0; s < e->n_peers; s++)
		e->peers[s].spoke = false;
}

/* A daemon that left unseen died alone if its node is in the new ring. */
static void
judge_unseen_leaves(struct cv_engine *e)
{
	for (size_t s = 0; s < e->n_peers; s++) {
		struct peer *p = &e->peers[s];

		if (!p->daemon_left_unseen)
			continue;
		p->daemon_died_alone = cv_engine_in_totem(e, p->nodeid);
		p->daemon_left_unseen = false;
	}
}

/*
 * A node back in our ring after a ring without it (adopted or not): its
 * heartbeats in that one may have reached it and not us, so they reach us
 * again only from our next STATE's delivery (engine-msg.c note_watched).
 */
static void
unwatch_returned(struct cv_engine *e, const bool *was)
{
	for (size_t s = 0; s < e->n_peers; s++)
		if (!was[s] && cv_engine_in_totem(e, e->peers[s].nodeid))
			e->peers[s].watched_at = NEVER;
}

/*
 * A new ring after nothing reached us for longer than the others take to
 * form a ring without us and another with a joiner (token + 2 consensus):
 * our corosync may have been frozen through rings they formed without us
 * (we get no confchg of those), where a member renewed its lease with
 * heartbeats we never got; that it was in our last ring and is in this one,
 * or left at this one, says nothing (advR-frozen-observer-unseen-ring). A
 * plain re-formation (token + consensus, within a heartbeat of a holder's
 * last) keeps them. We watch again from our next STATE's delivery.
 *
 * The gap is no proof: a thawed corosync delivers what the old ring still
 * had before the new ring's confchg, and a paused machine's daemon reads
 * its backlog at its wakeup (advS-paused-observer-backlog): a delivery just
 * before the confchg hides the gap. The ring seq does not lie (below).
 */
static void
unwatch_after_gap(struct cv_engine *e)
{
	if (e->now <= e->delivered_at + e->token_ms + 2 * (uint64_t)e->consensus_ms)
		return;
	for (size_t s = 0; s < e->n_peers; s++)
		e->peers[s].watched_at = NEVER;
}

/*
 * corosync numbers a new ring the highest seq its members formed + 4 (the
 * joins carry it; totemsrp.c memb_state_commit_token_create): a ring more
 * than 4 past our last was formed after one we never had a confchg of,
 * the others' without us while our corosync stood still (a member of that
 * one is in this one, or the two were not both quorate: quorum intersects).
 * We were away as with a lost connection (engine.c cv_engine_were_away):
 * a member of ours may have renewed its lease there with heartbeats we
 * never got (we watch again from our next STATE's delivery:
 * advR-frozen-observer-unseen-ring, advS-paused-observer-backlog), and a
 * node may have taken there what we never heard of and left at this ring,
 * its last STATE ours saying it held nothing: we wait for it as one
 * missing from our first view (advU-frozen-observer-missed-takeover). A
 * formation restarted after its commit also skips a seq: a longer wait,
 * never a shorter one. Not the timing of our deliveries: a daemon stopped
 * just before a partition reads its backlog then, like a paused machine,
 * and no ring was missed (advT-stalled-observer-partition).
 */
static void
unwatch_after_jump(struct cv_engine *e, struct cv_ring_id was)
{
	if (e->totem_ring.seq <= was.seq + 4)
		return;
	cv_engine_were_away(e);
}

int
cv_engine_on_totem(struct cv_engine *e, const struct cv_event *ev)
{
	size_t n = CV_MIN(ev->totem.n_members, (size_t)CV_MAX_NODES);
	bool same = e->have_totem && ring_equal(e->totem_ring, ev->totem.ring);
	bool was[CV_MAX_NODES] = { false };
	struct cv_ring_id last = e->totem_ring;
	bool had = e->have_totem;

	for (size_t s = 0; s < e->n_peers && s < ELEMENTSOF(was); s++)
		was[s] = e->have_totem && cv_engine_in_totem(e, e->peers[s].nodeid);
	e->totem_ring = ev->totem.ring;
	memcpy(e->totem_members, ev->totem.members, n * sizeof(*e->totem_members));
	e->n_totem = n;
	e->have_totem = true;
	unwatch_returned(e, was);
	if (!same) {
		unwatch_after_gap(e);
		if (had)
			unwatch_after_jump(e, last);
		/* A new ring: nothing new is taken until its view and exchange. */
		e->exchange_done = false;
		/* A STATE is fresh for the ring it came in (docs/safety.md,
		 * STATE). Every member gets this confchg before the ring's
		 * first message, one point for all; a member's GROUP event
		 * need not show a join (our corosync frozen through the ring
		 * the others formed without us): a STATE from before that
		 * ring would still count at the exchange's end, its sender
		 * excluded since, and hide the owner the others' STATEs name
		 * (prop-cs-frozen-observer-stale-state). */
		unfresh_all(e);
		cv_engine_end_moves_of_gone(e);
		judge_unseen_leaves(e);
		unspeak(e);
		cv_engine_forget_silences(e);
		if (!cv_engine_totem_can_be_quorate(e))
			cv_engine_release_all(e, CV_REASON_CANNOT_BE_QUORATE);
	}
	try_adopt(e);
	return 0;
}

int
cv_engine_on_quorum(struct cv_engine *e, const struct cv_event *ev)
{
	e->quorum_ring = ev->quorum.ring;
	e->quorum_quorate = ev->quorum.quorate;
	e->quorum_votes = ev->quorum.quorum_votes;
	e->qdevice_votes = ev->quorum.qdevice_votes;
	e->expected_votes = ev->quorum.expected_votes;
	e->two_node = ev->quorum.two_node;
	e->have_quorum = true;
	if (!e->quorum_quorate)
		cv_engine_release_all(e, CV_REASON_NO_QUORUM);
	try_adopt(e);
	return 0;
}

/* ---- the CPG group ---- */

static void
member_left(struct cv_engine *e, const struct cv_member *m)
{
	struct peer *p = cv_engine_peer(e, m->nodeid, false);

	if (!p)
		return;
	if (m->pid == p->daemon_pid) {
		p->daemon_left_at = e->now;
		p->daemon_died_alone = m->reason != CV_LEAVE_NODEDOWN;
		p->state_fresh = false;
		e->placement_dirty = true;
	}
	if (m->pid == p->chunks_pid) /* its STATE will never be complete */
		p->chunks_next = p->chunks_pid = 0;
}

bool
cv_engine_peer_has_pid(const struct peer *p, uint32_t pid)
{
	for (size_t i = 0; i < p->n_pids; i++)
		if (p->pids[i] == pid)
			return true;
	return false;
}

static void
set_members(struct cv_engine *e, const struct cv_event *ev)
{
	for (size_t p = 0; p < e->n_peers; p++)
		e->peers[p].n_pids = 0;
	for (size_t i = 0; i < ev->group.n_members; i++) {
		struct peer *p = cv_engine_peer(e, ev->group.members[i].nodeid, true);

		if (p && p->n_pids < ELEMENTSOF(p->pids))
			p->pids[p->n_pids++] = ev->group.members[i].pid;
	}
}

/*
 * We (re)joined the group: a daemon we knew that is missing from
 * it left while we were disconnected, unseen. As if it had left now, and
 * alone (its node may still have its addresses: rule 4).
 */
static void
forget_missing(struct cv_engine *e)
{
	for (size_t s = 0; s < e->n_peers; s++) {
		struct peer *p = &e->peers[s];

		if (p->nodeid == e->me)
			continue;
		if (p->daemon_pid && p->daemon_left_at == NEVER && !cv_engine_peer_has_pid(p, p->daemon_pid)) {
			member_left(e, &(struct cv_member){ .nodeid = p->nodeid, .pid = p->daemon_pid,
							    .reason = CV_LEAVE_PROCDOWN });
			/* alone, or with its node: the next totem ring says */
			p->daemon_left_unseen = true;
		}
	}
}

int
cv_engine_on_group(struct cv_engine *e, const struct cv_event *ev)
{
	for (size_t i = 0; i < ev->group.n_left; i++)
		member_left(e, &ev->group.left[i]);
	set_members(e, ev);
	for (size_t i = 0; i < ev->group.n_joined; i++)
		if (ev->group.joined[i].nodeid == e->me && ev->group.joined[i].pid == e->my_pid) {
			forget_missing(e);
			e->hearing_since = e->now; /* every message from here reaches us */
		}
	if (ev->group.n_joined == 0) {
		cv_engine_check_exchange(e);
		return 0;
	}
	/* A daemon joined: everybody tells it (and us) their state again. */
	unfresh_all(e);
	unspeak(e);
	cv_engine_forget_silences(e);
	for (size_t i = 0; i < ev->group.n_joined; i++)
		cv_engine_heard(e, ev->group.joined[i].nodeid, ev->group.joined[i].pid);
	if (e->have_view && e->view_quorate)
		cv_engine_start_exchange(e);
	else
		e->exchange_done = false;
	return 0;
}

/*
 * Does this node have a process in the group we should hear a STATE from?
 * Its reaper too: a daemon that joined after the daemon naming it died
 * cannot tell it from a daemon still starting, and every member must end
 * the exchange at the same point (advL-reaper-unknown-to-fresh). A reaper
 * alone is waited for until it leaves (its sweep, 500 ms) or a SILENT.
 */
bool
cv_engine_expects_state(const struct peer *p)
{
	for (size_t i = 0; i < p->n_pids; i++)
		if (p->pids[i] != p->foreign_pid)
			return true;
	return false;
}

/*
 * Maintenance mode keeps each VIP with its owner (engine-admin.c). One
 * that let go with its daemon alive (a quorum loss, a cut, a lapse) claims
 * nothing at the exchange, but its STATE still names itself owner: it
 * keeps the VIP (lowest node id; every member sees the same STATEs), or
 * a blip of the network would leave every VIP with nobody until
 * maintenance off. It takes it as any owner after an exchange (rules 1-2).
 */
static uint32_t
self_owner(const struct cv_engine *e, const struct vip_rt *v)
{
	uint32_t best = 0;

	for (size_t s = 0; s < e->n_peers; s++)
		if ((v->self_owner & (UINT64_C(1) << s)) && e->peers[s].state_fresh &&
		    (!best || e->peers[s].nodeid < best))
			best = e->peers[s].nodeid;
	return best;
}

/*
 * After an exchange every member starts from the same owners: the claims in
 * the STATEs just exchanged (lowest node id first), not what each remembers —
 * memories differ after a partition, and placement must get equal inputs on
 * every member. A remembered owner that sent no STATE (its node or daemon is
 * gone) may still hold the address: it stays a blocker until time clears it.
 */
void
cv_engine_restart_owners(struct cv_engine *e)
{
	for (size_t i = 0; i < e->n_vips; i++) {
		struct vip_rt *v = &e->vips[i];
		int o = v->owner ? cv_engine_peer_slot(e, v->owner) : -1;
		uint32_t claimant = 0;

		for (size_t s = 0; s < e->n_peers; s++)
			if ((v->claims & (UINT64_C(1) << s)) && e->peers[s].state_fresh &&
			    (!claimant || e->peers[s].nodeid < claimant))
				claimant = e->peers[s].nodeid;
		if (!claimant && cv_engine_maintenance(e) && (claimant = self_owner(e, v)))
			/* it may take it again: a RELEASED it said before is
			 * past, and nobody else may take it meanwhile */
			v->released &= ~(UINT64_C(1) << cv_engine_peer_slot(e, claimant));
		/* The owner we remember may have taken it after the STATE it
		 * sent (or, remembered by us alone, never thought it owned it):
		 * its word (RELEASED, or a STATE that does not claim it) says. */
		if (o >= 0 && v->owner != claimant && !(v->released & (UINT64_C(1) << o)))
			v->blockers |= UINT64_C(1) << o;
		if (v->owner == e->me && claimant != e->me && v->state == CV_VIP_IDLE)
			cv_engine_send_released(e, i);
		cv_engine_set_owner(e, i, claimant);
		/* An owner another member's placement named, which cannot
		 * speak for itself now (gone, or no fresh STATE): as the
		 * owner we remember (a daemon and reaper that died while we
		 * were away leave only the others' memory of it). */
		for (size_t s = 0; s < e->n_peers; s++) {
			const struct peer *p = &e->peers[s];
			uint64_t bit = UINT64_C(1) << s;

			if ((v->owner_reports & bit) && p->nodeid != claimant &&
			    !(v->released & bit) && !(p->in_view && p->state_fresh))
				v->blockers |= bit;
		}
		v->owner_reports = 0;
		for (size_t s = 0; s < e->n_peers; s++)
			if (cv_engine_unwatched_return(e, &e->peers[s]))
				v->blockers |= UINT64_C(1) << s;
	}
}

/* A reloaded member asked for everyone's STATE: what we had is not fresh. */
void
cv_engine_restart_exchange(struct cv_engine *e, const struct peer *asker)
{
	if (!e->have_view || !e->view_quorate)
		return;
	for (size_t p = 0; p < e->n_peers; p++)
		if (&e->peers[p] != asker)
			e->peers[p].state_fresh = false;
	e->exchange_done = false;
}

/*
 * The exchange is done when every view member with a daemon (not excluded)
 * has a fresh STATE. Starting up, it also waits one re-formation's time
 * for the daemons of members that have none in the group yet: otherwise
 * the first daemon up places every VIP on itself, and with a thousand VIPs
 * the moves that follow each join (STATEs, RELEASEDs, adds and removals)
 * starved a loaded machine until reapers killed daemons
 * (tests/integration/reaper-liveness.sh). That wait ends at one point of
 * the stream for every member that waits: at its daemon's join, or at the
 * delivery of a SILENT about the node, which we send once our wait's time
 * is over (engine-silent.c). Ending it at a time of our own made members
 * that started at different times place from different inputs, a HEALTH
 * or STATE delivered in between: two owners (advK-settle-split).
 */
bool
cv_engine_check_exchange(struct cv_engine *e)
{
	if (e->exchange_done || !e->have_view || !e->view_quorate ||
	    !ring_equal(e->view_ring, e->totem_ring))
		return e->exchange_done;
	for (size_t i = 0; i < e->n_peers; i++) {
		const struct peer *p = &e->peers[i];

		/* A SILENT about it was delivered (engine-silent.c). */
		if (!p->in_view || p->excluded)
			continue;
		if (cv_engine_awaits_daemon(e, p))
			return false; /* its daemon may still be starting */
		if (!cv_engine_expects_state(p))
			continue;
		if (!p->state_fresh || !ring_equal(p->state_ring, e->view_ring))
			return false;
	}
	e->exchange_done = true;
	e->settle_open = false; /* later members without a daemon are not waited for */
	e->placement_dirty = true;
	cv_engine_restart_owners(e);
	cv_engine_notice(e, CV_NOTICE_EXCHANGE_DONE, (uint32_t)e->n_peers, NULL);
	if (e->merged) {
		/* Rule 7: after a heal, tell the neighbours again what we hold. */
		e->merged = false;
		for (size_t v = 0; v < e->n_vips; v++)
			if (e->vips[v].state == CV_VIP_HELD)
				cv_engine_vip_event(e, v, CV_VE_REANNOUNCE, CV_REASON_HEAL);
	}
	return true;
}
