/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor knows no backend (backend/backend.h): it hands the address
 * operations of a step to the VIPs' backends as batches, turns their
 * outcomes into events (from loop jobs), and does the rest itself: CPG
 * sends, the engine's wakeup timer, logs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>

#include "cv-error.h"
#include "cv-macros.h"
#include "executor.h"
#include "loop-timer.h"
#include "reaper.h"

struct cv_executor {
	qb_loop_t *loop;
	cv_event_sink_fn sink;
	void *userdata;
	struct cv_cpg *cpg;
	uint8_t tag; /* who owns our addresses (config.h, cv_config_address_tag) */
	struct cv_backend *backends[_CV_BACKEND_MAX]; /* made at first use */
	struct cv_loop_timer *wakeup; /* the engine's (loop-timer.h: not a libqb timer) */
	uint64_t flush_ms;	/* how long a stop may wait for corosync to take our last words */
	uint64_t stop_by;	/* that wait's end */
	qb_loop_timer_handle stop_timer;
	/* Results not fed to the engine yet (feedback_job), names beside them. */
	struct cv_action_result *results;
	char (*result_names)[CV_PROTO_NAME_MAX + 1];
	size_t n_results, cap_results;
	bool feedback_queued;
	/* Renewals under way, oldest first: how many backends have not said
	 * theirs is done (the engine hears of a round once all have). */
	uint8_t renew_left[8];
	size_t n_renew_rounds;
	/* The engine of the last run (it lives as long as the daemon): whose
	 * config a backend's gone VIP is looked up in. */
	const struct cv_engine *engine;
	/* The config the backends were told of (switch_config): a backend made
	 * later hears of it at once. made_all: every kind it names is made. */
	const struct cv_config *cfg;
	bool made_all;
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/* ---- feedback ---- */

/*
 * Every outcome is fed back as an event from a loop job, never inside the
 * step that asked for it (the engine's contract). What comes before that
 * job runs goes in the same event (CV_EV_ACTION_RESULTS), in order: the
 * results of a takeover of thousands are a few engine steps, not thousands
 * (each step scans every VIP). The VIP goes by name (copied: a reload may
 * free the config meanwhile).
 */
typedef char vip_name[CV_PROTO_NAME_MAX + 1]; /* VIP names fit the wire */

static void
feedback_job(void *data)
{
	struct cv_executor *x = data;
	_cleanup_free_ struct cv_action_result *res = x->results;
	_cleanup_free_ vip_name *names = x->result_names;
	size_t n = x->n_results;

	x->results = NULL;
	x->result_names = NULL;
	x->n_results = x->cap_results = 0;
	x->feedback_queued = false;
	for (size_t i = 0; i < n; i++)
		if (res[i].vip) /* NULL: RENEW, every held VIP */
			res[i].vip = names[i];
	x->sink(x->userdata, &(struct cv_event){ .type = CV_EV_ACTION_RESULTS,
						 .results = { .v = res, .n = n } });
}

static bool
results_grow(struct cv_executor *x)
{
	size_t cap = x->cap_results ? 2 * x->cap_results : 64;
	struct cv_action_result *r;
	vip_name *n;

	if (x->n_results < x->cap_results)
		return true;
	r = reallocarray(x->results, cap, sizeof(*r));
	if (r)
		x->results = r;
	n = r ? reallocarray(x->result_names, cap, sizeof(*n)) : NULL;
	if (n)
		x->result_names = n;
	if (n)
		x->cap_results = cap;
	return n != NULL;
}

static void
feed_result(struct cv_executor *x, const struct cv_vip_conf *conf, enum cv_action_type op,
	    uint64_t epoch, int err)
{
	size_t i = x->n_results;

	if (!x->feedback_queued) {
		if (qb_loop_job_add(x->loop, QB_LOOP_HIGH, x, feedback_job) < 0)
			goto lost;
		x->feedback_queued = true;
	}
	if (!results_grow(x))
		goto lost;
	x->results[i] = (struct cv_action_result){ .vip = conf ? "" : NULL, .op = op,
						  .epoch = epoch, .err = err };
	snprintf(x->result_names[i], sizeof(x->result_names[i]), "%s",
		 conf ? conf->head.name : "");
	x->n_results++;
	return;
lost:
	qb_log(LOG_CRIT, "VIP '%s': out of memory for the result of %s",
	       conf ? conf->head.name : "*", cv_action_type_to_string(op));
}

/* A backend's outcome. A RENEW (conf NULL) is one backend's part of the oldest round. */
static void
result(void *userdata, const struct cv_vip_conf *conf, enum cv_action_type op, uint64_t epoch,
       int err, const char *detail)
{
	struct cv_executor *x = userdata;

	(void)detail; /* the backend logged it */
	if (op == CV_ACT_RENEW && !conf) {
		if (!x->n_renew_rounds || --x->renew_left[0])
			return;
		memmove(x->renew_left, x->renew_left + 1, --x->n_renew_rounds);
	}
	feed_result(x, conf, op, epoch, err);
}

/* ---- a hold lost behind the backend's back ---- */

struct gone_job {
	struct cv_executor *x;
	enum cv_backend_kind kind;
	vip_name name; /* a reload may free the conf before the job runs */
};

/* As the daemon's monitor does for L2: the engine adds it back if it still holds it. */
static void
gone_job(void *data)
{
	_cleanup_free_ struct gone_job *j = data;
	const struct cv_config *cfg = j->x->engine ? cv_engine_config(j->x->engine) : NULL;
	const struct cv_vip_conf *v = cfg ? cv_config_find_vip(cfg, j->name) : NULL;
	size_t i = v ? (size_t)(v - cfg->vips) : 0;

	if (!v || v->backend != j->kind || cv_engine_vip_state(j->x->engine, i) != CV_VIP_HELD)
		return;
	j->x->sink(j->x->userdata, &(struct cv_event){ .type = CV_EV_ADDR_GONE,
						       .vip = { .vip = (uint32_t)i } });
}

/* From a loop job: the backend may be deep inside its own callback. */
static void
gone(void *userdata, const struct cv_vip_conf *conf)
{
	struct cv_executor *x = userdata;
	struct gone_job *j = calloc(1, sizeof(*j));

	if (j) {
		*j = (struct gone_job){ .x = x, .kind = conf->backend };
		snprintf(j->name, sizeof(j->name), "%s", conf->head.name);
	}
	if (!j || qb_loop_job_add(x->loop, QB_LOOP_HIGH, j, gone_job) < 0) {
		qb_log(LOG_CRIT, "VIP '%s': lost, and no memory to tell the engine",
		       conf->head.name);
		free(j);
	}
}

/* ---- backends ---- */

static struct cv_backend *
backend_of(void *userdata, enum cv_backend_kind kind)
{
	return cv_executor_backend(userdata, kind);
}

struct cv_backend *
cv_executor_backend(struct cv_executor *x, enum cv_backend_kind kind)
{
	const struct cv_backend_ops *ops;
	struct cv_backend_env env = { .loop = x->loop, .tag = x->tag, .result = result,
				      .progress = cv_reaper_beat, .gone = gone, .userdata = x,
				      .backend_of = backend_of };
	int r;

	if ((unsigned)kind >= _CV_BACKEND_MAX)
		return NULL;
	/* The node id, only when one is made (a cloud backend at its first
	 * acquire, after the join; L2, made at once, does not use it): at the
	 * daemon's end the connection is gone and the backends are made. */
	if (!x->backends[kind] && x->cpg)
		env.nodeid = cv_cpg_nodeid(x->cpg);
	if (x->backends[kind])
		return x->backends[kind];
	ops = cv_backend_lookup(kind);
	if (!ops)
		return NULL;
	r = ops->create(&env, &x->backends[kind]);
	if (r < 0) {
		qb_log(LOG_ERR, "backend %s: %s", cv_backend_to_string(kind), cv_strerror(r));
		return NULL;
	}
	if (x->cfg && ops->switch_config)
		ops->switch_config(x->backends[kind], x->cfg);
	return x->backends[kind];
}

bool
cv_executor_backend_status(struct cv_executor *x, const struct cv_vip_conf *v,
			   struct cv_backend_status *ret)
{
	struct cv_backend *b = (unsigned)v->backend < _CV_BACKEND_MAX ? x->backends[v->backend] : NULL;

