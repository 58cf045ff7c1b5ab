/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The node's addresses as the kernel keeps them: ADDR_ADD and ADDR_DEL take
 * their node's latency (addr-latency) and complete in the order they were
 * asked for (one netlink socket); the address appears or goes when the
 * operation completes, and its outcome comes back to the daemon that asked
 * as a CV_EV_ACTION_RESULT (by VIP name, with the action's epoch: a VIP a
 * reload removed meanwhile is still named). Injected failures (addr-fail,
 * fail-add): a failed add adds nothing, a failed removal leaves the address
 * (until its kernel lease ends). An operation under way when its daemon is
 * killed still completes (the call is in the kernel; the daemon ends after
 * it), its result unread. Every address expires kernel_lease after its add
 * or RENEW; the daemon hears ADDR_GONE. RENEW, like agent/executor.c, renews
 * the addresses of the VIPs the engine holds, and re-creates a missing one
 * (RTM_NEWADDR with NLM_F_CREATE); behind operations under way it waits its
 * turn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "sim-int.h"

/* addr-fail: does this operation fail? Consumes one of a counted rule. */
static bool
fails(struct node *n, enum cv_action_type type, const char *vip)
{
	for (size_t i = 0; i < n->n_fails; i++) {
		struct addr_fail *f = &n->fails[i];

		if (f->type != type || f->left == 0 || (f->vip[0] && strcmp(f->vip, vip) != 0))
			continue;
		if (f->left != UINT32_MAX)
			f->left--;
		return true;
	}
	return false;
}

void
addr_fail_cmd(struct node *n, const struct sim_cmd *c)
{
	enum cv_action_type type = c->type == SIM_FAIL_ADD || c->b == 0 ? CV_ACT_ADDR_ADD
									: CV_ACT_ADDR_DEL;
	uint32_t left = c->type == SIM_FAIL_ADD ? UINT32_MAX : c->a;
	size_t k = 0;

	/* A new rule replaces the one for the same operation and VIP. */
	for (size_t i = 0; i < n->n_fails; i++)
		if (n->fails[i].type != type || strcmp(n->fails[i].vip, c->vip) != 0)
			n->fails[k++] = n->fails[i];
	n->n_fails = k;
	if (left == 0)
		return;
	n->fails = realloc(n->fails, (n->n_fails + 1) * sizeof(*n->fails));
	if (!n->fails)
		abort();
	n->fails[n->n_fails] = (struct addr_fail){ .type = type, .left = left };
	snprintf(n->fails[n->n_fails++].vip, sizeof(n->fails[0].vip), "%s", c->vip);
}

static struct addr *
find(struct node *n, uint32_t id)
{
	for (size_t i = 0; i < n->n_addrs; i++)
		if (n->addrs[i].id == id)
			return &n->addrs[i];
	return NULL;
}

static void
feed_result(struct sim *s, struct node *n, const struct addr_op *op, int err)
{
	struct inev *ev;

	if (n->d.state == PROC_DEAD || n->d.gen != op->gen)
		return; /* the daemon that asked is gone: nobody reads it */
	ev = sim_inev_new(CV_EV_ACTION_RESULT);
	ev->str = op->conf ? sim_xstrdup(op->conf->head.name) : NULL; /* RENEW: every VIP */
	ev->ev.result = (typeof(ev->ev.result)){
		.vip = ev->str, .op = op->type, .epoch = op->epoch, .err = err
	};
	sim_feed(s, n, ev);
}

static void
log_fact(struct sim *s, const struct node *n, enum sim_log_kind kind, uint32_t id)
{
	sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = kind, .vip = s->reg[id].name });
}

/* When a removal of id queued behind the operation completing now completes (0: none). */
static uint64_t
queued_del_at(const struct node *n, uint32_t id)
{
	uint64_t at = 0;

	for (size_t k = 0; k < n->n_ops; k++)
		if (n->ops[k].type == CV_ACT_ADDR_DEL && n->ops[k].id == id)
			at = n->ops[k].at;
	return at;
}

static void
complete_add(struct sim *s, struct node *n, const struct addr_op *op)
{
	uint64_t exp = s->now + op->lease_ms;
	struct addr *a;

	if (fails(n, CV_ACT_ADDR_ADD, s->reg[op->id].name)) {
		sim_trace(s, "n%u  add of %s fails", n->id, s->reg[op->id].name);
		log_fact(s, n, SIM_LOG_ADD_FAILED, op->id);
		if (n->d.n_add_failed < sizeof(n->d.add_failed) / sizeof(n->d.add_failed[0]))
			n->d.add_failed[n->d.n_add_failed++] = op->id;
		feed_result(s, n, op, -EADDRNOTAVAIL);
		return;
	}
	check_addr_add(s, n, op->id, exp);
	a = find(n, op->id);
	a->epoch = op->epoch;
	a->del_failed = false;
	/* A removal issued while this add was still queued found no address
	 * to give its latency to (addr_op): it is queued behind, in order
	 * (prop 1404288: del=1400 lowered to 0 meanwhile). */
	if (queued_del_at(n, op->id))
		a->del_until = queued_del_at(n, op->id);
	sim_push(s, (struct event){ .at = exp, .kind = EV_EXPIRE, .node = n->id, .id = op->id });
	log_fact(s, n, SIM_LOG_ADDED, op->id);
	feed_result(s, n, op, 0);
}

