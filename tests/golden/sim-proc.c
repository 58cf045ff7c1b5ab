/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The processes of a node and what the operator does to them: the daemon
 * (an engine), its reaper (sim-reaper.c), the supervisor that restarts a
 * killed daemon as systemd would (once the daemon has ended), corosync's own
 * process, the node and its link, and the admin commands. A daemon blocked
 * in a corosync call (sim.c) goes on when corosync answers: cs-call ms after
 * the call, or after corosync's thaw; at once, failing, if corosync dies.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim-int.h"

#define JOIN_RETRY_MS 1000 /* a start held back by leftovers retries its reconcile */

#define RECONCILE_MS 5000 /* agent/daemon.c */

static struct node *
node_of(struct sim *s, uint32_t id)
{
	return &s->nodes[id];
}

static bool
lookup(const struct health *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].check, name) == 0)
			return v[i].healthy;
	return true;
}

bool
proc_healthy(const struct node *n, const char *check)
{
	return lookup(n->health, n->n_health, check);
}

bool
proc_health_changed_since(const struct node *n, const char *check, uint64_t t)
{
	for (size_t i = 0; i < n->n_health; i++)
		if (strcmp(n->health[i].check, check) == 0)
			return n->health[i].changed_at > t;
	return false;
}

bool
proc_link_up(const struct node *n, const char *interface)
{
	return !interface || lookup(n->links, n->n_links, interface);
}

static void
set_flag(struct health **v, size_t *n, const char *name, bool flag)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*v)[i].check, name) == 0) {
			(*v)[i].healthy = flag;
			return;
		}
	*v = realloc(*v, (*n + 1) * sizeof(**v));
	if (!*v)
		abort();
	(*v)[(*n)++] = (struct health){ .check = strdup(name), .healthy = flag };
}

static void
set_health(struct node *n, const char *check, bool healthy, uint64_t now)
{
	bool was = proc_healthy(n, check);

	set_flag(&n->health, &n->n_health, check, healthy);
	for (size_t i = 0; was != healthy && i < n->n_health; i++)
		if (strcmp(n->health[i].check, check) == 0)
			n->health[i].changed_at = now;
}

/* What the daemon's netlink monitor would report. */
static void
feed_link(struct sim *s, struct node *n, const char *interface)
{
	struct inev *ev = sim_inev_new(CV_EV_LINK);

	ev->str = strdup(interface);
	ev->ev.link.interface = ev->str;
	ev->ev.link.up = proc_link_up(n, interface);
	sim_feed(s, n, ev);
}

/* check's state, and check2's in the same event if not NULL (a recheck's outcomes) */
static void
feed_health(struct sim *s, struct node *n, const char *check, const char *check2)
{
	struct inev *ev = sim_inev_new(CV_EV_HEALTH);

	ev->str = strdup(check);
	ev->ev.health.check = ev->str;
	ev->ev.health.healthy = proc_healthy(n, check);
	if (check2) {
		ev->more = (struct cv_check_outcome){ .check = strdup(check2),
						      .healthy = proc_healthy(n, check2) };
		ev->ev.health.more = &ev->more;
		ev->ev.health.n_more = 1;
	}
	sim_feed(s, n, ev);
}

static void
feed_timings(struct sim *s, struct node *n)
{
	struct inev *ev = sim_inev_new(CV_EV_TIMINGS);

	ev->ev.timings.token_ms = n->token_ms ? n->token_ms : s->o.token_ms;
	ev->ev.timings.consensus_ms = n->consensus_ms ? n->consensus_ms : s->o.consensus_ms;
	sim_feed(s, n, ev);
}

static void
free_inbox(struct daemon *d)
{
	for (struct inev *ev = d->in_head, *next; ev; ev = next) {
		next = ev->next;
		sim_inev_free(ev);
	}
	d->in_head = d->in_tail = NULL;
}

/*
 * Start the daemon with a new pid, and its reaper: the engine, its timings,
 * the JOIN. Daemons started together all join before any of them gets its
 * first events (proc_start_feed), as when they start at the same instant.
 */