	return b && b->ops->status && b->ops->status(b, v, ret);
}

static void
announce(struct cv_executor *x, const struct cv_action *a)
{
	struct cv_backend *b;

	/* The step's address operations ran first (cv_executor_run): a VIP
	 * this step let go is no longer ours to announce. A heal's re-announce
	 * and a preempting release in one step sent a burst after the
	 * delete, each frame pointing the neighbours' ARP caches back at us,
	 * away from the new holder (faults.sh heal-preempt). */
	if (cv_engine_vip_state(x->engine, a->vip) != CV_VIP_HELD)
		return;
	b = cv_executor_backend(x, cv_vip_mover(a->conf));
	if (b && b->ops->announce)
		b->ops->announce(b, &(struct cv_backend_op){ .conf = a->conf, .vip = a->vip,
							     .epoch = a->epoch });
}

/*
 * acts[0..n): one operation (ADDR_ADD or ADDR_DEL) of a step, to each VIP's
 * backend in one batch per kind; a VIP whose backend this build lacks fails.
 */
static void
to_backends(struct cv_executor *x, enum cv_action_type op, uint32_t lease_s, uint64_t ring,
	    const struct cv_action *const *acts, size_t n)
{
	_cleanup_free_ struct cv_backend_op *v = calloc(n ? n : 1, sizeof(*v));

	for (int kind = 0; kind < _CV_BACKEND_MAX; kind++) {
		struct cv_backend *b = NULL;
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			if ((int)acts[i]->conf->backend != kind)
				continue;
			b = b ? b : cv_executor_backend(x, (enum cv_backend_kind)kind);
			if (!b || !v)
				result(x, acts[i]->conf, op, acts[i]->epoch, v ? -EOPNOTSUPP : -ENOMEM, NULL);
			else
				v[m++] = (struct cv_backend_op){ .conf = acts[i]->conf,
								 .vip = acts[i]->vip,
								 .epoch = acts[i]->epoch,
								 .ring = ring };
		}
		if (!m)
			continue;
		if (op == CV_ACT_ADDR_ADD)
			b->ops->acquire(b, v, m, lease_s);
		else
			b->ops->release(b, v, m);
	}
}

