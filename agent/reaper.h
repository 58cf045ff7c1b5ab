/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reaper (design.md rule 4): a small helper beside the daemon, a member
 * of the same CPG group, fed a heartbeat through a socket by the daemon's
 * loop. When the daemon dies (EOF) or its loop stops beating for longer than
 * reaper_timeout, the reaper SIGKILLs it for good through a pidfd, waits
 * until it has ended (so nothing it was doing can add an address back), then
 * removes the daemon's addresses and multicasts RELEASED for its node, so
 * peers take over at once instead of waiting for the kernel lease.
 *
 * The reaper is our own binary run again (corovipd --reaper, see
 * cv_reaper_main): it starts with default signal dispositions and none of
 * the daemon's libqb state, file descriptors or threads. The daemon gives it
 * its config (formatted, in a memfd) and the socket; when a reaper dies
 * alone (its end of the socket closes), the daemon collects it and starts
 * another (daemon.c).
 *
 * Liveness, not batch length: the reaper counts no silence before the
 * loop's first beat, and the loop beats from a timer and from inside every
 * long piece of work (cv_reaper_beat is cheap), so only a loop that stopped
 * running is killed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "owned.h"

/* argv[1] of the reaper's exec: main() hands such a run to cv_reaper_main. */
#define CV_REAPER_ARG "--reaper"
/* Where the reaper finds what the daemon gives it across the exec. */
#define CV_REAPER_SOCK_FD 3
#define CV_REAPER_CONF_FD 4

/*
 * ---- the daemon's side (reaper-link.c) ----
 *
 * One reaper per daemon, so the link to it is process-wide: the executor and
 * every long loop beat through it without a handle.
 */

/*
 * Start a reaper for cfg (borrowed; the reaper gets a copy of its text) and
 * make it the current one; log_foreground and log_debug are passed on. Any
 * earlier reaper must have been let go (cv_reaper_detach, cv_reaper_quit).
 * The reaper judges silence against cfg's reaper_timeout; the loop beats at
 * most every quarter of it (a heartbeat when auto). Returns 0 or -errno.
 */
int cv_reaper_start(const struct cv_config *cfg, bool log_foreground, bool log_debug);

/* The current reaper's pid and our end of its socket; 0 and -1 without one. */
pid_t cv_reaper_pid(void);
int cv_reaper_fd(void);
/* In how many ms the next beat is due (at least 1; 0 without a reaper). */
uint32_t cv_reaper_beat_ms(void);

/*
 * One heartbeat, if the last one is at least a period (reaper_timeout/4)
 * old: a clock read otherwise. Call it from the loop's timer and from inside any
 * loop over many items. Never raises SIGPIPE; a dead reaper is noticed by
 * the owner of cv_reaper_fd() (POLLIN with EOF), not here.
 */
void cv_reaper_beat(void);
/* The same; true if it beat. */
bool cv_reaper_beat_if_due(void);
/* The loop's first turn has come: beats go from now on (none before: the
 * reaper counts no silence before the first, so the start-up's work cannot
 * get the daemon killed). */
void cv_reaper_loop_runs(void);

/*
 * Tell the reaper the end of our lease (cv_engine_lease_end: CLOCK_MONOTONIC
 * ms, 0 while we hold nothing), if it changed since we last did; call it
 * after every engine step. The reaper kills a daemon that holds something
 * and has not beaten since that end (rule 5 for a frozen daemon: it can
 * neither lapse nor read its confchg). One short line at most per own
 * heartbeat delivered (the lease moves then), and it counts as a beat: true
 * if it was sent. The next beat comes at once past the end told.
 */
bool cv_reaper_tell_lease(uint64_t until);

/* The longest time between two beats since the last call, in ms (then reset). */
uint32_t cv_reaper_take_max_gap_ms(void);

/*
 * The current reaper's end of the socket closed (it died): close ours and
 * forget it. Returns its pid, which the caller must wait for (it is our
 * child); 0 without a reaper.
 */
pid_t cv_reaper_detach(void);

/*
 * Tell the current reaper the interfaces whose addresses of ours it must
 * sweep besides its config's (owned.h): the daemon's previous config's
 * (a reaper started after a reload) and a reload's new ones, before the
 * reload adds anything there. Lines "i<name>\n" on the beat socket; the
 * reaper keeps every name it was told. 0 (also without a reaper: the next
 * one is told at its start) or -errno: the reload must not go on.
 */
int cv_reaper_tell_interfaces(const struct cv_owned *o);

/* A clean stop: tell the reaper to go without acting, and wait for it. */
void cv_reaper_quit(void);

/*
 * ---- the reaper's side (reaper.c) ----
 *
 * corovipd --reaper DAEMON_PID [-f] [-d], with the socket on fd 3 and the
 * config's text on fd 4 (cv_reaper_start). Runs until the daemon says quit
 * or has been reaped; returns the process exit code.
 */
int cv_reaper_main(int argc, char **argv);
