/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One command run from the loop (exec-run.h): its output read a turn at a
 * time, its end seen on a pidfd, its timeout a loop timer. The child itself
 * is exec-spawn.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <qb/qblog.h>

#include "cv-macros.h"
#include "exec-run.h"
#include "exec-spawn.h"
#include "loop-timer.h"

/* What one turn of the loop reads of a run's output: the loop comes back
 * while there is more, so a chatty command cannot hold the daemon. */
#define READ_TURN 4096
/* What is read at the end, once the group is dead: a full pipe and then
 * some (a process that left the group may still write). */
#define READ_END (128 * 1024)

struct cv_exec {
	qb_loop_t *loop;
	cv_exec_done_fn done;
	void *userdata;
	pid_t pid;		     /* 0: none (never started, or reaped) */
	int pidfd;		     /* -1: none */
	int out;		     /* the output pipe's read end; -1: none or at its end */
	int err;		     /* fork path: the error pipe (exec-spawn.h); -1: none */
	struct cv_loop_timer *timer; /* the timeout, or the report of a failed spawn; NULL: none */
	size_t cur_len;		     /* the line being read */
	char cur[sizeof(((struct cv_exec_result *)0)->last_line)];
	struct cv_exec_result result;
};

/* ---- the last line of the output ---- */

static char
printable(char c)
{
	if (c == '\t' || c == '\r')
		return ' ';
	return (unsigned char)c < 0x20 || c == 0x7f ? '?' : c; /* it goes to logs and status */
}

static void
end_line(struct cv_exec *x)
{
	while (x->cur_len > 0 && x->cur[x->cur_len - 1] == ' ')
		x->cur_len--;
	if (x->cur_len == 0)
		return;
	memcpy(x->result.last_line, x->cur, x->cur_len);
	x->result.last_line[x->cur_len] = '\0';
	x->cur_len = 0;
}

static void
take_output(struct cv_exec *x, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			end_line(x);
		else if (x->cur_len < sizeof(x->cur) - 1) /* the rest of a long line is cut */
			x->cur[x->cur_len++] = printable(p[i]);
	}
}

static void
close_out(struct cv_exec *x)
{
	qb_loop_poll_del(x->loop, x->out);
	close(x->out);
	x->out = -1;
}

/* Up to max bytes, or until the pipe is empty (EAGAIN) or at its end. */
static void
read_output(struct cv_exec *x, size_t max)
{
	char buf[4096];

	for (size_t total = 0; total < max;) {
		ssize_t n = read(x->out, buf, sizeof(buf));

		if (n > 0) {
			take_output(x, buf, (size_t)n);
			total += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			if (n == 0 || errno != EAGAIN)
				close_out(x); /* deleting our own poll entry is safe in libqb */
			return;
		}
	}
}

static int32_t
on_output(int32_t fd, int32_t revents, void *data)
{
	read_output(data, READ_TURN);
	return 0;
}

/* ---- the end ---- */

static void
reap(struct cv_exec *x)
{
	int status = 0, r;

	while ((r = waitpid(x->pid, &status, 0)) < 0 && errno == EINTR)
		;
	x->result.status = status;
	/* No status to be had (someone set SIGCHLD to SIG_IGN): never a pass. */
	if (r < 0) {
		x->result.spawn_failed = true;
		x->result.err = -errno;
	}
	x->pid = 0;
}

/* Unregister and close everything, then free. */
static void
release(struct cv_exec *x)
{
	cv_loop_timer_free(x->timer);
	if (x->pidfd >= 0) {
		qb_loop_poll_del(x->loop, x->pidfd);
		close(x->pidfd);
	}
	if (x->out >= 0)
		close_out(x);
	if (x->err >= 0)
		close(x->err);
	free(x);
}

static void
report(struct cv_exec *x)
{
	struct cv_exec_result r = x->result;
	cv_exec_done_fn done = x->done;
	void *userdata = x->userdata;

	release(x); /* first: done() may start the next run */
	done(userdata, &r);
}

/* Fork path: the errno the child wrote if it never got to its program. */
static void
read_child_error(struct cv_exec *x)
{
	int e;

	if (x->err >= 0 && read(x->err, &e, sizeof(e)) == (ssize_t)sizeof(e)) {
		x->result.spawn_failed = true;
		x->result.err = -e;
		x->result.status = 0;
	}
}

static int32_t
on_end(int32_t fd, int32_t revents, void *data)
{
	struct cv_exec *x = data;

	/* The leader is a zombie until reaped, so its pid still names the group
	 * and no one else's: what it left running goes with it. */
	(void)kill(-x->pid, SIGKILL);
	reap(x);
	if (x->out >= 0)
		read_output(x, READ_END);
	end_line(x); /* a last line without its newline */
	read_child_error(x);
	report(x); /* deletes our own poll entry: safe in libqb */
	return 0;
}

