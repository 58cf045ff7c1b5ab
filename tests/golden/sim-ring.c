/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rings: who can reach whom, when rings stall, re-form and sync (see
 * sim-net.c's comment for the model), each node's confchg, and quorum.
 * Why a stall rather than an immediate re-formation: totem only notices a
 * loss at the token timeout, and a link that comes back before it (a short
 * flap, corosync stopped for less than the token) costs a pause, not a new
 * ring; a heal or join while the rings form restarts the consensus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-int.h"

bool
net_cs_alive(const struct node *n)
{
	return !n->crashed && n->cs == CS_UP;
}

static uint64_t
component(const struct sim *s, uint32_t i)
{
	const struct node *n = &s->nodes[i];
	uint64_t mask = 0;

	if (!net_cs_alive(n))
		return 0;
	if (!n->link)
		return BIT(i);
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if (net_cs_alive(&s->nodes[j]) && s->nodes[j].link && s->nodes[j].part == n->part)
			mask |= BIT(j);
	return mask;
}

static uint32_t
lowest(uint64_t mask)
{
	return (uint32_t)__builtin_ctzll(mask) + 1;
}

/*
 * corosync's ring seq: the highest its members' corosync formed (the joins
 * carry it; each keeps it on disk across restarts) + 4 (totemsrp.c,
 * memb_state_commit_token_create). Not one counter for all: each side of a
 * partition numbers its ring from its own members, and a node whose
 * corosync stood still through rings formed without it sees the seq jump
 * by 8 or more (engine-view.c unwatch_after_jump). A ring stopped before it
 * formed counts for nobody (no confchg of it reaches anyone).
 */
static uint64_t
ring_seq_for(const struct sim *s, uint64_t mask)
{
	uint64_t seq = 0;

	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((mask & BIT(j)) && s->nodes[j].ring_seq > seq)
			seq = s->nodes[j].ring_seq;
	return seq + 4;
}

static void
ring_seq_formed(struct sim *s, const struct ring *r)
{
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((r->mask & BIT(j)) && s->nodes[j].ring_seq < r->id.seq)
			s->nodes[j].ring_seq = r->id.seq;
}

static struct ring *
ring_new(struct sim *s, uint64_t mask, const uint64_t *comp)
{
	struct ring *r = sim_xcalloc(1, sizeof(*r));

	r->id = (struct cv_ring_id){ .nodeid = lowest(mask), .seq = ring_seq_for(s, mask) };
	r->mask = mask;
	quorum_ring_init(s, r, comp);
	r->next_all = s->rings;
	s->rings = r;
	return r;
}

/* The ring stops delivering: what was in flight goes back to its senders, first in line. */
static void
stop_ring(struct sim *s, struct ring *r)
{
	struct queue back[SIM_MAX_NODES + 1] = {};
	struct item *it;

	if (!r || r->stopped)
		return;
	r->stopped = true;
	while ((it = net_dequeue(&r->flight))) {
		struct node *n = &s->nodes[it->nodeid];

		if (n->crashed || n->cs == CS_DOWN)
			item_free(it);
		else
			net_enqueue(&back[it->nodeid], it);
	}
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (back[i].head) {
			back[i].tail->next = s->nodes[i].outbox.head;
			if (!s->nodes[i].outbox.head)
				s->nodes[i].outbox.tail = back[i].tail;
			s->nodes[i].outbox.head = back[i].head;
		}
}

/* Totem's timers among mask's members: whoever times out first starts the
 * re-formation (timing NODES gives nodes their own). */
static uint32_t
ring_timer(const struct sim *s, uint64_t mask, bool token)
{
	uint32_t t = token ? s->o.token_ms : s->o.consensus_ms, min = UINT32_MAX;

	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		uint32_t v = token ? s->nodes[j].token_ms : s->nodes[j].consensus_ms;

		if (mask & BIT(j))
			min = (v ? v : t) < min ? (v ? v : t) : min;
	}
	return min == UINT32_MAX ? t : min;
}

static void
form(struct sim *s, uint64_t mask, const uint64_t *comp, uint32_t delay, const char *why)
{
	struct ring *r = ring_new(s, mask, comp);

	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if (mask & BIT(j)) {
			stop_ring(s, s->nodes[j].ring);
			stop_ring(s, s->nodes[j].pending);
		}
	r->form_at = s->now + delay;
	r->sync_at = r->form_at + s->o.sync_ms;
	sim_trace(s, "ring {%u,%llu} mask %#llx forms at %llu (%s)%s", r->id.nodeid,
		  (unsigned long long)r->id.seq, (unsigned long long)mask,
		  (unsigned long long)r->form_at, why,
		  r->quorate ? " quorate" : "");
	sim_push(
	    s, (struct event){ .at = r->form_at > s->o.jitter_ms ? r->form_at - s->o.jitter_ms : 0,
			       .kind = EV_RING_FORM,
			       .ring = r });
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if (mask & BIT(j)) {
			uint64_t at =
			    r->form_at + sim_rand(s, 0, 2 * s->o.jitter_ms) - s->o.jitter_ms;

			s->nodes[j].pending = r;
			s->nodes[j].target = mask;
			sim_push(s, (struct event){
					.at = at, .kind = EV_CONFCHG, .node = j, .ring = r });
		}
	sim_push(s, (struct event){ .at = r->sync_at, .kind = EV_RING_SYNC, .ring = r });
}

