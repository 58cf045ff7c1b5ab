/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * checks/exec-run.c with real processes on a real libqb loop: exit
 * statuses, the timeout (the whole group goes, a grandchild too), the last
 * line of the output, what the child starts with (own group, stdin
 * /dev/null, no fd of ours, default signals), the environment and a given
 * stdin, the user switch (as root),
 * spawn failures reported from the loop, cancel, the word splitting, and
 * 1,000 runs that leave no fd and no child behind. The test process is a
 * child subreaper, so a grandchild the group kill took is ours to reap and
 * check.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <qb/qbloop.h>
#include <qb/qbutil.h>

#include "cmocka-all.h"
#include "count-fds.h"
#include "cv-macros.h"
#include "exec-run.h"

#define KEEP ((uid_t)-1)

struct run {
	qb_loop_t *loop;
	struct cv_exec_result r;
	size_t done;
	bool in_start; /* done() must never come from inside cv_exec_start */
};

static void
on_done(void *userdata, const struct cv_exec_result *r)
{
	struct run *run = userdata;

	assert_false(run->in_start);
	run->r = *r;
	run->done++;
	qb_loop_stop(run->loop);
}

static void
on_stuck(void *data)
{
	fail_msg("the run never ended");
}

/* Run spec to its end on a fresh loop; the result, and the time it took in ms. */
static struct cv_exec_result
run_spec(const struct cv_exec_spec *spec, uint64_t *ret_ms)
{
	struct run run = { .loop = qb_loop_create(), .in_start = true };
	uint64_t start = qb_util_nano_current_get();
	qb_loop_timer_handle stuck;
	struct cv_exec *x = NULL;

	assert_non_null(run.loop);
	assert_int_equal(cv_exec_start(run.loop, spec, on_done, &run, &x), 0);
	run.in_start = false;
	assert_non_null(x);
	assert_int_equal(qb_loop_timer_add(run.loop, QB_LOOP_LOW, 20000 * QB_TIME_NS_IN_MSEC, NULL,
					   on_stuck, &stuck),
			 0);
	qb_loop_run(run.loop);
	assert_int_equal(run.done, 1);
	if (ret_ms)
		*ret_ms = (qb_util_nano_current_get() - start) / QB_TIME_NS_IN_MSEC;
	qb_loop_timer_del(run.loop, stuck);
	qb_loop_destroy(run.loop);
	return run.r;
}

static struct cv_exec_result
run_cmd(const char *command, bool shell, uint32_t timeout_ms)
{
	struct cv_exec_spec spec = { .command = command,
				     .shell = shell,
				     .uid = KEEP,
				     .gid = (gid_t)-1,
				     .timeout_ms = timeout_ms };

	return run_spec(&spec, NULL);
}

static void
assert_exit(const struct cv_exec_result *r, int code)
{
	assert_false(r->spawn_failed);
	assert_false(r->timed_out);
	assert_true(WIFEXITED(r->status));
	assert_int_equal(WEXITSTATUS(r->status), code);
}

/* A grandchild the group kill took: reaped here (we are the subreaper). */
static void
assert_killed(pid_t pid)
{
	int status;

	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* Our children, zombies included. */
static size_t
count_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], buf[512], *p;
		int ppid = 0;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* gone meanwhile */
		if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
			sscanf(p + 2, "%*c %d", &ppid);
		fclose(f);
		n += ppid == getpid();
	}
	closedir(d);
	return n;
}

/* ---- exit statuses and the timeout ---- */

static void
true_and_false_exit_as_they_do(void **state)
{
	struct cv_exec_result r = run_cmd("/bin/true", false, 5000);

	assert_exit(&r, 0);
	assert_string_equal(r.last_line, "");
	r = run_cmd("false", false, 0); /* found in $PATH; no timeout */
	assert_exit(&r, 1);
	r = run_cmd("exit 7", true, 5000);
	assert_exit(&r, 7);
}

static void
a_run_past_its_timeout_is_killed(void **state)
{
	struct cv_exec_spec spec = { .command = "sleep 10",
				     .shell = true,
				     .uid = KEEP,
				     .gid = (gid_t)-1,
				     .timeout_ms = 100 };
	uint64_t ms;
	struct cv_exec_result r = run_spec(&spec, &ms);

	assert_true(r.timed_out);
	assert_false(r.spawn_failed);
	assert_true(WIFSIGNALED(r.status));
	assert_int_equal(WTERMSIG(r.status), SIGKILL);
	assert_true(ms >= 99 && ms < 5000); /* the timer counts in whole ms */
}

