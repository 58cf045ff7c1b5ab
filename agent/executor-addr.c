/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A step's address operations in batches (design.md rule 6, issue 12): its
 * ADDR_ADDs, its ADDR_DELs and its RENEW go to the kernel as one netlink
 * batch per operation and interface, the interface looked up once, so a
 * takeover or a renewal of thousands of VIPs costs a few round trips, not
 * two per VIP. Each VIP's outcome still comes back on its own, as an event
 * (cv_exec_result), and failures are logged once per batch with a count
 * (the detail of each at debug).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <qb/qblog.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "executor-int.h"
#include "reaper.h"

/* One batch: the VIPs of one operation on one interface. */
struct batch {
	enum cv_nl_op op;
	const char *ifname;
	const struct cv_action *const *acts;
	size_t n;
	struct cv_nl_addr_req *reqs;
	int *raw;	 /* the kernel's own answer per request */
	int *err;	 /* what it means: 0 (done, idempotent included) or -errno */
	struct cv_nl_link link;
};

static void
log_failures(const struct batch *b, const struct cv_nl_error *nlerr)
{
	size_t failed = 0, first = b->n;
	char buf[CV_ADDR_STRLEN];

	for (size_t i = 0; i < b->n; i++)
		if (b->err[i] < 0) {
			first = failed++ ? first : i;
			qb_log(LOG_DEBUG, "VIP '%s': %s on %s failed: %s",
			       b->acts[i]->conf->head.name, cv_nl_op_to_string(b->op), b->ifname,
			       cv_strerror(b->err[i]));
		}
	if (!failed)
		return;
	qb_log(LOG_ERR, "VIP '%s' (%s on %s): %s failed: %s%s%s%s", b->acts[first]->conf->head.name,
	       cv_addr_format(&b->acts[first]->conf->address, true, buf, sizeof(buf)), b->ifname,
	       cv_nl_op_to_string(b->op), cv_strerror(b->err[first]),
	       nlerr->msg[0] ? " (kernel: " : "", nlerr->msg, nlerr->msg[0] ? ")" : "");
	if (failed > 1)
		qb_log(LOG_ERR, "%s on %s: %zu of %zu VIPs failed", cv_nl_op_to_string(b->op),
		       b->ifname, failed, b->n);
}

/*
 * Requests per netlink call: the loop beats between two (the kernel takes a
 * few ms for this many; thousands in one call kept a starved loop silent for
 * most of the reaper's bound).
 */
#define CHUNK 256

/* One chunk: 0, or -errno of the socket (then what was not answered is unknown). */
static int
chunk_run(struct cv_executor *x, struct batch *b, size_t off, size_t m, struct cv_nl_error *nlerr)
{
	struct cv_nl_error e = {};
	int r = cv_nl_addr_batch(x->nl, b->op, b->reqs + off, m, b->raw + off, &e);

	cv_reaper_beat();
	if (r < 0 && !nlerr->err)
		*nlerr = e; /* the first failure's kernel message, for the log */
	/* A request's own failure: each answer says whose (index < m). */
	return r < 0 && e.index >= m ? r : 0;
}

/* The interface once, then the requests in chunks; b->err filled. */
static void
batch_run(struct cv_executor *x, struct batch *b, uint32_t lease_s)
{
	struct cv_nl_error nlerr = {};
	int r;

	cv_reaper_beat();
	r = cv_exec_link(x, b->ifname, &b->link, &nlerr);
	for (size_t i = 0; r >= 0 && i < b->n; i++) {
		const struct cv_vip_conf *c = b->acts[i]->conf;

		b->reqs[i] = (struct cv_nl_addr_req){ .addr = c->address,
						      .ifindex = b->link.ifindex,
						      .lease_s = lease_s,
						      .nodad = c->nodad,
						      .deprecated = c->deprecated,
						      .tag = x->tag };
	}
	for (size_t off = 0; r >= 0 && off < b->n; off += CHUNK)
		r = chunk_run(x, b, off, CV_MIN((size_t)CHUNK, b->n - off), &nlerr);
	for (size_t i = 0; i < b->n; i++)
		b->err[i] = r < 0 ? r : cv_nl_op_outcome(b->op, b->raw[i]);
	log_failures(b, &nlerr);
}

