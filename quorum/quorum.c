/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>

#include <corosync/quorum.h>
#include <corosync/votequorum.h>
#include <qb/qblog.h>

#include "cs-error.h"
#include "cv-error.h"
#include "quorum.h"

struct cv_quorum {
	qb_loop_t *loop;
	quorum_handle_t handle;
	votequorum_handle_t vq;
	bool connected;
	int fd;
	cv_event_sink_fn sink;
	void *userdata;
	uint32_t nodeid;
};

static void
lost(struct cv_quorum *q, bool in_dispatch)
{
	if (!q->connected)
		return;
	if (!in_dispatch)
		qb_loop_poll_del(q->loop, q->fd);
	quorum_finalize(q->handle);
	votequorum_finalize(q->vq);
	q->connected = false;
	q->sink(q->userdata, &(struct cv_event){ .type = CV_EV_CONN_LOST });
}

/*
 * votequorum_getinfo waits for corosync's answer: it would block while
 * corosync is frozen. It is only called right after a notification, i.e.
 * while corosync is demonstrably running.
 */
static void
votes(struct cv_quorum *q, struct cv_event *ev)
{
	struct votequorum_info info = { 0 };

	if (votequorum_getinfo(q->vq, q->nodeid, &info) != CS_OK)
		return;
	ev->quorum.quorum_votes = info.quorum;
	ev->quorum.qdevice_votes =
		(info.flags & VOTEQUORUM_INFO_QDEVICE_REGISTERED) ? info.qdevice_votes : 0;
	ev->quorum.two_node = info.flags & VOTEQUORUM_INFO_TWONODE;
	ev->quorum.expected_votes = info.highest_expected;
}

static void
on_quorum(quorum_handle_t h, uint32_t quorate, struct quorum_ring_id ring, uint32_t n,
	  const uint32_t *list)
{
	void *ctx = NULL;
	struct cv_quorum *q;
	struct cv_event ev = { .type = CV_EV_QUORUM };

	quorum_context_get(h, (const void **)&ctx);
	q = ctx;
	ev.quorum.ring = (struct cv_ring_id){ ring.nodeid, ring.seq };
	ev.quorum.quorate = quorate;
	ev.quorum.members = list;
	ev.quorum.n_members = n;
	votes(q, &ev);
	q->sink(q->userdata, &ev);
}

static int32_t
dispatch(int32_t fd, int32_t revents, void *data)
{
	struct cv_quorum *q = data;
	int r = cv_cs_to_errno(quorum_dispatch(q->handle, CS_DISPATCH_ONE));

	if (r == 0 || r == -EAGAIN)
		return 0;
	qb_log(LOG_WARNING, "quorum connection lost: %s", cv_strerror(r));
	lost(q, true);
	return -1;
}

int
cv_quorum_connect(struct cv_quorum *q)
{
	quorum_model_v1_data_t model = { .model = QUORUM_MODEL_V1, .quorum_notify_fn = on_quorum };
	uint32_t type = 0;
	int r;

	if (q->connected)
		return 0;
	r = cv_cs_to_errno(quorum_model_initialize(&q->handle, QUORUM_MODEL_V1,
						   (quorum_model_data_t *)&model, &type, q));
	if (r < 0)
		return -ENOTCONN;
	r = cv_cs_to_errno(votequorum_initialize(&q->vq, NULL));
	if (r < 0) {
		quorum_finalize(q->handle);
		return -ENOTCONN;
	}
	r = cv_cs_to_errno(quorum_fd_get(q->handle, &q->fd));
	if (r >= 0)
		r = qb_loop_poll_add(q->loop, QB_LOOP_HIGH, q->fd, POLLIN | POLLPRI, q, dispatch);
	if (r >= 0) {
		q->connected = true;
		r = cv_cs_to_errno(quorum_trackstart(q->handle, CS_TRACK_CHANGES | CS_TRACK_CURRENT));
		if (r < 0)
			lost(q, false);
		return r;
	}
	quorum_finalize(q->handle);
	votequorum_finalize(q->vq);
	return r;
}

int
cv_quorum_new(qb_loop_t *loop, uint32_t nodeid, cv_event_sink_fn sink, void *userdata,
	      struct cv_quorum **ret)
{
	struct cv_quorum *q = calloc(1, sizeof(*q));

	if (!q)
		return -ENOMEM;
	q->loop = loop;
	q->fd = -1;
	q->sink = sink;
	q->userdata = userdata;
	q->nodeid = nodeid;
	*ret = q;
	return 0;
}

struct cv_quorum *
cv_quorum_free(struct cv_quorum *q)
{
	if (!q)
		return NULL;
	if (q->connected) {
		qb_loop_poll_del(q->loop, q->fd);
		quorum_trackstop(q->handle);
		quorum_finalize(q->handle);
		votequorum_finalize(q->vq);
	}
	free(q);
	return NULL;
}