static void
the_timeout_kills_the_whole_group(void **state)
{
	/* sh waits on its child, which the kill of sh alone would leave running */
	struct cv_exec_result r = run_cmd("sleep 10 & echo $!; wait", true, 200);

	assert_true(r.timed_out);
	assert_killed(atoi(r.last_line));
}

static void
what_a_run_leaves_in_its_group_goes_with_it(void **state)
{
	struct cv_exec_result r = run_cmd("sleep 10 & echo $!", true, 5000);

	assert_exit(&r, 0);
	assert_killed(atoi(r.last_line));
}

/* ---- the output ---- */

static void
the_last_non_empty_line_is_kept(void **state)
{
	struct cv_exec_result r =
	    run_cmd("echo first; echo second >&2; printf '\\n  \\n\\n'", true, 5000);

	assert_exit(&r, 0);
	assert_string_equal(r.last_line, "second");
	r = run_cmd("printf 'a\\nb\\r\\n\\tc\\033d'", true, 5000); /* no newline at its end */
	assert_string_equal(r.last_line, " c?d");
	r = run_cmd("printf 'x%.0s' $(seq 1000); echo", true, 5000);
	assert_int_equal(strlen(r.last_line), sizeof(r.last_line) - 1);
	/* more than a pipe holds and more than a turn reads */
	r = run_cmd("head -c 1000000 /dev/zero | tr '\\0' y; echo; echo done", true, 10000);
	assert_exit(&r, 0);
	assert_string_equal(r.last_line, "done");
}

/* ---- what the child starts with ---- */

static void
the_child_starts_clean(void **state)
{
	int leak = open("/dev/null", O_RDONLY); /* not close-on-exec: must not reach the child */
	sigset_t block, old;
	struct cv_exec_result r;
	unsigned long long blocked = 1, ignored = 1;
	int pid = 0, pgid = 0;

	assert_true(leak > 2);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGINT, SIG_IGN);
	r = run_cmd("ls /proc/self/fd | tr '\\n' ' '", true, 5000);
	assert_string_equal(r.last_line, "0 1 2 3"); /* 3: ls's own directory */
	r = run_cmd("grep -E '^Sig(Blk|Ign)' /proc/self/status | tr -d '\\t\\n'", true, 5000);
	assert_int_equal(sscanf(r.last_line, "SigBlk:%llxSigIgn:%llx", &blocked, &ignored), 2);
	assert_int_equal(blocked, 0);
	/* but glibc's own two (32, 33), which its posix_spawn leaves ignored in
	 * the child and its programs take back when they need them */
	assert_int_equal(ignored & ~(3ULL << 31), 0);
	r = run_cmd("cat", false, 5000); /* stdin /dev/null: ends at once */
	assert_exit(&r, 0);
	r = run_cmd("echo $$ $(cut -d' ' -f5 /proc/$$/stat)", true, 5000);
	assert_int_equal(sscanf(r.last_line, "%d %d", &pid, &pgid), 2);
	assert_int_equal(pid, pgid);
	assert_int_not_equal(pgid, getpgrp());
	signal(SIGINT, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(leak);
}

static void
the_user_switch_runs_it_as_another(void **state)
{
	struct cv_exec_spec spec = { .command =
					 "echo $(id -u) $(id -G) $(ls /proc/self/fd | wc -l) "
					 "$(sed -n 's/^SigIgn:\t//p' /proc/self/status)",
				     .shell = true,
				     .uid = 65534,
				     .gid = 65534,
				     .timeout_ms = 5000 };
	unsigned long long ignored = 1;
	struct cv_exec_result r;
	int uid = 0, gids = 0, fds = 0;

	if (geteuid() != 0)
		skip();
	r = run_spec(&spec, NULL);
	assert_exit(&r, 0);
	/* no supplementary group; fds 0-2 and ls's own */
	assert_int_equal(sscanf(r.last_line, "%d %d %d %llx", &uid, &gids, &fds, &ignored), 4);
	assert_int_equal(uid, 65534);
	assert_int_equal(gids, 65534);
	assert_int_equal(fds, 4);
	/* default signals, but glibc's own two, which sigaction refuses to
	 * touch: a parent's posix_spawn may have left them ignored */
	assert_int_equal(ignored & ~(3ULL << 31), 0);
	spec = (struct cv_exec_spec){ .command = "sleep 10 & echo $!; wait",
				      .shell = true,
				      .uid = 65534,
				      .gid = 65534,
				      .timeout_ms = 200 };
	r = run_spec(&spec, NULL);
	assert_true(r.timed_out);
	assert_killed(atoi(r.last_line));
}

