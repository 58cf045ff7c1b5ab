/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent/executor.c against a fake backend (issue 12): it knows no backend,
 * hands a step's address operations over in batches, in step order, and
 * turns their outcomes into events from loop jobs, never inside the step.
 * Linked with the executor alone: the backend lookup, the reaper's beat and
 * the CPG calls are this file's.
 */
#include <stdbool.h>
#include <string.h>

#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "cmocka-all.h"
#include "executor.h"
#include "reaper.h"

/* ---- the fake backend ---- */

#define MAXCALLS 16

struct call {
	char what;	/* 'a'cquire, 'r'elease, 'f'resh, 'n'nounce */
	size_t n;	/* VIPs in the batch */
	uint64_t epoch; /* of its first VIP */
};

static struct fake {
	struct cv_backend base;
	struct cv_backend_env env;
	struct call calls[MAXCALLS];
	size_t n_calls;
	int fail;  /* what each acquire reports */
	bool made; /* create was called */
} fake;

static void
record(char what, const struct cv_backend_op *ops, size_t n)
{
	if (fake.n_calls < MAXCALLS)
		fake.calls[fake.n_calls++] = (struct call){ .what = what, .n = n,
							    .epoch = n ? ops[0].epoch : 0 };
}

static int
fake_create(const struct cv_backend_env *env, struct cv_backend **ret)
{
	fake.env = *env;
	fake.made = true;
	*ret = &fake.base;
	return 0;
}

static void
fake_destroy(struct cv_backend *b)
{
	fake.made = false;
}

/* Reports inside the call: the executor must still deliver them later. */
static void
fake_acquire(struct cv_backend *b, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	record('a', ops, n);
	for (size_t i = 0; i < n; i++)
		fake.env.result(fake.env.userdata, ops[i].conf, CV_ACT_ADDR_ADD, ops[i].epoch,
				fake.fail, NULL);
}

static void
fake_release(struct cv_backend *b, const struct cv_backend_op *ops, size_t n)
{
	record('r', ops, n);
	for (size_t i = 0; i < n; i++)
		fake.env.result(fake.env.userdata, ops[i].conf, CV_ACT_ADDR_DEL, ops[i].epoch, 0, NULL);
}

static void
fake_refresh(struct cv_backend *b, const struct cv_backend_op *held, size_t n, uint32_t lease_s)
{
	record('f', held, n);
}

static void
fake_announce(struct cv_backend *b, const struct cv_backend_op *op)
{
	record('n', op, 1);
}

static const struct cv_backend_ops fake_ops = {
	.kind = CV_BACKEND_L2,
	.create = fake_create,
	.destroy = fake_destroy,
	.acquire = fake_acquire,
	.release = fake_release,
	.refresh = fake_refresh,
	.announce = fake_announce,
};

/* This build's backends: the fake for L2, none for the clouds. */
const struct cv_backend_ops *
cv_backend_lookup(enum cv_backend_kind kind)
{
	fake.base.ops = &fake_ops;
	return kind == CV_BACKEND_L2 ? &fake_ops : NULL;
}

/* ---- what the executor calls besides the backend ---- */

static bool cpg_pending;
static size_t sends;

void
cv_reaper_beat(void)
{
}

int
cv_cpg_send(struct cv_cpg *c, const struct cv_proto_msg *m)
{
	sends++;
	return 0;
}

bool
cv_cpg_has_pending(const struct cv_cpg *c)
{
	return cpg_pending;
}

uint32_t
cv_cpg_nodeid(const struct cv_cpg *c)
{
	return 7;
}

/* ---- the test's loop and engine ---- */

static struct env {
	qb_loop_t *loop;
	struct cv_config *cfg;
	struct cv_engine *engine;
	struct cv_executor *x;
	struct cv_event results[MAXCALLS];
	char names[MAXCALLS][CV_NAME_MAX + 1];
	size_t n_results;
	size_t events;
} t;

