/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OpenStack backend's pair modes (os-backend.c): the VIP's address is
 * ours on an interface and the L2 backend adds, renews, announces and
 * removes it (env->backend_of; its results go to the daemon as its own).
 * Neutron's port security drops what a port sends from, or is sent to, an
 * address it does not allow: the address must be in our port's allowed
 * address pairs while we hold it.
 *
 * address_pairs, a takeover: (1) add the address to our port's pairs
 * (os-client.h: one PUT with the revision cached, none if it is there;
 * compare-and-swap, checked again after it), (2) hand the address to L2,
 * which adds and announces it, (3) then, not waited for, list the ports of
 * our port's network that have the pair (one GET) and remove it from each
 * other one (a PUT each, compare-and-swap): the last holder's, which a dead
 * node cannot remove. A release is L2's alone: the address goes at once,
 * the pair stays until the next holder removes it (a pair lets traffic
 * through, it routes nothing to us).
 *
 * vip_port: the address is reserved by a port of its own and every
 * member's port has the pair already: a takeover is L2's alone, and the API
 * only checks, not waited for, that our port still has it (and adds it back
 * if not, saying so), and that the vip_port named has the address (said if
 * not: making ports is provisioning).
 *
 * Both: every renewal round reads our port (one GET per VIP) and adds the
 * pair back if someone removed it. When the API is down nothing of this
 * stops a takeover in vip_port mode; in address_pairs mode the add fails
 * (after op_timeout) and the VIP goes to another node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "os-backend-int.h"

/* ---- chores: client calls no operation waits for ---- */

static struct chore *
chore_new(struct osb *b, struct client *cl, const char *name, const char *port, const char *ip)
{
	struct chore *ch = calloc(1, sizeof(*ch));

	if (!ch)
		return NULL;
	ch->b = b;
	ch->cl = cl;
	cl->busy++;
	snprintf(ch->name, sizeof(ch->name), "%s", name);
	snprintf(ch->port, sizeof(ch->port), "%s", port);
	snprintf(ch->ip, sizeof(ch->ip), "%s", ip);
	ch->next = b->chores;
	b->chores = ch;
	return ch;
}

static void
chore_done(struct chore *ch)
{
	struct osb *b = ch->b;
	struct client *cl = ch->cl;

	for (struct chore **q = &b->chores; *q; q = &(*q)->next)
		if (*q == ch) {
			*q = ch->next;
			break;
		}
	free(ch);
	if (--cl->busy == 0 && cl->retired)
		cv_osb_client_free(b, cl);
}

static void
on_other_cleared(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	struct chore *ch = userdata;

	if (err < 0)
		qb_log(LOG_WARNING, "VIP '%s': removing %s from port %s (a last holder's) failed: %s",
		       ch->name, ch->ip, ch->port, why);
	else
		qb_log(LOG_INFO, "VIP '%s': %s removed from port %s (a last holder's pairs)", ch->name,
		       ch->ip, ch->port);
	chore_done(ch);
}

static void
on_others_found(void *userdata, int err, const struct cv_os_port *ports, size_t n, const char *why)
{
	struct chore *ch = userdata;

	if (err < 0)
		qb_log(LOG_WARNING, "VIP '%s': finding the ports that allow %s failed: %s", ch->name,
		       ch->ip, why);
	for (size_t i = 0; err >= 0 && i < n; i++) {
		struct chore *rm;
		struct cv_os_op *op;

		if (strcmp(ports[i].id, ch->port) == 0)
			continue;
		rm = chore_new(ch->b, ch->cl, ch->name, ports[i].id, ch->ip);
		if (rm && cv_os_port_pair_remove(ch->cl->os, ports[i].id, ch->ip, on_other_cleared, rm,
						 &op) < 0)
			chore_done(rm);
	}
	chore_done(ch);
}

/* address_pairs, after our add: the address off every other port of the network. */
static void
clear_others(struct pending *p, const char *ip)
{
	struct chore *ch = chore_new(p->b, p->cl, p->name, p->port, ip);
	struct cv_os_op *op;

	if (ch && cv_os_ports_with_pair(p->cl->os, NULL, p->port, ip, on_others_found, ch, &op) < 0)
		chore_done(ch);
}

static void
on_repaired(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	struct chore *ch = userdata;

	if (port)
		cv_osb_seen_port(ch->b, ch->name, port, ch->ip);
	if (err < 0)
		qb_log(LOG_ERR, "VIP '%s': adding %s to our port %s's pairs failed: %s", ch->name,
		       ch->ip, ch->port, why);
	chore_done(ch);
}

/* Our port without the pair: someone removed it. Add it back, and say so. */
static void
repair(struct osb *b, struct client *cl, const char *name, const char *port, const char *ip)
{
	struct chore *ch = chore_new(b, cl, name, port, ip);
	struct cv_os_op *op;

	qb_log(LOG_WARNING, "VIP '%s': our port %s does not allow %s (its pair was removed): adding it",
	       name, port, ip);
	if (ch && cv_os_port_pair_add(cl->os, port, ip, on_repaired, ch, &op) < 0)
		chore_done(ch);
}

