/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The child of one run (exec-spawn.h). posix_spawn where it can: a
 * vfork-like clone (no copy of the daemon's page tables), and what the exec
 * said comes back from the call. It cannot change the user, so a switch
 * takes fork(), the child then calling only async-signal-safe functions and
 * writing what failed before its exec into an error pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cv-macros.h"
#include "exec-spawn.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* The program execve needs, looked up here: the child of fork() may not
 * (getenv and friends are not async-signal-safe). */
int
cv_exec_spawn_find_program(const char *name, char **ret)
{
	const char *dirs = getenv("PATH");
	char buf[4096];
	struct stat st;

	if (strchr(name, '/'))
		return (*ret = strdup(name)) ? 0 : -ENOMEM;
	if (!dirs || !*dirs)
		dirs = DEFAULT_PATH;
	for (const char *p = dirs, *end; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		/* an empty entry (the current directory) is never searched from a daemon */
		if (end == p || snprintf(buf, sizeof(buf), "%.*s/%s", (int)(end - p), p, name) >=
				    (int)sizeof(buf))
			continue;
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0)
			return (*ret = strdup(buf)) ? 0 : -ENOMEM;
	}
	return -ENOENT;
}

int
cv_spawn_clean(const char *path, char *const argv[], char *const envp[],
	       const struct cv_spawn_fd *fds, size_t n, int close_from, bool own_group, pid_t *ret)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	int r = 0;

	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	for (size_t i = 0; !r && i < n; i++)
		r = fds[i].from >= 0
			    ? posix_spawn_file_actions_adddup2(&fa, fds[i].from, fds[i].to)
			    : posix_spawn_file_actions_addopen(&fa, fds[i].to, "/dev/null", O_RDONLY, 0);
	if (!r)
		r = posix_spawn_file_actions_addclosefrom_np(&fa, close_from);
	if (!r && own_group)
		r = posix_spawnattr_setpgroup(&attr, 0);
	if (!r)
		r = posix_spawnattr_setsigdefault(&attr, &all);
	if (!r)
		r = posix_spawnattr_setsigmask(&attr, &none);
	if (!r)
		r = posix_spawnattr_setflags(&attr, (own_group ? POSIX_SPAWN_SETPGROUP : 0) |
							    POSIX_SPAWN_SETSIGDEF |
							    POSIX_SPAWN_SETSIGMASK);
	if (!r)
		r = posix_spawn(ret, path, &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

int
cv_exec_spawn_plain(const struct cv_exec_child *c, pid_t *ret)
{
	const struct cv_spawn_fd fds[] = { { c->in > 0 ? c->in : -1, 0 }, { c->out, 1 }, { c->out, 2 } };

	return cv_spawn_clean(c->path, c->argv, c->envp, fds, 3, 3, true, ret);
}

/* In the child: stdin /dev/null or c->in, stdout and stderr the pipe, no other fd
 * but the error pipe err (close-on-exec). -1 and errno on failure. */
static int
child_fds(const struct cv_exec_child *c, int err)
{
	int in = c->in > 0 ? c->in : open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (in < 0 || dup2(in, 0) < 0 || dup2(c->out, 1) < 0 || dup2(c->out, 2) < 0)
		return -1;
	/* close_range is a bare system call, as safe here as close() */
	if (err > 3 && close_range(3, (unsigned)err - 1, 0) < 0)
		return -1;
	return close_range((unsigned)err + 1, ~0U, 0);
}

static int
child_user(const struct cv_exec_child *c)
{
	if (setgroups(0, NULL) < 0)
		return -1;
	if (c->gid != (gid_t)-1 && setgid(c->gid) < 0)
		return -1;
	if (c->uid != (uid_t)-1 && setuid(c->uid) < 0)
		return -1;
	return 0;
}

/* After fork(): async-signal-safe calls only (another thread of a library
 * may have held a lock). Every signal was blocked across the fork, so no
 * handler of the daemon (libqb writes signals into its loop's pipe) runs
 * here before the dispositions are back to default. */
static _Noreturn void
child_run(const struct cv_exec_child *c, int err)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int e;

	for (int sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP and glibc's own refuse */
	(void)setpgid(0, 0);
	sigemptyset(&none);
	if (child_fds(c, err) == 0 && child_user(c) == 0 &&
	    sigprocmask(SIG_SETMASK, &none, NULL) == 0)
		execve(c->path, c->argv, c->envp);
	e = errno;
	(void)!write(err, &e, sizeof(e));
	_exit(127);
}

int
cv_exec_spawn_as_user(const struct cv_exec_child *c, pid_t *ret, int *ret_err)
{
	_cleanup_(cv_exec_closep) int err_w = -1, err_r = -1;
	int pipefd[2];
	sigset_t all, old;
	pid_t pid;
	int r;

	if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	err_r = pipefd[0];
	err_w = pipefd[1];
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		child_run(c, err_w);
	r = pid < 0 ? -errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		return r;
	/* The child does it too; here as well, so a kill of the group at
	 * once (a cancel) cannot come before it. */
	(void)setpgid(pid, pid);
	*ret = pid;
	*ret_err = err_r;
	err_r = -1;
	return 0;
}
