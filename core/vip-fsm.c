/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Read a row as: in this state, on this event, go there and do that. Every
 * way out of HELD removes the address, and RELEASED follows only once the
 * backend says the removal is done (RELEASING; rule 3: planned moves are
 * handoffs); the only way into HELD is SAFE (rules 2, 4, 5, 7). A failed
 * removal keeps RELEASING: the engine retries it (engine.c).
 */
#include "cv-macros.h"
#include "vip-fsm.h"

#define T(n, a) { .next = CV_VIP_##n, .actions = (a) }

static const struct cv_vip_transition table[_CV_VIP_STATE_MAX][_CV_VE_MAX] = {
	[CV_VIP_IDLE] = {
		[CV_VE_OWNED] = T(WAITING, 0),
		[CV_VE_DISOWNED] = T(IDLE, 0),
		[CV_VE_SAFE] = T(IDLE, 0),
		[CV_VE_RELEASE_ALL] = T(IDLE, 0),
		[CV_VE_ADDR_GONE] = T(IDLE, 0),
		[CV_VE_REANNOUNCE] = T(IDLE, 0),
		[CV_VE_RELEASE_DONE] = T(IDLE, 0),
	},
	[CV_VIP_WAITING] = {
		[CV_VE_OWNED] = T(WAITING, 0),
		/* never added, but the next owner waits for our word */
		[CV_VE_DISOWNED] = T(IDLE, CV_VA_RELEASED),
		[CV_VE_SAFE] = T(HELD, CV_VA_EPOCH | CV_VA_ADD | CV_VA_ANNOUNCE),
		[CV_VE_RELEASE_ALL] = T(IDLE, CV_VA_RELEASED),
		[CV_VE_ADDR_GONE] = T(WAITING, 0),
		[CV_VE_REANNOUNCE] = T(WAITING, 0),
		[CV_VE_RELEASE_DONE] = T(WAITING, 0),
	},
	[CV_VIP_HELD] = {
		[CV_VE_OWNED] = T(HELD, 0),
		[CV_VE_DISOWNED] = T(RELEASING, CV_VA_DEL),
		[CV_VE_SAFE] = T(HELD, 0),
		[CV_VE_RELEASE_ALL] = T(RELEASING, CV_VA_DEL),
		[CV_VE_ADDR_GONE] = T(HELD, CV_VA_ADD | CV_VA_ANNOUNCE),
		[CV_VE_REANNOUNCE] = T(HELD, CV_VA_ANNOUNCE),
		[CV_VE_RELEASE_DONE] = T(HELD, 0),
	},
	/* Placement may give it back meanwhile: it is taken again once idle. */
	[CV_VIP_RELEASING] = {
		[CV_VE_OWNED] = T(RELEASING, 0),
		[CV_VE_DISOWNED] = T(RELEASING, 0),
		[CV_VE_SAFE] = T(RELEASING, 0),
		[CV_VE_RELEASE_ALL] = T(RELEASING, 0),
		[CV_VE_ADDR_GONE] = T(RELEASING, 0),
		[CV_VE_REANNOUNCE] = T(RELEASING, 0),
		[CV_VE_RELEASE_DONE] = T(IDLE, CV_VA_RELEASED),
	},
};

struct cv_vip_transition
cv_vip_fsm_step(enum cv_vip_state state, enum cv_vip_event event)
{
	if ((unsigned)state >= _CV_VIP_STATE_MAX || (unsigned)event >= _CV_VE_MAX)
		return (struct cv_vip_transition){ .next = state };
	return table[state][event];
}

static const char *const event_names[] = {
	"owned", "disowned", "safe", "release-all", "addr-gone", "reannounce", "release-done",
};
_Static_assert(ELEMENTSOF(event_names) == _CV_VE_MAX, "vip event names");

const char *
cv_vip_event_to_string(enum cv_vip_event e)
{
	return (unsigned)e < _CV_VE_MAX ? event_names[e] : NULL;
}
