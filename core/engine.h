/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The decision engine: every decision corovipd makes, as a reducer
 *
 *     cv_engine_step(engine, event, now_ms) -> actions
 *
 * over the membership view, the peers' STATE, the placement and one small
 * state machine per VIP (vip-fsm.c). Time is passed in, never read; the
 * adapters feed events and carry out the actions. design.md "Rules" is what
 * this file encodes; engine.c's comment maps each rule to its code.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "config.h"
#include "placement.h"
#include "proto.h"

enum cv_event_type {
	CV_EV_TOTEM,	   /* totem confchg (CPG model v1): ring id + member nodes */
	CV_EV_QUORUM,	   /* quorum notification: ring id, quorate, members, votes */
	CV_EV_GROUP,	   /* CPG confchg of our group: members, left (with reason), joined */
	CV_EV_MESSAGE,	   /* a delivered group message, decoded */
	CV_EV_TIMER,	   /* the wakeup timer fired */
	CV_EV_TIMINGS,	   /* runtime token/consensus (cmap), to derive lease and guard */
	CV_EV_HEALTH,	   /* a local check changed state (after rise/fall) */
	CV_EV_ADMIN_MOVE,  /* corovipctl move VIP NODE on this node */
	CV_EV_ADMIN_STANDBY, /* corovipctl standby|unstandby NODE on this node (node 0: maintenance on|off) */
	CV_EV_ADMIN_BAN,   /* corovipctl ban VIP NODE [--lifetime D] on this node */
	CV_EV_ADMIN_CLEAR, /* corovipctl clear VIP [NODE] on this node */
	CV_EV_RELOAD,	   /* a new, validated config replaces the current one */
	CV_EV_STOP,	   /* SIGTERM: hand everything off, then stop */
	CV_EV_CONN_LOST,   /* the corosync connection is gone */
	CV_EV_ADDR_GONE,   /* our address of vip was removed behind our back */
	CV_EV_ACTION_RESULT, /* an ADDR_ADD or ADDR_DEL finished: result (err 0 = done) */
	CV_EV_LINK,	   /* an interface went down (no carrier, admin down, gone) or up */
	CV_EV_ACTION_RESULTS, /* several results at once, in the order they came: results */
	_CV_EVENT_TYPE_MAX,
	_CV_EVENT_TYPE_INVALID = -EINVAL,
};

/* Why a CPG member left (corosync's CPG_REASON_*). */
enum cv_leave_reason {
	CV_LEAVE_JOIN = 1,
	CV_LEAVE_LEAVE = 2,
	CV_LEAVE_NODEDOWN = 3,
	CV_LEAVE_NODEUP = 4,
	CV_LEAVE_PROCDOWN = 5,
};

struct cv_member {
	uint32_t nodeid;
	uint32_t pid;
	enum cv_leave_reason reason; /* left/joined lists */
};

/* The outcome of an action (CV_EV_ACTION_RESULT). */
struct cv_action_result {
	/* The VIP by name (borrowed): the adapter need not follow a reload's
	 * remap, and a VIP a reload removed is still found. NULL: RENEW. */
	const char *vip;
	enum cv_action_type op; /* CV_ACT_ADDR_ADD, CV_ACT_ADDR_DEL or CV_ACT_RENEW */
	uint64_t epoch;		/* the action's epoch: a stale result is dropped */
	int err;		/* 0 = done, -errno = failed */
};

/* A check's new state (CV_EV_HEALTH), by its name. */
struct cv_check_outcome {
	const char *check;
	bool healthy;
};

