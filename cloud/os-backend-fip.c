/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend's floating-IP mode (os-backend.c): a VIP is a
 * Neutron floating IP, held when it is associated with this node's port.
 * acquire moves it here (os-client.h: compare-and-swap by revision, the
 * cluster epoch in its description), release detaches it (only if it is
 * still ours), refresh reads it and tells the engine of a VIP that is not
 * ours any more (env->gone). There is no lease to renew and nothing to
 * announce: Neutron programs the router.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>

#include "cv-macros.h"
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
