/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend's floating-IP mode (os-backend.c): a VIP is a
 * Neutron floating IP, held when it is associated with this node's port.
 * acquire moves it here (os-client.h: compare-and-swap by revision, the
 * move's stamp in its description), refresh reads it and tells the engine
 * of a VIP that is not ours any more (env->gone). There is no lease to
 * renew and nothing to announce: Neutron programs the router.
 *
 * A release in the daemon is a hand-over: reported at once, the floating
 * IP left on our port, so that a planned move is one PUT, the taker's, and
 * traffic reaches us until it lands (a floating IP is on one port at most:
 * leaving it costs no safety). If nobody has taken it op_timeout + 5 s
 * later, we detach it then, only if no newer move took it (the stamp). A
 * one-shot release (the OCF agent's stop) detaches at once and reports the
 * outcome: a failed one is not released.
 *
 * Ahead of any take, every floating IP of the config that we do not hold
 * is read (at the start, at each reload, every READ_AHEAD_MS): the token
 * and its revision are then cached, and its address checked, and a take is
 * one PUT.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-macros.h"
#include "loop-timer.h"
#include "os-backend-int.h"

/* ---- what this backend holds ---- */

void
cv_osb_held_drop(struct osb *b, const char *name)
{
	for (size_t i = 0; i < b->n_held; i++)
		if (strcmp(b->held[i].name, name) == 0) {
			b->held[i] = b->held[--b->n_held];
			return;
		}
}

static void
held_add(struct osb *b, const struct pending *p)
{
	struct held *v;

	cv_osb_held_drop(b, p->name);
	v = realloc(b->held, (b->n_held + 1) * sizeof(*v));
	if (!v)
		return; /* a lost move goes unnoticed until the next refresh */
	b->held = v;
	v = &b->held[b->n_held++];
	snprintf(v->name, sizeof(v->name), "%s", p->name);
	snprintf(v->fip, sizeof(v->fip), "%s", p->fip);
	snprintf(v->port, sizeof(v->port), "%s", p->port);
}

/* Tell whoever listens that VIP name is not ours: by name, the conf may be gone. */
static void
tell_gone(struct osb *b, const char *name)
{
	struct cv_vip_conf stub = { .head = { .name = (char *)name },
				    .backend = CV_BACKEND_OPENSTACK };

	if (b->env.gone)
		b->env.gone(b->env.userdata, &stub);
}

/* The check after one of our moves found a newer move there (os-client.h). */
void
cv_osb_on_lost(void *userdata, const struct cv_os_fip *fip, const char *why)
{
	struct osb *b = userdata;

	for (size_t i = 0; i < b->n_held; i++)
		if (strcmp(b->held[i].fip, fip->id) == 0 && strcmp(b->held[i].port, fip->port_id) != 0) {
			qb_log(LOG_WARNING, "VIP '%s': not ours any more: %s", b->held[i].name, why);
			cv_osb_seen_fip(b, b->held[i].name, fip);
			tell_gone(b, b->held[i].name);
		}
}

static bool
was_checked(const struct osb *b, const char *fip)
{
	for (size_t i = 0; i < b->n_checked; i++)
		if (strcmp(b->checked[i], fip) == 0)
			return true;
	return false;
}

static void
mark_checked(struct osb *b, const char *fip)
{
	char(*v)[CV_OS_ID_MAX + 1] = realloc(b->checked, (b->n_checked + 1) * sizeof(*v));

	if (!v || was_checked(b, fip))
		return; /* unmarked: read again next time */
	b->checked = v;
	snprintf(b->checked[b->n_checked++], sizeof(*v), "%s", fip);
}

/* ---- releases handed over, reads ahead ---- */

#define READ_AHEAD_MS 30000u
#define LATE_MARGIN_MS 5000u

void
cv_osb_late_drop(struct osb *b, const char *fip)
{
	for (size_t i = 0; i < b->n_late;)
		if (strcmp(b->late[i].fip, fip) == 0)
			b->late[i] = b->late[--b->n_late];
		else
			i++;
}

static uint64_t
mono_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/* p's release handed over: its detach op_timeout + 5 s later (if nobody took it). */
static void
late_add(struct pending *p)
{
	struct osb *b = p->b;
	uint32_t op_ms = p->cl->conf.op_timeout_ms ? p->cl->conf.op_timeout_ms : 15000;
	struct late *v = realloc(b->late, (b->n_late + 1) * sizeof(*v));

	cv_osb_late_drop(b, p->fip);
	if (!v)
		return; /* left on our port: the next take moves it */
	b->late = v;
	v = &b->late[b->n_late++];
	*v = (struct late){ .ring = p->ring, .epoch = p->epoch,
			    .due = mono_ms() + op_ms + LATE_MARGIN_MS };
	snprintf(v->name, sizeof(v->name), "%s", p->name);
	snprintf(v->fip, sizeof(v->fip), "%s", p->fip);
	if (b->timer)
		(void)cv_loop_timer_at(b->timer, CV_MIN(v->due, b->read_ahead_at));
}

/* Is VIP name's floating IP ours, or something of it under way? */
static bool
busy_or_held(const struct osb *b, const char *name)
{
	for (size_t i = 0; i < b->n_held; i++)
		if (strcmp(b->held[i].name, name) == 0)
			return true;
	for (const struct pending *q = b->ops; q; q = q->next)
		if (strcmp(q->name, name) == 0)
			return true;
	return false;
}

static const struct cv_vip_conf *
fip_vip(const struct osb *b, const char *name)
{
	const struct cv_vip_conf *v = b->cfg ? cv_config_find_vip(b->cfg, name) : NULL;

	return v && v->backend == CV_BACKEND_OPENSTACK && v->mode == CV_CLOUD_FLOATING_IP ? v : NULL;
}

uint64_t
cv_osb_fip_tick(struct osb *b, uint64_t now)
{
	uint64_t next;

	for (size_t i = 0; i < b->n_late;) {
		struct late l = b->late[i];
		const struct cv_vip_conf *v = fip_vip(b, l.name);

		if (l.due > now) {
			i++;
			continue;
		}
		b->late[i] = b->late[--b->n_late];
		/* a reload removed it or changed its floating IP: not ours to detach */
		if (v && strcmp(v->floating_ip, l.fip) == 0 && !busy_or_held(b, l.name))
			cv_osb_submit_quiet(b, v, CV_ACT_ADDR_DEL, l.ring, l.epoch);
	}
	if (now >= b->read_ahead_at) {
		for (size_t i = 0; b->cfg && i < b->cfg->n_vips; i++) {
			const struct cv_vip_conf *v = &b->cfg->vips[i];

			if (fip_vip(b, v->head.name) && !busy_or_held(b, v->head.name))
				cv_osb_submit_quiet(b, v, CV_ACT_RENEW, 0, 0);
		}
		b->read_ahead_at = now + READ_AHEAD_MS;
	}
	next = b->read_ahead_at;
	for (size_t i = 0; i < b->n_late; i++)
		next = CV_MIN(next, b->late[i].due);
	return next;
}

/* ---- operations ---- */

/* The engine's view's ring and its epoch of the move (os-client.h). */
static struct cv_os_stamp
stamp_of(const struct pending *p)
{
	return (struct cv_os_stamp){ .ring = p->ring, .epoch = p->epoch };
}

static void on_done(void *userdata, int err, const struct cv_os_fip *fip, const char *why);

/* A refresh's outcome: ours iff on our port (and fixed IP, if one is named). */
static void
checked_ownership(struct pending *p, const struct cv_os_fip *fip)
{
	char why[512];

	if (strcmp(fip->port_id, p->port) == 0 && (!p->fixed_ip[0] || strcmp(fip->fixed_ip, p->fixed_ip) == 0))
		return cv_osb_finish(p, 0, NULL);
	snprintf(why, sizeof(why), "floating IP %s is on port %s (%s), not ours (%s)", fip->id,
		 fip->port_id[0] ? fip->port_id : "none", fip->description, p->port);
	qb_log(LOG_WARNING, "VIP '%s': %s", p->name, why);
	if (!p->b->env.oneshot)
		tell_gone(p->b, p->name);
	cv_osb_finish(p, p->b->env.oneshot ? -EADDRNOTAVAIL : 0, why);
}

/* A read ahead: cached now (os-client), its address checked for the take. */
static void
read_ahead(struct pending *p, const struct cv_os_fip *fip)
{
	struct cv_addr a;

	if (cv_addr_parse_host(fip->address, &a) >= 0 && cv_addr_same_host(&a, &p->addr))
		mark_checked(p->b, p->fip);
	cv_osb_finish(p, 0, NULL);
}

/* Before the first move of a floating IP: is it the VIP's address? Then move. */
static void
checked_address(struct pending *p, const struct cv_os_fip *fip)
{
	struct cv_addr a;
	char why[512], want[CV_ADDR_STRLEN];
	int r;

	p->checking = false;
	if (cv_addr_parse_host(fip->address, &a) < 0 || !cv_addr_same_host(&a, &p->addr)) {
		snprintf(why, sizeof(why), "floating IP %s has the address %s, not the VIP's %s",
			 fip->id, fip->address, cv_addr_format(&p->addr, false, want, sizeof(want)));
		return cv_osb_finish(p, -EADDRNOTAVAIL, why);
	}
	mark_checked(p->b, p->fip);
	r = cv_os_fip_move(p->cl->os, p->fip, p->port, p->fixed_ip[0] ? p->fixed_ip : NULL, stamp_of(p),
			   on_done, p, &p->os_op);
	if (r < 0)
		cv_osb_finish(p, r, "the move could not be started");
}

static void
on_done(void *userdata, int err, const struct cv_os_fip *fip, const char *why)
{
	struct pending *p = userdata;

	p->os_op = NULL;
	if (fip)
		cv_osb_seen_fip(p->b, p->name, fip);
	if (err < 0)
		return cv_osb_finish(p, err, why);
	if (p->checking)
		return checked_address(p, fip);
	if (p->op == CV_ACT_RENEW && p->quiet)
		return read_ahead(p, fip);
	if (p->op == CV_ACT_RENEW)
		return checked_ownership(p, fip);
	if (p->op == CV_ACT_ADDR_ADD)
		held_add(p->b, p);
	cv_osb_finish(p, 0, NULL);
}

/* The client call of p (its floating IP's turn has come). */
void
cv_osb_fip_start(struct pending *p)
{
	struct cv_os_client *c = p->cl->os;
	const char *fixed = p->fixed_ip[0] ? p->fixed_ip : NULL;
	struct cv_os_op *op = NULL;
	int r;

	p->checking = p->op == CV_ACT_ADDR_ADD && !was_checked(p->b, p->fip);
	/* (again: a take queued before it may have ended since it was asked) */
	if (p->op == CV_ACT_ADDR_DEL && !p->quiet)
		cv_osb_held_drop(p->b, p->name);
	if (p->op == CV_ACT_ADDR_DEL && !p->quiet && !p->b->env.oneshot) {
		late_add(p); /* handed over: the taker's move is the release */
		return cv_osb_finish(p, 0, NULL);
	}
	if (p->op == CV_ACT_RENEW || p->checking)
		r = cv_os_fip_show(c, p->fip, on_done, p, &op);
	else if (p->op == CV_ACT_ADDR_ADD)
		r = cv_os_fip_move(c, p->fip, p->port, fixed, stamp_of(p), on_done, p, &op);
	else
		r = cv_os_fip_release(c, p->fip, p->port, stamp_of(p), on_done, p, &op);
	if (r < 0)
		return cv_osb_finish(p, r, "the call could not be started");
	p->os_op = op;
}
