/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * qb_log set-up: syslog (the journal) always, stderr in the foreground, and
 * the blackbox (a ring of recent debug lines) dumped on demand or at a
 * crash.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

void cv_log_init(const char *name, bool foreground, bool debug);
/* What reaches syslog (and stderr in the foreground) from now on: a syslog
 * level (LOG_ERR .. LOG_DEBUG). The blackbox always keeps debug. */
void cv_log_set_level(int level);
/* A level's name (error, warning, notice, info, debug) -> syslog level, or -EINVAL */
int cv_log_level_from_string(const char *s);
/*
 * Write the blackbox to DIR/corovipd-blackbox-PID-UNIXTIME (DIR made if it
 * is missing, mode 0700); its path into path. 0 or -errno. Read it with
 * qb-blackbox (libqb-tools).
 */
int cv_log_blackbox_dump(const char *dir, char *path, size_t len);
/* On SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT: dump the blackbox into
 * dir (kept, not copied), then the signal's previous handler runs. */
void cv_log_dump_on_crash(const char *dir);
/* In a forked helper: log under "NAME-ROLE[pid]", keep out of the parent's blackbox. */
void cv_log_forked(const char *role);
void cv_log_fini(void);
