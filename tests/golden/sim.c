/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The simulator's event loop, the daemons' inboxes and the execution of the
 * engine's actions. One binary heap of timed events ordered by (time, class,
 * insertion): at equal times things happen in the order they were caused;
 * the expectations of a time (class -1) come first and see the state as the
 * previous millisecond left it, and the invariants are checked at the end of
 * every millisecond in which something happened.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "sim-int.h"

#define MAX_STEPS_PER_MS 20000 /* a daemon stepping more often than this is livelocked */
#define MAX_VIOLATIONS	 50

void *
sim_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p) {
		fputs("sim: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *
sim_xstrdup(const char *str)
{
	char *p = sim_xcalloc(1, strlen(str) + 1);

	memcpy(p, str, strlen(str) + 1);
	return p;
}

/* Grow *p (capacity *cap elements of size) to hold need elements. */
void *
sim_grow(void *p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 8;

	if (need <= *cap)
		return p;
	while (c < need)
		c *= 2;
	p = realloc(p, c * size);
	if (!p) {
		fputs("sim: out of memory\n", stderr);
		abort();
	}
	memset((char *)p + *cap * size, 0, (c - *cap) * size);
	*cap = c;
	return p;
}

/* splitmix64: small, good enough, and the same everywhere. */
uint64_t
sim_rand(struct sim *s, uint64_t lo, uint64_t hi)
{
	uint64_t z = (s->rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	return hi <= lo ? lo : lo + z % (hi - lo + 1);
}

void
sim_trace(const struct sim *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->o.trace)
		return;
	fprintf(stderr, "[%8llu] ", (unsigned long long)s->now);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
sim_fail(struct sim *s, const char *fmt, ...)
{
	char buf[512];
	int n = snprintf(buf, sizeof(buf), "t=%llu: ", (unsigned long long)s->now);
	va_list ap;

	if (s->n_viol >= MAX_VIOLATIONS)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	s->viol = realloc(s->viol, (s->n_viol + 1) * sizeof(*s->viol));
	if (!s->viol)
		abort();
	s->viol[s->n_viol++] = strdup(buf);
	sim_trace(s, "VIOLATION %s", buf);
}

/* ---- the event heap ---- */

static bool
before(const struct event *a, const struct event *b)
{
	if (a->at != b->at)
		return a->at < b->at;
	if (a->cls != b->cls)
		return a->cls < b->cls;
	return a->seq < b->seq;
}

void
sim_push(struct sim *s, struct event ev)
{
	size_t i;

	if (ev.at < s->now)
		ev.at = s->now;
	ev.seq = s->seq++;
	s->heap = sim_grow(s->heap, &s->cap_heap, s->n_heap + 1, sizeof(*s->heap));
	i = s->n_heap++;
	while (i > 0 && before(&ev, &s->heap[(i - 1) / 2])) {
		s->heap[i] = s->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	s->heap[i] = ev;
}

static struct event
pop(struct sim *s)
{
	struct event top = s->heap[0], last = s->heap[--s->n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= s->n_heap)
			break;
		if (c + 1 < s->n_heap && before(&s->heap[c + 1], &s->heap[c]))
			c++;
		if (!before(&s->heap[c], &last))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	if (s->n_heap)
		s->heap[i] = last;
	return top;
}

/* ---- log and names ---- */

void
sim_log_add(struct sim *s, struct sim_log_entry e)
{
	e.at = s->now;
	s->log = sim_grow(s->log, &s->cap_log, s->n_log + 1, sizeof(*s->log));
	s->log[s->n_log++] = e;
}

/* VIP names in the log point into the registry, which lives as long as the sim. */
const char *
sim_intern(struct sim *s, const struct cv_vip_conf *vc)
{
	char buf[SIM_KEY_LEN];
	uint32_t id =
	    check_reg(s, vc->head.name, sim_vip_key(vc, buf, sizeof(buf))); /* may move reg */

	return s->reg[id].name;
}

/* ---- inbox events ---- */

struct inev *
sim_inev_new(enum cv_event_type type)
{
	struct inev *ev = sim_xcalloc(1, sizeof(*ev));

	ev->ev.type = type;
	return ev;
}

void
sim_inev_free(struct inev *ev)
{
	if (!ev)
		return;
	free(ev->ids);
	free(ev->gm);
	free(ev->gl);
	free(ev->gj);
	free(ev->str);
	free((char *)ev->more.check);
	cv_proto_msg_done(&ev->msg);
	free(ev);
}

/* ---- executing actions ---- */

const char *
sim_vip_key(const struct cv_vip_conf *vc, char *buf, size_t len)
{
	return cv_vip_format_addrs(vc, buf, len);
}

static void
send_msg(struct sim *s, struct node *n, const struct cv_proto_msg *m)
{
	struct item *it;

	if (!n->d.connected || n->cs == CS_DOWN)
		return; /* cpg_mcast_joined fails: nothing is sent */
	check_released(s, n, n->d.pid, m);
	it = item_msg(n->id, n->d.pid, m);
	if (!it) {
		sim_fail(s, "n%u sent a message that does not encode (type %d)", n->id, m->type);
		return;
	}
	net_send(s, n, it);
}

static void
log_action(struct sim *s, struct node *n, const struct cv_action *a)
{
	struct sim_log_entry e = { .node = n->id, .kind = SIM_LOG_ACTION, .action = a->type };

	switch (a->type) {
	case CV_ACT_ARM_TIMER:
	case CV_ACT_CANCEL_TIMER:
		return; /* too many to keep, and no scenario asks */
	case CV_ACT_SEND:
		e.msg = a->msg.type;
		break;
	case CV_ACT_NOTICE:
		e.notice = a->notice;
		e.notice_node = a->node;
		e.reason = a->reason;
		break;
	default:
		e.reason = a->reason;
		e.from = a->from;
		e.to = a->to;
		break;
	}
	if (a->conf && a->type != CV_ACT_NOTICE && a->type != CV_ACT_SEND)
		e.vip = sim_intern(s, a->conf);
	sim_log_add(s, e);
}

static void
trace_action(const struct sim *s, const struct node *n, const struct cv_action *a)
{
	const char *vip = a->conf && a->type != CV_ACT_SEND ? a->conf->head.name : "";

	if (!s->o.trace)
		return;
	switch (a->type) {
	case CV_ACT_SEND:
		sim_trace(s, "n%u  SEND %s", n->id, cv_proto_type_to_string(a->msg.type));
		break;
	case CV_ACT_ARM_TIMER:
		sim_trace(s, "n%u  ARM_TIMER %llu", n->id, (unsigned long long)a->at_ms);
		break;
	case CV_ACT_TRANSITION:
		sim_trace(s, "n%u  TRANSITION %s %s->%s (%s)", n->id, vip,
			  cv_vip_state_to_string(a->from), cv_vip_state_to_string(a->to),
			  cv_reason_to_string(a->reason));
		break;
	case CV_ACT_NOTICE:
		sim_trace(s, "n%u  NOTICE %s node=%u %s", n->id, cv_notice_to_string(a->notice),
			  a->node, a->text ? a->text : "");
		break;
	case CV_ACT_ADDR_ADD:
	case CV_ACT_ADDR_DEL: {
		char buf[SIM_KEY_LEN];

		sim_trace(s, "n%u  %s %s %s epoch %llu", n->id, cv_action_type_to_string(a->type),
			  vip, sim_vip_key(a->conf, buf, sizeof(buf)), (unsigned long long)a->epoch);
		break;
	}
	default:
		sim_trace(s, "n%u  %s %s", n->id, cv_action_type_to_string(a->type), vip);
	}
}

/* Returns true when the daemon said STOPPED. */
static bool
exec_action(struct sim *s, struct node *n, const struct cv_action *a)
{
	trace_action(s, n, a);
	log_action(s, n, a);
	switch (a->type) {
	case CV_ACT_ADDR_ADD:
	case CV_ACT_ADDR_DEL:
		addr_op(s, n, a);
		break;
	case CV_ACT_RENEW:
		addr_renew(s, n);
		break;
	case CV_ACT_SEND:
		send_msg(s, n, &a->msg);
		break;
	case CV_ACT_ARM_TIMER:
		n->d.timer_gen++;
		sim_push(s, (struct event){ .at = a->at_ms,
					    .kind = EV_TIMER,
					    .node = n->id,
					    .gen = n->d.gen,
					    .gen2 = n->d.timer_gen });
		break;
	case CV_ACT_CANCEL_TIMER:
		n->d.timer_gen++;
		break;
	case CV_ACT_STOPPED:
		return true;
	default:
		break; /* ANNOUNCE, TRANSITION, NOTICE: logged */
	}
	return false;
}

static const char *
event_name(const struct cv_event *ev)
{
	static const char *const names[_CV_EVENT_TYPE_MAX] = {
		"TOTEM",   "QUORUM",	"GROUP",      "MESSAGE",       "TIMER",
		"TIMINGS", "HEALTH",	"ADMIN_MOVE", "ADMIN_STANDBY", "RELOAD",
		"STOP",	   "CONN_LOST", "ADDR_GONE",  "ACTION_RESULT", "LINK",
		"ACTION_RESULTS",
	};

	return (unsigned)ev->type < _CV_EVENT_TYPE_MAX ? names[ev->type] : "?";
}

static bool
livelocked(struct sim *s, struct node *n)
{
	if (n->d.steps_at != s->now) {
		n->d.steps_at = s->now;
		n->d.steps = 0;
	}
	if (++n->d.steps == MAX_STEPS_PER_MS) {
		sim_fail(s, "n%u: the engine stepped %d times in one ms (livelock)", n->id,
			 MAX_STEPS_PER_MS);
		proc_daemon_gone(s, n, GONE_KILLED);
		return true;
	}
	return false;
}

/*
 * kill-mid-state: the daemon dies after handing corosync the first chunks
 * of a multi-chunk STATE; the rest of the step's actions never happen.
 */
static bool
cut_mid_state(struct sim *s, struct node *n, const struct cv_action *a)
{
	const struct cv_proto_state *st = &a->msg.state;

	if (!n->kill_mid_state || a->type != CV_ACT_SEND || a->msg.type != CV_PROTO_TYPE_STATE ||
	    st->chunk_count <= n->kill_mid_state || st->chunk_index != n->kill_mid_state)
		return false;
	sim_trace(s, "n%u  killed after %u of %u STATE chunks", n->id, st->chunk_index,
		  st->chunk_count);
	sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_MID_STATE_KILL });
	n->kill_mid_state = 0;
	proc_daemon_gone(s, n, GONE_KILLED);
	return true;
}

/*
 * A STATE with RESEND starts an exchange at its delivery (rule 7), which
 * waits L for the STATE of a node whose daemon and reaper are frozen before
 * its SILENT goes on without it: the first such start after each freeze
 * (sim-check.c).
 */
static void
note_exchange(struct sim *s, struct node *n)
{
	for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
		const struct daemon *f = &s->nodes[i].d;

		if (f->state == PROC_FROZEN && n->d.asked_at[i] <= f->frozen_at)
			n->d.asked_at[i] = s->now;
	}
}

/*
 * A member's preempt delay ends at the delivery of its STATE that no longer
 * says PREEMPT_HOLD, and placement follows there (docs/safety.md, STATE):
 * its preferred VIPs come back to it by a handoff (rule 3), the address
 * unheld from the old holder's removal done to the RELEASED's delivery.
 * It comes preempt_delay (and the start-up waits) after the member's
 * return, and the removal may be slow: a change, liveness counts from it
 * (sim-check.c; prop-preempt-delay-slow-handoff).
 */
static void
note_preempt_end(struct sim *s, struct node *n, const struct inev *ev)
{
	uint32_t from = ev->ev.message.nodeid;
	bool hold = ev->msg.state.flags & CV_PROTO_STATE_PREEMPT_HOLD;

	if (n->d.heard_hold[from] && !hold && s->now > s->last_change)
		s->last_change = s->now;
	n->d.heard_hold[from] = hold;
}

/*
 * The daemon's executor hands results over in batches (CV_EV_ACTION_RESULTS):
 * what completed before its feedback job runs is one event, one engine step
 * (agent/executor.c feedback_job). Here a batch is the results waiting one
 * after the other in the daemon's queue (sim_drain chains them on ev->next):
 * those of the operations one step asked for with no latency, or that came
 * due at one time. One step of many releases says one RELEASED
 * (engine-msg.c open_released), as the daemon does.
 */
static int
step_results(struct sim *s, struct node *n, const struct inev *ev, struct cv_actions *acts)
{
	struct cv_action_result *v;
	size_t k = 0;
	int r;

	for (const struct inev *b = ev; b; b = b->next)
		k++;
	v = sim_xcalloc(k, sizeof(*v));
	k = 0;
	for (const struct inev *b = ev; b; b = b->next)
		v[k++] = b->ev.result;
	r = cv_engine_step(n->d.engine,
			   &(struct cv_event){ .type = CV_EV_ACTION_RESULTS,
					       .results = { .v = v, .n = k } },
			   s->now, acts);
	free(v);
	return r;
}

/* The engine refused our admin command (engine-ban.c origin_check, engine-msg.c on_command). */
static bool
refused(const struct cv_actions *acts)
{
	for (size_t i = 0; i < acts->n; i++)
		if (acts->v[i].type == CV_ACT_NOTICE && acts->v[i].notice == CV_NOTICE_MOVE_REFUSED)
			return true;
	return false;
}

/* ev: one event, or a chain of ACTION_RESULTs (one batch: step_results). */
static void
step(struct sim *s, struct node *n, struct inev *ev)
{
	struct cv_actions acts = {};
	bool stopped = false;
	int r;

	if (livelocked(s, n))
		return;
	if (ev->ev.type == CV_EV_MESSAGE)
		sim_trace(s, "n%u <- %s %s from n%u/%u", n->id, event_name(&ev->ev),
			  cv_proto_type_to_string(ev->msg.type), ev->ev.message.nodeid,
			  ev->ev.message.pid);
	if (ev->ev.type == CV_EV_MESSAGE && ev->ev.message.nodeid <= s->o.n_nodes &&
	    (ev->msg.type == CV_PROTO_TYPE_HEARTBEAT || ev->msg.type == CV_PROTO_TYPE_STATE)) {
		n->d.heard_at[ev->ev.message.nodeid] = s->now;
		if (ev->msg.type == CV_PROTO_TYPE_STATE &&
		    (ev->msg.state.flags & CV_PROTO_STATE_RESEND))
			note_exchange(s, n);
		if (ev->msg.type == CV_PROTO_TYPE_STATE)
			note_preempt_end(s, n, ev);
	} else if (ev->ev.type == CV_EV_ACTION_RESULT)
		for (const struct inev *b = ev; b; b = b->next)
			sim_trace(s, "n%u <- %s %s %s epoch %llu err %d", n->id, event_name(&b->ev),
				  cv_action_type_to_string(b->ev.result.op), b->ev.result.vip,
				  (unsigned long long)b->ev.result.epoch, b->ev.result.err);
	else if (ev->ev.type == CV_EV_QUORUM)
		sim_trace(s, "n%u <- %s ring {%u,%llu} %s", n->id, event_name(&ev->ev),
			  ev->ev.quorum.ring.nodeid, (unsigned long long)ev->ev.quorum.ring.seq,
			  ev->ev.quorum.quorate ? "quorate" : "not quorate");
	else if (ev->ev.type != CV_EV_TIMER)
		sim_trace(s, "n%u <- %s", n->id, event_name(&ev->ev));
	/* An admin's standby counts from when a daemon reads it (a frozen one
	 * reads it at its thaw): the model and liveness follow that. */
	if (ev->ev.type == CV_EV_ADMIN_STANDBY && ev->ev.standby.node <= s->o.n_nodes) {
		if (ev->ev.standby.node)
			s->nodes[ev->ev.standby.node].standby = ev->ev.standby.standby;
		else /* node 0: the whole cluster */
			s->maintenance = ev->ev.standby.standby;
		if (s->now > s->last_change)
			s->last_change = s->now;
	}
	if (ev->ev.type == CV_EV_ACTION_RESULT)
		r = step_results(s, n, ev, &acts);
	else
		r = cv_engine_step(n->d.engine, &ev->ev, s->now, &acts);
	if (r == 0 && ev->ev.type == CV_EV_RELOAD)
		n->d.cfg = ev->ev.reload.config; /* action indices follow the engine's config */
	if (r == 0 && ev->ev.type == CV_EV_RELOAD)
		n->d.n_add_failed = 0; /* a reload forgives a failed add */
	if (r < 0)
		sim_fail(s, "n%u: cv_engine_step(%s) failed: %s", n->id, event_name(&ev->ev),
			 strerror(-r));
	if (!cv_engine_counts_ok(n->d.engine))
		sim_fail(s, "n%u: after %s the engine's per-state counts are wrong", n->id,
			 event_name(&ev->ev));
	if (ev->ev.type == CV_EV_ADMIN_BAN || ev->ev.type == CV_EV_ADMIN_CLEAR)
		check_ban_read(s, n, &ev->ev, refused(&acts));
	if (ev->ev.type == CV_EV_MESSAGE && ev->msg.type == CV_PROTO_TYPE_CLEAR &&
	    !ev->msg.clear.ends && ev->ev.message.nodeid == n->id && ev->ev.message.pid == n->d.pid)
		check_clear_delivered(s, n, &ev->msg.clear, refused(&acts));
	for (size_t i = 0; i < acts.n && !cut_mid_state(s, n, &acts.v[i]); i++)
		stopped |= exec_action(s, n, &acts.v[i]);
	cv_actions_done(&acts);
	/* agent/daemon.c tells its reaper its lease's end after every step
	 * (one killed in its actions did not). */
	if (n->d.engine)
		n->r.lease_end = cv_engine_lease_end(n->d.engine);
	if (stopped) {
		check_stopped(s, n);
		proc_daemon_gone(s, n, GONE_STOPPED);
	}
}

/*
 * A QUORUM notification makes the daemon ask votequorum for the votes, a
 * TIMINGS one cmap for the timers: calls that wait for corosync's answer
 * (cs-call ms; forever while corosync is frozen). The daemon does nothing
 * else meanwhile: its timers wait, its reaper hears no heartbeat.
 */
static bool
blocks(struct sim *s, struct node *n, struct inev *ev)
{
	struct daemon *d = &n->d;

	if (d->blocked)
		return true;
	if (ev->answered || (ev->ev.type != CV_EV_QUORUM && ev->ev.type != CV_EV_TIMINGS))
		return false;
	if (n->cs != CS_FROZEN && s->o.cs_call_ms == 0) {
		ev->answered = true;
		return false;
	}
	d->blocked = true;
	d->blocked_at = s->now;
	sim_trace(s, "n%u daemon blocks in a corosync call", n->id);
	if (n->cs == CS_FROZEN)
		sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_BLOCKED });
	proc_unblock(s, n);
	reaper_watch(s, n, s->now);
	return true;
}

