/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The L2 backend (backend.h): a VIP is an address on its interface, added
 * over netlink with our owner tag and the kernel lease, announced by GARP or
 * unsolicited NA (l2-announce.c). An engine step's acquires, releases and
 * the renewal go to the kernel as one netlink batch per operation and
 * interface (design.md rule 6), the interface looked up once, at most 256
 * requests per call (fewer when the kernel is slow) with a beat between two:
 * a takeover of thousands of VIPs is a few round trips. Each VIP's outcome is reported on its own; failures are
 * logged once per batch with a count (each VIP at debug).
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

/* One batch: the VIPs of one operation on one interface. */
struct batch {
	enum cv_nl_op op;
	const char *ifname;
	const struct cv_backend_op *ops;
	size_t n;
	struct cv_nl_addr_req *reqs;
	int *raw;	 /* the kernel's own answer per request */
	int *err;	 /* what it means: 0 (done, idempotent included) or -errno */
	struct cv_nl_link link;
	struct cv_nl_error nlerr; /* the first failure; index: of the batch */
};

/* The kernel's words on request i's failure, if they were about it. */
static const char *
detail_of(const struct batch *b, size_t i)
{
	return b->err[i] < 0 && b->nlerr.msg[0] && b->nlerr.index == i ? b->nlerr.msg : NULL;
}

static void
log_failures(const struct batch *b, const struct cv_nl_error *nlerr)
{
	size_t failed = 0, first = b->n;
	char buf[CV_ADDR_STRLEN];

	for (size_t i = 0; i < b->n; i++)
		if (b->err[i] < 0) {
			first = failed++ ? first : i;
			qb_log(LOG_DEBUG, "VIP '%s': %s on %s failed: %s",
			       b->ops[i].conf->head.name, cv_nl_op_to_string(b->op), b->ifname,
			       cv_strerror(b->err[i]));
		}
	if (!failed)
		return;
	qb_log(LOG_ERR, "VIP '%s' (%s on %s): %s failed: %s%s%s%s", b->ops[first].conf->head.name,
	       cv_addr_format(&b->ops[first].conf->address, true, buf, sizeof(buf)), b->ifname,
	       cv_nl_op_to_string(b->op), cv_strerror(b->err[first]),
	       nlerr->msg[0] ? " (kernel: " : "", nlerr->msg, nlerr->msg[0] ? ")" : "");
	if (failed > 1)
		qb_log(LOG_ERR, "%s on %s: %zu of %zu VIPs failed", cv_nl_op_to_string(b->op),
		       b->ifname, failed, b->n);
}

/*
 * Requests per netlink call, the loop beating between two: the kernel does a
 * call's work before it answers, and its cost per address grows with the
 * addresses on the interface (IPv6: the solicited-node group and MLD work of
 * each), so a fixed size that takes a few ms at first takes hundreds at
 * 10,000 VIPs, past the reaper's bound. The size adapts to keep each call
 * near CHUNK_TARGET_MS: halved when one took longer than twice that, doubled
 * when one took less than half.
 */
#define CHUNK_MIN	8
#define CHUNK_MAX	256
#define CHUNK_TARGET_MS 10

static uint64_t
mono_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

static void
adapt_chunk(struct l2 *x, uint64_t took_ms)
{
	if (took_ms > 2 * CHUNK_TARGET_MS)
		x->chunk = CV_MAX(x->chunk / 2, (size_t)CHUNK_MIN);
	else if (took_ms < CHUNK_TARGET_MS / 2)
		x->chunk = CV_MIN(x->chunk * 2, (size_t)CHUNK_MAX);
}

/* One chunk: 0, or -errno of the socket (then what was not answered is unknown). */
static int
chunk_run(struct l2 *x, struct batch *b, size_t off, size_t m, struct cv_nl_error *nlerr)
{
	struct cv_nl_error e = {};
	uint64_t start = mono_ms();
	int r = cv_nl_addr_batch(x->nl, b->op, b->reqs + off, m, b->raw + off, &e);

	adapt_chunk(x, mono_ms() - start);
	l2_progress(x);
	if (r < 0 && !nlerr->err) {
		*nlerr = e; /* the first failure's kernel message, for the log */
		nlerr->index += off;
	}
	/* A request's own failure: each answer says whose (index < m). */
	return r < 0 && e.index >= m ? r : 0;
}

