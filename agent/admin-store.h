/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime admin commands on disk (core/admin-file.h's text) in the
 * state directory: read once at start, written again whenever they change,
 * atomically (a new file, fsync, rename, the directory fsync'd), so that a
 * crash mid-write leaves the old file or the new one, never half of one.
 */
#pragma once

#include "engine.h"

/* dir/admin-state into the new engine e (a missing file: nothing). 0 or -errno. */
int cv_admin_store_load(const char *dir, struct cv_engine *e);
/* e's moves and standby into dir/admin-state (dir made if missing). 0 or -errno. */
int cv_admin_store_save(const char *dir, const struct cv_engine *e);
