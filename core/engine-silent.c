/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Silence by agreement (docs/safety.md, rule 7). A view member whose daemon
 * is in the group but does not run (SIGSTOP, its reaper with it: the reaper
 * cannot kill it, its corosync keeps it in the ring and the group) never
 * sends the STATE an exchange waits for: no member would ever end the
 * exchange, and nothing would be taken anywhere until it runs again.
 *
 * Each member judging that at its own time and ending the exchange there is
 * no way out: members would end it at different points of the stream, with
 * different inputs (two owners). So a member that has waited L for a STATE
 * that does not come multicasts SILENT; at its delivery, one point of the
 * stream for all, every member stops waiting for that node (excluded) and
 * goes on. An excluded node is ineligible, and as a blocker a silent owner
 * (rule 4: its VIPs are taken only at its last heartbeat + L + K + 1 s).
 * Anything its daemon says afterwards includes it again, at that point for
 * all; it answers the SILENT itself with its STATE and RESEND, a new
 * exchange. A new ring or a daemon joining forgets every exclusion: a
 * joining daemon did not see them.
 *
 * The exclusion does not depend on what each member thinks of the node at
 * delivery (its STATE fresh or not is not the same everywhere at every
 * point: a quorum gained within a ring), only on the stream. A stale or
 * hostile SILENT is harmless: the excluded node's VIPs wait for its word or
 * its silent-owner deadline, counted from its last heartbeat that we saw, and
 * a heartbeat delivered after the SILENT includes it again. It can make
 * members hand over and wait, never take sooner.
 */
#include "cv-macros.h"
#include "engine-int.h"

static bool
same_ring(struct cv_ring_id a, struct cv_ring_id b)
{
	return a.nodeid == b.nodeid && a.seq == b.seq;
}

/* The start-up wait (engine-view.c arm_startup_wait) and whom it waits for. */
uint32_t
cv_engine_startup_wait_ms(const struct cv_engine *e)
{
	uint32_t w = e->cfg->cluster.startup_wait_ms;

	return w == CV_AUTO ? e->token_ms + e->consensus_ms : w;
}

bool
cv_engine_awaits_daemon(const struct cv_engine *e, const struct peer *p)
{
	return e->settle_open && p->in_view && !p->excluded && p->n_pids == 0 &&
	       p->nodeid != e->me;
}

/* Is our exchange under way, in a ring where it can end? */
static bool
exchanging(const struct cv_engine *e)
{
	return e->cpg_up && e->have_view && e->view_quorate && !e->exchange_done &&
	       cv_engine_in_adopted_ring(e);
}

/* Does our exchange wait for p's STATE? */
static bool
owes_state(const struct cv_engine *e, const struct peer *p)
{
	if (cv_engine_awaits_daemon(e, p))
		return true; /* a daemon still starting, or none: at settle_until */
	return p->in_view && p->nodeid != e->me && !p->excluded && cv_engine_expects_state(p) &&
	       !(p->state_fresh && same_ring(p->state_ring, e->view_ring));
}

/*
 * When its silence is told: L after the exchange began and after it last
 * said anything (a live daemon answers within a round trip; one that does
 * not run for L has lost its lease anyway), and not before H after we ran
 * late (our queue may still hold its answer).
 */
static uint64_t
due_at(const struct cv_engine *e, const struct peer *p)
{
	uint64_t from = CV_MAX(e->exchange_since, p->spoke_at == NEVER ? 0 : p->spoke_at);

	/* start-up: a member with no daemon in the group is told at the end
	 * of our wait for it (engine-view.c check_exchange) */
	if (cv_engine_awaits_daemon(e, p))
		return CV_MAX(CV_MAX(e->settle_until, p->silence_told_at + e->lease_ms),
			      e->watch_from + e->cfg->cluster.heartbeat_ms);
	from = CV_MAX(from, p->silence_told_at);
	return CV_MAX(from + e->lease_ms, e->watch_from + e->cfg->cluster.heartbeat_ms);
}

uint64_t
cv_engine_silence_due(const struct cv_engine *e)
{
	uint64_t at = NEVER;

	if (!exchanging(e) || e->exchange_since == NEVER)
		return NEVER;
	for (size_t s = 0; s < e->n_peers; s++)
		if (owes_state(e, &e->peers[s]))
			at = CV_MIN(at, due_at(e, &e->peers[s]));
	return at;
}

static void
send_silent(struct cv_engine *e, struct peer *p)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_SILENT,
				  .silent = { .nodeid = p->nodeid, .ring = e->view_ring } };

	p->silence_told_at = e->now;
	cv_engine_send(e, &m);
}

/*
 * Our wakeup comes at least every H, idle or not, so that note_late
 * (engine.c) sees a freeze of ours over L by the lateness of our timer.
 * Placement can make a frozen node an owner without its knowing (a move to
 * it, the holder's standby, stop or failed check: no exchange); the others
 * judge it silent 2L later and take over at rule 4's deadline, while its
 * queue still holds the handoff that, read at the thaw with a fresh
 * heartbeat of its own, would let it take too. An idle node's timer was
 * armed for much later: it could not tell how long it had been stopped.
 */