struct cv_event {
	enum cv_event_type type;
	union {
		struct {
			struct cv_ring_id ring;
			const uint32_t *members;
			size_t n_members;
		} totem;
		struct {
			struct cv_ring_id ring;
			bool quorate;
			const uint32_t *members;
			size_t n_members;
			uint32_t quorum_votes;	/* votes needed (votequorum "quorum") */
			uint32_t qdevice_votes; /* votes a quorum device adds, 0 without one */
			uint32_t expected_votes; /* the cluster's expected votes (device included) */
			bool two_node;		/* votequorum two_node is on */
		} quorum;
		struct {
			const struct cv_member *members, *left, *joined;
			size_t n_members, n_left, n_joined;
		} group;
		struct {
			uint32_t nodeid, pid;
			/* borrowed; NULL when it did not decode: decode_err says why
			 * (CV_E_PROTO_VERSION: the sender speaks another version) */
			const struct cv_proto_msg *msg;
			int decode_err;
		} message;
		struct {
			uint32_t token_ms, consensus_ms;
		} timings;
		struct {
			const char *check;
			bool healthy;
			/* More outcomes taken in the same step, or NULL: a
			 * recheck's, which come together (a database's role
			 * change fails one check as it passes another, and
			 * one at a time a VIP would leave and come back). */
			const struct cv_check_outcome *more;
			size_t n_more;
		} health;
		struct {
			const char *interface; /* borrowed for the step */
			bool up;
		} link;
		struct {
			const char *vip;
			uint32_t node;
		} move;
		struct {
			const char *vip;
			uint32_t node;	      /* clear: 0 = every ban of the VIP, and its move */
			uint32_t lifetime_ms; /* ban: 0 = until cleared */
		} ban;
		struct {
			uint32_t node;
			bool standby;
		} standby;
		struct {
			const struct cv_config *config; /* borrowed; must outlive the engine's use */
			const uint32_t *nodeids;	/* as cv_engine_params.nodeids, for config */
		} reload;
		struct {
			uint32_t vip;
			int err;
		} vip;
		struct cv_action_result result;
		/* A takeover of thousands reports thousands of outcomes: one
		 * step for a batch of them, not a step (a scan of every VIP)
		 * each. The same as each alone in turn, at the same time. */
		struct {
			const struct cv_action_result *v; /* borrowed */
			size_t n;
		} results;
	};
};

struct cv_engine;

struct cv_engine_params {
	uint32_t nodeid;     /* ours */
	uint32_t pid;	     /* our daemon's pid (CPG member) */
	uint32_t reaper_pid; /* our reaper's pid, 0 without one */
	/*
	 * Per config->nodes[i]: its corosync node id (the config's nodeid, or
	 * looked up by name in corosync's nodelist for "auto"); 0 = unknown.
	 * Copied. NULL: the config's nodeids, "auto" unknown.
	 */
	const uint32_t *nodeids;
	/* Most VIPs in one STATE message, 0 = as many as fit in 64 KiB (the
	 * simulator makes a multi-message STATE with a handful of VIPs). */
	size_t state_chunk_vips;
};

/* Borrows config (it must outlive the engine or the next RELOAD). */
int cv_engine_new(const struct cv_config *config, const struct cv_engine_params *p,
		  struct cv_engine **ret);

/*
 * The pid of our reaper that our STATE names from now on (0: none). The
 * daemon names it only once the reaper is in the CPG group, and 0 once it
 * died: peers accept a reaper's RELEASED only from the pid our latest STATE
 * named (docs/safety.md rule 4).
 */
void cv_engine_set_reaper(struct cv_engine *e, uint32_t pid);
struct cv_engine *cv_engine_free(struct cv_engine *e);

/*
 * Feed one event at time now_ms (monotonic, ms) and append what to do to out.
 * Returns 0, or -ENOMEM (the engine state is then unchanged where it matters:
 * the daemon treats it as fatal).
 */
int cv_engine_step(struct cv_engine *e, const struct cv_event *ev, uint64_t now_ms,
		   struct cv_actions *out);

/* ---- queries, for status and tests ---- */
const struct cv_config *cv_engine_config(const struct cv_engine *e);
size_t cv_engine_n_vips(const struct cv_engine *e);
enum cv_vip_state cv_engine_vip_state(const struct cv_engine *e, size_t vip);
/* The node placement gave the VIP to (0 = nobody), as this engine sees it. */
uint32_t cv_engine_vip_owner(const struct cv_engine *e, size_t vip);
uint64_t cv_engine_vip_epoch(const struct cv_engine *e, size_t vip);
/* How many of our VIPs are in state here (kept as they change: no scan). */
size_t cv_engine_count_in_state(const struct cv_engine *e, enum cv_vip_state state);
/* Why the last placement gave it that owner (CV_PLACE_SPLIT: an exclusive
 * VIP that more than one node passes; CV_PLACE_NONE: no candidate). */
