/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A discrete-event simulator of N corovipd engines over a model of corosync
 * (totem rings, CPG total order, votequorum), with the daemon/reaper split,
 * a supervisor, the kernel's address lease, and an independent checker of
 * design.md's invariants. Test code: stdio and malloc freely; time is
 * simulated (ms) and a run is a pure function of its inputs and seed.
 *
 * Node i (1..N) is named n<i> and has corosync node id i.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "engine.h"

#define SIM_MAX_NODES 32
#define SIM_NEVER     UINT64_MAX

struct sim_opts {
	unsigned n_nodes;
	uint64_t seed;
	uint32_t token_ms, consensus_ms;
	uint32_t latency_ms;			   /* send to delivery in an operational ring */
	uint32_t jitter_ms;			   /* per-node confchg skew, +- */
	uint32_t sync_ms;			   /* after a ring forms, sends wait this long */
	uint32_t quorum_delay_lo, quorum_delay_hi; /* quorum notification after the totem one */
	uint32_t reaper_timeout_ms;  /* a silent (frozen) daemon is killed after this */
	uint32_t restart_delay_ms;   /* the supervisor restarts a killed daemon */
	uint32_t reconnect_delay_ms; /* a daemon reconnects after a lost connection */
	uint32_t bound_ms;	     /* liveness bound after the last fault */
	bool liveness;		     /* check invariant 3 */
	bool reapers;		     /* daemons start with a reaper */
	bool reaper_state;	     /* reapers send a STATE (role reaper) after ring changes */
	bool supervise;		     /* restart killed daemons */
	bool two_node;		     /* votequorum two_node */
	uint32_t qdevice_votes;	     /* a quorum device (ffsplit, lowest node id wins ties) */
	uint64_t down_mask;	     /* bit i-1: node i is crashed at time 0 */
	bool trace;		     /* timeline on stderr */
	bool join_exclusion;	     /* a join during a stall re-forms after consensus */
	bool daemon_queue;	     /* refused sends wait in the process and die with it */
	size_t state_chunk_vips;     /* cv_engine_params.state_chunk_vips */
	uint32_t cs_call_ms;	     /* a blocking corosync call's round trip */
	uint32_t add_ms, del_ms;     /* ADDR_ADD / ADDR_DEL latency on every node */
	uint32_t qdevice_move_ms;    /* a vote qnetd took away goes to nobody for this long */
	uint32_t skew_lo[SIM_MAX_NODES + 1], skew_hi[SIM_MAX_NODES + 1]; /* per node */
};

void sim_opts_default(struct sim_opts *o);

enum sim_cmd_type {
	SIM_START,	 /* start the daemon (and its reaper) */
	SIM_STOP,	 /* SIGTERM: graceful stop */
	SIM_KILL,	 /* kill -9 the daemon */
	SIM_KILL_REAPER, /* kill -9 the reaper */
	SIM_KILL_BOTH,	 /* kill -9 daemon and reaper together */
	SIM_FREEZE,	 /* SIGSTOP the daemon */
	SIM_THAW,	 /* SIGCONT the daemon */
	SIM_FREEZE_REAPER,
	SIM_THAW_REAPER,
	SIM_FREEZE_BOTH,
	SIM_THAW_BOTH,
	SIM_CS_KILL,	  /* kill -9 corosync */
	SIM_CS_START,	  /* start corosync again */
	SIM_CS_FREEZE,	  /* SIGSTOP corosync */
	SIM_CS_THAW,	  /* SIGCONT corosync */
	SIM_CRASH,	  /* the node dies: every process, link down, addresses gone */
	SIM_RESTART,	  /* the node boots: corosync, then the daemon */
	SIM_CUT,	  /* the node's link goes down (silently for the others) */
	SIM_HEAL,	  /* the node's link comes back */
	SIM_PARTITION,	  /* .part[] gives each node's group */
	SIM_HEAL_ALL,	  /* no partition, every link up */
	SIM_HEALTH,	  /* .check on the nodes becomes .flag */
	SIM_MOVE,	  /* corovipctl move .vip .target, run on .via */
	SIM_STANDBY,	  /* corovipctl standby/unstandby (.flag) .target, run on .via */
	SIM_RELOAD,	  /* the nodes load .config (text) */
	SIM_QUORUM_DELAY, /* .a .. .b */
	SIM_TIMING,	  /* token .a, consensus .b: tell the running daemons */
	SIM_CONN_LOST,	  /* the daemon's corosync connection breaks (corosync lives) */
	SIM_ADDR_GONE,	  /* an admin deletes .vip's address on the nodes */
	SIM_FAIL_ADD,	  /* every ADDR_ADD of .vip on the nodes fails from now on */
	SIM_LINK,	  /* interface .check on the nodes goes up (.flag) or down */
	SIM_EXPECTED_VOTES, /* corosync-quorumtool -e .a, run on each of the nodes */
	SIM_QDEVICE_VOTE,   /* the quorum device's vote comes (.flag) or goes */
	SIM_KILL_MID_STATE, /* kill -9 the daemon after .a chunks of its next multi-chunk STATE */
	SIM_SKEW,	    /* deliveries to the nodes come .a .. .b ms late */
	SIM_ADDR_LATENCY,   /* ADDR_ADD takes .a ms, ADDR_DEL .b ms on the nodes */
	SIM_ADDR_FAIL,	    /* the next .a (UINT32_MAX: every) .b (0 add, 1 del) of .vip fail */
	SIM_BAN,	    /* corovipctl ban .vip .target, lifetime .a ms (0: none), on .via */
	SIM_CLEAR,	    /* corovipctl clear .vip [.target, 0: all], on .via */
	_SIM_CMD_MAX,
};

