/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The runtime admin commands (moves, bans, standby, maintenance) as the daemon
 * keeps them on disk, so that a restart of the whole cluster keeps them
 * (issue 17). One line each, after a comment:
 *   standby NODEID 0|1 STAMP      (NODEID 0: maintenance mode)
 *   move VIP TARGET STAMP         (TARGET 0: the move ended)
 *   ban VIP NODEID 0|1 STAMP UNTIL  (0: cleared; UNTIL: Unix ms its lifetime
 *                                 ends, 0 = none)
 * Pure text in and out; the file itself is agent/admin-store.c's.
 */
#pragma once

#include <stddef.h>

#include "engine.h"
#include "strbuf.h"

void cv_admin_format(const struct cv_admin_entry *v, size_t n, struct cv_strbuf *out);
/*
 * Parse text (len bytes, no NUL needed): *ret (free it) and *ret_n, or
 * -EINVAL with why (the line and what) in err, or -ENOMEM.
 */
int cv_admin_parse(const char *text, size_t len, struct cv_admin_entry **ret, size_t *ret_n,
		   char *err, size_t err_len);