static void
complete_del(struct sim *s, struct node *n, const struct addr_op *op)
{
	struct addr *a = find(n, op->id);

	if (fails(n, CV_ACT_ADDR_DEL, s->reg[op->id].name)) {
		sim_trace(s, "n%u  removal of %s fails", n->id, s->reg[op->id].name);
		if (a)
			a->del_failed = true;
		log_fact(s, n, SIM_LOG_DEL_FAILED, op->id);
		feed_result(s, n, op, -EIO);
		return;
	}
	if (a) {
		check_addr_del(s, n, op->id);
		log_fact(s, n, SIM_LOG_REMOVED, op->id);
	}
	feed_result(s, n, op, 0); /* absent already: netlink says so, the adapter counts it done */
}

static void renew_held(struct sim *s, struct node *n);

static void
complete(struct sim *s, struct node *n, const struct addr_op *op)
{
	if (op->type == CV_ACT_ADDR_ADD)
		complete_add(s, n, op);
	else if (op->type == CV_ACT_ADDR_DEL)
		complete_del(s, n, op);
	else if (n->d.state != PROC_DEAD && n->d.gen == op->gen) {
		renew_held(s, n);
		feed_result(s, n, op, 0);
	}
}

static void
enqueue(struct sim *s, struct node *n, struct addr_op op)
{
	if (n->n_ops && n->ops[n->n_ops - 1].at > op.at)
		op.at = n->ops[n->n_ops - 1].at; /* in order */
	n->ops = sim_grow(n->ops, &n->cap_ops, n->n_ops + 1, sizeof(*n->ops));
	n->ops[n->n_ops++] = op;
	sim_push(s, (struct event){ .at = op.at, .kind = EV_ADDR_OP, .node = n->id });
}

/* The engine asked for an ADDR_ADD or ADDR_DEL: now, or after the node's latency. */
void
addr_op(struct sim *s, struct node *n, const struct cv_action *a)
{
	char buf[SIM_KEY_LEN];
	uint32_t lat = a->type == CV_ACT_ADDR_ADD ? n->add_ms : n->del_ms;
	struct addr_op op = {
		.type = a->type,
		.id = check_reg(s, a->conf->head.name, sim_vip_key(a->conf, buf, sizeof(buf))),
		.conf = a->conf,
		.epoch = a->epoch,
		.gen = n->d.gen,
		.at = s->now + lat,
		.lease_ms = n->d.cfg->cluster.kernel_lease_ms,
	};

	if (lat == 0 && n->n_ops == 0) {
		complete(s, n, &op);
		return;
	}
	enqueue(s, n, op);
	/* the checker allows a queued removal the latency it was issued with */
	if (op.type == CV_ACT_ADDR_DEL && find(n, op.id))
		find(n, op.id)->del_until = n->ops[n->n_ops - 1].at;
}

/* What comes due at one time reaches the daemon as one batch of results
 * (sim.c step_results): it reads them once they are all in. */
void
addr_op_due(struct sim *s, struct node *n)
{
	bool was = n->d.draining;

	n->d.draining = true;
	while (n->n_ops && n->ops[0].at <= s->now && !n->crashed) {
		struct addr_op op = n->ops[0];

		memmove(n->ops, n->ops + 1, --n->n_ops * sizeof(*n->ops));
		complete(s, n, &op);
	}
	n->d.draining = was;
	sim_drain(s, n);
}

/* When the last operation under way completes (0: none): a killed daemon ends then. */
uint64_t
addr_ops_end(const struct node *n)
{
	return n->n_ops ? n->ops[n->n_ops - 1].at : 0;
}

void
addr_ops_drop(struct node *n)
{
	n->n_ops = 0;
}

