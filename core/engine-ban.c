/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corovipctl ban VIP NODE [--lifetime D] and clear VIP [NODE]: a lasting
 * rule that NODE may not hold VIP, as cluster state (docs/safety.md, "Admin
 * commands as cluster state"), the way moves and standby are
 * (engine-admin.c): accepted at delivery, in total order; stamped by their
 * origin; carried by every STATE (each VIP's entry lists its bans) and
 * merged per (VIP, node) by stamp. A clear does not delete an entry: it
 * leaves it cleared with the newer stamp (one where there was none too),
 * so an older copy of the ban cannot bring it back after a heal.
 *
 * Placement treats a banned node as one whose checks fail for that VIP
 * (engine-place.c vip_input): not a candidate, so its holder hands the VIP
 * off; it still counts as passing an exclusive VIP's checks (a split is a
 * split, whoever may hold it).
 *
 * A lifetime ends by agreement, not by each member's clock: placement must
 * change at one point of the stream everywhere, or two members place the
 * VIP differently (two owners). Every member arms a timer (from when it
 * learned of the ban, the remaining time a STATE says for one that learns
 * it later); the first daemon whose timer runs out in a quorate view sends
 * a CLEAR carrying the ban's stamp, and at its delivery every member ends
 * exactly that ban (a newer ban of the same node stays). At one stamp a
 * cleared entry ranks above a banned one, so the expired ban loses every
 * later merge too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "engine-int.h"

#define BIT(slot) (UINT64_C(1) << (slot))

/* Our CLEAR for a lifetime that ran out is sent again this long after, if
 * the ban still stands (lost with our connection; one refused for coming
 * across a membership change goes again once the exchange is done). */
#define EXPIRY_RESEND_MS 1000

/* (stamp, cleared) of a over b: at one stamp, cleared wins. */
static bool
newer(uint64_t stamp, bool banned, const struct ban *old)
{
	return stamp > old->stamp || (stamp == old->stamp && !banned && old->banned);
}

static struct ban *
find_ban(const struct vip_rt *v, uint32_t node)
{
	for (size_t k = 0; k < v->n_bans; k++)
		if (v->bans[k].node == node)
			return &v->bans[k];
	return NULL;
}

static struct ban *
new_ban(struct cv_engine *e, struct vip_rt *v, uint32_t node)
{
	struct ban *b;

	if (v->n_bans >= CV_PROTO_BANS_MAX)
		return NULL; /* more than the nodes there can be */
	b = realloc(v->bans, (v->n_bans + 1) * sizeof(*v->bans));
	if (!b) {
		e->out->err = -ENOMEM;
		return NULL;
	}
	v->bans = b;
	b = &v->bans[v->n_bans++];
	*b = (struct ban){ .node = node, .deadline = NEVER };
	return b;
}

/*
 * Merge (node, banned, stamp) into VIP i's bans; deadline is when its
 * lifetime ends as we learn it (NEVER: none). The same entry again keeps
 * the earlier deadline.
 */
static void
set_ban(struct cv_engine *e, size_t i, uint32_t node, bool banned, uint64_t stamp,
	uint64_t deadline)
{
	struct vip_rt *v = &e->vips[i];
	struct ban *b;

	if (!stamp || !node || !cv_engine_known_node(e, node))
		return; /* stamps start at 1; no slot for names that are no node of ours */
	b = find_ban(v, node);
	if (!b && !(b = new_ban(e, v, node)))
		return;
	if (b->stamp == stamp && b->banned == banned) {
		if (banned && deadline < b->deadline) {
			b->deadline = deadline;
			cv_engine_bans_rescan(e);
		}
		return;
	}
	if (b->stamp && !newer(stamp, banned, b))
		return;
	*b = (struct ban){ .node = node, .banned = banned, .stamp = stamp,
			   .deadline = banned ? deadline : NEVER };
	e->cmd_stamp = CV_MAX(e->cmd_stamp, stamp);
	e->placement_dirty = true;
	e->admin_gen++;
	cv_engine_bans_rescan(e);
}

static uint64_t
deadline_in(const struct cv_engine *e, uint32_t ms)
{
	return ms ? e->now + ms : NEVER;
}

bool
cv_engine_banned(const struct cv_engine *e, size_t i, uint32_t node)
{
	const struct ban *b = find_ban(&e->vips[i], node);

	return b && b->banned;
}

uint64_t
cv_engine_banned_slots(const struct cv_engine *e, size_t i)
{
	const struct vip_rt *v = &e->vips[i];
	uint64_t mask = 0;

	for (size_t k = 0; k < v->n_bans; k++) {
		int s = v->bans[k].banned ? cv_engine_peer_slot(e, v->bans[k].node) : -1;

		if (s >= 0)
			mask |= BIT(s);
	}
	return mask;
}

/* ---- local commands: checked here, applied when delivered ---- */

static int
origin_check(struct cv_engine *e, const char *vip, uint32_t node, int *ret_i)
{
	*ret_i = cv_engine_vip_by_name(e, vip);
	if (*ret_i < 0) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node, "no such VIP");
		return -ENOENT;
	}
	if (node && !cv_engine_known_node(e, node)) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "no such node (neither in the config nor in the ring)");
		return -ENOENT;
	}
	if (!e->have_view || !e->view_quorate) {
		cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, node,
				 "this node is not in a quorate partition");
		return -EAGAIN;
	}
	return 0;
}

