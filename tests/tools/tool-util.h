/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the bed's standalone tools (probe, addrwatch, qwatch) share: a stop
 * flag set by SIGINT/SIGTERM and a clock in nanoseconds. Header-only: the
 * bed compiles each tool from its one .c file (bed_build_tools).
 */
#pragma once

#include <signal.h>
#include <stdint.h>
#include <time.h>

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGINT and SIGTERM set stop (no SA_RESTART: a blocking call returns EINTR). */
static inline void
catch_stop_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static inline uint64_t
now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
