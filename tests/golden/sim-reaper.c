/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reaper (design.md rule 4, agent/reaper.c): it watches its daemon —
 * dead, or silent (frozen, or blocked in a corosync call) for longer than
 * reaper-timeout, or silent at its lease's end (the end it told after its
 * last step) + LEASE_SLACK_MS — kills it, waits for its end (a call under way in the
 * kernel, an address operation, finishes first: addr-latency), removes
 * every address of ours and multicasts RELEASED, then lingers a moment to
 * flush that multicast (daemon-queue: what corosync refused until then is
 * lost) and exits. A daemon that has not ended by min(3 s, kernel_lease/2)
 * is stuck: the reaper removes what it can then, again at its end, and
 * says RELEASED only at the end. Removals that
 * fail (addr-fail ... del) are tried again, pass after pass (sim-addr.c);
 * an address still there after three passes means no RELEASED: peers wait
 * for the kernel lease.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv-macros.h"
#include "sim-int.h"

#define LINGER_MS	500  /* agent/reaper.c: sweep(), then the loop stops */
#define END_DEADLINE_MS 3000 /* agent/reaper.c: END_DEADLINE_MS, at most kernel_lease/2 */
#define LEASE_SLACK_MS	10   /* agent/reaper.c */

/* A new reaper beside a starting daemon (one that still lingers goes first). */
void
reaper_new(struct sim *s, struct node *n)
{
	if (n->r.state != PROC_DEAD && n->r.phase == RP_LINGER)
		reaper_exit(s, n, CV_LEAVE_PROCDOWN);
	if (n->r.state != PROC_DEAD || !s->o.reapers)
		return;
	free(n->r.rel);
	n->r = (struct reaper){ .state = PROC_RUNNING,
				.phase = RP_WATCH,
				.pid = (uint32_t)s->next_pid++,
				.gen = n->r.gen + 1 };
}

void
reaper_exit(struct sim *s, struct node *n, enum cv_leave_reason why)
{
	if (n->r.state == PROC_DEAD)
		return;
	if (s->o.daemon_queue)
		net_purge(n, n->r.pid);
	n->r.state = PROC_DEAD;
	n->r.gen++;
	if (!n->crashed && n->cs != CS_DOWN)
		net_leave(s, n, n->r.pid, why);
}

/* What the reaper will say the daemon held: every VIP it was not idle for. */
void
reaper_capture(struct node *n)
{
	const struct cv_engine *e = n->d.engine;
	size_t nv = e ? cv_engine_n_vips(e) : 0;

	free(n->r.rel);
	n->r.rel = sim_xcalloc(nv, sizeof(*n->r.rel));
	n->r.n_rel = 0;
	for (size_t i = 0; i < nv; i++) {
		struct cv_proto_vip *v = &n->r.rel[n->r.n_rel];

		if (cv_engine_vip_state(e, i) == CV_VIP_IDLE)
			continue;
		snprintf(v->name, sizeof(v->name), "%s", n->d.cfg->vips[i].head.name);
		v->epoch = cv_engine_vip_epoch(e, i);
		n->r.n_rel++;
	}
}

static void
wake(struct sim *s, struct node *n, uint64_t at)
{
	sim_push(s, (struct event){ .at = at, .kind = EV_REAPER, .node = n->id, .gen = n->r.gen });
}

/* The daemon has been silent since: frozen, or blocked in a call; SIM_NEVER if it speaks. */
static uint64_t
silent_since(const struct daemon *d)
{
	uint64_t t = d->blocked ? d->blocked_at : SIM_NEVER;

	if (d->state == PROC_FROZEN && d->frozen_at < t)
		t = d->frozen_at;
	return d->state == PROC_DEAD ? SIM_NEVER : t;
}

/*
 * When the reaper kills its silent daemon: reaper-timeout after it fell
 * silent, or at the lease end it told before + the slack, if it fell silent
 * before that end (agent/reaper.c: lease_check_at; a daemon that ran to
 * its lease's end let go then, or was given a new one); SIM_NEVER while it
 * speaks.
 */
uint64_t
reaper_kill_at(const struct sim *s, const struct node *n)
{
	uint64_t since = silent_since(&n->d), at;

	if (since == SIM_NEVER)
		return SIM_NEVER;
	at = since + s->o.reaper_timeout_ms;
	if (n->r.lease_end && since < n->r.lease_end && n->r.lease_end + LEASE_SLACK_MS < at)
		at = n->r.lease_end + LEASE_SLACK_MS;
	return at;
}

