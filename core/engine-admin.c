/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovipctl's moves and standby as cluster state (docs/safety.md, "Admin
 * commands"). A command is accepted at its delivery, in total order, so every
 * member of the view applies it at the same point. Each carries a stamp its
 * origin gave it (above every stamp the origin has seen, and above the ring's
 * sequence number); every STATE carries the moves and the standby table, and
 * a merge keeps, per VIP and per node, the entry with the highest stamp (then
 * the highest target or node id): a daemon that restarts or reloads learns
 * them back from any member, and after a heal both sides converge on the
 * newest command. Only a member in a quorate view sends one (the check is at
 * the origin: at delivery every member applies it alike), so after a heal
 * the side that was quorate wins; when both were quorate at different times
 * (a quorum device or two_node), the later ring's command has the higher
 * stamp.
 *
 * A move is one-shot: it ends (a tombstone: target 0, stamp kept, so an older
 * copy cannot bring it back) when its target's STATE says it holds the VIP,
 * or when its target leaves the totem ring.
 *
 * Maintenance mode is the standby of node 0: the whole cluster
 * (cv_engine_maintenance; placement, engine-place.c).
 *
 * Our preempt delay is said in our STATE likewise (end of file).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

#define BIT(slot) (UINT64_C(1) << (slot))

uint64_t
cv_engine_next_stamp(const struct cv_engine *e)
{
	return CV_MAX(e->cmd_stamp + 1, (e->view_ring.seq << 16) + 1);
}

/* Is nodeid a node the config names, or a member of the totem ring? */
bool
cv_engine_known_node(const struct cv_engine *e, uint32_t nodeid)
{
	for (size_t i = 0; i < e->cfg->n_nodes; i++)
		if (e->node_ids[i] == nodeid)
			return true;
	return cv_engine_in_totem(e, nodeid);
}

/*
 * (stamp, tie) of a over b: the merge order every member uses. At one
 * stamp a tie of 0 (a move that ended) ranks above any target, so a copy of
 * the move still under way cannot bring it back.
 */
static uint64_t
rank(uint32_t tie)
{
	return tie ? tie : (uint64_t)UINT32_MAX + 1;
}

static bool
newer(uint64_t stamp, uint32_t tie, uint64_t old_stamp, uint32_t old_tie)
{
	return stamp > old_stamp || (stamp == old_stamp && rank(tie) > rank(old_tie));
}

void
cv_engine_set_move(struct cv_engine *e, size_t i, uint32_t target, uint64_t stamp)
{
	struct vip_rt *v = &e->vips[i];

	/* Stamps start at 1: a 0 is no command (and would not be sent on). */
	if (!stamp || !newer(stamp, target, v->move_stamp, v->move_target))
		return;
	v->move_target = target;
	v->move_stamp = stamp;
	e->cmd_stamp = CV_MAX(e->cmd_stamp, stamp);
	e->placement_dirty = true;
	e->admin_gen++;
}

static struct standby_entry *
standby_entry(struct cv_engine *e, uint32_t nodeid, bool create)
{
	for (size_t i = 0; i < e->n_standby; i++)
		if (e->standby[i].nodeid == nodeid)
			return &e->standby[i];
	if (!create || e->n_standby == ELEMENTSOF(e->standby))
		return NULL;
	e->standby[e->n_standby] = (struct standby_entry){ .nodeid = nodeid };
	return &e->standby[e->n_standby++];
}

static void
set_standby(struct cv_engine *e, uint32_t nodeid, bool standby, uint64_t stamp)
{
	struct standby_entry *s;

	if (nodeid && !cv_engine_known_node(e, nodeid))
		return; /* no slot for names that are no node of ours (0: maintenance) */
	if (!stamp)
		return; /* stamps start at 1: a 0 is no command */
	s = standby_entry(e, nodeid, true);
	if (!s || !newer(stamp, standby, s->stamp, s->standby))
		return;
	s->standby = standby;
	s->stamp = stamp;
	e->cmd_stamp = CV_MAX(e->cmd_stamp, stamp);
	e->placement_dirty = true;
	e->admin_gen++;
}

bool
cv_engine_runtime_standby(const struct cv_engine *e, uint32_t nodeid)
{
	for (size_t i = 0; i < e->n_standby; i++)
		if (e->standby[i].nodeid == nodeid)
			return e->standby[i].standby;
	return false;
}

/* Maintenance mode is the standby of node 0, the whole cluster: the same
 * cluster state, stamps and merge as a node's (docs/safety.md). */
bool
cv_engine_maintenance(const struct cv_engine *e)
{
	return cv_engine_runtime_standby(e, 0);
}

