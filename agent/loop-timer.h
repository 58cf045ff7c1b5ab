/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A one-shot timer in a libqb loop on a timerfd. libqb's own loop timers
 * give epoll a timeout in whole milliseconds rounded down, so the loop spins
 * through each timer's last millisecond (some 40 empty turns); for the
 * timers that run all the time (the engine's wakeup at every heartbeat, the
 * reaper's beat and check) that was most of an idle daemon's CPU.
 */
#pragma once

#include <stdint.h>

#include <qb/qbloop.h>

struct cv_loop_timer;

/* fn(data) when it fires. 0 or -errno. */
int cv_loop_timer_new(qb_loop_t *loop, void (*fn)(void *data), void *data,
		      struct cv_loop_timer **ret);
struct cv_loop_timer *cv_loop_timer_free(struct cv_loop_timer *t);
/* Fire once at CLOCK_MONOTONIC ms at (the clock of qb_util_nano_current_get),
 * or in ms from now; either replaces what was armed. 0 or -errno. */
int cv_loop_timer_at(struct cv_loop_timer *t, uint64_t at_ms);
int cv_loop_timer_in(struct cv_loop_timer *t, uint64_t ms);
void cv_loop_timer_cancel(struct cv_loop_timer *t);
