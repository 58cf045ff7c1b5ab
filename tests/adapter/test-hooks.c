/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * agent/hooks.c with real processes on a real libqb loop: a hook script
 * appends what it was given to a file. The order and environment of a
 * VIP's hooks, one run at a time per VIP while VIPs run side by side, the
 * cap on runs at once, the queue cap (the oldest waiting dropped), the
 * cluster hook once per batch with the list (in its environment and on its
 * stdin, and only on its stdin when large), batches gathered while one
 * runs, and a hook killed at its timeout without holding the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "cmocka-all.h"
#include "cv-macros.h"
#include "hooks.h"
#include "strbuf.h"

static char dir[] = "/tmp/cv-hooks-XXXXXX";
static char log_path[300];

/* $1: what to record, $2: seconds to sleep between start and end. */
static const char hook_sh[] =
	"#!/bin/sh\n"
	"printf 'start %s %s %s %s %s %s %s %s %s %s\\n' \"$COROVIP_VIP\" \"$COROVIP_OLD_STATE\" "
	"\"$COROVIP_NEW_STATE\" \"$COROVIP_REASON\" \"$COROVIP_EPOCH\" \"$COROVIP_NODE\" "
	"\"$COROVIP_ADDRESS\" \"$COROVIP_INTERFACE\" \"${NOTIFY_SOCKET-none}\" "
	"\"${HOOKS_TEST-none}\" >>\"$1\"\n"
	"sleep \"$2\"\n"
	"printf 'end %s %s\\n' \"$COROVIP_VIP\" \"$COROVIP_EPOCH\" >>\"$1\"\n";

/* The cluster hook: the count, the dropped, the list in env and on stdin. */
static const char batch_sh[] =
	"#!/bin/sh\n"
	"in=$(cat; echo x); in=${in%x}\n"
	"if [ \"${COROVIP_TRANSITIONS+set}\" = set ]; then\n"
	"  if [ \"$COROVIP_TRANSITIONS\" = \"$in\" ]; then env=same; else env=differs; fi\n"
	"else env=unset; fi\n"
	"lines=$(printf %s \"$in\" | wc -l)\n"
	"first=$(printf %s \"$in\" | head -n 1)\n"
	"printf 'batch %s %s %s %s %s [%s]\\n' \"$COROVIP_NODE\" \"$COROVIP_TRANSITION_COUNT\" "
	"\"$COROVIP_DROPPED\" \"$lines\" \"$env\" \"$first\" >>\"$1\"\n"
	"sleep \"$2\"\n";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int
setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	write_file("hook.sh", hook_sh, 0755);
	write_file("batch.sh", batch_sh, 0755);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1); /* never passed on */
	setenv("HOOKS_TEST", "inherited", 1);
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A config of n VIPs v0..v(n-1), each with `vip_notify` (if any), and the cluster's. */
static struct cv_config *
make_config(size_t n, const char *vip_sleep, const char *batch_sleep, const char *timeout)
{
	struct cv_strbuf b = {};
	struct cv_config *cfg = NULL;
	struct cv_conf_error e = {};
	char *text = NULL;

	cv_strbuf_printf(&b, "cluster {\n\tnotify_timeout: %s\n", timeout);
	if (batch_sleep)
		cv_strbuf_printf(&b, "\tnotify: %s/batch.sh %s %s\n", dir, log_path, batch_sleep);
	cv_strbuf_printf(&b, "}\nnode n1 {\n\tnodeid: 1\n}\n");
	for (size_t i = 0; i < n; i++) {
		cv_strbuf_printf(&b, "vip v%zu {\n\taddress: 192.0.2.%zu/24\n\tinterface: eth0\n", i,
				 i + 1);
		if (vip_sleep)
			cv_strbuf_printf(&b, "\tnotify: %s/hook.sh %s %s\n", dir, log_path,
					 vip_sleep);
		cv_strbuf_printf(&b, "}\n");
	}
	assert_int_equal(cv_strbuf_steal(&b, &text), 0);
	assert_int_equal(cv_config_parse(text, strlen(text), &cfg, &e), 0);
	free(text);
	unlink(log_path);
	return cfg;
}

/* The test's epochs: what the action carries (the daemon asks its engine). */
static bool
epoch_of(void *userdata, const struct cv_action *t, uint64_t *ret)
{
	*ret = t->epoch;
	return t->epoch != 0;
}

