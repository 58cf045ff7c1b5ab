/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The wire messages as the engine speaks them: STATE (chunked, reassembled
 * per sender), HEARTBEAT (our lease, rule 5; peers' liveness), RELEASED (the
 * handoff and the reaper's word, rules 3 and 4), MOVE and STANDBY. Anything
 * that does not fit is dropped with a notice, never trusted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "engine-int.h"

void
cv_engine_send(struct cv_engine *e, struct cv_proto_msg *m)
{
	struct cv_action a = { .type = CV_ACT_SEND, .msg = *m };

	m->version = CV_PROTO_VERSION;
	a.msg.version = CV_PROTO_VERSION;
	cv_actions_push(e->out, &a);
	if (e->cpg_up && m->type != CV_PROTO_TYPE_HEARTBEAT)
		e->own_in_flight++;
}

/*
 * What we said and was not delivered back yet will change what the others
 * decide (a STATE, a RELEASED): acting on a placement before it comes back
 * would act on what they have moved past already, when our deliveries lag.
 */
static void
own_delivered(struct cv_engine *e, uint32_t nodeid, uint32_t pid, const struct cv_proto_msg *m)
{
	if (nodeid == e->me && pid == e->my_pid && m->type != CV_PROTO_TYPE_HEARTBEAT &&
	    e->own_in_flight)
		e->own_in_flight--;
}

static int
compare_name_key(const void *key, const void *elem)
{
	return strcmp(key, (*(const struct cv_vip_conf *const *)elem)->head.name);
}

int
cv_engine_vip_by_name(const struct cv_engine *e, const char *name)
{
	const struct cv_vip_conf *const *p =
		bsearch(name, e->by_name, e->n_vips, sizeof(*e->by_name), compare_name_key);

	return p ? (int)(*p - e->cfg->vips) : -ENOENT;
}

static void
copy_name(char dst[CV_PROTO_NAME_MAX + 1], const char *src)
{
	size_t n = strnlen(src, CV_PROTO_NAME_MAX);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* ---- sending ---- */

static uint8_t
vip_flags(const struct cv_engine *e, size_t i)
{
	uint8_t f = 0;

	if (cv_engine_says_healthy(e, i))
		f |= CV_PROTO_VIP_HEALTHY;
	if (cv_engine_says_fallback(e, i))
		f |= CV_PROTO_VIP_FALLBACK;
	if (cv_engine_says_passes(e, i))
		f |= CV_PROTO_VIP_PASSES;
	/* An orphan (a reload's release under way) of the same name: we may
	 * still have its old address, so we still claim it. */
	if (e->vips[i].state != CV_VIP_IDLE ||
	    cv_engine_orphan_pending(e, e->cfg->vips[i].head.name))
		f |= CV_PROTO_VIP_HELD;
	if (e->vips[i].state == CV_VIP_HELD)
		f |= CV_PROTO_VIP_ACQUIRED;
	if (cv_engine_vip_blocked(e, i))
		f |= CV_PROTO_VIP_BLOCKED;
	if (e->vips[i].move_stamp || e->vips[i].move_target)
		f |= CV_PROTO_VIP_MOVE;
	if (e->vips[i].n_bans)
		f |= CV_PROTO_VIP_BANS;
	return f;
}

static bool
standby_in_config(const struct cv_engine *e)
{
	for (size_t i = 0; i < e->cfg->n_nodes; i++)
		if (e->node_ids[i] == e->me)
			return e->cfg->nodes[i].standby;
	return false;
}

static uint8_t
state_flags(struct cv_engine *e)
{
	e->sent_preempt_hold = cv_engine_preempt_held(e);
	return (standby_in_config(e) ? CV_PROTO_STATE_STANDBY : 0) |
	       (e->ask_resend ? CV_PROTO_STATE_RESEND : 0) |
	       (cv_engine_seasoned(e) ? CV_PROTO_STATE_SEASONED : 0) |
	       (e->sent_preempt_hold ? CV_PROTO_STATE_PREEMPT_HOLD : 0);
}

static size_t
chunk_fit(const struct cv_engine *e, const struct cv_proto_vip *all, size_t n_all, size_t start)
{
	size_t n = cv_proto_state_fit(all, n_all, start);

	return e->state_chunk_vips ? CV_MIN(n, e->state_chunk_vips) : n;
}

/* Our whole state, in as many chunks as it takes (each under 64 KiB). */
void
cv_engine_send_state(struct cv_engine *e)
{
	struct cv_proto_vip *all = calloc(e->n_vips + e->n_orphans + 1, sizeof(*all));
	size_t start = 0, count = 0, n_all = e->n_vips;

	if (!all) {
		e->out->err = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < e->n_vips; i++) {
		copy_name(all[i].name, e->cfg->vips[i].head.name);
		all[i].flags = vip_flags(e, i);
		all[i].digest = e->vip_digests[i];
		all[i].epoch = e->vips[i].epoch;
		all[i].owner = e->vips[i].owner;
		cv_engine_add_keys(&all[i], &e->cfg->vips[i]);
		all[i].move_target = e->vips[i].move_target;
		all[i].move_stamp = e->vips[i].move_stamp;
		all[i].n_bans = e->vips[i].n_bans; /* the bans themselves: per chunk */
		e->n_sent_blocked -= e->vips[i].sent_blocked;
		e->vips[i].sent_blocked = all[i].flags & CV_PROTO_VIP_BLOCKED;
		e->n_sent_blocked += e->vips[i].sent_blocked;
	}
	n_all = cv_engine_add_orphan_entries(e, all, n_all);
	do {
		start += chunk_fit(e, all, n_all, start);
		count++;
	} while (start < n_all);
	start = 0;
	for (size_t c = 0; c < count; c++) {
		size_t n = chunk_fit(e, all, n_all, start);
		struct cv_proto_msg m = {
			.type = CV_PROTO_TYPE_STATE,
			.state = { .max_version = CV_PROTO_VERSION,
				   .role = CV_PROTO_ROLE_DAEMON,
				   .flags = state_flags(e),
				   .nodeid = e->me,
				   .peer_pid = e->my_reaper,
				   .ring = e->view_ring,
				   .digest = cv_config_digest(e->cfg),
				   .lease_ms = e->lease_ms,
				   .chunk_index = (uint16_t)c,
				   .chunk_count = (uint16_t)count,
				   .vips = n ? malloc(n * sizeof(*all)) : NULL,
				   .n_vips = n },
		};

		if (n && !m.state.vips) {
			e->out->err = -ENOMEM;
			break;
		}
		if (n)
			memcpy(m.state.vips, all + start, n * sizeof(*all));
		if (cv_engine_fill_bans(e, m.state.vips, n, start) < 0) {
			cv_proto_msg_done(&m);
			e->out->err = -ENOMEM;
			break;
		}
		cv_engine_fill_admin(e, &m.state);
		cv_engine_send(e, &m);
		start += n;
	}
	free(all);
	e->ask_resend = false;
	e->state_due = false;
}

void
cv_engine_send_heartbeat(struct cv_engine *e)
{
	size_t held = e->n_in_state[CV_VIP_HELD];
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_HEARTBEAT };

	m.heartbeat = (struct cv_proto_heartbeat){ .ring = e->view_ring,
						   .send_time_ms = e->now,
						   .seq = ++e->hb_seq,
						   .holdings_epoch = e->holdings_epoch,
						   .n_held = (uint32_t)held,
						   .lease_ms = cv_engine_own_lease_ms(e) };
	e->hb_in_flight = true;
	cv_engine_send(e, &m);
}

/* While a reload's release of its old address is under way, that one says
 * RELEASED once it is done (engine.c orphan_done), not this one. */
void
cv_engine_send_released(struct cv_engine *e, size_t i)
{
	if (!cv_engine_orphan_pending(e, e->cfg->vips[i].head.name))
		cv_engine_send_released_named(e, e->cfg->vips[i].head.name, e->vips[i].epoch);
}

/*
 * Most VIPs one RELEASED carries: 800 of the longest names (1 + 63 bytes and
 * an 8-byte epoch each) stay under CV_PROTO_MAX_MSG.
 */
#define RELEASED_BATCH 800

/*
 * The RELEASED this step is still writing, if nothing that could be ordered
 * against it came after it (only log-only actions did): a release of many
 * VIPs goes out as one message, not one each (1,000 VIPs handed off at once
 * were 1,000 messages, and the group's own heartbeats queued behind them).
 */
static struct cv_proto_released *
open_released(struct cv_engine *e)
{
	for (size_t k = e->out->n; k-- > 0;) {
		struct cv_action *a = &e->out->v[k];

		if (a->type == CV_ACT_TRANSITION || a->type == CV_ACT_NOTICE)
			continue;
		if (a->type != CV_ACT_SEND || a->msg.type != CV_PROTO_TYPE_RELEASED)
			return NULL;
		if (a->msg.released.ring.nodeid != e->view_ring.nodeid ||
		    a->msg.released.ring.seq != e->view_ring.seq ||
		    a->msg.released.n_vips >= RELEASED_BATCH)
			return NULL;
		return &a->msg.released;
	}
	return NULL;
}

void
cv_engine_send_released_named(struct cv_engine *e, const char *name, uint64_t epoch)
{
	struct cv_proto_released *r = open_released(e);
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_RELEASED };
	struct cv_proto_vip *v = r ? realloc(r->vips, (r->n_vips + 1) * sizeof(*v)) /* n_vips < RELEASED_BATCH */
				   : calloc(1, sizeof(*v));

	if (!v) {
		e->out->err = -ENOMEM;
		return;
	}
	e->holdings_epoch++;
	if (r) {
		r->vips = v;
		v += r->n_vips++;
		memset(v, 0, sizeof(*v));
	}
	copy_name(v->name, name);
	v->epoch = epoch;
	if (r)
		return;
	m.released = (struct cv_proto_released){
		.for_nodeid = e->me, .ring = e->view_ring, .vips = v, .n_vips = 1
	};
	cv_engine_send(e, &m);
}

