/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qb_log set-up: syslog (the journal) always, stderr in the foreground. */
#pragma once

#include <stdbool.h>

void cv_log_init(const char *name, bool foreground, bool debug);
/* In a forked helper: log under "NAME-ROLE[pid]", keep out of the parent's blackbox. */
void cv_log_forked(const char *role);
void cv_log_fini(void);