/*
 * Maintenance mode (corovipctl maintenance on): placement moves nothing. A
 * VIP keeps the owner it has while that owner's daemon is in the view (and
 * not silenced by agreement, rule 7), whatever its checks, standby or the
 * preferences say; a VIP whose owner went (a crash, a stop, its daemon
 * killed) and one nobody owned stay with nobody: no takeover, no handoff
 * (an owner back from a quorum loss or a cut keeps it: engine-view.c
 * self_owner). What still gives nobody: an exclusive VIP's split, an
 * address another definition won.
 * Quorum loss and a lapsed lease release as always (rules 1 and 5): they do
 * not go through placement. docs/safety.md, "Maintenance mode".
 */
uint32_t
cv_engine_maintenance_owner(const struct cv_engine *e, size_t i, bool lost,
			    enum cv_place_reason *why, uint32_t placed)
{
	const struct vip_rt *v = &e->vips[i];
	const struct peer *p;
	uint32_t owner;

	if (!cv_engine_maintenance(e) || *why == CV_PLACE_SPLIT || lost)
		return placed;
	p = v->owner ? cv_engine_peer((struct cv_engine *)e, v->owner, false) : NULL;
	owner = p && p->in_view && cv_engine_daemon_present(p) && !p->excluded ? v->owner : 0;
	if (owner != placed)
		*why = owner ? CV_PLACE_STICKY : CV_PLACE_NONE;
	return owner;
}

/* ---- local commands: checked here, applied when delivered ---- */

int
cv_engine_admin_move(struct cv_engine *e, const char *vip, uint32_t node)
{
	int i = cv_engine_vip_by_name(e, vip);
	int slot = cv_engine_peer_slot(e, node);
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_MOVE,
				  .move = { .origin = e->me, .target = node,
					    .stamp = cv_engine_next_stamp(e) } };

	if (i < 0) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node, "no such VIP");
		return 0;
	}
	if (!cv_engine_node_eligible(e, node)) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "the node is not eligible (not in the quorate view, no daemon, "
				 "another config, standby or silent)");
		return 0;
	}
	if (cv_engine_banned(e, (size_t)i, node)) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "the node is banned from the VIP (corovipctl clear ends that)");
		return 0;
	}
	if (slot < 0 || !((e->vips[i].healthy | e->vips[i].fallback) & BIT(slot))) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "the VIP's checks fail on that node");
		return 0;
	}
	snprintf(m.move.vip, sizeof(m.move.vip), "%s", vip);
	cv_engine_send(e, &m);
	return 0;
}

int
cv_engine_admin_standby(struct cv_engine *e, uint32_t node, bool standby)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_STANDBY,
				  .standby = { .origin = e->me, .target = node,
					       .standby = standby, .stamp = cv_engine_next_stamp(e) } };

	if (node && !cv_engine_known_node(e, node)) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "no such node (neither in the config nor in the ring)");
		return 0;
	}
	if (!e->have_view || !e->view_quorate) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "this node is not in a quorate partition");
		return 0;
	}
	cv_engine_send(e, &m);
	return 0;
}

/* ---- delivered commands ---- */

/*
 * A delivered command is applied by every member at the same point in the
 * total order, so its acceptance may depend only on what every member knows
 * alike there: the VIP's name and a node of the cluster as target. Not on
 * our view's quorum or the target's eligibility: those are our own timing
 * (the quorum notification may come after the ring's first messages), and
 * one member applying a move another refused would place the VIPs
 * differently — two owners. The origin checked eligibility and quorum when
 * it sent the command (cv_engine_admin_move); placement treats a target
 * that cannot hold the VIP as a preference it cannot follow.
 */
void
cv_engine_on_move(struct cv_engine *e, uint32_t sender, const struct cv_proto_move *m)
{
	int i = cv_engine_vip_by_name(e, m->vip);
	int slot = cv_engine_peer_slot(e, m->target);

	if (m->origin != sender)
		return cv_engine_notice(e, CV_NOTICE_BAD_MESSAGE, sender, "MOVE from another node");
	if (i < 0 || !cv_engine_known_node(e, m->target))
		return;
	/* Already there: nothing to do, and nothing to leave behind. Only
	 * a claim every member knows alike says so: one in the target's
	 * STATE since the ring or the group last changed (spoke). An older
	 * one only some remember (a member that joined since, or restarted,
	 * never heard it): the move would end on some and live on others,
	 * and their placements differ (two owners). */
	if (slot >= 0 && e->peers[slot].spoke && (e->vips[i].claims & BIT(slot)))
		cv_engine_set_move(e, (size_t)i, 0, m->stamp);
	else
		cv_engine_set_move(e, (size_t)i, m->target, m->stamp);
}

void
cv_engine_on_standby(struct cv_engine *e, uint32_t sender, const struct cv_proto_standby *m)
{
	if (m->origin != sender)
		return cv_engine_notice(e, CV_NOTICE_BAD_MESSAGE, sender, "STANDBY from another node");
	set_standby(e, m->target, m->standby, m->stamp);
}