/* ---- receiving ---- */

static void
bad_message(struct cv_engine *e, uint32_t node, const char *why)
{
	cv_engine_notice(e, CV_NOTICE_BAD_MESSAGE, node, why);
}

bool
cv_engine_assembling(const struct cv_engine *e)
{
	for (size_t i = 0; i < e->n_peers; i++)
		if (e->peers[i].chunks_next)
			return true;
	return false;
}

/*
 * Whom a member's placement gave the VIP to: one we may know nothing of
 * ourselves (we were away, or started since), who may hold it whatever its
 * own STATE did or did not say. Used when the exchange ends (engine-view.c).
 */
static void
note_reported_owner(struct cv_engine *e, struct vip_rt *v, uint32_t owner)
{
	int slot = owner ? cv_engine_peer_slot(e, owner) : -1;

	if (slot >= 0)
		v->owner_reports |= UINT64_C(1) << slot;
}

/* Chunk 0 clears what the sender said before; each chunk sets its VIPs. */
static void
apply_state_chunk(struct cv_engine *e, int slot, const struct cv_proto_state *s)
{
	uint64_t bit = UINT64_C(1) << slot;

	struct peer *p = &e->peers[slot];

	if (!p->vip_digests)
		p->vip_digests = calloc(e->n_vips ? e->n_vips : 1, sizeof(*p->vip_digests));
	if (!p->vip_digests) {
		e->out->err = -ENOMEM;
		return;
	}
	if (s->chunk_index == 0)
		p->has_unknown_vips = p->foreign_all = false, p->n_foreign = p->n_defs = 0;
	if (s->chunk_index == 0)
		for (size_t i = 0; i < e->n_vips; i++) {
			e->vips[i].healthy &= ~bit;
			e->vips[i].fallback &= ~bit;
			e->vips[i].passes &= ~bit;
			e->vips[i].claims &= ~bit;
			e->vips[i].peer_blocked &= ~bit;
			e->vips[i].self_owner &= ~bit;
			p->vip_digests[i] = 0;
		}
	for (size_t k = 0; k < s->n_vips; k++) {
		int i = cv_engine_vip_by_name(e, s->vips[k].name);

		cv_engine_note_def(e, p, &s->vips[k], i);
		if (i < 0) {
			/* another config (a digest 0 is an address a reload left) */
			p->has_unknown_vips |= s->vips[k].digest != 0;
			if (s->vips[k].flags & CV_PROTO_VIP_HELD)
				cv_engine_note_foreign_keys(e, p, &s->vips[k], -1);
			continue;
		}
		if (s->vips[k].flags & CV_PROTO_VIP_HEALTHY)
			e->vips[i].healthy |= bit;
		if (s->vips[k].flags & CV_PROTO_VIP_FALLBACK)
			e->vips[i].fallback |= bit;
		if (s->vips[k].flags & CV_PROTO_VIP_PASSES)
			e->vips[i].passes |= bit;
		if (s->vips[k].flags & CV_PROTO_VIP_HELD) {
			e->vips[i].claims |= bit;
			e->vips[i].released &= ~bit;
		}
		if ((s->vips[k].flags & CV_PROTO_VIP_BLOCKED) && p->nodeid != e->me)
			e->vips[i].peer_blocked |= bit;
		note_reported_owner(e, &e->vips[i], s->vips[k].owner);
		if (s->vips[k].owner == p->nodeid)
			e->vips[i].self_owner |= bit;
		p->vip_digests[i] = s->vips[k].digest;
		if (s->vips[k].flags & CV_PROTO_VIP_HELD)
			cv_engine_note_foreign_keys(e, p, &s->vips[k], i);
		e->vips[i].epoch = CV_MAX(e->vips[i].epoch, s->vips[k].epoch);
	}
}

