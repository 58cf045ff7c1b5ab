/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What systemd hears of corovipd (Type=notify, libsystemd's sd_notify):
 * READY=1 once it has joined and adopted its first view; STATUS= a one-line
 * summary when it changes, at most every STATUS_EVERY_MS; RELOADING=1 /
 * READY=1 around a reload; STOPPING=1 at a stop. Nothing without
 * $NOTIFY_SOCKET.
 */
#pragma once

#include <stdbool.h>

#include <qb/qbloop.h>

#include "engine.h"

struct cv_notify;

int cv_notify_new(qb_loop_t *loop, struct cv_notify **ret);
struct cv_notify *cv_notify_free(struct cv_notify *n);
/* After an engine step: READY=1 at the first view, and the summary (soon). */
void cv_notify_step(struct cv_notify *n, const struct cv_engine *e);
void cv_notify_reloading(struct cv_notify *n);
void cv_notify_reloaded(struct cv_notify *n);
void cv_notify_stopping(struct cv_notify *n);
