/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qb/qblog.h>
#include <qb/qbutil.h>
#include <systemd/sd-daemon.h>

#include "cv-macros.h"
#include "loop-timer.h"
#include "notify.h"

/* A takeover of 10,000 VIPs changes the summary at every step: systemd hears it at this pace. */
#define STATUS_EVERY_MS 1000

struct cv_notify {
	const struct cv_engine *engine; /* the last step's, for the delayed STATUS= */
	struct cv_loop_timer *status;	/* a changed STATUS= held back until due */
	bool armed, ready;
	uint64_t sent_at;		/* monotonic ms of the last STATUS= */
	char last[160];			/* the STATUS= sent last */
};

static uint64_t
now_ms(void)
{
	return qb_util_nano_current_get() / QB_TIME_NS_IN_MSEC;
}

/* O(1): the engine keeps its per-state counts (a step of an idle daemon calls it). */
static void
summary(const struct cv_engine *e, char *buf, size_t len)
{
	struct cv_ring_id ring;
	size_t members = 0;

	if (!cv_engine_view(e, &ring, NULL, 0, &members))
		members = 0;
	snprintf(buf, len, "%s, %zu member%s, holding %zu of %zu VIPs%s",
		 cv_engine_quorate(e) ? "quorate" : "NOT quorate", members, members == 1 ? "" : "s",
		 cv_engine_count_in_state(e, CV_VIP_HELD), cv_engine_n_vips(e),
		 cv_engine_maintenance(e) ? ", maintenance mode" : "");
}

static void
send_status(void *data)
{
	struct cv_notify *n = data;
	char s[sizeof(n->last)];

	n->armed = false;
	summary(n->engine, s, sizeof(s));
	if (strcmp(s, n->last) == 0)
		return;
	snprintf(n->last, sizeof(n->last), "%s", s);
	n->sent_at = now_ms();
	(void)sd_notifyf(0, "STATUS=%s", s);
}

int
cv_notify_new(qb_loop_t *loop, struct cv_notify **ret)
{
	struct cv_notify *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	r = cv_loop_timer_new(loop, send_status, n, &n->status);
	if (r < 0) {
		free(n);
		return r;
	}
	*ret = n;
	return 0;
}

struct cv_notify *
cv_notify_free(struct cv_notify *n)
{
	if (n) {
		cv_loop_timer_free(n->status);
		free(n);
	}
	return NULL;
}

void
cv_notify_step(struct cv_notify *n, const struct cv_engine *e)
{
	struct cv_ring_id ring;
	char s[sizeof(n->last)];
	size_t members;

	if (!n || !e)
		return;
	n->engine = e;
	if (!n->ready && cv_engine_view(e, &ring, NULL, 0, &members)) {
		n->ready = true;
		send_status(n);
		(void)sd_notify(0, "READY=1");
		qb_log(LOG_INFO, "systemd: ready (the first view is adopted)");
		return;
	}
	summary(e, s, sizeof(s));
	if (n->armed || strcmp(s, n->last) == 0)
		return; /* nothing new, or already due: no wakeup of an idle daemon */
	if (now_ms() >= n->sent_at + STATUS_EVERY_MS)
		send_status(n);
	else
		n->armed = cv_loop_timer_at(n->status, n->sent_at + STATUS_EVERY_MS) >= 0;
}

void
cv_notify_reloading(struct cv_notify *n)
{
	(void)n;
	(void)sd_notify(0, "RELOADING=1");
}

void
cv_notify_reloaded(struct cv_notify *n)
{
	if (n && n->ready)
		(void)sd_notify(0, "READY=1");
}

void
cv_notify_stopping(struct cv_notify *n)
{
	(void)n;
	(void)sd_notify(0, "STOPPING=1\nSTATUS=handing off and stopping");
}
