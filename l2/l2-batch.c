/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The L2 backend's address work (design.md rule 6): an engine step's
 * acquires, releases or renewal become one netlink batch per operation and
 * interface, the interface looked up once, at most 256 requests per call
 * (fewer when the kernel is slow). Each VIP's outcome is reported on its
 * own; failures are logged once per interface with a count (each VIP at
 * debug).
 *
 * The work is queued and run one call at a time, the first at once and the
 * rest from loop jobs, in the order it came: a takeover of 10,000 VIPs
 * costs the kernel most of a second, and a loop blocked that long sends no
 * heartbeat, so our own lease (rule 1) lapses while we add. Between two
 * calls the loop runs: heartbeats, deliveries, timers. Order is kept across
 * operations (a release queued behind the add of the same VIP runs after
 * it); the engine only learns of each outcome as an event anyway.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "l2-int.h"

/* One batch: the VIPs of one operation on one interface, in chunks. */
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
	size_t answered;	  /* requests sent and answered so far */
	int r;			  /* the link's or the socket's failure: the rest fail with it */
};

/* A step's operation, taken over by the queue (l2-int.h: struct l2's work). */
struct l2_work {
	struct l2_work *next;
	enum cv_nl_op op;
	uint32_t lease_s;
	struct cv_backend_op *ops; /* sorted by interface */
	size_t n;
	struct cv_nl_addr_req *reqs;
	int *raw, *err;
	size_t next_group; /* where the next interface's batch starts */
	struct batch b;	   /* the batch under way (b.ops NULL: none) */
};

/* The kernel's words on request i's failure, if they were about it. */
static const char *
detail_of(const struct batch *b, size_t i)
{
	return b->err[i] < 0 && b->nlerr.msg[0] && b->nlerr.index == i ? b->nlerr.msg : NULL;
}

static void
log_failures(const struct batch *b)
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
	       cv_addr_format(cv_vip_first_addr(b->ops[first].conf), true, buf, sizeof(buf)), b->ifname,
	       cv_nl_op_to_string(b->op), cv_strerror(b->err[first]),
	       b->nlerr.msg[0] ? " (kernel: " : "", b->nlerr.msg, b->nlerr.msg[0] ? ")" : "");
	if (failed > 1)
		qb_log(LOG_ERR, "%s on %s: %zu of %zu VIPs failed", cv_nl_op_to_string(b->op),
		       b->ifname, failed, b->n);
}

/*
 * Requests per netlink call: the kernel does a call's work before it
 * answers, and its cost per address grows with the addresses on the
 * interface (IPv6: the solicited-node group and MLD work of each), so a
 * fixed size that takes a few ms at first takes hundreds at 10,000 VIPs.
 * The size adapts to keep each call near CHUNK_TARGET_MS: halved when one
 * took longer than twice that, doubled when one took less than half.
 */
#define CHUNK_MIN	8
#define CHUNK_TARGET_MS 10

static void
adapt_chunk(struct l2 *x, uint64_t took_ms)
{
	if (took_ms > 2 * CHUNK_TARGET_MS)
		x->chunk = CV_MAX(x->chunk / 2, (size_t)CHUNK_MIN);
	else if (took_ms < CHUNK_TARGET_MS / 2)
		x->chunk = CV_MIN(x->chunk * 2, (size_t)L2_CHUNK_MAX);
}

/* The interface once, and each request built. */
static void
batch_start(struct l2 *x, struct batch *b, uint32_t lease_s)
{
	b->r = l2_link(x, b->ifname, &b->link, &b->nlerr);
	b->nlerr.index = b->n; /* the link's failure is no request's own */
	for (size_t i = 0; b->r >= 0 && i < b->n; i++) {
		const struct cv_vip_conf *c = b->ops[i].conf;

		b->reqs[i] = (struct cv_nl_addr_req){ .addr = *cv_vip_first_addr(c),
						      .ifindex = b->link.ifindex,
						      .lease_s = lease_s,
						      .nodad = c->nodad,
						      .deprecated = c->deprecated,
						      .tag = x->env.tag };
	}
}

