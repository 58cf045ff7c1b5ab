/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run one command asynchronously from a libqb loop: the exec health checks
 * and the notify hooks (agent/hooks.c). The command runs in a process group
 * of its own, with default signal dispositions and an empty signal mask,
 * stdin on /dev/null or a given fd, the daemon's environment with additions, stdout and stderr into one pipe of which only the last line is
 * kept, no fd of ours above 2, and optionally as another user. Its end is
 * seen through a pidfd; a run that outlives its timeout is killed, group
 * and all. When the command ends, whatever it left running in its group is
 * killed too: a check is a probe, not a launcher.
 *
 * Nothing here logs above debug: the caller says what a result means.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <qb/qbloop.h>

struct cv_exec_result {
	int status;	     /* wait status as waitpid gives it (WIFEXITED...) */
	bool timed_out;	     /* killed at its timeout (status then says SIGKILL) */
	bool spawn_failed;   /* the command never ran: err says why, status is 0 */
	int err;	     /* -errno when spawn_failed: -ENOENT (no such program),
			      * -EPERM (the user switch), -EACCES, -EAGAIN (fork) ... */
	char last_line[256]; /* last non-empty line of stdout+stderr, cut to fit,
			      * control characters as '?'; "" if none */
};

struct cv_exec_spec {
	const char *command; /* borrowed for the call only */
	bool shell;	     /* true: /bin/sh -c COMMAND; false: cv_exec_split(COMMAND), the
			      * program found in $PATH unless it has a '/' */
	uid_t uid;	     /* (uid_t)-1: keep ours. Either switch drops the supplementary */
	gid_t gid;	     /* groups; (gid_t)-1: keep ours (give both: gid 0 stays otherwise) */
	uint32_t timeout_ms; /* 0: none */
	/* NAME=VALUE entries, NULL-ended, added to the daemon's environment
	 * (one replaces an inherited variable of its name); NULL: none. The
	 * rest is inherited, but for NOTIFY_SOCKET, never passed on: the
	 * service manager's socket is the daemon's own. Borrowed for the call. */
	char *const *env;
	/* An fd to be the command's stdin, read from its current offset (the
	 * command gets a copy; the caller keeps and closes its own); 0: /dev/null. */
	int input;
};

typedef void (*cv_exec_done_fn)(void *userdata, const struct cv_exec_result *r);

struct cv_exec; /* one run under way */

/*
 * Start a run. 0 and *ret, or -errno (nothing started, done() never called):
 * -EINVAL (no command, or it does not split), -ENOMEM, -EMFILE... A program
 * that cannot be started is not an error here: done() says spawn_failed.
 * done(userdata, r) is called exactly once, from the loop, never from inside
 * cv_exec_start; the run is freed before it (r is valid during the call only).
 */
int cv_exec_start(qb_loop_t *loop, const struct cv_exec_spec *spec, cv_exec_done_fn done,
		  void *userdata, struct cv_exec **ret);
/* Kill the run's process group, reap it, free x; done() is not called. NULL: nothing. */
void cv_exec_cancel(struct cv_exec *x);

/*
 * Split a command line as the shell splits words: blanks separate, '...'
 * is literal, "..." keeps \" \\ \$ \` escapes, a backslash outside quotes
 * takes the next character; no expansion of any kind. 0 and a NULL-ended
 * *ret_argv (caller frees with cv_exec_argv_free), or -EINVAL (an
 * unterminated quote, a trailing backslash, no word at all) or -ENOMEM.
 */
int cv_exec_split(const char *command, char ***ret_argv);
void cv_exec_argv_free(char **argv);
static inline void
cv_exec_argv_freep(char ***argv)
{
	cv_exec_argv_free(*argv);
}
