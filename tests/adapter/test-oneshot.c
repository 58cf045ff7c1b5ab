/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * backend/oneshot.c against a fake backend: a run waits on its private loop
 * for every VIP's outcome, inside the call or later; announces only what it
 * took; gives up at the deadline; refuses a VIP of another kind. Linked with
 * the runner alone: the backend lookup is this file's.
 */
#include <stdbool.h>
#include <string.h>

#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "cmocka-all.h"
#include "oneshot.h"

/* ---- the fake backend: per VIP, how its acquire ends ---- */

enum how { NOW, LATER, FAIL, NEVER };

#define NVIPS 3

struct later {
	const struct cv_vip_conf *conf;
	enum cv_action_type op;
	uint64_t epoch;
	qb_loop_timer_handle t;
};

static struct fake {
	struct cv_backend base;
	struct cv_backend_env env;
	enum how how[NVIPS];
	const struct cv_vip_conf *vips;
	bool announced[NVIPS];
	size_t acquires, destroys;
	struct later later[2 * NVIPS];
	size_t n_later;
} fake;

static void
report_later(void *data)
{
	struct later *l = data;

	fake.env.result(fake.env.userdata, l->conf, l->op, l->epoch, 0, NULL);
}

/* From the loop, 10 ms on. */
static void
later(const struct cv_backend_op *op, enum cv_action_type act)
{
	struct later *l = &fake.later[fake.n_later++];

	*l = (struct later){ .conf = op->conf, .op = act, .epoch = op->epoch };
	assert_int_equal(qb_loop_timer_add(fake.env.loop, QB_LOOP_HIGH, 10 * QB_TIME_NS_IN_MSEC, l,
					   report_later, &l->t),
			 0);
}

static int
fake_create(const struct cv_backend_env *env, struct cv_backend **ret)
{
	assert_true(env->oneshot);
	fake.env = *env;
	*ret = &fake.base;
	return 0;
}

static void
fake_destroy(struct cv_backend *b)
{
	fake.destroys++;
}

static void
fake_acquire(struct cv_backend *b, const struct cv_backend_op *ops, size_t n, uint32_t lease_s)
{
	fake.acquires++;
	for (size_t i = 0; i < n; i++) {
		size_t v = (size_t)(ops[i].conf - fake.vips);

		if (fake.how[v] == NOW)
			fake.env.result(fake.env.userdata, ops[i].conf, CV_ACT_ADDR_ADD, ops[i].epoch, 0,
					NULL);
		else if (fake.how[v] == FAIL)
			fake.env.result(fake.env.userdata, ops[i].conf, CV_ACT_ADDR_ADD, ops[i].epoch,
					-EACCES, "the kernel says no");
		else if (fake.how[v] == LATER)
			later(&ops[i], CV_ACT_ADDR_ADD);
	}
}

static void
fake_release(struct cv_backend *b, const struct cv_backend_op *ops, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fake.env.result(fake.env.userdata, ops[i].conf, CV_ACT_ADDR_DEL, ops[i].epoch, 0,
				NULL);
}

static void
fake_announce(struct cv_backend *b, const struct cv_backend_op *op)
{
	fake.announced[op->conf - fake.vips] = true;
	later(op, CV_ACT_ANNOUNCE);
}

/* No refresh: a step the backend does not have is done. */
static const struct cv_backend_ops fake_ops = {
	.kind = CV_BACKEND_L2,
	.create = fake_create,
	.destroy = fake_destroy,
	.acquire = fake_acquire,
	.release = fake_release,
	.announce = fake_announce,
};

const struct cv_backend_ops *
cv_backend_lookup(enum cv_backend_kind kind)
{
	return kind == CV_BACKEND_L2 ? &fake_ops : NULL;
}

/* ---- the tests ---- */

static struct cv_vip_conf vips[NVIPS];

static int
setup(void **state)
{
	fake = (struct fake){ .base = { .ops = &fake_ops }, .vips = vips };
	for (size_t i = 0; i < NVIPS; i++)
		vips[i] = (struct cv_vip_conf){ .backend = CV_BACKEND_L2 };
	return 0;
}

