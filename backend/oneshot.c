/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One batch through a backend on a private loop (oneshot.h). A run is one or
 * two phases (an acquire, then the announce of what it took), each one
 * backend call on the batch and the loop run until every VIP of it has
 * reported through env->result or the deadline has passed. An outcome that
 * comes after its phase (another epoch) is not the current one's: ignored.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <qb/qbutil.h>

#include "cv-macros.h"
#include "oneshot.h"

struct cv_oneshot {
	qb_loop_t *loop;
	struct cv_backend *b;
	enum cv_backend_kind kind;
	/* The phase under way (n == 0: none). */
	const struct cv_vip_conf *vips;
	size_t n;
	struct cv_oneshot_result *res;
	bool *waiting; /* per VIP: this phase's outcome has not come */
	size_t left;   /* how many are waiting */
	enum cv_action_type phase;
	uint64_t epoch; /* this phase's; every phase has a new one */
	bool running;	/* inside qb_loop_run */
	qb_loop_timer_handle deadline;
	bool armed;
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

static void
result(void *userdata, const struct cv_vip_conf *conf, enum cv_action_type op, uint64_t epoch,
       int err, const char *detail)
{
	struct cv_oneshot *s = userdata;
	uintptr_t p = (uintptr_t)conf, lo = (uintptr_t)s->vips;
	size_t i;

	if (!s->n || op != s->phase || epoch != s->epoch || p < lo ||
	    p >= lo + s->n * sizeof(*s->vips))
		return; /* not this phase's (a late one, a RENEW of the whole hold) */
	i = (p - lo) / sizeof(*s->vips);
	if (!s->waiting[i])
		return;
	s->waiting[i] = false;
	if (err < 0) {
		s->res[i] = (struct cv_oneshot_result){ .err = err, .op = op };
		snprintf(s->res[i].detail, sizeof(s->res[i].detail), "%s", detail ? detail : "");
	}
	if (--s->left == 0 && s->running)
		qb_loop_stop(s->loop);
}

static void
deadline_passed(void *data)
{
	struct cv_oneshot *s = data;

	s->armed = false;
	qb_loop_stop(s->loop);
}

/* Run the loop until this phase is complete or end_ms (0: no deadline). */
static void
wait_phase(struct cv_oneshot *s, uint64_t end_ms)
{
	uint64_t now = now_ms();

	if (!s->left)
		return;
	if (end_ms) {
		uint64_t ms = end_ms > now ? end_ms - now : 0;

		if (qb_loop_timer_add(s->loop, QB_LOOP_HIGH, ms * QB_TIME_NS_IN_MSEC, s,
				      deadline_passed, &s->deadline) < 0)
			return; /* cannot bound the wait: do not start it */
		s->armed = true;
	}
	s->running = true;
	qb_loop_run(s->loop);
	s->running = false;
	if (s->armed)
		qb_loop_timer_del(s->loop, s->deadline);
	s->armed = false;
}

/* The backend's call for phase act on ops[0..m); a step it does not have is done. */
static void
call(struct cv_oneshot *s, enum cv_action_type act, const struct cv_backend_op *ops, size_t m,
     uint32_t lease_s)
{
	const struct cv_backend_ops *o = s->b->ops;

	if (act == CV_ACT_ADDR_ADD)
		o->acquire(s->b, ops, m, lease_s);
	else if (act == CV_ACT_ADDR_DEL)
		o->release(s->b, ops, m);
	else if (act == CV_ACT_RENEW && o->refresh)
		o->refresh(s->b, ops, m, lease_s);
	for (size_t i = 0; act == CV_ACT_ANNOUNCE && o->announce && i < m; i++)
		o->announce(s->b, &ops[i]);
	if ((act == CV_ACT_RENEW && !o->refresh) || (act == CV_ACT_ANNOUNCE && !o->announce))
		for (size_t i = 0; i < m; i++)
			result(s, ops[i].conf, act, ops[i].epoch, 0, NULL);
}

/* One phase on the VIPs that have not failed yet. */
static int
phase(struct cv_oneshot *s, enum cv_action_type act, uint32_t lease_s, uint64_t epoch,
      uint64_t end_ms)
{
	_cleanup_free_ struct cv_backend_op *ops = calloc(s->n ? s->n : 1, sizeof(*ops));
	size_t m = 0;

	if (!ops)
		return -ENOMEM;
	s->phase = act;
	s->epoch = epoch ? epoch : s->epoch + 1; /* the phases of a run differ by act */
	s->left = 0;
	for (size_t i = 0; i < s->n; i++) {
		s->waiting[i] = s->res[i].err == 0;
		if (s->waiting[i])
			ops[m++] = (struct cv_backend_op){ .conf = &s->vips[i],
							   .vip = (uint32_t)i,
							   .epoch = s->epoch };
	}
	s->left = m;
	call(s, act, ops, m, lease_s);
	wait_phase(s, end_ms);
	for (size_t i = 0; i < s->n; i++)
		if (s->waiting[i])
			s->res[i] = (struct cv_oneshot_result){ .err = -ETIMEDOUT, .op = act };
	return 0;
}

size_t
cv_oneshot_first_failure(const struct cv_oneshot_result *results, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (results[i].err < 0)
			return i;
	return n;
}

static int
check_req(const struct cv_oneshot *s, const struct cv_oneshot_req *req)
{
	if ((unsigned)req->op >= _CV_ONESHOT_OP_MAX || (req->n && !req->vips))
		return -EINVAL;
	for (size_t i = 0; i < req->n; i++)
		if (req->vips[i].backend != s->kind)
			return -EINVAL;
	return 0;
}

int
cv_oneshot_run(struct cv_oneshot *s, const struct cv_oneshot_req *req,
	       struct cv_oneshot_result *ret_results)
{
	static const enum cv_action_type first[_CV_ONESHOT_OP_MAX] = {
		[CV_ONESHOT_ACQUIRE] = CV_ACT_ADDR_ADD,
		[CV_ONESHOT_RELEASE] = CV_ACT_ADDR_DEL,
		[CV_ONESHOT_RENEW] = CV_ACT_RENEW,
		[CV_ONESHOT_ANNOUNCE] = CV_ACT_ANNOUNCE,
	};
	uint64_t end = req->deadline_ms ? now_ms() + req->deadline_ms : 0;
	_cleanup_free_ bool *waiting = NULL;
	int r = check_req(s, req);

