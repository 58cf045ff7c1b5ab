/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The L2 backend (backend.h): a VIP is an address on its interface, added
 * over netlink with our owner tag and the kernel lease, announced by GARP or
 * unsolicited NA (l2-announce.c). The address work of each step is queued
 * and run in netlink batches by l2-batch.c, the reaper's and reconcile's
 * sweep is l2-sweep.c.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "garp.h"
#include "l2-backend.h"
#include "l2-int.h"

static struct l2 *
l2_of(struct cv_backend *b)
{
	return container_of(b, struct l2, base);
}

void
l2_result(struct l2 *x, const struct cv_vip_conf *conf, enum cv_action_type op, uint64_t epoch,
	  int err, const char *detail)
{
	if (conf && conf->group)
		l2_group_result(x, conf, op, epoch, err, detail);
	else
		x->env.result(x->env.userdata, conf, op, epoch, err, detail);
}

void
l2_announced(struct l2 *x, const struct cv_vip_conf *conf, uint64_t epoch, int err)
{
	if (x->env.oneshot)
		l2_result(x, conf, CV_ACT_ANNOUNCE, epoch, err, NULL);
}

void
l2_progress(struct l2 *x)
{
	if (x->env.progress)
		x->env.progress();
}

/* The engine's VIP that a is, if the engine holds it there; else -ENOENT. */
static int
held_vip(struct l2 *x, const struct cv_engine *engine, const struct cv_nl_addr *a)
{
	const struct cv_config *cfg = engine ? cv_engine_config(engine) : NULL;
	size_t k = 0;
	const struct cv_vip_conf *v = cfg ? cv_config_find_vip_by_host(cfg, &a->addr, &k) : NULL;
	size_t i = v ? (size_t)(v - cfg->vips) : 0;
	const char *ifname = v ? cv_vip_addr_ifname(v, k) : NULL;
	struct cv_nl_link link;

	if (!v || cv_engine_vip_state(engine, i) != CV_VIP_HELD || !ifname ||
	    l2_link(x, ifname, &link, NULL) < 0 || link.ifindex != a->ifindex)
		return -ENOENT;
	return (int)i;
}

struct reconcile_ctx {
	const struct cv_engine *engine;
	uint8_t *seen; /* per VIP: how many of its addresses are there */
	struct l2 *x;
};

static bool
keep_held(void *userdata, const struct cv_nl_addr *a)
{
	struct reconcile_ctx *c = userdata;
	int i = held_vip(c->x, c->engine, a);

	l2_progress(c->x);
	if (i < 0)
		return false;
	c->seen[i]++;
	return true;
}

static int
reconcile(struct l2 *x, const struct cv_owned *owned, const struct cv_engine *engine,
	  void (*gone)(void *userdata, size_t vip), void *userdata)
{
	size_t n_vips = engine ? cv_engine_n_vips(engine) : 0, found;
	_cleanup_free_ uint8_t *seen = calloc(n_vips ? n_vips : 1, sizeof(*seen));
	struct reconcile_ctx c = { .engine = engine, .seen = seen, .x = x };
	int left;

	if (!seen)
		return -ENOMEM;
	/* While address work is queued the kernel is ahead of the engine (an
	 * add done, its result not heard yet): compare them once it is done.
	 * Without an engine everything of ours goes, and the work with it. */
	if (!engine)
		l2_work_drop(x);
	else if (x->work)
		return 0;
	left = cv_l2_sweep(x->nl, owned, keep_held, &c, &found);
	if (left < 0)
		return left;
	/* a group with an address missing is gone too: its add takes it
	 * whole (the other backends' VIPs have no address here) */
	for (size_t i = 0; gone && i < n_vips; i++)
		if (seen[i] < cv_engine_config(engine)->vips[i].addrs.n &&
		    cv_vip_mover(&cv_engine_config(engine)->vips[i]) == CV_BACKEND_L2 &&
		    cv_engine_vip_state(engine, i) == CV_VIP_HELD)
			gone(userdata, i);
	return left;
}

/*
 * The batch as its members' ops (l2-group.c), a copy to sort; NULL: every
 * VIP of it failed (reported for ADD and DEL; a RENEW has one result, the
 * executor's).
 */