/*
 * Every held VIP's hold renewed by its backend; one RENEW result once every
 * backend said its renewal is done (the engine counts a failed removal's
 * kernel-lease fallback from that result: never before the renewal).
 */
static void
renew(struct cv_executor *x, const struct cv_engine *engine, uint32_t lease_s)
{
	const struct cv_config *cfg = cv_engine_config(engine);
	_cleanup_free_ struct cv_backend_op *v = calloc(cfg->n_vips ? cfg->n_vips : 1, sizeof(*v));
	uint8_t renewing = 0;

	for (int kind = 0; kind < _CV_BACKEND_MAX; kind++)
		renewing += x->backends[kind] && x->backends[kind]->ops->refresh;
	if (!v || !renewing || x->n_renew_rounds == ELEMENTSOF(x->renew_left)) {
		/* Nothing renews (or eight rounds are stuck, over two kernel
		 * leases: the addresses have lapsed anyway): the round is over. */
		if (!v || renewing)
			qb_log(LOG_ERR, "renew: %s", v ? "the backends did not finish the last renewals"
						       : cv_strerror(-ENOMEM));
		feed_result(x, NULL, CV_ACT_RENEW, 0, 0);
		return;
	}
	/* Counted before the calls: a backend may report inside its call. */
	x->renew_left[x->n_renew_rounds++] = renewing;
	for (int kind = 0; kind < _CV_BACKEND_MAX; kind++) {
		struct cv_backend *b = x->backends[kind];
		size_t m = 0;

		if (!b || !b->ops->refresh)
			continue;
		/* openstack's pair modes: L2 renews the address, openstack
		 * checks the port (a VIP may be in two backends' rounds) */
		for (size_t i = 0; i < cfg->n_vips; i++)
			if (((int)cfg->vips[i].backend == kind ||
			     (int)cv_vip_mover(&cfg->vips[i]) == kind) &&
			    cv_engine_vip_state(engine, i) == CV_VIP_HELD)
				v[m++] = (struct cv_backend_op){ .conf = &cfg->vips[i],
								 .vip = (uint32_t)i };
		b->ops->refresh(b, v, m, lease_s);
	}
}