static void
on_timeout(void *data)
{
	struct cv_exec *x = data;
	siginfo_t si = {};

	/* Ended just now, its pidfd not read yet: not a timeout. */
	if (waitid(P_PID, (id_t)x->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != 0)
		return;
	qb_log(LOG_DEBUG, "exec: pid %d outlived its timeout, killing its group", (int)x->pid);
	x->result.timed_out = true;
	(void)kill(-x->pid, SIGKILL); /* the end comes through the pidfd */
}

static void
on_spawn_failed(void *data)
{
	report(data);
}

/* ---- start and cancel ---- */

/* ---- the environment ---- */

/* The length of entry's NAME=, or 0 if it has no '='. */
static size_t
name_len(const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq ? (size_t)(eq - entry) + 1 : 0;
}

static bool
named_in(char *const *env, const char *entry)
{
	size_t n = name_len(entry);

	for (size_t i = 0; n && env && env[i]; i++)
		if (strncmp(env[i], entry, n) == 0)
			return true;
	return false;
}

/* environ without NOTIFY_SOCKET and what spec->env replaces, then
 * spec->env: an array of borrowed pointers (caller frees the array). */
static int
make_env(const struct cv_exec_spec *spec, char ***ret)
{
	static char *const dropped[] = { "NOTIFY_SOCKET=", NULL };
	size_t n = 0, k = 0;
	char **envp;

	for (size_t i = 0; environ && environ[i]; i++)
		n++;
	for (size_t i = 0; spec->env && spec->env[i]; i++)
		n++;
	envp = calloc(n + 1, sizeof(*envp));
	if (!envp)
		return -ENOMEM;
	for (size_t i = 0; environ && environ[i]; i++)
		if (!named_in(dropped, environ[i]) && !named_in(spec->env, environ[i]))
			envp[k++] = environ[i];
	for (size_t i = 0; spec->env && spec->env[i]; i++)
		envp[k++] = spec->env[i];
	*ret = envp;
	return 0;
}

/* Start the child. That it cannot (no such program, the user switch, no
 * memory for the fork) is the run's result, reported from the loop. */
static void
spawn(struct cv_exec *x, const struct cv_exec_spec *spec, char **argv, int out_w)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ char **envp = NULL;
	struct cv_exec_child c = { .path = "/bin/sh", .argv = argv, .in = spec->input,
				   .out = out_w, .uid = spec->uid, .gid = spec->gid };
	int r = spec->shell ? 0 : cv_exec_spawn_find_program(argv[0], &path);

	if (r == 0)
		r = make_env(spec, &envp);
	c.envp = envp;

	if (r == 0 && path)
		c.path = path;
	if (r == 0 && spec->uid == (uid_t)-1 && spec->gid == (gid_t)-1)
		r = cv_exec_spawn_plain(&c, &x->pid);
	else if (r == 0)
		r = cv_exec_spawn_as_user(&c, &x->pid, &x->err);
	if (r < 0) {
		x->pid = 0;
		x->result.spawn_failed = true;
		x->result.err = r;
	} else {
		qb_log(LOG_DEBUG, "exec: pid %d runs '%s'", (int)x->pid, spec->command);
	}
}

static int
make_argv(const struct cv_exec_spec *spec, char ***ret)
{
	char **argv;

	if (!spec->shell)
		return cv_exec_split(spec->command, ret);
	argv = calloc(4, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[0] = strdup("sh");
	argv[1] = strdup("-c");
	argv[2] = strdup(spec->command);
	if (!argv[0] || !argv[1] || !argv[2]) {
		cv_exec_argv_free(argv);
		return -ENOMEM;
	}
	*ret = argv;
	return 0;
}

static int
watch(struct cv_exec *x, uint32_t timeout_ms)
{
	int r;

	x->pidfd = pidfd_open(x->pid, 0);
	if (x->pidfd < 0)
		return -errno;
	r = qb_loop_poll_add(x->loop, QB_LOOP_MED, x->pidfd, POLLIN, x, on_end);
	if (r == 0)
		r = qb_loop_poll_add(x->loop, QB_LOOP_MED, x->out, POLLIN, x, on_output);
	if (r < 0 || timeout_ms == 0)
		return r;
	r = cv_loop_timer_new(x->loop, on_timeout, x, &x->timer);
	return r < 0 ? r : cv_loop_timer_in(x->timer, timeout_ms);
}

static void
kill_group(struct cv_exec *x)
{
	if (kill(-x->pid, SIGKILL) < 0)
		(void)kill(x->pid, SIGKILL);
}

void
cv_exec_cancel(struct cv_exec *x)
{
	if (!x)
		return;
	if (x->pid > 0) {
		kill_group(x);
		reap(x); /* SIGKILL cannot be caught or ignored: a short wait */
	}
	release(x);
}

static void
cancelp(struct cv_exec **x)
{
	cv_exec_cancel(*x);
}

int
cv_exec_start(qb_loop_t *loop, const struct cv_exec_spec *spec, cv_exec_done_fn done,
	      void *userdata, struct cv_exec **ret)
{
	_cleanup_(cancelp) struct cv_exec *x = NULL;
	_cleanup_(cv_exec_argv_freep) char **argv = NULL;
	_cleanup_(cv_exec_closep) int out_w = -1;
	int pipefd[2], r;

	if (!spec->command || !done)
		return -EINVAL;
	r = make_argv(spec, &argv);
	if (r < 0)
		return r;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	*x = (struct cv_exec){
		.loop = loop, .done = done, .userdata = userdata, .pidfd = -1, .out = -1, .err = -1
	};
	/* The read end only is non-blocking: the command's writes must block. */
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -errno;
	x->out = pipefd[0];
	out_w = pipefd[1];
	if (fcntl(x->out, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	spawn(x, spec, argv, out_w);
	if (x->pid > 0) {
		r = watch(x, spec->timeout_ms);
	} else {
		/* A timer long due rather than a loop job: a job cannot be taken
		 * back cleanly once the loop has picked it up (a cancel then). */
		r = cv_loop_timer_new(loop, on_spawn_failed, x, &x->timer);
		if (r == 0)
			r = cv_loop_timer_at(x->timer, 1);
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(x);
	return 0;
}
