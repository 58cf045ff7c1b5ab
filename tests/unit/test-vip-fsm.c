/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cmocka-all.h"
#include "vip-fsm.h"

static void
only_safe_takes_a_waiting_vip(void **state)
{
	for (int ev = 0; ev < _CV_VE_MAX; ev++) {
		struct cv_vip_transition t = cv_vip_fsm_step(CV_VIP_WAITING, ev);

		assert_int_equal(t.next == CV_VIP_HELD, ev == CV_VE_SAFE);
		assert_int_equal((t.actions & CV_VA_ADD) != 0, ev == CV_VE_SAFE);
	}
	for (int ev = 0; ev < _CV_VE_MAX; ev++)
		assert_int_not_equal(cv_vip_fsm_step(CV_VIP_IDLE, ev).next, CV_VIP_HELD);
}

static void
every_way_out_of_held_removes_and_waits_for_the_removal(void **state)
{
	for (int ev = 0; ev < _CV_VE_MAX; ev++) {
		struct cv_vip_transition t = cv_vip_fsm_step(CV_VIP_HELD, ev);

		if (t.next == CV_VIP_HELD)
			continue;
		assert_int_equal(t.next, CV_VIP_RELEASING);
		assert_true(t.actions & CV_VA_DEL);
		assert_false(t.actions & CV_VA_RELEASED); /* not before the removal is done */
	}
}

static void
released_only_once_the_removal_is_done(void **state)
{
	for (int ev = 0; ev < _CV_VE_MAX; ev++) {
		struct cv_vip_transition t = cv_vip_fsm_step(CV_VIP_RELEASING, ev);

		if (ev == CV_VE_RELEASE_DONE) {
			assert_int_equal(t.next, CV_VIP_IDLE);
			assert_int_equal(t.actions, CV_VA_RELEASED);
		} else {
			assert_int_equal(t.next, CV_VIP_RELEASING);
			assert_int_equal(t.actions, 0);
		}
	}
}

static void
a_taker_that_gives_up_still_says_released(void **state)
{
	assert_true(cv_vip_fsm_step(CV_VIP_WAITING, CV_VE_DISOWNED).actions & CV_VA_RELEASED);
	assert_false(cv_vip_fsm_step(CV_VIP_WAITING, CV_VE_DISOWNED).actions & CV_VA_DEL);
}

static void
taking_bumps_the_epoch_before_adding(void **state)
{
	struct cv_vip_transition t = cv_vip_fsm_step(CV_VIP_WAITING, CV_VE_SAFE);

	assert_true(t.actions & CV_VA_EPOCH);
	assert_true(t.actions & CV_VA_ANNOUNCE);
}

static void
held_address_gone_is_added_back(void **state)
{
	struct cv_vip_transition t = cv_vip_fsm_step(CV_VIP_HELD, CV_VE_ADDR_GONE);

	assert_int_equal(t.next, CV_VIP_HELD);
	assert_int_equal(t.actions, CV_VA_ADD | CV_VA_ANNOUNCE);
	assert_int_equal(cv_vip_fsm_step(CV_VIP_IDLE, CV_VE_ADDR_GONE).actions, 0);
}

static void
out_of_range_keeps_the_state(void **state)
{
	assert_int_equal(cv_vip_fsm_step(CV_VIP_HELD, _CV_VE_MAX).next, CV_VIP_HELD);
	assert_int_equal(cv_vip_fsm_step(CV_VIP_HELD, _CV_VE_MAX).actions, 0);
	assert_null(cv_vip_event_to_string(_CV_VE_MAX));
	assert_string_equal(cv_vip_event_to_string(CV_VE_SAFE), "safe");
	assert_string_equal(cv_vip_state_to_string(CV_VIP_WAITING), "waiting");
	assert_int_equal(cv_vip_state_from_string("held"), CV_VIP_HELD);
	assert_int_equal(cv_reason_from_string("lease-lapsed"), CV_REASON_LEASE_LAPSED);
	assert_int_equal(cv_action_type_from_string("nope"), _CV_ACTION_TYPE_INVALID);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(only_safe_takes_a_waiting_vip),
		cmocka_unit_test(every_way_out_of_held_removes_and_waits_for_the_removal),
		cmocka_unit_test(released_only_once_the_removal_is_done),
		cmocka_unit_test(a_taker_that_gives_up_still_says_released),
		cmocka_unit_test(taking_bumps_the_epoch_before_adding),
		cmocka_unit_test(held_address_gone_is_added_back),
		cmocka_unit_test(out_of_range_keeps_the_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
