/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend (backend.h, issue 14). A VIP's mode says how it
 * moves (config.h cv_cloud_mode):
 *  - floating_ip (os-backend-fip.c): Neutron re-associates a floating IP
 *    with the taker's port, by compare-and-swap;
 *  - address_pairs and vip_port (os-backend-pairs.c): the address is ours
 *    on an interface and L2 moves it (env->backend_of); Neutron's port
 *    security must let it through our port: the taker adds it to its
 *    port's allowed address pairs first (address_pairs), or every member's
 *    port has it already and the API only checks and repairs (vip_port).
 *
 * One client per cloud section (os-backend-client.c), on one HTTP client
 * on the loop. The operations of one floating IP, or of one VIP in the
 * pair modes, run one at a time in the order asked: a release after a move
 * reads what the move left, never a revision from before it; an address
 * handed to L2 is released there after it was added.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "loop-timer.h"
#include "cv-macros.h"
#include "os-backend-int.h"

extern const struct cv_backend_ops cv_openstack_backend; /* backend/backend.c's lookup */

/* ---- the queue ---- */

static void start(struct pending *p);

/* Is an operation of key running? (One at a time each, in the order asked.) */
static bool
key_running(const struct osb *b, const char *key)
{
	for (const struct pending *q = b->ops; q; q = q->next)
		if (q->os_op && strcmp(q->key, key) == 0)
			return true;
	return false;
}

/* The next operation of key, if none is running. */
static void
kick(struct osb *b, const char *key)
{
	if (key_running(b, key))
		return;
	for (struct pending *q = b->ops; q; q = q->next)
		if (strcmp(q->key, key) == 0)
			return start(q);
}

static void
unlink_pending(struct osb *b, struct pending *p)
{
	for (struct pending **q = &b->ops; *q; q = &(*q)->next)
		if (*q == p) {
			*q = p->next;
			return;
		}
}