bool
proc_start_prepare(struct sim *s, struct node *n)
{
	struct daemon *d = &n->d;
	uint32_t *ids;
	int r;

	if (n->crashed || d->state != PROC_DEAD || !n->cfg)
		return false;
	d->pid = (uint32_t)s->next_pid++;
	d->gen++;
	d->timer_gen++;
	d->cfg = n->cfg;
	d->n_add_failed = 0;
	d->stopping = false;
	d->blocked = d->connecting = false;
	memset(d->heard_at, 0, sizeof(d->heard_at));
	memset(d->asked_at, 0, sizeof(d->asked_at));
	memset(d->heard_hold, 0, sizeof(d->heard_hold));
	reaper_new(s, n);
	ids = sim_config_nodeids(d->cfg);
	r = cv_engine_new(d->cfg,
			  &(struct cv_engine_params){
			      .nodeid = n->id,
			      .pid = d->pid,
			      .reaper_pid = n->r.state != PROC_DEAD ? n->r.pid : 0,
			      .nodeids = ids,
			      .state_chunk_vips = s->o.state_chunk_vips,
			  },
			  &d->engine);
	free(ids);
	if (r < 0) {
		sim_fail(s, "n%u: cv_engine_new failed: %s", n->id, strerror(-r));
		return false;
	}
	d->state = PROC_RUNNING;
	sim_trace(s, "n%u daemon starts, pid %u, reaper %u", n->id, d->pid, n->r.pid);
	/* Rule 8: the adapter reconciles at start (a fresh engine holds nothing), then every 5 s. */
	d->join_gate_until = 0;
	if (addr_reconcile(s, n)) {
		/* As agent/daemon.c: a STATE of ours would say we hold nothing
		 * while an address is left; join once it is gone (retried every
		 * second), at the latest when the kernel lease has ended it. */
		d->join_gate_until = s->now + d->cfg->cluster.kernel_lease_ms + 1000;
		sim_trace(s, "n%u  addresses left after the start-up reconcile: joins later", n->id);
		sim_push(s, (struct event){ .at = s->now + JOIN_RETRY_MS,
					    .kind = EV_RECONNECT,
					    .node = n->id,
					    .gen = d->gen });
	}
	sim_push(s, (struct event){ .at = s->now + RECONCILE_MS,
				    .kind = EV_RECONCILE,
				    .node = n->id,
				    .gen = d->gen });
	feed_timings(s, n);
	if (!d->join_gate_until)
		net_connect(s, n);
	/* Stuck in that connect (corosync frozen): its reaper watches it only
	 * from its loop's first turn, which comes after (agent/daemon.c). */
	if (d->connecting)
		d->blocked_at = SIM_NEVER;
	return true;
}

void
proc_start_feed(struct sim *s, struct node *n)
{
	net_connect_feed(s, n);
	for (size_t c = 0; n->d.state != PROC_DEAD && c < n->d.cfg->n_checks; c++)
		feed_health(s, n, n->d.cfg->checks[c].head.name, NULL);
	/* The daemon reads its links' state at start. */
	for (size_t i = 0; n->d.state != PROC_DEAD && i < n->n_links; i++)
		if (!n->links[i].healthy)
			feed_link(s, n, n->links[i].check);
}

void
proc_start(struct sim *s, struct node *n)
{
	if (proc_start_prepare(s, n))
		proc_start_feed(s, n);
}

/* The supervisor restarts the daemon once it has ended (its address operations done). */
void
proc_schedule_restart(struct sim *s, struct node *n)
{
	uint64_t end = addr_ops_end(n);

	if (s->o.supervise)
		sim_push(s, (struct event){ .at = (end > s->now ? end : s->now) + s->o.restart_delay_ms,
					    .kind = EV_RESTART,
					    .node = n->id,
					    .gen = n->restart_gen });
}

