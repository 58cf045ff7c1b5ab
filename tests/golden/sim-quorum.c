/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * votequorum: a ring's votes are its members (one each) plus the quorum
 * device's vote if it has it (ffsplit: the largest partition, ties to the
 * lowest node id, among the partitions with a member that reaches qnetd:
 * qdevice-vote down NODES cuts them off it; a vote taken away that way goes
 * to nobody for qdevice-move ms, 2 s by default: qnetd gives it to another
 * partition only once it noticed the loss, after the losing side stopped
 * voting, by corosync-qdevice's timeouts), against expected / 2 +
 * 1 (1 with two_node). Expected votes are the config's (nodes + device)
 * unless corosync-quorumtool -e changed them (expected-votes): a ring takes
 * the highest its members know, and its members keep it after (votequorum
 * never lowers expected votes on its own). A change within a ring — the
 * expected votes, the device's vote — sends every member a new notification
 * with the same ring id (after quorum-delay, like any).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-int.h"

static uint32_t
node_expected(const struct sim *s, const struct node *n)
{
	return n->expected ? n->expected : s->o.n_nodes + s->o.qdevice_votes;
}

static uint32_t
quorum_of(const struct sim *s, uint32_t expected)
{
	return s->o.two_node ? 1 : expected / 2 + 1;
}

static uint32_t
lowest(uint64_t mask)
{
	return (uint32_t)__builtin_ctzll(mask) + 1;
}

/* Can a member of mask reach qnetd? */
static bool
reaches_qnetd(const struct sim *s, uint64_t mask)
{
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((mask & BIT(j)) && !s->nodes[j].qdevice_lost)
			return true;
	return false;
}

/* qdevice ffsplit over the partitions parts[1..n]: does mask get the vote? */
static bool
gets_qdevice(const struct sim *s, const uint64_t *parts, uint64_t mask)
{
	uint64_t best = 0;

	if (!s->o.qdevice_votes || s->now < s->qdevice_held_until)
		return false;
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		int a = __builtin_popcountll(parts[i]), b = __builtin_popcountll(best);

		if (parts[i] && reaches_qnetd(s, parts[i]) &&
		    (a > b || (a == b && lowest(parts[i]) < lowest(best))))
			best = parts[i];
	}
	return best && best == mask;
}

static uint32_t
votes(const struct sim *s, const uint64_t *parts, uint64_t mask)
{
	return (uint32_t)__builtin_popcountll(mask) +
	       (gets_qdevice(s, parts, mask) ? s->o.qdevice_votes : 0);
}

/* A new ring: its expected votes (which its members keep) and whether it is quorate. */
void
quorum_ring_init(struct sim *s, struct ring *r, const uint64_t *comp)
{
	uint32_t exp = 0;

	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((r->mask & BIT(j)) && node_expected(s, &s->nodes[j]) > exp)
			exp = node_expected(s, &s->nodes[j]);
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if (r->mask & BIT(j))
			s->nodes[j].expected = exp;
	r->expected = exp;
	r->quorate = votes(s, comp, r->mask) >= quorum_of(s, exp);
}

struct inev *
quorum_ev(const struct sim *s, const struct ring *r)
{
	struct inev *ev = sim_inev_new(CV_EV_QUORUM);

	ev->ids = sim_xcalloc(SIM_MAX_NODES, sizeof(*ev->ids));
	for (uint32_t i = 1; i <= SIM_MAX_NODES; i++)
		if (r->mask & BIT(i))
			ev->ids[ev->ev.quorum.n_members++] = i;
	ev->ev.quorum.members = ev->ids;
	ev->ev.quorum.ring = r->id;
	ev->ev.quorum.quorate = r->quorate;
	ev->ev.quorum.quorum_votes = quorum_of(s, r->expected);
	ev->ev.quorum.qdevice_votes = s->o.qdevice_votes;
	ev->ev.quorum.expected_votes = r->expected;
	ev->ev.quorum.two_node = s->o.two_node;
	return ev;
}

