/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The model of corosync, as design.md "What corosync gives and does not
 * give" describes it. The rings (sim-ring.c):
 *  - a component is a maximal set of mutually reachable nodes whose corosync
 *    runs; when a member is lost every ring involved stalls at once (nothing
 *    is delivered), and the rings form token + consensus after the fault, or
 *    the ring goes on if the member is back before the token timeout; when
 *    members are only added a new ring forms consensus later; each node gets
 *    its confchg with its own jitter.
 * CPG (here):
 *  - sends are held while a ring forms and for sync_ms after (TRY_AGAIN),
 *    then go out in one total order per ring; what was in flight when the
 *    ring stopped goes out again in the sender's next ring (totem delivers
 *    what it had queued after the confchg);
 *  - the CPG group of a ring is its members' running daemons and reapers;
 *    joins and leaves are ordered with the messages; a daemon connecting
 *    to a frozen corosync is stuck in the call until the thaw, and joins
 *    then (connect_wait);
 *  - a refused send waits in its process (daemon-queue, as quorum/cpg.c
 *    queues on TRY_AGAIN) and dies with it; once corosync took it (it went
 *    in flight), it outlives its sender;
 *  - what corosync delivers to a daemon (messages, group changes, totem and
 *    quorum notifications) may reach it late (skew), in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-int.h"

/* ---- items ---- */

void
item_free(struct item *it)
{
	if (it) {
		free(it->buf);
		free(it);
	}
}

/* Encode m; NULL if it does not encode (an engine bug the caller reports). */
struct item *
item_msg(uint32_t nodeid, uint32_t pid, const struct cv_proto_msg *m)
{
	static uint8_t buf[CV_PROTO_MAX_MSG]; /* test code: one sim at a time */
	struct item *it;
	size_t len;

	if (cv_proto_encode(m, buf, sizeof(buf), &len) < 0)
		return NULL;
	it = sim_xcalloc(1, sizeof(*it));
	it->kind = IT_MSG;
	it->nodeid = nodeid;
	it->pid = pid;
	it->buf = sim_xcalloc(len, 1);
	memcpy(it->buf, buf, len);
	it->len = len;
	return it;
}

static struct item *
item_group(enum item_kind kind, uint32_t nodeid, uint32_t pid, enum cv_leave_reason why)
{
	struct item *it = sim_xcalloc(1, sizeof(*it));

	it->kind = kind;
	it->nodeid = nodeid;
	it->pid = pid;
	it->reason = why;
	return it;
}

void
net_enqueue(struct queue *q, struct item *it)
{
	it->next = NULL;
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
}

struct item *
net_dequeue(struct queue *q)
{
	struct item *it = q->head;

	if (it) {
		q->head = it->next;
		if (!q->head)
			q->tail = NULL;
	}
	return it;
}

void
net_queue_clear(struct queue *q)
{
	struct item *it;

	while ((it = net_dequeue(q)))
		item_free(it);
}

/* ---- group membership ---- */

int
net_member_index(const struct ring *r, uint32_t pid)
{
	for (size_t i = 0; i < r->n_members; i++)
		if (r->members[i].pid == pid)
			return (int)i;
	return -1;
}

void
net_member_add(struct ring *r, uint32_t nodeid, uint32_t pid)
{
	if (net_member_index(r, pid) >= 0)
		return;
	r->members = sim_grow(r->members, &r->cap_members, r->n_members + 1, sizeof(*r->members));
	r->members[r->n_members++] = (struct cv_member){ .nodeid = nodeid, .pid = pid };
}

static void
member_del(struct ring *r, uint32_t pid)
{
	int i = net_member_index(r, pid);

	if (i >= 0)
		memmove(&r->members[i], &r->members[i + 1],
			(r->n_members - (size_t)i - 1) * sizeof(*r->members));
	r->n_members -= i >= 0;
}