/*
 * A killed process leaves the CPG group when it exits, and it exits only
 * once the address call it is in returns (agent/executor.c makes netlink
 * calls in-process; SIGKILL does not interrupt them): deliver the leave
 * then, as docs/safety.md rule 4's argument assumes. A stop is graceful.
 */
static void
leave_at_exit(struct sim *s, struct node *n, enum gone why)
{
	uint64_t end = addr_ops_end(n);

	if (why == GONE_STOPPED || end <= s->now) {
		net_leave(s, n, n->d.pid, why == GONE_STOPPED ? CV_LEAVE_LEAVE : CV_LEAVE_PROCDOWN);
		return;
	}
	sim_trace(s, "n%u daemon %u exits at %llu, after its address calls", n->id, n->d.pid,
		  (unsigned long long)end);
	sim_push(s, (struct event){ .at = end, .kind = EV_LEAVE, .node = n->id, .gen = n->inc,
				    .id = n->d.pid });
}

void
proc_daemon_gone(struct sim *s, struct node *n, enum gone why)
{
	struct daemon *d = &n->d;
	bool start = n->start_queued && why == GONE_STOPPED; /* a kill: the supervisor's */

	if (d->state == PROC_DEAD)
		return;
	n->start_queued = false;
	if (why != GONE_STOPPED)
		reaper_capture(n);
	sim_trace(s, "n%u daemon %u %s", n->id, d->pid,
		  why == GONE_STOPPED	? "stopped"
		  : why == GONE_CRASHED ? "crashed"
					: "killed");
	d->state = PROC_DEAD;
	d->blocked = d->connecting = false;
	d->engine = cv_engine_free(d->engine);
	free_inbox(d);
	net_late_clear(d);
	if (s->o.daemon_queue)
		net_purge(n, d->pid); /* its own send queue (TRY_AGAIN) dies with it */
	d->timer_gen++;
	free(d->view);
	d->view = NULL;
	d->n_view = 0;
	if (d->connected && !n->crashed && n->cs != CS_DOWN)
		leave_at_exit(s, n, why);
	d->connected = false;
	if (why == GONE_STOPPED) {
		reaper_exit(s, n, CV_LEAVE_LEAVE); /* quietly, with its daemon */
		if (start)
			sim_push(s, (struct event){ .at = s->now,
						    .kind = EV_START,
						    .node = n->id,
						    .gen = n->restart_gen });
	} else if (why == GONE_KILLED) {
		if (n->r.state == PROC_RUNNING)
			sim_push(s, (struct event){ .at = s->now + 1,
						    .kind = EV_REAPER,
						    .node = n->id,
						    .gen = n->r.gen });
		else if (n->r.state == PROC_DEAD)
			proc_schedule_restart(s, n);
	}
}

void
proc_node_crash(struct sim *s, struct node *n)
{
	proc_daemon_gone(s, n, GONE_CRASHED);
	n->r.state = PROC_DEAD;
	n->r.gen++;
	n->restart_gen++;
	n->inc++;
	n->crashed = true;
	n->link = false;
	addr_ops_drop(n);
	check_addr_clear(s, n);
	net_update(s);
}

/* ---- commands ---- */

static uint32_t
pick_via(const struct sim *s, uint32_t via)
{
	if (via)
		return via;
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (s->nodes[i].d.state == PROC_RUNNING)
			return i;
	return 0;
}

static void
admin(struct sim *s, const struct sim_cmd *c)
{
	uint32_t via = pick_via(s, c->via);
	struct inev *ev;

	if (!via)
		return;
	if (c->type == SIM_MOVE) {
		ev = sim_inev_new(CV_EV_ADMIN_MOVE);
		ev->str = strdup(c->vip);
		ev->ev.move.vip = ev->str;
		ev->ev.move.node = c->target;
	} else if (c->type == SIM_BAN || c->type == SIM_CLEAR) {
		ev = sim_inev_new(c->type == SIM_BAN ? CV_EV_ADMIN_BAN : CV_EV_ADMIN_CLEAR);
		ev->str = strdup(c->vip);
		ev->ev.ban.vip = ev->str;
		ev->ev.ban.node = c->target;
		ev->ev.ban.lifetime_ms = c->a;
	} else {
		ev = sim_inev_new(CV_EV_ADMIN_STANDBY);
		ev->ev.standby.node = c->target;
		ev->ev.standby.standby = c->flag;
		/* the model's standby changes when the daemon reads it (sim.c step):
		 * via a frozen daemon, only at its thaw */
	}
	sim_feed(s, node_of(s, via), ev);
}

