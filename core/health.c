/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Two layers: rise/fall turn outcomes into raw_ok, the hold-down decides
 * when raw_ok may become the reported ok. The hold-down keeps no history: a
 * change it held back is reported at its end only if raw_ok still differs
 * from ok then, so a check that flipped back meanwhile reports nothing.
 */
#include "cv-macros.h"
#include "health.h"

/* Saturating: a hold-down that would end past the end of time ends there. */
static uint64_t
add_ms(uint64_t t, uint32_t ms)
{
	return t > UINT64_MAX - ms ? UINT64_MAX : t + ms;
}

void
cv_health_init(struct cv_health *h, uint32_t rise, uint32_t fall, uint32_t hold_down_ms)
{
	/* A state follows at least one outcome; config allows no 0 but stay defined. */
	*h = (struct cv_health){
		.rise = CV_MAX(rise, 1u),
		.fall = CV_MAX(fall, 1u),
		.hold_down_ms = hold_down_ms,
	};
}

/* rise/fall: only an unbroken run of outcomes against raw_ok flips it. */
static void
count(struct cv_health *h, bool passed)
{
	if (passed == h->raw_ok) {
		h->streak = 0;
		return;
	}
	h->streak++;
	if (h->streak >= (h->raw_ok ? h->fall : h->rise)) {
		h->raw_ok = passed;
		h->streak = 0;
	}
}

/* Report raw_ok if it differs and no hold-down runs; else remember it is due. */
/*
 * Only a return to health waits: a failure is reported at once (the VIP
 * leaves a broken node now), and a failing check counts as healthy again
 * only hold_down_ms after its last failed probe (cv_health_result), so a
 * flapping check moves the VIP away once instead of back and forth.
 * hold_until starts at 0: the start's first pass waits for nothing.
 */
static bool
settle(struct cv_health *h, uint64_t now)
{
	h->pending = false;
	if (h->raw_ok == h->ok)
		return false;
	if (h->raw_ok && now < h->hold_until) {
		h->pending = true;
		return false;
	}
	h->ok = h->raw_ok;
	h->changed_at = now;
	return true;
}

bool
cv_health_result(struct cv_health *h, bool passed, uint64_t now)
{
	bool changed;

	count(h, passed);
	changed = settle(h, now);
	if (!passed && !h->ok)
		h->hold_until = add_ms(now, h->hold_down_ms);
	return changed;
}

bool
cv_health_force(struct cv_health *h, bool passed, uint64_t now)
{
	h->raw_ok = passed;
	h->streak = 0;
	h->pending = false;
	if (h->ok == passed)
		return false;
	h->ok = passed;
	h->changed_at = now;
	return true;
}

bool
cv_health_tick(struct cv_health *h, uint64_t now)
{
	return settle(h, now);
}

uint64_t
cv_health_due(const struct cv_health *h)
{
	return h->pending ? h->hold_until : UINT64_MAX;
}

bool
cv_health_ok(const struct cv_health *h)
{
	return h->ok;
}