/* Each result alone, as the engine takes them in turn (t.events: how many events). */
static void
sink(void *userdata, const struct cv_event *ev)
{
	if (ev->type != CV_EV_ACTION_RESULTS)
		return;
	t.events++;
	for (size_t i = 0; i < ev->results.n && t.n_results < MAXCALLS; i++) {
		const struct cv_action_result *r = &ev->results.v[i];

		t.results[t.n_results] = (struct cv_event){ .type = CV_EV_ACTION_RESULT,
							    .result = *r };
		snprintf(t.names[t.n_results], sizeof(t.names[0]), "%s", r->vip ? r->vip : "*");
		t.results[t.n_results].result.vip = NULL; /* borrowed: gone after the event */
		t.n_results++;
	}
}

static int
setup(void **state)
{
	static const char text[] = "vip a {\n address: 192.0.2.1\n interface: e0\n}\n"
				   "vip b {\n address: 192.0.2.2\n interface: e0\n}\n"
				   "vip c {\n address: 192.0.2.3\n interface: e1\n}\n";
	struct cv_conf_error e = {};

	memset(&t, 0, sizeof(t));
	memset(&fake, 0, sizeof(fake));
	cpg_pending = false;
	sends = 0;
	t.loop = qb_loop_create();
	assert_non_null(t.loop);
	assert_int_equal(cv_config_parse(text, sizeof(text) - 1, &t.cfg, &e), 0);
	assert_int_equal(cv_engine_new(t.cfg, &(struct cv_engine_params){ .nodeid = 1, .pid = 7 },
				       &t.engine), 0);
	assert_int_equal(cv_executor_new(t.loop, 0x63, sink, NULL, &t.x), 0);
	assert_true(fake.made); /* L2 is made at once */
	return 0;
}

static int
teardown(void **state)
{
	cv_executor_free(t.x);
	assert_false(fake.made);
	cv_engine_free(t.engine);
	cv_config_free(t.cfg);
	qb_loop_destroy(t.loop);
	return 0;
}

static struct cv_action
addr_op(enum cv_action_type type, size_t vip, uint64_t epoch)
{
	return (struct cv_action){ .type = type, .vip = (uint32_t)vip, .epoch = epoch,
				   .conf = &t.cfg->vips[vip] };
}

static void
run(struct cv_action *v, size_t n)
{
	struct cv_actions a = { .v = v, .n = n };

	cv_executor_run(t.x, t.engine, &a);
}

static void
stop_loop(void *data)
{
	qb_loop_stop(data);
}

/* Let the loop run for at most ms (its jobs, its timers); how long it ran, in ms. */
static uint64_t
run_loop(uint64_t ms)
{
	uint64_t start = qb_util_nano_current_get();
	qb_loop_timer_handle h;

	assert_int_equal(qb_loop_timer_add(t.loop, QB_LOOP_LOW, ms * QB_TIME_NS_IN_MSEC, t.loop,
					   stop_loop, &h), 0);
	qb_loop_run(t.loop);
	qb_loop_timer_del(t.loop, h);
	return (qb_util_nano_current_get() - start) / QB_TIME_NS_IN_MSEC;
}

/* A step's ADDR_ADDs go to the backend as one batch; outcomes come later, in one event. */
static void
adds_are_one_batch_and_results_come_from_the_loop(void **state)
{
	struct cv_action v[] = { addr_op(CV_ACT_ADDR_ADD, 0, 11), addr_op(CV_ACT_ADDR_ADD, 1, 12),
				 addr_op(CV_ACT_ADDR_ADD, 2, 13) };

	run(v, 3);
	assert_int_equal(fake.n_calls, 1);
	assert_int_equal(fake.calls[0].what, 'a');
	assert_int_equal(fake.calls[0].n, 3);
	assert_int_equal(t.n_results, 0); /* reported inside the call, not delivered yet */
	run_loop(20);
	assert_int_equal(t.n_results, 3);
	assert_int_equal(t.events, 1); /* one engine step for all three */
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(t.results[i].result.op, CV_ACT_ADDR_ADD);
		assert_int_equal(t.results[i].result.epoch, 11 + i);
		assert_int_equal(t.results[i].result.err, 0);
		assert_string_equal(t.names[i], t.cfg->vips[i].head.name);
	}
}