static struct cv_backend_op *
copy_ops(struct l2 *x, const struct cv_backend_op *ops, size_t n, enum cv_action_type op,
	 size_t *ret_n)
{
	struct cv_backend_op *v = l2_expand(x, ops, n, op, ret_n);

	if (!v && op == CV_ACT_RENEW && !x->env.oneshot)
		l2_result(x, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL); /* the refresh's one result */
	else if (!v)
		for (size_t i = 0; i < n; i++)
			l2_result(x, ops[i].conf, op, ops[i].epoch, -ENOMEM, NULL);
	return v;
}

static void
acquire(struct cv_backend *b, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	struct l2 *x = l2_of(b);
	size_t m;
	struct cv_backend_op *v = copy_ops(x, ops, n, CV_ACT_ADDR_ADD, &m);

	if (!v)
		return;
	for (size_t i = 0; i < m; i++)
		l2_note_remove(l2_note_find(x, v[i].conf)); /* from an earlier hold */
	l2_work_push(x, CV_NL_ADD, lease_s, v, m);
}

static void
release(struct cv_backend *b, const struct cv_backend_op *ops, size_t n)
{
	struct l2 *x = l2_of(b);
	struct cv_backend_op *v;
	size_t n_members, m = 0;

	/* a group's add not heard whole yet is over: its members' cancelled
	 * adds report nothing (l2_work_cancel_add) */
	for (size_t i = 0; i < n; i++)
		if (ops[i].conf->n_members)
			l2_group_forget(x, ops[i].conf, CV_ACT_ADDR_ADD);
	v = copy_ops(x, ops, n, CV_ACT_ADDR_DEL, &n_members);
	if (!v)
		return;
	for (size_t i = 0; i < n_members; i++) {
		struct note *note = l2_note_find(x, v[i].conf);
		bool foreign = note && note->kind == NOTE_FOREIGN;

		l2_cancel_burst(x, v[i].vip, v[i].conf);
		l2_work_cancel_add(x, v[i].vip, v[i].conf);
		l2_note_remove(note);
		if (foreign) /* the admin's address was never ours: nothing to remove */
			l2_result(x, v[i].conf, CV_ACT_ADDR_DEL, v[i].epoch, 0, NULL);
		else
			v[m++] = v[i];
	}
	l2_work_push(x, CV_NL_DEL, 0, v, m);
}

static void
refresh(struct cv_backend *b, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct l2 *x = l2_of(b);
	size_t m;
	struct cv_backend_op *v = copy_ops(x, held, n, CV_ACT_RENEW, &m);

	if (v)
		l2_work_push(x, CV_NL_RENEW, lease_s, v, m);
}

static void
announce(struct cv_backend *b, const struct cv_backend_op *op)
{
	struct l2 *x = l2_of(b);
	size_t m;
	_cleanup_free_ struct cv_backend_op *v = l2_expand(x, op, 1, CV_ACT_ANNOUNCE, &m);

	if (!v)
		l2_announced(x, op->conf, op->epoch, -ENOMEM);
	for (size_t i = 0; v && i < m; i++)
		l2_announce_when_ready(x, &v[i]);
}

static void
switch_config(struct cv_backend *b, const struct cv_config *next)
{
	struct l2 *x = l2_of(b);

	l2_work_drain(x); /* it points into the config that is going */
	l2_switch_config(x, next);
	l2_group_clear(x, false);
}

/* One-shot: what the daemon's monitor would pass on (cv_l2_on_addr, cv_l2_recheck). */
static int
on_event(void *userdata, const struct cv_nl_monitor_event *ev)
{
	struct l2 *x = userdata;

	if (ev->type == CV_NLMON_RESYNC)
		l2_recheck(x);
	else if (ev->type == CV_NLMON_ADDR_NEW || ev->type == CV_NLMON_ADDR_DEL)
		(void)l2_on_addr(x, &ev->addr, ev->type == CV_NLMON_ADDR_DEL);
	return 0;
}

