/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * corosync's runtime token and consensus, read through cmap and tracked
 * (cmap_track): they change with the node count when token_coefficient is
 * set, and the engine derives the lease and the guard from them. Changes
 * become CV_EV_TIMINGS events.
 */
#pragma once

#include <qb/qbloop.h>

#include "cpg.h"

struct cv_timings;

int cv_timings_new(qb_loop_t *loop, cv_event_sink_fn sink, void *userdata,
		   struct cv_timings **ret);
struct cv_timings *cv_timings_free(struct cv_timings *t);

/* Connect, emit the current values, and track changes. -ENOTCONN without corosync. */
int cv_timings_connect(struct cv_timings *t);
