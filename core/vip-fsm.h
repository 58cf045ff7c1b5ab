/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The per-VIP state machine as one table: (state, event) -> (next state,
 * actions). The engine derives the events (placement, safety, quorum) and
 * turns the action bits into actions; this file only says what follows what.
 */
#pragma once

#include <stdbool.h>

#include "action.h"

enum cv_vip_event {
	CV_VE_OWNED,	   /* placement gives the VIP to us */
	CV_VE_DISOWNED,	   /* placement gives it to another node (or nobody) */
	CV_VE_SAFE,	   /* nobody else can hold it any more, our lease is valid: take */
	CV_VE_RELEASE_ALL, /* quorum lost, lease lapsed, connection lost, stop */
	CV_VE_ADDR_GONE,   /* our address vanished behind our back */
	CV_VE_REANNOUNCE,  /* after a merge: tell the neighbours again */
	CV_VE_RELEASE_DONE, /* the backend removed the address (result of DEL) */
	_CV_VE_MAX,
	_CV_VE_INVALID = -EINVAL,
};

/* Action bits of a transition, carried out by the engine in this order. */
enum {
	CV_VA_DEL = 1 << 0,	 /* remove the address */
	CV_VA_RELEASED = 1 << 1, /* multicast RELEASED so the next owner may take */
	CV_VA_EPOCH = 1 << 2,	 /* a new acquisition: bump the epoch */
	CV_VA_ADD = 1 << 3,	 /* add the address */
	CV_VA_ANNOUNCE = 1 << 4, /* gratuitous ARP / unsolicited NA */
};

struct cv_vip_transition {
	enum cv_vip_state next;
	unsigned actions;
};

/* The transition for (state, event); an event that means nothing in a state keeps it. */
struct cv_vip_transition cv_vip_fsm_step(enum cv_vip_state state, enum cv_vip_event event);

const char *cv_vip_event_to_string(enum cv_vip_event e);