/* Runs of one operation keep their step order: a DEL before an ADD stays so. */
static void
a_release_before_an_acquire_stays_before_it(void **state)
{
	struct cv_action v[] = { addr_op(CV_ACT_ADDR_DEL, 0, 3), addr_op(CV_ACT_ADDR_DEL, 1, 4),
				 addr_op(CV_ACT_ADDR_ADD, 2, 5) };

	run(v, 3);
	assert_int_equal(fake.n_calls, 2);
	assert_int_equal(fake.calls[0].what, 'r');
	assert_int_equal(fake.calls[0].n, 2);
	assert_int_equal(fake.calls[0].epoch, 3);
	assert_int_equal(fake.calls[1].what, 'a');
	assert_int_equal(fake.calls[1].epoch, 5);
}

/* A failure is the VIP's result, with its epoch. */
static void
a_failed_acquire_comes_back_with_its_epoch(void **state)
{
	struct cv_action v[] = { addr_op(CV_ACT_ADDR_ADD, 1, 42) };

	fake.fail = -EADDRINUSE;
	run(v, 1);
	run_loop(20);
	assert_int_equal(t.n_results, 1);
	assert_int_equal(t.results[0].result.err, -EADDRINUSE);
	assert_int_equal(t.results[0].result.epoch, 42);
	assert_string_equal(t.names[0], "b");
}

/* A VIP whose backend this build lacks fails, and nothing else does. */
static void
a_backend_not_built_fails_its_vips_only(void **state)
{
	struct cv_action v[] = { addr_op(CV_ACT_ADDR_ADD, 0, 1), addr_op(CV_ACT_ADDR_ADD, 1, 2) };

	t.cfg->vips[1].backend = CV_BACKEND_OPENSTACK; /* (the config refuses it today) */
	run(v, 2);
	t.cfg->vips[1].backend = CV_BACKEND_L2;
	run_loop(20);
	assert_int_equal(fake.n_calls, 1);
	assert_int_equal(fake.calls[0].n, 1);
	assert_int_equal(t.n_results, 2);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(t.results[i].result.err,
				 strcmp(t.names[i], "b") == 0 ? -EOPNOTSUPP : 0);
	assert_string_not_equal(t.names[0], t.names[1]);
}

/*
 * RENEW: the backend refreshes what the engine holds; the one RENEW result
 * comes once the backend says the renewal is done, not when it was asked
 * (the engine counts a lapsing hold from it).
 */
static void
renew_refreshes_and_reports_once(void **state)
{
	struct cv_action v[] = { { .type = CV_ACT_RENEW } };

	run(v, 1);
	assert_int_equal(fake.n_calls, 1);
	assert_int_equal(fake.calls[0].what, 'f');
	assert_int_equal(fake.calls[0].n, 0); /* a new engine holds nothing */
	run_loop(20);
	assert_int_equal(t.n_results, 0); /* the backend has not finished */
	fake.env.result(fake.env.userdata, NULL, CV_ACT_RENEW, 0, 0, NULL);
	run_loop(20);
	assert_int_equal(t.n_results, 1);
	assert_int_equal(t.results[0].result.op, CV_ACT_RENEW);
	assert_string_equal(t.names[0], "*");
}

/*
 * The test's engine, node 1 alone in a quorate ring, driven until it holds
 * VIP vip: its own messages delivered back, its timers fired, its adds
 * answered. The executor's ANNOUNCE asks the engine whether it holds the
 * VIP (a VIP its step let go is not announced).
 */
static void
step_engine(const struct cv_event *ev, uint64_t now, uint64_t *timer)
{
	struct cv_actions a = {};

	assert_int_equal(cv_engine_step(t.engine, ev, now, &a), 0);
	for (size_t i = 0; i < a.n; i++) {
		struct cv_action *x = &a.v[i];

		if (x->type == CV_ACT_ARM_TIMER)
			*timer = x->at_ms;
		if (x->type == CV_ACT_SEND) {
			struct cv_proto_msg m = x->msg;

			x->msg = (struct cv_proto_msg){};
			step_engine(&(struct cv_event){ .type = CV_EV_MESSAGE,
							.message = { .nodeid = 1, .pid = 7, .msg = &m } },
				    now, timer);
			cv_proto_msg_done(&m);
		}
		if (x->type == CV_ACT_ADDR_ADD)
			step_engine(&(struct cv_event){ .type = CV_EV_ACTION_RESULT,
							.result = { .op = x->type, .epoch = x->epoch,
								    .vip = x->conf->head.name } },
				    now, timer);
	}
	cv_actions_done(&a);
}