struct bed {
	qb_loop_t *loop;
	struct cv_hooks *h;
	struct cv_config *cfg;
	struct cv_actions a;
	qb_loop_timer_handle poll;
};

static void
bed_start(struct bed *b, struct cv_config *cfg)
{
	struct cv_hooks_env env = { .uid = (uid_t)-1, .gid = (gid_t)-1, .epoch = epoch_of };

	b->loop = env.loop = qb_loop_create();
	assert_non_null(b->loop);
	b->cfg = cfg;
	assert_int_equal(cv_hooks_new(&env, cfg, &b->h), 0);
}

static void
add(struct bed *b, size_t vip, enum cv_vip_state from, enum cv_vip_state to, enum cv_reason why,
    uint64_t epoch)
{
	cv_actions_push(&b->a, &(struct cv_action){ .type = CV_ACT_TRANSITION,
						    .vip = (uint32_t)vip,
						    .conf = &b->cfg->vips[vip],
						    .from = from,
						    .to = to,
						    .reason = why,
						    .epoch = epoch });
}

/* One engine step's transitions. */
static void
step(struct bed *b)
{
	assert_int_equal(b->a.err, 0);
	cv_hooks_note(b->h, &b->a, 3);
	cv_actions_done(&b->a);
}

static void
check_idle(void *data)
{
	struct bed *b = data;

	if (cv_hooks_running(b->h) == 0 && cv_hooks_waiting(b->h) == 0)
		qb_loop_stop(b->loop);
	else
		qb_loop_timer_add(b->loop, QB_LOOP_LOW, 10 * QB_TIME_NS_IN_MSEC, b, check_idle,
				  &b->poll);
}

/* Run the loop until every hook has ended; the time it took in ms. */
static uint64_t
drain(struct bed *b)
{
	uint64_t start = qb_util_nano_current_get();

	qb_loop_timer_add(b->loop, QB_LOOP_LOW, 10 * QB_TIME_NS_IN_MSEC, b, check_idle, &b->poll);
	qb_loop_run(b->loop);
	return (qb_util_nano_current_get() - start) / QB_TIME_NS_IN_MSEC;
}

static void
bed_end(struct bed *b)
{
	b->h = cv_hooks_free(b->h);
	qb_loop_destroy(b->loop);
	cv_config_free(b->cfg);
}

/* The log's lines (caller frees each and the array). */
static size_t
read_log(char ***ret)
{
	FILE *f = fopen(log_path, "r");
	char line[70000], **v = NULL;
	size_t n = 0;

	if (!f) {
		*ret = NULL;
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		v = realloc(v, (n + 1) * sizeof(*v));
		assert_non_null(v);
		v[n++] = strdup(line);
	}
	fclose(f);
	*ret = v;
	return n;
}