static void
on_checked(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	struct chore *ch = userdata;

	if (port)
		cv_osb_seen_port(ch->b, ch->name, port, ch->ip);
	if (err < 0)
		qb_log(LOG_WARNING, "VIP '%s': reading our port %s failed: %s", ch->name, ch->port, why);
	else if (!cv_os_port_allows(port, ch->ip))
		repair(ch->b, ch->cl, ch->name, ch->port, ch->ip);
	chore_done(ch);
}

/* vip_port, at a takeover: does our port still allow the address? Not waited for. */
static void
check_port(struct pending *p, const char *ip)
{
	struct chore *ch = chore_new(p->b, p->cl, p->name, p->port, ip);
	struct cv_os_op *op;

	if (ch && cv_os_port_show(p->cl->os, p->port, on_checked, ch, &op) < 0)
		chore_done(ch);
}

static void
on_reservation_read(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	struct chore *ch = userdata;

	if (err < 0)
		qb_log(LOG_ERR, "VIP '%s': reading its vip_port %s failed: %s", ch->name, ch->port, why);
	else if (strcmp(port->fixed_ip, ch->ip) != 0)
		qb_log(LOG_ERR, "VIP '%s': its vip_port %s has the address %s, not %s: nothing "
		       "reserves the VIP's address in Neutron", ch->name, ch->port,
		       port->fixed_ip[0] ? port->fixed_ip : "(none)", ch->ip);
	chore_done(ch);
}

/* vip_port: does the port named reserve the address? Said, not repaired
 * (making ports is provisioning, not failover). */
static void
check_reservation(struct pending *p, const char *ip)
{
	struct chore *ch;
	struct cv_os_op *op;

	if (!p->conf->vip_port)
		return;
	ch = chore_new(p->b, p->cl, p->name, p->conf->vip_port, ip);
	if (ch && cv_os_port_show(p->cl->os, p->conf->vip_port, on_reservation_read, ch, &op) < 0)
		chore_done(ch);
}

/* ---- operations ---- */

/* The address to L2 (its add or removal), which reports it; p is over here. */
static void
hand_to_l2(struct pending *p)
{
	struct cv_backend_op op = { .conf = p->conf, .vip = p->vip, .epoch = p->epoch,
				    .ring = p->ring };

	if (p->op == CV_ACT_ADDR_ADD && p->conf == &p->stub)
		return cv_osb_finish(p, -ECANCELED, "a reload removed the VIP");
	/* before p leaves the queue: the next of this VIP (its release) goes
	 * to L2 after this */
	if (cv_backend_to_l2(&p->b->env, &op, p->op == CV_ACT_ADDR_ADD, p->lease_s) < 0)
		return cv_osb_finish(p, -EOPNOTSUPP, "the pair modes need the daemon's L2 backend");
	cv_osb_handed(p);
}

/* The answer to p's call: noted for status; ip: the VIP's address. */
static struct pending *
answered(void *userdata, const struct cv_os_port *port, char *ip, size_t len)
{
	struct pending *p = userdata;

	p->os_op = NULL;
	cv_addr_format(&p->addr, false, ip, len);
	if (port)
		cv_osb_seen_port(p->b, p->name, port, ip);
	return p;
}

/* address_pairs: our port allows the address now (or could not be made to). */
static void
on_opened(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	char ip[CV_ADDR_STRLEN];
	struct pending *p = answered(userdata, port, ip, sizeof(ip));

	if (err < 0)
		return cv_osb_finish(p, err, why);
	cv_osb_seen_outcome(p->b, p->name, p->port, 0, NULL);
	clear_others(p, ip);
	hand_to_l2(p);
}

/* A renewal round's check of our port. */
static void
on_renew_read(void *userdata, int err, const struct cv_os_port *port, const char *why)
{
	char ip[CV_ADDR_STRLEN];
	struct pending *p = answered(userdata, port, ip, sizeof(ip));

	if (err >= 0 && !cv_os_port_allows(port, ip))
		repair(p->b, p->cl, p->name, p->port, ip);
	cv_osb_finish(p, err, why);
}

void
cv_osb_pairs_start(struct pending *p)
{
	char ip[CV_ADDR_STRLEN];
	int r = 0;

	cv_addr_format(&p->addr, false, ip, sizeof(ip));
	if (p->op == CV_ACT_ADDR_DEL)
		return hand_to_l2(p);
	if (p->op == CV_ACT_ADDR_ADD && p->mode == CV_CLOUD_VIP_PORT) {
		check_port(p, ip);
		check_reservation(p, ip);
		return hand_to_l2(p);
	}
	if (p->op == CV_ACT_ADDR_ADD)
		r = cv_os_port_pair_add(p->cl->os, p->port, ip, on_opened, p, &p->os_op);
	else
		r = cv_os_port_show(p->cl->os, p->port, on_renew_read, p, &p->os_op);
	if (r < 0)
		cv_osb_finish(p, r, "the call could not be started");
}
