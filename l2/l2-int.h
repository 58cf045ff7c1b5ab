/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the L2 backend (l2-backend.h): l2-backend.c takes and lets go of
 * addresses in netlink batches and reconciles; l2-announce.c announces and
 * watches the addresses that need care. Not for use outside l2/.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <qb/qbutil.h>

#include "backend.h"
#include "netlink-monitor.h"
#include "netlink.h"

/*
 * How long IPv6 duplicate address detection may take (nodad: no) before the
 * add counts as failed: the kernel waits up to router_solicitation_delay (1 s)
 * and then dad_transmits x retrans_time (1 x 1 s) by default.
 */
#define DAD_DEADLINE_MS 5000

/* One announce burst: the VIP's frames, count times, interval apart. */
struct burst {
	struct l2 *x;
	const struct cv_vip_conf *conf;
	uint32_t vip;	/* the engine's index (x->burst_of) */
	size_t pos;	/* in x->bursts */
	uint64_t epoch; /* of the ANNOUNCE: a one-shot run gets its outcome */
	int err;	/* the first send that failed, or 0 */
	bool reported;	/* its count frames are out (one-shot: reported) */
	struct cv_nl_link link;
	unsigned left;
	uint64_t next_at; /* l2_now_ms of its next frame */
};

static inline uint64_t
l2_now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/*
 * A VIP whose address needs care until it is let go: one that is the
 * admin's (never announce it, never delete it), or one whose IPv6 DAD is
 * still running (announce once it has passed).
 */
enum note_kind { NOTE_FOREIGN, NOTE_DAD };

struct note {
	struct l2 *x;
	const struct cv_vip_conf *conf;
	uint32_t vip;
	uint64_t epoch; /* of the ADDR_ADD: a DAD failure is that add's result */
	enum note_kind kind;
	int ifindex;
	bool announce; /* an ANNOUNCE came while DAD ran */
	uint64_t announce_epoch; /* its epoch */
	qb_loop_timer_handle timer;
	bool armed;
};

/* A send socket kept open for one interface (fd -1: none). */
struct sock {
	int fd, ifindex;
};

/* Send sockets per family, one per interface of the last few used: VIPs
 * spread over interfaces announce in turn, and closing an AF_PACKET socket
 * waits for an RCU grace period (10-20 ms): one socket re-bound per frame
 * made a takeover of 10,000 VIPs over 4 interfaces announce for minutes. */
#define SOCKS_PER_FAMILY 16
struct socks {
	struct sock v[SOCKS_PER_FAMILY];
	size_t next_evict;
};

struct l2 {
	struct cv_backend base; /* first: a struct cv_backend * is a struct l2 * */
	struct cv_backend_env env;
	struct cv_nl *nl;
	/* One-shot only: our own monitor feeds l2_on_addr (the daemon's feeds it
	 * otherwise, through cv_l2_on_addr). */
	struct cv_nl_monitor *mon;
	size_t chunk; /* requests per netlink call now (l2-batch.c: adapt_chunk) */
	struct l2_work *work; /* address work not done yet, oldest first (l2-batch.c) */
	bool work_job_queued;
	/* As many as VIPs announce or need care at once: no cap (65,536 VIPs). */
	struct burst **bursts;
	size_t n_bursts, cap_bursts;
	/* One timer for all bursts (thousands start in one takeover: a loop
	 * timer each cost seconds in libqb), and each VIP's burst by index. */
	struct burst **burst_of;
	size_t cap_burst_of;
	qb_loop_timer_handle burst_timer;
	bool burst_armed;
	uint64_t burst_at;
	struct note **notes;
	size_t n_notes, cap_notes;
	/* By the engine's VIP index (l2-batch.c): its adds queued or under way,
	 * and an announce that came meanwhile. A VIP group's members share an
	 * index and are not counted (few, small: their adds end in one call). */
	struct add_wait *add_wait;
	size_t cap_add_wait;
	struct group_wait *gwaits; /* groups' operations under way (l2-group.c) */
	size_t n_gwaits, cap_gwaits;
	/* Sockets stay open: closing an AF_PACKET socket waits for an RCU grace period. */
	struct socks garp, ndisc;
	/* Links looked up lately (l2_link): a step's batches and announces ask
	 * once per interface; forgotten after LINKS_FRESH_MS. */
	struct cv_nl_link links[16];
	size_t n_links;
	uint64_t links_at; /* ms of the first lookup kept */
};

#define L2_CHUNK_MAX 256 /* requests per netlink call, at most */

