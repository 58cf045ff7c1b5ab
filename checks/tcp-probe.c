/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "cv-macros.h"
#include "loop-timer.h"
#include "tcp-probe.h"

struct cv_tcp_probe {
	qb_loop_t *loop;
	int fd;
	bool polled, job;
	int early; /* a connect refused at once: its error, reported from a job */
	struct cv_loop_timer *timeout;
	cv_tcp_probe_fn done;
	void *userdata;
};

static void on_early(void *data);

static void
release(struct cv_tcp_probe *p)
{
	if (p->job)
		qb_loop_job_del(p->loop, QB_LOOP_MED, p, on_early);
	if (p->polled)
		qb_loop_poll_del(p->loop, p->fd);
	if (p->fd >= 0)
		close(p->fd);
	cv_loop_timer_free(p->timeout);
	free(p);
}

/* The outcome, once; the probe is gone when done() returns. */
static void
finish(struct cv_tcp_probe *p, bool passed, int err)
{
	cv_tcp_probe_fn done = p->done;
	void *userdata = p->userdata;

	release(p);
	done(userdata, passed, err);
}

static int32_t
on_writable(int32_t fd, int32_t revents, void *data)
{
	struct cv_tcp_probe *p = data;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	p->polled = false;
	qb_loop_poll_del(p->loop, fd);
	finish(p, err == 0, -err);
	return 0;
}

static void
on_timeout(void *data)
{
	finish(data, false, -ETIMEDOUT);
}

static void
on_early(void *data)
{
	struct cv_tcp_probe *p = data;

	p->job = false;
	finish(p, false, p->early);
}

static int
to_sockaddr(const char *endpoint, struct sockaddr_storage *sa, socklen_t *len)
{
	struct cv_addr a;
	uint16_t port;

	if (cv_endpoint_parse(endpoint, &a, &port) < 0)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	if (a.family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)sa;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a.bytes, 4);
		*len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a.bytes, 16);
		*len = sizeof(*in6);
	}
	return 0;
}

/* The connect under way (or refused at once): poll for its end, or report it from a job. */
static int
watch(struct cv_tcp_probe *p, int connect_err)
{
	int r;

	if (connect_err == EINPROGRESS || connect_err == 0) {
		r = qb_loop_poll_add(p->loop, QB_LOOP_MED, p->fd, POLLOUT, p, on_writable);
		p->polled = r == 0;
		return r;
	}
	p->early = -connect_err;
	r = qb_loop_job_add(p->loop, QB_LOOP_MED, p, on_early);
	p->job = r == 0;
	return r;
}

int
cv_tcp_probe_start(qb_loop_t *loop, const char *endpoint, uint32_t timeout_ms,
		   cv_tcp_probe_fn done, void *userdata, struct cv_tcp_probe **ret)
{
	struct sockaddr_storage sa;
	socklen_t len;
	struct cv_tcp_probe *p;
	int r = to_sockaddr(endpoint, &sa, &len);

	if (r < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	*p = (struct cv_tcp_probe){ .loop = loop, .done = done, .userdata = userdata };
	p->fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r = p->fd < 0 ? -errno : cv_loop_timer_new(loop, on_timeout, p, &p->timeout);
	if (r >= 0)
		r = cv_loop_timer_in(p->timeout, timeout_ms);
	if (r >= 0)
		r = watch(p, connect(p->fd, (struct sockaddr *)&sa, len) < 0 ? errno : 0);
	if (r < 0) {
		release(p);
		return r;
	}
	*ret = p;
	return 0;
}

struct cv_tcp_probe *
cv_tcp_probe_cancel(struct cv_tcp_probe *p)
{
	if (p)
		release(p);
	return NULL;
}