static enum cv_leave_reason
fate(const struct sim *s, uint32_t pid)
{
	for (size_t i = s->n_fates; i-- > 0;)
		if (s->fates[i].pid == pid)
			return s->fates[i].reason;
	return CV_LEAVE_PROCDOWN;
}

static bool
in_list(const struct cv_member *v, size_t n, uint32_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].pid == pid)
			return true;
	return false;
}

static bool
daemon_member(const struct node *n, const struct ring *r)
{
	return n->d.state != PROC_DEAD && n->d.connected && n->ring == r && n->cs == CS_UP &&
	       net_member_index(r, n->d.pid) >= 0;
}

/* Did pid's node restart its corosync since this daemon's view? Then pid is gone. */
static bool
stale(const struct sim *s, const struct daemon *d, const struct cv_member *m)
{
	return s->nodes[m->nodeid].inc != d->seen_inc[m->nodeid];
}

/*
 * The GROUP event a daemon gets: the ring's members, and what changed since
 * its last view. A fresh connection sees its own node's processes join. The
 * processes of a node whose corosync restarted in between left (NODEDOWN),
 * even if the node is back, and what it runs now joined (NODEUP).
 */
void
net_feed_group(struct sim *s, struct node *n, const struct ring *r, const struct cv_member *extra,
	       size_t n_extra)
{
	struct daemon *d = &n->d;
	size_t nm = r->n_members + n_extra, nl = 0, nj = 0;
	struct inev *ev = sim_inev_new(CV_EV_GROUP);
	bool fresh = d->n_view == 0;

	ev->gm = sim_xcalloc(nm, sizeof(*ev->gm));
	ev->gl = sim_xcalloc(d->n_view, sizeof(*ev->gl));
	ev->gj = sim_xcalloc(nm, sizeof(*ev->gj));
	if (r->n_members)
		memcpy(ev->gm, r->members, r->n_members * sizeof(*ev->gm));
	if (n_extra)
		memcpy(ev->gm + r->n_members, extra, n_extra * sizeof(*ev->gm));
	for (size_t i = 0; i < d->n_view; i++) {
		const struct cv_member *m = &d->view[i];
		bool gone = stale(s, d, m) || !(r->mask & BIT(m->nodeid));

		if (!gone && in_list(ev->gm, nm, m->pid))
			continue;
		ev->gl[nl] = *m;
		ev->gl[nl++].reason = gone ? CV_LEAVE_NODEDOWN : fate(s, m->pid);
	}
	for (size_t i = 0; i < nm; i++) {
		const struct cv_member *m = &ev->gm[i];
		bool back = !fresh && stale(s, d, m);

		if (fresh)
			d->saw_join_at[m->nodeid] = s->now; /* it hears from here */

		if (fresh ? m->nodeid != n->id : in_list(d->view, d->n_view, m->pid) && !back)
			continue;
		ev->gj[nj] = *m;
		d->saw_join_at[m->nodeid] = s->now;
		ev->gj[nj++].reason =
		    (d->view_mask & BIT(m->nodeid)) && !back ? CV_LEAVE_JOIN : CV_LEAVE_NODEUP;
	}
	free(d->view);
	d->view = sim_xcalloc(nm, sizeof(*d->view));
	if (nm)
		memcpy(d->view, ev->gm, nm * sizeof(*d->view));
	d->n_view = nm;
	d->view_mask = r->mask;
	for (uint32_t j = 1; j <= s->o.n_nodes; j++)
		d->seen_inc[j] = s->nodes[j].inc;
	if (nl == 0 && nj == 0 && !fresh) {
		sim_inev_free(ev);
		return;
	}
	ev->ev.group = (typeof(ev->ev.group)){ .members = ev->gm,
					       .n_members = nm,
					       .left = ev->gl,
					       .n_left = nl,
					       .joined = ev->gj,
					       .n_joined = nj };
	net_feed_cs(s, n, ev);
}