static void
engine_holds(size_t vip)
{
	uint32_t me = 1;
	struct cv_member gm = { .nodeid = 1, .pid = 7 };
	struct cv_ring_id ring = { .nodeid = 1, .seq = 1 };
	uint64_t now = 1000, timer = UINT64_MAX;

	step_engine(&(struct cv_event){ .type = CV_EV_GROUP, .group = { .members = &gm, .n_members = 1 } },
		    now, &timer);
	step_engine(&(struct cv_event){ .type = CV_EV_TOTEM,
					.totem = { .ring = ring, .members = &me, .n_members = 1 } },
		    now, &timer);
	step_engine(&(struct cv_event){ .type = CV_EV_QUORUM,
					.quorum = { .ring = ring, .quorate = true, .members = &me,
						    .n_members = 1, .quorum_votes = 1,
						    .expected_votes = 1 } },
		    now, &timer);
	while (cv_engine_vip_state(t.engine, vip) != CV_VIP_HELD && timer != UINT64_MAX &&
	       timer < 60000) {
		now = now > timer ? now : timer;
		timer = UINT64_MAX;
		step_engine(&(struct cv_event){ .type = CV_EV_TIMER }, now, &timer);
	}
	assert_int_equal(cv_engine_vip_state(t.engine, vip), CV_VIP_HELD);
}

/* ANNOUNCE follows the step's ADDR_ADD, whatever the order of the actions. */
static void
an_announce_goes_after_the_acquire(void **state)
{
	struct cv_action v[] = { addr_op(CV_ACT_ADDR_ADD, 0, 1), addr_op(CV_ACT_ANNOUNCE, 0, 1),
				 addr_op(CV_ACT_ADDR_ADD, 1, 2) };

	engine_holds(0);
	run(v, 3);
	assert_int_equal(fake.n_calls, 2);
	assert_int_equal(fake.calls[0].what, 'a');
	assert_int_equal(fake.calls[0].n, 2);
	assert_int_equal(fake.calls[1].what, 'n');
}

/* An ANNOUNCE of a VIP the engine does not hold after the step (its step
 * released it: a heal's re-announce, then a preempting release) is dropped:
 * it would claim an address the next holder takes. */
static void
an_announce_of_a_vip_let_go_is_dropped(void **state)
{
	struct cv_action v[] = { addr_op(CV_ACT_ANNOUNCE, 1, 1), addr_op(CV_ACT_ADDR_DEL, 1, 1) };

	/* the test's engine holds nothing yet */
	run(v, 2);
	assert_int_equal(fake.n_calls, 1);
	assert_int_equal(fake.calls[0].what, 'r');
}

/* A graceful stop waits while corosync has not taken our last words. */
static void
stop_waits_for_what_corosync_refused(void **state)
{
	struct cv_action v[] = { { .type = CV_ACT_STOPPED } };

	cpg_pending = true;
	run(v, 1);
	assert_true(run_loop(100) >= 100); /* still running: the stop waits */
	cpg_pending = false;
	assert_true(run_loop(5000) < 2500); /* taken: it stops at its next look (20 ms) */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(adds_are_one_batch_and_results_come_from_the_loop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(a_release_before_an_acquire_stays_before_it, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_failed_acquire_comes_back_with_its_epoch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(a_backend_not_built_fails_its_vips_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(renew_refreshes_and_reports_once, setup, teardown),
		cmocka_unit_test_setup_teardown(an_announce_goes_after_the_acquire, setup, teardown),
		cmocka_unit_test_setup_teardown(an_announce_of_a_vip_let_go_is_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(stop_waits_for_what_corosync_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