/* The step's address operations, runs of one kind in step order (a DEL then an ADD stay so). */
static void
run_addresses(struct cv_executor *x, const struct cv_engine *engine,
	      const struct cv_action *const *acts, size_t n)
{
	uint32_t lease_s = cv_engine_config(engine)->cluster.kernel_lease_ms / 1000;
	struct cv_ring_id ring = {};
	size_t members;

	/* the view the engine decided in (none: 0, a stop's releases at most) */
	(void)cv_engine_view(engine, &ring, NULL, 0, &members);
	for (size_t i = 0, k; i < n; i = k) {
		for (k = i; k < n && acts[k]->type == acts[i]->type; k++)
			;
		if (acts[i]->type == CV_ACT_RENEW)
			renew(x, engine, lease_s);
		else
			to_backends(x, acts[i]->type, lease_s, ring.seq, acts + i, k - i);
	}
}

/* ---- the rest ---- */

static void
wakeup(void *data)
{
	struct cv_executor *x = data;

	x->sink(x->userdata, &(struct cv_event){ .type = CV_EV_TIMER });
}

static int
transition_level(const struct cv_action *a)
{
	return a->to == CV_VIP_HELD || a->from == CV_VIP_HELD ? LOG_NOTICE : LOG_INFO;
}

/* Each VIP's own line: at its level in a small step, at debug in a big one. */
static void
log_transition(const struct cv_action *a, bool summarised)
{
	char buf[256];

	/* key=value for log tools (issue 17); a group's addresses are one
	 * comma-separated value */
	qb_log(summarised ? LOG_DEBUG : transition_level(a),
	       "transition vip=%s address=%s from=%s to=%s reason=%s", a->conf->head.name,
	       cv_vip_format_addrs(a->conf, buf, sizeof(buf)), cv_vip_state_to_string(a->from),
	       cv_vip_state_to_string(a->to), cv_reason_to_string(a->reason));
}

/*
 * At scale a step moves thousands of VIPs: one line per kind of transition
 * and its count (the per-VIP lines at debug), so that logging does not take
 * longer than the work. Up to TRANSITIONS_EACH, every VIP gets its line.
 */
#define TRANSITIONS_EACH 16

struct transition_count {
	const struct cv_action *first; /* from, to and reason of this kind */
	size_t n;
};

static size_t
count_transitions(const struct cv_actions *actions)
{
	size_t n = 0;

	for (size_t i = 0; i < actions->n; i++)
		n += actions->v[i].type == CV_ACT_TRANSITION;
	return n;
}

