/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon-to-reaper byte stream (agent/reaper-wire.c). */
#include <string.h>

#include "cmocka-all.h"
#include "reaper-wire.h"

/* What a stream says: the last lease, the names (space-joined), quit or not. */
struct heard {
	uint64_t lease;
	int leases, bad_names, beats;
	char names[128];
	bool quit;
};

static struct heard
hear(struct cv_reaper_reader *rd, const char *bytes)
{
	struct heard h = { 0 };

	for (const char *p = bytes; *p; p++) {
		switch (cv_reaper_read_byte(rd, *p)) {
		case CV_REAPER_MSG_LEASE:
			h.lease = rd->lease;
			h.leases++;
			break;
		case CV_REAPER_MSG_NAME:
			if (h.names[0])
				strcat(h.names, " ");
			strcat(h.names, rd->name);
			break;
		case CV_REAPER_MSG_BAD_NAME:
			h.bad_names++;
			break;
		case CV_REAPER_MSG_QUIT:
			h.quit = true;
			break;
		case CV_REAPER_MSG_BEAT:
			h.beats++;
			break;
		case CV_REAPER_MSG_NONE:
			break;
		}
	}
	return h;
}

static void
lease_line_round_trip(void **state)
{
	struct cv_reaper_reader rd = { 0 };
	char line[CV_REAPER_LEASE_LINE_MAX];
	size_t n = cv_reaper_lease_line(line, sizeof(line), UINT64_C(123456789012));
	struct heard h;

	assert_int_equal(n, strlen("l123456789012\n"));
	assert_string_equal(line, "l123456789012\n");
	h = hear(&rd, line);
	assert_int_equal(h.leases, 1);
	assert_true(h.lease == UINT64_C(123456789012));
	/* 0: it holds nothing now */
	cv_reaper_lease_line(line, sizeof(line), 0);
	h = hear(&rd, line);
	assert_int_equal(h.leases, 1);
	assert_true(h.lease == 0);
}

static void
lease_beside_beats_names_and_quit(void **state)
{
	struct cv_reaper_reader rd = { 0 };
	struct heard h = hear(&rd, "bbl5000\nbieth0\nl7bl9000\nb");

	assert_int_equal(h.leases, 2);
	assert_true(h.lease == 9000);
	assert_string_equal(h.names, "eth0");
	assert_false(h.quit);
	assert_int_equal(h.beats, 5); /* the cut "l7" is dropped at its 'b', which beats */
	/* digits in an interface name are the name's */
	h = hear(&rd, "ieth1l2\nl42\nq");
	assert_string_equal(h.names, "eth1l2");
	assert_int_equal(h.leases, 1);
	assert_true(h.lease == 42);
	assert_true(h.quit);
}

/* A send that wrote part of a line: the part is dropped at the next letter, which counts. */
static void
cut_lease_line_is_dropped(void **state)
{
	struct cv_reaper_reader rd = { 0 };
	struct heard h = hear(&rd, "l12b");

	assert_int_equal(h.leases, 0);
	h = hear(&rd, "l34q");
	assert_int_equal(h.leases, 0);
	assert_true(h.quit);
	h = hear(&rd, "l56ieth2\n");
	assert_int_equal(h.leases, 0);
	assert_string_equal(h.names, "eth2");
	h = hear(&rd, "l78l90\n");
	assert_int_equal(h.leases, 1);
	assert_true(h.lease == 90);
}

static void
malformed_lease_lines_say_nothing(void **state)
{
	struct cv_reaper_reader rd = { 0 };
	struct heard h = hear(&rd, "l\n");

	assert_int_equal(h.leases, 0);
	/* 20 digits could overflow: dropped; the rest reads as beats */
	h = hear(&rd, "l18446744073709551616\n");
	assert_int_equal(h.leases, 0);
	h = hear(&rd, "l1x\nl2\n");
	assert_int_equal(h.leases, 1);
	assert_true(h.lease == 2);
}

/* Interface lines are no beats: the daemon writes them before its loop runs,
 * and the reaper counts no silence before the loop's first beat. Bytes a
 * newer daemon sends that we do not know still are. */
static void
interface_lines_are_no_beats(void **state)
{
	struct cv_reaper_reader rd = { 0 };
	struct heard h = hear(&rd, "ieth0\nibond0.12\nibr-lan\n");

	assert_string_equal(h.names, "eth0 bond0.12 br-lan");
	assert_int_equal(h.beats, 0);
	assert_int_equal(h.leases, 0);
	h = hear(&rd, "ieth1\nbx");
	assert_string_equal(h.names, "eth1");
	assert_int_equal(h.beats, 2);
}

static void
long_interface_name_is_reported(void **state)
{
	struct cv_reaper_reader rd = { 0 };
	struct heard h = hear(&rd, "iabcdefghijklmnopq\nl5\n");

	assert_int_equal(h.bad_names, 1);
	assert_string_equal(h.names, "");
	assert_int_equal(h.leases, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lease_line_round_trip),
		cmocka_unit_test(lease_beside_beats_names_and_quit),
		cmocka_unit_test(cut_lease_line_is_dropped),
		cmocka_unit_test(malformed_lease_lines_say_nothing),
		cmocka_unit_test(interface_lines_are_no_beats),
		cmocka_unit_test(long_interface_name_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
