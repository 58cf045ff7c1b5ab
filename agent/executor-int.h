/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the executor (executor.h): executor.c runs a step's actions,
 * announces and watches DAD; executor-addr.c does the step's address
 * operations in batches. Not for use outside these two files.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "executor.h"
#include "netlink.h"

#define MAX_BURSTS 4096
#define MAX_NOTES  4096
/*
 * How long IPv6 duplicate address detection may take (nodad: no) before the
 * add counts as failed: the kernel waits up to router_solicitation_delay (1 s)
 * and then dad_transmits x retrans_time (1 x 1 s) by default.
 */
#define DAD_DEADLINE_MS 5000

/* One announce burst: the VIP's frames, count times, interval apart. */
struct burst {
	struct cv_executor *x;
	const struct cv_vip_conf *conf;
	struct cv_nl_link link;
	unsigned left;
	qb_loop_timer_handle timer;
	bool armed;
};

/*
 * A VIP whose address needs care until it is let go: one that is the
 * admin's (never announce it, never delete it), or one whose IPv6 DAD is
 * still running (announce once it has passed).
 */
enum note_kind { NOTE_FOREIGN, NOTE_DAD };

struct note {
	struct cv_executor *x;
	const struct cv_vip_conf *conf;
	uint32_t vip;
	uint64_t epoch; /* of the ADDR_ADD: a DAD failure is that add's result */
	enum note_kind kind;
	int ifindex;
	bool announce; /* an ANNOUNCE came while DAD ran */
	qb_loop_timer_handle timer;
	bool armed;
};

/* A send socket kept open per family for the last interface used. */
struct sock {
	int fd, ifindex;
};

struct cv_executor {
	qb_loop_t *loop;
	cv_event_sink_fn sink;
	void *userdata;
	struct cv_nl *nl;
	struct cv_cpg *cpg;
	uint8_t tag; /* IFA_PROTO of the addresses we add (owned.h) */
	qb_loop_timer_handle wakeup;
	bool wakeup_armed;
	struct burst *bursts[MAX_BURSTS];
	size_t n_bursts;
	struct note *notes[MAX_NOTES];
	size_t n_notes;
	/* Sockets stay open: closing an AF_PACKET socket waits for an RCU grace period. */
	struct sock garp, ndisc;
	/* Links looked up in this step (cv_exec_link); forgotten at the next. */
	struct cv_nl_link links[16];
	size_t n_links;
};

/* The outcome of op on the VIP conf (NULL: RENEW) as an event, from a loop job. */
void cv_exec_result(struct cv_executor *x, const struct cv_vip_conf *conf,
		    enum cv_action_type op, uint64_t epoch, int err);
void cv_exec_log_vip(int level, const struct cv_vip_conf *c, const char *what);
/* ifname's link, looked up once per step: 0 or -errno (-ENODEV: no such link). */
int cv_exec_link(struct cv_executor *x, const char *ifname, struct cv_nl_link *ret,
		 struct cv_nl_error *err);
/* Stop conf's announce burst, if any (its address is going). */
void cv_exec_cancel_burst(struct cv_executor *x, const struct cv_vip_conf *conf);
struct note *cv_exec_note_find(struct cv_executor *x, const struct cv_vip_conf *conf);
void cv_exec_note_remove(struct note *n);
struct note *cv_exec_note_add(struct cv_executor *x, const struct cv_action *a,
			      enum note_kind kind, int ifindex);
/* Watch the IPv6 DAD of a's new address on ifindex; announce once it has passed. */
void cv_exec_dad_start(struct cv_executor *x, const struct cv_action *a, int ifindex);

/*
 * The step's ADDR_ADD, ADDR_DEL and RENEW actions (acts, n, in step order):
 * one netlink batch per run of the same operation and interface
 * (executor-addr.c); each outcome comes back as cv_exec_result.
 */
void cv_exec_addr_run(struct cv_executor *x, const struct cv_engine *engine,
		      const struct cv_action *const *acts, size_t n);
