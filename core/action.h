/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the engine decides, as data: an ordered list of actions that the
 * adapters (netlink, announce, CPG, timers) carry out. Nothing here does I/O.
 */
#pragma once

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"

/* Local state of one VIP on this node (vip-fsm.c has the table). */
enum cv_vip_state {
	CV_VIP_IDLE,	/* not ours */
	CV_VIP_WAITING, /* ours by placement; waiting until it is safe to add it */
	CV_VIP_HELD,	/* the address is on our interface and announced */
	/* Its removal is under way: RELEASED is multicast only once the backend
	 * says it is done (a failed removal is retried, never reported released). */
	CV_VIP_RELEASING,
	_CV_VIP_STATE_MAX,
	_CV_VIP_STATE_INVALID = -EINVAL,
};

/* Why something happened: every transition records one. */
enum cv_reason {
	CV_REASON_NONE,
	CV_REASON_PLACEMENT,	  /* placement chose us / another node */
	CV_REASON_SAFE,		  /* the previous holder is known to be gone: take */
	CV_REASON_NO_QUORUM,	  /* the adopted view is not quorate */
	CV_REASON_CANNOT_BE_QUORATE, /* the new ring is too small to be quorate (rule 1) */
	CV_REASON_CONN_LOST,	  /* the corosync connection is lost (rule 7) */
	CV_REASON_LEASE_LAPSED,	  /* our own heartbeats stopped being delivered (rule 5) */
	CV_REASON_STOP,		  /* graceful stop */
	CV_REASON_RELOAD,	  /* the VIP was removed or changed by a reload */
	CV_REASON_ADDR_GONE,	  /* someone removed our address: add it back */
	CV_REASON_HEAL,		  /* re-announce after a merge (rule 7) */
	CV_REASON_TWO_NODE,	  /* plain two_node cluster without two_node_unsafe */
	CV_REASON_ACTION_FAILED,  /* the adapter could not add the address */
	CV_REASON_RELEASE_DONE,	  /* the backend removed the address: RELEASED goes out */
	_CV_REASON_MAX,
	_CV_REASON_INVALID = -EINVAL,
};

enum cv_action_type {
	/* ADDR_ADD and ADDR_DEL carry the VIP's epoch; their outcome comes back as
	 * a CV_EV_ACTION_RESULT event with that epoch, never inside the call. */
	CV_ACT_ADDR_ADD,     /* add vip's address (finite kernel lease) */
	CV_ACT_ADDR_DEL,     /* remove vip's address */
	CV_ACT_ANNOUNCE,     /* start vip's gratuitous ARP / unsolicited NA burst */
	CV_ACT_RENEW,	     /* renew the kernel lease of every address we hold, in one batch */
	CV_ACT_SEND,	     /* multicast msg to the group */
	CV_ACT_ARM_TIMER,    /* (re)arm the engine's one wakeup timer at at_ms */
	CV_ACT_CANCEL_TIMER, /* nothing to wake up for */
	CV_ACT_TRANSITION,   /* vip went from -> to, for logs and hooks */
	CV_ACT_NOTICE,	     /* an engine-level fact for the log (see enum cv_notice) */
	CV_ACT_STOPPED,	     /* graceful stop is complete: nothing is held, exit now */
	_CV_ACTION_TYPE_MAX,
	_CV_ACTION_TYPE_INVALID = -EINVAL,
};

enum cv_notice {
	CV_NOTICE_VIEW_ADOPTED,	    /* node = members, quorate in flag */
	CV_NOTICE_EXCHANGE_DONE,    /* every member's STATE is in */
	CV_NOTICE_DIGEST_MISMATCH,  /* node has another config digest: not trusted */
	CV_NOTICE_VERSION_MISMATCH, /* node speaks another protocol version: not trusted */
	CV_NOTICE_MOVE_REFUSED,	    /* admin move refused; reason in text */
	CV_NOTICE_BAD_MESSAGE,	    /* a message that makes no sense here was dropped */
	CV_NOTICE_TWO_NODE_REFUSED, /* plain two_node: no VIP is held */
	CV_NOTICE_PEER_SILENT,	    /* node's STATE is overdue: exchanges go on without it */
	_CV_NOTICE_MAX,
	_CV_NOTICE_INVALID = -EINVAL,
};

struct cv_action {
	enum cv_action_type type;
	uint32_t vip;		 /* index into the config's vips (ADDR_*, ANNOUNCE, TRANSITION) */
	uint64_t epoch;		 /* ADDR_*: the VIP's epoch, echoed in the result */
	const struct cv_vip_conf *conf; /* that VIP's config (the old one for a reload's removals) */
	uint64_t at_ms;		 /* ARM_TIMER */
	struct cv_proto_msg msg; /* SEND; entry lists owned by the action */
	enum cv_vip_state from, to; /* TRANSITION */
	enum cv_reason reason;	    /* TRANSITION, NOTICE */
	enum cv_notice notice;	    /* NOTICE */
	uint32_t node;		    /* NOTICE: the node concerned */
	const char *text;	    /* NOTICE: static detail, may be NULL */
};

struct cv_actions {
	struct cv_action *v;
	size_t n;
	int err; /* sticky: -ENOMEM once an append failed */
};

/* Append a (copied; SEND's entry lists are taken over). Sticky errors. */
void cv_actions_push(struct cv_actions *a, const struct cv_action *act);
/* Free every action's message lists and the array; the list is empty after. */
void cv_actions_done(struct cv_actions *a);

const char *cv_vip_state_to_string(enum cv_vip_state s);
enum cv_vip_state cv_vip_state_from_string(const char *s);
const char *cv_reason_to_string(enum cv_reason r);
enum cv_reason cv_reason_from_string(const char *s);
const char *cv_action_type_to_string(enum cv_action_type t);
enum cv_action_type cv_action_type_from_string(const char *s);
const char *cv_notice_to_string(enum cv_notice n);
enum cv_notice cv_notice_from_string(const char *s);
