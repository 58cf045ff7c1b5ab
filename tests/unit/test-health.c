/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmocka-all.h"
#include "health.h"

/* n outcomes at t, t+1, ...; true if any of them changed the reported state. */
static bool
feed(struct cv_health *h, bool passed, int n, uint64_t *t)
{
	bool changed = false;

	for (int i = 0; i < n; i++)
		changed |= cv_health_result(h, passed, (*t)++);
	return changed;
}

static void
starts_failing(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 2, 3, 1000);
	assert_false(cv_health_ok(&h));
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
	/* failures on a failing check change nothing */
	assert_false(cv_health_result(&h, false, 5));
	assert_false(cv_health_ok(&h));
}

static void
rise_passes_turn_healthy(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 3, 2, 0);
	assert_false(cv_health_result(&h, true, 1));
	assert_false(cv_health_result(&h, true, 2));
	assert_false(cv_health_ok(&h));
	assert_true(cv_health_result(&h, true, 3));
	assert_true(cv_health_ok(&h));
	/* more passes: no change to report */
	assert_false(cv_health_result(&h, true, 4));
}

static void
a_failure_resets_the_pass_streak(void **state)
{
	struct cv_health h;
	uint64_t t = 1;

	cv_health_init(&h, 3, 2, 0);
	assert_false(feed(&h, true, 2, &t));
	assert_false(cv_health_result(&h, false, t++));
	assert_false(feed(&h, true, 2, &t)); /* 2 again, not 4 */
	assert_false(cv_health_ok(&h));
	assert_true(cv_health_result(&h, true, t++));
	assert_true(cv_health_ok(&h));

	/* and a pass resets the failure streak */
	assert_false(cv_health_result(&h, false, t++));
	assert_false(cv_health_result(&h, true, t++));
	assert_false(cv_health_result(&h, false, t++));
	assert_true(cv_health_ok(&h));
}

static void
fall_failures_turn_failing(void **state)
{
	struct cv_health h;
	uint64_t t = 1;

	cv_health_init(&h, 1, 3, 0);
	assert_true(cv_health_result(&h, true, t++));
	assert_false(feed(&h, false, 2, &t));
	assert_true(cv_health_ok(&h));
	assert_true(cv_health_result(&h, false, t++));
	assert_false(cv_health_ok(&h));
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
}

static void
first_change_is_not_held_back(void **state)
{
	struct cv_health h;

	/* the start's failing -> healthy: no reported change before it to hold down */
	cv_health_init(&h, 2, 2, 60000);
	assert_false(cv_health_result(&h, true, 100));
	assert_true(cv_health_result(&h, true, 200));
	assert_true(cv_health_ok(&h));
}

static void
a_change_in_the_hold_down_is_reported_at_its_end(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 1, 2, 1000);
	assert_true(cv_health_result(&h, true, 100));
	assert_false(cv_health_result(&h, false, 200));
	assert_true(cv_health_result(&h, false, 300)); /* a failure: at once, hold-down to 1300 */
	assert_false(cv_health_ok(&h));
	assert_false(cv_health_result(&h, true, 400)); /* healthy by rise, held back */
	assert_false(cv_health_ok(&h));
	assert_int_equal(cv_health_due(&h), 1300);
	assert_false(cv_health_tick(&h, 1299));
	assert_true(cv_health_tick(&h, 1300));
	assert_true(cv_health_ok(&h));
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
	assert_false(cv_health_tick(&h, 1301));

	/* the next failure is reported at once again */
	assert_false(cv_health_result(&h, false, 1400));
	assert_true(cv_health_result(&h, false, 1500));
	assert_false(cv_health_ok(&h));
}

static void
a_result_after_the_hold_down_reports_the_held_change(void **state)
{
	struct cv_health h;

	/* the caller's timer may be late: the next outcome reports it as well */
	cv_health_init(&h, 1, 1, 1000);
	assert_true(cv_health_result(&h, true, 0));
	assert_true(cv_health_result(&h, false, 10));
	assert_false(cv_health_result(&h, true, 20));
	assert_true(cv_health_result(&h, true, 5000));
	assert_true(cv_health_ok(&h));
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
}

static void
a_change_that_flips_back_in_the_hold_down_is_dropped(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 2, 1, 1000);
	assert_false(cv_health_result(&h, true, 0));
	assert_true(cv_health_result(&h, true, 10));
	assert_true(cv_health_result(&h, false, 20)); /* hold-down until 1020 */
	assert_false(cv_health_result(&h, true, 30));
	assert_false(cv_health_result(&h, true, 40)); /* healthy by rise: held back */
	assert_int_equal(cv_health_due(&h), 1020);
	assert_false(cv_health_result(&h, false, 50)); /* failing again: nothing due */
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
	assert_false(cv_health_tick(&h, 1020));
	assert_false(cv_health_ok(&h));
}

