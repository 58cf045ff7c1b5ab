/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Placement: which node should hold each VIP. Every member of the cluster
 * runs cv_placement_compute() on the same inputs (the adopted view and the
 * exchanged STATE) and must get bit-for-bit the same answer, so the function
 * is pure: integers only, no dependence on the order of nodes[] or vips[],
 * no clock, no globals. placement.c explains the algorithm.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CV_PLACE_WEIGHT_MAX 10000 /* keeps the score cross-products in 64 bits */

struct cv_place_node {
	uint32_t nodeid; /* corosync node id, nonzero, unique */
	uint32_t weight; /* spreading weight, 1..CV_PLACE_WEIGHT_MAX (config default 100) */
	bool eligible;	 /* quorate view, daemon up with our config digest, not standby */
	/* back less than preempt_delay ago (its STATE says so): it takes no
	 * pinned VIP from a holder that may keep it (pin()) */
	bool preempt_hold;
};

struct cv_place_vip {
	const char *name;	/* unique VIP name: the identity used in hashing and ordering */
	const uint32_t *prefer; /* ordered preference, nodeids; nodes not in nodes[] are ignored */
	size_t n_prefer;
	bool stickiness;  /* a healthy holder keeps the VIP */
	bool preempt;	  /* move back to a more preferred node (only meaningful with prefer) */
	uint32_t holder;  /* current holder nodeid, 0 = none */
	uint64_t healthy; /* bit i set: nodes[i] passes this VIP's health checks */
	/* bit i set: nodes[i] passes its fallback checks: the candidates when
	 * no eligible node passes its checks (a read-only database VIP: on the
	 * primary when no standby is healthy) */
	uint64_t fallback;
	/* At most one node may pass its checks (a database primary's VIP): when
	 * more than one does (healthy or passing), eligible or not, it has no
	 * candidate (a split database must not get the clients' writes on two
	 * servers). */
	bool exclusive;
	uint64_t passing; /* bit i: nodes[i] passes its checks (healthy or not, any definition) */
};

struct cv_placement_input {
	const struct cv_place_node *nodes; /* n_nodes <= CV_MAX_NODES (config.h) */
	size_t n_nodes;
	const struct cv_place_vip *vips; /* n_vips <= CV_MAX_VIPS, names unique */
	size_t n_vips;
};

/* Why a VIP went where it went. */
enum cv_place_reason {
	CV_PLACE_NONE,	     /* no candidate: nobody holds it */
	CV_PLACE_PREFERRED,  /* the first candidate of its prefer list */
	CV_PLACE_STICKY,     /* its healthy holder keeps it */
	CV_PLACE_SPREAD,     /* spread: its top rendezvous choice */
	CV_PLACE_REBALANCED, /* spread, but not to its top choice (load bounds) */
	CV_PLACE_SPLIT,	     /* exclusive, and more than one node passes its checks: nobody */
	_CV_PLACE_REASON_MAX,
	_CV_PLACE_REASON_INVALID = -EINVAL,
};

/*
 * Decide the owner of every VIP. Borrows in (nothing is kept after the call).
 * ret_owner[i] (caller-owned, n_vips entries) receives the nodeid for vips[i],
 * 0 = nobody; ret_reason (caller-owned, n_vips entries, may be NULL) the
 * reason. A candidate of a VIP is a node that is eligible and has its healthy
 * bit set (bits at or above n_nodes are ignored), or when there is none, one
 * eligible with its fallback bit set; an exclusive VIP with more than one
 * healthy bit set has none (CV_PLACE_SPLIT). A holder or prefer entry
 * that is not in nodes[] is no candidate. Prefer and stickiness pin a VIP
 * first; the others are spread (see the top of placement.c).
 * Returns 0; -EINVAL on bad input (n_nodes > CV_MAX_NODES, n_vips >
 * CV_MAX_VIPS, nodeid 0 or duplicate, weight 0 or > CV_PLACE_WEIGHT_MAX, a
 * NULL or duplicate VIP name, a NULL array with a nonzero count); -ENOMEM.
 * The outputs are written only on success.
 */
int cv_placement_compute(const struct cv_placement_input *in, uint32_t *ret_owner,
			 enum cv_place_reason *ret_reason);

/* Static string ("spread"), or NULL if r is out of range. */
const char *cv_place_reason_to_string(enum cv_place_reason r);
/* _CV_PLACE_REASON_INVALID if s is not a reason's name. */
enum cv_place_reason cv_place_reason_from_string(const char *s);