/* The environment: ours plus the spec's (which wins), never NOTIFY_SOCKET;
 * stdin a given fd; both on the fork path (the user switch) too. */
static void
env_and_input_are_given(void **state)
{
	char *env[] = { "CV_TEST_X=new", "CV_TEST_Y=y", NULL };
	struct cv_exec_spec spec = { .command = "echo \"$CV_TEST_X $CV_TEST_Y ${NOTIFY_SOCKET-none} "
						"${CV_TEST_Z-none} $(cat)\"",
				     .shell = true,
				     .uid = KEEP,
				     .gid = (gid_t)-1,
				     .timeout_ms = 5000,
				     .env = env };
	struct cv_exec_result r;

	setenv("CV_TEST_X", "old", 1);
	setenv("CV_TEST_Z", "z", 1);
	setenv("NOTIFY_SOCKET", "/run/systemd/notify", 1);
	for (int as_user = 0; as_user < 2; as_user++) {
		int fd = memfd_create("input", MFD_CLOEXEC);

		if (as_user && geteuid() != 0)
			break;
		spec.uid = as_user ? 65534 : KEEP;
		spec.gid = as_user ? 65534 : (gid_t)-1;
		assert_true(fd > 0);
		assert_int_equal(write(fd, "hello\n", 6), 6);
		assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
		spec.input = fd;
		r = run_spec(&spec, NULL);
		close(fd);
		assert_exit(&r, 0);
		assert_string_equal(r.last_line, "new y none z hello");
	}
	unsetenv("CV_TEST_X");
	unsetenv("CV_TEST_Z");
	unsetenv("NOTIFY_SOCKET");
}

/* ---- what cannot start ---- */

static void
what_cannot_start_is_reported_from_the_loop(void **state)
{
	struct cv_exec_spec spec = { .command = "/etc/passwd", .uid = KEEP, .gid = (gid_t)-1 };
	struct cv_exec_result r = run_cmd("no-such-program-here --help", false, 5000);

	assert_true(r.spawn_failed);
	assert_int_equal(r.err, -ENOENT);
	r = run_cmd("/no/such/program", false, 5000);
	assert_true(r.spawn_failed);
	assert_int_equal(r.err, -ENOENT);
	r = run_spec(&spec, NULL); /* not executable */
	assert_true(r.spawn_failed);
	assert_int_equal(r.err, -EACCES);
	if (geteuid() != 0)
		return;
	/* the same, past the fork: through the error pipe */
	spec.uid = 65534;
	spec.gid = 65534;
	r = run_spec(&spec, NULL);
	assert_true(r.spawn_failed);
	assert_int_equal(r.err, -EACCES);
	assert_int_equal(r.status, 0);
}

static void
a_command_that_does_not_split_is_refused(void **state)
{
	qb_loop_t *loop = qb_loop_create();
	struct cv_exec_spec spec = { .command = "echo 'oops", .uid = KEEP, .gid = (gid_t)-1 };
	struct cv_exec *x = NULL;

	assert_int_equal(cv_exec_start(loop, &spec, on_done, NULL, &x), -EINVAL);
	assert_null(x);
	spec.command = NULL;
	assert_int_equal(cv_exec_start(loop, &spec, on_done, NULL, &x), -EINVAL);
	qb_loop_destroy(loop);
}

/* ---- cancel ---- */

static void
cancel_kills_reaps_and_stays_silent(void **state)
{
	qb_loop_t *loop = qb_loop_create();
	struct cv_exec_spec spec = { .command = "sleep 10 & sleep 10",
				     .shell = true,
				     .uid = KEEP,
				     .gid = (gid_t)-1,
				     .timeout_ms = 5000 };
	struct run run = { .loop = loop };
	size_t fds = count_fds();
	struct cv_exec *x = NULL;

	assert_int_equal(cv_exec_start(loop, &spec, on_done, &run, &x), 0);
	cv_exec_cancel(x);
	spec = (struct cv_exec_spec){ .command = "/no/such", .uid = KEEP, .gid = (gid_t)-1 };
	assert_int_equal(cv_exec_start(loop, &spec, on_done, &run, &x), 0);
	cv_exec_cancel(x);
	cv_exec_cancel(NULL);
	assert_int_equal(run.done, 0);
	assert_int_equal(count_fds(), fds);
	/* sh is reaped; its background sleep, if it got that far, was killed
	 * and comes to us */
	while (waitpid(-1, NULL, 0) > 0)
		;
	qb_loop_destroy(loop);
}