uint64_t
cv_engine_tick_due(const struct cv_engine *e)
{
	uint64_t tick = e->now + e->cfg->cluster.heartbeat_ms;

	if (e->timer_at != NEVER && e->timer_at > e->now && e->timer_at < tick)
		return e->timer_at; /* armed soon enough: keep it */
	return tick;
}

/* Tell the members whose STATE our exchange waited for in vain. */
void
cv_engine_judge_exchange(struct cv_engine *e)
{
	if (!exchanging(e)) {
		e->exchange_since = NEVER;
		return;
	}
	if (e->exchange_since == NEVER)
		e->exchange_since = e->now;
	for (size_t s = 0; s < e->n_peers; s++) {
		struct peer *p = &e->peers[s];

		if (owes_state(e, p) && e->now >= due_at(e, p))
			send_silent(e, p);
	}
}

/*
 * Everybody tells again: the exchange ends at the last answer, one point
 * for all, with every claim made since. Also before our view is adopted
 * (a late quorum notification): the STATEs we have would end it at once.
 */
static void
restart_from_claims(struct cv_engine *e)
{
	for (size_t s = 0; s < e->n_peers; s++)
		e->peers[s].state_fresh = false;
	e->exchange_done = false;
	cv_engine_send_state(e);
}

/* At delivery, the same point for every member: stop waiting for it. */
void
cv_engine_on_silent(struct cv_engine *e, const struct cv_proto_silent *m)
{
	struct peer *p;

	if (!e->have_totem || !same_ring(m->ring, e->totem_ring) ||
	    !cv_engine_in_totem(e, m->nodeid))
		return;
	p = cv_engine_peer(e, m->nodeid, true);
	if (!p || p->excluded)
		return;
	p->excluded = true;
	p->excluded_at = e->now;
	e->placement_dirty = true;
	cv_engine_notice(e, CV_NOTICE_PEER_SILENT, p->nodeid,
			 "its STATE is overdue: exchanges go on without it");
	/* Said of us, while we run: we answer, and a new exchange includes
	 * us again (everybody tells again, owners restart from the claims). */
	if (p->nodeid == e->me) {
		e->ask_resend = true;
		e->state_due = true;
	}
	/* No process of it in the group: this ends a member's start-up wait
	 * for its daemon (cv_engine_awaits_daemon). A member
	 * whose own start-up was over did not wait: it ended the exchange at
	 * the last STATE and has placed since, and what it took since, no
	 * STATE of it says. Placing from the claims here would give that to
	 * the waiting member too (two holders, advM-settle-seasoned-take):
	 * everybody tells again, and all start from the same claims. */
	if (p->n_pids == 0)
		restart_from_claims(e);
	cv_engine_check_exchange(e);
}

/*
 * A message of node nodeid's daemon was delivered (not its reaper's: that
 * one speaks for a dead daemon; any other process's if we know no daemon of
 * it): it runs. If it was excluded, it is included again here, for all
 * alike; its STATE with RESEND follows (on_silent). Not for a RELEASED
 * (engine-msg.c): a reaper says it, and one that never heard the reaper
 * named (a daemon started since) would include the node again alone.
 */
void
cv_engine_heard(struct cv_engine *e, uint32_t nodeid, uint32_t pid)
{
	struct peer *p = cv_engine_peer(e, nodeid, true); /* its deadline counts on it */

	if (!p || (p->reaper_pid && pid == p->reaper_pid) ||
	    (p->daemon_pid && p->daemon_left_at == NEVER && pid != p->daemon_pid))
		return;
	p->spoke_at = e->now;
	if (p->excluded) {
		p->excluded = false;
		p->excluded_at = NEVER;
		e->placement_dirty = true;
	}
}

/*
 * Rule 4 for a node silent by agreement: its lease rests on its own
 * heartbeats delivered back to it, which reach us too, in the same order;
 * one delivered after the SILENT includes it again. So its last renewal was
 * within L of the last of its heartbeats delivered before the SILENT, and
 * that one came no later than:
 *  - the last heartbeat (or STATE) of its daemon we saw;
 *  - the SILENT;
 *  - the last thing we heard of it, or our own join if that came later
 *    (we hear everything since: a fresh daemon never heard a node that
 *    froze before it started, and need not count from the SILENT).
 */
uint64_t
cv_engine_excluded_deadline(const struct cv_engine *e, const struct peer *p)
{
	uint64_t heard = e->hearing_since == NEVER	? NEVER
			 : p->spoke_at == NEVER		? e->hearing_since
							: CV_MAX(p->spoke_at, e->hearing_since);

	if (!p->excluded)
		return NEVER;
	return CV_MIN(CV_MIN(p->last_hb_at, p->excluded_at), heard) + cv_engine_peer_lease_ms(e, p) +
	       e->cfg->cluster.kernel_lease_ms + 1000;
}

/* A new ring or a daemon joining: who is excluded starts over, for all. */
void
cv_engine_forget_silences(struct cv_engine *e)
{
	for (size_t s = 0; s < e->n_peers; s++) {
		e->peers[s].excluded = false;
		e->peers[s].excluded_at = NEVER;
	}
	e->exchange_since = NEVER;
	e->placement_dirty = true;
}