static void
stall(struct sim *s, struct ring *r)
{
	if (!r || r->stopped || r->stalled)
		return;
	r->stalled = true;
	sim_trace(s, "ring {%u,%llu} stalls", r->id.nodeid, (unsigned long long)r->id.seq);
}

/* The lost member is back before the token timeout: the ring goes on. */
static void
unstall(struct sim *s, struct ring *r)
{
	r->stalled = false;
	sim_trace(s, "ring {%u,%llu} resumes", r->id.nodeid, (unsigned long long)r->id.seq);
	for (struct item *it = r->flight.head; it; it = it->next) {
		it->at = s->now + s->o.latency_ms;
		sim_push(s, (struct event){ .at = it->at, .kind = EV_DELIVER, .ring = r });
	}
	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		struct node *n = &s->nodes[j];
		struct item *it;

		if ((r->mask & BIT(j)) && n->ring == r && net_operational(n))
			while ((it = net_dequeue(&n->outbox)))
				net_to_flight(s, r, it);
	}
}

/* A member is lost: an operational ring stalls, a formation under way is abandoned. */
static void
interrupt(struct sim *s, struct node *n)
{
	if (n->pending && n->pending == n->ring && n->ring->synced)
		stall(s, n->ring);
	else
		stop_ring(s, n->pending);
}

static void
components(const struct sim *s, uint64_t *comp)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		comp[i] = component(s, i);
}

/* Nodes whose corosync died or whose node crashed leave every ring at once. */
static void
drop_dead(struct sim *s, const uint64_t *comp)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		struct node *n = &s->nodes[i];

		if (comp[i] || !n->target)
			continue;
		interrupt(s, n); /* a frozen node holds the token */
		if (n->cs == CS_FROZEN)
			continue;
		n->target = 0;
		n->pending = NULL;
		net_queue_clear(&n->outbox);
		if (!n->crashed && n->outside_since == SIM_NEVER)
			n->outside_since = s->now;
	}
}

static bool
lost_members(const struct sim *s, uint64_t mask)
{
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((mask & BIT(j)) && (s->nodes[j].target & ~mask))
			return true;
	return false;
}

/* Does mask hold a node that one of its members' ring (or formation) does not count? */
static bool
joined_members(const struct sim *s, uint64_t mask)
{
	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		uint64_t t = s->nodes[j].target;

		if ((mask & BIT(j)) && t && (mask & ~t))
			return true;
	}
	return false;
}

/* Rings nobody left any more (a cut healed, corosync thawed in time) go on. */
static void
resume_unchanged(struct sim *s, const uint64_t *comp)
{
	for (struct ring *r = s->rings; r; r = r->next_all) {
		bool same = r->stalled && !r->stopped;

		for (uint32_t j = 1; same && j <= s->o.n_nodes; j++)
			if (r->mask & BIT(j))
				same = comp[j] == r->mask && s->nodes[j].pending == r;
		if (same)
			unstall(s, r);
	}
}

/*
 * Something changed reachability or corosync's state. Members only added:
 * a new ring forms after consensus. A member lost: the rings involved stall
 * now, and the token timeout (net_detect) decides — unless a node joins
 * meanwhile (join-exclusion): its join starts a gather at once, and the
 * silent member, which answers nothing, is left out of the ring that forms
 * consensus later (design.md: a join-triggered re-formation can exclude a
 * silent node after about consensus alone).
 */
void
net_update(struct sim *s)
{
	uint64_t comp[SIM_MAX_NODES + 1] = {}, done = 0;

	components(s, comp);
	drop_dead(s, comp);
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		uint64_t c = comp[i];

		if (!c || c == s->nodes[i].target || (done & BIT(i)))
			continue;
		done |= c;
		if (!lost_members(s, c)) {
			form(s, c, comp, ring_timer(s, c, false), "added");
			continue;
		}
		if (s->o.join_exclusion && joined_members(s, c)) {
			form(s, c, comp, ring_timer(s, c, false), "join: the silent left out");
			continue;
		}
		for (uint32_t j = 1; j <= s->o.n_nodes; j++)
			if (c & BIT(j))
				interrupt(s, &s->nodes[j]);
		sim_push(s, (struct event){ .at = s->now + ring_timer(s, c, true), .kind = EV_DETECT });
	}
	resume_unchanged(s, comp);
}

/*
 * Token timeout: what is still lost is lost, and an abandoned formation
 * starts over; the new rings form after consensus.
 */
static void
net_detect(struct sim *s)
{
	uint64_t comp[SIM_MAX_NODES + 1] = {}, done = 0;

	components(s, comp);
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		const struct node *n = &s->nodes[i];
		uint64_t c = comp[i];

		if (!c || (done & BIT(i)) || (c == n->target && n->pending && !n->pending->stopped))
			continue;
		done |= c;
		form(s, c, comp, ring_timer(s, c, false), lost_members(s, c) ? "lost" : "added");
	}
	/* the frozen nodes' rings: the others formed without them; theirs is over */
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (!comp[i] && s->nodes[i].ring && s->nodes[i].ring->stalled)
			stop_ring(s, s->nodes[i].ring);
	resume_unchanged(s, comp);
}