static bool
all_share(const struct sim *s, const struct cv_config *cfg)
{
	uint64_t d = sim_config_full_digest(s, cfg);

	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (sim_config_full_digest(s, s->nodes[i].cfg) != d)
			return false;
	return true;
}

static void
reload(struct sim *s, struct node *n, const struct sim_cmd *c)
{
	const struct cv_config *cfg;
	char err[512];
	struct inev *ev;

	if (sim_config_load(s, n->id, c->config, &cfg, err, sizeof(err)) < 0) {
		sim_fail(s, "reload on n%u: %s", n->id, err);
		return;
	}
	n->cfg = cfg;
	if (c->nodes == (BIT(s->o.n_nodes) << 1) - 1 || all_share(s, cfg))
		s->ref = cfg; /* a rolling reload is over */
	for (size_t v = 0; v < cfg->n_vips; v++)
		sim_intern(s, &cfg->vips[v]);
	ev = sim_inev_new(CV_EV_RELOAD);
	ev->ids = sim_config_nodeids(cfg);
	ev->ev.reload.config = cfg;
	ev->ev.reload.nodeids = ev->ids;
	sim_feed(s, n, ev);
}

static void
addr_gone(struct sim *s, struct node *n, const char *vip)
{
	const struct cv_vip_conf *vc = n->d.cfg ? cv_config_find_vip(n->d.cfg, vip) : NULL;
	char buf[SIM_KEY_LEN];
	int id;
	struct inev *ev;

	if (!vc)
		return;
	id = check_reg_find(s, vip, sim_vip_key(vc, buf, sizeof(buf)));
	if (id >= 0)
		check_addr_del(s, n, (uint32_t)id);
	ev = sim_inev_new(CV_EV_ADDR_GONE);
	ev->ev.vip.vip = (uint32_t)(vc - n->d.cfg->vips);
	sim_feed(s, n, ev);
}

static void
freeze(struct sim *s, struct node *n)
{
	if (n->d.state != PROC_RUNNING)
		return;
	n->d.state = PROC_FROZEN;
	n->d.frozen_at = s->now;
	reaper_watch(s, n, s->now);
}

static void
thaw(struct sim *s, struct node *n)
{
	if (n->d.state != PROC_FROZEN)
		return;
	n->d.state = PROC_RUNNING;
	sim_drain(s, n);
}

static void
thaw_reaper(struct sim *s, struct node *n)
{
	if (n->r.state != PROC_FROZEN)
		return;
	n->r.state = PROC_RUNNING;
	reaper_check(s, n);
}

/* The blocking call returns cs-call ms after corosync can answer (dead: at once, failing). */
void
proc_unblock(struct sim *s, struct node *n)
{
	if (!n->d.blocked || n->cs == CS_FROZEN)
		return;
	sim_push(s, (struct event){ .at = s->now + (n->cs == CS_DOWN ? 0 : s->o.cs_call_ms),
				    .kind = EV_UNBLOCK,
				    .node = n->id,
				    .gen = n->d.gen,
				    .gen2 = ++n->d.block_seq });
}

static void
unblocked(struct sim *s, struct node *n, const struct event *ev)
{
	struct daemon *d = &n->d;

	if (d->state == PROC_DEAD || d->gen != ev->gen || d->block_seq != ev->gen2 ||
	    !d->blocked || n->cs == CS_FROZEN)
		return;
	d->blocked = false;
	if (d->connecting) {
		net_connect_done(s, n);
	} else {
		if (d->in_head)
			d->in_head->answered = true;
		sim_trace(s, "n%u daemon's corosync call returns", n->id);
	}
	sim_drain(s, n);
}