/* ---- the state every STATE carries ---- */

void
cv_engine_merge_admin(struct cv_engine *e, uint32_t sender, const struct cv_proto_state *s)
{
	for (size_t k = 0; k < s->n_standby; k++)
		set_standby(e, s->standby[k].nodeid, s->standby[k].standby, s->standby[k].stamp);
	for (size_t k = 0; k < s->n_vips; k++) {
		const struct cv_proto_vip *pv = &s->vips[k];
		int i = cv_engine_vip_by_name(e, pv->name);

		if (i < 0)
			continue;
		if (pv->flags & CV_PROTO_VIP_MOVE)
			cv_engine_set_move(e, (size_t)i, pv->move_target, pv->move_stamp);
		cv_engine_merge_bans(e, (size_t)i, pv);
		/* The target has it: the move is done (a tombstone from here on). */
		if ((pv->flags & CV_PROTO_VIP_ACQUIRED) && e->vips[i].move_target == sender) {
			e->vips[i].move_target = 0;
			e->placement_dirty = true;
			e->admin_gen++;
		}
	}
}

void
cv_engine_fill_admin(const struct cv_engine *e, struct cv_proto_state *s)
{
	s->n_standby = 0;
	for (size_t i = 0; i < e->n_standby && s->n_standby < CV_PROTO_STANDBY_MAX; i++)
		s->standby[s->n_standby++] = (struct cv_proto_standby_entry){
			.nodeid = e->standby[i].nodeid,
			.standby = e->standby[i].standby,
			.stamp = e->standby[i].stamp,
		};
}

void
cv_engine_end_moves_of_gone(struct cv_engine *e)
{
	for (size_t i = 0; i < e->n_vips; i++) {
		struct vip_rt *v = &e->vips[i];

		if (v->move_target && !cv_engine_in_totem(e, v->move_target)) {
			v->move_target = 0;
			e->placement_dirty = true;
			e->admin_gen++;
		}
	}
}

/* ---- kept on disk by the daemon ---- */

uint64_t
cv_engine_admin_generation(const struct cv_engine *e)
{
	return e->admin_gen;
}

size_t
cv_engine_admin_export(const struct cv_engine *e, struct cv_admin_entry *v, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_standby; i++, n++)
		if (n < max)
			v[n] = (struct cv_admin_entry){ .node = e->standby[i].nodeid,
							.standby = e->standby[i].standby,
							.stamp = e->standby[i].stamp };
	for (size_t i = 0; i < e->n_vips; i++) {
		if (!e->vips[i].move_stamp)
			continue;
		if (n < max) {
			v[n] = (struct cv_admin_entry){ .move = true, .node = e->vips[i].move_target,
							.stamp = e->vips[i].move_stamp };
			snprintf(v[n].vip, sizeof(v[n].vip), "%s", e->cfg->vips[i].head.name);
		}
		n++;
	}
	return n + cv_engine_export_bans(e, n < max ? v + n : v, n < max ? max - n : 0);
}

void
cv_engine_admin_import(struct cv_engine *e, uint64_t now, const struct cv_admin_entry *v, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		int i = v[k].move ? cv_engine_vip_by_name(e, v[k].vip) : -1;

		if (v[k].ban)
			cv_engine_import_ban(e, now, &v[k]);
		else if (!v[k].move)
			set_standby(e, v[k].node, v[k].standby, v[k].stamp);
		else if (i >= 0)
			cv_engine_set_move(e, (size_t)i, v[k].node, v[k].stamp);
	}
}

/* ---- our preempt delay: said in our STATE, as the standby table is ---- */

/*
 * In our preempt delay: back in a quorate view (fresh_until: the first
 * after our start or our return) less than preempt_delay ago. Said in our
 * STATE, so that every member places with the same flags (determinism):
 * when it ends we send our STATE again (engine.c).
 */
bool
cv_engine_preempt_held(const struct cv_engine *e)
{
	uint32_t d = e->cfg->cluster.preempt_delay_ms;

	return d && (e->fresh_until == 0 || e->now < e->fresh_until + d);
}

/* Our preempt delay ended (or began) since our last STATE: say so, placement follows it. */
void
cv_engine_preempt_tick(struct cv_engine *e)
{
	if (cv_engine_preempt_held(e) != e->sent_preempt_hold)
		e->state_due = true;
}

/*
 * When our preempt delay ends, to wake then (NEVER: not in it, not back yet,
 * or over: then our next STATE says so, whenever we may send one).
 */
uint64_t
cv_engine_preempt_due(const struct cv_engine *e)
{
	uint64_t end = e->fresh_until + e->cfg->cluster.preempt_delay_ms;

	return e->sent_preempt_hold && e->fresh_until && end > e->now ? end : NEVER;
}