static void
free_log(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- per VIP ---- */

static void
a_vips_hooks_run_in_order_with_their_environment(void **state)
{
	struct bed b = {};
	char **l;
	size_t n;

	bed_start(&b, make_config(1, "0", NULL, "5s"));
	add(&b, 0, CV_VIP_IDLE, CV_VIP_WAITING, CV_REASON_PLACEMENT, 7);
	add(&b, 0, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 7);
	step(&b);
	add(&b, 0, CV_VIP_HELD, CV_VIP_RELEASING, CV_REASON_LEASE_LAPSED, 8);
	add(&b, 0, CV_VIP_RELEASING, CV_VIP_IDLE, CV_REASON_RELEASE_DONE, 0); /* no epoch */
	step(&b);
	drain(&b);
	n = read_log(&l);
	assert_int_equal(n, 8);
	assert_string_equal(l[0], "start v0 idle waiting placement 7 3 192.0.2.1/24 eth0 none "
				  "inherited");
	assert_string_equal(l[1], "end v0 7");
	assert_string_equal(l[2], "start v0 waiting held safe 7 3 192.0.2.1/24 eth0 none "
				  "inherited");
	assert_string_equal(l[4], "start v0 held releasing lease-lapsed 8 3 192.0.2.1/24 eth0 "
				  "none inherited");
	assert_string_equal(l[6], "start v0 releasing idle release-done  3 192.0.2.1/24 eth0 "
				  "none inherited");
	assert_string_equal(l[7], "end v0 ");
	free_log(l, n);
	bed_end(&b);
}

static void
one_run_at_a_time_per_vip_vips_side_by_side(void **state)
{
	struct bed b = {};
	char **l;
	size_t n, started[2] = {}, open[2] = {}, both_open = 0;
	uint64_t ms;

	bed_start(&b, make_config(2, "0.2", NULL, "5s"));
	for (uint64_t k = 1; k <= 3; k++) {
		add(&b, 0, CV_VIP_HELD, CV_VIP_HELD, CV_REASON_ADDR_GONE, k);
		add(&b, 1, CV_VIP_HELD, CV_VIP_HELD, CV_REASON_ADDR_GONE, k);
	}
	step(&b);
	assert_int_equal(cv_hooks_running(b.h), 2);
	assert_int_equal(cv_hooks_waiting(b.h), 4);
	ms = drain(&b);
	/* 3 x 0.2 s one after another for each VIP (a generous bound above:
	 * side by side is shown by the log, not by a time a loaded machine misses) */
	assert_true(ms >= 590 && ms < 10000);
	n = read_log(&l);
	assert_int_equal(n, 12);
	for (size_t i = 0; i < n; i++) {
		size_t v = strstr(l[i], " v1 ") ? 1 : 0;
		char epoch[8];

		if (strncmp(l[i], "start", 5) == 0) {
			assert_int_equal(open[v], 0); /* never two of a VIP at once */
			open[v] = 1;
			both_open += open[0] && open[1]; /* the two VIPs' runs side by side */
			snprintf(epoch, sizeof(epoch), " %zu ", ++started[v]);
			assert_non_null(strstr(l[i], epoch)); /* in order */
		} else {
			assert_int_equal(open[v], 1);
			open[v] = 0;
		}
	}
	assert_int_equal(started[0], 3);
	assert_int_equal(started[1], 3);
	assert_true(both_open >= 1);
	free_log(l, n);
	bed_end(&b);
}

static void
at_most_so_many_hooks_run_at_once(void **state)
{
	struct bed b = {};
	char **l;
	size_t n;

	bed_start(&b, make_config(CV_HOOKS_RUNNING_MAX + 8, "0.1", NULL, "5s"));
	for (size_t i = 0; i < CV_HOOKS_RUNNING_MAX + 8; i++)
		add(&b, i, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	step(&b);
	assert_int_equal(cv_hooks_running(b.h), CV_HOOKS_RUNNING_MAX);
	assert_int_equal(cv_hooks_waiting(b.h), 8);
	drain(&b);
	n = read_log(&l);
	assert_int_equal(n, 2 * (CV_HOOKS_RUNNING_MAX + 8));
	free_log(l, n);
	bed_end(&b);
}

static void
a_full_queue_drops_its_oldest_waiting(void **state)
{
	struct bed b = {};
	char **l, want[16];
	size_t n, k = 0;

	bed_start(&b, make_config(1, "0.05", NULL, "5s"));
	for (uint64_t e = 1; e <= CV_HOOKS_QUEUE_MAX + 5; e++) {
		add(&b, 0, CV_VIP_HELD, CV_VIP_HELD, CV_REASON_ADDR_GONE, e);
		step(&b); /* the first starts at once, the others wait */
	}
	assert_int_equal(cv_hooks_waiting(b.h), CV_HOOKS_QUEUE_MAX);
	drain(&b);
	n = read_log(&l);
	assert_int_equal(n, 2 * (CV_HOOKS_QUEUE_MAX + 1));
	/* epoch 1 ran; 2..5 were the oldest waiting when 18..21 came */
	for (size_t i = 0; i < n; i += 2) {
		uint64_t e = i == 0 ? 1 : 5 + ++k;

		snprintf(want, sizeof(want), "end v0 %" PRIu64, e);
		assert_string_equal(l[i + 1], want);
	}
	free_log(l, n);
	bed_end(&b);
}

static void
a_hook_past_its_timeout_is_killed_and_holds_nothing(void **state)
{
	struct bed b = {};
	uint64_t ms, start;
	char **l;
	size_t n;

	bed_start(&b, make_config(2, "100", "100", "200ms"));
	add(&b, 0, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	add(&b, 0, CV_VIP_HELD, CV_VIP_RELEASING, CV_REASON_PLACEMENT, 1);
	add(&b, 1, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	start = qb_util_nano_current_get();
	step(&b); /* returns at once: nothing waits for a hook */
	assert_true((qb_util_nano_current_get() - start) / QB_TIME_NS_IN_MSEC < 100);
	ms = drain(&b);
	/* v0's two runs one after the other, each killed at 200 ms */
	assert_true(ms >= 390 && ms < 2000);
	n = read_log(&l);
	assert_int_equal(n, 4); /* three starts and the batch; no end */
	for (size_t i = 0; i < n; i++)
		assert_null(strstr(l[i], "end "));
	free_log(l, n);
	bed_end(&b);
	/* the killed groups go: no child of ours is left (we are the subreaper,
	 * their sleeps come back to us to reap once SIGKILL has done its work) */
	for (int i = 0; i < 200 && waitpid(-1, NULL, WNOHANG) != -1; i++)
		usleep(10000);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

/* ---- the cluster hook ---- */

static void
the_cluster_hook_runs_once_per_batch_with_the_list(void **state)
{
	struct bed b = {};
	char **l;
	size_t n;

	bed_start(&b, make_config(3, NULL, "0", "5s"));
	add(&b, 0, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	add(&b, 1, CV_VIP_HELD, CV_VIP_RELEASING, CV_REASON_NO_QUORUM, 1);
	add(&b, 2, CV_VIP_IDLE, CV_VIP_WAITING, CV_REASON_PLACEMENT, 1);
	step(&b);
	drain(&b);
	/* 10,000 transitions: one run, the list on stdin only (past 64 KiB) */
	for (size_t i = 0; i < 10000; i++)
		add(&b, i % 3, CV_VIP_HELD, CV_VIP_RELEASING, CV_REASON_STOP, 1);
	step(&b);
	drain(&b);
	n = read_log(&l);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "batch 3 3 0 3 same [v0 waiting held safe]");
	assert_string_equal(l[1], "batch 3 10000 0 10000 unset [v0 held releasing stop]");
	free_log(l, n);
	bed_end(&b);
}

static void
batches_gather_while_the_cluster_hook_runs(void **state)
{
	struct bed b = {};
	char **l;
	size_t n;

	bed_start(&b, make_config(2, NULL, "0.2", "5s"));
	add(&b, 0, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	step(&b); /* runs at once */
	add(&b, 1, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	step(&b);
	add(&b, 0, CV_VIP_HELD, CV_VIP_RELEASING, CV_REASON_PLACEMENT, 1);
	add(&b, 0, CV_VIP_RELEASING, CV_VIP_IDLE, CV_REASON_RELEASE_DONE, 1);
	step(&b);
	assert_int_equal(cv_hooks_running(b.h), 1);
	assert_int_equal(cv_hooks_waiting(b.h), 3);
	drain(&b);
	n = read_log(&l);
	assert_int_equal(n, 2);
	assert_string_equal(l[0], "batch 3 1 0 1 same [v0 waiting held safe]");
	assert_string_equal(l[1], "batch 3 3 0 3 same [v1 waiting held safe]");
	free_log(l, n);
	bed_end(&b);
}

static void
an_unknown_script_user_runs_nothing(void **state)
{
	struct cv_hooks_env env = { .uid = (uid_t)-1, .gid = (gid_t)-1, .user_err = -ENOENT };
	struct bed b = { .cfg = make_config(1, "0", "0", "5s") };

	b.loop = env.loop = qb_loop_create();
	assert_int_equal(cv_hooks_new(&env, b.cfg, &b.h), 0);
	add(&b, 0, CV_VIP_WAITING, CV_VIP_HELD, CV_REASON_SAFE, 1);
	step(&b);
	assert_int_equal(cv_hooks_running(b.h), 0);
	assert_int_equal(cv_hooks_waiting(b.h), 0);
	assert_int_equal(access(log_path, F_OK), -1);
	bed_end(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_vips_hooks_run_in_order_with_their_environment),
		cmocka_unit_test(one_run_at_a_time_per_vip_vips_side_by_side),
		cmocka_unit_test(at_most_so_many_hooks_run_at_once),
		cmocka_unit_test(a_full_queue_drops_its_oldest_waiting),
		cmocka_unit_test(a_hook_past_its_timeout_is_killed_and_holds_nothing),
		cmocka_unit_test(the_cluster_hook_runs_once_per_batch_with_the_list),
		cmocka_unit_test(batches_gather_while_the_cluster_hook_runs),
		cmocka_unit_test(an_unknown_script_user_runs_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