/* The interface once, then the requests in chunks; b->err filled. */
static void
batch_run(struct l2 *x, struct batch *b, uint32_t lease_s)
{
	struct cv_nl_error *nlerr = &b->nlerr;
	int r;

	l2_progress(x);
	r = l2_link(x, b->ifname, &b->link, nlerr);
	nlerr->index = b->n; /* the link's failure is no request's own */
	for (size_t i = 0; r >= 0 && i < b->n; i++) {
		const struct cv_vip_conf *c = b->ops[i].conf;

		b->reqs[i] = (struct cv_nl_addr_req){ .addr = c->address,
						      .ifindex = b->link.ifindex,
						      .lease_s = lease_s,
						      .nodad = c->nodad,
						      .deprecated = c->deprecated,
						      .tag = x->env.tag };
	}
	for (size_t off = 0, m; r >= 0 && off < b->n; off += m) {
		m = CV_MIN(x->chunk, b->n - off);
		r = chunk_run(x, b, off, m, nlerr);
	}
	for (size_t i = 0; i < b->n; i++)
		b->err[i] = r < 0 ? r : cv_nl_op_outcome(b->op, b->raw[i]);
	log_failures(b, nlerr);
}

/*
 * The add found the address there already (-EEXIST). Ours (a previous run,
 * a race with reconcile) is simply held again. Anyone else's stays theirs:
 * the add counts as failed, so placement moves the VIP elsewhere, and
 * neither the announce nor the delete of the release that follows touches it.
 */
static bool
refuse_foreign(struct l2 *x, const struct cv_backend_op *a, const struct cv_nl_addr_req *req)
{
	struct cv_nl_addr found;

	if (cv_nl_addr_find(x->nl, req->ifindex, &req->addr, &found) < 0 || found.proto == x->env.tag)
		return false;
	l2_log_vip(LOG_ERR, a->conf, "address already on the interface and not ours, leaving it alone");
	l2_note_add(x, a, NOTE_FOREIGN, req->ifindex);
	l2_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, -EADDRINUSE, NULL);
	return true;
}

static void
added(struct l2 *x, const struct batch *b, size_t i)
{
	const struct cv_backend_op *a = &b->ops[i];
	const struct cv_nl_addr_req *req = &b->reqs[i];
	bool dad;

	if (b->err[i] < 0) {
		l2_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, b->err[i], detail_of(b, i));
		return;
	}
	if (b->raw[i] == -EEXIST && refuse_foreign(x, a, req))
		return;
	/* The daemon: a DAD failure later is this add's result too (same
	 * epoch). A one-shot run: the add's one result comes when DAD ends. */
	dad = b->raw[i] == 0 && req->addr.family == AF_INET6 && !req->nodad;
	if (!x->env.oneshot || !dad)
		l2_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, 0, NULL);
	if (dad && !l2_dad_start(x, a, req->ifindex) && x->env.oneshot)
		l2_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, 0, NULL);
}

static void
deleted(struct l2 *x, const struct batch *b, size_t i)
{
	const struct cv_backend_op *a = &b->ops[i];

	/* An interface that is gone took the address with it (-ENODEV). */
	if (b->err[i] == -ENODEV)
		l2_result(x, a->conf, CV_ACT_ADDR_DEL, a->epoch, 0, NULL);
	else
		l2_result(x, a->conf, CV_ACT_ADDR_DEL, a->epoch, b->err[i], detail_of(b, i));
}

/* A one-shot run hears of each renewal (the daemon: the executor's one result). */
static void
renewed(struct l2 *x, const struct batch *b, size_t i)
{
	if (x->env.oneshot)
		l2_result(x, b->ops[i].conf, CV_ACT_RENEW, b->ops[i].epoch, b->err[i],
			  detail_of(b, i));
}

/* The engine's VIP that a is, if the engine holds it there; else -ENOENT. */
static int
held_vip(struct l2 *x, const struct cv_engine *engine, const struct cv_nl_addr *a)
{
	const struct cv_config *cfg = engine ? cv_engine_config(engine) : NULL;
	const struct cv_vip_conf *v = cfg ? cv_config_find_vip_by_host(cfg, &a->addr) : NULL;
	size_t i = v ? (size_t)(v - cfg->vips) : 0;
	struct cv_nl_link link;

	if (!v || cv_engine_vip_state(engine, i) != CV_VIP_HELD || !v->interface ||
	    l2_link(x, v->interface, &link, NULL) < 0 || link.ifindex != a->ifindex)
		return -ENOENT;
	return (int)i;
}

struct reconcile_ctx {
	const struct cv_engine *engine;
	bool *seen; /* per VIP: its address is there */
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
	c->seen[i] = true;
	return true;
}

static int
reconcile(struct l2 *x, const struct cv_owned *owned, const struct cv_engine *engine,
	  void (*gone)(void *userdata, size_t vip), void *userdata)
{
	size_t n_vips = engine ? cv_engine_n_vips(engine) : 0, found;
	_cleanup_free_ bool *seen = calloc(n_vips ? n_vips : 1, sizeof(*seen));
	struct reconcile_ctx c = { .engine = engine, .seen = seen, .x = x };
	int left;

	if (!seen)
		return -ENOMEM;
	left = cv_l2_sweep(x->nl, owned, keep_held, &c, &found);
	if (left < 0)
		return left;
	for (size_t i = 0; gone && i < n_vips; i++)
		if (!seen[i] && cv_engine_vip_state(engine, i) == CV_VIP_HELD)
			gone(userdata, i);
	return left;
}