static void
conn_lost(struct sim *s, struct node *n)
{
	struct daemon *d = &n->d;

	if (d->state == PROC_DEAD || !d->connected)
		return;
	d->connected = false;
	net_leave(s, n, d->pid, CV_LEAVE_PROCDOWN);
	net_feed_cs(s, n, sim_inev_new(CV_EV_CONN_LOST));
	sim_push(s, (struct event){ .at = s->now + s->o.reconnect_delay_ms,
				    .kind = EV_RECONNECT,
				    .node = n->id,
				    .gen = d->gen });
}

static void
cs_kill(struct sim *s, struct node *n)
{
	n->cs = CS_DOWN;
	n->inc++;
	proc_unblock(s, n);
	net_update(s);
	if (n->d.state != PROC_DEAD && n->d.connected)
		sim_push(s, (struct event){ .at = s->now + 1,
					    .kind = EV_CONN_LOST,
					    .node = n->id,
					    .gen = n->d.gen });
}

static void
cs_start(struct sim *s, struct node *n)
{
	if (n->crashed || n->cs == CS_UP)
		return;
	n->cs = CS_UP;
	net_update(s);
	if (n->d.state != PROC_DEAD && !n->d.connected) {
		net_connect(s, n);
		net_connect_feed(s, n);
	}
}

static void
restart_node(struct sim *s, struct node *n)
{
	if (!n->crashed)
		return;
	n->crashed = false;
	n->cs = CS_UP;
	n->link = true;
	n->outside_since = SIM_NEVER;
	net_update(s);
	proc_start(s, n);
}

/* kill, SIGSTOP, SIGCONT of the daemon and its reaper; false if c is not one of those */
static bool
signal_cmd(struct sim *s, struct node *n, const struct sim_cmd *c)
{
	bool reaper = c->type == SIM_FREEZE_REAPER || c->type == SIM_FREEZE_BOTH;

	switch (c->type) {
	case SIM_KILL_BOTH:
	case SIM_KILL_REAPER:
		if (n->r.state != PROC_DEAD && n->r.phase == RP_WAIT_END)
			proc_schedule_restart(s, n); /* it would have, after its sweep */
		reaper_exit(s, n, CV_LEAVE_PROCDOWN);
		if (c->type == SIM_KILL_BOTH)
			proc_daemon_gone(s, n, GONE_KILLED);
		return true;
	case SIM_KILL:
		proc_daemon_gone(s, n, GONE_KILLED);
		return true;
	case SIM_FREEZE:
	case SIM_FREEZE_REAPER:
	case SIM_FREEZE_BOTH:
		if (reaper && n->r.state == PROC_RUNNING)
			n->r.state = PROC_FROZEN;
		if (c->type != SIM_FREEZE_REAPER)
			freeze(s, n);
		return true;
	case SIM_THAW:
	case SIM_THAW_BOTH:
		thaw(s, n);
		if (c->type == SIM_THAW_BOTH)
			thaw_reaper(s, n);
		return true;
	case SIM_THAW_REAPER:
		thaw_reaper(s, n);
		return true;
	default:
		return false;
	}
}

/*
 * A start while the daemon stops gracefully waits, as systemd's start job
 * does while the unit is deactivating, and runs once it has stopped
 * (proc_daemon_gone); true if it waits.
 */
static bool
queue_start(struct node *n)
{
	if (n->d.state == PROC_DEAD || !n->d.stopping)
		return false;
	n->start_queued = true;
	return true;
}