static void
report(struct pending *p, int err, const char *why)
{
	struct osb *b = p->b;

	if (!p->round)
		return b->env.result(b->env.userdata, p->conf, p->op, p->epoch, err, why);
	if (--p->round->left == 0) {
		free(p->round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
	p->round = NULL;
}

/* p leaves the queue: let its client go if retired, start the next of its key. */
static void
drop(struct pending *p)
{
	struct osb *b = p->b;
	struct client *cl = p->cl;
	char key[sizeof(p->key)];

	unlink_pending(b, p);
	snprintf(key, sizeof(key), "%s", p->key);
	cv_os_op_cancel(p->os_op);
	p->os_op = NULL;
	if (p->conf == &p->stub) { /* L2 may still name it */
		p->next = b->dead;
		b->dead = p;
	} else {
		free(p);
	}
	if (cl && --cl->busy == 0 && cl->retired)
		cv_osb_client_free(b, cl);
	kick(b, key);
}

void
cv_osb_finish(struct pending *p, int err, const char *why)
{
	const char *res = p->mode == CV_CLOUD_FLOATING_IP ? p->fip : p->port;

	if (err < 0)
		qb_log(p->quiet ? LOG_WARNING : LOG_ERR, "VIP '%s': %s%s of %s %s failed: %s",
		       p->name, p->quiet ? "our own " : "", cv_action_type_to_string(p->op),
		       p->mode == CV_CLOUD_FLOATING_IP ? "floating IP" : "port", res,
		       why && *why ? why : cv_strerror(err));
	cv_osb_seen_outcome(p->b, p->name, res, err, why && *why ? why : cv_strerror(err));
	if (!p->quiet)
		report(p, err, err < 0 ? (why && *why ? why : cv_strerror(err)) : NULL);
	drop(p);
}

void
cv_osb_handed(struct pending *p)
{
	drop(p);
}

/* The client call of p: its key's turn has come. */
static void
start(struct pending *p)
{
	if (p->mode == CV_CLOUD_FLOATING_IP)
		cv_osb_fip_start(p);
	else
		cv_osb_pairs_start(p);
}

/* One VIP's operation: queued behind what its key has under way. */
static void
submit(struct osb *b, const struct cv_backend_op *o, enum cv_action_type act, uint32_t lease_s,
       struct round *round, bool quiet)
{
	const struct cv_vip_conf *v = o->conf;
	struct pending *p = calloc(1, sizeof(*p)), **tail;
	char err[512] = "";
	int r;

	if (!p) {
		struct pending fail = { .b = b, .conf = v, .op = act, .epoch = o->epoch, .round = round };

		return report(&fail, -ENOMEM, NULL);
	}
	*p = (struct pending){ .b = b, .conf = v, .op = act, .vip = o->vip, .epoch = o->epoch,
			       .ring = o->ring, .lease_s = lease_s, .round = round, .quiet = quiet,
			       .mode = v->mode, .addr = *cv_vip_first_addr(v) };
	snprintf(p->name, sizeof(p->name), "%s", v->head.name);
	snprintf(p->fip, sizeof(p->fip), "%s", v->floating_ip ? v->floating_ip : "");
	snprintf(p->port, sizeof(p->port), "%s", v->port ? v->port : "");
	snprintf(p->fixed_ip, sizeof(p->fixed_ip), "%s", v->fixed_ip ? v->fixed_ip : "");
	snprintf(p->ifname, sizeof(p->ifname), "%s", v->interface ? v->interface : "");
	if (p->mode == CV_CLOUD_FLOATING_IP)
		snprintf(p->key, sizeof(p->key), "%s", p->fip);
	else
		snprintf(p->key, sizeof(p->key), "vip %s", p->name); /* ids have no blank */
	for (tail = &b->ops; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	if (act == CV_ACT_ADDR_DEL && !quiet)
		cv_osb_held_drop(b, p->name);
	if (act == CV_ACT_ADDR_ADD && p->mode == CV_CLOUD_FLOATING_IP)
		cv_osb_late_drop(b, p->fip);
	r = cv_osb_client_of(b, v, &p->cl, err, sizeof(err));
	if (r < 0) {
		p->cl = NULL;
		return cv_osb_finish(p, r, err);
	}
	p->cl->busy++;
	kick(b, p->key);
}

void
cv_osb_submit_quiet(struct osb *b, const struct cv_vip_conf *conf, enum cv_action_type act,
		    uint64_t ring, uint64_t epoch)
{
	submit(b, &(struct cv_backend_op){ .conf = conf, .ring = ring, .epoch = epoch }, act, 0,
	       NULL, true);
}

/* The reads ahead and the late detaches (os-backend-fip.c), rearmed for the next. */
static void
on_timer(void *data)
{
	struct osb *b = data;
	uint64_t now = qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;

	(void)cv_loop_timer_at(b->timer, cv_osb_fip_tick(b, now));
}

/* ---- the backend's operations ---- */

static void
acquire(struct cv_backend *base, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	for (size_t i = 0; i < n; i++)
		submit(osb_of(base), &ops[i], CV_ACT_ADDR_ADD, lease_s, NULL, false);
}

static void
release(struct cv_backend *base, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		submit(osb_of(base), &ops[i], CV_ACT_ADDR_DEL, 0, NULL, false);
}

/* Is a check of VIP name (or any other operation of it) under way already? */
static bool
in_flight(const struct osb *b, const char *name)
{
	for (const struct pending *q = b->ops; q; q = q->next)
		if (strcmp(q->name, name) == 0)
			return true;
	return false;
}

/*
 * Nothing lapses in Neutron: a refresh is a check, of the floating IP's
 * association or of our port's pairs (L2 renews the address of a pair
 * mode's VIP itself). The daemon hears one RENEW once every check is done
 * (a VIP whose last operation is still under way is not checked again);
 * one-shot, each VIP's RENEW.
 */
static void
refresh(struct cv_backend *base, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct osb *b = osb_of(base);
	struct round *round = NULL;

	if (!b->env.oneshot) {
		round = calloc(1, sizeof(*round));
		if (!round)
			return b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL);
		round->left = 1; /* this call's own, dropped at its end */
	}
	for (size_t i = 0; i < n; i++) {
		if (round && in_flight(b, held[i].conf->head.name))
			continue;
		if (round)
			round->left++;
		submit(b, &held[i], CV_ACT_RENEW, lease_s, round, false);
	}
	if (round && --round->left == 0) {
		free(round);
		b->env.result(b->env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	}
}

static void
free_dead(struct osb *b)
{
	while (b->dead) {
		struct pending *p = b->dead;

		b->dead = p->next;
		free(p);
	}
}

/*
 * The config goes: what is under way names the next config's VIP of the same
 * name, or its own stub (the executor reads only the name; L2, to release a
 * pair mode's address, its address and interface).
 */
static void
switch_config(struct cv_backend *base, const struct cv_config *next)
{
	struct osb *b = osb_of(base);

	b->cfg = next;
	cv_osb_seen_switch(b, next);
	free_dead(b);
	for (struct pending *p = b->ops; p; p = p->next) {
		const struct cv_vip_conf *v = next ? cv_config_find_vip(next, p->name) : NULL;

		/* the same address on the same interface (what L2 is handed):
		 * a changed one is another holding, the old one's an orphan's */
		if (v && v->backend == CV_BACKEND_OPENSTACK && v->mode == p->mode &&
		    cv_vip_addrs_equal(&v->addrs, &p->conf->addrs) &&
		    strcmp(v->interface ? v->interface : "", p->conf->interface ? p->conf->interface : "") == 0) {
			p->conf = v;
			p->vip = (uint32_t)(v - next->vips);
			continue;
		}
		p->stub = (struct cv_vip_conf){ .head = { .name = p->name },
						 .backend = CV_BACKEND_OPENSTACK,
						 .mode = p->mode,
						 .interface = p->ifname[0] ? p->ifname : NULL,
						 .addrs = p->conf->addrs };
		p->conf = &p->stub;
	}
	cv_osb_clients_switch(b, next);
	if (next && b->timer) /* read ahead of the next config's floating IPs now */
		(void)cv_loop_timer_in(b->timer, 0);
}

static void destroy(struct cv_backend *base);

static int
create(const struct cv_backend_env *env, struct cv_backend **ret)
{
	struct osb *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	*b = (struct osb){ .base = { .ops = &cv_openstack_backend }, .env = *env };
	r = cv_http_new(env->loop, &b->http);
	/* one-shot: nothing to read ahead for, releases are real ones */
	if (r >= 0 && !env->oneshot)
		r = cv_loop_timer_new(env->loop, on_timer, b, &b->timer);
	if (r < 0) {
		destroy(&b->base);
		return r;
	}
	*ret = &b->base;
	return 0;
}

/* What is under way stops unreported (backend.h: the daemon is going). */
static void
destroy(struct cv_backend *base)
{
	struct osb *b = osb_of(base);

	while (b->ops) {
		struct pending *p = b->ops;

		b->ops = p->next;
		if (p->round && --p->round->left == 0)
			free(p->round);
		cv_os_op_cancel(p->os_op);
		free(p);
	}
	free_dead(b);
	cv_osb_clients_free(b); /* their operations go with them, unreported */
	while (b->chores) {
		struct chore *ch = b->chores;

		b->chores = ch->next;
		free(ch);
	}
	cv_loop_timer_free(b->timer);
	cv_http_free(b->http);
	free(b->late);
	free(b->held);
	free(b->checked);
	free(b->seen);
	free(b);
}

const struct cv_backend_ops cv_openstack_backend = {
	.kind = CV_BACKEND_OPENSTACK,
	.create = create,
	.destroy = destroy,
	.switch_config = switch_config,
	.acquire = acquire,
	.release = release,
	.refresh = refresh,
	.announce = NULL, /* Neutron tells the router, or L2 announces (pair modes) */
	.status = cv_osb_status,
};
