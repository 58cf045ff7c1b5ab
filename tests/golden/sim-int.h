/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal to the simulator: sim.c runs the event loop, the daemons and the
 * actions; sim-config.c loads configs and answers queries; sim-net.c models
 * CPG (total order, group membership, joins, late deliveries), sim-ring.c
 * totem rings, sim-quorum.c votequorum; sim-proc.c the processes (start,
 * kill, freeze, supervisor) and sim-reaper.c the reaper; sim-addr.c the
 * address operations (latency, failures, the kernel lease); sim-check.c the
 * invariants and outage tracking.
 */
#pragma once

#include "sim.h"

#define BIT(id) (UINT64_C(1) << ((id)-1))

/* Something in a ring's total order: a message or a CPG membership change. */
enum item_kind { IT_MSG, IT_JOIN, IT_LEAVE };

struct item {
	struct item *next;
	enum item_kind kind;
	uint32_t nodeid, pid;
	uint32_t pid2;		     /* IT_JOIN: a daemon and its new reaper join together */
	enum cv_leave_reason reason; /* IT_LEAVE */
	uint8_t *buf;		     /* IT_MSG: the encoded message */
	size_t len;
	uint64_t at;   /* delivery time while in flight */
	bool accepted; /* corosync took it (it went in flight once): it outlives its sender */
};

struct queue {
	struct item *head, *tail;
};

struct ring {
	struct ring *next_all; /* every ring ever made, freed with the sim */
	struct cv_ring_id id;
	uint64_t mask; /* member nodes */
	uint64_t form_at, sync_at;
	bool quorate, formed, synced, stopped;
	uint32_t expected; /* votequorum's expected votes in this ring */
	bool stalled; /* a member was lost: nothing is delivered until it is back or the ring
			 re-forms */
	struct cv_member *members; /* the CPG group in this ring, in join order */
	size_t n_members, cap_members;
	struct queue flight; /* sent, not yet delivered */
};

enum proc_state { PROC_DEAD, PROC_RUNNING, PROC_FROZEN };
enum cs_state { CS_UP, CS_FROZEN, CS_DOWN };

/* One event waiting in a daemon's inbox; owns what ev points to. */
struct inev {
	struct inev *next;
	struct cv_event ev;
	uint32_t *ids;
	struct cv_member *gm, *gl, *gj;
	struct cv_proto_msg msg;
	char *str;
	struct cv_check_outcome more; /* HEALTH: a second check (more.check owned) */
	uint64_t at, conn; /* from corosync, late (skew): when, and over which connection */
	bool answered;	   /* QUORUM/TIMINGS: the blocking call it needs has returned */
};

struct daemon {
	enum proc_state state;
	uint32_t pid;
	struct cv_engine *engine;
	const struct cv_config *cfg;
	bool connected; /* has (or wants, while corosync re-forms) its CPG connection */
	/* Its start-up reconcile left addresses: it joins once they are gone,
	 * at the latest then (they have expired); 0 = not held back. */
	uint64_t join_gate_until;
	bool stopping, draining;
	uint64_t gen;	    /* per start: stale events are ignored */
	uint64_t timer_gen; /* per ARM/CANCEL */
	uint64_t frozen_at;
	struct inev *in_head, *in_tail;
	struct cv_member *view; /* the group as this daemon last saw it */
	size_t n_view;
	uint64_t view_mask;		      /* the ring members it last saw */
	uint64_t seen_inc[SIM_MAX_NODES + 1]; /* each node's corosync instance in that view */
	/* when a process of each node last joined its view (all, at its own
	 * join): it heard nothing of that node from before (sim-check.c) */
	uint64_t saw_join_at[SIM_MAX_NODES + 1];
	/* when it last read a HEARTBEAT or STATE of each node: a frozen
	 * node's silence counts from there (sim-check.c) */
	uint64_t heard_at[SIM_MAX_NODES + 1];
	/* when the first exchange it saw after each node's daemon froze
	 * began (a STATE with RESEND read; sim-check.c) */
	uint64_t asked_at[SIM_MAX_NODES + 1];
	/* whether the last STATE it read of each node said PREEMPT_HOLD: the
	 * one that no longer says it moves VIPs (sim.c note_preempt_end) */
	bool heard_hold[SIM_MAX_NODES + 1];
	bool join_feed;			      /* joined: its first GROUP/TOTEM/QUORUM are due */
	struct cv_member join_extra[2];
	size_t n_join_extra;
	uint64_t steps_at, steps; /* livelock guard: steps in the current ms */
	bool blocked;		  /* in a corosync call that waits for corosync's answer */
	bool connecting;	  /* that call is its connect (net_connect): not a member yet */
	uint64_t blocked_at, block_seq; /* block_seq: per call and per freeze of corosync */
	uint64_t conn;			 /* per connection: late deliveries of an old one are dropped */
	struct inev *late_head, *late_tail; /* deliveries from corosync not yet read (skew) */
	uint64_t late_last;		    /* the last one's time: the order is kept */
	/* the VIPs (registry ids) whose add failed since its start or last
	 * reload: unhealthy there until a reload (docs/safety.md; sim-check.c) */
	uint32_t add_failed[8];
	size_t n_add_failed;
};