static void
renew_held(struct sim *s, struct node *n)
{
	const struct cv_config *c = n->d.cfg;
	uint64_t exp = s->now + c->cluster.kernel_lease_ms;
	char buf[SIM_KEY_LEN];

	for (size_t i = 0; i < c->n_vips; i++) {
		uint32_t id;
		struct addr *a;

		if (cv_engine_vip_state(n->d.engine, i) != CV_VIP_HELD)
			continue;
		id = check_reg(s, c->vips[i].head.name, sim_vip_key(&c->vips[i], buf, sizeof(buf)));
		if (!find(n, id)) {
			sim_trace(s, "n%u  renewal re-creates %s", n->id, s->reg[id].name);
			check_addr_add(s, n, id, exp);
			find(n, id)->epoch = cv_engine_vip_epoch(n->d.engine, i);
			log_fact(s, n, SIM_LOG_ADDED, id);
		}
		a = find(n, id);
		a->expiry = exp;
		sim_push(s, (struct event){ .at = exp, .kind = EV_EXPIRE, .node = n->id, .id = id });
	}
}

void
addr_renew(struct sim *s, struct node *n)
{
	struct addr_op op = { .type = CV_ACT_RENEW, .gen = n->d.gen, .at = s->now };

	if (n->n_ops)
		enqueue(s, n, op);
	else
		complete(s, n, &op);
}

void
addr_expire(struct sim *s, const struct event *ev)
{
	struct node *n = &s->nodes[ev->node];
	const struct cv_vip_conf *vc;
	struct addr *a = find(n, ev->id);
	struct inev *in;

	if (!a || a->expiry != ev->at)
		return;
	sim_trace(s, "n%u  kernel lease expired: %s", n->id, s->reg[ev->id].name);
	log_fact(s, n, SIM_LOG_EXPIRED, ev->id);
	check_addr_del(s, n, ev->id);
	/* The netlink monitor sees RTM_DELADDR and tells the daemon. */
	vc = n->d.cfg ? cv_config_find_vip(n->d.cfg, s->reg[ev->id].name) : NULL;
	if (vc && n->d.state != PROC_DEAD) {
		in = sim_inev_new(CV_EV_ADDR_GONE);
		in->ev.vip.vip = (uint32_t)(vc - n->d.cfg->vips);
		sim_feed(s, n, in);
	}
}

static void
sweep_pass(struct sim *s, struct node *n)
{
	for (size_t k = n->n_addrs; k-- > 0;) {
		struct addr *a = &n->addrs[k];

		if (fails(n, CV_ACT_ADDR_DEL, s->reg[a->id].name)) {
			a->del_failed = true;
			log_fact(s, n, SIM_LOG_DEL_FAILED, a->id);
			continue;
		}
		check_addr_del(s, n, a->id); /* moves the last, already seen, here */
	}
}

/*
 * The reaper removes every address of ours, pass after pass as
 * agent/reaper.c does (REMOVE_PASSES 3: a dump, then removals, up to four
 * times); true only if a dump found none left, i.e. within three passes.
 */
bool
addr_sweep(struct sim *s, struct node *n)
{
	size_t found = 1;

	for (int pass = 0; found && pass <= 3; pass++) {
		found = n->n_addrs;
		sweep_pass(s, n);
	}
	return found == 0;
}

static bool
pending(const struct node *n, uint32_t id)
{
	for (size_t i = 0; i < n->n_ops; i++)
		if (n->ops[i].id == id)
			return true;
	return false;
}

static bool
held(struct sim *s, const struct node *n, uint32_t id)
{
	const struct cv_config *c = n->d.cfg;
	const struct cv_vip_conf *vc = c ? cv_config_find_vip(c, s->reg[id].name) : NULL;
	char buf[SIM_KEY_LEN];

	return vc && n->d.engine &&
	       cv_engine_vip_state(n->d.engine, (size_t)(vc - c->vips)) == CV_VIP_HELD &&
	       strcmp(sim_vip_key(vc, buf, sizeof(buf)), s->reg[id].addr) == 0;
}

/*
 * Rule 8, as agent/executor.c's reconcile: at the daemon's start and every
 * 5 s, an address of ours that the engine does not hold (and that no
 * operation is under way for) is removed; a removal that fails leaves it
 * (the next round tries again).
 */
size_t
addr_reconcile(struct sim *s, struct node *n)
{
	bool any = false;
	size_t left = 0;

	for (size_t k = n->n_addrs; k-- > 0;) {
		struct addr *a = &n->addrs[k];

		if (held(s, n, a->id) || pending(n, a->id))
			continue;
		any = true;
		if (fails(n, CV_ACT_ADDR_DEL, s->reg[a->id].name)) {
			a->del_failed = true;
			log_fact(s, n, SIM_LOG_DEL_FAILED, a->id);
			left++;
			continue;
		}
		sim_trace(s, "n%u  reconcile removes %s", n->id, s->reg[a->id].name);
		check_addr_del(s, n, a->id);
	}
	if (any)
		sim_log_add(s, (struct sim_log_entry){ .node = n->id, .kind = SIM_LOG_RECONCILED });
	return left;
}

void
addr_free(struct node *n)
{
	free(n->ops);
	free(n->fails);
	free(n->addrs);
}
