/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one interface every way of moving a VIP implements (issue 12): L2
 * (l2/: netlink address, GARP, unsolicited NA), later the clouds (cloud/).
 * The executor (agent/executor.c) knows no backend: it hands each one the
 * operations of an engine step on its VIPs as batches and turns what the
 * backend reports through env->result into events for the engine.
 *
 * The contract:
 *  - acquire and release take a batch (the VIPs of one step and one kind);
 *    each VIP's outcome is reported once through env->result with the
 *    operation's epoch, inside the call or later from the loop: the executor
 *    feeds it to the engine from a loop job either way, never inside the
 *    step that asked (the engine's contract, docs/safety.md rule 3);
 *  - an acquire counts as done only when the address serves traffic here
 *    (L2: the kernel acknowledged it, IPv6 DAD passed); a release only when
 *    it no longer does (peers take the VIP at our RELEASED);
 *  - refresh (optional) renews whatever lease the backend's hold has for
 *    every VIP the engine holds (L2: the kernel lease) and reports one
 *    RENEW result (conf NULL) once the renewal is done, never before: the
 *    engine counts a lapsing hold from it;
 *  - work may be queued and done over several loop iterations (L2: a call
 *    of at most ~10 ms per iteration, so heartbeats go on during a takeover
 *    of thousands), in the order it was asked;
 *  - announce (optional) tells the network the VIP moved (L2: GARP / NA);
 *  - switch_config: the running config is about to be freed; drop or
 *    re-point what refers to it (next NULL: all of it);
 *  - long work calls env->progress now and then (the daemon's loop beats its
 *    reaper there);
 *  - env->oneshot (backend/oneshot.c: the L2 test driver, the OCF agent) means
 *    nobody else is around: the backend watches what it needs itself (L2:
 *    its own netlink monitor for IPv6 DAD), reports an acquire only once it
 *    serves (L2: after DAD, not when the kernel took the address), and
 *    reports each refresh (CV_ACT_RENEW per VIP) and announce
 *    (CV_ACT_ANNOUNCE, once its frames are out: the first failure or 0) the
 *    way it reports acquire and release. In the daemon (false) a refresh
 *    reports the one RENEW result, and an announce is best effort.
 *  - a hold lost behind our back (L2: the daemon's netlink monitor sees the
 *    address go; a cloud: a refresh finds the VIP moved elsewhere, the
 *    check after a move finds a newer move there) is told through
 *    env->gone (may be NULL) with the VIP's conf, from the loop, never
 *    inside a call of ours: in the daemon the engine hears CV_EV_ADDR_GONE
 *    and adds it back if it still holds it (a cloud's compare-and-swap then
 *    refuses a move of an older epoch). A one-shot run reports it as that
 *    VIP's failed RENEW instead.
 * The reaper sweeps what a dead daemon left with the backend's sweep: L2
 * removes every address with our tag on our interfaces. A backend that
 * cannot sweep from the node (a cloud VIP held by the provider's API) has
 * none: there the peers' takeover moves the VIP by compare-and-swap, and the
 * reaper's RELEASED names only what was swept (filled in by the cloud issues).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <qb/qbloop.h>

#include "action.h"
#include "config.h"

/* Every backend's state begins with this (container_of from it). */
struct cv_backend {
	const struct cv_backend_ops *ops;
};

/* One VIP of a batch. */
struct cv_backend_op {
	const struct cv_vip_conf *conf; /* borrowed from the running config */
	uint32_t vip;			/* the engine's index */
	uint64_t epoch;			/* the engine's, given back with the result */
	/* The totem ring of the engine's view when it asked (acquire and
	 * release): with epoch, the order of moves a cloud writes beside the
	 * VIP. A take after a membership change is in a newer ring than any
	 * hold before it, whatever epoch its taker knew (peers learn a
	 * holder's epoch only from its next STATE or RELEASED). */
	uint64_t ring;
};

struct cv_backend_env {
	qb_loop_t *loop;
	uint8_t tag;  /* who owns an address (config.h, cv_config_address_tag) */
	bool oneshot; /* a one-shot run, not the daemon (see above) */
	/*
	 * The outcome of op (CV_ACT_ADDR_ADD / _DEL; one-shot also _RENEW and
	 * _ANNOUNCE) on conf: 0 or -errno. detail: the other side's own words
	 * on a failure (L2: the kernel's extended ACK), or NULL; borrowed for
	 * the call. The backend has logged the failure already.
	 */
	void (*result)(void *userdata, const struct cv_vip_conf *conf, enum cv_action_type op,
		       uint64_t epoch, int err, const char *detail);
	void (*progress)(void); /* may be NULL */
	/* A VIP we held is not ours any more (see above); may be NULL. */
	void (*gone)(void *userdata, const struct cv_vip_conf *conf);
	void *userdata;
	uint32_t nodeid; /* ours (corosync's), 0 if unknown: a cloud writes it with the epoch */
	/* Another backend of the same runner, made if need be (NULL: none):
	 * openstack's pair modes open the port, then hand the address to L2,
	 * whose results go to the runner as its own. May be NULL. */
	struct cv_backend *(*backend_of)(void *userdata, enum cv_backend_kind kind);
};

/*
 * What a backend last saw of a VIP in the provider's API, for corovipctl
 * status (a cloud's; L2 has none: the kernel's addresses are the status).
 */
struct cv_backend_status {
	char resource[65];	 /* the provider's object (a floating IP's id) */
	char where[65];		 /* what it was attached to at the last read ("": nothing) */
	char fixed_ip[48];	 /* and to which address of it ("": none said) */
	uint64_t ring, epoch;	 /* the move written in it (0: none of corovip's) */
	uint32_t node;		 /* ...by this node id */
	uint64_t revision;	 /* the provider's revision at that read */
	int64_t read_at_ms;	 /* Unix ms of that read; 0: never read */
	char error[256];	 /* why the last operation failed ("": it did not) */
	int64_t error_at_ms;	 /* Unix ms of that failure */
};

struct cv_backend_ops {
	enum cv_backend_kind kind;
	/* env is copied. 0 or -errno. */
	int (*create)(const struct cv_backend_env *env, struct cv_backend **ret);
	void (*destroy)(struct cv_backend *b);
	void (*switch_config)(struct cv_backend *b, const struct cv_config *next);
	/* lease_s: the kernel lease of the config (what a hold lasts unrenewed). */
	void (*acquire)(struct cv_backend *b, const struct cv_backend_op *ops, size_t n,
			uint32_t lease_s);
	void (*release)(struct cv_backend *b, const struct cv_backend_op *ops, size_t n);
	void (*refresh)(struct cv_backend *b, const struct cv_backend_op *held, size_t n,
			uint32_t lease_s);
	void (*announce)(struct cv_backend *b, const struct cv_backend_op *op);
	/* (optional) What it knows of v: false if nothing (never read, no error). */
	bool (*status)(struct cv_backend *b, const struct cv_vip_conf *v,
		       struct cv_backend_status *ret);
};

/* The backend of kind, or NULL when this build has none. */
const struct cv_backend_ops *cv_backend_lookup(enum cv_backend_kind kind);

/*
 * A cloud mode whose address is ours on an interface: op's acquire (add)
 * or release handed to the runner's L2 backend (env->backend_of), which
 * reports it as its own. 0, or -EOPNOTSUPP when the runner has no L2 beside
 * (a one-shot run).
 */
int cv_backend_to_l2(const struct cv_backend_env *env, const struct cv_backend_op *op, bool add,
		     uint32_t lease_s);