static bool
config_differs(const struct cv_engine *e, const struct peer *p)
{
	if (p->digest != cv_config_digest(e->cfg) || p->has_unknown_vips)
		return true;
	for (size_t i = 0; i < e->n_vips; i++)
		if (p->vip_digests[i] != e->vip_digests[i])
			return true;
	return false;
}

/*
 * An owner we judged silent speaks again. Each member judged it at its own
 * time (rule 4), and placements made meanwhile may have given its VIPs to
 * others, sticky ones for good: owner tables that differ leave a VIP nobody
 * takes. Everybody tells again, and all start over from the claims at the
 * same delivery (RESEND, rule 7).
 */
static void
unsilence(struct cv_engine *e, struct peer *p)
{
	p->silent = false;
	e->placement_dirty = true;
	e->ask_resend = true;
	e->state_due = true;
}

/*
 * Our own STATE is back in the quorate ring we adopted: from here every
 * heartbeat of its members reaches us too (one order for all), so a member
 * we hear nothing of ran its lease, if any, from a heartbeat sent before
 * (engine-place.c unheard_gone_end).
 */
static void
note_watched(struct cv_engine *e)
{
	if (!e->view_quorate || !cv_engine_in_adopted_ring(e))
		return;
	for (size_t s = 0; s < e->n_peers; s++)
		if (e->peers[s].in_view && e->peers[s].watched_at == NEVER)
			e->peers[s].watched_at = e->now;
}