static void
a_flapping_check_moves_the_vip_once(void **state)
{
	struct cv_health h;
	int reports = 0;

	/* a check flapping every 200 ms with a 5 s hold-down: one failure reported, then
	 * healthy only once it has passed for 5 s after its last failure */
	cv_health_init(&h, 1, 1, 5000);
	assert_true(cv_health_result(&h, true, 0));
	for (uint64_t t = 200; t <= 4800; t += 200)
		reports += cv_health_result(&h, (t / 200) % 2 == 0, t);
	assert_int_equal(reports, 1);
	assert_false(cv_health_ok(&h)); /* 4800 passed, 4600 failed: held back to 9600 */
	assert_int_equal(cv_health_due(&h), 9600);
	assert_true(cv_health_tick(&h, 9600));
	assert_true(cv_health_ok(&h));
}

static void
hold_down_zero_holds_nothing(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 1, 1, 0);
	for (uint64_t t = 0; t < 10; t++) {
		assert_true(cv_health_result(&h, t % 2 == 0, 7));
		assert_int_equal(cv_health_ok(&h), t % 2 == 0);
		assert_int_equal(cv_health_due(&h), UINT64_MAX);
	}
}

static void
times_near_the_limit_saturate(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 1, 1, UINT32_MAX);
	assert_true(cv_health_result(&h, true, UINT64_MAX - 5));
	/* the hold-down would end past UINT64_MAX: it ends there, not near 0 */
	assert_true(cv_health_result(&h, false, UINT64_MAX - 4));
	assert_false(cv_health_result(&h, true, UINT64_MAX - 3));
	/* due at the end of time reads as never: no clock gets there */
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
	assert_false(cv_health_tick(&h, UINT64_MAX - 1));
	assert_false(cv_health_ok(&h));
	assert_true(cv_health_tick(&h, UINT64_MAX));
	assert_true(cv_health_ok(&h));

	/* a long hold-down from time 0 does not wrap either */
	cv_health_init(&h, 1, 1, UINT32_MAX);
	assert_true(cv_health_result(&h, true, 0));
	assert_true(cv_health_result(&h, false, 1));
	assert_false(cv_health_result(&h, true, 2));
	assert_int_equal(cv_health_due(&h), (uint64_t)UINT32_MAX + 1);
}

static void
zero_rise_or_fall_counts_as_one(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 0, 0, 0);
	assert_false(cv_health_ok(&h));
	assert_false(cv_health_result(&h, false, 1));
	assert_true(cv_health_result(&h, true, 2));
	assert_true(cv_health_result(&h, false, 3));
}

/* A recheck (corovipctl recheck) takes one outcome as it is. */
static void
a_forced_outcome_skips_rise_fall_and_hold_down(void **state)
{
	struct cv_health h;

	cv_health_init(&h, 2, 3, 5000);
	assert_true(cv_health_force(&h, true, 100)); /* no rise of 2 */
	assert_true(cv_health_ok(&h));
	assert_false(cv_health_force(&h, true, 150));
	assert_true(cv_health_force(&h, false, 200)); /* no fall of 3 */
	assert_false(cv_health_ok(&h));
	assert_false(cv_health_result(&h, false, 300)); /* hold-down until 5300 */
	assert_true(cv_health_force(&h, true, 400)); /* not held back */
	assert_true(cv_health_ok(&h));
	assert_int_equal(cv_health_due(&h), UINT64_MAX);
	/* the debounced runs go on from the forced state */
	assert_false(cv_health_result(&h, false, 500));
	assert_false(cv_health_result(&h, false, 600));
	assert_true(cv_health_result(&h, false, 700));
	assert_false(cv_health_ok(&h));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(starts_failing),
		cmocka_unit_test(rise_passes_turn_healthy),
		cmocka_unit_test(a_failure_resets_the_pass_streak),
		cmocka_unit_test(fall_failures_turn_failing),
		cmocka_unit_test(first_change_is_not_held_back),
		cmocka_unit_test(a_change_in_the_hold_down_is_reported_at_its_end),
		cmocka_unit_test(a_result_after_the_hold_down_reports_the_held_change),
		cmocka_unit_test(a_change_that_flips_back_in_the_hold_down_is_dropped),
		cmocka_unit_test(a_flapping_check_moves_the_vip_once),
		cmocka_unit_test(hold_down_zero_holds_nothing),
		cmocka_unit_test(times_near_the_limit_saturate),
		cmocka_unit_test(zero_rise_or_fall_counts_as_one),
		cmocka_unit_test(a_forced_outcome_skips_rise_fall_and_hold_down),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
