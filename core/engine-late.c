/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A daemon that ran late: its timer came over H after it was due, so it was
 * stopped (frozen, starved) and what was delivered meanwhile may still wait
 * in its queue. Until that is read, it neither judges silence, nor renews
 * an address that may have expired, nor adds back one found gone
 * (docs/safety.md rules 4, 6 and 8).
 */
#include "cv-macros.h"
#include "engine-int.h"

/*
 * Until when every address we hold is surely still on (rule 6): the kernel
 * counts each one's lease from the add or renewal that stamped it, which
 * went out no earlier than we sent it. 0: one is not known to be on yet.
 */
static uint64_t
held_on_until(const struct cv_engine *e)
{
	uint64_t until = NEVER;

	for (size_t i = 0; e->n_in_state[CV_VIP_HELD] && i < e->n_vips; i++) {
		const struct vip_rt *v = &e->vips[i];

		if (v->state != CV_VIP_HELD)
			continue;
		if (v->add_pending || v->gone_late) /* not on yet, or known gone */
			return 0;
		until = CV_MIN(until, CV_MAX(v->add_sent_at, e->renewed_from) +
					      e->cfg->cluster.kernel_lease_ms);
	}
	return until;
}

/*
 * Our timer came over H late: we were not running (the daemon frozen or
 * starved), and what was delivered meanwhile may still wait in our queue,
 * heartbeats among them: judged on those stale deliveries alone, an owner
 * would be silent to us and to nobody else, and placements made with
 * different silent flags keep different owners (a VIP nobody takes). We
 * judge nobody silent for H, our queue is read by then; not 2L: we would
 * judge an owner that is silent (frozen) up to 2L after the others, whose
 * placement meanwhile differs from ours, and an exchange started then waits
 * for that owner's STATE (a VIP nobody takes). The reaper defers likewise.
 *
 * Over L late, the others may have judged *us* silent (2L without our
 * heartbeat; an owner's timer is due at most H after its last one) and
 * given our VIPs to a node whose claim none of the STATEs we have shows:
 * our own heartbeat back would let us take before their RESEND (rule 4)
 * reaches us. We ask for every STATE again and take nothing until ours is
 * back (own_in_flight) and the exchange its delivery starts is done. Our
 * lease has ended by then: we hold nothing to keep.
 */
void
cv_engine_note_late(struct cv_engine *e)
{
	uint64_t h = e->cfg->cluster.heartbeat_ms;

	if (e->timer_due == NEVER || e->now <= e->timer_due + h)
		return;
	e->watch_from = e->now;
	/* Our queue (a lost connection, a newer view) before our renewal: it
	 * re-creates an address the kernel lease dropped meanwhile, maybe after
	 * a peer took the VIP at our leave (adv8-connlost-frozen-renew). Not
	 * while every address is surely on past H from now: the renewal then
	 * re-creates nothing, and a daemon starved (stopped over H, again and
	 * again) would otherwise never renew: its addresses expire while it
	 * still heartbeats, a VIP nobody holds (advA-starved-renew). */
	if (e->renew_at != NEVER && e->now + h >= held_on_until(e))
		e->renew_at = CV_MAX(e->renew_at, e->now + h);
	if (e->now > e->timer_due + e->lease_ms) {
		e->ask_resend = true;
		e->state_due = true;
	}
}

/*
 * Within H of a late timer our queue may still hold what came while we were
 * stopped: an ADDR_GONE from the kernel lease read before the lost
 * connection behind it would add back an address a peer took at our leave
 * (adv9-frozen-addrgone-before-connlost). Re-add H later, if still held.
 */
bool
cv_engine_ran_late_recently(const struct cv_engine *e)
{
	return e->now < e->watch_from + e->cfg->cluster.heartbeat_ms;
}

/*
 * H after the first ADDR_GONE held back, not H after the latest late timer:
 * a daemon starved (stopped over H, again and again) is late at every step,
 * and would re-add never, nor renew the rest (held_on_until) while one is
 * gone_late (advB-starved-addrgone). What its queue held when it read that
 * ADDR_GONE is read by then; anything that lets a peer take the VIP since
 * has ended our lease too (rules 2 and 4: the peers' deadlines come after
 * it, kernel_lease over L), and check_lease runs before the re-add.
 */
void
cv_engine_hold_readd(struct cv_engine *e, size_t i)
{
	e->vips[i].gone_late = true;
	if (e->readd_at == NEVER)
		e->readd_at = e->now + e->cfg->cluster.heartbeat_ms;
}

void
cv_engine_readd_after_late(struct cv_engine *e)
{
	if (e->now < e->readd_at)
		return;
	e->readd_at = NEVER;
	for (size_t i = 0; i < e->n_vips; i++) {
		if (!e->vips[i].gone_late)
			continue;
		e->vips[i].gone_late = false;
		if (e->vips[i].state == CV_VIP_HELD)
			cv_engine_vip_event(e, i, CV_VE_ADDR_GONE, CV_REASON_ADDR_GONE);
	}
}