static int32_t
on_monitor(int32_t fd, int32_t revents, void *data)
{
	struct l2 *x = data;
	int r = cv_nl_monitor_dispatch(x->mon);

	if (r < 0 && r != -EAGAIN)
		qb_log(LOG_WARNING, "netlink monitor: %s, ignoring", cv_strerror(r));
	return 0;
}

/*
 * A one-shot run has no daemon to feed us address notifications (IPv6 DAD):
 * subscribe here, before any add, so that none is missed. The monitor is
 * L2's own business; the runner (backend/) stays backend-neutral.
 */
static int
watch(struct l2 *x)
{
	int r = cv_nl_monitor_new(on_event, x, &x->mon);

	if (r < 0)
		return r;
	(void)cv_nl_monitor_drop_ipv4_new(x->mon); /* DAD is IPv6's; unfiltered they are ignored */
	r = qb_loop_poll_add(x->env.loop, QB_LOOP_HIGH, cv_nl_monitor_fd(x->mon), POLLIN, x,
			     on_monitor);
	if (r < 0)
		x->mon = cv_nl_monitor_free(x->mon);
	return r;
}

static void destroy(struct cv_backend *b);

static int
create(const struct cv_backend_env *env, struct cv_backend **ret)
{
	struct l2 *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	*x = (struct l2){ .base = { .ops = &cv_l2_backend },
			  .env = *env,
			  .chunk = L2_CHUNK_MAX };
	l2_socks_init(&x->garp);
	l2_socks_init(&x->ndisc);
	r = cv_nl_new(&x->nl);
	if (r >= 0 && env->oneshot)
		r = watch(x);
	if (r < 0) {
		destroy(&x->base);
		return r;
	}
	*ret = &x->base;
	return 0;
}

static void
destroy(struct cv_backend *b)
{
	struct l2 *x;

	if (!b)
		return;
	x = l2_of(b);
	if (x->mon) {
		qb_loop_poll_del(x->env.loop, cv_nl_monitor_fd(x->mon));
		cv_nl_monitor_free(x->mon);
	}
	l2_work_drop(x);
	l2_switch_config(x, NULL);
	l2_group_clear(x, true);
	/* One-shot: the process exits next, and its exit need not wait for the
	 * AF_PACKET closes either (the child inherits every socket; slot 0 is
	 * the first one filled). */
	if (x->env.oneshot)
		cv_garp_close_detached(x->garp.v[0].fd);
	l2_socks_close(&x->garp);
	l2_socks_close(&x->ndisc);
	cv_nl_free(x->nl);
	free(x);
}

const struct cv_backend_ops cv_l2_backend = {
	.kind = CV_BACKEND_L2,
	.create = create,
	.destroy = destroy,
	.switch_config = switch_config,
	.acquire = acquire,
	.release = release,
	.refresh = refresh,
	.announce = announce,
};

/* ---- what only L2 has: the daemon's monitor, link and conflict paths ---- */

static struct l2 *
l2_checked(struct cv_backend *b)
{
	return b && b->ops == &cv_l2_backend ? l2_of(b) : NULL;
}

bool
cv_l2_on_addr(struct cv_backend *b, const struct cv_nl_addr *a, bool gone)
{
	struct l2 *x = l2_checked(b);

	return x && l2_on_addr(x, a, gone);
}

void
cv_l2_recheck(struct cv_backend *b)
{
	struct l2 *x = l2_checked(b);

	if (x)
		l2_recheck(x);
}

bool
cv_l2_link_up(struct cv_backend *b, const char *ifname)
{
	struct l2 *x = l2_checked(b);

	return x && l2_link_up(x, ifname);
}

bool
cv_l2_own_mac(struct cv_backend *b, int ifindex, const struct cv_mac *mac)
{
	struct l2 *x = l2_checked(b);

	return x && l2_own_mac(x, ifindex, mac);
}

int
cv_l2_reconcile(struct cv_backend *b, const struct cv_owned *owned, const struct cv_engine *engine,
		void (*gone)(void *userdata, size_t vip), void *userdata)
{
	struct l2 *x = l2_checked(b);

	return x ? reconcile(x, owned, engine, gone, userdata) : -EINVAL;
}
