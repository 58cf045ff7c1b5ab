/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <qb/qblog.h>

#include "addr.h"
#include "cv-macros.h"
#include "metrics-http.h"

/* A scrape is one short request: a few at a time, none kept long. */
#define CONNECTIONS_MAX	    8
#define CONNECTION_TIMEOUT_S 5

struct cv_metrics_http {
	qb_loop_t *loop;
	struct MHD_Daemon *d;
	int epoll_fd;
	bool polled;
	qb_loop_timer_handle timer; /* MHD's own timeouts (idle connections) */
	bool timer_armed;
	cv_metrics_render_fn render;
	void *userdata;
};

static void run(struct cv_metrics_http *m);

static void
on_timer(void *data)
{
	struct cv_metrics_http *m = data;

	m->timer_armed = false;
	run(m);
}

/* MHD's work now, then its next timeout on a loop timer. */
static void
run(struct cv_metrics_http *m)
{
	MHD_UNSIGNED_LONG_LONG ms;

	(void)MHD_run(m->d);
	if (m->timer_armed)
		qb_loop_timer_del(m->loop, m->timer);
	m->timer_armed = false;
	if (MHD_get_timeout(m->d, &ms) == MHD_YES &&
	    qb_loop_timer_add(m->loop, QB_LOOP_LOW, CV_MIN(ms, 60000ULL) * QB_TIME_NS_IN_MSEC, m,
			      on_timer, &m->timer) == 0)
		m->timer_armed = true;
}

static int32_t
on_ready(int32_t fd, int32_t revents, void *data)
{
	run(data);
	return 0;
}

static enum MHD_Result
answer_text(struct MHD_Connection *c, unsigned status, char *text, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), text, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(text);
		return MHD_NO;
	}
	(void)MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				      status == MHD_HTTP_OK ? "text/plain; version=0.0.4; charset=utf-8"
							    : "text/plain; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	   const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct cv_metrics_http *m = cls;
	char *text;

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics only\n",
				   MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return answer_text(c, MHD_HTTP_NOT_FOUND, "GET /metrics only\n",
				   MHD_RESPMEM_PERSISTENT);
	text = m->render(m->userdata);
	if (!text)
		return answer_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no metrics now\n",
				   MHD_RESPMEM_PERSISTENT);
	return answer_text(c, MHD_HTTP_OK, text, MHD_RESPMEM_MUST_FREE);
}

static int
sockaddr_of(const char *endpoint, struct sockaddr_storage *ret)
{
	struct cv_addr a;
	uint16_t port;

	if (cv_endpoint_parse(endpoint, &a, &port) < 0)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	if (a.family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ret;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a.bytes, 4);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ret;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a.bytes, 16);
	}
	return a.family;
}

int
cv_metrics_http_new(qb_loop_t *loop, const char *endpoint, cv_metrics_render_fn render,
		    void *userdata, struct cv_metrics_http **ret)
{
	struct sockaddr_storage sa;
	struct cv_metrics_http *m;
	const union MHD_DaemonInfo *info;
	int family = sockaddr_of(endpoint, &sa);
	int r;

	if (family < 0)
		return family;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	*m = (struct cv_metrics_http){ .loop = loop, .epoll_fd = -1, .render = render,
				       .userdata = userdata };
	/* no thread: MHD's epoll fd is polled by our loop; errors are ours to log */
	errno = 0;
	m->d = MHD_start_daemon(MHD_USE_EPOLL | (family == AF_INET6 ? MHD_USE_IPv6 : 0), 0, NULL,
				NULL, on_request, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTIONS_MAX,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				MHD_OPTION_END);
	if (!m->d) {
		r = errno ? -errno : -EADDRINUSE;
		free(m);
		return r;
	}
	info = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD);
	m->epoll_fd = info ? info->epoll_fd : -1;
	r = m->epoll_fd < 0 ? -EIO
			    : qb_loop_poll_add(loop, QB_LOOP_LOW, m->epoll_fd, POLLIN, m, on_ready);
	if (r < 0) {
		MHD_stop_daemon(m->d);
		free(m);
		return r;
	}
	m->polled = true;
	run(m);
	*ret = m;
	return 0;
}

struct cv_metrics_http *
cv_metrics_http_free(struct cv_metrics_http *m)
{
	if (!m)
		return NULL;
	if (m->polled)
		qb_loop_poll_del(m->loop, m->epoll_fd);
	if (m->timer_armed)
		qb_loop_timer_del(m->loop, m->timer);
	MHD_stop_daemon(m->d);
	free(m);
	return NULL;
}