/* Time 0: the rings of the nodes that are up are already there. */
void
net_init(struct sim *s)
{
	uint64_t comp[SIM_MAX_NODES + 1] = {}, done = 0;

	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		comp[i] = component(s, i);
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		struct ring *r;

		if (!comp[i] || (done & BIT(i)))
			continue;
		done |= comp[i];
		r = ring_new(s, comp[i], comp);
		r->formed = r->synced = true;
		ring_seq_formed(s, r);
		for (uint32_t j = 1; j <= s->o.n_nodes; j++)
			if (comp[i] & BIT(j)) {
				s->nodes[j].ring = s->nodes[j].pending = r;
				s->nodes[j].target = comp[i];
				s->nodes[j].outside_since = r->quorate ? SIM_NEVER : 0;
			}
	}
}

/*
 * Is pid's LEAVE still to go out from n (a daemon whose connection was lost
 * while its ring was down, reconnected since under the same pid)? corosync
 * sends its procleave and the new connection's join in that order: the
 * formation does not take the daemon in, it joins after the leave
 * (confchg: net_join_now).
 */
static bool
leave_pending(const struct node *n, uint32_t pid)
{
	for (const struct item *it = n->outbox.head; it; it = it->next)
		if (it->kind == IT_LEAVE && it->pid == pid)
			return true;
	return false;
}

static void
ring_form(struct sim *s, struct ring *r)
{
	if (r->stopped)
		return;
	r->formed = true;
	ring_seq_formed(s, r);
	quorum_device_won(s, r);
	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		struct node *n = &s->nodes[j];

		if (!(r->mask & BIT(j)))
			continue;
		if (n->d.state != PROC_DEAD && n->d.connected && !leave_pending(n, n->d.pid))
			net_member_add(r, j, n->d.pid);
		if (n->r.state != PROC_DEAD)
			net_member_add(r, j, n->r.pid);
	}
}

static void
confchg(struct sim *s, struct node *n, struct ring *r)
{
	if (r->stopped || n->pending != r || !net_cs_alive(n))
		return;
	n->ring = r;
	n->outside_since = r->quorate ? SIM_NEVER : s->now;
	sim_trace(s, "n%u confchg ring {%u,%llu}", n->id, r->id.nodeid,
		  (unsigned long long)r->id.seq);
	if (n->d.state == PROC_DEAD || !n->d.connected)
		return;
	if (net_member_index(r, n->d.pid) < 0) {
		net_join_now(s, n); /* connected while the ring formed */
		return;
	}
	net_feed_group(s, n, r, NULL, 0);
	net_feed_cs(s, n, net_totem_ev(r));
	/* A ring that may be quorate by arithmetic is known not to be only
	 * by its quorum notification: outside from then (rule 1). */
	if (!r->quorate && quorum_may_be_quorate(s, r))
		n->outside_since = SIM_NEVER;
	quorum_feed(s, n, r);
}

static void
ring_sync(struct sim *s, struct ring *r)
{
	if (r->stopped)
		return;
	r->synced = true;
	for (uint32_t j = 1; j <= s->o.n_nodes; j++) {
		struct node *n = &s->nodes[j];
		struct item *it;

		if (!(r->mask & BIT(j)) || n->ring != r)
			continue;
		while ((it = net_dequeue(&n->outbox)))
			net_to_flight(s, r, it);
		if (s->o.reaper_state && n->r.state != PROC_DEAD)
			net_reaper_state(s, n);
	}
}

void
net_handle(struct sim *s, const struct event *ev)
{
	struct node *n = &s->nodes[ev->node];

	switch (ev->kind) {
	case EV_RING_FORM:
		ring_form(s, ev->ring);
		break;
	case EV_CONFCHG:
		confchg(s, n, ev->ring);
		break;
	case EV_QUORUM:
		if (n->ring != ev->ring || n->d.gen != ev->gen)
			break;
		if (net_cs_alive(n)) {
			net_feed_cs(s, n, quorum_ev(s, ev->ring));
		} else if (!n->crashed && n->cs == CS_FROZEN) {
			/* votequorum's notification is only late: it goes
			 * out when this corosync runs again (quorum_thawed) */
			n->quorum_owed = ev->ring;
			n->quorum_owed_gen = ev->gen;
		}
		break;
	case EV_RING_SYNC:
		ring_sync(s, ev->ring);
		break;
	case EV_DELIVER:
		net_deliver(s, ev->ring);
		break;
	case EV_DETECT:
		net_detect(s);
		break;
	default:
		break;
	}
}

void
net_free(struct sim *s)
{
	for (struct ring *r = s->rings, *next; r; r = next) {
		next = r->next_all;
		net_queue_clear(&r->flight);
		free(r->members);
		free(r);
	}
	s->rings = NULL;
	free(s->fates);
}