void
sim_drain(struct sim *s, struct node *n)
{
	struct daemon *d = &n->d;

	if (d->draining)
		return;
	d->draining = true;
	while (d->state == PROC_RUNNING && d->in_head && !blocks(s, n, d->in_head)) {
		struct inev *ev = d->in_head;

		struct inev **last = &ev->next;

		/* the results waiting behind it go in the same batch */
		if (ev->ev.type == CV_EV_ACTION_RESULT)
			while (*last && (*last)->ev.type == CV_EV_ACTION_RESULT)
				last = &(*last)->next;
		d->in_head = *last;
		*last = NULL;
		if (!d->in_head)
			d->in_tail = NULL;
		step(s, n, ev);
		while (ev) {
			struct inev *next = ev->next;

			sim_inev_free(ev);
			ev = next;
		}
	}
	d->draining = false;
}

/* Give ev to n's daemon: now if it runs, at SIGCONT if it is frozen. */
void
sim_feed(struct sim *s, struct node *n, struct inev *ev)
{
	struct daemon *d = &n->d;

	if (d->state == PROC_DEAD || !d->engine) {
		sim_inev_free(ev);
		return;
	}
	ev->next = NULL;
	if (d->in_tail)
		d->in_tail->next = ev;
	else
		d->in_head = ev;
	d->in_tail = ev;
	sim_drain(s, n);
}