static void
group_notify(struct sim *s, struct ring *r)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if ((r->mask & BIT(i)) && daemon_member(&s->nodes[i], r))
			net_feed_group(s, &s->nodes[i], r, NULL, 0);
}

/* ---- totem and quorum events ---- */

static uint32_t *
mask_ids(uint64_t mask, size_t *ret_n)
{
	uint32_t *ids = sim_xcalloc(64, sizeof(*ids));
	size_t n = 0;

	for (uint32_t i = 1; i <= 64; i++)
		if (mask & BIT(i))
			ids[n++] = i;
	*ret_n = n;
	return ids;
}

struct inev *
net_totem_ev(const struct ring *r)
{
	struct inev *ev = sim_inev_new(CV_EV_TOTEM);

	ev->ids = mask_ids(r->mask, &ev->ev.totem.n_members);
	ev->ev.totem.members = ev->ids;
	ev->ev.totem.ring = r->id;
	return ev;
}

/*
 * What corosync delivers to n's daemon: now, or skew ms late (its socket
 * not read yet: a busy or starved daemon), never out of order. The loss of
 * the connection (CONN_LOST) is one of them: the daemon reads what was in
 * its socket before it sees the error, and nothing of that connection
 * after. A delivery over a connection the daemon no longer has is dropped.
 */
void
net_feed_cs(struct sim *s, struct node *n, struct inev *ev)
{
	struct daemon *d = &n->d;
	uint64_t at;

	if (!n->skew_hi && !d->late_head) {
		sim_feed(s, n, ev);
		return;
	}
	at = s->now + (n->skew_hi ? sim_rand(s, n->skew_lo, n->skew_hi) : 0);
	d->late_last = at = at > d->late_last ? at : d->late_last;
	ev->at = at;
	ev->conn = d->conn;
	ev->next = NULL;
	if (d->late_tail)
		d->late_tail->next = ev;
	else
		d->late_head = ev;
	d->late_tail = ev;
	sim_push(s, (struct event){ .at = at, .kind = EV_LATE, .node = n->id });
}

void
net_late_due(struct sim *s, struct node *n)
{
	struct daemon *d = &n->d;

	while (d->late_head && d->late_head->at <= s->now) {
		struct inev *ev = d->late_head;

		d->late_head = ev->next;
		if (!d->late_head)
			d->late_tail = NULL;
		/* (its loss still comes, before the new connection's first) */
		if ((ev->conn == d->conn || ev->ev.type == CV_EV_CONN_LOST) &&
		    d->state != PROC_DEAD)
			sim_feed(s, n, ev);
		else
			sim_inev_free(ev);
	}
}

void
net_late_clear(struct daemon *d)
{
	for (struct inev *ev = d->late_head, *next; ev; ev = next) {
		next = ev->next;
		sim_inev_free(ev);
	}
	d->late_head = d->late_tail = NULL;
}

/* ---- sending and delivering ---- */

bool
net_operational(const struct node *n)
{
	return n->cs == CS_UP && !n->crashed && n->ring && n->ring == n->pending &&
	       n->ring->synced && !n->ring->stopped;
}

void
net_to_flight(struct sim *s, struct ring *r, struct item *it)
{
	it->at = s->now + s->o.latency_ms;
	it->accepted = true;
	net_enqueue(&r->flight, it);
	sim_push(s, (struct event){ .at = it->at, .kind = EV_DELIVER, .ring = r });
}

void
net_send(struct sim *s, struct node *n, struct item *it)
{
	if (n->crashed || n->cs == CS_DOWN)
		item_free(it);
	else if (net_operational(n))
		net_to_flight(s, n->ring, it);
	else
		net_enqueue(&n->outbox, it);
}

