/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Prometheus listener (issue 17: cluster key metrics_listen): GET
 * /metrics over HTTP, served by libmicrohttpd on the daemon's own loop (its
 * epoll fd polled there, no thread of its own, never blocking the loop), the
 * same text as corovipctl metrics. It has no authentication: bind it to
 * loopback or a management network.
 */
#pragma once

#include <qb/qbloop.h>

struct cv_metrics_http;

/* The metrics text now (malloc'd), or NULL: the answer is 503. */
typedef char *(*cv_metrics_render_fn)(void *userdata);

/*
 * Listen on endpoint ("ADDR:PORT", IPv4 or [IPv6]) from loop. 0, -EINVAL
 * (not an endpoint), or -errno of the listen (-EADDRINUSE).
 */
int cv_metrics_http_new(qb_loop_t *loop, const char *endpoint, cv_metrics_render_fn render,
			void *userdata, struct cv_metrics_http **ret);
/* Stops listening, closes its connections; NULL: no-op; returns NULL. */
struct cv_metrics_http *cv_metrics_http_free(struct cv_metrics_http *m);