/*
 * The add found the address there already (-EEXIST). Ours (a previous run,
 * a race with reconcile) is simply held again. Anyone else's stays theirs:
 * the add counts as failed, so placement moves the VIP elsewhere, and
 * neither the announce nor the delete of the release that follows touches it.
 */
static bool
refuse_foreign(struct cv_executor *x, const struct cv_action *a, const struct cv_nl_addr_req *req)
{
	struct cv_nl_addr found;

	if (cv_nl_addr_find(x->nl, req->ifindex, &req->addr, &found) < 0 || found.proto == x->tag)
		return false;
	cv_exec_log_vip(LOG_ERR, a->conf, "address already on the interface and not ours, leaving it alone");
	cv_exec_note_add(x, a, NOTE_FOREIGN, req->ifindex);
	cv_exec_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, -EADDRINUSE);
	return true;
}

static void
added(struct cv_executor *x, const struct batch *b, size_t i)
{
	const struct cv_action *a = b->acts[i];
	const struct cv_nl_addr_req *req = &b->reqs[i];

	if (b->err[i] < 0) {
		cv_exec_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, b->err[i]);
		return;
	}
	if (b->raw[i] == -EEXIST && refuse_foreign(x, a, req))
		return;
	/* A DAD failure later is this add's result too (same epoch). */
	cv_exec_result(x, a->conf, CV_ACT_ADDR_ADD, a->epoch, 0);
	if (b->raw[i] == 0 && req->addr.family == AF_INET6 && !req->nodad)
		cv_exec_dad_start(x, a, req->ifindex);
}

static void
deleted(struct cv_executor *x, const struct batch *b, size_t i)
{
	const struct cv_action *a = b->acts[i];

	/* An interface that is gone took the address with it (-ENODEV). */
	cv_exec_result(x, a->conf, CV_ACT_ADDR_DEL, a->epoch, b->err[i] == -ENODEV ? 0 : b->err[i]);
}

/* Before the batch: what each VIP's earlier hold left (announce, notes). */
static bool
prepare(struct cv_executor *x, const struct cv_action *a)
{
	struct note *n = cv_exec_note_find(x, a->conf);

	if (a->type == CV_ACT_ADDR_ADD) {
		cv_exec_note_remove(n); /* from an earlier hold */
		return true;
	}
	cv_exec_cancel_burst(x, a->conf);
	cv_exec_note_remove(n);
	if (n && n->kind == NOTE_FOREIGN) {
		/* The admin's address was never ours: nothing of ours to remove. */
		cv_exec_result(x, a->conf, CV_ACT_ADDR_DEL, a->epoch, 0);
		return false;
	}
	return true;
}

static const char *
ifname_of(const struct cv_action *a)
{
	return a->conf->interface ? a->conf->interface : "";
}

/* Same interface together, in step order within it (acts point into one array). */
static int
by_interface(const void *pa, const void *pb)
{
	const struct cv_action *a = *(const struct cv_action *const *)pa;
	const struct cv_action *b = *(const struct cv_action *const *)pb;
	int c = strcmp(ifname_of(a), ifname_of(b));

	return c ? c : (a > b) - (a < b);
}