static void
deliver_msg(struct sim *s, struct ring *r, const struct item *it)
{
	for (size_t i = 0; i < r->n_members; i++) {
		struct node *n = &s->nodes[r->members[i].nodeid];
		struct inev *ev;
		int e;

		if (r->members[i].pid != n->d.pid || !daemon_member(n, r))
			continue;
		ev = sim_inev_new(CV_EV_MESSAGE);
		e = cv_proto_decode(it->buf, it->len, &ev->msg);
		if (e < 0) {
			sim_fail(s, "a message from n%u does not decode: %d", it->nodeid, e);
			sim_inev_free(ev);
			return;
		}
		ev->ev.message.nodeid = it->nodeid;
		ev->ev.message.pid = it->pid;
		ev->ev.message.msg = &ev->msg;
		net_feed_cs(s, n, ev);
	}
}

static bool
proc_alive(const struct node *n, uint32_t pid)
{
	return (n->d.pid == pid && n->d.state != PROC_DEAD && n->d.connected) ||
	       (n->r.pid == pid && n->r.state != PROC_DEAD);
}

void
net_deliver(struct sim *s, struct ring *r)
{
	struct item *it = r->flight.head;

	if (!it || it->at > s->now || r->stopped || r->stalled)
		return;
	net_dequeue(&r->flight);
	switch (it->kind) {
	case IT_MSG:
		deliver_msg(s, r, it);
		break;
	case IT_JOIN: {
		struct node *n = &s->nodes[it->nodeid];
		size_t before = r->n_members;

		if (proc_alive(n, it->pid))
			net_member_add(r, it->nodeid, it->pid);
		if (it->pid2 && proc_alive(n, it->pid2))
			net_member_add(r, it->nodeid, it->pid2);
		if (r->n_members != before)
			group_notify(s, r);
		break;
	}
	case IT_LEAVE:
		if (net_member_index(r, it->pid) >= 0) {
			member_del(r, it->pid);
			group_notify(s, r);
		}
		break;
	}
	item_free(it);
}

/* daemon-queue: what pid's process had not got corosync to take dies with it. */
void
net_purge(struct node *n, uint32_t pid)
{
	struct queue keep = {};
	struct item *it;

	while ((it = net_dequeue(&n->outbox))) {
		if (it->kind == IT_MSG && it->pid == pid && !it->accepted)
			item_free(it);
		else
			net_enqueue(&keep, it);
	}
	n->outbox = keep;
}

/* A process leaves the group (killed, stopped, disconnected). */
void
net_leave(struct sim *s, struct node *n, uint32_t pid, enum cv_leave_reason why)
{
	s->fates = sim_grow(s->fates, &s->cap_fates, s->n_fates + 1, sizeof(*s->fates));
	s->fates[s->n_fates++] = (struct fate){ .pid = pid, .reason = why };
	net_send(s, n, item_group(IT_LEAVE, n->id, pid, why));
}

void
net_reaper_state(struct sim *s, struct node *n)
{
	const struct cv_config *c = n->d.cfg ? n->d.cfg : n->cfg;
	struct cv_proto_msg m = {
		.type = CV_PROTO_TYPE_STATE,
		.state = { .max_version = CV_PROTO_VERSION,
			   .role = CV_PROTO_ROLE_REAPER,
			   .nodeid = n->id,
			   .peer_pid = n->d.state != PROC_DEAD ? n->d.pid : 0,
			   .ring = n->ring->id,
			   .digest = c ? cv_config_digest(c) : 0,
			   .chunk_count = 1 },
	};

	net_send(s, n, item_msg(n->id, n->r.pid, &m));
}

/*
 * The daemon (and its reaper, if new) join the group of n's formed ring now:
 * the JOIN goes out in the ring's order; the daemon's first GROUP, TOTEM and
 * QUORUM follow (join_feed), after the JOINs of daemons starting with it.
 */