/* Check on the daemon once it has been silent for too long (a freeze, a blocking call). */
void
reaper_watch(struct sim *s, struct node *n, uint64_t since)
{
	if (n->r.state == PROC_RUNNING && n->r.phase == RP_WATCH)
		wake(s, n, CV_MIN(since + s->o.reaper_timeout_ms, reaper_kill_at(s, n)));
}

static void
say_released(struct sim *s, struct node *n)
{
	struct cv_proto_msg m = { .type = CV_PROTO_TYPE_RELEASED };
	size_t start = 0;

	m.released.for_nodeid = n->id;
	m.released.ring = n->ring ? n->ring->id : (struct cv_ring_id){};
	do {
		size_t fit = cv_proto_released_fit(n->r.rel, n->r.n_rel, start);
		struct item *it;

		m.released.vips = n->r.rel + start;
		m.released.n_vips = fit;
		check_released(s, n, n->r.pid, &m);
		it = item_msg(n->id, n->r.pid, &m);
		if (it)
			net_send(s, n, it);
		else
			sim_fail(s, "n%u: the reaper's RELEASED does not encode", n->id);
		start += fit;
	} while (start < n->r.n_rel);
	sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_REAPER_RELEASED });
}

/* The daemon has ended (or is stuck): remove our addresses, say RELEASED if that all worked. */
static void
sweep(struct sim *s, struct node *n)
{
	size_t had = n->n_addrs;
	bool ok = addr_sweep(s, n);

	sim_trace(s, "n%u reaper %u: removes %zu addresses%s, RELEASED %zu VIPs%s", n->id,
		  n->r.pid, had, ok ? "" : " (some fail)", n->r.n_rel,
		  ok ? "" : ": not said");
	if (ok)
		say_released(s, n);
	else
		sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_SWEEP_FAILED });
	s->last_change = s->now;
	proc_schedule_restart(s, n);
	if (!s->o.daemon_queue) {
		reaper_exit(s, n, CV_LEAVE_PROCDOWN);
		return;
	}
	n->r.phase = RP_LINGER;
	n->r.due = s->now + LINGER_MS;
	wake(s, n, n->r.due);
}

/* The daemon is stuck in its address calls: remove what is there now, again at its end. */
static void
sweep_stuck(struct sim *s, struct node *n)
{
	size_t had = n->n_addrs;

	addr_sweep(s, n);
	n->r.due = addr_ops_end(n);
	sim_trace(s, "n%u reaper %u: daemon stuck, removes %zu addresses, again at %llu", n->id,
		  n->r.pid, had, (unsigned long long)n->r.due);
	wake(s, n, n->r.due);
}

static uint64_t
end_deadline(const struct node *n)
{
	const struct cv_config *c = n->d.cfg ? n->d.cfg : n->cfg;
	uint64_t half = c ? c->cluster.kernel_lease_ms / 2 : END_DEADLINE_MS;

	return half < END_DEADLINE_MS ? half : END_DEADLINE_MS;
}

/* Kill the daemon for good and wait for its end: its address operations under way finish. */
static void
reap(struct sim *s, struct node *n)
{
	uint64_t end = addr_ops_end(n), deadline = s->now + end_deadline(n);

	sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_REAPER_KILL });
	proc_daemon_gone(s, n, GONE_REAPED);
	n->r.phase = RP_WAIT_END;
	n->r.due = end <= s->now ? s->now : end <= deadline ? end : deadline;
	sim_trace(s, "n%u reaper %u: daemon killed, sweeps at %llu", n->id, n->r.pid,
		  (unsigned long long)n->r.due);
	if (n->r.due == s->now)
		sweep(s, n);
	else
		wake(s, n, n->r.due);
}

void
reaper_check(struct sim *s, struct node *n)
{
	struct reaper *r = &n->r;
	uint64_t since = silent_since(&n->d);

	if (r->state != PROC_RUNNING)
		return;
	if (r->phase == RP_WAIT_END && s->now >= r->due && n->n_ops)
		sweep_stuck(s, n);
	else if (r->phase == RP_WAIT_END && s->now >= r->due)
		sweep(s, n);
	else if (r->phase == RP_LINGER && s->now >= r->due)
		reaper_exit(s, n, CV_LEAVE_PROCDOWN);
	else if (r->phase != RP_WATCH)
		return;
	else if (n->d.state == PROC_DEAD || s->now >= reaper_kill_at(s, n))
		reap(s, n);
	else if (since != SIM_NEVER)
		reaper_watch(s, n, since);
}