/*
 * Could ring r be quorate by rule 1's arithmetic, the only judgement its
 * members can make at its confchg (docs/safety.md; cv_engine_totem_can_be_
 * quorate)? With enough votes of its own, or needing the device's vote that
 * no disjoint ring could win with: its members keep what they hold until
 * its quorum notification, the only news that it is not quorate.
 */
bool
quorum_may_be_quorate(const struct sim *s, const struct ring *r)
{
	uint32_t mine = (uint32_t)__builtin_popcountll(r->mask), dev = s->o.qdevice_votes;
	uint32_t q = quorum_of(s, r->expected), nodes, others;

	if (mine >= q)
		return true;
	if (mine + dev < q)
		return false;
	nodes = r->expected > dev ? r->expected - dev : 0;
	others = nodes > mine ? nodes - mine : 0;
	return others + dev < q;
}

/*
 * n's daemon hears ring r's quorum (its totem confchg, or a change within
 * the ring), after quorum-delay; the checker counts n outside a quorate
 * partition from then.
 */
void
quorum_feed(struct sim *s, struct node *n, struct ring *r)
{
	bool member = n->d.state != PROC_DEAD && n->d.connected &&
		      net_member_index(r, n->d.pid) >= 0;
	uint64_t delay = member ? sim_rand(s, s->o.quorum_delay_lo, s->o.quorum_delay_hi) : 0;

	if (r->quorate)
		n->outside_since = SIM_NEVER;
	else if (n->outside_since == SIM_NEVER || n->outside_since > s->now + delay)
		n->outside_since = s->now + delay;
	if (!member)
		return;
	if (delay == 0)
		net_feed_cs(s, n, quorum_ev(s, r));
	else
		sim_push(s, (struct event){ .at = s->now + delay,
					    .kind = EV_QUORUM,
					    .node = n->id,
					    .ring = r,
					    .gen = n->d.gen });
}

/*
 * n's corosync runs again: a quorum notification that came due while it was
 * frozen goes out now, if n is still in that ring with that daemon (a frozen
 * corosync delays its callbacks, it does not drop them).
 */
void
quorum_thawed(struct sim *s, struct node *n)
{
	struct ring *r = n->quorum_owed;

	n->quorum_owed = NULL;
	if (r && n->ring == r && !r->stopped && n->d.gen == n->quorum_owed_gen && net_cs_alive(n))
		net_feed_cs(s, n, quorum_ev(s, r));
}

/* Is r the operational ring of its members (a change can be agreed in it)? */
static bool
current(const struct sim *s, const struct ring *r)
{
	if (!r->formed || r->stopped || r->stalled)
		return false;
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((r->mask & BIT(j)) && s->nodes[j].ring != r)
			return false;
	return true;
}

/* Recount ring r; tell its members if the outcome (or force: the expected votes) changed. */
static void
recount(struct sim *s, struct ring *r, const uint64_t *parts, bool force)
{
	bool q = votes(s, parts, r->mask) >= quorum_of(s, r->expected);

	if (q == r->quorate && !force)
		return;
	r->quorate = q;
	sim_trace(s, "ring {%u,%llu} quorum: expected %u, %s", r->id.nodeid,
		  (unsigned long long)r->id.seq, r->expected, q ? "quorate" : "not quorate");
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if ((r->mask & BIT(j)) && net_cs_alive(&s->nodes[j]))
			quorum_feed(s, &s->nodes[j], r);
}

static void
current_parts(const struct sim *s, uint64_t *parts)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		const struct ring *r = s->nodes[i].ring;

		parts[i] = r && current(s, r) && net_cs_alive(&s->nodes[i]) ? r->mask : 0;
	}
}