/* corosync's process, the node, its link; false if c is not one of those */
static bool
node_fault_cmd(struct sim *s, struct node *n, const struct sim_cmd *c)
{
	switch (c->type) {
	case SIM_CS_KILL:
		if (!n->crashed)
			cs_kill(s, n);
		return true;
	case SIM_CS_START:
		cs_start(s, n);
		return true;
	case SIM_CS_FREEZE:
	case SIM_CS_THAW:
		if (!n->crashed && n->cs == (c->type == SIM_CS_FREEZE ? CS_UP : CS_FROZEN)) {
			n->cs = c->type == SIM_CS_FREEZE ? CS_FROZEN : CS_UP;
			n->d.block_seq++; /* a call's answer is not coming while frozen */
			proc_unblock(s, n);
			if (c->type == SIM_CS_THAW)
				quorum_thawed(s, n);
			net_update(s);
		}
		return true;
	case SIM_CRASH:
		if (!n->crashed)
			proc_node_crash(s, n);
		return true;
	case SIM_RESTART:
		restart_node(s, n);
		return true;
	case SIM_CUT:
	case SIM_HEAL:
		n->link = c->type == SIM_HEAL && !n->crashed;
		net_update(s);
		return true;
	default:
		return false;
	}
}

static void
node_cmd(struct sim *s, struct node *n, const struct sim_cmd *c)
{
	if (signal_cmd(s, n, c) || node_fault_cmd(s, n, c))
		return;
	switch (c->type) {
	case SIM_START:
		proc_start(s, n);
		break;
	case SIM_STOP:
		n->start_queued = false; /* a stop job replaces a waiting start */
		if (n->d.state != PROC_DEAD && !n->d.stopping) {
			n->d.stopping = true;
			sim_feed(s, n, sim_inev_new(CV_EV_STOP));
		}
		break;
	case SIM_HEALTH:
		set_health(n, c->check, c->flag, s->now);
		if (c->check2[0])
			set_health(n, c->check2, c->flag2, s->now);
		if (n->d.state != PROC_DEAD)
			feed_health(s, n, c->check, c->check2[0] ? c->check2 : NULL);
		break;
	case SIM_RELOAD:
		reload(s, n, c);
		break;
	case SIM_CONN_LOST:
		conn_lost(s, n);
		break;
	case SIM_ADDR_GONE:
		addr_gone(s, n, c->vip);
		break;
	case SIM_LINK:
		set_flag(&n->links, &n->n_links, c->check, c->flag);
		if (n->d.state != PROC_DEAD)
			feed_link(s, n, c->check);
		break;
	case SIM_FAIL_ADD:
	case SIM_ADDR_FAIL:
		addr_fail_cmd(n, c);
		break;
	case SIM_KILL_MID_STATE:
		n->kill_mid_state = c->a;
		break;
	case SIM_SKEW:
		n->skew_lo = c->a;
		n->skew_hi = c->b;
		break;
	case SIM_ADDR_LATENCY:
		n->add_ms = c->a;
		n->del_ms = c->b;
		break;
	default:
		break;
	}
}

/* The node a picking command acts on, now; 0 if there is none. */
static uint32_t
pick(struct sim *s, const struct sim_cmd *c)
{
	uint64_t h;

	switch (c->pick) {
	case SIM_PICK_HOLDER:
		h = sim_holders(s, c->vip);
		return h ? (uint32_t)__builtin_ctzll(h) + 1 : 0;
	case SIM_PICK_IDLE:
		for (uint32_t i = s->o.n_nodes; i >= 1; i--)
			if (!s->nodes[i].crashed && !s->nodes[i].n_addrs)
				return i;
		return 0;
	default:
		return s->picked;
	}
}

