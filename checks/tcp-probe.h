/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One TCP connect from the daemon's loop: a non-blocking connect, its end
 * from the loop's poll, a timeout from a timerfd. No name resolution: the
 * endpoint is an address literal (cv_endpoint_parse).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <qb/qbloop.h>

struct cv_tcp_probe;

/* passed: the connection was accepted in time; err: why not (-errno, -ETIMEDOUT). */
typedef void (*cv_tcp_probe_fn)(void *userdata, bool passed, int err);

/*
 * Start a connect to endpoint ("ADDR:PORT", "[ADDR6]:PORT"); done() is called
 * exactly once, from the loop, never inside this call (also for a connect
 * that fails at once). 0 or -errno (then done() is not called).
 */
int cv_tcp_probe_start(qb_loop_t *loop, const char *endpoint, uint32_t timeout_ms,
		       cv_tcp_probe_fn done, void *userdata, struct cv_tcp_probe **ret);
/* Stop one under way; done() is not called. Accepts NULL; returns NULL. */
struct cv_tcp_probe *cv_tcp_probe_cancel(struct cv_tcp_probe *p);