/* The reaper watches; once it killed the daemon it waits for its end, sweeps, lingers. */
enum reaper_phase { RP_WATCH, RP_WAIT_END, RP_LINGER };

struct reaper {
	enum proc_state state;
	enum reaper_phase phase;
	uint32_t pid;
	uint64_t gen;
	uint64_t due;		  /* RP_WAIT_END: sweep then; RP_LINGER: exit then */
	uint64_t lease_end;	  /* its daemon's, as told after its last step; 0: none */
	struct cv_proto_vip *rel; /* what the dead daemon held, for RELEASED */
	size_t n_rel;
};

/* An ADDR_ADD or ADDR_DEL under way (addr-latency): done at .at, in order per node. */
struct addr_op {
	enum cv_action_type type;
	uint32_t id;			 /* registry id of the address */
	const struct cv_vip_conf *conf; /* the daemon's config of it (outlives reloads) */
	uint64_t epoch, gen, at;	 /* gen: the daemon that asked */
	uint32_t lease_ms;		 /* kernel_lease of that daemon's config */
};

/* addr-fail: the next .left (UINT32_MAX: every) .type of .vip ("" any) fail. */
struct addr_fail {
	enum cv_action_type type;
	char vip[64];
	uint32_t left;
};

struct addr {
	uint32_t id; /* registry id */
	uint64_t expiry;
	const struct cv_config *cfg; /* the daemon's config when it was added */
	uint64_t stray_since;	     /* not in the daemon's config any more since */
	uint64_t epoch;		     /* of the ADDR_ADD that made it (0: renewed by a reload) */
	bool del_failed;	     /* a removal of it failed: the kernel lease ends it */
	uint64_t del_until;	     /* a removal of it queued completes then (0: none) */
};

struct health {
	char *check;
	bool healthy;
	uint64_t changed_at; /* checks: when it last changed (a frozen daemon said the old) */
};