/* One netlink call of the batch. */
static void
batch_chunk(struct l2 *x, struct batch *b)
{
	size_t off = b->answered, m = CV_MIN(x->chunk, b->n - off);
	struct cv_nl_error e = {};
	uint64_t start = l2_now_ms();
	int r = cv_nl_addr_batch(x->nl, b->op, b->reqs + off, m, b->raw + off, &e);

	adapt_chunk(x, l2_now_ms() - start);
	l2_progress(x);
	if (r < 0 && !b->nlerr.err) {
		b->nlerr = e; /* the first failure's kernel message, for the log */
		b->nlerr.index = e.index < m ? off + e.index : b->n;
	}
	/* A request's own failure: each answer says whose (index < m). Else
	 * the socket failed, and what was not answered is unknown. */
	if (r < 0 && e.index >= m)
		b->r = r;
	b->answered += m;
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

/* ---- an announce that waits for its VIP's add ---- */

static struct add_wait *
add_wait_of(struct l2 *x, const struct cv_backend_op *a)
{
	return !a->conf->group && a->vip < x->cap_add_wait ? &x->add_wait[a->vip] : NULL;
}

/* ops[0..n) are queued as adds: counted (no memory: not counted, their
 * announces go at once, as before). */
static void
adds_queued(struct l2 *x, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t old = x->cap_add_wait, want = old ? old : 64;
		struct add_wait *v;

		if (ops[i].conf->group)
			continue;
		while (want <= ops[i].vip)
			want *= 2;
		if (want > old && (v = reallocarray(x->add_wait, want, sizeof(*v)))) {
			memset(v + old, 0, (want - old) * sizeof(*v));
			x->add_wait = v;
			x->cap_add_wait = want;
		}
		if (ops[i].vip < x->cap_add_wait)
			x->add_wait[ops[i].vip].adds++;
	}
}

/* a's add is told (or dropped): true when an announce waited for it. */
static bool
add_over(struct l2 *x, const struct cv_backend_op *a, uint64_t *ret_epoch)
{
	struct add_wait *w = add_wait_of(x, a);

	if (!w || !w->adds || --w->adds || !w->announce)
		return false;
	w->announce = false;
	*ret_epoch = w->announce_epoch;
	return true;
}

bool
l2_announce_after_add(struct l2 *x, const struct cv_backend_op *a)
{
	struct add_wait *w = add_wait_of(x, a);

	if (!w || !w->adds)
		return false;
	w->announce = true;
	w->announce_epoch = a->epoch;
	return true;
}

static void
added(struct l2 *x, const struct batch *b, size_t i)
{
	const struct cv_backend_op *a = &b->ops[i];
	const struct cv_nl_addr_req *req = &b->reqs[i];
	struct cv_backend_op ann = *a;
	bool announce = add_over(x, a, &ann.epoch), dad;

	if (b->err[i] < 0) {
		l2_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, b->err[i], detail_of(b, i));
		if (announce) /* it never will be */
			l2_announced(x, a->conf, ann.epoch, b->err[i]);
		return;
	}
	if (b->raw[i] == -EEXIST && refuse_foreign(x, a, req)) {
		if (announce)
			l2_announce_when_ready(x, &ann); /* the admin's: never (reported) */
		return;
	}
	/* The daemon: a DAD failure later is this add's result too (same
	 * epoch). A one-shot run: the add's one result comes when DAD ends.
	 * The watch starts before the result is told: the engine may answer
	 * with an announce, which waits for DAD. */
	dad = b->raw[i] == 0 && req->addr.family == AF_INET6 && !req->nodad &&
	      l2_dad_start(x, a, req->ifindex);
	if (!dad || !x->env.oneshot)
		l2_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, 0, NULL);
	if (announce)
		l2_announce_when_ready(x, &ann);
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