static const char *
ifname_of(const struct cv_backend_op *a)
{
	return a->conf->interface ? a->conf->interface : "";
}

/* Same interface together; within it by the engine's order of the VIPs. */
static int
by_interface(const void *pa, const void *pb)
{
	const struct cv_backend_op *a = pa, *b = pb;
	int c = strcmp(ifname_of(a), ifname_of(b));

	return c ? c : (a->vip > b->vip) - (a->vip < b->vip);
}

static enum cv_action_type
act_of(enum cv_nl_op op)
{
	return op == CV_NL_ADD ? CV_ACT_ADDR_ADD : op == CV_NL_DEL ? CV_ACT_ADDR_DEL : CV_ACT_RENEW;
}

/* ops[0..n) (sorted here): one batch per interface; each VIP reported (RENEW: one-shot only). */
static void
run_op(struct l2 *x, enum cv_nl_op op, uint32_t lease_s, struct cv_backend_op *ops, size_t n)
{
	_cleanup_free_ struct cv_nl_addr_req *reqs = calloc(n ? n : 1, sizeof(*reqs));
	_cleanup_free_ int *raw = calloc(n ? n : 1, sizeof(*raw));
	_cleanup_free_ int *err = calloc(n ? n : 1, sizeof(*err));

	if (!reqs || !raw || !err) {
		for (size_t i = 0; (op != CV_NL_RENEW || x->env.oneshot) && i < n; i++)
			l2_result(x, ops[i].conf, act_of(op), ops[i].epoch, -ENOMEM, NULL);
		return;
	}
	qsort(ops, n, sizeof(*ops), by_interface);
	for (size_t i = 0, k; i < n; i = k) {
		struct batch b = { .op = op, .ifname = ifname_of(&ops[i]), .ops = ops + i,
				   .reqs = reqs + i, .raw = raw + i, .err = err + i };

		for (k = i; k < n && strcmp(ifname_of(&ops[k]), b.ifname) == 0; k++)
			b.n++;
		batch_run(x, &b, lease_s);
		for (size_t j = 0; j < b.n; j++)
			(op == CV_NL_ADD ? added : op == CV_NL_DEL ? deleted : renewed)(x, &b, j);
	}
}

/*
 * A copy of the batch to sort; NULL: every VIP of it failed (reported for
 * ADD and DEL; a RENEW has one result, the executor's).
 */
static struct cv_backend_op *
copy_ops(struct l2 *x, const struct cv_backend_op *ops, size_t n, enum cv_action_type op)
{
	struct cv_backend_op *v = calloc(n ? n : 1, sizeof(*v));

	if (!v && op == CV_ACT_RENEW && !x->env.oneshot)
		qb_log(LOG_ERR, "renew: %s", cv_strerror(-ENOMEM));
	else if (!v)
		for (size_t i = 0; i < n; i++)
			l2_result(x, ops[i].conf, op, ops[i].epoch, -ENOMEM, NULL);
	else if (n)
		memcpy(v, ops, n * sizeof(*v));
	return v;
}

static void
acquire(struct cv_backend *b, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	struct l2 *x = l2_of(b);
	_cleanup_free_ struct cv_backend_op *v = copy_ops(x, ops, n, CV_ACT_ADDR_ADD);

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		l2_note_remove(l2_note_find(x, v[i].conf)); /* from an earlier hold */
	run_op(x, CV_NL_ADD, lease_s, v, n);
}

static void
release(struct cv_backend *b, const struct cv_backend_op *ops, size_t n)
{
	struct l2 *x = l2_of(b);
	_cleanup_free_ struct cv_backend_op *v = copy_ops(x, ops, n, CV_ACT_ADDR_DEL);
	size_t m = 0;

	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		struct note *note = l2_note_find(x, v[i].conf);
		bool foreign = note && note->kind == NOTE_FOREIGN;

		l2_cancel_burst(x, v[i].conf);
		l2_note_remove(note);
		if (foreign) /* the admin's address was never ours: nothing to remove */
			l2_result(x, v[i].conf, CV_ACT_ADDR_DEL, v[i].epoch, 0, NULL);
		else
			v[m++] = v[i];
	}
	run_op(x, CV_NL_DEL, 0, v, m);
}

static void
refresh(struct cv_backend *b, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	struct l2 *x = l2_of(b);
	_cleanup_free_ struct cv_backend_op *v = copy_ops(x, held, n, CV_ACT_RENEW);

	if (v)
		run_op(x, CV_NL_RENEW, lease_s, v, n);
}

static void
announce(struct cv_backend *b, const struct cv_backend_op *op)
{
	l2_announce_when_ready(l2_of(b), op);
}

static void
switch_config(struct cv_backend *b, const struct cv_config *next)
{
	l2_switch_config(l2_of(b), next);
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
			  .chunk = CHUNK_MAX };
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
	l2_switch_config(x, NULL);
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
