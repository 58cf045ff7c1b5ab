/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>

#include <corosync/cmap.h>
#include <qb/qblog.h>

#include "cs-error.h"
#include "timings.h"

#define PREFIX "runtime.config.totem."

struct cv_timings {
	qb_loop_t *loop;
	cmap_handle_t handle;
	cmap_track_handle_t track;
	bool connected;
	int fd;
	cv_event_sink_fn sink;
	void *userdata;
};

static void
emit(struct cv_timings *t)
{
	uint32_t token = 1000, consensus = 1200;

	cmap_get_uint32(t->handle, PREFIX "token", &token);
	cmap_get_uint32(t->handle, PREFIX "consensus", &consensus);
	t->sink(t->userdata, &(struct cv_event){ .type = CV_EV_TIMINGS,
						 .timings = { .token_ms = token,
							      .consensus_ms = consensus } });
}

static void
on_change(cmap_handle_t h, cmap_track_handle_t th, int32_t event, const char *key,
	  struct cmap_notify_value new_value, struct cmap_notify_value old_value, void *data)
{
	emit(data);
}

static void
disconnect(struct cv_timings *t, bool in_dispatch)
{
	if (!t->connected)
		return;
	if (!in_dispatch)
		qb_loop_poll_del(t->loop, t->fd);
	cmap_finalize(t->handle);
	t->connected = false;
}

static int32_t
dispatch(int32_t fd, int32_t revents, void *data)
{
	struct cv_timings *t = data;
	int r = cv_cs_to_errno(cmap_dispatch(t->handle, CS_DISPATCH_ONE));

	if (r == 0 || r == -EAGAIN)
		return 0;
	/* The CPG adapter reports the lost connection; we just stop. */
	disconnect(t, true);
	return -1;
}

int
cv_timings_connect(struct cv_timings *t)
{
	int r;

	if (t->connected)
		return 0;
	if (cmap_initialize(&t->handle) != CS_OK)
		return -ENOTCONN;
	r = cv_cs_to_errno(cmap_fd_get(t->handle, &t->fd));
	if (r >= 0)
		r = cv_cs_to_errno(cmap_track_add(t->handle, PREFIX,
						  CMAP_TRACK_ADD | CMAP_TRACK_MODIFY | CMAP_TRACK_PREFIX,
						  on_change, t, &t->track));
	if (r >= 0)
		r = qb_loop_poll_add(t->loop, QB_LOOP_MED, t->fd, POLLIN | POLLPRI, t, dispatch);
	if (r < 0) {
		cmap_finalize(t->handle);
		return r;
	}
	t->connected = true;
	emit(t);
	return 0;
}

int
cv_timings_new(qb_loop_t *loop, cv_event_sink_fn sink, void *userdata, struct cv_timings **ret)
{
	struct cv_timings *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	*t = (struct cv_timings){ .loop = loop, .fd = -1, .sink = sink, .userdata = userdata };
	*ret = t;
	return 0;
}

struct cv_timings *
cv_timings_free(struct cv_timings *t)
{
	if (t) {
		disconnect(t, false);
		free(t);
	}
	return NULL;
}