/* The whole STATE is in: what the sender does not claim, it cannot hold. */
static void
commit_state(struct cv_engine *e, struct peer *p, int slot, uint32_t pid,
	     const struct cv_proto_state *s)
{
	uint64_t bit = UINT64_C(1) << slot;

	cv_engine_foreign_keys_done(p);
	for (size_t i = 0; i < e->n_vips; i++)
		if (!(e->vips[i].claims & bit) && !cv_engine_claims_our_address(e, p, i))
			e->vips[i].blockers &= ~bit;
	p->digest = s->digest;
	if (config_differs(e, p) && !p->mismatch_told)
		cv_engine_notice(e, CV_NOTICE_DIGEST_MISMATCH, p->nodeid,
				 "its config differs: a VIP (or the cluster) is placed only among "
				 "the nodes that share the config most members have");
	p->mismatch_told = config_differs(e, p);
	p->daemon_pid = pid;
	p->away_unwatched = false; /* its claims say what it holds */
	p->spoke = true; /* its commands count from here (on_command) */
	p->daemon_left_at = NEVER;
	p->daemon_died_alone = p->daemon_left_unseen = false;
	/* Its STATE came after it left the group (sent before it ended): what
	 * it said stands, but it is gone, and whether its RELEASED came is not
	 * known: as a daemon that died alone (rule 4). */
	if (!cv_engine_peer_has_pid(p, pid)) {
		p->daemon_left_at = e->now;
		p->daemon_died_alone = true;
		p->spoke = false;
	}
	p->reaper_pid = s->peer_pid;
	p->standby = s->flags & CV_PROTO_STATE_STANDBY;
	p->seasoned = s->flags & CV_PROTO_STATE_SEASONED;
	p->preempt_hold = s->flags & CV_PROTO_STATE_PREEMPT_HOLD;
	/* A member that waits with a shorter L (its corosync timers are its
	 * own): our lease must end before it would take (rule 5). */
	p->state_lease_ms = CV_MIN(s->lease_ms, CV_PROTO_LEASE_MAX_MS);
	cv_engine_clamp_lease(e, cv_engine_own_lease_ms(e));
	p->state_ring = s->ring;
	p->state_fresh = true;
	if (p->silent)
		unsilence(e, p); /* it speaks again: watch its heartbeats from now */
	p->last_hb_at = e->now;
	p->chunks_next = 0;
	p->chunks_pid = 0;
	e->placement_dirty = true;
	/* Our post-reload STATE is back (not one sent before the reload: it
	 * carries the new config's digest and per-VIP digests). */
	if (p->nodeid == e->me && pid == e->my_pid && !config_differs(e, p))
		e->own_state_pending = false;
	if (p->nodeid == e->me && pid == e->my_pid)
		note_watched(e);
	/* A reloaded peer may have VIPs we learnt nothing of before our own
	 * reload: it asks, everybody tells again (no loop: answers do not ask). */
	if ((s->flags & CV_PROTO_STATE_RESEND) && p->nodeid != e->me)
		cv_engine_send_state(e);
	/* After a reload the owners each member remembers may differ (a member
	 * with another config of a VIP placed it with other keys): from here,
	 * the same delivery everywhere, a new exchange; at its end all start
	 * again from the claims (engine-view.c). */
	if (s->flags & CV_PROTO_STATE_RESEND)
		cv_engine_restart_exchange(e, p);
	cv_engine_check_exchange(e);
}