int
cv_engine_admin_ban(struct cv_engine *e, const char *vip, uint32_t node, uint32_t lifetime_ms)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_BAN,
				  .ban = { .origin = e->me, .target = node,
					   .stamp = cv_engine_next_stamp(e),
					   .lifetime_ms = lifetime_ms } };
	int i;

	if (!node)
		return -EINVAL;
	if (origin_check(e, vip, node, &i) < 0)
		return 0;
	snprintf(m.ban.vip, sizeof(m.ban.vip), "%s", vip);
	cv_engine_send(e, &m);
	return 0;
}

int
cv_engine_admin_clear(struct cv_engine *e, const char *vip, uint32_t node)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_CLEAR,
				  .clear = { .origin = e->me, .node = node,
					     .stamp = cv_engine_next_stamp(e) } };
	int i;

	if (origin_check(e, vip, node, &i) < 0)
		return 0;
	snprintf(m.clear.vip, sizeof(m.clear.vip), "%s", vip);
	cv_engine_send(e, &m);
	return 0;
}

/* ---- delivered commands (engine-admin.c says why nothing else is checked) ---- */

void
cv_engine_on_ban(struct cv_engine *e, uint32_t sender, const struct cv_proto_ban_cmd *m)
{
	int i = cv_engine_vip_by_name(e, m->vip);

	if (m->origin != sender)
		return cv_engine_notice(e, CV_NOTICE_BAD_MESSAGE, sender, "BAN from another node");
	if (i >= 0)
		set_ban(e, (size_t)i, m->target, true, m->stamp, deadline_in(e, m->lifetime_ms));
}

void
cv_engine_on_clear(struct cv_engine *e, uint32_t sender, const struct cv_proto_clear *m)
{
	int i = cv_engine_vip_by_name(e, m->vip);
	struct vip_rt *v;

	if (m->origin != sender)
		return cv_engine_notice(e, CV_NOTICE_BAD_MESSAGE, sender, "CLEAR from another node");
	if (i < 0)
		return;
	v = &e->vips[i];
	/* Each a merge, whether or not we had the entry: at this delivery
	 * some members may not have merged yet a STATE that carries it, which
	 * comes later (sent before this) and must lose there too, or they
	 * place the VIP otherwise than the rest for good (two owners:
	 * advZb-clear-before-state). */
	if (m->ends) { /* a lifetime over: that ban only, at its own stamp */
		set_ban(e, (size_t)i, m->node, false, m->ends, NEVER);
		return;
	}
	if (m->node) {
		set_ban(e, (size_t)i, m->node, false, m->stamp, NEVER);
	} else {
		/* every node that can have one here: those we have, those of
		 * the config and the ring, which every member knows alike at
		 * this point (a STATE's ban of a node that is neither is not
		 * merged: set_ban) */
		for (size_t k = 0; k < v->n_bans; k++)
			set_ban(e, (size_t)i, v->bans[k].node, false, m->stamp, NEVER);
		for (size_t k = 0; k < e->cfg->n_nodes; k++)
			set_ban(e, (size_t)i, e->node_ids[k], false, m->stamp, NEVER);
		for (size_t k = 0; k < e->n_totem; k++)
			set_ban(e, (size_t)i, e->totem_members[k], false, m->stamp, NEVER);
	}
	/* corovipctl clear VIP also ends a move under way (as pcs resource
	 * clear does): one that cannot happen would otherwise stay (a merge
	 * too: a move a late STATE carries ends as well) */
	if (!m->node)
		cv_engine_set_move(e, (size_t)i, 0, m->stamp);
}

/* ---- lifetimes ---- */

/* When a ban's lifetime needs us next: NEVER if none. */
static uint64_t
ban_due(const struct ban *b)
{
	if (!b->banned || b->deadline == NEVER)
		return NEVER;
	return b->expiry_sent_at ? b->expiry_sent_at + EXPIRY_RESEND_MS : b->deadline;
}

void
cv_engine_bans_rescan(struct cv_engine *e)
{
	e->bans_due = NEVER;
	for (size_t i = 0; i < e->n_vips; i++)
		for (size_t k = 0; k < e->vips[i].n_bans; k++)
			e->bans_due = CV_MIN(e->bans_due, ban_due(&e->vips[i].bans[k]));
}

/* Only where its delivery counts (engine-msg.c on_command: a daemon that spoke in this ring). */
static bool
may_send_clear(const struct cv_engine *e)
{
	return e->have_view && e->view_quorate && e->exchange_done && e->cpg_up && !e->stopping;
}

/* Our timer for a ban's lifetime: NEVER while we may not end one. */
uint64_t
cv_engine_bans_wakeup(const struct cv_engine *e)
{
	return may_send_clear(e) ? e->bans_due : NEVER;
}

