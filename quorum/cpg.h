/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CPG adapter: joins the corovip group (model v1, with the totem confchg),
 * turns its callbacks into engine events (CV_EV_TOTEM, CV_EV_GROUP,
 * CV_EV_MESSAGE, CV_EV_CONN_LOST) and multicasts encoded messages. Sends that
 * corosync refuses for now (TRY_AGAIN during a ring's sync) wait in a queue
 * retried on a timer, in order; never a sleep.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <qb/qbloop.h>

#include "engine.h"

struct cv_cpg;

/* Where events go; ev and everything it points to are borrowed for the call. */
typedef void (*cv_event_sink_fn)(void *userdata, const struct cv_event *ev);

struct cv_cpg_stats {
	uint64_t delivered;
	/* By message type (enum cv_proto_type; 0 unused): what a storm is made of. */
	uint64_t delivered_of[_CV_PROTO_TYPE_MAX];
	uint64_t delivered_bytes_of[_CV_PROTO_TYPE_MAX];
	uint64_t sent_of[_CV_PROTO_TYPE_MAX]; /* handed to corosync or queued for it */
	uint64_t sent_bytes_of[_CV_PROTO_TYPE_MAX];
	uint64_t bad_version;  /* CV_E_PROTO_VERSION */
	uint64_t bad_message;  /* -EBADMSG, -EMSGSIZE, -EOPNOTSUPP */
	uint64_t send_retries; /* TRY_AGAIN */
};

/* Borrows loop; copies group. Not connected yet: call cv_cpg_connect(). */
int cv_cpg_new(qb_loop_t *loop, const char *group, cv_event_sink_fn sink, void *userdata,
	       struct cv_cpg **ret);
struct cv_cpg *cv_cpg_free(struct cv_cpg *c);

/*
 * Initialize, check that corosync runs as root, join, and poll the fd in the
 * loop. -ENOTCONN if corosync is not there (the caller retries on a timer),
 * -EACCES if the provider is not root.
 */
int cv_cpg_connect(struct cv_cpg *c);
/* Our node id and pid, valid after connect. */
uint32_t cv_cpg_nodeid(const struct cv_cpg *c);

/* Encode m and multicast it (or queue it while corosync says TRY_AGAIN). */
int cv_cpg_send(struct cv_cpg *c, const struct cv_proto_msg *m);

/* Whether sends corosync refused for now (TRY_AGAIN) still wait to go out. */
bool cv_cpg_has_pending(const struct cv_cpg *c);

/* Drop every delivered message unread (the reaper only speaks). */
void cv_cpg_send_only(struct cv_cpg *c);

const struct cv_cpg_stats *cv_cpg_stats(const struct cv_cpg *c);