/*
 * A STATE cut short (its sender died, or sent something else between its
 * chunks) must not stall the exchange: the half is dropped, and we ask every
 * member to send its STATE again so the exchange completes or restarts.
 */
static void
drop_assembly(struct cv_engine *e, struct peer *p, const char *why)
{
	if (!p->chunks_next)
		return;
	p->chunks_next = 0;
	p->chunks_pid = 0;
	e->ask_resend = true;
	e->state_due = true;
	bad_message(e, p->nodeid, why);
}

static void
on_state(struct cv_engine *e, uint32_t nodeid, uint32_t pid, const struct cv_proto_state *s)
{
	struct peer *p;
	int slot;

	if (s->role != CV_PROTO_ROLE_DAEMON)
		return; /* reapers are named by their daemons */
	if (s->nodeid != nodeid)
		return bad_message(e, nodeid, "STATE names another node than its sender");
	p = cv_engine_peer(e, nodeid, true);
	if (!p)
		return bad_message(e, nodeid, "too many nodes");
	slot = (int)(p - e->peers);
	/* A node's daemon is the process whose STATE came first since the
	 * last one left the group: another process of that node (anything
	 * with corosync access can join the group) does not speak for it. */
	if (p->daemon_pid && p->daemon_left_at == NEVER && pid != p->daemon_pid)
		return bad_message(e, nodeid, "STATE from a process that is not the node's daemon");
	if (p->chunks_next && (s->chunk_index == 0 || pid != p->chunks_pid))
		drop_assembly(e, p, "STATE cut short: a new one began");
	if (s->chunk_index != p->chunks_next || (s->chunk_index && s->chunk_count != p->chunk_count))
		return drop_assembly(e, p, "STATE chunk out of order");
	p->state_fresh = false;
	p->chunk_count = s->chunk_count;
	p->chunks_pid = pid;
	apply_state_chunk(e, slot, s);
	cv_engine_merge_admin(e, nodeid, s);
	p->chunks_next = s->chunk_index + 1;
	if (p->chunks_next == s->chunk_count)
		commit_state(e, p, slot, pid, s);
}