/* corosync-quorumtool -e N on n: votequorum takes it if the new quorum is within [votes/2, votes]. */
static void
set_expected(struct sim *s, struct node *n, uint32_t expected, const uint64_t *parts)
{
	struct ring *r = n->ring;
	uint32_t v, q = quorum_of(s, expected);

	if (!net_cs_alive(n))
		return;
	if (!r || !current(s, r)) {
		n->expected = expected; /* the next ring takes it */
		return;
	}
	v = votes(s, parts, r->mask);
	if (q < v / 2 || q > v) {
		sim_trace(s, "n%u: expected votes %u refused (quorum %u, %u votes)", n->id,
			  expected, q, v);
		return;
	}
	r->expected = expected;
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		if (r->mask & BIT(j))
			s->nodes[j].expected = expected;
	recount(s, r, parts, true);
}

/* Every operational ring counts its votes again; its members hear of a change. */
void
quorum_recount(struct sim *s)
{
	uint64_t parts[SIM_MAX_NODES + 1] = {}, done = 0;

	current_parts(s, parts);
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (parts[i] && !(done & BIT(i))) {
			done |= parts[i];
			recount(s, s->nodes[i].ring, parts, false);
		}
}

/*
 * Ring r formed quorate by the device's vote: qnetd votes for one partition
 * at a time, and ffsplit sends its NACKs before its ACK (qnetd-algo-
 * ffsplit.c), so a disjoint ring that was quorate by that vote (a 2-2 tie
 * the lower node id now wins: a frozen member thawed into the other side)
 * has lost it by now: its members hear it, after quorum-delay like any.
 */
void
quorum_device_won(struct sim *s, const struct ring *r)
{
	if (!s->o.qdevice_votes || !r->quorate ||
	    (uint32_t)__builtin_popcountll(r->mask) >= quorum_of(s, r->expected))
		return;
	for (struct ring *o = s->rings; o; o = o->next_all) {
		if (o == r || !o->quorate || (o->mask & r->mask) || !current(s, o) ||
		    (uint32_t)__builtin_popcountll(o->mask) >= quorum_of(s, o->expected))
			continue;
		o->quorate = false;
		sim_trace(s, "ring {%u,%llu} quorum: the device's vote went to ring {%u,%llu}",
			  o->id.nodeid, (unsigned long long)o->id.seq, r->id.nodeid,
			  (unsigned long long)r->id.seq);
		for (uint32_t j = 1; j <= s->o.n_nodes; j++)
			if ((o->mask & BIT(j)) && net_cs_alive(&s->nodes[j]))
				quorum_feed(s, &s->nodes[j], o);
	}
}

/* The partition with the device's vote loses qnetd: nobody gets the vote for a while. */
static void
qdevice_cut(struct sim *s, uint64_t nodes)
{
	uint64_t parts[SIM_MAX_NODES + 1] = {};

	current_parts(s, parts);
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		const struct ring *r = s->nodes[i].ring;

		if (!parts[i] || !(nodes & BIT(i)) || !r->quorate || !gets_qdevice(s, parts, r->mask))
			continue;
		s->qdevice_held_until = s->now + s->o.qdevice_move_ms;
		sim_push(s, (struct event){ .at = s->qdevice_held_until, .kind = EV_QDEVICE });
		return;
	}
}

void
quorum_cmd(struct sim *s, const struct sim_cmd *c)
{
	uint64_t parts[SIM_MAX_NODES + 1] = {}, done = 0;

	current_parts(s, parts);
	if (c->type == SIM_EXPECTED_VOTES) {
		for (uint32_t i = 1; i <= s->o.n_nodes; i++)
			if ((c->nodes & BIT(i)) && !(done & BIT(i))) {
				set_expected(s, &s->nodes[i], c->a, parts);
				done |= parts[i];
			}
		return;
	}
	if (!c->flag)
		qdevice_cut(s, c->nodes);
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (c->nodes & BIT(i))
			s->nodes[i].qdevice_lost = !c->flag;
	quorum_recount(s);
}