static int
run(enum cv_oneshot_op op, bool announce, uint32_t deadline_ms, struct cv_oneshot_result *res)
{
	struct cv_oneshot_req req = { .op = op, .vips = vips, .n = NVIPS, .announce = announce,
				      .deadline_ms = deadline_ms };

	return cv_oneshot_apply(CV_BACKEND_L2, 0x6c, 0, &req, res);
}

static void
outcomes_inside_the_call_and_from_the_loop(void **state)
{
	struct cv_oneshot_result res[NVIPS];

	fake.how[0] = NOW;
	fake.how[1] = LATER;
	fake.how[2] = FAIL;
	assert_int_equal(run(CV_ONESHOT_ACQUIRE, false, 5000, res), -EIO);
	assert_int_equal(fake.acquires, 1); /* one batch */
	assert_int_equal(res[0].err, 0);
	assert_int_equal(res[1].err, 0); /* waited for */
	assert_int_equal(res[2].err, -EACCES);
	assert_int_equal(res[2].op, CV_ACT_ADDR_ADD);
	assert_string_equal(res[2].detail, "the kernel says no");
	assert_int_equal(cv_oneshot_first_failure(res, NVIPS), 2);
	assert_int_equal(fake.destroys, 1);
}

static void
announces_only_what_it_took(void **state)
{
	struct cv_oneshot_result res[NVIPS];

	fake.how[0] = LATER;
	fake.how[1] = FAIL;
	fake.how[2] = NOW;
	assert_int_equal(run(CV_ONESHOT_ACQUIRE, true, 5000, res), -EIO);
	assert_true(fake.announced[0]);
	assert_false(fake.announced[1]);
	assert_true(fake.announced[2]);
	assert_int_equal(res[0].err, 0);
	assert_int_equal(res[1].op, CV_ACT_ADDR_ADD);
	assert_int_equal(res[2].err, 0);
}

static void
what_never_reports_times_out(void **state)
{
	struct cv_oneshot_result res[NVIPS];
	uint64_t start = qb_util_nano_current_get();

	fake.how[1] = NEVER;
	assert_int_equal(run(CV_ONESHOT_ACQUIRE, false, 50, res), -EIO);
	assert_true(qb_util_nano_current_get() - start < 1000 * QB_TIME_NS_IN_MSEC);
	assert_int_equal(res[0].err, 0);
	assert_int_equal(res[1].err, -ETIMEDOUT);
	assert_int_equal(res[1].op, CV_ACT_ADDR_ADD);
}

static void
a_vip_of_another_kind_is_refused(void **state)
{
	struct cv_oneshot_result res[NVIPS];

	vips[2].backend = CV_BACKEND_AWS;
	assert_int_equal(run(CV_ONESHOT_ACQUIRE, false, 5000, res), -EINVAL);
	assert_int_equal(fake.acquires, 0);
}

static void
a_step_the_backend_lacks_is_done(void **state)
{
	struct cv_oneshot_result res[NVIPS];

	assert_int_equal(run(CV_ONESHOT_RENEW, false, 5000, res), 0);
	assert_int_equal(run(CV_ONESHOT_RELEASE, false, 5000, res), 0);
}

static void
a_kind_not_built_cannot_run(void **state)
{
	struct cv_oneshot *s = NULL;

	assert_int_equal(cv_oneshot_new(CV_BACKEND_AWS, 0x6c, 0, &s), -EOPNOTSUPP);
	assert_null(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(outcomes_inside_the_call_and_from_the_loop, setup),
		cmocka_unit_test_setup(announces_only_what_it_took, setup),
		cmocka_unit_test_setup(what_never_reports_times_out, setup),
		cmocka_unit_test_setup(a_vip_of_another_kind_is_refused, setup),
		cmocka_unit_test_setup(a_step_the_backend_lacks_is_done, setup),
		cmocka_unit_test_setup(a_kind_not_built_cannot_run, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