static void
on_heartbeat(struct cv_engine *e, uint32_t nodeid, uint32_t pid, const struct cv_proto_heartbeat *h)
{
	struct peer *p = cv_engine_peer(e, nodeid, true);

	if (!p)
		return;
	p->last_hb_at = e->now;
	/* Its daemon's word only (another process of the node could lower it
	 * below what the holder holds with), capped (nor make us wait for ever). */
	if (p->daemon_pid == pid)
		p->hb_lease_ms = CV_MIN(h->lease_ms, CV_PROTO_LEASE_MAX_MS);
	if (p->silent)
		unsilence(e, p);
	if (nodeid != e->me || pid != e->my_pid)
		return;
	e->hb_in_flight = false;
	/* Rule 5: our own heartbeat, delivered in a ring that is (or can be)
	 * quorate, proves we were connected at its send time. A late delivery
	 * carries an old send time and extends nothing. */
	/* In the adopted quorate ring, or between rings if the new one can be
	 * quorate by its own votes. */
	if (!e->have_view || !e->view_quorate ||
	    (!cv_engine_in_adopted_ring(e) && !cv_engine_totem_can_be_quorate(e)))
		return;
	/* The L it carried is what our peers wait with: our lease ends no
	 * later (a token raised here since it went out counts from the next). */
	e->lease_until = CV_MAX(e->lease_until,
				h->send_time_ms + CV_MIN(h->lease_ms, cv_engine_own_lease_ms(e)));
	e->lease_from = CV_MAX(e->lease_from, h->send_time_ms);
	/* Our own heartbeats come back too late to give a lease (our
	 * deliveries lag): we can take nothing, so say we are not fit
	 * (lapsed), or placement would wait on us forever. */
	if (e->now >= h->send_time_ms + e->lease_ms && !e->lapsed && cv_engine_waits_any(e)) {
		e->lapsed = true;
		cv_engine_send_state(e);
		return;
	}
	if (e->lapsed && e->now < e->lease_until) {
		/* Connected again (our heartbeat came back in time): say we are
		 * healthy again; placement decides from there, as for anyone. */
		e->lapsed = false;
		cv_engine_send_state(e);
	}
}

/* Node p (bit) does not hold VIP i now; final: its daemon is dead. */
static void
released_vip(struct cv_engine *e, const struct peer *p, uint64_t bit, int i, bool final)
{
	struct vip_rt *v = &e->vips[i];

	/* A release of its own while it is still the owner (a lapse, a failed
	 * add) proves nothing for later: it may take again until placement
	 * moves the VIP, and then it says RELEASED once more. */
	v->claims &= ~bit;
	e->placement_dirty = true;
	/* RELEASED goes by name: it does not speak for our address while its
	 * last STATE claims that under another name (a swap, whose other
	 * removal may fail or end later, advG-swap-released), nor while its
	 * last STATE defines our address under another name (it may have
	 * taken it since: engine-agree.c): its next STATE does, or its
	 * reaper's word. */
	if (!final && (cv_engine_claims_our_address(e, p, (size_t)i) ||
		       (cv_engine_address_definers(e, (size_t)i) & bit)))
		return;
	if (v->owner != p->nodeid || final) {
		v->blockers &= ~bit;
		v->released |= bit;
	}
}

