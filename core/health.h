/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The state of one health check: probe outcomes in, a debounced healthy or
 * failing out. rise consecutive passes turn a failing check healthy, fall
 * consecutive failures turn a healthy one failing; after a failure, the
 * hold-down keeps it failing for hold_down_ms so a flapping check cannot
 * move VIPs back and forth (a failure itself is never held back). Times
 * are the caller's monotonic milliseconds; no clock here.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cv_health {
	uint32_t rise, fall, hold_down_ms;
	/* private: */
	bool ok;	     /* the reported state */
	uint32_t streak;     /* consecutive outcomes against raw_ok */
	bool raw_ok;	     /* the state rise/fall decided, maybe not reported yet */
	uint64_t changed_at; /* when ok last changed (0 before the first change) */
	bool pending;	     /* healthy again by rise, held back until hold_until */
	uint64_t hold_until; /* the last failed probe while failing + hold_down_ms */
};

/* A new check reports failing until its first rise passes (the engine relies on it). */
void cv_health_init(struct cv_health *h, uint32_t rise, uint32_t fall, uint32_t hold_down_ms);
/* A probe's outcome at now. True if the reported state changed (read it with cv_health_ok). */
bool cv_health_result(struct cv_health *h, bool passed, uint64_t now);
/*
 * A probe's outcome taken as it is, at now: no rise, fall or hold-down (a
 * recheck someone asked for: a cluster manager that just moved its primary
 * says so). True if the reported state changed.
 */
bool cv_health_force(struct cv_health *h, bool passed, uint64_t now);
/* A return to health held back by the hold-down, due at cv_health_due() (UINT64_MAX: none):
 * true if it is reported now. */
bool cv_health_tick(struct cv_health *h, uint64_t now);
uint64_t cv_health_due(const struct cv_health *h);
bool cv_health_ok(const struct cv_health *h);