struct node {
	uint32_t id;
	bool crashed, link;
	enum cs_state cs;
	unsigned part;
	struct ring *ring;    /* the ring whose confchg this node got last */
	struct ring *pending; /* the ring it forms or formed */
	uint64_t ring_seq;    /* the seq of the last ring its corosync formed (kept on disk) */
	uint64_t target;      /* pending's member mask, 0 when none */
	struct queue outbox;  /* waits for the ring to form and sync */
	struct daemon d;
	struct reaper r;
	struct addr *addrs;
	size_t n_addrs, cap_addrs;
	const struct cv_config *cfg; /* what the next start loads */
	bool standby;		     /* admin or config standby, as the model knows it */
	struct health *health;
	size_t n_health;
	struct health *links; /* interfaces by name; .healthy = up (unlisted: up) */
	size_t n_links;
	struct addr_fail *fails; /* addr-fail, fail-add */
	size_t n_fails;
	struct addr_op *ops; /* address operations under way, in order */
	size_t n_ops, cap_ops;
	uint32_t add_ms, del_ms; /* their latency */
	uint32_t skew_lo, skew_hi; /* deliveries from corosync come this late */
	uint32_t token_ms, consensus_ms; /* its corosync's own timers (timing NODES); 0: s->o's */
	uint32_t expected;	   /* votequorum expected votes it knows, 0 = the config's */
	bool qdevice_lost;	   /* its corosync-qdevice cannot reach qnetd (qdevice-vote down) */
	uint32_t kill_mid_state;   /* kill the daemon after this many chunks of a STATE */
	uint64_t outside_since;	   /* invariant 2: in a non-quorate ring since */
	uint64_t restart_gen;	   /* a crash cancels a pending supervisor restart */
	bool start_queued;	   /* started while its daemon stops: starts once it has stopped */
	uint64_t outside_reported; /* the outside_since already reported */
	uint64_t inc;		   /* corosync instance: a crash or a kill starts a new one */
	struct ring *quorum_owed;  /* its notification came due while frozen: told at the thaw */
	uint64_t quorum_owed_gen;
};

enum ev_kind {
	EV_CMD,
	EV_RING_FORM,
	EV_CONFCHG,
	EV_QUORUM,
	EV_RING_SYNC,
	EV_DELIVER,
	EV_TIMER,
	EV_REAPER,
	EV_RESTART,
	EV_START, /* a start that waited for the daemon's graceful stop */
	EV_EXPIRE,
	EV_RECONNECT,
	EV_CONN_LOST,
	EV_CHECK_CB,
	EV_DETECT,  /* token timeout after a loss */
	EV_ADDR_OP, /* an address operation completes */
	EV_LATE,    /* a late delivery from corosync is due */
	EV_UNBLOCK, /* a blocking corosync call returns */
	EV_RECONCILE, /* the daemon's periodic reconcile (agent/daemon.c, every 5 s) */
	EV_QDEVICE,   /* qnetd may give its vote again (qdevice-move) */
	EV_LEAVE,     /* a killed daemon's exit, once its address calls end */
};

struct event {
	uint64_t at;
	int cls; /* 0: things that happen; -1: expectations, before them */
	uint64_t seq;
	enum ev_kind kind;
	uint32_t node;
	uint64_t gen, gen2;
	uint32_t id;
	struct ring *ring;
	struct sim_cmd *cmd;
	void (*cb)(struct sim *, void *);
	void *arg;
};

struct fate {
	uint32_t pid;
	enum cv_leave_reason reason;
};

/* A VIP's addresses as the checker keys them (sim_vip_key): a group's all. */
#define SIM_KEY_LEN 512

/* A VIP address ever seen: (name, address). */
struct regvip {
	char *name;
	char addr[SIM_KEY_LEN];
	uint64_t holders;      /* non-crashed nodes holding it */
	uint64_t unheld_since; /* SIM_NEVER while held */
	uint64_t *outages;     /* pairs [start, end) */
	size_t n_outages, cap_outages;
	uint64_t live_reported; /* last_change + 1 it was reported for */
};

#define SIM_MAX_BANS 64