static void
join_send(struct sim *s, struct node *n)
{
	struct ring *r = n->ring;
	struct item *it;

	n->d.join_extra[0] = n->d.join_extra[1] = (struct cv_member){};
	n->d.n_join_extra = 0;
	if (net_member_index(r, n->d.pid) < 0)
		n->d.join_extra[n->d.n_join_extra++] =
		    (struct cv_member){ .nodeid = n->id, .pid = n->d.pid };
	if (n->r.state != PROC_DEAD && net_member_index(r, n->r.pid) < 0)
		n->d.join_extra[n->d.n_join_extra++] =
		    (struct cv_member){ .nodeid = n->id, .pid = n->r.pid };
	n->d.join_feed = true;
	if (!n->d.n_join_extra)
		return;
	it = item_group(IT_JOIN, n->id, n->d.join_extra[0].pid, CV_LEAVE_JOIN);
	it->pid2 = n->d.n_join_extra == 2 ? n->d.join_extra[1].pid : 0;
	net_send(s, n, it);
	if (n->d.n_join_extra == 2 && s->o.reaper_state)
		net_reaper_state(s, n); /* a new reaper introduces itself */
}

void
net_connect_feed(struct sim *s, struct node *n)
{
	struct ring *r = n->ring;

	if (!n->d.join_feed || n->d.state == PROC_DEAD || !r)
		return;
	n->d.join_feed = false;
	n->d.n_view = 0;
	net_feed_group(s, n, r, n->d.join_extra, n->d.n_join_extra);
	net_feed_cs(s, n, net_totem_ev(r));
	net_feed_cs(s, n, quorum_ev(s, r));
}

void
net_join_now(struct sim *s, struct node *n)
{
	join_send(s, n);
	net_connect_feed(s, n);
}

/*
 * A frozen corosync does not answer a connect: the socket connect succeeds
 * (the listening socket's backlog takes it), but libqb then waits for the
 * authentication reply without a timeout (qb_ipcc_us_setup_connect), and
 * cpg_join likewise, so agent/daemon.c's connect_corosync neither fails
 * nor retries: the daemon is stuck in the call, handling nothing, until it
 * returns cs-call ms after the thaw (proc_unblock). It joins then, in the
 * ring current by then (net_connect_done). Not a member meanwhile:
 * a ring formed without it does not take it in.
 */
static void
connect_wait(struct sim *s, struct node *n)
{
	n->d.connecting = true;
	n->d.blocked = true;
	n->d.blocked_at = s->now;
	sim_trace(s, "n%u daemon blocks in its connect (corosync frozen)", n->id);
	sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_BLOCKED });
	reaper_watch(s, n, s->now);
}

/*
 * n's daemon connects (start, reconnect). With a formed ring whose confchg
 * it got, it joins now (net_connect_feed gives it its first events); while
 * a ring forms, the formation takes it in (or, formed but its confchg not
 * yet delivered here, it joins at that confchg). A frozen corosync holds
 * the call until its thaw (connect_wait).
 */
void
net_connect(struct sim *s, struct node *n)
{
	if (n->d.connecting)
		return; /* still in the call */
	if (n->cs == CS_FROZEN && !n->crashed) {
		connect_wait(s, n);
		return;
	}
	n->d.conn++;
	n->d.connected = true;
	n->d.join_feed = false;
	free(n->d.view);
	n->d.view = NULL;
	n->d.n_view = 0;
	if (n->cs != CS_UP || n->crashed || !n->pending || !n->pending->formed)
		return;
	if (n->ring == n->pending)
		join_send(s, n);
}

/*
 * The connect a frozen corosync held (connect_wait) returns: the daemon
 * joins the group of its ring now. If corosync died meanwhile it failed;
 * the daemon connects again once corosync is back (sim-proc.c cs_start).
 */
void
net_connect_done(struct sim *s, struct node *n)
{
	n->d.connecting = false;
	sim_trace(s, "n%u daemon's connect %s", n->id, n->cs == CS_DOWN ? "fails" : "returns");
	if (n->cs == CS_DOWN)
		return;
	net_connect(s, n);
	net_connect_feed(s, n);
}
