/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The quorum adapter: libquorum (model v1, which carries the ring id) for the
 * quorate flag and members, votequorum for the numbers the engine needs for
 * rule 1's arithmetic (votes needed, quorum device votes, two_node).
 * Notifications become CV_EV_QUORUM; a lost connection, CV_EV_CONN_LOST.
 */
#pragma once

#include <qb/qbloop.h>

#include "cpg.h"

struct cv_quorum;

/* nodeid: ours (votequorum's node 0 is the quorum device, not us). */
int cv_quorum_new(qb_loop_t *loop, uint32_t nodeid, cv_event_sink_fn sink, void *userdata,
		  struct cv_quorum **ret);
struct cv_quorum *cv_quorum_free(struct cv_quorum *q);

/* Connect and start tracking (the current state is notified at once). */
int cv_quorum_connect(struct cv_quorum *q);