void
proc_cmd(struct sim *s, const struct sim_cmd *c)
{
	struct sim_cmd picked;

	if (c->pick != SIM_PICK_NONE) {
		picked = *c;
		picked.pick = SIM_PICK_NONE;
		s->picked = pick(s, c);
		picked.nodes = s->picked ? BIT(s->picked) : 0;
		sim_trace(s, "%s picks n%u", sim_cmd_type_to_string(c->type), s->picked);
		proc_cmd(s, &picked);
		return;
	}
	sim_trace(s, "command %s nodes %#llx", sim_cmd_type_to_string(c->type),
		  (unsigned long long)c->nodes);
	switch (c->type) {
	case SIM_PARTITION:
		for (uint32_t i = 1; i <= s->o.n_nodes; i++)
			s->nodes[i].part = c->part[i];
		net_update(s);
		return;
	case SIM_HEAL_ALL:
		for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
			s->nodes[i].part = 0;
			s->nodes[i].link = !s->nodes[i].crashed;
		}
		net_update(s);
		return;
	case SIM_MOVE:
	case SIM_STANDBY:
	case SIM_BAN:
	case SIM_CLEAR:
		admin(s, c);
		return;
	case SIM_EXPECTED_VOTES:
	case SIM_QDEVICE_VOTE:
		quorum_cmd(s, c);
		return;
	case SIM_QUORUM_DELAY:
		s->o.quorum_delay_lo = c->a;
		s->o.quorum_delay_hi = c->b;
		return;
	case SIM_TIMING:
		/* corosync-cfgtool -R (every node), or one node's corosync.conf
		 * or cmap changed (timing NODES): corosync does not agree on
		 * its timers, each node's runs on its own */
		if (!c->nodes) {
			s->o.token_ms = c->a;
			s->o.consensus_ms = c->b;
		}
		for (uint32_t i = 1; i <= s->o.n_nodes; i++) {
			struct node *n = &s->nodes[i];

			if (c->nodes && !(c->nodes & BIT(i)))
				continue;
			n->token_ms = c->nodes ? c->a : 0;
			n->consensus_ms = c->nodes ? c->b : 0;
			if (n->d.state != PROC_DEAD)
				feed_timings(s, n);
		}
		return;
	default:
		break;
	}
	if (c->type == SIM_START) {
		bool started[SIM_MAX_NODES + 1] = {};

		for (uint32_t i = 1; i <= s->o.n_nodes; i++)
			if (c->nodes & BIT(i))
				started[i] = !queue_start(&s->nodes[i]) &&
					     proc_start_prepare(s, &s->nodes[i]);
		for (uint32_t i = 1; i <= s->o.n_nodes; i++)
			if (started[i])
				proc_start_feed(s, &s->nodes[i]);
		return;
	}
	for (uint32_t i = 1; i <= s->o.n_nodes; i++)
		if (c->nodes & BIT(i))
			node_cmd(s, &s->nodes[i], c);
}

void
proc_handle(struct sim *s, const struct event *ev)
{
	struct node *n = node_of(s, ev->node);

	switch (ev->kind) {
	case EV_TIMER:
		if (n->d.state != PROC_DEAD && n->d.gen == ev->gen && n->d.timer_gen == ev->gen2)
			sim_feed(s, n, sim_inev_new(CV_EV_TIMER));
		break;
	case EV_REAPER:
		if (n->r.gen == ev->gen)
			reaper_check(s, n);
		break;
	case EV_RESTART:
		if (n->restart_gen == ev->gen && !n->crashed && n->d.state == PROC_DEAD) {
			s->last_change = s->now;
			sim_log_add(
			    s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_RESTART });
			proc_start(s, n);
		}
		break;
	case EV_START:
		if (n->restart_gen == ev->gen && !n->crashed && n->d.state == PROC_DEAD) {
			s->last_change = s->now;
			proc_start(s, n);
		}
		break;
	case EV_CONN_LOST:
		if (n->d.state != PROC_DEAD && n->d.gen == ev->gen && n->d.connected) {
			n->d.connected = false;
			free(n->d.view);
			n->d.view = NULL;
			n->d.n_view = 0;
			net_feed_cs(s, n, sim_inev_new(CV_EV_CONN_LOST));
		}
		break;
	case EV_UNBLOCK:
		unblocked(s, n, ev);
		break;
	case EV_LEAVE:
		if (n->inc == ev->gen && !n->crashed && n->cs != CS_DOWN)
			net_leave(s, n, ev->id, CV_LEAVE_PROCDOWN);
		break;
	case EV_RECONCILE:
		if (n->d.state == PROC_DEAD || n->d.gen != ev->gen)
			break;
		if (n->d.state == PROC_RUNNING && !n->d.blocked)
			addr_reconcile(s, n); /* a stopped loop skips the round */
		sim_push(s, (struct event){ .at = s->now + RECONCILE_MS,
					    .kind = EV_RECONCILE,
					    .node = n->id,
					    .gen = ev->gen });
		break;
	case EV_RECONNECT:
		if (n->d.state != PROC_DEAD && n->d.gen == ev->gen && n->d.join_gate_until &&
		    addr_reconcile(s, n) && s->now < n->d.join_gate_until) {
			sim_push(s, (struct event){ .at = s->now + JOIN_RETRY_MS,
						    .kind = EV_RECONNECT,
						    .node = n->id,
						    .gen = ev->gen });
			break;
		}
		if (n->d.state != PROC_DEAD && n->d.gen == ev->gen)
			n->d.join_gate_until = 0;
		if (n->d.state != PROC_DEAD && n->d.gen == ev->gen && !n->d.connected &&
		    n->cs != CS_DOWN) {
			net_connect(s, n);
			net_connect_feed(s, n);
		}
		break;
	default:
		break;
	}
}

