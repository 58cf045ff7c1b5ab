/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reaper (design.md rule 4): a small helper forked at start, a member of
 * the same CPG group, fed a heartbeat through a pipe by the daemon's loop.
 * When the daemon dies (EOF) or freezes (the pipe stays silent longer than a
 * bound), the reaper SIGKILLs it for good through a pidfd, waits until it has
 * ended (so nothing it was doing can add an address back), then removes the
 * daemon's addresses and multicasts RELEASED for its node, so peers take over
 * at once instead of waiting for the kernel lease.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <qb/qbloop.h>

#include "config.h"

struct cv_reaper_link {
	pid_t pid; /* the reaper's */
	int fd;	   /* the daemon's end of the pipe */
};

/*
 * Fork the reaper for cfg (borrowed; the child keeps its copy). Returns 0 in
 * the daemon with *ret filled; the child never returns (it exits).
 */
int cv_reaper_fork(const struct cv_config *cfg, uint32_t silence_ms, struct cv_reaper_link *ret);

/* Daemon side: one heartbeat byte; 'q' says "stopping cleanly, do nothing". */
void cv_reaper_beat(struct cv_reaper_link *l);
void cv_reaper_quit(struct cv_reaper_link *l);
