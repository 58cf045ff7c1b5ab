/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The child of one run (exec-run.c): made by posix_spawn when the user
 * stays ours, by fork() when it changes. In both, the child is the leader
 * of a process group of its own, with every signal at its default and
 * unblocked, stdin /dev/null (or the given fd), stdout and stderr the pipe, no other fd.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <unistd.h>

struct cv_exec_child {
	const char *path; /* as execve wants it: cv_exec_spawn_find_program */
	char **argv;
	char **envp; /* as execve wants it */
	int in;	   /* stdin: an fd, or 0: /dev/null */
	int out;   /* the output pipe's write end */
	uid_t uid; /* (uid_t)-1: ours */
	gid_t gid; /* (gid_t)-1: ours */
};

/* An fd the child gets: from (< 0: /dev/null, read-only) as its fd to. */
struct cv_spawn_fd {
	int from;
	int to;
};

/*
 * posix_spawn with a clean child: every signal at its default and
 * unblocked (the daemon's handlers and libqb's signal pipe stay with it),
 * fds[0..n) dup'ed in place, every fd from close_from on closed, and a
 * process group of its own if own_group. 0 and *ret, or -errno (posix_spawn
 * reports what the exec said). The exec checks and the reaper both start so.
 */
int cv_spawn_clean(const char *path, char *const argv[], char *const envp[],
		   const struct cv_spawn_fd *fds, size_t n, int close_from, bool own_group,
		   pid_t *ret);

/* name as is if it has a '/', else found in $PATH. 0 and *ret (caller frees),
 * -ENOENT or -ENOMEM. */
int cv_exec_spawn_find_program(const char *name, char **ret);
/* 0 and *ret (the child's pid), or -errno: the child could not be made or
 * could not run its program (posix_spawn reports what the exec said). */
int cv_exec_spawn_plain(const struct cv_exec_child *c, pid_t *ret);
/* With the user switch. 0, *ret and *ret_err: the read end of a pipe that
 * holds the child's errno if it never got to its program (read it once the
 * child has ended: non-blocking); or -errno. */
int cv_exec_spawn_as_user(const struct cv_exec_child *c, pid_t *ret, int *ret_err);

/* l2/fd-util.h's _cleanup_close_, which checks/ may not include. */
static inline void
cv_exec_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