/* ---- splitting ---- */

static void
assert_split(const char *command, const char *const *want)
{
	_cleanup_(cv_exec_argv_freep) char **argv = NULL;
	size_t i;

	assert_int_equal(cv_exec_split(command, &argv), 0);
	for (i = 0; want[i]; i++) {
		assert_non_null(argv[i]);
		assert_string_equal(argv[i], want[i]);
	}
	assert_null(argv[i]);
}

static void
commands_split_as_the_shell_splits_them(void **state)
{
	char **argv = NULL;

	assert_split("a  b\tc ", (const char *const[]){ "a", "b", "c", NULL });
	assert_split("'a b' c", (const char *const[]){ "a b", "c", NULL });
	assert_split("\"a \\\"b\\\" \\$x \\n\"", (const char *const[]){ "a \"b\" $x \\n", NULL });
	assert_split("a\\ b 'it''s' x'y'\"z\"", (const char *const[]){ "a b", "its", "xyz", NULL });
	assert_split("'' \"\" '$HOME' *", (const char *const[]){ "", "", "$HOME", "*", NULL });
	assert_split("'a \\ b'", (const char *const[]){ "a \\ b", NULL });
	assert_int_equal(cv_exec_split("echo 'oops", &argv), -EINVAL);
	assert_int_equal(cv_exec_split("echo \"oops", &argv), -EINVAL);
	assert_int_equal(cv_exec_split("echo oops\\", &argv), -EINVAL);
	assert_int_equal(cv_exec_split("", &argv), -EINVAL);
	assert_int_equal(cv_exec_split(" \t ", &argv), -EINVAL);
	assert_null(argv);
}

/* ---- no leaks ---- */

#define RUNS	1000
#define AT_ONCE 10

struct many {
	qb_loop_t *loop;
	size_t started, ended, failed;
};

static void start_one(struct many *m);

static void
on_one_done(void *userdata, const struct cv_exec_result *r)
{
	struct many *m = userdata;

	m->ended++;
	m->failed += r->spawn_failed || r->timed_out || !WIFEXITED(r->status);
	if (m->started < RUNS)
		start_one(m); /* from inside done(): the run is already freed */
	else if (m->ended == RUNS)
		qb_loop_stop(m->loop);
}

/* Mostly /bin/true, with a shell, a failing exit, and a spawn failure mixed in. */
static void
start_one(struct many *m)
{
	static const char *const cmds[] = { "/bin/true", "true", "exit 3", "/no/such" };
	size_t i = m->started++ % 4;
	struct cv_exec_spec spec = { .command = cmds[i],
				     .shell = i == 2,
				     .uid = KEEP,
				     .gid = (gid_t)-1,
				     .timeout_ms = i == 1 ? 0 : 5000 };
	struct cv_exec *x;

	assert_int_equal(cv_exec_start(m->loop, &spec, on_one_done, m, &x), 0);
}

static void
a_thousand_runs_leave_nothing_behind(void **state)
{
	struct many m = { .loop = qb_loop_create() };
	size_t fds = count_fds();

	for (size_t i = 0; i < AT_ONCE; i++)
		start_one(&m);
	qb_loop_run(m.loop);
	assert_int_equal(m.ended, RUNS);
	assert_int_equal(m.failed, RUNS / 4); /* the spawn failures */
	assert_int_equal(count_fds(), fds);
	assert_int_equal(count_children(), 0);
	qb_loop_destroy(m.loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(true_and_false_exit_as_they_do),
		cmocka_unit_test(a_run_past_its_timeout_is_killed),
		cmocka_unit_test(the_timeout_kills_the_whole_group),
		cmocka_unit_test(what_a_run_leaves_in_its_group_goes_with_it),
		cmocka_unit_test(the_last_non_empty_line_is_kept),
		cmocka_unit_test(the_child_starts_clean),
		cmocka_unit_test(the_user_switch_runs_it_as_another),
		cmocka_unit_test(env_and_input_are_given),
		cmocka_unit_test(what_cannot_start_is_reported_from_the_loop),
		cmocka_unit_test(a_command_that_does_not_split_is_refused),
		cmocka_unit_test(cancel_kills_reaps_and_stays_silent),
		cmocka_unit_test(commands_split_as_the_shell_splits_them),
		cmocka_unit_test(a_thousand_runs_leave_nothing_behind),
	};

	/* The grandchildren a group kill took come to us, to be checked. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