/* ---- life cycle ---- */

void
sim_opts_default(struct sim_opts *o)
{
	*o = (struct sim_opts){
		.n_nodes = 3,
		.seed = 1,
		.token_ms = 300,
		.consensus_ms = 360,
		.latency_ms = 1,
		.jitter_ms = 15,
		.sync_ms = 20,
		.reaper_timeout_ms = 500,
		.restart_delay_ms = 1000,
		.reconnect_delay_ms = 1000,
		.bound_ms = 5000,
		.liveness = true,
		.reapers = true,
		.reaper_state = true,
		.supervise = true,
		.join_exclusion = true,
		.daemon_queue = true,
		.qdevice_move_ms = 2000,
	};
}

int
sim_new(const struct sim_opts *o, struct sim **ret)
{
	struct sim *s;

	if (o->n_nodes < 1 || o->n_nodes > SIM_MAX_NODES)
		return -EINVAL;
	s = sim_xcalloc(1, sizeof(*s));
	s->o = *o;
	s->rng = o->seed;
	s->next_pid = 1000;
	s->checked_at = SIM_NEVER;
	for (uint32_t i = 1; i <= o->n_nodes; i++) {
		struct node *n = &s->nodes[i];

		n->id = i;
		n->link = true;
		n->cs = CS_UP;
		n->crashed = (o->down_mask & BIT(i)) != 0;
		n->outside_since = SIM_NEVER;
		n->add_ms = o->add_ms;
		n->del_ms = o->del_ms;
		n->skew_lo = o->skew_lo[i];
		n->skew_hi = o->skew_hi[i];
	}
	*ret = s;
	return 0;
}