static const char *const cmd_names[_SIM_CMD_MAX] = {
	[SIM_START] = "start",
	[SIM_STOP] = "stop",
	[SIM_KILL] = "kill",
	[SIM_KILL_REAPER] = "kill-reaper",
	[SIM_KILL_BOTH] = "kill-both",
	[SIM_FREEZE] = "freeze",
	[SIM_THAW] = "thaw",
	[SIM_FREEZE_REAPER] = "freeze-reaper",
	[SIM_THAW_REAPER] = "thaw-reaper",
	[SIM_FREEZE_BOTH] = "freeze-both",
	[SIM_THAW_BOTH] = "thaw-both",
	[SIM_CS_KILL] = "cs-kill",
	[SIM_CS_START] = "cs-start",
	[SIM_CS_FREEZE] = "cs-freeze",
	[SIM_CS_THAW] = "cs-thaw",
	[SIM_CRASH] = "crash",
	[SIM_RESTART] = "restart",
	[SIM_CUT] = "cut",
	[SIM_HEAL] = "heal",
	[SIM_PARTITION] = "partition",
	[SIM_HEAL_ALL] = "heal-all",
	[SIM_HEALTH] = "health",
	[SIM_MOVE] = "move",
	[SIM_BAN] = "ban",
	[SIM_CLEAR] = "clear",
	[SIM_STANDBY] = "standby",
	[SIM_RELOAD] = "reload",
	[SIM_QUORUM_DELAY] = "quorum-delay",
	[SIM_TIMING] = "timing",
	[SIM_CONN_LOST] = "conn-lost",
	[SIM_ADDR_GONE] = "addr-gone",
	[SIM_FAIL_ADD] = "fail-add",
	[SIM_LINK] = "link",
	[SIM_EXPECTED_VOTES] = "expected-votes",
	[SIM_QDEVICE_VOTE] = "qdevice-vote",
	[SIM_KILL_MID_STATE] = "kill-mid-state",
	[SIM_SKEW] = "skew",
	[SIM_ADDR_LATENCY] = "addr-latency",
	[SIM_ADDR_FAIL] = "addr-fail",
};

const char *
sim_cmd_type_to_string(enum sim_cmd_type t)
{
	return (unsigned)t < _SIM_CMD_MAX ? cmd_names[t] : NULL;
}

enum sim_cmd_type
sim_cmd_type_from_string(const char *s)
{
	for (int i = 0; i < _SIM_CMD_MAX; i++)
		if (strcmp(cmd_names[i], s) == 0)
			return (enum sim_cmd_type)i;
	return _SIM_CMD_MAX;
}

const char *
sim_log_kind_to_string(enum sim_log_kind k)
{
	static const char *const names[] = {
		"action",     "reaper-kill", "reaper-released", "restart",	"expired",
		"add-failed", "reconciled",  "del-failed",	"added",	"removed",
		"sweep-failed", "blocked",   "mid-state-kill",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : NULL;
}