struct sim {
	struct sim_opts o;
	uint64_t now, seq, next_pid, rng;
	struct event *heap;
	size_t n_heap, cap_heap;
	struct node nodes[SIM_MAX_NODES + 1]; /* [1..n] */
	struct ring *rings;
	const struct cv_config **configs; /* every config ever loaded, freed at the end */
	uint64_t *digests;		  /* of configs[i]: the cluster digest */
	uint64_t *full_digests;		  /* of configs[i]: the cluster and every VIP */
	size_t n_configs;
	const struct cv_config *ref; /* the reference config (checker, expectations) */
	struct regvip *reg;
	size_t n_reg, cap_reg;
	uint32_t *reg_hash; /* open addressing: id + 1, 0 = empty */
	size_t cap_hash;
	struct fate *fates; /* why a process left the group, by pid */
	size_t n_fates, cap_fates;
	struct sim_log_entry *log;
	size_t n_log, cap_log;
	char **viol;
	size_t n_viol;
	/* the latest fault or command, or a preempt delay's end (sim.c
	 * note_preempt_end): liveness counts from it */
	uint64_t last_change;
	bool maintenance; /* corovipctl maintenance on, as the daemon that read it was told */
	/* corovipctl ban, as the daemon that read it was told (sim-check.c ban_model) */
	struct sim_ban {
		char vip[64];
		uint32_t node;
		uint64_t until; /* its lifetime ends (SIM_NEVER: none) */
		uint32_t clearing; /* a clear read by this node's daemon, not yet delivered */
	} bans[SIM_MAX_BANS];
	size_t n_bans;
	uint64_t checked_at;  /* the last ms the checker ran for */
	bool dirty;	      /* something happened in the current ms */
	bool started;	      /* net_init ran */
	uint32_t picked;      /* the node the last picking command picked */
	uint64_t qdevice_held_until; /* qnetd gives its vote to nobody before (qdevice-move) */
};