	if (r < 0)
		return r;
	waiting = calloc(req->n ? req->n : 1, sizeof(*waiting));
	if (!waiting)
		return -ENOMEM;
	for (size_t i = 0; i < req->n; i++)
		ret_results[i] = (struct cv_oneshot_result){ .op = first[req->op] };
	s->vips = req->vips;
	s->res = ret_results;
	s->waiting = waiting;
	s->n = req->n;
	r = phase(s, first[req->op], req->lease_s, req->epoch, end);
	if (r == 0 && req->op == CV_ONESHOT_ACQUIRE && req->announce)
		r = phase(s, CV_ACT_ANNOUNCE, 0, req->epoch, end);
	s->n = 0; /* what still comes belongs to no run */
	s->waiting = NULL;
	if (r < 0)
		return r;
	return cv_oneshot_first_failure(ret_results, req->n) < req->n ? -EIO : 0;
}

qb_loop_t *
cv_oneshot_loop(struct cv_oneshot *s)
{
	return s->loop;
}

int
cv_oneshot_new(enum cv_backend_kind kind, uint8_t tag, uint32_t nodeid, struct cv_oneshot **ret)
{
	const struct cv_backend_ops *ops = cv_backend_lookup(kind);
	struct cv_oneshot *s;
	struct cv_backend_env env;
	int r;

	if (!ops)
		return -EOPNOTSUPP;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->loop = qb_loop_create();
	if (!s->loop) {
		free(s);
		return -ENOMEM;
	}
	env = (struct cv_backend_env){
		.loop = s->loop, .tag = tag, .oneshot = true, .result = result, .userdata = s,
		.nodeid = nodeid
	};
	r = ops->create(&env, &s->b);
	if (r < 0) {
		cv_oneshot_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct cv_oneshot *
cv_oneshot_free(struct cv_oneshot *s)
{
	if (!s)
		return NULL;
	s->n = 0;
	if (s->b)
		s->b->ops->destroy(s->b);
	if (s->loop)
		qb_loop_destroy(s->loop);
	free(s);
	return NULL;
}

int
cv_oneshot_apply(enum cv_backend_kind kind, uint8_t tag, uint32_t nodeid,
		 const struct cv_oneshot_req *req, struct cv_oneshot_result *ret_results)
{
	struct cv_oneshot *s = NULL;
	int r = cv_oneshot_new(kind, tag, nodeid, &s);

	if (r == 0)
		r = cv_oneshot_run(s, req, ret_results);
	cv_oneshot_free(s);
	return r;
}