/* Node commands may name their node when they run instead of in advance. */
enum sim_pick {
	SIM_PICK_NONE,	 /* .nodes says */
	SIM_PICK_HOLDER, /* the node holding .vip then */
	SIM_PICK_IDLE,	 /* the highest-numbered node that holds nothing (and has not crashed) */
	SIM_PICK_LAST,	 /* the node the last picking command picked */
};

struct sim_cmd {
	enum sim_cmd_type type;
	enum sim_pick pick;
	uint64_t nodes;	 /* bit i-1 = node i */
	uint32_t target; /* MOVE / STANDBY / BAN / CLEAR: node id */
	uint32_t via;	 /* MOVE / STANDBY / BAN / CLEAR: where corovipctl runs, 0 = pick one */
	char vip[64];
	char check[64];
	bool flag;
	char check2[64]; /* HEALTH: a second check in the same event, or "" */
	bool flag2;
	uint32_t a, b;
	uint8_t part[SIM_MAX_NODES + 1]; /* PARTITION: group per node id */
	char *config;			 /* RELOAD: owned text */
};

/* What the action log keeps: the engine's actions and the sim's own facts. */
enum sim_log_kind {
	SIM_LOG_ACTION,		 /* an engine action (.action) */
	SIM_LOG_REAPER_KILL,	 /* the reaper killed the daemon */
	SIM_LOG_REAPER_RELEASED, /* the reaper multicast RELEASED */
	SIM_LOG_RESTART,	 /* the supervisor restarted the daemon */
	SIM_LOG_EXPIRED,	 /* the kernel lease removed an address */
	SIM_LOG_ADD_FAILED,	 /* an injected ADDR_ADD failure */
	SIM_LOG_RECONCILED,	 /* a starting daemon removed addresses left from before (rule 8) */
	SIM_LOG_DEL_FAILED,	 /* an injected ADDR_DEL failure (daemon or reaper) */
	SIM_LOG_ADDED,		 /* an ADDR_ADD completed: the address is there */
	SIM_LOG_REMOVED,	 /* an ADDR_DEL completed: the address is gone */
	SIM_LOG_SWEEP_FAILED,	 /* the reaper could not remove everything: no RELEASED */
	SIM_LOG_BLOCKED,	 /* the daemon blocks in a corosync call (corosync frozen) */
	SIM_LOG_MID_STATE_KILL,	 /* the daemon was killed between the chunks of its STATE */
};

struct sim_log_entry {
	uint64_t at;
	uint32_t node;
	enum sim_log_kind kind;
	enum cv_action_type action;
	const char *vip; /* owned by the sim (interned), NULL if none */
	enum cv_reason reason;
	enum cv_notice notice;
	uint32_t notice_node;
	enum cv_vip_state from, to;
	enum cv_proto_type msg; /* SEND */
};

struct sim;

int sim_new(const struct sim_opts *o, struct sim **ret);
struct sim *sim_free(struct sim *s);

/*
 * The configuration of node (0 = every node) at time 0: corovip.conf text.
 * Missing "node nK" sections are added; nodeids map n<K> to K. Returns 0 or
 * -EINVAL with the parse error in err.
 */
int sim_set_config(struct sim *s, uint32_t node, const char *text, char *err, size_t errlen);

/* Schedule cmd (copied; .config is taken over) at time at. */
int sim_at(struct sim *s, uint64_t at, struct sim_cmd *cmd);
/* Call fn at time at, before anything else happens then: it sees the state at the end of at - 1. */
int sim_at_check(struct sim *s, uint64_t at, void (*fn)(struct sim *, void *), void *arg);

/* Run until time until (inclusive); returns the number of violations so far. */
size_t sim_run(struct sim *s, uint64_t until);

/* ---- queries, for expectations ---- */
uint64_t sim_now(const struct sim *s);
unsigned sim_n_nodes(const struct sim *s);
/* Non-crashed nodes holding VIP name's address (as the reference config has it): bit i-1 = node i.
 */
uint64_t sim_holders(const struct sim *s, const char *vip);
/* Number of addresses node holds (0 for a crashed node). */
size_t sim_node_n_addrs(const struct sim *s, uint32_t node);
/* Is node's daemon running (not frozen, not dead)? */
bool sim_daemon_running(const struct sim *s, uint32_t node);
/* VIP names of the reference config (the latest config/reload for every node). */
size_t sim_n_vips(const struct sim *s);
const char *sim_vip_name(const struct sim *s, size_t i);
/* Longest time VIP was held by nobody, clipped to [t1, t2]; SIM_NEVER if the VIP is unknown. */
uint64_t sim_max_outage(const struct sim *s, const char *vip, uint64_t t1, uint64_t t2);
const struct sim_log_entry *sim_log(const struct sim *s, size_t *ret_n);
/* The engine of node (NULL if its daemon is dead). */
const struct cv_engine *sim_engine(const struct sim *s, uint32_t node);

/* Violations: the checker's and the expectations' (sim_fail). */
void sim_fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t sim_n_violations(const struct sim *s);
const char *sim_violation(const struct sim *s, size_t i);

const char *sim_cmd_type_to_string(enum sim_cmd_type t);
enum sim_cmd_type sim_cmd_type_from_string(const char *s); /* _SIM_CMD_MAX if unknown */
const char *sim_log_kind_to_string(enum sim_log_kind k);