static void
send_expiry(struct cv_engine *e, size_t i, struct ban *b)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_CLEAR,
				  .clear = { .origin = e->me, .node = b->node,
					     .stamp = cv_engine_next_stamp(e), .ends = b->stamp } };

	snprintf(m.clear.vip, sizeof(m.clear.vip), "%s", e->cfg->vips[i].head.name);
	cv_engine_send(e, &m);
	b->expiry_sent_at = e->now;
}

/* Sent again as soon as we may (the view's exchange done), not a resend period later. */
void
cv_engine_ban_expiry_refused(struct cv_engine *e, const struct cv_proto_clear *m)
{
	int i = cv_engine_vip_by_name(e, m->vip);
	struct ban *b = i >= 0 ? find_ban(&e->vips[i], m->node) : NULL;

	if (b && b->banned && b->stamp == m->ends) {
		b->expiry_sent_at = 0;
		cv_engine_bans_rescan(e);
	}
}

void
cv_engine_bans_tick(struct cv_engine *e)
{
	if (e->now < e->bans_due || !may_send_clear(e))
		return;
	for (size_t i = 0; i < e->n_vips; i++)
		for (size_t k = 0; k < e->vips[i].n_bans; k++)
			if (ban_due(&e->vips[i].bans[k]) <= e->now)
				send_expiry(e, i, &e->vips[i].bans[k]);
	cv_engine_bans_rescan(e);
}

/* ---- the state every STATE carries ---- */

static uint32_t
remaining_ms(const struct cv_engine *e, const struct ban *b)
{
	if (!b->banned || b->deadline == NEVER)
		return 0;
	/* (over and not yet ended by agreement: 1 ms, not "no lifetime") */
	return b->deadline > e->now ? (uint32_t)CV_MIN(b->deadline - e->now, UINT32_MAX) : 1;
}

/* A ban as a STATE (and status) says it. */
static struct cv_proto_ban
wire_ban(const struct cv_engine *e, const struct ban *b)
{
	return (struct cv_proto_ban){ .node = b->node, .banned = b->banned, .stamp = b->stamp,
				      .remaining_ms = remaining_ms(e, b) };
}

/*
 * A chunk of our STATE (entries start.. of our VIPs, n of them; past our
 * VIPs: orphans, which have none): each entry's bans, owned by the message.
 * The count and flag are set already (send_state: the chunk's fit counts them).
 */
int
cv_engine_fill_bans(const struct cv_engine *e, struct cv_proto_vip *chunk, size_t n, size_t start)
{
	for (size_t j = 0; j < n && start + j < e->n_vips; j++) {
		const struct vip_rt *v = &e->vips[start + j];

		if (!chunk[j].n_bans)
			continue;
		chunk[j].bans = calloc(v->n_bans, sizeof(*chunk[j].bans));
		if (!chunk[j].bans)
			return -ENOMEM;
		for (size_t k = 0; k < v->n_bans; k++)
			chunk[j].bans[k] = wire_ban(e, &v->bans[k]);
	}
	return 0;
}

void
cv_engine_merge_bans(struct cv_engine *e, size_t i, const struct cv_proto_vip *pv)
{
	for (size_t k = 0; k < pv->n_bans; k++)
		set_ban(e, i, pv->bans[k].node, pv->bans[k].banned, pv->bans[k].stamp,
			deadline_in(e, pv->bans[k].remaining_ms));
}

/* ---- kept on disk by the daemon ---- */

size_t
cv_engine_export_bans(const struct cv_engine *e, struct cv_admin_entry *v, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_vips; i++)
		for (size_t k = 0; k < e->vips[i].n_bans; k++, n++) {
			const struct ban *b = &e->vips[i].bans[k];

			if (n >= max)
				continue;
			v[n] = (struct cv_admin_entry){ .ban = true, .node = b->node,
							.banned = b->banned, .stamp = b->stamp,
							.remaining_ms = remaining_ms(e, b) };
			snprintf(v[n].vip, sizeof(v[n].vip), "%s", e->cfg->vips[i].head.name);
		}
	return n;
}

/* (before the engine's first step: its own now is not known yet) */
void
cv_engine_import_ban(struct cv_engine *e, uint64_t now, const struct cv_admin_entry *a)
{
	int i = cv_engine_vip_by_name(e, a->vip);

	if (i >= 0)
		set_ban(e, (size_t)i, a->node, a->banned, a->stamp,
			a->remaining_ms ? now + a->remaining_ms : NEVER);
}

void
cv_engine_free_vips(struct vip_rt *vips, size_t n)
{
	for (size_t i = 0; vips && i < n; i++)
		free(vips[i].bans);
	free(vips);
}

size_t
cv_engine_vip_bans(const struct cv_engine *e, size_t i, struct cv_proto_ban *v, size_t max)
{
	size_t n = 0;

	for (size_t k = 0; k < e->vips[i].n_bans && n < max; k++) {
		const struct ban *b = &e->vips[i].bans[k];

		if (b->banned)
			v[n++] = wire_ban(e, b);
	}
	return n;
}