static void
log_transition_counts(const struct cv_actions *actions)
{
	struct transition_count kinds[16] = {};
	size_t n_kinds = 0, other = 0;

	for (size_t i = 0; i < actions->n; i++) {
		const struct cv_action *a = &actions->v[i];
		size_t k = 0;

		if (a->type != CV_ACT_TRANSITION)
			continue;
		while (k < n_kinds && (kinds[k].first->from != a->from || kinds[k].first->to != a->to ||
				       kinds[k].first->reason != a->reason))
			k++;
		if (k == ELEMENTSOF(kinds)) {
			other++;
			continue;
		}
		if (k == n_kinds)
			kinds[n_kinds++].first = a;
		kinds[k].n++;
	}
	for (size_t k = 0; k < n_kinds; k++)
		qb_log(transition_level(kinds[k].first),
		       "transitions vips=%zu from=%s to=%s reason=%s example=%s", kinds[k].n,
		       cv_vip_state_to_string(kinds[k].first->from),
		       cv_vip_state_to_string(kinds[k].first->to),
		       cv_reason_to_string(kinds[k].first->reason), kinds[k].first->conf->head.name);
	if (other)
		qb_log(LOG_NOTICE, "transitions vips=%zu kind=other (each in the debug log)", other);
}

/*
 * A graceful stop ends with our last RELEASED and STATE, which corosync may
 * refuse for a while (a ring re-forming: TRY_AGAIN, queued in quorum/cpg.c).
 * Exiting would drop them and make the peers wait for the kernel lease;
 * waiting longer than that lease would gain nothing. So the loop runs on
 * until the queue is empty, at most the kernel lease.
 */
#define FLUSH_POLL_MS 20

static void
stop_when_sent(void *data)
{
	struct cv_executor *x = data;

	if (!cv_cpg_has_pending(x->cpg) || now_ms() >= x->stop_by) {
		if (cv_cpg_has_pending(x->cpg))
			qb_log(LOG_WARNING, "stopping with messages corosync did not take: the peers "
			       "take our VIPs over by the kernel lease");
		qb_loop_stop(x->loop);
		return;
	}
	if (qb_loop_timer_add(x->loop, QB_LOOP_HIGH, FLUSH_POLL_MS * QB_TIME_NS_IN_MSEC, x,
			      stop_when_sent, &x->stop_timer) < 0)
		qb_loop_stop(x->loop);
}

/* "view-adopted members=3 detail=quorate", "digest-mismatch node=2": key=value. */
static void
log_notice(const struct cv_action *a)
{
	/* these two carry a member count, not a node id (core/action.h) */
	bool count = a->notice == CV_NOTICE_VIEW_ADOPTED || a->notice == CV_NOTICE_EXCHANGE_DONE;

	qb_log(a->notice == CV_NOTICE_BAD_MESSAGE ? LOG_WARNING : LOG_NOTICE, "%s %s=%u%s%s%s",
	       cv_notice_to_string(a->notice), count ? "members" : "node", a->node,
	       a->text ? " detail=\"" : "", a->text ? a->text : "", a->text ? "\"" : "");
}

static bool
is_address_op(const struct cv_action *a)
{
	return a->type == CV_ACT_ADDR_ADD || a->type == CV_ACT_ADDR_DEL || a->type == CV_ACT_RENEW;
}

static void
run_one(struct cv_executor *x, const struct cv_action *a, bool summarised)
{
	int r;

	switch (a->type) {
	case CV_ACT_ANNOUNCE:
		announce(x, a);
		break;
	case CV_ACT_SEND:
		r = x->cpg ? cv_cpg_send(x->cpg, &a->msg) : -ENOTCONN;
		if (r < 0)
			qb_log(LOG_DEBUG, "CPG send of %s failed: %s",
			       cv_proto_type_to_string(a->msg.type), cv_strerror(r));
		break;
	case CV_ACT_ARM_TIMER:
		if (cv_loop_timer_at(x->wakeup, a->at_ms) < 0)
			qb_log(LOG_CRIT, "the engine's timer: %s", cv_strerror(-errno));
		break;
	case CV_ACT_CANCEL_TIMER:
		cv_loop_timer_cancel(x->wakeup);
		break;
	case CV_ACT_TRANSITION:
		log_transition(a, summarised);
		break;
	case CV_ACT_NOTICE:
		log_notice(a);
		break;
	case CV_ACT_STOPPED:
		qb_log(LOG_NOTICE, "everything handed off, stopping");
		x->stop_by = now_ms() + x->flush_ms;
		stop_when_sent(x);
		break;
	default:
		break;
	}
}