static void
free_node(struct node *n)
{
	for (struct inev *ev = n->d.in_head, *next; ev; ev = next) {
		next = ev->next;
		sim_inev_free(ev);
	}
	cv_engine_free(n->d.engine);
	net_late_clear(&n->d);
	free(n->d.view);
	for (struct item *it = n->outbox.head, *next; it; it = next) {
		next = it->next;
		item_free(it);
	}
	addr_free(n);
	free(n->r.rel);
	for (size_t i = 0; i < n->n_health; i++)
		free(n->health[i].check);
	free(n->health);
	for (size_t i = 0; i < n->n_links; i++)
		free(n->links[i].check);
	free(n->links);
}

struct sim *
sim_free(struct sim *s)
{
	if (!s)
		return NULL;
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		free_node(&s->nodes[i]);
	for (size_t i = 0; i < s->n_heap; i++)
		if (s->heap[i].cmd) {
			free(s->heap[i].cmd->config);
			free(s->heap[i].cmd);
		}
	free(s->heap);
	net_free(s);
	for (size_t i = 0; i < s->n_configs; i++)
		cv_config_free((struct cv_config *)s->configs[i]);
	free(s->configs);
	free(s->digests);
	free(s->full_digests);
	check_free(s);
	free(s->log);
	for (size_t i = 0; i < s->n_viol; i++)
		free(s->viol[i]);
	free(s->viol);
	free(s);
	return NULL;
}

