/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <qb/qbdefs.h>
#include <qb/qbutil.h>

#include "loop-timer.h"

struct cv_loop_timer {
	qb_loop_t *loop;
	int fd;
	bool armed;
	void (*fn)(void *data);
	void *data;
};

static int32_t
on_fd(int32_t fd, int32_t revents, void *userdata)
{
	struct cv_loop_timer *t = userdata;
	uint64_t expirations;

	/* EAGAIN: re-armed or cancelled since it fired */
	if (read(fd, &expirations, sizeof(expirations)) < 0 || !t->armed)
		return 0;
	t->armed = false;
	t->fn(t->data);
	return 0;
}

int
cv_loop_timer_new(qb_loop_t *loop, void (*fn)(void *data), void *data, struct cv_loop_timer **ret)
{
	struct cv_loop_timer *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	*t = (struct cv_loop_timer){ .loop = loop, .fn = fn, .data = data,
				     .fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC) };
	if (t->fd < 0) {
		r = -errno;
		free(t);
		return r;
	}
	r = qb_loop_poll_add(loop, QB_LOOP_HIGH, t->fd, POLLIN, t, on_fd);
	if (r < 0) {
		close(t->fd);
		free(t);
		return r;
	}
	*ret = t;
	return 0;
}

struct cv_loop_timer *
cv_loop_timer_free(struct cv_loop_timer *t)
{
	if (!t)
		return NULL;
	qb_loop_poll_del(t->loop, t->fd);
	close(t->fd);
	free(t);
	return NULL;
}

static int
set(struct cv_loop_timer *t, uint64_t at_ms)
{
	struct itimerspec its = { .it_value = { .tv_sec = (time_t)(at_ms / 1000),
						.tv_nsec = (long)(at_ms % 1000) * 1000000 } };

	t->armed = at_ms != 0;
	if (timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		t->armed = false;
		return -errno;
	}
	return 0;
}

int
cv_loop_timer_at(struct cv_loop_timer *t, uint64_t at_ms)
{
	return set(t, at_ms ? at_ms : 1); /* 0 would disarm it: long past, so at once */
}

int
cv_loop_timer_in(struct cv_loop_timer *t, uint64_t ms)
{
	return cv_loop_timer_at(t, qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC + ms);
}

void
cv_loop_timer_cancel(struct cv_loop_timer *t)
{
	if (t)
		(void)set(t, 0);
}