enum cv_place_reason cv_engine_vip_place_reason(const struct cv_engine *e, size_t vip);
/* Lease and guard in use (derived or configured), ms. */
uint32_t cv_engine_lease_ms(const struct cv_engine *e);
uint32_t cv_engine_guard_ms(const struct cv_engine *e);
bool cv_engine_quorate(const struct cv_engine *e);
/*
 * Until when (ms, the step clock) our own lease lets us hold what we hold
 * (rule 5): 0 while we hold nothing or the lease has lapsed. It moves only
 * later while we hold (earlier only when corosync's token is lowered), and
 * becomes 0 in the step that lets go, so a changed value is always news
 * (the daemon tells its reaper each one: rule 4).
 */
uint64_t cv_engine_lease_end(const struct cv_engine *e);
/* Our node id. */
uint32_t cv_engine_nodeid(const struct cv_engine *e);
/*
 * The adopted view: false if there is none yet. Otherwise its ring, and its
 * members' node ids in ascending order into ret_members (at most max; the
 * count in *ret_n may be larger: the caller's array was too small).
 */
bool cv_engine_view(const struct cv_engine *e, struct cv_ring_id *ret_ring,
		    uint32_t *ret_members, size_t max, size_t *ret_n);
/* The corosync node id of config->nodes[node] (0 = unknown). */
uint32_t cv_engine_node_id(const struct cv_engine *e, size_t node);
/* Is nodeid in standby (by its config or corovipctl), as its last word says? */
bool cv_engine_node_standby(const struct cv_engine *e, uint32_t nodeid);

/* ---- the cluster view, for status (engine-why.c) ---- */

/* corovipctl maintenance on (cluster state): placement moves nothing, nobody takes. */
bool cv_engine_maintenance(const struct cv_engine *e);

/* A node of the config as this engine sees it. */
struct cv_node_status {
	uint32_t nodeid;   /* 0: not known yet (nodeid auto, not resolved) */
	bool me;
	bool in_ring;	   /* in corosync's latest membership */
	bool in_view;	   /* in our adopted view */
	bool daemon;	   /* its corovipd is in the group */
	bool spoke;	   /* its daemon's STATE of this exchange is in */
	bool standby;	   /* by its config or corovipctl */
	bool other_config; /* its config is not the one most members have */
	bool silent;	   /* its daemon went silent (frozen?) */
	size_t holds;	   /* VIPs placement gives it */
};
/* config->nodes[node] */
void cv_engine_node_status(const struct cv_engine *e, size_t node, struct cv_node_status *ret);

/* Why a node may not hold a VIP now. */
enum cv_unfit {
	CV_UNFIT_NONE,	       /* it may */
	CV_UNFIT_OFFLINE,      /* not in our view: corosync down there, or cut off */
	CV_UNFIT_NO_DAEMON,    /* no corovipd there */
	CV_UNFIT_NO_WORD,      /* its daemon's STATE of this exchange is not in yet */
	CV_UNFIT_OTHER_CONFIG, /* it defines the VIP (or the cluster) otherwise */
	CV_UNFIT_SILENT,       /* its daemon went silent */
	CV_UNFIT_STANDBY,
	CV_UNFIT_BANNED,       /* corovipctl ban */
	CV_UNFIT_CHECK,	       /* its checks (or its link) fail for this VIP */
	CV_UNFIT_LINK,	       /* this node: the VIP's interface has no link */
	CV_UNFIT_ADD_FAILED,   /* this node: adding the address failed (until a reload) */
	_CV_UNFIT_MAX,
};
enum cv_unfit cv_engine_node_unfit(const struct cv_engine *e, size_t vip, uint32_t nodeid);
const char *cv_unfit_to_string(enum cv_unfit u);