/*
 * Queue op on ops[0..n) (taken over, freed by the queue; sorted by interface
 * there): the first netlink call now if nothing is queued, the rest from
 * loop jobs, in order. Each VIP's result is reported as its batch ends; a
 * refresh ends with one CV_ACT_RENEW result (conf NULL) in the daemon.
 */
/*
 * VIP groups (l2-group.c): ops[0..n) as their members' ops (a VIP of one
 * address as it is), a new array of *ret_n (NULL: out of memory, every VIP
 * failed); each group VIP's outcome comes once all its members' did.
 */
struct cv_backend_op *l2_expand(struct l2 *x, const struct cv_backend_op *ops, size_t n,
				enum cv_action_type op, size_t *ret_n);
/* A member's outcome (l2_result passes it here). */
void l2_group_result(struct l2 *x, const struct cv_vip_conf *member, enum cv_action_type op,
		     uint64_t epoch, int err, const char *detail);
/* Stop waiting for vip's op (its add, when the release comes first). */
void l2_group_forget(struct l2 *x, const struct cv_vip_conf *vip, enum cv_action_type op);
/* Forget every wait (the config goes); free_all: the backend goes. */
void l2_group_clear(struct l2 *x, bool free_all);

/*
 * The engine asks for a VIP's add and its announce in one step, and a
 * takeover's batch of 1,000 adds takes a while: the announce waits for the
 * add (an NA from an address the kernel does not have yet fails, EINVAL,
 * and a GARP would draw traffic there too early).
 */
struct add_wait {
	uint32_t adds; /* queued or under way, results not told */
	bool announce;
	uint64_t announce_epoch;
};

struct l2_work;
void l2_work_push(struct l2 *x, enum cv_nl_op op, uint32_t lease_s, struct cv_backend_op *ops,
		  size_t n);
/* a's announce, kept until its add is done: false when no add is under way. */
bool l2_announce_after_add(struct l2 *x, const struct cv_backend_op *a);
/* Drop vip's queued add that is not under way (its release came), and an
 * announce waiting for an add. */
void l2_work_cancel_add(struct l2 *x, uint32_t vip, const struct cv_vip_conf *conf);
/* Run every queued call now (the config the work points to is going). */
void l2_work_drain(struct l2 *x);
/* Forget the queued work, unreported (the backend is going). */
void l2_work_drop(struct l2 *x);

/* The outcome of op on conf, to the executor (which makes it an event later). */
void l2_result(struct l2 *x, const struct cv_vip_conf *conf, enum cv_action_type op,
	       uint64_t epoch, int err, const char *detail);
/* An announce's outcome: to a one-shot run only (backend.h). */
void l2_announced(struct l2 *x, const struct cv_vip_conf *conf, uint64_t epoch, int err);
/* Long work: let the daemon's loop beat its reaper. */
void l2_progress(struct l2 *x);
void l2_log_vip(int level, const struct cv_vip_conf *c, const char *what);
/* ifname's link, looked up once per batch: 0 or -errno (-ENODEV: no such link). */
int l2_link(struct l2 *x, const char *ifname, struct cv_nl_link *ret, struct cv_nl_error *err);
/* Stop the announce burst of VIP vip (conf), if any (its address is going). */
void l2_cancel_burst(struct l2 *x, uint32_t vip, const struct cv_vip_conf *conf);
void l2_socks_init(struct socks *s);
void l2_socks_close(struct socks *s); /* and init again */
struct note *l2_note_find(struct l2 *x, const struct cv_vip_conf *conf);
void l2_note_remove(struct note *n);
struct note *l2_note_add(struct l2 *x, const struct cv_backend_op *a, enum note_kind kind,
			 int ifindex);
/*
 * Watch the IPv6 DAD of a's new address on ifindex; announce once it has
 * passed (a one-shot run: report the add then). false: not watched (no
 * memory), take it as passed.
 */
bool l2_dad_start(struct l2 *x, const struct cv_backend_op *a, int ifindex);
/* Announce a now, or once its DAD has passed; never the admin's address. */
void l2_announce_when_ready(struct l2 *x, const struct cv_backend_op *a);
void l2_switch_config(struct l2 *x, const struct cv_config *next);
bool l2_on_addr(struct l2 *x, const struct cv_nl_addr *a, bool gone);
void l2_recheck(struct l2 *x);
bool l2_link_up(struct l2 *x, const char *ifname);
bool l2_own_mac(struct l2 *x, int ifindex, const struct cv_mac *mac);