/* A one-shot run hears of each renewal (the daemon: one result per refresh). */
static void
renewed(struct l2 *x, const struct batch *b, size_t i)
{
	if (x->env.oneshot)
		l2_result(x, b->ops[i].conf, CV_ACT_RENEW, b->ops[i].epoch, b->err[i],
			  detail_of(b, i));
}

static void
batch_finish(struct l2 *x, struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		b->err[i] = b->r < 0 ? b->r : cv_nl_op_outcome(b->op, b->raw[i]);
	log_failures(b);
	for (size_t i = 0; i < b->n; i++)
		(b->op == CV_NL_ADD ? added : b->op == CV_NL_DEL ? deleted : renewed)(x, b, i);
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

static void
work_free(struct l2_work *w)
{
	if (!w)
		return;
	free(w->ops);
	free(w->reqs);
	free(w->raw);
	free(w->err);
	free(w);
}

/* The next interface's batch of w; false when w is done. */
static bool
next_batch(struct l2 *x, struct l2_work *w)
{
	size_t i = w->next_group, k;

	if (i == w->n)
		return false;
	for (k = i; k < w->n && strcmp(ifname_of(&w->ops[k]), ifname_of(&w->ops[i])) == 0; k++)
		;
	w->b = (struct batch){ .op = w->op, .ifname = ifname_of(&w->ops[i]), .ops = w->ops + i,
			       .n = k - i, .reqs = w->reqs + i, .raw = w->raw + i, .err = w->err + i };
	w->next_group = k;
	batch_start(x, &w->b, w->lease_s);
	return true;
}

/* The queue's head is done: off it, and a refresh's one result (daemon). */
static void
work_done(struct l2 *x)
{
	struct l2_work *w = x->work;

	x->work = w->next;
	if (w->op == CV_NL_RENEW && !x->env.oneshot)
		l2_result(x, NULL, CV_ACT_RENEW, 0, 0, NULL);
	work_free(w);
}

/* One netlink call of the queue's head (or the end of a batch or of work). */
static void
work_step(struct l2 *x)
{
	struct l2_work *w = x->work;
	struct batch *b = &w->b;

	if (!b->ops && !next_batch(x, w)) {
		work_done(x);
		return;
	}
	if (b->r >= 0 && b->answered < b->n)
		batch_chunk(x, b);
	if (b->r < 0 || b->answered == b->n) {
		batch_finish(x, b);
		b->ops = NULL;
		if (w->next_group == w->n)
			work_done(x);
	}
}

static void work_job(void *data);

static void
schedule(struct l2 *x)
{
	if (x->work && !x->work_job_queued &&
	    qb_loop_job_add(x->env.loop, QB_LOOP_LOW, x, work_job) == 0)
		x->work_job_queued = true;
}

static void
work_job(void *data)
{
	struct l2 *x = data;

	x->work_job_queued = false;
	if (x->work)
		work_step(x);
	schedule(x);
}

void
l2_work_push(struct l2 *x, enum cv_nl_op op, uint32_t lease_s, struct cv_backend_op *ops,
	     size_t n)
{
	struct l2_work *w = calloc(1, sizeof(*w)), **tail;
	bool idle = !x->work;
	size_t batches = 1;

	if (w)
		*w = (struct l2_work){ .op = op, .lease_s = lease_s, .ops = ops, .n = n,
				       .reqs = calloc(n ? n : 1, sizeof(*w->reqs)),
				       .raw = calloc(n ? n : 1, sizeof(*w->raw)),
				       .err = calloc(n ? n : 1, sizeof(*w->err)) };
	if (!w || !w->reqs || !w->raw || !w->err) {
		for (size_t i = 0; (op != CV_NL_RENEW || x->env.oneshot) && i < n; i++)
			l2_result(x, ops[i].conf, act_of(op), ops[i].epoch, -ENOMEM, NULL);
		if (op == CV_NL_RENEW && !x->env.oneshot)
			l2_result(x, NULL, CV_ACT_RENEW, 0, -ENOMEM, NULL);
		if (w)
			w->ops = NULL; /* freed below */
		work_free(w);
		free(ops);
		return;
	}
	if (op == CV_NL_ADD)
		adds_queued(x, ops, n);
	qsort(ops, n, sizeof(*ops), by_interface);
	for (size_t i = 1; i < n; i++)
		batches += strcmp(ifname_of(&ops[i - 1]), ifname_of(&ops[i])) != 0;
	for (tail = &x->work; *tail; tail = &(*tail)->next)
		;
	*tail = w;
	/* Idle: the first call now, as a small batch always was (a hand-off
	 * of one VIP is not a loop iteration slower than it was). Work that
	 * fits one call per interface (a group with an address on a dev of
	 * its own, issue 13) has every interface's call now: a loop turn
	 * between them (the loop may block, e.g. in libqb's disconnect from a
	 * corosync that died) would leave the group half on the node that
	 * long. A step per batch: w's last one ends it; if the chunk shrinks
	 * on the way, the rest comes from loop jobs as before. (A result may
	 * cancel some of w's adds or drop the queue: at worst the next work's
	 * first call comes now, as its loop job would make it.) */
	if (idle && n > x->chunk)
		batches = 1;
	for (size_t i = 0; idle && i < batches && x->work; i++)
		work_step(x);
	schedule(x);
}

/*
 * The release of vip came while its add waits in the queue: the add is not
 * sent at all. Besides sparing the kernel an add and a delete, this keeps a
 * daemon thawed after a freeze (both it and its reaper stopped) from adding
 * what it queued before, after the peers took the VIP under rule 4: its
 * late step releases everything, and that release now goes first. Only
 * what is not on the wire is dropped (at most one netlink call was); the
 * engine needs no result for it (the release's result ends the VIP's
 * acquisition, and an add's result would be stale by then). The requests
 * of the batch being sent that are not on the wire yet go too.
 */
/* Take request i out of w (not sent yet; in the batch under way or after it). */
static void
work_remove(struct l2_work *w, size_t i)
{
	size_t after = w->n - i - 1;

	memmove(&w->ops[i], &w->ops[i + 1], after * sizeof(*w->ops));
	memmove(&w->reqs[i], &w->reqs[i + 1], after * sizeof(*w->reqs));
	memmove(&w->raw[i], &w->raw[i + 1], after * sizeof(*w->raw));
	memmove(&w->err[i], &w->err[i + 1], after * sizeof(*w->err));
	if (w->b.ops && i < w->next_group) { /* in the batch under way */
		w->b.n--;
		w->next_group--;
	}
	w->n--;
}

void
l2_work_cancel_add(struct l2 *x, uint32_t vip, const struct cv_vip_conf *conf)
{
	for (struct l2_work *w = x->work; w; w = w->next) {
		/* what is not sent yet: past the batch's answered part, or past it all */
		size_t i = w->b.ops ? (size_t)(w->b.ops - w->ops) + w->b.answered : w->next_group;

		for (; w->op == CV_NL_ADD && i < w->n; i++)
			if (w->ops[i].vip == vip && w->ops[i].conf == conf) {
				uint64_t unused;

				(void)add_over(x, &w->ops[i], &unused);
				work_remove(w, i);
				break;
			}
	}
	if (!conf->group && vip < x->cap_add_wait)
		x->add_wait[vip].announce = false;
}

void
l2_work_drain(struct l2 *x)
{
	while (x->work)
		work_step(x);
}

void
l2_work_drop(struct l2 *x)
{
	if (x->work_job_queued)
		qb_loop_job_del(x->env.loop, QB_LOOP_LOW, x, work_job);
	x->work_job_queued = false;
	while (x->work) {
		struct l2_work *w = x->work;

		x->work = w->next;
		work_free(w);
	}
}