/* Why a VIP is where it is. */
enum cv_why {
	CV_WHY_HELD,	       /* its owner holds it */
	CV_WHY_NOT_STARTED,    /* no view adopted yet */
	CV_WHY_NO_QUORUM,      /* our partition is not quorate: nobody here holds it */
	CV_WHY_TWO_NODE,       /* a plain two_node cluster: a quorum device or two_node_unsafe */
	CV_WHY_LAPSED,	       /* our lease lapsed (we ran late): nothing until we beat again */
	CV_WHY_EXCHANGE,       /* the members' STATE exchange is under way */
	/* starting: the start-up wait for the daemons of nodes[], until `until` */
	CV_WHY_STARTUP,
	CV_WHY_NO_ELIGIBLE,    /* no node may hold it (cv_engine_node_unfit says why, each) */
	CV_WHY_MAINTENANCE,    /* maintenance mode: nobody takes it (its owner went, or none) */
	CV_WHY_SPLIT,	       /* exclusive, and nodes[] all pass its checks */
	CV_WHY_WAIT_RELEASED,  /* its owner waits for the word of nodes[] (RELEASED or STATE) */
	CV_WHY_WAIT_LEASE,     /* ... for nodes[] that may hold it, until `until` */
	CV_WHY_WAIT_GUARD,     /* quorum was just gained: the guard, until `until` */
	CV_WHY_WAIT_KNOWLEDGE, /* we own it, but do not know yet who held what: until `until` */
	CV_WHY_WAIT_BLOCKED,   /* members nodes[] say someone may still hold it */
	CV_WHY_TAKING,	       /* we own it and are adding it */
	CV_WHY_RELEASING,      /* we are removing it */
	_CV_WHY_MAX,
};
struct cv_vip_why {
	enum cv_why why;
	uint64_t until; /* the step clock (monotonic ms), 0: none known */
	uint32_t nodes[CV_MAX_NODES];
	size_t n_nodes;
	uint32_t move_to; /* a corovipctl move to it is under way; 0: none */
};
void cv_engine_vip_why(const struct cv_engine *e, size_t vip, struct cv_vip_why *ret);
const char *cv_why_to_string(enum cv_why w);
/* A handoff or takeover under way (waits, adding, removing, the exchange). */
bool cv_why_in_motion(enum cv_why w);

/* ---- admin commands kept on disk (the daemon's state directory) ---- */

/* One runtime admin command as the cluster keeps it (docs/safety.md, "Admin
 * commands as cluster state"). */
struct cv_admin_entry {
	bool move;		  /* a move of vip */
	bool ban;		  /* a ban of node from vip; neither: the standby of node */
	char vip[CV_NAME_MAX + 1];
	uint32_t node;		  /* move: its target (0: ended); standby: the node (0: maintenance) */
	bool standby;
	bool banned;		  /* ban: false once cleared */
	uint64_t stamp;
	uint64_t remaining_ms;	  /* ban: what is left of its lifetime, 0: none (engine side) */
	uint64_t until_unix_ms;	  /* ban: ... as a wall-clock time (the file; the daemon converts) */
};
/* The bans of VIP i as the engine knows them, into v (at most max): how many. */
size_t cv_engine_vip_bans(const struct cv_engine *e, size_t vip, struct cv_proto_ban *v,
			  size_t max);
/* Changes whenever a move or a standby entry does (the daemon saves then). */
uint64_t cv_engine_admin_generation(const struct cv_engine *e);
/* The moves and standby entries into v (at most max); returns how many there are. */
size_t cv_engine_admin_export(const struct cv_engine *e, struct cv_admin_entry *v, size_t max);
/*
 * A new engine, before its first step, takes back what the daemon saved:
 * merged by stamp as a peer's STATE would be (a newer command wins), so a
 * restart of the whole cluster keeps its moves, standby and maintenance.
 * Entries for VIPs or nodes it does not know are dropped. now: the step
 * clock's now (a ban's lifetime runs from it for its remaining_ms).
 */
void cv_engine_admin_import(struct cv_engine *e, uint64_t now, const struct cv_admin_entry *v,
			    size_t n);

/* Do the engine's per-state counts match a recount? (tests: after every step) */
bool cv_engine_counts_ok(const struct cv_engine *e);