/* sim.c */
void *sim_xcalloc(size_t n, size_t size);
char *sim_xstrdup(const char *str);
void *sim_grow(void *p, size_t *cap, size_t need, size_t size);
void sim_push(struct sim *s, struct event ev);
uint64_t sim_rand(struct sim *s, uint64_t lo, uint64_t hi);
void sim_trace(const struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_log_add(struct sim *s, struct sim_log_entry e);
void sim_feed(struct sim *s, struct node *n, struct inev *ev);
void sim_drain(struct sim *s, struct node *n);
struct inev *sim_inev_new(enum cv_event_type type);
void sim_inev_free(struct inev *ev);
const char *sim_intern(struct sim *s, const struct cv_vip_conf *vc);
const char *sim_vip_key(const struct cv_vip_conf *vc, char *buf, size_t len);
int sim_config_load(struct sim *s, uint32_t node, const char *text, const struct cv_config **ret,
		    char *err, size_t errlen);
uint32_t *sim_config_nodeids(const struct cv_config *c);
uint64_t sim_config_digest(const struct sim *s, const struct cv_config *c);
uint64_t sim_config_full_digest(const struct sim *s, const struct cv_config *c);
bool sim_config_same_vip(const struct cv_config *a, const struct cv_config *b,
			 const struct cv_vip_conf *vc);

/* sim-net.c */
void net_send(struct sim *s, struct node *n, struct item *it);
void net_connect(struct sim *s, struct node *n);
void net_connect_feed(struct sim *s, struct node *n);
void net_connect_done(struct sim *s, struct node *n);
void net_leave(struct sim *s, struct node *n, uint32_t pid, enum cv_leave_reason why);
bool net_operational(const struct node *n);
void item_free(struct item *it);
struct item *item_msg(uint32_t nodeid, uint32_t pid, const struct cv_proto_msg *m);
struct inev *net_totem_ev(const struct ring *r);
void net_feed_cs(struct sim *s, struct node *n, struct inev *ev);
void net_late_due(struct sim *s, struct node *n);
void net_late_clear(struct daemon *d);
void net_enqueue(struct queue *q, struct item *it);
struct item *net_dequeue(struct queue *q);
void net_queue_clear(struct queue *q);
int net_member_index(const struct ring *r, uint32_t pid);
void net_member_add(struct ring *r, uint32_t nodeid, uint32_t pid);
void net_to_flight(struct sim *s, struct ring *r, struct item *it);
void net_feed_group(struct sim *s, struct node *n, const struct ring *r,
		    const struct cv_member *extra, size_t n_extra);
void net_join_now(struct sim *s, struct node *n);
void net_reaper_state(struct sim *s, struct node *n);
void net_deliver(struct sim *s, struct ring *r);
void net_purge(struct node *n, uint32_t pid);

/* sim-ring.c */
void net_init(struct sim *s);
void net_update(struct sim *s);
void net_handle(struct sim *s, const struct event *ev);
void net_free(struct sim *s);
bool net_cs_alive(const struct node *n);

/* sim-quorum.c */
void quorum_ring_init(struct sim *s, struct ring *r, const uint64_t *comp);
struct inev *quorum_ev(const struct sim *s, const struct ring *r);
bool quorum_may_be_quorate(const struct sim *s, const struct ring *r);
void quorum_feed(struct sim *s, struct node *n, struct ring *r);
void quorum_thawed(struct sim *s, struct node *n);
void quorum_cmd(struct sim *s, const struct sim_cmd *c);
void quorum_recount(struct sim *s);
void quorum_device_won(struct sim *s, const struct ring *r);

/* sim-proc.c */
void proc_cmd(struct sim *s, const struct sim_cmd *c);
void proc_handle(struct sim *s, const struct event *ev);
enum gone { GONE_STOPPED, GONE_KILLED, GONE_REAPED, GONE_CRASHED };
void proc_daemon_gone(struct sim *s, struct node *n, enum gone why);
void proc_schedule_restart(struct sim *s, struct node *n);
void proc_unblock(struct sim *s, struct node *n);
void proc_node_crash(struct sim *s, struct node *n);
void proc_start(struct sim *s, struct node *n);
bool proc_start_prepare(struct sim *s, struct node *n);
void proc_start_feed(struct sim *s, struct node *n);
bool proc_healthy(const struct node *n, const char *check);
/* Whether check changed on n after t (what a daemon frozen at t said is the old value). */
bool proc_health_changed_since(const struct node *n, const char *check, uint64_t t);
bool proc_link_up(const struct node *n, const char *interface);

/* sim-reaper.c */
void reaper_new(struct sim *s, struct node *n);
void reaper_exit(struct sim *s, struct node *n, enum cv_leave_reason why);
void reaper_capture(struct node *n);
void reaper_check(struct sim *s, struct node *n);
void reaper_watch(struct sim *s, struct node *n, uint64_t silent_since);
/* When the reaper kills its silent daemon (SIM_NEVER while it speaks). */
uint64_t reaper_kill_at(const struct sim *s, const struct node *n);

/* sim-addr.c */
void addr_op(struct sim *s, struct node *n, const struct cv_action *a);
void addr_op_due(struct sim *s, struct node *n);
void addr_renew(struct sim *s, struct node *n);
void addr_expire(struct sim *s, const struct event *ev);
bool addr_sweep(struct sim *s, struct node *n);
/* Returns how many addresses of ours it could not remove. */
size_t addr_reconcile(struct sim *s, struct node *n);
uint64_t addr_ops_end(const struct node *n);
void addr_ops_drop(struct node *n);
void addr_fail_cmd(struct node *n, const struct sim_cmd *c);
void addr_free(struct node *n);

/* sim-check.c */
uint32_t check_reg(struct sim *s, const char *name, const char *addr);
int check_reg_find(const struct sim *s, const char *name, const char *addr);
void check_addr_add(struct sim *s, struct node *n, uint32_t id, uint64_t expiry);
void check_addr_del(struct sim *s, struct node *n, uint32_t id);
void check_addr_clear(struct sim *s, struct node *n);
void check_run(struct sim *s);
/* A daemon read corovipctl ban or clear (refused: its engine said so at once). */
void check_ban_read(struct sim *s, const struct node *n, const struct cv_event *ev, bool refused);
/* n's daemon got its own CLEAR back (refused: sent across a membership change). */
void check_clear_delivered(struct sim *s, const struct node *n, const struct cv_proto_clear *m,
			   bool refused);
void check_stopped(struct sim *s, struct node *n);
void check_released(struct sim *s, const struct node *n, uint32_t pid,
		    const struct cv_proto_msg *m);
void check_free(struct sim *s);