/* acts[0..n): one operation on any interfaces, sorted here; ADD and DEL report each VIP. */
static int
run_op(struct cv_executor *x, enum cv_nl_op op, uint32_t lease_s, const struct cv_action **acts,
       size_t n)
{
	_cleanup_free_ struct cv_nl_addr_req *reqs = calloc(n ? n : 1, sizeof(*reqs));
	_cleanup_free_ int *raw = calloc(n ? n : 1, sizeof(*raw));
	_cleanup_free_ int *err = calloc(n ? n : 1, sizeof(*err));

	if (!reqs || !raw || !err)
		return -ENOMEM;
	qsort(acts, n, sizeof(*acts), by_interface);
	for (size_t i = 0, k; i < n; i = k) {
		struct batch b = { .op = op, .ifname = ifname_of(acts[i]), .acts = acts + i,
				   .reqs = reqs + i, .raw = raw + i, .err = err + i };

		for (k = i; k < n && strcmp(ifname_of(acts[k]), b.ifname) == 0; k++)
			b.n++;
		batch_run(x, &b, lease_s);
		for (size_t j = 0; op != CV_NL_RENEW && j < b.n; j++)
			(op == CV_NL_ADD ? added : deleted)(x, &b, j);
	}
	return 0;
}

/* Every VIP the engine holds, renewed; one result once all were asked. */
static void
renew(struct cv_executor *x, const struct cv_engine *engine, uint32_t lease_s)
{
	const struct cv_config *cfg = cv_engine_config(engine);
	_cleanup_free_ struct cv_action *held = calloc(cfg->n_vips ? cfg->n_vips : 1, sizeof(*held));
	_cleanup_free_ const struct cv_action **acts = calloc(cfg->n_vips ? cfg->n_vips : 1,
							      sizeof(*acts));
	size_t n = 0;
	int r = held && acts ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < cfg->n_vips; i++)
		if (cv_engine_vip_state(engine, i) == CV_VIP_HELD) {
			held[n] = (struct cv_action){ .type = CV_ACT_RENEW, .vip = (uint32_t)i,
						      .conf = &cfg->vips[i] };
			acts[n] = &held[n];
			n++;
		}
	if (r == 0)
		r = run_op(x, CV_NL_RENEW, lease_s, acts, n);
	if (r < 0)
		qb_log(LOG_ERR, "renew: %s", cv_strerror(r));
	/* The leases now run from here: the engine counts a failed removal's
	 * kernel-lease fallback from this result, not from its request. */
	cv_exec_result(x, NULL, CV_ACT_RENEW, 0, 0);
}

static enum cv_nl_op
op_of(enum cv_action_type t)
{
	return t == CV_ACT_ADDR_ADD ? CV_NL_ADD : t == CV_ACT_ADDR_DEL ? CV_NL_DEL : CV_NL_RENEW;
}

void
cv_exec_addr_run(struct cv_executor *x, const struct cv_engine *engine,
		 const struct cv_action *const *acts, size_t n)
{
	_cleanup_free_ const struct cv_action **run = calloc(n ? n : 1, sizeof(*run));
	uint32_t lease_s = cv_engine_config(engine)->cluster.kernel_lease_ms / 1000;

	if (!run) {
		for (size_t i = 0; i < n; i++)
			cv_exec_result(x, acts[i]->type == CV_ACT_RENEW ? NULL : acts[i]->conf,
				       acts[i]->type, acts[i]->epoch, -ENOMEM);
		return;
	}
	/* Runs of one operation, in step order: a DEL then an ADD stay so. */
	for (size_t i = 0, k; i < n; i = k) {
		size_t m = 0;
		int r;

		for (k = i; k < n && acts[k]->type == acts[i]->type; k++)
			if (acts[k]->type != CV_ACT_RENEW && prepare(x, acts[k]))
				run[m++] = acts[k];
		if (acts[i]->type == CV_ACT_RENEW) {
			renew(x, engine, lease_s);
			continue;
		}
		r = run_op(x, op_of(acts[i]->type), lease_s, run, m);
		for (size_t j = 0; r < 0 && j < m; j++)
			cv_exec_result(x, run[j]->conf, run[j]->type, run[j]->epoch, r);
	}
}