static void
on_released(struct cv_engine *e, uint32_t nodeid, uint32_t pid, const struct cv_proto_released *r)
{
	struct peer *p;
	uint64_t bit;
	bool from_reaper;

	if (r->for_nodeid != nodeid)
		return bad_message(e, nodeid, "RELEASED for another node");
	p = cv_engine_peer(e, nodeid, false);
	if (!p)
		return;
	/* Only the node's current daemon or reaper speaks for it: an older
	 * incarnation's reaper must not free what a restarted daemon took.
	 * Within one sender, messages come in order: its RELEASED is its
	 * latest word whatever its epoch. */
	from_reaper = p->reaper_pid != 0 && pid == p->reaper_pid;
	if (!from_reaper && pid != p->daemon_pid)
		return bad_message(e, nodeid, "RELEASED from neither its daemon nor its reaper");
	bit = UINT64_C(1) << (p - e->peers);
	for (size_t k = 0; k < r->n_vips; k++) {
		int i = cv_engine_vip_by_name(e, r->vips[k].name);

		if (i < 0)
			continue;
		e->vips[i].epoch = CV_MAX(e->vips[i].epoch, r->vips[k].epoch);
		released_vip(e, p, bit, i, from_reaper);
	}
	/* The reaper's word is final and covers every VIP: it removed every
	 * address with our tag on its node, also those of VIPs a reload added
	 * after it was forked, which its list cannot name. */
	if (from_reaper)
		for (size_t i = 0; i < e->n_vips; i++)
			released_vip(e, p, bit, (int)i, true);
}

/* Anything else from a daemon between its STATE's chunks: the rest is lost. */
static void
interrupts_state(struct cv_engine *e, uint32_t nodeid, uint32_t pid)
{
	struct peer *p = cv_engine_peer(e, nodeid, false);

	if (p && p->chunks_next && pid == p->chunks_pid)
		drop_assembly(e, p, "STATE cut short: another message came between its chunks");
}

/*
 * A member that speaks another protocol version is never trusted to hold or
 * hand over, and must not stall us either: the exchange stops waiting for
 * its STATE (it never decodes), so its node counts as one without a daemon.
 */
static int
on_undecodable(struct cv_engine *e, uint32_t nodeid, uint32_t pid, int err)
{
	struct peer *p;

	if (err != CV_E_PROTO_VERSION)
		return 0; /* counted by the adapter */
	p = cv_engine_peer(e, nodeid, false);
	if (!p || p->foreign_pid == pid)
		return 0;
	p->foreign_pid = pid;
	cv_engine_notice(e, CV_NOTICE_VERSION_MISMATCH, nodeid,
			 "it speaks another protocol version: never trusted, not waited for");
	cv_engine_check_exchange(e);
	return 0;
}

static bool
daemon_known(struct cv_engine *e, uint32_t nodeid)
{
	const struct peer *p = cv_engine_peer(e, nodeid, false);

	return p && p->daemon_pid && p->daemon_left_at == NEVER;
}

/*
 * A heartbeat of a daemon whose STATE we do not have yet (it answers our
 * join late): trusted for nothing, but its node may hold a VIP and renew
 * its lease with it, so our wait for the node, gone before its STATE came,
 * counts from here at the earliest (engine-place.c unheard_gone_end;
 * advR-unheard-holder-late-state). Later is only longer.
 */
static void
heard_unknown(struct cv_engine *e, uint32_t nodeid)
{
	struct peer *p = cv_engine_peer(e, nodeid, false);

	if (p && p->daemon_pid == 0)
		p->last_hb_at = e->now;
}

/*
 * MOVE, STANDBY, BAN and CLEAR change cluster state: every member must apply the same
 * ones at the same point. So the sender must be a daemon whose STATE came in
 * this ring since the group last changed — something every member saw
 * alike, where "the node's daemon" as each knows it is not (a daemon that
 * joined meanwhile knows nobody yet). A command sent across a membership
 * change is refused by all; its origin says so.
 */
static uint32_t
command_target(const struct cv_proto_msg *m)
{
	switch (m->type) {
	case CV_PROTO_TYPE_MOVE:
		return m->move.target;
	case CV_PROTO_TYPE_STANDBY:
		return m->standby.target;
	case CV_PROTO_TYPE_BAN:
		return m->ban.target;
	default:
		return m->clear.node;
	}
}