/*
 * The address operations first, in batches, then the rest in order. Moving
 * the others after them is safe: an operation's outcome reaches the engine
 * only later, as an event (so no message of this step can depend on it),
 * an ANNOUNCE must follow its ADDR_ADD anyway, and one that would follow
 * its VIP's ADDR_DEL is dropped (announce).
 */
/*
 * Every backend the config names, once connected (a cloud's writes carry our
 * node id), before any takes: a cloud authenticates and reads what it may
 * move while nothing is at stake (its first takeover then finds a token and
 * revisions cached).
 */
static void
make_backends(struct cv_executor *x, const struct cv_config *cfg)
{
	if (x->made_all || !x->cpg)
		return;
	if (!x->cfg)
		x->cfg = cfg;
	for (size_t i = 0; i < cfg->n_vips; i++)
		(void)cv_executor_backend(x, cfg->vips[i].backend);
	x->made_all = true;
}

void
cv_executor_run(struct cv_executor *x, const struct cv_engine *engine,
		const struct cv_actions *actions)
{
	_cleanup_free_ const struct cv_action **ops = calloc(actions->n ? actions->n : 1,
							     sizeof(*ops));
	size_t n = 0;
	bool summarised;

	for (size_t i = 0; ops && i < actions->n; i++)
		if (is_address_op(&actions->v[i]))
			ops[n++] = &actions->v[i];
	if (!ops) {
		qb_log(LOG_CRIT, "out of memory: %zu actions not run", actions->n);
		return;
	}
	x->engine = engine;
	x->flush_ms = cv_engine_config(engine)->cluster.kernel_lease_ms;
	make_backends(x, cv_engine_config(engine));
	run_addresses(x, engine, ops, n);
	summarised = count_transitions(actions) > TRANSITIONS_EACH;
	for (size_t i = 0; i < actions->n; i++) {
		cv_reaper_beat();
		if (!is_address_op(&actions->v[i]))
			run_one(x, &actions->v[i], summarised);
	}
	if (summarised)
		log_transition_counts(actions);
}

void
cv_executor_switch_config(struct cv_executor *x, const struct cv_config *next)
{
	x->cfg = next;
	x->made_all = false;
	for (int kind = 0; kind < _CV_BACKEND_MAX; kind++)
		if (x->backends[kind] && x->backends[kind]->ops->switch_config)
			x->backends[kind]->ops->switch_config(x->backends[kind], next);
}

void
cv_executor_set_cpg(struct cv_executor *x, struct cv_cpg *cpg)
{
	x->cpg = cpg;
}

int
cv_executor_new(qb_loop_t *loop, uint8_t tag, cv_event_sink_fn sink, void *userdata,
		struct cv_executor **ret)
{
	struct cv_executor *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	*x = (struct cv_executor){ .loop = loop, .tag = tag, .sink = sink, .userdata = userdata };
	r = cv_loop_timer_new(loop, wakeup, x, &x->wakeup);
	/* L2 at once: the daemon's monitor, link and reconcile paths use it. */
	if (r < 0 || !cv_executor_backend(x, CV_BACKEND_L2)) {
		cv_loop_timer_free(x->wakeup);
		free(x);
		return r < 0 ? r : -ENOMEM;
	}
	*ret = x;
	return 0;
}

struct cv_executor *
cv_executor_free(struct cv_executor *x)
{
	if (!x)
		return NULL;
	cv_loop_timer_free(x->wakeup);
	if (x->feedback_queued) /* stopping: the engine will not hear of them */
		qb_loop_job_del(x->loop, QB_LOOP_HIGH, x, feedback_job);
	free(x->results);
	free(x->result_names);
	for (int kind = 0; kind < _CV_BACKEND_MAX; kind++)
		if (x->backends[kind])
			x->backends[kind]->ops->destroy(x->backends[kind]);
	free(x);
	return NULL;
}