int
sim_at(struct sim *s, uint64_t at, struct sim_cmd *cmd)
{
	struct sim_cmd *c = sim_xcalloc(1, sizeof(*c));

	*c = *cmd;
	cmd->config = NULL;
	sim_push(s, (struct event){ .at = at, .kind = EV_CMD, .cmd = c });
	return 0;
}

int
sim_at_check(struct sim *s, uint64_t at, void (*fn)(struct sim *, void *), void *arg)
{
	sim_push(s,
		 (struct event){ .at = at, .cls = -1, .kind = EV_CHECK_CB, .cb = fn, .arg = arg });
	return 0;
}

static void
dispatch(struct sim *s, struct event *ev)
{
	switch (ev->kind) {
	case EV_CMD:
		s->last_change = s->now;
		proc_cmd(s, ev->cmd);
		free(ev->cmd->config);
		free(ev->cmd);
		break;
	case EV_RING_FORM:
	case EV_CONFCHG:
	case EV_QUORUM:
	case EV_RING_SYNC:
	case EV_DELIVER:
	case EV_DETECT:
		net_handle(s, ev);
		break;
	case EV_EXPIRE:
		addr_expire(s, ev);
		break;
	case EV_ADDR_OP:
		addr_op_due(s, &s->nodes[ev->node]);
		break;
	case EV_LATE:
		net_late_due(s, &s->nodes[ev->node]);
		break;
	case EV_QDEVICE:
		quorum_recount(s);
		break;
	case EV_CHECK_CB:
		ev->cb(s, ev->arg);
		break;
	default:
		proc_handle(s, ev);
		break;
	}
}

size_t
sim_run(struct sim *s, uint64_t until)
{
	if (!s->started) {
		s->started = true;
		net_init(s);
	}
	while (s->n_heap && s->heap[0].at <= until && s->n_viol < MAX_VIOLATIONS) {
		struct event ev = pop(s);

		if (ev.at > s->now) {
			if (s->dirty)
				check_run(s);
			s->now = ev.at;
			s->dirty = false;
		}
		if (ev.cls == 0)
			s->dirty = true;
		dispatch(s, &ev);
	}
	if (s->dirty)
		check_run(s);
	s->dirty = false;
	if (s->now < until)
		s->now = until;
	check_run(s);
	return s->n_viol;
}