static void
on_command(struct cv_engine *e, uint32_t node, uint32_t pid, const struct cv_proto_msg *m)
{
	const struct peer *p = cv_engine_peer(e, node, false);

	if (!p || !p->spoke || pid != p->daemon_pid) {
		/* (a lifetime's CLEAR is sent again, once we may: engine-ban.c) */
		bool expiry = m->type == CV_PROTO_TYPE_CLEAR && m->clear.ends;

		if (node == e->me && pid == e->my_pid && expiry)
			cv_engine_ban_expiry_refused(e, &m->clear);
		else if (node == e->me && pid == e->my_pid)
			cv_engine_notice(e, CV_NOTICE_MOVE_REFUSED, command_target(m),
					 "sent across a membership change: repeat it");
		return;
	}
	if (m->type == CV_PROTO_TYPE_MOVE)
		cv_engine_on_move(e, node, &m->move);
	else if (m->type == CV_PROTO_TYPE_STANDBY)
		cv_engine_on_standby(e, node, &m->standby);
	else if (m->type == CV_PROTO_TYPE_BAN)
		cv_engine_on_ban(e, node, &m->ban);
	else
		cv_engine_on_clear(e, node, &m->clear);
}

/* HEARTBEAT, MOVE and STANDBY count only from the node's daemon. */
static bool
from_daemon(struct cv_engine *e, uint32_t nodeid, uint32_t pid)
{
	const struct peer *p = cv_engine_peer(e, nodeid, false);

	return (nodeid == e->me && pid == e->my_pid) ||
	       (p && p->daemon_pid == pid && p->daemon_left_at == NEVER);
}

int
cv_engine_on_message(struct cv_engine *e, const struct cv_event *ev)
{
	const struct cv_proto_msg *m = ev->message.msg;
	uint32_t node = ev->message.nodeid, pid = ev->message.pid;

	e->delivered_at = e->now;
	if (!m)
		return on_undecodable(e, node, pid, ev->message.decode_err);
	own_delivered(e, node, pid, m);
	if (m->type != CV_PROTO_TYPE_RELEASED) /* maybe its reaper's: engine-silent.c */
		cv_engine_heard(e, node, pid);
	/* A SILENT counts from anyone: every member must apply it alike, and
	 * who is whose daemon is not known alike (a daemon that just joined). */
	if (m->type != CV_PROTO_TYPE_STATE && m->type != CV_PROTO_TYPE_RELEASED &&
	    m->type != CV_PROTO_TYPE_SILENT && !from_daemon(e, node, pid)) {
		/* Before its daemon's STATE (a joining daemon heartbeats at
		 * once) this is no forgery: dropped without a word. */
		if (daemon_known(e, node))
			bad_message(e, node, "a message from a process that is not the node's daemon");
		else if (m->type == CV_PROTO_TYPE_HEARTBEAT)
			heard_unknown(e, node);
		return 0;
	}

	if (m->type != CV_PROTO_TYPE_STATE)
		interrupts_state(e, node, pid);
	switch (m->type) {
	case CV_PROTO_TYPE_STATE:
		on_state(e, node, pid, &m->state);
		break;
	case CV_PROTO_TYPE_HEARTBEAT:
		on_heartbeat(e, node, pid, &m->heartbeat);
		break;
	case CV_PROTO_TYPE_RELEASED:
		on_released(e, node, pid, &m->released);
		break;
	case CV_PROTO_TYPE_MOVE:
	case CV_PROTO_TYPE_STANDBY:
	case CV_PROTO_TYPE_BAN:
	case CV_PROTO_TYPE_CLEAR:
		on_command(e, node, pid, m);
		break;
	case CV_PROTO_TYPE_SILENT:
		cv_engine_on_silent(e, &m->silent);
		break;
	case CV_PROTO_TYPE_HEALTH:
		cv_engine_on_health_msg(e, node, &m->health);
		break;
	default:
		bad_message(e, node, "unknown message type");
	}
	return 0;
}
